#!/usr/bin/env bash
# SIPp call load through Switchboard and through the anchor Asterisk, side by side, one PBX
# at a time: for each mode and each offered rate, a fresh PBX takes RATE calls/s for SECS
# seconds (UAC 1001 with digest auth -> PBX -> 1003, a SIPp UAS that answers; the caller
# hangs up 2 s after its ACK). Prints one line per PBX per step, a ratio line per step
# (Switchboard / anchor) and, at the end, the maximum sustained rate of each PBX.
#
#   bench/sip-load.sh [--quick] [--rates "50 100 ..."] [--rtp-rates "25 50 ..."] [--secs N]
#                     [--modes "b2bua b2bua-rtp"] [--pbx "anchor switchboard"] [--no-build]
#   bench/sip-load.sh --summary target/bench/sip-load-<time>   (the tables of an earlier run)
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

sustained() {   # sustained STEP -> 0 when the step meets the criteria
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exp_conc = v["offered_cps"] * v["call_len_ms"] / 1000
        ok = v["fail%"] < 0.1 && v["achieved_cps"] >= 0.95 * v["offered_cps"] && v["resp_avg_ms"] < 10 && v["peak_conc"] <= 1.25 * exp_conc + 10 && v["ok"] > 0
        exit !ok }'
}
no_failures() {   # no_failures STEP -> 0 when under 0.1 % failed and >= 95 % of the offered rate (no latency condition)
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exit !(v["fail%"] < 0.1 && v["achieved_cps"] >= 0.95 * v["offered_cps"] && v["ok"] > 0) }'
}
collapsed() {
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exit !(v["fail%"] > 5 || v["achieved_cps"] < 0.8 * v["offered_cps"]) }'
}

summarize() {   # summarize STEPS_FILE: the markdown tables of a run, from its step lines (the last line of a repeated step counts)
    local f=$1 mode rate p s a y ms ma nf best common cpc modes rates line key
    local -A R MX DD
    while IFS= read -r line; do
        case $line in pbx=*) ;; *) continue ;; esac
        case $line in *skipped:*) continue ;; esac
        key="$(kv "$line" pbx)/$(kv "$line" mode)/$(kv "$line" offered_cps)"
        R[$key]=$line
    done < "$f"
    modes=$(for k in "${!R[@]}"; do echo "${k#*/}"; done | cut -d/ -f1 | sort -u | awk '{ print ($1 == "b2bua" ? 1 : 2), $1 }' | sort -n | cut -d' ' -f2)
    rates_of() { for k in "${!R[@]}"; do case $k in */"$1"/*) echo "${k##*/}" ;; esac; done | sort -nu; }
    for mode in $modes; do
        for rate in $(rates_of "$mode"); do
            for p in switchboard anchor; do
                s=${R[$p/$mode/$rate]:-}; [ -n "$s" ] || continue
                if sustained "$s"; then MX[$p/$mode]=$rate; fi
                if collapsed "$s" && [ -z "${DD[$p/$mode]:-}" ]; then DD[$p/$mode]=$rate; fi
            done
        done
    done
    echo "## sip-load summary"
    echo
    grep '^#' "$f" | sed 's/^# */- /'
    echo
    echo "| mode | offered cps | PBX | achieved cps | ok / failed | failed % | peak conc. | INVITE→200 avg ms | PBX CPU % | CPU ms/call | peak RSS MB | other CPU % | sustained |"
    echo "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for mode in $modes; do
        for rate in $(rates_of "$mode"); do
            for p in switchboard anchor; do
                s=${R[$p/$mode/$rate]:-}; [ -n "$s" ] || continue
                if sustained "$s"; then y=yes; elif collapsed "$s"; then y="no (collapsed)"; else y=no; fi
                echo "| $mode | $rate | $p | $(kv "$s" achieved_cps) | $(kv "$s" ok) / $(kv "$s" failed) | $(kv "$s" 'fail%') | $(kv "$s" peak_conc) | $(kv "$s" resp_avg_ms) | $(kv "$s" 'pbx_cpu%') | $(kv "$s" cpu_ms_per_call) | $(kv "$s" pbx_peak_rss_mb) | $(kv "$s" 'other_cpu%') | $y |"
            done
        done
    done
    echo
    echo "| mode | offered cps | CPU per call S÷A | peak RSS S÷A | INVITE→200 S÷A | achieved cps S÷A | failed % S / A |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    for mode in $modes; do
        for rate in $(rates_of "$mode"); do
            s=${R[switchboard/$mode/$rate]:-}; a=${R[anchor/$mode/$rate]:-}
            [ -n "$s" ] && [ -n "$a" ] || continue
            echo "| $mode | $rate | $(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") | $(ratio "$(kv "$s" pbx_peak_rss_mb)" "$(kv "$a" pbx_peak_rss_mb)") | $(ratio "$(kv "$s" resp_avg_ms)" "$(kv "$a" resp_avg_ms)") | $(ratio "$(kv "$s" achieved_cps)" "$(kv "$a" achieved_cps)") | $(kv "$s" 'fail%') / $(kv "$a" 'fail%') |"
        done
    done
    echo
    echo "| mode | max sustained cps: switchboard | anchor | ratio | max cps with < 0.1 % failed (any latency): switchboard / anchor | CPU ms/call at the highest rate both sustained: switchboard / anchor |"
    echo "|---|---:|---:|---:|---|---|"
    for mode in $modes; do
        ms=${MX[switchboard/$mode]:-}; ma=${MX[anchor/$mode]:-}
        nf=""
        for p in switchboard anchor; do
            best=""
            for rate in $(rates_of "$mode"); do s=${R[$p/$mode/$rate]:-}; if [ -n "$s" ] && no_failures "$s"; then best=$rate; fi; done
            nf="$nf${nf:+ / }${best:-none}"
        done
        common=""
        for rate in $(rates_of "$mode"); do
            s=${R[switchboard/$mode/$rate]:-}; a=${R[anchor/$mode/$rate]:-}
            if [ -n "$s" ] && [ -n "$a" ] && sustained "$s" && sustained "$a"; then common=$rate; fi
        done
        cpc="-"
        if [ -n "$common" ]; then
            s=${R[switchboard/$mode/$common]}; a=${R[anchor/$mode/$common]}
            cpc="$(kv "$s" cpu_ms_per_call) / $(kv "$a" cpu_ms_per_call) = $(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") at $common cps"
        fi
        echo "| $mode | ${ms:-none}${DD[switchboard/$mode]:+ (collapsed at ${DD[switchboard/$mode]})} | ${ma:-none}${DD[anchor/$mode]:+ (collapsed at ${DD[anchor/$mode]})} | $(ratio "${ms:-0}" "${ma:-0}") | $nf | $cpc |"
    done
    echo
    echo "(the top of the rate list bounds the maximum: a PBX that sustains the highest offered rate may go further)"
}


RATES="50 100 200 300 400 600 800"
RTP_RATES="25 50 100 200 300"
SECS=30
MODES="b2bua b2bua-rtp"
PBXES="anchor switchboard"
BUILD=""
RETRY=1
BUDGET=${BENCH_BUDGET_SECS:-1260}   # no new step starts after this many seconds
while [ $# -gt 0 ]; do
    case $1 in
        --quick) RATES="50"; RTP_RATES="25"; SECS=10; RETRY=0; export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-5} ;;
        --rates) RATES=$2; shift ;;
        --rtp-rates) RTP_RATES=$2; shift ;;
        --secs) SECS=$2; shift ;;
        --modes) MODES=$2; shift ;;
        --pbx) PBXES=$2; shift ;;
        --no-build) BUILD=--no-build ;;
        --summary) summarize "$2/steps.txt"; exit 0 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
[ "$SECS" -ge 8 ] && [ "$SECS" -le 60 ] || die "--secs must be within 8..60"

bench_init sip-load
STARTED=$(date +%s)
anchor_remember
bench_cleanup_on_exit
bench_check_pbxes "$BUILD"
{
    echo "# sip-load $(date '+%F %T') on $(nproc) CPUs, $(uname -r); rates '$RATES' (rtp '$RTP_RATES'), $SECS s a step, hold $HOLD_MS ms"
    bench_versions
} | tee "$OUT/steps.txt"



declare -A RES DEAD
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
                restart_pbx "$pbx" || { AVAIL[$pbx]=""; WHY[$pbx]="did not restart"; break; }
                log "$pbx $mode $rate cps x $SECS s (attempt $attempt)"
                run_step "$pbx" "$mode" "$rate" "$SECS" "s$k.$attempt"
                # repeat once a step that someone else's CPU use contaminated (within the time budget)
                [ "$RETRY" = 1 ] && [ $(( $(date +%s) - STARTED )) -lt $(( BUDGET * 2 / 3 )) ] || break
                disturbed "$STEP" || break
                [ $attempt = 1 ] && log "other_cpu above 40 %: repeating the step"
            done
            [ -n "${AVAIL[$pbx]:-}" ] || continue
            RES[$pbx/$mode/$rate]=$STEP
            if sustained "$STEP"; then
                echo "  -> sustained" | tee -a "$OUT/steps.txt"
            elif collapsed "$STEP"; then
                DEAD[$pbx/$mode]=$rate
                echo "  -> collapsed" | tee -a "$OUT/steps.txt"
            else
                echo "  -> not sustained" | tee -a "$OUT/steps.txt"
            fi
            after_step "$pbx"
        done
        s=${RES[switchboard/$mode/$rate]:-}; a=${RES[anchor/$mode/$rate]:-}
        if [ -n "$s" ] && [ -n "$a" ]; then
            echo "ratio mode=$mode offered_cps=$rate switchboard/anchor: cpu_per_call=$(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") peak_rss=$(ratio "$(kv "$s" pbx_peak_rss_mb)" "$(kv "$a" pbx_peak_rss_mb)") resp_avg=$(ratio "$(kv "$s" resp_avg_ms)" "$(kv "$a" resp_avg_ms)") achieved_cps=$(ratio "$(kv "$s" achieved_cps)" "$(kv "$a" achieved_cps)") fail%=$(kv "$s" 'fail%') vs $(kv "$a" 'fail%')" | tee -a "$OUT/steps.txt"
        fi
    done
done

# ---------------------------------------------------------------- summary
summarize "$OUT/steps.txt" | tee "$OUT/summary.md"
log "done: $OUT/steps.txt, $OUT/summary.md"
