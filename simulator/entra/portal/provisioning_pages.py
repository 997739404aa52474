"""An enterprise app's Provisioning page (the tutorial's steps 4-12): Get started, Provisioning Mode, Admin
Credentials (Authorize for GoToMeeting, Tenant URL and Secret Token for the non-gallery app), Test
Connection, Mappings, Settings, Provisioning Status On/Off, Save, and the synchronization details.

Every change goes through the synchronization API's operations (``entra.sync``): Get started is ``POST
jobs`` from the app's template, Test Connection is ``validateCredentials``, Save is ``PUT secrets``
(``BaseAddress``, ``SecretToken``, ``SyncAll``, ``SyncNotificationSettings``), ``PATCH jobs/{id}`` (the
accidental-deletion settings) and ``start`` / ``pause`` (Provisioning Status On / Off).

Simulator choices: the Provisioning Mode is Automatic exactly when the app has a provisioning job (Graph
knows no other mode); saving Manual deletes the job (``DELETE jobs/{id}``), and the page offers Get started
again. A form is checked as a whole before anything is written: a refused Save changes nothing.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from flask import flash, get_flashed_messages, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField

from ...core.pages import PageForm, page
from ..provisioning import probe
from ..sync.model import SyncError
from .status import app_job, cycle_status

AUTOMATIC, MANUAL = "Automatic", "Manual"
ON, OFF = "on", "off"
SCOPE_ASSIGNED, SCOPE_ALL = "assigned", "all"
#: A loose check of an e-mail address (the portal's: something@domain.tld, no spaces).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_THRESHOLD = 2_147_483_647
DEFAULT_THRESHOLD = "500"
#: Flash categories of the page's notifications.
NOTE_SUCCESS, NOTE_ERROR = "success", "error"


class GetStartedForm(PageForm):
    """Get started: nothing but the CSRF token."""


class ProvisioningForm(PageForm):
    mode = SelectField(_l("Provisioning Mode"), choices=[SelectChoice(MANUAL, _l("Manual")),
                                                         SelectChoice(AUTOMATIC, _l("Automatic"))])
    tenant_url = StringField(_l("Tenant URL"))
    secret_token = PasswordField(_l("Secret Token"))
    send_failure_email = BooleanField(_l("Send an email notification when a failure occurs"))
    notification_email = StringField(_l("Notification Email"))
    prevent_deletions = BooleanField(_l("Prevent accidental deletion"))
    deletion_threshold = StringField(_l("Accidental deletion threshold"))
    scope = SelectField(_l("Scope"), choices=[SelectChoice(SCOPE_ASSIGNED, _l("Sync only assigned users and groups")),
                                             SelectChoice(SCOPE_ALL, _l("Sync all users and groups"))])
    status = SelectField(_l("Provisioning Status"), choices=[SelectChoice(ON, _l("On")),
                                                                    SelectChoice(OFF, _l("Off"))])


def uses_authorize(sp) -> bool:
    return sp.synchronization_template_id == "gotomeeting"


def register(bp, entra) -> None:
    sync = entra.sync


    app_page = bp.app_page

    def cycle_view(job):
        """The overview's cycle status, shown as "Synchronization details" once provisioning runs."""
        if job.schedule_state not in ("Active", "Paused"):
            return None
        return cycle_status(entra, job.service_principal_id, job)

    # -- what the page shows -------------------------------------------------------------------------
    def saved_values(sp, job) -> dict:
        """The form's values as saved: the job, its settings and the app's synchronization secrets."""
        secrets = sync.secrets(sp.id)
        notify = _notification_settings(secrets.get("SyncNotificationSettings"))
        return {
            "mode": AUTOMATIC if job is not None else MANUAL,
            "tenant_url": "" if uses_authorize(sp) else secrets.get("BaseAddress", ""),
            "send_failure_email": notify["enabled"],
            "notification_email": notify["recipients"],
            "prevent_deletions": job is None or job.settings.get("QuarantineTooManyDeletes", "true") != "false",
            "deletion_threshold": (job.settings.get("QuarantineTooManyDeletesThreshold") if job else None)
            or DEFAULT_THRESHOLD,
            "scope": SCOPE_ALL if secrets.get("SyncAll", "false").lower() == "true" else SCOPE_ASSIGNED,
            "status": ON if job is not None and job.schedule_state == "Active" else OFF,
        }

    def mapping_rows(sp, job) -> list[dict]:
        """The schema's object mappings, each linked to its attribute mappings (by its position in its rule)."""
        rows = []
        for rule in job.schema.get("synchronizationRules") or []:
            if not isinstance(rule, dict):
                continue
            for index, mapping in enumerate(rule.get("objectMappings") or []):
                if not isinstance(mapping, dict):
                    continue
                name = str(mapping.get("name") or mapping.get("sourceObjectName") or "")
                rule_arg = {"rule": rule["id"]} if rule.get("id") else {}
                rows.append({"name": _(name) if name else name, "enabled": mapping.get("enabled", True) is not False,
                             "url": url_for("entra_portal_pages.attribute_mappings", sp_id=sp.id,
                                            mapping_id=index, **rule_arg)})
        return rows

    def render(sp, job, form: ProvisioningForm | None = None, *, status: int = 200, notes=()):
        flashed = [(kind, text, []) for kind, text in get_flashed_messages(with_categories=True)]
        context = {"sp": sp, "section_title": _("Provisioning"), "job": job, "notes": flashed + list(notes)}
        if job is None:
            context["start_form"] = GetStartedForm()
            return page("portal/provisioning_get_started.html", status, **context)
        secrets = sync.secrets(sp.id)
        context.update(
            form=form or ProvisioningForm(data=saved_values(sp, job)),
            uses_authorize=uses_authorize(sp),
            authorized=bool(secrets.get("Oauth2AccessToken")),
            token_set=bool(secrets.get("SecretToken")),
            authorize_url=url_for("entra_portal.authorize", sp_id=sp.id, jobId=job.id),
            mappings=mapping_rows(sp, job),
            show_details=job.schedule_state in ("Active", "Paused"),
            cycle=cycle_view(job),
            logs_url=url_for("entra_portal_pages.app_provisioning_logs", sp_id=sp.id),
            overview_url=url_for("entra_portal_pages.provisioning_overview", sp_id=sp.id),
        )
        return page("portal/provisioning.html", status, **context)

    # -- the pages -----------------------------------------------------------------------------------
    @bp.route("/portal/enterprise-apps/<sp_id>/provisioning", methods=["GET", "POST"])
    @app_page
    def provisioning(sp):
        """The page (GET), Save and Test Connection (POST: one endpoint, so the menu marks it either way)."""
        if request.method == "POST":
            return submit(sp)
        return render(sp, app_job(entra, sp.id))

    @bp.post("/portal/enterprise-apps/<sp_id>/provisioning/get-started")
    @app_page
    def provisioning_get_started(sp):
        form = GetStartedForm()
        if not form.validate_on_submit():
            return render(sp, app_job(entra, sp.id), status=400, notes=[(NOTE_ERROR, refused_text(form), [])])
        if app_job(entra, sp.id) is None:
            try:
                sync.create_job(sp.id, {"templateId": sp.synchronization_template_id})
            except SyncError as exc:
                return render(sp, None, status=exc.status, notes=[(NOTE_ERROR, exc.message, [])])
        return redirect(url_for("entra_portal_pages.provisioning", sp_id=sp.id), 303)

    def submit(sp):
        job = app_job(entra, sp.id)
        form = ProvisioningForm()
        if job is None:
            return render(sp, None, status=409, notes=[(NOTE_ERROR, _(
                "This application has no provisioning configuration: select Get started first."), [])])
        if not form.validate_on_submit():
            return render(sp, job, form, status=400, notes=[(NOTE_ERROR, refused_text(form), [])])
        if request.form.get("action") == "test":
            return render(sp, job, form, notes=[test_connection(sp, job, form)])
        if form.mode.data == MANUAL:
            sync.delete_job(sp.id, job.id)
            flash(_("Provisioning Mode Manual: the provisioning configuration was removed."), NOTE_SUCCESS)
            return redirect(url_for("entra_portal_pages.provisioning", sp_id=sp.id), 303)
        plan = save_plan(sp, job, form)
        if plan is None:
            return render(sp, job, form, status=400,
                          notes=[(NOTE_ERROR, _("Nothing was saved: correct the fields marked below."), [])])
        try:
            apply_plan(sp, job, plan)
        except SyncError as exc:
            return render(sp, job, form, status=exc.status, notes=[(NOTE_ERROR, exc.message, [])])
        flash(_("Your changes to %(app)s were saved.", app=sp.display_name), NOTE_SUCCESS)
        return redirect(url_for("entra_portal_pages.provisioning", sp_id=sp.id), 303)

    # -- Test Connection -------------------------------------------------------------------------------
    def typed_credentials(sp, form: ProvisioningForm) -> list[dict]:
        """The non-gallery app's Tenant URL and Secret Token as typed (an empty token: the saved one)."""
        if uses_authorize(sp):
            return []
        typed = [{"key": "BaseAddress", "value": (form.tenant_url.data or "").strip()}]
        if form.secret_token.data:
            typed.append({"key": "SecretToken", "value": form.secret_token.data})
        return typed

    def test_connection(sp, job, form: ProvisioningForm) -> tuple:
        typed = typed_credentials(sp, form)
        body = {"credentials": typed} if typed else {"useSavedCredentials": True}
        title = _("Testing connection to %(app)s", app=sp.display_name)
        try:
            sync.validate_credentials(sp.id, job.id, body)
        except SyncError as exc:
            return (NOTE_ERROR, title, verdict_texts(exc))
        return (NOTE_SUCCESS, title, [_("The supplied credentials are authorized to enable provisioning")])

    # -- Save ------------------------------------------------------------------------------------------
    def save_plan(sp, job, form: ProvisioningForm) -> dict | None:
        """What Save writes, or None with the errors on the fields (nothing is written then)."""
        secrets: dict[str, str] = {}
        if not uses_authorize(sp):
            url = (form.tenant_url.data or "").strip()
            parts = urlsplit(url)
            if not url:
                form.tenant_url.errors.append(_("Enter the Tenant URL of the application's SCIM endpoint."))
            elif parts.scheme not in ("http", "https") or not parts.netloc:
                form.tenant_url.errors.append(_("The Tenant URL must be an http:// or https:// URL."))
            else:
                secrets["BaseAddress"] = url
            if form.secret_token.data:
                secrets["SecretToken"] = form.secret_token.data
        email = (form.notification_email.data or "").strip()
        if email and not EMAIL.match(email):
            form.notification_email.errors.append(_("Enter a valid email address, such as admin@contoso.com."))
        elif form.send_failure_email.data and not email:
            form.notification_email.errors.append(_("Enter the email address that receives the notifications."))
        secrets["SyncNotificationSettings"] = json.dumps({"Enabled": bool(form.send_failure_email.data),
                                                          "Recipients": email}, separators=(",", ":"))
        secrets["SyncAll"] = "true" if form.scope.data == SCOPE_ALL else "false"
        settings = {"QuarantineTooManyDeletes": "true" if form.prevent_deletions.data else "false"}
        threshold = (form.deletion_threshold.data or "").strip()
        if threshold.isascii() and threshold.isdigit() and 1 <= int(threshold) <= MAX_THRESHOLD:
            settings["QuarantineTooManyDeletesThreshold"] = str(int(threshold))
        elif form.prevent_deletions.data or threshold:
            form.deletion_threshold.errors.append(
                _("The threshold must be a whole number from 1 to %(max)d.", max=MAX_THRESHOLD))
        if form.status.data == ON and not sync.has_credentials(sp.id, sync.secrets(sp.id, secrets)):
            form.status.errors.append(
                _("Provisioning can't be turned on without credentials: select Authorize under Admin Credentials "
                  "first.") if uses_authorize(sp) else
                _("Provisioning can't be turned on without credentials: enter the Tenant URL and the Secret Token "
                  "first."))
        if any(field.errors for field in form):
            return None
        return {"secrets": secrets, "settings": settings, "status": form.status.data}

    def apply_plan(sp, job, plan: dict) -> None:
        sync.put_secrets(sp.id, {"value": [{"key": k, "value": v} for k, v in plan["secrets"].items()]})
        sync.update_job(sp.id, job.id, {"synchronizationJobSettings": [
            {"name": k, "value": v} for k, v in plan["settings"].items()]})
        if plan["status"] == ON and job.schedule_state != "Active":
            sync.start_job(sp.id, job.id)
        elif plan["status"] == OFF and job.schedule_state == "Active":
            sync.pause_job(sp.id, job.id)


def refused_text(form: PageForm) -> str:
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        return _("The form expired or did not come from this page. Nothing was changed; try again.")
    return _("Nothing was saved: correct the fields marked below.")


def _notification_settings(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    return {"enabled": value.get("Enabled") in (True, "true", "True"),
            "recipients": value.get("Recipients") if isinstance(value.get("Recipients"), str) else ""}


def verdict_texts(exc: SyncError) -> list[str]:
    """Entra's texts for one Test Connection verdict (the probe's, SPEC §3.6), then what the probe adds."""
    code = exc.code or ""
    message = exc.message
    texts: list[str]
    known: list[str]
    if code.endswith("InvalidCredentials"):
        texts, known = [_(probe.INVALID_CREDENTIALS)], [probe.INVALID_CREDENTIALS]
        if code.startswith("GoToMeeting"):
            texts += [_(probe.GOTO_ADMIN_HINT.strip()),
                      _("Then select Authorize under Admin Credentials again.")]
            known.append(probe.GOTO_ADMIN_HINT)
    elif code.endswith("NotFoundInsteadOfEmptyList"):
        texts, known = [_(probe.NOT_FOUND)], [probe.NOT_FOUND]
    elif code.endswith("CredentialValidationUnavailable"):
        texts, known = [_(probe.UNAVAILABLE)], [probe.UNAVAILABLE]
    elif code.endswith("ServiceIncompatible"):
        texts, known = [_("The target application does not answer as a SCIM 2.0 service.")], []
    else:
        return [message]
    details = message
    for text in known:
        details = details.replace(text, "", 1)
    details = details.strip()
    if details:
        texts.append(_("Details: %(details)s", details=details))
    return texts
