"""The lab's virtual clock.

Both fakes read time only from here. In ``manual`` mode time stands still until somebody advances it
(``POST /_admin/clock/advance``); in ``real`` mode it runs ``time_scale`` times faster than the wall
clock, and can still be advanced by hand.

Two kinds of observers:

* **schedulers** (``next_due() -> datetime | None`` and ``run_due(now)``): while advancing, the clock
  stops at every instant a scheduler has work due, in time order, and lets it run *at that instant*
  before moving on. A provisioning cycle due at minute 40 therefore runs with the clock reading minute
  40 even when the clock is advanced by three hours in one call, and timelines can be asserted to the
  minute.
* **listeners** (``listener(now)``): called once after every manual advance, in the order added.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

#: Simulator choice: every lab starts at this instant unless told otherwise.
DEFAULT_EPOCH = datetime(2026, 1, 5, 8, 0, 0, tzinfo=timezone.utc)

Listener = Callable[[datetime], None]


class Scheduler(Protocol):
    def next_due(self) -> datetime | None: ...

    def run_due(self, now: datetime) -> None: ...


class VirtualClock:
    def __init__(self, start: datetime = DEFAULT_EPOCH, mode: str = "manual", time_scale: float = 1.0):
        if mode not in ("manual", "real"):
            raise ValueError(f"clock mode must be 'manual' or 'real', not {mode!r}")
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._start = start.astimezone(timezone.utc)
        self.mode = mode
        self.time_scale = float(time_scale)
        self._lock = threading.RLock()
        self._advance_lock = threading.Lock()
        self._offset = timedelta(0)
        self._t0 = time.monotonic()
        self._listeners: list[Listener] = []
        self._schedulers: list[Scheduler] = []

    # -- reading -------------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            base = self._start + self._offset
            if self.mode == "real":
                base += timedelta(seconds=(time.monotonic() - self._t0) * self.time_scale)
            return base

    def timestamp(self) -> float:
        return self.now().timestamp()

    def isoformat(self) -> str:
        return iso(self.now())

    # -- moving --------------------------------------------------------------------------------
    def advance(self, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move time forward, stopping at every instant a scheduler has work due (in time order), then
        let every listener catch up, before returning. ``advance(0)`` runs what is due now."""
        delta = timedelta(minutes=minutes, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._advance_lock:
            target = self.now() + delta
            self.run_due_until(target)
            with self._lock:
                self._set(target)
                now = self.now()
            for listener in list(self._listeners):
                listener(now)
            return self.now()

    def run_due_until(self, target: datetime) -> None:
        """Run every scheduler's due work up to ``target``, each at its own due instant."""
        for _ in range(1_000_000):
            with self._lock:
                schedulers = list(self._schedulers)
            due = [(when, i) for i, s in enumerate(schedulers) if (when := s.next_due()) is not None
                   and when <= target]
            if not due:
                return
            when, index = min(due)
            with self._lock:
                if when > self.now():
                    self._set(when)
                now = self.now()
            schedulers[index].run_due(now)
        raise RuntimeError("a scheduler keeps reporting due work without making progress")

    def _set(self, moment: datetime) -> None:
        """Set the manual part of the clock so that ``now()`` reads ``moment`` (lock held)."""
        current = self.now()
        if moment > current:
            self._offset += moment - current

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass for the caller (a client honouring ``Retry-After``).

        Manual clock: time jumps forward at once (schedulers do not run: the caller is one of them).
        Real clock: the caller waits ``seconds / time_scale`` wall-clock seconds."""
        if seconds <= 0:
            return
        if self.mode == "real":
            time.sleep(seconds / self.time_scale)
            return
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def reset(self, start: datetime | None = None) -> None:
        with self._lock:
            if start is not None:
                self._start = start.astimezone(timezone.utc)
            self._offset = timedelta(0)
            self._t0 = time.monotonic()

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener not in self._listeners:
                self._listeners.append(listener)

    def add_scheduler(self, scheduler: Scheduler) -> None:
        with self._lock:
            if scheduler not in self._schedulers:
                self._schedulers.append(scheduler)

    def remove_scheduler(self, scheduler: Scheduler) -> None:
        with self._lock:
            if scheduler in self._schedulers:
                self._schedulers.remove(scheduler)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def describe(self) -> dict:
        return {"now": self.isoformat(), "mode": self.mode, "timeScale": self.time_scale}


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` and whole milliseconds at most, as Graph and SCIM print them."""
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
