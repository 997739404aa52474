"""The engine's one HTTP client (SPEC §3.7 Export): what it sends (SCIM content type, bearer token, no
User-Agent), that it verifies TLS against a CA bundle, and that it never raises for a transport failure
but names it: ``tls``, ``timeout``, ``connection``, ``protocol``."""
from __future__ import annotations

import socket
import time

import pytest
from flask import Flask, request

from simulator.core.clock import VirtualClock
from simulator.core.journal import Journal
from simulator.core.server import LiveServer
from simulator.core.tls import make_tls
from simulator.entra.provisioning.target import TargetClient


def _echo_app() -> Flask:
    app = Flask("echo")

    @app.route("/scim/<path:path>", methods=["GET", "POST", "PATCH", "DELETE"])
    def echo(path):
        if path == "slow":
            time.sleep(0.6)
        return {"headers": {k: v for k, v in request.headers.items()}, "body": request.get_data(as_text=True),
                "query": request.query_string.decode()}, 200, {"Content-Type": "application/scim+json"}

    return app


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tls = make_tls(str(tmp_path_factory.mktemp("tls")), ["127.0.0.1"])
    plain = LiveServer(_echo_app(), name="echo").start()
    secure = LiveServer(_echo_app(), name="echo-tls", tls=tls).start()
    yield plain, secure, tls
    plain.stop()
    secure.stop()


def test_what_entra_sends(servers):
    plain, _, _ = servers
    journal = Journal(VirtualClock())
    client = TargetClient(f"{plain.url}/scim", token="t0ken", journal=journal)
    resp = client.request("PATCH", "/Users/1?x=%22y%22", {"Operations": [{"op": "Replace", "path": "active",
                                                                          "value": "False"}]})
    assert resp.ok and resp.status == 200 and resp.failure is None
    seen = resp.json()
    assert seen["headers"]["Authorization"] == "Bearer t0ken"
    assert seen["headers"]["Content-Type"] == "application/scim+json; charset=utf-8"
    assert seen["headers"]["Accept"] == "application/scim+json"
    assert "User-Agent" not in seen["headers"]
    assert seen["query"] == "x=%22y%22"
    assert seen["body"] == '{"Operations":[{"op":"Replace","path":"active","value":"False"}]}'
    [entry] = journal.entries()
    assert entry["direction"] == "outbound" and entry["status"] == 200
    assert entry["headers"]["Authorization"] == "Bearer REDACTED" and "t0ken" not in str(entry)
    client.close()


def test_tls_is_verified_against_the_ca_bundle(servers):
    _, secure, tls = servers
    trusted = TargetClient(f"{secure.url}/scim", ca_bundle=tls.ca_bundle)
    assert trusted.request("GET", "/Users").status == 200
    untrusted = TargetClient(f"{secure.url}/scim")
    resp = untrusted.request("GET", "/Users")
    assert (resp.status, resp.failure) == (None, "tls") and not resp.reached


def test_transport_failures_are_named_not_raised(servers):
    plain, _, _ = servers
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert TargetClient(f"http://127.0.0.1:{closed}/scim").request("GET", "/Users").failure == "connection"
    slow = TargetClient(f"{plain.url}/scim", timeout=0.2).request("GET", "/slow")
    assert slow.failure == "timeout" and slow.status is None
    assert TargetClient("nonsense://where/scim").request("GET", "/Users").failure == "protocol"
    assert TargetClient("http://[bad/scim").request("GET", "/Users").failure == "protocol"
