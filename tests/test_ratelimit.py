import threading
import time

import pytest

from connector.ratelimit import TokenBucket


def test_burst_is_available_at_once_then_refused(redis_client):
    bucket = TokenBucket(redis_client, "t", rate=1, burst=5)
    assert [bucket.try_take() for _ in range(5)] == [0] * 5
    wait = bucket.try_take()
    assert 0.9 <= wait <= 1.0


def test_tokens_refill_at_the_rate(redis_client):
    bucket = TokenBucket(redis_client, "t", rate=50, burst=1)
    assert bucket.try_take() == 0
    assert bucket.try_take() > 0
    time.sleep(0.05)
    assert bucket.try_take() == 0


def test_take_waits_for_a_token(redis_client):
    bucket = TokenBucket(redis_client, "t", rate=20, burst=1)
    bucket.try_take()
    started = time.monotonic()
    assert bucket.take(timeout=1)
    assert time.monotonic() - started >= 0.03


def test_take_gives_up_when_the_wait_exceeds_the_timeout(redis_client):
    bucket = TokenBucket(redis_client, "t", rate=0.1, burst=1)
    bucket.try_take()
    assert bucket.take(timeout=0.5) is False


def test_the_budget_is_shared_across_clients(redis_client, redis_url):
    """Many threads, each with its own bucket object and Redis connection: one budget."""
    import redis

    taken = []

    def grab():
        bucket = TokenBucket(redis.Redis.from_url(redis_url), "shared", rate=0.01, burst=10)
        for _ in range(5):
            if bucket.try_take() == 0:
                taken.append(1)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 10


def test_invalid_parameters_are_refused(redis_client):
    with pytest.raises(ValueError):
        TokenBucket(redis_client, "t", rate=0, burst=1)
    with pytest.raises(ValueError):
        TokenBucket(redis_client, "t", rate=1, burst=2).try_take(3)
