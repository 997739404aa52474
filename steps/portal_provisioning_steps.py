"""Steps of the Provisioning page's scenarios (features/portal/provisioning*.feature) that the generic
page steps do not say: what Admin Credentials shows after the Authorize popup closed (an exact text:
"Authorized" is a part of "Not authorized")."""
from __future__ import annotations

import re

from pytest_bdd import parsers, then

from fixtures.browser import UI
from steps.portal_steps import _exact
from steps.provisioning_steps import graph


@then(parsers.parse('Admin Credentials show "{text}"'))
@then(parsers.parse('die Administratoranmeldeinformationen zeigen "{text}"'))
def _(ui: UI, text):
    from playwright.sync_api import expect

    status = ui.page.get_by_role("status", name=re.compile(r"^(Authorization status|Autorisierungsstatus)$"))
    expect(status).to_have_text(_exact(text))


@then(parsers.parse('the provisioning job\'s schedule is "{state}"'))
@then(parsers.parse('der Zeitplan des Bereitstellungsauftrags ist "{state}"'))
def _(lab, ctx, state):
    """What the synchronization API reads after the page saved: the app's one job and its schedule."""
    jobs = graph(lab, ctx).get(f"/servicePrincipals/{ctx['sp']['id']}/synchronization/jobs")["value"]
    assert [job["schedule"]["state"] for job in jobs] == [state]
