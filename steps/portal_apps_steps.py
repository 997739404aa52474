"""Steps of the Enterprise apps scenarios (features/portal/apps*.feature) that the generic page steps do
not say: what Graph lists after the pages assigned or removed."""
from __future__ import annotations

from pytest_bdd import parsers, then

from steps.provisioning_steps import graph


@then(parsers.parse('Graph lists the assignments of "{app}" as "{expected}"'))
@then(parsers.parse('Graph listet die Zuweisungen von "{app}" als "{expected}"'))
def _(lab, ctx, app, expected):
    """``expected`` is "principal: app role display name, ..." (the roles' own names, not the portal's)."""
    client = graph(lab, ctx)
    named = [sp for sp in client.all_pages("/servicePrincipals") if sp["displayName"] == app]
    assert len(named) == 1, [sp["displayName"] for sp in named]
    roles = {role["id"]: role["displayName"] for role in named[0]["appRoles"]}
    listed = client.all_pages(f"/servicePrincipals/{named[0]['id']}/appRoleAssignedTo")
    seen = sorted(f"{a['principalDisplayName']}: {roles.get(a['appRoleId'], a['appRoleId'])}" for a in listed)
    assert seen == sorted(part.strip() for part in expected.split(",")), seen


@then(parsers.parse('the table "{table}" shows "{name}" with the role "{role}"'))
@then(parsers.parse('die Tabelle "{table}" zeigt "{name}" mit der Rolle "{role}"'))
def _(ui, table, name, role):
    """A row of Users and groups whose Display Name cell is ``name`` and whose Role assigned cell is ``role``."""
    from steps.portal_steps import _exact, expect

    page = ui.page
    rows = page.get_by_role("table", name=_exact(table)).get_by_role("row")
    expect(rows.filter(has=page.get_by_role("cell", name=_exact(name)))
               .filter(has=page.get_by_role("cell", name=_exact(role)))).to_have_count(1)
