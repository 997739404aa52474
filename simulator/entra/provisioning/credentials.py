"""The provisioning job's credentials for its target: a static Secret Token (non-gallery ``scim``
template) or GoTo OAuth tokens stored by Authorize (``gotomeeting`` template), refreshed before they
expire (SPEC §3.5 step 4: when the access token expires within five minutes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from ...core.clock import iso
from ...core.journal import decode_body
from ...core.redact import REDACTED

REFRESH_MARGIN = timedelta(minutes=5)
#: GoTo's access tokens live an hour unless the token response says otherwise.
DEFAULT_EXPIRES_IN = 3600
#: Internal secret (not settable through Graph): the ``expires_in`` of the stored access token.
EXPIRES_IN_KEY = "Oauth2AccessTokenExpiresIn"


class CredentialError(Exception):
    """The target's credentials are unusable (refresh failed, nothing stored): quarantine material."""


@dataclass
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int


def uses_oauth(sp) -> bool:
    return sp.synchronization_template_id == "gotomeeting"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def token_secrets(tokens: OAuthTokens, now: datetime) -> dict[str, str]:
    out = {"Oauth2AccessToken": tokens.access_token, "Oauth2AccessTokenCreationTime": iso(now),
           EXPIRES_IN_KEY: str(tokens.expires_in)}
    if tokens.refresh_token:
        out["Oauth2RefreshToken"] = tokens.refresh_token
    return out


def exchange(sync, token_uri: str, form: dict[str, str]) -> OAuthTokens:
    """POST to GoTo's token endpoint with HTTP Basic client authentication; journaled, redacted."""
    config = sync.entra.config
    auth = (config.gotomeeting_client_id, config.gotomeeting_client_secret)
    verify = sync.settings.get("targetCaBundle") or True
    error = None
    status = None
    text = ""
    try:
        resp = requests.post(token_uri, data=form, auth=auth, timeout=sync.settings["targetTimeoutSeconds"],
                             verify=verify, allow_redirects=False)
        status, text = resp.status_code, resp.text
    except requests.exceptions.RequestException as exc:
        error = str(exc).splitlines()[0][:300]
    sync.entra.journal.record(direction="outbound", method="POST", path=token_uri, url=token_uri,
                              headers={"Authorization": f"Basic {REDACTED}",
                                       "Content-Type": "application/x-www-form-urlencoded"},
                              body={k: (REDACTED if k in ("code", "refresh_token") else v) for k, v in form.items()},
                              status=status, response_body=decode_body(text, "application/json"), error=error)
    if error is not None:
        raise CredentialError(f"The token endpoint {token_uri} could not be reached: {error}")
    try:
        payload = resp.json()
    except ValueError:
        payload = None
    if status != 200 or not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        detail = payload.get("error") if isinstance(payload, dict) else (text[:200] or "no body")
        raise CredentialError(f"The token endpoint answered HTTP {status}: {detail}")
    expires_in = payload.get("expires_in")
    return OAuthTokens(payload["access_token"], payload.get("refresh_token"),
                       int(expires_in) if isinstance(expires_in, (int, float)) else DEFAULT_EXPIRES_IN)


def bearer_token(sync, sp_id: str, secrets: dict[str, str], *, persist: bool = True) -> str | None:
    """The bearer token to send, refreshing GoTo's OAuth token first when it expires within 5 minutes.

    Raises ``CredentialError`` when no usable token can be had.
    """
    sp = sync.service_principal(sp_id)
    if not uses_oauth(sp):
        return secrets.get("SecretToken") or None
    access = secrets.get("Oauth2AccessToken")
    if not access:
        raise CredentialError("No GoToMeeting access token is stored: click Authorize first.")
    created = parse_time(secrets.get("Oauth2AccessTokenCreationTime"))
    expires_in = int(secrets.get(EXPIRES_IN_KEY) or DEFAULT_EXPIRES_IN)
    now = sync.entra.lab.clock.now()
    if created is not None and created + timedelta(seconds=expires_in) - now > REFRESH_MARGIN:
        return access
    refresh = secrets.get("Oauth2RefreshToken")
    if not refresh:
        raise CredentialError("The GoToMeeting access token expired and no refresh token is stored.")
    token_uri = secrets.get("Oauth2TokenExchangeUri")
    if not token_uri:
        raise CredentialError("No OAuth token exchange URI is configured.")
    tokens = exchange(sync, token_uri, {"grant_type": "refresh_token", "refresh_token": refresh})
    fresh = token_secrets(tokens, now)
    if persist:
        sync.store_secrets(sp_id, fresh)
    secrets.update(fresh)
    return tokens.access_token
