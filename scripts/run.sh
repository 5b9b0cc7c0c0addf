#!/usr/bin/env bash
# Start the action server (:5055) and the Rasa server (:5005, REST channel, HTTP API behind a token).
# `scripts/run.sh shell` talks to the assistant in this terminal instead of serving HTTP.
# Stores and endpoints come from the environment (README "Configuration"); unset means one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
# endpoints.yml: action server URL, tracker store, lock store (defaults: SQLite, in-memory, localhost:5055).
source scripts/env-defaults.sh
# The portal store, the same for the action server, the help desk and Rasa's SMS channel.
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/portal.db}"
# Where the help desk delivers staff replies: this Rasa server unless told otherwise.
export RASA_URL="${RASA_URL:-http://localhost:${RASA_PORT:-5005}}"

if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  # No token in the environment: make one for this machine, kept out of git in var/.
  [ -s var/rasa_auth_token ] || "$BIN/python" -c 'import secrets; print(secrets.token_hex(24))' > var/rasa_auth_token
  RASA_AUTH_TOKEN=$(cat var/rasa_auth_token)
  echo "RASA_AUTH_TOKEN was not set; using the token in var/rasa_auth_token."
fi
export RASA_AUTH_TOKEN

if [ -z "${ACTION_SERVER_TOKEN:-}" ]; then
  # The action server takes requests only from Rasa, which sends this token (endpoints.yml).
  [ -s var/action_server_token ] || (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_hex(24))' > var/action_server_token)
  ACTION_SERVER_TOKEN=$(cat var/action_server_token)
fi
export ACTION_SERVER_TOKEN

if [ -z "${HELPDESK_TOKENS:-}" ] && [ -z "${HELPDESK_TOKENS_FILE:-}" ]; then
  # No staff tokens configured: make one district-wide token for this machine, kept out of git in var/.
  if [ ! -s var/helpdesk_tokens.json ]; then
    (umask 077; "$BIN/python" -c 'import json,secrets; print(json.dumps({secrets.token_hex(24): "district"}))' \
      > var/helpdesk_tokens.json)
  fi
  export HELPDESK_TOKENS_FILE=var/helpdesk_tokens.json
fi

"$BIN/rasa" run actions --actions actions --port "${ACTION_PORT:-5055}" > var/action_server.log 2>&1 &
ACTIONS_PID=$!
"$BIN/python" -m helpdesk serve --port "${HELPDESK_PORT:-8000}" > var/helpdesk.log 2>&1 &
HELPDESK_PID=$!
trap 'kill $ACTIONS_PID $HELPDESK_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 60); do
  "$BIN/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://localhost:${ACTION_PORT:-5055}/health" >/dev/null 2>&1 && break
  kill -0 $ACTIONS_PID 2>/dev/null || { echo "The action server failed to start; see var/action_server.log"; exit 1; }
  sleep 1
done

if [ "${1:-}" = "shell" ]; then
  "$BIN/rasa" shell --endpoints endpoints.yml
  exit 0
fi

cat <<MSG

The assistant is starting on http://localhost:${RASA_PORT:-5005} (ready when Rasa logs "Rasa server is up and running").
Talk to it from another terminal:
  curl -s localhost:${RASA_PORT:-5005}/webhooks/rest/webhook -d '{"sender":"me","message":"how do I get a parent portal account?"}'
Web chat demo page:   http://localhost:${HELPDESK_PORT:-8000}/chat/
Staff page:           http://localhost:${HELPDESK_PORT:-8000}/staff/  (token: the key in $HELPDESK_TOKENS_FILE)
HTTP API (token required):  curl -s "localhost:${RASA_PORT:-5005}/status?token=\$(cat var/rasa_auth_token)"
Or run 'make shell' to chat in a terminal. Stop with Ctrl+C.

MSG
"$BIN/rasa" run --enable-api "--auth-token=$RASA_AUTH_TOKEN" --port "${RASA_PORT:-5005}" \
  --endpoints endpoints.yml --credentials credentials.yml
