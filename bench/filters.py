"""SCIM filter latency as the account grows: the median time of ``GET /Users?filter=userName eq "..."``
for users spread over the whole account, measured in one lab process holding ``small`` stored users
and then, after more are seeded, ``large`` stored users. An index lookup keeps the ratio near 1."""
from __future__ import annotations

import statistics
import time

from . import payloads
from .lab import LabProcess
from .scim_mix import ScimTarget


def median_latency(target: ScimTarget, stored: int, queries: int) -> float:
    """Median seconds of a userName filter that finds one of the ``stored`` users."""
    step = max(1, stored // queries)
    samples = []
    for i in range(queries):
        name = payloads.user_name((i * step + i) % stored, target.domain)
        began = time.perf_counter()
        found = target.find(name)
        samples.append(time.perf_counter() - began)
        if len(found) != 1:
            raise RuntimeError(f"the filter for {name} found {len(found)} users")
    return statistics.median(samples)


def filter_latency(small: int, large: int, queries: int) -> dict:
    with LabProcess() as lab:
        target = ScimTarget(lab.scim_url, lab.scim_token, lab.domain)
        lab.seed_goto_users(small)
        median_latency(target, small, min(queries, 50))  # warm-up
        at_small = median_latency(target, small, queries)
        lab.seed_goto_users(large - small, first=small)
        at_large = median_latency(target, large, queries)
        return {"small": small, "large": large, "queries": queries, "medianSmallMs": at_small * 1000,
                "medianLargeMs": at_large * 1000, "ratio": at_large / at_small}
