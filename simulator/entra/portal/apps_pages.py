"""Enterprise apps: the list with search, and one app's Overview."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ...core.pages import page
from ..apps.model import AppsError
from .pages import portal_message


def register(bp, entra) -> None:
    apps = entra.apps
    admin_page = bp.admin_page

    def service_principal(sp_id: str):
        try:
            return apps.get_service_principal(sp_id)
        except AppsError:
            return None

    @bp.get("/portal/enterprise-apps")
    @admin_page
    def enterprise_apps():
        search = (request.args.get("search") or "").strip()[:256]
        listed = sorted(apps.list_service_principals(), key=lambda sp: sp.display_name.lower())
        if search:
            needle = search.lower()
            listed = [sp for sp in listed if needle in sp.display_name.lower() or sp.app_id.lower().startswith(needle)
                      or sp.id.lower().startswith(needle)]
        return page("portal/enterprise_apps.html", service_principals=listed, search=search)

    @bp.get("/portal/enterprise-apps/<sp_id>/overview")
    @admin_page
    def app_overview(sp_id: str):
        sp = service_principal(sp_id)
        if sp is None:
            return portal_message(_("Not found"), _("The application %(id)s does not exist.", id=sp_id), 404)
        return page("portal/app_overview.html", sp=sp, section_title=_("Overview"),
                    assignments=len(apps.assignments_for_service_principal(sp.id)))
