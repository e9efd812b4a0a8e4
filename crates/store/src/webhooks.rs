//! Webhooks' delivery outbox as rows (see `migrations/0004_webhooks.sql`): the outbox writer
//! enqueues one row per event and matching webhook, the sender takes the rows that are due
//! (each call's oldest pending one per webhook, so a call's events go out in order), leases
//! them, and records each attempt; the API lists them. The webhooks themselves are a
//! provisioning resource; only what delivery needs of them is read here.

use crate::rows::{self, Column, Record, Value};
use crate::{Conn, Page, Result, WriteTx};
use sqlx::Row;
use std::collections::HashMap;

const DELIVERIES: &str = "webhook_deliveries";

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not delivered yet; attempted again at `next_attempt_at`.
    Pending,
    /// A 2xx answered it.
    Delivered,
    /// Given up on (too old); never attempted again.
    Dead,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 3] = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];

    /// The stored word: `pending`, `delivered`, `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    /// Reads the stored word back.
    pub fn parse(text: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// An active webhook as the outbox writer matches events against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// Its id.
    pub id: i64,
    /// The tenant whose calls it reports.
    pub cluster: String,
    /// The event names it wants; empty means all.
    pub events: Vec<String>,
}

/// One event for one webhook, as the outbox writer stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The event's id, the same for every webhook it goes to.
    pub event_id: String,
    /// The webhook.
    pub webhook_id: i64,
    /// The tenant.
    pub cluster: String,
    /// The event name (`Newchannel` ...).
    pub event: String,
    /// The call it is about (its CDR uniqueid).
    pub call_id: String,
    /// Its place in the call, from 1.
    pub call_seq: i64,
    /// The JSON body to POST.
    pub payload: String,
    /// When the event happened (RFC 3339 UTC text); also when it is first due.
    pub created_at: String,
}

/// A delivery to attempt now, with where to and the key to sign it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The row.
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// The webhook.
    pub webhook_id: i64,
    /// The call.
    pub call_id: String,
    /// The event's place in the call.
    pub call_seq: i64,
    /// The JSON body.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the event happened.
    pub created_at: String,
    /// When it became due (the lease is taken against this value).
    pub next_attempt_at: String,
    /// The webhook's URL.
    pub url: String,
    /// The webhook's HMAC key.
    pub secret: String,
}

/// How an attempt ended, as it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When the attempt was made.
    pub at: String,
    /// The HTTP status, when one came back.
    pub status: Option<i64>,
    /// Why it failed (empty on success).
    pub error: String,
    /// What follows: delivered, another attempt at a time, or dead.
    pub outcome: AttemptOutcome,
}

/// What follows an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// It was delivered.
    Delivered,
    /// It failed; try again at this time.
    RetryAt(String),
    /// It failed and is given up on.
    Dead,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    /// Only this webhook's.
    pub webhook_id: Option<i64>,
    /// Only in this state.
    pub state: Option<DeliveryState>,
    /// Only this tenant's.
    pub tenant: Option<String>,
    /// Which slice, newest first.
    pub page: Page,
}

/// A stored delivery, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The row.
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// The webhook.
    pub webhook_id: i64,
    /// The tenant.
    pub cluster: String,
    /// The event name.
    pub event: String,
    /// The call.
    pub call_id: String,
    /// The event's place in the call.
    pub call_seq: i64,
    /// The JSON body.
    pub payload: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the event happened.
    pub created_at: String,
    /// When it is (or was last) due.
    pub next_attempt_at: String,
    /// When it was last attempted.
    pub last_attempt_at: Option<String>,
    /// The last HTTP status received.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<String>,
}

const ROW_COLUMNS: &[Column<'static>] = &[
    Column::int("id"),
    Column::text("event_id"),
    Column::int("webhook_id"),
    Column::text("cluster"),
    Column::text("event"),
    Column::text("call_id"),
    Column::int("call_seq"),
    Column::text("payload"),
    Column::text("state"),
    Column::int("attempts"),
    Column::text("created_at"),
    Column::text("next_attempt_at"),
    Column::text("last_attempt_at"),
    Column::int("last_status"),
    Column::text("last_error"),
    Column::text("delivered_at"),
];

fn decode_row(r: &Record) -> DeliveryRow {
    let value = |i: usize| r.get(i).map(|(_, v)| v);
    let text = |i: usize| value(i).and_then(Value::as_text).unwrap_or_default();
    let optional = |i: usize| value(i).and_then(Value::as_text);
    let int = |i: usize| match value(i) {
        Some(Value::Int(n)) => *n,
        _ => 0,
    };
    DeliveryRow {
        id: int(0),
        event_id: text(1),
        webhook_id: int(2),
        cluster: text(3),
        event: text(4),
        call_id: text(5),
        call_seq: int(6),
        payload: text(7),
        state: text(8),
        attempts: int(9),
        created_at: text(10),
        next_attempt_at: text(11),
        last_attempt_at: optional(12),
        last_status: match value(13) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        },
        last_error: optional(14),
        delivered_at: optional(15),
    }
}

/// Every active webhook with its event filter.
pub async fn active_webhooks<C: Conn + ?Sized>(conn: &mut C) -> Result<Vec<WebhookTarget>> {
    let columns = [Column::int("id"), Column::text("cluster")];
    let hooks =
        rows::select(conn, "webhooks", &columns, &[("active", Value::from("YES"))], &["id"], Page::default()).await?;
    let event_columns = [Column::text("parent"), Column::int("position"), Column::text("event")];
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    for row in
        rows::select(conn, "webhook_events", &event_columns, &[], &["parent", "position"], Page::default()).await?
    {
        let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).unwrap_or_default();
        filters.entry(text(0)).or_default().push(text(2));
    }
    Ok(hooks
        .iter()
        .filter_map(|row| {
            let id = match row.first().map(|(_, v)| v) {
                Some(Value::Int(id)) => *id,
                _ => return None,
            };
            let cluster = row.get(1).and_then(|(_, v)| v.as_text()).unwrap_or_default();
            Some(WebhookTarget { id, cluster, events: filters.remove(&id.to_string()).unwrap_or_default() })
        })
        .collect())
}

/// Up to `limit` deliveries due at `now`: pending, of an active webhook, and the oldest
/// pending event of their call for their webhook; the longest waiting first.
pub async fn due_deliveries<C: Conn + ?Sized>(conn: &mut C, now: &str, limit: i64) -> Result<Vec<DueDelivery>> {
    let (conn, _) = conn.parts();
    let sql = format!(
        "SELECT d.id, d.event_id, d.webhook_id, d.call_id, d.call_seq, d.payload, d.attempts, d.created_at, \
                d.next_attempt_at, w.url, w.secret \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND w.active = 'YES' \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                           WHERE e.webhook_id = d.webhook_id AND e.call_id = d.call_id \
                             AND e.state = 'pending' AND e.call_seq < d.call_seq) \
         ORDER BY d.next_attempt_at, d.id LIMIT {}",
        limit.max(0)
    );
    let found = sqlx::query(&sql).bind(now.to_owned()).fetch_all(&mut *conn).await?;
    found
        .iter()
        .map(|row| {
            Ok(DueDelivery {
                id: row.try_get(0)?,
                event_id: row.try_get(1)?,
                webhook_id: row.try_get(2)?,
                call_id: row.try_get(3)?,
                call_seq: row.try_get(4)?,
                payload: row.try_get(5)?,
                attempts: row.try_get(6)?,
                created_at: row.try_get(7)?,
                next_attempt_at: row.try_get(8)?,
                url: row.try_get(9)?,
                secret: row.try_get(10)?,
            })
        })
        .collect()
}

/// The deliveries `query` selects, newest first.
pub async fn deliveries<C: Conn + ?Sized>(conn: &mut C, query: &DeliveryQuery) -> Result<Vec<DeliveryRow>> {
    let mut filter: Vec<(&str, Value)> = Vec::new();
    if let Some(id) = query.webhook_id {
        filter.push(("webhook_id", Value::Int(id)));
    }
    if let Some(state) = query.state {
        filter.push(("state", Value::from(state.as_str())));
    }
    if let Some(tenant) = &query.tenant {
        filter.push(("cluster", Value::from(tenant.as_str())));
    }
    let records = rows::select_newest(conn, DELIVERIES, ROW_COLUMNS, &filter, &["id"], query.page).await?;
    Ok(records.iter().map(decode_row).collect())
}

/// How many deliveries are in `state`.
pub async fn count_deliveries<C: Conn + ?Sized>(conn: &mut C, state: DeliveryState) -> Result<i64> {
    rows::count(conn, DELIVERIES, &[("state", Value::from(state.as_str()))]).await
}

impl WriteTx {
    /// Stores one event for one webhook, pending and due at once. The same event for the
    /// same webhook twice is [`Error::Duplicate`](crate::Error::Duplicate).
    pub async fn enqueue_delivery(&mut self, d: &NewDelivery) -> Result<()> {
        let values = [
            (Column::text("event_id"), Value::from(d.event_id.as_str())),
            (Column::int("webhook_id"), Value::Int(d.webhook_id)),
            (Column::text("cluster"), Value::from(d.cluster.as_str())),
            (Column::text("event"), Value::from(d.event.as_str())),
            (Column::text("call_id"), Value::from(d.call_id.as_str())),
            (Column::int("call_seq"), Value::Int(d.call_seq)),
            (Column::text("payload"), Value::from(d.payload.as_str())),
            (Column::text("state"), Value::from(DeliveryState::Pending.as_str())),
            (Column::int("attempts"), Value::Int(0)),
            (Column::text("created_at"), Value::from(d.created_at.as_str())),
            (Column::text("next_attempt_at"), Value::from(d.created_at.as_str())),
        ];
        rows::insert(self, DELIVERIES, &values, None).await?;
        Ok(())
    }

    /// Takes delivery `id` until `until`, if it is still pending and due at `seen` (what
    /// [`due_deliveries`] read): answers whether this caller now owns the attempt. Anyone
    /// else reading the row meanwhile sees it due only at `until`.
    pub async fn lease_delivery(&mut self, id: i64, seen: &str, until: &str) -> Result<bool> {
        let filter = [
            ("id", Value::Int(id)),
            ("state", Value::from(DeliveryState::Pending.as_str())),
            ("next_attempt_at", Value::from(seen)),
        ];
        let changed =
            rows::update(self, DELIVERIES, &[(Column::text("next_attempt_at"), Value::from(until))], &filter).await?;
        Ok(changed == 1)
    }

    /// Records an attempt at delivery `id` (still pending) and what follows it.
    pub async fn record_attempt(&mut self, id: i64, attempt: &AttemptRecord) -> Result<()> {
        let (state, next, delivered) = match &attempt.outcome {
            AttemptOutcome::Delivered => (DeliveryState::Delivered, None, Some(attempt.at.as_str())),
            AttemptOutcome::RetryAt(at) => (DeliveryState::Pending, Some(at.as_str()), None),
            AttemptOutcome::Dead => (DeliveryState::Dead, None, None),
        };
        let sql = format!(
            "UPDATE {DELIVERIES} SET state = $1, attempts = attempts + 1, last_attempt_at = $2, last_status = $3, \
             last_error = $4, delivered_at = $5, next_attempt_at = COALESCE($6, next_attempt_at) \
             WHERE id = $7 AND state = 'pending'"
        );
        let error = (!attempt.error.is_empty()).then(|| attempt.error.clone());
        let (conn, _) = self.parts();
        sqlx::query(&sql)
            .bind(state.as_str().to_owned())
            .bind(attempt.at.clone())
            .bind(attempt.status)
            .bind(error)
            .bind(delivered.map(str::to_owned))
            .bind(next.map(str::to_owned))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Deletes the deliveries that are settled (delivered or dead) and were created before
    /// `before`; pending ones stay whatever their age. Answers how many went.
    pub async fn prune_deliveries(&mut self, before: &str) -> Result<u64> {
        let sql = format!("DELETE FROM {DELIVERIES} WHERE state <> 'pending' AND created_at < $1");
        let (conn, _) = self.parts();
        let done = sqlx::query(&sql).bind(before.to_owned()).execute(&mut *conn).await?;
        Ok(done.rows_affected())
    }
}

impl crate::ReadTx {
    /// See [`deliveries`].
    pub async fn deliveries(&mut self, query: &DeliveryQuery) -> Result<Vec<DeliveryRow>> {
        deliveries(self, query).await
    }
}
