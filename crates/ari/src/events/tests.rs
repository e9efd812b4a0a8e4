//! Every model and event type of the route table round-trips through its serde type: the
//! same field names, the same JSON types, optional fields left out when absent (no nulls).

use super::*;
use crate::models::*;
use crate::spec::{self, Model};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

/// A value of Swagger type `type_name`, nested models filled in too.
fn sample(type_name: &str, full: bool) -> Value {
    if let Some(inner) = type_name.strip_prefix("List[").and_then(|t| t.strip_suffix(']')) {
        return Value::Array(vec![sample(inner, full)]);
    }
    match type_name {
        "string" => json!("text"),
        "int" | "long" => json!(7),
        "double" => json!(1.5),
        "boolean" => json!(true),
        "Date" => json!("2026-11-23T19:56:56.386+0000"),
        "object" => json!({"key": "value"}),
        other => model_sample(spec::model(other).unwrap_or_else(|| panic!("model {other}")), full),
    }
}

/// An instance of `model`: every property when `full`, else only the required ones.
fn model_sample(model: &Model, full: bool) -> Value {
    let fields: Map<String, Value> = model
        .properties
        .iter()
        .filter(|p| full || p.required)
        .map(|p| (p.name.to_owned(), sample(p.type_name, full)))
        .collect();
    Value::Object(fields)
}

fn roundtrip<T: Serialize + DeserializeOwned>(sample: Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(sample).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

fn with_type(mut sample: Value, type_name: &str) -> Value {
    if let Value::Object(fields) = &mut sample {
        fields.insert("type".into(), type_name.into());
    }
    sample
}

fn check(id: &str, sample: Value) -> Result<Value, String> {
    match id {
        "BuildInfo" => roundtrip::<BuildInfo>(sample),
        "SystemInfo" => roundtrip::<SystemInfo>(sample),
        "SetId" => roundtrip::<SetId>(sample),
        "ConfigInfo" => roundtrip::<ConfigInfo>(sample),
        "StatusInfo" => roundtrip::<StatusInfo>(sample),
        "AsteriskInfo" => roundtrip::<AsteriskInfo>(sample),
        "AsteriskPing" => roundtrip::<AsteriskPing>(sample),
        "Module" => roundtrip::<Module>(sample),
        "LogChannel" => roundtrip::<LogChannel>(sample),
        "Variable" => roundtrip::<Variable>(sample),
        "Variables" => roundtrip::<Variables>(sample),
        "ConfigTuple" => roundtrip::<ConfigTuple>(sample),
        "Endpoint" => roundtrip::<Endpoint>(sample),
        "TextMessage" => roundtrip::<TextMessage>(sample),
        "Dialed" => roundtrip::<Dialed>(sample),
        "DialplanCEP" => roundtrip::<DialplanCep>(sample),
        "CallerID" => roundtrip::<CallerId>(sample),
        "RTPstat" => roundtrip::<RtpStat>(sample),
        "Channel" => roundtrip::<Channel>(sample),
        "Bridge" => roundtrip::<Bridge>(sample),
        "StoredRecording" => roundtrip::<StoredRecording>(sample),
        "LiveRecording" => roundtrip::<LiveRecording>(sample),
        "FormatLangPair" => roundtrip::<FormatLangPair>(sample),
        "Sound" => roundtrip::<Sound>(sample),
        "Playback" => roundtrip::<Playback>(sample),
        "DeviceState" => roundtrip::<DeviceState>(sample),
        "Mailbox" => roundtrip::<Mailbox>(sample),
        "MissingParams" => roundtrip::<MissingParams>(sample),
        "ContactInfo" => roundtrip::<ContactInfo>(sample),
        "Peer" => roundtrip::<Peer>(sample),
        "DeviceStateChanged" => roundtrip::<Event>(with_type(sample, "DeviceStateChanged")),
        "PlaybackStarted" => roundtrip::<Event>(with_type(sample, "PlaybackStarted")),
        "PlaybackContinuing" => roundtrip::<Event>(with_type(sample, "PlaybackContinuing")),
        "PlaybackFinished" => roundtrip::<Event>(with_type(sample, "PlaybackFinished")),
        "RecordingStarted" => roundtrip::<Event>(with_type(sample, "RecordingStarted")),
        "RecordingFinished" => roundtrip::<Event>(with_type(sample, "RecordingFinished")),
        "RecordingFailed" => roundtrip::<Event>(with_type(sample, "RecordingFailed")),
        "ApplicationMoveFailed" => roundtrip::<Event>(with_type(sample, "ApplicationMoveFailed")),
        "ApplicationRegistered" => roundtrip::<Event>(with_type(sample, "ApplicationRegistered")),
        "ApplicationUnregistered" => roundtrip::<Event>(with_type(sample, "ApplicationUnregistered")),
        "ApplicationReplaced" => roundtrip::<Event>(with_type(sample, "ApplicationReplaced")),
        "BridgeCreated" => roundtrip::<Event>(with_type(sample, "BridgeCreated")),
        "BridgeDestroyed" => roundtrip::<Event>(with_type(sample, "BridgeDestroyed")),
        "BridgeMerged" => roundtrip::<Event>(with_type(sample, "BridgeMerged")),
        "BridgeVideoSourceChanged" => roundtrip::<Event>(with_type(sample, "BridgeVideoSourceChanged")),
        "BridgeBlindTransfer" => roundtrip::<Event>(with_type(sample, "BridgeBlindTransfer")),
        "BridgeAttendedTransfer" => roundtrip::<Event>(with_type(sample, "BridgeAttendedTransfer")),
        "ChannelCreated" => roundtrip::<Event>(with_type(sample, "ChannelCreated")),
        "ChannelDestroyed" => roundtrip::<Event>(with_type(sample, "ChannelDestroyed")),
        "ChannelEnteredBridge" => roundtrip::<Event>(with_type(sample, "ChannelEnteredBridge")),
        "ChannelLeftBridge" => roundtrip::<Event>(with_type(sample, "ChannelLeftBridge")),
        "ChannelStateChange" => roundtrip::<Event>(with_type(sample, "ChannelStateChange")),
        "ChannelDtmfReceived" => roundtrip::<Event>(with_type(sample, "ChannelDtmfReceived")),
        "ChannelDialplan" => roundtrip::<Event>(with_type(sample, "ChannelDialplan")),
        "ChannelCallerId" => roundtrip::<Event>(with_type(sample, "ChannelCallerId")),
        "ChannelUserevent" => roundtrip::<Event>(with_type(sample, "ChannelUserevent")),
        "ChannelHangupRequest" => roundtrip::<Event>(with_type(sample, "ChannelHangupRequest")),
        "ChannelVarset" => roundtrip::<Event>(with_type(sample, "ChannelVarset")),
        "ChannelHold" => roundtrip::<Event>(with_type(sample, "ChannelHold")),
        "ChannelUnhold" => roundtrip::<Event>(with_type(sample, "ChannelUnhold")),
        "ChannelToneDetected" => roundtrip::<Event>(with_type(sample, "ChannelToneDetected")),
        "ChannelTalkingStarted" => roundtrip::<Event>(with_type(sample, "ChannelTalkingStarted")),
        "ChannelTalkingFinished" => roundtrip::<Event>(with_type(sample, "ChannelTalkingFinished")),
        "ContactStatusChange" => roundtrip::<Event>(with_type(sample, "ContactStatusChange")),
        "PeerStatusChange" => roundtrip::<Event>(with_type(sample, "PeerStatusChange")),
        "EndpointStateChange" => roundtrip::<Event>(with_type(sample, "EndpointStateChange")),
        "Dial" => roundtrip::<Event>(with_type(sample, "Dial")),
        "StasisEnd" => roundtrip::<Event>(with_type(sample, "StasisEnd")),
        "StasisStart" => roundtrip::<Event>(with_type(sample, "StasisStart")),
        "TextMessageReceived" => roundtrip::<Event>(with_type(sample, "TextMessageReceived")),
        "ChannelConnectedLine" => roundtrip::<Event>(with_type(sample, "ChannelConnectedLine")),
        "ChannelTransfer" => roundtrip::<Event>(with_type(sample, "ChannelTransfer")),
        "ReferTo" => roundtrip::<ReferTo>(sample),
        "ReferredBy" => roundtrip::<ReferredBy>(sample),
        "RequiredDestination" => roundtrip::<RequiredDestination>(sample),
        "AdditionalParam" => roundtrip::<AdditionalParam>(sample),
        "RESTHeader" => roundtrip::<RestHeader>(sample),
        "RESTQueryStringParameter" => roundtrip::<RestQueryStringParameter>(sample),
        "RESTRequest" => roundtrip::<RestRequest>(sample),
        "RESTResponse" => roundtrip::<Event>(with_type(sample, "RESTResponse")),
        "CallBroadcast" => roundtrip::<Event>(with_type(sample, "CallBroadcast")),
        "CallClaimed" => roundtrip::<Event>(with_type(sample, "CallClaimed")),
        "Application" => roundtrip::<Application>(sample),
        other => Err(format!("no serde type for {other}")),
    }
}

#[test]
fn every_model_and_event_roundtrips_through_its_serde_type() {
    let mut checked = 0;
    for resource in spec::RESOURCES {
        for model in resource.models.iter().filter(|m| !["Message", "Event"].contains(&m.id)) {
            for full in [true, false] {
                let mut input = model_sample(model, full);
                if spec::model("Event").is_some_and(|e| e.sub_types.contains(&model.id)) {
                    input = with_type(input, model.id);
                }
                let output = check(model.id, input.clone()).unwrap_or_else(|e| panic!("{}: {e}", model.id));
                assert_eq!(output, input, "{} (full: {full})", model.id);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 83);
}

#[test]
fn timestamps_are_written_as_asterisk_does() {
    let at = time::macros::datetime!(2026-11-23 19:56:56.386 UTC);
    assert_eq!(Timestamp(at).text(), "2026-11-23T19:56:56.386+0000");
}

#[test]
fn the_envelope_adds_type_timestamp_application_and_asterisk_id() {
    let event = Event::ApplicationReplaced(ApplicationReplaced {});
    let at = Timestamp(time::macros::datetime!(2026-01-02 03:04:05.006 UTC));
    let envelope =
        Envelope { event: &event, timestamp: at, asterisk_id: "02:00:00:00:00:01", application: "app", sequence: None };
    // Exactly Asterisk's text: no sequence field unless event replay numbers the frame.
    let expected = r#"{"type":"ApplicationReplaced","timestamp":"2026-01-02T03:04:05.006+0000","asterisk_id":"02:00:00:00:00:01","application":"app"}"#;
    assert_eq!(envelope.frame(), expected);
    let numbered = Envelope { sequence: Some(42), ..envelope }.frame();
    let value: Value = serde_json::from_str(&numbered).expect("json");
    assert_eq!(
        value,
        json!({"type": "ApplicationReplaced", "timestamp": "2026-01-02T03:04:05.006+0000", "asterisk_id": "02:00:00:00:00:01", "application": "app", "sequence": 42})
    );
}
