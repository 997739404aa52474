"""The SAML messages Entra writes and reads: the signed ``samlp:Response`` it posts to a Reply URL, the
Federation Metadata XML, and the ``samlp:AuthnRequest`` a service provider sends.

What Entra's responses carry [doc: Microsoft identity platform "Single sign-on SAML protocol"]: a
Response with ``Destination`` (the Reply URL), ``InResponseTo`` for an SP-initiated request, the
Issuer ``https://sts.windows.net/{tenant}/``, a Success status, and one Assertion with the NameID,
a bearer SubjectConfirmation (Recipient, NotOnOrAfter, InResponseTo), Conditions (NotBefore,
NotOnOrAfter, the Identifier as Audience), the attribute statement and an AuthnStatement.
Simulator choices: ``NotBefore`` is five minutes before issue, the assertion's ``NotOnOrAfter`` one hour
after (Entra's defaults); the bearer confirmation is valid five minutes; ids are ``_`` + a GUID drawn
from the seeded stream; no whitespace between elements.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree

from ...core.saml import (AC_PASSWORD, BINDING_POST, BINDING_REDIRECT, CM_BEARER, DS, MD, NAMEID_FORMATS, NS,
                          SAML, SAMLP, STATUS_SUCCESS, SamlFormatError, children, first_child, parse_instant,
                          pem_body, saml_instant, sign_enveloped, signature_placeholder, text_of)

CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
CLAIM_MS = "http://schemas.microsoft.com/identity/claims/"
ROLE_CLAIM = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
NOT_BEFORE_SKEW = timedelta(minutes=5)
ASSERTION_LIFETIME = timedelta(hours=1)
CONFIRMATION_LIFETIME = timedelta(minutes=5)
#: Signing options of the portal's "SAML Signing Certificate" section [doc].
SIGNING_OPTIONS = ("SignAssertion", "SignResponse", "SignResponseAndAssertion")


@dataclass
class AssertionInput:
    issuer: str
    audience: str
    destination: str
    name_id: str
    name_id_format: str
    attributes: list[tuple[str, list[str]]]
    now: datetime
    response_id: str
    assertion_id: str
    session_index: str
    in_response_to: str | None = None
    signing_option: str = "SignAssertion"


def _el(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    element = etree.SubElement(parent, tag, {k: v for k, v in (attrib or {}).items() if v is not None})
    if text is not None:
        element.text = text
    return element


def build_response(data: AssertionInput, certificate) -> bytes:
    """The signed Response, serialised (UTF-8, with an XML declaration)."""
    now = data.now
    response = etree.Element(SAMLP + "Response", {
        "ID": data.response_id, "Version": "2.0", "IssueInstant": saml_instant(now),
        "Destination": data.destination, **({"InResponseTo": data.in_response_to} if data.in_response_to else {}),
    }, nsmap={"samlp": NS["samlp"]})
    etree.SubElement(response, SAML + "Issuer", nsmap={None: NS["saml"]}).text = data.issuer
    status = _el(response, SAMLP + "Status")
    _el(status, SAMLP + "StatusCode", {"Value": STATUS_SUCCESS})
    assertion = etree.SubElement(response, SAML + "Assertion", {
        "ID": data.assertion_id, "IssueInstant": saml_instant(now), "Version": "2.0"},
        nsmap={None: NS["saml"]})
    _el(assertion, SAML + "Issuer", text=data.issuer)
    sign_assertion = data.signing_option in ("SignAssertion", "SignResponseAndAssertion")
    if sign_assertion:
        assertion.append(signature_placeholder())
    subject = _el(assertion, SAML + "Subject")
    _el(subject, SAML + "NameID", {"Format": data.name_id_format}, data.name_id)
    confirmation = _el(subject, SAML + "SubjectConfirmation", {"Method": CM_BEARER})
    _el(confirmation, SAML + "SubjectConfirmationData", {
        "InResponseTo": data.in_response_to, "NotOnOrAfter": saml_instant(now + CONFIRMATION_LIFETIME),
        "Recipient": data.destination})
    conditions = _el(assertion, SAML + "Conditions", {
        "NotBefore": saml_instant(now - NOT_BEFORE_SKEW), "NotOnOrAfter": saml_instant(now + ASSERTION_LIFETIME)})
    restriction = _el(conditions, SAML + "AudienceRestriction")
    _el(restriction, SAML + "Audience", text=data.audience)
    statement = _el(assertion, SAML + "AttributeStatement")
    for name, values in data.attributes:
        attribute = _el(statement, SAML + "Attribute", {"Name": name})
        for value in values:
            _el(attribute, SAML + "AttributeValue", text=value)
    authn = _el(assertion, SAML + "AuthnStatement", {"AuthnInstant": saml_instant(now),
                                                     "SessionIndex": data.session_index})
    context = _el(authn, SAML + "AuthnContext")
    _el(context, SAML + "AuthnContextClassRef", text=AC_PASSWORD)

    if sign_assertion:
        signed = sign_enveloped(assertion, certificate.private_key, certificate.pem)
        response.replace(assertion, signed)
    if data.signing_option in ("SignResponse", "SignResponseAndAssertion"):
        response.insert(1, signature_placeholder())
        response = sign_enveloped(response, certificate.private_key, certificate.pem)
    return etree.tostring(response, xml_declaration=True, encoding="UTF-8")


def build_metadata(*, entity_id: str, descriptor_id: str, sign_in_url: str, sign_out_url: str,
                   certificates: list, signer=None) -> bytes:
    """Federation Metadata XML of the tenant for one app: an ``IDPSSODescriptor`` with the app's
    signing certificates (the active one first), SingleSignOnService for the Redirect and POST bindings
    and SingleLogoutService; signed with the active certificate (``signer``) as Entra signs it."""
    root = etree.Element(MD + "EntityDescriptor", {"ID": descriptor_id, "entityID": entity_id},
                         nsmap={None: NS["md"]})
    if signer is not None:
        root.append(signature_placeholder())
    idp = _el(root, MD + "IDPSSODescriptor", {"protocolSupportEnumeration": NS["samlp"]})
    for cert in certificates:
        key = _el(idp, MD + "KeyDescriptor", {"use": "signing"})
        info = etree.SubElement(key, DS + "KeyInfo", nsmap={None: NS["ds"]})
        x509data = _el(info, DS + "X509Data")
        _el(x509data, DS + "X509Certificate", text=pem_body(cert.der))
    _el(idp, MD + "SingleLogoutService", {"Binding": BINDING_REDIRECT, "Location": sign_out_url})
    _el(idp, MD + "NameIDFormat", text=NAMEID_FORMATS[0])
    for binding in (BINDING_REDIRECT, BINDING_POST):
        _el(idp, MD + "SingleSignOnService", {"Binding": binding, "Location": sign_in_url})
    if signer is not None:
        root = sign_enveloped(root, signer.private_key, signer.pem)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass
class AuthnRequest:
    id: str
    issuer: str
    issue_instant: datetime
    destination: str | None
    acs_url: str | None
    protocol_binding: str | None
    name_id_format: str | None
    force_authn: bool
    is_passive: bool
    extras: dict = field(default_factory=dict)


class UnsupportedRequest(ValueError):
    """A well-formed AuthnRequest that Entra does not serve (AADSTS75005 / 750054 family)."""


def read_authn_request(root: etree._Element) -> AuthnRequest:
    """The fields of an AuthnRequest (parsed safely by the caller); ``SamlFormatError`` when it is not
    one, ``UnsupportedRequest`` when it asks for something Entra does not do."""
    if root.tag != SAMLP + "AuthnRequest":
        raise SamlFormatError(f"the message is a {etree.QName(root).localname}, not an AuthnRequest")
    request_id = root.get("ID")
    if not request_id or len(request_id) > 256 or request_id[0].isdigit():
        raise SamlFormatError("the AuthnRequest has no valid ID (an xs:ID)")
    if root.get("Version") != "2.0":
        raise SamlFormatError("the AuthnRequest's Version is not 2.0")
    issued = parse_instant(root.get("IssueInstant"))
    if issued is None:
        raise SamlFormatError("the AuthnRequest has no valid IssueInstant")
    issuer = text_of(first_child(root, SAML + "Issuer"))
    if not issuer:
        raise SamlFormatError("the AuthnRequest has no Issuer")
    binding = root.get("ProtocolBinding")
    if binding is not None and binding != BINDING_POST:
        raise UnsupportedRequest(f"the ProtocolBinding '{binding}' is not supported; Entra answers with the "
                                 "HTTP-POST binding")
    if root.get("AssertionConsumerServiceIndex") is not None:
        raise UnsupportedRequest("AssertionConsumerServiceIndex is not supported; send "
                                 "AssertionConsumerServiceURL")
    policy = first_child(root, SAMLP + "NameIDPolicy")
    fmt = policy.get("Format") if policy is not None else None
    if fmt is not None and fmt not in NAMEID_FORMATS:
        raise UnsupportedRequest(f"the NameIDPolicy Format '{fmt}' is not supported")
    if children(root, SAMLP + "Scoping"):
        raise UnsupportedRequest("Scoping is not supported")
    return AuthnRequest(id=request_id, issuer=issuer, issue_instant=issued, destination=root.get("Destination"),
                        acs_url=root.get("AssertionConsumerServiceURL"), protocol_binding=binding,
                        name_id_format=fmt, force_authn=root.get("ForceAuthn") in ("true", "1"),
                        is_passive=root.get("IsPassive") in ("true", "1"))
