"""Attribute mappings (the tutorial's steps 9 and 10): one object mapping of a provisioning job's schema,
its attribute mappings, and the Edit Attribute page.

``/portal/enterprise-apps/<sp_id>/provisioning/mappings/<mapping_id>`` shows the object mapping at
position ``mapping_id`` (0, 1, ...) of the schema's first synchronization rule; optional query
parameters ``rule`` (a rule's id, for a schema with several rules) and ``job`` (a job id; else the
application's first job) choose another. Graph's ``objectMapping`` has no id of its own, hence the
position.

Edit, Add New Mapping and Delete change a draft of the object mapping's attribute mappings kept in the
page session (a compact form of each row); nothing reaches the job until Save, which writes the whole
schema through ``put_schema``, the operation behind ``PUT …/jobs/{id}/schema``, and shows its validation
errors on the page. Discard drops the draft. Expressions are checked with the engine's own parser, and
an edited row with the schema's own validation (``validate_schema``), so the page adds no rule of its own.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from flask import flash, get_flashed_messages, redirect, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ...core.pages import PageForm, page
from ..provisioning.expressions import (ExpressionError, SourceObject, parse_expression, source_expression,
                                       source_type)
from ..provisioning.mappings import (attribute_definitions, normalize_attribute_mapping, object_definition,
                                     validate_schema)
from ..sync.model import SyncError
from .pages import portal_message
from .status import app_job

#: The session key of the draft (one object mapping's unsaved attribute mappings).
DRAFT_KEY = "attribute_mapping_draft"
KINDS = ("Direct", "Constant", "Expression")
#: Graph's ``flowTypes`` words and the portal's names of the target object actions.
ACTIONS = (("Add", _l("Create")), ("Update", _l("Update")), ("Delete", _l("Delete")))


# --------------------------------------------------------------------------------------------------
# Rows: an attribute mapping as the page shows and edits it (no Flask here)
# --------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One attribute mapping in the portal's terms. ``origin`` is the position of the saved mapping it
    came from (None for a new one): an unchanged row is written back exactly as it was saved."""

    kind: str  # Direct | Constant | Expression | None (no source)
    source: str  # the attribute name, the constant, or the expression text
    default: str
    target: str
    priority: int
    flow: str  # Always | ObjectAddOnly
    origin: int | None = None

    @property
    def source_text(self) -> str:
        """The table's "Microsoft Entra ID attribute" column."""
        if self.kind == "Constant":
            return '"' + self.source.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return self.source

    def same_as(self, other: "Row") -> bool:
        return (self.kind, self.source, self.default, self.target, self.priority, self.flow) == \
            (other.kind, other.source, other.default, other.target, other.priority, other.flow)


def row_of(mapping: Mapping, origin: int | None = None) -> Row:
    """The row of one Graph ``attributeMapping``."""
    source = mapping.get("source")
    kind = {"Attribute": "Direct", "Constant": "Constant", "Function": "Expression"}.get(source_type(source) or "",
                                                                                       "None")
    text = ""
    if kind == "Direct":
        text = str(source.get("name") or source.get("expression") or "").strip("[]")
    elif kind == "Constant":
        value = source.get("name")
        if value is None:
            try:
                value = source_expression(source).evaluate(SourceObject({}))
            except ExpressionError:
                value = source.get("expression")
        text = "" if value is None else str(value)
    elif kind == "Expression":
        text = str(source.get("expression") or "")
    priority = mapping.get("matchingPriority")
    default = mapping.get("defaultValue")
    return Row(kind=kind, source=text, default="" if default is None else str(default),
               target=str(mapping.get("targetAttributeName") or ""),
               priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
               flow=str(mapping.get("flowType") or "Always"), origin=origin)


def graph_mapping(row: Row, saved: list) -> dict:
    """The Graph ``attributeMapping`` of ``row``: the saved one when the row did not change, else a new
    one (the saved mapping's other properties kept) in the form Graph returns it."""
    base = saved[row.origin] if row.origin is not None and row.origin < len(saved) else None
    if isinstance(base, Mapping) and row.same_as(row_of(base)):
        return dict(base)
    mapping = {k: v for k, v in (base or {}).items()
               if k not in ("source", "targetAttributeName", "matchingPriority", "flowType", "defaultValue")}
    source = {"Direct": {"type": "Attribute", "name": row.source},
              "Constant": {"type": "Constant", "name": row.source},
              "Expression": {"type": "Function", "expression": row.source}}.get(row.kind)
    mapping.update(source=source, targetAttributeName=row.target, matchingPriority=row.priority,
                   flowType=row.flow, defaultValue=row.default or None)
    return normalize_attribute_mapping(mapping)


def fingerprint(mappings: Any) -> str:
    """What the draft was made from: a later Save refuses when the saved mappings changed meanwhile."""
    return hashlib.sha256(json.dumps(mappings, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass
class Located:
    """One object mapping of one job's schema, and where it is."""

    sp: Any
    job_id: str
    rule_id: str | None
    index: int
    schema: dict
    rule: dict
    object_mapping: dict

    @property
    def key(self) -> str:
        return f"{self.sp.id}|{self.job_id}|{self.rule_id}|{self.index}"

    @property
    def saved(self) -> list:
        mappings = self.object_mapping.get("attributeMappings")
        return mappings if isinstance(mappings, list) else []

    def directory_attributes(self, side: str) -> list[str]:
        obj = object_definition(self.schema, self.rule.get(f"{side}DirectoryName"),
                                self.object_mapping.get(f"{side}ObjectName"))
        return sorted(attribute_definitions(obj), key=str.lower)

    def with_rows(self, rows: list[Row], enabled: bool | None = None) -> dict:
        """The whole schema with this object mapping's attribute mappings replaced by ``rows``."""
        schema = json.loads(json.dumps(self.schema))
        rules = [r for r in schema["synchronizationRules"] if isinstance(r, dict)]
        rule = next(r for r in rules if r.get("id") == self.rule_id) if self.rule_id is not None else rules[0]
        target = rule["objectMappings"][self.index]
        target["attributeMappings"] = [graph_mapping(row, self.saved) for row in rows]
        if enabled is not None:
            target["enabled"] = enabled
        return schema


def scope_summary(scope: Any) -> list[tuple[str, list[str]]]:
    """The scoping filter as (filter name, its clauses as text); empty for "All records"."""
    groups = scope.get("groups") if isinstance(scope, Mapping) else scope if isinstance(scope, list) else []
    summary = []
    for group in groups or []:
        if not isinstance(group, Mapping):
            continue
        clauses = []
        for clause in group.get("clauses") or []:
            if isinstance(clause, Mapping):
                operand = clause.get("targetOperand")
                values = operand.get("values") if isinstance(operand, Mapping) else None
                words = [str(clause.get("sourceOperandName") or ""), str(clause.get("operatorName") or "")]
                clauses.append(" ".join(words + ([", ".join(map(str, values))] if values else [])))
        summary.append((str(group.get("name") or ""), clauses))
    return summary


# --------------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------------

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


class AttributeMappingForm(PageForm):
    mapping_type = SelectField(_l("Mapping type"), choices=[
        SelectChoice("Direct", _l("Direct")), SelectChoice("Constant", _l("Constant")),
        SelectChoice("Expression", _l("Expression"))])
    source_attribute = SelectField(_l("Source attribute"))
    constant_value = StringField(_l("Constant value"))
    expression = TextAreaField(_l("Expression"), render_kw={"rows": 3, "spellcheck": "false"})
    default_value = StringField(_l("Default value if null (optional)"))
    target_attribute = SelectField(_l("Target attribute"))
    matching = SelectField(_l("Match objects using this attribute"), choices=YES_NO[::-1])
    matching_precedence = StringField(_l("Matching precedence"))
    flow_type = SelectField(_l("Apply this mapping"), choices=[
        SelectChoice("Always", _l("Always")), SelectChoice("ObjectAddOnly", _l("Only during object creation"))])

    def source_field(self):
        return {"Direct": self.source_attribute, "Constant": self.constant_value}.get(self.mapping_type.data,
                                                                                     self.expression)


class SaveMappingForm(PageForm):
    enabled = SelectField(_l("Enabled"), choices=YES_NO)


class ConfirmForm(PageForm):
    """Discard and Delete: nothing but the CSRF token."""


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------

def expired() -> str:
    return _("The form has expired or is not valid; reload the page and try again.")


def register(bp, entra) -> None:
    sync = entra.sync
    base = "/portal/enterprise-apps/<sp_id>/provisioning/mappings/<int:mapping_id>"

    def locate(sp, mapping_id: int) -> Located | Any:
        """The object mapping the URL names, or the portal's 404 page."""
        wanted = request.args.get("job")
        job = next((j for j in sync.list_jobs(sp.id) if j.id == wanted), None) if wanted else app_job(entra, sp.id)
        if job is None:
            return portal_message(_("Not found"), _("Provisioning is not configured for %(app)s.",
                                                    app=sp.display_name), 404)
        schema = sync.get_schema(sp.id, job.id)
        rules = [r for r in schema.get("synchronizationRules") or [] if isinstance(r, dict)]
        rule_id = request.args.get("rule")
        rule = next((r for r in rules if r.get("id") == rule_id), None) if rule_id else (rules[0] if rules else None)
        mappings = rule.get("objectMappings") if rule else None
        if not isinstance(mappings, list) or not 0 <= mapping_id < len(mappings) \
                or not isinstance(mappings[mapping_id], dict):
            return portal_message(_("Not found"), _("The mapping %(id)s does not exist.", id=mapping_id), 404)
        return Located(sp=sp, job_id=job.id, rule_id=rule.get("id") if rule_id else None, index=mapping_id,
                       schema=schema, rule=rule, object_mapping=mappings[mapping_id])

    def mapping_page(rule: str, methods=("GET",)):
        """A page of one object mapping (``base`` + ``rule``) for admins: the view is given the
        ``Located`` object mapping; an unknown one is the portal's 404 page."""
        def wrap(view):
            @functools.wraps(view)
            def located(sp, mapping_id: int, **kwargs):
                loc = locate(sp, mapping_id)
                return view(loc, **kwargs) if isinstance(loc, Located) else loc
            return bp.route(base + rule, methods=list(methods))(bp.app_page(located))
        return wrap

    def mapping_name(loc: Located) -> str:
        """The object mapping's name, in the page's language when a catalogue has it (the templates'
        names, such as "Synchronize Microsoft Entra users to GoToMeeting")."""
        name = str(loc.object_mapping.get("name") or loc.object_mapping.get("sourceObjectName") or "")
        return _(name) if name else name

    def here(loc: Located) -> dict:
        """The URL arguments of this object mapping's pages."""
        args = {"sp_id": loc.sp.id, "mapping_id": loc.index}
        if request.args.get("job"):
            args["job"] = loc.job_id
        if loc.rule_id is not None:
            args["rule"] = loc.rule_id
        return args

    def draft(loc: Located) -> list[Row] | None:
        """The unsaved rows of this object mapping, if any (a draft of other mappings is left alone; one
        made from mappings that have since changed is dropped)."""
        held = session.get(DRAFT_KEY)
        if not isinstance(held, dict) or held.get("key") != loc.key:
            return None
        if held.get("base") != fingerprint(loc.saved):
            session.pop(DRAFT_KEY, None)
            flash(_("The attribute mappings were changed elsewhere; your unsaved changes were discarded."), "warning")
            return None
        try:
            return [Row(**r) for r in held.get("rows", [])]
        except TypeError:
            session.pop(DRAFT_KEY, None)
            return None

    def saved_rows(loc: Located) -> list[Row]:
        return [row_of(m, i) for i, m in enumerate(loc.saved) if isinstance(m, Mapping)]

    def rows_of(loc: Located) -> list[Row]:
        held = draft(loc)
        return held if held is not None else saved_rows(loc)

    def keep_draft(loc: Located, rows: list[Row]) -> None:
        session[DRAFT_KEY] = {"key": loc.key, "base": fingerprint(loc.saved), "rows": [asdict(r) for r in rows]}

    def show(loc: Located, form: SaveMappingForm | None = None, status: int = 200, error: str | None = None):
        held = draft(loc)
        rows = held if held is not None else saved_rows(loc)
        if form is None:
            form = SaveMappingForm(enabled="yes" if loc.object_mapping.get("enabled", True) else "no")
        flow_types = {w.strip() for w in str(loc.object_mapping.get("flowTypes") or "").split(",")}
        return page("portal/mapping_attributes.html", status, sp=loc.sp, section_title=_("Attribute Mapping"),
                    loc=loc, mapping_name=mapping_name(loc), here=here(loc), rows=rows, unsaved=held is not None,
                    form=form,
                    discard_form=ConfirmForm(), save_error=error,
                    actions=[(label, word in flow_types) for word, label in ACTIONS],
                    scope=scope_summary(loc.object_mapping.get("scope")),
                    target_directory=str(loc.rule.get("targetDirectoryName") or ""),
                    flashed=get_flashed_messages(with_categories=True))

    @mapping_page("")
    def attribute_mappings(loc: Located):
        return show(loc)

    @mapping_page("/save", methods=("POST",))
    def save_attribute_mappings(loc: Located):
        form = SaveMappingForm()
        if not form.validate_on_submit():
            return show(loc, form, 400, error=expired())
        held = session.get(DRAFT_KEY)
        if isinstance(held, dict) and held.get("key") == loc.key and held.get("base") != fingerprint(loc.saved):
            session.pop(DRAFT_KEY, None)
            return show(loc, form, 409, error=_("The attribute mappings were changed elsewhere since you started "
                                                "editing; your unsaved changes were discarded. Edit them again."))
        rows = rows_of(loc)
        try:
            schema = loc.with_rows(rows, enabled=form.enabled.data == "yes")
            sync.put_schema(loc.sp.id, loc.job_id, schema)
        except (SyncError, ExpressionError) as exc:
            return show(loc, form, 400, error=getattr(exc, "message", str(exc)))
        session.pop(DRAFT_KEY, None)
        flash(_("The attribute mappings were saved."), "success")
        return redirect(url_for("entra_portal_pages.attribute_mappings", **here(loc)), 303)

    @mapping_page("/discard", methods=("POST",))
    def discard_attribute_mappings(loc: Located):
        if not ConfirmForm().validate_on_submit():
            return show(loc, status=400, error=expired())
        held = session.get(DRAFT_KEY)
        if isinstance(held, dict) and held.get("key") == loc.key:
            session.pop(DRAFT_KEY, None)
            flash(_("Your unsaved changes were discarded."), "info")
        return redirect(url_for("entra_portal_pages.attribute_mappings", **here(loc)), 303)

    def edit(loc: Located, row_index: int | None):
        rows = rows_of(loc)
        if row_index is not None and not 0 <= row_index < len(rows):
            return portal_message(_("Not found"), _("The attribute mapping %(id)s does not exist.", id=row_index),
                                  404)
        current = rows[row_index] if row_index is not None else None
        if request.method == "GET" and current is not None:
            form = AttributeMappingForm(
                mapping_type=current.kind if current.kind in KINDS else "Expression",
                source_attribute=current.source if current.kind == "Direct" else None,
                constant_value=current.source if current.kind == "Constant" else "",
                expression=current.source if current.kind == "Expression" else "",
                default_value=current.default, target_attribute=current.target,
                matching="yes" if current.priority > 0 else "no",
                matching_precedence=str(current.priority) if current.priority > 0 else "", flow_type=current.flow)
        else:
            form = AttributeMappingForm()
        sources = loc.directory_attributes("source")
        targets = loc.directory_attributes("target")
        if current is not None and current.kind == "Direct" and current.source not in sources:
            sources.append(current.source)
        if current is not None and current.target and current.target not in targets:
            targets.append(current.target)
        form.source_attribute.choices = [SelectChoice(name) for name in sources]
        form.target_attribute.choices = [SelectChoice(name) for name in targets]
        problems: list[str] = []
        if form.validate_on_submit():
            row = checked_row(loc, form, rows, row_index, current, problems)
            if row is not None:
                if row_index is None:
                    rows.append(row)
                else:
                    rows[row_index] = row
                keep_draft(loc, rows)
                return redirect(url_for("entra_portal_pages.attribute_mappings", **here(loc)), 303)
        status = 400 if request.method == "POST" else 200
        title = _("Edit Attribute") if current is not None else _("Add Attribute")
        return page("portal/attribute_edit.html", status, sp=loc.sp, section_title=title,
                    mapping_name=mapping_name(loc), here=here(loc), form=form, row_index=row_index,
                    problems=problems)

    def checked_row(loc: Located, form: AttributeMappingForm, rows: list[Row], row_index: int | None,
                    current: Row | None, problems: list[str]) -> Row | None:
        """The row the form describes, or None with the errors put on the form's fields (and in
        ``problems`` those of no one field)."""
        kind = form.mapping_type.data
        text = {"Direct": form.source_attribute.data, "Constant": form.constant_value.data,
                "Expression": (form.expression.data or "").strip()}[kind] or ""
        if kind == "Constant" and text == "":
            form.constant_value.errors.append(_("Enter the constant value."))
        elif kind == "Expression":
            try:
                parse_expression(text)
            except ExpressionError as exc:
                form.expression.errors.append(_("The expression is not valid: %(error)s", error=str(exc)))
        priority = 0
        if form.matching.data == "yes":
            raw = (form.matching_precedence.data or "").strip()
            if not raw.isdigit() or int(raw) < 1 or int(raw) > 1000:
                form.matching_precedence.errors.append(_("Enter a whole number from 1 to 1000."))
            else:
                priority = int(raw)
        if form.source_field().errors or form.matching_precedence.errors:
            return None
        row = Row(kind=kind, source=text, default=form.default_value.data or "", target=form.target_attribute.data,
                  priority=priority, flow=form.flow_type.data, origin=current.origin if current else None)
        candidate = list(rows)
        if row_index is None:
            candidate.append(row)
        else:
            candidate[row_index] = row
        # The schema's own rules for this attribute mapping (unknown attributes, a target mapped twice...).
        prefix = f"attribute mapping {row.target!r}: "
        try:
            found = validate_schema(loc.with_rows(candidate))
        except ExpressionError as exc:  # a row of the draft that no longer parses
            found = [f"{prefix}{exc}"]
        for problem in found:
            if not problem.startswith(prefix):
                continue
            detail = problem[len(prefix):]
            if "source" in detail:
                form.source_field().errors.append(detail)
            elif "target attribute" in detail:
                form.target_attribute.errors.append(detail)
            elif "matching" in detail.lower():
                form.matching_precedence.errors.append(detail)
            else:
                problems.append(detail)
        if form.source_field().errors or form.target_attribute.errors or form.matching_precedence.errors \
                or problems:
            return None
        return row

    @mapping_page("/attributes/new", methods=("GET", "POST"))
    def add_attribute_mapping(loc: Located):
        return edit(loc, None)

    @mapping_page("/attributes/<int:row>", methods=("GET", "POST"))
    def edit_attribute_mapping(loc: Located, row: int):
        return edit(loc, row)

    @mapping_page("/attributes/<int:row>/delete", methods=("GET", "POST"))
    def delete_attribute_mapping(loc: Located, row: int):
        rows = rows_of(loc)
        if not 0 <= row < len(rows):
            return portal_message(_("Not found"), _("The attribute mapping %(id)s does not exist.", id=row), 404)
        form = ConfirmForm()
        if form.validate_on_submit():
            del rows[row]
            keep_draft(loc, rows)
            return redirect(url_for("entra_portal_pages.attribute_mappings", **here(loc)), 303)
        return page("portal/attribute_delete.html", 400 if request.method == "POST" else 200, sp=loc.sp,
                    section_title=_("Delete attribute mapping"), here=here(loc), row=rows[row], form=form,
                    refused=request.method == "POST")
