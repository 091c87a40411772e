"""The OAuth 2.0 endpoints, appended to the OAuth base URL.

``GET /oauth/authorize`` shows a login and consent form (plain HTML, no JavaScript);
its POST redirects (302) to the redirect_uri with ``code`` and ``state``, or with
``error=access_denied`` when the user declines. Per RFC 6749 §4.1.2.1, an unknown
client or an unacceptable redirect_uri is shown on the page instead of redirecting;
other bad parameters are redirected as ``error``, ``error_description`` and ``state``
(the document's error redirect).

``POST /oauth/access_token`` takes its parameters in the query string (as the document
shows) or in a form body, and answers ``{access_token, refresh_token, token_type,
expires_in}`` or ``{error_description, error}``.
"""
from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, g, jsonify, redirect, request

from .cloud import SCOPE
from .errors import OAuthError

bp = Blueprint("kasa_oauth", __name__)

AUTHORIZE_PARAMS = ("client_id", "response_type", "state", "scope", "redirect_uri")
GRANT_PARAMS = {
    "authorization_code": ("client_id", "grant_type", "code", "redirect_uri", "client_secret"),
    "refresh_token": ("client_id", "grant_type", "refresh_token", "client_secret"),
}


def cloud():
    return current_app.extensions["kasa_sim"]


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect_error(params: dict, error: str, description: str):
    answer = {"error": error, "error_description": description}
    if params.get("state"):
        answer["state"] = params["state"]
    return redirect(_with_query(params["redirect_uri"], answer), 302)


def _check_authorize(params: dict):
    """None if the request may proceed, else the response that ends it."""
    c = cloud()
    if params.get("client_id") != c.client_id:
        return _page("Unknown client", "<p>The application is not registered.</p>", 400)
    if not params.get("redirect_uri") or not c.redirect_allowed(params["redirect_uri"]):
        return _page("Invalid redirect", "<p>The redirect_uri is not registered.</p>", 400)
    missing = [p for p in AUTHORIZE_PARAMS if not params.get(p)]
    if missing:
        return _redirect_error(params, "invalid_request",
                               "Missing parameters: " + ", ".join(missing))
    if params["response_type"] != "code":
        return _redirect_error(params, "unsupported_response_type",
                               "response_type must be code")
    if params["scope"].split() != [SCOPE]:
        return _redirect_error(params, "invalid_scope", f"scope must be {SCOPE}")
    return None


@bp.get("/oauth/authorize")
def authorize_form():
    params = request.args.to_dict()
    return _check_authorize(params) or _login_form(params)


@bp.post("/oauth/authorize")
def authorize_submit():
    params = {p: request.form.get(p, "") for p in AUTHORIZE_PARAMS}
    stop = _check_authorize(params)
    if stop is not None:
        return stop
    if request.form.get("decision") != "allow":
        return _redirect_error(params, "access_denied", "The user denied access")
    c = cloud()
    user = c.authenticate(request.form.get("username", ""), request.form.get("password", ""))
    if user is None:
        return _login_form(params, error="Incorrect email or password.", status=401)
    code = c.new_code(user, params["client_id"], params["redirect_uri"])
    return redirect(_with_query(params["redirect_uri"],
                                {"code": code, "state": params["state"]}), 302)


@bp.post("/oauth/access_token")
def access_token():
    params = {**request.args.to_dict(), **request.form.to_dict()}
    grant_type = params.get("grant_type")
    if grant_type and grant_type not in GRANT_PARAMS:
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    required = GRANT_PARAMS.get(grant_type, ("client_id", "grant_type", "client_secret"))
    missing = [p for p in required if not params.get(p)]
    if missing:
        raise OAuthError("invalid_request", "Missing parameters: " + ", ".join(missing))
    response = jsonify(cloud().token_grant(grant_type, params))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(OAuthError)
def oauth_error(exc: OAuthError):
    g.error_code = exc.error
    response = jsonify({"error_description": exc.description, "error": exc.error})
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


# -- HTML ----------------------------------------------------------------------------

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


def _login_form(params: dict, error: str | None = None, status: int = 200):
    hidden = "\n".join(
        f'  <input type="hidden" name="{name}" value="{escape(params.get(name, ""))}">'
        for name in AUTHORIZE_PARAMS)
    notice = f'<p role="alert">{escape(error)}</p>\n' if error else ""
    body = f"""<p><strong>{escape(cloud().client_name)}</strong> wants to control your Kasa devices
({escape(SCOPE)}).</p>
{notice}<form method="post" action="{escape(request.script_root)}/oauth/authorize">
{hidden}
  <p><label for="username">Email</label>
  <input id="username" name="username" type="text" autocomplete="username" required></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit" name="decision" value="allow">Allow</button>
  <button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p>
</form>"""
    return _page("Sign in to Kasa", body, status)
