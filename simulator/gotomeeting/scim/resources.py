"""The SCIM resources GoToMeeting serves, built on scim2-models (RFC 7643).

* ``UserResource`` - the core User with the enterprise extension and GoTo's own extension
  ``urn:ietf:params:scim:schemas:extension:goto:2.0:User`` (read-only ``accountKey``, ``status``,
  ``products``), which the server fills in on every answer.
* ``GroupResource`` - the core Group.

Two attributes are loosened from scim2-models' strict reading, each a simulator choice that matches
what GoTo (and most SCIM servers Entra talks to) accept:

* ``emails[].value`` is a plain string stored as sent (scim2-models validates it as an e-mail address
  and lower-cases its domain); ``userName`` is the attribute the account rules check.
* the enterprise ``manager`` needs no ``$ref``: Entra sends ``{"value": "<id>"}`` only.

The policies say how much a peer may depart from the RFCs: unknown attributes and schema URNs are
dropped (never echoed back), a ``remove`` may carry the values to remove (Entra's legacy dialect), and
an ``add``/``replace`` on a filtered path that matches nothing creates the entry (Entra expects it).
"""
from __future__ import annotations

from typing import Annotated, Any
from unicodedata import normalize

from pydantic import Field
from scim2_models import (
    URN,
    Email,
    EnterpriseUser,
    Extension,
    Group,
    Manager,
    Mutability,
    Path,
    Reference,
    Required,
    ScimPolicy,
    User,
    default_comparison_key,
)

CORE_USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GOTO_URN = "urn:ietf:params:scim:schemas:extension:goto:2.0:User"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class GoToEmail(Email):
    value: str | None = None
    """The address, stored exactly as sent."""


class GoToManager(Manager):
    ref: Annotated[Reference["User"] | None, Required.false] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref")
    """The URI of the manager's resource; optional here, as Entra never sends it."""


class GoToEnterpriseUser(EnterpriseUser):
    manager: GoToManager | None = None


class GoToUserExtension(Extension):
    """GoTo's own user attributes: which account the user belongs to, and what it holds."""

    __schema__ = URN(GOTO_URN)

    account_key: Annotated[str | None, Mutability.read_only] = None
    """The key of the GoTo account (organization) the user belongs to."""

    status: Annotated[str | None, Mutability.read_only] = None
    """``active`` or ``suspended`` (GoTo's admin center wording for SCIM ``active``)."""

    products: Annotated[list[str] | None, Mutability.read_only] = None
    """The licences the user holds: ``G2M`` (a GoToMeeting organizer seat) while active."""


class GoToUser(User):
    emails: list[GoToEmail] | None = None  # type: ignore[assignment]


#: GoTo's extension is read-only as a whole: clients read it, only the server writes it.
UserResource: Any = GoToUser[GoToEnterpriseUser | Annotated[GoToUserExtension, Mutability.read_only]]
GroupResource: Any = Group

#: Display names of the published schemas (scim2-models names them after the Python classes).
SCHEMA_NAMES = {
    CORE_USER_URN: ("User", "User Account"),
    ENTERPRISE_URN: ("EnterpriseUser", "Enterprise User"),
    GOTO_URN: ("GoToUser", "GoTo account attributes of a user"),
    CORE_GROUP_URN: ("Group", "Group"),
}

KNOWN_SCHEMAS = {
    "User": (CORE_USER_URN, ENTERPRISE_URN, GOTO_URN),
    "Group": (CORE_GROUP_URN,),
}


def _case_exact_user_name(binding: Any, value: str) -> str:
    """The ``case_sensitive_username`` quirk: userName compared as sent (NFC), every other attribute
    as scim2-models' default does."""
    if binding.field_name == "user_name":
        return normalize("NFC", value)
    return default_comparison_key(binding, value)


def _policy(**overrides: Any) -> ScimPolicy:
    return ScimPolicy(
        unknown=ScimPolicy.Unknown.ignore,
        remove_value_as_filter=ScimPolicy.RemoveValue.apply,
        unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
        **overrides,
    )


#: RFC 7643 comparisons (userName caseExact=false), with Entra's tolerances.
TOLERANT_POLICY = _policy()
#: The same, with userName compared case-sensitively (quirk ``case_sensitive_username``).
CASE_SENSITIVE_POLICY = _policy(comparison_key=_case_exact_user_name)

USER_NAME_BINDING = Path[UserResource]("userName").resolve()


def policy_for(case_sensitive_username: bool) -> ScimPolicy:
    return CASE_SENSITIVE_POLICY if case_sensitive_username else TOLERANT_POLICY


def user_name_key(user_name: str, policy: ScimPolicy) -> str:
    """The form two userNames are compared in (RFC 7643 §4.1.1: caseExact false; NFC)."""
    return USER_NAME_BINDING.comparable(user_name, policy)


def folded(value: str) -> str:
    """Case-insensitive, NFC form of a string, for indexes compared without case."""
    return normalize("NFC", normalize("NFC", value).casefold())
