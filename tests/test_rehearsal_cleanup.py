"""Vendor mode's cleanup against a target that answers 429 (a rehearsal's cleanup comes right after the
load): each throttled query, GET and DELETE is waited out and sent again, with Retry-After or without it;
a target that keeps throttling stops the cleanup with one line and exit code 3, never with "nothing
found"."""
from __future__ import annotations

import time

import pytest
from flask import Response

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.__main__ import main
from simulator.core.server import LiveServer
from simulator.tools import rehearse as rehearse_module
from simulator.tools import target_safety
from simulator.tools.target_safety import THROTTLE_TRIES, cleanup

CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits the cleanup asks for; each is made, but at most 20 ms long."""
    asked: list[float] = []

    def pause(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(min(seconds, 0.02))

    monkeypatch.setattr(target_safety, "pause", pause)
    return asked


def _serve(target: ScimTarget, *, retry_after: bool = True) -> LiveServer:
    app = create_app(target)
    if not retry_after:
        @app.after_request
        def _no_retry_after(response: Response) -> Response:
            response.headers.pop("Retry-After", None)
            return response
    return LiveServer(app, threads=4, name="throttling-target").start()


def _seed(target: ScimTarget, base: str, prefix: str, users: int) -> None:
    for n in range(users):
        target.seed_user(f"{prefix}user{n}@contoso.example", base)
    target.create("Group", {"schemas": [CORE_GROUP], "displayName": f"{prefix}group"}, base)
    target.seed_user("vendor.admin@contoso.example", base)  # the vendor's own: never touched


def test_the_cleanup_waits_out_429s_without_retry_after_and_leaves_nothing_of_the_run(waits):
    target = ScimTarget(rate_limit=50, burst=2)
    server = _serve(target, retry_after=False)
    base = server.url + SCIM_PREFIX
    try:
        _seed(target, base, "cf-c1-", 12)
        result = cleanup(base, target.token, "cf-c1-")
    finally:
        server.stop()
    assert result.gave_up is None and result.failed == []
    assert len(result.removed) == 13
    left = target.dump()
    assert list(left["Groups"]) == [] and [u for u in left["Users"].values() if "cf-c1-" in u] == []
    assert len(left["Users"]) == 1
    # the target throttled the cleanup; every 429 was followed by the same request, after a doubling
    # backoff (no Retry-After) that starts again for each request
    seen = list(zip(target.timings()["method"], target.timings()["path"], target.timings()["status"]))
    throttled = [i for i, row in enumerate(seen) if row[2] == 429]
    assert throttled and len(waits) == len(throttled)
    assert all(seen[i + 1][:2] == seen[i][:2] for i in throttled)
    assert waits[0] == target_safety.BACKOFF_FIRST
    assert all(w in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0) for w in waits)
    assert result.lines()[-1] == "13 object(s) with the prefix cf-c1- removed"


def test_a_target_that_keeps_answering_429_stops_the_cleanup_with_one_line_and_exit_code_3(waits, capsys):
    # two requests are accepted (the safe start's two queries), then every one is throttled
    target = ScimTarget(rate_limit=0.001, burst=2)
    server = _serve(target)
    base = server.url + SCIM_PREFIX
    try:
        _seed(target, base, "cf-c2-", 2)
        code = main(["cleanup", "--target-url", base, "--token", target.token, "--run-id", "c2"])
    finally:
        server.stop()
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 3
    assert out == [f"cleanup stopped: the target answered 429 Too Many Requests to GET {base}/Groups "
                   f"{THROTTLE_TRIES} times in a row (waiting {THROTTLE_TRIES - 1:g} s in all); 0 object(s) with "
                   "the prefix cf-c2- removed so far: run the cleanup again later (--run-id c2)"]
    assert waits == [1.0] * (THROTTLE_TRIES - 1)  # Retry-After: 1, honoured
    assert target.timings()["status"] == [200, 200] + [429] * THROTTLE_TRIES
    assert len(target.dump()["Users"]) == 3  # nothing was deleted blind

    # throttled from the first request: the safe start says so, and nothing else is sent
    target = ScimTarget(rate_limit=0.001, burst=0)
    server = _serve(target)
    try:
        code = main(["cleanup", "--target-url", server.url + SCIM_PREFIX, "--token", target.token, "--run-id", "c2"])
    finally:
        server.stop()
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 3 and len(out) == 1
    assert out[0].startswith("cleanup: the target answered 429 Too Many Requests to GET ")
    assert out[0].endswith("try again when the server accepts requests")
    assert len(target.timings()["t"]) == THROTTLE_TRIES


def test_an_interrupted_rehearsal_against_a_throttling_target_leaves_nothing_behind(waits, monkeypatch):
    """The rehearsal stops after its initial cycle (as on Ctrl-C): its cleanup finds every user and group
    the run created on a target that throttles it, and removes them all."""
    def interrupted(*_args, **_kwargs):
        raise RuntimeError("stopped after the initial cycle")

    monkeypatch.setattr(rehearse_module, "day_plan", interrupted)
    # a bucket that lets the initial cycle through whole, and then throttles the cleanup
    target = ScimTarget(rate_limit=30, burst=40)
    server = _serve(target)
    try:
        with pytest.raises(RuntimeError, match="stopped after the initial cycle"):
            rehearse_module.rehearse(rehearse_module.Options(
                users=12, groups=2, cycles=1, target_url=server.url + SCIM_PREFIX, token=target.token,
                run_id="c3", seed=6, progress=False))
    finally:
        server.stop()
    seen = list(zip(target.timings()["method"], target.timings()["path"], target.timings()["status"]))
    created = sum(1 for method, _, status in seen if method == "POST" and status == 201)
    deleted = [i for i, row in enumerate(seen) if row[0] == "DELETE" and row[2] == 204]
    assert created == 12 + 2 and len(deleted) == created
    assert target.dump() == {"Users": {}, "Groups": {}}
    # the cleanup (from its first query on) was throttled, and sent each throttled request again
    cleanup_began = next(i for i, row in enumerate(seen) if "+sw+" in row[1])  # its first query
    assert all(row[0] in ("GET", "DELETE") for row in seen[cleanup_began:])
    throttled = [i for i in range(cleanup_began, len(seen)) if seen[i][2] == 429]
    assert throttled and all(seen[i + 1][:2] == seen[i][:2] for i in throttled)
    assert {seen[i][0] for i in throttled} >= {"DELETE"}
    assert 1.0 in waits  # Retry-After: 1
