"""Provisioning cycles over loopback HTTP, SCIM filter latency, and the memory of the lab process that
ran them: one :class:`Tenant` is one lab process taken through the tutorial's story.

* Initial cycle: ``users`` assigned users (through one assigned group) provisioned into the fake
  GoToMeeting by the job's first cycle. Its figure is users per second, compared with what the ceiling
  allows for the requests one user costs (counted on GoToMeeting's journal): ``users/s ÷ (ceiling rps ÷
  requests per user)``.
* Growth: more users join the group and the next cycle provisions them (how the large tenant gets its
  100,000 users after its initial cycle was measured at 10,000; not a figure).
* Incremental cycle: ``changed`` users get a new department (a mapped attribute) and the next cycle
  runs; its wall time is compared between a small and a large tenant.
* Filter latency: the median time of ``GET /Users?filter=userName eq "..."`` for provisioned users
  spread over the whole account.
* Memory: the lab's peak resident set size (``VmHWM``).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

from .lab import LabProcess, Provisioned
from .scim_mix import ScimTarget


@dataclass
class InitialCycle:
    users: int
    setup_seconds: float
    initial_seconds: float
    requests: int
    exported: int
    #: CPU time the lab process used during the cycle (both ends of every request): about the cycle's
    #: wall time when the cycle is bound by the process's CPU, not by waiting.
    cpu_seconds: float

    @property
    def users_per_second(self) -> float:
        return self.users / self.initial_seconds

    @property
    def requests_per_user(self) -> float:
        return self.requests / self.users

    @property
    def cpu_ms_per_user(self) -> float:
        return self.cpu_seconds / self.users * 1000

    def ratio(self, ceiling_rps: float) -> float:
        return self.users_per_second / (ceiling_rps / self.requests_per_user)

    def to_json(self) -> dict:
        return {**asdict(self), "usersPerSecond": self.users_per_second, "requestsPerUser": self.requests_per_user,
                "cpuMsPerUser": self.cpu_ms_per_user}


@dataclass
class Incremental:
    users: int
    changed: int
    seconds: float  # the fastest round: the least disturbed by the machine
    exported: int

    def to_json(self) -> dict:
        return asdict(self)


class Tenant:
    """A lab process (``python -m simulator serve``) with one GoToMeeting provisioning job."""

    def __init__(self, seed: int = 7):
        self.lab = LabProcess(seed=seed)
        self.provisioned: Provisioned | None = None
        self.grow_seconds = 0.0
        self.baseline_rss = 0

    def __enter__(self) -> "Tenant":
        self.lab.start()
        self.baseline_rss = self.lab.rss()
        return self

    def __exit__(self, *exc) -> None:
        self.lab.stop()

    @property
    def users(self) -> int:
        return len(self.provisioned.user_ids) if self.provisioned else 0

    def initial_cycle(self, users: int) -> InitialCycle:
        began = time.perf_counter()
        self.provisioned = self.lab.provision(users)
        setup = time.perf_counter() - began
        before, cpu_before = self.lab.goto_journal_seq(), self.lab.cpu_seconds()
        seconds, result = self.lab.run_cycle(self.provisioned.job_id)
        cpu = self.lab.cpu_seconds() - cpu_before
        requests = self.lab.goto_journal_seq() - before
        _check(result, users, "initial")
        return InitialCycle(users, setup, seconds, requests, result_exports(result), cpu)

    def grow_to(self, users: int) -> None:
        """Assign and provision users until the tenant has ``users``."""
        more = users - self.users
        if more <= 0:
            return
        began = time.perf_counter()
        self.lab.grow(self.provisioned, more)
        _, result = self.lab.run_cycle(self.provisioned.job_id)
        _check(result, more, "growth")
        self.grow_seconds = time.perf_counter() - began

    def incremental(self, changed: int = 10, rounds: int = 3) -> Incremental:
        """``rounds`` cycles of ``changed`` changed users each, spread over the tenant."""
        ids = self.provisioned.user_ids
        best, exported = float("inf"), 0
        step = max(1, len(ids) // (changed * rounds))
        for round_no in range(rounds):
            picked = ids[round_no::step][:changed]
            self.lab.change_users(picked, f"round {round_no}")
            seconds, result = self.lab.run_cycle(self.provisioned.job_id)
            _check(result, len(picked), "incremental")
            if seconds < best:
                best, exported = seconds, result_exports(result)
        return Incremental(self.users, changed, best, exported)

    def filter_latency(self, queries: int) -> float:
        """Median seconds of a userName filter that finds one provisioned user (after a warm-up)."""
        target = ScimTarget(self.lab.scim_url, self.lab.scim_token, self.lab.domain)
        names = self.provisioned.user_names
        step = max(1, len(names) // queries)
        samples = []
        for i in range(min(queries, 50) + queries):
            name = names[(i * step + i) % len(names)]
            began = time.perf_counter()
            found = target.find(name)
            samples.append(time.perf_counter() - began)
            if len(found) != 1:
                raise RuntimeError(f"the filter for {name} found {len(found)} users")
        return statistics.median(samples[min(queries, 50):])

    def peak_rss(self) -> int:
        return self.lab.peak_rss()


def result_exports(result: dict) -> int:
    return int(result.get("execution", {}).get("countExported", 0))


def _check(result: dict, expected: int, label: str) -> None:
    exported = result_exports(result)
    if result.get("state") != "Succeeded" or exported != expected:
        raise RuntimeError(f"the {label} cycle did not export {expected} users: state {result.get('state')}, "
                           f"{exported} exported")
