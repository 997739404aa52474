"""Entra's attribute-mapping expression language: a real parser, an evaluator, and the one entry point
that turns a Graph ``attributeMapping`` into the value the provisioning engine exports.

Syntax (Microsoft Learn, "Reference for writing expressions for attribute mappings in Microsoft Entra
ID"): an expression is a function call ``Name(arg, arg, ...)``, an attribute in square brackets
``[userPrincipalName]``, a string constant in double quotes (``\\"`` and ``\\\\`` escape a quote and a
backslash), or a whole number; calls nest; an argument may be left EMPTY (``Switch([IsSoftDeleted], ,
"False", "True", "True", "False")``: the empty second argument is a null default). The condition of
``IIF`` may compare two operands with ``=``, ``<>``, ``>``, ``>=``, ``<``, ``<=``. Function names are
case-sensitive. An expression is at most 10,000 characters (Entra's known issue list).

Values: null is ``None``; text is ``str``; Entra's booleans are the strings ``"True"``/``"False"``
(``Switch``/``IIF``/``Not`` results and boolean source attributes alike): they are kept as produced and
the wire dialect converts them by the target attribute's type. Multi-valued attributes are lists. A
null or empty result is never exported: ``evaluate_mapping`` returns ``None`` for it and the caller drops
the attribute.

Supported functions: Append, AppRoleAssignmentsComplex, CStr, Coalesce, Constant, IgnoreFlowIfNullOrEmpty,
IIF, IsNull, IsNullOrEmpty, IsPresent, Join, Left, Mid, Not, Replace, SingleAppRoleAssignment,
StripSpaces, Switch, ToLower, ToUpper, and the computed attribute ``[IsSoftDeleted]``. Other functions of
Microsoft's reference are rejected as "not supported by the lab"; anything else as unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Union

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

#: Entra's documented limit on the length of one attribute-mapping expression.
MAX_EXPRESSION_LENGTH = 10_000

#: The ``type`` Entra gives the roles it exports (Microsoft's SingleAppRoleAssignment and
#: AppRoleAssignmentsComplex request samples).
ROLE_TYPE = "WindowsAzureActiveDirectoryRole"


class ExpressionError(ValueError):
    """A syntax error, an unknown function or a wrong number of arguments, at ``position`` (0-based
    offset into the expression text)."""

    def __init__(self, message: str, position: int = 0):
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position


class EvaluationError(ExpressionError):
    """An expression that parsed but cannot be computed for this object (for example ``Left`` given a
    count that is not a number, or a regular expression taken from an attribute that does not compile)."""


# --------------------------------------------------------------------------------------------------
# The source object the engine builds for each Entra user or group
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppRoleAssignmentView:
    """One app role assignment through which a user reaches the application: the role's id, its
    ``value`` (null for Default Access, ``msiam_access``), its display name, the principal type of the
    assignment (``User`` for a direct one, ``Group`` when it comes through a group) and when it was made."""

    app_role_id: str
    value: str | None
    display_name: str | None = None
    principal_type: str = "User"
    created_date_time: str | None = None


class AppRoleValue(str):
    """A role's ``value`` as ``SingleAppRoleAssignment`` returns it: an ordinary string that also carries
    the role's id and display name, which the legacy PATCH dialect needs (it sends roles as a JSON string
    of ``{"id","value","displayName"}``)."""

    app_role_id: str
    display_name: str | None

    def __new__(cls, value: str, app_role_id: str, display_name: str | None = None) -> "AppRoleValue":
        obj = super().__new__(cls, value)
        obj.app_role_id = app_role_id
        obj.display_name = display_name
        return obj


class AppRoleEntry(dict):
    """One role of ``AppRoleAssignmentsComplex``: the SCIM role object Entra sends on create
    (``primary``, ``type``, ``displayName``, ``value``) that also remembers the role's id for the legacy
    PATCH dialect."""

    def __init__(self, value: str, display_name: str | None, app_role_id: str):
        super().__init__(primary=False, type=ROLE_TYPE, displayName=display_name, value=value)
        self.app_role_id = app_role_id


#: Entra's provisioning source attribute names that differ from the Graph property names the directory
#: hands over (the provisioning schema keeps the older AAD names).
SOURCE_ALIASES = {
    "objectid": ("id",),
    "telephonenumber": ("businessPhones",),
    "mobile": ("mobilePhone",),
    "facsimiletelephonenumber": ("faxNumber",),
    "physicaldeliveryofficename": ("officeLocation",),
    "sn": ("surname",),
}


@dataclass
class SourceObject:
    """What the expressions read: the Entra object's properties under their Graph names
    (``userPrincipalName``, ``mail``, ``givenName``, ``surname``, ``accountEnabled``, ``manager`` = the
    manager's object id, ...), whether the object counts as soft deleted, and its app role assignments.

    Attribute names are looked up exactly, then case-insensitively, then through ``SOURCE_ALIASES``
    (``objectId`` is the Graph ``id``; ``telephoneNumber`` the first of ``businessPhones``).

    ``[IsSoftDeleted]`` is ``"True"`` when ``is_soft_deleted`` is set or ``accountEnabled`` is false: Entra
    computes it true for a soft-deleted user, a disabled one, and one that left the scope (unassigned, or
    out of a scoping filter); the engine sets ``is_soft_deleted`` for the cases it alone knows.
    """

    properties: Mapping[str, Any]
    is_soft_deleted: bool = False
    app_role_assignments: list[AppRoleAssignmentView] = field(default_factory=list)
    object_type: str = "User"

    def get(self, name: str) -> Any:
        lowered = name.lower()
        if lowered == "issoftdeleted":
            disabled = self._lookup("accountEnabled") in (False, "False", "false")
            return _bool_text(self.is_soft_deleted or disabled)
        if lowered == "approleassignments":
            return list(self.app_role_assignments)
        value = self._lookup(name)
        if value is None:
            for alias in SOURCE_ALIASES.get(lowered, ()):
                value = self._lookup(alias)
                if value is not None:
                    break
            if isinstance(value, list) and lowered == "telephonenumber":
                value = value[0] if value else None
        return _normalise(value)

    def _lookup(self, name: str) -> Any:
        if name in self.properties:
            return self.properties[name]
        lowered = name.lower()
        for key, value in self.properties.items():
            if key.lower() == lowered:
                return value
        return None


def _bool_text(flag: bool) -> str:
    return "True" if flag else "False"


def _normalise(value: Any) -> Any:
    """Source values as the expression language sees them: booleans as "True"/"False", numbers as text."""
    if isinstance(value, bool):
        return _bool_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    """The string form of a value (None stays None); a list gives its first element."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _bool_text(value)
    if isinstance(value, (list, tuple)):
        return _text(value[0]) if value else None
    return str(value)


def is_true(value: Any) -> bool:
    """Entra's truth: the boolean True or the text "True" in any case."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_empty(value: Any) -> bool:
    """Null, the empty string and the empty list are never exported."""
    return value is None or value == "" or (isinstance(value, (list, tuple)) and len(value) == 0)


# --------------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    value: str | int
    start: int
    end: int


@dataclass(frozen=True)
class AttributeRef:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple["Node | None", ...]
    start: int
    end: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: "Node"
    right: "Node"
    start: int
    end: int


Node = Union[Literal, AttributeRef, Call, Compare]

_GRAMMAR = r"""
?start: expr
?expr: operand
     | operand COMP_OP operand  -> compare
?operand: call
        | ATTRIBUTE             -> attribute
        | STRING                -> string
        | NUMBER                -> number
call: NAME "(" args ")"
args: arg ("," arg)*
arg: expr
   |                            -> empty_arg
COMP_OP: "<>" | ">=" | "<=" | "=" | ">" | "<"
ATTRIBUTE: /\[[^\[\]\r\n]+\]/
STRING: /"(?:[^"\\]|\\.)*"/s
NUMBER: /-?[0-9]+/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /\s+/
"""

_STRING_ESCAPE = re.compile(r"\\(.)", re.S)


def _unescape(raw: str) -> str:
    """``\\"`` is a quote and ``\\\\`` a backslash; any other backslash is kept as written (regular
    expressions such as ``"\\d"`` reach ``Replace`` unchanged)."""
    return _STRING_ESCAPE.sub(lambda m: m.group(1) if m.group(1) in '"\\' else m.group(0), raw[1:-1])


@v_args(meta=True)
class _Builder(Transformer):
    def compare(self, meta, children):
        left, op, right = children
        return Compare(str(op), left, right, meta.start_pos, meta.end_pos)

    def call(self, meta, children):
        name, args = children
        arguments = tuple(args)
        if arguments == (None,):  # Name() is a call without arguments, not one empty argument
            arguments = ()
        return Call(str(name), arguments, meta.start_pos, meta.end_pos)

    def args(self, meta, children):
        return children

    def arg(self, meta, children):
        return children[0]

    def empty_arg(self, meta, children):
        return None

    @v_args(inline=True)
    def attribute(self, token: Token):
        return AttributeRef(token[1:-1].strip(), token.start_pos, token.end_pos)

    @v_args(inline=True)
    def string(self, token: Token):
        return Literal(_unescape(str(token)), token.start_pos, token.end_pos)

    @v_args(inline=True)
    def number(self, token: Token):
        return Literal(int(token), token.start_pos, token.end_pos)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_TOKEN_WORDS = {"LPAR": "'('", "RPAR": "')'", "COMMA": "','", "ATTRIBUTE": "an attribute", "STRING": "a string",
                "NUMBER": "a number", "NAME": "a function name", "COMP_OP": "a comparison", "$END": "the end"}


def _syntax_error(text: str, exc: UnexpectedInput) -> ExpressionError:
    if isinstance(exc, UnexpectedEOF):
        return ExpressionError("unexpected end of expression", len(text))
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return ExpressionError("unexpected end of expression", len(text))
        expected = sorted(_TOKEN_WORDS.get(t, t) for t in (exc.accepts or exc.expected))
        return ExpressionError(f"unexpected {token.value!r}, expected {' or '.join(expected)}", token.start_pos)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        char = text[pos] if pos < len(text) else ""
        if char == '"':
            return ExpressionError("unterminated string constant", pos)
        if char == "[":
            return ExpressionError("unterminated or empty attribute name", pos)
        return ExpressionError(f"unexpected character {char!r}", pos)
    return ExpressionError(str(exc), getattr(exc, "pos_in_stream", 0) or 0)


# --------------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple[str, ...]
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: the ``repeat`` group repeats
    even: bool = False  # Switch: key/value pairs after source and default
    check: Callable[[Call], None] | None = None
    repeat: tuple[str, ...] = ()

    def param_name(self, index: int) -> str:
        """Graph's parameter key: the declared name, or ``source1``, ``key2``, ... in a repeating group."""
        if index < len(self.params) or not self.repeat:
            return self.params[min(index, len(self.params) - 1)]
        offset = index - len(self.params)
        return f"{self.repeat[offset % len(self.repeat)]}{offset // len(self.repeat) + 1}"

    def arity_error(self, call: Call) -> ExpressionError | None:
        n = len(call.args)
        if self.even and (n < self.min_args or n % 2):
            return ExpressionError(f"{self.name} expects an even number of arguments, at least {self.min_args} "
                                   f"(got {n})", call.start)
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            if self.max_args == self.min_args:
                want = f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
            elif self.max_args is None:
                want = f"at least {self.min_args} arguments"
            else:
                want = f"{self.min_args} to {self.max_args} arguments"
            return ExpressionError(f"{self.name} expects {want} (got {n})", call.start)
        return None


def _fn_append(source, suffix):
    """Simulator choice: a null source gives null (nothing flows) rather than the bare suffix."""
    source = _text(source)
    return None if source is None else source + (_text(suffix) or "")


def _fn_coalesce(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _fn_constant(value):
    return value


def _fn_cstr(value):
    return _text(value)


def _fn_ignore_flow(value):
    return None if is_empty(value) else value


def _fn_iif(condition, if_true, if_false):
    """A null condition fails (Microsoft: "If the source attribute used within the IIF function is empty
    or null, the condition check fails")."""
    return if_true if is_true(condition) else if_false


def _fn_is_null(value):
    return _bool_text(value is None)


def _fn_is_null_or_empty(value):
    return _bool_text(is_empty(value))


def _fn_is_present(value):
    return _bool_text(not is_empty(value))


def _fn_join(separator, *sources):
    """Multi-valued sources contribute every value; null and empty values are skipped (Microsoft's
    example ``Join(", ", "", [surname], [givenName])`` gives "Doe, John")."""
    parts: list[str] = []
    for source in sources:
        for value in source if isinstance(source, (list, tuple)) else (source,):
            text = _text(value)
            if text:
                parts.append(text)
    return (_text(separator) or "").join(parts) if parts else None


def _int_arg(function: str, value: Any) -> int:
    try:
        return int(_text(value) or "")
    except ValueError:
        raise EvaluationError(f"{function} needs a whole number, got {value!r}") from None


def _fn_left(string, num_chars):
    """Microsoft: numChars 0 gives "", a negative count the whole string, a null string "" ."""
    count = _int_arg("Left", num_chars)
    string = _text(string)
    if string is None or count == 0:
        return ""
    return string if count < 0 else string[:count]


def _fn_mid(source, start, length):
    """``start`` counts from 1; a length past the end stops at the end."""
    source = _text(source)
    begin, count = _int_arg("Mid", start), _int_arg("Mid", length)
    if source is None:
        return None
    if begin < 1 or count < 0:
        raise EvaluationError(f"Mid needs start >= 1 and length >= 0, got {begin} and {count}")
    return source[begin - 1:begin - 1 + count]


def _fn_not(source):
    return "False" if is_true(source) else "True"


def _dotnet_pattern(pattern: str) -> str:
    """.NET named groups ``(?<name>...)`` in Python's spelling ``(?P<name>...)``."""
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


def _dotnet_replacement(replacement: str) -> str:
    """.NET substitutions ``${name}`` / ``$1`` in Python's ``\\g<...>`` spelling; ``$$`` is a dollar."""
    out = replacement.replace("\\", "\\\\")
    out = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", r"\\g<\1>", out)
    out = re.sub(r"\$([0-9]+)", r"\\g<\1>", out)
    return out.replace("$$", "$")


def _compile(pattern: str) -> re.Pattern:
    try:
        return re.compile(_dotnet_pattern(pattern))
    except re.error as exc:
        raise EvaluationError(f"Replace: invalid regular expression {pattern!r}: {exc}") from None


def _fn_replace(source, old_value, regex_pattern, regex_group_name, replacement_value,
                replacement_attribute, template):
    """The five forms of Microsoft's reference, chosen by which arguments are given: oldValue +
    replacementValue; oldValue + template; regexPattern + replacementValue; regexPattern + regexGroupName
    + replacementValue; regexPattern + regexGroupName + replacementAttributeName. Replacement is
    case-sensitive."""
    source = _text(source)
    old_value, template = _text(old_value), _text(template)
    replacement = _text(replacement_value)
    if regex_pattern is None:
        if template is not None:
            return None if source is None else template.replace(old_value or "", source)
        if source is None or not old_value:
            return source
        return source.replace(old_value, replacement or "")
    pattern = _compile(_text(regex_pattern) or "")
    group = _text(regex_group_name)
    if group and replacement_attribute is not None and replacement_value is None:
        if source:
            return source
        match = pattern.search(_text(replacement_attribute) or "")
        return match.group(group) if match and group in pattern.groupindex else None
    if source is None:
        return None
    if group:
        if group not in pattern.groupindex:
            raise EvaluationError(f"Replace: the pattern has no group named {group!r}")
        pieces, last = [], 0
        for match in pattern.finditer(source):
            start, end = match.span(group)
            if start < 0:
                continue
            pieces.append(source[last:start])
            pieces.append(replacement or "")
            last = end
        pieces.append(source[last:])
        return "".join(pieces)
    try:
        return pattern.sub(_dotnet_replacement(replacement or ""), source)
    except (re.error, IndexError) as exc:
        raise EvaluationError(f"Replace: invalid replacement value {replacement!r}: {exc}") from None


def _fn_single_app_role_assignment(assignments):
    """The role value of the user's one app role assignment.

    Simulator choice: Microsoft does not say which role wins when a user holds several ("There's no
    guarantee which role is provisioned"); the lab takes the earliest assignment (by creation time, then
    in the order given) whose role has a value. A role without a value (Default Access, ``msiam_access``)
    gives null, so no role is sent."""
    for assignment in _by_creation(assignments):
        if assignment.value is not None:
            return AppRoleValue(assignment.value, assignment.app_role_id, assignment.display_name)
    return None


def _fn_app_role_assignments_complex(assignments):
    """Every role of the user as a SCIM role object, each ``primary`` false (Microsoft's request sample);
    a role without a value (Default Access) and a role reached twice are sent once or not at all."""
    entries, seen = [], set()
    for assignment in _by_creation(assignments):
        if assignment.value is None or assignment.app_role_id in seen:
            continue
        seen.add(assignment.app_role_id)
        entries.append(AppRoleEntry(assignment.value, assignment.display_name, assignment.app_role_id))
    return entries or None


def _by_creation(assignments) -> list[AppRoleAssignmentView]:
    items = [a for a in assignments or () if isinstance(a, AppRoleAssignmentView)]
    return sorted(items, key=lambda a: (a.created_date_time is None, a.created_date_time or ""))


def _fn_strip_spaces(source):
    source = _text(source)
    return None if source is None else source.replace(" ", "")


def _fn_switch(source, default, *pairs):
    """Case-sensitive comparison of the source with each key; a null source matches the key ""."""
    text = _text(source) or ""
    for key, value in zip(pairs[0::2], pairs[1::2]):
        if (_text(key) or "") == text:
            return value
    return default


def _fn_to_lower(source, culture=None):
    """Simulator choice: the invariant culture whatever ``culture`` says."""
    source = _text(source)
    return None if source is None else source.lower()


def _fn_to_upper(source, culture=None):
    """Simulator choice: the invariant culture whatever ``culture`` says."""
    source = _text(source)
    return None if source is None else source.upper()


def _check_role_source(call: Call) -> None:
    arg = call.args[0] if call.args else None
    if not (isinstance(arg, AttributeRef) and arg.name.lower() == "approleassignments"):
        raise ExpressionError(f"{call.name} takes the attribute [appRoleAssignments]",
                              arg.start if arg is not None else call.start)


def _check_whole_number(position: int) -> Callable[[Call], None]:
    def check(call: Call) -> None:
        arg = call.args[position] if len(call.args) > position else None
        if isinstance(arg, Literal) and not re.fullmatch(r"-?[0-9]+", str(arg.value).strip()):
            raise ExpressionError(f"{call.name} needs a whole number, got {arg.value!r}", arg.start)
    return check


def _check_left_mid(call: Call) -> None:
    for position in range(1, len(call.args)):
        _check_whole_number(position)(call)


def _check_replace(call: Call) -> None:
    source, old_value, pattern, group, replacement, replacement_attribute, template = call.args
    if old_value is None and pattern is None:
        raise ExpressionError("Replace needs an oldValue or a regexPattern", call.start)
    if isinstance(pattern, Literal):
        try:
            compiled = re.compile(_dotnet_pattern(str(pattern.value)))
        except re.error as exc:
            raise ExpressionError(f"Replace: invalid regular expression: {exc}", pattern.start) from None
        if isinstance(group, Literal) and str(group.value) not in compiled.groupindex:
            raise ExpressionError(f"Replace: the pattern has no group named {group.value!r}", group.start)


FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in (
    FunctionSpec("Append", ("source", "suffix"), _fn_append, 2, 2),
    FunctionSpec("AppRoleAssignmentsComplex", ("source",), _fn_app_role_assignments_complex, 1, 1,
                 check=_check_role_source),
    FunctionSpec("CStr", ("value",), _fn_cstr, 1, 1),
    FunctionSpec("Coalesce", (), _fn_coalesce, 1, None, repeat=("source",)),
    # Simulator choice: Constant is a mapping type in Entra (source.type "Constant"); the function form
    # Constant("value") is accepted too, so that an expression can spell a constant.
    FunctionSpec("Constant", ("value",), _fn_constant, 1, 1),
    FunctionSpec("IgnoreFlowIfNullOrEmpty", ("expression",), _fn_ignore_flow, 1, 1),
    FunctionSpec("IIF", ("condition", "valueIfTrue", "valueIfFalse"), _fn_iif, 3, 3),
    FunctionSpec("IsNull", ("expression",), _fn_is_null, 1, 1),
    FunctionSpec("IsNullOrEmpty", ("expression",), _fn_is_null_or_empty, 1, 1),
    FunctionSpec("IsPresent", ("expression",), _fn_is_present, 1, 1),
    FunctionSpec("Join", ("separator",), _fn_join, 2, None, repeat=("source",)),
    FunctionSpec("Left", ("String", "NumChars"), _fn_left, 2, 2, check=_check_left_mid),
    FunctionSpec("Mid", ("source", "start", "length"), _fn_mid, 3, 3, check=_check_left_mid),
    FunctionSpec("Not", ("source",), _fn_not, 1, 1),
    FunctionSpec("Replace", ("source", "oldValue", "regexPattern", "regexGroupName", "replacementValue",
                             "replacementAttributeName", "template"), _fn_replace, 7, 7, check=_check_replace),
    FunctionSpec("SingleAppRoleAssignment", ("source",), _fn_single_app_role_assignment, 1, 1,
                 check=_check_role_source),
    FunctionSpec("StripSpaces", ("source",), _fn_strip_spaces, 1, 1),
    FunctionSpec("Switch", ("source", "defaultValue"), _fn_switch, 4, None, even=True, repeat=("key", "value")),
    FunctionSpec("ToLower", ("source", "culture"), _fn_to_lower, 1, 2),
    FunctionSpec("ToUpper", ("source", "culture"), _fn_to_upper, 1, 2),
)}

#: Functions of Microsoft's reference the lab does not implement (rejected with a clear message).
UNSUPPORTED_FUNCTIONS = frozenset({
    "AssertiveAppRoleAssignmentsComplex", "BitAnd", "CBool", "CDate", "ConvertToBase64", "ConvertToUTF8Hex",
    "Count", "DateAdd", "DateDiff", "DateFromNum", "FormatDateTime", "Guid", "InStr", "IsString", "Item",
    "NormalizeDiacritics", "Now", "NumFromDate", "PCase", "RandomString", "Redact", "RemoveDuplicates",
    "SelectUniqueValue", "Split", "Word",
})


# --------------------------------------------------------------------------------------------------
# Checking and evaluating the tree
# --------------------------------------------------------------------------------------------------

def _walk(node: Node | None) -> Iterable[Node]:
    if node is None:
        return
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from _walk(arg)
    elif isinstance(node, Compare):
        yield from _walk(node.left)
        yield from _walk(node.right)


def _check(root: Node) -> None:
    for node in _walk(root):
        if not isinstance(node, Call):
            continue
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            raise _unknown_function(node)
        error = spec.arity_error(node)
        if error is not None:
            raise error
        if spec.check is not None:
            spec.check(node)


def _unknown_function(node: Call) -> ExpressionError:
    if node.name in UNSUPPORTED_FUNCTIONS:
        return ExpressionError(f"function {node.name!r} is not supported by the lab", node.start)
    for known in (*FUNCTIONS, *UNSUPPORTED_FUNCTIONS):
        if known.lower() == node.name.lower():
            return ExpressionError(f"unknown function {node.name!r} (function names are case-sensitive: "
                                   f"did you mean {known!r}?)", node.start)
    return ExpressionError(f"unknown function {node.name!r}", node.start)


def _compare(op: str, left: Any, right: Any) -> str:
    """A comparison with a null side fails; ``=``/``<>`` compare text case-sensitively; the ordering
    operators compare numbers when both sides are whole numbers, text otherwise."""
    a, b = _text(left), _text(right)
    if a is None or b is None:
        return "False"
    if op == "=":
        return _bool_text(a == b)
    if op == "<>":
        return _bool_text(a != b)
    try:
        x, y = int(a), int(b)
    except ValueError:
        x, y = a, b  # type: ignore[assignment]
    result = {">": x > y, ">=": x >= y, "<": x < y, "<=": x <= y}[op]
    return _bool_text(result)


def _evaluate(node: Node | None, source: SourceObject) -> Any:
    if node is None:
        return None
    if isinstance(node, Literal):
        return node.value if isinstance(node.value, str) else str(node.value)
    if isinstance(node, AttributeRef):
        return source.get(node.name)
    if isinstance(node, Compare):
        return _compare(node.op, _evaluate(node.left, source), _evaluate(node.right, source))
    spec = FUNCTIONS[node.name]
    values = [_evaluate(arg, source) for arg in node.args]
    try:
        return spec.impl(*values)
    except EvaluationError as exc:
        raise EvaluationError(exc.message, node.start) from None


class Expression:
    """A parsed, checked expression. Immutable; shared through the parse cache."""

    __slots__ = ("text", "root")

    def __init__(self, text: str, root: Node):
        self.text = text
        self.root = root

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, source: SourceObject) -> Any:
        """The expression's value for ``source``: text, a list, or None for null."""
        return _evaluate(self.root, source)

    def attributes(self) -> frozenset[str]:
        """The source attributes the expression reads (as written): a change to any other attribute
        cannot change its value."""
        return frozenset(n.name for n in _walk(self.root) if isinstance(n, AttributeRef))

    def functions(self) -> frozenset[str]:
        return frozenset(n.name for n in _walk(self.root) if isinstance(n, Call))

    def to_graph_source(self) -> dict:
        """The Graph ``attributeMappingSource`` for this expression (``expression``, ``name``,
        ``parameters`` keyed by the functions' parameter names, ``type`` Attribute/Constant/Function);
        empty arguments are left out, as Graph does."""
        return self._source(self.root)

    def _source(self, node: Node) -> dict:
        expression = self.text[node.start:node.end]
        if isinstance(node, Literal):
            return {"expression": expression, "name": str(node.value), "parameters": [], "type": "Constant"}
        if isinstance(node, AttributeRef):
            return {"expression": expression, "name": node.name, "parameters": [], "type": "Attribute"}
        if isinstance(node, Compare):
            parameters = [{"key": "left", "value": self._source(node.left)},
                          {"key": "right", "value": self._source(node.right)}]
            return {"expression": expression, "name": node.op, "parameters": parameters, "type": "Function"}
        spec = FUNCTIONS[node.name]
        parameters = [{"key": spec.param_name(i), "value": self._source(arg)}
                      for i, arg in enumerate(node.args) if arg is not None]
        return {"expression": expression, "name": node.name, "parameters": parameters, "type": "Function"}


def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; raise ``ExpressionError`` (with the offending position) for a syntax
    error, an unknown or unsupported function, or a wrong number of arguments. Parsed expressions are
    cached by their text (they are immutable)."""
    if not isinstance(text, str):
        raise ExpressionError("the expression must be a string", 0)
    return _parse_cached(text)


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_EXPRESSION_LENGTH:,} characters",
                              MAX_EXPRESSION_LENGTH)
    if not text.strip():
        raise ExpressionError("the expression is empty", 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    root = _Builder().transform(tree)
    _check(root)
    return Expression(text, root)


# --------------------------------------------------------------------------------------------------
# Graph attribute mappings
# --------------------------------------------------------------------------------------------------

#: The portal's names for the mapping types, and Graph's ``attributeMappingSource.type`` values.
SOURCE_TYPES = {"attribute": "Attribute", "direct": "Attribute", "constant": "Constant",
                "function": "Function", "expression": "Function"}


def source_type(source: Mapping | None) -> str | None:
    """``Attribute``, ``Constant`` or ``Function`` for a mapping's source; None for the mapping type
    "None" (no source: only the default value flows, on create)."""
    if not isinstance(source, Mapping):
        return None
    kind = source.get("type") or "Attribute"
    return SOURCE_TYPES.get(str(kind).lower())


def source_expression(source: Mapping) -> Expression:
    """The parsed form of a mapping source, whatever its type: ``[name]`` for a Direct mapping, the
    quoted constant for a Constant one, the expression for an Expression one."""
    kind = source_type(source)
    name = source.get("name")
    if kind == "Attribute" and name:
        return parse_expression(f"[{name}]")
    if kind == "Constant" and name is not None:
        escaped = str(name).replace("\\", "\\\\").replace('"', '\\"')
        return parse_expression(f'"{escaped}"')
    expression = source.get("expression")
    if not expression:
        raise ExpressionError(f"a {kind or 'mapping'} source needs a name or an expression", 0)
    return parse_expression(expression)


def evaluate_mapping(mapping: Mapping, source: SourceObject, *, creating: bool = False) -> Any:
    """The value one Graph ``attributeMapping`` exports for ``source``, or None when nothing flows.

    ``source.type`` Attribute (the portal's Direct) reads the attribute, Constant gives the constant,
    Function (Expression) evaluates the expression; a mapping without a source gives null. When
    ``creating``, a null result takes the mapping's ``defaultValue`` (Microsoft: the default "is only
    provisioned when a user is created"). Null, "" and [] come back as None: they are never sent.
    """
    src = mapping.get("source")
    value = None if source_type(src) is None else source_expression(src).evaluate(source)
    if is_empty(value) and creating and mapping.get("defaultValue") not in (None, ""):
        value = mapping["defaultValue"]
    return None if is_empty(value) else value
