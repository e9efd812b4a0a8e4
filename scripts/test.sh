#!/usr/bin/env bash
# scripts/test.sh: the project's one test command (CI runs it via .ci/run).
#
# Owns the whole test run, from the repo root, as root on a fresh Debian 12:
#   1. installs what the tests need (PostgreSQL, and the real SIP peers the
#      end-to-end tests drive: SIPp from sip-tester, baresip-core; Node.js and
#      python3-venv for the ARI client libraries; skip with SWITCHBOARD_SKIP_APT=1),
#      then the ARI client libraries themselves at their locked versions: `npm ci`
#      and a venv with `pip install -r requirements.txt`, both in
#      crates/switchboard/tests/ari-clients (where tests/ari_clients.rs finds them),
#   2. starts a throwaway PostgreSQL on 127.0.0.1 (scripts/postgres.sh) and
#      exports SWITCHBOARD_TEST_POSTGRES for the tests; it is stopped on exit,
#   3. runs clippy (warnings are errors), then the whole workspace's tests,
#   4. then the SIP parser's fuzz targets (scripts/fuzz.sh) for
#      SWITCHBOARD_FUZZ_SECONDS each (default 30; 0 skips them).
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
else
    packages=(postgresql sip-tester baresip-core python3-venv)
    # Node.js may come from elsewhere (NodeSource bundles npm); Debian's needs npm beside it.
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
    missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [[ ${#missing[@]} == 0 ]]; then
        echo "already installed: ${packages[*]}"
    else
        # The tests run their own server; don't let the package create and start
        # the system-wide main cluster on port 5432 as well.
        mkdir -p /etc/postgresql-common/createcluster.d
        echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/switchboard-no-main.conf
        apt-get update
        apt-get install -y --no-install-recommends "${missing[@]}"
    fi
fi

section "Install the ARI client libraries (tests/ari_clients.rs)"
clients=crates/switchboard/tests/ari-clients
(cd "$clients" && npm ci --no-audit --no-fund)
# Debian's Python (python3-venv), not whatever python3 comes first on PATH.
[[ -x "$clients/.venv/bin/python" ]] || /usr/bin/python3 -m venv "$clients/.venv"
"$clients/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$clients/requirements.txt"

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

# Fuzzing, bounded in time, after the tests passed (like every step, it is
# reached only when the steps before it succeeded). Its output goes to
# target/fuzz.log and is printed only when it fails (a crash and its artifact).
fuzz_seconds="${SWITCHBOARD_FUZZ_SECONDS:-30}"
if [[ "$fuzz_seconds" != 0 ]]; then
    mkdir -p target
    if ! bash scripts/fuzz.sh "$fuzz_seconds" >target/fuzz.log 2>&1; then
        section "Fuzz (scripts/fuzz.sh $fuzz_seconds, full log in target/fuzz.log)"
        tail -n 400 target/fuzz.log
        exit 1
    fi
fi
