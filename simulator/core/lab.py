"""The context one lab process shares between its fakes: one virtual clock and one seeded random source."""
from __future__ import annotations

from datetime import datetime

from .clock import DEFAULT_EPOCH, VirtualClock
from .rand import SeededRandom


class Lab:
    def __init__(self, seed: int | str = 0, clock: VirtualClock | None = None,
                 epoch: datetime = DEFAULT_EPOCH):
        self.seed = seed
        self.epoch = epoch
        self.clock = clock or VirtualClock(start=epoch)
        self.rand = SeededRandom(seed)

    def reset(self, seed: int | str | None = None) -> None:
        """Back to the epoch and the start of every random stream (optionally with a new seed)."""
        if seed is not None:
            self.seed = seed
        self.clock.reset(self.epoch)
        self.rand.reset(self.seed)
