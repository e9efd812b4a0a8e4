//! Registrar bindings as rows: the registrar replaces an extension's set after each
//! REGISTER, and reloads everything not yet lapsed at start.

use crate::rows::{self, Column, Value};
use crate::{Conn, Page, Result, WriteTx};

const COLUMNS: &[Column<'static>] = &[
    Column::text("aor"),
    Column::text("contact"),
    Column::int("expires_at"),
    Column::text("call_id"),
    Column::int("cseq"),
    Column::text("source"),
    Column::text("transport"),
    Column::text("user_agent"),
];

/// One stored binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBinding {
    /// The extension.
    pub aor: String,
    /// The contact URI.
    pub contact: String,
    /// Unix time it lapses.
    pub expires_at: i64,
    /// Call-ID of the REGISTER that made it.
    pub call_id: String,
    /// That REGISTER's CSeq.
    pub cseq: i64,
    /// Source address, `ip:port`.
    pub source: String,
    /// `udp`, `tcp` or `tls`.
    pub transport: String,
    /// The phone's User-Agent.
    pub user_agent: Option<String>,
}

impl WriteTx {
    /// Replaces every binding of `aor` with `bindings`.
    pub async fn replace_bindings(&mut self, aor: &str, bindings: &[StoredBinding]) -> Result<()> {
        rows::delete(self, "registrations", &[("aor", Value::from(aor))]).await?;
        for b in bindings {
            let values = [
                (COLUMNS[0], Value::from(b.aor.as_str())),
                (COLUMNS[1], Value::from(b.contact.as_str())),
                (COLUMNS[2], Value::Int(b.expires_at)),
                (COLUMNS[3], Value::from(b.call_id.as_str())),
                (COLUMNS[4], Value::Int(b.cseq)),
                (COLUMNS[5], Value::from(b.source.as_str())),
                (COLUMNS[6], Value::from(b.transport.as_str())),
                (COLUMNS[7], b.user_agent.clone().map_or(Value::Null, Value::Text)),
            ];
            rows::insert(self, "registrations", &values, None).await?;
        }
        Ok(())
    }
}

/// Every stored binding (lapsed ones included; the registrar drops those itself).
pub async fn bindings<C: Conn + ?Sized>(conn: &mut C) -> Result<Vec<StoredBinding>> {
    let records = rows::select(conn, "registrations", COLUMNS, &[], &["aor", "contact"], Page::default()).await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let text = |i: usize| r.get(i).and_then(|(_, v)| v.as_text()).unwrap_or_default();
            let int = |i: usize| match r.get(i).map(|(_, v)| v) {
                Some(Value::Int(n)) => *n,
                _ => 0,
            };
            StoredBinding {
                aor: text(0),
                contact: text(1),
                expires_at: int(2),
                call_id: text(3),
                cseq: int(4),
                source: text(5),
                transport: text(6),
                user_agent: r.get(7).and_then(|(_, v)| v.as_text()),
            }
        })
        .collect())
}

impl crate::ReadTx {
    /// Every stored binding.
    pub async fn bindings(&mut self) -> Result<Vec<StoredBinding>> {
        bindings(self).await
    }
}
