//! The endpoints that are not plain resources: extension runtime settings, system globals,
//! destinations, class-of-service links and the audit log.

use crate::body::Fields;
use crate::resources::list_query;
use crate::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, MethodRouter};
use axum::{Extension, Json, Router};
use sb_core::provisioning::{Actor, CosKind};
use sb_store::AuditQuery;
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
        .merge(cos_routes(CosKind::Open))
        .merge(cos_routes(CosKind::Close))
}
