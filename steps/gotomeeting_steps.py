"""Steps that talk to the fake GoToMeeting directly: its sign-in popup, token endpoint and SCIM API.

Black-box: every step acts over HTTP (the OAuth pages, SCIM, ``/_admin``) and observes through SCIM
GETs and the admin API, never through server memory.
"""
from __future__ import annotations

import requests
from pytest_bdd import given, parsers, then, when

from fixtures.clients import ScimClient, redirect_params
from fixtures.contracts import check
from simulator.client import Browser

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


# -- sign-in -------------------------------------------------------------------------------------
@given("the GoToMeeting sign-in page is opened for the Entra provisioning client")
def _(lab, ctx):
    client = lab.gotomeeting_client
    ctx.remember(state="lab-state-7f3a", browser=Browser())
    url = requests.Request("GET", f"{lab.gotomeeting_url}/oauth/authorize", params={
        "client_id": client["client_id"], "response_type": "code",
        "redirect_uri": client["redirect_uri"], "state": ctx["state"]}).prepare().url
    page = ctx["browser"].open(url)
    assert page.status == 200, page.text
    assert page.forms, "the sign-in page has no form"
    ctx.remember(page=page)


def _sign_in(ctx, email: str, password: str, button: str):
    ctx.response = ctx["browser"].submit(ctx["page"], {"email": email, "password": password}, button=button)


@when(parsers.parse("the user signs in as the GoToMeeting {who} and {choice} access"))
def _(lab, ctx, who, choice):
    account = {"team administrator": lab.goto_admin, "plain member": lab.goto_member}[who]
    _sign_in(ctx, account["email"], account["password"], {"allows": "allow", "denies": "deny"}[choice])


@when(parsers.parse('the user signs in as "{email}" with password "{password}"'))
def _(ctx, email, password):
    _sign_in(ctx, email, password, "allow")


@then("GoToMeeting redirects back to Entra with an authorization code and the same state")
def _(lab, ctx):
    params = redirect_params(ctx.response)
    assert ctx.response.headers["Location"].startswith(lab.gotomeeting_client["redirect_uri"])
    assert params.get("state") == ctx["state"]
    assert params.get("code"), params


@then(parsers.parse('GoToMeeting redirects back to Entra with error "{error}" and the same state'))
def _(ctx, error):
    params = redirect_params(ctx.response)
    assert params.get("error") == error, params
    assert params.get("state") == ctx["state"]
    assert "code" not in params


@then(parsers.parse('the sign-in page is shown again with "{message}"'))
def _(ctx, message):
    assert ctx.response.status_code == 200, ctx.response.status_code
    assert message in ctx.response.text
    assert "Location" not in ctx.response.headers


def _token_request(lab, data: dict) -> requests.Response:
    client = lab.gotomeeting_client
    return requests.post(f"{lab.gotomeeting_url}/oauth/token", data=data,
                         auth=(client["client_id"], client["client_secret"]), timeout=10)


@when("the authorization code is exchanged for an access token and a refresh token")
@then("the authorization code is exchanged for an access token and a refresh token")
def _(lab, ctx):
    code = redirect_params(ctx.response)["code"]
    resp = _token_request(lab, {"grant_type": "authorization_code", "code": code,
                                "redirect_uri": lab.gotomeeting_client["redirect_uri"]})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Cache-Control") == "no-store"
    check("oauth-token", resp.json())
    ctx.remember(code=code, tokens=resp.json())


@then(parsers.parse('exchanging the same authorization code again fails with "{error}"'))
def _(lab, ctx, error):
    resp = _token_request(lab, {"grant_type": "authorization_code", "code": ctx["code"],
                                "redirect_uri": lab.gotomeeting_client["redirect_uri"]})
    assert resp.status_code == 400, resp.text
    check("oauth-error", resp.json())
    assert resp.json()["error"] == error


@when("the refresh token is redeemed")
def _(lab, ctx):
    old = ctx["tokens"]
    resp = _token_request(lab, {"grant_type": "refresh_token", "refresh_token": old["refresh_token"]})
    assert resp.status_code == 200, resp.text
    check("oauth-token", resp.json())
    assert resp.json()["refresh_token"] != old["refresh_token"]
    ctx.remember(old_tokens=old, tokens=resp.json())


@then(parsers.parse('redeeming the old refresh token again fails with "{error}"'))
def _(lab, ctx, error):
    resp = _token_request(lab, {"grant_type": "refresh_token", "refresh_token": ctx["old_tokens"]["refresh_token"]})
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == error


@when(parsers.parse("the access token expires after {minutes:d} virtual minutes"))
def _(lab, minutes):
    lab.advance_clock(minutes)


@then("the access token is accepted by the SCIM API")
@then("the new access token is accepted by the SCIM API")
def _(lab, ctx):
    scim = ScimClient(lab.scim_url, ctx["tokens"]["access_token"])
    resp = scim.get("/Users", params={"count": "1"})
    assert resp.status_code == 200, resp.text


@then(parsers.parse("the access token is refused by the SCIM API with status {status:d}"))
@then(parsers.parse('the access token is refused by the SCIM API with status {status:d} and "{text}"'))
def _(lab, ctx, status, text=None):
    resp = ScimClient(lab.scim_url, ctx["tokens"]["access_token"]).get("/Users")
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/scim+json")
    if status == 401:
        assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer")
    if text:
        assert text in resp.json()["detail"]


# -- SCIM ----------------------------------------------------------------------------------------
@given("a SCIM token for the GoToMeeting team administrator")
def _(lab, ctx):
    ctx.remember(scim=ScimClient(lab.scim_url, lab.static_scim_token()), seats_at_start=lab.seats()["used"])


def _user_body(user_name: str, role: str) -> dict:
    local = user_name.split("@")[0]
    given_name, _, family = local.partition(".")
    return {
        "schemas": [SCIM_USER],
        "userName": user_name,
        "externalId": local,
        "active": True,
        "name": {"givenName": given_name.title(), "familyName": (family or "user").title()},
        "displayName": f"{given_name.title()} {(family or 'user').title()}",
        "emails": [{"type": "work", "value": user_name, "primary": True}],
        "roles": [{"value": role, "primary": True}],
    }


@given(parsers.parse('a user "{user_name}" is created with role "{role}"'))
def _(ctx, user_name, role):
    resp = ctx["scim"].post("/Users", _user_body(user_name, role))
    assert resp.status_code == 201, resp.text


@when(parsers.parse('a user "{user_name}" is created with role "{role}"'))
def _(ctx, user_name, role):
    ctx.response = ctx["scim"].post("/Users", _user_body(user_name, role))


def _existing(ctx, user_name: str) -> dict:
    found = ctx["scim"].find_user(user_name)
    assert found, f"no user {user_name} in GoToMeeting"
    return found


@when(parsers.parse('the user "{user_name}" is patched with the legacy disable operation'))
def _(ctx, user_name):
    user = _existing(ctx, user_name)
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    ctx.response = ctx["scim"].patch(f"/Users/{user['id']}", body)
    assert ctx.response.status_code in (200, 204), ctx.response.text


@when(parsers.parse('the user "{user_name}" is deleted'))
def _(ctx, user_name):
    ctx.response = ctx["scim"].delete(f"/Users/{_existing(ctx, user_name)['id']}")


@then(parsers.parse("the SCIM API answers {status:d} with a Location header"))
def _(ctx, status):
    assert ctx.response.status_code == status, ctx.response.text
    body = ctx.response.json()
    assert ctx.response.headers["Location"] == body["meta"]["location"]
    assert ctx.response.headers["Content-Type"].startswith("application/scim+json")


@then(parsers.parse("the SCIM API answers {status:d}"))
def _(ctx, status):
    assert ctx.response.status_code == status, ctx.response.text


@then(parsers.parse('the SCIM API answers {status:d} with scimType "{scim_type}"'))
@then(parsers.parse('the SCIM API answers {status:d} with scimType "{scim_type}" and detail containing "{text}"'))
def _(ctx, status, scim_type, text=None):
    assert ctx.response.status_code == status, ctx.response.text
    body = ctx.response.json()
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    if text:
        assert text in body["detail"], body


@then(parsers.parse('the SCIM API answers {status:d} with detail starting "{prefix}"'))
def _(ctx, status, prefix):
    assert ctx.response.status_code == status, ctx.response.text
    assert ctx.response.json()["detail"].startswith(prefix), ctx.response.json()


@then(parsers.parse('the user "{user_name}" is active with role "{role}"'))
def _(ctx, user_name, role):
    user = ctx["scim"].get(f"/Users/{_existing(ctx, user_name)['id']}").json()
    assert user["active"] is True
    assert [r["value"] for r in user.get("roles", [])] == [role]


@then(parsers.parse('the user "{user_name}" is inactive'))
def _(ctx, user_name):
    user = ctx["scim"].get(f"/Users/{_existing(ctx, user_name)['id']}").json()
    assert user["active"] is False


@then(parsers.parse('filtering users by userName "{user_name}" finds {count:d} user'))
@then(parsers.parse('filtering users by userName "{user_name}" finds {count:d} users'))
def _(ctx, user_name, count):
    resp = ctx["scim"].get("/Users", params={"filter": f'userName eq "{user_name}"'})
    assert resp.status_code == 200, resp.text
    assert resp.json()["totalResults"] == count, resp.json()


@given(parsers.parse("the seats in use have grown by {count:d}"))
@then(parsers.parse("the seats in use have grown by {count:d}"))
def _(lab, ctx, count):
    assert lab.seats()["used"] - ctx["seats_at_start"] == count, lab.seats()


@given("the account has exactly 1 free organizer seat")
def _(lab):
    lab.set_seats(lab.seats()["used"] + 1)
