"""Attribute mappings as data: the default schemas, their validation, target values, matching order and
scoping filters."""
import copy

import pytest

from simulator.entra.provisioning.expressions import AppRoleAssignmentView, SourceObject
from simulator.entra.provisioning.mappings import (
    compute_target, find_object_mapping, in_scope, load_default_schema, matching_attributes,
    normalize_attribute_mapping, scope_problems, source_attributes, target_attribute_types, validate_schema)

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ORGANIZER = AppRoleAssignmentView("a1f0c2d4-0000-4000-8000-000000000001", "organizer", "Organizer")
DEFAULT_ACCESS = AppRoleAssignmentView("18d14569-c3bd-439b-9a66-3a2aee01d14f", None, "Default Access")


def adele(**changes) -> SourceObject:
    properties = {"id": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "userPrincipalName": "adele.vance@contoso.example",
                  "mail": "adele.vance@contoso.example", "givenName": "Adele", "surname": "Vance",
                  "displayName": "Adele Vance", "mailNickname": "adele.vance", "department": "Retail",
                  "jobTitle": "Buyer", "accountEnabled": True, "employeeId": "701984"}
    roles = changes.pop("roles", [ORGANIZER])
    deleted = changes.pop("deleted", False)
    properties.update(changes)
    return SourceObject(properties, is_soft_deleted=deleted, app_role_assignments=roles)


@pytest.fixture
def gotomeeting():
    schema = load_default_schema("gotomeeting")
    return schema, find_object_mapping(schema, "User")


# ---------------------------------------------------------------------------------------------- defaults

@pytest.mark.parametrize("template", ["gotomeeting", "scim"])
def test_default_schemas_are_valid(template):
    assert validate_schema(load_default_schema(template)) == []


def test_default_schema_is_a_fresh_copy_each_time():
    first = load_default_schema("scim")
    first["synchronizationRules"].clear()
    assert load_default_schema("scim")["synchronizationRules"]


def test_unknown_template_has_no_default_schema():
    with pytest.raises(KeyError):
        load_default_schema("salesforce")


def test_gotomeeting_user_maps_as_the_spec_table_says(gotomeeting):
    _, users = gotomeeting
    assert compute_target(users, adele(), creating=True) == {
        "userName": "adele.vance@contoso.example",
        "active": "True",
        'emails[type eq "work"].value': "adele.vance@contoso.example",
        "name.givenName": "Adele",
        "name.familyName": "Vance",
        "displayName": "Adele Vance",
        "externalId": "adele.vance",
        'roles[primary eq "True"].value': "organizer",
        f"{ENT}:department": "Retail",
    }
    assert matching_attributes(users)[0][0] == "userName"


def test_gotomeeting_template_maps_no_groups(gotomeeting):
    schema, _ = gotomeeting
    assert find_object_mapping(schema, "Group") is None


def test_default_access_gives_no_role_and_nulls_are_dropped(gotomeeting):
    _, users = gotomeeting
    target = compute_target(users, adele(roles=[DEFAULT_ACCESS], mail=None, department=""), creating=True)
    assert 'roles[primary eq "True"].value' not in target
    assert 'emails[type eq "work"].value' not in target
    assert f"{ENT}:department" not in target


def test_disabled_or_soft_deleted_user_maps_active_false(gotomeeting):
    _, users = gotomeeting
    assert compute_target(users, adele(accountEnabled=False), creating=False)["active"] == "False"
    assert compute_target(users, adele(deleted=True), creating=False)["active"] == "False"


def test_object_add_only_flows_on_create_only(gotomeeting):
    _, users = gotomeeting
    users = copy.deepcopy(users)
    for mapping in users["attributeMappings"]:
        if mapping["targetAttributeName"] == "externalId":
            mapping["flowType"] = "ObjectAddOnly"
    assert compute_target(users, adele(), creating=True)["externalId"] == "adele.vance"
    assert "externalId" not in compute_target(users, adele(), creating=False)


def test_scim_defaults_map_users_and_groups():
    schema = load_default_schema("scim")
    users, groups = find_object_mapping(schema, "User"), find_object_mapping(schema, "Group")
    target = compute_target(users, adele(manager="26118915-6090-4610-87e4-49d8ca9f808d",
                                         businessPhones=["+1 425 555 0100"]), creating=True)
    assert target["name.formatted"] == "Adele Vance"
    assert target["title"] == "Buyer"
    assert target['phoneNumbers[type eq "work"].value'] == "+1 425 555 0100"
    assert target[f"{ENT}:employeeNumber"] == "701984"
    assert target[f"{ENT}:manager"] == "26118915-6090-4610-87e4-49d8ca9f808d"
    assert not any(name.startswith("roles") for name in target)
    group = SourceObject({"id": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Sales"}, object_type="Group")
    assert compute_target(groups, group, creating=True) == {
        "displayName": "Sales", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"}
    assert [name for name, _ in matching_attributes(groups)] == ["displayName"]


def test_matching_attributes_follow_priority():
    object_mapping = {"attributeMappings": [
        {"targetAttributeName": "externalId", "matchingPriority": 2, "source": {"name": "mailNickname"}},
        {"targetAttributeName": "displayName", "matchingPriority": 0, "source": {"name": "displayName"}},
        {"targetAttributeName": "userName", "matchingPriority": 1, "source": {"name": "userPrincipalName"}},
    ]}
    assert [name for name, _ in matching_attributes(object_mapping)] == ["userName", "externalId"]


def test_source_attributes_of_the_gotomeeting_mapping(gotomeeting):
    _, users = gotomeeting
    assert source_attributes(users) == {"userprincipalname", "issoftdeleted", "mail", "givenname", "surname",
                                        "displayname", "mailnickname", "approleassignments", "department"}


def test_target_attribute_types_come_from_the_target_directory(gotomeeting):
    schema, users = gotomeeting
    types = target_attribute_types(schema, users)
    assert types["active"] == "Boolean"
    assert types["userName"] == "String"


# ---------------------------------------------------------------------------------------------- validation

def _edit(schema, target, **changes):
    for mapping in find_object_mapping(schema, "User")["attributeMappings"]:
        if mapping["targetAttributeName"] == target:
            mapping.update(changes)
            return schema
    raise AssertionError(target)


def test_unparseable_expression_names_the_mapping():
    schema = _edit(load_default_schema("gotomeeting"), "active",
                   source={"type": "Function", "expression": 'Switch([IsSoftDeleted], , "False", "True"'})
    errors = validate_schema(schema)
    assert len(errors) == 1
    assert errors[0].startswith("attribute mapping 'active': unexpected end of expression")


def test_unknown_function_names_the_mapping():
    schema = _edit(load_default_schema("gotomeeting"), "displayName",
                   source={"type": "Function", "expression": "Capitalize([displayName])"})
    assert validate_schema(schema) == [
        "attribute mapping 'displayName': unknown function 'Capitalize' (at position 0)"]


def test_unknown_target_attribute_is_refused():
    schema = _edit(load_default_schema("gotomeeting"), "displayName", targetAttributeName="favouriteColour")
    assert validate_schema(schema) == [
        "attribute mapping 'favouriteColour': unknown target attribute (not defined for "
        f"'{ENT}' in 'GoToMeeting')"]


def test_unknown_source_attribute_is_refused_but_extensions_are_not():
    schema = _edit(load_default_schema("gotomeeting"), "displayName", source={"type": "Attribute", "name": "shoeSize"})
    assert validate_schema(schema) == ["attribute mapping 'displayName': unknown source attribute [shoeSize]"]
    schema = _edit(load_default_schema("gotomeeting"), "displayName",
                   source={"type": "Attribute", "name": "extension_53c9e2c0_acmeCostCenter"})
    assert validate_schema(schema) == []


def test_no_matching_attribute_is_refused():
    schema = _edit(load_default_schema("gotomeeting"), "userName", matchingPriority=0)
    assert validate_schema(schema) == [
        "object mapping 'Synchronize Microsoft Entra users to GoToMeeting': no matching attribute "
        "(set matchingPriority on at least one attribute mapping)"]


def test_duplicate_target_and_bad_flow_type_and_priority():
    schema = load_default_schema("gotomeeting")
    users = find_object_mapping(schema, "User")
    users["attributeMappings"].append(copy.deepcopy(users["attributeMappings"][5]))
    _edit(schema, "externalId", flowType="Sometimes", matchingPriority="high")
    errors = validate_schema(schema)
    assert "attribute mapping 'displayName': the target attribute is mapped more than once" in errors
    assert "attribute mapping 'externalId': flowType must be one of Always, ObjectAddOnly" in errors
    assert "attribute mapping 'externalId': matchingPriority must be a whole number >= 0" in errors


@pytest.mark.parametrize("schema", [None, [], "x", {}, {"synchronizationRules": "x"}, {"synchronizationRules": [1]},
                                    {"synchronizationRules": [{"objectMappings": [None, {"attributeMappings": 3}]}]},
                                    {"synchronizationRules": [{"objectMappings": [{"attributeMappings": [
                                        {"targetAttributeName": "a", "source": "x", "matchingPriority": 1},
                                        {"source": {}}]}]}]}])
def test_garbage_is_reported_not_raised(schema):
    errors = validate_schema(schema)
    assert errors and all(isinstance(e, str) for e in errors)


def test_schema_without_the_target_directory_is_refused():
    schema = load_default_schema("gotomeeting")
    schema["directories"] = schema["directories"][:1]
    assert validate_schema(schema)[0].startswith(
        "object mapping 'Synchronize Microsoft Entra users to GoToMeeting': the target directory 'GoToMeeting'")


# ---------------------------------------------------------------------------------------------- scoping

def clause(operator, attribute, *values):
    return {"operatorName": operator, "sourceOperandName": attribute, "targetOperand": {"values": list(values)}}


def scope(*groups):
    return {"groups": [{"name": f"filter {i}", "clauses": list(g)} for i, g in enumerate(groups)],
            "categoryFilterGroups": [], "inputFilterGroups": []}


def test_no_scoping_filter_lets_everything_through():
    assert in_scope(None, adele())
    assert in_scope({"groups": []}, adele())


@pytest.mark.parametrize("operator, attribute, values, expected", [
    ("EQUALS", "department", ["Retail"], True),
    ("EQUALS", "department", ["retail"], False),
    ("EQUALS", "department", ["Sales", "Retail"], True),
    ("NOT EQUALS", "department", ["Sales"], True),
    ("NOT EQUALS", "department", ["Retail"], False),
    ("IS TRUE", "accountEnabled", [], True),
    ("IS FALSE", "accountEnabled", [], False),
    ("IS NULL", "city", [], True),
    ("IS NULL", "department", [], False),
    ("IS NOT NULL", "department", [], True),
    ("REGEX MATCH", "userPrincipalName", [r".*\@contoso.example"], True),
    ("REGEX MATCH", "userPrincipalName", [r"adele"], False),
    ("NOT REGEX MATCH", "userPrincipalName", [r".*\@fabrikam.com"], True),
    ("Greater_Than", "employeeId", ["700000"], True),
    ("Greater_Than", "employeeId", ["701984"], False),
    ("Greater_Than_OR_EQUALS", "employeeId", ["701984"], True),
    ("Includes", "displayName", ["Vance"], True),
    ("Includes", "displayName", ["vance"], False),
    ("ENDS_WITH", "userPrincipalName", ["@contoso.example"], True),
    ("&", "department", ["Retail, Sales"], True),
    ("!&", "department", ["Retail, Sales"], False),
    ("IsTrue", "accountEnabled", [], True),
    ("NotEquals", "department", ["Sales"], True),
])
def test_operators(operator, attribute, values, expected):
    assert in_scope(scope([clause(operator, attribute, *values)]), adele()) is expected
    assert scope_problems(scope([clause(operator, attribute, *values)])) == []


@pytest.mark.parametrize("operator", ["EQUALS", "NOT EQUALS", "REGEX MATCH", "NOT REGEX MATCH", "IS TRUE", "IS FALSE",
                                      "IS NOT NULL", "Greater_Than", "Includes", "ENDS_WITH", "!&"])
def test_a_null_value_fails_every_clause_but_is_null(operator):
    assert in_scope(scope([clause(operator, "city", "x")]), adele()) is False
    assert in_scope(scope([clause(operator, "city", "x")]), adele(city="")) is False


def test_clauses_are_anded_and_groups_ored():
    retail = clause("EQUALS", "department", "Retail")
    buyer = clause("EQUALS", "jobTitle", "Buyer")
    sales = clause("EQUALS", "department", "Sales")
    assert in_scope(scope([retail, buyer]), adele())
    assert not in_scope(scope([retail, sales]), adele())
    assert in_scope(scope([sales], [retail, buyer]), adele())
    assert not in_scope(scope([sales], [buyer, sales]), adele())
    assert in_scope([{"clauses": [retail]}], adele())  # a bare list of groups


def test_scoping_filter_problems():
    assert scope_problems(scope([clause("LIKE", "department", "x")])) == [
        "scoping filter 'filter 0': unknown operator 'LIKE'"]
    assert scope_problems(scope([clause("EQUALS", "department")])) == [
        "scoping filter 'filter 0': EQUALS on 'department' needs a value"]
    assert "invalid regular expression" in scope_problems(scope([clause("REGEX MATCH", "mail", "(")]))[0]
    assert scope_problems(scope([clause("Greater_Than", "employeeId", "ten")])) == [
        "scoping filter 'filter 0': GREATER THAN needs an integer value"]
    assert scope_problems(scope([])) == ["scoping filter 'filter 0': needs at least one clause"]
    assert scope_problems(scope([clause("IS NULL", "")])) == [
        "scoping filter 'filter 0': a clause needs a sourceOperandName"]


def test_scoping_filter_problems_name_the_object_mapping():
    schema = load_default_schema("gotomeeting")
    find_object_mapping(schema, "User")["scope"] = scope([clause("LIKE", "department", "x")])
    assert validate_schema(schema) == [
        "object mapping 'Synchronize Microsoft Entra users to GoToMeeting': scoping filter 'filter 0': "
        "unknown operator 'LIKE'"]


# ---------------------------------------------------------------------------------------------- normalising

def test_normalize_fills_graph_defaults_and_the_source_tree():
    mapping = normalize_attribute_mapping({"targetAttributeName": "nickName",
                                           "source": {"type": "Function", "expression": "ToLower([givenName])"}})
    assert mapping["flowType"] == "Always" and mapping["matchingPriority"] == 0
    assert mapping["defaultValue"] is None and mapping["flowBehavior"] == "FlowWhenChanged"
    assert mapping["source"]["name"] == "ToLower"
    assert mapping["source"]["parameters"][0]["value"]["name"] == "givenName"
    direct = normalize_attribute_mapping({"targetAttributeName": "title", "source": {"type": "Attribute",
                                                                                    "name": "jobTitle"}})
    assert direct["source"] == {"expression": "[jobTitle]", "name": "jobTitle", "parameters": [], "type": "Attribute"}
    assert normalize_attribute_mapping({"targetAttributeName": "x", "source": None})["source"] is None
