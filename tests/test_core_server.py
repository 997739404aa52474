"""The shared server stack: cheroot + journal/fault middleware + per-surface error envelopes."""
import pytest
import requests

from simulator.core.appbase import Surfaces, create_base_app
from simulator.core.errors import scim_error
from simulator.core.faults import FaultSet
from simulator.core.journal import Journal
from simulator.core.lab import Lab
from simulator.core.server import LiveServer


def _render(status, message, code, extra):
    resp = scim_error(status, message, code)
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp


@pytest.fixture(scope="module")
def server():
    lab = Lab(seed=3)
    journal = Journal(lab.clock)
    faults = FaultSet(lab.rand.stream("faults"))
    app = create_base_app("probe", journal=journal, faults=faults, surfaces=Surfaces(default=_render))

    @app.get("/scim/v2/Users")
    def users():
        return {"totalResults": 0}

    @app.post("/scim/v2/Users")
    def create():
        from simulator.core.appbase import read_json
        return read_json(), 201

    @app.get("/boom")
    def boom():
        raise RuntimeError("unexpected")

    live = LiveServer(app, name="probe").start()
    yield live, journal, faults
    live.stop()


def test_routing_errors_use_the_surface_envelope(server):
    live, _, _ = server
    r = requests.get(f"{live.url}/nowhere", timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/scim+json")
    assert r.json()["status"] == "404"
    r = requests.delete(f"{live.url}/scim/v2/Users", timeout=5)
    assert r.status_code == 405 and r.json()["status"] == "405"
    assert "GET" in r.headers["Allow"]


def test_unexpected_errors_are_a_clean_500_without_traceback(server):
    live, _, _ = server
    r = requests.get(f"{live.url}/boom", timeout=5)
    assert r.status_code == 500
    assert "Traceback" not in r.text and "unexpected" not in r.json()["detail"].lower().replace(
        "unexpected error", "")


def test_oversized_and_malformed_bodies(server):
    live, _, _ = server
    r = requests.post(f"{live.url}/scim/v2/Users", data=b"x" * (1024 * 1024 + 10),
                      headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 413 and r.json()["status"] == "413"
    r = requests.post(f"{live.url}/scim/v2/Users", data=b"{nope", headers={"Content-Type": "application/json"},
                      timeout=5)
    assert r.status_code == 400
    r = requests.post(f"{live.url}/scim/v2/Users", data=b"[1]", headers={"Content-Type": "application/json"},
                      timeout=5)
    assert r.status_code == 400


def test_journal_sees_the_wire_with_secrets_redacted(server):
    live, journal, _ = server
    journal.clear()
    requests.post(f"{live.url}/scim/v2/Users", json={"userName": "a@b.c", "password": "pw"},
                  headers={"Authorization": "Bearer sekret"}, timeout=5)
    (entry,) = journal.entries()
    assert entry["method"] == "POST" and entry["status"] == 201
    assert entry["body"] == {"userName": "a@b.c", "password": "REDACTED"}
    assert entry["responseBody"]["password"] == "REDACTED"
    assert "sekret" not in str(entry)


def test_fault_status_with_retry_after(server):
    live, _, faults = server
    faults.clear()
    faults.add({"method": "GET", "path": "/Users", "times": 1, "status": 429, "retryAfter": 7})
    r = requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7" and r.json()["status"] == "429"
    assert requests.get(f"{live.url}/scim/v2/Users", timeout=5).status_code == 200


def test_fault_reset_breaks_the_connection(server):
    live, _, faults = server
    faults.clear()
    faults.add({"path": "/Users", "times": 1, "action": "reset"})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert requests.get(f"{live.url}/scim/v2/Users", timeout=5).status_code == 200


def test_fault_stall_outlasts_the_client_timeout(server):
    live, _, faults = server
    faults.clear()
    faults.add({"path": "/Users", "times": 1, "action": "stall", "stallSeconds": 1.0})
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(f"{live.url}/scim/v2/Users", timeout=0.3)


def test_fault_malformed_body(server):
    live, _, faults = server
    faults.clear()
    faults.add({"path": "/Users", "times": 1, "action": "malformed"})
    r = requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
