//! Channels Stasis places itself (ARI's `originate` and `create`): an INVITE to the
//! registered contacts of an extension, with the media engine's own offer. An originated
//! channel enters its application when answered; a created one is in it at once and rings
//! only when the application dials it.

use super::super::b2bua::targets_of;
use super::super::caller::Caller;
use super::super::dial::Login;
use super::super::record::Record;
use super::super::route::Attempt;
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
    /// An extension of the directory (`PJSIP/1002`).
    Extension(String),
    /// A number at a trunk's carrier (`PJSIP/02079460000@carrier1`, as Asterisk's
    /// `PJSIP/number@endpoint`).
    Trunk {
        /// The number called.
        number: String,
        /// The trunk's name.
        trunk: String,
    },
}

impl OriginateTarget {
    /// Parses `PJSIP/<extension>` or `PJSIP/<number>@<trunk>` (the technology is
    /// case-insensitive, as Asterisk's).
    pub fn parse(endpoint: &str) -> Result<OriginateTarget, StasisError> {
        let (tech, resource) =
            endpoint.split_once('/').ok_or_else(|| StasisError::BadRequest(format!("Invalid endpoint: {endpoint}")))?;
        if !tech.eq_ignore_ascii_case("PJSIP") {
            return Err(StasisError::BadRequest(format!("Endpoint technology {tech} is not supported; use PJSIP")));
        }
        let invalid = || StasisError::BadRequest(format!("Invalid endpoint resource: {resource}"));
        if resource.is_empty() || resource.contains('/') {
            return Err(invalid());
        }
        match resource.split_once('@') {
            None => Ok(OriginateTarget::Extension(resource.to_owned())),
            Some((number, trunk)) if !number.is_empty() && !trunk.is_empty() && !trunk.contains('@') => {
                Ok(OriginateTarget::Trunk { number: number.to_owned(), trunk: trunk.to_owned() })
            }
            Some(_) => Err(invalid()),
        }
    }

    /// Where this target's INVITEs go, and what the channel shows of it.
    async fn resolve(&self, shared: &Shared) -> Result<Resolved, StasisError> {
        let unavailable = |e: sb_store::Error| StasisError::Failed(format!("the directory is unavailable: {e}"));
        match self {
            OriginateTarget::Extension(number) => {
                let extension = shared.directory.extension(number).await.map_err(unavailable)?.filter(|e| e.active);
                let extension =
                    extension.ok_or_else(|| StasisError::BadRequest(format!("Endpoint PJSIP/{number} not found")))?;
                let targets = targets_of(&shared.registrar.contacts(&extension.number));
                if targets.is_empty() {
                    let message = format!("Endpoint PJSIP/{number} has no registered contact");
                    return Err(StasisError::BadRequest(message));
                }
                Ok(Resolved {
                    targets,
                    dialstring: format!("PJSIP/{}", extension.number),
                    to: extension.number.clone(),
                    device: extension.number.clone(),
                    tenant: extension.tenant,
                    extension: Some(extension.number),
                    login: None,
                    to_host: None,
                    presented: None,
                })
            }
            OriginateTarget::Trunk { number, trunk } => {
                let not_found = || StasisError::BadRequest(format!("Endpoint PJSIP/{number}@{trunk} not found"));
                let entry = shared.trunks.named(trunk).await.map_err(unavailable)?.ok_or_else(not_found)?;
                let addr =
                    shared.trunks.target(&entry).await.ok_or_else(|| {
                        StasisError::BadRequest(format!("The host of trunk {trunk} does not resolve"))
                    })?;
                let attempt = Attempt::trunk(number, &entry, addr);
                Ok(Resolved {
                    targets: attempt.targets,
                    dialstring: attempt.lastdata,
                    to: number.clone(),
                    device: entry.name.clone(),
                    tenant: entry.tenant,
                    extension: None,
                    login: attempt.login,
                    to_host: attempt.to_host,
                    presented: attempt.presented,
                })
            }
        }
    }
}

/// A target resolved: its INVITEs' targets and what the channel and its CDR say.
struct Resolved {
    targets: Vec<super::super::b2bua::Target>,
    dialstring: String,
    /// The To user.
    to: String,
    /// The channel name's device (the extension or the trunk).
    device: String,
    tenant: String,
    /// The extension rung, whose device state the channel changes.
    extension: Option<String>,
    /// The carrier's login, and the host of its To header.
    login: Option<Login>,
    to_host: Option<String>,
    /// The caller id the trunk presents.
    presented: Option<String>,
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
    shared.stasis.check_new_channel(&request.app, request.channel_id.as_deref())?;
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
    let mut resolved = Vec::with_capacity(outgoing.targets.len());
    for target in &outgoing.targets {
        resolved.push(target.resolve(shared).await?);
    }
    let Some(first) = resolved.first() else {
        return Err(StasisError::BadRequest("No endpoint to dial".into()));
    };
    let targets: Vec<_> = resolved.iter().flat_map(|r| r.targets.iter().cloned()).collect();
    let Some(reachable) = targets.first() else {
        return Err(StasisError::BadRequest("No endpoint to dial".into()));
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
    let mut caller = outgoing.caller;
    if caller.number.is_empty() {
        // Without a caller id of its own the channel shows the trunk's, as a carrier needs one.
        caller.number = first.presented.clone().unwrap_or_default();
    }
    shared.metrics.calls_total.fetch_add(1, Ordering::Relaxed);
    let record_caller = Caller {
        number: caller.number.clone(),
        display: Some(caller.name.clone()).filter(|n| !n.is_empty()),
        tenant: first.tenant.clone(),
        device: first.device.clone(),
        extension: None,
    };
    let record = Record::new(&record_caller, &first.to, &shared.events, ChannelState::Down);
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
        to: first.to.clone(),
        dialstring: resolved.iter().map(|r| r.dialstring.as_str()).collect::<Vec<_>>().join("&"),
        ring: outgoing.ring,
        offer_sdp,
        login: resolved.iter().find_map(|r| r.login.clone()),
        to_host: first.to_host.clone(),
    };
    let task = ChannelTask::register(Parts {
        shared: Arc::clone(shared),
        snapshot,
        media,
        media_events,
        leg: Leg::Ended,
        driver,
        record: Some(record),
        extension: first.extension.clone(),
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
        let trunk = OriginateTarget::Trunk { number: "0207".into(), trunk: "carrier1".into() };
        assert_eq!(OriginateTarget::parse("PJSIP/0207@carrier1"), Ok(trunk));
        for bad in ["1002", "SIP/1002", "PJSIP/", "PJSIP/@trunk", "PJSIP/1002@", "PJSIP/1@a@b", "Local/1002@default"] {
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
