"""Vendor mode's safety around a vendor's SCIM server (SPEC §6): the safe start before a run writes
anything, and the cleanup of a run's leftovers by its run id.

Every object a conformance run creates carries the prefix ``cf-<run>-`` in its ``userName``,
``externalId`` or ``displayName``. The cleanup finds them (``sw`` filters first; a server that refuses
``sw`` is paged through), and deletes an object only after a GET of it shows that prefix: nothing else
on the server is touched. Groups go first, so that no group is left pointing at a deleted user.

A target that answers 429 Too Many Requests (a rehearsal's cleanup runs right after the load) is waited
out: each request is tried again after the answer's ``Retry-After`` (seconds, or an HTTP date read against
the answer's ``Date``; at most ``RETRY_AFTER_MAX``), or after a doubling backoff without one, up to
``THROTTLE_TRIES`` times. Then the cleanup stops with one line that says so (``Cleanup.gave_up``; exit
code 3 on the command line): a throttled query never reads as "nothing found".

``python -m simulator cleanup --target-url URL --token TOKEN --run-id RUN [--ca FILE]`` runs it from the
command line (``make cleanup`` too) and prints what it removed.
"""
from __future__ import annotations

import argparse
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import requests

from ..entra.provisioning.guard import carries_prefix

SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#: Entra's client timeout (provisioning/target.py): a target that does not answer within it hangs.
TIMEOUT = 10.0
#: How many resources the cleanup pages through when the server refuses ``sw`` filters.
DEFAULT_SCAN_LIMIT = 100_000
PAGE = 100
MARKED = {"Users": ("userName", "externalId", "displayName"), "Groups": ("displayName", "externalId")}
RUN_ID = re.compile(r"[a-z0-9]{1,12}")
#: Simulator choices: how often one request is sent to a target that keeps answering 429 (the first
#: time included), the longest Retry-After honoured, and the backoff without one (doubling, capped).
THROTTLE_TRIES = 8
RETRY_AFTER_MAX = 60.0
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
#: How the waits are made (a test may shorten them).
pause = time.sleep


class Throttled(Exception):
    """The target kept answering 429 to one request: the message is one line that says so."""


def retry_after(resp: requests.Response) -> float | None:
    """Seconds a 429's ``Retry-After`` asks for (delay-seconds, or an HTTP date against the answer's own
    ``Date``), at most ``RETRY_AFTER_MAX``; None without a usable one."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX)
    from email.utils import parsedate_to_datetime

    try:
        until, sent = parsedate_to_datetime(value), parsedate_to_datetime(resp.headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    return min(max((until - sent).total_seconds(), 0.0), RETRY_AFTER_MAX)


def send(session: requests.Session, method: str, url: str, *, timeout: float, params: dict | None = None
         ) -> requests.Response:
    """One request, sent again while the target answers 429 (see the module's docstring); raises
    :class:`Throttled` after ``THROTTLE_TRIES`` 429s in a row."""
    backoff, waited = BACKOFF_FIRST, 0.0
    for attempt in range(1, THROTTLE_TRIES + 1):
        resp = session.request(method, url, params=params, timeout=timeout)
        if resp.status_code != 429:
            return resp
        if attempt == THROTTLE_TRIES:
            break
        wait = retry_after(resp)
        if wait is None:
            wait, backoff = backoff, min(backoff * 2, BACKOFF_MAX)
        pause(wait)
        waited += wait
    raise Throttled(f"the target answered 429 Too Many Requests to {method} {url.split('?')[0]} {THROTTLE_TRIES} "
                    f"times in a row (waiting {waited:g} s in all)")


def run_prefix(run_id: str) -> str:
    """``cf-<run>-``: what every object of the run carries."""
    if not RUN_ID.fullmatch(run_id or ""):
        raise ValueError("a run id is 1 to 12 lower-case letters or digits")
    return f"cf-{run_id}-"


def _session(token: str, ca: str | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a REQUESTS_CA_BUNDLE or proxy of the environment must not redirect us
    session.verify = ca or True
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": SCIM_JSON})
    return session


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


# --------------------------------------------------------------------------------------------------
# Safe start
# --------------------------------------------------------------------------------------------------
@dataclass
class SafeStart:
    """What the first look at the target found: ``problem`` (one line that says what to fix) or None;
    ``unfiltered`` when the problem is a target that answers objects to a query that matches nothing."""

    problem: str | None = None
    unfiltered: bool = False
    throttled: bool = False


def safe_start(base_url: str, token: str, *, ca: str | None = None, timeout: float = TIMEOUT,
               seed: str = "") -> SafeStart:
    """Before the first write: a query for a random userName (and a random group displayName) must
    answer nothing. Also catches an unreachable target, a refused token, a target that answers HTML or
    hangs. Reads only."""
    base = base_url.rstrip("/")
    session = _session(token, ca)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#{seed}"))
    queries = [("Users", f'userName eq "{name}"', "users"),
               ("Groups", f'displayName eq "{name}"', "groups")]
    try:
        for kind, expression, noun in queries:
            url = f"{base}/{kind}"
            try:
                resp = send(session, "GET", url, params={"filter": expression}, timeout=timeout)
            except Throttled as exc:
                return SafeStart(f"{exc}: try again when the server accepts requests", throttled=True)
            except requests.exceptions.SSLError as exc:
                return SafeStart(f"TLS verification of {base} failed ({_short(exc)}): pass the server's CA bundle "
                                 "with TARGET_CA (--ca)")
            except requests.exceptions.Timeout:
                return SafeStart(f"the target did not answer GET {url} within {timeout:g} s (Entra's timeout): check "
                                 "that the server is not stuck and answers a filter query quickly")
            except requests.exceptions.RequestException as exc:
                return SafeStart(f"cannot reach the target at {base} ({_short(exc)}): check TARGET_URL (--target-url) "
                                 "and that the server is running")
            if resp.status_code in (401, 403):
                return SafeStart(f"the target refused the bearer token (HTTP {resp.status_code} to GET {url}): check "
                                 "TARGET_TOKEN (--token)")
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            try:
                body = resp.json() if resp.content else None
            except ValueError:
                body = None
            if kind == "Users" and resp.content and body is None:
                return SafeStart(f"the target answered GET {url} with {ctype or 'no Content-Type'} that is not JSON "
                                 f"(HTTP {resp.status_code}): check that TARGET_URL is the SCIM base address "
                                 "(for example https://host/scim/v2)")
            if resp.status_code != 200 or not isinstance(body, dict):
                continue  # a missing /Groups or a 404 to the probe: the scenarios explain those
            found = body.get("Resources") if isinstance(body.get("Resources"), list) else []
            if found:
                sample = ", ".join(_label(r) for r in found[:3])
                return SafeStart(
                    f"the target answered a query for a random {'userName' if kind == 'Users' else 'displayName'} "
                    f"({expression}) with {body.get('totalResults', len(found))} {noun} ({sample}): it ignores "
                    "filters, and Entra would link, overwrite and delete them. The run stopped before writing "
                    "anything, since every later write would only be blocked. Fix filtering (RFC 7644 §3.4.2.2), or "
                    "set TARGET_ALLOW_UNFILTERED=1 (--allow-unfiltered) to run anyway; the ownership guard still "
                    "blocks every write to objects the run did not create", unfiltered=True)
    finally:
        session.close()
    return SafeStart()


def _label(resource) -> str:
    if not isinstance(resource, dict):
        return "?"
    for name in ("userName", "displayName", "externalId", "id"):
        if isinstance(resource.get(name), str):
            return resource[name]
    return "?"


def _short(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    reason = re.search(r"\[Errno -?\d+\] [^'\")\]]+|Connection refused|certificate verify failed[^'\")]*", text)
    return (reason[0] if reason else text.splitlines()[0])[:200]


# --------------------------------------------------------------------------------------------------
# Cleanup
# --------------------------------------------------------------------------------------------------
@dataclass
class Cleanup:
    prefix: str
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, label)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, why)
    scanned: bool = False
    #: Why the cleanup stopped before it was done (the target kept answering 429), else None.
    gave_up: str | None = None

    def lines(self) -> list[str]:
        out = [f"removed {kind[:-1].lower()} {label} (id {rid})" for kind, rid, label in self.removed]
        out += [f"could not remove {kind[:-1].lower()} {rid}: {why}" for kind, rid, why in self.failed]
        if self.gave_up:
            out.append(f"cleanup stopped: {self.gave_up}; {len(self.removed)} object(s) with the prefix {self.prefix} "
                       f"removed so far: run the cleanup again later (--run-id {self.prefix[3:-1]})")
            return out
        out.append(f"{len(self.removed)} object(s) with the prefix {self.prefix} removed"
                   + (f", {len(self.failed)} could not be removed" if self.failed else ""))
        return out


def cleanup(base_url: str, token: str, prefix: str, *, ca: str | None = None, timeout: float = TIMEOUT,
            scan_limit: int = DEFAULT_SCAN_LIMIT, known: list[tuple[str, str]] = (),
            log: Callable[[str], None] | None = None) -> Cleanup:
    """Delete every user and group that carries ``prefix`` (groups first); ``known`` adds ids the caller
    saw created. Each delete follows a GET that shows the prefix."""
    base = base_url.rstrip("/")
    session = _session(token, ca)
    result = Cleanup(prefix)
    try:
        for kind in ("Groups", "Users"):
            try:
                found = _find(session, base, kind, prefix, timeout, scan_limit, result)
            except Throttled as exc:
                result.gave_up = str(exc)
                return result
            found.update(rid for k, rid in known if k == kind)
            for resource_id in sorted(found):
                remove_owned(session, base, kind, resource_id, prefix, timeout, result, log)
                if result.gave_up:
                    return result
    finally:
        session.close()
    return result


def _find(session, base: str, kind: str, prefix: str, timeout: float, scan_limit: int, result: Cleanup) -> set[str]:
    """Ids of ``kind`` that carry the prefix: by ``sw`` filters, or by paging when a filter is refused."""
    found: set[str] = set()
    for attribute in MARKED[kind]:
        answered = _pages(session, f"{base}/{kind}", {"filter": f'{attribute} sw "{_quoted(prefix)}"'}, timeout,
                          scan_limit)
        if answered is None:
            if attribute == MARKED[kind][0]:
                result.scanned = True
                return {r["id"] for r in _pages(session, f"{base}/{kind}", {}, timeout, scan_limit) or []
                        if carries_prefix(r, prefix) and isinstance(r.get("id"), str)}
            continue
        found.update(r["id"] for r in answered if carries_prefix(r, prefix) and isinstance(r.get("id"), str))
    return found


def _pages(session, url: str, params: dict, timeout: float, limit: int) -> list[dict] | None:
    """Every resource of a query, page by page; None when the query is refused or not a ListResponse
    (a target that keeps answering 429 raises :class:`Throttled`)."""
    out: list[dict] = []
    start = 1
    while len(out) < limit:
        try:
            resp = send(session, "GET", url, params={**params, "startIndex": start, "count": PAGE}, timeout=timeout)
            body = resp.json()
        except (requests.exceptions.RequestException, ValueError):
            return None if not out else out
        if resp.status_code != 200 or not isinstance(body, dict) or LIST_RESPONSE not in (body.get("schemas") or []):
            return None if not out else out
        page = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
        out.extend(page)
        total = body.get("totalResults")
        if not page or not isinstance(total, int) or start - 1 + len(page) >= total:
            break
        start += len(page)
    return out


def remove_owned(session, base: str, kind: str, resource_id: str, prefix: str, timeout: float, result: Cleanup,
                 log=None) -> None:
    """DELETE one user or group, only after a GET of it shows ``prefix``; the outcome goes to ``result``
    (a 404 is already gone; anything not ours, or not readable, is never touched; a target that keeps
    answering 429 sets ``result.gave_up``)."""
    url = f"{base}/{kind}/{quote(resource_id, safe='')}"
    try:
        seen = send(session, "GET", url, timeout=timeout)
        if seen.status_code == 404:
            return
        resource = seen.json() if seen.status_code == 200 else None
        if not carries_prefix(resource, prefix):
            return  # not ours (or not readable): never touched
        gone = send(session, "DELETE", url, timeout=timeout)
    except Throttled as exc:
        result.failed.append((kind, resource_id, str(exc)))
        result.gave_up = str(exc)
        return
    except (requests.exceptions.RequestException, ValueError) as exc:
        result.failed.append((kind, resource_id, _short(exc)))
        return
    if gone.status_code in (200, 204, 404):
        result.removed.append((kind, resource_id, _label(resource)))
        if log is not None:
            log(f"removed {kind[:-1].lower()} {_label(resource)} (id {resource_id})")
    else:
        result.failed.append((kind, resource_id, f"DELETE answered {gone.status_code}"))


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def add_cleanup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", required=True, help="the SCIM base address (https://host/scim/v2)")
    parser.add_argument("--token", required=True, help="the bearer token the run used")
    parser.add_argument("--run-id", required=True, help="the run id of the interrupted run (cf-<run>-…)")
    parser.add_argument("--ca", default=None, help="a CA bundle that verifies an HTTPS target")
    parser.add_argument("--scan-limit", type=int, default=DEFAULT_SCAN_LIMIT,
                        help="how many resources to page through when the server refuses sw filters")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run_cleanup(args: argparse.Namespace) -> int:
    try:
        prefix = run_prefix(args.run_id.lower())
    except ValueError as exc:
        print(f"cleanup: --run-id: {exc}")
        return 2
    if not re.match(r"^https?://", args.target_url):
        print(f"cleanup: --target-url must be an http(s) URL, not {args.target_url!r}")
        return 2
    start = safe_start(args.target_url, args.token, ca=args.ca)
    if start.problem and not start.unfiltered:
        print(f"cleanup: {start.problem}")
        return 3 if start.throttled else 2
    result = cleanup(args.target_url, args.token, prefix, ca=args.ca, scan_limit=args.scan_limit)
    if args.json:
        print(json.dumps({"prefix": prefix, "removed": [{"kind": k, "id": i, "name": n} for k, i, n in result.removed],
                          "failed": [{"kind": k, "id": i, "why": w} for k, i, w in result.failed],
                          "scanned": result.scanned, "gaveUp": result.gave_up}, indent=2))
    else:
        for line in result.lines():
            print(line)
    return 3 if result.gave_up else 1 if result.failed else 0
