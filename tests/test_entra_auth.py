"""App-only sign-in (SPEC §3.1): the token endpoint, discovery, JWKS, and Graph's token check."""
from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.auth import mint_token

SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture
def app():
    return create_app({}, Lab(seed=7))


@pytest.fixture
def entra(app):
    return app.extensions["entra"]


@pytest.fixture
def client(app):
    return app.test_client()


def token_request(client, entra, **form):
    tenant = form.pop("tenant", entra.config.tenant_id)
    admin = entra.config.admin_client
    data = {"grant_type": "client_credentials", "client_id": admin.client_id,
            "client_secret": admin.client_secret, "scope": SCOPE}
    data.update(form)
    return client.post(f"/{tenant}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v is not None})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- the token endpoint ----------------------------------------------------------------------------

def test_client_credentials_token_has_documented_shape_and_claims(client, entra):
    resp = token_request(client, entra)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert resp.headers["Cache-Control"] == "no-store"
    jwks = client.get(f"/{entra.config.tenant_id}/discovery/v2.0/keys").get_json()
    header = jwt.get_unverified_header(body["access_token"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(body["access_token"], jwt.PyJWK(key).key, algorithms=["RS256"],
                        audience="https://graph.microsoft.com", options={"verify_exp": False, "verify_iat": False,
                                                                         "verify_nbf": False})
    tid = entra.config.tenant_id
    admin = entra.config.admin_client
    assert claims["iss"] == f"http://localhost/{tid}/v2.0"
    assert claims["tid"] == tid
    assert claims["appid"] == claims["azp"] == admin.client_id
    assert claims["oid"] == admin.service_principal_id
    assert "Application.ReadWrite.All" in claims["roles"]
    now = int(entra.lab.clock.timestamp())
    assert claims["iat"] == claims["nbf"] == now and claims["exp"] == now + 3599


def test_secret_in_http_basic_and_tenant_by_domain_name(client, entra):
    admin = entra.config.admin_client
    basic = base64.b64encode(f"{admin.client_id}:{admin.client_secret}".encode()).decode()
    resp = client.post(f"/{entra.config.tenant_domain}/oauth2/v2.0/token",
                       data={"grant_type": "client_credentials", "scope": SCOPE},
                       headers={"Authorization": f"Basic {basic}"})
    assert resp.status_code == 200, resp.get_json()


def test_graph_app_id_default_scope_is_accepted(client, entra):
    assert token_request(client, entra, scope="00000003-0000-0000-c000-000000000000/.default").status_code == 200


def test_openid_configuration_points_at_this_lab(client, entra):
    tid = entra.config.tenant_id
    doc = client.get(f"/{tid}/v2.0/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == f"http://localhost/{tid}/v2.0"
    assert doc["token_endpoint"] == f"http://localhost/{tid}/oauth2/v2.0/token"
    assert doc["jwks_uri"] == f"http://localhost/{tid}/discovery/v2.0/keys"
    assert doc["authorization_endpoint"].startswith("http://localhost/")
    by_domain = client.get(f"/{entra.config.tenant_domain}/v2.0/.well-known/openid-configuration").get_json()
    assert by_domain["token_endpoint"] == doc["token_endpoint"]


def test_jwks_publishes_one_rsa_signing_key(client, entra):
    keys = client.get(f"/{entra.config.tenant_id}/discovery/v2.0/keys").get_json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["use"] == "sig" and keys[0]["kid"]
    assert "d" not in keys[0]


def test_token_ids_follow_the_seed():
    def uti(seed):
        app = create_app({}, Lab(seed=seed))
        entra = app.extensions["entra"]
        token = token_request(app.test_client(), entra).get_json()["access_token"]
        return jwt.decode(token, options={"verify_signature": False})["uti"]

    assert uti(3) == uti(3)
    assert uti(3) != uti(4)


# -- Graph's check of the token ----------------------------------------------------------------------

def graph_get(client, headers=None, path="/v1.0/applicationTemplates"):
    return client.get(path, headers=headers or {})


def test_graph_accepts_a_token_from_the_endpoint(client, entra):
    token = token_request(client, entra).get_json()["access_token"]
    resp = graph_get(client, bearer(token))
    assert resp.status_code == 200
    assert resp.headers["request-id"]


def test_graph_without_token_is_401_access_token_is_empty(client):
    resp = graph_get(client)
    assert resp.status_code == 401
    error = resp.get_json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token is empty."
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm=""') and "authorization_uri=" in challenge
    assert 'client_id="00000003-0000-0000-c000-000000000000"' in challenge


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer a.b.c", "Basic Zm9vOmJhcg=="])
def test_graph_garbled_token_is_401_validation_failure(client, header):
    resp = graph_get(client, {"Authorization": header})
    assert resp.status_code == 401
    error = resp.get_json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"].startswith("Access token validation failure.")


def test_graph_token_signed_by_another_key_is_401(client, entra):
    good = jwt.decode(mint_token(entra, entra.config.admin_client, "http://localhost"),
                      options={"verify_signature": False})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(good, other, algorithm="RS256", headers={"kid": entra.keys.kid})
    resp = graph_get(client, bearer(forged))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["message"] == "Access token validation failure. Invalid signature."


def test_graph_unsigned_token_is_401(client, entra):
    claims = jwt.decode(mint_token(entra, entra.config.admin_client, "http://localhost"),
                        options={"verify_signature": False})
    forged = jwt.encode(claims, key=None, algorithm="none")
    assert graph_get(client, bearer(forged)).status_code == 401


@pytest.mark.parametrize("claims, message", [
    ({"aud": "https://management.azure.com"}, "Access token validation failure. Invalid audience."),
    ({"iss": "https://sts.example/other/v2.0"}, "Access token validation failure. Invalid issuer."),
    ({"tid": "11111111-2222-4333-8444-555555555555"}, "Access token validation failure. Invalid issuer."),
])
def test_graph_foreign_token_is_401(client, entra, claims, message):
    token = mint_token(entra, entra.config.admin_client, "http://localhost", **claims)
    resp = graph_get(client, bearer(token))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["message"] == message


def test_graph_token_expires_on_the_virtual_clock(client, entra):
    token = token_request(client, entra).get_json()["access_token"]
    entra.lab.clock.advance(seconds=3598)
    assert graph_get(client, bearer(token)).status_code == 200
    entra.lab.clock.advance(seconds=1)
    resp = graph_get(client, bearer(token))
    assert resp.status_code == 401
    assert resp.get_json()["error"] == {
        **resp.get_json()["error"], "code": "InvalidAuthenticationToken",
        "message": "Lifetime validation failed, the token is expired."}


def test_graph_token_lacking_the_permission_is_403(client, entra):
    reader = entra.config.reader_client
    token = token_request(client, entra, client_id=reader.client_id,
                          client_secret=reader.client_secret).get_json()["access_token"]
    resp = graph_get(client, bearer(token), "/v1.0/servicePrincipals")
    assert resp.status_code == 403
    error = resp.get_json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."


def test_read_permission_is_satisfied_by_readwrite(client, entra):
    token = mint_token(entra, entra.config.admin_client, "http://localhost", roles=["Application.ReadWrite.All"])
    assert graph_get(client, bearer(token), "/v1.0/servicePrincipals").status_code == 200
    token = mint_token(entra, entra.config.admin_client, "http://localhost", roles=["Directory.ReadWrite.All"])
    assert graph_get(client, bearer(token), "/v1.0/servicePrincipals").status_code == 200
    token = mint_token(entra, entra.config.admin_client, "http://localhost", roles=["AuditLog.Read.All"])
    assert graph_get(client, bearer(token), "/v1.0/servicePrincipals").status_code == 403


def test_client_request_id_is_echoed(client, entra):
    resp = client.get("/v1.0/applicationTemplates", headers={"client-request-id": "abc-123"})
    assert resp.headers["client-request-id"] == "abc-123"
    assert resp.get_json()["error"]["innerError"]["client-request-id"] == "abc-123"
    assert resp.get_json()["error"]["innerError"]["request-id"] == resp.headers["request-id"]


# -- the Graph envelope for routing errors -------------------------------------------------------------

def test_unknown_graph_segment_is_400_resource_not_found_for_the_segment(client, entra):
    token = mint_token(entra, entra.config.admin_client, "http://localhost")
    resp = client.get("/v1.0/servicePrincipals/00000000-0000-4000-8000-000000000000/nothingHere",
                      headers=bearer(token))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "BadRequest"
    assert resp.get_json()["error"]["message"] == "Resource not found for the segment 'nothingHere'."
    resp = client.get("/beta/noSuchCollection", headers=bearer(token))
    assert resp.get_json()["error"]["message"] == "Resource not found for the segment 'noSuchCollection'."


def test_wrong_method_is_405_in_the_graph_envelope(client):
    resp = client.put("/v1.0/applicationTemplates")
    assert resp.status_code == 405
    assert resp.get_json()["error"]["code"] == "Request_BadRequest"
    assert "GET" in resp.headers["Allow"]


def test_beta_serves_the_same_handlers(client, entra):
    token = mint_token(entra, entra.config.admin_client, "http://localhost")
    resp = client.get("/beta/applicationTemplates", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.get_json()["@odata.context"] == "http://localhost/beta/$metadata#applicationTemplates"


def test_admin_clients_redacts_secrets(client, entra):
    body = client.get("/_admin/clients").get_json()
    assert body["tenantId"] == entra.config.tenant_id
    assert {c["clientSecret"] for c in body["clients"]} == {"REDACTED"}
    assert entra.config.admin_client.client_secret not in client.get("/_admin/state").get_data(as_text=True)


def test_a_view_404_without_code_is_request_resource_not_found():
    from simulator.core.errors import LabHTTPError

    app = create_app({}, Lab(seed=7))

    def missing():
        raise LabHTTPError(404, "Resource 'x' does not exist or one of its queried reference-property objects "
                                "are not present.")

    app.add_url_rule("/v1.0/probeMissing", "probe_missing", missing)
    resp = app.test_client().get("/v1.0/probeMissing")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "Request_ResourceNotFound"
