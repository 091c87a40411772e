"""The gunicorn target: ``gunicorn connector.wsgi:app``."""
from connector import create_app

app = create_app()
