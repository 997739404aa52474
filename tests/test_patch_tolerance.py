"""The tolerance layer for Entra's non-RFC shapes, and the shapes it leaves to scim2-models (checked
here to really be handled there, as the layer's docstring claims)."""
from __future__ import annotations

import pytest
from scim2_models import Context, InvalidSyntaxException, InvalidValueException, PatchOp, Role

from simulator.gotomeeting.scim import tolerance
from simulator.gotomeeting.scim.resources import (
    CORE_GROUP_URN,
    CORE_USER_URN,
    ENTERPRISE_URN,
    GOTO_URN,
    PATCH_OP_URN,
    TOLERANT_POLICY,
    GroupResource,
    UserResource,
)

MANAGER = f"{ENTERPRISE_URN}:manager"


def ops(*operations, **quirks) -> list[dict]:
    flags = {"string_booleans_rejected": False, "remove_value_removes_all": False, "pathless_ignored": False}
    flags.update(quirks)
    model = flags.pop("model", UserResource)
    return tolerance.normalize_patch({"schemas": [PATCH_OP_URN], "Operations": list(operations)}, model, **flags)


def apply(resource, operations, model=UserResource):
    patch = PatchOp[model].model_validate({"schemas": [PATCH_OP_URN], "Operations": operations},
                                          scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=TOLERANT_POLICY)
    working = resource.model_copy(deep=True)
    with TOLERANT_POLICY:
        patch.patch(working, scim_policy=TOLERANT_POLICY)
    return working


@pytest.fixture
def user():
    return UserResource.model_validate({
        "schemas": [CORE_USER_URN], "userName": "b.simon@contoso.example", "active": True,
        "emails": [{"type": "work", "value": "b.simon@contoso.example", "primary": True}],
        "roles": [{"value": "organizer", "primary": True}]})


@pytest.mark.parametrize("op", ["Add", "ADD", "add", " Replace ", "REMOVE"])
def test_op_in_any_case_is_lowered(op):
    assert ops({"op": op, "path": "nickName", "value": "x"})[0]["op"] == op.strip().lower()


@pytest.mark.parametrize("operation", [{"op": "Update", "path": "x"}, {"op": None}, {"path": "x"}, "replace"])
def test_unknown_ops_are_invalid_syntax(operation):
    with pytest.raises(InvalidSyntaxException):
        ops(operation)


def test_keys_in_any_case_and_empty_path():
    assert ops({"Op": "Replace", "Path": "active", "Value": "False"}) == [
        {"op": "replace", "path": "active", "value": "False"}]
    assert ops({"op": "replace", "path": "  ", "value": {"displayName": "x"}}) == [
        {"op": "replace", "value": {"displayName": "x"}}]


@pytest.mark.parametrize("body", [
    {"Operations": []}, {}, {"Operations": "replace"},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "Operations": [{"op": "add"}]},
    {"schemas": PATCH_OP_URN, "Operations": [{"op": "add"}]},
])
def test_bad_envelopes(body):
    with pytest.raises(InvalidSyntaxException):
        tolerance.normalize_patch(body, UserResource, string_booleans_rejected=False,
                                  remove_value_removes_all=False, pathless_ignored=False)


def test_missing_schemas_and_lowercase_operations_key_are_accepted():
    out = tolerance.normalize_patch({"operations": [{"op": "add", "path": "title", "value": "x"}]}, UserResource,
                                    string_booleans_rejected=False, remove_value_removes_all=False,
                                    pathless_ignored=False)
    assert out == [{"op": "add", "path": "title", "value": "x"}]


@pytest.mark.parametrize("value", ["mgr-1", ["mgr-1"], [{"value": "mgr-1"}], {"value": "mgr-1"}])
def test_manager_shapes_in_a_path(value, user):
    normalized = ops({"op": "Add", "path": MANAGER, "value": value})
    assert normalized == [{"op": "add", "path": MANAGER, "value": {"value": "mgr-1"}}]
    assert apply(user, normalized)[MANAGER].value == "mgr-1"


def test_manager_shapes_in_pathless_values_and_bodies():
    assert ops({"op": "replace", "value": {MANAGER: "m"}}) == [{"op": "replace", "value": {MANAGER: {"value": "m"}}}]
    assert ops({"op": "replace", "value": {ENTERPRISE_URN: {"manager": ["m"], "department": "D"}}}) == [
        {"op": "replace", "value": {ENTERPRISE_URN: {"manager": {"value": "m"}, "department": "D"}}}]
    assert ops({"op": "add", "path": ENTERPRISE_URN, "value": {"Manager": "m"}}) == [
        {"op": "add", "path": ENTERPRISE_URN, "value": {"Manager": {"value": "m"}}}]
    body = tolerance.normalize_resource({"userName": "x", ENTERPRISE_URN: {"manager": "m"}}, "User",
                                        string_booleans_rejected=False)
    assert body[ENTERPRISE_URN]["manager"] == {"value": "m"}
    assert body["schemas"] == [CORE_USER_URN, ENTERPRISE_URN]


def test_filtered_keys_of_a_pathless_value_become_their_own_operations(user):
    normalized = ops({"op": "replace", "value": {
        "displayName": "B", 'emails[type eq "work"].value': "new@contoso.example", "name.givenName": "G"}})
    assert normalized == [
        {"op": "replace", "value": {"displayName": "B", "name.givenName": "G"}},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@contoso.example"}]
    patched = apply(user, normalized)
    assert (patched.display_name, patched.name.given_name, patched.emails[0].value) == (
        "B", "G", "new@contoso.example")


def test_remove_with_value_on_a_single_valued_attribute_drops_the_value(user):
    with_manager = apply(user, ops({"op": "add", "path": MANAGER, "value": "m"}))
    normalized = ops({"op": "Remove", "path": MANAGER, "value": [{"value": "m"}]})
    assert normalized == [{"op": "remove", "path": MANAGER}]
    assert apply(with_manager, normalized)[MANAGER] is None


def test_remove_members_by_value_is_kept_for_scim2_models():
    group = GroupResource.model_validate({"schemas": [CORE_GROUP_URN], "displayName": "G",
                                          "members": [{"value": "a"}, {"value": "b"}, {"value": "c"}]})
    normalized = ops({"op": "Remove", "path": "members", "value": [{"value": "a"}, {"value": "c"}]},
                     model=GroupResource)
    assert normalized[0]["value"] == [{"value": "a"}, {"value": "c"}]
    assert [m.value for m in apply(group, normalized, GroupResource).members] == ["b"]
    everything = ops({"op": "Remove", "path": "members", "value": [{"value": "a"}]}, model=GroupResource,
                     remove_value_removes_all=True)
    assert everything == [{"op": "remove", "path": "members"}]
    assert apply(group, everything, GroupResource).members is None


def test_string_booleans_are_left_to_scim2_models(user):
    assert ops({"op": "Replace", "path": "active", "value": "False"})[0]["value"] == "False"
    assert apply(user, [{"op": "replace", "path": "active", "value": "False"}]).active is False
    assert apply(user, [{"op": "replace", "value": {"active": "false"}}]).active is False
    changed = apply(user, [{"op": "replace", "path": 'roles[primary eq "True"].value', "value": "manager"}])
    assert changed.roles == [Role(value="manager", primary=True)]
    added = apply(user, [{"op": "add", "path": "roles", "value": [{"value": "manager", "primary": "True"}]}])
    assert [(r.value, r.primary) for r in added.roles] == [("organizer", False), ("manager", True)]


@pytest.mark.parametrize("operation", [
    {"op": "Replace", "path": "active", "value": "False"},
    {"op": "replace", "value": {"active": "True"}},
    {"op": "add", "path": "roles", "value": [{"value": "manager", "primary": "True"}]},
    {"op": "replace", "path": 'emails[type eq "work"].primary', "value": "true"},
])
def test_reject_string_booleans_quirk(operation):
    with pytest.raises(InvalidValueException):
        ops(operation, string_booleans_rejected=True)
    assert ops(operation)


def test_reject_string_booleans_quirk_lets_real_booleans_and_other_strings_through():
    assert ops({"op": "replace", "path": "active", "value": False},
               {"op": "replace", "path": "displayName", "value": "True"}, string_booleans_rejected=True)
    with pytest.raises(InvalidValueException):
        tolerance.normalize_resource({"userName": "x", "active": "True"}, "User", string_booleans_rejected=True)


def test_ignore_pathless_patch_quirk_drops_only_pathless_operations():
    assert ops({"op": "replace", "value": {"displayName": "x"}},
               {"op": "replace", "path": "title", "value": "t"}, pathless_ignored=True) == [
        {"op": "replace", "path": "title", "value": "t"}]


def test_unknown_schema_urns_are_dropped_and_extensions_listed():
    body = tolerance.normalize_resource({
        "schemas": [CORE_GROUP_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "displayName": "G"}, "Group", string_booleans_rejected=False)
    assert body == {"schemas": [CORE_GROUP_URN], "displayName": "G"}
    user = tolerance.normalize_resource({"schemas": ["urn:example:custom:2.0:User"], "userName": "x",
                                         ENTERPRISE_URN.upper(): {"department": "D"}}, "User",
                                        string_booleans_rejected=False)
    assert user["schemas"] == [CORE_USER_URN, ENTERPRISE_URN]
    assert tolerance.normalize_resource({"userName": "x"}, "User", string_booleans_rejected=False)["schemas"] == [
        CORE_USER_URN]
    assert GOTO_URN in tolerance.normalize_resource({"schemas": [CORE_USER_URN, GOTO_URN]}, "User",
                                                    string_booleans_rejected=False)["schemas"]
    with pytest.raises(InvalidSyntaxException):
        tolerance.normalize_resource({"schemas": [1]}, "User", string_booleans_rejected=False)


def test_add_on_a_filtered_path_that_matches_nothing_creates_the_entry(user):
    patched = apply(user, [{"op": "add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1"},
                           {"op": "replace", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Way"}])
    assert [(p.type, p.value) for p in patched.phone_numbers] == [("mobile", "+1")]
    assert [(a.type, a.street_address) for a in patched.addresses] == [("work", "1 Way")]
