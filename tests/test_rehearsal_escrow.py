"""What a rehearsal's 429s leave in escrow: an object escrowed while it was in scope that leaves the scope
before it could be provisioned leaves the escrow, as a user does (skipped, with its log entry saying why),
instead of staying there forever because no cycle looks at it again."""
from __future__ import annotations

from steps.failure_steps import fault, logs, outbound, run_now, status
from steps.provisioning_steps import _unassign
from tests.test_engine_groups import started_with_sales


def _escrowed(lab, ctx) -> int:
    return status(lab, ctx)["lastExecution"]["countEscrowed"]


def test_a_group_escrowed_by_a_429_that_leaves_the_scope_leaves_the_escrow(lab, ctx):
    _, sales = started_with_sales(lab, ctx)
    fault(lab, method="POST", path="/Groups$", action="status", status=429, retryAfter=1, times=1)
    run_now(lab, ctx)
    assert _escrowed(lab, ctx) == 1
    [failed] = logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})
    assert failed["provisioningStatusInfo"]["status"] == "failure"

    # the group is unassigned before a cycle could retry it: it was never created, so nothing is sent
    # for it; it is skipped as not assigned, and leaves the escrow
    _unassign(lab, ctx, sales["id"])
    mark = lab.journal_mark()
    run_now(lab, ctx)
    assert [e for e in outbound(lab, mark) if "/Groups" in e["path"]] == []
    assert _escrowed(lab, ctx) == 0
    skipped = logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})[-1]
    assert skipped["provisioningStatusInfo"]["status"] == "skipped"
    assert skipped["provisioningSteps"][-1]["details"] == {"SkipReason": "NotEffectivelyEntitled"}

    # and no later cycle looks at it again
    run_now(lab, ctx)
    assert len(logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})) == 2
    assert _escrowed(lab, ctx) == 0
