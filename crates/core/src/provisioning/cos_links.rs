//! Class of service links (`cosopens`, `coscloses`): which CoS rules apply to an
//! extension while the tenant is open, and while it is closed. Addressed by extension
//! number, as in SARK, with the rule as an optional second path segment.

use super::catalogue;
use super::engine::{audit, ensure_scope, record_text, render_one};
use super::model::{Field, Rule};
use super::validate::{attribute, parse_flat};
use super::{Actor, FieldErrors, ProvisionError, Provisioning, Result};
use sb_store::rows::{self, Column, Page};
use sb_store::{Conn, Value};
use serde_json::{Map, Value as Json};

/// Which of the two link sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosKind {
    /// Rules applied while open (`cosopens`).
    Open,
    /// Rules applied while closed (`coscloses`).
    Close,
}

impl CosKind {
    /// The URL segment and table name.
    pub fn name(self) -> &'static str {
        match self {
            CosKind::Open => "cosopens",
            CosKind::Close => "coscloses",
        }
    }
}

/// The fields of one link.
pub static LINK_FIELDS: &[Field] = &[
    Field::text("IPphone_pkey").required().rules(&[Rule::Exists("extensions")]).doc("Extension number"),
    Field::text("COS_pkey").required().rules(&[Rule::Exists("cosrules")]).doc("Class of service rule"),
];

const COLUMNS: &[Column<'static>] = &[
    Column::text("IPphone_pkey"),
    Column::text("COS_pkey"),
    Column::text("z_created"),
    Column::text("z_updated"),
    Column::text("z_updater"),
];

fn to_json(record: &sb_store::Record) -> Json {
    Json::Object(record.iter().map(|(n, v)| (n.clone(), v.to_json())).collect())
}

fn extensions() -> &'static super::model::Resource {
    catalogue::resource("extensions").expect("extensions are in the catalogue")
}

async fn extension_tenant<C: Conn + ?Sized>(conn: &mut C, actor: &Actor, extension: &str) -> Result<Option<String>> {
    let (record, _) = render_one(conn, extensions(), extension).await?;
    ensure_scope(extensions(), actor, &record)?;
    Ok(record_text(&record, "cluster"))
}

impl Provisioning {
    /// Every link of this kind the actor may see.
    pub async fn cos_links(&self, kind: CosKind, actor: &Actor) -> Result<Vec<Json>> {
        let mut conn = self.store().read().await?;
        let records = rows::select(&mut conn, kind.name(), COLUMNS, &[], &["IPphone_pkey", "COS_pkey"], Page::default()).await?;
        let mut out = Vec::new();
        for record in records {
            if let Some(tenant) = &actor.tenant {
                let ext = record_text(&record, "IPphone_pkey").unwrap_or_default();
                let row = rows::select_one(&mut conn, "extensions", &[Column::text("cluster")], &[("pkey", Value::from(ext.as_str()))]).await?;
                if row.and_then(|r| record_text(&r, "cluster")).as_deref() != Some(tenant) {
                    continue;
                }
            }
            out.push(to_json(&record));
        }
        Ok(out)
    }

    /// The links of one extension.
    pub async fn cos_links_of(&self, kind: CosKind, actor: &Actor, extension: &str) -> Result<Vec<Json>> {
        let mut conn = self.store().read().await?;
        extension_tenant(&mut conn, actor, extension).await?;
        let records = rows::select(&mut conn, kind.name(), COLUMNS, &[("IPphone_pkey", Value::from(extension))], &["COS_pkey"], Page::default()).await?;
        Ok(records.iter().map(to_json).collect())
    }

    /// Links a CoS rule to an extension.
    pub async fn link_cos(&self, kind: CosKind, actor: &Actor, body: &Map<String, Json>) -> Result<Json> {
        actor.require_write()?;
        let values = parse_flat(LINK_FIELDS, body, kind.name())?;
        let mut errors = FieldErrors::default();
        let get = |name: &str| values.iter().find(|(f, _)| f.name == name).and_then(|(_, v)| v.as_text());
        for field in LINK_FIELDS {
            if get(field.name).is_none() && !errors.has(field.name) {
                errors.add(field.name, format!("The {} field is required.", attribute(field.name)));
            }
        }
        let (Some(ext), Some(cos)) = (get("IPphone_pkey"), get("COS_pkey")) else {
            return Err(ProvisionError::Invalid(errors));
        };
        let mut tx = self.store().write().await?;
        self.check_link_targets(&mut tx, actor, &ext, &cos).await?;
        let tenant = extension_tenant(&mut tx, actor, &ext).await?;
        let filter = [("IPphone_pkey", Value::from(ext.as_str())), ("COS_pkey", Value::from(cos.as_str()))];
        if rows::count(&mut tx, kind.name(), &filter).await? > 0 {
            return Err(ProvisionError::Conflict(format!("Duplicate key: {ext} already has {cos} in {}.", kind.name())));
        }
        insert_link(&mut tx, kind, actor, &ext, &cos).await?;
        let record = rows::select_one(&mut tx, kind.name(), COLUMNS, &filter).await?.unwrap_or_default();
        let after = to_json(&record);
        audit(&mut tx, actor, "create", kind.name(), &format!("{ext}/{cos}"), tenant, None, Some(after.clone())).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces the set of rules linked to an extension with the body's `COS_pkey`
    /// (one key, or an array of keys).
    pub async fn replace_cos(&self, kind: CosKind, actor: &Actor, extension: &str, body: &Map<String, Json>) -> Result<Vec<Json>> {
        actor.require_write()?;
        let wanted: Vec<String> = match body.get("COS_pkey") {
            Some(Json::String(s)) => vec![s.trim().to_owned()],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => {
                items.iter().filter_map(|i| i.as_str()).map(|s| s.trim().to_owned()).collect()
            }
            Some(Json::Null) => Vec::new(),
            Some(_) => return Err(FieldErrors::one("COS_pkey", "The COS pkey must be a string or a list of strings.").into()),
            None => return Err(FieldErrors::one("COS_pkey", "The COS pkey field is required.").into()),
        };
        if let Some(other) = body.keys().find(|k| *k != "COS_pkey" && *k != "IPphone_pkey") {
            return Err(FieldErrors::one(other, format!("The {} field is not a field of {}.", attribute(other), kind.name())).into());
        }
        let mut tx = self.store().write().await?;
        let tenant = extension_tenant(&mut tx, actor, extension).await?;
        for cos in &wanted {
            self.check_link_targets(&mut tx, actor, extension, cos).await?;
        }
        let key = [("IPphone_pkey", Value::from(extension))];
        let before: Vec<Json> = rows::select(&mut tx, kind.name(), COLUMNS, &key, &["COS_pkey"], Page::default()).await?.iter().map(to_json).collect();
        rows::delete(&mut tx, kind.name(), &key).await?;
        let mut seen = std::collections::BTreeSet::new();
        for cos in wanted.iter().filter(|c| seen.insert((*c).clone())) {
            insert_link(&mut tx, kind, actor, extension, cos).await?;
        }
        let after: Vec<Json> = rows::select(&mut tx, kind.name(), COLUMNS, &key, &["COS_pkey"], Page::default()).await?.iter().map(to_json).collect();
        audit(&mut tx, actor, "update", kind.name(), extension, tenant, Some(before.clone().into()), Some(after.clone().into())).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes one link (`cos` given) or every link of an extension.
    pub async fn unlink_cos(&self, kind: CosKind, actor: &Actor, extension: &str, cos: Option<&str>) -> Result<()> {
        actor.require_write()?;
        let mut tx = self.store().write().await?;
        let tenant = extension_tenant(&mut tx, actor, extension).await?;
        let mut filter = vec![("IPphone_pkey", Value::from(extension))];
        if let Some(cos) = cos {
            filter.push(("COS_pkey", Value::from(cos)));
        }
        let before: Vec<Json> = rows::select(&mut tx, kind.name(), COLUMNS, &filter, &["COS_pkey"], Page::default()).await?.iter().map(to_json).collect();
        if before.is_empty() {
            return Err(ProvisionError::NotFound(format!("No {} link for extension {extension}.", kind.name())));
        }
        rows::delete(&mut tx, kind.name(), &filter).await?;
        let key = cos.map_or_else(|| extension.to_owned(), |c| format!("{extension}/{c}"));
        audit(&mut tx, actor, "delete", kind.name(), &key, tenant, Some(before.into()), None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn check_link_targets(&self, tx: &mut sb_store::WriteTx, actor: &Actor, ext: &str, cos: &str) -> Result<()> {
        let mut errors = FieldErrors::default();
        let ext_row = rows::select_one(tx, "extensions", &[Column::text("cluster")], &[("pkey", Value::from(ext))]).await?;
        let visible = ext_row.is_some_and(|r| actor.tenant.is_none() || record_text(&r, "cluster") == actor.tenant);
        if !visible {
            errors.add("IPphone_pkey", "The selected IPphone pkey is invalid.");
        }
        if rows::count(tx, "cosrules", &[("pkey", Value::from(cos))]).await? == 0 {
            errors.add("COS_pkey", "The selected COS pkey is invalid.");
        }
        errors.into_result(()).map_err(ProvisionError::Invalid)
    }
}

/// Inserts one link row with its stamps.
pub(crate) async fn insert_link(tx: &mut sb_store::WriteTx, kind: CosKind, actor: &Actor, ext: &str, cos: &str) -> Result<()> {
    let now = sb_store::now_text();
    let values = [
        (COLUMNS[0], Value::from(ext)),
        (COLUMNS[1], Value::from(cos)),
        (COLUMNS[2], Value::from(now.as_str())),
        (COLUMNS[3], Value::from(now.as_str())),
        (COLUMNS[4], Value::from(actor.id.as_str())),
    ];
    rows::insert(tx, kind.name(), &values, None).await?;
    Ok(())
}

/// Links the CoS rules marked as defaults to a new extension.
pub(crate) async fn apply_defaults(tx: &mut sb_store::WriteTx, actor: &Actor, extension: &str) -> Result<()> {
    for (kind, flag) in [(CosKind::Open, "defaultopen"), (CosKind::Close, "defaultclosed")] {
        let rules = rows::select(tx, "cosrules", &[Column::text("pkey")], &[(flag, Value::from("YES"))], &["pkey"], Page::default()).await?;
        for rule in rules {
            if let Some(cos) = record_text(&rule, "pkey") {
                insert_link(tx, kind, actor, extension, &cos).await?;
            }
        }
    }
    Ok(())
}
