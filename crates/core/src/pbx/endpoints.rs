//! The PBX's endpoints, as ARI shows Asterisk's PJSIP endpoints: every active extension
//! (online while a phone is registered) and every active SIP trunk (always online: its
//! carrier is a static contact, which Asterisk counts as reachable), with their channels.
//! Node-wide like Asterisk: every tenant's endpoints.

use super::status::StatusError;
use super::Pbx;
use std::collections::BTreeMap;

/// Whether an endpoint can take calls, in ARI's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointState {
    /// A phone is registered (an extension), or the endpoint has a static contact (a trunk).
    Online,
    /// No phone is registered.
    Offline,
}

impl EndpointState {
    /// ARI's word: `online` or `offline`.
    pub fn text(self) -> &'static str {
        match self {
            EndpointState::Online => "online",
            EndpointState::Offline => "offline",
        }
    }
}

/// What an endpoint stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// An extension (its number is the endpoint's resource).
    Extension,
    /// A SIP trunk (its name is the endpoint's resource).
    Trunk,
}

/// One endpoint and what it is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStatus {
    /// The extension number or trunk name.
    pub resource: String,
    /// An extension or a trunk.
    pub kind: EndpointKind,
    /// Whether it can take calls.
    pub state: EndpointState,
    /// Its live channels (see [`Pbx::endpoint_channel_ids`]).
    pub channel_ids: Vec<String>,
}

impl Pbx {
    /// Every endpoint, sorted by resource; an extension and a trunk of the same name show
    /// as the extension.
    pub async fn endpoints(&self) -> Result<Vec<EndpointStatus>, StatusError> {
        let mut found = BTreeMap::new();
        for trunk in self.shared.trunks.active().await?.iter() {
            found.insert(trunk.name.clone(), self.status(&trunk.name, EndpointKind::Trunk));
        }
        for (number, _tenant) in self.shared.directory.active_extensions().await? {
            let status = self.status(&number, EndpointKind::Extension);
            found.insert(number, status);
        }
        Ok(found.into_values().collect())
    }

    /// The endpoint `resource` (an extension number or a trunk name), if it exists.
    pub async fn endpoint(&self, resource: &str) -> Result<Option<EndpointStatus>, StatusError> {
        if super::status::visible_extension(&self.shared, resource, None).await?.is_some() {
            return Ok(Some(self.status(resource, EndpointKind::Extension)));
        }
        Ok(self.shared.trunks.named(resource).await?.map(|trunk| self.status(&trunk.name, EndpointKind::Trunk)))
    }

    /// The channels of endpoint `resource`, as ARI's `channel_ids`: the ids of the Stasis
    /// channels among the extension's live channels (those of ordinary calls are not ARI
    /// channels, and a trunk's are not tracked: none).
    pub fn endpoint_channel_ids(&self, resource: &str) -> Vec<String> {
        let names = self.shared.devices.channels_of(resource);
        self.stasis().channels().into_iter().filter(|c| names.contains(&c.name)).map(|c| c.id).collect()
    }

    fn status(&self, resource: &str, kind: EndpointKind) -> EndpointStatus {
        let (state, channel_ids) = match kind {
            EndpointKind::Extension => {
                let registered = !self.shared.registrar.contacts(resource).is_empty();
                let state = if registered { EndpointState::Online } else { EndpointState::Offline };
                (state, self.endpoint_channel_ids(resource))
            }
            EndpointKind::Trunk => (EndpointState::Online, Vec::new()),
        };
        EndpointStatus { resource: resource.to_owned(), kind, state, channel_ids }
    }
}
