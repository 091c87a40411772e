"""A token bucket in Redis, shared by every process that calls one partner.

Kasa rate-limits per app, not per process, so all pollers draw their requests from one
bucket. The refill and the take happen in one Lua script, atomically, using Redis'
own clock so processes on different machines agree.
"""
from __future__ import annotations

import time

import redis

# KEYS[1] bucket; ARGV: rate (tokens/s), burst, wanted. Returns the wait in ms (0 = taken).
_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local rate, burst, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now_ms
tokens = math.min(burst, tokens + (now_ms - at) * rate / 1000)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
"""


class TokenBucket:
    def __init__(self, redis_client: redis.Redis, name: str, rate: float, burst: int):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.key = f"stc:bucket:{name}"
        self.rate, self.burst = rate, burst
        self._take = redis_client.register_script(_TAKE)

    def try_take(self, count: int = 1) -> float:
        """Take ``count`` tokens if they are there; else the seconds until they would be."""
        if count > self.burst:
            raise ValueError("cannot take more than the burst at once")
        return int(self._take(keys=[self.key], args=[self.rate, self.burst, count])) / 1000

    def take(self, count: int = 1, *, timeout: float = 30.0, sleep=time.sleep) -> bool:
        """Wait (up to ``timeout`` seconds) for ``count`` tokens; False if they never came."""
        deadline = time.monotonic() + timeout
        while True:
            wait = self.try_take(count)
            if wait == 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            sleep(wait)
