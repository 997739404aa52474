"""The Admin Center's forms (Flask-WTF: CSRF token, validation errors per field).

The forms only carry what the page sends; GoTo's rules (what a sign-in URL or a certificate must be)
live in the model (``simulator.gotomeeting.sso.model``), whose errors the views put next to the field.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice, SelectField, \
    StringField, TextAreaField
from wtforms.validators import InputRequired

from ...core.pages import PageForm

#: The role filter's values: GoTo's roles (``AccountUser.role``).
ROLE_CHOICES = ("superAdmin", "admin", "manager", "member")
STATUS_CHOICES = ("active", "suspended")


def role_labels() -> dict[str, str]:
    """GoTo's roles as the Admin Center names them. A ``member`` holds an organizer seat and is named
    Organizer, as Entra's app role is."""
    return {"superAdmin": _l("Super admin"), "admin": _l("Team admin"), "manager": _l("Manager"),
            "member": _l("Organizer")}


def status_labels() -> dict[str, str]:
    return {"active": _l("Active"), "suspended": _l("Suspended")}


def choices(everything, labels: dict[str, str]) -> list[SelectChoice]:
    """A filter's options: ``everything`` (no filter), then each value with its label."""
    return [SelectChoice("", everything), *(SelectChoice(value, label) for value, label in labels.items())]


class SignInForm(PageForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    next = HiddenField()


class ButtonForm(PageForm):
    """A form that is only a button (sign out, remove a certificate): its CSRF token."""


class UserFilterForm(PageForm):
    """The users list's filters (a GET form: it changes nothing, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"))
    role = SelectField(_l("Role"), default="")
    status = SelectField(_l("Status"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(_l("All roles"), role_labels())
        self.status.choices = choices(_l("All statuses"), status_labels())


class IdentityProviderForm(PageForm):
    """GoTo's Identity Provider settings: manual (sign-in page URL, sign-out page URL, entity ID,
    verification certificate) or automatic (metadata URL)."""

    mode = RadioField(_l("Configuration"), default="none", choices=[
        SelectChoice("none", _l("No identity provider")), SelectChoice("manual", _l("Manual")),
        SelectChoice("automatic", _l("Automatic (metadata URL)"))])
    sign_in_url = StringField(_l("Sign-in page URL"))
    sign_out_url = StringField(_l("Sign-out page URL"))
    entity_id = StringField(_l("Identity provider entity ID"))
    certificate_file = FileField(_l("Verification certificate (file)"))
    certificate_text = TextAreaField(_l("Verification certificate (paste PEM)"))
    metadata_url = StringField(_l("Metadata URL"))
    sso_required = BooleanField(_l("Require single sign-on for the account's verified domains"))
