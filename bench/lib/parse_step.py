#!/usr/bin/env python3
"""Summarise one sipp load step for bench/sip-load.sh and bench/memory.sh.

  parse_step.py UAC_STDOUT UAC_STAT_CSV UAS_STDOUT T0 T1 [UAC_ERR UAS_ERR]

UAC_STAT_CSV is sipp's -trace_stat file (-fd 1: one row a second); T0 and T1 (Unix
seconds) bound the steady-state window in which the PBX's CPU was measured. Prints
key=value pairs on one line: ok, failed, created, placing_cps (calls created per second
inside the window), peak (highest concurrent calls), window_conc (average concurrent calls
of the per-second rows inside the window), resp_avg_ms (INVITE -> 200, whole
run), resp_lt10 (share of calls answered in under 10 ms), call_len_ms, retrans, the non-zero
sipp failure counters (fail_<reason>=N), rtp_sent (UAC) and rtp_echoed (UAS); from sipp's
-trace_err logs: why the UAC aborted calls (abort_<status>_at<index>=N: an unexpected
response while the scenario waited at message <index>; abort_BYE=N: the PBX sent a BYE
mid-setup; timeout_at<index>=N: nothing came)
and how many calls the UAS aborted (uas_aborted=N, e.g. a BYE before the ACK, or stray
requests for calls it does not know).
"""
import csv
import re
import sys


def ms(v: str) -> float:
    """sipp durations: HH:MM:SS:microseconds."""
    if not v:
        return 0.0
    h, m, s, us = (int(x) for x in v.split(":"))
    return ((h * 60 + m) * 60 + s) * 1000 + us / 1000


def epoch(v: str) -> float:
    return float(v.split("\t")[-1])


def grep_last(path: str, pattern: str) -> str:
    last = ""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.search(pattern, line)
                if m:
                    last = m.group(1)
    except OSError:
        pass
    return last


def read_lines(path: str):
    try:
        with open(path, errors="replace") as f:
            yield from f
    except OSError:
        return


def main() -> None:
    uac_out, stat_csv, uas_out, t0, t1 = sys.argv[1:6]
    t0, t1 = float(t0), float(t1)
    rows = []
    try:
        with open(stat_csv, newline="", errors="replace") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
    except OSError:
        pass
    out = {}
    if rows:
        last = rows[-1]
        out["ok"] = int(last["SuccessfulCall(C)"])
        out["failed"] = int(last["FailedCall(C)"])
        out["created"] = int(last["OutgoingCall(C)"])
        out["peak"] = max(int(r["CurrentCall"]) for r in rows)
        # calls created inside [t0, t1], linearly interpolated between the per-second rows
        pts = [(epoch(r["CurrentTime"]), int(r["OutgoingCall(C)"])) for r in rows]

        def at(t: float) -> float:
            if t <= pts[0][0]:
                return pts[0][1]
            for (ta, ca), (tb, cb) in zip(pts, pts[1:]):
                if ta <= t <= tb:
                    return ca if tb == ta else ca + (cb - ca) * (t - ta) / (tb - ta)
            return pts[-1][1]

        out["placing_cps"] = round((at(t1) - at(t0)) / (t1 - t0), 1) if t1 > t0 else 0
        inside = [int(r["CurrentCall"]) for r in rows if t0 <= epoch(r["CurrentTime"]) <= t1]
        out["window_conc"] = round(sum(inside) / len(inside), 1) if inside else 0
        out["resp_avg_ms"] = round(ms(last["ResponseTime1(C)"]), 2)
        out["call_len_ms"] = round(ms(last["CallLength(C)"]), 0)
        buckets = {k: int(v or 0) for k, v in last.items() if k and k.startswith("ResponseTimeRepartition1_") and k.endswith("(C)")}
        total = sum(buckets.values())
        fast = sum(v for k, v in buckets.items() if k[len("ResponseTimeRepartition1_"):-3] in ("<2", "<5", "<10"))
        out["resp_lt10"] = round(fast / total, 4) if total else 0
        out["retrans"] = int(last["Retransmissions(C)"])
        for k, v in last.items():
            if k and k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)" and v and int(v):
                out["fail_" + k[len("Failed"):-3]] = int(v)
    else:
        out.update(ok=0, failed=0, created=0, peak=0, placing_cps=0, window_conc=0, resp_avg_ms=0, call_len_ms=0, resp_lt10=0, retrans=0)
    out["rtp_sent"] = grep_last(uac_out, r"^\s*(\d+) Total RTP pckts sent") or "0"
    out["rtp_echoed"] = grep_last(uas_out, r"^\s*(\d+) Total echo RTP pckts 1st stream") or "0"
    if len(sys.argv) > 7:
        reasons = {}
        for line in read_lines(sys.argv[6]):
            m = re.search(r"Aborting call on unexpected message .*\(index (\d+)\), received 'SIP/2.0 (\d{3})", line)
            if m:
                key = f"abort_{m.group(2)}_at{m.group(1)}"
                reasons[key] = reasons.get(key, 0) + 1
            if "Aborting call on an unexpected BYE" in line:
                reasons["abort_BYE"] = reasons.get("abort_BYE", 0) + 1
            m = re.search(r"receive timeout on message .*:(\d+) without label", line)
            if m:
                key = f"timeout_at{m.group(1)}"
                reasons[key] = reasons.get(key, 0) + 1
        out.update(sorted(reasons.items(), key=lambda kv: -kv[1]))
        out["uas_aborted"] = sum(1 for line in read_lines(sys.argv[7]) if "Aborting call" in line)
    print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
