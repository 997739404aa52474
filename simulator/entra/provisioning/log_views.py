"""``GET /auditLogs/provisioning`` (SPEC §3.8): provisioningObjectSummary items with ``$filter`` on
jobId, cycleId, servicePrincipal/id, sourceIdentity/id, targetIdentity/id, provisioningAction,
provisioningStatusInfo/status and activityDateTime; ``$top``; ``$orderby activityDateTime``;
``@odata.nextLink`` paging (the link spells ``$top`` / ``$skiptoken`` with a literal ``$``, as Graph's do)."""
from __future__ import annotations

from typing import Mapping

from flask import Blueprint, request

from ...core.errors import LabHTTPError
from ..graph import graph_base_url, graph_collection, graph_entity, graph_json
from ..odata import DATETIME, EntityType, ODataError, Page, Prop, paginate, parse_filter, parse_query

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


#: The query options the collection takes.
QUERY_OPTIONS = frozenset({"$filter", "$top", "$orderby", "$skiptoken", "$count"})


def _getter(entry, name: str):
    return entry.filter_value(name)


def query_logs(entra, params: Mapping[str, str], page_size: int = PAGE_SIZE) -> Page:
    """One page of the logged entries for Graph's query options (``$filter``, ``$top``, ``$orderby``,
    ``$skiptoken``, ``$count``); raises ODataError. Graph and the admin center's pages both read here."""
    query = parse_query(params, PROVISIONING, allowed=QUERY_OPTIONS)
    entries = entra.provisioning_logs.entries()
    return paginate(query, lambda after: ((i, e) for i, e in enumerate(entries) if i > after),
                    entra.directory.signer, getter=_getter, scope="provisioning", page_size=page_size)


def filtered_logs(entra, filter_text: str | None) -> list:
    """Every logged entry ``filter_text`` (a ``$filter``) matches, in the order of ``$orderby=activityDateTime
    desc`` (newest first, entries of one instant in the order they were logged): a download's set."""
    predicate = parse_filter(filter_text, PROVISIONING) if filter_text else None
    matching = [e for e in entra.provisioning_logs.entries() if predicate is None or predicate(e, _getter)]
    matching.sort(key=lambda e: e.activity, reverse=True)
    return matching


def logs_blueprint(entra) -> Blueprint:
    bp = Blueprint("entra_provisioning_logs", __name__)
    logs = entra.provisioning_logs

    @bp.get("/auditLogs/provisioning")
    def list_provisioning():
        entra.require_graph("AuditLog.Read.All")
        params = {k: v for k, v in request.args.items()}
        try:
            page = query_logs(entra, params)
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
