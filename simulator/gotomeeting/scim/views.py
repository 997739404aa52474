"""The HTTP face of GoToMeeting's SCIM 2.0 API (mounted at ``/scim/v2``, SPEC §4.3).

A view parses the request, calls one ``ScimService`` operation and renders the SCIM wire shape:
``application/scim+json`` (``application/json`` under the ``json_content_type`` quirk), ``meta`` with
an absolute ``location``, GoTo's extension attributes, ``attributes``/``excludedAttributes`` applied.

Every SCIM request passes the account's rate limit (off unless configured: 429 with ``Retry-After``)
and then bearer authentication (401 with ``WWW-Authenticate``, 403 for a user who is not a team
administrator). Simulator choice: the discovery endpoints require the token too, as GoTo's API does
for every call.

Request bodies must be JSON objects sent as ``application/scim+json`` or ``application/json``
(RFC 7644 §3.1 allows both); a body without a Content-Type or with another one is refused with 415.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, request, url_for
from scim2_models import Context, GroupMembership, NotImplementedException, SCIMException

from ...core.appbase import read_json
from ...core.clock import iso
from ...core.errors import SCIM_CONTENT_TYPE, LabHTTPError, json_response, scim_error
from ..account import AccountGroup, AccountUser
from .discovery import Discovery
from .resources import GOTO_URN, LIST_RESPONSE_URN, GoToUserExtension
from .service import Kind, Page, ScimService

SCIM_PREFIX = "/scim/v2"


def content_type(goto) -> str:
    return "application/json" if goto.quirks.enabled("json_content_type") else SCIM_CONTENT_TYPE


def scim_response(goto, payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(payload, status, content_type(goto), headers)


def render_scim_error(goto):
    """The SCIM surface's error renderer: ``(status, message, scimType, extra) -> Response`` with the
    RFC 7644 §3.12 Error envelope and ``extra["headers"]`` applied."""

    def render(status: int, message: str, code: str | None, extra: dict) -> Response:
        return scim_error(status, message, code, headers=(extra or {}).get("headers"),
                          content_type=content_type(goto))

    return render


def _body() -> dict:
    if not request.mimetype:
        raise LabHTTPError(415, "Content-Type is missing; send application/scim+json or application/json.",
                           "invalidSyntax")
    return read_json(code="invalidSyntax")


def _base() -> str:
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


def _timestamps(payload: dict, resource: Any) -> dict:
    if "meta" in payload:
        payload["meta"]["created"] = iso(resource.meta.created)
        payload["meta"]["lastModified"] = iso(resource.meta.last_modified)
    return payload


def render_user(goto, user: AccountUser, base: str, params: Any = None) -> dict:
    account = goto.account
    groups = account.groups_of(user.id)
    values = account.goto_extension(user)
    extension = _extension(values["accountKey"], values["status"], tuple(values["products"]))
    if not groups and not _selects(params):
        return _plain_user(user, base, extension)
    return _full_user(user, base, extension, groups, params)


def _selects(params: Any) -> bool:
    """Whether ``params`` (ResponseParameters or a SearchRequest) asks for a subset of attributes."""
    return params is not None and bool(params.attributes or params.excluded_attributes)


def _full_user(user: AccountUser, base: str, extension: GoToUserExtension, groups: list,
               params: Any = None) -> dict:
    """The scim2-models dump of the user with its groups and GoTo's extension, shaped by ``params``."""
    memberships = [GroupMembership(value=g.id, display=g.display_name, ref=f"{base}/Groups/{g.id}",
                                   type="direct") for g in groups]
    stored = user.resource
    meta = stored.meta.model_copy(update={"location": f"{base}/Users/{user.id}"})
    resource = stored.model_copy(update={"meta": meta, "groups": memberships or None,
                                         "GoToUserExtension": extension})
    payload = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params)
    return _timestamps(payload, stored)


def _plain_user(user: AccountUser, base: str, extension: GoToUserExtension) -> dict:
    """The common answer (no ``attributes``/``excludedAttributes``, no group): the stored JSON with
    the location, the timestamps and GoTo's extension added, which is what the scim2-models dump of
    the whole resource gives (``tests/test_fast_paths.py`` holds the two side by side), at a fraction
    of its cost."""
    payload = json.loads(user.stored_json)
    meta = payload["meta"]
    meta["created"], meta["lastModified"] = iso(user.created), iso(user.modified)
    meta["location"] = f"{base}/Users/{user.id}"
    payload["schemas"].append(GOTO_URN)
    products = extension.products
    nested = _nested_extension(extension.account_key, extension.status,
                               None if products is None else tuple(products))
    payload[GOTO_URN] = json.loads(nested)
    return payload


@lru_cache(maxsize=64)
def _extension(account_key: str | None, status: str, products: tuple[str, ...]) -> GoToUserExtension:
    """GoTo's extension of a user with these values (never changed once built: callers copy it).

    Simulator choice (speed, issue 7): the values take a handful of combinations per account, so
    each is validated once."""
    return GoToUserExtension.model_validate({"accountKey": account_key, "status": status, "products": list(products)})


@lru_cache(maxsize=64)
def _nested_extension(account_key: str | None, status: str | None, products: tuple[str, ...] | None) -> str:
    """The JSON of GoTo's extension with these values as nested in a user (no ``schemas`` of its
    own), as scim2-models dumps it; dumped once per combination (speed, issue 7)."""
    extension = GoToUserExtension.model_validate(
        {"accountKey": account_key, "status": status, "products": None if products is None else list(products)})
    nested = extension.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    nested.pop("schemas", None)  # an extension nested in a resource carries no schemas of its own
    return json.dumps(nested)


def render_group(group: AccountGroup, base: str, params: Any = None) -> dict:
    meta = group.resource.meta.model_copy(update={"location": f"{base}/Groups/{group.id}"})
    resource = group.resource.model_copy(update={"meta": meta})
    payload = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params)
    return _timestamps(payload, group.resource)


def list_response(total: int, start_index: int, resources: list[dict]) -> dict:
    return {"schemas": [LIST_RESPONSE_URN], "totalResults": total, "startIndex": start_index,
            "itemsPerPage": len(resources), "Resources": resources}


def scim_blueprint(goto) -> Blueprint:
    bp = Blueprint("scim", __name__)
    service = ScimService(goto.account, goto.quirks, goto.config.max_page_size)
    discovery = Discovery(goto.config.max_page_size)

    @bp.before_request
    def _guard():
        wait = goto.account.rate_limit.hit()
        if wait is not None:
            raise LabHTTPError(429, "Too many requests: the account's API rate limit is "
                               f"{goto.account.rate_limit.per_second:g} requests per second.", None,
                               headers={"Retry-After": str(wait)})
        goto.oauth.authenticate_bearer(request.headers.get("Authorization"))

    render = render_scim_error(goto)

    @bp.errorhandler(SCIMException)
    def _scim_exception(exc: SCIMException):
        return render(exc.status, exc.detail, exc.scim_type or None, {})

    # -- discovery ---------------------------------------------------------------------------------
    @bp.get("/ServiceProviderConfig")
    def service_provider_config():
        return scim_response(goto, discovery.config(_base()))

    for collection, label in Discovery.COLLECTIONS.items():
        _discovery_routes(bp, goto, discovery, collection, label)

    @bp.post("/.search")
    def search_all():
        raise NotImplementedException(
            detail="Searching several resource types at once is not supported; use /Users/.search "
                   "or /Groups/.search")

    _resource_routes(bp, goto, service, service.users,
                     lambda user, base, params: render_user(goto, user, base, params))
    _resource_routes(bp, goto, service, service.groups, render_group)
    return bp


def _discovery_routes(bp: Blueprint, goto, discovery: Discovery, collection: str, label: str) -> None:
    """``/Schemas`` or ``/ResourceTypes``: the whole collection as a ListResponse, or one by id."""

    def listing():
        items = discovery.listing(collection, _base())
        return scim_response(goto, list_response(len(items), 1, items))

    def document(item_id: str):
        found = discovery.document(collection, item_id, _base())
        if found is None:
            raise LabHTTPError(404, f"{label} '{item_id}' not found")
        return scim_response(goto, found)

    bp.add_url_rule(f"/{collection}", f"list_{collection.lower()}", listing, methods=["GET"])
    bp.add_url_rule(f"/{collection}/<path:item_id>", f"get_{collection.lower()}", document, methods=["GET"])


def _search_body() -> dict:
    body = _body()
    return {k: body[k] for k in ("filter", "attributes", "excludedAttributes", "startIndex", "count") if k in body}


def _resource_routes(bp: Blueprint, goto, service: ScimService, kind: Kind, render) -> None:
    """The RFC 7644 §3 verbs of one resource type: ``/Users`` or ``/Groups``, ``.../{id}``, ``.../.search``."""
    collection = f"/{kind.name}s"
    prefix = kind.name.lower()

    def response_parameters() -> Any:
        """``attributes``/``excludedAttributes`` of the query string (RFC 7644 §3.9), on any answer."""
        args = request.args  # "in" first: a missing key's lookup raises (and builds) a BadRequestKeyError
        wanted = {k: args[k] for k in ("attributes", "excludedAttributes") if k in args and args[k]}
        return service.response_parameters(kind, wanted) if wanted else None

    def one(found: Any, status: int = 200, location: bool = False) -> Response:
        base = _base()
        headers = {"Location": f"{base}{collection}/{found.id}"} if location else None
        return scim_response(goto, render(found, base, response_parameters()), status, headers)

    def many(page: Page) -> Response:
        base = _base()
        items = [render(found, base, page.request) for found in page.items]
        return scim_response(goto, list_response(page.total, page.start_index, items))

    def list_all():
        return many(service.search(kind, request.args.to_dict()))

    def search():
        return many(service.search(kind, _search_body()))

    def create():
        return one(service.create(kind, _body()), 201, location=True)

    def get(resource_id: str):
        return one(service.get(kind, resource_id))

    def replace(resource_id: str):
        return one(service.replace(kind, resource_id, _body()))

    def patch(resource_id: str):
        found = service.patch(kind, resource_id, _body())
        return Response(status=204) if goto.quirks.enabled("patch_returns_204") else one(found)

    def delete(resource_id: str):
        service.delete(kind, resource_id)
        return Response(status=204)

    bp.add_url_rule(collection, f"list_{prefix}s", list_all, methods=["GET"])
    bp.add_url_rule(collection, f"create_{prefix}", create, methods=["POST"])
    bp.add_url_rule(f"{collection}/.search", f"search_{prefix}s", search, methods=["POST"])
    member = f"{collection}/<resource_id>"
    for name, view, method in (("get", get, "GET"), ("replace", replace, "PUT"), ("patch", patch, "PATCH"),
                               ("delete", delete, "DELETE")):
        bp.add_url_rule(member, f"{name}_{prefix}", view, methods=[method])
