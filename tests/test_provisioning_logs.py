"""``GET /v1.0/auditLogs/provisioning`` (SPEC §3.8): the full provisioningObjectSummary shape, every
``$filter`` the SPEC lists, ``$top``, ``$orderby activityDateTime desc`` and ``@odata.nextLink`` paging,
skip reasons with their texts, error codes and reasons quoting the target's answer."""
from __future__ import annotations

import pytest
import requests

from fixtures.contracts import check
from simulator.entra.provisioning.engine import NOT_ASSIGNED, NOT_ENTITLED
from steps.failure_steps import fault, gallery_job, logs, person, run_now, start, unassign
from steps.provisioning_steps import goto_scim, graph

LOGS = "/auditLogs/provisioning"


@pytest.fixture
def story(lab, ctx):
    """Three cycles: the initial one (a create refused with 409, a create, two skips), an update and the
    retried create, then a disable."""
    gallery_job(lab, ctx)
    simon = person(lab, ctx, "B.Simon", role="Organizer")
    lee = person(lab, ctx, "A.Lee", role="Manager")
    lone = person(lab, ctx, "U.Nassigned", role=None)
    default = person(lab, ctx, "D.Efault", role="Default Access")
    fault(lab, method="POST", path="^/scim/v2/Users$", times=1, action="status", status=409)
    start(lab, ctx)
    cycles = [run_now(lab, ctx)["cycleId"]]
    graph(lab, ctx).patch(f"/users/{lee['id']}", {"displayName": "Alex Lee"})
    lab.advance_clock(40)
    cycles.append(logs(lab, ctx, **{"sourceIdentity/id": lee["id"]})[-1]["cycleId"])
    unassign(lab, ctx, ctx["assignments"][lee["id"]][0])
    lab.advance_clock(40)
    cycles.append(logs(lab, ctx, **{"sourceIdentity/id": lee["id"]})[-1]["cycleId"])
    return {"simon": simon, "lee": lee, "lone": lone, "default": default, "cycles": cycles}


def _entry(lab, ctx, user: dict, cycle: str) -> dict:
    [entry] = logs(lab, ctx, **{"sourceIdentity/id": user["id"], "cycleId": cycle})
    return entry


def _query(lab, ctx, **params) -> dict:
    body = graph(lab, ctx).get(LOGS, params=params)
    for item in body["value"]:
        check("provisioning-object-summary", item)
    return body


def test_every_entry_has_the_full_shape(lab, ctx, story):
    entries = logs(lab, ctx)
    assert len(entries) == 7, [(e["sourceIdentity"]["displayName"], e["provisioningAction"]) for e in entries]
    sp = ctx["sp"]
    for entry in entries:
        assert entry["jobId"] == ctx["job_id"] and entry["tenantId"] == lab.tenant_id
        assert entry["servicePrincipal"] == {"id": sp["id"], "displayName": "GoToMeeting"}
        assert entry["initiatedBy"]["displayName"] == "Azure AD Provisioning Service"
        assert entry["sourceSystem"]["displayName"] == "Azure Active Directory"
        assert entry["targetSystem"]["displayName"] == "GoToMeeting"
        assert entry["sourceIdentity"]["identityType"] == "User"
        assert isinstance(entry["durationInMilliseconds"], int)
        assert entry["provisioningSteps"][0]["name"] == "EntryImport"
        assert entry["cycleId"] in story["cycles"] and entry["changeId"] and entry["id"]
    assert len({e["id"] for e in entries}) == 7


def test_a_create_an_update_and_a_disable(lab, ctx, story):
    lee, (first, second, third) = story["lee"], story["cycles"]
    target_id = goto_scim(lab, ctx).find_user(lee["userPrincipalName"])["id"]
    created = _entry(lab, ctx, lee, first)
    assert (created["provisioningAction"], created["provisioningStatusInfo"]["status"]) == ("create", "success")
    assert created["targetIdentity"]["id"] == target_id
    assert [s["name"] for s in created["provisioningSteps"]] == [
        "EntryImport", "EntrySynchronizationScoping", "EntryImportMatching", "EntryExportAdd"]
    assert {p["displayName"]: p["newValue"] for p in created["modifiedProperties"]}["roles[primary eq \"True\"].value"] \
        == "manager"
    updated = _entry(lab, ctx, lee, second)
    assert updated["provisioningAction"] == "update"
    assert updated["modifiedProperties"] == [{"displayName": "displayName", "oldValue": "A.Lee", "newValue": "Alex Lee"}]
    assert updated["provisioningSteps"][-1]["name"] == "EntryExportUpdate"
    disabled = _entry(lab, ctx, lee, third)
    assert disabled["provisioningAction"] == "disable"
    assert disabled["modifiedProperties"] == [{"displayName": "active", "oldValue": "True", "newValue": "False"}]


def test_skip_reasons_carry_their_texts(lab, ctx, story):
    first = story["cycles"][0]
    for user, text in ((story["lone"], NOT_ASSIGNED), (story["default"], NOT_ENTITLED)):
        entry = _entry(lab, ctx, user, first)
        assert (entry["provisioningAction"], entry["provisioningStatusInfo"]["status"]) == ("other", "skipped")
        scoping = entry["provisioningSteps"][-1]
        assert scoping["name"] == "EntrySynchronizationScoping" and scoping["status"] == "skipped"
        assert scoping["description"] == text and scoping["details"] == {"SkipReason": "NotEffectivelyEntitled"}
        assert entry["provisioningStatusInfo"]["errorInformation"]["reason"] == text


def test_a_failure_quotes_the_targets_answer_and_is_retried(lab, ctx, story):
    simon, (first, second, _) = story["simon"], story["cycles"]
    failed = _entry(lab, ctx, simon, first)
    assert (failed["provisioningAction"], failed["provisioningStatusInfo"]["status"]) == ("create", "failure")
    error = failed["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "GoToMeetingEntryConflict"
    assert error["reason"].startswith("StatusCode: Conflict\nMessage: ")
    assert "\nWeb Response: {" in error["reason"] and "Injected fault" in error["reason"]
    assert error["additionalDetails"] == ("This operation was retried 0 times. It will be retried again after this "
                                          "date: 2026-01-05T08:40:00Z")
    assert failed["provisioningSteps"][-1]["name"] == "EntryExportAdd"
    assert failed["provisioningSteps"][-1]["status"] == "failure"
    retried = _entry(lab, ctx, simon, second)
    assert (retried["provisioningAction"], retried["provisioningStatusInfo"]["status"]) == ("create", "success")


def test_every_filter_of_the_spec(lab, ctx, story):
    lee, (first, second, third) = story["lee"], story["cycles"]
    target_id = goto_scim(lab, ctx).find_user(lee["userPrincipalName"])["id"]
    times = {c: logs(lab, ctx, cycleId=c)[0]["activityDateTime"] for c in story["cycles"]}
    expectations = {
        f"jobId eq '{ctx['job_id']}'": 7,
        f"cycleId eq '{first}'": 4,
        f"servicePrincipal/id eq '{ctx['sp']['id']}'": 7,
        f"sourceIdentity/id eq '{lee['id']}'": 3,
        f"targetIdentity/id eq '{target_id}'": 3,
        "provisioningAction eq 'create'": 3,
        "provisioningAction eq 'CREATE'": 3,
        "provisioningAction eq 'Disable'": 1,
        "provisioningStatusInfo/status eq 'skipped'": 2,
        "provisioningStatusInfo/status eq 'failure'": 1,
        f"activityDateTime gt {times[first]}": 3,
        f"activityDateTime lt {times[second]}": 4,
        f"activityDateTime gt {times[first]} and activityDateTime lt {times[third]}": 2,
        f"sourceIdentity/id eq '{lee['id']}' and provisioningAction eq 'update'": 1,
    }
    for expression, count in expectations.items():
        assert len(_query(lab, ctx, **{"$filter": expression})["value"]) == count, expression


def test_top_paging_and_ordering(lab, ctx, story):
    first_page = _query(lab, ctx, **{"$top": 3})
    assert len(first_page["value"]) == 3 and "@odata.nextLink" in first_page
    seen, url = [], None
    body = first_page
    while True:
        seen.extend(item["id"] for item in body["value"])
        url = body.get("@odata.nextLink")
        if not url:
            break
        assert "$skiptoken" in url
        body = graph(lab, ctx).get(url)
    assert len(seen) == len(set(seen)) == 7
    newest_first = _query(lab, ctx, **{"$orderby": "activityDateTime desc"})["value"]
    stamps = [e["activityDateTime"] for e in newest_first]
    assert stamps == sorted(stamps, reverse=True) and newest_first[0]["cycleId"] == story["cycles"][2]
    oldest_first = _query(lab, ctx, **{"$orderby": "activityDateTime"})["value"]
    assert oldest_first[0]["cycleId"] == story["cycles"][0]


def test_one_entry_by_id_and_bad_queries(lab, ctx, story):
    entry = logs(lab, ctx)[0]
    assert graph(lab, ctx).get(f"{LOGS}/{entry['id']}")["id"] == entry["id"]
    assert graph(lab, ctx).request("GET", f"{LOGS}/not-an-entry").status_code == 404
    for params in ({"$filter": "provisioningAction eq"}, {"$filter": "nosuchProperty eq 'x'"}, {"$top": "-1"},
                   {"$orderby": "jobId desc"}, {"$select": "id"}):
        assert graph(lab, ctx).request("GET", LOGS, params=params).status_code == 400, params


def test_log_retention_keeps_the_newest_entries(lab, ctx, story):
    """The ``logRetention`` lab setting bounds the logs: lowering it drops the oldest entries at once,
    and a reset brings the default back."""
    newest = [e["id"] for e in logs(lab, ctx)][-3:]
    for bad in (0, -1, "3", 2.5, True):
        resp = requests.put(f"{lab.entra_url}/_admin/settings", json={"logRetention": bad}, timeout=30)
        assert resp.status_code == 400, bad
    assert len(logs(lab, ctx)) == 7
    lab.entra_admin("PUT", "/settings", json={"logRetention": 3})
    assert [e["id"] for e in logs(lab, ctx)] == newest
    graph(lab, ctx).patch(f"/users/{story['simon']['id']}", {"displayName": "Brit Simon"})
    lab.advance_clock(40)  # one more cycle: its entry pushes the oldest kept one out
    kept = logs(lab, ctx)
    assert [e["id"] for e in kept[:2]] == newest[1:] and kept[2]["sourceIdentity"]["id"] == story["simon"]["id"]
    # an entry that is no longer kept is not found by its id either; a kept one is
    assert graph(lab, ctx).request("GET", f"{LOGS}/{newest[0]}").status_code == 404
    assert graph(lab, ctx).get(f"{LOGS}/{kept[0]['id']}")["id"] == kept[0]["id"]
    lab.reset()
    assert lab.entra_admin("GET", "/settings").json()["logRetention"] == 200_000
