//! Routes for every catalogue resource, derived from its declaration: list, read, the
//! creators (`POST /extensions/mailbox` ...), partial update and delete.

use crate::body::Fields;
use crate::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Json, Router};
use sb_core::provisioning::catalogue::RESOURCES;
use sb_core::provisioning::model::{Creator, Resource};
use sb_core::provisioning::{Actor, FieldErrors, ListQuery};
use sb_store::Page;
use std::collections::HashMap;

/// Longest key accepted in a path; longer ones cannot exist.
const MAX_KEY_LEN: usize = 128;

/// The most items one list page returns.
pub const MAX_PAGE: i64 = 10_000;

/// The integer query parameter `name`, if given and within `min..=max`; otherwise the
/// error is added to `errors` (Laravel's wording) and the answer is `None`.
pub(crate) fn integer_param(
    params: &HashMap<String, String>,
    errors: &mut FieldErrors,
    name: &str,
    min: i64,
    max: i64,
) -> Option<i64> {
    let text = params.get(name)?;
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.add(name, format!("The {name} must be an integer between {min} and {max}."));
            None
        }
    }
}

/// Reads `?limit=&offset=&cluster=`, refusing values that make no sense.
pub fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
    let mut errors = FieldErrors::default();
    let mut number = |name: &str, min: i64, max: i64| integer_param(params, &mut errors, name, min, max);
    let limit = number("limit", 1, MAX_PAGE);
    let offset = number("offset", 0, i64::MAX / 2).unwrap_or(0);
    let cluster = params.get("cluster").filter(|c| !c.is_empty()).cloned();
    errors.into_result(ListQuery { cluster, page: Page { limit, offset } }).map_err(|e| ApiError::Provision(e.into()))
}

fn checked_key(r: &Resource, key: &str) -> Result<(), ApiError> {
    if key.len() > MAX_KEY_LEN {
        return Err(ApiError::Provision(sb_core::provisioning::ProvisionError::NotFound(format!("No {} with that key.", r.singular))));
    }
    Ok(())
}

fn collection(r: &'static Resource) -> MethodRouter<ApiState> {
    let list = get(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Query(params): Query<HashMap<String, String>>| async move {
        let query = list_query(&params)?;
        Ok::<_, ApiError>(Json(st.provisioning.list(r, &actor, &query).await?))
    });
    match r.creators.iter().find(|c| c.path.is_none()) {
        Some(creator) => list.post(create(r, creator)),
        None => list,
    }
}

fn create(r: &'static Resource, creator: &'static Creator) -> MethodRouter<ApiState> {
    post(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Fields(body): Fields| async move {
        let created = st.provisioning.create(r, creator, &actor, &body).await?;
        let status = StatusCode::from_u16(created.status).unwrap_or(StatusCode::OK);
        Ok::<Response, ApiError>((status, Json(created.body)).into_response())
    })
}

fn item(r: &'static Resource) -> MethodRouter<ApiState> {
    let read = get(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(key): Path<String>| async move {
        checked_key(r, &key)?;
        Ok::<_, ApiError>(Json(st.provisioning.get(r, &actor, &key).await?))
    });
    if !r.writable {
        return read;
    }
    read.put(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(key): Path<String>, Fields(body): Fields| async move {
        checked_key(r, &key)?;
        Ok::<_, ApiError>(Json(st.provisioning.update(r, &actor, &key, &body).await?))
    })
    .delete(move |State(st): State<ApiState>, Extension(actor): Extension<Actor>, Path(key): Path<String>| async move {
        checked_key(r, &key)?;
        st.provisioning.delete(r, &actor, &key).await?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT)
    })
}

/// The routes of every catalogue resource.
pub fn routes() -> Router<ApiState> {
    let mut router = Router::new();
    for r in RESOURCES.iter().copied() {
        router = router.route(&format!("/{}", r.name), collection(r)).route(&format!("/{}/{{key}}", r.name), item(r));
        for creator in r.creators {
            if let Some(path) = creator.path {
                router = router.route(&format!("/{}/{path}", r.name), create(r, creator));
            }
        }
    }
    router
}
