"""The Dockerfile, read without a container engine (none on the machines that run these tests; docs/deploy.md):
every path it copies exists and reaches the build context through .dockerignore, the image is Rasa's 3.6.21,
the model is trained from what the training stage holds, and the image runs as a user without privileges."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Rasa's): pytest brings tomli
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
RASA_IMAGE = "rasa/rasa:3.6.21"


# ---- reading a Dockerfile ---------------------------------------------------------------------------------
@dataclass
class Stage:
    """One build stage: its base (an image or an earlier stage) and its instructions in order."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [value for key, value in self.instructions if key == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) pairs: comments dropped, backslash continuations joined."""
    result, pending = [], ""
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue  # also inside a continued instruction, as Docker does
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(found))
            found.append(Stage(name=name, base=words[0]))
        elif found:
            found[-1].instructions.append((keyword, rest))
    return found


def split_args(rest: str) -> tuple[dict[str, str], list[str]]:
    """Flags (--from=..., --chown=...) and the other words; exec form (JSON) or shell words."""
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    flags = dict(word[2:].split("=", 1) for word in words if word.startswith("--") and "=" in word)
    return flags, [word for word in words if not word.startswith("--")]


def copies(stage: Stage) -> list[tuple[dict[str, str], list[str], str]]:
    """(flags, sources, destination) of each COPY and ADD."""
    result = []
    for keyword, rest in stage.instructions:
        if keyword in ("COPY", "ADD"):
            flags, words = split_args(rest)
            result.append((flags, words[:-1], words[-1]))
    return result


def context_sources(stage: Stage) -> list[str]:
    """What the stage copies from the build context (not from another stage)."""
    return [source for flags, sources, _ in copies(stage) if "from" not in flags for source in sources]


def lineage(all_stages: list[Stage], stage: Stage) -> list[Stage]:
    """The stage and the stages it is built on, base first."""
    by_name = {s.name: s for s in all_stages}
    chain = [stage]
    while chain[0].base in by_name:
        chain.insert(0, by_name[chain[0].base])
    return chain


def normalized(path: str) -> str:
    return path.strip().removeprefix("./").rstrip("/") or "."


# ---- .dockerignore: Docker's rules (later lines win, `!` re-includes, a match on a parent directory counts) --
def translate(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression (`**`, `*`, `?`; no character classes here)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile(out)


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(re-include?, pattern) per line of a .dockerignore."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, translate(normalized(line.lstrip("!")))))
    return rules


def is_ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Is `path` (relative to the context) left out of the build context?"""
    parts = normalized(path).split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for negated, pattern in rules:
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def tracked_files(under: str) -> list[str]:
    """Files git tracks at or under `under` (the build context of a clean checkout)."""
    names = subprocess.run(["git", "ls-files", "--", under], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [name for name in names if (PROJECT_ROOT / name).is_file()]


# ---- fixtures -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def all_stages() -> list[Stage]:
    found = stages(DOCKERFILE.read_text(encoding="utf-8"))
    assert found, "no FROM in the Dockerfile"
    return found


@pytest.fixture(scope="module")
def rules() -> list[tuple[bool, re.Pattern[str]]]:
    return ignore_rules(DOCKERIGNORE.read_text(encoding="utf-8"))


# ---- the readers themselves ---------------------------------------------------------------------------------
def test_the_readers_on_a_planted_dockerfile():
    text = ("FROM rasa/rasa:3.6.21 AS base\n# a comment\nCOPY a.txt \\\n  b/ ./\nFROM base AS two\n"
            'COPY --from=base /app/x /app/x\nCOPY ["c d.txt", "/app/"]\nUSER 1001\n')
    base, two = stages(text)
    assert (base.name, base.base, two.base) == ("base", RASA_IMAGE, "base")
    assert context_sources(base) == ["a.txt", "b/"] and context_sources(two) == ["c d.txt"]
    assert [s.name for s in lineage([base, two], two)] == ["base", "two"]
    assert two.args("USER") == ["1001"]


def test_the_ignore_rules_follow_docker():
    rules = ignore_rules("*\n!app/\n!run.py\n**/__pycache__\n**/*.db\napp/secret.txt\n")
    assert is_ignored("README.md", rules) and is_ignored("var/portal.db", rules)
    assert not is_ignored("app", rules) and not is_ignored("app/sub/x.py", rules) and not is_ignored("run.py", rules)
    assert is_ignored("app/__pycache__/x.pyc", rules) and is_ignored("app/local.db", rules)
    assert is_ignored("app/secret.txt", rules)


# ---- the Dockerfile -----------------------------------------------------------------------------------------
def test_every_image_comes_from_rasa_3_6_21(all_stages):
    names = {stage.name for stage in all_stages}
    images = {stage.base for stage in all_stages if stage.base not in names}
    assert images == {RASA_IMAGE}


def test_every_copied_path_exists_and_reaches_the_build_context(all_stages, rules):
    sources = [source for stage in all_stages for source in context_sources(stage)]
    assert sources, "the Dockerfile copies nothing from the project"
    for source in sources:
        path = normalized(source)
        assert list(PROJECT_ROOT.glob(path)), f"COPY {source}: no such path in the repository"
        assert not is_ignored(path, rules), f"COPY {source}: left out of the build context by .dockerignore"


def test_every_tracked_file_under_a_copied_directory_is_in_the_context(all_stages, rules):
    """A whitelist .dockerignore must not drop part of a package (say, its migrations)."""
    for stage in all_stages:
        for source in context_sources(stage):
            dropped = [name for name in tracked_files(normalized(source)) if is_ignored(name, rules)]
            assert dropped == [], f"COPY {source}: .dockerignore leaves out {dropped[:5]}"


def test_local_state_and_secrets_stay_out_of_the_context(rules):
    for path in (".env", "deploy/.env", "var/helpdesk_tokens.json", "var/portal.db", "models/old.tar.gz",
                 ".venv/bin/python",
                 "actions/__pycache__/x.pyc", "tests/conftest.py", ".git/config", "webchat/node_modules/x/index.js"):
        assert is_ignored(path, rules), f"{path} would be sent to the Docker daemon"


def test_stages_copy_from_earlier_stages_only(all_stages):
    seen: set[str] = set()
    for stage in all_stages:
        for flags, _, _ in copies(stage):
            if "from" in flags:
                assert flags["from"] in seen, f"stage {stage.name}: COPY --from={flags['from']} is not an earlier stage"
        seen.add(stage.name)


def test_the_training_stage_has_what_rasa_train_reads(all_stages):
    training = [s for s in all_stages if any(re.search(r"\brasa train\b", run) for run in s.args("RUN"))]
    assert training, "no stage runs `rasa train`: the image would carry no model"
    copied = {normalized(source) for stage in lineage(all_stages, training[0]) for source in context_sources(stage)}
    assert {"data", "domain.yml", "config.yml"} <= copied
    # Custom NLU components and policies are imported while training: their packages must be there.
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    components = config.get("pipeline", []) + config.get("policies", [])
    custom = {entry["name"].split(".")[0] for entry in components if "." in entry["name"]}
    assert custom and custom <= copied
    # The district edits answers and schools without retraining: nothing else invalidates the model's layer.
    assert not copied & {"knowledge.yml", "district.yml", "actions", "helpdesk", "portal", "channels", "webchat"}


def test_the_final_image_holds_the_model_and_what_the_servers_read(all_stages):
    final = all_stages[-1]
    training = {s.name for s in all_stages if any("rasa train" in run for run in s.args("RUN"))}
    assert any(flags.get("from") in training and normalized(dest) == "/app/models"
               for flags, _, dest in copies(final)), "the final stage does not copy the trained model to /app/models"
    copied = {normalized(source) for stage in lineage(all_stages, final) for source in context_sources(stage)}
    packages = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    needed = {name.rstrip("*") for name in packages["include"]}
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    needed |= {entry["name"].split(".")[0] for entry in config["pipeline"] + config["policies"] if "." in entry["name"]}
    needed |= {"pyproject.toml", "requirements.txt", "constraints.txt", "endpoints.yml", "credentials.yml",
               "district.yml", "knowledge.yml", "webchat", "scripts/healthcheck.py"}
    assert needed <= copied, f"not in the image: {sorted(needed - copied)}"
    assert "data" not in {normalized(s) for s in context_sources(final)}, "training data belongs to the training stage"


def test_the_image_runs_as_a_user_without_privileges(all_stages):
    users = all_stages[-1].args("USER")
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"USER {users[-1]} is root"
    assert user.isdigit(), "a numeric USER, so Kubernetes can enforce runAsNonRoot"


def test_the_image_has_a_health_check_that_is_in_the_image(all_stages):
    checks = all_stages[-1].args("HEALTHCHECK")
    assert len(checks) == 1 and "CMD" in checks[0]
    assert "scripts/healthcheck.py" in checks[0]
    copied = {normalized(s) for stage in lineage(all_stages, all_stages[-1]) for s in context_sources(stage)}
    assert "scripts/healthcheck.py" in copied


def test_the_requirements_are_installed_with_the_constraints(all_stages):
    runs = " ".join(run for stage in lineage(all_stages, all_stages[-1]) for run in stage.args("RUN"))
    assert re.search(r"pip install .*-r requirements\.txt .*-c constraints\.txt", runs)
    assert re.search(r"pip install --no-deps -e \.", runs), "the project's packages (portal-admin) are not installed"
