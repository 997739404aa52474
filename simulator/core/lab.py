"""The context one lab process shares between its fakes: one virtual clock and one seeded random source."""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable

from .clock import DEFAULT_EPOCH, VirtualClock
from .rand import SeededRandom


class Lab:
    def __init__(self, seed: int | str = 0, clock: VirtualClock | None = None,
                 epoch: datetime = DEFAULT_EPOCH):
        self.seed = seed
        self.epoch = epoch
        self.clock = clock or VirtualClock(start=epoch)
        self.rand = SeededRandom(seed)
        self._members: list[Callable[[], None]] = []
        self._reset_lock = threading.Lock()

    def attach(self, reset: Callable[[], None]) -> None:
        """Register an app sharing this lab: ``reset_all`` resets it too."""
        self._members.append(reset)

    def reset(self, seed: int | str | None = None) -> None:
        """Back to the epoch and the start of every random stream (optionally with a new seed)."""
        if seed is not None:
            self.seed = seed
        self.clock.reset(self.epoch)
        self.rand.reset(self.seed)

    def reset_all(self, seed: int | str | None = None) -> None:
        """Reset the shared clock and random source once, then every attached app, in the order they
        were attached: apps that share a lab are reset together, so that no app draws ids from streams
        rewound under another one's feet."""
        with self._reset_lock:
            self.reset(seed)
            for reset in list(self._members):
                reset()
