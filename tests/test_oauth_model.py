"""Unit tests of the GoToMeeting OAuth model: codes, tokens, rotation, revocation, bearer checks."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from simulator.core.clock import VirtualClock
from simulator.core.errors import LabHTTPError
from simulator.core.rand import SeededRandom
from simulator.gotomeeting.oauth import OAuthError, OAuthServer
from simulator.gotomeeting.state import GoToMeetingConfig

REDIRECT = "http://127.0.0.1:8410/portal/TokenAuthorize"
CLIENT = "entra-provisioning-lab"


@dataclass
class FakeUser:
    id: str
    user_name: str
    role: str
    password: str
    active: bool = True

    @property
    def is_team_admin(self) -> bool:
        return self.role in ("admin", "superAdmin")


class FakeAccount:
    """The account interface the OAuth server uses: authenticate, get_user, find_by_username."""

    def __init__(self, *users: FakeUser):
        self.users = {u.id: u for u in users}

    def authenticate(self, email, password):
        user = self.find_by_username(email)
        return user if user is not None and user.password == password else None

    def get_user(self, user_id):
        return self.users.get(user_id)

    def find_by_username(self, email):
        return next((u for u in self.users.values() if u.user_name.lower() == (email or "").lower()), None)


@pytest.fixture
def world():
    config = GoToMeetingConfig()
    clock = VirtualClock()
    account = FakeAccount(
        FakeUser("u-admin", config.admin.email, "admin", config.admin.password),
        FakeUser("u-member", config.member.email, "member", config.member.password))
    server = OAuthServer(config, clock, SeededRandom(7), account)
    server.register_client("other-client", ["https://other.example/cb"], "other-secret")
    return server, clock, account


def authorize(server: OAuthServer, client_id=CLIENT, redirect_uri=REDIRECT, email=None, password=None):
    request = server.start_authorization({"client_id": [client_id], "redirect_uri": [redirect_uri],
                                          "response_type": ["code"], "state": ["s1"]})
    cfg = server.config
    user = server.sign_in(request, email or cfg.admin.email, password or cfg.admin.password)
    assert user is not None
    return server.issue_code(request, user)


def client(server: OAuthServer, client_id=CLIENT):
    secret = {CLIENT: "entra-lab-client-secret", "other-client": "other-secret"}[client_id]
    return server.authenticate_client(client_id, secret)


def tokens(server: OAuthServer):
    return server.exchange_code(client(server), authorize(server), REDIRECT)


def bearer_error(server: OAuthServer, header):
    with pytest.raises(LabHTTPError) as info:
        server.authenticate_bearer(header)
    return info.value


# -- bearer authentication -----------------------------------------------------------------------

def test_valid_access_token_authenticates_the_team_admin(world):
    server, _, _ = world
    grant = tokens(server)
    assert server.authenticate_bearer(f"Bearer {grant.access_token}").id == "u-admin"
    assert server.authenticate_bearer(f"bearer {grant.access_token}").id == "u-admin"


def test_missing_header_is_401_without_error_attribute(world):
    server, _, _ = world
    for header in (None, "", "   "):
        exc = bearer_error(server, header)
        assert exc.status == 401
        assert exc.extra["headers"]["WWW-Authenticate"] == 'Bearer realm="GoToMeeting"'


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "token-only",
                                    "Bearer not-a-token"])
def test_garbled_or_unknown_token_is_401_invalid_token(world, header):
    server, _, _ = world
    exc = bearer_error(server, header)
    assert exc.status == 401
    challenge = exc.extra["headers"]["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="GoToMeeting", error="invalid_token", error_description="')


def test_access_token_expires_on_the_virtual_clock(world):
    server, clock, _ = world
    grant = tokens(server)
    clock.advance(seconds=3599)
    assert server.authenticate_bearer(f"Bearer {grant.access_token}").id == "u-admin"
    clock.advance(seconds=1)
    exc = bearer_error(server, f"Bearer {grant.access_token}")
    assert exc.status == 401 and "expired" in exc.message


def test_refresh_token_is_not_a_bearer_token(world):
    server, _, _ = world
    assert bearer_error(server, f"Bearer {tokens(server).refresh_token}").status == 401


def test_revoked_access_token_is_401(world):
    server, _, _ = world
    grant = tokens(server)
    assert server.revoke_token(grant.access_token).to_json() == {"revoked": 1, "access": 1, "refresh": 0,
                                                                 "static": 0}
    exc = bearer_error(server, f"Bearer {grant.access_token}")
    assert exc.status == 401 and "revoked" in exc.message


def test_member_token_is_issued_but_forbidden(world):
    server, _, _ = world
    cfg = server.config
    code = authorize(server, email=cfg.member.email, password=cfg.member.password)
    grant = server.exchange_code(client(server), code, REDIRECT)
    assert grant.to_json()["principal"] == cfg.member.email
    exc = bearer_error(server, f"Bearer {grant.access_token}")
    assert exc.status == 403
    assert exc.message == "The authenticated user is not a team administrator"


def test_suspended_or_deleted_user_token_is_401(world):
    server, _, account = world
    grant = tokens(server)
    account.users["u-admin"].active = False
    assert bearer_error(server, f"Bearer {grant.access_token}").status == 401
    account.users["u-admin"].active = True
    del account.users["u-admin"]
    assert bearer_error(server, f"Bearer {grant.access_token}").status == 401


def test_static_token_is_the_admin_and_never_expires_until_revoked(world):
    server, clock, _ = world
    static = server.issue_static_token()
    assert static.expires_at is None
    clock.advance(minutes=60 * 24 * 365)
    assert server.authenticate_bearer(f"Bearer {static.value}").id == "u-admin"
    assert server.revoke_token(static.value).static == 1
    assert bearer_error(server, f"Bearer {static.value}").status == 401


def test_static_token_for_a_named_user_and_unknown_user(world):
    server, _, _ = world
    member = server.issue_static_token(server.config.member.email)
    assert bearer_error(server, f"Bearer {member.value}").status == 403
    with pytest.raises(LookupError):
        server.issue_static_token("nobody@contoso.example")
