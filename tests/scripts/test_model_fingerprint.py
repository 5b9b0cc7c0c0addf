"""scripts/model_fingerprint.py: `make train` trains only when an input changed and keeps models/ small."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "model_fingerprint.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("model_fingerprint", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fp = load_script()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small Rasa project: data, domain, config naming a custom component, the pins, and unrelated files."""
    files = {
        "data/nlu/account.yml": "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    - hi\n",
        "data/rules/rules.yml": "version: '3.1'\nrules: []\n",
        "domain.yml": "version: '3.1'\nintents: [greet]\n",
        "config.yml": ("recipe: default.v1\npipeline:\n  - name: WhitespaceTokenizer\n"
                       "  - name: pipeline.topic_guard.TopicGuard\n    threshold: 0.45\n"
                       "policies:\n  - name: policies.action_failure.ActionFailurePolicy\n"),
        "pipeline/__init__.py": "",
        "pipeline/topic_guard.py": "THRESHOLD = 0.45\n",
        "policies/action_failure.py": "PRIORITY = 6\n",
        "requirements.txt": "rasa==3.6.21\nrasa-sdk==3.6.2\nrequests==2.31.0\n",
        "constraints.txt": "rasa==3.6.21\nnumpy==1.23.5\n",
        "README.md": "# readme\n",
        "tests/test_x.py": "def test_x():\n    pass\n",
        "actions/tickets.py": "X = 1\n",
        "knowledge.yml": "topics: {}\n",
        "models/.gitkeep": "",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def fingerprint(root: Path) -> str:
    return fp.combine(fp.current_inputs(root))


def add_model(root: Path, name: str, mtime: float) -> Path:
    model = root / "models" / name
    model.write_bytes(b"not really a model")
    os.utime(model, (mtime, mtime))
    return model


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["data/nlu/account.yml", "data/rules/rules.yml", "domain.yml", "config.yml",
                                  "pipeline/topic_guard.py", "policies/action_failure.py"])
def test_an_input_edit_changes_the_fingerprint(project: Path, name: str) -> None:
    before = fingerprint(project)
    with (project / name).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    assert fingerprint(project) != before


def test_a_new_data_file_or_domain_dir_file_changes_the_fingerprint(project: Path) -> None:
    before = fingerprint(project)
    (project / "data/nlu/new.yml").write_text("nlu: []\n", encoding="utf-8")
    with_data = fingerprint(project)
    assert with_data != before
    (project / "domain").mkdir()
    (project / "domain/responses.yml").write_text("responses: {}\n", encoding="utf-8")
    assert fingerprint(project) != with_data


@pytest.mark.parametrize("name", ["requirements.txt", "constraints.txt"])
def test_the_rasa_pin_is_an_input_but_other_pins_are_not(project: Path, name: str) -> None:
    before = fingerprint(project)
    path = project / name
    path.write_text(path.read_text(encoding="utf-8") + "pyyaml==6.0.1\n", encoding="utf-8")
    assert fingerprint(project) == before
    path.write_text(path.read_text(encoding="utf-8").replace("rasa==3.6.21", "rasa==3.6.20"), encoding="utf-8")
    assert fingerprint(project) != before


def test_a_package_config_names_is_an_input(project: Path) -> None:
    (project / "nlu_extras").mkdir()
    (project / "nlu_extras/featurizer.py").write_text("A = 1\n", encoding="utf-8")
    before = fingerprint(project)
    (project / "nlu_extras/featurizer.py").write_text("A = 2\n", encoding="utf-8")
    assert fingerprint(project) == before, "not named in config.yml yet"
    with (project / "config.yml").open("a", encoding="utf-8") as handle:
        handle.write("  - name: nlu_extras.featurizer.Featurizer\n")
    named = fingerprint(project)
    (project / "nlu_extras/featurizer.py").write_text("A = 3\n", encoding="utf-8")
    assert fingerprint(project) != named


def test_pipeline_and_policies_are_hashed_whole_even_when_config_names_no_custom_component(project: Path) -> None:
    (project / "config.yml").write_text("recipe: default.v1\npipeline:\n  - name: WhitespaceTokenizer\n",
                                        encoding="utf-8")
    before = fingerprint(project)
    (project / "pipeline/helpers.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
    with_helper = fingerprint(project)
    assert with_helper != before
    (project / "policies/action_failure.py").write_text("PRIORITY = 7\n", encoding="utf-8")
    assert fingerprint(project) != with_helper


@pytest.mark.parametrize("name", ["README.md", "tests/test_x.py", "actions/tickets.py", "knowledge.yml",
                                  "models/.gitkeep", "pipeline/__pycache__/topic_guard.cpython-310.pyc"])
def test_unrelated_files_leave_the_fingerprint_alone(project: Path, name: str) -> None:
    before = fingerprint(project)
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("changed\n", encoding="utf-8")
    assert fingerprint(project) == before


def test_check_fails_without_a_model_passes_after_record_and_fails_after_a_change(project: Path) -> None:
    result = run(project, "check")
    assert result.returncode == 1 and "no model" in result.stdout

    model = add_model(project, "20261201-100000-first.tar.gz", 1_000_000)
    result = run(project, "check")
    assert result.returncode == 1 and "no fingerprint" in result.stdout

    assert run(project, "record", str(model)).returncode == 0
    assert (project / "models/20261201-100000-first.fingerprint.json").is_file()
    result = run(project, "check")
    assert result.returncode == 0, result.stdout
    assert len(result.stdout.strip().splitlines()) == 1

    (project / "README.md").write_text("# other readme\n", encoding="utf-8")
    assert run(project, "check").returncode == 0

    (project / "domain.yml").write_text("version: '3.1'\nintents: [greet, bye]\n", encoding="utf-8")
    result = run(project, "check")
    assert result.returncode == 1
    assert "domain.yml" in result.stdout and len(result.stdout.strip().splitlines()) == 1


def test_check_looks_at_the_newest_model_the_one_rasa_loads(project: Path) -> None:
    old = add_model(project, "20261201-100000-old.tar.gz", 1_000_000)
    fp.record(project, old)
    assert fp.check(project)[0]
    add_model(project, "20261201-110000-new.tar.gz", 2_000_000)
    ok, why = fp.check(project)
    assert not ok and "new.tar.gz" in why


def test_a_snapshot_taken_before_training_is_what_gets_recorded(project: Path) -> None:
    pending = project / "models/.fingerprint-pending.json"
    assert run(project, "snapshot", str(pending)).returncode == 0
    # Edited while `rasa train` ran: the model did not see this edit, so the next check must train again.
    (project / "data/nlu/account.yml").write_text("nlu: []\n", encoding="utf-8")
    add_model(project, "20261201-100000-trained.tar.gz", 1_000_000)
    assert run(project, "record", "--from", str(pending)).returncode == 0
    result = run(project, "check")
    assert result.returncode == 1 and "data/nlu/account.yml" in result.stdout


def test_record_without_a_path_takes_the_newest_model(project: Path) -> None:
    add_model(project, "20261201-100000-a.tar.gz", 1_000_000)
    add_model(project, "20261201-090000-b.tar.gz", 2_000_000)
    assert fp.record(project) == project / "models/20261201-090000-b.fingerprint.json"
    assert run(project, "record", str(project / "models/missing.tar.gz")).returncode == 2


def test_prune_keeps_the_newest_n_and_leaves_unrelated_files_alone(project: Path) -> None:
    names = [f"2026120{day}-100000-m{day}.tar.gz" for day in range(1, 6)]
    for day, name in enumerate(names, start=1):
        fp.record(project, add_model(project, name, 1_000_000 * day))
    unrelated = ["models/.gitkeep", "models/notes.txt", "models/nlu-backup.zip", "models/.fingerprint-pending.json"]
    for name in unrelated[1:]:
        (project / name).write_text("keep me\n", encoding="utf-8")
    (project / "models/subdir.tar.gz").mkdir()

    result = run(project, "prune", "--keep", "2")
    assert result.returncode == 0
    remaining = sorted(path.name for path in (project / "models").iterdir())
    assert remaining == sorted([".gitkeep", ".fingerprint-pending.json", "notes.txt", "nlu-backup.zip",
                                "subdir.tar.gz", names[3], names[4],
                                names[3].replace(".tar.gz", ".fingerprint.json"),
                                names[4].replace(".tar.gz", ".fingerprint.json")])
    assert "m1.tar.gz" in result.stdout

    assert run(project, "prune").returncode == 0
    assert sorted(path.name for path in (project / "models").glob("*.tar.gz")) == sorted(["subdir.tar.gz", names[4]])
    assert run(project, "check").returncode == 0


def test_prune_refuses_to_keep_nothing(project: Path) -> None:
    fp.record(project, add_model(project, "20261201-100000-only.tar.gz", 1_000_000))
    assert run(project, "prune", "--keep", "0").returncode == 2
    assert (project / "models/20261201-100000-only.tar.gz").is_file()
