"""Provisioning logs: ``provisioningObjectSummary`` entries (SPEC §3.8), append-only, bounded.

One entry per object per cycle that the engine looked at, skipped ones included. Step names follow
Microsoft's logs: ``EntryImport``, ``EntrySynchronizationScoping``, ``EntryImportMatching`` (simulator
choice: the matching step's name is not published), ``EntryExportAdd``, ``EntryExportUpdate``,
``EntryExportDelete``, ``EntrySynchronizationSkip``.
"""
from __future__ import annotations

import json
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...core.clock import iso

INITIATED_BY = {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"}


@dataclass
class Step:
    name: str
    step_type: str  # import | scoping | matching | processing | export
    status: str  # success | failure | skipped | warning
    description: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class LogEntry:
    id: str
    activity: datetime
    change_id: str
    cycle_id: str
    job_id: str
    action: str  # create | update | delete | disable | stagedDelete | other
    status: str  # success | failure | skipped | warning
    service_principal: dict
    source_identity: dict
    target_identity: dict
    source_system: dict
    target_system: dict
    tenant_id: str
    steps: list[Step] = field(default_factory=list)
    modified: list[dict] = field(default_factory=list)
    error: dict | None = None
    duration_ms: int = 0

    def freeze(self) -> "LoggedEntry":
        """The entry as the logs keep it, once the engine is done with it."""
        return LoggedEntry(self)


def _step_json(step: Step) -> dict:
    return {"name": step.name, "provisioningStepType": step.step_type, "status": step.status,
            "description": step.description, "details": dict(step.details)}


#: What most entries say (step names and texts, attribute names): deflate's preset dictionary, so that
#: an entry's compressed text holds little more than its own names and ids.
_ZDICT = json.dumps([
    {"id": "", "displayName": "", "identityType": "User", "details": {"UserPrincipalName": ""}},
    [{"name": "EntryExportUpdate", "provisioningStepType": "export", "status": "success",
      "description": "User '' was updated in ", "details": {"TargetId": ""}},
     {"name": "EntrySynchronizationSkip", "provisioningStepType": "processing", "status": "skipped",
      "description": "", "details": {"SkipReason": "NotEffectivelyEntitled"}}],
    [{"displayName": "title", "oldValue": None, "newValue": ""},
     {"displayName": "preferredLanguage", "oldValue": None, "newValue": ""},
     {"displayName": "name.formatted", "oldValue": None, "newValue": ""}],
    [{"name": "EntryImport", "provisioningStepType": "import", "status": "success",
      "description": "Retrieved User '' from Microsoft Entra ID.", "details": {"ObjectId": ""}},
     {"name": "EntrySynchronizationScoping", "provisioningStepType": "scoping", "status": "success",
      "description": "Determined that User  is in scope.", "details": {}},
     {"name": "EntryImportMatching", "provisioningStepType": "matching", "status": "success",
      "description": "Matching userName '': 0 target user(s) found.", "details": {"MatchingAttribute": "userName"}},
     {"name": "EntryExportAdd", "provisioningStepType": "export", "status": "success",
      "description": "User '' was created in ", "details": {"TargetId": ""}}],
    [{"displayName": "userName", "oldValue": None, "newValue": ""},
     {"displayName": "active", "oldValue": None, "newValue": "True"},
     {"displayName": 'emails[type eq "work"].value', "oldValue": None, "newValue": ""},
     {"displayName": "name.givenName", "oldValue": None, "newValue": ""},
     {"displayName": "name.familyName", "oldValue": None, "newValue": ""},
     {"displayName": "displayName", "oldValue": None, "newValue": ""},
     {"displayName": "externalId", "oldValue": None, "newValue": ""},
     {"displayName": 'roles[primary eq "True"].value', "oldValue": None, "newValue": ""},
     {"displayName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "oldValue": None,
      "newValue": ""}], None], separators=(",", ":")).encode()
#: A 4 KiB window and a small state: a tenth of the time of zlib's defaults, for entries of 1-3 KB.
_WBITS, _MEMLEVEL = 12, 4


def _pack(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    packer = zlib.compressobj(1, zlib.DEFLATED, _WBITS, _MEMLEVEL, zlib.Z_DEFAULT_STRATEGY, _ZDICT)
    return packer.compress(text) + packer.flush()


def _unpack(packed: bytes) -> Any:
    return json.loads(zlib.decompressobj(_WBITS, _ZDICT).decompress(packed))


class LoggedEntry:
    """A finished entry, kept compact: the properties ``$filter`` names as attributes (their strings
    shared with the directory and the engine's links), everything else as one deflated JSON text.

    A cycle of 100,000 objects writes 100,000 entries; as live objects (steps, dicts, lists) each took
    about 5 KB, as JSON about 1.8 KB, deflated against ``_ZDICT`` about 200 bytes. ``to_graph`` reads
    the text back into the Graph shape.
    """

    __slots__ = ("id", "activity", "change_id", "cycle_id", "job_id", "action", "status", "service_principal",
                 "source_system", "target_system", "tenant_id", "source_id", "source_name", "target_id",
                 "target_name", "duration_ms", "_packed")

    def __init__(self, entry: LogEntry):
        self.id = entry.id
        self.activity = entry.activity
        self.change_id = entry.change_id
        self.cycle_id = entry.cycle_id
        self.job_id = entry.job_id
        self.action = entry.action
        self.status = entry.status
        self.service_principal = entry.service_principal
        self.source_system = entry.source_system
        self.target_system = entry.target_system
        self.tenant_id = entry.tenant_id
        self.source_id = entry.source_identity.get("id")
        self.source_name = entry.source_identity.get("displayName")
        self.target_id = entry.target_identity.get("id")
        self.target_name = entry.target_identity.get("displayName")
        self.duration_ms = entry.duration_ms
        self._packed = _pack([entry.source_identity, [_step_json(s) for s in entry.steps], entry.modified,
                              entry.target_identity, entry.error])

    def to_graph(self) -> dict:
        source_identity, steps, modified, target_identity, error = _unpack(self._packed)
        return {
            "id": self.id,
            "activityDateTime": iso(self.activity),
            "changeId": self.change_id,
            "cycleId": self.cycle_id,
            "durationInMilliseconds": self.duration_ms,
            "initiatedBy": dict(INITIATED_BY),
            "jobId": self.job_id,
            "modifiedProperties": modified,
            "provisioningAction": self.action,
            "provisioningStatusInfo": {"status": self.status, "errorInformation": error},
            "provisioningSteps": steps,
            "servicePrincipal": dict(self.service_principal),
            "sourceIdentity": source_identity,
            "sourceSystem": dict(self.source_system),
            "targetIdentity": target_identity,
            "targetSystem": dict(self.target_system),
            "tenantId": self.tenant_id,
        }

    def filter_value(self, name: str) -> Any:
        """The value of a flat property path that ``$filter`` may name (SPEC §3.8), None for another."""
        read = _FILTER_PATHS.get(name)
        return read(self) if read is not None else None


#: The flat property paths of SPEC §3.8, each read straight from a logged entry.
_FILTER_PATHS: dict[str, Any] = {
    "id": lambda e: e.id,
    "jobId": lambda e: e.job_id,
    "cycleId": lambda e: e.cycle_id,
    "changeId": lambda e: e.change_id,
    "servicePrincipal/id": lambda e: e.service_principal.get("id"),
    "servicePrincipal/displayName": lambda e: e.service_principal.get("displayName"),
    "sourceIdentity/id": lambda e: e.source_id,
    "sourceIdentity/displayName": lambda e: e.source_name,
    "targetIdentity/id": lambda e: e.target_id,
    "targetIdentity/displayName": lambda e: e.target_name,
    "provisioningAction": lambda e: e.action,
    "provisioningStatusInfo/status": lambda e: e.status,
    "activityDateTime": lambda e: e.activity,
}


#: Simulator choice: the entries kept (oldest dropped first); the lab setting ``logRetention`` changes it.
DEFAULT_RETENTION = 200_000


class ProvisioningLogs:
    """The logged entries, oldest first, at most ``retention`` of them, with an index by id."""

    def __init__(self, retention: int = DEFAULT_RETENTION):
        self._entries: deque[LoggedEntry] = deque(maxlen=retention)
        self._by_id: dict[str, LoggedEntry] = {}
        self._lock = threading.Lock()

    def add(self, entry: LoggedEntry) -> None:
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self._by_id.pop(self._entries[0].id, None)
            self._entries.append(entry)
            self._by_id[entry.id] = entry

    def entries(self) -> list[LoggedEntry]:
        with self._lock:
            return list(self._entries)

    def find(self, entry_id: str) -> LoggedEntry | None:
        with self._lock:
            return self._by_id.get(entry_id)

    def set_retention(self, retention: int) -> None:
        """Keep at most ``retention`` entries from now on; the oldest beyond it go at once."""
        with self._lock:
            self._entries = deque(self._entries, maxlen=retention)
            self._by_id = {entry.id: entry for entry in self._entries}

    def clear(self) -> None:
        """Forget every entry and go back to the default retention (a lab reset)."""
        with self._lock:
            self._entries = deque(maxlen=DEFAULT_RETENTION)
            self._by_id = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
