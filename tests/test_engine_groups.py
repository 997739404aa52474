"""Groups with the non-gallery ``scim`` template (SPEC §3.7 Export): an assigned group is looked up with
``excludedAttributes=members``, created empty with Microsoft's group URN, then its members are PATCHed
(several in one request); removed members go in one ``Remove`` with a value array (legacy) or one
``members[value eq "…"]`` remove each (aadOptscim062020); an unassigned group is deleted."""
from __future__ import annotations

import pytest

from steps.failure_steps import logs, map_role, outbound, person, run_now, scim_job, start
from steps.provisioning_steps import _assign, _group, _unassign, goto_scim, graph

MICROSOFT_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _sent(lab, mark: int) -> list[tuple[str, str, str]]:
    return [(e["method"], e["path"].split("/scim/v2")[1], e["query"]) for e in outbound(lab, mark)]


def _goto_group(lab, ctx, name: str) -> dict | None:
    found = goto_scim(lab, ctx).get("/Groups", params={"filter": f'displayName eq "{name}"'}).json()["Resources"]
    return found[0] if found else None


def _user_target(lab, ctx, name: str) -> str:
    return goto_scim(lab, ctx).find_user(f"{name.lower()}@{lab.entra_config.tenant_domain}")["id"]


@pytest.mark.parametrize("dialect", ["legacy", "aadOptscim062020"])
def test_a_group_is_created_empty_then_filled_then_trimmed_then_deleted(lab, ctx, dialect):
    scim_job(lab, ctx, dialect)
    map_role(lab, ctx)
    people = [person(lab, ctx, name, role=None) for name in ("B.Simon", "A.Lee", "C.Ole")]
    sales = _group(lab, ctx, "Sales")
    for user in people:
        graph(lab, ctx).post(f"/groups/{sales['id']}/members/$ref",
                             {"@odata.id": f"{lab.graph_url}/directoryObjects/{user['id']}"})
    _assign(lab, ctx, sales["id"], "User")
    start(lab, ctx)
    mark = lab.journal_mark()
    assert run_now(lab, ctx)["state"] == "Succeeded"

    sent = outbound(lab, mark)
    group_requests = [e for e in sent if "/Groups" in e["path"]]
    lookup, create, fill = group_requests
    assert (lookup["method"], lookup["query"]) == ("GET", "excludedAttributes=members&filter=displayName+eq+%22Sales%22")
    assert create["method"] == "POST" and create["body"]["schemas"] == [CORE_GROUP, MICROSOFT_GROUP]
    assert create["body"]["displayName"] == "Sales" and create["body"]["externalId"] == sales["id"]
    assert "members" not in create["body"]
    assert sent.index(create) > max(i for i, e in enumerate(sent) if e["method"] == "POST" and "/Users" in e["path"])
    ids = {name: _user_target(lab, ctx, name) for name in ("B.Simon", "A.Lee", "C.Ole")}
    op = "Add" if dialect == "legacy" else "add"
    assert fill["method"] == "PATCH" and fill["body"]["Operations"] == [
        {"op": op, "path": "members", "value": [{"value": ids[n]} for n in ("B.Simon", "A.Lee", "C.Ole")]}]
    target = _goto_group(lab, ctx, "Sales")
    assert sorted(m["value"] for m in target["members"]) == sorted(ids.values())
    [entry] = logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})
    assert (entry["provisioningAction"], entry["sourceIdentity"]["identityType"]) == ("create", "Group")

    # two members leave the group: each is disabled, and the group loses both in one request
    for user in people[:2]:
        graph(lab, ctx).delete(f"/groups/{sales['id']}/members/{user['id']}/$ref")
    mark = lab.journal_mark()
    lab.advance_clock(40)
    patches = [e for e in outbound(lab, mark) if e["method"] == "PATCH" and "/Groups/" in e["path"]]
    assert len(patches) == 1
    removed = [ids["B.Simon"], ids["A.Lee"]]
    if dialect == "legacy":
        assert patches[0]["body"]["Operations"] == [
            {"op": "Remove", "path": "members", "value": [{"value": i} for i in removed]}]
    else:
        assert patches[0]["body"]["Operations"] == [
            {"op": "remove", "path": f'members[value eq "{i}"]'} for i in removed]
    assert [m["value"] for m in _goto_group(lab, ctx, "Sales")["members"]] == [ids["C.Ole"]]
    for name in ("B.Simon", "A.Lee"):
        assert goto_scim(lab, ctx).find_user(f"{name.lower()}@{lab.entra_config.tenant_domain}")["active"] is False
    update = logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})[-1]
    assert update["provisioningAction"] == "update"
    assert update["modifiedProperties"] == [{"displayName": "members", "oldValue": ", ".join(removed),
                                             "newValue": None}]

    # the group is unassigned: it is deleted, its last member disabled
    _unassign(lab, ctx, sales["id"])
    mark = lab.journal_mark()
    lab.advance_clock(40)
    assert ("DELETE", f"/Groups/{target['id']}", "") in _sent(lab, mark)
    assert _goto_group(lab, ctx, "Sales") is None
    assert goto_scim(lab, ctx).find_user(f"c.ole@{lab.entra_config.tenant_domain}")["active"] is False
    assert logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})[-1]["provisioningAction"] == "delete"


def started_with_sales(lab, ctx) -> tuple[dict, dict]:
    """A SCIM app whose job is started, with the group Sales (member: B.Simon) assigned as User."""
    scim_job(lab, ctx)
    map_role(lab, ctx)
    simon = person(lab, ctx, "B.Simon", role=None)
    sales = _group(lab, ctx, "Sales")
    graph(lab, ctx).post(f"/groups/{sales['id']}/members/$ref",
                         {"@odata.id": f"{lab.graph_url}/directoryObjects/{simon['id']}"})
    _assign(lab, ctx, sales["id"], "User")
    start(lab, ctx)
    return simon, sales


def test_an_unchanged_group_is_a_redundant_export_and_a_new_member_is_added(lab, ctx):
    simon, sales = started_with_sales(lab, ctx)
    run_now(lab, ctx)
    lee = person(lab, ctx, "A.Lee", role=None)
    graph(lab, ctx).post(f"/groups/{sales['id']}/members/$ref",
                         {"@odata.id": f"{lab.graph_url}/directoryObjects/{lee['id']}"})
    mark = lab.journal_mark()
    lab.advance_clock(40)
    lee_id = _user_target(lab, ctx, "A.Lee")
    sent = _sent(lab, mark)
    assert sent[-1][:2] == ("PATCH", f"/Groups/{_goto_group(lab, ctx, 'Sales')['id']}")
    assert len(_goto_group(lab, ctx, "Sales")["members"]) == 2 and lee_id
    graph(lab, ctx).patch(f"/users/{simon['id']}", {"jobTitle": "Account Executive"})
    mark = lab.journal_mark()
    lab.advance_clock(40)
    assert [m for m, p, _ in _sent(lab, mark) if "/Groups" in p] == []
    entry = logs(lab, ctx, **{"sourceIdentity/id": sales["id"]})[-1]
    assert entry["provisioningStatusInfo"]["status"] == "skipped"
    assert entry["provisioningSteps"][-1]["details"] == {"SkipReason": "RedundantExport"}
