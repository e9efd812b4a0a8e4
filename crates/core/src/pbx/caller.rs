//! Who places a call, as the call's records and the callee see it: an extension of the
//! PBX, or a carrier's caller arriving on a trunk.

use crate::directory::ExtensionEntry;
use crate::routing::TrunkEntry;
use sb_sip::message::{self, Request};

/// The calling party.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    /// The caller's number: the CDR's `src`, the user of the From the callee sees.
    pub number: String,
    /// The caller's name, when known.
    pub display: Option<String>,
    /// The tenant the call belongs to.
    pub tenant: String,
    /// What the call comes in on: the extension, or the trunk's name; it names the channel.
    pub device: String,
    /// The extension whose device state the call changes, when the caller is one.
    pub extension: Option<String>,
}

impl Caller {
    /// An extension calling.
    pub fn extension(entry: &ExtensionEntry) -> Caller {
        Caller {
            number: entry.number.clone(),
            display: entry.display.clone(),
            tenant: entry.tenant.clone(),
            device: entry.number.clone(),
            extension: Some(entry.number.clone()),
        }
    }

    /// The caller of `request`, arriving on `trunk`: the From's user and display name
    /// (`anonymous` when the From has no user).
    pub fn on_trunk(trunk: &TrunkEntry, request: &Request) -> Caller {
        let from = message::from(&request.headers);
        let number = from
            .as_ref()
            .and_then(|f| f.uri.user().map(|u| String::from_utf8_lossy(u).into_owned()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "anonymous".to_owned());
        // Quotes and backslashes would break the From we build for the callee.
        let display = from.and_then(|f| f.display).map(|d| d.replace(['"', '\\'], "")).filter(|d| !d.trim().is_empty());
        Caller { number, display, tenant: trunk.tenant.clone(), device: trunk.name.clone(), extension: None }
    }

    /// The name the callee sees: the display name, else the number.
    pub fn shown_name(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.number)
    }
}
