"""Provisioning logs: ``provisioningObjectSummary`` entries (SPEC §3.8), append-only, bounded.

One entry per object per cycle that the engine looked at, skipped ones included. Step names follow
Microsoft's logs: ``EntryImport``, ``EntrySynchronizationScoping``, ``EntryImportMatching`` (simulator
choice: the matching step's name is not published), ``EntryExportAdd``, ``EntryExportUpdate``,
``EntryExportDelete``, ``EntrySynchronizationSkip``.
"""
from __future__ import annotations

import threading
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

    def to_graph(self) -> dict:
        return {"name": self.name, "provisioningStepType": self.step_type, "status": self.status,
                "description": self.description,
                "details": dict(self.details)}


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

    def to_graph(self) -> dict:
        return {
            "id": self.id,
            "activityDateTime": iso(self.activity),
            "changeId": self.change_id,
            "cycleId": self.cycle_id,
            "durationInMilliseconds": self.duration_ms,
            "initiatedBy": dict(INITIATED_BY),
            "jobId": self.job_id,
            "modifiedProperties": list(self.modified),
            "provisioningAction": self.action,
            "provisioningStatusInfo": {"status": self.status, "errorInformation": self.error},
            "provisioningSteps": [s.to_graph() for s in self.steps],
            "servicePrincipal": dict(self.service_principal),
            "sourceIdentity": dict(self.source_identity),
            "sourceSystem": dict(self.source_system),
            "targetIdentity": dict(self.target_identity),
            "targetSystem": dict(self.target_system),
            "tenantId": self.tenant_id,
        }

    def filter_view(self) -> dict[str, Any]:
        """The flat property paths that ``$filter`` may name (SPEC §3.8)."""
        return {
            "id": self.id,
            "jobId": self.job_id,
            "cycleId": self.cycle_id,
            "changeId": self.change_id,
            "servicePrincipal/id": self.service_principal.get("id"),
            "servicePrincipal/displayName": self.service_principal.get("displayName"),
            "sourceIdentity/id": self.source_identity.get("id"),
            "sourceIdentity/displayName": self.source_identity.get("displayName"),
            "targetIdentity/id": self.target_identity.get("id"),
            "targetIdentity/displayName": self.target_identity.get("displayName"),
            "provisioningAction": self.action,
            "provisioningStatusInfo/status": self.status,
            "activityDateTime": self.activity,
        }


class ProvisioningLogs:
    def __init__(self, retention: int = 200_000):
        self._entries: deque[LogEntry] = deque(maxlen=retention)
        self._lock = threading.Lock()

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
