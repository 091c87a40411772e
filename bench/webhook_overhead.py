"""Benchmark: the webhook's own overhead under gunicorn with the production config.

Starts ``gunicorn connector.wsgi:app -c config/gunicorn.conf.py`` (the Procfile's web
line) against the local Redis, provisions an account, and drives POST /st-schema with
a valid discovery and with requests that are rejected (bad JSON, unknown token,
unknown interaction type). No partner is linked, so what is measured is our own
parsing, authentication, validation and response building.

    python bench/webhook_overhead.py [--duration 10] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import loadgen  # noqa: E402
from connector import stclient  # noqa: E402
from connector.store import Vault  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "PORT": str(port), "REDIS_URL": args.redis_url,
           "CONNECTOR_SECRET_KEY": Vault.generate_key(), "ST_CLIENT_ID": "bench", "ST_CLIENT_SECRET": "bench",
           "OAUTH_CLIENT_ID": "bench", "OAUTH_CLIENT_SECRET": "bench", "KASA_API_KEY": "bench",
           "KASA_CLIENT_ID": "bench", "KASA_CLIENT_SECRET": "bench", "LOG_LEVEL": "WARNING"}
    created = json.loads(subprocess.run([sys.executable, "-m", "connector.cli", "accounts", "create"],
                                        env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    token = created["access_token"]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "connector.wsgi:app", "-c",
                               "config/gunicorn.conf.py"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/st-schema"
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
        cases = {
            "valid discoveryRequest": stclient.discovery(token),
            "rejected: not JSON": b"{not json",
            "rejected: unknown token": stclient.discovery("not-a-token"),
            "rejected: unknown interactionType": stclient.envelope("fooRequest", token),
        }
        cpu = os.cpu_count()
        print(f"webhook overhead: gunicorn gthread (config/gunicorn.conf.py: WEB_CONCURRENCY="
              f"{os.environ.get('WEB_CONCURRENCY', '2')}, threads={os.environ.get('GUNICORN_THREADS', '8')}), "
              f"{args.concurrency} client processes x {args.duration:.0f} s, {cpu} CPUs shared with the client")
        print(f"{'case':36} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}  statuses")
        for name, payload in cases.items():
            loadgen.run(url, payload, concurrency=args.concurrency, duration=1.0)  # warm up
            r = loadgen.run(url, payload, concurrency=args.concurrency, duration=args.duration)
            print(f"{name:36} {r['rps']:8.0f} {r['p50_ms']:8.2f} {r['p90_ms']:8.2f} {r['p99_ms']:8.2f}  {r['statuses']}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        subprocess.run([sys.executable, "-c", f"import redis; redis.Redis.from_url('{args.redis_url}').flushdb()"])


def wait_ready(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not become ready")


if __name__ == "__main__":
    main()
