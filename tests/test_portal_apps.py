"""The admin center's Enterprise apps pages in-process (Flask test client): the gallery and "Create your own
application", the app's Overview, Users and groups with Add Assignment and Remove. Each page needs a
signed-in app admin; forms refuse a missing CSRF token and show their validation errors next to the field,
changing nothing; texts come in English and German; what the pages do is what Graph sees."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID
from simulator.entra.auth import mint_token

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
DEFAULT_ACCESS = "b9632174-c057-4f7e-951b-be3adc52bfe6"
ORGANIZER = "5c8e3f21-7a4b-4d96-b0e2-91f4a6c3d8e5"
SIMON = "B.Simon@contoso.example"
ALEX = "Alex.Wilber@contoso.example"
GALLERY = "/portal/enterprise-apps/gallery"


@pytest.fixture(scope="module")
def lab():
    app = create_app({"fixture": "gotomeeting-tutorial", "portal_admin": True}, Lab(seed=12))
    return app, app.extensions["entra"]


@pytest.fixture
def entra(lab):
    return lab[1]


@pytest.fixture
def graph(lab):
    app, entra = lab
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://x')}"
    return client


def sign_in(app, entra, upn: str, password: str, lang: str = "en"):
    """A browser of its own, signed in through Entra's sign-in page."""
    client = app.test_client()
    client.set_cookie("lab_lang", lang)
    page = client.get("/portal/signin?next=/portal/enterprise-apps", follow_redirects=True).get_data(as_text=True)
    ctx = re.search(r'name="ctx" value="([^"]+)"', page).group(1)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    done = client.post(action, data={"ctx": ctx, "login": upn, "passwd": password})
    assert done.status_code == 303 and done.headers["Location"] == "/portal/enterprise-apps"
    return client


@pytest.fixture
def admin(lab):
    app, entra = lab
    return sign_in(app, entra, entra.config.portal_admin_upn, entra.config.portal_admin_password)


@pytest.fixture
def admin_de(lab):
    app, entra = lab
    return sign_in(app, entra, entra.config.portal_admin_upn, entra.config.portal_admin_password, lang="de")


@pytest.fixture
def sp(entra):
    return entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")[1]


def csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def user_id(entra, upn: str) -> str:
    return entra.directory.get_user(upn).id


def graph_assignments(graph, sp) -> list[tuple[str, str, str]]:
    resp = graph.get(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo")
    assert resp.status_code == 200
    return sorted((a["principalDisplayName"], a["principalType"], a["appRoleId"]) for a in resp.get_json()["value"])


def errors_of(html: str, field_id: str) -> list[str]:
    """The validation errors shown next to a field (the list its aria-describedby names)."""
    found = re.search(rf'<ul class="errors" id="{field_id}-errors"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


class Controls(HTMLParser):
    """Every control of a page with its accessible name, and the tables' labels and header scopes."""

    def __init__(self):
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[dict] = []
        self.tables: list[dict] = []
        self.headers: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs | {"tag": tag})
        if tag in ("button", "a"):
            self._open = attrs | {"tag": tag, "text": ""}
            self.controls.append(self._open)
        if tag == "table":
            self.tables.append(attrs)
        if tag == "th":
            self.headers.append(attrs)

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data.strip()

    def handle_endtag(self, tag):
        if tag in ("button", "a"):
            self._open = None

    def unnamed(self) -> list[dict]:
        def named(c):
            if c["tag"] in ("button", "a"):
                return bool(c["text"] or c.get("aria-label"))
            return bool(c.get("aria-label") or c.get("aria-labelledby") or c.get("id") in self.labels)
        return [c for c in self.controls if not named(c)]


def assert_every_control_labelled(html: str) -> None:
    parsed = Controls()
    parsed.feed(html)
    assert parsed.controls and not parsed.unnamed(), parsed.unnamed()
    assert all(t.get("aria-label") for t in parsed.tables), parsed.tables
    assert all(h.get("scope") for h in parsed.headers), parsed.headers


# -- sign-in and roles ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [GALLERY, f"{GALLERY}/custom", f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}"])
def test_signed_out_the_pages_send_to_the_sign_in(lab, path):
    resp = lab[0].test_client().get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/portal/signin?next=")


def test_a_user_without_an_admin_role_sees_no_access_and_changes_nothing(lab, entra, sp, graph):
    entra.directory.create_user({"accountEnabled": True, "displayName": "Plain User", "mailNickname": "plain",
                                 "userPrincipalName": "plain.user@contoso.example",
                                 "passwordProfile": {"password": "Plain-Pass-1"}})
    client = sign_in(lab[0], entra, "plain.user@contoso.example", "Plain-Pass-1")
    apps_before = len(entra.apps.list_service_principals())
    for path in (GALLERY, f"/portal/enterprise-apps/{sp.id}/users-and-groups",
                 f"/portal/enterprise-apps/{sp.id}/users-and-groups/add"):
        resp = client.get(path)
        assert resp.status_code == 403 and "No access" in text(resp), path
    refused = client.post(f"/portal/enterprise-apps/{sp.id}/users-and-groups/add",
                          data={"action": "assign", "principals": [user_id(entra, SIMON)], "role": ORGANIZER})
    assert refused.status_code == 403
    assert client.post(f"{GALLERY}/custom", data={"name": "Sneaky"}).status_code == 403
    assert graph_assignments(graph, sp) == [] and len(entra.apps.list_service_principals()) == apps_before


# -- New application ---------------------------------------------------------------------------------------
def test_the_enterprise_apps_list_offers_new_application(admin, sp):
    html = text(admin.get("/portal/enterprise-apps?search=gotomeet"))
    assert f'href="{GALLERY}">New application</a>' in html
    assert f"/portal/enterprise-apps/{sp.id}/overview" in html


def test_the_gallery_search_finds_gotomeeting_and_create_lands_on_its_overview(admin, entra, graph):
    found = admin.get(f"{GALLERY}?search=GoToMeeting")
    assert found.status_code == 200
    html = text(found)
    assert "Browse Microsoft Entra Gallery" in html and "1 application found" in html
    assert f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}?search=GoToMeeting" in html
    assert NON_GALLERY_TEMPLATE_ID not in html  # the non-gallery app is "Create your own application"
    assert "0 applications found" in text(admin.get(f"{GALLERY}?search=no-such-app"))

    pane = text(admin.get(f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}"))
    assert 'value="GoToMeeting"' in pane and "Automatic user provisioning" in pane
    assert_every_control_labelled(pane)
    made = admin.post(f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}",
                      data={"csrf_token": csrf(admin, f"{GALLERY}/custom"), "name": "GoToMeeting (sales)"})
    assert made.status_code == 303
    sp_id = re.fullmatch(r"/portal/enterprise-apps/([0-9a-f-]{36})/overview", made.headers["Location"]).group(1)
    over_graph = graph.get(f"/v1.0/servicePrincipals/{sp_id}").get_json()
    assert over_graph["displayName"] == "GoToMeeting (sales)"
    assert over_graph["applicationTemplateId"] == GOTOMEETING_TEMPLATE_ID

    overview = text(admin.get(made.headers["Location"]))
    assert "Successfully added application GoToMeeting (sales)." in overview
    assert over_graph["appId"] in overview and "Getting Started" in overview
    assert f'href="/portal/enterprise-apps/{sp_id}/users-and-groups">Assign users and groups</a>' in overview
    assert_every_control_labelled(overview)


def test_create_your_own_application_instantiates_the_non_gallery_app(admin, entra, graph):
    form = text(admin.get(f"{GALLERY}/custom"))
    assert "What's the name of your app?</label>" in form and "(Non-gallery)" in form
    assert_every_control_labelled(form)
    made = admin.post(f"{GALLERY}/custom", data={"csrf_token": csrf(admin, f"{GALLERY}/custom"), "name": "Contoso SCIM app",
                                                 "purpose": "nonGallery"})
    assert made.status_code == 303
    sp_id = made.headers["Location"].split("/")[3]
    body = graph.get(f"/v1.0/servicePrincipals/{sp_id}").get_json()
    assert body["applicationTemplateId"] == NON_GALLERY_TEMPLATE_ID
    assert sorted(r["displayName"] for r in body["appRoles"]) == ["User", "msiam_access"]


@pytest.mark.parametrize("name, error", [("", "Enter a name for the application."),
                                         ("   ", "Enter a name for the application."),
                                         ("x" * 257, "The name can have at most 256 characters.")])
def test_a_bad_app_name_is_shown_next_to_the_field_and_nothing_is_created(admin, entra, name, error):
    before = len(entra.apps.list_service_principals())
    for url in (f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}", f"{GALLERY}/custom"):
        resp = admin.post(url, data={"csrf_token": csrf(admin, f"{GALLERY}/custom"), "name": name, "purpose": "nonGallery"})
        assert resp.status_code == 400
        html = text(resp)
        assert errors_of(html, "name") == [error]
        assert 'aria-describedby="name-errors"' in html
    assert len(entra.apps.list_service_principals()) == before


def test_a_create_without_its_csrf_token_is_refused_and_nothing_is_created(admin, entra):
    before = len(entra.apps.list_service_principals())
    for data in ({"name": "GoToMeeting"}, {"name": "GoToMeeting", "csrf_token": "forged.token"}):
        resp = admin.post(f"{GALLERY}/{GOTOMEETING_TEMPLATE_ID}", data=data)
        assert resp.status_code == 400 and "The form has expired" in text(resp)
    assert len(entra.apps.list_service_principals()) == before


def test_unknown_apps_and_templates_are_a_not_found_page(admin):
    for path in (f"{GALLERY}/{'0' * 8}-0000-0000-0000-{'0' * 12}", f"{GALLERY}/{NON_GALLERY_TEMPLATE_ID}",
                 "/portal/enterprise-apps/not-a-guid/users-and-groups",
                 "/portal/enterprise-apps/not-a-guid/users-and-groups/add"):
        resp = admin.get(path)
        assert resp.status_code == 404 and resp.content_type.startswith("text/html"), path


# -- Users and groups ----------------------------------------------------------------------------------------
def add_url(sp) -> str:
    return f"/portal/enterprise-apps/{sp.id}/users-and-groups/add"


def assign(client, sp, principals: list[str], role: str | None, **extra):
    data = {"csrf_token": csrf(client, add_url(sp)), "action": "assign", "principals": principals, **extra}
    if role is not None:
        data["role"] = role
    return client.post(add_url(sp), data=data)


def test_assign_default_access_and_organizer_and_see_the_role_column_in_german(admin_de, entra, graph, sp):
    page = text(admin_de.get(add_url(sp)))
    assert "Zuweisung hinzufügen" in page and "Rolle auswählen" in page
    assert re.search(rf'value="{DEFAULT_ACCESS}"[^>]*> <label for="role-0">Standardzugriff</label>', page)
    assert "Organizer" in page and "Manager" in page
    assert_every_control_labelled(page)

    done = assign(admin_de, sp, [user_id(entra, SIMON)], DEFAULT_ACCESS)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/{sp.id}/users-and-groups")
    assert assign(admin_de, sp, [user_id(entra, ALEX)], ORGANIZER).status_code == 303

    listed = text(admin_de.get(done.headers["Location"]))
    assert "1 Benutzer oder Gruppe wurde GoToMeeting zugewiesen." in listed
    rows = re.findall(r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", listed)
    assert rows == [("Alex Wilber", "Benutzer", "Organizer"), ("B.Simon", "Benutzer", "Standardzugriff")]
    assert "Anzeigename" in listed and "Zugewiesene Rolle" in listed and "Benutzer/Gruppe hinzufügen" in listed
    assert_every_control_labelled(listed)
    # Graph sees the same assignments, and the role keeps its own name
    assert graph_assignments(graph, sp) == [("Alex Wilber", "User", ORGANIZER), ("B.Simon", "User", DEFAULT_ACCESS)]
    roles = graph.get(f"/v1.0/servicePrincipals/{sp.id}").get_json()["appRoles"]
    assert {r["id"]: r["displayName"] for r in roles}[DEFAULT_ACCESS] == "msiam_access"


def test_the_english_list_names_default_access_and_groups_are_assignable(admin, entra, graph, sp):
    found = admin.post(add_url(sp), data={"csrf_token": csrf(admin, add_url(sp)), "action": "search",
                                          "search": "sales", "principals": [user_id(entra, SIMON)]})
    assert found.status_code == 200
    html = text(found)
    assert "Sales Team</label></td><td>Group</td>" in html
    assert re.search(r'value="[^"]+"[^>]* checked></td>\s*<td><label [^>]*>B.Simon</label>', html)  # kept selected
    assert "Alex Wilber" not in html  # not a match
    assert errors_of(html, "principals") == [] and errors_of(html, "role") == []
    team = next(g for g in entra.directory.iter_groups() if g.display_name == "Sales Team")
    assert assign(admin, sp, [user_id(entra, SIMON), team.id], DEFAULT_ACCESS).status_code == 303
    listed = text(admin.get(f"/portal/enterprise-apps/{sp.id}/users-and-groups"))
    assert "2 users and groups were assigned to GoToMeeting." in listed
    rows = re.findall(r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", listed)
    assert rows == [("B.Simon", "User", "Default Access"), ("Sales Team", "Group", "Default Access")]
    assert graph_assignments(graph, sp) == [("B.Simon", "User", DEFAULT_ACCESS), ("Sales Team", "Group", DEFAULT_ACCESS)]


@pytest.mark.parametrize("who, role, field, error", [
    ([], ORGANIZER, "principals", "Select at least one user or group."),
    ([SIMON], None, "role", "Select a role."),
    ([SIMON], "e7d24b6a-0000-4f85-a6e0-2b8d5c71f934", "role", "Select a role."),
])
def test_an_incomplete_assignment_shows_its_error_next_to_the_field(admin, entra, graph, sp, who, role, field,
                                                                     error):
    resp = assign(admin, sp, [user_id(entra, upn) for upn in who], role)
    assert resp.status_code == 400
    assert errors_of(text(resp), field) == [error]
    assert f'aria-describedby="{field}-errors"' in text(resp)
    assert graph_assignments(graph, sp) == []


def test_an_assignment_already_made_is_refused_with_entras_text_and_nothing_else_is_assigned(admin, admin_de,
                                                                                              entra, graph, sp):
    simon, alex = user_id(entra, SIMON), user_id(entra, ALEX)
    assert assign(admin, sp, [simon], ORGANIZER).status_code == 303
    before = graph_assignments(graph, sp)
    resp = assign(admin, sp, [alex, simon], ORGANIZER)
    assert resp.status_code == 400
    assert errors_of(text(resp), "principals") == [
        "B.Simon already has the role Organizer in this application: permission being assigned already exists "
        "on the object."]
    german = assign(admin_de, sp, [simon], ORGANIZER)
    assert errors_of(text(german), "principals") == [
        "B.Simon hat die Rolle Organizer in dieser Anwendung bereits: Die zuzuweisende Berechtigung ist für das "
        "Objekt bereits vorhanden."]
    assert graph_assignments(graph, sp) == before  # all or none: Alex was not assigned either
    # the same rule over Graph
    again = graph.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo",
                       json={"principalId": simon, "resourceId": sp.id, "appRoleId": ORGANIZER})
    assert again.status_code == 400
    assert again.get_json()["error"]["message"] == "Permission being assigned already exists on the object."


def test_an_unknown_principal_is_refused_and_nothing_is_assigned(admin, entra, graph, sp):
    resp = assign(admin, sp, [user_id(entra, SIMON), "11111111-2222-3333-4444-555555555555"], ORGANIZER)
    assert resp.status_code == 400
    assert errors_of(text(resp), "principals") == [
        "11111111-2222-3333-4444-555555555555 does not exist in the directory (any more)."]
    assert graph_assignments(graph, sp) == []


def test_an_assignment_without_its_csrf_token_is_refused(admin, entra, graph, sp):
    for token in (None, "forged.token"):
        data = {"action": "assign", "principals": [user_id(entra, SIMON)], "role": ORGANIZER}
        if token:
            data["csrf_token"] = token
        resp = admin.post(add_url(sp), data=data)
        assert resp.status_code == 400 and "security token" in text(resp)
    assert graph_assignments(graph, sp) == []


def remove(client, sp, ids: list[str], **extra):
    url = f"/portal/enterprise-apps/{sp.id}/users-and-groups"
    return client.post(f"{url}/remove", data={"csrf_token": csrf(client, url), "assignments": ids, **extra})


def test_remove_asks_first_then_removes_what_was_selected(admin, entra, graph, sp):
    simon, alex = user_id(entra, SIMON), user_id(entra, ALEX)
    assert assign(admin, sp, [simon, alex], ORGANIZER).status_code == 303
    simons = next(a.id for a in entra.apps.assignments_for_service_principal(sp.id) if a.principal_id == simon)
    asked = remove(admin, sp, [simons])
    assert asked.status_code == 200
    html = text(asked)
    assert 'role="alertdialog"' in html and "<li>B.Simon (Organizer)</li>" in html
    assert_every_control_labelled(html)
    assert len(graph_assignments(graph, sp)) == 2  # nothing removed before Yes
    done = remove(admin, sp, [simons], confirm="yes")
    assert done.status_code == 303
    assert graph_assignments(graph, sp) == [("Alex Wilber", "User", ORGANIZER)]
    assert "1 assignment was removed from GoToMeeting." in text(admin.get(done.headers["Location"]))


@pytest.mark.parametrize("ids, error", [([], "Select at least one user or group to remove."),
                                        (["no-such-assignment"],
                                         "A selected assignment no longer exists. Reload the list and try again.")])
def test_a_bad_removal_is_refused_next_to_the_list_and_nothing_is_removed(admin, entra, graph, sp, ids, error):
    assert assign(admin, sp, [user_id(entra, SIMON)], ORGANIZER).status_code == 303
    resp = remove(admin, sp, ids, confirm="yes")
    assert resp.status_code == 400
    assert errors_of(text(resp), "assignments") == [error]
    assert len(graph_assignments(graph, sp)) == 1


def test_a_removal_without_its_csrf_token_is_refused(admin, entra, graph, sp):
    assert assign(admin, sp, [user_id(entra, SIMON)], ORGANIZER).status_code == 303
    only = entra.apps.assignments_for_service_principal(sp.id)[0].id
    resp = admin.post(f"/portal/enterprise-apps/{sp.id}/users-and-groups/remove",
                      data={"assignments": [only], "confirm": "yes"})
    assert resp.status_code == 400 and "security token" in text(resp)
    assert len(graph_assignments(graph, sp)) == 1


def test_an_assignment_made_over_graph_shows_on_the_page(admin, entra, graph, sp):
    made = graph.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo",
                      json={"principalId": user_id(entra, ALEX), "resourceId": sp.id, "appRoleId": DEFAULT_ACCESS})
    assert made.status_code == 201
    listed = text(admin.get(f"/portal/enterprise-apps/{sp.id}/users-and-groups?search=alex"))
    assert re.findall(r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", listed) == [
        ("Alex Wilber", "User", "Default Access")]
    assert "No application assignments found" in text(admin.get(
        f"/portal/enterprise-apps/{sp.id}/users-and-groups?search=simon"))


def test_an_enterprise_apps_search_without_a_match_says_so_in_german(admin_de):
    html = text(admin_de.get("/portal/enterprise-apps?search=no-such-app"))
    assert "0 Anwendungen gefunden" in html and "Keine Anwendungen gefunden" in html
    assert 'href="/portal/enterprise-apps/gallery">Neue Anwendung</a>' in html
