"""Entra's SAML signatures checked by a second, independent XML-DSig implementation: the xmlsec library
(C, through its Python binding) verifies what signxml signed, and signs what GoTo's ACS (signxml) must
accept. A digest computed by hand (lxml's exclusive canonicalisation + SHA-256) is compared too."""
from __future__ import annotations

import base64
import copy
import hashlib

import pytest
import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree

from simulator.core.saml import NS
from simulator.gotomeeting.sso.model import AcsRefusal

from .saml_lab import SamlLab, fresh

DSIG = {"ds": NS["ds"], "saml": NS["saml"], "samlp": NS["samlp"], "md": NS["md"]}


@pytest.fixture
def saml():
    return fresh()


def _xmlsec_verify(root: etree._Element, signed: etree._Element, pem: str) -> None:
    """Raises ``xmlsec.Error`` unless the signature that is a child of ``signed`` verifies with ``pem``."""
    xmlsec.tree.add_ids(root, ["ID"])
    node = signed.find("ds:Signature", DSIG)
    assert node is not None, "no signature where Entra puts it"
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(pem.encode(), xmlsec.constants.KeyDataFormatCertPem)
    ctx.verify(node)


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def test_xmlsec_verifies_the_signed_assertion(saml):
    root = _parse(saml.issue())
    assertion = root.find("saml:Assertion", DSIG)
    _xmlsec_verify(root, assertion, saml.certificate_pem())
    signature = assertion.find("ds:Signature", DSIG)
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", DSIG).get("Algorithm") == \
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert signature.find("ds:SignedInfo/ds:Reference", DSIG).get("URI") == f"#{assertion.get('ID')}"
    assert root.find("ds:Signature", DSIG) is None  # Entra's default signs the assertion only


def test_xmlsec_refuses_an_altered_assertion(saml):
    root = _parse(saml.issue())
    assertion = root.find("saml:Assertion", DSIG)
    assertion.find("saml:Subject/saml:NameID", DSIG).text = "goto.admin@contoso.example"
    with pytest.raises(xmlsec.Error):
        _xmlsec_verify(root, assertion, saml.certificate_pem())


def test_the_digest_matches_a_hand_computed_exclusive_canonicalisation(saml):
    root = _parse(saml.issue())
    assertion = root.find("saml:Assertion", DSIG)
    digest = assertion.find("ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue", DSIG).text
    unsigned = copy.deepcopy(assertion)
    unsigned.remove(unsigned.find("ds:Signature", DSIG))
    c14n = etree.tostring(unsigned, method="c14n", exclusive=True, with_comments=False)
    assert base64.b64encode(hashlib.sha256(c14n).digest()).decode() == digest


@pytest.mark.parametrize("option", ["SignResponse", "SignResponseAndAssertion"])
def test_xmlsec_verifies_response_signatures(option):
    saml = fresh()
    saml.set_signing_option(option)
    root = _parse(saml.issue())
    _xmlsec_verify(root, root, saml.certificate_pem())
    assertion = root.find("saml:Assertion", DSIG)
    assert (assertion.find("ds:Signature", DSIG) is not None) == (option == "SignResponseAndAssertion")
    if option == "SignResponseAndAssertion":
        _xmlsec_verify(root, assertion, saml.certificate_pem())
    assert saml.consume(etree.tostring(root)).user.user_name == "b.simon@contoso.example"


def test_xmlsec_verifies_the_federation_metadata(saml):
    resp = saml.e.get(f"/{saml.tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={saml.sp['appId']}")
    assert resp.status_code == 200
    root = _parse(resp.data)
    _xmlsec_verify(root, root, saml.certificate_pem())
    certs = root.findall("md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", DSIG)
    pem_body = "".join(saml.certificate_pem().splitlines()[1:-1])
    assert [c.text for c in certs] == [pem_body]


def _sign_with_xmlsec(assertion: etree._Element, key_pem: bytes, cert_pem: str) -> None:
    """Sign ``assertion`` in place with xmlsec (RSA-SHA256, exclusive c14n), signature after Issuer."""
    signature = xmlsec.template.create(assertion, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha256, ns="ds")
    assertion.insert(1, signature)
    ref = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri=f"#{assertion.get('ID')}")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
    info = xmlsec.template.ensure_key_info(signature)
    xmlsec.template.add_x509_data(info)
    xmlsec.tree.add_ids(assertion, ["ID"])
    ctx = xmlsec.SignatureContext()
    key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(cert_pem.encode(), xmlsec.constants.KeyDataFormatCertPem)
    ctx.key = key
    ctx.sign(signature)


def _entra_key_pem(saml) -> bytes:
    cert = saml.entra.sso.certificate(saml.sp["id"])
    return cert.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())


def test_gotos_acs_accepts_an_assertion_signed_by_xmlsec():
    saml = fresh()
    root = _parse(saml.issue())
    assertion = root.find("saml:Assertion", DSIG)
    assertion.remove(assertion.find("ds:Signature", DSIG))
    _sign_with_xmlsec(assertion, _entra_key_pem(saml), saml.certificate_pem())
    assert saml.consume(etree.tostring(root)).user.user_name == "b.simon@contoso.example"


def test_gotos_acs_refuses_an_assertion_xmlsec_signed_with_another_key():
    saml = fresh()
    other = SamlLab(seed=7)  # another tenant's key and certificate
    root = _parse(saml.issue())
    assertion = root.find("saml:Assertion", DSIG)
    assertion.remove(assertion.find("ds:Signature", DSIG))
    _sign_with_xmlsec(assertion, _entra_key_pem(other), other.certificate_pem())
    with pytest.raises(AcsRefusal) as refused:
        saml.consume(etree.tostring(root))
    assert refused.value.reason == "signature"
    assert "not an uploaded verification certificate" in refused.value.message
