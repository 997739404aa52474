"""``GET /auditLogs/provisioning`` (SPEC §3.8): provisioningObjectSummary items with ``$filter`` on
jobId, cycleId, servicePrincipal/id, sourceIdentity/id, targetIdentity/id, provisioningAction,
provisioningStatusInfo/status and activityDateTime; ``$top``; ``$orderby activityDateTime``;
``@odata.nextLink`` paging (the link spells ``$top`` / ``$skiptoken`` with a literal ``$``, as Graph's do)."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.errors import LabHTTPError
from ..graph import graph_base_url, graph_collection, graph_entity, graph_json
from ..odata import DATETIME, EntityType, ODataError, Prop, paginate, parse_query

PROVISIONING = EntityType(
    name="microsoft.graph.provisioningObjectSummary", resource="ProvisioningObjectSummary",
    entity_set="auditLogs/provisioning",
    props=(
        Prop("id"), Prop("jobId"), Prop("cycleId"), Prop("changeId"),
        Prop("servicePrincipal/id"), Prop("servicePrincipal/displayName"),
        Prop("sourceIdentity/id"), Prop("sourceIdentity/displayName"),
        Prop("targetIdentity/id"), Prop("targetIdentity/displayName"),
        Prop("provisioningAction"), Prop("provisioningStatusInfo/status"),
        Prop("activityDateTime", DATETIME, sortable=True),
    ),
)
#: Simulator choice: the default page of provisioning logs (Graph's is not documented); $top up to 999.
PAGE_SIZE = 100


def _getter(entry, name: str):
    return entry.filter_value(name)


def logs_blueprint(entra) -> Blueprint:
    bp = Blueprint("entra_provisioning_logs", __name__)
    logs = entra.provisioning_logs

    @bp.get("/auditLogs/provisioning")
    def list_provisioning():
        entra.require_graph("AuditLog.Read.All")
        params = {k: v for k, v in request.args.items()}
        try:
            query = parse_query(params, PROVISIONING,
                                allowed=frozenset({"$filter", "$top", "$orderby", "$skiptoken", "$count"}))
            entries = logs.entries()
            page = paginate(query, lambda after: ((i, e) for i, e in enumerate(entries) if i > after),
                            entra.directory.signer, getter=_getter, scope="provisioning", page_size=PAGE_SIZE)
        except ODataError as exc:
            raise LabHTTPError(exc.status, exc.message, exc.code) from None
        extra = {}
        if page.count is not None:
            extra["@odata.count"] = page.count
        if page.next_token:
            keep = {k: v for k, v in params.items() if k.lower() != "$skiptoken"}
            from urllib.parse import urlencode

            extra["@odata.nextLink"] = (f"{graph_base_url()}/auditLogs/provisioning?"
                                        f"{urlencode({**keep, '$skiptoken': page.next_token}, safe='$')}")
        return graph_json(graph_collection("auditLogs/provisioning", [e.to_graph() for e in page.items], **extra))

    @bp.get("/auditLogs/provisioning/<entry_id>")
    def get_provisioning(entry_id):
        entra.require_graph("AuditLog.Read.All")
        entry = logs.find(entry_id)
        if entry is not None:
            return graph_json(graph_entity("auditLogs/provisioning", entry.to_graph()))
        raise LabHTTPError(404, f"Resource '{entry_id}' does not exist or one of its queried reference-property "
                                "objects are not present.", "Request_ResourceNotFound")

    return bp
