"""Entra-specific ``/_admin`` routes, added to the common lab-control blueprint (SPEC §5)."""
from __future__ import annotations

from flask import Blueprint

from ..core.errors import json_response
from ..core.redact import REDACTED


def entra_admin_routes(bp: Blueprint, entra) -> None:
    @bp.get("/clients")
    def _clients():
        """The registered app-only clients: ids, granted Graph permissions; secrets redacted."""
        config = entra.config
        return json_response({
            "tenantId": config.tenant_id,
            "tenantDomain": config.tenant_domain,
            "clients": [{"clientId": c.client_id, "clientSecret": REDACTED, "displayName": c.display_name,
                         "roles": list(c.roles), "servicePrincipalId": c.service_principal_id}
                        for c in config.clients],
        })
