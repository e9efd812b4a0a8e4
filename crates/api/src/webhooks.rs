//! `GET /webhooks/deliveries`: the webhook outbox, newest first, so an operator can see what
//! was delivered, what waits for a retry and why, and what was given up. The webhooks
//! themselves are a catalogue resource (`/webhooks`, in `resources`).

use crate::resources::integer_param;
use crate::{ApiError, ApiState};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use sb_core::provisioning::{Actor, FieldErrors, ProvisionError};
use sb_store::{DeliveryQuery, DeliveryRow, DeliveryState, Page};
use serde_json::{json, Value};
use std::collections::HashMap;

/// How many deliveries one request answers when no limit is given.
pub const DEFAULT_DELIVERIES: i64 = 100;

/// The most deliveries one request answers.
pub const MAX_DELIVERIES: i64 = 1000;

/// The query parameters the endpoint takes.
pub const PARAMETERS: &[&str] = &["webhook", "state", "limit", "offset", "cluster"];

/// Reads the query, naming every bad parameter (unknown ones included) in one 422.
fn delivery_query(params: &HashMap<String, String>, actor: &Actor) -> Result<DeliveryQuery, ApiError> {
    let mut errors = FieldErrors::default();
    for name in params.keys().filter(|name| !PARAMETERS.contains(&name.as_str())) {
        errors.add(name, format!("The {name} parameter is not one of {}.", PARAMETERS.join(", ")));
    }
    let mut number = |name: &str, min: i64, max: i64| integer_param(params, &mut errors, name, min, max);
    let webhook_id = number("webhook", 1, i64::MAX);
    let limit = number("limit", 1, MAX_DELIVERIES).unwrap_or(DEFAULT_DELIVERIES);
    let offset = number("offset", 0, i64::MAX / 2).unwrap_or(0);
    let state = match params.get("state") {
        None => None,
        Some(text) => {
            let state = DeliveryState::parse(text);
            if state.is_none() {
                errors.add("state", "The selected state is invalid (pending, delivered or dead).");
            }
            state
        }
    };
    let wanted = params.get("cluster").filter(|c| !c.is_empty()).cloned();
    let tenant = match (&actor.tenant, wanted) {
        (Some(mine), Some(wanted)) if *mine != wanted => {
            return Err(ProvisionError::Forbidden(format!("This API key is confined to tenant {mine}.")).into())
        }
        (Some(mine), _) => Some(mine.clone()),
        (None, wanted) => wanted,
    };
    let query = DeliveryQuery { webhook_id, state, tenant, page: Page { limit: Some(limit), offset } };
    errors.into_result(query).map_err(|e| ApiError::Provision(e.into()))
}

fn delivery_json(row: DeliveryRow) -> Value {
    let pending = row.state == DeliveryState::Pending.as_str();
    let payload = serde_json::from_str::<Value>(&row.payload).unwrap_or(Value::String(row.payload));
    json!({
        "id": row.id, "event_id": row.event_id, "webhook": row.webhook_id, "cluster": row.cluster,
        "event": row.event, "linkedid": row.call_id, "seq": row.call_seq, "state": row.state,
        "attempts": row.attempts, "created_at": row.created_at,
        "next_attempt_at": if pending { Value::from(row.next_attempt_at) } else { Value::Null },
        "last_attempt_at": row.last_attempt_at, "last_status": row.last_status, "last_error": row.last_error,
        "delivered_at": row.delivered_at, "payload": payload,
    })
}

async fn deliveries(
    State(st): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let query = delivery_query(&params, &actor)?;
    let mut conn = st.provisioning.store().read().await?;
    let rows = conn.deliveries(&query).await?;
    Ok(Json(rows.into_iter().map(delivery_json).collect()))
}

/// The route of the delivery log (the webhooks' CRUD routes come from the catalogue).
pub fn routes() -> Router<ApiState> {
    Router::new().route("/webhooks/deliveries", get(deliveries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::provisioning::Role;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn actor(tenant: Option<&str>) -> Actor {
        Actor { id: "t".into(), role: Role::ReadOnly, tenant: tenant.map(str::to_owned), remote: None }
    }

    fn invalid_fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Provision(ProvisionError::Invalid(e)) => {
                e.to_json().as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
            }
            other => panic!("not a 422: {other:?}"),
        }
    }

    #[test]
    fn the_query_is_read_with_defaults_and_every_bad_parameter_named() {
        let q = delivery_query(&params(&[("state", "dead"), ("webhook", "3")]), &actor(None)).expect("valid");
        assert_eq!(
            (q.state, q.webhook_id, q.page.limit, q.page.offset),
            (Some(DeliveryState::Dead), Some(3), Some(100), 0)
        );
        let err = delivery_query(
            &params(&[("state", "lost"), ("limit", "0"), ("webhook", "x"), ("sort", "id")]),
            &actor(None),
        );
        let mut fields = invalid_fields(err.expect_err("invalid"));
        fields.sort();
        assert_eq!(fields, ["limit", "sort", "state", "webhook"]);
    }

    #[test]
    fn a_confined_key_sees_its_tenant_only() {
        let q = delivery_query(&params(&[]), &actor(Some("acme"))).expect("valid");
        assert_eq!(q.tenant.as_deref(), Some("acme"));
        let other = delivery_query(&params(&[("cluster", "default")]), &actor(Some("acme")));
        assert!(matches!(other, Err(ApiError::Provision(ProvisionError::Forbidden(_)))));
    }
}
