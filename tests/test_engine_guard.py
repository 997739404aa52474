"""Nothing inside a cycle escapes it (SPEC §3.7, issue 4): a target answering garbage fails the object
with ``…ServiceIncompatible`` and the cycle goes on; an error outside the per-object work fails the cycle,
never the clock advance."""
from __future__ import annotations

import pytest

from steps.failure_steps import LIST_RESPONSE, logs, person, run_now, scim_job, start, status

INCOMPATIBLE = "SystemForCrossDomainIdentityManagementServiceIncompatible"

GARBAGE = {
    "filter answered with HTML": ("GET", "/Users", 200, "<html><body>Welcome!</body></html>", "text/html"),
    "filter answered with truncated JSON": ("GET", "/Users", 200, '{"schemas":["' + LIST_RESPONSE + '"],"totalRes',
                                            "application/scim+json"),
    "Resources is not a list": ("GET", "/Users", 200, {"schemas": [LIST_RESPONSE], "totalResults": 1,
                                                       "Resources": {"id": "x", "userName": "b"}},
                                "application/scim+json"),
    "totalResults is a string": ("GET", "/Users", 200, {"schemas": [LIST_RESPONSE], "totalResults": "0",
                                                        "Resources": []}, "application/scim+json"),
    "a listed resource has a numeric id": ("GET", "/Users", 200, {"schemas": [LIST_RESPONSE], "totalResults": 1,
                                                                  "Resources": [{"id": 7, "userName": "b"}]},
                                           "application/scim+json"),
    "no schemas in the ListResponse": ("GET", "/Users", 200, {"totalResults": 0, "Resources": []},
                                       "application/json"),
    "create answered with a numeric id": ("POST", "/Users", 201, {"id": 42, "userName": "b"},
                                          "application/scim+json"),
    "create answered with HTML": ("POST", "/Users", 200, "<html>ok</html>", "text/html"),
    "create answered with an empty body": ("POST", "/Users", 201, "", "application/scim+json"),
}


@pytest.fixture
def two_users(lab, ctx, stub_target):
    scim_job(lab, ctx, base_url=f"{stub_target.url}/scim")
    first = person(lab, ctx, "B.Simon", role="User")
    second = person(lab, ctx, "A.Lee", role="User")
    start(lab, ctx)
    return first, second


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_fails_the_object_and_the_cycle_goes_on(lab, ctx, stub_target, two_users, case):
    method, path, code, body, content_type = GARBAGE[case]
    stub_target.answer(method, path, code, body, content_type, times=1)
    result = run_now(lab, ctx)
    assert result["state"] == "EntryLevelErrors", result
    first, second = two_users
    [failed] = logs(lab, ctx, **{"sourceIdentity/id": first["id"]})
    assert failed["provisioningStatusInfo"]["status"] == "failure"
    error = failed["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == INCOMPATIBLE, error
    assert "retried 0 times" in error["additionalDetails"]
    [created] = logs(lab, ctx, **{"sourceIdentity/id": second["id"]})
    assert (created["provisioningAction"], created["provisioningStatusInfo"]["status"]) == ("create", "success")
    execution = status(lab, ctx)["lastExecution"]
    assert execution["countEscrowed"] == 1 and execution["state"] == "EntryLevelErrors"
    # the target recovered: the escrowed object is retried and created in the next cycle
    assert run_now(lab, ctx)["state"] == "Succeeded"
    assert {r["userName"] for r in stub_target.resources.values()} == {first["userPrincipalName"],
                                                                       second["userPrincipalName"]}


def test_an_unforeseen_error_in_one_object_fails_only_that_object(lab, ctx, stub_target, two_users, monkeypatch):
    from simulator.entra.provisioning import engine

    first, second = two_users
    original = engine.compute_target

    def explode_for_first(mapping, source, **kw):
        if source.properties.get("id") == first["id"]:
            raise KeyError("surprise")
        return original(mapping, source, **kw)

    monkeypatch.setattr(engine, "compute_target", explode_for_first)
    assert run_now(lab, ctx)["state"] == "EntryLevelErrors"
    [failed] = logs(lab, ctx, **{"sourceIdentity/id": first["id"]})
    error = failed["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == INCOMPATIBLE and "KeyError" in error["reason"], error
    assert [r["userName"] for r in stub_target.resources.values()] == [second["userPrincipalName"]]


def test_an_error_outside_the_objects_fails_the_cycle_not_the_clock(lab, ctx, stub_target, two_users, monkeypatch):
    from simulator.entra.provisioning import engine

    def broken_import(self, initial, upto):
        raise RuntimeError("the change feed is unreadable")

    monkeypatch.setattr(engine.Engine, "_import", broken_import)
    resp = lab._admin("POST", "/clock/advance", base=lab.entra_url, json={"minutes": 0})
    assert resp.status_code == 200
    job_status = status(lab, ctx)
    assert job_status["lastExecution"]["state"] == "Failed", job_status
    assert "the change feed is unreadable" in job_status["lastExecution"]["error"]["message"]
    assert job_status["countSuccessiveCompleteFailures"] == 1
    assert job_status["quarantine"] is None
    monkeypatch.undo()
    # the schedule went on: the next cycle is due 40 minutes later and provisions both users
    lab.advance_clock(40)
    assert status(lab, ctx)["lastExecution"]["state"] == "Succeeded"
    assert len(stub_target.resources) == 2
