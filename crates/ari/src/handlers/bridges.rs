//! `/bridges`: bridges applications make (mixing or holding, on the media engine), their
//! members, announcer playbacks, music on hold, variables and recordings (of the mix).
//! Video sources mean nothing to an audio-only PBX: 501 once the bridge is known. A grant
//! confined to applications sees only some bridges (see `sight`).

use super::channels::{created_playback, media, playback_id, record_options};
use super::stasis_errors::{ari_error, stasis};
use super::variables::{self, Holder};
use super::{handler, sight, Call, Handler, Reply};
use crate::error::AriError;
use crate::stasis::{bridge, recording};
use crate::state::AriState;
use sb_core::pbx::{BridgeType, StasisError, Target};

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "create" | "createWithId" => handler!(create),
        "get" => handler!(get),
        "destroy" => handler!(destroy),
        "addChannel" => handler!(add_channel),
        "removeChannel" => handler!(remove_channel),
        "startMoh" => handler!(start_moh),
        "stopMoh" => handler!(stop_moh),
        "play" | "playWithId" => handler!(play),
        "getBridgeVar" => handler!(get_variable),
        "setBridgeVar" => handler!(set_variable),
        "getBridgeVars" => handler!(get_variables),
        "setBridgeVars" => handler!(set_variables),
        "record" => handler!(record),
        "setVideoSource" | "clearVideoSource" => handler!(unsupported),
        _ => None,
    }
}

fn id(call: &Call) -> &str {
    call.params.text("bridgeId").unwrap_or_default()
}

/// 404 unless the call's grant sees the call's bridge.
fn seen(state: &AriState, call: &Call) -> Result<(), AriError> {
    sight::bridge(state, call, id(call))
}

async fn list(state: AriState, call: Call) -> Result<Reply, AriError> {
    let all = state.pbx().map(|pbx| pbx.stasis().bridges()).unwrap_or_default();
    let bridges: Vec<_> = sight::bridges(&state, &call, all).iter().map(bridge).collect();
    Ok(Reply::json(bridges))
}

/// The kind asked for by `type` (`mixing`, `holding`, and attributes that change nothing here).
fn bridge_type(call: &Call) -> Result<BridgeType, AriError> {
    let mut kind = BridgeType::Mixing;
    for attribute in call.params.text("type").unwrap_or("mixing").split(',').map(str::trim).filter(|a| !a.is_empty()) {
        match attribute {
            "holding" => kind = BridgeType::Holding,
            "mixing" | "dtmf_events" | "proxy_media" | "video_sfu" | "video_single" | "sdp_label" => {}
            other => return Err(AriError::bad_request(format!("Invalid bridge type attribute: {other}"))),
        }
    }
    Ok(kind)
}

async fn create(state: AriState, call: Call) -> Result<Reply, AriError> {
    let kind = bridge_type(&call)?;
    let id = call.params.text("bridgeId").filter(|b| !b.is_empty()).map(str::to_owned);
    let name = call.params.text("name").unwrap_or_default().to_owned();
    let stasis = stasis(&state)?;
    if let Some(existing) = id.as_deref().filter(|id| stasis.bridge(id).is_some()) {
        // `createWithId` answers an existing bridge as it is: only to a grant that sees it.
        if sight::bridge(&state, &call, existing).is_err() {
            return Err(AriError::conflict("Bridge id in use"));
        }
    }
    let created = stasis.create_bridge(id, kind, name);
    sight::made(&state, &call, &stasis, Target::Bridge(created.id.clone()));
    Ok(Reply::json(bridge(&created)))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    let found = stasis(&state)?.bridge(id(&call));
    found.map(|b| Reply::json(bridge(&b))).ok_or_else(|| AriError::not_found("Bridge not found"))
}

async fn destroy(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    stasis(&state)?.destroy_bridge(id(&call)).await.map_err(ari_error)?;
    state.creators().forget(&Target::Bridge(id(&call).to_owned()));
    Ok(Reply::NoContent)
}

/// Membership refusals as Asterisk words them: a missing channel is a bad parameter (400),
/// one outside Stasis cannot be processed (422).
fn member_error(error: StasisError) -> AriError {
    match error {
        StasisError::ChannelNotFound => AriError::bad_request("Channel not found"),
        StasisError::NotInStasis => AriError::unprocessable("Channel not in Stasis application"),
        StasisError::InvalidState(message) => AriError::unprocessable(message),
        other => ari_error(other),
    }
}

fn channels(call: &Call) -> Result<Vec<String>, AriError> {
    let channels = call.params.list("channel").unwrap_or_default();
    if channels.is_empty() {
        return Err(AriError::bad_request("Missing parameter channel"));
    }
    Ok(channels.to_vec())
}

async fn add_channel(state: AriState, call: Call) -> Result<Reply, AriError> {
    let channels = channels(&call)?;
    seen(&state, &call)?;
    sight::members(&state, &call, &channels).map_err(member_error)?;
    stasis(&state)?.add_to_bridge(id(&call), &channels).await.map_err(member_error)?;
    Ok(Reply::NoContent)
}

async fn remove_channel(state: AriState, call: Call) -> Result<Reply, AriError> {
    let channels = channels(&call)?;
    seen(&state, &call)?;
    sight::members(&state, &call, &channels).map_err(member_error)?;
    stasis(&state)?.remove_from_bridge(id(&call), &channels).await.map_err(member_error)?;
    Ok(Reply::NoContent)
}

async fn start_moh(state: AriState, call: Call) -> Result<Reply, AriError> {
    let class = call.params.text("mohClass").filter(|c| !c.is_empty()).map(str::to_owned);
    seen(&state, &call)?;
    stasis(&state)?.bridge_moh(id(&call), Some(class)).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn stop_moh(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    stasis(&state)?.bridge_moh(id(&call), None).await.map_err(ari_error)?;
    Ok(Reply::NoContent)
}

async fn play(state: AriState, call: Call) -> Result<Reply, AriError> {
    let (playback, media) = (playback_id(&call), media(&call)?);
    let language = call.params.text("lang").filter(|l| !l.is_empty()).map(str::to_owned);
    seen(&state, &call)?;
    let made = stasis(&state)?.play_on_bridge(id(&call), playback, media, language).await.map_err(ari_error)?;
    Ok(created_playback(&made))
}

/// `POST /bridges/{id}/record`: records the mix of the members, as Asterisk's recorder
/// channel does.
async fn record(state: AriState, call: Call) -> Result<Reply, AriError> {
    sight::bridge(&state, &call, id(&call))?;
    let options = record_options(&call)?;
    let made = stasis(&state)?.record_bridge(id(&call), options).await.map_err(ari_error)?;
    Ok(Reply::created(format!("/recordings/live/{}", made.name), recording(&made)))
}

async fn get_variable(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::get_one(&state, &call, Holder::Bridge)
}

async fn set_variable(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::set_one(&state, &call, Holder::Bridge)
}

async fn get_variables(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::get_several(&state, &call, Holder::Bridge)
}

async fn set_variables(state: AriState, call: Call) -> Result<Reply, AriError> {
    variables::set_several(&state, &call, Holder::Bridge)
}

/// Known bridge, missing feature.
async fn unsupported(state: AriState, call: Call) -> Result<Reply, AriError> {
    seen(&state, &call)?;
    if stasis(&state)?.bridge(id(&call)).is_none() {
        return Err(AriError::not_found("Bridge not found"));
    }
    Err(AriError::not_implemented("Not implemented"))
}
