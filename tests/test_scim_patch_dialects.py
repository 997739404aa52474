"""Every PATCH shape of SPEC §3.7's dialect table, sent to the live fake GoToMeeting as Entra sends it
(legacy default and ``?aadOptscim062020``), each checked through a SCIM GET afterwards.

The request bodies are the wire samples in ``fixtures/payloads/`` (named like scim2-models' RFC
samples); ``__USER_ID__``-style placeholders are replaced with the ids the server assigned.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GOTO = "urn:ietf:params:scim:schemas:extension:goto:2.0:User"


def payload(name: str, **ids: str) -> dict:
    text = (PAYLOADS / name).read_text()
    for key, value in ids.items():
        text = text.replace(f"__{key.upper()}__", value)
    assert "__" not in re.sub(r"[A-Za-z]__[A-Za-z]", "", text), f"unfilled placeholder in {name}"
    return json.loads(text)


def dig(resource: dict, path: str):
    """``name.givenName``, ``emails[type=work].value``, ``<urn>:department``, ``members[].value``."""
    node = resource
    for urn in (ENT, GOTO):
        if path.startswith(urn + ":"):
            node, path = node.get(urn, {}), path[len(urn) + 1:]
    for part in path.split("."):
        match = re.fullmatch(r"(\w+)\[(\w*)=?(.*)\]", part)
        if match:
            name, key, want = match.groups()
            entries = node.get(name) or []
            node = [e for e in entries if not key or str(e.get(key)) == want]
            node = node[0] if key and node else node
        elif isinstance(node, list):
            node = sorted(e.get(part) for e in node)
        else:
            node = (node or {}).get(part)
    return node


class Scim:
    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Content-Type": "application/scim+json"})

    def call(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return self.session.request(method, self.base + path, data=json.dumps(body) if body else None,
                                    timeout=10)


@pytest.fixture
def scim(lab) -> Scim:
    return Scim(lab.scim_url, lab.static_scim_token())


@pytest.fixture
def people(scim) -> dict:
    britta = scim.call("POST", "/Users", payload("entra-legacy-create-user.json"))
    assert britta.status_code == 201, britta.text
    manager = payload("entra-legacy-create-user.json")
    manager.update(userName="a.lee@contoso.example", externalId="alee", displayName="A Lee")
    lee = scim.call("POST", "/Users", manager)
    assert lee.status_code == 201, lee.text
    return {"user_id": britta.json()["id"], "manager_id": lee.json()["id"]}


USER_CASES = [
    ("entra-legacy-disable-user.json", [], {"active": False, f"{GOTO}:status": "suspended"}),
    ("entra-aadoptscim062020-disable-user.json", [], {"active": False, f"{GOTO}:products": None}),
    ("entra-legacy-enable-user.json", ["entra-legacy-disable-user.json"], {"active": True}),
    ("entra-aadoptscim062020-enable-user.json", ["entra-aadoptscim062020-disable-user.json"],
     {"active": True, f"{GOTO}:status": "active"}),
    ("entra-legacy-add-attribute.json", [], {"nickName": "Babs"}),
    ("entra-aadoptscim062020-add-attribute.json", [], {"nickName": "Babs"}),
    ("entra-legacy-update-user.json", [], {
        "displayName": "Britta Simon-Lee", "emails[type=work].value": "britta.lee@contoso.example",
        "name.givenName": "Britta", "name.familyName": "Simon-Lee", f"{ENT}:employeeNumber": "2002",
        f"{ENT}:department": "Marketing", "addresses[type=work].streetAddress": "2 Fabrikam Road",
        "addresses[type=work].locality": "Redmond", "phoneNumbers[type=mobile].value": "+1 425 555 0199",
        "phoneNumbers[type=work].value": "+1 425 555 0100", "userName": "B.Simon@contoso.example"}),
    ("entra-aadoptscim062020-update-user-pathless.json", [], {
        "displayName": "Britta Simon-Lee", "emails[type=work].value": "britta.lee@contoso.example",
        "name.givenName": "Britta", "name.familyName": "Simon-Lee", "title": "Marketing Lead",
        "active": True, f"{ENT}:employeeNumber": "2002", f"{ENT}:department": "Marketing",
        "addresses[type=work].streetAddress": "2 Fabrikam Road",
        "phoneNumbers[type=mobile].value": "+1 425 555 0199", "name.formatted": "Britta Simon"}),
    ("entra-legacy-update-role.json", [], {"roles[primary=True].value": "manager", "roles[].value": ["manager"]}),
    ("entra-aadoptscim062020-update-role.json", [], {"roles[primary=True].value": "manager"}),
    ("entra-legacy-update-manager.json", [], {f"{ENT}:manager.value": "{manager_id}"}),
    ("entra-legacy-update-manager-list.json", [], {f"{ENT}:manager.value": "{manager_id}"}),
    ("entra-aadoptscim062020-update-manager-pathless.json", [], {f"{ENT}:manager.value": "{manager_id}"}),
    ("entra-legacy-remove-manager.json", ["entra-legacy-update-manager.json"],
     {f"{ENT}:manager": None, f"{ENT}:department": "Sales"}),
]


@pytest.mark.live
@pytest.mark.parametrize("name, before, expected", USER_CASES, ids=[c[0] for c in USER_CASES])
def test_user_patch_shape(scim, people, name, before, expected):
    user_id = people["user_id"]
    for step in before:
        assert scim.call("PATCH", f"/Users/{user_id}", payload(step, **people)).status_code == 200
    resp = scim.call("PATCH", f"/Users/{user_id}", payload(name, **people))
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/scim+json")
    stored = scim.call("GET", f"/Users/{user_id}").json()
    assert resp.json() == stored
    for path, want in expected.items():
        want = want.format(**people) if isinstance(want, str) else want
        assert dig(stored, path) == want, (path, stored)


GROUP_CASES = [
    ("entra-legacy-group-add-members.json", [], {"members[].value": "both"}),
    ("entra-aadoptscim062020-group-add-members.json", [], {"members[].value": "both"}),
    ("entra-legacy-group-remove-member.json", ["entra-legacy-group-add-members.json"],
     {"members[].value": "other"}),
    ("entra-aadoptscim062020-group-remove-member.json", ["entra-aadoptscim062020-group-add-members.json"],
     {"members[].value": "other"}),
    ("entra-legacy-group-update-displayname.json", [], {"displayName": "Sales Team EMEA"}),
    ("entra-aadoptscim062020-group-update-pathless.json", [],
     {"displayName": "Sales Team EMEA", "externalId": "sales-emea"}),
]


@pytest.mark.live
@pytest.mark.parametrize("name, before, expected", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_group_patch_shape(scim, people, name, before, expected):
    created = scim.call("POST", "/Groups", payload("entra-legacy-create-group.json"))
    assert created.status_code == 201, created.text
    assert created.json()["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"]
    group_id = created.json()["id"]
    ids = {"member_id": people["user_id"], "other_member_id": people["manager_id"]}
    members = {"both": sorted(ids.values()), "other": [people["manager_id"]]}
    for step in before:
        assert scim.call("PATCH", f"/Groups/{group_id}", payload(step, **ids)).status_code == 200
    resp = scim.call("PATCH", f"/Groups/{group_id}", payload(name, **ids))
    assert resp.status_code == 200, resp.text
    stored = scim.call("GET", f"/Groups/{group_id}").json()
    for path, want in expected.items():
        assert dig(stored, path) == members.get(want, want), (path, stored)
    listed = scim.call("GET", f'/Groups?excludedAttributes=members&filter=displayName eq "{stored["displayName"]}"')
    assert listed.json()["totalResults"] == 1 and "members" not in listed.json()["Resources"][0]


@pytest.mark.live
def test_member_groups_show_on_the_user(scim, people):
    group = scim.call("POST", "/Groups", payload("entra-legacy-create-group.json")).json()
    ids = {"member_id": people["user_id"], "other_member_id": people["manager_id"]}
    scim.call("PATCH", f"/Groups/{group['id']}", payload("entra-legacy-group-add-members.json", **ids))
    user = scim.call("GET", f"/Users/{people['user_id']}").json()
    assert [(g["value"], g["display"]) for g in user["groups"]] == [(group["id"], "Sales Team")]
    assert scim.call("DELETE", f"/Users/{people['user_id']}").status_code == 204
    assert dig(scim.call("GET", f"/Groups/{group['id']}").json(), "members[].value") == [people["manager_id"]]
