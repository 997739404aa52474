"""The state of one fake Entra ID tenant: configuration, registered clients, signing keys, the directory
and the enterprise applications.

``Entra`` is what every view reaches through ``app.extensions["entra"]``; nothing is module-global.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..core.errors import LabHTTPError
from ..core.faults import FaultSet
from ..core.journal import Journal
from ..core.lab import Lab

#: Application permissions (app roles of Microsoft Graph) the lab understands.
GRAPH_PERMISSIONS = (
    "User.Read.All", "User.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All",
    "Directory.Read.All", "Directory.ReadWrite.All", "Application.Read.All", "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All", "Synchronization.Read.All", "Synchronization.ReadWrite.All",
    "AuditLog.Read.All", "RoleManagement.ReadWrite.Directory",
)


@dataclass
class RegisteredClient:
    """An app registration allowed to sign in with client credentials, with the Graph application
    permissions (``roles`` claim) an admin granted it, and the object id of its service principal
    (the token's ``oid``)."""

    client_id: str
    client_secret: str
    display_name: str
    roles: list[str]
    service_principal_id: str


def _default_clients() -> list[RegisteredClient]:
    return [
        RegisteredClient(
            client_id="3b8f6c2a-5d4e-4f19-9a7b-1c2d3e4f5a60",
            client_secret="lab-admin-client-secret~7Qx2.Vd9",
            display_name="Provisioning lab admin",
            roles=[p for p in GRAPH_PERMISSIONS if p not in ("User.Read.All", "Group.Read.All",
                                                             "Directory.Read.All", "Application.Read.All",
                                                             "Synchronization.Read.All")],
            service_principal_id="0d4c7e91-2b3a-4c5d-8e6f-7a8b9c0d1e2f",
        ),
        RegisteredClient(
            client_id="9e2d4f6a-8b1c-4d3e-a5f7-0b1c2d3e4f50",
            client_secret="lab-reader-client-secret~3Kp8.Lm4",
            display_name="Provisioning lab reader",
            roles=["User.Read.All"],
            service_principal_id="6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
        ),
    ]


@dataclass
class EntraConfig:
    """Simulator choice: the tenant id, the clients and their secrets are fixed constants (not drawn from
    the seed) so that a tester can keep them in a shell profile; every other id comes from the seed.

    ``gotomeeting_url`` and the GoToMeeting OAuth client are the defaults the GoToMeeting gallery
    template's ``BaseAddress`` and OAuth URIs point at (SPEC §3.4); serve mode and the live test fixtures
    set them to the running fake GoToMeeting. ``users``/``groups`` size the Faker tenant built on reset
    (0 = an empty directory); ``fixture`` names a fixture tenant loaded instead.
    """

    tenant_id: str = "c0ffee00-7e57-4ab5-9d1e-2f3a4b5c6d7e"
    tenant_domain: str = "contoso.example"
    clients: list[RegisteredClient] = field(default_factory=_default_clients)
    gotomeeting_url: str = "http://127.0.0.1:8420"
    gotomeeting_client_id: str = "entra-provisioning-lab"
    gotomeeting_client_secret: str = "entra-lab-client-secret"
    users: int = 0
    groups: int = 0
    fixture: str | None = None
    #: Access token lifetime in seconds (Entra: 3599 for client credentials, SPEC §3.1).
    token_lifetime: int = 3599
    #: The admin center's seeded administrator (a Cloud Application Administrator), created on every
    #: reset when ``portal_admin`` is on (serve mode and the portal's scenarios; off for an empty
    #: directory): its mail nickname (the user principal name is ``{name}@{tenant_domain}``) and
    #: password. Fixed, like the clients.
    portal_admin: bool = False
    portal_admin_name: str = "cloud.admin"
    portal_admin_display_name: str = "Cloud App Admin"
    portal_admin_password: str = "Portal-Passw0rd!2026"

    @property
    def portal_admin_upn(self) -> str:
        return f"{self.portal_admin_name}@{self.tenant_domain}"

    @property
    def admin_client(self) -> RegisteredClient:
        return self.clients[0]

    @property
    def reader_client(self) -> RegisteredClient:
        return self.clients[1]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EntraConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Entra config keys: {sorted(unknown)}")
        values = dict(data)
        if "clients" in values:
            values["clients"] = [c if isinstance(c, RegisteredClient) else RegisteredClient(**c)
                                 for c in values["clients"]]
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def client(self, client_id: str) -> RegisteredClient | None:
        for c in self.clients:
            if c.client_id == client_id:
                return c
        return None

    def is_tenant(self, segment: str) -> bool:
        """The tenant segment of a sign-in URL may be the tenant id or its domain name."""
        return segment.lower() in (self.tenant_id, self.tenant_domain.lower())


def _build_directory(lab: Lab, config: EntraConfig):
    try:
        from .directory.model import Directory
    except ImportError:
        return None
    return Directory(clock=lab.clock, rand=lab.rand, domain=config.tenant_domain)


class Entra:
    def __init__(self, *, config: EntraConfig, lab: Lab, journal: Journal, faults: FaultSet):
        from .apps.model import Apps
        from .auth import SigningKeys

        self.config = config
        self.lab = lab
        self.journal = journal
        self.faults = faults
        self.lock = threading.RLock()
        self.keys = SigningKeys(lab.rand)
        self.directory = _build_directory(lab, config)
        self.apps = Apps(config=config, clock=lab.clock, rand=lab.rand, directory=self.directory)
        from .sso.model import SingleSignOn

        self.sso = SingleSignOn(self)
        from .directory.roles import DirectoryRoles

        self.roles = DirectoryRoles(self.directory, lab.rand)
        self._build_provisioning()
        self._seed_initial()

    def _build_provisioning(self) -> None:
        from .notifications import Notifications
        from .portal.views import StateSigner
        from .provisioning.logs import ProvisioningLogs
        from .sync.service import Synchronization

        self.sync = Synchronization(self)
        self.provisioning_logs = ProvisioningLogs()
        self.notifications = Notifications(self)
        self.portal_state = StateSigner(self)

    # -- lab control -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            reset_directory = getattr(self.directory, "reset", None)
            if reset_directory is not None:
                reset_directory()
            self.keys.reset()
            self.roles.reset()
            self.apps.reset()
            self.sso.reset()
            self.sync.reset()
            self.provisioning_logs.clear()
            self.notifications.reset()
            self.portal_state.reset()
            self._seed_initial()

    def _seed_initial(self) -> None:
        if self.config.fixture:
            self.seed({"fixture": self.config.fixture})
        elif self.config.users or self.config.groups:
            self.seed({"users": self.config.users, "groups": self.config.groups})
        self._seed_portal_admin()

    def _seed_portal_admin(self) -> None:
        """The admin center's administrator: a directory user holding Cloud Application Administrator.
        Its id comes from a stream of its own, so the seeded tenant's ids do not depend on it."""
        if self.directory is None or not self.config.portal_admin:
            return
        from .directory.roles import CLOUD_APPLICATION_ADMINISTRATOR

        config = self.config
        admin = self.directory.create_user(
            {"accountEnabled": True, "displayName": config.portal_admin_display_name,
             "mailNickname": config.portal_admin_name, "userPrincipalName": config.portal_admin_upn,
             "passwordProfile": {"password": config.portal_admin_password}},
            object_id=self.lab.rand.stream("entra.portal-admin").uuid())
        self.roles.assign({"principalId": admin.id, "roleDefinitionId": CLOUD_APPLICATION_ADMINISTRATOR.id})

    def state(self) -> dict:
        directory_state = getattr(self.directory, "to_state", None)
        return {
            "clock": self.lab.clock.describe(),
            "seed": self.lab.seed,
            "tenantId": self.config.tenant_id,
            "tenantDomain": self.config.tenant_domain,
            "clients": [{"clientId": c.client_id, "displayName": c.display_name, "roles": list(c.roles)}
                        for c in self.config.clients],
            "directory": directory_state() if directory_state else None,
            "apps": self.apps.to_state(),
            "synchronization": self.sync.to_state(),
            "singleSignOn": self.sso.to_state(),
            "roleAssignments": self.roles.to_state(),
            "provisioningLogCount": len(self.provisioning_logs),
            "faults": self.faults.list(),
        }

    def seed(self, body: dict) -> dict:
        """``{"users": N, "groups": M}`` builds a Faker tenant; ``{"fixture": "name"}`` loads
        ``fixtures/tenants/<name>.json`` (SPEC §3.2 Seeding)."""
        if self.directory is None:
            raise LabHTTPError(501, "The directory is not available in this build of the lab.")
        from .directory import seeding

        unknown = sorted(set(body) - {"users", "groups", "fixture"})
        if unknown:
            raise LabHTTPError(400, f"unknown seed field(s): {', '.join(unknown)}")
        fixture = body.get("fixture")
        with self.lock:
            if fixture is not None:
                if not isinstance(fixture, str) or not fixture:
                    raise LabHTTPError(400, "fixture must be the name of a fixture tenant")
                try:
                    result = seeding.load_fixture_tenant(self.directory, fixture)
                except FileNotFoundError:
                    raise LabHTTPError(404, f"no fixture tenant named {fixture!r}") from None
                except ValueError as exc:
                    raise LabHTTPError(409, f"fixture tenant {fixture!r} does not fit this directory: {exc}") \
                        from None
            else:
                counts = {}
                for key in ("users", "groups"):
                    value = body.get(key, 0)
                    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 200_000:
                        raise LabHTTPError(400, f"{key} must be an integer from 0 to 200000")
                    counts[key] = value
                result = seeding.seed_tenant(self.directory, self.lab.rand, **counts)
        return result if isinstance(result, dict) else {"seeded": True}

    # -- Graph authorization ---------------------------------------------------------------------
    def require_graph(self, permission: str | None = None) -> dict:
        """The claims of the current request's bearer token, or a ``LabHTTPError`` (401/403) in Graph's
        words. ``permission`` is the Graph application permission the operation needs (None: any valid
        token)."""
        from .auth import check_graph_request

        return check_graph_request(self, permission)
