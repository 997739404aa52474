"""Enterprise applications as plain objects, with no knowledge of HTTP (SPEC §3.3).

``Apps`` is the backend: its methods are named after the Graph operations (``instantiate_template``,
``create_app_role_assignment``, ``list_app_role_assignments``, ``delete_app_role_assignment`` ...) and
raise ``AppsError`` subclasses that the views turn into Graph errors.

Templates are data: ``fixtures/templates/*.json`` hold the Graph ``applicationTemplate`` properties plus a
``lab`` section with the app roles (fixed GUIDs), ``defaultAccessEligible`` and the synchronization
template id that instantiation hands on to the service principal.
"""
from __future__ import annotations

import base64
import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ...core.clock import iso
from ...paths import FIXTURES

TEMPLATES_DIR = FIXTURES / "templates"
NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
#: The app role id of "Default Access" when a service principal defines no app roles.
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"

#: Graph properties of an appRole (the fixture's ``portalDisplayName`` is the portal's label only).
_APP_ROLE_KEYS = ("allowedMemberTypes", "description", "displayName", "id", "isEnabled", "origin", "value")


class AppsError(Exception):
    """A rejected operation; ``kind`` selects the Graph status and code."""

    kind = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(AppsError):
    kind = "not_found"


class BadRequest(AppsError):
    kind = "bad_request"


class InvalidId(AppsError):
    kind = "invalid_id"


class AlreadyAssigned(BadRequest):
    """The principal already holds this app role of this service principal."""


class AssignmentsRefused(BadRequest):
    """Several principals asked for at once, and some of them refused: ``refused`` maps each refused
    principal id to its error (nothing was assigned)."""

    def __init__(self, refused: dict[str, AppsError]):
        super().__init__("; ".join(f"{pid}: {exc.message}" for pid, exc in refused.items()))
        self.refused = refused


def parse_guid(value: Any) -> str | None:
    """The canonical lower-case form of a GUID, or None."""
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def require_object_id(value: str) -> str:
    """A directory object id from a URL: a GUID, or Graph's 400 "Invalid object identifier"."""
    guid = parse_guid(value)
    if guid is None:
        raise InvalidId(f"Invalid object identifier '{value}'.")
    return guid


@dataclass(frozen=True)
class AppRole:
    id: str
    display_name: str
    value: str | None
    description: str
    allowed_member_types: tuple[str, ...]
    is_enabled: bool
    origin: str
    portal_display_name: str

    @classmethod
    def from_fixture(cls, data: dict) -> "AppRole":
        return cls(id=data["id"], display_name=data["displayName"], value=data.get("value"),
                   description=data.get("description", data["displayName"]),
                   allowed_member_types=tuple(data.get("allowedMemberTypes", ["User"])),
                   is_enabled=bool(data.get("isEnabled", True)), origin=data.get("origin", "Application"),
                   portal_display_name=data.get("portalDisplayName", data["displayName"]))

    @property
    def is_default_access(self) -> bool:
        return self.display_name == "msiam_access"

    def to_graph(self) -> dict:
        return {"allowedMemberTypes": list(self.allowed_member_types), "description": self.description,
                "displayName": self.display_name, "id": self.id, "isEnabled": self.is_enabled,
                "origin": self.origin, "value": self.value}


@dataclass(frozen=True)
class ApplicationTemplate:
    id: str
    display_name: str
    graph: dict
    app_roles: tuple[AppRole, ...]
    default_access_eligible: bool
    synchronization_template_id: str

    @classmethod
    def from_fixture(cls, data: dict) -> "ApplicationTemplate":
        lab = data.get("lab", {})
        graph = {k: v for k, v in data.items() if k != "lab"}
        return cls(id=data["id"], display_name=data["displayName"], graph=graph,
                   app_roles=tuple(AppRole.from_fixture(r) for r in lab.get("appRoles", [])),
                   default_access_eligible=bool(lab.get("defaultAccessEligible", True)),
                   synchronization_template_id=lab.get("synchronizationTemplateId", "scim"))

    def to_graph(self) -> dict:
        return copy.deepcopy(self.graph)


def load_templates(directory: Path = TEMPLATES_DIR) -> dict[str, ApplicationTemplate]:
    templates = {}
    for path in sorted(directory.glob("*.json")):
        template = ApplicationTemplate.from_fixture(json.loads(path.read_text(encoding="utf-8")))
        templates[template.id] = template
    return templates


@dataclass
class Application:
    id: str
    app_id: str
    display_name: str
    created: str
    template: ApplicationTemplate
    publisher_domain: str
    #: The app's SAML single sign-on configuration (``simulator.entra.sso``), once it has one.
    sso: Any = field(default=None, repr=False, compare=False)

    def to_graph(self) -> dict:
        graph = {
            "id": self.id,
            "deletedDateTime": None,
            "appId": self.app_id,
            "applicationTemplateId": self.template.id,
            "createdDateTime": self.created,
            "displayName": self.display_name,
            "identifierUris": [],
            "publisherDomain": self.publisher_domain,
            "signInAudience": "AzureADMyOrg",
            "tags": [],
            "appRoles": [r.to_graph() for r in self.template.app_roles],
            "web": {"homePageUrl": self.template.graph.get("homePageUrl"), "logoutUrl": None,
                    "redirectUris": []},
        }
        if self.sso is not None:
            self.sso.update_application_graph(graph)
        return graph


@dataclass
class ServicePrincipal:
    id: str
    application: Application
    display_name: str
    tenant_id: str
    app_role_assignment_required: bool = True
    #: The SAML single sign-on configuration (``simulator.entra.sso``), once it has one.
    sso: Any = field(default=None, repr=False, compare=False)

    @property
    def app_id(self) -> str:
        return self.application.app_id

    @property
    def template(self) -> ApplicationTemplate:
        return self.application.template

    @property
    def app_roles(self) -> tuple[AppRole, ...]:
        return self.template.app_roles

    @property
    def default_access_eligible(self) -> bool:
        """Whether a Default Access (``msiam_access``) assignment entitles a user to provisioning."""
        return self.template.default_access_eligible

    @property
    def synchronization_template_id(self) -> str:
        return self.template.synchronization_template_id

    def app_role(self, role_id: str) -> AppRole | None:
        for role in self.app_roles:
            if role.id == role_id:
                return role
        return None

    def to_graph(self) -> dict:
        graph = {
            "id": self.id,
            "deletedDateTime": None,
            "accountEnabled": True,
            "appDisplayName": self.application.display_name,
            "appId": self.app_id,
            "applicationTemplateId": self.template.id,
            "appOwnerOrganizationId": self.tenant_id,
            "appRoleAssignmentRequired": self.app_role_assignment_required,
            "displayName": self.display_name,
            "homepage": self.template.graph.get("homePageUrl"),
            "preferredSingleSignOnMode": None,
            "servicePrincipalNames": [self.app_id],
            "servicePrincipalType": "Application",
            "signInAudience": "AzureADMyOrg",
            "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            "appRoles": [r.to_graph() for r in self.app_roles],
            "keyCredentials": [],
            "loginUrl": None,
            "preferredTokenSigningKeyThumbprint": None,
            "replyUrls": [],
            "samlSingleSignOnSettings": None,
        }
        if self.sso is not None:
            self.sso.update_service_principal_graph(graph)
        return graph


@dataclass
class AppRoleAssignment:
    id: str
    app_role_id: str
    principal_id: str
    principal_type: str
    principal_display_name: str
    resource_id: str
    resource_display_name: str
    created: str

    def to_graph(self) -> dict:
        return {
            "id": self.id,
            "deletedDateTime": None,
            "appRoleId": self.app_role_id,
            "createdDateTime": self.created,
            "principalDisplayName": self.principal_display_name,
            "principalId": self.principal_id,
            "principalType": self.principal_type,
            "resourceDisplayName": self.resource_display_name,
            "resourceId": self.resource_id,
        }


@dataclass
class Principal:
    id: str
    type: str  # "User" | "Group"
    display_name: str


@dataclass
class _Indexes:
    by_resource: dict[str, list[str]] = field(default_factory=dict)
    by_principal: dict[str, list[str]] = field(default_factory=dict)


#: Directory object types that may hold an app role assignment, and their Graph ``principalType``.
_PRINCIPAL_TYPES = {"user": "User", "group": "Group"}


class Apps:
    """The tenant's enterprise applications and their app role assignments. Thread-safe."""

    def __init__(self, *, config, clock, rand, directory=None,
                 templates: dict[str, ApplicationTemplate] | None = None):
        self.config = config
        self.clock = clock
        self.rand = rand
        self.directory = directory
        self.templates = templates if templates is not None else load_templates()
        self._lock = threading.RLock()
        self._listeners: list[Callable[[str, str, str], None]] = []
        self.reset()
        subscribe = getattr(directory, "subscribe", None)
        if subscribe is not None:
            subscribe(self._on_directory_event)

    # -- lab control -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.applications: dict[str, Application] = {}
            self.service_principals: dict[str, ServicePrincipal] = {}
            self.assignments: dict[str, AppRoleAssignment] = {}
            self._index = _Indexes()

    def to_state(self) -> dict:
        with self._lock:
            return {
                "templates": [{"id": t.id, "displayName": t.display_name,
                               "defaultAccessEligible": t.default_access_eligible,
                               "synchronizationTemplateId": t.synchronization_template_id}
                              for t in self.templates.values()],
                "applications": [a.to_graph() for a in self.applications.values()],
                "servicePrincipals": [sp.to_graph() for sp in self.service_principals.values()],
                "appRoleAssignments": [a.to_graph() for a in self.assignments.values()],
            }

    def add_listener(self, listener: Callable[[str, str, str], None]) -> None:
        """``listener(event, object_type, object_id)`` after each write: events "created"/"deleted" for
        "application", "servicePrincipal" and "appRoleAssignment" (the object id is the assignment's)."""
        with self._lock:
            self._listeners.append(listener)

    def _emit(self, event: str, object_type: str, object_id: str) -> None:
        for listener in list(self._listeners):
            listener(event, object_type, object_id)

    def _ids(self):
        return self.rand.stream("entra.apps.ids")

    # -- application templates -------------------------------------------------------------------
    def list_application_templates(self) -> list[ApplicationTemplate]:
        return list(self.templates.values())

    def get_application_template(self, template_id: str) -> ApplicationTemplate:
        template = self.templates.get(template_id) or self.templates.get(template_id.lower())
        if template is None:
            raise NotFound(f"Resource '{template_id}' does not exist or one of its queried reference-property "
                           "objects are not present.")
        return template

    def instantiate_template(self, template_id: str, display_name: Any) -> tuple[Application, ServicePrincipal]:
        """Add an app from the gallery (or the non-gallery app): one application and its service principal,
        with the template's app roles (SPEC §3.3)."""
        template = self.get_application_template(template_id)
        if not isinstance(display_name, str) or not display_name.strip():
            raise BadRequest("Invalid value specified for property 'displayName' of resource 'Application'.")
        if len(display_name) > 256:
            raise BadRequest("Invalid value specified for property 'displayName' of resource 'Application'.")
        with self._lock:
            ids = self._ids()
            app = Application(id=ids.uuid(), app_id=ids.uuid(), display_name=display_name,
                              created=iso(self.clock.now()), template=template,
                              publisher_domain=self.config.tenant_domain)
            sp = ServicePrincipal(id=ids.uuid(), application=app, display_name=display_name,
                                  tenant_id=self.config.tenant_id)
            self.applications[app.id] = app
            self.service_principals[sp.id] = sp
        self._emit("created", "application", app.id)
        self._emit("created", "servicePrincipal", sp.id)
        return app, sp

    # -- applications and service principals ------------------------------------------------------
    def list_applications(self) -> list[Application]:
        with self._lock:
            return list(self.applications.values())

    def _lookup(self, store: dict, object_id: str):
        key = require_object_id(object_id)
        with self._lock:
            found = store.get(key)
        if found is None:
            raise NotFound(_not_found(object_id))
        return found

    def get_application(self, object_id: str) -> Application:
        return self._lookup(self.applications, object_id)

    def delete_application(self, object_id: str) -> None:
        """Deleting an application also deletes its service principal and that one's assignments."""
        app = self.get_application(object_id)
        with self._lock:
            sps = [sp.id for sp in self.service_principals.values() if sp.application is app]
            for sp_id in sps:
                self._delete_service_principal(sp_id)
            self.applications.pop(app.id, None)
        self._emit("deleted", "application", app.id)

    def list_service_principals(self) -> list[ServicePrincipal]:
        with self._lock:
            return list(self.service_principals.values())

    def get_service_principal(self, sp_id: str) -> ServicePrincipal:
        return self._lookup(self.service_principals, sp_id)

    def delete_service_principal(self, sp_id: str) -> None:
        sp = self.get_service_principal(sp_id)
        with self._lock:
            self._delete_service_principal(sp.id)

    def _delete_service_principal(self, sp_id: str) -> None:
        for assignment_id in list(self._index.by_resource.get(sp_id, [])):
            self._remove_assignment(assignment_id)
        self.service_principals.pop(sp_id, None)
        self._emit("deleted", "servicePrincipal", sp_id)

    # -- app role assignments --------------------------------------------------------------------
    def _principal(self, principal_id: str) -> Principal:
        """The live user or group ``principal_id`` names in the directory, or ``NotFound`` (a deleted
        object cannot be assigned)."""
        find = getattr(self.directory, "find_object", None)
        obj = find(principal_id) if find is not None else None
        kind = _PRINCIPAL_TYPES.get(getattr(obj, "object_type", None))
        if obj is None or kind is None or getattr(obj, "is_deleted", False):
            raise NotFound(_not_found(principal_id))
        return Principal(id=principal_id, type=kind, display_name=getattr(obj, "display_name", "") or "")

    def create_app_role_assignment(self, *, resource_id: str, principal_id: Any, app_role_id: Any,
                                   body_resource_id: Any = None, expected_principal_id: str | None = None
                                   ) -> AppRoleAssignment:
        """Assign ``principal_id`` (a user or a group) to the role ``app_role_id`` of the service principal
        ``resource_id`` (SPEC §3.3). ``expected_principal_id`` is set when the call names the principal in
        its URL (``/users/{id}/appRoleAssignments``)."""
        sp = self.get_service_principal(resource_id)
        if body_resource_id is not None and parse_guid(body_resource_id) != sp.id:
            raise BadRequest("Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.")
        principal_guid = self._principal_guid(principal_id)
        if expected_principal_id is not None and principal_guid != expected_principal_id:
            raise BadRequest("Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'.")
        role_guid = self._assignable_role(sp, app_role_id)
        principal = self._principal(principal_guid)
        with self._lock:
            self._check_assignable(sp, principal, role_guid)
            assignment = self._insert_assignment(sp, principal, role_guid)
        self._emit("created", "appRoleAssignment", assignment.id)
        return assignment

    def create_app_role_assignments(self, *, resource_id: str, principal_ids: list[Any], app_role_id: Any
                                    ) -> list[AppRoleAssignment]:
        """Assign several users and groups to one app role at once (the admin center's Add Assignment), with
        the rules of ``create_app_role_assignment``: all of them, or none and ``AssignmentsRefused`` naming
        each principal refused."""
        sp = self.get_service_principal(resource_id)
        role_guid = self._assignable_role(sp, app_role_id)
        refused: dict[str, AppsError] = {}
        principals: list[Principal] = []
        for principal_id in dict.fromkeys(principal_ids):
            try:
                principals.append(self._principal(self._principal_guid(principal_id)))
            except AppsError as exc:
                refused[str(principal_id)] = exc
        with self._lock:
            for principal in principals:
                try:
                    self._check_assignable(sp, principal, role_guid)
                except AlreadyAssigned as exc:
                    refused[principal.id] = exc
            if refused:
                raise AssignmentsRefused(refused)
            made = [self._insert_assignment(sp, principal, role_guid) for principal in principals]
        for assignment in made:
            self._emit("created", "appRoleAssignment", assignment.id)
        return made

    @staticmethod
    def _principal_guid(principal_id: Any) -> str:
        principal_guid = parse_guid(principal_id)
        if principal_guid is None:
            raise BadRequest("Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'.")
        return principal_guid

    @staticmethod
    def _assignable_role(sp: ServicePrincipal, app_role_id: Any) -> str:
        """The app role id to assign: one of the service principal's roles, or the all-zeros Default Access
        of a service principal without roles."""
        role_guid = DEFAULT_ACCESS_ROLE_ID if app_role_id is None else parse_guid(app_role_id)
        if role_guid is None:
            raise BadRequest("Invalid value specified for property 'appRoleId' of resource 'AppRoleAssignment'.")
        role_known = sp.app_role(role_guid) is not None or (role_guid == DEFAULT_ACCESS_ROLE_ID and not sp.app_roles)
        if not role_known:
            raise BadRequest(f"Permission being assigned was not found on application '{sp.app_id}'.")
        return role_guid

    def _check_assignable(self, sp: ServicePrincipal, principal: Principal, role_guid: str) -> None:
        """Under the lock: the service principal still exists and the principal does not hold the role yet."""
        if sp.id not in self.service_principals:
            raise NotFound(_not_found(sp.id))
        for existing_id in self._index.by_principal.get(principal.id, []):
            existing = self.assignments[existing_id]
            if existing.resource_id == sp.id and existing.app_role_id == role_guid:
                raise AlreadyAssigned("Permission being assigned already exists on the object.")

    def _insert_assignment(self, sp: ServicePrincipal, principal: Principal, role_guid: str) -> AppRoleAssignment:
        assignment = AppRoleAssignment(
            id=self._assignment_id(principal.id), app_role_id=role_guid, principal_id=principal.id,
            principal_type=principal.type, principal_display_name=principal.display_name,
            resource_id=sp.id, resource_display_name=sp.display_name, created=iso(self.clock.now()))
        self.assignments[assignment.id] = assignment
        self._index.by_resource.setdefault(sp.id, []).append(assignment.id)
        self._index.by_principal.setdefault(principal.id, []).append(assignment.id)
        self._record_change(principal.id)
        return assignment

    def _assignment_id(self, principal_id: str) -> str:
        """Graph's assignment ids are 43 url-safe base64 characters that start with the principal's id."""
        raw = uuid.UUID(principal_id).bytes_le + self._ids().bytes(16)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def list_app_role_assignments(self, *, resource_id: str | None = None,
                                  principal_id: str | None = None) -> list[AppRoleAssignment]:
        """Assignments of one service principal (``appRoleAssignedTo``) or of one principal
        (``appRoleAssignments``), in creation order."""
        if resource_id is not None:
            sp = self.get_service_principal(resource_id)
            return self.assignments_for_service_principal(sp.id)
        if principal_id is not None:
            self._principal(require_object_id(principal_id))
            return self.assignments_of_principal(require_object_id(principal_id))
        with self._lock:
            return list(self.assignments.values())

    def assignments_for_service_principal(self, sp_id: str) -> list[AppRoleAssignment]:
        with self._lock:
            return [self.assignments[a] for a in self._index.by_resource.get(sp_id, [])]

    def assignments_of_principal(self, principal_id: str) -> list[AppRoleAssignment]:
        with self._lock:
            return [self.assignments[a] for a in self._index.by_principal.get(principal_id, [])]

    def delete_app_role_assignment(self, assignment_id: str, *, resource_id: str | None = None,
                                   principal_id: str | None = None) -> None:
        """Unassign. The assignment must belong to the service principal or principal the URL names."""
        if resource_id is not None:
            self.get_service_principal(resource_id)
        if principal_id is not None:
            principal_id = require_object_id(principal_id)
        with self._lock:
            assignment = self.assignments.get(assignment_id)
            if (assignment is None
                    or (resource_id is not None and assignment.resource_id != require_object_id(resource_id))
                    or (principal_id is not None and assignment.principal_id != principal_id)):
                raise NotFound(_not_found(assignment_id))
            self._remove_assignment(assignment_id)

    def _remove_assignment(self, assignment_id: str, *, record: bool = True) -> None:
        assignment = self.assignments.pop(assignment_id, None)
        if assignment is None:
            return
        for index, key in ((self._index.by_resource, assignment.resource_id),
                           (self._index.by_principal, assignment.principal_id)):
            ids = index.get(key, [])
            if assignment_id in ids:
                ids.remove(assignment_id)
            if not ids:
                index.pop(key, None)
        if record:
            self._record_change(assignment.principal_id)
        self._emit("deleted", "appRoleAssignment", assignment_id)

    def _record_change(self, principal_id: str) -> None:
        record = getattr(self.directory, "record_change", None)
        if record is not None:
            record("appRoleAssignment", principal_id)

    def _on_directory_event(self, event: str, object_type: str, object_id: str) -> None:
        """A purged user or group loses its assignments (a soft-deleted one keeps them until then, so that
        a restore brings them back, as in Entra). The purge is already on the directory's change feed, so
        no further change is recorded (the callback may run inside the directory's write)."""
        if event != "purged":
            return
        with self._lock:
            for assignment_id in list(self._index.by_principal.get(object_id, [])):
                self._remove_assignment(assignment_id, record=False)


def _not_found(object_id: str) -> str:
    return (f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not "
            "present.")
