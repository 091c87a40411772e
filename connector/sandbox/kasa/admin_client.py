"""KasaSimAdmin: the KasaCloud knobs for a simulator running in another process.

Method names and arguments mirror KasaCloud; results are the admin endpoint's JSON.
A knob the simulator refuses raises ``SimError`` with its message.
"""
from __future__ import annotations

from typing import Any

import requests

from .errors import SimError


class KasaSimAdmin:
    def __init__(self, admin_url: str, *, timeout: float = 5.0,
                 session: requests.Session | None = None):
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, body: dict | None = None,
              params: dict | None = None) -> dict[str, Any]:
        response = self.session.request(method, self.admin_url + path, json=body,
                                        params=params, timeout=self.timeout)
        payload = response.json()
        if response.status_code >= 400:
            raise SimError(payload.get("error", response.text))
        return payload

    @staticmethod
    def _given(**kw) -> dict:
        return {k: v for k, v in kw.items() if v is not None}

    def config(self) -> dict:
        return self._call("GET", "/config")

    def state(self) -> dict:
        return self._call("GET", "/state")

    def create_user(self, username: str, password: str, devices: list | None = None,
                    timezone: str | None = None) -> dict:
        return self._call("POST", "/users", self._given(
            username=username, password=password, devices=devices, timezone=timezone))

    def set_account_timezone(self, username: str, timezone_id: str) -> None:
        self._call("POST", f"/users/{username}/timezone", {"timezoneId": timezone_id})

    def issue_tokens(self, username: str, access_ttl: float | None = None) -> tuple[str, str, int]:
        r = self._call("POST", "/tokens", self._given(username=username, access_ttl=access_ttl))
        return r["access_token"], r["refresh_token"], r["expires_in"]

    def expire_token(self, access_token: str) -> None:
        self._call("POST", "/tokens/expire", {"access_token": access_token})

    def expire_tokens(self, username: str) -> int:
        return self._call("POST", "/tokens/expire", {"username": username})["expired"]

    def revoke_refresh_token(self, refresh_token: str) -> None:
        self._call("POST", "/refresh-tokens/revoke", {"refresh_token": refresh_token})

    def set_latency(self, seconds: float, device_id: str | None = None) -> None:
        self._call("POST", "/latency", self._given(seconds=seconds, device_id=device_id))

    def fail_next(self, count: int = 1, status: int = 500, code: str | None = None,
                  msg: str | None = None, *, path: str | None = None, method: str | None = None,
                  retry_after: float | None = None, body: str | None = None) -> dict:
        return self._call("POST", "/faults", self._given(
            count=count, status=status, code=code, msg=msg, path=path, method=method,
            retry_after=retry_after, body=body))["rule"]

    def set_rate_limit(self, per_second: float | None) -> None:
        self._call("POST", "/rate-limit", {"per_second": per_second})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def add_device(self, username: str, model: str, **kw) -> dict:
        return self._call("POST", "/devices", {"username": username, "model": model, **kw})

    def remove_device(self, device_id: str) -> None:
        self._call("DELETE", f"/devices/{device_id}")

    def set_online(self, device_id: str, online: bool = True) -> None:
        self._call("POST", f"/devices/{device_id}/online", {"online": online})

    def set_responding(self, device_id: str, responding: bool = True) -> None:
        self._call("POST", f"/devices/{device_id}/responding", {"responding": responding})

    def change_state(self, device_id: str, state: dict) -> dict:
        return self._call("POST", f"/devices/{device_id}/state", state)["state"]

    def set_device_timezone(self, device_id: str, timezone_id: str) -> None:
        self._call("POST", f"/devices/{device_id}/timezone", {"timezoneId": timezone_id})

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        return self._call("GET", "/requests", params=self._given(path=path, method=method))["requests"]

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return len(self.requests(path, method))

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
