"""Steps (and the helpers the engine tests share) of the failure lifecycle: faults on GoToMeeting, escrow
and convergence, quarantine, restart scopes, accidental deletions, licenses, provision on demand.

Black-box like every step library: the admin acts through Graph, the portal and ``/_admin``; the steps
observe GoToMeeting through SCIM GETs and Entra through the job status, the provisioning logs, the lab
mailbox and the outbound journal.
"""
from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask, Response, request
from pytest_bdd import given, parsers, then, when

from fixtures.contracts import check
from simulator.core.server import LiveServer
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID
from simulator.entra.provisioning.probe import LIST_RESPONSE
from steps.provisioning_steps import (_add_app, _assign, _authorize, _create_user, _start, _unassign, app,
                                      goto_scim, graph, job, job_path, outbound, user_id)


# -- helpers (also used by tests/test_engine*.py, tests/test_quarantine*.py, tests/test_chaos*.py) -----
def gallery_job(lab, ctx) -> None:
    """The GoToMeeting gallery app with a job, authorized with the team administrator account."""
    _add_app(lab, ctx, "GoToMeeting", "GoToMeeting")
    ctx.remember(job_id=app(lab, ctx).create_job("gotomeeting")["id"])
    _authorize(lab, ctx, lab.goto_admin)


def scim_job(lab, ctx, dialect: str = "legacy", base_url: str | None = None) -> None:
    """The non-gallery SCIM app pointed at ``base_url`` (GoToMeeting by default) with a Secret Token."""
    _add_app(lab, ctx, NON_GALLERY_TEMPLATE_ID, "GoToMeeting (SCIM)")
    scim = app(lab, ctx)
    ctx.remember(job_id=scim.create_job("scim")["id"])
    scim.point_at(base_url or lab.scim_url, lab.static_scim_token(), dialect=dialect)


def map_role(lab, ctx, role: str = "organizer") -> None:
    """Give the non-gallery app's user mapping a constant GoToMeeting role (GoToMeeting refuses an active
    user without one): ``roles[primary eq "True"].value`` ← ``"<role>"``."""
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    schema.pop("@odata.context", None)
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"].append({
        "source": {"expression": f'"{role}"', "name": role, "type": "Constant", "parameters": []},
        "targetAttributeName": 'roles[primary eq "True"].value', "matchingPriority": 0, "flowType": "Always",
        "defaultValue": None, "flowBehavior": "FlowWhenChanged"})
    resp = graph(lab, ctx).request("PUT", job_path(ctx, "/schema"), json=schema)
    assert resp.status_code == 204, resp.text


def start(lab, ctx) -> None:
    _start(lab, ctx)


def run_now(lab, ctx) -> dict:
    """One cycle now (``POST /_admin/jobs/{id}/run``): the cycle's summary."""
    return app(lab, ctx).run_cycle()


def status(lab, ctx) -> dict:
    return job(lab, ctx)["status"]


def settings(lab, **values) -> dict:
    return lab.entra_admin("PUT", "/settings", json=values).json()


def fault(lab, **rule) -> dict:
    return lab._admin("POST", "/faults", json=rule).json()


def clear_faults(lab) -> None:
    lab._admin("DELETE", "/faults")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def minutes_since(start: datetime, value: str) -> float:
    return (parse_time(value) - start) / timedelta(minutes=1)


def seed_users(lab, ctx, count: int) -> list[dict]:
    """``count`` Faker users added to the tenant; their Graph objects (id, userPrincipalName...)."""
    before = {u["id"] for u in graph(lab, ctx).all_pages("/users", params={"$top": 999, "$select": "id"})}
    lab.entra_admin("POST", "/seed", json={"users": count})
    users = graph(lab, ctx).all_pages("/users", params={
        "$top": 999, "$select": "id,userPrincipalName,displayName,givenName,surname,mail,mailNickname,department"})
    return [u for u in users if u["id"] not in before]


def assign(lab, ctx, principal_id: str, role: str = "Organizer") -> dict:
    """Assign with a role (the Organizer by default); the scenario context records the assignment."""
    return _assign(lab, ctx, principal_id, role)


def unassign(lab, ctx, assignment: dict) -> None:
    """Remove one assignment (and the context's record of it)."""
    app(lab, ctx).unassign(assignment["id"])
    recorded = ctx.values.get("assignments", {}).get(assignment["principalId"], [])
    recorded[:] = [a for a in recorded if a["id"] != assignment["id"]]


def logs(lab, ctx, **filters) -> list[dict]:
    """Every provisioning log entry of the job (optionally filtered: ``cycleId=...``), contract-checked."""
    clauses = [f"jobId eq '{ctx['job_id']}'"] + [f"{k} eq '{v}'" for k, v in filters.items()]
    items = graph(lab, ctx).all_pages("/auditLogs/provisioning",
                                      params={"$filter": " and ".join(clauses), "$top": 999})
    for item in items:
        check("provisioning-object-summary", item)
    return items


def target_users(lab, ctx) -> list[dict]:
    """Every user in GoToMeeting (SCIM GETs, pages of 200)."""
    scim = goto_scim(lab, ctx)
    out, start_index = [], 1
    while True:
        body = scim.get("/Users", params={"startIndex": start_index, "count": 200}).json()
        out.extend(body.get("Resources", []))
        if not body.get("Resources") or start_index + len(body["Resources"]) > body["totalResults"]:
            return out
        start_index += len(body["Resources"])


def mailbox(lab) -> list[dict]:
    return lab.entra_admin("GET", "/notifications").json()["value"]


def person(lab, ctx, name: str, role: str | None = "Organizer", **changes) -> dict:
    """A tenant user named like the tutorial's ("B.Simon"), assigned with ``role`` unless None."""
    user = _create_user(lab, ctx, name)
    if changes:
        user = graph(lab, ctx).patch(f"/users/{user['id']}", changes) or user
    if role is not None:
        _assign(lab, ctx, user["id"], role)
    return user


# -- a target that answers what a test tells it -------------------------------------------------------
class StubTarget:
    """A minimal SCIM service over real HTTP whose answers a test can replace, garbage included.

    By default it keeps users and groups in memory and answers like a well-behaved SCIM service:
    filter queries (``eq`` on one attribute) with a ListResponse, creates with 201 and a string id,
    PATCH with 200, DELETE with 204. ``answer(method, path_regex, status, body, content_type, times)``
    overrides the next ``times`` matching requests (every one when ``times`` is None); ``requests``
    lists what arrived.
    """

    def __init__(self):
        self.app = Flask("stub-target")
        self._lock = threading.Lock()
        self.reset()

        @self.app.route("/<path:path>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        def _any(path):
            return self._handle("/" + path)

    def reset(self) -> None:
        with self._lock:
            self.overrides: list[dict] = []
            self.requests: list[dict] = []
            self.resources: dict[str, dict] = {}
            self._next = 0

    def answer(self, method: str, path: str, status: int = 200, body="", content_type: str = "application/scim+json",
               times: int | None = 1) -> None:
        with self._lock:
            self.overrides.append({"method": method, "path": re.compile(path), "status": status, "body": body,
                                   "content_type": content_type, "times": times})

    def _handle(self, path: str) -> Response:
        body = request.get_json(silent=True)
        with self._lock:
            self.requests.append({"method": request.method, "path": path, "query": request.query_string.decode(),
                                  "body": body})
            for rule in self.overrides:
                if rule["method"] in (request.method, "*") and rule["path"].search(path) and rule["times"] != 0:
                    if rule["times"] is not None:
                        rule["times"] -= 1
                    text = rule["body"] if isinstance(rule["body"], str) else json.dumps(rule["body"])
                    return Response(text, status=rule["status"], content_type=rule["content_type"])
            return self._scim(path, body)

    def _scim(self, path: str, body) -> Response:
        parts = [p for p in path.split("/") if p]
        kind = parts[-2] if len(parts) >= 2 and parts[-2] in ("Users", "Groups") else parts[-1]
        resource_id = parts[-1] if kind != parts[-1] else None
        if request.method == "GET" and resource_id is None:
            found = list(self.resources.values())
            match = re.match(r'^(\S+) eq "(.*)"$', request.args.get("filter", ""))
            if match:
                found = [r for r in found if str(r.get(match.group(1), "")).lower() == match.group(2).lower()]
            return _json({"schemas": [LIST_RESPONSE], "totalResults": len(found), "Resources": found})
        if request.method == "POST":
            self._next += 1
            created = {**(body or {}), "id": f"stub-{self._next}"}
            self.resources[created["id"]] = created
            return _json(created, 201)
        if resource_id not in self.resources:
            return _json({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404",
                          "detail": "not found"}, 404)
        if request.method == "DELETE":
            del self.resources[resource_id]
            return Response(status=204)
        return _json(self.resources[resource_id])

    def sent(self, method: str | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if method in (None, r["method"])]


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/scim+json")


@pytest.fixture(scope="session")
def _stub_server():
    stub = StubTarget()
    server = LiveServer(stub.app, name="stub-target").start()
    stub.url = server.url
    yield stub
    server.stop()


@pytest.fixture
def stub_target(_stub_server) -> StubTarget:
    """A fresh :class:`StubTarget` at ``stub_target.url`` (its SCIM base is ``{url}/scim``)."""
    _stub_server.reset()
    return _stub_server


# ====================================================================================================
# Gherkin steps of the failure lifecycle
# ====================================================================================================
SCIM_USERS = "^/scim/v2/Users"
#: Scenario minutes count from the lab's epoch (every reset starts the virtual clock there).
EPOCH_ISO = "2026-01-05T08:00:00Z"


def at_minute(minute: float) -> str:
    from simulator.core.clock import iso

    return iso(parse_time(EPOCH_ISO) + timedelta(minutes=minute))


def minute_of(value: str) -> float:
    return minutes_since(parse_time(EPOCH_ISO), value)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _upn(lab, name: str) -> str:
    return f"{name.lower()}@{lab.entra_config.tenant_domain}"


def _latest(lab, ctx, name: str) -> dict:
    found = logs(lab, ctx, **{"sourceIdentity/id": user_id(ctx, name)})
    assert found, f"no provisioning log entry for {name}"
    return found[-1]


# -- the tenant and the app ----------------------------------------------------------------------------
@given(parsers.parse('the users "{names}" are assigned to GoToMeeting with the role "{role}"'))
def _(lab, ctx, names, role):
    for name in _names(names):
        person(lab, ctx, name, role=role)


def change_user(lab, ctx, name: str, **properties) -> None:
    graph(lab, ctx).patch(f"/users/{user_id(ctx, name)}", properties)


@given(parsers.parse('the user principal name of "{name}" is changed to "{upn}"'))
@when(parsers.parse('the user principal name of "{name}" is changed to "{upn}"'))
def _(lab, ctx, name, upn):
    change_user(lab, ctx, name, userPrincipalName=upn)


@when(parsers.parse('the display name of "{name}" is changed to "{value}"'))
def _(lab, ctx, name, value):
    change_user(lab, ctx, name, displayName=value)


@given(parsers.parse('sign-in is blocked for "{name}"'))
def _(lab, ctx, name):
    change_user(lab, ctx, name, accountEnabled=False)


@when(parsers.parse('sign-in is allowed again for "{name}"'))
def _(lab, ctx, name):
    change_user(lab, ctx, name, accountEnabled=True)


@given(parsers.parse('the mail of "{name}" is cleared'))
def _(lab, ctx, name):
    change_user(lab, ctx, name, mail=None)


@when(parsers.parse('the users "{names}" are unassigned from GoToMeeting'))
def _(lab, ctx, names):
    for name in _names(names):
        _unassign(lab, ctx, user_id(ctx, name))


@given(parsers.parse("the accidental deletion threshold of the job is {count:d}"))
def _(lab, ctx, count):
    body = {"synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": str(count)}]}
    assert graph(lab, ctx).request("PATCH", job_path(ctx), json=body).status_code == 204
    assert {"name": "QuarantineTooManyDeletesThreshold", "value": str(count)} in job(lab, ctx)["synchronizationJobSettings"]


# -- lab settings --------------------------------------------------------------------------------------
@given("Entra honours Retry-After within the cycle")
def _(lab):
    settings(lab, tooManyRequestsMode="honorRetryAfter")


@given(parsers.parse("the escrow thresholds are lowered to {floor:d} failures and {percent:d} percent"))
def _(lab, floor, percent):
    settings(lab, escrowEvaluationFloor=floor, escrowProportionThreshold=percent / 100)


@given(parsers.parse("the total escrow threshold is lowered to {count:d} failures"))
@when(parsers.parse("the total escrow threshold is lowered to {count:d} failures"))
def _(lab, count):
    settings(lab, escrowNonReferenceThreshold=count)


# -- GoToMeeting misbehaves ------------------------------------------------------------------------------
@given(parsers.parse("GoToMeeting answers the next {count:d} SCIM {method} requests with status {status:d}"))
@when(parsers.parse("GoToMeeting answers the next {count:d} SCIM {method} requests with status {status:d}"))
def _(lab, count, method, status):
    fault(lab, method=method, path=SCIM_USERS, times=count, action="status", status=status)


@given(parsers.parse("GoToMeeting answers every SCIM {method} request with status {status:d}"))
@when(parsers.parse("GoToMeeting answers every SCIM {method} request with status {status:d}"))
def _(lab, method, status):
    fault(lab, method=method, path=SCIM_USERS, action="status", status=status)


@given(parsers.parse("GoToMeeting answers the next {count:d} SCIM {method} requests with 429 and Retry-After {seconds:d}"))
def _(lab, count, method, seconds):
    fault(lab, method=method, path=SCIM_USERS, times=count, action="status", status=429, retryAfter=seconds)


@given(parsers.parse("GoToMeeting stalls the next SCIM {method} request past Entra's timeout"))
def _(lab, method):
    settings(lab, targetTimeoutSeconds=0.3)
    fault(lab, method=method, path=SCIM_USERS, times=1, action="stall", stallSeconds=0.5)


@given(parsers.parse("GoToMeeting resets the connection of the next SCIM {method} request"))
def _(lab, method):
    fault(lab, method=method, path=SCIM_USERS, times=1, action="reset")


@given(parsers.parse("GoToMeeting answers the next SCIM {method} request with a malformed body"))
def _(lab, method):
    fault(lab, method=method, path=SCIM_USERS, times=1, action="malformed")


@given("GoToMeeting answers requests matching:")
@when("GoToMeeting answers requests matching:")
def _(lab, docstring):
    """Adds the fault rule written as a JSON object in the doc string under the step to the lab's
    GoToMeeting (``POST /_admin/faults``, the README's "Fault rules"): ``method``, a ``path`` regex, a
    ``query`` regex (searched in the URL-decoded query string), ``times``, ``probability`` and the action:
    ``status`` (an error in the SCIM envelope), ``answer`` (``status`` 200–599 with ``body`` as
    ``contentType``, default ``application/scim+json``; nothing is stored), ``reset``, ``stall``,
    ``malformed`` or ``delay``. The rule holds until the scenario ends or GoToMeeting recovers. For
    example ``{"method": "POST", "path": "^/scim/v2/Users$", "action": "answer", "status": 201, "body":
    {"userName": "x"}}`` answers every create 201 without an id and creates nothing."""
    try:
        rule = json.loads(docstring)
    except ValueError as exc:
        raise AssertionError(f"the doc string under the step is not JSON: {exc}") from None
    assert isinstance(rule, dict), f"the doc string under the step is not a JSON object: {docstring}"
    lab._admin("POST", "/faults", json=rule)  # a rule GoToMeeting refuses fails here with its 400 message


@when("GoToMeeting recovers")
def _(lab):
    clear_faults(lab)


@given(parsers.parse('the user "{user_name}" is deleted in GoToMeeting behind Entra\'s back'))
@when(parsers.parse('the user "{user_name}" is deleted in GoToMeeting behind Entra\'s back'))
def _(lab, ctx, user_name):
    found = goto_scim(lab, ctx).find_user(user_name)
    assert found, user_name
    assert goto_scim(lab, ctx).delete(f"/Users/{found['id']}").status_code == 204


@given(parsers.parse("GoToMeeting has {count:d} free organizer seats"))
@when(parsers.parse("GoToMeeting has {count:d} free organizer seats"))
def _(lab, count):
    lab.set_seats(lab.seats()["used"] + count)


@when(parsers.parse("the GoToMeeting admin buys {count:d} more seats"))
def _(lab, count):
    lab.set_seats(lab.seats()["total"] + count)


# -- the admin -------------------------------------------------------------------------------------------
@when("the admin restarts provisioning")
def _(lab, ctx):
    resp = graph(lab, ctx).request("POST", job_path(ctx, "/restart"))
    assert resp.status_code == 204, resp.text


@when(parsers.parse('the admin restarts provisioning with the reset scope "{scope}"'))
def _(lab, ctx, scope):
    ctx.remember(mark=lab.journal_mark())
    resp = graph(lab, ctx).request("POST", job_path(ctx, "/restart"), json={"criteria": {"resetScope": scope}})
    assert resp.status_code == 204, resp.text


@when("the admin turns provisioning off")
def _(lab, ctx):
    assert graph(lab, ctx).request("POST", job_path(ctx, "/pause")).status_code == 204


@when("the admin turns provisioning on again")
def _(lab, ctx):
    start(lab, ctx)


@given("the journal is marked")
@when("the journal is marked")
def _(lab, ctx):
    ctx.remember(failure_mark=lab.journal_mark())


@then("Entra sent no SCIM request since the journal was marked")
def _(lab, ctx):
    assert outbound(lab, ctx["failure_mark"]) == []


def edit_mapping(lab, ctx, target: str, expression: str) -> None:
    """Map ``target`` from ``expression`` in the job's schema (PUT schema: the job restarts)."""
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    schema.pop("@odata.context", None)
    mappings = [m for rule in schema["synchronizationRules"] for o in rule["objectMappings"]
                for m in o["attributeMappings"] if m["targetAttributeName"] == target]
    assert mappings, f"no mapping targets {target}"
    for mapping in mappings:
        mapping["source"] = {"expression": expression, "name": expression.strip("[]").split("(")[0],
                             "parameters": [], "type": "Attribute" if expression.startswith("[") else "Function"}
    resp = graph(lab, ctx).request("PUT", job_path(ctx, "/schema"), json=schema)
    assert resp.status_code == 204, resp.text


@given(parsers.parse('the mapping of "{target}" is changed to the expression "{expression}"'))
def _(lab, ctx, target, expression):
    edit_mapping(lab, ctx, target, expression.replace('\\"', '"'))


# -- the job and its quarantine --------------------------------------------------------------------------
@then(parsers.parse("the job is in quarantine since minute {began:d} with the next attempt at minute {nxt:d}"))
def _(lab, ctx, began, nxt):
    s = status(lab, ctx)
    assert s["code"] == "Quarantine", s
    q = s["quarantine"]
    assert (minute_of(q["seriesBegan"]), minute_of(q["nextAttempt"])) == (began, nxt), q


@then(parsers.parse("the quarantine was imposed {count:d} times, the last time at minute {minute:d}"))
def _(lab, ctx, count, minute):
    q = status(lab, ctx)["quarantine"]
    assert (q["seriesCount"], minute_of(q["currentBegan"])) == (count, minute), q


@then(parsers.parse('the quarantine error says "{text}"'))
def _(lab, ctx, text):
    q = status(lab, ctx)["quarantine"]
    assert text in q["error"]["message"], q


@then(parsers.parse("the last cycle ran at minute {minute:d}"))
def _(lab, ctx, minute):
    execution = status(lab, ctx)["lastExecution"]
    assert minute_of(execution["timeBegan"]) == minute, execution


@then(parsers.parse("the next cycle runs at minute {minute:d}"))
def _(lab, ctx, minute):
    before = status(lab, ctx)["lastExecution"]["activityIdentifier"]
    lab.advance_clock(minute - minute_of(lab.entra_admin("GET", "/clock").json()["now"]) - 1)
    assert status(lab, ctx)["lastExecution"]["activityIdentifier"] == before
    lab.advance_clock(1)
    execution = status(lab, ctx)["lastExecution"]
    assert execution["activityIdentifier"] != before and minute_of(execution["timeBegan"]) == minute, execution


@then("the job is out of quarantine")
def _(lab, ctx):
    s = status(lab, ctx)
    assert s["quarantine"] is None and s["code"] == "Active", s


@then("the job is disabled")
def _(lab, ctx):
    body = job(lab, ctx)
    assert body["schedule"]["state"] == "Disabled", body["schedule"]


@then("the job is paused with its escrows pruned")
def _(lab, ctx):
    body = job(lab, ctx)
    s = body["status"]
    assert (s["code"], body["schedule"]["state"], s["escrowsPruned"]) == ("Paused", "Paused", True), s
    assert s["lastExecution"]["countEscrowed"] == 0 and s["quarantine"] is None, s


@then(parsers.parse("the job's last execution escrowed {count:d} objects"))
def _(lab, ctx, count):
    execution = status(lab, ctx)["lastExecution"]
    assert execution["countEscrowed"] == count, execution


@then(parsers.parse('the lab mailbox holds {count:d} quarantine notification for reason "{reason}"'))
@then(parsers.parse('the lab mailbox holds {count:d} quarantine notifications for reason "{reason}"'))
def _(lab, ctx, count, reason):
    mail = [m for m in mailbox(lab) if m["jobId"] == ctx["job_id"] and m["reason"] == reason]
    assert len(mail) == count, mailbox(lab)
    for message in mail:
        assert message["to"] == f"admin@{lab.entra_config.tenant_domain}" and reason in message["body"]


@then(parsers.parse("the lab mailbox holds {count:d} notifications"))
def _(lab, ctx, count):
    assert len(mailbox(lab)) == count, mailbox(lab)


# -- the logs ---------------------------------------------------------------------------------------------
@then(parsers.parse('the latest failure of "{name}" has the code "{code}" and was retried {times:d} times'))
def _(lab, ctx, name, code, times):
    failures = [e for e in logs(lab, ctx, **{"sourceIdentity/id": user_id(ctx, name)})
                if e["provisioningStatusInfo"]["status"] == "failure"]
    assert failures, f"no failure logged for {name}"
    error = failures[-1]["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == code, error
    assert re.fullmatch(rf"This operation was retried {times} times\. It will be retried again after this date: "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", error["additionalDetails"]), error


@then(parsers.parse('the latest failure of "{name}" will be retried at minute {minute:d}'))
def _(lab, ctx, name, minute):
    failures = [e for e in logs(lab, ctx, **{"sourceIdentity/id": user_id(ctx, name)})
                if e["provisioningStatusInfo"]["status"] == "failure"]
    details = failures[-1]["provisioningStatusInfo"]["errorInformation"]["additionalDetails"]
    assert details.endswith(f"after this date: {at_minute(minute)}"), details


@then(parsers.parse('the latest failure of "{name}" quotes "{text}"'))
def _(lab, ctx, name, text):
    failures = [e for e in logs(lab, ctx, **{"sourceIdentity/id": user_id(ctx, name)})
                if e["provisioningStatusInfo"]["status"] == "failure"]
    reason = failures[-1]["provisioningStatusInfo"]["errorInformation"]["reason"]
    assert text in reason, reason


@then(parsers.parse('the log entry of "{name}" shows a retry after {seconds:d} seconds'))
def _(lab, ctx, name, seconds):
    entry = _latest(lab, ctx, name)
    retries = [s for s in entry["provisioningSteps"] if s["status"] == "warning"]
    assert retries and retries[0]["details"]["RetryAfter"] == str(seconds), entry["provisioningSteps"]


@then(parsers.parse('the provisioning logs of "{names}" say "{action}" with status "{state}"'))
def _(lab, ctx, names, action, state):
    for name in _names(names):
        entry = _latest(lab, ctx, name)
        assert (entry["provisioningAction"], entry["provisioningStatusInfo"]["status"]) == (action, state), entry


@then(parsers.parse('every user was looked at again without a request ("{reason}")'))
def _(lab, ctx, reason):
    cycle = status(lab, ctx)["lastExecution"]["activityIdentifier"]
    entries = logs(lab, ctx, cycleId=cycle)
    assert {e["sourceIdentity"]["id"] for e in entries} == {u["id"] for u in ctx.values.get("users", {}).values()}
    assert all(e["provisioningSteps"][-1]["details"].get("SkipReason") == reason for e in entries), entries
    assert outbound(lab, ctx["mark"]) == []


@then(parsers.parse('Entra matched "{names}" again by userName'))
def _(lab, ctx, names):
    queries = [e["query"] for e in outbound(lab, ctx["mark"]) if e["method"] == "GET"]
    for name in _names(names):
        assert f"filter=userName+eq+%22{_upn(lab, name).replace('@', '%40')}%22" in queries, queries


# -- GoToMeeting's side -------------------------------------------------------------------------------------
@then(parsers.parse('GoToMeeting has the users "{names}" as active organizers'))
def _(lab, ctx, names):
    for name in _names(names):
        found = goto_scim(lab, ctx).find_user(_upn(lab, name))
        assert found and found["active"] is True, found
        assert [r["value"] for r in found.get("roles", [])] == ["organizer"], found


@then(parsers.parse('GoToMeeting shows the users "{names}" as {state}'))
def _(lab, ctx, names, state):
    for name in _names(names):
        found = goto_scim(lab, ctx).find_user(_upn(lab, name))
        assert found and found["active"] is (state == "active"), (name, found)


@then(parsers.parse("GoToMeeting has {count:d} free organizer seats"))
def _(lab, count):
    assert lab.seats()["free"] == count, lab.seats()


# -- provision on demand ------------------------------------------------------------------------------------
def provision_on_demand(lab, ctx, object_id: str, object_type: str = "User"):
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    rule_id = schema["synchronizationRules"][0]["id"]
    body = {"parameters": [{"ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": object_type}]}]}
    resp = graph(lab, ctx).request("POST", job_path(ctx, "/provisionOnDemand"), json=body)
    ctx.remember(on_demand=resp)
    return resp


def _on_demand(ctx) -> tuple[dict, dict]:
    resp = ctx["on_demand"]
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"key", "value"} and isinstance(body["key"], str) and isinstance(body["value"], str), body
    return json.loads(body["key"]), json.loads(body["value"])


@when(parsers.parse('the admin provisions "{name}" on demand'))
def _(lab, ctx, name):
    provision_on_demand(lab, ctx, user_id(ctx, name))


@when(parsers.parse('the admin provisions the group "{name}" on demand'))
def _(lab, ctx, name):
    provision_on_demand(lab, ctx, ctx["groups"][name]["id"], "Group")


@when(parsers.parse('the admin provisions "{name}" on demand {count:d} times'))
def _(lab, ctx, name, count):
    ctx.remember(on_demand_all=[provision_on_demand(lab, ctx, user_id(ctx, name)) for _ in range(count)])


@when(parsers.parse("{seconds:d} virtual seconds pass"))
def _(lab, seconds):
    lab.entra_admin("POST", "/clock/advance", json={"seconds": seconds})


@given(parsers.parse('the group "{group}" has {count:d} members'))
def _(lab, ctx, group, count):
    from steps.provisioning_steps import _add_member, _group

    g = _group(lab, ctx, group)
    for index in range(count):
        member = person(lab, ctx, f"M{index}.Ember", role=None)
        _add_member(lab, ctx, g, member["id"])


@then(parsers.parse('the on-demand result is "{result}" with the action "{action}"'))
def _(ctx, result, action):
    outcome, _ = _on_demand(ctx)
    assert (outcome["result"], outcome["action"]) == (result, action), outcome


@then(parsers.parse('the on-demand details list the steps "{names}"'))
def _(ctx, names):
    _, details = _on_demand(ctx)
    assert [s["name"] for s in details["provisioningSteps"]] == _names(names), details["provisioningSteps"]


@then(parsers.parse('the on-demand details show "{attribute}" set to "{value}"'))
def _(ctx, attribute, value):
    _, details = _on_demand(ctx)
    assert {p["displayName"]: p["newValue"] for p in details["modifiedProperties"]}.get(attribute) == value, details


@then(parsers.parse('the on-demand details give the skip reason "{reason}"'))
def _(ctx, reason):
    _, details = _on_demand(ctx)
    assert reason in [s["details"].get("SkipReason") for s in details["provisioningSteps"]], details


@then(parsers.parse("the on-demand details hold {count:d} log entries"))
def _(ctx, count):
    _, details = _on_demand(ctx)
    assert len(details["entries"]) == count, details["entries"]
    for entry in details["entries"]:
        check("provisioning-object-summary", entry)


@then(parsers.parse('provision on demand is refused with {status:d} and "{text}"'))
def _(ctx, status, text):
    resp = ctx["on_demand"]
    assert resp.status_code == status and text in resp.json()["error"]["message"], resp.text


@then(parsers.parse("the first {ok:d} on-demand calls succeed and the next one answers 429 with Retry-After"))
def _(ctx, ok):
    answers = ctx["on_demand_all"]
    assert [r.status_code for r in answers] == [200] * ok + [429] * (len(answers) - ok), [r.text for r in answers]
    refused = answers[ok]
    assert int(refused.headers["Retry-After"]) > 0 and refused.json()["error"]["code"] == "TooManyRequests"


@then(parsers.parse("no provisioning log entry is later than minute {minute:d}"))
def _(lab, ctx, minute):
    later = graph(lab, ctx).all_pages("/auditLogs/provisioning", params={
        "$filter": f"jobId eq '{ctx['job_id']}' and activityDateTime gt {at_minute(minute)}"})
    assert later == [], [(e["activityDateTime"], e["sourceIdentity"]["displayName"]) for e in later]


@then("the job has written no provisioning log entry")
def _(lab, ctx):
    assert logs(lab, ctx) == []
