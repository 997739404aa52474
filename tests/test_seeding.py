"""Seeded tenants (simulator/entra/directory/seeding.py): Faker tenants are deterministic and realistic, and
named fixture tenants load whole or not at all."""
from __future__ import annotations

import json

import pytest

from simulator.core.lab import Lab
from simulator.entra.directory.model import Directory
from simulator.entra.directory.seeding import (DEPARTMENTS, MAX_REPORTS, fixture_names, load_fixture_tenant,
                                               seed_tenant)


def seeded(seed, users=40, groups=5) -> Directory:
    lab = Lab(seed=seed)
    directory = Directory(lab.clock, lab.rand, "contoso.example", listen=False)
    seed_tenant(directory, lab.rand, users=users, groups=groups)
    return directory


def test_the_same_seed_builds_the_same_tenant_and_another_seed_another():
    first, again, other = seeded(3).to_state(), seeded(3).to_state(), seeded(4).to_state()
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert [u["userPrincipalName"] for u in first["users"]] != [u["userPrincipalName"] for u in other["users"]]


def test_faker_users_are_realistic_and_unique():
    directory = seeded(5, users=300, groups=0)
    users = list(directory.iter_users())
    upns = [u.user_principal_name for u in users]
    assert len(set(upns)) == 300
    for user in users:
        local, domain = user.user_principal_name.split("@")
        assert domain == "contoso.example"
        assert local.startswith(f"{''.join(c for c in user.get('givenName').lower() if c.isalnum())}.")
        assert user.get("mail") == user.user_principal_name
        assert user.get("displayName") == f"{user.get('givenName')} {user.get('surname')}"
        assert user.get("department") and user.get("jobTitle") and user.get("employeeId").isdigit()
        assert user.get("mobilePhone").startswith("+1 206 555 ") and user.account_enabled
    assert len({u.get("employeeId") for u in users}) == 300
    assert {u.get("department") for u in users} == {"Executive", *DEPARTMENTS}


def test_managers_form_a_tree_rooted_at_the_first_user():
    directory = seeded(6, users=100, groups=0)
    users = list(directory.iter_users())
    position = {u.id: i for i, u in enumerate(users)}
    assert users[0].manager_id is None and users[0].get("jobTitle") == "Chief Executive Officer"
    reports: dict[str, int] = {}
    for user in users[1:]:
        assert position[user.manager_id] < position[user.id]  # managers come first: no cycles
        reports[user.manager_id] = reports.get(user.manager_id, 0) + 1
    assert reports.pop(users[0].id) == len(DEPARTMENTS)  # one head per department
    assert max(reports.values()) <= MAX_REPORTS
    for user in users[1:]:
        if user.manager_id != users[0].id:
            assert user.get("department") == users[position[user.manager_id]].get("department")
    managers = [u for u in users if u.id in reports]
    assert all(u.get("jobTitle").endswith("Manager") or u is users[0] for u in managers)


def test_groups_have_members_and_the_second_is_nested_in_the_first():
    directory = seeded(7, users=50, groups=4)
    groups = list(directory.iter_groups())
    assert len(groups) == 4 and all(g.get("securityEnabled") and not g.get("mailEnabled") for g in groups)
    assert len({g.get("mailNickname") for g in groups}) == 4
    assert groups[1].id in directory.group_member_ids(groups[0].id)
    for group in groups:
        members = directory.group_member_ids(group.id)
        assert len([m for m in members if m != groups[1].id]) >= 3


def test_seeding_twice_adds_a_second_batch_without_collisions():
    lab = Lab(seed=8)
    directory = Directory(lab.clock, lab.rand, "contoso.example", listen=False)
    seed_tenant(directory, lab.rand, users=60)
    seed_tenant(directory, lab.rand, users=60)
    assert directory.user_count() == 120


def test_the_tutorial_fixture_tenant():
    lab = Lab(seed=9)
    directory = Directory(lab.clock, lab.rand, "contoso.example", listen=False)
    result = load_fixture_tenant(directory, "gotomeeting-tutorial")
    ids = result["ids"]
    assert (result["users"], result["groups"]) == (7, 2)
    bsimon = directory.get_user("B.Simon@contoso.example")
    assert bsimon.id == ids["bsimon"] and bsimon.display_name == "B.Simon"
    assert directory.get_manager(bsimon.id).display_name == "Megan Bowen"
    assert directory.get_user("Grady.Archie@contoso.example").account_enabled is False
    outer = directory.get_group(ids["gotomeeting-users"])
    assert directory.group_member_ids(outer.id) == [ids["alex"], ids["sales-team"]]
    assert directory.group_member_ids(ids["sales-team"]) == [ids["diego"], ids["isaiah"]]
    assert "gotomeeting-tutorial" in fixture_names()


def test_fixture_names_are_checked_and_a_fixture_loads_whole_or_not_at_all(tmp_path):
    lab = Lab(seed=10)
    directory = Directory(lab.clock, lab.rand, "contoso.example", listen=False)
    for name in ("nope", "../tenants/gotomeeting-tutorial", "", "a/b"):
        with pytest.raises(FileNotFoundError):
            load_fixture_tenant(directory, name)
    load_fixture_tenant(directory, "gotomeeting-tutorial")
    seq = directory.current_seq()
    with pytest.raises(ValueError, match="already exists"):
        load_fixture_tenant(directory, "gotomeeting-tutorial")
    assert directory.current_seq() == seq

    (tmp_path / "elsewhere.json").write_text(json.dumps({"users": [
        {"key": "a", "userPrincipalName": "a@tailspin.example", "displayName": "A", "mailNickname": "a",
         "accountEnabled": True}]}))
    with pytest.raises(ValueError, match="not in a verified domain"):
        load_fixture_tenant(directory, "elsewhere", fixture_dir=tmp_path)
    (tmp_path / "dangling.json").write_text(json.dumps({"users": [], "groups": [
        {"key": "g", "displayName": "G", "mailNickname": "g", "mailEnabled": False, "securityEnabled": True,
         "members": ["ghost"]}]}))
    with pytest.raises(ValueError, match="unknown member"):
        load_fixture_tenant(directory, "dangling", fixture_dir=tmp_path)
    assert directory.current_seq() == seq
