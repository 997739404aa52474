"""Load rehearsal (SPEC §10): how hard will Entra's provisioning hit a SCIM server, and does it keep up?

A rehearsal drives the lab through its client (``simulator/client.py``) as an admin would: a tenant of N
users in M groups, the groups assigned to the non-gallery app pointed at the target, the initial cycle,
a day of incremental cycles (a few percent of the users changed, some leave, some join, some move to
another group), then a mass unassignment: the accidental-deletion threshold stages the disables and
quarantines the job, and a restart with ``ForceDeletes`` lets them through. Entra's pacing comes from
the lab settings (``exportConcurrency``, ``requestRateLimit``, ``tooManyRequestsMode``); the lab samples
every request it sends (``requestMetrics``), and the rehearsal reads the samples while each cycle runs
(the progress line) and after it (the report, rehearsal_report.py).

Against a vendor's server (``target_url``) the rehearsal is in vendor mode: the safe start first, the
ownership guard on for the run prefix ``cf-<run>-`` (every user's ``userName`` and ``externalId`` and
every group's ``displayName`` carry it, through the job's attribute mappings), and the cleanup of the
prefix at the end, also after an interruption. Without ``target_url`` the target is the lab's GoToMeeting.

Simulator choices: the day's churn (3 % of users changed, 0.5 % leave, 0.5 % join, 1 % change groups,
spread evenly over the day's cycles) and one group per 500 users by default; every user is a direct
member of exactly one group. The projection applies real Entra's published pace (0.01 to 0.08 minutes
per object, published for the initial cycle) to the objects each cycle processed, and compares
incremental cycles with the 40-minute interval.
"""
from __future__ import annotations

import argparse
import math
import random
import re
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..client import Lab, LabError
from .target_safety import cleanup, run_prefix, safe_start

#: Real Entra's published pace of an initial cycle, minutes per object [doc: "How long will it take to
#: provision users"], and the incremental interval (PT40M).
PACE_MINUTES = (0.01, 0.08)
INTERVAL_MINUTES = 40
#: Simulator choices: the day's churn, as shares of the tenant's users over the whole day.
CHURN = {"changed": 0.03, "leavers": 0.005, "joiners": 0.005, "moves": 0.01}
USERS_PER_GROUP = 500
DAY_CYCLES = 24 * 60 // INTERVAL_MINUTES  # 36
OPERATION_ORDER = ("filter", "POST", "PATCH", "DELETE", "group POST", "group PATCH", "group DELETE", "GET")


@dataclass
class Options:
    users: int = 10_000
    groups: int | None = None  # None: one per USERS_PER_GROUP users
    cycles: int = DAY_CYCLES  # incremental cycles of the day
    concurrency: int = 1
    rate: float | None = None
    too_many_requests: str = "escrow"  # escrow | honorRetryAfter
    target_url: str | None = None
    token: str | None = None
    ca: str | None = None
    dialect: str = "legacy"
    run_id: str | None = None
    seed: int = 1234
    report_dir: Path = Path("reports/rehearsal")
    progress: bool = True
    deletion_threshold: int | None = None  # None: the job's default (QuarantineTooManyDeletesThreshold)
    lab: Lab | None = None  # a running lab to use (default: one started in this process)

    @property
    def group_count(self) -> int:
        return self.groups if self.groups is not None else max(1, -(-self.users // USERS_PER_GROUP))


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------
def percentile(values, p: float) -> float | None:
    """The nearest-rank ``p``-th percentile of ``values`` (None for none)."""
    if not len(values):
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered) / 100 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class CycleStats:
    """One cycle's samples, aggregated as they arrive."""

    name: str
    kind: str  # initial | incremental | unassignment | forced
    began: float  # seconds since the rehearsal began
    latencies: dict[str, array] = field(default_factory=dict)  # seconds, per operation, in sending order
    statuses_by_op: dict[str, array] = field(default_factory=dict)  # their answers' codes (-1: no answer)
    statuses: dict[str, int] = field(default_factory=dict)
    first_sent: float = math.inf  # seconds since the cycle began
    last_answered: float = 0.0
    per_second: dict[int, list] = field(default_factory=dict)  # second -> [requests, errors, 429s, latencies]
    requests: int = 0
    retries: int = 0
    wall: float = 0.0
    objects: int = 0
    planned: int = 0
    exported: int = 0
    summary: dict = field(default_factory=dict)

    def add(self, offset: float, samples: dict) -> None:
        for t, latency, op, status, attempt in zip(samples["t"], samples["latency"], samples["op"],
                                                   samples["status"], samples["attempt"]):
            self.requests += 1
            self.latencies.setdefault(op, array("d")).append(latency)
            self.statuses_by_op.setdefault(op, array("h")).append(status if isinstance(status, int) else -1)
            self.first_sent = min(self.first_sent, t - offset)
            self.last_answered = max(self.last_answered, t - offset + latency)
            key = str(status)
            self.statuses[key] = self.statuses.get(key, 0) + 1
            if attempt:
                self.retries += 1
            second = int(t - offset)
            row = self.per_second.setdefault(second, [0, 0, 0, array("d")])
            row[0] += 1
            if status == 429:
                row[2] += 1
            elif not isinstance(status, int) or status >= 400:
                row[1] += 1
            row[3].append(latency)

    @property
    def throttled(self) -> int:
        return self.statuses.get("429", 0)

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in self.statuses.items() if not k.isdigit() or int(k) >= 400}

    def to_json(self) -> dict:
        lo, hi = (self.objects * p for p in PACE_MINUTES)
        fits = None
        if self.kind != "initial":
            fits = "yes" if hi <= INTERVAL_MINUTES else "no" if lo > INTERVAL_MINUTES else "depends"
        ops = {}
        for op in sorted(self.latencies, key=lambda o: OPERATION_ORDER.index(o) if o in OPERATION_ORDER else 99):
            values = self.latencies[op]
            ops[op] = {"count": len(values), **{f"p{p}": _ms(percentile(values, p)) for p in (50, 95, 99)},
                       "maxMs": _ms(max(values))}
        return {
            "name": self.name, "kind": self.kind, "objects": self.objects, "exportedObjects": self.exported,
            "requests": self.requests, "wallSeconds": round(self.wall, 3),
            "requestsPerSecond": round(self.requests / self.wall, 2) if self.wall > 0 else None,
            "latencyMs": ops, "statuses": dict(sorted(self.statuses.items())), "errors": self.errors,
            "throttled": self.throttled, "retries": self.retries,
            "escrows": self.summary.get("escrows"), "state": self.summary.get("state"),
            "quarantine": self.summary.get("quarantine"), "staged": self.summary.get("staged", 0),
            "counts": self.summary.get("counts", {}),
            "projection": {"minMinutes": round(lo, 2), "maxMinutes": round(hi, 2),
                           "intervalMinutes": INTERVAL_MINUTES if self.kind != "initial" else None,
                           "fitsInterval": fits, "measuredMinutes": round(self.wall / 60, 3)},
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


class Progress:
    """The progress line on stderr: objects exported of those planned, request rate, ETA."""

    def __init__(self, enabled: bool, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = enabled and getattr(stream, "isatty", lambda: False)()
        self._last_line = 0.0

    def show(self, name: str, done: int, planned: int, requests: int, elapsed: float, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and not self.tty and now - self._last_line < 5:
            return
        self._last_line = now
        rate = requests / elapsed if elapsed > 0 else 0.0
        per_object = elapsed / done if done else None
        eta = "" if per_object is None or done >= planned else f"  ETA {_duration((planned - done) * per_object)}"
        width = 24
        filled = int(width * done / planned) if planned else width
        bar = "#" * filled + "." * (width - filled)
        line = (f"{name:<14} [{bar}] {done:,}/{planned:,} objects  {rate:,.0f} req/s  "
                f"{_duration(elapsed)}{eta}")
        if self.tty:
            self.stream.write("\r" + line.ljust(100) + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


# --------------------------------------------------------------------------------------------------
# The tenant, the app, the day
# --------------------------------------------------------------------------------------------------
def prefixed_schema(schema: dict, prefix: str) -> dict:
    """The job's schema with the run prefix in every user's ``userName`` and ``externalId``."""
    wanted = {"userName": "userPrincipalName", "externalId": "mailNickname"}
    for rule in schema.get("synchronizationRules", []):
        for mapping in rule.get("objectMappings", []):
            if mapping.get("sourceObjectName") != "User":
                continue
            for attribute in mapping.get("attributeMappings", []):
                source = wanted.get(attribute.get("targetAttributeName"))
                if source is not None:
                    attribute["source"] = {"expression": f'Join("", "{prefix}", [{source}])', "name": "Join",
                                           "type": "Function", "parameters": []}
    return schema


@dataclass
class Tenant:
    users: list[str]
    groups: list[str]
    membership: dict[str, int]  # user id -> group index
    assignments: list[str] = field(default_factory=list)
    domain: str = ""


def _long_admin(lab: Lab, path: str, body: dict) -> dict:
    """``POST /_admin{path}`` on Entra, waited for however long it takes: a cycle of 100,000 users (or
    seeding them) runs for minutes, longer than the client's usual timeout."""
    import requests

    resp = requests.post(f"{lab.entra_url}/_admin{path}", json=body, timeout=None, verify=lab.verify)
    if resp.status_code >= 400:
        raise LabError(f"POST /_admin{path} -> {resp.status_code} {resp.text}")
    return resp.json() if resp.content else {}


def _advance(lab: Lab, minutes: float) -> dict:
    """Move the lab's clock: the cycles that fall due run before it answers."""
    return _long_admin(lab, "/clock/advance", {"minutes": minutes})


def build_tenant(lab: Lab, users: int, groups: int, prefix: str, progress: Progress | None = None) -> Tenant:
    """``users`` seeded users, every one a direct member of one of ``groups`` groups named with the prefix."""
    before = {u["id"] for u in lab.graph.all_pages("/users", params={"$select": "id", "$top": 999})}
    _long_admin(lab, "/seed", {"users": users})
    ids = [u["id"] for u in lab.graph.all_pages("/users", params={"$select": "id", "$top": 999})
           if u["id"] not in before]
    group_ids = [lab.create_group(f"{prefix}group-{i + 1:03d}")["id"] for i in range(groups)]
    membership = {}
    per_group: list[list[str]] = [[] for _ in group_ids]
    for index, user_id in enumerate(ids):
        membership[user_id] = index % len(group_ids)
        per_group[index % len(group_ids)].append(user_id)
    for group_id, members in zip(group_ids, per_group):
        lab.add_members(group_id, members)
    if progress is not None:
        progress.note(f"tenant: {len(ids):,} users in {len(group_ids)} groups")
    return Tenant(ids, group_ids, membership, domain=lab.tenant_domain)


def day_plan(tenant: Tenant, cycles: int, seed: int) -> list[dict[str, list]]:
    """For each incremental cycle: the users changed, leaving, joining (numbers) and moving groups."""
    rng = random.Random(f"rehearsal-day-{seed}")
    n = len(tenant.users)
    totals = {name: round(n * share) for name, share in CHURN.items()}
    pool = list(tenant.users)
    rng.shuffle(pool)
    leavers = pool[:totals["leavers"]]
    rest = pool[totals["leavers"]:]
    changed = rest[:totals["changed"]]
    moves = rest[totals["changed"]:totals["changed"] + totals["moves"]]

    def share(items: list, c: int) -> list:
        return items[len(items) * c // cycles:len(items) * (c + 1) // cycles]
    joiners = list(range(totals["joiners"]))
    return [{"changed": share(changed, c), "leavers": share(leavers, c), "joiners": share(joiners, c),
             "moves": share(moves, c)} for c in range(cycles)]


def apply_changes(lab: Lab, tenant: Tenant, plan: dict[str, list], seed: int) -> int:
    """One cycle's share of the day's changes, through Graph; the number of changes."""
    graph = lab.graph
    for user_id in plan["changed"]:
        graph.patch(f"/users/{user_id}", {"jobTitle": f"Senior {user_id[:4]} Specialist",
                                          "department": "Operations"})
    for user_id in plan["leavers"]:
        graph.delete(f"/users/{user_id}")
    for number in plan["joiners"]:
        local = f"joiner{number + 1}.r{seed}"
        user = graph.post("/users", {
            "accountEnabled": True, "displayName": f"Joiner {number + 1}", "givenName": "Joiner",
            "surname": str(number + 1), "mailNickname": local.replace(".", ""),
            "userPrincipalName": f"{local}@{tenant.domain}", "mail": f"{local}@{tenant.domain}",
            "passwordProfile": {"password": "Lab-Passw0rd!2026"}})
        group = number % len(tenant.groups)
        lab.add_members(tenant.groups[group], [user["id"]])
        tenant.membership[user["id"]] = group
    for user_id in plan["moves"]:
        old = tenant.membership[user_id]
        new = (old + 1) % len(tenant.groups)
        if new == old:
            continue
        lab.remove_member(tenant.groups[old], user_id)
        lab.add_members(tenant.groups[new], [user_id])
        tenant.membership[user_id] = new
    return sum(len(v) for v in plan.values())


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------
class RehearsalError(Exception):
    """The rehearsal cannot be made (a bad option, an unusable target): one line that says what to fix."""


@dataclass
class Result:
    options: dict
    cycles: list[CycleStats]
    started: float
    wall: float
    cleanup: dict | None = None
    stopped: str | None = None

    def to_json(self) -> dict:
        cycles = [c.to_json() for c in self.cycles]
        series = []
        for c in self.cycles:
            for second in sorted(c.per_second):
                requests, errors, throttled, latencies = c.per_second[second]
                series.append({"t": round(c.began + second, 3), "cycle": c.name, "requests": requests,
                               "errors": errors, "throttled": throttled,
                               "p50Ms": _ms(percentile(latencies, 50)), "p95Ms": _ms(percentile(latencies, 95))})
        incremental = [c for c in cycles if c["kind"] == "incremental"]
        return {
            "rehearsal": self.options,
            "summary": {
                "wallSeconds": round(self.wall, 3), "requests": sum(c["requests"] for c in cycles),
                "throttled": sum(c["throttled"] for c in cycles), "retries": sum(c["retries"] for c in cycles),
                "errors": sum(sum(c["errors"].values()) for c in cycles),
                "incrementalCycles": len(incremental),
                "incrementalFit": _fit_summary(incremental), "stopped": self.stopped,
            },
            "cycles": cycles, "series": series, "cleanup": self.cleanup,
        }


def _fit_summary(incremental: list[dict]) -> dict:
    fits = [c["projection"]["fitsInterval"] for c in incremental]
    return {k: fits.count(k) for k in ("yes", "depends", "no")}


def rehearse(options: Options) -> Result:
    """Run the rehearsal; the report is written by ``rehearsal_report.write_report``."""
    if options.users < 1 or options.group_count < 1 or options.cycles < 0:
        raise RehearsalError("--users and --groups must be at least 1 and --cycles at least 0")
    if options.group_count > options.users:
        raise RehearsalError("--groups must not exceed --users")
    progress = Progress(options.progress)
    run_id = (options.run_id or f"{random.Random(f'rehearsal-{options.seed}-{time.time_ns()}').getrandbits(24):06x}")
    try:
        prefix = run_prefix(run_id.lower())
    except ValueError as exc:
        raise RehearsalError(f"--run-id: {exc}") from None
    vendor = options.target_url is not None
    if vendor:
        if not re.match(r"^https?://", options.target_url):
            raise RehearsalError(f"--target-url must be an http(s) URL, not {options.target_url!r}")
        if not options.token:
            raise RehearsalError("--token is required with --target-url")
        start = safe_start(options.target_url, options.token, ca=options.ca)
        if start.problem:
            raise RehearsalError(start.problem)
    own_lab = options.lab is None
    lab = Lab.start(seed=options.seed) if own_lab else options.lab
    began = time.perf_counter()
    cycles: list[CycleStats] = []
    result = Result(_describe(options, prefix, vendor), cycles, began, 0.0)
    try:
        settings = {"exportConcurrency": options.concurrency, "requestRateLimit": options.rate,
                    "tooManyRequestsMode": options.too_many_requests, "retryAfterWait": "real",
                    "requestMetrics": True}
        if vendor:
            settings["ownershipGuard"] = {"prefix": prefix}
            if options.ca:
                settings["targetCaBundle"] = options.ca
        try:
            lab.settings(**settings)
        except LabError as exc:
            raise RehearsalError(str(exc).split(" -> ", 1)[-1]) from None
        lab.clear_metrics()
        origin = time.perf_counter() - began  # the lab's samples count from here
        if not vendor:
            lab.seats(options.users + options.users // 50 + 10)
        tenant = build_tenant(lab, options.users, options.group_count, prefix, progress)
        if vendor:  # the non-gallery app, as a vendor's customers add it
            app, role = lab.scim_app(options.target_url, options.token, dialect=options.dialect), "User"
        else:  # GoToMeeting from the gallery: GoTo's users need a role
            app, role = lab.gotomeeting_app(), "Organizer"
        app.put_schema(prefixed_schema(app.schema(), prefix))
        if options.deletion_threshold is not None:
            app.job_settings(QuarantineTooManyDeletesThreshold=str(options.deletion_threshold))
        for group_id in tenant.groups:
            tenant.assignments.append(app.assign(group_id, role)["id"])
        app.start()
        run = _CycleRunner(lab, app, progress, began, origin)
        cycles.append(run("initial", "initial", lambda: _advance(lab, 0)))
        for number, plan in enumerate(day_plan(tenant, options.cycles, options.seed), 1):
            apply_changes(lab, tenant, plan, options.seed)
            cycles.append(run(f"incremental {number}", "incremental", lambda: _advance(lab, INTERVAL_MINUTES)))
        for assignment in tenant.assignments:
            app.unassign(assignment)
        cycles.append(run("unassignment", "unassignment", lambda: _advance(lab, INTERVAL_MINUTES)))
        if cycles[-1].summary.get("staged"):
            app.restart("ForceDeletes")
            cycles.append(run("forced deletes", "forced", lambda: _advance(lab, 0)))
    except KeyboardInterrupt:
        result.stopped = "interrupted"
        raise
    finally:
        result.wall = time.perf_counter() - began
        if vendor:
            try:  # nothing new may reach the target while it is cleaned up
                lab.settings(ownershipGuard={"prefix": prefix, "halted": True})
            except Exception:  # noqa: BLE001 - the cleanup below reads the target itself
                pass
            swept = cleanup(options.target_url, options.token, prefix, ca=options.ca)
            result.cleanup = {"prefix": prefix, "removed": len(swept.removed), "failed": len(swept.failed),
                              "gaveUp": swept.gave_up}
            progress.note(swept.lines()[-1] if swept.gave_up else
                          f"cleanup: {len(swept.removed):,} objects with the prefix {prefix} removed"
                          + (f", {len(swept.failed)} could not be removed" if swept.failed else ""))
        if own_lab:
            lab.stop()
    return result


def _describe(options: Options, prefix: str, vendor: bool) -> dict:
    return {"users": options.users, "groups": options.group_count, "incrementalCycles": options.cycles,
            "exportConcurrency": options.concurrency, "requestRateLimit": options.rate,
            "tooManyRequestsMode": options.too_many_requests, "dialect": options.dialect,
            "target": options.target_url or "the lab's GoToMeeting", "vendorMode": vendor, "prefix": prefix,
            "seed": options.seed, "deletionThreshold": options.deletion_threshold or 500, "paceMinutesPerObject": list(PACE_MINUTES), "intervalMinutes": INTERVAL_MINUTES,
            "churn": CHURN}


class _CycleRunner:
    """Runs one cycle (a clock advance), following its samples while it runs."""

    POLL = 0.25

    def __init__(self, lab: Lab, app, progress: Progress, began: float, origin: float):
        """``began``: when the rehearsal began (perf_counter); ``origin``: seconds after it that the lab's
        sample times count from (its metrics were cleared then)."""
        self.lab, self.app, self.progress, self.began, self.origin = lab, app, progress, began, origin
        self.cursor = lab.metrics(limit=0)["next"]

    def __call__(self, name: str, kind: str, advance: Callable[[], object]) -> CycleStats:
        started = time.perf_counter()
        stats = CycleStats(name, kind, started - self.began)
        offset = stats.began - self.origin  # a sample's t minus this: seconds since the cycle began
        done = threading.Event()
        poller = threading.Thread(target=self._follow, args=(stats, started, offset, done), daemon=True)
        poller.start()
        try:
            advance()
        finally:
            stats.wall = time.perf_counter() - started
            done.set()
            poller.join()
        self._drain(stats, offset)
        status = self.app.status()
        last = status.get("lastExecution") or {}
        progress = self.lab.metrics(limit=0)["progress"]
        stats.objects, stats.planned, stats.exported = progress["done"], progress["planned"], progress["exported"]
        quarantine = status.get("quarantine")
        stats.summary = {
            "state": last.get("state"), "escrows": last.get("countEscrowed"),
            "quarantine": quarantine.get("reason") if quarantine else None,
            "staged": self._staged() if quarantine and quarantine.get("reason") == "TooManyDeletes" else 0,
            "counts": {k: last.get(k) for k in ("countImported", "countEntitled", "countExports", "countExported",
                                                "countEscrowed")},
        }
        self.progress.show(name, stats.objects, max(stats.planned, stats.objects), stats.requests, stats.wall,
                           final=True)
        return stats

    def _follow(self, stats: CycleStats, started: float, offset: float, done: threading.Event) -> None:
        while not done.wait(self.POLL):
            progress = self._drain(stats, offset)
            if progress is not None:
                self.progress.show(stats.name, progress["done"], progress["planned"], stats.requests,
                                   time.perf_counter() - started)

    def _drain(self, stats: CycleStats, offset: float) -> dict | None:
        while True:
            samples = self.lab.metrics(self.cursor, limit=20_000)
            progress = samples["progress"]
            if not samples["t"]:
                return progress
            stats.add(offset, samples)
            self.cursor = samples["next"]
            if samples["next"] - samples["since"] < 20_000:
                return progress

    def _staged(self) -> int:
        """The job's staged deletions, counted by Graph (``$count``): listing 100,000 entries would hold
        them all in this process at once."""
        page = self.lab.graph.get("/auditLogs/provisioning", params={
            "$filter": f"jobId eq '{self.app.job_id}' and provisioningAction eq 'stagedDelete'", "$top": 1,
            "$count": "true"})
        return int(page["@odata.count"])


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def add_rehearse_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", default=None,
                        help="your SCIM server's base address (https://host/scim/v2); default: the lab's GoToMeeting")
    parser.add_argument("--token", default=None, help="the bearer token your server accepts (with --target-url)")
    parser.add_argument("--ca", default=None, help="a CA bundle that verifies an HTTPS target")
    parser.add_argument("--users", type=int, default=10_000, help="users in the tenant (default 10000)")
    parser.add_argument("--groups", type=int, default=None,
                        help=f"groups the users are in (default one per {USERS_PER_GROUP} users)")
    parser.add_argument("--cycles", type=int, default=DAY_CYCLES,
                        help=f"incremental cycles of the day (default {DAY_CYCLES}: 24 hours at 40 minutes)")
    parser.add_argument("--concurrency", type=int, default=1, help="export concurrency (1 to 16; default 1)")
    parser.add_argument("--rate", type=float, default=None,
                        help="request-rate cap in requests per second (25 models a gallery app; default none)")
    parser.add_argument("--too-many-requests", choices=("escrow", "honorRetryAfter"), default="escrow",
                        help="what Entra does with a 429: escrow the object (default) or honour Retry-After")
    parser.add_argument("--dialect", choices=("legacy", "aadOptscim062020"), default="legacy")
    parser.add_argument("--deletion-threshold", type=int, default=None,
                        help="the job's accidental-deletion threshold (default: the job's, 500)")
    parser.add_argument("--run-id", default=None, help="fix the run id of the prefix cf-<run>- (for cleanup)")
    parser.add_argument("--seed", type=int, default=1234, help="the lab's seed")
    parser.add_argument("--report-dir", default="reports/rehearsal", help="where report.json/.md/.html go")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def run_rehearse(args: argparse.Namespace) -> int:
    from .rehearsal_report import write_report

    options = Options(users=args.users, groups=args.groups, cycles=args.cycles, concurrency=args.concurrency,
                      rate=args.rate, too_many_requests=args.too_many_requests, target_url=args.target_url,
                      token=args.token, ca=args.ca, dialect=args.dialect, run_id=args.run_id, seed=args.seed,
                      report_dir=Path(args.report_dir), progress=not args.quiet,
                      deletion_threshold=args.deletion_threshold)
    try:
        result = rehearse(options)
    except RehearsalError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return 2
    paths = write_report(result, options.report_dir)
    report = result.to_json()
    initial = report["cycles"][0]
    print(f"initial cycle: {initial['objects']:,} objects, {initial['requests']:,} requests in "
          f"{initial['wallSeconds']:.1f} s ({initial['requestsPerSecond'] or 0:,.1f} req/s), "
          f"{initial['throttled']:,} answered 429; at real Entra's pace "
          f"{initial['projection']['minMinutes']:,.0f}-{initial['projection']['maxMinutes']:,.0f} minutes")
    fit = report["summary"]["incrementalFit"]
    if report["summary"]["incrementalCycles"]:
        print(f"incremental cycles within 40 minutes at real Entra's pace: {fit['yes']} surely, "
              f"{fit['depends']} depending on the pace, {fit['no']} not")
    print(f"report: {paths['html']}")
    if result.cleanup and result.cleanup["gaveUp"]:
        print(f"rehearse: cleanup stopped: {result.cleanup['gaveUp']}: run entra-lab cleanup --run-id "
              f"{result.cleanup['prefix'][3:-1]} later", file=sys.stderr)
        return 3
    return 0
