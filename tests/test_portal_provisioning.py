"""The Provisioning page of an enterprise app, in-process: Get started, Admin Credentials, Test Connection
with Entra's texts for each verdict, Settings, Provisioning Status, Save. Every form refuses a missing
CSRF token, shows its validation errors next to the field and changes nothing when it refuses; what the
page saves is what the synchronization API reads; English and German."""
from __future__ import annotations

import hashlib
import json
import re
import socket
from pathlib import Path

import pytest
from lxml import html as lxml_html

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget
from fixtures.scim_targets import create_app as create_target_app
from simulator.core.lab import Lab
from simulator.core.server import LiveServer
from simulator.entra.app import create_app
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID
from simulator.entra.auth import mint_token
from simulator.entra.sso.model import GOTOMEETING_TEMPLATE_ID

PORTAL_STATIC = Path(__file__).resolve().parent.parent / "simulator" / "entra" / "portal" / "static"


class SignedIn:
    """One admin center for the module, signed in once; each test adds its own two apps to it."""

    def __init__(self):
        self.app = create_app({"fixture": "gotomeeting-tutorial", "portal_admin": True}, Lab(seed=7))
        self.entra = self.app.extensions["entra"]
        self.client = self.app.test_client()
        self.graph = self.app.test_client()
        token = mint_token(self.entra, self.entra.config.admin_client, "http://x")
        self.graph.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/portal/signin?next=/portal/enterprise-apps").get_data(as_text=True)
        ctx = re.search(r'name="ctx" value="([^"]+)"', page).group(1)
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        config = self.entra.config
        resp = self.client.post(action, data={"ctx": ctx, "login": config.portal_admin_upn,
                                              "passwd": config.portal_admin_password})
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]


class Portal:
    def __init__(self, lab: SignedIn):
        self.app, self.entra, self.client, self.graph = lab.app, lab.entra, lab.client, lab.graph
        _, self.goto = self.entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
        _, self.scim = self.entra.apps.instantiate_template(NON_GALLERY_TEMPLATE_ID, "SCIM app")

    def url(self, sp, lang: str = "en") -> str:
        return f"/portal/enterprise-apps/{sp.id}/provisioning?lang={lang}"

    def get(self, sp, lang: str = "en"):
        resp = self.client.get(self.url(sp, lang))
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        return resp

    def csrf(self, sp) -> str:
        return _csrf(self.get(sp).get_data(as_text=True))

    def get_started(self, sp) -> None:
        resp = self.client.post(f"/portal/enterprise-apps/{sp.id}/provisioning/get-started",
                                data={"csrf_token": self.csrf(sp)})
        assert resp.status_code == 303

    def job(self, sp) -> dict:
        jobs = self.graph.get(f"/v1.0/servicePrincipals/{sp.id}/synchronization/jobs").get_json()["value"]
        assert len(jobs) == 1
        return jobs[0]

    def post(self, sp, lang: str = "en", csrf: bool = True, **fields):
        data = {"mode": "Automatic", "scope": "assigned", "status": "off", "deletion_threshold": "500",
                "prevent_deletions": "y", "action": "save"}
        data.update({k: v for k, v in fields.items() if v is not None})
        for key in [k for k, v in fields.items() if v is None]:
            data.pop(key, None)
        if csrf:
            data["csrf_token"] = self.csrf(sp)
        return self.client.post(f"/portal/enterprise-apps/{sp.id}/provisioning?lang={lang}", data=data)

    def state(self, sp) -> tuple:
        """What a refused form must leave as it was: the job, its settings and the secrets (redacted)."""
        jobs = self.entra.sync.list_jobs(sp.id)
        return ([(j.id, j.schedule_state, j.code, dict(j.settings)) for j in jobs],
                self.entra.sync.redacted_secrets(sp.id))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _text(resp) -> str:
    return " ".join(lxml_html.fromstring(resp.get_data(as_text=True)).text_content().split())


def _errors_of(resp, field: str) -> list[str]:
    tree = lxml_html.fromstring(resp.get_data(as_text=True))
    control = tree.get_element_by_id(field)
    described = control.get("aria-describedby")
    assert described == f"{field}-errors" and control.get("aria-invalid", "true") == "true", \
        f"{field} is not described by its errors"
    return [" ".join(li.text_content().split()) for li in tree.get_element_by_id(described).iter("li")]


@pytest.fixture(scope="module")
def signed_in() -> SignedIn:
    return SignedIn()


@pytest.fixture
def portal(signed_in) -> Portal:
    return Portal(signed_in)


@pytest.fixture
def target():
    scim = ScimTarget(())
    server = LiveServer(create_target_app(scim), name="provisioning-page-target").start()
    yield scim, server.url + SCIM_PREFIX
    server.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- Get started -------------------------------------------------------------------------------------
def test_get_started_creates_the_job_from_the_apps_template(portal):
    sp = portal.goto
    page = portal.get(sp)
    assert "Get started" in _text(page)
    assert portal.graph.get(f"/v1.0/servicePrincipals/{sp.id}/synchronization/jobs").get_json()["value"] == []
    portal.get_started(sp)
    job = portal.job(sp)
    assert job["templateId"] == "gotomeeting" and job["status"]["code"] == "NotConfigured"
    assert job["schedule"]["state"] == "Disabled"
    tree = lxml_html.fromstring(portal.get(sp).get_data(as_text=True))
    assert tree.xpath('//select[@id="mode"]/option[@selected]/@value') == ["Automatic"]
    rows = tree.xpath('//table[@aria-label="Mappings"]/tbody/tr')
    assert [" ".join(r.text_content().split()) for r in rows] == ["Synchronize Microsoft Entra users to GoToMeeting Yes"]
    # a second Get started (an old tab) makes no second job
    resp = portal.client.post(f"/portal/enterprise-apps/{sp.id}/provisioning/get-started",
                              data={"csrf_token": _csrf(page.get_data(as_text=True))})
    assert resp.status_code == 303 and portal.job(sp)["id"] == job["id"]


def test_get_started_without_the_csrf_token_creates_nothing(portal):
    resp = portal.client.post(f"/portal/enterprise-apps/{portal.goto.id}/provisioning/get-started")
    assert resp.status_code == 400
    assert "The form expired or did not come from this page" in _text(resp)
    assert portal.entra.sync.list_jobs(portal.goto.id) == []


def test_the_mappings_link_to_their_attribute_mappings(portal):
    sp = portal.scim
    portal.get_started(sp)
    tree = lxml_html.fromstring(portal.get(sp).get_data(as_text=True))
    links = tree.xpath('//table[@aria-label="Mappings"]//a')
    assert [a.text_content() for a in links] == ["Provision Microsoft Entra ID Users", "Provision Microsoft Entra ID Groups"]
    for link in links:
        assert portal.client.get(link.get("href")).status_code == 200


def test_an_unknown_app_is_a_404_page(portal):
    resp = portal.client.get("/portal/enterprise-apps/nope/provisioning")
    assert resp.status_code == 404 and "The application nope does not exist." in _text(resp)
    resp = portal.client.post("/portal/enterprise-apps/nope/provisioning", data={"mode": "Automatic"})
    assert resp.status_code == 404


# -- the page's words and its controls ----------------------------------------------------------------
def test_the_page_speaks_the_tutorials_german(portal):
    portal.get_started(portal.goto)
    text = _text(portal.get(portal.goto, "de"))
    for word in ("Bereitstellungsmodus", "Automatisch", "Manuell", "Administratoranmeldeinformationen", "Autorisieren",
                 "Verbindung testen", "Speichern", "Zuordnungen", "Einstellungen", "Bereitstellungsstatus", "Ein",
                 "Aus", "Microsoft Entra-Benutzer mit GoToMeeting synchronisieren",
                 "Nur zugewiesene Benutzer und Gruppen synchronisieren", "Nicht autorisiert"):
        assert word in text, word
    for english in ("Provisioning Mode", "Admin Credentials", "Test Connection", "Not authorized", "Settings"):
        assert english not in text, english


def test_every_control_has_a_role_and_an_accessible_name(portal):
    for sp in (portal.goto, portal.scim):
        portal.get_started(sp)
        tree = lxml_html.fromstring(portal.get(sp).get_data(as_text=True))
        labelled = set(tree.xpath("//label/@for"))
        controls = tree.xpath('//form//input[not(@type="hidden")] | //form//select | //form//textarea')
        assert controls
        for control in controls:
            assert control.get("id") in labelled, lxml_html.tostring(control)
        for button in tree.xpath("//button"):
            assert button.text_content().strip() or button.get("aria-label"), lxml_html.tostring(button)
        for table in tree.xpath("//table"):
            assert table.get("aria-label") and table.xpath(".//th[@scope]")


# -- Admin Credentials: Authorize and the Secret Token -----------------------------------------------
def test_authorize_opens_the_existing_flow_and_the_page_shows_the_stored_result(portal):
    sp = portal.goto
    portal.get_started(sp)
    job_id = portal.job(sp)["id"]
    tree = lxml_html.fromstring(portal.get(sp).get_data(as_text=True))
    button = tree.get_element_by_id("authorize")
    assert button.get("type") == "button" and button.text_content() == "Authorize"
    url = button.get("data-authorize-url")
    assert url == f"/portal/servicePrincipals/{sp.id}/provisioning/authorize?jobId={job_id}"
    assert portal.client.get(url).status_code == 302  # to GoTo's sign-in
    [script] = tree.xpath("//script/@src")
    assert script == f"/portal/static/provisioning.js?v={_content_hash('provisioning.js')}"
    served = portal.client.get(script)
    assert served.status_code == 200 and served.headers["Cache-Control"] == "public, max-age=86400"
    assert " ".join(tree.get_element_by_id("authorize-status").text_content().split()) == "Not authorized"
    portal.entra.sync.store_secrets(sp.id, {"Oauth2AccessToken": "stored-by-authorize"})
    tree = lxml_html.fromstring(portal.get(sp).get_data(as_text=True))
    assert " ".join(tree.get_element_by_id("authorize-status").text_content().split()) == "Authorized"
    assert "stored-by-authorize" not in portal.get(sp).get_data(as_text=True)


def _content_hash(filename: str) -> str:
    """The version a static file's URL carries: the start of the SHA-256 of its bytes."""
    return hashlib.sha256((PORTAL_STATIC / filename).read_bytes()).hexdigest()[:12]


def test_the_popups_last_page_is_in_the_admin_centers_layout_and_keeps_failures_open(portal):
    resp = portal.client.get("/portal/TokenAuthorize?code=abc&lang=de")
    assert resp.status_code == 400
    tree = lxml_html.fromstring(resp.get_data(as_text=True))
    assert tree.xpath("//h1")[0].text_content() == "Autorisierung fehlgeschlagen"
    assert tree.get_element_by_id("message").text_content() == "Der state-Parameter fehlt oder ist fehlerhaft."
    script = tree.xpath(f'//script[@src="/portal/static/token_authorize.js?v={_content_hash("token_authorize.js")}"]')[0]
    assert script.get("data-authorized") == "false"
    assert tree.xpath('//link[@rel="stylesheet"]/@href') == [f"/portal/static/portal.css?v={_content_hash('portal.css')}"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_the_secret_token_is_saved_and_never_echoed(portal, target):
    _, url = target
    sp = portal.scim
    portal.get_started(sp)
    resp = portal.post(sp, tenant_url=url, secret_token="very-secret-token-1")
    assert resp.status_code == 303
    page = portal.get(sp).get_data(as_text=True)
    assert "very-secret-token-1" not in page
    assert "A secret token is saved; leave the field empty to keep it." in page
    assert lxml_html.fromstring(page).get_element_by_id("tenant_url").get("value") == url
    assert portal.entra.sync.secrets(sp.id)["SecretToken"] == "very-secret-token-1"
    # an empty token keeps the saved one
    assert portal.post(sp, tenant_url=url, secret_token="").status_code == 303
    assert portal.entra.sync.secrets(sp.id)["SecretToken"] == "very-secret-token-1"


# -- Test Connection ----------------------------------------------------------------------------------
def test_test_connection_succeeds_with_entras_text_and_saves_nothing(portal, target):
    scim, url = target
    sp = portal.scim
    portal.get_started(sp)
    before = portal.state(sp)
    for lang, words in (("en", "The supplied credentials are authorized to enable provisioning"),
                        ("de", "Die angegebenen Anmeldeinformationen sind zum Aktivieren der Bereitstellung autorisiert.")):
        resp = portal.post(sp, lang, action="test", tenant_url=url, secret_token=scim.token)
        assert resp.status_code == 200
        note = lxml_html.fromstring(resp.get_data(as_text=True)).xpath('//div[contains(concat(" ", @class, " "), " notification ")]')[0]
        assert "success" in note.get("class") and note.get("role") == "status"
        assert words in note.text_content()
        assert scim.token not in resp.get_data(as_text=True)
        # the typed Tenant URL stays in the field; nothing was saved
        assert lxml_html.fromstring(resp.get_data(as_text=True)).get_element_by_id("tenant_url").get("value") == url
    assert portal.state(sp) == before


@pytest.mark.parametrize("lang, texts", [
    ("en", ["You appear to have entered invalid credentials. Please confirm you are using the correct information "
            "for an administrative account."]),
    ("de", ["Sie haben anscheinend ungültige Anmeldeinformationen eingegeben."]),
])
def test_test_connection_with_a_wrong_token_says_the_credentials_are_invalid(portal, target, lang, texts):
    _, url = target
    portal.get_started(portal.scim)
    resp = portal.post(portal.scim, lang, action="test", tenant_url=url, secret_token="wrong")
    note = lxml_html.fromstring(resp.get_data(as_text=True)).xpath('//div[contains(concat(" ", @class, " "), " notification ")]')[0]
    assert note.get("role") == "alert"
    for text in texts:
        assert text in note.text_content()
    assert "Team Admin" not in note.text_content() and "Teamadministrator" not in note.text_content()


def test_test_connection_to_nothing_says_it_could_not_connect_with_the_cause(portal):
    portal.get_started(portal.scim)
    resp = portal.post(portal.scim, "de", action="test", tenant_url=f"http://127.0.0.1:{_closed_port()}/scim",
                       secret_token="t")
    text = _text(resp)
    assert "Es konnte keine Verbindung mit der Zielanwendung hergestellt werden." in text
    assert "Details: " in text


def test_test_connection_to_a_404_tenant_url_says_so(portal, target):
    scim, url = target
    portal.get_started(portal.scim)
    resp = portal.post(portal.scim, action="test", tenant_url=url.replace(SCIM_PREFIX, "/nothing-here"),
                       secret_token=scim.token)
    assert "An HTTP/404 Not Found response was returned rather than the expected HTTP/200 OK response." in _text(resp)


@pytest.mark.parametrize("lang, texts", [
    ("en", ["You appear to have entered invalid credentials.",
            "Make sure your GoToMeeting account has Team Admin permissions.",
            "Then select Authorize under Admin Credentials again."]),
    ("de", ["Sie haben anscheinend ungültige Anmeldeinformationen eingegeben.",
            "Stellen Sie sicher, dass Ihr GoToMeeting-Konto über Teamadministratorberechtigungen verfügt.",
            "Versuchen Sie dann den Schritt Administratoranmeldeinformationen erneut"]),
])
def test_test_connection_for_gotomeeting_gives_the_tutorials_advice(portal, lang, texts):
    sp = portal.goto
    portal.get_started(sp)
    before = portal.state(sp)
    resp = portal.post(sp, lang, action="test")
    assert resp.status_code == 200
    text = _text(resp)
    for expected in texts:
        assert expected in text
    assert portal.state(sp) == before


# -- Save: settings, validation, status -------------------------------------------------------------
def test_save_without_the_csrf_token_changes_nothing(portal, target):
    _, url = target
    portal.get_started(portal.scim)
    before = portal.state(portal.scim)
    resp = portal.post(portal.scim, csrf=False, tenant_url=url, secret_token="x", scope="all")
    assert resp.status_code == 400
    assert "The form expired or did not come from this page" in _text(resp)
    assert portal.state(portal.scim) == before


@pytest.mark.parametrize("lang, fields, field, error", [
    ("en", {"notification_email": "not-an-address"}, "notification_email",
     "Enter a valid email address, such as admin@contoso.com."),
    ("en", {"send_failure_email": "y", "notification_email": ""}, "notification_email",
     "Enter the email address that receives the notifications."),
    ("en", {"deletion_threshold": "0"}, "deletion_threshold", "The threshold must be a whole number from 1 to 2147483647."),
    ("en", {"deletion_threshold": "ten"}, "deletion_threshold", "The threshold must be a whole number from 1 to"),
    ("de", {"deletion_threshold": "-3"}, "deletion_threshold", "Der Schwellenwert muss eine ganze Zahl von 1 bis"),
    ("en", {"tenant_url": ""}, "tenant_url", "Enter the Tenant URL of the application's SCIM endpoint."),
    ("de", {"tenant_url": "ftp://example.com/scim"}, "tenant_url", "Die Mandanten-URL muss eine http://- oder"),
    ("en", {"status": "on", "tenant_url": ""}, "status",
     "Provisioning can't be turned on without credentials: enter the Tenant URL and the Secret Token first."),
])
def test_a_refused_save_shows_the_error_next_to_the_field_and_changes_nothing(portal, lang, fields, field, error):
    sp = portal.scim
    portal.get_started(sp)
    before = portal.state(sp)
    data = {"tenant_url": "https://example.com/scim", "secret_token": "s", "scope": "all"} | fields
    resp = portal.post(sp, lang, **data)
    assert resp.status_code == 400
    assert any(e.startswith(error) for e in _errors_of(resp, field)), _errors_of(resp, field)
    assert portal.state(sp) == before
    assert "notification error" in resp.get_data(as_text=True)


def test_status_on_for_gotomeeting_needs_authorize_first(portal):
    portal.get_started(portal.goto)
    before = portal.state(portal.goto)
    resp = portal.post(portal.goto, status="on")
    assert resp.status_code == 400
    assert _errors_of(resp, "status") == ["Provisioning can't be turned on without credentials: select Authorize "
                                          "under Admin Credentials first."]
    assert portal.state(portal.goto) == before


def test_an_unknown_choice_is_refused(portal):
    portal.get_started(portal.goto)
    before = portal.state(portal.goto)
    resp = portal.post(portal.goto, scope="everyone")
    assert resp.status_code == 400 and _errors_of(resp, "scope")
    assert portal.state(portal.goto) == before


def test_what_the_page_saves_is_what_the_api_reads(portal, target):
    scim, url = target
    sp = portal.scim
    portal.get_started(sp)
    resp = portal.post(sp, tenant_url=url, secret_token=scim.token, send_failure_email="y",
                       notification_email="ops@contoso.example", prevent_deletions=None, deletion_threshold="20",
                       scope="all", status="on")
    assert resp.status_code == 303
    page = portal.client.get(resp.headers["Location"] + "?lang=en")
    assert "Your changes to SCIM app were saved." in _text(page)
    job = portal.job(sp)
    assert job["schedule"]["state"] == "Active" and job["status"]["code"] == "NotRun"
    assert {s["name"]: s["value"] for s in job["synchronizationJobSettings"]} == {
        "QuarantineTooManyDeletesThreshold": "20", "QuarantineTooManyDeletes": "false"}
    secrets = portal.entra.sync.redacted_secrets(sp.id)
    assert secrets["BaseAddress"] == url and secrets["SecretToken"] == "REDACTED" and secrets["SyncAll"] == "true"
    assert secrets["SyncNotificationSettings"] == '{"Enabled":true,"Recipients":"ops@contoso.example"}'
    # the page reads them back, and shows the synchronization details now that provisioning is on
    tree = lxml_html.fromstring(page.get_data(as_text=True))
    assert tree.xpath('//select[@id="status"]/option[@selected]/@value') == ["on"]
    assert tree.xpath('//select[@id="scope"]/option[@selected]/@value') == ["all"]
    assert tree.get_element_by_id("send_failure_email").get("checked") is not None
    assert tree.get_element_by_id("prevent_deletions").get("checked") is None
    assert tree.get_element_by_id("deletion_threshold").get("value") == "20"
    assert tree.get_element_by_id("notification_email").get("value") == "ops@contoso.example"
    assert "Synchronization details" in _text(page)
    # Off pauses the job (the API's pause), and the settings stay
    assert portal.post(sp, tenant_url=url, deletion_threshold="20", scope="all", status="off",
                       prevent_deletions="y").status_code == 303
    job = portal.job(sp)
    assert job["schedule"]["state"] == "Paused" and job["status"]["code"] == "Paused"
    assert {s["name"]: s["value"] for s in job["synchronizationJobSettings"]}["QuarantineTooManyDeletes"] == "true"


def test_saving_manual_removes_the_job_and_offers_get_started_again(portal):
    sp = portal.goto
    portal.get_started(sp)
    resp = portal.post(sp, mode="Manual")
    assert resp.status_code == 303
    assert portal.entra.sync.list_jobs(sp.id) == []
    text = _text(portal.get(sp))
    assert "Provisioning Mode Manual: the provisioning configuration was removed." in text and "Get started" in text


def test_a_job_setting_the_api_does_not_know_is_refused(portal):
    portal.get_started(portal.goto)
    path = f"/v1.0/servicePrincipals/{portal.goto.id}/synchronization/jobs/{portal.job(portal.goto)['id']}"
    resp = portal.graph.patch(path, json={"synchronizationJobSettings": [{"name": "QuarantineTooManyDeletes",
                                                                           "value": "maybe"}]})
    assert resp.status_code == 400 and '"true" or "false"' in resp.get_json()["error"]["message"]


def test_unticking_prevent_accidental_deletion_lets_deletions_past_the_threshold_through(portal, target):
    scim, url = target
    sp = portal.scim
    portal.get_started(sp)
    role = next(r.id for r in sp.app_roles if r.display_name == "User")
    assignments = []
    for name in ("Ann.One", "Bob.Two"):
        upn = f"{name.lower()}.{sp.id[:8]}@{portal.entra.config.tenant_domain}"
        user = portal.graph.post("/v1.0/users", json={
            "accountEnabled": True, "displayName": name, "mailNickname": upn.split("@")[0], "userPrincipalName": upn,
            "passwordProfile": {"password": "Passw0rd!Passw0rd"}}).get_json()
        assignments.append(portal.graph.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo", json={
            "principalId": user["id"], "resourceId": sp.id, "appRoleId": role}).get_json()["id"])
    assert portal.post(sp, tenant_url=url, secret_token=scim.token, deletion_threshold="1",
                       status="on").status_code == 303
    job_id = portal.job(sp)["id"]
    portal.entra.sync.run_job_now(job_id)
    assert len(scim.dump()["Users"]) == 2
    assert portal.post(sp, tenant_url=url, deletion_threshold="1", prevent_deletions=None,
                       status="on").status_code == 303
    for assignment in assignments:
        assert portal.graph.delete(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo/{assignment}").status_code == 204
    portal.entra.sync.run_job_now(job_id)
    status = portal.job(sp)["status"]
    assert status["code"] == "Active" and status["quarantine"] is None
    assert [json.loads(u)["active"] for u in scim.dump()["Users"].values()] == [False, False]


def test_saving_an_app_without_a_job_asks_for_get_started_and_creates_nothing(portal):
    page = portal.get(portal.goto).get_data(as_text=True)  # the Get started page: its CSRF token
    resp = portal.client.post(portal.url(portal.goto), data={"csrf_token": _csrf(page), "mode": "Automatic",
                                                             "action": "save"})
    assert resp.status_code == 409
    assert "This application has no provisioning configuration: select Get started first." in _text(resp)
    assert portal.entra.sync.list_jobs(portal.goto.id) == []


def test_the_menu_marks_provisioning_after_a_refused_save(portal):
    portal.get_started(portal.goto)
    resp = portal.post(portal.goto, deletion_threshold="x")
    tree = lxml_html.fromstring(resp.get_data(as_text=True))
    assert tree.xpath('//nav[@class="blade-menu"]//a[@aria-current="page"]/text()') == ["Provisioning"]


def test_gotos_error_description_is_escaped_on_the_popups_last_page(portal):
    portal.get_started(portal.goto)
    authorize = portal.client.get(f"/portal/servicePrincipals/{portal.goto.id}/provisioning/authorize")
    state = re.search(r"state=([^&]+)", authorize.headers["Location"]).group(1)
    resp = portal.client.get(f"/portal/TokenAuthorize?error=access_denied&error_description=%3Cscript%3Ex%3C/script%3E"
                             f"&state={state}")
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
