"""``python -m simulator conformance`` and ``steps``: the suite as one command, with a line per scenario,
the summary's headline, the report's path and exit codes 0 / 1 / 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.__main__ import main
from simulator.core.server import LiveServer
from tests.test_conformance import _clean_env

ROOT = Path(__file__).resolve().parent.parent
OWN_FEATURE = """\
@target @own-check
Feature: A check of our own

  Scenario: A blocked user is still found by its userName in lower case
    Given the non-gallery SCIM app is pointed at the target
    And the tenant user "N.Ew" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When sign-in is blocked for "N.Ew"
    And 40 virtual minutes pass
    Then the target shows "N.Ew" as inactive
    And the target finds "N.Ew" with the filter userName eq "{lower:userName}"
"""


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=ROOT, env=_clean_env(),
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(("args", "words"), [
    (["--token", "x"], "--token goes with --target-url"),
    (["--target-url", "ftp://x/scim"], "--target-url must be an http(s) URL"),
    (["--target-url", "https://x/scim"], "--target-url needs --token"),
    (["--ca", "/nonexistent/ca.pem"], "is not a file"),
    (["--features", "/nonexistent"], "is not a folder"),
    (["--jobs", "-1"], "--jobs must be 0 or more"),
    (["--run-id", "NOT OK"], "--run-id must be 1 to 12"),
    (["--timeout", "0"], "--timeout must be a number of seconds"),
])
def test_a_bad_option_ends_with_one_line_and_exit_code_2(capsys, tmp_path, args, words):
    assert main(["conformance", "--report-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("conformance: ") and words in err[0], err


def test_a_features_folder_without_feature_files_is_refused(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    assert main(["conformance", "--report-dir", str(tmp_path), "--features", str(tmp_path / "empty")]) == 2
    assert "holds no .feature file" in capsys.readouterr().err


def test_own_features_run_beside_the_suite_with_a_line_per_scenario(tmp_path):
    own = tmp_path / "mine"
    own.mkdir()
    (own / "lower_case.feature").write_text(OWN_FEATURE)
    reports = tmp_path / "reports"

    done = _cli("conformance", "--features", str(own), "--tags", "own-check or entra-test-connection and not "
                "rfc7644-3.12", "--dialect", "legacy", "--report-dir", str(reports))

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("PASSED  A blocked user is still found by its userName in lower case [legacy]")
               for line in lines), done.stdout
    assert any(line.startswith("PASSED  Test Connection: the probe for a random GUID") for line in lines)
    assert "Result: PASSED — 2 scenarios: 2 passed, 0 failed, 0 errors, 0 skipped" in lines
    assert f"report: {reports / 'summary.html'}" in lines
    assert [p.parent.name for p in (reports / "transcripts").rglob("*.jsonl") if "lower-case" in p.name] == \
        ["lower_case"]
    assert not any(line.strip() in (".", "..") for line in lines)  # lines, not dots


def test_an_unusable_target_ends_with_exit_code_2_and_a_stopped_report(tmp_path):
    target = ScimTarget(("html_answers",))
    server = LiveServer(create_app(target), name="html-target").start()
    try:
        done = _cli("conformance", "--target-url", server.url + SCIM_PREFIX, "--token", target.token,
                    "--report-dir", str(tmp_path))
    finally:
        server.stop()

    assert done.returncode == 2, done.stdout + done.stderr
    assert "that is not JSON" in done.stdout + done.stderr
    assert "Result: STOPPED — 0 scenarios" in done.stdout
    assert set(target.counts()["total"]) == {"GET"}


def test_steps_prints_the_catalogue_make_steps_writes(tmp_path):
    assert main(["steps", "--out", str(tmp_path / "STEPS.md")]) == 0
    assert (tmp_path / "STEPS.md").read_text() == (ROOT / "docs" / "STEPS.md").read_text()
