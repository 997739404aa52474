"""Enterprise apps: the list with search, New application (the gallery, and "Create your own
application" for the non-gallery app), one app's Overview, and its Users and groups (the assignments
with their roles, Add Assignment, Remove).

The pages call the Graph operations of ``entra.apps``: ``list_application_templates`` and
``instantiate_template`` (``POST /applicationTemplates/{id}/instantiate``), ``create_app_role_assignments``
(``POST /servicePrincipals/{id}/appRoleAssignedTo`` for each principal chosen, all or none) and
``delete_app_role_assignment``. The app roles show under their portal names: ``msiam_access`` is
"Default Access" (translated by the catalogue), the others their display name.
"""
from __future__ import annotations

from itertools import chain

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...core.pages import PageForm, page
from ..apps.model import (DEFAULT_ACCESS_ROLE_ID, NON_GALLERY_TEMPLATE_ID, AlreadyAssigned, AppsError,
                          AssignmentsRefused, NotFound)
from .pages import portal_message

#: How many users and groups the Add Assignment picker lists at once (Entra: "refine your search").
PICKER_LIMIT = 50
#: How many assignments Users and groups lists at once (Entra: "First 200 shown").
LIST_LIMIT = 200
SEARCH_MAX = 256


def app_name_validators() -> list:
    return [DataRequired(message=_l("Enter a name for the application.")),
            Length(max=256, message=_l("The name can have at most 256 characters."))]


class AppNameForm(PageForm):
    """Add a gallery app: its name in this tenant."""
    name = StringField(_l("Name"), validators=app_name_validators())


class CustomAppForm(AppNameForm):
    """Create your own application: the non-gallery app."""
    name = StringField(_l("What's the name of your app?"), validators=app_name_validators())
    purpose = RadioField(_l("What are you looking to do with your application?"), default="nonGallery",
                         choices=[SelectChoice("nonGallery", _l("Integrate any other application you don't find "
                                                                 "in the gallery (Non-gallery)"))],
                         validators=[DataRequired(message=_l("Choose what to do with your application."))])


class AddAssignmentForm(PageForm):
    """Add Assignment: users and groups chosen from the directory, and one of the app's roles."""
    search = StringField(_l("Search users and groups"), validators=[Length(max=SEARCH_MAX)])
    principals = SelectMultipleField(_l("Users and groups"), validate_choice=False)
    role = RadioField(_l("Select a role"), validate_choice=False)

    def validate_principals(self, field):
        if not field.data:
            raise ValidationError(_("Select at least one user or group."))

    def validate_role(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Select a role."))


class RemoveAssignmentsForm(PageForm):
    """Remove: the assignments selected in the list."""
    assignments = SelectMultipleField(_l("Selected assignments"), validate_choice=False)

    def validate_assignments(self, field):
        if not field.data:
            raise ValidationError(_("Select at least one user or group to remove."))
        if not set(field.data) <= {choice.value for choice in field.choices}:
            raise ValidationError(_("A selected assignment no longer exists. Reload the list and try again."))


def role_label(sp, role_id: str) -> str:
    """The portal's name of one of the app's roles, in the page's language (the role stays as it is)."""
    role = sp.app_role(role_id)
    if (role is not None and role.is_default_access) or (role is None and role_id == DEFAULT_ACCESS_ROLE_ID):
        return _("Default Access")
    return role.portal_display_name if role is not None else role_id


def role_choices(sp) -> list[SelectChoice]:
    if not sp.app_roles:
        return [SelectChoice(DEFAULT_ACCESS_ROLE_ID, role_label(sp, DEFAULT_ACCESS_ROLE_ID))]
    return [SelectChoice(role.id, role_label(sp, role.id)) for role in sp.app_roles if role.is_enabled]


def object_type_label(kind: str) -> str:
    return _("Group") if kind == "Group" else _("User")


def form_refused(form: PageForm):
    """The page for a form whose CSRF token is missing or wrong (nothing was changed), else None."""
    if form.csrf_token.errors:
        return portal_message(_("The form has expired"),
                              _("Nothing was changed: the form's security token is missing or no longer valid. "
                                "Go back, reload the page and try again."), 400)
    return None


def register(bp, entra) -> None:
    apps = entra.apps
    directory = entra.directory
    admin_page = bp.admin_page

    app_page = bp.app_page

    def search_text() -> str:
        return (request.args.get("search") or "").strip()[:SEARCH_MAX]

    # -- Enterprise apps ---------------------------------------------------------------------------
    @bp.get("/portal/enterprise-apps")
    @admin_page
    def enterprise_apps():
        search = search_text()
        listed = sorted(apps.list_service_principals(), key=lambda sp: sp.display_name.lower())
        if search:
            needle = search.lower()
            listed = [sp for sp in listed if needle in sp.display_name.lower() or sp.app_id.lower().startswith(needle)
                      or sp.id.lower().startswith(needle)]
        return page("portal/enterprise_apps.html", service_principals=listed, search=search)

    # -- New application: the gallery --------------------------------------------------------------
    def gallery_templates(search: str) -> list:
        needle = search.lower()
        return sorted((t for t in apps.list_application_templates() if t.id != NON_GALLERY_TEMPLATE_ID
                       and (needle in t.display_name.lower() or needle in str(t.graph.get("publisher", "")).lower())),
                      key=lambda t: t.display_name.lower())

    def gallery_page(status: int = 200, **pane):
        search = search_text()
        return page("portal/gallery.html", status, search=search, templates=gallery_templates(search), **pane)

    def create_app(template_id: str, form: AppNameForm):
        """Instantiate the template, then the new app's Overview; a refusal shows next to the name."""
        try:
            _application, sp = apps.instantiate_template(template_id, form.name.data.strip())
        except AppsError as exc:
            form.name.errors = [*form.name.errors, exc.message]
            return None
        flash(_("Successfully added application %(name)s.", name=sp.display_name), "success")
        return redirect(url_for("entra_portal_pages.app_overview", sp_id=sp.id), 303)

    @bp.get("/portal/enterprise-apps/gallery")
    @admin_page
    def gallery():
        return gallery_page()

    @bp.route("/portal/enterprise-apps/gallery/<template_id>", methods=["GET", "POST"])
    @admin_page
    def gallery_app(template_id: str):
        template = next((t for t in apps.list_application_templates()
                         if t.id == template_id.lower() and t.id != NON_GALLERY_TEMPLATE_ID), None)
        if template is None:
            return portal_message(_("Not found"), _("The gallery has no application %(id)s.", id=template_id), 404)
        form = AppNameForm(data=None if request.method == "POST" else {"name": template.display_name})
        if form.validate_on_submit():
            done = create_app(template.id, form)
            if done is not None:
                return done
        elif request.method == "POST" and (refused := form_refused(form)) is not None:
            return refused
        return gallery_page(400 if form.errors else 200, selected=template, form=form)

    @bp.route("/portal/enterprise-apps/gallery/custom", methods=["GET", "POST"])
    @admin_page
    def gallery_custom():
        form = CustomAppForm()
        if form.validate_on_submit():
            done = create_app(NON_GALLERY_TEMPLATE_ID, form)
            if done is not None:
                return done
        elif request.method == "POST" and (refused := form_refused(form)) is not None:
            return refused
        return gallery_page(400 if form.errors else 200, custom=True, form=form)

    # -- one app: Overview ---------------------------------------------------------------------------
    @bp.get("/portal/enterprise-apps/<sp_id>/overview")
    @app_page
    def app_overview(sp):
        return page("portal/app_overview.html", sp=sp, section_title=_("Overview"),
                    assignments=len(apps.assignments_for_service_principal(sp.id)))

    # -- one app: Users and groups ---------------------------------------------------------------------
    def assignment_rows(sp, search: str = "") -> list[dict]:
        needle = search.lower()
        rows = [{"id": a.id, "name": a.principal_display_name, "type": object_type_label(a.principal_type),
                 "role": role_label(sp, a.app_role_id)}
                for a in apps.assignments_for_service_principal(sp.id)
                if not needle or needle in a.principal_display_name.lower()]
        return sorted(rows, key=lambda row: (row["name"].lower(), row["role"].lower()))

    def users_and_groups_page(sp, form: RemoveAssignmentsForm, status: int = 200, confirming: bool = False):
        search = search_text()
        rows = assignment_rows(sp, search)
        return page("portal/users_and_groups.html", status, sp=sp, section_title=_("Users and groups"),
                    rows=rows[:LIST_LIMIT], total=len(rows), limit=LIST_LIMIT, search=search, form=form,
                    selected=set(form.assignments.data or ()), confirming=confirming,
                    confirm_names=[_("%(name)s (%(role)s)", name=row["name"], role=row["role"])
                                   for row in rows if row["id"] in set(form.assignments.data or ())])

    def remove_form(sp) -> RemoveAssignmentsForm:
        form = RemoveAssignmentsForm()
        form.assignments.choices = [SelectChoice(a.id, a.principal_display_name)
                                    for a in apps.assignments_for_service_principal(sp.id)]
        return form

    @bp.get("/portal/enterprise-apps/<sp_id>/users-and-groups")
    @app_page
    def users_and_groups(sp):
        return users_and_groups_page(sp, remove_form(sp))

    @bp.post("/portal/enterprise-apps/<sp_id>/users-and-groups/remove")
    @app_page
    def remove_assignments(sp):
        form = remove_form(sp)
        if not form.validate_on_submit():
            return form_refused(form) or users_and_groups_page(sp, form, 400)
        if request.form.get("confirm") != "yes":
            return users_and_groups_page(sp, form, confirming=True)
        removed = 0
        for assignment_id in dict.fromkeys(form.assignments.data):
            try:
                apps.delete_app_role_assignment(assignment_id, resource_id=sp.id)
                removed += 1
            except NotFound:
                continue  # removed meanwhile (by Graph): what was asked for holds
        flash(ngettext("%(num)d assignment was removed from %(app)s.",
                       "%(num)d assignments were removed from %(app)s.", removed, app=sp.display_name), "success")
        return redirect(url_for("entra_portal_pages.users_and_groups", sp_id=sp.id), 303)

    # -- one app: Add Assignment -----------------------------------------------------------------------
    def principal_entry(obj) -> dict:
        kind = "Group" if obj.object_type == "group" else "User"
        detail = obj.user_principal_name if kind == "User" else (obj.get("mail") or obj.get("description") or "")
        return {"id": obj.id, "name": obj.display_name, "type": object_type_label(kind), "detail": detail}

    def directory_matches(search: str, exclude: set[str]) -> tuple[list[dict], bool]:
        """Live users and groups whose name (or a user's sign-in name) contains ``search``, by name; and
        whether there are more than the picker lists."""
        needle = search.lower()
        found = [obj for obj in chain(directory.iter_users(), directory.iter_groups()) if obj.id not in exclude
                 and (needle in obj.display_name.lower()
                      or (obj.object_type == "user" and needle in obj.user_principal_name.lower()))]
        found.sort(key=lambda obj: (obj.display_name.lower(), obj.id))
        return [principal_entry(obj) for obj in found[:PICKER_LIMIT]], len(found) > PICKER_LIMIT

    def chosen_principals(ids: list[str]) -> list[dict]:
        entries = []
        for principal_id in dict.fromkeys(ids):
            obj = directory.find_object(principal_id) if isinstance(principal_id, str) and len(principal_id) <= 64 \
                else None
            if obj is not None and not obj.is_deleted and obj.object_type in ("user", "group"):
                entries.append(principal_entry(obj))
            else:
                entries.append({"id": principal_id, "name": principal_id, "type": "", "detail": ""})
        return entries

    def assignment_errors(sp, refused: AppsError, chosen: list[dict]) -> list[str]:
        names = {entry["id"]: entry["name"] for entry in chosen}
        role = role_label(sp, request.form.get("role", ""))
        failures = refused.refused.items() if isinstance(refused, AssignmentsRefused) else [(None, refused)]
        texts = []
        for principal_id, exc in failures:
            name = names.get(principal_id, principal_id or "")
            if isinstance(exc, AlreadyAssigned):
                texts.append(_("%(name)s already has the role %(role)s in this application: permission being "
                               "assigned already exists on the object.", name=name, role=role))
            elif isinstance(exc, NotFound):
                texts.append(_("%(name)s does not exist in the directory (any more).", name=name))
            else:
                texts.append(f"{name}: {exc.message}" if name else exc.message)
        return texts

    @bp.route("/portal/enterprise-apps/<sp_id>/users-and-groups/add", methods=["GET", "POST"])
    @app_page
    def add_assignment(sp):
        form = AddAssignmentForm()
        form.role.choices = role_choices(sp)
        status = 200
        if request.method == "POST":
            valid = form.validate()
            if (refused := form_refused(form)) is not None:
                return refused
            if request.form.get("action") == "search":
                form.principals.errors, form.role.errors = [], []  # not chosen yet: no reproach
                status = 400 if form.search.errors else 200
            elif not valid:
                status = 400
            else:
                try:
                    made = apps.create_app_role_assignments(resource_id=sp.id, principal_ids=form.principals.data,
                                                            app_role_id=form.role.data)
                except AppsError as exc:
                    form.principals.errors = assignment_errors(sp, exc, chosen_principals(form.principals.data))
                    status = 400
                else:
                    flash(ngettext("%(num)d user or group was assigned to %(app)s.",
                                   "%(num)d users and groups were assigned to %(app)s.", len(made),
                                   app=sp.display_name), "success")
                    return redirect(url_for("entra_portal_pages.users_and_groups", sp_id=sp.id), 303)
        chosen = chosen_principals(form.principals.data or [])
        search = (form.search.data or "").strip()[:SEARCH_MAX]
        matches, more = directory_matches(search, {entry["id"] for entry in chosen})
        return page("portal/add_assignment.html", status, sp=sp, section_title=_("Add Assignment"), form=form,
                    chosen=chosen, matches=matches, more=more, search=search)
