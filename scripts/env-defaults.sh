# Defaults for the environment variables that endpoints.yml reads. Source it: `source scripts/env-defaults.sh`.
# Rasa replaces ${NAME} in endpoints.yml but refuses to start when NAME is unset (there is no default syntax),
# so scripts/run.sh (`make run`, `make shell`) sources this file first; a variable already set always wins.
# Without anything set: one machine (SQLite tracker store in var/, in-memory lock store, local action server).
# Past one machine: TRACKER_STORE_URL=postgresql://..., LOCK_STORE_TYPE=redis, REDIS_* (docs/deploy.md).
# Keep one `: "${NAME:=value}"` per line: tests/scale read this file to start servers the same way.
_project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${ACTION_SERVER_URL:=http://localhost:${ACTION_PORT:-5055}/webhook}"
: "${ACTION_SERVER_TOKEN:=}"
: "${TRACKER_STORE_URL:=sqlite:///${_project_root}/var/rasa_tracker.db}"
: "${LOCK_STORE_TYPE:=in_memory}"
: "${REDIS_HOST:=localhost}"
: "${REDIS_PORT:=6379}"
: "${REDIS_PASSWORD:=}"
: "${REDIS_DB:=1}"
: "${LOCK_STORE_KEY_PREFIX:=}"
export ACTION_SERVER_URL ACTION_SERVER_TOKEN TRACKER_STORE_URL LOCK_STORE_TYPE REDIS_HOST REDIS_PORT REDIS_PASSWORD REDIS_DB LOCK_STORE_KEY_PREFIX
unset _project_root
