//! The endpoints that are not plain resources: extension runtime settings, system globals,
//! destinations, class-of-service links, the audit log and the log views (call detail
//! records).

use crate::body::Fields;
use crate::resources::list_query;
use crate::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, MethodRouter};
use axum::{Extension, Json, Router};
use sb_core::provisioning::{Actor, CosKind, FieldErrors, ProvisionError};
use sb_store::{AuditQuery, CdrRow};
use serde_json::{json, Value};
use std::collections::HashMap;

fn cos_routes(kind: CosKind) -> Router<ApiState> {
    let collection: MethodRouter<ApiState> = get(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>| async move {
        Ok::<_, ApiError>(Json(st.provisioning.cos_links(kind, &actor).await?))
    })
    .post(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Fields(body): Fields| async move {
        Ok::<_, ApiError>(Json(st.provisioning.link_cos(kind, &actor, &body).await?))
    });
    let extension: MethodRouter<ApiState> = get(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(ext): Path<String>| async move {
        Ok::<_, ApiError>(Json(st.provisioning.cos_links_of(kind, &actor, &ext).await?))
    })
    .put(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(ext): Path<String>, Fields(body): Fields| async move {
        Ok::<_, ApiError>(Json(st.provisioning.replace_cos(kind, &actor, &ext, &body).await?))
    })
    .delete(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(ext): Path<String>| async move {
        st.provisioning.unlink_cos(kind, &actor, &ext, None).await?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT)
    });
    let one: MethodRouter<ApiState> =
        axum::routing::delete(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path((ext, cos)): Path<(String, String)>| async move {
            st.provisioning.unlink_cos(kind, &actor, &ext, Some(&cos)).await?;
            Ok::<_, ApiError>(StatusCode::NO_CONTENT)
        });
    let name = kind.name();
    Router::new()
        .route(&format!("/{name}"), collection)
        .route(&format!("/{name}/{{ext}}"), extension)
        .route(&format!("/{name}/{{ext}}/{{cos}}"), one)
}

async fn auditlog(
    State(st): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let list = list_query(&params)?;
    let tenant = match (&actor.tenant, list.cluster) {
        (Some(mine), Some(wanted)) if *mine != wanted => {
            return Err(sb_core::provisioning::ProvisionError::Forbidden(format!("This API key is confined to tenant {mine}.")).into())
        }
        (Some(mine), _) => Some(mine.clone()),
        (None, wanted) => wanted,
    };
    let query = AuditQuery { resource: params.get("resource").cloned(), tenant, page: list.page };
    let mut conn = st.provisioning.store().read().await?;
    let entries = conn.audit_entries(&query).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| {
                json!({
                    "id": e.id, "at": e.at, "actor": e.actor, "remote": e.remote, "action": e.action,
                    "resource": e.resource, "key": e.key, "cluster": e.tenant, "before": e.before, "after": e.after,
                })
            })
            .collect(),
    ))
}

/// How many call records `GET /logs/cdrs` answers when no limit is given.
pub const DEFAULT_CDRS: u32 = 50;

/// The most call records one request answers.
pub const MAX_CDRS: u32 = 1000;

/// The log views `GET /logs` lists. SARK's `LogController@index` lists the logs it can
/// show; Switchboard keeps one, call detail records, so the index names it with a count
/// of what the key may see.
async fn logs(State(st): State<ApiState>, Extension(actor): Extension<Actor>) -> Result<Json<Value>, ApiError> {
    let mut conn = st.provisioning.store().read().await?;
    let cdrs = conn.count_cdrs(actor.tenant.as_deref()).await?;
    Ok(Json(json!({"logs": ["cdrs"], "counts": {"cdrs": cdrs}})))
}

/// Reads a `{limit}` path segment: a whole number from 1 to [`MAX_CDRS`], or a 422.
fn cdr_limit(text: &str) -> Result<u32, ApiError> {
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_CDRS).contains(&n) => Ok(n),
        _ => {
            let message = format!("The limit must be an integer between 1 and {MAX_CDRS}.");
            Err(ProvisionError::Invalid(FieldErrors::one("limit", message)).into())
        }
    }
}

fn cdr_json(row: CdrRow) -> Value {
    let c = row.cdr;
    json!({
        "id": row.id, "uniqueid": c.uniqueid, "linkedid": c.linkedid, "cluster": c.cluster,
        "calldate": c.calldate, "answer": c.answer, "end": c.end,
        "clid": c.clid, "src": c.src, "dst": c.dst, "dcontext": c.dcontext,
        "channel": c.channel, "dstchannel": c.dstchannel, "lastapp": c.lastapp, "lastdata": c.lastdata,
        "duration": c.duration, "billsec": c.billsec, "disposition": c.disposition,
        "hangupcause": c.hangupcause, "hangupsource": c.hangupsource,
        "accountcode": c.accountcode, "userfield": c.userfield,
    })
}

/// SARK's `LogController@showcdr`: the latest call records, newest first; a tenant-scoped
/// key sees only its tenant's.
async fn cdrs(st: &ApiState, actor: &Actor, limit: u32) -> Result<Json<Vec<Value>>, ApiError> {
    let mut conn = st.provisioning.store().read().await?;
    let rows = conn.recent_cdrs(limit, actor.tenant.as_deref()).await?;
    Ok(Json(rows.into_iter().map(cdr_json).collect()))
}

/// The routes of the special endpoints.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route(
            "/extensions/{key}/runtime",
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(key): Path<String>| async move {
                Ok::<_, ApiError>(Json(st.provisioning.runtime(&actor, &key).await?))
            })
            .put(|State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(key): Path<String>, Fields(body): Fields| async move {
                st.provisioning.update_runtime(&actor, &key, &body).await?;
                Ok::<_, ApiError>(StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/sysglobals",
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>| async move {
                Ok::<_, ApiError>(Json(st.provisioning.sysglobals(&actor).await?))
            })
            .put(|State(st): State<ApiState>, Extension(actor): Extension<Actor>, Fields(body): Fields| async move {
                Ok::<_, ApiError>(Json(st.provisioning.update_sysglobals(&actor, &body).await?))
            }),
        )
        .route(
            "/destinations",
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>| async move {
                Ok::<_, ApiError>(Json(st.provisioning.destinations(&actor).await?))
            }),
        )
        .route("/auditlog", get(auditlog))
        .route("/logs", get(logs))
        .route(
            "/logs/cdrs",
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>| async move { cdrs(&st, &actor, DEFAULT_CDRS).await }),
        )
        .route(
            "/logs/cdrs/{limit}",
            // The segment is taken as text so that a bad one is a 422 like any other field.
            get(|State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(limit): Path<String>| async move {
                cdrs(&st, &actor, cdr_limit(&limit)?).await
            }),
        )
        .merge(cos_routes(CosKind::Open))
        .merge(cos_routes(CosKind::Close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cdr_limit_is_a_whole_number_from_one_to_the_maximum() {
        assert_eq!(cdr_limit("1").ok(), Some(1));
        assert_eq!(cdr_limit("1000").ok(), Some(MAX_CDRS));
        for bad in ["0", "1001", "-1", "abc", "", "1.5", " 2", "4294967296"] {
            let err = cdr_limit(bad).expect_err(bad);
            let names_limit = matches!(&err, ApiError::Provision(ProvisionError::Invalid(e)) if e.to_json().get("limit").is_some());
            assert!(names_limit, "{bad:?}: {err:?}");
        }
    }
}
