//! Switchboard's store: the one place that talks SQL.
//!
//! It owns the connection pool (SQLite by default, PostgreSQL for several nodes), the
//! embedded schema migrations, and generic row operations over tables whose columns are
//! named by the caller (the provisioning catalogue in `sb-core`). Every write happens in a
//! [`WriteTx`], so a request either commits whole or leaves nothing behind.

mod audit;
mod backend;
mod cdrs;
mod error;
mod keys;
pub mod mailboxes;
mod migrate;
mod registrations;
pub mod rows;
pub mod webhooks;

pub use audit::{AuditEntry, AuditQuery};
pub use backend::Backend;
pub use cdrs::{CdrRow, NewCdr};
pub use error::{Error, Result};
pub use keys::{ApiKeyRecord, NewApiKey};
pub use mailboxes::Mailbox;
pub use registrations::StoredBinding;
pub use rows::{Column, ColumnType, Filter, Page, Record, Value};
pub use webhooks::{
    AttemptOutcome, AttemptRecord, DeliveryQuery, DeliveryRow, DeliveryState, DueDelivery, NewDelivery, WebhookTarget,
};

use sqlx::any::{AnyPoolOptions, AnyConnectOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer: serialising writers here avoids SQLITE_BUSY on
    /// lock upgrades. PostgreSQL needs no such gate.
    write_gate: Option<Arc<Mutex<()>>>,
    /// Counts committed configuration writes ([`Store::write`]), so that caches of
    /// configuration know when to read again.
    generation: Arc<AtomicU64>,
}

impl Store {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| Error::Config(format!("bad database URL: {e}")))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool = AnyPoolOptions::new()
            .max_connections(backend.pool_size())
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        migrate::run(&pool, backend).await?;
        let write_gate = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store { pool, backend, write_gate, generation: Arc::new(AtomicU64::new(0)) })
    }

    /// Which database engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a read-only view (a plain pooled connection; each statement sees committed data).
    pub async fn read(&self) -> Result<ReadTx> {
        Ok(ReadTx { conn: self.pool.acquire().await?, backend: self.backend })
    }

    /// Starts a write transaction of configuration; nothing is visible to others until
    /// [`WriteTx::commit`], which also moves [`Store::generation`] on.
    pub async fn write(&self) -> Result<WriteTx> {
        self.begin(Some(Arc::clone(&self.generation))).await
    }

    /// Starts a write transaction of runtime records (CDRs, registrations): like
    /// [`Store::write`], but configuration caches stay valid.
    pub async fn write_records(&self) -> Result<WriteTx> {
        self.begin(None).await
    }

    async fn begin(&self, generation: Option<Arc<AtomicU64>>) -> Result<WriteTx> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, backend: self.backend, _gate: gate, generation })
    }

    /// How many configuration writes this process has committed: a cache of configuration
    /// loaded at one generation is stale at another. Writes by other nodes sharing the
    /// database are not counted, so such caches also expire with time.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Answers whether the database is reachable (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A pooled connection for reads.
pub struct ReadTx {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    backend: Backend,
}

/// One write transaction. Dropping it without [`commit`](WriteTx::commit) rolls back.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    _gate: Option<OwnedMutexGuard<()>>,
    /// The store's configuration generation, moved on at commit (configuration writes only).
    generation: Option<Arc<AtomicU64>>,
}

impl WriteTx {
    /// Makes every change of this transaction durable and visible.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        if let Some(generation) = &self.generation {
            generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }
}

/// Both kinds of handle can run the generic row operations.
pub trait Conn: Send {
    #[doc(hidden)]
    fn parts(&mut self) -> (&mut sqlx::AnyConnection, Backend);
}

impl Conn for ReadTx {
    fn parts(&mut self) -> (&mut sqlx::AnyConnection, Backend) {
        (&mut self.conn, self.backend)
    }
}

impl Conn for WriteTx {
    fn parts(&mut self) -> (&mut sqlx::AnyConnection, Backend) {
        (&mut self.tx, self.backend)
    }
}

/// The current time as the store records it (RFC 3339, UTC, milliseconds).
pub fn now_text() -> String {
    time_text(time::OffsetDateTime::now_utc())
}

/// A time as the store records it: RFC 3339 in UTC with milliseconds, e.g.
/// `2026-11-23T10:00:00.123Z`, so that text order is time order.
pub fn time_text(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}
