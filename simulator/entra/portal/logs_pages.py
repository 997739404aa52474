"""Provisioning's overview (the cycle status, quarantine, Restart, Pause / Start), Provision on demand and
the provisioning logs (one app's and the tenant's) as admin center pages.

Every page calls the operations the APIs call: ``entra.sync.restart_job`` / ``pause_job`` / ``start_job``
(``POST …/jobs/{id}/restart|pause|start``), ``entra.sync.provision_on_demand`` (``POST
…/provisionOnDemand``) and the provisioning logs' ``query_logs`` / ``filtered_logs`` (``GET
/auditLogs/provisioning``): the logs page turns its filters into the ``$filter`` Graph takes (and shows
it), so that both answer the same entries.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ...core.clock import iso
from ...core.pages import PageForm, page
from ..odata import ODataError
from ..provisioning.log_views import filtered_logs, query_logs
from ..sync.model import RESET_SCOPES, SyncError
from .apps_pages import form_refused
from .pages import portal_message
from .status import app_job, cycle_status

#: Rows per page of the logs (the choices of "Rows per page"; the first is the default).
PAGE_SIZES = ("50", "10", "25", "100")
#: The most earlier pages the logs' "Previous" remembers.
MAX_HISTORY = 100
SEARCH_MAX = 256
#: How many users Provision on demand's picker lists at once.
PICKER_LIMIT = 20

DATE_RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def status_labels() -> dict[str, str]:
    return {"success": _("Success"), "failure": _("Failure"), "skipped": _("Skipped"), "warning": _("Warning")}


def action_labels() -> dict[str, str]:
    return {"create": _("Create"), "update": _("Update"), "delete": _("Delete"), "disable": _("Disable"),
            "stagedDelete": _("Staged delete"), "other": _("Other")}


def _parse_input_datetime(text: str) -> datetime:
    for fmt in (DATETIME_INPUT, DATETIME_INPUT + ":%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise ValueError(text)


class LogFilterForm(PageForm):
    """The logs' filters (a GET form: no CSRF, nothing changes)."""

    class Meta:
        csrf = False

    date_range = SelectField(_l("Date"), default="all", choices=[
        SelectChoice("all", _l("All")), SelectChoice("24h", _l("Last 24 hours")),
        SelectChoice("7d", _l("Last 7 days")), SelectChoice("30d", _l("Last 30 days")),
        SelectChoice("custom", _l("Custom time interval"))])
    date_from = StringField(_l("From (UTC)"), validators=[Optional(), Length(max=32)],
                            render_kw={"type": "datetime-local"})
    date_to = StringField(_l("To (UTC)"), validators=[Optional(), Length(max=32)], render_kw={"type": "datetime-local"})
    status = SelectField(_l("Status"), default="", choices=[
        SelectChoice("", _l("All")), SelectChoice("success", _l("Success")), SelectChoice("failure", _l("Failure")),
        SelectChoice("skipped", _l("Skipped")), SelectChoice("warning", _l("Warning"))])
    action = SelectField(_l("Action"), default="", choices=[
        SelectChoice("", _l("All")), SelectChoice("create", _l("Create")), SelectChoice("update", _l("Update")),
        SelectChoice("delete", _l("Delete")), SelectChoice("disable", _l("Disable")),
        SelectChoice("stagedDelete", _l("Staged delete")), SelectChoice("other", _l("Other"))])
    identity = StringField(_l("Identity"), validators=[Length(max=SEARCH_MAX, message=_l(
        "Enter at most 256 characters."))])
    job_id = StringField(_l("Job ID"), validators=[Length(max=SEARCH_MAX, message=_l(
        "Enter at most 256 characters."))])
    page_size = SelectField(_l("Rows per page"), default=PAGE_SIZES[0],
                            choices=[SelectChoice(size) for size in PAGE_SIZES])

    def _moment(self, field) -> datetime | None:
        if not field.data:
            return None
        try:
            return _parse_input_datetime(field.data.strip())
        except ValueError:
            raise ValidationError(_("Enter a date and time as YYYY-MM-DDTHH:MM.")) from None

    def validate_date_from(self, field):
        self._moment(field)

    def validate_date_to(self, field):
        end = self._moment(field)
        start = None
        try:
            start = self._moment(self.date_from)
        except ValidationError:
            return
        if start and end and end < start:
            raise ValidationError(_("The end of the interval is before its start."))

    def validate_date_range(self, field):
        if field.data == "custom" and not (self.date_from.data or self.date_to.data):
            raise ValidationError(_("Enter the start or the end of the custom time interval."))

    def graph_filter(self, sp_id: str | None, now: datetime) -> str | None:
        """The ``$filter`` of ``GET /auditLogs/provisioning`` that answers what these filters ask for."""
        clauses = []
        if sp_id:
            clauses.append(f"servicePrincipal/id eq {_literal(sp_id)}")
        if self.date_range.data in DATE_RANGES:
            clauses.append(f"activityDateTime ge {iso(now - DATE_RANGES[self.date_range.data])}")
        elif self.date_range.data == "custom":
            if self.date_from.data:
                clauses.append(f"activityDateTime ge {iso(_parse_input_datetime(self.date_from.data.strip()))}")
            if self.date_to.data:
                clauses.append(f"activityDateTime le {iso(_parse_input_datetime(self.date_to.data.strip()))}")
        if self.status.data:
            clauses.append(f"provisioningStatusInfo/status eq {_literal(self.status.data)}")
        if self.action.data:
            clauses.append(f"provisioningAction eq {_literal(self.action.data)}")
        identity = (self.identity.data or "").strip()
        if identity:
            value = _literal(identity)
            clauses.append(f"(sourceIdentity/id eq {value} or targetIdentity/id eq {value} or "
                           f"startswith(sourceIdentity/displayName, {value}) or "
                           f"startswith(targetIdentity/displayName, {value}))")
        job_id = (self.job_id.data or "").strip()
        if job_id:
            clauses.append(f"jobId eq {_literal(job_id)}")
        return " and ".join(clauses) or None


def _literal(text: str) -> str:
    """An OData string literal."""
    return "'" + text.replace("'", "''") + "'"


class ActionForm(PageForm):
    """Pause / Start provisioning: a button and its CSRF token."""


class RestartForm(PageForm):
    """Restart provisioning: none chosen is the portal's restart (watermark, escrows, quarantine)."""

    Watermark = BooleanField(_l("Clear the watermark: the next cycle reads every user and group again"))
    Escrows = BooleanField(_l("Clear the objects waiting for a retry"))
    QuarantineState = BooleanField(_l("Lift the quarantine"))
    ConnectorDataStore = BooleanField(_l("Forget the links to the application's objects: match every user again"))
    ForceDeletes = BooleanField(_l("Let the staged deletions through (accidental deletions prevention)"))
    Full = BooleanField(_l("Full: all of the above"))

    def restart_body(self) -> dict:
        chosen = [name for name in RESET_SCOPES if getattr(self, name).data]
        return {"criteria": {"resetScope": ", ".join(chosen)}} if chosen else {}


class OnDemandForm(PageForm):
    """Provision on demand: the user chosen."""
    user_id = HiddenField(_l("User"), validators=[Length(max=64)])

    def validate_user_id(self, field):
        if not field.data:
            raise ValidationError(_("Select a user to provision."))


#: Provision on demand's four steps, each from the log entry's steps of these types.
ON_DEMAND_STEPS = (("import", ("import",)), ("scoping", ("scoping",)), ("matching", ("matching",)),
                   ("action", ("processing", "export")))


def on_demand_steps(details: dict) -> list[dict]:
    """The four steps (Import user, Determine if user is in scope, Match user between source and target
    system, Perform action) with the provisioning steps each one took, and its status."""
    steps = details.get("provisioningSteps") or []
    out = []
    for key, types in ON_DEMAND_STEPS:
        taken = [s for s in steps if s.get("provisioningStepType") in types]
        if not taken:
            status = "notRun"
        elif any(s.get("status") == "failure" for s in taken):
            status = "failure"
        elif any(s.get("status") == "skipped" for s in taken):
            status = "skipped"
        elif any(s.get("status") == "warning" for s in taken):
            status = "warning"
        else:
            status = "success"
        out.append({"key": key, "status": status, "steps": taken})
    return out


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text (never runs it as a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


#: Simulator choice for the download's columns (Entra's ProvisioningLogs file: every property but the steps
#: and the modified properties, one row per entry; the names are the portal's column titles).
CSV_COLUMNS = (
    ("Date (UTC)", lambda e: e["activityDateTime"]),
    ("Id", lambda e: e["id"]),
    ("Job ID", lambda e: e["jobId"]),
    ("Cycle ID", lambda e: e["cycleId"]),
    ("Change ID", lambda e: e["changeId"]),
    ("Action", lambda e: e["provisioningAction"]),
    ("Status", lambda e: e["provisioningStatusInfo"]["status"]),
    ("Error Code", lambda e: (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode")),
    ("Reason", lambda e: (e["provisioningStatusInfo"].get("errorInformation") or {}).get("reason")),
    ("Recommended Action",
     lambda e: (e["provisioningStatusInfo"].get("errorInformation") or {}).get("recommendedAction")),
    ("Source System", lambda e: (e.get("sourceSystem") or {}).get("displayName")),
    ("Source Identity ID", lambda e: (e.get("sourceIdentity") or {}).get("id")),
    ("Source Identity Name", lambda e: (e.get("sourceIdentity") or {}).get("displayName")),
    ("Source Identity Type", lambda e: (e.get("sourceIdentity") or {}).get("identityType")),
    ("Target System", lambda e: (e.get("targetSystem") or {}).get("displayName")),
    ("Target Identity ID", lambda e: (e.get("targetIdentity") or {}).get("id")),
    ("Target Identity Name", lambda e: (e.get("targetIdentity") or {}).get("displayName")),
    ("Target Identity Type", lambda e: (e.get("targetIdentity") or {}).get("identityType")),
    ("Service Principal ID", lambda e: e["servicePrincipal"].get("id")),
    ("Service Principal Name", lambda e: e["servicePrincipal"].get("displayName")),
    ("Initiated By", lambda e: (e.get("initiatedBy") or {}).get("displayName")),
    ("Duration (ms)", lambda e: e.get("durationInMilliseconds")),
    ("Tenant ID", lambda e: e.get("tenantId")),
)


def entries_csv(entries: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for title, _read in CSV_COLUMNS])
    for entry in entries:
        writer.writerow([csv_cell(read(entry)) for _title, read in CSV_COLUMNS])
    return out.getvalue()


def register(bp, entra) -> None:
    apps, sync = entra.apps, entra.sync
    admin_page = bp.admin_page

    app_page = bp.app_page

    # -- Overview of provisioning ------------------------------------------------------------------
    def overview_page(sp, status: int = 200, *, restart_form: RestartForm | None = None, error: str | None = None):
        job = app_job(entra, sp.id)
        return page("portal/overview.html", status, sp=sp, section_title=_("Overview (Provisioning)"),
                    cycle=cycle_status(entra, sp.id, job), job=job, restart_form=restart_form or RestartForm(),
                    action_form=ActionForm(), error=error)

    @bp.get("/portal/enterprise-apps/<sp_id>/provisioning/overview")
    @app_page
    def provisioning_overview(sp):
        return overview_page(sp)

    def job_operation(sp, form: PageForm, operation, done: str):
        if not form.validate_on_submit():
            return form_refused(form) or overview_page(sp, 400, restart_form=form if isinstance(form, RestartForm)
                                                       else None)
        job = app_job(entra, sp.id)
        if job is None:
            return overview_page(sp, 400, error=_("Provisioning is not configured: there is no provisioning job."))
        try:
            operation(job)
        except SyncError as exc:
            return overview_page(sp, exc.status if 400 <= exc.status < 500 else 400, error=exc.message)
        flash(done, "success")
        return redirect(url_for("entra_portal_pages.provisioning_overview", sp_id=sp.id), 303)

    @bp.post("/portal/enterprise-apps/<sp_id>/provisioning/overview/restart")
    @app_page
    def overview_restart(sp):
        form = RestartForm()
        return job_operation(sp, form, lambda job: sync.restart_job(sp.id, job.id, form.restart_body()),
                             _("Provisioning was restarted."))

    @bp.post("/portal/enterprise-apps/<sp_id>/provisioning/overview/pause")
    @app_page
    def overview_pause(sp):
        return job_operation(sp, ActionForm(), lambda job: sync.pause_job(sp.id, job.id),
                             _("Provisioning was paused."))

    @bp.post("/portal/enterprise-apps/<sp_id>/provisioning/overview/start")
    @app_page
    def overview_start(sp):
        return job_operation(sp, ActionForm(), lambda job: sync.start_job(sp.id, job.id),
                             _("Provisioning was started."))

    # -- Provision on demand -----------------------------------------------------------------------
    def matching_users(search: str) -> list:
        needle = search.lower()
        found = [u for u in entra.directory.iter_users()
                 if needle in u.display_name.lower() or needle in u.user_principal_name.lower()]
        found.sort(key=lambda u: (u.display_name.lower(), u.user_principal_name.lower()))
        return found

    def on_demand_page(sp, status: int = 200, *, form: OnDemandForm | None = None, result=None,
                       error: str | None = None, chosen=None):
        search = (request.args.get("search") or "").strip()[:SEARCH_MAX]
        users = matching_users(search) if search else []
        return page("portal/on_demand.html", status, sp=sp, section_title=_("Provision on demand"), search=search,
                    users=users[:PICKER_LIMIT], more=len(users) > PICKER_LIMIT, form=form or OnDemandForm(),
                    result=result, error=error, chosen=chosen, job=app_job(entra, sp.id),
                    status_labels=status_labels(), action_labels=action_labels())

    @bp.get("/portal/enterprise-apps/<sp_id>/provision-on-demand")
    @app_page
    def provision_on_demand(sp):
        return on_demand_page(sp)

    @bp.post("/portal/enterprise-apps/<sp_id>/provision-on-demand")
    @app_page
    def provision_on_demand_run(sp):
        form = OnDemandForm()
        if not form.validate_on_submit():
            return form_refused(form) or on_demand_page(sp, 400, form=form)
        user = entra.directory.find_object(form.user_id.data)
        if user is None or user.object_type != "user":
            form.user_id.errors.append(_("The user does not exist."))
            return on_demand_page(sp, 400, form=form)
        job = app_job(entra, sp.id)
        if job is None:
            return on_demand_page(sp, 400, form=form, chosen=user,
                                  error=_("Provisioning is not configured: there is no provisioning job."))
        body = {"parameters": [{"ruleId": "", "subjects": [{"objectId": user.id, "objectTypeName": "User"}]}]}
        try:
            answer = sync.provision_on_demand(sp.id, job.id, body)
        except SyncError as exc:
            return on_demand_page(sp, exc.status if 400 <= exc.status < 500 else 400, form=form, chosen=user,
                                  error=exc.message)
        outcome, details = json.loads(answer["key"]), json.loads(answer["value"])
        result = {"outcome": outcome, "details": details, "steps": on_demand_steps(details)}
        return on_demand_page(sp, form=form, chosen=user, result=result)

    # -- Provisioning logs ---------------------------------------------------------------------------
    def read_filters(sp) -> tuple[LogFilterForm, str | None, list[str]]:
        form = LogFilterForm(formdata=request.args)
        errors: list[str] = []
        if not form.validate():
            return form, None, errors
        return form, form.graph_filter(sp.id if sp is not None else None, entra.lab.clock.now()), errors

    def link(sp, endpoint: str | None = None, **changes) -> str:
        """This page (or ``endpoint``) with the current filters, some of them changed (None drops one)."""
        args = {k: v for k, v in request.args.items() if k not in ("lang", "mkt")}
        args.update(changes)
        args = {k: v for k, v in args.items() if v not in (None, "")}
        if sp is not None:
            args["sp_id"] = sp.id
        return url_for(endpoint or request.endpoint, **args)

    def logs_page(sp):
        form, graph_filter, _errors = read_filters(sp)
        template = "portal/logs.html" if sp is not None else "portal/logs_tenant.html"
        context = {"sp": sp, "section_title": _("Provisioning logs"), "form": form, "graph_filter": graph_filter,
                   "status_labels": status_labels(), "action_labels": action_labels(), "entries": [],
                   "selected": None, "tab": "steps", "next_token": None, "history": [], "token": "",
                   "error": None,
                   "link": lambda endpoint=None, **changes: link(sp, endpoint, **changes)}
        if form.errors:
            context["error"] = _("Check the filters: some values are not valid.")
            return page(template, 400, **context)
        history = [t for t in (request.args.get("history") or "").split(",") if t][:MAX_HISTORY]
        token = (request.args.get("skiptoken") or "").strip()
        params = {"$top": form.page_size.data, "$orderby": "activityDateTime desc"}
        if graph_filter:
            params["$filter"] = graph_filter
        if token:
            params["$skiptoken"] = token
        try:
            found = query_logs(entra, params)
        except ODataError as exc:
            context["error"] = _("The logs could not be read: %(reason)s", reason=exc.message)
            return page(template, 400, **context)
        selected_id = request.args.get("selected")
        selected = None
        if selected_id:
            entry = entra.provisioning_logs.find(selected_id[:128])
            if entry is not None and (sp is None or entry.service_principal.get("id") == sp.id):
                selected = entry.to_graph()
            else:
                context["error"] = _("The log entry %(id)s does not exist.", id=selected_id[:128])
        tab = request.args.get("tab", "steps")
        context.update(entries=[e.to_graph() for e in found.items], next_token=found.next_token, history=history,
                       token=token, selected=selected,
                       tab=tab if tab in ("steps", "troubleshooting", "modified", "summary") else "steps")
        return page(template, 404 if selected_id and selected is None else 200, **context)

    def download(sp, fmt: str):
        form, graph_filter, _errors = read_filters(sp)
        if form.errors or fmt not in ("json", "csv"):
            return portal_message(_("The download is not possible"),
                                  _("Check the filters: some values are not valid.") if form.errors else
                                  _("Downloads are JSON or CSV."), 400)
        try:
            entries = [e.to_graph() for e in filtered_logs(entra, graph_filter)]
        except ODataError as exc:
            return portal_message(_("The download is not possible"), exc.message, 400)
        name = f"ProvisioningLogs_{iso(entra.lab.clock.now()).replace(':', '-')}"
        if fmt == "json":
            body, mimetype = json.dumps(entries, ensure_ascii=False, indent=1), "application/json"
        else:
            body, mimetype = entries_csv(entries), "text/csv"
        resp = Response(body, mimetype=mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    @bp.get("/portal/enterprise-apps/<sp_id>/provisioning-logs")
    @app_page
    def app_provisioning_logs(sp):
        return logs_page(sp)

    @bp.get("/portal/enterprise-apps/<sp_id>/provisioning-logs/download.<fmt>")
    @app_page
    def app_provisioning_logs_download(sp, fmt: str):
        return download(sp, fmt)

    @bp.get("/portal/provisioning-logs")
    @admin_page
    def provisioning_logs():
        return logs_page(None)

    @bp.get("/portal/provisioning-logs/download.<fmt>")
    @admin_page
    def provisioning_logs_download(fmt: str):
        return download(None, fmt)
