//! ARI events: the 45 types of `events.json` ([`catalog`]), Asterisk's timestamp format and
//! the envelope each recipient application gets (`type`, `timestamp`, `application`,
//! `asterisk_id`, and `sequence` with event replay on).

mod catalog;

pub use catalog::*;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// Asterisk's `AST_ISO8601_FORMAT` (`%FT%T.%q%z`): `2026-11-23T19:56:56.386+0000`.
const FORMAT: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
);

/// A point in time as ARI writes it (always in UTC, `+0000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// The ARI text.
    pub fn text(&self) -> String {
        self.0.to_offset(time::UtcOffset::UTC).format(FORMAT).unwrap_or_default()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, FORMAT).map(Timestamp).map_err(serde::de::Error::custom)
    }
}

/// An event as one application receives it.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    /// The event, with its `type`.
    #[serde(flatten)]
    pub event: &'a Event,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The node that raised it.
    pub asterisk_id: &'a str,
    /// The recipient application.
    pub application: &'a str,
    /// The frame's number in the application's stream, with event replay on (beyond
    /// Asterisk); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
}

impl Envelope<'_> {
    /// The WebSocket text frame.
    pub fn frame(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
