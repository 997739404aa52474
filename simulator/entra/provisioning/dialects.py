"""The two SCIM wire dialects of Entra's provisioning client, as request bodies and query strings.

Microsoft Learn, "Known issues and resolutions with SCIM 2.0 protocol compliance": the default client
(LEGACY here) and the one switched on by the flag ``aadOptscim062020`` in the tenant URL differ in the
PATCH requests that disable users, add a single-value attribute, replace several attributes and remove
group members:

* create: ``POST /Users`` with the core (+ enterprise) schemas and ``active`` true, the same in both;
* disable: ``{"op":"Replace","path":"active","value":"False"}`` (legacy) /
  ``{"op":"replace","path":"active","value":false}``;
* add one attribute: ``{"op":"Add","path":"nickName","value":"Babs"}`` / the same with ``add``;
* change several: one ``Replace`` per attribute, each with its path / filtered multi-valued paths keep
  their own ``replace`` and all the rest collapse into ONE path-less ``replace`` with dotted and URN keys;
* remove a group member: ``Remove`` on ``members`` with a value array / one ``remove`` per member with
  the path ``members[value eq "<id>"]``.

Everything here is pure: target values in (as ``mappings.compute_target`` produces them), JSON bodies out.
"""
from __future__ import annotations

import enum
import json
import re
import unicodedata
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from .expressions import ROLE_TYPE, AppRoleEntry, AppRoleValue, is_true

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
#: Microsoft's own group schema URN, sent with the core one on group creation.
MICROSOFT_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

#: The tenant-URL flag that switches on the SCIM-compliant client, and the one that pins the old one.
SCIM_COMPLIANT_FLAG = "aadOptscim062020"
LEGACY_FLAG = "AzureAdScimPatch2017"


class Dialect(enum.Enum):
    LEGACY = "legacy"
    AAD_OPT_SCIM_062020 = "aadOptscim062020"

    @classmethod
    def from_base_address(cls, base_address: str) -> "Dialect":
        return split_base_address(base_address)[1]


def split_base_address(base_address: str) -> tuple[str, Dialect]:
    """The URL requests are sent to, and the dialect chosen by the tenant URL's flags.

    ``?aadOptscim062020`` (any letter case, with or without a value) selects AAD_OPT_SCIM_062020;
    ``AzureAdScimPatch2017`` pins LEGACY (Microsoft's downgrade flag). Simulator choice: Microsoft
    describes the flags as settings of the client given through the tenant URL, so both are removed from
    the URL the requests go to; any other query parameter is kept.
    """
    parts = urlsplit(base_address)
    flags, kept = set(), []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in (SCIM_COMPLIANT_FLAG.lower(), LEGACY_FLAG.lower()):
            flags.add(key.lower())
        else:
            kept.append((key, value))
    compliant = SCIM_COMPLIANT_FLAG.lower() in flags and LEGACY_FLAG.lower() not in flags
    dialect = Dialect.AAD_OPT_SCIM_062020 if compliant else Dialect.LEGACY
    return urlunsplit(parts._replace(query=urlencode(kept))), dialect


# --------------------------------------------------------------------------------------------------
# Target attribute names
# --------------------------------------------------------------------------------------------------

_FILTERED = re.compile(r'^(?P<attr>[A-Za-z][\w$-]*)\[(?P<key>[A-Za-z][\w$-]*)\s+eq\s+"(?P<val>(?:[^"\\]|\\.)*)"\]'
                       r'(?:\.(?P<sub>[A-Za-z][\w$-]*))?$')
_URN = re.compile(r"^(?P<schema>urn:[^\s]+):(?P<attr>[A-Za-z][\w$.-]*)$")


def is_filtered_path(name: str) -> bool:
    """Whether ``name`` addresses one entry of a multi-valued attribute (``emails[type eq "work"].value``)."""
    return bool(_FILTERED.match(name))


def _boolean_attribute(name: str, types: Mapping[str, str] | None) -> bool:
    """``active`` and every ``primary`` are booleans; otherwise the target directory's type decides."""
    if types and name in types:
        return str(types[name]).lower() == "boolean"
    last = name.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return last in ("active", "primary")


def _is_enterprise_manager(name: str) -> bool:
    return name == f"{ENTERPRISE_USER}:manager"


def _filter_value(key: str, raw: str) -> Any:
    value = raw.replace('\\"', '"').replace("\\\\", "\\")
    return is_true(value) if key == "primary" else value


# --------------------------------------------------------------------------------------------------
# Create
# --------------------------------------------------------------------------------------------------

def build_create_user(target: Mapping[str, Any], dialect: Dialect, *,
                      attribute_types: Mapping[str, str] | None = None) -> dict:
    """The ``POST /Users`` body for the target values (the same in both dialects).

    ``schemas`` lists the core User schema, plus the enterprise extension when one of its attributes is
    sent (a custom extension's URN is not listed: Microsoft, "The custom extension schema header is
    omitted ... because it isn't sent in requests from the Microsoft Entra SCIM client"); ``externalId``,
    ``userName`` and ``active`` (a real boolean; true when no mapping says otherwise) come first, then the
    mapped attributes expanded into SCIM structure, then ``meta.resourceType`` "User":

    * ``name.givenName`` → ``{"name": {"givenName": …}}``;
    * ``emails[type eq "work"].value`` → ``{"emails": [{"primary": true, "type": "work", "value": …}]}``
      (Microsoft's Create User sample marks the work email primary); other filtered paths give an entry
      with the filter's attribute and the sub-attribute (several sub-attributes with the same filter
      share one entry);
    * ``roles[primary eq "True"].value`` → ``{"roles": [{"primary": true, "type":
      "WindowsAzureActiveDirectoryRole", "value": …}]}`` (Microsoft's SingleAppRoleAssignment sample);
    * ``urn:…:User:department`` → the attribute inside the extension's object; the enterprise
      ``manager`` as ``{"value": <id>}`` (RFC 7643 §4.3);
    * a whole multi-valued attribute (``roles`` from AppRoleAssignmentsComplex) as the list itself.
    """
    body: dict[str, Any] = {"schemas": [CORE_USER]}
    for key in ("externalId", "userName"):
        if key in target:
            body[key] = target[key]
    body["active"] = is_true(target.get("active", True))
    extensions: dict[str, dict] = {}
    for name, value in target.items():
        if name in ("externalId", "userName", "active"):
            continue
        _place(body, extensions, name, value, attribute_types)
    for schema, attributes in extensions.items():
        body[schema] = attributes
        if schema == ENTERPRISE_USER and ENTERPRISE_USER not in body["schemas"]:
            body["schemas"].append(ENTERPRISE_USER)
    body["meta"] = {"resourceType": "User"}
    return body


def _wire_value(name: str, value: Any, types: Mapping[str, str] | None) -> Any:
    if _boolean_attribute(name, types):
        return is_true(value)
    if isinstance(value, list):
        return [dict(v) if isinstance(v, Mapping) else v for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _place(body: dict, extensions: dict, name: str, value: Any, types: Mapping[str, str] | None) -> None:
    urn = _URN.match(name)
    if urn:
        container = extensions.setdefault(urn["schema"], {})
        if _is_enterprise_manager(name):
            container["manager"] = {"value": str(value)}
        else:
            _set_dotted(container, urn["attr"], _wire_value(name, value, types))
        return
    filtered = _FILTERED.match(name)
    if filtered:
        entries = body.setdefault(filtered["attr"], [])
        key, wanted = filtered["key"], _filter_value(filtered["key"], filtered["val"])
        entry = next((e for e in entries if isinstance(e, dict) and e.get(key) == wanted), None)
        if entry is None:
            entry = _new_entry(filtered["attr"], key, wanted, value)
            entries.append(entry)
        entry[filtered["sub"] or "value"] = _wire_value(name, value, types)
        return
    _set_dotted(body, name, _wire_value(name, value, types))


def _new_entry(attribute: str, key: str, wanted: Any, value: Any) -> dict:
    if attribute == "emails" and key == "type" and wanted == "work":
        return {"primary": True, "type": "work"}
    if attribute == "roles" and key == "primary":
        entry: dict[str, Any] = {"primary": wanted}
        if isinstance(value, AppRoleValue):
            entry["type"] = ROLE_TYPE
        return entry
    return {key: wanted}


def _set_dotted(container: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for parent in parents:
        child = container.get(parent)
        if not isinstance(child, dict):
            child = container[parent] = {}
        container = child
    container[leaf] = value


def build_create_group(display_name: str, external_id: str | None, dialect: Dialect) -> dict:
    """The ``POST /Groups`` body: core Group and Microsoft's ADSCIM Group schema, ``externalId``,
    ``displayName``, no members (Entra creates a group empty and then PATCHes its members)."""
    body: dict[str, Any] = {"schemas": [CORE_GROUP, MICROSOFT_GROUP]}
    if external_id is not None:
        body["externalId"] = external_id
    body["displayName"] = display_name
    body["meta"] = {"resourceType": "Group"}
    return body


# --------------------------------------------------------------------------------------------------
# Update
# --------------------------------------------------------------------------------------------------

def _patch(operations: list[dict]) -> dict:
    return {"schemas": [PATCH_OP], "Operations": operations}


def _legacy_role_payload(value: Any) -> list[dict] | None:
    """Legacy PATCH of roles (Microsoft, "Provisioning a role to a SCIM app"): ``Add`` on ``roles`` with
    each role as a JSON string ``{"id","value","displayName"}`` in ``value``. None when ``value`` does not
    come from the app role functions."""
    roles = [value] if isinstance(value, AppRoleValue) else value if isinstance(value, list) else None
    if not roles or not all(isinstance(r, (AppRoleValue, AppRoleEntry)) for r in roles):
        return None
    payload = []
    for role in roles:
        if isinstance(role, AppRoleValue):
            data = {"id": role.app_role_id, "value": str(role), "displayName": role.display_name}
        else:
            data = {"id": role.app_role_id, "value": role["value"], "displayName": role["displayName"]}
        payload.append({"value": json.dumps(data, separators=(",", ":"), ensure_ascii=False)})
    return payload


def build_update_user(changed: Mapping[str, tuple[Any, Any]], dialect: Dialect, *,
                      attribute_types: Mapping[str, str] | None = None) -> dict | None:
    """The ``PATCH /Users/{id}`` body for ``changed`` (target attribute → (old value, new value)), or None
    when there is nothing to send.

    A new value of None is not sent: Entra does not provision null values (Microsoft, "Null attribute
    can't be provisioned"; clearing values is not supported for outbound provisioning).

    LEGACY: one operation per attribute, in the given order, with its path; ``Add`` when the attribute
    had no value before, ``Replace`` otherwise; booleans as the strings "True"/"False"; a role from
    SingleAppRoleAssignment / AppRoleAssignmentsComplex as ``Add`` ``roles`` with JSON-string values (the
    documented legacy role format).

    AAD_OPT_SCIM_062020: lower-case ops and real booleans; each filtered multi-valued path
    (``emails[type eq "work"].value``, ``roles[primary eq "True"].value``) keeps its own operation with its
    path, and so does a whole multi-valued value (``add``); a single remaining attribute keeps its path
    (Microsoft's disable and add-one-attribute samples); two or more collapse into ONE path-less operation
    whose ``value`` has the dotted and URN names as keys (Microsoft's replace-several sample).
    Simulator choice: that collapsed operation is ``add`` when none of its attributes had a value before,
    ``replace`` otherwise. The enterprise ``manager`` goes as the plain id string in both dialects.
    """
    items = [(name, old, new) for name, (old, new) in changed.items() if new is not None]
    if not items:
        return None
    if dialect is Dialect.LEGACY:
        operations = []
        for name, old, new in items:
            roles = _legacy_role_payload(new) if name == "roles" or name.startswith("roles[") else None
            if roles is not None:
                operations.append({"op": "Add", "path": "roles", "value": roles})
                continue
            value = _patch_value(name, new, attribute_types)
            if _boolean_attribute(name, attribute_types):
                value = "True" if value else "False"
            operations.append({"op": "Add" if old is None else "Replace", "path": name, "value": value})
        return _patch(operations)
    own, rest = [], []
    for name, old, new in items:
        (own if is_filtered_path(name) or isinstance(new, list) else rest).append((name, old, new))
    operations = []
    for name, old, new in own:
        op = "add" if old is None or isinstance(new, list) else "replace"
        operations.append({"op": op, "path": name, "value": _patch_value(name, new, attribute_types)})
    if len(rest) == 1:
        name, old, new = rest[0]
        operations.append({"op": "add" if old is None else "replace", "path": name,
                           "value": _patch_value(name, new, attribute_types)})
    elif rest:
        op = "add" if all(old is None for _, old, _ in rest) else "replace"
        operations.append({"op": op, "value": {name: _patch_value(name, new, attribute_types)
                                               for name, _, new in rest}})
    return _patch(operations)


def _patch_value(name: str, value: Any, types: Mapping[str, str] | None) -> Any:
    if _is_enterprise_manager(name):
        return str(value)
    return _wire_value(name, value, types)


def build_update_group(changed: Mapping[str, tuple[Any, Any]], dialect: Dialect, *,
                       attribute_types: Mapping[str, str] | None = None) -> dict | None:
    """The ``PATCH /Groups/{id}`` body for changed non-member attributes (same rules as users)."""
    return build_update_user(changed, dialect, attribute_types=attribute_types)


def build_disable_user(dialect: Dialect) -> dict:
    """``active`` false: ``Replace`` "False" (legacy) or ``replace`` false."""
    return build_update_user({"active": ("True", "False")}, dialect)  # type: ignore[return-value]


def build_enable_user(dialect: Dialect) -> dict:
    """``active`` true: ``Replace`` "True" (legacy) or ``replace`` true."""
    return build_update_user({"active": ("False", "True")}, dialect)  # type: ignore[return-value]


def _member_values(ids: Iterable[str]) -> list[dict]:
    values = [{"value": str(i)} for i in ids]
    if not values:
        raise ValueError("at least one member id is needed")
    return values


def build_add_members(ids: Iterable[str], dialect: Dialect) -> dict:
    """All the members in one ``Add`` (legacy) / ``add`` operation on ``members``.

    Simulator choice: the members are ``{"value": <id>}`` objects, without the ``"$ref": null`` of
    Microsoft's tutorial sample (SPEC §3.7's table; Entra sends no null values)."""
    op = "Add" if dialect is Dialect.LEGACY else "add"
    return _patch([{"op": op, "path": "members", "value": _member_values(ids)}])


def build_remove_members(ids: Iterable[str], dialect: Dialect) -> dict:
    """Legacy: one ``Remove`` on ``members`` with a value array; aadOptscim062020: one ``remove`` per
    member with the path ``members[value eq "<id>"]``."""
    values = _member_values(ids)
    if dialect is Dialect.LEGACY:
        return _patch([{"op": "Remove", "path": "members", "value": values}])
    return _patch([{"op": "remove", "path": f'members[value eq "{_escape(v["value"])}"]'} for v in values])


# --------------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------------

class FilterValueError(ValueError):
    """A matching value the SCIM filter cannot carry (Microsoft's known issue: "Special characters are
    not supported on joining properties"): the object fails instead of being matched."""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def matching_filter(attribute: str, value: Any) -> str:
    """``<attribute> eq "<value>"`` with ``\\`` and ``"`` escaped (RFC 7644 §3.4.2.2 string literal).

    Simulator choice: Microsoft does not list the "special characters" its filter queries cannot carry;
    the lab refuses the ones a JSON string in a URL cannot faithfully carry: control characters (tab,
    line breaks, NUL, ...), unpaired surrogates and non-characters, and an empty value. Anything else
    (quotes, backslashes, ``&``, ``+``, ``#``, non-ASCII letters) is escaped and URL-encoded.
    """
    text = "True" if value is True else "False" if value is False else str(value)
    if text == "":
        raise FilterValueError(f"the value of {attribute} is empty and cannot be matched")
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Cn"):
            raise FilterValueError(f"the value of {attribute} contains the character U+{ord(char):04X}, which a "
                                   f"SCIM filter cannot carry")
    return f'{attribute} eq "{_escape(text)}"'


def matching_query(attribute: str, value: Any) -> str:
    """The query string of a matching GET, URL-encoded as Entra does: ``filter=userName+eq+%22…%22``
    (``+`` for spaces, ``%22`` for quotes)."""
    return "filter=" + quote_plus(matching_filter(attribute, value))


def probe_query(attribute: str, guid: str) -> str:
    """Test Connection's query: the highest-priority matching attribute equal to a random GUID."""
    return matching_query(attribute, guid)


def group_query(display_name: str) -> str:
    """The group lookup: ``excludedAttributes=members&filter=displayName+eq+%22…%22``."""
    return "excludedAttributes=members&" + matching_query("displayName", display_name)
