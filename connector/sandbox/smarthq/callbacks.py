"""The HTTPS callback channel (smarthq-api.md §3.1, §8.8): events for users who turned
on ``/v2/pubsub`` are POSTed as plain event JSON to the app's registered callback URL.

The real envelope (SNS-style or not) and its signature are not documented, so we send
the bare event and sign nothing. Deliveries are attempted once each and recorded in
``cloud.deliveries`` (status or error), so a test can see what was sent.
"""
from __future__ import annotations

import threading
import time

import requests

POLL = 0.05


class CallbackDispatcher:
    def __init__(self, cloud, timeout: float = 5.0):
        self.cloud, self.timeout = cloud, timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="smarthq-sim-callbacks",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.cloud.bus.wake:
            self.cloud.bus.wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.cloud.bus.wake:
                self.cloud.bus.wake.wait(POLL)
            for url, event in self.cloud.take_callback_events():
                self._deliver(url, event)

    def _deliver(self, url: str, event: dict) -> None:
        record = {"url": url, "event": event, "at": time.time()}
        try:
            response = self._session.post(url, json=event, timeout=self.timeout)
            record["status"] = response.status_code
        except requests.RequestException as exc:
            record["error"] = str(exc)
        with self.cloud.lock:
            self.cloud.deliveries.append(record)
