"""The lab as a pytest plugin (the ``pytest11`` entry point of the installed package).

Fixtures, for a test in any repository::

    def test_b_simon_arrives_as_organizer(entra_lab, gotomeeting):
        app = entra_lab.gotomeeting_app()
        user = entra_lab.create_user("B.Simon")
        app.assign(user["id"], "Organizer")
        app.start()
        entra_lab.advance(0)                              # the initial cycle
        assert gotomeeting.user("b.simon@contoso.example")["roles"][0]["value"] == "organizer"

* ``entra_lab`` — a :class:`simulator.client.Lab` started once for the test run (on first use) and reset
  before each test that uses it.
* ``gotomeeting`` — its fake GoToMeeting: ``user(name)``, ``users()``, ``quirks(...)``, ``add_fault(...)``.
* ``graph`` — an authenticated Microsoft Graph client of the lab's tenant.
* ``target_app`` — with ``@pytest.mark.entra_lab_target(url, token, dialect="legacy")`` (or
  ``--entra-lab-target-url`` and ``--entra-lab-target-token``): the non-gallery app pointed at that SCIM
  server, with vendor mode's ownership guard on (nothing the test did not create is written to).

Options: ``--entra-lab-seed N``, ``--entra-lab-tls``, ``--entra-lab-language en|de`` (the language
``entra_lab.browser()`` asks the lab's pages for). A test run that uses none of the fixtures is not
changed: nothing is imported or started until a fixture is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("entra-lab", "Entra ID provisioning lab")
    group.addoption("--entra-lab-seed", default="1234", help="the lab's seed (every id, token, timestamp)")
    group.addoption("--entra-lab-tls", action="store_true", default=False, help="serve the lab over HTTPS")
    group.addoption("--entra-lab-language", default=None, choices=("en", "de"),
                    help="the language entra_lab.browser() asks the lab's pages for (Accept-Language)")
    group.addoption("--entra-lab-target-url", default=None, help="your SCIM server, for entra_lab.target_app()")
    group.addoption("--entra-lab-target-token", default=None, help="the bearer token Entra sends to it")


def pytest_configure(config):
    config.addinivalue_line("markers", "entra_lab_target(url, token, dialect='legacy'): point the target_app "
                                       "fixture at your own SCIM server")


@pytest.fixture(scope="session")
def _entra_lab_running(pytestconfig):
    from .client import Lab

    lab = Lab.start(seed=pytestconfig.getoption("--entra-lab-seed"), tls=pytestconfig.getoption("--entra-lab-tls"))
    yield lab
    lab.stop()


@dataclass
class Target:
    url: str
    token: str
    dialect: str = "legacy"


@pytest.fixture
def entra_lab(_entra_lab_running, request):
    """The lab, reset to its seeded initial state."""
    _entra_lab_running.reset(request.config.getoption("--entra-lab-seed"))
    _entra_lab_running.language = request.config.getoption("--entra-lab-language")
    return _entra_lab_running


@pytest.fixture
def entra_lab_target(request) -> Target | None:
    """The test's own SCIM server: the ``entra_lab_target`` marker, else ``--entra-lab-target-url``."""
    marker = request.node.get_closest_marker("entra_lab_target")
    if marker is not None:
        return Target(*marker.args, **marker.kwargs)
    url = request.config.getoption("--entra-lab-target-url")
    return Target(url, request.config.getoption("--entra-lab-target-token") or "") if url else None


@pytest.fixture
def target_app(entra_lab, entra_lab_target):
    """The non-gallery app pointed at the test's own SCIM server, with vendor mode's ownership guard on
    for the prefix ``b.simon`` (write the objects the test creates with it, e.g. ``create_user("B.Simon")``):
    no PATCH, PUT or DELETE reaches anything else on that server."""
    if entra_lab_target is None:
        raise pytest.UsageError("target_app needs @pytest.mark.entra_lab_target(url, token) or "
                                "--entra-lab-target-url")
    entra_lab.settings(ownershipGuard={"prefix": "b.simon"})
    return entra_lab.scim_app(entra_lab_target.url, entra_lab_target.token, dialect=entra_lab_target.dialect)


class GoToMeeting:
    """The lab's fake GoToMeeting, read through SCIM and steered through its lab control."""

    def __init__(self, lab):
        self.lab = lab

    def user(self, user_name: str) -> dict | None:
        return self.lab.gotomeeting_user(user_name)

    def users(self) -> list[dict]:
        import requests

        resp = requests.get(f"{self.lab.scim_url}/Users", params={"count": 200}, timeout=10, verify=self.lab.verify,
                            headers={"Authorization": f"Bearer {self.lab.scim_token}"})
        resp.raise_for_status()
        return resp.json().get("Resources") or []

    def quirks(self, **switches: bool) -> dict:
        return self.lab.quirks(**switches)

    def add_fault(self, **rule: Any) -> dict:
        return self.lab.add_fault(**rule)

    def journal(self, **params: Any) -> list[dict]:
        return self.lab.admin("GET", "/journal", side="gotomeeting", params=params)["entries"]


@pytest.fixture
def gotomeeting(entra_lab) -> GoToMeeting:
    return GoToMeeting(entra_lab)


@pytest.fixture
def graph(entra_lab):
    return entra_lab.graph
