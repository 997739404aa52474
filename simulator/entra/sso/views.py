"""HTTP side of Entra's SAML identity provider (SPEC §9).

Graph (Graph's error envelope):

- ``PATCH /servicePrincipals/{id}`` — ``preferredSingleSignOnMode`` (``saml`` selects SAML),
  ``samlSingleSignOnSettings.relayState``, ``preferredTokenSigningKeyThumbprint`` (makes a certificate
  active: rollover), ``loginUrl`` (Sign on URL)
- ``POST /servicePrincipals/{id}/addTokenSigningCertificate`` — a new signing certificate
- ``PATCH /applications/{id}`` — ``identifierUris`` (Identifier) and ``web.redirectUris`` (Reply URL)

Portal (JSON; the blade's downloads):

- ``GET/PATCH /portal/servicePrincipals/{id}/singleSignOn`` — the whole "Set up single sign-on with SAML"
  blade; PATCH edits the NameID claim (``nameIdentifier``) and the ``signingOption``
- ``GET …/singleSignOn/certificate[?thumbprint=]`` — Certificate (Base64)
- ``GET …/singleSignOn/federationMetadata`` — Federation Metadata XML (a download)
- ``GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}`` — the App Federation
  Metadata URL

Sign-in pages (HTML; refusals are pages with the AADSTS code, request id and timestamp):

- ``GET|POST /{tenant}/saml2`` — SP-initiated sign-in (HTTP-Redirect or HTTP-POST binding)
- ``POST /{tenant}/login`` — the sign-in form (user name, password)
- ``GET /myapps`` — My Apps (sign-in first), ``GET /myapps/signin/{appId}`` — a tile (IdP-initiated),
  ``GET /myapps/signout``
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for

from ...core.appbase import read_json
from ...core.clock import iso
from ...core.errors import LabHTTPError, json_response
from ...core.pages import page
from ..apps.model import AppsError
from ..graph import graph_json, odata_context, render_graph_error
from ..portal.pages import safe_next
from .model import SingleSignOn, SsoConfigError, SsoError

SESSION_COOKIE = "ESTSAUTH"
WRITE_APPS = "Application.ReadWrite.All"


def _page(template: str, status: int = 200, **context) -> Response:
    """A sign-in page in the request's language (``mkt``, ``lang``, the cookie or Accept-Language; texts
    from the ``sso`` message catalogue)."""
    return page(template, status, **context)


def sso_blueprints(entra) -> tuple[Blueprint, Blueprint]:
    """(the Graph blueprint, the pages-and-portal blueprint)."""
    sso: SingleSignOn = entra.sso
    graph = Blueprint("entra_sso_graph", __name__)
    pages = Blueprint("entra_sso_pages", __name__, template_folder="templates")
    render_graph = render_graph_error(entra)

    @graph.errorhandler(SsoConfigError)
    def _graph_config_error(exc: SsoConfigError):
        return render_graph(400, str(exc), "Request_BadRequest", {})

    @graph.errorhandler(AppsError)
    def _graph_apps_error(exc: AppsError):
        status = 404 if exc.kind == "not_found" else 400
        return render_graph(status, exc.message, "Request_ResourceNotFound" if status == 404 else "Request_BadRequest",
                            {})

    @graph.patch("/servicePrincipals/<sp_id>")
    def update_service_principal(sp_id: str):
        entra.require_graph(WRITE_APPS)
        sso.update_service_principal(sp_id, read_json(code="BadRequest"))
        return Response(status=204)

    @graph.post("/servicePrincipals/<sp_id>/addTokenSigningCertificate")
    def add_token_signing_certificate(sp_id: str):
        entra.require_graph(WRITE_APPS)
        cert = sso.add_token_signing_certificate(sp_id, read_json(code="BadRequest", allow_empty=True))
        return graph_json({"@odata.context": odata_context("microsoft.graph.selfSignedCertificate"),
                           **cert.self_signed_certificate()})

    @graph.patch("/applications/<app_id>")
    def update_application(app_id: str):
        entra.require_graph(WRITE_APPS)
        sso.update_application(app_id, read_json(code="BadRequest"))
        return Response(status=204)

    # -- portal JSON and downloads -------------------------------------------------------------------
    def portal_error(status: int, message: str) -> Response:
        return json_response({"error": {"code": "BadRequest" if status == 400 else "NotFound", "message": message}},
                             status)

    @pages.errorhandler(SsoConfigError)
    def _portal_config_error(exc: SsoConfigError):
        return portal_error(400, str(exc))

    @pages.errorhandler(AppsError)
    def _portal_apps_error(exc: AppsError):
        return portal_error(404 if exc.kind == "not_found" else 400, exc.message)

    def blade(sp_id: str) -> dict:
        config = sso.configuration(sp_id)
        base = request.host_url.rstrip("/")
        body = {"servicePrincipalId": config.sp.id, "appId": config.sp.app_id, "displayName": config.sp.display_name,
                **config.settings(), f"setUp{config.sp.display_name.replace(' ', '')}": sso.urls(base)}
        body["appFederationMetadataUrl"] = (f"{base}/{entra.config.tenant_id}/federationmetadata/2007-06/"
                                            f"federationmetadata.xml?appid={config.sp.app_id}")
        return body

    @pages.get("/portal/servicePrincipals/<sp_id>/singleSignOn")
    def get_blade(sp_id: str):
        return json_response(blade(sp_id))

    @pages.patch("/portal/servicePrincipals/<sp_id>/singleSignOn")
    def patch_blade(sp_id: str):
        try:
            body = read_json()
        except LabHTTPError as exc:
            return portal_error(exc.status if exc.status in (400, 415) else 400, exc.message)
        sso.update_settings(sp_id, body)
        return json_response(blade(sp_id))

    @pages.get("/portal/servicePrincipals/<sp_id>/singleSignOn/certificate")
    def download_certificate(sp_id: str):
        cert = sso.certificate(sp_id, request.args.get("thumbprint") or None)
        name = f"{sso.configuration(sp_id).sp.display_name}.cer"
        return Response(cert.pem, content_type="application/x-x509-ca-cert",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @pages.get("/portal/servicePrincipals/<sp_id>/singleSignOn/federationMetadata")
    def download_metadata(sp_id: str):
        xml = sso.metadata(sp_id, request.host_url.rstrip("/"))
        name = f"{sso.configuration(sp_id).sp.display_name}.xml"
        return Response(xml, content_type="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @pages.get("/<tenant>/federationmetadata/2007-06/federationmetadata.xml")
    def app_federation_metadata(tenant: str):
        if not entra.config.is_tenant(tenant):
            raise LabHTTPError(400, f"Tenant '{tenant}' not found.", aadsts=90002)
        config = sso.by_app_id(request.args.get("appid"))
        if config is None:
            raise LabHTTPError(400, f"Application with identifier '{request.args.get('appid') or ''}' was not "
                                    f"found in the directory '{entra.config.tenant_id}'.", aadsts=700016)
        try:
            xml = sso.metadata(config.sp.id, request.host_url.rstrip("/"))
        except SsoConfigError as exc:
            raise LabHTTPError(400, str(exc), aadsts=700016) from None
        return Response(xml, content_type="application/xml; charset=utf-8")

    # -- sign-in pages --------------------------------------------------------------------------------
    def refusal(exc: SsoError) -> Response:
        request_id = entra.lab.rand.stream("entra.sso.request-ids").uuid()
        return _page("entra_sso_error.html", exc.status, error=exc, request_id=request_id,
                     timestamp=iso(entra.lab.clock.now()), headers=None)

    def sign_in_page(pending, *, error: SsoError | None = None, login: str = "", status: int = 200) -> Response:
        return _page("entra_sso_signin.html", status, ctx=pending.id, error=error, login=login,
                     tenant=entra.config.tenant_id)

    def post_page(post) -> Response:
        return _page("entra_sso_post.html", post=post)

    def continue_with(pending, user) -> Response:
        """The user is signed in: finish what the sign-in was for."""
        if pending.kind in ("saml", "passive"):
            post = sso.issue(pending.sp_id, user, acs_url=pending.acs_url, in_response_to=pending.in_response_to,
                             relay_state=pending.relay_state)
            sso.finish(pending)
            return post_page(post)
        if pending.kind.startswith("portal:"):
            sso.finish(pending)
            return redirect(safe_next(pending.kind.split(":", 1)[1]), 303)
        if pending.kind.startswith("launch:"):
            sso.finish(pending)
            return launch(pending.kind.split(":", 1)[1], user)
        sso.finish(pending)
        return my_apps_page(user)

    def with_session(resp: Response, sid: str | None) -> Response:
        if sid:
            resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", path="/")
        return resp

    def current_user():
        return sso.session_user(request.cookies.get(SESSION_COOKIE))

    def check_tenant(tenant: str) -> None:
        if not entra.config.is_tenant(tenant):
            raise SsoError(90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                  "and are signing into the correct cloud.", 400)

    @pages.route("/<tenant>/saml2", methods=["GET", "POST"])
    def saml2(tenant: str):
        try:
            check_tenant(tenant)
            source = request.args if request.method == "GET" else request.form
            if not source.get("SAMLRequest"):
                raise SsoError(750054, "SAMLRequest or SAMLResponse must be present as query string parameters in "
                                       "HTTP request for SAML Redirect binding.", 400)
            endpoint = f"{request.host_url.rstrip('/')}{request.path}"
            pending = sso.receive_authn_request(source.get("SAMLRequest"), source.get("RelayState"),
                                                binding="redirect" if request.method == "GET" else "post",
                                                endpoint=endpoint)
            user = current_user()
            if user is not None and not pending.force_authn:
                return continue_with(pending, user)
            if pending.kind == "passive":
                raise SsoError(50058, "A silent sign-in request was sent but no user is signed in.", 400)
            return sign_in_page(pending)
        except SsoError as exc:
            return refusal(exc)

    @pages.post("/<tenant>/login")
    def login(tenant: str):
        try:
            check_tenant(tenant)
            pending = sso.pending(request.form.get("ctx"))
        except SsoError as exc:
            return refusal(exc)
        login_name = request.form.get("login", "")[:256]
        try:
            user = sso.authenticate(login_name, request.form.get("passwd", ""))
        except SsoError as exc:
            if exc.code == 50126:
                return sign_in_page(pending, error=exc, login=login_name, status=200)
            return refusal(exc)
        sid = sso.start_session(user)
        try:
            resp = continue_with(pending, user)
        except SsoError as exc:
            resp = refusal(exc)
        return with_session(resp, sid)

    def my_apps_page(user) -> Response:
        return _page("entra_sso_myapps.html", user=user, apps=sso.my_apps(user))

    def launch(app_id: str, user) -> Response:
        config = sso.by_app_id(app_id)
        if config is None:
            raise SsoError(700016, f"Application with identifier '{app_id}' was not found in the directory "
                                   f"'{entra.config.tenant_id}'.", 404)
        return post_page(sso.issue(config.sp.id, user))

    @pages.get("/myapps")
    def my_apps():
        user = current_user()
        if user is None:
            return sign_in_page(sso.begin("myapps"))
        try:
            sso.check_enabled(user)
        except SsoError as exc:
            return refusal(exc)
        return my_apps_page(user)

    @pages.get("/myapps/signin/<app_id>")
    def my_apps_launch(app_id: str):
        user = current_user()
        if user is None:
            return sign_in_page(sso.begin(f"launch:{app_id[:64]}"))
        try:
            return launch(app_id, user)
        except SsoError as exc:
            return refusal(exc)

    @pages.get("/portal/signin")
    def portal_sign_in():
        """The admin center's sign-in: Entra's sign-in page, then back to the page asked for."""
        target = safe_next(request.args.get("next"))
        user = current_user()
        if user is not None and user.account_enabled:
            return redirect(target, 303)
        return sign_in_page(sso.begin(f"portal:{target}"))

    @pages.get("/portal/signout")
    def portal_sign_out():
        sso.end_session(request.cookies.get(SESSION_COOKIE))
        resp = redirect(url_for("entra_sso_pages.portal_sign_in"), 303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @pages.get("/myapps/signout")
    def my_apps_sign_out():
        sso.end_session(request.cookies.get(SESSION_COOKIE))
        resp = sign_in_page(sso.begin("myapps"))
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    return graph, pages


def render_sso_page_error(status: int, message: str, code, extra: dict) -> Response:
    """The error renderer of the sign-in pages' paths (``/myapps``): Entra's error page."""
    error = SsoError(int(extra.get("aadsts") or 50000), message, status)
    resp = _page("entra_sso_error.html", status, error=error, request_id="", timestamp="", headers=None)
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp
