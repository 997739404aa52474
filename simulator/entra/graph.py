"""The Microsoft Graph surface's wire shape: the error envelope, ``request-id`` headers, JSON answers and
``@odata.context``.

Graph error envelope (SPEC §3.2)::

    {"error": {"code": "...", "message": "...",
               "innerError": {"date": "...", "request-id": "...", "client-request-id": "..."}}}

Every Graph answer, success or error, carries ``request-id`` and ``client-request-id`` headers; the
``client-request-id`` echoes the caller's header when it sent one, as Graph does.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote, urlencode

from flask import Response, current_app, g, has_request_context, request

from ..core.errors import graph_error, json_response

#: Graph's JSON content type (OData minimal metadata).
GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false"

#: Graph's codes when a view raises an error without one.
DEFAULT_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "Request_ResourceNotFound",
    405: "Request_BadRequest",
    409: "Request_MultipleObjectsWithSameKeyValue",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalServerError",
    501: "NotImplemented",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

#: The message Graph gives for a method a resource does not support (405).
METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."
#: Graph's message for a rate-limited call (429).
TOO_MANY_REQUESTS = "Too many requests have been sent; retry after the delay given in Retry-After."


def request_ids(entra) -> tuple[str, str]:
    """The ``request-id`` of the current request (one draw from the seeded stream per request) and the
    ``client-request-id`` (the caller's, or the request id)."""
    if not has_request_context():
        rid = entra.lab.rand.stream("entra.graph.request-ids").uuid()
        return rid, rid
    rid = getattr(g, "graph_request_id", None)
    if rid is None:
        rid = g.graph_request_id = entra.lab.rand.stream("entra.graph.request-ids").uuid()
    client_rid = request.headers.get("client-request-id") or rid
    return rid, client_rid[:128]


def graph_date(moment: datetime) -> str:
    """``innerError.date`` as Graph prints it: ISO 8601 to the second, without a zone designator."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _unknown_segment(path: str) -> str:
    """The first path segment no route knows, as Graph names it in "Resource not found for the segment
    '<x>'."."""
    segments = [s for s in path.split("/") if s]
    best = 1
    for rule in current_app.url_map.iter_rules():
        parts = [p for p in rule.rule.split("/") if p]
        depth = 0
        for have, want in zip(segments, parts):
            if want.startswith("<") or have.lower() == want.lower():
                depth += 1
            else:
                break
        best = max(best, depth)
    if best < len(segments):
        return segments[best]
    return segments[-1] if segments else ""


def render_graph_error(entra):
    """The Graph error renderer of this app: (status, message, code, extra) -> Response.

    Routing misses are rendered the way Graph answers an unknown URL: 400 ``BadRequest`` "Resource not
    found for the segment '<segment>'."; a wrong method is 405 ``Request_BadRequest``. ``extra["headers"]``
    are added to the answer.
    """

    def render(status: int, message: str, code: str | None, extra: dict) -> Response:
        headers = dict(extra.get("headers") or {})
        routing_miss = request.url_rule is None and not message.startswith("Injected fault")
        if code is None and status == 404 and routing_miss:
            status, code = 400, "BadRequest"
            message = f"Resource not found for the segment '{_unknown_segment(request.path)}'."
        elif code is None and status == 405 and routing_miss:
            message = METHOD_NOT_ALLOWED
        elif code is None and status == 429 and message.startswith("Injected fault"):
            message = TOO_MANY_REQUESTS
        code = code or DEFAULT_CODES.get(status) or ("UnknownError" if status >= 500 else "BadRequest")
        rid, client_rid = request_ids(entra)
        return graph_error(status, code, message, date=graph_date(entra.lab.clock.now()),
                           request_id=rid, client_request_id=client_rid, headers=headers)

    return render


def graph_json(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    """A Graph success answer with Graph's content type."""
    return json_response(payload, status, GRAPH_CONTENT_TYPE, headers)


def graph_no_content() -> Response:
    return Response(status=204)


def graph_version() -> str:
    """``v1.0`` or ``beta``: the version segment of the current request."""
    first = request.path.lstrip("/").split("/", 1)[0]
    return first if first in ("v1.0", "beta") else "v1.0"


def graph_base_url() -> str:
    """This lab's Graph root for the current request, e.g. ``https://127.0.0.1:8410/v1.0``."""
    return f"{request.host_url}{graph_version()}"


def odata_context(entity_set: str) -> str:
    """``@odata.context`` for the current request: ``{host}v1.0/$metadata#users`` (or ``beta``)."""
    return f"{graph_base_url()}/$metadata#{entity_set}"


def graph_collection(entity_set: str, items: list[dict], **extra: Any) -> dict:
    """A Graph collection body: ``@odata.context``, then any ``@odata.nextLink``..., then ``value``."""
    body: dict[str, Any] = {"@odata.context": odata_context(entity_set)}
    body.update({k: v for k, v in extra.items() if v is not None})
    body["value"] = items
    return body


def graph_entity(entity_set: str, item: dict) -> dict:
    """A single Graph entity body: ``@odata.context`` ``…#entitySet/$entity`` followed by the properties."""
    return {"@odata.context": odata_context(f"{entity_set}/$entity"), **item}


def install_request_id_headers(app, entra, prefixes: tuple[str, ...] = ("/v1.0", "/beta")) -> None:
    """Every Graph answer carries ``request-id`` and ``client-request-id``, as Graph's do."""

    @app.after_request
    def _add(resp: Response) -> Response:
        if request.path.startswith(prefixes) and "request-id" not in resp.headers:
            rid, client_rid = request_ids(entra)
            resp.headers["request-id"] = rid
            resp.headers["client-request-id"] = client_rid
        return resp


def next_link(token: str | None) -> str | None:
    """``@odata.nextLink``: this request's URL with its query options and the next page's ``$skiptoken``."""
    if token is None:
        return None
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k.lower() != "$skiptoken"]
    pairs.append(("$skiptoken", token))
    return f"{request.base_url}?{urlencode(pairs, quote_via=quote, safe='$,()*@:/')}"


def graph_page(entity_set: str, page, render: Callable[[Any], dict], query) -> dict:
    """A collection body for one page of an OData query (``simulator.entra.odata``): ``@odata.context``
    (with the ``$select`` list), ``@odata.count`` when asked for, ``@odata.nextLink``, ``value``."""
    extra: dict[str, Any] = {}
    if page.count is not None:
        extra["@odata.count"] = page.count
    extra["@odata.nextLink"] = next_link(page.next_token)
    return graph_collection(f"{entity_set}{query.context_suffix()}", [render(o) for o in page.items], **extra)
