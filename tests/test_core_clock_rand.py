from datetime import timedelta

import pytest

from simulator.core.clock import DEFAULT_EPOCH, VirtualClock, iso
from simulator.core.rand import SeededRandom


def test_manual_clock_stands_still_until_advanced():
    clock = VirtualClock()
    assert clock.now() == DEFAULT_EPOCH
    assert clock.now() == DEFAULT_EPOCH
    clock.advance(minutes=40)
    assert clock.now() == DEFAULT_EPOCH + timedelta(minutes=40)


def test_clock_refuses_to_go_backwards():
    clock = VirtualClock()
    with pytest.raises(ValueError):
        clock.advance(minutes=-1)
    assert clock.now() == DEFAULT_EPOCH


def test_listeners_run_in_order_before_advance_returns():
    clock = VirtualClock()
    seen = []
    clock.add_listener(lambda now: seen.append(("a", now)))
    clock.add_listener(lambda now: seen.append(("b", now)))
    clock.advance(minutes=5)
    assert seen == [("a", DEFAULT_EPOCH + timedelta(minutes=5)), ("b", DEFAULT_EPOCH + timedelta(minutes=5))]


def test_real_clock_runs_scaled():
    clock = VirtualClock(mode="real", time_scale=3600)
    first = clock.now()
    import time
    time.sleep(0.01)
    assert clock.now() - first >= timedelta(seconds=30)


def test_reset_returns_to_epoch():
    clock = VirtualClock()
    clock.advance(minutes=90)
    clock.reset()
    assert clock.now() == DEFAULT_EPOCH


def test_iso_format_matches_graph():
    assert iso(DEFAULT_EPOCH) == "2026-01-05T08:00:00Z"
    assert iso(DEFAULT_EPOCH + timedelta(microseconds=123456)) == "2026-01-05T08:00:00.123Z"


def test_same_seed_same_values_and_streams_are_independent():
    a, b = SeededRandom(7), SeededRandom(7)
    assert [a.stream("ids").uuid() for _ in range(3)] == [b.stream("ids").uuid() for _ in range(3)]
    # Drawing from another stream first does not shift the "ids" stream.
    c = SeededRandom(7)
    c.stream("tokens").token()
    d = SeededRandom(7)
    assert c.stream("ids").uuid() == d.stream("ids").uuid()


def test_other_seed_other_values_and_reset_replays():
    a, b = SeededRandom(7), SeededRandom(8)
    first = a.stream("ids").uuid()
    assert first != b.stream("ids").uuid()
    a.reset()
    assert a.stream("ids").uuid() == first


def test_uuid_is_version_4_shaped():
    value = SeededRandom(1).stream("x").uuid()
    assert len(value) == 36 and value[14] == "4" and value[19] in "89ab"


class _Every:
    """A scheduler with work due every ``minutes``, from ``start``."""

    def __init__(self, clock, minutes, log, name):
        self.clock, self.step, self.log, self.name = clock, timedelta(minutes=minutes), log, name
        self.due = clock.now()

    def next_due(self):
        return self.due

    def run_due(self, now):
        self.log.append((self.name, int((now - DEFAULT_EPOCH).total_seconds() // 60)))
        self.due = now + self.step


def test_schedulers_run_at_their_own_due_instants_in_time_order():
    clock = VirtualClock()
    log = []
    clock.add_scheduler(_Every(clock, 40, log, "job"))
    clock.add_scheduler(_Every(clock, 90, log, "purge"))
    clock.advance(minutes=0)
    assert log == [("job", 0), ("purge", 0)]
    clock.advance(minutes=170)
    assert log[2:] == [("job", 40), ("job", 80), ("purge", 90), ("job", 120), ("job", 160)]
    assert clock.now() == DEFAULT_EPOCH + timedelta(minutes=170)


def test_nothing_runs_before_it_is_due():
    clock = VirtualClock()
    log = []
    sched = _Every(clock, 40, log, "job")
    sched.due = DEFAULT_EPOCH + timedelta(minutes=40)
    clock.add_scheduler(sched)
    clock.advance(minutes=39)
    assert log == []
    clock.advance(minutes=1)
    assert log == [("job", 40)]
