#!/usr/bin/env bash
# scripts/postgres.sh: owns the throwaway PostgreSQL server used by the tests.
#
# It runs its own cluster in a fresh temp dir, listening on 127.0.0.1 only
# (TCP and a unix socket inside that temp dir), trust auth, with a superuser
# role `switchboard` and a database `switchboard`. Nothing else is touched.
#
# As a command (for developers):
#   scripts/postgres.sh start   # prints postgres://switchboard@127.0.0.1:PORT/switchboard
#   scripts/postgres.sh stop    # stops it and removes its temp dir
# The running instance is remembered in $SWITCHBOARD_PG_STATE
# (default: /tmp/switchboard-postgres.state).
#
# Sourced (as scripts/test.sh does): defines pg_start and pg_stop, which set
# and use PG_DIR / PG_PORT / PG_URL in the calling shell and keep no state file.

PG_DIR="" PG_PORT="" PG_URL=""

pg_bin() { # newest installed server binaries, e.g. /usr/lib/postgresql/15/bin
    local bin
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -x "$bin/initdb" ]] || { echo "postgres.sh: no PostgreSQL server found (apt-get install postgresql)" >&2; return 1; }
    echo "$bin"
}

pg_as_owner() { # initdb and the server refuse to run as root
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$PG_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PG_DIR" && "$@")
    fi
}

pg_free_port() { # first port from 55432 with nothing listening on 127.0.0.1
    local port
    for port in $(seq 55432 55532); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    echo "postgres.sh: no free port in 55432-55532" >&2
    return 1
}

pg_start() {
    local bin
    bin=$(pg_bin) || return 1
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-pg.XXXXXX") || return 1
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PG_DIR" || return 1; fi
    PG_PORT=$(pg_free_port) || return 1

    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # Only the server's own socket and 127.0.0.1 may connect at all.
    # (Rewriting existing files keeps their owner, so this works as root too.)
    printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >"$PG_DIR/data/pg_hba.conf"
    cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }

    local admin="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    psql -q -v ON_ERROR_STOP=1 "$admin" -c 'CREATE ROLE switchboard LOGIN SUPERUSER' >/dev/null || return 1
    psql -q -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE switchboard OWNER switchboard' >/dev/null || return 1
    PG_URL="postgres://switchboard@127.0.0.1:$PG_PORT/switchboard"
}

pg_stop() {
    [[ -n "$PG_DIR" && -d "$PG_DIR" ]] || return 0
    local bin
    if [[ -f "$PG_DIR/data/postmaster.pid" ]] && bin=$(pg_bin); then
        pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null \
            || pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$PG_DIR"
    PG_DIR="" PG_PORT="" PG_URL=""
}

# Run as a command rather than sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    state=${SWITCHBOARD_PG_STATE:-${TMPDIR:-/tmp}/switchboard-postgres.state}
    case "${1:-}" in
        start)
            if [[ -f "$state" ]]; then
                echo "postgres.sh: already started (see $state); run '$0 stop' first" >&2
                exit 1
            fi
            pg_start || { pg_stop; exit 1; }
            printf '%s\n%s\n%s\n' "$PG_DIR" "$PG_PORT" "$PG_URL" >"$state"
            echo "$PG_URL"
            ;;
        stop)
            [[ -f "$state" ]] || { echo "postgres.sh: not running" >&2; exit 0; }
            { read -r PG_DIR; read -r PG_PORT; read -r PG_URL; } <"$state"
            pg_stop
            rm -f "$state"
            ;;
        *)
            echo "usage: $0 start|stop" >&2
            exit 2
            ;;
    esac
fi
