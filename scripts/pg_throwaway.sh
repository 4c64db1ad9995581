#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for tests and CI (never for real data).
#   scripts/pg_throwaway.sh start DIR   -> initdb into DIR (owned by postgres), start it on a free
#                                         loopback port, create database hebi_test with PostGIS,
#                                         print its URL on stdout (the only line printed there)
#   scripts/pg_throwaway.sh stop DIR    -> stop the cluster and remove DIR
# pg_ctl refuses to run as root, so as root every server command runs as the `postgres` user
# (runuser); as any other user it runs as that user. Trust authentication, loopback only.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "pg_throwaway: PostgreSQL is not installed (bash scripts/setup.sh --db)" >&2; exit 3; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # Sockets in the cluster's own folder: nothing outside it is touched.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres hebi_test
  as_pg "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d hebi_test -c "CREATE EXTENSION postgis" >/dev/null \
    || { echo "pg_throwaway: PostGIS is missing (bash scripts/setup.sh --db)" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$port/hebi_test"
  ;;
stop)
  if [ -d "$dir/data" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
