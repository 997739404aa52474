"""Steps of the provisioning story, phrased the way the tutorial reads.

Black-box: the admin acts through Graph (app from the gallery, users, groups, assignments, the
synchronization API), the portal's Authorize popup (a browser-like ``requests`` session) and ``/_admin``
(the clock); the steps observe GoToMeeting through SCIM GETs, and Entra through Graph (job status,
provisioning logs) and its outbound journal (what Entra sent).
"""
from __future__ import annotations

import json

import requests
from pytest_bdd import given, parsers, then, when

from fixtures.clients import ScimClient
from fixtures.contracts import check
from simulator.client import App, Graph, Page
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID

from .rules import checks

DEFAULT_ACCESS = "Default Access"
PASSWORD = "Lab-Passw0rd!2026"


# -- helpers ---------------------------------------------------------------------------------------
def graph(lab, ctx) -> Graph:
    """The lab client's Graph (every error answer checked against the Graph error contract)."""
    return lab.client.graph


def app(lab, ctx) -> App:
    """The scenario's enterprise app and its job, as the lab client drives them."""
    return App(lab.client, ctx["sp"], ctx.values.get("job_id"))


def goto_scim(lab, ctx) -> ScimClient:
    if "goto_scim" not in ctx.values:
        ctx.remember(goto_scim=ScimClient(lab.scim_url, lab.static_scim_token()))
    return ctx["goto_scim"]


def upn_of(name: str, lab) -> str:
    return f"{name.lower().replace(' ', '.')}@{lab.entra_config.tenant_domain}"


def sync_path(ctx, suffix: str = "") -> str:
    return f"/servicePrincipals/{ctx['sp']['id']}/synchronization{suffix}"


def job_path(ctx, suffix: str = "") -> str:
    return sync_path(ctx, f"/jobs/{ctx['job_id']}{suffix}")


def job(lab, ctx) -> dict:
    body = graph(lab, ctx).get(job_path(ctx))
    check("graph-sync-job", body)
    return body


def user_id(ctx, name: str) -> str:
    return ctx.values.setdefault("users", {})[name]["id"]


def role_id(ctx, role: str) -> str:
    roles = ctx["roles"]
    assert role in roles, f"the app has no role {role!r}; it has {sorted(roles)}"
    return roles[role]


def logs_for(lab, ctx, name: str) -> list[dict]:
    uid = ctx.values.get("users", {}).get(name, {}).get("id") or ctx.values.get("groups", {}).get(name, {}).get("id")
    assert uid, f"no user or group {name!r} in this scenario"
    items = graph(lab, ctx).all_pages("/auditLogs/provisioning",
                                      params={"$filter": f"sourceIdentity/id eq '{uid}'"})
    for item in items:
        check("provisioning-object-summary", item)
    return items


def outbound(lab, since: int = 0, path: str = "/scim/") -> list[dict]:
    return [e for e in lab.client.outbound(since) if path in e["path"]]


def advance(lab, minutes: float) -> None:
    lab.client.advance(minutes)


# -- the enterprise app ----------------------------------------------------------------------------
def _add_app(lab, ctx, template: str, display_name: str) -> None:
    """An enterprise app from an application template (its display name or id)."""
    added = lab.client.add_app(template, display_name)
    ctx.remember(sp=added.sp, roles=added.roles)


@given("the GoToMeeting app is added from the gallery")
@given("die GoToMeeting-App wurde aus dem Katalog hinzugefügt")
def _(lab, ctx):
    _add_app(lab, ctx, "GoToMeeting", "GoToMeeting")


@given("the provisioning mode is set to Automatic")
def _(lab, ctx):
    template = graph(lab, ctx).get(sync_path(ctx, "/templates"))["value"][0]
    created = app(lab, ctx).create_job(template["id"])
    check("graph-sync-job", created)
    assert created["status"]["code"] == "NotConfigured"
    assert created["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Disabled"}
    ctx.remember(job_id=created["id"])


@given("the non-gallery SCIM app is added and pointed at GoToMeeting with a secret token")
def _(lab, ctx):
    _add_app(lab, ctx, NON_GALLERY_TEMPLATE_ID, "GoToMeeting (SCIM)")
    scim = app(lab, ctx)
    ctx.remember(job_id=scim.create_job("scim")["id"])
    scim.point_at(lab.scim_url, lab.static_scim_token())
    assert scim.test_connection().status_code == 204


# -- the tenant ------------------------------------------------------------------------------------
def _create_user(lab, ctx, name: str, enabled: bool = True) -> dict:
    given_name, _, surname = name.partition(".")
    upn = upn_of(name, lab)
    body = {"accountEnabled": enabled, "displayName": name, "mailNickname": upn.split("@")[0],
            "userPrincipalName": upn, "givenName": given_name, "surname": surname or "User", "mail": upn,
            "department": "Sales", "passwordProfile": {"password": PASSWORD}}
    user = graph(lab, ctx).post("/users", body)
    ctx.values.setdefault("users", {})[name] = user
    return user


@given(parsers.parse('the user "{name}" exists in the tenant'))
@given(parsers.parse('der Benutzer "{name}" ist im Mandanten vorhanden'))
def _(lab, ctx, name):
    _create_user(lab, ctx, name)


@given(parsers.parse('the disabled user "{name}" exists in the tenant'))
def _(lab, ctx, name):
    _create_user(lab, ctx, name, enabled=False)


def _group(lab, ctx, name: str) -> dict:
    groups = ctx.values.setdefault("groups", {})
    if name not in groups:
        nickname = name.lower().replace(" ", "-")
        groups[name] = graph(lab, ctx).post("/groups", {"displayName": name, "mailNickname": nickname,
                                                        "securityEnabled": True, "mailEnabled": False})
    return groups[name]


def _add_member(lab, ctx, group: dict, member_id: str) -> None:
    graph(lab, ctx).post(f"/groups/{group['id']}/members/$ref",
                         {"@odata.id": f"{lab.graph_url}/directoryObjects/{member_id}"})


@given(parsers.parse('the group "{group}" has the members "{members}"'))
def _(lab, ctx, group, members):
    g = _group(lab, ctx, group)
    for name in [m.strip() for m in members.split(",")]:
        _add_member(lab, ctx, g, user_id(ctx, name))


@given(parsers.parse('the group "{inner}" is a member of the group "{outer}"'))
def _(lab, ctx, inner, outer):
    _add_member(lab, ctx, _group(lab, ctx, outer), _group(lab, ctx, inner)["id"])


def _assign(lab, ctx, principal_id: str, role: str) -> dict:
    role_id(ctx, role)  # the scenario's own message for a role the app does not have
    assignment = app(lab, ctx).assign(principal_id, role)
    ctx.values.setdefault("assignments", {}).setdefault(principal_id, []).append(assignment)
    return assignment


@given(parsers.parse('"{name}" is assigned to GoToMeeting with the role "{role}"'))
@given(parsers.parse('"{name}" is assigned to the app with the role "{role}"'))
@given(parsers.parse('"{name}" ist GoToMeeting mit der Rolle "{role}" zugewiesen'))
@when(parsers.parse('"{name}" is assigned to GoToMeeting with the role "{role}"'))
def _(lab, ctx, name, role):
    _assign(lab, ctx, user_id(ctx, name), role)


@given(parsers.parse('the group "{group}" is assigned to GoToMeeting with the role "{role}"'))
def _(lab, ctx, group, role):
    _assign(lab, ctx, _group(lab, ctx, group)["id"], role)


def _unassign(lab, ctx, principal_id: str) -> None:
    for assignment in ctx.values.get("assignments", {}).pop(principal_id, []):
        app(lab, ctx).unassign(assignment["id"])


@when(parsers.parse('"{name}" is unassigned from GoToMeeting'))
def _(lab, ctx, name):
    _unassign(lab, ctx, user_id(ctx, name))


@when(parsers.parse('the role of "{name}" is changed to "{role}"'))
def _(lab, ctx, name, role):
    _unassign(lab, ctx, user_id(ctx, name))
    _assign(lab, ctx, user_id(ctx, name), role)


@given(parsers.parse('the display name of "{name}" is changed to "{value}"'))
def _(lab, ctx, name, value):
    graph(lab, ctx).patch(f"/users/{user_id(ctx, name)}", {"displayName": value})


@given(parsers.parse('the department of "{name}" is changed to "{value}"'))
def _(lab, ctx, name, value):
    graph(lab, ctx).patch(f"/users/{user_id(ctx, name)}", {"department": value})


@when(parsers.parse('sign-in is blocked for "{name}"'))
def _(lab, ctx, name):
    graph(lab, ctx).patch(f"/users/{user_id(ctx, name)}", {"accountEnabled": False})


@when(parsers.parse('"{name}" is deleted in Entra'))
def _(lab, ctx, name):
    graph(lab, ctx).delete(f"/users/{user_id(ctx, name)}")


@when(parsers.parse('"{name}" is restored from the recycle bin'))
def _(lab, ctx, name):
    graph(lab, ctx).post(f"/directory/deletedItems/{user_id(ctx, name)}/restore")


@when(parsers.parse('"{name}" is permanently deleted in Entra'))
def _(lab, ctx, name):
    graph(lab, ctx).delete(f"/directory/deletedItems/{user_id(ctx, name)}")


# -- Authorize -------------------------------------------------------------------------------------
def _open_popup(lab, ctx) -> Page:
    popup = app(lab, ctx).open_popup()
    ctx.remember(browser=popup.browser)
    return popup.page


def _authorize(lab, ctx, account: dict, button: str = "allow") -> requests.Response:
    popup = app(lab, ctx).authorize(account, button)
    ctx.remember(browser=popup.browser, popup=popup.response, callback=popup.callback)
    return popup.response


@given("the admin authorizes with the GoToMeeting team administrator account")
@when("the admin authorizes with the GoToMeeting team administrator account")
def _(lab, ctx):
    _authorize(lab, ctx, lab.goto_admin)


@given("the admin authorizes with the GoToMeeting plain member account")
@when("the admin authorizes with the GoToMeeting plain member account")
def _(lab, ctx):
    _authorize(lab, ctx, lab.goto_member)


@when(parsers.parse('the admin signs in to the Authorize popup as "{email}" with password "{password}"'))
def _(lab, ctx, email, password):
    _authorize(lab, ctx, {"email": email, "password": password})


@when("the admin declines consent in the Authorize popup")
def _(lab, ctx):
    _authorize(lab, ctx, lab.goto_admin, button="deny")


@when("the popup's callback is replayed")
def _(ctx):
    assert ctx["callback"], "the popup never came back to Entra"
    ctx.remember(popup=ctx["browser"].session.get(ctx["callback"], timeout=30))


@then(parsers.parse('the popup says "{text}"'))
def _(ctx, text):
    assert text in ctx["popup"].text, ctx["popup"].text


@then(parsers.parse('the popup shows GoTo\'s sign-in page with "{text}"'))
def _(ctx, text):
    popup = ctx["popup"]
    assert popup.status_code == 200 and text in popup.text and "<form" in popup.text, popup.text[:500]


@then(parsers.parse('the popup answers {status:d} with "{text}"'))
def _(ctx, status, text):
    assert ctx["popup"].status_code == status, ctx["popup"].text
    assert text in ctx["popup"].text


# -- Test Connection -------------------------------------------------------------------------------
def _validate(lab, ctx) -> requests.Response:
    mark = lab.journal_mark()
    resp = graph(lab, ctx).request("POST", job_path(ctx, "/validateCredentials"), json={"useSavedCredentials": True})
    ctx.remember(validation=resp, probe_mark=mark)
    return resp


@when("the admin clicks Test Connection")
def _(lab, ctx):
    _validate(lab, ctx)


@then("Test Connection succeeds")
@checks("entra-test-connection")
def _(lab, ctx):
    resp = ctx.values.get("validation") or _validate(lab, ctx)
    assert resp.status_code == 204, resp.text


@then(parsers.parse('Test Connection fails with "{text}"'))
def _(lab, ctx, text):
    resp = _validate(lab, ctx)
    assert resp.status_code == 400, resp.text
    assert text in resp.json()["error"]["message"], resp.json()


@then(parsers.parse('Test Connection fails with code "{code}"'))
def _(lab, ctx, code):
    resp = _validate(lab, ctx)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == code, resp.json()


@then(parsers.parse('the probe was "{expected}" with a bearer token and no User-Agent'))
@checks("entra-test-connection")
def _(lab, ctx, expected):
    sent = outbound(lab, ctx["probe_mark"])
    assert len(sent) == 1, sent
    probe = sent[0]
    method, _, target = expected.partition(" ")
    path, _, query = target.partition("?")
    prefix, _, suffix = query.partition("<guid>")
    assert probe["method"] == method and probe["path"] == path
    assert probe["query"].startswith(prefix) and probe["query"].endswith(suffix), probe["query"]
    guid = probe["query"][len(prefix):len(probe["query"]) - len(suffix)]
    assert len(guid) == 36 and guid.count("-") == 4, guid
    assert probe["headers"]["Authorization"] == "Bearer REDACTED"
    assert "User-Agent" not in probe["headers"]


@given(parsers.parse("GoToMeeting answers every SCIM request with status {status:d}"))
def _(lab, status):
    lab._admin("POST", "/faults", json={"path": "^/scim/", "action": "status", "status": status})


@given("GoToMeeting answers every SCIM request with a malformed body")
def _(lab):
    lab._admin("POST", "/faults", json={"path": "^/scim/", "action": "malformed"})


@given(parsers.parse('the GoToMeeting quirk "{quirk}" is on'))
@given(parsers.parse('GoToMeeting has the quirk "{quirk}" on'))
def _(lab, quirk):
    lab._admin("PUT", "/quirks", json={quirk: True})


@given(parsers.parse('the GoToMeeting quirk "{quirk}" is off'))
def _(lab, quirk):
    lab._admin("PUT", "/quirks", json={quirk: False})


@given("the Tenant URL is changed to an address where nothing listens")
def _(lab, ctx):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [
        {"key": "BaseAddress", "value": f"http://127.0.0.1:{port}/scim/v2"}]})


@given(parsers.parse("the Tenant URL uses the {dialect} dialect"))
def _(lab, ctx, dialect):
    url = lab.scim_url + ("?aadOptscim062020" if dialect == "aadOptscim062020" else "")
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": "BaseAddress", "value": url}]})


@given(parsers.parse('the provisioning scope is "Sync all users and groups"'))
def _(lab, ctx):
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": "SyncAll", "value": "true"}]})


@given(parsers.parse('the provisioning setting "{key}" is "{value}"'))
def _(lab, ctx, key, value):
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": key, "value": value}]})


# -- provisioning on, cycles, clock ----------------------------------------------------------------
def _start(lab, ctx) -> None:
    app(lab, ctx).start()


def _run_initial(lab, ctx) -> None:
    advance(lab, 0)
    status = job(lab, ctx)["status"]
    assert status["lastExecution"] is not None, status
    ctx.remember(mark=lab.journal_mark())


@given("provisioning is turned on")
def _(lab, ctx):
    _start(lab, ctx)


@given("the initial cycle has run")
def _(lab, ctx):
    _run_initial(lab, ctx)


@given("provisioning is turned on and the initial cycle runs")
@when("provisioning is turned on and the initial cycle runs")
def _(lab, ctx):
    _start(lab, ctx)
    _run_initial(lab, ctx)


@given(parsers.parse("{minutes:d} virtual minutes pass"))
@when(parsers.parse("{minutes:d} virtual minutes pass"))
@given(parsers.parse("{minutes:d} virtuelle Minuten vergehen"))
@when(parsers.parse("{minutes:d} virtuelle Minuten vergehen"))
@when(parsers.parse("{minutes:d} virtual minute passes"))
def _(lab, minutes):
    advance(lab, minutes)


@when("GoTo revokes every token of the team administrator")
def _(lab):
    lab._admin("POST", "/tokens/revoke", json={"user": lab.goto_admin["email"]})


@when(parsers.parse('the mapping of "{target}" is changed to the expression "{expression}"'))
def _(lab, ctx, target, expression):
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    schema.pop("@odata.context", None)
    found = False
    for rule in schema["synchronizationRules"]:
        for object_mapping in rule["objectMappings"]:
            for mapping in object_mapping["attributeMappings"]:
                if mapping["targetAttributeName"] == target:
                    mapping["source"] = {"expression": expression.replace('\\"', '"'), "name": expression.split("(")[0],
                                         "parameters": [], "type": "Function"}
                    found = True
    assert found, f"no mapping targets {target}"
    resp = graph(lab, ctx).request("PUT", job_path(ctx, "/schema"), json=schema)
    assert resp.status_code == 204, resp.text


# -- observing Entra -------------------------------------------------------------------------------
@then(parsers.parse('the job status is "{code}"'))
def _(lab, ctx, code):
    assert job(lab, ctx)["status"]["code"] == code, job(lab, ctx)["status"]


@then(parsers.parse('the job status is "{code}" with reason "{reason}"'))
def _(lab, ctx, code, reason):
    status = job(lab, ctx)["status"]
    assert status["code"] == code, status
    assert status["quarantine"]["reason"] == reason, status["quarantine"]


@then(parsers.parse('the job\'s last execution state is "{state}"'))
def _(lab, ctx, state):
    status = job(lab, ctx)["status"]
    assert status["lastExecution"]["state"] == state, status["lastExecution"]


@then(parsers.parse("the job's last execution counted {count:d} exports"))
def _(lab, ctx, count):
    assert job(lab, ctx)["status"]["lastExecution"]["countExports"] == count, job(lab, ctx)["status"]


@then(parsers.parse('the job reports {count:d} synchronized "{key}" entries'))
def _(lab, ctx, count, key):
    entries = {e["key"]: e["value"] for e in job(lab, ctx)["status"]["synchronizedEntryCountByType"]}
    assert entries.get(key) == count, entries


@then(parsers.parse("the next cycle is due at minute {minute:d}"))
def _(lab, ctx, minute):
    advance(lab, minute - 1)
    before = job(lab, ctx)["status"]["lastExecution"]["activityIdentifier"]
    advance(lab, 0)
    assert job(lab, ctx)["status"]["lastExecution"]["activityIdentifier"] == before
    advance(lab, 1)
    assert job(lab, ctx)["status"]["lastExecution"]["activityIdentifier"] != before


def _log_entry(lab, ctx, name: str) -> dict:
    items = logs_for(lab, ctx, name)
    assert items, f"no provisioning log entry for {name}"
    return items[-1]


@then(parsers.parse('the provisioning log for "{name}" says "{action}" with status "{status}"'))
@then(parsers.parse('the provisioning log for "{name}" says "{action}" with status "{status}" and error code "{code}"'))
def _(lab, ctx, name, action, status, code=None):
    entry = _log_entry(lab, ctx, name)
    assert entry["provisioningAction"] == action, entry
    assert entry["provisioningStatusInfo"]["status"] == status, entry["provisioningStatusInfo"]
    if code:
        assert entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == code, entry["provisioningStatusInfo"]


@then(parsers.parse('the provisioning log for "{name}" says "skipped" with reason "{reason}"'))
def _(lab, ctx, name, reason):
    entry = _log_entry(lab, ctx, name)
    assert entry["provisioningStatusInfo"]["status"] == "skipped", entry
    details = [s["details"].get("SkipReason") for s in entry["provisioningSteps"]]
    assert reason in details, entry["provisioningSteps"]


@then("Entra refreshed GoTo's access token before the cycle")
def _(lab, ctx):
    refreshes = [e for e in outbound(lab, ctx["mark"], path="/oauth/token")
                 if isinstance(e["body"], dict) and e["body"].get("grant_type") == "refresh_token"]
    assert refreshes and refreshes[0]["status"] == 200, refreshes


@then("Entra sent no request to GoToMeeting since the initial cycle")
def _(lab, ctx):
    assert outbound(lab, ctx["mark"]) == []


@then(parsers.parse('Entra sent exactly one PATCH for "{user_name}" with the operations {operations}'))
def _(lab, ctx, user_name, operations):
    target = goto_scim(lab, ctx).find_user(user_name)
    sent = [e for e in outbound(lab, ctx["mark"]) if e["method"] != "GET"]
    assert [(e["method"], e["path"]) for e in sent] == [("PATCH", f"/scim/v2/Users/{target['id']}")], sent
    check("scim-patch-op", sent[0]["body"])
    assert sent[0]["body"]["Operations"] == json.loads(operations), sent[0]["body"]


# -- observing GoToMeeting -------------------------------------------------------------------------
def _goto_user(lab, ctx, user_name: str) -> dict:
    found = goto_scim(lab, ctx).find_user(user_name)
    assert found, f"GoToMeeting has no user {user_name}"
    return found


@then(parsers.parse('GoToMeeting has the user "{user_name}" with role "{role}"'))
@then(parsers.parse('GoToMeeting hat den Benutzer "{user_name}" mit der Rolle "{role}"'))
def _(lab, ctx, user_name, role):
    user = _goto_user(lab, ctx, user_name)
    assert user["active"] is True, user
    assert [r["value"] for r in user.get("roles", [])] == [role], user.get("roles")


@then(parsers.parse('GoToMeeting has no user "{user_name}"'))
@then(parsers.parse('GoToMeeting hat keinen Benutzer "{user_name}"'))
def _(lab, ctx, user_name):
    assert goto_scim(lab, ctx).find_user(user_name) is None


@then(parsers.parse('GoToMeeting has exactly {count:d} user named "{user_name}"'))
def _(lab, ctx, count, user_name):
    resp = goto_scim(lab, ctx).get("/Users", params={"filter": f'userName eq "{user_name}"'})
    assert resp.json()["totalResults"] == count, resp.json()


@then(parsers.parse('GoToMeeting shows "{user_name}" with displayName "{value}"'))
def _(lab, ctx, user_name, value):
    assert _goto_user(lab, ctx, user_name).get("displayName") == value


@then(parsers.parse('GoToMeeting shows "{user_name}" as inactive'))
def _(lab, ctx, user_name):
    assert _goto_user(lab, ctx, user_name)["active"] is False


@then(parsers.parse('GoToMeeting shows "{user_name}" as active'))
def _(lab, ctx, user_name):
    assert _goto_user(lab, ctx, user_name)["active"] is True


@given(parsers.parse('GoToMeeting already has the user "{user_name}" named "{display}"'))
def _(lab, user_name, display):
    given_name, _, family = display.partition(" ")
    lab._admin("POST", "/users", json={"userName": user_name, "displayName": display, "givenName": given_name,
                                       "familyName": family or "User", "active": True, "role": "member"})


@given(parsers.parse('a second GoToMeeting user "{user_name}" is created through SCIM'))
def _(lab, ctx, user_name):
    local = user_name.split("@")[0]
    resp = goto_scim(lab, ctx).post("/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True,
        "displayName": local, "roles": [{"value": "organizer", "primary": True}]})
    assert resp.status_code == 201, resp.text


@then(parsers.parse('GoToMeeting rejected the create of "{user_name}" because it has no role'))
def _(lab, ctx, user_name):
    creates = [e for e in outbound(lab) if e["method"] == "POST"]
    mine = [e for e in creates if isinstance(e["body"], dict) and e["body"].get("userName") == user_name]
    assert mine and mine[-1]["status"] == 400, creates
    assert "roles" not in mine[-1]["body"], mine[-1]["body"]
    assert goto_scim(lab, ctx).find_user(user_name) is None


@given("the GoToMeeting seats in use are noted")
def _(lab, ctx):
    ctx.remember(seats_noted=lab.seats()["used"])


@then(parsers.parse("GoToMeeting has 1 seat fewer in use"))
def _(lab, ctx):
    assert lab.seats()["used"] == ctx["seats_noted"] - 1, lab.seats()


# -- a target that ignores filters (features/matching) ----------------------------------------------
def _goto_accounts(lab, ctx) -> list[dict]:
    """Every user GoToMeeting holds, read page by page without a filter (a filter may be ignored)."""
    accounts: list[dict] = []
    while True:
        page = goto_scim(lab, ctx).get("/Users", params={"startIndex": len(accounts) + 1, "count": 200}).json()
        accounts += page["Resources"]
        if not page["Resources"] or len(accounts) >= page["totalResults"]:
            return accounts


def _note_accounts(lab, ctx) -> None:
    ctx.remember(noted_accounts={a["userName"].lower(): a for a in _goto_accounts(lab, ctx)})


def _noted_account(ctx, user_name: str) -> dict:
    noted = ctx["noted_accounts"]
    assert user_name.lower() in noted, f"GoToMeeting's noted accounts are {sorted(noted)}"
    return noted[user_name.lower()]


def _account_now(lab, ctx, user_name: str) -> dict:
    resp = goto_scim(lab, ctx).get(f"/Users/{_noted_account(ctx, user_name)['id']}")
    assert resp.status_code == 200, f"GoToMeeting account {user_name}: {resp.status_code} {resp.text}"
    return resp.json()


@given("GoToMeeting's accounts are noted")
def _(lab, ctx):
    """Notes every user GoToMeeting holds now (read without a filter), by userName, to be found later by id."""
    _note_accounts(lab, ctx)


@given(parsers.parse('every GoToMeeting account but "{user_name}" is removed'))
def _(lab, ctx, user_name):
    """Deletes through SCIM every GoToMeeting user but ``user_name`` (the team administrator must stay: Entra's
    token is his), then notes the accounts left."""
    scim = goto_scim(lab, ctx)
    kept = [a for a in _goto_accounts(lab, ctx) if a["userName"].lower() == user_name.lower()]
    assert kept, f"GoToMeeting has no account {user_name}"
    for account in _goto_accounts(lab, ctx):
        if account["id"] != kept[0]["id"]:
            resp = scim.delete(f"/Users/{account['id']}")
            assert resp.status_code == 204, resp.text
    _note_accounts(lab, ctx)
    assert list(ctx["noted_accounts"]) == [user_name.lower()], ctx["noted_accounts"]


@then(parsers.parse('the provisioning log for "{name}" shows the match with the GoToMeeting account "{user_name}"'))
def _(lab, ctx, name, user_name):
    """The latest log entry of ``name`` targets the noted account's id and has a successful matching step."""
    entry = _log_entry(lab, ctx, name)
    assert entry["targetIdentity"]["id"] == _noted_account(ctx, user_name)["id"], entry["targetIdentity"]
    matching = [s for s in entry["provisioningSteps"] if s["provisioningStepType"] == "matching"]
    assert matching and matching[0]["status"] == "success", entry["provisioningSteps"]


@then("Entra created no user in GoToMeeting")
def _(lab):
    """Entra's outbound journal holds no ``POST /Users`` to GoToMeeting."""
    creates = [e for e in outbound(lab) if e["method"] == "POST" and e["path"].endswith("/Users")]
    assert creates == [], creates


@then(parsers.parse('the GoToMeeting account "{user_name}" now has the userName "{value}"'))
def _(lab, ctx, user_name, value):
    """The noted account, read by its id: its ``userName`` is ``value`` (compared without letter case)."""
    assert _account_now(lab, ctx, user_name)["userName"].lower() == value.lower()


@then(parsers.parse('the GoToMeeting account "{user_name}" is suspended'))
def _(lab, ctx, user_name):
    """The noted account is inactive (GoTo status ``suspended``), read from ``GET /_admin/state`` by its id:
    a suspended team administrator's own token no longer reads SCIM."""
    account_id = _noted_account(ctx, user_name)["id"]
    users = {u["id"]: u for u in lab._admin("GET", "/state").json()["account"]["users"]}
    assert account_id in users, f"GoToMeeting no longer has the account {user_name}"
    assert (users[account_id]["active"], users[account_id]["status"]) == (False, "suspended"), users[account_id]


@then("GoToMeeting's noted accounts are unchanged")
def _(lab, ctx):
    """Every noted account, read by its id, is exactly as noted (``meta.version`` included)."""
    for user_name, noted in ctx["noted_accounts"].items():
        assert _account_now(lab, ctx, user_name) == noted, user_name
