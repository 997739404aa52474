"""The Entra app's lab control (SPEC §5): seeding the tenant, reset back to the configured tenant, state."""
from __future__ import annotations

import pytest

from simulator.core.lab import Lab
from simulator.entra.app import create_app


@pytest.fixture
def client():
    return create_app({"users": 5, "groups": 2}, Lab(seed=4)).test_client()


def _users(client) -> int:
    return client.get("/_admin/state").get_json()["directory"]["counts"]["users"]


def test_configured_tenant_is_seeded_and_reset_rebuilds_it(client):
    before = client.get("/_admin/state").get_json()["directory"]
    assert _users(client) == 5
    assert client.post("/_admin/seed", json={"users": 3}).status_code == 201
    assert _users(client) == 8
    assert client.post("/_admin/reset", json={}).status_code == 200
    assert client.get("/_admin/state").get_json()["directory"] == before


def test_seed_a_named_fixture_tenant(client):
    resp = client.post("/_admin/seed", json={"fixture": "gotomeeting-tutorial"})
    assert resp.status_code == 201, resp.get_json()
    assert _users(client) > 5


@pytest.mark.parametrize("body, status", [
    ({"fixture": "no-such-tenant"}, 404), ({"fixture": ""}, 400), ({"users": -1}, 400), ({"users": "3"}, 400),
    ({"users": True}, 400), ({"colour": "blue"}, 400),
])
def test_bad_seed_requests_are_4xx_and_change_nothing(client, body, status):
    before = client.get("/_admin/state").get_json()
    resp = client.post("/_admin/seed", json=body)
    assert resp.status_code == status
    assert resp.get_json()["error"]["message"]
    assert client.get("/_admin/state").get_json() == before


def test_loading_a_fixture_twice_is_409_not_500(client):
    assert client.post("/_admin/seed", json={"fixture": "gotomeeting-tutorial"}).status_code == 201
    assert client.post("/_admin/seed", json={"fixture": "gotomeeting-tutorial"}).status_code == 409
