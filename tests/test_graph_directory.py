"""The directory through Microsoft Graph (simulator/entra/directory/views.py): wire shapes, OData options,
paging, deleted items, managers, memberships, delta, and every bad input answered in Graph's envelope with
the state unchanged."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token

UPN = "B.Simon@contoso.example"
NEW_USER = {"accountEnabled": True, "displayName": "Nestor Wilke", "mailNickname": "NestorW",
            "userPrincipalName": "Nestor.Wilke@contoso.example",
            "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"}}


@pytest.fixture(scope="module")
def app():
    return create_app({"fixture": "gotomeeting-tutorial"}, Lab(seed=21))


@pytest.fixture
def lab_app(app):
    """The app reset to its seeded state (the fixture tenant), with an admin token."""
    entra = app.extensions["entra"]
    entra.lab.reset()
    entra.reset()
    client = app.test_client()
    sign_in_again(client, entra)
    return client, entra


@pytest.fixture
def client(lab_app):
    return lab_app[0]


@pytest.fixture
def directory(lab_app):
    return lab_app[1].directory


def sign_in_again(client, entra) -> None:
    """A fresh token after the virtual clock moved past the old one's lifetime."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://localhost')}"


def user_id(client, upn=UPN) -> str:
    return client.get(f"/v1.0/users/{upn}?$select=id").get_json()["id"]


def group_id(client, name: str) -> str:
    body = client.get(f"/v1.0/groups?$filter=displayName eq '{name}'&$select=id").get_json()
    return body["value"][0]["id"]


def ref(object_id: str) -> dict:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{object_id}"}


def graph_error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    return error["message"]


def follow(client, url: str) -> list[dict]:
    """Every item of a paged collection, following @odata.nextLink."""
    items = []
    while url:
        body = client.get(url).get_json()
        items.extend(body["value"])
        url = body.get("@odata.nextLink")
        if url:
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
    return items


# -- users ------------------------------------------------------------------------------------------

def test_list_users_has_graph_shape_and_the_v1_default_properties(client):
    resp = client.get("/v1.0/users")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    body = resp.get_json()
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#users"
    assert "@odata.nextLink" not in body
    assert list(body["value"][0]) == ["businessPhones", "displayName", "givenName", "jobTitle", "mail",
                                      "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                                      "userPrincipalName", "id"]
    assert len(body["value"]) == 7


def test_beta_returns_every_property(client):
    body = client.get(f"/beta/users/{UPN}").get_json()
    assert body["@odata.context"] == "http://localhost/beta/$metadata#users/$entity"
    assert body["accountEnabled"] is True and body["employeeId"] == "100102"
    assert "passwordProfile" not in body


def test_get_user_by_upn_or_id_with_select(client):
    body = client.get(f"/v1.0/users/b.simon@CONTOSO.example?$select=displayName,accountEnabled,department").get_json()
    assert body == {"@odata.context": "http://localhost/v1.0/$metadata#users(displayName,accountEnabled,department)/$entity",
                    "displayName": "B.Simon", "accountEnabled": True, "department": "Sales"}
    assert client.get(f"/v1.0/users/{user_id(client).upper()}").get_json()["userPrincipalName"] == UPN


def test_filter_select_orderby_count(client):
    body = client.get("/v1.0/users?$filter=accountEnabled eq false&$select=displayName").get_json()
    assert body["value"] == [{"displayName": "Grady Archie"}]
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#users(displayName)"
    body = client.get("/v1.0/users?$filter=startswith(userPrincipalName,'b.') or department eq 'marketing'"
                      "&$orderby=displayName desc&$select=displayName&$count=true").get_json()
    assert [u["displayName"] for u in body["value"]] == ["Grady Archie", "B.Simon", "Alex Wilber"]
    assert body["@odata.count"] == 3


def test_paging_follows_next_links_with_opaque_skip_tokens(client, directory):
    for i in range(12):
        directory.create_user({**NEW_USER, "userPrincipalName": f"u{i}@contoso.example", "mailNickname": f"u{i}"})
    first = client.get("/v1.0/users?$top=5&$select=userPrincipalName").get_json()
    next_link = first["@odata.nextLink"]
    assert next_link.startswith("http://localhost/v1.0/users?") and "$skiptoken=" in next_link
    assert "$top=5" in next_link and "$select=userPrincipalName" in next_link
    everything = follow(client, "/v1.0/users?$top=5&$select=userPrincipalName")
    assert len(everything) == 19 and len({u["userPrincipalName"] for u in everything}) == 19


@pytest.mark.parametrize("query, code, fragment", [
    ("$top=0", "BadRequest", "Invalid page size specified: '0'"),
    ("$top=100000", "BadRequest", "Invalid page size specified: '100000'"),
    ("$top=abc", "BadRequest", "Invalid value 'abc' for $top query option found."),
    ("$filter=displayName eq 'B.Simon", "BadRequest", "unterminated string literal"),
    ("$filter=contains(displayName,'B')", "BadRequest", "An unknown function with name 'contains'"),
    ("$filter=shoeSize eq 42", "BadRequest",
     "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."),
    ("$filter=officeLocation eq 'x'", "Request_UnsupportedQuery", "property 'officeLocation' of resource 'User'"),
    ("$select=displayName,shoeSize", "BadRequest", "Parsing OData Select and Expand failed"),
    ("$orderby=jobTitle", "Request_UnsupportedQuery", "Sorting not supported"),
    ("$skiptoken=forged", "BadRequest", "Invalid Skip Token"),
    ("$expand=manager", "BadRequest", "The query parameter '$expand' is not supported."),
])
def test_malformed_queries_are_400_never_500(client, query, code, fragment):
    assert fragment in graph_error(client.get(f"/v1.0/users?{query}"), 400, code)


def test_a_skip_token_from_another_query_is_rejected(client):
    link = client.get("/v1.0/users?$top=2").get_json()["@odata.nextLink"]
    token = link.split("$skiptoken=")[1]
    resp = client.get(f"/v1.0/users?$top=2&$filter=accountEnabled eq true&$skiptoken={token}")
    assert graph_error(resp, 400, "BadRequest") == "Invalid Skip Token"


def test_create_update_delete_user(client, directory):
    resp = client.post("/v1.0/users", json=NEW_USER)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#users/$entity"
    assert body["userPrincipalName"] == "Nestor.Wilke@contoso.example" and "passwordProfile" not in body
    assert resp.headers["Location"] == f"http://localhost/v1.0/users/{body['id']}"

    resp = client.patch(f"/v1.0/users/{body['id']}", json={"jobTitle": "Product Manager", "accountEnabled": False})
    assert resp.status_code == 204 and resp.data == b""
    got = client.get(f"/v1.0/users/{body['id']}?$select=jobTitle,accountEnabled").get_json()
    assert (got["jobTitle"], got["accountEnabled"]) == ("Product Manager", False)

    assert client.delete(f"/v1.0/users/{body['id']}").status_code == 204
    assert graph_error(client.get(f"/v1.0/users/{body['id']}"), 404, "Request_ResourceNotFound") == (
        f"Resource '{body['id']}' does not exist or one of its queried reference-property objects are not present.")


@pytest.mark.parametrize("data, status, code, fragment", [
    ({k: v for k, v in NEW_USER.items() if k != "mailNickname"}, 400, "Request_BadRequest",
     "Property mailNickname value is required but is empty or missing."),
    ({k: v for k, v in NEW_USER.items() if k != "passwordProfile"}, 400, "Request_BadRequest",
     "Property passwordProfile value is required"),
    ({**NEW_USER, "userPrincipalName": "b.simon@CONTOSO.EXAMPLE"}, 400, "Request_BadRequest",
     "Another object with the same value for property userPrincipalName already exists."),
    ({**NEW_USER, "userPrincipalName": "nestor@contoso.com"}, 400, "Request_BadRequest",
     "The domain portion of the userPrincipalName property is invalid."),
    ({**NEW_USER, "id": "11111111-1111-4111-8111-111111111111"}, 400, "Request_BadRequest",
     "Property 'id' is read-only and cannot be set."),
    ([NEW_USER], 400, "BadRequest", "must be a JSON object"),
])
def test_bad_user_bodies_are_refused_and_nothing_changes(client, directory, data, status, code, fragment):
    seq = directory.current_seq()
    assert fragment in graph_error(client.post("/v1.0/users", json=data), status, code)
    assert directory.current_seq() == seq and directory.user_count() == 7


def test_bad_patches_are_refused_and_the_user_is_unchanged(client, directory):
    uid = user_id(client)
    seq = directory.current_seq()
    for data, fragment in (({"createdDateTime": "2020-01-01T00:00:00Z"}, "read-only"),
                           ({"id": uid}, "read-only"),
                           ({"accountEnabled": "false"}, "Edm.Boolean"),
                           ({"userPrincipalName": "Alex.Wilber@contoso.example"}, "Another object")):
        assert fragment in graph_error(client.patch(f"/v1.0/users/{uid}", json=data), 400,
                                       "BadRequest" if "Boolean" in fragment else "Request_BadRequest")
    resp = client.patch(f"/v1.0/users/{uid}", data="{not json", content_type="application/json")
    assert "not valid JSON" in graph_error(resp, 400, "BadRequest")
    resp = client.patch(f"/v1.0/users/{uid}", data="displayName=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    assert directory.current_seq() == seq
    missing = "00000000-0000-4000-8000-000000000099"
    for method in ("get", "patch", "delete"):
        resp = getattr(client, method)(f"/v1.0/users/{missing}", json={"jobTitle": "x"})
        graph_error(resp, 404, "Request_ResourceNotFound")


def test_permissions_are_checked_first(lab_app):
    client, entra = lab_app
    reader = mint_token(entra, entra.config.reader_client, "http://localhost")
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get("/v1.0/users", headers=headers).status_code == 200
    resp = client.post("/v1.0/users", json=NEW_USER, headers=headers)
    assert graph_error(resp, 403, "Authorization_RequestDenied") == "Insufficient privileges to complete the operation."
    assert client.get("/v1.0/groups", headers=headers).status_code == 403
    assert client.get("/v1.0/users", headers={"Authorization": ""}).status_code == 401


# -- manager ----------------------------------------------------------------------------------------

def test_manager_reference(client):
    bsimon, patti = user_id(client), user_id(client, "Patti.Fernandez@contoso.example")
    body = client.get(f"/v1.0/users/{bsimon}/manager").get_json()
    assert body["@odata.context"] == "http://localhost/v1.0/$metadata#directoryObjects/$entity"
    assert body["@odata.type"] == "#microsoft.graph.user" and body["displayName"] == "Megan Bowen"
    resp = client.put(f"/v1.0/users/{bsimon}/manager/$ref",
                      json={"@odata.id": f"https://graph.microsoft.com/v1.0/users/{patti}"})
    assert resp.status_code == 204
    assert client.get(f"/v1.0/users/{bsimon}/manager?$select=displayName").get_json()["displayName"] == "Patti Fernandez"
    reports = client.get(f"/v1.0/users/{patti}/directReports").get_json()["value"]
    assert [r["id"] for r in reports] == [bsimon]
    assert client.delete(f"/v1.0/users/{bsimon}/manager/$ref").status_code == 204
    assert graph_error(client.get(f"/v1.0/users/{bsimon}/manager"), 404, "Request_ResourceNotFound").startswith(
        "Resource 'manager' does not exist")


@pytest.mark.parametrize("payload, code, fragment", [
    ({}, "BadRequest", "Invalid URL format specified in payload."),
    ({"@odata.id": 42}, "BadRequest", "Invalid URL format specified in payload."),
    ({"@odata.id": "not a url"}, "BadRequest", "Invalid URL format specified in payload."),
    ({"@odata.id": "https://graph.microsoft.com/v1.0/teapots/11111111-1111-4111-8111-111111111111"}, "BadRequest",
     "Invalid URL format"),
    ({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/abc"}, "Request_BadRequest",
     "Invalid object identifier 'abc'."),
])
def test_malformed_odata_id(client, directory, payload, code, fragment):
    seq = directory.current_seq()
    bsimon = user_id(client)
    assert fragment in graph_error(client.put(f"/v1.0/users/{bsimon}/manager/$ref", json=payload), 400, code)
    team = group_id(client, "GoToMeeting Users")
    assert fragment in graph_error(client.post(f"/v1.0/groups/{team}/members/$ref", json=payload), 400, code)
    assert directory.current_seq() == seq


# -- groups -----------------------------------------------------------------------------------------

def test_groups_members_nesting_and_member_of(client):
    team, sales = group_id(client, "GoToMeeting Users"), group_id(client, "Sales Team")
    one = client.get(f"/v1.0/groups/{team}").get_json()
    assert one["@odata.context"] == "http://localhost/v1.0/$metadata#groups/$entity"
    assert one["securityEnabled"] is True and one["mailEnabled"] is False
    members = client.get(f"/v1.0/groups/{team}/members").get_json()
    assert members["@odata.context"] == "http://localhost/v1.0/$metadata#directoryObjects"
    assert [(m["@odata.type"], m["displayName"]) for m in members["value"]] == [
        ("#microsoft.graph.user", "Alex Wilber"), ("#microsoft.graph.group", "Sales Team")]

    bsimon = user_id(client)
    assert client.post(f"/v1.0/groups/{team}/members/$ref", json=ref(bsimon)).status_code == 204
    resp = client.post(f"/v1.0/groups/{team}/members/$ref", json=ref(bsimon))
    assert graph_error(resp, 400, "Request_BadRequest") == (
        "One or more added object references already exist for the following modified properties: 'members'.")
    member_of = client.get(f"/v1.0/users/{bsimon}/memberOf").get_json()["value"]
    assert [(g["@odata.type"], g["displayName"]) for g in member_of] == [("#microsoft.graph.group", "GoToMeeting Users")]
    assert client.delete(f"/v1.0/groups/{team}/members/{bsimon}/$ref").status_code == 204
    graph_error(client.delete(f"/v1.0/groups/{team}/members/{bsimon}/$ref"), 404, "Request_ResourceNotFound")
    graph_error(client.post(f"/v1.0/groups/{team}/members/$ref", json=ref("11111111-1111-4111-8111-111111111111")),
                404, "Request_ResourceNotFound")
    selected = client.get(f"/v1.0/groups/{sales}/members?$select=displayName&$top=1").get_json()
    assert selected["value"] == [{"@odata.type": "#microsoft.graph.user", "displayName": "Diego Siciliani"}]
    assert "@odata.nextLink" in selected


def test_create_update_delete_group(client):
    resp = client.post("/v1.0/groups", json={"displayName": "Organizers", "mailNickname": "organizers",
                                             "mailEnabled": False, "securityEnabled": True, "description": "x"})
    assert resp.status_code == 201
    gid = resp.get_json()["id"]
    assert resp.headers["Location"] == f"http://localhost/v1.0/groups/{gid}"
    assert client.patch(f"/v1.0/groups/{gid}", json={"description": "Hosts"}).status_code == 204
    assert client.get(f"/v1.0/groups/{gid}?$select=description").get_json()["description"] == "Hosts"
    resp = client.post("/v1.0/groups", json={"displayName": "No flags", "mailNickname": "noflags"})
    assert "Property mailEnabled value is required" in graph_error(resp, 400, "Request_BadRequest")
    assert client.delete(f"/v1.0/groups/{gid}").status_code == 204  # a security group: gone for good
    graph_error(client.get(f"/v1.0/directory/deletedItems/{gid}"), 404, "Request_ResourceNotFound")


# -- deleted items ----------------------------------------------------------------------------------

def test_deleted_items_list_get_restore_and_purge(client, lab_app):
    entra = lab_app[1]
    bsimon = user_id(client)
    client.delete(f"/v1.0/users/{bsimon}")
    listing = client.get("/v1.0/directory/deletedItems/microsoft.graph.user").get_json()
    assert listing["@odata.context"] == "http://localhost/v1.0/$metadata#directory/deletedItems/microsoft.graph.user"
    assert [(u["@odata.type"], u["id"], u["deletedDateTime"]) for u in listing["value"]] == [
        ("#microsoft.graph.user", bsimon, "2026-01-05T08:00:00Z")]
    one = client.get(f"/v1.0/directory/deletedItems/{bsimon}").get_json()
    assert one["@odata.context"] == "http://localhost/v1.0/$metadata#directoryObjects/$entity"
    assert one["userPrincipalName"] == UPN
    assert client.get("/v1.0/directory/deletedItems/microsoft.graph.group").get_json()["value"] == []

    restored = client.post(f"/v1.0/directory/deletedItems/{bsimon}/restore")
    assert restored.status_code == 200 and restored.get_json()["deletedDateTime"] is None
    assert client.get(f"/v1.0/users/{UPN}").status_code == 200
    graph_error(client.post(f"/v1.0/directory/deletedItems/{bsimon}/restore"), 404, "Request_ResourceNotFound")

    client.delete(f"/v1.0/users/{bsimon}")
    assert client.delete(f"/v1.0/directory/deletedItems/{bsimon}").status_code == 204
    graph_error(client.get(f"/v1.0/directory/deletedItems/{bsimon}"), 404, "Request_ResourceNotFound")

    alex = user_id(client, "Alex.Wilber@contoso.example")
    client.delete(f"/v1.0/users/{alex}")
    entra.lab.clock.advance(minutes=30 * 24 * 60)
    sign_in_again(client, entra)
    graph_error(client.get(f"/v1.0/directory/deletedItems/{alex}"), 404, "Request_ResourceNotFound")


# -- delta ------------------------------------------------------------------------------------------

def test_users_delta_round_trip(client, directory):
    resp = client.get("/v1.0/users/delta?$select=displayName,accountEnabled", headers={"Prefer": "odata.maxpagesize=4"})
    first = resp.get_json()
    assert first["@odata.context"] == "http://localhost/v1.0/$metadata#users(displayName,accountEnabled)"
    assert first["@odata.nextLink"].startswith("http://localhost/v1.0/users/delta?$skiptoken=")
    assert list(first["value"][0]) == ["displayName", "accountEnabled", "id"]
    second = client.get(urlsplit(first["@odata.nextLink"]).path + "?" + urlsplit(first["@odata.nextLink"]).query).get_json()
    assert len(first["value"]) + len(second["value"]) == 7
    delta_link = second["@odata.deltaLink"]
    assert delta_link.startswith("http://localhost/v1.0/users/delta?$deltatoken=")

    bsimon, grady = user_id(client), user_id(client, "Grady.Archie@contoso.example")
    client.patch(f"/v1.0/users/{grady}", json={"accountEnabled": True})
    client.delete(f"/v1.0/users/{bsimon}")
    parts = urlsplit(delta_link)
    changes = client.get(f"{parts.path}?{parts.query}").get_json()
    assert changes["value"] == [{"displayName": "Grady Archie", "accountEnabled": True, "id": grady},
                                {"id": bsimon, "@removed": {"reason": "changed"}}]
    client.delete(f"/v1.0/directory/deletedItems/{bsimon}")
    parts = urlsplit(changes["@odata.deltaLink"])
    purged = client.get(f"{parts.path}?{parts.query}").get_json()
    assert purged["value"] == [{"id": bsimon, "@removed": {"reason": "deleted"}}]


def test_groups_delta_has_members_delta(client):
    body = client.get("/v1.0/groups/delta?$select=displayName,members").get_json()
    team = next(g for g in body["value"] if g["displayName"] == "GoToMeeting Users")
    assert [(m["@odata.type"], "@removed" in m) for m in team["members@delta"]] == [
        ("#microsoft.graph.user", False), ("#microsoft.graph.group", False)]
    alex = user_id(client, "Alex.Wilber@contoso.example")
    client.delete(f"/v1.0/groups/{team['id']}/members/{alex}/$ref")
    parts = urlsplit(body["@odata.deltaLink"])
    changed = client.get(f"{parts.path}?{parts.query}").get_json()["value"]
    assert changed == [{"displayName": "GoToMeeting Users", "id": team["id"], "members@delta": [
        {"@odata.type": "#microsoft.graph.user", "id": alex, "@removed": {"reason": "deleted"}}]}]
    plain = client.get("/v1.0/groups/delta?$select=displayName").get_json()["value"]
    assert all("members@delta" not in g for g in plain)
    only_members = client.get("/v1.0/groups/delta?$select=members").get_json()["value"]
    assert all(set(g) == {"id", "members@delta"} for g in only_members)


@pytest.mark.parametrize("query, code, fragment", [
    ("$deltatoken=forged", "BadRequest", "Badly formed token."),
    ("$skiptoken=forged", "BadRequest", "Badly formed token."),
    ("$filter=id eq 'x'", "BadRequest", "The query parameter '$filter' is not supported."),
    ("$select=shoeSize", "BadRequest", "Could not find a property named 'shoeSize'"),
])
def test_bad_delta_requests(client, query, code, fragment):
    assert fragment in graph_error(client.get(f"/v1.0/users/delta?{query}"), 400, code)


def test_an_expired_delta_link_asks_for_a_full_sync(client, lab_app):
    link = client.get("/v1.0/users/delta").get_json()["@odata.deltaLink"]
    lab_app[1].lab.clock.advance(minutes=8 * 24 * 60)
    sign_in_again(client, lab_app[1])
    parts = urlsplit(link)
    message = graph_error(client.get(f"{parts.path}?{parts.query}"), 400, "syncStateNotFound")
    assert message.startswith("The sync state generation is not found.")


def test_the_password_profile_never_reaches_the_journal_or_the_state(lab_app):
    client, entra = lab_app
    assert client.post("/v1.0/users", json=NEW_USER).status_code == 201
    password = NEW_USER["passwordProfile"]["password"]
    assert password not in repr(entra.journal.entries())
    assert password not in repr(entra.state())
    assert entra.journal.entries(method="POST", path_contains="/v1.0/users")[-1]["body"]["passwordProfile"][
        "password"] == "REDACTED"
