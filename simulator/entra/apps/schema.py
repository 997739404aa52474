"""The Graph entity types of the enterprise applications, for ``$filter``/``$select``/``$orderby``
(``simulator.entra.odata``)."""
from __future__ import annotations

from ..odata import BOOLEAN, DATETIME, STRING, STRING_COLLECTION, EntityType, Prop

APPLICATION_TEMPLATE = EntityType("microsoft.graph.applicationTemplate", "ApplicationTemplate",
                                  "applicationTemplates", (
    Prop("id"), Prop("displayName", sortable=True), Prop("homePageUrl"),
    Prop("supportedSingleSignOnModes", STRING_COLLECTION, filterable=False),
    Prop("supportedProvisioningTypes", STRING_COLLECTION, filterable=False), Prop("logoUrl", filterable=False),
    Prop("categories", STRING_COLLECTION, filterable=False), Prop("publisher"), Prop("description", filterable=False),
))

APPLICATION = EntityType("microsoft.graph.application", "Application", "applications", (
    Prop("id"), Prop("deletedDateTime", DATETIME, filterable=False), Prop("appId"),
    Prop("applicationTemplateId"), Prop("createdDateTime", DATETIME, sortable=True),
    Prop("displayName", sortable=True), Prop("identifierUris", STRING_COLLECTION, filterable=False),
    Prop("publisherDomain"), Prop("signInAudience"), Prop("tags", STRING_COLLECTION, filterable=False),
    Prop("appRoles", "Collection(microsoft.graph.appRole)", filterable=False),
    Prop("web", "microsoft.graph.webApplication", filterable=False),
))

SERVICE_PRINCIPAL = EntityType("microsoft.graph.servicePrincipal", "ServicePrincipal", "servicePrincipals", (
    Prop("id"), Prop("deletedDateTime", DATETIME, filterable=False), Prop("accountEnabled", BOOLEAN),
    Prop("appDisplayName"), Prop("appId"), Prop("applicationTemplateId"), Prop("appOwnerOrganizationId"),
    Prop("appRoleAssignmentRequired", BOOLEAN), Prop("displayName", sortable=True), Prop("homepage"),
    Prop("preferredSingleSignOnMode"), Prop("servicePrincipalNames", STRING_COLLECTION, filterable=False),
    Prop("servicePrincipalType"), Prop("signInAudience"), Prop("tags", STRING_COLLECTION, filterable=False),
    Prop("appRoles", "Collection(microsoft.graph.appRole)", filterable=False),
    Prop("keyCredentials", "Collection(microsoft.graph.keyCredential)", filterable=False),
    Prop("preferredTokenSigningKeyThumbprint", filterable=False),
    Prop("samlSingleSignOnSettings", "microsoft.graph.samlSingleSignOnSettings", filterable=False),
    Prop("loginUrl", filterable=False), Prop("replyUrls", STRING_COLLECTION, filterable=False),
))

APP_ROLE_ASSIGNMENT = EntityType("microsoft.graph.appRoleAssignment", "AppRoleAssignment", "appRoleAssignments", (
    Prop("id"), Prop("deletedDateTime", DATETIME, filterable=False), Prop("appRoleId"),
    Prop("createdDateTime", DATETIME, sortable=True), Prop("principalDisplayName", sortable=True),
    Prop("principalId"), Prop("principalType"), Prop("resourceDisplayName"), Prop("resourceId"),
))
