"""The lab's virtual clock.

Both fakes read time only from here. In ``manual`` mode time stands still until somebody advances it
(``POST /_admin/clock/advance``); in ``real`` mode it runs ``time_scale`` times faster than the wall
clock, and can still be advanced by hand. Listeners are called after every manual advance, in the order
they were added, so that the provisioning engine can run every cycle that has fallen due before the
admin call answers.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

#: Simulator choice: every lab starts at this instant unless told otherwise.
DEFAULT_EPOCH = datetime(2026, 1, 5, 8, 0, 0, tzinfo=timezone.utc)

Listener = Callable[[datetime], None]


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
        """Move time forward and let every listener catch up, in order, before returning."""
        delta = timedelta(minutes=minutes, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._advance_lock:
            with self._lock:
                self._offset += delta
                now = self.now()
            for listener in list(self._listeners):
                listener(now)
            return self.now()

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
