#!/usr/bin/env bash
# scripts/test.sh: the project's one test command (CI runs it via .ci/run).
#
# Owns the whole test run, from the repo root, as root on a fresh Debian 12:
#   1. installs what the tests need (PostgreSQL; skip with SWITCHBOARD_SKIP_APT=1),
#   2. starts a throwaway PostgreSQL on 127.0.0.1 (scripts/postgres.sh) and
#      exports SWITCHBOARD_TEST_POSTGRES for the tests; it is stopped on exit,
#   3. runs clippy (warnings are errors), then the whole workspace's tests.
# Exits non-zero if any step fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v cargo >/dev/null && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck source=/dev/null
    source "$HOME/.cargo/env"
fi

section() { printf '\n==== %s ====\n' "$*"; }

section "Install test dependencies"
if [[ "${SWITCHBOARD_SKIP_APT:-0}" == 1 ]]; then
    echo "SWITCHBOARD_SKIP_APT=1: skipping apt"
elif dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed'; then
    echo "postgresql is already installed"
else
    # The tests run their own server; don't let the package create and start
    # the system-wide main cluster on port 5432 as well.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/switchboard-no-main.conf
    apt-get update
    apt-get install -y --no-install-recommends postgresql
fi

section "Start throwaway PostgreSQL"
source scripts/postgres.sh
on_exit() {
    local rc=$?
    pg_stop
    if [[ $rc -ne 0 ]]; then section "FAILED (exit $rc)"; fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start
export SWITCHBOARD_TEST_POSTGRES="$PG_URL"
echo "SWITCHBOARD_TEST_POSTGRES=$SWITCHBOARD_TEST_POSTGRES"

section "Clippy"
cargo clippy --workspace --all-targets -- -D warnings

section "Tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
else
    cargo test --workspace --no-fail-fast
fi
# Nothing is printed after this point on success, so the test runner's own
# summary stays the last line of the log.
