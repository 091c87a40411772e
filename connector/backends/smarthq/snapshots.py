"""The last published states of each SmartHQ account, kept in Redis between listeners.

One hash per account, one field per device (``externalDeviceId`` → JSON of its
``connector.changes`` snapshot entry), so an event rewrites one small field rather
than the whole account. A listener that takes an account over (after a restart, or
from a dead process) diffs its first reading against this and publishes only what
changed while nobody listened.
"""
from __future__ import annotations

import json

from connector import changes

SNAPSHOT_TTL = 7 * 24 * 3600  # a reading older than a week is no baseline anymore
BASELINE = "~baseline"  # marks that a baseline exists: an account may have no appliances


def key(account_id: str) -> str:
    return f"stc:smarthq:snapshot:{account_id}"


def load(redis_client, account_id: str) -> changes.Snapshot | None:
    """The stored snapshot, or None when the account never had a baseline."""
    raw = redis_client.hgetall(key(account_id))
    if not raw:
        return None
    return {ext: json.loads(value) for ext, value in raw.items() if ext != BASELINE}


def save(redis_client, account_id: str, write: dict[str, dict], delete=()) -> None:
    name = key(account_id)
    pipe = redis_client.pipeline(transaction=True)
    pipe.hset(name, mapping={BASELINE: "1", **{ext: json.dumps(entry) for ext, entry in write.items()}})
    if delete:
        pipe.hdel(name, *delete)
    pipe.expire(name, SNAPSHOT_TTL)
    pipe.execute()


def drop(redis_client, account_id: str) -> None:
    """Forget the account's snapshot (it was unlinked: a new link starts a new baseline)."""
    redis_client.delete(key(account_id))
