"""The load rehearsal's own performance (issue 15): the lab must never be the bottleneck of a rehearsal.

* Engine vs ceiling: a lab process (``python -m simulator serve``) provisions ``users`` assigned users
  (through one assigned group) with the non-gallery SCIM app into the ceiling's bare SCIM routes
  (``bench/ceiling.py``, a process of its own that stores nothing and answers every query with an empty
  list, so that every user is a filter and a create). The engine's rate is the requests the ceiling
  counted over the wall time of ``POST /_admin/jobs/{id}/run``; the ceiling's rate is the same pair of
  requests (filter, create) sent back to back by the bench's plain client (``ceiling.scim_rate``), the
  better of a measurement before and one after the cycles.
* Scaling: the same initial cycle at ``exportConcurrency`` 1, 2, 4 and 8 (a new app each time, so that
  each cycle creates every user again), as ratios to concurrency 1. The ceiling is served by cheroot's
  worker threads in one Python process; the lab is one process too, whose overlapped export runs on the
  cycle's one thread (aio.py): each gets at most one core's worth of Python (one interpreter lock), so
  on two cores more objects at once can only overlap the lab's work with the ceiling's. The lab's CPU time over the cycle's wall time (``labBusy``) says whether the lab itself is
  the one saturated.
* Memory: a whole rehearsal (``rehearse()`` and its report, as ``entra-lab rehearse`` runs it: tenant,
  initial cycle, a day of incremental cycles, mass unassignment, forced deletes) against the built-in
  GoToMeeting, in one process (``python -m bench.rehearsal``), which reports its own peak RSS
  (``VmHWM``) at the end. It is started while the bench prepares its large tenant (no figure is measured
  then) and collected afterwards.

``python -m bench.rehearsal --users 100000`` runs the memory measurement alone and prints it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import ceiling
from .lab import LabProcess
from .procs import ROOT, _status_kib, session

SCALING = (1, 2, 4, 8)
#: Simulator choice: the memory rehearsal's day (fewer incremental cycles than a real day's 36, the
#: same churn spread over them).
MEMORY_CYCLES = 6


@dataclass
class EngineCycle:
    concurrency: int
    users: int
    requests: int  # as the ceiling counted them
    seconds: float
    lab_cpu: float  # CPU seconds the lab process used during the cycle, all its threads
    ceiling_cpu: float  # and the ceiling's process

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def lab_busy(self) -> float:
        """The lab's CPU time over the cycle's wall time: 1.0 is one core busy the whole cycle."""
        return self.lab_cpu / self.seconds


def _count(url: str, http) -> int:
    return http.get(f"{url}/_count", timeout=10).json()["count"]


def engine_rates(users: int, ceiling_seconds: float, concurrencies=SCALING) -> dict:
    """The ceiling's SCIM rate (the better of two measurements) and one initial cycle per concurrency."""
    from simulator.client import Lab

    with ceiling.start() as target, LabProcess(seed=15) as process:
        url = target.description["url"]
        first = ceiling.scim_rate(url, ceiling_seconds)
        lab = Lab.connect(process.description)
        listing = {"$select": "id", "$top": 999}
        before = {u["id"] for u in lab.graph.all_pages("/users", params=listing)}
        lab.seed(users=users)
        seeded = sorted(u["id"] for u in lab.graph.all_pages("/users", params=listing) if u["id"] not in before)
        group = lab.create_group("Rehearsal bench")
        lab.add_members(group["id"], seeded)
        http = session()
        cycles = []
        for concurrency in concurrencies:
            lab.settings(exportConcurrency=concurrency)
            app = lab.scim_app(f"{url}/scim", "ceiling")
            app.assign(group["id"], "User")
            app.start()
            before = _count(url, http)
            cpu = process.cpu_seconds(), target.cpu_seconds()
            began = time.perf_counter()
            result = app.run_cycle()
            seconds = time.perf_counter() - began
            lab_cpu, ceiling_cpu = process.cpu_seconds() - cpu[0], target.cpu_seconds() - cpu[1]
            exported = int(result.get("execution", {}).get("countExported", 0))
            if result.get("state") != "Succeeded" or exported != len(seeded) + 1:
                raise RuntimeError(f"the cycle at concurrency {concurrency} exported {exported} of {len(seeded)} "
                                   f"users and their group: {result.get('state')}")
            cycles.append(EngineCycle(concurrency, len(seeded), _count(url, http) - before, seconds, lab_cpu,
                                      ceiling_cpu))
        second = ceiling.scim_rate(url, ceiling_seconds)
        http.close()
    return {"ceiling": {"first": first, "second": second, "used": max(first, second)}, "cycles": cycles}


# --------------------------------------------------------------------------------------------------
# Memory: a whole rehearsal in one process
# --------------------------------------------------------------------------------------------------
class MemoryRun:
    """``python -m bench.rehearsal --users N`` in a child process; ``result()`` waits for its report."""

    def __init__(self, users: int, cycles: int = MEMORY_CYCLES):
        self.users, self.cycles = users, cycles
        self._dir = tempfile.TemporaryDirectory(prefix="bench-rehearsal-")
        self.out = Path(self._dir.name) / "memory.json"
        self.log = open(Path(self._dir.name) / "output.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.rehearsal", "--users", str(users), "--cycles", str(cycles),
             "--out", str(self.out), "--report-dir", str(Path(self._dir.name) / "report")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=self.log, stderr=subprocess.STDOUT)

    def result(self, timeout: float = 7200) -> dict:
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        if code != 0 or not self.out.exists():
            tail = (Path(self._dir.name) / "output.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the {self.users}-user rehearsal exited with {code}: {tail}")
        return json.loads(self.out.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self._dir.cleanup()


def measure_memory(users: int, cycles: int, report_dir: Path) -> dict:
    """Run a rehearsal of ``users`` users in this process and write its report: what it did, and this
    process's peak RSS."""
    from simulator.tools.rehearsal_report import write_report
    from simulator.tools.rehearse import Options, rehearse

    began = time.perf_counter()
    result = rehearse(Options(users=users, cycles=cycles, concurrency=1, seed=15, report_dir=report_dir,
                              progress=True))
    write_report(result, report_dir)
    report = result.to_json()
    return {"users": users, "incrementalCycles": cycles, "seconds": time.perf_counter() - began,
            "requests": report["summary"]["requests"], "initialSeconds": report["cycles"][0]["wallSeconds"],
            "initialObjects": report["cycles"][0]["objects"],
            "peakRss": _status_kib(os.getpid(), "VmHWM") * 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rehearsal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=MEMORY_CYCLES)
    parser.add_argument("--out", default=None, help="write the measurement as JSON here (default: print it)")
    parser.add_argument("--report-dir", default=None, help="where the rehearsal's report goes (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-rehearsal-report-") as scratch:
        measured = measure_memory(args.users, args.cycles, Path(args.report_dir or scratch))
    text = json.dumps(measured, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


def cycles_json(cycles: list[EngineCycle]) -> list[dict]:
    return [{**asdict(c), "rps": c.rps, "labBusy": c.lab_busy} for c in cycles]


if __name__ == "__main__":
    sys.exit(main())
