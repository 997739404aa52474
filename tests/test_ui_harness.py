"""The real-browser harness of the ``@ui`` scenarios (fixtures/browser.py): where the browser comes from,
the one line a run without any browser fails with (never a skip), and the step screenshots that the
summary shows next to a failure."""
from __future__ import annotations

import html
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import browser
from fixtures.browser import HOW_TO_GET_ONE, find_chromium

ROOT = Path(__file__).resolve().parent.parent
NO_ACCESS = "A user without an admin role sees Entra's no-access page"

pytestmark = pytest.mark.xdist_group("ui-harness")


def _fake_executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_chromium_comes_from_the_variable_then_the_path_headless_shell_first(monkeypatch, tmp_path):
    on_path = _fake_executable(tmp_path / "bin", "chromium")
    shell = _fake_executable(tmp_path / "bin", "chromium-headless-shell")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("CHROMIUM", "/opt/chosen/chromium")
    assert find_chromium() == "/opt/chosen/chromium"
    monkeypatch.delenv("CHROMIUM")
    assert find_chromium() == str(shell)
    shell.unlink()
    assert find_chromium() == str(on_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_chromium() is None  # then Playwright's own browser, if it is installed


def test_chromium_keeps_shared_memory_in_tmp_only_where_dev_shm_is_small(monkeypatch):
    sizes = {"total": 64 * 1024 * 1024}
    monkeypatch.setattr(browser.shutil, "disk_usage", lambda path: type("Usage", (), sizes)())
    assert "--disable-dev-shm-usage" in browser.chromium_args()  # Docker's 64 MB
    sizes["total"] = 8 * 1024 ** 3
    assert "--disable-dev-shm-usage" not in browser.chromium_args()
    monkeypatch.setattr(browser.shutil, "disk_usage", lambda path: (_ for _ in ()).throw(FileNotFoundError(path)))
    assert "--disable-dev-shm-usage" in browser.chromium_args()  # no /dev/shm at all


def _run_ui(tmp_path: Path, features: Path, env: dict) -> tuple[subprocess.CompletedProcess, Path]:
    reports = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "steps/test_portal.py", "-q", "-p", "no:cacheprovider", "-k", "noaccess",
         "-o", f"bdd_features_base_dir={features}", f"--report-dir={reports}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CHROMIUM"))}, **env})
    return done, reports


def test_without_any_browser_the_ui_scenario_fails_with_one_line_saying_how_to_get_one(tmp_path):
    done, reports = _run_ui(tmp_path, ROOT / "features", {
        "PATH": str(tmp_path / "nothing-here"), "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "no-browsers")})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout and "skipped" not in done.stdout, done.stdout
    assert HOW_TO_GET_ONE in done.stdout
    summary = (reports / "summary.md").read_text()
    assert NO_ACCESS in summary and HOW_TO_GET_ONE in summary


def test_a_failed_ui_scenario_shows_its_step_screenshots_in_the_summary(tmp_path):
    features = tmp_path / "features"
    shutil.copytree(ROOT / "features", features)
    feature = features / "portal" / "admin_center.feature"
    feature.write_text(feature.read_text().replace('Then the heading is "No access"',
                                                   'Then the heading is "Welcome aboard"'))
    done, reports = _run_ui(tmp_path, features, {"UI_TIMEOUT_MS": "1000"})  # the failing check waits 1 s, not 5
    assert done.returncode == 1 and "1 failed" in done.stdout, done.stdout + done.stderr
    page = (reports / "summary.html").read_text()
    failure = page[page.index("<section class='failure'>"):page.index("</section>")]
    assert html.escape(NO_ACCESS) in failure and "The browser, step by step" in failure
    shots = [part.split("'")[0] for part in failure.split("<img src='")[1:]]
    assert len(shots) == 2, shots  # the sign-in step, then the failed check
    assert shots[-1].startswith("screenshots/") and "failed-then-the-heading-is-welcome-aboard" in shots[-1]
    for shot in shots:
        assert (reports / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
