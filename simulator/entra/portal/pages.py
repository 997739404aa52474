"""The Microsoft Entra admin center as pages (SPEC §8), under ``/portal/``.

Every page needs a signed-in tenant user (Entra's sign-in page, the ``ESTSAUTH`` session of
``simulator.entra.sso``) who holds Cloud Application Administrator, Application Administrator or Global
Administrator; anyone else sees Entra's "no access" page. A page calls the same backend operations as
Graph and the synchronization API (``entra.apps``, ``entra.sync``, ``entra.provisioning_logs``) and
renders a template of ``templates/portal/``; its texts go through the message catalogues.

The blades live in their own modules, each with ``register(bp, entra)``: ``apps_pages`` (Enterprise
apps, the gallery, Overview, Users and groups), ``provisioning_pages`` (Provisioning, Settings, the
cycle's progress, Provision on demand), ``mappings_pages`` (attribute mappings), ``logs_pages``
(provisioning logs).
"""
from __future__ import annotations

import functools
from typing import Callable
from urllib.parse import urlencode

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import gettext as _

from ...core.pages import page, static_files
from ..apps.model import AppsError
from ..directory.roles import APP_ADMIN_ROLES

SESSION_COOKIE = "ESTSAUTH"


def safe_next(target: str | None) -> str:
    """Where to go after the sign-in: a path of the portal, never another site."""
    if target and target.startswith("/portal/") and not target.startswith("//") and "\\" not in target:
        return target[:1024]
    return "/portal/"


def portal_pages_blueprint(entra) -> Blueprint:
    bp = static_files(Blueprint("entra_portal_pages", __name__, template_folder="templates", static_folder="static",
                                static_url_path="/portal/static"))

    def admin_page(view: Callable) -> Callable:
        """A page for admins: sign in first; without an app-admin role, Entra's "no access" page."""
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = entra.sso.session_user(request.cookies.get(SESSION_COOKIE))
            if user is None or not user.account_enabled:
                return redirect(f"{url_for('entra_sso_pages.portal_sign_in')}?"
                                f"{urlencode({'next': request.full_path.rstrip('?')})}")
            g.portal_user = user
            g.portal_roles = entra.roles.role_names(user.id)
            if not entra.roles.holds_any(user.id, APP_ADMIN_ROLES):
                return page("portal/no_access.html", 403)
            return view(*args, **kwargs)
        return guarded

    def app_page(view: Callable) -> Callable:
        """An admin page of one enterprise app: the view gets the service principal ``sp_id`` names (and
        the URL's other arguments); an unknown app is the "not found" page."""
        @functools.wraps(view)
        def with_app(sp_id: str, **kwargs):
            try:
                sp = entra.apps.get_service_principal(sp_id)
            except AppsError:
                return portal_message(_("Not found"), _("The application %(id)s does not exist.", id=sp_id), 404)
            return view(sp, **kwargs)
        return admin_page(with_app)

    bp.admin_page = admin_page  # the blades' decorators
    bp.app_page = app_page

    @bp.app_context_processor
    def _menus():
        return {"app_menu": app_menu}

    @bp.get("/portal/")
    @admin_page
    def home():
        return redirect(url_for("entra_portal_pages.enterprise_apps"))

    from . import apps_pages, logs_pages, mappings_pages, provisioning_pages

    for blade in (apps_pages, provisioning_pages, mappings_pages, logs_pages):
        blade.register(bp, entra)
    return bp


def app_menu(sp) -> list[tuple[str, str]]:
    """An enterprise app's menu: (endpoint, label) of its sections."""
    entries = [("entra_portal_pages.app_overview", _("Overview")),
               ("entra_portal_pages.users_and_groups", _("Users and groups")),
               ("entra_portal_pages.provisioning", _("Provisioning")),
               ("entra_portal_pages.provision_on_demand", _("Provision on demand")),
               ("entra_portal_pages.app_provisioning_logs", _("Provisioning logs"))]
    return entries


def portal_message(title: str, message: str, status: int):
    """A portal error page (routing 404/405, a bad request) in the admin center's layout."""
    return page("portal/message.html", status, title=title, message=message)


def not_found_text() -> str:
    return _("The page or the object you asked for does not exist.")
