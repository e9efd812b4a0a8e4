//! The sender: takes due deliveries from the outbox, POSTs them, and records each attempt.
//!
//! A delivery is due when it is pending, its time has come, and it is the oldest pending
//! event of its call for its webhook (the store's query), so a call's events reach a
//! webhook in order: event n+1 is not sent before n is delivered (or dead). Before sending,
//! a delivery is leased in the store (its due time moved past the request's timeout), so a
//! second sender (another node, or this one after a crash) cannot send it at the same time
//! and takes it again only if this one never recorded the attempt. Deliveries of different
//! calls or webhooks go out in parallel, up to `concurrency`.
//!
//! Each request: `POST` the stored JSON, `Content-Type: application/json`, with
//! `X-Switchboard-Event-Id`, `X-Switchboard-Timestamp` (Unix seconds), `X-Switchboard-Attempt`
//! and `X-Switchboard-Signature` (see [`super::signature`]); certificates verified, no
//! redirects followed, no proxies, connect and overall timeouts. A 2xx delivers; anything
//! else is retried on the [`RetryPolicy`](super::retry::RetryPolicy) schedule.

use super::address_policy::AddressPolicy;
use super::guarded_resolver::GuardedResolver;
use super::metrics::WebhookMetrics;
use super::retry::Retry;
use super::{signature, WebhookConfig};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use sb_store::{AttemptOutcome, AttemptRecord, DueDelivery, Store};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

/// How often the outbox is looked at when nothing wakes the sender (retries falling due,
/// rows written by other nodes).
const POLL: Duration = Duration::from_millis(500);

/// How much longer than a request's timeout a lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The longest error text recorded.
const MAX_ERROR_LEN: usize = 500;

/// One (webhook, call) pair: at most one of its deliveries is in flight.
type Lane = (i64, String);

/// Sends due deliveries until told to stop.
pub(super) struct Sender {
    store: Store,
    client: reqwest::Client,
    config: WebhookConfig,
    metrics: Arc<WebhookMetrics>,
    /// Woken by the outbox writer after it stored deliveries.
    written: Arc<Notify>,
}

/// Why a request did not get a 2xx.
#[derive(Debug)]
struct Failed {
    status: Option<u16>,
    error: String,
}

impl Sender {
    /// A sender over `store` with its HTTP client built from `config`.
    pub fn new(
        store: Store,
        config: WebhookConfig,
        metrics: Arc<WebhookMetrics>,
        written: Arc<Notify>,
    ) -> Result<Sender, reqwest::Error> {
        let client = crate::outgoing::client_builder(config.connect_timeout)
            .dns_resolver(Arc::new(GuardedResolver { policy: config.addresses }))
            .timeout(config.timeout)
            .build()?;
        Ok(Sender { store, client, config, metrics, written })
    }

    /// Sends until `stop` turns true, then waits for the requests in flight to finish.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let mut lanes: HashMap<tokio::task::Id, Lane> = HashMap::new();
        loop {
            if *stop.borrow() {
                break;
            }
            let free = self.config.concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                let busy: HashSet<&Lane> = lanes.values().collect();
                match self.take(free, &busy).await {
                    Ok(taken) => {
                        for delivery in taken {
                            let lane = (delivery.webhook_id, delivery.call_id.clone());
                            let sender = Arc::clone(&self);
                            let handle = in_flight.spawn(async move { sender.attempt(delivery).await });
                            lanes.insert(handle.id(), lane);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not read the webhook outbox"),
                }
            }
            tokio::select! {
                done = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    let id = match done {
                        Some(Ok((id, ()))) => Some(id),
                        Some(Err(e)) => {
                            tracing::error!(error = %e, "a webhook delivery task failed");
                            Some(e.id())
                        }
                        None => None,
                    };
                    // A finished delivery may have unblocked its call's next event: look now.
                    if let Some(id) = id {
                        lanes.remove(&id);
                    }
                }
                () = self.written.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.wait_for(|stopping| *stopping) => break,
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    /// Leases up to `free` due deliveries whose lane is not busy.
    async fn take(&self, free: usize, busy: &HashSet<&Lane>) -> sb_store::Result<Vec<DueDelivery>> {
        let now = OffsetDateTime::now_utc();
        let due = {
            let mut conn = self.store.read().await?;
            // Some of the oldest due rows may be in lanes already in flight: read more.
            sb_store::webhooks::due_deliveries(&mut conn, &sb_store::time_text(now), (free + busy.len()) as i64).await?
        };
        let wanted: Vec<DueDelivery> =
            due.into_iter().filter(|d| !busy.contains(&(d.webhook_id, d.call_id.clone()))).take(free).collect();
        if wanted.is_empty() {
            return Ok(wanted);
        }
        let until = sb_store::time_text(now + self.config.timeout + LEASE_MARGIN);
        let mut tx = self.store.write_records().await?;
        let mut taken = Vec::with_capacity(wanted.len());
        for delivery in wanted {
            if tx.lease_delivery(delivery.id, &delivery.next_attempt_at, &until).await? {
                taken.push(delivery);
            }
        }
        tx.commit().await?;
        Ok(taken)
    }

    /// Makes one attempt at `delivery` and records it.
    async fn attempt(&self, delivery: DueDelivery) {
        let result = self.post(&delivery).await;
        let now = OffsetDateTime::now_utc();
        let at = sb_store::time_text(now);
        let record = match result {
            Ok(status) => {
                self.metrics.delivered.fetch_add(1, Ordering::Relaxed);
                AttemptRecord {
                    at,
                    status: Some(i64::from(status)),
                    error: String::new(),
                    outcome: AttemptOutcome::Delivered,
                }
            }
            Err(failed) => {
                self.metrics.failed_attempts.fetch_add(1, Ordering::Relaxed);
                let failures = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
                let created = parse_time(&delivery.created_at).unwrap_or(now);
                let outcome = match self.config.retry.after_failure(failures, created, now, rand::random::<f64>()) {
                    Retry::At(next) => AttemptOutcome::RetryAt(sb_store::time_text(next)),
                    Retry::GiveUp => {
                        self.metrics.dead.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(event = %delivery.event_id, webhook = delivery.webhook_id, error = %failed.error, "webhook delivery given up");
                        AttemptOutcome::Dead
                    }
                };
                tracing::debug!(event = %delivery.event_id, webhook = delivery.webhook_id, error = %failed.error, "webhook delivery failed");
                AttemptRecord { at, status: failed.status.map(i64::from), error: failed.error, outcome }
            }
        };
        if let Err(e) = self.record(delivery.id, &record).await {
            // The lease runs out and the delivery is attempted again: at least once.
            tracing::error!(error = %e, event = %delivery.event_id, "could not record a webhook delivery attempt");
        }
    }

    async fn record(&self, id: i64, record: &AttemptRecord) -> sb_store::Result<()> {
        let mut tx = self.store.write_records().await?;
        tx.record_attempt(id, record).await?;
        tx.commit().await
    }

    /// POSTs `delivery`; answers the 2xx status, or why it failed.
    async fn post(&self, delivery: &DueDelivery) -> Result<u16, Failed> {
        let refuse = |error: String| Failed { status: None, error };
        let url = reqwest::Url::parse(&delivery.url).map_err(|e| refuse(format!("bad URL: {e}")))?;
        check_literal_host(self.config.addresses, &url).map_err(refuse)?;
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let signature = signature::sign(&delivery.secret, timestamp, delivery.payload.as_bytes());
        let header = |text: String| HeaderValue::from_str(&text).map_err(|e| refuse(format!("bad header value: {e}")));
        let response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("X-Switchboard-Event-Id", header(delivery.event_id.clone())?)
            .header("X-Switchboard-Timestamp", header(timestamp.to_string())?)
            .header("X-Switchboard-Attempt", header((delivery.attempts + 1).to_string())?)
            .header("X-Switchboard-Signature", header(signature)?)
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|e| refuse(describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(Failed { status: Some(status.as_u16()), error: format!("HTTP {status}") })
        }
    }
}

/// Refuses a URL whose host is a literal address the policy refuses (names are checked by
/// the resolver, which literal addresses never reach).
fn check_literal_host(policy: AddressPolicy, url: &reqwest::Url) -> Result<(), String> {
    let ip: std::net::IpAddr = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err("the URL has no host".into()),
    };
    policy.check(ip).map_err(|reason| format!("{ip}: {reason}"))
}

/// An error with its causes, `a: b: c`, cut to [`MAX_ERROR_LEN`].
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    if text.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_hosts_are_judged_by_the_policy_and_names_are_left_to_the_resolver() {
        let strict = AddressPolicy { allow_private: false };
        let url = |u: &str| reqwest::Url::parse(u).expect("URL");
        let err = check_literal_host(strict, &url("http://127.0.0.1:9/hook")).expect_err("loopback");
        assert!(err.contains("127.0.0.1") && err.contains("loopback"), "{err}");
        assert!(check_literal_host(strict, &url("http://[::ffff:10.0.0.1]/")).is_err());
        assert!(check_literal_host(strict, &url("https://169.254.169.254/latest/meta-data")).is_err());
        assert!(check_literal_host(strict, &url("https://8.8.8.8/")).is_ok());
        assert!(check_literal_host(strict, &url("https://localhost/")).is_ok(), "the resolver's job");
        assert!(check_literal_host(AddressPolicy { allow_private: true }, &url("http://127.0.0.1:9/")).is_ok());
    }

    #[test]
    fn stored_times_parse_back() {
        let now = OffsetDateTime::now_utc();
        let parsed = parse_time(&sb_store::time_text(now)).expect("parses");
        assert!((parsed - now).abs() < Duration::from_millis(1));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn errors_keep_their_causes_and_stay_short() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let outer = std::io::Error::other(Wrapped(inner));
        assert_eq!(describe(&outer), "error sending request: connection refused");
        let long = std::io::Error::other("é".repeat(600));
        assert!(describe(&long).len() <= MAX_ERROR_LEN);
    }

    #[derive(Debug)]
    struct Wrapped(std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("error sending request")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
}
