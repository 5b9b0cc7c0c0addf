"""Running portal-store work from actions without blocking the action server's event loop."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from portal.db import session_scope

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


class StoreUnavailable(RuntimeError):
    """The portal store could not be reached or failed; the parent gets a graceful reply."""


def _in_session(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    with session_scope() as session:
        return work(session, *args, **kwargs)


async def run_in_store(work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run `work(session, *args)` in a worker thread with one short-lived session."""
    try:
        return await asyncio.to_thread(_in_session, work, *args, **kwargs)
    except SQLAlchemyError as error:
        logger.error("Portal store failed: %s", type(error).__name__)
        raise StoreUnavailable(str(type(error).__name__)) from error
