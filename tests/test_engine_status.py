"""The job's status bookkeeping (SPEC §3.4, Graph's synchronizationStatus): the code through a job's life,
the execution counters, lastExecution / lastSuccessfulExecution / lastSuccessfulExecutionWithExports,
steady-state times, countSuccessiveCompleteFailures and the synchronized entry counts."""
from __future__ import annotations

from fixtures.contracts import check
from simulator.entra.sync.model import NEVER
from steps.failure_steps import clear_faults, fault, gallery_job, job, logs, person, run_now, start, status
from steps.provisioning_steps import graph, job_path

T0 = "2026-01-05T08:00:00Z"


def test_status_through_a_jobs_life(lab, ctx):
    gallery_job(lab, ctx)
    simon = person(lab, ctx, "B.Simon", role="Organizer")
    person(lab, ctx, "A.Lee", role="Manager")
    person(lab, ctx, "U.Nassigned", role=None)
    before = status(lab, ctx)
    assert before["code"] == "NotConfigured" and before["lastExecution"] is None
    assert before["steadyStateFirstAchievedTime"] == before["steadyStateLastAchievedTime"] == NEVER
    start(lab, ctx)
    assert status(lab, ctx)["code"] == "NotRun"
    assert job(lab, ctx)["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Active"}

    # the initial cycle: everything imported, two exports, one user not entitled
    lab.advance_clock(0)
    s = status(lab, ctx)
    first = s["lastExecution"]
    assert s["code"] == "Active" and first["state"] == "Succeeded" and first["error"] is None
    assert {k: first[k] for k in ("countImported", "countImportedDeltas", "countImportedReferenceDeltas",
                                  "countEntitled", "countEntitledForProvisioning", "countExports", "countExported",
                                  "countEscrowed", "countEscrowedRaw")} == {
        "countImported": 3, "countImportedDeltas": 3, "countImportedReferenceDeltas": 0, "countEntitled": 2,
        "countEntitledForProvisioning": 2, "countExports": 2, "countExported": 2, "countEscrowed": 0,
        "countEscrowedRaw": 0}
    assert first["timeBegan"] == first["timeEnded"] == T0
    assert s["lastSuccessfulExecution"] == s["lastSuccessfulExecutionWithExports"] == first
    assert s["steadyStateFirstAchievedTime"] == s["steadyStateLastAchievedTime"] == T0
    assert s["synchronizedEntryCountByType"] == [{"key": "User to User", "value": 2}]
    assert {e["cycleId"] for e in logs(lab, ctx)} == {first["activityIdentifier"]}

    # a quiet cycle: nothing exported; the last execution with exports stays the initial one
    lab.advance_clock(40)
    s = status(lab, ctx)
    quiet = s["lastExecution"]
    assert quiet["activityIdentifier"] != first["activityIdentifier"] and quiet["timeBegan"] == "2026-01-05T08:40:00Z"
    assert (quiet["countImported"], quiet["countExports"], quiet["countExported"]) == (0, 0, 0)
    assert s["lastSuccessfulExecution"] == quiet and s["lastSuccessfulExecutionWithExports"] == first
    assert s["steadyStateFirstAchievedTime"] == T0 and s["steadyStateLastAchievedTime"] == "2026-01-05T08:40:00Z"

    # an entry-level error: escrowed, no longer steady, not a successful execution
    graph(lab, ctx).patch(f"/users/{simon['id']}", {"displayName": "Barbara Simon"})
    fault(lab, method="PATCH", path="^/scim/v2/Users/", action="status", status=500)
    lab.advance_clock(40)
    s = status(lab, ctx)
    failed = s["lastExecution"]
    assert failed["state"] == "EntryLevelErrors" and (failed["countExports"], failed["countExported"]) == (1, 0)
    assert (failed["countEscrowed"], failed["countEscrowedRaw"]) == (1, 1)
    assert s["lastSuccessfulExecution"] == quiet and s["code"] == "Active"
    assert s["steadyStateLastAchievedTime"] == "2026-01-05T08:40:00Z"
    assert s["countSuccessiveCompleteFailures"] == 0

    # the target recovers: the escrowed user is retried although it did not change again
    clear_faults(lab)
    lab.advance_clock(40)
    s = status(lab, ctx)
    healed = s["lastExecution"]
    assert healed["state"] == "Succeeded" and (healed["countImported"], healed["countExported"]) == (1, 1)
    assert s["lastSuccessfulExecution"] == s["lastSuccessfulExecutionWithExports"] == healed
    assert s["steadyStateLastAchievedTime"] == healed["timeEnded"] == "2026-01-05T10:00:00Z"

    # paused and started again: Paused, then Active (it has run before); the schedule restarts now
    assert graph(lab, ctx).request("POST", job_path(ctx, "/pause")).status_code == 204
    assert status(lab, ctx)["code"] == "Paused" and job(lab, ctx)["schedule"]["state"] == "Paused"
    lab.advance_clock(120)
    assert status(lab, ctx)["lastExecution"] == healed
    start(lab, ctx)
    assert status(lab, ctx)["code"] == "Active"
    run = run_now(lab, ctx)
    check("graph-sync-job", job(lab, ctx))
    assert run["state"] == "Succeeded" and status(lab, ctx)["lastExecution"]["timeBegan"] == "2026-01-05T12:00:00Z"


def test_a_restart_without_scope_reimports_everything_and_keeps_the_links(lab, ctx):
    gallery_job(lab, ctx)
    person(lab, ctx, "B.Simon", role="Organizer")
    start(lab, ctx)
    run_now(lab, ctx)
    assert graph(lab, ctx).request("POST", job_path(ctx, "/restart"), json={}).status_code == 204
    lab.advance_clock(0)
    s = status(lab, ctx)
    assert s["lastExecution"]["countImported"] == 1 and s["lastExecution"]["countExports"] == 0
    assert s["synchronizedEntryCountByType"] == [{"key": "User to User", "value": 1}]
