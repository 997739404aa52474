"""App role assignments against the real directory: principals are the tenant's users and groups, every
assignment write lands on the directory's change feed, and a purge takes the assignments with it."""
from __future__ import annotations

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
ORGANIZER = "5c8e3f21-7a4b-4d96-b0e2-91f4a6c3d8e5"
MSIAM_ACCESS = "b9632174-c057-4f7e-951b-be3adc52bfe6"


@pytest.fixture
def tenant():
    app = create_app({}, Lab(seed=21))
    entra = app.extensions["entra"]
    if entra.directory is None:
        pytest.fail("the Entra app was built without its directory")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://localhost')}"
    _, sp = entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
    user = entra.directory.create_user({"accountEnabled": True, "displayName": "B. Simon", "mailNickname": "bsimon",
                                        "userPrincipalName": "b.simon@contoso.example"}, require_password=False)
    group = entra.directory.create_group({"displayName": "Meeting hosts", "mailEnabled": False,
                                          "mailNickname": "hosts", "securityEnabled": True})
    return client, entra, sp, user, group


def test_assignment_names_the_directory_principal_and_records_a_change(tenant):
    client, entra, sp, user, group = tenant
    seq = entra.directory.current_seq()
    resp = client.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo",
                       json={"principalId": user.id, "resourceId": sp.id, "appRoleId": ORGANIZER})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["principalDisplayName"] == "B. Simon"
    assert resp.get_json()["principalType"] == "User"
    resp = client.post(f"/v1.0/groups/{group.id}/appRoleAssignments",
                       json={"principalId": group.id, "resourceId": sp.id, "appRoleId": MSIAM_ACCESS})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["principalType"] == "Group"
    changes = [(c.object_type, c.object_id) for c in entra.directory.changes_since(seq)]
    assert changes == [("appRoleAssignment", user.id), ("appRoleAssignment", group.id)]


def test_soft_deleted_user_keeps_assignments_and_purge_removes_them(tenant):
    client, entra, sp, user, _ = tenant
    entra.apps.create_app_role_assignment(resource_id=sp.id, principal_id=user.id, app_role_id=ORGANIZER)
    entra.directory.delete_user(user.id)
    assert len(entra.apps.assignments_of_principal(user.id)) == 1
    resp = client.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo",
                       json={"principalId": user.id, "resourceId": sp.id, "appRoleId": MSIAM_ACCESS})
    assert resp.status_code == 404
    entra.directory.purge_deleted_item(user.id)
    assert entra.apps.assignments_of_principal(user.id) == []
    assert entra.apps.assignments_for_service_principal(sp.id) == []


def test_automatic_purge_after_30_days_removes_assignments(tenant):
    _, entra, sp, user, _ = tenant
    entra.apps.create_app_role_assignment(resource_id=sp.id, principal_id=user.id, app_role_id=ORGANIZER)
    entra.directory.delete_user(user.id)
    entra.lab.clock.advance(minutes=30 * 24 * 60 + 1)
    assert entra.apps.assignments_of_principal(user.id) == []
