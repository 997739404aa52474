"""The thin layer that turns Entra's non-RFC request shapes into what scim2-models validates.

It runs before scim2-models and only rewrites what scim2-models does not accept as Entra sends it
(checked shape by shape in ``tests/test_patch_tolerance.py``); everything it lets through is validated,
applied and rejected by scim2-models:

* PATCH ``op`` in any letter case (``Replace``, ``ADD``); an unknown op is refused here with 400
  ``invalidSyntax`` (scim2-models would answer ``invalidValue``; RFC 7644 §3.5.2 makes ``op`` part of
  the request syntax).
* ``op``/``path``/``value`` keys in any letter case; an empty ``path`` is no path.
* A missing PatchOp ``schemas`` is supplied; a ``schemas`` that names another message is refused.
* The enterprise ``manager`` as a bare id string (legacy dialect) or as a list holding one entry
  becomes ``{"value": "<id>"}``, in a path, in a path-less value and in POST/PUT bodies.
* A path-less ``add``/``replace`` whose value holds a filtered key
  (``emails[type eq "work"].value``) gets that key as an operation of its own: scim2-models only
  accepts attribute paths as keys of a path-less value.
* A ``remove`` of a single-valued attribute that carries a ``value`` (Entra's legacy manager removal)
  drops the value: the path alone says what to remove.
* Entra's legacy role PATCH (Microsoft, "Provisioning a role to a SCIM app"): ``Add`` on ``roles``
  whose entries carry the role as a JSON string ``{"id","value","displayName"}`` in ``value``; the
  entry becomes ``{"value": <role value>, "display": <displayName>, "primary": true}``. Simulator
  choice: a GoToMeeting user holds exactly one licence role, so an ``add`` on ``roles`` replaces it.
* Unknown schema URNs in a POST/PUT ``schemas`` (Microsoft's
  ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``...) are dropped, so they
  are never echoed back; an extension object whose URN is missing from ``schemas`` gets it added.

String booleans (``"True"``, ``"False"``) need no rewriting: scim2-models reads them as booleans, in
values and in path filters (``roles[primary eq "True"]``). The quirks that make this server less
tolerant than Entra expects are applied here too: ``reject_string_booleans``,
``remove_member_value_removes_all`` and ``ignore_pathless_patch``.
"""
from __future__ import annotations

import json
from typing import Any

from scim2_models import InvalidSyntaxException, InvalidValueException, Path

from .resources import ENTERPRISE_URN, KNOWN_SCHEMAS, PATCH_OP_URN

PATCH_OPS = ("add", "remove", "replace")
MANAGER_PATH = f"{ENTERPRISE_URN}:manager".lower()
_BOOLEAN_STRINGS = ("true", "false")
_BOOLEAN_ATTRIBUTES = ("active", "primary")


def _is_string_boolean(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in _BOOLEAN_STRINGS


def _string_boolean_at(value: Any, key: str | None) -> str | None:
    """The first string boolean found where a boolean attribute (``active``, ``primary``) belongs."""
    if key is not None and key.rsplit(".", 1)[-1].rsplit(":", 1)[-1].lower() in _BOOLEAN_ATTRIBUTES:
        if _is_string_boolean(value):
            return key
    if isinstance(value, dict):
        for sub_key, item in value.items():
            found = _string_boolean_at(item, str(sub_key))
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _string_boolean_at(item, None)
            if found:
                return found
    return None


def reject_string_booleans(value: Any, key: str | None = None) -> None:
    """The ``reject_string_booleans`` quirk: a strict server refusing Entra's ``"False"``."""
    found = _string_boolean_at(value, key)
    if found:
        raise InvalidValueException(
            detail=f"'{found}' must be a JSON boolean (true or false), not a string")


def _manager_value(value: Any) -> Any:
    """``"<id>"`` or ``["<id>"]`` or ``[{"value": "<id>"}]`` as the complex attribute it stands for."""
    if isinstance(value, list):
        if len(value) != 1:
            return value
        value = value[0]
    if isinstance(value, str):
        return {"value": value}
    return value


def _normalize_enterprise(extension: Any) -> Any:
    if isinstance(extension, dict):
        return {k: (_manager_value(v) if k.lower() == "manager" else v) for k, v in extension.items()}
    return extension


def _normalize_value_keys(value: dict) -> dict:
    """Manager shapes inside an object written at the resource root (path-less or POST/PUT body)."""
    out = {}
    for key, item in value.items():
        lowered = key.lower() if isinstance(key, str) else key
        if lowered == MANAGER_PATH:
            item = _manager_value(item)
        elif lowered == ENTERPRISE_URN.lower():
            item = _normalize_enterprise(item)
        out[key] = item
    return out


def normalize_resource(body: dict, kind: str, *, string_booleans_rejected: bool) -> dict:
    """A POST/PUT body as scim2-models validates it (``kind``: ``User`` or ``Group``)."""
    if string_booleans_rejected:
        reject_string_booleans(body)
    known = {urn.lower(): urn for urn in KNOWN_SCHEMAS[kind]}
    schemas = body.get("schemas")
    if schemas is None:
        schemas = [KNOWN_SCHEMAS[kind][0]]
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidSyntaxException(detail="schemas must be a list of schema URNs")
    kept = [known[s.lower()] for s in schemas if s.lower() in known]
    if KNOWN_SCHEMAS[kind][0] not in kept:
        kept.insert(0, KNOWN_SCHEMAS[kind][0])
    out = _normalize_value_keys({k: v for k, v in body.items() if k != "schemas"})
    for key in out:
        if isinstance(key, str) and key.lower() in known and known[key.lower()] not in kept:
            kept.append(known[key.lower()])
    return {"schemas": kept, **out}


def _op_fields(operation: Any, index: int) -> tuple[str, str | None, bool, Any]:
    if not isinstance(operation, dict):
        raise InvalidSyntaxException(detail=f"Operations[{index}] must be a JSON object")
    fields = {str(k).lower(): v for k, v in operation.items()}
    op = fields.get("op")
    if not isinstance(op, str) or op.strip().lower() not in PATCH_OPS:
        raise InvalidSyntaxException(
            detail=f"Operations[{index}]: unknown PATCH op {op!r}; expected add, remove or replace")
    path = fields.get("path")
    if path is not None and not isinstance(path, str):
        raise InvalidSyntaxException(detail=f"Operations[{index}]: path must be a string")
    path = path.strip() if path and path.strip() else None
    return op.strip().lower(), path, "value" in fields, fields.get("value")


def normalize_patch(body: dict, model: Any, *, string_booleans_rejected: bool,
                    remove_value_removes_all: bool, pathless_ignored: bool) -> list[dict]:
    """The PatchOp operations of ``body`` in the RFC 7644 shapes scim2-models applies to ``model``."""
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list)
                                or PATCH_OP_URN.lower() not in [str(s).lower() for s in schemas]):
        raise InvalidSyntaxException(detail=f"schemas must be ['{PATCH_OP_URN}']")
    operations = next((v for k, v in body.items() if str(k).lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntaxException(detail="Operations must be a non-empty list of PATCH operations")
    out: list[dict] = []
    for index, operation in enumerate(operations):
        op, path, has_value, value = _op_fields(operation, index)
        if string_booleans_rejected:
            reject_string_booleans(value, path)
        if path is None:
            if pathless_ignored:
                continue
            out.extend(_pathless(op, has_value, value))
            continue
        if path.lower() == MANAGER_PATH and op != "remove":
            value = _manager_value(value)
        elif path.lower() == ENTERPRISE_URN.lower():
            value = _normalize_enterprise(value)
        elif path.lower() == "roles" and op == "add" and has_value:
            op, value = "replace", _single_role(value)
        if op == "remove" and has_value and _drops_remove_value(model, path, remove_value_removes_all):
            has_value = False
        entry = {"op": op, "path": path}
        if has_value:
            entry["value"] = value
        out.append(entry)
    return out


def _role_entry(entry: Any) -> Any:
    """One role entry, with Entra's legacy JSON-string role unpacked."""
    if not isinstance(entry, dict):
        return entry
    raw = entry.get("value")
    if isinstance(raw, str) and raw.lstrip().startswith("{"):
        try:
            packed = json.loads(raw)
        except ValueError:
            return entry
        if isinstance(packed, dict) and isinstance(packed.get("value"), str):
            unpacked = {"value": packed["value"], "primary": True}
            if isinstance(packed.get("displayName"), str):
                unpacked["display"] = packed["displayName"]
            return unpacked
    return entry


def _single_role(value: Any) -> Any:
    """The value of an ``add`` on ``roles`` as the user's one (primary) licence role."""
    entries = [_role_entry(e) for e in (value if isinstance(value, list) else [value])]
    if len(entries) == 1 and isinstance(entries[0], dict):
        entries[0] = {**entries[0], "primary": True}
    return entries


def _pathless(op: str, has_value: bool, value: Any) -> list[dict]:
    if not isinstance(value, dict):
        entry = {"op": op}
        if has_value:
            entry["value"] = value
        return [entry]
    value = _normalize_value_keys(value)
    filtered = {k: v for k, v in value.items() if isinstance(k, str) and "[" in k}
    rest = {k: v for k, v in value.items() if k not in filtered}
    ops = [{"op": op, "value": rest}] if rest or not filtered else []
    ops += [{"op": op, "path": k, "value": (_manager_value(v) if k.lower() == MANAGER_PATH else v)}
            for k, v in filtered.items()]
    return ops


def _drops_remove_value(model: Any, path: str, remove_value_removes_all: bool) -> bool:
    """Whether a ``remove`` ignores its ``value``: on a single-valued attribute always, and on
    ``members`` under the ``remove_member_value_removes_all`` quirk."""
    try:
        parsed = Path[model](path)
        binding = parsed.resolve()
    except Exception:
        return False
    if binding is None or parsed.value_filter is not None:
        return False
    if remove_value_removes_all and binding.field_name == "members" and binding.sub_field_name is None:
        return True
    return not binding.is_multivalued or binding.sub_field_name is not None
