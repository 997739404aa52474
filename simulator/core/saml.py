"""SAML 2.0 plumbing both fakes share: namespaces, safe parsing of what a peer sends, the bindings'
encodings (HTTP-Redirect: raw DEFLATE + base64; HTTP-POST: base64), XML-DSig signing and verification
(signxml on lxml), and the instants SAML prints.

Nothing here knows Flask or either fake's state. Whatever arrives from outside is parsed with
``parse_xml``: no DTD, no entity expansion, no network access, a size limit; a document with a DOCTYPE
is refused outright (SAML messages never carry one).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from datetime import datetime, timezone

from lxml import etree

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
}
SAMLP = "{%s}" % NS["samlp"]
SAML = "{%s}" % NS["saml"]
DS = "{%s}" % NS["ds"]
MD = "{%s}" % NS["md"]

NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_FORMATS = (NAMEID_EMAIL, NAMEID_UNSPECIFIED, NAMEID_PERSISTENT,
                  "urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
AC_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
AC_PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

#: The largest SAML message either fake reads (a signed response is a few KiB).
MAX_MESSAGE = 256 * 1024


class SamlFormatError(ValueError):
    """A message that is not well-formed, not safe to read, or not encoded as its binding says."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, collect_ids=False)


def parse_xml(data: bytes | str) -> etree._Element:
    """The root element of a document received from a peer; ``SamlFormatError`` when it is too large,
    not well-formed or carries a DOCTYPE (entity tricks are refused, not expanded)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_MESSAGE:
        raise SamlFormatError(f"the message is larger than {MAX_MESSAGE // 1024} KiB")
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SamlFormatError(f"the message is not well-formed XML ({exc})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SamlFormatError("the message carries a DOCTYPE, which SAML messages never do")
    if any(True for _ in root.iter(etree.Entity)):
        raise SamlFormatError("the message carries an entity reference")
    return root


def b64decode(text: str | None, what: str) -> bytes:
    """Strict base64 (line breaks and spaces tolerated, as browsers post them)."""
    if not text:
        raise SamlFormatError(f"the {what} parameter is missing")
    compact = "".join(text.split())
    if len(compact) > MAX_MESSAGE * 2:
        raise SamlFormatError(f"the {what} parameter is too large")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SamlFormatError(f"the {what} parameter is not base64") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def redirect_encode(xml: bytes) -> str:
    """HTTP-Redirect binding (SAML bindings §3.4.4.1): raw DEFLATE, then base64 (URL-encoding is the
    caller's query builder's)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b64encode(compressor.compress(xml) + compressor.flush())


def redirect_decode(text: str | None, what: str = "SAMLRequest") -> bytes:
    raw = b64decode(text, what)
    try:
        inflater = zlib.decompressobj(-15)
        out = inflater.decompress(raw, MAX_MESSAGE + 1)
    except zlib.error:
        raise SamlFormatError(f"the {what} parameter is not DEFLATE-compressed as the HTTP-Redirect "
                              "binding requires") from None
    if len(out) > MAX_MESSAGE:
        raise SamlFormatError(f"the {what} parameter inflates to more than {MAX_MESSAGE // 1024} KiB")
    return out


def saml_instant(moment: datetime) -> str:
    """``xs:dateTime`` in UTC with milliseconds and ``Z``, as Entra prints them."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_instant(text: str | None) -> datetime | None:
    """An ``xs:dateTime`` in UTC, or None when it is missing or not one."""
    if not text or not isinstance(text, str):
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(timezone.utc)


def pem_body(cert_der: bytes) -> str:
    """The base64 of a DER certificate without armour or line breaks (as metadata prints it)."""
    return b64encode(cert_der)


def pem_armour(cert_der: bytes) -> str:
    body = b64encode(cert_der)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def thumbprint(cert_der: bytes) -> str:
    """A certificate's thumbprint as Entra shows it: SHA-1 of the DER bytes, upper-case hex."""
    return hashlib.sha1(cert_der).hexdigest().upper()


class DerCertificate:
    """Thumbprint and PEM of a certificate held as DER bytes (``der``)."""

    der: bytes

    @property
    def thumbprint(self) -> str:
        return thumbprint(self.der)

    @property
    def pem(self) -> str:
        return pem_armour(self.der)


def load_certificate(text: str | bytes):
    """A ``cryptography`` certificate from PEM (armoured or the bare base64 body) or DER;
    ``SamlFormatError`` otherwise."""
    from cryptography import x509

    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    try:
        if b"-----BEGIN CERTIFICATE-----" in raw:
            return x509.load_pem_x509_certificate(raw.strip())
        try:
            der = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            der = raw
        return x509.load_der_x509_certificate(der)
    except (ValueError, TypeError):
        raise SamlFormatError("the certificate is neither PEM nor DER X.509") from None


def sign_enveloped(element: etree._Element, private_key, cert_pem: str) -> etree._Element:
    """Sign ``element`` (which holds an empty ``<ds:Signature Id="placeholder"/>`` where the signature
    goes) with RSA-SHA256, SHA-256 digests and exclusive canonicalisation, the reference pointing at its
    ``ID``; the certificate goes into ``KeyInfo``. Returns the signed element (a new tree)."""
    from signxml import SignatureMethod, DigestAlgorithm, XMLSigner
    from signxml.algorithms import CanonicalizationMethod

    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signer.namespaces = {"ds": NS["ds"]}
    return signer.sign(element, key=private_key, cert=cert_pem, reference_uri=f"#{element.get('ID')}",
                       id_attribute="ID", always_add_key_value=False)


def signature_placeholder() -> etree._Element:
    return etree.Element(DS + "Signature", {"Id": "placeholder"}, nsmap={"ds": NS["ds"]})


def verify_enveloped(element: etree._Element, cert_pem: str, at: datetime) -> etree._Element:
    """Verify the enveloped signature that is a direct child of ``element`` against ``cert_pem`` only
    (RSA-SHA256 or stronger, one reference, which must be ``element`` itself). Returns the element as
    signed (re-parsed from the canonical bytes the signature covers); raises ``SignatureInvalid``. The
    certificate's validity is checked at ``at`` (the virtual clock), not at the wall clock."""
    from signxml import SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import SignXMLException

    standalone = parse_xml(etree.tostring(element))
    config = SignatureConfiguration(
        require_x509=True, expect_references=1, location="./",
        signature_methods=frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384,
                                     SignatureMethod.RSA_SHA512}),
        digest_algorithms=frozenset(_strong_digests()), verification_time=at)
    try:
        result = XMLVerifier().verify(standalone, x509_cert=cert_pem, id_attribute="ID",
                                      expect_config=config, parser=_parser())
    except SignXMLException as exc:
        raise SignatureInvalid(str(exc) or type(exc).__name__) from None
    except (etree.LxmlError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # lxml's schema check of the Signature, unknown algorithm URIs, missing elements: all refusals.
        raise SignatureInvalid(f"the signature cannot be processed ({type(exc).__name__}: {exc})") from None
    signed = result.signed_xml
    if signed is None or signed.tag != standalone.tag or signed.get("ID") != element.get("ID"):
        raise SignatureInvalid("the signature does not cover the element that carries it")
    return signed


def _strong_digests():
    from signxml import DigestAlgorithm

    return {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}


class SignatureInvalid(ValueError):
    """An XML signature that does not verify with the trusted certificate."""


def first_child(element: etree._Element, tag: str) -> etree._Element | None:
    for child in element:
        if child.tag == tag:
            return child
    return None


def children(element: etree._Element, tag: str) -> list[etree._Element]:
    return [child for child in element if child.tag == tag]


def text_of(element: etree._Element | None) -> str | None:
    """The text of a leaf element; None when it is missing or has child nodes (a comment or an element
    inside a NameID is how truncation attacks hide)."""
    if element is None or len(element):
        return None
    return (element.text or "").strip()
