"""The CI examples of docs/ci/ run as written: their shell steps (GitHub Actions ``run:`` steps, GitLab's
``script:``) are executed here with bash, in order, against a SCIM server that is not part of the lab,
so the examples cannot rot.

Only the vendor's own part is not run (GitHub's "Start your SCIM server" step, GitLab's
``before_script:``: npm): the test serves a SCIM server itself and gives its address as ``SCIM_URL``.
``ENTRA_LAB_REPOSITORY`` is a git repository made of this working tree; ``pip`` installs from it into a
fresh virtualenv whose dependencies come from the project's virtualenv (no package index: the examples
must work offline here as on a runner with one).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.core.server import LiveServer
from tests.test_entra_lab import copy_sources, fresh_venv

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ci-examples")]


@pytest.fixture(scope="module")
def lab_repository(tmp_path_factory) -> str:
    """A git repository holding this working tree's lab (what a runner clones)."""
    repo = copy_sources(tmp_path_factory.mktemp("ci") / "entra-lab-repository")
    git = ["git", "-c", "user.name=lab", "-c", "user.email=lab@localhost", "-c", "init.defaultBranch=main"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "lab"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True)
    return f"file://{repo}"


@pytest.fixture
def server():
    target = ScimTarget(())
    live = LiveServer(create_app(target), name="vendor-server").start()
    target.seed_user("someone@vendor.example", live.url + SCIM_PREFIX)
    yield target, live.url + SCIM_PREFIX
    live.stop()


def _workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A runner's workspace: a fresh virtualenv first on PATH (its dependencies: the project's)."""
    bin_folder = fresh_venv(tmp_path / "python").parent
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TARGET_", "PYTHON"))}
    env.update(PATH=f"{bin_folder}:{env.get('PATH', '')}", VIRTUAL_ENV=str(bin_folder.parent), PIP_NO_INDEX="1",
               PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return work, env


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _variables(declared: dict, **ours: str) -> dict[str, str]:
    """The example's variables, with ours for the ones a runner's secrets and settings would give."""
    values = {k: str(v) for k, v in (declared or {}).items() if "${{" not in str(v)}
    values.update(ours)
    return values


def test_the_github_actions_workflow_runs_as_written(lab_repository, server, tmp_path):
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    job = workflow["jobs"]["conformance"]
    target, url = server
    work, env = _workspace(tmp_path)
    env.update(_variables(job["env"], SCIM_URL=url, SCIM_TOKEN=target.token, ENTRA_LAB_REPOSITORY=lab_repository,
                          CONFORMANCE_OPTIONS="--dialect aadOptscim062020 --tags rfc7644-3.6"))
    ran = []

    for step in job["steps"]:
        if "run" not in step or step["name"].startswith("Start your SCIM server"):
            continue
        done = _run(step["run"], work, env)
        assert done.returncode == 0, f"{step['name']}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        ran.append((step["name"], done.stdout))

    assert [name for name, _ in ran] == ["Install the Entra provisioning lab",
                                         "Run the conformance suite against your server"]
    assert "PASSED  Delete_User_Test" in ran[-1][1] and "Result: PASSED" in ran[-1][1], ran[-1][1]
    uploads = {s["uses"].split("@")[0]: s.get("with", {}) for s in job["steps"] if "uses" in s}
    assert (work / uploads["actions/upload-artifact"]["path"] / "summary.html").is_file()
    assert (work / uploads["mikepenz/action-junit-report"]["report_paths"]).is_file()
    assert [json.loads(u)["userName"] for u in target.dump()["Users"].values()] == \
        ["someone@vendor.example"]  # the run removed what it created, and only that


def test_the_gitlab_ci_job_runs_as_written(lab_repository, server, tmp_path):
    job = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())["entra-provisioning-conformance"]
    target, url = server
    work, env = _workspace(tmp_path)
    env.update(_variables(job["variables"], SCIM_URL=url, SCIM_TOKEN=target.token,
                          ENTRA_LAB_REPOSITORY=lab_repository,
                          CONFORMANCE_OPTIONS="--dialect legacy --tags entra-matching"))

    done = _run("\n".join(job["script"]), work, env)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PASSED  Create_User_Test" in done.stdout and "Result: PASSED" in done.stdout
    for path in job["artifacts"]["paths"]:
        assert (work / path / "summary.html").is_file()
    assert (work / job["artifacts"]["reports"]["junit"]).is_file()
