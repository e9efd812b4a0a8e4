//! Device states ARI controls: `Stasis:<name>` (Asterisk's own ARI namespace) and
//! `Custom:<name>` (the dialplan's `DEVICE_STATE()` namespace, which ARI apps written for
//! Switchboard use), kept in memory. Other names are read-only here.

use crate::models::DeviceState;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// The namespaces an ARI application may set.
const CONTROLLED: [&str; 2] = ["Stasis:", "Custom:"];

/// Whether ARI may set or delete device `name`.
pub fn is_controlled(name: &str) -> bool {
    CONTROLLED.iter().any(|prefix| name.len() > prefix.len() && name.starts_with(prefix))
}

/// The ARI-controlled device states, by name.
#[derive(Debug, Default)]
pub struct DeviceStates {
    states: Mutex<BTreeMap<String, String>>,
}

impl DeviceStates {
    /// Every controlled device state.
    pub fn list(&self) -> Vec<DeviceState> {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states.iter().map(|(name, state)| DeviceState { name: name.clone(), state: state.clone() }).collect()
    }

    /// The state of controlled device `name`, if it was ever set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.states.lock().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    /// Sets `name` to `state` (one of the spec's allowed words); answers whether it changed.
    pub fn set(&self, name: &str, state: &str) -> bool {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states.insert(name.to_owned(), state.to_owned()).as_deref() != Some(state)
    }

    /// Forgets `name`; answers whether it existed.
    pub fn remove(&self, name: &str) -> bool {
        self.states.lock().unwrap_or_else(PoisonError::into_inner).remove(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stasis_and_custom_names_are_controlled() {
        assert!(is_controlled("Stasis:lamp") && is_controlled("Custom:desk"));
        assert!(!is_controlled("PJSIP/1001") && !is_controlled("Custom:") && !is_controlled("Local:x"));
    }

    #[test]
    fn states_are_set_listed_and_removed() {
        let devices = DeviceStates::default();
        assert!(devices.set("Custom:a", "INUSE"));
        assert!(!devices.set("Custom:a", "INUSE"), "same state: no change");
        assert_eq!(devices.get("Custom:a").as_deref(), Some("INUSE"));
        assert_eq!(devices.list(), vec![DeviceState { name: "Custom:a".into(), state: "INUSE".into() }]);
        assert!(devices.remove("Custom:a") && !devices.remove("Custom:a"));
    }
}
