"""Quarantine arithmetic (SPEC §3.7): the retry schedule, the 28-day disable deadline and the escrow
thresholds with Microsoft's numbers and with lowered lab settings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from simulator.entra.provisioning.quarantine import (PROPORTION, TOTAL, escrow_threshold_reason, next_attempt,
                                                     retry_schedule, should_disable)
from simulator.entra.sync.service import DEFAULT_LAB_SETTINGS

BEGAN = datetime(2026, 1, 5, 9, 20, tzinfo=timezone.utc)
H = timedelta(hours=1)


def test_the_schedule_is_6_12_24_hours_after_the_series_began_then_daily():
    assert [(t - BEGAN) / H for t in retry_schedule(BEGAN, 7)] == [6, 12, 24, 48, 72, 96, 120]


@pytest.mark.parametrize("hours_after, expected", [
    (0, 6), (5.99, 6), (6, 12), (11, 12), (12, 24), (23.5, 24), (24, 48), (30, 48), (47.9, 48), (48, 72),
    (100, 120), (671, 672),
])
def test_the_next_attempt_is_the_first_scheduled_instant_after_now(hours_after, expected):
    assert (next_attempt(BEGAN, BEGAN + hours_after * H) - BEGAN) / H == expected


def test_an_early_attempt_does_not_move_the_schedule():
    # a manual run at +7 h (between the 6 h and 12 h attempts) leaves the 12 h attempt in place
    assert next_attempt(BEGAN, BEGAN + 7 * H) == BEGAN + 12 * H


def test_the_job_is_disabled_when_an_attempt_fails_28_days_after_the_series_began():
    assert not should_disable(BEGAN, BEGAN + timedelta(days=28) - timedelta(minutes=1))
    assert should_disable(BEGAN, BEGAN + timedelta(days=28))
    assert (retry_schedule(BEGAN, 30)[-1] - BEGAN) == timedelta(days=28)  # the 30th attempt is the last


def _reason(escrowed, non_reference=None, failures=0, events=0, **overrides):
    settings = {**DEFAULT_LAB_SETTINGS, **overrides}
    return escrow_threshold_reason(escrowed=escrowed, non_reference=escrowed if non_reference is None else
                                   non_reference, failures=failures, events=events, settings=settings)


def test_microsofts_numbers_are_the_defaults():
    assert (DEFAULT_LAB_SETTINGS["escrowEvaluationFloor"], DEFAULT_LAB_SETTINGS["escrowProportionThreshold"],
            DEFAULT_LAB_SETTINGS["escrowNonReferenceThreshold"], DEFAULT_LAB_SETTINGS["escrowAbsoluteThreshold"]) \
        == (5000, 0.4, 40000, 60000)


@pytest.mark.parametrize("escrowed, non_reference, failures, events, expected", [
    (4999, None, 4999, 4999, None),            # below the floor nothing is evaluated, even at 100 %
    (5000, None, 5000, 12500, None),           # exactly 40 % is not more than 40 %
    (5000, None, 5001, 12500, PROPORTION),     # more than 40 %
    (5000, None, 100, 1000000, None),          # few failures among many events
    (40000, None, 1, 1000000, None),           # 40,000 non-reference failures is not more than 40,000
    (40001, None, 1, 1000000, TOTAL),          # more than 40,000 non-reference failures
    (59999, 20000, 1, 1000000, None),          # reference failures count only towards the absolute limit
    (60000, 20000, 1, 1000000, TOTAL),         # 60,000 including reference failures is absolute
    (60000, 20000, 60000, 60000, TOTAL),       # the total threshold wins over the proportion
])
def test_escrow_thresholds(escrowed, non_reference, failures, events, expected):
    assert _reason(escrowed, non_reference, failures, events) == expected


def test_lowered_thresholds_from_the_lab_settings():
    lowered = {"escrowEvaluationFloor": 2, "escrowProportionThreshold": 0.5, "escrowNonReferenceThreshold": 3,
               "escrowAbsoluteThreshold": 5}
    assert _reason(1, failures=1, events=1, **lowered) is None
    assert _reason(2, failures=2, events=4, **lowered) is None
    assert _reason(2, failures=3, events=4, **lowered) == PROPORTION
    assert _reason(4, failures=4, events=100, **lowered) == TOTAL
    assert _reason(5, non_reference=0, failures=5, events=100, **lowered) == TOTAL
    assert _reason(2, failures=0, events=0, **lowered) is None
