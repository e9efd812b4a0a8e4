#!/usr/bin/env bash
# scripts/ari-compare.sh: the same ARI client apps against the anchor Asterisk and against
# Switchboard, side by side; their normalised event sequences must match.
#
# Owns the side-by-side run (local only; CI does not run it). For each PBX it runs, on one
# SIPp call each:
#   - tour: crates/switchboard/tests/ari-clients/stasis-tour.js (npm ari-client): answer,
#     play, record, play back, mixing bridge, originate to a SIPp UAS as 1003, bridge, hang up;
#   - dtmf: answer_play_dtmf.py (PyPI aioari): answer, play, read the digit 1, hang up;
# then compares OUT/anchor/NAME.events.jsonl with OUT/switchboard/NAME.events.jsonl. Ids,
# times and Asterisk's own bookkeeping events are removed by normalise-events.js (its
# IGNORED list says which and why), and the comparison is per stream (the events of one
# channel, one playback, one bridge..., each in order; see normalise-events.js: Asterisk
# itself varies the interleaving of streams), so what is left must be equal.
#
# The anchor: shared/tools/anchor-asterisk (ANCHOR_TOOLS), set up with its setup.sh. If it is
# not running, it is started on ANCHOR_SIP_PORT/ANCHOR_HTTP_PORT (default 15060/18088) and
# stopped again at the end. Its dialplan sends 700 to Stasis(test); its ARI user is
# asterisk/asterisk; the caller is its 1001 (pass1001); the originate goes to its endpoint
# 1003 with the UAS's address in the dial string (1003's static contact is port 5070, which
# other anchor users take). Switchboard: a fresh `serve --demo` (built here, data in OUT)
# with SWITCHBOARD_ARI_USERS=asterisk:asterisk, the demo's custom app 700 set to Stasis(test)
# through /api, SIP passwords of 1001 and 1003 set through /api, 1003 registered by SIPp.
#
# Needs root (the anchor's chroot), SIPp, node with `npm ci` done and the venv .venv in the
# clients' folder (scripts/test.sh installs them).
#
# Usage: [SWITCHBOARD_BIN=path] scripts/ari-compare.sh [--only anchor|switchboard] [OUT_DIR]
#   SWITCHBOARD_BIN: a built binary to run (default: `cargo build -p switchboard`'s).
#   OUT_DIR (default target/ari-compare) receives per PBX: each app's events, raw events
#   and log, and the SIPp logs.
#   --only: runs one PBX and compares it with the anchor's recorded sequences in
#   tests/ari-clients/anchor-events/ (--only anchor thus checks that recording is current).
# Exits 0 when every app passed and each pair of event files is equal.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
clients=$repo/crates/switchboard/tests/ari-clients
scenarios=$repo/crates/switchboard/tests/sipp
ANCHOR_TOOLS=${ANCHOR_TOOLS:-$repo/../shared/tools/anchor-asterisk}
ANCHOR_ROOT=${ANCHOR_ROOT:-/opt/anchor-asterisk}
export ANCHOR_ROOT

only=""
if [[ "${1:-}" == --only ]]; then
    only=$2
    shift 2
fi
out=$(mkdir -p "${1:-target/ari-compare}" && cd "${1:-target/ari-compare}" && pwd)

# Local UDP ports (Switchboard's HTTP and SIP ports are its own choice, read from its output).
SB_RTP_PORTS=${SB_RTP_PORTS:-32000-32999}
CALLER_PORT=${CALLER_PORT:-16100}
CALLER_MEDIA_PORT=${CALLER_MEDIA_PORT:-16110}
UAS_PORT=${UAS_PORT:-16120}
UAS_MEDIA_PORT=${UAS_MEDIA_PORT:-16130}
# The prompts Switchboard plays: the anchor's own (hello-world.wav among them), so both
# PBXs play the same file.
SB_SOUNDS=${SB_SOUNDS:-$ANCHOR_ROOT/usr/share/asterisk/sounds/en_US_f_Allison}
STASIS_NUMBER=700
APP="test"

say() { printf '[ari-compare %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }

command -v sipp >/dev/null || die "no sipp (apt-get install sip-tester)"
command -v node >/dev/null || die "no node"
[[ -d "$clients/node_modules/ari-client" ]] || die "no ari-client: run npm ci in $clients (scripts/test.sh does)"
[[ -x "$clients/.venv/bin/python" ]] || die "no venv in $clients/.venv (scripts/test.sh makes it)"
for port in "$CALLER_PORT" "$CALLER_MEDIA_PORT" "$UAS_PORT" "$UAS_MEDIA_PORT"; do
    [[ -z "$(ss -Hlnu "sport = :$port")" ]] || die "UDP port $port is taken; set CALLER_PORT, UAS_PORT..."
done

# --- SIPp ------------------------------------------------------------------------------

# sipp_in DIR ARGS...: runs sipp in DIR (where the scenarios and pcaps are) for one call.
sipp_in() {
    local dir=$1
    shift
    (cd "$dir" && exec sipp "$@" -i 127.0.0.1 -mi 127.0.0.1 -m 1 -nostdin -timeout_error -trace_err -trace_msg)
}

# sipp_dir DIR: makes DIR hold the scenarios and the pcaps they play.
sipp_dir() {
    mkdir -p "$1"
    cp "$scenarios"/uac_stasis_call.xml "$scenarios"/uas_answer.xml "$scenarios"/register.xml "$1"/
    ln -sf /usr/share/sip-tester/g711a.pcap "$1"/g711a.pcap
    ln -sf /usr/share/sip-tester/dtmf_2833_1.pcap "$1"/digit.pcap
}

# --- one app run -------------------------------------------------------------------------

# wait_registered LOG PID: until the app's LOG says its socket is open (or it died).
wait_registered() {
    for _ in $(seq 1 300); do
        grep -q 'registered, waiting for a call' "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# run_app PBX NAME HTTP_PORT SIP_PORT CALLER_USER CALLER_PASSWORD DTMF_AFTER_MS APP_COMMAND...
# Starts the app, waits for its registration, places the call; answers 0 when app and caller
# both succeeded. Files: OUT/PBX/NAME.{events,raw}.jsonl, NAME.log, NAME-sipp/.
run_app() {
    local pbx=$1 name=$2 http=$3 sip=$4 user=$5 password=$6 dtmf=$7
    shift 7
    local dir=$out/$pbx sippdir=$out/$pbx/$name-sipp
    sipp_dir "$sippdir"
    "$@" --url "http://127.0.0.1:$http" --user asterisk --password asterisk --app "$APP" \
        --events "$dir/$name.events.jsonl" --raw "$dir/$name.raw.jsonl" >"$dir/$name.log" 2>&1 &
    local app_pid=$!
    if ! wait_registered "$dir/$name.log" "$app_pid"; then
        kill "$app_pid" 2>/dev/null || true
        say "$pbx $name: the app did not register; see $dir/$name.log"
        return 1
    fi
    local caller_ok=0
    sipp_in "$sippdir" "127.0.0.1:$sip" -sf uac_stasis_call.xml -s "$STASIS_NUMBER" -key caller "$user" \
        -au "$user" -ap "$password" -set dtmf_after_ms "$dtmf" -p "$CALLER_PORT" -mp "$CALLER_MEDIA_PORT" \
        -timeout 60 >"$sippdir/caller.out" 2>&1 || caller_ok=$?
    # Without a call the app would only wait for its own timeout.
    if [[ $caller_ok != 0 ]]; then kill "$app_pid" 2>/dev/null || true; fi
    local app_ok=0
    wait "$app_pid" || app_ok=$?
    say "$pbx $name: app exit $app_ok, caller sipp exit $caller_ok: $(grep -m 1 -E ': (OK|FAILED)' "$dir/$name.log")"
    [[ $app_ok == 0 && $caller_ok == 0 ]]
}

# run_both PBX HTTP_PORT SIP_PORT CALLER_PASSWORD ENDPOINT [UAS_PASSWORD]: the two apps
# against one PBX; with UAS_PASSWORD the UAS registers as 1003 first. Answers the failures.
run_both() {
    local pbx=$1 http=$2 sip=$3 caller_password=$4 endpoint=$5 uas_password=${6:-}
    local failures=0 uasdir=$out/$pbx/tour-uas
    mkdir -p "$out/$pbx"
    sipp_dir "$uasdir"
    if [[ -n "$uas_password" ]]; then
        sipp_in "$uasdir" "127.0.0.1:$sip" -sf register.xml -s 1003 -au 1003 -ap "$uas_password" -p "$UAS_PORT" \
            -timeout 10 >"$uasdir/register.out" 2>&1 || die "$pbx: SIPp could not register as 1003 (see $uasdir)"
    fi
    sipp_in "$uasdir" "127.0.0.1:$sip" -sf uas_answer.xml -p "$UAS_PORT" -mp "$UAS_MEDIA_PORT" -timeout 90 \
        >"$uasdir/uas.out" 2>&1 &
    local uas_pid=$!
    if ! run_app "$pbx" tour "$http" "$sip" 1001 "$caller_password" 0 \
        node "$clients/stasis-tour.js" --endpoint "$endpoint" --expect-args ""; then
        failures=$((failures + 1))
        kill "$uas_pid" 2>/dev/null || true # it may still wait for a call that will not come
    fi
    wait "$uas_pid" || say "$pbx: the UAS (1003) did not end its call; see $uasdir"
    # The digit goes 3 s after the answer, once hello-world (1.4 s) has played.
    run_app "$pbx" dtmf "$http" "$sip" 1001 "$caller_password" 3000 \
        "$clients/.venv/bin/python" "$clients/answer_play_dtmf.py" --digit 1 --expect-args "" ||
        failures=$((failures + 1))
    return "$failures"
}

# --- the anchor --------------------------------------------------------------------------

started_anchor=0
sb_pid=""
cleanup() {
    if [[ -n "$sb_pid" ]]; then kill "$sb_pid" 2>/dev/null || true; fi
    if [[ $started_anchor == 1 ]]; then "$ANCHOR_TOOLS/stop.sh" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

anchor_half() {
    [[ -x "$ANCHOR_TOOLS/start.sh" ]] || die "no anchor tools at $ANCHOR_TOOLS (set ANCHOR_TOOLS)"
    # start.sh keeps a running anchor (and its ports) and says so; otherwise it starts one.
    local started
    started=$(ANCHOR_SIP_PORT=${ANCHOR_SIP_PORT:-15060} ANCHOR_HTTP_PORT=${ANCHOR_HTTP_PORT:-18088} \
        ANCHOR_AMI_PORT=${ANCHOR_AMI_PORT:-15038} ANCHOR_RTP_START=${ANCHOR_RTP_START:-30000} \
        ANCHOR_RTP_END=${ANCHOR_RTP_END:-31000} "$ANCHOR_TOOLS/start.sh")
    say "$started"
    [[ "$started" == *"already running"* ]] || started_anchor=1
    # shellcheck source=/dev/null
    source "$ANCHOR_ROOT/.anchor/ports.env"
    # Debian's asterisk package lacks ARI's recording directory: POST .../record answers 500.
    chroot "$ANCHOR_ROOT" install -d -o asterisk -g asterisk -m 0750 /var/spool/asterisk/recording
    say "anchor: SIP $SIP_PORT, ARI $HTTP_PORT"
    run_both anchor "$HTTP_PORT" "$SIP_PORT" pass1001 "PJSIP/1003/sip:1003@127.0.0.1:$UAS_PORT"
}

# --- Switchboard -------------------------------------------------------------------------

switchboard_half() {
    local bin=${SWITCHBOARD_BIN:-}
    if [[ -z "$bin" ]]; then
        say "building switchboard"
        cargo build -q -p switchboard
        bin=target/debug/switchboard
    fi
    local data=$out/switchboard/data token="compare-$RANDOM$RANDOM$RANDOM"
    rm -rf "$data"
    mkdir -p "$data"
    local log=$out/switchboard/server.log
    SWITCHBOARD_ADMIN_TOKEN=$token SWITCHBOARD_ARI_USERS=asterisk:asterisk SWITCHBOARD_LOG=${SWITCHBOARD_LOG:-warn} \
        "$bin" serve --demo --data "$data" --http 127.0.0.1:0 --sip 127.0.0.1:0 --crm 127.0.0.1:0 \
        --rtp-ports "$SB_RTP_PORTS" --sounds "$SB_SOUNDS" >"$log" 2>&1 &
    sb_pid=$!
    local http="" sip=""
    for _ in $(seq 1 200); do
        http=$(sed -n 's/^switchboard: http listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$log")
        sip=$(sed -n 's/^switchboard: sip listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$log")
        [[ -n "$http" && -n "$sip" ]] && curl -fs "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break
        kill -0 "$sb_pid" 2>/dev/null || die "switchboard exited; see $log"
        sleep 0.1
    done
    [[ -n "$http" && -n "$sip" ]] || die "switchboard did not start listening; see $log"
    local api=http://127.0.0.1:$http/api
    local call=(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json')
    local password=Cmp${RANDOM}x${RANDOM}
    for ext in 1001 1003; do
        "${call[@]}" -X PUT -d "{\"passwd\": \"$password\"}" "$api/extensions/$ext" >/dev/null
    done
    # --demo seeds 700 as Stasis(demo): point it at this run's application.
    "${call[@]}" -X PUT -d "{\"desc\": \"ARI app $APP\", \"extcode\": \"Stasis($APP)\", \"span\": \"Internal\"}" \
        "$api/customapps/$STASIS_NUMBER" >/dev/null
    say "switchboard: SIP $sip, ARI $http (pid $sb_pid)"
    run_both switchboard "$http" "$sip" "$password" PJSIP/1003 "$password"
}

# --- run and compare ---------------------------------------------------------------------

failures=0
# The two sides compared: the anchor's run (or its recording) and Switchboard's (or, with
# --only anchor, the fresh anchor run against the recording).
expected=$out/anchor actual=$out/switchboard
case "$only" in
    "") anchor_half || failures=$((failures + $?)); switchboard_half || failures=$((failures + $?)) ;;
    anchor) anchor_half || failures=$((failures + $?)); expected=$clients/anchor-events actual=$out/anchor ;;
    switchboard) switchboard_half || failures=$((failures + $?)); expected=$clients/anchor-events ;;
    *) die "--only anchor or --only switchboard" ;;
esac
for name in tour dtmf; do
    for side in "$expected" "$actual"; do
        node "$clients/normalise-events.js" --by-stream "$side/$name.events.jsonl" >"$out/$name.$(basename "$side").streams"
    done
    if diff -u "$out/$name.$(basename "$expected").streams" "$out/$name.$(basename "$actual").streams" \
        >"$out/$name.diff"; then
        say "$name: the event sequences match ($expected, $actual)"
    else
        say "$name: the event sequences differ ($expected -, $actual +):"
        cat "$out/$name.diff"
        failures=$((failures + 1))
    fi
done
say "done: $failures failure(s); files in $out"
[[ $failures == 0 ]]
