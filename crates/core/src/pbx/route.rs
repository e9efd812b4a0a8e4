//! Where a number goes: an extension, or out through the first outbound route of the
//! caller's tenant whose dial patterns match it, trying its trunks in order. The one routing
//! decision that calls phones place and click-to-call share; [`Attempt`] is each try of
//! the resulting dial.

use super::b2bua::{targets_of, Target};
use super::dial::Login;
use super::record::channel_name;
use super::Shared;
use crate::directory::ExtensionEntry;
use crate::routing::TrunkEntry;
use sb_sip::transport::{Peer, Protocol};
use std::net::SocketAddr;
use std::time::Duration;

/// How long a number called out through a trunk rings before it is given up: the carrier
/// usually ends unanswered calls itself first.
pub(super) const OUTBOUND_RING: Duration = Duration::from_secs(60);

/// What a number dialled in a tenant is.
pub(super) enum Routed {
    /// An active extension the caller may ring.
    Extension(ExtensionEntry),
    /// An external number, out through an outbound route.
    Out(Outgoing),
    /// Nothing routes it.
    Nowhere,
}

/// A number going out through a route's trunks.
pub(super) struct Outgoing {
    /// The number, as dialled.
    pub number: String,
    /// The route that takes it.
    pub route: String,
    /// Its usable trunks in hunt order, each with where its carrier is.
    pub trunks: Vec<(TrunkEntry, SocketAddr)>,
}

/// Routes `number` dialled by someone of `tenant`: an extension first (only of
/// `extension_tenant`, when given; an extension that may not be rung routes nowhere), then
/// `tenant`'s outbound routes.
pub(super) async fn route_number(
    shared: &Shared,
    tenant: &str,
    extension_tenant: Option<&str>,
    number: &str,
) -> sb_store::Result<Routed> {
    if let Some(extension) = shared.directory.extension(number).await? {
        let visible = extension.active && extension_tenant.is_none_or(|t| extension.tenant == t);
        return Ok(if visible { Routed::Extension(extension) } else { Routed::Nowhere });
    }
    let Some(route) = shared.routes.outbound(tenant, number).await? else { return Ok(Routed::Nowhere) };
    let mut trunks = Vec::with_capacity(route.paths.len());
    for path in &route.paths {
        let Some(trunk) = shared.trunks.named(path).await? else {
            tracing::info!(route = %route.name, trunk = %path, "the route's trunk is not active; skipped");
            continue;
        };
        match shared.trunks.target(&trunk).await {
            Some(addr) => trunks.push((trunk, addr)),
            None => tracing::warn!(route = %route.name, trunk = %path, "the trunk's host does not resolve; skipped"),
        }
    }
    Ok(Routed::Out(Outgoing { number: number.to_owned(), route: route.name, trunks }))
}

/// One try of a dial: where its INVITEs go and what the call records about it.
pub(super) struct Attempt {
    /// The INVITEs' targets.
    pub targets: Vec<Target>,
    /// The callee's channel.
    pub channel: String,
    /// The CDR's `lastdata` (Asterisk's Dial argument).
    pub lastdata: String,
    /// The extension rung, whose device state the call changes.
    pub extension: Option<String>,
    /// The caller number presented instead of the caller's (a trunk's caller id).
    pub presented: Option<String>,
    /// The host of the To header (the carrier's).
    pub to_host: Option<String>,
    /// What the carrier's challenges are answered with.
    pub login: Option<Login>,
    /// How long it rings.
    pub ring: Duration,
}

impl Attempt {
    /// Ringing `callee` at each of its registered contacts, for its ring timeout.
    pub async fn extension(shared: &Shared, callee: &ExtensionEntry) -> Attempt {
        let ring = shared.directory.ring_timeout(&callee.number).await;
        Attempt {
            targets: targets_of(&shared.registrar.contacts(&callee.number)),
            channel: channel_name(&callee.number),
            lastdata: format!("PJSIP/{},{}", callee.number, ring.as_secs()),
            extension: Some(callee.number.clone()),
            presented: None,
            to_host: None,
            login: None,
            ring,
        }
    }

    /// Calling `number` at the carrier of `trunk` (at `addr`), as the trunk's caller id.
    pub fn trunk(number: &str, trunk: &TrunkEntry, addr: SocketAddr) -> Attempt {
        let host = trunk.host.uri_host();
        let login = (!trunk.username.is_empty())
            .then(|| Login { username: trunk.username.clone(), password: trunk.password.clone() });
        Attempt {
            targets: vec![Target { uri: format!("sip:{number}@{host}"), peer: Peer { protocol: Protocol::Udp, addr } }],
            channel: channel_name(&trunk.name),
            lastdata: format!("PJSIP/{number}@{}", trunk.name),
            extension: None,
            presented: trunk.callerid.clone(),
            to_host: Some(host),
            login,
            ring: OUTBOUND_RING,
        }
    }
}

impl Routed {
    /// The attempts of a dial to what was routed, in order (none for nowhere).
    pub async fn attempts(&self, shared: &Shared) -> Vec<Attempt> {
        match self {
            Routed::Extension(callee) => vec![Attempt::extension(shared, callee).await],
            Routed::Out(outgoing) => outgoing.attempts(),
            Routed::Nowhere => Vec::new(),
        }
    }
}

impl Outgoing {
    /// One attempt per trunk, in hunt order.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.trunks.iter().map(|(trunk, addr)| Attempt::trunk(&self.number, trunk, *addr)).collect()
    }
}
