"""The conformance reports in pieces: rule explanations, transcript normalisation, the summary pages,
the target's settings, and the tags of the ``@target`` scenarios (declared, explained)."""
from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import pytest

from fixtures.reporting import (RULES, ScenarioResult, explain, relevant_exchanges, render_html, render_markdown,
                                transcript_lines, url_replacements)
from fixtures.target import BUILTIN_ROLE, TargetSettings

ROOT = Path(__file__).resolve().parent.parent


def _entry(seq: int, method: str, url: str, status: int | None, body=None, response=None, **extra) -> dict:
    return {"seq": seq, "time": "2026-01-05T08:00:00Z", "method": method, "path": url.split("?")[0], "query": "",
            "url": url, "headers": {"Authorization": "Bearer REDACTED"}, "body": body, "status": status,
            "responseHeaders": {"Content-Type": "application/scim+json", "Date": "Mon", "Content-Length": "12"},
            "responseBody": response, **extra}


def test_explain_names_the_rules_of_the_tags_and_leaves_out_another_dialects_rules():
    tags = ["target", "entra-soft-delete", "entra-string-booleans", "users"]
    assert [t for t, _ in explain(tags, "legacy")] == ["entra-soft-delete", "entra-string-booleans"]
    assert [t for t, _ in explain(tags, "aadOptscim062020")] == ["entra-soft-delete"]
    assert [t for t, _ in explain(["entra-pathless-patch"], "legacy")] == ["entra-pathless-patch"]  # nothing else left
    assert explain(["deprovisioning"], None) == []


def test_transcripts_interleave_both_sources_in_order_and_hide_ports_bases_and_the_run_prefix():
    outbound = [_entry(3, "GET", "http://127.0.0.1:41234/scim/v2/Users?filter=userName+eq+%22cf-abc123-001-x%40c.example%22",
                       200, response={"totalResults": 0}),
                _entry(5, "POST", "http://127.0.0.1:41234/scim/v2/Users", 201, body={"userName": "CF-ABC123-001-X@c.example"},
                       response={"meta": {"location": "http://127.0.0.1:41234/scim/v2/Users/1"}})]
    direct = [{"after": 3, "entry": _entry(1, "DELETE", "http://127.0.0.1:41234/scim/v2/Users/9", 404, error=None)}]
    replacements = [("(?i)" + re.escape("cf-abc123-001"), "<run>"),
                    *url_replacements({"http://127.0.0.1:41234/scim/v2": "{target}", "http://127.0.0.1:41234": "{g}"})]

    lines = transcript_lines(outbound, direct, replacements)

    records = [json.loads(line) for line in lines]
    assert [(r["n"], r["from"], r["request"]["method"]) for r in records] == [
        (1, "entra", "GET"), (2, "conformance-client", "DELETE"), (3, "entra", "POST")]
    assert records[0]["request"]["url"] == "{target}/Users?filter=userName+eq+%22<run>-x%40c.example%22"
    assert records[2]["request"]["body"] == {"userName": "<run>-X@c.example"}
    assert records[2]["response"]["body"]["meta"]["location"] == "{target}/Users/1"
    assert records[2]["response"]["headers"] == {"Content-Type": "application/scim+json"}  # no Date, no length
    assert "41234" not in "".join(lines)


def test_the_exchanges_shown_for_a_failure_are_the_errors_else_the_last_changes():
    ok = {"request": {"method": "GET"}, "response": {"status": 200}}
    write = {"request": {"method": "PATCH"}, "response": {"status": 200}}
    bad = {"request": {"method": "PATCH"}, "response": {"status": 400}}
    down = {"request": {"method": "GET"}, "response": {"status": None}, "error": "connection: refused"}
    assert relevant_exchanges([ok, bad, write, down]) == [bad, down]
    assert relevant_exchanges([ok, write, ok]) == [write]
    assert relevant_exchanges([ok]) == [ok]


def _failed(tmp_path: Path) -> list[ScenarioResult]:
    transcript = "transcripts/target/users/disable--legacy.jsonl"
    (tmp_path / transcript).parent.mkdir(parents=True)
    record = {"n": 4, "from": "entra", "time": "t", "request": {"method": "PATCH", "url": "{target}/Users/7",
              "headers": {}, "body": {"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}},
              "response": {"status": 400, "headers": {"Content-Type": "application/scim+json"},
                           "body": {"detail": "<script>alert(1)</script> not a boolean"}}}
    (tmp_path / transcript).write_text(json.dumps(record) + "\n")
    info = {"scenario": "Disable_User_Test: blocking sign-in", "feature": "Users", "featureFile": "target/users.feature",
            "line": 42, "tags": ["entra-string-booleans", "target"], "parameters": "legacy", "dialect": "legacy",
            "transcript": transcript, "failedStep": "Then the target shows \"B.Simon\" as inactive (line 50)"}
    passed = dict(info, scenario="Create_User_Test", line=10, parameters="aadOptscim062020", transcript=None)
    return [ScenarioResult("t::a[legacy]", info, "failed", 1.5, ["AssertionError: active is True"]),
            ScenarioResult("t::b[aad]", passed, "passed", 0.5)]


def test_the_summary_lists_each_failure_with_step_rule_fix_and_what_was_sent_and_answered(tmp_path):
    text = render_markdown(_failed(tmp_path), {"target": "https://scim.vendor.example/v2", "seed": "1234"}, tmp_path)

    assert "**Result: FAILED** — 2 scenarios: 1 passed, 1 failed, 0 errors, 0 skipped" in text
    assert "- Target: https://scim.vendor.example/v2" in text
    assert "### 1. Disable_User_Test: blocking sign-in [legacy]" in text
    assert "- Failed step: `Then the target shows \"B.Simon\" as inactive (line 50)`" in text
    assert "AssertionError: active is True" in text
    rule = RULES["entra-string-booleans"]
    assert f"`@entra-string-booleans` — **{rule.title}**: {rule.sentence}" in text and f"Fix: {rule.fix}" in text
    assert "- #4 `PATCH {target}/Users/7` (sent by entra)" in text and '"value": "False"' in text
    assert "answered **400**" in text
    assert "| failed | Disable_User_Test: blocking sign-in [legacy] | target/users.feature |" in text
    assert "| passed | Create_User_Test [aadOptscim062020] |" in text


def test_the_html_summary_says_the_same_and_escapes_what_the_target_sent(tmp_path):
    page = render_html(_failed(tmp_path), {"target": "the lab"}, tmp_path)

    assert "<title>Conformance report: FAILED</title>" in page
    assert "<strong class='failed'>Result: FAILED</strong>" in page
    assert RULES["entra-string-booleans"].title in page and "Fix: " in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "<a href='transcripts/target/users/disable--legacy.jsonl'>" in page
    assert page.count("<section class='failure'>") == 1


def test_target_settings_come_from_the_environment_and_refuse_what_cannot_work(tmp_path):
    builtin = TargetSettings.from_env({"TARGET_RUN_ID": "abc123"})
    assert builtin.builtin and builtin.role == BUILTIN_ROLE and builtin.dialects == ("legacy", "aadOptscim062020")
    vendor = TargetSettings.from_env({"TARGET_URL": "https://scim.vendor.example/v2/", "TARGET_TOKEN": "t",
                                      "DIALECT": "aadOptscim062020", "TARGET_DOMAIN": "Vendor.Example"})
    assert (vendor.url, vendor.role, vendor.dialects, vendor.domain) == (
        "https://scim.vendor.example/v2", None, ("aadOptscim062020",), "vendor.example")
    assert re.fullmatch(r"[0-9a-f]{6}", vendor.run)
    for env, message in (({"DIALECT": "scim"}, "DIALECT"), ({"TARGET_URL": "https://x"}, "TARGET_TOKEN"),
                         ({"TARGET_URL": "ftp://x", "TARGET_TOKEN": "t"}, "http"),
                         ({"TARGET_CA": str(tmp_path / "missing.pem")}, "TARGET_CA"),
                         ({"TARGET_RUN_ID": "no spaces"}, "TARGET_RUN_ID")):
        with pytest.raises(pytest.UsageError, match=message):
            TargetSettings.from_env(env)


def _declared_markers() -> set[str]:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    return {line.split(":", 1)[0].strip() for line in ini["pytest"]["markers"].splitlines() if line.strip()}


def test_every_target_scenario_names_a_rule_and_every_tag_is_declared():
    from pytest_bdd.feature import get_features

    declared = _declared_markers()
    assert set(RULES) <= declared
    features = get_features([str(ROOT / "features" / "target")])
    assert len(features) >= 5
    for feature in features:
        assert "target" in feature.tags, feature.filename
        for scenario in feature.scenarios.values():
            tags = set(scenario.tags) | set(feature.tags)
            assert tags <= declared, (scenario.name, tags - declared)
            assert tags & set(RULES), f"{scenario.name} names no rule"
