#!/usr/bin/env bash
# Install what the web chat widget's browser test needs, and nothing that downloads a browser at run time:
#   - Debian's `chromium` package (/usr/bin/chromium) and a font, through apt-get;
#   - node and npm (Debian's) when missing, then webchat/'s npm packages from its lock file
#     (axe-core for the accessibility check; socket.io-client, whose dist file is vendored into webchat/vendor/);
#   - Playwright for Python in the project venv (driver only, never `playwright install`), when the venv lacks it.
# Idempotent and quiet when everything is already there. Needs root (or sudo) only when something is missing
# from apt. Set SKIP_BROWSER_INSTALL=1 to do nothing (the browser test then skips and says why).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "${SKIP_BROWSER_INSTALL:-}" = "1" ] && exit 0

PLAYWRIGHT_PIN="playwright==1.65.2"
VENV_PY=".venv/bin/python"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need_apt+=(fonts-liberation)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "install-browser: need root to install ${need_apt[*]} (apt-get); the browser test will skip." >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install ${need_apt[*]} yourself (Chromium at /usr/bin/chromium)." >&2
    exit 1
  fi
  echo "install-browser: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "install-browser: apt-get failed; the browser test will skip." >&2
    exit 1
  fi
  rm -f "$log"
fi

# npm packages, from webchat/package-lock.json; reinstalled only when the lock file changed.
if [ ! -f webchat/node_modules/.package-lock.json ] \
   || [ webchat/package-lock.json -nt webchat/node_modules/.package-lock.json ] \
   || [ ! -f webchat/node_modules/axe-core/axe.min.js ]; then
  echo "install-browser: npm ci in webchat/"
  (cd webchat && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch webchat/node_modules/.package-lock.json
fi

# Playwright's Python driver (it drives /usr/bin/chromium; no browser is downloaded).
if [ -x "$VENV_PY" ] && ! "$VENV_PY" -c "import playwright" >/dev/null 2>&1; then
  echo "install-browser: pip install $PLAYWRIGHT_PIN"
  "$VENV_PY" -m pip install --quiet "$PLAYWRIGHT_PIN" -c constraints.txt
fi
exit 0
