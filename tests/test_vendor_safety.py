"""Vendor mode never harms a vendor's server (SPEC §6): proofs against small SCIM servers of the
project's own (``fixtures/scim_targets.py``, served from the test process on loopback ports, each with
accounts of its own), and conformance runs pointed at them as a vendor points ``make conformance`` at
staging.

The servers count every request by the resource id in its path and dump their stored resources byte for
byte, so the proofs read the truth from the server side: no PATCH, PUT or DELETE ever reached an object
the run did not create, in both dialects; a run against a correct server leaves its own objects
byte-identical; an interrupted run leaves nothing with its prefix; the cleanup command removes planted
leftovers and nothing else; a target that is unreachable, refuses the token, answers HTML, hangs or
ignores filters stops the run before its first write with one line that says what to fix.

The module runs them all once (in this process: ``Run.here``) and each test checks its own; the
interrupted run is a process of its own, to which the test sends SIGINT.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.core.server import LiveServer
from simulator.tools.target_safety import safe_start
from tests.test_conformance import Run, _clean_env

ROOT = Path(__file__).resolve().parent.parent
VENDOR_ACCOUNTS = ["someone@vendor.example", "b.simon@vendor.example"]
WRITES = ("PATCH", "PUT", "DELETE")
USER_SCENARIOS = "create_user_test or disable_user_test or delete_user_test"
#: Every kind of write Entra and the conformance client send: user create, update, disable, delete; group
#: create, member add and remove; a replayed create.
WRITING_SCENARIOS = "user_test or group_update or create_group_test or second_create"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("vendor-safety")]


@dataclass
class Server:
    """One SCIM server with accounts of its own, served from this process on a loopback port."""

    target: ScimTarget
    live: LiveServer

    @classmethod
    def start(cls, *bugs: str) -> "Server":
        target = ScimTarget(bugs)
        live = LiveServer(create_app(target), name="scim-target").start()
        for name in VENDOR_ACCOUNTS:
            target.seed_user(name, live.url + SCIM_PREFIX)
        return cls(target, live)

    @property
    def url(self) -> str:
        return self.live.url + SCIM_PREFIX

    def counts(self) -> dict:
        return self.target.counts()

    def dump(self) -> dict:
        return self.target.dump()

    def seeded_ids(self) -> list[str]:
        return [s["id"] for s in self.target.seeded]

    def writes_to(self, ids: list[str]) -> dict[str, dict]:
        by_id = self.counts()["byId"]
        return {i: {m: n for m, n in by_id.get(i, {}).items() if m in WRITES and n} for i in ids
                if any(by_id.get(i, {}).get(m) for m in WRITES)}

    def with_prefix(self, prefix: str = "cf-") -> list[str]:
        dump = self.dump()
        return [text for kind in ("Users", "Groups") for text in dump[kind].values() if prefix in text.lower()]

    def env(self, **extra: str) -> dict[str, str]:
        return {"TARGET_URL": self.url, "TARGET_TOKEN": self.target.token, "TARGET_DOMAIN": "vendor.example",
                **extra}

    def stop(self) -> None:
        self.target.stopping.set()
        self.live.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    servers: dict[str, Server]
    before: dict[str, dict]
    runs: dict[str, Run]


@pytest.fixture(scope="module")
def vendor(tmp_path_factory):
    base = tmp_path_factory.mktemp("vendor-safety")
    bugs = {"correct": (), "unfiltered": ("ignore_filters",), "unfiltered-stop": ("ignore_filters",),
            "case": ("case_sensitive_filter",), "upsert": ("create_returns_existing",),
            "refused": ("reject_token",), "html": ("html_answers",), "hang": ("hang",)}
    servers = {name: Server.start(*switches) for name, switches in bugs.items()}
    before = {name: s.dump() for name, s in servers.items()}
    runs = {
        "correct": Run.here(base / "correct", "-k", WRITING_SCENARIOS,
                            **servers["correct"].env(DIALECT="both", TARGET_RUN_ID="c0rrec")),
        "unfiltered": Run.here(base / "unfiltered", "-k", USER_SCENARIOS, **servers["unfiltered"].env(
            DIALECT="both", TARGET_ALLOW_UNFILTERED="1", TARGET_RUN_ID="unf1lt")),
        "unfiltered-stop": Run.here(base / "unfiltered-stop", **servers["unfiltered-stop"].env()),
        "case": Run.here(base / "case", "-k", "create_user_test", **servers["case"].env(DIALECT="legacy")),
        "upsert": Run.here(base / "upsert", "-k", "disable_user_test", **servers["upsert"].env(DIALECT="both")),
        "refused": Run.here(base / "refused", **servers["refused"].env()),
    }
    yield Lab(servers, before, runs)
    for server in servers.values():
        server.stop()


def _failed(run: Run) -> list[str]:
    return sorted(name for name, outcome in run.outcomes().items() if outcome == "failed")


def test_a_correct_server_passes_in_both_dialects_and_its_own_objects_stay_byte_identical(vendor):
    code, output = vendor.runs["correct"].wait()
    server = vendor.servers["correct"]

    assert code == 0, output[-3000:]
    results = vendor.runs["correct"].outcomes()
    assert len(results) >= 16 and set(results.values()) == {"passed"}
    assert sum("[legacy" in n for n in results) == sum("[aadOptscim062020" in n for n in results) == len(results) / 2
    after = server.dump()
    for user_id, text in vendor.before["correct"]["Users"].items():
        assert after["Users"][user_id] == text  # byte for byte
    assert server.writes_to(server.seeded_ids()) == {}
    assert server.with_prefix("cf-c0rrec-") == []  # the run removed everything it created
    assert server.counts()["total"].get("DELETE", 0) > 0


def test_a_server_that_ignores_filters_has_no_write_reach_its_accounts_and_each_scenario_says_why(vendor):
    code, output = vendor.runs["unfiltered"].wait()
    server = vendor.servers["unfiltered"]

    assert code == 1, output[-3000:]
    failed = _failed(vendor.runs["unfiltered"])
    assert len(failed) == 6, failed  # three user scenarios, both dialects
    assert server.writes_to(server.seeded_ids()) == {}
    assert server.dump()["Users"] == vendor.before["unfiltered"]["Users"]
    assert server.with_prefix() == []
    summary = (vendor.runs["unfiltered"].report_dir / "summary.md").read_text()
    assert "vendor safety: Entra's matching query GET /scim/v2/Users?filter=userName eq" in summary
    assert "someone@vendor.example" in summary and "Real Entra would have linked the user" in summary
    assert "disabled and deleted it" in summary and "RFC 7644 §3.4.2.2" in summary


def test_without_permission_the_safe_start_stops_a_run_against_an_unfiltered_server_before_any_write(vendor):
    code, output = vendor.runs["unfiltered-stop"].wait()
    server = vendor.servers["unfiltered-stop"]

    assert code == 2, output[-3000:]
    assert "ignores filters" in output and "TARGET_ALLOW_UNFILTERED=1" in output
    assert "someone@vendor.example" in output
    assert set(server.counts()["total"]) == {"GET"}  # reads only
    assert server.dump() == vendor.before["unfiltered-stop"]


def test_a_case_sensitive_filter_fails_its_scenarios_and_touches_nothing_it_did_not_create(vendor):
    code, output = vendor.runs["case"].wait()
    server = vendor.servers["case"]

    assert code in (0, 1), output[-3000:]
    assert server.writes_to(server.seeded_ids()) == {}
    assert server.dump()["Users"] == vendor.before["case"]["Users"]
    assert server.with_prefix() == []


def test_a_create_answered_with_another_account_gets_no_write_to_that_account(vendor):
    code, output = vendor.runs["upsert"].wait()
    server = vendor.servers["upsert"]

    assert code == 1, output[-3000:]
    assert server.writes_to(server.seeded_ids()) == {}
    assert server.counts()["byId"][server.seeded_ids()[0]]["GET"] > 0  # the guard looked, and did not write
    assert server.dump()["Users"] == vendor.before["upsert"]["Users"]
    summary = (vendor.runs["upsert"].report_dir / "summary.md").read_text()
    assert "was not sent" in summary and "was not created by this run" in summary
    disable = [line for line in summary.splitlines() if "Disable_User_Test" in line and line.startswith("| failed")]
    assert len(disable) == 2, summary[-2000:]


def test_a_target_that_refuses_the_token_ends_the_run_with_one_line_and_is_left_as_it_was(vendor):
    code, output = vendor.runs["refused"].wait()
    server = vendor.servers["refused"]

    assert code == 2, output[-3000:]
    lines = [line for line in output.splitlines() if "conformance: " in line]
    assert lines and all("refused the bearer token (HTTP 401" in line and "TARGET_TOKEN" in line
                         for line in lines), output[-2000:]  # pytest repeats its exit line
    assert "Traceback" not in output
    summary = (vendor.runs["refused"].report_dir / "summary.md").read_text()
    assert "**Result: STOPPED**" in summary
    assert "- Stopped before the first write: the target refused the bearer token" in summary
    assert server.dump() == vendor.before["refused"]
    assert set(server.counts()["total"]) == {"GET"}


@pytest.mark.parametrize(("name", "words"), [
    ("html", "text/html that is not JSON (HTTP 200"),
    ("hang", "did not answer GET"),
    ("unreachable", "cannot reach the target"),
])
def test_the_safe_start_names_what_to_fix_for_a_target_that_cannot_be_used(vendor, name, words):
    if name == "unreachable":
        url, token = f"http://127.0.0.1:{_closed_port()}/scim/v2", "t"
    else:
        url, token = vendor.servers[name].url, vendor.servers[name].target.token
    started = time.monotonic()

    found = safe_start(url, token, timeout=0.5)

    assert found.problem is not None and words in found.problem and "\n" not in found.problem, found.problem
    assert not found.unfiltered
    assert time.monotonic() - started < 5
    if name in vendor.servers:
        assert set(vendor.servers[name].counts()["total"]) <= {"GET"}
        assert vendor.servers[name].dump() == vendor.before[name]


def test_an_interrupted_run_still_removes_everything_it_created(vendor, tmp_path):
    server = vendor.servers["correct"]  # its runs and checks keep to their own run ids
    run = Run.start(tmp_path / "run", "-k", USER_SCENARIOS, **server.env(DIALECT="legacy", TARGET_RUN_ID="1ntr"))
    deadline = time.monotonic() + 60
    while not server.with_prefix("cf-1ntr-"):
        assert run.proc.poll() is None, run.wait()[1][-3000:]
        assert time.monotonic() < deadline, "the run created nothing"
        time.sleep(0.01)

    run.proc.send_signal(signal.SIGINT)
    code, output = run.wait()

    assert code == 2, output[-3000:]  # pytest's "interrupted"
    assert server.with_prefix("cf-1ntr-") == [], output[-3000:]
    assert server.writes_to(server.seeded_ids()) == {}
    assert "KeyboardInterrupt" in output or "interrupted (Ctrl-C or SIGTERM)" in output, output[-2000:]


def test_a_sigterm_ends_a_vendor_run_as_ctrl_c_does():
    """SIGTERM becomes the KeyboardInterrupt whose cleanup the SIGINT run above proves; a second
    SIGTERM during the cleanup is ignored."""
    from fixtures.target import INTERRUPTED, _terminate_as_interrupt

    config = pytest.Config.__new__(pytest.Config)
    config.stash = pytest.Stash()
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _terminate_as_interrupt(config)
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        assert config.stash[INTERRUPTED] is True
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)  # ignored: the cleanup goes on
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_the_cleanup_command_removes_a_runs_leftovers_and_nothing_else(vendor):
    server = vendor.servers["correct"]
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {server.target.token}", "Content-Type": "application/scim+json"})
    planted = []
    for name in ("cf-l3ft-001-b.simon", "cf-l3ft-002-a.lee"):
        resp = session.post(f"{server.url}/Users", json={"userName": f"{name}@vendor.example", "active": True,
                                                         "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
        assert resp.status_code == 201, resp.text
        planted.append(resp.json()["id"])
    group = session.post(f"{server.url}/Groups", json={"displayName": "cf-l3ft-002 Sales", "members": [
        {"value": planted[1]}], "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]})
    assert group.status_code == 201, group.text
    other_run = session.post(f"{server.url}/Users", json={"userName": "cf-0ther-001-x@vendor.example",
                                                          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    assert other_run.status_code == 201
    kept = {**server.dump()["Users"]}
    for user_id in planted:
        kept.pop(user_id)

    done = subprocess.run([sys.executable, "-m", "simulator", "cleanup", "--target-url", server.url,
                           "--token", server.target.token, "--run-id", "l3ft"],
                          cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"removed group cf-l3ft-002 Sales (id {group.json()['id']})"  # groups first
    assert sorted(lines[1:3]) == sorted(f"removed user {n}@vendor.example (id {i})"
                                        for n, i in zip(("cf-l3ft-001-b.simon", "cf-l3ft-002-a.lee"), planted))
    assert lines[-1] == "3 object(s) with the prefix cf-l3ft- removed"
    after = server.dump()
    assert after["Users"] == kept and after["Groups"] == {}
    assert server.writes_to(server.seeded_ids()) == {}

    again = subprocess.run([sys.executable, "-m", "simulator", "cleanup", "--target-url", server.url,
                            "--token", server.target.token, "--run-id", "NOT A RUN"],
                           cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--run-id" in again.stdout


def test_an_interruption_python_swallowed_still_stops_the_run_after_the_scenario():
    """A KeyboardInterrupt raised while a finalizer runs is swallowed by Python; the noted interruption
    stops the run once the scenario at hand (and its cleanup) is over."""
    from types import SimpleNamespace

    from fixtures.target import INTERRUPTED, pytest_runtest_protocol

    config = pytest.Config.__new__(pytest.Config)
    config.stash = pytest.Stash()
    item = SimpleNamespace(config=config, session=SimpleNamespace(shouldstop=False))
    for interrupted in (False, True):
        config.stash[INTERRUPTED] = interrupted
        wrapper = pytest_runtest_protocol(item, None)
        next(wrapper)
        with pytest.raises(StopIteration):
            wrapper.send(None)
        assert bool(item.session.shouldstop) is interrupted


def test_an_interruption_is_reported_even_from_a_traceback_entry_without_a_line_number():
    """A signal landing between two instructions can leave a traceback entry whose tb_lineno is None;
    pytest's report of the KeyboardInterrupt failed on it (exit 1 instead of 2). The report drops it."""
    from _pytest._code import ExceptionInfo

    from fixtures.target import numbered_traceback, pytest_keyboard_interrupt

    def inner():
        raise KeyboardInterrupt("SIGINT")

    try:
        inner()
    except KeyboardInterrupt as exc:
        interrupted = exc
    real = interrupted.__traceback__

    class NoLine:  # the entry a signal left: the same frame, no line number
        def __init__(self, entry):
            self.tb_frame, self.tb_lasti, self.tb_next, self.tb_lineno = entry.tb_frame, entry.tb_lasti, entry.tb_next, None

    chain = NoLine(real)
    assert numbered_traceback(chain).tb_frame is real.tb_next.tb_frame  # the unnumbered entry is gone
    assert numbered_traceback(chain).tb_next is None
    assert numbered_traceback(real).tb_lineno == real.tb_lineno and numbered_traceback(real).tb_next.tb_lineno \
        == real.tb_next.tb_lineno  # a whole traceback is kept as it is

    excinfo = ExceptionInfo.from_exception(interrupted)
    pytest_keyboard_interrupt(excinfo)  # nothing to drop: unchanged
    assert excinfo.tb is real
    assert "KeyboardInterrupt: SIGINT" in str(excinfo.getrepr())
