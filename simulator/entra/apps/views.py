"""Graph views of the enterprise applications (SPEC §3.3): application templates, applications, service
principals and app role assignments. Each view checks the token, parses the request, calls one ``Apps``
operation and renders Graph's wire shape. Lists take the OData options ``$filter``, ``$select``, ``$top``,
``$orderby``, ``$count`` and ``$skiptoken`` (``simulator.entra.odata``)."""
from __future__ import annotations

from typing import Callable, Iterable

from flask import Blueprint, request

from ...core.appbase import read_json
from ...core.errors import LabHTTPError
from ..graph import graph_entity, graph_json, graph_no_content, graph_page, odata_context, render_graph_error
from ..odata import EntityType, ODataError, TokenSigner, paginate, parse_query
from .model import AppsError, require_object_id
from .schema import APP_ROLE_ASSIGNMENT, APPLICATION, APPLICATION_TEMPLATE, SERVICE_PRINCIPAL

READ_APPS = "Application.Read.All"
WRITE_APPS = "Application.ReadWrite.All"
WRITE_ASSIGNMENTS = "AppRoleAssignment.ReadWrite.All"
_SINGLE_OPTIONS = frozenset({"$select"})

_STATUS = {"not_found": (404, "Request_ResourceNotFound"), "bad_request": (400, "Request_BadRequest"),
           "invalid_id": (400, "Request_BadRequest")}


def _body() -> dict:
    return read_json(code="BadRequest")


def apps_blueprint(entra) -> Blueprint:
    bp = Blueprint("entra_apps", __name__)
    apps = entra.apps
    render = render_graph_error(entra)
    own_signer: list[TokenSigner] = []

    @bp.errorhandler(AppsError)
    def _apps_error(exc: AppsError):
        status, code = _STATUS[exc.kind]
        return render(status, exc.message, code, {})

    @bp.errorhandler(ODataError)
    def _odata_error(exc: ODataError):
        return render(exc.status, exc.message, exc.code, {})

    def signer() -> TokenSigner:
        """Skip tokens are signed with the directory's key (shared by the tenant's lists)."""
        shared = getattr(entra.directory, "signer", None)
        if shared is not None:
            return shared
        if not own_signer:
            own_signer.append(TokenSigner(entra.lab.rand.stream("entra.apps.tokens").bytes(32)))
        return own_signer[0]

    def collection(entity: EntityType, entity_set: str, objects: Iterable) -> dict:
        items = [o.to_graph() for o in objects]
        query = parse_query(request.args, entity)
        page = paginate(query, lambda after: ((i, o) for i, o in enumerate(items) if i > after), signer(),
                        scope=entity_set)
        return graph_page(entity_set, page, query.project, query)

    def entity(entity_type: EntityType, entity_set: str, obj) -> dict:
        query = parse_query(request.args, entity_type, allowed=_SINGLE_OPTIONS)
        return graph_entity(f"{entity_set}{query.context_suffix()}", query.project(obj.to_graph()))

    # -- application templates -----------------------------------------------------------------
    @bp.get("/applicationTemplates")
    def list_application_templates():
        entra.require_graph(None)
        return graph_json(collection(APPLICATION_TEMPLATE, "applicationTemplates",
                                     apps.list_application_templates()))

    @bp.get("/applicationTemplates/<template_id>")
    def get_application_template(template_id: str):
        entra.require_graph(None)
        return graph_json(entity(APPLICATION_TEMPLATE, "applicationTemplates",
                                 apps.get_application_template(template_id)))

    @bp.post("/applicationTemplates/<template_id>/instantiate")
    def instantiate_template(template_id: str):
        entra.require_graph(WRITE_APPS)
        body = _body()
        application, sp = apps.instantiate_template(template_id, body.get("displayName"))
        return graph_json({"@odata.context": odata_context("microsoft.graph.applicationServicePrincipal"),
                           "application": application.to_graph(), "servicePrincipal": sp.to_graph()}, 201)

    # -- applications and service principals -----------------------------------------------------
    def _entity_routes(entity_type: EntityType, list_op: Callable, get_op: Callable, delete_op: Callable) -> None:
        entity_set = entity_type.entity_set

        def list_view():
            entra.require_graph(READ_APPS)
            return graph_json(collection(entity_type, entity_set, list_op()))

        def get_view(object_id: str):
            entra.require_graph(READ_APPS)
            return graph_json(entity(entity_type, entity_set, get_op(object_id)))

        def delete_view(object_id: str):
            entra.require_graph(WRITE_APPS)
            delete_op(object_id)
            return graph_no_content()

        bp.add_url_rule(f"/{entity_set}", f"list_{entity_set}", list_view, methods=["GET"])
        bp.add_url_rule(f"/{entity_set}/<object_id>", f"get_{entity_set}", get_view, methods=["GET"])
        bp.add_url_rule(f"/{entity_set}/<object_id>", f"delete_{entity_set}", delete_view, methods=["DELETE"])

    _entity_routes(APPLICATION, apps.list_applications, apps.get_application, apps.delete_application)
    _entity_routes(SERVICE_PRINCIPAL, apps.list_service_principals, apps.get_service_principal,
                   apps.delete_service_principal)

    # -- app role assignments ----------------------------------------------------------------------
    def _assignments_set(owner: str, owner_id: str, nav: str) -> str:
        return f"{owner}('{owner_id}')/{nav}"

    @bp.get("/servicePrincipals/<sp_id>/appRoleAssignedTo")
    def list_app_role_assigned_to(sp_id: str):
        entra.require_graph(READ_APPS)
        entity_set = _assignments_set("servicePrincipals", sp_id, "appRoleAssignedTo")
        return graph_json(collection(APP_ROLE_ASSIGNMENT, entity_set,
                                     apps.list_app_role_assignments(resource_id=sp_id)))

    @bp.post("/servicePrincipals/<sp_id>/appRoleAssignedTo")
    def create_app_role_assigned_to(sp_id: str):
        entra.require_graph(WRITE_ASSIGNMENTS)
        body = _body()
        assignment = apps.create_app_role_assignment(
            resource_id=sp_id, principal_id=body.get("principalId"), app_role_id=body.get("appRoleId"),
            body_resource_id=body.get("resourceId"))
        entity_set = _assignments_set("servicePrincipals", sp_id, "appRoleAssignedTo")
        return graph_json(graph_entity(entity_set, assignment.to_graph()), 201)

    @bp.delete("/servicePrincipals/<sp_id>/appRoleAssignedTo/<assignment_id>")
    def delete_app_role_assigned_to(sp_id: str, assignment_id: str):
        entra.require_graph(WRITE_ASSIGNMENTS)
        apps.delete_app_role_assignment(assignment_id, resource_id=sp_id)
        return graph_no_content()

    def _principal_routes(owner: str, read_permission: str) -> None:
        def list_view(principal_id: str):
            entra.require_graph(read_permission)
            entity_set = _assignments_set(owner, principal_id, "appRoleAssignments")
            return graph_json(collection(APP_ROLE_ASSIGNMENT, entity_set,
                                         apps.list_app_role_assignments(principal_id=principal_id)))

        def create_view(principal_id: str):
            entra.require_graph(WRITE_ASSIGNMENTS)
            expected = require_object_id(principal_id)
            body = _body()
            resource_id = body.get("resourceId")
            if not isinstance(resource_id, str):
                raise LabHTTPError(400, "Invalid value specified for property 'resourceId' of resource "
                                        "'AppRoleAssignment'.", "Request_BadRequest")
            assignment = apps.create_app_role_assignment(
                resource_id=resource_id, principal_id=body.get("principalId"),
                app_role_id=body.get("appRoleId"), expected_principal_id=expected)
            entity_set = _assignments_set(owner, principal_id, "appRoleAssignments")
            return graph_json(graph_entity(entity_set, assignment.to_graph()), 201)

        def delete_view(principal_id: str, assignment_id: str):
            entra.require_graph(WRITE_ASSIGNMENTS)
            apps.delete_app_role_assignment(assignment_id, principal_id=principal_id)
            return graph_no_content()

        bp.add_url_rule(f"/{owner}/<principal_id>/appRoleAssignments", f"list_{owner}_assignments",
                        list_view, methods=["GET"])
        bp.add_url_rule(f"/{owner}/<principal_id>/appRoleAssignments", f"create_{owner}_assignment",
                        create_view, methods=["POST"])
        bp.add_url_rule(f"/{owner}/<principal_id>/appRoleAssignments/<assignment_id>",
                        f"delete_{owner}_assignment", delete_view, methods=["DELETE"])

    _principal_routes("users", "User.Read.All")
    _principal_routes("groups", "Group.Read.All")
    return bp
