"""Servers in their own processes: start one, wait until it listens, read its peak memory, stop it.

Every benchmark talks to its server over loopback HTTP from the bench process, so that the figures are
what a client of the lab gets, and so that one process's peak RSS (``VmHWM``) is that server's alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


class ServerProcess:
    """A child process that writes a JSON description of itself (its URLs) to ``describe`` when ready.

    ``argv`` is run with the project root as working directory and ``{describe}`` replaced by the path
    of the description file.
    """

    def __init__(self, argv: list[str], *, name: str, env: dict | None = None, ready_timeout: float = 60.0):
        self.name = name
        self._dir = tempfile.TemporaryDirectory(prefix=f"bench-{name}-")
        self.describe_path = Path(self._dir.name) / "describe.json"
        self.argv = [a.replace("{describe}", str(self.describe_path)) for a in argv]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self.description: dict = {}
        self._deadline = 0.0

    def start(self) -> "ServerProcess":
        return self.launch().wait_ready()

    def launch(self) -> "ServerProcess":
        """Start the process without waiting for it (``wait_ready`` waits): what it does before it
        listens (a peer storing its users) then overlaps with the caller's own preparation."""
        log = open(Path(self._dir.name) / "output.log", "wb")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._deadline = time.monotonic() + self.ready_timeout
        return self

    def wait_ready(self) -> "ServerProcess":
        deadline = self._deadline
        while not self.describe_path.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start within {self.ready_timeout:.0f} s")
            time.sleep(0.05)
        self.description = json.loads(self.describe_path.read_text())
        return self

    def output(self) -> str:
        path = Path(self._dir.name) / "output.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def peak_rss(self) -> int:
        """The process's peak resident set size so far, in bytes (Linux ``VmHWM``)."""
        return _status_kib(self.pid, "VmHWM") * 1024

    def rss(self) -> int:
        return _status_kib(self.pid, "VmRSS") * 1024

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far, all its threads together."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._dir.cleanup()

    def __enter__(self) -> "ServerProcess":
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def session() -> requests.Session:
    """The one HTTP client of every benchmark (and of the ceiling): a keep-alive requests session."""
    s = requests.Session()
    s.trust_env = False
    return s
