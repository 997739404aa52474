"""SCIM bodies the benchmarks send: shaped like what Entra sends GoToMeeting (SPEC §4.3, the dialect
golden files), with the user's number filled in."""
from __future__ import annotations

import json

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"


def user_name(n: int, domain: str) -> str:
    return f"bench.user{n}@{domain}"


def create_user(n: int, domain: str) -> dict:
    """A create as Entra sends it for an assigned user with the Organizer role."""
    name = user_name(n, domain)
    return {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "externalId": f"benchuser{n}",
        "userName": name,
        "active": True,
        "displayName": f"Bench User {n}",
        "name": {"givenName": "Bench", "familyName": f"User {n}", "formatted": f"Bench User {n}"},
        "emails": [{"primary": True, "type": "work", "value": name}],
        "title": "Account Executive",
        "preferredLanguage": "en-US",
        "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "organizer"}],
        ENTERPRISE_USER: {"department": "Sales", "employeeNumber": str(100000 + n)},
    }


def patch_legacy(n: int) -> dict:
    """Entra's default dialect: capitalised ops, ``active`` as a string."""
    return {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "displayName", "value": f"Bench User {n} (renamed)"},
        {"op": "Replace", "path": "title", "value": "Sales Engineer"},
        {"op": "Replace", "path": "active", "value": "True"},
    ]}


def patch_aad_opt(n: int) -> dict:
    """The ``aadOptscim062020`` dialect: lower-case ops, real booleans."""
    return {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "displayName", "value": f"Bench User {n} (aadOpt)"},
        {"op": "replace", "path": "title", "value": "Sales Representative"},
        {"op": "replace", "path": "active", "value": True},
    ]}


def stored_user(n: int, domain: str) -> dict:
    """A user as GoToMeeting's ``POST /_admin/seed`` takes it."""
    return {"userName": user_name(n, domain), "givenName": "Bench", "familyName": f"User {n}",
            "externalId": f"benchuser{n}", "role": "member"}


#: The body of the ceiling's GET answer and POST request/answer: a stored GoToMeeting user's size.
CEILING_BODY = json.dumps({
    **create_user(0, "contoso.example"),
    "id": "8c3b7a1e-4f2d-4e6a-9b1c-2d3e4f5a6b7c",
    "meta": {"resourceType": "User", "created": "2026-01-05T08:00:00Z", "lastModified": "2026-01-05T08:00:00Z",
             "version": 'W/"1"', "location": "http://127.0.0.1:8420/scim/v2/Users/8c3b7a1e-4f2d-4e6a-9b1c-2d3e4f5a6b7c"},
}, separators=(",", ":")).encode()
