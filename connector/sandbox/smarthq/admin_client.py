"""SmartHQSimAdmin: the SmartHQCloud knobs for a simulator running in another process.

Method names and arguments mirror SmartHQCloud; results are the admin endpoint's JSON.
A knob the simulator refuses raises ``SimError`` with its message.
"""
from __future__ import annotations

from typing import Any

import requests

from .errors import SimError


class SmartHQSimAdmin:
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

    # accounts and tokens
    def create_user(self, username: str, password: str, appliances: list | None = None) -> dict:
        return self._call("POST", "/users", self._given(
            username=username, password=password, appliances=appliances))

    def issue_tokens(self, username: str, access_ttl: float | None = None) -> tuple[str, str, int]:
        r = self._call("POST", "/tokens", self._given(username=username, access_ttl=access_ttl))
        return r["access_token"], r["refresh_token"], r["expires_in"]

    def expire_token(self, access_token: str) -> None:
        self._call("POST", "/tokens/expire", {"access_token": access_token})

    def expire_tokens(self, username: str) -> int:
        return self._call("POST", "/tokens/expire", {"username": username})["expired"]

    def revoke_refresh_token(self, refresh_token: str) -> None:
        self._call("POST", "/refresh-tokens/revoke", {"refresh_token": refresh_token})

    def revoke_refresh_tokens(self, username: str) -> int:
        return self._call("POST", "/refresh-tokens/revoke", {"username": username})["revoked"]

    def set_refresh_rotation(self, mode: str) -> None:
        self._call("POST", "/refresh-rotation", {"mode": mode})

    def set_permissions(self, permissions: list[str]) -> None:
        self._call("POST", "/permissions", {"permissions": list(permissions)})

    # time
    def advance(self, seconds: float) -> int:
        return self._call("POST", "/clock/advance", {"seconds": seconds})["ran"]

    def set_speed(self, speed: float) -> None:
        self._call("POST", "/clock/speed", {"speed": speed})

    # appliances
    def add_appliance(self, username: str, kind: str, **kw) -> dict:
        return self._call("POST", "/appliances", {"username": username, "kind": kind, **kw})["device"]

    def update_appliance(self, device_id: str, *, nickname: str | None = None,
                         room: str | None = None) -> None:
        self._call("PATCH", f"/appliances/{device_id}", self._given(nickname=nickname, room=room))

    def remove_appliance(self, device_id: str) -> None:
        self._call("DELETE", f"/appliances/{device_id}")

    def set_presence(self, device_id: str, presence: str = "ONLINE") -> None:
        self._call("POST", f"/appliances/{device_id}/presence", {"presence": presence})

    def set_remote_control(self, device_id: str, enabled: bool = True,
                           sub_device: str | None = None) -> None:
        self._call("POST", f"/appliances/{device_id}/remote",
                   self._given(enabled=enabled, sub_device=sub_device))

    def start_cycle(self, device_id: str, sub_device: str | None = None, **options) -> None:
        self._call("POST", f"/appliances/{device_id}/start",
                   self._given(sub_device=sub_device, **options))

    def change_state(self, device_id: str, service: str, state: dict) -> dict:
        return self._call("POST", f"/appliances/{device_id}/state",
                          {"service": service, "state": state})["state"]

    def fire_alert(self, device_id: str, alert_type: str) -> None:
        self._call("POST", f"/appliances/{device_id}/alert", {"alert_type": alert_type})

    # faults
    def set_latency(self, seconds: float, device_id: str | None = None) -> None:
        self._call("POST", "/latency", self._given(seconds=seconds, device_id=device_id))

    def fail_next(self, count: int = 1, status: int = 500, reason: str | None = None, *,
                  path: str | None = None, method: str | None = None,
                  retry_after: float | None = None, body: str | None = None) -> dict:
        return self._call("POST", "/faults", self._given(
            count=count, status=status, reason=reason, path=path, method=method,
            retry_after=retry_after, body=body))["rule"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_rate_limit(self, per_minute: int | None) -> None:
        self._call("POST", "/rate-limit", {"per_minute": per_minute})

    def fail_next_commands(self, count: int = 1, outcome: str = "timeout") -> None:
        self._call("POST", "/command-outcomes", {"count": count, "outcome": outcome})

    def set_command_timing(self, delay: float | None = None, timeout: float | None = None) -> None:
        self._call("POST", "/command-timing", self._given(delay=delay, timeout=timeout))

    # sockets and callbacks
    def sockets(self, username: str | None = None) -> list[dict]:
        return self._call("GET", "/sockets", params=self._given(username=username))["sockets"]

    def drop_sockets(self, username: str | None = None, *, code: int | None = None,
                     reason: str | None = None, abrupt: bool | None = None) -> int:
        return self._call("POST", "/sockets/drop", self._given(
            username=username, code=code, reason=reason, abrupt=abrupt))["dropped"]

    def set_random_drops(self, mean_seconds: float | None) -> None:
        self._call("POST", "/sockets/random-drops", {"mean_seconds": mean_seconds})

    def set_ws_idle_timeout(self, seconds: float | None) -> None:
        self._call("POST", "/sockets/idle-timeout", {"seconds": seconds})

    def set_callback_url(self, url: str | None) -> None:
        self._call("POST", "/callback-url", {"url": url})

    def deliveries(self) -> list[dict]:
        return self._call("GET", "/deliveries")["deliveries"]

    # recorded requests
    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        return self._call("GET", "/requests", params=self._given(path=path, method=method))["requests"]

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return len(self.requests(path, method))

    def socket_messages(self, kind: str | None = None) -> list[dict]:
        return self._call("GET", "/socket-messages", params=self._given(kind=kind))["messages"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
