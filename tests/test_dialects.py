"""The two SCIM wire dialects: every row of SPEC §3.7's dialect table, both ways, against the golden request
bodies in fixtures/golden (Microsoft's published samples where there is one), plus the query strings."""
import json
from pathlib import Path

import jsonschema
import pytest

from simulator.entra.provisioning.dialects import (
    Dialect, FilterValueError, build_add_members, build_create_group, build_create_user, build_disable_user,
    build_enable_user, build_remove_members, build_update_group, build_update_user, group_query, matching_filter,
    matching_query, probe_query, split_base_address)
from simulator.entra.provisioning.expressions import AppRoleAssignmentView, AppRoleEntry, AppRoleValue, SourceObject
from simulator.entra.provisioning.mappings import (compute_target, find_object_mapping, load_default_schema,
                                                   target_attribute_types)

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "fixtures" / "golden"
PATCH_SCHEMA = json.loads((ROOT / "fixtures" / "schemas" / "scim-patch-op.json").read_text())
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LEGACY, COMPLIANT = Dialect.LEGACY, Dialect.AAD_OPT_SCIM_062020
BOTH = [LEGACY, COMPLIANT]


def golden(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text())


def gotomeeting_target() -> dict:
    schema = load_default_schema("gotomeeting")
    users = find_object_mapping(schema, "User")
    adele = SourceObject({"userPrincipalName": "adele.vance@contoso.example", "mail": "adele.vance@contoso.example",
                          "givenName": "Adele", "surname": "Vance", "displayName": "Adele Vance",
                          "mailNickname": "adele.vance", "department": "Retail", "accountEnabled": True},
                         app_role_assignments=[AppRoleAssignmentView("r-1", "organizer", "Organizer")])
    return compute_target(users, adele, creating=True), target_attribute_types(schema, users)


def create_gotomeeting_user(dialect: Dialect) -> dict:
    target, types = gotomeeting_target()
    return build_create_user(target, dialect, attribute_types=types)


SEVERAL_LEGACY = {"displayName": ("Old", "Pvlo"),
                  'emails[type eq "work"].value': ("a@x", "TestBcwqnm@test.microsoft.com"),
                  "name.givenName": ("Old", "Gtfd"), "name.familyName": ("Old", "Pkqf"), "externalId": ("Old", "Eqpj"),
                  f"{ENT}:employeeNumber": ("1", "Eqpj")}
SEVERAL_COMPLIANT = {"displayName": ("Old", "Bjfe"),
                     'emails[type eq "work"].value': ("a@x", "TestMhvaes@test.microsoft.com"),
                     "name.givenName": ("Old", "Kkom"), "name.familyName": ("Old", "Unua"),
                     f"{ENT}:employeeNumber": ("1", "Aklq")}
ROLE_25 = AppRoleValue("25", "06b07648-ecfe-589f-9d2f-6325724a46ee", "Role1234")
COMPLEX = [AppRoleEntry("Admin", "Admin", "06b07648-ecfe-589f-9d2f-6325724a46ee"),
           AppRoleEntry("User", "User", "06b07648-ecfe-599f-9d2f-6325724a46ee")]

CASES = [  # (golden file, dialects, body builder)
    # The default GoToMeeting mapping of a user with the Organizer role (SPEC §3.7).
    ("create-user.json", BOTH, lambda d: create_gotomeeting_user(d)),
    # Microsoft, "Provisioning a role to a SCIM app": the SingleAppRoleAssignment and AppRoleAssignmentsComplex
    # POST samples.
    ("create-user-single-app-role-assignment.json", BOTH, lambda d: build_create_user({
        "externalId": "alias", "userName": "alias@contoso.OnMicrosoft.com", "active": "True",
        "displayName": "First Name Last Name",
        'roles[primary eq "True"].value': AppRoleValue("Admin", "r-admin", "Admin")}, d)),
    ("create-user-app-role-assignments-complex.json", BOTH, lambda d: build_create_user({
        "externalId": "alias", "userName": "alias@contoso.OnMicrosoft.com",
        "displayName": "First Name Last Name", "roles": COMPLEX}, d)),
    # The non-gallery default mapping, shaped like the tutorial's "Provision a user" example.
    ("create-user-scim-defaults.json", BOTH, lambda d: build_create_user({
        "userName": "jyoung@testuser.com", "active": "True", "displayName": "Joy Young", "title": "Buyer",
        'emails[type eq "work"].value': "jyoung@Contoso.com", "name.givenName": "Joy", "name.familyName": "Young",
        "name.formatted": "Joy Young", 'addresses[type eq "work"].streetAddress': "1 Microsoft Way",
        'addresses[type eq "work"].locality': "Redmond", 'addresses[type eq "work"].country': "US",
        'phoneNumbers[type eq "work"].value': "+1 425 555 0100",
        'phoneNumbers[type eq "mobile"].value': "+1 425 555 0101", "externalId": "jyoung",
        f"{ENT}:employeeNumber": "701984", f"{ENT}:department": "Retail",
        f"{ENT}:manager": "26118915-6090-4610-87e4-49d8ca9f808d"}, d)),
    # The tutorial's "Create Group" request.
    ("create-group.json", BOTH, lambda d: build_create_group("displayName", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", d)),
    # "Known issues ... SCIM 2.0 protocol compliance": disable, add one attribute, replace several, remove a
    # member, without and with the flag (Microsoft's values).
    ("legacy-disable-user.json", [LEGACY], build_disable_user),
    ("aadoptscim062020-disable-user.json", [COMPLIANT], build_disable_user),
    ("legacy-enable-user.json", [LEGACY], build_enable_user),
    ("aadoptscim062020-enable-user.json", [COMPLIANT], build_enable_user),
    ("legacy-add-single-attribute.json", [LEGACY], lambda d: build_update_user({"nickName": (None, "Babs")}, d)),
    ("aadoptscim062020-add-single-attribute.json", [COMPLIANT],
     lambda d: build_update_user({"nickName": (None, "Babs")}, d)),
    ("legacy-update-several-attributes.json", [LEGACY], lambda d: build_update_user(SEVERAL_LEGACY, d)),
    ("aadoptscim062020-update-several-attributes.json", [COMPLIANT],
     lambda d: build_update_user(SEVERAL_COMPLIANT, d)),
    # The tutorial's "Update User [Multi-valued properties]" request; a field report of an Add among Replaces.
    ("legacy-update-multi-valued-and-single-attribute.json", [LEGACY], lambda d: build_update_user({
        'emails[type eq "work"].value': ("old@microsoft.com", "updatedEmail@microsoft.com"),
        "name.familyName": ("familyName", "updatedFamilyName")}, d)),
    ("legacy-update-attributes-add-and-replace.json", [LEGACY], lambda d: build_update_user({
        'emails[type eq "work"].value': ("AdeleV@contoso.example", "AdeleV2@contoso.example"),
        'addresses[type eq "work"].formatted': ("18/2110", "18/2111"), f"{ENT}:department": (None, "Retail")}, d)),
    ("legacy-remove-group-member.json", [LEGACY], lambda d: build_remove_members(["u1091"], d)),
    ("aadoptscim062020-remove-group-member.json", [COMPLIANT],
     lambda d: build_remove_members(["7f4bc1a3-285e-48ae-8202-5accb43efb0e"], d)),
    ("legacy-remove-group-members.json", [LEGACY], lambda d: build_remove_members(["u1091", "u1092"], d)),
    ("aadoptscim062020-remove-group-members.json", [COMPLIANT],
     lambda d: build_remove_members(["u1091", "u1092"], d)),
    # Several members in one request (SPEC §3.7).
    ("legacy-add-group-members.json", [LEGACY],
     lambda d: build_add_members(["f648f8d5ea4e4cd38e9c", "927fa2c08dcb4a7fae9e"], d)),
    ("aadoptscim062020-add-group-members.json", [COMPLIANT],
     lambda d: build_add_members(["f648f8d5ea4e4cd38e9c", "927fa2c08dcb4a7fae9e"], d)),
    # Microsoft, "Provisioning a role to a SCIM app": the legacy PATCH sends roles as JSON strings.
    ("legacy-update-single-app-role-assignment.json", [LEGACY], lambda d: build_update_user({
        'roles[primary eq "True"].value': (AppRoleValue("organizer", "r-1", "Organizer"), ROLE_25)}, d)),
    ("aadoptscim062020-update-single-app-role-assignment.json", [COMPLIANT], lambda d: build_update_user({
        'roles[primary eq "True"].value': (AppRoleValue("organizer", "r-1", "Organizer"),
                                           AppRoleValue("manager", "r-2", "Manager"))}, d)),
    ("legacy-update-app-role-assignments-complex.json", [LEGACY],
     lambda d: build_update_user({"roles": (None, COMPLEX)}, d)),
    # The manager as a plain id, as Entra sends it with the flag (reported to SCIM-SDK, issue 686).
    ("aadoptscim062020-add-manager.json", [COMPLIANT],
     lambda d: build_update_user({f"{ENT}:manager": (None, "2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2")}, d)),
]


@pytest.mark.parametrize("name, dialect, build", [(n, d, b) for n, ds, b in CASES for d in ds],
                         ids=[f"{n}-{d.value}" for n, ds, _ in CASES for d in ds])
def test_golden_request_bodies(name, dialect, build):
    body = build(dialect)
    assert json.loads(json.dumps(body)) == golden(name)
    if "Operations" in body:
        jsonschema.validate(body, PATCH_SCHEMA)


def test_every_golden_file_is_checked():
    assert {p.name for p in GOLDEN.glob("*.json")} == {name for name, _, _ in CASES}


# ---------------------------------------------------------------------------------------------- rules

def test_create_is_the_same_in_both_dialects():
    assert create_gotomeeting_user(LEGACY) == create_gotomeeting_user(COMPLIANT)


def test_create_leaves_custom_extension_urns_out_of_schemas():
    body = build_create_user({"userName": "a@x", "urn:ietf:params:scim:schemas:extension:acme:2.0:User:tag": "701984"},
                             LEGACY)
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert body["urn:ietf:params:scim:schemas:extension:acme:2.0:User"] == {"tag": "701984"}


def test_create_sends_an_inactive_user_as_active_false():
    assert build_create_user({"userName": "a@x", "active": "False"}, COMPLIANT)["active"] is False


def test_null_new_values_are_not_sent():
    assert build_update_user({"displayName": ("Adele", None)}, LEGACY) is None
    assert build_update_user({"displayName": ("Adele", None), "title": ("a", "b")}, COMPLIANT)["Operations"] == [
        {"op": "replace", "path": "title", "value": "b"}]


def test_compliant_booleans_stay_booleans_inside_the_collapsed_value():
    body = build_update_user({"active": ("False", "True"), "displayName": ("A", "B")}, COMPLIANT)
    assert body["Operations"] == [{"op": "replace", "value": {"active": True, "displayName": "B"}}]
    legacy = build_update_user({"active": ("False", "True"), "displayName": ("A", "B")}, LEGACY)
    assert legacy["Operations"][0] == {"op": "Replace", "path": "active", "value": "True"}


def test_compliant_collapsed_value_of_new_attributes_is_an_add():
    body = build_update_user({"nickName": (None, "Babs"), "title": (None, "Buyer")}, COMPLIANT)
    assert body["Operations"] == [{"op": "add", "value": {"nickName": "Babs", "title": "Buyer"}}]


def test_attribute_types_decide_booleans():
    body = build_update_user({"isAdmin": ("False", "True")}, LEGACY, attribute_types={"isAdmin": "Boolean"})
    assert body["Operations"][0]["value"] == "True"
    body = build_update_user({"isAdmin": ("False", "True")}, COMPLIANT, attribute_types={"isAdmin": "Boolean"})
    assert body["Operations"][0]["value"] is True
    body = build_update_user({"active": ("False", "True")}, COMPLIANT, attribute_types={"active": "String"})
    assert body["Operations"][0]["value"] == "True"


def test_group_update_uses_the_same_rules():
    assert build_update_group({"displayName": ("a", "b")}, LEGACY)["Operations"] == [
        {"op": "Replace", "path": "displayName", "value": "b"}]


def test_members_need_at_least_one_id():
    with pytest.raises(ValueError):
        build_add_members([], LEGACY)


def test_remove_member_path_escapes_the_id():
    body = build_remove_members(['odd"id'], COMPLIANT)
    assert body["Operations"][0]["path"] == 'members[value eq "odd\\"id"]'


# ---------------------------------------------------------------------------------------------- dialect flag

@pytest.mark.parametrize("base, url, dialect", [
    ("https://gotomeeting.example/scim/v2", "https://gotomeeting.example/scim/v2", LEGACY),
    ("https://gotomeeting.example/scim/v2?aadOptscim062020", "https://gotomeeting.example/scim/v2", COMPLIANT),
    ("https://gotomeeting.example/scim/v2/?aadoptscim062020=true", "https://gotomeeting.example/scim/v2/", COMPLIANT),
    ("https://x.example/scim?tenant=7&aadOptscim062020&z=1", "https://x.example/scim?tenant=7&z=1", COMPLIANT),
    ("https://x.example/scim?aadOptscim062020&AzureAdScimPatch2017", "https://x.example/scim", LEGACY),
])
def test_the_flag_in_the_base_address_selects_the_dialect_and_is_stripped(base, url, dialect):
    assert split_base_address(base) == (url, dialect)
    assert Dialect.from_base_address(base) is dialect


# ---------------------------------------------------------------------------------------------- queries

def test_matching_filter_escapes_quotes_and_backslashes():
    assert matching_filter("userName", "adele@contoso.example") == 'userName eq "adele@contoso.example"'
    assert matching_filter("displayName", 'Sales "EMEA" \\ Ops') == r'displayName eq "Sales \"EMEA\" \\ Ops"'


@pytest.mark.parametrize("value", ["", "line\nbreak", "tab\there", "nul\x00", "surrogate\ud800"])
def test_matching_filter_refuses_what_it_cannot_carry(value):
    with pytest.raises(FilterValueError):
        matching_filter("userName", value)


def test_probe_query_is_encoded_as_entra_does():
    assert probe_query("userName", "5ea0e0f4-4b4f-4d3c-9c5d-0f2d3c4b5a69") == \
        "filter=userName+eq+%225ea0e0f4-4b4f-4d3c-9c5d-0f2d3c4b5a69%22"
    assert probe_query('emails[type eq "work"].value', "g") == \
        "filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22g%22"


def test_matching_and_group_queries():
    assert matching_query("userName", "a+b@x.example") == "filter=userName+eq+%22a%2Bb%40x.example%22"
    assert group_query("Sales & Ops") == "excludedAttributes=members&filter=displayName+eq+%22Sales+%26+Ops%22"
