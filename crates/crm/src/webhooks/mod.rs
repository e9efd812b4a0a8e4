//! Reliable call-event webhooks: salara's `dest_url_event`, made durable and safe.
//!
//! The core publishes channel events once on its bus. The [`outbox`] writer reads them from
//! a reliable (never-dropping) subscription and stores one delivery per event and matching
//! webhook in the store's outbox, in one transaction per batch. The [`sender`] POSTs due
//! deliveries, signed ([`signature`]), in order per call and webhook, retrying on the
//! [`retry`] schedule, only to addresses the [`address_policy`] allows (checked when the
//! connection is made, through the [`guarded_resolver`]). Deliveries are at least once: a
//! receiver may see an event twice and must use its `id` to tell.
//!
//! - [`payload`]: the JSON a receiver gets (salara's fields plus `id` and `timestamp`).
//! - [`retention`]: settled deliveries are deleted after `WebhookConfig::retention`.
//! - [`metrics`]: figures for `/metrics`.

pub mod address_policy;
pub mod guarded_resolver;
pub mod metrics;
mod outbox;
pub mod payload;
mod retention;
pub mod retry;
mod sender;
pub mod signature;

use address_policy::AddressPolicy;
use metrics::WebhookMetrics;
use retry::RetryPolicy;
use sb_core::events::EventBus;
use sb_core::metrics::Exposition;
use sb_store::{DeliveryState, Store};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// How webhooks are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Which target addresses are allowed.
    pub addresses: AddressPolicy,
    /// When failed deliveries are tried again, and for how long.
    pub retry: RetryPolicy,
    /// The longest wait for a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// The longest a whole request may take.
    pub timeout: Duration,
    /// The most requests in flight at once (each to a different call or webhook).
    pub concurrency: usize,
    /// How long delivered and dead deliveries stay visible in the outbox.
    pub retention: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            addresses: AddressPolicy::default(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            concurrency: 16,
            retention: Duration::from_secs(7 * 86_400),
        }
    }
}

/// Why webhooks could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The HTTP client could not be built (TLS roots, resolver).
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The running webhook service: the outbox writer and the sender.
pub struct Webhooks {
    store: Store,
    metrics: Arc<WebhookMetrics>,
    stop: watch::Sender<bool>,
    /// The sender's, the writer's and the pruner's tasks, until [`Webhooks::shutdown`] takes them.
    tasks: Mutex<Option<[JoinHandle<()>; 3]>>,
}

impl Webhooks {
    /// Subscribes to `bus` (reliably: from now on no event is missed) and starts writing its
    /// events to `store`'s outbox and delivering them with `config`.
    pub fn start(store: Store, bus: &EventBus, config: WebhookConfig) -> Result<Webhooks, WebhookError> {
        let metrics = Arc::new(WebhookMetrics::default());
        let written = Arc::new(Notify::new());
        let sender = sender::Sender::new(store.clone(), config, Arc::clone(&metrics), Arc::clone(&written))?;
        let writer = outbox::OutboxWriter::new(store.clone(), bus.subscribe_reliable(), written, Arc::clone(&metrics));
        let (stop, stopped) = watch::channel(false);
        let writer = tokio::spawn(writer.run(stopped.clone()));
        let pruner = tokio::spawn(retention::run(store.clone(), config.retention, stopped.clone()));
        let sender = tokio::spawn(Arc::new(sender).run(stopped));
        Ok(Webhooks { store, metrics, stop, tasks: Mutex::new(Some([sender, writer, pruner])) })
    }

    /// The webhook figures in Prometheus text (the backlog is read from the outbox).
    pub async fn metrics_text(&self) -> String {
        let pending = match self.store.read().await {
            Ok(mut conn) => sb_store::webhooks::count_deliveries(&mut conn, DeliveryState::Pending).await.ok(),
            Err(_) => None,
        };
        let mut out = Exposition::default();
        self.metrics.expose(&mut out, pending);
        out.finish()
    }

    /// Stops: the requests in flight finish and are recorded, and every event published so
    /// far is written to the outbox, to be delivered after the next start. Later calls
    /// return at once.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).take();
        // The sender first: its last attempts are recorded before the writer's final batch.
        for task in tasks.into_iter().flatten() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a webhook task failed");
            }
        }
    }
}
