"""The installable lab: ``pip install`` of the wheel gives the ``entra-lab`` command, and an installed
copy runs from any folder (``serve``, ``conformance`` with its line per scenario, the summary's headline
and report path and exit codes 0 / 1 / 2, ``steps``) and gives pytest its plugin. The wheel is built from
a copy of the repository and installed into a fresh virtualenv outside it; every command below runs
from another folder."""
from __future__ import annotations

import ast
import json
import re
import shutil
import signal
import os
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import requests

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.__main__ import main
from simulator.core.server import LiveServer
from tests.test_conformance import NEW_FEATURE, _clean_env

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("simulator", "steps", "fixtures", "features", "conftest.py", "pytest.ini", "README.md",
           "pyproject.toml", "setup.py")
OWN_FEATURE = NEW_FEATURE.replace("@target\n", "@target @own-check\n", 1)  # a tag of the user's own

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("entra-lab")]


def copy_sources(folder: Path) -> Path:
    """What a build of the package reads, copied from this working tree (without caches)."""
    folder.mkdir(parents=True)
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copyfile(origin, folder / name)
    return folder


def fresh_venv(folder: Path) -> Path:
    """A new virtualenv whose dependencies are the project's (a .pth file to its site-packages, so no
    package index is needed); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


class Installed:
    """The wheel, installed with pip into a fresh virtualenv outside the repository (its dependencies come
    from the project's virtualenv: no package index is needed)."""

    def __init__(self, base: Path):
        source, dist, venv = copy_sources(base / "source"), base / "dist", base / "venv"
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
                       check=True, cwd=base, capture_output=True)
        [self.wheel] = dist.glob("*.whl")
        self.venv = venv
        self.python = fresh_venv(venv)
        subprocess.run([*pip, "--python", str(self.python), "install", "--no-deps", "--no-index", str(self.wheel)],
                       check=True, cwd=base, capture_output=True)
        self.bin = venv / "bin"
        self.cwd = base / "elsewhere"
        self.cwd.mkdir()

    def env(self) -> dict[str, str]:
        return _clean_env(PATH=f"{self.bin}:{os.environ.get('PATH', '')}")

    def command(self, *args: str) -> list[str]:
        return [str(self.bin / "entra-lab"), *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=self.cwd, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    return Installed(tmp_path_factory.mktemp("entra-lab"))


def _cli(installed: Installed, *args: str) -> subprocess.CompletedProcess:
    return installed.run(*args)


def test_the_wheel_carries_the_suite_and_the_command(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    for wanted in ("simulator/__main__.py", "simulator/suite/conftest.py", "simulator/suite/pytest.ini",
                   "simulator/suite/steps/test_target.py", "simulator/suite/features/target/users.feature",
                   "simulator/suite/fixtures/mappings/scim.json", "simulator/suite/fixtures/schemas/scim-user.json",
                   "simulator/gotomeeting/templates/oauth_login.html"):
        assert wanted in names, wanted
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "entra-lab = simulator.__main__:main" in zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    imported = subprocess.run([str(installed.python), "-c", "import simulator.paths as p; print(p.SUITE)"],
                              cwd=installed.cwd, env=installed.env(), capture_output=True, text=True, check=True)
    suite = Path(imported.stdout.strip())
    assert suite.parts[-2:] == ("simulator", "suite") and suite.is_relative_to(installed.venv), suite


def test_every_third_party_import_of_the_lab_is_a_dependency_of_the_package():
    declared = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    distributions = packages_distributions()
    local = {"simulator", "steps", "fixtures", "tests", "conftest"}
    missing = {}
    for folder in ("simulator", "steps", "fixtures"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
                for name in names:
                    top = name.split(".")[0]
                    if top in local or top in sys.stdlib_module_names:
                        continue
                    dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                    if not dists & declared:
                        missing.setdefault(top, str(path.relative_to(ROOT)))
    assert missing == {}, f"imported but not a dependency in pyproject.toml: {missing}"


def test_serve_runs_from_an_installed_copy(installed):
    describe = installed.cwd / "lab.json"
    proc = subprocess.Popen(installed.command("serve", "--entra-port", "0", "--gotomeeting-port", "0", "--users",
                                              "2", "--groups", "0", "--describe", str(describe)),
                            cwd=installed.cwd, env=installed.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not describe.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        lab = json.loads(describe.read_text())
        token = requests.post(f"{lab['entra']['authority']}/oauth2/v2.0/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": lab["entra"]["clientId"],
            "client_secret": lab["entra"]["clientSecret"], "scope": "https://graph.microsoft.com/.default"})
        assert token.status_code == 200, token.text
        templates = requests.get(f"{lab['entra']['graphUrl']}/applicationTemplates", timeout=10,
                                 headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert "GoToMeeting" in {t["displayName"] for t in templates.json()["value"]}  # data from the wheel
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_the_installed_command_and_the_help_of_every_command(installed, capsys, monkeypatch):
    done = installed.run("--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: entra-lab"), done.stdout[:300] + done.stderr
    monkeypatch.setattr(sys, "argv", ["entra-lab"])
    for command in ("serve", "conformance", "steps", "cleanup"):
        with pytest.raises(SystemExit) as ended:
            main([command, "--help"])
        assert ended.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: entra-lab {command}"), text[:200]
        assert "xample" in text, text


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


def test_own_features_run_beside_the_suite_with_a_line_per_scenario(installed, tmp_path):
    own = tmp_path / "mine"
    own.mkdir()
    (own / "lower_case.feature").write_text(OWN_FEATURE)
    reports = tmp_path / "reports"

    done = _cli(installed, "conformance", "--features", str(own), "--tags", "own-check or entra-test-connection and not "
                "rfc7644-3.12", "--dialect", "legacy", "--report-dir", str(reports))

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("PASSED  A disabled user is still found by its userName in lower case [legacy]")
               for line in lines), done.stdout
    assert any(line.startswith("PASSED  Test Connection: the probe for a random GUID") for line in lines)
    assert "Result: PASSED — 2 scenarios: 2 passed, 0 failed, 0 errors, 0 skipped" in lines
    assert f"report: {reports / 'summary.html'}" in lines
    assert [p.parent.name for p in (reports / "transcripts").rglob("*.jsonl") if "lower-case" in p.name] == \
        ["lower_case"]
    assert not any(line.strip() in (".", "..") for line in lines)  # lines, not dots


def test_an_unusable_target_ends_with_exit_code_2_and_a_stopped_report(installed, tmp_path):
    target = ScimTarget(("html_answers",))
    server = LiveServer(create_app(target), name="html-target").start()
    try:
        done = _cli(installed, "conformance", "--target-url", server.url + SCIM_PREFIX, "--token", target.token,
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


SAMPLE_TESTS = '''\
import os

import pytest


def test_b_simon_arrives_as_organizer(entra_lab, gotomeeting):
    app = entra_lab.gotomeeting_app()
    user = entra_lab.create_user("B.Simon")
    app.assign(user["id"], "Organizer")
    app.start()
    entra_lab.advance(0)
    found = gotomeeting.user("b.simon@" + entra_lab.tenant_domain)
    assert found["active"] is True and found["roles"][0]["value"] == "organizer"


def test_the_pages_speak_the_chosen_language(entra_lab):
    page = entra_lab.browser().open(entra_lab.entra_url + "/myapps")
    assert page.status == 200 and "Anmelden" in page.text, page.text


def test_every_test_starts_from_the_seeded_lab(entra_lab, graph):
    names = [u["userPrincipalName"] for u in graph.all_pages("/users")]
    assert not any(n.startswith("b.simon@") for n in names), names


@pytest.mark.entra_lab_target(os.environ["SAMPLE_SCIM_URL"], os.environ["SAMPLE_SCIM_TOKEN"])
def test_my_server_receives_what_entra_sends(entra_lab, target_app):
    user = entra_lab.create_user("B.Simon")
    target_app.assign(user["id"])
    target_app.start()
    target_app.run_cycle()
    sent = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in entra_lab.outbound()]
    assert sent == [("GET", "Users"), ("POST", "Users")]
'''
PLAIN_TEST = '''\
import sys


def test_a_run_without_the_fixtures_loads_nothing_of_the_lab():
    assert "simulator.client" not in sys.modules and "simulator.entra" not in sys.modules
'''


def test_a_project_of_its_own_uses_the_plugins_fixtures(installed, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_sample.py").write_text(SAMPLE_TESTS)
    (project / "test_plain.py").write_text(PLAIN_TEST)
    target = ScimTarget(())
    server = LiveServer(create_app(target), name="sample-target").start()
    target.seed_user("someone@contoso.example", server.url + SCIM_PREFIX)
    env = {**installed.env(), "SAMPLE_SCIM_URL": server.url + SCIM_PREFIX, "SAMPLE_SCIM_TOKEN": target.token}
    pytest_command = [str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    try:
        sample = subprocess.run([*pytest_command, "test_sample.py", "--entra-lab-language", "de"], cwd=project, env=env, capture_output=True,
                                text=True, timeout=120)
        plain = subprocess.run([*pytest_command, "test_plain.py"], cwd=project, env=env, capture_output=True,
                               text=True, timeout=60)
        markers = subprocess.run([*pytest_command, "--markers"], cwd=project, env=env, capture_output=True,
                                 text=True, timeout=60)
    finally:
        server.stop()

    assert sample.returncode == 0, sample.stdout[-3000:]
    assert "4 passed" in sample.stdout
    assert [u["userName"] for u in (json.loads(t) for t in target.dump()["Users"].values())] == \
        ["someone@contoso.example", "b.simon@contoso.example"]
    assert plain.returncode == 0, plain.stdout[-2000:]
    assert "@pytest.mark.entra_lab_target(url, token, dialect='legacy')" in markers.stdout
