"""Steps of SAML single sign-on to GoToMeeting (SPEC §9), phrased like Microsoft's SSO tutorial.

Black-box: the admin configures Entra over Graph and the portal's JSON (the Single sign-on blade, its
certificate download) and GoTo over its admin API; users act with a browser-like ``requests`` session on
the pages (Entra's sign-in page, My Apps, the auto-submitting form that posts the SAMLResponse, GoTo's
company sign-in and ACS). Tampered assertions are made here, from a captured one, with lxml.
"""
from __future__ import annotations

import base64
import copy
import re
from urllib.parse import urljoin

import requests
from lxml import etree
from pytest_bdd import given, parsers, then, when

from simulator.client import Browser, Page

from .provisioning_steps import PASSWORD, graph, upn_of

SAML_NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
           "ds": "http://www.w3.org/2000/09/xmldsig#"}
GOTO_IDENTIFIER = "https://authentication.logmeininc.com/saml/sp"


# -- helpers ---------------------------------------------------------------------------------------
def _sp(ctx) -> dict:
    return ctx["sp"]


def _blade(lab, ctx) -> dict:
    resp = requests.get(f"{lab.entra_url}/portal/servicePrincipals/{_sp(ctx)['id']}/singleSignOn", timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _goto_admin(lab, ctx, method: str, suffix: str = "", **kw) -> requests.Response:
    """GoTo's admin API as the team administrator."""
    if "goto_admin_token" not in ctx.values:
        ctx.remember(goto_admin_token=lab.static_scim_token(lab.goto_admin["email"]))
    key = lab.gotomeeting_config.account_key
    return requests.request(method, f"{lab.gotomeeting_url}/admin/rest/v1/accounts/{key}/identityProvider{suffix}",
                            headers={"Authorization": f"Bearer {ctx['goto_admin_token']}"}, timeout=30, **kw)


def _certificate(lab, ctx, thumbprint: str | None = None) -> str:
    params = {"thumbprint": thumbprint} if thumbprint else {}
    resp = requests.get(f"{lab.entra_url}/portal/servicePrincipals/{_sp(ctx)['id']}/singleSignOn/certificate",
                        params=params, timeout=30)
    assert resp.status_code == 200 and "BEGIN CERTIFICATE" in resp.text, resp.text
    return resp.text


def _browser(ctx, name: str) -> Browser:
    browsers = ctx.values.setdefault("sso_browsers", {})
    if name not in browsers:
        browsers[name] = Browser()
    return browsers[name]


def _page(resp: requests.Response) -> Page:
    return Page.from_response(resp)


def _sign_in_to_entra(ctx, name: str, page: Page, password: str = PASSWORD, login: str | None = None) -> Page:
    """Fill Entra's sign-in form on ``page``; the page that follows."""
    assert page.forms and "ctx" in page.forms[0]["fields"], f"not Entra's sign-in page: {page.text[:300]}"
    resp = _browser(ctx, name).submit(page, {"login": login or ctx["sso_upns"][name], "passwd": password})
    return _page(resp)


def _remember_upn(lab, ctx, name: str) -> str:
    upns = ctx.values.setdefault("sso_upns", {})
    upns.setdefault(name, upn_of(name, lab))
    return upns[name]


def _tile_url(lab, ctx) -> str:
    return f"{lab.entra_url}/myapps/signin/{_sp(ctx)['appId']}"


def _my_apps(lab, ctx, name: str) -> Page:
    _remember_upn(lab, ctx, name)
    page = _page(_browser(ctx, name).session.get(f"{lab.entra_url}/myapps", timeout=30))
    if page.forms and "ctx" in page.forms[0]["fields"]:
        page = _sign_in_to_entra(ctx, name, page)
    ctx.remember(entra_page=page)
    return page


def _open_tile(lab, ctx, name: str) -> Page:
    """Open the GoToMeeting tile: Entra's answer (the auto-submitting form, or a refusal page)."""
    page = _page(_browser(ctx, name).session.get(_tile_url(lab, ctx), timeout=30))
    if page.forms and "ctx" in page.forms[0]["fields"]:
        page = _sign_in_to_entra(ctx, name, page)
    ctx.remember(entra_page=page)
    return page


def _saml_post(page: Page) -> dict | None:
    for form in page.forms:
        if "SAMLResponse" in form["fields"]:
            return {"action": urljoin(page.url, form["action"]), "fields": dict(form["fields"])}
    return None


def _post_to_goto(ctx, name: str, post: dict) -> requests.Response:
    resp = _browser(ctx, name).session.post(post["action"], data=post["fields"], timeout=30, allow_redirects=True)
    ctx.remember(goto_response=resp)
    return resp


def _follow_post(ctx, name: str, page: Page) -> requests.Response:
    post = _saml_post(page)
    assert post is not None, f"Entra did not post a SAMLResponse: {page.status} {page.text[:500]}"
    ctx.remember(saml_post=post)
    return _post_to_goto(ctx, name, post)


def _response_xml(post: dict) -> etree._Element:
    raw = base64.b64decode(post["fields"]["SAMLResponse"])
    return etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root)).decode()


# -- configuration ---------------------------------------------------------------------------------
@given("SAML single sign-on is set up for GoToMeeting as the tutorial says")
def _(lab, ctx):
    g = graph(lab, ctx)
    sp = _sp(ctx)
    resp = g.request("PATCH", f"/servicePrincipals/{sp['id']}", json={"preferredSingleSignOnMode": "saml"})
    assert resp.status_code == 204, resp.text
    app_id = next(a["id"] for a in g.get("/applications")["value"] if a["appId"] == sp["appId"])
    resp = g.request("PATCH", f"/applications/{app_id}", json={
        "identifierUris": [GOTO_IDENTIFIER], "web": {"redirectUris": [f"{lab.gotomeeting_url}/saml/acs"]}})
    assert resp.status_code == 204, resp.text
    blade = _blade(lab, ctx)
    assert blade["attributesAndClaims"]["nameIdentifier"]["source"] == "user.userprincipalname"
    ctx.remember(sso_blade=blade, application_id=app_id)


@given("GoToMeeting trusts Entra as its identity provider with the downloaded certificate")
def _(lab, ctx):
    blade = ctx["sso_blade"]
    urls = blade["setUpGoToMeeting"]
    resp = _goto_admin(lab, ctx, "PUT", json={"mode": "manual", "signInUrl": urls["loginUrl"],
                                         "signOutUrl": urls["logoutUrl"], "entityId": urls["microsoftEntraIdentifier"],
                                         "certificates": [_certificate(lab, ctx)]})
    assert resp.status_code == 200, resp.text


@given("GoToMeeting trusts Entra as its identity provider through the App Federation Metadata URL")
def _(lab, ctx):
    resp = _goto_admin(lab, ctx, "PUT", json={"mode": "automatic",
                                              "metadataUrl": ctx["sso_blade"]["appFederationMetadataUrl"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["certificates"], resp.text


@when("a new signing certificate is added in Entra and made active")
def _(lab, ctx):
    g = graph(lab, ctx)
    sp_id = _sp(ctx)["id"]
    created = g.post(f"/servicePrincipals/{sp_id}/addTokenSigningCertificate",
                     {"displayName": "CN=GoToMeeting rollover"})
    resp = g.request("PATCH", f"/servicePrincipals/{sp_id}",
                     json={"preferredTokenSigningKeyThumbprint": created["thumbprint"]})
    assert resp.status_code == 204, resp.text
    ctx.remember(new_certificate=created)


@when("the new certificate is uploaded to GoToMeeting")
def _(lab, ctx):
    pem = _certificate(lab, ctx, ctx["new_certificate"]["thumbprint"])
    resp = _goto_admin(lab, ctx, "POST", "/certificates", json={"certificate": pem})
    assert resp.status_code == 201, resp.text


@given(parsers.parse('the Identifier in Entra is changed to "{value}"'))
def _(lab, ctx, value):
    resp = graph(lab, ctx).request("PATCH", f"/applications/{ctx['application_id']}", json={"identifierUris": [value]})
    assert resp.status_code == 204, resp.text


@given(parsers.parse('the Reply URL in Entra is changed to "{value}"'))
def _(lab, ctx, value):
    resp = graph(lab, ctx).request("PATCH", f"/applications/{ctx['application_id']}",
                                   json={"web": {"redirectUris": [value]}})
    assert resp.status_code == 204, resp.text


@when("the next provisioning cycle runs")
def _(lab, ctx):
    lab.entra_admin("POST", f"/jobs/{ctx['job_id']}/run")


# -- users signing in ------------------------------------------------------------------------------
@given(parsers.parse('"{name}" has signed in to My Apps'))
@when(parsers.parse('"{name}" signs in to My Apps'))
def _(lab, ctx, name):
    page = _my_apps(lab, ctx, name)
    assert page.status == 200 and "My Apps" in page.text, page.text[:500]


@when(parsers.parse('"{name}" signs in to My Apps and opens the GoToMeeting tile'))
@when(parsers.parse('"{name}" opens the GoToMeeting tile'))
def _(lab, ctx, name):
    page = _my_apps(lab, ctx, name)
    if page.status == 200 and "My Apps" in page.text:
        assert f"/myapps/signin/{_sp(ctx)['appId']}" in page.html, "My Apps shows no GoToMeeting tile"
        page = _open_tile(lab, ctx, name)
    if _saml_post(page) is not None:
        _follow_post(ctx, name, page)


@when(parsers.parse('"{name}" opens the GoToMeeting tile directly'))
def _(lab, ctx, name):
    _remember_upn(lab, ctx, name)
    page = _open_tile(lab, ctx, name)
    if _saml_post(page) is not None:
        _follow_post(ctx, name, page)


@when(parsers.parse('"{name}" starts at GoToMeeting\'s company sign-in and signs in to Entra'))
@when(parsers.parse('"{name}" starts at GoToMeeting\'s company sign-in and signs in to Entra '
                    'with the password "{password}"'))
def _(lab, ctx, name, password=PASSWORD):
    upn = _remember_upn(lab, ctx, name)
    browser = _browser(ctx, name)
    page = _page(browser.session.get(f"{lab.gotomeeting_url}/saml/login", timeout=30))
    assert page.forms, page.text[:300]
    first = browser.submit(page, {"email": upn}, follow=False)
    assert first.status_code == 302 and "SAMLRequest=" in first.headers["Location"], first.text[:300]
    ctx.remember(authn_request_url=first.headers["Location"])
    page = _page(browser.session.get(first.headers["Location"], timeout=30))
    if page.forms and "ctx" in page.forms[0]["fields"]:
        page = _sign_in_to_entra(ctx, name, page, password=password)
    ctx.remember(entra_page=page)
    if _saml_post(page) is not None:
        _follow_post(ctx, name, page)


@when(parsers.parse('an unknown user "{login}" tries to sign in to My Apps'))
def _(lab, ctx, login):
    ctx.values.setdefault("sso_upns", {})[login] = login
    page = _page(_browser(ctx, login).session.get(f"{lab.entra_url}/myapps", timeout=30))
    ctx.remember(entra_page=_sign_in_to_entra(ctx, login, page))


@when("GoToMeeting sends Entra an AuthnRequest that is not valid SAML")
def _(lab, ctx):
    resp = requests.get(f"{lab.entra_url}/{lab.tenant_id}/saml2", params={"SAMLRequest": "bm90IGRlZmxhdGVk"},
                        timeout=30)
    ctx.remember(entra_page=_page(resp))


@when(parsers.parse('the Entra sign-in page is opened in German from GoToMeeting\'s company sign-in for "{name}"'))
def _(lab, ctx, name):
    upn = _remember_upn(lab, ctx, name)
    first = requests.get(f"{lab.gotomeeting_url}/saml/login", params={"email": upn}, allow_redirects=False, timeout=30)
    resp = requests.get(first.headers["Location"], headers={"Accept-Language": "de-DE,de;q=0.9"}, timeout=30)
    ctx.remember(entra_page=_page(resp))


# -- captured assertions ---------------------------------------------------------------------------
@given(parsers.parse('an assertion for "{name}" is captured from the GoToMeeting tile without being posted'))
@when(parsers.parse('an assertion for "{name}" is captured from the GoToMeeting tile without being posted'))
def _(lab, ctx, name):
    _my_apps(lab, ctx, name)
    page = _open_tile(lab, ctx, name)
    post = _saml_post(page)
    assert post is not None, f"Entra did not issue an assertion: {page.text[:500]}"
    ctx.remember(captured=post, captured_by=name)


def _post_captured(ctx, fields: dict | None = None) -> requests.Response:
    post = dict(ctx["captured"])
    post["fields"] = {**post["fields"], **(fields or {})}
    return _post_to_goto(ctx, ctx["captured_by"], post)


@when("the captured assertion is posted to GoToMeeting")
@when("the captured assertion is posted to GoToMeeting again")
def _(ctx):
    _post_captured(ctx)


@when("the captured assertion is altered to name another user and posted to GoToMeeting")
def _(ctx):
    root = _response_xml(ctx["captured"])
    name_id = root.find(".//saml:Assertion/saml:Subject/saml:NameID", SAML_NS)
    name_id.text = "goto.admin@contoso.example"
    _post_captured(ctx, {"SAMLResponse": _encode(root)})


@when("the captured assertion is stripped of its signature and posted to GoToMeeting")
def _(ctx):
    root = _response_xml(ctx["captured"])
    for signature in root.findall(".//ds:Signature", SAML_NS):
        signature.getparent().remove(signature)
    _post_captured(ctx, {"SAMLResponse": _encode(root)})


@when("the captured assertion is wrapped around a forged one and posted to GoToMeeting")
def _(ctx):
    root = _response_xml(ctx["captured"])
    original = root.find("saml:Assertion", SAML_NS)
    forged = copy.deepcopy(original)
    forged.set("ID", "_forged")
    forged.find("saml:Subject/saml:NameID", SAML_NS).text = "goto.admin@contoso.example"
    signature = forged.find("ds:Signature", SAML_NS)
    forged.remove(signature)
    root.remove(original)
    signature.append(original)  # the genuine, signed assertion hidden inside the forged one's signature
    forged.insert(1, signature)
    root.append(forged)
    _post_captured(ctx, {"SAMLResponse": _encode(root)})


# -- what users see --------------------------------------------------------------------------------
@then(parsers.parse('GoToMeeting shows "{user_name}" signed in with the role "{role}"'))
def _(ctx, user_name, role):
    resp = ctx["goto_response"]
    page = _page(resp)
    assert resp.status_code == 200 and "Welcome to GoToMeeting" in page.text, f"{resp.status_code}: {page.text[:600]}"
    user = re.search(r'id="user">([^<]*)<', resp.text)
    shown_role = re.search(r'id="role">([^<]*)<', resp.text)
    assert user and user.group(1).lower() == user_name.lower(), page.text
    assert shown_role and shown_role.group(1) == role, page.text


@then(parsers.parse('GoToMeeting refuses the sign-in with reason "{reason}"'))
@then(parsers.parse('GoToMeeting refuses the sign-in with reason "{reason}" and "{text}"'))
def _(lab, ctx, reason, text=None):
    resp = ctx["goto_response"]
    assert resp.status_code in (400, 403, 404), f"{resp.status_code}: {resp.text[:600]}"
    assert resp.headers.get("X-GoTo-SSO-Result") == f"refused; reason={reason}", \
        f"{resp.headers.get('X-GoTo-SSO-Result')}: {_page(resp).text[:600]}"
    if text is not None:
        assert text in _page(resp).text, _page(resp).text
    entries = lab._admin("GET", "/journal", params={"path": "/saml/acs"}).json()["entries"]
    assert entries and entries[-1]["status"] == resp.status_code, entries[-1:]
    assert reason in str(entries[-1]["responseHeaders"]), entries[-1]


@then(parsers.parse('Entra posted a signed assertion for "{user_name}" to GoToMeeting'))
def _(lab, ctx, user_name):
    post = ctx["saml_post"]
    assert post["action"] == f"{lab.gotomeeting_url}/saml/acs", post["action"]
    root = _response_xml(post)
    assert root.find("saml:Assertion/ds:Signature", SAML_NS) is not None, "the assertion is not signed"
    name_id = root.find("saml:Assertion/saml:Subject/saml:NameID", SAML_NS)
    assert name_id.text == user_name, name_id.text
    assert name_id.get("Format") == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


@then("Entra's response answers GoToMeeting's AuthnRequest")
def _(ctx):
    root = _response_xml(ctx["saml_post"])
    in_response_to = root.get("InResponseTo")
    assert in_response_to and in_response_to.startswith("GOTO_"), in_response_to
    data = root.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", SAML_NS)
    assert data.get("InResponseTo") == in_response_to


@then(parsers.parse('Entra refuses the sign-in with "{code}"'))
def _(ctx, code):
    page = ctx["entra_page"]
    assert code in page.text, f"{page.status}: {page.text[:600]}"
    assert _saml_post(page) is None, "Entra issued an assertion anyway"


@then(parsers.parse('Entra\'s sign-in page says "{text}"'))
def _(ctx, text):
    page = ctx["entra_page"]
    assert page.status == 200 and text in page.text, page.text[:500]


@then(parsers.parse('"{name}" is signed in to My Apps with the GoToMeeting tile'))
def _(lab, ctx, name):
    page = ctx["entra_page"]
    assert page.status == 200 and ctx["sso_upns"][name] in page.text, page.text[:500]
    assert f"/myapps/signin/{_sp(ctx)['appId']}" in page.html

