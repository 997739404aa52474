"""Entra as SAML identity provider (SPEC §9): the Single sign-on configuration over Graph and the portal,
certificates from the seed and their rollover, downloads and metadata, the sign-in pages with their
AADSTS refusals, My Apps, and SP-initiated requests answered with InResponseTo."""
from __future__ import annotations

import base64
import re
import zlib
from urllib.parse import urlencode

import pytest
from cryptography import x509
from lxml import etree

from simulator.core.saml import NS
from simulator.entra.sso.model import GOTO_IDENTIFIER

from .saml_lab import ACS, DEFAULT_ACCESS, GOTO, PASSWORD, UPN, SamlLab, fresh

Q = {"saml": NS["saml"], "samlp": NS["samlp"], "md": NS["md"], "ds": NS["ds"]}


@pytest.fixture
def saml():
    return fresh()


def _xml(raw: bytes) -> etree._Element:
    return etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _form_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _sign_in(saml, page_html: str, login: str = UPN, password: str = PASSWORD):
    fields = _form_fields(page_html)
    assert "ctx" in fields, page_html[:400]
    return saml.e.post(f"/{saml.tenant}/login", data={**fields, "login": login, "passwd": password})


def _authn_request(issuer: str = GOTO_IDENTIFIER, acs: str = ACS, request_id: str = "_req1", **attrs) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    xml = (f'<samlp:AuthnRequest xmlns:samlp="{NS["samlp"]}" xmlns:saml="{NS["saml"]}" ID="{request_id}" '
           f'Version="2.0" IssueInstant="2026-01-05T08:00:00Z" AssertionConsumerServiceURL="{acs}"{extra}>'
           f'<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>').encode()
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(deflater.compress(xml) + deflater.flush()).decode()


def _saml2(saml, request: str, relay: str = "r-1", **headers):
    return saml.e.get(f"/{saml.tenant}/saml2?" + urlencode({"SAMLRequest": request, "RelayState": relay}),
                      headers=headers)


# -- configuration over Graph ---------------------------------------------------------------------
def test_selecting_saml_fills_the_gallery_values_and_a_certificate(saml):
    sp = saml.graph("GET", f"/servicePrincipals/{saml.sp['id']}").get_json()
    assert sp["preferredSingleSignOnMode"] == "saml"
    assert sp["samlSingleSignOnSettings"] == {"relayState": "https://global.gotomeeting.com"}
    assert sp["replyUrls"] == [ACS]
    assert [k["usage"] for k in sp["keyCredentials"]] == ["Sign", "Verify"]
    assert GOTO_IDENTIFIER in sp["servicePrincipalNames"]
    app = saml.graph("GET", f"/applications/{saml.application['id']}").get_json()
    assert app["identifierUris"] == [GOTO_IDENTIFIER] and app["web"]["redirectUris"] == [ACS]
    blade = saml.e.get(f"/portal/servicePrincipals/{saml.sp['id']}/singleSignOn").get_json()
    assert blade["attributesAndClaims"]["nameIdentifier"] == {
        "source": "user.userprincipalname", "format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}
    assert blade["setUpGoToMeeting"]["microsoftEntraIdentifier"] == f"https://sts.windows.net/{saml.tenant}/"
    assert blade["appFederationMetadataUrl"].endswith(f"federationmetadata.xml?appid={saml.sp['appId']}")
    state = saml.e.get("/_admin/state").get_json()["singleSignOn"]
    assert [s["servicePrincipalId"] for s in state] == [saml.sp["id"]]
    assert "BEGIN" not in str(state) and "PRIVATE" not in str(state)


def test_certificates_and_signatures_come_from_the_seed():
    first = fresh()
    pem, response = first.certificate_pem(), first.issue()
    again = fresh()  # the same lab after a reset: the same seed and clock give the same bytes
    assert again.certificate_pem() == pem and again.issue() == response
    other = SamlLab()  # another lab process-wide, same seed
    assert other.certificate_pem() == pem and other.issue() == response
    assert fresh(7).certificate_pem() != pem


def test_timestamps_come_from_the_virtual_clock(saml):
    saml.lab.clock.advance(minutes=90)
    root = _xml(saml.issue())
    assert root.get("IssueInstant") == "2026-01-05T09:30:00.000Z"
    conditions = root.find("saml:Assertion/saml:Conditions", Q)
    assert conditions.get("NotBefore") == "2026-01-05T09:25:00.000Z"
    assert conditions.get("NotOnOrAfter") == "2026-01-05T10:30:00.000Z"


def test_rollover_adds_a_certificate_and_makes_it_active(saml):
    old = saml.graph("GET", f"/servicePrincipals/{saml.sp['id']}").get_json()["preferredTokenSigningKeyThumbprint"]
    created = saml.graph("POST", f"/servicePrincipals/{saml.sp['id']}/addTokenSigningCertificate",
                         {"displayName": "CN=Rollover", "endDateTime": "2027-01-05T08:00:00Z"})
    assert created.status_code == 200
    new = created.get_json()
    assert new["thumbprint"] != old and new["displayName"] == "CN=Rollover"
    assert new["endDateTime"] == "2027-01-05T08:00:00Z"
    der = base64.b64decode(new["key"])
    assert x509.load_der_x509_certificate(der).subject.rfc4514_string() == "CN=Rollover"
    # still the old one until it is made active
    assert _xml(saml.issue()).find(".//ds:X509Certificate", Q).text.replace("\n", "") != new["key"]
    assert saml.graph("PATCH", f"/servicePrincipals/{saml.sp['id']}",
                      {"preferredTokenSigningKeyThumbprint": new["thumbprint"]}).status_code == 204
    assert _xml(saml.issue()).find(".//ds:X509Certificate", Q).text.replace("\n", "") == new["key"]
    metadata = _xml(saml.e.get(f"/portal/servicePrincipals/{saml.sp['id']}/singleSignOn/federationMetadata").data)
    certs = [c.text for c in metadata.iter(f"{{{NS['ds']}}}X509Certificate")][1:]  # [0] is the signature's
    assert certs[0] == new["key"] and len(certs) == 2
    assert len(saml.graph("GET", f"/servicePrincipals/{saml.sp['id']}").get_json()["keyCredentials"]) == 4
    pem = saml.certificate_pem(new["thumbprint"])
    assert x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string() == "CN=Rollover"


@pytest.mark.parametrize("path,body,text", [
    ("sp", {"preferredSingleSignOnMode": "kerberos"}, "preferredSingleSignOnMode"),
    ("sp", {"preferredTokenSigningKeyThumbprint": "00"}, "thumbprint"),
    ("sp", {"samlSingleSignOnSettings": {"relayState": 5}}, "relayState"),
    ("sp", {"loginUrl": "javascript:alert(1)"}, "loginUrl"),
    ("sp", {"displayName": "x"}, "displayName"),
    ("app", {"identifierUris": "https://x"}, "identifierUris"),
    ("app", {"identifierUris": ["not a uri"]}, "identifierUris"),
    ("app", {"web": {"redirectUris": ["ftp://x/acs"]}}, "redirectUris"),
    ("app", {"web": []}, "web"),
    ("cert", {"displayName": "Rollover"}, "CN="),
    ("cert", {"endDateTime": "2020-01-01T00:00:00Z"}, "endDateTime"),
    ("cert", {"endDateTime": "2040-01-01T00:00:00Z"}, "three years"),
    ("cert", {"keyId": "x"}, "keyId"),
])
def test_bad_configuration_is_a_graph_400(saml, path, body, text):
    url = {"sp": ("PATCH", f"/servicePrincipals/{saml.sp['id']}"),
           "app": ("PATCH", f"/applications/{saml.application['id']}"),
           "cert": ("POST", f"/servicePrincipals/{saml.sp['id']}/addTokenSigningCertificate")}[path]
    resp = saml.graph(url[0], url[1], body)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == "Request_BadRequest" and text in error["message"]


def test_graph_errors_for_unknown_objects_bad_bodies_and_no_token(saml):
    missing = "00000000-0000-4000-8000-000000000000"
    assert saml.graph("PATCH", f"/servicePrincipals/{missing}", {"loginUrl": None}).status_code == 404
    assert saml.graph("PATCH", "/servicePrincipals/not-a-guid", {"loginUrl": None}).status_code == 400
    assert saml.graph("PATCH", f"/applications/{missing}", {"identifierUris": []}).status_code == 404
    resp = saml.e.patch(f"/v1.0/servicePrincipals/{saml.sp['id']}", data="{", headers={
        **saml.graph_headers, "Content-Type": "application/json"})
    assert resp.status_code == 400 and "error" in resp.get_json()
    resp = saml.e.patch(f"/v1.0/servicePrincipals/{saml.sp['id']}", json={"preferredSingleSignOnMode": None})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "InvalidAuthenticationToken"


def test_portal_blade_edits_the_name_id_claim(saml):
    url = f"/portal/servicePrincipals/{saml.sp['id']}/singleSignOn"
    persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    resp = saml.e.patch(url, json={"nameIdentifier": {"source": "user.objectid", "format": persistent}})
    assert resp.status_code == 200
    name_id = _xml(saml.issue()).find("saml:Assertion/saml:Subject/saml:NameID", Q)
    assert name_id.text == saml.user["id"] and name_id.get("Format").endswith(":persistent")
    for body in ({"nameIdentifier": {"source": "user.password"}}, {"nameIdentifier": "upn"},
                 {"nameIdentifier": {"source": ["user.mail"]}}, {"nameIdentifier": {"format": {}}},
                 {"signingOption": "SignNothing"}, {"colour": "blue"}):
        bad = saml.e.patch(url, json=body)
        assert bad.status_code == 400 and bad.get_json()["error"]["message"], body
    assert saml.e.patch(url, data="x", content_type="text/plain").status_code in (400, 415)
    assert saml.e.get("/portal/servicePrincipals/00000000-0000-4000-8000-000000000000/singleSignOn").status_code == 404


def test_app_federation_metadata_url(saml):
    resp = saml.e.get(f"/{saml.tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={saml.sp['appId']}")
    root = _xml(resp.data)
    idp = root.find("md:IDPSSODescriptor", Q)
    assert root.get("entityID") == f"https://sts.windows.net/{saml.tenant}/"
    assert [s.get("Location") for s in idp.findall("md:SingleSignOnService", Q)] == \
        [f"http://localhost/{saml.tenant}/saml2"] * 2
    unknown = saml.e.get(f"/{saml.tenant}/federationmetadata/2007-06/federationmetadata.xml?appid=nope")
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.get_json()["error_description"]


# -- sign-in pages -----------------------------------------------------------------------------------
def test_my_apps_lists_the_assigned_app_and_the_tile_posts_a_signed_response(saml):
    page = saml.e.get("/myapps")
    assert page.status_code == 200 and 'name="passwd"' in page.get_data(as_text=True)
    apps = _sign_in(saml, page.get_data(as_text=True))
    html = apps.get_data(as_text=True)
    assert apps.status_code == 200 and UPN in html and f"/myapps/signin/{saml.sp['appId']}" in html
    assert "Organizer" in html
    tile = saml.e.get(f"/myapps/signin/{saml.sp['appId']}").get_data(as_text=True)
    assert f'action="{ACS}"' in tile and "<noscript>" in tile
    fields = _form_fields(tile)
    assert fields["RelayState"] == "https://global.gotomeeting.com"
    resp = saml.g.post("/saml/acs", base_url=GOTO, data=fields)
    assert resp.status_code == 303 and resp.headers["X-GoTo-SSO-Result"] == "signed-in"
    journal = saml.e.get("/_admin/journal?path=/myapps/signin").get_json()["entries"]
    assert 'name="SAMLResponse" value="REDACTED"' in journal[-1]["responseBody"]
    assert fields["SAMLResponse"] not in str(journal)


@pytest.mark.parametrize("login,password,code", [
    (UPN, "Wrong-Passw0rd!", "AADSTS50126"),
    ("nobody@contoso.example", PASSWORD, "AADSTS50034"),
    ("not-an-email", PASSWORD, "AADSTS50034"),
])
def test_sign_in_refusals(saml, login, password, code):
    resp = _sign_in(saml, saml.e.get("/myapps").get_data(as_text=True), login, password)
    assert code in resp.get_data(as_text=True)
    assert "SAMLResponse" not in resp.get_data(as_text=True)


def test_disabled_deleted_and_unassigned_users(saml):
    other = saml.add_user("A.Lee", "a.lee@contoso.example")
    resp = _sign_in(saml, saml.e.get(f"/myapps/signin/{saml.sp['appId']}").get_data(as_text=True),
                    "a.lee@contoso.example")
    assert resp.status_code == 403 and "AADSTS50105" in resp.get_data(as_text=True)
    saml.assign(other["id"], DEFAULT_ACCESS)  # Default Access is enough for single sign-on
    assert "SAMLResponse" in saml.e.get(f"/myapps/signin/{saml.sp['appId']}").get_data(as_text=True)
    saml.graph("PATCH", f"/users/{other['id']}", {"accountEnabled": False})
    resp = saml.e.get(f"/myapps/signin/{saml.sp['appId']}")
    assert resp.status_code == 403 and "AADSTS50057" in resp.get_data(as_text=True)
    saml.graph("DELETE", f"/users/{other['id']}")
    again = fresh()
    again.graph("DELETE", f"/users/{again.user['id']}")
    resp = _sign_in(again, again.e.get("/myapps").get_data(as_text=True))
    assert "AADSTS50034" in resp.get_data(as_text=True)


def test_sp_initiated_sign_in_answers_with_in_response_to(saml):
    page = _saml2(saml, _authn_request(request_id="_goto-42"), relay="state-7")
    assert page.status_code == 200
    tile = _sign_in(saml, page.get_data(as_text=True)).get_data(as_text=True)
    fields = _form_fields(tile)
    assert fields["RelayState"] == "state-7"
    root = _xml(base64.b64decode(fields["SAMLResponse"]))
    assert root.get("InResponseTo") == "_goto-42"
    data = root.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", Q)
    assert data.get("InResponseTo") == "_goto-42" and data.get("Recipient") == ACS
    # signed in: the next request is answered at once
    again = _saml2(saml, _authn_request(request_id="_goto-43")).get_data(as_text=True)
    assert 'InResponseTo="_goto-43"' in base64.b64decode(_form_fields(again)["SAMLResponse"]).decode()


@pytest.mark.parametrize("request_text,code", [
    (None, "AADSTS750054"),
    ("bm90IGRlZmxhdGVk", "AADSTS75005"),
    ("%%%", "AADSTS75005"),
    (_authn_request(issuer="https://unknown.example/sp"), "AADSTS700016"),
    (_authn_request(acs="https://evil.example/acs"), "AADSTS50011"),
    (_authn_request(ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"), "AADSTS75005"),
    (_authn_request(IsPassive="true"), "AADSTS50058"),
    (_authn_request(request_id="1bad"), "AADSTS75005"),
])
def test_authn_request_refusals(saml, request_text, code):
    url = f"/{saml.tenant}/saml2" + ("?" + urlencode({"SAMLRequest": request_text}) if request_text else "")
    resp = saml.e.get(url)
    assert resp.status_code in (400, 403) and code in resp.get_data(as_text=True), resp.get_data(as_text=True)[-600:]
    assert "text/html" in resp.content_type


def test_doctype_in_an_authn_request_is_refused(saml):
    xml = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    encoded = base64.b64encode(deflater.compress(xml) + deflater.flush()).decode()
    resp = saml.e.get(f"/{saml.tenant}/saml2?" + urlencode({"SAMLRequest": encoded}))
    assert resp.status_code == 400 and "DOCTYPE" in resp.get_data(as_text=True)


def test_unknown_tenant_expired_context_and_routing_errors_are_pages(saml):
    resp = saml.e.get("/another-tenant/saml2?SAMLRequest=x")
    assert resp.status_code == 400 and "AADSTS90002" in resp.get_data(as_text=True)
    resp = saml.e.post(f"/{saml.tenant}/login", data={"ctx": "forged", "login": UPN, "passwd": PASSWORD})
    assert resp.status_code == 400 and "AADSTS" in resp.get_data(as_text=True)
    resp = saml.e.get("/myapps/nothing/here")
    assert resp.status_code == 404 and "text/html" in resp.content_type


def test_the_sign_in_page_speaks_german(saml):
    page = saml.e.get("/myapps", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert "Kennwort" in page and "Anmelden" in page and 'lang="de"' in page
    wrong = _sign_in(saml, page, UPN, "nope").get_data(as_text=True)
    assert "Ihr Konto oder Kennwort ist falsch." in wrong and "AADSTS50126" in wrong
