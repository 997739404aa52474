"""Steps of the Provisioning page's scenarios (features/portal/provisioning*.feature) that the generic
page steps do not say: the app from the gallery in German, and what Admin Credentials shows after the
Authorize popup closed (an exact text: "Authorized" is a part of "Not authorized")."""
from __future__ import annotations

import re

from pytest_bdd import given, parsers, then

from fixtures.browser import UI
from steps.provisioning_steps import _add_app, graph


@given("die GoToMeeting-App wurde aus dem Katalog hinzugefügt")
def _(lab, ctx):
    _add_app(lab, ctx, "GoToMeeting", "GoToMeeting")


@then(parsers.parse('Admin Credentials show "{text}"'))
@then(parsers.parse('die Administratoranmeldeinformationen zeigen "{text}"'))
def _(ui: UI, text):
    from playwright.sync_api import expect

    status = ui.page.get_by_role("status", name=re.compile(r"^(Authorization status|Autorisierungsstatus)$"))
    expect(status).to_have_text(re.compile(rf"^\s*{re.escape(text)}\s*$"))


@then(parsers.parse('the provisioning job\'s schedule is "{state}"'))
@then(parsers.parse('der Zeitplan des Bereitstellungsauftrags ist "{state}"'))
def _(lab, ctx, state):
    """What the synchronization API reads after the page saved: the app's one job and its schedule."""
    jobs = graph(lab, ctx).get(f"/servicePrincipals/{ctx['sp']['id']}/synchronization/jobs")["value"]
    assert [job["schedule"]["state"] for job in jobs] == [state]
