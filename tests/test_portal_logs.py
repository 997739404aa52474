"""The admin center's overview of provisioning (cycle status, quarantine, Restart, Pause / Start), Provision
on demand and the provisioning logs (filters, paging, details, downloads), in-process against the live
lab's Entra app: the pages agree with the job status and with Graph's ``/auditLogs/provisioning``."""
from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import urlencode

import pytest

from simulator.entra.portal.logs_pages import CSV_COLUMNS
from steps.failure_steps import clear_faults, fault, gallery_job, logs, person, seed_users, start, status
from steps.provisioning_steps import app, graph

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def plab(portal_lab_servers):
    portal_lab_servers.reset()
    return portal_lab_servers


@pytest.fixture
def portal(plab):
    """The Entra app's test client, signed in as the admin center's administrator."""
    flask_app = plab._servers[1].app
    entra = flask_app.extensions["entra"]
    client = flask_app.test_client()
    sign_in(client, entra)
    return client, entra


def sign_in(client, entra) -> None:
    """Entra's sign-in page, as the admin (again after days of virtual time: the session expires)."""
    signin = client.get("/portal/signin?next=/portal/enterprise-apps")
    ctx_id = re.search(r'name="ctx" value="([^"]+)"', signin.get_data(as_text=True)).group(1)
    done = client.post(f"/{entra.config.tenant_id}/login", data={
        "ctx": ctx_id, "login": entra.config.portal_admin_upn, "passwd": entra.config.portal_admin_password})
    assert done.status_code == 303, done.get_data(as_text=True)[:500]


def text(resp) -> str:
    return unescape(resp.get_data(as_text=True))


def csrf(client, url: str) -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def sp(ctx) -> str:
    return ctx["sp"]["id"]


@pytest.fixture
def tutorial(plab, ctx, portal):
    """The GoToMeeting app authorized, B.Simon (Organizer) and D.Access (Default Access) assigned."""
    gallery_job(plab, ctx)
    simon = person(plab, ctx, "B.Simon", role="Organizer")
    default = person(plab, ctx, "D.Access", role="Default Access")
    return {"simon": simon, "default": default}


def overview(client, ctx, **args) -> str:
    resp = client.get(f"/portal/enterprise-apps/{sp(ctx)}/provisioning/overview?{urlencode(args)}")
    assert resp.status_code == 200, resp.status_code
    return text(resp)


def attr(page: str, name: str, value: str) -> str:
    """The text of the element carrying ``name="value"`` (its tags stripped)."""
    found = re.search(rf'{name}="{re.escape(value)}"[^>]*>(.*?)</(dd|p|td)>', page, re.S)
    assert found, f"no {name}={value!r} in the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def cycle_view(page: str) -> dict:
    phase = re.search(r'data-phase="([^"]+)"', page).group(1)
    percent = int(re.search(r'<progress id="cycle-progress"[^>]*value="(\d+)"', page).group(1))
    out = {"phase": phase, "percent": percent, "users": attr(page, "data-count", "users"),
           "state": re.search(r'<dd data-state="([^"]+)"', page).group(1),
           "steady": re.search(r'data-steady="(true|false)"', page).group(1) == "true",
           "quarantine": "The provisioning job is in quarantine" in page}
    last = re.search(r'<dl class="summary last-cycle">(.*?)</dl>', page, re.S)
    if last:
        out["last"] = {k: attr(last.group(1), "data-count", k) for k in ("imported", "exported", "failed")}
        out["last"]["state"] = re.search(r'data-state="([^"]+)"', last.group(1)).group(1)
        out["last"]["ended"] = re.search(r'<time datetime="([^"]+)"', last.group(1)).group(1)
    return out


def test_the_overview_follows_the_job_status_before_during_and_after_cycles(plab, ctx, portal, tutorial):
    client, _ = portal
    view = cycle_view(overview(client, ctx))
    assert (view["phase"], view["percent"], view["state"], view["steady"]) == ("not_started", 0, "Disabled", False)
    assert "last" not in view and "No cycle has run yet." in overview(client, ctx)

    start(plab, ctx)
    view = cycle_view(overview(client, ctx))
    assert (view["phase"], view["percent"], view["state"]) == ("initial_not_run", 0, "Active")

    plab.advance_clock(0)
    s = status(plab, ctx)
    view = cycle_view(overview(client, ctx))
    execution = s["lastExecution"]
    assert (view["phase"], view["percent"], view["users"], view["steady"]) == (
        "initial_completed", 100, "1 of 1 provisioned", True)
    assert view["last"] == {"imported": str(execution["countImported"]), "exported": str(execution["countExported"]),
                            "failed": str(execution["countEscrowed"]), "state": execution["state"],
                            "ended": execution["timeEnded"]}

    # during the convergence: a new Organizer fails with a 500 and waits in escrow
    fault(plab, method="POST", path="^/scim/v2/Users$", action="status", status=500)
    person(plab, ctx, "A.Lee", role="Organizer")
    plab.advance_clock(40)
    s = status(plab, ctx)
    view = cycle_view(overview(client, ctx))
    assert s["lastExecution"]["state"] == "EntryLevelErrors"
    assert (view["phase"], view["percent"], view["users"], view["steady"]) == (
        "incremental_completed", 50, "1 of 2 provisioned", False)
    assert view["last"]["state"] == "EntryLevelErrors" and view["last"]["failed"] == "1"
    assert attr(overview(client, ctx), "data-count", "escrowed") == "1"

    # the target recovers: every user provisioned, steady again
    clear_faults(plab)
    plab.advance_clock(40)
    s = status(plab, ctx)
    view = cycle_view(overview(client, ctx))
    assert (view["percent"], view["users"], view["steady"]) == (100, "2 of 2 provisioned", True)
    assert view["last"]["ended"] == s["lastExecution"]["timeEnded"] == s["steadyStateLastAchievedTime"]


def post_form(client, url: str, form_url: str, **data):
    return client.post(url, data={"csrf_token": csrf(client, form_url), **data})


def test_a_quarantine_shows_its_banner_and_restart_clears_it(plab, ctx, portal, tutorial):
    client, _ = portal
    start(plab, ctx)
    fault(plab, method="*", path="^/scim/v2/", action="status", status=401)
    plab.advance_clock(0)
    q = status(plab, ctx)["quarantine"]
    assert q and q["reason"] == "EncounteredQuarantineException"
    page = overview(client, ctx)
    banner = re.search(r'<div class="banner error" role="alert".*?</div>', page, re.S).group(0)
    assert "EncounteredQuarantineException" in banner and q["error"]["message"] in banner
    assert f'datetime="{q["nextAttempt"]}"' in banner
    assert cycle_view(page)["phase"] == "failed"

    base = f"/portal/enterprise-apps/{sp(ctx)}/provisioning/overview"
    refused = client.post(f"{base}/restart", data={})
    assert refused.status_code == 400 and "The form has expired" in text(refused)
    assert status(plab, ctx)["quarantine"] == q

    clear_faults(plab)
    done = post_form(client, f"{base}/restart", base)
    assert done.status_code == 303 and done.headers["Location"].endswith(base)
    assert status(plab, ctx)["quarantine"] is None
    page = text(client.get(base))
    assert "Provisioning was restarted." in page and "The provisioning job is in quarantine" not in page
    plab.advance_clock(0)  # the restart made a cycle due now: it provisions B.Simon
    assert cycle_view(overview(client, ctx))["users"] == "1 of 1 provisioned"


def test_restart_with_options_is_the_apis_restart_and_pause_and_start_are_the_apis(plab, ctx, portal, tutorial):
    client, entra = portal
    start(plab, ctx)
    plab.advance_clock(0)
    base = f"/portal/enterprise-apps/{sp(ctx)}/provisioning/overview"
    job = entra.sync.get_job(sp(ctx), ctx["job_id"])
    assert job.runtime.links
    assert post_form(client, f"{base}/restart", base, ConnectorDataStore="y").status_code == 303
    assert not job.runtime.links and job.runtime.watermark is None

    assert post_form(client, f"{base}/pause", base).status_code == 303
    assert app(plab, ctx).job()["schedule"]["state"] == "Paused"
    page = overview(client, ctx)
    assert "Provisioning was paused." in page and ">Start provisioning</button>" in page
    assert post_form(client, f"{base}/start", base).status_code == 303
    assert app(plab, ctx).job()["schedule"]["state"] == "Active"
    assert client.post(f"{base}/pause", data={}).status_code == 400
    assert app(plab, ctx).job()["schedule"]["state"] == "Active"


def test_every_control_of_the_overview_is_labelled(plab, ctx, portal, tutorial):
    client, _ = portal
    page = overview(client, ctx)
    assert re.search(r'<label for="cycle-progress">0% complete</label>', page)
    for control in re.findall(r'<input (?![^>]*type="hidden")[^>]*>', page):
        control_id = re.search(r'id="([^"]+)"', control).group(1)
        assert f'<label for="{control_id}">' in page, control
    assert 'href="/portal/enterprise-apps/%s/provisioning-logs">View provisioning logs' % sp(ctx) in page


# -- provisioning logs ---------------------------------------------------------------------------------
def logs_url(ctx, **args) -> str:
    return f"/portal/enterprise-apps/{sp(ctx)}/provisioning-logs?{urlencode(args)}"


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-entry-id="([^"]+)"', page)


def graph_ids(plab, ctx, graph_filter: str) -> list[str]:
    return [e["id"] for e in graph(plab, ctx).all_pages("/auditLogs/provisioning", params={
        "$filter": graph_filter, "$orderby": "activityDateTime desc", "$top": 999})]


@pytest.fixture
def cycled(plab, ctx, portal, tutorial):
    """Three cycles a day apart: the initial one, B.Simon renamed, A.Lee assigned."""
    start(plab, ctx)
    plab.advance_clock(0)
    plab.advance_clock(24 * 60)
    graph(plab, ctx).patch(f"/users/{tutorial['simon']['id']}", {"displayName": "Barbara Simon"})
    plab.advance_clock(24 * 60)
    person(plab, ctx, "A.Lee", role="Organizer")
    plab.advance_clock(24 * 60)
    sign_in(*portal)
    return tutorial


def test_the_logs_filters_answer_what_graphs_filter_answers(plab, ctx, portal, cycled):
    client, entra = portal
    app_clause = f"servicePrincipal/id eq '{sp(ctx)}'"
    now = entra.lab.clock.now()
    cases = [
        ({}, app_clause),
        ({"status": "skipped"}, f"{app_clause} and provisioningStatusInfo/status eq 'skipped'"),
        ({"action": "create"}, f"{app_clause} and provisioningAction eq 'create'"),
        ({"action": "update", "status": "success"},
         f"{app_clause} and provisioningStatusInfo/status eq 'success' and provisioningAction eq 'update'"),
        ({"identity": "b.sim"}, f"{app_clause} and startswith(sourceIdentity/displayName, 'B.Sim')"),
        ({"identity": cycled["default"]["id"]}, f"{app_clause} and sourceIdentity/id eq '{cycled['default']['id']}'"),
        ({"job_id": ctx["job_id"]}, f"jobId eq '{ctx['job_id']}'"),
        ({"job_id": "no-such-job"}, "jobId eq 'no-such-job'"),
        ({"date_range": "24h"}, f"{app_clause} and activityDateTime ge 2026-01-07T08:00:00Z"),
        ({"date_range": "custom", "date_from": "2026-01-06T00:00", "date_to": "2026-01-07T00:00"},
         f"{app_clause} and activityDateTime ge 2026-01-06T00:00:00Z and activityDateTime le 2026-01-07T00:00:00Z"),
    ]
    assert now.isoformat().startswith("2026-01-08T08:00")
    for filters, graph_filter in cases:
        resp = client.get(logs_url(ctx, page_size="100", **filters))
        assert resp.status_code == 200, (filters, resp.status_code)
        expected = graph_ids(plab, ctx, graph_filter)
        assert rows(text(resp)) == expected, filters
    assert rows(text(client.get(logs_url(ctx, job_id="no-such-job")))) == []
    assert len(rows(text(client.get(logs_url(ctx, status="skipped"))))) >= 2


def test_a_default_access_users_skip_is_in_the_filtered_logs_with_its_details(plab, ctx, portal, cycled):
    client, _ = portal
    page = text(client.get(logs_url(ctx, status="skipped", identity="D.Access")))
    listed = rows(page)
    assert listed and page.count('data-status="skipped"') == len(listed)
    entry = listed[0]
    details = text(client.get(logs_url(ctx, status="skipped", identity="D.Access", selected=entry,
                                       tab="troubleshooting")))
    assert 'role="tablist"' in details
    tabs = re.findall(r'<a role="tab" id="tab-(\w+)"[^>]*aria-selected="(true|false)"[^>]*>([^<]+)</a>', details)
    assert [(key, label) for key, _sel, label in tabs] == [
        ("steps", "Steps"), ("troubleshooting", "Troubleshooting & Recommendations"),
        ("modified", "Modified Properties"), ("summary", "Summary")]
    assert [key for key, selected, _ in tabs if selected == "true"] == ["troubleshooting"]
    shown = re.search(r'<div role="tabpanel" id="panel-troubleshooting" aria-labelledby="tab-troubleshooting">'
                      r'(.*?)</div>', details, re.S).group(1)
    assert "NotEffectivelyEntitled" in shown and "does not have required entitlement" in shown
    assert re.search(r'<div role="tabpanel" id="panel-steps" aria-labelledby="tab-steps" hidden>', details)
    steps = text(client.get(logs_url(ctx, selected=entry, tab="steps")))
    assert "EntryImport" in steps and "EntrySynchronizationScoping" in steps
    summary = text(client.get(logs_url(ctx, selected=entry, tab="summary")))
    assert ctx["job_id"] in summary and "Azure AD Provisioning Service" in summary


def test_a_creates_modified_properties_are_in_its_details(plab, ctx, portal, cycled):
    client, _ = portal
    created = rows(text(client.get(logs_url(ctx, action="create", identity="B."))))
    assert len(created) == 1
    page = text(client.get(logs_url(ctx, selected=created[0], tab="modified")))
    panel = re.search(r'id="panel-modified" aria-labelledby="tab-modified">(.*?)</div>', page, re.S).group(1)
    assert f"<td>userName</td><td></td><td>{cycled['simon']['userPrincipalName']}</td>" in panel


def test_paging_goes_forward_and_back_through_graphs_order(plab, ctx, portal, tutorial):
    client, _ = portal
    seed_users(plab, ctx, 12)  # the initial cycle looks at each of them (and skips them: not assigned)
    start(plab, ctx)
    plab.advance_clock(0)
    expected = graph_ids(plab, ctx, f"servicePrincipal/id eq '{sp(ctx)}'")
    assert len(expected) > 10
    seen, url, pages = [], logs_url(ctx, page_size="10"), []
    while url:
        page = text(client.get(url))
        pages.append((url, rows(page)))
        seen += rows(page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1) if found else None
    assert seen == expected and all(len(r) == 10 for _, r in pages[:-1])
    last = text(client.get(pages[-1][0]))
    back = re.search(r'rel="prev" href="([^"]+)"', last).group(1)
    assert rows(text(client.get(back))) == pages[-2][1]
    assert 'rel="prev"' not in text(client.get(pages[0][0]))


def test_downloads_hold_the_filtered_entries_and_no_secret(plab, ctx, portal, cycled):
    client, entra = portal
    args = {"status": "success"}
    expected = graph(plab, ctx).all_pages("/auditLogs/provisioning", params={
        "$filter": f"servicePrincipal/id eq '{sp(ctx)}' and provisioningStatusInfo/status eq 'success'",
        "$orderby": "activityDateTime desc", "$top": 999})
    base = f"/portal/enterprise-apps/{sp(ctx)}/provisioning-logs"
    as_json = client.get(f"{base}/download.json?{urlencode(args)}")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    assert "attachment" in as_json.headers["Content-Disposition"]
    assert as_json.get_json() == expected and expected
    as_csv = client.get(f"{base}/download.csv?{urlencode(args)}")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert table[0] == [title for title, _ in CSV_COLUMNS]
    assert [row[1] for row in table[1:]] == [e["id"] for e in expected]
    assert {row[6] for row in table[1:]} == {"success"}
    secrets = entra.sync.secrets(sp(ctx))
    for key in ("Oauth2AccessToken", "Oauth2RefreshToken"):
        assert secrets[key] not in as_json.get_data(as_text=True) and secrets[key] not in as_csv.get_data(as_text=True)


def test_the_tenant_wide_logs_list_every_apps_entries(plab, ctx, portal, cycled):
    client, _ = portal
    page = text(client.get("/portal/provisioning-logs?page_size=100"))
    every = [e["id"] for e in graph(plab, ctx).all_pages("/auditLogs/provisioning", params={
        "$orderby": "activityDateTime desc", "$top": 999})]
    assert rows(page) == every
    listed = client.get("/portal/provisioning-logs/download.csv")
    assert len(list(csv.reader(io.StringIO(listed.get_data(as_text=True))))) == len(every) + 1


@pytest.mark.parametrize("args, words, field", [
    ({"status": "bogus"}, "Not a valid choice", "status"),
    ({"action": "purge"}, "Not a valid choice", "action"),
    ({"date_range": "custom", "date_from": "yesterday"}, "Enter a date and time as YYYY-MM-DDTHH:MM.", "date_from"),
    ({"date_range": "custom", "date_from": "2026-01-07T00:00", "date_to": "2026-01-06T00:00"},
     "The end of the interval is before its start.", "date_to"),
    ({"date_range": "custom"}, "Enter the start or the end of the custom time interval.", "date_range"),
    ({"identity": "x" * 300}, "Enter at most 256 characters.", "identity"),
    ({"page_size": "1000000"}, "Not a valid choice", "page_size"),
])
def test_bad_filter_values_are_shown_next_to_their_field(plab, ctx, portal, tutorial, args, words, field):
    client, _ = portal
    resp = client.get(logs_url(ctx, **args))
    assert resp.status_code == 400
    page = text(resp)
    assert f'<ul class="errors" id="{field}-errors"><li>{words}' in page
    assert "Check the filters: some values are not valid." in page
    download = client.get(f"/portal/enterprise-apps/{sp(ctx)}/provisioning-logs/download.csv?{urlencode(args)}")
    assert download.status_code == 400 and download.mimetype == "text/html"


@pytest.mark.parametrize("args, status, words", [
    ({"skiptoken": "forged.token"}, 400, "The logs could not be read: Invalid Skip Token"),
    ({"identity": "O'Brien"}, 200, "No provisioning log entries match the filters."),
    ({"job_id": "x' or jobId eq 'y"}, 200, "No provisioning log entries match the filters."),
    ({"selected": "no-such-entry"}, 404, "The log entry no-such-entry does not exist."),
])
def test_odd_values_never_answer_500(plab, ctx, portal, tutorial, args, status, words):
    client, _ = portal
    resp = client.get(logs_url(ctx, **args))
    assert resp.status_code == status and words in text(resp)
    assert client.get(f"/portal/enterprise-apps/{sp(ctx)}/provisioning-logs/download.xml").status_code == 400
    assert client.get("/portal/enterprise-apps/no-such-app/provisioning-logs").status_code == 404


# -- provision on demand --------------------------------------------------------------------------------
def on_demand(client, ctx, user_id: str | None, search: str):
    url = f"/portal/enterprise-apps/{sp(ctx)}/provision-on-demand"
    page = text(client.get(f"{url}?search={search}"))
    data = {"csrf_token": CSRF.search(page).group(1)}
    if user_id:
        assert f'value="{user_id}"' in page
        data["user_id"] = user_id
    return client.post(f"{url}?search={search}", data=data)


def steps_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-step="(\w+)" data-status="(\w+)">', page))


def test_provision_on_demand_shows_the_four_steps_of_the_apis_answer(plab, ctx, portal, tutorial):
    client, _ = portal
    done = on_demand(client, ctx, tutorial["simon"]["id"], "B.Sim")
    page = text(done)
    assert done.status_code == 200
    assert steps_of(page) == {"import": "success", "scoping": "success", "matching": "success", "action": "success"}
    for title in ("Import user", "Determine if user is in scope", "Match user between source and target system",
                  "Perform action"):
        assert title in page
    assert 'data-result="Success"' in page and "userName" in page
    entries = logs(plab, ctx)
    assert [e["sourceIdentity"]["id"] for e in entries] == [tutorial["simon"]["id"]]
    assert entries[0]["provisioningAction"] == "create"

    skipped = text(on_demand(client, ctx, tutorial["default"]["id"], "D.Acc"))
    assert steps_of(skipped)["scoping"] == "skipped" and 'data-result="Skipped"' in skipped
    assert "NotEffectivelyEntitled" in skipped


def test_provision_on_demand_refuses_what_it_cannot_do(plab, ctx, portal, tutorial):
    client, _ = portal
    url = f"/portal/enterprise-apps/{sp(ctx)}/provision-on-demand"
    assert client.post(url, data={"user_id": tutorial["simon"]["id"]}).status_code == 400
    nobody = on_demand(client, ctx, None, "B.Sim")
    assert nobody.status_code == 400 and "Select a user to provision." in text(nobody)
    unknown = client.post(url, data={"csrf_token": csrf(client, f"{url}?search=B.Sim"),
                                     "user_id": "00000000-0000-0000-0000-00000000dead"})
    assert unknown.status_code == 400 and "The user does not exist." in text(unknown)
    assert logs(plab, ctx) == []
    assert "No user matches the search." in text(client.get(f"{url}?search=zzzz"))


# -- German ----------------------------------------------------------------------------------------------
def test_the_pages_speak_german(plab, ctx, portal, cycled):
    client, _ = portal
    fault(plab, method="*", path="^/scim/v2/", action="status", status=401)
    graph(plab, ctx).patch(f"/users/{cycled['simon']['id']}", {"displayName": "B. Simon"})
    plab.advance_clock(40)
    page = overview(client, ctx, lang="de")
    for words in ("Aktueller Zyklusstatus", "Bereitstellung neu starten", "Bereitstellung anhalten",
                  "Der Bereitstellungsauftrag befindet sich in Quarantäne", "Bereitstellungsprotokolle anzeigen",
                  "% abgeschlossen", "Letzter Zyklus"):
        assert words in page, words
    logs_page = text(client.get(logs_url(ctx, status="skipped", lang="de")))
    for words in ("Bereitstellungsprotokolle", "Übersprungen", "Quellsystem", "Zielsystem", "Identität",
                  "JSON herunterladen"):
        assert words in logs_page, words
    assert "Skipped" not in re.sub(r'value="[^"]*"', "", logs_page)
    on_demand_page = text(client.get(f"/portal/enterprise-apps/{sp(ctx)}/provision-on-demand"))
    assert "Bedarfsgesteuerte Bereitstellung" in on_demand_page and "Benutzer auswählen" in on_demand_page
