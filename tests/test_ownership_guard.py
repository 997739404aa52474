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
from steps.failure_steps import logs, person, run_now, scim_job, settings, start
from steps.provisioning_steps import graph

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
    guard.note_create("/Users", 201, {"id": account, "userName": "someone@contoso.example"})
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


# -- the engine in vendor mode ---------------------------------------------------------------------------
def _vendor_job(lab, ctx, stub, dialect: str, concurrency: int = 1) -> None:
    scim_job(lab, ctx, dialect, base_url=f"{stub.url}/scim")
    settings(lab, ownershipGuard={"prefix": "b.simon"}, exportConcurrency=concurrency)


VENDOR_ACCOUNT = {"id": "vendor-1", "userName": "someone@vendor.example", "active": True, "displayName": "Someone"}


@pytest.mark.parametrize("dialect, concurrency", [("legacy", 1), ("aadOptscim062020", 1), ("legacy", 4)])
def test_the_engine_never_links_a_matching_answer_with_another_value(lab, ctx, stub_target, dialect, concurrency):
    """Also with the overlapped export (its own transport): the guard stands before both."""
    _vendor_job(lab, ctx, stub_target, dialect, concurrency)
    stub_target.resources["vendor-1"] = dict(VENDOR_ACCOUNT)
    stub_target.answer("GET", "^/scim/Users$", body={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "Resources": [VENDOR_ACCOUNT]}, times=None)  # a server that ignores filter
    person(lab, ctx, "B.Simon", role="Default Access")
    start(lab, ctx)

    summary = run_now(lab, ctx)

    assert summary["state"] == "EntryLevelErrors"
    assert [r["method"] for r in stub_target.sent()] == ["GET"]  # the matching query, nothing else
    [entry] = logs(lab, ctx)
    assert entry["provisioningStatusInfo"]["status"] == "failure"
    error = entry["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "SystemForCrossDomainIdentityManagementMatchingAnswerMismatch"
    assert "userName 'someone@vendor.example' (id 'vendor-1')" in error["reason"]
    assert "Real Entra trusts the matching answer" in error["reason"] and "deleted it" in error["reason"]
    assert stub_target.resources["vendor-1"] == VENDOR_ACCOUNT

    stub_target.overrides.clear()  # the server is fixed: the next cycle creates the user
    run_now(lab, ctx)
    assert [r["method"] for r in stub_target.sent()][-2:] == ["GET", "POST"]


def test_without_the_guard_the_engine_trusts_the_matching_answer_as_real_entra_does(lab, ctx, stub_target):
    scim_job(lab, ctx, "legacy", base_url=f"{stub_target.url}/scim")
    stub_target.resources["vendor-1"] = dict(VENDOR_ACCOUNT)
    stub_target.answer("GET", "^/scim/Users$", body={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "Resources": [VENDOR_ACCOUNT]}, times=None)
    person(lab, ctx, "B.Simon", role="Default Access")
    start(lab, ctx)

    run_now(lab, ctx)

    assert [(r["method"], r["path"]) for r in stub_target.sent()] == [("GET", "/scim/Users"),
                                                                      ("PATCH", "/scim/Users/vendor-1")]
    [entry] = logs(lab, ctx)
    assert entry["provisioningAction"] == "update" and entry["targetIdentity"]["id"] == "vendor-1"


def test_a_write_the_guard_does_not_send_fails_its_object_with_its_own_code(lab, ctx, stub_target):
    """A create answered with another account (an upsert gone wrong): the link is made, but the
    disable that follows is never sent to that account."""

    _vendor_job(lab, ctx, stub_target, "legacy")
    stub_target.resources["vendor-1"] = dict(VENDOR_ACCOUNT)
    stub_target.answer("POST", "^/scim/Users$", status=201, body=VENDOR_ACCOUNT)
    user = person(lab, ctx, "B.Simon", role="Default Access")
    start(lab, ctx)
    run_now(lab, ctx)
    graph(lab, ctx).patch(f"/users/{user['id']}", {"accountEnabled": False})

    lab.advance_clock(40)

    writes = [(r["method"], r["path"]) for r in stub_target.sent() if r["method"] != "GET"]
    assert writes == [("POST", "/scim/Users")]  # the create; no PATCH reached vendor-1
    assert ("GET", "/scim/Users/vendor-1") in [(r["method"], r["path"]) for r in stub_target.sent()]
    failed = [e for e in logs(lab, ctx) if e["provisioningStatusInfo"]["status"] == "failure"]
    assert failed, logs(lab, ctx)
    error = failed[-1]["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "SystemForCrossDomainIdentityManagementOwnershipGuardBlocked"
    assert "PATCH /Users/vendor-1 was not sent" in error["reason"] and "Real Entra would have sent it" in error["reason"]
    blocked = [e for e in lab.entra_admin("GET", "/journal", params={"direction": "outbound"}).json()["entries"]
               if e.get("blocked")]
    assert [(e["method"], e["path"], e["status"]) for e in blocked] == [("PATCH", "/scim/Users/vendor-1", None)]
    assert stub_target.resources["vendor-1"] == VENDOR_ACCOUNT
