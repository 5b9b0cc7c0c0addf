"""deploy/compose.yml, read without a container engine: the services and their order (databases healthy,
migrations completed, then the servers), every variable endpoints.yml and credentials.yml read set where they
are read, the README's variables present, secrets only from the environment, health checks on the right ports.
Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` are resolved here the way compose does."""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = PROJECT_ROOT / "deploy" / "compose.yml"
SERVICES = {"postgres", "redis", "migrate", "actions", "rasa", "helpdesk"}
APP_SERVICES = {"migrate", "actions", "rasa", "helpdesk"}
DATABASES = {"postgres", "redis"}
REQUIRED_SECRETS = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN",
                    "HELPDESK_TOKENS", "SENDER_HASH_KEY"}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|HASH_KEY|_SID$")
REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(Exception):
    """Compose would refuse to start: a `${NAME:?message}` variable is unset or empty."""


# ---- compose's interpolation ------------------------------------------------------------------------------
def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Every string in `value` with compose's substitutions applied (`$$` is a literal `$`)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value
    return REFERENCE.sub(lambda match: _substitute(match, env), value)


def _substitute(match: re.Match[str], env: Mapping[str, str]) -> str:
    if match.group(0) == "$$":
        return "$"
    name, operator, argument = match.group(1) or match.group(4), match.group(2), match.group(3) or ""
    current = env.get(name)
    missing = not current if operator and operator.startswith(":") else current is None
    if operator in (":?", "?") and missing:
        raise MissingVariable(f"{name}: {argument}")
    if operator in (":-", "-") and missing:
        return argument
    return current or ""


def referenced(value: Any) -> set[str]:
    """Names of the variables compose substitutes anywhere in `value`."""
    if isinstance(value, dict):
        return set().union(*(referenced(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(referenced(item) for item in value)) if value else set()
    if not isinstance(value, str):
        return set()
    return {m.group(1) or m.group(4) for m in REFERENCE.finditer(value) if m.group(0) != "$$"}


# ---- reading the files ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def resolved(compose) -> dict:
    """The compose file as `docker compose config` would see it with every required secret set."""
    return interpolate(compose, {name: f"test-{name.lower()}" for name in REQUIRED_SECRETS})


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_line(service: dict) -> str:
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts.extend([value] if isinstance(value, str) else value)
    return " ".join(str(part) for part in parts)


def file_variables(path: Path) -> set[str]:
    """The ${NAME}s a Rasa configuration file reads, outside comments."""
    lines = [line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()]
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", "\n".join(lines)))


def readme_variables() -> list[list[list[str]]]:
    """The README's configuration table: per row, the alternatives (`A` / `B`), each a list of names."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        first_cell = line.split("|")[1]
        alternatives = [re.findall(r"`([A-Z][A-Z0-9_]+)`", part) for part in first_cell.split(" / ")]
        if any(alternatives):
            rows.append([names for names in alternatives if names])
    return rows


def healthcheck_module():
    name = "scripts_healthcheck"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / "healthcheck.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def depends(service: dict) -> dict[str, str]:
    """Dependency name -> condition (compose's short list form means service_started)."""
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def port_argument(service: dict) -> Optional[int]:
    found = re.search(r"--port[ =](\d+)", command_line(service))
    return int(found.group(1)) if found else None


# ---- the helpers themselves ---------------------------------------------------------------------------------
def test_interpolation_follows_compose():
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("a ${SET} $SET $$SET ${UNSET:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${UNSET}", env) == \
        "a value value $SET dflt dflt  "
    with pytest.raises(MissingVariable, match="EMPTY: set it"):
        interpolate(["${EMPTY:?set it}"], env)
    assert interpolate("${EMPTY?set it}", env) == ""
    assert referenced({"a": ["${X:?m} $$Y", "$Z"]}) == {"X", "Z"}


def test_the_readme_table_is_read():
    rows = readme_variables()
    flat = {name for row in rows for names in row for name in names}
    assert {"DATABASE_URL", "RASA_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "REDIS_HOST", "LOCK_STORE_KEY_PREFIX"} <= flat
    assert [["HELPDESK_TOKENS"], ["HELPDESK_TOKENS_FILE"]] in rows


# ---- the stack ------------------------------------------------------------------------------------------------
def test_the_stack_has_its_services(services):
    assert set(services) == SERVICES


def test_every_service_is_health_checked_or_a_one_shot_others_wait_for(services):
    waited_for = {name for service in services.values() for name, condition in depends(service).items()
                  if condition == "service_completed_successfully"}
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if name in waited_for:
            assert service.get("restart") == "no", f"{name} runs once: restarting it would loop"
            continue
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_migrations_run_first(services):
    migrate = services["migrate"]
    assert command_line(migrate) == "portal-admin migrate"  # as deploy/k8s/migrate-job.yml
    assert depends(migrate) == {"postgres": "service_healthy"}
    readers = {name for name, service in services.items() if "DATABASE_URL" in environment(service)} - {"migrate"}
    assert readers == {"actions", "rasa", "helpdesk"}
    for name in readers:
        assert depends(services[name]).get("migrate") == "service_completed_successfully", \
            f"{name} may start before the migrations"


def test_the_databases_are_waited_for_until_healthy(services, resolved):
    for name, service in resolved["services"].items():
        env = environment(service)
        uses = {"postgres"} if any("@postgres:" in value for value in env.values()) else set()
        uses |= {"redis"} if env.get("REDIS_HOST") == "redis" else set()
        conditions = depends(service)
        for database in uses:
            assert conditions.get(database) == "service_healthy", f"{name} does not wait for a healthy {database}"
        for database in DATABASES & set(conditions):
            assert conditions[database] == "service_healthy"


def test_every_variable_of_endpoints_and_credentials_is_set_where_they_are_read(services):
    readers = {"endpoints": set(), "credentials": set()}
    for name, service in services.items():
        for kind in readers:
            for path in re.findall(rf"--{kind}[ =](\S+)", command_line(service)):
                readers[kind].add(name)
                assert (PROJECT_ROOT / path).is_file(), f"{name} reads {path}, which the image does not have"
                missing = file_variables(PROJECT_ROOT / path) - set(environment(service))
                assert not missing, f"{name} reads {path} but its environment lacks {sorted(missing)}"
    assert readers["endpoints"] == {"rasa"} and readers["credentials"] == {"rasa"}
    assert file_variables(PROJECT_ROOT / "endpoints.yml"), "endpoints.yml reads no variable: is it read at all?"


def test_endpoints_resolve_to_the_stack(resolved, monkeypatch):
    """Rasa reads the repository's endpoints.yml with the rasa service's environment: PostgreSQL, Redis, actions."""
    from rasa.core.utils import AvailableEndpoints

    for name, value in environment(resolved["services"]["rasa"]).items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))
    assert endpoints.action.url == "http://actions:5055/webhook"
    assert endpoints.action.combine_parameters() == {"token": "test-action_server_token"}
    tracker = urlsplit(endpoints.tracker_store.url)
    assert (tracker.scheme, tracker.hostname, tracker.path) == ("postgresql", "postgres", "/rasa")
    lock = (endpoints.lock_store.type, endpoints.lock_store.url)
    assert lock == ("channels.lock_store.AtomicRedisLockStore", "redis")
    assert endpoints.lock_store.kwargs["password"] == "test-redis_password"


def test_the_readme_variables_are_in_compose(services):
    present = {name for service in services.values() for name in environment(service)}
    for row in readme_variables():
        assert any(set(names) <= present for names in row), f"README variable(s) {row} not set by any service"


def test_shared_settings_agree_between_services(resolved):
    envs = {name: environment(service) for name, service in resolved["services"].items()}
    for variable in ("DATABASE_URL", "SENDER_HASH_KEY", "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "DISTRICT_FILE"):
        values = {env[variable] for env in envs.values() if variable in env}
        assert len(values) == 1, f"{variable} differs between services: {values}"
    assert envs["actions"]["ACTION_SERVER_TOKEN"] == envs["rasa"]["ACTION_SERVER_TOKEN"]
    assert envs["helpdesk"]["HELPDESK_TOKENS"] and envs["rasa"]["REDIS_PASSWORD"] == envs["redis"]["REDIS_PASSWORD"]
    portal = urlsplit(envs["actions"]["DATABASE_URL"])
    assert (portal.username, portal.password) == (envs["postgres"]["POSTGRES_USER"],
                                                  envs["postgres"]["POSTGRES_PASSWORD"])
    assert portal.path == "/" + envs["postgres"]["POSTGRES_DB"]


def test_the_servers_reach_each_other_on_the_ports_they_listen_on(services, resolved):
    envs = {name: environment(service) for name, service in resolved["services"].items()}
    assert urlsplit(envs["rasa"]["ACTION_SERVER_URL"]).port == port_argument(services["actions"])
    assert urlsplit(envs["helpdesk"]["RASA_URL"]).port == port_argument(services["rasa"])
    assert envs["helpdesk"]["HELPDESK_HOST"] == "0.0.0.0", "the help desk would listen on the container's loopback"


def test_health_checks_ask_the_ports_the_servers_listen_on(services):
    targets = healthcheck_module().TARGETS
    for name, target in (("rasa", "rasa"), ("actions", "actions"), ("helpdesk", "helpdesk")):
        test = services[name]["healthcheck"]["test"]
        assert test[-2:] == ["/app/scripts/healthcheck.py", target], f"{name} checks {test}"
        listens = port_argument(services[name]) or int(environment(services[name]).get("HELPDESK_PORT", 0))
        assert listens == targets[target].default_port, f"{name} listens on {listens}, its check asks another port"


def test_the_app_services_run_the_image_of_this_repository(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = (COMPOSE.parent / build["context"]).resolve()
        assert context == PROJECT_ROOT and (context / build.get("dockerfile", "Dockerfile")).is_file()


def rasa_arguments(words: list[str]):
    """`rasa ...` words parsed by Rasa's own command line parser (a misspelt flag fails here)."""
    from rasa.__main__ import create_argument_parser

    return create_argument_parser().parse_args(words)


def test_the_commands_are_ones_the_programs_accept(services, resolved):
    rasa = resolved["services"]["rasa"]
    assert rasa["entrypoint"] == ["/bin/sh", "-c"]
    words = shlex.split(rasa["command"][0].replace("$RASA_AUTH_TOKEN", "-token-from-env"))
    assert words[:2] == ["exec", "rasa"]
    server = rasa_arguments(words[2:])
    assert (server.func.__name__, server.enable_api, server.auth_token) == ("run", True, "-token-from-env")
    assert (PROJECT_ROOT / server.endpoints).is_file() and (PROJECT_ROOT / server.credentials).is_file()
    actions = rasa_arguments(services["actions"]["command"])
    assert actions.func.__name__ == "run_actions" and (PROJECT_ROOT / actions.actions).is_dir()

    from helpdesk.__main__ import build_parser as helpdesk_parser
    from portal.cli import build_parser as admin_parser

    helpdesk = services["helpdesk"]
    assert helpdesk["entrypoint"] == ["python", "-m", "helpdesk"]
    assert helpdesk_parser().parse_args(helpdesk["command"]).handler.__name__ == "_serve"
    assert services["migrate"]["entrypoint"] == ["portal-admin"]
    assert admin_parser().parse_args(services["migrate"]["command"]).handler.__name__ == "_migrate"


def test_the_image_default_command_is_a_rasa_server_without_the_open_api():
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    default = json.loads(re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)[-1])
    server = rasa_arguments(default)
    assert server.func.__name__ == "run" and not server.enable_api, "an HTTP API without a token"
    assert (PROJECT_ROOT / server.endpoints).is_file() and server.model == "models"


# ---- secrets ----------------------------------------------------------------------------------------------------
def test_no_secret_is_written_in_compose(services):
    for name, service in services.items():
        for variable, value in environment(service).items():
            if SECRET_NAME.search(variable):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*|:-)?\}", value), \
                    f"{name}: {variable} must come from the environment (${{{variable}:?...}} or empty by default)"
            if "://" in value and "@" in value:
                password = value.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", password), f"{name}: a password in {variable}'s URL"


def test_the_repository_secret_scanner_finds_nothing():
    from tests.security.test_secrets import scan

    for path in (COMPOSE, PROJECT_ROOT / "Dockerfile", PROJECT_ROOT / "docs" / "deploy.md"):
        assert scan(path.read_text(encoding="utf-8")) == [], path


def test_the_env_file_of_the_docs_is_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=PROJECT_ROOT).returncode == 0
    tracked = subprocess.run(["git", "ls-files", "deploy/.env"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True).stdout
    assert ignored and not tracked, "deploy/.env holds the stack's secrets: git must ignore it"
    assert "deploy/.env" in (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_compose_refuses_to_start_without_each_secret(compose):
    full = {name: "x" for name in REQUIRED_SECRETS}
    interpolate(compose, full)
    for name in REQUIRED_SECRETS:
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose, {**full, name: ""})


def test_every_variable_compose_reads_is_documented(compose):
    docs = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    undocumented = sorted(name for name in referenced(compose) if f"`{name}`" not in docs)
    assert undocumented == [], f"docs/deploy.md does not mention {undocumented}"
