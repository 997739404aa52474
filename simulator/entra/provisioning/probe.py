"""Test Connection: ``validateCredentials`` probes the target exactly as Entra does (SPEC §3.6).

The probe is ``GET {BaseAddress}/Users?filter=<highest-priority matching attribute> eq "<random GUID>"``,
encoded with ``+`` for spaces and ``%22`` for quotes, with the bearer token and without a User-Agent. A
200 SCIM ListResponse passes; anything else fails with the portal's text.

Simulator choice: the error codes (Microsoft does not publish them) are the connector prefix
(``SystemForCrossDomainIdentityManagement`` or ``GoToMeeting``) followed by ``InvalidCredentials``,
``NotFoundInsteadOfEmptyList``, ``CredentialValidationUnavailable`` or ``ServiceIncompatible``.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from ..sync.model import SyncError
from .credentials import CredentialError, bearer_token
from .dialects import probe_query, split_base_address
from .target import TargetClient

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

INVALID_CREDENTIALS = ("You appear to have entered invalid credentials. Please confirm you are using the correct "
                       "information for an administrative account.")
GOTO_ADMIN_HINT = " Make sure your GoToMeeting account has Team Admin permissions."
NOT_FOUND = ("An HTTP/404 Not Found response was returned rather than the expected HTTP/200 OK response. To address "
             "this issue, ensure that the tenant URL is correct. If it is, the application must answer a filter "
             "query that matches no user with HTTP/200 OK and an empty SCIM list response, not with HTTP/404.")
UNAVAILABLE = "We were unable to connect to the target application. Please check the Tenant URL and try again."


def connector_prefix(sp) -> str:
    """Simulator choice: error-code prefix of the connector (SPEC §3.8)."""
    return "GoToMeeting" if sp.synchronization_template_id == "gotomeeting" else \
        "SystemForCrossDomainIdentityManagement"


def probe_attribute(schema: dict) -> str:
    from .mappings import find_object_mapping, matching_attributes

    mapping = find_object_mapping(schema, "User")
    found = matching_attributes(mapping) if mapping else []
    return found[0][0] if found else "userName"


def target_client(sync, base_url: str, token: str | None, *, paced: bool = False) -> TargetClient:
    """The client for one cycle (``paced``: with the lab's pacing settings, pacing.py) or one probe."""
    settings = sync.settings
    pacing = {"limiter": sync.limiter,
              "metrics": sync.metrics if settings["requestMetrics"] else None} if paced else {}
    return TargetClient(base_url, token=token, ca_bundle=settings.get("targetCaBundle"),
                        timeout=settings["targetTimeoutSeconds"], journal=sync.entra.journal, guard=sync.guard,
                        **pacing)


def run_probe(sync, sp_id: str, job, overlay: dict[str, str]) -> None:
    sp = sync.service_principal(sp_id)
    prefix = connector_prefix(sp)
    secrets = sync.secrets(sp_id, overlay)
    base = secrets.get("BaseAddress") or ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SyncError(400, f"{UNAVAILABLE} The Tenant URL '{base}' is not an HTTP or HTTPS URL.",
                        f"{prefix}CredentialValidationUnavailable")
    try:
        token = bearer_token(sync, sp_id, secrets, persist=not overlay)
    except CredentialError as exc:
        raise SyncError(400, f"{INVALID_CREDENTIALS} {exc}", f"{prefix}InvalidCredentials") from None
    base_url, _ = split_base_address(base)
    attribute = probe_attribute(job.schema)
    guid = sync.entra.lab.rand.stream("entra.sync.probe").uuid()
    query = probe_query(attribute, guid)
    client = target_client(sync, base_url, token)
    try:
        resp = client.request("GET", f"/Users?{query}")
    finally:
        client.close()
    if not resp.reached:
        raise SyncError(400, f"{UNAVAILABLE} Details: {resp.failure}: {resp.detail}",
                        f"{prefix}CredentialValidationUnavailable")
    if resp.status in (401, 403):
        hint = GOTO_ADMIN_HINT if prefix == "GoToMeeting" else ""
        raise SyncError(400, INVALID_CREDENTIALS + hint, f"{prefix}InvalidCredentials")
    if resp.status == 404:
        raise SyncError(400, NOT_FOUND, f"{prefix}NotFoundInsteadOfEmptyList")
    if resp.status >= 500:
        raise SyncError(400, f"{UNAVAILABLE} Details: the target answered HTTP {resp.status}.",
                        f"{prefix}CredentialValidationUnavailable")
    body = resp.json()
    if resp.status != 200 or not _is_list_response(body):
        raise SyncError(400, f"The target application's answer is not a SCIM ListResponse (HTTP {resp.status}, "
                             f"Content-Type '{resp.content_type or 'none'}'). The application does not look like a "
                             "SCIM 2.0 service.", f"{prefix}ServiceIncompatible")


def _is_list_response(body) -> bool:
    return (isinstance(body, dict) and LIST_RESPONSE in (body.get("schemas") or [])
            and isinstance(body.get("totalResults"), int) and not isinstance(body.get("totalResults"), bool))
