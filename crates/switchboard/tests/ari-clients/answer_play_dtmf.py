"""answer_play_dtmf.py: an ARI app on PyPI `aioari` (see requirements.txt), run against
Switchboard (tests/ari_clients.rs) and against the anchor Asterisk (scripts/ari-compare.sh).

On the first StasisStart it answers the call, plays sound:hello-world to the end, waits for
one DTMF digit (--digit, default 1) and hangs up, waiting for and checking every event on
the way, each after the one before it. It exits 0 only when all of that happened in time;
it always writes the raw events to --raw (default: next to --events) and their normalised
form (normalise-events.js, the one normaliser of both apps) to --events.

  python answer_play_dtmf.py --url http://127.0.0.1:8088 --user U --password P --app tour \
      --events events.jsonl [--raw raw.jsonl] [--digit 1] [--expect-args a,b] [--timeout-seconds 40]
"""

import argparse
import asyncio
import json
import pathlib
import subprocess
import sys
import uuid

import aioari

HERE = pathlib.Path(__file__).resolve().parent

# How long one step may wait for its event.
STEP_SECONDS = 15.0


class TourFailed(Exception):
    """The app did not see what it expected."""


class EventLog:
    """The events received, in order, and waiting for the next one that matches."""

    def __init__(self):
        self.events = []
        self.changed = asyncio.Condition()
        # Index of the last event waited for: each one waited for must come after it.
        self.last = -1

    async def push(self, event):
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def wait_for(self, what, matches):
        """The first event after the last one waited for that `matches`, within STEP_SECONDS."""

        def found():
            return next((i for i, e in enumerate(self.events) if i > self.last and matches(e)), None)

        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(lambda: found() is not None), STEP_SECONDS)
            except asyncio.TimeoutError:
                seen = ", ".join(e.get("type", "?") for e in self.events) or "none"
                raise TourFailed(f"no {what} within {STEP_SECONDS} s after the last step; events so far: {seen}")
            self.last = found()
            return self.events[self.last]


def on_channel(event_type, channel_id, extra=lambda e: True):
    """A matcher for an event of `event_type` about channel `channel_id`."""
    return lambda e: e.get("type") == event_type and e.get("channel", {}).get("id") == channel_id and extra(e)


def check(ok, message):
    if not ok:
        raise TourFailed(message)


async def answer_play_dtmf(client, log, opts, held):
    """Answer, play, wait for the digit, hang up: the whole app. The channel is noted in
    `held`, so that a failed run can let go of it."""
    start = await log.wait_for("StasisStart", lambda e: e.get("type") == "StasisStart")
    channel_id = start["channel"]["id"]
    held.append(channel_id)
    if opts.expect_args is not None:
        want = opts.expect_args.split(",") if opts.expect_args else []
        check(start.get("args") == want, f"StasisStart args {start.get('args')}, want {want}")
    check(start["channel"]["state"] == "Ring", f"StasisStart channel state {start['channel']['state']}, not Ring")

    await client.channels.answer(channelId=channel_id)
    up = on_channel("ChannelStateChange", channel_id, lambda e: e["channel"]["state"] == "Up")
    await log.wait_for("ChannelStateChange to Up", up)

    playback_id = str(uuid.uuid4())
    playback = await client.channels.play(channelId=channel_id, media="sound:hello-world", playbackId=playback_id)
    check(playback.id == playback_id, f"play answered playback {playback.id}, not the id chosen {playback_id}")

    def of_playback(event_type):
        return lambda e: e.get("type") == event_type and e.get("playback", {}).get("id") == playback_id

    await log.wait_for("PlaybackStarted", of_playback("PlaybackStarted"))
    finished = await log.wait_for("PlaybackFinished", of_playback("PlaybackFinished"))
    check(finished["playback"]["state"] == "done", f"PlaybackFinished state {finished['playback']['state']}")

    digit = on_channel("ChannelDtmfReceived", channel_id, lambda e: e.get("digit") == opts.digit)
    await log.wait_for(f"ChannelDtmfReceived {opts.digit}", digit)

    await client.channels.hangup(channelId=channel_id)
    await log.wait_for("ChannelHangupRequest", on_channel("ChannelHangupRequest", channel_id))
    await log.wait_for("StasisEnd", on_channel("StasisEnd", channel_id))
    held.remove(channel_id)
    # Anything that still trails in belongs to the sequence too.
    await asyncio.sleep(0.5)


async def until_listed(client, app):
    """Waits until ARI lists application `app`: the events socket being open does not mean the
    server has registered the application yet (Asterisk does it just after the upgrade)."""
    for _ in range(100):
        apps = await client.applications.list()
        if any(getattr(a, "json", a).get("name") == app for a in apps):
            return
        await asyncio.sleep(0.05)
    raise TourFailed(f"ARI did not list application {app} within 5 s of the socket opening")


def write_events(log, opts):
    """The raw events to --raw, their normalised form to --events."""
    raw = pathlib.Path(opts.raw or f"{opts.events}.raw")
    raw.write_text("".join(json.dumps(e) + "\n" for e in log.events))
    subprocess.run(["node", str(HERE / "normalise-events.js"), str(raw), opts.events], check=True)


async def main(opts):
    log = EventLog()
    client = await aioari.connect(opts.url, opts.user, opts.password)
    client.on_event("*", log.push)
    events = asyncio.create_task(client.run(apps=opts.app))
    held = []
    try:
        await until_listed(client, opts.app)
        print(f"answer_play_dtmf: app {opts.app} registered, waiting for a call", flush=True)
        app = asyncio.create_task(answer_play_dtmf(client, log, opts, held))
        done, _ = await asyncio.wait({app, events}, timeout=opts.timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
        if app not in done:
            app.cancel()
            if events in done:
                raise TourFailed("the events socket closed before the app was done")
            raise TourFailed(f"not done within {opts.timeout_seconds} s")
        app.result()
        print(f"answer_play_dtmf: OK, {len(log.events)} events", flush=True)
    finally:
        for channel_id in held:  # a failed run leaves no call behind
            try:
                await client.channels.hangup(channelId=channel_id)
            except Exception:
                pass
        write_events(log, opts)
        await client.close()
        events.cancel()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("url", "user", "password", "app", "events"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--raw")
    parser.add_argument("--digit", default="1")
    parser.add_argument("--expect-args", dest="expect_args")
    parser.add_argument("--timeout-seconds", dest="timeout_seconds", type=float, default=40.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args(sys.argv[1:])))
    except Exception as err:  # any failure is the test's failure: say what, exit 1
        print(f"answer_play_dtmf: FAILED: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        sys.exit(1)
