//! Custom apps as the call layer reads them: a tenant's app by its key, with its program
//! parsed and who may dial it by that key (`span`).

use crate::custom_app::Program;
use sb_store::rows::{self, Column, Page};
use sb_store::{Store, Value};

/// Who may reach a custom app by dialling its key (SARK's `span`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The tenant's extensions.
    Internal,
    /// Callers from trunks (by DDI through inbound routes, which name it anyway).
    External,
    /// Both.
    Both,
    /// Nobody: only as a destination.
    Neither,
}

impl Span {
    /// Whether the tenant's extensions may dial it.
    pub fn internal(self) -> bool {
        matches!(self, Span::Internal | Span::Both)
    }
}

/// A custom app.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomApp {
    /// Its key (`pkey`), the number that dials it.
    pub name: String,
    /// Its tenant.
    pub tenant: String,
    /// Who may dial it.
    pub span: Span,
    /// Its steps.
    pub program: Program,
}

/// Custom app `name` of `tenant`, if there is one. A stored program that no longer parses
/// (the rules changed) runs as an empty one: the call is hung up, and the log says why.
pub async fn custom_app(store: &Store, tenant: &str, name: &str) -> sb_store::Result<Option<CustomApp>> {
    let mut conn = store.read().await?;
    let columns = [Column::text("extcode"), Column::text("span")];
    let filter = [("cluster", Value::from(tenant)), ("pkey", Value::from(name))];
    let found = rows::select(&mut conn, "customapps", &columns, &filter, &["pkey"], Page::default()).await?;
    let Some(row) = found.into_iter().next() else { return Ok(None) };
    let text = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).unwrap_or_default();
    let program = text(0).parse().unwrap_or_else(|e| {
        tracing::warn!(app = name, tenant, error = %e, "custom app program does not parse; it runs as empty");
        Program::default()
    });
    let span = match text(1).as_str() {
        "Internal" => Span::Internal,
        "External" => Span::External,
        "Both" => Span::Both,
        _ => Span::Neither,
    };
    Ok(Some(CustomApp { name: name.to_owned(), tenant: tenant.to_owned(), span, program }))
}
