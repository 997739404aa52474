"""The GoTo Admin Center's pages (SPEC §8), in-process: GoTo's sign-in page and account check (only
administrators get in), Users read from the account the SCIM API writes, Licences from the seats,
the Identity Provider form through the admin API's operation with its errors next to the fields, CSRF,
German and English, every control labelled; and the sign-in pages' texts from the catalogues."""
from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import lxml.html
import pytest

from simulator.core.lab import Lab
from simulator.entra.sso.certificates import generate
from simulator.gotomeeting.app import create_app

CENTER = "/admin-center"
DOMAIN = "contoso.example"


class Center:
    def __init__(self, seed: int = 31):
        self.lab = Lab(seed=seed)
        self.app = create_app({"verified_domains": [DOMAIN]}, self.lab)
        self.goto = self.app.extensions["gotomeeting"]
        self.client = self.app.test_client()
        self.token = self.goto.oauth.issue_static_token().value
        self.admin = self.goto.config.admin
        self.member = self.goto.config.member

    # -- helpers over the APIs the pages must agree with ------------------------------------------
    def scim(self, method: str, path: str, body=None):
        return self.app.test_client().open(f"/scim/v2{path}", method=method, json=body,
                                           headers={"Authorization": f"Bearer {self.token}"})

    def provision(self, user_name: str, role: str = "organizer", active: bool = True, name=("Bo", "Simon")) -> dict:
        resp = self.scim("POST", "/Users", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": active,
            "displayName": " ".join(name), "name": {"givenName": name[0], "familyName": name[1]},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "roles": [{"value": role, "primary": "True"}]})
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()

    def idp_api(self) -> dict:
        resp = self.app.test_client().get(f"/admin/rest/v1/accounts/{self.goto.account.account_key}/identityProvider",
                                          headers={"Authorization": f"Bearer {self.token}"})
        assert resp.status_code == 200
        return resp.get_json()

    # -- the pages -------------------------------------------------------------------------------
    def sign_in(self, email: str, password: str, next_page: str = f"{CENTER}/users", client=None):
        client = client or self.client
        form = page_form(client.get(f"{CENTER}/signin?{urlencode({'next': next_page})}"), 0)
        return client.post(f"{CENTER}/signin", data={**form, "email": email, "password": password})

    def signed_in(self):
        resp = self.sign_in(self.admin.email, self.admin.password)
        assert resp.status_code == 303 and resp.headers["Location"].endswith(f"{CENTER}/users"), \
            resp.get_data(as_text=True)
        return self


def html(resp):
    return lxml.html.fromstring(resp.get_data(as_text=True))


def page_form(resp, index: int) -> dict:
    """The fields of the page's ``index``-th POST form (hidden fields included), as a browser sends them."""
    forms = [f for f in html(resp).forms if (f.method or "").upper() == "POST"]
    return {k: v for k, v in forms[index].form_values()}


def text_of(resp) -> str:
    return " ".join(html(resp).text_content().split())


def user_rows(resp) -> dict[str, dict]:
    rows = {}
    for tr in html(resp).xpath('//table[@aria-label="Users" or @aria-label="Benutzer"]/tbody/tr[@data-user-id]'):
        cells = [" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
        rows[tr.get("data-user-id")] = dict(zip(("name", "email", "role", "status"), cells))
    return rows


def field_errors(resp, field_id: str) -> str:
    doc = html(resp)
    control = doc.get_element_by_id(field_id)
    assert control.get("aria-invalid") == "true" and control.get("aria-describedby") == f"{field_id}-errors"
    return " ".join(doc.get_element_by_id(f"{field_id}-errors").text_content().split())


@pytest.fixture
def center():
    return Center()


def certificate_pem(lab: Lab, name: str = "one") -> tuple[str, str]:
    cert = generate(lab.rand.stream(f"test.certificates.{name}"), now=lab.clock.now(), display_name=f"CN={name}")
    return cert.pem, cert.thumbprint


# -- sign-in ------------------------------------------------------------------------------------------
def test_a_page_asks_for_the_sign_in_then_the_team_admin_gets_in(center):
    resp = center.client.get(f"{CENTER}/licences")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"{CENTER}/signin?{urlencode({'next': f'{CENTER}/licences'})}")
    signin = center.client.get(resp.headers["Location"])
    doc = html(signin)
    assert signin.status_code == 200 and doc.xpath("//h1")[0].text_content() == "Sign in to the GoTo Admin Center"
    assert doc.get_element_by_id("email").get("type") == "email" and doc.xpath('//label[@for="password"]')
    resp = center.sign_in(center.admin.email, center.admin.password, next_page=f"{CENTER}/licences")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"{CENTER}/licences")
    page = center.client.get(f"{CENTER}/licences")
    assert page.status_code == 200 and f"Signed in as {center.admin.email}" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"


def test_sign_in_uses_the_oauth_pages_account_check(center):
    wrong = center.sign_in(center.admin.email, "not-the-password")
    assert wrong.status_code == 200 and "Invalid email or password" in text_of(wrong)
    assert html(wrong).get_element_by_id("email").get("value") == center.admin.email
    assert center.client.get(f"{CENTER}/users").status_code == 302
    center.goto.sso.configure({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "idp",
                               "ssoRequired": True})
    blocked = center.sign_in(center.admin.email, center.admin.password)
    assert blocked.status_code == 200 and "sign in with your company ID" in text_of(blocked)
    assert center.client.get(f"{CENTER}/users").status_code == 302


def test_a_plain_member_sees_the_no_access_page(center):
    resp = center.sign_in(center.member.email, center.member.password)
    assert resp.status_code == 403 and "No access" in text_of(resp)
    assert f"Your account {center.member.email} is not an administrator" in text_of(resp)
    assert center.client.get(f"{CENTER}/users").status_code == 302  # not signed in


def test_an_admin_suspended_or_demoted_meanwhile_is_out_at_once(center):
    center.signed_in()
    admin_id = center.goto.account.find_by_username(center.admin.email).id
    center.goto.account.get_user(admin_id).admin_role = None  # demoted in GoTo's own admin center
    assert center.client.get(f"{CENTER}/users").status_code == 403
    center.goto.account.get_user(admin_id).admin_role = "admin"
    assert center.client.get(f"{CENTER}/users").status_code == 200
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert center.scim("PATCH", f"/Users/{admin_id}", patch).status_code == 200
    assert center.client.get(f"{CENTER}/users").status_code == 302


def test_sign_out_needs_the_form_and_ends_the_session(center):
    center.signed_in()
    users = center.client.get(f"{CENTER}/users")
    refused = center.client.post(f"{CENTER}/signout", data={})
    assert refused.status_code == 400 and center.client.get(f"{CENTER}/users").status_code == 200
    resp = center.client.post(f"{CENTER}/signout", data=page_form(users, 0))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"{CENTER}/signin")
    assert center.client.get(f"{CENTER}/users").status_code == 302


def test_the_sign_in_form_refuses_a_post_without_its_csrf_token(center):
    resp = center.client.post(f"{CENTER}/signin", data={"email": center.admin.email,
                                                        "password": center.admin.password})
    assert resp.status_code == 400 and "has expired" in text_of(resp)
    assert center.client.get(f"{CENTER}/users").status_code == 302


def test_next_never_leaves_the_admin_center(center):
    resp = center.sign_in(center.admin.email, center.admin.password, next_page="https://evil.example/")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"{CENTER}/users")


# -- users --------------------------------------------------------------------------------------------
def test_the_users_list_is_the_scim_apis_users(center):
    organizer = center.provision(f"b.simon@{DOMAIN}")
    manager = center.provision(f"m.anager@{DOMAIN}", role="manager", name=("Mia", "Anager"))
    suspended = center.provision(f"s.uspended@{DOMAIN}", active=False, name=("Sam", "Uspended"))
    center.signed_in()
    rows = user_rows(center.client.get(f"{CENTER}/users"))
    listed = center.scim("GET", "/Users").get_json()["Resources"]
    assert set(rows) == {u["id"] for u in listed} and len(rows) == 5
    for resource in listed:
        row = rows[resource["id"]]
        assert row["email"] == resource["emails"][0]["value"]
        assert row["status"] == ("Active" if resource.get("active", True) else "Suspended")
    assert rows[organizer["id"]] == {"name": "Bo Simon", "email": f"b.simon@{DOMAIN}", "role": "Organizer",
                                     "status": "Active"}
    assert rows[manager["id"]]["role"] == "Manager"
    assert rows[suspended["id"]]["status"] == "Suspended"
    admin = next(u for u in listed if u["userName"] == center.admin.email)
    assert rows[admin["id"]]["role"] == "Team admin"


def test_the_users_list_filters_by_text_role_and_status(center):
    center.provision(f"b.simon@{DOMAIN}")
    center.provision(f"m.anager@{DOMAIN}", role="manager", name=("Mia", "Anager"))
    center.provision(f"s.uspended@{DOMAIN}", active=False, name=("Sam", "Uspended"))
    center.signed_in()

    def emails(query: dict) -> set[str]:
        resp = center.client.get(f"{CENTER}/users?{urlencode(query)}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return {row["email"] for row in user_rows(resp).values()}

    assert emails({"q": "SIMON"}) == {f"b.simon@{DOMAIN}"}
    assert emails({"q": "mia an"}) == {f"m.anager@{DOMAIN}"}
    assert emails({"role": "manager"}) == {f"m.anager@{DOMAIN}"}
    assert emails({"role": "admin"}) == {center.admin.email}
    assert emails({"status": "suspended"}) == {f"s.uspended@{DOMAIN}"}
    assert emails({"role": "member", "status": "active"}) == {f"b.simon@{DOMAIN}", center.member.email}
    assert emails({"q": "nobody"}) == set()
    bad = center.client.get(f"{CENTER}/users?role=owner")
    assert bad.status_code == 400 and field_errors(bad, "role")
    assert html(bad).get_element_by_id("role").tag == "select"


def test_the_users_list_pages(center):
    center.goto.account.set_seats(300)
    for n in range(120):
        center.provision(f"user{n:03d}@{DOMAIN}", name=("User", f"{n:03d}"))
    center.signed_in()
    first = center.client.get(f"{CENTER}/users")
    second = center.client.get(f"{CENTER}/users?page=2")
    assert len(user_rows(first)) == 100 and len(user_rows(second)) == 22
    assert not set(user_rows(first)) & set(user_rows(second))
    assert "122 users" in text_of(first) and html(first).xpath('//a[@rel="next"]')


# -- licences -----------------------------------------------------------------------------------------
def test_licences_are_the_seats(center):
    center.provision(f"b.simon@{DOMAIN}")
    center.provision(f"s.uspended@{DOMAIN}", active=False, name=("Sam", "Uspended"))
    center.goto.account.set_seats(10)
    center.signed_in()
    seats = center.app.test_client().get("/_admin/seats").get_json()
    doc = html(center.client.get(f"{CENTER}/licences"))
    shown = {k: int(doc.get_element_by_id(f"seats-{k}").text_content()) for k in ("total", "used", "free")}
    assert shown == seats == {"total": 10, "used": 3, "free": 7}
    assert doc.xpath("//progress")[0].get("value") == "3"


# -- identity provider ------------------------------------------------------------------------------
def idp_form(center, **values) -> dict:
    form = page_form(center.client.get(f"{CENTER}/identity-provider"), 1)  # 0: the sign-out button
    form.update(values)
    return form


def test_the_identity_provider_form_saves_through_the_admin_apis_operation(center):
    center.signed_in()
    pem, thumb = certificate_pem(center.lab)
    form = idp_form(center, mode="manual", sign_in_url="https://login.example/t/saml2",
                    sign_out_url="https://login.example/t/logout", entity_id="https://sts.example/t/",
                    certificate_text=pem)
    resp = center.client.post(f"{CENTER}/identity-provider", data=form)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    api = center.idp_api()
    assert (api["mode"], api["signInUrl"], api["signOutUrl"], api["entityId"]) == (
        "manual", "https://login.example/t/saml2", "https://login.example/t/logout", "https://sts.example/t/")
    assert [c["thumbprint"] for c in api["certificates"]] == [thumb] and api["ssoRequired"] is False
    shown = center.client.get(resp.headers["Location"])
    assert "The identity provider settings are saved." in text_of(shown) and thumb in text_of(shown)
    assert html(shown).get_element_by_id("sign_in_url").get("value") == "https://login.example/t/saml2"

    der_pem, second = certificate_pem(center.lab, "two")
    der = base64.b64decode("".join(der_pem.splitlines()[1:-1]))
    form = idp_form(center, certificate_text="")
    form["certificate_file"] = (io.BytesIO(der), "idp.cer")
    resp = center.client.post(f"{CENTER}/identity-provider", data=form, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert [c["thumbprint"] for c in center.idp_api()["certificates"]] == [thumb, second]

    remove = page_form(center.client.get(f"{CENTER}/identity-provider"), 2)
    resp = center.client.post(f"{CENTER}/identity-provider/certificates/{thumb}/remove", data=remove)
    assert resp.status_code == 303 and [c["thumbprint"] for c in center.idp_api()["certificates"]] == [second]
    gone = center.client.post(f"{CENTER}/identity-provider/certificates/{thumb}/remove", data=remove)
    assert gone.status_code == 404 and "text/html" in gone.content_type


def test_the_identity_provider_forms_errors_are_next_to_their_fields(center):
    center.signed_in()
    pem, _ = certificate_pem(center.lab)
    center.goto.sso.configure({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "idp",
                               "certificates": [pem]})
    before = center.idp_api()
    cases = [
        ({"mode": "manual", "sign_in_url": "not a url"}, "sign_in_url", "signInUrl must be an absolute http(s) URL"),
        ({"mode": "manual", "sign_out_url": "ftp://idp.example/out"}, "sign_out_url", "signOutUrl must be"),
        ({"mode": "manual", "entity_id": "  "}, "entity_id", "entityId must be"),
        ({"mode": "manual", "certificate_text": "not a certificate"}, "certificate_text", "certificate"),
        ({"mode": "automatic", "metadata_url": ""}, "metadata_url", "metadataUrl must be"),
        ({"mode": "automatic", "metadata_url": "http://127.0.0.1:9/none"}, "metadata_url", "could not be read"),
    ]
    center.goto.sso.fetch = lambda url: (_ for _ in ()).throw(OSError("connection refused"))
    for values, field, text in cases:
        resp = center.client.post(f"{CENTER}/identity-provider", data=idp_form(center, **values))
        assert resp.status_code == 400, (values, resp.get_data(as_text=True))
        assert text in field_errors(resp, field), values
        assert "Correct the marked fields." in text_of(resp)
        assert center.idp_api() == before
    resp = center.client.post(f"{CENTER}/identity-provider", data=idp_form(center, mode="nonsense"))
    assert resp.status_code == 400 and "Not a valid choice" in field_errors(resp, "mode")
    assert center.idp_api() == before


def test_the_identity_provider_form_refuses_a_post_without_its_csrf_token(center):
    center.signed_in()
    before = center.idp_api()
    form = idp_form(center, mode="manual", sign_in_url="https://idp.example/sso", entity_id="idp")
    form.pop("csrf_token")
    resp = center.client.post(f"{CENTER}/identity-provider", data=form)
    assert resp.status_code == 400 and "The form has expired" in text_of(resp)
    assert center.idp_api() == before
    form = idp_form(center, mode="manual", sign_in_url="https://idp.example/sso", entity_id="idp",
                    csrf_token="forged")
    assert center.client.post(f"{CENTER}/identity-provider", data=form).status_code == 400
    assert center.idp_api() == before


def test_a_member_cannot_reach_the_identity_provider_form(center):
    other = center.app.test_client()
    center.sign_in(center.member.email, center.member.password, client=other)
    assert other.post(f"{CENTER}/identity-provider", data={"mode": "none"}).status_code == 302
    assert center.idp_api()["mode"] is None


# -- errors, languages, accessibility ------------------------------------------------------------------
def test_unknown_pages_and_methods_are_pages(center):
    center.signed_in()
    missing = center.client.get(f"{CENTER}/nowhere")
    assert missing.status_code == 404 and "text/html" in missing.content_type and "Not found" in text_of(missing)
    wrong = center.client.delete(f"{CENTER}/users")
    assert wrong.status_code == 405 and "text/html" in wrong.content_type
    assert center.client.get(f"{CENTER}/users?page=nonsense").status_code == 200


def test_the_admin_center_speaks_german(center):
    center.provision(f"b.simon@{DOMAIN}")
    signin = center.client.get(f"{CENTER}/signin", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Beim GoTo Admin Center anmelden" in text_of(signin) and html(signin).get("lang") == "de"
    assert "Kennwort" in text_of(signin) and signin.headers["Content-Language"] == "de"
    wrong = center.client.post(f"{CENTER}/signin", data={**page_form(signin, 0), "email": center.admin.email,
                                                         "password": "nope"})
    assert "Ungültige E-Mail-Adresse oder ungültiges Kennwort" in text_of(wrong)
    center.signed_in()
    users = center.client.get(f"{CENTER}/users?lang=de")
    body = text_of(users)
    assert all(word in body for word in ("Benutzer", "Lizenzen", "Identitätsanbieter", "Organisator", "Aktiv",
                                         "Teamadministrator", "Abmelden"))
    assert "Organizer" not in body and "Licences" not in body
    licences = text_of(center.client.get(f"{CENTER}/licences"))  # the cookie remembers the choice
    assert "GoToMeeting-Organisatorplätze" in licences and "Belegt" in licences
    idp = text_of(center.client.get(f"{CENTER}/identity-provider?lang=en"))
    assert "Sign-in page URL" in idp and "Save" in idp


def test_every_control_has_a_role_and_an_accessible_name(center):
    center.provision(f"b.simon@{DOMAIN}")
    pem, _ = certificate_pem(center.lab)
    center.goto.sso.configure({"mode": "manual", "signInUrl": "https://idp.example/sso", "entityId": "idp",
                               "certificates": [pem]})
    pages = [center.client.get(f"{CENTER}/signin")]
    center.signed_in()
    pages += [center.client.get(f"{CENTER}/{p}") for p in ("users", "licences", "identity-provider")]
    for resp in pages:
        doc = html(resp)
        labelled = {label.get("for") for label in doc.xpath("//label[@for]")}
        for control in doc.xpath("//input[not(@type='hidden')]|//select|//textarea"):
            assert control.get("id") in labelled or control.get("aria-label"), lxml.html.tostring(control)
        for button in doc.xpath("//button"):
            assert button.text_content().strip() or button.get("aria-label"), lxml.html.tostring(button)
        for table in doc.xpath("//table"):
            assert table.get("aria-label") or table.get("aria-labelledby")
            assert all(th.get("scope") for th in table.xpath(".//th"))
        for nav in doc.xpath("//nav"):
            assert nav.get("aria-label")


# -- the sign-in pages' texts come from the catalogues ---------------------------------------------------
def authorize_url(center, **extra) -> str:
    client = center.goto.config.clients[0]
    return "/oauth/authorize?" + urlencode({"client_id": client.client_id, "response_type": "code",
                                            "redirect_uri": client.redirect_uris[0], "state": "s", **extra})


def test_the_oauth_sign_in_page_in_english_and_german(center):
    english = text_of(center.app.test_client().get(authorize_url(center)))
    assert all(w in english for w in ("Sign in to GoToMeeting", "Email", "Password", "Allow", "Deny"))
    german = center.app.test_client().get(authorize_url(center, lang="de"))
    body = text_of(german)
    assert all(w in body for w in ("Bei GoToMeeting anmelden", "E-Mail", "Kennwort", "Zulassen", "Ablehnen"))
    assert "Microsoft Entra ID provisioning möchte auf Ihr GoTo-Konto zugreifen" in body
    assert html(german).xpath("//strong")[0].text_content() == "Microsoft Entra ID provisioning"
    form = page_form(german, 0)
    assert form["lang"] == "de"
    wrong = center.app.test_client().post("/oauth/authorize", data={**form, "email": center.admin.email,
                                                                    "password": "nope", "action": "allow"})
    assert "Ungültige E-Mail-Adresse oder ungültiges Kennwort" in text_of(wrong)
    error = center.app.test_client().get("/oauth/authorize?client_id=unknown&mkt=de-DE")
    assert error.status_code == 400 and "Wir können Sie nicht anmelden" in text_of(error)


def test_entras_sign_in_pages_follow_mkt_then_the_browser():
    from simulator.entra.app import create_app as create_entra

    entra = create_entra({}, Lab(seed=5)).test_client()
    german = entra.get("/myapps?mkt=de-DE", headers={"Accept-Language": "en-US"})
    assert all(w in text_of(german) for w in ("Anmelden", "E-Mail, Telefon oder Skype", "Kennwort"))
    assert html(german).get("lang") == "de" and page_form(german, 0)["lang"] == "de"
    english = entra.get("/myapps?mkt=en-US", headers={"Accept-Language": "de-DE"})
    assert "Email, phone, or Skype" in text_of(english) and "Kennwort" not in text_of(english)
    assert "Kennwort" in text_of(entra.get("/myapps", headers={"Accept-Language": "de-DE,de;q=0.9"}))
