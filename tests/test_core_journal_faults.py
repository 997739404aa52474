import pytest

from simulator.core.clock import VirtualClock
from simulator.core.faults import FaultRuleError, FaultSet
from simulator.core.journal import Journal, decode_body
from simulator.core.rand import SeededRandom
from simulator.core.redact import REDACTED, redact_data, redact_headers, redact_query


def test_headers_are_redacted_but_keep_the_scheme():
    out = redact_headers({"Authorization": "Bearer abc.def", "Accept": "application/json"})
    assert out == {"Authorization": f"Bearer {REDACTED}", "Accept": "application/json"}


def test_bodies_lose_passwords_secrets_tokens_and_codes():
    body = {
        "password": "hunter2",
        "client_secret": "s3cret",
        "access_token": "tok",
        "refresh_token": "rt",
        "code": "c0de",
        "userName": "ada@contoso.example",
        "passwordProfile": {"password": "P@ss"},
        "value": [{"key": "SecretToken", "value": "abc"}, {"key": "BaseAddress", "value": "https://x"}],
    }
    out = redact_data(body)
    assert out["password"] == out["client_secret"] == out["access_token"] == REDACTED
    assert out["refresh_token"] == out["code"] == REDACTED
    assert out["passwordProfile"]["password"] == REDACTED
    assert out["userName"] == "ada@contoso.example"
    assert out["value"][0]["value"] == REDACTED
    assert out["value"][1]["value"] == "https://x"


def test_query_and_form_redaction():
    assert "hunter2" not in redact_query("grant_type=password&password=hunter2&code=abc&state=xyz")
    assert "grant_type=password" in redact_query("grant_type=password&password=hunter2")


def test_bearer_inside_free_text_is_redacted():
    assert "abc123" not in redact_data("sent Authorization: Bearer abc123 to target")


def test_decode_body_parses_json_and_redacts():
    assert decode_body(b'{"password":"x","a":1}', "application/json") == {"password": REDACTED, "a": 1}
    assert decode_body(b"", "application/json") is None


def test_journal_records_with_sequence_time_and_filters():
    clock = VirtualClock()
    journal = Journal(clock, retention=3)
    for i in range(5):
        journal.record(method="GET" if i % 2 else "POST", path=f"/scim/v2/Users/{i}", status=200,
                       headers={"Authorization": "Bearer t"})
    entries = journal.entries()
    assert [e["seq"] for e in entries] == [3, 4, 5]
    assert all(e["headers"]["Authorization"] == f"Bearer {REDACTED}" for e in entries)
    assert [e["seq"] for e in journal.entries(method="get")] == [4]
    assert journal.entries(since=4)[0]["seq"] == 5
    assert entries[0]["time"] == "2026-01-05T08:00:00Z"


def _faults(seed=1):
    return FaultSet(SeededRandom(seed).stream("faults"))


def test_fault_rule_for_first_n_matches():
    faults = _faults()
    faults.add({"method": "POST", "path": "^/scim/v2/Users$", "times": 2, "status": 503})
    assert faults.match("GET", "/scim/v2/Users") is None
    assert faults.match("POST", "/scim/v2/Users").status == 503
    assert faults.match("post", "/scim/v2/Users") is not None
    assert faults.match("POST", "/scim/v2/Users") is None
    assert faults.list()[0]["hits"] == 2


def test_fault_probability_is_seeded_and_reproducible():
    def draws(seed):
        faults = _faults(seed)
        faults.add({"method": "*", "path": "/Users", "probability": 0.3, "action": "reset"})
        return [faults.match("GET", "/scim/v2/Users") is not None for _ in range(200)]

    first = draws(5)
    assert first == draws(5)
    assert 30 <= sum(first) <= 90


def test_fault_rule_with_a_query_matches_the_url_decoded_query_string():
    faults = _faults()
    faults.add({"method": "GET", "path": "^/scim/v2/Users$", "query": 'emails\\[type eq "work"\\]', "status": 400})
    encoded = "filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22b.simon%40contoso.example%22"
    assert faults.match("GET", "/scim/v2/Users", encoded).status == 400
    assert faults.match("GET", "/scim/v2/Users", 'filter=emails[type%20eq%20"work"].value%20eq%20"x"') is not None
    assert faults.match("GET", "/scim/v2/Users", "filter=userName+eq+%22b.simon%40contoso.example%22") is None
    assert faults.match("GET", "/scim/v2/Users") is None  # no query string: the rule's query is not found
    assert faults.match("GET", "/scim/v2/Users/1", encoded) is None  # path and query must both match
    assert [r["hits"] for r in faults.list()] == [2]


def test_fault_rule_without_a_query_matches_any_query_string():
    faults = _faults()
    rule = faults.add({"path": "/Users$", "status": 500})
    assert rule.query is None and faults.list()[0]["query"] is None
    assert faults.match("GET", "/scim/v2/Users", "filter=anything").status == 500
    assert faults.match("GET", "/scim/v2/Users", "").status == 500


def test_answer_rule_keeps_its_status_body_and_content_type():
    faults = _faults()
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": True}
    rule = faults.add({"method": "POST", "path": "/Users$", "action": "answer", "status": 201, "body": body})
    body["active"] = False  # the rule keeps its own copy
    assert (rule.status, rule.body, rule.contentType) == (201, {**body, "active": True}, "application/scim+json")
    assert rule.answer_body() == b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true}'
    listed = faults.list()[0]
    assert listed["action"] == "answer" and listed["body"] == {**body, "active": True}
    assert listed["contentType"] == "application/scim+json"
    for status, value in ((200, []), (299, "text"), (302, None), (404, 0), (599, {"a": [1]})):
        rule = faults.add({"action": "answer", "status": status, "body": value, "contentType": "text/plain"})
        assert (rule.status, rule.body, rule.contentType) == (status, value, "text/plain")
    assert faults.add({"action": "answer", "status": 204, "body": None}).answer_body() == b""


@pytest.mark.parametrize("bad, message", [
    ({"action": "explode"}, "action must be one of"),
    ({"probability": 2}, "probability"),
    ({"status": 200}, "status must be an HTTP error status from 400 to 599"),
    ({"status": 302, "action": "reset"}, "status must be an HTTP error status from 400 to 599"),
    ({"times": 0}, "times"),
    ({"path": "("}, "path is not a valid regular expression"),
    ({"retryAfter": -1}, "retryAfter"),
    ({"unknown": 1}, "unknown field(s): unknown"),
    ({"method": ""}, "method"),
    ("not an object", "JSON object"),
    ({"query": "emails[type"}, "query is not a valid regular expression"),
    ({"query": 7}, "query must be a regular expression string"),
    ({"action": "answer", "status": 201}, "body is required for the answer action"),
    ({"action": "answer", "status": 700, "body": {}}, "status of an answer must be an HTTP status from 200 to 599"),
    ({"action": "answer", "status": 199, "body": {}}, "status of an answer must be an HTTP status from 200 to 599"),
    ({"action": "answer", "status": True, "body": {}}, "status of an answer"),
    ({"action": "answer", "status": 204, "body": {}}, "an answer with status 204 has no body: body must be null"),
    ({"action": "answer", "status": 200, "body": {}, "contentType": ""}, "contentType must be a media type"),
    ({"action": "answer", "status": 200, "body": {}, "contentType": "text/html\r\nX-Evil: 1"}, "contentType"),
    ({"action": "answer", "status": 200, "body": {}, "contentType": 3}, "contentType"),
    ({"action": "answer", "status": 200, "body": {1, 2}}, "body must be a JSON value"),
    ({"action": "answer", "status": 200, "body": float("nan")}, "body must be a JSON value"),
    ({"status": 400, "body": {"detail": "x"}}, "body belongs to the answer action only"),
    ({"action": "malformed", "contentType": "text/plain"}, "contentType belongs to the answer action only"),
])
def test_bad_fault_rules_are_rejected(bad, message):
    faults = _faults()
    with pytest.raises(FaultRuleError) as raised:
        faults.add(bad)
    assert message in str(raised.value)
    assert faults.list() == []
