"""Microsoft Graph views of the directory: users, groups, memberships, managers, deleted items, delta.

Each view checks the caller's Graph permission first, parses the request, calls one :class:`Directory`
operation and renders Graph's wire shape: ``@odata.context`` on every body, ``@odata.type`` where Graph
puts it (members, ``memberOf``, manager, deleted items), ``201`` with ``Location`` on create, ``204`` on
update and delete. Errors of the model (:class:`DirectoryError`) and of the query options
(:class:`ODataError`) become ``LabHTTPError`` that the app renders in the Graph envelope.

Simulator choices: the ``Location`` of a created user or group is its canonical Graph URL in this lab
(Graph's own header points at an internal ``/v2/{tenant}/directoryObjects/...`` address that is not
part of the public API). ``/beta`` returns every property of a user where ``/v1.0`` returns Graph's
default set. Group members take ``$select``, ``$top`` and ``$count`` but not ``$filter`` or
``$orderby`` (Graph asks for advanced queries there). Delta pages hold 100 entries unless the caller
sends ``Prefer: odata.maxpagesize=N`` (Graph's page-size control for delta).
"""
from __future__ import annotations

import functools
import re
from typing import Callable
from urllib.parse import unquote, urlsplit

from flask import Blueprint, request

from ...core.appbase import read_json
from ...core.errors import LabHTTPError
from ..graph import (graph_base_url, graph_collection, graph_entity, graph_json, graph_no_content, graph_page,
                     graph_version, odata_context)
from ..odata import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, EntityType, ODataError, ODataQuery, parse_query, parse_select
from .model import DeltaPage, DirectoryError, DirectoryObject, is_guid
from .schema import DIRECTORY_OBJECT, GROUP, USER

_SINGLE_OPTIONS = frozenset({"$select"})
_MEMBER_OPTIONS = frozenset({"$select", "$top", "$count", "$skiptoken"})
_DELTA_OPTIONS = frozenset({"$select", "$deltatoken", "$skiptoken"})
_REF_HOLDERS = ("directoryobjects", "users", "groups")
MEMBERS_BIND = "members@odata.bind"


def _graph_errors(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except (DirectoryError, ODataError) as exc:
            raise LabHTTPError(exc.status, exc.message, exc.code) from None
    return wrapper


_PRINCIPAL_FILTER = re.compile(r"^\s*principalId\s+eq\s+'([0-9a-fA-F-]{36})'\s*$")


def _principal_filter(text: str | None) -> str | None:
    """The one ``$filter`` role assignments take here: ``principalId eq '{id}'``."""
    if text is None:
        return None
    found = _PRINCIPAL_FILTER.match(text)
    if found is None:
        raise DirectoryError(400, "BadRequest", "Only the filter principalId eq '{id}' is supported on "
                                                "roleAssignments.")
    return found.group(1).lower()


def _body() -> dict:
    return read_json(code="BadRequest")


def _properties(obj: DirectoryObject, select: tuple[str, ...] | None, *, full: bool = False) -> dict:
    """The properties Graph returns for ``obj``: the ``$select`` list; else in v1.0 the type's default set,
    in beta (and for deleted items, whose ``deletedDateTime`` matters) every property."""
    props = obj.properties()
    if select is not None:
        return {name: props.get(name) for name in select if name in props}
    names = obj.entity.default_select
    if full or names is None or graph_version() == "beta":
        return props
    return {name: props[name] for name in names}


def _typed(obj: DirectoryObject, select: tuple[str, ...] | None = None, *, full: bool = False) -> dict:
    return {"@odata.type": obj.odata_type, **_properties(obj, select, full=full)}


def _query(entity: EntityType, allowed: frozenset[str] | None = None) -> ODataQuery:
    if allowed is None:
        return parse_query(request.args, entity)
    return parse_query(request.args, entity, allowed=allowed)


def ref_target(body: dict) -> str:
    """The object id an ``{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}`` names.

    ``/users/{id}`` and ``/groups/{id}`` are accepted too, as Graph does. Anything that is not such an
    absolute URL is Graph's 400 ``BadRequest`` "Invalid URL format specified in payload."; a last segment
    that is not a GUID is ``Request_BadRequest`` "Invalid object identifier".
    """
    ref = body.get("@odata.id")
    invalid = DirectoryError(400, "BadRequest", "Invalid URL format specified in payload.")
    if not isinstance(ref, str) or not ref.strip():
        raise invalid
    parts = urlsplit(ref.strip())
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("http", "https") or not parts.netloc or len(segments) < 2 \
            or segments[-2].lower() not in _REF_HOLDERS:
        raise invalid
    object_id = unquote(segments[-1])
    if not is_guid(object_id):
        raise DirectoryError(400, "Request_BadRequest", f"Invalid object identifier '{object_id}'.")
    return object_id.lower()


def bound_members(body: dict) -> list[str]:
    """The member ids of ``members@odata.bind`` (removed from ``body``): a list of the URLs
    ``ref_target`` reads, e.g. ``https://graph.microsoft.com/v1.0/directoryObjects/{id}`` [doc: Add
    members, "add multiple members to a group in a single request"]."""
    if MEMBERS_BIND not in body:
        return []
    refs = body.pop(MEMBERS_BIND)
    if not isinstance(refs, list):
        raise DirectoryError(400, "BadRequest", f"The property '{MEMBERS_BIND}' must be an array of URLs.")
    return [ref_target({"@odata.id": ref}) for ref in refs]


def _page_size_preference() -> int:
    """``Prefer: odata.maxpagesize=N`` (Graph's page-size control for delta), else the default."""
    for part in request.headers.get("Prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            return min(max(int(value), 1), MAX_PAGE_SIZE)
    return DEFAULT_PAGE_SIZE


def directory_blueprint(entra, name: str = "directory") -> Blueprint:
    bp = Blueprint(name, __name__)

    def directory():
        return entra.directory

    def route(rule: str, methods: list[str], permission: str):
        def register(view: Callable) -> Callable:
            @functools.wraps(view)
            def guarded(*args, **kwargs):
                entra.require_graph(permission)
                return view(*args, **kwargs)
            bp.add_url_rule(rule, view.__name__, _graph_errors(guarded), methods=methods)
            return view
        return register

    # -- users -------------------------------------------------------------------------------------
    @route("/users", ["GET"], "User.Read.All")
    def list_users():
        query = _query(USER)
        page = directory().list_users(query)
        return graph_json(graph_page("users", page, lambda u: _properties(u, query.select), query))

    @route("/users", ["POST"], "User.ReadWrite.All")
    def create_user():
        user = directory().create_user(_body())
        return graph_json(graph_entity("users", _properties(user, None)), 201,
                          headers={"Location": f"{graph_base_url()}/users/{user.id}"})

    @route("/users/<key>", ["GET"], "User.Read.All")
    def get_user(key: str):
        query = _query(USER, _SINGLE_OPTIONS)
        user = directory().get_user(key)
        return graph_json(graph_entity(f"users{query.context_suffix()}", _properties(user, query.select)))

    @route("/users/<key>", ["PATCH"], "User.ReadWrite.All")
    def update_user(key: str):
        directory().update_user(key, _body())
        return graph_no_content()

    @route("/users/<key>", ["DELETE"], "User.ReadWrite.All")
    def delete_user(key: str):
        directory().delete_user(key)
        return graph_no_content()

    @route("/users/<key>/manager", ["GET"], "User.Read.All")
    def get_manager(key: str):
        query = _query(USER, _SINGLE_OPTIONS)
        manager = directory().get_manager(key)
        return graph_json({"@odata.context": odata_context("directoryObjects/$entity"),
                           **_typed(manager, query.select)})

    @route("/users/<key>/manager/$ref", ["PUT"], "User.ReadWrite.All")
    def set_manager(key: str):
        body = _body()
        directory().set_manager(key, ref_target(body))
        return graph_no_content()

    @route("/users/<key>/manager/$ref", ["DELETE"], "User.ReadWrite.All")
    def remove_manager(key: str):
        directory().remove_manager(key)
        return graph_no_content()

    @route("/users/<key>/memberOf", ["GET"], "User.Read.All")
    def list_member_of(key: str):
        groups = directory().list_member_of(key)
        return graph_json(graph_collection("directoryObjects", [_typed(g) for g in groups]))

    @route("/users/<key>/directReports", ["GET"], "User.Read.All")
    def list_direct_reports(key: str):
        reports = directory().list_direct_reports(key)
        return graph_json(graph_collection("directoryObjects", [_typed(r) for r in reports]))

    # -- groups ------------------------------------------------------------------------------------
    @route("/groups", ["GET"], "Group.Read.All")
    def list_groups():
        query = _query(GROUP)
        page = directory().list_groups(query)
        return graph_json(graph_page("groups", page, lambda g: _properties(g, query.select), query))

    @route("/groups", ["POST"], "Group.ReadWrite.All")
    def create_group():
        group = directory().create_group(_body())
        return graph_json(graph_entity("groups", _properties(group, None)), 201,
                          headers={"Location": f"{graph_base_url()}/groups/{group.id}"})

    @route("/groups/<group_id>", ["GET"], "Group.Read.All")
    def get_group(group_id: str):
        query = _query(GROUP, _SINGLE_OPTIONS)
        group = directory().get_group(group_id)
        return graph_json(graph_entity(f"groups{query.context_suffix()}", _properties(group, query.select)))

    @route("/groups/<group_id>", ["PATCH"], "Group.ReadWrite.All")
    def update_group(group_id: str):
        body = _body()
        directory().update_group(group_id, body, bound_members(body))
        return graph_no_content()

    @route("/groups/<group_id>", ["DELETE"], "Group.ReadWrite.All")
    def delete_group(group_id: str):
        directory().delete_group(group_id)
        return graph_no_content()

    @route("/groups/<group_id>/members", ["GET"], "Group.Read.All")
    def list_group_members(group_id: str):
        query = _query(DIRECTORY_OBJECT, _MEMBER_OPTIONS)
        page = directory().list_group_members(group_id, query)
        return graph_json(graph_page("directoryObjects", page, lambda m: _typed(m, query.select), query))

    @route("/groups/<group_id>/members/$ref", ["POST"], "Group.ReadWrite.All")
    def add_group_member(group_id: str):
        body = _body()
        directory().add_group_member(group_id, ref_target(body))
        return graph_no_content()

    @route("/groups/<group_id>/members/<member_id>/$ref", ["DELETE"], "Group.ReadWrite.All")
    def remove_group_member(group_id: str, member_id: str):
        directory().remove_group_member(group_id, member_id)
        return graph_no_content()

    # -- deleted items -----------------------------------------------------------------------------
    def list_deleted(object_type: str, entity: EntityType):
        query = _query(entity)
        page = directory().list_deleted_items(object_type, query)
        return graph_json(graph_page(f"directory/deletedItems/{entity.name}", page,
                                      lambda o: _typed(o, query.select, full=True), query))

    # -- directory roles (role management) -----------------------------------------------------------
    @route("/roleManagement/directory/roleDefinitions", ["GET"], "Directory.Read.All")
    def list_role_definitions():
        return graph_json(graph_collection("roleManagement/directory/roleDefinitions",
                                           [r.graph() for r in entra.roles.definitions()]))

    @route("/roleManagement/directory/roleAssignments", ["GET"], "Directory.Read.All")
    def list_role_assignments():
        principal = _principal_filter(request.args.get("$filter"))
        return graph_json(graph_collection("roleManagement/directory/roleAssignments",
                                           [a.graph() for a in entra.roles.assignments(principal)]))

    @route("/roleManagement/directory/roleAssignments", ["POST"], "RoleManagement.ReadWrite.Directory")
    def create_role_assignment():
        assignment = entra.roles.assign(_body())
        return graph_json(graph_entity("roleManagement/directory/roleAssignments", assignment.graph()), 201)

    @route("/roleManagement/directory/roleAssignments/<assignment_id>", ["DELETE"],
           "RoleManagement.ReadWrite.Directory")
    def delete_role_assignment(assignment_id: str):
        entra.roles.remove(assignment_id)
        return graph_no_content()

    @route("/directory/deletedItems/microsoft.graph.user", ["GET"], "User.Read.All")
    def list_deleted_users():
        return list_deleted("user", USER)

    @route("/directory/deletedItems/microsoft.graph.group", ["GET"], "Group.Read.All")
    def list_deleted_groups():
        return list_deleted("group", GROUP)

    @route("/directory/deletedItems/<object_id>", ["GET"], "Directory.Read.All")
    def get_deleted_item(object_id: str):
        obj = directory().get_deleted_item(object_id)
        select = parse_query(request.args, obj.entity, allowed=_SINGLE_OPTIONS).select
        return graph_json({"@odata.context": odata_context("directoryObjects/$entity"),
                           **_typed(obj, select, full=True)})

    @route("/directory/deletedItems/<object_id>", ["DELETE"], "Directory.ReadWrite.All")
    def purge_deleted_item(object_id: str):
        directory().purge_deleted_item(object_id)
        return graph_no_content()

    @route("/directory/deletedItems/<object_id>/restore", ["POST"], "Directory.ReadWrite.All")
    def restore_deleted_item(object_id: str):
        obj = directory().restore_deleted_item(object_id)
        return graph_json({"@odata.context": odata_context("directoryObjects/$entity"),
                           **_typed(obj, None, full=True)})

    # -- delta -------------------------------------------------------------------------------------
    def delta(object_type: str, entity: EntityType):
        query_args = request.args
        for key in query_args:
            if key.startswith("$") and key.lower() not in _DELTA_OPTIONS:
                raise ODataError(f"The query parameter '{key}' is not supported.")
        args = {k.lower(): v for k, v in query_args.items() if k.startswith("$")}
        select, include_members = None, True
        if "$select" in args:
            names = [n.strip() for n in args["$select"].split(",") if n.strip()]
            include_members = object_type == "group" and any(n.lower() == "members" for n in names)
            names = [n for n in names if n.lower() != "members" or object_type != "group"]
            select = parse_select(",".join(names) or "id", entity)
        kind, token = "delta", None
        if "$skiptoken" in args:
            kind, token = "skip", args["$skiptoken"]
        elif "$deltatoken" in args:
            token = args["$deltatoken"]
        size = _page_size_preference()
        if object_type == "user":
            page = directory().users_delta(token, kind=kind, select=select, page_size=size)
        else:
            page = directory().groups_delta(token, kind=kind, select=select, include_members=include_members,
                                            page_size=size)
        return graph_json(_delta_body(entity, page))

    def _delta_body(entity: EntityType, page: DeltaPage) -> dict:
        items = []
        for item in page.items:
            if item.removed is not None:
                items.append({"id": item.object_id, "@removed": {"reason": item.removed}})
                continue
            body = _properties(item.obj, page.select)  # type: ignore[arg-type]
            body.setdefault("id", item.object_id)  # a delta entry always names its object
            if item.members_delta is not None:
                body["members@delta"] = [
                    {"@odata.type": f"#microsoft.graph.{member_type}", "id": member_id,
                     **({"@removed": {"reason": "deleted"}} if removed else {})}
                    for member_id, member_type, removed in item.members_delta]
            items.append(body)
        suffix = f"({','.join(page.select)})" if page.select else ""
        base = f"{graph_base_url()}/{entity.entity_set}/delta"
        links = {}
        if page.skip_token is not None:
            links["@odata.nextLink"] = f"{base}?$skiptoken={page.skip_token}"
        else:
            links["@odata.deltaLink"] = f"{base}?$deltatoken={page.delta_token}"
        return graph_collection(f"{entity.entity_set}{suffix}", items, **links)

    @route("/users/delta", ["GET"], "User.Read.All")
    def users_delta():
        return delta("user", USER)

    @route("/groups/delta", ["GET"], "Group.Read.All")
    def groups_delta():
        return delta("group", GROUP)

    return bp
