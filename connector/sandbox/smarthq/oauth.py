"""The identity server (smarthq-api.md §1), appended to the OAuth base URL.

``GET /oauth2/auth`` checks the request, then shows a sign-in and consent page (plain
HTML, no JavaScript) whose form posts to ``/oauth2/code``: Allow redirects (302) to
``redirect_uri?code=..&state=..&expires_in=600``, Deny to
``redirect_uri?error=invalid_request&error_description=User+did+not+authorize+access.``
(we also echo ``state``, as RFC 6749 asks). Bad requests are answered as the document
shows, with JSON and no redirect. ``GET /oauth2/register`` is the same page with an
account-creation form; ``GET /oauth2/applogout`` signs out (we keep no session) and
redirects back with ``logout=success``.

``POST /oauth2/token`` takes a form body; client credentials as form fields or HTTP
Basic (gehomesdk sends Basic).
"""
from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, g, jsonify, redirect, request, url_for

from .errors import OAuthError, SimError

bp = Blueprint("smarthq_oauth", __name__)

AUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "access_type", "state")
GRANT_PARAMS = {
    "authorization_code": ("code", "redirect_uri", "client_id", "client_secret"),
    "refresh_token": ("refresh_token", "client_id", "client_secret"),
}
DENIED = "User did not authorize access."


def cloud():
    return current_app.extensions["smarthq_sim"]


def with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _missing(name: str) -> OAuthError:
    """The document's shape for a missing authorization parameter."""
    return OAuthError(f"No {name} parameter",
                      f"Error: invalid_request. Missing {name} parameter value")


def check_auth_request(params: dict[str, str]) -> None:
    """Raise the answer to a bad authorization request (the page is never shown)."""
    c = cloud()
    if not params.get("response_type"):
        raise _missing("response_type")
    if params["response_type"] != "code":
        raise OAuthError("Invalid response_type parameter",
                         "Error: unsupported_response_type. Invalid response_type parameter value")
    if not params.get("client_id"):
        raise _missing("client_id")
    if params["client_id"] != c.client_id:
        raise OAuthError("Invalid client_id", "Error: invalid_client. Invalid client_id", 401)
    if not params.get("redirect_uri"):
        raise _missing("redirect_uri")
    if not c.redirect_allowed(params["redirect_uri"]):
        raise OAuthError("invalid_request", f"Invalid redirection uri {params['redirect_uri']}")
    if params.get("access_type", "offline") not in ("offline", "online"):
        raise OAuthError("Invalid access_type parameter",
                         "Error: invalid_request. Invalid access_type parameter value")


def _params(source) -> dict[str, str]:
    return {p: source.get(p, "") for p in AUTH_PARAMS}


@bp.get("/oauth2/auth")
def auth_page():
    params = _params(request.args)
    check_auth_request(params)
    return _sign_in_page(params)


@bp.get("/oauth2/register")
def register_page():
    params = _params(request.args)
    check_auth_request(params)
    return _sign_in_page(params, register=True)


@bp.post("/oauth2/code")
def decide():
    params = _params(request.form)
    check_auth_request(params)
    state = {"state": params["state"]} if params["state"] else {}
    if request.form.get("authorized") != "yes":
        return redirect(with_query(params["redirect_uri"], {
            "error": "invalid_request", "error_description": DENIED, **state}), 302)
    c = cloud()
    username, password = request.form.get("username", ""), request.form.get("password", "")
    if request.form.get("register") == "yes":
        if not username or not password:
            return _sign_in_page(params, register=True, status=400,
                                 error="Enter an email and a password.")
        try:
            user = c.create_user(username, password)
        except SimError:
            return _sign_in_page(params, register=True, status=409,
                                 error="An account with this email exists.")
    else:
        user = c.authenticate(username, password)
        if user is None:
            return _sign_in_page(params, status=401, error="Incorrect email or password.")
    offline = params.get("access_type", "offline") != "online"
    code = c.new_code(user, params["client_id"], params["redirect_uri"], offline)
    return redirect(with_query(params["redirect_uri"], {
        "code": code, **state, "expires_in": str(int(c.code_ttl))}), 302)


@bp.get("/oauth2/applogout")
def app_logout():
    target = request.args.get("redirect_uri")
    if target and cloud().redirect_allowed(target):
        extra = {"state": request.args["state"]} if request.args.get("state") else {}
        return redirect(with_query(target, {"logout": "success", **extra}), 302)
    return _page("Signed out", "<p>You are signed out of SmartHQ.</p>")


@bp.post("/oauth2/token")
def token():
    form = request.form.to_dict()
    if request.authorization and request.authorization.type == "basic":
        form.setdefault("client_id", request.authorization.username or "")
        form.setdefault("client_secret", request.authorization.password or "")
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Missing grant_type parameter value")
    if grant_type not in GRANT_PARAMS:
        raise OAuthError("invalid_request", "Invalid grant_type parameter value")
    missing = [p for p in GRANT_PARAMS[grant_type] if not form.get(p)]
    if missing:
        raise OAuthError("invalid_request", "Missing parameters: " + ", ".join(missing))
    response = jsonify(cloud().token_grant(grant_type, form))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(OAuthError)
def oauth_error(exc: OAuthError):
    g.reason = exc.description
    response = jsonify(exc.body())
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


# -- HTML ---------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def _page(title: str, body: str, status: int = 200):
    return _PAGE.format(title=escape(title), body=body), status, {
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _sign_in_page(params: dict, *, register: bool = False, error: str | None = None,
                  status: int = 200):
    hidden = "\n".join(f'  <input type="hidden" name="{n}" value="{escape(params.get(n, ""))}">'
                       for n in AUTH_PARAMS)
    if register:
        hidden += '\n  <input type="hidden" name="register" value="yes">'
    notice = f'<p role="alert">{escape(error)}</p>\n' if error else ""
    action = escape(url_for("smarthq_oauth.decide"))
    body = f"""<p><strong>{escape(cloud().client_name)}</strong> would like to read and control
your SmartHQ appliances.</p>
{notice}<form method="post" action="{action}">
{hidden}
  <p><label for="username">Email</label>
  <input id="username" name="username" type="email" autocomplete="username" required></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="{'new' if register else 'current'}-password" required></p>
  <p><button type="submit" name="authorized" value="yes">Allow</button>
  <button type="submit" name="authorized" value="no" formnovalidate>Deny</button></p>
</form>"""
    return _page("Create your SmartHQ account" if register else "Sign in to SmartHQ", body, status)
