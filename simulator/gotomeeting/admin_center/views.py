"""The GoTo Admin Center's pages (SPEC §8): sign-in, Users, Licences, Identity Provider, sign-out.

- ``GET/POST /admin-center/signin`` — GoTo's sign-in page (the OAuth popup's template and account
  check); only a team administrator or super administrator gets in, anyone else sees the no-access page
- ``GET /admin-center/users`` — the account's users (name, e-mail, role, status), filtered by
  ``q`` (name or e-mail), ``role``, ``status``; ``page`` pages them
- ``GET /admin-center/licences`` — GoToMeeting organizer seats: total, used, free
- ``GET/POST /admin-center/identity-provider`` — the SAML Identity Provider settings (the same
  ``ServiceProvider.configure`` as ``PUT …/identityProvider``), ``POST …/certificates/<thumbprint>/remove``
- ``POST /admin-center/signout``

Simulator choice: the signed-in administrator is the user id in the pages' signed session cookie
(``goto_pages``); every page looks the user up again, so a user deleted, suspended or no longer an
administrator is signed out or refused at once.
"""
from __future__ import annotations

import base64
import functools
from typing import Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, g, redirect, request, session, url_for
from flask_babel import gettext as _

from ...core.pages import page, static_files
from .. import oauth  # noqa: F401  (the model first: it loads its views, among them the sign-in check)
from ..oauth_views import password_sign_in
from ..sso.model import SsoSettingsError
from .forms import (ROLE_CHOICES, STATUS_CHOICES, ButtonForm, IdentityProviderForm, SignInForm, UserFilterForm,
                    role_labels, status_labels)

PREFIX = "/admin-center"
SESSION_KEY = "goto_admin_user"
PAGE_SIZE = 100
#: The Identity Provider form's field for each settings key of the model's errors.
IDP_FIELDS = {"signInUrl": "sign_in_url", "signOutUrl": "sign_out_url", "entityId": "entity_id",
              "certificates": "certificate_text", "metadataUrl": "metadata_url", "ssoRequired": "sso_required"}


def safe_next(target: str | None) -> str:
    """Where to go after the sign-in: a page of the Admin Center, never another site."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target[:1024]
    return f"{PREFIX}/users"


def message_page(title: str, message: str, status: int) -> Response:
    return page("goto_admin/message.html", status, title=title, message=message)


def admin_center_blueprint(goto) -> Blueprint:
    account = goto.account
    sp = goto.sso
    bp = static_files(Blueprint("goto_admin_center", __name__, url_prefix=PREFIX, template_folder="templates",
                                static_folder="static", static_url_path="/static"))

    def signed_in_user():
        user_id = session.get(SESSION_KEY)
        user = account.get_user(user_id) if isinstance(user_id, str) else None
        return user if user is not None and user.active else None

    def no_access(user) -> Response:
        g.goto_user = None
        return page("goto_admin/no_access.html", 403, user=user)

    def admin_page(view: Callable) -> Callable:
        """A page for administrators: sign in first; a user without admin rights sees no-access."""
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = signed_in_user()
            if user is None:
                return redirect(f"{url_for('goto_admin_center.sign_in')}?"
                                f"{urlencode({'next': request.full_path.rstrip('?')})}")
            if not user.is_team_admin:
                return no_access(user)
            g.goto_user = user
            g.sign_out_form = ButtonForm()
            return view(*args, **kwargs)
        return guarded

    @bp.app_context_processor
    def _labels():
        return {"organization": account.organization, "role_label": lambda role: role_labels().get(role, role),
                "status_label": lambda status: status_labels().get(status, status)}

    @bp.get("/")
    @admin_page
    def home():
        return redirect(url_for("goto_admin_center.users"))

    # -- sign-in and sign-out ----------------------------------------------------------------------
    def sign_in_page(form: SignInForm, error: str | None = None, status: int = 200) -> Response:
        return page("goto_admin/signin.html", status, form=form, error=error, email=form.email.data or "")

    @bp.route("/signin", methods=["GET", "POST"])
    def sign_in():
        form = SignInForm(next=safe_next(request.values.get("next")))
        if request.method == "GET":
            user = signed_in_user()
            if user is not None and user.is_team_admin:
                return redirect(safe_next(form.next.data), 303)
            return sign_in_page(form)
        if not form.validate():
            if "csrf_token" in form.errors:
                return sign_in_page(form, _("The sign-in form has expired. Sign in again."), 400)
            return sign_in_page(form, _("Enter your email and password."), 400)
        user, error = password_sign_in(goto, form.email.data, form.password.data)
        if user is None:
            return sign_in_page(form, error)
        if not user.is_team_admin:
            session.pop(SESSION_KEY, None)
            return no_access(user)
        session[SESSION_KEY] = user.id
        return redirect(safe_next(form.next.data), 303)

    @bp.post("/signout")
    def sign_out():
        if not ButtonForm().validate():
            return message_page(_("The form has expired"), _("Reload the page and try again."), 400)
        session.pop(SESSION_KEY, None)
        return redirect(url_for("goto_admin_center.sign_in"), 303)

    # -- users -------------------------------------------------------------------------------------
    @bp.get("/users")
    @admin_page
    def users():
        form = UserFilterForm(request.args)
        valid = form.validate()
        needle = (form.q.data or "").strip().lower()[:256] if valid else ""
        role = form.role.data if valid and form.role.data in ROLE_CHOICES else None
        status = form.status.data if valid and form.status.data in STATUS_CHOICES else None
        with account.lock:
            listed = [u for u in account.users.values()
                      if (role is None or u.role == role) and (status is None or u.status == status)
                      and (not needle or needle in u.user_name.lower() or needle in (u.display_name or "").lower())]
        number = _page_number(request.args.get("page"))
        last = max(1, -(-len(listed) // PAGE_SIZE))
        number = min(number, last)
        shown = [_row(u) for u in listed[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]]
        args = {k: v for k, v in request.args.items() if k != "page"}
        paging = {"number": number, "last": last, "total": len(listed),
                  "first_shown": (number - 1) * PAGE_SIZE + 1 if shown else 0,
                  "last_shown": (number - 1) * PAGE_SIZE + len(shown),
                  "previous": _with_page(args, number - 1) if number > 1 else None,
                  "next": _with_page(args, number + 1) if number < last else None}
        return page("goto_admin/users.html", 200 if valid else 400, form=form, rows=shown, paging=paging)

    # -- licences ----------------------------------------------------------------------------------
    @bp.get("/licences")
    @admin_page
    def licences():
        return page("goto_admin/licences.html", seats=account.seats())

    # -- identity provider -------------------------------------------------------------------------
    def idp_page(form: IdentityProviderForm, *, status: int = 200, problem: str | None = None,
                 saved: bool = False) -> Response:
        return page("goto_admin/identity_provider.html", status, form=form, settings=sp.settings(),
                    problem=problem, saved=saved, remove_form=ButtonForm())

    @bp.get("/identity-provider")
    @admin_page
    def identity_provider():
        current = sp.settings()
        form = IdentityProviderForm(
            mode=current["mode"] or "none", sign_in_url=current["signInUrl"], sign_out_url=current["signOutUrl"],
            entity_id=current["entityId"], metadata_url=current["metadataUrl"], sso_required=current["ssoRequired"])
        return idp_page(form, saved=request.args.get("saved") == "1")

    @bp.post("/identity-provider")
    @admin_page
    def save_identity_provider():
        form = IdentityProviderForm()
        if not form.validate():
            problem = (_("The form has expired. Reload the page and try again.") if "csrf_token" in form.errors
                       else _("Correct the marked fields."))
            return idp_page(form, status=400, problem=problem)
        try:
            sp.configure(_idp_settings(form, sp))
        except SsoSettingsError as exc:
            target = IDP_FIELDS.get(exc.field or "")
            if target == "certificate_text" and form.certificate_file.data and not form.certificate_text.data:
                target = "certificate_file"
            if target is None:
                return idp_page(form, status=400, problem=str(exc))
            getattr(form, target).errors = [*getattr(form, target).errors, str(exc)]
            return idp_page(form, status=400, problem=_("Correct the marked fields."))
        return redirect(url_for("goto_admin_center.identity_provider", saved=1), 303)

    @bp.post("/identity-provider/certificates/<thumbprint>/remove")
    @admin_page
    def remove_certificate(thumbprint: str):
        if not ButtonForm().validate():
            return message_page(_("The form has expired"), _("Reload the page and try again."), 400)
        try:
            sp.remove_certificate(thumbprint)
        except LookupError:
            return message_page(_("Not found"), _("No verification certificate has the thumbprint %(thumbprint)s.",
                                                  thumbprint=thumbprint[:64]), 404)
        return redirect(url_for("goto_admin_center.identity_provider", saved=1), 303)

    return bp


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _with_page(args: dict, number: int) -> str:
    return f"{PREFIX}/users?{urlencode({**args, 'page': number})}"


def _row(user) -> dict:
    """One line of the users list, from the user's SCIM representation (the one the SCIM API returns)."""
    resource = user.resource
    name = resource.name
    given = name.given_name if name is not None else None
    family = name.family_name if name is not None else None
    emails = resource.emails or []
    email = next((e.value for e in emails if e.primary), emails[0].value if emails else user.user_name)
    return {"id": user.id, "name": user.display_name or " ".join(p for p in (given, family) if p) or user.user_name,
            "email": email, "user_name": user.user_name, "role": user.role, "status": user.status}


def _certificate_upload(form: IdentityProviderForm) -> str | None:
    """The certificate the form brings (pasted PEM, or an uploaded PEM or DER file) as text."""
    if form.certificate_text.data and form.certificate_text.data.strip():
        return form.certificate_text.data
    upload = form.certificate_file.data
    if upload is None or not getattr(upload, "filename", None):
        return None
    raw = upload.read(64 * 1024 + 1)
    if b"-----BEGIN" in raw:
        return raw.decode("ascii", "replace")
    return base64.b64encode(raw).decode("ascii")


def _idp_settings(form: IdentityProviderForm, sp) -> dict:
    """The body of ``PUT …/identityProvider`` the form stands for; a manual configuration keeps the
    verification certificates already uploaded and adds the one the form brings."""
    def text(field) -> str | None:
        value = (field.data or "").strip()
        return value or None

    required = bool(form.sso_required.data)
    if form.mode.data == "manual":
        certificates = [c.pem for c in sp.idp.certificates]
        upload = _certificate_upload(form)
        if upload is not None:
            certificates.append(upload)
        body = {"mode": "manual", "signInUrl": text(form.sign_in_url), "entityId": form.entity_id.data or "",
                "certificates": certificates, "ssoRequired": required}
        if text(form.sign_out_url):
            body["signOutUrl"] = text(form.sign_out_url)
        return body
    if form.mode.data == "automatic":
        return {"mode": "automatic", "metadataUrl": text(form.metadata_url), "ssoRequired": required}
    return {"mode": None, "ssoRequired": required}


def render_admin_center_error(status: int, message: str, code, extra: dict) -> Response:
    """The ``/admin-center`` surface's error renderer (routing 404/405 included): a page in its layout."""
    g.goto_user = None
    known = {404: (_("Not found"), _("The page you asked for does not exist.")),
             405: (_("Not allowed"), _("This page does not accept that request."))}
    title, text = known.get(status, (_("Something went wrong"), message))
    resp = message_page(title, text, status)
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp
