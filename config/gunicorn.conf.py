"""Production gunicorn settings (Procfile ``web``). Every value can be overridden by env.

gthread workers: the webhook spends its time waiting on partner clouds, so threads give
concurrency cheaply, and the fan-out pool lives once per worker process.
"""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# SmartThings gives up after ~10 s; a request still running at 30 s is stuck, not slow.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Heroku's router terminates TLS and sets X-Forwarded-*; trust it.
forwarded_allow_ips = "*"
accesslog = None  # the app logs every request as structured JSON
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
