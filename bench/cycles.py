"""Provisioning cycles over loopback HTTP, and the memory of the lab process that ran them.

* Initial cycle: ``users`` assigned users (through one assigned group) provisioned into the fake
  GoToMeeting by one cycle. Its figure is users per second, compared with what the ceiling allows for
  the requests one user costs (counted on GoToMeeting's journal): ``users/s ÷ (ceiling rps ÷
  requests per user)``.
* Incremental cycle: after the initial cycle, ``changed`` users get a new department (a mapped
  attribute) and the next cycle runs; its wall time is compared between a small and a large tenant.
* Memory: the lab's peak resident set size (``VmHWM``) once the tenant is provisioned.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .lab import LabProcess


@dataclass
class CycleRun:
    users: int
    setup_seconds: float
    initial_seconds: float
    requests: int
    exported: int
    incremental_seconds: float
    incremental_exported: int
    changed: int
    peak_rss: int
    baseline_rss: int

    @property
    def users_per_second(self) -> float:
        return self.users / self.initial_seconds

    @property
    def requests_per_user(self) -> float:
        return self.requests / self.users

    def initial_ratio(self, ceiling_rps: float) -> float:
        return self.users_per_second / (ceiling_rps / self.requests_per_user)

    def to_json(self) -> dict:
        return {**asdict(self), "usersPerSecond": self.users_per_second,
                "requestsPerUser": self.requests_per_user}


def provision_and_change(users: int, changed: int = 10, *, seed: int = 7, rounds: int = 3) -> CycleRun:
    """A lab of ``users`` assigned users: set-up, initial cycle, then ``rounds`` incremental cycles of
    ``changed`` changed users each (the fastest one is kept: it is the least disturbed by the machine)."""
    import time

    with LabProcess(seed=seed) as lab:
        baseline = lab.rss()
        began = time.perf_counter()
        provisioned = lab.provision(users)
        setup = time.perf_counter() - began
        before = lab.goto_journal_seq()
        initial, result = lab.run_cycle(provisioned.job_id)
        requests = lab.goto_journal_seq() - before
        _check(result, users, "initial")
        initial_exported = result_exports(result)
        incremental, exported = float("inf"), 0
        step = max(1, len(provisioned.user_ids) // (changed * rounds))
        for round_no in range(rounds):
            picked = provisioned.user_ids[round_no::step][:changed]
            lab.change_users(picked, f"round {round_no}")
            seconds, result = lab.run_cycle(provisioned.job_id)
            _check(result, len(picked), "incremental")
            if seconds < incremental:
                incremental, exported = seconds, result["execution"]["countExported"]
        return CycleRun(users=users, setup_seconds=setup, initial_seconds=initial, requests=requests,
                        exported=initial_exported, incremental_seconds=incremental,
                        incremental_exported=exported, changed=changed, peak_rss=lab.peak_rss(),
                        baseline_rss=baseline)


def result_exports(result: dict) -> int:
    return int(result.get("execution", {}).get("countExported", 0))


def _check(result: dict, expected: int, label: str) -> None:
    exported = result_exports(result)
    if result.get("state") != "Succeeded" or exported != expected:
        raise RuntimeError(f"the {label} cycle did not export {expected} users: state {result.get('state')}, "
                           f"{exported} exported")
