//! What a fresh installation needs before it can be used: the store, the `default`
//! tenant, a first admin key, and (with `--demo`) extensions to register phones with.

use crate::config::Config;
use anyhow::{bail, Context, Result};
use sb_api::ApiKey;
use sb_core::provisioning::catalogue::resource;
use sb_core::provisioning::model::Creator;
use sb_core::provisioning::{Actor, ProvisionError, Provisioning, Role};
use sb_store::rows::{self, Value};
use sb_store::Store;
use serde_json::{json, Map, Value as Json};

/// Opens (and migrates) the configured store, creating the data directory.
pub async fn open_store(config: &Config) -> Result<Store> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating data directory {}", config.data.display()))?;
    Store::open(&config.database).await.with_context(|| {
        format!("opening the {} store", sb_store::Backend::from_url(&config.database).map(|b| b.name()).unwrap_or("?"))
    })
}

/// Creates an API key and answers its token.
pub async fn create_key(store: &Store, role: Role, tenant: Option<String>, label: Option<String>) -> Result<String> {
    if let Some(t) = &tenant {
        let mut conn = store.read().await?;
        if rows::count(&mut conn, "tenants", &[("pkey", Value::from(t.as_str()))]).await? == 0 {
            bail!("no tenant {t}");
        }
    }
    let key = ApiKey::generate(role, tenant, label);
    let mut tx = store.write().await?;
    tx.insert_api_key(&key.record).await?;
    tx.commit().await?;
    Ok(key.token)
}

fn body(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

/// Makes sure the `default` tenant exists.
pub async fn ensure_default_tenant(provisioning: &Provisioning) -> Result<()> {
    let tenants = resource("tenants").context("tenants resource")?;
    let actor = Actor::system("system");
    match provisioning.get(tenants, &actor, "default").await {
        Ok(_) => Ok(()),
        Err(ProvisionError::NotFound(_)) => {
            provisioning
                .create(
                    tenants,
                    &Creator::PLAIN,
                    &actor,
                    &body(json!({"pkey": "default", "description": "Default tenant"})),
                )
                .await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints a first admin key when there is no way in yet.
pub async fn ensure_first_key(store: &Store, admin_token_set: bool) -> Result<()> {
    if admin_token_set {
        return Ok(());
    }
    let live = store.read().await?.live_api_keys().await?;
    if live == 0 {
        let token = create_key(store, Role::Admin, None, Some("first start".into())).await?;
        println!("switchboard: created the first admin API key (shown only now): {token}");
    }
    Ok(())
}

/// The demo's ARI application number: 700 hands the call to application `demo`, as the
/// anchor Asterisk's `exten => 700,1,Stasis(test)`.
const DEMO_STASIS: (&str, &str) = ("700", "Stasis(demo)");

/// Seeds the demo extensions 1001-1003, printing each new SIP password once, and custom app
/// 700 → `Stasis(demo)`.
pub async fn seed_demo(provisioning: &Provisioning) -> Result<()> {
    let extensions = resource("extensions").context("extensions resource")?;
    let creator =
        extensions.creators.iter().find(|c| c.path == Some("unprovisioned")).context("unprovisioned creator")?;
    let actor = Actor::system("demo");
    for number in ["1001", "1002", "1003"] {
        let request = body(json!({"pkey": number, "cluster": "default", "desc": format!("Demo {number}")}));
        match provisioning.create(extensions, creator, &actor, &request).await {
            Ok(created) => {
                let password = created.body.get("passwd").and_then(Json::as_str).unwrap_or_default();
                println!("switchboard: demo extension {number} SIP password: {password}");
            }
            Err(ProvisionError::Conflict(_)) => println!("switchboard: demo extension {number} already exists"),
            Err(e) => return Err(e.into()),
        }
    }
    let apps = resource("customapps").context("customapps resource")?;
    let creator = apps.creators.first().context("customapps creator")?;
    let (number, program) = DEMO_STASIS;
    let request = body(json!({
        "pkey": number, "cluster": "default", "desc": "Demo ARI application", "extcode": program, "span": "Internal"
    }));
    match provisioning.create(apps, creator, &actor, &request).await {
        Ok(_) => println!("switchboard: demo custom app {number} runs {program}"),
        Err(ProvisionError::Conflict(_)) => println!("switchboard: demo custom app {number} already exists"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
