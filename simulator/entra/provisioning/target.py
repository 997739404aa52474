"""The one small HTTP client through which the provisioning engine talks to its target.

It sends what Entra's SCIM client sends (``Content-Type: application/scim+json``, a bearer token, no
``User-Agent`` header), verifies TLS against a CA bundle when one is given, applies timeouts, never
raises for a transport failure (it returns a ``TargetResponse`` whose ``failure`` says what went wrong:
``timeout``, ``connection``, ``tls``, ``protocol``), and writes every exchange to the Entra journal as an
``outbound`` entry (secrets redacted there), which is what the wire transcripts are made of.

It speaks through http.client, the standard library's HTTP/1.1 client (the one under urllib3 and
``requests``): one keep-alive connection, reopened when the target closes it; no retries, no redirects,
no proxies from the environment, ``TCP_NODELAY`` as urllib3 sets it. Per request it costs about 120 µs
of CPU, urllib3's pool about 200 and a ``requests`` session about twice that (measured back to back
against the bench's ceiling), which counts in cycles of thousands of objects. URLs are parsed by
urllib3's parser; transport failures get the names urllib3 gives them (``_failure``).

Simulator choice (speed, issue 7): a request whose target (the base URL's path and the given path) is
already in the form urllib3's parser would put it in (only characters a URL path and query may carry,
upper-case percent escapes, no dot segments) is sent as it is to the base URL's origin, without parsing
the whole URL again; the journal takes the path and query from that target. Anything else is parsed
(``_route``). Either way the same bytes go over the same connection.

Pacing (pacing.py): a shared ``RateLimiter`` whose slot every request waits for (the ownership guard's
GETs included), and a ``RequestMetrics`` that samples each request's wall-clock latency. Without them the
client waits for nothing and measures nothing.

Overlapped export (aio.py): a request made from one of its greenlets goes over ``aio.AsyncPool``'s asyncio
connections instead, framed by h11: the same bytes on the wire (``tests/test_overlapped_export.py``
compares them), the same answer, the same failure kinds; the journal, the guard and the metrics are
the same code.
"""
from __future__ import annotations

import http.client
import json
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

import h11
from urllib3.util import parse_url

from . import aio

SCIM_JSON = "application/scim+json"

#: Simulator choice: Entra's exact client timeout is unpublished; ten seconds keeps a stalled target from
#: holding a cycle for long while leaving every sane target ample time.
DEFAULT_TIMEOUT = 10.0

#: A request target urllib3 sends as it is: path and query characters of RFC 3986 and upper-case
#: percent escapes only (no fragment, no space, nothing to encode or normalise).
_PLAIN_TARGET = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*"
                           r"(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*)?")


@dataclass
class TargetResponse:
    method: str
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    failure: str | None = None  # timeout | connection | tls | protocol | blocked (not sent: vendor mode's guard)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def reached(self) -> bool:
        """Whether the target answered with an HTTP status at all."""
        return self.status is not None

    def json(self) -> Any:
        """The parsed body, or None when it is empty or not JSON."""
        if not self.text:
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))

    @property
    def retry_after(self) -> float | None:
        raw = self.headers.get("Retry-After") or self.headers.get("retry-after")
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None


class TargetClient:
    def __init__(self, base_url: str, *, token: Callable[[], str | None] | str | None = None,
                 ca_bundle: str | None = None, timeout: float = DEFAULT_TIMEOUT, journal=None, guard=None,
                 limiter=None, metrics=None):
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.metrics = metrics
        #: Vendor mode's ``OwnershipGuard`` (guard.py), or None: every request is sent.
        self.guard = guard
        self._token = token
        self.timeout = timeout
        self.journal = journal
        self._origin, self._base_path = _plain_base(self.base_url)
        #: the base URL's origin as connections are keyed: a plain host, the scheme's port if it names none
        self._wire_origin = _wire_origin(*self._origin) if self._origin is not None else None
        self._ca_bundle = ca_bundle
        self._tls: ssl.SSLContext | None = None
        self._held: tuple[tuple[str, str, int], http.client.HTTPConnection] | None = None
        self._lock = threading.Lock()
        self._async: aio.AsyncPool | None = None

    def token(self) -> str | None:
        return self._token() if callable(self._token) else self._token

    def url_for(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, path: str, body: Any = None, *, purpose: str | None = None,
                attempt: int = 0) -> TargetResponse:
        """``path`` is appended to the base URL as given: its query string must already be encoded.
        ``purpose`` is journaled with the exchange (the guard's ownership checks say so); ``attempt``
        (0 the first time) goes to the metrics."""
        url = self.url_for(path)
        if self.guard is not None:
            blocked = self.guard.check(self, method, path)
            if blocked is not None:
                return self._blocked(method, path, url, body, blocked)
        headers = {"Accept": SCIM_JSON, "Accept-Encoding": "identity"}
        token = self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = f"{SCIM_JSON}; charset=utf-8"
        result = TargetResponse(method=method, url=url)
        target = self._plain_target(path)
        if self.limiter is not None:
            self.limiter.acquire()
        started = time.perf_counter()
        try:
            origin, wire_target = self._route(url, target)
            if aio.bridged():
                if self._async is None:
                    self._async = aio.AsyncPool(tls=self._tls_context, timeout=self.timeout)
                answer = aio.wait_for(self._async.request(origin, method.upper(), wire_target,
                                                          list(headers.items()), data))
            else:
                answer = self._exchange(origin, method.upper(), wire_target, headers, data)
            result.status, result.headers, raw = answer
            result.text = raw.decode("utf-8", "replace")
        except (OSError, ValueError, http.client.HTTPException, h11.ProtocolError) as exc:
            result.failure, result.detail = _failure(exc)
        if self.metrics is not None:
            self.metrics.record(method, path, result.status, result.failure, started, time.perf_counter() - started,
                                attempt)
        self._journal(method, url, headers, data, result, target, {"purpose": purpose} if purpose else None)
        if self.guard is not None and method == "POST":
            self.guard.note_create(path, result.status, result.json())
        return result

    def _blocked(self, method: str, path: str, url: str, body: Any, why: str) -> TargetResponse:
        """A request the guard did not send: journaled with ``blocked`` and no answer."""
        result = TargetResponse(method=method, url=url, failure="blocked", detail=why)
        if self.journal is not None:
            from ...core.journal import RawBody

            parts = urlsplit(url)
            data = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            self.journal.record(direction="outbound", method=method, path=parts.path, query=parts.query, url=url,
                                headers={}, body=RawBody.of(data, "application/json"), status=None,
                                response_headers={}, response_body=None, error=f"blocked: {why}",
                                extra={"blocked": why})
        return result

    def _plain_target(self, path: str) -> str | None:
        """The request target for ``path`` when it needs no parsing of the whole URL, else None."""
        if self._origin is None:
            return None
        target = self._base_path + path
        if not target.startswith("/") or not _PLAIN_TARGET.fullmatch(target) \
                or "/." in target.partition("?")[0]:
            return None
        return target

    def _route(self, url: str, target: str | None) -> tuple[tuple[str, str, int], str]:
        """((scheme, host, port), request target): the base URL's origin for a plain ``target``, else
        what urllib3's URL parser makes of ``url`` (it encodes what must be encoded)."""
        if target is not None:
            return self._wire_origin, target
        u = parse_url(url)
        if u.scheme not in aio.DEFAULT_PORTS or not u.host:
            raise http.client.InvalidURL(f"Not an http or https URL with a host: {url}")
        return _wire_origin(u.scheme, u.host, u.port), u.request_uri

    def _exchange(self, origin: tuple[str, str, int], method: str, target: str, headers: dict,
                  data: bytes | None) -> tuple[int, dict[str, str], bytes]:
        """One request on the client's keep-alive connection (http.client): (status, headers, body)."""
        with self._lock:
            conn = self._connection(origin)
            try:
                conn.request(method, target, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except TimeoutError:
                self._drop()
                raise aio.read_timeout(self.timeout) from None
            except http.client.InvalidURL:  # a target http.client refuses to send: not sent at all
                self._drop()
                raise
            except (http.client.HTTPException, ConnectionError) as exc:
                self._drop()
                raise aio.Aborted(f"Connection aborted: {exc!r}") from None
            except BaseException:
                self._drop()
                raise
            if resp.will_close:  # Connection: close, or HTTP/1.0: the next request opens a new one
                self._drop()
        return resp.status, aio.joined_headers(resp.msg.items()), aio.decoded(raw, resp.msg.get("Content-Encoding"))

    def _connection(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        """The held connection to ``origin`` while the target keeps it open (urllib3's check: not
        readable while idle), else a new one, connected."""
        if self._held is not None:
            held_origin, conn = self._held
            if held_origin == origin and conn.sock is not None and not _readable(conn.sock):
                return conn
            self._drop()
        scheme, host, port = origin
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._tls_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            raise aio.connect_error(exc, host, self.timeout) from None
        # what urllib3 sets too: the body, sent after the head, must not wait for the head's ACK
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._held = (origin, conn)
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        """The context every HTTPS connection of this client verifies the target with (both transports)."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self._ca_bundle)
        return self._tls

    def _drop(self) -> None:
        if self._held is not None:
            self._held[1].close()
            self._held = None

    async def aclose(self) -> None:
        """Close the overlapped export's connections (before its event loop ends)."""
        if self._async is not None:
            pool, self._async = self._async, None
            await pool.aclose()

    def _journal(self, method, url, headers, data: bytes | None, result: TargetResponse,
                 target: str | None = None, extra: dict | None = None) -> None:
        """The exchange as it went over the wire; the journal parses and redacts it only when read."""
        if self.journal is None:
            return
        from ...core.journal import RawBody

        if target is None:
            parts = urlsplit(url)
            path, query = parts.path, parts.query
        else:  # what urlsplit gives for the URL of a plain target
            path, _, query = target.partition("?")
        # the target's Date header is wall-clock time: left out, so that one seed gives one journal
        received = {k: v for k, v in result.headers.items() if k.lower() != "date"}
        self.journal.record(
            direction="outbound", method=method, path=path, query=query, url=url,
            headers=dict(headers), body=RawBody.of(data, "application/json"),
            status=result.status, response_headers=received,
            response_body=RawBody.of(result.text, result.content_type),
            error=f"{result.failure}: {result.detail}" if result.failure else None, extra=extra,
        )

    def close(self) -> None:
        with self._lock:
            self._drop()


def _plain_base(base_url: str) -> tuple[tuple[str, str, int | None] | None, str]:
    """((scheme, host, port), path) of a base URL whose requests may be sent as they are (``_plain_target``):
    http or https, a host, no user information, query or fragment, a plain path; else (None, "")."""
    try:
        u = parse_url(base_url)
    except ValueError:
        return None, ""
    path = u.path or ""
    if u.scheme not in ("http", "https") or not u.host or u.auth is not None or u.query is not None \
            or u.fragment is not None or "?" in base_url or "#" in base_url or "@" in base_url \
            or path != urlsplit(base_url).path or not _PLAIN_TARGET.fullmatch(path) or "/." in path \
            or (path and not path.startswith("/")):
        return None, ""
    return (u.scheme, u.host, u.port), path


def _wire_origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    """(scheme, host without IPv6 brackets, port): what a connection is opened to and keyed by."""
    return scheme, host.strip("[]"), port or aio.DEFAULT_PORTS[scheme]


def _failure(exc: BaseException) -> tuple[str, str]:
    """What went wrong below HTTP: ``tls``, ``timeout``, ``connection`` or ``protocol``, and its first line.
    The kinds are urllib3's: a target that hangs up or answers what is not HTTP aborted the connection; a
    URL that cannot be sent to, or a body that cannot be decoded, is ``protocol``."""
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        kind = "tls"
    elif isinstance(exc, TimeoutError):
        kind = "timeout"
    elif isinstance(exc, (ValueError, http.client.InvalidURL, h11.LocalProtocolError)):
        kind = "protocol"
    elif isinstance(exc, (OSError, http.client.HTTPException, h11.RemoteProtocolError)):
        kind = "connection"
    else:
        kind = "protocol"
    return kind, _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:500]


def _readable(sock) -> bool:
    """Whether an idle connection's socket has something to read: the target closed it (or sent what
    no request asked for); either way it is not reused."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
