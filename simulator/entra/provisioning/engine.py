"""The provisioning engine: one cycle of one job (SPEC §3.7).

A cycle **imports** (initial: every user and group; incremental: only what the directory's change feed
recorded since the job's watermark, plus escrowed objects), **scopes** each object (assignment, direct
group membership, role eligibility, scoping filters, disabled-and-never-provisioned), **matches** new
objects against the target by the matching attributes in priority order, **exports** creates, updates,
disables and deletes in the job's wire dialect, and writes one provisioning log entry per object it
looked at. Failed objects are escrowed and retried in later cycles; invalid credentials quarantine the
job at once.

Simulator choices (Microsoft does not publish them):

* Objects are processed in the order the directory created them (initial) or changed them
  (incremental); groups after users, so that member references resolve.
* ``SkipOutOfScopeDeletions`` governs objects that leave the scope (unassigned, scoping filter, role no
  longer eligible); soft deletes, disabled accounts and purges are always exported.
* A manager reference is sent only once the manager itself is provisioned.
* When a cycle has more disables + deletes than ``QuarantineTooManyDeletesThreshold`` (and the job setting
  ``QuarantineTooManyDeletes``, the portal's "Prevent accidental deletion", is not "false"), none of them
  runs (each is logged ``stagedDelete``) while creates and updates of the same cycle proceed; the staged
  objects wait for a restart with ``ForceDeletes`` (or are re-evaluated by a restart that clears the
  watermark), and an object that comes back into scope leaves the staged set.
* Nothing inside a cycle escapes it: an unexpected error while processing one object fails that object
  (code ``ServiceIncompatible``, the error named in the reason; escrowed like any failure) and the cycle
  goes on; an error outside the per-object work fails the cycle (``lastExecution.state`` Failed) and the
  schedule continues.
* A filter query answered with 404 (the compliance failure the Test Connection probe reports) fails the
  cycle and quarantines the job at once, like refused credentials (``EncounteredQuarantineException``).
* A 404 on a cached target id fails the object with ``InvalidAnchor`` and forgets the link, so that the
  retry matches the object again (and creates it when it is gone for good).
* A create whose required target attribute (``required`` in the schema's target directory) has no
  value fails with ``MandatoryFieldsMissing`` without sending anything.
* With the lab setting ``tooManyRequestsMode`` = ``honorRetryAfter``, a 429 is retried within the cycle
  after its ``Retry-After`` (1 s when absent, at most 300 s, at most 3 times) on the virtual clock; each
  wait is a ``warning`` step of the object's log entry. The default (``escrow``) escrows the object.
* The log entry of a failure always says "This operation was retried N times. It will be retried again
  after this date: …" (N = earlier failed attempts, 0 on the first failure; the date is the next cycle,
  or the next quarantine attempt).
* Quarantine schedule and thresholds: see ``quarantine.py``.
* Vendor mode (the lab setting ``ownershipGuard``, guard.py): a matching answer whose resources do not
  equal the queried value (``userName``/``displayName`` without regard to letter case, RFC 7643) is never
  linked: the object fails with ``MatchingAnswerMismatch`` and nothing is written, where real Entra
  would link the first resource and overwrite it. A write the guard does not send fails its object with
  ``OwnershipGuardBlocked``. Both are escrowed like any failure. Without the setting (the built-in
  GoToMeeting, QA scenarios) the engine trusts the matching answer as real Entra does.
* Pacing (the lab settings of pacing.py): with ``exportConcurrency`` k above 1, up to k objects are exported
  at once, overlapped on the cycle's own event loop (aio.py; no threads): all requests of one object are
  sent in order by its own greenlet, groups are exported after every user of the cycle, and each object's
  results (its log entry, link, escrow and counters) are committed in planning order, so that the logs, the
  links and the counters equal those of a run one object after another. An object whose manager is exported
  earlier in the same cycle waits for the manager's commit before it computes its values, as it would have
  found the manager's link one after another. A cycle that ends on refused credentials still commits the
  objects already in flight (their requests reached the target), where a run one after another would not
  have sent them. ``honorRetryAfter``'s waits are spent in real time when ``retryAfterWait`` is ``real`` or
  k is above 1 (one shared virtual clock cannot wait for one object), else on the virtual clock;
  ``requestRateLimit`` is always real time.
* Counters (``synchronizationTaskExecution``): ``countImported`` objects read, ``countImportedDeltas``
  changes read (every object on a full import), ``countImportedReferenceDeltas`` membership changes read,
  ``countEntitled`` / ``countEntitledForProvisioning`` processed objects in scope, ``countExports``
  objects whose export was attempted, ``countExported`` those that succeeded, ``countEscrowed`` /
  ``countEscrowedRaw`` objects in escrow after the cycle. ``lastSuccessfulExecution`` is the last cycle
  without any error, ``lastSuccessfulExecutionWithExports`` the last such cycle that exported something;
  steady state is reached by a cycle that leaves nothing in escrow and the job out of quarantine.
"""
from __future__ import annotations

import asyncio
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ...core.clock import iso
from . import aio
from ..sync.model import Escrow, Link, Quarantine, TaskExecution
from .credentials import CredentialError, bearer_token
from .dialects import (Dialect, FilterValueError, build_add_members, build_create_group, build_create_user,
                       build_remove_members, build_update_user, group_query, matching_query,
                       split_base_address)
from .expressions import AppRoleAssignmentView, SourceObject, is_true
from .guard import describe, equal_for_matching
from .logs import LogEntry, LoggedEntry, Step
from .mappings import (TargetPlan, attribute_definitions, compute_target, find_object_mapping, in_scope,
                       matching_attributes, object_definition, object_mappings, target_attribute_types)
from .outcomes import Failure, classify, incompatible, read_attribute, same_value, unexpected
from .probe import LIST_RESPONSE, NOT_FOUND, connector_prefix, target_client
from .quarantine import PROPORTION, TOTAL, escrow_threshold_reason, next_attempt, should_disable

SOURCE_SYSTEM = {"id": "", "displayName": "Azure Active Directory", "details": {}}
MEMBERS = "members"

NOT_ASSIGNED = ("This object is not assigned to the application. If you did not expect the object to be skipped, "
                "assign the object to the application or change the scoping filter.")
NOT_ENTITLED = ("This object does not have required entitlement for provisioning. If you did not expect the object "
                "to be skipped, update provisioning scope to 'Sync all users and groups' or assign the object to "
                "the application with entitlement of provisioning category.")
OUT_OF_SCOPE = ("The object is out of the scope of the application's scoping filters. If you did not expect the "
                "object to be skipped, change the scoping filter.")
DISABLED_NEVER_PROVISIONED = ("The user is disabled (or deleted) in Microsoft Entra ID and was never provisioned; "
                              "it is not created in the target.")
REDUNDANT = ("The target already has the values of this object; no request was needed.")

#: Simulator choice: how often a 429 is retried within the cycle in ``honorRetryAfter`` mode, and the
#: longest ``Retry-After`` honoured.
HONOR_RETRY_ATTEMPTS = 3
HONOR_RETRY_MAX_SECONDS = 300.0

#: The object whose work runs here (a cycle's thread, or an overlapped object's greenlet).
_CURRENT_TX: ContextVar["_Tx | None"] = ContextVar("entra_export_object", default=None)


class CycleAborted(Exception):
    """The cycle cannot go on (credentials refused): the job is quarantined."""

    def __init__(self, failure: Failure):
        super().__init__(failure.reason)
        self.failure = failure


@dataclass
class Scope:
    in_scope: bool
    reason: str = ""  # NotEffectivelyEntitled | OutOfScope | ...
    description: str = ""
    assignments: list[AppRoleAssignmentView] = field(default_factory=list)


@dataclass
class Work:
    """One object's planned processing in this cycle."""

    source_id: str
    object_type: str  # User | Group
    source: Any = None  # the directory object (None once purged)
    action: str = ""  # export | disable | delete | forget | skip
    scope: Scope | None = None
    display_name: str = ""
    why: str = ""  # softDeleted | disabled | outOfScope | purged
    error: Exception | None = None  # planning failed (action "error")


@dataclass(eq=False)
class _Tx:
    """One object's processing in this cycle: its log entry and what it changed, committed in planning
    order (``Engine._commit``) once its work is done."""

    item: Work
    entry: LogEntry
    work: Callable[[Work, LogEntry], None] | None = None  # the export; None: nothing to send
    position: int = 0
    attempted: bool = False
    exported: int = 0
    failed: bool = False
    link_ops: list = field(default_factory=list)  # (source id, Link or None to drop), in order
    escrow: Escrow | None = None
    aborted: CycleAborted | None = None
    future: Any = None


class Engine:
    def __init__(self, sync, sp_id: str, job, *, dialect_override: Dialect | None = None,
                 on_demand: bool = False):
        self.sync = sync
        self.entra = sync.entra
        self.sp = sync.service_principal(sp_id)
        self.sp_id = sp_id
        self.job = job
        self.rt = job.runtime
        self.directory = self.entra.directory
        self.clock = self.entra.lab.clock
        self.rand = self.entra.lab.rand
        self.prefix = connector_prefix(self.sp)
        # One dict each for every log entry of this cycle (entries copy them when rendered): a cycle of
        # 100,000 objects keeps 100,000 entries, and these would otherwise be 300,000 small dicts.
        self._service_principal_ref = {"id": self.sp.id, "displayName": self.sp.display_name}
        self._target_system_ref = {"id": self.sp.id, "displayName": self.sp.display_name, "details": {}}
        self.secrets = sync.secrets(sp_id)
        self.sync_all = self.secrets.get("SyncAll", "false").lower() == "true"
        self.skip_out_of_scope = self.secrets.get("SkipOutOfScopeDeletions", "false").lower() == "true"
        base_url, dialect = split_base_address(self.secrets.get("BaseAddress", ""))
        self.base_url = base_url
        self.dialect = dialect_override or dialect
        self.on_demand = on_demand
        self.schema = job.schema
        self.user_mapping = find_object_mapping(self.schema, "User")
        self.group_mapping = find_object_mapping(self.schema, "Group")
        self.user_types = target_attribute_types(self.schema, self.user_mapping) if self.user_mapping else {}
        self.group_types = target_attribute_types(self.schema, self.group_mapping) if self.group_mapping else {}
        self.user_required = _required_targets(self.schema, self.user_mapping) if self.user_mapping else []
        self._user_plan = TargetPlan(self.user_mapping) if self.user_mapping is not None else None
        self._user_matching: list | None = None
        self.cycle_id = self.rand.stream("entra.sync.cycles").uuid()
        self.logs: list[LoggedEntry] = []
        self.exec: TaskExecution | None = None
        self.client = None
        self._assignments: dict[str, list] | None = None
        self._roles = {role.id: role for role in self.sp.app_roles}
        self.failures = 0
        self.events = 0
        settings = sync.settings
        self.concurrency = 1 if on_demand else max(1, int(settings.get("exportConcurrency", 1)))
        self.real_waits = self.concurrency > 1 or settings.get("retryAfterWait") == "real"
        self.metrics = sync.metrics if settings.get("requestMetrics") else None
        self._positions: dict[str, int] | None = None  # overlapped export: planning position by source id
        self._committed = -1
        self._commit_signal: asyncio.Future | None = None  # resolved at the next commit, if awaited
        self._stopping = False

    # ================================================================================================
    # The cycle
    # ================================================================================================
    def run_cycle(self) -> dict:
        job, rt = self.job, self.rt
        now = self.clock.now()
        initial = rt.watermark is None
        self.exec = TaskExecution(activity_identifier=self.cycle_id, time_began=now)
        try:
            token = bearer_token(self.sync, self.sp_id, self.secrets)
        except CredentialError as exc:
            return self._abort(Failure("Unauthorized", f"The target's credentials could not be refreshed: {exc}",
                                       credentials=True))
        self.client = target_client(self.sync, self.base_url, token, paced=True)
        try:
            upto = self.directory.current_seq()
            users, groups, deltas, reference_deltas = self._import(initial, upto)
            self.exec.count_imported = len(users) + len(groups)
            self.exec.count_imported_deltas = deltas
            self.exec.count_imported_reference_deltas = reference_deltas
            work = [self._plan_user(uid) for uid in users]
            self._stage_deletes(work)
            touched_groups: set[str] = set(groups)
            if self.metrics is not None:
                self.metrics.cycle_began(self.cycle_id, len(work))
            self._run_objects(work, self._begin_user, touched_groups)
            if self.group_mapping is not None and self.group_mapping.get("enabled", True):
                ordered = self._order_groups(touched_groups)
                if self.metrics is not None:
                    self.metrics.phase("groups", len(ordered))
                self._run_objects(ordered, self._begin_group)
        except CycleAborted as aborted:
            return self._abort(aborted.failure)
        finally:
            self.client.close()
        rt.watermark = upto
        rt.force_deletes = False
        rt.initial_done = True
        rt.cycles += 1
        return self._finish(initial)

    def fail_cycle(self, exc: Exception) -> dict:
        """The cycle stopped on an error outside the per-object work: record a failed execution (no
        quarantine; the schedule goes on) instead of letting the error reach the clock."""
        now = self.clock.now()
        ex = self.exec or TaskExecution(activity_identifier=self.cycle_id, time_began=now)
        ex.state, ex.time_ended = "Failed", now
        ex.error = {"code": f"{self.prefix}CycleFailed", "tenantActionable": False,
                    "message": f"The cycle stopped unexpectedly ({type(exc).__name__}: {exc}); it runs again "
                               "at the next scheduled time."}
        self.job.last_execution = ex
        self.job.count_successive_complete_failures += 1
        return {"cycleId": self.cycle_id, "state": "Failed", "execution": ex.to_graph(), "logEntries": len(self.logs)}

    def run_on_demand(self, subjects: list[tuple[str, str]]) -> dict:
        """Provision one user, or one group and its (at most 5) members, now; answer Graph's
        ``stringKeyStringValuePair`` whose ``key`` and ``value`` are JSON strings.

        Simulator choice for the two strings (Microsoft documents only that both are JSON): ``key`` is the
        outcome ``{"result": Success|Failure|Skipped, "action", "sourceIdentity", "targetIdentity"}``;
        ``value`` the details ``{"provisioningSteps", "modifiedProperties", "errorInformation",
        "entries"}`` where ``entries`` are the provisioning log entries written (the group's members
        included). For a group the mapping does not provision (GoToMeeting), the outcome sums up its
        members: Failure if one failed, else Success if one was exported, else Skipped."""
        import json

        from ..sync.model import SyncError

        object_id, object_type = subjects[0]
        obj = self.directory.find_object(object_id)
        if obj is None or obj.object_type != object_type.lower():
            raise SyncError(404, f"Resource '{object_id}' does not exist or one of its queried reference-property "
                                 "objects are not present.", "Request_ResourceNotFound")
        self.exec = TaskExecution(activity_identifier=self.cycle_id, time_began=self.clock.now())
        try:
            token = bearer_token(self.sync, self.sp_id, self.secrets)
        except CredentialError as exc:
            raise SyncError(400, f"The target's credentials are not usable: {exc}", "BadRequest") from None
        self.client = target_client(self.sync, self.base_url, token)
        try:
            if object_type == "User":
                self._run_user(self._plan_user(object_id))
            else:
                members = self._member_user_ids(object_id)
                if len(members) > 5:
                    raise SyncError(400, "Provision on demand handles groups of at most 5 members.", "BadRequest")
                for member_id in members:
                    self._run_user(self._plan_user(member_id))
                if self.group_mapping is not None:
                    self._run_group(object_id)
        except CycleAborted as aborted:
            raise SyncError(400, aborted.failure.reason, f"{self.prefix}{aborted.failure.code}") from None
        finally:
            self.client.close()
        entries = [e.to_graph() for e in self.logs]
        main = next((e for e in entries if e["sourceIdentity"]["id"] == object_id), None)
        if main is not None:
            status = main["provisioningStatusInfo"]["status"]
            outcome = {"result": _RESULTS.get(status, "Skipped"), "action": main["provisioningAction"],
                       "sourceIdentity": main["sourceIdentity"], "targetIdentity": main["targetIdentity"]}
        else:  # a group the mapping does not provision: the outcome of its members
            statuses = {e["provisioningStatusInfo"]["status"] for e in entries}
            result = "Failure" if "failure" in statuses else "Success" if "success" in statuses else "Skipped"
            outcome = {"result": result, "action": "other",
                       "sourceIdentity": {"id": object_id, "displayName": obj.display_name, "identityType": "Group",
                                          "details": {}},
                       "targetIdentity": None}
        details = {"provisioningSteps": main["provisioningSteps"] if main else [],
                   "modifiedProperties": main["modifiedProperties"] if main else [],
                   "errorInformation": main["provisioningStatusInfo"]["errorInformation"] if main else None,
                   "entries": entries}
        return {"key": json.dumps(outcome, separators=(",", ":")), "value": json.dumps(details, separators=(",", ":"))}

    # -- import -------------------------------------------------------------------------------------
    def _import(self, initial: bool, upto: int) -> tuple[list[str], list[str], int, int]:
        """(user ids, group ids, deltas read, reference deltas read) to look at in this cycle."""
        users: dict[str, None] = {}
        groups: dict[str, None] = {}
        deltas = reference_deltas = 0
        if not initial:
            from ..directory.changes import WatermarkExpired

            try:
                changes = self.directory.changes_since(self.rt.watermark, upto)
            except WatermarkExpired:
                initial = True
            else:
                deltas = len(changes)
                for change in changes:
                    self._collect_change(change, users, groups)
                    reference_deltas += 1 if change.member_id else 0
        if initial:
            for user in self.directory.iter_users():
                users[user.id] = None
            for group in self.directory.iter_groups():
                groups[group.id] = None
            for source_id, link in self.rt.links.items():  # linked objects now deleted or purged
                (groups if link.object_type == "Group" else users).setdefault(source_id, None)
            deltas = len(users) + len(groups)
        for source_id in list(self.rt.escrows):
            obj_type = self.rt.escrows[source_id].object_type
            (groups if obj_type == "Group" else users).setdefault(source_id, None)
        if self.rt.force_deletes:
            for source_id in self.rt.links:  # the link order keeps the requests' order reproducible
                if source_id in self.rt.staged_deletes:
                    users.setdefault(source_id, None)
        return list(users), list(groups), deltas, reference_deltas

    def _collect_change(self, change, users: dict, groups: dict) -> None:
        kind = change.object_type.lower()
        if kind == "user":
            users.setdefault(change.object_id, None)
        elif kind == "group":
            groups.setdefault(change.object_id, None)
            if change.member_id and self._is_user(change.member_id):
                users.setdefault(change.member_id, None)
            elif change.kind in ("softDeleted", "restored", "purged", "deleted"):
                for member_id in self._member_user_ids(change.object_id):
                    users.setdefault(member_id, None)
        elif kind == "approleassignment":
            principal = self.directory.find_object(change.object_id)
            if principal is None or principal.object_type == "user":
                users.setdefault(change.object_id, None)
            else:
                groups.setdefault(change.object_id, None)
                for member_id in self._member_user_ids(change.object_id):
                    users.setdefault(member_id, None)

    def _is_user(self, object_id: str) -> bool:
        obj = self.directory.find_object(object_id)
        if obj is not None:
            return obj.object_type == "user"
        link = self.rt.links.get(object_id)
        return link is not None and link.object_type == "User"

    def _member_user_ids(self, group_id: str) -> list[str]:
        group = self.directory.find_object(group_id)
        if group is None:
            return []
        return [mid for mid, mtype in list(group.members.items()) if mtype == "user"]

    def _direct_group_ids(self, user_id: str) -> list[str]:
        try:
            return [g.id for g in self.directory.list_member_of(user_id)]
        except Exception:  # noqa: BLE001 - a deleted or purged user belongs to no live group
            return []

    # -- scope --------------------------------------------------------------------------------------
    def assignments(self) -> dict[str, list]:
        if self._assignments is None:
            index: dict[str, list] = {}
            for assignment in self.entra.apps.assignments_for_service_principal(self.sp.id):
                index.setdefault(assignment.principal_id, []).append(assignment)
            self._assignments = index
        return self._assignments

    def _assignment_views(self, assignments: list) -> list[AppRoleAssignmentView]:
        views = []
        for a in sorted(assignments, key=lambda a: (a.created, a.id)):
            role = self._roles.get(a.app_role_id)
            views.append(AppRoleAssignmentView(app_role_id=a.app_role_id, value=role.value if role else None,
                                               display_name=role.display_name if role else None,
                                               principal_type=a.principal_type, created_date_time=a.created))
        return views

    def user_scope(self, user) -> Scope:
        index = self.assignments()
        direct = list(index.get(user.id, []))
        via_groups = [a for gid in self._direct_group_ids(user.id) for a in index.get(gid, [])]
        every = direct + via_groups
        if not every and not self.sync_all:
            return Scope(False, "NotEffectivelyEntitled", NOT_ASSIGNED)
        eligible = every if self.sp.default_access_eligible else [
            a for a in every if not (self._roles.get(a.app_role_id) and self._roles[a.app_role_id].is_default_access)
            and a.app_role_id != "00000000-0000-0000-0000-000000000000"]
        if every and not eligible and not self.sync_all:
            return Scope(False, "NotEffectivelyEntitled", NOT_ENTITLED)
        views = self._assignment_views(eligible)
        source = self._source(user, views)
        scope_filter = (self.user_mapping or {}).get("scope")
        if scope_filter and not in_scope(scope_filter, source):
            return Scope(False, "OutOfScope", OUT_OF_SCOPE, views)
        return Scope(True, assignments=views)

    def _source(self, obj, views: list[AppRoleAssignmentView] | None = None, soft_deleted: bool = False):
        props = dict(obj.props)
        props["id"] = obj.id
        if getattr(obj, "manager_id", None):
            props["manager"] = obj.manager_id
        return SourceObject(props, is_soft_deleted=soft_deleted or obj.is_deleted,
                            app_role_assignments=list(views or []),
                            object_type="User" if obj.object_type == "user" else "Group")

    # -- planning -----------------------------------------------------------------------------------
    def _plan_user(self, uid: str) -> Work:
        try:
            return self._plan_user_unguarded(uid)
        except Exception as exc:  # noqa: BLE001 - the object fails in _run_user, the cycle goes on
            obj = self.directory.find_object(uid)
            return Work(uid, "User", obj, action="error", display_name=obj.display_name if obj else "", error=exc)

    def _plan_user_unguarded(self, uid: str) -> Work:
        obj = self.directory.find_object(uid)
        link = self.rt.links.get(uid)
        item = Work(uid, "User", obj, display_name=(obj.display_name if obj else (link.display_name if link else "")))
        if obj is None:
            item.action, item.why = ("delete", "purged") if link else ("gone", "")
            return item
        if obj.is_deleted:
            if link is None:
                item.action, item.why = "skip", "deleted"
                item.scope = Scope(False, "NotEffectivelyEntitled", DISABLED_NEVER_PROVISIONED)
            else:
                item.action, item.why = ("disable", "softDeleted") if link.active else ("noop", "softDeleted")
            return item
        scope = self.user_scope(obj)
        item.scope = scope
        if scope.in_scope:
            if link is None and not obj.account_enabled:
                item.action, item.why = "skip", "disabled"
            else:
                item.action = "export"
            return item
        if link is None:
            item.action = "skip"
        elif self.skip_out_of_scope:
            item.action, item.why = "forget", "outOfScope"
        elif link.active:
            item.action, item.why = "disable", "outOfScope"
        else:
            item.action, item.why = "forget", "outOfScope"
        return item

    def _stage_deletes(self, work: list[Work]) -> None:
        deprovisions = [w for w in work if w.action in ("disable", "delete")]
        self.rt.staged_deletes.difference_update(w.source_id for w in work if w.action not in ("disable", "delete"))
        try:
            threshold = int(self.job.settings.get("QuarantineTooManyDeletesThreshold", "500"))
        except ValueError:
            threshold = 500
        prevent = self.job.settings.get("QuarantineTooManyDeletes", "true") != "false"
        if not prevent or self.rt.force_deletes or self.on_demand or len(deprovisions) <= threshold:
            self.rt.staged_deletes.difference_update(w.source_id for w in deprovisions)
            return
        for w in deprovisions:
            w.action = "staged"
            self.rt.staged_deletes.add(w.source_id)
        self._quarantine("TooManyDeletes", "QuarantineTooManyDeletes",
                         f"{len(deprovisions)} deletions and disables were staged in one cycle, more than the "
                         f"threshold of {threshold}. Review them and restart the job with ForceDeletes to let them "
                         "through.")

    # ================================================================================================
    # Users
    # ================================================================================================
    def _run_user(self, item: Work) -> None:
        tx = self._begin_user(item)
        if tx is not None:
            self._work(tx)
            self._commit(tx)

    def _begin_user(self, item: Work) -> _Tx | None:
        """The planning-order part of one user's processing: counted, its log entry begun."""
        action = item.action
        if action == "gone":  # never provisioned and purged: an escrow of it has nothing left to retry
            self.rt.escrows.pop(item.source_id, None)
            return None
        self.events += 1
        if item.scope is not None and item.scope.in_scope:
            self.exec.count_entitled += 1
            self.exec.count_entitled_for_provisioning += 1
        entry = self._entry(item)
        tx = _Tx(item, entry)
        if action == "skip":
            self._skip(entry, item)
        elif action == "noop":
            entry.action, entry.status = "other", "skipped"
            entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped", REDUNDANT,
                                    {"SkipReason": "RedundantExport"}))
        elif action == "forget":
            tx.link_ops.append((item.source_id, None))
            entry.action, entry.status = "other", "skipped"
            entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped",
                                    "The user left the scope; SkipOutOfScopeDeletions is on (or it was already "
                                    "disabled): no request is sent and the user is no longer managed.",
                                    {"SkipReason": "OutOfScope"}))
        elif action == "staged":
            entry.action, entry.status = "stagedDelete", "skipped"
            entry.steps.append(Step("EntryExportDelete", "export", "skipped",
                                    "The deletion was staged: the cycle exceeded the accidental deletions "
                                    "threshold.", {"SkipReason": "TooManyDeletes"}))
        else:
            tx.work = {"disable": self._disable, "delete": self._delete,
                       "error": self._raise_planning_error}.get(action, self._export_user)
        return tx

    # -- one object's work, and its commit in planning order ----------------------------------------
    def _run_objects(self, items: Iterable, begin: Callable[[Any], _Tx | None],
                     touched_groups: set[str] | None = None) -> None:
        """Process ``items`` (users or group ids) in planning order: one after another, or by
        ``exportConcurrency`` workers with each object's results committed in planning order."""
        if self.concurrency <= 1:
            for subject in items:
                tx = begin(subject)
                if tx is not None:
                    self._work(tx)
                    self._commit(tx)
                if touched_groups is not None:
                    self._touch_groups(subject, touched_groups)
            return
        aio.run(self._overlap(items, begin, touched_groups))

    async def _overlap(self, items: Iterable, begin: Callable[[Any], _Tx | None],
                       touched_groups: set[str] | None) -> None:
        """``_run_objects`` with ``exportConcurrency`` objects' work overlapped on this thread's event loop
        (aio.py): planned and committed here, in planning order; each object's work in a greenlet of its
        own, at most ``concurrency`` of them under way."""
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.concurrency)
        window: deque[_Tx] = deque()
        depth = 4 * self.concurrency  # objects begun but not committed: bounded, so memory is too
        self._positions, self._committed, self._stopping = {}, -1, False
        aborted: CycleAborted | None = None

        async def work(tx: _Tx) -> None:
            async with slots:
                await aio.run_sync(self._work, tx)

        try:
            for subject in items:
                if aborted is not None:
                    break
                tx = begin(subject)
                if touched_groups is not None:
                    self._touch_groups(subject, touched_groups)
                if tx is None:
                    continue
                tx.position = len(self._positions)
                self._positions[tx.item.source_id] = tx.position
                tx.future = loop.create_task(work(tx)) if tx.work is not None else None
                window.append(tx)
                while len(window) >= depth:
                    aborted = await self._commit_next(window) or aborted
            while window:
                aborted = await self._commit_next(window) or aborted
        finally:
            self._stopping = True
            self._signal_commit()
            pending = [tx.future for tx in window if tx.future is not None]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self.client.aclose()
            self._positions = None
        if aborted is not None:
            raise aborted

    def _touch_groups(self, item: Work, touched_groups: set[str]) -> None:
        if item.source is not None and item.object_type == "User":
            touched_groups.update(self._direct_group_ids(item.source_id))

    async def _commit_next(self, window: deque) -> CycleAborted | None:
        tx = window[0]
        if tx.future is not None:
            await tx.future
        window.popleft()
        try:
            self._commit(tx)
        except CycleAborted as aborted:
            return aborted
        finally:
            self._committed = tx.position
            self._signal_commit()
        return None

    def _signal_commit(self) -> None:
        signal, self._commit_signal = self._commit_signal, None
        if signal is not None and not signal.done():
            signal.set_result(None)

    async def _until_committed(self, position: int) -> None:
        while self._committed < position and not self._stopping:
            if self._commit_signal is None:
                self._commit_signal = asyncio.get_running_loop().create_future()
            await self._commit_signal

    def _work(self, tx: _Tx) -> None:
        """Run one object's export (in its greenlet, or in place); whatever goes wrong fails that object only
        (credentials and the compliance failure end the cycle, after the object's entry is committed)."""
        if tx.work is None:
            return
        current = _CURRENT_TX.set(tx)
        item, entry = tx.item, tx.entry
        try:
            tx.work(item, entry)
        except _ObjectFailed as failed:
            self._fail(item, entry, failed.failure)
        except CycleAborted as aborted:
            self._fail(item, entry, aborted.failure)
            tx.aborted = aborted
        except Exception as exc:  # noqa: BLE001 - one object's surprise never ends the cycle
            self._fail(item, entry, unexpected(exc))
        finally:
            _CURRENT_TX.reset(current)

    def _commit(self, tx: _Tx) -> None:
        """Apply one object's results, in planning order: links, escrow, counters, its log entry."""
        links = self.rt.links
        for source_id, link in tx.link_ops:
            if link is None:
                links.pop(source_id, None)
            else:
                links[source_id] = link
        if tx.escrow is not None:
            self.rt.escrows[tx.item.source_id] = tx.escrow
        if tx.failed:
            self.failures += 1
        self.exec.count_exported += tx.exported
        if tx.attempted:
            self.exec.count_exports += 1
        self._log(tx.entry)
        if self.metrics is not None:
            self.metrics.object_done(tx.attempted)
        if tx.aborted is not None:
            raise tx.aborted

    def _tx(self) -> _Tx:
        return _CURRENT_TX.get()

    def _link(self, source_id: str) -> Link | None:
        """The object's link as its own work left it, else as committed."""
        tx = _CURRENT_TX.get()
        if tx is not None:
            for sid, link in reversed(tx.link_ops):
                if sid == source_id:
                    return link
        return self.rt.links.get(source_id)

    def _set_link(self, source_id: str, link: Link | None) -> None:
        self._tx().link_ops.append((source_id, link))

    def _committed_link(self, source_id: str) -> Link | None:
        """Another object's link as a run one after another would find it now: an object planned earlier
        in this cycle is waited for until its results are committed."""
        positions = self._positions
        if positions is not None:
            position = positions.get(source_id)
            if position is not None and position < self._tx().position and self._committed < position:
                aio.wait_for(self._until_committed(position))
        return self.rt.links.get(source_id)

    @staticmethod
    def _raise_planning_error(item: Work, entry: LogEntry) -> None:
        raise item.error

    def _skip(self, entry: LogEntry, item: Work) -> None:
        entry.action, entry.status = "other", "skipped"
        scope = item.scope or Scope(False, "NotEffectivelyEntitled", NOT_ASSIGNED)
        reason = scope.reason or "NotEffectivelyEntitled"
        description = scope.description
        if item.why == "disabled":
            reason, description = "NotEffectivelyEntitled", DISABLED_NEVER_PROVISIONED
        entry.steps.append(Step("EntrySynchronizationScoping", "scoping", "skipped", description,
                                {"SkipReason": reason}))
        entry.error = {"errorCode": None, "reason": description, "additionalDetails": reason,
                       "errorCategory": None, "recommendedAction": None}

    def _export_user(self, item: Work, entry: LogEntry) -> None:
        obj = item.source
        views = item.scope.assignments if item.scope else []
        source = self._source(obj, views)
        link = self._link(item.source_id)
        entry.steps.append(Step("EntrySynchronizationScoping", "scoping", "success",
                                f"Determined that User {obj.display_name} is in scope."))
        if link is None:
            self._match_or_create(item, entry, source)
        else:
            self._update(item, entry, source, link)

    def _target_values(self, source: SourceObject, creating: bool) -> dict[str, Any]:
        values = compute_target(self.user_mapping, source, creating=creating, plan=self._user_plan)
        manager_attr = next((k for k in values if k.lower().endswith(":manager") or k == "manager"), None)
        if manager_attr is not None:
            link = self._committed_link(str(values[manager_attr]))
            if link is None:
                values.pop(manager_attr)
            else:
                values[manager_attr] = link.target_id
        return values

    def _match_or_create(self, item: Work, entry: LogEntry, source: SourceObject) -> None:
        values = self._target_values(source, creating=True)
        found = None
        if self._user_matching is None:  # once per cycle: the mapping does not change within it
            self._user_matching = matching_attributes(self.user_mapping)
        for attribute, _ in self._user_matching:
            value = values.get(attribute)
            if value is None:
                continue
            try:
                query = matching_query(attribute, value)
            except FilterValueError as exc:
                raise _ObjectFailed(Failure("InvalidMatchingValue", f"The object cannot be matched: {exc}.",
                                            transient=False)) from None
            resp = self._send("GET", f"/Users?{query}", operation="match")
            resources = self._list_resources(resp)
            self._check_matching_answer(item, f"/Users?{query}", attribute, value, resources)
            if len(resources) > 1:
                ids = ", ".join(str(r.get("id")) for r in resources[:5])
                raise _ObjectFailed(Failure("DuplicateTargetEntries",
                                            f"More than one target user has {attribute} equal to '{value}' ({ids}).",
                                            transient=False))
            entry.steps.append(Step("EntryImportMatching", "matching", "success",
                                    f"Matching {attribute} '{value}': {len(resources)} target user(s) found.",
                                    {"MatchingAttribute": attribute}))
            if resources:
                found = resources[0]
                break
        if found is not None:
            target_id = str(found.get("id"))
            current = {name: read_attribute(found, name) for name in values}
            link = Link(target_id=target_id, values=current, active=is_true(found.get("active", True)),
                        display_name=item.display_name, object_type="User")
            self._set_link(item.source_id, link)
            entry.target_identity["id"] = target_id
            self._update(item, entry, source, link, matched=True)
            return
        missing = [name for name in self.user_required if values.get(name) in (None, "", [])]
        entry.action = "create"
        if missing:
            raise _ObjectFailed(Failure("MandatoryFieldsMissing",
                                        f"The target requires {', '.join(missing)}, which the attribute mappings give "
                                        "no value for this object; nothing was sent.", transient=False))
        body = build_create_user(values, self.dialect, attribute_types=self.user_types)
        resp = self._send("POST", "/Users", body, operation="create")
        target_id = self._created_id(resp, "user")
        self._set_link(item.source_id, Link(target_id=target_id, values=dict(values),
                                            active=is_true(values.get("active", True)),
                                            display_name=item.display_name, object_type="User"))
        entry.action, entry.status = "create", "success"
        entry.target_identity["id"] = target_id
        entry.modified = [{"displayName": k, "oldValue": None, "newValue": _text(v)} for k, v in values.items()]
        entry.steps.append(Step("EntryExportAdd", "export", "success",
                                f"User '{item.display_name}' was created in {self.sp.display_name}.",
                                {"TargetId": target_id}))
        self._tx().exported += 1

    def _update(self, item: Work, entry: LogEntry, source: SourceObject, link: Link, matched: bool = False) -> None:
        values = self._target_values(source, creating=False)
        changed: dict[str, tuple[Any, Any]] = {}
        for name, new in values.items():
            old = link.values.get(name)
            if not same_value(old, new, self.user_types.get(name) == "Boolean"):
                changed[name] = (old, new)
        entry.target_identity["id"] = link.target_id
        body = build_update_user(changed, self.dialect, attribute_types=self.user_types) if changed else None
        if body is None:
            entry.action, entry.status = "other", "skipped"
            entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped", REDUNDANT,
                                    {"SkipReason": "RedundantExport"}))
            return
        was_active = link.active
        going_inactive = "active" in changed and not is_true(changed["active"][1])
        entry.action = "disable" if was_active and going_inactive else "update"
        self._send("PATCH", f"/Users/{link.target_id}", body, operation="update")
        for name, (_, new) in changed.items():
            link.values[name] = new
        if "active" in changed:
            link.active = is_true(changed["active"][1])
        entry.action = "disable" if was_active and not link.active else "update"
        entry.status = "success"
        entry.modified = [{"displayName": k, "oldValue": _text(o), "newValue": _text(n)} for k, (o, n) in changed.items()]
        entry.steps.append(Step("EntryExportUpdate", "export", "success",
                                f"User '{item.display_name}' was updated in {self.sp.display_name}"
                                + (" (matched by its matching attributes)." if matched else "."),
                                {"TargetId": link.target_id}))
        self._tx().exported += 1

    def _disable(self, item: Work, entry: LogEntry) -> None:
        link = self._link(item.source_id)
        entry.target_identity["id"] = link.target_id
        changed = {"active": (link.values.get("active", "True"), "False")}
        body = build_update_user(changed, self.dialect, attribute_types=self.user_types or {"active": "Boolean"})
        self._send("PATCH", f"/Users/{link.target_id}", body, operation="update")
        link.active = False
        link.values["active"] = "False"
        entry.action, entry.status = "disable", "success"
        entry.modified = [{"displayName": "active", "oldValue": "True", "newValue": "False"}]
        why = {"softDeleted": "was deleted in Microsoft Entra ID", "outOfScope": "left the scope"}.get(item.why, "")
        entry.steps.append(Step("EntryExportUpdate", "export", "success",
                                f"User '{item.display_name}' {why}; it was disabled in {self.sp.display_name}.",
                                {"TargetId": link.target_id}))
        if item.why == "outOfScope":
            self._set_link(item.source_id, None)
        self._tx().exported += 1

    def _delete(self, item: Work, entry: LogEntry) -> None:
        """DELETE a purged user, or a group that left the scope (a 404 means it is already gone)."""
        link = self._link(item.source_id)
        entry.target_identity["id"] = link.target_id
        collection = "Users" if item.object_type == "User" else "Groups"
        resp = self._send("DELETE", f"/{collection}/{link.target_id}", operation="delete", accept=(404,))
        self._set_link(item.source_id, None)
        entry.action, entry.status = "delete", "success"
        why = " left the scope and" if item.object_type == "Group" else ""
        entry.steps.append(Step("EntryExportDelete", "export", "success",
                                f"{item.object_type} '{item.display_name}'{why} was deleted from "
                                f"{self.sp.display_name}" + (" (it was already gone)." if resp.status == 404 else "."),
                                {"TargetId": link.target_id}))
        self._tx().exported += 1

    # ================================================================================================
    # Groups (templates whose schema maps them)
    # ================================================================================================
    def _order_groups(self, group_ids: set[str]) -> list[str]:
        def key(gid):
            obj = self.directory.find_object(gid)
            return (getattr(obj, "ordinal", 1 << 62), gid)
        return sorted(group_ids, key=key)

    def _group_in_scope(self, group) -> bool:
        if self.sync_all:
            return True
        return bool(self.assignments().get(group.id))

    def _run_group(self, gid: str) -> None:
        tx = self._begin_group(gid)
        if tx is not None:
            self._work(tx)
            self._commit(tx)

    def _begin_group(self, gid: str) -> _Tx | None:
        obj = self.directory.find_object(gid)
        link = self.rt.links.get(gid)
        live = obj is not None and not obj.is_deleted and obj.object_type == "group"
        if live and not self._group_in_scope(obj):
            live = False
            if link is None:  # never provisioned and not assigned: not looked at, unless escrowed
                return self._left_scope_in_escrow(gid, obj)
        if not live and link is None:
            return self._left_scope_in_escrow(gid, obj)
        item = Work(gid, "Group", obj, action="export" if live else "delete",
                    display_name=(obj.display_name if obj else link.display_name))
        self.events += 1
        if live:
            self.exec.count_entitled += 1
            self.exec.count_entitled_for_provisioning += 1
        return _Tx(item, self._entry(item), self._export_group if live else self._delete)

    def _left_scope_in_escrow(self, gid: str, obj) -> _Tx | None:
        """A group escrowed while it was in scope (a 429 on its create, say) that has left it before it
        was provisioned: as a user in that case, it is skipped (its log entry says why) and so leaves the
        escrow; deleted, it just leaves the escrow. Not escrowed: not looked at."""
        if gid not in self.rt.escrows:
            return None
        if obj is None or obj.is_deleted or obj.object_type != "group":
            self.rt.escrows.pop(gid, None)
            return None
        self.events += 1
        item = Work(gid, "Group", obj, action="skip", display_name=obj.display_name,
                    scope=Scope(False, "NotEffectivelyEntitled", NOT_ASSIGNED))
        entry = self._entry(item)
        self._skip(entry, item)
        return _Tx(item, entry)

    def _export_group(self, item: Work, entry: LogEntry) -> None:
        group = item.source
        source = self._source(group)
        values = compute_target(self.group_mapping, source, creating=True)
        values.pop(MEMBERS, None)
        link = self._link(group.id)
        if link is None:
            query = f"/Groups?{group_query(group.display_name)}"
            found = self._list_resources(self._send("GET", query, operation="match"))
            self._check_matching_answer(item, query, "displayName", group.display_name, found)
            if len(found) > 1:
                raise _ObjectFailed(Failure("DuplicateTargetEntries",
                                            f"More than one target group is named '{group.display_name}'.",
                                            transient=False))
            if found:
                link = Link(target_id=str(found[0]["id"]), values={}, display_name=group.display_name,
                            object_type="Group")
                entry.steps.append(Step("EntryImportMatching", "matching", "success",
                                        f"Matched group '{group.display_name}' by displayName."))
            else:
                body = build_create_group(values.get("displayName", group.display_name), values.get("externalId"),
                                          self.dialect)
                resp = self._send("POST", "/Groups", body, operation="create")
                link = Link(target_id=self._created_id(resp, "group"), values=dict(values),
                            display_name=group.display_name, object_type="Group")
                entry.action, entry.status = "create", "success"
                entry.steps.append(Step("EntryExportAdd", "export", "success",
                                        f"Group '{group.display_name}' was created."))
                self._tx().exported += 1
            self._set_link(group.id, link)
        entry.target_identity["id"] = link.target_id
        changed = {k: (link.values.get(k), v) for k, v in values.items()
                   if k not in ("externalId",) and not same_value(link.values.get(k), v)}
        updated = False
        if link.values and changed:
            body = build_update_user(changed, self.dialect, attribute_types=self.group_types)
            if body is not None:
                self._send("PATCH", f"/Groups/{link.target_id}", body, operation="update")
                link.values.update({k: v for k, (_, v) in changed.items()})
                entry.modified.extend({"displayName": k, "oldValue": _text(o), "newValue": _text(n)}
                                      for k, (o, n) in changed.items())
                updated = True
        link.values.setdefault("displayName", values.get("displayName"))
        try:
            updated = self._export_members(group, link, entry) or updated
        except _ObjectFailed as failed:
            failed.failure.reference = True
            raise
        if entry.action != "create":
            if updated:
                entry.action, entry.status = "update", "success"
                entry.steps.append(Step("EntryExportUpdate", "export", "success",
                                        f"Group '{group.display_name}' was updated."))
                self._tx().exported += 1
            else:
                entry.action, entry.status = "other", "skipped"
                entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped", REDUNDANT,
                                        {"SkipReason": "RedundantExport"}))

    def _export_members(self, group, link: Link, entry: LogEntry) -> bool:
        """PATCH the group's members: the direct members that are provisioned users (nested groups are
        never expanded); all additions in one request, all removals in one request."""
        wanted = {}
        for member_id in self._member_user_ids(group.id):
            member_link = self.rt.links.get(member_id)
            if member_link is not None and member_link.object_type == "User":
                wanted[member_id] = member_link.target_id
        add = [mid for mid in wanted if mid not in link.member_targets]
        remove = [mid for mid in link.member_targets if mid not in wanted]
        if add:
            self._send("PATCH", f"/Groups/{link.target_id}", build_add_members([wanted[m] for m in add], self.dialect),
                       operation="update")
            link.member_targets.update({m: wanted[m] for m in add})
            entry.modified.append({"displayName": "members", "oldValue": None,
                                   "newValue": ", ".join(wanted[m] for m in add)})
        targets = [link.member_targets[m] for m in remove]
        if targets:
            self._send("PATCH", f"/Groups/{link.target_id}", build_remove_members(targets, self.dialect),
                       operation="update")
            entry.modified.append({"displayName": "members", "oldValue": ", ".join(targets), "newValue": None})
        for member_id in remove:
            link.member_targets.pop(member_id, None)
        return bool(add or targets)

    # ================================================================================================
    # Requests, failures, escrow
    # ================================================================================================
    def _send(self, method: str, path: str, body: Any = None, *, operation: str, accept: tuple[int, ...] = ()):
        attempts = 0
        tx = self._tx()
        while True:
            if method != "GET":
                tx.attempted = True
            resp = self.client.request(method, path, body, attempt=attempts)
            if resp.ok or resp.status in accept:
                return resp
            if resp.failure == "blocked":
                raise _ObjectFailed(Failure(
                    "OwnershipGuardBlocked",
                    f"{method} {path.split('?')[0]} was not sent: {resp.detail}. Real Entra would have sent it "
                    "to that object.", transient=False))
            failure = classify(resp, operation=operation)
            if failure.credentials:
                raise CycleAborted(failure)
            if failure.code == "NotFoundInsteadOfEmptyList":
                raise CycleAborted(Failure(failure.code, f"{NOT_FOUND} {failure.reason}", failure.status,
                                           transient=False))
            honor = self.sync.settings.get("tooManyRequestsMode") == "honorRetryAfter"
            if resp.status == 429 and honor and attempts < HONOR_RETRY_ATTEMPTS:
                attempts += 1
                wait = min(failure.retry_after or 1.0, HONOR_RETRY_MAX_SECONDS)
                if tx is not None:
                    tx.entry.steps.append(Step(
                        "EntryExportRetry", "export", "warning",
                        f"{method} {path.split('?')[0]} was answered 429 TooManyRequests; retry {attempts} of "
                        f"{HONOR_RETRY_ATTEMPTS} after {wait:g} seconds, as the target's Retry-After asked.",
                        {"StatusCode": "429", "RetryAfter": f"{wait:g}", "Attempt": str(attempts)}))
                if self.real_waits:
                    aio.pause(wait)
                else:
                    self.clock.sleep(wait)
                continue
            raise _ObjectFailed(failure)

    def _check_matching_answer(self, item: Work, query: str, attribute: str, value: Any,
                               resources: list[dict]) -> None:
        """Vendor mode: every resource a matching query answers must have the queried value."""
        if self.client.guard is None:
            return
        wrong = [r for r in resources if not equal_for_matching(attribute, read_attribute(r, attribute), value)]
        if not wrong:
            return
        kind = item.object_type.lower()
        seen = "; ".join(describe(r) for r in wrong[:3]) + (f"; and {len(wrong) - 3} more" if len(wrong) > 3 else "")
        raise _ObjectFailed(Failure(
            "MatchingAnswerMismatch",
            f"The matching query GET {query} ({attribute} eq '{value}') was answered with {len(wrong)} "
            f"{kind}(s) whose {attribute} is not '{value}': {seen}. RFC 7644 §3.4.2.2: a filter answers only the "
            f"resources that match it. Real Entra trusts the matching answer: it would have linked {kind} "
            f"'{item.display_name}' to {describe(wrong[0])}, overwritten its attributes with PATCH and, on "
            "deprovisioning, disabled and deleted it. In vendor mode the lab links nothing and writes nothing "
            "to it.", 200, transient=False))

    def _list_resources(self, resp) -> list[dict]:
        """The ``Resources`` of a filter query's ListResponse; anything else is ``ServiceIncompatible``."""
        body = resp.json()
        total = body.get("totalResults") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("schemas"), list) \
                or LIST_RESPONSE not in body["schemas"] or not isinstance(total, int) or isinstance(total, bool):
            raise _ObjectFailed(incompatible(resp, "The target's answer to a filter query is not a SCIM ListResponse"))
        resources = body.get("Resources", [])
        if resources is None:
            resources = []
        if not isinstance(resources, list):
            raise _ObjectFailed(incompatible(resp, "The ListResponse's Resources is not a list"))
        if total and not resources:
            raise _ObjectFailed(incompatible(resp, "The ListResponse counts results but lists no Resources"))
        if not all(isinstance(r, dict) and _is_id(r.get("id")) for r in resources):
            raise _ObjectFailed(incompatible(resp, "A resource in the ListResponse has no string id"))
        return resources

    def _created_id(self, resp, what: str) -> str:
        created = resp.json()
        if not isinstance(created, dict) or not _is_id(created.get("id")):
            raise _ObjectFailed(incompatible(resp, f"The target answered the {what} create without a string id"))
        return created["id"]

    def _fail(self, item: Work, entry: LogEntry, failure: Failure) -> None:
        now = self.clock.now()
        tx = self._tx()
        tx.failed = True
        previous = self.rt.escrows.get(item.source_id)
        attempts = (previous.attempts + 1) if previous else 1
        tx.escrow = Escrow(
            attempts=attempts, first_failed=previous.first_failed if previous else now, last_failed=now,
            error_code=failure.code, reason=failure.reason, object_type=item.object_type,
            reference=failure.reference)
        if failure.code == "InvalidAnchor":
            self._set_link(item.source_id, None)
        quarantine = self.job.quarantine
        retry_at = quarantine.next_attempt if quarantine is not None and quarantine.next_attempt > now \
            else now + self.job.interval
        entry.status = "failure"
        if not entry.action or entry.action == "other":
            entry.action = {"disable": "disable", "delete": "delete"}.get(item.action, "other")
        entry.error = failure.error_information(
            self.prefix, f"This operation was retried {attempts - 1} times. It will be retried again after this "
                         f"date: {iso(retry_at)}")
        entry.steps.append(Step(_failed_step(item.action, entry.action), "export", "failure", failure.reason,
                                {"ErrorCode": f"{self.prefix}{failure.code}", "Attempt": str(attempts)}))

    # ================================================================================================
    # Logs and status
    # ================================================================================================
    def _entry(self, item: Work) -> LogEntry:
        ids = self.rand.stream("entra.provisioning.logs")
        obj = item.source
        identity_type = "User" if item.object_type == "User" else "Group"
        source_details = {}
        if obj is not None and item.object_type == "User":
            source_details = {"UserPrincipalName": obj.props.get("userPrincipalName") or ""}
        entry = LogEntry(
            id=ids.uuid(), activity=self.clock.now(), change_id=ids.uuid(), cycle_id=self.cycle_id,
            job_id=self.job.id, action="", status="", tenant_id=self.entra.config.tenant_id,
            service_principal=self._service_principal_ref,
            source_identity={"id": item.source_id, "displayName": item.display_name, "identityType": identity_type,
                             "details": source_details},
            target_identity={"id": "", "displayName": item.display_name, "identityType": identity_type,
                             "details": {}},
            source_system=SOURCE_SYSTEM,
            target_system=self._target_system_ref,
        )
        entry.steps.append(Step("EntryImport", "import", "success",
                                f"Retrieved {identity_type} '{item.display_name}' from Microsoft Entra ID.",
                                {"ObjectId": item.source_id}))
        return entry

    def _log(self, entry: LogEntry) -> None:
        if entry.status != "failure":
            self.rt.escrows.pop(entry.source_identity["id"], None)
        logged = entry.freeze()
        self.logs.append(logged)
        self.entra.provisioning_logs.add(logged)

    def _quarantine(self, reason: str, code: str, message: str) -> None:
        """Impose (or re-impose) quarantine: one notification when a series begins or its reason
        changes; ``nextAttempt`` from the series' schedule; disabled after 28 days."""
        now = self.clock.now()
        job = self.job
        q = job.quarantine
        if q is None:
            q = Quarantine(reason=reason, series_began=now, current_began=now, next_attempt=now,
                           error_code=code, error_message=message)
            job.quarantine = q
            notify = True
        else:
            notify = q.reason != reason
            q.reason = reason
            q.series_count += 1
            q.current_began = now
            q.error_code, q.error_message = code, message
        q.next_attempt = next_attempt(q.series_began, now)
        job.code = "Quarantine"
        if should_disable(q.series_began, now):
            job.schedule_state = "Disabled"
        if notify:
            self.entra.notifications.quarantined(self.sp, job, q)

    def _abort(self, failure: Failure) -> dict:
        now = self.clock.now()
        job = self.job
        self.exec.state = "Failed"
        self.exec.time_ended = now
        self.exec.error = {"code": f"{self.prefix}{failure.code}", "message": failure.reason,
                           "tenantActionable": True}
        self.exec.count_escrowed = self.exec.count_escrowed_raw = len(self.rt.escrows)
        job.last_execution = self.exec
        job.count_successive_complete_failures += 1
        if failure.credentials:
            message = f"The credentials for {self.sp.display_name} were refused: {failure.reason}"
        else:
            message = f"{self.sp.display_name} is not compliant with the SCIM protocol: {failure.reason}"
        self._quarantine("EncounteredQuarantineException", f"{self.prefix}{failure.code}", message)
        return {"cycleId": self.cycle_id, "state": "Failed", "execution": self.exec.to_graph(),
                "quarantine": job.quarantine.to_graph(), "logEntries": len(self.logs)}

    def _finish(self, initial: bool) -> dict:
        now = self.clock.now()
        job, rt, ex = self.job, self.rt, self.exec
        ex.time_ended = now
        ex.state = "EntryLevelErrors" if self.failures else "Succeeded"
        job.last_execution = ex
        if not self.failures:
            job.last_successful_execution = ex
            if ex.count_exported:
                job.last_successful_execution_with_exports = ex
        job.count_successive_complete_failures = 0
        tripped = self._check_escrow_thresholds(initial)
        ex.count_escrowed = ex.count_escrowed_raw = len(rt.escrows)
        q = job.quarantine
        if q is not None and (q.reason == "EncounteredQuarantineException"
                              or q.reason in (PROPORTION, TOTAL) and not tripped
                              or q.reason == "TooManyDeletes" and not rt.staged_deletes):
            job.quarantine = None  # any successful cycle lifts quarantine
        if job.quarantine is None and job.code in ("NotRun", "Active", "Quarantine", "NotConfigured"):
            job.code = "Active"
        if not rt.escrows and job.quarantine is None:
            job.steady_state_first = job.steady_state_first or now
            job.steady_state_last = now
        job.entry_counts = {f"{kind} to {kind}": n for kind, n in rt.links.counts.items()}
        return {"cycleId": self.cycle_id, "initial": initial, "state": ex.state, "execution": ex.to_graph(),
                "logEntries": len(self.logs), "escrows": len(rt.escrows),
                "quarantine": job.quarantine.to_graph() if job.quarantine else None}

    def _check_escrow_thresholds(self, initial: bool) -> bool:
        """Simulator choice: the thresholds are evaluated once, at the end of the cycle. In the initial
        cycle a tripped threshold prunes the escrows (``escrowsPruned``) and pauses the job after the
        cycle instead of quarantining it (Graph's ``synchronizationStatus.escrowsPruned``)."""
        escrows = list(self.rt.escrows.values())
        reason = escrow_threshold_reason(
            escrowed=len(escrows), non_reference=sum(1 for e in escrows if not e.reference),
            failures=self.failures, events=self.events, settings=self.sync.settings)
        if reason is None:
            return False
        if initial:
            self.rt.escrows.clear()
            self.job.escrows_pruned = True
            self.job.pause_after_cycle = True
            return True
        self._quarantine(reason, reason, f"{len(escrows)} objects are escrowed ({self.failures} of {self.events} "
                                         "objects failed in the last cycle).")
        return True


_RESULTS = {"success": "Success", "failure": "Failure", "skipped": "Skipped", "warning": "Warning"}


def _required_targets(schema: dict, object_mapping: dict) -> list[str]:
    """The mapped target attributes the schema's target directory marks ``required``."""
    mapped = {m.get("targetAttributeName") for m in object_mapping.get("attributeMappings") or []
              if isinstance(m, dict)}
    for rule, candidate in object_mappings(schema):
        if candidate is object_mapping:
            obj = object_definition(schema, rule.get("targetDirectoryName"), object_mapping.get("targetObjectName"))
            return [name for name, a in attribute_definitions(obj).items() if a.get("required") and name in mapped]
    return []


def _is_id(value: Any) -> bool:
    """A SCIM ``id`` is a non-empty string (RFC 7643 §3.1); a number or anything else is not."""
    return isinstance(value, str) and bool(value.strip())


class _ObjectFailed(Exception):
    def __init__(self, failure: Failure):
        super().__init__(failure.reason)
        self.failure = failure


def _failed_step(planned: str, action: str) -> str:
    if planned == "delete":
        return "EntryExportDelete"
    if action == "create" or planned == "export" and action in ("", "other"):
        return "EntryExportAdd" if action == "create" else "EntryExportUpdate"
    return "EntryExportUpdate"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
