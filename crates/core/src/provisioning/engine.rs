//! The generic engine: list, read, create, update and delete any catalogue resource, each
//! write in one transaction with its reference checks and its audit entry.

use super::catalogue::RESOURCES;
use super::destination;
use super::draft::{Draft, SlotValue};
use super::model::{Access, Creator, Field, KeySpec, ListField, Resource, Rule, SlotGroup, Tenancy, AUDIT_STAMPS};
use super::validate::{self, Mode};
use super::{Actor, FieldErrors, ProvisionError, Result};
use sb_store::rows::{self, Column, Page, RowLock};
use sb_store::{AuditEntry, Conn, Record, Store, Value, WriteTx};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// The provisioning service: every configuration change goes through here.
#[derive(Clone)]
pub struct Provisioning {
    store: Store,
}

/// Optional list filters (beyond SARK, which always returned whole tables).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only items of this tenant.
    pub cluster: Option<String>,
    /// Paging.
    pub page: Page,
}

/// The result of a create.
#[derive(Debug, Clone)]
pub struct Created {
    /// The HTTP status SARK answers for this creator.
    pub status: u16,
    /// The new item, including any generated secret (shown this once).
    pub body: Json,
}

/// Child rows of one parent: per slot group, slot number to row; per list field, items.
#[derive(Debug, Default, Clone)]
struct Children {
    slots: Vec<HashMap<u8, Record>>,
    lists: Vec<Vec<String>>,
}

fn slot_columns(group: &SlotGroup) -> Vec<Column<'static>> {
    let mut columns = vec![Column::text("parent"), Column::int("slot")];
    columns.extend(group.fields.iter().map(Field::column));
    columns
}

fn list_columns(list: &ListField) -> [Column<'static>; 3] {
    [Column::text("parent"), Column::int("position"), Column::text(list.column)]
}

fn get<'r>(record: &'r Record, name: &str) -> Option<&'r Value> {
    record.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn text_of(record: &Record, name: &str) -> Option<String> {
    get(record, name).and_then(Value::as_text)
}

impl Provisioning {
    /// Serves provisioning from `store`.
    pub fn new(store: Store) -> Provisioning {
        Provisioning { store }
    }

    /// The store behind the service.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Lists the items of `r` the actor may see, ordered by key.
    pub async fn list(&self, r: &'static Resource, actor: &Actor, query: &ListQuery) -> Result<Vec<Json>> {
        let mut conn = self.store.read().await?;
        let mut filter: Vec<(&str, Value)> = Vec::new();
        let tenant_column = match r.tenancy {
            Tenancy::Owned => Some("cluster"),
            Tenancy::IsTenant => Some("pkey"),
            Tenancy::Global => None,
        };
        if let Some(column) = tenant_column {
            if let Some(wanted) = &query.cluster {
                actor.require_tenant(Some(wanted))?;
                filter.push((column, Value::from(wanted.as_str())));
            } else if let Some(mine) = &actor.tenant {
                filter.push((column, Value::from(mine.as_str())));
            }
        }
        let records = rows::select(&mut conn, r.table, &r.columns(), &filter, &[r.key_name()], query.page).await?;
        let mut children = load_children(&mut conn, r, None).await?;
        Ok(records
            .iter()
            .map(|record| {
                let key = text_of(record, r.key_name()).unwrap_or_default();
                render(r, record, children.remove(&key).as_ref())
            })
            .collect())
    }

    /// Reads one item.
    pub async fn get(&self, r: &'static Resource, actor: &Actor, key: &str) -> Result<Json> {
        let mut conn = self.store.read().await?;
        let record = load(&mut conn, r, key).await?;
        check_scope(r, actor, &record)?;
        Ok(read_back(&mut conn, r, &record).await?)
    }

    /// Creates an item through `creator`.
    pub async fn create(&self, r: &'static Resource, creator: &Creator, actor: &Actor, body: &Map<String, Json>) -> Result<Created> {
        actor.require_write()?;
        match r.tenancy {
            Tenancy::Owned => actor.require_tenant(body.get("cluster").and_then(Json::as_str).map(str::trim))?,
            Tenancy::IsTenant | Tenancy::Global => actor.require_unconfined()?,
        }
        let mut tx = self.store.write().await?;
        let policy = super::extras::secret_policy(&mut tx).await?;
        let (mut draft, mut errors) = validate::parse(r, body, Mode::Create(creator, policy));
        if let Some(prepare) = creator.prepare {
            if let Err(more) = prepare(&mut draft) {
                errors.merge(more);
            }
        }
        let tenant = draft.text("cluster").map(str::to_owned);
        resolve_references(&mut tx, r, &mut draft, actor, tenant.as_deref(), None, &mut errors).await?;
        if !errors.is_empty() {
            return Err(ProvisionError::Invalid(errors));
        }

        let now = sb_store::now_text();
        let mut values: Vec<(Column<'static>, Value)> =
            draft.values.iter().map(|(f, v)| (f.column(), v.clone())).collect();
        let key = match r.key {
            KeySpec::Natural(key_name) => {
                let key = draft.text(key_name).unwrap_or_default().to_owned();
                if rows::count(&mut tx, r.table, &[(key_name, Value::from(key.as_str()))]).await? > 0 {
                    return Err(ProvisionError::Conflict(format!("Duplicate key: {} {key} already exists.", r.singular)));
                }
                claim_name(&mut tx, r, &key).await?;
                key
            }
            KeySpec::Serial { pkey_prefix } => {
                let pkey = unique_serial_name(&mut tx, r, pkey_prefix).await?;
                values.push((Column::text("pkey"), Value::Text(pkey)));
                String::new()
            }
        };
        values.push((AUDIT_STAMPS[0], Value::from(now.as_str())));
        values.push((AUDIT_STAMPS[1], Value::from(now.as_str())));
        values.push((AUDIT_STAMPS[2], Value::from(actor.id.as_str())));
        let returning = matches!(r.key, KeySpec::Serial { .. }).then_some("id");
        let id = rows::insert(&mut tx, r.table, &values, returning).await?;
        let key = id.map(|id| id.to_string()).unwrap_or(key);
        write_children(&mut tx, r, &key, &draft).await?;
        if creator.default_cos {
            super::cos_links::apply_defaults(&mut tx, actor, &key).await?;
        }

        let record = load(&mut tx, r, &key).await?;
        let after = read_back(&mut tx, r, &record).await?;
        let audited = with_redacted_secrets(after.clone(), &draft);
        audit(&mut tx, actor, "create", r.name, &key, tenant, None, Some(audited)).await?;
        tx.commit().await?;

        let mut body = after;
        if let Json::Object(map) = &mut body {
            for (name, secret) in &draft.generated {
                map.insert((*name).to_owned(), Json::from(secret.as_str()));
            }
        }
        Ok(Created { status: creator.status, body })
    }

    /// Changes the fields the body gives, leaving the others as they are.
    pub async fn update(&self, r: &'static Resource, actor: &Actor, key: &str, body: &Map<String, Json>) -> Result<Json> {
        let (mut tx, existing, key) = self.open_existing(r, actor, key).await?;
        let (mut draft, mut errors) = validate::parse(r, body, Mode::Update(&key));
        if r.tenancy == Tenancy::Owned {
            if let Some(new_tenant) = body.get("cluster").and_then(Json::as_str).map(str::trim) {
                actor.require_tenant(Some(new_tenant))?;
            }
        }
        let old_tenant = text_of(&existing, "cluster");
        let tenant = draft.text("cluster").map(str::to_owned).or_else(|| old_tenant.clone());
        if r.tenancy == Tenancy::Owned && tenant != old_tenant {
            // References are tenant-local: whatever uses this item stays behind, and what
            // it uses must exist in the new tenant too.
            let users = referrers(&mut tx, r, &key).await?;
            if !users.is_empty() {
                return Err(ProvisionError::Conflict(format!(
                    "The {} {key} cannot move to another tenant while it is used by {}.",
                    r.singular,
                    users.join(", ")
                )));
            }
            keep_references(&mut tx, r, &existing, &key, &mut draft).await?;
        }
        resolve_references(&mut tx, r, &mut draft, actor, tenant.as_deref(), Some(&key), &mut errors).await?;
        if !errors.is_empty() {
            return Err(ProvisionError::Invalid(errors));
        }
        let before = read_back(&mut tx, r, &existing).await?;

        let mut values: Vec<(Column<'static>, Value)> =
            draft.values.iter().map(|(f, v)| (f.column(), v.clone())).collect();
        values.push((AUDIT_STAMPS[1], Value::from(sb_store::now_text())));
        values.push((AUDIT_STAMPS[2], Value::from(actor.id.as_str())));
        rows::update(&mut tx, r.table, &values, &[key_filter(r, &key)?]).await?;
        write_children(&mut tx, r, &key, &draft).await?;

        let record = load(&mut tx, r, &key).await?;
        let after = read_back(&mut tx, r, &record).await?;
        let audited = with_redacted_secrets(after.clone(), &draft);
        audit(&mut tx, actor, "update", r.name, &key, tenant, Some(before), Some(audited)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an item, refusing while anything still refers to it.
    pub async fn delete(&self, r: &'static Resource, actor: &Actor, key: &str) -> Result<()> {
        let (mut tx, existing, key) = self.open_existing(r, actor, key).await?;
        if r.undeletable.contains(&key.as_str()) {
            return Err(ProvisionError::Conflict(format!("The {} {key} cannot be deleted.", r.singular)));
        }
        let users = referrers(&mut tx, r, &key).await?;
        if !users.is_empty() {
            return Err(ProvisionError::Conflict(format!(
                "The {} {key} is still used by {}.",
                r.singular,
                users.join(", ")
            )));
        }
        let before = read_back(&mut tx, r, &existing).await?;
        // Child rows (slots, lists, runtime settings, CoS links) go by the schema's
        // ON DELETE CASCADE, in the same transaction. A serial item's children name it by
        // its id as text, which no foreign key can check: those are deleted here.
        if let KeySpec::Serial { .. } = r.key {
            let parent = [("parent", Value::from(key.as_str()))];
            for table in r.slots.iter().map(|g| g.table).chain(r.lists.iter().map(|l| l.table)) {
                rows::delete(&mut tx, table, &parent).await?;
            }
        }
        rows::delete(&mut tx, r.table, &[key_filter(r, &key)?]).await?;
        if r.routable.is_some() {
            rows::delete(&mut tx, "directory", &[("name", Value::from(key.as_str()))]).await?;
        }
        let tenant = text_of(&existing, "cluster");
        audit(&mut tx, actor, "delete", r.name, &key, tenant, Some(before), None).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Provisioning {
    /// The start of every change to an existing item: a write transaction, the item, and
    /// its canonical key, once the actor is known to be allowed to change it. A confined
    /// key may change its tenant's items, never tenants or system-wide items: a tenant's
    /// limits (chanmax, abstimeout) are the operator's to set.
    async fn open_existing(&self, r: &Resource, actor: &Actor, key: &str) -> Result<(WriteTx, Record, String)> {
        actor.require_write()?;
        if r.tenancy != Tenancy::Owned {
            actor.require_unconfined()?;
        }
        let mut tx = self.store.write().await?;
        // Held until commit, so a racing write that refers to this item either waits and
        // finds it gone, or commits first and is seen by the referrer check.
        let existing = load_locked(&mut tx, r, key, Some(RowLock::Update)).await?;
        check_scope(r, actor, &existing)?;
        let key = text_of(&existing, r.key_name()).unwrap_or_else(|| key.to_owned());
        Ok((tx, existing, key))
    }
}

/// Marks the secrets a change set, so the audit log shows that they changed, never what to.
fn with_redacted_secrets(mut after: Json, draft: &Draft) -> Json {
    if let Json::Object(map) = &mut after {
        for (field, value) in &draft.values {
            if field.access == Access::Secret && *value != Value::Null {
                map.insert(field.name.into(), Json::from("[redacted]"));
            }
        }
    }
    after
}

/// Writes an audit entry in the change's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit(
    tx: &mut WriteTx,
    actor: &Actor,
    action: &str,
    resource: &str,
    key: &str,
    tenant: Option<String>,
    before: Option<Json>,
    after: Option<Json>,
) -> Result<()> {
    let entry = AuditEntry {
        id: 0,
        at: sb_store::now_text(),
        actor: actor.id.clone(),
        remote: actor.remote.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        key: Some(key.to_owned()),
        tenant,
        before,
        after,
    };
    tx.append_audit(&entry).await?;
    Ok(())
}

fn key_filter(r: &Resource, key: &str) -> Result<(&'static str, Value)> {
    match r.key {
        KeySpec::Natural(name) => Ok((name, Value::from(key))),
        KeySpec::Serial { .. } => key
            .parse::<i64>()
            .map(|id| ("id", Value::Int(id)))
            .map_err(|_| ProvisionError::NotFound(format!("No {} with id {key}.", r.singular))),
    }
}

/// Loads the main row of an item, or answers 404.
async fn load<C: Conn + ?Sized>(conn: &mut C, r: &Resource, key: &str) -> Result<Record> {
    load_locked(conn, r, key, None).await
}

/// Loads the main row of an item, held with `lock` until the transaction ends.
async fn load_locked<C: Conn + ?Sized>(conn: &mut C, r: &Resource, key: &str, lock: Option<RowLock>) -> Result<Record> {
    let filter = [key_filter(r, key)?];
    let row = match lock {
        Some(lock) => rows::select_one_locked(conn, r.table, &r.columns(), &filter, lock).await?,
        None => rows::select_one(conn, r.table, &r.columns(), &filter).await?,
    };
    row.ok_or_else(|| ProvisionError::NotFound(format!("No {} {key}.", r.singular)))
}

/// Confined actors see only their tenant's items; touching another's is forbidden.
fn check_scope(r: &Resource, actor: &Actor, record: &Record) -> Result<()> {
    match r.tenancy {
        Tenancy::Owned => actor.require_tenant(text_of(record, "cluster").as_deref()),
        Tenancy::IsTenant => actor.require_tenant(text_of(record, "pkey").as_deref()),
        Tenancy::Global => Ok(()),
    }
}

async fn read_back<C: Conn + ?Sized>(conn: &mut C, r: &Resource, record: &Record) -> sb_store::Result<Json> {
    let key = text_of(record, r.key_name()).unwrap_or_default();
    let mut children = load_children(conn, r, Some(&key)).await?;
    Ok(render(r, record, children.remove(&key).as_ref()))
}

/// Loads child rows for one parent, or for all parents when `parent` is `None`.
async fn load_children<C: Conn + ?Sized>(conn: &mut C, r: &Resource, parent: Option<&str>) -> sb_store::Result<HashMap<String, Children>> {
    let mut all: HashMap<String, Children> = HashMap::new();
    let empty = || Children { slots: vec![HashMap::new(); r.slots.len()], lists: vec![Vec::new(); r.lists.len()] };
    let filter: Vec<(&str, Value)> = parent.map(|p| vec![("parent", Value::from(p))]).unwrap_or_default();
    for (g, group) in r.slots.iter().enumerate() {
        let records = rows::select(conn, group.table, &slot_columns(group), &filter, &["parent", "slot"], Page::default()).await?;
        for record in records {
            let parent = text_of(&record, "parent").unwrap_or_default();
            let slot = match get(&record, "slot") {
                Some(Value::Int(n)) => u8::try_from(*n).unwrap_or(u8::MAX),
                _ => continue,
            };
            all.entry(parent).or_insert_with(empty).slots[g].insert(slot, record);
        }
    }
    for (l, list) in r.lists.iter().enumerate() {
        let records = rows::select(conn, list.table, &list_columns(list), &filter, &["parent", "position"], Page::default()).await?;
        for record in records {
            let parent = text_of(&record, "parent").unwrap_or_default();
            if let Some(item) = text_of(&record, list.column) {
                all.entry(parent).or_insert_with(empty).lists[l].push(item);
            }
        }
    }
    Ok(all)
}

/// The wire form of an item: SARK's field names, secrets left out.
fn render(r: &Resource, record: &Record, children: Option<&Children>) -> Json {
    let mut map = Map::new();
    if let KeySpec::Serial { .. } = r.key {
        map.insert("id".into(), get(record, "id").map_or(Json::Null, Value::to_json));
    }
    for field in r.fields.iter().filter(|f| f.access != Access::Secret) {
        map.insert(field.name.into(), get(record, field.name).map_or(Json::Null, Value::to_json));
    }
    for (g, group) in r.slots.iter().enumerate() {
        for slot in group.slots.0..=group.slots.1 {
            let row = children.and_then(|c| c.slots[g].get(&slot));
            for field in group.fields.iter().filter(|f| f.access != Access::Secret) {
                let value = row.and_then(|row| get(row, field.name)).map_or(Json::Null, Value::to_json);
                map.insert(format!("{}{slot}", field.name), value);
            }
        }
    }
    for (l, list) in r.lists.iter().enumerate() {
        let items = children.map(|c| c.lists[l].join(" ")).unwrap_or_default();
        map.insert(list.wire.into(), if items.is_empty() { Json::Null } else { Json::from(items) });
    }
    for stamp in AUDIT_STAMPS {
        map.insert(stamp.name.into(), get(record, stamp.name).map_or(Json::Null, Value::to_json));
    }
    Json::Object(map)
}

/// Reserves a routable key in the shared dial namespace.
async fn claim_name(tx: &mut WriteTx, r: &Resource, key: &str) -> Result<()> {
    if r.routable.is_none() {
        return Ok(());
    }
    let existing = rows::select_one(tx, "directory", &[Column::text("resource")], &[("name", Value::from(key))]).await?;
    if let Some(owner) = existing.as_ref().and_then(|row| text_of(row, "resource")) {
        return Err(ProvisionError::Conflict(format!("Duplicate key: {key} is already used by {owner} {key}.")));
    }
    rows::insert(tx, "directory", &[(Column::text("name"), Value::from(key)), (Column::text("resource"), Value::from(r.name))], None).await?;
    Ok(())
}

async fn unique_serial_name(tx: &mut WriteTx, r: &Resource, prefix: &str) -> Result<String> {
    for _ in 0..16 {
        let name = format!("{prefix}{}", crate::secrets::pin(8));
        if rows::count(tx, r.table, &[("pkey", Value::from(name.as_str()))]).await? == 0 {
            return Ok(name);
        }
    }
    Err(ProvisionError::Conflict("Could not choose a unique name; try again.".into()))
}

/// Adds the references an item keeps (those the request does not change) to the draft,
/// so that they are checked again, e.g. against a new tenant.
async fn keep_references(tx: &mut WriteTx, r: &Resource, existing: &Record, key: &str, draft: &mut Draft) -> Result<()> {
    let is_reference = |f: &Field| f.class_column().is_some() || f.refers_to().is_some_and(|t| t != "tenants");
    for field in r.fields.iter().filter(|f| is_reference(f)) {
        if draft.get(field.name).is_none() {
            if let Some(value) = get(existing, field.name).filter(|v| **v != Value::Null) {
                draft.values.push((field, value.clone()));
            }
        }
    }
    let mut children = load_children(tx, r, Some(key)).await?;
    let Some(children) = children.remove(key) else { return Ok(()) };
    for (g, group) in r.slots.iter().enumerate() {
        for (slot, row) in &children.slots[g] {
            for field in group.fields.iter().filter(|f| is_reference(f)) {
                let given = draft.slots.iter().any(|s| s.group == g && s.slot == *slot && s.field.name == field.name);
                if let Some(value) = get(row, field.name).filter(|v| !given && **v != Value::Null) {
                    draft.slots.push(SlotValue { group: g, slot: *slot, field, value: value.clone() });
                }
            }
        }
    }
    Ok(())
}

/// Checks `exists` references and resolves destinations (filling their route-class
/// columns), adding every field that does not resolve to `errors`. References must stay
/// within the item's tenant.
async fn resolve_references(
    tx: &mut WriteTx,
    r: &'static Resource,
    draft: &mut Draft,
    actor: &Actor,
    tenant: Option<&str>,
    self_key: Option<&str>,
    errors: &mut FieldErrors,
) -> Result<()> {
    // Against a tenant that does not exist, "same tenant" means nothing: only `cluster`
    // itself is reported then.
    let tenant = match tenant {
        Some(t) if rows::count(tx, "tenants", &[("pkey", Value::from(t))]).await? > 0 => Some(t),
        _ => None,
    };
    let mut classes: Vec<(&'static str, Value)> = Vec::new();
    for (field, value) in &draft.values {
        let Some(text) = value.as_text() else {
            if let Some(class) = field.class_column() {
                classes.push((class, Value::Null));
            }
            continue;
        };
        match reference_ok(tx, r, field, &text, actor, tenant, self_key).await? {
            Reference::Ok => {}
            Reference::Class(class) => classes.push((field.class_column().unwrap_or_default(), Value::Int(class))),
            Reference::Invalid => errors.add(field.name, format!("The selected {} is invalid.", validate::attribute(field.name))),
        }
    }
    let mut slot_classes: Vec<SlotValue> = Vec::new();
    for sv in &draft.slots {
        let wire = format!("{}{}", sv.field.name, sv.slot);
        let class_field = |class: &str| r.slots[sv.group].fields.iter().find(|f| f.name == class);
        let Some(text) = sv.value.as_text() else {
            if let Some(cf) = sv.field.class_column().and_then(class_field) {
                slot_classes.push(SlotValue { field: cf, value: Value::Null, ..sv.clone() });
            }
            continue;
        };
        match reference_ok(tx, r, sv.field, &text, actor, tenant, self_key).await? {
            Reference::Ok => {}
            Reference::Class(class) => {
                if let Some(cf) = sv.field.class_column().and_then(class_field) {
                    slot_classes.push(SlotValue { field: cf, value: Value::Int(class), ..sv.clone() });
                }
            }
            Reference::Invalid => errors.add(&wire, format!("The selected {} is invalid.", validate::attribute(&wire))),
        }
    }
    for (class, value) in classes {
        draft.set(r, class, value);
    }
    draft.slots.extend(slot_classes);
    Ok(())
}

enum Reference {
    Ok,
    Class(i64),
    Invalid,
}

async fn reference_ok(
    tx: &mut WriteTx,
    r: &Resource,
    field: &Field,
    text: &str,
    actor: &Actor,
    tenant: Option<&str>,
    self_key: Option<&str>,
) -> Result<Reference> {
    for rule in field.rules {
        match rule {
            Rule::Exists(target_name) => {
                let Some(target) = super::catalogue::resource(target_name) else { return Ok(Reference::Invalid) };
                let Ok(filter) = key_filter(target, text) else { return Ok(Reference::Invalid) };
                let Some(row) = rows::select_one_locked(tx, target.table, &target.columns(), &[filter], RowLock::Share).await? else {
                    // An item may refer to itself only once it exists.
                    return Ok(if self_key == Some(text) && target.name == r.name { Reference::Ok } else { Reference::Invalid });
                };
                let same_tenant = match target.tenancy {
                    Tenancy::Owned => tenant.is_none() || text_of(&row, "cluster").as_deref() == tenant,
                    Tenancy::IsTenant => actor.tenant.as_deref().is_none_or(|mine| mine == text),
                    Tenancy::Global => true,
                };
                if !same_tenant {
                    return Ok(Reference::Invalid);
                }
            }
            Rule::Destination { .. } => {
                let Some(resolved) = destination::resolve(tx, text).await? else { return Ok(Reference::Invalid) };
                if resolved.tenant.is_some() && tenant.is_some() && resolved.tenant.as_deref() != tenant {
                    return Ok(Reference::Invalid);
                }
                return Ok(Reference::Class(resolved.class));
            }
            _ => {}
        }
    }
    Ok(Reference::Ok)
}

/// Writes the slot rows and list rows a draft sets.
async fn write_children(tx: &mut WriteTx, r: &Resource, key: &str, draft: &Draft) -> Result<()> {
    let parent = ("parent", Value::from(key));
    let mut touched: Vec<(usize, u8)> = draft.slots.iter().map(|s| (s.group, s.slot)).collect();
    touched.sort_unstable();
    touched.dedup();
    for (g, slot) in touched {
        let group = &r.slots[g];
        let columns = slot_columns(group);
        let filter = [parent.clone(), ("slot", Value::Int(i64::from(slot)))];
        let existing = rows::select_one(tx, group.table, &columns, &filter).await?;
        let mut values: Vec<(Column<'static>, Value)> = group
            .fields
            .iter()
            .map(|f| (f.column(), existing.as_ref().and_then(|row| get(row, f.name)).cloned().unwrap_or(Value::Null)))
            .collect();
        for sv in draft.slots.iter().filter(|s| s.group == g && s.slot == slot) {
            if let Some(entry) = values.iter_mut().find(|(c, _)| c.name == sv.field.name) {
                entry.1 = sv.value.clone();
            }
        }
        // A slot whose user-set fields are all empty is no row at all.
        let empty = group
            .fields
            .iter()
            .zip(&values)
            .all(|(f, (_, v))| f.access == Access::ReadOnly || *v == Value::Null);
        match (existing.is_some(), empty) {
            (_, true) => {
                rows::delete(tx, group.table, &filter).await?;
            }
            (true, false) => {
                rows::update(tx, group.table, &values, &filter).await?;
            }
            (false, false) => {
                values.insert(0, (Column::int("slot"), Value::Int(i64::from(slot))));
                values.insert(0, (Column::text("parent"), Value::from(key)));
                rows::insert(tx, group.table, &values, None).await?;
            }
        }
    }
    for (l, items) in &draft.lists {
        let list = &r.lists[*l];
        rows::delete(tx, list.table, std::slice::from_ref(&parent)).await?;
        for (position, item) in items.iter().enumerate() {
            let [p, pos, col] = list_columns(list);
            let values = [(p, Value::from(key)), (pos, Value::Int(position as i64)), (col, Value::from(item.as_str()))];
            rows::insert(tx, list.table, &values, None).await?;
        }
    }
    Ok(())
}

/// Names the items that refer to `key` of `r` (by `exists`, by destination, or, for a
/// tenant, by belonging to it), as "extensions 1001 (dvrvmail)".
async fn referrers(tx: &mut WriteTx, r: &Resource, key: &str) -> Result<Vec<String>> {
    let mut users = Vec::new();
    let mut add = |resource: &str, item: String, field: &str| {
        if users.len() < 20 {
            users.push(format!("{resource} {item} ({field})"));
        }
    };
    for other in RESOURCES {
        let other_key = Column::text(other.key_name());
        let key_column = if matches!(other.key, KeySpec::Serial { .. }) { Column::int("id") } else { other_key };
        for field in other.fields {
            let refers = field.refers_to() == Some(r.name)
                || (field.class_column().is_some() && r.routable.is_some())
                || (r.tenancy == Tenancy::IsTenant && other.tenancy == Tenancy::Owned && field.name == "cluster");
            if !refers {
                continue;
            }
            let found = rows::select(tx, other.table, &[key_column], &[(field.name, Value::from(key))], &[], Page { limit: Some(20), offset: 0 }).await?;
            for row in found {
                let item = row.first().and_then(|(_, v)| v.as_text()).unwrap_or_default();
                if !(other.name == r.name && item == key) {
                    add(other.name, item, field.name);
                }
            }
        }
        for group in other.slots {
            for field in group.fields {
                let refers = field.refers_to() == Some(r.name) || (field.class_column().is_some() && r.routable.is_some());
                if !refers {
                    continue;
                }
                let columns = [Column::text("parent"), Column::int("slot")];
                let found = rows::select(tx, group.table, &columns, &[(field.name, Value::from(key))], &[], Page { limit: Some(20), offset: 0 }).await?;
                for row in found {
                    let parent = text_of(&row, "parent").unwrap_or_default();
                    let slot = text_of(&row, "slot").unwrap_or_default();
                    // A menu key that repeats its own menu does not keep the menu alive.
                    if !(other.name == r.name && parent == key) {
                        add(other.name, parent, &format!("{}{slot}", field.name));
                    }
                }
            }
        }
    }
    match (r.tenancy, r.name) {
        (Tenancy::IsTenant, _) => {
            for (table, column) in [("greetings", "cluster"), ("api_keys", "tenant")] {
                let n = rows::count(tx, table, &[(column, Value::from(key))]).await?;
                if n > 0 {
                    users.push(format!("{n} {table}"));
                }
            }
        }
        (_, "cosrules") => {
            for table in ["cosopens", "coscloses"] {
                let found = rows::select(tx, table, &[Column::text("IPphone_pkey")], &[("COS_pkey", Value::from(key))], &[], Page { limit: Some(20), offset: 0 }).await?;
                for row in found {
                    users.push(format!("{table} {}", row.first().and_then(|(_, v)| v.as_text()).unwrap_or_default()));
                }
            }
        }
        _ => {}
    }
    Ok(users)
}

/// Reads and renders the item `key` of `r` through `conn` (for the extra endpoints).
pub(crate) async fn render_one<C: Conn + ?Sized>(conn: &mut C, r: &Resource, key: &str) -> Result<(Record, Json)> {
    let record = load(conn, r, key).await?;
    let json = read_back(conn, r, &record).await?;
    Ok((record, json))
}

/// Scope check for the extra endpoints.
pub(crate) fn ensure_scope(r: &Resource, actor: &Actor, record: &Record) -> Result<()> {
    check_scope(r, actor, record)
}

/// A text value of a loaded record.
pub(crate) fn record_text(record: &Record, name: &str) -> Option<String> {
    text_of(record, name)
}
