//! The trunk directory: the active trunks (carriers) as the call layer needs them, read
//! through a [`ConfigCache`], and where each one is on the network (its host resolved with
//! the system resolver, kept briefly). An INVITE from a trunk's address is that trunk's
//! (as Asterisk's `identify` by IP); calls out go to the trunk's host.

use crate::config_cache::ConfigCache;
use sb_store::rows::{self, Column, Page};
use sb_store::{Store, Value};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The SIP port of a trunk whose host names none.
pub const DEFAULT_SIP_PORT: u16 = 5060;

/// How long a resolved host name is used before it is resolved again.
const RESOLVED_TTL: Duration = Duration::from_secs(30);
/// How long a host name that did not resolve is not tried again.
const UNRESOLVED_TTL: Duration = Duration::from_secs(5);
/// The longest wait for the resolver: a slow DNS must not hold calls up for long.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// A trunk's `host`: a name or IP literal, and the port when one is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkHost {
    /// The host name or IP address, without IPv6 brackets.
    pub name: String,
    /// The port, when the host names one.
    pub port: Option<u16>,
}

impl TrunkHost {
    /// Reads `host` or `host:port` (IPv6 in brackets); `None` when it is neither.
    pub fn parse(text: &str) -> Option<TrunkHost> {
        let text = text.trim();
        let (name, port) = if let Some(rest) = text.strip_prefix('[') {
            let (address, after) = rest.split_once(']')?;
            (address, after.strip_prefix(':'))
        } else {
            match text.rsplit_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (text, None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
            None => None,
        };
        (!name.is_empty() && !name.contains([':', ' ']) || name.parse::<IpAddr>().is_ok())
            .then(|| TrunkHost { name: name.to_owned(), port })
    }

    /// The host as a SIP URI writes it (IPv6 in brackets, the port when given).
    pub fn uri_host(&self) -> String {
        let name = if self.name.contains(':') { format!("[{}]", self.name) } else { self.name.clone() };
        match self.port {
            Some(port) => format!("{name}:{port}"),
            None => name,
        }
    }

    /// Whether a request from `source` comes from this host, once resolved to `addresses`:
    /// the IP must be one of them and, when the host names a port, the port that one.
    pub fn is_source(&self, addresses: &[IpAddr], source: SocketAddr) -> bool {
        let ip = source.ip().to_canonical();
        addresses.iter().any(|a| a.to_canonical() == ip) && self.port.is_none_or(|port| port == source.port())
    }
}

/// A trunk as the call layer sees it.
#[derive(Clone)]
pub struct TrunkEntry {
    /// The trunk's name (`pkey`), also its channels' name.
    pub name: String,
    /// Its tenant.
    pub tenant: String,
    /// Where the carrier is.
    pub host: TrunkHost,
    /// The user name for the carrier's digest challenges.
    pub username: String,
    /// The carrier secret (never logged: see the `Debug` impl).
    pub password: String,
    /// The caller id presented on calls out, when set.
    pub callerid: Option<String>,
}

impl std::fmt::Debug for TrunkEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrunkEntry")
            .field("name", &self.name)
            .field("tenant", &self.tenant)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// A host name's addresses as last resolved.
struct Resolution {
    at: Instant,
    addresses: Vec<IpAddr>,
}

/// The active trunks and their addresses; cheap to clone.
#[derive(Clone)]
pub struct Trunks {
    store: Store,
    active: Arc<ConfigCache<Arc<Vec<TrunkEntry>>>>,
    resolved: Arc<Mutex<HashMap<String, Resolution>>>,
}

/// How long the list of trunks may miss a change made by another node.
const CACHE_TTL: Duration = Duration::from_secs(2);

const TRUNK_COLUMNS: &[Column<'static>] = &[
    Column::text("pkey"),
    Column::text("cluster"),
    Column::text("host"),
    Column::text("username"),
    Column::text("password"),
    Column::text("callerid"),
    Column::text("technology"),
];

impl Trunks {
    /// The trunk directory over `store`.
    pub fn new(store: Store) -> Trunks {
        Trunks {
            active: Arc::new(ConfigCache::new(store.clone(), CACHE_TTL, 1)),
            resolved: Arc::new(Mutex::new(HashMap::new())),
            store,
        }
    }

    /// Every active SIP trunk whose host can be read.
    pub async fn active(&self) -> sb_store::Result<Arc<Vec<TrunkEntry>>> {
        self.active.get_or_load("active", || self.read_active()).await
    }

    async fn read_active(&self) -> sb_store::Result<Arc<Vec<TrunkEntry>>> {
        let mut conn = self.store.read().await?;
        let filter = [("active", Value::from("YES"))];
        let found = rows::select(&mut conn, "trunks", TRUNK_COLUMNS, &filter, &["pkey"], Page::default()).await?;
        let trunks = found
            .into_iter()
            .filter_map(|row| {
                let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).filter(|t| !t.is_empty());
                // IAX2 trunks are not SIP peers: nothing of this layer applies to them.
                if text(6).is_some_and(|t| t.eq_ignore_ascii_case("IAX2")) {
                    return None;
                }
                let name = text(0)?;
                let Some(host) = text(2).as_deref().and_then(TrunkHost::parse) else {
                    tracing::warn!(trunk = %name, "the trunk's host cannot be read; the trunk is left out");
                    return None;
                };
                Some(TrunkEntry {
                    name,
                    tenant: text(1).unwrap_or_default(),
                    host,
                    username: text(3).unwrap_or_default(),
                    password: text(4).unwrap_or_default(),
                    callerid: text(5),
                })
            })
            .collect();
        Ok(Arc::new(trunks))
    }

    /// The active trunk named `name`.
    pub async fn named(&self, name: &str) -> sb_store::Result<Option<TrunkEntry>> {
        Ok(self.active().await?.iter().find(|t| t.name == name).cloned())
    }

    /// The active trunk a request from `source` comes from, if any (the first by name when
    /// several share the address).
    pub async fn identify(&self, source: SocketAddr) -> sb_store::Result<Option<TrunkEntry>> {
        for trunk in self.active().await?.iter() {
            let addresses = self.addresses(&trunk.host).await;
            if trunk.host.is_source(&addresses, source) {
                return Ok(Some(trunk.clone()));
            }
        }
        Ok(None)
    }

    /// Where to send requests for `trunk`: its first address, on its port or 5060.
    pub async fn target(&self, trunk: &TrunkEntry) -> Option<SocketAddr> {
        let ip = *self.addresses(&trunk.host).await.first()?;
        Some(SocketAddr::new(ip, trunk.host.port.unwrap_or(DEFAULT_SIP_PORT)))
    }

    /// The addresses of `host`: itself for an IP literal, else the resolver's answer, kept
    /// for a while (a failure too, for less time).
    async fn addresses(&self, host: &TrunkHost) -> Vec<IpAddr> {
        if let Ok(ip) = host.name.parse::<IpAddr>() {
            return vec![ip];
        }
        if let Some(known) = self.cached(&host.name) {
            return known;
        }
        let lookup = tokio::net::lookup_host((host.name.as_str(), host.port.unwrap_or(DEFAULT_SIP_PORT)));
        let addresses: Vec<IpAddr> = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
            Ok(Err(e)) => {
                tracing::warn!(host = %host.name, error = %e, "a trunk's host does not resolve");
                Vec::new()
            }
            Err(_) => {
                tracing::warn!(host = %host.name, "resolving a trunk's host timed out");
                Vec::new()
            }
        };
        let mut resolved = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        resolved.insert(host.name.clone(), Resolution { at: Instant::now(), addresses: addresses.clone() });
        addresses
    }

    fn cached(&self, name: &str) -> Option<Vec<IpAddr>> {
        let resolved = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        let entry = resolved.get(name)?;
        let ttl = if entry.addresses.is_empty() { UNRESOLVED_TTL } else { RESOLVED_TTL };
        (entry.at.elapsed() < ttl).then(|| entry.addresses.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_read_names_addresses_and_ports() {
        assert_eq!(
            TrunkHost::parse("sip.carrier.example"),
            Some(TrunkHost { name: "sip.carrier.example".into(), port: None })
        );
        assert_eq!(TrunkHost::parse("127.0.0.2:5080"), Some(TrunkHost { name: "127.0.0.2".into(), port: Some(5080) }));
        assert_eq!(
            TrunkHost::parse("[2001:db8::1]:5062"),
            Some(TrunkHost { name: "2001:db8::1".into(), port: Some(5062) })
        );
        assert_eq!(TrunkHost::parse("[2001:db8::1]").map(|h| h.uri_host()), Some("[2001:db8::1]".into()));
        assert_eq!(TrunkHost::parse("10.0.0.1:5080").map(|h| h.uri_host()), Some("10.0.0.1:5080".into()));
        for bad in ["", ":5060", "host:0", "host:99999", "host:x", "[::1", "a b"] {
            assert_eq!(TrunkHost::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_source_matches_by_address_and_by_port_only_when_the_host_names_one() {
        let any_port = TrunkHost::parse("127.0.0.2").unwrap();
        let one_port = TrunkHost::parse("127.0.0.2:5080").unwrap();
        let addresses = ["127.0.0.2".parse().unwrap()];
        let from = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(any_port.is_source(&addresses, from("127.0.0.2:40000")));
        assert!(!any_port.is_source(&addresses, from("127.0.0.1:40000")));
        assert!(one_port.is_source(&addresses, from("127.0.0.2:5080")));
        assert!(!one_port.is_source(&addresses, from("127.0.0.2:5060")));
        assert!(any_port.is_source(&addresses, from("[::ffff:127.0.0.2]:5060")), "v4-mapped sources match");
        assert!(!any_port.is_source(&[], from("127.0.0.2:5060")), "an unresolved host matches nothing");
    }
}
