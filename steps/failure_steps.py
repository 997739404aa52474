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
from steps.provisioning_steps import (_add_app, _assign, _authorize, _create_user, _start, goto_scim, graph, job,
                                      job_path, outbound, role_id, sync_path, user_id)

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

SCIM_TEMPLATE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"


# -- helpers (also used by tests/test_engine*.py, tests/test_quarantine*.py, tests/test_chaos*.py) -----
def gallery_job(lab, ctx) -> None:
    """The GoToMeeting gallery app with a job, authorized with the team administrator account."""
    _add_app(lab, ctx, "GoToMeeting", "GoToMeeting")
    created = graph(lab, ctx).post(sync_path(ctx, "/jobs"), {"templateId": "gotomeeting"})
    ctx.remember(job_id=created["id"])
    _authorize(lab, ctx, lab.goto_admin)


def scim_job(lab, ctx, dialect: str = "legacy", base_url: str | None = None) -> None:
    """The non-gallery SCIM app pointed at ``base_url`` (GoToMeeting by default) with a Secret Token."""
    g = graph(lab, ctx)
    template = next(t for t in g.get("/applicationTemplates")["value"] if t["id"] == SCIM_TEMPLATE)
    _add_app(lab, ctx, template["displayName"], "GoToMeeting (SCIM)")
    created = g.post(sync_path(ctx, "/jobs"), {"templateId": "scim"})
    ctx.remember(job_id=created["id"])
    url = (base_url or lab.scim_url) + ("?aadOptscim062020" if dialect == "aadOptscim062020" else "")
    g.put(sync_path(ctx, "/secrets"), {"value": [{"key": "BaseAddress", "value": url},
                                                  {"key": "SecretToken", "value": lab.static_scim_token()}]})


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
    return lab.entra_admin("POST", f"/jobs/{ctx['job_id']}/run").json()


def status(lab, ctx) -> dict:
    return job(lab, ctx)["status"]


def journal_mark(lab) -> int:
    return lab.entra_admin("GET", "/journal", params={"limit": 1}).json()["lastSeq"]


def settings(lab, **values) -> dict:
    return lab.entra_admin("PUT", "/settings", json=values).json()


def fault(lab, **rule) -> dict:
    return lab._admin("POST", "/faults", json=rule).json()


def clear_faults(lab) -> None:
    lab._admin("DELETE", "/faults")


def now(lab) -> datetime:
    return parse_time(lab.entra_admin("GET", "/clock").json()["now"])


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
    sp_id = ctx["sp"]["id"]
    return graph(lab, ctx).post(f"/servicePrincipals/{sp_id}/appRoleAssignedTo",
                                {"principalId": principal_id, "resourceId": sp_id, "appRoleId": role_id(ctx, role)})


def unassign(lab, ctx, assignment: dict) -> None:
    graph(lab, ctx).delete(f"/servicePrincipals/{ctx['sp']['id']}/appRoleAssignedTo/{assignment['id']}")


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
