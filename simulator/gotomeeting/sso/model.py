"""GoTo as a SAML 2.0 service provider (SPEC §9): the account's Identity Provider settings and the
Assertion Consumer Service. No Flask here; the views call ``configure``, ``start_sign_in``, ``consume``.

[doc: Microsoft's GoToMeeting SSO tutorial; GoTo's SAML guide] GoTo's entity ID is
``https://authentication.logmeininc.com/saml/sp`` and its ACS ``https://authentication.logmeininc.com/saml/acs``;
the Identity Provider is set up in the Organization Center either manually (sign-in page URL, sign-out
page URL, IdP entity ID, verification certificate) or automatically from a metadata URL.

Simulator choices (GoTo does not publish its validation rules; these are what a careful SP does):

* The lab GoTo's ACS is ``{gotomeeting}/saml/acs`` (the URL the request arrived at); its entity ID is
  GoTo's real one.
* Just-in-time provisioning is off: the account's users come from provisioning, so a NameID without a
  GoTo user is "account not found"; a suspended user is refused.
* The ACS accepts a signature on the Response, on the Assertion, or both; each present signature must
  verify with an uploaded verification certificate (RSA-SHA256 or stronger, exactly one reference to the
  element that carries it) and its ``KeyInfo`` must carry that same certificate. Everything after the
  signature check reads only the signed XML (the element the signature covers, re-parsed), and the
  document must hold exactly one Assertion, directly in the Response: wrapped or duplicated assertions
  are refused. No clock skew is allowed (the lab has one clock). An unsolicited response (IdP-initiated,
  no ``InResponseTo``) is accepted; an ``InResponseTo`` must name an AuthnRequest this account sent in
  the last 15 minutes and not yet answered. An assertion ID is remembered until its ``NotOnOrAfter``: a
  second use is a replay.
* "SSO required" makes the account's verified domains sign in through the identity provider only: the
  password sign-in page refuses them.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from lxml import etree

from ...core.clock import iso
from ...core.saml import (BINDING_POST, BINDING_REDIRECT, CM_BEARER, DS, MD, NAMEID_EMAIL, NAMEID_UNSPECIFIED, NS,
                          SAML, SAMLP, STATUS_SUCCESS, DerCertificate, SamlFormatError, SignatureInvalid, b64decode,
                          children, first_child, load_certificate, parse_instant, parse_xml, redirect_encode,
                          saml_instant, text_of, thumbprint, verify_enveloped)

SP_ENTITY_ID = "https://authentication.logmeininc.com/saml/sp"
ACS_PATH = "/saml/acs"
REQUEST_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MAX_CERTIFICATES = 5


class SsoSettingsError(ValueError):
    """A settings request that cannot be applied (400 in the admin API's envelope); ``field`` names the
    settings field at fault (``signInUrl``, ``certificates``...), None when it is the request as a whole."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AcsRefusal(Exception):
    """A sign-in GoTo refuses: ``reason`` is a short machine-readable code, ``message`` the page's text."""

    def __init__(self, reason: str, message: str, status: int = 403, *, name_id: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.name_id = name_id


@dataclass(frozen=True)
class TrustedCertificate(DerCertificate):
    der: bytes
    subject: str
    not_after: datetime

    def to_json(self) -> dict:
        return {"thumbprint": self.thumbprint, "subject": self.subject, "notAfter": iso(self.not_after)}


def trusted(text: Any) -> TrustedCertificate:
    if not isinstance(text, str) or not text.strip() or len(text) > 64 * 1024:
        raise SsoSettingsError("certificate must be a PEM or base64 DER X.509 certificate", "certificates")
    from cryptography.hazmat.primitives import serialization

    try:
        cert = load_certificate(text)
    except SamlFormatError as exc:
        raise SsoSettingsError(str(exc), "certificates") from None
    return TrustedCertificate(der=cert.public_bytes(serialization.Encoding.DER), subject=cert.subject.rfc4514_string(),
                              not_after=cert.not_valid_after_utc)


@dataclass
class IdentityProvider:
    mode: str | None = None  # "manual" | "automatic"
    sign_in_url: str | None = None
    sign_out_url: str | None = None
    entity_id: str | None = None
    certificates: list[TrustedCertificate] = field(default_factory=list)
    metadata_url: str | None = None
    metadata_read: datetime | None = None
    sso_required: bool = False

    def to_json(self) -> dict:
        return {"mode": self.mode, "signInUrl": self.sign_in_url, "signOutUrl": self.sign_out_url,
                "entityId": self.entity_id, "certificates": [c.to_json() for c in self.certificates],
                "metadataUrl": self.metadata_url,
                "metadataRead": iso(self.metadata_read) if self.metadata_read else None,
                "ssoRequired": self.sso_required,
                "serviceProvider": {"entityId": SP_ENTITY_ID, "acsPath": ACS_PATH}}


@dataclass(frozen=True)
class SignIn:
    user: Any
    session_id: str
    relay_state: str | None
    assertion_id: str
    sp_initiated: bool


def _url(value: Any, name: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 2048 or urlsplit(value).scheme not in ("http", "https") \
            or not urlsplit(value).netloc:
        raise SsoSettingsError(f"{name} must be an absolute http(s) URL", name)
    return value


def read_idp_metadata(raw: bytes) -> dict:
    """entity ID, sign-in (Redirect binding) and sign-out URLs and signing certificates of an IdP's
    metadata; ``SsoSettingsError`` when it has none of that."""
    try:
        root = parse_xml(raw)
    except SamlFormatError as exc:
        raise SsoSettingsError(f"the metadata is not usable: {exc}") from None
    if root.tag == MD + "EntitiesDescriptor":
        found = children(root, MD + "EntityDescriptor")
        root = found[0] if found else root
    if root.tag != MD + "EntityDescriptor":
        raise SsoSettingsError("the metadata has no EntityDescriptor")
    idp = first_child(root, MD + "IDPSSODescriptor")
    if idp is None:
        raise SsoSettingsError("the metadata describes no identity provider (IDPSSODescriptor)")
    sign_in = [s.get("Location") for s in children(idp, MD + "SingleSignOnService")
               if s.get("Binding") == BINDING_REDIRECT]
    sign_out = [s.get("Location") for s in children(idp, MD + "SingleLogoutService")]
    certs = []
    for key in children(idp, MD + "KeyDescriptor"):
        if key.get("use") not in (None, "signing"):
            continue
        for node in key.iter(DS + "X509Certificate"):
            certs.append(trusted(node.text or ""))
    if not root.get("entityID") or not sign_in or not certs:
        raise SsoSettingsError("the metadata lacks the entity ID, a Redirect SingleSignOnService or a signing "
                               "certificate")
    return {"entityId": root.get("entityID"), "signInUrl": sign_in[0], "signOutUrl": sign_out[0] if sign_out else None,
            "certificates": certs}


class ServiceProvider:
    """The account's SAML settings, outstanding requests, seen assertions and sessions. Thread-safe."""

    def __init__(self, goto, fetch=None):
        self.goto = goto
        #: A CA bundle the metadata URL's certificate is verified with (``serve --tls``: the lab's CA);
        #: None trusts the system's CAs.
        self.ca_bundle: str | None = None
        self.fetch = fetch or (lambda url: _fetch(url, self.ca_bundle))
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.idp = IdentityProvider()
            self._requests: dict[str, datetime] = {}
            self._seen: dict[str, datetime] = {}
            self._sessions: dict[str, tuple[str, datetime]] = {}

    @property
    def _clock(self):
        return self.goto.lab.clock

    def _stream(self, name: str):
        return self.goto.lab.rand.stream(f"gotomeeting.sso.{name}")

    # -- settings -------------------------------------------------------------------------------
    def settings(self) -> dict:
        with self._lock:
            return self.idp.to_json()

    def configure(self, body: dict) -> dict:
        """``PUT`` of the Identity Provider settings: ``{"mode": "manual", "signInUrl", "signOutUrl"?,
        "entityId", "certificates"?: [PEM…], "ssoRequired"?}`` or ``{"mode": "automatic", "metadataUrl",
        "ssoRequired"?}``; ``{"mode": null}`` removes the identity provider."""
        mode = body.get("mode")
        allowed = {"manual": {"mode", "signInUrl", "signOutUrl", "entityId", "certificates", "ssoRequired"},
                   "automatic": {"mode", "metadataUrl", "ssoRequired"}, None: {"mode", "ssoRequired"}}
        if not (mode is None or isinstance(mode, str)) or mode not in allowed:
            raise SsoSettingsError("mode must be 'manual', 'automatic' or null")
        unknown = sorted(set(body) - allowed[mode])
        if unknown:
            raise SsoSettingsError(f"unknown field '{unknown[0]}' for mode {mode!r}")
        required = body.get("ssoRequired", False)
        if not isinstance(required, bool):
            raise SsoSettingsError("ssoRequired must be true or false", "ssoRequired")
        idp = IdentityProvider(mode=mode, sso_required=required)
        if mode == "manual":
            idp.sign_in_url = _url(body.get("signInUrl"), "signInUrl", required=True)
            idp.sign_out_url = _url(body.get("signOutUrl"), "signOutUrl", required=False)
            entity = body.get("entityId")
            if not isinstance(entity, str) or not entity.strip() or len(entity) > 1024:
                raise SsoSettingsError("entityId must be the identity provider's entity ID", "entityId")
            idp.entity_id = entity.strip()
            certs = body.get("certificates", [])
            if not isinstance(certs, list) or len(certs) > MAX_CERTIFICATES:
                raise SsoSettingsError(f"certificates must be a list of at most {MAX_CERTIFICATES} certificates",
                                       "certificates")
            idp.certificates = _unique([trusted(c) for c in certs])
        elif mode == "automatic":
            idp.metadata_url = _url(body.get("metadataUrl"), "metadataUrl", required=True)
            self._apply_metadata(idp)
        elif required:
            raise SsoSettingsError("ssoRequired needs an identity provider", "ssoRequired")
        with self._lock:
            self.idp = idp
            return idp.to_json()

    def refresh_metadata(self) -> dict:
        with self._lock:
            idp = self.idp
        if idp.mode != "automatic":
            raise SsoSettingsError("the identity provider is not configured automatically")
        self._apply_metadata(idp)
        return self.settings()

    def _apply_metadata(self, idp: IdentityProvider) -> None:
        try:
            raw = self.fetch(idp.metadata_url)
        except OSError as exc:
            raise SsoSettingsError(f"the metadata URL could not be read: {exc}", "metadataUrl") from None
        try:
            found = read_idp_metadata(raw)
        except SsoSettingsError as exc:
            raise SsoSettingsError(str(exc), "metadataUrl") from None
        idp.entity_id, idp.sign_in_url = found["entityId"], found["signInUrl"]
        idp.sign_out_url, idp.certificates = found["signOutUrl"], _unique(found["certificates"])[:MAX_CERTIFICATES]
        idp.metadata_read = self._clock.now()

    def add_certificate(self, text: Any) -> dict:
        cert = trusted(text)
        with self._lock:
            if self.idp.mode is None:
                raise SsoSettingsError("configure the identity provider first")
            if cert.thumbprint not in {c.thumbprint for c in self.idp.certificates}:
                if len(self.idp.certificates) >= MAX_CERTIFICATES:
                    raise SsoSettingsError(f"at most {MAX_CERTIFICATES} verification certificates", "certificates")
                self.idp.certificates.append(cert)
            return self.idp.to_json()

    def remove_certificate(self, thumbprint: str) -> dict:
        with self._lock:
            kept = [c for c in self.idp.certificates if c.thumbprint != thumbprint.upper()]
            if len(kept) == len(self.idp.certificates):
                raise LookupError(f"no verification certificate with thumbprint {thumbprint}")
            self.idp.certificates = kept
            return self.idp.to_json()

    def password_sign_in_blocked(self, email: str) -> bool:
        """Whether "SSO required" forbids ``email`` the password sign-in (a verified domain)."""
        with self._lock:
            if not self.idp.sso_required or not isinstance(email, str):
                return False
        return email.rpartition("@")[2].lower() in self.goto.account.verified_domains

    # -- SP-initiated ----------------------------------------------------------------------------
    def start_sign_in(self, email: str, acs_url: str) -> str:
        """The URL that sends the browser to the identity provider with an AuthnRequest (HTTP-Redirect
        binding). ``AcsRefusal`` when the account has no identity provider or the domain is not verified."""
        with self._lock:
            idp = self.idp
        if idp.mode is None or not idp.sign_in_url:
            raise AcsRefusal("not_configured", "Single sign-on is not set up for this account.", 400)
        email = (email or "").strip()
        if "@" not in email or email.rpartition("@")[2].lower() not in self.goto.account.verified_domains:
            raise AcsRefusal("domain", f"'{email}' is not in a verified domain of this account, so it cannot "
                                       "sign in with the company's identity provider.", 400)
        now = self._clock.now()
        request_id = "GOTO_" + self._stream("requests").hex(16)
        root = etree.Element(SAMLP + "AuthnRequest", {
            "ID": request_id, "Version": "2.0", "IssueInstant": saml_instant(now), "Destination": idp.sign_in_url,
            "AssertionConsumerServiceURL": acs_url, "ProtocolBinding": BINDING_POST},
            nsmap={"samlp": NS["samlp"], "saml": NS["saml"]})
        etree.SubElement(root, SAML + "Issuer").text = SP_ENTITY_ID
        etree.SubElement(root, SAMLP + "NameIDPolicy", {"Format": NAMEID_EMAIL, "AllowCreate": "true"})
        with self._lock:
            self._prune(now)
            self._requests[request_id] = now + REQUEST_LIFETIME
        relay = self._stream("relay").hex(12)
        query = urlencode({"SAMLRequest": redirect_encode(etree.tostring(root)), "RelayState": relay})
        separator = "&" if "?" in idp.sign_in_url else "?"
        return f"{idp.sign_in_url}{separator}{query}"

    def _prune(self, now: datetime) -> None:
        self._requests = {k: v for k, v in self._requests.items() if v > now}
        self._seen = {k: v for k, v in self._seen.items() if v > now}
        self._sessions = {k: v for k, v in self._sessions.items() if now - v[1] < SESSION_LIFETIME}

    # -- the ACS ---------------------------------------------------------------------------------
    def consume(self, saml_response: str | None, relay_state: str | None, acs_url: str) -> SignIn:
        now = self._clock.now()
        with self._lock:
            idp = self.idp
        if idp.mode is None:
            raise AcsRefusal("not_configured", "Single sign-on is not set up for this account.", 400)
        try:
            document = parse_xml(b64decode(saml_response, "SAMLResponse"))
        except SamlFormatError as exc:
            raise AcsRefusal("malformed", f"The SAML response cannot be read: {exc}.", 400) from None
        if document.tag != SAMLP + "Response" or document.get("Version") != "2.0":
            raise AcsRefusal("malformed", "The message is not a SAML 2.0 Response.", 400)
        if list(document.iter(SAML + "EncryptedAssertion")):
            raise AcsRefusal("malformed", "Encrypted assertions are not accepted by this account.", 400)
        assertions = list(document.iter(SAML + "Assertion"))
        if len(assertions) != 1 or assertions[0].getparent() is not document:
            raise AcsRefusal("wrapped", f"The response must carry exactly one Assertion, directly inside the "
                                        f"Response; it carries {len(assertions)} (a wrapped or duplicated assertion).")
        raw_assertion = assertions[0]
        response_sig = first_child(document, DS + "Signature")
        assertion_sig = first_child(raw_assertion, DS + "Signature")
        placed = sum(1 for s in (response_sig, assertion_sig) if s is not None)
        if sum(1 for _ in document.iter(DS + "Signature")) != placed:
            raise AcsRefusal("wrapped", "The response carries a signature outside the Response and Assertion "
                                        "elements (a wrapped signature).")
        if placed == 0:
            raise AcsRefusal("unsigned", "The SAML response is not signed. This account accepts only responses "
                                         "signed by its identity provider.")
        if not idp.certificates:
            raise AcsRefusal("signature", "No verification certificate is uploaded for the identity provider.")
        response = document
        if response_sig is not None:
            response = self._verified(document, response_sig, idp, now, "Response")
            found = children(response, SAML + "Assertion")
            if len(found) != 1:
                raise AcsRefusal("wrapped", "The signed Response does not carry exactly one Assertion.")
            assertion = found[0]
            signed_assertion_sig = first_child(assertion, DS + "Signature")
            if signed_assertion_sig is not None:
                assertion = self._verified(assertion, signed_assertion_sig, idp, now, "Assertion")
        else:
            assertion = self._verified(raw_assertion, assertion_sig, idp, now, "Assertion")
        return self._accept(response, assertion, relay_state, acs_url, idp, now)

    def _verified(self, element, signature, idp: IdentityProvider, now: datetime, what: str):
        cert_nodes = list(signature.iter(DS + "X509Certificate"))
        if len(cert_nodes) != 1:
            raise AcsRefusal("signature", f"The {what}'s signature must carry exactly one X509Certificate.")
        try:
            presented = load_certificate(cert_nodes[0].text or "")
        except SamlFormatError:
            raise AcsRefusal("signature", f"The {what}'s signature carries an unreadable certificate.") from None
        from cryptography.hazmat.primitives import serialization

        presented_der = presented.public_bytes(serialization.Encoding.DER)
        match = next((c for c in idp.certificates if c.der == presented_der), None)
        if match is None:
            thumb = thumbprint(presented_der)
            raise AcsRefusal("signature", f"The {what} is signed with a certificate (thumbprint {thumb}) that is not "
                                          "an uploaded verification certificate of the identity provider.")
        try:
            return verify_enveloped(element, match.pem, now)
        except SignatureInvalid as exc:
            raise AcsRefusal("signature", f"The {what}'s signature is not valid: {exc}.") from None

    def _accept(self, response, assertion, relay_state, acs_url, idp: IdentityProvider, now: datetime) -> SignIn:
        destination = response.get("Destination")
        if destination is not None and destination != acs_url:
            raise AcsRefusal("destination", f"The response is addressed to '{destination}', not to this account's "
                                            f"ACS '{acs_url}'.")
        status = first_child(response, SAMLP + "Status")
        code = first_child(status, SAMLP + "StatusCode") if status is not None else None
        if code is None or code.get("Value") != STATUS_SUCCESS:
            value = code.get("Value") if code is not None else "none"
            raise AcsRefusal("status", f"The identity provider did not sign you in (status {value}).")
        response_issuer = first_child(response, SAML + "Issuer")
        if response_issuer is not None and text_of(response_issuer) != idp.entity_id:
            raise AcsRefusal("issuer", f"The response comes from '{text_of(response_issuer)}', not from the "
                                       f"configured identity provider '{idp.entity_id}'.")
        issuer = text_of(first_child(assertion, SAML + "Issuer"))
        if issuer != idp.entity_id:
            raise AcsRefusal("issuer", f"The assertion was issued by '{issuer}', not by the configured identity "
                                       f"provider '{idp.entity_id}'.")
        if assertion.get("Version") != "2.0" or not assertion.get("ID"):
            raise AcsRefusal("malformed", "The assertion has no ID or is not SAML 2.0.", 400)
        conditions = first_child(assertion, SAML + "Conditions")
        if conditions is None:
            raise AcsRefusal("audience", "The assertion has no Conditions (no audience, no validity window).")
        not_before = parse_instant(conditions.get("NotBefore"))
        not_after = parse_instant(conditions.get("NotOnOrAfter"))
        if not_after is None or (conditions.get("NotBefore") is not None and not_before is None):
            raise AcsRefusal("expired", "The assertion's validity window is missing or unreadable.")
        if not_before is not None and now < not_before:
            raise AcsRefusal("not_yet_valid", f"The assertion is not valid before {iso(not_before)} (now "
                                              f"{iso(now)}).")
        if now >= not_after:
            raise AcsRefusal("expired", f"The assertion expired at {iso(not_after)} (now {iso(now)}).")
        audiences = [text_of(a) for r in children(conditions, SAML + "AudienceRestriction")
                     for a in children(r, SAML + "Audience")]
        if not children(conditions, SAML + "AudienceRestriction") or SP_ENTITY_ID not in audiences:
            meant = ", ".join(a or "?" for a in audiences) or "no one"
            raise AcsRefusal("audience", f"The assertion is meant for {meant}, not for GoTo ({SP_ENTITY_ID}).")
        subject = first_child(assertion, SAML + "Subject")
        name_id_el = first_child(subject, SAML + "NameID") if subject is not None else None
        name_id = text_of(name_id_el)
        if not name_id or name_id_el.get("Format", NAMEID_UNSPECIFIED) not in (NAMEID_EMAIL, NAMEID_UNSPECIFIED) \
                or "@" not in name_id:
            raise AcsRefusal("subject", "The assertion's NameID is not an e-mail address.")
        confirmations = [c for c in children(subject, SAML + "SubjectConfirmation") if c.get("Method") == CM_BEARER]
        data = first_child(confirmations[0], SAML + "SubjectConfirmationData") if confirmations else None
        if data is None:
            raise AcsRefusal("subject", "The assertion has no bearer SubjectConfirmation.")
        if data.get("Recipient") != acs_url:
            raise AcsRefusal("recipient", f"The assertion's Recipient is '{data.get('Recipient')}', not this "
                                          f"account's ACS '{acs_url}'.")
        confirm_until = parse_instant(data.get("NotOnOrAfter"))
        if confirm_until is None or now >= confirm_until:
            raise AcsRefusal("expired", "The assertion's bearer confirmation has expired"
                                        + (f" ({iso(confirm_until)})." if confirm_until else "."))
        in_response_to = data.get("InResponseTo")
        outer = response.get("InResponseTo")
        if outer is not None and outer != in_response_to:
            raise AcsRefusal("in_response_to", "The response and its assertion answer different requests.")
        assertion_id = assertion.get("ID")
        with self._lock:
            self._prune(now)
            if in_response_to is not None:
                if in_response_to not in self._requests:
                    raise AcsRefusal("in_response_to", f"The response answers a sign-in request ({in_response_to}) "
                                                       "this account did not send, or already answered.")
            if assertion_id in self._seen:
                raise AcsRefusal("replay", f"The assertion {assertion_id} was already used to sign in (a replay).")
            self._seen[assertion_id] = max(not_after, confirm_until)
            if in_response_to is not None:
                self._requests.pop(in_response_to, None)
        user = self.goto.account.find_by_username(name_id)
        if user is None:
            raise AcsRefusal("account_not_found", f"We couldn't find a GoTo account for {name_id}. Ask your GoTo "
                                                  "administrator to add you.", 404, name_id=name_id)
        if not user.active:
            raise AcsRefusal("account_disabled", f"The GoTo account {user.user_name} is deactivated. Ask your GoTo "
                                                 "administrator to reactivate it.", 403, name_id=name_id)
        sid = self._stream("sessions").token(32)
        with self._lock:
            self._sessions[sid] = (user.id, now)
        return SignIn(user=user, session_id=sid, relay_state=relay_state, assertion_id=assertion_id,
                      sp_initiated=in_response_to is not None)

    def session_user(self, sid: str | None):
        with self._lock:
            found = self._sessions.get(sid or "")
        if found is None or self._clock.now() - found[1] >= SESSION_LIFETIME:
            return None
        user = self.goto.account.get_user(found[0])
        return user if user is not None and user.active else None

    def end_session(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def to_state(self) -> dict:
        with self._lock:
            return {**self.idp.to_json(), "outstandingRequests": len(self._requests),
                    "rememberedAssertions": len(self._seen), "sessions": len(self._sessions)}


def _unique(certs: list[TrustedCertificate]) -> list[TrustedCertificate]:
    out, seen = [], set()
    for cert in certs:
        if cert.thumbprint not in seen:
            seen.add(cert.thumbprint)
            out.append(cert)
    return out


def _fetch(url: str, ca_bundle: str | None = None) -> bytes:
    import requests

    try:
        resp = requests.get(url, timeout=5, headers={"Accept": "application/samlmetadata+xml, application/xml"},
                            verify=ca_bundle or True)
    except requests.RequestException as exc:
        raise OSError(str(exc)) from None
    if resp.status_code != 200:
        raise OSError(f"HTTP {resp.status_code}")
    if len(resp.content) > 512 * 1024:
        raise OSError("the metadata is larger than 512 KiB")
    return resp.content


