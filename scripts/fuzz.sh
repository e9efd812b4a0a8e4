#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: runs every cargo-fuzz target of crates/sip/fuzz for SECONDS
# each (default 60), and stops by itself. Exits non-zero if any target crashed (a panic,
# a sanitizer report, a leak, an input slower than FUZZ_INPUT_TIMEOUT or over the memory
# limit) and prints the crash artifact's path and bytes; scripts/test.sh runs it after
# the tests.
#
# Stable toolchain only: cargo-fuzz passes -Z flags (-Zsanitizer=address and the
# sanitizer-coverage options), which RUSTC_BOOTSTRAP=1 lets the stable compiler accept.
# AddressSanitizer works that way (the stable toolchain ships librustc-stable_rt.asan.a),
# so the targets run with cargo-fuzz's default sanitizer; no nightly is needed. The
# standard library itself is not rebuilt (no --build-std: that needs rust-src).
#
# The corpus lives in a temporary folder removed on exit. It is seeded with the RFC 4475
# torture messages from ../shared/sip-torture/rfc4475/*.dat (beside the repository) when
# they are there, and with one plain INVITE in any case. Crashes are kept in
# crates/sip/fuzz/artifacts/TARGET/ (ignored by git); to replay one:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir crates/sip/fuzz TARGET ARTIFACT
#
# Environment: FUZZ_TARGETS="a b" runs only those targets; FUZZ_INPUT_TIMEOUT (default
# 30) is libFuzzer's per-input limit in seconds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v cargo >/dev/null && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck source=/dev/null
    source "$HOME/.cargo/env"
fi

CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR=crates/sip/fuzz
SHARED_SEEDS=../shared/sip-torture/rfc4475

secs="${1:-60}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [[ "$secs" -eq 0 ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS]  (a whole number above 0; got '$secs')" >&2
    exit 2
fi
input_timeout="${FUZZ_INPUT_TIMEOUT:-30}"
export RUSTC_BOOTSTRAP=1

log() { printf '[fuzz] %s\n' "$*"; }

if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    started=$(date +%s)
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
    log "cargo-fuzz installed in $(($(date +%s) - started)) s"
fi

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir "$FUZZ_DIR")
fi
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "no fuzz targets in $FUZZ_DIR" >&2
    exit 2
fi

log "building ${targets[*]}"
started=$(date +%s)
for target in "${targets[@]}"; do
    cargo fuzz build --fuzz-dir "$FUZZ_DIR" "$target"
done
log "built in $(($(date +%s) - started)) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/sb-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seeds"
printf 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@192.0.2.1\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@192.0.2.1>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n' \
    >"$work/seeds/invite.dat"
if compgen -G "$SHARED_SEEDS/*.dat" >/dev/null; then
    cp "$SHARED_SEEDS"/*.dat "$work/seeds/"
fi
log "$(find "$work/seeds" -type f | wc -l) seed inputs"

failed=()
for target in "${targets[@]}"; do
    corpus="$work/corpus-$target"
    artifacts="$PWD/$FUZZ_DIR/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    cp "$work/seeds"/* "$corpus/"
    marker="$work/started-$target"
    touch "$marker"
    runlog="$work/$target.log"
    log "running $target for $secs s (libFuzzer output: last lines below, or the whole crash report)"
    rc=0
    # libFuzzer stops itself after max_total_time; the outer timeout only guards against
    # an input that hangs past -timeout's watchdog.
    timeout --kill-after=30 "$((secs + input_timeout + 120))" \
        cargo fuzz run --fuzz-dir "$FUZZ_DIR" "$target" "$corpus" -- \
        -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 -timeout="$input_timeout" \
        -dict="$PWD/$FUZZ_DIR/sip.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        >"$runlog" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]]; then
        # The progress lines are many; the last ones say how far it got.
        grep -E '^#[0-9]+' "$runlog" | tail -n 3 || true
        grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$runlog" || true
        log "$target: no crash"
        continue
    fi
    failed+=("$target")
    # The crash report: from libFuzzer's first error line to the end.
    start=$(grep -n -m1 -E '^(==[0-9]+==|thread .* panicked|ERROR: libFuzzer|ALARM: working)' "$runlog" | cut -d: -f1 || true)
    if [[ -n "$start" ]]; then tail -n "+$start" "$runlog" | head -n 200; else tail -n 100 "$runlog"; fi
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then log "$target: killed by the outer timeout (exit $rc)"; fi
    found=0
    while IFS= read -r artifact; do
        found=1
        log "$target: CRASH artifact $artifact ($(wc -c <"$artifact") bytes), base64:"
        base64 -w 0 "$artifact"
        echo
        head -c 512 "$artifact" | od -A d -c | head -n 40
    done < <(find "$artifacts" -type f -newer "$marker")
    if [[ $found -eq 0 ]]; then log "$target: failed (exit $rc) without an artifact"; fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    log "FAILED: ${failed[*]} (artifacts under $FUZZ_DIR/artifacts/)"
    exit 1
fi
log "all targets ran ${secs} s without a crash: ${targets[*]}"
