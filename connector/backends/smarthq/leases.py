"""Which ``connector events`` process listens to which account: leases in Redis.

An account's lease is one key holding the listener's id, set only if absent and
expiring after ``ttl`` unless its holder renews it. A listener that dies stops
renewing, so its accounts become free within ``ttl`` and another listener claims them.
Renewing and releasing check the holder in one Lua call: a listener whose lease lapsed
and was taken can never extend or delete the new holder's lease.

Each listener also keeps a heartbeat in a sorted set (member → when it lapses), so every
process can count the live ones and take only its fair share of the accounts.
"""
from __future__ import annotations

import os
import socket
import time
import uuid

LEASE_PREFIX = "stc:smarthq:lease:"
LISTENERS = "stc:smarthq:listeners"

# KEYS: lease keys; ARGV[1] owner, ARGV[2] ttl (ms). Returns the keys no longer ours.
_RENEW = """
local lost = {}
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
  else
    table.insert(lost, key)
  end
end
return lost
"""

# KEYS: lease keys; ARGV[1] owner. Deletes only the leases this owner holds.
_RELEASE = """
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    released = released + redis.call('DEL', key)
  end
end
return released
"""


def lease_key(account_id: str) -> str:
    return LEASE_PREFIX + account_id


def new_owner_id() -> str:
    """Readable in ``connector events --status``: host, pid, and a random part that
    keeps a restarted process with a reused pid from inheriting old leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    def __init__(self, redis_client, owner: str, ttl: float):
        self.r = redis_client
        self.owner = owner
        self.ttl_ms = max(1, int(ttl * 1000))
        self._renew = redis_client.register_script(_RENEW)
        self._release = redis_client.register_script(_RELEASE)

    def claim(self, account_id: str) -> bool:
        return bool(self.r.set(lease_key(account_id), self.owner, nx=True, px=self.ttl_ms))

    def renew(self, account_ids) -> set[str]:
        """Extends the leases still ours; returns the accounts whose lease was lost."""
        account_ids = list(account_ids)
        if not account_ids:
            return set()
        lost = self._renew(keys=[lease_key(a) for a in account_ids], args=[self.owner, self.ttl_ms])
        return {key.removeprefix(LEASE_PREFIX) for key in lost}

    def release(self, account_ids) -> int:
        account_ids = list(account_ids)
        if not account_ids:
            return 0
        return int(self._release(keys=[lease_key(a) for a in account_ids], args=[self.owner]))

    def holders(self, account_ids) -> dict[str, str | None]:
        account_ids = list(account_ids)
        values = self.r.mget([lease_key(a) for a in account_ids]) if account_ids else []
        return dict(zip(account_ids, values))

    # -- the listeners' heartbeats ---------------------------------------------------------

    def heartbeat(self, now: float | None = None) -> int:
        """Records this listener as alive for one ttl; returns how many are alive."""
        now = time.time() if now is None else now
        pipe = self.r.pipeline(transaction=True)
        pipe.zadd(LISTENERS, {self.owner: now + self.ttl_ms / 1000})
        pipe.zremrangebyscore(LISTENERS, "-inf", now)
        pipe.zcard(LISTENERS)
        return int(pipe.execute()[-1])

    def leave(self) -> None:
        self.r.zrem(LISTENERS, self.owner)

    def listeners(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        return list(self.r.zrangebyscore(LISTENERS, now, "+inf"))
