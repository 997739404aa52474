"""The admin center's attribute mappings (tutorial steps 9 and 10): the Attribute Mapping page shows what
``GET …/schema`` holds, Edit Attribute changes a draft, Save writes it through the schema API (whose
refusals the page shows, changing nothing), and the engine's next cycle uses what was saved."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import lxml.html
import pytest
import requests

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token
from simulator.entra.provisioning.mappings import load_default_schema
from simulator.entra.sso.model import GOTOMEETING_TEMPLATE_ID
from steps.failure_steps import gallery_job, person, start
from steps.provisioning_steps import goto_scim

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEPARTMENT = f"{ENTERPRISE}:department"


class Portal:
    """A lab with the GoToMeeting app and its job, an API client and a signed-in admin's browser."""

    def __init__(self, seed: int = 7):
        app = create_app({"fixture": "gotomeeting-tutorial", "portal_admin": True}, Lab(seed=seed))
        self.entra = app.extensions["entra"]
        self.api = app.test_client()
        token = mint_token(self.entra, self.entra.config.admin_client, "http://x")
        self.api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        made = self.api.post(f"/v1.0/applicationTemplates/{GOTOMEETING_TEMPLATE_ID}/instantiate",
                             json={"displayName": "GoToMeeting"})
        self.sp = made.get_json()["servicePrincipal"]["id"]
        self.job = self.api.post(f"/v1.0/servicePrincipals/{self.sp}/synchronization/jobs",
                                 json={"templateId": "gotomeeting"}).get_json()["id"]
        self.web = app.test_client()
        self.url = f"/portal/enterprise-apps/{self.sp}/provisioning/mappings/0"
        page = self.web.get(f"/portal/signin?{urlencode({'next': self.url})}")
        ctx, action = sign_in_form(page.get_data(as_text=True))
        signed = self.web.post(action, data={"ctx": ctx, "login": self.entra.config.portal_admin_upn,
                                             "passwd": self.entra.config.portal_admin_password})
        assert signed.status_code in (302, 303), signed.get_data(as_text=True)
        _, doc = self.get()
        self.csrf_token = doc.xpath("//input[@name='csrf_token']/@value")[0]

    def schema(self) -> dict:
        resp = self.api.get(f"/v1.0/servicePrincipals/{self.sp}/synchronization/jobs/{self.job}/schema")
        assert resp.status_code == 200
        body = resp.get_json()
        body.pop("@odata.context", None)
        return body

    def get(self, path: str = "", **query) -> tuple[int, lxml.html.HtmlElement]:
        resp = self.web.get(self.url + path, query_string=query)
        return resp.status_code, lxml.html.fromstring(resp.get_data(as_text=True))

    def post(self, path: str, data: dict, *, token: bool = True, **query):
        """POST a form to ``path`` (with the session's CSRF token, unless ``token`` is False); the
        response and its document."""
        if token:
            data = {"csrf_token": self.csrf_token, **data}
        resp = self.web.post(self.url + path, data=data, query_string=query)
        return resp, lxml.html.fromstring(resp.get_data(as_text=True) or "<p></p>")


def sign_in_form(html: str) -> tuple[str, str]:
    doc = lxml.html.fromstring(html)
    return doc.xpath("//input[@name='ctx']/@value")[0], doc.xpath("//form/@action")[0]


def user_mappings(schema: dict) -> list[dict]:
    return schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]


def table(doc) -> list[tuple[str, str, str]]:
    """The attribute-mapping table: (source, target, matching precedence) per row."""
    rows = doc.xpath("//table[contains(@class,'attribute-mappings')]/tbody/tr")
    return [tuple(" ".join(td.text_content().split()) for td in row.xpath("td")[:3]) for row in rows]


def text(doc) -> str:
    return " ".join(doc.text_content().split())


def edit_form(row: dict[str, str]) -> dict[str, str]:
    """An Edit Attribute form's fields as a browser submits them, with ``row`` changed."""
    fields = {"mapping_type": "Direct", "source_attribute": "department", "constant_value": "", "expression": "",
              "default_value": "", "target_attribute": DEPARTMENT, "matching": "no", "matching_precedence": "",
              "flow_type": "Always"}
    return {**fields, **row}


@pytest.fixture(scope="module")
def signed_in() -> Portal:
    return Portal()


@pytest.fixture
def portal(signed_in) -> Portal:
    """The module's signed-in portal, with the job's default schema and no draft."""
    put = signed_in.api.put(f"/v1.0/servicePrincipals/{signed_in.sp}/synchronization/jobs/{signed_in.job}/schema",
                            json=load_default_schema("gotomeeting"))
    assert put.status_code == 204
    signed_in.post("/discard", {})
    signed_in.get()  # the discard's notification is shown (and gone)
    return signed_in


def test_the_table_shows_the_schema_the_api_returns(portal):
    status, doc = portal.get()
    assert status == 200
    expected = []
    for mapping in user_mappings(portal.schema()):
        source = mapping["source"]
        shown = source["name"] if source["type"] == "Attribute" else source["expression"]
        expected.append((shown, mapping["targetAttributeName"],
                         str(mapping["matchingPriority"]) if mapping["matchingPriority"] else ""))
    assert table(doc) == expected
    assert ("userPrincipalName", "userName", "1") in expected  # the tutorial's matching attribute
    page = text(doc)
    assert "Synchronize Microsoft Entra users to GoToMeeting" in page
    assert "Create: Yes" in page and "Update: Yes" in page and "Delete: Yes" in page
    assert "All records" in page
    assert doc.xpath("//select[@name='enabled']/option[@selected]/@value") == ["yes"]
    # every row has its Edit and Delete, named after the target attribute
    assert doc.xpath("//a[@aria-label='Edit userName']") and doc.xpath("//a[@aria-label='Delete userName']")
    assert doc.xpath("//a[normalize-space()='Add New Mapping']")


def test_edit_a_direct_mapping_to_a_constant_and_save(portal):
    before = portal.schema()
    status, doc = portal.get("/attributes/8")
    assert status == 200
    assert doc.xpath("//select[@name='mapping_type']/option[@selected]/@value") == ["Direct"]
    assert doc.xpath("//select[@name='source_attribute']/option[@selected]/@value") == ["department"]
    assert doc.xpath("//select[@name='target_attribute']/option[@selected]/@value") == [DEPARTMENT]
    resp, _ = portal.post("/attributes/8", edit_form({"mapping_type": "Constant", "constant_value": "Sales"}))
    assert resp.status_code == 303
    assert portal.schema() == before  # OK changes the draft only
    _, doc = portal.get()
    assert ('"Sales"', DEPARTMENT, "") in table(doc)
    assert "You have unsaved changes" in text(doc)

    resp, _ = portal.post("/save", {"enabled": "yes"})
    assert resp.status_code == 303
    saved = user_mappings(portal.schema())
    assert saved[8]["source"] == {"expression": '"Sales"', "name": "Sales", "parameters": [], "type": "Constant"}
    assert saved[8]["targetAttributeName"] == DEPARTMENT
    assert saved[:8] == user_mappings(before)[:8]  # the other mappings exactly as they were
    _, doc = portal.get()
    assert "The attribute mappings were saved." in text(doc) and "You have unsaved changes" not in text(doc)


def test_add_an_expression_mapping_and_delete_one(portal):
    resp, _ = portal.post("/attributes/new", edit_form({
        "mapping_type": "Expression", "expression": 'Join(" ", [givenName], [surname])', "target_attribute": "title",
        "flow_type": "ObjectAddOnly"}))
    assert resp.status_code == 303
    status, doc = portal.get("/attributes/7/delete")
    assert status == 200 and "roles[primary eq \"True\"].value" in text(doc)
    resp, _ = portal.post("/attributes/7/delete", {})
    assert resp.status_code == 303
    portal.post("/save", {"enabled": "yes"})
    saved = {m["targetAttributeName"]: m for m in user_mappings(portal.schema())}
    assert 'roles[primary eq "True"].value' not in saved
    assert saved["title"]["source"]["expression"] == 'Join(" ", [givenName], [surname])'
    assert saved["title"]["flowType"] == "ObjectAddOnly"


def test_an_expression_syntax_error_is_shown_next_to_the_field_and_nothing_changes(portal):
    before = portal.schema()
    resp, doc = portal.post("/attributes/8", edit_form({"mapping_type": "Expression",
                                                       "expression": "Join(\" \", [givenName]"}))
    assert resp.status_code == 400
    errors = doc.xpath("//ul[@id='expression-errors']/li")
    assert errors and "unexpected end of expression" in errors[0].text_content()
    assert doc.xpath("//textarea[@id='expression']/@aria-describedby") == ["expression-errors"]
    resp, doc = portal.post("/attributes/8", edit_form({"mapping_type": "Expression",
                                                       "expression": "ToLower([noSuchAttribute])"}))
    assert resp.status_code == 400
    assert "unknown source attribute [noSuchAttribute]" in doc.xpath("//ul[@id='expression-errors']")[0].text_content()
    _, doc = portal.get()
    assert "You have unsaved changes" not in text(doc)
    assert portal.schema() == before


def test_a_target_mapped_twice_is_refused_on_the_form(portal):
    resp, doc = portal.post("/attributes/8", edit_form({"target_attribute": "displayName"}))
    assert resp.status_code == 400
    assert "mapped more than once" in doc.xpath("//ul[@id='target_attribute-errors']")[0].text_content()


def test_matching_precedence_must_be_a_whole_number(portal):
    resp, doc = portal.post("/attributes/8", edit_form({"matching": "yes", "matching_precedence": "first"}))
    assert resp.status_code == 400
    assert doc.xpath("//ul[@id='matching_precedence-errors']")


def test_a_schema_the_api_refuses_shows_its_error_and_nothing_changes(portal):
    before = portal.schema()
    # userName is the only matching attribute: no longer matching, the object mapping has none
    resp, _ = portal.post("/attributes/0", edit_form({"source_attribute": "userPrincipalName",
                                                      "target_attribute": "userName", "matching": "no"}))
    assert resp.status_code == 303
    resp, doc = portal.post("/save", {"enabled": "yes"})
    assert resp.status_code == 400
    alert = doc.xpath("//*[@role='alert']")[0].text_content()
    assert "not saved" in alert and "no matching attribute" in alert
    assert portal.schema() == before
    # the draft is still there to be fixed, or discarded
    _, doc = portal.get()
    assert ("userPrincipalName", "userName", "") in table(doc)
    resp, _ = portal.post("/discard", {})
    assert resp.status_code == 303
    _, doc = portal.get()
    assert ("userPrincipalName", "userName", "1") in table(doc) and "You have unsaved changes" not in text(doc)
    assert portal.schema() == before


def test_a_draft_made_before_an_api_change_is_not_saved_over_it(portal):
    portal.post("/attributes/8", edit_form({"mapping_type": "Constant", "constant_value": "Sales"}))
    changed = portal.schema()
    user_mappings(changed)[5]["source"] = {"expression": "[mail]", "name": "mail", "parameters": [],
                                           "type": "Attribute"}
    put = portal.api.put(f"/v1.0/servicePrincipals/{portal.sp}/synchronization/jobs/{portal.job}/schema",
                         json=changed)
    assert put.status_code == 204
    resp, doc = portal.post("/save", {"enabled": "yes"})
    assert resp.status_code == 409 and "changed elsewhere" in text(doc)
    assert portal.schema() == changed


def test_forms_without_the_csrf_token_are_refused_and_nothing_changes(portal):
    before = portal.schema()
    resp, doc = portal.post("/attributes/8", edit_form({"mapping_type": "Constant", "constant_value": "X"}),
                            token=False)
    assert resp.status_code == 400 and "expired or is not valid" in text(doc)
    resp, _ = portal.post("/attributes/0/delete", {}, token=False)
    assert resp.status_code == 400
    resp, doc = portal.post("/save", {"enabled": "no"}, token=False)
    assert resp.status_code == 400 and "expired or is not valid" in text(doc)
    _, doc = portal.get()
    assert "You have unsaved changes" not in text(doc) and len(table(doc)) == len(user_mappings(before))
    assert portal.schema() == before


def test_unknown_mappings_rows_and_jobs_are_the_portals_404_page(portal):
    other = portal.url.removesuffix("/0")
    for url, query, message in ((f"{other}/7", {}, "The mapping 7 does not exist."),
                                (f"{portal.url}/attributes/99", {}, "The attribute mapping 99 does not exist."),
                                (f"{portal.url}/attributes/99/delete", {}, "The attribute mapping 99 does not exist."),
                                (portal.url, {"job": "nope"}, "Provisioning is not configured for GoToMeeting."),
                                (portal.url, {"rule": "nope"}, "The mapping 0 does not exist.")):
        resp = portal.web.get(url, query_string=query)
        assert resp.status_code == 404, url
        assert message in text(lxml.html.fromstring(resp.get_data(as_text=True)))


def test_the_pages_speak_german_with_the_tutorials_words(portal):
    _, doc = portal.get(lang="de")
    page = text(doc)
    for words in ("Attributzuordnungen", "Speichern", "Verwerfen", "Rangfolge für Abgleich", "Aktiviert",
                  "Neue Zuordnung hinzufügen", "Erstellen: Ja", "Alle Datensätze",
                  "Microsoft Entra-Benutzer mit GoToMeeting synchronisieren"):
        assert words in page, words
    assert doc.xpath("//html/@lang") == ["de"]
    _, doc = portal.get("/attributes/0", lang="de")
    labels = [" ".join(label.text_content().split()) for label in doc.xpath("//label")]
    for label in ("Zuordnungstyp", "Quellattribut", "Zielattribut", "Objekte mit diesem Attribut abgleichen",
                  "Rangfolge für Abgleich", "Diese Zuordnung anwenden"):
        assert label in labels, label
    assert doc.xpath("//select[@name='mapping_type']/option/text()") == ["Direkt", "Konstante", "Ausdruck"]
    assert doc.xpath("//select[@name='flow_type']/option/text()") == ["Immer", "Nur während der Objekterstellung"]


def test_every_control_has_a_label(portal):
    for path in ("", "/attributes/0", "/attributes/new", "/attributes/0/delete"):
        _, doc = portal.get(path)
        for control in doc.xpath("//main//select | //main//input[not(@type='hidden')] | //main//textarea"):
            assert doc.xpath(f"//label[@for='{control.get('id')}']"), (path, control.get("name"))
        for link in doc.xpath("//main//a | //main//button"):
            assert (link.get("aria-label") or link.text_content()).strip(), path
        assert all(t.get("aria-label") or t.get("aria-labelledby") for t in doc.xpath("//table"))


def test_the_engine_uses_the_saved_mapping_on_its_next_cycle(portal_lab_servers, ctx):
    lab = portal_lab_servers
    lab.reset()
    gallery_job(lab, ctx)
    simon = person(lab, ctx, "B.Simon", role="Organizer", department="Retail")
    start(lab, ctx)
    lab.advance_clock(0)
    scim = goto_scim(lab, ctx)
    assert scim.find_user(simon["userPrincipalName"])[ENTERPRISE]["department"] == "Retail"

    web = requests.Session()
    url = f"{lab.entra_url}/portal/enterprise-apps/{ctx['sp']['id']}/provisioning/mappings/0"
    ctx_value, action = sign_in_form(web.get(f"{lab.entra_url}/portal/signin", params={"next": url}).text)
    web.post(requests.compat.urljoin(lab.entra_url + "/", action),
             data={"ctx": ctx_value, "login": lab.entra_config.portal_admin_upn,
                   "passwd": lab.entra_config.portal_admin_password})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', web.get(f"{url}/attributes/8").text)
    assert token
    edited = web.post(f"{url}/attributes/8", data={"csrf_token": token.group(1), **edit_form(
        {"mapping_type": "Constant", "constant_value": "Sales"})})
    assert ('"Sales"', DEPARTMENT, "") in table(lxml.html.fromstring(edited.text))  # back on the mapping page
    saved = web.post(f"{url}/save", data={"csrf_token": token.group(1), "enabled": "yes"})
    assert saved.status_code == 200 and "The attribute mappings were saved." in saved.text

    lab.advance_clock(0)  # a changed mapping restarts the job: the next cycle is due now
    assert scim.find_user(simon["userPrincipalName"])[ENTERPRISE]["department"] == "Sales"
