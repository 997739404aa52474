"""Overlapped export: the engine's synchronous per-object code on one asyncio event loop.

With ``exportConcurrency`` above one, up to that many objects are exported at once. Threads would do it,
but every request a thread sends hands the interpreter to another thread and back; on a loopback target
those hand-overs cost the lab more CPU than the requests themselves, so threads stop scaling at the
second worker. Here every object's work runs in a greenlet on the cycle's own thread instead: the engine's
code stays as it is (one object's requests one after another, in order), and where it waits for the
target, its greenlet is parked and the event loop runs another object's work meanwhile. No thread hand-over
happens at all.

* ``run_sync(fn, *args)`` (a coroutine) runs ``fn`` in a *bridged* greenlet on the running loop;
  ``wait_for(awaitable)``, called from the synchronous code inside it, suspends that greenlet until the
  awaitable is done. It is the bridge SQLAlchemy's asyncio support uses (``greenlet_spawn`` and
  ``await_only``).
* ``pause(seconds)`` sleeps without stopping the other objects' work when bridged, else ``time.sleep``.
* ``AsyncPool`` sends one HTTP/1.1 request over keep-alive connections of its own, framed by ``h11``, with
  the TLS, timeouts and framing ``TargetClient`` has with http.client (``target.py`` decides which to
  use: this one only inside a bridged greenlet).
"""
from __future__ import annotations

import asyncio
import contextvars
import ssl
import threading
import time
import zlib
from typing import Any, Awaitable, Callable

import greenlet
import h11

READ_SIZE = 65536


class _Bridged(greenlet.greenlet):
    """A greenlet whose synchronous code may ``wait_for`` coroutines of the loop that runs it."""


def bridged() -> bool:
    return isinstance(greenlet.getcurrent(), _Bridged)


def wait_for(awaitable: Awaitable) -> Any:
    """Suspend the calling bridged greenlet until ``awaitable`` is done; its result (or its exception)."""
    return greenlet.getcurrent().parent.switch(awaitable)


async def run_sync(fn: Callable, *args) -> Any:
    """``fn(*args)`` in a bridged greenlet, in a copy of the caller's context: whatever it passes to
    ``wait_for`` is awaited here, on the running loop."""
    runner = _Bridged(fn, greenlet.getcurrent())
    runner.gr_context = contextvars.copy_context()
    step = runner.switch(*args)
    while not runner.dead:
        try:
            value = await step
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting code, which decides
            step = runner.throw(exc)
        else:
            step = runner.switch(value)
    return step


def run(coro) -> Any:
    """``asyncio.run(coro)``; on a thread whose own event loop is running already (Playwright's sync API
    keeps one on the thread it drives the browser from, while that thread runs a cycle in process), on a
    thread of its own, which this one waits for."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # none: the usual case
        return asyncio.run(coro)
    outcome: dict = {}

    def apart() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=apart, name="entra-export-loop")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def pause(seconds: float) -> None:
    """Sleep ``seconds`` of wall-clock time; in a bridged greenlet, only that object's work waits."""
    if seconds <= 0:
        return
    if bridged():
        wait_for(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


#: The port a URL of each scheme means when it names none (``Host`` leaves it out).
DEFAULT_PORTS = {"http": 80, "https": 443}


class Aborted(ConnectionError):
    """The exchange broke off before a whole answer: the target closed the connection, or what it sent is
    not an HTTP/1.1 response (urllib3 names both "Connection aborted", and so does the engine)."""


def connect_error(exc: OSError, host: str, timeout: float) -> OSError:
    """A connection that could not be made, as both transports report it (in urllib3's words): a TLS
    error as it is, a timeout as a connect timeout, anything else (refused, a name that does not
    resolve) as no connection."""
    if isinstance(exc, ssl.SSLError):
        return exc
    if isinstance(exc, TimeoutError):
        return TimeoutError(f"Connection to {host} timed out. (connect timeout={timeout:g})")
    return ConnectionError(f"Failed to establish a new connection: {exc}")


def read_timeout(timeout: float) -> TimeoutError:
    """An exchange whose answer did not come within ``timeout`` seconds, as both transports report it."""
    return TimeoutError(f"Read timed out. (read timeout={timeout:g})")


class AsyncPool:
    """Keep-alive HTTP/1.1 connections to one or more origins, one request at a time on each."""

    def __init__(self, *, tls: Callable[[], ssl.SSLContext], timeout: float):
        #: the TLS context for ``https`` origins (the ``TargetClient``'s, shared with its own connection)
        self._tls = tls
        self.timeout = timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def request(self, origin: tuple[str, str, int], method: str, target: str, headers: list[tuple[str, str]],
                      body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        """(status, headers as the target spelled them, decoded body). Raises ``TimeoutError``,
        ``ssl.SSLError``, ``OSError`` (``Aborted`` among them) or ``h11.ProtocolError``."""
        idle = self._idle.setdefault(origin, [])
        conn = None
        while idle:
            candidate = idle.pop()
            if candidate.usable():
                conn = candidate
                break
            candidate.close()
        if conn is None:
            conn = await self._connect(origin)
        try:
            # Host, then Content-Length, then the caller's headers: the order http.client writes them in
            framing = [("Host", _host_header(origin))]
            if body is not None:
                framing.append(("Content-Length", str(len(body))))
            answer = await conn.exchange(method, target, framing + headers, body, self.timeout)
        except BaseException:
            conn.close()
            raise
        if conn.reusable():
            idle.append(conn)
        else:
            conn.close()
        return answer

    async def _connect(self, origin: tuple[str, str, int]) -> "_Connection":
        scheme, host, port = origin
        tls = self._tls() if scheme == "https" else None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(host, port, ssl=tls,
                                                               server_hostname=host if tls else None)
        except OSError as exc:
            raise connect_error(exc, host, self.timeout) from None
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        conns = [c for idle in self._idle.values() for c in idle]
        self._idle.clear()
        for conn in conns:
            conn.close()
        for conn in conns:
            try:
                await conn.writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)

    def usable(self) -> bool:
        """Idle and still open: the target has not closed it meanwhile."""
        return not self.reader.at_eof() and not self.writer.is_closing() and self.h11.our_state is h11.IDLE

    def reusable(self) -> bool:
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.close()

    async def exchange(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None,
                       timeout: float) -> tuple[int, dict[str, str], bytes]:
        conn = self.h11
        out = conn.send(h11.Request(method=method, target=target, headers=headers))
        if body:
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        self.writer.write(out)
        response, chunks = None, []
        try:
            async with asyncio.timeout(timeout):
                await self.writer.drain()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    async with asyncio.timeout(timeout):
                        data = await self.reader.read(READ_SIZE)
                    if not data and response is None:
                        raise Aborted("Connection aborted: remote end closed connection without response")
                    conn.receive_data(data)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    chunks.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise Aborted("Connection aborted: remote end closed connection without response")
        except h11.RemoteProtocolError as exc:
            raise Aborted(f"Connection aborted: {exc}") from None
        except TimeoutError:
            raise read_timeout(timeout) from None
        coding = next((v for k, v in response.headers if k == b"content-encoding"), b"").decode("latin-1")
        return response.status_code, joined_headers((k.decode("latin-1"), v.decode("latin-1"))
                                                    for k, v in response.headers.raw_items()), \
            decoded(b"".join(chunks), coding)


def _host_header(origin: tuple[str, str, int]) -> str:
    """``Host`` as http.client writes it: the port only when it is not the scheme's default."""
    scheme, host, port = origin
    name = f"[{host}]" if ":" in host else host
    return name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"


class BodyDecodeError(ValueError):
    """The body does not decode as its Content-Encoding says (urllib3's DecodeError)."""


def joined_headers(pairs) -> dict[str, str]:
    """Response headers as a dict: names as the target spelled them first, repeated ones joined by ", "
    (as urllib3's HTTPHeaderDict joins them)."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, value in pairs:
        first = seen.setdefault(name.lower(), name)
        out[first] = f"{out[first]}, {value}" if first in out else value
    return out


def decoded(data: bytes, coding: str | None) -> bytes:
    """The body without its gzip or deflate content coding, as urllib3 decodes it."""
    coding = (coding or "").strip().lower()
    if not data or coding in ("", "identity"):
        return data
    try:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        if coding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:
                return zlib.decompress(data, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise BodyDecodeError(f"Received response with content-encoding: {coding}, but failed to decode it: "
                              f"{exc}") from None
    return data
