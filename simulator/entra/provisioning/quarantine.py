"""Quarantine arithmetic (SPEC §3.7 Quarantine): the retry schedule, the disable deadline and the escrow
thresholds, as pure functions of times and counts, so that they are tested without a cycle.

Simulator choice for the retry schedule (Microsoft publishes only "6 h, 12 h and 24 h, then daily"):
every offset counts from ``seriesBegan``, the instant the series of quarantines began. The attempts come
at seriesBegan + 6 h, + 12 h, + 24 h, then + 48 h, + 72 h, … (every 24 h). An attempt made earlier
(a manual run, a restart) does not move the schedule: the next attempt is the first offset still in
the future. When an attempt fails 28 days (672 h) or more after seriesBegan, the job is disabled.

Escrow thresholds (SPEC §3.7, Microsoft's numbers; the lab settings may lower them): nothing is
evaluated below ``escrowEvaluationFloor`` escrowed objects (5,000). From there on, ``escrowAbsoluteThreshold``
(60,000) escrows including reference failures, or more than ``escrowNonReferenceThreshold`` (40,000)
non-reference escrows, trip ``EncounteredTotalEscrowThreshold``; more than ``escrowProportionThreshold``
(40 %) of the cycle's events failing trips ``EncounteredEscrowProportionThreshold``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Mapping

FIRST_OFFSETS = (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
DAILY = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=28)

TOTAL = "EncounteredTotalEscrowThreshold"
PROPORTION = "EncounteredEscrowProportionThreshold"


def next_attempt(series_began: datetime, now: datetime) -> datetime:
    """The next quarantine retry after ``now`` for a series that began at ``series_began``."""
    for offset in FIRST_OFFSETS:
        if series_began + offset > now:
            return series_began + offset
    elapsed_days = int((now - series_began) / DAILY)
    return series_began + DAILY * max(elapsed_days + 1, 2)


def retry_schedule(series_began: datetime, count: int) -> list[datetime]:
    """The first ``count`` retry instants of a series (for tests and documentation)."""
    out, moment = [], series_began
    for _ in range(count):
        moment = next_attempt(series_began, moment)
        out.append(moment)
    return out


def should_disable(series_began: datetime, now: datetime) -> bool:
    """Whether an attempt failing at ``now`` ends the job: 28 days in quarantine."""
    return now - series_began >= DISABLE_AFTER


def escrow_threshold_reason(*, escrowed: int, non_reference: int, failures: int, events: int,
                            settings: Mapping) -> str | None:
    """The quarantine reason the escrow counts trip, or None.

    ``escrowed`` counts every escrowed object after the cycle (reference failures included),
    ``non_reference`` those that are not reference failures; ``failures`` / ``events`` are the cycle's
    failed and processed objects.
    """
    if escrowed < settings["escrowEvaluationFloor"]:
        return None
    if escrowed >= settings["escrowAbsoluteThreshold"] or non_reference > settings["escrowNonReferenceThreshold"]:
        return TOTAL
    if events and failures / events > settings["escrowProportionThreshold"]:
        return PROPORTION
    return None
