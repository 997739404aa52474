"""Steps of the GoTo Admin Center's ``@ui`` scenarios (features/portal/gotomeeting*.feature), in English
and German: Entra provisions a user through the lab's client, the GoTo accounts sign in on GoTo's
sign-in page, the Licences page's numbers are GoToMeeting's seats."""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from fixtures.browser import UI
from steps.portal_steps import _sign_in, expect

ADMIN_CENTER = "/admin-center/"
USERS = {"en": "Users", "de": "Benutzer"}
SEATS = {"en": "GoToMeeting organizer seats", "de": "GoToMeeting-Organisatorplätze"}
SEAT_TERMS = {"en": {"total": "Total", "used": "Used", "free": "Free"},
              "de": {"total": "Gesamt", "used": "Belegt", "free": "Frei"}}


@given(parsers.parse('Entra has provisioned "{name}" to GoToMeeting with the role "{role}"'))
@given(parsers.parse('Entra hat "{name}" mit der Rolle "{role}" in GoToMeeting bereitgestellt'))
def _(lab, name, role):
    client = lab.client
    app = client.gotomeeting_app()
    user = client.create_user(name)
    app.assign(user["id"], role)
    app.start()
    client.advance(0)
    assert client.gotomeeting_user(user["userPrincipalName"]) is not None, app.logs()


@given("the team administrator signs in to the GoTo Admin Center")
@given("der Teamadministrator meldet sich beim GoTo Admin Center an")
def _(lab, ui: UI):
    account = lab.client.goto_admin
    _sign_in(ui, lab.client.gotomeeting_url + ADMIN_CENTER, account["email"], account["password"])


@when("the plain member signs in to the GoTo Admin Center")
@when("das einfache Mitglied meldet sich beim GoTo Admin Center an")
def _(lab, ui: UI):
    account = lab.client.goto_member
    _sign_in(ui, lab.client.gotomeeting_url + ADMIN_CENTER, account["email"], account["password"])


@then(parsers.re(r'the users list shows "(?P<email>[^"]+)" with the role "(?P<role>[^"]+)"'))
@then(parsers.re(r'die Benutzerliste zeigt "(?P<email>[^"]+)" mit der Rolle "(?P<role>[^"]+)"'))
def _(ui: UI, email, role):
    table = ui.page.get_by_role("table", name=USERS[ui.language])
    row = table.get_by_role("row").filter(has=ui.page.get_by_role("cell", name=email, exact=True))
    expect(row.get_by_role("cell", name=role, exact=True)).to_be_visible()


@then(parsers.parse("the licences show {used:d} seats used and {free:d} free of {total:d}, as GoToMeeting "
                    "counts them"))
@then(parsers.parse("zeigen die Lizenzen {used:d} belegte und {free:d} freie von {total:d} Plätzen, wie "
                    "GoToMeeting sie zählt"))
def _(lab, ui: UI, used, free, total):
    expected = {"total": total, "used": used, "free": free}
    assert lab.client.seats() == expected
    seats = ui.page.get_by_role("table", name=SEATS[ui.language])
    for key, term in SEAT_TERMS[ui.language].items():
        row = seats.get_by_role("row").filter(has=ui.page.get_by_role("rowheader", name=term, exact=True))
        expect(row.get_by_role("cell")).to_have_text(str(expected[key]))
