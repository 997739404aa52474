"""App-only sign-in (SPEC §3.1): the token endpoint, the OpenID discovery document, the JWKS, the AAD
error envelope, and the Graph side's bearer-token check.

Tokens are RS256 JWTs signed with PyJWT + cryptography. Simulator choice (determinism): the RSA signing
key comes from the lab's seed like every other value: pycryptodome generates it (``cryptography`` takes
no random source) from a random stream seeded by the ``entra.signing-key`` stream, so one seed and one
virtual clock give byte-identical tokens, also after ``/_admin/reset``. A key anyone can regenerate from
the seed is a lab key, never a secret. Its ``kid`` is the key's RFC 7638 thumbprint. Every other token
ingredient (``uti``, times) comes from the seeded stream and the virtual clock.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import random
import threading
from urllib.parse import unquote_plus, urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response, request

from ..core.errors import LabHTTPError, aad_error, json_response

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DEFAULT_SCOPES = {f"{GRAPH_RESOURCE}/.default", f"{GRAPH_RESOURCE}//.default", f"{GRAPH_APP_ID}/.default"}
#: OpenID Connect scopes MSAL may add to any request; they never name a resource.
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}

#: Permission -> the permissions that also satisfy it (a ReadWrite permission satisfies its Read one;
#: Directory.ReadWrite.All satisfies the directory and application ones).
_IMPLIED_BY = {
    "User.Read.All": ("User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "User.ReadWrite.All": ("Directory.ReadWrite.All",),
    "Group.Read.All": ("Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "Group.ReadWrite.All": ("Directory.ReadWrite.All",),
    "Directory.Read.All": ("Directory.ReadWrite.All",),
    "Application.Read.All": ("Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "Application.ReadWrite.All": ("Directory.ReadWrite.All",),
    "AppRoleAssignment.ReadWrite.All": ("Directory.ReadWrite.All",),
    "AuditLog.Read.All": (),
    "Synchronization.Read.All": ("Synchronization.ReadWrite.All",),
    "Synchronization.ReadWrite.All": (),
}


def grants(roles: list[str], permission: str) -> bool:
    """Whether a token's ``roles`` satisfy ``permission``."""
    if permission in roles:
        return True
    return any(r in roles for r in _IMPLIED_BY.get(permission, ()))


def _b64url(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@functools.lru_cache(maxsize=8)
def seeded_private_key(seed: bytes):
    """The 2048-bit RSA key that ``seed`` decides (about 0.2 s to generate; kept for the process)."""
    from Crypto.PublicKey import RSA

    stream = random.Random(seed)
    generated = RSA.generate(2048, randfunc=stream.randbytes)
    return serialization.load_der_private_key(generated.export_key("DER"), password=None)


class SigningKeys:
    """The tenant's token-signing key (RS256) and its JWKS, decided by the lab's seed."""

    def __init__(self, rand):
        self._rand = rand
        self._lock = threading.Lock()
        self._private = None
        self._jwk: dict | None = None

    def reset(self) -> None:
        """Derive the key again on next use (a reset with another seed gives another key)."""
        with self._lock:
            self._private, self._jwk = None, None

    def _ensure(self):
        with self._lock:
            if self._private is None:
                self._private = seeded_private_key(self._rand.stream("entra.signing-key").bytes(32))
                numbers = self._private.public_key().public_numbers()
                e, n = _b64url(numbers.e), _b64url(numbers.n)
                canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"))
                kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
                self._jwk = {"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid, "n": n, "e": e}
            return self._private, self._jwk

    @property
    def kid(self) -> str:
        return self._ensure()[1]["kid"]

    def jwks(self) -> dict:
        return {"keys": [dict(self._ensure()[1])]}

    def sign(self, claims: dict) -> str:
        private, jwk = self._ensure()
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": jwk["kid"], "typ": "JWT"})

    def public_key(self):
        return self._ensure()[0].public_key()


# -- the AAD error envelope ------------------------------------------------------------------------

#: Simulator choice: what the sign-in surface answers when a view or the router gives no AAD code.
_AAD_DEFAULTS = {
    400: ("invalid_request", 900144),
    401: ("invalid_client", 7000215),
    404: ("invalid_request", 50000),
    405: ("invalid_request", 900561),
    413: ("invalid_request", 50000),
    415: ("invalid_request", 900144),
    429: ("temporarily_unavailable", 50196),
}


def aad_timestamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def render_aad_error(entra):
    """The sign-in surface's renderer: ``{"error", "error_description": "AADSTSnnnn: …", "error_codes",
    "timestamp", "trace_id", "correlation_id"}``. The correlation id echoes the caller's
    ``client-request-id`` (MSAL sends one), as Entra does."""

    def render(status: int, message: str, code: str | None, extra: dict) -> Response:
        default_code, default_aadsts = _AAD_DEFAULTS.get(status, ("server_error" if status >= 500 else
                                                                  "invalid_request", 50000))
        aadsts = extra.get("aadsts") or default_aadsts
        if code is None and status == 405:
            status = 400
            message = f"The endpoint only accepts POST, OPTIONS requests. Received a {request.method} request."
        stream = entra.lab.rand.stream("entra.aad.trace-ids")
        trace_id = stream.uuid()
        correlation = (request.headers.get("client-request-id") or "")[:64] or stream.uuid()
        resp = aad_error(status, code or default_code, aadsts, message,
                         timestamp=aad_timestamp(entra.lab.clock.now()), trace_id=trace_id,
                         correlation_id=correlation)
        for k, v in (extra.get("headers") or {}).items():
            resp.headers[k] = v
        return resp

    return render


def _aad(status: int, error: str, aadsts: int, message: str) -> LabHTTPError:
    return LabHTTPError(status, message, error, aadsts=aadsts)


# -- the token endpoint, discovery and keys ---------------------------------------------------------

def _base() -> str:
    return request.host_url.rstrip("/")


def issuer_for(base: str, tenant_id: str) -> str:
    return f"{base}/{tenant_id}/v2.0"


def _require_tenant(entra, tenant: str, error: str = "invalid_request") -> None:
    if not entra.config.is_tenant(tenant):
        raise _aad(400, error, 90002,
                   f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                   "signing into the correct cloud. Check with your subscription administrator, this may "
                   "happen if there are no active subscriptions for the tenant.")


def _basic_credentials() -> tuple[str, str] | None:
    """Client id and secret from ``Authorization: Basic`` (RFC 6749 §2.3.1: form-encoded, then base64)."""
    header = request.headers.get("Authorization", "")
    if not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    client_id, secret = decoded.split(":", 1)
    return unquote_plus(client_id), unquote_plus(secret)


def _missing(name: str, status: int = 400, error: str = "invalid_request", aadsts: int = 900144):
    return _aad(status, error, aadsts, f"The request body must contain the following parameter: '{name}'.")


def _graph_scope(scope: str, tenant: str) -> None:
    """The scope of a client-credentials request must be exactly one resource's ``/.default``, and the
    only resource this lab knows is Microsoft Graph."""
    names = [s for s in scope.split() if s.lower() not in RESERVED_SCOPES]
    if not names:
        raise _missing("scope")
    if len(names) > 1:
        raise _aad(400, "invalid_scope", 70011,
                   f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not "
                   "valid. Client credential flows accept the /.default scope of a single resource.")
    name = names[0]
    if name in GRAPH_DEFAULT_SCOPES or name.lower() in GRAPH_DEFAULT_SCOPES:
        return
    if not name.endswith("/.default"):
        raise _aad(400, "invalid_scope", 70011,
                   f"The provided value for the input parameter 'scope' is not valid. The scope {name} is not "
                   "valid. Client credential flows must have a scope value with /.default suffixed to the "
                   "resource identifier (application ID URI).")
    resource = name[: -len("/.default")].rstrip("/")
    raise _aad(400, "invalid_resource", 500011,
               f"The resource principal named {resource} was not found in the tenant named {tenant}. This can "
               "happen if the application has not been installed by the administrator of the tenant or "
               "consented to by any user in the tenant. You might have sent your authentication request to "
               "the wrong tenant.")


def issue_token(entra, tenant: str) -> dict:
    """The client-credentials grant (RFC 6749 §4.4, Microsoft identity platform v2.0)."""
    config = entra.config
    _require_tenant(entra, tenant)
    form = request.form
    grant_type = form.get("grant_type", "").strip()
    if not grant_type:
        raise _missing("grant_type")
    if grant_type != "client_credentials":
        raise _aad(400, "unsupported_grant_type", 70003,
                   f"The app requested an unsupported grant type '{grant_type}'. This lab signs in "
                   "applications only (client_credentials).")
    basic = _basic_credentials()
    client_id, secret = basic if basic else (form.get("client_id", "").strip(), form.get("client_secret", ""))
    if not client_id:
        raise _missing("client_id")
    scope = form.get("scope", "")
    if not scope.strip():
        raise _missing("scope")
    client = config.client(client_id)
    if client is None:
        raise _aad(401, "invalid_client", 700016,
                   f"Application with identifier '{client_id}' was not found in the directory "
                   f"'{config.tenant_domain}'. This can happen if the application has not been installed by the "
                   "administrator of the tenant or consented to by any user in the tenant. You may have sent "
                   "your authentication request to the wrong tenant.")
    _graph_scope(scope, config.tenant_id)
    if not secret:
        raise _aad(401, "invalid_client", 7000218,
                   "The request body must contain the following parameter: 'client_assertion' or "
                   "'client_secret'.")
    if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
        raise _aad(401, "invalid_client", 7000215,
                   "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                   f"secret value, not the client secret ID, for a secret added to app '{client.client_id}'.")
    return {"token_type": "Bearer", "expires_in": config.token_lifetime,
            "ext_expires_in": config.token_lifetime, "access_token": mint_token(entra, client, _base())}


def mint_token(entra, client, base: str, **overrides) -> str:
    """A Graph access token for ``client`` (a ``RegisteredClient``) as the token endpoint issues it, with
    ``iss`` under ``base``; ``overrides`` replace claims (tests use it to forge audiences, lifetimes...)."""
    config = entra.config
    now = int(entra.lab.clock.timestamp())
    issuer = issuer_for(base.rstrip("/"), config.tenant_id)
    claims = {
        "aud": GRAPH_RESOURCE,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + config.token_lifetime,
        "app_displayname": client.display_name,
        "appid": client.client_id,
        "appidacr": "1",
        "azp": client.client_id,
        "azpacr": "1",
        "idp": issuer,
        "idtyp": "app",
        "oid": client.service_principal_id,
        "roles": list(client.roles),
        "sub": client.service_principal_id,
        "tid": config.tenant_id,
        "uti": entra.lab.rand.stream("entra.token-ids").token(16),
        "ver": "2.0",
    }
    claims.update(overrides)
    return entra.keys.sign(claims)


def openid_configuration(entra, tenant: str) -> dict:
    base = _base()
    tid = entra.config.tenant_id
    return {
        "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer_for(base, tid),
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles", "appid", "azp"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": urlparse(base).netloc,
        "cloud_graph_host_name": urlparse(base).netloc,
        "msgraph_host": urlparse(base).netloc,
    }


def auth_blueprint(entra) -> Blueprint:
    """``/{tenant}/oauth2/v2.0/token``, ``/{tenant}/v2.0/.well-known/openid-configuration`` and
    ``/{tenant}/discovery/v2.0/keys``; ``{tenant}`` is the tenant id or its domain name."""
    bp = Blueprint("entra_auth", __name__)
    no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}

    @bp.post("/<tenant>/oauth2/v2.0/token")
    def token(tenant: str):
        return json_response(issue_token(entra, tenant), headers=no_store)

    @bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
    def discovery(tenant: str):
        _require_tenant(entra, tenant, "invalid_tenant")
        return json_response(openid_configuration(entra, tenant))

    @bp.get("/<tenant>/discovery/v2.0/keys")
    def keys(tenant: str):
        _require_tenant(entra, tenant, "invalid_tenant")
        return json_response(entra.keys.jwks())

    return bp


# -- Graph's check of the bearer token --------------------------------------------------------------

def _graph_401(entra, message: str) -> LabHTTPError:
    challenge = (f'Bearer realm="", authorization_uri="{_base()}/{entra.config.tenant_id}/oauth2/authorize", '
                 f'client_id="{GRAPH_APP_ID}"')
    return LabHTTPError(401, message, "InvalidAuthenticationToken", headers={"WWW-Authenticate": challenge})


VALIDATION_FAILURE = "Access token validation failure."


def verify_graph_token(entra, token: str) -> dict:
    """The verified claims of a Graph access token, or a ``LabHTTPError`` 401 in Graph's words.

    Simulator choice: the issuer is checked by its tenant path (``/{tenantId}/v2.0``), not its host, so
    that a token stays valid whichever of the lab's host names (``localhost``, ``127.0.0.1``) the client
    used; lifetimes are checked against the virtual clock with no clock-skew allowance.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _graph_401(entra, f"{VALIDATION_FAILURE} The token is not a well-formed JWT.") from None
    if header.get("alg") != "RS256" or header.get("kid") != entra.keys.kid:
        raise _graph_401(entra, f"{VALIDATION_FAILURE} Invalid signature.")
    try:
        claims = jwt.decode(token, entra.keys.public_key(), algorithms=["RS256"],
                            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                     "verify_aud": False, "verify_iss": False})
    except jwt.InvalidSignatureError:
        raise _graph_401(entra, f"{VALIDATION_FAILURE} Invalid signature.") from None
    except jwt.PyJWTError:
        raise _graph_401(entra, VALIDATION_FAILURE) from None
    if claims.get("aud") not in (GRAPH_RESOURCE, f"{GRAPH_RESOURCE}/", GRAPH_APP_ID):
        raise _graph_401(entra, f"{VALIDATION_FAILURE} Invalid audience.")
    tid = entra.config.tenant_id
    iss = claims.get("iss")
    if (not isinstance(iss, str) or urlparse(iss).path != f"/{tid}/v2.0" or claims.get("tid") != tid):
        raise _graph_401(entra, f"{VALIDATION_FAILURE} Invalid issuer.")
    now = entra.lab.clock.timestamp()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or now >= exp:
        raise _graph_401(entra, "Lifetime validation failed, the token is expired.")
    if isinstance(nbf, (int, float)) and now < nbf:
        raise _graph_401(entra, "Lifetime validation failed, the token is not yet valid (nbf).")
    return claims


def check_graph_request(entra, permission: str | None) -> dict:
    """Graph's authorization of the current request (SPEC §3.1): 401 ``InvalidAuthenticationToken`` for a
    missing, garbled, foreign or expired token; 403 ``Authorization_RequestDenied`` when the token's
    ``roles`` do not grant ``permission``."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header or (scheme.lower() == "bearer" and not token):
        raise _graph_401(entra, "Access token is empty.")
    if scheme.lower() != "bearer":
        raise _graph_401(entra, f"{VALIDATION_FAILURE} The Authorization header must use the Bearer scheme.")
    claims = verify_graph_token(entra, token)
    if permission is not None:
        roles = claims.get("roles") if isinstance(claims.get("roles"), list) else []
        if not grants(roles, permission):
            raise LabHTTPError(403, "Insufficient privileges to complete the operation.",
                               "Authorization_RequestDenied")
    return claims
