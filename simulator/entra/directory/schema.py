"""The Graph types of the directory: ``microsoft.graph.user`` and ``microsoft.graph.group``.

Property names, types and the v1.0 default property set follow the Microsoft Graph v1.0 reference
(user and group resource types). Which properties accept ``$filter`` / ``$orderby`` without advanced
query parameters follows the same reference: ``officeLocation`` and the ``businessPhones`` collection
are not filterable (Graph answers ``Request_UnsupportedQuery``), and only ``displayName`` and
``userPrincipalName`` sort.
"""
from __future__ import annotations

from ..odata import BOOLEAN, DATETIME, STRING_COLLECTION, EntityType, Prop

USER = EntityType(
    name="microsoft.graph.user",
    resource="User",
    entity_set="users",
    props=(
        Prop("id", read_only=True),
        Prop("deletedDateTime", DATETIME, read_only=True),
        Prop("accountEnabled", BOOLEAN),
        Prop("businessPhones", STRING_COLLECTION, filterable=False),
        Prop("city"),
        Prop("companyName"),
        Prop("country"),
        Prop("createdDateTime", DATETIME, read_only=True),
        Prop("department"),
        Prop("displayName", sortable=True),
        Prop("employeeId"),
        Prop("faxNumber"),
        Prop("givenName"),
        Prop("jobTitle"),
        Prop("mail"),
        Prop("mailNickname"),
        Prop("mobilePhone"),
        Prop("officeLocation", filterable=False),
        Prop("postalCode"),
        Prop("preferredLanguage"),
        Prop("state"),
        Prop("streetAddress"),
        Prop("surname"),
        Prop("usageLocation"),
        Prop("userPrincipalName", sortable=True),
        Prop("userType"),
    ),
    # Graph v1.0 returns this set, in this order, when no $select is given.
    default_select=("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"),
)

GROUP = EntityType(
    name="microsoft.graph.group",
    resource="Group",
    entity_set="groups",
    props=(
        Prop("id", read_only=True),
        Prop("deletedDateTime", DATETIME, read_only=True),
        Prop("createdDateTime", DATETIME, read_only=True),
        Prop("description"),
        Prop("displayName", sortable=True),
        Prop("groupTypes", STRING_COLLECTION, filterable=False),
        Prop("mail", read_only=True),
        Prop("mailEnabled", BOOLEAN),
        Prop("mailNickname"),
        Prop("securityEnabled", BOOLEAN),
        Prop("visibility"),
    ),
)

#: Writable properties Graph requires on create, in the order the directory reports a missing one.
USER_REQUIRED = ("accountEnabled", "displayName", "mailNickname", "passwordProfile", "userPrincipalName")
GROUP_REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")

#: What a ``$select`` on a mixed collection (group members) may name: any user or group property.
DIRECTORY_OBJECT = EntityType(
    name="microsoft.graph.directoryObject",
    resource="DirectoryObject",
    entity_set="directoryObjects",
    props=tuple({p.name: p for p in USER.props + GROUP.props}.values()),
)

ENTITY_BY_TYPE = {"user": USER, "group": GROUP}
