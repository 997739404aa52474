"""Synchronization jobs as Graph models them (``synchronizationJob``, ``synchronizationStatus``,
``synchronizationTaskExecution``, ``synchronizationQuarantine``, secrets), with no Flask in sight.

The engine's own memory of a job (watermark, links to target objects, escrows) lives on the job too, in
``JobRuntime``; restart scopes clear parts of it (SPEC §3.4).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...core.clock import iso

#: Graph prints "never" as the zero DateTime.
NEVER = "0001-01-01T00:00:00Z"

#: SPEC §3.4: the secret keys the lab understands.
SECRET_KEYS = (
    "BaseAddress", "SecretToken", "Oauth2AccessToken", "Oauth2RefreshToken", "Oauth2AccessTokenCreationTime",
    "Oauth2AuthorizationUri", "Oauth2TokenExchangeUri", "SyncAll", "SkipOutOfScopeDeletions",
    "SyncNotificationSettings",
)
#: Secret keys whose value is a credential: never shown, never journaled.
CREDENTIAL_KEYS = frozenset({"SecretToken", "Oauth2AccessToken", "Oauth2RefreshToken"})
BOOLEAN_SECRET_KEYS = frozenset({"SyncAll", "SkipOutOfScopeDeletions"})

RESET_SCOPES = ("Watermark", "Escrows", "QuarantineState", "ConnectorDataStore", "ForceDeletes", "Full")
#: An empty restart body is the portal's "Restart provisioning" (SPEC §3.4).
PORTAL_RESTART = ("Watermark", "Escrows", "QuarantineState")

DEFAULT_INTERVAL = timedelta(minutes=40)
DEFAULT_SETTINGS = {"QuarantineTooManyDeletesThreshold": "500"}
#: Job settings a ``PATCH jobs/{id}`` may change: the check its value must pass, and what the value must be.
#: ``QuarantineTooManyDeletes`` (Graph's keyValuePair names) is the portal's "Prevent accidental deletion";
#: absent, it is on.
SETTING_CHECKS = {
    "QuarantineTooManyDeletesThreshold": (lambda v: v.isascii() and v.isdigit(), "a non-negative integer as a string"),
    "QuarantineTooManyDeletes": (lambda v: v in ("true", "false"), "\"true\" or \"false\""),
}


class SyncError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass
class TaskExecution:
    """``synchronizationTaskExecution``: the counters of one cycle."""

    activity_identifier: str
    time_began: datetime
    time_ended: datetime | None = None
    state: str = "Succeeded"  # Succeeded | Failed | EntryLevelErrors
    count_entitled: int = 0
    count_entitled_for_provisioning: int = 0
    count_escrowed: int = 0
    count_escrowed_raw: int = 0
    count_exported: int = 0
    count_exports: int = 0
    count_imported: int = 0
    count_imported_deltas: int = 0
    count_imported_reference_deltas: int = 0
    error: dict | None = None

    def to_graph(self) -> dict:
        return {
            "activityIdentifier": self.activity_identifier,
            "countEntitled": self.count_entitled,
            "countEntitledForProvisioning": self.count_entitled_for_provisioning,
            "countEscrowed": self.count_escrowed,
            "countEscrowedRaw": self.count_escrowed_raw,
            "countExported": self.count_exported,
            "countExports": self.count_exports,
            "countImported": self.count_imported,
            "countImportedDeltas": self.count_imported_deltas,
            "countImportedReferenceDeltas": self.count_imported_reference_deltas,
            "error": self.error,
            "state": self.state,
            "timeBegan": iso(self.time_began),
            "timeEnded": iso(self.time_ended) if self.time_ended else NEVER,
        }


@dataclass
class Quarantine:
    """``synchronizationQuarantine`` (SPEC §3.7 Quarantine)."""

    reason: str
    series_began: datetime
    current_began: datetime
    next_attempt: datetime
    series_count: int = 1
    error_code: str = ""
    error_message: str = ""
    tenant_actionable: bool = True

    def to_graph(self) -> dict:
        return {
            "currentBegan": iso(self.current_began),
            "nextAttempt": iso(self.next_attempt),
            "reason": self.reason,
            "seriesBegan": iso(self.series_began),
            "seriesCount": self.series_count,
            "error": {"code": self.error_code, "message": self.error_message,
                      "tenantActionable": self.tenant_actionable},
        }


@dataclass
class Link:
    """What the engine knows of one source object's counterpart in the target (the connector data store).

    ``values`` are the target attribute values last exported or read back, keyed by target attribute
    name (``userName``, ``emails[type eq "work"].value``...): the next cycle diffs against them.
    """

    target_id: str
    values: dict[str, Any] = field(default_factory=dict)
    active: bool = True
    display_name: str = ""
    object_type: str = "User"  # User | Group
    #: groups: the members exported, source id -> target id, in the order they were added (the order of
    #: later removals, so that two runs with one seed send byte-identical requests)
    member_targets: dict[str, str] = field(default_factory=dict)


@dataclass
class Escrow:
    """A failed object awaiting its retry in a later cycle."""

    attempts: int
    first_failed: datetime
    last_failed: datetime
    error_code: str
    reason: str
    reference: bool = False
    object_type: str = "User"


class LinkTable(dict):
    """source id -> ``Link``, keeping a count of links per object type as links come and go, so that
    the job status's ``synchronizedEntryCountByType`` costs nothing per cycle, whatever the tenant size."""

    def __init__(self):
        super().__init__()
        self.counts: dict[str, int] = {}

    def _count(self, link: "Link", step: int) -> None:
        self.counts[link.object_type] = self.counts.get(link.object_type, 0) + step
        if not self.counts[link.object_type]:
            del self.counts[link.object_type]

    def __setitem__(self, key: str, link: "Link") -> None:
        old = super().get(key)
        if old is not None:
            self._count(old, -1)
        super().__setitem__(key, link)
        self._count(link, 1)

    def __delitem__(self, key: str) -> None:
        self._count(self[key], -1)
        super().__delitem__(key)

    def pop(self, key: str, *default):
        if key in self:
            link = super().pop(key)
            self._count(link, -1)
            return link
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self.counts.clear()

    def update(self, *args, **kwargs) -> None:
        for key, link in dict(*args, **kwargs).items():
            self[key] = link

    def setdefault(self, key: str, default: "Link"):
        if key not in self:
            self[key] = default
        return self[key]


@dataclass
class JobRuntime:
    watermark: int | None = None  # the directory change sequence imported up to; None = full import next
    links: "LinkTable" = field(default_factory=lambda: LinkTable())  # source id -> target link
    escrows: dict[str, Escrow] = field(default_factory=dict)
    staged_deletes: set[str] = field(default_factory=set)
    force_deletes: bool = False
    cycles: int = 0
    initial_done: bool = False


@dataclass
class SyncJob:
    id: str
    template_id: str
    service_principal_id: str
    schema: dict
    created: datetime
    schedule_state: str = "Disabled"  # Disabled | Active | Paused
    interval: timedelta = DEFAULT_INTERVAL
    code: str = "NotConfigured"  # NotConfigured | NotRun | Active | Paused | Quarantine
    settings: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    next_due: datetime | None = None
    last_execution: TaskExecution | None = None
    last_successful_execution: TaskExecution | None = None
    last_successful_execution_with_exports: TaskExecution | None = None
    quarantine: Quarantine | None = None
    count_successive_complete_failures: int = 0
    escrows_pruned: bool = False
    steady_state_first: datetime | None = None
    steady_state_last: datetime | None = None
    entry_counts: dict[str, int] = field(default_factory=dict)
    pause_after_cycle: bool = False
    runtime: JobRuntime = field(default_factory=JobRuntime)

    def to_graph(self) -> dict:
        return {
            "id": self.id,
            "templateId": self.template_id,
            "schedule": {"expiration": None, "interval": _duration(self.interval), "state": self.schedule_state},
            "status": self.status_graph(),
            "synchronizationJobSettings": [{"name": k, "value": v} for k, v in self.settings.items()],
        }

    def status_graph(self) -> dict:
        def execution(e: TaskExecution | None):
            return e.to_graph() if e else None

        return {
            "code": self.code,
            "countSuccessiveCompleteFailures": self.count_successive_complete_failures,
            "escrowsPruned": self.escrows_pruned,
            "lastExecution": execution(self.last_execution),
            "lastSuccessfulExecution": execution(self.last_successful_execution),
            "lastSuccessfulExecutionWithExports": execution(self.last_successful_execution_with_exports),
            "progress": [],
            "quarantine": self.quarantine.to_graph() if self.quarantine else None,
            "steadyStateFirstAchievedTime": iso(self.steady_state_first) if self.steady_state_first else NEVER,
            "steadyStateLastAchievedTime": iso(self.steady_state_last) if self.steady_state_last else NEVER,
            "synchronizedEntryCountByType": [{"key": k, "value": v} for k, v in sorted(self.entry_counts.items())],
            "troubleshootingUrl": None,
        }

    def copy_schema(self) -> dict:
        return copy.deepcopy(self.schema)


def _duration(delta: timedelta) -> str:
    """ISO 8601 duration as Graph prints a schedule interval (``PT40M``)."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return out + ("T" + time_part if time_part else ("" if days else "T0S"))


def parse_secrets(body: Any) -> dict[str, str]:
    """Validate a ``PUT …/synchronization/secrets`` body; nothing is stored when any pair is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise SyncError(400, "The request body must be {\"value\": [{\"key\": ..., \"value\": ...}, ...]}.")
    unknown_fields = sorted(set(body) - {"value", "@odata.type"})
    if unknown_fields:
        raise SyncError(400, f"Unknown property '{unknown_fields[0]}' in the secrets body.")
    out: dict[str, str] = {}
    for index, pair in enumerate(body["value"]):
        if not isinstance(pair, dict) or set(pair) - {"key", "value", "@odata.type"} or "key" not in pair:
            raise SyncError(400, f"Secret #{index + 1} must be an object with 'key' and 'value'.")
        key, value = pair["key"], pair.get("value")
        if key not in SECRET_KEYS:
            raise SyncError(400, f"The secret key '{key}' is not supported. Supported keys: {', '.join(SECRET_KEYS)}.")
        if not isinstance(value, str):
            raise SyncError(400, f"The value of the secret '{key}' must be a string.")
        if key in BOOLEAN_SECRET_KEYS and value.lower() not in ("true", "false"):
            raise SyncError(400, f"The value of the secret '{key}' must be \"true\" or \"false\".")
        out[key] = value
    return out


def parse_job_settings(body: Any) -> dict[str, str]:
    """``{"synchronizationJobSettings": [{"name", "value"}…]}`` (a ``PATCH jobs/{id}``) -> the settings.

    Simulator choice: Graph does not document updating a job; the lab accepts this one property so that
    the accidental-deletion prevention (``QuarantineTooManyDeletes``, "true" or "false") and its threshold
    (``QuarantineTooManyDeletesThreshold``, a non-negative integer as a string) can be set as the portal
    does. Nothing is stored when any pair is wrong."""
    shape = "The request body must be {\"synchronizationJobSettings\": [{\"name\": ..., \"value\": ...}]}."
    if not isinstance(body, dict) or set(body) - {"synchronizationJobSettings", "@odata.type"} \
            or not isinstance(body.get("synchronizationJobSettings"), list):
        raise SyncError(400, shape, "BadRequest")
    out: dict[str, str] = {}
    for pair in body["synchronizationJobSettings"]:
        if not isinstance(pair, dict) or set(pair) - {"name", "value", "@odata.type"}:
            raise SyncError(400, shape, "BadRequest")
        name, value = pair.get("name"), pair.get("value")
        if name not in SETTING_CHECKS:
            raise SyncError(400, f"The job setting '{name}' is not supported. Supported: "
                                 f"{', '.join(SETTING_CHECKS)}.", "BadRequest")
        check, expected = SETTING_CHECKS[name]
        if not isinstance(value, str) or not check(value):
            raise SyncError(400, f"The value of the job setting '{name}' must be {expected}.", "BadRequest")
        out[name] = value
    return out


def parse_reset_scope(body: Any) -> tuple[str, ...]:
    """``{"criteria": {"resetScope": "Watermark, Escrows"}}`` -> the scopes; empty body = portal restart."""
    if body in (None, {}):
        return PORTAL_RESTART
    if not isinstance(body, dict) or set(body) - {"criteria"}:
        raise SyncError(400, "The request body must be {\"criteria\": {\"resetScope\": \"...\"}}.")
    criteria = body.get("criteria")
    if criteria in (None, {}):
        return PORTAL_RESTART
    if not isinstance(criteria, dict) or set(criteria) - {"resetScope"}:
        raise SyncError(400, "criteria must be an object with resetScope.")
    raw = criteria.get("resetScope")
    if raw is None:
        return PORTAL_RESTART
    if not isinstance(raw, str) or not raw.strip():
        raise SyncError(400, "resetScope must be a comma-separated list of reset scopes.")
    scopes = []
    for part in (p.strip() for p in raw.split(",")):
        match = next((s for s in RESET_SCOPES if s.lower() == part.lower()), None)
        if match is None:
            raise SyncError(400, f"The reset scope '{part}' is not valid. Valid scopes: {', '.join(RESET_SCOPES)}.")
        scopes.append(match)
    if "Full" in scopes:
        return RESET_SCOPES
    return tuple(dict.fromkeys(scopes))
