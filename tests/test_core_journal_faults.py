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


@pytest.mark.parametrize("bad", [
    {"action": "explode"}, {"probability": 2}, {"status": 200}, {"times": 0}, {"path": "("},
    {"retryAfter": -1}, {"unknown": 1}, {"method": ""}, "not an object",
])
def test_bad_fault_rules_are_rejected(bad):
    faults = _faults()
    with pytest.raises(FaultRuleError):
        faults.add(bad)
    assert faults.list() == []
