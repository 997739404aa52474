"""What every page of the lab shares (the Entra admin center, the GoTo Admin Center, the sign-in pages):
the language, the message catalogues, the forms' CSRF protection and the page responses.

- **Language**: English or German. A ``lang`` parameter chooses it and is remembered in a cookie; else
  the cookie; else the browser's Accept-Language; else English. Texts come from the gettext catalogues
  under ``simulator/translations/<catalogue>/<locale>/LC_MESSAGES/messages.po`` (English msgids; German
  translations), compiled to ``.mo`` by ``make translations`` (Flask-Babel merges every catalogue).
- **Forms**: ``PageForm``, a Flask-WTF ``FlaskForm`` (validation errors per field) whose CSRF token is
  the HMAC of the session's CSRF secret: bound to the session, drawn from the seed, with no wall-clock
  timestamp in it. The session is a signed cookie of the server's own name (the two servers on one host
  keep separate sessions), timestamped by the lab's clock, so that one seed gives the same pages.
- **Responses**: ``no-store`` and ``X-Frame-Options: DENY`` (a popup, never a frame).
- **Static files** (``static_files``): the stylesheet and scripts of a blueprint are cached by the
  browser for a day, under URLs that carry a hash of the file (``?v=``), so a page loads them once and a
  changed file is a new URL.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import hashlib
import hmac

from flask import Blueprint, Flask, Response, current_app, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, get_locale
from flask_wtf import FlaskForm
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from jinja2 import ChoiceLoader, FileSystemLoader
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

LANGUAGES = ("en", "de")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
LANG_COOKIE = "lab_lang"
#: The seeded stream the sessions' CSRF secrets are drawn from (``app.extensions``).
CSRF_STREAM = "pages.csrf-stream"
#: Seconds a browser keeps a page's stylesheet and scripts (their URLs change with their content).
STATIC_MAX_AGE = 86_400
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def catalogue_directories() -> list[str]:
    return [str(p) for p in sorted(TRANSLATIONS.iterdir()) if p.is_dir() and not p.name.startswith("_")] \
        if TRANSLATIONS.is_dir() else []


def chosen_language() -> str:
    """The request's language: ``lang`` (or the sign-in pages' ``mkt``), the cookie, Accept-Language."""
    for source in (request.args.get("lang"), request.args.get("mkt"), request.form.get("lang")
                   if request.method == "POST" else None, request.cookies.get(LANG_COOKIE)):
        if source:
            return "de" if source.lower().startswith("de") else "en"
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def language() -> str:
    return str(get_locale() or "en")


def switch_language_url(lang: str) -> str:
    """The current page in another language (the switch on every page)."""
    args = {k: v for k, v in request.args.items() if k not in ("lang", "mkt")}
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


class _LabClockSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, timestamped (and aged) by the lab's clock, not the wall clock."""

    def __init__(self, clock):
        class LabClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._signer = LabClockSigner
        #: one serializer per secret key: Flask asks for it on every request (API calls included), and
        #: making one costs more than most API answers (a class, a key derivation, a test serialization)
        self._serializers: dict = {}

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        found = self._serializers.get(app.secret_key)
        if found is None:
            found = self._serializers[app.secret_key] = URLSafeTimedSerializer(
                app.secret_key, salt=self.salt, serializer=self.serializer, signer=self._signer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method})
        return found


def _csrf_token() -> str:
    if not session.get("csrf_token"):  # the session's first form: its secret, drawn from the seed
        session["csrf_token"] = current_app.extensions[CSRF_STREAM].hex(20)
    secret = session["csrf_token"]
    key = current_app.secret_key if isinstance(current_app.secret_key, bytes) else str(current_app.secret_key).encode()
    return hmac.new(key, f"wtf-csrf-token\0{secret}".encode(), hashlib.sha256).hexdigest()


class _SessionBoundCSRF(CSRF):
    """The form's token: the HMAC of the session's CSRF secret, which the session's first form draws from
    the seed (a session without one gets a new secret, so an old token does not match it)."""

    def generate_csrf_token(self, csrf_token_field) -> str:
        return _csrf_token()

    def validate_csrf_token(self, form, field) -> None:
        if not isinstance(field.data, str) or not hmac.compare_digest(field.data, _csrf_token()):
            raise ValidationError("The CSRF token is missing or does not match this session.")


class PageForm(FlaskForm):
    """Every form of the lab's pages."""

    class Meta(FlaskForm.Meta):
        csrf_class = _SessionBoundCSRF


def install_pages(app: Flask, *, name: str, rand, clock) -> None:
    """Set up the pages of one lab server: catalogues, language, session cookie and CSRF."""
    stream = rand.stream(f"{name}.pages.secret")
    app.config.update(
        SECRET_KEY=stream.bytes(32),
        SESSION_COOKIE_NAME=f"{name}_pages",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE="en",
    )
    app.session_interface = _LabClockSessions(clock)
    shared = FileSystemLoader(str(Path(__file__).resolve().parent / "templates"))  # pages/macros.html
    app.jinja_loader = ChoiceLoader([app.jinja_loader, shared]) if app.jinja_loader else shared
    Babel(app, locale_selector=chosen_language, default_translation_directories=";".join(catalogue_directories()))
    app.extensions[CSRF_STREAM] = rand.stream(f"{name}.pages.csrf")

    @app.after_request
    def _remember_language(resp: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen and resp.mimetype == "text/html":
            resp.set_cookie(LANG_COOKIE, "de" if chosen.lower().startswith("de") else "en", samesite="Lax",
                            path="/")
        return resp

    app.jinja_env.globals.update(languages=LANGUAGES, language_names=LANGUAGE_NAMES,
                                 switch_language_url=switch_language_url, current_language=language)


def static_files(bp: Blueprint) -> Blueprint:
    """Make the blueprint's static files cacheable: ``url_for`` adds the file's content hash as ``v``,
    and the files are served with ``max-age`` of ``STATIC_MAX_AGE``."""
    versions: dict[str, str] = {}

    def version(filename: str) -> str:
        if filename not in versions:
            data = (Path(bp.static_folder) / filename).read_bytes()
            versions[filename] = hashlib.sha256(data).hexdigest()[:12]
        return versions[filename]

    @bp.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == f"{bp.name}.static" and "filename" in values:
            values.setdefault("v", version(values["filename"]))

    bp.get_send_file_max_age = lambda filename: STATIC_MAX_AGE
    return bp


def page(template: str, status: int = 200, **context) -> Response:
    resp = Response(render_template(template, **context), status=status, content_type="text/html; charset=utf-8")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Language"] = language()
    return resp
