"""The provisioning engine's paths made fast for scale (issue 7) give exactly what the general paths give:
a cycle's ``TargetPlan`` computes the target values ``compute_target`` computes, and the target client's
plain request target (sent as it is) puts the same bytes on the wire and the same entry in the journal as
parsing the whole URL does."""
from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import pytest
from urllib3.util import parse_url

from simulator.core.clock import VirtualClock
from simulator.core.journal import Journal
from simulator.entra.provisioning.expressions import AppRoleAssignmentView, SourceObject
from simulator.entra.provisioning.mappings import (TargetPlan, compute_target, find_object_mapping,
                                                   load_default_schema)
from simulator.entra.provisioning.target import TargetClient


# -- target values -------------------------------------------------------------------------------------
def _sources() -> list[SourceObject]:
    full = {"id": "u1", "userPrincipalName": "ada@contoso.example", "mail": "ada@contoso.example",
            "givenName": "Ada", "surname": "Lovelace", "displayName": "Ada Lovelace", "mailNickname": "ada",
            "accountEnabled": True, "department": "Engines", "jobTitle": "Analyst", "preferredLanguage": "en-GB",
            "businessPhones": ["+44 1"], "mobilePhone": "+44 2", "streetAddress": "1 Road", "city": "London",
            "employeeId": "7", "manager": "m1", "country": "UK", "postalCode": "N1", "state": "LDN"}
    role = AppRoleAssignmentView(app_role_id="r1", value="Organizer", display_name="Organizer")
    return [
        SourceObject(full, app_role_assignments=[role]),
        SourceObject({**full, "accountEnabled": False}),
        SourceObject({"id": "u2", "userPrincipalName": "bob@contoso.example"}, is_soft_deleted=True),
        SourceObject({"id": "u3", "userPrincipalName": "", "mail": None, "givenName": [], "surname": "X"}),
        SourceObject({"ID": "u4", "USERPRINCIPALNAME": "carol@contoso.example", "telephoneNumber": "5"}),
        SourceObject({}),
    ]


def _outcome(compute, source, creating):
    try:
        return ("value", compute(source, creating=creating))
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike
        return ("error", type(exc), str(exc))


def _assert_plan_matches(object_mapping):
    plan = TargetPlan(object_mapping)
    for source in _sources():
        for creating in (True, False):
            general = _outcome(lambda s, creating: compute_target(object_mapping, s, creating=creating), source,
                               creating)
            assert _outcome(plan.compute, source, creating) == general
            with_plan = _outcome(lambda s, creating: compute_target(object_mapping, s, creating=creating, plan=plan),
                                 source, creating)
            assert with_plan == general
            if general[0] == "value":  # same order of attributes, same value types
                assert [(k, type(v)) for k, v in plan.compute(source, creating=creating).items()] == \
                    [(k, type(v)) for k, v in general[1].items()]


@pytest.mark.parametrize("template", ["gotomeeting", "scim"])
@pytest.mark.parametrize("object_name", ["User", "Group"])
def test_plan_computes_what_compute_target_computes(template, object_name):
    mapping = find_object_mapping(load_default_schema(template), object_name)
    if mapping is not None:
        _assert_plan_matches(mapping)


def test_plan_of_unusual_mappings_matches_the_general_way():
    attr = {"type": "Attribute", "name": "givenName"}
    cases = [
        [{"targetAttributeName": "a", "source": attr, "defaultValue": "d"},
         {"targetAttributeName": "b", "source": None, "defaultValue": "only-on-create"},
         {"targetAttributeName": "c", "source": {"type": "Constant", "name": ""}, "defaultValue": ""},
         {"targetAttributeName": "d", "source": {"type": "Function", "expression": "Left([mail], 3)"},
          "flowType": "ObjectAddOnly"},
         {"targetAttributeName": "e", "source": {"type": "Attribute", "name": "nothing"}, "defaultValue": []},
         {"targetAttributeName": "f", "source": {"type": "Unknown", "name": "mail"}}],
        [{"targetAttributeName": "a", "source": {"type": "Function", "expression": "Left([mail]"}}],  # no parse
        [{"targetAttributeName": "a", "source": {"type": "Function"}}],  # no expression
        [{"source": attr}],  # no target name: fails when a value flows
        [{"source": {"type": "Attribute", "name": "nothing"}}],  # no target name, no value: nothing fails
        [{"targetAttributeName": ["a"], "source": attr}],  # unhashable target name
        [{"targetAttributeName": "a", "source": attr}, "not a mapping"],
        [],
    ]
    for mappings in cases:
        _assert_plan_matches({"attributeMappings": mappings})
    _assert_plan_matches({})
    _assert_plan_matches({"attributeMappings": "nonsense"})


# -- the target client ---------------------------------------------------------------------------------
class _RawServer:
    """Answers every request on a keep-alive connection with one fixed SCIM answer and keeps the raw
    bytes of each request."""

    ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
              b"X-Extra: one\r\nX-Extra: two\r\nContent-Length: 11\r\n\r\n{\"id\":\"x\"}\n")

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer = b""
        with conn:
            while True:
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    continue
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests.append(head + sep + rest[:length])
                buffer = rest[length:]
                conn.sendall(self.ANSWER)

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_server():
    server = _RawServer()
    yield server
    server.close()


REQUESTS = [
    ("GET", '/Users?filter=userName+eq+%22ada%40contoso.example%22', None),
    ("GET", "/Users?filter=userName+eq+%22%C3%A9l%C3%A8ve%22", None),
    ("POST", "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "élève",
                        "active": True, "name": {"givenName": "\u00c9"}}),
    ("PATCH", "/Users/6a1b-22", {"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
    ("DELETE", "/Users/6a1b-22", None),
    ("GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22A+%26+B%22", None),
    # not plain: parsed as a whole URL on both clients
    ("GET", "/Users?filter=userName eq \"x\"", None),
    ("GET", "/Users?filter=%2a", None),
    ("GET", "/Users/./x/../y", None),
    ("GET", "/Users#frag", None),
    ("GET", "/Users/é", None),
]

ENGINE_PATHS = [p for _, p, _ in REQUESTS[:6]]


def _exchange(base: str, method: str, path: str, body, plain: bool, server: _RawServer):
    journal = Journal(VirtualClock())
    client = TargetClient(base, token="t0ken", journal=journal)
    if not plain:
        client._origin = None  # every URL parsed as a whole
    before = len(server.requests)
    resp = client.request(method, path, body)
    client.close()
    sent = server.requests[before:]
    return sent, (resp.status, resp.headers, resp.text, resp.failure, resp.url), journal.entries()


@pytest.mark.parametrize("prefix", ["", "/scim/v2", "/scim%20v2"])
@pytest.mark.parametrize("method,path,body", REQUESTS)
def test_plain_send_puts_the_same_bytes_on_the_wire(raw_server, prefix, method, path, body):
    base = f"http://127.0.0.1:{raw_server.port}{prefix}"
    fast = _exchange(base, method, path, body, True, raw_server)
    general = _exchange(base, method, path, body, False, raw_server)
    assert fast[0] and fast == general


@pytest.mark.parametrize("base", ["http://127.0.0.1:1/scim", "https://h.example/scim/v2", "http://H.Example:80",
                                  "HTTP://h.example/a;b=c/d:e@f"])
@pytest.mark.parametrize("path", [p for _, p, _ in REQUESTS] + ["/Users?", "/Users?a?b", "/.well-known", "/x%7e"])
def test_a_plain_target_is_what_parsing_the_whole_url_would_send(base, path):
    client = TargetClient(base)
    target = client._plain_target(path)
    url = client.url_for(path)
    if target is not None:
        assert target == parse_url(url).request_uri
        assert target.partition("?")[::2] == (urlsplit(url).path, urlsplit(url).query)
        scheme, host, port = client._origin
        u = parse_url(url)
        assert (scheme, host, port) == (u.scheme, u.host, u.port)
    elif "@" not in base:  # conservative: a base with "@" (user information or not) is never plain
        assert not path.isascii() or " " in path or "#" in path or "/." in path or "%2a" in path or "%7e" in path
    if "@" not in base and path in ENGINE_PATHS:
        assert target is not None  # what the engine sends is never parsed again


@pytest.mark.parametrize("base", ["http://user:pw@h.example/scim", "http://h.example/scim?x=1", "ftp://h.example/s",
                                  "http://h.example/a/../scim", "http://h.example/sc im", "http:///nohost"])
def test_unusual_base_urls_are_parsed_as_whole_urls(base):
    assert TargetClient(base)._plain_target("/Users") is None


def test_transport_failures_are_named_alike_on_both_ways():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there
    outcomes = []
    for plain in (True, False):
        journal = Journal(VirtualClock())
        client = TargetClient(f"http://127.0.0.1:{port}/scim", journal=journal, timeout=2)
        if not plain:
            client._origin = None
        resp = client.request("GET", "/Users?filter=userName+eq+%22a%22")
        outcomes.append((resp.status, resp.failure, resp.detail.split(":")[0], journal.entries()[0]["error"][:11]))
    assert outcomes[0] == outcomes[1] and outcomes[0][1] == "connection"
