"""Secret redaction for journals, transcripts, logs and reports.

A secret is anything that lets its holder act: passwords, client secrets, OAuth codes and tokens,
SCIM bearer tokens, the provisioning job's stored secrets. They are replaced by ``REDACTED`` before
anything is written down; the shape around them is kept so that a transcript still reads clearly.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

REDACTED = "REDACTED"

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-client-secret"}
)

_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|assertion|^code$|credential|^client_assertion$|^state$|^samlresponse$)",
    re.IGNORECASE
)
# Keys of a {"key": ..., "value": ...} pair (Graph synchronization secrets) whose value is secret.
_SECRET_PAIR_KEY = re.compile(r"(secret|token|password)", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
#: A signed SAML response in the auto-submitting form of an HTML page: a bearer credential.
_SAML_FIELD = re.compile(r'(name="SAMLResponse" value=")[^"]*(")')


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def redact_headers(headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} {REDACTED}".strip()
        elif name.lower() == "location" and "?" in value:
            # An OAuth redirect carries the authorization code in its query (RFC 6749 §4.1.2).
            base, _, query = value.partition("?")
            out[name] = f"{base}?{redact_query(query)}"
        else:
            out[name] = value
    return out


def redact_data(data: Any) -> Any:
    """Redact a parsed JSON value (dicts, lists, scalars) recursively."""
    if isinstance(data, dict):
        pair_key = data.get("key") if isinstance(data.get("key"), str) else None
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and is_secret_key(key) and isinstance(value, (str, int, float)):
                out[key] = REDACTED
            elif key == "value" and pair_key and _SECRET_PAIR_KEY.search(pair_key):
                out[key] = REDACTED
            else:
                out[key] = redact_data(value)
        return out
    if isinstance(data, list):
        return [redact_data(item) for item in data]
    if isinstance(data, str):
        data = _SAML_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", data)
        return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", data)
    return data


def redact_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret_key(k) else v) for k, v in pairs])


def redact_form(text: str) -> str:
    """Redact an ``application/x-www-form-urlencoded`` body."""
    return redact_query(text)
