"""GoToMeeting's OAuth endpoints against the live server, driven as a browser and Entra's callback would
(SPEC §4.2, RFC 6749, RFC 6750)."""
from __future__ import annotations

import json

import pytest
import requests

from fixtures.clients import redirect_params
from fixtures.oauth_helpers import goto_oauth, second_client  # noqa: F401  (fixtures)
from fixtures.oauth_helpers import lab_admin as admin
from simulator.client import Page

pytestmark = pytest.mark.live


def assert_html_error(resp: requests.Response, status: int, text: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "Location" not in resp.headers
    assert text in Page.from_response(resp).text


def assert_oauth_error(resp: requests.Response, status: int, error: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["error"] == error, body
    assert body["error_description"]
    return body


# -- the sign-in page ----------------------------------------------------------------------------

def test_login_page_is_a_form_carrying_the_request(goto_oauth):
    _, page = goto_oauth.open_login(state="opaque state/+=", scope="identity:scim.org")
    assert page.status == 200
    form = page.forms[0]
    assert form["method"] == "POST"
    assert form["fields"]["client_id"] == goto_oauth.client["client_id"]
    assert form["fields"]["redirect_uri"] == goto_oauth.client["redirect_uri"]
    assert form["fields"]["state"] == "opaque state/+="
    assert set(form["fields"]) >= {"email", "password", "scope", "response_type"}
    assert ("action", "allow") in form["buttons"] and ("action", "deny") in form["buttons"]
    assert "GoTo" in page.text


@pytest.mark.parametrize("params, text", [
    ({"client_id": None}, "no client_id"),
    ({"client_id": "unknown-client"}, "not registered"),
    ({"redirect_uri": "https://attacker.example/cb"}, "not registered for the client"),
    ({"redirect_uri": None, "response_type": "token", "client_id": "unknown-client"}, "not registered"),
])
def test_bad_client_or_redirect_uri_is_an_html_page_without_redirect(goto_oauth, params, text):
    resp = requests.get(goto_oauth.authorize_url(**params), allow_redirects=False, timeout=10)
    assert_html_error(resp, 400, text)


def test_bad_client_on_form_post_is_not_redirected_either(goto_oauth):
    browser, page = goto_oauth.open_login()
    page.forms[0]["fields"]["redirect_uri"] = "https://attacker.example/cb"
    resp = browser.submit(page, {"email": "goto.admin@contoso.example", "password": "x"}, button="allow")
    assert_html_error(resp, 400, "not registered for the client")


@pytest.mark.parametrize("response_type, error", [("token", "unsupported_response_type"),
                                                  (None, "invalid_request")])
def test_bad_response_type_redirects_with_the_error(goto_oauth, response_type, error):
    resp = requests.get(goto_oauth.authorize_url(response_type=response_type, state="s-9"),
                        allow_redirects=False, timeout=10)
    params = redirect_params(resp)
    assert resp.headers["Location"].startswith(goto_oauth.client["redirect_uri"] + "?")
    assert params["error"] == error and params["state"] == "s-9" and "code" not in params


def test_wrong_password_shows_the_form_again(lab, goto_oauth):
    resp = goto_oauth.sign_in(lab.goto_admin["email"], "not-the-password")
    assert resp.status_code == 200 and "Location" not in resp.headers
    page = Page.from_response(resp)
    assert "Invalid email or password" in page.text
    assert page.forms[0]["fields"]["email"] == lab.goto_admin["email"]
    assert page.forms[0]["fields"]["password"] == ""
    assert admin(lab, "GET", "/state").json()["oauth"]["codes"]["issued"] == 0


def test_deny_redirects_with_access_denied(lab, goto_oauth):
    params = redirect_params(goto_oauth.sign_in(lab.goto_admin["email"], "", button="deny", state="s-2"))
    assert params["error"] == "access_denied" and params["state"] == "s-2"
    assert params["error_description"] and "code" not in params


def test_sign_in_redirects_with_a_code_and_the_state(lab, goto_oauth):
    resp = goto_oauth.sign_in(lab.goto_admin["email"], lab.goto_admin["password"], state="s-3")
    assert resp.status_code == 302 and resp.headers["Cache-Control"] == "no-store"
    params = redirect_params(resp)
    assert params["state"] == "s-3" and len(params["code"]) >= 16


def test_suspended_user_cannot_sign_in(lab, goto_oauth):
    scim = {"Authorization": f"Bearer {lab.static_scim_token()}"}
    users = requests.get(f"{lab.scim_url}/Users", params={"filter": f'userName eq "{lab.goto_member["email"]}"'},
                         headers=scim, timeout=10).json()["Resources"]
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]}
    resp = requests.patch(f"{lab.scim_url}/Users/{users[0]['id']}", json=patch, headers=scim, timeout=10)
    assert resp.status_code == 200, resp.text
    resp = goto_oauth.sign_in(lab.goto_member["email"], lab.goto_member["password"])
    assert resp.status_code == 200 and "Invalid email or password" in resp.text


# -- the token endpoint --------------------------------------------------------------------------

@pytest.mark.parametrize("basic", [True, False])
def test_code_exchange_with_basic_or_body_client_auth(lab, goto_oauth, basic):
    resp = goto_oauth.exchange(goto_oauth.code(**lab.goto_admin), basic=basic)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["principal"] == lab.goto_admin["email"]
    assert body["account_key"] == lab.gotomeeting_config.account_key
    assert body["scope"] and body["refresh_token"] != body["access_token"]


def test_reused_code_is_invalid_grant_and_revokes_its_tokens(lab, goto_oauth):
    code = goto_oauth.code(**lab.goto_admin)
    tokens = goto_oauth.exchange(code).json()
    assert_oauth_error(goto_oauth.exchange(code), 400, "invalid_grant")
    assert_oauth_error(goto_oauth.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    resp = requests.get(f"{lab.scim_url}/Users", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                        timeout=10)
    assert resp.status_code == 401


def test_code_for_another_client_is_invalid_grant(lab, goto_oauth, second_client):
    code = goto_oauth.code(**lab.goto_admin)
    assert_oauth_error(goto_oauth.exchange(code, client=second_client), 400, "invalid_grant")
    other_code = goto_oauth.code(**lab.goto_admin, client_id=second_client["client_id"],
                                 redirect_uri=second_client["redirect_uri"])
    assert_oauth_error(goto_oauth.exchange(other_code), 400, "invalid_grant")
    assert goto_oauth.exchange(other_code, client=second_client).status_code == 200


def test_redirect_uri_mismatch_and_expired_code_are_invalid_grant(lab, goto_oauth):
    code = goto_oauth.code(**lab.goto_admin)
    resp = goto_oauth.token({"grant_type": "authorization_code", "code": code,
                             "redirect_uri": "http://127.0.0.1:8410/portal/Other"})
    assert_oauth_error(resp, 400, "invalid_grant")
    admin(lab, "POST", "/clock/advance", json={"seconds": 61})
    body = assert_oauth_error(goto_oauth.exchange(code), 400, "invalid_grant")
    assert "expired" in body["error_description"]


@pytest.mark.parametrize("auth", [("entra-provisioning-lab", "wrong-secret"), ("unknown-client", "x")])
def test_wrong_client_credentials_with_basic_are_401_with_a_challenge(lab, goto_oauth, auth):
    code = goto_oauth.code(**lab.goto_admin)
    resp = goto_oauth.exchange(code, auth=auth)
    assert_oauth_error(resp, 401, "invalid_client")
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert goto_oauth.exchange(code).status_code == 200


def test_wrong_client_secret_in_the_body_is_invalid_client(lab, goto_oauth):
    client = dict(goto_oauth.client, client_secret="wrong-secret")
    assert_oauth_error(goto_oauth.exchange(goto_oauth.code(**lab.goto_admin), client=client, basic=False),
                       401, "invalid_client")


@pytest.mark.parametrize("kwargs, status, error", [
    ({"data": {"grant_type": "client_credentials"}}, 400, "unsupported_grant_type"),
    ({"data": {"code": "x"}}, 400, "invalid_request"),
    ({"data": {"grant_type": "refresh_token"}}, 400, "invalid_request"),
    ({"data": {"grant_type": "authorization_code", "client_secret": "entra-lab-client-secret"}},
     400, "invalid_request"),
    ({"data": {"grant_type": "refresh_token", "refresh_token": "garbage"}}, 400, "invalid_grant"),
    ({"data": "grant_type=refresh_token&grant_type=authorization_code",
      "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400, "invalid_request"),
    ({"json": {"grant_type": "authorization_code"}}, 400, "invalid_request"),
    ({"data": {"grant_type": "authorization_code"}, "auth": None,
      "headers": {"Authorization": "Basic !!!not-base64"}}, 401, "invalid_client"),
    ({"data": {"grant_type": "authorization_code"}, "auth": None,
      "headers": {"Authorization": "Bearer some-token"}}, 401, "invalid_client"),
    ({"data": {"grant_type": "authorization_code"}, "auth": None}, 401, "invalid_client"),
])
def test_token_request_errors(goto_oauth, kwargs, status, error):
    kwargs = dict(kwargs)
    if "auth" not in kwargs:
        kwargs["auth"] = (goto_oauth.client["client_id"], goto_oauth.client["client_secret"])
    resp = requests.post(f"{goto_oauth.base_url}/oauth/token", timeout=10, **kwargs)
    assert_oauth_error(resp, status, error)


def test_routing_errors_keep_the_surface_shape(goto_oauth):
    resp = requests.get(f"{goto_oauth.base_url}/oauth/token", timeout=10)
    assert resp.status_code == 405 and resp.json()["error"] == "invalid_request"
    assert "POST" in resp.headers["Allow"]
    assert_html_error(requests.get(f"{goto_oauth.base_url}/oauth/nowhere", timeout=10), 404, "does not exist")
    assert_html_error(requests.delete(goto_oauth.authorize_url(), timeout=10), 405, "not allowed")


# -- refresh and revocation ----------------------------------------------------------------------

def test_refresh_rotates_and_the_old_refresh_token_dies(lab, goto_oauth):
    first = goto_oauth.tokens_for(lab.goto_admin)
    second = goto_oauth.refresh(first["refresh_token"], basic=False)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert_oauth_error(goto_oauth.refresh(first["refresh_token"]), 400, "invalid_grant")
    assert goto_oauth.refresh(second.json()["refresh_token"]).status_code == 200


@pytest.mark.parametrize("revoke", ["token", "user", "all"])
def test_refresh_after_revocation_is_invalid_grant(lab, goto_oauth, revoke):
    tokens = goto_oauth.tokens_for(lab.goto_admin)
    body = {"token": tokens["refresh_token"], "user": lab.goto_admin["email"], "all": True}[revoke]
    resp = admin(lab, "POST", "/tokens/revoke", json={revoke: body})
    assert resp.status_code == 200 and resp.json()["refresh"] == 1
    assert_oauth_error(goto_oauth.refresh(tokens["refresh_token"]), 400, "invalid_grant")


# -- bearer tokens on the SCIM API ---------------------------------------------------------------

def scim_get(lab, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(f"{lab.scim_url}/Users", headers=headers, timeout=10)


def assert_scim_401(resp: requests.Response, *, error_attribute: bool = True) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.headers["Content-Type"].startswith("application/scim+json")
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="GoToMeeting"')
    assert ('error="invalid_token"' in challenge) is error_attribute
    assert resp.json()["status"] == "401"


def test_oauth_access_token_and_static_token_work_on_scim(lab, goto_oauth):
    assert scim_get(lab, f"Bearer {goto_oauth.tokens_for(lab.goto_admin)['access_token']}").status_code == 200
    assert scim_get(lab, f"Bearer {lab.static_scim_token()}").status_code == 200


def test_missing_bearer_is_401_without_error_attribute(lab):
    assert_scim_401(scim_get(lab, None), error_attribute=False)


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-token", "Basic Z290bzpnb3Rv", "garbled"])
def test_garbled_bearer_is_401(lab, header):
    assert_scim_401(scim_get(lab, header))


def test_expired_bearer_is_401(lab, goto_oauth):
    access = goto_oauth.tokens_for(lab.goto_admin)["access_token"]
    lab.advance_clock(59.5)
    assert scim_get(lab, f"Bearer {access}").status_code == 200
    lab.advance_clock(0.5)
    assert_scim_401(scim_get(lab, f"Bearer {access}"))


def test_revoked_bearer_is_401(lab, goto_oauth):
    access = goto_oauth.tokens_for(lab.goto_admin)["access_token"]
    static = lab.static_scim_token()
    for token in (access, static):
        assert admin(lab, "POST", "/tokens/revoke", json={"token": token}).json()["revoked"] == 1
        assert_scim_401(scim_get(lab, f"Bearer {token}"))


def test_member_token_is_403_on_scim(lab, goto_oauth):
    resp = scim_get(lab, f"Bearer {goto_oauth.tokens_for(lab.goto_member)['access_token']}")
    assert resp.status_code == 403
    assert resp.json()["detail"] == "The authenticated user is not a team administrator"


# -- secrets stay out of the journal -------------------------------------------------------------

def test_journal_never_records_codes_tokens_or_passwords(lab, goto_oauth):
    code = goto_oauth.code(**lab.goto_admin)
    tokens = goto_oauth.exchange(code).json()
    goto_oauth.refresh(tokens["refresh_token"])
    journal = json.dumps(admin(lab, "GET", "/journal").json())
    assert "/oauth/token" in journal
    for secret in (code, tokens["access_token"], tokens["refresh_token"], lab.goto_admin["password"],
                   goto_oauth.client["client_secret"]):
        assert secret not in journal
