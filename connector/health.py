"""Liveness and readiness probes for the router and the platform."""
from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The process can do real work: its Redis answers."""
    try:
        current_app.extensions["connector"].redis.ping()
    except (redis.RedisError, OSError):
        return jsonify(status="unavailable", redis="unreachable"), 503
    return jsonify(status="ok", redis="ok")
