"""``python -m fixtures.scim_targets``: the project's own small SCIM servers, each started as a subprocess
and used only over HTTP through the JSON file ``--describe`` writes."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fixtures import scim_targets

ROOT = Path(__file__).resolve().parent.parent
SCIM_JSON = "application/scim+json"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEEDED = ["Some.One@vendor.example", "other@vendor.example"]

#: One worker starts the module's servers (the module fixture would start them on each worker).
pytestmark = pytest.mark.xdist_group("scim-targets")


class Target:
    """One ``python -m fixtures.scim_targets`` process."""

    def __init__(self, tmp: Path, name: str, *options: str):
        self.describe_file = tmp / f"{name}.json"
        self.log = tmp / f"{name}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fixtures.scim_targets", "--port", "0", "--describe", str(self.describe_file),
                 *options], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.describe: dict = {}
        self.session = requests.Session()
        self.signalled = False

    def ready(self) -> "Target":
        deadline = time.monotonic() + 10
        while not self.describe_file.exists():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"no describe file:\n{self.log.read_text()}"
            time.sleep(0.02)
        self.describe = json.loads(self.describe_file.read_text())
        self.session.headers["Authorization"] = f"Bearer {self.describe['token']}"
        return self

    def scim(self, method: str, path: str, body=None, *, timeout: float = 5, **kw) -> requests.Response:
        headers = {"Content-Type": SCIM_JSON} if body is not None else {}
        return self.session.request(method, self.describe["scimUrl"] + path, headers=headers, timeout=timeout,
                                    data=None if body is None else json.dumps(body), **kw)

    def control(self, path: str) -> dict:
        resp = requests.get(self.describe["baseUrl"] + path, timeout=5)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json"), resp.text
        return resp.json()

    def signal_stop(self) -> None:
        """One SIGTERM: a second one could arrive while the interpreter exits, with the default handler back."""
        self.session.close()
        if not self.signalled and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.signalled = True

    def stop(self) -> int:
        self.signal_stop()
        try:
            return self.process.wait(timeout=5)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """Every server of this module, started together."""
    tmp = tmp_path_factory.mktemp("scim-targets")
    seeds = [arg for name in SEEDED for arg in ("--seed-user", name)]
    started = {
        "correct": Target(tmp, "correct", "--token", "t0ken-1", *seeds),
        "ignore_filters": Target(tmp, "ignore", "--bug", "ignore_filters", *seeds),
        "case_sensitive_filter": Target(tmp, "case", "--bug", "case_sensitive_filter", *seeds),
        "create_returns_existing": Target(tmp, "upsert", "--bug", "create_returns_existing", *seeds),
        "html_answers": Target(tmp, "html", "--bug", "html_answers", *seeds),
        "hang": Target(tmp, "hang", "--bug", "hang", "--seed-user", SEEDED[0]),
        "reject_token": Target(tmp, "reject", "--bug", "reject_token", "--bug", "reject_token"),
    }
    try:
        yield {name: target.ready() for name, target in started.items()}
    finally:
        for target in started.values():
            target.signal_stop()
        for target in started.values():
            assert target.stop() == 0, target.log.read_text()


def _user(user_name: str, **extra) -> dict:
    local = user_name.split("@")[0]
    return {"schemas": [CORE_USER], "userName": user_name, "externalId": local, "active": True,
            "displayName": local.replace(".", " ").title(), "name": {"givenName": local, "familyName": "X"},
            "emails": [{"type": "work", "value": user_name, "primary": True}], **extra}


def _scim_error(resp: requests.Response, status: int, scim_type: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith(SCIM_JSON), resp.headers
    body = resp.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    return body


def _found(target: Target, path: str, **params) -> list[str]:
    resp = target.scim("GET", path, params=params)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(SCIM_JSON), resp.text
    body = resp.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["itemsPerPage"] == len(body["Resources"])
    return [r.get("userName") or r.get("displayName") for r in body["Resources"]]


def _patch(target: Target, path: str, *operations: dict, status: int = 200) -> dict:
    resp = target.scim("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})
    assert resp.status_code == status, resp.text
    return resp.json()


def test_round_trip_on_the_correct_server(targets):
    t = targets["correct"]
    assert set(t.describe) == {"baseUrl", "scimUrl", "token", "bugs", "seeded"}
    assert t.describe["scimUrl"] == t.describe["baseUrl"] + "/scim/v2" and t.describe["token"] == "t0ken-1"
    assert [s["userName"] for s in t.describe["seeded"]] == SEEDED and t.describe["bugs"] == []
    seeded_ids = [s["id"] for s in t.describe["seeded"]]
    before = t.control("/_dump")
    assert list(before["Users"]) == seeded_ids and before["Groups"] == {}

    # authentication
    _scim_error(requests.get(t.describe["scimUrl"] + "/Users", timeout=5), 401)
    _scim_error(requests.get(t.describe["scimUrl"] + "/Users", headers={"Authorization": "Bearer nope"}, timeout=5), 401)

    # create, uniqueness, read
    resp = t.scim("POST", "/Users", _user("b.simon@contoso.example", active="True"))
    assert resp.status_code == 201 and resp.headers["Content-Type"].startswith(SCIM_JSON), resp.text
    simon = resp.json()
    assert resp.headers["Location"] == simon["meta"]["location"] == f"{t.describe['scimUrl']}/Users/{simon['id']}"
    assert simon["active"] is True and simon["meta"]["resourceType"] == "User" and simon["id"] not in seeded_ids
    _scim_error(t.scim("POST", "/Users", _user("B.SIMON@contoso.example")), 409, "uniqueness")
    assert t.scim("GET", f"/Users/{simon['id']}").json() == simon
    _scim_error(t.scim("GET", "/Users/00000000-0000-0000-0000-000000000000"), 404)
    _scim_error(t.scim("POST", "/Users", {"displayName": "no user name"}), 400, "invalidValue")
    _scim_error(t.session.post(t.describe["scimUrl"] + "/Users", data="{not json", timeout=5,
                               headers={"Content-Type": SCIM_JSON}), 400, "invalidSyntax")
    others = [t.scim("POST", "/Users", _user(f"u{n}@contoso.example")).json() for n in range(4)]

    # filters
    assert _found(t, "/Users", filter='userName eq "B.Simon@CONTOSO.example"') == ["b.simon@contoso.example"]
    assert _found(t, "/Users", filter='USERNAME EQ "some.one@vendor.example"') == ["Some.One@vendor.example"]
    assert _found(t, "/Users", filter='externalId eq "b.simon"') == ["b.simon@contoso.example"]
    assert _found(t, "/Users", filter='externalId eq "B.Simon"') == []
    assert _found(t, "/Users", filter=f'id eq "{others[1]["id"]}"') == ["u1@contoso.example"]
    assert _found(t, "/Users", filter='displayName eq "B SIMON"') == ["b.simon@contoso.example"]
    assert _found(t, "/Users", filter='emails[type eq "work"].value eq "U2@Contoso.Example"') == ["u2@contoso.example"]
    assert _found(t, "/Users", filter='emails[type eq "home"].value eq "u2@contoso.example"') == []
    assert _found(t, "/Users", filter='userName eq "u3@contoso.example" and externalId eq "u3"') == ["u3@contoso.example"]
    assert _found(t, "/Users", filter='userName eq "u3@contoso.example" and externalId eq "u2"') == []
    assert _found(t, "/Users", filter='userName eq "0b0e5cd6-1a44-4f8e-9f8c-0c2b4e0d9a11"') == []
    for unsupported in ('title eq "x"', 'userName sw "u"', 'userName eq "a" or userName eq "b"', "userName eq"):
        _scim_error(t.scim("GET", "/Users", params={"filter": unsupported}), 400, "invalidFilter")

    # paging and attribute selection
    every = SEEDED + ["b.simon@contoso.example"] + [f"u{n}@contoso.example" for n in range(4)]
    assert _found(t, "/Users") == every
    page = t.scim("GET", "/Users", params={"startIndex": "2", "count": "3"}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (7, 2, 3)
    assert [r["userName"] for r in page["Resources"]] == every[1:4]
    assert _found(t, "/Users", startIndex="6", count="5") == every[5:]
    assert _found(t, "/Users", count="0") == []
    _scim_error(t.scim("GET", "/Users", params={"count": "many"}), 400, "invalidValue")
    only = t.scim("GET", f"/Users/{simon['id']}", params={"attributes": "userName,name.givenName"}).json()
    assert only == {"schemas": [CORE_USER], "id": simon["id"], "userName": simon["userName"],
                    "name": {"givenName": "b.simon"}}
    assert "emails" not in t.scim("GET", "/Users", params={"excludedAttributes": "emails"}).json()["Resources"][0]

    # PATCH, both dialects
    path = f"/Users/{simon['id']}"
    assert _patch(t, path, {"op": "Replace", "path": "active", "value": "False"})["active"] is False
    patched = _patch(t, path, {"op": "Add", "path": 'emails[type eq "work"].value', "value": "bs@contoso.example"},
                     {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "organizer"},
                     {"op": "REPLACE", "path": "name.familyName", "value": "Simon"},
                     {"op": "add", "path": f"{ENTERPRISE}:department", "value": "Sales"})
    assert patched["emails"] == [{"type": "work", "value": "bs@contoso.example", "primary": True}]
    assert patched["roles"] == [{"primary": True, "value": "organizer"}]
    assert patched["name"] == {"givenName": "b.simon", "familyName": "Simon"}
    assert patched[ENTERPRISE] == {"department": "Sales"} and ENTERPRISE in patched["schemas"]
    patched = _patch(t, path, {"op": "replace", "value": {
        "displayName": "Britta Simon", "name.givenName": "Britta", "active": "True",
        f"{ENTERPRISE}:department": "Marketing", "urn:ietf:params:scim:schemas:core:2.0:User:nickName": "Babs",
        'emails[type eq "work"].value': "britta@contoso.example"}})
    assert (patched["displayName"], patched["name"]["givenName"], patched["active"], patched["nickName"]) == (
        "Britta Simon", "Britta", True, "Babs")
    assert patched[ENTERPRISE]["department"] == "Marketing"
    assert patched["emails"][0]["value"] == "britta@contoso.example"
    patched = _patch(t, path, {"op": "remove", "path": "nickName"},
                     {"op": "Remove", "path": 'roles[value eq "organizer"]'})
    assert "nickName" not in patched and "roles" not in patched
    assert patched["meta"]["version"] == 'W/"5"' and patched["meta"]["lastModified"] > simon["meta"]["lastModified"]
    _scim_error(t.scim("PATCH", path, {"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "x"}]}),
                400, "invalidSyntax")
    _scim_error(t.scim("PATCH", path, {"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]}), 400, "noTarget")
    _scim_error(t.scim("PATCH", path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "userName", "value": "u0@CONTOSO.example"}]}), 409, "uniqueness")
    _scim_error(t.scim("PATCH", "/Users/unknown", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "active", "value": False}]}), 404)

    # PUT replaces
    resp = t.scim("PUT", path, _user("b.simon@contoso.example", displayName="B. Simon"))
    assert resp.status_code == 200 and resp.json()["displayName"] == "B. Simon" and "nickName" not in resp.json()
    assert resp.json()["id"] == simon["id"] and resp.json()["meta"]["created"] == simon["meta"]["created"]

    # groups
    resp = t.scim("POST", "/Groups", {"schemas": [CORE_GROUP], "displayName": "Sales", "externalId": "g1"})
    assert resp.status_code == 201, resp.text
    group = resp.json()
    _scim_error(t.scim("POST", "/Groups", {"schemas": [CORE_GROUP], "displayName": "SALES"}), 409, "uniqueness")
    gpath = f"/Groups/{group['id']}"
    a, b, c = (u["id"] for u in others[:3])
    _patch(t, gpath, {"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]},
           {"op": "add", "path": "members", "value": [{"value": c}, {"value": a}]})
    listed = t.scim("GET", "/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "sales"'}).json()
    assert [g["id"] for g in listed["Resources"]] == [group["id"]] and "members" not in listed["Resources"][0]
    assert [m["value"] for m in t.scim("GET", gpath).json()["members"]] == [a, b, c]
    legacy = _patch(t, gpath, {"op": "Remove", "path": "members", "value": [{"value": a}]})
    assert [m["value"] for m in legacy["members"]] == [b, c]
    modern = _patch(t, gpath, {"op": "remove", "path": f'members[value eq "{b}"]'})
    assert [m["value"] for m in modern["members"]] == [c]
    _scim_error(t.scim("PATCH", gpath, {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": "nobody"}]}]}), 400, "invalidValue")
    assert _found(t, "/Groups", filter='externalId eq "g1"') == ["Sales"]

    # delete
    resp = t.scim("DELETE", f"/Users/{c}")
    assert resp.status_code == 204 and resp.content == b""
    _scim_error(t.scim("GET", f"/Users/{c}"), 404)
    _scim_error(t.scim("DELETE", f"/Users/{c}"), 404)
    assert "members" not in t.scim("GET", gpath).json()  # a deleted user is nobody's member
    assert t.scim("DELETE", gpath).status_code == 204

    # the control surface: counts by id, the stored bytes of the accounts nobody wrote to
    counts = t.control("/_counts")
    assert counts["byId"][c] == {"GET": 1, "PATCH": 0, "PUT": 0, "DELETE": 2}
    assert counts["byId"][simon["id"]] == {"GET": 2, "PATCH": 7, "PUT": 1, "DELETE": 0}
    assert counts["byId"]["unknown"] == {"GET": 0, "PATCH": 1, "PUT": 0, "DELETE": 0}
    assert all(seeded not in counts["byId"] for seeded in seeded_ids)
    assert counts["total"]["POST"] == 10 and counts["total"]["DELETE"] == 3
    after = t.control("/_dump")
    assert {i: after["Users"][i] for i in seeded_ids} == before["Users"]
    assert json.loads(after["Users"][simon["id"]])["displayName"] == "B. Simon" and c not in after["Users"]
    assert t.stop() == 0


def test_ignore_filters_answers_everything(targets):
    t = targets["ignore_filters"]
    t.scim("POST", "/Groups", {"displayName": "Sales"})
    assert _found(t, "/Users", filter='userName eq "b.simon@contoso.example"') == SEEDED
    assert _found(t, "/Users", filter='title eq "unsupported"') == SEEDED
    page = t.scim("GET", "/Users", params={"filter": 'userName eq "x"', "startIndex": "2", "count": "1"}).json()
    assert page["totalResults"] == 2 and [r["userName"] for r in page["Resources"]] == SEEDED[1:]
    assert _found(t, "/Groups", filter='displayName eq "Marketing"', excludedAttributes="members") == ["Sales"]


def test_case_sensitive_filter(targets):
    t = targets["case_sensitive_filter"]
    assert _found(t, "/Users", filter='userName eq "Some.One@vendor.example"') == ["Some.One@vendor.example"]
    assert _found(t, "/Users", filter='userName eq "some.one@vendor.example"') == []
    assert _found(t, "/Users", filter='displayName eq "SOME ONE"') == ["Some.One@vendor.example"]
    _scim_error(t.scim("POST", "/Users", _user("some.one@vendor.example")), 409, "uniqueness")


def test_create_returns_existing(targets):
    t = targets["create_returns_existing"]
    first = t.describe["seeded"][0]
    resp = t.scim("POST", "/Users", _user("b.simon@contoso.example"))
    assert resp.status_code == 201 and resp.json()["id"] == first["id"], resp.text
    assert resp.json()["userName"] == first["userName"] and resp.headers["Location"].endswith(first["id"])
    assert list(t.control("/_dump")["Users"]) == [s["id"] for s in t.describe["seeded"]]
    assert t.scim("POST", "/Groups", {"displayName": "Sales"}).status_code == 201


def test_html_answers(targets):
    t = targets["html_answers"]
    for resp in (t.scim("GET", "/Users"), t.scim("POST", "/Users", _user("b.simon@contoso.example")),
                 t.scim("DELETE", f"/Users/{t.describe['seeded'][0]['id']}"),
                 requests.get(t.describe["scimUrl"] + "/Users", timeout=5)):
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html"), resp.headers
        assert resp.text.lstrip().lower().startswith("<!doctype html>")
    assert list(t.control("/_dump")["Users"]) == [s["id"] for s in t.describe["seeded"]]
    assert t.control("/_counts")["byId"][t.describe["seeded"][0]["id"]]["DELETE"] == 1


def test_reject_token(targets):
    t = targets["reject_token"]
    assert t.describe["bugs"] == ["reject_token"]
    body = _scim_error(t.scim("GET", "/Users"), 401)
    assert body["detail"]
    _scim_error(t.scim("POST", "/Users", _user("b.simon@contoso.example")), 401)
    assert t.control("/_dump") == {"Users": {}, "Groups": {}}


def test_hang(targets):
    t = targets["hang"]
    seeded = t.describe["seeded"][0]["id"]
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        t.scim("PATCH", f"/Users/{seeded}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "active", "value": False}]}, timeout=0.3)
    assert time.monotonic() - started < 2
    assert t.control("/_counts")["byId"][seeded]["PATCH"] == 1  # counted on arrival, not processed yet
    assert json.loads(t.control("/_dump")["Users"][seeded])["active"] is True
    started = time.monotonic()
    assert t.stop() == 0  # a held request does not keep the server from stopping
    assert time.monotonic() - started < 4


def test_bad_options_exit_2(capsys):
    """The command line is parsed before anything starts: in this process, as ``python -m`` parses it."""
    for options in (["--bug", "nope"], ["--token", "two words"], ["--port", "x"]):
        with pytest.raises(SystemExit) as ended:
            scim_targets.main(options)
        stderr = capsys.readouterr().err
        assert ended.value.code == 2 and "usage" in stderr.lower(), stderr
