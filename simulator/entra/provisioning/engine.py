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
* When a cycle has more disables + deletes than ``QuarantineTooManyDeletesThreshold``, none of them
  runs (each is logged ``stagedDelete``) while creates and updates of the same cycle proceed.
* Quarantine retries come 6 h, 12 h and 24 h after the series began, then every 24 h; after 28 days
  the job is disabled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ...core.clock import iso
from ..sync.model import Escrow, Link, Quarantine, TaskExecution
from .credentials import CredentialError, bearer_token
from .dialects import (Dialect, FilterValueError, build_add_members, build_create_group, build_create_user,
                       build_remove_members, build_update_user, group_query, matching_query,
                       split_base_address)
from .expressions import AppRoleAssignmentView, SourceObject, is_true
from .logs import LogEntry, Step
from .mappings import (compute_target, find_object_mapping, in_scope, matching_attributes,
                       target_attribute_types)
from .outcomes import Failure, classify, incompatible, read_attribute, same_value
from .probe import connector_prefix, target_client

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
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

QUARANTINE_OFFSETS = (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
QUARANTINE_DISABLE_AFTER = timedelta(days=28)


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
        self.cycle_id = self.rand.stream("entra.sync.cycles").uuid()
        self.logs: list[LogEntry] = []
        self.exec: TaskExecution | None = None
        self.client = None
        self._assignments: dict[str, list] | None = None
        self._roles = {role.id: role for role in self.sp.app_roles}
        self.failures = 0
        self.events = 0

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
        self.client = target_client(self.sync, self.base_url, token)
        try:
            upto = self.directory.current_seq()
            users, groups, deltas = self._import(initial, upto)
            self.exec.count_imported = len(users) + len(groups)
            self.exec.count_imported_deltas = deltas
            work = [self._plan_user(uid) for uid in users]
            self._stage_deletes(work)
            touched_groups: set[str] = set(groups)
            for item in work:
                self._run_user(item)
                if item.source is not None and item.object_type == "User":
                    touched_groups.update(self._direct_group_ids(item.source_id))
            if self.group_mapping is not None and self.group_mapping.get("enabled", True):
                for gid in self._order_groups(touched_groups):
                    self._run_group(gid)
        except CycleAborted as aborted:
            return self._abort(aborted.failure)
        finally:
            self.client.close()
        rt.watermark = upto
        rt.force_deletes = False
        rt.initial_done = True
        rt.cycles += 1
        return self._finish(initial)

    def run_on_demand(self, subjects: list[tuple[str, str]]) -> dict:
        """Provision one user, or one group and its (at most 5) members, now; answer Graph's
        ``stringKeyStringValuePair`` whose ``key`` and ``value`` are JSON strings (the outcome, and the
        log entries with their steps and modified properties)."""
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
        main = next((e for e in entries if e["sourceIdentity"]["id"] == object_id), entries[-1] if entries else None)
        status = main["provisioningStatusInfo"]["status"] if main else "skipped"
        outcome = {"result": {"success": "Success", "failure": "Failure"}.get(status, "Skipped"),
                   "action": main["provisioningAction"] if main else "other",
                   "sourceIdentity": main["sourceIdentity"] if main else None,
                   "targetIdentity": main["targetIdentity"] if main else None}
        details = {"provisioningSteps": main["provisioningSteps"] if main else [],
                   "modifiedProperties": main["modifiedProperties"] if main else [],
                   "errorInformation": main["provisioningStatusInfo"]["errorInformation"] if main else None,
                   "entries": entries}
        return {"key": json.dumps(outcome, separators=(",", ":")), "value": json.dumps(details, separators=(",", ":"))}

    # -- import -------------------------------------------------------------------------------------
    def _import(self, initial: bool, upto: int) -> tuple[list[str], list[str], int]:
        """(user ids, group ids, number of deltas read) to look at in this cycle."""
        users: dict[str, None] = {}
        groups: dict[str, None] = {}
        deltas = 0
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
            for source_id in self.rt.staged_deletes:
                users.setdefault(source_id, None)
        return list(users), list(groups), deltas

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
        try:
            threshold = int(self.job.settings.get("QuarantineTooManyDeletesThreshold", "500"))
        except ValueError:
            threshold = 500
        if self.rt.force_deletes or self.on_demand or len(deprovisions) <= threshold:
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
        action = item.action
        if action == "gone":
            return
        self.events += 1
        entry = self._entry(item)
        if action == "skip":
            self._skip(entry, item)
        elif action == "noop":
            entry.action, entry.status = "other", "skipped"
            entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped", REDUNDANT,
                                    {"SkipReason": "RedundantExport"}))
        elif action == "forget":
            self.rt.links.pop(item.source_id, None)
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
            try:
                if action == "disable":
                    self._disable(item, entry)
                elif action == "delete":
                    self._delete(item, entry)
                else:
                    self._export_user(item, entry)
            except _ObjectFailed as failed:
                self._fail(item, entry, failed.failure)
        self._log(entry)

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
        link = self.rt.links.get(item.source_id)
        entry.steps.append(Step("EntrySynchronizationScoping", "scoping", "success",
                                f"Determined that User {obj.display_name} is in scope."))
        if link is None:
            self._match_or_create(item, entry, source)
        else:
            self._update(item, entry, source, link)

    def _target_values(self, source: SourceObject, creating: bool) -> dict[str, Any]:
        values = compute_target(self.user_mapping, source, creating=creating)
        manager_attr = next((k for k in values if k.lower().endswith(":manager") or k == "manager"), None)
        if manager_attr is not None:
            link = self.rt.links.get(str(values[manager_attr]))
            if link is None:
                values.pop(manager_attr)
            else:
                values[manager_attr] = link.target_id
        return values

    def _match_or_create(self, item: Work, entry: LogEntry, source: SourceObject) -> None:
        values = self._target_values(source, creating=True)
        found = None
        for attribute, _ in matching_attributes(self.user_mapping):
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
            self.rt.links[item.source_id] = link
            entry.target_identity["id"] = target_id
            self._update(item, entry, source, link, matched=True)
            return
        body = build_create_user(values, self.dialect, attribute_types=self.user_types)
        entry.action = "create"
        resp = self._send("POST", "/Users", body, operation="create")
        created = resp.json()
        if not isinstance(created, dict) or not created.get("id"):
            raise _ObjectFailed(incompatible(resp, "The target answered the create without a resource id"))
        target_id = str(created["id"])
        self.rt.links[item.source_id] = Link(target_id=target_id, values=dict(values),
                                             active=is_true(values.get("active", True)),
                                             display_name=item.display_name, object_type="User")
        entry.action, entry.status = "create", "success"
        entry.target_identity["id"] = target_id
        entry.modified = [{"displayName": k, "oldValue": None, "newValue": _text(v)} for k, v in values.items()]
        entry.steps.append(Step("EntryExportAdd", "export", "success",
                                f"User '{item.display_name}' was created in {self.sp.display_name}.",
                                {"TargetId": target_id}))
        self._exported()

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
        self._exported()

    def _disable(self, item: Work, entry: LogEntry) -> None:
        link = self.rt.links[item.source_id]
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
            self.rt.links.pop(item.source_id, None)
        self._exported()

    def _delete(self, item: Work, entry: LogEntry) -> None:
        link = self.rt.links[item.source_id]
        entry.target_identity["id"] = link.target_id
        resp = self._send("DELETE", f"/Users/{link.target_id}", operation="delete", accept=(404,))
        self.rt.links.pop(item.source_id, None)
        entry.action, entry.status = "delete", "success"
        entry.steps.append(Step("EntryExportDelete", "export", "success",
                                f"User '{item.display_name}' was deleted from {self.sp.display_name}"
                                + (" (it was already gone)." if resp.status == 404 else "."),
                                {"TargetId": link.target_id}))
        self._exported()

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
        obj = self.directory.find_object(gid)
        link = self.rt.links.get(gid)
        live = obj is not None and not obj.is_deleted and obj.object_type == "group"
        if live and not self._group_in_scope(obj):
            live = False
            if link is None:
                return  # never provisioned and not assigned: not looked at
        if not live and link is None:
            return
        item = Work(gid, "Group", obj, display_name=(obj.display_name if obj else link.display_name))
        self.events += 1
        entry = self._entry(item)
        try:
            if not live:
                resp = self._send("DELETE", f"/Groups/{link.target_id}", operation="delete", accept=(404,))
                self.rt.links.pop(gid, None)
                entry.target_identity["id"] = link.target_id
                entry.action, entry.status = "delete", "success"
                entry.steps.append(Step("EntryExportDelete", "export", "success",
                                        f"Group '{item.display_name}' left the scope and was deleted"
                                        + (" (it was already gone)." if resp.status == 404 else ".")))
                self._exported()
            else:
                self._export_group(obj, item, entry)
        except _ObjectFailed as failed:
            self._fail(item, entry, failed.failure)
        self._log(entry)

    def _export_group(self, group, item: Work, entry: LogEntry) -> None:
        source = self._source(group)
        values = compute_target(self.group_mapping, source, creating=True)
        values.pop(MEMBERS, None)
        link = self.rt.links.get(group.id)
        if link is None:
            resp = self._send("GET", f"/Groups?{group_query(group.display_name)}", operation="match")
            found = self._list_resources(resp)
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
                created = resp.json()
                if not isinstance(created, dict) or not created.get("id"):
                    raise _ObjectFailed(incompatible(resp, "The target answered the group create without an id"))
                link = Link(target_id=str(created["id"]), values=dict(values), display_name=group.display_name,
                            object_type="Group")
                entry.action, entry.status = "create", "success"
                entry.steps.append(Step("EntryExportAdd", "export", "success",
                                        f"Group '{group.display_name}' was created."))
                self._exported()
            self.rt.links[group.id] = link
        entry.target_identity["id"] = link.target_id
        changed = {k: (link.values.get(k), v) for k, v in values.items()
                   if k not in ("externalId",) and not same_value(link.values.get(k), v)}
        if link.values and changed:
            body = build_update_user(changed, self.dialect, attribute_types=self.group_types)
            if body is not None:
                self._send("PATCH", f"/Groups/{link.target_id}", body, operation="update")
                link.values.update({k: v for k, (_, v) in changed.items()})
                entry.modified.extend({"displayName": k, "oldValue": _text(o), "newValue": _text(n)}
                                      for k, (o, n) in changed.items())
        link.values.setdefault("displayName", values.get("displayName"))
        # members: the direct members that are provisioned users (nested groups are never expanded)
        wanted = {}
        for member_id in self._member_user_ids(group.id):
            member_link = self.rt.links.get(member_id)
            if member_link is not None and member_link.object_type == "User":
                wanted[member_id] = member_link.target_id
        add = [mid for mid in wanted if mid not in link.members]
        remove = [mid for mid in list(link.members) if mid not in wanted]
        if add:
            self._send("PATCH", f"/Groups/{link.target_id}", build_add_members([wanted[m] for m in add], self.dialect),
                       operation="update")
            link.members.update(add)
            entry.modified.append({"displayName": "members", "oldValue": None,
                                   "newValue": ", ".join(wanted[m] for m in add)})
        if remove:
            targets = [link.member_targets.get(m, "") for m in remove]
            self._send("PATCH", f"/Groups/{link.target_id}", build_remove_members([t for t in targets if t],
                                                                                  self.dialect), operation="update")
            link.members.difference_update(remove)
            entry.modified.append({"displayName": "members", "oldValue": ", ".join(targets), "newValue": None})
        link.member_targets = {**{m: link.member_targets.get(m) for m in link.members if m in link.member_targets},
                               **{m: wanted[m] for m in add}}
        if entry.action not in ("create",):
            if add or remove or changed and link.values:
                entry.action, entry.status = "update", "success"
                entry.steps.append(Step("EntryExportUpdate", "export", "success",
                                        f"Group '{group.display_name}' was updated."))
                self._exported()
            else:
                entry.action, entry.status = "other", "skipped"
                entry.steps.append(Step("EntrySynchronizationSkip", "processing", "skipped", REDUNDANT,
                                        {"SkipReason": "RedundantExport"}))

    # ================================================================================================
    # Requests, failures, escrow
    # ================================================================================================
    def _send(self, method: str, path: str, body: Any = None, *, operation: str, accept: tuple[int, ...] = ()):
        attempts = 0
        while True:
            resp = self.client.request(method, path, body)
            if resp.ok or resp.status in accept:
                if method != "GET" and resp.ok:
                    self.exec.count_exports += 1
                return resp
            failure = classify(resp, operation=operation)
            if failure.credentials:
                raise CycleAborted(failure)
            honor = self.sync.settings.get("tooManyRequestsMode") == "honorRetryAfter"
            if resp.status == 429 and honor and attempts < 3:
                attempts += 1
                self.clock.sleep(min(failure.retry_after or 1.0, 300.0))
                continue
            raise _ObjectFailed(failure)

    def _list_resources(self, resp) -> list[dict]:
        body = resp.json()
        if not isinstance(body, dict) or LIST_RESPONSE not in (body.get("schemas") or []) \
                or not isinstance(body.get("totalResults"), int):
            raise _ObjectFailed(incompatible(resp, "The target's answer to a filter query is not a SCIM ListResponse"))
        resources = body.get("Resources") or []
        if body["totalResults"] and not resources:
            raise _ObjectFailed(incompatible(resp, "The ListResponse counts results but lists no Resources"))
        if not all(isinstance(r, dict) and r.get("id") for r in resources):
            raise _ObjectFailed(incompatible(resp, "A resource in the ListResponse has no id"))
        return resources

    def _fail(self, item: Work, entry: LogEntry, failure: Failure) -> None:
        now = self.clock.now()
        self.failures += 1
        previous = self.rt.escrows.get(item.source_id)
        attempts = (previous.attempts + 1) if previous else 1
        self.rt.escrows[item.source_id] = Escrow(
            attempts=attempts, first_failed=previous.first_failed if previous else now, last_failed=now,
            error_code=failure.code, reason=failure.reason, object_type=item.object_type)
        next_attempt = now + self.job.interval
        entry.status = "failure"
        if not entry.action or entry.action == "other":
            entry.action = {"disable": "disable", "delete": "delete"}.get(item.action, "other")
        retried = (f"This operation was retried {attempts - 1} times. " if attempts > 1 else "")
        entry.error = failure.error_information(
            self.prefix, f"{retried}It will be retried again after this date: {iso(next_attempt)}")
        entry.steps.append(Step(_failed_step(item.action, entry.action), "export", "failure", failure.reason,
                                {"ErrorCode": f"{self.prefix}{failure.code}"}))

    def _exported(self) -> None:
        self.exec.count_exported += 1

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
            service_principal={"id": self.sp.id, "displayName": self.sp.display_name},
            source_identity={"id": item.source_id, "displayName": item.display_name, "identityType": identity_type,
                             "details": source_details},
            target_identity={"id": "", "displayName": item.display_name, "identityType": identity_type,
                             "details": {}},
            source_system=dict(SOURCE_SYSTEM),
            target_system={"id": self.sp.id, "displayName": self.sp.display_name, "details": {}},
        )
        entry.steps.append(Step("EntryImport", "import", "success",
                                f"Retrieved {identity_type} '{item.display_name}' from Microsoft Entra ID.",
                                {"ObjectId": item.source_id}))
        return entry

    def _log(self, entry: LogEntry) -> None:
        if entry.status != "failure":
            self.rt.escrows.pop(entry.source_identity["id"], None)
        self.logs.append(entry)
        self.entra.provisioning_logs.add(entry)

    def _quarantine(self, reason: str, code: str, message: str) -> None:
        now = self.clock.now()
        job = self.job
        q = job.quarantine
        if q is None:
            q = Quarantine(reason=reason, series_began=now, current_began=now, next_attempt=now,
                           error_code=code, error_message=message)
            job.quarantine = q
            self.entra.notifications.quarantined(self.sp, job, q)
        else:
            if q.reason != reason:
                q.reason = reason
                self.entra.notifications.quarantined(self.sp, job, q)
            q.series_count += 1
            q.current_began = now
            q.error_code, q.error_message = code, message
        elapsed = now - q.series_began
        upcoming = [q.series_began + off for off in QUARANTINE_OFFSETS if q.series_began + off > now]
        if upcoming:
            q.next_attempt = upcoming[0]
        else:
            days = int(elapsed / timedelta(hours=24)) + 1
            q.next_attempt = q.series_began + timedelta(hours=24 * max(days, 2))
        job.code = "Quarantine"
        if elapsed >= QUARANTINE_DISABLE_AFTER:
            job.schedule_state = "Disabled"

    def _abort(self, failure: Failure) -> dict:
        now = self.clock.now()
        job = self.job
        self.exec.state = "Failed"
        self.exec.time_ended = now
        self.exec.error = {"code": f"{self.prefix}{failure.code}", "message": failure.reason,
                           "tenantActionable": True}
        job.last_execution = self.exec
        job.count_successive_complete_failures += 1
        self._quarantine("EncounteredQuarantineException", f"{self.prefix}{failure.code}",
                         f"The credentials for {self.sp.display_name} were refused: {failure.reason}")
        return {"cycleId": self.cycle_id, "state": "Failed", "quarantine": job.quarantine.to_graph(),
                "logEntries": len(self.logs)}

    def _finish(self, initial: bool) -> dict:
        now = self.clock.now()
        job, rt, ex = self.job, self.rt, self.exec
        ex.time_ended = now
        ex.count_escrowed = len(rt.escrows)
        ex.count_escrowed_raw = len(rt.escrows)
        in_scope_users = [sid for sid, link in rt.links.items() if link.object_type == "User"]
        ex.count_entitled = len(in_scope_users)
        ex.count_entitled_for_provisioning = len(in_scope_users)
        ex.state = "EntryLevelErrors" if self.failures else "Succeeded"
        job.last_execution = ex
        job.last_successful_execution = ex
        if ex.count_exports:
            job.last_successful_execution_with_exports = ex
        job.count_successive_complete_failures = 0
        self._check_escrow_thresholds(initial)
        if job.quarantine is not None and job.quarantine.reason == "EncounteredQuarantineException":
            job.quarantine = None
        elif job.quarantine is not None and job.quarantine.reason in ("EncounteredEscrowProportionThreshold",
                                                                        "EncounteredTotalEscrowThreshold") \
                and not self._threshold_tripped:
            job.quarantine = None
        elif job.quarantine is not None and job.quarantine.reason == "TooManyDeletes" and not rt.staged_deletes:
            job.quarantine = None
        if job.quarantine is None and job.code in ("NotRun", "Active", "Quarantine", "NotConfigured"):
            job.code = "Active"
        if not rt.escrows and job.quarantine is None:
            job.steady_state_first = job.steady_state_first or now
            job.steady_state_last = now
        counts: dict[str, int] = {}
        for link in rt.links.values():
            key = f"{link.object_type} to {link.object_type}"
            counts[key] = counts.get(key, 0) + 1
        job.entry_counts = counts
        return {"cycleId": self.cycle_id, "initial": initial, "state": ex.state, "execution": ex.to_graph(),
                "logEntries": len(self.logs), "escrows": len(rt.escrows),
                "quarantine": job.quarantine.to_graph() if job.quarantine else None}

    _threshold_tripped = False

    def _check_escrow_thresholds(self, initial: bool) -> None:
        s = self.sync.settings
        escrows = list(self.rt.escrows.values())
        total = len(escrows)
        non_reference = sum(1 for e in escrows if not e.reference)
        if total < s["escrowEvaluationFloor"]:
            return
        reason = None
        if total >= s["escrowAbsoluteThreshold"] or non_reference > s["escrowNonReferenceThreshold"]:
            reason = "EncounteredTotalEscrowThreshold"
        elif self.events and self.failures / self.events > s["escrowProportionThreshold"]:
            reason = "EncounteredEscrowProportionThreshold"
        if reason is None:
            return
        self._threshold_tripped = True
        if initial:
            self.rt.escrows.clear()
            self.job.escrows_pruned = True
            self.job.pause_after_cycle = True
            return
        self._quarantine(reason, reason, f"{total} objects are escrowed ({self.failures} of {self.events} events "
                                         "failed in the last cycle).")


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
