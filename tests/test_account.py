"""The GoTo account model (no HTTP): seeding, sign-in, GoTo's rules, seats, indexes, lab-control seeding."""
from __future__ import annotations

import threading

import pytest
from scim2_models import Context, ForbiddenException, InvalidValueException, UniquenessException

from simulator.core.lab import Lab
from simulator.gotomeeting.account import Account, RateLimit, SeedError
from simulator.gotomeeting.quirks import Quirks
from simulator.gotomeeting.scim.service import ScimService
from simulator.gotomeeting.scim.resources import CASE_SENSITIVE_POLICY, TOLERANT_POLICY, UserResource
from simulator.gotomeeting.state import GoToMeetingConfig


def make_account(seed: int = 7, **config) -> Account:
    lab = Lab(seed=seed)
    return Account(GoToMeetingConfig.from_dict(config), lab.clock, lab.rand)


def scim_user(user_name: str, role: str | None = "organizer", active: bool | None = True, **extra):
    payload = {"userName": user_name, "active": active,
               "roles": [{"value": role, "primary": True}] if role else None, **extra}
    return UserResource.model_validate({k: v for k, v in payload.items() if v is not None},
                                       scim_ctx=Context.RESOURCE_CREATION_REQUEST)


def add(account: Account, user_name: str, **kw):
    candidate = scim_user(user_name, **kw)
    with account.lock:
        account.check_user(candidate, current=None, policy=TOLERANT_POLICY)
        return account.insert_user(candidate)


@pytest.fixture
def account() -> Account:
    return make_account()


def test_reset_seeds_the_admin_and_the_member(account):
    admin, member = account.users.values()
    assert (admin.user_name, admin.role, admin.is_team_admin, admin.licence_role) == (
        "goto.admin@contoso.example", "admin", True, "manager")
    assert (member.user_name, member.role, member.is_team_admin, member.licence_role) == (
        "goto.member@contoso.example", "member", False, "organizer")
    assert account.seats() == {"total": 100, "used": 2, "free": 98}
    add(account, "b.simon@contoso.example")
    account.reset()
    assert [u.user_name for u in account.users.values()] == [admin.user_name, member.user_name]


def test_ids_come_from_the_seeded_stream():
    first, second = make_account(seed=1), make_account(seed=1)
    assert list(first.users) == list(second.users)
    assert list(make_account(seed=2).users) != list(first.users)
    assert add(first, "b.simon@contoso.example").id == add(second, "b.simon@contoso.example").id


def test_authenticate(account):
    admin = account.authenticate("GOTO.Admin@contoso.example", "Admin-Passw0rd!")
    assert admin is not None and admin.is_team_admin
    assert account.authenticate("goto.admin@contoso.example", "wrong") is None
    assert account.authenticate("nobody@contoso.example", "Admin-Passw0rd!") is None
    assert account.authenticate("goto.admin@contoso.example", None) is None
    provisioned = add(account, "b.simon@contoso.example", password="S3cret!")
    assert account.authenticate("b.simon@contoso.example", "S3cret!") is provisioned
    assert "S3cret!" not in repr(account.to_state()) and "Passw0rd" not in repr(account.to_state())
    assert provisioned.resource.password is None
    suspended = scim_user("b.simon@contoso.example", active=False)
    with account.lock:
        account.update_user(provisioned, suspended)
    assert account.authenticate("b.simon@contoso.example", "S3cret!") is None


def test_lookups_are_index_hits(account):
    class NoScan(dict):
        def values(self):
            raise AssertionError("scanned every user")

        def __iter__(self):
            raise AssertionError("scanned every user")

    user = add(account, "B.Simon@contoso.example", external_id="bsimon")
    account.users = NoScan(account.users)
    service = ScimService(account, Quirks())
    for query in ('userName eq "b.simon@contoso.example"', 'externalId eq "bsimon" and displayName sw "B"',
                  f'id eq "{user.id}"'):
        page = service.search(service.users, {"filter": query})
        assert [found.id for found in page.items] == ([user.id] if "displayName" not in query else []), query
    assert account.users_named("b.simon@CONTOSO.example") == [user]
    assert account.users_with_external_id("bsimon") == [user]
    assert account.users_with_external_id("BSIMON") == []
    assert account.find_by_username("B.SIMON@contoso.example") is user
    assert account.get_user(user.id) is user


@pytest.mark.parametrize("candidate, error, text", [
    (scim_user("B.SIMON@contoso.example"), UniquenessException, "already exists"),
    (scim_user("eve@fabrikam.example"), InvalidValueException, "Email domain 'fabrikam.example' is not verified"),
    (scim_user("eve@Contoso.Example.evil"), InvalidValueException, "is not verified"),
    (scim_user("eve"), InvalidValueException, "not an email address"),
    (scim_user("eve smith@contoso.example"), InvalidValueException, "not an email address"),
    (scim_user("@contoso.example"), InvalidValueException, "not an email address"),
    (scim_user("e" * 113 + "@contoso.example"), InvalidValueException, "129 characters"),
    (scim_user("e@contoso.example", name={"givenName": "G" * 61}), InvalidValueException, "name.givenName"),
    (scim_user("e@contoso.example", name={"familyName": "F" * 61}), InvalidValueException, "name.familyName"),
    (scim_user("e@contoso.example", role="admin"), InvalidValueException, "Role 'admin'"),
    (scim_user("e@contoso.example", role=None), InvalidValueException, "needs a role"),
    (scim_user("e@contoso.example", role=None, active=None), InvalidValueException, "needs a role"),
])
def test_rules_on_create(account, candidate, error, text):
    add(account, "b.simon@contoso.example")
    before = account.to_state()
    with pytest.raises(error, match=text):
        account.check_user(candidate, current=None, policy=TOLERANT_POLICY)
    assert account.to_state() == before


def test_rules_that_pass(account):
    for candidate in (scim_user("e@CONTOSO.EXAMPLE"), scim_user("m@contoso.example", role="Manager"),
                      scim_user("i@contoso.example", role=None, active=False),
                      scim_user("x" * 112 + "@contoso.example", name={"givenName": "G" * 60})):
        account.check_user(candidate, current=None, policy=TOLERANT_POLICY)


def test_case_sensitive_policy_lets_two_spellings_coexist(account):
    add(account, "b.simon@contoso.example")
    other = scim_user("B.Simon@contoso.example")
    account.check_user(other, current=None, policy=CASE_SENSITIVE_POLICY)
    with account.lock:
        account.insert_user(other)
    assert len(account.users_named("b.simon@contoso.example")) == 2
    assert len(account.users_named("b.simon@contoso.example", CASE_SENSITIVE_POLICY)) == 1
    assert account.find_by_username("B.Simon@contoso.example").user_name == "B.Simon@contoso.example"


def test_an_admin_keeps_its_rank_without_roles(account):
    admin = account.find_by_username("goto.admin@contoso.example")
    account.check_user(scim_user(admin.user_name, role=None), current=admin, policy=TOLERANT_POLICY)
    with account.lock:
        account.update_user(admin, scim_user(admin.user_name, role="organizer"))
    assert (admin.role, admin.licence_role, admin.is_team_admin) == ("admin", "organizer", True)


def test_seats(account):
    account.set_seats(3)
    user = add(account, "a@contoso.example")
    with pytest.raises(ForbiddenException, match="^LicenseLimitExceeded: "):
        account.check_user(scim_user("b@contoso.example"), current=None, policy=TOLERANT_POLICY)
    add(account, "c@contoso.example", role=None, active=False)
    assert account.seats() == {"total": 3, "used": 3, "free": 0}
    with account.lock:
        account.update_user(user, scim_user(user.user_name, active=False))
    assert account.seats()["used"] == 2
    with account.lock:
        account.update_user(user, scim_user(user.user_name, active=None))
    assert (account.seats()["used"], user.active, user.status) == (3, True, "active")
    account.set_seats(1)
    assert account.seats() == {"total": 1, "used": 3, "free": 0}
    account.check_user(scim_user(user.user_name, role="manager"), current=user, policy=TOLERANT_POLICY)
    with account.lock:
        account.delete_user(user)
    assert account.seats()["used"] == 2
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(SeedError):
            account.set_seats(bad)


def test_deleting_a_user_removes_its_memberships(account):
    from simulator.gotomeeting.scim.resources import GroupResource

    user = add(account, "a@contoso.example")
    group = GroupResource.model_validate({"displayName": "G", "members": [{"value": user.id}]})
    with account.lock:
        account.check_group(group, current=None)
        stored = account.insert_group(group)
    assert [g.id for g in account.groups_of(user.id)] == [stored.id]
    with account.lock:
        account.delete_user(user)
    assert stored.member_ids == [] and stored.version == 2
    with pytest.raises(InvalidValueException, match="is not a user or group"):
        account.check_group(group, current=None)


def test_seed_adds_users_all_or_nothing(account):
    result = account.seed({"users": [
        {"userName": "pre@contoso.example", "givenName": "Pre", "familyName": "Existing", "externalId": "pre"},
        {"userName": "boss@fabrikam.example", "role": "admin", "password": "pw", "active": False},
    ], "verifiedDomains": ["Fabrikam.example"], "seats": 50})
    assert [u["role"] for u in result["users"]] == ["member", "admin"]
    assert result["seats"]["total"] == 50 and "fabrikam.example" in result["verifiedDomains"]
    boss = account.find_by_username("boss@fabrikam.example")
    assert (boss.active, boss.is_team_admin, boss.resource.display_name) == (False, True, None)
    pre = account.find_by_username("pre@contoso.example")
    assert (pre.resource.display_name, pre.external_id, pre.licence_role) == ("Pre Existing", "pre", "organizer")
    before = account.to_state()
    for body, status in (
            ({"users": [{"userName": "new@contoso.example"}, {"userName": "PRE@contoso.example"}]}, 409),
            ({"users": [{"userName": "x@contoso.example"}, {"userName": "X@contoso.example"}]}, 409),
            ({"users": [{"userName": "x@contoso.example", "role": "owner"}]}, 400),
            ({"users": [{"userName": "x@contoso.example", "active": "yes"}]}, 400),
            ({"users": [{"userName": "x@contoso.example", "givenName": 5}]}, 400),
            ({"users": [{"userName": "x@contoso.example", "shoeSize": 5}]}, 400),
            ({"users": [{"userName": "not-an-email"}]}, 400),
            ({"users": [{"userName": "x" * 129 + "@contoso.example"}]}, 400),
            ({"users": ["x@contoso.example"]}, 400),
            ({"users": {}}, 400),
            ({"verifiedDomains": [""]}, 400),
            ({"tenants": []}, 400),
            ({"users": [{"userName": "x@contoso.example"}], "seats": -1}, 400)):
        with pytest.raises(SeedError) as caught:
            account.seed(body)
        assert caught.value.status == status, body
        assert account.to_state() == before, body


def test_rate_limit_counts_per_virtual_second():
    lab = Lab()
    limit = RateLimit(lab.clock)
    assert all(limit.hit() is None for _ in range(50))
    limit.configure(2)
    assert [limit.hit(), limit.hit(), limit.hit()] == [None, None, 1]
    lab.clock.advance(seconds=1)
    assert limit.hit() is None
    assert limit.to_json() == {"requestsPerSecond": 2}


def test_account_operations_are_serialised(account):
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def create():
        barrier.wait()
        try:
            add(account, "race@contoso.example")
            outcomes.append("created")
        except UniquenessException:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 9 + ["created"]
