"""`sms_store(url).contact(ANA)`: a `portal.sms` function called as one unit of work on the store at `url` (the
store's functions take the caller's session; tests, like the channel, open one short session per call)."""
from __future__ import annotations

from typing import Any, Callable

from portal import db
from portal import sms as store


class _StoreAt:
    def __init__(self, url: str) -> None:
        self.url = url

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with db.session_scope(self.url) as session:
                return function(session, *args, **kwargs)

        return call


def sms_store(url: str) -> _StoreAt:
    return _StoreAt(url)
