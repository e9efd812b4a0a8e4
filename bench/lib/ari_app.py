"""The ARI application of bench/ari-load.sh (imported by ari_load.py).

Owns the connection to one ARI server (Asterisk 22 or Switchboard, the same code for both):
the events WebSocket of one application, with the receive time of every event and its delay
from the event's own `timestamp` field, and a keep-alive REST session (HTTP Basic); plus what
the parts measure with: percentiles and the CPU of the PBX, of this client and of the rest of
the machine over a window.
"""
import asyncio
import json
import os
import resource
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import aiohttp

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Reply:
    """One REST answer: the HTTP status (0 when no answer came), the body, the time it took."""

    status: int
    body: bytes
    secs: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """What went wrong, as a counter key: `http_<status>` or the exception's name."""
        return f"http_{self.status}" if self.status else f"error_{self.error}"

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def event_delay_ms(event: dict, received: float):
    """Receive time minus the event's `timestamp` (ISO 8601, ms resolution on Asterisk), or None."""
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        return (received - datetime.fromisoformat(stamp).timestamp()) * 1000
    except ValueError:
        return None


class Ari:
    """An ARI application `app` on `host` (`127.0.0.1:PORT`) as `user` (`name:password`).

    `async with Ari(...) as ari:` connects the events socket; `ari.events()` yields
    `(receive time, event)`; `ari.call(...)` is one REST request. Every event's delay is kept
    per event type in `ari.delays` (ms), so each part can report delivery latency.
    """

    def __init__(self, host: str, user: str, app: str, max_connections: int = 16):
        self.host, self.app = host, app
        self.name, _, self.password = user.partition(":")
        self.max_connections = max_connections
        self.delays = defaultdict(list)
        self.undated = 0  # events without a readable timestamp
        self.session = None
        self.ws = None

    async def __aenter__(self):
        self.session = aiohttp.ClientSession(
            auth=aiohttp.BasicAuth(self.name, self.password),
            # kept-alive connections, at most max_connections (requests beyond wait in the
            # client, and that wait counts in their time); the client closes an idle one after
            # 5 s, before the server does (Asterisk: 15 s), so it never reuses a closing one
            connector=aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=5),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        try:
            self.ws = await self.session.ws_connect(
                f"http://{self.host}/ari/events",
                params={"app": self.app, "api_key": f"{self.name}:{self.password}"},
                max_msg_size=0,
                autoping=True,
            )
        except BaseException:
            await self.session.close()
            raise
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()
        await self.session.close()

    async def call(self, method: str, path: str, **params) -> Reply:
        """One REST request to `/ari<path>`; never raises for a failed request."""
        start = time.perf_counter()
        try:
            async with self.session.request(method, f"http://{self.host}/ari{path}", params=params or None) as r:
                body = await r.read()
                return Reply(r.status, body, time.perf_counter() - start)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            return Reply(0, b"", time.perf_counter() - start, type(e).__name__)

    async def events(self):
        """The application's events as `(receive time, event)`, until the socket closes."""
        async for msg in self.ws:
            received = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return
                continue
            try:
                event = json.loads(msg.data)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            delay = event_delay_ms(event, received)
            if delay is None:
                self.undated += 1
            else:
                self.delays[event.get("type", "?")].append(delay)
            yield received, event


def channel_id(event: dict):
    """The id of the event's channel, or None."""
    channel = event.get("channel")
    return channel.get("id") if isinstance(channel, dict) else None


def percentile(values, q: float):
    """Nearest-rank percentile (q in 0..100) of a list, or None when it is empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def latency_fields(prefix: str, values_ms) -> dict:
    """`<prefix>_p50_ms`, `_p99_ms`, `_max_ms` of a list of milliseconds ("na" when empty)."""
    out = {}
    for name, q in (("p50", 50), ("p99", 99), ("max", 100)):
        v = percentile(values_ms, q)
        out[f"{prefix}_{name}_ms"] = "na" if v is None else f"{v:.2f}"
    return out


def _ticks(pid) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15)
    except (OSError, IndexError, ValueError):
        return 0


def _busy() -> int:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal


def _children_s() -> float:
    """CPU seconds of this process's ended children (wrk)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class CpuWindow:
    """CPU used between its creation and `stop()`, in % of one core: the PBX's, this client's,
    the load generators' (`gen_pid`: sipp, and this client's ended children: wrk), and the
    rest of the machine's (`other_cpu%`: someone else's work, or the kernel's)."""

    def __init__(self, pbx_pid, gen_pid=None):
        self.pbx_pid, self.gen_pid = pbx_pid, gen_pid
        self.start = self._sample()

    def _sample(self):
        gen = (_ticks(self.gen_pid) if self.gen_pid else 0) / CLK_TCK + _children_s()
        return time.monotonic(), _ticks(self.pbx_pid) if self.pbx_pid else 0, _ticks(os.getpid()), gen, _busy()

    def stop(self) -> dict:
        """`secs`, `pbx_cpu_s` (seconds of CPU) and the four percentages."""
        t1, p1, c1, g1, b1 = self._sample()
        t0, p0, c0, g0, b0 = self.start
        secs = max(t1 - t0, 1e-6)
        pbx, client, gen, busy = (p1 - p0) / CLK_TCK, (c1 - c0) / CLK_TCK, g1 - g0, (b1 - b0) / CLK_TCK
        return {
            "secs": secs,
            "pbx_cpu_s": pbx,
            "pbx_cpu%": 100 * pbx / secs,
            "client_cpu%": 100 * client / secs,
            "gen_cpu%": 100 * gen / secs,
            "other_cpu%": 100 * max(busy - pbx - client - gen, 0) / secs,
        }


def pid_alive(pid) -> bool:
    """Whether process `pid` still runs (not a zombie); False for no pid."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def line(kind: str, fields: dict) -> str:
    """One result line: `kind key=value ...` (floats with 2 decimals)."""
    parts = [kind]
    for k, v in fields.items():
        parts.append(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts)
