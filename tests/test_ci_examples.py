"""The CI examples of docs/ci/ run as written: their shell steps (GitHub Actions ``run:`` steps, GitLab's
``script:``) are executed here with bash, in order, against a SCIM server that is not part of the lab,
so the examples cannot rot.

Only the vendor's own part is not run (GitHub's "Start your SCIM server" step, GitLab's
``before_script:``: npm): the test serves a SCIM server itself and gives its address as ``SCIM_URL``.
``ENTRA_LAB_REPOSITORY`` is a git repository made of this working tree; ``pip`` installs from it into a
fresh virtualenv whose dependencies come from the project's virtualenv (no package index: the examples
must work offline here as on a runner with one). The examples install with the same commands, so these
run once and each example's conformance run uses that runner (in a workspace of its own).
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


@pytest.fixture(scope="module")
def installed(lab_repository, tmp_path_factory):
    """A runner on which an example's install commands (clone, ``pip install``) have run, as written, in a
    fresh workspace and virtualenv: ``installed(lines)`` -> a workspace of its own for the example's
    next commands, on that runner. Commands of the same text run once: GitHub's install step and
    GitLab's script lines before the conformance run are the same two commands."""
    runners: dict[str, dict[str, str]] = {}

    def runner(lines: list[str], env: dict[str, str]) -> tuple[Path, dict[str, str]]:
        script = "\n".join(line.strip() for line in lines if line.strip())
        if script not in runners:
            work, runner_env = _workspace(tmp_path_factory.mktemp("runner"))
            runner_env.update(env, ENTRA_LAB_REPOSITORY=lab_repository)
            done = _run(script, work, runner_env)
            assert done.returncode == 0, f"{script}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
            runners[script] = runner_env
        work = tmp_path_factory.mktemp("work")
        return work, {**runners[script], **env}

    return runner


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _variables(declared: dict, **ours: str) -> dict[str, str]:
    """The example's variables, with ours for the ones a runner's secrets and settings would give."""
    values = {k: str(v) for k, v in (declared or {}).items() if "${{" not in str(v)}
    values.update(ours)
    return values


def test_the_github_actions_workflow_runs_as_written(installed, server):
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    job = workflow["jobs"]["conformance"]
    target, url = server
    variables = _variables(job["env"], SCIM_URL=url, SCIM_TOKEN=target.token,
                           CONFORMANCE_OPTIONS="--dialect aadOptscim062020 --tags rfc7644-3.6")
    steps = [s for s in job["steps"] if "run" in s and not s["name"].startswith("Start your SCIM server")]
    assert [s["name"] for s in steps] == ["Install the Entra provisioning lab",
                                          "Run the conformance suite against your server"]
    work, env = installed(steps[0]["run"].splitlines(), variables)

    done = _run(steps[1]["run"], work, env)

    assert done.returncode == 0, f"{steps[1]['name']}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    assert "PASSED  Delete_User_Test" in done.stdout and "Result: PASSED" in done.stdout, done.stdout
    uploads = {s["uses"].split("@")[0]: s.get("with", {}) for s in job["steps"] if "uses" in s}
    assert (work / uploads["actions/upload-artifact"]["path"] / "summary.html").is_file()
    assert (work / uploads["mikepenz/action-junit-report"]["report_paths"]).is_file()
    assert [json.loads(u)["userName"] for u in target.dump()["Users"].values()] == \
        ["someone@vendor.example"]  # the run removed what it created, and only that


def test_the_gitlab_ci_job_runs_as_written(installed, server):
    job = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())["entra-provisioning-conformance"]
    target, url = server
    variables = _variables(job["variables"], SCIM_URL=url, SCIM_TOKEN=target.token,
                           CONFORMANCE_OPTIONS="--dialect legacy --tags entra-matching")
    script = job["script"]
    first_run = next(i for i, line in enumerate(script) if line.startswith("entra-lab "))
    work, env = installed(script[:first_run], variables)

    done = _run("\n".join(script[first_run:]), work, env)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PASSED  Create_User_Test" in done.stdout and "Result: PASSED" in done.stdout
    for path in job["artifacts"]["paths"]:
        assert (work / path / "summary.html").is_file()
    assert (work / job["artifacts"]["reports"]["junit"]).is_file()
