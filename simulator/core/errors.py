"""One error-envelope builder per surface.

Each function returns a Flask ``Response`` in the exact wire shape of its surface:

* ``scim_error``  - RFC 7644 §3.12 Error, ``application/scim+json``, ``status`` as a string.
* ``oauth_error`` - RFC 6749 §5.2 ``{"error", "error_description"}`` (GoTo's token endpoint).
* ``graph_error`` - Microsoft Graph ``{"error": {"code", "message", "innerError": {...}}}``.
* ``aad_error``   - the Microsoft identity platform token endpoint's ``AADSTSnnnn`` shape.
* ``admin_error`` - the lab's own ``/_admin`` JSON.

Views raise ``LabHTTPError`` subclasses or call these directly; the app's error handlers render a
``LabHTTPError`` with the envelope of the surface it belongs to.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Response

SCIM_CONTENT_TYPE = "application/scim+json"
SCIM_ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


def json_response(payload: Any, status: int = 200, content_type: str = "application/json",
                  headers: dict | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    resp = Response(body, status=status, content_type=f"{content_type}; charset=utf-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def scim_error(status: int, detail: str, scim_type: str | None = None,
               headers: dict | None = None, content_type: str = SCIM_CONTENT_TYPE) -> Response:
    payload: dict[str, Any] = {"schemas": [SCIM_ERROR_URN], "status": str(status)}
    if scim_type:
        payload["scimType"] = scim_type
    payload["detail"] = detail
    return json_response(payload, status, content_type, headers)


def oauth_error(status: int, error: str, description: str | None = None,
                headers: dict | None = None) -> Response:
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    hdrs = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    hdrs.update(headers or {})
    return json_response(payload, status, headers=hdrs)


def graph_error(status: int, code: str, message: str, *, date: str, request_id: str,
                client_request_id: str | None = None, headers: dict | None = None) -> Response:
    inner = {"date": date, "request-id": request_id, "client-request-id": client_request_id or request_id}
    payload = {"error": {"code": code, "message": message, "innerError": inner}}
    hdrs = {"request-id": request_id, "client-request-id": inner["client-request-id"]}
    hdrs.update(headers or {})
    return json_response(payload, status, headers=hdrs)


def aad_error(status: int, error: str, aadsts: int, description: str, *, timestamp: str,
              trace_id: str, correlation_id: str) -> Response:
    """``timestamp`` is the AAD text form ``YYYY-MM-DD HH:MM:SSZ``."""
    text = (f"AADSTS{aadsts}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} "
            f"Timestamp: {timestamp}")
    payload = {
        "error": error,
        "error_description": text,
        "error_codes": [aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
    }
    return json_response(payload, status, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def admin_error(status: int, message: str, **fields: Any) -> Response:
    payload = {"error": {"status": status, "message": message, **fields}}
    return json_response(payload, status)


class LabHTTPError(Exception):
    """An error a view raises; the app renders it in the envelope of the surface it belongs to.

    ``code`` is the surface's own error code (``scimType`` for SCIM, ``error`` for OAuth, ``code``
    for Graph); ``extra`` carries anything else a renderer needs (``aadsts``, headers...).
    """

    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra
