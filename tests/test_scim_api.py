"""The live SCIM API's happy paths: discovery, users and groups CRUD, filters, paging, attribute
selection, meta, and the lab-control routes of the SCIM area (seats, pre-existing users, rate limit)."""
from __future__ import annotations

import pytest
import requests

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GOTO = "urn:ietf:params:scim:schemas:extension:goto:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

pytestmark = pytest.mark.live


class Api:
    def __init__(self, lab):
        self.lab = lab
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {lab.static_scim_token()}",
                                     "Content-Type": "application/scim+json"})

    def scim(self, method: str, path: str, body=None, **kw) -> requests.Response:
        return self.session.request(method, self.lab.scim_url + path, json=body, timeout=10, **kw)

    def admin(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.lab.gotomeeting_url}/_admin{path}", timeout=10, **kw)

    def create(self, user_name: str, **extra) -> dict:
        body = {"schemas": [CORE_USER], "userName": user_name, "active": True,
                "roles": [{"value": "organizer", "primary": True}], **extra}
        resp = self.scim("POST", "/Users", body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def filter(self, path: str, query: str, **params) -> dict:
        resp = self.scim("GET", path, params={"filter": query, **params})
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture
def api(lab) -> Api:
    return Api(lab)


def test_discovery(api):
    spc = api.scim("GET", "/ServiceProviderConfig").json()
    assert spc["patch"] == {"supported": True} and spc["bulk"]["supported"] is False
    assert spc["filter"] == {"supported": True, "maxResults": 200}
    assert (spc["sort"], spc["etag"], spc["changePassword"]) == ({"supported": False},) * 3
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert spc["meta"]["location"] == f"{api.lab.scim_url}/ServiceProviderConfig"
    types = api.scim("GET", "/ResourceTypes").json()
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"] and types["totalResults"] == 2
    user_type = api.scim("GET", "/ResourceTypes/User").json()
    assert user_type["endpoint"] == "/Users" and user_type["schemaExtensions"] == [
        {"schema": ENT, "required": False}, {"schema": GOTO, "required": False}]
    schemas = api.scim("GET", "/Schemas").json()["Resources"]
    assert [(s["id"], s["name"]) for s in schemas] == [
        (CORE_USER, "User"), (ENT, "EnterpriseUser"), (GOTO, "GoToUser"),
        ("urn:ietf:params:scim:schemas:core:2.0:Group", "Group")]
    goto = api.scim("GET", f"/Schemas/{GOTO}").json()
    assert {a["name"]: a["mutability"] for a in goto["attributes"]} == {
        "accountKey": "readOnly", "status": "readOnly", "products": "readOnly"}
    assert goto["meta"] == {"resourceType": "Schema", "location": f"{api.lab.scim_url}/Schemas/{GOTO}"}
    assert api.scim("GET", "/ResourceTypes/Widget").status_code == 404
    assert api.scim("GET", "/Schemas/urn:example:none").status_code == 404
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert api.scim(method, "/Schemas").status_code == 405


def test_create_read_replace_delete(api, lab):
    created = api.scim("POST", "/Users", {
        "schemas": [CORE_USER, ENT], "userName": "b.simon@contoso.example", "externalId": "bsimon",
        "active": True, "password": "Pa55word!", "roles": [{"value": "manager", "primary": True}],
        ENT: {"department": "Sales"}})
    assert created.status_code == 201
    user = created.json()
    assert created.headers["Location"] == user["meta"]["location"] == f"{lab.scim_url}/Users/{user['id']}"
    assert user["meta"]["resourceType"] == "User" and user["meta"]["version"] == 'W/"1"'
    assert user["meta"]["created"] == user["meta"]["lastModified"] == "2026-01-05T08:00:00Z"
    assert user[GOTO] == {"accountKey": "4810201765432109876", "status": "active", "products": ["G2M"]}
    assert "password" not in user
    assert api.scim("GET", f"/Users/{user['id']}").json() == user
    lab.advance_clock(5)
    replaced = api.scim("PUT", f"/Users/{user['id']}", {
        "schemas": [CORE_USER], "userName": "b.simon@contoso.example", "active": False,
        "displayName": "Britta", "id": "ignored", "meta": {"resourceType": "User"}}).json()
    assert replaced["id"] == user["id"] and replaced["meta"]["version"] == 'W/"2"'
    assert (replaced["meta"]["created"], replaced["meta"]["lastModified"]) == (
        "2026-01-05T08:00:00Z", "2026-01-05T08:05:00Z")
    assert "externalId" not in replaced and ENT not in replaced and replaced["active"] is False
    assert replaced[GOTO]["status"] == "suspended"
    sign_in = api.admin("GET", "/state").json()["account"]["users"][-1]
    assert sign_in["hasPassword"] is True and sign_in["status"] == "suspended"
    assert api.scim("DELETE", f"/Users/{user['id']}").status_code == 204
    assert api.scim("GET", f"/Users/{user['id']}").status_code == 404


def test_supported_filters(api):
    britta = api.create("B.Simon@contoso.example", externalId="bsimon", displayName="Britta Simon",
                        emails=[{"type": "work", "value": "britta@contoso.example", "primary": True},
                                {"type": "home", "value": "b@home.example"}])
    api.create("a.lee@contoso.example", externalId="alee", displayName="A Lee", active=False, roles=[])
    cases = {
        'userName eq "b.simon@CONTOSO.example"': ["B.Simon@contoso.example"],
        f'id eq "{britta["id"]}"': ["B.Simon@contoso.example"],
        'externalId eq "alee"': ["a.lee@contoso.example"],
        'externalId eq "ALEE"': [],
        'displayName eq "britta simon"': ["B.Simon@contoso.example"],
        'emails[type eq "work"].value eq "britta@contoso.example"': ["B.Simon@contoso.example"],
        'emails[type eq "work"].value eq "b@home.example"': [],
        'emails.value eq "b@home.example"': ["B.Simon@contoso.example"],
        'userName sw "A."': ["a.lee@contoso.example"],
        'displayName co "lee"': ["a.lee@contoso.example"],
        'userName co "@contoso.example" and externalId eq "bsimon"': ["B.Simon@contoso.example"],
        'externalId eq "alee" and displayName sw "B"': [],
        'USERNAME EQ "a.lee@contoso.example"': ["a.lee@contoso.example"],
        f'{CORE_USER}:userName eq "a.lee@contoso.example"': ["a.lee@contoso.example"],
    }
    for query, names in cases.items():
        found = api.filter("/Users", query)
        assert [u["userName"] for u in found["Resources"]] == names, query
        assert found["totalResults"] == len(names)


def test_paging_and_attribute_selection(api):
    for i in range(5):
        api.create(f"user{i}@contoso.example")
    page = api.scim("GET", "/Users", params={"startIndex": 3, "count": 2}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (7, 3, 2)
    assert [u["userName"] for u in page["Resources"]] == ["user0@contoso.example", "user1@contoso.example"]
    assert api.scim("GET", "/Users", params={"startIndex": 8}).json()["Resources"] == []
    only = api.scim("GET", "/Users", params={"attributes": "userName,noSuchAttribute", "count": 1}).json()
    assert only["Resources"] == [{"schemas": [CORE_USER], "id": only["Resources"][0]["id"],
                                  "userName": "goto.admin@contoso.example"}]
    without = api.scim("GET", "/Users", params={"excludedAttributes": f"emails,name,{GOTO}", "count": 1}).json()
    assert not {"emails", "name", GOTO} & set(without["Resources"][0])
    one = api.scim("GET", f"/Users/{only['Resources'][0]['id']}", params={"attributes": "active"}).json()
    assert set(one) == {"schemas", "id", "active"}
    searched = api.scim("POST", "/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                                   "filter": 'userName sw "user"', "attributes": ["userName"],
                                                   "count": 2}).json()
    assert (searched["totalResults"], searched["itemsPerPage"]) == (5, 2)
    assert api.scim("POST", "/.search", {}).status_code == 501


def test_groups(api):
    member = api.create("b.simon@contoso.example")
    created = api.scim("POST", "/Groups", {"displayName": "Sales", "externalId": "g-1",
                                            "members": [{"value": member["id"]}]})
    assert created.status_code == 201 and created.headers["Location"].endswith(f"/Groups/{created.json()['id']}")
    group = created.json()
    for query in ('displayName eq "SALES"', 'externalId eq "g-1"', f'id eq "{group["id"]}"',
                  f'members[value eq "{member["id"]}"]', f'members.value eq "{member["id"]}"',
                  'displayName sw "Sa" and externalId eq "g-1"'):
        assert api.filter("/Groups", query)["totalResults"] == 1, query
    assert api.filter("/Groups", 'externalId eq "G-1"')["totalResults"] == 0
    assert api.scim("GET", "/Groups", params={"filter": 'members.display eq "x"'}).status_code == 400
    replaced = api.scim("PUT", f"/Groups/{group['id']}", {"displayName": "Sales EMEA"}).json()
    assert "members" not in replaced and replaced["meta"]["version"] == 'W/"2"'
    assert api.scim("PUT", f"/Groups/{group['id']}", {"displayName": "x", "members": [{"value": group["id"]}]}
                    ).status_code == 400
    assert api.scim("POST", "/Groups", {"displayName": " "}).status_code == 400
    assert api.scim("DELETE", f"/Groups/{group['id']}").status_code == 204
    assert api.scim("GET", f"/Groups/{group['id']}").status_code == 404


def test_patch_that_changes_nothing_keeps_the_version(api):
    user = api.create("b.simon@contoso.example")
    same = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    assert api.scim("PATCH", f"/Users/{user['id']}", same).json()["meta"]["version"] == 'W/"1"'


def test_seats_admin(api, lab):
    assert api.admin("GET", "/seats").json() == {"total": 100, "used": 2, "free": 98}
    assert api.admin("PUT", "/seats", json={"total": 2}).json() == {"total": 2, "used": 2, "free": 0}
    for body in ({"total": -1}, {"total": "5"}, {}, {"total": 3, "extra": 1}):
        assert api.admin("PUT", "/seats", json=body).status_code == 400, body
    assert api.scim("POST", "/Users", {"userName": "x@contoso.example",
                                       "roles": [{"value": "organizer"}]}).status_code == 403


def test_pre_existing_users(api):
    resp = api.admin("POST", "/users", json={"userName": "pre@contoso.example", "givenName": "Pre",
                                              "familyName": "Existing", "externalId": "pre", "role": "manager"})
    assert resp.status_code == 201, resp.text
    user = resp.json()
    assert user["roles"] == [{"value": "manager", "primary": True}] and user["externalId"] == "pre"
    assert api.scim("GET", f"/Users/{user['id']}").json()["userName"] == "pre@contoso.example"
    assert api.filter("/Users", 'userName eq "PRE@contoso.example"')["totalResults"] == 1
    twin = api.admin("POST", "/users", json={"userName": "twin@contoso.example", "externalId": "pre"})
    assert twin.status_code == 201
    assert api.filter("/Users", 'externalId eq "pre"')["totalResults"] == 2
    duplicate = api.admin("POST", "/users", json={"userName": "Pre@Contoso.example"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["status"] == 409
    assert api.admin("POST", "/users", json={"userName": "x@contoso.example", "role": "owner"}).status_code == 400
    seeded = api.admin("POST", "/seed", json={"users": [{"userName": "seeded@contoso.example"}]})
    assert seeded.status_code == 201 and seeded.json()["users"][0]["role"] == "member"


def test_rate_limit(api, lab):
    assert api.admin("GET", "/ratelimit").json() == {"requestsPerSecond": None}
    for body in ({"requestsPerSecond": 0}, {"requestsPerSecond": "10"}, {}, {"requestsPerSecond": True}):
        assert api.admin("PUT", "/ratelimit", json=body).status_code == 400, body
    assert api.admin("PUT", "/ratelimit", json={"requestsPerSecond": 3}).json() == {"requestsPerSecond": 3}
    statuses = [api.scim("GET", "/Users").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.scim("GET", "/Users")
    assert limited.headers["Retry-After"] == "1" and limited.json()["status"] == "429"
    assert api.admin("GET", "/state").status_code == 200
    lab.advance_clock(1 / 60)
    assert api.scim("GET", "/Users").status_code == 200
    api.admin("PUT", "/ratelimit", json={"requestsPerSecond": None})
    assert all(api.scim("GET", "/Users").status_code == 200 for _ in range(5))


def test_same_seed_same_ids(api, lab):
    first = api.create("b.simon@contoso.example")["id"]
    lab.reset()
    again = Api(lab).create("b.simon@contoso.example")["id"]
    assert first == again
