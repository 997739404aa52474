"""Proofs of conformance mode (SPEC §6): the ``@target`` suite run as a vendor runs it.

The target is a lab of its own as ``python -m simulator serve`` starts it (its GoToMeeting with a static
token, read from its description; its own clock and state); a conformance run (``pytest`` with
``TARGET_URL``, in this process) is the lab's Entra side and drives it over HTTP(S). The run must pass, clean up after itself and leave the target's own users as
they were; with the target broken on purpose (quirk switches) the matching scenarios fail and the
summary names the broken rule. Other runs prove byte-identical transcripts, the same results under
pytest-xdist, selection by tags and dialect, and that a new feature made of catalogued steps runs (it
is dropped into a copy of the features directory next to two of the suite's own).

The module runs them all once and each test checks the one it names; the runs select subsets where the
whole suite is not the point. ``serve`` as a process is proven by tests/test_serve.py; a run in a process of
its own is needed only where a signal is sent to it (tests/test_vendor_safety.py).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from simulator.serve import RunningLab, add_serve_arguments, start_lab

ROOT = Path(__file__).resolve().parent.parent
PRE_EXISTING = [
    {"userName": "b.simon@contoso.example", "givenName": "Babs", "familyName": "Simon", "displayName": "Babs Simon",
     "externalId": "b.simon", "role": "member"},
    {"userName": "a.lee@vendor.example", "givenName": "Alex", "familyName": "Lee", "displayName": "Alex Lee",
     "role": "manager"},
    {"userName": "page.user01@contoso.example", "givenName": "Page", "familyName": "One", "displayName": "Page One",
     "role": "member"},
]
NEW_FEATURE = """\
@target
Feature: A check written from the step catalogue alone

  Scenario: A disabled user is still found by its userName in lower case
    Given the non-gallery SCIM app is pointed at the target
    And the tenant user "N.Ew" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When sign-in is blocked for "N.Ew"
    And 40 virtual minutes pass
    Then the target shows "N.Ew" as inactive
    And the target finds "N.Ew" with the filter userName eq "{lower:userName}"
    And the target accepted every request Entra sent
"""

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("conformance")]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TARGET_", "PYTEST_")) and k not in ("DIALECT", "LAB_SEED")}
    env.update(extra)
    return env


@dataclass
class Run:
    """One conformance run (what ``make conformance`` runs): in this process (``here``), or in a process of
    its own (``start``) where the proof needs one (a signal sent to the run)."""

    report_dir: Path
    proc: subprocess.Popen | None = None
    _result: tuple[int, str] | None = None

    @staticmethod
    def _command(report_dir: Path, tests: str, args: tuple[str, ...]) -> list[str]:
        report_dir.mkdir(parents=True, exist_ok=True)
        return [tests, "-q", "-p", "no:cacheprovider", f"--report-dir={report_dir}",
                f"--junitxml={report_dir / 'junit.xml'}", f"--cucumberjson={report_dir / 'cucumber.json'}", *args]

    @classmethod
    def start(cls, report_dir: Path, *args: str, tests: str = "steps/test_target.py", **env: str) -> "Run":
        """The run in a pytest process of its own, started now; ``wait`` for it."""
        proc = subprocess.Popen([sys.executable, "-m", "pytest", *cls._command(report_dir, tests, args)], cwd=ROOT,
                                env=_clean_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return cls(report_dir, proc)

    @classmethod
    def here(cls, report_dir: Path, *args: str, tests: str = "steps/test_target.py", **env: str) -> "Run":
        """The run in this process, over when this returns: the same command line, environment and working
        folder as ``start`` (without the cost of a Python process)."""
        return cls(report_dir, None, _pytest_here(cls._command(report_dir, tests, args), _clean_env(**env)))

    def wait(self) -> tuple[int, str]:
        if self._result is None:
            output, _ = self.proc.communicate(timeout=300)
            self._result = (self.proc.returncode, output)
        return self._result

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self.wait()

    def outcomes(self) -> dict[str, str]:
        """test name -> passed | failed, from the run's JUnit XML."""
        self.wait()
        found = {}
        for case in ET.parse(self.report_dir / "junit.xml").getroot().iter("testcase"):
            failed = case.find("failure") is not None or case.find("error") is not None
            found[case.get("name")] = "failed" if failed else "passed"
        return found


def _pytest_here(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """``pytest <command>`` in this process, as a process of its own would run it: in the repository with
    ``env`` as its whole environment, its output (stdout and stderr) returned with its exit code. What the
    run changes for the process is put back: the environment, the working folder, the SIGINT/SIGTERM
    handlers (a vendor run installs its own) and the test modules of steps/ (the run imports them anew:
    ``-o bdd_features_base_dir`` binds their scenarios to other features)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    test_modules = {name: module for name, module in sys.modules.items() if name.startswith("steps.test_")}
    output = io.StringIO()
    try:
        for name in test_modules:
            del sys.modules[name]
        os.environ.clear()
        os.environ.update(env)
        os.chdir(ROOT)
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = pytest.main(command)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for signum, handler in saved_handlers.items():
            signal.signal(signum, handler)
        for name in [name for name in sys.modules if name.startswith("steps.test_")]:
            del sys.modules[name]
        sys.modules.update(test_modules)
    return int(code), output.getvalue()


def _serve(directory: Path, *options: str) -> RunningLab:
    """A lab as ``python -m simulator serve`` starts it (the same options, the same start), here: a separate
    lab with its own clock and state, whose GoToMeeting is the target; its description says where."""
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return start_lab(parser.parse_args(["--entra-port", "0", "--gotomeeting-port", "0", "--users", "0", "--groups",
                                        "0", "--seed", "77", "--tls-dir", str(directory / "tls"), *options]))


def _described(running: RunningLab) -> dict:
    description = running.describe()
    return {**description["gotomeeting"], "caBundle": description["caBundle"]}


def _quirks(goto: dict, **switches: bool) -> None:
    resp = requests.put(f"{goto['baseUrl']}/_admin/quirks", json=switches, timeout=10, verify=goto["caBundle"] or True)
    assert resp.status_code == 200, resp.text


def _scim(goto: dict, path: str, **params) -> dict:
    resp = requests.get(f"{goto['scimUrl']}{path}", params=params, timeout=10, verify=goto["caBundle"] or True,
                        headers={"Authorization": f"Bearer {goto['scimToken']}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _vendor_env(goto: dict, **extra: str) -> dict[str, str]:
    env = {"TARGET_URL": goto["scimUrl"], "TARGET_TOKEN": goto["scimToken"], "TARGET_ROLE": "organizer", **extra}
    if goto["caBundle"]:
        env["TARGET_CA"] = goto["caBundle"]
    return env


@dataclass
class Runs:
    target: dict
    before: dict
    vendor: Run
    broken: Run
    probe: Run
    serial: Run
    parallel: Run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("conformance")
    servers = {"clean": _serve(base / "serve-clean", "--tls"),  # HTTPS: the run trusts it through TARGET_CA
               **{name: _serve(base / f"serve-{name}") for name in ("broken", "probe")}}
    targets = {name: _described(running) for name, running in servers.items()}
    clean = targets["clean"]
    seeded = requests.post(f"{clean['baseUrl']}/_admin/seed", timeout=10, verify=clean["caBundle"],
                           json={"users": PRE_EXISTING, "verifiedDomains": ["vendor.example"]})
    assert seeded.status_code == 201, seeded.text
    before = {u["id"]: u for u in _scim(clean, "/Users", count=200)["Resources"]}
    _quirks(targets["broken"], reject_string_booleans=True, remove_member_value_removes_all=True)
    _quirks(targets["probe"], empty_filter_404=True)
    features = base / "features"  # two of the suite's features and a new one made of catalogued steps
    (features / "target").mkdir(parents=True)
    for name in ("users.feature", "groups.feature"):
        (features / "target" / name).write_text((ROOT / "features" / "target" / name).read_text())
    (features / "target" / "new_check.feature").write_text(NEW_FEATURE)
    subset = ("-o", f"bdd_features_base_dir={features}", "-k", "create_user_test or removing_one_member or disabled")
    started = Runs(
        target=clean, before=before,
        vendor=Run.here(base / "vendor", tests="steps",
                        **_vendor_env(clean, TARGET_DOMAIN="vendor.example", DIALECT="legacy")),
        broken=Run.here(base / "broken", "-k", "disable_user_test or removing_one_member",
                        **_vendor_env(targets["broken"], DIALECT="both")),
        probe=Run.here(base / "probe", "-m", "entra-test-connection and not rfc7644-3.12",
                       **_vendor_env(targets["probe"], DIALECT="aadOptscim062020")),
        serial=Run.here(base / "serial", *subset, LAB_SEED="1234", TARGET_RUN_ID="aaaaaa", DIALECT="legacy"),
        parallel=Run.here(base / "parallel", *subset, "-n", "2", LAB_SEED="1234", TARGET_RUN_ID="bbbbbb",
                          DIALECT="legacy"),
    )
    yield started
    for running in servers.values():
        running.stop()


def test_vendor_mode_passes_cleans_up_and_leaves_the_targets_own_users_alone(runs):
    code, output = runs.vendor.wait()

    assert code == 0, output[-4000:]
    results = runs.vendor.outcomes()
    assert len(results) >= 20 and set(results.values()) == {"passed"}
    assert all("[legacy" in name for name in results)  # only the @target scenarios, once each (DIALECT=legacy)
    assert runs.target["scimUrl"].startswith("https://")
    after = {u["id"]: u for u in _scim(runs.target, "/Users", count=200)["Resources"]}
    assert len(runs.before) == len(PRE_EXISTING) + 2  # the seeded users, GoTo's admin and member
    assert after == runs.before, "the run changed or left users on the target"
    assert _scim(runs.target, "/Groups")["totalResults"] == 0
    # what Entra sent carried the vendor's domain (TARGET_DOMAIN rewrote the tenant's)
    records = [json.loads(line) for path in (runs.vendor.report_dir / "transcripts").rglob("*.jsonl")
               for line in path.read_text().splitlines()]
    user_names = {r["request"]["body"]["userName"] for r in records if r["from"] == "entra"
                  and r["request"]["method"] == "POST" and r["request"]["url"] == "{target}/Users"}
    assert user_names and all(n.startswith("<run>-") and n.endswith("@vendor.example") for n in user_names), user_names
    summary = (runs.vendor.report_dir / "summary.md").read_text()
    assert "**Result: PASSED**" in summary and runs.target["scimUrl"] in summary
    texts = [summary] + [p.read_text() for p in (runs.vendor.report_dir / "transcripts").rglob("*.jsonl")]
    assert not any(runs.target["scimToken"] in text for text in texts)


def test_a_broken_target_fails_the_matching_scenarios_and_the_summary_names_the_rule(runs):
    code, output = runs.broken.wait()

    assert code == 1, output[-3000:]
    results = runs.broken.outcomes()
    failed = sorted(name for name, outcome in results.items() if outcome == "failed")
    assert len(results) == 4 and len(failed) == 2, results
    assert all(name.endswith("[legacy]") for name in failed), failed  # the SCIM-compliant dialect is unaffected
    summary = (runs.broken.report_dir / "summary.md").read_text()
    assert "**Result: FAILED** — 4 scenarios: 2 passed, 2 failed" in summary
    failures = summary.split("## Failures", 1)[1].split("## All scenarios", 1)[0]
    disable = next(part for part in failures.split("\n### ") if "Disable_User_Test" in part)
    assert "[legacy]" in disable and "`@entra-string-booleans` — **Entra sends booleans as strings**" in disable
    assert 'Fix: Accept "True"/"False"' in disable
    assert '"value": "False"' in disable and "answered **400**" in disable  # what Entra sent, what came back
    assert "@entra-pathless-patch" not in disable
    group = next(part for part in failures.split("\n### ") if "removing one member" in part)
    assert "`@entra-remove-member-value` — **Entra's legacy member removal**" in group
    assert "the group's members are" in group  # the assertion: the group lost every member
    assert '"op": "Remove"' in group
    page = (runs.broken.report_dir / "summary.html").read_text()
    assert "<strong class='failed'>Result: FAILED</strong>" in page
    assert "Entra sends booleans as strings" in page and "Entra&#x27;s legacy member removal" in page
    assert page.count("<section class='failure'>") == 2
    assert "href='transcripts/target/users/" in page


def test_a_target_answering_404_to_an_empty_filter_fails_test_connection_with_the_rule_named(runs):
    code, output = runs.probe.wait()

    assert code == 1, output[-3000:]
    assert list(runs.probe.outcomes().values()) == ["failed"]  # -m by tag, DIALECT picks one run
    text = (runs.probe.report_dir / "summary.md").read_text()
    assert "`@entra-test-connection` — **Entra Test Connection**" in text and "answered **404**" in text
    assert "[aadOptscim062020]" in text


def test_transcripts_are_byte_identical_across_runs_and_a_parallel_run_passes_the_same(runs):
    for run in (runs.serial, runs.parallel):
        code, output = run.wait()
        assert code == 0, output[-3000:]
    passed = {n for n, o in runs.serial.outcomes().items() if o == "passed"}
    assert len(passed) == 3 and passed == {n for n, o in runs.parallel.outcomes().items() if o == "passed"}
    serial, parallel = runs.serial.report_dir, runs.parallel.report_dir
    files = sorted(p.relative_to(serial) for p in (serial / "transcripts").rglob("*.jsonl"))
    assert len(files) == 3
    for name in files:
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
    text = (serial / files[0]).read_text()
    assert "127.0.0.1" not in text and "aaaaaa" not in text and "{target}" in text
    cucumber = json.loads((serial / "cucumber.json").read_text())
    assert {f["uri"] for f in cucumber} == {"target/users.feature", "target/groups.feature", "target/new_check.feature"}


def test_a_new_feature_made_of_catalogued_steps_runs_without_code_changes(runs):
    from simulator.tools import step_catalogue

    phrases = [p for s in step_catalogue.catalogue(ROOT) for p in s.phrases]
    for line in NEW_FEATURE.splitlines():
        keyword, _, text = line.strip().partition(" ")
        if keyword in ("Given", "When", "Then", "And"):
            assert any(p.regex().fullmatch(text) for p in phrases), f"not in the catalogue: {line.strip()}"

    code, output = runs.serial.wait()

    assert code == 0, output[-3000:]
    assert runs.serial.outcomes()["test_a_disabled_user_is_still_found_by_its_username_in_lower_case[legacy]"] == "passed"
    assert (runs.serial.report_dir / "transcripts" / "target" / "new_check").is_dir()
