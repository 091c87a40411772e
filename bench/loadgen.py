"""A small closed-loop HTTP load generator: N processes, keep-alive connections.

Processes rather than threads so the client side is not serialised on one GIL; each
process sends the same body back to back for the duration and records latencies.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import statistics
import time
from urllib.parse import urlsplit


def _worker(url: str, body: bytes, duration: float, queue) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    latencies, statuses = [], {}
    end = time.perf_counter() + duration
    while time.perf_counter() < end:
        started = time.perf_counter()
        conn.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - started)
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
    conn.close()
    queue.put((latencies, statuses))


def run(url: str, payload, *, concurrency: int = 8, duration: float = 10.0) -> dict:
    """Drive ``url`` with ``payload`` and return throughput and latency percentiles (ms)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    queue = mp.Queue()
    procs = [mp.Process(target=_worker, args=(url, body, duration, queue)) for _ in range(concurrency)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    latencies = sorted(lat for lats, _ in results for lat in lats)
    statuses: dict[int, int] = {}
    for _, counts in results:
        for status, count in counts.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        "statuses": statuses,
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]
