"""helpdesk.config: everything from the environment, with clear errors."""
from __future__ import annotations

import json

import pytest

from helpdesk import config as config_module
from helpdesk.config import ConfigError, ExternalConfig, HelpdeskConfig

TOKENS = json.dumps({"t" * 20: "district", "m" * 20: "org-maple-ridge-es"})


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(config_module, "RASA_TOKEN_FILE", tmp_path / "none")
    config = HelpdeskConfig.from_env({"HELPDESK_TOKENS": TOKENS})
    assert (config.host, config.port, config.rasa_url, config.rasa_token) == (
        "127.0.0.1", 8000, "http://localhost:5005", None)
    assert (config.database_url, config.external, config.outbox_worker) == (None, None, True)
    assert len(config.tokens) == 2
    assert "t" * 20 not in repr(config)


def test_overrides(monkeypatch, tmp_path):
    token_file = tmp_path / "rasa_auth_token"
    token_file.write_text("from-file\n")
    monkeypatch.setattr(config_module, "RASA_TOKEN_FILE", token_file)
    env = {
        "HELPDESK_TOKENS": TOKENS, "HELPDESK_HOST": "0.0.0.0", "HELPDESK_PORT": "8100",
        "DATABASE_URL": "sqlite:///x.db", "RASA_URL": "http://rasa:5005/", "HELPDESK_OUTBOX_WORKER": "0",
        "HELPDESK_HTTP_READ_TIMEOUT": "2.5", "HELPDESK_EXTERNAL_KIND": "webhook",
        "HELPDESK_EXTERNAL_URL": "https://hooks.example.org/tickets/",
    }
    config = HelpdeskConfig.from_env(env)
    assert (config.host, config.port, config.database_url, config.rasa_url) == (
        "0.0.0.0", 8100, "sqlite:///x.db", "http://rasa:5005")
    assert config.rasa_token == "from-file"  # RASA_AUTH_TOKEN unset: the file `make run` writes
    assert (config.outbox_worker, config.read_timeout) == (False, 2.5)
    assert (config.external.kind, config.external.url) == ("webhook", "https://hooks.example.org/tickets")
    assert HelpdeskConfig.from_env({**env, "RASA_AUTH_TOKEN": "env-token"}).rasa_token == "env-token"


def test_outbox_commands_need_no_tokens():
    assert len(HelpdeskConfig.from_env({}, require_tokens=False).tokens) == 0


@pytest.mark.parametrize(
    "env, message",
    [
        ({"HELPDESK_PORT": "http"}, "HELPDESK_PORT must be a whole number"),
        ({"HELPDESK_PORT": "70000"}, "must be a TCP port"),
        ({"HELPDESK_HTTP_READ_TIMEOUT": "-1"}, "must be positive"),
        ({"HELPDESK_HTTP_READ_TIMEOUT": "soon"}, "must be a number"),
        ({"HELPDESK_EXTERNAL_KIND": "jira"}, "must be one of webhook, zendesk, freshdesk, osticket"),
        ({"HELPDESK_EXTERNAL_KIND": "webhook"}, "HELPDESK_EXTERNAL_URL must be an http(s) URL"),
        ({"HELPDESK_EXTERNAL_KIND": "zendesk", "HELPDESK_EXTERNAL_URL": "https://x.zendesk.com"},
         "needs HELPDESK_EXTERNAL_EMAIL, HELPDESK_EXTERNAL_API_TOKEN"),
        ({"HELPDESK_EXTERNAL_KIND": "freshdesk", "HELPDESK_EXTERNAL_URL": "https://x.freshdesk.com",
          "HELPDESK_EXTERNAL_API_KEY": "k"}, "needs HELPDESK_EXTERNAL_REQUESTER_EMAIL"),
    ],
)
def test_errors(env, message):
    with pytest.raises(ConfigError) as error:
        HelpdeskConfig.from_env({"HELPDESK_TOKENS": TOKENS, **env})
    assert message in str(error.value)


def test_external_config_for_each_kind():
    base = {"HELPDESK_EXTERNAL_URL": "https://desk.example.org"}
    assert ExternalConfig.from_env({}) is None
    zendesk = ExternalConfig.from_env({**base, "HELPDESK_EXTERNAL_KIND": "Zendesk", "HELPDESK_EXTERNAL_EMAIL": "a@b.c",
                                       "HELPDESK_EXTERNAL_API_TOKEN": "tok"})
    assert (zendesk.kind, zendesk.email, zendesk.api_token) == ("zendesk", "a@b.c", "tok")
    osticket = ExternalConfig.from_env({**base, "HELPDESK_EXTERNAL_KIND": "osticket", "HELPDESK_EXTERNAL_API_KEY": "k",
                                        "HELPDESK_EXTERNAL_REQUESTER_EMAIL": "bot@b.c",
                                        "HELPDESK_EXTERNAL_REQUESTER_NAME": "Assistant"})
    assert (osticket.api_key, osticket.requester_email, osticket.requester_name) == ("k", "bot@b.c", "Assistant")
