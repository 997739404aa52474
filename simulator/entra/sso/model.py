"""Entra as a SAML 2.0 identity provider for its enterprise apps (SPEC §9). No Flask here: the views
parse requests and call the operations below; every refusal is an ``SsoError`` with its AADSTS code.

The GoToMeeting gallery app's Basic SAML configuration [doc: Microsoft Learn, "Microsoft Entra SSO
integration with GoToMeeting"]: Identifier ``https://authentication.logmeininc.com/saml/sp``, Reply URL
``https://authentication.logmeininc.com/saml/acs``, RelayState ``https://global.gotomeeting.com``, Sign on
URL blank; NameID ``user.userprincipalname`` in the emailAddress format; "Identifier of this application
is a fixed string value so only one instance can be configured in one tenant".

Simulator choices:

* Selecting SAML (``preferredSingleSignOnMode: "saml"``) pre-fills a gallery app's Identifier, its
  RelayState and, as its Reply URL, the lab GoToMeeting's ACS ``{gotomeeting}/saml/acs`` (standing in for
  ``https://authentication.logmeininc.com/saml/acs``, which the lab cannot reach), and creates the first
  signing certificate, as the portal does when SAML is chosen for a gallery app. Everything is editable.
* Users sign in with the password their ``passwordProfile`` set; users created without one (directory
  synchronisation: Faker and fixture tenants) with the lab's ``SYNCED_USER_PASSWORD``.
* A sign-in session (cookie) lasts 8 virtual hours; an SP-initiated request waits 15 virtual minutes for
  the sign-in. The user's state (enabled, assigned) is checked at every assertion, not only at sign-in.
* Refusals Entra publishes no code for use AADSTS75005 ("not a valid Saml2 protocol message") with the
  reason; an app whose single sign-on mode is not SAML answers AADSTS700016 to an AuthnRequest.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...core.clock import iso
from ...core.saml import NAMEID_EMAIL, NAMEID_FORMATS, SamlFormatError, b64decode, b64encode, parse_xml, redirect_decode
from ..apps.model import AppsError
from . import certificates
from .messages import (CLAIM, CLAIM_MS, ROLE_CLAIM, SIGNING_OPTIONS, AssertionInput, UnsupportedRequest,
                       build_metadata, build_response, read_authn_request)

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
GOTO_IDENTIFIER = "https://authentication.logmeininc.com/saml/sp"
GOTO_REPLY_URL = "https://authentication.logmeininc.com/saml/acs"
GOTO_RELAY_STATE = "https://global.gotomeeting.com"
#: The password of users created without a passwordProfile (seeded and fixture tenants).
SYNCED_USER_PASSWORD = "Lab-Passw0rd!2026"
SESSION_LIFETIME = timedelta(hours=8)
REQUEST_LIFETIME = timedelta(minutes=15)
MAX_PENDING = 10_000

#: NameID sources of the "Unique User Identifier" claim and the user property each reads.
NAME_ID_SOURCES = {"user.userprincipalname": "userPrincipalName", "user.mail": "mail",
                   "user.objectid": "id", "user.mailnickname": "mailNickname",
                   "user.employeeid": "employeeId"}
SINGLE_SIGN_ON_MODES = (None, "saml", "password", "oidc", "notSupported")


class SsoError(Exception):
    """A sign-in Entra refuses: the page shows ``AADSTS{code}: {message}``."""

    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(f"AADSTS{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class SsoConfigError(ValueError):
    """A configuration request that cannot be applied (Graph 400 ``Request_BadRequest``)."""


@dataclass
class SamlConfiguration:
    sp: Any
    mode: str | None = None
    identifiers: list[str] = field(default_factory=list)
    reply_urls: list[str] = field(default_factory=list)
    login_url: str | None = None
    logout_url: str | None = None
    relay_state: str | None = None
    name_id_source: str = "user.userprincipalname"
    name_id_format: str = NAMEID_EMAIL
    signing_option: str = "SignAssertion"
    certificates: list = field(default_factory=list)
    active_thumbprint: str | None = None

    @property
    def active_certificate(self):
        for cert in self.certificates:
            if cert.thumbprint == self.active_thumbprint:
                return cert
        return None

    def update_application_graph(self, graph: dict) -> None:
        graph["identifierUris"] = list(self.identifiers)
        graph["web"] = {**graph.get("web", {}), "redirectUris": list(self.reply_urls), "logoutUrl": self.logout_url}

    def update_service_principal_graph(self, graph: dict) -> None:
        graph["preferredSingleSignOnMode"] = self.mode
        graph["keyCredentials"] = [k for cert in self.certificates for k in cert.key_credentials()]
        graph["preferredTokenSigningKeyThumbprint"] = self.active_thumbprint
        graph["samlSingleSignOnSettings"] = {"relayState": self.relay_state} if self.mode == "saml" else None
        graph["loginUrl"] = self.login_url
        graph["replyUrls"] = list(self.reply_urls)
        names = [n for n in graph.get("servicePrincipalNames", []) if n not in self.identifiers]
        graph["servicePrincipalNames"] = names + list(self.identifiers)

    def settings(self) -> dict:
        """The portal's "Set up single sign-on with SAML" blade, as JSON."""
        return {
            "preferredSingleSignOnMode": self.mode,
            "basicSamlConfiguration": {"identifiers": list(self.identifiers), "replyUrls": list(self.reply_urls),
                                       "signOnUrl": self.login_url, "relayState": self.relay_state,
                                       "logoutUrl": self.logout_url},
            "attributesAndClaims": {"nameIdentifier": {"source": self.name_id_source,
                                                       "format": self.name_id_format}},
            "signingOption": self.signing_option,
            "signingCertificates": [{"thumbprint": c.thumbprint, "displayName": c.display_name,
                                     "startDateTime": iso(c.start), "endDateTime": iso(c.end),
                                     "keyId": c.key_id, "active": c.thumbprint == self.active_thumbprint}
                                    for c in self.certificates],
        }


@dataclass
class PendingSignIn:
    """A sign-in in progress: an SP-initiated request waiting for the user, or My Apps."""

    id: str
    kind: str  # "saml" | "passive" | "myapps" | "launch:{appId}" | "portal:{path}"
    created: datetime
    sp_id: str | None = None
    acs_url: str | None = None
    in_response_to: str | None = None
    relay_state: str | None = None
    force_authn: bool = False


@dataclass(frozen=True)
class SamlPost:
    """What the auto-submitting form posts: the HTTP-POST binding."""

    acs_url: str
    saml_response: str  # base64
    relay_state: str | None
    app_name: str


@dataclass(frozen=True)
class MyApp:
    sp_id: str
    app_id: str
    name: str
    roles: tuple[str, ...]
    saml: bool
    homepage: str | None


def _text_list(value: Any, name: str, limit: int = 100) -> list[str]:
    if not isinstance(value, list) or len(value) > limit or not all(isinstance(v, str) for v in value):
        raise SsoConfigError(f"Invalid value specified for property '{name}'.")
    return [v.strip() for v in value if v.strip()]


def _url(value: Any, name: str, *, allow_none: bool = True) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or len(value) > 2048 or not value.startswith(("https://", "http://")):
        raise SsoConfigError(f"Invalid value specified for property '{name}': an absolute http(s) URL is expected.")
    return value


class SingleSignOn:
    """The tenant's SAML IdP: configurations per service principal, sessions, sign-ins. Thread-safe."""

    def __init__(self, entra):
        self.entra = entra
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._configs: dict[str, SamlConfiguration] = {}
            self._sessions: dict[str, tuple[str, datetime]] = {}
            self._pending: dict[str, PendingSignIn] = {}

    def to_state(self) -> list[dict]:
        """The SAML configurations for ``GET /_admin/state`` (certificates by thumbprint, no keys)."""
        with self._lock:
            configs = [c for c in self._configs.values() if c.sp.id in self.entra.apps.service_principals]
        return [{"servicePrincipalId": c.sp.id, **c.settings()} for c in configs]

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def _clock(self):
        return self.entra.lab.clock

    def _stream(self, name: str):
        return self.entra.lab.rand.stream(f"entra.sso.{name}")

    def issuer(self) -> str:
        """The Microsoft Entra Identifier: ``https://sts.windows.net/{tenant}/`` [doc]."""
        return f"https://sts.windows.net/{self.entra.config.tenant_id}/"

    def urls(self, base_url: str) -> dict:
        """The blade's "Set up <app>" section: Login URL, Microsoft Entra Identifier, Logout URL."""
        tenant = self.entra.config.tenant_id
        return {"loginUrl": f"{base_url}/{tenant}/saml2", "microsoftEntraIdentifier": self.issuer(),
                "logoutUrl": f"{base_url}/{tenant}/saml2"}

    # -- configuration -----------------------------------------------------------------------------
    def configuration(self, sp_id: str) -> SamlConfiguration:
        sp = self.entra.apps.get_service_principal(sp_id)
        with self._lock:
            config = self._configs.get(sp.id)
            if config is None or config.sp is not sp:
                config = self._configs[sp.id] = SamlConfiguration(sp=sp)
                sp.sso = config
                sp.application.sso = config
            return config

    def _select_saml(self, config: SamlConfiguration) -> None:
        if config.sp.template.id == GOTOMEETING_TEMPLATE_ID:
            if not config.identifiers:
                config.identifiers = [GOTO_IDENTIFIER]
            if not config.reply_urls:
                config.reply_urls = [f"{self.entra.config.gotomeeting_url.rstrip('/')}/saml/acs"]
            if config.relay_state is None:
                config.relay_state = GOTO_RELAY_STATE
        if not config.certificates:
            self._add_certificate(config, certificates.DEFAULT_SUBJECT, None, activate=True)

    def update_service_principal(self, sp_id: str, body: dict) -> SamlConfiguration:
        """``PATCH /servicePrincipals/{id}``: preferredSingleSignOnMode, samlSingleSignOnSettings,
        preferredTokenSigningKeyThumbprint, loginUrl. All or nothing."""
        allowed = {"preferredSingleSignOnMode", "samlSingleSignOnSettings", "preferredTokenSigningKeyThumbprint",
                   "loginUrl"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise SsoConfigError(f"Property '{unknown[0]}' is not supported by this lab's servicePrincipal PATCH; "
                                 f"it accepts {', '.join(sorted(allowed))}.")
        config = self.configuration(sp_id)
        with self._lock:
            changes: dict[str, Any] = {}
            if "preferredSingleSignOnMode" in body:
                mode = body["preferredSingleSignOnMode"]
                if mode not in SINGLE_SIGN_ON_MODES:
                    raise SsoConfigError("Invalid value specified for property 'preferredSingleSignOnMode'; "
                                         "use saml, password, oidc, notSupported or null.")
                changes["mode"] = mode
            if "samlSingleSignOnSettings" in body:
                settings = body["samlSingleSignOnSettings"]
                if settings is not None and (not isinstance(settings, dict) or set(settings) - {"relayState"}):
                    raise SsoConfigError("Invalid value specified for property 'samlSingleSignOnSettings'.")
                relay = (settings or {}).get("relayState")
                if relay is not None and (not isinstance(relay, str) or len(relay) > 2048):
                    raise SsoConfigError("Invalid value specified for property 'samlSingleSignOnSettings.relayState'.")
                changes["relay_state"] = relay or None
            if "preferredTokenSigningKeyThumbprint" in body:
                thumb = body["preferredTokenSigningKeyThumbprint"]
                if not isinstance(thumb, str) or thumb.upper() not in {c.thumbprint for c in config.certificates}:
                    raise SsoConfigError("Invalid value specified for property 'preferredTokenSigningKeyThumbprint': "
                                         "no signing certificate of this service principal has that thumbprint.")
                changes["active_thumbprint"] = thumb.upper()
            if "loginUrl" in body:
                changes["login_url"] = _url(body["loginUrl"], "loginUrl")
            for name, value in changes.items():
                setattr(config, name, value)
            if config.mode == "saml":
                self._select_saml(config)
            return config

    def update_application(self, app_id: str, body: dict) -> SamlConfiguration:
        """``PATCH /applications/{id}``: ``identifierUris`` (Identifier), ``web.redirectUris`` (Reply URL),
        ``web.logoutUrl`` (Logout URL)."""
        allowed = {"identifierUris", "web"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise SsoConfigError(f"Property '{unknown[0]}' is not supported by this lab's application PATCH; "
                                 "it accepts identifierUris and web.")
        app = self.entra.apps.get_application(app_id)
        sp = next((s for s in self.entra.apps.list_service_principals() if s.application is app), None)
        if sp is None:
            raise SsoConfigError("The application has no service principal in this tenant.")
        config = self.configuration(sp.id)
        changes: dict[str, Any] = {}
        if "identifierUris" in body:
            identifiers = _text_list(body["identifierUris"], "identifierUris", 50)
            for value in identifiers:
                if len(value) > 2048 or "://" not in value and not value.startswith("urn:"):
                    raise SsoConfigError("Invalid value specified for property 'identifierUris': each Identifier "
                                         "is a URI.")
            with self._lock:
                for other in self._configs.values():
                    live = other.sp.id in self.entra.apps.service_principals
                    if other is not config and live and set(other.identifiers) & set(identifiers):
                        raise SsoConfigError("Another object with the same value for property identifierUris "
                                             "already exists.")
            changes["identifiers"] = identifiers
        if "web" in body:
            web = body["web"]
            if not isinstance(web, dict) or set(web) - {"redirectUris", "logoutUrl", "homePageUrl"}:
                raise SsoConfigError("Invalid value specified for property 'web'.")
            if "redirectUris" in web:
                changes["reply_urls"] = [_url(u, "web.redirectUris", allow_none=False)
                                         for u in _text_list(web["redirectUris"], "web.redirectUris", 256)]
            if "logoutUrl" in web:
                changes["logout_url"] = _url(web["logoutUrl"], "web.logoutUrl")
        with self._lock:
            for name, value in changes.items():
                setattr(config, name, value)
        return config

    def update_settings(self, sp_id: str, body: dict) -> SamlConfiguration:
        """The portal blade's edits that Graph has no plain property for: the NameID claim
        (``nameIdentifier: {"source", "format"}``) and the signing option."""
        allowed = {"nameIdentifier", "signingOption"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise SsoConfigError(f"Unknown setting '{unknown[0]}'; the blade accepts nameIdentifier and signingOption.")
        config = self.configuration(sp_id)
        changes: dict[str, Any] = {}
        if "nameIdentifier" in body:
            claim = body["nameIdentifier"]
            if not isinstance(claim, dict) or set(claim) - {"source", "format"}:
                raise SsoConfigError("nameIdentifier must be an object with 'source' and 'format'.")
            source = claim.get("source", config.name_id_source)
            fmt = claim.get("format", config.name_id_format)
            if not isinstance(source, str) or source not in NAME_ID_SOURCES:
                raise SsoConfigError(f"Unknown NameID source {source!r}; use one of {', '.join(NAME_ID_SOURCES)}.")
            if fmt not in NAMEID_FORMATS:
                raise SsoConfigError(f"Unknown NameID format {fmt!r}; use one of {', '.join(NAMEID_FORMATS)}.")
            changes.update(name_id_source=source, name_id_format=fmt)
        if "signingOption" in body:
            if body["signingOption"] not in SIGNING_OPTIONS:
                raise SsoConfigError(f"signingOption must be one of {', '.join(SIGNING_OPTIONS)}.")
            changes["signing_option"] = body["signingOption"]
        with self._lock:
            for name, value in changes.items():
                setattr(config, name, value)
        return config

    def add_token_signing_certificate(self, sp_id: str, body: dict):
        """``POST /servicePrincipals/{id}/addTokenSigningCertificate`` ``{"displayName", "endDateTime"}``:
        a new certificate, inactive until ``preferredTokenSigningKeyThumbprint`` names it (the first one
        is active at once)."""
        unknown = sorted(set(body) - {"displayName", "endDateTime"})
        if unknown:
            raise SsoConfigError(f"Property '{unknown[0]}' is not supported by addTokenSigningCertificate.")
        display_name = body.get("displayName", certificates.DEFAULT_SUBJECT)
        if not isinstance(display_name, str):
            raise SsoConfigError("Invalid value specified for property 'displayName'.")
        end = None
        if body.get("endDateTime") is not None:
            from ...core.saml import parse_instant

            end = parse_instant(body["endDateTime"])
            if end is None or end <= self._clock.now():
                raise SsoConfigError("Invalid value specified for property 'endDateTime': a future instant is "
                                     "expected.")
            if end > self._clock.now() + timedelta(days=3 * 365 + 1):
                raise SsoConfigError("The certificate can be valid for at most three years.")
        config = self.configuration(sp_id)
        with self._lock:
            if len(config.certificates) >= 10:
                raise SsoConfigError("A service principal holds at most 10 signing certificates.")
            return self._add_certificate(config, display_name, end, activate=not config.certificates)

    def _add_certificate(self, config: SamlConfiguration, display_name: str, end, *, activate: bool):
        try:
            cert = certificates.generate(self._stream(f"signing-keys.{config.sp.id}"), now=self._clock.now(),
                                         display_name=display_name, end=end)
        except ValueError as exc:
            raise SsoConfigError(f"Invalid value specified for property 'displayName': {exc}.") from None
        config.certificates.append(cert)
        if activate:
            config.active_thumbprint = cert.thumbprint
        return cert

    def certificate(self, sp_id: str, thumbprint: str | None = None):
        config = self.configuration(sp_id)
        if thumbprint is None:
            cert = config.active_certificate
        else:
            cert = next((c for c in config.certificates if c.thumbprint == thumbprint.upper()), None)
        if cert is None:
            raise SsoConfigError("The service principal has no such signing certificate; select SAML first.")
        return cert

    def metadata(self, sp_id: str, base_url: str) -> bytes:
        """The app's Federation Metadata XML (the App Federation Metadata URL serves the same)."""
        config = self.configuration(sp_id)
        active = config.active_certificate
        if active is None:
            raise SsoConfigError("The app has no SAML signing certificate yet; select SAML first.")
        ordered = [active] + [c for c in config.certificates if c is not active]
        urls = self.urls(base_url)
        descriptor_id = "_" + config.sp.id
        return build_metadata(entity_id=self.issuer(), descriptor_id=descriptor_id, sign_in_url=urls["loginUrl"],
                              sign_out_url=urls["logoutUrl"], certificates=ordered, signer=active)

    def by_app_id(self, app_id: str | None) -> SamlConfiguration | None:
        for sp in self.entra.apps.list_service_principals():
            if app_id and sp.app_id == app_id.lower():
                return self.configuration(sp.id)
        return None

    def _by_identifier(self, identifier: str) -> SamlConfiguration | None:
        with self._lock:
            for config in self._configs.values():
                if identifier in config.identifiers and config.sp.id in self.entra.apps.service_principals:
                    return config
        return None

    # -- users and sessions ------------------------------------------------------------------------
    def authenticate(self, login: str, password: str):
        """The user signing in, or ``SsoError`` (AADSTS50034 unknown or deleted, AADSTS50126 wrong
        password, AADSTS50057 disabled)."""
        directory = self.entra.directory
        login = (login or "").strip()
        user = directory.find_user(login) if login and "@" in login else None
        if user is None:
            raise SsoError(50034, f"The user account {{EmailHidden}} does not exist in the "
                                  f"'{self.entra.config.tenant_id}' directory. To sign into this application, the "
                                  "account must be added to the directory.", 400)
        verdict = directory.check_password(user.id, password)
        if verdict is None:
            verdict = password == SYNCED_USER_PASSWORD
        if not verdict:
            raise SsoError(50126, "Error validating credentials due to invalid username or password.", 400)
        self.check_enabled(user)
        return user

    @staticmethod
    def check_enabled(user) -> None:
        if not user.account_enabled:
            raise SsoError(50057, "The user account is disabled. The user object in Active Directory backing this "
                                  "account has been disabled. An admin can re-enable this account through the "
                                  "Microsoft Entra admin center.", 403)

    def start_session(self, user) -> str:
        sid = self._stream("sessions").token(32)
        with self._lock:
            self._sessions[sid] = (user.id, self._clock.now())
        return sid

    def end_session(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def session_user(self, sid: str | None):
        """The user a live session belongs to, or None (expired, unknown, or the user is gone)."""
        with self._lock:
            found = self._sessions.get(sid or "")
        if found is None:
            return None
        user_id, started = found
        if self._clock.now() - started >= SESSION_LIFETIME:
            self.end_session(sid)
            return None
        return self.entra.directory.find_user(user_id)

    # -- requests ------------------------------------------------------------------------------------
    def receive_authn_request(self, saml_request: str | None, relay_state: str | None, *,
                              binding: str, endpoint: str) -> PendingSignIn:
        """An AuthnRequest received at ``endpoint`` (HTTP-Redirect: deflated; HTTP-POST: base64)."""
        if not saml_request:
            raise SsoError(750054, "SAMLRequest or SAMLResponse must be present as query string parameters in "
                                   "HTTP request for SAML Redirect binding.", 400)
        if relay_state is not None and len(relay_state.encode()) > 80 * 10:
            raise SsoError(75005, "The request is not a valid Saml2 protocol message: RelayState is too long.")
        try:
            raw = redirect_decode(saml_request) if binding == "redirect" else b64decode(saml_request, "SAMLRequest")
            request = read_authn_request(parse_xml(raw))
        except SamlFormatError as exc:
            raise SsoError(75005, f"The request is not a valid Saml2 protocol message: {exc}.") from None
        except UnsupportedRequest as exc:
            raise SsoError(75005, f"The request is not a valid Saml2 protocol message: {exc}.") from None
        config = self._by_identifier(request.issuer)
        tenant = self.entra.config.tenant_id
        if config is None or config.mode != "saml":
            raise SsoError(700016, f"Application with identifier '{request.issuer}' was not found in the directory "
                                   f"'{tenant}'. This can happen if the application has not been installed by the "
                                   "administrator of the tenant or consented to by any user in the tenant. You may "
                                   "have sent your authentication request to the wrong tenant.")
        if request.destination is not None and request.destination != endpoint:
            raise SsoError(75005, "The request is not a valid Saml2 protocol message: its Destination "
                                  f"'{request.destination}' is not this endpoint.")
        acs = request.acs_url or (config.reply_urls[0] if config.reply_urls else None)
        if acs is None or acs not in config.reply_urls:
            raise SsoError(50011, f"The redirect URI '{acs or ''}' specified in the request does not match the "
                                  f"redirect URIs configured for the application '{config.sp.app_id}'. Make sure "
                                  "the redirect URI sent in the request matches one added to your application in "
                                  "the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn "
                                  "more about how to fix this.")
        pending = PendingSignIn(id=self._stream("requests").hex(16), kind="saml", created=self._clock.now(),
                                sp_id=config.sp.id, acs_url=acs, in_response_to=request.id,
                                relay_state=relay_state, force_authn=request.force_authn)
        self._remember(pending)
        if request.is_passive:
            pending.kind = "passive"
        return pending

    def begin(self, kind: str, sp_id: str | None = None) -> PendingSignIn:
        pending = PendingSignIn(id=self._stream("requests").hex(16), kind=kind, created=self._clock.now(),
                                sp_id=sp_id)
        self._remember(pending)
        return pending

    def _remember(self, pending: PendingSignIn) -> None:
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[pending.id] = pending

    def pending(self, ctx: str | None) -> PendingSignIn:
        with self._lock:
            found = self._pending.get(ctx or "")
        if found is None or self._clock.now() - found.created > REQUEST_LIFETIME:
            raise SsoError(50089, "Authentication failed due to flow token expired: the sign-in request is "
                                  "unknown or has expired; start the sign-in again from the application.", 400)
        return found

    def finish(self, pending: PendingSignIn) -> None:
        with self._lock:
            self._pending.pop(pending.id, None)

    # -- assignments and assertions ------------------------------------------------------------------
    def assigned_roles(self, sp, user) -> list | None:
        """The app roles the user holds in ``sp`` directly or through a group it is a direct member of;
        None when it has no assignment at all."""
        apps = self.entra.apps
        principals = [user.id] + [g.id for g in self.entra.directory.list_member_of(user.id)]
        roles = []
        found = False
        for principal in principals:
            for assignment in apps.assignments_of_principal(principal):
                if assignment.resource_id == sp.id:
                    found = True
                    role = sp.app_role(assignment.app_role_id)
                    if role is not None and role not in roles:
                        roles.append(role)
        return roles if found else None

    def my_apps(self, user) -> list[MyApp]:
        out = []
        for sp in self.entra.apps.list_service_principals():
            roles = self.assigned_roles(sp, user)
            if roles is None:
                continue
            config = sp.sso
            out.append(MyApp(sp_id=sp.id, app_id=sp.app_id, name=sp.display_name,
                             roles=tuple(r.portal_display_name for r in roles),
                             saml=config is not None and config.mode == "saml",
                             homepage=sp.template.graph.get("homePageUrl")))
        return out

    def issue(self, sp_id: str, user, *, acs_url: str | None = None, in_response_to: str | None = None,
              relay_state: str | None = None) -> SamlPost:
        """The signed SAMLResponse for ``user`` to ``sp_id``'s Reply URL (IdP-initiated when
        ``in_response_to`` is None: the configured RelayState goes along)."""
        try:
            sp = self.entra.apps.get_service_principal(sp_id)
        except AppsError:
            raise SsoError(700016, f"Application '{sp_id}' was not found in the directory "
                                   f"'{self.entra.config.tenant_id}'.") from None
        config = self.configuration(sp.id)
        if config.mode != "saml":
            raise SsoError(700016, f"Application '{sp.app_id}' ({sp.display_name}) is not configured for SAML "
                                   "single sign-on in this directory.")
        current = self.entra.directory.find_user(user.id)
        if current is None:
            raise SsoError(50034, f"The user account {{EmailHidden}} does not exist in the "
                                  f"'{self.entra.config.tenant_id}' directory.", 400)
        self.check_enabled(current)
        roles = self.assigned_roles(sp, current)
        if roles is None and sp.app_role_assignment_required:
            raise SsoError(50105, f"Your administrator has configured the application {sp.display_name} "
                                  f"('{sp.app_id}') to block users unless they are specifically granted ('assigned') "
                                  "access to the application. The signed in user '{EmailHidden}' is blocked because "
                                  "they are not a direct member of a group with access, nor had access directly "
                                  "assigned by an administrator. Please contact your administrator to assign access "
                                  "to this application.", 403)
        acs = acs_url or (config.reply_urls[0] if config.reply_urls else None)
        if acs is None or acs not in config.reply_urls:
            raise SsoError(50011, f"The reply URL '{acs or ''}' specified in the request does not match the reply "
                                  f"URLs configured for the application '{sp.app_id}'.")
        if not config.identifiers:
            raise SsoError(75005, "The application has no Identifier (Entity ID) in its Basic SAML Configuration.")
        certificate = config.active_certificate
        name_id = current.get(NAME_ID_SOURCES[config.name_id_source]) or ""
        if not name_id:
            raise SsoError(50177, f"The NameID source {config.name_id_source} of this user is empty.")
        ids = self._stream("ids")
        now = self._clock.now()
        attributes = [
            (CLAIM_MS + "tenantid", [self.entra.config.tenant_id]),
            (CLAIM_MS + "objectidentifier", [current.id]),
            (CLAIM_MS + "displayname", [current.display_name]),
            (CLAIM_MS + "identityprovider", [self.issuer()]),
            (CLAIM_MS + "authnmethodsreferences", ["http://schemas.microsoft.com/ws/2008/06/identity/"
                                                   "authenticationmethod/password"]),
            (CLAIM + "givenname", [current.get("givenName")]),
            (CLAIM + "surname", [current.get("surname")]),
            (CLAIM + "emailaddress", [current.get("mail")]),
            (CLAIM + "name", [current.user_principal_name]),
        ]
        role_values = [r.value for r in roles or [] if r.value]
        if role_values:
            attributes.append((ROLE_CLAIM, role_values))
        attributes = [(n, [v for v in vs if v]) for n, vs in attributes if any(vs)]
        xml = build_response(AssertionInput(
            issuer=self.issuer(), audience=config.identifiers[0], destination=acs, name_id=name_id,
            name_id_format=config.name_id_format, attributes=attributes, now=now,
            response_id="_" + ids.uuid(), assertion_id="_" + ids.uuid(), session_index="_" + ids.uuid(),
            in_response_to=in_response_to, signing_option=config.signing_option), certificate)
        if in_response_to is None and relay_state is None:
            relay_state = config.relay_state
        return SamlPost(acs_url=acs, saml_response=b64encode(xml), relay_state=relay_state,
                        app_name=sp.display_name)
