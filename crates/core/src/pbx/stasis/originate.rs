//! Channels Stasis places itself (ARI's `originate` and `create`): an INVITE to the
//! registered contacts of an extension, with the media engine's own offer. An originated
//! channel enters its application when answered; a created one is in it at once and rings
//! only when the application dials it.

use super::super::b2bua::targets_of;
use super::super::caller::Caller;
use super::super::record::Record;
use super::super::Shared;
use super::channel::{ChannelTask, Driver, Leg, Parts, Placement};
use super::event::EventKind;
use super::model::{ChannelSnapshot, Location, Party};
use super::StasisError;
use crate::events::ChannelState;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What to place.
#[derive(Debug, Clone)]
pub struct Originate {
    /// The endpoint: `PJSIP/<extension>`.
    pub endpoint: String,
    /// The application the channel enters.
    pub app: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The caller id shown (`"Name" <number>`, `Name <number>` or a number).
    pub caller_id: Option<String>,
    /// How long it rings.
    pub timeout: Duration,
    /// The id the application chose.
    pub channel_id: Option<String>,
    /// Variables to set on it.
    pub variables: BTreeMap<String, String>,
    /// Whether to dial now (`originate`) or wait for `dial` (`create`).
    pub dial_now: bool,
}

/// What an endpoint names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginateTarget {
    /// An extension of the directory.
    Extension(String),
}

impl OriginateTarget {
    /// Parses `PJSIP/<extension>` (the technology is case-insensitive, as Asterisk's).
    pub fn parse(endpoint: &str) -> Result<OriginateTarget, StasisError> {
        let (tech, resource) =
            endpoint.split_once('/').ok_or_else(|| StasisError::BadRequest(format!("Invalid endpoint: {endpoint}")))?;
        if !tech.eq_ignore_ascii_case("PJSIP") {
            return Err(StasisError::BadRequest(format!("Endpoint technology {tech} is not supported; use PJSIP")));
        }
        if resource.is_empty() || resource.contains('@') || resource.contains('/') {
            return Err(StasisError::BadRequest(format!("Invalid endpoint resource: {resource}")));
        }
        Ok(OriginateTarget::Extension(resource.to_owned()))
    }
}

/// Splits a caller id into name and number.
fn parse_caller_id(text: &str) -> Party {
    let text = text.trim();
    match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => Party {
            name: text[..open].trim().trim_matches('"').to_owned(),
            number: text[open + 1..close].trim().to_owned(),
        },
        _ => Party { name: String::new(), number: text.to_owned() },
    }
}

/// Places the channel; it rings (or waits) in its own task.
pub(super) async fn start(shared: &Arc<Shared>, request: Originate) -> Result<ChannelSnapshot, StasisError> {
    let target = OriginateTarget::parse(&request.endpoint)?;
    if !shared.stasis.app_registered(&request.app) {
        return Err(StasisError::BadRequest(format!("Application {} not registered", request.app)));
    }
    if let Some(id) = &request.channel_id {
        if shared.stasis.channel_exists(id) {
            return Err(StasisError::Conflict("Channel with given unique ID already exists".into()));
        }
    }
    let caller = request.caller_id.as_deref().map(parse_caller_id).unwrap_or_default();
    let outgoing = Outgoing {
        targets: vec![target],
        caller,
        // As Asterisk's originate: nobody yet; bridging tells who.
        connected: Party::default(),
        channel_id: request.channel_id.clone(),
        variables: request.variables.clone(),
        ring: request.timeout,
    };
    let driver = Driver::Originating { app: request.app.clone(), args: request.args.clone() };
    let (mut task, placement) = place(shared, outgoing, driver).await?;
    let created = task.snap();
    task.publish(EventKind::ChannelCreated { channel: created, app: Some(request.app.clone()) });
    if request.dial_now {
        task.dial(placement).await;
    } else {
        task.leg = Leg::Unplaced(placement);
        // Checked above; an application that went away meanwhile gets a channel it can hang up.
        task.enter_stasis(&request.app, request.args);
    }
    let snapshot = task.snap();
    tokio::spawn(task.run());
    Ok(snapshot)
}

/// An outgoing channel to make: to whom, shown as whom, how long it rings.
pub(super) struct Outgoing {
    /// Who it rings, in parallel (one fork per registered contact of each).
    pub targets: Vec<OriginateTarget>,
    /// The caller id it shows.
    pub caller: Party,
    /// Whom it is connected to.
    pub connected: Party,
    /// The id an application chose.
    pub channel_id: Option<String>,
    /// Variables set on it.
    pub variables: BTreeMap<String, String>,
    /// How long it rings.
    pub ring: Duration,
}

/// Makes and registers the task of an outgoing channel driven by `driver`, with the
/// placement to dial; the caller publishes, dials and runs it.
pub(super) async fn place(
    shared: &Arc<Shared>,
    outgoing: Outgoing,
    driver: Driver,
) -> Result<(ChannelTask, Placement), StasisError> {
    let mut extensions = Vec::with_capacity(outgoing.targets.len());
    for OriginateTarget::Extension(number) in &outgoing.targets {
        let extension = shared
            .directory
            .extension(number)
            .await
            .map_err(|e| StasisError::Failed(format!("the directory is unavailable: {e}")))?
            .filter(|e| e.active)
            .ok_or_else(|| StasisError::BadRequest(format!("Endpoint PJSIP/{number} not found")))?;
        extensions.push(extension);
    }
    let Some(first) = extensions.first().cloned() else {
        return Err(StasisError::BadRequest("No endpoint to dial".into()));
    };
    let targets: Vec<_> =
        extensions.iter().flat_map(|extension| targets_of(&shared.registrar.contacts(&extension.number))).collect();
    let Some(reachable) = targets.first() else {
        let names: Vec<String> = extensions.iter().map(|e| format!("PJSIP/{}", e.number)).collect();
        return Err(StasisError::BadRequest(format!("Endpoint {} has no registered contact", names.join("&"))));
    };
    let advertise = shared
        .endpoint
        .local_for(&reachable.peer)
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
        .ok_or_else(|| StasisError::Failed("no local address to reach the endpoint".into()))?;
    let (media_tx, media_events) = mpsc::channel(64);
    let (media, offer_sdp) =
        shared.media.channels().offer(advertise, media_tx).await.map_err(|e| StasisError::Failed(e.to_string()))?;
    let caller = outgoing.caller;
    shared.metrics.calls_total.fetch_add(1, Ordering::Relaxed);
    let record_caller = Caller {
        number: caller.number.clone(),
        display: Some(caller.name.clone()).filter(|n| !n.is_empty()),
        tenant: first.tenant.clone(),
        device: first.number.clone(),
        extension: None,
    };
    let record = Record::new(&record_caller, &first.number, &shared.events, ChannelState::Down);
    let call_id = format!("{:032x}", rand::random::<u128>());
    let snapshot = ChannelSnapshot {
        id: outgoing.channel_id.unwrap_or_else(|| record.uniqueid.clone()),
        name: record.channel.clone(),
        protocol_id: call_id.clone(),
        state: ChannelState::Down,
        caller,
        connected: outgoing.connected,
        accountcode: String::new(),
        dialplan: Location { context: first.tenant.clone(), exten: "s".into(), priority: 1, ..Location::default() },
        created: time::OffsetDateTime::now_utc(),
        language: "en".into(),
        tenant: first.tenant.clone(),
        app: None,
        bridge: None,
        variables: outgoing.variables,
    };
    let placement = Placement {
        targets,
        to: first.number.clone(),
        dialstring: extensions.iter().map(|e| format!("PJSIP/{}", e.number)).collect::<Vec<_>>().join("&"),
        ring: outgoing.ring,
        offer_sdp,
    };
    let task = ChannelTask::register(Parts {
        shared: Arc::clone(shared),
        snapshot,
        media,
        media_events,
        leg: Leg::Ended,
        driver,
        record: Some(record),
        extension: Some(first.number.clone()),
        call_ids: vec![call_id],
    })?;
    Ok((task, placement))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_pjsip_extensions() {
        assert_eq!(OriginateTarget::parse("PJSIP/1002"), Ok(OriginateTarget::Extension("1002".into())));
        assert_eq!(OriginateTarget::parse("pjsip/1002"), Ok(OriginateTarget::Extension("1002".into())));
        for bad in ["1002", "SIP/1002", "PJSIP/", "PJSIP/1002@trunk", "Local/1002@default"] {
            assert!(matches!(OriginateTarget::parse(bad), Err(StasisError::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn caller_ids_split_into_name_and_number() {
        assert_eq!(parse_caller_id("\"Alice\" <1001>"), Party { name: "Alice".into(), number: "1001".into() });
        assert_eq!(parse_caller_id("Bob <42>"), Party { name: "Bob".into(), number: "42".into() });
        assert_eq!(parse_caller_id("1003"), Party { name: String::new(), number: "1003".into() });
    }
}
