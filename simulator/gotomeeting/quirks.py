"""Quirk switches of the fake GoToMeeting (SPEC §4.4): each one a real vendor bug seen in the field.

They let a scenario check how the Entra side copes with a SCIM server that is not quite right. All of
them are off after a reset; ``PUT /_admin/quirks {"<name>": true|false, ...}`` flips them.

* ``empty_filter_404`` - a filtered ``GET /Users`` or ``/Groups`` that matches nothing answers 404
  instead of an empty ListResponse (the failure Entra's Test Connection reports as "HTTP/404 Not
  Found ... rather than the expected HTTP/200 OK").
* ``reject_string_booleans`` - ``"True"``/``"False"`` strings where a boolean belongs (Entra's legacy
  dialect: ``active``, ``primary``) are refused with 400 ``invalidValue``.
* ``remove_member_value_removes_all`` - a ``Remove`` of ``members`` whose ``value`` lists the members
  to drop removes every member.
* ``json_content_type`` - every SCIM answer says ``application/json`` instead of
  ``application/scim+json``.
* ``patch_returns_204`` - a successful PATCH answers 204 with no body instead of 200 with the resource.
* ``case_sensitive_username`` - ``userName`` is compared case-sensitively (uniqueness and filters),
  against RFC 7643's ``caseExact: false``.
* ``ignore_pathless_patch`` - PATCH operations without a ``path`` are accepted and silently dropped.
* ``ignore_filters`` - ``GET /Users?filter=...`` and ``GET /Groups?filter=...`` answer every resource as
  if there were no filter (filtering left unimplemented; paging and attribute selection still apply).
  Entra trusts its matching query's answer: a single account answered is linked and overwritten.
"""
from __future__ import annotations

import threading

QUIRK_NAMES: tuple[str, ...] = (
    "empty_filter_404",
    "reject_string_booleans",
    "remove_member_value_removes_all",
    "json_content_type",
    "patch_returns_204",
    "case_sensitive_username",
    "ignore_pathless_patch",
    "ignore_filters",
)


class Quirks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on: dict[str, bool] = dict.fromkeys(QUIRK_NAMES, False)

    def reset(self) -> None:
        with self._lock:
            self._on = dict.fromkeys(QUIRK_NAMES, False)

    def to_json(self) -> dict[str, bool]:
        with self._lock:
            return dict(self._on)

    def enabled(self, name: str) -> bool:
        if name not in QUIRK_NAMES:
            raise KeyError(f"unknown quirk {name!r}")
        with self._lock:
            return self._on[name]

    def set(self, mapping: dict) -> dict[str, bool]:
        """Apply every switch of ``mapping`` or none: an unknown name or a non-boolean raises ValueError."""
        if not isinstance(mapping, dict):
            raise ValueError("quirks must be a JSON object of {name: true|false}")
        unknown = sorted(str(k) for k in mapping if k not in QUIRK_NAMES)
        if unknown:
            raise ValueError(f"unknown quirk(s) {unknown}; known: {list(QUIRK_NAMES)}")
        wrong = sorted(k for k, v in mapping.items() if not isinstance(v, bool))
        if wrong:
            raise ValueError(f"quirk value(s) must be true or false: {wrong}")
        with self._lock:
            self._on.update(mapping)
            return dict(self._on)
