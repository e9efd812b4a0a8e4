//! The outbox writer: reads the bus's reliable queue and stores, for each webhook event,
//! one pending delivery per active webhook of the call's tenant that wants it. Events are
//! written in batches (whatever queued up while the last batch was written), each batch in
//! one transaction, so a burst of calls costs a few commits, not one per event and webhook.
//! A batch the store refuses is kept and written again: the queue never loses an event
//! while the process lives, and on shutdown whatever is queued is written before exit.

use super::metrics::WebhookMetrics;
use super::payload::{self, new_event_id};
use sb_core::config_cache::ConfigCache;
use sb_core::events::ChannelEvent;
use sb_store::{NewDelivery, Store, WebhookTarget};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};

/// The most events written in one transaction.
const BATCH: usize = 512;

/// How long the list of webhooks is trusted without a configuration write in this process
/// (writes by other nodes sharing the store are seen after this).
const TARGETS_TTL: Duration = Duration::from_secs(5);

/// How long to wait before writing a refused batch again.
const STORE_RETRY: Duration = Duration::from_millis(500);

/// How many times a refused batch is tried again at shutdown before it is given up.
const SHUTDOWN_TRIES: u32 = 5;

/// Writes the bus's events to the outbox until told to stop, then drains the queue.
pub(super) struct OutboxWriter {
    pub store: Store,
    pub events: mpsc::UnboundedReceiver<Arc<ChannelEvent>>,
    /// Woken after each batch, so the sender looks at once.
    pub written: Arc<Notify>,
    pub metrics: Arc<WebhookMetrics>,
    pub targets: ConfigCache<Arc<Vec<WebhookTarget>>>,
}

impl OutboxWriter {
    /// A writer of `events` into `store`'s outbox.
    pub fn new(
        store: Store,
        events: mpsc::UnboundedReceiver<Arc<ChannelEvent>>,
        written: Arc<Notify>,
        metrics: Arc<WebhookMetrics>,
    ) -> OutboxWriter {
        let targets = ConfigCache::new(store.clone(), TARGETS_TTL, 1);
        OutboxWriter { store, events, written, metrics, targets }
    }

    /// Runs until `stop` turns true, then writes what is still queued and returns.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut batch: Vec<Arc<ChannelEvent>> = Vec::new();
        loop {
            if batch.is_empty() {
                tokio::select! {
                    event = self.events.recv() => match event {
                        Some(event) => batch.push(event),
                        None => return,
                    },
                    _ = stop.wait_for(|stopping| *stopping) => break,
                }
            }
            while batch.len() < BATCH {
                match self.events.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            match self.write(&batch).await {
                Ok(()) => batch.clear(),
                Err(e) => {
                    tracing::error!(error = %e, events = batch.len(), "could not write webhook events to the outbox; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(STORE_RETRY) => {}
                        _ = stop.wait_for(|stopping| *stopping) => break,
                    }
                }
            }
        }
        self.drain(batch).await;
    }

    /// Writes `pending` and everything still queued, trying a few times.
    async fn drain(&mut self, mut pending: Vec<Arc<ChannelEvent>>) {
        while let Ok(event) = self.events.try_recv() {
            pending.push(event);
        }
        for chunk in pending.chunks(BATCH) {
            let mut tries = 0;
            while let Err(e) = self.write(chunk).await {
                tries += 1;
                if tries >= SHUTDOWN_TRIES {
                    tracing::error!(error = %e, events = chunk.len(), "webhook events lost at shutdown: the store refused them");
                    break;
                }
                tokio::time::sleep(STORE_RETRY).await;
            }
        }
        if !pending.is_empty() {
            tracing::info!(events = pending.len(), "webhook events written to the outbox at shutdown");
        }
    }

    /// Stores one delivery per event and matching webhook, in one transaction.
    async fn write(&self, events: &[Arc<ChannelEvent>]) -> sb_store::Result<()> {
        let store = self.store.clone();
        let targets = self
            .targets
            .get_or_load("active", || async move {
                let mut conn = store.read().await?;
                Ok(Arc::new(sb_store::webhooks::active_webhooks(&mut conn).await?))
            })
            .await?;
        let deliveries = deliveries_for(events, &targets);
        if deliveries.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.write_records().await?;
        for delivery in &deliveries {
            tx.enqueue_delivery(delivery).await?;
        }
        tx.commit().await?;
        self.metrics.enqueued.fetch_add(deliveries.len() as u64, Ordering::Relaxed);
        self.written.notify_one();
        Ok(())
    }
}

/// The deliveries `events` make for `targets`: each webhook event once per active webhook
/// of its tenant whose filter names it (or is empty), with one event id for all of them.
pub(super) fn deliveries_for(events: &[Arc<ChannelEvent>], targets: &[WebhookTarget]) -> Vec<NewDelivery> {
    let mut out = Vec::new();
    for event in events {
        let wanted: Vec<&WebhookTarget> = targets.iter().filter(|t| t.cluster == event.tenant).collect();
        if wanted.is_empty() {
            continue;
        }
        let id = new_event_id();
        let Some((name, body)) = payload::payload(event, &id) else { continue };
        let body = body.to_string();
        let created_at = sb_store::time_text(event.at);
        for target in wanted.into_iter().filter(|t| t.events.is_empty() || t.events.iter().any(|e| e == name.as_str()))
        {
            out.push(NewDelivery {
                event_id: id.clone(),
                webhook_id: target.id,
                cluster: event.tenant.clone(),
                event: name.as_str().to_owned(),
                call_id: event.call_id.clone(),
                call_seq: i64::from(event.call_seq),
                payload: body.clone(),
                created_at: created_at.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::events::{ChannelEventKind, ChannelSnapshot, ChannelState};

    fn event(tenant: &str, call_seq: u32, kind: ChannelEventKind) -> Arc<ChannelEvent> {
        Arc::new(ChannelEvent {
            seq: u64::from(call_seq),
            call_id: format!("call-{tenant}"),
            call_seq,
            tenant: tenant.into(),
            at: time::OffsetDateTime::now_utc(),
            channel: ChannelSnapshot {
                name: "PJSIP/1001-00000001".into(),
                state: ChannelState::Ring,
                caller_number: "1001".into(),
                caller_name: String::new(),
                exten: "1002".into(),
            },
            kind,
        })
    }

    fn target(id: i64, cluster: &str, events: &[&str]) -> WebhookTarget {
        WebhookTarget { id, cluster: cluster.into(), events: events.iter().map(|e| (*e).to_owned()).collect() }
    }

    #[test]
    fn each_event_goes_to_its_tenants_webhooks_that_want_it_with_one_id() {
        let targets = [target(1, "default", &[]), target(2, "default", &["Hangup"]), target(3, "acme", &[])];
        let events = [
            event("default", 1, ChannelEventKind::Created),
            event("default", 2, ChannelEventKind::StateChanged),
            event("default", 3, ChannelEventKind::HungUp { cause: 16 }),
            event("other", 1, ChannelEventKind::Created),
        ];
        let out = deliveries_for(&events, &targets);
        let summary: Vec<(i64, &str, i64)> = out.iter().map(|d| (d.webhook_id, d.event.as_str(), d.call_seq)).collect();
        assert_eq!(summary, [(1, "Newchannel", 1), (1, "Hangup", 3), (2, "Hangup", 3)]);
        assert_eq!(out[1].event_id, out[2].event_id, "one event, one id, whatever the webhook");
        assert_ne!(out[0].event_id, out[1].event_id);
        let body: serde_json::Value = serde_json::from_str(&out[1].payload).expect("JSON");
        assert_eq!(body["id"], out[1].event_id.as_str());
        assert_eq!(body["linkedid"], "call-default");
        assert!(out.iter().all(|d| d.cluster == "default" && d.call_id == "call-default"));
    }

    #[test]
    fn no_webhooks_no_deliveries() {
        assert!(deliveries_for(&[event("default", 1, ChannelEventKind::Created)], &[]).is_empty());
    }
}
