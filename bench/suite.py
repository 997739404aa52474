"""Wall time of the Gherkin suite (``steps/``, what ``make conformance`` runs) serial and with
``JOBS=2`` (pytest-xdist), each in its own pytest process, and of its ``@ui`` scenarios (the admin
centers in Chromium) on two workers. Reports are not written: the conformance
reports under ``reports/`` stay those of the last ``make conformance``."""
from __future__ import annotations

import subprocess
import sys
import time

from .procs import ROOT


def run_suite(jobs: int, select: str | None = None, marks: str | None = None) -> dict:
    argv = [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider"]
    if jobs:
        argv += ["-n", str(jobs)]
    if select:
        argv += ["-k", select]
    if marks:
        argv += ["-m", marks]
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    summary = next((line for line in reversed(done.stdout.splitlines()) if line.strip()), "")
    return {"jobs": jobs, "seconds": seconds, "passed": done.returncode == 0, "summary": summary.strip("= ")}


def suite_times(select: str | None = None, marks: str | None = "not ui") -> dict:
    """The suite's API scenarios (the ``@ui`` ones are timed by ``ui_time``)."""
    serial = run_suite(0, select, marks)
    parallel = run_suite(2, select, marks)
    return {"serial": serial, "jobs2": parallel, "speedup": serial["seconds"] / parallel["seconds"]}


def ui_time() -> dict:
    """The ``@ui`` scenarios together on two workers (browser start-up included)."""
    return run_suite(2, marks="ui")
