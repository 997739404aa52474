"""The incremental cycle's work follows the changes, not the tenant (SPEC §3.7 Import, issue 4): with
2,000 unrelated users in the tenant, changing one assigned user makes exactly the one PATCH that change
needs, and nothing else goes over the wire."""
from __future__ import annotations

from steps.failure_steps import gallery_job, logs, person, run_now, start, status
from steps.provisioning_steps import goto_scim, graph


def test_one_change_among_2000_unrelated_users_is_one_patch(lab, ctx):
    gallery_job(lab, ctx)
    simon = person(lab, ctx, "B.Simon", role="Organizer")
    lab.entra_admin("POST", "/seed", json={"users": 2000})
    start(lab, ctx)
    initial = run_now(lab, ctx)
    assert initial["execution"]["countImported"] == 2001 and initial["execution"]["countExported"] == 1
    target = goto_scim(lab, ctx).find_user(simon["userPrincipalName"])

    graph(lab, ctx).patch(f"/users/{simon['id']}", {"displayName": "Barbara Simon"})
    mark = lab.journal_mark()
    lab.advance_clock(40)

    sent = lab.entra_admin("GET", "/journal", params={"direction": "outbound", "since": mark}).json()["entries"]
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", f"/scim/v2/Users/{target['id']}")], sent
    assert sent[0]["body"]["Operations"] == [{"op": "Replace", "path": "displayName", "value": "Barbara Simon"}]
    execution = status(lab, ctx)["lastExecution"]
    assert (execution["countImported"], execution["countImportedDeltas"], execution["countExports"],
            execution["countExported"]) == (1, 1, 1, 1), execution
    [entry] = logs(lab, ctx, cycleId=execution["activityIdentifier"])
    assert entry["sourceIdentity"]["id"] == simon["id"] and entry["provisioningAction"] == "update"
