//! What every ARI request shares: the users, the node's identity, the global variables, the
//! registered applications, the ARI-controlled device states and who made which object,
//! and the call core, the media files and the store when the server runs them.

use crate::apps::Applications;
use crate::auth::{AriUser, Authenticator};
use crate::creators::Creators;
use crate::devices::DeviceStates;
use crate::events::Timestamp;
use crate::replay::ReplayPolicy;
use crate::stasis::{Directory, StateApps};
use sb_core::pbx::Pbx;
use sb_core::throttle::{Throttle, ThrottlePolicy};
use sb_media::sound::library::SoundLibrary;
use sb_media::sound::recording::RecordingStore;
use sb_store::Store;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// How to build an [`AriState`].
#[derive(Clone, Default)]
pub struct AriOptions {
    /// The users allowed in.
    pub users: Vec<AriUser>,
    /// When failing addresses get banned.
    pub throttle: ThrottlePolicy,
    /// The node's entity id (`asterisk_id`); random when `None`.
    pub entity_id: Option<String>,
    /// The product version `asterisk/info` reports.
    pub version: Option<String>,
    /// The call core, for the device states of extensions.
    pub pbx: Option<Pbx>,
    /// The sounds the media engine plays (`/sounds`); none listed without it.
    pub sounds: Option<SoundLibrary>,
    /// Where the media engine keeps recordings (`/recordings/stored`); none without it.
    pub recordings: Option<RecordingStore>,
    /// The store, for the mailboxes (`/mailboxes`) and API keys.
    pub store: Option<Store>,
    /// Whether the store's provisioning API keys are accepted too (beyond Asterisk).
    pub api_keys: bool,
    /// Event sequence numbers and replay (beyond Asterisk); off when `None`.
    pub replay: Option<ReplayPolicy>,
}

/// The shared ARI state (cheap to clone).
#[derive(Clone)]
pub struct AriState {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Authenticator,
    identity: Identity,
    globals: Mutex<BTreeMap<String, String>>,
    apps: Applications,
    devices: DeviceStates,
    creators: Creators,
    pbx: Option<Pbx>,
    sounds: Option<SoundLibrary>,
    recordings: Option<RecordingStore>,
    store: Option<Store>,
}

/// Who this node is, for `asterisk/info`, `ping` and every event's `asterisk_id`.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The entity id (a MAC-like `xx:xx:xx:xx:xx:xx`, as Asterisk's EID).
    pub entity_id: String,
    /// The product version.
    pub version: String,
    /// When the node started.
    pub started: Timestamp,
}

impl AriState {
    /// A state from `options`.
    pub fn new(options: AriOptions) -> AriState {
        let entity_id = options.entity_id.unwrap_or_else(random_entity_id);
        let stasis = options.pbx.as_ref().map(Pbx::stasis);
        let identity = Identity {
            entity_id: entity_id.clone(),
            version: options.version.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            started: Timestamp::now(),
        };
        let state = AriState {
            inner: Arc::new(Inner {
                auth: Authenticator::new(
                    options.users,
                    options.store.clone().filter(|_| options.api_keys),
                    Throttle::new(options.throttle),
                ),
                identity,
                globals: Mutex::new(BTreeMap::new()),
                apps: Applications::new(entity_id, options.replay),
                devices: DeviceStates::default(),
                creators: Creators::default(),
                pbx: options.pbx,
                sounds: options.sounds,
                recordings: options.recordings,
                store: options.store,
            }),
        };
        if let Some(stasis) = stasis {
            let weak: Weak<dyn StateApps> = Arc::downgrade(&(Arc::clone(&state.inner) as Arc<dyn StateApps>));
            stasis.set_apps(Arc::new(Directory(weak.clone())));
            if let Some(queue) = stasis.take_events() {
                tokio::spawn(crate::stasis::pump(weak, queue));
            }
        }
        state
    }

    /// The authenticator.
    pub fn auth(&self) -> &Authenticator {
        &self.inner.auth
    }

    /// The node's identity.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// The global variables (`asterisk/variable`).
    pub fn globals(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        self.inner.globals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The registered applications.
    pub fn apps(&self) -> &Applications {
        &self.inner.apps
    }

    /// The ARI-controlled device states.
    pub fn devices(&self) -> &DeviceStates {
        &self.inner.devices
    }

    /// Who among the users confined to applications made which channel or bridge.
    pub fn creators(&self) -> &Creators {
        &self.inner.creators
    }

    /// The call core, when there is one.
    pub fn pbx(&self) -> Option<&Pbx> {
        self.inner.pbx.as_ref()
    }

    /// The sound library, when there is one.
    pub fn sounds(&self) -> Option<&SoundLibrary> {
        self.inner.sounds.as_ref()
    }

    /// The stored recordings, when there are.
    pub fn recordings(&self) -> Option<&RecordingStore> {
        self.inner.recordings.as_ref()
    }

    /// The store, when there is one.
    pub fn store(&self) -> Option<&Store> {
        self.inner.store.as_ref()
    }
}

impl StateApps for Inner {
    fn applications(&self) -> &Applications {
        &self.apps
    }

    fn creators(&self) -> &Creators {
        &self.creators
    }
}

/// A random, locally administered, unicast MAC-like id.
fn random_entity_id() -> String {
    let hex = sb_core::secrets::hex_token(6);
    let mut bytes: Vec<u8> = (0..6).filter_map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()).collect();
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0xfc) | 0x02;
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
