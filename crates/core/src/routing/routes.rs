//! Inbound and outbound routes as the call layer reads them: which inbound route a DDI (or
//! a caller id) selects in a tenant, and which outbound route, with its trunks in hunt
//! order, takes a number an extension dials. Read through [`ConfigCache`]s, per tenant.

use super::dial_pattern::{any_matches, DialPattern};
use crate::config_cache::ConfigCache;
use sb_store::rows::{self, Column, Page};
use sb_store::{Store, Value};
use std::sync::Arc;
use std::time::Duration;

/// How an inbound route picks its calls (SARK's `carrier` of an inbound route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundKind {
    /// `DiD`: the number called is the route's `pkey`.
    Ddi,
    /// `CLID`: the caller's number matches the route's `pkey` (a number or a dial pattern).
    CallerId,
}

/// An active inbound route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRoute {
    /// The DDI or caller id pattern (`pkey`).
    pub key: String,
    /// How it picks calls.
    pub kind: InboundKind,
    /// Where its calls go while open (`openroute`), if set.
    pub open: Option<String>,
}

/// An active outbound route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRoute {
    /// The route's name.
    pub name: String,
    /// Its dial patterns, space separated.
    pub dialplan: String,
    /// The trunks it tries, `path1` first.
    pub paths: Vec<String>,
}

/// The routes of each tenant; cheap to clone.
#[derive(Clone)]
pub struct Routes {
    store: Store,
    inbound: Arc<ConfigCache<Arc<Vec<InboundRoute>>>>,
    outbound: Arc<ConfigCache<Arc<Vec<OutboundRoute>>>>,
}

/// How long a tenant's routes may miss a change made by another node.
const CACHE_TTL: Duration = Duration::from_secs(2);
/// The most tenants whose routes are kept.
const CACHE_CAPACITY: usize = 1_000;

impl Routes {
    /// The routes in `store`.
    pub fn new(store: Store) -> Routes {
        Routes {
            inbound: Arc::new(ConfigCache::new(store.clone(), CACHE_TTL, CACHE_CAPACITY)),
            outbound: Arc::new(ConfigCache::new(store.clone(), CACHE_TTL, CACHE_CAPACITY)),
            store,
        }
    }

    /// The inbound route of `tenant` for a call to `ddi` from `caller`: a DDI route whose
    /// key is the number called (also tried without a leading `+`), else the first CLID
    /// route whose key matches the caller.
    pub async fn inbound(&self, tenant: &str, ddi: &str, caller: &str) -> sb_store::Result<Option<InboundRoute>> {
        let routes = self.inbound.get_or_load(tenant, || self.read_inbound(tenant)).await?;
        let numbers = [Some(ddi), ddi.strip_prefix('+')];
        let by_ddi = routes.iter().find(|r| r.kind == InboundKind::Ddi && numbers.contains(&Some(r.key.as_str())));
        let by_caller = || {
            routes.iter().find(|r| {
                r.kind == InboundKind::CallerId && DialPattern::parse(&r.key).is_some_and(|p| p.matches(caller))
            })
        };
        Ok(by_ddi.or_else(by_caller).cloned())
    }

    async fn read_inbound(&self, tenant: &str) -> sb_store::Result<Arc<Vec<InboundRoute>>> {
        let mut conn = self.store.read().await?;
        let columns = [Column::text("pkey"), Column::text("carrier"), Column::text("openroute")];
        let filter = [("cluster", Value::from(tenant)), ("active", Value::from("YES"))];
        let found = rows::select(&mut conn, "inboundroutes", &columns, &filter, &["pkey"], Page::default()).await?;
        let routes = found
            .into_iter()
            .filter_map(|row| {
                let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).filter(|t| !t.is_empty());
                let kind = match text(1)?.as_str() {
                    "CLID" => InboundKind::CallerId,
                    _ => InboundKind::Ddi,
                };
                Some(InboundRoute { key: text(0)?, kind, open: text(2) })
            })
            .collect();
        Ok(Arc::new(routes))
    }

    /// The first active outbound route of `tenant` (by name) one of whose patterns matches
    /// `number`.
    pub async fn outbound(&self, tenant: &str, number: &str) -> sb_store::Result<Option<OutboundRoute>> {
        let routes = self.outbound.get_or_load(tenant, || self.read_outbound(tenant)).await?;
        Ok(routes.iter().find(|r| any_matches(&r.dialplan, number)).cloned())
    }

    async fn read_outbound(&self, tenant: &str) -> sb_store::Result<Arc<Vec<OutboundRoute>>> {
        let mut conn = self.store.read().await?;
        let columns = [Column::text("pkey"), Column::text("dialplan")];
        let filter = [("cluster", Value::from(tenant)), ("active", Value::from("YES"))];
        let found = rows::select(&mut conn, "routes", &columns, &filter, &["pkey"], Page::default()).await?;
        let mut routes = Vec::with_capacity(found.len());
        for row in found {
            let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).unwrap_or_default();
            let name = text(0);
            let path_columns = [Column::text("path")];
            let parent = [("parent", Value::from(name.as_str()))];
            let paths =
                rows::select(&mut conn, "route_paths", &path_columns, &parent, &["slot"], Page::default()).await?;
            let paths = paths.into_iter().filter_map(|p| p.into_iter().next().and_then(|(_, v)| v.as_text())).collect();
            routes.push(OutboundRoute { name, dialplan: text(1), paths });
        }
        Ok(Arc::new(routes))
    }
}
