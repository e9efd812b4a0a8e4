//! What a webhook receives: the core's channel events said as salara said them (its event
//! names, field names and upper-case state words), plus what salara lacked: an event id,
//! a timestamp, the call's id and the event's place in the call.

use sb_core::events::{ChannelEvent, ChannelEventKind};
use serde_json::{json, Value};
use std::fmt;

/// The events a webhook can receive: salara's four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    /// A channel was made.
    Newchannel,
    /// A channel hung up.
    Hangup,
    /// A channel entered a dialplan application (`app` names it).
    Newexten,
    /// A queue agent was connected. Queues do not run yet, so nothing sends it; it is
    /// known so that filters naming it stay valid when they do.
    AgentConnect,
}

impl WebhookEvent {
    /// Every event, in the order the API lists them.
    pub const ALL: [WebhookEvent; 4] =
        [WebhookEvent::Newchannel, WebhookEvent::Hangup, WebhookEvent::Newexten, WebhookEvent::AgentConnect];

    /// Salara's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::Newchannel => "Newchannel",
            WebhookEvent::Hangup => "Hangup",
            WebhookEvent::Newexten => "Newexten",
            WebhookEvent::AgentConnect => "AgentConnect",
        }
    }

    /// The webhook event a channel event is, if any (state changes are not salara events).
    pub fn of(kind: &ChannelEventKind) -> Option<WebhookEvent> {
        match kind {
            ChannelEventKind::Created => Some(WebhookEvent::Newchannel),
            ChannelEventKind::Dialplan { .. } => Some(WebhookEvent::Newexten),
            ChannelEventKind::HungUp { .. } => Some(WebhookEvent::Hangup),
            ChannelEventKind::StateChanged => None,
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fresh event id: a random (version 4) UUID.
pub fn new_event_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The JSON body for `event` with id `id`, or `None` when it is no webhook event.
///
/// Salara's fields first, in its order (`event`, `chan`, `caller`, `exten`, `state`, and
/// `app` for `Newexten` when there is one), then `id`, `timestamp` (when it happened, RFC
/// 3339 UTC with milliseconds), `linkedid` (the call, as its CDR's `uniqueid`), `seq` (the
/// event's place in the call, from 1; a gap is a state change, which is no webhook event)
/// and, for `Hangup`, the Q.850 `cause`.
pub fn payload(event: &ChannelEvent, id: &str) -> Option<(WebhookEvent, Value)> {
    let name = WebhookEvent::of(&event.kind)?;
    let channel = &event.channel;
    let mut body = json!({
        "event": name.as_str(),
        "chan": channel.name,
        "caller": channel.caller_number,
        "exten": channel.exten,
        "state": channel.state.as_upper(),
    });
    let Value::Object(map) = &mut body else { return None };
    if let ChannelEventKind::Dialplan { app, .. } = &event.kind {
        if !app.is_empty() {
            map.insert("app".into(), Value::from(app.as_str()));
        }
    }
    map.insert("id".into(), Value::from(id));
    map.insert("timestamp".into(), Value::from(sb_store::time_text(event.at)));
    map.insert("linkedid".into(), Value::from(event.call_id.as_str()));
    map.insert("seq".into(), Value::from(event.call_seq));
    if let ChannelEventKind::HungUp { cause } = event.kind {
        map.insert("cause".into(), Value::from(cause));
    }
    Some((name, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::events::{ChannelSnapshot, ChannelState};
    use time::macros::datetime;

    fn event(kind: ChannelEventKind, state: ChannelState) -> ChannelEvent {
        ChannelEvent {
            seq: 9,
            call_id: "1700000000.4".into(),
            call_seq: 2,
            tenant: "default".into(),
            at: datetime!(2026-11-23 10:00:00.125 UTC),
            channel: ChannelSnapshot {
                name: "PJSIP/8003-00000023".into(),
                state,
                caller_number: "8003".into(),
                caller_name: "Alice".into(),
                exten: "0000".into(),
            },
            kind,
        }
    }

    #[test]
    fn newexten_is_salaras_with_app_then_our_fields() {
        let playback = ChannelEventKind::Dialplan { app: "Playback".into(), data: "hello-world".into() };
        let (name, body) = payload(&event(playback, ChannelState::Up), "id-1").expect("a webhook event");
        assert_eq!(name, WebhookEvent::Newexten);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"event":"Newexten","chan":"PJSIP/8003-00000023","caller":"8003","exten":"0000","state":"UP","app":"Playback","id":"id-1","timestamp":"2026-11-23T10:00:00.125Z","linkedid":"1700000000.4","seq":2}"#
        );
    }

    #[test]
    fn newchannel_and_hangup_have_no_app_and_hangup_has_its_cause() {
        let (name, body) = payload(&event(ChannelEventKind::Created, ChannelState::Ring), "x").unwrap();
        assert_eq!(name, WebhookEvent::Newchannel);
        assert_eq!(body["state"], "RING");
        assert!(body.get("app").is_none() && body.get("cause").is_none(), "{body}");
        let (name, body) = payload(&event(ChannelEventKind::HungUp { cause: 17 }, ChannelState::Up), "x").unwrap();
        assert_eq!(name, WebhookEvent::Hangup);
        assert_eq!((body["state"].as_str(), body["cause"].as_u64()), (Some("UP"), Some(17)));
        let unnamed = ChannelEventKind::Dialplan { app: String::new(), data: String::new() };
        assert!(payload(&event(unnamed, ChannelState::Ring), "x").unwrap().1.get("app").is_none());
    }

    #[test]
    fn state_changes_are_no_webhook_events() {
        assert!(payload(&event(ChannelEventKind::StateChanged, ChannelState::Up), "x").is_none());
    }

    #[test]
    fn the_names_are_the_ones_the_api_accepts() {
        let names: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(names, sb_core::provisioning::catalogue::WEBHOOK_EVENTS);
    }

    #[test]
    fn event_ids_are_distinct_version_4_uuids() {
        let a = new_event_id();
        assert_eq!(a.len(), 36);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b')), "{a}");
        assert_ne!(a, new_event_id());
    }
}
