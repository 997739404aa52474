"""The GoToMeeting Flask app factory: ``create_app(config, lab)``.

State lives in ``app.extensions["gotomeeting"]`` (a ``GoToMeeting`` object); nothing is module-global.
Surfaces and their error envelopes: ``/scim/v2`` SCIM Error, ``/oauth`` RFC 6749 (JSON at the token
endpoint, an HTML page at the authorize endpoint), ``/_admin`` the lab's JSON, ``/admin-center`` the GoTo
Admin Center's pages (an HTML page in its layout).
"""
from __future__ import annotations

from flask import Flask

from ..core.admin import admin_blueprint, render_admin_error
from ..core.appbase import Surfaces, create_base_app
from ..core.faults import FaultSet
from ..core.journal import Journal
from ..core.lab import Lab
from ..core.pages import install_pages
from .state import GoToMeeting, GoToMeetingConfig


def create_app(config: GoToMeetingConfig | dict | None = None, lab: Lab | None = None) -> Flask:
    from .admin import gotomeeting_admin_routes
    from .admin_center import admin_center_blueprint, render_admin_center_error
    from .oauth import oauth_blueprint, render_oauth_error
    from .scim import render_scim_error, scim_blueprint
    from .scim.admin import scim_admin_routes
    from .sso.views import render_admin_api_error, render_sso_page_error, sso_blueprints

    lab = lab or Lab()
    if not isinstance(config, GoToMeetingConfig):
        config = GoToMeetingConfig.from_dict(config or {})
    journal = Journal(lab.clock)
    faults = FaultSet(lab.rand.stream("gotomeeting.faults"))
    goto = GoToMeeting(config=config, lab=lab, journal=journal, faults=faults)

    surfaces = Surfaces(default=render_scim_error(goto))
    surfaces.add("/scim", render_scim_error(goto))
    surfaces.add("/oauth", render_oauth_error(goto))
    surfaces.add("/_admin", render_admin_error)
    surfaces.add("/admin/rest", render_admin_api_error)
    surfaces.add("/saml", render_sso_page_error)
    surfaces.add("/admin-center", render_admin_center_error)

    app = create_base_app("gotomeeting", journal=journal, faults=faults, surfaces=surfaces)
    app.extensions["gotomeeting"] = goto
    app.extensions["lab"] = lab
    install_pages(app, name="goto", rand=lab.rand, clock=lab.clock)

    admin = admin_blueprint("gotomeeting", lab=lab, journal=journal, faults=faults,
                            reset=goto.reset, state=goto.state, seed=goto.seed)
    gotomeeting_admin_routes(admin, goto)
    scim_admin_routes(admin, goto)
    app.register_blueprint(admin)
    app.register_blueprint(oauth_blueprint(goto))
    app.register_blueprint(scim_blueprint(goto), url_prefix="/scim/v2")
    sso_admin, sso_pages = sso_blueprints(goto)
    app.register_blueprint(sso_admin)
    app.register_blueprint(sso_pages)
    app.register_blueprint(admin_center_blueprint(goto))
    return app
