"""The GoTo account behind the fake GoToMeeting (SPEC §4.1): organization, verified e-mail domains,
users with GoTo roles and a status, groups, and GoToMeeting organizer seats.

One store: the users the SCIM API provisions are the account's users, the same ones that sign in on
the OAuth page. Each user keeps its SCIM representation (a scim2-models ``UserResource``) as the
source of truth for its attributes; the account adds what SCIM does not carry (GoTo's admin rank,
the sign-in password) and enforces GoTo's rules.

Simulator choices (GoTo does not publish these):

* Roles. GoTo's roles are ``superAdmin``, ``admin`` (Team admin), ``manager`` and ``member``. The
  SCIM ``roles`` value is the licence role Entra assigns: ``organizer`` (a GoTo ``member``) or
  ``manager``. A team administrator's admin rank is managed in GoTo's admin center, not through
  provisioning: it keeps its rank whatever ``roles`` says, and is seeded with ``manager``.
* Seats. Every active user holds one organizer seat, team administrators included; suspending
  (``active: false``) releases it, reactivating takes one. An unassigned ``active`` means active
  (GoTo's default status), so a ``remove`` of ``active`` does not suspend.
* The seat total may be set below the seats in use (``PUT /_admin/seats``): nobody is suspended, but
  no user can be created active or reactivated until enough seats are free.
* Users added through the lab's admin API (pre-existing GoTo users, ``POST /_admin/users`` and
  ``/_admin/seed``) must have unique user names but may be in any domain, and are not limited by seats.
* Groups: a member must be a user or a group of the account (400 ``invalidValue`` otherwise);
  group display names need not be unique. Deleting a user or a group removes its memberships.
* The ``LicenseLimitExceeded:`` prefix of the no-seat error is what the Entra side maps to its
  ``LicenseLimitExceeded`` error code.
"""
from __future__ import annotations

import hmac
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    Meta,
    Name,
    Role,
    ScimPolicy,
    UniquenessException,
)

from .scim.resources import (
    TOLERANT_POLICY,
    GoToEmail,
    UserResource,
    folded,
    user_name_key,
)

GOTO_ROLES = ("superAdmin", "admin", "manager", "member")
ADMIN_ROLES = ("superAdmin", "admin")
LICENCE_ROLES = ("organizer", "manager")
#: GoTo role of a user whose SCIM licence role is the key.
ROLE_OF_LICENCE = {"organizer": "member", "manager": "manager"}
#: SCIM licence role a GoTo role is provisioned as.
LICENCE_OF_ROLE = {"superAdmin": "manager", "admin": "manager", "manager": "manager", "member": "organizer"}

MAX_USER_NAME = 128
MAX_NAME_PART = 60
#: The product code GoTo lists for a GoToMeeting organizer licence.
ORGANIZER_PRODUCT = "G2M"


class SeedError(ValueError):
    """A lab-control request to add users that cannot be applied (400, or 409 for a duplicate)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def licence_role_of(resource: Any) -> str | None:
    """The licence role a SCIM user carries: its primary role, else its first one (lower case)."""
    return licence_role_in([(r.value, r.primary) for r in (resource.roles or [])])


def licence_role_in(roles: list[tuple[Any, Any]]) -> str | None:
    """``licence_role_of`` for roles given as ``(value, primary)`` pairs."""
    named = [(value, primary) for value, primary in roles if isinstance(value, str)]
    if not named:
        return None
    return next((value for value, primary in named if primary), named[0][0]).lower()


class AccountUser:
    """A user of the account.

    Simulator choice (memory, issue 7): the SCIM representation is kept as its compact JSON, about a
    fifth of the memory of the scim2-models object, so that an account of 100,000 users fits in a
    lab process; ``resource`` reads it back into a new ``UserResource`` on every access (which callers
    may change freely), and assigning ``resource`` stores a new representation. The attributes the
    account's rules and indexes read on every request (``user_name``, ``active``, ``licence_role``,
    ``display_name``, ``external_id``, ``created``, ``modified``) are kept beside it.
    """

    __slots__ = ("id", "admin_role", "password", "version", "_model", "_json", "user_name", "active",
                 "licence_role", "display_name", "external_id", "created", "modified")

    def __init__(self, id: str, resource: Any, admin_role: str | None = None, password: str | None = None,
                 version: int = 1):
        self.id = id
        self.admin_role = admin_role
        self.password = password
        self.version = version
        self.resource = resource

    @property
    def resource(self) -> Any:
        """The user's ``UserResource`` (with id and meta): a new object on each access."""
        return self._model.model_validate_json(self._json)

    @resource.setter
    def resource(self, value: Any) -> None:
        self._model = type(value)
        self._json = value.model_dump_json(exclude_none=True)
        self.user_name = value.user_name
        self.active = value.active is not False
        self.licence_role = licence_role_of(value)
        self.display_name = value.display_name
        self.external_id = value.external_id
        self.created = value.meta.created if value.meta is not None else None
        self.modified = value.meta.last_modified if value.meta is not None else None

    @classmethod
    def from_document(cls, id: str, model: Any, document: dict, created: datetime,
                      modified: datetime) -> "AccountUser":
        """A new user (version 1, no admin rank) stored as ``document``, the resource's JSON without
        null attributes in the order scim2-models dumps them, with ``id`` and ``meta`` set."""
        user = cls.__new__(cls)
        user.id, user.admin_role, user.password, user.version = id, None, None, 1
        user._model = model
        user._json = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        user.user_name = document["userName"]
        user.active = document.get("active") is not False
        user.licence_role = licence_role_in([(r.get("value"), r.get("primary")) for r in document.get("roles", ())])
        user.display_name = document.get("displayName")
        user.external_id = document.get("externalId")
        user.created, user.modified = created, modified
        return user

    @property
    def stored_json(self) -> str:
        """The stored representation: the resource's JSON without null attributes."""
        return self._json

    def __repr__(self) -> str:
        return f"AccountUser(id={self.id!r}, user_name={self.user_name!r}, version={self.version})"

    @property
    def status(self) -> str:
        return "active" if self.active else "suspended"

    @property
    def role(self) -> str:
        if self.admin_role:
            return self.admin_role
        return ROLE_OF_LICENCE.get(self.licence_role or "", "member")

    @property
    def is_team_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    def working_copy(self) -> Any:
        """A ``UserResource`` to change (the stored representation is untouched)."""
        return self.resource

    def to_state(self) -> dict:
        return {
            "id": self.id,
            "userName": self.user_name,
            "displayName": self.display_name,
            "externalId": self.external_id,
            "role": self.role,
            "licenceRole": self.licence_role,
            "active": self.active,
            "status": self.status,
            "teamAdmin": self.is_team_admin,
            "hasPassword": self.password is not None,
            "version": self.version,
        }


@dataclass
class AccountGroup:
    id: str
    resource: Any  # GroupResource with id and meta
    version: int = 1
    ordinal: int = 0  # creation order within the account

    @property
    def display_name(self) -> str:
        return self.resource.display_name

    @property
    def external_id(self) -> str | None:
        return self.resource.external_id

    @property
    def member_ids(self) -> list[str]:
        return [m.value for m in (self.resource.members or []) if m.value]

    def working_copy(self) -> Any:
        """A ``GroupResource`` to change (the stored one is untouched)."""
        return self.resource.model_copy(deep=True)

    def to_state(self) -> dict:
        return {"id": self.id, "displayName": self.display_name, "externalId": self.external_id,
                "members": self.member_ids, "version": self.version}


class RateLimit:
    """GoTo's API rate limit (documented default: 10 requests per second), off unless configured.

    Simulator choice: requests are counted per whole second of the lab's virtual clock, so with the
    manual clock every request falls into the same second until the clock is advanced.
    """

    def __init__(self, clock, per_second: float | None = None):
        self._clock = clock
        self._lock = threading.Lock()
        self.per_second = per_second
        self._second: int | None = None
        self._count = 0

    def configure(self, per_second: float | None) -> None:
        with self._lock:
            self.per_second = per_second
            self._second, self._count = None, 0

    def hit(self) -> int | None:
        """Count one request; the seconds to wait (``Retry-After``) when it is over the limit."""
        with self._lock:
            if self.per_second is None:
                return None
            second = int(self._clock.timestamp())
            if second != self._second:
                self._second, self._count = second, 0
            self._count += 1
            return 1 if self._count > self.per_second else None

    def to_json(self) -> dict:
        return {"requestsPerSecond": self.per_second}


_DATETIME = TypeAdapter(datetime)


def _json_datetime(moment: datetime) -> str:
    """``moment`` as pydantic writes it in a model's JSON."""
    return _DATETIME.dump_python(moment, mode="json")


def _check_length(label: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise InvalidValueException(
            detail=f"{label} is {len(value)} characters long; GoToMeeting accepts at most {limit}")


class Account:
    """The account's users, groups and seats, guarded by one lock (the servers are threaded).

    Every SCIM operation runs its checks and its change under ``lock``, so a rejected request leaves
    the account exactly as it was and concurrent requests see each other's results.
    """

    def __init__(self, config, clock, rand):
        self.config = config
        self.clock = clock
        self._rand = rand
        self.lock = threading.RLock()
        self.rate_limit = RateLimit(clock, config.rate_limit)
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------
    def reset(self) -> None:
        """An empty account, then the configured team administrator and plain member."""
        with self.lock:
            self.account_key = self.config.account_key
            self.organization = self.config.organization
            self.verified_domains = [d.lower() for d in self.config.verified_domains]
            self.seats_total = int(self.config.seats)
            self.seats_used = 0
            self.users: dict[str, AccountUser] = {}
            self.groups: dict[str, AccountGroup] = {}
            self._users_by_name: dict[str, set[str]] = {}
            self._users_by_external: dict[str, set[str]] = {}
            self._groups_by_member: dict[str, dict[str, None]] = {}
            self._groups_deleted = 0
            self.rate_limit.configure(self.config.rate_limit)
            for seed in (self.config.admin, self.config.member):
                self._insert_seed({"userName": seed.email, "password": seed.password,
                                   "givenName": seed.given_name, "familyName": seed.family_name,
                                   "role": seed.role})

    def new_id(self) -> str:
        """The next id of the seeded stream that no user or group holds (a lab whose shared random
        source was rewound after this account was seeded draws the same ids again)."""
        stream = self._rand.stream("gotomeeting.scim.ids")
        while True:
            candidate = stream.uuid()
            if candidate not in self.users and candidate not in self.groups:
                return candidate

    def now(self) -> datetime:
        return self.clock.now()

    # -- lookups ---------------------------------------------------------------------------------
    def get_user(self, user_id: str) -> AccountUser | None:
        return self.users.get(user_id)

    def get_group(self, group_id: str) -> AccountGroup | None:
        return self.groups.get(group_id)

    def users_named(self, user_name: str, policy: ScimPolicy = TOLERANT_POLICY) -> list[AccountUser]:
        """Users whose userName equals ``user_name`` under ``policy`` (an index hit, not a scan)."""
        key = user_name_key(user_name, policy)
        with self.lock:
            ids = self._users_by_name.get(folded(user_name), ())
            return [self.users[i] for i in ids if user_name_key(self.users[i].user_name, policy) == key]

    def users_with_external_id(self, external_id: str) -> list[AccountUser]:
        with self.lock:
            return [self.users[i] for i in self._users_by_external.get(external_id, ())]

    def find_by_username(self, user_name: str) -> AccountUser | None:
        """Case-insensitive lookup; an exact match wins if the quirk let two spellings coexist."""
        if not isinstance(user_name, str):
            return None
        found = self.users_named(user_name)
        exact = [u for u in found if u.user_name == user_name]
        return (exact or found or [None])[0]

    def authenticate(self, email: str, password: str) -> AccountUser | None:
        """The user signing in with ``email`` (any letter case) and ``password``; suspended users and
        users without a password cannot sign in."""
        user = self.find_by_username(email)
        if user is None or user.password is None or not user.active:
            return None
        if not hmac.compare_digest(user.password.encode(), (password or "").encode()):
            return None
        return user

    def groups_of(self, member_id: str) -> list[AccountGroup]:
        """The groups ``member_id`` (a user or a group) is a direct member of, oldest group first (an
        index hit, not a scan)."""
        with self.lock:
            found = [self.groups[g] for g in self._groups_by_member.get(member_id, ())]
            return sorted(found, key=lambda g: g.ordinal)

    # -- seats -----------------------------------------------------------------------------------
    def seats(self) -> dict:
        with self.lock:
            return {"total": self.seats_total, "used": self.seats_used,
                    "free": max(0, self.seats_total - self.seats_used)}

    def set_seats(self, total: int) -> dict:
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise SeedError("total must be a non-negative integer")
        with self.lock:
            self.seats_total = total
            return self.seats()

    # -- GoTo's rules ----------------------------------------------------------------------------
    def check_user(self, candidate: Any, *, current: AccountUser | None, policy: ScimPolicy) -> None:
        """Raise the SCIM error GoTo answers if ``candidate`` cannot become (or replace) a user.

        Nothing is changed; callers commit with ``insert_user``/``update_user`` under the same lock.
        """
        name = candidate.name
        self.check_user_values(
            candidate.user_name, name.given_name if name is not None else None,
            name.family_name if name is not None else None,
            [(role.value, role.primary) for role in candidate.roles or []],
            candidate.active, current=current, policy=policy)

    def check_user_values(self, user_name: Any, given_name: Any, family_name: Any, roles: list[tuple[Any, Any]],
                          active: Any, *, current: AccountUser | None, policy: ScimPolicy) -> None:
        """``check_user`` on the attributes it reads: ``roles`` as ``(value, primary)`` pairs."""
        if not isinstance(user_name, str) or not user_name.strip():
            raise InvalidValueException(detail="userName is required")
        _check_length("userName", user_name, MAX_USER_NAME)
        local, at, domain = user_name.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in user_name):
            raise InvalidValueException(
                detail=f"userName '{user_name}' is not an email address; GoToMeeting signs users in "
                       "with their email address")
        if domain.lower() not in self.verified_domains:
            raise InvalidValueException(detail=f"Email domain '{domain}' is not verified for this account")
        _check_length("name.givenName", given_name, MAX_NAME_PART)
        _check_length("name.familyName", family_name, MAX_NAME_PART)
        for value, _ in roles:
            if not isinstance(value, str) or value.lower() not in LICENCE_ROLES:
                raise InvalidValueException(
                    detail=f"Role '{value}' is not a GoToMeeting role; use 'organizer' or 'manager'")
        becomes_active = active is not False
        admin_rank = current is not None and current.admin_role is not None
        if becomes_active and licence_role_in(roles) is None and not admin_rank:
            raise InvalidValueException(
                detail="An active GoToMeeting user needs a role: 'organizer' or 'manager'")
        key = user_name_key(user_name, policy)
        for other_id in self._users_by_name.get(folded(user_name), ()):
            other = self.users[other_id]
            if (current is None or other_id != current.id) and user_name_key(other.user_name, policy) == key:
                raise UniquenessException(
                    detail=f"A user with userName '{other.user_name}' already exists in this account")
        was_active = current is not None and current.active
        if becomes_active and not was_active and self.seats_used >= self.seats_total:
            raise ForbiddenException(
                detail=f"LicenseLimitExceeded: all {self.seats_total} GoToMeeting organizer seats of "
                       f"this account are in use ({self.seats_used} active users)")

    def check_group(self, candidate: Any, *, current: AccountGroup | None) -> None:
        name = candidate.display_name
        if not isinstance(name, str) or not name.strip():
            raise InvalidValueException(detail="displayName is required")
        for member in candidate.members or []:
            value = member.value
            own = current is not None and value == current.id
            if not value or own or (value not in self.users and value not in self.groups):
                raise InvalidValueException(
                    detail=f"Member '{value}' is not a user or group of this account")

    # -- changes (callers hold ``lock`` and have run the checks) ------------------------------------
    def _meta(self, resource_type: str, created: datetime, version: int) -> Meta:
        return Meta(resource_type=resource_type, created=created, last_modified=self.now(),
                    version=f'W/"{version}"')

    def insert_user(self, candidate: Any, *, admin_role: str | None = None,
                    password: str | None = None) -> AccountUser:
        user_id = self.new_id()
        password = candidate.password if candidate.password is not None else password
        resource = candidate.model_copy(update={
            "id": user_id, "password": None, "meta": self._meta("User", self.now(), 1)})
        user = AccountUser(user_id, resource, admin_role=admin_role, password=password)
        self._index_user(user)
        return user

    def insert_document(self, model: Any, document: dict) -> AccountUser:
        """``insert_user`` of a ``model`` resource given as its stored JSON without ``id`` and ``meta``
        (keys in scim2-models' dump order, ``schemas`` first, ``externalId`` second when present)."""
        user_id = self.new_id()
        created = self.now()
        modified = self.now()
        meta = {"resourceType": "User", "created": _json_datetime(created),
                "lastModified": _json_datetime(modified), "version": 'W/"1"'}
        head = {"schemas": document["schemas"], "id": user_id}
        if "externalId" in document:
            head["externalId"] = document["externalId"]
        head["meta"] = meta
        head.update(document)
        user = AccountUser.from_document(user_id, model, head, created, modified)
        self._index_user(user)
        return user

    def update_user(self, user: AccountUser, candidate: Any) -> AccountUser:
        self._unindex_user(user)
        if candidate.password is not None:
            user.password = candidate.password
        user.version += 1
        user.resource = candidate.model_copy(update={
            "id": user.id, "password": None,
            "meta": self._meta("User", user.created, user.version)})
        self._index_user(user)
        return user

    def delete_user(self, user: AccountUser) -> None:
        self._unindex_user(user)
        del self.users[user.id]
        self._drop_memberships(user.id)

    def insert_group(self, candidate: Any) -> AccountGroup:
        group_id = self.new_id()
        resource = candidate.model_copy(update={"id": group_id, "meta": self._meta("Group", self.now(), 1)})
        group = AccountGroup(group_id, resource, ordinal=len(self.groups) + self._groups_deleted)
        self.groups[group_id] = group
        self._index_members(group)
        return group

    def update_group(self, group: AccountGroup, candidate: Any) -> AccountGroup:
        self._unindex_members(group)
        group.version += 1
        group.resource = candidate.model_copy(update={
            "id": group.id, "meta": self._meta("Group", group.resource.meta.created, group.version)})
        self._index_members(group)
        return group

    def delete_group(self, group: AccountGroup) -> None:
        self._unindex_members(group)
        del self.groups[group.id]
        self._groups_deleted += 1
        self._drop_memberships(group.id)

    def _drop_memberships(self, member_id: str) -> None:
        """Remove ``member_id`` from every group that lists it (a deleted user or group)."""
        for other in self.groups_of(member_id):
            kept = [m for m in other.resource.members if m.value != member_id]
            self.update_group(other, other.resource.model_copy(update={"members": kept or None}))

    def _index_members(self, group: AccountGroup) -> None:
        for member_id in group.member_ids:
            self._groups_by_member.setdefault(member_id, {})[group.id] = None

    def _unindex_members(self, group: AccountGroup) -> None:
        for member_id in group.member_ids:
            groups = self._groups_by_member.get(member_id)
            if groups is not None:
                groups.pop(group.id, None)
                if not groups:
                    del self._groups_by_member[member_id]

    def _index_user(self, user: AccountUser) -> None:
        self.users[user.id] = user
        self._users_by_name.setdefault(folded(user.user_name), set()).add(user.id)
        if user.external_id is not None:
            self._users_by_external.setdefault(user.external_id, set()).add(user.id)
        if user.active:
            self.seats_used += 1

    def _unindex_user(self, user: AccountUser) -> None:
        _discard(self._users_by_name, folded(user.user_name), user.id)
        if user.external_id is not None:
            _discard(self._users_by_external, user.external_id, user.id)
        if user.active:
            self.seats_used -= 1

    # -- lab control: pre-existing GoTo users ------------------------------------------------------
    def add_existing_user(self, spec: Any) -> AccountUser:
        """``POST /_admin/users``: a user that already exists in GoTo (for matching scenarios)."""
        with self.lock:
            return self._insert_seed(spec)

    def seed(self, body: dict) -> dict:
        """``POST /_admin/seed``: ``{"users": [...], "verifiedDomains": [...], "seats": N}``, all or nothing.

        Each user: ``userName`` (required), ``givenName``, ``familyName``, ``displayName``,
        ``externalId``, ``email``, ``role`` (superAdmin | admin | manager | member, default member),
        ``active`` (default true), ``password`` (to sign in on the OAuth page).
        """
        if not isinstance(body, dict):
            raise SeedError("the seed body must be a JSON object")
        unknown = sorted(set(body) - {"users", "verifiedDomains", "seats"})
        if unknown:
            raise SeedError(f"unknown seed keys {unknown}; known: users, verifiedDomains, seats")
        users = body.get("users", [])
        domains = body.get("verifiedDomains", [])
        if not isinstance(users, list):
            raise SeedError("users must be a list")
        if not isinstance(domains, list) or not all(isinstance(d, str) and d.strip() for d in domains):
            raise SeedError("verifiedDomains must be a list of domain names")
        with self.lock:
            specs = [self._seed_resource(spec) for spec in users]
            names = [folded(resource.user_name) for resource, _, _ in specs]
            if len(set(names)) != len(names):
                raise SeedError("the seed lists the same userName twice", 409)
            seats = self.set_seats(body["seats"]) if "seats" in body else self.seats()
            for domain in domains:
                if domain.lower() not in self.verified_domains:
                    self.verified_domains.append(domain.lower())
            added = [self.insert_user(resource, admin_role=rank, password=password)
                     for resource, rank, password in specs]
            return {"users": [{"id": u.id, "userName": u.user_name, "role": u.role} for u in added],
                    "verifiedDomains": list(self.verified_domains), "seats": seats}

    def _insert_seed(self, spec: Any) -> AccountUser:
        resource, rank, password = self._seed_resource(spec)
        return self.insert_user(resource, admin_role=rank, password=password)

    def _seed_resource(self, spec: Any) -> tuple[Any, str | None, str | None]:
        if not isinstance(spec, dict):
            raise SeedError("each user must be a JSON object")
        known = {"userName", "givenName", "familyName", "displayName", "externalId", "email", "role",
                 "active", "password"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise SeedError(f"unknown user keys {unknown}; known: {sorted(known)}")
        for key in known - {"active"}:
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise SeedError(f"{key} must be a string")
        user_name = spec.get("userName")
        if not user_name or "@" not in user_name:
            raise SeedError("userName (an email address) is required")
        role = spec.get("role") or "member"
        if role not in GOTO_ROLES:
            raise SeedError(f"role must be one of {list(GOTO_ROLES)}")
        active = spec.get("active", True)
        if not isinstance(active, bool):
            raise SeedError("active must be true or false")
        try:
            _check_length("userName", user_name, MAX_USER_NAME)
            _check_length("givenName", spec.get("givenName"), MAX_NAME_PART)
            _check_length("familyName", spec.get("familyName"), MAX_NAME_PART)
        except InvalidValueException as exc:
            raise SeedError(exc.detail) from None
        if self.users_named(user_name):
            raise SeedError(f"a user with userName '{user_name}' already exists", 409)
        given, family = spec.get("givenName"), spec.get("familyName")
        display = spec.get("displayName") or " ".join(p for p in (given, family) if p) or None
        resource = UserResource(
            user_name=user_name,
            external_id=spec.get("externalId"),
            name=Name(given_name=given, family_name=family) if (given or family) else None,
            display_name=display,
            active=active,
            emails=[GoToEmail(value=spec.get("email") or user_name, type="work", primary=True)],
            roles=[Role(value=LICENCE_OF_ROLE[role], primary=True)],
        )
        return resource, (role if role in ADMIN_ROLES else None), spec.get("password")

    # -- dump --------------------------------------------------------------------------------------
    def goto_extension(self, user: AccountUser) -> dict:
        return {"accountKey": self.account_key, "status": user.status,
                "products": [ORGANIZER_PRODUCT] if user.active else []}

    def to_state(self) -> dict:
        with self.lock:
            return {
                "accountKey": self.account_key,
                "organization": self.organization,
                "verifiedDomains": list(self.verified_domains),
                "seats": self.seats(),
                "rateLimit": self.rate_limit.to_json(),
                "users": [u.to_state() for u in self.users.values()],
                "groups": [g.to_state() for g in self.groups.values()],
            }


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(value)
        if not ids:
            del index[key]

