"""Steps that use the admin centers' pages in a real browser (``@ui`` scenarios), in English and German.

A step finds a control the way a person (or a screen reader) does: by its role and its accessible name
(``get_by_role``, ``get_by_label``), never by a CSS selector, so every scenario also proves that the
controls it touches are labelled. The browser comes from fixtures/browser.py (one context per
scenario, a screenshot after every step).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from pytest_bdd import given, parsers, then, when

from fixtures.browser import UI
from simulator.client import PASSWORD
from steps.provisioning_steps import upn_of

POPUP_TIMEOUT = 10_000


def expect(locator):
    """Playwright's web-first assertion, imported when a UI step runs: an installed lab without Playwright
    still loads this module (its UI scenarios then fail with fixtures/browser.py's one line)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _exact(text: str) -> re.Pattern:
    # Playwright writes a pattern into its selector as /source/ without escaping "/" ("Add user/group").
    return re.compile(rf"^\s*{re.escape(text).replace('/', chr(92) + '/')}\s*$")


def _sign_in(ui: UI, url: str, login: str, password: str) -> None:
    page = ui.page
    page.goto(url)
    page.get_by_label(re.compile(r"Email|E-Mail")).first.fill(login)
    page.get_by_label(re.compile(r"^(Password|Kennwort)$")).fill(password)
    page.get_by_role("button", name=re.compile(r"^(Sign in|Anmelden)$")).click()
    page.wait_for_load_state()


def _signed_in_over_http(ui: UI, url: str, login: str, password: str) -> None:
    """The browser context signs in through the sign-in page's form over HTTP (Playwright's request
    context shares the browser's cookies, so the session cookie lands where the pages need it), then the
    page opens ``url``: a precondition, established the way Playwright recommends for tests that are not
    about signing in. The sign-in page itself is walked by the ``When`` steps."""
    from lxml import html

    api = ui.context.request
    shown = api.get(url)  # follows the redirect to Entra's sign-in page
    form = html.fromstring(shown.text()).forms[0]
    answer = api.post(urljoin(shown.url, form.action),
                      form={**dict(form.form_values()), "login": login, "passwd": password, "action": "signin"})
    assert answer.ok and "/portal/" in answer.url, f"the sign-in answered {answer.status} at {answer.url}"
    ui.page.goto(url)


#: An enterprise app's sections, by their names in the app's menu (English and German), and their address.
APP_SECTIONS = {"Overview": "overview", "Übersicht": "overview",
                "Users and groups": "users-and-groups", "Benutzer und Gruppen": "users-and-groups",
                "Provisioning": "provisioning", "Bereitstellung": "provisioning",
                "Provision on demand": "provision-on-demand", "Bedarfsgesteuerte Bereitstellung": "provision-on-demand",
                "Provisioning logs": "provisioning-logs", "Bereitstellungsprotokolle": "provisioning-logs"}


# -- signing in --------------------------------------------------------------------------------------
@given(parsers.parse('the admin has opened "{section}" of the app in the Microsoft Entra admin center'))
@given(parsers.parse('der Administrator hat "{section}" der App im Microsoft Entra Admin Center geöffnet'))
def _(lab, ctx, ui: UI, section):
    """The scenario's enterprise app, one section of it open in the admin center (its address), the Cloud
    Application Administrator signed in: where a scenario about that section starts. The tutorials walk
    there through the menus."""
    config = lab.entra_config
    url = f"{lab.entra_url}/portal/enterprise-apps/{ctx['sp']['id']}/{APP_SECTIONS[section]}"
    _signed_in_over_http(ui, url, config.portal_admin_upn, config.portal_admin_password)
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(re.compile(rf"\| {re.escape(section)}$"))


@when("the admin signs in to the Microsoft Entra admin center as a Cloud Application Administrator")
@when("der Administrator meldet sich mindestens als Cloudanwendungsadministrator beim Microsoft Entra Admin Center an")
def _(lab, ui: UI):
    config = lab.entra_config
    _sign_in(ui, f"{lab.entra_url}/portal/", config.portal_admin_upn, config.portal_admin_password)
    expect(ui.page.get_by_role("link", name=re.compile(r"^(Enterprise apps|Enterprise-Apps)$")).first).to_be_visible()


@when(parsers.parse('"{name}" signs in to the Microsoft Entra admin center'))
@when(parsers.parse('"{name}" meldet sich beim Microsoft Entra Admin Center an'))
def _(lab, ui: UI, name):
    _sign_in(ui, f"{lab.entra_url}/portal/", upn_of(name, lab), PASSWORD)


# -- using the page ----------------------------------------------------------------------------------
@when(parsers.parse('the admin opens "{name}"'))
@when(parsers.parse('der Administrator öffnet "{name}"'))
def _(ui: UI, name):
    ui.page.get_by_role("link", name=_exact(name)).first.click()
    ui.page.wait_for_load_state()


@when(parsers.parse('the admin clicks "{name}"'))
@when(parsers.parse('der Administrator wählt "{name}" aus'))
@when(parsers.parse('der Administrator klickt auf "{name}"'))
def _(ui: UI, name):
    page = ui.page
    button = page.get_by_role("button", name=_exact(name))
    target = button if button.count() else page.get_by_role("link", name=_exact(name))
    target.first.click()
    page.wait_for_load_state()


@when(parsers.parse('the admin enters "{value}" in "{label}"'))
@when(parsers.parse('der Administrator gibt "{value}" in "{label}" ein'))
def _(ui: UI, value, label):
    ui.page.get_by_label(_exact(label)).first.fill(value)


@when(parsers.parse('the admin selects "{option}" in "{label}"'))
@when(parsers.parse('der Administrator legt "{label}" auf "{option}" fest'))
def _(ui: UI, option, label):
    ui.page.get_by_label(_exact(label)).first.select_option(label=option)


@when(parsers.parse('the admin ticks "{label}"'))
@when(parsers.parse('der Administrator markiert "{label}"'))
def _(ui: UI, label):
    ui.page.get_by_label(_exact(label)).first.check()


@when(parsers.parse('the admin clicks "{name}" and signs in to GoToMeeting in the popup as the team administrator'))
@when(parsers.parse('der Administrator wählt "{name}" aus und meldet sich im Popupfenster als Teamadministrator bei GoToMeeting an'))
def _(lab, ui: UI, name):
    _authorize_in_popup(ui, name, lab.client.goto_admin)


@when(parsers.parse('the admin clicks "{name}" and signs in to GoToMeeting in the popup as a plain member'))
@when(parsers.parse('der Administrator wählt "{name}" aus und meldet sich im Popupfenster als einfaches Mitglied bei GoToMeeting an'))
def _(lab, ui: UI, name):
    _authorize_in_popup(ui, name, lab.client.goto_member)


def _authorize_in_popup(ui: UI, name: str, account: dict) -> None:
    """The Authorize button opens GoTo's sign-in in a real second window; the admin signs in and allows
    access there; the window closes itself and the admin center shows the result."""
    page = ui.page
    with page.expect_popup(timeout=POPUP_TIMEOUT) as opened:
        page.get_by_role("button", name=_exact(name)).click()
    popup = opened.value
    ui.pages.append(popup)
    popup.wait_for_load_state()
    popup.get_by_label(re.compile(r"^(Email|E-Mail)")).fill(account["email"])
    popup.get_by_label(re.compile(r"^(Password|Kennwort)$")).fill(account["password"])
    with popup.expect_event("close", timeout=POPUP_TIMEOUT):  # listening before the click: it may close at once
        popup.get_by_role("button", name=re.compile(r"^(Allow|Zulassen)$")).click()
    ui.pages.remove(popup)
    page.wait_for_load_state()


# -- what the page shows ----------------------------------------------------------------------------
@then(parsers.parse('the page shows "{text}"'))
@then(parsers.parse('zeigt die Seite "{text}" an'))
@then(parsers.parse('die Seite zeigt "{text}"'))
def _(ui: UI, text):
    expect(ui.page.get_by_text(text).first).to_be_visible()


@then(parsers.parse('the page does not show "{text}"'))
@then(parsers.parse('die Seite zeigt "{text}" nicht'))
def _(ui: UI, text):
    expect(ui.page.get_by_text(text)).to_have_count(0)


@then(parsers.parse('the heading is "{text}"'))
@then(parsers.parse('die Überschrift lautet "{text}"'))
def _(ui: UI, text):
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(_exact(text))


@then(parsers.parse('a notification says "{text}"'))
@then(parsers.parse('eine Benachrichtigung meldet "{text}"'))
def _(ui: UI, text):
    notes = ui.page.get_by_role("status").or_(ui.page.get_by_role("alert"))
    expect(notes.filter(has_text=text).first).to_be_visible()


@then(parsers.parse('the table "{table}" has a row with "{first}" and "{second}"'))
@then(parsers.parse('die Tabelle "{table}" hat eine Zeile mit "{first}" und "{second}"'))
def _(ui: UI, table, first, second):
    rows = ui.page.get_by_role("table", name=_exact(table)).get_by_role("row")
    expect(rows.filter(has_text=first).filter(has_text=second).first).to_be_visible()


@then(parsers.re(r'the table "(?P<table>[^"]+)" has a row with "(?P<text>[^"]+)"$'))
@then(parsers.re(r'die Tabelle "(?P<table>[^"]+)" hat eine Zeile mit "(?P<text>[^"]+)"$'))
def _(ui: UI, table, text):
    rows = ui.page.get_by_role("table", name=_exact(table)).get_by_role("row")
    expect(rows.filter(has_text=text).first).to_be_visible()


@then(parsers.parse('the table "{table}" has no row with "{text}"'))
@then(parsers.parse('die Tabelle "{table}" hat keine Zeile mit "{text}"'))
def _(ui: UI, table, text):
    rows = ui.page.get_by_role("table", name=_exact(table)).get_by_role("row")
    expect(rows.filter(has_text=text)).to_have_count(0)
