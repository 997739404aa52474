"""Issue 2's "bad input" list, for the SCIM surface of the live fake GoToMeeting: every answer is a 4xx
SCIM Error (``schemas``, ``status`` as a string, ``application/scim+json``), never a 500, and the
account is exactly as it was before the request."""
from __future__ import annotations

import json
import threading

import pytest
import requests

from fixtures.oauth_helpers import GoToOAuth

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"

pytestmark = pytest.mark.live


def user_body(user_name: str, role: str = "organizer", **extra) -> dict:
    body = {"schemas": [CORE_USER], "userName": user_name, "active": True,
            "name": {"givenName": "Britta", "familyName": "Simon"},
            "roles": [{"value": role, "primary": True}]}
    body.update(extra)
    return body


class Api:
    def __init__(self, lab, token: str):
        self.lab = lab
        self.token = token

    def send(self, method: str, path: str, body=None, *, raw: bytes | str | None = None,
             content_type: str | None = "application/scim+json", token: str | None = "default",
             **kw) -> requests.Response:
        headers = {}
        token = self.token if token == "default" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if content_type is not None and data is not None:
            headers["Content-Type"] = content_type
        return requests.request(method, self.lab.scim_url + path, data=data, headers=headers,
                                timeout=10, **kw)

    def state(self) -> dict:
        return requests.get(f"{self.lab.gotomeeting_url}/_admin/state", timeout=10).json()["account"]


@pytest.fixture
def api(lab) -> Api:
    return Api(lab, lab.static_scim_token())


@pytest.fixture
def britta(api) -> dict:
    resp = api.send("POST", "/Users", user_body("b.simon@contoso.example"))
    assert resp.status_code == 201, resp.text
    return resp.json()


def assert_scim_error(resp: requests.Response, status: int, scim_type: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/scim+json"), resp.headers
    body = resp.json()
    assert body["schemas"] == [ERROR_URN] and body["status"] == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def rejected(api: Api, status: int, scim_type: str | None, method: str, path: str, body=None, **kw) -> dict:
    before = api.state()
    error = assert_scim_error(api.send(method, path, body, **kw), status, scim_type)
    assert api.state() == before
    return error


BIG = json.dumps(user_body("big@contoso.example", title="x" * (1024 * 1024)))


@pytest.mark.parametrize("method, path, status, scim_type, kw", [
    ("POST", "/Users", 400, "invalidSyntax", {"raw": '{"userName": '}),
    ("POST", "/Users", 400, "invalidSyntax", {"raw": '["not", "an", "object"]'}),
    ("POST", "/Users", 400, "invalidSyntax", {"raw": '"a string"'}),
    ("POST", "/Users", 400, "invalidSyntax", {"raw": ""}),
    ("POST", "/Users", 415, None, {"raw": json.dumps(user_body("x@contoso.example")), "content_type": "text/plain"}),
    ("POST", "/Users", 415, None, {"raw": json.dumps(user_body("x@contoso.example")), "content_type": None}),
    ("POST", "/Users", 413, None, {"raw": BIG}),
    ("GET", "/Widgets", 404, None, {}),
    ("POST", "/Widgets", 404, None, {"body": {}}),
    ("POST", "/Users/some-id", 405, None, {"body": {}}),
    ("DELETE", "/ServiceProviderConfig", 405, None, {}),
    ("GET", "/Users/no-such-user", 404, None, {}),
    ("PUT", "/Users/no-such-user", 404, None, {"body": user_body("x@contoso.example")}),
    ("PATCH", "/Users/no-such-user", 404, None,
     {"body": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}}),
    ("DELETE", "/Users/no-such-user", 404, None, {}),
    ("GET", "/Groups/no-such-group", 404, None, {}),
])
def test_malformed_requests(api, britta, method, path, status, scim_type, kw):
    rejected(api, status, scim_type, method, path, kw.pop("body", None), **kw)


@pytest.mark.parametrize("query", [
    'userName eq', 'userName eq "a" and', '(userName eq "a"', 'userName eq "unterminated',
    'userName gt "a"', 'userName ne "a"', 'userName ew "a"', 'userName pr', 'title eq "x"',
    'userName eq "a" or userName eq "b"', 'not (userName eq "a")', 'noSuchAttribute eq "x"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"',
    'active eq true', 'emails[display eq "work"]', 'name.givenName eq "Britta"',
])
def test_unsupported_or_broken_filters(api, britta, query):
    rejected(api, 400, "invalidFilter", "GET", "/Users", params={"filter": query})


@pytest.mark.parametrize("params", [{"count": "ten"}, {"startIndex": "first"}, {"count": "1.5"},
                                    {"attributes": "userName", "excludedAttributes": "name"}])
def test_non_numeric_or_conflicting_paging(api, britta, params):
    rejected(api, 400, "invalidValue", "GET", "/Users", params=params)


@pytest.mark.parametrize("params", [{"count": "-5"}, {"startIndex": "-3"}, {"startIndex": "0"}])
def test_negative_paging_is_invalid_value(api, britta, params):
    """GoTo validates paging strictly (simulator choice, stricter than RFC 7644 §3.4.2.4 allows)."""
    rejected(api, 400, "invalidValue", "GET", "/Users", params=params)


def test_zero_and_huge_counts(api, britta):
    none = api.send("GET", "/Users", params={"count": "0"}).json()
    assert (none["totalResults"], none["itemsPerPage"], none["Resources"]) == (3, 0, [])
    capped = api.send("GET", "/Users", params={"count": "100000"}).json()
    assert capped["itemsPerPage"] == 3


@pytest.mark.parametrize("operation, scim_type", [
    ({"op": "frobnicate", "path": "active", "value": False}, "invalidSyntax"),
    ({"op": 7, "path": "active", "value": False}, "invalidSyntax"),
    ({"path": "active", "value": False}, "invalidSyntax"),
    ({"op": "replace", "path": "noSuchAttribute", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "urn:example:params:scim:schemas:extension:acme:2.0:User:badge", "value": "x"},
     "invalidPath"),
    ({"op": "replace", "path": "name.noSuchPart", "value": "x"}, "invalidPath"),
    ({"op": "add", "path": "nickName"}, "invalidValue"),
    ({"op": "replace", "path": "displayName"}, "invalidValue"),
    ({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": 'emails[noSuchSub eq "work"].value', "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": 'emails[type zz "work"].value', "value": "x"}, "invalidPath"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "remove", "path": "userName"}, "mutability"),
    ({"op": "replace", "path": "id", "value": "mine"}, "mutability"),
    ({"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:goto:2.0:User:status", "value": "x"},
     "mutability"),
    ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
    ({"op": "replace", "value": "not an object"}, "invalidValue"),
])
def test_bad_patch_operations(api, britta, operation, scim_type):
    body = {"schemas": [PATCH_OP], "Operations": [operation]}
    rejected(api, 400, scim_type, "PATCH", f"/Users/{britta['id']}", body)


@pytest.mark.parametrize("body", [
    {"schemas": [PATCH_OP], "Operations": []},
    {"schemas": [PATCH_OP]},
    {"schemas": [PATCH_OP], "Operations": {"op": "replace"}},
    {"schemas": [PATCH_OP], "Operations": ["replace"]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"op": "replace", "path": "active", "value": False}]},
])
def test_bad_patch_envelopes(api, britta, body):
    rejected(api, 400, "invalidSyntax", "PATCH", f"/Users/{britta['id']}", body)


def test_a_failing_operation_undoes_the_ones_before_it(api, britta):
    body = {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "Changed"},
        {"op": "replace", "path": "roles[primary eq true].value", "value": "admin"}]}
    error = rejected(api, 400, "invalidValue", "PATCH", f"/Users/{britta['id']}", body)
    assert "admin" in error["detail"]
    assert "title" not in api.send("GET", f"/Users/{britta['id']}").json()


@pytest.mark.parametrize("body, status, scim_type, detail", [
    (user_body("B.SIMON@Contoso.Example"), 409, "uniqueness", "already exists"),
    (user_body("b.simon@contoso.example"), 409, "uniqueness", "already exists"),
    (user_body("eve@fabrikam.example"), 400, "invalidValue", "Email domain 'fabrikam.example' is not verified"),
    (user_body("no-at-sign"), 400, "invalidValue", "not an email address"),
    (user_body("x" * 113 + "@contoso.example"), 400, "invalidValue", "129 characters"),
    (user_body("long@contoso.example", name={"givenName": "G" * 61}), 400, "invalidValue", "name.givenName"),
    (user_body("long@contoso.example", name={"familyName": "F" * 61}), 400, "invalidValue", "name.familyName"),
    (user_body("a.lee@contoso.example", role="admin"), 400, "invalidValue", "Role 'admin'"),
    (user_body("a.lee@contoso.example", roles=[]), 400, "invalidValue", "needs a role"),
    ({"schemas": [CORE_USER], "userName": "a.lee@contoso.example"}, 400, "invalidValue", "needs a role"),
    ({"schemas": [CORE_USER], "active": True}, 400, "invalidValue", "userName"),
    (user_body("a.lee@contoso.example", emails="not-a-list"), 400, "invalidValue", "emails"),
    (user_body("a.lee@contoso.example", schemas="core"), 400, "invalidSyntax", "schemas"),
])
def test_account_rules_on_create(api, britta, body, status, scim_type, detail):
    error = rejected(api, status, scim_type, "POST", "/Users", body)
    assert detail in error["detail"], error


def test_user_name_of_128_characters_is_the_limit(api):
    name = "x" * 112 + "@contoso.example"
    assert len(name) == 128
    assert api.send("POST", "/Users", user_body(name)).status_code == 201


def test_account_rules_on_replace_and_patch(api, britta):
    api.send("POST", "/Users", user_body("a.lee@contoso.example"))
    rejected(api, 409, "uniqueness", "PUT", f"/Users/{britta['id']}", user_body("A.Lee@contoso.example"))
    rejected(api, 409, "uniqueness", "PATCH", f"/Users/{britta['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "userName", "value": "A.LEE@contoso.example"}]})
    rejected(api, 400, "invalidValue", "PATCH", f"/Users/{britta['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": "roles"}]})
    rejected(api, 400, "invalidValue", "PATCH", f"/Users/{britta['id']}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"userName": "britta@fabrikam.example"}}]})


def test_no_free_seat_is_license_limit_exceeded(lab, api, britta):
    lab.set_seats(lab.seats()["used"])
    error = rejected(api, 403, None, "POST", "/Users", user_body("a.lee@contoso.example"))
    assert error["detail"].startswith("LicenseLimitExceeded:")
    disable = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    assert api.send("PATCH", f"/Users/{britta['id']}", disable).status_code == 200
    assert lab.seats()["free"] == 1
    created = api.send("POST", "/Users", user_body("a.lee@contoso.example"))
    assert created.status_code == 201, created.text
    enable = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}
    error = rejected(api, 403, None, "PATCH", f"/Users/{britta['id']}", enable)
    assert error["detail"].startswith("LicenseLimitExceeded:")
    inactive = api.send("POST", "/Users", user_body("c.do@contoso.example", active=False, roles=[]))
    assert inactive.status_code == 201, inactive.text


def test_unicode_and_quotes_are_stored_as_sent(api):
    body = user_body("o'brien.zoë@contoso.example", displayName='Zoë "Zed" O\'Brien — 東京',
                     name={"givenName": "Zoë", "familyName": "O'Brien"},
                     emails=[{"type": "work", "value": "O'Brien.Zoë@Contoso.example", "primary": True}])
    created = api.send("POST", "/Users", body)
    assert created.status_code == 201, created.text
    stored = api.send("GET", f"/Users/{created.json()['id']}").json()
    for key in ("userName", "displayName", "name", "emails"):
        assert stored[key] == body[key]
    query = 'displayName eq "Zoë \\"Zed\\" O\'Brien — 東京"'
    found = api.send("GET", "/Users", params={"filter": query}).json()
    assert found["totalResults"] == 1


@pytest.mark.parametrize("token, challenge", [
    (None, 'Bearer realm="GoToMeeting"'),
    ("garbled", 'error="invalid_token"'),
    ("", 'Bearer realm'),
])
def test_missing_or_garbled_tokens(api, token, challenge):
    for method, path in (("GET", "/Users"), ("GET", "/ServiceProviderConfig"),
                         ("POST", "/Users")):
        body = user_body("a.lee@contoso.example") if method == "POST" else None
        before = api.state()
        resp = api.send(method, path, body, token=token)
        assert_scim_error(resp, 401)
        assert challenge in resp.headers["WWW-Authenticate"]
        assert api.state() == before


def test_revoked_expired_and_non_admin_tokens(lab, api):
    requests.post(f"{lab.gotomeeting_url}/_admin/tokens/revoke", json={"token": api.token}, timeout=10)
    assert_scim_error(api.send("GET", "/Users"), 401)
    member = requests.post(f"{lab.gotomeeting_url}/_admin/tokens",
                           json={"user": lab.goto_member["email"]}, timeout=10).json()["token"]
    error = assert_scim_error(api.send("GET", "/Users", token=member), 403)
    assert "not a team administrator" in error["detail"]
    tokens = GoToOAuth(lab.gotomeeting_url, lab.gotomeeting_client).tokens_for(lab.goto_admin)
    assert api.send("GET", "/Users", token=tokens["access_token"]).status_code == 200
    lab.advance_clock(61)
    assert_scim_error(api.send("GET", "/Users", token=tokens["access_token"]), 401)


def test_twenty_concurrent_creates_of_one_user_name(api):
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def create(i: int) -> None:
        barrier.wait()
        name = "Race@contoso.example" if i % 2 else "race@CONTOSO.example"
        statuses.append(api.send("POST", "/Users", user_body(name)).status_code)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 19
    found = api.send("GET", "/Users", params={"filter": 'userName eq "RACE@contoso.example"'}).json()
    assert found["totalResults"] == 1
