"""Steps of the ``@target`` scenarios: what Entra does to a SCIM server, a vendor's or the lab's own
(SPEC §3.6–§3.7 and §6).

The admin acts through Graph (the non-gallery app from its template, the ``scim`` job, its schema and
secrets, users, groups and assignments) and ``/_admin`` (the clock, the settings). The steps read the
target only through SCIM GETs, every answer checked against the JSON Schemas of ``fixtures/schemas``,
and through Entra's outbound journal (what Entra sent, what came back). The few SCIM-level checks that
Entra's own client performs send exactly what Entra sends, with the lab's target client (the scenario
says "the conformance client sends ...").

The scenarios speak of Entra names ("B.Simon", "Sales"); the objects carry the scenario's run prefix,
which no scenario spells, so that a run never touches the target's own users.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote_plus

from pytest_bdd import given, parsers, then, when

from fixtures.contracts import check
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID
from simulator.entra.provisioning.dialects import group_query
from simulator.entra.provisioning.guard import UNKNOWN_ID
from simulator.entra.provisioning.probe import LIST_RESPONSE

from .provisioning_steps import PASSWORD, app, graph, job_path
from .rules import checks

pytest_plugins = ["fixtures.reporting", "fixtures.target"]

SCIM_JSON = "application/scim+json"
PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


# -- helpers ---------------------------------------------------------------------------------------
def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _user(ctx, name: str) -> dict:
    users = ctx.values.get("users", {})
    assert name in users, f"no tenant user {name!r} in this scenario; known: {sorted(users)}"
    return users[name]


def _group(ctx, name: str) -> dict:
    groups = ctx.values.get("groups", {})
    assert name in groups, f"no tenant group {name!r} in this scenario; known: {sorted(groups)}"
    return groups[name]


def _user_name(ctx, name: str) -> str:
    return ctx["target"].user_name(_user(ctx, name)["userPrincipalName"])


def _rows(datatable) -> list[list[str]]:
    """The rows of a two-column table, without its header row."""
    return [row for row in datatable[1:]]


def _one(resp, what: str) -> dict:
    assert resp.status_code == 200, f"the target answered the query for {what} with {resp.status_code}: {resp.text}"
    found = resp.json().get("Resources") or []
    assert resp.json()["totalResults"] == len(found) == 1, f"the target has {len(found)} of {what}: {resp.json()}"
    return found[0]


def _target_user(ctx, name: str) -> dict:
    user_name = _user_name(ctx, name)
    resp = ctx["target"].observer.get("/Users", params={"filter": f'userName eq "{user_name}"'})
    return _one(resp, f"the user {user_name}")


def _target_group(ctx, name: str) -> dict:
    display = _group(ctx, name)["displayName"]
    resp = ctx["target"].observer.get("/Groups", params={"filter": f'displayName eq "{display}"'})
    return _one(resp, f"the group {display}")


def _attribute(resource: dict, path: str):
    """The value at one of Entra's target attribute paths: ``name.givenName``,
    ``emails[type eq "work"].value``, ``urn:…:enterprise:2.0:User:department``."""
    container = resource
    urn = re.match(r"^(urn:.+):([^:]+)$", path)
    if urn:
        container, path = resource.get(urn[1]) or {}, urn[2]
    filtered = re.match(r'^(\w+)\[(\w+) eq "([^"]*)"\]\.(\w+)$', path)
    if filtered:
        attr, key, wanted, sub = filtered.groups()
        entries = [e for e in container.get(attr) or [] if str(e.get(key)).lower() == wanted.lower()]
        return entries[0].get(sub) if entries else None
    for part in path.split("."):
        container = container.get(part) if isinstance(container, dict) else None
    return container


def check_answer(method: str, path: str, status: int | None, body) -> None:
    """The shape of one answer of the target: a SCIM Error for 4xx/5xx, a ListResponse (and its
    resources) for queries, a User or Group otherwise."""
    if status is None or status == 204 or body is None:
        return
    kind = "scim-group" if "/Groups" in path else "scim-user" if "/Users" in path else None
    if status >= 400:
        check("scim-error", body)
    elif isinstance(body, dict) and LIST_RESPONSE in (body.get("schemas") or []):
        check("scim-list-response", body)
        for item in body.get("Resources") or []:
            if kind:
                check(kind, item)
    elif kind and method != "DELETE":
        check(kind, body)


def _patches(ctx, target_id: str, kind: str = "Users") -> list[dict]:
    return [e for e in ctx["target"].outbound() if e["method"] == "PATCH" and e["path"].endswith(f"/{kind}/{target_id}")]


def _expected_operations(ctx, datatable) -> list:
    dialect = ctx["target"].dialect
    rows = {row[0].strip(): row[1] for row in _rows(datatable)}
    assert dialect in rows, f"the table gives no operations for the {dialect} dialect"

    def target_id(match):
        return _target_user(ctx, match[1])["id"]
    return json.loads(re.sub(r"\{id:([^}]+)\}", target_id, rows[dialect]))


def _canonical(operations: list) -> list[str]:
    return sorted(json.dumps(op, sort_keys=True) for op in operations)


# -- the app ---------------------------------------------------------------------------------------
def _adapt_mappings(lab, ctx, target) -> None:
    """Fit the app's user mappings to the target, as an admin would in the portal: the tenant's domain
    rewritten into TARGET_DOMAIN (userName, work e-mail), and a constant licence role for targets that
    need one (TARGET_ROLE)."""
    rewrites = {}
    if target.domain != target.tenant_domain:
        for attribute, source in (("userName", "userPrincipalName"), ('emails[type eq "work"].value', "mail")):
            rewrites[attribute] = f'Replace([{source}], "@{target.tenant_domain}", , , "@{target.domain}", , )'
    role = target.settings.role
    if not rewrites and not role:
        return
    schema = graph(lab, ctx).get(job_path(ctx, "/schema"))
    schema.pop("@odata.context", None)
    mapping = next(m for rule in schema["synchronizationRules"] for m in rule["objectMappings"]
                   if m["sourceObjectName"] == "User")
    for attribute in mapping["attributeMappings"]:
        expression = rewrites.get(attribute["targetAttributeName"])
        if expression:
            attribute["source"] = {"expression": expression, "name": "Replace", "parameters": [], "type": "Function"}
    if role:
        mapping["attributeMappings"].append({
            "source": {"expression": json.dumps(role), "name": role, "parameters": [], "type": "Constant"},
            "targetAttributeName": 'roles[primary eq "True"].value', "defaultValue": None,
            "exportMissingReferences": False, "flowBehavior": "FlowWhenChanged", "flowType": "Always",
            "matchingPriority": 0})
    resp = graph(lab, ctx).request("PUT", job_path(ctx, "/schema"), json=schema)
    assert resp.status_code == 204, resp.text


@given("the non-gallery SCIM app is pointed at the target")
def _(lab, ctx, target):
    """Adds the non-gallery app from its template, creates its ``scim`` job, fits the mappings to the
    target and saves the Tenant URL (with ``?aadOptscim062020`` in that dialect) and the Secret Token."""
    added = lab.client.add_app(NON_GALLERY_TEMPLATE_ID, f"{target.prefix} SCIM conformance")
    ctx.remember(sp=added.sp, roles=added.roles, target=target, job_id=added.create_job("scim")["id"])
    _adapt_mappings(lab, ctx, target)
    if target.settings.ca:
        lab.client.settings(targetCaBundle=target.settings.ca)
    added.secrets(BaseAddress=target.base_address, SecretToken=target.token)


# -- the tenant ------------------------------------------------------------------------------------
def _tenant_user(lab, ctx, name: str) -> dict:
    target = ctx["target"]
    local = f"{target.prefix}-{name.lower().replace(' ', '.')}"
    upn = f"{local}@{target.tenant_domain}"
    given_name, _, surname = name.partition(".")
    body = {"accountEnabled": True, "displayName": f"{target.prefix} {name}", "mailNickname": local,
            "userPrincipalName": upn, "givenName": given_name or name, "surname": surname or "User", "mail": upn,
            "department": "Sales", "passwordProfile": {"password": PASSWORD}}
    created = graph(lab, ctx).post("/users", body)
    user = {**{k: v for k, v in body.items() if k != "passwordProfile"}, **created}
    ctx.values.setdefault("users", {})[name] = user
    return user


def _assign(lab, ctx, principal_id: str) -> None:
    app(lab, ctx).assign(principal_id, "Default Access")


@given(parsers.parse('the tenant user "{name}" is assigned to the app'))
def _(lab, ctx, name):
    """Creates the user in Entra (its names carry the run prefix) and assigns it with Default Access."""
    _assign(lab, ctx, _tenant_user(lab, ctx, name)["id"])


@given(parsers.parse('the tenant users "{names}" are assigned to the app'))
def _(lab, ctx, names):
    for name in _names(names):
        _assign(lab, ctx, _tenant_user(lab, ctx, name)["id"])


@given(parsers.parse("{count:d} tenant users are assigned to the app"))
def _(lab, ctx, count):
    for number in range(1, count + 1):
        _assign(lab, ctx, _tenant_user(lab, ctx, f"Page.User{number:02d}")["id"])


@given(parsers.parse('the tenant group "{group}" has the members "{members}"'))
def _(lab, ctx, group, members):
    target = ctx["target"]
    created = graph(lab, ctx).post("/groups", {
        "displayName": f"{target.prefix} {group}", "mailNickname": f"{target.prefix}-{group.lower().replace(' ', '-')}",
        "securityEnabled": True, "mailEnabled": False})
    ctx.values.setdefault("groups", {})[group] = created
    _add_members(lab, ctx, group, members)


def _add_members(lab, ctx, group: str, members: str) -> None:
    for name in _names(members):
        graph(lab, ctx).post(f"/groups/{_group(ctx, group)['id']}/members/$ref",
                             {"@odata.id": f"{lab.graph_url}/directoryObjects/{_user(ctx, name)['id']}"})


@given(parsers.parse('the tenant group "{group}" is assigned to the app'))
def _(lab, ctx, group):
    _assign(lab, ctx, _group(ctx, group)["id"])


@when(parsers.parse('"{members}" are added to the tenant group "{group}"'))
@when(parsers.parse('"{members}" is added to the tenant group "{group}"'))
def _(lab, ctx, members, group):
    _add_members(lab, ctx, group, members)


@when(parsers.parse('"{members}" are removed from the tenant group "{group}"'))
@when(parsers.parse('"{members}" is removed from the tenant group "{group}"'))
def _(lab, ctx, members, group):
    for name in _names(members):
        graph(lab, ctx).delete(f"/groups/{_group(ctx, group)['id']}/members/{_user(ctx, name)['id']}/$ref")


@given(parsers.parse('the attributes of "{name}" are changed in Entra:'))
@when(parsers.parse('the attributes of "{name}" are changed in Entra:'))
def _(lab, ctx, name, datatable):
    """Graph PATCH of the user with the table's ``property | value`` rows (Graph property names)."""
    graph(lab, ctx).patch(f"/users/{_user(ctx, name)['id']}", {row[0]: row[1] for row in _rows(datatable)})


@when(parsers.parse('sign-in is allowed again for "{name}"'))
def _(lab, ctx, name):
    graph(lab, ctx).patch(f"/users/{_user(ctx, name)['id']}", {"accountEnabled": True})


# -- the conformance client (Entra's own client) ---------------------------------------------------
def _send(ctx, method: str, path: str, body=None):
    resp = ctx["target"].send_as_entra(method, path, body)
    ctx.remember(direct=resp)
    return resp


def _entra_create(ctx, name: str) -> dict:
    user_name = _user_name(ctx, name)
    creates = [e for e in ctx["target"].outbound() if e["method"] == "POST" and e["path"].endswith("/Users")
               and isinstance(e["body"], dict) and e["body"].get("userName") == user_name]
    assert creates, f"Entra never sent a create of {user_name}"
    return creates[0]["body"]


@when(parsers.parse('the conformance client sends Entra\'s create of "{name}" again'))
def _(ctx, name):
    """Replays Entra's ``POST /Users`` of the user, byte for byte, with Entra's client."""
    _send(ctx, "POST", "/Users", _entra_create(ctx, name))


@when(parsers.parse('the conformance client sends Entra\'s create of "{name}" again with the userName in upper case'))
def _(ctx, name):
    body = dict(_entra_create(ctx, name))
    body["userName"] = body["userName"].upper()
    _send(ctx, "POST", "/Users", body)


@when(parsers.parse("the conformance client sends {request} for an id the target never issued"))
def _(ctx, request):
    """``GET|PATCH /Users|Groups/{id}`` for an unknown id; a PATCH carries Entra's disable (users) or
    member add (groups) in the scenario's dialect."""
    method, _, path = request.partition(" ")
    path = path.replace("{id}", UNKNOWN_ID)
    body = None
    if method == "PATCH":
        dialect = ctx["target"].dialect.lower()
        name = "disable-user" if path.startswith("/Users") else "group-add-members"
        text = (PAYLOADS / f"entra-{dialect}-{name}.json").read_text()
        body = json.loads(re.sub(r"__[A-Z_]+_ID__", UNKNOWN_ID, text))
    _send(ctx, method, path, body)


@when(parsers.parse('the conformance client looks the group "{group}" up as Entra does'))
def _(ctx, group):
    """``GET /Groups?excludedAttributes=members&filter=displayName eq "…"``, encoded as Entra encodes it."""
    _send(ctx, "GET", f"/Groups?{group_query(_group(ctx, group)['displayName'])}")


@when(parsers.parse("the conformance client pages through the target's users {count:d} at a time"))
@checks("rfc7644-3.4.2.4")
def _(ctx, count):
    """Reads pages at startIndex 1, 1+count, 1+2·count (and stops earlier when the target has fewer
    users), as Microsoft's SCIM_User_Pagination_Test does."""
    pages = []
    start = 1
    while len(pages) < 3:
        resp = ctx["target"].observer.get("/Users", params={"startIndex": start, "count": count})
        assert resp.status_code == 200, f"page at startIndex {start}: {resp.status_code} {resp.text}"
        pages.append((start, resp.json()))
        if start + count > resp.json()["totalResults"]:
            break
        start += count
    ctx.remember(pages=pages)


# -- observing Entra's traffic ---------------------------------------------------------------------
@then("Entra's probe was a userName filter for a random GUID, without a User-Agent")
@checks("entra-test-connection", "rfc7644-3.4.2")
def _(ctx):
    sent = [e for e in ctx["target"].outbound(ctx["probe_mark"])]
    assert len(sent) == 1, f"Test Connection sent {len(sent)} requests: {sent}"
    probe = sent[0]
    assert probe["method"] == "GET" and probe["path"].endswith("/Users"), probe
    assert re.fullmatch(r"filter=userName\+eq\+%22[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}%22", probe["query"]), \
        probe["query"]
    assert probe["headers"].get("Authorization") == "Bearer REDACTED"
    assert "User-Agent" not in probe["headers"]
    assert probe["status"] == 200, f"the probe was answered {probe['status']}: {probe['responseBody']}"
    check_answer("GET", probe["path"], probe["status"], probe["responseBody"])
    assert probe["responseBody"]["totalResults"] == 0, probe["responseBody"]


@then(parsers.parse('Entra looked "{name}" up by userName before creating it'))
@checks("entra-matching", "rfc7644-3.4.2", "rfc7644-3.3")
def _(ctx, name):
    user_name = _user_name(ctx, name)
    query = "filter=" + quote_plus(f'userName eq "{user_name}"')
    sent = ctx["target"].outbound()
    lookups = [i for i, e in enumerate(sent) if e["method"] == "GET" and e["query"] == query]
    creates = [i for i, e in enumerate(sent) if e["method"] == "POST" and isinstance(e["body"], dict)
               and e["body"].get("userName") == user_name]
    assert lookups, f"Entra never queried {query}"
    assert creates, f"Entra never created {user_name}; it sent: {[(e['method'], e['path'], e['status']) for e in sent]}"
    assert lookups[0] < creates[0], "Entra created the user before looking it up"
    lookup, create = sent[lookups[0]], sent[creates[0]]
    assert lookup["status"] == 200, f"the matching query was answered {lookup['status']}: {lookup['responseBody']}"
    check_answer("GET", lookup["path"], lookup["status"], lookup["responseBody"])
    assert lookup["responseBody"]["totalResults"] == 0, lookup["responseBody"]
    assert create["status"] == 201, f"the create was answered {create['status']}: {create['responseBody']}"
    check_answer("POST", create["path"], create["status"], create["responseBody"])


@then("the target accepted every request Entra sent")
@checks("entra-scim-compat")
def _(ctx):
    """Every request Entra sent in the scenario was answered 2xx, in SCIM's shape."""
    sent = ctx["target"].outbound()
    assert sent, "Entra sent nothing to the target"
    for e in sent:
        where = f"Entra's {e['method']} {e['path']}{'?' + e['query'] if e['query'] else ''}"
        assert e["status"] is not None, f"{where} got no answer: {e.get('error')}"
        assert 200 <= e["status"] < 300, f"{where} was answered {e['status']}: {json.dumps(e['responseBody'])}"
        check_answer(e["method"], e["path"], e["status"], e["responseBody"])


@then(parsers.parse('Entra\'s last PATCH of "{name}" had the operations of its dialect:'))
@checks("entra-scim-compat", "rfc7644-3.5.2")
def _(ctx, name, datatable):
    sent = _patches(ctx, _target_user(ctx, name)["id"])
    assert sent, f"Entra sent no PATCH for {name}"
    check("scim-patch-op", sent[-1]["body"])
    expected = _expected_operations(ctx, datatable)
    assert _canonical(sent[-1]["body"]["Operations"]) == _canonical(expected), sent[-1]["body"]


@then(parsers.parse('Entra\'s last PATCH of the group "{group}" had the operations of its dialect:'))
@checks("entra-group-members", "entra-scim-compat")
def _(ctx, group, datatable):
    sent = _patches(ctx, _target_group(ctx, group)["id"], "Groups")
    assert sent, f"Entra sent no PATCH for the group {group}"
    check("scim-patch-op", sent[-1]["body"])
    assert _canonical(sent[-1]["body"]["Operations"]) == _canonical(_expected_operations(ctx, datatable)), \
        sent[-1]["body"]


@then(parsers.parse('Entra sent the changes of "{name}" as one PATCH in its dialect\'s form'))
@checks("entra-pathless-patch", "entra-scim-compat", "rfc7644-3.5.2")
def _(ctx, name):
    """Legacy: one ``Replace``/``Add`` per attribute, each with its path. aadOptscim062020: one
    path-less ``replace`` whose value has dotted (``name.givenName``) and URN keys."""
    sent = _patches(ctx, _target_user(ctx, name)["id"])
    assert len(sent) == 1, f"Entra sent {len(sent)} PATCH requests for {name}"
    operations = sent[0]["body"]["Operations"]
    if ctx["target"].dialect == "legacy":
        assert len(operations) > 1 and all(op.get("path") and op["op"] in ("Add", "Replace") for op in operations), \
            operations
    else:
        pathless = [op for op in operations if "path" not in op]
        assert len(pathless) == 1 and pathless[0]["op"] == "replace", operations
        keys = list(pathless[0]["value"])
        assert any("." in k and not k.startswith("urn:") for k in keys) and any(k.startswith("urn:") for k in keys), keys


@then(parsers.parse('Entra created the group "{group}" without members and added its {count:d} members in one PATCH'))
@checks("entra-group-members")
def _(ctx, group, count):
    display = _group(ctx, group)["displayName"]
    sent = ctx["target"].outbound()
    creates = [e for e in sent if e["method"] == "POST" and e["path"].endswith("/Groups")
               and isinstance(e["body"], dict) and e["body"].get("displayName") == display]
    assert len(creates) == 1 and "members" not in creates[0]["body"], creates
    assert creates[0]["status"] == 201, f"the group create was answered {creates[0]['status']}: {creates[0]['responseBody']}"
    group_id = creates[0]["responseBody"]["id"]
    patches = _patches(ctx, group_id, "Groups")
    assert len(patches) == 1, f"Entra sent {len(patches)} PATCH requests for the group"
    values = [v for op in patches[0]["body"]["Operations"] for v in op.get("value") or []]
    assert len(values) == count, patches[0]["body"]


@then(parsers.parse('every answer of the target was "{media_type}"'))
@checks("rfc7644-3.1")
def _(ctx, media_type):
    answers = [(f"Entra's {e['method']} {e['path']}", e["responseHeaders"], e["responseBody"])
               for e in ctx["target"].outbound()]
    answers += [(f"the {x.get('from', 'conformance-client').replace('-', ' ')}'s {x['entry']['method']} "
                 f"{x['entry']['path']}", x["entry"]["responseHeaders"], x["entry"]["responseBody"])
                for x in ctx["target"].exchanges]
    with_body = [a for a in answers if a[2] is not None]
    assert with_body, "the target sent no answer with a body"
    for where, headers, _ in with_body:
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        assert ctype.split(";")[0].strip().lower() == media_type, f"{where} was answered with Content-Type {ctype!r}"


# -- observing the target (SCIM GETs) --------------------------------------------------------------
@then(parsers.parse('the target shows "{name}" as {state}'))
@checks("entra-soft-delete")
def _(ctx, name, state):
    assert state in ("active", "inactive"), state
    user = _target_user(ctx, name)
    assert user.get("active") is (state == "active"), f"active is {user.get('active')!r}: {user}"
    again = ctx["target"].observer.get(f"/Users/{user['id']}")
    assert again.status_code == 200 and again.json().get("active") is (state == "active"), again.text


@then(parsers.parse('the target shows "{name}" with:'))
@checks("rfc7644-3.5.2")
def _(ctx, name, datatable):
    user = _target_user(ctx, name)
    for attribute, value in _rows(datatable):
        assert _attribute(user, attribute) == value, f"{attribute} is {_attribute(user, attribute)!r}: {user}"


@then(parsers.parse('the target has no user "{name}"'))
@checks("rfc7644-3.6")
def _(ctx, name):
    user_name = _user_name(ctx, name)
    observer = ctx["target"].observer
    resp = observer.get("/Users", params={"filter": f'userName eq "{user_name}"'})
    assert resp.status_code == 200 and resp.json()["totalResults"] == 0, resp.text
    created = [e for e in ctx["target"].outbound() if e["method"] == "POST" and isinstance(e["body"], dict)
               and e["body"].get("userName") == user_name and isinstance(e["responseBody"], dict)]
    for entry in created:
        gone = observer.get(f"/Users/{entry['responseBody']['id']}")
        assert gone.status_code == 404, f"GET of the deleted user answered {gone.status_code}: {gone.text}"


@then(parsers.parse('the target finds "{name}" with the filter {expression}'))
@checks("rfc7644-3.4.2.2")
def _(ctx, name, expression):
    """``{userName}``, ``{externalId}``, ``{email}`` stand for the user's values; ``{upper:…}`` and
    ``{lower:…}`` change their letter case."""
    user = _user(ctx, name)
    values = {"userName": _user_name(ctx, name), "externalId": user["mailNickname"],
              "email": ctx["target"].user_name(user["mail"])}

    def value(match):
        case, key = match[1], match[2]
        text = values[key]
        return text.upper() if case == "upper" else text.lower() if case == "lower" else text
    rendered = re.sub(r"\{(?:(upper|lower):)?(\w+)\}", value, expression)
    resp = ctx["target"].observer.get("/Users", params={"filter": rendered})
    found = _one(resp, f"users matching {rendered}")
    assert found["userName"].lower() == values["userName"].lower(), found


@then(parsers.parse("the target answers {status:d} with a SCIM error"))
@then(parsers.parse('the target answers {status:d} with a SCIM error of scimType "{scim_type}"'))
@checks("rfc7644-3.12")
def _(ctx, status, scim_type=None):
    resp = ctx["direct"]
    assert resp.status == status, f"expected {status}, the target answered {resp.status}: {resp.text[:1000]}"
    body = resp.json()
    assert isinstance(body, dict), f"the error body is not JSON: {resp.text[:500]!r}"
    check("scim-error", body)
    assert body["status"] == str(status), f"status in the body is {body['status']!r}"
    if scim_type:
        assert body.get("scimType") == scim_type, f"scimType is {body.get('scimType')!r}: {body}"


@then(parsers.parse('the target\'s group "{group}" has the members "{members}"'))
@checks("entra-group-members", "entra-remove-member-value")
def _(ctx, group, members):
    found = _target_group(ctx, group)
    resp = ctx["target"].observer.get(f"/Groups/{found['id']}")
    assert resp.status_code == 200, resp.text
    have = sorted(m["value"] for m in resp.json().get("members") or [])
    want = sorted(_target_user(ctx, name)["id"] for name in _names(members))
    assert have == want, f"the group's members are {have}, expected {want} ({members})"


@then(parsers.parse('the answer lists the group "{group}" without its members'))
@checks("rfc7644-3.4.2.5")
def _(ctx, group):
    resp = ctx["direct"]
    assert resp.status == 200, f"the group query was answered {resp.status}: {resp.text[:1000]}"
    check_answer("GET", "/Groups", resp.status, resp.json())
    found = resp.json()["Resources"]
    assert [g["displayName"] for g in found] == [_group(ctx, group)["displayName"]], found
    assert "members" not in found[0], f"excludedAttributes=members was ignored: {found[0]}"


@then(parsers.parse("every page had at most {count:d} users and echoed its startIndex"))
@checks("rfc7644-3.4.2.4")
def _(ctx, count):
    pages = ctx["pages"]
    totals = {body["totalResults"] for _, body in pages}
    assert len(totals) == 1, f"totalResults changed between pages: {sorted(totals)}"
    for start, body in pages:
        assert len(body.get("Resources") or []) <= count, f"the page at {start} has {len(body['Resources'])} users"
        assert body.get("startIndex") == start, f"the page asked at startIndex {start} says {body.get('startIndex')}"


@then(parsers.parse("the pages listed at least {count:d} different users, none twice"))
@checks("rfc7644-3.4.2.4")
def _(ctx, count):
    ids = [r["id"] for _, body in ctx["pages"] for r in body.get("Resources") or []]
    assert len(ids) == len(set(ids)), f"a user appeared on two pages: {ids}"
    assert len(ids) >= count, f"the pages listed {len(ids)} users"
