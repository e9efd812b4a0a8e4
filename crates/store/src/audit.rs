//! The audit log: who changed what, when, with before/after images (secrets already redacted
//! by the caller). Rows are written inside the change's own transaction.

use crate::rows::{self, Column, Value};
use crate::{Conn, Page, Result, WriteTx};

const COLUMNS: &[Column<'static>] = &[
    Column::int("id"),
    Column::text("at"),
    Column::text("actor"),
    Column::text("remote"),
    Column::text("action"),
    Column::text("resource"),
    Column::text("rkey"),
    Column::text("tenant"),
    Column::text("before_json"),
    Column::text("after_json"),
];

/// One recorded change.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Sequence number (assigned by the store).
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The API key id (or `admin-token`, `cli`) that made the change.
    pub actor: String,
    /// The client address, when known.
    pub remote: Option<String>,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The resource name, e.g. `extensions`.
    pub resource: String,
    /// The key of the changed item.
    pub key: Option<String>,
    /// The tenant of the changed item.
    pub tenant: Option<String>,
    /// The item before the change, as JSON.
    pub before: Option<serde_json::Value>,
    /// The item after the change, as JSON.
    pub after: Option<serde_json::Value>,
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this resource.
    pub resource: Option<String>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Newest first, paged.
    pub page: Page,
}

impl WriteTx {
    /// Appends one entry to the audit log.
    pub async fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        let json = |v: &Option<serde_json::Value>| v.as_ref().map_or(Value::Null, |j| Value::Text(j.to_string()));
        let values = [
            (COLUMNS[1], Value::from(entry.at.as_str())),
            (COLUMNS[2], Value::from(entry.actor.as_str())),
            (COLUMNS[3], opt(&entry.remote)),
            (COLUMNS[4], Value::from(entry.action.as_str())),
            (COLUMNS[5], Value::from(entry.resource.as_str())),
            (COLUMNS[6], opt(&entry.key)),
            (COLUMNS[7], opt(&entry.tenant)),
            (COLUMNS[8], json(&entry.before)),
            (COLUMNS[9], json(&entry.after)),
        ];
        rows::insert(self, "audit_log", &values, None).await?;
        Ok(())
    }
}

/// Reads audit entries, newest first.
pub async fn audit_entries<C: Conn + ?Sized>(conn: &mut C, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let mut filter = Vec::new();
    if let Some(resource) = &query.resource {
        filter.push(("resource", Value::from(resource.as_str())));
    }
    if let Some(tenant) = &query.tenant {
        filter.push(("tenant", Value::from(tenant.as_str())));
    }
    // Newest first: order by id descending is not expressible through the generic
    // select, so read ascending and reverse within the requested window.
    let total = rows::count(conn, "audit_log", &filter).await?;
    let limit = query.page.limit.unwrap_or(total);
    let end = (total - query.page.offset).max(0);
    let start = (end - limit).max(0);
    let page = Page { limit: Some(end - start), offset: start };
    let records = rows::select(conn, "audit_log", COLUMNS, &filter, &["id"], page).await?;
    let mut entries: Vec<AuditEntry> = records
        .into_iter()
        .map(|r| {
            let text = |name: &str| r.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_text());
            let json = |name: &str| text(name).and_then(|t| serde_json::from_str(&t).ok());
            AuditEntry {
                id: text("id").and_then(|t| t.parse().ok()).unwrap_or_default(),
                at: text("at").unwrap_or_default(),
                actor: text("actor").unwrap_or_default(),
                remote: text("remote"),
                action: text("action").unwrap_or_default(),
                resource: text("resource").unwrap_or_default(),
                key: text("rkey"),
                tenant: text("tenant"),
                before: json("before_json"),
                after: json("after_json"),
            }
        })
        .collect();
    entries.reverse();
    Ok(entries)
}

impl crate::ReadTx {
    /// Reads audit entries, newest first.
    pub async fn audit_entries(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        audit_entries(self, query).await
    }
}
