"""The Python client of the lab: start or reach a running lab and drive the provisioning story over HTTP.

Everything goes through the lab's public surfaces (Graph, the synchronization API, the portal's
Authorize popup, ``/_admin``), so the same calls work against a lab in this process, in a subprocess
(``entra-lab serve``) or on another machine described by its ``--describe`` file::

    from simulator.client import Lab

    with Lab.start(seed=7) as lab:                      # both fakes on free loopback ports
        app = lab.gotomeeting_app()                      # from the gallery, Automatic, authorized
        user = lab.create_user("B.Simon")
        app.assign(user["id"], "Organizer")
        app.start()
        lab.advance(0)                                   # the initial cycle
        assert lab.gotomeeting_user("b.simon@" + lab.tenant_domain)["active"] is True

``Lab.connect("lab.json")`` reaches a lab started elsewhere. ``scim_app(url, token)`` points the
non-gallery app at any SCIM server (vendor mode's ownership guard is the lab setting
``ownershipGuard``, see ``settings``).
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin

import requests

GALLERY_APP = "GoToMeeting"
#: The template of the non-gallery app ("Create your own application"; simulator/entra/apps/model.py).
NON_GALLERY_APP = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
DEFAULT_ACCESS = "Default Access"
PASSWORD = "Lab-Passw0rd!2026"


class LabError(AssertionError):
    """A call the lab refused: the method, the path, the status and the lab's answer."""


# --------------------------------------------------------------------------------------------------
# Graph
# --------------------------------------------------------------------------------------------------
class Graph:
    """Microsoft Graph with an app-only token from the lab's token endpoint. ``on_error`` sees every
    error body (the steps check it against the Graph error contract)."""

    def __init__(self, base_url: str, tenant_id: str, client_id: str, client_secret: str, *, verify=True,
                 on_error: Callable[[Any], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.verify = verify
        self.on_error = on_error
        self._credentials = (tenant_id, client_id, client_secret)
        self.acquire_token()

    def acquire_token(self) -> None:
        tenant_id, client_id, client_secret = self._credentials
        resp = self.session.post(f"{self.base_url}/{tenant_id}/oauth2/v2.0/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret,
            "scope": "https://graph.microsoft.com/.default"})
        if resp.status_code != 200:
            raise LabError(f"token request -> {resp.status_code} {resp.text}")
        self.session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

    def request(self, method: str, path: str, **kw) -> requests.Response:
        """One Graph call; a token that expired on the lab's virtual clock is acquired again once, as a
        client library would."""
        url = path if path.startswith("http") else f"{self.base_url}/v1.0{path}"
        resp = self.session.request(method, url, timeout=60, **kw)
        if resp.status_code == 401 and "expired" in resp.text:
            self.acquire_token()
            resp = self.session.request(method, url, timeout=60, **kw)
        if resp.status_code >= 400 and resp.content and self.on_error is not None:
            self.on_error(resp.json())
        return resp

    def ok(self, method: str, path: str, **kw) -> dict:
        resp = self.request(method, path, **kw)
        if resp.status_code >= 300:
            raise LabError(f"{method} {path} -> {resp.status_code} {resp.text}")
        return resp.json() if resp.content else {}

    def get(self, path: str, **kw) -> dict:
        return self.ok("GET", path, **kw)

    def post(self, path: str, json=None, **kw) -> dict:
        return self.ok("POST", path, json=json, **kw)

    def patch(self, path: str, json=None, **kw) -> dict:
        return self.ok("PATCH", path, json=json, **kw)

    def put(self, path: str, json=None, **kw) -> dict:
        return self.ok("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw) -> dict:
        return self.ok("DELETE", path, **kw)

    def all_pages(self, path: str, **kw) -> list[dict]:
        items, url = [], path
        while url:
            body = self.get(url, **kw)
            items.extend(body.get("value", []))
            url, kw = body.get("@odata.nextLink"), {}
        return items


# --------------------------------------------------------------------------------------------------
# A browser for the lab's HTML pages (the Authorize popup, sign-in pages)
# --------------------------------------------------------------------------------------------------
class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {"action": a.get("action", ""), "method": a.get("method", "get").upper(),
                             "fields": {}, "buttons": []}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type") in ("submit", "button"):
                self._current["buttons"].append((a["name"], a.get("value", "")))
            else:
                self._current["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and self._current is not None and a.get("name"):
            self._current["buttons"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[dict] = field(default_factory=list)
    text: str = ""

    @classmethod
    def from_response(cls, resp: requests.Response) -> "Page":
        parser = _FormParser()
        parser.feed(resp.text)
        return cls(resp.url, resp.status_code, resp.text, parser.forms, " ".join(parser.text))


class Browser:
    """Drives HTML pages and redirects with requests, the way a browser popup would."""

    def __init__(self, *, verify=True, language: str | None = None):
        self.session = requests.Session()
        self.session.verify = verify
        if language:
            self.session.headers["Accept-Language"] = language

    def open(self, url: str) -> Page:
        return Page.from_response(self.session.get(url, timeout=10, allow_redirects=True))

    def submit(self, page: Page, values: dict[str, str], button: str | None = None,
               follow: bool = False) -> requests.Response:
        if not page.forms:
            raise LabError(f"no form on the page at {page.url}: {page.text[:200]}")
        form = page.forms[0]
        data = dict(form["fields"])
        data.update(values)
        if button is not None:
            match = [b for b in form["buttons"] if b[1] == button or b[0] == button]
            if not match:
                raise LabError(f"no button {button!r} on the page (buttons: {form['buttons']})")
            data[match[0][0]] = match[0][1]
        target = urljoin(page.url, form["action"] or page.url)
        return self.session.request(form["method"], target, data=data, timeout=10, allow_redirects=follow)


# --------------------------------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------------------------------
class Lab:
    """A running lab, reached through its description (the ``--describe`` shape)."""

    def __init__(self, description: dict, *, stop: Callable[[], None] | None = None,
                 on_graph_error: Callable[[Any], None] | None = None):
        self.description = description
        self._stop = stop
        self._on_graph_error = on_graph_error
        self._graph: Graph | None = None
        #: The language the lab's pages are asked for (``Accept-Language``: en or de); None: the pages' default.
        self.language: str | None = None

    # -- starting and reaching ---------------------------------------------------------------------
    @classmethod
    def start(cls, seed: int | str = 1234, *, tls: bool = False, users: int = 0, groups: int = 0,
              fixture: str | None = None, subprocess_: bool = False) -> "Lab":
        """Both fakes on free loopback ports: in this process (threads), or with ``subprocess_`` in a
        child process (``python -m simulator serve``), stopped by ``stop()``."""
        options = ["--entra-port", "0", "--gotomeeting-port", "0", "--seed", str(seed), "--users", str(users),
                   "--groups", str(groups)] + (["--tls"] if tls else []) + (["--fixture", fixture] if fixture else [])
        if subprocess_:
            return cls._start_process(options)
        from .serve import add_serve_arguments, start_lab

        parser = argparse.ArgumentParser()
        add_serve_arguments(parser)
        running = start_lab(parser.parse_args(options))
        return cls(running.describe(), stop=running.stop)

    @classmethod
    def _start_process(cls, options: list[str]) -> "Lab":
        folder = Path(tempfile.mkdtemp(prefix="entra-lab-"))
        describe = folder / "lab.json"
        proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", *options, "--describe", str(describe)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not describe.exists():
            if proc.poll() is not None:
                raise LabError(f"the lab did not start: {proc.stderr.read().strip()}")
            if time.monotonic() > deadline:
                proc.kill()
                raise LabError("the lab did not start within 60 s")
            time.sleep(0.02)

        def stop() -> None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        return cls(json.loads(describe.read_text()), stop=stop)

    @classmethod
    def connect(cls, description: dict | str | Path, *, on_graph_error: Callable[[Any], None] | None = None) -> "Lab":
        """A lab started elsewhere, from its description (a dict or the ``--describe`` file);
        ``on_graph_error`` sees every Graph error body."""
        if not isinstance(description, dict):
            description = json.loads(Path(description).read_text())
        return cls(description, on_graph_error=on_graph_error)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what the description says -------------------------------------------------------------------
    @property
    def entra_url(self) -> str:
        return self.description["entra"]["baseUrl"]

    @property
    def graph_url(self) -> str:
        return self.description["entra"]["graphUrl"]

    @property
    def tenant_id(self) -> str:
        return self.description["entra"]["tenantId"]

    @property
    def tenant_domain(self) -> str:
        return self.description["entra"]["tenantDomain"]

    @property
    def gotomeeting_url(self) -> str:
        return self.description["gotomeeting"]["baseUrl"]

    @property
    def scim_url(self) -> str:
        return self.description["gotomeeting"]["scimUrl"]

    @property
    def scim_token(self) -> str:
        return self.description["gotomeeting"]["scimToken"]

    @property
    def goto_admin(self) -> dict:
        return self.description["gotomeeting"]["admin"]

    @property
    def goto_member(self) -> dict:
        return self.description["gotomeeting"]["member"]

    @property
    def verify(self) -> str | bool:
        return self.description.get("caBundle") or True

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            e = self.description["entra"]
            self._graph = Graph(self.entra_url, e["tenantId"], e["clientId"], e["clientSecret"], verify=self.verify,
                                on_error=self._on_graph_error)
        return self._graph

    def browser(self) -> Browser:
        """A browser for the lab's pages (sign-in pages, My Apps, the Authorize popup), in ``language``."""
        return Browser(verify=self.verify, language=self.language)

    # -- lab control (/_admin) -------------------------------------------------------------------------
    def admin(self, method: str, path: str, *, side: str = "entra", **kw) -> Any:
        base = self.entra_url if side == "entra" else self.gotomeeting_url
        resp = requests.request(method, f"{base}/_admin{path}", timeout=120, verify=self.verify, **kw)
        if resp.status_code >= 400:
            raise LabError(f"{method} /_admin{path} -> {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    def reset(self, seed: int | str | None = None) -> None:
        """Back to the seeded initial state (both fakes: they share the clock and the random source)."""
        self.admin("POST", "/reset", json={} if seed is None else {"seed": seed})
        self._graph = None

    def advance(self, minutes: float) -> dict:
        """Move the virtual clock; every provisioning cycle that falls due runs at its own instant."""
        return self.admin("POST", "/clock/advance", json={"minutes": minutes})

    def clock(self) -> dict:
        return self.admin("GET", "/clock")

    def journal_mark(self) -> int:
        """The sequence number of Entra's newest journal entry (for ``outbound(since=…)``)."""
        return self.admin("GET", "/journal", params={"limit": 1})["lastSeq"]

    def outbound(self, since: int = 0) -> list[dict]:
        """Every request Entra sent to a target after ``since``, with its answer (secrets redacted)."""
        return self.admin("GET", "/journal", params={"direction": "outbound", "since": since})["entries"]

    def settings(self, **values) -> dict:
        """Entra's lab settings (``GET`` with no values, ``PUT`` with some)."""
        return self.admin("PUT", "/settings", json=values) if values else self.admin("GET", "/settings")

    def seed(self, users: int = 0, groups: int = 0) -> dict:
        """Add a Faker tenant of ``users`` users and ``groups`` groups (the lab's bulk seeding path)."""
        return self.admin("POST", "/seed", json={"users": users, "groups": groups})

    def metrics(self, since: int = 0, limit: int | None = None) -> dict:
        """Wall-clock samples of the requests Entra sent (lab setting ``requestMetrics``) from ``since``, as
        columns (``t``, ``latency``, ``op``, ``status``, ``attempt``), ``next`` and the cycle's ``progress``."""
        params = {"since": since} | ({"limit": limit} if limit is not None else {})
        return self.admin("GET", "/metrics", params=params)

    def clear_metrics(self) -> None:
        self.admin("DELETE", "/metrics")

    def seats(self, total: int | None = None) -> dict:
        """GoToMeeting's licences (``{"total", "used", "free"}``); ``total`` sets how many there are."""
        if total is None:
            return self.admin("GET", "/seats", side="gotomeeting")
        return self.admin("PUT", "/seats", side="gotomeeting", json={"total": total})

    def quirks(self, **switches: bool) -> dict:
        return self.admin("PUT", "/quirks", side="gotomeeting", json=switches)

    def add_fault(self, **rule) -> dict:
        return self.admin("POST", "/faults", side="gotomeeting", json=rule)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults", side="gotomeeting")

    # -- the tenant --------------------------------------------------------------------------------------
    def create_user(self, name: str, *, enabled: bool = True, **properties) -> dict:
        """A tenant user named like the tutorial's ("B.Simon" → b.simon@<tenant domain>)."""
        local = name.lower().replace(" ", ".")
        upn = f"{local}@{self.tenant_domain}"
        given, _, surname = name.partition(".")
        body = {"accountEnabled": enabled, "displayName": name.replace(".", " "), "mailNickname": local,
                "userPrincipalName": upn, "givenName": given or name, "surname": surname or "User", "mail": upn,
                "passwordProfile": {"password": PASSWORD}, **properties}
        return self.graph.post("/users", body)

    def create_group(self, name: str, members: list[str] = ()) -> dict:
        group = self.graph.post("/groups", {"displayName": name, "mailEnabled": False, "securityEnabled": True,
                                            "mailNickname": name.lower().replace(" ", "-")})
        for member in members:
            self.graph.post(f"/groups/{group['id']}/members/$ref",
                            {"@odata.id": f"{self.graph_url}/directoryObjects/{member}"})
        return group

    def add_members(self, group_id: str, member_ids: list[str]) -> None:
        """Add members to a group, 20 in one request (``members@odata.bind``, as Graph allows)."""
        for i in range(0, len(member_ids), 20):
            self.graph.patch(f"/groups/{group_id}", {"members@odata.bind": [
                f"{self.graph_url}/directoryObjects/{m}" for m in member_ids[i:i + 20]]})

    def remove_member(self, group_id: str, member_id: str) -> None:
        self.graph.delete(f"/groups/{group_id}/members/{member_id}/$ref")

    # -- the apps ----------------------------------------------------------------------------------------
    def add_app(self, template: str = GALLERY_APP, display_name: str | None = None) -> "App":
        """An enterprise app from an application template (its display name or id)."""
        found = [t for t in self.graph.get("/applicationTemplates")["value"] if template in (t["displayName"], t["id"])]
        if not found:
            raise LabError(f"no application template {template!r}")
        created = self.graph.post(f"/applicationTemplates/{found[0]['id']}/instantiate",
                                  {"displayName": display_name or found[0]["displayName"]})
        return App(self, created["servicePrincipal"])

    def gotomeeting_app(self, *, authorize: bool = True) -> "App":
        """GoToMeeting from the gallery, provisioning Automatic, authorized with GoTo's team administrator."""
        app = self.add_app(GALLERY_APP)
        app.create_job("gotomeeting")
        if authorize:
            app.authorize()
        return app

    def scim_app(self, url: str | None = None, token: str | None = None, *, dialect: str = "legacy") -> "App":
        """The non-gallery SCIM app pointed at ``url`` with ``token`` (default: the lab's GoToMeeting);
        ``dialect="aadOptscim062020"`` appends Entra's SCIM-compliant flag to the Tenant URL."""
        app = self.add_app(NON_GALLERY_APP, "SCIM app")
        app.create_job("scim")
        app.point_at(url or self.scim_url, token or self.scim_token, dialect=dialect)
        return app

    # -- GoToMeeting, read through SCIM -------------------------------------------------------------------
    def gotomeeting_user(self, user_name: str) -> dict | None:
        resp = requests.get(f"{self.scim_url}/Users", params={"filter": f'userName eq "{user_name}"'},
                            headers={"Authorization": f"Bearer {self.scim_token}"}, timeout=10, verify=self.verify)
        if resp.status_code != 200:
            raise LabError(f"GoToMeeting's user query -> {resp.status_code} {resp.text}")
        found = resp.json().get("Resources") or []
        return found[0] if found else None


@dataclass
class Popup:
    """The Authorize popup: its browser, GoTo's sign-in page, and where it ended (after ``authorize``)."""

    browser: Browser
    page: Page
    callback: str | None = None
    response: requests.Response | None = None


@dataclass
class App:
    """An enterprise app (its service principal) and its provisioning job."""

    lab: Lab
    sp: dict
    job_id: str | None = None

    @property
    def id(self) -> str:
        return self.sp["id"]

    @property
    def roles(self) -> dict[str, str]:
        """App role ids by display name ("Default Access" included)."""
        roles = {r["displayName"]: r["id"] for r in self.sp.get("appRoles", [])}
        if "msiam_access" in roles:
            roles.setdefault(DEFAULT_ACCESS, roles["msiam_access"])
        return roles

    def _sync(self, suffix: str = "") -> str:
        return f"/servicePrincipals/{self.id}/synchronization{suffix}"

    def _job(self, suffix: str = "") -> str:
        if self.job_id is None:
            raise LabError("the app has no provisioning job yet (create_job)")
        return self._sync(f"/jobs/{self.job_id}{suffix}")

    def assign(self, principal_id: str, role: str = DEFAULT_ACCESS) -> dict:
        """Assign a user or group with one of the app's roles (by display name)."""
        if role not in self.roles:
            raise LabError(f"the app has no role {role!r}; roles: {sorted(self.roles)}")
        return self.lab.graph.post(f"/servicePrincipals/{self.id}/appRoleAssignedTo", {
            "principalId": principal_id, "resourceId": self.id, "appRoleId": self.roles[role]})

    def unassign(self, assignment_id: str) -> None:
        self.lab.graph.delete(f"/servicePrincipals/{self.id}/appRoleAssignedTo/{assignment_id}")

    def create_job(self, template_id: str) -> dict:
        """Provisioning mode Automatic: the synchronization job of ``template_id`` (gotomeeting | scim)."""
        job = self.lab.graph.post(self._sync("/jobs"), {"templateId": template_id})
        self.job_id = job["id"]
        return job

    def secrets(self, **values: str) -> None:
        self.lab.graph.put(self._sync("/secrets"), {"value": [{"key": k, "value": v} for k, v in values.items()]})

    def point_at(self, url: str, token: str, *, dialect: str = "legacy") -> None:
        """Tenant URL and Secret Token (the non-gallery app)."""
        if dialect not in ("legacy", "aadOptscim062020"):
            raise LabError("dialect is legacy or aadOptscim062020")
        base = url if dialect == "legacy" else url + ("&" if "?" in url else "?") + "aadOptscim062020"
        self.secrets(BaseAddress=base, SecretToken=token)

    def open_popup(self) -> "Popup":
        """The Authorize button: the portal's popup, on GoTo's sign-in page."""
        browser = self.lab.browser()
        page = browser.open(f"{self.lab.entra_url}/portal/servicePrincipals/{self.id}/provisioning/authorize"
                            f"?jobId={self.job_id}")
        if page.status != 200 or not page.forms:
            raise LabError(f"the popup did not show GoTo's sign-in page: {page.text[:300]}")
        return Popup(browser, page)

    def authorize(self, account: dict | None = None, button: str = "allow") -> "Popup":
        """Authorize: GoTo's sign-in in the popup as ``account`` (default: the team administrator),
        ``button`` allow or deny; the popup ends on the portal's TokenAuthorize page (``Popup.response``)."""
        account = account or self.lab.goto_admin
        popup = self.open_popup()
        submitted = popup.browser.submit(popup.page, {"email": account["email"], "password": account["password"]},
                                         button=button)
        popup.callback = submitted.headers.get("Location")
        popup.response = popup.browser.session.get(popup.callback, timeout=30) if popup.callback else submitted
        return popup

    def test_connection(self) -> requests.Response:
        """Test Connection: 204, or 400 with the portal's message."""
        return self.lab.graph.request("POST", self._job("/validateCredentials"), json={"useSavedCredentials": True})

    def start(self) -> None:
        """Provisioning Status On."""
        self.lab.graph.ok("POST", self._job("/start"))

    def pause(self) -> None:
        self.lab.graph.ok("POST", self._job("/pause"))

    def job_settings(self, **values: str) -> None:
        """Set the job's ``synchronizationJobSettings`` (``QuarantineTooManyDeletesThreshold="20"``...)."""
        self.lab.graph.patch(self._job(), {"synchronizationJobSettings": [
            {"name": k, "value": v} for k, v in values.items()]})

    def restart(self, reset_scope: str | None = None) -> None:
        """Restart the job (``reset_scope`` as Graph takes it, e.g. "ForceDeletes"; None: the portal's)."""
        body = {"criteria": {"resetScope": reset_scope}} if reset_scope else None
        self.lab.graph.ok("POST", self._job("/restart"), json=body)

    def run_cycle(self) -> dict:
        """One provisioning cycle now: its summary."""
        return self.lab.admin("POST", f"/jobs/{self.job_id}/run")

    def job(self) -> dict:
        return self.lab.graph.get(self._job())

    def status(self) -> dict:
        return self.job()["status"]

    def schema(self) -> dict:
        schema = self.lab.graph.get(self._job("/schema"))
        schema.pop("@odata.context", None)
        return schema

    def put_schema(self, schema: dict) -> None:
        self.lab.graph.ok("PUT", self._job("/schema"), json=schema)

    def logs(self, **filters: str) -> list[dict]:
        """The job's provisioning log entries (``sourceIdentity/id="…"``, ``provisioningAction="create"``…)."""
        clauses = [f"jobId eq '{self.job_id}'"] + [f"{k} eq '{v}'" for k, v in filters.items()]
        return self.lab.graph.all_pages("/auditLogs/provisioning",
                                        params={"$filter": " and ".join(clauses), "$top": 999})
