"""Rendering the link pages: templates plus the headers every such page needs.

The pages carry CSRF tokens and an Allow button, so they are never cached, never
framed (clickjacking), never leak their URL as a referrer, and run no script at all:
the only inline content is the stylesheet, allowed by a per-response nonce.
"""
from __future__ import annotations

import secrets

from flask import make_response, render_template


def render(template: str, status: int = 200, **context):
    nonce = secrets.token_urlsafe(16)
    response = make_response(render_template(template, style_nonce=nonce, **context), status)
    return secure(response, nonce)


def message(title: str, text: str, status: int = 400):
    """A page that only explains something (an expired session, a refused request)."""
    return render("link_message.html", status, title=title, text=text)


def secure(response, nonce: str | None = None):
    style = f"'nonce-{nonce}'" if nonce else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style}; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
