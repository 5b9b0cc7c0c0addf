"""portal.tokens: one digest and one constant-time comparison for every secret the services check."""
from __future__ import annotations

import hashlib

from portal.tokens import same_token, token_digest


def test_the_digest_is_sha256_and_survives_headers_that_are_not_utf8():
    assert token_digest("s3cret-token-1234") == hashlib.sha256(b"s3cret-token-1234").digest()
    assert len(token_digest("bad \udcff byte")) == 32


def test_only_the_same_token_matches():
    digest = token_digest("s3cret-token-1234")
    assert same_token("s3cret-token-1234", digest)
    assert not same_token("s3cret-token-1235", digest)
    assert not same_token("s3cret-token-123", digest)
    assert not same_token("", token_digest("")) and not same_token(None, digest)
