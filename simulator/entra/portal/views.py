"""The portal's **Authorize** button (SPEC §3.5).

1. ``GET /portal/servicePrincipals/{spId}/provisioning/authorize[?jobId=…]`` redirects the popup to
   GoToMeeting's ``/oauth/authorize`` with Entra's client id, ``response_type=code``, the redirect URI
   ``{entra}/portal/TokenAuthorize`` and a ``state`` that is opaque, signed (HMAC-SHA256 with a key from
   the seeded source), single use, and binds the service principal (and job).
2. GoTo signs the admin in and redirects back with ``code`` + ``state`` (or ``error``).
3. ``GET /portal/TokenAuthorize`` exchanges the code at GoTo's token endpoint with HTTP Basic client
   authentication, stores the tokens as the service principal's synchronization secrets, and answers a
   small HTML page. A missing, forged, expired or replayed ``state`` is a 400 page.

Simulator choice: a state lives 15 virtual minutes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import threading
from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from flask_babel import gettext as _

from ...core import pages
from ..provisioning.credentials import CredentialError, exchange, token_secrets
from ..sync.model import SyncError

STATE_LIFETIME = timedelta(minutes=15)


def page(title: str, message: str, status: int = 200, *, authorized: bool = False) -> Response:
    """The popup's page in the admin center's layout. ``authorized``: GoTo's tokens are stored (the page
    tells the Provisioning page that opened it, and closes itself)."""
    # escaped here with html.escape, as the page always was (quotes as &#x27;); the template prints it as is
    return pages.page("portal/token_authorize.html", status, title=title, escaped_message=html.escape(message),
                      authorized=authorized)


def render_portal_error(status: int, message: str, code, extra: dict) -> Response:
    resp = page(_("Microsoft Entra ID"), message, status)
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp


class StateSigner:
    def __init__(self, entra):
        self.entra = entra
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._key = self.entra.lab.rand.stream("entra.portal.state-key").bytes(32)
            self._used: set[str] = set()

    def issue(self, sp_id: str, job_id: str | None) -> str:
        nonce = self.entra.lab.rand.stream("entra.portal.state").hex(12)
        payload = {"sp": sp_id, "job": job_id, "n": nonce, "t": self.entra.lab.clock.now().timestamp()}
        raw = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=")
        sig = base64.urlsafe_b64encode(hmac.new(self._key, raw, hashlib.sha256).digest()).rstrip(b"=")
        return f"{raw.decode()}.{sig.decode()}"

    def redeem(self, state: str | None) -> dict:
        """The state's payload, once; ``ValueError`` with the reason otherwise."""
        if not state or state.count(".") != 1:
            raise ValueError(_("The state parameter is missing or malformed."))
        raw, sig = state.split(".")
        expected = base64.urlsafe_b64encode(hmac.new(self._key, raw.encode(), hashlib.sha256).digest()).rstrip(b"=")
        if not hmac.compare_digest(expected, sig.encode()):
            raise ValueError(_("The state parameter was not issued by this portal."))
        payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        with self._lock:
            if payload["n"] in self._used:
                raise ValueError(_("The state parameter was already used; start the authorization again."))
            self._used.add(payload["n"])
        age = self.entra.lab.clock.now().timestamp() - payload["t"]
        if age > STATE_LIFETIME.total_seconds():
            raise ValueError(_("The authorization took too long; start it again."))
        return payload


def portal_blueprint(entra) -> Blueprint:
    bp = Blueprint("entra_portal", __name__, url_prefix="/portal")
    sync = entra.sync
    signer = entra.portal_state

    def callback_url() -> str:
        return f"{request.host_url}portal/TokenAuthorize"

    @bp.get("/servicePrincipals/<sp_id>/provisioning/authorize")
    def authorize(sp_id):
        job_id = request.args.get("jobId") or None
        try:
            sp = sync.service_principal(sp_id)
            if job_id is not None:
                sync.get_job(sp_id, job_id)
        except SyncError as exc:
            return page(_("Authorization failed"), exc.message, exc.status)
        if sp.synchronization_template_id != "gotomeeting":
            return page(_("Authorization failed"), _("This application uses a Secret Token, not Authorize."), 400)
        secrets = sync.secrets(sp_id)
        query = urlencode({"client_id": entra.config.gotomeeting_client_id, "response_type": "code",
                           "redirect_uri": callback_url(), "state": signer.issue(sp_id, job_id)})
        return redirect(f"{secrets['Oauth2AuthorizationUri']}?{query}", 302)

    @bp.get("/TokenAuthorize")
    def token_authorize():
        try:
            state = signer.redeem(request.args.get("state"))
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            return page(_("Authorization failed"), str(exc) if isinstance(exc, ValueError) else
                        _("The state parameter is malformed."), 400)
        error = request.args.get("error")
        if error:
            description = request.args.get("error_description") or ""
            answered = _("GoToMeeting answered '%(error)s'", error=error)
            return page(_("Authorization failed"), answered + (f": {description}" if description else "."), 400)
        code = request.args.get("code")
        if not code:
            return page(_("Authorization failed"), _("GoToMeeting returned neither a code nor an error."), 400)
        sp_id = state["sp"]
        try:
            secrets = sync.secrets(sp_id)
            tokens = exchange(sync, secrets["Oauth2TokenExchangeUri"],
                              {"grant_type": "authorization_code", "code": code, "redirect_uri": callback_url()})
        except SyncError as exc:
            return page(_("Authorization failed"), exc.message, exc.status)
        except CredentialError as exc:
            return page(_("Authorization failed"), _("GoToMeeting refused the authorization code.") + f" {exc}", 400)
        sync.store_secrets(sp_id, token_secrets(tokens, entra.lab.clock.now()))
        return page(_("Authorization succeeded"), _("You can close this window."), authorized=True)

    return bp
