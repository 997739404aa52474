"""The SCIM operations of the fake GoToMeeting, one method per API operation (``create``, ``get``,
``search``, ``replace``, ``patch``, ``delete``), each for a resource type (``service.users`` or
``service.groups``).

Views parse HTTP and call these; these return account objects (``AccountUser``, ``AccountGroup``,
``Page``) or raise scim2-models' ``SCIMException`` subclasses, which carry the status and ``scimType``
of the SCIM Error the views render. Each change validates the request with scim2-models (through the
tolerance layer), applies it to a copy, checks GoTo's rules on the copy and only then commits it,
all under the account's lock: a rejected request changes nothing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidPathException,
    InvalidValueException,
    NotFoundException,
    PatchOp,
    Path,
    ResponseParameters,
    SCIMException,
    ScimPolicy,
    SearchRequest,
)

from scim2_models.path import ValuePath

from ..account import Account
from ..quirks import Quirks
from . import filters, tolerance
from .resources import CORE_USER_URN, ENTERPRISE_URN, PATCH_OP_URN, GroupResource, UserResource, policy_for


@dataclass
class Page:
    """One page of a list query (RFC 7644 §3.4.2.4)."""

    total: int
    start_index: int
    items: list
    request: Any  # the SearchRequest, whose attributes/excludedAttributes shape each item (None: whole items)


@cache
def specialized(generic: Any, model: Any) -> Any:
    """``generic[model]`` (``SearchRequest[UserResource]``...), built once: pydantic's own cache of
    parametrized models still costs a lookup of the parameters on every subscription."""
    return generic[model]


def scim_error_from(exc: ValidationError) -> SCIMException:
    """The SCIM error a scim2-models validation failure stands for (its first error)."""
    error = exc.errors()[0]
    ctx = error.get("ctx") or {}
    if str(error.get("type", "")).startswith("scim_") and ctx.get("status"):
        found = SCIMException(detail=error["msg"])
        found.status, found.scim_type = int(ctx["status"]), ctx.get("scim_type") or ""
        return found
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
    return InvalidValueException(detail=f"{where}: {error['msg']}" if where else error["msg"])


def validate(model: Any, payload: Any, ctx: Context, policy: ScimPolicy) -> Any:
    try:
        return model.model_validate(payload, scim_ctx=ctx, scim_policy=policy)
    except ValidationError as exc:
        raise scim_error_from(exc) from None


def check_path(model: Any, text: str) -> None:
    """An explicit PATCH path must name an attribute of ``model`` (RFC 7644 §3.5.2: ``invalidPath``),
    and its value filter may only compare attributes of the selected values."""
    try:
        path = Path[model](text)
        binding = path.resolve() if path.model is None else None
    except SCIMException as exc:
        raise InvalidPathException(detail=f"Invalid PATCH path '{text}': {exc.detail}") from None
    if path.model is None and binding is None:
        raise InvalidPathException(detail=f"'{text}' is not an attribute of {model.__name__.split('[')[0]}")
    selection = path.ast
    if isinstance(selection, ValuePath):
        try:
            specialized(SearchRequest, model).model_validate(
                {"filter": f"{selection.attr_path}[{selection.val_filter}]"}, scim_ctx=Context.SEARCH_REQUEST)
        except ValidationError as exc:
            raise InvalidPathException(
                detail=f"Invalid filter in PATCH path '{text}': {exc.errors()[0]['msg']}") from None


#: PATCH targets a user's update may set without scim2-models' patch engine: single-valued string
#: attributes (as the stored JSON spells them) and ``active``.
SIMPLE_USER_PATHS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in ("displayName", "title", "nickName", "preferredLanguage")},
    **{f"name.{part}": ("name", part) for part in ("givenName", "familyName", "formatted", "middleName")},
    **{f"{ENTERPRISE_URN}:{part}": (ENTERPRISE_URN, part)
       for part in ("department", "employeeNumber", "costCenter", "organization", "division")},
}
_BOOLEAN_TEXT = {"true": True, "false": False}


def simple_user_changes(operations: list[dict]) -> list[tuple[tuple[str, ...], Any]] | None:
    """The changes of ``operations`` when every one is an ``add`` or ``replace`` of a
    ``SIMPLE_USER_PATHS`` attribute with a non-empty string, or of ``active`` with a boolean (or
    Entra's ``"True"``/``"False"``); None for anything else, which scim2-models applies.

    Simulator choice (speed, issue 7): these are most of the updates Entra sends, and setting them
    on the stored JSON gives the resource scim2-models' engine gives (``tests/test_fast_paths.py``
    applies both), at a fraction of its cost.
    """
    changes = []
    for operation in operations:
        if operation["op"] not in ("add", "replace"):
            return None
        path, value = operation.get("path"), operation.get("value")
        if path == "active":
            value = _BOOLEAN_TEXT.get(value.lower()) if isinstance(value, str) else value
            if not isinstance(value, bool):
                return None
            changes.append((("active",), value))
        elif path in SIMPLE_USER_PATHS and isinstance(value, str) and value:
            changes.append((SIMPLE_USER_PATHS[path], value))
        else:
            return None
    return changes or None


def apply_simple(model: Any, stored_json: str, changes: list[tuple[tuple[str, ...], Any]]) -> Any | None:
    """A new ``model`` from ``stored_json`` with ``changes`` set; None if nothing changes."""
    document = json.loads(stored_json)
    changed = False
    for keys, value in changes:
        holder = document
        for key in keys[:-1]:
            holder = holder.setdefault(key, {})
        if holder.get(keys[-1]) != value:
            holder[keys[-1]] = value
            changed = True
    if not changed:
        return None
    if ENTERPRISE_URN in document and ENTERPRISE_URN not in document["schemas"]:
        document["schemas"].append(ENTERPRISE_URN)
    return model.model_validate(document)


_STRING, _BOOLEAN, _ENTRY = "string", "boolean", "entry"
#: The attributes of a plain create, in the order scim2-models dumps them, with their sub-attributes.
_PLAIN_USER = (
    ("externalId", _STRING), ("userName", _STRING),
    ("name", ("formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")),
    ("displayName", _STRING), ("nickName", _STRING), ("title", _STRING), ("userType", _STRING),
    ("preferredLanguage", _STRING), ("active", _BOOLEAN), ("emails", _ENTRY), ("roles", _ENTRY),
    (ENTERPRISE_URN, ("employeeNumber", "costCenter", "organization", "division", "department")),
)
_PLAIN_KEYS = frozenset(key for key, _ in _PLAIN_USER) | {"schemas", "meta"}
_PLAIN_ENTRY = ("value", "display", "type", "primary")
_EMAIL_TYPES = frozenset(("work", "home", "other"))
_PLAIN_BOOLEANS = {True: True, False: False, "True": True, "False": False, "true": True, "false": False}


def _plain_string(value: Any) -> bool:
    return type(value) is str and value != "" and value.isprintable()


def _plain_boolean(value: Any) -> bool | None:
    """``value`` as a boolean when it is one or Entra's text of one, else None."""
    if value.__class__ not in (bool, str):
        return None
    return _PLAIN_BOOLEANS.get(value)


def _plain_object(value: Any, keys: tuple[str, ...]) -> dict | None:
    """``value`` with its keys in ``keys`` order when it is a non-empty object of plain strings."""
    if type(value) is not dict or not value or not all(_plain_string(value[key]) for key in value):
        return None
    out = {key: value[key] for key in keys if key in value}
    return out if len(out) == len(value) else None


def _plain_entry(value: Any, attribute: str) -> list | None:
    """A one-entry ``emails``/``roles`` list with a string ``value`` as stored, else None."""
    if type(value) is not list or len(value) != 1 or type(value[0]) is not dict:
        return None
    entry = value[0]
    if not all(key in _PLAIN_ENTRY for key in entry) or "value" not in entry:
        return None
    out = {}
    for key in _PLAIN_ENTRY:
        if key not in entry:
            continue
        item = entry[key]
        if key == "primary":
            item = _plain_boolean(item)
            if item is None:
                return None
        elif not _plain_string(item) or (key == "type" and attribute == "emails" and item not in _EMAIL_TYPES):
            return None
        out[key] = item
    return [out]


def plain_user_document(body: Any) -> dict | None:
    """The stored JSON (without ``id`` and ``meta``) of the user a create with ``body`` makes, when
    ``body`` has the plain shape Entra sends; None for anything else, which scim2-models validates.

    The plain shape: ``schemas`` the core User schema (then the enterprise one); ``meta`` absent or
    ``{"resourceType": "User"}`` (read-only, dropped); the single-valued strings of ``_PLAIN_USER``,
    non-empty and printable; ``active`` a boolean (or Entra's ``"True"``/``"False"``); ``name`` and
    the enterprise extension (without ``manager``) as objects of such strings; ``emails`` and
    ``roles`` as one entry each with a ``value`` (an email ``type`` is ``work``, ``home`` or
    ``other``). Attribute names are spelled as RFC 7643 spells them.

    Simulator choice (speed, issue 7): this is the body of nearly every create Entra sends, and
    ``tests/test_scim_fast_paths.py`` holds the document built here against scim2-models' validation
    and dump of the same bodies (and the bodies it rejects), at a fraction of its cost.
    """
    if type(body) is not dict or not _PLAIN_KEYS.issuperset(body):
        return None
    schemas = body.get("schemas")
    if schemas != [CORE_USER_URN] and schemas != [CORE_USER_URN, ENTERPRISE_URN]:
        return None
    if "meta" in body and body["meta"] != {"resourceType": "User"}:
        return None
    document: dict[str, Any] = {"schemas": [CORE_USER_URN]}
    for key, shape in _PLAIN_USER:
        if key not in body:
            continue
        value = body[key]
        if shape is _STRING:
            if not _plain_string(value):
                return None
        elif shape is _BOOLEAN:
            value = _plain_boolean(value)
        elif shape is _ENTRY:
            value = _plain_entry(value, key)
        else:
            value = _plain_object(value, shape)
        if value is None:
            return None
        document[key] = value
    if ENTERPRISE_URN in document:
        document["schemas"].append(ENTERPRISE_URN)
    return document if "userName" in document else None


#: ``userName``/``externalId``/``id`` ``eq`` a string literal without escapes, single spaces apart.
_EXACT_FILTER = re.compile(r'(username|externalid|id) eq "([^"\\\x00-\x1f]*)"', re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"0|[1-9][0-9]{0,8}")


def exact_lookup(query: dict) -> tuple[tuple[str, str], int, int | None] | None:
    """``((attribute, value), startIndex, count)`` of a user query that is one ``eq`` on an indexed
    attribute (``filters.INDEXED``) and at most plain ``startIndex``/``count`` numbers; None for any
    other query, which scim2-models parses and ``filters.plan`` checks.

    Simulator choice (speed, issue 7): this is the query Entra sends before every create, and the
    index answers it as the parsed filter would (``tests/test_scim_fast_paths.py`` runs both).
    """
    raw = query.get("filter")
    if type(raw) is not str or not query.keys() <= {"filter", "startIndex", "count"}:
        return None
    found = _EXACT_FILTER.fullmatch(raw)
    if found is None:
        return None
    numbers = []
    for name in ("startIndex", "count"):
        value = query.get(name)
        if value is not None and (type(value) is not str or not _PAGE_NUMBER.fullmatch(value)):
            return None
        numbers.append(None if value is None else int(value))
    return (found[1].lower(), found[2]), numbers[0] or 1, numbers[1]


@dataclass(frozen=True)
class Kind:
    """How one resource type is found, checked and stored in the account."""

    name: str  # "User" | "Group"
    model: Any
    find: Callable[[str], Any]
    check: Callable[..., None]  # (candidate, current=...) -> None, raises SCIMException
    insert: Callable[[Any], Any]
    update: Callable[[Any, Any], Any]
    delete: Callable[[Any], None]
    candidates: Callable[[filters.FilterPlan, ScimPolicy], list]


class ScimService:
    def __init__(self, account: Account, quirks: Quirks, max_page_size: int = 200):
        self.account = account
        self.quirks = quirks
        self.max_page_size = max_page_size
        self.users = Kind("User", UserResource, account.get_user,
                          lambda candidate, current: account.check_user(candidate, current=current,
                                                                        policy=self.policy()),
                          account.insert_user, account.update_user, account.delete_user, self._user_candidates)
        self.groups = Kind("Group", GroupResource, account.get_group,
                           lambda candidate, current: account.check_group(candidate, current=current),
                           account.insert_group, account.update_group, account.delete_group,
                           self._group_candidates)

    def policy(self) -> ScimPolicy:
        return policy_for(self.quirks.enabled("case_sensitive_username"))

    # -- the operations, for either resource type (``self.users`` or ``self.groups``) -------------
    def create(self, kind: Kind, body: dict) -> Any:
        document = self._plain_user(kind, body)
        if document is not None:
            name = document.get("name", {})
            roles = [(role["value"], role.get("primary")) for role in document.get("roles", ())]
            with self.account.lock:
                self.account.check_user_values(document["userName"], name.get("givenName"), name.get("familyName"),
                                               roles, document.get("active"), current=None, policy=self.policy())
                return self.account.insert_document(kind.model, document)
        candidate = self._candidate(kind, body, Context.RESOURCE_CREATION_REQUEST)
        with self.account.lock:
            kind.check(candidate, None)
            return kind.insert(candidate)

    def get(self, kind: Kind, resource_id: str) -> Any:
        found = kind.find(resource_id)
        if found is None:
            raise NotFoundException(detail=f"{kind.name} '{resource_id}' not found")
        return found

    def replace(self, kind: Kind, resource_id: str, body: dict) -> Any:
        candidate = self._candidate(kind, body, Context.RESOURCE_REPLACEMENT_REQUEST)
        with self.account.lock:
            current = self.get(kind, resource_id)
            kind.check(candidate, current)
            return kind.update(current, candidate)

    def patch(self, kind: Kind, resource_id: str, body: dict) -> Any:
        operations = self._operations(kind.model, body)
        simple = simple_user_changes(operations) if kind is self.users else None
        patch = None if simple is not None else self._patch_op(kind.model, operations)
        with self.account.lock:
            current = self.get(kind, resource_id)
            if simple is not None:
                working = apply_simple(kind.model, current.stored_json, simple)
            else:
                working = self._apply(patch, current.working_copy)
            if working is None:
                return current
            kind.check(working, current)
            return kind.update(current, working)

    def delete(self, kind: Kind, resource_id: str) -> None:
        with self.account.lock:
            kind.delete(self.get(kind, resource_id))

    def response_parameters(self, kind: Kind, wanted: dict) -> Any:
        return validate(specialized(ResponseParameters, kind.model), wanted, Context.DEFAULT, self.policy())

    # -- shared steps ----------------------------------------------------------------------------
    def _plain_user(self, kind: Kind, body: dict) -> dict | None:
        """The stored document of a plain user create (``plain_user_document``); None when the body
        goes through scim2-models (another shape, a group, or the ``reject_string_booleans`` quirk)."""
        if kind is not self.users or self.quirks.enabled("reject_string_booleans"):
            return None
        return plain_user_document(body)

    def _candidate(self, kind: Kind, body: dict, ctx: Context) -> Any:
        payload = tolerance.normalize_resource(
            body, kind.name, string_booleans_rejected=self.quirks.enabled("reject_string_booleans"))
        return validate(kind.model, payload, ctx, self.policy())

    def _operations(self, model: Any, body: dict) -> list[dict]:
        """The operations of ``body`` in RFC 7644's shapes, after the tolerance layer and the quirks."""
        return tolerance.normalize_patch(
            body, model,
            string_booleans_rejected=self.quirks.enabled("reject_string_booleans"),
            remove_value_removes_all=self.quirks.enabled("remove_member_value_removes_all"),
            pathless_ignored=self.quirks.enabled("ignore_pathless_patch"))

    def _patch_op(self, model: Any, operations: list[dict]) -> Any | None:
        """The validated PatchOp of ``operations``, or None when the quirks leave no operation.

        A missing ``value`` on ``add``/``replace`` is 400 ``invalidValue`` (scim2-models' reading of
        RFC 7644 §3.5.2, where a ``replace`` with ``"value": null`` unassigns its target).
        """
        for operation in operations:
            if operation.get("path") is not None:
                check_path(model, operation["path"])
        if not operations:
            return None
        return validate(specialized(PatchOp, model), {"schemas": [PATCH_OP_URN], "Operations": operations},
                        Context.RESOURCE_PATCH_REQUEST, self.policy())

    def _apply(self, patch: Any | None, working_copy: Callable[[], Any]) -> Any | None:
        """The resource patched, as the new object ``working_copy()`` made (the stored one is untouched);
        None if unchanged."""
        if patch is None:
            return None
        working = working_copy()
        policy = self.policy()
        try:
            with policy:
                changed = patch.patch(working, scim_policy=policy)
        except ValidationError as exc:
            raise scim_error_from(exc) from None
        return working if changed else None

    def search(self, kind: Kind, params: dict) -> Page:
        """A filtered, paged list (RFC 7644 §3.4.2).

        Simulator choice: GoTo validates paging strictly. RFC 7644 §3.4.2.4 lets a service read a
        negative ``count`` as 0 and a ``startIndex`` below 1 as 1; GoTo's API answers them, like any
        value that is not an integer, with 400 ``invalidValue`` (Entra never sends them, and a strict
        answer shows a client's paging bug at once). ``count=0`` is valid and answers only
        ``totalResults``. ``count`` defaults to, and is capped at, the 200 results GoTo pages at;
        results come in creation order, and ``sortBy`` is ignored (sorting is not advertised in
        ``/ServiceProviderConfig``). Under the ``ignore_filters`` quirk ``filter`` is dropped unread,
        before either path (the ``exact_lookup`` fast path or the parsed filter) sees it.
        """
        query = {key: params[name] for name, key in (
            ("filter", "filter"), ("attributes", "attributes"), ("excludedAttributes", "excludedAttributes"),
            ("startIndex", "startIndex"), ("count", "count")) if params.get(name) not in (None, "")}
        if "filter" in query and self.quirks.enabled("ignore_filters"):
            del query["filter"]
        for name, lowest in (("startIndex", 1), ("count", 0)):
            raw = query.get(name)
            if isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and int(raw) < lowest:
                raise InvalidValueException(detail=f"{name} must be an integer of at least {lowest}, not {raw}")
        exact = exact_lookup(query) if kind is self.users else None
        if exact is not None:
            page = self._exact_page(kind, *exact)
            if page is not None:
                return page
        request = validate(specialized(SearchRequest, kind.model), query, Context.SEARCH_REQUEST, self.policy())
        plan = filters.plan(request.filter, kind.name)
        policy = self.policy()
        with self.account.lock:
            found = kind.candidates(plan, policy)
            if plan.filter is not None and not plan.exact:
                with policy:
                    found = [item for item in found if plan.filter.match(item.resource)]
        if plan.filter is not None and not found and self.quirks.enabled("empty_filter_404"):
            raise NotFoundException(detail=f"No {kind.name.lower()} matches the filter '{plan.filter}'")
        start = request.start_index_0 or 0
        count = self.max_page_size if request.count is None else min(request.count, self.max_page_size)
        return Page(len(found), start + 1, found[start:start + count], request)

    def _exact_page(self, kind: Kind, lookup: tuple[str, str], start_index: int, count: int | None) -> Page | None:
        """The page of an ``exact_lookup`` query, straight from the index; None when it matches
        nothing under the ``empty_filter_404`` quirk (the general path words that 404)."""
        with self.account.lock:
            found = kind.candidates(filters.FilterPlan(None, lookup, exact=True), self.policy())
        if not found and self.quirks.enabled("empty_filter_404"):
            return None
        count = self.max_page_size if count is None else min(count, self.max_page_size)
        return Page(len(found), start_index, found[start_index - 1:start_index - 1 + count], None)

    def _user_candidates(self, plan: filters.FilterPlan, policy: ScimPolicy) -> list:
        if plan.lookup is None:
            return list(self.account.users.values())
        name, value = plan.lookup
        if name == "username":
            return self.account.users_named(value, policy)
        if name == "externalid":
            return self.account.users_with_external_id(value)
        user = self.account.get_user(value)
        return [user] if user else []

    def _group_candidates(self, plan: filters.FilterPlan, policy: ScimPolicy) -> list:
        if plan.lookup is not None and plan.lookup[0] == "id":
            group = self.account.get_group(plan.lookup[1])
            return [group] if group else []
        return list(self.account.groups.values())
