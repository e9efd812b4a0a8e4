//! `/channels`: the channels applications control (see `sb_core::pbx::Stasis`): placing
//! them (originate, create, dial), answering, ringing, hanging up, media on them (play,
//! record, DTMF, mute, hold, music, silence), their variables, and moving them between
//! applications; external media channels (RTP over UDP, G.711), snoop channels, redirect.
//! Transfer progress belongs to ARI-driven transfers, which Switchboard does not offer:
//! 501 once the channel is known. A grant confined to applications places channels only into its
//! applications and sees only theirs (see `sight`).

use super::stasis_errors::{ari_error, stasis};
use super::variables::{self, Holder};
use super::{handler, sight, Call, Handler, Reply};
use crate::error::AriError;
use crate::models::RtpStat;
use crate::stasis::{channel, playback, recording};
use crate::state::AriState;
use sb_core::pbx::{
    ChannelOp, ExternalCodec, ExternalMedia, HangupCause, MuteDirection, OpReply, Originate, PlaybackSnapshot, Snoop,
    Target,
};
use sb_media::engine::{RecordOptions, TapDirection, TerminateOn};
use sb_media::sound::recording::IfExists;
use sb_media::sound::uri::MediaUri;
use serde_json::{Map, Value};
use std::time::Duration;

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "originate" | "originateWithId" => handler!(originate),
        "create" => handler!(create),
        "get" => handler!(get),
        "hangup" => handler!(hangup),
        "continueInDialplan" => handler!(continue_in_dialplan),
        "move" => handler!(move_to),
        "answer" => handler!(answer),
        "ring" => handler!(ring),
        "ringStop" => handler!(ring_stop),
        "progress" => handler!(progress),
        "sendDTMF" => handler!(send_dtmf),
        "mute" => handler!(mute),
        "unmute" => handler!(unmute),
        "hold" => handler!(hold),
        "unhold" => handler!(unhold),
        "startMoh" => handler!(start_moh),
        "stopMoh" => handler!(stop_moh),
        "startSilence" => handler!(start_silence),
        "stopSilence" => handler!(stop_silence),
        "play" | "playWithId" => handler!(play),
        "record" => handler!(record),
        "getChannelVar" => handler!(get_variable),
        "setChannelVar" => handler!(set_variable),
        "getChannelVars" => handler!(get_variables),
        "setChannelVars" => handler!(set_variables),
        "dial" => handler!(dial),
        "rtpstatistics" => handler!(rtp_statistics),
        "redirect" => handler!(redirect),
        "snoopChannel" | "snoopChannelWithId" => handler!(snoop),
        "transfer_progress" => handler!(unsupported),
        "externalMedia" => handler!(external_media),
        _ => None,
    }
}

fn id(call: &Call) -> &str {
    call.params.text("channelId").unwrap_or_default()
}

/// 404 unless the call's grant sees the call's channel.
fn seen(state: &AriState, call: &Call) -> Result<(), AriError> {
    sight::channel(state, call, id(call))
}

/// Runs `op` on the call's channel; 204 when done.
async fn run(state: &AriState, call: &Call, op: ChannelOp) -> Result<Reply, AriError> {
    seen(state, call)?;
    stasis(state)?.command(id(call), op).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn list(state: AriState, call: Call) -> Result<Reply, AriError> {
    let all = state.pbx().map(|pbx| pbx.stasis().channels()).unwrap_or_default();
    let channels: Vec<_> = sight::channels(&state, &call, all).iter().map(channel).collect();
    Ok(Reply::json(channels))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let found = stasis(&state)?.channel(id(&call));
    found.map(|c| Reply::json(channel(&c))).ok_or_else(|| AriError::not_found("Channel not found"))
}

/// `appArgs`: comma-separated, as Asterisk splits them.
fn app_args(call: &Call) -> Vec<String> {
    match call.params.text("appArgs") {
        Some(args) if !args.is_empty() => args.split(',').map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// How long an originated channel rings: `timeout` seconds, -1 (or 0) for as long as it
/// takes (bounded at a day).
fn ring_timeout(call: &Call) -> Duration {
    match call.params.int("timeout").unwrap_or(30) {
        seconds if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
        _ => Duration::from_secs(86_400),
    }
}

fn originate_request(call: &Call, dial_now: bool) -> Result<Originate, AriError> {
    let app = call.params.text("app").filter(|a| !a.is_empty());
    match app {
        Some(app) => call.grant.scope.require_app(app)?,
        None => {
            call.grant.scope.require_unconfined("originate into the dialplan as a user confined to applications")?
        }
    }
    let Some(app) = app else {
        if call.params.text("extension").is_some() || call.params.text("context").is_some() {
            return Err(AriError::bad_request(
                "Originating into the dialplan is not supported: Switchboard has no dialplan; give app",
            ));
        }
        return Err(AriError::bad_request("Application or extension must be specified"));
    };
    Ok(Originate {
        endpoint: call.params.text("endpoint").unwrap_or_default().to_owned(),
        app: app.to_owned(),
        args: app_args(call),
        caller_id: call.params.text("callerId").map(str::to_owned),
        timeout: ring_timeout(call),
        channel_id: call.params.text("channelId").filter(|c| !c.is_empty()).map(str::to_owned),
        variables: variables::parse(call)?,
        dial_now,
    })
}

async fn originate(state: AriState, call: Call) -> Result<Reply, AriError> {
    let request = originate_request(&call, true)?;
    place(&state, &call, request).await
}

async fn create(state: AriState, call: Call) -> Result<Reply, AriError> {
    let request = originate_request(&call, false)?;
    place(&state, &call, request).await
}

/// Places the channel; a confined grant keeps seeing it before it enters the application.
async fn place(state: &AriState, call: &Call, request: Originate) -> Result<Reply, AriError> {
    let stasis = stasis(state)?;
    let created = stasis.originate(request).await.map_err(ari_error)?;
    sight::made(state, call, &stasis, Target::Channel(created.id.clone()));
    Ok(Reply::json(channel(&created)))
}

async fn hangup(state: AriState, call: Call) -> Result<Reply, AriError> {
    let reason = call.params.text("reason");
    let code = call.params.text("reason_code");
    let cause = match (reason, code) {
        (Some(_), Some(_)) => return Err(AriError::bad_request("The reason and reason_code can't both be specified")),
        (None, Some(code)) => code
            .parse::<u16>()
            .map(HangupCause)
            .map_err(|_| AriError::bad_request("Invalid reason_code for hangup provided"))?,
        (Some(reason), None) => HangupCause::from_reason(reason)
            .ok_or_else(|| AriError::bad_request("Invalid reason for hangup provided"))?,
        (None, None) => HangupCause::NORMAL,
    };
    run(&state, &call, ChannelOp::Hangup(cause)).await
}

async fn continue_in_dialplan(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Continue).await
}

async fn move_to(state: AriState, call: Call) -> Result<Reply, AriError> {
    let app = call.params.text("app").unwrap_or_default().to_owned();
    seen(&state, &call)?;
    call.grant.scope.require_app(&app)?;
    run(&state, &call, ChannelOp::Move { app, args: app_args(&call) }).await
}

async fn answer(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Answer).await
}

async fn ring(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Ring(true)).await
}

async fn ring_stop(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Ring(false)).await
}

async fn progress(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Progress).await
}

fn millis(call: &Call, name: &str, default: i64) -> Duration {
    Duration::from_millis(call.params.int(name).unwrap_or(default).max(0).unsigned_abs())
}

async fn send_dtmf(state: AriState, call: Call) -> Result<Reply, AriError> {
    let digits = call.params.text("dtmf").filter(|d| !d.is_empty());
    let Some(digits) = digits else { return Err(AriError::bad_request("DTMF is required")) };
    let op = ChannelOp::SendDtmf {
        digits: digits.to_owned(),
        before: millis(&call, "before", 0),
        between: millis(&call, "between", 100),
        duration: millis(&call, "duration", 100),
        after: millis(&call, "after", 0),
    };
    run(&state, &call, op).await
}

fn direction(call: &Call) -> Result<MuteDirection, AriError> {
    let text = call.params.text("direction").unwrap_or("both");
    MuteDirection::parse(text).ok_or_else(|| AriError::bad_request("Invalid direction specified"))
}

async fn mute(state: AriState, call: Call) -> Result<Reply, AriError> {
    let op = ChannelOp::Mute(direction(&call)?);
    run(&state, &call, op).await
}

async fn unmute(state: AriState, call: Call) -> Result<Reply, AriError> {
    let op = ChannelOp::Unmute(direction(&call)?);
    run(&state, &call, op).await
}

async fn hold(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Hold).await
}

async fn unhold(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::Unhold).await
}

async fn start_moh(state: AriState, call: Call) -> Result<Reply, AriError> {
    let class = call.params.text("mohClass").filter(|c| !c.is_empty()).map(str::to_owned);
    run(&state, &call, ChannelOp::StartMoh(class)).await
}

async fn stop_moh(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::StopMoh).await
}

async fn start_silence(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::StartSilence).await
}

async fn stop_silence(state: AriState, call: Call) -> Result<Reply, AriError> {
    run(&state, &call, ChannelOp::StopSilence).await
}

/// The `media` URIs, parsed (400 for one that cannot be).
pub(super) fn media(call: &Call) -> Result<Vec<(String, MediaUri)>, AriError> {
    let uris = call.params.list("media").unwrap_or_default();
    if uris.is_empty() {
        return Err(AriError::bad_request("media is required"));
    }
    uris.iter()
        .map(|uri| uri.parse::<MediaUri>().map(|m| (uri.clone(), m)).map_err(|e| AriError::bad_request(e.to_string())))
        .collect()
}

/// The playback id asked for, or a fresh one.
pub(super) fn playback_id(call: &Call) -> String {
    call.params.text("playbackId").filter(|p| !p.is_empty()).map(str::to_owned).unwrap_or_else(sb_core::pbx::fresh_id)
}

async fn play(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let stasis = stasis(&state)?;
    let (id, media) = (playback_id(&call), media(&call)?);
    let language = call.params.text("lang").filter(|l| !l.is_empty()).map(str::to_owned);
    let reply = stasis.command(self::id(&call), ChannelOp::Play { id, media, language }).await.map_err(ari_error)?;
    match reply {
        OpReply::Playback(snapshot) => Ok(created_playback(&snapshot)),
        _ => Err(AriError::Internal("no playback".into())),
    }
}

/// 201 with the playback as it was made.
pub(super) fn created_playback(snapshot: &PlaybackSnapshot) -> Reply {
    Reply::created(format!("/playbacks/{}", snapshot.id), playback(snapshot))
}

async fn record(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let stasis = stasis(&state)?;
    let options = record_options(&call)?;
    let name = options.name.clone();
    stasis.command(id(&call), ChannelOp::Record(options)).await.map_err(ari_error)?;
    let snapshot = stasis.recording(&name).ok_or_else(|| AriError::Internal("the recording vanished".into()))?;
    Ok(Reply::created(format!("/recordings/live/{name}"), recording(&snapshot)))
}

/// ARI's record parameters.
pub(super) fn record_options(call: &Call) -> Result<RecordOptions, AriError> {
    let name = call.params.text("name").filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| AriError::bad_request("Recording name is required"))?;
    let mut options = RecordOptions::new(name);
    options.format = call.params.text("format").unwrap_or("wav").to_owned();
    let seconds = |key: &str| {
        let value = call.params.int(key).unwrap_or(0);
        (value > 0).then(|| Duration::from_secs(value.unsigned_abs()))
    };
    options.max_duration = seconds("maxDurationSeconds");
    options.max_silence = seconds("maxSilenceSeconds");
    options.beep = call.params.bool("beep").unwrap_or(false);
    options.if_exists = match call.params.text("ifExists").unwrap_or("fail") {
        "overwrite" => IfExists::Overwrite,
        "append" => IfExists::Append,
        _ => IfExists::Fail,
    };
    let terminate = call.params.text("terminateOn").unwrap_or("none");
    options.terminate_on = terminate.parse::<TerminateOn>().map_err(|e| AriError::bad_request(e.to_string()))?;
    Ok(options)
}

async fn get_variable(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::get_one(&state, &call, Holder::Channel)
}

async fn set_variable(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::set_one(&state, &call, Holder::Channel)
}

async fn get_variables(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::get_several(&state, &call, Holder::Channel)
}

async fn set_variables(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::set_several(&state, &call, Holder::Channel)
}

async fn dial(state: AriState, call: Call) -> Result<Reply, AriError> {
    let timeout = match call.params.int("timeout").unwrap_or(0) {
        seconds if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
        _ => Duration::ZERO,
    };
    run(&state, &call, ChannelOp::Dial { timeout }).await
}

async fn rtp_statistics(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let stasis = stasis(&state)?;
    let OpReply::Statistics(stats) = stasis.command(id(&call), ChannelOp::RtpStatistics).await.map_err(ari_error)?
    else {
        return Err(AriError::Internal("no statistics".into()));
    };
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Reply::json(RtpStat {
        txcount: count(stats.packets_sent),
        rxcount: count(stats.packets_received),
        txjitter: None,
        rxjitter: Some(stats.jitter.as_secs_f64()),
        remote_maxjitter: None,
        remote_minjitter: None,
        remote_normdevjitter: None,
        remote_stdevjitter: None,
        local_maxjitter: None,
        local_minjitter: None,
        local_normdevjitter: None,
        local_stdevjitter: None,
        txploss: 0,
        rxploss: count(stats.frames_lost),
        remote_maxrxploss: None,
        remote_minrxploss: None,
        remote_normdevrxploss: None,
        remote_stdevrxploss: None,
        local_maxrxploss: None,
        local_minrxploss: None,
        local_normdevrxploss: None,
        local_stdevrxploss: None,
        rtt: None,
        maxrtt: None,
        minrtt: None,
        normdevrtt: None,
        stdevrtt: None,
        local_ssrc: 0,
        remote_ssrc: 0,
        txoctetcount: 0,
        rxoctetcount: 0,
        channel_uniqueid: id(&call).to_owned(),
    }))
}

/// `POST /channels/{id}/snoop`: a channel in `app` that hears `spy` of this one and
/// whispers `whisper` to it; checked in Asterisk's order, with its messages.
async fn snoop(state: AriState, call: Call) -> Result<Reply, AriError> {
    let direction = |name: &str| {
        let text = call.params.text(name).filter(|t| !t.is_empty()).unwrap_or("none");
        TapDirection::parse(text)
            .ok_or_else(|| AriError::bad_request(format!("Invalid direction specified for {name}")))
    };
    let (spy, whisper) = (direction("spy")?, direction("whisper")?);
    if spy == TapDirection::None && whisper == TapDirection::None {
        return Err(AriError::bad_request("Direction must be specified for at least spy or whisper"));
    }
    let app = call.params.text("app").filter(|a| !a.is_empty());
    let app = app.ok_or_else(|| AriError::bad_request("Application name is required"))?.to_owned();
    call.grant.scope.require_app(&app)?;
    let stasis = stasis(&state)?;
    if stasis.channel(id(&call)).is_none() || sight::channel(&state, &call, id(&call)).is_err() {
        return Err(AriError::not_found("Provided channel was not found"));
    }
    let args = app_args(&call);
    let snoop_id = call.params.text("snoopId").filter(|s| !s.is_empty()).map(str::to_owned);
    let request = Snoop { app, args, spy, whisper, snoop_id };
    let created = stasis.snoop(id(&call), request).await.map_err(ari_error)?;
    sight::made(&state, &call, &stasis, Target::Channel(created.id.clone()));
    Ok(Reply::json(channel(&created)))
}

/// `POST /channels/{id}/redirect?endpoint=PJSIP/<number or sip: URI>`; the channel checks
/// it, in Asterisk's order and with its messages.
async fn redirect(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let endpoint = call.params.text("endpoint").unwrap_or_default().to_owned();
    run(&state, &call, ChannelOp::Redirect(endpoint)).await
}

/// Known channel, missing feature: 404 first, as Asterisk checks the channel first.
async fn unsupported(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    if stasis(&state)?.channel(id(&call)).is_none() {
        return Err(AriError::not_found("Channel not found"));
    }
    Err(AriError::not_implemented("Not implemented"))
}

/// `POST /channels/externalMedia`, checked in Asterisk's order with its messages; RTP over
/// UDP only (AudioSocket and WebSocket transports answer 501, as unsupported ones do there).
async fn external_media(state: AriState, call: Call) -> Result<Reply, AriError> {
    let text = |name| call.params.text(name).filter(|v| !v.is_empty());
    let app = text("app").ok_or_else(|| AriError::bad_request("app cannot be empty"))?.to_owned();
    call.grant.scope.require_app(&app)?;
    let external_host = text("external_host").ok_or_else(|| AriError::bad_request("external_host cannot be empty"))?;
    let host_port = || AriError::bad_request("external_host must be <host>:<port>");
    if !external_host.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) {
        return Err(host_port());
    }
    let format = text("format").ok_or_else(|| AriError::bad_request("format cannot be empty"))?;
    let encapsulation = text("encapsulation").unwrap_or("rtp");
    let transport = text("transport").unwrap_or("udp");
    if !(encapsulation.eq_ignore_ascii_case("rtp") && transport.eq_ignore_ascii_case("udp")) {
        return Err(AriError::not_implemented("The encapsulation and/or transport is not supported"));
    }
    let codec = ExternalCodec::parse(format)
        .ok_or_else(|| AriError::bad_request(format!("Provided format {format} is not supported (ulaw, alaw)")))?;
    let host =
        tokio::net::lookup_host(external_host).await.ok().and_then(|mut found| found.next()).ok_or_else(host_port)?;
    let request = ExternalMedia {
        app,
        host,
        codec,
        channel_id: text("channelId").map(str::to_owned),
        variables: variables::parse(&call)?,
        data: text("data").map(str::to_owned),
    };
    let stasis = stasis(&state)?;
    let created = stasis.external_media(request).await.map_err(ari_error)?;
    sight::made(&state, &call, &stasis, Target::Channel(created.id.clone()));
    let mut model = channel(&created);
    // As Asterisk: the response (only) carries the channel's variables, among them where to
    // send RTP to.
    let vars = created.variables.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<Map<_, _>>();
    model.channelvars = Some(vars);
    Ok(Reply::json(model))
}
