"""SmartThings Schema connector for TP-Link Kasa and GE SmartHQ."""
from __future__ import annotations

from typing import Any

from flask import Flask

from connector import logs
from connector.settings import ConfigError, Settings


def create_app(config: Settings | dict[str, Any] | None = None, *, services=None) -> Flask:
    """The Flask app factory.

    ``config`` is a Settings object, a dict of setting overrides (tests), or None to read
    the environment; in that last case the configuration must be able to serve
    production, or the process stops with a message naming every problem.
    """
    from connector import health, webhook
    from connector.oauth import web as oauth_web
    from connector.services import Services

    if config is None:
        settings = Settings.from_env()
        problems = settings.production_problems()
        if problems:
            raise ConfigError(problems)
    elif isinstance(config, dict):
        settings = Settings.from_env({}, **config)
    else:
        settings = config
    logs.configure(settings.log_level)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["connector"] = services or Services.build(settings)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(oauth_web.bp)
    return app
