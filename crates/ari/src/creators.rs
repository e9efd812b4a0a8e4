//! Which user confined to applications made which channel or bridge over ARI, so that it
//! keeps seeing them (a placed channel before it enters the application, a bridge before a
//! channel of its joins). Entries go when the object does (its `ChannelDestroyed` or
//! `BridgeDestroyed`, or the bridge's delete).

use sb_core::pbx::{EventKind, Target};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The creators of the channels and bridges confined users made, by object.
#[derive(Debug, Default)]
pub struct Creators {
    made: Mutex<HashMap<Target, String>>,
}

impl Creators {
    fn lock(&self) -> MutexGuard<'_, HashMap<Target, String>> {
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that user `name` made `object`.
    pub fn record(&self, object: Target, name: &str) {
        self.lock().insert(object, name.to_owned());
    }

    /// Who made `object`, if a confined user did.
    pub fn creator(&self, object: &Target) -> Option<String> {
        self.lock().get(object).cloned()
    }

    /// Forgets `object` (it is gone).
    pub fn forget(&self, object: &Target) {
        self.lock().remove(object);
    }

    /// Forgets what the core event says is gone.
    pub fn forget_gone(&self, event: &EventKind) {
        match event {
            EventKind::ChannelDestroyed { channel, .. } => self.forget(&Target::Channel(channel.id.clone())),
            EventKind::BridgeDestroyed { bridge } => self.forget(&Target::Bridge(bridge.id.clone())),
            _ => {}
        }
    }

    /// How many objects are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::pbx::{BridgeSnapshot, BridgeType};
    use time::OffsetDateTime;

    #[test]
    fn a_destroyed_bridge_is_forgotten() {
        let creators = Creators::default();
        creators.record(Target::Bridge("b".into()), "bob");
        creators.record(Target::Channel("b".into()), "bob");
        assert_eq!(creators.creator(&Target::Bridge("b".into())).as_deref(), Some("bob"));
        let bridge = BridgeSnapshot {
            id: "b".into(),
            bridge_type: BridgeType::Holding,
            creator: "Stasis".into(),
            name: String::new(),
            channels: Vec::new(),
            created: OffsetDateTime::UNIX_EPOCH,
            variables: Default::default(),
        };
        creators.forget_gone(&EventKind::BridgeDestroyed { bridge });
        assert_eq!(creators.creator(&Target::Bridge("b".into())), None);
        assert_eq!(creators.len(), 1, "the channel of the same id stays");
    }
}
