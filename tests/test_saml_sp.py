"""GoTo as SAML service provider (SPEC §9): the Identity Provider settings over the admin API (manual,
automatic from a metadata URL, certificate upload, SSO required), SP-initiated sign-in, and the ACS's
checks one by one, each refusal a page with its reason and a journal entry; bad input never a 500."""
from __future__ import annotations

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from simulator.core.saml import NS
from simulator.gotomeeting.sso.model import SP_ENTITY_ID, AcsRefusal

from .saml_lab import ACS, GOTO, UPN, fresh

Q = {"saml": NS["saml"], "samlp": NS["samlp"]}


@pytest.fixture
def saml():
    return fresh()


def _refusal(saml, xml: bytes, acs: str = ACS) -> AcsRefusal:
    with pytest.raises(AcsRefusal) as refused:
        saml.goto.sso.consume(base64.b64encode(xml).decode(), None, acs)
    return refused.value


# -- the admin API ---------------------------------------------------------------------------------
def test_settings_round_trip_and_certificate_upload(saml):
    settings = saml.goto_admin("GET").get_json()
    assert settings["mode"] == "manual" and settings["entityId"] == f"https://sts.windows.net/{saml.tenant}/"
    assert settings["serviceProvider"] == {"entityId": SP_ENTITY_ID, "acsPath": "/saml/acs"}
    assert len(settings["certificates"]) == 1
    other = fresh(7).certificate_pem()
    saml = fresh()
    resp = saml.goto_admin("POST", "/certificates", data=other, content_type="application/x-pem-file")
    assert resp.status_code == 201 and len(resp.get_json()["certificates"]) == 2
    thumb = resp.get_json()["certificates"][1]["thumbprint"]
    assert saml.goto_admin("DELETE", f"/certificates/{thumb}").status_code == 200
    assert saml.goto_admin("DELETE", f"/certificates/{thumb}").status_code == 404


@pytest.mark.parametrize("body,text", [
    ({"mode": "saml"}, "mode"),
    ({"mode": ["manual"]}, "mode"),
    ({"mode": {}}, "mode"),
    ({"mode": "manual", "entityId": "x"}, "signInUrl"),
    ({"mode": "manual", "signInUrl": "https://idp.example/sso"}, "entityId"),
    ({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "x", "certificates": ["nope"]},
     "certificate"),
    ({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "x", "certificates": "x"}, "certificates"),
    ({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "x", "metadataUrl": "x"}, "metadataUrl"),
    ({"mode": "automatic", "metadataUrl": "file:///etc/passwd"}, "metadataUrl"),
    ({"mode": "automatic", "metadataUrl": "http://127.0.0.1:9/none"}, "could not be read"),
    ({"mode": None, "ssoRequired": True}, "ssoRequired"),
    ({"mode": None, "ssoRequired": "yes"}, "ssoRequired"),
])
def test_bad_settings_are_400_in_the_admin_envelope(saml, body, text):
    resp = saml.goto_admin("PUT", body=body)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["errorCode"] == "INVALID_REQUEST" and text in resp.get_json()["message"]


def test_admin_api_authentication_and_routing_errors(saml):
    key = saml.goto.account.account_key
    url = f"/admin/rest/v1/accounts/{key}/identityProvider"
    assert saml.g.get(url).status_code == 401
    assert saml.g.get(url).get_json()["errorCode"] == "AUTHENTICATION_FAILED"
    member = saml.goto.oauth.issue_static_token(saml.goto.config.member.email).value
    assert saml.g.get(url, headers={"Authorization": f"Bearer {member}"}).status_code == 403
    headers = {"Authorization": f"Bearer {saml.goto_token}"}
    assert saml.g.get("/admin/rest/v1/accounts/123/identityProvider", headers=headers).status_code == 404
    resp = saml.g.patch(url, headers=headers, json={})
    assert resp.status_code == 405 and resp.get_json()["errorCode"] == "METHOD_NOT_ALLOWED"
    resp = saml.g.put(url, headers=headers, data="{", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["errorCode"] == "INVALID_REQUEST"
    resp = saml.goto_admin("POST", "/certificates", body={"certificate": 5})
    assert resp.status_code == 400
    assert saml.goto_admin("POST", "/refresh").status_code == 400


def test_automatic_configuration_reads_entras_metadata(saml):
    metadata_url = f"http://localhost/{saml.tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={saml.sp['appId']}"
    saml.goto.sso.fetch = lambda url: saml.e.get(url.replace("http://localhost", "")).data
    resp = saml.goto_admin("PUT", body={"mode": "automatic", "metadataUrl": metadata_url, "ssoRequired": True})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    settings = resp.get_json()
    assert settings["entityId"] == f"https://sts.windows.net/{saml.tenant}/"
    assert settings["signInUrl"] == f"http://localhost/{saml.tenant}/saml2" and settings["metadataRead"]
    assert saml.consume(saml.issue()).user.user_name == UPN
    saml.goto.sso.fetch = lambda url: b"<html>not metadata</html>"
    resp = saml.goto_admin("POST", "/refresh")
    assert resp.status_code == 400 and "EntityDescriptor" in resp.get_json()["message"]


def test_sso_required_blocks_the_password_sign_in_of_verified_domains(saml):
    client = saml.goto.config.clients[0]
    params = {"client_id": client.client_id, "response_type": "code", "redirect_uri": client.redirect_uris[0],
              "state": "s"}
    admin = saml.goto.config.admin
    settings = saml.goto_admin("GET").get_json()
    saml.goto_admin("PUT", body={"mode": "manual", "signInUrl": settings["signInUrl"], "entityId": settings["entityId"],
                                 "certificates": [saml.certificate_pem()], "ssoRequired": True})
    resp = saml.g.post("/oauth/authorize", data={**params, "email": admin.email, "password": admin.password})
    assert resp.status_code == 200 and "single sign-on" in resp.get_data(as_text=True)
    saml.goto_admin("PUT", body={"mode": "manual", "signInUrl": settings["signInUrl"], "entityId": settings["entityId"],
                                 "certificates": [saml.certificate_pem()]})
    resp = saml.g.post("/oauth/authorize", data={**params, "email": admin.email, "password": admin.password})
    assert resp.status_code == 302


# -- SP-initiated ------------------------------------------------------------------------------------
def test_sp_initiated_request_and_its_single_use_answer(saml):
    start = saml.g.get(f"/saml/login?email={UPN}", base_url=GOTO)
    assert start.status_code == 302
    location = urlsplit(start.headers["Location"])
    assert location.path == f"/{saml.tenant}/saml2"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15))
    assert request.get("AssertionConsumerServiceURL") == ACS
    assert request.find("saml:Issuer", Q).text == SP_ENTITY_ID
    request_id = request.get("ID")
    answer = saml.issue(acs_url=ACS, in_response_to=request_id)
    signed_in = saml.consume(answer)
    assert signed_in.sp_initiated
    again = saml.issue(acs_url=ACS, in_response_to=request_id)  # a second answer to the same request
    assert _refusal(saml, again).reason == "in_response_to"
    assert _refusal(saml, saml.issue(acs_url=ACS, in_response_to="_never-sent")).reason == "in_response_to"


def test_sp_initiated_refusals_are_pages(saml):
    resp = saml.g.post("/saml/login", base_url=GOTO, data={"email": "someone@fabrikam.example"})
    assert resp.status_code == 400 and "verified domain" in resp.get_data(as_text=True)
    saml.goto_admin("PUT", body={"mode": None})
    resp = saml.g.get(f"/saml/login?email={UPN}", base_url=GOTO)
    assert resp.status_code == 400 and "not set up" in resp.get_data(as_text=True)
    assert saml.g.get("/saml/login", base_url=GOTO).status_code == 200


# -- the ACS ---------------------------------------------------------------------------------------
def test_acs_success_starts_a_session_showing_the_role(saml):
    resp = saml.post_acs(saml.issue())
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/saml/session")
    page = saml.g.get("/saml/session", base_url=GOTO).get_data(as_text=True)
    assert UPN in page and 'id="role">organizer<' in page and 'id="goto-role">Member<' in page
    saml.g.get("/saml/logout", base_url=GOTO)
    assert saml.g.get("/saml/session", base_url=GOTO).status_code == 401


def test_each_check_of_the_acs(saml):
    good = saml.issue()
    assert _refusal(saml, good, acs="http://goto.test/other/acs").reason == "destination"
    # another identity provider entity id
    settings = saml.goto_admin("GET").get_json()
    saml.goto_admin("PUT", body={"mode": "manual", "signInUrl": settings["signInUrl"],
                                 "entityId": "https://sts.windows.net/another-tenant/",
                                 "certificates": [saml.certificate_pem()]})
    assert _refusal(saml, good).reason == "issuer"
    saml.trust_entra()
    # not yet valid: issued 60 minutes ahead, read after the clock went back to the epoch
    saml.lab.clock.advance(minutes=60)
    future = saml.issue()
    saml.lab.clock.reset()
    refusal = _refusal(saml, future)
    assert refusal.reason == "not_yet_valid" and "2026-01-05T08:55:00Z" in refusal.message
    # expired: the bearer confirmation lives 5 minutes, the assertion an hour
    saml.lab.clock.advance(minutes=6)
    assert _refusal(saml, good).reason == "expired"
    fresh_one = saml.issue()
    saml.lab.clock.advance(minutes=61)
    assert _refusal(saml, fresh_one).reason == "expired"


def test_unprovisioned_and_suspended_users(saml):
    saml = fresh(provision=False)
    refusal = _refusal(saml, saml.issue())
    assert refusal.reason == "account_not_found" and refusal.status == 404 and UPN in refusal.message
    saml.provision(UPN)
    user = saml.goto.account.find_by_username(UPN)
    resp = saml.g.patch(f"/scim/v2/Users/{user.id}", headers={"Authorization": f"Bearer {saml.goto_token}"}, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert resp.status_code == 200
    assert _refusal(saml, saml.issue()).reason == "account_disabled"


def test_no_identity_provider_or_no_certificate(saml):
    good = saml.issue()
    settings = saml.goto_admin("GET").get_json()
    saml.goto_admin("PUT", body={"mode": "manual", "signInUrl": settings["signInUrl"],
                                 "entityId": settings["entityId"]})
    assert _refusal(saml, good).reason == "signature"
    saml.goto_admin("PUT", body={"mode": None})
    assert _refusal(saml, good).reason == "not_configured"


def test_every_refusal_is_a_page_and_a_journal_entry(saml):
    saml.goto.journal.clear()
    resp = saml.post_acs(b"<not-saml/>")
    assert resp.status_code == 400 and "text/html" in resp.content_type
    assert resp.headers["X-GoTo-SSO-Result"] == "refused; reason=malformed"
    entries = saml.g.get("/_admin/journal?path=/saml/acs").get_json()["entries"]
    assert entries[-1]["status"] == 400
    assert entries[-1]["responseHeaders"]["X-GoTo-SSO-Result"] == "refused; reason=malformed"
    assert entries[-1]["body"] == "SAMLResponse=REDACTED"  # a bearer credential never lands in the journal
    for form in ({}, {"SAMLResponse": "%%%"}, {"SAMLResponse": base64.b64encode(b"\x00" * 10).decode()}):
        resp = saml.g.post("/saml/acs", base_url=GOTO, data=form)
        assert resp.status_code in (400, 403) and resp.headers["X-GoTo-SSO-Result"].startswith("refused")
    resp = saml.g.get("/saml/acs", base_url=GOTO)
    assert resp.status_code == 405 and "text/html" in resp.content_type
    resp = saml.g.get("/saml/unknown", base_url=GOTO)
    assert resp.status_code == 404 and "text/html" in resp.content_type
