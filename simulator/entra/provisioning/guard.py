"""Vendor mode's ownership guard: nothing the run did not create is ever written to (SPEC §6).

Real Entra trusts whatever a matching query answers: a SCIM server that ignores ``filter`` gets its
unrelated accounts linked, overwritten, disabled and deleted. A vendor points the lab at a staging server
that holds real accounts, so in vendor mode (the lab setting ``ownershipGuard``, set by the conformance
run) the lab shows what Entra would do without doing it:

* A ``PATCH``, ``PUT`` or ``DELETE`` of ``/Users/{id}`` or ``/Groups/{id}`` is sent only when that id was
  answered by a create of this run whose answer carries the run's prefix, or when a ``GET`` of the id
  just before answers 200 with a resource that carries the prefix (in ``userName``, ``displayName`` or
  ``externalId``, in any letter case). A write to any other path (a collection, ``/Bulk``) is not sent.
  Otherwise nothing is sent: the exchange is journaled with ``blocked`` (why) and no status, and the
  caller gets a ``TargetResponse`` whose ``failure`` is ``blocked``.
* Simulator choice: a write to one of the guard's ``reservedIds`` (ids no target issues, used by the
  conformance client's "unknown id" checks) is sent when the GET just before answers 404: there is
  nothing on the target to harm.
* ``halted``: while an interrupted run cleans up, no write of the engine is sent at all (creates
  included), so that nothing new appears behind the cleanup.

The matching check (a matching answer whose attribute does not equal the queried value is never linked)
lives in the engine; ``equal_for_matching`` is its comparison.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

WRITES = frozenset({"PATCH", "PUT", "DELETE"})
#: An id no target issues: the conformance client's requests for it must be answered 404 (RFC 7644
#: §3.12); the guard reserves it (``reservedIds``).
UNKNOWN_ID = "00000000-0000-4000-8000-00000000c404"
MARKED = ("userName", "displayName", "externalId")
_RESOURCE = re.compile(r"^/(Users|Groups)/([^/?#]+)/?(?:\?.*)?$")


def resource_of(path: str) -> tuple[str, str] | None:
    """``("Users", id)`` for ``/Users/{id}`` (the id URL-decoded), None for any other path."""
    found = _RESOURCE.match(path)
    return (found[1], unquote(found[2])) if found else None


def carries_prefix(resource: Any, prefix: str) -> bool:
    if not isinstance(resource, dict) or not prefix:
        return False
    wanted = prefix.lower()
    return any(isinstance(resource.get(name), str) and wanted in resource[name].lower() for name in MARKED)


def case_insensitive(attribute: str) -> bool:
    """Whether a filter attribute's values compare without regard to letter case (RFC 7643 caseExact
    false): ``userName``, ``displayName`` and e-mail values; ``externalId`` and the rest exactly."""
    name = attribute.lower()
    return name in ("username", "displayname") or name.startswith("emails")


def equal_for_matching(attribute: str, found: Any, wanted: Any) -> bool:
    """Whether a resource's value of a matching attribute (or one of its values, for a list) equals the
    queried value, in the attribute's letter-case rule."""
    if found is None:
        return False
    if isinstance(found, list):
        return any(equal_for_matching(attribute, item, wanted) for item in found)
    if case_insensitive(attribute):
        return str(found).casefold() == str(wanted).casefold()
    return str(found) == str(wanted)


def describe(resource: Any) -> str:
    """``userName 'x' (id 'y')`` for an explanation."""
    if not isinstance(resource, dict):
        return repr(resource)[:200]
    for name in MARKED:
        if isinstance(resource.get(name), str):
            return f"{name} '{resource[name]}' (id '{resource.get('id')}')"
    return f"id '{resource.get('id')}'"


@dataclass
class OwnershipGuard:
    prefix: str
    reserved_ids: frozenset[str] = frozenset()
    halted: bool = False
    created: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_setting(cls, value: dict | None) -> "OwnershipGuard | None":
        if not value:
            return None
        return cls(prefix=value["prefix"], reserved_ids=frozenset(value.get("reservedIds") or ()),
                   halted=bool(value.get("halted")))

    def knows(self, kind: str, resource_id: str) -> bool:
        with self._lock:
            return (kind, resource_id) in self.created

    def note_create(self, path: str, status: int | None, answer: Any) -> None:
        """After a POST: a 2xx create whose answer carries the prefix is the run's own object."""
        if status is None or not 200 <= status < 300:
            return
        kind = path.split("?", 1)[0].strip("/")
        if kind in ("Users", "Groups") and isinstance(answer, dict) and isinstance(answer.get("id"), str) \
                and carries_prefix(answer, self.prefix):
            with self._lock:
                self.created.add((kind, answer["id"]))

    def check(self, client, method: str, path: str) -> str | None:
        """Why the request must not be sent, or None. ``client`` sends the ownership GET (a
        ``TargetClient``; the GET itself is journaled like any request)."""
        if self.halted and method != "GET":
            return ("the run is being cleaned up after an interruption: the lab sends no further write to the "
                    "target")
        if method not in WRITES:
            return None
        found = resource_of(path)
        if found is None:
            return f"{method} {path.split('?', 1)[0]} is not a write of one user or group this run created"
        kind, resource_id = found
        if self.knows(kind, resource_id):
            return None
        resp = client.request("GET", f"/{kind}/{quote(resource_id, safe='')}", purpose="ownership check")
        if resp.status == 200 and carries_prefix(resp.json(), self.prefix):
            with self._lock:
                self.created.add((kind, resource_id))
            return None
        if resp.status == 404 and resource_id in self.reserved_ids:
            return None
        if resp.status == 200:
            seen = f"shows {describe(resp.json())}, which does not carry the run's prefix '{self.prefix}'"
        elif resp.status is None:
            seen = f"got no answer ({resp.failure}: {resp.detail})"
        else:
            seen = f"was answered {resp.status}"
        return (f"{kind[:-1].lower()} '{resource_id}' was not created by this run, and the GET of it just before "
                f"{seen}: the lab does not write to what it did not create")
