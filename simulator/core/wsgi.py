"""WSGI middleware shared by both fakes: the request journal and the fault rules.

It sits outside Flask so that it sees exactly what went over the wire (status, headers, body), and so
that a fault can abort the TCP connection itself. The server exposes the client socket to it as
``environ["lab.socket"]`` (see ``simulator.core.server``).
"""
from __future__ import annotations

import errno
import io
import socket
import struct
import time
from http import HTTPStatus
from typing import Callable, Iterable

from .journal import Journal, RawBody

#: Bodies larger than this are not buffered for the journal (Flask answers 413 anyway).
MAX_BODY = 1024 * 1024

ErrorRenderer = Callable[[dict, int, str, dict], tuple[str, list[tuple[str, str]], bytes]]


def _abort_connection(environ: dict) -> None:
    """Arm the client socket so that closing it sends a TCP RST instead of a FIN.

    The server closes the socket itself once ``ConnectionAborted`` reaches it; closing it here would
    pull the descriptor from under the server's worker thread.
    """
    sock = environ.get("lab.socket")
    if sock is None:
        return
    try:
        raw = getattr(sock, "_sock", sock)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class ConnectionAborted(ConnectionResetError):
    """Raised into the server by a fault rule: the server drops the connection without answering.

    It is a ``ConnectionResetError`` (ECONNRESET) so that the server treats it as a peer reset: no
    error response, no log line."""

    def __init__(self, message: str):
        super().__init__(errno.ECONNRESET, message)


class LabMiddleware:
    """Journal every request, and apply the fault rules before the application sees it."""

    def __init__(self, app, *, journal: Journal, faults, render_error: ErrorRenderer,
                 skip_journal: Callable[[str], bool] = lambda path: path.startswith("/_admin"),
                 sleep: Callable[[float], None] = time.sleep):
        self.app = app
        self.journal = journal
        self.faults = faults
        self.render_error = render_error
        self.skip_journal = skip_journal
        self.sleep = sleep

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        body = self._buffer_body(environ)
        rule = None if path.startswith("/_admin") else self.faults.match(
            method, path, environ.get("QUERY_STRING", ""))
        clock = self.journal.clock
        began = clock.now()
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return start_response(status, headers, exc_info)

        if rule is not None:
            chunks = self._apply_fault(rule, environ, capture)
        else:
            result = self.app(environ, capture)
            try:
                chunks = list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        if not self.skip_journal(path):
            self._record(environ, method, path, body, captured, chunks, began, rule)
        return chunks

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _buffer_body(environ) -> bytes | None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > MAX_BODY:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        return raw

    def _apply_fault(self, rule, environ, start_response) -> list[bytes]:
        if rule.delayMs:
            self.sleep(rule.delayMs / 1000.0)
        if rule.action == "delay":
            result = self.app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        if rule.action == "reset":
            _abort_connection(environ)
            raise ConnectionAborted(f"fault {rule.id}: connection reset")
        if rule.action == "stall":
            self.sleep(rule.stallSeconds)
            _abort_connection(environ)
            raise ConnectionAborted(f"fault {rule.id}: stalled")
        if rule.action == "answer":
            return self._answer(rule, start_response)
        if rule.action == "malformed":
            body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":'
            start_response("200 OK", [("Content-Type", "application/scim+json; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        headers = {}
        if rule.retryAfter is not None:
            headers["Retry-After"] = str(rule.retryAfter)
        status_line, header_list, body = self.render_error(
            environ, rule.status, f"Injected fault {rule.id}: the service answered {rule.status}.", headers)
        start_response(status_line, header_list)
        return [body]

    @staticmethod
    def _answer(rule, start_response) -> list[bytes]:
        """The rule's own answer: its status, body and Content-Type (204 and 304: no body, no
        Content-Type); the application never sees the request."""
        try:
            reason = HTTPStatus(rule.status).phrase
        except ValueError:
            reason = "Fault"
        body = rule.answer_body()
        headers = [("Content-Type", rule.contentType), ("Content-Length", str(len(body)))] if body else []
        if rule.retryAfter is not None:
            headers.append(("Retry-After", str(rule.retryAfter)))
        start_response(f"{rule.status} {reason}", headers)
        return [body] if body else []

    def _record(self, environ, method, path, body, captured, chunks, began, rule) -> None:
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        resp_headers = dict(captured.get("headers") or [])
        status = captured.get("status")
        raw_resp = b"".join(chunks) if chunks else b""
        self.journal.record(
            method=method,
            path=path,
            query=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=RawBody.of(body, environ.get("CONTENT_TYPE")),
            status=int(status.split(" ", 1)[0]) if status else None,
            response_headers=resp_headers,
            response_body=RawBody.of(raw_resp, resp_headers.get("Content-Type")),
            duration_ms=(self.journal.clock.now() - began).total_seconds() * 1000,
            extra={"fault": rule.id} if rule is not None else None,
        )


def iter_close(result: Iterable[bytes]) -> list[bytes]:
    try:
        return list(result)
    finally:
        if hasattr(result, "close"):
            result.close()
