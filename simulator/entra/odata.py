"""OData query options for Microsoft Graph collections: ``$filter``, ``$select``, ``$top``, ``$orderby``,
``$count`` and ``$skiptoken`` paging with ``@odata.nextLink``.

Generic over the objects it filters: an :class:`EntityType` names the properties of one Graph type, and
a *getter* ``getter(obj, property_name)`` reads a property from an object (a dict, a model object with a
``get`` method, anything). Nothing here knows Flask; views pass ``request.args`` in and render the page
that comes back.

``$filter`` is parsed with a lark LALR grammar (compiled once at import; lark parsers are immutable and
thread-safe) into a tree, then type-checked against the entity type and compiled into a predicate.
Errors carry Graph's own texts: the OData library's messages behind Graph's ``Invalid filter clause:``
prefix, and the directory's ``Request_UnsupportedQuery`` for properties Graph cannot filter or sort on.

Simulator choices: skip tokens are opaque and tamper-evident: base64url JSON plus a truncated
HMAC-SHA256 with a key drawn from the lab's seeded random source. A token also carries a fingerprint of
the query it belongs to, so that a token replayed with another ``$filter`` or ``$orderby`` is rejected
like a forged one (400 "Invalid Skip Token", Graph's text for a bad skip token). ``ne``, ``not`` and
``$count`` work without the advanced-query request (``ConsistencyLevel: eventual``) Graph asks for on
directory objects; the lab's subset is small enough to serve them plainly.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Mapping

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken,
                             VisitError)

#: Graph's default and maximum page sizes for directory collections (users, groups): 100 and 999.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999

STRING = "Edm.String"
BOOLEAN = "Edm.Boolean"
DATETIME = "Edm.DateTimeOffset"
STRING_COLLECTION = "Collection(Edm.String)"


class ODataError(Exception):
    """A query Graph refuses: rendered as a Graph error (status, code, message)."""

    def __init__(self, message: str, code: str = "BadRequest", status: int = 400):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class InvalidTokenError(ODataError):
    """A skip or delta token that was not issued by this lab (or was altered)."""


# ----------------------------------------------------------------------------------------------
# Entity types
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    name: str
    type: str = STRING
    filterable: bool = True
    sortable: bool = False
    read_only: bool = False


@dataclass(frozen=True)
class EntityType:
    """One Graph type: ``name`` is the qualified name (``microsoft.graph.user``), ``resource`` the name
    the directory uses in its messages (``User``), ``entity_set`` the collection name (``users``)."""

    name: str
    resource: str
    entity_set: str
    props: tuple[Prop, ...]
    #: Properties returned when no ``$select`` is given (None: all of them).
    default_select: tuple[str, ...] | None = None
    _by_lower: dict = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    #: Properties by exact name (JSON bodies name properties exactly).
    by_name: dict = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    _names: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_names", tuple(p.name for p in self.props))
        object.__setattr__(self, "_by_lower", {p.name.lower(): p for p in self.props})
        object.__setattr__(self, "by_name", {p.name: p for p in self.props})

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def prop(self, name: str) -> Prop | None:
        """The property of that name; Graph resolves property names case-insensitively."""
        return self._by_lower.get(name.strip().lower())

    def not_found(self, name: str) -> str:
        return f"Could not find a property named '{name}' on type '{self.name}'."


def default_getter(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    getter = getattr(obj, "get", None)
    if callable(getter):
        return getter(name)
    return getattr(obj, name, None)


# ----------------------------------------------------------------------------------------------
# $filter grammar
# ----------------------------------------------------------------------------------------------
_FILTER_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr
        | or_expr _OR and_expr -> or_
?and_expr: not_expr
         | and_expr _AND not_expr -> and_
?not_expr: _NOT not_expr -> not_
         | cmp_expr
?cmp_expr: term
         | term COMPOP term -> comparison
?term: NAME -> prop
     | STRING -> string
     | TRUE -> true
     | FALSE -> false
     | NULL -> null
     | DATETIME -> datetime
     | NUMBER -> number
     | call
     | "(" or_expr ")"
call: NAME "(" [or_expr ("," or_expr)*] ")"

_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i
NULL.2: /null\b/i
COMPOP.2: /(eq|ne|gt|ge|lt|le)\b/i
DATETIME.3: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/
NUMBER: /-?\d+(\.\d+)?/
STRING: /'([^']|'')*'/
NAME: /[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/
%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(_FILTER_GRAMMAR, parser="lalr", maybe_placeholders=False, propagate_positions=False)

_OPERATOR_KIND = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
                  "lt": "LessThan", "le": "LessThanOrEqual"}
_FUNCTIONS = {"startswith"}


def _filter_error(text: str) -> ODataError:
    return ODataError(f"Invalid filter clause: {text}")


def _syntax_error(exc: UnexpectedInput, text: str) -> ODataError:
    pos = getattr(exc, "pos_in_stream", None)
    if isinstance(exc, UnexpectedCharacters) and text[exc.pos_in_stream:exc.pos_in_stream + 1] == "'":
        return _filter_error(
            f"There is an unterminated string literal at position {len(text)} in '{text}'.")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        if "RPAR" in getattr(exc, "expected", ()):
            return _filter_error(f"')' or operator expected at position {len(text)} in '{text}'.")
        return _filter_error(f"Expression expected at position {len(text)} in '{text}'.")
    if pos is None:
        pos = len(text)
    return _filter_error(f"Syntax error at position {pos} in '{text}'.")


@dataclass(frozen=True)
class _Lit:
    type: str | None  # None for null
    value: Any


@dataclass(frozen=True)
class _PropRef:
    prop: Prop


@dataclass(frozen=True)
class _Bool:
    """A boolean sub-expression compiled to a predicate over (obj, getter)."""

    fn: Callable[[Any, Callable], bool]


@v_args(inline=True)
class _Compiler(Transformer):
    """Type-checks the parse tree against the entity type and compiles it into predicates."""

    def __init__(self, entity: EntityType, text: str):
        super().__init__()
        self.entity = entity
        self.text = text

    # -- leaves ------------------------------------------------------------------------------
    def prop(self, name: Token):
        prop = self.entity.prop(str(name))
        if prop is None:
            raise _filter_error(self.entity.not_found(str(name)))
        if not prop.filterable:
            raise ODataError(f"Unsupported or invalid query filter clause specified for property "
                             f"'{prop.name}' of resource '{self.entity.resource}'.",
                             code="Request_UnsupportedQuery")
        return _PropRef(prop)

    def string(self, tok: Token):
        return _Lit(STRING, str(tok)[1:-1].replace("''", "'"))

    def true(self, _tok):
        return _Lit(BOOLEAN, True)

    def false(self, _tok):
        return _Lit(BOOLEAN, False)

    def null(self, _tok):
        return _Lit(None, None)

    def datetime(self, tok: Token):
        try:
            return _Lit(DATETIME, _parse_datetime(str(tok)))
        except ValueError:
            raise _filter_error(f"The DateTimeOffset text '{tok}' should be in format "
                                f"'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within "
                                f"valid range.") from None

    def number(self, tok: Token):
        raw = str(tok)
        return _Lit("Edm.Double" if "." in raw else "Edm.Int32", float(raw) if "." in raw else int(raw))

    # -- boolean structure ------------------------------------------------------------------
    def _as_bool(self, node) -> _Bool:
        if isinstance(node, _Bool):
            return node
        if isinstance(node, _PropRef) and node.prop.type == BOOLEAN:
            name = node.prop.name
            return _Bool(lambda obj, get: get(obj, name) is True)
        if isinstance(node, _Lit) and node.type == BOOLEAN:
            value = bool(node.value)
            return _Bool(lambda obj, get: value)
        raise _filter_error("The $filter expression must evaluate to a single boolean value.")

    def or_(self, left, right):
        a, b = self._as_bool(left).fn, self._as_bool(right).fn
        return _Bool(lambda obj, get: a(obj, get) or b(obj, get))

    def and_(self, left, right):
        a, b = self._as_bool(left).fn, self._as_bool(right).fn
        return _Bool(lambda obj, get: a(obj, get) and b(obj, get))

    def not_(self, inner):
        a = self._as_bool(inner).fn
        return _Bool(lambda obj, get: not a(obj, get))

    # -- comparisons and functions ------------------------------------------------------------
    def comparison(self, left, op: Token, right):
        op_name = str(op).lower()
        if isinstance(left, _Lit) and isinstance(right, _PropRef):
            left, right, op_name = right, left, _MIRROR[op_name]
        if not (isinstance(left, _PropRef) and isinstance(right, _Lit)):
            raise _filter_error(f"Syntax error at position 0 in '{self.text}'.")
        prop, lit = left.prop, right
        if prop.type == STRING_COLLECTION:
            raise ODataError(f"Unsupported or invalid query filter clause specified for property "
                             f"'{prop.name}' of resource '{self.entity.resource}'.",
                             code="Request_UnsupportedQuery")
        if lit.type is not None and lit.type != prop.type:
            raise _filter_error(
                f"A binary operator with incompatible types was detected. Found operand types "
                f"'{prop.type}' and '{lit.type}' for operator kind '{_OPERATOR_KIND[op_name]}'.")
        if lit.type is None and op_name not in ("eq", "ne"):
            raise _filter_error(
                f"A binary operator with incompatible types was detected. Found operand types "
                f"'{prop.type}' and '<null>' for operator kind '{_OPERATOR_KIND[op_name]}'.")
        return _Bool(_compare(prop, op_name, lit.value))

    def call(self, name: Token, *args):
        fname = str(name)
        if fname.lower() not in _FUNCTIONS:
            raise _filter_error(
                f"An unknown function with name '{fname}' was found. This may also be a function "
                f"import or a key lookup on a navigation property, which is not allowed.")
        if (len(args) != 2 or not isinstance(args[0], _PropRef) or not isinstance(args[1], _Lit)
                or args[0].prop.type != STRING or args[1].type != STRING):
            raise _filter_error(
                f"No function signature for the function with name '{fname}' matches the specified "
                f"arguments. The function signatures considered are: {fname}(Edm.String Nullable=true, "
                f"Edm.String Nullable=true).")
        prop_name, prefix = args[0].prop.name, args[1].value.casefold()

        def starts(obj, get):
            value = get(obj, prop_name)
            return isinstance(value, str) and value.casefold().startswith(prefix)

        return _Bool(starts)


_MIRROR = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def _parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _comparable(prop_type: str, value: Any) -> Any:
    if value is None:
        return None
    if prop_type == STRING:
        return value.casefold() if isinstance(value, str) else value
    if prop_type == DATETIME and isinstance(value, str):
        return _parse_datetime(value)
    return value


def _compare(prop: Prop, op: str, literal: Any) -> Callable[[Any, Callable], bool]:
    """Graph compares strings case-insensitively; ``null`` equals only a missing value."""
    name, ptype = prop.name, prop.type
    target = _comparable(ptype, literal)

    def test(obj, get) -> bool:
        value = _comparable(ptype, get(obj, name))
        if op == "eq":
            return value == target
        if op == "ne":
            return value != target
        if value is None or target is None:
            return False
        try:
            if op == "gt":
                return value > target
            if op == "ge":
                return value >= target
            if op == "lt":
                return value < target
            return value <= target
        except TypeError:
            return False

    return test


#: Simulator choice: how deeply a $filter may nest (Graph's limit is not published). It keeps the
#: compiled predicate well inside Python's recursion limit.
MAX_FILTER_DEPTH = 100


def _depth(tree) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in getattr(node, "children", ()))
    return deepest


def parse_filter(text: str, entity: EntityType) -> Callable[[Any, Callable], bool]:
    """Compile a ``$filter`` expression into ``predicate(obj, getter) -> bool`` (or raise ODataError)."""
    if not text.strip():
        raise _filter_error(f"Expression expected at position 0 in '{text}'.")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    if _depth(tree) > MAX_FILTER_DEPTH:
        raise _filter_error("The query specified in the URI is not valid. The filter expression is nested "
                            "too deeply.")
    compiler = _Compiler(entity, text)
    try:
        result = compiler.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ODataError):
            raise exc.orig_exc from None
        raise
    return compiler._as_bool(result).fn


# ----------------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------------
class TokenSigner:
    """Opaque, tamper-evident tokens: ``base64url(json) "." base64url(hmac-sha256[:16])``."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("token key must be at least 16 bytes")
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]

    def encode(self, payload: dict) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def decode(self, token: str, error: str = "Invalid Skip Token") -> dict:
        try:
            body_part, mac_part = token.split(".")
            body = _unb64(body_part)
            mac = _unb64(mac_part)
        except (ValueError, TypeError):
            raise InvalidTokenError(error) from None
        if not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidTokenError(error)
        try:
            payload = json.loads(body)
        except ValueError:
            raise InvalidTokenError(error) from None
        if not isinstance(payload, dict):
            raise InvalidTokenError(error)
        return payload


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ----------------------------------------------------------------------------------------------
# Query options
# ----------------------------------------------------------------------------------------------
LIST_OPTIONS = frozenset({"$filter", "$select", "$top", "$orderby", "$count", "$skiptoken"})


@dataclass(frozen=True)
class ODataQuery:
    entity: EntityType
    filter_text: str | None = None
    predicate: Callable[[Any, Callable], bool] | None = None
    select: tuple[str, ...] | None = None
    top: int | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    count: bool = False
    skiptoken: str | None = None

    def fingerprint(self, scope: str = "") -> str:
        """What a skip token is bound to: the collection and the options that shape its order."""
        material = json.dumps([self.entity.name, scope, self.filter_text or "",
                               [list(o) for o in self.orderby]], separators=(",", ":"))
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def project(self, properties: Mapping[str, Any]) -> dict:
        """The properties a response carries: the ``$select`` list, else the type's default set."""
        names = self.select if self.select is not None else self.entity.default_select
        if names is None:
            return dict(properties)
        return {n: properties.get(n) for n in names}

    def context_suffix(self) -> str:
        """``(a,b)`` after the entity set in ``@odata.context`` when ``$select`` is given."""
        return f"({','.join(self.select)})" if self.select else ""


def parse_select(raw: str, entity: EntityType) -> tuple[str, ...] | None:
    items = [part.strip() for part in raw.split(",") if part.strip()]
    if not items:
        return None
    if "*" in items:
        return entity.names
    out: list[str] = []
    for item in items:
        prop = entity.prop(item)
        if prop is None:
            raise ODataError(f"Parsing OData Select and Expand failed: {entity.not_found(item)}")
        if prop.name not in out:
            out.append(prop.name)
    return tuple(out)


def parse_top(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise ODataError(f"Invalid value '{raw}' for $top query option found. "
                         f"The $top query option requires a non-negative integer value.")
    value = int(text)
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ODataError(f"Invalid page size specified: '{value}'. "
                         f"Must be between 1 and {MAX_PAGE_SIZE} inclusive.")
    return value


def parse_orderby(raw: str, entity: EntityType) -> tuple[tuple[str, bool], ...]:
    out: list[tuple[str, bool]] = []
    for clause in raw.split(","):
        words = clause.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError(f"Syntax error at position {len(raw)} in '{raw}'.")
        prop = entity.prop(words[0])
        if prop is None:
            raise ODataError(entity.not_found(words[0]))
        if not prop.sortable:
            raise ODataError("Sorting not supported for current query.", code="Request_UnsupportedQuery")
        out.append((prop.name, len(words) == 2 and words[1].lower() == "desc"))
    return tuple(out)


def parse_count(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ODataError(f"'{raw}' is not a valid count option.")
    return value == "true"


def parse_query(params: Mapping[str, str], entity: EntityType, *,
                allowed: frozenset[str] = LIST_OPTIONS) -> ODataQuery:
    """Read the OData system query options of one request.

    Options are matched case-insensitively (``$Top`` works in Graph); an option this collection does not
    support is a 400, as is any malformed value. Non-``$`` parameters are left to the caller.
    """
    values: dict[str, str] = {}
    for key in params:
        if not key.startswith("$"):
            continue
        name = key.lower()
        if name not in allowed:
            raise ODataError(f"The query parameter '{key}' is not supported.")
        if name in values:
            raise ODataError(f"Query option '{key}' was specified more than once, but it must be "
                             f"specified at most once.")
        values[name] = params[key]
    kwargs: dict[str, Any] = {}
    if "$filter" in values:
        kwargs["filter_text"] = values["$filter"]
        kwargs["predicate"] = parse_filter(values["$filter"], entity)
    if "$select" in values:
        kwargs["select"] = parse_select(values["$select"], entity)
    if "$top" in values:
        kwargs["top"] = parse_top(values["$top"])
    if "$orderby" in values:
        kwargs["orderby"] = parse_orderby(values["$orderby"], entity)
    if "$count" in values:
        kwargs["count"] = parse_count(values["$count"])
    if "$skiptoken" in values:
        kwargs["skiptoken"] = values["$skiptoken"]
    return ODataQuery(entity=entity, **kwargs)


# ----------------------------------------------------------------------------------------------
# Paging
# ----------------------------------------------------------------------------------------------
@dataclass
class Page:
    items: list
    #: The ``$skiptoken`` of the next page, or None on the last page.
    next_token: str | None = None
    #: ``@odata.count`` when ``$count=true`` was asked for.
    count: int | None = None


#: ``positions(after)`` yields ``(position, obj)`` with ``position > after`` in increasing order.
Positions = Callable[[int], Iterable[tuple[int, Any]]]


def paginate(query: ODataQuery, positions: Positions, signer: TokenSigner, *,
             getter: Callable[[Any, str], Any] = default_getter, scope: str = "",
             page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """One page of a collection.

    Without ``$orderby`` the collection is read in its natural order (``positions``), and the skip token
    remembers the last position served, so a page costs what it reads, not the collection's size. With
    ``$orderby`` every match is sorted (Graph, too, sorts the whole result) and the token keeps an offset.
    """
    size = query.top or page_size
    fingerprint = query.fingerprint(scope)
    state: dict = {}
    if query.skiptoken is not None:
        state = signer.decode(query.skiptoken)
        if state.get("q") != fingerprint or state.get("k") not in ("after", "offset"):
            raise InvalidTokenError("Invalid Skip Token")
    pred = query.predicate

    def matching(after: int) -> Iterator[tuple[int, Any]]:
        for pos, obj in positions(after):
            if pred is None or pred(obj, getter):
                yield pos, obj

    count = sum(1 for _ in matching(-1)) if query.count else None
    if query.orderby:
        everything = [obj for _, obj in matching(-1)]
        for name, desc in reversed(query.orderby):
            everything.sort(key=lambda o, n=name: _sort_key(getter(o, n)), reverse=desc)
        offset = int(state.get("o", 0)) if state else 0
        items = everything[offset:offset + size]
        more = offset + size < len(everything)
        token = signer.encode({"k": "offset", "o": offset + size, "q": fingerprint}) if more else None
        return Page(items, token, count)

    after = int(state.get("a", -1)) if state else -1
    items: list = []
    last = after
    stream = matching(after)
    for pos, obj in stream:
        items.append(obj)
        last = pos
        if len(items) == size:
            break
    more = len(items) == size and next(stream, None) is not None
    token = signer.encode({"k": "after", "a": last, "q": fingerprint}) if more else None
    return Page(items, token, count)


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value)
