'use strict';
// stasis-tour.js: the Stasis tour, an ARI app on the official npm `ari-client`, run against
// Switchboard (tests/ari_clients.rs) and against the anchor Asterisk (scripts/ari-compare.sh).
//
// On the first StasisStart it answers the call, plays sound:hello-world, records 2 s, plays
// the recording back, creates a mixing bridge, puts the call in it, originates a second
// channel to --endpoint into the same app, bridges it too, hangs up both and destroys the
// bridge, waiting for and checking every event on the way. It exits 0 only when the whole
// tour ran in time and the events came in the expected order; it always writes the
// normalised event sequence (normalise-events.js) to --events, and the raw events to --raw.
//
//   node stasis-tour.js --url http://127.0.0.1:8088 --user U --password P --app tour \
//     --endpoint PJSIP/1003 --events events.jsonl [--raw raw.jsonl] [--expect-args a,b]
//     [--timeout-seconds 60]

const crypto = require('crypto');
const fs = require('fs');
const ari = require('ari-client');
const { EventLog, onChannel } = require('./event-log');
const { normalise, toJsonLines, assertSubsequence } = require('./normalise-events');

/** How long one step may wait for its event (originate and recording included). */
const STEP_MS = 15000;

/** Reads `--name value` pairs; `required` names must be present. */
function parseArgs(argv, required) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    opts[argv[i].slice(2)] = argv[i + 1];
  }
  const missing = required.filter((name) => opts[name] === undefined);
  if (missing.length) throw new Error(`missing --${missing.join(', --')}`);
  return opts;
}

/** Throws `message` unless `ok`. */
function check(ok, message) {
  if (!ok) throw new Error(message);
}

/** The order the normalised events must come in (other events may come in between). */
const EXPECTED_ORDER = (args) => [
  ['StasisStart', { channel: 'channel1', args, state: 'Ring' }],
  ['ChannelStateChange', { channel: 'channel1', state: 'Up' }],
  ['PlaybackStarted', { playback: 'playback1', media_uri: 'sound:hello-world', target_uri: 'channel:channel1' }],
  ['PlaybackFinished', { playback: 'playback1', playback_state: 'done' }],
  ['RecordingStarted', { recording: 'recording1', format: 'wav', target_uri: 'channel:channel1' }],
  ['RecordingFinished', { recording: 'recording1', recording_state: 'done' }],
  ['PlaybackStarted', { playback: 'playback2', media_uri: 'recording:recording1' }],
  ['PlaybackFinished', { playback: 'playback2', playback_state: 'done' }],
  ['ChannelEnteredBridge', { channel: 'channel1', bridge: 'bridge1', bridge_type: 'mixing' }],
  ['StasisStart', { channel: 'channel2', args: ['dialed'], state: 'Up' }],
  ['ChannelEnteredBridge', { channel: 'channel2', bridge: 'bridge1', bridge_channels: ['channel1', 'channel2'] }],
  ['ChannelHangupRequest', { channel: 'channel1' }],
  ['ChannelLeftBridge', { channel: 'channel1', bridge: 'bridge1' }],
  ['StasisEnd', { channel: 'channel1' }],
  ['ChannelHangupRequest', { channel: 'channel2' }],
  ['ChannelLeftBridge', { channel: 'channel2', bridge: 'bridge1' }],
  ['StasisEnd', { channel: 'channel2' }],
  ['ChannelDestroyed', { channel: 'channel2' }],
  ['BridgeDestroyed', { bridge: 'bridge1' }],
];

/** Plays `media` on `channelId` with a playback id of our choosing and waits for it to finish. */
async function playToEnd(client, log, channelId, media) {
  const playbackId = crypto.randomUUID();
  const playback = await client.channels.play({ channelId, media, playbackId });
  check(playback.id === playbackId, `play answered playback ${playback.id}, not the id chosen ${playbackId}`);
  const ofPlayback = (type) => (e) => e.type === type && e.playback && e.playback.id === playbackId;
  const started = await log.waitFor(`PlaybackStarted of ${media}`, ofPlayback('PlaybackStarted'), STEP_MS);
  check(started.playback.media_uri === media, `PlaybackStarted media_uri ${started.playback.media_uri}`);
  const finished = await log.waitFor(`PlaybackFinished of ${media}`, ofPlayback('PlaybackFinished'), STEP_MS);
  check(finished.playback.state === 'done', `PlaybackFinished state ${finished.playback.state}, not done`);
}

/**
 * Hangs up `channelId` and waits for its hangup request, bridge exit and StasisEnd. The app
 * follows a channel that the dialplan handed to Stasis only until StasisEnd (Asterisk sends
 * it no ChannelDestroyed); one the app originated stays subscribed until it is destroyed.
 */
async function hangUp(client, log, channelId, bridgeId, { originated }) {
  await client.channels.hangup({ channelId });
  await log.waitFor(`ChannelHangupRequest of ${channelId}`, onChannel('ChannelHangupRequest', channelId), STEP_MS);
  await log.waitFor(
    `ChannelLeftBridge of ${channelId}`,
    onChannel('ChannelLeftBridge', channelId, (e) => e.bridge.id === bridgeId),
    STEP_MS
  );
  await log.waitFor(`StasisEnd of ${channelId}`, onChannel('StasisEnd', channelId), STEP_MS);
  if (originated) {
    const destroyed = await log.waitFor(
      `ChannelDestroyed of ${channelId}`,
      onChannel('ChannelDestroyed', channelId),
      STEP_MS
    );
    check(typeof destroyed.cause === 'number', `ChannelDestroyed without a numeric cause: ${destroyed.cause}`);
  }
}

/**
 * The tour, from the first StasisStart to the bridge's destruction. Channels and bridges are
 * noted in `held` as they appear, so that a failed run can let go of them.
 */
async function tour(client, log, opts, held) {
  const start = await log.waitFor('StasisStart of the incoming call', (e) => e.type === 'StasisStart', STEP_MS * 2);
  const callerId = start.channel.id;
  held.channels.push(callerId);
  if (opts['expect-args'] !== undefined) {
    const want = opts['expect-args'] === '' ? [] : opts['expect-args'].split(',');
    const [got, wanted] = [JSON.stringify(start.args), JSON.stringify(want)];
    check(got === wanted, `StasisStart args ${got}, want ${wanted}`);
  }
  check(start.channel.state === 'Ring', `StasisStart channel state ${start.channel.state}, not Ring`);

  await client.channels.answer({ channelId: callerId });
  const up = onChannel('ChannelStateChange', callerId, (e) => e.channel.state === 'Up');
  await log.waitFor('ChannelStateChange to Up', up, STEP_MS);

  await playToEnd(client, log, callerId, 'sound:hello-world');

  const recordingName = `tour-${crypto.randomUUID()}`;
  const live = await client.channels.record({
    channelId: callerId,
    name: recordingName,
    format: 'wav',
    maxDurationSeconds: 2,
    ifExists: 'overwrite',
  });
  check(live.name === recordingName, `record answered recording ${live.name}, not ${recordingName}`);
  const ofRecording = (type) => (e) => e.type === type && e.recording && e.recording.name === recordingName;
  await log.waitFor('RecordingStarted', ofRecording('RecordingStarted'), STEP_MS);
  const recorded = await log.waitFor('RecordingFinished', ofRecording('RecordingFinished'), STEP_MS);
  check(recorded.recording.state === 'done', `RecordingFinished state ${recorded.recording.state}, not done`);
  check(!(recorded.recording.duration < 1), `RecordingFinished duration ${recorded.recording.duration} s, want 1-2`);

  await playToEnd(client, log, callerId, `recording:${recordingName}`);

  const bridgeId = crypto.randomUUID();
  const bridge = await client.bridges.create({ type: 'mixing', bridgeId });
  held.bridges.push(bridgeId);
  check(bridge.id === bridgeId, `bridge create answered ${bridge.id}, not ${bridgeId}`);
  const entered = (channelId) =>
    log.waitFor(
      `ChannelEnteredBridge of ${channelId}`,
      onChannel('ChannelEnteredBridge', channelId, (e) => e.bridge.id === bridgeId),
      STEP_MS
    );
  await client.bridges.addChannel({ bridgeId, channel: callerId });
  await entered(callerId);

  const calleeId = crypto.randomUUID();
  held.channels.push(calleeId);
  const originate = { endpoint: opts.endpoint, app: opts.app, appArgs: 'dialed', channelId: calleeId };
  const callee = await client.channels.originate(originate);
  check(callee.id === calleeId, `originate answered channel ${callee.id}, not ${calleeId}`);
  const dialed = await log.waitFor('StasisStart of the dialled channel', onChannel('StasisStart', calleeId), STEP_MS);
  check(JSON.stringify(dialed.args) === '["dialed"]', `originated StasisStart args ${JSON.stringify(dialed.args)}`);
  await client.bridges.addChannel({ bridgeId, channel: calleeId });
  const both = await entered(calleeId);
  check(both.bridge.channels.length === 2, `bridge channels after the second entered: ${both.bridge.channels}`);

  await hangUp(client, log, callerId, bridgeId, { originated: false });
  await hangUp(client, log, calleeId, bridgeId, { originated: true });
  await client.bridges.destroy({ bridgeId });
  await log.waitFor('BridgeDestroyed', (e) => e.type === 'BridgeDestroyed' && e.bridge.id === bridgeId, STEP_MS);
  await client.recordings.deleteStored({ recordingName });
  // Anything that still trails in belongs to the sequence too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return start.args;
}

/**
 * Waits until ARI lists application `app`: the events socket being open does not mean the
 * server has registered the application yet (Asterisk does it just after the upgrade).
 */
async function untilListed(client, app) {
  for (let tries = 0; tries < 100; tries += 1) {
    const apps = await client.applications.list();
    if (apps.some((a) => a.name === app)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`ARI did not list application ${app} within 5 s of the socket opening`);
}

/** Hangs up what a failed run still holds, so that no call is left in the server (errors ignored). */
async function letGo(client, held) {
  for (const channelId of held.channels) await client.channels.hangup({ channelId }).catch(() => {});
  for (const bridgeId of held.bridges) await client.bridges.destroy({ bridgeId }).catch(() => {});
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), ['url', 'user', 'password', 'app', 'endpoint', 'events']);
  const log = new EventLog();
  const write = () => {
    fs.writeFileSync(opts.events, toJsonLines(normalise(log.events)));
    if (opts.raw) fs.writeFileSync(opts.raw, toJsonLines(log.events));
  };
  const deadline = setTimeout(() => {
    write();
    console.error(`stasis-tour: FAILED: not done within ${opts['timeout-seconds'] || 60} s`);
    process.exit(1);
  }, 1000 * Number(opts['timeout-seconds'] || 60));
  const held = { channels: [], bridges: [] };
  let client;
  try {
    client = await ari.connect(opts.url, opts.user, opts.password);
    client.on('*', (event) => log.push(event));
    await client.start(opts.app);
    await untilListed(client, opts.app);
    console.log(`stasis-tour: app ${opts.app} registered, waiting for a call`);
    const args = await tour(client, log, opts, held);
    assertSubsequence(normalise(log.events), EXPECTED_ORDER(args));
  } catch (err) {
    if (client) await letGo(client, held);
    write();
    console.error(`stasis-tour: FAILED: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  }
  clearTimeout(deadline);
  write();
  client.stop();
  console.log(`stasis-tour: OK, ${log.events.length} events`);
  process.exit(0);
}

main();
