"""One lab (``python -m simulator serve``) in its own process, driven the way a user drives it: Microsoft
Graph with an app-only token, the portal's Authorize popup, and ``/_admin``.

``provision`` sets up the tutorial's story for a tenant of ``users`` Faker users: the GoToMeeting app
from the gallery, a provisioning job, Authorize with the team administrator, and one security group
holding every user assigned with the Organizer role (members added 20 per request with Graph's
``members@odata.bind``: the fast way to assign thousands of users). ``grow`` adds more users to the
tenant and to that group.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from simulator.client import Browser

from .payloads import SCIM_JSON, stored_user
from .procs import ServerProcess, python_module, session

#: Graph's limit for members added in one request.
BIND_BATCH = 20
#: GoToMeeting's ``POST /_admin/seed`` bodies stay under the lab's 1 MiB body limit.
SEED_BATCH = 1000


@dataclass
class Provisioned:
    sp_id: str
    job_id: str
    group_id: str
    user_ids: list[str]
    #: The users' userPrincipalNames: their userName in GoToMeeting once provisioned.
    user_names: list[str]


class LabProcess(ServerProcess):
    def __init__(self, seed: int = 7):
        super().__init__(python_module("simulator", "serve", "--entra-port", "0", "--gotomeeting-port", "0",
                                       "--users", "0", "--groups", "0", "--seed", str(seed),
                                       "--describe", "{describe}"), name="lab")
        self.http = session()
        self._graph_token: str | None = None

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def entra_url(self) -> str:
        return self.description["entra"]["baseUrl"]

    @property
    def goto_url(self) -> str:
        return self.description["gotomeeting"]["baseUrl"]

    @property
    def scim_url(self) -> str:
        return self.description["gotomeeting"]["scimUrl"]

    @property
    def scim_token(self) -> str:
        return self.description["gotomeeting"]["scimToken"]

    @property
    def domain(self) -> str:
        return self.description["entra"]["tenantDomain"]

    # -- calls -------------------------------------------------------------------------------------
    def call(self, method: str, url: str, *, expect: int | tuple[int, ...] = (200, 201, 204), timeout: float = 600,
             **kw):
        resp = self.http.request(method, url, timeout=timeout, **kw)
        allowed = (expect,) if isinstance(expect, int) else expect
        if resp.status_code not in allowed:
            raise RuntimeError(f"{method} {url} -> {resp.status_code}: {resp.text[:500]}")
        return resp.json() if resp.content else None

    def entra_admin(self, method: str, path: str, **kw):
        return self.call(method, f"{self.entra_url}/_admin{path}", **kw)

    def goto_admin(self, method: str, path: str, **kw):
        return self.call(method, f"{self.goto_url}/_admin{path}", **kw)

    def graph(self, method: str, path: str, **kw):
        if self._graph_token is None:
            entra = self.description["entra"]
            token = self.call("POST", f"{entra['authority']}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": entra["clientId"],
                "client_secret": entra["clientSecret"], "scope": "https://graph.microsoft.com/.default"})
            self._graph_token = token["access_token"]
        url = path if path.startswith("http") else f"{self.entra_url}/v1.0{path}"
        return self.call(method, url, headers={"Authorization": f"Bearer {self._graph_token}"}, **kw)

    def graph_all(self, path: str) -> list[dict]:
        items, url = [], path
        while url:
            page = self.graph("GET", url)
            items.extend(page["value"])
            url = page.get("@odata.nextLink")
        return items

    def goto_journal_seq(self) -> int:
        return self.goto_admin("GET", "/journal", params={"limit": 1})["lastSeq"]

    # -- set-up ------------------------------------------------------------------------------------
    def seed_goto_users(self, count: int, first: int = 0) -> None:
        """``count`` users that already exist in GoToMeeting, through ``POST /_admin/seed``."""
        self.goto_admin("PUT", "/seats", json={"total": 2 * (first + count) + 10_000})
        for start in range(first, first + count, SEED_BATCH):
            batch = [stored_user(n, self.domain) for n in range(start, min(first + count, start + SEED_BATCH))]
            self.goto_admin("POST", "/seed", json={"users": batch})

    def _seed_users(self, count: int, known: set[str]) -> list[dict]:
        """``count`` new Faker users in the directory: their ``id`` and ``userPrincipalName`` (not the
        users already there, such as the admin center's administrator)."""
        listing = "/users?$select=id,userPrincipalName&$top=999"
        known = known | {u["id"] for u in self.graph_all(listing)}
        self.entra_admin("POST", "/seed", json={"users": count, "groups": 0})
        return [u for u in self.graph_all(listing) if u["id"] not in known]

    def _add_members(self, group_id: str, user_ids: list[str]) -> None:
        directory_objects = f"{self.entra_url}/v1.0/directoryObjects"
        for start in range(0, len(user_ids), BIND_BATCH):
            refs = [f"{directory_objects}/{uid}" for uid in user_ids[start:start + BIND_BATCH]]
            self.graph("PATCH", f"/groups/{group_id}", json={"members@odata.bind": refs})

    def provision(self, users: int) -> Provisioned:
        seeded = self._seed_users(users, set())
        group = self.graph("POST", "/groups", json={"displayName": "GoToMeeting Organizers", "mailNickname": "g2m",
                                                    "securityEnabled": True, "mailEnabled": False})
        user_ids = [u["id"] for u in seeded]
        self._add_members(group["id"], user_ids)

        templates = self.graph("GET", "/applicationTemplates")["value"]
        template = next(t for t in templates if t["displayName"] == "GoToMeeting")
        sp = self.graph("POST", f"/applicationTemplates/{template['id']}/instantiate",
                        json={"displayName": "GoToMeeting"})["servicePrincipal"]
        sync = f"/servicePrincipals/{sp['id']}/synchronization"
        sync_template = self.graph("GET", f"{sync}/templates")["value"][0]
        job = self.graph("POST", f"{sync}/jobs", json={"templateId": sync_template["id"]})
        self._authorize(sp["id"], job["id"])
        organizer = next(r["id"] for r in sp["appRoles"] if r["value"] == "organizer")
        self.graph("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                   json={"principalId": group["id"], "resourceId": sp["id"], "appRoleId": organizer})
        self.goto_admin("PUT", "/seats", json={"total": users + 100})
        self.graph("POST", f"{sync}/jobs/{job['id']}/start")
        return Provisioned(sp["id"], job["id"], group["id"], user_ids, [u["userPrincipalName"] for u in seeded])

    def grow(self, provisioned: Provisioned, more: int) -> None:
        """``more`` new users, assigned through the group (the next cycle provisions them)."""
        seeded = self._seed_users(more, set(provisioned.user_ids))
        self._add_members(provisioned.group_id, [u["id"] for u in seeded])
        self.goto_admin("PUT", "/seats", json={"total": len(provisioned.user_ids) + more + 100})
        provisioned.user_ids.extend(u["id"] for u in seeded)
        provisioned.user_names.extend(u["userPrincipalName"] for u in seeded)

    def _authorize(self, sp_id: str, job_id: str) -> None:
        """The Authorize popup: GoTo's sign-in page, the team administrator's login, the callback."""
        browser = Browser()
        page = browser.open(f"{self.entra_url}/portal/servicePrincipals/{sp_id}/provisioning/authorize"
                            f"?jobId={job_id}")
        admin = self.description["gotomeeting"]["admin"]
        answer = browser.submit(page, {"email": admin["email"], "password": admin["password"]}, button="allow")
        callback = browser.session.get(answer.headers["Location"], timeout=30)
        if callback.status_code != 200:
            raise RuntimeError(f"Authorize failed: {callback.status_code} {callback.text[:300]}")

    def run_cycle(self, job_id: str) -> tuple[float, dict]:
        """Run the job's cycle now (``POST /_admin/jobs/{id}/run``): (wall seconds, the cycle's result)."""
        began = time.perf_counter()
        result = self.entra_admin("POST", f"/jobs/{job_id}/run", timeout=3600)
        return time.perf_counter() - began, result

    def change_users(self, user_ids: list[str], label: str) -> None:
        for uid in user_ids:
            self.graph("PATCH", f"/users/{uid}", json={"department": f"Changed {label}"})

    def scim_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.scim_token}", "Accept": SCIM_JSON}
