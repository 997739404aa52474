"""The synchronization API's operations (``create_job``, ``put_secrets``, ``validate_credentials``,
``start_job``, ``pause_job``, ``restart_job``, ``put_schema``...) and the job scheduler.

Secrets belong to the service principal, as in Graph; jobs belong to it too. The scheduler is registered
with the lab's clock: advancing the clock runs every due cycle at its own instant (SPEC §3.7 Scheduling).
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from ..apps.model import AppsError
from ..provisioning.guard import OwnershipGuard
from ..provisioning.pacing import RateLimiter, RequestMetrics
from ..provisioning.logs import DEFAULT_RETENTION as LOG_RETENTION
from .model import (CREDENTIAL_KEYS, DEFAULT_INTERVAL, SyncError, SyncJob, parse_job_settings, parse_reset_scope,
                    parse_secrets)

#: Simulator choice: the lab's settings (PUT /_admin/settings). Thresholds are Microsoft's numbers.
DEFAULT_LAB_SETTINGS: dict[str, Any] = {
    "escrowEvaluationFloor": 5000,
    "escrowProportionThreshold": 0.4,
    "escrowNonReferenceThreshold": 40000,
    "escrowAbsoluteThreshold": 60000,
    "tooManyRequestsMode": "escrow",  # escrow | honorRetryAfter
    "targetCaBundle": None,
    "targetTimeoutSeconds": 10.0,
    "notificationsEnabled": True,
    "logRetention": LOG_RETENTION,
    # vendor mode (provisioning/guard.py): {"prefix": "cf-<run>-<nnn>", "reservedIds": [...], "halted": false}
    "ownershipGuard": None,
    # Entra's pacing (provisioning/pacing.py, SPEC §10): objects exported at once (1 = one after another),
    # the request-rate cap in requests per second (null = none, a non-gallery app), where honorRetryAfter's
    # waits are spent (virtual: the lab's clock; real: wall-clock time), and wall-clock request sampling.
    "exportConcurrency": 1,
    "requestRateLimit": None,
    "retryAfterWait": "virtual",  # virtual | real
    "requestMetrics": False,
}
#: Simulator choice: the most objects exported at once.
MAX_EXPORT_CONCURRENCY = 16


class _ServicePrincipalSync:
    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.jobs: dict[str, SyncJob] = {}


class Synchronization:
    def __init__(self, entra):
        self.entra = entra
        self.lock = threading.RLock()
        self._by_sp: dict[str, _ServicePrincipalSync] = {}
        self.settings: dict[str, Any] = dict(DEFAULT_LAB_SETTINGS)
        #: Vendor mode's ownership guard (the ``ownershipGuard`` setting), shared by every job's requests.
        self.guard: OwnershipGuard | None = None
        #: The request-rate cap (``requestRateLimit``), shared by every job's requests; None: no cap.
        self.limiter: RateLimiter | None = None
        #: Wall-clock samples of the engine's requests (``requestMetrics``; GET /_admin/metrics).
        self.metrics = RequestMetrics()
        self._on_demand_calls: dict[str, list[datetime]] = {}
        entra.lab.clock.add_scheduler(self)

    # -- lab control -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self._by_sp.clear()
            self.settings = dict(DEFAULT_LAB_SETTINGS)
            self.guard = None
            self.limiter = None
            self.metrics.reset()
            self._on_demand_calls.clear()

    def to_state(self) -> dict:
        with self.lock:
            return {sp_id: {"secretKeys": sorted(s.secrets), "jobs": [j.to_graph() for j in s.jobs.values()]}
                    for sp_id, s in self._by_sp.items()}

    def update_settings(self, body: dict) -> dict:
        unknown = sorted(set(body) - set(DEFAULT_LAB_SETTINGS))
        if unknown:
            raise SyncError(400, f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(DEFAULT_LAB_SETTINGS)}")
        checked = {}
        for key, value in body.items():
            default = DEFAULT_LAB_SETTINGS[key]
            if key == "tooManyRequestsMode":
                if value not in ("escrow", "honorRetryAfter"):
                    raise SyncError(400, "tooManyRequestsMode must be 'escrow' or 'honorRetryAfter'")
            elif key == "targetCaBundle":
                if value is not None and not isinstance(value, str):
                    raise SyncError(400, "targetCaBundle must be a file path or null")
            elif key == "ownershipGuard":
                value = _guard_setting(value)
            elif key in ("notificationsEnabled", "requestMetrics"):
                if not isinstance(value, bool):
                    raise SyncError(400, f"{key} must be a boolean")
            elif key == "retryAfterWait":
                if value not in ("virtual", "real"):
                    raise SyncError(400, "retryAfterWait must be 'virtual' or 'real'")
            elif key == "exportConcurrency":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPORT_CONCURRENCY:
                    raise SyncError(400, f"exportConcurrency must be an integer from 1 to {MAX_EXPORT_CONCURRENCY}")
            elif key == "requestRateLimit":
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                          or not 0 < value <= 100_000):
                    raise SyncError(400, "requestRateLimit must be null (no cap) or requests per second, "
                                         "more than 0 and at most 100000")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise SyncError(400, f"{key} must be a positive number")
            elif isinstance(default, int) and not isinstance(value, int):
                raise SyncError(400, f"{key} must be an integer")
            checked[key] = value
        with self.lock:
            self.settings.update(checked)
            if "logRetention" in checked:
                self.entra.provisioning_logs.set_retention(checked["logRetention"])
            if "ownershipGuard" in checked:
                self._set_guard(checked["ownershipGuard"])
            if "requestRateLimit" in checked:
                rate = checked["requestRateLimit"]
                self.limiter = RateLimiter(rate) if rate is not None else None
            return dict(self.settings)

    def _set_guard(self, value: dict | None) -> None:
        """A new guard for a new prefix; the same prefix keeps what the run created (``halted`` flips)."""
        guard = OwnershipGuard.from_setting(value)
        if guard is not None and self.guard is not None and self.guard.prefix == guard.prefix:
            guard.created = self.guard.created
        self.guard = guard

    # -- lookups ---------------------------------------------------------------------------------
    def service_principal(self, sp_id: str):
        try:
            return self.entra.apps.get_service_principal(sp_id)
        except AppsError:
            raise SyncError(404, f"Resource '{sp_id}' does not exist or one of its queried reference-property "
                                 "objects are not present.", "Request_ResourceNotFound") from None

    def _state(self, sp_id: str) -> _ServicePrincipalSync:
        self.service_principal(sp_id)
        return self._by_sp.setdefault(sp_id, _ServicePrincipalSync())

    def get_job(self, sp_id: str, job_id: str) -> SyncJob:
        with self.lock:
            job = self._state(sp_id).jobs.get(job_id)
            if job is None:
                raise SyncError(404, f"The synchronization job '{job_id}' does not exist for service principal "
                                     f"'{sp_id}'.", "Request_ResourceNotFound")
            return job

    def find_job(self, job_id: str) -> tuple[str, SyncJob]:
        with self.lock:
            for sp_id, state in self._by_sp.items():
                if job_id in state.jobs:
                    return sp_id, state.jobs[job_id]
        raise SyncError(404, f"The synchronization job '{job_id}' does not exist.", "Request_ResourceNotFound")

    def all_jobs(self) -> list[tuple[str, SyncJob]]:
        with self.lock:
            return [(sp_id, job) for sp_id, s in self._by_sp.items() for job in s.jobs.values()]

    # -- templates -------------------------------------------------------------------------------
    def list_templates(self, sp_id: str) -> list[dict]:
        from ..provisioning.mappings import load_default_schema

        sp = self.service_principal(sp_id)
        template_id = sp.synchronization_template_id
        return [{
            "id": template_id,
            "applicationId": sp.app_id,
            "default": True,
            "description": f"{sp.template.display_name} provisioning",
            "discoverable": True,
            "factoryTag": template_id,
            "metadata": [],
            "schema": load_default_schema(template_id),
        }]

    # -- jobs ------------------------------------------------------------------------------------
    def create_job(self, sp_id: str, body: dict) -> SyncJob:
        from ..provisioning.mappings import load_default_schema

        sp = self.service_principal(sp_id)
        template_id = body.get("templateId")
        if not isinstance(template_id, str) or not template_id:
            raise SyncError(400, "The property 'templateId' is required.", "BadRequest")
        unknown = sorted(set(body) - {"templateId", "@odata.type"})
        if unknown:
            raise SyncError(400, f"The property '{unknown[0]}' does not exist on type "
                                 "'microsoft.graph.synchronizationJob'.", "BadRequest")
        if template_id != sp.synchronization_template_id:
            raise SyncError(400, f"The template '{template_id}' is not available for this application; use "
                                 f"'{sp.synchronization_template_id}'.", "BadRequest")
        tenant = self.entra.config.tenant_id.replace("-", "")
        with self.lock:
            state = self._state(sp_id)
            job_id = f"{template_id}.{tenant}.{self.entra.lab.rand.stream('entra.sync.jobs').hex(16)}"
            job = SyncJob(id=job_id, template_id=template_id, service_principal_id=sp_id,
                          schema=load_default_schema(template_id), created=self.entra.lab.clock.now())
            state.jobs[job_id] = job
            return job

    def list_jobs(self, sp_id: str) -> list[SyncJob]:
        with self.lock:
            return list(self._state(sp_id).jobs.values())

    def update_job(self, sp_id: str, job_id: str, body: Any) -> None:
        """``PATCH jobs/{id}``: the job's ``synchronizationJobSettings`` (see ``parse_job_settings``)."""
        with self.lock:
            job = self.get_job(sp_id, job_id)
            job.settings.update(parse_job_settings(body))

    def delete_job(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            self.get_job(sp_id, job_id)
            del self._by_sp[sp_id].jobs[job_id]

    # -- secrets ---------------------------------------------------------------------------------
    def put_secrets(self, sp_id: str, body: Any) -> None:
        pairs = parse_secrets(body)
        with self.lock:
            self._state(sp_id).secrets.update(pairs)

    def store_secrets(self, sp_id: str, pairs: dict[str, str]) -> None:
        """Internal writes (Authorize, token refresh): already validated."""
        with self.lock:
            self._state(sp_id).secrets.update(pairs)

    def secrets(self, sp_id: str, overlay: dict[str, str] | None = None) -> dict[str, str]:
        """The effective secrets: template defaults, then saved values, then ``overlay``."""
        sp = self.service_principal(sp_id)
        with self.lock:
            values = dict(self.default_secrets(sp))
            values.update(self._state(sp_id).secrets)
        values.update(overlay or {})
        return values

    def default_secrets(self, sp) -> dict[str, str]:
        """Simulator choice: the GoToMeeting template points at the lab's GoToMeeting by default."""
        if sp.synchronization_template_id != "gotomeeting":
            return {}
        goto = self.entra.config.gotomeeting_url.rstrip("/")
        return {"BaseAddress": f"{goto}/scim/v2", "Oauth2AuthorizationUri": f"{goto}/oauth/authorize",
                "Oauth2TokenExchangeUri": f"{goto}/oauth/token"}

    def has_credentials(self, sp_id: str, secrets: dict[str, str] | None = None) -> bool:
        sp = self.service_principal(sp_id)
        values = secrets if secrets is not None else self.secrets(sp_id)
        if not values.get("BaseAddress"):
            return False
        if sp.synchronization_template_id == "gotomeeting":
            return bool(values.get("Oauth2AccessToken"))
        return True

    def redacted_secrets(self, sp_id: str) -> dict[str, str]:
        return {k: ("REDACTED" if k in CREDENTIAL_KEYS else v) for k, v in self.secrets(sp_id).items()}

    # -- test connection -------------------------------------------------------------------------
    def validate_credentials(self, sp_id: str, job_id: str, body: dict) -> None:
        from ..provisioning.probe import run_probe

        job = self.get_job(sp_id, job_id)
        unknown = sorted(set(body) - {"useSavedCredentials", "credentials", "applicationIdentifier",
                                      "templateId"})
        if unknown:
            raise SyncError(400, f"The property '{unknown[0]}' is not valid for validateCredentials.", "BadRequest")
        overlay: dict[str, str] = {}
        if body.get("credentials") is not None:
            overlay = parse_secrets({"value": body["credentials"]})
        elif body.get("useSavedCredentials") not in (True, None):
            raise SyncError(400, "useSavedCredentials must be true, or credentials must be given.", "BadRequest")
        run_probe(self, sp_id, job, overlay)

    # -- start, pause, restart -------------------------------------------------------------------
    def start_job(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            job = self.get_job(sp_id, job_id)
            if not self.has_credentials(sp_id):
                raise SyncError(400, "The job cannot start: no credentials are saved for this application. "
                                     "Authorize (or save the Tenant URL and Secret Token) and test the connection "
                                     "first.", "BadRequest")
            now = self.entra.lab.clock.now()
            job.schedule_state = "Active"
            job.pause_after_cycle = False
            if job.quarantine is not None:
                job.quarantine = None
            job.code = "Active" if job.runtime.initial_done else "NotRun"
            job.next_due = now

    def pause_job(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            job = self.get_job(sp_id, job_id)
            job.schedule_state = "Paused"
            job.code = "Paused"
            job.next_due = None

    def restart_job(self, sp_id: str, job_id: str, body: Any) -> None:
        scopes = parse_reset_scope(body)
        with self.lock:
            job = self.get_job(sp_id, job_id)
            self.apply_reset(job, scopes)
            if job.schedule_state == "Active":
                job.next_due = self.entra.lab.clock.now()

    @staticmethod
    def apply_reset(job: SyncJob, scopes: tuple[str, ...]) -> None:
        rt = job.runtime
        if "Watermark" in scopes:
            rt.watermark = None
        if "Escrows" in scopes:
            rt.escrows.clear()
            job.escrows_pruned = False
        if "QuarantineState" in scopes and job.quarantine is not None:
            job.quarantine = None
            job.count_successive_complete_failures = 0
            if job.code == "Quarantine":
                job.code = "Active" if job.runtime.initial_done else "NotRun"
        if "ConnectorDataStore" in scopes:
            # Simulator choice: with ForceDeletes in the same restart (Full), the links of the staged
            # deletions are kept, so that the deletions they stand for still reach the target.
            keep = rt.staged_deletes if "ForceDeletes" in scopes else set()
            for source_id in [k for k in rt.links if k not in keep]:
                del rt.links[source_id]
            rt.watermark = None
        if "ForceDeletes" in scopes:
            rt.force_deletes = True

    # -- schema ----------------------------------------------------------------------------------
    def get_schema(self, sp_id: str, job_id: str) -> dict:
        with self.lock:
            return self.get_job(sp_id, job_id).copy_schema()

    def put_schema(self, sp_id: str, job_id: str, body: Any) -> None:
        from ..provisioning.mappings import validate_schema

        self.get_job(sp_id, job_id)  # an unknown job is a 404 whatever the body
        if not isinstance(body, dict):
            raise SyncError(400, "The request body must be a synchronizationSchema object.", "BadRequest")
        errors = validate_schema(body)
        if errors:
            raise SyncError(400, "The schema is not valid: " + "; ".join(errors), "BadRequest")
        with self.lock:
            job = self.get_job(sp_id, job_id)
            changed = _mapping_part(job.schema) != _mapping_part(body)
            job.schema = body
            if changed:
                # SPEC §3.4: editing mappings or scoping filters restarts the job (clears the watermark).
                job.runtime.watermark = None
                if job.schedule_state == "Active":
                    job.next_due = self.entra.lab.clock.now()

    # -- provision on demand ---------------------------------------------------------------------
    def provision_on_demand(self, sp_id: str, job_id: str, body: Any) -> dict:
        """SPEC §3.4: one user (or one group with at most 5 members) now, in the legacy dialect whatever
        the BaseAddress flag says, at most 5 calls per 10 seconds (virtual clock), paused jobs included."""
        from ..provisioning.engine import Engine
        from ..provisioning.dialects import Dialect

        job = self.get_job(sp_id, job_id)
        subjects = _on_demand_subjects(body)
        if not self.has_credentials(sp_id):
            raise SyncError(400, "No credentials are saved for this application.", "BadRequest")
        now = self.entra.lab.clock.now()
        with self.lock:
            window = [t for t in self._on_demand_calls.get(sp_id, []) if now - t < ON_DEMAND_WINDOW]
            if len(window) >= ON_DEMAND_LIMIT:
                wait = int((ON_DEMAND_WINDOW - (now - window[0])).total_seconds()) or 1
                raise SyncError(429, "Too many provision-on-demand requests: at most 5 every 10 seconds.",
                                "TooManyRequests", headers={"Retry-After": str(wait)})
            window.append(now)
            self._on_demand_calls[sp_id] = window
            return Engine(self, sp_id, job, dialect_override=Dialect.LEGACY, on_demand=True).run_on_demand(subjects)

    # -- scheduling (the clock's Scheduler protocol) ---------------------------------------------
    def next_due(self) -> datetime | None:
        with self.lock:
            due = [job.next_due for _, job in self.all_jobs()
                   if job.next_due is not None and job.schedule_state == "Active"]
        return min(due) if due else None

    def run_due(self, now: datetime) -> None:
        for sp_id, job in sorted(self.all_jobs(), key=lambda item: (item[1].next_due or now, item[1].id)):
            if job.schedule_state == "Active" and job.next_due is not None and job.next_due <= now:
                self.run_cycle(sp_id, job)

    def run_cycle(self, sp_id: str, job: SyncJob) -> dict:
        """One cycle of ``job``. Nothing escapes it: an error the engine did not catch per object fails
        the cycle (``lastExecution.state`` Failed) and the schedule continues, so that advancing the
        clock never answers 500."""
        from ..provisioning.engine import Engine

        with self.lock:
            engine = None
            try:
                engine = Engine(self, sp_id, job)
                result = engine.run_cycle()
            except Exception as exc:  # noqa: BLE001 - the clock and the admin API must survive any cycle
                result = engine.fail_cycle(exc) if engine is not None else {"state": "Failed", "error": str(exc)}
            self._schedule_next(job)
            return result

    def _schedule_next(self, job: SyncJob) -> None:
        now = self.entra.lab.clock.now()
        if job.pause_after_cycle:
            job.schedule_state = "Paused"
            job.code = "Paused"
            job.next_due = None
            job.pause_after_cycle = False
        elif job.schedule_state != "Active":
            job.next_due = None
        elif job.quarantine is not None:
            job.next_due = job.quarantine.next_attempt
        else:
            job.next_due = now + (job.interval or DEFAULT_INTERVAL)

    def run_job_now(self, job_id: str) -> dict:
        sp_id, job = self.find_job(job_id)
        if not self.has_credentials(sp_id):
            raise SyncError(400, "The job has no saved credentials.", "BadRequest")
        return self.run_cycle(sp_id, job)


def _mapping_part(schema: dict) -> Any:
    return [(rule.get("id"), rule.get("objectMappings")) for rule in schema.get("synchronizationRules", [])]


ON_DEMAND_LIMIT = 5
ON_DEMAND_WINDOW = timedelta(seconds=10)


def _on_demand_subjects(body: Any) -> list[tuple[str, str]]:
    """``{"parameters":[{"ruleId","subjects":[{"objectId","objectTypeName"}]}]}`` -> [(id, type)]."""
    problem = SyncError(400, "The body must be {\"parameters\": [{\"ruleId\": ..., \"subjects\": [{\"objectId\": "
                             "..., \"objectTypeName\": \"User\" | \"Group\"}]}]}.", "BadRequest")
    if not isinstance(body, dict) or not isinstance(body.get("parameters"), list) or not body["parameters"]:
        raise problem
    subjects = []
    for parameter in body["parameters"]:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("subjects"), list):
            raise problem
        for subject in parameter["subjects"]:
            if not isinstance(subject, dict) or not isinstance(subject.get("objectId"), str) \
                    or subject.get("objectTypeName") not in ("User", "Group"):
                raise problem
            subjects.append((subject["objectId"], subject["objectTypeName"]))
    if len(subjects) != 1:
        raise SyncError(400, "Provision on demand takes exactly one subject.", "BadRequest")
    return subjects


def _guard_setting(value: Any) -> dict | None:
    """``ownershipGuard``: null (off) or ``{"prefix": str, "reservedIds"?: [str], "halted"?: bool}``."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"prefix", "reservedIds", "halted"}:
        raise SyncError(400, "ownershipGuard must be null or {\"prefix\": …, \"reservedIds\": […], \"halted\": …}")
    prefix = value.get("prefix")
    if not isinstance(prefix, str) or len(prefix.strip()) < 3:
        raise SyncError(400, "ownershipGuard.prefix must be a string of at least 3 characters")
    reserved = value.get("reservedIds", [])
    if not isinstance(reserved, list) or not all(isinstance(i, str) and i for i in reserved):
        raise SyncError(400, "ownershipGuard.reservedIds must be a list of ids")
    halted = value.get("halted", False)
    if not isinstance(halted, bool):
        raise SyncError(400, "ownershipGuard.halted must be a boolean")
    return {"prefix": prefix.strip(), "reservedIds": list(reserved), "halted": halted}
