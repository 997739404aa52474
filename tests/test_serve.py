"""``python -m simulator serve`` as a user runs it: a subprocess on free ports, used only through the JSON
file ``--describe`` writes (SPEC §2 serve mode, §5 the description)."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from fixtures.clients import ScimClient, redirect_params
from fixtures.graph_client import GraphClient
from simulator.client import Browser, Lab
from simulator.gotomeeting.state import GoToMeetingConfig

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 20
STOP_TIMEOUT = 5

#: The description's shape: SPEC §5's keys, plus tenantDomain, clock and seed (documented in the README).
DESCRIBE_KEYS = {"entra", "gotomeeting", "caBundle", "clock", "seed"}
ENTRA_KEYS = {"baseUrl", "tenantId", "tenantDomain", "authority", "graphUrl", "clientId", "clientSecret",
              "portalUrl", "portalAdmin"}
GOTO_KEYS = {"baseUrl", "scimUrl", "adminCenterUrl", "admin", "member", "scimToken"}
#: Every option SPEC §2 names, and --describe (SPEC §5).
SPEC_OPTIONS = ("--host", "--entra-port", "--gotomeeting-port", "--seed", "--users", "--groups", "--tls",
                "--clock", "--time-scale", "--describe")


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


class Served:
    """One ``serve`` process; ``describe`` is the JSON it wrote."""

    def __init__(self, tmp: Path, name: str, *options: str):
        self.describe_file = tmp / f"{name}.json"
        self.log = tmp / f"{name}.log"
        args = [sys.executable, "-m", "simulator", "serve", "--entra-port", "0", "--gotomeeting-port", "0",
                "--describe", str(self.describe_file), *options]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.describe: dict = {}

    def wait_for_describe(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.describe_file.exists():
            assert self.process.poll() is None, f"serve exited with {self.process.returncode}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no describe file after {START_TIMEOUT} s:\n{self.output()}"
            time.sleep(0.05)
        self.describe = json.loads(self.describe_file.read_text())
        return self.describe

    def output(self) -> str:
        return self.log.read_text()

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=STOP_TIMEOUT)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def serving(tmp: Path, *runs: tuple[str, ...]):
    """Start one serve process per option tuple at once (they start in parallel), wait for every
    description, and make sure none outlives the test."""
    served = [Served(tmp, f"lab{i}", *options) for i, options in enumerate(runs)]
    try:
        for s in served:
            s.wait_for_describe()
        yield served
    finally:
        for s in served:
            s.kill()


def graph_client(described: dict, verify=True) -> GraphClient:
    e = described["entra"]
    base = e["authority"].rsplit("/", 1)[0]
    assert base == e["baseUrl"] and e["graphUrl"] == f"{base}/v1.0"
    return GraphClient(base, e["tenantId"], e["clientId"], e["clientSecret"], verify=verify)


def users_of(described: dict, verify=True) -> list[dict]:
    return graph_client(described, verify).all_pages("/users?$select=id,userPrincipalName&$orderby=userPrincipalName")


def check_shape(described: dict) -> None:
    assert set(described) == DESCRIBE_KEYS
    assert set(described["entra"]) == ENTRA_KEYS
    assert set(described["gotomeeting"]) == GOTO_KEYS
    for login in ("admin", "member"):
        assert set(described["gotomeeting"][login]) == {"email", "password"}
        assert all(isinstance(v, str) and v for v in described["gotomeeting"][login].values())
    assert all(isinstance(v, str) and v for k, v in described["entra"].items() if k != "portalAdmin")
    assert set(described["entra"]["portalAdmin"]) == {"userPrincipalName", "password"}
    assert all(isinstance(v, str) and v for v in described["entra"]["portalAdmin"].values())
    assert isinstance(described["gotomeeting"]["scimToken"], str) and described["gotomeeting"]["scimToken"]
    g = described["gotomeeting"]
    assert g["scimUrl"] == f"{g['baseUrl']}/scim/v2"
    assert g["adminCenterUrl"] == f"{g['baseUrl']}/admin-center/"
    e = described["entra"]
    assert e["authority"] == f"{e['baseUrl']}/{e['tenantId']}"
    assert g["admin"]["email"].endswith("@" + e["tenantDomain"])
    assert e["portalAdmin"]["userPrincipalName"].endswith("@" + e["tenantDomain"])
    assert e["portalUrl"] == f"{e['baseUrl']}/portal/"


def authorize_gotomeeting(described: dict, verify=True) -> None:
    """The tutorial's Authorize button, from the description alone: add GoToMeeting from the gallery, set
    provisioning to Automatic, sign in on GoTo's page with the admin login, land back on Entra."""
    graph = graph_client(described, verify)
    template = next(t for t in graph.get("/applicationTemplates")["value"] if t["displayName"] == "GoToMeeting")
    sp = graph.post(f"/applicationTemplates/{template['id']}/instantiate", {"displayName": "GoToMeeting"})["servicePrincipal"]
    job = graph.post(f"/servicePrincipals/{sp['id']}/synchronization/jobs", {"templateId": "gotomeeting"})
    browser = Browser(verify=verify)
    page = browser.open(f"{described['entra']['baseUrl']}/portal/servicePrincipals/{sp['id']}/provisioning/authorize"
                        f"?jobId={job['id']}")
    assert page.status == 200 and page.forms, page.text[:300]
    assert page.url.startswith(described["gotomeeting"]["baseUrl"] + "/oauth/authorize"), page.url
    admin = described["gotomeeting"]["admin"]
    submitted = browser.submit(page, {"email": admin["email"], "password": admin["password"]}, button="allow")
    callback = submitted.headers["Location"]
    assert callback.startswith(described["entra"]["baseUrl"] + "/portal/TokenAuthorize"), callback
    assert "code" in redirect_params(submitted)
    done = browser.session.get(callback, timeout=10)
    assert done.status_code == 200, done.text
    validated = graph.request("POST", f"/servicePrincipals/{sp['id']}/synchronization/jobs/{job['id']}/validateCredentials",
                              json={"useSavedCredentials": True})
    assert validated.status_code == 204, validated.text


def test_serve_runs_the_lab_described_by_its_describe_file(tmp_path):
    with serving(tmp_path, ("--seed", "7", "--users", "5")) as (lab,):
        described = lab.describe
        check_shape(described)
        assert described["caBundle"] is None and described["seed"] == 7
        assert described["clock"]["mode"] == "manual"
        assert described["entra"]["baseUrl"].startswith("http://127.0.0.1:")
        assert described["gotomeeting"]["baseUrl"].startswith("http://127.0.0.1:")

        users = users_of(described)
        # the seeded tenant holds the --users Faker users and the admin center's administrator, nobody else
        admin = described["entra"]["portalAdmin"]["userPrincipalName"]
        assert len(users) == 6 and sum(u["userPrincipalName"] == admin for u in users) == 1, users
        assert all(u["userPrincipalName"].endswith("@" + described["entra"]["tenantDomain"]) for u in users)
        assert len(graph_client(described).all_pages("/groups")) == 5  # the default --groups

        scim = ScimClient(described["gotomeeting"]["scimUrl"], described["gotomeeting"]["scimToken"])
        listed = scim.get("/Users")
        assert listed.status_code == 200, listed.text
        assert described["gotomeeting"]["admin"]["email"] in [u["userName"] for u in listed.json()["Resources"]]
        assert ScimClient(described["gotomeeting"]["scimUrl"], "not-the-token").get("/Users").status_code == 401

        authorize_gotomeeting(described)
        assert "Entra ID" in lab.output() and described["entra"]["clientId"] in lab.output()
        center = Browser().open(described["gotomeeting"]["adminCenterUrl"])
        assert center.status == 200 and "GoTo Admin Center" in center.text, center.text[:300]
        assert described["gotomeeting"]["adminCenterUrl"] in lab.output()

        code, took = lab.terminate()
        assert code == 0, lab.output()
        assert took < 3, took


@pytest.fixture
def no_ca_env(monkeypatch):
    """requests lets these variables override a session's ``verify``; the TLS tests pass the CA bundle."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_serve_with_tls_is_verified_with_the_described_ca_bundle_also_after_a_reset(tmp_path, no_ca_env):
    with serving(tmp_path, ("--tls", "--tls-dir", str(tmp_path / "tls"), "--users", "2", "--groups", "0")) as (lab,):
        described = lab.describe
        check_shape(described)
        ca = described["caBundle"]
        assert ca and Path(ca).is_file(), ca
        entra, goto = described["entra"]["baseUrl"], described["gotomeeting"]["baseUrl"]
        assert entra.startswith("https://") and goto.startswith("https://")
        for url in (f"{entra}/{described['entra']['tenantId']}/v2.0/.well-known/openid-configuration",
                    f"{goto}/_admin/clock"):
            assert requests.get(url, verify=ca, timeout=10).status_code == 200
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(url, verify=True, timeout=10)
        users = users_of(described, verify=ca)  # the two Faker users and the admin center's administrator
        admin = described["entra"]["portalAdmin"]["userPrincipalName"]
        assert len(users) == 3 and sum(u["userPrincipalName"] == admin for u in users) == 1, users
        scim = ScimClient(described["gotomeeting"]["scimUrl"], described["gotomeeting"]["scimToken"], verify=ca)
        assert scim.get("/Users").status_code == 200
        authorize_gotomeeting(described, verify=ca)  # Entra itself trusts the lab's CA
        assert len(graph_client(described, verify=ca).all_pages("/servicePrincipals")) == 1
        # GoTo reads Entra's App Federation Metadata URL over HTTPS, trusting the lab's CA too
        sso = Lab.connect(described).add_app("GoToMeeting", "GoToMeeting SSO")
        assert sso.lab.graph.request("PATCH", f"/servicePrincipals/{sso.id}",
                                     json={"preferredSingleSignOnMode": "saml"}).status_code == 204
        blade = requests.get(f"{entra}/portal/servicePrincipals/{sso.id}/singleSignOn", verify=ca, timeout=10).json()
        admin_token = requests.post(f"{goto}/_admin/tokens", json={"user": described["gotomeeting"]["admin"]["email"]},
                                    verify=ca, timeout=10).json()["token"]
        trusted = requests.put(f"{goto}/admin/rest/v1/accounts/{GoToMeetingConfig().account_key}/identityProvider",
                               json={"mode": "automatic", "metadataUrl": blade["appFederationMetadataUrl"]},
                               headers={"Authorization": f"Bearer {admin_token}"}, verify=ca, timeout=10)
        assert trusted.status_code == 200 and trusted.json()["certificates"], trusted.text

        # After a reset the same description still works: same tenant, same SCIM token, CA still trusted.
        reset = requests.post(f"{entra}/_admin/reset", json={}, verify=ca, timeout=10)
        assert reset.status_code < 300, reset.text
        assert graph_client(described, verify=ca).all_pages("/servicePrincipals") == []
        assert users_of(described, verify=ca) == users
        assert scim.get("/Users").status_code == 200
        authorize_gotomeeting(described, verify=ca)

        code, _ = lab.terminate()
        assert code == 0, lab.output()


def test_the_same_seed_serves_the_same_lab(tmp_path):
    run = ("--seed", "7", "--users", "5", "--groups", "2")
    with serving(tmp_path, run, run) as (first, second):
        one, two = first.describe, second.describe
        assert one["entra"]["baseUrl"] != two["entra"]["baseUrl"]

        def without_addresses(described: dict) -> dict:
            copy = json.loads(json.dumps(described))
            for part, keys in (("entra", ("baseUrl", "authority", "graphUrl", "portalUrl")), ("gotomeeting", ("baseUrl", "scimUrl", "adminCenterUrl"))):
                for key in keys:
                    copy[part].pop(key)
            copy.pop("caBundle")
            return copy

        assert without_addresses(one) == without_addresses(two)
        users = users_of(one)
        assert users == users_of(two)
        assert [g["id"] for g in graph_client(one).all_pages("/groups")] == \
               [g["id"] for g in graph_client(two).all_pages("/groups")]
        # The ids are drawn from the seed, not fixed: another seed builds another tenant.
        reset = requests.post(f"{two['entra']['baseUrl']}/_admin/reset", json={"seed": 8}, timeout=10)
        assert reset.status_code < 300, reset.text
        assert {u["id"] for u in users_of(two)}.isdisjoint(u["id"] for u in users)
        for lab in (first, second):
            assert lab.terminate()[0] == 0


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """The command line parsed in this process (argument errors end before anything starts)."""
    from simulator.__main__ import main

    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out = capsys.readouterr()
    return ended.value.code, out.out, out.err


def test_serve_help_lists_every_option(capsys):
    code, out, err = run_main(capsys, "serve", "--help")
    assert code == 0, err
    for option in SPEC_OPTIONS:
        assert option in out, option
    assert "manual" in out and "real" in out


@pytest.mark.parametrize("args, message", [
    (("--users", "-1"), "argument --users: must be 0 or more"),
    (("--groups", "many"), "argument --groups:"),
    (("--clock", "fast"), "argument --clock: invalid choice: 'fast'"),
    (("--time-scale", "0"), "argument --time-scale: must be positive"),
    (("--entra-port", "http"), "argument --entra-port: invalid int value: 'http'"),
    (("--no-such-option",), "unrecognized arguments: --no-such-option"),
])
def test_bad_option_values_exit_2_with_a_message(capsys, args, message):
    code, _, err = run_main(capsys, "serve", *args)
    assert code == 2
    assert message in err, err
    assert "Traceback" not in err


def test_an_unknown_fixture_tenant_exits_2_with_a_message():
    result = run_cli("serve", "--entra-port", "0", "--gotomeeting-port", "0", "--fixture", "no-such-tenant")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "error: no fixture tenant named 'no-such-tenant'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr



def test_a_port_in_use_ends_serve_with_a_message_instead_of_a_hang():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--entra-port", str(port), "--gotomeeting-port", "0")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "cannot start the lab" in result.stderr and f"{port}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
