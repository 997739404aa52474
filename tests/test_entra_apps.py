"""Enterprise applications (SPEC §3.3): templates, instantiation, service principals, app roles and app role
assignments, through Graph. The directory is replaced by a small in-memory double so that these tests
exercise the apps alone; tests/test_entra_apps_directory.py runs them against the real directory."""
from __future__ import annotations

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.apps.model import DEFAULT_ACCESS_ROLE_ID, NON_GALLERY_TEMPLATE_ID
from simulator.entra.auth import mint_token

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
MSIAM_ACCESS = "b9632174-c057-4f7e-951b-be3adc52bfe6"
ORGANIZER = "5c8e3f21-7a4b-4d96-b0e2-91f4a6c3d8e5"
MANAGER = "e7d24b6a-3c19-4f85-a6e0-2b8d5c71f934"
NON_GALLERY_USER = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
ALICE = "aaaaaaaa-0000-4000-8000-000000000001"
BOB = "aaaaaaaa-0000-4000-8000-000000000002"
SALES = "bbbbbbbb-0000-4000-8000-000000000001"


class FakeObject:
    def __init__(self, object_type, display_name):
        self.object_type = object_type
        self.display_name = display_name
        self.is_deleted = False


class FakeDirectory:
    """The slice of the directory the apps use: objects by id, the change feed, purge events."""

    def __init__(self):
        self.objects = {ALICE: FakeObject("user", "Alice Adams"), BOB: FakeObject("user", "Bob Brown"),
                        SALES: FakeObject("group", "Sales")}
        self.changes: list[tuple[str, str]] = []
        self.listeners = []

    def find_object(self, object_id):
        return self.objects.get(object_id)

    def record_change(self, object_type, object_id, kind="updated"):
        self.changes.append((object_type, object_id))

    def subscribe(self, callback):
        self.listeners.append(callback)

    def purge(self, object_id):
        self.objects.pop(object_id, None)
        for callback in self.listeners:
            callback("purged", "user", object_id)


@pytest.fixture
def lab_app():
    app = create_app({}, Lab(seed=5))
    entra = app.extensions["entra"]
    directory = FakeDirectory()
    entra.apps.directory = directory
    directory.subscribe(entra.apps._on_directory_event)
    token = mint_token(entra, entra.config.admin_client, "http://localhost")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client, entra, directory


@pytest.fixture
def client(lab_app):
    return lab_app[0]


def instantiate(client, template_id=GOTOMEETING_TEMPLATE_ID, name="GoToMeeting"):
    resp = client.post(f"/v1.0/applicationTemplates/{template_id}/instantiate", json={"displayName": name})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def assign(client, sp_id, principal_id, role_id):
    return client.post(f"/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo",
                       json={"principalId": principal_id, "resourceId": sp_id, "appRoleId": role_id})


# -- templates and instantiation -------------------------------------------------------------------

def test_templates_list_gotomeeting_and_the_non_gallery_app(client):
    body = client.get("/v1.0/applicationTemplates").get_json()
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#applicationTemplates"
    by_id = {t["id"]: t for t in body["value"]}
    assert by_id[GOTOMEETING_TEMPLATE_ID]["displayName"] == "GoToMeeting"
    assert NON_GALLERY_TEMPLATE_ID in by_id
    assert "lab" not in by_id[GOTOMEETING_TEMPLATE_ID]
    one = client.get(f"/v1.0/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}").get_json()
    assert one["id"] == NON_GALLERY_TEMPLATE_ID


def test_instantiate_gotomeeting_gives_application_and_service_principal_with_its_roles(client):
    body = instantiate(client)
    app, sp = body["application"], body["servicePrincipal"]
    assert app["displayName"] == sp["displayName"] == "GoToMeeting"
    assert sp["appId"] == app["appId"]
    assert sp["applicationTemplateId"] == app["applicationTemplateId"] == GOTOMEETING_TEMPLATE_ID
    roles = {r["id"]: (r["displayName"], r["value"]) for r in sp["appRoles"]}
    assert roles == {MSIAM_ACCESS: ("msiam_access", None), ORGANIZER: ("Organizer", "organizer"),
                     MANAGER: ("Manager", "manager")}
    assert client.get(f"/v1.0/servicePrincipals/{sp['id']}").get_json()["id"] == sp["id"]
    assert client.get(f"/v1.0/applications/{app['id']}").get_json()["appId"] == app["appId"]
    assert [s["id"] for s in client.get("/v1.0/servicePrincipals").get_json()["value"]] == [sp["id"]]
    assert [a["id"] for a in client.get("/v1.0/applications").get_json()["value"]] == [app["id"]]


def test_non_gallery_app_has_user_and_msiam_access(client):
    sp = instantiate(client, NON_GALLERY_TEMPLATE_ID, "Contoso SCIM app")["servicePrincipal"]
    assert {(r["displayName"], r["id"]) for r in sp["appRoles"]} == {("User", NON_GALLERY_USER),
                                                                    ("msiam_access", MSIAM_ACCESS)}


def test_template_properties_for_the_engine(lab_app):
    client, entra, _ = lab_app
    sp_id = instantiate(client)["servicePrincipal"]["id"]
    sp = entra.apps.get_service_principal(sp_id)
    assert sp.default_access_eligible is False
    assert sp.synchronization_template_id == "gotomeeting"
    custom = entra.apps.get_service_principal(instantiate(client, NON_GALLERY_TEMPLATE_ID, "X")["servicePrincipal"]["id"])
    assert custom.default_access_eligible is True
    assert custom.synchronization_template_id == "scim"
    assert sp.app_role(MSIAM_ACCESS).portal_display_name == "Default Access"


def test_instantiation_ids_follow_the_seed():
    def ids(seed):
        app = create_app({}, Lab(seed=seed))
        entra = app.extensions["entra"]
        application, sp = entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
        return application.id, application.app_id, sp.id

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)


def test_delete_service_principal_and_application(client):
    body = instantiate(client)
    sp_id, app_id = body["servicePrincipal"]["id"], body["application"]["id"]
    assert assign(client, sp_id, ALICE, ORGANIZER).status_code == 201
    assert client.delete(f"/v1.0/servicePrincipals/{sp_id}").status_code == 204
    assert client.get(f"/v1.0/servicePrincipals/{sp_id}").status_code == 404
    assert client.get(f"/v1.0/users/{ALICE}/appRoleAssignments").get_json()["value"] == []
    assert client.delete(f"/v1.0/applications/{app_id}").status_code == 204
    assert client.get(f"/v1.0/applications/{app_id}").status_code == 404


def test_deleting_the_application_deletes_its_service_principal(client):
    body = instantiate(client)
    assert client.delete(f"/v1.0/applications/{body['application']['id']}").status_code == 204
    assert client.get(f"/v1.0/servicePrincipals/{body['servicePrincipal']['id']}").status_code == 404


# -- assignments ---------------------------------------------------------------------------------------

def test_assign_a_user_to_a_role(lab_app):
    client, entra, directory = lab_app
    sp = instantiate(client)["servicePrincipal"]
    resp = assign(client, sp["id"], ALICE, ORGANIZER)
    assert resp.status_code == 201
    a = resp.get_json()
    assert a["@odata.context"] == (f"http://localhost/v1.0/$metadata#servicePrincipals('{sp['id']}')"
                                   "/appRoleAssignedTo/$entity")
    assert a["appRoleId"] == ORGANIZER and a["principalId"] == ALICE and a["resourceId"] == sp["id"]
    assert a["principalType"] == "User" and a["principalDisplayName"] == "Alice Adams"
    assert a["resourceDisplayName"] == "GoToMeeting"
    assert a["createdDateTime"] == entra.lab.clock.isoformat()
    assert len(a["id"]) == 43
    assert directory.changes == [("appRoleAssignment", ALICE)]
    listed = client.get(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo").get_json()["value"]
    assert [x["id"] for x in listed] == [a["id"]]
    mine = client.get(f"/v1.0/users/{ALICE}/appRoleAssignments").get_json()
    assert [x["id"] for x in mine["value"]] == [a["id"]]
    assert mine["@odata.context"].endswith(f"#users('{ALICE}')/appRoleAssignments")
    assert [x.id for x in entra.apps.assignments_for_service_principal(sp["id"])] == [a["id"]]
    assert [x.id for x in entra.apps.assignments_of_principal(ALICE)] == [a["id"]]


def test_assign_a_group_through_its_own_endpoint(client):
    sp = instantiate(client)["servicePrincipal"]
    resp = client.post(f"/v1.0/groups/{SALES}/appRoleAssignments",
                       json={"principalId": SALES, "resourceId": sp["id"], "appRoleId": MSIAM_ACCESS})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["principalType"] == "Group"
    listed = client.get(f"/v1.0/groups/{SALES}/appRoleAssignments").get_json()["value"]
    assert len(listed) == 1
    assert client.delete(f"/v1.0/groups/{SALES}/appRoleAssignments/{listed[0]['id']}").status_code == 204
    assert client.get(f"/v1.0/groups/{SALES}/appRoleAssignments").get_json()["value"] == []


def test_a_user_may_hold_two_roles_of_one_app(client):
    sp = instantiate(client)["servicePrincipal"]
    assert assign(client, sp["id"], ALICE, ORGANIZER).status_code == 201
    assert assign(client, sp["id"], ALICE, MSIAM_ACCESS).status_code == 201
    assert len(client.get(f"/v1.0/users/{ALICE}/appRoleAssignments").get_json()["value"]) == 2


def test_unassign_through_the_service_principal(lab_app):
    client, _, directory = lab_app
    sp = instantiate(client)["servicePrincipal"]
    a = assign(client, sp["id"], BOB, MANAGER).get_json()
    resp = client.delete(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{a['id']}")
    assert resp.status_code == 204
    assert client.get(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo").get_json()["value"] == []
    assert directory.changes == [("appRoleAssignment", BOB), ("appRoleAssignment", BOB)]


def test_unknown_role_is_400_permission_not_found(client):
    sp = instantiate(client)["servicePrincipal"]
    resp = assign(client, sp["id"], ALICE, "12345678-1234-4234-8234-123456789012")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert error["message"] == f"Permission being assigned was not found on application '{sp['appId']}'."


def test_all_zeros_role_is_refused_when_the_app_defines_roles(client):
    sp = instantiate(client)["servicePrincipal"]
    resp = assign(client, sp["id"], ALICE, DEFAULT_ACCESS_ROLE_ID)
    assert resp.status_code == 400
    assert "Permission being assigned was not found" in resp.get_json()["error"]["message"]


def test_all_zeros_role_is_accepted_when_the_app_defines_none(lab_app, tmp_path):
    _, entra, directory = lab_app
    from simulator.entra.apps.model import ApplicationTemplate
    bare = ApplicationTemplate.from_fixture({"id": "11111111-1111-4111-8111-111111111111", "displayName": "Bare",
                                             "lab": {"appRoles": []}})
    entra.apps.templates[bare.id] = bare
    _, sp = entra.apps.instantiate_template(bare.id, "Bare")
    assignment = entra.apps.create_app_role_assignment(resource_id=sp.id, principal_id=ALICE,
                                                       app_role_id=DEFAULT_ACCESS_ROLE_ID)
    assert assignment.app_role_id == DEFAULT_ACCESS_ROLE_ID


def test_the_same_assignment_twice_is_400_already_exists(lab_app):
    client, entra, _ = lab_app
    sp = instantiate(client)["servicePrincipal"]
    assert assign(client, sp["id"], ALICE, ORGANIZER).status_code == 201
    resp = assign(client, sp["id"], ALICE, ORGANIZER)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"] == "Permission being assigned already exists on the object."
    assert len(entra.apps.assignments_of_principal(ALICE)) == 1


def test_soft_deleted_principal_cannot_be_assigned(lab_app):
    client, _, directory = lab_app
    sp = instantiate(client)["servicePrincipal"]
    directory.objects[BOB].is_deleted = True
    assert assign(client, sp["id"], BOB, ORGANIZER).status_code == 404


def test_unknown_principal_is_404(lab_app):
    client, entra, directory = lab_app
    sp = instantiate(client)["servicePrincipal"]
    missing = "cccccccc-0000-4000-8000-000000000009"
    resp = assign(client, sp["id"], missing, ORGANIZER)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "Request_ResourceNotFound"
    assert missing in resp.get_json()["error"]["message"]
    assert entra.apps.assignments_for_service_principal(sp["id"]) == [] and directory.changes == []


def test_purged_principal_loses_its_assignments(lab_app):
    client, entra, directory = lab_app
    sp = instantiate(client)["servicePrincipal"]
    assign(client, sp["id"], ALICE, ORGANIZER)
    assign(client, sp["id"], BOB, MANAGER)
    directory.purge(ALICE)
    assert [a.principal_id for a in entra.apps.assignments_for_service_principal(sp["id"])] == [BOB]


def test_reset_forgets_apps_and_assignments(lab_app):
    client, entra, _ = lab_app
    sp = instantiate(client)["servicePrincipal"]
    assign(client, sp["id"], ALICE, ORGANIZER)
    assert client.post("/_admin/reset", json={}).status_code == 200
    assert entra.apps.list_service_principals() == []
    assert entra.apps.assignments_of_principal(ALICE) == []
    state = client.get("/_admin/state").get_json()
    assert state["apps"]["servicePrincipals"] == []
    assert {t["synchronizationTemplateId"] for t in state["apps"]["templates"]} == {"gotomeeting", "scim"}


# -- OData query options on the lists -------------------------------------------------------------------

def test_find_the_gallery_template_by_display_name(client):
    resp = client.get("/v1.0/applicationTemplates", query_string={"$filter": "displayName eq 'GoToMeeting'"})
    assert resp.status_code == 200, resp.get_json()
    assert [t["id"] for t in resp.get_json()["value"]] == [GOTOMEETING_TEMPLATE_ID]


def test_find_a_service_principal_by_app_id_with_select(client):
    sp = instantiate(client)["servicePrincipal"]
    instantiate(client, NON_GALLERY_TEMPLATE_ID, "Other")
    resp = client.get("/v1.0/servicePrincipals",
                      query_string={"$filter": f"appId eq '{sp['appId']}'", "$select": "id,displayName"})
    body = resp.get_json()
    assert body["value"] == [{"id": sp["id"], "displayName": "GoToMeeting"}]
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#servicePrincipals(id,displayName)"


def test_assignment_lists_page_with_next_links(client):
    sp = instantiate(client)["servicePrincipal"]
    for principal in (ALICE, BOB, SALES):
        assert assign(client, sp["id"], principal, MSIAM_ACCESS).status_code == 201
    url = f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo"
    first = client.get(url, query_string={"$top": "2"}).get_json()
    assert len(first["value"]) == 2
    second = client.get(first["@odata.nextLink"].replace("http://localhost", "")).get_json()
    assert [a["principalId"] for a in first["value"] + second["value"]] == [ALICE, BOB, SALES]
    assert "@odata.nextLink" not in second


@pytest.mark.parametrize("query", [{"$filter": "displayName eq 'unbalanced"}, {"$filter": "nosuch eq 'x'"},
                                   {"$top": "0"}, {"$top": "abc"}, {"$skiptoken": "forged"}])
def test_bad_query_options_are_400(client, query):
    resp = client.get("/v1.0/servicePrincipals", query_string=query)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] in ("BadRequest", "Request_BadRequest", "Request_UnsupportedQuery")
