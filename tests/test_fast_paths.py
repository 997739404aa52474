"""The paths made fast for scale (issue 7) keep their behaviour: the journal redacts what it recorded
raw, Graph adds group members in bulk with ``members@odata.bind``, and GoToMeeting answers group
memberships from an index."""
from __future__ import annotations

import pytest

from simulator.core.clock import VirtualClock
from simulator.core.journal import Journal, RawBody
from simulator.core.lab import Lab
from simulator.core.redact import REDACTED
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token


# -- journal ------------------------------------------------------------------------------------------
def test_raw_bodies_are_parsed_and_redacted_when_read():
    journal = Journal(VirtualClock())
    journal.record(method="POST", path="/oauth/token", query="code=abc&state=s",
                   headers={"Authorization": "Basic dXNlcjpwYXNz"},
                   body=RawBody.of(b"grant_type=password&password=hunter2", "application/x-www-form-urlencoded"),
                   response_body=RawBody.of(b'{"access_token":"tok","expires_in":3599}', "application/json"))
    entry = journal.entries()[0]
    assert "hunter2" not in str(entry) and "abc" not in entry["query"]
    assert entry["headers"]["Authorization"] == f"Basic {REDACTED}"
    assert entry["responseBody"] == {"access_token": REDACTED, "expires_in": 3599}
    assert journal.entries() == [entry]  # reading twice reads the same


def test_oversized_and_empty_bodies_are_settled_when_recorded():
    big = b'{"password":"hunter2","pad":"' + b"x" * (70 * 1024) + b'"}'
    kept = RawBody.of(big, "application/json")
    assert not isinstance(kept, RawBody) and kept["truncated"] is True and "hunter2" not in str(kept)
    assert RawBody.of(b"", "application/json") is None
    assert RawBody.of(None, None) is None


def test_record_answers_the_sequence_number_and_limit_keeps_the_newest():
    journal = Journal(VirtualClock(), retention=2)
    assert [journal.record(method="GET", path=f"/{i}") for i in range(3)] == [1, 2, 3]
    assert [e["path"] for e in journal.entries(limit=1)] == ["/2"]
    assert [e["seq"] for e in journal.entries()] == [2, 3]


# -- Graph: members@odata.bind -------------------------------------------------------------------------
@pytest.fixture
def graph():
    app = create_app({"users": 30}, Lab(seed=3))
    entra = app.extensions["entra"]
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {mint_token(entra, entra.config.admin_client, 'http://localhost')}"
    group = client.post("/v1.0/groups", json={"displayName": "Organizers", "mailNickname": "organizers",
                                              "mailEnabled": False, "securityEnabled": True}).get_json()
    users = [u["id"] for u in client.get("/v1.0/users?$select=id&$top=30").get_json()["value"]]
    return client, entra.directory, group["id"], users


def _refs(ids):
    return [f"https://graph.microsoft.com/v1.0/directoryObjects/{i}" for i in ids]


def test_patch_adds_up_to_20_members_in_one_request(graph):
    client, directory, gid, users = graph
    seq = directory.current_seq()
    resp = client.patch(f"/v1.0/groups/{gid}", json={"description": "Hosts", "members@odata.bind": _refs(users[:20])})
    assert resp.status_code == 204
    assert directory.group_member_ids(gid) == users[:20]
    kinds = [c.kind for c in directory.changes_since(seq)]
    assert kinds == ["updated"] + ["memberAdded"] * 20
    member_of = client.get(f"/v1.0/users/{users[0]}/memberOf").get_json()["value"]
    assert [g["id"] for g in member_of] == [gid]


@pytest.mark.parametrize("body, fragment", [
    ({"members@odata.bind": "not a list"}, "must be an array"),
    ({"members@odata.bind": ["https://graph.microsoft.com/v1.0/directoryObjects/not-a-guid"]}, "Invalid object"),
    ({"members@odata.bind": ["nonsense"]}, "Invalid URL format"),
])
def test_bad_bind_lists_are_400_and_change_nothing(graph, body, fragment):
    client, directory, gid, _ = graph
    seq = directory.current_seq()
    resp = client.patch(f"/v1.0/groups/{gid}", json=body)
    assert resp.status_code == 400 and fragment in resp.get_json()["error"]["message"]
    assert directory.current_seq() == seq and directory.group_member_ids(gid) == []


def test_a_bulk_add_is_all_or_nothing(graph):
    client, directory, gid, users = graph
    assert client.patch(f"/v1.0/groups/{gid}", json={"members@odata.bind": _refs(users[:1])}).status_code == 204
    seq = directory.current_seq()
    too_many = client.patch(f"/v1.0/groups/{gid}", json={"members@odata.bind": _refs(users[1:22])})
    assert too_many.status_code == 400 and "At most 20" in too_many.get_json()["error"]["message"]
    again = client.patch(f"/v1.0/groups/{gid}", json={"displayName": "Renamed",
                                                      "members@odata.bind": _refs([users[2], users[0]])})
    assert again.status_code == 400 and "already exist" in again.get_json()["error"]["message"]
    twice = client.patch(f"/v1.0/groups/{gid}", json={"members@odata.bind": _refs([users[3], users[3]])})
    assert twice.status_code == 400
    missing = client.patch(f"/v1.0/groups/{gid}", json={"members@odata.bind": _refs(
        [users[4], "11111111-1111-4111-8111-111111111111"])})
    assert missing.status_code == 404
    itself = client.patch(f"/v1.0/groups/{gid}", json={"members@odata.bind": _refs([gid])})
    assert itself.status_code == 400
    assert directory.current_seq() == seq and directory.group_member_ids(gid) == users[:1]
    assert client.get(f"/v1.0/groups/{gid}").get_json()["displayName"] == "Organizers"


# -- GoToMeeting: compact users, membership index, exact lookups ----------------------------------------
@pytest.fixture
def scim():
    from simulator.gotomeeting.account import Account
    from simulator.gotomeeting.quirks import Quirks
    from simulator.gotomeeting.scim.service import ScimService
    from simulator.gotomeeting.state import GoToMeetingConfig

    lab = Lab(seed=5)
    account = Account(GoToMeetingConfig(verified_domains=["contoso.example"]), lab.clock, lab.rand)
    return ScimService(account, Quirks())


def _user(service, n: int):
    return service.create(service.users, {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"u{n}@contoso.example",
        "externalId": f"x{n}", "displayName": f"User {n}", "roles": [{"value": "organizer", "primary": True}]})


def test_a_stored_user_is_read_back_whole_and_changing_the_copy_changes_nothing(scim):
    user = _user(scim, 1)
    first = user.resource
    assert (first.user_name, first.external_id, first.display_name) == ("u1@contoso.example", "x1", "User 1")
    assert first.meta.created == user.created and first.id == user.id
    first.display_name = "Changed"
    assert user.resource.display_name == "User 1" and user.display_name == "User 1"
    patched = scim.patch(scim.users, user.id, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                               "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert patched.active is False and patched.version == 2 and patched.resource.active is False
    assert patched.resource.meta.created == first.meta.created


def test_memberships_come_from_an_index_in_creation_order(scim):
    a, b = _user(scim, 1), _user(scim, 2)
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}
    first = scim.create(scim.groups, {**group, "displayName": "First", "members": [{"value": a.id}]})
    second = scim.create(scim.groups, {**group, "displayName": "Second", "members": [{"value": a.id}, {"value": b.id}]})
    account = scim.account
    scim.patch(scim.groups, first.id, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                       "Operations": [{"op": "add", "path": "members", "value": [{"value": b.id}]}]})
    assert [g.display_name for g in account.groups_of(a.id)] == ["First", "Second"]
    assert [g.display_name for g in account.groups_of(b.id)] == ["First", "Second"]
    scim.delete(scim.users, a.id)
    assert account.groups_of(a.id) == [] and account.groups[second.id].member_ids == [b.id]
    scim.delete(scim.groups, first.id)
    assert [g.display_name for g in account.groups_of(b.id)] == ["Second"]


def test_an_index_term_alone_is_answered_without_matching(scim):
    from simulator.gotomeeting.scim import filters

    _user(scim, 1)
    assert filters.plan(None, "User").exact is False
    found = scim.search(scim.users, {"filter": 'userName eq "U1@CONTOSO.example"'})
    assert found.total == 1
    assert scim.search(scim.users, {"filter": 'externalId eq "X1"'}).total == 0  # externalId is caseExact
    both = scim.search(scim.users, {"filter": 'userName eq "u1@contoso.example" and displayName eq "nobody"'})
    assert both.total == 0
    group = scim.create(scim.groups, {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                      "displayName": "G", "externalId": "G-1"})
    assert scim.search(scim.groups, {"filter": f'id eq "{group.id}"'}).total == 1
    assert scim.search(scim.groups, {"filter": 'externalId eq "g-1"'}).total == 0


def test_bodies_recorded_decoded_are_kept_packed_and_read_back_equal():
    journal = Journal(VirtualClock())
    body = {"userName": "ada@contoso.example", "roles": [{"value": "organizer", "primary": True}]}
    journal.record(method="POST", path="/scim/v2/Users", direction="outbound", body=body,
                   response_body=[1, "two"])
    entry = journal.entries()[0]
    assert entry["body"] == body and entry["body"] is not body and entry["responseBody"] == [1, "two"]


def test_the_plain_rendering_equals_the_scim2_models_dump(scim):
    from simulator.gotomeeting.scim import views
    from simulator.gotomeeting.scim.resources import GoToUserExtension

    account = scim.account
    rich = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "rich@contoso.example", "externalId": "rich", "name": {"givenName": "R", "familyName": "Ich"},
            "emails": [{"value": "rich@contoso.example", "type": "work", "primary": True}],
            "phoneNumbers": [{"value": "+1 425 555 0100", "type": "work"}], "title": "Counsel",
            "addresses": [{"type": "work", "locality": "Redmond", "primary": True}],
            "roles": [{"value": "manager", "primary": True}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Legal",
                                                                             "manager": {"value": "m-1"}}}
    users = [_user(scim, 1), scim.create(scim.users, rich), *account.users.values()]
    account.clock.advance(seconds=1.25)  # a timestamp with milliseconds
    users.append(scim.patch(scim.users, users[0].id, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                      "Operations": [{"op": "replace", "path": "active",
                                                                      "value": False}]}))
    for user in users:
        extension = GoToUserExtension.model_validate(account.goto_extension(user))
        plain = views._plain_user(user, "http://lab/scim/v2", extension)
        assert plain == views._full_user(user, "http://lab/scim/v2", extension, []), user
    assert plain["meta"]["lastModified"] == "2026-01-05T08:00:01.250Z"


def test_only_an_attribute_selection_takes_the_full_dump(scim):
    from simulator.gotomeeting.scim import views

    _user(scim, 1)
    assert not views._selects(None)
    assert not views._selects(scim.search(scim.users, {"filter": 'userName eq "u1@contoso.example"'}).request)
    assert views._selects(scim.search(scim.users, {"attributes": "userName"}).request)
    assert views._selects(scim.response_parameters(scim.users, {"excludedAttributes": "emails"}))


_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.parametrize("operations", [
    [{"op": "Replace", "path": "displayName", "value": "New Name"}, {"op": "Replace", "path": "active", "value": "True"}],
    [{"op": "replace", "path": "active", "value": False}, {"op": "add", "path": "title", "value": "Counsel"}],
    [{"op": "Add", "path": "name.givenName", "value": "Ada"}, {"op": "Replace", "path": "name.familyName", "value": "L"}],
    [{"op": "replace", "path": f"{_ENTERPRISE}:department", "value": "Legal"}],
    [{"op": "replace", "path": "displayName", "value": "User 1"}],  # no change at all
    [{"op": "replace", "path": "active", "value": "False"}, {"op": "replace", "path": "active", "value": "true"}],
])
def test_simple_patches_give_what_the_patch_engine_gives(scim, operations):
    from simulator.gotomeeting.scim.service import apply_simple, simple_user_changes

    user = _user(scim, 1)
    normalized = scim._operations(scim.users.model, {"schemas": [_PATCH_OP], "Operations": operations})
    simple = simple_user_changes(normalized)
    assert simple is not None
    fast = apply_simple(scim.users.model, user.stored_json, simple)
    engine = scim._apply(scim._patch_op(scim.users.model, normalized), user.working_copy)
    assert (fast is None) == (engine is None)
    if fast is not None:
        assert fast.model_dump() == engine.model_dump()
        assert fast.model_dump_json(exclude_none=True) == engine.model_dump_json(exclude_none=True)


@pytest.mark.parametrize("operation", [
    {"op": "remove", "path": "title"},
    {"op": "replace", "path": "displayName", "value": ""},
    {"op": "replace", "path": "displayName", "value": 7},
    {"op": "replace", "path": "active", "value": "yes"},
    {"op": "replace", "path": "DisplayName", "value": "x"},
    {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@contoso.example"},
    {"op": "replace", "value": {"displayName": "x"}},
])
def test_anything_else_takes_the_patch_engine(scim, operation):
    from simulator.gotomeeting.scim.service import simple_user_changes

    assert simple_user_changes(scim._operations(scim.users.model, {"schemas": [_PATCH_OP], "Operations": [operation]})) is None
