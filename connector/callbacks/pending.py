"""What waits to be delivered, per installation, and who is delivering it (Redis).

Keys::

    stc:cb:pending:{inst}   hash    coalescing key -> "<epoch ms>|<json>" (see batch.py)
    stc:cb:flush:{inst}     string  the flush job that owns the installation (PX lease),
                                    or "parked:<job id>" after a flush gave up (no TTL)
    stc:cb:status:{inst}    hash    attempt, last_error, last_error_at, next_attempt_at,
                                    in_flight, last_delivered_at, parked_reason,
                                    failed_job (reported an outage that is still retried)
    stc:cb:installations    set     installations that have (or just had) pending entries

The owner marker is what keeps exactly one flush job per installation: ``add`` creates
it (and the caller enqueues that job) only when none exists; the job renews it while it
works, hands it to its own retry when it backs off, and deletes it only when it sees
nothing pending, in the same script. A job killed mid-flush stops renewing; once the
lease lapses the next ``add`` or the worker's sweep (``orphans``) starts a new one.

Entries leave the hash only through ``ack``, which deletes an entry only if it still
holds exactly what was sent: a value rewritten meanwhile stays for the next callback.
Every step that must not interleave is one Lua script.
"""
from __future__ import annotations

import time
from typing import Iterable

import redis

from .batch import Encoded, rivals

PREFIX = "stc:cb:"
PARKED = "parked:"
INSTALLATIONS = PREFIX + "installations"

_ADD = """
-- KEYS: pending, owner, installations; ARGV: inst, job id, lease ms, then per entry
-- (field, ts, raw, rival field, rival prefix). Rivals (batch.rivals) contradict the
-- entry: the newer side stays, the other goes (a tie goes to the newcomer).
local function stamp(raw) return tonumber(string.match(raw, '^(%-?%d+)|')) or 0 end
for i = 4, #ARGV, 5 do
  local ts = tonumber(ARGV[i + 1])
  local rivals = {}
  if ARGV[i + 3] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[i + 3]) == 1 then
    rivals[#rivals + 1] = ARGV[i + 3]
  end
  local prefix = ARGV[i + 4]
  if prefix ~= '' then  -- only for DEVICE-DELETED, which is rare: a scan is fine
    for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
      if string.sub(f, 1, #prefix) == prefix then rivals[#rivals + 1] = f end
    end
  end
  local outdated = false
  for _, f in ipairs(rivals) do
    if stamp(redis.call('HGET', KEYS[1], f)) > ts then outdated = true end
  end
  if not outdated then
    for _, f in ipairs(rivals) do redis.call('HDEL', KEYS[1], f) end
    local held = redis.call('HGET', KEYS[1], ARGV[i])
    if not held or stamp(held) <= ts then
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    end
  end
end
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
"""

_ACK = """
-- KEYS: pending; ARGV: (field, raw)...
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
"""

_CLAIM = """
-- KEYS: owner; ARGV: job id, lease ms. Renew our lease, or adopt a lapsed one.
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not owner then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""

_TRANSFER = """
-- KEYS: owner; ARGV: from, to, lease ms (0: no expiry). Only the owner hands over.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""

_KICK = """
-- KEYS: owner, pending; ARGV: job id, lease ms. Start a flush unless one is alive.
local owner = redis.call('GET', KEYS[1])
if owner and string.sub(owner, 1, 7) ~= 'parked:' then return false end
if redis.call('HLEN', KEYS[2]) == 0 then
  if owner then redis.call('DEL', KEYS[1]) end
  return false
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return owner or ''
"""

_RELEASE = """
-- KEYS: pending, owner, installations; ARGV: job id, inst.
-- 1: released (nothing pending); 0: more arrived, keep going; -1: not the owner.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('HLEN', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return 1
"""

_TIDY = """
-- KEYS: pending, owner, installations; ARGV: inst. Drop a delivered installation from the set.
if redis.call('HLEN', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
end
return 0
"""


def pending_key(inst: str) -> str:
    return f"{PREFIX}pending:{inst}"


def owner_key(inst: str) -> str:
    return f"{PREFIX}flush:{inst}"


def status_key(inst: str) -> str:
    return f"{PREFIX}status:{inst}"


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class Pending:
    """The pending store of one Redis (a ``decode_responses=True`` client)."""

    def __init__(self, r: redis.Redis, clock=time.time):
        self.r = r
        self.clock = clock
        self._add = r.register_script(_ADD)
        self._ack = r.register_script(_ACK)
        self._claim = r.register_script(_CLAIM)
        self._transfer = r.register_script(_TRANSFER)
        self._kick = r.register_script(_KICK)
        self._release = r.register_script(_RELEASE)
        self._tidy = r.register_script(_TIDY)

    # -- producers ----------------------------------------------------------------

    def add(self, inst: str, entries: Iterable[Encoded], job_id: str, lease: float) -> bool:
        """Coalesce ``entries`` in (latest timestamp wins; a tie goes to the newcomer).

        The same holds between a device's DEVICE-DELETED and its states or announcement
        (:func:`.batch.rivals`): only the latest side stays pending.

        True when no flush owned the installation: ``job_id`` now does, and the caller
        must enqueue that job.
        """
        args = [inst, job_id, _ms(lease)]
        for entry in entries:
            args += [entry.field, entry.timestamp, entry.raw, *rivals(entry.field)]
        keys = [pending_key(inst), owner_key(inst), INSTALLATIONS]
        return bool(self._add(keys=keys, args=args))

    def kick(self, inst: str, job_id: str, lease: float) -> str | None:
        """Make ``job_id`` the owner if entries wait and no live flush owns them.

        Returns the previous owner marker ("" when there was none, "parked:…" when a
        parked installation is resumed), or None when nothing needs a new job.
        """
        return self._kick(keys=[owner_key(inst), pending_key(inst)], args=[job_id, _ms(lease)])

    # -- the flush job ------------------------------------------------------------

    def claim(self, inst: str, job_id: str, lease: float) -> bool:
        return bool(self._claim(keys=[owner_key(inst)], args=[job_id, _ms(lease)]))

    def snapshot(self, inst: str) -> dict[str, str]:
        return self.r.hgetall(pending_key(inst))

    def ack(self, inst: str, sent: dict[str, str]) -> int:
        """Remove what SmartThings accepted, unless it was superseded since it was read."""
        if not sent:
            return 0
        args = [part for pair in sent.items() for part in pair]
        return self._ack(keys=[pending_key(inst)], args=args)

    def release(self, inst: str, job_id: str) -> int:
        keys = [pending_key(inst), owner_key(inst), INSTALLATIONS]
        return self._release(keys=keys, args=[job_id, inst])

    def transfer(self, inst: str, from_job: str, to: str, lease: float | None) -> bool:
        """Hand ownership to ``to`` (a retry job, or a parked marker when lease is None)."""
        lease_ms = 0 if lease is None else _ms(lease)
        return bool(self._transfer(keys=[owner_key(inst)], args=[from_job, to, lease_ms]))

    def park(self, inst: str, job_id: str, reason: str) -> bool:
        parked = self.transfer(inst, job_id, PARKED + job_id, None)
        self.note(inst, parked_reason=reason, in_flight="", next_attempt_at="")
        return parked

    def discard(self, inst: str) -> int:
        """Forget an installation that no longer exists; returns how many entries went."""
        count = self.r.hlen(pending_key(inst))
        pipe = self.r.pipeline()
        pipe.delete(pending_key(inst), owner_key(inst), status_key(inst))
        pipe.srem(INSTALLATIONS, inst)
        pipe.execute()
        return count

    # -- status, for operators ----------------------------------------------------

    def note(self, inst: str, **fields) -> None:
        """Record progress in the status hash; empty values remove the field."""
        keep = {k: v for k, v in fields.items() if v not in ("", None)}
        drop = [k for k, v in fields.items() if v in ("", None)]
        pipe = self.r.pipeline()
        if keep:
            pipe.hset(status_key(inst), mapping=keep)
        if drop:
            pipe.hdel(status_key(inst), *drop)
        pipe.execute()

    def status(self, inst: str) -> dict[str, str]:
        return self.r.hgetall(status_key(inst))

    def owner(self, inst: str) -> str | None:
        return self.r.get(owner_key(inst))

    def installations(self) -> list[str]:
        return sorted(self.r.smembers(INSTALLATIONS))

    def orphans(self) -> list[str]:
        """Installations with entries waiting and no flush owning them (lease lapsed)."""
        orphaned = []
        for inst in self.installations():
            if self.r.exists(owner_key(inst)):
                continue
            if self.r.hlen(pending_key(inst)):
                orphaned.append(inst)
            else:  # delivered; the set only lagged behind
                self._tidy(keys=[pending_key(inst), owner_key(inst), INSTALLATIONS], args=[inst])
        return orphaned

    def parked(self) -> dict[str, str]:
        """Parked installations and the job id each was parked by."""
        found = {}
        for inst in self.installations():
            owner = self.owner(inst)
            if owner and owner.startswith(PARKED):
                found[inst] = owner[len(PARKED):]
        return found
