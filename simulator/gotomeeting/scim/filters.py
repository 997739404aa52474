"""The filters GoToMeeting's ``GET /Users`` and ``GET /Groups`` answer (SPEC §4.3).

scim2-models parses and evaluates them (``SearchRequest``/``ScimFilter``); this module decides which
of the parsed filters the server supports and which index answers them:

* Users: ``eq`` on ``userName``, ``externalId``, ``id``, ``displayName``, ``emails.value`` and
  ``emails[type eq "work"].value`` (Entra's matching shape, which the grammar reads as
  ``emails[type eq "work" and value eq "..."]``); ``sw``/``co`` on ``userName`` and ``displayName``;
  terms joined by ``and``.
* Groups: ``eq`` on ``displayName``, ``externalId``, ``id``, ``members.value`` and
  ``members[value eq "..."]``; ``sw``/``co`` on ``displayName``; terms joined by ``and``.

Anything else is refused with 400 ``invalidFilter``. A term ``eq`` on a user's ``userName``,
``externalId`` or ``id`` (a group's ``id``) turns the query into a dictionary lookup; the other terms
are then checked on the few resources found, and a filter that is that one term needs no check at all
(the index compares as the filter does). Comparisons follow RFC 7643: ``userName`` and
``displayName`` without case, ``id`` and ``externalId`` exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import AttrPath, CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator, ValuePath

from .resources import CORE_GROUP_URN, CORE_USER_URN

EQ = CompareOperator.eq
SEARCH_OPS = {CompareOperator.eq, CompareOperator.sw, CompareOperator.co}

#: attribute (lower case) -> operators the server answers.
USER_ATTRIBUTES = {
    "username": SEARCH_OPS, "displayname": SEARCH_OPS,
    "externalid": {EQ}, "id": {EQ}, "emails.value": {EQ},
}
GROUP_ATTRIBUTES = {
    "displayname": SEARCH_OPS, "externalid": {EQ}, "id": {EQ}, "members.value": {EQ},
}
#: multi-valued attribute -> sub-attributes its value filter may compare with eq.
USER_VALUE_PATHS = {"emails": {"type", "value", "primary"}}
GROUP_VALUE_PATHS = {"members": {"value", "type"}}
#: attributes answered from an index, per resource type.
INDEXED = {"User": ("username", "externalid", "id"), "Group": ("id",)}


@dataclass
class FilterPlan:
    """A supported filter: the lookup that narrows the candidates (if any), then the full filter."""

    filter: ScimFilter | None
    lookup: tuple[str, str] | None = None  # ("username" | "externalid" | "id", value)
    #: The filter is the lookup alone: what the index finds is the answer, with no check left to make.
    exact: bool = False


def _name(attr_path: AttrPath, core_urn: str) -> str:
    if attr_path.uri is not None and attr_path.uri.lower() != core_urn.lower():
        raise InvalidFilterException(detail=f"filtering on '{attr_path}' is not supported")
    name = attr_path.attr.lower()
    return f"{name}.{attr_path.sub_attr.lower()}" if attr_path.sub_attr else name


def _unsupported(node: FilterNode) -> InvalidFilterException:
    return InvalidFilterException(detail=f"The filter '{node}' is not supported by GoToMeeting")


def _check_term(node: FilterNode, kind: str) -> tuple[str, str] | None:
    """Refuse an unsupported term; the index lookup it allows, if any."""
    core = CORE_USER_URN if kind == "User" else CORE_GROUP_URN
    attributes = USER_ATTRIBUTES if kind == "User" else GROUP_ATTRIBUTES
    value_paths = USER_VALUE_PATHS if kind == "User" else GROUP_VALUE_PATHS
    if isinstance(node, Comparison):
        name = _name(node.attr_path, core)
        if node.op not in attributes.get(name, ()) or not isinstance(node.value, str):
            raise _unsupported(node)
        return (name, node.value) if name in INDEXED[kind] and node.op == EQ else None
    if isinstance(node, ValuePath) and node.sub_attr is None:
        allowed = value_paths.get(_name(node.attr_path, core))
        terms = _and_terms(node.val_filter)
        for term in terms:
            if not (isinstance(term, Comparison) and term.op == EQ and term.attr_path.sub_attr is None
                    and term.attr_path.uri is None and allowed and term.attr_path.attr.lower() in allowed):
                raise _unsupported(node)
        return None
    raise _unsupported(node)


def _and_terms(node: FilterNode) -> tuple[FilterNode, ...]:
    if isinstance(node, LogicalExpr):
        if node.op != LogicalOperator.and_:
            raise _unsupported(node)
        return node.terms
    return (node,)


def plan(parsed: ScimFilter | None, kind: str) -> FilterPlan:
    """Check ``parsed`` (a filter scim2-models has validated against the model) and plan its lookup."""
    if parsed is None:
        return FilterPlan(None)
    terms = _and_terms(parsed.ast)
    lookups = [found for term in terms if (found := _check_term(term, kind))]
    return FilterPlan(parsed, lookups[0] if lookups else None, exact=len(terms) == 1 and bool(lookups))
