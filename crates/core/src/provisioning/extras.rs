//! The provisioning endpoints that are not plain resources: system globals, an
//! extension's runtime settings (call forwarding, ring delay) and the destinations list.

use super::catalogue::{self, SYSGLOBALS};
use super::engine::{audit, ensure_scope, record_text, render_one};
use super::model::{Access, Field, Kind, OnCreate, Rule};
use super::validate::{parse_flat, SecretPolicy};
use super::{destination, Actor, Provisioning, Result};
use sb_store::rows::{self, Column, Page};
use sb_store::{Conn, Value};
use serde_json::{Map, Value as Json};

/// An extension's runtime settings (SARK kept them in AstDB).
pub static RUNTIME: &[Field] = &[
    Field::text("cfim").rules(&[Rule::Nullable, Rule::DigitString { plus: true }, Rule::Max(32)]).doc("Forward every call to this number"),
    Field::text("cfbs").rules(&[Rule::Nullable, Rule::DigitString { plus: true }, Rule::Max(32)]).doc("Forward when busy to this number"),
    Field::int("ringdelay").rules(&[Rule::Nullable, Rule::Min(0), Rule::Max(3600)]).doc("Seconds to ring before voicemail or forward"),
];

fn runtime_columns() -> Vec<Column<'static>> {
    std::iter::once(Column::text("pkey")).chain(RUNTIME.iter().map(Field::column)).collect()
}

fn default_value(field: &Field) -> Json {
    match field.create {
        OnCreate::Default(text) if field.kind == Kind::Int => text.parse::<i64>().map_or(Json::Null, Json::from),
        OnCreate::Default(text) => Json::from(text),
        _ => Json::Null,
    }
}

impl Provisioning {
    /// All system globals (defaults for those never set); secrets left out.
    pub async fn sysglobals(&self, _actor: &Actor) -> Result<Json> {
        let mut conn = self.store().read().await?;
        let stored = rows::select(&mut conn, "sysglobals", &[Column::text("name"), Column::text("value")], &[], &[], Page::default()).await?;
        let mut map = Map::new();
        map.insert("pkey".into(), Json::from("global"));
        for field in SYSGLOBALS.iter().filter(|f| f.access != Access::Secret) {
            let value = stored
                .iter()
                .find(|row| row.first().and_then(|(_, v)| v.as_text()).as_deref() == Some(field.name))
                .and_then(|row| row.get(1))
                .map(|(_, v)| v.to_json());
            map.insert(field.name.into(), value.unwrap_or_else(|| default_value(field)));
        }
        Ok(Json::Object(map))
    }

    /// Sets the globals the body names.
    pub async fn update_sysglobals(&self, actor: &Actor, body: &Map<String, Json>) -> Result<Json> {
        actor.require_write()?;
        actor.require_unconfined()?;
        let mut body = body.clone();
        body.remove("pkey");
        let values = parse_flat(SYSGLOBALS, &body, "sysglobals")?;
        let before = self.sysglobals(actor).await?;
        let mut tx = self.store().write().await?;
        for (field, value) in &values {
            rows::delete(&mut tx, "sysglobals", &[("name", Value::from(field.name))]).await?;
            let row = [(Column::text("name"), Value::from(field.name)), (Column::text("value"), value.clone())];
            rows::insert(&mut tx, "sysglobals", &row, None).await?;
        }
        let mut after = before.clone();
        if let Json::Object(map) = &mut after {
            for (field, value) in values.iter().filter(|(f, _)| f.access != Access::Secret) {
                map.insert(field.name.into(), value.to_json());
            }
        }
        audit(&mut tx, actor, "update", "sysglobals", "global", None, Some(before), Some(after.clone())).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// An extension's runtime settings.
    pub async fn runtime(&self, actor: &Actor, extension: &str) -> Result<Json> {
        let mut conn = self.store().read().await?;
        let (record, _) = render_one(&mut conn, catalogue_extensions(), extension).await?;
        ensure_scope(catalogue_extensions(), actor, &record)?;
        let row = rows::select_one(&mut conn, "extension_runtime", &runtime_columns(), &[("pkey", Value::from(extension))]).await?;
        Ok(runtime_json(row.as_ref()))
    }

    /// Changes an extension's runtime settings.
    pub async fn update_runtime(&self, actor: &Actor, extension: &str, body: &Map<String, Json>) -> Result<()> {
        actor.require_write()?;
        let values = parse_flat(RUNTIME, body, "runtime settings")?;
        let mut tx = self.store().write().await?;
        let (record, _) = render_one(&mut tx, catalogue_extensions(), extension).await?;
        ensure_scope(catalogue_extensions(), actor, &record)?;
        let key = [("pkey", Value::from(extension))];
        let existing = rows::select_one(&mut tx, "extension_runtime", &runtime_columns(), &key).await?;
        let before = runtime_json(existing.as_ref());
        let changes: Vec<(Column<'static>, Value)> = values.iter().map(|(f, v)| (f.column(), v.clone())).collect();
        if existing.is_some() {
            rows::update(&mut tx, "extension_runtime", &changes, &key).await?;
        } else {
            let mut row = vec![(Column::text("pkey"), Value::from(extension))];
            row.extend(changes);
            rows::insert(&mut tx, "extension_runtime", &row, None).await?;
        }
        let after_row = rows::select_one(&mut tx, "extension_runtime", &runtime_columns(), &key).await?;
        let after = runtime_json(after_row.as_ref());
        let tenant = record_text(&record, "cluster");
        audit(&mut tx, actor, "update", "extensions/runtime", extension, tenant, Some(before), Some(after)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every valid routing destination, grouped by kind.
    pub async fn destinations(&self, actor: &Actor) -> Result<Json> {
        let mut conn = self.store().read().await?;
        Ok(Json::Object(destination::list(&mut conn, actor.tenant.as_deref()).await?))
    }
}

fn catalogue_extensions() -> &'static super::model::Resource {
    catalogue::resource("extensions").expect("extensions are in the catalogue")
}

fn runtime_json(row: Option<&sb_store::Record>) -> Json {
    let mut map = Map::new();
    for field in RUNTIME {
        let value = row.and_then(|r| r.iter().find(|(n, _)| n == field.name)).map_or(Json::Null, |(_, v)| v.to_json());
        map.insert(field.name.into(), value);
    }
    Json::Object(map)
}

/// The secret policy the globals set (`PWDLEN`, 12 to 64; the field defaults otherwise).
pub(crate) async fn secret_policy<C: Conn + ?Sized>(conn: &mut C) -> sb_store::Result<SecretPolicy> {
    let row = rows::select_one(conn, "sysglobals", &[Column::text("value")], &[("name", Value::from("PWDLEN"))]).await?;
    let len = row.and_then(|r| r.into_iter().next()).and_then(|(_, v)| v.as_text()).and_then(|t| t.parse::<usize>().ok());
    Ok(SecretPolicy { password_len: len.filter(|n| (12..=64).contains(n)) })
}
