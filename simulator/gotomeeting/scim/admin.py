"""Lab control of the GoToMeeting account (SPEC §5), added to the ``/_admin`` blueprint.

* ``GET /_admin/quirks`` -> ``{name: bool}``; ``PUT /_admin/quirks {"<name>": true|false, ...}`` (an
  unknown name or a non-boolean changes nothing and answers 400).
* ``GET /_admin/seats`` -> ``{"total", "used", "free"}``; ``PUT /_admin/seats {"total": N}``.
* ``POST /_admin/users`` -> 201 with the SCIM resource of a user that already exists in GoTo (body as
  one user of ``POST /_admin/seed``: ``userName``, ``givenName``, ``familyName``, ``displayName``,
  ``externalId``, ``email``, ``role``, ``active``, ``password``).
* ``GET /_admin/ratelimit`` -> ``{"requestsPerSecond": N | null}``; ``PUT`` the same shape (null: off).
"""
from __future__ import annotations

from flask import Blueprint, request

from ...core.appbase import read_json
from ...core.errors import LabHTTPError, json_response
from ..account import SeedError
from .views import SCIM_PREFIX, render_user


def scim_admin_routes(bp: Blueprint, goto) -> None:
    account = goto.account

    @bp.get("/quirks")
    def _quirks():
        return json_response(goto.quirks.to_json())

    @bp.put("/quirks")
    def _set_quirks():
        try:
            return json_response(goto.quirks.set(read_json()))
        except ValueError as exc:
            raise LabHTTPError(400, str(exc)) from None

    @bp.get("/seats")
    def _seats():
        return json_response(account.seats())

    @bp.put("/seats")
    def _set_seats():
        body = read_json()
        unknown = sorted(set(body) - {"total"})
        if unknown or "total" not in body:
            raise LabHTTPError(400, 'expected {"total": <non-negative integer>}')
        try:
            return json_response(account.set_seats(body["total"]))
        except SeedError as exc:
            raise LabHTTPError(exc.status, str(exc)) from None

    @bp.post("/users")
    def _add_user():
        try:
            user = account.add_existing_user(read_json())
        except SeedError as exc:
            raise LabHTTPError(exc.status, str(exc)) from None
        base = request.host_url.rstrip("/") + SCIM_PREFIX
        return json_response(render_user(goto, user, base), 201)

    @bp.get("/ratelimit")
    def _ratelimit():
        return json_response(account.rate_limit.to_json())

    @bp.put("/ratelimit")
    def _set_ratelimit():
        body = read_json()
        value = body.get("requestsPerSecond", "missing")
        if set(body) != {"requestsPerSecond"} or not (
                value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0)):
            raise LabHTTPError(400, 'expected {"requestsPerSecond": <positive number> | null}')
        account.rate_limit.configure(value)
        return json_response(account.rate_limit.to_json())
