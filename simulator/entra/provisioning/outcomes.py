"""How the engine names what happened to an object: the error codes and reasons of the provisioning
logs (SPEC §3.8), and reading target attribute values back from a SCIM resource.

Error codes are the connector prefix (``SystemForCrossDomainIdentityManagement`` or ``GoToMeeting``,
SPEC §3.8) followed by the failure's name. Simulator choice for classifying a target's answer:

* 400 whose detail says a domain is not verified → ``InvalidDomain``; whose detail names a missing
  required value or role → ``MandatoryFieldsMissing``; other 400 → ``BadRequest``;
* 401 → ``Unauthorized``; 403 whose detail starts ``LicenseLimitExceeded`` → ``LicenseLimitExceeded``;
  other 403 → ``InsufficientRights``;
* 404 on a cached id → ``InvalidAnchor``; 409 → ``EntryConflict`` on create, ``Conflict`` otherwise;
* 429 → ``TooManyRequests``; 5xx → ``InternalServerError``; a timeout → ``Timeout``; no connection →
  ``ServiceUnavailable``; a 2xx the connector cannot read → ``ServiceIncompatible``.
* 404 on a filter query (matching) → ``NotFoundInsteadOfEmptyList``: the compliance failure of the
  Test Connection probe, which quarantines the job (the engine decides that).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .target import TargetResponse

_FILTERED = re.compile(r'^(?P<attr>[A-Za-z][\w$-]*)\[(?P<key>[A-Za-z][\w$-]*)\s+eq\s+"(?P<val>(?:[^"\\]|\\.)*)"\]'
                       r'(?:\.(?P<sub>[A-Za-z][\w$-]*))?$')
_URN = re.compile(r"^(?P<schema>urn:[^\s]+):(?P<attr>[A-Za-z][\w$.-]*)$")

RECOMMENDED = {
    "InvalidDomain": "Verify the user's domain in the target application, or change the mapping of userName.",
    "LicenseLimitExceeded": "Free or buy licenses (seats) in the target application; the object will be retried.",
    "MandatoryFieldsMissing": "Give the object a value for every attribute the target requires (for example a "
                              "valid role assignment).",
    "DuplicateTargetEntries": "Remove the duplicate objects in the target application or change the matching "
                              "attributes.",
    "InvalidAnchor": "The object was removed from the target application outside of provisioning; restart "
                     "provisioning to re-match it.",
    "Unauthorized": "Authorize again with an administrator account and test the connection.",
    "InsufficientRights": "Authorize again with an administrator account and test the connection.",
    "MatchingAnswerMismatch": "Implement filtering in the target application: a filter query must answer only the "
                              "resources whose attribute equals the queried value (RFC 7644 §3.4.2.2).",
    "OwnershipGuardBlocked": "The target answered with an object this run did not create; fix the target so that "
                             "its answers name the object that was asked for.",
}


@dataclass
class Failure:
    code: str  # without the connector prefix
    reason: str
    status: int | None = None
    transient: bool = True
    credentials: bool = False  # 401/403 not explained by a license: quarantine material
    retry_after: float | None = None
    reference: bool = False  # a failed reference (group membership) export

    def error_information(self, prefix: str, additional: str | None = None) -> dict:
        return {
            "errorCode": f"{prefix}{self.code}",
            "reason": self.reason,
            "additionalDetails": additional,
            "errorCategory": "NonServiceFailure",
            "recommendedAction": RECOMMENDED.get(self.code),
        }


def web_response_reason(resp: TargetResponse) -> str:
    """``StatusCode: BadRequest`` / ``Message: …`` / ``Web Response: {…}`` (SPEC §3.8)."""
    try:
        status_name = "".join(w.capitalize() for w in HTTPStatus(resp.status).phrase.split())
    except ValueError:
        status_name = str(resp.status)
    body = resp.text.strip()
    return (f"StatusCode: {status_name}\nMessage: Processing of the HTTP request resulted in an exception. "
            f"Please see the HTTP response returned by the 'Response' property of this exception for details.\n"
            f"Web Response: {body[:2000]}")


def _detail(resp: TargetResponse) -> str:
    body = resp.json()
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or "")
    return resp.text[:500]


def classify(resp: TargetResponse, *, operation: str) -> Failure:
    """``operation``: create, update, delete, match, read."""
    if not resp.reached:
        if resp.failure == "timeout":
            return Failure("Timeout", f"The request to {resp.url} timed out: {resp.detail}")
        return Failure("ServiceUnavailable", f"The target could not be reached ({resp.failure}): {resp.detail}")
    status = resp.status or 0
    reason = web_response_reason(resp)
    detail = _detail(resp).lower()
    if status == 400:
        if "not verified" in detail or "domain" in detail and "verif" in detail:
            return Failure("InvalidDomain", reason, status, transient=False)
        if "role" in detail or "required" in detail:
            return Failure("MandatoryFieldsMissing", reason, status, transient=False)
        return Failure("BadRequest", reason, status, transient=False)
    if status == 401:
        return Failure("Unauthorized", reason, status, credentials=True)
    if status == 403:
        if detail.startswith("licenselimitexceeded"):
            return Failure("LicenseLimitExceeded", reason, status)
        return Failure("InsufficientRights", reason, status, credentials=True)
    if status == 404 and operation in ("update", "read"):
        return Failure("InvalidAnchor", reason, status, transient=False)
    if status == 404 and operation == "match":
        return Failure("NotFoundInsteadOfEmptyList", reason, status, transient=False)
    if status == 409:
        return Failure("EntryConflict" if operation == "create" else "Conflict", reason, status, transient=False)
    if status == 429:
        return Failure("TooManyRequests", reason, status, retry_after=resp.retry_after)
    if status >= 500:
        return Failure("InternalServerError", reason, status)
    if 200 <= status < 300:
        return Failure("ServiceIncompatible", f"The target's answer could not be read as SCIM. {reason}", status,
                       transient=False)
    return Failure("BadRequest", reason, status, transient=False)


def incompatible(resp: TargetResponse, what: str) -> Failure:
    return Failure("ServiceIncompatible", f"{what}. {web_response_reason(resp)}", resp.status, transient=False)


def unexpected(exc: Exception) -> Failure:
    """Simulator choice: an error the connector did not foresee while processing one object (an answer
    of a shape nothing checked for) fails that object as ``ServiceIncompatible``, naming the error."""
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return Failure("ServiceIncompatible", "The object could not be processed "
                   f"({type(exc).__name__}{': ' + text if text else ''}).", transient=False)


# -- reading a SCIM resource ------------------------------------------------------------------------
def read_attribute(resource: dict, name: str) -> Any:
    """The value of a target attribute name (as the mappings write it) inside a SCIM resource."""
    urn = _URN.match(name)
    if urn and urn.group("schema").lower() in {k.lower() for k in resource}:
        container = next(v for k, v in resource.items() if k.lower() == urn.group("schema").lower())
        return _dotted(container, urn.group("attr")) if isinstance(container, dict) else None
    match = _FILTERED.match(name)
    if match:
        entries = _get(resource, match.group("attr"))
        if not isinstance(entries, list):
            return None
        wanted = json.loads(f'"{match.group("val")}"')
        for entry in entries:
            if isinstance(entry, dict) and _same(_get(entry, match.group("key")), wanted):
                return _get(entry, match.group("sub")) if match.group("sub") else entry
        return None
    return _dotted(resource, name)


def _get(obj: dict, key: str) -> Any:
    if key in obj:
        return obj[key]
    lowered = key.lower()
    for k, v in obj.items():
        if k.lower() == lowered:
            return v
    return None


def _dotted(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = _get(obj, part)
    return obj


def _same(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def same_value(a: Any, b: Any, boolean: bool = False) -> bool:
    """Whether an exported value and a value read back count as equal (booleans and "True"/"False"
    alike; strings exactly, as Entra compares them)."""
    if a is None or b is None:
        return a is b
    if boolean or isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    return str(a) == str(b)
