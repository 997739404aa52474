"""Graph views of the synchronization API (SPEC §3.4): parse, call one operation, render Graph's shape."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.appbase import read_json
from ...core.errors import LabHTTPError
from ..graph import graph_collection, graph_entity, graph_json, graph_no_content
from .model import SyncError

PERMISSION = "Synchronization.ReadWrite.All"
READ_PERMISSION = "Synchronization.Read.All"


def _call(fn, *args):
    try:
        return fn(*args)
    except SyncError as exc:
        raise LabHTTPError(exc.status, exc.message, exc.code, headers=exc.headers) from None


def sync_blueprint(entra) -> Blueprint:
    bp = Blueprint("entra_sync", __name__)
    sync = entra.sync
    base = "/servicePrincipals/<sp_id>/synchronization"

    def body(allow_empty=False):
        return read_json(allow_empty=allow_empty)

    @bp.get(f"{base}/templates")
    def list_templates(sp_id):
        entra.require_graph(READ_PERMISSION)
        items = _call(sync.list_templates, sp_id)
        return graph_json(graph_collection(f"servicePrincipals('{sp_id}')/synchronization/templates", items))

    @bp.get(f"{base}/jobs")
    def list_jobs(sp_id):
        entra.require_graph(READ_PERMISSION)
        jobs = [j.to_graph() for j in _call(sync.list_jobs, sp_id)]
        return graph_json(graph_collection(f"servicePrincipals('{sp_id}')/synchronization/jobs", jobs))

    @bp.post(f"{base}/jobs")
    def create_job(sp_id):
        entra.require_graph(PERMISSION)
        job = _call(sync.create_job, sp_id, body())
        return graph_json(graph_entity(f"servicePrincipals('{sp_id}')/synchronization/jobs", job.to_graph()), 201)

    @bp.get(f"{base}/jobs/<job_id>")
    def get_job(sp_id, job_id):
        entra.require_graph(READ_PERMISSION)
        job = _call(sync.get_job, sp_id, job_id)
        return graph_json(graph_entity(f"servicePrincipals('{sp_id}')/synchronization/jobs", job.to_graph()))

    @bp.patch(f"{base}/jobs/<job_id>")
    def update_job(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.update_job, sp_id, job_id, body())
        return graph_no_content()

    @bp.delete(f"{base}/jobs/<job_id>")
    def delete_job(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.delete_job, sp_id, job_id)
        return graph_no_content()

    @bp.put(f"{base}/secrets")
    def put_secrets(sp_id):
        entra.require_graph(PERMISSION)
        _call(sync.put_secrets, sp_id, body())
        return graph_no_content()

    @bp.post(f"{base}/jobs/<job_id>/validateCredentials")
    def validate_credentials(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.validate_credentials, sp_id, job_id, body(allow_empty=True))
        return graph_no_content()

    @bp.post(f"{base}/jobs/<job_id>/start")
    def start_job(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.start_job, sp_id, job_id)
        return graph_no_content()

    @bp.post(f"{base}/jobs/<job_id>/pause")
    def pause_job(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.pause_job, sp_id, job_id)
        return graph_no_content()

    @bp.post(f"{base}/jobs/<job_id>/restart")
    def restart_job(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.restart_job, sp_id, job_id, body(allow_empty=True))
        return graph_no_content()

    @bp.get(f"{base}/jobs/<job_id>/schema")
    def get_schema(sp_id, job_id):
        entra.require_graph(READ_PERMISSION)
        schema = _call(sync.get_schema, sp_id, job_id)
        return graph_json(graph_entity(f"servicePrincipals('{sp_id}')/synchronization/jobs('{job_id}')/schema",
                                       schema))

    @bp.put(f"{base}/jobs/<job_id>/schema")
    def put_schema(sp_id, job_id):
        entra.require_graph(PERMISSION)
        _call(sync.put_schema, sp_id, job_id, body())
        return graph_no_content()

    @bp.post(f"{base}/jobs/<job_id>/provisionOnDemand")
    def provision_on_demand(sp_id, job_id):
        entra.require_graph(PERMISSION)
        result = _call(sync.provision_on_demand, sp_id, job_id, body())
        return graph_json({"@odata.context": "$metadata#microsoft.graph.stringKeyStringValuePair", **result})

    return bp


def sync_admin_routes(bp: Blueprint, entra) -> None:
    """Entra's lab-control additions: run a job now, lab settings, the notification mailbox."""
    from ...core.errors import json_response

    sync = entra.sync

    @bp.post("/jobs/<job_id>/run")
    def _run_job(job_id):
        try:
            result = sync.run_job_now(job_id)
        except SyncError as exc:
            raise LabHTTPError(exc.status, exc.message, exc.code) from None
        return json_response(result)

    @bp.get("/settings")
    def _settings():
        return json_response(dict(sync.settings))

    @bp.put("/settings")
    def _put_settings():
        try:
            return json_response(sync.update_settings(read_json()))
        except SyncError as exc:
            raise LabHTTPError(exc.status, exc.message) from None

    @bp.get("/metrics")
    def _metrics():
        """Wall-clock samples of the engine's requests (lab setting ``requestMetrics``) from ``since``."""
        bounds = {}
        for name in ("since", "limit"):
            raw = request.args.get(name)
            if raw is not None:
                if not raw.isdigit():
                    raise LabHTTPError(400, f"query parameter {name} must be a non-negative integer")
                bounds[name] = int(raw)
        return json_response(sync.metrics.read(bounds.get("since", 0), bounds.get("limit")))

    @bp.delete("/metrics")
    def _clear_metrics():
        sync.metrics.reset()
        return json_response({"cleared": True})

    @bp.get("/notifications")
    def _notifications():
        return json_response({"value": entra.notifications.list()})
