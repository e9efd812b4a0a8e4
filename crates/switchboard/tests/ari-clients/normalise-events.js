'use strict';
// normalise-events.js: owns the normalised form of an ARI event sequence, the form in which
// the runs against Switchboard and against the anchor Asterisk are compared.
//
// Each raw event becomes one object: its `type` and a few stable fields, with every id
// (channel, bridge, playback, recording name) replaced by a label given in order of first
// appearance (`channel1`, `bridge1`, `playback2`, `recording1`) and times, `asterisk_id`,
// `application` and channel names left out. Events that only Asterisk sends for reasons of
// its own implementation are dropped (see IGNORED). The result does not depend on which
// server ran the call, only on what happened in it.
//
// Comparing two runs: Asterisk publishes events of different kinds on different internal
// topics, so their interleaving varies from run to run on Asterisk itself (the originate's
// first Dial and the new channel's ChannelStateChange Ringing come in either order). The
// comparison is therefore made per stream (`byStream`): the events about one channel, one
// channel's Dial progress, one playback, one recording, one bridge, each in arrival order.
// Order across streams is what each app asserts itself (stasis-tour.js EXPECTED_ORDER).
//
// Used by stasis-tour.js as a module, and as a command by the Python app and the compare:
//   node normalise-events.js RAW_JSONL OUT_JSONL    normalises raw events
//   node normalise-events.js --by-stream EVENTS_JSONL  prints normalised events by stream

const fs = require('fs');

/**
 * Events dropped because they report Asterisk's dialplan bookkeeping, not the call (with
 * why). Seen on Asterisk 22.10.1 during the Stasis tour; no app of ours sets a variable, so
 * no ChannelVarset of these names can be ours.
 */
const IGNORED = [
  {
    why: 'chan_pjsip sets the RTP statistics RTPAUDIOQOS* at hangup, and RTPAUDIOQOS*BRIDGED on the bridged peer',
    test: (e) => e.type === 'ChannelVarset' && /^RTPAUDIOQOS/.test(e.variable || ''),
  },
  {
    why:
      'the bridging core sets BRIDGEPEER and BRIDGEPVTCALLID on each member, again whenever the bridge ' +
      'changes (3 times each for one 2-party bridge)',
    test: (e) => e.type === 'ChannelVarset' && ['BRIDGEPEER', 'BRIDGEPVTCALLID'].includes(e.variable),
  },
  {
    why: 'app_stasis sets STASISSTATUS on a channel that ARI originated, before StasisStart and after StasisEnd',
    test: (e) => e.type === 'ChannelVarset' && e.variable === 'STASISSTATUS',
  },
];

/** Gives each id of one kind a label in order of first appearance. */
class Labels {
  constructor() {
    this.byKind = new Map();
  }

  /** The label of `id` among ids of `kind` (`channel`, `bridge`...). */
  of(kind, id) {
    if (id === undefined || id === null || id === '') return undefined;
    let ids = this.byKind.get(kind);
    if (!ids) {
      ids = new Map();
      this.byKind.set(kind, ids);
    }
    if (!ids.has(id)) ids.set(id, `${kind}${ids.size + 1}`);
    return ids.get(id);
  }

  /** `channel:ID`, `bridge:ID`, `recording:NAME`... with the id labelled; other URIs as they are. */
  uri(uri) {
    if (typeof uri !== 'string') return undefined;
    const match = /^(channel|bridge|recording|playback):(.+)$/.exec(uri);
    return match ? `${match[1]}:${this.of(match[1], match[2])}` : uri;
  }
}

/** Copies the fields of `from` named in `names` that are present. */
function pick(into, from, names) {
  for (const name of names) {
    if (from && from[name] !== undefined) into[name] = from[name];
  }
  return into;
}

/** The normalised form of one raw event (`null` when it is ignored). */
function normaliseEvent(event, labels) {
  if (IGNORED.some((rule) => rule.test(event))) return null;
  const out = { type: event.type };
  if (event.channel) {
    out.channel = labels.of('channel', event.channel.id);
    out.state = event.channel.state;
  }
  if (event.peer) out.peer = labels.of('channel', event.peer.id);
  if (event.caller && event.caller.id) out.caller = labels.of('channel', event.caller.id);
  if (event.bridge) {
    out.bridge = labels.of('bridge', event.bridge.id);
    out.bridge_type = event.bridge.bridge_type;
    out.bridge_channels = (event.bridge.channels || []).map((id) => labels.of('channel', id)).sort();
  }
  if (event.playback) {
    out.playback = labels.of('playback', event.playback.id);
    out.playback_state = event.playback.state;
    out.media_uri = labels.uri(event.playback.media_uri);
    out.target_uri = labels.uri(event.playback.target_uri);
  }
  if (event.recording) {
    out.recording = labels.of('recording', event.recording.name);
    out.recording_state = event.recording.state;
    out.format = event.recording.format;
    out.target_uri = labels.uri(event.recording.target_uri);
  }
  pick(out, event, ['args', 'digit', 'dialstatus', 'cause', 'soft', 'cause_txt', 'variable', 'eventname']);
  return out;
}

/** The normalised sequence of `events` (raw ARI events in arrival order). */
function normalise(events) {
  const labels = new Labels();
  return events.map((event) => normaliseEvent(event, labels)).filter((event) => event !== null);
}

/** The stream an event belongs to: its channel, Dial peer, playback, recording or bridge. */
function streamOf(event) {
  if (event.channel) return event.channel;
  if (event.peer) return `dial:${event.peer}`;
  return event.playback || event.recording || event.bridge || 'other';
}

/** `STREAM<TAB>EVENT` lines: the streams in name order, each stream's events in arrival order. */
function byStream(events) {
  const streams = new Map();
  for (const event of events) {
    const stream = streamOf(event);
    if (!streams.has(stream)) streams.set(stream, []);
    streams.get(stream).push(event);
  }
  return [...streams.keys()]
    .sort()
    .flatMap((stream) => streams.get(stream).map((event) => `${stream}\t${JSON.stringify(event)}\n`))
    .join('');
}

/** JSON lines, one event a line. */
function toJsonLines(events) {
  return events.map((event) => JSON.stringify(event)).join('\n') + (events.length ? '\n' : '');
}

/** Reads a JSON-lines file of raw events. */
function readJsonLines(path) {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/**
 * Throws unless `expected` ([type, {field: value}] pairs) occurs in `events` in this order,
 * other events allowed in between.
 */
function assertSubsequence(events, expected) {
  let at = 0;
  for (const [type, fields] of expected) {
    const matches = (event) =>
      event.type === type &&
      Object.entries(fields || {}).every(([k, v]) => JSON.stringify(event[k]) === JSON.stringify(v));
    while (at < events.length && !matches(events[at])) at += 1;
    if (at === events.length) {
      throw new Error(
        `expected ${type} ${JSON.stringify(fields || {})} in order, not found after the events before it; ` +
          `normalised events:\n${toJsonLines(events)}`
      );
    }
    at += 1;
  }
}

module.exports = { normalise, byStream, toJsonLines, readJsonLines, assertSubsequence, IGNORED };

if (require.main === module) {
  const [first, second] = process.argv.slice(2);
  if (first === '--by-stream' && second) {
    process.stdout.write(byStream(readJsonLines(second)));
  } else if (first && second) {
    fs.writeFileSync(second, toJsonLines(normalise(readJsonLines(first))));
  } else {
    console.error('usage: node normalise-events.js RAW_JSONL OUT_JSONL | --by-stream EVENTS_JSONL');
    process.exit(2);
  }
}
