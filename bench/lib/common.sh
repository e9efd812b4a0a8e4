# shellcheck shell=bash
# Shared code of bench/sip-load.sh, bench/memory.sh and bench/media-load.sh (sourced, not run).
# Owns: the paths and ports of a bench run, the lock that keeps two bench runs apart,
# starting and stopping the two PBXes under test (Switchboard, the anchor Asterisk, with
# extra dialplan if a script needs it), and one measured sipp B2BUA load step (run_step).
#
# The load generator is the anchor's sipp 3.8.0 (../shared/tools/anchor-asterisk/sipp.sh,
# inside its chroot): the same binary for both PBXes. Our scenarios and the RTP pcap are
# copied into the chroot's /opt/anchor/bench/ at the start of a run.
#
# Settings (environment):
#   ANCHOR_DIR        the anchor's scripts        (default: <repo>/../shared/tools/anchor-asterisk)
#   ANCHOR_ROOT       the anchor's chroot         (default: /opt/anchor-asterisk)
#   BENCH_ANCHOR_SIP_PORT, BENCH_ANCHOR_HTTP_PORT, BENCH_ANCHOR_AMI_PORT  (15060, 18088, 15038)
#   BENCH_ANCHOR_RTP  the anchor's RTP range during the bench (30000-39999: 2 legs a call need
#                     4 ports each side, a 1000-port range would cap Asterisk at ~250 calls)
#   BENCH_SB_SIP, BENCH_SB_HTTP   Switchboard's listeners (127.0.0.1:16060, 127.0.0.1:16080)
#   BENCH_SB_RTP      Switchboard's RTP range (40000-49999: clear of the e2e tests' port blocks, 20100-30000)
#   BENCH_UAC_PORT, BENCH_UAC_MEDIA_PORT, BENCH_UAS_MEDIA_PORT  sipp ports (5081, 6100, 6110)
#   The UAS (callee 1003) listens on 5070: the anchor's 1003 has that static contact.
#   BENCH_OUT         where logs and results go (default: <repo>/target/bench/<timestamp>)
#   BENCH_LOCK_WAIT   seconds to wait for another bench run to finish (default 1800)
BENCH_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$BENCH_HOME/.." && pwd)
ANCHOR_DIR=${ANCHOR_DIR:-$REPO/../shared/tools/anchor-asterisk}
ANCHOR_ROOT=${ANCHOR_ROOT:-/opt/anchor-asterisk}
export ANCHOR_ROOT
AN_SIP_PORT=${BENCH_ANCHOR_SIP_PORT:-15060}
AN_HTTP_PORT=${BENCH_ANCHOR_HTTP_PORT:-18088}
AN_AMI_PORT=${BENCH_ANCHOR_AMI_PORT:-15038}
AN_RTP=${BENCH_ANCHOR_RTP:-30000-39999}
SB_SIP=${BENCH_SB_SIP:-127.0.0.1:16060}
SB_HTTP=${BENCH_SB_HTTP:-127.0.0.1:16080}
SB_RTP=${BENCH_SB_RTP:-40000-49999}
UAC_PORT=${BENCH_UAC_PORT:-5081}
UAC_MEDIA_PORT=${BENCH_UAC_MEDIA_PORT:-6100}
UAS_PORT=5070
UAS_MEDIA_PORT=${BENCH_UAS_MEDIA_PORT:-6110}
HOLD_MS=${BENCH_HOLD_MS:-2000}          # the caller hangs up this long after its ACK
SB_TOKEN=${SWITCHBOARD_ADMIN_TOKEN:-sb-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
SB_PASS=${BENCH_SB_PASS:-benchpass}     # Switchboard SIP password of 1001-1003: $SB_PASS<ext>$SB_PASS<ext>
AN_PASS=pass                            # the anchor's: pass1001, pass1002
CHROOT_BENCH=/opt/anchor/bench          # inside the chroot
HOST_BENCH=$ANCHOR_ROOT$CHROOT_BENCH    # the same folder seen from the host
CLK_TCK=$(getconf CLK_TCK)
STEP_CALLS_CAP=${BENCH_STEP_CALLS_CAP:-40000}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bench_init() {   # bench_init NAME: output folder, sipp files into the chroot
    [ "$(id -u)" = 0 ] || die "needs root (the anchor's sipp runs in its chroot)"
    [ -x "$ANCHOR_DIR/sipp.sh" ] || die "no anchor at $ANCHOR_DIR (set ANCHOR_DIR)"
    [ -x "$ANCHOR_ROOT/usr/bin/sipp" ] || die "no sipp in $ANCHOR_ROOT: run $ANCHOR_DIR/setup.sh once"
    # one bench run at a time on this machine: they share the anchor, the sipp ports and the CPU
    # (fd 9: every process the bench leaves running, Asterisk and Switchboard, is started with 9>&-)
    exec 9>"$ANCHOR_ROOT/.anchor/bench.lock"
    if ! flock -n 9; then
        log "another bench run holds $ANCHOR_ROOT/.anchor/bench.lock: waiting up to ${BENCH_LOCK_WAIT:-1800} s"
        flock -w "${BENCH_LOCK_WAIT:-1800}" 9 || die "the other bench run did not finish"
    fi
    OUT=${BENCH_OUT:-$REPO/target/bench/$1-$(date +%Y%m%d-%H%M%S)}
    mkdir -p "$OUT" "$HOST_BENCH/logs"
    install -m 0644 "$BENCH_HOME"/sipp/*.xml "$HOST_BENCH/"
    python3 "$BENCH_HOME/lib/mkpcap.py" "$HOST_BENCH/pcmu-2s.pcap" 2.0
    command -v gcc >/dev/null || die "needs gcc (bench/lib/udp-sink.c)"
    gcc -O2 -D_GNU_SOURCE -o "$OUT/udp-sink" "$BENCH_HOME/lib/udp-sink.c"
    log "output in $OUT"
}

# sipp.sh execs chroot -> sh -> sipp: started in the background directly (not through a shell
# function), $! is sipp's own PID
sipp() { "$ANCHOR_DIR/sipp.sh" "$@"; }

machine_quiet() {   # machine_quiet [SECS]: 0 once the machine uses < 25 % of one core over a second (tries SECS times, default 1)
    local i b0 b1
    for i in $(seq 1 "${1:-1}"); do
        b0=$(busy); sleep 1; b1=$(busy)
        QUIET_LAST=$(( (b1 - b0) * 100 / CLK_TCK ))
        [ "$QUIET_LAST" -lt 25 ] && return 0
        [ "$i" = 1 ] && [ "${1:-1}" -gt 1 ] && log "machine busy ($QUIET_LAST % of a core): waiting up to $1 s for quiet"
    done
    return 1
}

wait_quiet() {   # wait (up to $1 s, default 30) until the rest of the machine uses < 25 % of one core
    machine_quiet "${1:-30}" || log "machine still busy: measuring anyway (see other_cpu%)"
}

port_busy() { [ -n "$(ss -H -lnu "sport = :$1" 2>/dev/null)" ]; }

wait_ports_free() {   # our sipp ports may be held by someone else's test (the UAS port 5070 is shared)
    local p i
    for p in "$UAS_PORT" "$UAC_PORT" "$UAC_MEDIA_PORT" "$UAS_MEDIA_PORT"; do
        for i in $(seq 1 120); do port_busy "$p" || break; [ "$i" = 1 ] && log "udp port $p in use, waiting (up to 120 s)"; sleep 1; done
        port_busy "$p" && die "udp port $p still in use: $(ss -H -lnup "sport = :$p")"
    done
    return 0
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo na; }
hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo na; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- the anchor Asterisk
anchor_pid() {   # the recorded PID while it is the Asterisk of this chroot (other chroots may run theirs)
    local pid
    pid=$(cat "$ANCHOR_ROOT/.anchor/asterisk.pid" 2>/dev/null) || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = asterisk ] && [ "$(readlink "/proc/$pid/root")" = "$(readlink -f "$ANCHOR_ROOT")" ] && echo "$pid"
}

anchor_foreign_load() {   # sipp processes in the chroot that are not ours (someone else's test)
    local r p
    r=$(readlink -f "$ANCHOR_ROOT")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] || continue
        [ "$(cat "$p/comm" 2>/dev/null)" = sipp ] || continue
        case " ${OUR_SIPP:-} " in *" ${p#/proc/} "*) continue ;; esac
        echo "${p#/proc/}"
    done
}

anchor_foreign_clients() {   # TCP clients of the running anchor's HTTP (ARI) and AMI ports while no bench client runs: someone else's test
    local env http ami
    env=$(cat "$ANCHOR_ROOT/.anchor/ports.env" 2>/dev/null) || return 0
    http=$(printf '%s\n' "$env" | sed -n 's/^HTTP_PORT=//p'); ami=$(printf '%s\n' "$env" | sed -n 's/^AMI_PORT=//p')
    [ -n "$http" ] && [ -n "$ami" ] && anchor_pid >/dev/null || return 0
    ss -Htn state established "( sport = :$http or sport = :$ami )" 2>/dev/null | awk '{ print $NF }' | tr '\n' ' '
}

ANCHOR_RESTORE=""   # the ports the anchor ran with before the bench, restored at exit
anchor_remember() {
    [ -f "$ANCHOR_ROOT/.anchor/ports.env" ] && anchor_pid >/dev/null && ANCHOR_RESTORE=$(cat "$ANCHOR_ROOT/.anchor/ports.env")
    return 0
}

anchor_restart() {   # fresh Asterisk on the bench ports (waits up to BENCH_ANCHOR_WAIT s, default 120, for someone else's sipp, ARI or AMI client to finish)
    local i f c wait_s=${BENCH_ANCHOR_WAIT:-120}
    for i in $(seq 1 "$wait_s"); do
        f=$(anchor_foreign_load); c=$(anchor_foreign_clients)
        [ -z "$f" ] && [ -z "$c" ] && break
        [ "$i" = 1 ] && log "someone else uses the anchor (sipp pids: ${f:-none}; ARI/AMI clients: ${c:-none}): waiting up to $wait_s s"
        sleep 1
    done
    "$ANCHOR_DIR/stop.sh" >/dev/null
    ANCHOR_SIP_PORT=$AN_SIP_PORT ANCHOR_HTTP_PORT=$AN_HTTP_PORT ANCHOR_AMI_PORT=$AN_AMI_PORT \
        ANCHOR_RTP_START=${AN_RTP%-*} ANCHOR_RTP_END=${AN_RTP#*-} "$ANCHOR_RUN_DIR/start.sh" >/dev/null 9>&-
    AN_PID=$(anchor_pid) || die "the anchor did not start"
}

# The anchor's scripts the bench starts it from: the shared folder, or a copy of it with extra
# dialplan (anchor_add_dialplan). Its scripts find conf/ next to themselves; the chroot stays.
ANCHOR_RUN_DIR=$ANCHOR_DIR
anchor_add_dialplan() {   # anchor_add_dialplan FILE: later starts use the anchor's dialplan + FILE (context [anchor])
    ANCHOR_RUN_DIR=$OUT/anchor-tool
    rm -rf "$ANCHOR_RUN_DIR"
    cp -r "$ANCHOR_DIR" "$ANCHOR_RUN_DIR"
    chmod -R u+w "$ANCHOR_RUN_DIR"
    cat "$1" >> "$ANCHOR_RUN_DIR/conf/extensions.conf"
}

anchor_restore() {   # leave the anchor as we found it (running on its former ports, or stopped), with its own dialplan
    local cur; cur=$(cat "$ANCHOR_ROOT/.anchor/ports.env" 2>/dev/null || true)
    if [ -z "$ANCHOR_RESTORE" ]; then
        [ "$ANCHOR_RUN_DIR" = "$ANCHOR_DIR" ] && return 0
        # it was not running: stop ours and put the shared conf/ back into the chroot
        "$ANCHOR_DIR/stop.sh" >/dev/null 2>&1 || true
        ( . "$ANCHOR_DIR/common.sh" && sync_conf ) || log "could not restore the anchor's configuration"
        return 0
    fi
    [ "$cur" = "$ANCHOR_RESTORE" ] && [ "$ANCHOR_RUN_DIR" = "$ANCHOR_DIR" ] && anchor_pid >/dev/null && return 0
    "$ANCHOR_DIR/stop.sh" >/dev/null 2>&1 || true
    (   eval "$(echo "$ANCHOR_RESTORE" | sed 's/^/export ANCHOR_/')"
        "$ANCHOR_DIR/start.sh" >/dev/null 9>&- ) || log "could not restart the anchor on its former ports"
}

# ---------------------------------------------------------------- Switchboard
SB_PID=""
SB_BIN=""
SB_SERVE_ARGS=()   # more `switchboard serve` arguments (a script's --config, --sounds)
sb_build() {   # sb_build [--no-build]: release build, copied so that a rebuild by others mid-run does not change it
    if [ "${1:-}" != --no-build ]; then
        log "cargo build --release -p switchboard"
        (cd "$REPO" && cargo build --release -p switchboard) >"$OUT/build.log" 2>&1 \
            || { tail -20 "$OUT/build.log" >&2; return 1; }
    fi
    [ -x "$REPO/target/release/switchboard" ] || return 1
    cp -p "$REPO/target/release/switchboard" "$OUT/switchboard"
    SB_BIN=$OUT/switchboard
    SB_DATA=$OUT/sbdata
    echo "binary of $(date -r "$SB_BIN" '+%F %T'), tree at $(cd "$REPO" && git log -1 --format='%h %s' 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- crates Cargo.toml Cargo.lock 2>/dev/null || echo ' + uncommitted changes')" > "$OUT/switchboard.version"
}

sb_api() {   # sb_api METHOD PATH [JSON]
    curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $SB_TOKEN" \
        -H 'Content-Type: application/json' ${3:+-d "$3"} "http://$SB_HTTP$2"
}

sb_metrics() { curl -sf -H "Authorization: Bearer $SB_TOKEN" "http://$SB_HTTP/metrics"; }

sb_gauge() {   # sb_gauge NAME [METRICS_TEXT]: the sum over all label sets, or "na"
    local text=${2-$(sb_metrics)}
    printf '%s\n' "$text" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF; f = 1 } END { if (f) printf "%.0f\n", s; else print "na" }'
}

sb_start() {   # fresh process on the bench data folder; sets SB_PID; returns 1 when SIP does not come up
    local i from
    [ -n "$SB_BIN" ] || return 1
    mkdir -p "$SB_DATA"
    touch "$OUT/switchboard.log"
    from=$(wc -l < "$OUT/switchboard.log")
    SWITCHBOARD_ADMIN_TOKEN=$SB_TOKEN RUST_LOG=${RUST_LOG:-warn} "$SB_BIN" serve --data "$SB_DATA" \
        --http "$SB_HTTP" --sip "$SB_SIP" --crm 127.0.0.1:0 --rtp-ports "$SB_RTP" --demo "${SB_SERVE_ARGS[@]}" </dev/null 9>&- >>"$OUT/switchboard.log" 2>&1 &
    SB_PID=$!
    for i in $(seq 1 150); do
        tail -n +"$((from + 1))" "$OUT/switchboard.log" | grep -q 'sip listening' && break
        kill -0 "$SB_PID" 2>/dev/null || { SB_PID=""; SB_WHY="exited: $(tail -n +"$((from + 1))" "$OUT/switchboard.log" | tail -3 | tr '\n' ' ')"; return 1; }
        sleep 0.2
    done
    if ! tail -n +"$((from + 1))" "$OUT/switchboard.log" | grep -q 'sip listening'; then
        SB_WHY="no 'sip listening' line within 30 s (SIP service not there yet?)"; sb_stop; return 1
    fi
    local e code
    for e in 1001 1002 1003; do
        code=$(sb_api PUT "/api/extensions/$e" "{\"passwd\":\"$SB_PASS$e$SB_PASS$e\"}")
        case $code in 2??) ;; *) SB_WHY="PUT /api/extensions/$e (set the SIP password) answered $code"; sb_stop; return 1 ;; esac
    done
}

sb_stop() {
    [ -n "$SB_PID" ] || return 0
    kill -TERM "$SB_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$SB_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SB_PID" 2>/dev/null || true
    wait "$SB_PID" 2>/dev/null || true
    SB_PID=""
}

sb_register_callee() {   # REGISTER 1003 with contact 127.0.0.1:5070 (where the sipp UAS will listen)
    local o="$OUT/logs/register-1003.out"
    mkdir -p "$OUT/logs"
    sipp -sf reg_auth.xml "$SB_SIP" -s 1003 -au 1003 -ap "${SB_PASS}1003${SB_PASS}1003" -i 127.0.0.1 -p "$UAS_PORT" \
        -m 1 -nostdin -timeout 10 -timeout_error >"$o" 2>&1
}

# ---------------------------------------------------------------- both
restart_pbx() {   # restart_pbx PBX: a fresh process of the one under test, Switchboard stopped if it is not
    case $1 in
        switchboard) sb_stop; sb_start || { log "switchboard did not restart: $SB_WHY"; return 1; } ;;
        anchor) sb_stop; anchor_restart ;;
    esac
}

after_step() {   # after_step PBX: nothing of this PBX may run on into the other's step
    # stop Switchboard; give the anchor a fresh, idle process (an overloaded Asterisk keeps
    # sending BYEs to 1003's contact, the next step's UAS, long after its sipp has gone)
    if [ "$1" = switchboard ]; then sb_stop; else anchor_restart; fi
}

ratio() {   # ratio A B: A / B as "0.25x", or n/a
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "na" && b != "na" && a != "") { r = a / b; printf (r < 0.1 ? "%.4fx" : "%.2fx"), r } else printf "n/a" }'
}

disturbed() {   # disturbed STEP: the rest of the machine used more than 40 % of a core in the step's window
    awk -v o="$(kv "$1" 'other_cpu%')" 'BEGIN { exit !(o > 40) }'
}

caller_of() {   # caller_of PBX: TARGET (its SIP address) and CALLER_PASS (1001's password there)
    case $1 in
        switchboard) TARGET=$SB_SIP; CALLER_PASS="${SB_PASS}1001${SB_PASS}1001" ;;
        anchor) TARGET=127.0.0.1:$AN_SIP_PORT; CALLER_PASS=${AN_PASS}1001 ;;
        *) die "pbx $1" ;;
    esac
}

# ---------------------------------------------------------------- load
# load_start PBX MODE RATE CALLS NAME: a sipp UAS (callee 1003 on 127.0.0.1:5070) and a sipp
# UAC (caller 1001, digest auth) placing CALLS calls at RATE calls/s, each held HOLD_MS after
# the ACK, in the background (LOAD_UAS, LOAD_UAC: their PIDs). MODE b2bua: signalling only;
# b2bua-rtp: the UAC plays 2 s of PCMU after its ACK and the UAS echoes it, so the PBX
# relays RTP both ways. Both sipps stop by themselves (calls done, or -timeout).
# load_finish: waits for the UAC, gives the UAS 10 s more, and sets LOAD (key=value summary
# of the UAC's statistics; the window of placing_cps is LOAD_T0..LOAD_T1, default the whole run).
load_start() {
    local pbx=$1 mode=$2 rate=$3 calls=$4 name=$5
    local limit sc uas_extra=() secs
    caller_of "$pbx"
    limit=$(( rate * (HOLD_MS / 1000 + 4) + 50 ))
    secs=$(( calls / rate + 1 ))
    case $mode in
        b2bua) sc=uac_call.xml ;;
        b2bua-rtp) sc=uac_call_rtp.xml; uas_extra=(-rtp_echo) ;;
        *) die "mode $mode" ;;
    esac
    LOAD_SINK=""
    LOAD_NAME=$name; LOAD_MODE=$mode
    mkdir -p "$OUT/logs"
    rm -f "$HOST_BENCH/logs/$name".*
    wait_ports_free
    if [ "$pbx" = switchboard ]; then
        sb_register_callee || log "$pbx: REGISTER of 1003 failed (see $OUT/logs/register-1003.out)"
    fi
    if [ "$mode" = b2bua-rtp ]; then
        # the UAC plays its pcap without binding its media port: listen there, as a phone would
        "$OUT/udp-sink" 127.0.0.1 "$UAC_MEDIA_PORT" & LOAD_SINK=$!
    fi
    # -m: room for stray requests (each counts as a call) so that the UAS does not leave early
    "$ANCHOR_DIR/sipp.sh" -sn uas -i 127.0.0.1 -p "$UAS_PORT" -mi 127.0.0.1 -mp "$UAS_MEDIA_PORT" "${uas_extra[@]}" -m $(( calls * 2 + 100 )) \
        -nostdin -timeout $(( secs + 45 )) -trace_err -error_file "$CHROOT_BENCH/logs/$name.uas.err" >"$OUT/logs/$name.uas.out" 2>&1 &
    LOAD_UAS=$!
    OUR_SIPP="$LOAD_UAS"
    sleep 0.5
    LOAD_T0=$(now); LOAD_T1=""
    "$ANCHOR_DIR/sipp.sh" -sf "$CHROOT_BENCH/$sc" "$TARGET" -s 1003 -key caller 1001 -au 1001 -ap "$CALLER_PASS" \
        -i 127.0.0.1 -p "$UAC_PORT" -mi 127.0.0.1 -mp "$UAC_MEDIA_PORT" -d "$HOLD_MS" \
        -r "$rate" -m "$calls" -l "$limit" -nostdin -timeout $(( secs + 40 )) -timeout_error -recv_timeout 10000 \
        -max_recv_loops 10000 -max_sched_loops 10000 \
        -trace_stat -stf "$CHROOT_BENCH/logs/$name.csv" -fd 1 \
        -trace_err -error_file "$CHROOT_BENCH/logs/$name.uac.err" >"$OUT/logs/$name.uac.out" 2>&1 &
    LOAD_UAC=$!
    OUR_SIPP="$LOAD_UAS $LOAD_UAC"
}

load_finish() {
    local name=$LOAD_NAME o=$OUT/logs i
    set +e; wait "$LOAD_UAC"; LOAD_UAC_RC=$?; set -e
    [ -n "$LOAD_T1" ] || LOAD_T1=$(now)
    # the UAS has nothing left to answer once the UAC is done (its -m is deliberately too
    # high): give late BYEs a moment, then stop it (SIGTERM still prints its statistics)
    sleep 2
    kill -TERM "$LOAD_UAS" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 "$LOAD_UAS" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$LOAD_UAS" 2>/dev/null || true
    set +e; wait "$LOAD_UAS"; LOAD_UAS_RC=$?; set -e
    if [ -n "$LOAD_SINK" ]; then
        kill "$LOAD_SINK" 2>/dev/null || true
        wait "$LOAD_SINK" 2>/dev/null || true
    fi
    OUR_SIPP=""
    cp "$HOST_BENCH/logs/$name".* "$o/" 2>/dev/null || true
    LOAD=$(python3 "$BENCH_HOME/lib/parse_step.py" "$o/$name.uac.out" "$o/$name.csv" "$o/$name.uas.out" "$LOAD_T0" "$LOAD_T1" \
        "$o/$name.uac.err" "$o/$name.uas.err")
}

# run_step PBX MODE RATE SECS TAG: one measured step on the PBX whose PID is SB_PID or AN_PID:
# RATE*SECS calls (at most STEP_CALLS_CAP). The PBX's CPU (and the sipps') is measured from
# 5 s after the start to 1 s before the last call is placed, as the anchor's bench.sh does;
# then every call is left to end. Sets STEP (one key=value line) and prints it.
run_step() {
    local pbx=$1 mode=$2 rate=$3 secs=$4 tag=$5
    local pid calls t0 t1 a0 a1 u0 u1 s0 s1 b0 b1 base rss hwm
    case $pbx in switchboard) pid=$SB_PID ;; anchor) pid=$AN_PID ;; esac
    calls=$(( rate * secs )); [ "$calls" -le "$STEP_CALLS_CAP" ] || calls=$STEP_CALLS_CAP
    wait_quiet "${BENCH_QUIET_WAIT:-15}"
    base=$(rss_mb "$pid")
    load_start "$pbx" "$mode" "$rate" "$calls" "$tag-$pbx-$mode-$rate"
    sleep 5
    t0=$(now); a0=$(ticks "$pid"); u0=$(ticks "$LOAD_UAC"); s0=$(ticks "$LOAD_UAS"); b0=$(busy)
    sleep $(( secs - 6 ))
    t1=$(now); a1=$(ticks "$pid"); u1=$(ticks "$LOAD_UAC"); s1=$(ticks "$LOAD_UAS"); b1=$(busy)
    LOAD_T0=$t0; LOAD_T1=$t1
    load_finish
    rss=$(rss_mb "$pid"); hwm=$(hwm_mb "$pid")
    local gauges=""
    if [ "$pbx" = switchboard ]; then
        local m left; m=$(sb_metrics || true)
        gauges=" after_calls=$(sb_gauge switchboard_calls_active "$m") after_dialogs=$(sb_gauge switchboard_sip_dialogs "$m") after_transactions=$(sb_gauge switchboard_sip_transactions "$m") after_relays=$(sb_gauge switchboard_rtp_relays "$m")"
        left=$(sb_gauge switchboard_calls_active "$m")
        if [ "$left" != 0 ] && [ "$left" != na ]; then
            # calls still up once every sipp call has ended: do they go away by themselves?
            for i in $(seq 1 35); do sleep 1; left=$(sb_gauge switchboard_calls_active); [ "$left" = 0 ] && break; done
            m=$(sb_metrics || true)
            gauges="$gauges after35s_calls=$(sb_gauge switchboard_calls_active "$m") after35s_dialogs=$(sb_gauge switchboard_sip_dialogs "$m") after35s_relays=$(sb_gauge switchboard_rtp_relays "$m")"
        fi
    fi
    STEP=$(awk -v pbx="$pbx" -v mode="$mode" -v rate="$rate" -v calls="$calls" -v t0="$t0" -v t1="$t1" \
        -v da=$(( a1 - a0 )) -v du=$(( u1 - u0 )) -v ds=$(( s1 - s0 )) -v db=$(( b1 - b0 )) -v hz="$CLK_TCK" \
        -v base="$base" -v rss="$rss" -v hwm="$hwm" -v src="$LOAD_UAC_RC" -v usrc="$LOAD_UAS_RC" -v parsed="$LOAD" -v gauges="$gauges" 'BEGIN {
        n = split(parsed, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        w = t1 - t0; cpu = 100 * da / hz / w; sipp = 100 * (du + ds) / hz / w; other = 100 * (db - da - du - ds) / hz / w
        done = v["ok"] + v["failed"]; fail = done ? 100 * v["failed"] / done : 100
        cps = v["placing_cps"]; cpc = cps > 0 ? cpu * 10 / cps : 0
        printf "pbx=%s mode=%s offered_cps=%s achieved_cps=%s calls=%s ok=%s failed=%s fail%%=%.3f peak_conc=%s resp_avg_ms=%s resp_lt10ms=%.1f%% call_len_ms=%s pbx_cpu%%=%.1f cpu_ms_per_call=%.3f pbx_rss_mb=%s pbx_peak_rss_mb=%s pbx_rss_after_mb=%s sipp_cpu%%=%.1f other_cpu%%=%.1f retrans=%s",
            pbx, mode, rate, cps, calls, v["ok"] + 0, v["failed"] + 0, fail, v["peak"], v["resp_avg_ms"], 100 * v["resp_lt10"], v["call_len_ms"], cpu, cpc, base, hwm, rss, sipp, other, v["retrans"]
        if (mode == "b2bua-rtp") printf " rtp_sent=%s rtp_echoed=%s rtp_lost%%=%.3f", v["rtp_sent"], v["rtp_echoed"], (v["rtp_sent"] > 0 ? 100 * (v["rtp_sent"] - v["rtp_echoed"]) / v["rtp_sent"] : 0)
        for (k in v) if (k ~ /^(fail_|abort_|timeout_at)/) printf " %s=%s", k, v[k]
        if (v["uas_aborted"] > 0) printf " uas_aborted=%s", v["uas_aborted"]
        printf "%s sipp_rc=%s uas_rc=%s\n", gauges, src, usrc
    }')
    echo "$STEP" | tee -a "$OUT/steps.txt"
}

kv() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'; }

# ---------------------------------------------------------------- run set-up shared by the load scripts
bench_cleanup_on_exit() {   # on exit or signal: stop our sipps and Switchboard, leave the anchor as found
    cleanup() {
        set +e
        local p; for p in ${OUR_SIPP:-}; do kill -TERM "$p" 2>/dev/null; done
        sb_stop
        anchor_restore
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_check_pbxes() {   # bench_check_pbxes BUILD_FLAG: AVAIL[pbx] (1 or "") and WHY[pbx] for each of $PBXES
    declare -gA AVAIL WHY
    local p
    for p in $PBXES; do AVAIL[$p]=1; done
    if [ -n "${AVAIL[switchboard]:-}" ]; then
        if ! sb_build $1; then
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
}

bench_versions() {   # the two header lines naming what was measured (after bench_check_pbxes)
    echo "# switchboard: $(cat "$OUT/switchboard.version" 2>/dev/null || echo "-") ${WHY[switchboard]:+NOT MEASURED: ${WHY[switchboard]}}"
    echo "# anchor: $(chroot "$ANCHOR_ROOT" dpkg-query -W -f '${Version}' asterisk 2>/dev/null || echo "?") ${WHY[anchor]:+NOT MEASURED: ${WHY[anchor]}}"
}
