"""Steps of the attribute-mapping pages (features/portal/mappings*.feature), in English and German: the
rows of the Attribute Mappings table read by role (table, row, cell), and the job's schema read back over
the synchronization API."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from pytest_bdd import given, parsers, then

from fixtures.browser import UI

from steps.failure_steps import gallery_job
from steps.provisioning_steps import graph, job_path

TABLE = re.compile(r"^(Attribute Mappings|Attributzuordnungen)$")


@given("the GoToMeeting app is set up for automatic provisioning and authorized")
@given("die GoToMeeting-App ist für die automatische Bereitstellung eingerichtet und autorisiert")
def _(lab, ctx):
    gallery_job(lab, ctx)


def _row(ui: UI, target: str):
    """The table's row whose target attribute is exactly ``target``."""
    table = ui.page.get_by_role("table", name=TABLE)
    return table.get_by_role("row").filter(has=ui.page.get_by_role("cell", name=target, exact=True))


def _shows(ui: UI, target: str, source: str, precedence: str) -> None:
    row = _row(ui, target)
    expect(row).to_have_count(1)
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(source)
    expect(cells.nth(2)).to_have_text(precedence)


@then(parsers.parse('the attribute mapping "{target}" maps "{source}" with matching precedence {precedence:d}'))
@then(parsers.parse('die Attributzuordnung "{target}" ordnet "{source}" mit der Rangfolge für Abgleich '
                    '{precedence:d} zu'))
def _(ui: UI, target, source, precedence):
    _shows(ui, target, source, str(precedence))


@then(parsers.parse('the attribute mapping "{target}" maps "{source}" and is not used for matching'))
def _(ui: UI, target, source):
    _shows(ui, target, source, "")


@then(parsers.parse('the attribute mapping "{target}" maps the constant "{value}" and is not used for matching'))
def _(ui: UI, target, value):
    _shows(ui, target, f'"{value}"', "")


def _saved_mapping(lab, ctx, target: str) -> dict:
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    found = [m for rule in schema["synchronizationRules"] for om in rule["objectMappings"]
             for m in om["attributeMappings"] if m["targetAttributeName"] == target]
    assert len(found) == 1, found
    return found[0]


@then(parsers.parse('the job\'s schema maps "{target}" from the constant "{value}"'))
@then(parsers.parse('das Schema des Auftrags ordnet "{target}" die Konstante "{value}" zu'))
def _(lab, ctx, target, value):
    source = _saved_mapping(lab, ctx, target)["source"]
    assert (source["type"], source["name"]) == ("Constant", value), source


@then(parsers.parse('the job\'s schema maps "{target}" from "{source}" with matching precedence '
                    '{precedence:d}'))
@then(parsers.parse('das Schema des Auftrags ordnet "{target}" "{source}" mit der Rangfolge für Abgleich '
                    '{precedence:d} zu'))
def _(lab, ctx, target, source, precedence):
    mapping = _saved_mapping(lab, ctx, target)
    assert (mapping["source"]["type"], mapping["source"]["name"]) == ("Attribute", source), mapping
    assert mapping["matchingPriority"] == precedence, mapping
