"""The SCIM operations of the fake GoToMeeting, one method per API operation.

Views parse HTTP and call these; these return account objects (``AccountUser``, ``AccountGroup``,
``Page``) or raise scim2-models' ``SCIMException`` subclasses, which carry the status and ``scimType``
of the SCIM Error the views render. Each change validates the request with scim2-models (through the
tolerance layer), applies it to a copy, checks GoTo's rules on the copy and only then commits it,
all under the account's lock: a rejected request changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

from ..account import Account, AccountGroup, AccountUser
from ..quirks import Quirks
from . import filters, tolerance
from scim2_models.path import ValuePath

from .resources import PATCH_OP_URN, GroupResource, UserResource, policy_for


@dataclass
class Page:
    """One page of a list query (RFC 7644 §3.4.2.4)."""

    total: int
    start_index: int
    items: list
    request: Any  # the SearchRequest, whose attributes/excludedAttributes shape each item


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
            SearchRequest[model].model_validate(
                {"filter": f"{selection.attr_path}[{selection.val_filter}]"}, scim_ctx=Context.SEARCH_REQUEST)
        except ValidationError as exc:
            raise InvalidPathException(
                detail=f"Invalid filter in PATCH path '{text}': {exc.errors()[0]['msg']}") from None


class ScimService:
    def __init__(self, account: Account, quirks: Quirks, max_page_size: int = 200):
        self.account = account
        self.quirks = quirks
        self.max_page_size = max_page_size

    def policy(self) -> ScimPolicy:
        return policy_for(self.quirks.enabled("case_sensitive_username"))

    # -- users -----------------------------------------------------------------------------------
    def create_user(self, body: dict) -> AccountUser:
        candidate = self._candidate(UserResource, "User", body, Context.RESOURCE_CREATION_REQUEST)
        with self.account.lock:
            self.account.check_user(candidate, current=None, policy=self.policy())
            return self.account.insert_user(candidate)

    def get_user(self, user_id: str) -> AccountUser:
        user = self.account.get_user(user_id)
        if user is None:
            raise NotFoundException(detail=f"User '{user_id}' not found")
        return user

    def list_users(self, params: dict) -> Page:
        return self._list(UserResource, "User", params, self._user_candidates)

    def replace_user(self, user_id: str, body: dict) -> AccountUser:
        candidate = self._candidate(UserResource, "User", body, Context.RESOURCE_REPLACEMENT_REQUEST)
        with self.account.lock:
            user = self.get_user(user_id)
            self.account.check_user(candidate, current=user, policy=self.policy())
            return self.account.update_user(user, candidate)

    def patch_user(self, user_id: str, body: dict) -> AccountUser:
        patch = self._patch(UserResource, body)
        with self.account.lock:
            user = self.get_user(user_id)
            working = self._apply(patch, user.resource)
            if working is None:
                return user
            self.account.check_user(working, current=user, policy=self.policy())
            return self.account.update_user(user, working)

    def delete_user(self, user_id: str) -> None:
        with self.account.lock:
            self.account.delete_user(self.get_user(user_id))

    # -- groups ----------------------------------------------------------------------------------
    def create_group(self, body: dict) -> AccountGroup:
        candidate = self._candidate(GroupResource, "Group", body, Context.RESOURCE_CREATION_REQUEST)
        with self.account.lock:
            self.account.check_group(candidate, current=None)
            return self.account.insert_group(candidate)

    def get_group(self, group_id: str) -> AccountGroup:
        group = self.account.get_group(group_id)
        if group is None:
            raise NotFoundException(detail=f"Group '{group_id}' not found")
        return group

    def list_groups(self, params: dict) -> Page:
        return self._list(GroupResource, "Group", params, self._group_candidates)

    def replace_group(self, group_id: str, body: dict) -> AccountGroup:
        candidate = self._candidate(GroupResource, "Group", body, Context.RESOURCE_REPLACEMENT_REQUEST)
        with self.account.lock:
            group = self.get_group(group_id)
            self.account.check_group(candidate, current=group)
            return self.account.update_group(group, candidate)

    def patch_group(self, group_id: str, body: dict) -> AccountGroup:
        patch = self._patch(GroupResource, body)
        with self.account.lock:
            group = self.get_group(group_id)
            working = self._apply(patch, group.resource)
            if working is None:
                return group
            self.account.check_group(working, current=group)
            return self.account.update_group(group, working)

    def delete_group(self, group_id: str) -> None:
        with self.account.lock:
            self.account.delete_group(self.get_group(group_id))

    def response_parameters(self, kind: str, wanted: dict) -> Any:
        model = UserResource if kind == "User" else GroupResource
        return validate(ResponseParameters[model], wanted, Context.DEFAULT, self.policy())

    # -- shared steps ----------------------------------------------------------------------------
    def _candidate(self, model: Any, kind: str, body: dict, ctx: Context) -> Any:
        payload = tolerance.normalize_resource(
            body, kind, string_booleans_rejected=self.quirks.enabled("reject_string_booleans"))
        return validate(model, payload, ctx, self.policy())

    def _patch(self, model: Any, body: dict) -> Any | None:
        operations = tolerance.normalize_patch(
            body, model,
            string_booleans_rejected=self.quirks.enabled("reject_string_booleans"),
            remove_value_removes_all=self.quirks.enabled("remove_member_value_removes_all"),
            pathless_ignored=self.quirks.enabled("ignore_pathless_patch"))
        for operation in operations:
            if operation.get("path") is not None:
                check_path(model, operation["path"])
        if not operations:
            return None
        return validate(PatchOp[model], {"schemas": [PATCH_OP_URN], "Operations": operations},
                        Context.RESOURCE_PATCH_REQUEST, self.policy())

    def _apply(self, patch: Any | None, resource: Any) -> Any | None:
        """``resource`` patched, as a new object (the stored one is untouched); None if unchanged."""
        if patch is None:
            return None
        working = resource.model_copy(deep=True)
        policy = self.policy()
        try:
            with policy:
                changed = patch.patch(working, scim_policy=policy)
        except ValidationError as exc:
            raise scim_error_from(exc) from None
        return working if changed else None

    def _list(self, model: Any, kind: str, params: dict, candidates) -> Page:
        query = {key: params[name] for name, key in (
            ("filter", "filter"), ("attributes", "attributes"), ("excludedAttributes", "excludedAttributes"),
            ("startIndex", "startIndex"), ("count", "count")) if params.get(name) not in (None, "")}
        request = validate(SearchRequest[model], query, Context.SEARCH_REQUEST, self.policy())
        plan = filters.plan(request.filter, kind)
        policy = self.policy()
        with self.account.lock:
            found = candidates(plan, policy)
            if plan.filter is not None:
                with policy:
                    found = [item for item in found if plan.filter.match(item.resource)]
        if plan.filter is not None and not found and self.quirks.enabled("empty_filter_404"):
            raise NotFoundException(detail=f"No {kind.lower()} matches the filter '{plan.filter}'")
        start = request.start_index_0 or 0
        count = self.max_page_size if request.count is None else min(request.count, self.max_page_size)
        return Page(len(found), start + 1, found[start:start + count], request)

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
