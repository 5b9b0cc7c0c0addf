"""The web client's address behind trusted proxies (channels.client_address), and its sender key."""
from __future__ import annotations

from channels.client_address import DEFAULT_TRUSTED_PROXIES, client_address, client_key, trusted_proxies
from portal.verification_limits import client_sender_key

NO_SETTING: dict[str, str] = {}


def test_the_trusted_proxies_default_to_loopback_and_come_from_the_environment():
    assert trusted_proxies(NO_SETTING) == DEFAULT_TRUSTED_PROXIES == {"127.0.0.1", "::1"}
    assert trusted_proxies({"TRUSTED_PROXIES": " 10.0.0.5, ,10.0.0.6 "}) == {"10.0.0.5", "10.0.0.6"}
    assert trusted_proxies({"TRUSTED_PROXIES": ""}) == frozenset()


def test_a_peer_that_is_no_proxy_is_the_client_whatever_it_says():
    assert client_address("203.0.113.7", None, NO_SETTING) == "203.0.113.7"
    assert client_address("203.0.113.7", "198.51.100.1", NO_SETTING) == "203.0.113.7"
    assert client_address("127.0.0.1", "203.0.113.8", {"TRUSTED_PROXIES": "10.0.0.5"}) == "127.0.0.1"


def test_behind_a_trusted_proxy_the_client_is_the_right_most_hop_that_is_no_proxy():
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.7", NO_SETTING) == "203.0.113.7"
    assert client_address("127.0.0.1", "203.0.113.7, 127.0.0.1", NO_SETTING) == "203.0.113.7"
    proxies = {"TRUSTED_PROXIES": "10.0.0.5, 10.0.0.6"}
    assert client_address("10.0.0.5", "203.0.113.8, 10.0.0.6", proxies) == "203.0.113.8"
    assert client_address("127.0.0.1", "x" * 100, NO_SETTING) == "x" * 64


def test_the_host_itself_is_no_client():
    assert client_address("127.0.0.1", None, NO_SETTING) is None
    assert client_address("::1", "", NO_SETTING) is None
    assert client_address("", "203.0.113.7", NO_SETTING) is None
    assert client_address(None, None, NO_SETTING) is None


def test_the_client_key_is_the_keyed_hash_of_the_client_address():
    assert client_key("127.0.0.1", "203.0.113.7", NO_SETTING) == client_sender_key("203.0.113.7")
    assert client_key("203.0.113.7", None, NO_SETTING) == client_sender_key("203.0.113.7")
    assert "203.0.113.7" not in client_key("203.0.113.7", None, NO_SETTING)
    assert client_key("127.0.0.1", None, NO_SETTING) is None
