"""Vendor mode's ownership guard (SPEC §6): the target client sends a PATCH, PUT or DELETE only to an
object the run created or a GET just before shows as the run's; everything else is journaled as blocked
and never reaches the server. The lab's GoToMeeting is the server here; its own journal says what
reached it."""
from __future__ import annotations

import pytest
import requests

from simulator.core.journal import Journal
from simulator.entra.provisioning.guard import OwnershipGuard, carries_prefix, equal_for_matching, resource_of
from simulator.entra.provisioning.target import TargetClient

PREFIX = "cf-test01-001"
RESERVED = "00000000-0000-4000-8000-00000000c404"


def _user(name: str, **extra) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"{name}@contoso.example",
            "name": {"givenName": "A", "familyName": "B"}, "displayName": name, "active": True,
            "emails": [{"type": "work", "value": f"{name}@contoso.example", "primary": True}],
            "roles": [{"value": "organizer", "primary": True}], **extra}


@pytest.fixture
def client(lab):
    journal = Journal(lab.lab.clock)
    guard = OwnershipGuard(PREFIX, reserved_ids=frozenset({RESERVED}))
    c = TargetClient(lab.scim_url, token=lab.static_scim_token(), journal=journal, guard=guard)
    yield c
    c.close()


def _reached(lab, method: str) -> list[str]:
    """The paths of ``method`` requests GoToMeeting received."""
    entries = lab._admin("GET", "/journal", params={"method": method}).json()["entries"]
    return [e["path"] for e in entries if e["path"].startswith("/scim/v2/")]


def _vendor_account(lab) -> str:
    created = lab._admin("POST", "/users", json={"userName": "someone@contoso.example", "givenName": "Some",
                                                 "familyName": "One", "role": "member"}).json()
    return created["id"]


def test_a_write_to_an_object_the_run_created_is_sent_without_a_look(client, lab):
    created = client.request("POST", "/Users", _user(f"{PREFIX}-b.simon"))
    assert created.status == 201
    user_id = created.json()["id"]
    before = len(client.journal.entries())

    patched = client.request("PATCH", f"/Users/{user_id}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Barbara"}]})

    assert patched.status == 200
    sent = client.journal.entries()[before:]
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", f"/scim/v2/Users/{user_id}")]  # no extra GET
    assert client.request("DELETE", f"/Users/{user_id}").status == 204


def test_a_write_to_an_account_the_run_did_not_create_is_not_sent(client, lab):
    account = _vendor_account(lab)
    lab._admin("DELETE", "/journal")

    for method, body in (("PATCH", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                    "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
                         ("PUT", _user("someone")), ("DELETE", None)):
        resp = client.request(method, f"/Users/{account}", body)
        assert resp.failure == "blocked" and resp.status is None
        assert "was not created by this run" in resp.detail and "someone@contoso.example" in resp.detail

    assert _reached(lab, "PATCH") == _reached(lab, "PUT") == _reached(lab, "DELETE") == []
    assert _reached(lab, "GET") == [f"/scim/v2/Users/{account}"] * 3  # the look before each write
    blocked = [e for e in client.journal.entries() if e.get("blocked")]
    assert [e["method"] for e in blocked] == ["PATCH", "PUT", "DELETE"]
    assert all(e["status"] is None and e["error"].startswith("blocked: ") for e in blocked)
    looks = [e for e in client.journal.entries() if e.get("purpose") == "ownership check"]
    assert len(looks) == 3 and all(e["method"] == "GET" for e in looks)
    state = requests.get(f"{lab.scim_url}/Users/{account}", timeout=10,
                         headers={"Authorization": f"Bearer {lab.static_scim_token()}"}).json()
    assert state["active"] is True and state["userName"] == "someone@contoso.example"


def test_a_created_answer_without_the_prefix_is_not_trusted(client, lab):
    """A server whose create answers with another object (an upsert gone wrong) does not make that
    object the run's: the next write looks first, and is blocked."""
    account = _vendor_account(lab)
    guard = client.guard
    guard.note("POST", "/Users", 201, {"id": account, "userName": "someone@contoso.example"})
    assert not guard.knows("Users", account)
    assert client.request("DELETE", f"/Users/{account}").failure == "blocked"


def test_an_object_a_get_shows_with_the_prefix_may_be_written(client, lab):
    """An object of this run that the client did not create itself (e.g. after the lab was reset) is
    written once a GET shows the prefix."""
    other = TargetClient(lab.scim_url, token=lab.static_scim_token())
    user_id = other.request("POST", "/Users", _user(f"{PREFIX}-c.lee")).json()["id"]
    other.close()
    resp = client.request("DELETE", f"/Users/{user_id}")
    assert resp.status == 204
    assert _reached(lab, "DELETE") == [f"/scim/v2/Users/{user_id}"]


def test_a_reserved_unknown_id_is_written_only_when_the_target_has_nothing_there(client, lab):
    resp = client.request("PATCH", f"/Users/{RESERVED}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert resp.status == 404  # sent: the GET before answered 404
    assert client.request("PATCH", "/Users/11111111-0000-4000-8000-000000000000", {}).failure == "blocked"


def test_collections_and_other_paths_are_never_written_and_a_halted_guard_sends_no_write(client, lab):
    assert client.request("PUT", "/Users", {}).failure == "blocked"
    assert client.request("DELETE", "/Bulk").failure == "blocked"
    client.guard.halted = True
    assert client.request("POST", "/Users", _user(f"{PREFIX}-late")).failure == "blocked"
    assert client.request("GET", "/Users?filter=userName+eq+%22x%22").status == 200
    assert _reached(lab, "POST") == []


def test_the_lab_setting_turns_the_engine_guard_on_and_rejects_bad_values(lab):
    settings = lab.entra_admin("PUT", "/settings", json={"ownershipGuard": {"prefix": PREFIX}}).json()
    assert settings["ownershipGuard"] == {"prefix": PREFIX, "reservedIds": [], "halted": False}
    for bad in ({"prefix": "x"}, {"prefix": 3}, {"prefix": PREFIX, "halted": "yes"},
                {"prefix": PREFIX, "reservedIds": "abc"}, {"prefix": PREFIX, "other": 1}, ["cf"]):
        resp = requests.put(f"{lab.entra_url}/_admin/settings", json={"ownershipGuard": bad}, timeout=10)
        assert resp.status_code == 400, (bad, resp.text)
        assert "ownershipGuard" in resp.json()["error"]["message"]
    assert lab.entra_admin("GET", "/settings").json()["ownershipGuard"]["prefix"] == PREFIX  # unchanged
    lab.reset()
    assert lab.entra_admin("GET", "/settings").json()["ownershipGuard"] is None


@pytest.mark.parametrize(("attribute", "found", "wanted", "equal"), [
    ("userName", "B.Simon@Contoso.example", "b.simon@contoso.example", True),
    ("displayName", "SALES", "Sales", True),
    ("externalId", "B.Simon", "b.simon", False),
    ("externalId", "b.simon", "b.simon", True),
    ('emails[type eq "work"].value', ["X@Y.example"], "x@y.example", True),
    ("userName", None, "a", False),
    ("userName", "someone@vendor.example", "cf-1-b.simon@vendor.example", False),
])
def test_matching_values_compare_as_rfc_7643_says(attribute, found, wanted, equal):
    assert equal_for_matching(attribute, found, wanted) is equal


def test_resource_paths_and_prefixes():
    assert resource_of("/Users/abc") == ("Users", "abc")
    assert resource_of("/Groups/a%2Fb?excludedAttributes=members") == ("Groups", "a/b")
    assert resource_of("/Users") is None and resource_of("/Users/a/b") is None
    assert carries_prefix({"displayName": "CF-TEST01-001 Sales"}, PREFIX)
    assert not carries_prefix({"userName": "someone@x", "id": PREFIX}, PREFIX)
