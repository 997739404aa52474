"""GoToMeeting's OAuth 2.0 endpoints (SPEC §4.2, RFC 6749): the HTTP side of ``OAuthServer``.

- ``GET /oauth/authorize``  the GoTo sign-in page (email, password, Allow / Deny)
- ``POST /oauth/authorize`` the form's submission: 302 to the client with ``code`` or ``error``
- ``POST /oauth/token``     ``authorization_code`` and ``refresh_token`` grants, JSON (RFC 6749 §5)

Errors of the token endpoint are RFC 6749 §5.2 JSON; errors of the authorization endpoint that cannot
be sent to the client (bad client, bad redirect URI, routing 404/405) are an HTML page, never a redirect.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from ..core.errors import LabHTTPError, json_response, oauth_error
from .oauth import AuthorizationRequest, OAuthError

TOKEN_PATH = "/oauth/token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="GoToMeeting"'
_DEFAULT_ERROR = {400: "invalid_request", 401: "invalid_client", 429: "temporarily_unavailable",
                  503: "temporarily_unavailable"}


def _as_lab_error(exc: OAuthError) -> LabHTTPError:
    return LabHTTPError(exc.status, exc.description, exc.error, headers=exc.headers)


def _page(template: str, http_status: int = 200, **context) -> Response:
    resp = Response(render_template(template, **context), status=http_status,
                    content_type="text/html; charset=utf-8")
    resp.headers.update(NO_STORE)
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _redirect_to_client(redirect_uri: str, params: dict[str, str | None]) -> Response:
    """302 to the client's redirect URI, keeping its own query (RFC 6749 §3.1.2); no body, so that the
    code appears only in the ``Location`` header (which the journal redacts)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(status=302, headers={"Location": location, **NO_STORE})


def _error_redirect(auth: AuthorizationRequest, error: str, description: str) -> Response:
    return _redirect_to_client(auth.redirect_uri, {"error": error, "error_description": description,
                                                   "state": auth.state})


def _start(oauth, params: dict[str, list[str]]) -> AuthorizationRequest | Response:
    """The validated request, or the answer to an invalid one (a redirect when RFC 6749 allows it)."""
    try:
        return oauth.start_authorization(params)
    except OAuthError as exc:
        if exc.redirect and exc.request is not None:
            return _error_redirect(exc.request, exc.error, exc.description)
        raise LabHTTPError(400, exc.description, exc.error) from None


def _login_page(auth: AuthorizationRequest, *, error: str | None = None, email: str = "") -> Response:
    return _page("oauth_login.html", auth=auth, error=error, email=email)


def password_sign_in(goto, email: str, password: str, auth: AuthorizationRequest | None = None):
    """The account check of GoTo's sign-in page (the OAuth popup's and the Admin Center's):
    ``(user, None)``, or ``(None, the page's error text)``."""
    if goto.sso.password_sign_in_blocked(email):
        return None, _("Your company requires you to sign in with your company ID (single sign-on).")
    user = goto.oauth.sign_in(auth, email, password)
    if user is None:
        return None, _("Invalid email or password")
    return user, None


def _client_credentials() -> tuple[str | None, str | None, bool]:
    """(client_id, client_secret, whether HTTP Basic was used) per RFC 6749 §2.3.1.

    Simulator choice: a ``client_secret`` in the body together with HTTP Basic, or a body
    ``client_id`` that differs from the Basic one, is ``invalid_request`` (one method per request).
    """
    header = request.headers.get("Authorization")
    body_id = request.form.get("client_id")
    body_secret = request.form.get("client_secret")
    if header is None:
        return body_id, body_secret, False
    scheme, _, value = header.strip().partition(" ")
    challenge = {"WWW-Authenticate": BASIC_CHALLENGE}
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", f"The client authentication scheme '{scheme}' is not supported; "
                         "use HTTP Basic.", 401, headers=challenge)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if ":" not in decoded:
        raise OAuthError("invalid_client", "The HTTP Basic credentials are not base64 of "
                         "'client_id:client_secret'.", 401, headers=challenge)
    raw_id, _, raw_secret = decoded.partition(":")
    client_id, client_secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if body_secret is not None or (body_id is not None and body_id != client_id):
        raise OAuthError("invalid_request", "The client authenticated with both HTTP Basic and the request "
                         "body; use one method.")
    return client_id, client_secret, True


def _token_request(oauth) -> dict:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "The token request must be sent as "
                         "application/x-www-form-urlencoded.")
    repeated = sorted(k for k, values in request.form.lists() if len(values) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"The parameter {repeated[0]} is repeated.")
    client_id, client_secret, basic = _client_credentials()
    if not client_id:
        raise OAuthError("invalid_client", "The request carries no client authentication.", 401,
                         headers={"WWW-Authenticate": BASIC_CHALLENGE})
    try:
        client = oauth.authenticate_client(client_id, client_secret)
    except OAuthError as exc:
        if basic:
            exc.headers = {"WWW-Authenticate": BASIC_CHALLENGE}
        raise
    grant_type = request.form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "The request has no grant_type.")
    if grant_type == "authorization_code":
        grant = oauth.exchange_code(client, request.form.get("code"), request.form.get("redirect_uri"))
    elif grant_type == "refresh_token":
        grant = oauth.refresh(client, request.form.get("refresh_token"), request.form.get("scope"))
    else:
        raise OAuthError("unsupported_grant_type", f"The grant_type '{grant_type}' is not supported; use "
                         "authorization_code or refresh_token.")
    return grant.to_json()


def oauth_blueprint(goto) -> Blueprint:
    oauth = goto.oauth
    bp = Blueprint("gotomeeting_oauth", __name__, url_prefix="/oauth", template_folder="templates")

    @bp.get("/authorize")
    def authorize():
        auth = _start(oauth, request.args.to_dict(flat=False))
        if isinstance(auth, Response):
            return auth
        return _login_page(auth)

    @bp.post("/authorize")
    def authorize_submit():
        auth = _start(oauth, request.form.to_dict(flat=False))
        if isinstance(auth, Response):
            return auth
        if request.form.get("action") == "deny":
            return _error_redirect(auth, "access_denied", "The user denied the authorization request.")
        email = request.form.get("email", "")
        user, error = password_sign_in(goto, email, request.form.get("password", ""), auth)
        if user is None:
            return _login_page(auth, error=error, email=email)
        return _redirect_to_client(auth.redirect_uri, {"code": oauth.issue_code(auth, user),
                                                       "state": auth.state})

    @bp.post("/token")
    def token():
        try:
            payload = _token_request(oauth)
        except OAuthError as exc:
            raise _as_lab_error(exc) from None
        return json_response(payload, headers=NO_STORE)

    return bp


def render_oauth_error(goto):
    """The ``/oauth`` surface's error renderer: RFC 6749 §5.2 JSON under ``/oauth/token``, the GoTo
    HTML error page elsewhere (routing 404/405 included). ``extra["headers"]`` are applied."""

    def render(status: int, message: str, code: str | None, extra: dict) -> Response:
        headers = extra.get("headers") or {}
        if request.path.rstrip("/") == TOKEN_PATH:
            error = code or _DEFAULT_ERROR.get(status) or ("server_error" if status >= 500
                                                           else "invalid_request")
            return oauth_error(status, error, message, headers=headers)
        resp = _page("oauth_error.html", status, status=status, message=message, code=code)
        resp.headers.update(headers)
        return resp

    return render
