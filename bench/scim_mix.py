"""A realistic SCIM request mix, against any SCIM 2.0 server (the fake GoToMeeting or a peer).

One round is what Entra's provisioning does to a target for one new and two existing users: match the
new user by ``userName`` (a miss) and create it; read an existing user by id and update it in Entra's
default dialect; match an existing user by ``userName`` (a hit) and update it in the
``aadOptscim062020`` dialect. Three of the six requests carry a body, three do not: the ceiling of a
round is three ceiling GETs and three ceiling POSTs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from . import payloads
from .procs import session

#: Requests of one round: (reads, writes).
ROUND = (3, 3)


@dataclass
class MixResult:
    rounds: int
    seconds: float

    @property
    def requests(self) -> int:
        return self.rounds * sum(ROUND)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def ratio(self, ceiling: dict) -> float:
        """Time the ceiling needs for the same rounds / time this server needed."""
        reads, writes = ROUND
        ceiling_seconds = self.rounds * (reads / ceiling["get_rps"] + writes / ceiling["post_rps"])
        return ceiling_seconds / self.seconds


class ScimTarget:
    """A SCIM base URL with its bearer token (None: no authentication) and the users it stores."""

    def __init__(self, base_url: str, token: str | None, domain: str):
        self.base_url = base_url.rstrip("/")
        self.domain = domain
        self.http = session()
        self.http.headers["Accept"] = payloads.SCIM_JSON
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.stored: list[tuple[str, str]] = []  # (id, userName)

    def _check(self, resp, *expected: int):
        if resp.status_code not in expected:
            raise RuntimeError(f"{resp.request.method} {resp.request.url} -> {resp.status_code}: {resp.text[:300]}")
        return resp

    def create(self, n: int) -> str:
        resp = self._check(self.http.post(f"{self.base_url}/Users", json=payloads.create_user(n, self.domain),
                                          headers={"Content-Type": payloads.SCIM_JSON}), 201)
        return resp.json()["id"]

    def find(self, user_name: str) -> list[dict]:
        resp = self._check(self.http.get(f"{self.base_url}/Users",
                                         params={"filter": f'userName eq "{user_name}"'}), 200)
        return resp.json().get("Resources", [])

    def get(self, user_id: str) -> dict:
        return self._check(self.http.get(f"{self.base_url}/Users/{user_id}"), 200).json()

    def patch(self, user_id: str, body: dict) -> None:
        self._check(self.http.patch(f"{self.base_url}/Users/{user_id}", json=body,
                                    headers={"Content-Type": payloads.SCIM_JSON}), 200, 204)

    def load_stored(self, first: int, count: int) -> None:
        """Learn the ids of the users ``first .. first+count-1`` that the server already stores."""
        self.stored = []
        for n in range(first, first + count):
            name = payloads.user_name(n, self.domain)
            found = self.find(name)
            if len(found) != 1:
                raise RuntimeError(f"{self.base_url} does not store {name}")
            self.stored.append((found[0]["id"], name))

    def one_round(self, n: int, k: int) -> None:
        new_name = payloads.user_name(n, self.domain)
        if self.find(new_name):
            raise RuntimeError(f"{new_name} exists before it was created")
        self.create(n)
        by_id, _ = self.stored[k % len(self.stored)]
        self.get(by_id)
        self.patch(by_id, payloads.patch_legacy(k))
        _, by_name = self.stored[(k * 7 + 3) % len(self.stored)]
        found = self.find(by_name)
        if len(found) != 1:
            raise RuntimeError(f"{by_name} not found by its userName")
        self.patch(found[0]["id"], payloads.patch_aad_opt(k))


def run_mix(target: ScimTarget, *, first_new: int, seconds: float, warmup: int = 5) -> MixResult:
    """Rounds back to back for about ``seconds`` (new users numbered from ``first_new``)."""
    n = first_new
    for _ in range(warmup):
        target.one_round(n, n)
        n += 1
    rounds, began = 0, time.perf_counter()
    while True:
        target.one_round(n, n)
        n += 1
        rounds += 1
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return MixResult(rounds, elapsed)
