#!/usr/bin/env bash
# Start the local PostgreSQL and Redis servers when they are installed but not running, then check both answer.
# Exit 1 with the reason when one does not: CI (.ci/run) stops there rather than skip the tests that need it.
# Outside CI, `make test` does not call this; tests skip with a clear reason where a server is absent.
set -u
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
fi
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
fi
status=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 1
done
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "start-services: PostgreSQL does not answer on 127.0.0.1:5432 (install postgresql, or start it)" >&2
  status=1
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "start-services: Redis does not answer on 127.0.0.1:6379 (install redis-server, or start it)" >&2
  status=1
fi
exit $status
