#!/usr/bin/env bash
# SIPp call load through Switchboard and through the anchor Asterisk, side by side, one PBX
# at a time: for each mode and each offered rate, a fresh PBX takes RATE calls/s for SECS
# seconds (UAC 1001 with digest auth -> PBX -> 1003, a SIPp UAS that answers; the caller
# hangs up 2 s after its ACK). Prints one line per PBX per step, a ratio line per step
# (Switchboard / anchor) and, at the end, the maximum sustained rate of each PBX.
#
#   bench/sip-load.sh [--quick] [--rates "50 100 ..."] [--rtp-rates "25 50 ..."] [--secs N]
#                     [--modes "b2bua b2bua-rtp"] [--pbx "anchor switchboard"] [--no-build]
#
# Modes: b2bua      signalling only (SDP offered, no RTP sent)
#        b2bua-rtp  the UAC plays 2 s of PCMU (50 packets/s), the UAS echoes it: the PBX
#                   relays RTP both ways for every concurrent call
# Sustained (a step passes): failed calls < 0.1 %, achieved rate >= 95 % of the offered one,
# average INVITE->200 time under 10 ms, peak concurrency <= 1.25 x rate x call length + 10.
# A PBX that collapses (> 5 % failed or < 80 % of the offered rate) is not given the higher
# rates of that mode. Needs root (the anchor's chroot) and the anchor set up (setup.sh).
# See bench/README.md. Output: target/bench/sip-load-<time>/ (steps.txt, summary.md, logs/).
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib/common.sh"

RATES="50 100 200 400 600 800"
RTP_RATES="25 50 100 200"
SECS=30
MODES="b2bua b2bua-rtp"
PBXES="anchor switchboard"
BUILD=""
RETRY=1
BUDGET=${BENCH_BUDGET_SECS:-1500}   # no new step starts after this many seconds
while [ $# -gt 0 ]; do
    case $1 in
        --quick) RATES="50"; RTP_RATES="25"; SECS=10; RETRY=0; export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-5} ;;
        --rates) RATES=$2; shift ;;
        --rtp-rates) RTP_RATES=$2; shift ;;
        --secs) SECS=$2; shift ;;
        --modes) MODES=$2; shift ;;
        --pbx) PBXES=$2; shift ;;
        --no-build) BUILD=--no-build ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
[ "$SECS" -ge 8 ] && [ "$SECS" -le 60 ] || die "--secs must be within 8..60"

bench_init sip-load
STARTED=$(date +%s)
anchor_remember
cleanup() {
    set +e
    local p; for p in ${OUR_SIPP:-}; do kill -TERM "$p" 2>/dev/null; done
    sb_stop
    anchor_restore
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A AVAIL WHY
for p in $PBXES; do AVAIL[$p]=1; done
if [ -n "${AVAIL[switchboard]:-}" ]; then
    if ! sb_build $BUILD; then
        AVAIL[switchboard]=""; WHY[switchboard]="release build failed (see $OUT/build.log)"
    elif ! sb_start; then
        AVAIL[switchboard]=""; WHY[switchboard]=$SB_WHY
    fi
    sb_stop
    [ -n "${AVAIL[switchboard]}" ] || log "switchboard not measured: ${WHY[switchboard]}"
fi
if [ -n "${AVAIL[anchor]:-}" ]; then
    [ -x "$ANCHOR_ROOT/usr/sbin/asterisk" ] || { AVAIL[anchor]=""; WHY[anchor]="no Asterisk in $ANCHOR_ROOT (run setup.sh)"; }
fi
{
    echo "# sip-load $(date '+%F %T') on $(nproc) CPUs, $(uname -r); rates '$RATES' (rtp '$RTP_RATES'), $SECS s a step, hold $HOLD_MS ms"
    echo "# switchboard: $(cat "$OUT/switchboard.version" 2>/dev/null || echo "-") ${WHY[switchboard]:+NOT MEASURED: ${WHY[switchboard]}}"
    echo "# anchor: $(chroot "$ANCHOR_ROOT" dpkg-query -W -f '${Version}' asterisk 2>/dev/null || echo "?") ${WHY[anchor]:+NOT MEASURED: ${WHY[anchor]}}"
} | tee "$OUT/steps.txt"

restart() {   # restart PBX: fresh process of the one under test, the other stopped if it is ours
    case $1 in
        switchboard) sb_stop; sb_start || { log "switchboard did not restart: $SB_WHY"; return 1; } ;;
        anchor) sb_stop; anchor_restart ;;
    esac
}

sustained() {   # sustained STEP -> 0 when the step meets the criteria
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exp_conc = v["offered_cps"] * v["call_len_ms"] / 1000
        ok = v["fail%"] < 0.1 && v["achieved_cps"] >= 0.95 * v["offered_cps"] && v["resp_avg_ms"] < 10 && v["peak_conc"] <= 1.25 * exp_conc + 10 && v["ok"] > 0
        exit !ok }'
}
collapsed() {
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exit !(v["fail%"] > 5 || v["achieved_cps"] < 0.8 * v["offered_cps"]) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "na" && b != "na") printf "%.2fx", a / b; else printf "n/a" }'; }

declare -A RES MAXOK DEAD
k=0
for mode in $MODES; do
    case $mode in b2bua) rates=$RATES ;; b2bua-rtp) rates=$RTP_RATES ;; *) die "unknown mode $mode" ;; esac
    for rate in $rates; do
        if [ $(( k % 2 )) = 0 ]; then order="anchor switchboard"; else order="switchboard anchor"; fi
        k=$(( k + 1 ))
        for pbx in $order; do
            [ -n "${AVAIL[$pbx]:-}" ] || continue
            if [ -n "${DEAD[$pbx/$mode]:-}" ]; then
                echo "pbx=$pbx mode=$mode offered_cps=$rate skipped: collapsed at ${DEAD[$pbx/$mode]} cps" | tee -a "$OUT/steps.txt"
                continue
            fi
            if [ $(( $(date +%s) - STARTED )) -gt "$BUDGET" ]; then
                echo "pbx=$pbx mode=$mode offered_cps=$rate skipped: time budget of $BUDGET s used up" | tee -a "$OUT/steps.txt"
                continue
            fi
            for attempt in 1 2; do
                restart "$pbx" || { AVAIL[$pbx]=""; WHY[$pbx]="did not restart"; break; }
                log "$pbx $mode $rate cps x $SECS s (attempt $attempt)"
                run_step "$pbx" "$mode" "$rate" "$SECS" "s$k.$attempt"
                # repeat once a step that someone else's CPU use contaminated (within the time budget)
                [ "$RETRY" = 1 ] && [ $(( $(date +%s) - STARTED )) -lt $(( BUDGET * 2 / 3 )) ] || break
                awk -v o="$(kv "$STEP" 'other_cpu%')" 'BEGIN { exit !(o > 40) }' || break
                [ $attempt = 1 ] && log "other_cpu above 40 %: repeating the step"
            done
            [ -n "${AVAIL[$pbx]:-}" ] || continue
            RES[$pbx/$mode/$rate]=$STEP
            if sustained "$STEP"; then
                MAXOK[$pbx/$mode]=$rate
                echo "  -> sustained" | tee -a "$OUT/steps.txt"
            elif collapsed "$STEP"; then
                DEAD[$pbx/$mode]=$rate
                echo "  -> collapsed" | tee -a "$OUT/steps.txt"
            else
                echo "  -> not sustained" | tee -a "$OUT/steps.txt"
            fi
            [ "$pbx" = switchboard ] && sb_stop
        done
        s=${RES[switchboard/$mode/$rate]:-}; a=${RES[anchor/$mode/$rate]:-}
        if [ -n "$s" ] && [ -n "$a" ]; then
            echo "ratio mode=$mode offered_cps=$rate switchboard/anchor: cpu_per_call=$(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") peak_rss=$(ratio "$(kv "$s" pbx_peak_rss_mb)" "$(kv "$a" pbx_peak_rss_mb)") resp_avg=$(ratio "$(kv "$s" resp_avg_ms)" "$(kv "$a" resp_avg_ms)") achieved_cps=$(ratio "$(kv "$s" achieved_cps)" "$(kv "$a" achieved_cps)") fail%=$(kv "$s" 'fail%') vs $(kv "$a" 'fail%')" | tee -a "$OUT/steps.txt"
        fi
    done
done

# ---------------------------------------------------------------- summary
{
    echo
    echo "## sip-load summary ($(date '+%F %T'), $(nproc) CPUs, $SECS s a step, hold $HOLD_MS ms)"
    echo
    for p in switchboard anchor; do [ -n "${WHY[$p]:-}" ] && echo "- $p: not measured: ${WHY[$p]}"; done
    echo
    echo "| mode | offered cps | PBX | achieved cps | ok / failed | failed % | peak conc. | INVITE→200 avg ms | PBX CPU % | CPU ms/call | peak RSS MB | sustained |"
    echo "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
    for mode in $MODES; do
        case $mode in b2bua) rates=$RATES ;; b2bua-rtp) rates=$RTP_RATES ;; esac
        for rate in $rates; do
            for p in switchboard anchor; do
                s=${RES[$p/$mode/$rate]:-}; [ -n "$s" ] || continue
                sustained "$s" && y=yes || y=no
                echo "| $mode | $rate | $p | $(kv "$s" achieved_cps) | $(kv "$s" ok) / $(kv "$s" failed) | $(kv "$s" 'fail%') | $(kv "$s" peak_conc) | $(kv "$s" resp_avg_ms) | $(kv "$s" 'pbx_cpu%') | $(kv "$s" cpu_ms_per_call) | $(kv "$s" pbx_peak_rss_mb) | $y |"
            done
        done
    done
    echo
    echo "| mode | max sustained cps: switchboard | anchor | ratio | CPU ms/call at the highest rate both sustained: switchboard / anchor |"
    echo "|---|---:|---:|---:|---|"
    for mode in $MODES; do
        ms=${MAXOK[switchboard/$mode]:-}; ma=${MAXOK[anchor/$mode]:-}
        common=""
        case $mode in b2bua) rates=$RATES ;; b2bua-rtp) rates=$RTP_RATES ;; esac
        for rate in $rates; do
            s=${RES[switchboard/$mode/$rate]:-}; a=${RES[anchor/$mode/$rate]:-}
            [ -n "$s" ] && [ -n "$a" ] && sustained "$s" && sustained "$a" && common=$rate
        done
        cpc="-"
        if [ -n "$common" ]; then
            s=${RES[switchboard/$mode/$common]}; a=${RES[anchor/$mode/$common]}
            cpc="$(kv "$s" cpu_ms_per_call) / $(kv "$a" cpu_ms_per_call) = $(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") at $common cps"
        fi
        echo "| $mode | ${ms:-none}${DEAD[switchboard/$mode]:+ (collapsed at ${DEAD[switchboard/$mode]})} | ${ma:-none}${DEAD[anchor/$mode]:+ (collapsed at ${DEAD[anchor/$mode]})} | $(ratio "${ms:-0}" "${ma:-0}") | $cpc |"
    done
    echo
    echo "(the rate list tops out at the highest offered rate: a PBX that sustains it may go further)"
} | tee "$OUT/summary.md"
log "done: $OUT/steps.txt, $OUT/summary.md"
