"""Who a web client is: its address as seen through the trusted reverse proxies, and its sender key.

The web channels (`channels/rest.py`, `channels/webchat.py`) put the key in each message's metadata for the
per-sender limit of identity checks (`portal.verification_limits`), which only ever sees the keyed hash.

Configuration (environment): `TRUSTED_PROXIES`, comma-separated addresses whose X-Forwarded-For is believed
(default: loopback, 127.0.0.1 and ::1; empty: none).
"""
from __future__ import annotations

import os
from typing import Mapping, Optional

from portal.verification_limits import client_sender_key

DEFAULT_TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})
MAX_ADDRESS_CHARS = 64


def trusted_proxies(environ: Mapping[str, str] = os.environ) -> frozenset[str]:
    """Addresses whose X-Forwarded-For is believed: `TRUSTED_PROXIES` (comma-separated), default loopback."""
    raw = environ.get("TRUSTED_PROXIES")
    if raw is None:
        return DEFAULT_TRUSTED_PROXIES
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def client_address(peer: Optional[str], forwarded_for: Optional[str] = None,
                   environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The web client's address for the per-sender limit, or None when there is no client to limit.

    A peer that is not a trusted proxy is the client. Behind a trusted proxy, the client is the right-most
    X-Forwarded-For hop that is not itself a trusted proxy (hops further left are whatever the client sent).
    A trusted proxy naming no client is the host itself (the help desk, health checks, local tests): no key.
    """
    peer = (peer or "").strip()
    if not peer:
        return None
    trusted = trusted_proxies(environ)
    if peer not in trusted:
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:MAX_ADDRESS_CHARS]
    return None


def client_key(peer: Optional[str], forwarded_for: Optional[str] = None,
               environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The sender key of a web client seen at `peer` (see `client_address`), None when there is none."""
    return client_sender_key(client_address(peer, forwarded_for, environ))
