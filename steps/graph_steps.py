"""Steps for Microsoft Graph basics, phrased the way a developer who knows Graph describes them.

Black-box: every step acts over HTTP (the tenant's token endpoint, Graph ``/v1.0`` and ``/_admin`` on
Entra) and observes Graph's answers; nothing reaches into server memory. Every error answer is checked
against ``fixtures/schemas/graph-error.json`` (token endpoint errors against ``oauth-error.json``), and
the tenant itself, its users, groups, the GoToMeeting app and its assignments come from the steps of
``provisioning_steps``.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from pytest_bdd import given, parsers, then, when

from fixtures.contracts import check
from steps.provisioning_steps import PASSWORD, _group, graph, role_id, user_id

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
#: A GUID no app in the lab defines as an app role.
UNKNOWN_ROLE_ID = "4b1c3a9e-7d2f-4e8a-9c0b-5f6e7d8c9b0a"
#: A GUID no object in the lab's directory carries.
UNKNOWN_OBJECT_ID = "9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


# -- helpers ---------------------------------------------------------------------------------------
def answer(ctx) -> requests.Response:
    assert ctx.response is not None, "an earlier step should have called Graph"
    return ctx.response


def body_of(ctx) -> dict:
    resp = answer(ctx)
    if resp.status_code >= 400:
        check("graph-error", resp.json())
    return resp.json()


def object_path(ctx, name: str) -> str:
    """``/users/{id}`` or ``/groups/{id}`` of a user or group this scenario created."""
    if name in ctx.values.get("users", {}):
        return f"/users/{user_id(ctx, name)}"
    groups = ctx.values.get("groups", {})
    assert name in groups, f"no user or group {name!r} in this scenario"
    return f"/groups/{groups[name]['id']}"


def names(text: str) -> list[str]:
    """``"B.Simon, A.Lee"`` and ``"10, 10 and 5"`` as lists."""
    return [part.strip() for part in re.split(r",| and ", text) if part.strip()]


def display_names(items: list[dict]) -> list[str]:
    return sorted(item["displayName"] for item in items)


def token_url(lab, tenant: str | None = None) -> str:
    return f"{lab.entra_url}/{tenant or lab.tenant_id}/oauth2/v2.0/token"


def request_token(lab, *, client_id: str, client_secret: str, tenant: str | None = None,
                  scope: str = GRAPH_SCOPE, basic: bool = False) -> requests.Response:
    form = {"grant_type": "client_credentials", "scope": scope}
    auth = None
    if basic:
        auth = (client_id, client_secret)
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    return requests.post(token_url(lab, tenant), data=form, auth=auth, timeout=10)


def follow_pages(lab, ctx, first: str) -> list[dict]:
    """Every page from ``first`` on, following ``@odata.nextLink`` (bounded, so a loop fails)."""
    pages, url = [], first
    while url:
        assert len(pages) < 100, "the next links never end"
        page = graph(lab, ctx).get(url)
        assert "@odata.context" in page, page
        pages.append(page)
        url = page.get("@odata.nextLink")
    return pages


# -- tokens ----------------------------------------------------------------------------------------
@when(parsers.parse("the admin app requests a token for Microsoft Graph with its client secret {where}"))
def _(lab, ctx, where):
    assert where in ("in the form", "in an HTTP Basic header"), where
    client = lab.graph_client
    ctx.response = request_token(lab, client_id=client["client_id"], client_secret=client["client_secret"],
                                 basic=where != "in the form")


@when(parsers.parse('the admin app requests a token with the {field} "{value}"'))
def _(lab, ctx, field, value):
    client = lab.graph_client
    request = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    key = {"client secret": "client_secret", "client id": "client_id", "tenant": "tenant", "scope": "scope"}
    assert field in key, f"unknown token request field {field!r}"
    request[key[field]] = value
    ctx.response = request_token(lab, **request)


@then(parsers.parse("the token endpoint answers 200 with a Bearer token that expires in {seconds:d} seconds"))
def _(ctx, seconds):
    resp = answer(ctx)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["token_type"], body["expires_in"], body["ext_expires_in"]) == ("Bearer", seconds, seconds), body
    ctx.remember(token=body["access_token"])


@then(parsers.parse('the access token is signed with a key from the tenant\'s JWKS for the audience "{audience}"'))
def _(lab, ctx, audience):
    discovery = requests.get(f"{lab.entra_url}/{lab.tenant_id}/v2.0/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200, discovery.text
    jwks = requests.get(discovery.json()["jwks_uri"], timeout=10).json()
    token = ctx["token"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid)
    # Time claims are checked against the lab's virtual clock below, not against the wall clock.
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience,
                        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})
    assert claims["iss"] == discovery.json()["issuer"] == f"{lab.entra_url}/{lab.tenant_id}/v2.0", claims
    assert claims["tid"] == lab.tenant_id and claims["appid"] == lab.graph_client["client_id"], claims
    assert claims["exp"] - claims["iat"] == 3599, claims
    ctx.remember(claims=claims)


@then(parsers.parse('the access token grants the application permission "{permission}"'))
def _(ctx, permission):
    assert permission in ctx["claims"]["roles"], ctx["claims"]["roles"]


@then(parsers.parse('the token endpoint answers {status:d} with error "{error}" and {code}'))
def _(ctx, status, error, code):
    resp = answer(ctx)
    assert resp.status_code == status, resp.text
    body = resp.json()
    check("oauth-error", body)
    assert body["error"] == error, body
    assert body["error_codes"] == [int(code.removeprefix("AADSTS"))], body
    description = body["error_description"]
    assert description.startswith(f"{code}: "), description
    for part in ("Trace ID: ", "Correlation ID: ", "Timestamp: "):
        assert part in description, description
    assert "access_token" not in body


@given(parsers.parse("a Graph access token for the {app} app"))
def _(lab, ctx, app):
    clients = {"admin": lab.entra_config.admin_client, "reader": lab.entra_config.reader_client}
    assert app in clients, f"the lab registers no {app} app"
    resp = request_token(lab, client_id=clients[app].client_id, client_secret=clients[app].client_secret)
    assert resp.status_code == 200, resp.text
    ctx.remember(token=resp.json()["access_token"])


def _send(lab, ctx, method: str, path: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = {} if method in ("POST", "PATCH") else None
    ctx.response = requests.request(method, f"{lab.graph_url}{path}", headers=headers, json=body, timeout=10)


@when(parsers.parse('{method} "{path}" is sent with that token'))
def _(lab, ctx, method, path):
    _send(lab, ctx, method, path, f"Bearer {ctx['token']}")


@when(parsers.parse('{method} "{path}" is sent without a token'))
def _(lab, ctx, method, path):
    _send(lab, ctx, method, path, None)


@when(parsers.parse('{method} "{path}" is sent with the bearer token "{token}"'))
def _(lab, ctx, method, path, token):
    _send(lab, ctx, method, path, f"Bearer {token}")


# -- any Graph call --------------------------------------------------------------------------------
@when(parsers.re(r'the admin calls (?P<method>[A-Z]+) "(?P<path>[^"]+)"(?: for "(?P<name>[^"]+)")?'))
def _(lab, ctx, method, path, name):
    """``{id}`` in the path stands for the id of the named user or group."""
    if name is not None:
        path = path.replace("{id}", object_path(ctx, name).rsplit("/", 1)[1])
    ctx.response = graph(lab, ctx).request(method, path)


@when(parsers.parse('the admin calls {method} "{path}" with:'))
def _(lab, ctx, method, path, docstring):
    ctx.response = graph(lab, ctx).request(method, path, json=json.loads(docstring))


@then(parsers.parse("Graph answers {status:d}"))
def _(ctx, status):
    resp = answer(ctx)
    assert resp.status_code == status, resp.text
    if status == 204:
        assert resp.content == b"", resp.content


@then(parsers.re(r'Graph answers (?P<status>\d+) with code "(?P<code>[^"]+)"'
                  r'(?: and (?P<kind>the message|a message containing) "(?P<text>.+)")?'),
      converters={"status": int})
def _(ctx, status, code, kind, text):
    resp = answer(ctx)
    assert resp.status_code == status, resp.text
    error = body_of(ctx)["error"]
    assert error["code"] == code, error
    if kind == "the message":
        assert error["message"] == text, error
    elif kind:
        assert text in error["message"], error


@then(parsers.parse('the answer shows {prop} "{value}"'))
def _(ctx, prop, value):
    body = body_of(ctx)
    assert body.get(prop) == value, body


# -- users -----------------------------------------------------------------------------------------
@when(parsers.parse('"{name}" is read by id'))
def _(lab, ctx, name):
    ctx.response = graph(lab, ctx).request("GET", f"/users/{user_id(ctx, name)}")


@when(parsers.parse('"{name}" is read by user principal name "{upn}"'))
def _(lab, ctx, upn, name):
    ctx.response = graph(lab, ctx).request("GET", f"/users/{upn}")
    body = body_of(ctx)
    if ctx.response.status_code == 200:
        assert body["id"] == user_id(ctx, name), body


@when(parsers.parse('a user "{display}" is created with the user principal name "{upn}"'))
def _(lab, ctx, display, upn):
    ctx.response = graph(lab, ctx).request("POST", "/users", json={
        "accountEnabled": True, "displayName": display, "mailNickname": upn.split("@")[0].replace(".", ""),
        "userPrincipalName": upn, "passwordProfile": {"password": PASSWORD}})


@when(parsers.parse('the admin patches "{name}" with:'))
def _(lab, ctx, name, docstring):
    ctx.response = graph(lab, ctx).request("PATCH", object_path(ctx, name), json=json.loads(docstring))


@then(parsers.parse('Graph shows "{name}" with {prop} "{value}"'))
def _(lab, ctx, name, prop, value):
    got = graph(lab, ctx).get(f"{object_path(ctx, name)}?$select={prop}")
    assert got.get(prop) == value, got


@then(parsers.parse('the tenant has {count:d} user whose user principal name starts with "{prefix}"'))
@then(parsers.parse('the tenant has {count:d} users whose user principal name starts with "{prefix}"'))
def _(lab, ctx, count, prefix):
    found = graph(lab, ctx).all_pages("/users", params={"$filter": f"startswith(userPrincipalName,'{prefix}')"})
    assert len(found) == count, found


# -- listing, paging, $filter ----------------------------------------------------------------------
@given(parsers.parse("the tenant is seeded with {count:d} users"))
def _(lab, count):
    lab.entra_admin("POST", "/seed", json={"users": count})


@when(parsers.parse("the users are listed {top:d} at a time"))
def _(lab, ctx, top):
    ctx.remember(pages=follow_pages(lab, ctx, f"/users?$top={top}"))


@then(parsers.parse("the page sizes are {sizes}"))
def _(ctx, sizes):
    assert [len(p["value"]) for p in ctx["pages"]] == [int(n) for n in names(sizes)]


@then(parsers.parse("every next link carries an opaque $skiptoken and the same $top"))
def _(ctx):
    links = [p["@odata.nextLink"] for p in ctx["pages"][:-1]]
    assert links and "@odata.nextLink" not in ctx["pages"][-1]
    tokens = set()
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["$top"] == [str(len(ctx["pages"][0]["value"]))], link
        tokens.update(query["$skiptoken"])
    assert len(tokens) == len(links), links


@then(parsers.parse("the pages hold {count:d} different users"))
def _(ctx, count):
    ids = [u["id"] for p in ctx["pages"] for u in p["value"]]
    assert len(ids) == len(set(ids)) == count, ids


@when("the first next link is followed with its skip token tampered with")
def _(lab, ctx):
    link = ctx["pages"][0]["@odata.nextLink"]
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    ctx.response = graph(lab, ctx).request("GET", link.replace(token, forged))


@when(parsers.parse('the users are listed with the query "{query}"'))
def _(lab, ctx, query):
    ctx.response = graph(lab, ctx).request("GET", f"/users?{query}")


@then(parsers.parse('Graph returns the users "{expected}"'))
def _(ctx, expected):
    resp = answer(ctx)
    assert resp.status_code == 200, resp.text
    assert display_names(resp.json()["value"]) == sorted(names(expected))


# -- groups ----------------------------------------------------------------------------------------
@given(parsers.parse('the group "{group}" exists'))
def _(lab, ctx, group):
    _group(lab, ctx, group)


@when(parsers.parse('"{name}" is added to the group "{group}"'))
def _(lab, ctx, name, group):
    member = object_path(ctx, name).rsplit("/", 1)[1]
    ctx.response = graph(lab, ctx).request("POST", f"/groups/{_group(lab, ctx, group)['id']}/members/$ref",
                                           json={"@odata.id": f"{lab.graph_url}/directoryObjects/{member}"})


@when(parsers.parse('"{name}" is removed from the group "{group}"'))
def _(lab, ctx, name, group):
    member = object_path(ctx, name).rsplit("/", 1)[1]
    ctx.response = graph(lab, ctx).request("DELETE", f"/groups/{_group(lab, ctx, group)['id']}/members/{member}/$ref")


@then(parsers.parse('the members of the group "{group}" are "{expected}"'))
def _(lab, ctx, group, expected):
    members = graph(lab, ctx).all_pages(f"/groups/{_group(lab, ctx, group)['id']}/members")
    assert display_names(members) == sorted(names(expected)), members


@then(parsers.parse('the group "{group}" has no members'))
def _(lab, ctx, group):
    assert graph(lab, ctx).all_pages(f"/groups/{_group(lab, ctx, group)['id']}/members") == []


# -- app role assignments --------------------------------------------------------------------------
def _try_assign(lab, ctx, principal_id: str, app_role_id: str) -> None:
    sp_id = ctx["sp"]["id"]
    ctx.response = graph(lab, ctx).request("POST", f"/servicePrincipals/{sp_id}/appRoleAssignedTo", json={
        "principalId": principal_id, "resourceId": sp_id, "appRoleId": app_role_id})


@when(parsers.parse('the admin tries to assign "{name}" to GoToMeeting with the role "{role}"'))
def _(lab, ctx, name, role):
    _try_assign(lab, ctx, user_id(ctx, name), role_id(ctx, role))


@when(parsers.parse('the admin tries to assign "{name}" to GoToMeeting with a role the app does not define'))
def _(lab, ctx, name):
    assert UNKNOWN_ROLE_ID not in ctx["roles"].values()
    _try_assign(lab, ctx, user_id(ctx, name), UNKNOWN_ROLE_ID)


@when(parsers.parse('the admin tries to assign a user that does not exist to GoToMeeting with the role "{role}"'))
def _(lab, ctx, role):
    _try_assign(lab, ctx, UNKNOWN_OBJECT_ID, role_id(ctx, role))


def _assignments(lab, ctx, name: str) -> list[dict]:
    return graph(lab, ctx).all_pages(f"{object_path(ctx, name)}/appRoleAssignments")


@then(parsers.parse('"{name}" has the app role "{role}" on GoToMeeting as a {principal_type}'))
def _(lab, ctx, name, role, principal_type):
    sp = ctx["sp"]
    mine = [a for a in _assignments(lab, ctx, name) if a["resourceId"] == sp["id"]]
    assert [a["appRoleId"] for a in mine] == [role_id(ctx, role)], mine
    assert (mine[0]["principalType"], mine[0]["principalDisplayName"], mine[0]["resourceDisplayName"]) == (
        principal_type, name, sp["displayName"]), mine[0]
    assigned_to = graph(lab, ctx).all_pages(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo")
    assert mine[0]["id"] in [a["id"] for a in assigned_to], assigned_to


@then(parsers.parse('"{name}" has {count:d} app role assignment'))
@then(parsers.parse('"{name}" has {count:d} app role assignments'))
def _(lab, ctx, name, count):
    assert len(_assignments(lab, ctx, name)) == count


@then(parsers.parse("GoToMeeting has {count:d} app role assignment"))
@then(parsers.parse("GoToMeeting has {count:d} app role assignments"))
def _(lab, ctx, count):
    assert len(graph(lab, ctx).all_pages(f"/servicePrincipals/{ctx['sp']['id']}/appRoleAssignedTo")) == count


# -- deleted items ---------------------------------------------------------------------------------
@then(parsers.parse('the deleted items hold the users "{expected}"'))
def _(lab, ctx, expected):
    deleted = graph(lab, ctx).all_pages("/directory/deletedItems/microsoft.graph.user")
    assert display_names(deleted) == sorted(names(expected)), deleted
    assert all(u["deletedDateTime"] for u in deleted), deleted


@then("the deleted items hold no users")
def _(lab, ctx):
    assert graph(lab, ctx).all_pages("/directory/deletedItems/microsoft.graph.user") == []


# -- delta -----------------------------------------------------------------------------------------
def _delta_round(lab, ctx, first: str) -> list[dict]:
    pages = follow_pages(lab, ctx, first)
    assert "@odata.deltaLink" in pages[-1], pages[-1]
    ctx.remember(delta_link=pages[-1]["@odata.deltaLink"])
    return [item for page in pages for item in page["value"]]


@given("the users delta has been read up to its delta link")
def _(lab, ctx):
    ctx.remember(delta=_delta_round(lab, ctx, "/users/delta"))


@when("the delta link is followed")
def _(lab, ctx):
    ctx.remember(delta=_delta_round(lab, ctx, ctx["delta_link"]))


@then(parsers.parse('the delta holds the users "{expected}"'))
def _(ctx, expected):
    assert display_names(ctx["delta"]) == sorted(names(expected)), ctx["delta"]


@then(parsers.parse('the delta holds only "{name}"'))
def _(ctx, name):
    assert [item["id"] for item in ctx["delta"]] == [user_id(ctx, name)], ctx["delta"]


@then(parsers.parse('the delta shows "{name}" with {prop} "{value}"'))
def _(ctx, name, prop, value):
    item = next(i for i in ctx["delta"] if i["id"] == user_id(ctx, name))
    assert item.get(prop) == value, item


@then(parsers.parse('the delta shows "{name}" removed with the reason "{reason}"'))
def _(ctx, name, reason):
    item = next(i for i in ctx["delta"] if i["id"] == user_id(ctx, name))
    assert item["@removed"] == {"reason": reason}, item


@then("the delta is empty")
def _(ctx):
    assert ctx["delta"] == []
