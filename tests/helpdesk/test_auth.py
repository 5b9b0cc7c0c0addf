"""helpdesk.auth: token configuration, scopes, constant-time lookup."""
from __future__ import annotations

import json

import pytest

from helpdesk import auth
from helpdesk.auth import Scope, TokenConfigError, TokenRegistry, bearer_token
from portal import tokens

SCHOOLS = ["org-maple-ridge-es", "org-willow-creek-ms"]
GOOD = "a" * 24
OTHER = "b" * 24


def test_scopes_from_strings_and_objects():
    registry = TokenRegistry.from_mapping(
        {GOOD: "district", OTHER: {"scope": "org-maple-ridge-es", "name": "Maple office"}}, SCHOOLS)
    assert len(registry) == 2
    district = registry.authenticate(GOOD)
    assert (district.is_district, district.school_id, district.name) == (True, None, "district staff")
    maple = registry.authenticate(OTHER)
    assert (maple.is_district, maple.school_id, maple.name) == (False, "org-maple-ridge-es", "Maple office")
    assert maple.to_dict() == {"scope": "school", "school_id": "org-maple-ridge-es", "name": "Maple office"}


def test_unknown_tokens_get_nothing():
    registry = TokenRegistry.from_mapping({GOOD: "district"}, SCHOOLS)
    for presented in (None, "", "a" * 23, "a" * 25, GOOD.upper(), " " + GOOD):
        assert registry.authenticate(presented) is None


def test_every_digest_is_compared_no_early_exit(monkeypatch):
    registry = TokenRegistry.from_mapping({GOOD: "district", OTHER: "org-maple-ridge-es", "c" * 20: "district"})
    calls = []
    real = tokens.hmac.compare_digest
    monkeypatch.setattr(tokens.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert registry.authenticate(GOOD) is not None
    assert len(calls) == 3


@pytest.mark.parametrize(
    "raw, message",
    [
        ({}, "non-empty JSON object"),
        ([GOOD], "non-empty JSON object"),
        ({"short": "district"}, "at least 16 characters"),
        ({GOOD + " ": "district"}, "at least 16 characters"),
        ({GOOD: ""}, "scope must be"),
        ({GOOD: 3}, "scope must be"),
        ({GOOD: "org-nowhere"}, "unknown school id 'org-nowhere'"),
        ({GOOD: {"name": "x"}}, "scope must be"),
    ],
)
def test_bad_configuration_is_explained_without_the_token(raw, message):
    with pytest.raises(TokenConfigError) as error:
        TokenRegistry.from_mapping(raw, SCHOOLS)
    assert message in str(error.value)
    assert GOOD not in str(error.value)


def test_from_env_json_and_file(tmp_path):
    registry = TokenRegistry.from_env({"HELPDESK_TOKENS": json.dumps({GOOD: "district"})}, SCHOOLS)
    assert registry.authenticate(GOOD).is_district
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({OTHER: "org-willow-creek-ms"}))
    registry = TokenRegistry.from_env({"HELPDESK_TOKENS_FILE": str(path)}, SCHOOLS)
    assert registry.authenticate(OTHER).school_id == "org-willow-creek-ms"
    # The variable wins over the file.
    registry = TokenRegistry.from_env({"HELPDESK_TOKENS": json.dumps({GOOD: "district"}),
                                       "HELPDESK_TOKENS_FILE": str(path)}, SCHOOLS)
    assert registry.authenticate(OTHER) is None


def test_from_env_errors(tmp_path):
    with pytest.raises(TokenConfigError, match="set HELPDESK_TOKENS or HELPDESK_TOKENS_FILE"):
        TokenRegistry.from_env({})
    with pytest.raises(TokenConfigError, match="cannot read the file"):
        TokenRegistry.from_env({"HELPDESK_TOKENS_FILE": str(tmp_path / "missing.json")})
    with pytest.raises(TokenConfigError) as error:
        TokenRegistry.from_env({"HELPDESK_TOKENS": '{"' + GOOD + '": district}'})
    assert "not valid JSON (line 1" in str(error.value) and GOOD not in str(error.value)
    with pytest.raises(TokenConfigError, match="HELPDESK_TOKENS: token #1: unknown school"):
        TokenRegistry.from_env({"HELPDESK_TOKENS": json.dumps({GOOD: "org-x"})}, SCHOOLS)


@pytest.mark.parametrize(
    "header, token",
    [(None, None), ("", None), ("Bearer", None), ("Bearer   ", None), ("Basic abc", None),
     ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc")],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token


def test_scope_allows():
    district, maple = Scope(None, "d"), Scope("org-maple-ridge-es", "m")
    assert district.allows("org-willow-creek-ms") and district.allows(None)
    assert maple.allows("org-maple-ridge-es")
    assert not maple.allows("org-willow-creek-ms") and not maple.allows(None)
