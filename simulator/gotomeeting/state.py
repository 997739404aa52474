"""The state of one fake GoToMeeting: configuration, account (users, seats, groups), OAuth, quirks."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..core.faults import FaultSet
from ..core.journal import Journal
from ..core.lab import Lab


@dataclass
class SeedUser:
    email: str
    password: str
    given_name: str
    family_name: str
    role: str  # superAdmin | admin | manager | member


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Microsoft Entra ID provisioning"


@dataclass
class GoToMeetingConfig:
    """Simulator choice: the defaults below describe the account the lab seeds (SPEC §4.1)."""

    account_key: str = "4810201765432109876"
    organization: str = "Contoso Meetings"
    verified_domains: list[str] = field(default_factory=lambda: ["contoso.example"])
    seats: int = 100
    admin: SeedUser = field(default_factory=lambda: SeedUser(
        "goto.admin@contoso.example", "Admin-Passw0rd!", "Gita", "Admin", "admin"))
    member: SeedUser = field(default_factory=lambda: SeedUser(
        "goto.member@contoso.example", "Member-Passw0rd!", "Mo", "Member", "member"))
    clients: list[OAuthClient] = field(default_factory=lambda: [OAuthClient(
        "entra-provisioning-lab", "entra-lab-client-secret",
        ["http://127.0.0.1:8410/portal/TokenAuthorize"])])
    #: Seconds an access token lives (GoTo: 3600), and an authorization code (60).
    access_token_lifetime: int = 3600
    code_lifetime: int = 60
    #: Requests per second before 429, or None (off: the default).
    rate_limit: float | None = None
    max_page_size: int = 200

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GoToMeetingConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown GoToMeeting config keys: {sorted(unknown)}")
        values = dict(data)
        for key in ("admin", "member"):
            if isinstance(values.get(key), dict):
                values[key] = SeedUser(**values[key])
        if "clients" in values:
            values["clients"] = [c if isinstance(c, OAuthClient) else OAuthClient(**c) for c in values["clients"]]
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


class GoToMeeting:
    def __init__(self, *, config: GoToMeetingConfig, lab: Lab, journal: Journal, faults: FaultSet):
        from .account import Account
        from .oauth import OAuthServer
        from .quirks import Quirks

        self.config = config
        self.lab = lab
        self.journal = journal
        self.faults = faults
        self.quirks = Quirks()
        self.account = Account(config, lab.clock, lab.rand)
        self.oauth = OAuthServer(config, lab.clock, lab.rand, self.account)
        from .sso.model import ServiceProvider

        self.sso = ServiceProvider(self)

    def reset(self) -> None:
        self.quirks.reset()
        self.account.reset()
        self.oauth.reset()
        self.sso.reset()

    def state(self) -> dict:
        return {
            "clock": self.lab.clock.describe(),
            "seed": self.lab.seed,
            "account": self.account.to_state(),
            "oauth": self.oauth.to_state(),
            "quirks": self.quirks.to_json(),
            "sso": self.sso.to_state(),
            "faults": self.faults.list(),
        }

    def seed(self, body: dict) -> dict:
        return self.account.seed(body)
