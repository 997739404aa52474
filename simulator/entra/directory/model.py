"""The tenant's directory: users, groups, memberships, managers, deleted items, and the change feed.

A pure model: it knows Graph's rules and shapes of data, not HTTP. Backend methods are named after the
Graph operations (``create_user``, ``add_group_member``, ``restore_deleted_item``...) and return the
directory objects; errors are :class:`DirectoryError` with Graph's status, code and message, which the
views render in the Graph envelope.

Lookups by id and by user principal name are dictionary hits. Every write appends to the change feed
(:mod:`.changes`) and, once the write is complete and the lock released, tells the subscribers.

Deletion follows Entra ID [doc]: deleting a user (or a Microsoft 365 group) moves it to the deleted
items, where it can be restored or purged, and it is purged automatically 30 days after deletion
(virtual clock). Simulator choice: as in Entra, a security group (no ``Unified`` in ``groupTypes``)
is not recoverable; deleting it purges it at once. Due purges run lazily on every call and from a clock
listener, so advancing the lab clock purges what fell due before the admin call returns.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from ...core.clock import iso
from ..odata import (BOOLEAN, DEFAULT_PAGE_SIZE, STRING, STRING_COLLECTION, EntityType, InvalidTokenError,
                     ODataQuery, Page, TokenSigner, paginate)
from .changes import Change, ChangeFeed, WatermarkExpired
from .schema import GROUP, GROUP_REQUIRED, USER, USER_REQUIRED

log = logging.getLogger("simulator.entra.directory")

#: Entra keeps deleted users and Microsoft 365 groups for 30 days [doc].
PURGE_AFTER = timedelta(days=30)
#: Delta links for identity resources live seven days [doc: Graph delta query overview].
DELTA_TOKEN_LIFETIME = timedelta(days=7)

#: Graph adds at most 20 members in one request (``members@odata.bind``) [doc: Add members].
MAX_BOUND_MEMBERS = 20
_MEMBER_EXISTS = ("One or more added object references already exist for the following modified properties: "
                  "'members'.")

ID_STREAM = "entra.directory.ids"
TOKEN_STREAM = "entra.directory.tokens"
PASSWORD_STREAM = "entra.directory.password-key"

Subscriber = Callable[[str, str, str], None]


class DirectoryError(Exception):
    """A request the directory refuses, with Graph's status, error code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(key: str) -> DirectoryError:
    return DirectoryError(404, "Request_ResourceNotFound",
                          f"Resource '{key}' does not exist or one of its queried reference-property "
                          f"objects are not present.")


def bad_request(message: str, code: str = "Request_BadRequest") -> DirectoryError:
    return DirectoryError(400, code, message)


def invalid_value(prop: str, resource: str) -> DirectoryError:
    return bad_request(f"Invalid value specified for property '{prop}' of resource '{resource}'.")


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(text) == 36


# ----------------------------------------------------------------------------------------------
# Directory objects
# ----------------------------------------------------------------------------------------------
class DirectoryObject:
    """One directory object. ``props`` holds its Graph properties and is replaced, never mutated, on
    every update, so a reader holding it sees a consistent snapshot without taking the lock."""

    object_type = ""
    entity: EntityType

    def __init__(self, object_id: str, props: dict, ordinal: int):
        self.id = object_id
        self.props = props
        self.ordinal = ordinal
        self.deleted_at: datetime | None = None

    def get(self, name: str) -> Any:
        return self.props.get(name)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def odata_type(self) -> str:
        return f"#{self.entity.name}"

    def properties(self) -> dict:
        """Every Graph property, in the type's canonical order (copies of lists)."""
        out = {}
        for name in self.entity.names:
            value = self.props.get(name)
            out[name] = list(value) if isinstance(value, list) else value
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.props.get('displayName')!r}>"


class User(DirectoryObject):
    object_type = "user"
    entity = USER

    def __init__(self, object_id: str, props: dict, ordinal: int):
        super().__init__(object_id, props, ordinal)
        self.manager_id: str | None = None

    @property
    def user_principal_name(self) -> str:
        return self.props["userPrincipalName"]

    @property
    def account_enabled(self) -> bool:
        return bool(self.props.get("accountEnabled"))

    @property
    def display_name(self) -> str:
        return self.props.get("displayName") or ""


class Group(DirectoryObject):
    object_type = "group"
    entity = GROUP

    def __init__(self, object_id: str, props: dict, ordinal: int):
        super().__init__(object_id, props, ordinal)
        #: Direct members in the order they were added: id -> object type.
        self.members: dict[str, str] = {}

    @property
    def display_name(self) -> str:
        return self.props.get("displayName") or ""

    @property
    def recoverable(self) -> bool:
        return "Unified" in (self.props.get("groupTypes") or [])


@dataclass
class DeltaItem:
    """One entry of a delta page: the object as it is now, or a removal marker."""

    object_id: str
    object_type: str
    obj: DirectoryObject | None
    #: None for a present object, "changed" (soft-deleted, restorable) or "deleted" (gone for good).
    removed: str | None = None
    #: Groups only: (member id, member type, removed?) changes, or None when not asked for.
    members_delta: list[tuple[str, str, bool]] | None = None


@dataclass
class DeltaPage:
    items: list[DeltaItem]
    #: Exactly one of the two is set: the next page's ``$skiptoken`` or the round's ``$deltatoken``.
    skip_token: str | None = None
    delta_token: str | None = None
    select: tuple[str, ...] | None = None
    include_members: bool = True


@dataclass
class _Session:
    events: list[tuple[str, str, str]] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------------------------
_UPN_LOCAL_EXTRA = set(".-_!#^~'+&$%*/=?`{|}")
_NICKNAME_FORBIDDEN = set('@()\\[]";:<>, ')


def _password_ok(password: str) -> bool:
    """Entra's cloud password policy: 8 to 256 characters, three of the four character classes."""
    if not 8 <= len(password) <= 256:
        return False
    classes = (any(c.islower() for c in password), any(c.isupper() for c in password),
               any(c.isdigit() for c in password), any(not c.isalnum() for c in password))
    return sum(classes) >= 3


class _Validator:
    """Checks one create/update body against a type; raises DirectoryError before anything changes."""

    def __init__(self, entity: EntityType, required: tuple[str, ...], *, extra_writable: tuple[str, ...] = (),
                 not_null: tuple[str, ...] = ()):
        self.entity = entity
        self.required = required
        self.extra = extra_writable
        self.not_null = not_null

    def check(self, body: Any, *, creating: bool, optional: tuple[str, ...] = ()) -> None:
        """What every type shares: a JSON object of known, writable, well-typed properties, the required
        ones present on create, a sensible display name and mail nickname."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.", code="BadRequest")
        self.check_keys(body)
        if creating:
            for name in self.required:
                if name not in optional and body.get(name) in (None, ""):
                    raise bad_request(f"Property {name} value is required but is empty or missing.")
        self.check_types(body)
        resource = self.entity.resource
        if "displayName" in body:
            value = body["displayName"]
            if not isinstance(value, str) or not value.strip() or len(value) > 256:
                raise invalid_value("displayName", resource)
        if "mailNickname" in body:
            value = body["mailNickname"]
            if not isinstance(value, str) or not value or len(value) > 64 or any(
                    c in _NICKNAME_FORBIDDEN or ord(c) > 127 for c in value):
                raise invalid_value("mailNickname", resource)
        for name in self.not_null:
            if name in body and body[name] is None:
                raise invalid_value(name, resource)

    def check_keys(self, body: dict) -> None:
        by_name = self.entity.by_name
        for key in body:
            if key in self.extra or key.startswith("@odata."):
                continue
            prop = by_name.get(key)
            if prop is None:
                raise bad_request(
                    f"The property '{key}' does not exist on type '{self.entity.name}'. Make sure to only "
                    f"use property names that are defined by the type or mark the type as open type.",
                    code="BadRequest")
            if prop.read_only:
                raise bad_request(f"Property '{key}' is read-only and cannot be set.")

    def check_types(self, body: dict) -> None:
        by_name = self.entity.by_name
        for key, value in body.items():
            prop = by_name.get(key)
            if prop is None or value is None:
                continue
            if prop.type == STRING:
                if not isinstance(value, str):
                    raise invalid_value(key, self.entity.resource)
            elif prop.type == BOOLEAN:
                if not isinstance(value, bool):
                    raise bad_request(f"Cannot convert the literal '{value}' to the expected type "
                                      f"'Edm.Boolean'.", code="BadRequest")
            elif prop.type == STRING_COLLECTION and not (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise invalid_value(key, self.entity.resource)


_USER_VALIDATOR = _Validator(USER, USER_REQUIRED, extra_writable=("passwordProfile",), not_null=("accountEnabled",))
_USER_WRITABLE = frozenset(p.name for p in USER.props if not p.read_only)
_GROUP_WRITABLE = frozenset(p.name for p in GROUP.props if not p.read_only)
_GROUP_VALIDATOR = _Validator(GROUP, GROUP_REQUIRED, not_null=("mailEnabled", "securityEnabled"))


# ----------------------------------------------------------------------------------------------
# The directory
# ----------------------------------------------------------------------------------------------
class Directory:
    def __init__(self, clock, rand, domain: str | list[str] | tuple[str, ...] = "contoso.example", *,
                 retention: int | None = None, listen: bool = True):
        self._clock = clock
        self._rand = rand
        domains = [domain] if isinstance(domain, str) else list(domain)
        if not domains:
            raise ValueError("a directory needs at least one verified domain")
        self.domains: list[str] = [d.lower() for d in domains]
        self._lock = threading.RLock()
        self._feed = ChangeFeed(retention) if retention else ChangeFeed()
        self._subscribers: list[Subscriber] = []
        self._listening = False
        self._init_state()
        if listen:
            clock.add_listener(self._on_clock)
            self._listening = True

    # -- lifecycle --------------------------------------------------------------------------------
    def _init_state(self) -> None:
        self._objects: dict[str, DirectoryObject] = {}
        self._users_by_ordinal: list[User | None] = []
        self._groups_by_ordinal: list[Group | None] = []
        self._upn: dict[str, str] = {}
        self._deleted: dict[str, DirectoryObject] = {}
        self._purge_queue: deque[tuple[datetime, str]] = deque()
        self._member_of: dict[str, dict[str, None]] = {}
        self._reports: dict[str, dict[str, None]] = {}
        self._purged_types: dict[str, str] = {}
        #: Salted hashes of the passwords set through ``passwordProfile`` (sign-in checks them; never dumped).
        self._password_hashes: dict[str, bytes] = {}
        self._password_key = self._rand.stream(PASSWORD_STREAM).bytes(32)
        self._feed.clear()
        self._signer = TokenSigner(self._rand.stream(TOKEN_STREAM).bytes(32))

    def reset(self) -> None:
        """Empty the directory (after ``lab.reset()``: the token key is drawn again from its stream)."""
        with self._lock:
            self._init_state()

    def close(self) -> None:
        """Stop listening to the clock (a directory that is being replaced)."""
        if self._listening:
            self._clock.remove_listener(self._on_clock)
            self._listening = False

    @property
    def signer(self) -> TokenSigner:
        """Signs the directory's skip and delta tokens; list views of other parts of the tenant may
        share it."""
        return self._signer

    @property
    def default_domain(self) -> str:
        return self.domains[0]

    def subscribe(self, callback: Subscriber) -> None:
        """``callback(event, object_type, object_id)`` after each write, outside the directory's lock."""
        with self._lock:
            if callback not in self._subscribers:
                self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

    @contextmanager
    def _session(self) -> Iterator[_Session]:
        session = _Session()
        with self._lock:
            self._purge_due(session, self._clock.now())
            yield session
            subscribers = list(self._subscribers)
        for event in session.events:
            for callback in subscribers:
                try:
                    callback(*event)
                except Exception:  # a subscriber's failure must not undo a completed write
                    log.exception("directory subscriber failed on %s", event)

    def _emit(self, session: _Session, event: str, object_type: str, object_id: str,
              member_id: str | None = None) -> None:
        self._feed.append(object_type, object_id, event, member_id)
        session.events.append((event, object_type, object_id))

    def _new_id(self) -> str:
        return self._rand.stream(ID_STREAM).uuid()

    def _now(self) -> datetime:
        return self._clock.now()

    # -- change feed ------------------------------------------------------------------------------
    def record_change(self, object_type: str, object_id: str, kind: str = "updated") -> Change:
        """Record a change made elsewhere in the tenant (an app role assignment, say) in the feed."""
        with self._session() as session:
            change = self._feed.append(object_type, object_id, kind)
            session.events.append((kind, object_type, object_id))
        return change

    def current_seq(self) -> int:
        return self._feed.current_seq()

    def changes_since(self, seq: int, until: int | None = None) -> list[Change]:
        """Changes after watermark ``seq``; raises :class:`WatermarkExpired` when it is too old."""
        with self._session():
            return self._feed.changes_since(seq, until)

    # -- purging ----------------------------------------------------------------------------------
    def _on_clock(self, now: datetime) -> None:
        self.purge_expired(now)

    def purge_expired(self, now: datetime | None = None) -> list[str]:
        """Purge every deleted item whose 30 days have run out by ``now``; returns the purged ids."""
        session = _Session()
        with self._lock:
            purged = self._purge_due(session, now or self._now())
            subscribers = list(self._subscribers)
        for event in session.events:
            for callback in subscribers:
                try:
                    callback(*event)
                except Exception:
                    log.exception("directory subscriber failed on %s", event)
        return purged

    def _purge_due(self, session: _Session, now: datetime) -> list[str]:
        purged = []
        queue = self._purge_queue
        while queue and queue[0][0] <= now:
            _, object_id = queue.popleft()
            obj = self._deleted.get(object_id)
            if obj is not None and obj.deleted_at is not None and obj.deleted_at + PURGE_AFTER <= now:
                self._purge(session, obj)
                purged.append(object_id)
        return purged

    def _purge(self, session: _Session, obj: DirectoryObject) -> None:
        self._deleted.pop(obj.id, None)
        self._objects.pop(obj.id, None)
        if isinstance(obj, User):
            self._users_by_ordinal[obj.ordinal] = None
            self._upn.pop(obj.user_principal_name.lower(), None)
            if obj.manager_id:
                self._reports.get(obj.manager_id, {}).pop(obj.id, None)
            for report_id in list(self._reports.pop(obj.id, {})):
                report = self._objects.get(report_id)
                if isinstance(report, User) and report.manager_id == obj.id:
                    report.manager_id = None
                    self._emit(session, "updated", "user", report_id)
        else:
            assert isinstance(obj, Group)
            self._groups_by_ordinal[obj.ordinal] = None
            for member_id in obj.members:
                self._member_of.get(member_id, {}).pop(obj.id, None)
        for group_id in list(self._member_of.pop(obj.id, {})):
            group = self._objects.get(group_id)
            if isinstance(group, Group) and group.members.pop(obj.id, None) is not None:
                self._emit(session, "memberRemoved", "group", group_id, obj.id)
        self._purged_types[obj.id] = obj.object_type
        self._emit(session, "purged", obj.object_type, obj.id)

    # -- lookups ------------------------------------------------------------------------------------
    def _live(self, key: str, kind: type | tuple = DirectoryObject) -> DirectoryObject:
        obj = self._objects.get(key.lower()) if isinstance(key, str) else None
        if obj is None and isinstance(key, str) and kind in (User, DirectoryObject):
            user_id = self._upn.get(key.lower())
            obj = self._objects.get(user_id) if user_id else None
        if obj is None or obj.is_deleted or not isinstance(obj, kind):
            raise not_found(key)
        return obj

    def get_user(self, key: str) -> User:
        """A live user by id or user principal name (both case-insensitive)."""
        with self._session():
            return self._live(key, User)  # type: ignore[return-value]

    def find_user(self, key: str) -> User | None:
        try:
            return self.get_user(key)
        except DirectoryError:
            return None

    def get_group(self, group_id: str) -> Group:
        with self._session():
            return self._live(group_id, Group)  # type: ignore[return-value]

    def get_object(self, object_id: str) -> DirectoryObject:
        """A live user or group by id (``/directoryObjects/{id}``)."""
        with self._session():
            return self._live(object_id, (User, Group))

    def find_object(self, object_id: str) -> DirectoryObject | None:
        """Any object by id, live or deleted (None once purged)."""
        with self._lock:
            return self._objects.get(object_id.lower())

    def user_count(self) -> int:
        with self._lock:
            return len(self._upn)

    def iter_users(self) -> Iterator[User]:
        """Every live user, in creation order (a snapshot)."""
        with self._session():
            users = [u for u in self._users_by_ordinal if u is not None and not u.is_deleted]
        return iter(users)

    def iter_groups(self) -> Iterator[Group]:
        with self._session():
            groups = [g for g in self._groups_by_ordinal if g is not None and not g.is_deleted]
        return iter(groups)

    # -- validation -------------------------------------------------------------------------------
    def _check_upn(self, upn: Any, own_id: str | None = None) -> str:
        if not isinstance(upn, str) or upn.count("@") != 1 or len(upn) > 113 + 1 + 255:
            raise invalid_value("userPrincipalName", "User")
        local, domain = upn.split("@")
        if (not local or local.startswith(".") or local.endswith(".") or ".." in local
                or not all((c.isascii() and c.isalnum()) or c in _UPN_LOCAL_EXTRA for c in local)
                or len(local) > 64):
            raise invalid_value("userPrincipalName", "User")
        if domain.lower() not in self.domains:
            raise bad_request("The domain portion of the userPrincipalName property is invalid. You must use "
                              "one of the verified domain names in your organization.")
        holder = self._upn.get(upn.lower())
        if holder is not None and holder != own_id:
            raise bad_request("Another object with the same value for property userPrincipalName already "
                              "exists.")
        return upn

    @staticmethod
    def _check_password_profile(value: Any) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("password"), str) or set(value) - {
                "password", "forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa"}:
            raise invalid_value("passwordProfile", "User")
        if not _password_ok(value["password"]):
            raise bad_request("The specified password does not comply with password complexity requirements. "
                              "Please provide a different password.")

    def _check_user_body(self, body: dict, *, creating: bool, own_id: str | None = None,
                         require_password: bool = True) -> None:
        _USER_VALIDATOR.check(body, creating=creating, optional=() if require_password else ("passwordProfile",))
        if "passwordProfile" in body and (body["passwordProfile"] is not None or creating):
            self._check_password_profile(body["passwordProfile"])
        if "mail" in body and body["mail"] is not None and body["mail"].count("@") != 1:
            raise invalid_value("mail", "User")
        if "userPrincipalName" in body:
            self._check_upn(body["userPrincipalName"], own_id)

    @staticmethod
    def _check_group_body(body: dict, *, creating: bool) -> None:
        _GROUP_VALIDATOR.check(body, creating=creating)
        for group_type in body.get("groupTypes") or []:
            if group_type not in ("Unified", "DynamicMembership"):
                raise invalid_value("groupTypes", "Group")

    # -- users --------------------------------------------------------------------------------------
    def create_user(self, body: dict, *, require_password: bool = True, object_id: str | None = None) -> User:
        """``POST /users``. ``passwordProfile`` is checked and dropped: it is write-only and never stored.

        ``require_password=False`` creates a user the way directory synchronisation does (seeding,
        fixtures): without a password profile.
        """
        with self._session() as session:
            self._check_user_body(body, creating=True, require_password=require_password)
            user = self._insert_user(session, body, object_id=object_id)
            self._remember_password(user.id, body.get("passwordProfile"))
            return user

    def _remember_password(self, user_id: str, profile: Any) -> None:
        if isinstance(profile, dict) and isinstance(profile.get("password"), str):
            self._password_hashes[user_id] = self._password_hash(user_id, profile["password"])

    def _password_hash(self, user_id: str, password: str) -> bytes:
        return hmac.new(self._password_key, f"{user_id}\0{password}".encode(), hashlib.sha256).digest()

    def check_password(self, user_id: str, password: str) -> bool | None:
        """Whether ``password`` is the one the user's ``passwordProfile`` set; None for a user created
        without one (directory synchronisation: seeded and fixture users)."""
        with self._lock:
            stored = self._password_hashes.get(user_id)
        if stored is None:
            return None
        return hmac.compare_digest(stored, self._password_hash(user_id, password or ""))

    def import_users(self, bodies: list[dict], managers: list[int | None] | None = None) -> list[User]:
        """Create many users in one step, as directory synchronisation does (no password profiles): the
        lab's bulk path for seeding. ``managers[i]`` is the index, within ``bodies``, of user i's manager
        (an earlier entry). All or nothing: every body is checked before the first user is created.
        """
        managers = managers if managers is not None else [None] * len(bodies)
        if len(managers) != len(bodies) or any(m is not None and not 0 <= m < i for i, m in enumerate(managers)):
            raise ValueError("managers must name earlier entries of the batch")
        with self._session() as session:
            upns: set[str] = set()
            for body in bodies:
                self._check_user_body(body, creating=True, require_password=False)
                if body["userPrincipalName"].lower() in upns:
                    raise bad_request("Another object with the same value for property userPrincipalName "
                                      "already exists.")
                upns.add(body["userPrincipalName"].lower())
            created = iso(self._now())
            users: list[User] = []
            for body, manager in zip(bodies, managers):
                user = self._insert_user(session, body, created, record=False)
                if manager is not None:
                    user.manager_id = users[manager].id
                    self._reports.setdefault(user.manager_id, {})[user.id] = None
                self._emit(session, "created", "user", user.id)
                users.append(user)
            return users

    def _insert_user(self, session: _Session, body: dict, created: str | None = None, *,
                     record: bool = True, object_id: str | None = None) -> User:
        object_id = object_id or self._new_id()
        props: dict[str, Any] = dict.fromkeys(USER.names)
        props.update({k: (list(v) if isinstance(v, list) else v) for k, v in body.items() if k in _USER_WRITABLE})
        props["id"] = object_id
        props["businessPhones"] = props["businessPhones"] or []
        props["userType"] = props["userType"] or "Member"
        props["createdDateTime"] = created or iso(self._now())
        user = User(object_id, props, len(self._users_by_ordinal))
        self._users_by_ordinal.append(user)
        self._objects[object_id] = user
        self._upn[props["userPrincipalName"].lower()] = object_id
        if record:
            self._emit(session, "created", "user", object_id)
        return user

    def update_user(self, key: str, body: dict) -> User:
        """``PATCH /users/{id}``. Only a real change is recorded in the change feed."""
        with self._session() as session:
            user = self._live(key, User)
            self._check_user_body(body, creating=False, own_id=user.id)
            changes = {k: (list(v) if isinstance(v, list) else v) for k, v in body.items()
                       if k in _USER_WRITABLE and user.props.get(k) != v}
            if "businessPhones" in changes and changes["businessPhones"] is None:
                changes["businessPhones"] = []
            if body.get("passwordProfile") is not None:
                self._remember_password(user.id, body["passwordProfile"])
            if not changes:
                return user  # type: ignore[return-value]
            if "userPrincipalName" in changes:
                self._upn.pop(user.get("userPrincipalName").lower(), None)
                self._upn[changes["userPrincipalName"].lower()] = user.id
            user.props = {**user.props, **changes}
            self._emit(session, "updated", "user", user.id)
            return user  # type: ignore[return-value]

    def delete_user(self, key: str) -> User:
        """``DELETE /users/{id}``: a soft delete into the deleted items."""
        with self._session() as session:
            user = self._live(key, User)
            self._soft_delete(session, user)
            return user  # type: ignore[return-value]

    def _soft_delete(self, session: _Session, obj: DirectoryObject) -> None:
        now = self._now()
        obj.deleted_at = now
        obj.props = {**obj.props, "deletedDateTime": iso(now)}
        if isinstance(obj, User):
            self._upn.pop(obj.user_principal_name.lower(), None)
        self._deleted[obj.id] = obj
        self._purge_queue.append((now + PURGE_AFTER, obj.id))
        self._emit(session, "softDeleted", obj.object_type, obj.id)

    def list_users(self, query: ODataQuery, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
        """``GET /users`` with its OData options, in creation order unless ``$orderby`` says otherwise."""
        with self._session():
            return paginate(query, self._positions(self._users_by_ordinal), self._signer,
                            scope="users", page_size=page_size)

    @staticmethod
    def _positions(slots: list) -> Callable[[int], Iterator[tuple[int, Any]]]:
        def positions(after: int) -> Iterator[tuple[int, Any]]:
            for pos in range(max(after + 1, 0), len(slots)):
                obj = slots[pos]
                if obj is not None and obj.deleted_at is None:
                    yield pos, obj
        return positions

    # -- manager ------------------------------------------------------------------------------------
    def get_manager(self, key: str) -> User:
        with self._session():
            user = self._live(key, User)
            manager = self._objects.get(user.manager_id or "")  # type: ignore[union-attr]
            if manager is None or manager.is_deleted:
                raise not_found("manager")
            return manager  # type: ignore[return-value]

    def set_manager(self, key: str, manager_key: str) -> User:
        """``PUT /users/{id}/manager/$ref``.

        Simulator choice: a user cannot be their own manager (400); Graph's text for it is not published.
        """
        with self._session() as session:
            user = self._live(key, User)
            manager = self._live(manager_key, User)
            if manager.id == user.id:
                raise bad_request("A user cannot be their own manager.")
            if user.manager_id == manager.id:  # type: ignore[union-attr]
                return user  # type: ignore[return-value]
            if user.manager_id:  # type: ignore[union-attr]
                self._reports.get(user.manager_id, {}).pop(user.id, None)  # type: ignore[union-attr]
            user.manager_id = manager.id  # type: ignore[union-attr]
            self._reports.setdefault(manager.id, {})[user.id] = None
            self._emit(session, "updated", "user", user.id)
            return user  # type: ignore[return-value]

    def remove_manager(self, key: str) -> User:
        with self._session() as session:
            user = self._live(key, User)
            if not user.manager_id:  # type: ignore[union-attr]
                raise not_found("manager")
            self._reports.get(user.manager_id, {}).pop(user.id, None)  # type: ignore[union-attr]
            user.manager_id = None  # type: ignore[union-attr]
            self._emit(session, "updated", "user", user.id)
            return user  # type: ignore[return-value]

    def list_direct_reports(self, key: str) -> list[User]:
        with self._session():
            user = self._live(key, User)
            reports = [self._objects[r] for r in self._reports.get(user.id, {})]
            return [r for r in reports if not r.is_deleted]  # type: ignore[misc]

    def list_member_of(self, key: str) -> list[Group]:
        """The groups an object is a direct member of (``GET /users/{id}/memberOf``)."""
        with self._session():
            obj = self._live(key, (User, Group))
            groups = [self._objects[g] for g in self._member_of.get(obj.id, {})]
            return [g for g in groups if not g.is_deleted]  # type: ignore[misc]

    # -- groups -------------------------------------------------------------------------------------
    def create_group(self, body: dict) -> Group:
        """``POST /groups``. ``mail`` is derived from ``mailNickname`` for mail-enabled groups."""
        with self._session() as session:
            self._check_group_body(body, creating=True)
            object_id = self._new_id()
            props: dict[str, Any] = dict.fromkeys(GROUP.names)
            props.update({k: (list(v) if isinstance(v, list) else v) for k, v in body.items()
                          if k in _GROUP_WRITABLE})
            props["id"] = object_id
            props["groupTypes"] = props["groupTypes"] or []
            props["createdDateTime"] = iso(self._now())
            props["mail"] = self._group_mail(props)
            group = Group(object_id, props, len(self._groups_by_ordinal))
            self._groups_by_ordinal.append(group)
            self._objects[object_id] = group
            self._emit(session, "created", "group", object_id)
            return group

    def _group_mail(self, props: dict) -> str | None:
        return f"{props['mailNickname']}@{self.default_domain}" if props.get("mailEnabled") else None

    def update_group(self, group_id: str, body: dict, add_members: list[str] | tuple[str, ...] = ()) -> Group:
        """``PATCH /groups/{id}``: properties, and ``add_members`` (the ids that ``members@odata.bind``
        names, at most :data:`MAX_BOUND_MEMBERS`: Graph's limit for adding several members in one
        request). All or nothing: every member is checked as ``add_group_member`` checks one before
        anything changes; each added member is one ``memberAdded`` change."""
        with self._session() as session:
            group = self._live(group_id, Group)
            self._check_group_body(body, creating=False)
            members = self._members_to_add(group, add_members)  # type: ignore[arg-type]
            changes = {k: (list(v) if isinstance(v, list) else v) for k, v in body.items()
                       if k in _GROUP_WRITABLE and group.props.get(k) != v}
            if changes:
                props = {**group.props, **changes}
                props["groupTypes"] = props["groupTypes"] or []
                props["mail"] = self._group_mail(props)
                group.props = props
                self._emit(session, "updated", "group", group.id)
            for member in members:
                self._attach_member(session, group, member)  # type: ignore[arg-type]
            return group  # type: ignore[return-value]

    def _members_to_add(self, group: Group, member_ids: list[str] | tuple[str, ...]) -> list[DirectoryObject]:
        """The live users and groups ``member_ids`` name, checked for a bulk add (nothing changes).

        Simulator choice: more than 20 references in one request is 400 ``Request_BadRequest``; Graph
        documents the limit but not its message.
        """
        if len(member_ids) > MAX_BOUND_MEMBERS:
            raise bad_request(f"At most {MAX_BOUND_MEMBERS} members can be added in one request; this one "
                              f"adds {len(member_ids)}.")
        found: dict[str, DirectoryObject] = {}
        for member_id in member_ids:
            member = self._live(member_id, (User, Group))
            if member.id == group.id:
                raise bad_request("A group cannot be a member of itself.")
            if member.id in group.members or member.id in found:
                raise bad_request(_MEMBER_EXISTS)
            found[member.id] = member
        return list(found.values())

    def _attach_member(self, session: _Session, group: Group, member: DirectoryObject) -> None:
        group.members[member.id] = member.object_type
        self._member_of.setdefault(member.id, {})[group.id] = None
        self._emit(session, "memberAdded", "group", group.id, member.id)

    def delete_group(self, group_id: str) -> Group:
        """``DELETE /groups/{id}``: Microsoft 365 groups go to the deleted items, others are purged."""
        with self._session() as session:
            group = self._live(group_id, Group)
            if group.recoverable:  # type: ignore[union-attr]
                self._soft_delete(session, group)
            else:
                group.deleted_at = self._now()
                self._purge(session, group)
            return group  # type: ignore[return-value]

    def list_groups(self, query: ODataQuery, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
        with self._session():
            return paginate(query, self._positions(self._groups_by_ordinal), self._signer,
                            scope="groups", page_size=page_size)

    def add_group_member(self, group_id: str, member_id: str) -> Group:
        """``POST /groups/{id}/members/$ref``: a user or a group (nesting is allowed in the directory).

        Simulator choice: a group cannot be its own member (400); Graph's text for it is not published.
        """
        with self._session() as session:
            group = self._live(group_id, Group)
            member = self._members_to_add(group, (member_id,))[0]  # type: ignore[arg-type]
            self._attach_member(session, group, member)  # type: ignore[arg-type]
            return group  # type: ignore[return-value]

    def remove_group_member(self, group_id: str, member_id: str) -> Group:
        with self._session() as session:
            group = self._live(group_id, Group)
            key = member_id.lower()
            member = self._objects.get(key)
            if key not in group.members or member is None or member.is_deleted:  # type: ignore[union-attr]
                raise not_found(member_id)
            del group.members[key]  # type: ignore[union-attr]
            self._member_of.get(key, {}).pop(group.id, None)
            self._emit(session, "memberRemoved", "group", group.id, key)
            return group  # type: ignore[return-value]

    def list_group_members(self, group_id: str, query: ODataQuery,
                           page_size: int = DEFAULT_PAGE_SIZE) -> Page:
        """``GET /groups/{id}/members``: direct members only, in the order they were added."""
        with self._session():
            group = self._live(group_id, Group)
            members = [self._objects[m] for m in group.members]  # type: ignore[union-attr]

            def positions(after: int) -> Iterator[tuple[int, Any]]:
                for pos in range(max(after + 1, 0), len(members)):
                    if not members[pos].is_deleted:
                        yield pos, members[pos]

            return paginate(query, positions, self._signer, scope=f"members:{group.id}",
                            page_size=page_size)

    def group_member_ids(self, group_id: str) -> list[str]:
        """Ids of the live direct members (users and groups) of a live group."""
        with self._session():
            group = self._live(group_id, Group)
            return [m for m in group.members if not self._objects[m].is_deleted]  # type: ignore[union-attr]

    # -- deleted items ------------------------------------------------------------------------------
    def list_deleted_items(self, object_type: str, query: ODataQuery,
                           page_size: int = DEFAULT_PAGE_SIZE) -> Page:
        """``GET /directory/deletedItems/microsoft.graph.user`` (or ``.group``), in deletion order."""
        with self._session():
            items = [o for o in self._deleted.values() if o.object_type == object_type]

            def positions(after: int) -> Iterator[tuple[int, Any]]:
                for pos in range(max(after + 1, 0), len(items)):
                    yield pos, items[pos]

            return paginate(query, positions, self._signer, scope=f"deleted:{object_type}",
                            page_size=page_size)

    def _deleted_item(self, object_id: str) -> DirectoryObject:
        obj = self._deleted.get(object_id.lower())
        if obj is None:
            raise not_found(object_id)
        return obj

    def get_deleted_item(self, object_id: str) -> DirectoryObject:
        with self._session():
            return self._deleted_item(object_id)

    def restore_deleted_item(self, object_id: str) -> DirectoryObject:
        """``POST /directory/deletedItems/{id}/restore``: back with its memberships and manager."""
        with self._session() as session:
            obj = self._deleted_item(object_id)
            if isinstance(obj, User):
                self._check_upn(obj.user_principal_name)
                self._upn[obj.user_principal_name.lower()] = obj.id
            del self._deleted[obj.id]
            obj.deleted_at = None
            obj.props = {**obj.props, "deletedDateTime": None}
            self._emit(session, "restored", obj.object_type, obj.id)
            return obj

    def purge_deleted_item(self, object_id: str) -> DirectoryObject:
        """``DELETE /directory/deletedItems/{id}``: the hard delete."""
        with self._session() as session:
            obj = self._deleted_item(object_id)
            self._purge(session, obj)
            return obj

    # -- delta ----------------------------------------------------------------------------------------
    def users_delta(self, token: str | None = None, *, kind: str = "delta",
                    select: tuple[str, ...] | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> DeltaPage:
        """``GET /users/delta``. See :meth:`_delta`."""
        return self._delta("user", token, kind, select, False, page_size)

    def groups_delta(self, token: str | None = None, *, kind: str = "delta",
                     select: tuple[str, ...] | None = None, include_members: bool = True,
                     page_size: int = DEFAULT_PAGE_SIZE) -> DeltaPage:
        """``GET /groups/delta``: groups carry ``members@delta`` unless a ``$select`` leaves it out."""
        return self._delta("group", token, kind, select, include_members, page_size)

    def _delta(self, object_type: str, token: str | None, kind: str, select, include_members: bool,
               page_size: int) -> DeltaPage:
        """One page of a delta round.

        Without a token a round starts: every live object, page by page, and at the end a delta token
        that holds the change sequence at the round's start. With ``kind="delta"`` and that token the
        next round returns what changed since, each object once in its present state, soft-deleted
        users as ``@removed`` "changed" and purged objects as "deleted". ``token="latest"`` returns no
        objects, only a delta token for now. Tokens carry the ``$select`` of the round.

        [doc] Delta tokens expire after seven days (400 ``syncStateNotFound``). Simulator choice: a token
        this lab did not issue, or one that was altered, is a 400 ``BadRequest`` "Badly formed token.".
        """
        with self._session():
            now = self._now()
            if token is None:
                upper = self._feed.current_seq()
                state = {"k": "init", "t": object_type, "u": upper, "a": -1, "i": _epoch(now)}
                return self._delta_page(object_type, state, select, include_members, page_size)
            if token == "latest" and kind == "delta":
                return DeltaPage([], delta_token=self._signer.encode(
                    {"k": "delta", "t": object_type, "f": self._feed.current_seq(), "i": _epoch(now),
                     "s": list(select) if select else None, "m": include_members}),
                    select=select, include_members=include_members)
            try:
                state = self._signer.decode(token)
            except InvalidTokenError:
                raise bad_request("Badly formed token.", code="BadRequest") from None
            expected = ("delta",) if kind == "delta" else ("init", "changes")
            if state.get("t") != object_type or state.get("k") not in expected:
                raise bad_request("Badly formed token.", code="BadRequest")
            select = tuple(state["s"]) if state.get("s") else None
            include_members = bool(state.get("m", True))
            issued = state.get("i", 0)
            if (state["k"] == "delta" and _epoch(now) - issued > DELTA_TOKEN_LIFETIME.total_seconds()) or \
                    max(state.get("f", 0), state.get("u", 0)) > self._feed.current_seq():
                raise _sync_state_not_found()
            if state["k"] == "delta":
                state = {"k": "changes", "t": object_type, "f": state["f"], "u": self._feed.current_seq(),
                         "o": 0, "i": _epoch(now)}
            return self._delta_page(object_type, state, select, include_members, page_size)

    def _delta_page(self, object_type: str, state: dict, select, include_members: bool,
                    page_size: int) -> DeltaPage:
        common = {"s": list(select) if select else None, "m": include_members}
        if state["k"] == "init":
            slots = self._users_by_ordinal if object_type == "user" else self._groups_by_ordinal
            items: list[DeltaItem] = []
            last = state["a"]
            more = False
            for pos, obj in self._positions(slots)(state["a"]):
                if len(items) == page_size:
                    more = True
                    break
                members = None
                if include_members and isinstance(obj, Group):
                    members = [(m, t, False) for m, t in obj.members.items() if not self._objects[m].is_deleted]
                items.append(DeltaItem(obj.id, object_type, obj, None, members))
                last = pos
            if more:
                skip = self._signer.encode({**state, "a": last, **common})
                return DeltaPage(items, skip_token=skip, select=select, include_members=include_members)
            delta = self._signer.encode({"k": "delta", "t": object_type, "f": state["u"],
                                         "i": state["i"], **common})
            return DeltaPage(items, delta_token=delta, select=select, include_members=include_members)

        try:
            changes = self._feed.changes_since(state["f"], state["u"])
        except WatermarkExpired:
            raise _sync_state_not_found() from None
        ordered: dict[str, list[Change]] = {}
        for change in changes:
            if change.object_type == object_type:
                ordered.setdefault(change.object_id, []).append(change)
        ids = list(ordered)
        offset = state["o"]
        items = []
        for object_id in ids[offset:offset + page_size]:
            obj = self._objects.get(object_id)
            if obj is None:
                items.append(DeltaItem(object_id, object_type, None, "deleted"))
            elif obj.is_deleted:
                items.append(DeltaItem(object_id, object_type, obj, "changed"))
            else:
                members = None
                if include_members and isinstance(obj, Group):
                    members = [(m, self._type_of(m), removed)
                               for m, removed in _member_changes(ordered[object_id])]
                items.append(DeltaItem(object_id, object_type, obj, None, members))
        if offset + page_size < len(ids):
            skip = self._signer.encode({**state, "o": offset + page_size, **common})
            return DeltaPage(items, skip_token=skip, select=select, include_members=include_members)
        delta = self._signer.encode({"k": "delta", "t": object_type, "f": state["u"], "i": state["i"],
                                     **common})
        return DeltaPage(items, delta_token=delta, select=select, include_members=include_members)

    def _type_of(self, object_id: str) -> str:
        obj = self._objects.get(object_id)
        return obj.object_type if obj is not None else self._purged_types.get(object_id, "user")

    # -- lab state ----------------------------------------------------------------------------------
    def to_state(self, limit: int | None = None) -> dict:
        """A JSON dump for ``GET /_admin/state`` (passwords are never stored, so never dumped)."""
        with self._session():
            users = [u for u in self._users_by_ordinal if u is not None and not u.is_deleted]
            groups = [g for g in self._groups_by_ordinal if g is not None and not g.is_deleted]
            deleted = list(self._deleted.values())
            state = {
                "domains": list(self.domains),
                "counts": {"users": len(users), "groups": len(groups), "deletedItems": len(deleted)},
                "changeSeq": self._feed.current_seq(),
            }
            cut = slice(None, limit)
            state["users"] = [{**u.properties(), "managerId": u.manager_id} for u in users[cut]]
            state["groups"] = [{**g.properties(), "members": list(g.members)} for g in groups[cut]]
            state["deletedItems"] = [{"@odata.type": o.odata_type, **o.properties()} for o in deleted[cut]]
            return state


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _sync_state_not_found() -> DirectoryError:
    return DirectoryError(400, "syncStateNotFound", "The sync state generation is not found. The delta "
                                                    "token is expired and data must be synchronized again.")


def _member_changes(changes: list[Change]) -> list[tuple[str, bool]]:
    """The net membership changes of one group within a delta window: (member id, removed?), in the
    order of each member's last change."""
    net: dict[str, bool] = {}
    for change in changes:
        if change.kind in ("memberAdded", "memberRemoved") and change.member_id:
            net.pop(change.member_id, None)
            net[change.member_id] = change.kind == "memberRemoved"
    return list(net.items())
