#!/usr/bin/env bash
# The media engine under load, on Switchboard and on the anchor Asterisk in one run, one PBX
# at a time: N concurrent calls that the PBX answers itself, for each mode and each N.
#
#   bench/media-load.sh [--quick] [--levels "20 50 100"] [--modes "playback bridge"]
#                       [--pbx "anchor switchboard"] [--hold SECS] [--no-build]
#   bench/media-load.sh --summary target/bench/media-load-<time>   (the tables of an earlier run)
#
# Modes (the caller is extension 1001 with digest auth, as in sip-load.sh):
#   playback  each call dials 810: the PBX answers and plays demo-congrats (a 30 s stock
#             prompt, 8 kHz WAV); the caller sends no RTP and hangs up after the hold time
#             (Asterisk: Answer + Playback; Switchboard: its playback number with
#             playback_sound = demo-congrats)
#   bridge    calls dial 7000, 7000, 7001, 7001, ...: two callers a room, N/2 rooms, each
#             caller sending PCMU (a 1 kHz tone) for the whole hold time, so every room
#             mixes two live streams (Asterisk: ConfBridge on _70XX; Switchboard:
#             conference_rooms = 7000-7099)
# A step: a fresh PBX, N calls placed in 2 s (-r N/2, -l N), each held --hold seconds
# (default 15) from its ACK, then hung up by the caller. The CPU window is the plateau with
# all N calls up and no signalling: from 4 s after the first INVITE to 1 s before the first
# call ends. Prints one line per PBX and step, a ratio line (Switchboard / anchor) per step,
# and the tables of BENCHMARKS.md. A step whose other_cpu% is above 40 is run again once,
# if the machine has become quiet (within 5 s) and the first 6 minutes are not over.
# Needs root (the anchor's chroot) and the anchor set up. See bench/README.md.
# Output: target/bench/media-load-<time>/ (steps.txt, summary.md, logs/).
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib/common.sh"

PLAYBACK_NUMBER=810          # bench/media/anchor-extensions.conf and bench/media/switchboard.toml
PROMPT=demo-congrats
FIRST_ROOM=7000
ROOMS=100                    # 7000-7099 on both PBXes
RAMP_S=2                     # all calls are placed within this time
PACKETS_PER_S=50             # 20 ms PCMU, both ways
# The anchor's stock English prompts. Its sounds/en is an absolute symlink that only
# resolves inside the chroot, so Switchboard gets a folder of its own whose en/ points at
# the real files (the layout its sound library expects: DIR/en/NAME.wav).
PROMPTS_DIR=$ANCHOR_ROOT/usr/share/asterisk/sounds/en_US_f_Allison

# ---------------------------------------------------------------- summary
summarize() {   # summarize STEPS_FILE: markdown tables of a run (the last line of a repeated step counts)
    local f=$1 line key mode n s a
    local -A R
    while IFS= read -r line; do
        case $line in pbx=*) ;; *) continue ;; esac
        case $line in *skipped:*) continue ;; esac
        R["$(kv "$line" pbx)/$(kv "$line" mode)/$(kv "$line" calls)"]=$line
    done < "$f"
    local modes
    modes=$(for k in "${!R[@]}"; do echo "$k"; done | cut -d/ -f2 | sort -u | sort -r)
    levels_of() { for k in "${!R[@]}"; do case $k in */"$1"/*) echo "${k##*/}" ;; esac; done | sort -nu; }
    echo "## media-load summary"
    echo
    grep '^#' "$f" | sed 's/^# */- /'
    echo
    echo "| mode | calls | PBX | ok / failed | concurrent (sipp) | PBX sees | PBX CPU % | CPU µs per call-second | CPU ms per call (whole call) | RSS idle → plateau MB | RSS KB per call | RTP packets the callers got (expected) | UDP in pkts/s (expected) | other CPU % |"
    echo "|---|---:|---|---|---:|---|---:|---:|---:|---|---:|---|---|---:|"
    for mode in $modes; do
        for n in $(levels_of "$mode"); do
            for p in switchboard anchor; do
                s=${R[$p/$mode/$n]:-}; [ -n "$s" ] || continue
                echo "| $mode | $n | $p | $(kv "$s" ok) / $(kv "$s" failed) | $(kv "$s" window_conc) | $(sees "$s") | $(kv "$s" 'pbx_cpu%') | $(kv "$s" cpu_us_per_call_s) | $(kv "$s" cpu_ms_per_call) | $(kv "$s" rss_idle_mb) → $(kv "$s" rss_plateau_mb) | $(kv "$s" rss_kb_per_call) | $(kv "$s" rtp_received) ($(kv "$s" rtp_expected)) | $(kv "$s" udp_in_pps) ($(kv "$s" udp_expected_pps)) | $(kv "$s" 'other_cpu%') |"
            done
        done
    done
    echo
    echo "| mode | calls | CPU per call-second S÷A | CPU per whole call S÷A | RSS per call S÷A | failed S / A |"
    echo "|---|---:|---:|---:|---:|---|"
    for mode in $modes; do
        for n in $(levels_of "$mode"); do
            s=${R[switchboard/$mode/$n]:-}; a=${R[anchor/$mode/$n]:-}
            [ -n "$s" ] && [ -n "$a" ] || continue
            echo "| $mode | $n | $(ratio "$(kv "$s" cpu_us_per_call_s)" "$(kv "$a" cpu_us_per_call_s)") | $(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") | $(ratio "$(kv "$s" rss_kb_per_call)" "$(kv "$a" rss_kb_per_call)") | $(kv "$s" failed) / $(kv "$a" failed) |"
        done
    done
}

sees() {   # sees STEP: what the PBX itself counted at the plateau
    case $(kv "$1" pbx) in
        switchboard) echo "$(kv "$1" sb_calls) calls, $(kv "$1" sb_channels) channels, $(kv "$1" sb_bridges) bridges" ;;
        anchor) echo "$(kv "$1" an_calls) calls, $(kv "$1" an_channels) channels, $(kv "$1" an_bridges) bridges" ;;
    esac
}

# ---------------------------------------------------------------- arguments
LEVELS="20 50 100"
MODES="playback bridge"
PBXES="anchor switchboard"
HOLD_S=15
BUILD=""
RETRY=1
BUDGET=${BENCH_BUDGET_SECS:-540}   # no new step starts after this many seconds
while [ $# -gt 0 ]; do
    case $1 in
        --quick) LEVELS="10"; HOLD_S=8; RETRY=0; export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-5} ;;
        --levels) LEVELS=$2; shift ;;
        --modes) MODES=$2; shift ;;
        --pbx) PBXES=$2; shift ;;
        --hold) HOLD_S=$2; shift ;;
        --no-build) BUILD=--no-build ;;
        --summary) summarize "$2/steps.txt"; exit 0 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
[[ $HOLD_S =~ ^[0-9]+$ ]] && [ "$HOLD_S" -ge 8 ] && [ "$HOLD_S" -le 25 ] || die "--hold must be within 8..25 s (the prompt lasts 30 s)"
for n in $LEVELS; do
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le $(( ROOMS * 2 )) ] && [ $(( n % 2 )) = 0 ] \
        || die "--levels: even numbers of calls within 2..$(( ROOMS * 2 )) (two callers a room, $ROOMS rooms)"
done
for m in $MODES; do case $m in playback|bridge) ;; *) die "unknown mode $m" ;; esac; done

bench_init media-load
[ -f "$PROMPTS_DIR/$PROMPT.wav" ] || die "no $PROMPTS_DIR/$PROMPT.wav (asterisk-core-sounds-en-wav in the anchor)"
mkdir -p "$OUT/sounds" "$OUT/logs"
ln -sfn "$PROMPTS_DIR" "$OUT/sounds/en"
SB_SERVE_ARGS=(--config "$BENCH_HOME/media/switchboard.toml" --sounds "$OUT/sounds")
python3 "$BENCH_HOME/lib/mkpcap.py" "$HOST_BENCH/pcmu-media.pcap" "$HOLD_S"
{   echo SEQUENTIAL
    for r in $(seq "$FIRST_ROOM" $(( FIRST_ROOM + ROOMS - 1 ))); do echo "$r;"; echo "$r;"; done
} > "$HOST_BENCH/rooms.csv"

STARTED=$(date +%s)
anchor_remember
anchor_add_dialplan "$BENCH_HOME/media/anchor-extensions.conf"
bench_cleanup_on_exit
bench_check_pbxes "$BUILD"
{
    echo "# media-load $(date '+%F %T') on $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r); levels '$LEVELS', modes '$MODES', calls held $HOLD_S s, placed in $RAMP_S s"
    bench_versions
    echo "# prompt: $PROMPT.wav ($(awk -v b="$(stat -c %s "$PROMPTS_DIR/$PROMPT.wav")" 'BEGIN { printf "%.1f", (b - 44) / 16000 }') s, 8 kHz 16-bit) from $PROMPTS_DIR"
} | tee "$OUT/steps.txt"

# ---------------------------------------------------------------- one step
sleep_until() { local d; d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; printf "%.2f", (d > 0 ? d : 0) }'); sleep "$d"; }
at() { awk -v t="$1" -v d="$2" 'BEGIN { printf "%.3f", t + d }'; }   # at T D: the time D seconds after T
udp_in() { awk '/^Udp:/ { n++; if (n == 2) print $2, $6 }' /proc/net/snmp; }   # InDatagrams RcvbufErrors (whole host)

plateau_counts() {   # plateau_counts PBX: what the PBX counts with every call up (after the CPU window)
    local m
    case $1 in
        switchboard)
            m=$(sb_metrics || true)
            # channels and bridges: their own gauges when /metrics has them; a terminating
            # channel holds 2 ports (RTP, RTCP) and there are no relays in these modes
            local ports ch br
            ports=$(sb_gauge switchboard_rtp_ports_in_use "$m")
            ch=$(sb_gauge switchboard_media_channels "$m"); [ "$ch" != na ] || ch=$(awk -v p="$ports" 'BEGIN { print (p == "na" ? "na" : "~" p / 2) }')
            br=$(sb_gauge switchboard_media_bridges "$m")
            printf '%s\n' "$m" > "$OUT/metrics-$NAME.txt"
            echo "sb_calls=$(sb_gauge switchboard_calls_active "$m") sb_channels=$ch sb_bridges=$br sb_ports=$ports sb_relays=$(sb_gauge switchboard_rtp_relays "$m")" ;;
        anchor)
            local cli="chroot $ANCHOR_ROOT /usr/sbin/asterisk -rx"
            echo "an_channels=$($cli 'core show channels count' 2>/dev/null | awk '/active channel/ { print $1 }') an_calls=$($cli 'core show channels count' 2>/dev/null | awk '/active call/ { print $1 }') an_bridges=$($cli 'bridge show all' 2>/dev/null | grep -c softmix)" ;;
    esac
}

# media_step PBX MODE CALLS TAG: one measured step on the running PBX (SB_PID or AN_PID). Sets STEP.
media_step() {
    local pbx=$1 mode=$2 n=$3 tag=$4
    local pid rate sc extra=() ts t0 t1 te a_start a0 a1 a_end u0 u1 b0 b1 i0 i1 base plateau counts after="" expected
    case $pbx in switchboard) pid=$SB_PID ;; anchor) pid=$AN_PID ;; esac
    caller_of "$pbx"
    rate=$(( n / RAMP_S )); [ "$rate" -ge 1 ] || rate=1
    case $mode in
        playback) sc=uac_call.xml; extra=(-s "$PLAYBACK_NUMBER"); expected=$(( n * PACKETS_PER_S )) ;;
        bridge) sc=uac_room_rtp.xml; extra=(-inf "$CHROOT_BENCH/rooms.csv"); expected=$(( 2 * n * PACKETS_PER_S )) ;;
    esac
    NAME="$tag-$pbx-$mode-$n"
    wait_quiet "${BENCH_QUIET_WAIT:-15}"
    wait_ports_free
    rm -f "$HOST_BENCH/logs/$NAME".*
    python3 "$BENCH_HOME/lib/rtp_sink.py" "$UAC_MEDIA_PORT" >"$OUT/logs/$NAME.sink.out" 2>&1 &
    local sink=$!
    OUR_SIPP=$sink
    base=$(rss_mb "$pid")
    ts=$(now); a_start=$(ticks "$pid")
    "$ANCHOR_DIR/sipp.sh" -sf "$CHROOT_BENCH/$sc" "$TARGET" "${extra[@]}" -key caller 1001 -au 1001 -ap "$CALLER_PASS" \
        -i 127.0.0.1 -p "$UAC_PORT" -mi 127.0.0.1 -mp "$UAC_MEDIA_PORT" -d $(( HOLD_S * 1000 )) \
        -r "$rate" -m "$n" -l "$n" -nostdin -timeout $(( HOLD_S + RAMP_S + 40 )) -timeout_error -recv_timeout 10000 \
        -trace_stat -stf "$CHROOT_BENCH/logs/$NAME.csv" -fd 1 \
        -trace_err -error_file "$CHROOT_BENCH/logs/$NAME.uac.err" >"$OUT/logs/$NAME.uac.out" 2>&1 &
    local uac=$!
    OUR_SIPP="$uac $sink"
    sleep_until "$(at "$ts" $(( RAMP_S + 2 )))"
    t0=$(now); a0=$(ticks "$pid"); u0=$(( $(ticks "$uac") + $(ticks "$sink") )); b0=$(busy); i0=$(udp_in)
    sleep_until "$(at "$ts" $(( HOLD_S - 1 )))"
    t1=$(now); a1=$(ticks "$pid"); u1=$(( $(ticks "$uac") + $(ticks "$sink") )); b1=$(busy); i1=$(udp_in)
    plateau=$(rss_mb "$pid")
    counts=$(plateau_counts "$pbx")
    set +e; wait "$uac"; local rc=$?; set -e
    te=$(now); a_end=$(ticks "$pid")
    OUR_SIPP=""
    kill -TERM "$sink" 2>/dev/null || true
    wait "$sink" 2>/dev/null || true
    local received; received=$(sed -n 's/^rtp_received=\([0-9]*\).*/\1/p' "$OUT/logs/$NAME.sink.out")
    cp "$HOST_BENCH/logs/$NAME".* "$OUT/logs/" 2>/dev/null || true
    local o=$OUT/logs
    LOAD=$(python3 "$BENCH_HOME/lib/parse_step.py" "$o/$NAME.uac.out" "$o/$NAME.csv" /dev/null "$t0" "$t1" "$o/$NAME.uac.err" /dev/null)
    if [ "$pbx" = switchboard ]; then
        sleep 1
        local m; m=$(sb_metrics || true)
        after=" after_calls=$(sb_gauge switchboard_calls_active "$m") after_ports=$(sb_gauge switchboard_rtp_ports_in_use "$m")"
    fi
    STEP=$(awk -v pbx="$pbx" -v mode="$mode" -v n="$n" -v t0="$t0" -v t1="$t1" -v ts="$ts" -v te="$te" \
        -v da=$(( a1 - a0 )) -v dall=$(( a_end - a_start )) -v du=$(( u1 - u0 )) -v db=$(( b1 - b0 )) -v hz="$CLK_TCK" \
        -v i0="$i0" -v i1="$i1" -v expected="$expected" -v base="$base" -v plateau="$plateau" -v hwm="$(hwm_mb "$pid")" \
        -v rc="$rc" -v received="${received:-na}" -v per_call=$(( PACKETS_PER_S * HOLD_S )) -v parsed="$LOAD" -v counts="$counts" -v after="$after" 'BEGIN {
        k = split(parsed, kv, " "); for (i = 1; i <= k; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        w = t1 - t0; split(i0, x0, " "); split(i1, x1, " ")
        cpu = 100 * da / hz / w; sipp = 100 * du / hz / w; other = 100 * (db - da - du) / hz / w
        conc = v["window_conc"] + 0
        us = conc > 0 ? 1e6 * da / hz / (conc * w) : 0
        ms = v["ok"] > 0 ? 1000 * dall / hz / v["ok"] : 0
        kb = (base != "na" && plateau != "na" && n > 0) ? (plateau - base) * 1024 / n : 0
        printf "pbx=%s mode=%s calls=%s ok=%s failed=%s peak_conc=%s window_conc=%s window_s=%.1f resp_avg_ms=%s call_len_ms=%s pbx_cpu%%=%.1f cpu_us_per_call_s=%.1f cpu_ms_per_call=%.2f rss_idle_mb=%s rss_plateau_mb=%s rss_kb_per_call=%.0f pbx_peak_rss_mb=%s sipp_cpu%%=%.1f other_cpu%%=%.1f udp_in_pps=%.0f udp_expected_pps=%s udp_rcvbuf_errors=%d rtp_received=%s rtp_expected=%d %s",
            pbx, mode, n, v["ok"] + 0, v["failed"] + 0, v["peak"], conc, w, v["resp_avg_ms"], v["call_len_ms"], cpu, us, ms, base, plateau, kb, hwm, sipp, other, (x1[1] - x0[1]) / w, expected, x1[2] - x0[2], received, v["ok"] * per_call, counts
        for (key in v) if (key ~ /^(fail_|abort_|timeout_at)/) printf " %s=%s", key, v[key]
        printf "%s sipp_rc=%s\n", after, rc
    }')
    echo "$STEP" | tee -a "$OUT/steps.txt"
}

# ---------------------------------------------------------------- the run
declare -A RES
k=0
for mode in $MODES; do
    for n in $LEVELS; do
        if [ $(( k % 2 )) = 0 ]; then order="anchor switchboard"; else order="switchboard anchor"; fi
        k=$(( k + 1 ))
        for pbx in $order; do
            [ -n "${AVAIL[$pbx]:-}" ] || continue
            if [ $(( $(date +%s) - STARTED )) -gt "$BUDGET" ]; then
                echo "pbx=$pbx mode=$mode calls=$n skipped: time budget of $BUDGET s used up" | tee -a "$OUT/steps.txt"
                continue
            fi
            for attempt in 1 2; do
                restart_pbx "$pbx" || { AVAIL[$pbx]=""; WHY[$pbx]="did not restart"; break; }
                log "$pbx $mode: $n calls held $HOLD_S s (attempt $attempt)"
                media_step "$pbx" "$mode" "$n" "s$k.$attempt"
                after_step "$pbx"
                [ "$RETRY" = 1 ] && [ $(( $(date +%s) - STARTED )) -lt $(( BUDGET * 2 / 3 )) ] || break
                disturbed "$STEP" || break
                # a repeat under the same outside load measures nothing new: repeat only once it has gone
                machine_quiet 5 || { log "other_cpu above 40 % and the machine is still busy ($QUIET_LAST % of a core): not repeating"; break; }
                [ $attempt = 1 ] && log "other_cpu above 40 %: repeating the step"
            done
            [ -n "${AVAIL[$pbx]:-}" ] || continue
            RES[$pbx/$mode/$n]=$STEP
        done
        s=${RES[switchboard/$mode/$n]:-}; a=${RES[anchor/$mode/$n]:-}
        if [ -n "$s" ] && [ -n "$a" ]; then
            echo "ratio mode=$mode calls=$n switchboard/anchor: cpu_per_call_s=$(ratio "$(kv "$s" cpu_us_per_call_s)" "$(kv "$a" cpu_us_per_call_s)") cpu_per_call=$(ratio "$(kv "$s" cpu_ms_per_call)" "$(kv "$a" cpu_ms_per_call)") rss_per_call=$(ratio "$(kv "$s" rss_kb_per_call)" "$(kv "$a" rss_kb_per_call)") failed=$(kv "$s" failed) vs $(kv "$a" failed)" | tee -a "$OUT/steps.txt"
        fi
    done
done

summarize "$OUT/steps.txt" | tee "$OUT/summary.md"
log "done: $OUT/steps.txt, $OUT/summary.md"
