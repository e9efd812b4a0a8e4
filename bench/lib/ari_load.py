#!/usr/bin/env python3
"""The three ARI measurements of bench/ari-load.sh, one subcommand each, against one PBX.

  ari_load.py rest      --channels N ...   answer N Stasis calls (sipp places them), keep them
                                           up, time GET /channels with wrk at a few
                                           concurrencies, then DELETE them all
  ari_load.py originate --rates "R ..." .. POST /channels (originate into the app) at each
                                           offered rate: originates/s reaching StasisStart,
                                           failures, originate->StasisStart latency
  ari_load.py events    --calls N ...      answer and hang up every Stasis call of a sipp load:
                                           delivery delay of every event (receive time minus
                                           its `timestamp`), events lost or late

Common options: --http 127.0.0.1:PORT, --user name:password, --app NAME, --pbx-pid PID (its
CPU is measured), --status FILE (gets "connected" once the events socket is up: the caller
starts sipp only then). Prints result lines `KIND key=value ...` on stdout, progress on
stderr. Every wait is bounded; nothing here places SIP calls (bench/ari-load.sh runs sipp).
"""
import argparse
import asyncio
import base64
import os
import re
import sys
import time
from collections import Counter

from ari_app import Ari, CpuWindow, channel_id, latency_fields, line, percentile, pid_alive


def say(text: str) -> None:
    print(f"[ari_load {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def emit(kind: str, fields: dict) -> None:
    print(line(kind, fields), flush=True)


def reasons(counter: Counter, prefix: str) -> dict:
    return {f"{prefix}{k}": v for k, v in counter.most_common()}


class StasisCalls:
    """The Stasis channels sipp's calls create: answers each StasisStart, tracks which are up
    and which have left (StasisEnd), and can hang them up after a hold time."""

    def __init__(self, ari: Ari, hold=None):
        self.ari, self.hold = ari, hold
        self.started, self.up, self.ended = set(), set(), set()
        self.answer_ms, self.answer_fail = [], Counter()
        self.hangup_ms, self.hangup_fail = [], Counter()
        self.tasks = set()
        self.last_event = time.monotonic()

    def on_event(self, event: dict) -> None:
        self.last_event = time.monotonic()
        kind, cid = event.get("type"), channel_id(event)
        if cid is None:
            return
        if kind == "StasisStart" and cid not in self.started:
            self.started.add(cid)
            task = asyncio.create_task(self._answer(cid))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif kind == "StasisEnd":
            self.ended.add(cid)
            self.up.discard(cid)

    async def _answer(self, cid: str) -> None:
        r = await self.ari.call("POST", f"/channels/{cid}/answer")
        if not r.ok:
            self.answer_fail[r.reason] += 1
            return
        self.answer_ms.append(r.secs * 1000)
        if cid not in self.ended:
            self.up.add(cid)
        if self.hold is not None:
            await asyncio.sleep(self.hold)
            await self.hang_up(cid)

    async def hang_up(self, cid: str) -> None:
        r = await self.ari.call("DELETE", f"/channels/{cid}")
        if r.ok:
            self.hangup_ms.append(r.secs * 1000)
        else:
            self.hangup_fail[r.reason] += 1


async def pump(ari: Ari, handler) -> None:
    """Feeds every event to `handler(received, event)` until the socket closes."""
    async for received, event in ari.events():
        handler(received, event)


async def wait_until(done, deadline: float, also_stop=None, step: float = 0.1) -> bool:
    """Polls `done()` until it is true (True) or `deadline` (monotonic) or `also_stop()` (False)."""
    while time.monotonic() < deadline:
        if done():
            return True
        if also_stop is not None and also_stop():
            return done()
        await asyncio.sleep(step)
    return done()


def load_pid(a) -> int:
    """The sipp's PID from --load-pid-file (written once it started), or 0."""
    try:
        with open(a.load_pid_file) as f:
            return int(f.read().strip() or 0)
    except (TypeError, OSError, ValueError):
        return 0


def load_ended(a) -> bool:
    """Whether the sipp load has ended (False while it has not started yet)."""
    pid = load_pid(a)
    return bool(pid) and not pid_alive(pid)


def write_status(path, text: str) -> None:
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")


# ---------------------------------------------------------------- rest: GET /channels with N live channels
WRK_LINE = re.compile(r"^wrk_report (.*)$", re.M)


async def run_wrk(a, connections: int) -> dict:
    """One wrk run (keep-alive, closed loop) against GET /ari/channels; its report as a dict."""
    threads = min(connections, 2)
    cmd = [a.wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(a.secs))}s", "--timeout", "10s", "-s", a.wrk_lua,
           "-H", "Authorization: Basic " + base64.b64encode(a.user.encode()).decode(),
           f"http://{a.http}/ari/channels"]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=a.secs + 30)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return {"wrk": "timeout"}
    text = out.decode(errors="replace")
    m = WRK_LINE.search(text)
    if not m:
        return {"wrk": f"rc{proc.returncode}:" + "_".join(text.split())[:80]}
    return dict(kv.split("=", 1) for kv in m.group(1).split())


async def listing(ari: Ari, ours: set) -> dict:
    r = await ari.call("GET", "/channels")
    body = r.json()
    if not r.ok or not isinstance(body, list):
        return {"status": r.status, "count": "na", "ours": "na", "bytes": len(r.body),
                "answer": "_".join(r.body.decode(errors="replace").split())[:60] or r.reason}
    ids = {c.get("id") for c in body if isinstance(c, dict)}
    up = sum(1 for c in body if isinstance(c, dict) and c.get("state") == "Up" and c.get("id") in ours)
    return {"status": r.status, "count": len(body), "ours": len(ids & ours), "ours_up": up, "bytes": len(r.body)}


async def part_rest(a) -> int:
    async with Ari(a.http, a.user, a.app) as ari:
        calls = StasisCalls(ari)
        reader = asyncio.create_task(pump(ari, lambda t, e: calls.on_event(e)))
        write_status(a.status, "connected")
        say(f"connected; waiting for {a.channels} answered Stasis channels (up to {a.setup_timeout:.0f} s)")
        t0 = time.monotonic()
        complete = await wait_until(lambda: len(calls.up) >= a.channels, t0 + a.setup_timeout,
                                    also_stop=lambda: load_ended(a) and not calls.tasks)
        setup_s = time.monotonic() - t0
        emit("setup", {"channels": a.channels, "started": len(calls.started), "up": len(calls.up),
                       "answer_fail": sum(calls.answer_fail.values()), "setup_s": setup_s,
                       **latency_fields("answer", calls.answer_ms), **reasons(calls.answer_fail, "answer_")})
        rc = 0
        if complete:
            held = set(calls.up)
            emit("list_before", await listing(ari, held))
            for c in a.conc:
                cpu = CpuWindow(a.pbx_pid, load_pid(a))
                report = await run_wrk(a, c)
                w = cpu.stop()
                reqs = int(report.get("requests", 0) or 0)
                emit("get", {"conc": c, **report, "pbx_cpu%": w["pbx_cpu%"], "wrk_cpu%": w["gen_cpu%"],
                             "other_cpu%": w["other_cpu%"],
                             "cpu_us_per_req": (1e6 * w["pbx_cpu_s"] / reqs) if reqs else "na"})
            emit("list_after", await listing(ari, held))
            dropped = len(held - calls.up)
            if dropped:
                say(f"{dropped} channels ended during the GET load")
        else:
            say(f"only {len(calls.up)} of {a.channels} channels came up: no GET measurement")
            rc = 1
        # hang every channel up, wait for their StasisEnd, check the list is empty
        t1 = time.monotonic()
        sem = asyncio.Semaphore(8)  # Asterisk listens with a backlog of 10: more new connections at once lose SYNs (1 s)

        async def one(cid):
            async with sem:
                await calls.hang_up(cid)

        targets = calls.started - calls.ended
        await asyncio.gather(*(one(cid) for cid in targets))
        await wait_until(lambda: calls.started <= calls.ended, time.monotonic() + 30)
        after = await listing(ari, calls.started)
        emit("teardown", {"deleted": len(calls.hangup_ms), "delete_fail": sum(calls.hangup_fail.values()),
                          "ended": len(calls.ended), "not_ended": len(calls.started - calls.ended),
                          "left_listed": after["count"], "list_status": after["status"],
                          "teardown_s": time.monotonic() - t1,
                          **latency_fields("delete", calls.hangup_ms), **reasons(calls.hangup_fail, "delete_")})
        reader.cancel()
        return rc


# ---------------------------------------------------------------- originate: rate of originate -> StasisStart
class Originates:
    """The channels one rate step originated: send time, StasisStart time, why the others failed."""

    def __init__(self, ari: Ari, a, tag: str):
        self.ari, self.a, self.tag = ari, a, tag
        self.sent = {}  # channel id -> send time (monotonic)
        # a server that ignores channelId names the channel itself: its id -> ours, and its
        # events that came before the POST's answer, replayed once the answer names the id
        self.alias, self.server_ids, self.early, self.ids_ignored = {}, {}, {}, 0
        self.start_ms, self.start_at, self.post_ms = {}, [], []
        self.failed = Counter()
        self.resolved, self.ended = set(), set()
        self.hangup_fail = Counter()
        self.tasks = set()

    def spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def originate(self, n: int) -> None:
        cid = f"{self.tag}-{n}"
        self.sent[cid] = time.monotonic()
        r = await self.ari.call("POST", "/channels", endpoint=self.a.endpoint, app=self.a.app, channelId=cid)
        if not r.ok:
            self.failed[f"post_{r.reason}"] += 1
            self.resolved.add(cid)
            return
        self.post_ms.append(r.secs * 1000)
        body = r.json()
        server_id = body.get("id") if isinstance(body, dict) else None
        if isinstance(server_id, str) and server_id != cid:
            self.ids_ignored += 1
            self.alias[server_id] = cid
            self.server_ids[cid] = server_id
            for received_mono, event in self.early.pop(server_id, []):
                self.on_event(received_mono, event)

    def on_event(self, received_mono: float, event: dict) -> None:
        kind, raw = event.get("type"), channel_id(event)
        cid = self.alias.get(raw, raw)
        if cid not in self.sent:
            if raw is not None and kind in ("StasisStart", "StasisEnd", "ChannelDestroyed"):
                self.early.setdefault(raw, []).append((received_mono, event))
            return
        if kind == "StasisStart" and cid not in self.start_ms:
            self.start_ms[cid] = (received_mono - self.sent[cid]) * 1000
            self.start_at.append(received_mono)
            self.resolved.add(cid)
            self.spawn(self.hang_up_later(cid))
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            self.ended.add(cid)
            if cid not in self.resolved:
                cause = event.get("cause_txt") or event.get("cause") or "unknown"
                self.failed[f"destroyed_{str(cause).replace(' ', '_')}"] += 1
                self.resolved.add(cid)

    async def hang_up_later(self, cid: str) -> None:
        await asyncio.sleep(self.a.hold)
        r = await self.ari.call("DELETE", f"/channels/{self.server_ids.get(cid, cid)}")
        if not r.ok and r.status != 404:
            self.hangup_fail[r.reason] += 1


async def part_originate(a) -> int:
    async with Ari(a.http, a.user, a.app, max_connections=a.connections) as ari:
        current = [None]

        def handler(received, event):
            if current[0] is not None:
                current[0].on_event(time.monotonic(), event)

        reader = asyncio.create_task(pump(ari, handler))
        write_status(a.status, "connected")
        rc = 0
        for step, rate in enumerate(a.rates):
            o = Originates(ari, a, f"bench-{os.getpid()}-{step}")
            current[0] = o
            total = max(1, int(rate * a.secs))
            say(f"originate {total} channels at {rate}/s to {a.endpoint}")
            t0 = time.monotonic()
            cpu = CpuWindow(a.pbx_pid, load_pid(a))
            for n in range(total):
                delay = t0 + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                o.spawn(o.originate(n))
            w = cpu.stop()
            # every originate answered (StasisStart) or failed, then every channel gone
            await wait_until(lambda: len(o.resolved) >= total, time.monotonic() + a.answer_timeout)
            for cid in set(o.sent) - o.resolved:
                o.failed[f"no_StasisStart_in_{a.answer_timeout:g}s"] += 1
                o.resolved.add(cid)
            await wait_until(lambda: not o.tasks and set(o.start_ms) <= o.ended, time.monotonic() + a.hold + 15)
            started = len(o.start_ms)
            # n StasisStarts span n - 1 intervals (as n originates span n - 1 / rate seconds)
            span = max(o.start_at) - min(o.start_at) if started > 1 else 0
            achieved = (started - 1) / span if span > 0 else 0.0
            failed = sum(o.failed.values())
            emit("originate", {
                "offered_ps": rate, "sent": total, "posted_ok": len(o.post_ms), "started": started, "failed": failed,
                "fail%": 100 * failed / total, "achieved_ps": achieved,
                **latency_fields("post", o.post_ms), **latency_fields("start", list(o.start_ms.values())),
                "not_ended": len(set(o.start_ms) - o.ended), "hangup_fail": sum(o.hangup_fail.values()),
                "channelId_ignored": o.ids_ignored,
                "pbx_cpu%": w["pbx_cpu%"], "cpu_ms_per_originate": 1000 * w["pbx_cpu_s"] / total,
                "client_cpu%": w["client_cpu%"], "sipp_cpu%": w["gen_cpu%"], "other_cpu%": w["other_cpu%"],
                **reasons(o.failed, "fail_"),
            })
            current[0] = None
            if failed > 0.05 * total or achieved < 0.8 * rate:
                say(f"collapsed at {rate}/s: higher rates skipped")
                for skipped in a.rates[step + 1:]:
                    emit("originate", {"offered_ps": skipped, "skipped": f"collapsed_at_{rate}"})
                rc = 1 if started == 0 else rc
                break
            await asyncio.sleep(1)
        reader.cancel()
        return rc


# ---------------------------------------------------------------- events: delivery delay under a call load
async def part_events(a) -> int:
    async with Ari(a.http, a.user, a.app, max_connections=a.connections) as ari:
        calls = StasisCalls(ari, hold=a.hold)
        first = []

        def handler(received, event):
            if event.get("type") == "StasisStart" and not first:
                first.append(time.monotonic())
            calls.on_event(event)

        reader = asyncio.create_task(pump(ari, handler))
        write_status(a.status, "connected")
        load_s = a.calls / a.rate
        say(f"connected; expecting {a.calls} calls at {a.rate}/s, each answered and hung up after {a.hold} s")
        deadline = time.monotonic() + load_s + a.hold + 60
        # the CPU window: from 2 s after the first StasisStart to 1 s before the last call is placed
        cpu = w = None
        while time.monotonic() < deadline:
            now = time.monotonic()
            if first and cpu is None and now >= first[0] + min(2, load_s / 4):
                cpu = CpuWindow(a.pbx_pid, load_pid(a))
            if cpu is not None and w is None and now >= first[0] + max(load_s - 1, load_s * 3 / 4):
                w = cpu.stop()
            if len(calls.ended) >= a.calls and not calls.tasks:
                break
            quiet = now - calls.last_event
            if load_ended(a) and not calls.tasks and quiet > 3:
                break
            await asyncio.sleep(0.05)
        if cpu is not None and w is None:
            w = cpu.stop()
        w = w or {"pbx_cpu%": 0.0, "pbx_cpu_s": 0.0, "client_cpu%": 0.0, "gen_cpu%": 0.0, "other_cpu%": 0.0, "secs": 1.0}
        starts = ari.delays.get("StasisStart", [])
        everything = [d for v in ari.delays.values() for d in v]
        late = a.late_ms
        window_calls = a.rate * w["secs"]
        emit("events", {
            "calls": a.calls, "stasis_start": len(calls.started), "stasis_end": len(calls.ended),
            "missing_start": max(a.calls - len(calls.started), 0),
            "missing_end": len(calls.started - calls.ended),
            "answer_fail": sum(calls.answer_fail.values()), "hangup_fail": sum(calls.hangup_fail.values()),
            **latency_fields("start_delay", starts), **latency_fields("all_delay", everything),
            "min_delay_ms": f"{min(everything):.2f}" if everything else "na",
            f"late_{late:g}ms": sum(1 for d in everything if d > late),
            "late_1s": sum(1 for d in everything if d > 1000),
            "events": len(everything), "undated": ari.undated,
            "events_per_call": f"{len(everything) / len(calls.started):.1f}" if calls.started else "na",
            **latency_fields("answer", calls.answer_ms), **latency_fields("delete", calls.hangup_ms),
            "pbx_cpu%": w["pbx_cpu%"], "cpu_ms_per_call": 1000 * w["pbx_cpu_s"] / window_calls if window_calls else "na",
            "client_cpu%": w["client_cpu%"], "sipp_cpu%": w["gen_cpu%"], "other_cpu%": w["other_cpu%"],
            **reasons(calls.answer_fail, "answer_"), **reasons(calls.hangup_fail, "delete_"),
        })
        per_type = {k: percentile(v, 99) for k, v in sorted(ari.delays.items())}
        emit("event_types", {k: f"n{len(ari.delays[k])}_p99_{v:.1f}ms" for k, v in per_type.items()})
        reader.cancel()
        return 0 if calls.started and len(calls.started) >= a.calls else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["rest", "originate", "events"])
    ap.add_argument("--http", required=True, help="the PBX's HTTP listener, 127.0.0.1:PORT")
    ap.add_argument("--user", default="asterisk:asterisk")
    ap.add_argument("--app", required=True)
    ap.add_argument("--pbx-pid", type=int, default=0)
    ap.add_argument("--load-pid-file", help="where sipp's PID will be: its CPU is measured; rest, events: stop waiting for calls once it has ended")
    ap.add_argument("--status", help="file that gets 'connected' once the events socket is up")
    ap.add_argument("--connections", type=int, default=64, help="originate, events: most REST requests in flight")
    # rest
    ap.add_argument("--channels", type=int, default=500)
    ap.add_argument("--setup-timeout", type=float, default=60)
    ap.add_argument("--conc", default="1 4 16", help="wrk connection counts")
    ap.add_argument("--secs", type=float, default=5, help="rest: seconds per wrk run; originate: seconds per rate")
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--wrk-lua", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk-report.lua"))
    # originate
    ap.add_argument("--endpoint", default="PJSIP/1003")
    ap.add_argument("--rates", default="25 50 100 200")
    ap.add_argument("--answer-timeout", type=float, default=10, help="seconds after the last originate for its StasisStart")
    ap.add_argument("--hold", type=float, default=0.5, help="seconds the app keeps an answered channel up")
    # events
    ap.add_argument("--calls", type=int, default=4000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--late-ms", type=float, default=100)
    a = ap.parse_args()
    a.conc = [int(x) for x in a.conc.split()]
    a.rates = [float(x) if "." in x else int(x) for x in a.rates.split()]
    if a.secs <= 0 or a.rate <= 0 or a.calls <= 0 or a.channels <= 0 or a.connections <= 0 or any(r <= 0 for r in a.rates):
        ap.error("counts, rates and durations must be positive")
    part = {"rest": part_rest, "originate": part_originate, "events": part_events}[a.part]
    try:
        return asyncio.run(part(a))
    except Exception as e:  # no socket: refused, or aiohttp's WSServerHandshakeError (401, 404, 501 ...)
        emit("error", {"part": a.part, "reason": type(e).__name__, "detail": "_".join(str(e).split())[:100]})
        return 2


if __name__ == "__main__":
    sys.exit(main())
