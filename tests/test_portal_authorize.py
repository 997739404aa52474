"""The portal's Authorize callback refuses a missing, malformed, forged, expired or replayed ``state`` and
reports GoTo's error, each with a 400 page, storing nothing (SPEC §3.5)."""
from __future__ import annotations

import base64
import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"


@pytest.fixture
def portal():
    app = create_app({}, Lab(seed=5))
    entra = app.extensions["entra"]
    with socket.socket() as s:  # a GoToMeeting address where nothing listens
        s.bind(("127.0.0.1", 0))
        entra.config.gotomeeting_url = f"http://127.0.0.1:{s.getsockname()[1]}"
    _, sp = entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
    job = entra.sync.create_job(sp.id, {"templateId": "gotomeeting"})
    return app.test_client(), entra, sp, job


def _state(client, sp, job) -> str:
    resp = client.get(f"/portal/servicePrincipals/{sp.id}/provisioning/authorize?jobId={job.id}")
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["response_type"] == ["code"] and query["redirect_uri"][0].endswith("/portal/TokenAuthorize")
    return query["state"][0]


def _refused(client, entra, sp, query: str, words: str):
    before = entra.sync.redacted_secrets(sp.id)
    resp = client.get(f"/portal/TokenAuthorize?{query}")
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.content_type.startswith("text/html")
    assert words in resp.get_data(as_text=True)
    assert entra.sync.redacted_secrets(sp.id) == before
    assert "Oauth2AccessToken" not in before


def test_a_missing_state_is_refused(portal):
    client, entra, sp, _ = portal
    _refused(client, entra, sp, "code=abc", "missing or malformed")


@pytest.mark.parametrize("state", ["no-dot-here", "a.b.c", "%%%.%%%"])
def test_a_malformed_state_is_refused(portal, state):
    client, entra, sp, _ = portal
    _refused(client, entra, sp, f"code=abc&state={state}", "state parameter")


def test_a_forged_state_is_refused(portal):
    client, entra, sp, job = portal
    raw, _ = _state(client, sp, job).split(".")
    payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    payload["sp"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    _refused(client, entra, sp, f"code=abc&state={forged}.{'A' * 43}", "not issued by this portal")


def test_a_replayed_state_is_refused(portal):
    client, entra, sp, job = portal
    state = _state(client, sp, job)
    _refused(client, entra, sp, f"error=access_denied&state={state}", "access_denied")
    _refused(client, entra, sp, f"code=abc&state={state}", "already used")


def test_an_expired_state_is_refused(portal):
    client, entra, sp, job = portal
    state = _state(client, sp, job)
    entra.lab.clock.advance(minutes=16)
    _refused(client, entra, sp, f"code=abc&state={state}", "took too long")


def test_gotos_error_is_named_on_the_page(portal):
    client, entra, sp, job = portal
    _refused(client, entra, sp, f"error=access_denied&error_description=The+user+declined&state={_state(client, sp, job)}",
             "GoToMeeting answered &#x27;access_denied&#x27;: The user declined")


def test_neither_code_nor_error_is_refused(portal):
    client, entra, sp, job = portal
    _refused(client, entra, sp, f"state={_state(client, sp, job)}", "neither a code nor an error")


def test_a_code_goto_does_not_accept_is_refused(portal):
    client, entra, sp, job = portal
    # nothing listens at GoToMeeting's address: the exchange fails and nothing is stored
    _refused(client, entra, sp, f"code=abc&state={_state(client, sp, job)}", "GoToMeeting refused the authorization code")


def test_authorize_for_an_unknown_app_or_job_or_a_secret_token_app(portal):
    client, entra, sp, _ = portal
    assert client.get("/portal/servicePrincipals/nope/provisioning/authorize").status_code == 404
    assert client.get(f"/portal/servicePrincipals/{sp.id}/provisioning/authorize?jobId=nope").status_code == 404
    _, scim = entra.apps.instantiate_template(NON_GALLERY_TEMPLATE_ID, "SCIM app")
    resp = client.get(f"/portal/servicePrincipals/{scim.id}/provisioning/authorize")
    assert resp.status_code == 400 and "Secret Token" in resp.get_data(as_text=True)
