"""Bad input to the sign-in endpoint and the enterprise-app Graph calls: each answer is a 4xx in the
surface's own envelope (AAD or Graph), never a 500, and the lab's state is unchanged afterwards."""
from __future__ import annotations

import json

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
ORGANIZER = "5c8e3f21-7a4b-4d96-b0e2-91f4a6c3d8e5"
SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture(scope="module")
def lab():
    app = create_app({}, Lab(seed=9))
    entra = app.extensions["entra"]
    _, sp = entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
    client = app.test_client()
    return client, entra, sp


def _state(client) -> str:
    state = client.get("/_admin/state").get_json()
    state.pop("faults", None)
    return json.dumps(state, sort_keys=True)


def _check(client, resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json
    return resp.get_json()


# -- the token endpoint (AAD envelope) -----------------------------------------------------------------

def _form(entra, **changes):
    admin = entra.config.admin_client
    form = {"grant_type": "client_credentials", "client_id": admin.client_id,
            "client_secret": admin.client_secret, "scope": SCOPE}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


@pytest.mark.parametrize("changes, status, error, aadsts", [
    ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ({"grant_type": None}, 400, "invalid_request", 900144),
    ({"client_id": None}, 400, "invalid_request", 900144),
    ({"scope": None}, 400, "invalid_request", 900144),
    ({"scope": "https://management.azure.com/.default"}, 400, "invalid_resource", 500011),
    ({"scope": "User.Read.All"}, 400, "invalid_scope", 70011),
    ({"scope": f"{SCOPE} https://management.azure.com/.default"}, 400, "invalid_scope", 70011),
    ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
    ({"client_secret": None}, 401, "invalid_client", 7000218),
    ({"client_id": "00000000-1111-4222-8333-444444444444"}, 401, "invalid_client", 700016),
])
def test_token_request_errors(lab, changes, status, error, aadsts):
    client, entra, _ = lab
    before = _state(client)
    resp = client.post(f"/{entra.config.tenant_id}/oauth2/v2.0/token", data=_form(entra, **changes))
    body = _check(client, resp, status)
    assert body["error"] == error
    assert body["error_codes"] == [aadsts]
    assert body["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert "Trace ID: " in body["error_description"] and "Correlation ID: " in body["error_description"]
    assert set(body) >= {"timestamp", "trace_id", "correlation_id"}
    assert _state(client) == before


def test_unknown_tenant_is_400_aadsts90002(lab):
    client, entra, _ = lab
    for path in ("/not-a-tenant.example/oauth2/v2.0/token",):
        body = _check(client, client.post(path, data=_form(entra)), 400)
        assert body["error_codes"] == [90002] and "not-a-tenant.example" in body["error_description"]
    body = _check(client, client.get("/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration"),
                  400)
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert _check(client, client.get("/other.example/discovery/v2.0/keys"), 400)["error_codes"] == [90002]


def test_get_on_the_token_endpoint_is_aadsts900561(lab):
    client, entra, _ = lab
    body = _check(client, client.get(f"/{entra.config.tenant_id}/oauth2/v2.0/token"), 400)
    assert body["error_codes"] == [900561]


def test_json_instead_of_a_form_is_a_missing_grant_type(lab):
    client, entra, _ = lab
    body = _check(client, client.post(f"/{entra.config.tenant_id}/oauth2/v2.0/token", json=_form(entra)), 400)
    assert body["error_codes"] == [900144] and "'grant_type'" in body["error_description"]


def test_garbled_basic_credentials_count_as_missing(lab):
    client, entra, _ = lab
    resp = client.post(f"/{entra.config.tenant_id}/oauth2/v2.0/token",
                       data={"grant_type": "client_credentials", "scope": SCOPE},
                       headers={"Authorization": "Basic !!!not-base64"})
    assert _check(client, resp, 400)["error_codes"] == [900144]


def test_oversized_token_request_is_413_in_the_aad_envelope(lab):
    client, entra, _ = lab
    resp = client.post(f"/{entra.config.tenant_id}/oauth2/v2.0/token",
                       data=_form(entra, padding="x" * (1024 * 1024 + 10)))
    body = _check(client, resp, 413)
    assert body["error"] == "invalid_request" and "error_codes" in body


def test_unknown_sign_in_path_is_404_in_the_aad_envelope(lab):
    client, _, _ = lab
    assert "error_codes" in _check(client, client.get("/common/nothing/here"), 404)


def test_secrets_and_tokens_are_redacted_in_the_journal():
    from simulator.core.server import LiveServer
    import requests

    app = create_app({}, Lab(seed=3))
    entra = app.extensions["entra"]
    server = LiveServer(app, name="entra").start()
    try:
        resp = requests.post(f"{server.url}/{entra.config.tenant_id}/oauth2/v2.0/token", data=_form(entra),
                             timeout=10)
        token = resp.json()["access_token"]
        requests.get(f"{server.url}/v1.0/applicationTemplates", headers={"Authorization": f"Bearer {token}"},
                     timeout=10)
        journal = json.dumps(requests.get(f"{server.url}/_admin/journal", timeout=10).json())
    finally:
        server.stop()
    assert entra.config.admin_client.client_secret not in journal
    assert token not in journal and token.split(".")[1] not in journal
    assert "REDACTED" in journal


# -- Graph: enterprise apps (Graph envelope) ---------------------------------------------------------

@pytest.fixture
def graph(lab):
    client, entra, sp = lab
    token = mint_token(entra, entra.config.admin_client, "http://localhost")
    headers = {"Authorization": f"Bearer {token}"}
    before = _state(client)
    yield client, headers, sp
    assert _state(client) == before


def _graph_error(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    if code:
        assert error["code"] == code
    return error


def test_malformed_object_ids_are_400_invalid_object_identifier(graph):
    client, headers, _ = graph
    for path in ("/v1.0/servicePrincipals/not-a-guid", "/v1.0/applications/123",
                 "/v1.0/users/not-a-guid/appRoleAssignments"):
        error = _graph_error(client.get(path, headers=headers), 400, "Request_BadRequest")
        assert error["message"].startswith("Invalid object identifier")


def test_unknown_ids_are_404_request_resource_not_found(graph):
    client, headers, sp = graph
    missing = "dddddddd-0000-4000-8000-000000000000"
    for method, path in (("get", f"/v1.0/servicePrincipals/{missing}"),
                         ("delete", f"/v1.0/servicePrincipals/{missing}"),
                         ("get", f"/v1.0/applications/{missing}"),
                         ("delete", f"/v1.0/applications/{missing}"),
                         ("get", f"/v1.0/servicePrincipals/{missing}/appRoleAssignedTo"),
                         ("get", f"/v1.0/applicationTemplates/{missing}"),
                         ("delete", f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo/nope"),
                         ("delete", f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo/{'A' * 43}")):
        error = _graph_error(getattr(client, method)(path, headers=headers), 404, "Request_ResourceNotFound")
        assert "does not exist or one of its queried reference-property objects are not present." in error["message"]


def test_assignment_bodies_that_are_not_objects_or_not_json(graph):
    client, headers, sp = graph
    url = f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo"
    _graph_error(client.post(url, json=["principalId"], headers=headers), 400)
    _graph_error(client.post(url, data="{not json", content_type="application/json", headers=headers), 400)
    _graph_error(client.post(url, data="principalId=x", content_type="text/plain", headers=headers), 415)
    _graph_error(client.post(url, headers=headers), 400)
    big = json.dumps({"principalId": "x" * (1024 * 1024 + 10)})
    _graph_error(client.post(url, data=big, content_type="application/json", headers=headers), 413)


@pytest.mark.parametrize("body", [
    {"principalId": "not-a-guid", "appRoleId": ORGANIZER},
    {"appRoleId": ORGANIZER},
    {"principalId": "eeeeeeee-0000-4000-8000-000000000000", "appRoleId": "role"},
    {"principalId": "eeeeeeee-0000-4000-8000-000000000000", "appRoleId": ORGANIZER,
     "resourceId": "ffffffff-0000-4000-8000-000000000000"},
    {"principalId": "eeeeeeee-0000-4000-8000-000000000000", "appRoleId": "12345678-1234-4234-8234-123456789012"},
])
def test_invalid_assignment_properties_are_400(graph, body):
    client, headers, sp = graph
    resp = client.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo", json=body, headers=headers)
    _graph_error(resp, 400, "Request_BadRequest")


def test_principal_in_body_must_match_the_url(graph):
    client, headers, sp = graph
    resp = client.post("/v1.0/users/eeeeeeee-0000-4000-8000-000000000000/appRoleAssignments", headers=headers,
                       json={"principalId": "eeeeeeee-0000-4000-8000-000000000001", "resourceId": sp.id,
                             "appRoleId": ORGANIZER})
    _graph_error(resp, 400, "Request_BadRequest")
    resp = client.post("/v1.0/users/eeeeeeee-0000-4000-8000-000000000000/appRoleAssignments", headers=headers,
                       json={"principalId": "eeeeeeee-0000-4000-8000-000000000000", "appRoleId": ORGANIZER})
    _graph_error(resp, 400, "Request_BadRequest")


def test_assignment_to_a_missing_principal_is_404(graph):
    client, headers, sp = graph
    resp = client.post(f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo", headers=headers,
                       json={"principalId": "eeeeeeee-0000-4000-8000-000000000000", "resourceId": sp.id,
                             "appRoleId": ORGANIZER})
    _graph_error(resp, 404, "Request_ResourceNotFound")


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": 42}, {"displayName": "x" * 257}])
def test_instantiate_needs_a_display_name(graph, body):
    client, headers, _ = graph
    resp = client.post(f"/v1.0/applicationTemplates/{GOTOMEETING_TEMPLATE_ID}/instantiate", json=body,
                       headers=headers)
    _graph_error(resp, 400)


def test_instantiate_unknown_template_is_404(graph):
    client, headers, _ = graph
    resp = client.post("/v1.0/applicationTemplates/nope/instantiate", json={"displayName": "x"}, headers=headers)
    _graph_error(resp, 404, "Request_ResourceNotFound")


def test_writes_with_a_read_only_token_are_403(lab):
    client, entra, sp = lab
    before = _state(client)
    token = mint_token(entra, entra.config.reader_client, "http://localhost")
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post(f"/v1.0/applicationTemplates/{GOTOMEETING_TEMPLATE_ID}/instantiate",
                       json={"displayName": "x"}, headers=headers)
    _graph_error(resp, 403, "Authorization_RequestDenied")
    _graph_error(client.delete(f"/v1.0/servicePrincipals/{sp.id}", headers=headers), 403)
    assert _state(client) == before
