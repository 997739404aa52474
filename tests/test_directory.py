"""The directory model (simulator/entra/directory/model.py): users, groups, managers, deleted items, the
change feed, subscribers and delta rounds, without HTTP."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from simulator.core.lab import Lab
from simulator.entra.directory.changes import ChangeFeed, WatermarkExpired
from simulator.entra.directory.model import Directory, DirectoryError
from simulator.entra.directory.schema import USER
from simulator.entra.odata import parse_query

PASSWORD = {"password": "Xq7!long-enough", "forceChangePasswordNextSignIn": False}


def body(local: str, **extra) -> dict:
    return {"accountEnabled": True, "displayName": local.title(), "mailNickname": local.replace(".", ""),
            "userPrincipalName": f"{local}@contoso.example", "passwordProfile": dict(PASSWORD), **extra}


@pytest.fixture
def lab():
    return Lab(seed=11)


@pytest.fixture
def directory(lab):
    d = Directory(lab.clock, lab.rand, ["contoso.example", "fabrikam.example"])
    yield d
    d.close()


def refused(fn, *args, **kwargs) -> DirectoryError:
    with pytest.raises(DirectoryError) as caught:
        fn(*args, **kwargs)
    return caught.value


# -- users -----------------------------------------------------------------------------------------

def test_create_user_sets_graph_defaults_and_never_keeps_the_password(directory, lab):
    user = directory.create_user(body("adele.vance", businessPhones=["+1 425 555 0100"]))
    props = user.properties()
    assert props["id"] == user.id and len(user.id) == 36
    assert props["createdDateTime"] == "2026-01-05T08:00:00Z"
    assert props["userType"] == "Member" and props["mail"] is None and props["deletedDateTime"] is None
    assert props["businessPhones"] == ["+1 425 555 0100"]
    assert "passwordProfile" not in props
    assert "Xq7!" not in repr(directory.to_state())


def test_users_are_found_by_id_or_upn_in_any_letter_case(directory):
    user = directory.create_user(body("adele.vance"))
    assert directory.get_user(user.id.upper()) is user
    assert directory.get_user("ADELE.VANCE@Contoso.Example") is user
    err = refused(directory.get_user, "nobody@contoso.example")
    assert (err.status, err.code) == (404, "Request_ResourceNotFound")
    assert err.message == ("Resource 'nobody@contoso.example' does not exist or one of its queried "
                           "reference-property objects are not present.")


@pytest.mark.parametrize("missing", ["accountEnabled", "displayName", "mailNickname", "passwordProfile",
                                     "userPrincipalName"])
def test_create_user_needs_every_required_property(directory, missing):
    data = body("adele.vance")
    del data[missing]
    err = refused(directory.create_user, data)
    assert (err.status, err.code) == (400, "Request_BadRequest")
    assert err.message == f"Property {missing} value is required but is empty or missing."


@pytest.mark.parametrize("extra, code, fragment", [
    ({"shoeSize": 42}, "BadRequest", "The property 'shoeSize' does not exist on type 'microsoft.graph.user'."),
    ({"id": "x"}, "Request_BadRequest", "Property 'id' is read-only and cannot be set."),
    ({"createdDateTime": "2020-01-01T00:00:00Z"}, "Request_BadRequest", "Property 'createdDateTime' is read-only"),
    ({"accountEnabled": "true"}, "BadRequest", "to the expected type 'Edm.Boolean'"),
    ({"department": 7}, "Request_BadRequest", "Invalid value specified for property 'department' of resource 'User'."),
    ({"businessPhones": "+1 425"}, "Request_BadRequest", "property 'businessPhones'"),
    ({"mailNickname": "has space"}, "Request_BadRequest", "property 'mailNickname'"),
    ({"displayName": " "}, "Request_BadRequest", "property 'displayName'"),
    ({"userPrincipalName": "no-at-sign"}, "Request_BadRequest", "property 'userPrincipalName'"),
    ({"userPrincipalName": "a@b@contoso.example"}, "Request_BadRequest", "property 'userPrincipalName'"),
    ({"userPrincipalName": "zoë@contoso.example"}, "Request_BadRequest", "property 'userPrincipalName'"),
    ({"userPrincipalName": ".adele@contoso.example"}, "Request_BadRequest", "property 'userPrincipalName'"),
    ({"userPrincipalName": "adele@tailspin.example"}, "Request_BadRequest",
     "The domain portion of the userPrincipalName property is invalid. You must use one of the verified "
     "domain names in your organization."),
    ({"passwordProfile": {"password": "short"}}, "Request_BadRequest",
     "The specified password does not comply with password complexity requirements."),
    ({"passwordProfile": "Xq7!long-enough"}, "Request_BadRequest", "property 'passwordProfile'"),
])
def test_create_user_refuses_bad_bodies_and_changes_nothing(directory, extra, code, fragment):
    before = directory.current_seq()
    err = refused(directory.create_user, {**body("adele.vance"), **extra})
    assert err.status == 400 and err.code == code and fragment in err.message
    assert directory.current_seq() == before and directory.user_count() == 0


def test_upn_is_unique_case_insensitively_and_any_verified_domain_works(directory):
    directory.create_user(body("adele.vance"))
    err = refused(directory.create_user, body("ADELE.Vance"))
    assert err.message == "Another object with the same value for property userPrincipalName already exists."
    other = directory.create_user({**body("x"), "userPrincipalName": "adele.vance@fabrikam.example"})
    assert other.user_principal_name == "adele.vance@fabrikam.example"


def test_update_records_only_real_changes_and_keeps_the_upn_index(directory):
    user = directory.create_user(body("adele.vance"))
    seq = directory.current_seq()
    directory.update_user(user.id, {"displayName": user.display_name, "accountEnabled": True})
    assert directory.current_seq() == seq  # nothing changed: nothing recorded
    old_props = user.props
    directory.update_user(user.id, {"department": "Sales", "userPrincipalName": "adele@contoso.example"})
    assert directory.current_seq() == seq + 1
    assert old_props["department"] is None  # readers of the old snapshot are not disturbed
    assert directory.get_user("adele@contoso.example") is user
    assert directory.find_user("adele.vance@contoso.example") is None
    directory.update_user(user.id, {"passwordProfile": dict(PASSWORD), "businessPhones": None})
    assert user.get("businessPhones") == []


@pytest.mark.parametrize("patch, fragment", [
    ({"id": "00000000-0000-0000-0000-000000000000"}, "Property 'id' is read-only and cannot be set."),
    ({"createdDateTime": "2020-01-01T00:00:00Z"}, "Property 'createdDateTime' is read-only"),
    ({"displayName": None}, "property 'displayName'"),
    ({"accountEnabled": None}, "property 'accountEnabled'"),
    ({"userPrincipalName": "taken@contoso.example"}, "Another object with the same value"),
    ({"department": "Sales", "shoeSize": 1}, "'shoeSize' does not exist"),
])
def test_rejected_updates_leave_the_user_unchanged(directory, patch, fragment):
    directory.create_user(body("taken"))
    user = directory.create_user(body("adele.vance"))
    before, seq = dict(user.props), directory.current_seq()
    err = refused(directory.update_user, user.id, patch)
    assert err.status == 400 and fragment in err.message
    assert user.props == before and directory.current_seq() == seq


# -- deleted items -----------------------------------------------------------------------------------

def test_soft_delete_restore_and_purge(directory, lab):
    user = directory.create_user(body("adele.vance"))
    directory.delete_user("adele.vance@contoso.example")
    assert directory.find_user(user.id) is None
    assert directory.get_deleted_item(user.id).get("deletedDateTime") == "2026-01-05T08:00:00Z"
    query = parse_query({}, USER)
    assert [u.id for u in directory.list_deleted_items("user", query).items] == [user.id]
    assert directory.list_users(query).items == []

    directory.restore_deleted_item(user.id)
    assert directory.get_user("adele.vance@contoso.example").get("deletedDateTime") is None
    assert directory.list_deleted_items("user", query).items == []

    directory.delete_user(user.id)
    directory.purge_deleted_item(user.id)
    assert directory.find_object(user.id) is None
    for fn in (directory.get_deleted_item, directory.restore_deleted_item, directory.purge_deleted_item):
        assert refused(fn, user.id).status == 404
    assert [c.kind for c in directory.changes_since(0)] == ["created", "softDeleted", "restored", "softDeleted",
                                                           "purged"]


def test_deleted_users_are_purged_30_virtual_days_after_deletion(directory, lab):
    first = directory.create_user(body("first"))
    second = directory.create_user(body("second"))
    directory.delete_user(first.id)
    lab.clock.advance(minutes=60 * 24 * 10)
    directory.delete_user(second.id)
    lab.clock.advance(minutes=60 * 24 * 20 - 1)
    assert directory.find_object(first.id) is not None  # one minute short of 30 days
    lab.clock.advance(minutes=1)  # the clock listener purges what fell due
    assert directory.find_object(first.id) is None
    assert directory.find_object(second.id) is not None
    lab.clock.advance(minutes=60 * 24 * 10)
    assert directory.find_object(second.id) is None
    assert [c.kind for c in directory.changes_since(0)][-1] == "purged"


def test_purging_is_also_lazy_when_nobody_advanced_the_clock_through_the_listener(lab):
    directory = Directory(lab.clock, lab.rand, "contoso.example", listen=False)
    user = directory.create_user(body("adele.vance"))
    directory.delete_user(user.id)
    lab.clock.advance(minutes=60 * 24 * 31)
    assert directory.find_object(user.id) is not None  # nobody asked yet
    assert directory.changes_since(0)[-1].kind == "purged"  # any call purges what is due first
    assert directory.find_object(user.id) is None


def test_restore_fails_when_the_upn_was_taken_meanwhile(directory):
    user = directory.create_user(body("adele.vance"))
    directory.delete_user(user.id)
    directory.create_user(body("adele.vance"))
    err = refused(directory.restore_deleted_item, user.id)
    assert err.message == "Another object with the same value for property userPrincipalName already exists."
    assert directory.get_deleted_item(user.id) is user


def test_security_groups_are_purged_at_once_microsoft_365_groups_are_recoverable(directory):
    security = directory.create_group({"displayName": "Sec", "mailNickname": "sec", "mailEnabled": False,
                                       "securityEnabled": True})
    unified = directory.create_group({"displayName": "M365", "mailNickname": "m365", "mailEnabled": True,
                                      "securityEnabled": False, "groupTypes": ["Unified"]})
    assert unified.get("mail") == "m365@contoso.example" and security.get("mail") is None
    directory.delete_group(security.id)
    directory.delete_group(unified.id)
    assert directory.find_object(security.id) is None
    assert directory.get_deleted_item(unified.id) is unified
    directory.restore_deleted_item(unified.id)
    assert directory.get_group(unified.id) is unified


# -- groups and members ------------------------------------------------------------------------------

def group(directory, name: str):
    return directory.create_group({"displayName": name, "mailNickname": name.lower(), "mailEnabled": False,
                                   "securityEnabled": True})


@pytest.mark.parametrize("data, fragment", [
    ({"displayName": "G", "mailNickname": "g", "mailEnabled": False}, "Property securityEnabled value is required"),
    ({"displayName": "G", "mailNickname": "g", "mailEnabled": "no", "securityEnabled": True}, "Edm.Boolean"),
    ({"displayName": "G", "mailNickname": "g", "mailEnabled": False, "securityEnabled": True,
      "groupTypes": ["Weird"]}, "property 'groupTypes'"),
    ({"displayName": "G", "mailNickname": "g", "mailEnabled": False, "securityEnabled": True, "mail": "x@y"},
     "Property 'mail' is read-only"),
])
def test_create_group_validation(directory, data, fragment):
    err = refused(directory.create_group, data)
    assert err.status == 400 and fragment in err.message


def test_members_nesting_and_member_of(directory):
    adele = directory.create_user(body("adele"))
    alex = directory.create_user(body("alex"))
    outer, inner = group(directory, "Outer"), group(directory, "Inner")
    directory.add_group_member(outer.id, adele.id)
    directory.add_group_member(outer.id, inner.id)
    directory.add_group_member(inner.id, alex.id)
    assert directory.group_member_ids(outer.id) == [adele.id, inner.id]  # direct members only
    assert [g.id for g in directory.list_member_of(alex.id)] == [inner.id]
    err = refused(directory.add_group_member, outer.id, adele.id)
    assert err.message == ("One or more added object references already exist for the following modified "
                           "properties: 'members'.")
    assert refused(directory.add_group_member, outer.id, outer.id).status == 400
    assert refused(directory.add_group_member, outer.id, "00000000-0000-4000-8000-000000000000").status == 404
    directory.remove_group_member(outer.id, adele.id)
    assert refused(directory.remove_group_member, outer.id, adele.id).status == 404
    assert directory.group_member_ids(outer.id) == [inner.id]


def test_a_soft_deleted_member_is_hidden_and_comes_back_on_restore_a_purged_one_is_removed(directory):
    adele = directory.create_user(body("adele"))
    team = group(directory, "Team")
    directory.add_group_member(team.id, adele.id)
    directory.delete_user(adele.id)
    assert directory.group_member_ids(team.id) == []
    directory.restore_deleted_item(adele.id)
    assert directory.group_member_ids(team.id) == [adele.id]
    directory.delete_user(adele.id)
    directory.purge_deleted_item(adele.id)
    changes = directory.changes_since(0)
    assert ("group", team.id, "memberRemoved", adele.id) in [(c.object_type, c.object_id, c.kind, c.member_id)
                                                             for c in changes]
    assert team.members == {}


def test_manager_set_get_remove_and_purge(directory):
    boss = directory.create_user(body("boss"))
    worker = directory.create_user(body("worker"))
    assert refused(directory.get_manager, worker.id).message.startswith("Resource 'manager' does not exist")
    directory.set_manager(worker.id, boss.id)
    assert directory.get_manager(worker.id) is boss
    assert directory.list_direct_reports(boss.id) == [worker]
    assert refused(directory.set_manager, worker.id, worker.id).status == 400
    directory.delete_user(boss.id)
    assert refused(directory.get_manager, worker.id).status == 404  # hidden while deleted
    directory.restore_deleted_item(boss.id)
    assert directory.get_manager(worker.id) is boss
    directory.delete_user(boss.id)
    directory.purge_deleted_item(boss.id)
    assert worker.manager_id is None
    assert directory.changes_since(0)[-2][1:4] == ("user", worker.id, "updated")
    directory.set_manager(worker.id, directory.create_user(body("boss2")).id)
    directory.remove_manager(worker.id)
    assert refused(directory.remove_manager, worker.id).status == 404


# -- change feed and subscribers ---------------------------------------------------------------------

def test_the_change_feed_is_monotonic_and_reads_only_what_came_after(directory):
    a = directory.create_user(body("a"))
    mark = directory.current_seq()
    directory.update_user(a.id, {"department": "Sales"})
    directory.record_change("appRoleAssignment", a.id)
    later = directory.changes_since(mark)
    assert [(c.seq, c.object_type, c.kind) for c in later] == [(mark + 1, "user", "updated"),
                                                                (mark + 2, "appRoleAssignment", "updated")]
    seq, object_type, object_id, kind, member = later[0]
    assert (object_type, object_id, kind, member) == ("user", a.id, "updated", None)
    assert directory.changes_since(directory.current_seq()) == []
    assert directory.changes_since(0, until=1)[0].kind == "created"


def test_a_watermark_older_than_the_retained_feed_asks_for_a_full_read():
    feed = ChangeFeed(retention=8)
    for i in range(20):
        feed.append("user", str(i), "updated")
    assert feed.oldest_available() > 0
    with pytest.raises(WatermarkExpired):
        feed.changes_since(0)
    recent = feed.changes_since(feed.oldest_available())
    assert recent[-1].seq == 20 and len(recent) >= 8


def test_subscribers_hear_every_write_after_it_completed(directory):
    heard = []

    def listener(event, object_type, object_id):
        # The write is complete and the lock released: the listener may read the directory.
        heard.append((event, object_type, directory.find_object(object_id) is not None))

    directory.subscribe(listener)
    user = directory.create_user(body("adele"))
    team = group(directory, "Team")
    directory.add_group_member(team.id, user.id)
    directory.delete_user(user.id)
    directory.restore_deleted_item(user.id)
    directory.remove_group_member(team.id, user.id)
    directory.delete_user(user.id)
    directory.purge_deleted_item(user.id)
    assert heard == [("created", "user", True), ("created", "group", True), ("memberAdded", "group", True),
                     ("softDeleted", "user", True), ("restored", "user", True), ("memberRemoved", "group", True),
                     ("softDeleted", "user", True), ("purged", "user", False)]


def test_concurrent_writers_get_distinct_ids_and_a_gapless_feed(directory):
    def worker(n):
        for i in range(50):
            directory.create_user(body(f"w{n}.u{i}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert directory.user_count() == 400
    assert len({u.id for u in directory.iter_users()}) == 400
    assert [c.seq for c in directory.changes_since(0)] == list(range(1, 401))


def test_reset_empties_the_directory_and_same_seed_gives_same_ids(lab):
    directory = Directory(lab.clock, lab.rand, "contoso.example")
    first = directory.create_user(body("adele")).id
    lab.reset()
    directory.reset()
    assert directory.user_count() == 0 and directory.current_seq() == 0
    assert directory.create_user(body("adele")).id == first
    directory.close()


# -- delta ---------------------------------------------------------------------------------------------

def run_round(fetch, token=None):
    """Follow one delta round to its end: (entries, delta token)."""
    page = fetch(token)
    entries = list(page.items)
    while page.skip_token:
        page = fetch(page.skip_token, kind="skip")
        entries.extend(page.items)
    return entries, page.delta_token


def test_users_delta_initial_round_then_only_what_changed(directory, lab):
    users = [directory.create_user(body(f"user{i}")) for i in range(7)]

    def fetch(token, kind="delta"):
        return directory.users_delta(token, kind=kind, page_size=3)

    entries, delta = run_round(fetch)
    assert [e.object_id for e in entries] == [u.id for u in users]
    assert all(e.removed is None for e in entries)

    directory.update_user(users[1].id, {"jobTitle": "Engineer"})
    directory.update_user(users[1].id, {"jobTitle": "Lead Engineer"})
    directory.delete_user(users[2].id)
    directory.delete_user(users[3].id)
    directory.purge_deleted_item(users[3].id)
    fresh = directory.create_user(body("fresh"))
    entries, delta2 = run_round(fetch, delta)
    got = {e.object_id: (e.removed, e.obj.get("jobTitle") if e.obj and not e.removed else None) for e in entries}
    assert got == {users[1].id: (None, "Lead Engineer"), users[2].id: ("changed", None),
                   users[3].id: ("deleted", None), fresh.id: (None, None)}

    entries, delta3 = run_round(fetch, delta2)
    assert entries == []  # nothing happened since
    directory.restore_deleted_item(users[2].id)
    entries, _ = run_round(fetch, delta3)
    assert [(e.object_id, e.removed) for e in entries] == [(users[2].id, None)]


def test_groups_delta_carries_member_changes(directory):
    adele, alex = directory.create_user(body("adele")), directory.create_user(body("alex"))
    team = group(directory, "Team")
    directory.add_group_member(team.id, adele.id)
    entries, delta = run_round(lambda t, kind="delta": directory.groups_delta(t, kind=kind))
    assert entries[0].members_delta == [(adele.id, "user", False)]
    directory.add_group_member(team.id, alex.id)
    directory.remove_group_member(team.id, adele.id)
    entries, _ = run_round(lambda t, kind="delta": directory.groups_delta(t, kind=kind), delta)
    assert entries[0].members_delta == [(alex.id, "user", False), (adele.id, "user", True)]
    entries, _ = run_round(lambda t, kind="delta": directory.groups_delta(t, kind=kind, include_members=False))
    assert entries[0].members_delta is None


def test_delta_tokens_latest_forged_and_expired(directory, lab):
    directory.create_user(body("adele"))
    latest = directory.users_delta("latest")
    assert latest.items == [] and latest.delta_token
    directory.create_user(body("alex"))
    entries, _ = run_round(lambda t, kind="delta": directory.users_delta(t, kind=kind), latest.delta_token)
    assert [e.obj.user_principal_name for e in entries] == ["alex@contoso.example"]

    for bad in (latest.delta_token[:-1] + "A", "garbage", directory.groups_delta("latest").delta_token):
        err = refused(directory.users_delta, bad)
        assert (err.status, err.code, err.message) == (400, "BadRequest", "Badly formed token.")
    assert refused(directory.users_delta, latest.delta_token, kind="skip").code == "BadRequest"

    _, fresh = run_round(lambda t, kind="delta": directory.users_delta(t, kind=kind))
    lab.clock.advance(minutes=int(timedelta(days=7).total_seconds() // 60) + 1)
    err = refused(directory.users_delta, fresh)
    assert (err.status, err.code) == (400, "syncStateNotFound")
    assert err.message == ("The sync state generation is not found. The delta token is expired and data must "
                           "be synchronized again.")


def test_delta_select_travels_in_the_token(directory):
    directory.create_user(body("adele"))
    page = directory.users_delta(select=("displayName",))
    assert page.select == ("displayName",)
    directory.create_user(body("alex"))
    follow = directory.users_delta(page.delta_token)
    assert follow.select == ("displayName",) and len(follow.items) == 1


def test_bulk_import_is_all_or_nothing_and_sets_managers_without_extra_changes(directory):
    bodies = [{k: v for k, v in body(f"bulk{i}").items() if k != "passwordProfile"} for i in range(3)]
    users = directory.import_users(bodies, [None, 0, 1])
    assert [u.manager_id for u in users] == [None, users[0].id, users[1].id]
    assert directory.list_direct_reports(users[0].id) == [users[1]]
    assert [c.kind for c in directory.changes_since(0)] == ["created"] * 3
    seq = directory.current_seq()
    clash = [{**bodies[0], "userPrincipalName": "fresh@contoso.example"},
             {**bodies[1], "userPrincipalName": "FRESH@contoso.example"}]
    assert refused(directory.import_users, clash).message.startswith("Another object with the same value")
    assert refused(directory.import_users, [bodies[2]]).status == 400  # already in the directory
    with pytest.raises(ValueError):
        directory.import_users(clash, [1, None])  # a manager must come earlier in the batch
    assert directory.current_seq() == seq and directory.user_count() == 3
