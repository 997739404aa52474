"""The one small HTTP client through which the provisioning engine talks to its target.

It sends what Entra's SCIM client sends (``Content-Type: application/scim+json``, a bearer token, no
``User-Agent`` header), verifies TLS against a CA bundle when one is given, applies timeouts, never
raises for a transport failure (it returns a ``TargetResponse`` whose ``failure`` says what went wrong:
``timeout``, ``connection``, ``tls``, ``protocol``), and writes every exchange to the Entra journal as an
``outbound`` entry (secrets redacted there), which is what the wire transcripts are made of.

It speaks through urllib3 directly (the transport under ``requests``): one keep-alive pool, no retries,
no redirects, no proxies from the environment; half the per-request cost of a ``requests`` session,
which counts in cycles of thousands of objects.

Simulator choice (speed, issue 7): a request whose target (the base URL's path and the given path) is
already in the form urllib3 would put it in (only characters a URL path and query may carry, upper-case
percent escapes, no dot segments) goes straight to the connection pool of the base URL's host, with the
arguments the pool manager would give it, instead of having the pool manager parse the whole URL again
and look the pool up for every request; the journal takes the path and query from that target. Anything
else takes the pool manager's way. Either way the same bytes go over the same connection.

Pacing (pacing.py): ``connections`` keep-alive connections to the target (one per object exported at once), a
shared ``RateLimiter`` whose slot every request waits for (the ownership guard's GETs included), and a
``RequestMetrics`` that samples each request's wall-clock latency. Without them the client is what it
always was: one connection, no waiting, nothing measured.

Overlapped export (aio.py): a request made from one of its greenlets goes over the pool's own asyncio
connections instead, framed by h11: the same bytes on the wire (``tests/test_overlapped_export.py``
compares them), the same answer, the same failure kinds; the journal, the guard and the metrics are
the same code.
"""
from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

import h11
import urllib3
from urllib3 import exceptions as u3
from urllib3.util import SKIP_HEADER, parse_url

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
                 connections: int = 1, limiter=None, metrics=None):
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.metrics = metrics
        #: Vendor mode's ``OwnershipGuard`` (guard.py), or None: every request is sent.
        self.guard = guard
        self._token = token
        self.timeout = timeout
        self.journal = journal
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_certs": ca_bundle} if ca_bundle else {"cert_reqs": "CERT_REQUIRED"}
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=max(1, connections), retries=False,
                                        timeout=urllib3.Timeout(connect=timeout, read=timeout), **tls)
        self._origin, self._base_path = _plain_base(self.base_url)
        self._host_pool = None
        self._ca_bundle = ca_bundle
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
        headers = {"User-Agent": SKIP_HEADER, "Accept": SCIM_JSON, "Accept-Encoding": "identity"}
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
            if aio.bridged():
                result.status, result.headers, raw = aio.wait_for(self._send_async(method, url, target, data, headers))
                result.text = raw.decode("utf-8", "replace")
            else:
                if target is None:
                    resp = self.pool.request(method, url, body=data, headers=headers, redirect=False,
                                             preload_content=True)
                else:
                    resp = self._send_plain(method, target, data, headers)
                result.status = resp.status
                result.headers = dict(resp.headers)
                result.text = resp.data.decode("utf-8", "replace")
        except u3.MaxRetryError as exc:  # raised instead of the cause by some urllib3 paths
            result.failure, result.detail = _failure(exc.reason or exc)
        except (u3.HTTPError, OSError, ValueError, h11.ProtocolError) as exc:
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
        """The request target for ``path`` when it can go straight to the host's pool, else None."""
        if self._origin is None:
            return None
        target = self._base_path + path
        if not target.startswith("/") or not _PLAIN_TARGET.fullmatch(target) \
                or "/." in target.partition("?")[0]:
            return None
        return target

    def _send_plain(self, method: str, target: str, data: bytes | None, headers: dict):
        """What ``PoolManager.request`` does for an absolute URL whose request target is ``target``:
        the host's pool's ``urlopen`` with the same arguments (no redirects followed)."""
        pool = self._host_pool
        if pool is None:
            scheme, host, port = self._origin
            pool = self._host_pool = self.pool.connection_from_host(host, port=port, scheme=scheme)
        extra = {} if data is None else {"body": data}
        return pool.urlopen(method.upper(), target, headers=headers, redirect=False, preload_content=True,
                            assert_same_host=False, **extra)

    async def _send_async(self, method: str, url: str, target: str | None, data: bytes | None, headers: dict):
        """The same request on the overlapped export's own connections (aio.py): to the base URL's
        origin when ``target`` is plain, else to wherever urllib3 would send ``url``."""
        if self._async is None:
            self._async = aio.AsyncPool(ca_bundle=self._ca_bundle, timeout=self.timeout)
        if target is not None:
            scheme, host, port = self._origin
            host = host.strip("[]")
        else:
            u = parse_url(url)
            if u.scheme not in ("http", "https") or not u.host:
                raise u3.LocationValueError(f"No host specified: {url}")
            scheme, host, port, target = u.scheme, u.host.strip("[]"), u.port, u.request_uri
        origin = (scheme, host, port or (443 if scheme == "https" else 80))
        sent = [(k, v) for k, v in headers.items() if v is not SKIP_HEADER]
        return await self._async.request(origin, method.upper(), target, sent, data)

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
        sent = {k: v for k, v in headers.items() if v is not SKIP_HEADER}
        # the target's Date header is wall-clock time: left out, so that one seed gives one journal
        received = {k: v for k, v in result.headers.items() if k.lower() != "date"}
        self.journal.record(
            direction="outbound", method=method, path=path, query=query, url=url,
            headers=sent, body=RawBody.of(data, "application/json"),
            status=result.status, response_headers=received,
            response_body=RawBody.of(result.text, result.content_type),
            error=f"{result.failure}: {result.detail}" if result.failure else None, extra=extra,
        )

    def close(self) -> None:
        self._host_pool = None
        self.pool.clear()


def _plain_base(base_url: str) -> tuple[tuple[str, str, int | None] | None, str]:
    """((scheme, host, port), path) of a base URL whose requests may go straight to the host's pool:
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


def _failure(exc: BaseException) -> tuple[str, str]:
    """What went wrong below HTTP: ``tls``, ``timeout``, ``connection`` or ``protocol``, and its first line."""
    if isinstance(exc, (u3.SSLError, ssl.SSLError)):
        kind = "tls"
    elif isinstance(exc, (u3.NewConnectionError, u3.ProtocolError, ConnectionError)):
        kind = "connection"  # before timeouts: urllib3's NewConnectionError is a ConnectTimeoutError
    elif isinstance(exc, (u3.TimeoutError, TimeoutError)):
        kind = "timeout"
    else:
        kind = "protocol"
    return kind, _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:500]
