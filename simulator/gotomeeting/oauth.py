"""GoToMeeting's OAuth 2.0 authorization server (SPEC §4.2, RFC 6749, RFC 6750): the model.

``OAuthServer`` holds the registered clients, the authorization codes and the issued tokens, and knows
nothing of Flask; ``oauth_views`` turns HTTP into calls of its operations (``start_authorization``,
``sign_in``, ``deny``, ``exchange_code``, ``refresh``, ``authenticate_bearer``...).

Every code and token is drawn from the lab's seeded source (``rand.stream("gotomeeting.oauth.*")``)
and every lifetime is measured on the lab's virtual clock.
"""
from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..core.clock import iso
from ..core.errors import LabHTTPError
from .state import GoToMeetingConfig, OAuthClient

#: Simulator choice: the scope granted when the authorization request names none (GoTo's SCIM scope).
DEFAULT_SCOPE = "identity:scim.org"
#: Simulator choice: refresh tokens live 30 days on the virtual clock, as GoTo's do.
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
REALM = "GoToMeeting"


class OAuthError(Exception):
    """An RFC 6749 error raised by the model; views render it in their surface's shape.

    ``error`` is the RFC 6749 code (``invalid_grant``...), ``status`` the HTTP status the token endpoint
    answers, ``redirect`` whether the authorization endpoint may report it to the client's redirect URI
    (RFC 6749 §4.1.2.1: never for a bad client or redirect URI), ``request`` the validated part of the
    authorization request it belongs to, when there is one.
    """

    def __init__(self, error: str, description: str, status: int = 400, *, redirect: bool = True,
                 headers: dict | None = None, request: "AuthorizationRequest | None" = None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.redirect = redirect
        self.headers = headers or {}
        self.request = request


@dataclass
class AuthorizationRequest:
    """A validated ``/oauth/authorize`` request: the client and where to send the answer."""

    client_id: str
    client_name: str
    redirect_uri: str
    redirect_uri_given: bool
    state: str | None
    scope: str


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    redirect_uri_given: bool
    user_id: str
    scope: str
    grant_id: str
    expires_at: datetime
    used: bool = False


@dataclass
class TokenRecord:
    value: str
    kind: str  # access | refresh | static
    user_id: str
    client_id: str | None
    scope: str
    grant_id: str | None
    issued_at: datetime
    expires_at: datetime | None
    revoked: bool = False


@dataclass
class TokenGrant:
    """What ``exchange_code``/``refresh`` return: the token response of RFC 6749 §5.1, plus the user."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    user: Any
    account_key: str

    def to_json(self) -> dict:
        """GoTo's token response: RFC 6749 §5.1 plus ``principal`` and ``account_key`` (and GoTo's
        ``organizer_key``/``email`` for clients written against GoTo's own documentation)."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "principal": self.user.user_name,
            "account_key": self.account_key,
            "organizer_key": self.user.id,
            "email": self.user.user_name,
        }


@dataclass
class RevokeCounts:
    access: int = 0
    refresh: int = 0
    static: int = 0

    def add(self, record: TokenRecord) -> None:
        setattr(self, record.kind, getattr(self, record.kind) + 1)

    def to_json(self) -> dict:
        return {"revoked": self.access + self.refresh + self.static,
                "access": self.access, "refresh": self.refresh, "static": self.static}


@dataclass
class _Store:
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    grants: int = 0


def bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    """The ``WWW-Authenticate`` value of RFC 6750 §3: no error attribute when no token was sent."""
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return value


def _unauthorized(description: str) -> LabHTTPError:
    return LabHTTPError(401, description, None,
                        headers={"WWW-Authenticate": bearer_challenge("invalid_token", description)})


class OAuthServer:
    """Clients, codes and tokens of the fake GoToMeeting.

    Simulator choices:
    - client registrations are configuration: ``reset()`` forgets codes and tokens, not the clients
      registered with ``register_client`` (a test fixture registers Entra's callback URL once per run);
    - redirect URIs compare as exact strings (RFC 6749 §3.1.2.3); a request without ``redirect_uri``
      uses the client's only registered URI, and is refused when it has several;
    - refresh rotates the refresh token: the old one is invalid afterwards, the access tokens already
      issued stay valid until they expire;
    - revoking a refresh token revokes every token of its grant (RFC 7009 §2.1); revoking an access
      token revokes that token only;
    - a rejected token request changes nothing (a code presented by the wrong client or with the wrong
      redirect URI stays usable by the right one), except a reused code, which revokes every token
      issued from it (RFC 6749 §4.1.2).
    """

    def __init__(self, config: GoToMeetingConfig, clock, rand, account):
        self.config = config
        self.clock = clock
        self.rand = rand
        self.account = account
        self._lock = threading.RLock()
        self._store = _Store()

    # -- lab control ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._store = _Store()

    def to_state(self) -> dict:
        """Counts and clients, never a secret: no token, code or client secret appears here."""
        with self._lock:
            now = self.clock.now()
            counts = {"access": 0, "refresh": 0, "static": 0}
            live = dict(counts)
            for record in self._store.tokens.values():
                counts[record.kind] += 1
                if self._is_live(record, now):
                    live[record.kind] += 1
            return {
                "clients": self.list_clients(),
                "tokens": {"issued": counts, "valid": live},
                "codes": {"issued": len(self._store.codes),
                          "pending": sum(1 for c in self._store.codes.values()
                                         if not c.used and c.expires_at > now)},
            }

    # -- clients -------------------------------------------------------------------------------
    def list_clients(self) -> list[dict]:
        with self._lock:
            return [{"clientId": c.client_id, "name": c.name, "redirectUris": list(c.redirect_uris),
                     "clientSecret": "REDACTED"} for c in self.config.clients]

    def register_client(self, client_id: str, redirect_uris: list[str], client_secret: str | None = None,
                        name: str | None = None) -> tuple[dict, bool]:
        """Create or update a client; returns (the client, redacted; whether it was created)."""
        with self._lock:
            client = self._client(client_id)
            created = client is None
            if created:
                if client_secret is None:
                    raise ValueError("clientSecret is required to register a new client")
                client = OAuthClient(client_id, client_secret, list(redirect_uris))
                if name:
                    client.name = name
                self.config.clients.append(client)
            else:
                client.redirect_uris = list(redirect_uris)
                if client_secret is not None:
                    client.client_secret = client_secret
                if name:
                    client.name = name
            return next(c for c in self.list_clients() if c["clientId"] == client_id), created

    def remove_client(self, client_id: str) -> bool:
        with self._lock:
            client = self._client(client_id)
            if client is None:
                return False
            self.config.clients.remove(client)
            return True

    def _client(self, client_id: str | None) -> OAuthClient | None:
        return next((c for c in self.config.clients if c.client_id == client_id), None)

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        """RFC 6749 §2.3.1; an unknown client and a wrong secret answer alike (``invalid_client``)."""
        with self._lock:
            client = self._client(client_id)
            if client is None or client_secret is None or not hmac.compare_digest(
                    client.client_secret.encode(), client_secret.encode()):
                raise OAuthError("invalid_client", "Client authentication failed: unknown client or "
                                 "wrong client secret.", 401)
            return client

    # -- authorization endpoint ----------------------------------------------------------------
    def start_authorization(self, params: dict[str, list[str]]) -> AuthorizationRequest:
        """Validate an authorization request (RFC 6749 §4.1.1, §4.1.2.1).

        A missing or unknown client, or a redirect URI not registered for it, raises an
        ``OAuthError`` with ``redirect=False`` (the page must not redirect); any other problem raises
        one with ``request`` set, to be reported to the client's redirect URI.
        """
        def one(name: str) -> str | None:
            values = params.get(name) or []
            if len(values) > 1:
                raise OAuthError("invalid_request", f"The parameter {name} is repeated.",
                                 redirect=name not in ("client_id", "redirect_uri"))
            return values[0] if values else None

        client_id = one("client_id")
        if not client_id:
            raise OAuthError("invalid_request", "The request has no client_id.", redirect=False)
        redirect_uri = one("redirect_uri")
        with self._lock:
            client = self._client(client_id)
            if client is None:
                raise OAuthError("invalid_client", f"The client '{client_id}' is not registered with "
                                 "GoTo.", redirect=False)
            if redirect_uri is None:
                if len(client.redirect_uris) != 1:
                    raise OAuthError("invalid_request", "The request has no redirect_uri and the client "
                                     "registered several.", redirect=False)
                chosen = client.redirect_uris[0]
            elif redirect_uri not in client.redirect_uris:
                raise OAuthError("invalid_request", f"The redirect URI '{redirect_uri}' is not registered "
                                 f"for the client '{client_id}'.", redirect=False)
            else:
                chosen = redirect_uri
        request = AuthorizationRequest(client_id, client.name, chosen, redirect_uri is not None,
                                       None, DEFAULT_SCOPE)
        try:
            request.state = one("state")
            scope = one("scope")
            if scope is not None and scope.strip():
                request.scope = " ".join(scope.split())
            response_type = one("response_type")
            if not response_type:
                raise OAuthError("invalid_request", "The request has no response_type.")
            if response_type != "code":
                raise OAuthError("unsupported_response_type",
                                 f"The response_type '{response_type}' is not supported; use 'code'.")
        except OAuthError as exc:
            exc.request = request
            raise
        return request

    def sign_in(self, request: AuthorizationRequest, email: str, password: str):
        """Check the login form's credentials; returns the user, or None when they are wrong.

        A suspended user cannot sign in (it answers like a wrong password). Any active user may sign
        in, a plain member too: the token is issued and the SCIM API then answers 403.
        """
        if not email or not password:
            return None
        user = self.account.authenticate(email.strip(), password)
        if user is None or not user.active:
            return None
        return user

    def issue_code(self, request: AuthorizationRequest, user) -> str:
        """An authorization code for ``user``: single use, ``config.code_lifetime`` seconds, bound to
        the client, the redirect URI and the user."""
        with self._lock:
            code = self.rand.stream("gotomeeting.oauth.codes").token(24)
            self._store.grants += 1
            self._store.codes[code] = AuthorizationCode(
                code=code, client_id=request.client_id, redirect_uri=request.redirect_uri,
                redirect_uri_given=request.redirect_uri_given, user_id=user.id, scope=request.scope,
                grant_id=f"grant-{self._store.grants}",
                expires_at=self.clock.now() + timedelta(seconds=self.config.code_lifetime))
            return code

    # -- token endpoint ------------------------------------------------------------------------
    def exchange_code(self, client: OAuthClient, code: str | None, redirect_uri: str | None) -> TokenGrant:
        """The authorization_code grant (RFC 6749 §4.1.3)."""
        if not code:
            raise OAuthError("invalid_request", "The request has no code.")
        with self._lock:
            found = self._store.codes.get(code)
            if found is None:
                raise OAuthError("invalid_grant", "The authorization code is not valid.")
            if found.client_id != client.client_id:
                raise OAuthError("invalid_grant", "The authorization code was issued to another client.")
            if found.used:
                revoked = self._revoke_where(lambda r: r.grant_id == found.grant_id)
                raise OAuthError("invalid_grant", "The authorization code was already used; the tokens "
                                 f"issued from it are revoked ({revoked.to_json()['revoked']}).")
            if self.clock.now() >= found.expires_at:
                raise OAuthError("invalid_grant", "The authorization code expired.")
            if found.redirect_uri_given and redirect_uri is None:
                raise OAuthError("invalid_request", "The request has no redirect_uri, but the "
                                 "authorization request had one.")
            if redirect_uri is not None and redirect_uri != found.redirect_uri:
                raise OAuthError("invalid_grant", "The redirect_uri does not match the one of the "
                                 "authorization request.")
            user = self._active_user(found.user_id)
            found.used = True
            return self._issue_pair(client.client_id, user, found.scope, found.grant_id)

    def refresh(self, client: OAuthClient, refresh_token: str | None, scope: str | None) -> TokenGrant:
        """The refresh_token grant (RFC 6749 §6); rotates the refresh token."""
        if not refresh_token:
            raise OAuthError("invalid_request", "The request has no refresh_token.")
        with self._lock:
            record = self._store.tokens.get(refresh_token)
            if record is None or record.kind != "refresh":
                raise OAuthError("invalid_grant", "The refresh token is not valid.")
            if record.client_id != client.client_id:
                raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
            if record.revoked:
                raise OAuthError("invalid_grant", "The refresh token was revoked or already used.")
            if record.expires_at is not None and self.clock.now() >= record.expires_at:
                raise OAuthError("invalid_grant", "The refresh token expired.")
            granted = record.scope
            if scope is not None and scope.strip():
                asked = set(scope.split())
                if not asked <= set(granted.split()):
                    raise OAuthError("invalid_scope", "The requested scope exceeds the scope granted.")
                granted = " ".join(s for s in granted.split() if s in asked)
            user = self._active_user(record.user_id)
            record.revoked = True
            return self._issue_pair(client.client_id, user, granted, record.grant_id)

    def _active_user(self, user_id: str):
        user = self.account.get_user(user_id)
        if user is None or not user.active:
            raise OAuthError("invalid_grant", "The user of this grant no longer exists or is suspended.")
        return user

    def _issue_pair(self, client_id: str, user, scope: str, grant_id: str) -> TokenGrant:
        now = self.clock.now()
        stream = self.rand.stream("gotomeeting.oauth.tokens")
        access = self._add(TokenRecord(stream.token(32), "access", user.id, client_id, scope, grant_id, now,
                                       now + timedelta(seconds=self.config.access_token_lifetime)))
        refresh = self._add(TokenRecord(stream.token(32), "refresh", user.id, client_id, scope, grant_id,
                                        now, now + REFRESH_TOKEN_LIFETIME))
        return TokenGrant(access.value, refresh.value, self.config.access_token_lifetime, scope, user,
                          self.config.account_key)

    def _add(self, record: TokenRecord) -> TokenRecord:
        self._store.tokens[record.value] = record
        return record

    # -- static tokens -------------------------------------------------------------------------
    def issue_static_token(self, email: str | None = None) -> TokenRecord:
        """A SecretToken for the non-gallery template and vendor demos: it authenticates as the team
        administrator (or as ``email``), and never expires unless revoked."""
        user = self.account.find_by_username(email or self.config.admin.email)
        if user is None:
            raise LookupError(f"There is no GoTo user '{email}'.")
        if not user.active:
            raise LookupError(f"The GoTo user '{email}' is suspended.")
        with self._lock:
            token = self.rand.stream("gotomeeting.oauth.static").token(32)
            return self._add(TokenRecord(token, "static", user.id, None, DEFAULT_SCOPE, None,
                                         self.clock.now(), None))

    # -- revocation ----------------------------------------------------------------------------
    def revoke_token(self, token: str) -> RevokeCounts:
        """Revoke one token; a refresh token takes the whole grant with it (RFC 7009 §2.1)."""
        with self._lock:
            record = self._store.tokens.get(token)
            if record is None:
                return RevokeCounts()
            if record.kind == "refresh":
                return self._revoke_where(lambda r: r.grant_id == record.grant_id)
            return self._revoke_where(lambda r: r is record)

    def revoke_user(self, email: str) -> RevokeCounts:
        user = self.account.find_by_username(email)
        if user is None:
            raise LookupError(f"There is no GoTo user '{email}'.")
        with self._lock:
            return self._revoke_where(lambda r: r.user_id == user.id)

    def revoke_all(self) -> RevokeCounts:
        with self._lock:
            return self._revoke_where(lambda r: True)

    def _revoke_where(self, predicate) -> RevokeCounts:
        counts = RevokeCounts()
        for record in self._store.tokens.values():
            if not record.revoked and predicate(record):
                record.revoked = True
                counts.add(record)
        return counts

    # -- resource server -----------------------------------------------------------------------
    @staticmethod
    def _is_live(record: TokenRecord, now: datetime) -> bool:
        return not record.revoked and (record.expires_at is None or now < record.expires_at)

    def authenticate_bearer(self, header_value: str | None):
        """The user behind an ``Authorization: Bearer`` header (RFC 6750 §2.1, §3.1).

        Raises ``LabHTTPError`` 401 with a ``WWW-Authenticate`` challenge when the header is missing
        (no error attribute), malformed, or names a token that is unknown, a refresh token, expired on
        the virtual clock, revoked, or whose user was deleted or suspended since; 403 when the user is
        not a team administrator.
        """
        if header_value is None or not header_value.strip():
            raise LabHTTPError(401, "The request has no Authorization header; send a GoTo access token "
                               "as 'Bearer <token>'.", None,
                               headers={"WWW-Authenticate": bearer_challenge()})
        scheme, _, token = header_value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise _unauthorized("The Authorization header is not of the form 'Bearer <token>'.")
        with self._lock:
            record = self._store.tokens.get(token)
            if record is None or record.kind == "refresh":
                raise _unauthorized("The access token is not valid.")
            if record.revoked:
                raise _unauthorized("The access token was revoked.")
            if record.expires_at is not None and self.clock.now() >= record.expires_at:
                raise _unauthorized(f"The access token expired at {iso(record.expires_at)}.")
            user_id = record.user_id
        user = self.account.get_user(user_id)
        if user is None:
            raise _unauthorized("The user of this access token no longer exists.")
        if not user.active:
            raise _unauthorized("The user of this access token is suspended.")
        if not user.is_team_admin:
            raise LabHTTPError(403, "The authenticated user is not a team administrator")
        return user


from .oauth_views import oauth_blueprint, render_oauth_error  # noqa: E402  (the views use the model above)

__all__ = ["OAuthServer", "OAuthError", "oauth_blueprint", "render_oauth_error"]
