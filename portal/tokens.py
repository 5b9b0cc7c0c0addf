"""Comparing secrets (bearer tokens, the action server token) without revealing them through timing."""
from __future__ import annotations

import hashlib
import hmac
from typing import Optional


def token_digest(token: str) -> bytes:
    """SHA-256 of a token: what is kept in memory and compared, so lengths and prefixes reveal nothing.

    surrogatepass: a header with bytes that are not UTF-8 reaches us with lone surrogates (never a 500)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def same_token(presented: Optional[str], digest: bytes) -> bool:
    """Is `presented` the token whose `token_digest` is `digest`? Constant time; False without a token."""
    return bool(presented) and hmac.compare_digest(token_digest(presented), digest)
