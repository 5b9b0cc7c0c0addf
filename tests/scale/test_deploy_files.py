"""The deployment files parse and hold what the deployment depends on (helm itself is not installed here:
`helm template` is how an operator checks them, docs/deploy.md). Also: endpoints.yml's variables all have
defaults, and those defaults are one machine."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from rasa.core.utils import AvailableEndpoints
from tests.e2e.servers import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
ENDPOINT_VARIABLES = {"ACTION_SERVER_URL", "ACTION_SERVER_TOKEN", "TRACKER_STORE_URL", "LOCK_STORE_TYPE", "REDIS_HOST", "REDIS_PORT",
                      "REDIS_PASSWORD", "REDIS_DB", "LOCK_STORE_KEY_PREFIX"}


def load(path: Path):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return documents[0] if len(documents) == 1 else documents


def variables(text: str) -> set[str]:
    """The ${NAME}s outside comments."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return set(re.findall(r"\$\{([A-Z_]+)\}", "\n".join(lines)))


def env_names(values: dict) -> set[str]:
    return {entry["name"] for entry in values.get("extraEnv", [])}


def defaults_env(**overrides: str) -> dict[str, str]:
    """The environment after `source scripts/env-defaults.sh`, starting from `overrides` only."""
    script = f'source "{PROJECT_ROOT}/scripts/env-defaults.sh" && env -0'
    output = subprocess.run(["bash", "-c", script], env={"PATH": "/usr/bin:/bin", **overrides},
                            capture_output=True, check=True).stdout.decode()
    return dict(item.split("=", 1) for item in output.split("\0") if "=" in item)


def read_endpoints(monkeypatch, env: dict[str, str]) -> AvailableEndpoints:
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))


def test_every_endpoints_variable_has_a_default():
    assert variables((PROJECT_ROOT / "endpoints.yml").read_text()) == ENDPOINT_VARIABLES
    assert ENDPOINT_VARIABLES <= set(defaults_env())


def test_without_environment_it_is_one_machine(monkeypatch):
    env = defaults_env()
    endpoints = read_endpoints(monkeypatch, {k: v for k, v in env.items() if k in ENDPOINT_VARIABLES})
    assert endpoints.action.url == "http://localhost:5055/webhook"
    assert (endpoints.tracker_store.type, endpoints.tracker_store.url) == (
        "channels.tracker_store.RecentTurnsSQLTrackerStore", f"sqlite:///{PROJECT_ROOT}/var/rasa_tracker.db")
    assert endpoints.lock_store.type == "in_memory"


def test_the_environment_switches_to_postgresql_and_redis(monkeypatch):
    env = defaults_env(TRACKER_STORE_URL="postgresql://rasa:secret@db:5432/rasa", REDIS_HOST="redis",
                       LOCK_STORE_TYPE="channels.lock_store.AtomicRedisLockStore", ACTION_PORT="6055")
    endpoints = read_endpoints(monkeypatch, {k: v for k, v in env.items() if k in ENDPOINT_VARIABLES})
    assert endpoints.action.url == "http://localhost:6055/webhook"
    assert endpoints.tracker_store.url == "postgresql://rasa:secret@db:5432/rasa"
    assert (endpoints.lock_store.type, endpoints.lock_store.url) == ("channels.lock_store.AtomicRedisLockStore",
                                                                      "redis")
    assert endpoints.lock_store.kwargs == {"port": "6379", "password": "", "db": "1", "key_prefix": ""}


def test_the_action_server_token_goes_with_every_action_call(monkeypatch):
    env = defaults_env(ACTION_SERVER_TOKEN="s3cret")
    endpoints = read_endpoints(monkeypatch, {k: v for k, v in env.items() if k in ENDPOINT_VARIABLES})
    assert endpoints.action.combine_parameters() == {"token": "s3cret"}
    env = defaults_env()
    endpoints = read_endpoints(monkeypatch, {k: v for k, v in env.items() if k in ENDPOINT_VARIABLES})
    assert endpoints.action.combine_parameters() == {}


def test_an_unset_variable_stops_rasa(monkeypatch):
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException, match="TRACKER_STORE_URL"):
        read_endpoints(monkeypatch, {name: "x" for name in ENDPOINT_VARIABLES - {"TRACKER_STORE_URL"}})


def test_rasa_values():
    values = load(DEPLOY / "helm" / "rasa-values.yml")
    assert values["replicaCount"] >= 2
    assert values["image"]["repository"] and values["image"]["tag"]
    settings = values["applicationSettings"]
    assert settings["initialModel"] == "" and settings["trainInitialModel"] is False
    endpoints = settings["endpoints"]
    tracker, lock = endpoints["trackerStore"], endpoints["lockStore"]
    assert tracker["enabled"] and tracker["type"] == "channels.tracker_store.RecentTurnsSQLTrackerStore" and tracker["url"] == "${TRACKER_STORE_URL}"
    # The chart's defaults read DB_* variables nobody sets: they must be removed (null).
    assert all(tracker[key] is None for key in ("dialect", "port", "username", "password", "db", "login_db"))
    assert lock["enabled"] and lock["type"] == "channels.lock_store.AtomicRedisLockStore"
    action = values["rasa-action-server"]
    assert action["install"] is False and action["external"]["enabled"]
    assert action["external"]["url"].startswith("http://parent-portal-actions.") and action["external"]["url"].endswith(
        "/webhook")
    # Every ${VAR} in the endpoints comes from extraEnv, except ACTION_SERVER_URL, which the chart sets.
    used = variables(yaml.safe_dump(endpoints))
    assert used - {"ACTION_SERVER_URL"} <= env_names(values)
    secrets = {e["name"] for e in values["extraEnv"] if "valueFrom" in e}
    assert {"RASA_AUTH_TOKEN", "TRACKER_STORE_URL", "DATABASE_URL", "REDIS_PASSWORD"} <= secrets
    assert "--auth-token=$(RASA_AUTH_TOKEN)" in values["args"]
    assert values["args"][values["args"].index("--endpoints") + 1] == "/app/endpoints.yml"
    channels = settings["credentials"]["additionalChannelCredentials"]
    ours = load(PROJECT_ROOT / "credentials.yml")
    assert set(channels) == set(ours)
    assert channels["channels.webchat.WebChatInput"] == ours["channels.webchat.WebChatInput"]
    annotations = values["ingress"]["annotations"]
    assert values["ingress"]["enabled"] and annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert "nginx.ingress.kubernetes.io/session-cookie-name" in annotations
    assert values["nginx"]["enabled"] is False
    assert values["readinessProbe"]["httpGet"]["path"] == "/"
    assert not any(values[name]["install"] for name in ("postgresql", "redis", "rabbitmq"))


def test_action_server_values():
    values = load(DEPLOY / "helm" / "action-server-values.yml")
    assert values["fullnameOverride"] == "parent-portal-actions"
    assert values["replicaCount"] >= 2
    assert values["args"][:4] == ["run", "actions", "--actions", "actions"]
    assert values["applicationSettings"]["port"] == 5055 and values["service"]["port"] == 80
    assert "DATABASE_URL" in {e["name"] for e in values["extraEnv"] if "valueFrom" in e}
    assert values["readinessProbe"]["httpGet"]["path"] == "/health"


def test_database_and_redis_values():
    postgresql = load(DEPLOY / "helm" / "postgresql-values.yml")
    assert postgresql["auth"]["database"] == "portal"
    assert "CREATE DATABASE rasa" in "".join(postgresql["primary"]["initdb"]["scripts"].values())
    redis = load(DEPLOY / "helm" / "redis-values.yml")
    assert redis["architecture"] == "standalone" and redis["auth"]["existingSecret"] == "parent-portal"


def test_helpdesk_and_migration_manifests():
    deployment, service, ingress = load(DEPLOY / "k8s" / "helpdesk.yml")
    assert [deployment["kind"], service["kind"], ingress["kind"]] == ["Deployment", "Service", "Ingress"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert {"DATABASE_URL", "RASA_URL", "RASA_AUTH_TOKEN", "HELPDESK_TOKENS", "HELPDESK_HOST"} <= set(env)
    assert env["RASA_URL"]["value"].startswith("http://parent-portal-rasa.")
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health"
    job = load(DEPLOY / "k8s" / "migrate-job.yml")
    assert job["kind"] == "Job"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["portal-admin", "migrate"]
