"""No secret is committed: tokens, passwords and keys come only from the environment (or files under var/, which
git ignores). Scans every tracked file outside tests/ and the fictional demo roster; the scanner is tested on
planted lines so it cannot silently stop finding anything."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = ("tests/", "portal/demo/", "webchat/vendor/", "webchat/node_modules/")
SKIPPED_SUFFIXES = (".png", ".jpg", ".ico", ".gz", ".map", ".min.js", "package-lock.json", ".csv")

# name = "literal of 12+ characters": a secret-looking assignment in Python, YAML, JSON, shell, env files.
ASSIGNED = re.compile(
    r"""(?ix)
    (?:^|[\s{,"'])                                     # start of a key
    [\w.-]*(?:token|secret|password|passwd|api[_-]?key|auth[_-]?key|private[_-]?key|credential)s?[\w.-]*
    ["']?\s*[:=]\s*                                   # : or =
    (?P<quote>["']?)(?P<value>[A-Za-z0-9_/+=.\-]{12,})(?P=quote)
    """)
KNOWN_FORMATS = {
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "Twilio API key": re.compile(r"\bSK[0-9a-f]{32}\b"),
    "Twilio account SID": re.compile(r"\bAC[0-9a-f]{32}\b"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+]*://[^/\s:@]+:(?!password@|pass@|secret@)[^/\s@$<]{4,}@"),
}
# Literals reviewed and known not to be secrets: the staff page's sessionStorage key name.
ALLOWED_VALUES = frozenset({"helpdesk.token"})
# Values that look like assignments but are code or placeholders, not secrets.
HARMLESS_VALUE = re.compile(r"^(?:os\.environ|environ|config\.|self\.|args\.|request\.|settings\.|[A-Z_]+$|"
                            r"\$\{?[A-Z_]+|None|True|False|str|bytes|Optional|bearer_token|secrets\.)")


def scan(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ASSIGNED.finditer(line):
            value, quoted = match.group("value"), bool(match.group("quote"))
            code = line[match.end():match.end() + 1] == "(" or value.startswith("var/")  # a call, a var/ path
            plain_word = not quoted and not re.search(r"\d", value)  # a name or type, not a literal
            if not (code or plain_word or value in ALLOWED_VALUES or HARMLESS_VALUE.match(value)):
                found.append(f"line {number}: assignment of a literal to {match.group(0).split('=')[0].split(':')[0].strip()!r}")
        for name, pattern in KNOWN_FORMATS.items():
            if pattern.search(line):
                found.append(f"line {number}: {name}")
    return found


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    return [PROJECT_ROOT / name for name in names.splitlines()
            if not name.startswith(SKIPPED_DIRS) and not name.endswith(SKIPPED_SUFFIXES)]


def test_no_secret_in_any_tracked_file():
    findings = {}
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits = scan(text)
        if hits:
            findings[str(path.relative_to(PROJECT_ROOT))] = hits
    assert findings == {}


def test_generated_secrets_are_never_tracked():
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/helpdesk_tokens.json"], cwd=PROJECT_ROOT).returncode
    assert ignored == 0, "var/ (generated tokens, databases) must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", "var", ".env"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    assert tracked == ""


@pytest.mark.parametrize("line", [
    'RASA_AUTH_TOKEN = "3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6"',
    "  auth_token: 3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6",
    '{"api_key": "live_3f9a0c1d2e4b5a69"}',
    "export TWILIO_AUTH_TOKEN=0123456789abcdef0123",
    "password = 'correct-horse-battery'",
    "url: postgresql://rasa:hunter2hunter2@db:5432/rasa",
    "-----BEGIN RSA PRIVATE KEY-----",
    "sid = AC0123456789abcdef0123456789abcdef",
])
def test_the_scanner_finds_planted_secrets(line):
    assert scan(line)


@pytest.mark.parametrize("line", [
    'token = os.environ.get("RASA_AUTH_TOKEN")',
    "  url: ${TRACKER_STORE_URL}",
    "token = bearer_token(header)",
    "RASA_AUTH_TOKEN: generated into var/rasa_auth_token",
    'self.token = token',
    "password: ${REDIS_PASSWORD}",
])
def test_the_scanner_leaves_code_and_placeholders_alone(line):
    assert scan(line) == []
