"""Building a lab Flask app: per-surface error envelopes for every error, routing 404/405 included,
the body size limit, and the journal/fault middleware around it."""
from __future__ import annotations

import json
import logging
from typing import Callable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .errors import LabHTTPError
from .faults import FaultSet
from .journal import Journal
from .wsgi import MAX_BODY, LabMiddleware

#: (status, message, code, extra) -> Response in the surface's envelope.
Renderer = Callable[[int, str, "str | None", dict], Response]

log = logging.getLogger("simulator")


class Surfaces:
    """Maps a path prefix to the renderer of that surface's error envelope (longest prefix wins)."""

    def __init__(self, default: Renderer):
        self.default = default
        self._by_prefix: list[tuple[str, Renderer]] = []

    def add(self, prefix: str, renderer: Renderer) -> None:
        self._by_prefix.append((prefix, renderer))
        self._by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def renderer_for(self, path: str) -> Renderer:
        for prefix, renderer in self._by_prefix:
            if path.startswith(prefix):
                return renderer
        return self.default


def _http_message(exc: HTTPException) -> str:
    if exc.code == 404:
        return "The requested resource does not exist."
    if exc.code == 405:
        return f"The method {request.method} is not allowed for this resource."
    if exc.code == 413:
        return "The request body is larger than the 1 MiB this service accepts."
    return exc.description or exc.name


def create_base_app(name: str, *, journal: Journal, faults: FaultSet, surfaces: Surfaces) -> Flask:
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False

    @app.errorhandler(LabHTTPError)
    def _lab_error(exc: LabHTTPError):
        return surfaces.renderer_for(request.path)(exc.status, exc.message, exc.code, exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        extra = {}
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            extra["headers"] = {"Allow": ", ".join(sorted(exc.valid_methods))}  # type: ignore[attr-defined]
        return surfaces.renderer_for(request.path)(exc.code or 500, _http_message(exc), None, extra)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error in %s %s", request.method, request.path)
        return surfaces.renderer_for(request.path)(
            500, "The service hit an unexpected error; the request was not applied.", None, {})

    def render_wsgi(environ, status, message, headers):
        path = environ.get("PATH_INFO", "")
        with app.test_request_context(path, method=environ.get("REQUEST_METHOD", "GET")):
            resp = surfaces.renderer_for(path)(status, message, None, {"headers": headers})
            for k, v in headers.items():
                resp.headers[k] = v
            body = resp.get_data()
            resp.headers["Content-Length"] = str(len(body))
            return resp.status, resp.headers.to_wsgi_list(), body

    app.wsgi_app = LabMiddleware(app.wsgi_app, journal=journal, faults=faults,  # type: ignore[method-assign]
                                 render_error=render_wsgi)
    return app


def read_json(*, require_object: bool = True, allow_empty: bool = False, code: str | None = None):
    """The request body as JSON, or a ``LabHTTPError`` 400 that the surface renders.

    Accepts any ``*/json`` or ``*+json`` content type, and a missing one (clients are sloppy); rejects a
    form or text body with 415.
    """
    ctype = (request.mimetype or "").lower()
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise LabHTTPError(400, "The request body is empty; a JSON object was expected.", code)
    if ctype and not (ctype.endswith("/json") or ctype.endswith("+json")):
        raise LabHTTPError(415, f"Content-Type '{request.mimetype}' is not supported; send JSON.", code)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LabHTTPError(400, f"The request body is not valid JSON: {exc}", code) from None
    if require_object and not isinstance(data, dict):
        raise LabHTTPError(400, "The request body must be a JSON object.", code)
    return data
