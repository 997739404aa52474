"""Directory roles over Graph's role management, and the admin center's seeded administrator."""
from __future__ import annotations

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token
from simulator.entra.directory.roles import APP_ADMIN_ROLES, CLOUD_APPLICATION_ADMINISTRATOR, GLOBAL_READER

ASSIGNMENTS = "/v1.0/roleManagement/directory/roleAssignments"


@pytest.fixture
def lab_app():
    app = create_app({"fixture": "gotomeeting-tutorial", "portal_admin": True}, Lab(seed=5))
    entra = app.extensions["entra"]
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://x')}"
    return client, entra


def user_id(client, upn: str) -> str:
    return client.get(f"/v1.0/users/{upn}?$select=id").get_json()["id"]


def test_the_portal_admin_is_seeded_with_cloud_application_administrator_and_again_after_a_reset(lab_app):
    client, entra = lab_app
    admin = user_id(client, entra.config.portal_admin_upn)
    listed = client.get(f"{ASSIGNMENTS}?$filter=principalId eq '{admin}'").get_json()["value"]
    assert [a["roleDefinitionId"] for a in listed] == [CLOUD_APPLICATION_ADMINISTRATOR.id]
    assert entra.sso.authenticate(entra.config.portal_admin_upn, entra.config.portal_admin_password).id == admin
    entra.lab.reset()
    entra.reset()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://x')}"
    assert user_id(client, entra.config.portal_admin_upn) == admin  # drawn from its own stream
    assert entra.roles.holds_any(admin, APP_ADMIN_ROLES)


def test_without_portal_admin_the_directory_holds_only_its_tenant():
    app = create_app({"fixture": "gotomeeting-tutorial"}, Lab(seed=5))
    entra = app.extensions["entra"]
    assert entra.directory.find_user(entra.config.portal_admin_upn) is None
    assert entra.roles.assignments() == []


def test_assign_list_and_remove_a_role(lab_app):
    client, _ = lab_app
    simon = user_id(client, "B.Simon@contoso.example")
    made = client.post(ASSIGNMENTS, json={"principalId": simon, "roleDefinitionId": GLOBAL_READER.id,
                                          "directoryScopeId": "/"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["principalId"] == simon and body["roleDefinitionId"] == GLOBAL_READER.id
    again = client.post(ASSIGNMENTS, json={"principalId": simon, "roleDefinitionId": GLOBAL_READER.id})
    assert again.status_code == 409 and "error" in again.get_json()
    assert client.delete(f"{ASSIGNMENTS}/{body['id']}").status_code == 204
    assert client.get(f"{ASSIGNMENTS}?$filter=principalId eq '{simon}'").get_json()["value"] == []
    assert client.delete(f"{ASSIGNMENTS}/{body['id']}").status_code == 404


@pytest.mark.parametrize("body, status", [
    ({"principalId": "nope", "roleDefinitionId": GLOBAL_READER.id}, 400),
    ({"principalId": "00000000-0000-0000-0000-000000000001", "roleDefinitionId": GLOBAL_READER.id}, 404),
    ({"roleDefinitionId": "00000000-0000-0000-0000-000000000002", "principalId": None}, 400),
    ({"principalId": "{simon}", "roleDefinitionId": "00000000-0000-0000-0000-000000000002"}, 404),
    ({"principalId": "{simon}", "roleDefinitionId": GLOBAL_READER.id, "directoryScopeId": "/administrativeUnits/x"}, 400),
    ([1, 2], 400),
])
def test_bad_role_assignments_are_refused_in_graphs_envelope_and_nothing_changes(lab_app, body, status):
    client, entra = lab_app
    simon = user_id(client, "B.Simon@contoso.example")
    if isinstance(body, dict):
        body = {k: (simon if v == "{simon}" else v) for k, v in body.items()}
    before = entra.roles.to_state()
    resp = client.post(ASSIGNMENTS, json=body)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["code"] and error["message"]
    assert entra.roles.to_state() == before


def test_role_definitions_and_an_unsupported_filter(lab_app):
    client, _ = lab_app
    names = [r["displayName"] for r in client.get("/v1.0/roleManagement/directory/roleDefinitions").get_json()["value"]]
    assert {"Global Administrator", "Application Administrator", "Cloud Application Administrator"} <= set(names)
    resp = client.get(f"{ASSIGNMENTS}?$filter=roleDefinitionId eq 'x'")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "BadRequest"
