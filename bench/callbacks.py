"""Benchmark: the outbound path — publish → Redis → RQ worker → stateCallback.

Part 1, throughput: a publisher thread queues device-state updates (500 devices, a
switch and a level each, values changing every update) as fast as it can while one
in-process RQ worker delivers them to the simulated SmartThings receiver over HTTP.
Prints updates per second delivered and HTTP callbacks per 1,000 updates (batching
and coalescing at work).

Part 2, latency: the Procfile's ``worker`` and ``clock`` run as real processes against
Redis; a plug is switched in the simulated Kasa cloud at a random moment and the time
until the simulated SmartThings receiver holds the new state is measured.

    python bench/callbacks.py [--updates 20000] [--samples 20] [--poll-seconds 2]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from connector.accounts import PartnerLink  # noqa: E402
from connector.callbacks import queues  # noqa: E402
from connector.callbacks.publish import publish  # noqa: E402
from connector.callbacks.worker import SimpleCallbackWorker  # noqa: E402
from connector.model import DeviceResult, State  # noqa: E402
from connector.sandbox.kasa import KasaCloud, SimulatedKasa  # noqa: E402
from connector.sandbox.smartthings import SimulatedSmartThings  # noqa: E402
from connector.services import Services  # noqa: E402
from connector.settings import Settings  # noqa: E402
from connector.store import Vault  # noqa: E402

ST_ID, ST_SECRET = "bench-st-client", "bench-st-secret"


def build(redis_url: str, **overrides) -> Services:
    overrides.setdefault("secret_key", Vault.generate_key())
    settings = Settings.from_env({}, redis_url=redis_url,
                                 st_client_id=ST_ID, st_client_secret=ST_SECRET, log_level="WARNING",
                                 callback_allowed_hosts=("127.0.0.1",), **overrides)
    services = Services.build(settings)
    services.redis.flushdb()
    queues.install(services)
    return services


def worker(services) -> SimpleCallbackWorker:
    return SimpleCallbackWorker([queues.queue(services, n) for n in queues.QUEUES],
                                connection=queues.connection(services))


def installation(services, st, links=()) -> tuple[str, str]:
    account_id = services.accounts.create(list(links))
    tokens = services.accounts.issue_tokens(account_id)
    from connector import create_app  # the webhook handles the grant, as in production

    app = create_app(services.settings, services=services)
    app.test_client().post("/st-schema", json=st.grant_callback_access(tokens.access_token))
    worker(services).work(burst=True, with_scheduler=True, logging_level="WARNING")
    assert services.accounts.callback_tokens(tokens.installation_id), "token exchange failed"
    return account_id, tokens.installation_id


def throughput(redis_url: str, updates: int) -> None:
    services = build(redis_url)
    with SimulatedSmartThings(ST_ID, ST_SECRET) as st:
        account_id, _ = installation(services, st)
        st.cloud.clear_records()
        devices = [f"bench:{i}" for i in range(500)]
        done = threading.Event()
        last = {}

        def publisher():
            for n in range(updates // 2):
                device = devices[n % len(devices)]
                on = "on" if n % 2 else "off"
                last[device] = (on, n % 101)
                publish(services, account_id, [DeviceResult(device, [
                    State("st.switch", "switch", on), State("st.switchLevel", "level", n % 101, unit="%")])])
            done.set()

        started = time.perf_counter()
        thread = threading.Thread(target=publisher)
        thread.start()
        w = worker(services)
        while True:
            w.work(burst=True, with_scheduler=True, logging_level="WARNING")
            if done.is_set() and all(
                    (st.cloud.latest_state(d, "st.switch", "switch") or _Missing).value == v[0]
                    and st.cloud.latest_state(d, "st.switchLevel", "level").value == v[1]
                    for d, v in last.items()):
                break
        elapsed = time.perf_counter() - started
        thread.join()
        calls = len(st.cloud.deliveries("stateCallback"))
        print(f"throughput: {updates} updates ({len(devices)} devices x switch+level) published while one worker delivers")
        print(f"  {updates / elapsed:,.0f} updates/s end to end ({elapsed:.2f} s until SmartThings held every latest value)")
        print(f"  {calls} stateCallback requests = {calls / updates * 1000:.1f} HTTP callbacks per 1,000 updates")


class _Missing:
    value = object()


def latency(redis_url: str, samples: int, poll_seconds: float) -> None:
    cloud = KasaCloud()
    user = cloud.create_user("bench@example.com", "pw")
    with SimulatedKasa(cloud) as kasa, SimulatedSmartThings(ST_ID, ST_SECRET) as st:
        access, refresh, expires_in = cloud.issue_tokens(user)
        env = {**os.environ, "REDIS_URL": redis_url, "CONNECTOR_SECRET_KEY": Vault.generate_key(),
               "ST_CLIENT_ID": ST_ID, "ST_CLIENT_SECRET": ST_SECRET, "KASA_API_URL": kasa.url,
               "KASA_OAUTH_URL": kasa.oauth_url, "KASA_API_KEY": cloud.api_key,
               "KASA_CLIENT_ID": cloud.client_id, "KASA_CLIENT_SECRET": cloud.client_secret,
               "KASA_POLL_SECONDS": str(poll_seconds), "CALLBACK_ALLOWED_HOSTS": "127.0.0.1",
               "LOG_LEVEL": "WARNING"}
        services = build(redis_url, kasa_poll_seconds=poll_seconds, secret_key=env["CONNECTOR_SECRET_KEY"],
                         kasa_api_url=kasa.url, kasa_oauth_url=kasa.oauth_url, kasa_api_key=cloud.api_key,
                         kasa_client_id=cloud.client_id, kasa_client_secret=cloud.client_secret)
        link = PartnerLink("kasa", access, refresh, time.time() + expires_in, user.account_id)
        installation(services, st, [link])
        plug = next(d for d in user.devices.values() if d.spec.model.startswith("HS100"))
        exe = str(Path(sys.executable).with_name("connector"))
        procs = [subprocess.Popen([exe, name], env=env, cwd=ROOT) for name in ("worker", "clock")]
        try:
            time.sleep(poll_seconds * 2.5)  # first reading (baseline) taken
            results = []
            for i in range(samples):
                time.sleep(random.uniform(0, poll_seconds))
                want = "on" if i % 2 == 0 else "off"
                cloud.change_state(plug.id, {"powered": want == "on"})
                changed = time.perf_counter()
                while (st.cloud.latest_state(f"kasa:{plug.id}", "st.switch", "switch") or _Missing).value != want:
                    if time.perf_counter() - changed > poll_seconds * 10:
                        raise SystemExit("a change never arrived")
                    time.sleep(0.005)
                results.append((time.perf_counter() - changed) * 1000)
            ordered = sorted(results)
            p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
            print(f"latency: Kasa app change -> SmartThings receiver, KASA_POLL_SECONDS={poll_seconds:g}, "
                  f"{samples} changes at random moments (worker and clock as processes)")
            print(f"  p50 {statistics.median(ordered):.0f} ms, p99 {p99:.0f} ms, max {ordered[-1]:.0f} ms "
                  f"(the poll interval dominates: a change waits up to one interval for the next poll)")
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            services.redis.flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    throughput(args.redis_url, args.updates)
    latency(args.redis_url, args.samples, args.poll_seconds)


if __name__ == "__main__":
    main()
