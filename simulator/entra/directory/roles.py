"""Directory roles (Microsoft Entra built-in roles) and their assignments, as Graph's role management
exposes them: ``/roleManagement/directory/roleDefinitions`` and ``…/roleAssignments``.

The lab knows the built-in roles that matter for enterprise apps; their ids are Entra's published
template ids. The admin center's pages need one of ``APP_ADMIN_ROLES``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from .model import DirectoryError, is_guid


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    display_name: str
    description: str

    def graph(self) -> dict:
        return {"id": self.id, "displayName": self.display_name, "description": self.description,
                "isBuiltIn": True, "isEnabled": True, "templateId": self.id}


GLOBAL_ADMINISTRATOR = RoleDefinition(
    "62e90394-69f5-4237-9190-012177145e10", "Global Administrator",
    "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.")
APPLICATION_ADMINISTRATOR = RoleDefinition(
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator",
    "Can create and manage all aspects of app registrations and enterprise apps.")
CLOUD_APPLICATION_ADMINISTRATOR = RoleDefinition(
    "158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator",
    "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.")
USER_ADMINISTRATOR = RoleDefinition(
    "fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator",
    "Can manage all aspects of users and groups, including resetting passwords for limited admins.")
GLOBAL_READER = RoleDefinition(
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader",
    "Can read everything that a Global Administrator can, but not update anything.")

BUILT_IN_ROLES = (GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR,
                  USER_ADMINISTRATOR, GLOBAL_READER)
#: The least a user needs to manage enterprise apps and their provisioning.
APP_ADMIN_ROLES = frozenset(r.id for r in (GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR,
                                           CLOUD_APPLICATION_ADMINISTRATOR))


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    principal_id: str
    role_definition_id: str
    directory_scope_id: str = "/"

    def graph(self) -> dict:
        return {"id": self.id, "principalId": self.principal_id, "roleDefinitionId": self.role_definition_id,
                "directoryScopeId": self.directory_scope_id}


class DirectoryRoles:
    def __init__(self, directory, rand):
        self._directory = directory
        self._rand = rand
        self._lock = threading.Lock()
        self._assignments: dict[str, RoleAssignment] = {}

    def reset(self) -> None:
        with self._lock:
            self._assignments.clear()

    @staticmethod
    def definitions() -> list[RoleDefinition]:
        return list(BUILT_IN_ROLES)

    @staticmethod
    def definition(role_id: str) -> RoleDefinition:
        for role in BUILT_IN_ROLES:
            if role.id == role_id:
                return role
        raise DirectoryError(404, "Request_ResourceNotFound",
                             f"Resource '{role_id}' does not exist or one of its queried reference-property "
                             "objects are not present.")

    def assignments(self, principal_id: str | None = None) -> list[RoleAssignment]:
        with self._lock:
            found = list(self._assignments.values())
        return [a for a in found if principal_id is None or a.principal_id == principal_id]

    def assign(self, body: dict) -> RoleAssignment:
        """``POST /roleManagement/directory/roleAssignments`` (``principalId``, ``roleDefinitionId``,
        ``directoryScopeId``: only the whole directory, ``/``)."""
        if not isinstance(body, dict):
            raise DirectoryError(400, "Request_BadRequest", "The request body must be a JSON object.")
        principal_id, role_id = body.get("principalId"), body.get("roleDefinitionId")
        scope = body.get("directoryScopeId", "/")
        for name, value in (("principalId", principal_id), ("roleDefinitionId", role_id)):
            if not isinstance(value, str) or not is_guid(value):
                raise DirectoryError(400, "Request_BadRequest", f"Invalid value specified for property '{name}'.")
        if scope != "/":
            raise DirectoryError(400, "Request_BadRequest",
                                 "Invalid value specified for property 'directoryScopeId': only '/' is supported.")
        self.definition(role_id)
        self._directory.get_user(principal_id)
        with self._lock:
            for existing in self._assignments.values():
                if existing.principal_id == principal_id and existing.role_definition_id == role_id:
                    raise DirectoryError(409, "Request_BadRequest",
                                         "A conflicting object with one or more of the specified property values "
                                         "is present in the directory.")
            assignment = RoleAssignment(self._rand.stream("entra.role-assignments").uuid(), principal_id, role_id)
            self._assignments[assignment.id] = assignment
        return assignment

    def remove(self, assignment_id: str) -> None:
        with self._lock:
            if self._assignments.pop(assignment_id, None) is None:
                raise DirectoryError(404, "Request_ResourceNotFound",
                                     f"Resource '{assignment_id}' does not exist or one of its queried "
                                     "reference-property objects are not present.")

    def holds_any(self, principal_id: str, role_ids) -> bool:
        return any(a.role_definition_id in role_ids for a in self.assignments(principal_id))

    def role_names(self, principal_id: str) -> list[str]:
        return [self.definition(a.role_definition_id).display_name for a in self.assignments(principal_id)]

    def to_state(self) -> list[dict]:
        return [a.graph() for a in self.assignments()]
