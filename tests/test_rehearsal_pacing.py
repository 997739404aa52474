"""Entra's pacing as lab settings: export concurrency keeps each object's requests in order and gives the
logs and the final state of a run one object after another; the request-rate cap holds on the wire;
bad pacing settings are refused in /_admin's envelope."""
from __future__ import annotations

import gc
import json
import re
from urllib.parse import parse_qs, unquote

import pytest

from fixtures.scim_targets import SCIM_PREFIX, ScimTarget, create_app
from simulator.client import Lab, LabError
from simulator.core.server import LiveServer
from simulator.tools.rehearse import Tenant, apply_changes, build_tenant, day_plan, prefixed_schema

PREFIX = "cf-pace-"
#: One lab for the module, reset to each test's seed (a start costs far more than a reset).
pytestmark = pytest.mark.xdist_group("rehearsal-pacing")


@pytest.fixture(scope="module")
def shared_lab():
    lab = Lab.start(seed=11)
    yield lab
    lab.stop()


def _target(**load) -> tuple[ScimTarget, LiveServer]:
    target = ScimTarget(**load)
    return target, LiveServer(create_app(target), threads=16, name="paced-target").start()


def _story(lab: Lab, concurrency: int, *, users: int = 24, latency: float = 0.002) -> dict:
    """A tenant with managers in three assigned groups: the initial cycle, then changes (attributes, a
    soft delete, a joiner, a group move) and an incremental cycle; what the lab and the target hold after."""
    target, server = _target(latency=latency)
    lab.reset(seed=11)
    try:
        lab.settings(exportConcurrency=concurrency, ownershipGuard={"prefix": PREFIX})
        tenant = build_tenant(lab, users, 3, PREFIX)
        app = lab.scim_app(server.url + SCIM_PREFIX, target.token)
        app.put_schema(prefixed_schema(app.schema(), PREFIX))
        for group_id in tenant.groups:
            app.assign(group_id, "User")
        app.start()
        lab.advance(0)
        plan = day_plan(tenant, 1, seed=3)[0]
        plan["changed"], plan["leavers"], plan["joiners"], plan["moves"] = (
            tenant.users[:4], tenant.users[4:5], [0], tenant.users[5:7])
        apply_changes(lab, tenant, plan, seed=3)
        lab.advance(40)
        return {"logs": app.logs(), "outbound": lab.outbound(), "dump": target.dump(), "status": app.status(),
                "timings": target.timings()}
    finally:
        server.stop()


def _names(dump: dict) -> dict[str, str]:
    """Target id -> the resource's userName or displayName (the target numbers ids in arrival order)."""
    names = {}
    for kind in ("Users", "Groups"):
        for rid, text in dump[kind].items():
            resource = json.loads(text)
            names[rid] = resource.get("userName") or resource["displayName"]
    return names


def _without_ids(value, names: dict[str, str]):
    text = json.dumps(value, sort_keys=True)
    return json.loads(re.sub("|".join(map(re.escape, sorted(names, key=len, reverse=True))),
                             lambda m: f"<{names[m.group(0)]}>", text))


def _state(dump: dict, names: dict[str, str]) -> dict:
    out = {}
    for kind in ("Users", "Groups"):
        for text in dump[kind].values():
            resource = json.loads(text)
            resource.pop("meta", None)
            resource.pop("id", None)
            out[resource.get("userName") or resource["displayName"]] = _without_ids(resource, names)
    return out


def _per_object(outbound: list[dict], dump: dict, names: dict[str, str]) -> dict[str, list[str]]:
    """Each object's requests, in the order they went out, keyed by its userName/displayName."""
    sequences: dict[str, list[str]] = {}
    for entry in outbound:
        path, query, body = entry["path"], entry.get("query") or "", entry.get("body")
        tail = path.split(SCIM_PREFIX, 1)[1]
        if entry["method"] == "GET" and query:
            key = re.search(r'eq "([^"]+)"', unquote(parse_qs(query)["filter"][0]))[1]
        elif entry["method"] == "POST":
            key = body.get("userName") or body["displayName"]
        else:
            key = names[tail.split("/")[2]]
        sequences.setdefault(key.lower(), []).append(f"{entry['method']} {tail.split('/')[1].split('?')[0]} "
                                                     f"{json.dumps(_without_ids(body, names), sort_keys=True)}")
    return sequences


def _max_in_flight(timings: dict) -> int:
    edges = sorted([(t, 1) for t in timings["t"]] + [(t + d, -1) for t, d in zip(timings["t"], timings["duration"])])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def test_concurrent_export_equals_serial_in_logs_state_and_each_objects_order(shared_lab):
    serial, parallel = _story(shared_lab, 1), _story(shared_lab, 4)
    serial_names, parallel_names = _names(serial["dump"]), _names(parallel["dump"])
    # the requests really overlapped at the target with four workers, and never with one
    assert _max_in_flight(serial["timings"]) == 1
    assert _max_in_flight(parallel["timings"]) > 1
    # the same objects in the same final state on the target
    assert _state(parallel["dump"], parallel_names) == _state(serial["dump"], serial_names)
    assert len(serial["dump"]["Users"]) == 25 and len(serial["dump"]["Groups"]) == 3
    # the same provisioning logs, entry by entry and in the same order (ids come from the seed)
    assert _without_ids(parallel["logs"], parallel_names) == _without_ids(serial["logs"], serial_names)
    assert [e["provisioningAction"] for e in serial["logs"]].count("create") == 24 + 3 + 1
    # each object's requests in the same order, with the same bodies
    assert _per_object(parallel["outbound"], parallel["dump"], parallel_names) == \
        _per_object(serial["outbound"], serial["dump"], serial_names)
    # groups go out after every user of their cycle
    for run in (serial, parallel):
        kinds = ["Groups" if "/Groups" in e["path"] else "Users" for e in run["outbound"]]
        first_cycle = kinds[:kinds.index("Groups") + 3 + 3]
        assert "Users" not in first_cycle[first_cycle.index("Groups"):]
    assert parallel["status"]["lastExecution"]["countExported"] == serial["status"]["lastExecution"]["countExported"]


def test_rate_cap_spaces_the_engines_requests_on_the_wire(shared_lab):
    rate = 200.0
    target, server = _target()
    lab = shared_lab
    lab.reset(seed=12)
    try:
        lab.settings(exportConcurrency=4, requestRateLimit=rate, ownershipGuard={"prefix": PREFIX})
        tenant: Tenant = build_tenant(lab, 80, 1, PREFIX)
        app = lab.scim_app(server.url + SCIM_PREFIX, target.token)
        app.put_schema(prefixed_schema(app.schema(), PREFIX))
        app.assign(tenant.groups[0], "User")
        app.start()
        # The lab, the target and this test share one process: a full collection of the objects earlier
        # tests left would stall the target's threads for milliseconds and bunch the arrivals it times.
        gc.collect()
        gc.freeze()
        try:
            lab.advance(0)
        finally:
            gc.unfreeze()
    finally:
        server.stop()
    arrivals = sorted(target.timings()["t"])
    assert len(arrivals) == 80 * 2 + 3  # a filter and a POST per user; the group's filter, POST, members PATCH
    # Any window of w seconds holds at most rate*w + 1 requests the lab sent; the target sees them
    # after the loopback, so each end of a window may slip by up to 5 ms (a scheduling quantum or two).
    slip = 0.005
    for i, start in enumerate(arrivals):
        for j in range(i + 1, len(arrivals)):
            window = arrivals[j] - start
            assert j - i + 1 <= rate * (window + 2 * slip) + 1, (i, j, window)
    span = arrivals[-1] - arrivals[0]
    assert span >= (len(arrivals) - 1) / rate - slip


def test_overlapped_export_honours_retry_after_in_real_time_while_the_other_objects_go_on(shared_lab):
    target, server = _target(rate_limit=4, burst=4)  # 429 with Retry-After: 1 above four requests a second
    lab = shared_lab
    lab.reset(seed=14)
    try:
        lab.settings(exportConcurrency=4, tooManyRequestsMode="honorRetryAfter", ownershipGuard={"prefix": PREFIX})
        tenant: Tenant = build_tenant(lab, 4, 1, PREFIX)
        app = lab.scim_app(server.url + SCIM_PREFIX, target.token)
        app.put_schema(prefixed_schema(app.schema(), PREFIX))
        app.assign(tenant.groups[0], "User")
        app.start()
        lab.advance(0)
    finally:
        server.stop()
    seen = target.timings()
    throttled = [t for t, status in zip(seen["t"], seen["status"]) if status == 429]
    assert throttled, "the target never throttled: nothing was retried"
    retries = [step for entry in app.logs() for step in entry["provisioningSteps"]
               if step["name"] == "EntryExportRetry"]
    # every 429 was retried within the cycle after the second Retry-After asked, and everything got through
    assert len(retries) == len(throttled)
    assert all(step["details"]["RetryAfter"] == "1" for step in retries)
    status = app.status()["lastExecution"]
    assert status["state"] == "Succeeded" and status["countEscrowed"] == 0
    assert len(target.dump()["Users"]) == 4 and len(target.dump()["Groups"]) == 1
    # the objects' waits overlapped: several objects were throttled at once, and yet the cycle took less
    # than the one second per 429 that waits one after another would have added up to
    assert any(later - earlier < 0.5 for earlier, later in zip(throttled, throttled[1:]))
    assert seen["t"][-1] - seen["t"][0] < len(throttled) - 0.5


BAD_SETTINGS = [
    ({"exportConcurrency": 0}, "exportConcurrency must be an integer from 1 to 16"),
    ({"exportConcurrency": 17}, "exportConcurrency must be an integer from 1 to 16"),
    ({"exportConcurrency": 2.5}, "exportConcurrency must be an integer from 1 to 16"),
    ({"requestRateLimit": 0}, "requestRateLimit must be null"),
    ({"requestRateLimit": "25"}, "requestRateLimit must be null"),
    ({"retryAfterWait": "soon"}, "retryAfterWait must be 'virtual' or 'real'"),
    ({"requestMetrics": "yes"}, "requestMetrics must be a boolean"),
]


def test_bad_pacing_settings_are_refused_and_change_nothing(shared_lab):
    lab = shared_lab
    lab.reset(seed=13)
    before = lab.settings()
    assert before["exportConcurrency"] == 1 and before["requestRateLimit"] is None
    for body, message in BAD_SETTINGS:
        with pytest.raises(LabError) as refused:
            lab.settings(**body)
        assert "-> 400" in str(refused.value) and message in str(refused.value), body
        assert lab.settings() == before
    with pytest.raises(LabError, match="-> 400.*since must be a non-negative integer"):
        lab.admin("GET", "/metrics", params={"since": "-1"})
