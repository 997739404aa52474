"""GoToMeeting's SCIM 2.0 provisioning API (SPEC §4.3): resources and policies (``resources``), Entra's
tolerated shapes (``tolerance``), supported filters (``filters``), the operations (``service``), the
discovery documents (``discovery``), the HTTP views (``views``) and the lab-control routes (``admin``)."""
from __future__ import annotations


def scim_blueprint(goto):
    from .views import scim_blueprint as build

    return build(goto)


def render_scim_error(goto):
    from .views import render_scim_error as build

    return build(goto)
