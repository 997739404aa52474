"""GoToMeeting's OAuth lab control: static tokens, revocation, OAuth clients (SPEC §5)."""
from __future__ import annotations

import json

import pytest
import requests

from fixtures.oauth_helpers import goto_oauth  # noqa: F401  (fixture)
from fixtures.oauth_helpers import lab_admin as admin

pytestmark = pytest.mark.live


def assert_admin_error(resp: requests.Response, status: int, text: str) -> None:
    assert resp.status_code == status, resp.text
    assert text in resp.json()["error"]["message"]


def test_static_token_for_the_team_admin_by_default(lab):
    for body in ({}, None):
        resp = admin(lab, "POST", "/tokens", json=body) if body is not None else admin(lab, "POST", "/tokens")
        assert resp.status_code == 201, resp.text
        assert resp.json()["user"] == lab.goto_admin["email"]
        assert resp.json()["expiresIn"] is None
        assert len(resp.json()["token"]) >= 32


def test_static_token_for_a_named_user(lab):
    resp = admin(lab, "POST", "/tokens", json={"user": lab.goto_member["email"]})
    assert resp.status_code == 201 and resp.json()["user"] == lab.goto_member["email"]
    scim = requests.get(f"{lab.scim_url}/Users", headers={"Authorization": f"Bearer {resp.json()['token']}"},
                        timeout=10)
    assert scim.status_code == 403


@pytest.mark.parametrize("body, text", [
    ({"user": "nobody@contoso.example"}, "no GoTo user"),
    ({"user": ""}, "non-empty string"),
    ({"user": 7}, "non-empty string"),
    ({"expiresIn": 5}, "unknown fields"),
    ([], "JSON object"),
])
def test_static_token_validation(lab, body, text):
    assert_admin_error(admin(lab, "POST", "/tokens", json=body), 400, text)
    assert admin(lab, "GET", "/state").json()["oauth"]["tokens"]["issued"]["static"] == 0


@pytest.mark.parametrize("body, text", [
    ({}, "exactly one"),
    ({"token": "x", "all": True}, "exactly one"),
    ({"all": False}, "all must be true"),
    ({"token": ""}, "non-empty string"),
    ({"user": "nobody@contoso.example"}, "no GoTo user"),
    ({"whatever": 1}, "exactly one"),
])
def test_revoke_validation(lab, body, text):
    assert_admin_error(admin(lab, "POST", "/tokens/revoke", json=body), 400, text)


def test_revoke_counts(lab, goto_oauth):
    goto_oauth.tokens_for(lab.goto_admin)
    static = lab.static_scim_token()
    assert admin(lab, "POST", "/tokens/revoke", json={"token": "unknown"}).json()["revoked"] == 0
    assert admin(lab, "POST", "/tokens/revoke", json={"token": static}).json() == {
        "revoked": 1, "access": 0, "refresh": 0, "static": 1}
    assert admin(lab, "POST", "/tokens/revoke", json={"user": lab.goto_admin["email"]}).json() == {
        "revoked": 2, "access": 1, "refresh": 1, "static": 0}
    assert admin(lab, "POST", "/tokens/revoke", json={"all": True}).json()["revoked"] == 0


def test_clients_are_listed_with_secrets_redacted(lab):
    clients = admin(lab, "GET", "/oauth/clients").json()["clients"]
    assert clients[0]["clientId"] == lab.gotomeeting_client["client_id"]
    assert clients[0]["redirectUris"] == [lab.gotomeeting_client["redirect_uri"]]
    assert clients[0]["clientSecret"] == "REDACTED"


def test_registering_a_redirect_uri_lets_the_client_use_it(lab, goto_oauth):
    client_id = lab.gotomeeting_client["client_id"]
    original = lab.gotomeeting_client["redirect_uri"]
    callback = "http://127.0.0.1:50123/portal/TokenAuthorize"
    try:
        resp = admin(lab, "PUT", f"/oauth/clients/{client_id}", json={"redirectUris": [original, callback]})
        assert resp.status_code == 200 and resp.json()["redirectUris"] == [original, callback]
        code = goto_oauth.code(**lab.goto_admin, redirect_uri=callback)
        resp = goto_oauth.token({"grant_type": "authorization_code", "code": code, "redirect_uri": callback})
        assert resp.status_code == 200, resp.text
    finally:
        admin(lab, "PUT", f"/oauth/clients/{client_id}", json={"redirectUris": [original]})


def test_a_new_client_needs_a_secret_then_authenticates_until_removed(lab):
    url = "/oauth/clients/admin-test-client"
    uris = {"redirectUris": ["https://x.example/cb"]}

    def token_status(secret: str) -> int:
        return requests.post(f"{lab.gotomeeting_url}/oauth/token", timeout=10,
                             data={"grant_type": "refresh_token", "refresh_token": "nope"},
                             auth=("admin-test-client", secret)).status_code

    assert_admin_error(admin(lab, "PUT", url, json=uris), 400, "clientSecret is required")
    try:
        resp = admin(lab, "PUT", url, json={**uris, "clientSecret": "s3cret"})
        assert resp.status_code == 201 and resp.json()["clientSecret"] == "REDACTED"
        assert token_status("s3cret") == 400  # authenticated; the refresh token is what is wrong
        assert admin(lab, "PUT", url, json={**uris, "clientSecret": "rotated"}).status_code == 200
        assert token_status("s3cret") == 401
        assert token_status("rotated") == 400
    finally:
        assert admin(lab, "DELETE", url).status_code == 204
    assert token_status("rotated") == 401
    assert_admin_error(admin(lab, "DELETE", url), 404, "no OAuth client")


@pytest.mark.parametrize("body, text", [
    ({}, "redirectUris"),
    ({"redirectUris": []}, "redirectUris"),
    ({"redirectUris": ["/relative"]}, "absolute"),
    ({"redirectUris": ["ftp://x.example/cb"]}, "absolute"),
    ({"redirectUris": ["https://x.example/cb#frag"]}, "fragment"),
    ({"redirectUris": [7]}, "absolute"),
    ({"redirectUris": ["https://x.example/cb"], "clientSecret": ""}, "non-empty string"),
    ({"redirectUris": ["https://x.example/cb"], "colour": "red"}, "unknown fields"),
])
def test_client_validation_leaves_clients_unchanged(lab, body, text):
    before = admin(lab, "GET", "/oauth/clients").json()
    client_id = lab.gotomeeting_client["client_id"]
    assert_admin_error(admin(lab, "PUT", f"/oauth/clients/{client_id}", json=body), 400, text)
    assert admin(lab, "GET", "/oauth/clients").json() == before


def test_state_shows_oauth_counts_but_no_secret(lab, goto_oauth):
    tokens = goto_oauth.tokens_for(lab.goto_admin)
    static = lab.static_scim_token()
    state = admin(lab, "GET", "/state").json()["oauth"]
    assert state["tokens"]["issued"] == {"access": 1, "refresh": 1, "static": 1}
    text = json.dumps(state)
    for secret in (tokens["access_token"], tokens["refresh_token"], static,
                   lab.gotomeeting_client["client_secret"]):
        assert secret not in text


def test_reset_forgets_tokens(lab, goto_oauth):
    static = lab.static_scim_token()
    lab.reset()
    resp = requests.get(f"{lab.scim_url}/Users", headers={"Authorization": f"Bearer {static}"}, timeout=10)
    assert resp.status_code == 401
    assert admin(lab, "GET", "/state").json()["oauth"]["tokens"]["issued"]["static"] == 0
