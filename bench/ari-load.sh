#!/usr/bin/env bash
# ARI under load, on Switchboard and on the anchor Asterisk in one run, one PBX at a time:
# the same ARI application (bench/lib/ari_load.py) and the same SIPp load on each.
#
#   bench/ari-load.sh [--quick] [--parts "rest originate events"] [--pbx "anchor switchboard"]
#                     [--channels N] [--setup-cps R] [--conc "1 4 16"] [--get-secs S]
#                     [--originate-rates "25 50 100 200 400"] [--originate-secs S]
#                     [--event-cps R] [--event-secs S] [--connections N] [--sb-app NAME] [--no-build]
#   bench/ari-load.sh --summary target/bench/ari-load-<time>   (the tables of an earlier run)
#
# Parts (each on a fresh PBX, both PBXes one after the other, the order alternating):
#   rest       sipp (1001, digest auth) calls the Stasis number 700 CHANNELS times at SETUP_CPS;
#              the app answers every StasisStart (POST /channels/{id}/answer) and keeps the
#              channels up; with all of them up it checks GET /ari/channels lists them, times
#              GET /ari/channels with wrk (keep-alive, closed loop) at each connection count
#              for GET_SECS, then DELETEs every channel and checks the list is empty
#   originate  POST /ari/channels?endpoint=PJSIP/1003&app=APP to a sipp UAS that answers
#              (1003 on 127.0.0.1:5070), at each offered rate for ORIGINATE_SECS: originates/s
#              reaching StasisStart, failures, POST and originate->StasisStart latency; the
#              app hangs each channel up 0.5 s after its StasisStart; a rate that collapses
#              (> 5 % failed or < 80 % of the offered rate) ends the series
#   events     sipp calls 700 at EVENT_CPS for EVENT_SECS; the app answers each call and hangs
#              it up after 1 s; every event's delivery delay (receive time minus its
#              `timestamp`, ms resolution), events lost (calls without StasisStart/StasisEnd)
#              or late (> 100 ms), sipp's INVITE->200 time (which includes the app's answer)
# The app is `test` on the anchor (700 -> Stasis(test)), `demo` on Switchboard (--sb-app;
# `serve --demo` routes 700 there). ARI user asterisk/asterisk on both. Prints one line per
# measurement and a ratio line (Switchboard / anchor) per part, writes summary.md.
# Needs root (the anchor's chroot), the anchor set up, wrk, python3 (the client's pinned
# aiohttp is installed into target/bench/.venv-ari on first use). See bench/README.md.
# Output: target/bench/ari-load-<time>/ (steps.txt, summary.md, logs/).
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib/common.sh"

ARI_USER=asterisk:asterisk       # the anchor's ari.conf; Switchboard gets it through SWITCHBOARD_ARI_USERS
AN_APP="test"                    # the anchor's 700: Stasis(test)
STASIS_NUMBER=700
CALLEE=1003                      # the sipp UAS of the originate part (the anchor's static contact 127.0.0.1:5070)
LATE_MS=100

# ---------------------------------------------------------------- summary
# Result lines: "pbx=P part=X kind=K key=value ..." (kind: the ari_load.py line, or sipp).
# (the last matching line, or nothing: never a failure, so that `x=$(pick ...)` is safe under set -e)
last_match() { { grep -E "$1" "$2" || true; } | tail -1; }   # last_match REGEX FILE
pick() { last_match "^pbx=$1 part=$2 kind=$3( |$)" "$4"; }   # pick PBX PART KIND FILE
get_line() { last_match "^pbx=$1 part=rest kind=get conc=$2 " "$3"; }   # get_line PBX CONC FILE
originate_line() { last_match "^pbx=$1 part=originate kind=originate offered_ps=$2 " "$3"; }   # originate_line PBX RATE FILE

both_positive() {   # both_positive KEY LINE_S LINE_A: both lines exist and KEY is above 0 in each (a ratio means something)
    [ -n "$2" ] && [ -n "$3" ] && awk -v a="$(kv "$2" "$1")" -v b="$(kv "$3" "$1")" 'BEGIN { exit !(a + 0 > 0 && b + 0 > 0) }'
}

wrk_errors() {   # wrk_errors GET_LINE: non-2xx answers and socket errors of a wrk run
    awk -v s="$1" 'BEGIN { n = split(s, kv, " "); for (i = 1; i <= n; i++) if (kv[i] ~ /^err_/) { split(kv[i], p, "="); e += p[2] } print e + 0 }'
}

originate_sustained() {   # originate_sustained LINE: under 0.1 % failed, >= 95 % of the offered rate, StasisStart p99 under 100 ms
    awk -v s="$1" 'BEGIN {
        n = split(s, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        exit !(v["started"] > 0 && v["fail%"] < 0.1 && v["achieved_ps"] >= 0.95 * v["offered_ps"] && v["start_p99_ms"] != "na" && v["start_p99_ms"] < 100) }'
}

summarize() {   # summarize STEPS_FILE: the markdown tables of a run
    local f=$1 p c s a r line rates concs best rows
    echo "## ari-load summary"
    echo
    grep '^#' "$f" | sed 's/^# */- /'
    echo
    if grep -q '^pbx=[a-z]* part=rest ' "$f"; then
        echo "### GET /ari/channels with the channels up (wrk, keep-alive)"
        echo
        echo "| PBX | channels up / listed | connections | requests | req/s | p50 ms | p99 ms | max ms | KB per response | errors | PBX CPU % | PBX CPU µs per request | wrk CPU % | other CPU % |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
        concs=$({ grep -E '^pbx=[a-z]+ part=rest kind=get ' "$f" || true; } | sed 's/.* conc=\([0-9]*\) .*/\1/' | sort -nu)
        for p in switchboard anchor; do
            s=$(pick "$p" rest setup "$f"); [ -n "$s" ] || continue
            a=$(pick "$p" rest list_before "$f")
            for c in $concs; do
                line=$(get_line "$p" "$c" "$f"); [ -n "$line" ] || continue
                echo "| $p | $(kv "$s" up) / $(kv "$a" count) | $c | $(kv "$line" requests) | $(kv "$line" rps) | $(kv "$line" p50_ms) | $(kv "$line" p99_ms) | $(kv "$line" max_ms) | $(awk -v b="$(kv "$line" bytes_per_resp)" 'BEGIN { printf "%.0f", b / 1024 }') | $(wrk_errors "$line") | $(kv "$line" 'pbx_cpu%') | $(kv "$line" cpu_us_per_req) | $(kv "$line" 'wrk_cpu%') | $(kv "$line" 'other_cpu%') |"
            done
            [ -n "$(get_line "$p" 1 "$f")$(get_line "$p" 4 "$f")" ] || echo "| $p | $(kv "$s" up) of $(kv "$s" channels) up$( [ -n "$a" ] && echo ", list: $(kv "$a" status) $(kv "$a" answer)") | - | - | - | - | - | - | - | - | - | - | - | - |"
        done
        echo
        echo "| PBX | set-up: started / up of N, answer p50 / p99 ms | teardown: deleted, not ended, left listed, DELETE p50 / p99 ms | sipp ok / failed |"
        echo "|---|---|---|---|"
        for p in switchboard anchor; do
            s=$(pick "$p" rest setup "$f"); [ -n "$s" ] || continue
            line=$(pick "$p" rest teardown "$f"); r=$(pick "$p" rest sipp "$f")
            echo "| $p | $(kv "$s" started) / $(kv "$s" up) of $(kv "$s" channels), $(kv "$s" answer_p50_ms) / $(kv "$s" answer_p99_ms) | $(kv "$line" deleted), $(kv "$line" not_ended), $(kv "$line" left_listed), $(kv "$line" delete_p50_ms) / $(kv "$line" delete_p99_ms) | $(kv "$r" ok) / $(kv "$r" failed) |"
        done
        echo
        rows=""
        for c in $concs; do
            s=$(get_line switchboard "$c" "$f"); a=$(get_line anchor "$c" "$f")
            [ -n "$s" ] && [ -n "$a" ] || continue
            [ -n "$rows" ] || { echo "| connections | p50 S÷A | p99 S÷A | req/s S÷A | CPU per request S÷A |"; echo "|---:|---:|---:|---:|---:|"; }
            rows=1
            echo "| $c | $(ratio "$(kv "$s" p50_ms)" "$(kv "$a" p50_ms)") | $(ratio "$(kv "$s" p99_ms)" "$(kv "$a" p99_ms)") | $(ratio "$(kv "$s" rps)" "$(kv "$a" rps)") | $(ratio "$(kv "$s" cpu_us_per_req)" "$(kv "$a" cpu_us_per_req)") |"
        done
        [ -n "$rows" ] || echo "(no ratios: GET /ari/channels was not measured on both PBXes)"
        echo
    fi
    if grep -q '^pbx=[a-z]* part=originate ' "$f"; then
        echo "### Originate + answer (POST /ari/channels -> StasisStart)"
        echo
        echo "| PBX | offered /s | achieved /s | sent | StasisStart | failed % | POST p50 / p99 ms | originate→StasisStart p50 / p99 / max ms | PBX CPU % | CPU ms per originate | other CPU % | sustained | failures |"
        echo "|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|"
        rates=$({ grep -E '^pbx=[a-z]+ part=originate kind=originate ' "$f" || true; } | sed 's/.* offered_ps=\([0-9.]*\) .*/\1/' | sort -nu)
        for r in $rates; do
            for p in switchboard anchor; do
                line=$(originate_line "$p" "$r" "$f"); [ -n "$line" ] || continue
                if [ -n "$(kv "$line" skipped)" ]; then echo "| $p | $r | skipped: $(kv "$line" skipped) |||||||||||"; continue; fi
                if originate_sustained "$line"; then y=yes; else y=no; fi
                echo "| $p | $r | $(kv "$line" achieved_ps) | $(kv "$line" sent) | $(kv "$line" started) | $(kv "$line" 'fail%') | $(kv "$line" post_p50_ms) / $(kv "$line" post_p99_ms) | $(kv "$line" start_p50_ms) / $(kv "$line" start_p99_ms) / $(kv "$line" start_max_ms) | $(kv "$line" 'pbx_cpu%') | $(kv "$line" cpu_ms_per_originate) | $(kv "$line" 'other_cpu%') | $y | $(printf '%s\n' "$line" | tr ' ' '\n' | grep '^fail_' | tr '\n' ' ') |"
            done
        done
        echo
        rows=""
        for r in $rates; do
            s=$(originate_line switchboard "$r" "$f"); a=$(originate_line anchor "$r" "$f")
            both_positive started "$s" "$a" || continue
            [ -n "$rows" ] || { echo "| offered /s | achieved S÷A | StasisStart p50 S÷A | p99 S÷A | CPU per originate S÷A | failed % S / A |"; echo "|---:|---:|---:|---:|---:|---|"; }
            rows=1
            echo "| $r | $(ratio "$(kv "$s" achieved_ps)" "$(kv "$a" achieved_ps)") | $(ratio "$(kv "$s" start_p50_ms)" "$(kv "$a" start_p50_ms)") | $(ratio "$(kv "$s" start_p99_ms)" "$(kv "$a" start_p99_ms)") | $(ratio "$(kv "$s" cpu_ms_per_originate)" "$(kv "$a" cpu_ms_per_originate)") | $(kv "$s" 'fail%') / $(kv "$a" 'fail%') |"
        done
        [ -n "$rows" ] || echo "(no ratios: no rate reached StasisStart on both PBXes)"
        echo
        for p in switchboard anchor; do
            best=""
            for r in $rates; do line=$(originate_line "$p" "$r" "$f"); [ -n "$line" ] && originate_sustained "$line" && best=$r; done
            if grep -q "^pbx=$p part=originate kind=originate " "$f"; then echo "- $p: highest sustained originate rate ${best:-none} /s (of the rates offered; under 0.1 % failed, ≥ 95 % of the offered rate, StasisStart p99 < 100 ms)"; fi
        done
        echo
    fi
    if grep -q '^pbx=[a-z]* part=events ' "$f"; then
        echo "### WebSocket event delivery under a call load"
        echo
        echo "| PBX | calls/s × s | sipp created / ok / failed | StasisStart / StasisEnd | missing start / end | StasisStart delay p50 / p99 / max ms | all events p50 / p99 / max ms | late > ${LATE_MS} ms / > 1 s | events (per call) | INVITE→200 avg ms (app answers) | PBX CPU % | CPU ms per call | client CPU % | other CPU % |"
        echo "|---|---|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|"
        for p in switchboard anchor; do
            line=$(pick "$p" events events "$f"); [ -n "$line" ] || continue
            r=$(pick "$p" events sipp "$f")
            echo "| $p | $(kv "$r" offered_cps) × $(kv "$r" secs) | $(kv "$r" created) / $(kv "$r" ok) / $(kv "$r" failed) | $(kv "$line" stasis_start) / $(kv "$line" stasis_end) | $(kv "$line" missing_start) / $(kv "$line" missing_end) | $(kv "$line" start_delay_p50_ms) / $(kv "$line" start_delay_p99_ms) / $(kv "$line" start_delay_max_ms) | $(kv "$line" all_delay_p50_ms) / $(kv "$line" all_delay_p99_ms) / $(kv "$line" all_delay_max_ms) | $(kv "$line" "late_${LATE_MS}ms") / $(kv "$line" late_1s) | $(kv "$line" events) ($(kv "$line" events_per_call)) | $(kv "$r" resp_avg_ms) | $(kv "$line" 'pbx_cpu%') | $(kv "$line" cpu_ms_per_call) | $(kv "$line" 'client_cpu%') | $(kv "$line" 'other_cpu%') |"
        done
        s=$(pick switchboard events events "$f"); a=$(pick anchor events events "$f")
        if both_positive stasis_start "$s" "$a"; then
            echo
            echo "StasisStart delay S÷A: p50 $(ratio "$(kv "$s" start_delay_p50_ms)" "$(kv "$a" start_delay_p50_ms)"), p99 $(ratio "$(kv "$s" start_delay_p99_ms)" "$(kv "$a" start_delay_p99_ms)"); all events p99 $(ratio "$(kv "$s" all_delay_p99_ms)" "$(kv "$a" all_delay_p99_ms)"); CPU per call $(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)"); INVITE→200 $(ratio "$(kv "$(pick switchboard events sipp "$f")" resp_avg_ms)" "$(kv "$(pick anchor events sipp "$f")" resp_avg_ms)")"
        fi
        echo
    fi
    grep -E '^pbx=[a-z]+ part=[a-z]+ (skipped|stopped|repeated):' "$f" | sed 's/^/- /' || true
}

# ---------------------------------------------------------------- arguments
PARTS="rest originate events"
PBXES="anchor switchboard"
SB_APP=demo
CHANNELS=500
SETUP_CPS=50
CONC="1 4 16"
GET_SECS=5
ORIGINATE_RATES="25 50 100 200 400"
ORIGINATE_SECS=10
ORIGINATE_HOLD=0.5
EVENT_CPS=200
EVENT_SECS=20
EVENT_HOLD=1
CONNECTIONS=64
RETRY=1
BUILD=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) CHANNELS=100; GET_SECS=2; ORIGINATE_RATES="20 50"; ORIGINATE_SECS=5; EVENT_SECS=5; RETRY=0
                 export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-5} ;;
        --parts) PARTS=$2; shift ;;
        --pbx) PBXES=$2; shift ;;
        --sb-app) SB_APP=$2; shift ;;
        --channels) CHANNELS=$2; shift ;;
        --setup-cps) SETUP_CPS=$2; shift ;;
        --conc) CONC=$2; shift ;;
        --get-secs) GET_SECS=$2; shift ;;
        --originate-rates) ORIGINATE_RATES=$2; shift ;;
        --originate-secs) ORIGINATE_SECS=$2; shift ;;
        --event-cps) EVENT_CPS=$2; shift ;;
        --event-secs) EVENT_SECS=$2; shift ;;
        --connections) CONNECTIONS=$2; shift ;;
        --no-build) BUILD=--no-build ;;
        --summary) summarize "$2/steps.txt"; exit 0 ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
int_within() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
int_within "$CHANNELS" 1 2000 || die "--channels must be within 1..2000"
int_within "$SETUP_CPS" 1 200 || die "--setup-cps must be within 1..200"
int_within "$GET_SECS" 1 60 || die "--get-secs must be within 1..60"
int_within "$ORIGINATE_SECS" 2 60 || die "--originate-secs must be within 2..60"
int_within "$EVENT_CPS" 1 1000 || die "--event-cps must be within 1..1000"
int_within "$EVENT_SECS" 3 60 || die "--event-secs must be within 3..60"
int_within "$CONNECTIONS" 1 256 || die "--connections must be within 1..256"
for c in $CONC; do int_within "$c" 1 256 || die "--conc: connection counts within 1..256"; done
for r in $ORIGINATE_RATES; do int_within "$r" 1 1000 || die "--originate-rates: whole rates within 1..1000"; done
for p in $PARTS; do case $p in rest|originate|events) ;; *) die "unknown part $p" ;; esac; done
[[ $SB_APP =~ ^[A-Za-z0-9_.-]+$ ]] || die "--sb-app: a plain application name"
command -v wrk >/dev/null || die "needs wrk (the anchor's setup.sh installs it)"

# ---------------------------------------------------------------- the client's Python
ari_python() {   # the venv with the pinned client dependencies (made once, again when the pins change)
    local venv=$REPO/target/bench/.venv-ari req=$BENCH_HOME/lib/ari-requirements.txt
    if ! cmp -s "$req" "$venv/requirements.txt" || ! "$venv/bin/python" -c 'import aiohttp' 2>/dev/null; then
        log "installing the ARI client's dependencies into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2 \
            || die "could not install $req into $venv"
        cp "$req" "$venv/requirements.txt"
    fi
    PY=$venv/bin/python
}

# ---------------------------------------------------------------- one PBX
ari_target() {   # ari_target PBX: ARI_HTTP, ARI_APP, PBX_PID, and TARGET/CALLER_PASS (caller_of)
    case $1 in
        switchboard) ARI_HTTP=$SB_HTTP; ARI_APP=$SB_APP; PBX_PID=$SB_PID ;;
        anchor) ARI_HTTP=127.0.0.1:$AN_HTTP_PORT; ARI_APP=$AN_APP; PBX_PID=$AN_PID ;;
    esac
    caller_of "$1"
}

client_start() {   # client_start PART NAME ARGS...: ari_load.py in the background (CLIENT); 1 if its socket does not connect within 10 s
    # (the part's sipp PID goes into LOAD_PIDFILE, before or after: the client measures its CPU)
    local part=$1 name=$2 i; shift 2
    CLIENT_STATUS=$OUT/logs/$name.status
    rm -f "$CLIENT_STATUS"
    "$PY" "$BENCH_HOME/lib/ari_load.py" "$part" --http "$ARI_HTTP" --user "$ARI_USER" --app "$ARI_APP" \
        --pbx-pid "$PBX_PID" --status "$CLIENT_STATUS" --load-pid-file "$LOAD_PIDFILE" "$@" \
        >"$OUT/logs/$name.client.out" 2>"$OUT/logs/$name.client.err" &
    CLIENT=$!
    for i in $(seq 1 100); do
        [ -s "$CLIENT_STATUS" ] && return 0
        kill -0 "$CLIENT" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

client_finish() {   # client_finish PBX PART NAME: waits for the client; its result lines into steps.txt
    local pbx=$1 part=$2 name=$3
    set +e; wait "$CLIENT"; set -e
    CLIENT=""
    grep -E '^[a-z_]+( |$)' "$OUT/logs/$name.client.out" | sed "s/^\([a-z_]*\)/pbx=$pbx part=$part kind=\1/" | tee -a "$OUT/steps.txt" || true
}

client_failed_to_connect() {   # client_failed_to_connect PBX PART NAME: report why (from the client's error line)
    local why
    kill "$CLIENT" 2>/dev/null || true
    set +e; wait "$CLIENT"; set -e
    why=$(grep -h '^error ' "$OUT/logs/$3.client.out" 2>/dev/null | head -1 | cut -d' ' -f2- || true)
    echo "pbx=$1 part=$2 stopped: the events socket did not connect (${why:-no answer within 10 s; see logs/$3.client.err})" | tee -a "$OUT/steps.txt"
}

sipp_calls() {   # sipp_calls NAME RATE CALLS LIMIT RECV_TIMEOUT_MS TIMEOUT_S: 1001 calls 700 in the background (LOAD_UAC), PID into LOAD_PIDFILE
    local name=$1
    rm -f "$HOST_BENCH/logs/$name".*
    "$ANCHOR_DIR/sipp.sh" -sf "$CHROOT_BENCH/uac_call_pbx_bye.xml" "$TARGET" -s "$STASIS_NUMBER" -key caller 1001 -au 1001 -ap "$CALLER_PASS" \
        -i 127.0.0.1 -p "$UAC_PORT" -mi 127.0.0.1 -mp "$UAC_MEDIA_PORT" \
        -r "$2" -m "$3" -l "$4" -nostdin -timeout "$6" -timeout_error -recv_timeout "$5" \
        -max_recv_loops 10000 -max_sched_loops 10000 \
        -trace_stat -stf "$CHROOT_BENCH/logs/$name.csv" -fd 1 \
        -trace_err -error_file "$CHROOT_BENCH/logs/$name.uac.err" >"$OUT/logs/$name.uac.out" 2>&1 &
    LOAD_UAC=$!
    OUR_SIPP="$OUR_SIPP $LOAD_UAC"
    echo "$LOAD_UAC" > "$LOAD_PIDFILE"
}

sipp_finish() {   # sipp_finish PBX PART NAME RATE SECS GRACE: waits (GRACE s at most) for the UAC; its figures into steps.txt
    local pbx=$1 part=$2 name=$3 i rc o=$OUT/logs
    for i in $(seq 1 $(( $6 * 5 ))); do kill -0 "$LOAD_UAC" 2>/dev/null || break; sleep 0.2; done
    kill -TERM "$LOAD_UAC" 2>/dev/null || true
    set +e; wait "$LOAD_UAC"; rc=$?; set -e
    cp "$HOST_BENCH/logs/$name".* "$o/" 2>/dev/null || true
    local parsed
    parsed=$(python3 "$BENCH_HOME/lib/parse_step.py" "$o/$name.uac.out" "$o/$name.csv" /dev/null 0 0 "$o/$name.uac.err" /dev/null \
        | tr ' ' '\n' | { grep -E '^(ok|failed|created|peak|resp_avg_ms|resp_lt10|call_len_ms|retrans|fail_|abort_|timeout_at)' || true; } | tr '\n' ' ')
    echo "pbx=$pbx part=$part kind=sipp offered_cps=$4 secs=$5 ${parsed}sipp_rc=$rc" | tee -a "$OUT/steps.txt"
}

part_rest() {   # part_rest PBX NAME
    local pbx=$1 name=$2 setup=$(( CHANNELS / SETUP_CPS + 30 )) n_conc
    n_conc=$(echo "$CONC" | wc -w)
    local hold_s=$(( setup + n_conc * (GET_SECS + 10) + 60 ))
    LOAD_PIDFILE=$OUT/logs/$name.sipp.pid
    client_start rest "$name" --channels "$CHANNELS" --setup-timeout "$setup" --conc "$CONC" --secs "$GET_SECS" \
        || { client_failed_to_connect "$pbx" rest "$name"; return 0; }
    # the calls wait for the app's BYE: -recv_timeout covers the set-up and every wrk run
    sipp_calls "$name" "$SETUP_CPS" "$CHANNELS" "$CHANNELS" $(( hold_s * 1000 )) $(( hold_s + 30 ))
    client_finish "$pbx" rest "$name"
    sipp_finish "$pbx" rest "$name" "$SETUP_CPS" $(( CHANNELS / SETUP_CPS )) 15
}

part_originate() {   # part_originate PBX NAME
    local pbx=$1 name=$2 n_rates uas total=0 r
    for r in $ORIGINATE_RATES; do total=$(( total + r * ORIGINATE_SECS )); done
    n_rates=$(echo "$ORIGINATE_RATES" | wc -w)
    if [ "$pbx" = switchboard ]; then
        sb_register_callee || log "$pbx: REGISTER of $CALLEE failed (see $OUT/logs/register-1003.out)"
    fi
    rm -f "$HOST_BENCH/logs/$name".*
    # the callee: answers (180, 200), waits for the PBX's BYE; -m leaves room for stray requests
    "$ANCHOR_DIR/sipp.sh" -sn uas -i 127.0.0.1 -p "$UAS_PORT" -mi 127.0.0.1 -mp "$UAS_MEDIA_PORT" -m $(( total * 2 + 100 )) \
        -nostdin -timeout $(( n_rates * (ORIGINATE_SECS + 30) + 60 )) -trace_err -error_file "$CHROOT_BENCH/logs/$name.uas.err" \
        -trace_stat -stf "$CHROOT_BENCH/logs/$name.uas.csv" -fd 1 \
        >"$OUT/logs/$name.uas.out" 2>&1 &
    uas=$!
    OUR_SIPP="$OUR_SIPP $uas"
    LOAD_PIDFILE=$OUT/logs/$name.sipp.pid
    echo "$uas" > "$LOAD_PIDFILE"
    sleep 0.5
    if client_start originate "$name" --endpoint "PJSIP/$CALLEE" --rates "$ORIGINATE_RATES" --secs "$ORIGINATE_SECS" \
        --hold "$ORIGINATE_HOLD" --answer-timeout 10 --connections "$CONNECTIONS"; then
        client_finish "$pbx" originate "$name"
    else
        client_failed_to_connect "$pbx" originate "$name"
    fi
    sleep 5   # sipp's uas keeps a call 4 s after the BYE (timewait), then a last row of statistics
    kill -TERM "$uas" 2>/dev/null || true
    set +e; wait "$uas"; set -e
    cp "$HOST_BENCH/logs/$name".* "$OUT/logs/" 2>/dev/null || true
    local o=$OUT/logs/$name
    echo "pbx=$pbx part=originate kind=uas $(python3 "$BENCH_HOME/lib/parse_step.py" "$o.uas.out" "$o.uas.csv" /dev/null 0 0 /dev/null "$o.uas.err" \
        | tr ' ' '\n' | awk -F= '$1 ~ /^(ok|failed|uas_aborted)$/ { printf "%s%s=%s ", ($1 ~ /^uas_/ ? "" : "uas_"), $1, $2 }')" | tee -a "$OUT/steps.txt"
}

part_events() {   # part_events PBX NAME
    local pbx=$1 name=$2 calls=$(( EVENT_CPS * EVENT_SECS ))
    LOAD_PIDFILE=$OUT/logs/$name.sipp.pid
    client_start events "$name" --calls "$calls" --rate "$EVENT_CPS" --hold "$EVENT_HOLD" --late-ms "$LATE_MS" --connections "$CONNECTIONS" \
        || { client_failed_to_connect "$pbx" events "$name"; return 0; }
    sipp_calls "$name" "$EVENT_CPS" "$calls" $(( EVENT_CPS * (EVENT_HOLD + 4) + 50 )) 30000 $(( EVENT_SECS + 60 ))
    client_finish "$pbx" events "$name"
    sipp_finish "$pbx" events "$name" "$EVENT_CPS" "$EVENT_SECS" 15
}

part_disturbed() {   # part_disturbed NAME: the rest of the machine used more than 40 % of a core in one of the part's windows
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^other_cpu%=/) { split($i, p, "="); if (p[2] > 40) bad = 1 } } END { exit !bad }' \
        "$OUT/logs/$1.client.out" 2>/dev/null
}

explain_stop() {   # explain_stop PBX PART: a "stopped:" line when the part measured nothing, saying where it stopped
    local pbx=$1 part=$2 f=$OUT/steps.txt c r why=""
    c=$(pick "$pbx" "$part" sipp "$f")
    r=$(printf '%s\n' "$c" | tr ' ' '\n' | { grep -E '^(fail_|abort_|timeout_at)' || true; } | tr '\n' ' ')
    case $part in
        rest)
            c=$(pick "$pbx" rest setup "$f")
            [ -n "$c" ] && [ "$(kv "$c" up)" != "$(kv "$c" channels)" ] \
                && why="$(kv "$c" started) StasisStart, $(kv "$c" up) of $(kv "$c" channels) channels answered ($(printf '%s\n' "$c" | tr ' ' '\n' | { grep '^answer_http\|^answer_error' || true; } | tr '\n' ' ')sipp: ${r:-no failures})"
            c=$(pick "$pbx" rest list_before "$f")
            [ -n "$c" ] && [ "$(kv "$c" status)" != 200 ] && why="GET /ari/channels answered $(kv "$c" status) $(kv "$c" answer)"
            c=$(pick "$pbx" rest teardown "$f")
            [ -n "$why" ] && [ -n "$c" ] && [ "$(kv "$c" list_status)" != 200 ] && why="$why; GET /ari/channels answers $(kv "$c" list_status)" ;;
        originate)
            c=$({ grep -E "^pbx=$pbx part=originate kind=originate " "$f" || true; } | head -1)
            [ -n "$c" ] && [ "$(kv "$c" started)" = 0 ] \
                && why="no originate reached StasisStart ($(printf '%s\n' "$c" | tr ' ' '\n' | { grep '^fail_' || true; } | tr '\n' ' '))" ;;
        events)
            c=$(pick "$pbx" events events "$f")
            [ -n "$c" ] && [ "$(kv "$c" stasis_start)" = 0 ] && why="no call reached StasisStart (sipp: ${r:-no failures})" ;;
    esac
    [ -z "$why" ] || echo "pbx=$pbx part=$part stopped: $why" | tee -a "$f"
}

ratio_line() {   # ratio_line PART: Switchboard / anchor for the part just measured on both
    local f=$OUT/steps.txt s a c r out=""
    case $1 in
        rest)
            for c in $CONC; do
                s=$(get_line switchboard "$c" "$f"); a=$(get_line anchor "$c" "$f")
                [ -n "$s" ] && [ -n "$a" ] || continue
                out="$out conc$c:p50=$(ratio "$(kv "$s" p50_ms)" "$(kv "$a" p50_ms)"),p99=$(ratio "$(kv "$s" p99_ms)" "$(kv "$a" p99_ms)"),rps=$(ratio "$(kv "$s" rps)" "$(kv "$a" rps)"),cpu_per_req=$(ratio "$(kv "$s" cpu_us_per_req)" "$(kv "$a" cpu_us_per_req)")"
            done ;;
        originate)
            for r in $ORIGINATE_RATES; do
                s=$(originate_line switchboard "$r" "$f"); a=$(originate_line anchor "$r" "$f")
                both_positive started "$s" "$a" || continue
                out="$out rate$r:achieved=$(ratio "$(kv "$s" achieved_ps)" "$(kv "$a" achieved_ps)"),start_p50=$(ratio "$(kv "$s" start_p50_ms)" "$(kv "$a" start_p50_ms)"),start_p99=$(ratio "$(kv "$s" start_p99_ms)" "$(kv "$a" start_p99_ms)"),cpu_per_originate=$(ratio "$(kv "$s" cpu_ms_per_originate)" "$(kv "$a" cpu_ms_per_originate)"),fail%=$(kv "$s" 'fail%')vs$(kv "$a" 'fail%')"
            done ;;
        events)
            s=$(pick switchboard events events "$f"); a=$(pick anchor events events "$f")
            both_positive stasis_start "$s" "$a" && out=" start_delay_p50=$(ratio "$(kv "$s" start_delay_p50_ms)" "$(kv "$a" start_delay_p50_ms)") start_delay_p99=$(ratio "$(kv "$s" start_delay_p99_ms)" "$(kv "$a" start_delay_p99_ms)") all_delay_p99=$(ratio "$(kv "$s" all_delay_p99_ms)" "$(kv "$a" all_delay_p99_ms)") cpu_per_call=$(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") missing_start=$(kv "$s" missing_start)vs$(kv "$a" missing_start)" ;;
    esac
    [ -z "$out" ] || echo "ratio part=$1 switchboard/anchor:$out" | tee -a "$OUT/steps.txt"
}

# ---------------------------------------------------------------- the run
bench_init ari-load
mkdir -p "$OUT/logs"
ari_python
export SWITCHBOARD_ARI_USERS=$ARI_USER
CLIENT=""
anchor_remember
bench_cleanup_on_exit
trap 'set +e; [ -n "${CLIENT:-}" ] && kill "$CLIENT" 2>/dev/null; cleanup' EXIT
bench_check_pbxes "$BUILD"
{
    echo "# ari-load $(date '+%F %T') on $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r); parts '$PARTS'"
    echo "# rest: $CHANNELS channels set up at $SETUP_CPS calls/s, wrk connections '$CONC', $GET_SECS s each; originate: rates '$ORIGINATE_RATES' /s, $ORIGINATE_SECS s each, hold $ORIGINATE_HOLD s; events: $EVENT_CPS calls/s for $EVENT_SECS s, hold $EVENT_HOLD s"
    echo "# apps: anchor '$AN_APP', switchboard '$SB_APP' (number $STASIS_NUMBER); client: $("$PY" -c 'import aiohttp, sys; print(f"python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}")'), $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')"
    bench_versions
} | tee "$OUT/steps.txt"

k=0
for part in $PARTS; do
    if [ $(( k % 2 )) = 0 ]; then order="anchor switchboard"; else order="switchboard anchor"; fi
    k=$(( k + 1 ))
    for pbx in $order; do
        case " $PBXES " in *" $pbx "*) ;; *) continue ;; esac
        if [ -z "${AVAIL[$pbx]:-}" ]; then
            echo "pbx=$pbx part=$part skipped: ${WHY[$pbx]}" | tee -a "$OUT/steps.txt"
            continue
        fi
        for attempt in 1 2; do
            restart_pbx "$pbx" || { echo "pbx=$pbx part=$part skipped: did not restart" | tee -a "$OUT/steps.txt"; break; }
            ari_target "$pbx"
            wait_quiet "${BENCH_QUIET_WAIT:-15}"
            wait_ports_free
            OUR_SIPP=""
            log "$pbx: $part (attempt $attempt)"
            name="p$k.$attempt-$pbx-$part"
            "part_$part" "$pbx" "$name"
            explain_stop "$pbx" "$part"
            OUR_SIPP=""
            after_step "$pbx"
            # once more when someone else's CPU use disturbed it, if the machine has become quiet
            [ "$RETRY" = 1 ] && [ "$attempt" = 1 ] && part_disturbed "$name" || break
            machine_quiet 5 || { log "other_cpu above 40 % and the machine is still busy ($QUIET_LAST % of a core): not repeating"; break; }
            echo "pbx=$pbx part=$part repeated: other_cpu% above 40 in attempt 1 (its lines above; the last ones count)" | tee -a "$OUT/steps.txt"
        done
    done
    ratio_line "$part"
done

summarize "$OUT/steps.txt" | tee "$OUT/summary.md"
log "done: $OUT/steps.txt, $OUT/summary.md"
