"""Benchmark: the SmartHQ Event Stream path — appliance change → ``connector events`` →
Redis → ``connector worker`` → stateCallback.

The Procfile's ``events`` and ``worker`` run as real processes against Redis; the
simulated SmartHQ cloud (REST and Event Stream WebSocket) and the simulated SmartThings
receiver run in this process. ``--accounts`` SmartHQ accounts with ``--appliances``
refrigerators each are linked, each with a SmartThings installation holding callback
tokens (grantCallbackAccess to the webhook, exchanged by the worker process).

Memory: the ``connector events`` process's RSS (/proc/<pid>/status VmRSS) once it is up
with no account, then once every account's listener has connected and read its
appliances; the growth is divided by the number of accounts.

CPU (/proc/<pid>/stat utime+stime of ``connector events``): while every socket sits idle
for ``--idle-seconds`` (only ``websocket#ping``s, lease renewals and account scans at the
production intervals), then while the latency samples below make events flow.

Latency, p50/p99: a refrigerator door of a random appliance opens or closes in the
simulated SmartHQ cloud (``refrigerator/door/door``) at a random moment, one change at a
time, until the SmartThings receiver has accepted the stateCallback that carries
``st.contactSensor``/``contact`` of that device (time of the change → the receiver's
time of receipt, both clocks of this process), split at the moment the listener
published the state (the state's timestamp). The simulated cloud's socket threads
forward queued events every 20 ms, which is part of the first leg.

    python bench/smarthq_events.py [--accounts 100] [--appliances 1] [--samples 100] \
        [--idle-seconds 30] [--redis-url redis://127.0.0.1:6379/13]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.callbacks import ST_ID, ST_SECRET, build  # noqa: E402
from connector import create_app  # noqa: E402
from connector.accounts import PartnerLink  # noqa: E402
from connector.backends.smarthq import snapshots  # noqa: E402
from connector.backends.smarthq.events import status  # noqa: E402
from connector.backends.smarthq.events_config import ListenerConfig  # noqa: E402
from connector.sandbox.smarthq import SimulatedSmartHQ  # noqa: E402
from connector.sandbox.smartthings import SimulatedSmartThings  # noqa: E402
from connector.store import Vault  # noqa: E402

KIND = "refrigerator"
PROFILE_ID = "9a0e7c55-3b1d-4e2f-8c6a-7d5b4a3c2e10"  # any UUID: no "no profile id" warning
DOOR = "refrigerator/door/door"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Linked:
    account_id: str
    installation_id: str
    device_ids: list[str]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def wait(condition, timeout: float, what: str, procs=(), interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(proc.args[1:])} exited with {proc.returncode} "
                                 f"while waiting for {what}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def provision(services, shq, st, accounts: int, appliances: int) -> list[Linked]:
    """SmartHQ users with refrigerators, each linked to an account with one installation
    whose grantCallbackAccess went to the webhook (the worker process exchanges it)."""
    client = create_app(services.settings, services=services).test_client()
    linked = []
    for n in range(accounts):
        user = shq.create_user(f"bench{n}@example.com", "pw", appliances=[KIND] * appliances)
        access, refresh, expires_in = shq.issue_tokens(user)
        account_id = services.accounts.create([PartnerLink(
            "smarthq", access, refresh, time.time() + expires_in, user.user_id)])
        tokens = services.accounts.issue_tokens(account_id)
        client.post("/st-schema", json=st.grant_callback_access(tokens.access_token))
        linked.append(Linked(account_id, tokens.installation_id, list(user.devices)))
    return linked


def connected(services, linked: list[Linked]) -> int:
    """Accounts whose listener has subscribed and read its appliances: the first full
    read stores the account's baseline snapshot just before the listener goes ready."""
    pipe = services.redis.pipeline(transaction=False)
    for acc in linked:
        pipe.exists(snapshots.key(acc.account_id))
    return sum(pipe.execute())


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def run(args) -> None:
    config = ListenerConfig.from_env({}, tick_seconds=args.tick_seconds,
                                     scan_seconds=args.scan_seconds, ping_seconds=args.ping_seconds)
    out = Path(tempfile.mkdtemp(prefix="bench-smarthq-events-"))
    with SimulatedSmartHQ() as smarthq, SimulatedSmartThings(ST_ID, ST_SECRET) as st:
        shq = smarthq.cloud
        key = Vault.generate_key()
        env = {**os.environ, "REDIS_URL": args.redis_url, "CONNECTOR_SECRET_KEY": key,
               "ST_CLIENT_ID": ST_ID, "ST_CLIENT_SECRET": ST_SECRET,
               "SMARTHQ_API_URL": smarthq.api_url, "SMARTHQ_OAUTH_URL": smarthq.oauth_url,
               "SMARTHQ_CLIENT_ID": shq.client_id, "SMARTHQ_CLIENT_SECRET": shq.client_secret,
               "SMARTHQ_PROFILE_IDS": f"{KIND}={PROFILE_ID}",
               "SMARTHQ_EVENTS_TICK_SECONDS": str(config.tick_seconds),
               "SMARTHQ_EVENTS_SCAN_SECONDS": str(config.scan_seconds),
               "SMARTHQ_EVENTS_PING_SECONDS": str(config.ping_seconds),
               "SMARTHQ_EVENTS_LEASE_SECONDS": str(config.lease_seconds),
               "CALLBACK_ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        services = build(args.redis_url, secret_key=key, smarthq_api_url=smarthq.api_url,
                         smarthq_oauth_url=smarthq.oauth_url, smarthq_client_id=shq.client_id,
                         smarthq_client_secret=shq.client_secret,
                         smarthq_profile_ids={KIND: PROFILE_ID})
        exe = str(Path(sys.executable).with_name("connector"))
        procs = {}
        try:
            for name in ("events", "worker"):
                log = open(out / f"{name}.log", "w")
                procs[name] = subprocess.Popen([exe, name], env=env, cwd=ROOT,
                                               stdout=log, stderr=subprocess.STDOUT)
            events = procs["events"]
            pid = events.pid
            wait(lambda: status(services)["listeners"], 30, "connector events to start",
                 procs.values())
            time.sleep(1.0)  # its first tick done: imports loaded, nothing to listen to
            rss_empty = rss_kib(pid)

            started = time.monotonic()
            linked = provision(services, shq, st, args.accounts, args.appliances)
            provisioned = time.monotonic() - started
            wait(lambda: all(services.accounts.callback_tokens(a.installation_id) for a in linked),
                 60, "the worker to exchange every callback grant", procs.values())
            wait(lambda: connected(services, linked) == len(linked),
                 config.scan_seconds + 30 + len(linked) * 0.2,
                 f"{len(linked)} listeners to connect", procs.values())
            connect_wait = time.monotonic() - started
            holders = status(services)["accounts"]
            owner = status(services)["listeners"]
            sockets = len(shq.sockets())
            time.sleep(2.0)  # let the last reads' garbage go
            rss_full = rss_kib(pid)

            # Idle: open sockets, pings, lease renewals, scans.
            pings_before = len(shq.socket_messages("websocket#ping"))
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            time.sleep(args.idle_seconds)
            cpu1, t1 = cpu_seconds(pid), time.monotonic()
            pings = len(shq.socket_messages("websocket#ping")) - pings_before

            # Events: one door change at a time, at random moments.
            devices = [(acc, dev) for acc in linked for dev in acc.device_ids]
            door_open = {dev: False for _, dev in devices}
            st.cloud.clear_records()
            results, published = [], []
            cpu2, t2 = cpu_seconds(pid), time.monotonic()
            for _ in range(args.samples):
                time.sleep(random.uniform(0, args.gap_seconds))
                acc, dev = random.choice(devices)
                door_open[dev] = not door_open[dev]
                want = "open" if door_open[dev] else "closed"
                ext = f"smarthq:{dev}"
                changed = time.time()
                shq.change_state(dev, DOOR, {"topLeftOpen": door_open[dev]})
                try:
                    held = st.cloud.wait_for(lambda: (
                        (s := st.cloud.latest_state(ext, "st.contactSensor", "contact"))
                        is not None and s.value == want and s), timeout=args.timeout)
                except TimeoutError:
                    raise SystemExit(f"{ext}: contact={want} never reached SmartThings "
                                     f"(logs in {out})") from None
                (delivery,) = [d for d in st.cloud.deliveries("stateCallback")
                               if d.request_id == held.request_id]
                results.append((delivery.received_at - changed) * 1000)
                # The state carries the time the listener published it (epoch ms).
                published.append(held.timestamp - changed * 1000)
            cpu3, t3 = cpu_seconds(pid), time.monotonic()
            callbacks = len(st.cloud.deliveries("stateCallback"))
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            services.redis.flushdb()

    n = len(linked)
    appliances = sum(len(a.device_ids) for a in linked)
    ordered = sorted(results)
    idle_rate = (cpu1 - cpu0) / (t1 - t0) * 60  # CPU s per wall minute
    flow_rate = (cpu3 - cpu2) / (t3 - t2) * 60
    events_per_s = len(results) / (t3 - t2)
    per_event = ((cpu3 - cpu2) - idle_rate / 60 * (t3 - t2)) / len(results)
    unheld = sum(1 for a in linked if holders.get(a.account_id) is None)
    warnings = sum(1 for line in (out / "events.log").read_text().splitlines() if line.strip())

    print("SmartHQ Event Stream: connector events + connector worker as processes, "
          "simulated SmartHQ and SmartThings in the bench process")
    print(f"  layout: {n} accounts x {args.appliances} {KIND} = {appliances} appliances, "
          f"one installation each; {len(owner)} listener process, {sockets} sockets open, "
          f"{unheld} accounts unclaimed")
    print(f"  listener settings: tick {config.tick_seconds:g} s, scan {config.scan_seconds:g} s, "
          f"ping {config.ping_seconds:g} s, lease {config.lease_seconds:g} s")
    print(f"  all {n} accounts connected and read {connect_wait:.1f} s after provisioning began "
          f"({provisioned:.1f} s of it provisioning; a new link is noticed at the next tick)")
    print(f"latency: door open/close in SmartHQ -> stateCallback accepted by SmartThings, "
          f"{len(results)} changes on random appliances, one at a time")
    print(f"  p50 {statistics.median(ordered):.0f} ms, p99 {percentile(ordered, 0.99):.0f} ms, "
          f"max {ordered[-1]:.0f} ms, min {ordered[0]:.0f} ms "
          f"({callbacks} stateCallback requests for {len(results)} changes)")
    print(f"  split (p50): change -> listener publishes {statistics.median(published):.0f} ms "
          f"(simulated push, socket, fold, Redis), publish -> receipt "
          f"{statistics.median([r - q for r, q in zip(results, published)]):.0f} ms "
          f"(worker, flush, HTTP)")
    print(f"memory: connector events RSS {rss_empty / 1024:.1f} MiB with no account, "
          f"{rss_full / 1024:.1f} MiB with {n} listening")
    print(f"  {(rss_full - rss_empty) / n:.0f} KiB per account "
          f"({args.appliances} appliance(s) each)")
    print(f"cpu: connector events, per account per minute of wall time "
          f"(/proc counts ticks of {1000 / CLK_TCK:g} ms)")
    print(f"  idle with pings: {idle_rate / n * 1000:.2f} ms "
          f"({cpu1 - cpu0:.2f} s CPU in {t1 - t0:.0f} s for {n} accounts; {pings} pings sent)")
    print(f"  events flowing:  {flow_rate / n * 1000:.2f} ms "
          f"({cpu3 - cpu2:.2f} s CPU in {t3 - t2:.0f} s, {events_per_s:.1f} events/s over "
          f"{n} accounts = {events_per_s * 60 / n:.1f} per account per minute); "
          f"{per_event * 1000:.2f} ms CPU per event above idle")
    if warnings:
        print(f"  note: connector events logged {warnings} line(s) at WARNING or above: "
              f"{out / 'events.log'}")
    else:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    defaults = ListenerConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--appliances", type=int, default=1, help="refrigerators per account")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--gap-seconds", type=float, default=0.3,
                        help="random pause (0 .. this) before each change")
    parser.add_argument("--timeout", type=float, default=10.0, help="per change")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--tick-seconds", type=float, default=defaults.tick_seconds)
    parser.add_argument("--scan-seconds", type=float, default=defaults.scan_seconds)
    parser.add_argument("--ping-seconds", type=float, default=defaults.ping_seconds)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL",
                                                              "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()
    run(args)


if __name__ == "__main__":
    main()
