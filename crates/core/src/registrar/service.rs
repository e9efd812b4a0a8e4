//! The registrar service: the binding table in memory for lookups on every call, written
//! through to the store after each change so a restart keeps the registrations.

use super::{Binding, Bindings, RegisterError, RegisterPolicy, RegisterRequest};
use sb_store::StoredBinding;
use sb_store::Store;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// Why a REGISTER was not applied.
#[derive(Debug, Error)]
pub enum RegistrarError {
    /// The binding rules refused it (423, 400, 500 per [`RegisterError::status`]).
    #[error(transparent)]
    Refused(#[from] RegisterError),
    /// The store could not record it; nothing changed.
    #[error("store: {0}")]
    Store(#[from] sb_store::Error),
}

/// The location service.
pub struct Registrar {
    bindings: Mutex<Bindings>,
    store: Store,
}

/// Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn stored(aor: &str, b: &Binding) -> StoredBinding {
    StoredBinding {
        aor: aor.to_owned(),
        contact: b.uri.clone(),
        expires_at: i64::try_from(b.expires_at).unwrap_or(i64::MAX),
        call_id: b.call_id.clone(),
        cseq: i64::from(b.cseq),
        source: b.source.to_string(),
        transport: b.transport.clone(),
        user_agent: b.user_agent.clone(),
    }
}

impl Registrar {
    /// The registrar with every stored binding that has not lapsed.
    pub async fn load(store: Store, policy: RegisterPolicy) -> Result<Registrar, sb_store::Error> {
        let mut bindings = Bindings::new(policy);
        let now = unix_now();
        let rows = store.read().await?.bindings().await?;
        for row in rows {
            let (Ok(expires_at), Ok(cseq), Ok(source)) = (u64::try_from(row.expires_at), u32::try_from(row.cseq), row.source.parse()) else { continue };
            if expires_at <= now {
                continue;
            }
            let binding = Binding { uri: row.contact, expires_at, call_id: row.call_id, cseq, source, transport: row.transport, user_agent: row.user_agent };
            bindings.restore(&row.aor, binding);
        }
        Ok(Registrar { bindings: Mutex::new(bindings), store })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Bindings> {
        self.bindings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies an authenticated REGISTER; answers the bindings of its extension afterwards.
    /// The change is in memory and in the store, or in neither.
    pub async fn register(&self, request: &RegisterRequest) -> Result<Vec<Binding>, RegistrarError> {
        let now = unix_now();
        let (before, after) = {
            let mut table = self.table();
            let before = table.contacts(&request.aor, now);
            let after = table.register(request, now)?;
            (before, after)
        };
        if before == after {
            return Ok(after); // a query, or nothing to write
        }
        match self.persist(&request.aor).await {
            Ok(()) => Ok(after),
            Err(e) => {
                self.table().replace(&request.aor, before);
                Err(e.into())
            }
        }
    }

    /// Writes the current bindings of `aor`, read once the write transaction is open so the
    /// last writer always writes the newest set.
    async fn persist(&self, aor: &str) -> Result<(), sb_store::Error> {
        let mut tx = self.store.write_records().await?;
        let rows: Vec<StoredBinding> = self.table().contacts(aor, unix_now()).iter().map(|b| stored(aor, b)).collect();
        tx.replace_bindings(aor, &rows).await?;
        tx.commit().await
    }

    /// The live contacts of extension `aor`.
    pub fn contacts(&self, aor: &str) -> Vec<Binding> {
        self.table().contacts(aor, unix_now())
    }

    /// How many bindings are live.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no binding is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops lapsed bindings from memory and the store.
    pub async fn expire(&self) {
        let gone = self.table().expire(unix_now());
        let mut aors: Vec<String> = gone.into_iter().map(|(aor, _)| aor).collect();
        aors.sort();
        aors.dedup();
        for aor in aors {
            tracing::debug!(%aor, "registration lapsed");
            if let Err(e) = self.persist(&aor).await {
                tracing::warn!(%aor, error = %e, "could not remove lapsed bindings from the store");
            }
        }
    }
}
