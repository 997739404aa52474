"""Every row of SPEC §3.7's events table, in one user's life, each asserting the exact SCIM requests and
the log action (legacy dialect, GoToMeeting gallery app with a scoping filter "department EQUALS Sales").

Where else the rows are covered: features/incremental_sync (attribute change, both dialects),
features/deprovisioning (unassign, block sign-in, soft delete / restore, purge, 30 days after a soft
delete, SkipOutOfScopeDeletions, re-assignment), features/role_validation (role change), tests/
test_engine_groups.py (removed from the assigned group)."""
from __future__ import annotations

import json

from steps.failure_steps import gallery_job, logs, outbound, person, start, status
from steps.provisioning_steps import _assign, _unassign, goto_scim, graph, job_path

SALES_ONLY = {"groups": [{"name": "Sales only", "clauses": [
    {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]}


def _cycle(lab, ctx, change) -> tuple[list[dict], dict]:
    """Make ``change``, let the next incremental cycle run; (SCIM requests sent, the user's log entry)."""
    mark = lab.journal_mark()
    change()
    lab.advance_clock(40)
    cycle = status(lab, ctx)["lastExecution"]["activityIdentifier"]
    entries = logs(lab, ctx, cycleId=cycle)
    return outbound(lab, mark), entries


def _ops(request: dict) -> list[dict]:
    return request["body"]["Operations"]


def _only(entries: list[dict], user: dict) -> dict:
    mine = [e for e in entries if e["sourceIdentity"]["id"] == user["id"]]
    assert len(mine) == 1, entries
    return mine[0]


def test_the_events_table(lab, ctx):
    gallery_job(lab, ctx)
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    schema.pop("@odata.context", None)
    schema["synchronizationRules"][0]["objectMappings"][0]["scope"] = SALES_ONLY
    assert graph(lab, ctx).request("PUT", job_path(ctx, "/schema"), json=schema).status_code == 204
    simon = person(lab, ctx, "B.Simon", role="Organizer")
    lee = person(lab, ctx, "A.Lee", role="Organizer")
    start(lab, ctx)
    lab.advance_clock(0)
    target = goto_scim(lab, ctx).find_user(simon["userPrincipalName"])
    me = f"/scim/v2/Users/{target['id']}"
    users = f"/users/{simon['id']}"
    g = graph(lab, ctx)

    # a mapped attribute changes -> PATCH with only the changed attribute; update
    sent, entries = _cycle(lab, ctx, lambda: g.patch(users, {"displayName": "Barbara Simon"}))
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
    assert _ops(sent[0]) == [{"op": "Replace", "path": "displayName", "value": "Barbara Simon"}]
    assert _only(entries, simon)["provisioningAction"] == "update"

    # nothing mapped changed but the user was looked at -> no request; other, skipped RedundantExport
    sent, entries = _cycle(lab, ctx, lambda: g.patch(users, {"jobTitle": "Account Executive"}))
    assert sent == []
    entry = _only(entries, simon)
    assert (entry["provisioningAction"], entry["provisioningStatusInfo"]["status"]) == ("other", "skipped")
    assert entry["provisioningSteps"][-1]["details"] == {"SkipReason": "RedundantExport"}

    # accountEnabled false -> PATCH active false; disable.  Re-enabled -> PATCH active true; update
    for enabled, value, action in ((False, "False", "disable"), (True, "True", "update")):
        sent, entries = _cycle(lab, ctx, lambda: g.patch(users, {"accountEnabled": enabled}))
        assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
        assert _ops(sent[0]) == [{"op": "Replace", "path": "active", "value": value}]
        assert _only(entries, simon)["provisioningAction"] == action
        assert goto_scim(lab, ctx).find_user(simon["userPrincipalName"])["active"] is enabled

    # soft delete -> PATCH active false; disable.  Restore -> PATCH active true; update
    for change, value, action in ((lambda: g.delete(users), "False", "disable"),
                                  (lambda: g.post(f"/directory/deletedItems/{simon['id']}/restore"), "True", "update")):
        sent, entries = _cycle(lab, ctx, change)
        assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
        assert _ops(sent[0]) == [{"op": "Replace", "path": "active", "value": value}]
        assert _only(entries, simon)["provisioningAction"] == action

    # role change Organizer -> Manager -> PATCH roles; update
    def change_role():
        _unassign(lab, ctx, simon["id"])
        _assign(lab, ctx, simon["id"], "Manager")
    sent, entries = _cycle(lab, ctx, change_role)
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
    [role_op] = _ops(sent[0])
    assert role_op["op"] == "Add" and role_op["path"] == "roles"
    assert json.loads(role_op["value"][0]["value"])["value"] == "manager"
    assert _only(entries, simon)["provisioningAction"] == "update"
    assert [r["value"] for r in goto_scim(lab, ctx).find_user(simon["userPrincipalName"])["roles"]] == ["manager"]

    # unassigned -> PATCH active false; disable; afterwards no longer managed
    sent, entries = _cycle(lab, ctx, lambda: _unassign(lab, ctx, simon["id"]))
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
    assert _ops(sent[0]) == [{"op": "Replace", "path": "active", "value": "False"}]
    assert _only(entries, simon)["provisioningAction"] == "disable"

    # re-assigned -> matched again (GET by userName), PATCH active true and the changed attributes; update
    sent, entries = _cycle(lab, ctx, lambda: _assign(lab, ctx, simon["id"], "Organizer"))
    assert [(e["method"], e["path"]) for e in sent] == [("GET", "/scim/v2/Users"), ("PATCH", me)]
    assert sent[0]["query"] == "filter=userName+eq+%22b.simon%40contoso.example%22"
    changed = {op["path"] for op in _ops(sent[1])}
    assert changed == {"active", "roles"}, _ops(sent[1])
    assert _only(entries, simon)["provisioningAction"] == "update"
    assert goto_scim(lab, ctx).find_user(simon["userPrincipalName"])["active"] is True

    # leaves the scoping filter -> PATCH active false; disable
    sent, entries = _cycle(lab, ctx, lambda: g.patch(users, {"department": "Finance"}))
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", me)]
    assert _ops(sent[0]) == [{"op": "Replace", "path": "active", "value": "False"}]
    assert _only(entries, simon)["provisioningAction"] == "disable"

    # ...and is no longer managed: deleting and purging it sends nothing
    sent, _ = _cycle(lab, ctx, lambda: (g.delete(users), g.delete(f"/directory/deletedItems/{simon['id']}")))
    assert sent == []

    # purge of a managed user -> DELETE; delete
    lee_target = goto_scim(lab, ctx).find_user(lee["userPrincipalName"])["id"]
    sent, entries = _cycle(lab, ctx, lambda: g.delete(f"/users/{lee['id']}"))
    assert _only(entries, lee)["provisioningAction"] == "disable"
    sent, entries = _cycle(lab, ctx, lambda: g.delete(f"/directory/deletedItems/{lee['id']}"))
    assert [(e["method"], e["path"]) for e in sent] == [("DELETE", f"/scim/v2/Users/{lee_target}")]
    assert _only(entries, lee)["provisioningAction"] == "delete"
    assert goto_scim(lab, ctx).find_user(lee["userPrincipalName"]) is None
