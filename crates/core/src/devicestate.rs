//! Device and channel state: which extensions are ringing, in a call or on hold, and the
//! state of every live channel by name. Read by status queries (the CRM bridge's
//! `{"exten"}` and `{"chan"}`, later ARI device states); written by calls through the
//! [`ChannelGuard`] each of their channels holds, so a call that ends, however it ends,
//! leaves nothing behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::events::ChannelState;

/// An extension's state, as Asterisk's `ast_extension_state` combines its devices'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionState {
    /// Registered, in no call.
    Idle,
    /// In a call.
    InUse,
    /// Busy (reserved: Switchboard sets no call limit, so it does not report it yet).
    Busy,
    /// Not registered, in no call.
    Unavailable,
    /// Ringing, in no other call.
    Ringing,
    /// In a call, and ringing for another.
    InUseRinging,
    /// Its only calls are on hold.
    Hold,
    /// In a call and holding another.
    InUseHold,
}

impl ExtensionState {
    /// Asterisk's number for the state (a bit set: in use 1, busy 2, unavailable 4,
    /// ringing 8, on hold 16).
    pub fn code(self) -> i32 {
        match self {
            ExtensionState::Idle => 0,
            ExtensionState::InUse => 1,
            ExtensionState::Busy => 2,
            ExtensionState::Unavailable => 4,
            ExtensionState::Ringing => 8,
            ExtensionState::InUseRinging => 9,
            ExtensionState::Hold => 16,
            ExtensionState::InUseHold => 17,
        }
    }

    /// Asterisk's text for the state (`ast_extension_state2str`).
    pub fn text(self) -> &'static str {
        match self {
            ExtensionState::Idle => "Idle",
            ExtensionState::InUse => "InUse",
            ExtensionState::Busy => "Busy",
            ExtensionState::Unavailable => "Unavailable",
            ExtensionState::Ringing => "Ringing",
            ExtensionState::InUseRinging => "InUse&Ringing",
            ExtensionState::Hold => "Hold",
            ExtensionState::InUseHold => "InUse&Hold",
        }
    }
}

/// What one extension's channels are doing.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    ringing: u32,
    active: u32,
    held: u32,
}

impl Usage {
    /// Counts (`add`) or uncounts a channel of `state`, held or not.
    fn apply(&mut self, state: ChannelState, held: bool, add: bool) {
        let counter = match (state, held) {
            (ChannelState::Down, _) => return,
            (ChannelState::Ringing, _) => &mut self.ringing,
            (_, true) => &mut self.held,
            (_, false) => &mut self.active,
        };
        *counter = if add { counter.saturating_add(1) } else { counter.saturating_sub(1) };
    }

    fn is_empty(&self) -> bool {
        self.ringing == 0 && self.active == 0 && self.held == 0
    }
}

/// One live channel: its extension, if it belongs to one, and its state.
#[derive(Debug, Clone)]
struct Entry {
    extension: Option<String>,
    state: ChannelState,
    held: bool,
}

#[derive(Debug, Default)]
struct Inner {
    extensions: HashMap<String, Usage>,
    channels: HashMap<String, Entry>,
}

/// The states of every extension and channel of the node; shared by all calls.
#[derive(Debug, Default)]
pub struct DeviceStates {
    /// A std mutex: held for a map update at each call state change, never across an await.
    inner: Mutex<Inner>,
}

impl DeviceStates {
    /// Records a new channel named `channel`, of `extension` if it is one's, in `state`;
    /// it lasts as long as the guard.
    pub fn open(self: &Arc<Self>, extension: Option<&str>, channel: &str, state: ChannelState) -> ChannelGuard {
        let entry = Entry { extension: extension.map(str::to_owned), state, held: false };
        let mut inner = self.lock();
        if let Some(extension) = &entry.extension {
            inner.extensions.entry(extension.clone()).or_default().apply(state, false, true);
        }
        inner.channels.insert(channel.to_owned(), entry);
        ChannelGuard { states: Arc::clone(self), channel: channel.to_owned() }
    }

    /// The state of `extension`, given whether it has a registered contact.
    pub fn extension_state(&self, extension: &str, registered: bool) -> ExtensionState {
        let usage = self.lock().extensions.get(extension).copied().unwrap_or_default();
        match (usage.active > 0, usage.held > 0, usage.ringing > 0) {
            (true, _, true) => ExtensionState::InUseRinging,
            (true, true, false) => ExtensionState::InUseHold,
            (true, false, false) => ExtensionState::InUse,
            (false, true, _) => ExtensionState::Hold,
            (false, false, true) => ExtensionState::Ringing,
            (false, false, false) if registered => ExtensionState::Idle,
            (false, false, false) => ExtensionState::Unavailable,
        }
    }

    /// The state of the live channel named `channel`.
    pub fn channel_state(&self, channel: &str) -> Option<ChannelState> {
        self.channel(channel).map(|(_, state)| state)
    }

    /// The extension (if any) and state of the live channel named `channel`.
    pub fn channel(&self, channel: &str) -> Option<(Option<String>, ChannelState)> {
        self.lock().channels.get(channel).map(|entry| (entry.extension.clone(), entry.state))
    }

    /// The names of the live channels of `extension`, sorted.
    pub fn channels_of(&self, extension: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .lock()
            .channels
            .iter()
            .filter(|(_, entry)| entry.extension.as_deref() == Some(extension))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// Changes a channel's state or hold, keeping its extension's counts right.
    fn update(&self, channel: &str, change: impl FnOnce(&mut Entry)) {
        let mut inner = self.lock();
        let Inner { extensions, channels } = &mut *inner;
        let Some(entry) = channels.get_mut(channel) else { return };
        let before = entry.clone();
        change(entry);
        if let Some(usage) = before.extension.as_ref().and_then(|extension| extensions.get_mut(extension)) {
            usage.apply(before.state, before.held, false);
            usage.apply(entry.state, entry.held, true);
        }
    }

    /// Forgets a channel.
    fn close(&self, channel: &str) {
        let mut inner = self.lock();
        let Some(entry) = inner.channels.remove(channel) else { return };
        let Some(extension) = entry.extension else { return };
        if let Some(usage) = inner.extensions.get_mut(&extension) {
            usage.apply(entry.state, entry.held, false);
            if usage.is_empty() {
                inner.extensions.remove(&extension);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A live channel's place in [`DeviceStates`]; dropping it forgets the channel.
#[derive(Debug)]
pub struct ChannelGuard {
    states: Arc<DeviceStates>,
    channel: String,
}

impl ChannelGuard {
    /// The channel's name.
    pub fn name(&self) -> &str {
        &self.channel
    }

    /// Moves the channel to `state`.
    pub fn set_state(&self, state: ChannelState) {
        self.states.update(&self.channel, |entry| entry.state = state);
    }

    /// Puts the channel on hold, or takes it off.
    pub fn set_held(&self, held: bool) {
        self.states.update(&self.channel, |entry| entry.held = held);
    }
}

impl Drop for ChannelGuard {
    fn drop(&mut self) {
        self.states.close(&self.channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_follows_its_channels_and_ends_idle() {
        let states = Arc::new(DeviceStates::default());
        assert_eq!(states.extension_state("1002", false), ExtensionState::Unavailable);
        assert_eq!(states.extension_state("1002", true), ExtensionState::Idle);
        let ringing = states.open(Some("1002"), "PJSIP/1002-00000001", ChannelState::Ringing);
        assert_eq!(states.extension_state("1002", true), ExtensionState::Ringing);
        assert_eq!(states.channel_state("PJSIP/1002-00000001"), Some(ChannelState::Ringing));
        ringing.set_state(ChannelState::Up);
        assert_eq!(states.extension_state("1002", true), ExtensionState::InUse);
        let second = states.open(Some("1002"), "PJSIP/1002-00000002", ChannelState::Ringing);
        assert_eq!(states.extension_state("1002", true), ExtensionState::InUseRinging);
        drop(second);
        ringing.set_held(true);
        assert_eq!(states.extension_state("1002", true), ExtensionState::Hold);
        assert_eq!(states.channel_state("PJSIP/1002-00000001"), Some(ChannelState::Up));
        let third = states.open(Some("1002"), "PJSIP/1002-00000003", ChannelState::Up);
        assert_eq!(states.extension_state("1002", true), ExtensionState::InUseHold);
        drop(third);
        drop(ringing);
        assert_eq!(states.extension_state("1002", true), ExtensionState::Idle);
        assert_eq!(states.channel_state("PJSIP/1002-00000001"), None);
        assert!(states.lock().extensions.is_empty() && states.lock().channels.is_empty());
    }

    #[test]
    fn an_extensions_channels_are_listed_while_they_live() {
        let states = Arc::new(DeviceStates::default());
        let second = states.open(Some("1002"), "PJSIP/1002-00000002", ChannelState::Ringing);
        let first = states.open(Some("1002"), "PJSIP/1002-00000001", ChannelState::Up);
        let _other = states.open(Some("1003"), "PJSIP/1003-00000003", ChannelState::Up);
        let _trunk = states.open(None, "PJSIP/carrier-00000004", ChannelState::Up);
        assert_eq!(states.channels_of("1002"), ["PJSIP/1002-00000001", "PJSIP/1002-00000002"]);
        drop(first);
        assert_eq!(states.channels_of("1002"), ["PJSIP/1002-00000002"]);
        drop(second);
        assert!(states.channels_of("1002").is_empty());
        assert!(states.channels_of("").is_empty(), "a channel of no extension is nobody's");
    }

    #[test]
    fn codes_and_texts_are_asterisks() {
        assert_eq!((ExtensionState::InUseRinging.code(), ExtensionState::InUseRinging.text()), (9, "InUse&Ringing"));
        assert_eq!((ExtensionState::Unavailable.code(), ExtensionState::Unavailable.text()), (4, "Unavailable"));
        assert_eq!((ChannelState::Up.code(), ChannelState::Up.as_upper()), (6, "UP"));
        assert_eq!((ChannelState::Ringing.code(), ChannelState::Ringing.as_upper()), (5, "RINGING"));
    }
}
