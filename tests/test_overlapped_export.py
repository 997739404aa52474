"""The overlapped export's transport (aio.py): inside a bridged greenlet, ``TargetClient.request`` sends
over asyncio connections framed by h11 instead of urllib3. What goes over the wire, what the engine gets
back, and how a broken target is classified must not depend on which of the two sent the request."""
from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import threading
import time

import pytest
import trustme

from simulator.entra.provisioning import aio
from simulator.entra.provisioning.target import TargetClient


class RawServer:
    """A loopback server that hands each accepted connection to ``handler(conn, server)``, and keeps
    every request it read (``read_request``) in arrival order."""

    def __init__(self, handler, tls: ssl.SSLContext | None = None):
        self.handler, self.tls = handler, tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/scim/v2"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(conn, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def read_request(self, conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        self.requests.append(head + b"\r\n\r\n" + body)
        return self.requests[-1]

    def close(self) -> None:
        self.sock.close()


def bridged(client: TargetClient, *calls):
    """Each ``(method, path, body)`` sent by ``client`` from a bridged greenlet, as the overlapped export
    sends them; the responses."""
    async def run():
        try:
            return [await aio.run_sync(client.request, *call) for call in calls]
        finally:
            await client.aclose()
    return aio.run(run())


def plain(client: TargetClient, *calls):
    try:
        return [client.request(*call) for call in calls]
    finally:
        client.close()


def _answer_by_method(conn, server):
    """Keep-alive answers of every framing: Content-Length, chunked, gzip-coded, repeated headers, 204."""
    while (request := server.read_request(conn)) is not None:
        method = request.split(b" ", 1)[0]
        if method == b"GET":
            body = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nX-Trace: a\r\nx-trace: b\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        elif method == b"POST":
            conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/scim+json; charset=utf-8\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n9\r\n{\"id\":\"7\"\r\n1\r\n}\r\n0\r\n\r\n")
        elif method == b"PATCH":
            body = gzip.compress('{"displayName":"Jürgen"}'.encode())
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Encoding: gzip\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        else:
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")


CALLS = [
    ("GET", '/Users?filter=userName+eq+%22a%40contoso.example%22', None),
    ("POST", "/Users", {"userName": "jürgen@contoso.example", "active": True}),
    ("PATCH", "/Users/7", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "Replace", "path": "displayName", "value": "Jürgen"}]}),
    ("DELETE", "/Users/7", None),
    ("GET", "/Users/a b?x=ä", None),  # not a plain request target: urllib3 encodes it
]


def _seen(resp) -> tuple:
    return resp.status, resp.headers, resp.text, resp.failure


def test_bridged_requests_put_the_same_bytes_on_the_wire_and_read_the_same_answers():
    server = RawServer(_answer_by_method)
    try:
        sync = plain(TargetClient(server.url, token="t0ken"), *CALLS)
        sent_sync, server.requests = server.requests, []
        over = bridged(TargetClient(server.url, token="t0ken"), *CALLS)
        sent_over = server.requests
    finally:
        server.close()
    assert len(sent_sync) == len(CALLS)
    assert sent_over == sent_sync
    assert [_seen(r) for r in over] == [_seen(r) for r in sync]
    assert over[0].headers["X-Trace"] == "a, b"
    assert over[1].json() == {"id": "7"} and over[2].json() == {"displayName": "Jürgen"}
    assert over[3].status == 204 and over[3].text == ""
    # one keep-alive connection carried each client's requests
    assert server.connections == 2


@pytest.mark.parametrize("send", [plain, bridged])
def test_a_new_connection_follows_connection_close(send):
    def close_after_each(conn, server):
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

    server = RawServer(close_after_each)
    try:
        answers = send(TargetClient(server.url), *[("DELETE", f"/Users/{n}", None) for n in range(3)])
    finally:
        server.close()
    assert [a.status for a in answers] == [204, 204, 204]
    assert server.connections == 3


@pytest.mark.parametrize("overlapped", [False, True])
def test_an_idle_connection_the_target_closed_is_not_reused(overlapped):
    """A keep-alive connection the target closes while it is idle (its idle timeout) is replaced before
    the next request, as urllib3 did, instead of failing that request."""
    def one_answer_then_idle_close(conn, server):
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    server = RawServer(one_answer_then_idle_close)
    client = TargetClient(server.url)

    async def two_apart():
        try:
            first = await aio.run_sync(client.request, "DELETE", "/Users/1")
            await asyncio.sleep(0.1)  # the handler has returned: the target closed the idle connection
            return [first, await aio.run_sync(client.request, "DELETE", "/Users/2")]
        finally:
            await client.aclose()

    try:
        if overlapped:
            answers = aio.run(two_apart())
        else:
            answers = [client.request("DELETE", "/Users/1")]
            time.sleep(0.1)
            answers.append(client.request("DELETE", "/Users/2"))
            client.close()
    finally:
        server.close()
    assert [(a.status, a.failure) for a in answers] == [(204, None), (204, None)]
    assert server.connections == 2


def _never_answers(conn, server):
    server.read_request(conn)
    conn.recv(1)  # until the client gives up


def _hangs_up(conn, server):
    server.read_request(conn)


def _garbage(conn, server):
    server.read_request(conn)
    conn.sendall(b"SCIM/9 lovely\r\n\r\n")


def _bad_gzip(conn, server):
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope")


@pytest.mark.parametrize("handler, kind", [(_never_answers, "timeout"), (_hangs_up, "connection"),
                                           (_garbage, "connection"), (_bad_gzip, "protocol")])
def test_a_broken_target_is_classified_the_same_way_by_both_transports(handler, kind):
    server = RawServer(handler)
    try:
        sync = plain(TargetClient(server.url, timeout=0.3), ("GET", "/Users/1", None))[0]
        over = bridged(TargetClient(server.url, timeout=0.3), ("GET", "/Users/1", None))[0]
    finally:
        server.close()
    assert (sync.failure, over.failure) == (kind, kind)
    assert over.status is None and over.detail


def test_a_refused_connection_is_a_connection_failure_for_both_transports():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    url = f"http://127.0.0.1:{port}/scim"
    sync = plain(TargetClient(url, timeout=1), ("GET", "/Users", None))[0]
    over = bridged(TargetClient(url, timeout=1), ("GET", "/Users", None))[0]
    assert (sync.failure, over.failure) == ("connection", "connection")


def test_bridged_tls_verifies_the_target_against_the_ca_bundle(tmp_path):
    ca, stranger = trustme.CA(), trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    trusted, untrusted = tmp_path / "ca.pem", tmp_path / "other.pem"
    ca.cert_pem.write_to_path(str(trusted))
    stranger.cert_pem.write_to_path(str(untrusted))
    server = RawServer(_answer_by_method, tls=server_tls)
    try:
        good = bridged(TargetClient(server.url, ca_bundle=str(trusted), timeout=2), ("DELETE", "/Users/1", None))[0]
        bad_sync = plain(TargetClient(server.url, ca_bundle=str(untrusted), timeout=2), ("DELETE", "/Users/1", None))[0]
        bad = bridged(TargetClient(server.url, ca_bundle=str(untrusted), timeout=2), ("DELETE", "/Users/1", None))[0]
    finally:
        server.close()
    assert good.status == 204 and good.failure is None
    assert (bad_sync.failure, bad.failure) == ("tls", "tls")
    assert len(server.requests) == 1  # the untrusted handshakes never got to send a request


def test_a_pause_in_one_bridged_object_lets_the_others_run():
    events = []

    def waits():
        events.append("first waits")
        aio.pause(0.05)
        events.append("first resumes")

    def runs():
        events.append("second runs")

    async def both():
        await asyncio.gather(aio.run_sync(waits), aio.run_sync(runs))

    aio.run(both())
    assert events == ["first waits", "second runs", "first resumes"]
    assert not aio.bridged()


def test_an_overlapped_export_runs_on_a_thread_whose_own_event_loop_is_running():
    """Playwright's sync API keeps an event loop running on the thread that drives the browser; a cycle
    that thread runs in process still overlaps its objects (on a thread of its own)."""
    server = RawServer(_answer_by_method)

    async def browser_thread():
        return bridged(TargetClient(server.url), ("DELETE", "/Users/1", None))

    answers: list = []
    thread = threading.Thread(target=lambda: answers.extend(asyncio.run(browser_thread())))
    try:
        thread.start()
        thread.join()
    finally:
        server.close()
    [answer] = answers
    assert answer.status == 204 and answer.failure is None
