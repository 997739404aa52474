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


def _probe_app(seed: int):
    """A base app with a SCIM-like ``/scim/v2/Users`` (GET answers an empty list, POST echoes its body)
    and ``/boom`` (raises): (app, journal, faults)."""
    from simulator.core.appbase import read_json

    lab = Lab(seed=seed)
    journal = Journal(lab.clock)
    faults = FaultSet(lab.rand.stream("faults"))
    app = create_base_app("probe", journal=journal, faults=faults, surfaces=Surfaces(default=_render))

    @app.get("/scim/v2/Users")
    def users():
        return {"totalResults": 0}

    @app.post("/scim/v2/Users")
    def create():
        return read_json(), 201

    @app.get("/boom")
    def boom():
        raise RuntimeError("unexpected")

    return app, journal, faults


@pytest.fixture(scope="module")
def server():
    app, journal, faults = _probe_app(seed=3)
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


def test_fault_answer_is_sent_as_given_without_the_app_seeing_the_request(server):
    live, journal, faults = server
    faults.clear()
    journal.clear()
    faults.add({"method": "POST", "path": "/Users$", "times": 1, "action": "answer", "status": 201,
                "body": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"}})
    r = requests.post(f"{live.url}/scim/v2/Users", json={"echo": "me"}, timeout=5)
    assert r.status_code == 201 and r.headers["Content-Type"] == "application/scim+json"
    assert r.json() == {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"}  # not the echo
    first, = journal.entries()
    assert first["status"] == 201 and first["responseBody"] == r.json() and first["body"] == {"echo": "me"}
    assert requests.post(f"{live.url}/scim/v2/Users", json={"echo": "me"}, timeout=5).json() == {"echo": "me"}


def test_fault_answer_with_its_content_type_a_non_object_body_and_retry_after(server):
    live, _, faults = server
    faults.clear()
    faults.add({"path": "/Users$", "times": 1, "action": "answer", "status": 200, "body": [],
                "contentType": "application/json", "retryAfter": 3})
    r = requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert (r.status_code, r.headers["Content-Type"], r.text, r.headers["Retry-After"]) == (
        200, "application/json", "[]", "3")
    faults.add({"path": "/Users$", "times": 1, "action": "answer", "status": 204, "body": None})
    r = requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert r.status_code == 204 and r.content == b"" and "Content-Type" not in r.headers
    faults.add({"path": "/Users$", "times": 1, "action": "answer", "status": 299, "body": "odd"})
    r = requests.get(f"{live.url}/scim/v2/Users", timeout=5)
    assert (r.status_code, r.json()) == (299, "odd")
    assert requests.get(f"{live.url}/scim/v2/Users", timeout=5).json() == {"totalResults": 0}


def test_fault_query_is_searched_in_the_decoded_query_string_as_sent(server):
    live, _, faults = server
    faults.clear()
    faults.add({"method": "GET", "path": "/Users$", "query": 'emails\\[type eq "work"\\]', "status": 400})
    r = requests.get(f"{live.url}/scim/v2/Users", params={"filter": 'emails[type eq "work"].value eq "a@b.c"'},
                     timeout=5)
    assert r.status_code == 400 and r.json()["status"] == "400"  # the surface's envelope, as for status
    r = requests.get(f"{live.url}/scim/v2/Users", params={"filter": 'userName eq "a@b.c"'}, timeout=5)
    assert r.status_code == 200
    assert requests.get(f"{live.url}/scim/v2/Users", timeout=5).status_code == 200


def _goto():
    from simulator.core.lab import Lab as LabState
    from simulator.gotomeeting.app import create_app
    from simulator.gotomeeting.state import GoToMeetingConfig

    app = create_app(GoToMeetingConfig(verified_domains=["contoso.example"]), LabState(seed=5))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = \
        f"Bearer {app.extensions['gotomeeting'].oauth.issue_static_token().value}"
    return client


@pytest.mark.parametrize("rule, message", [
    ({"query": "emails[type"}, "query is not a valid regular expression"),
    ({"action": "answer", "status": 201}, "body is required for the answer action"),
    ({"action": "answer", "status": 700, "body": {}}, "status of an answer must be an HTTP status from 200 to 599"),
    ({"status": 200, "body": {}}, "status must be an HTTP error status from 400 to 599"),
])
def test_an_invalid_fault_rule_is_a_400_in_the_admin_envelope(rule, message):
    client = _goto()
    resp = client.post("/_admin/faults", json=rule)
    assert resp.status_code == 400 and resp.json["error"]["status"] == 400, resp.get_data(as_text=True)
    assert message in resp.json["error"]["message"]
    assert client.get("/_admin/faults").json == {"rules": []}


def test_an_answered_create_stores_nothing_in_gotomeeting():
    client = _goto()
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "n.ew@contoso.example",
            "active": True, "roles": [{"value": "organizer", "primary": True}]}
    rule = client.post("/_admin/faults", json={"method": "POST", "path": "^/scim/v2/Users$", "action": "answer",
                                               "status": 201, "body": {"userName": "n.ew@contoso.example"}})
    assert rule.status_code == 201 and rule.json["action"] == "answer" and rule.json["query"] is None
    resp = client.post("/scim/v2/Users", json=user)
    assert resp.status_code == 201 and resp.json == {"userName": "n.ew@contoso.example"}
    found = client.get("/scim/v2/Users", query_string={"filter": 'userName eq "n.ew@contoso.example"'})
    assert found.status_code == 200 and found.json["totalResults"] == 0
    assert client.get("/_admin/faults").json["rules"][0]["hits"] == 1
    client.delete("/_admin/faults")
    assert client.post("/scim/v2/Users", json=user).status_code == 201  # the same create, now processed
    found = client.get("/scim/v2/Users", query_string={"filter": 'userName eq "n.ew@contoso.example"'})
    assert found.json["totalResults"] == 1


def _burst(url: str, count: int, pause: float = 0.0, **kw) -> list[int]:
    """``count`` requests on one keep-alive connection, alternating GET and POST."""
    import time

    statuses = []
    with requests.Session() as session:
        for i in range(count):
            if i % 2:
                resp = session.post(f"{url}/scim/v2/Users", json={"n": i}, timeout=5, **kw)
                assert resp.json() == {"n": i}
            else:
                resp = session.get(f"{url}/scim/v2/Users", timeout=5, **kw)
            statuses.append(resp.status_code)
            time.sleep(pause)
    return statuses


def test_keep_alive_connections_are_served_back_to_back_and_after_a_pause(server, monkeypatch):
    """A worker serves a connection's next request itself when it comes at once (the connection does
    not go back to cheroot's connection manager after every request); a connection that pauses longer
    goes back and is served as before."""
    from cheroot import wsgi

    live, journal, faults = server
    faults.clear()
    handed_back = []
    original = wsgi.Server.put_conn
    monkeypatch.setattr(wsgi.Server, "put_conn", lambda self, conn: (handed_back.append(1), original(self, conn)))
    before = journal.last_seq()
    assert _burst(live.url, 40) == [200, 201] * 20
    assert len(handed_back) < 40
    assert _burst(live.url, 4, pause=0.05) == [200, 201] * 2
    assert journal.last_seq() - before == 44


def test_more_keep_alive_clients_than_workers_are_all_served(tmp_path):
    """Two workers, six clients that each send requests back to back: a worker serving one connection's
    next requests never starves the others (it hands the connection back once it goes quiet)."""
    from concurrent.futures import ThreadPoolExecutor

    from simulator.core.tls import make_tls

    app, _, _ = _probe_app(seed=4)
    tls = make_tls(str(tmp_path), ["127.0.0.1"])
    for files in (None, tls):
        live = LiveServer(app, threads=2, tls=files, name="probe").start()
        try:
            verify = {"verify": files.ca_bundle} if files else {}
            with ThreadPoolExecutor(6) as pool:
                results = list(pool.map(lambda _: _burst(live.url, 30, **verify), range(6)))
            assert results == [[200, 201] * 15] * 6
        finally:
            live.stop()
