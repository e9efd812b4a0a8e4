//! The PBX's SIP user agent core: what Switchboard does with the requests the endpoint
//! hands it. REGISTER goes to the registrar, INVITE starts a call (a B2BUA task that owns
//! both legs and their media relay), in-dialog requests go to the call that owns the
//! dialog, the rest is answered here.
//!
//! - [`dispatch`]: the one loop that reads the endpoint's queue and routes each item.
//! - [`register`]: REGISTER with digest auth, onto the [`Registrar`].
//! - [`call`]: a call placed to the PBX, one task per call: routing, ringing, answer.
//! - [`inbound`]: calls from trunks, by DDI through inbound routes (and the CRM lookup).
//! - [`route`]: where a dialled number goes: an extension, or out through a route's trunks.
//! - [`lookup`]: the CRM routing lookup's interface (the HTTP client is in the `crm` crate).
//! - [`caller`]: who places a call (an extension, or a caller on a trunk).
//! - [`dial`]: the forks of one INVITE to a callee's contacts, and what their answers mean.
//! - [`b2bua`]: what every two-leg call shares: relay, in-dialog forwarding, hang-up.
//! - [`originate`]: calls the PBX places itself (click-to-call).
//! - [`record`]: the CDR and channel events a call makes as it goes.
//! - [`application`]: calls the PBX answers itself (echo, playback, conference).
//! - [`stasis`]: channels and bridges applications control (ARI), and custom apps.
//! - [`endpoints`]: extensions and trunks as ARI's endpoints.

mod application;
mod b2bua;
mod call;
mod caller;
mod dial;
mod dispatch;
mod endpoints;
mod inbound;
mod lookup;
mod originate;
mod record;
mod register;
mod route;
mod stasis;
mod status;

use crate::access::SipAccess;
use crate::devicestate::DeviceStates;
use crate::directory::Directory;
use crate::events::EventBus;
use crate::metrics::{CallMetrics, Exposition};
use crate::registrar::{RegisterPolicy, Registrar};
use crate::routing::{Routes, Trunks};
use crate::throttle::{Throttle, ThrottlePolicy};
pub use application::{Application, Applications};
pub use endpoints::{EndpointKind, EndpointState, EndpointStatus};
pub use lookup::{CallerLookup, CrmRouting, LookupError, LookupFuture};
pub use originate::{ClickToCall, OriginateError, Originated};
use sb_media::relay::MediaEngine;
use sb_sip::auth::digest::Algorithm;
use sb_sip::endpoint::{Endpoint, Incoming};
use sb_store::Store;
pub use stasis::{
    fresh_id, AppDirectory, BridgeSnapshot, BridgeType, ChannelOp, ChannelSnapshot, EventKind, ExternalCodec,
    ExternalMedia, HangupCause, Location, MuteDirection, OpReply, Originate, OriginateTarget, Party, PlaybackSnapshot,
    PlaybackState, RecordingSnapshot, RecordingState, Snoop, Stasis, StasisError, StasisEvent, Target,
};
pub use status::{MessageOutcome, PeerState, ReferTarget, StatusError};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How the PBX behaves on the SIP side.
#[derive(Debug, Clone)]
pub struct PbxConfig {
    /// The digest realm.
    pub realm: String,
    /// The digest algorithms challenged with, in order (both are always verified).
    pub algorithms: Vec<Algorithm>,
    /// Registration limits.
    pub register: RegisterPolicy,
    /// Bans after failed SIP authentication.
    pub throttle: ThrottlePolicy,
    /// The numbers the PBX answers itself.
    pub applications: Applications,
    /// Where the calls' channel events are published.
    pub events: EventBus,
    /// The CRM routing lookup of inbound routes whose destination is `CRM`, if configured.
    pub crm: Option<CrmRouting>,
}

impl Default for PbxConfig {
    fn default() -> Self {
        // MD5 alone by default, as Asterisk: baresip 1.0 (Debian 12) gives up on a
        // SHA-256 challenge, and SIPp answers only the first one. SHA-256 is opt-in.
        PbxConfig {
            realm: "switchboard".into(),
            algorithms: vec![Algorithm::Md5],
            register: RegisterPolicy::default(),
            throttle: ThrottlePolicy::default(),
            applications: Applications::none(),
            events: EventBus::new(),
            crm: None,
        }
    }
}

/// What every part of the PBX shares.
pub(crate) struct Shared {
    pub endpoint: Endpoint,
    pub registrar: Registrar,
    pub access: SipAccess,
    pub directory: Directory,
    pub media: MediaEngine,
    pub store: Store,
    pub metrics: Arc<CallMetrics>,
    /// The numbers answered by the PBX itself.
    pub applications: Applications,
    /// Conference rooms in use.
    pub rooms: application::Rooms,
    /// What each extension and channel is doing.
    pub devices: Arc<DeviceStates>,
    /// Live calls by the Call-ID of each of their dialogs (the caller's and ours).
    pub calls: Mutex<HashMap<String, mpsc::Sender<call::CallInput>>>,
    /// Where channel events are published.
    pub events: EventBus,
    /// The active trunks.
    pub trunks: Trunks,
    /// Inbound and outbound routes.
    pub routes: Routes,
    /// The CRM routing lookup, if configured.
    pub crm: Option<CrmRouting>,
    /// The channels and bridges applications control.
    pub stasis: stasis::Registry,
}

impl Shared {
    pub fn call_for(&self, call_id: &str) -> Option<mpsc::Sender<call::CallInput>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).get(call_id).cloned()
    }
}

/// The running PBX; cheap to clone.
#[derive(Clone)]
pub struct Pbx {
    shared: Arc<Shared>,
}

impl Pbx {
    /// Loads the registrations and starts serving what `incoming` brings.
    pub async fn start(
        endpoint: Endpoint,
        incoming: mpsc::Receiver<Incoming>,
        store: Store,
        media: MediaEngine,
        config: PbxConfig,
    ) -> Result<Pbx, sb_store::Error> {
        let registrar = Registrar::load(store.clone(), config.register).await?;
        let directory = Directory::new(store.clone());
        let (trunks, routes) = (Trunks::new(store.clone()), Routes::new(store.clone()));
        let shared = Arc::new(Shared {
            access: SipAccess::new(
                directory.clone(),
                &config.realm,
                &config.algorithms,
                Throttle::new(config.throttle),
            ),
            endpoint,
            registrar,
            directory,
            media,
            store,
            metrics: Arc::new(CallMetrics::default()),
            applications: config.applications,
            rooms: application::Rooms::default(),
            devices: Arc::new(DeviceStates::default()),
            calls: Mutex::new(HashMap::new()),
            events: config.events,
            trunks,
            routes,
            crm: config.crm,
            stasis: stasis::Registry::default(),
        });
        tokio::spawn(dispatch::run(Arc::clone(&shared), incoming));
        tokio::spawn(expire_registrations(Arc::downgrade(&shared)));
        Ok(Pbx { shared })
    }

    /// The bus the calls publish their channel events on.
    pub fn events(&self) -> &EventBus {
        &self.shared.events
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> i64 {
        self.shared.metrics.calls_active.load(Ordering::Relaxed)
    }

    /// Every figure of the node in Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let s = &self.shared;
        let m = &s.metrics;
        let endpoint = s.endpoint.stats();
        let transport = s.endpoint.transports().stats();
        let media = s.media.stats();
        let mut out = Exposition::default();
        out.gauge("switchboard_calls_active", "Calls in progress", m.calls_active.load(Ordering::Relaxed))
            .gauge("switchboard_sip_dialogs", "SIP dialogs established", m.dialogs.load(Ordering::Relaxed))
            .gauge("switchboard_sip_transactions", "Live SIP transactions", endpoint.transactions)
            .gauge("switchboard_sip_pending_acks", "2xx responses waiting for their ACK", endpoint.pending_acks)
            .gauge("switchboard_sip_registrations", "Live registrar bindings", s.registrar.len())
            .gauge("switchboard_sip_tcp_connections", "Open SIP TCP connections", transport.tcp_connections)
            .gauge("switchboard_rtp_relays", "Media relays in use", media.active_relays)
            .gauge("switchboard_rtp_ports_in_use", "RTP and RTCP ports in use", media.ports_in_use)
            .counter("switchboard_calls_total", "Calls started", m.calls_total.load(Ordering::Relaxed))
            .counter("switchboard_calls_answered_total", "Calls answered", m.calls_answered.load(Ordering::Relaxed))
            .counter(
                "switchboard_sip_registrations_accepted_total",
                "REGISTER requests accepted",
                m.registrations_accepted.load(Ordering::Relaxed),
            )
            .counter("switchboard_sip_messages_received_total", "SIP messages received", endpoint.received)
            .counter(
                "switchboard_sip_requests_rejected_total",
                "SIP requests refused before a transaction",
                endpoint.rejected,
            )
            .counter("switchboard_sip_messages_dropped_total", "SIP messages dropped unanswered", endpoint.dropped)
            .counter(
                "switchboard_sip_udp_dropped_total",
                "UDP datagrams dropped (oversize or queue full)",
                transport.udp_dropped,
            )
            .counter("switchboard_sip_auth_failures_total", "Failed SIP authentications", s.access.failures())
            .counter("switchboard_sip_bans_total", "Addresses banned after failed SIP authentication", s.access.bans())
            .counter("switchboard_rtp_packets_forwarded_total", "RTP/RTCP packets relayed", media.packets_forwarded)
            .counter("switchboard_rtp_packets_dropped_total", "RTP/RTCP packets dropped", media.packets_dropped)
            .labelled_counter(
                "switchboard_dtmf_digits_received_total",
                "DTMF digits heard on calls the PBX answered",
                "digit",
                m.dtmf_counts(),
            )
            .gauge(
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                crate::metrics::resident_memory_bytes(),
            );
        out.finish()
    }
}

/// Drops lapsed registrations every few seconds, until the PBX is gone.
async fn expire_registrations(shared: std::sync::Weak<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        shared.registrar.expire().await;
    }
}
