"""Steps of the provisioning logs and the overview of provisioning in the admin center (``@ui``), in English
and German: the tutorial's users provisioned, a quarantine, the details pane's tabs."""
from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from fixtures.browser import UI
from steps.failure_steps import fault, gallery_job, person, start, status
from steps.portal_steps import expect
from steps.provisioning_steps import graph


@given('GoToMeeting provisions the tutorial\'s users "B.Simon" as Organizer and "D.Access" with Default Access '
       'in the initial cycle')
@given('GoToMeeting stellt im ersten Zyklus die Benutzer des Tutorials bereit: "B.Simon" als Organizer und '
       '"D.Access" mit Standardzugriff')
def _(lab, ctx):
    gallery_job(lab, ctx)
    person(lab, ctx, "B.Simon", role="Organizer")
    person(lab, ctx, "D.Access", role="Default Access")
    start(lab, ctx)
    lab.advance_clock(0)
    assert status(lab, ctx)["lastExecution"]["state"] == "Succeeded"


@given("GoToMeeting refuses the credentials and the next cycle puts the job in quarantine")
@given("GoToMeeting lehnt die Anmeldeinformationen ab, und der nächste Zyklus setzt den Auftrag in Quarantäne")
def _(lab, ctx):
    fault(lab, method="*", path="^/scim/v2/", action="status", status=401)
    simon = ctx["users"]["B.Simon"]["id"]
    graph(lab, ctx).patch(f"/users/{simon}", {"displayName": "Barbara Simon"})  # the next cycle has work to send
    lab.advance_clock(40)
    assert status(lab, ctx)["quarantine"]["reason"] == "EncounteredQuarantineException"


@when(parsers.parse('the admin selects the tab "{name}"'))
@when(parsers.parse('der Administrator wählt die Registerkarte "{name}"'))
def _(ui: UI, name):
    ui.page.get_by_role("tab", name=name, exact=True).click()
    ui.page.wait_for_load_state()


@when(parsers.parse('the admin moves to the tab "{name}" with the arrow keys'))
@when(parsers.parse('der Administrator wechselt mit den Pfeiltasten zur Registerkarte "{name}"'))
def _(ui: UI, name):
    """From the selected tab, Right Arrow until the named tab is selected (and focused), as a keyboard
    user moves through a tab list."""
    page = ui.page
    wanted = page.get_by_role("tab", name=name, exact=True)
    page.get_by_role("tab", selected=True).focus()
    for _ in range(page.get_by_role("tab").count()):
        if wanted.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowRight")
    expect(wanted).to_be_focused()


@then(parsers.parse('the tab "{name}" shows "{text}"'))
@then(parsers.parse('die Registerkarte "{name}" zeigt "{text}"'))
def _(ui: UI, name, text):
    expect(ui.page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
    expect(ui.page.get_by_role("tabpanel", name=name, exact=True).get_by_text(text).first).to_be_visible()


@then(parsers.parse('the progress bar "{label}" is at {percent:d} %'))
@then(parsers.parse('der Fortschrittsbalken "{label}" steht bei {percent:d} %'))
def _(ui: UI, label, percent):
    expect(ui.page.get_by_role("progressbar", name=re.compile(re.escape(label)))).to_have_attribute(
        "value", str(percent))


@then("the job is no longer in quarantine")
@then("der Auftrag ist nicht mehr in Quarantäne")
def _(lab, ctx):
    assert status(lab, ctx)["quarantine"] is None


@then(parsers.parse('the logs list "{identity}" with the status "{status}"'))
@then(parsers.parse('die Protokolle führen "{identity}" mit dem Status "{status}"'))
def _(ui: UI, identity, status):
    table = ui.page.get_by_role("table", name=re.compile(r"^(Provisioning logs|Bereitstellungsprotokolle)$"))
    rows = table.get_by_role("row").filter(has=ui.page.get_by_role("link", name=identity, exact=True))
    expect(rows.first).to_be_visible()
    expect(rows.first.get_by_role("cell").last).to_have_text(status)
