#!/usr/bin/env bash
# Starts the machine's own PostgreSQL and Redis when they do not answer (CI and fresh machines).
# Uses the installed servers; installs nothing. Run by `npm test` (pretest). A server named by
# TEST_DATABASE_URL or TEST_REDIS_URL is the caller's to run: it is not checked here.
set -euo pipefail

pg_answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then echo "$what answers"; return 0; fi
    sleep 0.5
  done
  echo "$what did not start" >&2
  return 1
}

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL: the tests use TEST_DATABASE_URL"
elif pg_answers; then
  echo "PostgreSQL answers"
else
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  else
    echo "PostgreSQL does not answer on 127.0.0.1:5432 and pg_ctlcluster is missing: install PostgreSQL or set TEST_DATABASE_URL" >&2
    exit 1
  fi
  wait_for PostgreSQL pg_answers
fi

if [ -n "${TEST_REDIS_URL:-}" ]; then
  echo "Redis: the tests use TEST_REDIS_URL"
elif redis_answers; then
  echo "Redis answers"
else
  echo "starting Redis"
  if ! command -v redis-server >/dev/null; then
    echo "Redis does not answer on 127.0.0.1:6379 and redis-server is missing: install Redis or set TEST_REDIS_URL" >&2
    exit 1
  fi
  # BullMQ requires noeviction; nothing is kept on disk.
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir /tmp --logfile /tmp/candor-redis.log
  wait_for Redis redis_answers
fi
