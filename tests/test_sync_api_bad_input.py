"""Bad input to the synchronization API (SPEC §3.4, issue 4): every answer is a 4xx Graph error envelope,
never a 500, and the job, its secrets and its schema are unchanged afterwards."""
from __future__ import annotations

import copy
import json
import socket

import pytest

from fixtures.contracts import check
from simulator.core.lab import Lab
from simulator.entra.app import create_app
from simulator.entra.apps.model import NON_GALLERY_TEMPLATE_ID

GOTOMEETING_TEMPLATE_ID = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"


class Api:
    """The in-process Entra app with the GoToMeeting (OAuth) and the non-gallery (Secret Token) apps."""

    def __init__(self):
        self.app = create_app({}, Lab(seed=11))
        self.entra = self.app.extensions["entra"]
        self.client = self.app.test_client()
        admin = self.entra.config.admin_client
        token = self.client.post(f"/{self.entra.config.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": admin.client_id, "client_secret": admin.client_secret,
            "scope": "https://graph.microsoft.com/.default"}).get_json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        _, goto = self.entra.apps.instantiate_template(GOTOMEETING_TEMPLATE_ID, "GoToMeeting")
        _, scim = self.entra.apps.instantiate_template(NON_GALLERY_TEMPLATE_ID, "SCIM app")
        self.goto_sp, self.scim_sp = goto.id, scim.id
        self.goto_job = self.ok("POST", f"{self.sync(goto.id)}/jobs", json={"templateId": "gotomeeting"})["id"]
        self.scim_job = self.ok("POST", f"{self.sync(scim.id)}/jobs", json={"templateId": "scim"})["id"]

    @staticmethod
    def sync(sp_id: str) -> str:
        return f"/v1.0/servicePrincipals/{sp_id}/synchronization"

    def job(self, suffix: str = "", *, sp: str | None = None, job: str | None = None) -> str:
        return f"{self.sync(sp or self.scim_sp)}/jobs/{job or self.scim_job}{suffix}"

    def call(self, method: str, path: str, **kw):
        return self.client.open(path, method=method, headers=self.headers, **kw)

    def ok(self, method: str, path: str, **kw) -> dict:
        resp = self.call(method, path, **kw)
        assert resp.status_code < 300, resp.get_data(as_text=True)
        return resp.get_json() if resp.data else {}

    def error(self, method: str, path: str, status: int, **kw) -> dict:
        resp = self.call(method, path, **kw)
        assert resp.status_code == status, resp.get_data(as_text=True)
        body = resp.get_json()
        check("graph-error", body)
        return body["error"]

    def state(self) -> str:
        return json.dumps({"sync": self.entra.sync.to_state(),
                           "secrets": {sp: self.entra.sync.redacted_secrets(sp) for sp in (self.goto_sp, self.scim_sp)},
                           "schema": [self.ok("GET", self.job("/schema")), self.ok("GET", self.job(
                               "/schema", sp=self.goto_sp, job=self.goto_job))]}, sort_keys=True)


@pytest.fixture(scope="module")
def api() -> Api:
    return Api()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unchanged(api: Api, method: str, path: str, status: int, **kw) -> dict:
    before = api.state()
    error = api.error(method, path, status, **kw)
    assert api.state() == before
    return error


# -- secrets ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, words", [
    ([], "must be"),
    ({"value": "BaseAddress=http://x"}, "must be"),
    ({"value": [{"key": "Frobnicate", "value": "x"}]}, "'Frobnicate' is not supported"),
    ({"value": [{"key": "BaseAddress", "value": 5}]}, "must be a string"),
    ({"value": [{"key": "SecretToken", "value": None}]}, "must be a string"),
    ({"value": [{"key": "SyncAll", "value": "maybe"}]}, "\"true\" or \"false\""),
    ({"value": [{"value": "x"}]}, "'key' and 'value'"),
    ({"value": [{"key": "BaseAddress", "value": "http://x", "extra": 1}]}, "'key' and 'value'"),
    ({"value": [], "other": True}, "Unknown property 'other'"),
    ({"value": [{"key": "BaseAddress", "value": "http://ok.example/scim"}, {"key": "Nope", "value": "x"}]},
     "'Nope' is not supported"),
])
def test_bad_secrets_are_refused_and_nothing_is_stored(api, body, words):
    error = _unchanged(api, "PUT", f"{api.sync(api.scim_sp)}/secrets", 400, json=body)
    assert words in error["message"], error


def test_secrets_that_are_not_json_are_refused(api):
    _unchanged(api, "PUT", f"{api.sync(api.scim_sp)}/secrets", 400, data="{not json",
               content_type="application/json")


# -- validateCredentials ---------------------------------------------------------------------------
def _credentials(base: str) -> dict:
    return {"credentials": [{"key": "BaseAddress", "value": base}, {"key": "SecretToken", "value": "t"}]}


@pytest.mark.parametrize("base, words", [
    ("http://127.0.0.1:{free_port}/scim", "unable to connect"),
    ("ftp://files.example/scim", "is not an HTTP or HTTPS URL"),
    ("scim.example.com/v2", "is not an HTTP or HTTPS URL"),
    ("", "is not an HTTP or HTTPS URL"),
])
def test_validate_credentials_with_an_unusable_tenant_url(api, base, words):
    base = base.format(free_port=_free_port())
    error = _unchanged(api, "POST", api.job("/validateCredentials"), 400, json=_credentials(base))
    assert error["code"] == "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable", error
    assert words in error["message"], error


@pytest.mark.parametrize("body, words", [
    ({"useSavedCredentials": False}, "useSavedCredentials must be true"),
    ({"unexpected": 1}, "'unexpected' is not valid"),
    ({"credentials": [{"key": "Frobnicate", "value": "x"}]}, "not supported"),
    ({"credentials": "BaseAddress"}, "must be"),
])
def test_validate_credentials_with_a_bad_body(api, body, words):
    error = _unchanged(api, "POST", api.job("/validateCredentials"), 400, json=body)
    assert words in error["message"], error


def test_validate_credentials_of_the_gallery_app_without_authorize(api):
    error = _unchanged(api, "POST", api.job("/validateCredentials", sp=api.goto_sp, job=api.goto_job), 400,
                       json={"useSavedCredentials": True})
    assert error["code"] == "GoToMeetingInvalidCredentials" and "Authorize" in error["message"], error


# -- start, restart ----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["scim", "gotomeeting"])
def test_start_without_credentials_is_refused(api, which):
    path = api.job("/start") if which == "scim" else api.job("/start", sp=api.goto_sp, job=api.goto_job)
    error = _unchanged(api, "POST", path, 400)
    assert "no credentials are saved" in error["message"], error


@pytest.mark.parametrize("body, words", [
    ({"criteria": {"resetScope": "Everything"}}, "'Everything' is not valid"),
    ({"criteria": {"resetScope": "Watermark, Sometimes"}}, "'Sometimes' is not valid"),
    ({"criteria": {"resetScope": 3}}, "comma-separated"),
    ({"criteria": {"resetScope": " "}}, "comma-separated"),
    ({"criteria": "Full"}, "criteria must be an object"),
    ({"criteria": {"resetScope": "Full", "extra": 1}}, "criteria must be an object"),
    ({"reset": "Full"}, "must be"),
])
def test_restart_with_a_bad_reset_scope(api, body, words):
    error = _unchanged(api, "POST", api.job("/restart"), 400, json=body)
    assert words in error["message"], error


# -- schema ----------------------------------------------------------------------------------------
def _edit(api: Api, change) -> dict:
    schema = api.ok("GET", api.job("/schema"))
    schema.pop("@odata.context", None)
    schema = copy.deepcopy(schema)
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    change(next(m for m in users["attributeMappings"] if m["targetAttributeName"] == "displayName"), users)
    return schema


def _source(expression: str) -> dict:
    return {"expression": expression, "name": expression.split("(")[0], "type": "Function", "parameters": []}


@pytest.mark.parametrize("change, words", [
    (lambda m, o: m.update(source=_source('Join(" ", [givenName]')), "attribute mapping 'displayName'"),
    (lambda m, o: m.update(source=_source("Frobnicate([givenName])")), "unknown function 'Frobnicate'"),
    (lambda m, o: m.update(targetAttributeName="nickNameOfTheDay"), "'nickNameOfTheDay': unknown target attribute"),
    (lambda m, o: [a.update(matchingPriority=0) for a in o["attributeMappings"]], "no matching attribute"),
    (lambda m, o: m.update(flowType="Sometimes"), "displayName"),
])
def test_a_bad_schema_is_refused_naming_the_mapping_and_the_old_one_stays(api, change, words):
    before = api.ok("GET", api.job("/schema"))
    error = _unchanged(api, "PUT", api.job("/schema"), 400, json=_edit(api, change))
    assert words in error["message"], error
    assert api.ok("GET", api.job("/schema")) == before


def test_a_schema_that_is_not_an_object_is_refused(api):
    _unchanged(api, "PUT", api.job("/schema"), 400, json=["synchronizationRules"])


# -- unknown ids -------------------------------------------------------------------------------------
UNKNOWN_SP = "00000000-1111-4222-8333-444444444444"


@pytest.mark.parametrize("method, suffix", [
    ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/start"), ("POST", "/pause"), ("POST", "/restart"),
    ("GET", "/schema"), ("PUT", "/schema"), ("POST", "/validateCredentials"), ("POST", "/provisionOnDemand"),
])
def test_an_unknown_job_is_404(api, method, suffix):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    error = _unchanged(api, method, api.job(suffix, job="scim.nope.0000"), 404, json=body)
    assert error["code"] == "Request_ResourceNotFound", error


@pytest.mark.parametrize("method, suffix, body", [
    ("GET", "/templates", None), ("GET", "/jobs", None), ("POST", "/jobs", {"templateId": "scim"}),
    ("PUT", "/secrets", {"value": []}), ("GET", f"/jobs/x", None),
])
def test_an_unknown_service_principal_is_404(api, method, suffix, body):
    error = _unchanged(api, method, f"{api.sync(UNKNOWN_SP)}{suffix}", 404, json=body)
    assert error["code"] == "Request_ResourceNotFound" and UNKNOWN_SP in error["message"], error


@pytest.mark.parametrize("body, words", [
    ({}, "'templateId' is required"),
    ({"templateId": 7}, "'templateId' is required"),
    ({"templateId": "gotomeeting"}, "use 'scim'"),
    ({"templateId": "scim", "schedule": {}}, "'schedule' does not exist"),
])
def test_creating_a_job_with_a_bad_body(api, body, words):
    error = _unchanged(api, "POST", f"{api.sync(api.scim_sp)}/jobs", 400, json=body)
    assert words in error["message"], error


@pytest.mark.parametrize("body", [
    {}, {"parameters": []}, {"parameters": [{"ruleId": "x"}]},
    {"parameters": [{"ruleId": "x", "subjects": [{"objectId": "a", "objectTypeName": "Device"}]}]},
    {"parameters": [{"ruleId": "x", "subjects": [{"objectId": 1, "objectTypeName": "User"}]}]},
    {"parameters": [{"ruleId": "x", "subjects": [{"objectId": "a", "objectTypeName": "User"},
                                                  {"objectId": "b", "objectTypeName": "User"}]}]},
])
def test_provision_on_demand_with_a_bad_body(api, body):
    _unchanged(api, "POST", api.job("/provisionOnDemand"), 400, json=body)


def test_a_bad_lab_setting_is_refused(api):
    before = api.client.get("/_admin/settings").get_json()
    for body in ({"escrowEvaluationFloor": -1}, {"tooManyRequestsMode": "ignore"}, {"unknown": 1},
                 {"escrowEvaluationFloor": 1.5}, {"notificationsEnabled": "yes"}, {"targetTimeoutSeconds": True}):
        resp = api.client.put("/_admin/settings", json=body)
        assert resp.status_code == 400, (body, resp.get_data(as_text=True))
    assert api.client.get("/_admin/settings").get_json() == before


@pytest.mark.parametrize("body, words", [
    ({}, "must be"),
    ({"synchronizationJobSettings": {"QuarantineTooManyDeletesThreshold": "5"}}, "must be"),
    ({"synchronizationJobSettings": [{"name": "Frobnicate", "value": "1"}]}, "'Frobnicate' is not supported"),
    ({"synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": 5}]},
     "non-negative integer"),
    ({"synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "-1"}]},
     "non-negative integer"),
    ({"synchronizationJobSettings": [], "schedule": {}}, "must be"),
])
def test_a_bad_job_settings_patch_is_refused(api, body, words):
    error = _unchanged(api, "PATCH", api.job(), 400, json=body)
    assert words in error["message"], error


def test_the_deletion_threshold_can_be_patched(api):
    body = {"synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "25"}]}
    api.ok("PATCH", api.job(""), json=body)
    job = api.ok("GET", api.job(""))
    assert job["synchronizationJobSettings"] == [{"name": "QuarantineTooManyDeletesThreshold", "value": "25"}]
    api.ok("PATCH", api.job(""), json={"synchronizationJobSettings": [
        {"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]})
