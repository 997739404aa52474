"""HTTP side of GoTo's SAML service provider (SPEC §9).

Admin API (JSON, ``Authorization: Bearer`` of a team administrator; errors ``{"errorCode", "message"}``):

- ``GET/PUT /admin/rest/v1/accounts/{accountKey}/identityProvider`` — the Identity Provider settings
- ``POST …/identityProvider/certificates`` ``{"certificate": PEM}`` — upload a verification certificate
- ``DELETE …/identityProvider/certificates/{thumbprint}``
- ``POST …/identityProvider/refresh`` — read the metadata URL again (automatic mode)

Pages (HTML; every refusal is a page with its reason, also in the ``X-GoTo-SSO-Result`` header, so that
the lab's journal shows why):

- ``GET /saml/login`` — "Sign in with your company ID" (e-mail), ``POST /saml/login`` (or
  ``GET /saml/login?email=``) → 302 to the identity provider with an AuthnRequest (HTTP-Redirect)
- ``POST /saml/acs`` — the Assertion Consumer Service (HTTP-POST binding)
- ``GET /saml/session`` — who is signed in, with their role; ``GET /saml/logout``
- ``GET /saml/metadata`` — GoTo's SP metadata
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from lxml import etree

from ...core.appbase import read_json
from ...core.errors import LabHTTPError, json_response
from ...core.saml import BINDING_POST, MD, NAMEID_EMAIL, NS
from .model import ACS_PATH, SP_ENTITY_ID, AcsRefusal, ServiceProvider, SsoSettingsError

SESSION_COOKIE = "goto_sso_session"
ROLE_LABELS = {"superAdmin": "Super admin", "admin": "Team admin", "manager": "Manager", "member": "Member"}


def _page(template: str, status: int = 200, headers: dict | None = None, **context) -> Response:
    resp = Response(render_template(template, **context), status=status, content_type="text/html; charset=utf-8")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def refusal_page(exc: AcsRefusal) -> Response:
    return _page("goto_sso_refused.html", exc.status, {"X-GoTo-SSO-Result": f"refused; reason={exc.reason}"},
                 refusal=exc)


def acs_url() -> str:
    return f"{request.host_url.rstrip('/')}{ACS_PATH}"


def sso_blueprints(goto) -> tuple[Blueprint, Blueprint]:
    """(the admin API blueprint, the pages blueprint)."""
    sp: ServiceProvider = goto.sso
    admin = Blueprint("gotomeeting_sso_admin", __name__, url_prefix="/admin/rest/v1/accounts/<account_key>")
    pages = Blueprint("gotomeeting_sso_pages", __name__, url_prefix="/saml", template_folder="templates")

    @admin.before_request
    def _guard():
        goto.oauth.authenticate_bearer(request.headers.get("Authorization"))
        key = (request.view_args or {}).get("account_key")
        if key != goto.account.account_key:
            raise LabHTTPError(404, f"No account with key '{key}'.", "NOT_FOUND")

    @admin.errorhandler(SsoSettingsError)
    def _settings_error(exc: SsoSettingsError):
        return render_admin_api_error(400, str(exc), "INVALID_REQUEST", {})

    @admin.get("/identityProvider")
    def get_identity_provider(account_key: str):
        return json_response(sp.settings())

    @admin.put("/identityProvider")
    def put_identity_provider(account_key: str):
        return json_response(sp.configure(read_json(code="INVALID_REQUEST")))

    @admin.post("/identityProvider/certificates")
    def upload_certificate(account_key: str):
        if (request.mimetype or "").endswith(("json", "+json")) or not request.mimetype:
            body = read_json(code="INVALID_REQUEST")
            text = body.get("certificate")
        else:
            text = request.get_data(as_text=True)
        return json_response(sp.add_certificate(text), 201)

    @admin.delete("/identityProvider/certificates/<thumbprint>")
    def delete_certificate(account_key: str, thumbprint: str):
        try:
            return json_response(sp.remove_certificate(thumbprint))
        except LookupError as exc:
            raise LabHTTPError(404, str(exc), "NOT_FOUND") from None

    @admin.post("/identityProvider/refresh")
    def refresh_identity_provider(account_key: str):
        return json_response(sp.refresh_metadata())

    # -- pages ------------------------------------------------------------------------------------
    def login_page(error: str | None = None, email: str = "", status: int = 200) -> Response:
        return _page("goto_sso_login.html", status, error=error, email=email)

    def go_to_idp(email: str) -> Response:
        try:
            location = sp.start_sign_in(email, acs_url())
        except AcsRefusal as exc:
            return login_page(exc.message, email[:256], exc.status)
        return Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})

    @pages.get("/login")
    def login_form():
        email = request.args.get("email")
        return go_to_idp(email) if email else login_page()

    @pages.post("/login")
    def login_submit():
        return go_to_idp(request.form.get("email", ""))

    @pages.post("/acs")
    def acs():
        try:
            sign_in = sp.consume(request.form.get("SAMLResponse"), request.form.get("RelayState"), acs_url())
        except AcsRefusal as exc:
            return refusal_page(exc)
        resp = redirect(url_for("gotomeeting_sso_pages.session"), 303)
        resp.headers["X-GoTo-SSO-Result"] = "signed-in"
        resp.set_cookie(SESSION_COOKIE, sign_in.session_id, httponly=True, samesite="Lax", path="/")
        return resp

    @pages.get("/session")
    def session():
        user = sp.session_user(request.cookies.get(SESSION_COOKIE))
        if user is None:
            return login_page("You are not signed in.", status=401)
        return _page("goto_sso_session.html", user=user, role=user.licence_role or "none",
                     goto_role=ROLE_LABELS.get(user.role, user.role), organization=goto.account.organization)

    @pages.get("/logout")
    def logout():
        sp.end_session(request.cookies.get(SESSION_COOKIE))
        resp = login_page("You are signed out.")
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @pages.get("/metadata")
    def metadata():
        root = etree.Element(MD + "EntityDescriptor", {"entityID": SP_ENTITY_ID}, nsmap={None: NS["md"]})
        desc = etree.SubElement(root, MD + "SPSSODescriptor", {"AuthnRequestsSigned": "false",
                                                               "WantAssertionsSigned": "true",
                                                               "protocolSupportEnumeration": NS["samlp"]})
        etree.SubElement(desc, MD + "NameIDFormat").text = NAMEID_EMAIL
        etree.SubElement(desc, MD + "AssertionConsumerService", {"Binding": BINDING_POST, "Location": acs_url(),
                                                                 "index": "0", "isDefault": "true"})
        return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), content_type="application/xml")

    return admin, pages


def render_admin_api_error(status: int, message: str, code, extra: dict) -> Response:
    """GoTo's admin API envelope: ``{"errorCode", "message"}``."""
    default = {400: "INVALID_REQUEST", 401: "AUTHENTICATION_FAILED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "INVALID_REQUEST", 415: "INVALID_REQUEST"}
    resp = json_response({"errorCode": code or default.get(status, "SERVER_ERROR"), "message": message}, status)
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp


def render_sso_page_error(status: int, message: str, code, extra: dict) -> Response:
    """The ``/saml`` pages' error renderer (routing 404/405 included): GoTo's refusal page."""
    resp = refusal_page(AcsRefusal(code or "request", message, status))
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp
