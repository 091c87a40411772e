"""Benchmark: Kasa interactions end to end under gunicorn with the production config.

A simulated Kasa cloud (in this process, on 127.0.0.1) answers every request after an
injected latency (default 100 ms), for an account of 50 devices: 10 each of HS100
plugs, KP115 metering plugs (two Kasa calls per refresh: info + real-time energy),
HS220 dimmers, KL120 tunable bulbs and KL130 colour bulbs. The connector runs as the
Procfile's ``web`` line and is driven one request at a time, as SmartThings would for
one user, to measure latency rather than throughput.

    python bench/kasa_latency.py [--latency 0.1] [--requests 20]

CPU time per device state is the gunicorn workers' user+system CPU (from /proc) spent
on a run of 50-device refreshes, divided by the device states they returned.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.webhook_overhead import free_port, wait_ready  # noqa: E402
from connector import stclient  # noqa: E402
from connector.sandbox.kasa import KasaCloud, SimulatedKasa  # noqa: E402
from connector.store import Vault  # noqa: E402

MODELS = ("KP115", "HS100", "HS220", "KL120", "KL130")  # the first is the 1-device case


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def timed(session, url, payload, count) -> tuple[list[float], dict]:
    latencies, body = [], None
    for _ in range(count):
        started = time.perf_counter()
        resp = session.post(url, json=payload, timeout=15)
        latencies.append((time.perf_counter() - started) * 1000)
        body = resp.json()
        assert resp.status_code == 200 and "globalError" not in body, body
    return latencies, body


def row(name, latencies, extra=""):
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    print(f"{name:34} {statistics.median(ordered):9.1f} {p99:9.1f} {max(ordered):9.1f}  {extra}")
    return statistics.median(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="simulated Kasa latency, seconds")
    parser.add_argument("--requests", type=int, default=20, help="requests per case")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    cloud = KasaCloud()
    user = cloud.create_user("bench@example.com", "pw", devices=[])
    for index in range(50):
        cloud.add_device(user, MODELS[index % len(MODELS)], state={"powered": True})
    kasa = SimulatedKasa(cloud).start()
    access, refresh, _ = cloud.issue_tokens(user)
    cloud.set_latency(args.latency)

    port = free_port()
    env = {**os.environ, "PORT": str(port), "REDIS_URL": args.redis_url,
           "CONNECTOR_SECRET_KEY": Vault.generate_key(), "ST_CLIENT_ID": "bench", "ST_CLIENT_SECRET": "bench",
           "OAUTH_CLIENT_ID": "bench", "OAUTH_CLIENT_SECRET": "bench", "KASA_API_URL": kasa.url,
           "KASA_OAUTH_URL": kasa.oauth_url, "KASA_API_KEY": cloud.api_key, "KASA_CLIENT_ID": cloud.client_id,
           "KASA_CLIENT_SECRET": cloud.client_secret, "LOG_LEVEL": "WARNING"}
    created = json.loads(subprocess.run(
        [sys.executable, "-m", "connector.cli", "accounts", "create", "--kasa-access-token", access,
         "--kasa-refresh-token", refresh], env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    token = created["access_token"]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "connector.wsgi:app", "-c",
                               "config/gunicorn.conf.py"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/st-schema"
    session = requests.Session()
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
        ids = [d["externalDeviceId"] for d in session.post(url, json=stclient.discovery(token)).json()["devices"]]
        for _ in range(3):  # warm both workers' connection pools
            session.post(url, json=stclient.state_refresh(token, ids))

        print(f"Kasa end to end: gunicorn (config/gunicorn.conf.py), simulated Kasa latency "
              f"{args.latency * 1000:.0f} ms per call, {args.requests} sequential requests per case")
        print(f"{'case':34} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
        medians = {}
        for count in (1, 10, 50):
            latencies, _ = timed(session, url, stclient.state_refresh(token, ids[:count]), args.requests)
            medians[count] = row(f"stateRefresh, {count} device(s)", latencies)
        latencies, body = timed(session, url, stclient.discovery(token), args.requests)
        row("discovery (50 devices)", latencies)
        command = stclient.command(token, ids[4], [stclient.parse_command("switchLevel.setLevel:40"),
                                                   stclient.parse_command('colorControl.setColor:{"hue": 30, "saturation": 80}'),
                                                   stclient.parse_command("switch.on")])
        latencies, _ = timed(session, url, command, args.requests)
        row("command (level+colour+on, 1 bulb)", latencies)
        print(f"50 devices / 1 device (p50): {medians[50] / medians[1]:.2f}x")

        workers = worker_pids(server.pid)
        before = cpu_seconds(workers)
        states = 0
        for _ in range(args.requests):
            body = session.post(url, json=stclient.state_refresh(token, ids)).json()
            states += sum(len(d.get("states", [])) for d in body["deviceState"])
        spent = cpu_seconds(workers) - before
        print(f"connector CPU per device state: {spent / states * 1e6:.0f} µs "
              f"({spent:.2f} s CPU for {states} states in {args.requests} 50-device refreshes)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        kasa.stop()
        subprocess.run([sys.executable, "-c", f"import redis; redis.Redis.from_url('{args.redis_url}').flushdb()"])


if __name__ == "__main__":
    main()
