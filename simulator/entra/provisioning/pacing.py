"""Entra's pacing of its requests to a target, as lab settings (SPEC §10), and what the lab measures of them.

* ``RateLimiter``: the request-rate cap (``requestRateLimit``, requests per second; none by default, as
  for a non-gallery app; 25 models a gallery app throttled by Microsoft). A token bucket of capacity one
  on the wall clock: the cap is about the real target, so it is spent in real time, never on the lab's
  virtual clock. Requests leave at least ``1/rate`` seconds apart, whichever worker sends them, so that in
  any window of ``w`` seconds at most ``rate * w + 1`` requests go out. An overlapped export's object
  waits for its slot without holding up the others (``aio.pause``).
* ``RequestMetrics``: with the lab setting ``requestMetrics`` on, every request the engine sends is
  sampled (wall-clock offset, operation, status or failure, latency, attempt) into a bounded store that
  ``GET /_admin/metrics`` reads, with the progress of the cycle at hand (objects done of those planned).
  Wall-clock measurements never enter the journal, the logs or anything a seed decides.

Operations are named by what Entra does: ``filter`` (a matching query), ``GET`` (vendor mode's
ownership check), ``POST``/``PATCH``/``DELETE`` (users), ``group POST``/``group PATCH``/``group DELETE``.
"""
from __future__ import annotations

import threading
import time
from array import array

from .aio import pause

#: Simulator choice: at most this many samples are kept (oldest dropped first): a rehearsal of 100,000
#: users sends about 250,000 requests; the store costs about 30 bytes a sample.
METRICS_RETENTION = 2_000_000

OPERATIONS = ("filter", "GET", "POST", "PATCH", "DELETE", "group POST", "group PATCH", "group DELETE", "other")
_OP_INDEX = {name: i for i, name in enumerate(OPERATIONS)}
#: Status codes of requests that got no HTTP answer (timeouts, refused connections, TLS, protocol).
NO_ANSWER = {"timeout": -1, "connection": -2, "tls": -3, "protocol": -4, "blocked": -5}
_NO_ANSWER_NAMES = {v: k for k, v in NO_ANSWER.items()}


def operation_of(method: str, path: str) -> str:
    """The operation name of a request the engine sends (``path`` below the base URL)."""
    resource, _, query = path.partition("?")
    groups = resource.startswith("/Groups")
    if method == "GET":
        return "filter" if "filter=" in query else "GET"
    if method in ("POST", "PATCH", "DELETE"):
        return f"group {method}" if groups else method
    return "other"


class RateLimiter:
    """At most ``rate`` requests per second (wall clock), spaced ``1/rate`` apart; thread-safe."""

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=pause):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()
        #: seconds spent waiting for the cap, summed over every request
        self.waited = 0.0

    def acquire(self) -> float:
        """Wait for this request's slot; the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            wait = slot - now
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait


class RequestMetrics:
    """Samples of the engine's requests (wall clock) and the progress of the running cycle; thread-safe."""

    def __init__(self, retention: int = METRICS_RETENTION):
        self.retention = retention
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.t0 = time.perf_counter()
            self._t = array("d")  # seconds since t0 when the request was sent
            self._latency = array("d")  # seconds until the answer (or the failure)
            self._op = array("b")
            self._status = array("h")
            self._attempt = array("b")
            self._dropped = 0
            self.progress = {"cycleId": None, "phase": "idle", "planned": 0, "done": 0, "exported": 0}

    def record(self, method: str, path: str, status: int | None, failure: str | None, started: float,
               latency: float, attempt: int = 0) -> None:
        code = status if status is not None else NO_ANSWER.get(failure or "protocol", -4)
        with self._lock:
            if len(self._t) >= self.retention:  # the oldest half goes at once: appends stay cheap
                half = len(self._t) // 2
                for column in (self._t, self._latency, self._op, self._status, self._attempt):
                    del column[:half]
                self._dropped += half
            self._t.append(started - self.t0)
            self._latency.append(latency)
            self._op.append(_OP_INDEX[operation_of(method, path)])
            self._status.append(code)
            self._attempt.append(min(attempt, 100))

    def cycle_began(self, cycle_id: str, planned: int) -> None:
        with self._lock:
            self.progress = {"cycleId": cycle_id, "phase": "users", "planned": planned, "done": 0, "exported": 0}

    def object_done(self, exported: bool) -> None:
        with self._lock:
            self.progress["done"] += 1
            self.progress["exported"] += 1 if exported else 0

    def phase(self, name: str, planned: int | None = None) -> None:
        with self._lock:
            self.progress["phase"] = name
            if planned is not None:
                self.progress["planned"] += planned

    def read(self, since: int = 0, limit: int | None = None) -> dict:
        """Samples from index ``since`` (of every sample ever taken), as columns, and the progress."""
        with self._lock:
            first = self._dropped
            start = max(since - first, 0)
            end = len(self._t) if limit is None else min(len(self._t), start + limit)
            status = list(self._status[start:end])
            return {
                "since": first + start, "next": first + end,
                "t": [round(x, 6) for x in self._t[start:end]],
                "latency": [round(x, 6) for x in self._latency[start:end]],
                "op": [OPERATIONS[i] for i in self._op[start:end]],
                "status": [s if s >= 0 else _NO_ANSWER_NAMES.get(s, "protocol") for s in status],
                "attempt": list(self._attempt[start:end]),
                "progress": dict(self.progress),
            }
