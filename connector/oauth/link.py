"""The link page: where a SmartThings user connects Kasa and SmartHQ and allows access.

    GET  /link                       the page (needs a linking session)
    POST /link/<partner>/start       sign in to the partner (CSRF-checked)
    GET  /link/<partner>/callback    the partner's redirect back (state-checked)
    POST /link/allow                 settle the account, redirect to SmartThings with a code
    POST /link/cancel                redirect to SmartThings with access_denied

Every form carries the session's CSRF token; every partner sign-in carries a
``state`` that only this browser's session knows. Nothing reaches the account store
before Allow.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request

from connector import logs
from connector.backends.base import PartnerError
from connector.oauth import linking, pages, server
from connector.oauth.partners import PARTNERS, configured
from connector.oauth.session import COOKIE, LinkSession, LinkSessions
from connector.oauth.urls import external_url, is_secure

bp = Blueprint("link", __name__)
log = logs.get_logger(__name__)


def services():
    return current_app.extensions["connector"]


def sessions() -> LinkSessions:
    ext = current_app.extensions
    if "connector_link_sessions" not in ext:
        svc = services()
        ext["connector_link_sessions"] = LinkSessions(svc.redis, svc.accounts.vault,
                                                      svc.settings.secret_key)
    return ext["connector_link_sessions"]


def current() -> LinkSession | None:
    return sessions().load(request.cookies.get(COOKIE))


def _to_page():
    return redirect(request.script_root + "/link", 303)


def _cookie_path() -> str:
    return (request.script_root or "") + "/"


def begin(authorize: dict):
    """Start linking for a validated authorize request (called by /oauth/authorize)."""
    previous = current()
    if previous is not None:
        sessions().end(previous)  # a new request from SmartThings starts afresh
    session = sessions().start(authorize)
    response = _to_page()
    response.set_cookie(COOKIE, sessions().cookie(session), max_age=sessions().ttl,
                        path=_cookie_path(), secure=is_secure(), httponly=True,
                        samesite="Lax")  # Lax: partner redirects back are top-level GETs
    return pages.secure(response)


def _finish(response):
    response.delete_cookie(COOKIE, path=_cookie_path(), secure=is_secure(), httponly=True,
                           samesite="Lax")
    return pages.secure(response)


def _expired():
    return pages.message("Start again from SmartThings",
                         "This page belongs to a sign-in that has ended or expired. Open the "
                         "SmartThings app and add the service again.", status=400)


def _posted() -> tuple[LinkSession | None, object]:
    """The session of a form post, or the response refusing it (no session, bad CSRF)."""
    session = current()
    if session is None:
        return None, _expired()
    if not session.csrf_ok(request.form.get("csrf_token")):
        log.warning("link form refused: CSRF token missing or wrong")
        return None, pages.message("This form has expired",
                                   "Go back, reload the page and try again.", status=403)
    return session, None


def _partner(name: str):
    partner = PARTNERS.get(name)
    return partner if partner and partner.configured(services().settings) else None


def _callback_url(name: str) -> str:
    return external_url(f"/link/{name}/callback")


@bp.get("/link")
def page():
    session = current()
    if session is None:
        return _expired()
    notice = session.take_notice()
    if notice:
        sessions().save(session)
    return pages.render("link.html", partners=_partner_rows(session), notice=notice,
                        csrf_token=session.csrf, can_allow=bool(session.links()))


def _partner_rows(session: LinkSession) -> list[dict]:
    accounts = services().accounts
    fresh = {link.backend: link for link in session.links()}
    known = linking.existing_account(accounts, list(fresh.values()))
    earlier = {link.backend: link for link in accounts.links(known)} if known else {}
    rows = []
    for partner in configured(services().settings):
        if partner.name in fresh:
            status = "connected"
        elif partner.name in earlier:
            status = "relink" if earlier[partner.name].needs_relink else "earlier"
        else:
            status = "none"
        rows.append({"name": partner.name, "label": partner.label, "status": status})
    return rows


@bp.post("/link/<name>/start")
def start(name):
    session, refusal = _posted()
    if refusal:
        return refusal
    partner = _partner(name)
    if partner is None:
        return pages.message("Unknown service", "That service cannot be connected here.", 404)
    state = session.begin_partner(name)
    sessions().save(session)
    url = partner.oauth(services().settings).authorize_url(_callback_url(name), state)
    return pages.secure(redirect(url, 303))


@bp.get("/link/<name>/callback")
def callback(name):
    session = current()
    if session is None:
        return _expired()
    partner = _partner(name)
    if partner is None:
        return pages.message("Unknown service", "That service cannot be connected here.", 404)
    if not session.finish_partner(name, request.args.get("state")):
        log.warning("partner callback refused: state does not match", partner=name)
        return pages.message("Sign-in could not be verified",
                             f"The answer from {partner.label} does not belong to this "
                             "sign-in. Go back to the link page and connect again.", 400)
    code = request.args.get("code")
    if request.args.get("error") or not code:
        session.flash(f"{partner.label} was not connected: the sign-in was cancelled.")
    else:
        session.flash(_connect(session, partner, code))
    sessions().save(session)
    return pages.secure(_to_page())


def _connect(session: LinkSession, partner, code: str) -> str:
    settings = services().settings
    try:
        token = partner.oauth(settings).exchange_code(code, _callback_url(partner.name))
        account_id = partner.account_id(settings, token.access_token)
    except PartnerError as exc:
        log.warning("partner sign-in failed", partner=partner.name, error=exc.detail)
        return f"{partner.label} could not be connected. Please try again."
    session.add_link(partner.link(token, account_id))
    log.info("partner signed in", partner=partner.name)
    return f"{partner.label} is connected."


@bp.post("/link/allow")
def allow():
    session, refusal = _posted()
    if refusal:
        return refusal
    links = session.links()
    if not links:
        session.flash("Connect at least one account before allowing access.")
        sessions().save(session)
        return pages.secure(_to_page())
    account_id = linking.settle(services().accounts, links)
    sessions().end(session)
    log.info("SmartThings allowed", account=account_id, partners=[link.backend for link in links])
    return _finish(server.decide(session.authorize, account_id))


@bp.post("/link/cancel")
def cancel():
    session, refusal = _posted()
    if refusal:
        return refusal
    sessions().end(session)
    return _finish(server.decide(session.authorize, None))
