//! The directory: what the call layer needs to know about extensions, read from the store
//! (the store is the truth for configuration, so API changes apply to the next call) through
//! a [`ConfigCache`], so that a call costs no query once its extensions are known.

use crate::config_cache::ConfigCache;
use sb_store::rows::{self, Column};
use sb_store::{Page, Store, Value};
use std::sync::Arc;
use std::time::Duration;

/// An extension as the SIP side sees it.
#[derive(Clone)]
pub struct ExtensionEntry {
    /// The extension number (also the SIP user name).
    pub number: String,
    /// Its tenant.
    pub tenant: String,
    /// The name shown to callees.
    pub display: Option<String>,
    /// `active` is YES.
    pub active: bool,
    /// The SIP password (never logged: see the `Debug` impl).
    pub password: String,
}

impl std::fmt::Debug for ExtensionEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtensionEntry").field("number", &self.number).field("tenant", &self.tenant).field("active", &self.active).finish_non_exhaustive()
    }
}

/// Reads extensions and their call settings from the store; cheap to clone.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    extensions: Arc<ConfigCache<Option<ExtensionEntry>>>,
    ring_settings: Arc<ConfigCache<Option<u64>>>,
}

/// How long a cached entry may miss a change made by another node sharing the database.
const CACHE_TTL: Duration = Duration::from_secs(2);
/// The most entries of each cache.
const CACHE_CAPACITY: usize = 20_000;

const EXTENSION_COLUMNS: &[Column<'static>] =
    &[Column::text("pkey"), Column::text("cluster"), Column::text("desc"), Column::text("active"), Column::text("passwd")];

/// How long an extension rings when neither it nor the globals say (SARK's INTRINGDELAY).
const DEFAULT_RING: Duration = Duration::from_secs(20);

impl Directory {
    /// A directory over `store`.
    pub fn new(store: Store) -> Directory {
        Directory {
            extensions: Arc::new(ConfigCache::new(store.clone(), CACHE_TTL, CACHE_CAPACITY)),
            ring_settings: Arc::new(ConfigCache::new(store.clone(), CACHE_TTL, CACHE_CAPACITY)),
            store,
        }
    }

    /// The extension `number`, if it exists.
    pub async fn extension(&self, number: &str) -> sb_store::Result<Option<ExtensionEntry>> {
        // Numbers are digits (the catalogue's rule); anything else cannot be one.
        if number.is_empty() || number.len() > 10 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        self.extensions.get_or_load(number, || self.read_extension(number)).await
    }

    /// The numbers of every active extension, with their tenants, sorted by number; read
    /// from the store each time (a listing, not a call's lookup).
    pub async fn active_extensions(&self) -> sb_store::Result<Vec<(String, String)>> {
        let mut conn = self.store.read().await?;
        let columns = [Column::text("pkey"), Column::text("cluster"), Column::text("active")];
        let rows = rows::select(&mut conn, "extensions", &columns, &[], &["pkey"], Page::default()).await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text());
                let active = text(2).is_none_or(|a| a.eq_ignore_ascii_case("YES"));
                Some((text(0)?, text(1).unwrap_or_default())).filter(|_| active)
            })
            .collect())
    }

    async fn read_extension(&self, number: &str) -> sb_store::Result<Option<ExtensionEntry>> {
        let mut conn = self.store.read().await?;
        let Some(row) = rows::select_one(&mut conn, "extensions", EXTENSION_COLUMNS, &[("pkey", Value::from(number))]).await? else {
            return Ok(None);
        };
        let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text());
        Ok(Some(ExtensionEntry {
            number: text(0).unwrap_or_default(),
            tenant: text(1).unwrap_or_default(),
            display: text(2).filter(|d| !d.is_empty()),
            active: text(3).is_none_or(|a| a.eq_ignore_ascii_case("YES")),
            password: text(4).unwrap_or_default(),
        }))
    }

    /// How long to ring `number` before giving up: its runtime `ringdelay`, else the
    /// global `INTRINGDELAY`, else 20 s.
    pub async fn ring_timeout(&self, number: &str) -> Duration {
        match self.ring_settings.get_or_load(number, || self.ring_setting(number)).await {
            Ok(Some(secs)) if secs > 0 => Duration::from_secs(secs),
            Ok(_) => DEFAULT_RING,
            Err(e) => {
                tracing::warn!(error = %e, "reading the ring delay failed; using the default");
                DEFAULT_RING
            }
        }
    }

    async fn ring_setting(&self, number: &str) -> sb_store::Result<Option<u64>> {
        let mut conn = self.store.read().await?;
        let own = rows::select_one(&mut conn, "extension_runtime", &[Column::int("ringdelay")], &[("pkey", Value::from(number))]).await?;
        if let Some(Value::Int(secs)) = own.as_ref().and_then(|row| row.first()).map(|(_, v)| v) {
            return Ok(u64::try_from(*secs).ok());
        }
        let global = rows::select_one(&mut conn, "sysglobals", &[Column::text("value")], &[("name", Value::from("INTRINGDELAY"))]).await?;
        Ok(global.and_then(|row| row.first().and_then(|(_, v)| v.as_text())).and_then(|v| v.trim().parse().ok()))
    }
}
