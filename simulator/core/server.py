"""Serving the lab's WSGI apps: a threaded, production-grade server (cheroot) in a background thread.

Used by ``python -m simulator serve`` and by the test fixtures alike, so that tests talk to the same
server stack a user runs. Port 0 picks a free ephemeral port; ``url`` tells which one was taken. TLS is
served from a ``trustme`` CA (see ``simulator.core.tls``).

Simulator choice (speed, issue 7): a worker that has answered a keep-alive request waits up to
``KEEP_ALIVE_WAIT`` for the connection's next request and serves it itself, instead of handing the
connection to cheroot's connection manager (a selector thread and a queue) after every request. A client
that sends requests back to back, such as the provisioning engine, then costs one thread per request
instead of three: a bare Flask endpoint with a client in the same process went from about 1,970 to 2,270
requests per second.
"""
from __future__ import annotations

import logging
import select
import threading

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter


class _Gateway(wsgi.Gateway_10):
    """Exposes the client socket to the app, so that fault rules can reset the connection."""

    def get_environ(self):
        env = super().get_environ()
        env["lab.socket"] = self.req.conn.socket
        return env


#: How long a worker waits for the next request of a keep-alive connection before handing it back.
KEEP_ALIVE_WAIT = 0.002


def _next_request_soon(conn, timeout: float) -> bool:
    """True when the connection has (or gets within ``timeout`` seconds) the bytes of another request."""
    if conn.rfile.has_data():
        return True
    sock = conn.socket
    pending = getattr(sock, "pending", None)  # TLS: bytes already decrypted
    if pending is not None and pending():
        return True
    try:
        readable, _, _ = select.select([sock], [], [], timeout)
    except (OSError, ValueError):  # closed meanwhile
        return False
    return bool(readable)


class _Server(wsgi.Server):
    def put_conn(self, conn):
        """Serve a keep-alive connection's next request in the same worker when it comes at once (a client
        such as the provisioning engine sends one request right after another), instead of a round
        trip through cheroot's connection manager and request queue for every request; otherwise
        hand the idle connection back as cheroot does."""
        while self.ready and _next_request_soon(conn, KEEP_ALIVE_WAIT):
            try:
                keep_open = conn.communicate()
            except ConnectionError:  # the client went away: drop the connection, as cheroot's loop does
                keep_open = False
            except Exception as exc:  # noqa: BLE001 - as cheroot's loop: log it, drop the connection
                self.error_log(f"Unhandled error while processing a connection: {exc!r}", level=logging.ERROR)
                keep_open = False
            if not keep_open:
                conn.close()
                return
        super().put_conn(conn)

    def error_log(self, msg="", level=logging.INFO, traceback=False):
        # Only the first line goes to logging: request data (which could hold secrets) stays out.
        logging.getLogger("simulator.server").log(level, "%s", msg.splitlines()[0] if msg else msg)


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, tls=None, threads: int = 16,
                 name: str = "lab"):
        self.app = app
        self.host = host
        self.name = name
        # The listen backlog holds bursts of concurrent clients (cheroot's default of 5 resets them).
        self._server = _Server((host, port), app, numthreads=threads, max=threads * 4,
                               server_name=name, timeout=30, shutdown_timeout=2,
                               request_queue_size=128)
        self._server.gateway = _Gateway
        # How long cheroot's selector waits in one select(): also how long stop() may wait for it (0.5 s
        # by default, a second per lab of two servers). A tenth of a second costs ten idle wake-ups a second.
        self._server.expiration_interval = 0.1
        if tls is not None:
            self._server.ssl_adapter = BuiltinSSLAdapter(tls.cert_file, tls.key_file)
        self.scheme = "https" if tls is not None else "http"
        self._thread: threading.Thread | None = None

    def start(self) -> "LiveServer":
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name=f"{self.name}-server", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        return f"{self.scheme}://{host}:{self.port}"

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
