#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL server, its URL in CTDX_TEST_PG_URL.
# Installs the server from Debian's packages when it is missing (as root), starts it with initdb/pg_ctl
# in a temporary directory on a free loopback port, and removes it afterwards whatever the command did.
# Set CTDX_SKIP_POSTGRES=1 to run without it (the PostgreSQL tests then skip and say why).
set -euo pipefail

if [ "${CTDX_SKIP_POSTGRES:-0}" = 1 ]; then exec "$@"; fi

find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

if ! PGBIN=$(find_bin); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "with-postgres: installing the PostgreSQL server (apt-get install postgresql)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN=$(find_bin)
  else
    echo "with-postgres: no PostgreSQL server found and cannot install one; PostgreSQL tests will skip" >&2
    exec "$@"
  fi
fi

RUNAS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  RUNAS=(runuser -u postgres --)
fi

PGDATA=$(mktemp -d /tmp/ctdx-pg.XXXXXX)
chmod 700 "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT

"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U ctdx --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
export CTDX_TEST_PG_URL="postgresql+psycopg://ctdx@127.0.0.1:$PORT/postgres"
echo "with-postgres: throw-away PostgreSQL on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
