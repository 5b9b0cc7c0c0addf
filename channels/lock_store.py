"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Several Rasa servers share one Redis lock store so that one conversation's messages are processed one at a
time, in order, whichever server receives them. Rasa 3.6's `RedisLockStore` changes a lock by reading it,
changing it in Python and writing it back (GET, then SET): two servers that receive messages for the same
conversation at the same moment can both read the same lock, both issue the same ticket number and then
process the two messages at the same time, or one server deletes the lock right after the other queued a
ticket on it (RasaHQ/rasa#9213; the fix in RasaHQ/rasa#11256 was reverted). Here each change is one Redis
transaction (WATCH the key, MULTI, EXEC, retried when another server changed the key in between), so tickets
are unique and served in the order they were issued. Reading and storage format are Rasa's own.

endpoints.yml (the other keys as for `type: redis`):
    lock_store:
      type: channels.lock_store.AtomicRedisLockStore
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# What a change returns: the lock to store (None: delete the key) and the value for the caller.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket issuing, expiry and clean-up are Redis transactions."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {**endpoint_config.kwargs, **kwargs}
            if endpoint_config.url:
                kwargs.setdefault("host", endpoint_config.url)
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change) -> Any:
        """Apply `change` to the stored lock in one transaction; retried if the key changed meanwhile."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # the same error Rasa raises, so its handling is unchanged
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def remove_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, remove_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this ticket; delete the lock only if no ticket is waiting, in the same transaction."""
        def finish_and_delete_if_idle(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish_and_delete_if_idle)
