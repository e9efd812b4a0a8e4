#!/usr/bin/env bash
# Memory and state check of Switchboard under call load: after N calls have ended, the
# call/dialog/transaction/relay gauges of /metrics are back to zero and the resident memory
# is back near its baseline.
#
#   bench/memory.sh [--calls 10000] [--rate 200] [--warmup 1000] [--rounds 2] [--rtp] [--no-build]
#                   [--trim-probe]   (at the end, malloc_trim(0) through gdb: is the extra RSS
#                                     freed memory glibc kept, or live data?)
#
# 1. release build, a fresh Switchboard on its own data folder (127.0.0.1:16060/16080)
# 2. warm-up: WARMUP calls (allocator pools, database pages, caches reach their working size),
#    then wait for the gauges to drain: the baseline is RSS and /metrics at that point
# 3. CALLS calls at RATE calls/s (UAC 1001 with digest auth -> Switchboard -> 1003, a sipp
#    UAS registered at 127.0.0.1:5070; the caller hangs up 2 s after its ACK; --rtp: with
#    RTP both ways), sampling the gauges every second while the load runs
# 4. after the last call: poll /metrics for up to 35 s (transactions linger for RFC 3261
#    timers D/J/K: up to 32 s on UDP) until calls, dialogs, transactions and relays are all 0
# 5. rounds 2..N: the same load again (a leak grows round after round; the allocator's
#    high-water mark does not)
# Passes when, after every round, every gauge is 0 within that time and under 0.1 % of the
# calls failed; after round 1 RSS <= baseline + max(20 MB, 25 %); after each later round
# RSS <= the previous round's + max(10 MB, 10 %). Prints the figures; exit 0 pass, 1 fail,
# 2 could not run.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib/common.sh"

CALLS=10000; RATE=200; WARMUP=1000; ROUNDS=2; MODE=b2bua; BUILD=""; TRIM_PROBE=""
DRAIN_SECS=35
while [ $# -gt 0 ]; do
    case $1 in
        --calls) CALLS=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --rtp) MODE=b2bua-rtp ;;
        --trim-probe) TRIM_PROBE=1 ;;
        --no-build) BUILD=--no-build ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
[ "$CALLS" -ge 1 ] && [ "$CALLS" -le 100000 ] && [ "$RATE" -ge 1 ] && [ "$RATE" -le 1000 ] || die "--calls 1..100000, --rate 1..1000"

bench_init memory
SAMPLER=""
cleanup() {
    set +e
    local p; for p in ${OUR_SIPP:-} $SAMPLER; do kill -TERM "$p" 2>/dev/null; done
    sb_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sb_build $BUILD || { echo "memory: could not run: release build failed (see $OUT/build.log)"; exit 2; }
sb_start || { echo "memory: could not run: switchboard: $SB_WHY"; exit 2; }
log "switchboard pid $SB_PID, SIP $SB_SIP, metrics http://$SB_HTTP/metrics"

GAUGES="switchboard_calls_active switchboard_sip_dialogs switchboard_sip_transactions switchboard_rtp_relays"
gauges() {   # gauges [METRICS_TEXT]: "name=value ..." for GAUGES and process_resident_memory_bytes
    local m=${1-$(sb_metrics || true)} g
    for g in $GAUGES process_resident_memory_bytes; do printf '%s=%s ' "$g" "$(sb_gauge "$g" "$m")"; done
    echo
}
all_zero() {   # all_zero METRICS_TEXT
    local g v
    for g in $GAUGES; do v=$(sb_gauge "$g" "$1"); [ "$v" = 0 ] || return 1; done
}
drain() {   # drain LABEL: poll /metrics until the gauges are all 0 (up to DRAIN_SECS); sets DRAINED, DRAIN_TIME
    local t0 m i
    t0=$(now)
    DRAINED=no
    for i in $(seq 1 $(( DRAIN_SECS * 2 ))); do
        m=$(sb_metrics || true)
        if all_zero "$m"; then DRAINED=yes; break; fi
        sleep 0.5
    done
    DRAIN_TIME=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    sb_metrics > "$OUT/metrics-$1.txt" 2>/dev/null || true
    log "$1: drained=$DRAINED after ${DRAIN_TIME}s: $(gauges "$(cat "$OUT/metrics-$1.txt")")"
}

echo "# memory check $(date '+%F %T'): switchboard $(cat "$OUT/switchboard.version"), $CALLS calls at $RATE cps ($MODE), warm-up $WARMUP" | tee "$OUT/memory.txt"
START_RSS=$(rss_mb "$SB_PID")
sb_metrics > "$OUT/metrics-start.txt" || true
echo "start:    rss=${START_RSS}MB  $(gauges "$(cat "$OUT/metrics-start.txt")")" | tee -a "$OUT/memory.txt"

if [ "$WARMUP" -gt 0 ]; then
    log "warm-up: $WARMUP calls at $RATE cps"
    load_start switchboard "$MODE" "$RATE" "$WARMUP" warmup
    load_finish
    echo "warm-up:  $(kv "$LOAD" ok) ok, $(kv "$LOAD" failed) failed" | tee -a "$OUT/memory.txt"
    drain warmup
fi
sleep 2
BASE_RSS=$(rss_mb "$SB_PID")
BASE_M=$(sb_metrics || true)
printf '%s\n' "$BASE_M" > "$OUT/metrics-baseline.txt"
echo "baseline: rss=${BASE_RSS}MB  $(gauges "$BASE_M")" | tee -a "$OUT/memory.txt"

rc=0
holds() { if "$@"; then echo 0; else echo 1; fi; }
check() {   # check NAME 0|1 DETAIL (0: the condition holds)
    if [ "$2" = 0 ]; then echo "PASS $1: $3"; else echo "FAIL $1: $3"; rc=1; fi >> "$OUT/memory.txt"
    tail -1 "$OUT/memory.txt"
}

declare -a RSS_AFTER
for r in $(seq 1 "$ROUNDS"); do
    log "round $r: $CALLS calls at $RATE cps"
    load_start switchboard "$MODE" "$RATE" "$CALLS" "round$r"
    # sample the gauges once a second while the load runs (bounded by the UAC's life)
    ( while kill -0 "$LOAD_UAC" 2>/dev/null; do
          printf '%s %s rss_kb=%s\n' "$(date +%s)" "$(gauges)" "$(awk '/^VmRSS/ {print $2}' "/proc/$SB_PID/status" 2>/dev/null)"
          sleep 1
      done > "$OUT/gauges-round$r.txt" ) &
    SAMPLER=$!
    load_finish
    wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
    OK=$(kv "$LOAD" ok); FAILED=$(kv "$LOAD" failed)
    PEAKS=$(awk '{ for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[2] ~ /^[0-9]+$/ && p[2] + 0 > m[p[1]]) m[p[1]] = p[2] + 0 } }
        END { for (k in m) if (k != "process_resident_memory_bytes") printf "%s=%s ", k, m[k] }' "$OUT/gauges-round$r.txt")
    echo "round $r:  $OK ok, $FAILED failed (sipp rc $LOAD_UAC_RC), peak concurrent $(kv "$LOAD" peak), INVITE->200 avg $(kv "$LOAD" resp_avg_ms) ms, peak RSS so far $(hwm_mb "$SB_PID")MB" | tee -a "$OUT/memory.txt"
    echo "          highest gauges during the load: ${PEAKS:-none sampled}" | tee -a "$OUT/memory.txt"
    drain "round$r"
    AFTER_M=$(cat "$OUT/metrics-round$r.txt")
    sleep 2
    AFTER_RSS=$(rss_mb "$SB_PID")
    RSS_AFTER[$r]=$AFTER_RSS
    echo "after $r:  rss=${AFTER_RSS}MB  $(gauges "$AFTER_M") (drain ${DRAIN_TIME}s)" | tee -a "$OUT/memory.txt"
    for g in $GAUGES; do
        v=$(sb_gauge "$g" "$AFTER_M")
        check "round $r: $g back to 0" "$(holds [ "$v" = 0 ])" "$v after ${DRAIN_TIME}s (baseline $(sb_gauge "$g" "$BASE_M"))"
    done
    check "round $r: failed calls under 0.1 %" "$(holds awk -v ok="$OK" -v f="$FAILED" -v n="$CALLS" 'BEGIN { exit !(ok + f == n && f * 1000 < n) }')" "$FAILED failed of $CALLS ($OK ok)"
    if [ "$r" = 1 ]; then
        LIMIT=$(awk -v b="$BASE_RSS" 'BEGIN { l = b * 0.25; if (l < 20) l = 20; printf "%.1f", b + l }')
        check "round 1: resident memory back near baseline" "$(holds awk -v a="$AFTER_RSS" -v l="$LIMIT" 'BEGIN { exit !(a != "na" && a <= l) }')" "${AFTER_RSS}MB after, baseline ${BASE_RSS}MB (after the warm-up), limit ${LIMIT}MB (+max(20 MB, 25 %)); at start ${START_RSS}MB"
    else
        # the same load again: growth from one round to the next is what a leak looks like;
        # a flat figure means round 1's rise was the allocator keeping its high-water mark
        p=${RSS_AFTER[$((r - 1))]}
        LIMIT=$(awk -v b="$p" 'BEGIN { l = b * 0.10; if (l < 10) l = 10; printf "%.1f", b + l }')
        check "round $r: no RSS growth from round $((r - 1)) (leak check)" "$(holds awk -v a="$AFTER_RSS" -v l="$LIMIT" 'BEGIN { exit !(a != "na" && a <= l) }')" "${AFTER_RSS}MB after round $r, ${p}MB after round $((r - 1)), limit ${LIMIT}MB (+max(10 MB, 10 %))"
    fi
done
check "switchboard still running" "$(holds kill -0 "$SB_PID")" "pid $SB_PID"
if [ -n "$TRIM_PROBE" ] && command -v gdb >/dev/null; then
    # diagnostic only: ask glibc to give freed heap back (malloc_trim) in the running process;
    # a large drop means the RSS above baseline was freed memory the allocator kept, not live data
    before=$(rss_mb "$SB_PID")
    timeout 60 gdb -p "$SB_PID" -batch -ex 'call (int) malloc_trim(0)' >"$OUT/trim-probe.txt" 2>&1 || true
    sleep 1
    echo "trim probe: rss ${before}MB before malloc_trim(0), $(rss_mb "$SB_PID")MB after (gdb output: $OUT/trim-probe.txt)" | tee -a "$OUT/memory.txt"
fi
echo "memory: $([ $rc = 0 ] && echo PASS || echo FAIL) (details in $OUT)" | tee -a "$OUT/memory.txt"
exit $rc
