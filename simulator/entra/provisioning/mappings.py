"""Attribute mappings as data: the synchronization schemas of the two templates, their validation, the
target values an Entra object maps to, the matching attributes, and scoping filters.

A schema has the shape of Graph's ``synchronizationSchema``: ``synchronizationRules[].objectMappings[]``
with ``attributeMappings[]`` (``source {expression, name, type, parameters}``, ``targetAttributeName``,
``matchingPriority``, ``flowType``, ``defaultValue``, ``flowBehavior``) and ``scope`` (the scoping
filter), plus ``directories[]`` whose ``objects[].attributes[]`` define the source and target attributes.
The defaults live in ``fixtures/mappings/<template>.json``:

* ``gotomeeting`` (SPEC §3.7). Simulator choice: the tutorial does not publish GoToMeeting's mapping;
  the lab's is userName ← userPrincipalName (matching, priority 1), active ← ``Switch([IsSoftDeleted], ,
  "False", "True", "True", "False")``, work email ← mail, name.givenName ← givenName, name.familyName ←
  surname, displayName, externalId ← mailNickname, ``roles[primary eq "True"].value`` ←
  ``SingleAppRoleAssignment([appRoleAssignments])`` and the enterprise department. Users only.
* ``scim`` (the non-gallery application): Microsoft's published default user mapping (userName, active,
  displayName, title, work email, preferredLanguage, name parts and ``name.formatted``, work address,
  phone numbers, externalId ← mailNickname, enterprise employeeNumber / department / manager) and group
  mapping (displayName (matching), externalId ← objectId, members).
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any, Iterable, Mapping

from ...paths import FIXTURES
from .expressions import (ExpressionError, SourceObject, evaluate_mapping, is_empty, is_true, parse_expression,
                          source_expression, source_type)

#: Where the default schemas live (``fixtures/mappings``: simulator/paths.py).
MAPPINGS_DIR = FIXTURES / "mappings"

TEMPLATE_IDS = ("gotomeeting", "scim")

#: ``flowType`` values the lab implements: Always, and ObjectAddOnly (the portal's "Only during object
#: creation").
FLOW_TYPES = ("Always", "ObjectAddOnly")


@lru_cache(maxsize=None)
def _schema_text(template_id: str) -> str:
    return (MAPPINGS_DIR / f"{template_id}.json").read_text(encoding="utf-8")


def load_default_schema(template_id: str) -> dict:
    """A fresh copy of the default synchronization schema of ``template_id`` (``gotomeeting`` or
    ``scim``); the caller may change it freely."""
    if template_id not in TEMPLATE_IDS:
        raise KeyError(f"no default schema for template {template_id!r}")
    return json.loads(_schema_text(template_id))


# --------------------------------------------------------------------------------------------------
# Walking a schema
# --------------------------------------------------------------------------------------------------

def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def object_mappings(schema: Mapping) -> Iterable[tuple[Mapping, Mapping]]:
    """Every (rule, objectMapping) of the schema, skipping anything that is not an object."""
    for rule in _list(schema.get("synchronizationRules")):
        if isinstance(rule, Mapping):
            for object_mapping in _list(rule.get("objectMappings")):
                if isinstance(object_mapping, Mapping):
                    yield rule, object_mapping


def find_object_mapping(schema: Mapping, source_object_name: str) -> dict | None:
    """The enabled object mapping for Entra objects of ``source_object_name`` ("User" or "Group")."""
    for _, object_mapping in object_mappings(schema):
        if object_mapping.get("sourceObjectName") == source_object_name and object_mapping.get("enabled", True):
            return object_mapping  # type: ignore[return-value]
    return None


def object_definition(schema: Mapping, directory_name: Any, object_name: Any) -> Mapping | None:
    """The ``objects[]`` entry named ``object_name`` of the directory named ``directory_name``."""
    for directory in _list(schema.get("directories")):
        if isinstance(directory, Mapping) and directory.get("name") == directory_name:
            for obj in _list(directory.get("objects")):
                if isinstance(obj, Mapping) and obj.get("name") == object_name:
                    return obj
    return None


def attribute_definitions(obj: Mapping | None) -> dict[str, Mapping]:
    return {a["name"]: a for a in _list((obj or {}).get("attributes"))
            if isinstance(a, Mapping) and isinstance(a.get("name"), str)}


def target_attribute_types(schema: Mapping, object_mapping: Mapping) -> dict[str, str]:
    """Target attribute name → its ``type`` (String, Boolean, Reference, ...): the wire dialect sends a
    Boolean attribute as a boolean (or as "True"/"False" in the legacy PATCH)."""
    for rule, candidate in object_mappings(schema):
        if candidate is object_mapping or candidate == object_mapping:
            obj = object_definition(schema, rule.get("targetDirectoryName"), object_mapping.get("targetObjectName"))
            return {name: str(a.get("type") or "String") for name, a in attribute_definitions(obj).items()}
    return {}


# --------------------------------------------------------------------------------------------------
# Validation (a schema PUT answers 400 with these messages; the old schema stays in force)
# --------------------------------------------------------------------------------------------------

def validate_schema(schema: Any) -> list[str]:
    """Every problem of ``schema``, each message naming the attribute mapping (its
    ``targetAttributeName``) or the object mapping it concerns; an empty list means valid.

    Checked: the shape; each expression parses, uses known functions with the right number of
    arguments, and reads source attributes the source directory defines (``extension_…`` directory
    extensions are accepted); each target attribute is defined by the target directory; ``flowType`` and
    ``matchingPriority``; no target attribute mapped twice; each enabled object mapping has a matching
    attribute; scoping filters use known operators, name a source attribute and carry valid values.
    """
    if not isinstance(schema, Mapping):
        return ["the schema must be a JSON object"]
    errors: list[str] = []
    rules = schema.get("synchronizationRules")
    if not isinstance(rules, list) or not rules:
        return ["the schema has no synchronizationRules"]
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            errors.append(f"synchronization rule #{index + 1} must be an object")
            continue
        if not isinstance(rule.get("objectMappings"), list):
            errors.append(f"synchronization rule {rule.get('id') or index + 1!s} has no objectMappings")
            continue
        for position, object_mapping in enumerate(rule["objectMappings"]):
            if not isinstance(object_mapping, Mapping):
                errors.append(f"object mapping #{position + 1} must be an object")
                continue
            errors.extend(_validate_object_mapping(schema, rule, object_mapping))
    return errors


def _validate_object_mapping(schema: Mapping, rule: Mapping, object_mapping: Mapping) -> list[str]:
    label = f"object mapping {object_mapping.get('name') or object_mapping.get('sourceObjectName')!r}"
    source_obj = object_definition(schema, rule.get("sourceDirectoryName"), object_mapping.get("sourceObjectName"))
    target_obj = object_definition(schema, rule.get("targetDirectoryName"), object_mapping.get("targetObjectName"))
    errors: list[str] = []
    if target_obj is None:
        errors.append(f"{label}: the target directory {rule.get('targetDirectoryName')!r} defines no object "
                      f"{object_mapping.get('targetObjectName')!r}")
    source_names = {name.lower() for name in attribute_definitions(source_obj)}
    target_names = set(attribute_definitions(target_obj))
    mappings = object_mapping.get("attributeMappings")
    if not isinstance(mappings, list):
        return errors + [f"{label}: attributeMappings must be a list"]
    seen: set[str] = set()
    matching = False
    for mapping in mappings:
        if not isinstance(mapping, Mapping) or not isinstance(mapping.get("targetAttributeName"), str) \
                or not mapping["targetAttributeName"]:
            errors.append(f"{label}: every attribute mapping needs a targetAttributeName")
            continue
        target = mapping["targetAttributeName"]
        where = f"attribute mapping {target!r}"
        if target in seen:
            errors.append(f"{where}: the target attribute is mapped more than once")
        seen.add(target)
        if target_obj is not None and target not in target_names:
            errors.append(f"{where}: unknown target attribute (not defined for "
                          f"{object_mapping.get('targetObjectName')!r} in {rule.get('targetDirectoryName')!r})")
        errors.extend(f"{where}: {problem}" for problem in _source_problems(mapping.get("source"), source_obj,
                                                                            source_names))
        if mapping.get("flowType", "Always") not in FLOW_TYPES:
            errors.append(f"{where}: flowType must be one of {', '.join(FLOW_TYPES)}")
        priority = mapping.get("matchingPriority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
            errors.append(f"{where}: matchingPriority must be a whole number >= 0")
        elif priority > 0:
            matching = True
            if source_type(mapping.get("source")) is None:
                errors.append(f"{where}: a matching attribute needs a source")
    if object_mapping.get("enabled", True) and not matching:
        errors.append(f"{label}: no matching attribute (set matchingPriority on at least one attribute mapping)")
    errors.extend(f"{label}: {problem}" for problem in scope_problems(object_mapping.get("scope")))
    return errors


def _source_problems(source: Any, source_obj: Mapping | None, source_names: set[str]) -> list[str]:
    if source is None:
        return []
    if not isinstance(source, Mapping):
        return ["source must be an object"]
    if str(source.get("type") or "Attribute").lower() not in ("attribute", "direct", "constant", "function",
                                                                "expression"):
        return [f"unknown source type {source.get('type')!r}"]
    try:
        expression = source_expression(source)
    except ExpressionError as exc:
        return [str(exc)]
    if source_obj is None:
        return []
    unknown = sorted(name for name in expression.attributes()
                     if name.lower() not in source_names and not name.lower().startswith("extension_"))
    return [f"unknown source attribute [{name}]" for name in unknown]


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------

def compute_target(object_mapping: Mapping, source: SourceObject, *, creating: bool,
                   plan: "TargetPlan | None" = None) -> dict[str, Any]:
    """Target attribute name → value for ``source``: every attribute mapping evaluated in order;
    ObjectAddOnly mappings only when ``creating``; a null or empty value is left out (never sent). Names
    are the ``targetAttributeName`` as written (``userName``, ``emails[type eq "work"].value``,
    ``name.givenName``, ``urn:…:enterprise:2.0:User:department``, ``roles[primary eq "True"].value``).
    ``plan``, a ``TargetPlan`` of this very object mapping, gives the same values with the per-mapping
    preparation done once."""
    if plan is not None and plan.object_mapping is object_mapping:
        return plan.compute(source, creating=creating)
    target: dict[str, Any] = {}
    for mapping in _list(object_mapping.get("attributeMappings")):
        if mapping.get("flowType", "Always") == "ObjectAddOnly" and not creating:
            continue
        value = evaluate_mapping(mapping, source, creating=creating)
        if value is not None:
            target[mapping["targetAttributeName"]] = value
    return target


class TargetPlan:
    """``compute_target`` for one object mapping, with what does not change from one object to the next
    worked out once: each attribute mapping's flow type, target name, parsed source and default value.
    ``compute`` gives exactly what ``compute_target`` gives for the same mapping.

    Simulator choice (speed, issue 7): a cycle of 100,000 users evaluated every mapping's source type and
    parse-cache lookup per user; the engine builds one plan per cycle instead (a schema PUT replaces the
    schema, it never changes a mapping in place). An attribute mapping the plan cannot prepare (not a
    plain object, no ``targetAttributeName``, a source that does not parse) is evaluated the general way
    for every object, so that it fails (or not) exactly as before.
    """

    __slots__ = ("object_mapping", "_entries")

    def __init__(self, object_mapping: Mapping):
        self.object_mapping = object_mapping
        self._entries: list[tuple] | None = self._prepare(object_mapping)

    @staticmethod
    def _prepare(object_mapping: Mapping) -> list[tuple] | None:
        mappings = _list(object_mapping.get("attributeMappings"))
        if not all(type(m) is dict for m in mappings):
            return None  # compute_target decides, and fails, as it always did
        entries = []
        for mapping in mappings:
            add_only = mapping.get("flowType", "Always") == "ObjectAddOnly"
            name = mapping.get("targetAttributeName", _GENERAL)
            expression = None
            if source_type(mapping.get("source")) is not None:
                try:
                    expression = source_expression(mapping["source"])
                except Exception:  # noqa: BLE001 - the general way raises it again for each object
                    name = _GENERAL
            default = mapping["defaultValue"] if mapping.get("defaultValue") not in (None, "") else _GENERAL
            entries.append((mapping, add_only, name, expression, default))
        return entries

    def compute(self, source: SourceObject, *, creating: bool) -> dict[str, Any]:
        entries = self._entries
        if entries is None:
            return compute_target(self.object_mapping, source, creating=creating)
        target: dict[str, Any] = {}
        for mapping, add_only, name, expression, default in entries:
            if add_only and not creating:
                continue
            if name is _GENERAL:
                value = evaluate_mapping(mapping, source, creating=creating)
                if value is not None:
                    target[mapping["targetAttributeName"]] = value
                continue
            value = None if expression is None else expression.evaluate(source)
            if default is not _GENERAL and creating and is_empty(value):
                value = default
            if not is_empty(value):
                target[name] = value
        return target


#: Marks what a ``TargetPlan`` leaves to the general way (and a mapping without a default value).
_GENERAL = object()


def source_attributes(object_mapping: Mapping) -> frozenset[str]:
    """Every source attribute the object mapping reads (lower-cased): a change to anything else leaves
    the target values unchanged."""
    names: set[str] = set()
    for mapping in _list(object_mapping.get("attributeMappings")):
        if source_type(mapping.get("source")) is not None:
            names.update(n.lower() for n in source_expression(mapping["source"]).attributes())
    return frozenset(names)


def matching_attributes(object_mapping: Mapping) -> list[tuple[str, dict]]:
    """The (target attribute, attribute mapping) pairs used for matching, by ``matchingPriority``
    (1 first); mappings with priority 0 do not match."""
    mappings = _list(object_mapping.get("attributeMappings"))
    ranked = [(m["matchingPriority"], i, m) for i, m in enumerate(mappings)
              if isinstance(m.get("matchingPriority"), int) and m["matchingPriority"] > 0]
    return [(m["targetAttributeName"], m) for _, _, m in sorted(ranked, key=lambda t: (t[0], t[1]))]


# --------------------------------------------------------------------------------------------------
# Scoping filters
# --------------------------------------------------------------------------------------------------

def _operator_key(name: Any) -> str:
    return re.sub(r"[\s_]+", " ", str(name or "")).strip().upper()


#: Operators by their normalised name (Graph's ``filterOperators`` names and the portal's labels).
_UNARY = {"IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"}
_BINARY = {"EQUALS", "NOT EQUALS", "REGEX MATCH", "NOT REGEX MATCH", "GREATER THAN", "GREATER THAN OR EQUALS",
           "INCLUDES", "ENDS WITH", "&", "!&"}
_ALIASES = {"ISTRUE": "IS TRUE", "ISFALSE": "IS FALSE", "ISNULL": "IS NULL", "ISNOTNULL": "IS NOT NULL",
            "NOTNULL": "IS NOT NULL", "NOTEQUALS": "NOT EQUALS", "REGEXMATCH": "REGEX MATCH",
            "NOTREGEXMATCH": "NOT REGEX MATCH", "GREATERTHAN": "GREATER THAN", "GREATER": "GREATER THAN",
            "GREATERTHANOREQUALS": "GREATER THAN OR EQUALS", "GREATEREQUAL": "GREATER THAN OR EQUALS",
            "ENDSWITH": "ENDS WITH"}


def _operator(name: Any) -> str:
    key = _operator_key(name)
    return _ALIASES.get(key.replace(" ", ""), key)


def _groups(scope: Any) -> list:
    """The filter groups of an objectMapping ``scope`` (a Graph ``filter`` with ``groups``), or of a bare
    list of groups."""
    if isinstance(scope, Mapping):
        return _list(scope.get("groups"))
    return _list(scope)


def _clause_values(clause: Mapping) -> list[str]:
    operand = clause.get("targetOperand")
    values = operand.get("values") if isinstance(operand, Mapping) else None
    return [str(v) for v in values] if isinstance(values, list) else []


def scope_problems(scope: Any) -> list[str]:
    """What is wrong with a scoping filter (unknown operator, missing attribute or value, bad regex)."""
    problems: list[str] = []
    if scope is not None and not isinstance(scope, (Mapping, list)):
        return ["the scoping filter must be an object"]
    for group in _groups(scope):
        clauses = group.get("clauses") if isinstance(group, Mapping) else None
        name = group.get("name") if isinstance(group, Mapping) else None
        label = f"scoping filter {name!r}" if name else "scoping filter"
        if not isinstance(clauses, list) or not clauses:
            problems.append(f"{label}: needs at least one clause")
            continue
        for clause in clauses:
            if not isinstance(clause, Mapping):
                problems.append(f"{label}: every clause must be an object")
                continue
            operator = _operator(clause.get("operatorName"))
            attribute = clause.get("sourceOperandName")
            if not isinstance(attribute, str) or not attribute:
                problems.append(f"{label}: a clause needs a sourceOperandName")
            if operator not in _UNARY | _BINARY:
                problems.append(f"{label}: unknown operator {clause.get('operatorName')!r}")
                continue
            values = _clause_values(clause)
            if operator in _BINARY and not values:
                problems.append(f"{label}: {operator} on {attribute!r} needs a value")
            if operator in ("REGEX MATCH", "NOT REGEX MATCH"):
                for value in values:
                    try:
                        re.compile(value)
                    except re.error as exc:
                        problems.append(f"{label}: invalid regular expression {value!r}: {exc}")
            if operator in ("GREATER THAN", "GREATER THAN OR EQUALS") and \
                    not all(re.fullmatch(r"-?\d+", v) for v in values):
                problems.append(f"{label}: {operator} needs an integer value")
    return problems


def in_scope(scope: Any, source: SourceObject) -> bool:
    """Whether ``source`` passes the scoping filter: clauses of a group are ANDed, groups are ORed, no
    filter (or no group) lets everything through. A null or empty value fails every clause except IS
    NULL (Microsoft: "Scoping filters will return false if the value is null / empty").

    Operators (Microsoft's scoping filter reference): EQUALS / NOT EQUALS (case-sensitive text),
    IS TRUE / IS FALSE, IS NULL / IS NOT NULL, REGEX MATCH / NOT REGEX MATCH (the whole value must
    match), Greater_Than / Greater_Than_OR_EQUALS (integers), Includes (substring, case-sensitive),
    ENDS_WITH, ``&`` (the value occurs in the clause's string) and ``!&`` (it does not).

    Simulator choice: a clause with several values holds when any value satisfies it (NOT EQUALS and
    NOT REGEX MATCH: when none matches).
    """
    groups = _groups(scope)
    if not groups:
        return True
    return any(all(_clause_holds(c, source) for c in _list(g.get("clauses"))) for g in groups
               if isinstance(g, Mapping))


def _clause_holds(clause: Mapping, source: SourceObject) -> bool:
    operator = _operator(clause.get("operatorName"))
    raw = source.get(str(clause.get("sourceOperandName") or ""))
    value = None if raw is None or raw == "" or raw == [] else raw
    if operator == "IS NULL":
        return value is None
    if value is None:
        return False
    if isinstance(value, list):  # Microsoft: filtering is not supported for multi-valued attributes
        return False
    text = str(value)
    values = _clause_values(clause)
    if operator == "IS NOT NULL":
        return True
    if operator == "IS TRUE":
        return is_true(text)
    if operator == "IS FALSE":
        return text.strip().lower() == "false"
    if operator == "EQUALS":
        return text in values
    if operator == "NOT EQUALS":
        return text not in values
    if operator == "REGEX MATCH":
        return any(re.fullmatch(v, text) for v in values)
    if operator == "NOT REGEX MATCH":
        return not any(re.fullmatch(v, text) for v in values)
    if operator == "INCLUDES":
        return any(v in text for v in values)
    if operator == "ENDS WITH":
        return any(text.endswith(v) for v in values)
    if operator == "&":
        return any(text in v for v in values)
    if operator == "!&":
        return not any(text in v for v in values)
    if operator in ("GREATER THAN", "GREATER THAN OR EQUALS"):
        try:
            number = int(text)
            limits = [int(v) for v in values]
        except ValueError:
            return False
        return any(number > n if operator == "GREATER THAN" else number >= n for n in limits)
    return False


# --------------------------------------------------------------------------------------------------
# Normalising a schema PUT
# --------------------------------------------------------------------------------------------------

def normalize_attribute_mapping(mapping: Mapping) -> dict:
    """An attribute mapping with Graph's defaults filled in (``defaultValue`` null,
    ``exportMissingReferences`` false, ``flowBehavior`` FlowWhenChanged, ``flowType`` Always,
    ``matchingPriority`` 0) and its ``source`` completed with ``name``/``parameters`` as Graph returns
    them. The mapping must have passed ``validate_schema``."""
    out = copy.deepcopy(dict(mapping))
    out.setdefault("defaultValue", None)
    out.setdefault("exportMissingReferences", False)
    out.setdefault("flowBehavior", "FlowWhenChanged")
    out.setdefault("flowType", "Always")
    out.setdefault("matchingPriority", 0)
    source = out.get("source")
    if source_type(source) == "Function":
        out["source"] = parse_expression(source["expression"]).to_graph_source()
    elif source_type(source) is not None:
        graph = source_expression(source).to_graph_source()
        out["source"] = {**graph, "name": source.get("name", graph["name"])}
    else:
        out["source"] = None
    return out
