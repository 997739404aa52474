"""GoToMeeting's OAuth lab control under ``/_admin`` (SPEC §5): static tokens, revocation, clients.

- ``POST /_admin/tokens`` ``{}`` or ``{"user": "<email>"}`` -> 201 ``{"token", "user", "expiresIn": null}``
- ``POST /_admin/tokens/revoke`` ``{"token": ...}`` | ``{"user": "<email>"}`` | ``{"all": true}``
  -> 200 ``{"revoked", "access", "refresh", "static"}`` (counts)
- ``GET /_admin/oauth/clients`` -> the registered clients, secrets redacted
- ``PUT /_admin/oauth/clients/<client_id>`` ``{"redirectUris": [...], "clientSecret"?, "name"?}`` -> 200
  (updated) or 201 (registered; ``clientSecret`` required)
- ``DELETE /_admin/oauth/clients/<client_id>`` -> 204 (its tokens stop refreshing: it can no longer
  authenticate)
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response

from ..core.appbase import read_json
from ..core.errors import LabHTTPError, json_response


def _string(body: dict, key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise LabHTTPError(400, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise LabHTTPError(400, f"{key} must be a non-empty string")
    return value


def _redirect_uris(body: dict) -> list[str]:
    """RFC 6749 §3.1.2: absolute http(s) URIs without a fragment."""
    uris = body.get("redirectUris")
    if not isinstance(uris, list) or not uris:
        raise LabHTTPError(400, "redirectUris must be a non-empty list of absolute http(s) URIs")
    for uri in uris:
        parts = urlsplit(uri) if isinstance(uri, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise LabHTTPError(400, f"redirectUris: {uri!r} is not an absolute http(s) URI without a "
                               "fragment")
    return list(dict.fromkeys(uris))


def gotomeeting_admin_routes(bp: Blueprint, goto) -> None:
    oauth = goto.oauth

    @bp.post("/tokens")
    def _issue_token():
        body = read_json(allow_empty=True)
        unknown = set(body) - {"user"}
        if unknown:
            raise LabHTTPError(400, f"unknown fields: {sorted(unknown)}; only 'user' is accepted")
        try:
            record = oauth.issue_static_token(_string(body, "user"))
        except LookupError as exc:
            raise LabHTTPError(400, str(exc)) from None
        user = goto.account.get_user(record.user_id)
        return json_response({"token": record.value, "user": user.user_name, "expiresIn": None}, 201)

    @bp.post("/tokens/revoke")
    def _revoke():
        body = read_json()
        chosen = [key for key in ("token", "user", "all") if key in body]
        if len(chosen) != 1 or set(body) - {"token", "user", "all"}:
            raise LabHTTPError(400, "send exactly one of {\"token\": ...}, {\"user\": \"<email>\"} or "
                               "{\"all\": true}")
        if chosen == ["all"]:
            if body["all"] is not True:
                raise LabHTTPError(400, "all must be true")
            counts = oauth.revoke_all()
        elif chosen == ["token"]:
            counts = oauth.revoke_token(_string(body, "token", required=True))
        else:
            try:
                counts = oauth.revoke_user(_string(body, "user", required=True))
            except LookupError as exc:
                raise LabHTTPError(400, str(exc)) from None
        return json_response(counts.to_json())

    @bp.get("/oauth/clients")
    def _clients():
        return json_response({"clients": oauth.list_clients()})

    @bp.put("/oauth/clients/<client_id>")
    def _put_client(client_id: str):
        body = read_json()
        unknown = set(body) - {"redirectUris", "clientSecret", "name"}
        if unknown:
            raise LabHTTPError(400, f"unknown fields: {sorted(unknown)}")
        uris = _redirect_uris(body)
        try:
            client, created = oauth.register_client(client_id, uris, _string(body, "clientSecret"),
                                                    _string(body, "name"))
        except ValueError as exc:
            raise LabHTTPError(400, str(exc)) from None
        return json_response(client, 201 if created else 200)

    @bp.delete("/oauth/clients/<client_id>")
    def _delete_client(client_id: str):
        if not oauth.remove_client(client_id):
            raise LabHTTPError(404, f"no OAuth client {client_id}")
        return Response(status=204)
