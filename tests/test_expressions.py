"""Entra's attribute-mapping expression language: parsing, every supported function, errors with positions,
and the mapping entry point (Microsoft Learn's function reference examples are used as cases)."""
import pytest

from simulator.entra.provisioning.expressions import (
    MAX_EXPRESSION_LENGTH, AppRoleAssignmentView, AppRoleEntry,
    AppRoleValue, EvaluationError, ExpressionError, SourceObject, evaluate_mapping, parse_expression)

ORGANIZER = AppRoleAssignmentView("a1f0c2d4-0000-4000-8000-000000000001", "organizer", "Organizer",
                                  created_date_time="2024-03-02T10:00:00Z")
MANAGER = AppRoleAssignmentView("a1f0c2d4-0000-4000-8000-000000000002", "manager", "Manager",
                                created_date_time="2024-03-01T10:00:00Z")
DEFAULT_ACCESS = AppRoleAssignmentView("18d14569-c3bd-439b-9a66-3a2aee01d14f", None, "Default Access",
                                       created_date_time="2024-02-01T10:00:00Z")


def user(**properties) -> SourceObject:
    base = {"userPrincipalName": "John.Doe@contoso.com", "givenName": "John", "surname": "Doe",
            "mail": None, "accountEnabled": True, "mailNickname": "jdoe", "id": "7f4bc1a3-285e-48ae-8202-5accb43efb0e"}
    base.update(properties)
    return SourceObject(base)


def ev(text: str, source: SourceObject | None = None):
    return parse_expression(text).evaluate(source or user())


# ---------------------------------------------------------------------------------------------- syntax

def test_nested_calls_attributes_strings_and_numbers():
    assert ev('ToUpper(Left(Append([givenName], "ny"), 4))') == "JOHN"


def test_string_escapes_quote_and_backslash():
    assert ev(r'"Company name: \"Contoso\""') == 'Company name: "Contoso"'
    assert ev(r'"a\\b"') == "a\\b"
    assert ev(r'"\d+"') == r"\d+"  # other escapes reach regular expressions unchanged


def test_whitespace_and_line_breaks_are_ignored():
    assert ev('Switch( [givenName] ,\n  "x",\n  "John", "y" )') == "y"


def test_empty_arguments_are_null():
    expression = parse_expression('Switch([IsSoftDeleted], , "False", "True", "True", "False")')
    call = expression.root
    assert call.args[1] is None
    assert ev('Switch([givenName], , "Jane", "x")') is None


def test_call_without_arguments_has_no_arguments():
    with pytest.raises(ExpressionError, match="Not expects 1 argument"):
        parse_expression("Not()")


def test_attributes_lists_every_source_attribute_read():
    expression = parse_expression('IIF([country]="USA", Join(" ", [givenName], [surname]), [department])')
    assert expression.attributes() == {"country", "givenName", "surname", "department"}
    assert expression.functions() == {"IIF", "Join"}


def test_parsed_expressions_are_cached_by_text():
    assert parse_expression('ToLower([mail])') is parse_expression('ToLower([mail])')


@pytest.mark.parametrize("text, message, position", [
    ('Left([a]', "unexpected end of expression", 8),
    ('"abc', "unterminated string constant", 0),
    ('Append([a], "x"))', "unexpected ')'", 16),
    ('[a] [b]', "unexpected '[b]'", 4),
    ('Append([a] "x")', "unexpected '\"x\"'", 11),
    ('Append([a], [)', "unterminated or empty attribute name", 12),
    ('Append([a], "x") $', "unexpected character '$'", 17),
    ('', "the expression is empty", 0),
    ('Foo([a])', "unknown function 'Foo'", 0),
    ('Not(Bar([a]))', "unknown function 'Bar'", 4),
    ('switch([a], , "1", "2")', "did you mean 'Switch'", 0),
    ('NormalizeDiacritics([givenName])', "not supported by the lab", 0),
    ('Switch([a], "x", "y")', "Switch expects an even number of arguments, at least 4 (got 3)", 0),
    ('Append([a])', "Append expects 2 arguments (got 1)", 0),
    ('ToLower([a], "en-US", "x")', "ToLower expects 1 to 2 arguments (got 3)", 0),
    ('Join(",")', "Join expects at least 2 arguments (got 1)", 0),
    ('Replace([a], "x", , , "y")', "Replace expects 7 arguments (got 5)", 0),
    ('Replace([a], , , , "y", , )', "Replace needs an oldValue or a regexPattern", 0),
    ('Replace([a], , "(", , "", , )', "invalid regular expression", 15),
    ('Replace([a], , "(?<x>a)", "y", "", , )', "no group named 'y'", 26),
    ('Left([a], "three")', "Left needs a whole number", 10),
    ('SingleAppRoleAssignment([mail])', "takes the attribute [appRoleAssignments]", 24),
])
def test_errors_say_what_and_where(text, message, position):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert message in caught.value.message
    assert caught.value.position == position
    assert f"(at position {position})" in str(caught.value)


def test_too_long_expression_is_refused():
    text = "Append([a], " + '"' + "x" * MAX_EXPRESSION_LENGTH + '")'
    with pytest.raises(ExpressionError, match="longer than 10,000"):
        parse_expression(text)


def test_non_string_expression_is_refused():
    with pytest.raises(ExpressionError, match="must be a string"):
        parse_expression(["[mail]"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- functions

def test_append():
    assert ev('Append([userPrincipalName], ".test")') == "John.Doe@contoso.com.test"
    assert ev('Append([mail], ".test")') is None


def test_coalesce_takes_first_non_null():
    assert ev("Coalesce([mail], [userPrincipalName])") == "John.Doe@contoso.com"
    assert ev('Coalesce([mail], [department], "fallback")') == "fallback"
    assert ev("Coalesce([mail], [department])") is None


def test_constant_function():
    assert ev('Constant("GoToMeeting")') == "GoToMeeting"


def test_iif_with_comparisons_and_nesting():
    assert ev('IIF([givenName]="John", "yes", "no")') == "yes"
    assert ev('IIF([givenName]<>"John", "yes", "no")') == "no"
    assert ev('IIF([surname]="Doe", IIF([givenName]="John", "True", "False"), "False")') == "True"
    assert ev('IIF([employeeId] > 5, "big", "small")', user(employeeId="12")) == "big"
    assert ev('IIF([employeeId] >= 12, "big", "small")', user(employeeId="12")) == "big"
    assert ev('IIF([employeeId] < 100, "lt", "ge")', user(employeeId="12")) == "lt"
    assert ev('IIF([employeeId] <= "11", "le", "gt")', user(employeeId="12")) == "gt"


def test_iif_condition_on_null_fails():
    assert ev('IIF([country]="", "Other", [givenName])') == "John"
    assert ev('IIF([country]<>"US", "Other", "US")') == "US"


def test_join_skips_null_and_empty_and_flattens_lists():
    assert ev('Join(", ", "", [surname], [givenName])') == "Doe, John"
    assert ev('Join(";", [proxyAddresses], [mail])', user(proxyAddresses=["smtp:a@x", "smtp:b@x"])) == \
        "smtp:a@x;smtp:b@x"
    assert ev('Join("", [mail], [department])') is None
    assert ev('Join("", 1000, "x")') == "1000x"


def test_left():
    assert ev('Left("John Doe", 3)') == "Joh"
    assert ev('Left("John Doe", 0)') == ""
    assert ev('Left("John Doe", -1)') == "John Doe"
    assert ev('Left("Jo", 30)') == "Jo"
    assert ev("Left([mail], 3)") == ""
    assert ev('Left("John", "2")') == "Jo"  # Graph spells numbers as string constants


def test_left_with_a_count_that_is_not_a_number_at_run_time():
    with pytest.raises(EvaluationError) as caught:
        ev("Left([givenName], [surname])")
    assert caught.value.position == 0


def test_mid():
    assert ev("Mid([userPrincipalName], 1, 8)") == "John.Doe"
    assert ev('Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))') == "JohDoe"


def test_not():
    assert ev('Not("True")') == "False"
    assert ev('Not("false")') == "True"
    assert ev("Not([IsSoftDeleted])") == "True"


@pytest.mark.parametrize("text, source, expected", [
    ('Replace([BusinessTitle], "Product Developer", , , "Software Engineer", , )',
     {"BusinessTitle": "Product Developer"}, "Software Engineer"),
    ('Replace([UserID], "<username>", , , , , "<username>@contoso.com")', {"UserID": "jsmith"}, "jsmith@contoso.com"),
    ('Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", , "${phoneNumber}", , )',
     {"telephoneNumber": "+91 9998887777"}, "9998887777"),
    ('Replace([mobile], , "[()\\\\s-]+", , "", , )', {"mobile": "+1 (999) 888-7777"}, "+19998887777"),
    ('Replace([AddressLineData], ,"(?<streetNumber>^\\\\d*)","streetNumber", "888", , )',
     {"AddressLineData": "545 Tremont Street"}, "888 Tremont Street"),
    ('Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
     {"userPrincipalName": "jsmith@contoso.com"}, "jsmith"),
    ('Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", "phoneNumber" , , [mobile], )',
     {"telephoneNumber": "", "mobile": "+91 8887779999"}, "8887779999"),
    ('Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", "phoneNumber" , , [mobile], )',
     {"telephoneNumber": "kept", "mobile": "+91 8887779999"}, "kept"),
    ('Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', {"mailNickname": "john_doe72"}, "72"),
    ('Replace([mail], "@contoso.com", , ,"", ,)', {"mail": "john.doe@contoso.com"}, "john.doe"),
    ('Replace([preferredLanguage], "-", , , "_", , )', {"preferredLanguage": "en-US"}, "en_US"),
    ('Replace([mail], "@contoso.com", , ,"", ,)', {}, None),
])
def test_replace_forms_from_microsofts_reference(text, source, expected):
    assert ev(text, SourceObject(source)) == expected


def test_replace_with_a_pattern_from_an_attribute_that_does_not_compile():
    with pytest.raises(EvaluationError, match="invalid regular expression"):
        ev('Replace([givenName], , [surname], , "", , )', user(surname="("))


def test_strip_spaces_to_lower_to_upper():
    assert ev('StripSpaces(" J o hn ")') == "John"
    assert ev('ToLower(Join("@", StripSpaces(Join(".", [givenName], [surname])), "contoso.com"))') == \
        "john.doe@contoso.com"
    assert ev('ToUpper([givenName], "en-US")') == "JOHN"
    assert ev("ToLower([mail])") is None


def test_switch_is_case_sensitive_and_null_matches_empty_key():
    assert ev('Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")',
              user(state="QLD")) == "Australia/Brisbane"
    assert ev('Switch([state], "default", "qld", "x")', user(state="QLD")) == "default"
    assert ev('Switch([statusFlag], "Default Value", "true", "1", "", "0")') == "0"


def test_is_null_is_null_or_empty_is_present_and_ignore_flow():
    assert ev("IsNull([mail])") == "True"
    assert ev("IsNull([givenName])") == "False"
    assert ev("IsNullOrEmpty([department])", user(department="")) == "True"
    assert ev("IsPresent([givenName])") == "True"
    assert ev("IgnoreFlowIfNullOrEmpty([department])", user(department="")) is None
    assert ev("CStr([accountEnabled])") == "True"


def test_is_soft_deleted_is_computed():
    active = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert ev(active) == "True"
    assert ev(active, user(accountEnabled=False)) == "False"
    assert ev(active, SourceObject({"accountEnabled": True}, is_soft_deleted=True)) == "False"


def test_single_app_role_assignment_picks_the_earliest_role_with_a_value():
    source = SourceObject({}, app_role_assignments=[ORGANIZER, DEFAULT_ACCESS, MANAGER])
    value = ev("SingleAppRoleAssignment([appRoleAssignments])", source)
    assert value == "manager"
    assert isinstance(value, AppRoleValue) and value.app_role_id == MANAGER.app_role_id
    assert value.display_name == "Manager"


def test_single_app_role_assignment_of_default_access_is_null():
    source = SourceObject({}, app_role_assignments=[DEFAULT_ACCESS])
    assert ev("SingleAppRoleAssignment([appRoleAssignments])", source) is None
    assert ev("SingleAppRoleAssignment([appRoleAssignments])", SourceObject({})) is None


def test_app_role_assignments_complex_lists_every_role_once():
    source = SourceObject({}, app_role_assignments=[ORGANIZER, DEFAULT_ACCESS, MANAGER, ORGANIZER])
    roles = ev("AppRoleAssignmentsComplex([appRoleAssignments])", source)
    assert roles == [
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "displayName": "Manager", "value": "manager"},
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "displayName": "Organizer", "value": "organizer"},
    ]
    assert all(isinstance(r, AppRoleEntry) for r in roles)
    only_default_access = SourceObject({}, app_role_assignments=[DEFAULT_ACCESS])
    assert ev("AppRoleAssignmentsComplex([appRoleAssignments])", only_default_access) is None


def test_source_object_aliases_and_case_insensitive_names():
    source = SourceObject({"id": "obj-1", "businessPhones": ["+1 425 555 0100"], "mobilePhone": "+1 425 555 0101",
                           "officeLocation": "18/2111", "JobTitle": "Buyer"})
    assert ev("[objectId]", source) == "obj-1"
    assert ev("[telephoneNumber]", source) == "+1 425 555 0100"
    assert ev("[mobile]", source) == "+1 425 555 0101"
    assert ev("[physicalDeliveryOfficeName]", source) == "18/2111"
    assert ev("[jobTitle]", source) == "Buyer"


# ---------------------------------------------------------------------------------------------- mappings

def test_direct_constant_and_expression_mappings():
    source = user(department="Retail")
    assert evaluate_mapping({"source": {"type": "Attribute", "name": "department"}}, source) == "Retail"
    assert evaluate_mapping({"source": {"type": "Direct", "expression": "[department]"}}, source) == "Retail"
    assert evaluate_mapping({"source": {"type": "Constant", "name": 'say "hi"', "expression": '"x"'}}, source) == \
        'say "hi"'
    assert evaluate_mapping({"source": {"type": "Function", "expression": "ToUpper([department])"}}, source) == \
        "RETAIL"
    assert evaluate_mapping({"source": {"type": "Expression", "expression": "ToLower([department])"}}, source) == \
        "retail"


def test_mapping_values_null_and_empty_are_none():
    source = user(department="")
    assert evaluate_mapping({"source": {"type": "Attribute", "name": "department"}}, source) is None
    assert evaluate_mapping({"source": {"type": "Attribute", "name": "mail"}}, source) is None
    assert evaluate_mapping({"source": None, "defaultValue": "x"}, source) is None


def test_default_value_flows_only_on_create():
    mapping = {"source": {"type": "Attribute", "name": "jobTitle"}, "defaultValue": "Employee"}
    assert evaluate_mapping(mapping, user(), creating=True) == "Employee"
    assert evaluate_mapping(mapping, user(), creating=False) is None
    assert evaluate_mapping(mapping, user(jobTitle="Buyer"), creating=True) == "Buyer"


def test_mapping_with_a_bad_expression_raises():
    with pytest.raises(ExpressionError):
        evaluate_mapping({"source": {"type": "Function", "expression": "Nope([a])"}}, user())


def test_graph_source_representation():
    source = parse_expression('Mid([userPrincipalName], 1, 8)').to_graph_source()
    assert source == {
        "expression": "Mid([userPrincipalName], 1, 8)", "name": "Mid", "type": "Function", "parameters": [
            {"key": "source", "value": {"expression": "[userPrincipalName]", "name": "userPrincipalName",
                                        "parameters": [], "type": "Attribute"}},
            {"key": "start", "value": {"expression": "1", "name": "1", "parameters": [], "type": "Constant"}},
            {"key": "length", "value": {"expression": "8", "name": "8", "parameters": [], "type": "Constant"}},
        ]}
    switch = parse_expression('Switch([IsSoftDeleted], , "False", "True")').to_graph_source()
    assert [p["key"] for p in switch["parameters"]] == ["source", "key1", "value1"]
    join = parse_expression('Join(" ", [givenName], [surname])').to_graph_source()
    assert [p["key"] for p in join["parameters"]] == ["separator", "source1", "source2"]
