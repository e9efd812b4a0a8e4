//! Routing destinations: names that inbound routes, IVR keys, ring group outcomes and
//! holiday timers point at, and the SARK "route class" that says what kind each one is.

use super::catalogue::{resource, RESOURCES};
use super::model::Tenancy;
use sb_store::rows::{self, Column, RowLock};
use sb_store::{Conn, Value};

/// Destinations that are not items: SARK's fixed names and their route classes, and
/// Switchboard's `CRM` (class [`CRM_CLASS`]): ask the CRM which extension takes the call.
pub const SPECIAL: &[(&str, i64)] = &[
    ("None", 0),
    ("DISA", 5),
    ("CALLBACK", 6),
    ("Retrieve Voicemail", 20),
    ("Leave Voicemail", 21),
    ("Operator", 100),
    ("Hangup", 101),
    (CRM, CRM_CLASS),
];

/// The destination that asks the CRM which extension takes the call (salara's dialplan
/// application), with `[crm] lookup_fallback` when it names none.
pub const CRM: &str = "CRM";

/// The route class of [`CRM`]: one SARK never used (it stops at 101 and 404).
pub const CRM_CLASS: i64 = 30;

/// The destination that refuses the call, as Asterisk's `Hangup()`.
pub const HANGUP: &str = "Hangup";

/// What a destination name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// SARK's route class.
    pub class: i64,
    /// The owning tenant, when the destination is a tenant's item.
    pub tenant: Option<String>,
}

/// Resolves `name` to its route class, or `None` when nothing has that name. Called in a
/// write transaction, it holds the target until that transaction ends (see
/// [`rows::select_one_locked`]), so a destination cannot vanish under the write.
pub async fn resolve<C: Conn + ?Sized>(conn: &mut C, name: &str) -> sb_store::Result<Option<Resolved>> {
    if let Some((_, class)) = SPECIAL.iter().find(|(n, _)| *n == name) {
        return Ok(Some(Resolved { class: *class, tenant: None }));
    }
    let found = rows::select_one_locked(
        conn,
        "directory",
        &[Column::text("resource")],
        &[("name", Value::from(name))],
        RowLock::Share,
    )
    .await?;
    let Some(kind) = found.and_then(|r| r.into_iter().next()).and_then(|(_, v)| v.as_text()) else {
        return Ok(None);
    };
    let Some(target) = resource(&kind) else { return Ok(None) };
    let Some(routable) = target.routable else { return Ok(None) };
    let tenant = if target.tenancy == Tenancy::Owned {
        let row = rows::select_one_locked(
            conn,
            target.table,
            &[Column::text("cluster")],
            &[(target.key_name(), Value::from(name))],
            RowLock::Share,
        )
        .await?;
        row.and_then(|r| r.into_iter().next()).and_then(|(_, v)| v.as_text())
    } else {
        None
    };
    Ok(Some(Resolved { class: routable.class, tenant }))
}

/// Every valid destination, grouped as SARK's `GET /destinations` groups them, limited
/// to one tenant when `tenant` is given.
pub async fn list<C: Conn + ?Sized>(
    conn: &mut C,
    tenant: Option<&str>,
) -> sb_store::Result<serde_json::Map<String, serde_json::Value>> {
    let mut groups = serde_json::Map::new();
    for r in RESOURCES.iter().filter(|r| r.routable.is_some()) {
        let group = r.routable.map(|x| x.group).unwrap_or_default();
        let filter: Vec<(&str, Value)> = match (tenant, r.tenancy) {
            (Some(t), Tenancy::Owned) => vec![("cluster", Value::from(t))],
            _ => vec![],
        };
        let keys =
            rows::select(conn, r.table, &[Column::text(r.key_name())], &filter, &[r.key_name()], Default::default())
                .await?;
        let names: Vec<serde_json::Value> = keys
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .filter_map(|(_, v)| v.as_text())
            .map(Into::into)
            .collect();
        groups.insert(group.to_owned(), names.into());
    }
    let specials: Vec<serde_json::Value> = SPECIAL.iter().map(|(n, _)| (*n).into()).collect();
    groups.insert("Specials".into(), specials.into());
    Ok(groups)
}
