"""The atomic Redis lock store against the real Redis server: tickets stay unique when several Rasa servers
issue them for one conversation at the same moment (Rasa 3.6's RedisLockStore can hand out one ticket twice)."""
from __future__ import annotations

import secrets
import threading

import pytest

from channels.lock_store import AtomicRedisLockStore
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig
from tests.services import service_missing

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_or_skip():
    import redis

    client = redis.StrictRedis(host=REDIS_HOST, port=REDIS_PORT, db=1, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        service_missing(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {error}")
    return client


@pytest.fixture
def prefix():
    client = redis_or_skip()
    prefix = f"test{secrets.token_hex(6)}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def store(prefix: str) -> AtomicRedisLockStore:
    """Built the way Rasa builds it from endpoints.yml."""
    config = EndpointConfig(url=REDIS_HOST, type="channels.lock_store.AtomicRedisLockStore", port=str(REDIS_PORT),
                            db="1", password="", key_prefix=prefix)
    created = LockStore.create(config)
    assert isinstance(created, AtomicRedisLockStore)
    return created


def test_tickets_from_many_servers_at_once_are_unique(prefix):
    servers = [store(prefix) for _ in range(4)]   # four "Rasa servers", each with its own connection
    issued: list[int] = []
    start = threading.Barrier(len(servers))

    def issue(lock_store):
        start.wait()
        numbers = [lock_store.issue_ticket("parent-1") for _ in range(50)]
        issued.extend(numbers)

    threads = [threading.Thread(target=issue, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(issued) == list(range(200))
    lock = servers[0].get_lock("parent-1")
    assert [t.number for t in lock.tickets] == list(range(200))


async def test_lock_is_served_in_ticket_order_and_deleted_when_idle(prefix):
    first, second = store(prefix), store(prefix)
    async with first.lock("parent-2") as lock:
        assert lock.now_serving == 0
        waiting = second.issue_ticket("parent-2")
        assert waiting == 1 and second.get_lock("parent-2").is_locked(waiting)
    # The first ticket is done: the second one is served, and the lock is kept for it.
    assert not second.get_lock("parent-2").is_locked(waiting)
    second.cleanup("parent-2", waiting)
    assert second.get_lock("parent-2") is None
