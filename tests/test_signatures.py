"""Failures explained from the evidence: the known failure signatures of ``fixtures/signatures.json``
recognised in transcript records (and near misses not), the rules steps declare with ``checks``, and the
report's "Rule broken" built from the scenario's tags, the failed step and the signatures."""
from __future__ import annotations

import configparser
import json
import textwrap
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from fixtures import signatures
from fixtures.reporting import (NO_RULE, RULES, ScenarioResult, _record, explain_failure, render_html,
                                render_markdown, transcript_lines)
from simulator.tools import step_catalogue
from steps.rules import checks, declared_rules

ROOT = Path(__file__).resolve().parent.parent
SCIM = "application/scim+json; charset=utf-8"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


# -- records, built as the transcript builds them ---------------------------------------------------
def entry(method: str, path: str, status: int | None, body=None, response=None, *, query: str = "",
          content_type: str | None = SCIM, **extra) -> dict:
    """A journal entry of a request to the target (``path`` under ``{target}``)."""
    return {"seq": 0, "time": "2026-01-05T08:00:00Z", "method": method, "path": path, "query": query,
            "url": "{target}" + path + (f"?{query}" if query else ""), "headers": {"Authorization": "Bearer REDACTED"},
            "body": body, "status": status,
            "responseHeaders": {"Content-Type": content_type} if content_type else {}, "responseBody": response,
            **extra}


def transcript(*entries: dict, source: str = "entra") -> list[dict]:
    return [{"n": n, **_record(e, e.pop("source", source))} for n, e in enumerate(entries, 1)]


def found(records: list[dict]) -> dict[str, tuple[str, list[int]]]:
    """signature id -> (its rule, the numbers of the exchanges that show it)."""
    return {f.signature.id: (f.signature.rule, [e.n for e in f.evidence]) for f in signatures.find(records)}


def filter_query(expression: str) -> str:
    return "filter=" + quote_plus(expression)


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def user(user_id: str, user_name: str, **more) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": user_id, "userName": user_name, **more}


def listed(*resources: dict) -> dict:
    return {"schemas": [LIST], "totalResults": len(resources), "startIndex": 1, "itemsPerPage": len(resources),
            "Resources": list(resources)}


def error(status: int, detail: str = "no") -> dict:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(status), "detail": detail}


# -- the data file ------------------------------------------------------------------------------------
def test_the_data_file_loads_and_each_signature_names_a_rule_of_the_report():
    data = json.loads(signatures.PATH.read_text(encoding="utf-8"))
    assert data["description"].startswith("Known failure signatures") and data["conditions"]
    loaded = signatures.load()
    assert len(loaded) == len(data["signatures"]) >= 12
    for signature in loaded:
        assert signature.rule in RULES, signature.id
        assert signature.title and signature.explanation and signature.fix and signature.match, signature.id
        assert set(signature.match) <= signatures.CONDITIONS
    checks_used = {s.check for s in loaded if s.check}
    assert checks_used == set(signatures.NAMED_CHECKS) and len(checks_used) <= 3  # few named checks
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    declared = {line.split(":", 1)[0].strip() for line in ini["pytest"]["markers"].splitlines() if line.strip()}
    assert {s.rule for s in loaded} <= declared


def test_a_data_file_with_an_unknown_condition_or_check_is_refused(tmp_path):
    good = {"id": "x", "title": "t", "rule": "rfc7644-3.1", "explanation": "e", "fix": "f", "match": {"method": ["GET"]}}
    for bad in ({**good, "match": {"methods": ["GET"]}}, {**good, "check": "no-such-check"},
                {**good, "match": {"path": "("}}):
        path = tmp_path / "signatures.json"
        path.write_text(json.dumps({"description": "d", "signatures": [bad]}))
        with pytest.raises(Exception):
            signatures.load(path)
    path.write_text(json.dumps({"description": "d", "signatures": [good]}))
    assert [s.id for s in signatures.load(path)] == ["x"]


# -- each signature, and its near misses --------------------------------------------------------------
def test_a_4xx_to_a_string_boolean_is_entras_string_booleans():
    legacy = patch({"op": "Replace", "path": "active", "value": "False"})
    pathless = patch({"op": "replace", "value": {"active": "True"}})
    records = transcript(entry("PATCH", "/Users/7", 400, legacy, error(400)),
                         entry("PATCH", "/Users/7", 422, pathless, error(422)))
    result = found(records)
    assert result["string-boolean-refused"] == ("entra-string-booleans", [1, 2])
    assert result["pathless-patch-refused"] == ("entra-pathless-patch", [2])  # the second is path-less too
    # near misses: accepted, a JSON boolean refused, a string boolean to an unknown id
    assert found(transcript(entry("PATCH", "/Users/7", 200, legacy, user("7", "a")))) == {}
    assert "string-boolean-refused" not in found(transcript(
        entry("PATCH", "/Users/7", 400, patch({"op": "replace", "path": "active", "value": False}), error(400))))
    assert found(transcript(entry("PATCH", "/Users/00000000-0000-4000-8000-00000000c404", 404, legacy,
                                  error(404)))) == {}


def test_a_4xx_to_a_pathless_patch_or_dotted_and_urn_keys_is_entras_pathless_patch():
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
    pathless = patch({"op": "replace", "value": {"displayName": "Barbara Simon", "name.givenName": "Barbara",
                                                 urn: "Finance"}})
    keyed = patch({"op": "add", "path": "", "value": {urn: "Finance"}})
    records = transcript(entry("PATCH", "/Users/7", 400, pathless, error(400)),
                         entry("PATCH", "/Users/7", 400, keyed, error(400)))
    assert found(records) == {"pathless-patch-refused": ("entra-pathless-patch", [1, 2])}
    assert found(transcript(entry("PATCH", "/Users/7", 400, patch(
        {"op": "Replace", "path": "displayName", "value": "Barbara"}), error(400)))) == {}
    assert found(transcript(entry("PATCH", "/Users/7", 200, pathless, user("7", "a")))) == {}


def test_a_4xx_to_the_work_email_is_a_filter_or_a_patch_path_refused():
    query = filter_query('emails[type eq "work"].value eq "B.SIMON@contoso.example"')
    email_patch = patch({"op": "Replace", "path": 'emails[type eq "work"].value', "value": "b@contoso.example"})
    records = transcript(entry("GET", "/Users", 400, query=query, response=error(400, "invalid filter")),
                         entry("PATCH", "/Users/7", 400, email_patch, error(400)))
    assert found(records) == {"emails-filter-refused": ("rfc7644-3.4.2.2", [1]),
                              "emails-patch-path-refused": ("rfc7644-3.5.2", [2])}
    answered = transcript(entry("GET", "/Users", 200, query=query, response=listed(user("7", "b@contoso.example"))),
                          entry("PATCH", "/Users/7", 200, email_patch, user("7", "b@contoso.example")))
    assert found(answered) == {}


def test_an_empty_answer_to_a_filter_in_another_letter_case_than_a_resource_shown_before():
    created = user("7", "<run>-b.simon@contoso.example", externalId="<run>-b.simon")
    records = transcript(
        entry("POST", "/Users", 201, {"userName": "<run>-b.simon@contoso.example"}, created),
        entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-B.SIMON@CONTOSO.EXAMPLE"'),
              response=listed()))
    result = found(records)
    assert result == {"filter-letter-case-empty": ("rfc7644-3.4.2.2", [2])}
    evidence = signatures.find(records)[0].evidence[0]
    assert "#1 showed userName \"<run>-b.simon@contoso.example\"" in evidence.note and evidence.status == 200
    # near misses: the exact case (nothing was shown in another case), an exact attribute (externalId),
    # a user deleted before the query, a non-empty answer
    exact = transcript(entry("POST", "/Users", 201, None, created),
                       entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-b.simon@other.example"'),
                             response=listed()),
                       entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-b.simon@contoso.example"'),
                             response=listed()))
    assert found(exact) == {}
    external = transcript(entry("POST", "/Users", 201, None, created),
                          entry("GET", "/Users", 200, query=filter_query('externalId eq "<run>-B.SIMON"'),
                                response=listed()))
    assert found(external) == {}
    deleted = transcript(entry("POST", "/Users", 201, None, created),
                         entry("DELETE", "/Users/7", 204, content_type=None),
                         entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-B.SIMON@contoso.example"'),
                               response=listed()))
    assert found(deleted) == {}
    answered = transcript(entry("POST", "/Users", 201, None, created),
                          entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-B.SIMON@contoso.example"'),
                                response=listed(created)))
    assert found(answered) == {}


def test_a_query_answered_2xx_without_a_list_response():
    records = transcript(entry("GET", "/Users", 200, query=filter_query(f'userName eq "{GUID}"'),
                               response={"Resources": [], "totalResults": 0}),
                         entry("GET", "/Groups", 200, response=[]))
    assert found(records) == {"query-not-list-response": ("rfc7644-3.4.2", [1, 2])}
    fine = transcript(entry("GET", "/Users", 200, query=filter_query(f'userName eq "{GUID}"'), response=listed()),
                      entry("GET", "/Users/7", 200, response=user("7", "a@contoso.example")))
    assert found(fine) == {}


def test_a_create_answered_2xx_without_a_string_id():
    records = transcript(entry("POST", "/Users", 201, {"userName": "a"}, {"userName": "a"}),
                         entry("POST", "/Groups", 201, {"displayName": "g"}, {"displayName": "g", "id": 12}))
    assert found(records) == {"create-without-id": ("rfc7644-3.3", [1, 2])}
    fine = transcript(entry("POST", "/Users", 201, {"userName": "a"}, user("7", "a")),
                      entry("POST", "/Users", 409, {"userName": "a"}, error(409)))
    assert found(fine) == {}


def test_an_answer_that_is_not_application_scim_json():
    records = transcript(entry("GET", "/Users", 200, query=filter_query(f'userName eq "{GUID}"'), response=listed(),
                               content_type="application/json; charset=utf-8"),
                         entry("GET", "/Users/9", 404, response="<html>Not Found</html>", content_type="text/html"))
    assert found(records) == {"wrong-media-type": ("rfc7644-3.1", [1, 2])}
    fine = transcript(entry("GET", "/Users", 200, response=listed(), content_type="application/scim+json"),
                      entry("DELETE", "/Users/7", 204, content_type="text/plain"),  # no body
                      {**entry("POST", "/oauth/token", 200, None, {"access_token": "REDACTED"},
                               content_type="application/json"), "url": "{gotomeeting}/oauth/token"})
    assert found(fine) == {}


def test_a_404_to_a_filter_and_to_test_connections_probe():
    probe = filter_query(f'userName eq "{GUID}"')
    records = transcript(entry("GET", "/Users", 404, query=probe, response=error(404)),
                         entry("GET", "/Groups", 404, query=filter_query('displayName eq "<run> Sales"'),
                               response=error(404), source="conformance-client"))
    assert found(records) == {"filter-answered-404": ("rfc7644-3.4.2", [1, 2]),
                              "probe-answered-404": ("entra-test-connection", [1])}
    assert found(transcript(entry("GET", "/Users/9", 404, response=error(404)))) == {}


def test_a_blocked_write_is_explained_as_a_safety_finding():
    unowned = "user '9' was not created by this run, and the GET of it just before shows userName 'x'"
    after_matching = "user '9' came from the matching query GET /Users?filter=…, not from this run"
    records = transcript(entry("DELETE", "/Users/9", None, content_type=None, error=f"blocked: {unowned}",
                               blocked=unowned),
                         entry("PATCH", "/Users/9", None, patch({"op": "Replace", "path": "active", "value": "False"}),
                               content_type=None, error="blocked", blocked=after_matching))
    assert records[0]["blocked"] == unowned and records[0]["response"]["status"] is None
    assert found(records) == {"write-blocked": ("entra-linked-object", [1]),
                              "write-blocked-after-matching": ("rfc7644-3.4.2.2", [2])}
    assert found(transcript(entry("DELETE", "/Users/9", 204, content_type=None))) == {}


def test_a_matching_query_answered_with_unrelated_resources():
    vendor = user("v1", "someone@vendor.example", externalId="someone")
    records = transcript(
        entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-b.simon@vendor.example"'),
              response=listed(vendor)),
        entry("GET", "/Users", 200, query=filter_query('externalId eq "<run>-B.Simon"'),
              response=listed(user("7", "<run>-b.simon@vendor.example", externalId="<run>-b.simon"))),
        entry("GET", "/Groups", 200, query="excludedAttributes=members&" + filter_query('displayName eq "<run> Sales"'),
              response=listed({"id": "g1", "displayName": "Everyone"})))
    result = signatures.find(records)
    assert [(f.signature.id, f.signature.rule, [e.n for e in f.evidence]) for f in result] == [
        ("filter-answered-unrelated", "rfc7644-3.4.2.2", [1, 2, 3])]
    assert result[0].signature.fix == "Implement filtering; never answer a filter with unrelated resources."
    assert 'the answer listed userName "someone@vendor.example" (id v1)' in result[0].evidence[0].note
    # near misses: another letter case of a case-insensitive attribute, the exact externalId, a group
    related = transcript(
        entry("GET", "/Users", 200, query=filter_query('userName eq "<run>-b.simon@vendor.example"'),
              response=listed(user("7", "<run>-B.Simon@Vendor.Example"))),
        entry("GET", "/Users", 200, query=filter_query('externalId eq "<run>-b.simon"'),
              response=listed(user("7", "x", externalId="<run>-b.simon"))),
        entry("GET", "/Groups", 200, query=filter_query('displayName eq "<run> sales"'),
              response=listed({"id": "g1", "displayName": "<run> Sales"})))
    assert found(related) == {}


# -- transcript records ---------------------------------------------------------------------------------
def test_transcript_records_name_the_observer_and_carry_why_a_write_was_blocked():
    outbound = [{**entry("PATCH", "/Users/9", None, patch({"op": "Replace", "path": "active", "value": "False"}),
                         content_type=None, error="blocked: not ours", blocked="not ours"), "seq": 4,
                 "url": "http://127.0.0.1:5000/scim/v2/Users/9"}]
    direct = [{"after": 2, "entry": {**entry("GET", "/Users", 200, response=listed()),
                                     "url": "http://127.0.0.1:5000/scim/v2/Users"}, "from": "observer"},
              {"after": 3, "entry": {**entry("GET", "/Users/1", 404, response=error(404)),
                                     "url": "http://127.0.0.1:5000/scim/v2/Users/1"}}]
    records = [json.loads(line) for line in transcript_lines(
        outbound, direct, [("http://127\\.0\\.0\\.1:5000/scim/v2", "{target}")])]
    assert [(r["n"], r["from"]) for r in records] == [(1, "observer"), (2, "conformance-client"), (3, "entra")]
    assert records[2]["blocked"] == "not ours" and records[2]["response"]["status"] is None
    assert "blocked" not in records[0]


# -- the rules a step declares ------------------------------------------------------------------------
def test_checks_declares_rules_on_the_step_function_and_refuses_an_unknown_tag():
    @checks("rfc7644-3.6")
    @checks("rfc7644-3.12", "rfc7644-3.6")
    def step():
        return None

    assert declared_rules(step) == ("rfc7644-3.12", "rfc7644-3.6")
    assert declared_rules(lambda: None) == () and declared_rules(None) == ()
    with pytest.raises(ValueError, match="rfc7644-9"):
        checks("rfc7644-9")
    with pytest.raises(ValueError):
        checks()


def test_the_catalogue_reads_the_declared_rules_from_the_source_and_docs_steps_md_shows_them(tmp_path):
    (tmp_path / "steps").mkdir()
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "rules.py").write_text((ROOT / "fixtures" / "rules.py").read_text())
    (tmp_path / "steps" / "x_steps.py").write_text(textwrap.dedent('''\
        """Steps."""
        from pytest_bdd import parsers, then
        from steps import rules
        from .rules import checks


        @then(parsers.parse('the target has no user "{name}"'))
        @checks("rfc7644-3.6", "rfc7644-3.12")
        def _(name):
            """Reads the target."""


        @then("nothing is checked")
        @rules.checks("entra-soft-delete")
        def _():
            pass


        @then("no rule")
        def _():
            pass
        '''))
    steps = step_catalogue.parse_module(tmp_path / "steps" / "x_steps.py", tmp_path)
    assert [s.rules for s in steps] == [["rfc7644-3.6", "rfc7644-3.12"], ["entra-soft-delete"], []]
    text = step_catalogue.render(tmp_path)
    assert "- checks: `@rfc7644-3.6` (RFC 7644 §3.6 deleting resources), `@rfc7644-3.12` (RFC 7644 §3.12 errors)" in text
    assert text.count("- checks:") == 2

    catalogued = step_catalogue.catalogue(ROOT)
    declared = [tag for s in catalogued for tag in s.rules]
    assert set(declared) <= set(RULES)
    by_phrase = {p.source: s for s in catalogued for p in s.phrases}
    assert by_phrase["the target finds \"{name}\" with the filter {expression}"].rules == ["rfc7644-3.4.2.2"]
    assert by_phrase['every answer of the target was "{media_type}"'].rules == ["rfc7644-3.1"]
    assert "- checks: `@rfc7644-3.4.2.2` (RFC 7644 §3.4.2.2 filtering)" in (ROOT / "docs" / "STEPS.md").read_text()


def test_the_imported_step_functions_carry_what_the_catalogue_reads():
    import importlib

    from pytest_bdd.steps import step_function_context_registry

    for name in sorted(p.stem for p in (ROOT / "steps").glob("*_steps.py")):
        importlib.import_module(f"steps.{name}")
    imported = {(f"steps/{c.step_func.__module__.split('.')[-1]}.py", c.type, c.parser.name): declared_rules(c.step_func)
                for c in list(step_function_context_registry.values()) if c.step_func.__module__.startswith("steps.")}
    catalogued = {(s.module, p.keyword.lower(), p.source): tuple(s.rules)
                  for s in step_catalogue.catalogue(ROOT) for p in s.phrases}
    assert {k: v for k, v in imported.items() if k in catalogued} == catalogued
    assert imported[("steps/target_steps.py", "then", 'the target has no user "{name}"')] == ("rfc7644-3.6",)
    assert imported[("steps/provisioning_steps.py", "then", "Test Connection succeeds")] == ("entra-test-connection",)


# -- the report ---------------------------------------------------------------------------------------
def _untagged_failure(tmp_path: Path, records: list[dict], step_rules: list[str] | None = None,
                      tags: list[str] | None = None, dialect: str = "legacy") -> ScenarioResult:
    relative = "transcripts/target/qa/qa-check--legacy.jsonl"
    (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / relative).write_text("".join(json.dumps(r) + "\n" for r in records))
    info = {"scenario": "QA check", "feature": "QA", "featureFile": "target/qa.feature", "line": 3,
            "tags": tags or ["target"], "parameters": dialect, "dialect": dialect, "transcript": relative,
            "failedStep": 'Then the target shows "B.Simon" as inactive (line 9)', "stepRules": step_rules or []}
    return ScenarioResult("t::qa[legacy]", info, "failed", 1.0, ["AssertionError: active is True"])


def test_explanations_join_tags_step_rules_and_signatures_without_repeating_a_rule():
    records = transcript(entry("PATCH", "/Users/7", 400, patch({"op": "Replace", "path": "active", "value": "False"}),
                               error(400)))
    info = {"tags": ["target", "entra-string-booleans", "entra-pathless-patch"], "dialect": "legacy",
            "stepRules": ["entra-soft-delete", "entra-string-booleans", "entra-pathless-patch"]}
    explained = explain_failure(info, records)
    assert [(x.tag, x.sources) for x in explained] == [
        ("entra-string-booleans", ["tags", "step", "signature"]), ("entra-soft-delete", ["step"])]
    assert [f.signature.id for f in explained[0].signatures] == ["string-boolean-refused"]
    assert explain_failure({"tags": ["target"], "dialect": "legacy"}, []) == []


def test_the_summary_explains_an_untagged_failure_from_its_transcript(tmp_path):
    records = transcript(entry("PATCH", "/Users/7", 400, patch({"op": "Replace", "path": "active", "value": "False"}),
                               error(400)))
    results = [_untagged_failure(tmp_path, records, step_rules=["entra-soft-delete"])]

    text = render_markdown(results, {}, tmp_path)

    rule, soft = RULES["entra-string-booleans"], RULES["entra-soft-delete"]
    assert f"- `@entra-soft-delete` — **{soft.title}**: {soft.sentence}" in text
    assert f"- `@entra-string-booleans` — **{rule.title}**: {rule.sentence}" in text
    assert text.index("@entra-soft-delete") < text.index("@entra-string-booleans")  # the step first, then evidence
    assert "  - Named by: the failed step" in text and "  - Named by: a known signature in the transcript" in text
    assert "  - Signature `string-boolean-refused` — **A boolean sent as a string was refused**" in text
    assert "    - Evidence: #1 PATCH {target}/Users/7 (sent by entra), answered 400" in text
    assert "    - Fix: Accept \"True\" and \"False\" in any letter case" in text
    assert NO_RULE not in text

    page = render_html(results, {}, tmp_path)
    assert "Signature <code>string-boolean-refused</code>" in page
    assert "Evidence: #1 PATCH {target}/Users/7 (sent by entra), answered 400" in page
    assert "Named by: a known signature in the transcript" in page and NO_RULE not in page


def test_only_a_failure_without_tags_step_rules_or_signatures_has_no_rule(tmp_path):
    records = transcript(entry("PATCH", "/Users/7", 200, patch({"op": "Replace", "path": "active", "value": "False"}),
                               user("7", "a")))
    results = [_untagged_failure(tmp_path, records)]
    assert f"- {NO_RULE}" in render_markdown(results, {}, tmp_path)
    assert f"<p>{NO_RULE}</p>" in render_html(results, {}, tmp_path)
    results = [_untagged_failure(tmp_path, records, step_rules=["rfc7644-3.6"])]
    assert NO_RULE not in render_markdown(results, {}, tmp_path)
