"""Quirk switches (SPEC §4.4): the switchboard itself, its admin API, and what each quirk does to the
live SCIM API."""
from __future__ import annotations

import pytest
import requests

from simulator.gotomeeting.quirks import QUIRK_NAMES, Quirks

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ALL = ["empty_filter_404", "reject_string_booleans", "remove_member_value_removes_all", "json_content_type",
       "patch_returns_204", "case_sensitive_username", "ignore_pathless_patch", "ignore_filters"]


def test_switchboard():
    quirks = Quirks()
    assert list(quirks.to_json()) == ALL == list(QUIRK_NAMES)
    assert not any(quirks.to_json().values())
    assert quirks.set({"patch_returns_204": True})["patch_returns_204"] is True
    assert quirks.enabled("patch_returns_204")
    for bad in ({"patch_returns_204": False, "no_such_quirk": True}, {"json_content_type": 1},
                {"json_content_type": "true"}, ["json_content_type"]):
        with pytest.raises(ValueError):
            quirks.set(bad)
    assert quirks.to_json() == {**dict.fromkeys(ALL, False), "patch_returns_204": True}
    with pytest.raises(KeyError):
        quirks.enabled("no_such_quirk")
    quirks.reset()
    assert not any(quirks.to_json().values())


class Goto:
    def __init__(self, lab):
        self.lab = lab
        self.headers = {"Authorization": f"Bearer {lab.static_scim_token()}",
                        "Content-Type": "application/scim+json"}

    def admin(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.lab.gotomeeting_url}/_admin{path}", timeout=10, **kw)

    def quirk(self, **on: bool) -> None:
        assert self.admin("PUT", "/quirks", json=on).status_code == 200

    def scim(self, method: str, path: str, body=None, headers: dict | None = None, **kw) -> requests.Response:
        return requests.request(method, self.lab.scim_url + path, json=body,
                                headers={**self.headers, **(headers or {})}, timeout=10, **kw)

    def create(self, user_name: str) -> dict:
        resp = self.scim("POST", "/Users", {"schemas": [CORE_USER], "userName": user_name, "active": True,
                                            "roles": [{"value": "organizer", "primary": True}]})
        assert resp.status_code == 201, resp.text
        return resp.json()


@pytest.fixture
def goto(lab) -> Goto:
    return Goto(lab)


@pytest.mark.live
def test_admin_api(goto):
    assert goto.admin("GET", "/quirks").json() == dict.fromkeys(ALL, False)
    resp = goto.admin("PUT", "/quirks", json={"patch_returns_204": True, "nope": True})
    assert resp.status_code == 400 and "nope" in resp.json()["error"]["message"]
    assert goto.admin("PUT", "/quirks", json={"patch_returns_204": "yes"}).status_code == 400
    assert goto.admin("PUT", "/quirks", data="[]", headers={"Content-Type": "application/json"}).status_code == 400
    assert goto.admin("GET", "/quirks").json() == dict.fromkeys(ALL, False)
    goto.quirk(patch_returns_204=True)
    assert goto.admin("GET", "/state").json()["quirks"]["patch_returns_204"]
    goto.admin("POST", "/reset", json={})
    assert goto.admin("GET", "/quirks").json() == dict.fromkeys(ALL, False)


@pytest.mark.live
def test_empty_filter_404(goto):
    query = {"filter": 'userName eq "0b0e5cd6-1a44-4f8e-9f8c-0c2b4e0d9a11"'}
    assert goto.scim("GET", "/Users", params=query).json()["totalResults"] == 0
    goto.quirk(empty_filter_404=True)
    resp = goto.scim("GET", "/Users", params=query)
    assert resp.status_code == 404 and resp.json()["status"] == "404"
    assert goto.scim("GET", "/Groups", params={"filter": 'displayName eq "none"'}).status_code == 404
    assert goto.scim("GET", "/Users", params={"filter": 'userName eq "goto.admin@contoso.example"'}).status_code == 200
    assert goto.scim("GET", "/Groups").status_code == 200


@pytest.mark.live
def test_reject_string_booleans(goto):
    user = goto.create("b.simon@contoso.example")
    legacy = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    goto.quirk(reject_string_booleans=True)
    resp = goto.scim("PATCH", f"/Users/{user['id']}", legacy)
    assert resp.status_code == 400 and resp.json()["scimType"] == "invalidValue"
    assert goto.scim("GET", f"/Users/{user['id']}").json()["active"] is True
    modern = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert goto.scim("PATCH", f"/Users/{user['id']}", modern).json()["active"] is False
    goto.quirk(reject_string_booleans=False)
    assert goto.scim("PATCH", f"/Users/{user['id']}", legacy).status_code == 200


@pytest.mark.live
def test_remove_member_value_removes_all(goto):
    a, b = goto.create("a@contoso.example"), goto.create("b@contoso.example")
    group = goto.scim("POST", "/Groups", {"displayName": "G", "members": [{"value": a["id"]}, {"value": b["id"]}]}).json()
    remove_a = {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": a["id"]}]}]}
    goto.quirk(remove_member_value_removes_all=True)
    assert goto.scim("PATCH", f"/Groups/{group['id']}", remove_a).status_code == 200
    assert "members" not in goto.scim("GET", f"/Groups/{group['id']}").json()


@pytest.mark.live
def test_json_content_type(goto):
    goto.quirk(json_content_type=True)
    for resp in (goto.scim("GET", "/Users"), goto.scim("GET", "/Users/missing"), goto.scim("GET", "/Nope"),
                 goto.scim("GET", "/Users", headers={"Authorization": "Bearer nope"})):
        assert resp.headers["Content-Type"].startswith("application/json"), resp.headers


@pytest.mark.live
def test_patch_returns_204(goto):
    user = goto.create("b.simon@contoso.example")
    goto.quirk(patch_returns_204=True)
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "nickName", "value": "Babs"}]}
    resp = goto.scim("PATCH", f"/Users/{user['id']}", body)
    assert (resp.status_code, resp.content) == (204, b"")
    assert goto.scim("GET", f"/Users/{user['id']}").json()["nickName"] == "Babs"


@pytest.mark.live
def test_case_sensitive_username(goto):
    goto.create("b.simon@contoso.example")
    goto.quirk(case_sensitive_username=True)
    found = goto.scim("GET", "/Users", params={"filter": 'userName eq "B.Simon@contoso.example"'}).json()
    assert found["totalResults"] == 0
    goto.create("B.Simon@contoso.example")
    goto.quirk(case_sensitive_username=False)
    found = goto.scim("GET", "/Users", params={"filter": 'userName eq "b.simon@contoso.example"'}).json()
    assert found["totalResults"] == 2


@pytest.mark.live
def test_ignore_pathless_patch(goto):
    user = goto.create("b.simon@contoso.example")
    goto.quirk(ignore_pathless_patch=True)
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"displayName": "New", "active": False}}]}
    resp = goto.scim("PATCH", f"/Users/{user['id']}", body)
    assert resp.status_code == 200 and resp.json() == goto.scim("GET", f"/Users/{user['id']}").json()
    assert "displayName" not in resp.json() and resp.json()["active"] is True
    assert resp.json()["meta"]["version"] == user["meta"]["version"]


def _names(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return [r.get("userName") or r.get("displayName") for r in body["Resources"]]


@pytest.mark.live
def test_ignore_filters(goto):
    seeded = _names(goto.scim("GET", "/Users"))  # GoTo's own team administrator and member
    users = [goto.create(f"{name}@contoso.example") for name in ("a.one", "b.two", "c.three")]
    every_user = seeded + [u["userName"] for u in users]
    a, b = users[0], users[1]
    group = goto.scim("POST", "/Groups", {"displayName": "Sales", "members": [{"value": a["id"]}]}).json()
    goto.scim("POST", "/Groups", {"displayName": "Support"})
    exact = {"filter": 'userName eq "b.two@contoso.example"'}  # Entra's matching query: the fast path
    general = {"filter": 'displayName eq "nobody" and userName sw "b"'}  # parsed by scim2-models
    unsupported = {"filter": 'title eq "x"'}  # 400 invalidFilter while filters are read
    assert _names(goto.scim("GET", "/Users", params=exact)) == ["b.two@contoso.example"]
    assert _names(goto.scim("GET", "/Users", params=general)) == []
    assert goto.scim("GET", "/Users", params=unsupported).status_code == 400

    goto.quirk(ignore_filters=True)
    for query in (exact, general, unsupported, {"filter": f'id eq "{b["id"]}"'},
                  {"filter": 'externalId eq "none"', "attributes": "userName"}):
        resp = goto.scim("GET", "/Users", params=query)
        assert _names(resp) == every_user, query
        assert resp.json()["totalResults"] == len(every_user)
    paged = goto.scim("GET", "/Users", params={**exact, "startIndex": "2", "count": "2"}).json()
    assert (paged["totalResults"], paged["startIndex"], paged["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in paged["Resources"]] == every_user[1:3]
    paged = goto.scim("GET", "/Users", params={**general, "startIndex": "5", "count": "10"}).json()
    assert [r["userName"] for r in paged["Resources"]] == every_user[4:]
    assert goto.scim("GET", "/Users", params={**exact, "count": "0"}).json()["totalResults"] == 5
    searched = goto.scim("POST", "/Users/.search", {"filter": exact["filter"], "count": 1}).json()
    assert searched["totalResults"] == 5 and len(searched["Resources"]) == 1

    by_name = {"excludedAttributes": "members", "filter": 'displayName eq "Support"'}  # Entra's group lookup
    resp = goto.scim("GET", "/Groups", params=by_name)
    assert _names(resp) == ["Sales", "Support"] and all("members" not in g for g in resp.json()["Resources"])
    assert _names(goto.scim("GET", "/Groups", params={"filter": f'id eq "{group["id"]}"'})) == ["Sales", "Support"]
    assert _names(goto.scim("GET", "/Groups", params={"filter": 'displayName eq "x"', "startIndex": "2"})) == ["Support"]

    goto.quirk(empty_filter_404=True)  # no filter is read, so none matches nothing
    assert _names(goto.scim("GET", "/Users", params={"filter": 'userName eq "nobody@contoso.example"'})) == every_user

    goto.quirk(ignore_filters=False, empty_filter_404=False)
    assert _names(goto.scim("GET", "/Users", params=exact)) == ["b.two@contoso.example"]
    assert _names(goto.scim("GET", "/Groups", params=by_name)) == ["Support"]
