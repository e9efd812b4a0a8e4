//! Webhook delivery figures for `/metrics`: counters kept as the outbox writer and the
//! sender work, and the backlog read from the outbox (shared by every node of a store).

use sb_core::metrics::Exposition;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters since this process started.
#[derive(Debug, Default)]
pub struct WebhookMetrics {
    /// Deliveries written to the outbox (one per event and matching webhook).
    pub enqueued: AtomicU64,
    /// Deliveries a receiver accepted (2xx).
    pub delivered: AtomicU64,
    /// Attempts that failed (connection, TLS, timeout, non-2xx, refused address).
    pub failed_attempts: AtomicU64,
    /// Deliveries given up on.
    pub dead: AtomicU64,
}

impl WebhookMetrics {
    /// Adds these figures, with `pending` (the outbox backlog, if it could be read), to `out`.
    pub fn expose(&self, out: &mut Exposition, pending: Option<i64>) {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.counter(
            "switchboard_webhook_deliveries_enqueued_total",
            "Webhook deliveries written to the outbox",
            read(&self.enqueued),
        )
        .counter(
            "switchboard_webhook_deliveries_delivered_total",
            "Webhook deliveries accepted by their receiver",
            read(&self.delivered),
        )
        .counter(
            "switchboard_webhook_attempts_failed_total",
            "Webhook delivery attempts that failed",
            read(&self.failed_attempts),
        )
        .counter(
            "switchboard_webhook_deliveries_dead_total",
            "Webhook deliveries given up on",
            read(&self.dead),
        );
        if let Some(pending) = pending {
            out.gauge("switchboard_webhook_deliveries_pending", "Webhook deliveries waiting in the outbox", pending);
        }
    }
}
