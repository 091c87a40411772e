"""The ``oauth`` blueprint: our OAuth server for SmartThings and the link page.

Registered by ``create_app``; routes are ``/oauth/authorize``, ``/oauth/token`` and
``/link/...`` (see ``server`` and ``link``).
"""
from __future__ import annotations

from flask import Blueprint

from connector.oauth import link, server

bp = Blueprint("oauth", __name__)
bp.register_blueprint(server.bp)
bp.register_blueprint(link.bp)
