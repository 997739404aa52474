"""Untagged scenarios, written from the step catalogue alone, fail against the lab's GoToMeeting with a
vendor bug switched on (a quirk, or a fault rule that answers what a broken server answers) and the
conformance report explains each failure with the right rule: from the known failure signatures in the
scenario's transcript, and from the rules the failed step declares. One conformance run (as ``make
conformance`` runs, in this process), on a copy of the features directory that holds only these
scenarios, in both dialects: ``-k`` keeps each ``@target`` scenario in the one dialect its vendor bug
shows in (the path-less PATCH is aadOptscim062020's, the others run in legacy)."""
from __future__ import annotations

import pytest

from fixtures import signatures
from fixtures.reporting import NO_RULE, RULES
from simulator.tools import step_catalogue
from tests.test_conformance import ROOT, Run

#: @target scenarios (the feature's tag only: no rule tag anywhere).
TARGET_FEATURE = """\
@target
Feature: Checks a QA engineer wrote from the step catalogue

  Background:
    Given the non-gallery SCIM app is pointed at the target
    And the tenant user "B.Simon" is assigned to the app

  Scenario: A blocked user is disabled on the target
    Given the GoToMeeting quirk "reject_string_booleans" is on
    And provisioning is turned on and the initial cycle runs
    When sign-in is blocked for "B.Simon"
    And 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "disable" with status "success"

  Scenario: A new user is created on the target
    Given the GoToMeeting quirk "empty_filter_404" is on
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "success"

  Scenario: The target answers in SCIM's media type
    Given the GoToMeeting quirk "json_content_type" is on
    When provisioning is turned on and the initial cycle runs
    Then every answer of the target was "application/scim+json"
"""
#: @target scenarios in which GoToMeeting answers as a broken SCIM server does (fault rules).
FAULTS_FEATURE = r'''@target
Feature: Checks a QA engineer wrote against a target that answers wrongly

  Background:
    Given the non-gallery SCIM app is pointed at the target
    And the tenant user "B.Simon" is assigned to the app

  Scenario: Several changed attributes reach the target in one pathless PATCH
    Given provisioning is turned on and the initial cycle runs
    And GoToMeeting answers requests matching:
      """
      {"method": "PATCH", "path": "^/scim/v2/Users/", "action": "answer", "status": 400,
       "body": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
                "scimType": "noTarget", "detail": "Every operation needs a path."}}
      """
    And the attributes of "B.Simon" are changed in Entra:
      | property    | value         |
      | displayName | Barbara Simon |
      | department  | Finance       |
    When 40 virtual minutes pass
    Then the target accepted every request Entra sent

  Scenario: A user is found by its work e-mail
    Given provisioning is turned on and the initial cycle runs
    And GoToMeeting answers requests matching:
      """
      {"method": "GET", "path": "^/scim/v2/Users$", "query": "emails\\[type eq \"work\"\\]", "status": 400}
      """
    Then the target finds "B.Simon" with the filter emails[type eq "work"].value eq "{email}"

  Scenario: A new user is looked up and created
    Given GoToMeeting answers requests matching:
      """
      {"method": "GET", "path": "^/scim/v2/Users$", "query": "^filter=userName eq ", "action": "answer",
       "status": 200, "body": []}
      """
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "success"

  Scenario: A created user is on the target
    Given GoToMeeting answers requests matching:
      """
      {"method": "POST", "path": "^/scim/v2/Users$", "action": "answer", "status": 201,
       "body": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": true}}
      """
    When provisioning is turned on and the initial cycle runs
    Then the target shows "B.Simon" as active
'''
#: A gallery-app scenario: the user's principal name changes letter case and the links are forgotten,
#: so Entra matches it again by userName in the new letter case.
RESTART_FEATURE = """\
Feature: A check a QA engineer wrote about letter case

  Scenario: A user whose name changed letter case is matched again, not created twice
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And the GoToMeeting quirk "case_sensitive_username" is on
    And provisioning is turned on and the initial cycle runs
    When the user principal name of "B.Simon" is changed to "B.SIMON@contoso.example"
    And the admin restarts provisioning with the reset scope "ConnectorDataStore"
    And 0 virtual minutes pass
    Then the provisioning log for "B.Simon" says "other" with status "skipped"
"""

#: Each @target scenario in one dialect: the path-less PATCH is aadOptscim062020's, the string booleans
#: legacy's (the others show in both; legacy is enough); the restart scenario has no dialect.
SELECTION = "legacy and not pathless or aadOptscim062020 and pathless or letter_case"

#: What each failure of FAULTS_FEATURE is explained with, by its title in the summary: (rule, signature).
FAULT_EXPLANATIONS = {
    "Several changed attributes reach the target in one pathless PATCH [aadOptscim062020]":
        ("entra-pathless-patch", "pathless-patch-refused"),
    "A user is found by its work e-mail [legacy]": ("rfc7644-3.4.2.2", "emails-filter-refused"),
    "A new user is looked up and created [legacy]": ("rfc7644-3.4.2", "query-not-list-response"),
    "A created user is on the target [legacy]": ("rfc7644-3.3", "create-without-id"),
}

#: One worker makes the module's run (the module fixture would make it on each worker).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("explanations")]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("explanations")
    features = base / "features"
    for path, text in (("target/qa.feature", TARGET_FEATURE), ("target/faults.feature", FAULTS_FEATURE),
                       ("restart/qa.feature", RESTART_FEATURE)):
        (features / path).parent.mkdir(parents=True, exist_ok=True)
        (features / path).write_text(text)
    return Run.here(base / "report", "steps/test_restart.py", "-o", f"bdd_features_base_dir={features}",
                    "-k", SELECTION, DIALECT="both")


def _failures(run: Run) -> dict[str, str]:
    """scenario title -> its section of summary.md."""
    text = (run.report_dir / "summary.md").read_text()
    sections = text.split("## Failures", 1)[1].split("## All scenarios", 1)[0].split("\n### ")[1:]
    return {section.split("\n", 1)[0].split(". ", 1)[1]: section for section in sections}


def _rule(section: str, tag: str) -> str:
    rule = RULES[tag]
    return f"- `@{tag}` — **{rule.title}**: {rule.sentence}"


def test_the_scenarios_are_made_of_catalogued_steps_and_name_no_rule():
    phrases = [p for s in step_catalogue.catalogue(ROOT) for p in s.phrases]
    for line in (TARGET_FEATURE + FAULTS_FEATURE + RESTART_FEATURE).splitlines():
        words = line.strip()
        if words.startswith("@"):
            assert words == "@target", words
        keyword, _, text = words.partition(" ")
        if keyword in ("Given", "When", "Then", "And"):
            assert any(p.regex().fullmatch(text) for p in phrases), f"not in the catalogue: {words}"


def test_untagged_failures_are_explained_from_the_signatures_in_their_transcripts(run):
    code, output = run.wait()

    assert code == 1, output[-3000:]
    assert set(run.outcomes().values()) == {"failed"} and len(run.outcomes()) == 8, run.outcomes()
    failures = _failures(run)
    assert len(failures) == 8 and NO_RULE not in "".join(failures.values())

    booleans = failures["A blocked user is disabled on the target [legacy]"]
    assert _rule(booleans, "entra-string-booleans") in booleans
    assert "  - Named by: a known signature in the transcript" in booleans
    assert "  - Signature `string-boolean-refused`" in booleans
    assert "(sent by entra), answered 400" in booleans and "    - Evidence: #" in booleans
    assert "    - Fix: Accept \"True\" and \"False\" in any letter case" in booleans

    not_found = failures["A new user is created on the target [legacy]"]
    assert _rule(not_found, "rfc7644-3.4.2") in not_found and "  - Signature `filter-answered-404`" in not_found
    assert "    - Evidence: #1 GET {target}/Users?filter=userName+eq+%22<run>-b.simon%40contoso.example%22 " \
           "(sent by entra), answered 404" in not_found

    media = failures["The target answers in SCIM's media type [legacy]"]
    assert _rule(media, "rfc7644-3.1") in media and media.count("- `@rfc7644-3.1`") == 1
    assert "  - Named by: the failed step, a known signature in the transcript" in media
    assert "  - Signature `wrong-media-type`" in media and "(sent by entra), answered 201" in media

    case = failures["A user whose name changed letter case is matched again, not created twice"]
    assert _rule(case, "rfc7644-3.4.2.2") in case and "  - Signature `filter-letter-case-empty`" in case
    assert 'the filter asked for userName "B.SIMON@contoso.example"; #' in case
    assert 'showed userName "b.simon@contoso.example"' in case

    page = (run.report_dir / "summary.html").read_text()
    assert page.count("<section class='failure'>") == 8
    for signature in ("string-boolean-refused", "filter-answered-404", "wrong-media-type", "filter-letter-case-empty",
                      *(signature for _, signature in FAULT_EXPLANATIONS.values())):
        assert f"Signature <code>{signature}</code>" in page
    assert NO_RULE not in page


def test_a_target_that_answers_wrongly_through_fault_rules_is_explained_by_the_right_signature(run):
    """GoToMeeting answers each scenario's request as a broken server does (a fault rule from the step
    "GoToMeeting answers requests matching:"); the summary names the signature and its rule, with the
    exchange that shows it."""
    run.wait()
    failures = _failures(run)
    catalogue = {s.id: s for s in signatures.catalogue()}
    for title, (rule, signature) in FAULT_EXPLANATIONS.items():
        assert title in failures, sorted(failures)
        section = failures[title]
        assert catalogue[signature].rule == rule
        assert _rule(section, rule) in section, section
        assert f"  - Signature `{signature}` — **{catalogue[signature].title}**" in section, section
        named = section.split(f"- `@{rule}`", 1)[1].split("\n- `@", 1)[0]
        assert "  - Named by: " in named and "a known signature in the transcript" in named, named
        others = {other for _, other in FAULT_EXPLANATIONS.values()} - {signature}
        assert not any(f"Signature `{other}`" in section for other in others), section

    pathless = failures["Several changed attributes reach the target in one pathless PATCH [aadOptscim062020]"]
    assert "    - Evidence: #3 PATCH {target}/Users/" in pathless and "(sent by entra), answered 400" in pathless
    assert '"scimType": "noTarget"' in pathless  # the fault rule's own body came back

    emails = failures["A user is found by its work e-mail [legacy]"]
    assert "    - Evidence: #3 GET {target}/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+" \
           "%22<run>-b.simon%40contoso.example%22 (sent by observer), answered 400" in emails
    assert "  - Named by: the failed step, a known signature in the transcript" in emails

    query = failures["A new user is looked up and created [legacy]"]
    assert "    - Evidence: #1 GET {target}/Users?filter=userName+eq+%22<run>-b.simon%40contoso.example%22 " \
           "(sent by entra), answered 200" in query

    create = failures["A created user is on the target [legacy]"]
    assert "    - Evidence: #2 POST {target}/Users (sent by entra), answered 201" in create
    assert "AssertionError: the target has 0 of the user" in create  # the answered create stored nothing
