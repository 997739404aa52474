"""A real Microsoft client against the lab: MSAL acquires an app-only token from the fake Entra ID served
over TLS (MSAL refuses plain-HTTP authorities) and the token works at Graph (SPEC §3.1)."""
from __future__ import annotations

import msal
import pytest
import requests

from simulator.core.lab import Lab
from simulator.core.server import LiveServer
from simulator.core.tls import make_tls
from simulator.entra.app import create_app


@pytest.fixture(scope="module")
def tls_entra(tmp_path_factory):
    tls = make_tls(str(tmp_path_factory.mktemp("tls")), ["127.0.0.1"])
    app = create_app({}, Lab(seed=11))
    server = LiveServer(app, tls=tls, name="entra").start()
    yield server, app.extensions["entra"], tls.ca_bundle
    server.stop()


def _msal_app(server, entra, ca_bundle, secret=None, tenant=None):
    admin = entra.config.admin_client
    # requests lets REQUESTS_CA_BUNDLE from the environment win over a session's ``verify`` (and so over
    # MSAL's ``verify=``); a session that ignores the environment trusts exactly the lab's CA.
    http = requests.Session()
    http.trust_env = False
    http.verify = ca_bundle
    return msal.ConfidentialClientApplication(
        admin.client_id, client_credential=secret or admin.client_secret,
        authority=f"{server.url}/{tenant or entra.config.tenant_id}", http_client=http,
        instance_discovery=False, token_cache=msal.TokenCache())


def test_msal_acquires_a_token_that_graph_accepts(tls_entra):
    server, entra, ca_bundle = tls_entra
    result = _msal_app(server, entra, ca_bundle).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    http = requests.Session()
    http.trust_env = False
    resp = http.get(f"{server.url}/v1.0/applicationTemplates",
                    headers={"Authorization": f"Bearer {result['access_token']}"}, verify=ca_bundle, timeout=10)
    assert resp.status_code == 200
    assert {t["displayName"] for t in resp.json()["value"]} >= {"GoToMeeting"}


def test_msal_reports_the_aad_error_for_a_wrong_secret(tls_entra):
    server, entra, ca_bundle = tls_entra
    result = _msal_app(server, entra, ca_bundle, secret="not-the-secret").acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"])
    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]


def test_msal_authority_by_domain_name(tls_entra):
    server, entra, ca_bundle = tls_entra
    result = _msal_app(server, entra, ca_bundle, tenant=entra.config.tenant_domain).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
