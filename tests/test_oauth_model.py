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


# -- authorization requests ----------------------------------------------------------------------

def start_error(server: OAuthServer, **params) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        server.start_authorization({k: v if isinstance(v, list) else [v] for k, v in params.items()})
    return info.value


def test_bad_client_or_redirect_uri_is_never_redirected(world):
    server, _, _ = world
    for params in ({"response_type": "code"},
                   {"client_id": "nope", "redirect_uri": REDIRECT, "response_type": "code"},
                   {"client_id": CLIENT, "redirect_uri": "https://evil.example/cb", "response_type": "code"},
                   {"client_id": CLIENT, "redirect_uri": REDIRECT + "/", "response_type": "code"},
                   {"client_id": [CLIENT, CLIENT], "redirect_uri": REDIRECT, "response_type": "code"}):
        assert start_error(server, **params).redirect is False, params


def test_bad_response_type_is_reported_to_the_redirect_uri(world):
    server, _, _ = world
    exc = start_error(server, client_id=CLIENT, redirect_uri=REDIRECT, response_type="token", state="s")
    assert (exc.error, exc.redirect, exc.request.state) == ("unsupported_response_type", True, "s")
    exc = start_error(server, client_id=CLIENT, redirect_uri=REDIRECT, state="s")
    assert exc.error == "invalid_request" and exc.redirect


def test_missing_redirect_uri_uses_the_only_registered_one(world):
    server, _, _ = world
    request = server.start_authorization({"client_id": [CLIENT], "response_type": ["code"]})
    assert (request.redirect_uri, request.redirect_uri_given, request.scope) == (REDIRECT, False,
                                                                                 "identity:scim.org")
    server.register_client(CLIENT, [REDIRECT, "https://second.example/cb"])
    assert start_error(server, client_id=CLIENT, response_type="code").redirect is False


def test_wrong_password_and_suspended_user_cannot_sign_in(world):
    server, _, account = world
    request = server.start_authorization({"client_id": [CLIENT], "response_type": ["code"]})
    assert server.sign_in(request, server.config.admin.email, "wrong") is None
    assert server.sign_in(request, "", "") is None
    account.users["u-admin"].active = False
    assert server.sign_in(request, server.config.admin.email, server.config.admin.password) is None


# -- authorization codes -------------------------------------------------------------------------

def exchange_error(server: OAuthServer, code, redirect_uri=REDIRECT, client_id=CLIENT) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        server.exchange_code(client(server, client_id), code, redirect_uri)
    return info.value


def test_code_exchange_returns_gotos_token_response(world):
    server, _, _ = world
    body = tokens(server).to_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["principal"] == server.config.admin.email
    assert body["account_key"] == server.config.account_key
    assert body["access_token"] != body["refresh_token"]


def test_reused_code_is_invalid_grant_and_revokes_its_tokens(world):
    server, _, _ = world
    code = authorize(server)
    grant = server.exchange_code(client(server), code, REDIRECT)
    assert exchange_error(server, code).error == "invalid_grant"
    assert bearer_error(server, f"Bearer {grant.access_token}").status == 401
    with pytest.raises(OAuthError):
        server.refresh(client(server), grant.refresh_token, None)


def test_code_expires_after_sixty_virtual_seconds(world):
    server, clock, _ = world
    code = authorize(server)
    clock.advance(seconds=60)
    exc = exchange_error(server, code)
    assert exc.error == "invalid_grant" and "expired" in exc.description


def test_code_of_another_client_or_other_redirect_uri_is_refused_and_stays_usable(world):
    server, _, _ = world
    code = authorize(server)
    assert exchange_error(server, code, "https://other.example/cb", "other-client").error == "invalid_grant"
    assert exchange_error(server, code, "http://127.0.0.1:8410/elsewhere").error == "invalid_grant"
    assert exchange_error(server, code, None).error == "invalid_request"
    assert exchange_error(server, "no-such-code").error == "invalid_grant"
    assert exchange_error(server, "").error == "invalid_request"
    assert server.exchange_code(client(server), code, REDIRECT).access_token


def test_wrong_client_secret_is_invalid_client_401(world):
    server, _, _ = world
    for client_id, secret in ((CLIENT, "wrong"), ("nope", "x"), (CLIENT, None)):
        with pytest.raises(OAuthError) as info:
            server.authenticate_client(client_id, secret)
        assert (info.value.error, info.value.status) == ("invalid_client", 401)


def test_codes_and_tokens_follow_the_seed(world):
    server, _, account = world
    same = OAuthServer(GoToMeetingConfig(), VirtualClock(), SeededRandom(7), account)
    other = OAuthServer(GoToMeetingConfig(), VirtualClock(), SeededRandom(8), account)
    assert [authorize(server), tokens(server).access_token] == [authorize(same), tokens(same).access_token]
    assert authorize(server) != authorize(other)


# -- refresh -------------------------------------------------------------------------------------

def refresh_error(server: OAuthServer, refresh_token, client_id=CLIENT, scope=None) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        server.refresh(client(server, client_id), refresh_token, scope)
    return info.value


def test_refresh_rotates_the_refresh_token(world):
    server, clock, _ = world
    first = tokens(server)
    clock.advance(minutes=61)
    second = server.refresh(client(server), first.refresh_token, None)
    assert second.refresh_token != first.refresh_token
    assert server.authenticate_bearer(f"Bearer {second.access_token}").id == "u-admin"
    assert refresh_error(server, first.refresh_token).error == "invalid_grant"
    assert server.refresh(client(server), second.refresh_token, None).access_token


def test_refresh_token_of_another_client_expired_or_unknown(world):
    server, clock, _ = world
    grant = tokens(server)
    assert refresh_error(server, grant.refresh_token, "other-client").error == "invalid_grant"
    assert refresh_error(server, grant.access_token).error == "invalid_grant"
    assert refresh_error(server, None).error == "invalid_request"
    assert refresh_error(server, grant.refresh_token, scope="identity:scim.org more").error == "invalid_scope"
    clock.advance(minutes=60 * 24 * 30)
    assert "expired" in refresh_error(server, grant.refresh_token).description


def test_refresh_of_a_suspended_user_is_invalid_grant(world):
    server, _, account = world
    grant = tokens(server)
    account.users["u-admin"].active = False
    assert refresh_error(server, grant.refresh_token).error == "invalid_grant"
    account.users["u-admin"].active = True
    assert server.refresh(client(server), grant.refresh_token, None).access_token


# -- revocation ----------------------------------------------------------------------------------

def test_revoking_a_refresh_token_revokes_its_grant_only(world):
    server, _, _ = world
    grant, other = tokens(server), tokens(server)
    assert server.revoke_token(grant.refresh_token).to_json() == {"revoked": 2, "access": 1, "refresh": 1,
                                                                  "static": 0}
    assert refresh_error(server, grant.refresh_token).error == "invalid_grant"
    assert bearer_error(server, f"Bearer {grant.access_token}").status == 401
    assert server.authenticate_bearer(f"Bearer {other.access_token}").id == "u-admin"
    assert server.revoke_token("unknown").to_json()["revoked"] == 0


def test_revoke_by_user_and_all(world):
    server, _, _ = world
    cfg = server.config
    admin = tokens(server)
    server.issue_static_token()
    member_code = authorize(server, email=cfg.member.email, password=cfg.member.password)
    server.exchange_code(client(server), member_code, REDIRECT)
    assert server.revoke_user(cfg.admin.email.upper()).to_json() == {"revoked": 3, "access": 1,
                                                                     "refresh": 1, "static": 1}
    assert bearer_error(server, f"Bearer {admin.access_token}").status == 401
    with pytest.raises(LookupError):
        server.revoke_user("nobody@contoso.example")
    assert server.revoke_all().to_json()["revoked"] == 2
    assert server.revoke_all().to_json()["revoked"] == 0


def test_reset_forgets_tokens_but_keeps_registered_clients(world):
    server, _, _ = world
    grant = tokens(server)
    server.reset()
    assert bearer_error(server, f"Bearer {grant.access_token}").status == 401
    assert "other-client" in [c["clientId"] for c in server.list_clients()]


def test_state_counts_tokens_and_never_shows_a_secret(world):
    server, clock, _ = world
    grant = tokens(server)
    static = server.issue_static_token()
    authorize(server)
    state = server.to_state()
    assert state["tokens"]["issued"] == {"access": 1, "refresh": 1, "static": 1}
    assert state["codes"] == {"issued": 2, "pending": 1}
    clock.advance(minutes=61)
    assert server.to_state()["tokens"]["valid"] == {"access": 0, "refresh": 1, "static": 1}
    text = repr(state)
    for secret in (grant.access_token, grant.refresh_token, static.value, "entra-lab-client-secret",
                   "other-secret"):
        assert secret not in text


def test_concurrent_exchanges_of_one_code_issue_tokens_once(world):
    from concurrent.futures import ThreadPoolExecutor

    server, _, _ = world
    code = authorize(server)

    def exchange(_):
        try:
            return server.exchange_code(client(server), code, REDIRECT)
        except OAuthError as exc:
            return exc.error

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(exchange, range(16)))
    assert sorted(r for r in results if isinstance(r, str)) == ["invalid_grant"] * 15
    assert server.to_state()["tokens"]["issued"]["access"] == 1
