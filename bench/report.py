"""The bench's results as a table (``reports/bench.md``, printed too) and as JSON (``reports/bench.json``):
one line per goal of issue 7, each with what was measured, the reference it is compared with, the ratio
and whether the goal is met."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class Goal:
    name: str
    measured: str
    reference: str
    ratio: float
    goal: str  # ">= 0.5" | "<= 1.5" | ...

    @property
    def met(self) -> bool:
        op, _, bound = self.goal.partition(" ")
        return self.ratio >= float(bound) if op == ">=" else self.ratio <= float(bound)

    def shown(self) -> str:
        """The ratio with three decimals, rounded away from the goal, so that a ratio just short of
        it never prints as if it were met."""
        op = self.goal.partition(" ")[0]
        if not math.isfinite(self.ratio):
            return str(self.ratio)
        scaled = self.ratio * 1000
        return f"{(math.floor(scaled) if op == '>=' else math.ceil(scaled)) / 1000:.3f}"

    def to_json(self) -> dict:
        return {**asdict(self), "met": self.met}


def markdown(goals: list[Goal], run: dict) -> str:
    lines = [
        "| benchmark | measured | reference | ratio | goal | |",
        "|---|---|---|---|---|---|",
    ]
    for g in goals:
        lines.append(f"| {g.name} | {g.measured} | {g.reference} | {g.shown()} | {g.goal} | "
                     f"{'met' if g.met else 'NOT MET'} |")
    lines.append("")
    lines.append(f"Run {run['date']} on {run['cpus']} CPUs, Python {run['python']}, commit {run['commit']}; "
                 f"sizes: {run['sizes']}.")
    return "\n".join(lines) + "\n"


def write(out_dir: Path, goals: list[Goal], run: dict, details: dict) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    table = markdown(goals, run)
    (out_dir / "bench.md").write_text("# Benchmarks (`make bench`)\n\n" + table)
    (out_dir / "bench.json").write_text(json.dumps(
        {"run": run, "goals": [g.to_json() for g in goals], "details": details}, indent=2, default=str) + "\n")
    return table
