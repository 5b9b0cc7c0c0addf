"""Running portal-store work from actions without blocking the action server's event loop."""
from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from portal.db import in_worker_thread

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


class StoreUnavailable(RuntimeError):
    """The portal store could not be reached or failed; the parent gets a graceful reply."""


async def run_in_store(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run `work(session, *args)` in a worker thread with one short-lived session."""
    try:
        return await in_worker_thread(None, work, *args, **kwargs)
    except SQLAlchemyError as error:
        logger.error("Portal store failed: %s", type(error).__name__)
        raise StoreUnavailable(str(type(error).__name__)) from error
