"""The provisioning job's cycle status as the admin center shows it ("Synchronization details"): a plain
view model read from the job's own status (Graph's ``synchronizationStatus``) and the engine's links and
escrows, with no Flask in sight. The overview of provisioning and the Provisioning page render it with
``templates/portal/_cycle_status.html``.

Simulator choice for the progress (Entra does not publish its arithmetic): the objects the job has
provisioned (linked in the target) out of those provisioned plus those waiting in escrow for a retry;
0 % before the initial cycle has run, 100 % when nothing waits. The counts are read without waiting for a
running cycle, so a page opened during a cycle (``--clock real``) shows the links made so far.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LastCycle:
    cycle_id: str
    began: datetime
    ended: datetime | None
    duration_seconds: float
    state: str  # Succeeded | EntryLevelErrors | Failed
    imported: int
    exported: int
    escrowed: int
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class QuarantineView:
    reason: str
    since: datetime
    series_began: datetime
    next_attempt: datetime
    error_code: str
    error_message: str


@dataclass(frozen=True)
class CycleStatus:
    """What "Current cycle status" says. ``phase``: ``not_configured`` (no job), ``not_started``
    (provisioning is off and never ran), ``initial_not_run`` (started, the initial cycle is due),
    ``initial_completed`` / ``incremental_completed`` (after the last cycle), ``failed`` (the last cycle
    stopped)."""

    phase: str
    job_id: str | None = None
    code: str = "NotConfigured"
    schedule_state: str = "Disabled"  # Active | Paused | Disabled
    percent: int = 0
    users_provisioned: int = 0
    users_total: int = 0
    groups_provisioned: int = 0
    groups_total: int = 0
    escrowed: int = 0
    escrows_pruned: bool = False
    steady_state: bool = False
    steady_state_since: datetime | None = None
    next_cycle: datetime | None = None
    last_cycle: LastCycle | None = None
    quarantine: QuarantineView | None = None

    @property
    def running(self) -> bool:
        return self.schedule_state == "Active"

    @property
    def paused(self) -> bool:
        return self.schedule_state == "Paused"


def app_job(entra, sp_id: str):
    """The app's provisioning job (the first one, as the portal shows one), or None."""
    jobs = entra.sync.list_jobs(sp_id)
    return jobs[0] if jobs else None


def cycle_status(entra, sp_id: str, job) -> CycleStatus:
    """The status of ``job`` (of the service principal ``sp_id``), or of no job when ``job`` is None."""
    if job is None:
        return CycleStatus(phase="not_configured")
    rt = job.runtime
    escrows = list(rt.escrows.items())
    links = dict(rt.links.counts)
    pending = {"User": 0, "Group": 0}
    for source_id, escrow in escrows:
        if source_id not in rt.links:
            pending[escrow.object_type] = pending.get(escrow.object_type, 0) + 1
    waiting = sum(1 for source_id, _ in escrows if source_id in rt.links)
    users, groups = links.get("User", 0), links.get("Group", 0)
    users_total, groups_total = users + pending["User"], groups + pending["Group"]
    done, total = users + groups - waiting, users_total + groups_total
    if not rt.initial_done:
        percent = 0
    elif total == 0:
        percent = 100
    else:
        percent = max(0, min(100, (done * 100) // total))
    last = job.last_execution
    if last is not None and last.state == "Failed":
        phase = "failed"
    elif rt.initial_done:
        phase = "incremental_completed" if rt.cycles > 1 else "initial_completed"
    elif job.schedule_state == "Active":
        phase = "initial_not_run"
    else:
        phase = "not_started"
    q = job.quarantine
    steady = bool(job.steady_state_last) and not escrows and q is None and (last is None or last.state == "Succeeded")
    return CycleStatus(
        phase=phase, job_id=job.id, code=job.code, schedule_state=job.schedule_state, percent=percent,
        users_provisioned=users, users_total=users_total, groups_provisioned=groups, groups_total=groups_total,
        escrowed=len(escrows), escrows_pruned=job.escrows_pruned, steady_state=steady,
        steady_state_since=job.steady_state_first if steady else None,
        next_cycle=job.next_due if job.schedule_state == "Active" else None,
        last_cycle=_last_cycle(last),
        quarantine=QuarantineView(reason=q.reason, since=q.current_began, series_began=q.series_began,
                                  next_attempt=q.next_attempt, error_code=q.error_code,
                                  error_message=q.error_message) if q is not None else None)


def _last_cycle(ex) -> LastCycle | None:
    if ex is None:
        return None
    error = ex.error or {}
    return LastCycle(cycle_id=ex.activity_identifier, began=ex.time_began, ended=ex.time_ended,
                     duration_seconds=(ex.time_ended - ex.time_began).total_seconds() if ex.time_ended else 0.0,
                     state=ex.state, imported=ex.count_imported, exported=ex.count_exported,
                     escrowed=ex.count_escrowed, error_code=error.get("code"), error_message=error.get("message"))
