//! IVR menus as the call layer reads them: a tenant's menu by its key, with its greeting,
//! the destination of each key (SARK's `option0`..`option11`, 10 being `*` and 11 `#`) and
//! where a caller who presses nothing goes.

use sb_store::rows::{self, Column, Page};
use sb_store::{Store, Value};
use std::collections::BTreeMap;

/// An IVR menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ivr {
    /// Its key (`pkey`).
    pub name: String,
    /// Its tenant.
    pub tenant: String,
    /// The greeting played (`usergreetingNNNN`), if any.
    pub greeting: Option<String>,
    /// The destination of each key that has one.
    pub keys: BTreeMap<char, String>,
    /// Where a caller who presses nothing goes; hung up without one.
    pub timeout: Option<String>,
}

impl Ivr {
    /// The destination of `key`, if it has one.
    pub fn destination(&self, key: char) -> Option<&str> {
        self.keys.get(&key).map(String::as_str)
    }
}

/// The key of IVR slot `slot` (0-9, then `*` and `#`).
fn key_of_slot(slot: i64) -> Option<char> {
    match slot {
        0..=9 => char::from_digit(u32::try_from(slot).ok()?, 10),
        10 => Some('*'),
        11 => Some('#'),
        _ => None,
    }
}

/// IVR `name` of `tenant`, if there is one. Keys whose destination is empty or `None` are
/// left out (pressing them is as pressing nothing configured).
pub async fn ivr(store: &Store, tenant: &str, name: &str) -> sb_store::Result<Option<Ivr>> {
    let mut conn = store.read().await?;
    let columns = [Column::int("greetnum"), Column::text("timeout")];
    let filter = [("cluster", Value::from(tenant)), ("pkey", Value::from(name))];
    let Some(row) = rows::select_one(&mut conn, "ivrs", &columns, &filter).await? else { return Ok(None) };
    let value = |i: usize| row.get(i).and_then(|(_, v)| v.as_text()).filter(|t| !t.is_empty() && t != "None");
    let greeting = value(0).and_then(|n| n.parse::<u32>().ok()).map(|n| format!("usergreeting{n:04}"));
    let timeout = value(1);
    let option_columns = [Column::int("slot"), Column::text("option")];
    let options = rows::select(
        &mut conn,
        "ivr_options",
        &option_columns,
        &[("parent", Value::from(name))],
        &["slot"],
        Page::default(),
    )
    .await?;
    let keys = options
        .iter()
        .filter_map(|row| {
            let slot = match row.first().map(|(_, v)| v) {
                Some(Value::Int(slot)) => *slot,
                _ => return None,
            };
            let destination = row.get(1).and_then(|(_, v)| v.as_text()).filter(|t| !t.is_empty() && t != "None")?;
            Some((key_of_slot(slot)?, destination))
        })
        .collect();
    Ok(Some(Ivr { name: name.to_owned(), tenant: tenant.to_owned(), greeting, keys, timeout }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_ten_and_eleven_are_star_and_hash() {
        assert_eq!(key_of_slot(0), Some('0'));
        assert_eq!(key_of_slot(9), Some('9'));
        assert_eq!(key_of_slot(10), Some('*'));
        assert_eq!(key_of_slot(11), Some('#'));
        assert_eq!(key_of_slot(12), None);
        assert_eq!(key_of_slot(-1), None);
    }
}
