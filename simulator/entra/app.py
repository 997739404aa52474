"""The fake Entra ID Flask app factory: ``create_app(config, lab)``.

State lives in ``app.extensions["entra"]`` (an ``Entra`` object); nothing is module-global. Surfaces and
their error envelopes: ``/v1.0`` and ``/beta`` Microsoft Graph, ``/_admin`` the lab's JSON, ``/portal``
Graph-shaped JSON, and everything else (``/{tenant}/oauth2/...``, discovery, keys) the Microsoft identity
platform's AADSTS shape.
"""
from __future__ import annotations

from flask import Flask

from ..core.admin import admin_blueprint, render_admin_error
from ..core.appbase import Surfaces, create_base_app
from ..core.faults import FaultSet
from ..core.journal import Journal
from ..core.lab import Lab
from .state import Entra, EntraConfig

GRAPH_VERSIONS = ("v1.0", "beta")


def _directory_blueprint_factory():
    try:
        from .directory.views import directory_blueprint
    except ImportError:
        return None
    return directory_blueprint


def register_graph_blueprint(app: Flask, blueprint, name: str) -> None:
    """Serve the same Graph handlers under ``/v1.0`` and ``/beta`` (SPEC §2)."""
    for version in GRAPH_VERSIONS:
        app.register_blueprint(blueprint, url_prefix=f"/{version}",
                               name=f"{name}_{version.replace('.', '_')}")


def create_app(config: EntraConfig | dict | None = None, lab: Lab | None = None) -> Flask:
    from .admin import entra_admin_routes
    from .apps.views import apps_blueprint
    from .auth import auth_blueprint, render_aad_error
    from .graph import install_request_id_headers, render_graph_error
    from ..core.pages import install_pages
    from .portal.pages import portal_pages_blueprint
    from .portal.views import portal_blueprint, render_portal_error
    from .provisioning.log_views import logs_blueprint
    from .sso.views import render_sso_page_error, sso_blueprints
    from .sync.views import sync_admin_routes, sync_blueprint

    lab = lab or Lab()
    if not isinstance(config, EntraConfig):
        config = EntraConfig.from_dict(config or {})
    journal = Journal(lab.clock)
    faults = FaultSet(lab.rand.stream("entra.faults"))
    entra = Entra(config=config, lab=lab, journal=journal, faults=faults)

    graph = render_graph_error(entra)
    surfaces = Surfaces(default=render_aad_error(entra))
    for version in GRAPH_VERSIONS:
        surfaces.add(f"/{version}", graph)
    surfaces.add("/portal", render_portal_error)
    surfaces.add("/_admin", render_admin_error)
    surfaces.add("/myapps", render_sso_page_error)

    app = create_base_app("entra", journal=journal, faults=faults, surfaces=surfaces)
    app.extensions["entra"] = entra
    app.extensions["lab"] = lab
    install_request_id_headers(app, entra)

    admin = admin_blueprint("entra", lab=lab, journal=journal, faults=faults,
                            reset=entra.reset, state=entra.state, seed=entra.seed)
    entra_admin_routes(admin, entra)
    sync_admin_routes(admin, entra)
    app.register_blueprint(admin)
    app.register_blueprint(auth_blueprint(entra))
    register_graph_blueprint(app, apps_blueprint(entra), "entra_apps")
    register_graph_blueprint(app, sync_blueprint(entra), "entra_sync")
    register_graph_blueprint(app, logs_blueprint(entra), "entra_provisioning_logs")
    install_pages(app, name="entra", rand=lab.rand, clock=lab.clock)
    app.register_blueprint(portal_blueprint(entra))
    app.register_blueprint(portal_pages_blueprint(entra))
    sso_graph, sso_pages = sso_blueprints(entra)
    register_graph_blueprint(app, sso_graph, "entra_sso")
    app.register_blueprint(sso_pages)
    directory_blueprint = _directory_blueprint_factory()
    if directory_blueprint is not None:
        register_graph_blueprint(app, directory_blueprint(entra), "entra_directory")
    return app
