//! Variables on channels and on bridges: the same four operations on each (get one, set
//! one, get several, set several), written once over what holds them, and the parsing of a
//! `variables` object as Asterisk reads it.

use super::stasis_errors::{ari_error, stasis};
use super::{sight, Call, Reply};
use crate::error::AriError;
use crate::models::{Variable, Variables};
use crate::state::AriState;
use sb_core::pbx::Stasis;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What holds the variables.
#[derive(Debug, Clone, Copy)]
pub(super) enum Holder {
    /// A channel (`channelId`).
    Channel,
    /// A bridge (`bridgeId`).
    Bridge,
}

impl Holder {
    fn id(self, call: &Call) -> &str {
        let name = match self {
            Holder::Channel => "channelId",
            Holder::Bridge => "bridgeId",
        };
        call.params.text(name).unwrap_or_default()
    }

    fn get(self, stasis: &Stasis, id: &str, name: &str) -> Result<Option<String>, AriError> {
        match self {
            Holder::Channel => stasis.variable(id, name),
            Holder::Bridge => stasis.bridge_variable(id, name),
        }
        .map_err(ari_error)
    }

    fn set(self, stasis: &Stasis, id: &str, name: &str, value: &str) -> Result<(), AriError> {
        match self {
            Holder::Channel => stasis.set_variable(id, name, value),
            Holder::Bridge => stasis.set_bridge_variable(id, name, value),
        }
        .map_err(ari_error)
    }

    /// 404 unless the call's grant sees the holder (always, for an unconfined grant).
    fn in_sight(self, state: &AriState, call: &Call) -> Result<(), AriError> {
        match self {
            Holder::Channel => sight::channel(state, call, self.id(call)),
            Holder::Bridge => sight::bridge(state, call, self.id(call)),
        }
    }

    fn exists(self, stasis: &Stasis, id: &str) -> Result<(), AriError> {
        match self {
            Holder::Channel if stasis.channel(id).is_none() => Err(AriError::not_found("Channel not found")),
            Holder::Bridge if stasis.bridge(id).is_none() => Err(AriError::not_found("Bridge not found")),
            _ => Ok(()),
        }
    }
}

fn name(call: &Call) -> Result<&str, AriError> {
    call.params
        .text("variable")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AriError::bad_request("Variable name is required"))
}

/// `GET …/variable`.
pub(super) fn get_one(state: &AriState, call: &Call, holder: Holder) -> Result<Reply, AriError> {
    let name = name(call)?;
    holder.in_sight(state, call)?;
    let value = holder.get(&stasis(state)?, holder.id(call), name)?;
    let value = value.ok_or_else(|| AriError::not_found("Provided variable was not found"))?;
    Ok(Reply::json(Variable { value }))
}

/// `POST …/variable`.
pub(super) fn set_one(state: &AriState, call: &Call, holder: Holder) -> Result<Reply, AriError> {
    let (name, value) = (name(call)?, call.params.text("value").unwrap_or_default());
    holder.in_sight(state, call)?;
    holder.set(&stasis(state)?, holder.id(call), name, value)?;
    Ok(Reply::NoContent)
}

/// `GET …/variables?variables=a,b`: every one must exist.
pub(super) fn get_several(state: &AriState, call: &Call, holder: Holder) -> Result<Reply, AriError> {
    holder.in_sight(state, call)?;
    let stasis = stasis(state)?;
    let mut variables = Map::new();
    for name in call.params.list("variables").unwrap_or_default() {
        let value = holder.get(&stasis, holder.id(call), name)?;
        let value = value.ok_or_else(|| AriError::not_found("Provided variable was not found"))?;
        variables.insert(name.clone(), Value::String(value));
    }
    Ok(Reply::json(Variables { variables }))
}

/// `POST …/variables` with a `variables` object.
pub(super) fn set_several(state: &AriState, call: &Call, holder: Holder) -> Result<Reply, AriError> {
    let stasis = stasis(state)?;
    let values = parse(call)?;
    holder.in_sight(state, call)?;
    holder.exists(&stasis, holder.id(call))?;
    for (name, value) in values {
        holder.set(&stasis, holder.id(call), &name, &value)?;
    }
    Ok(Reply::NoContent)
}

/// The call's `variables` object (`{"name": "value"}`, or `{"name": {"value": …}}`), as text.
pub(super) fn parse(call: &Call) -> Result<BTreeMap<String, String>, AriError> {
    let Some(value) = call.params.json("variables") else { return Ok(BTreeMap::new()) };
    let Some(object) = value.as_object() else {
        return Err(AriError::bad_request("variables must be an object"));
    };
    object
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => Some(text.clone()),
                Value::Object(inner) => inner.get("value").and_then(Value::as_str).map(str::to_owned),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            text.map(|t| (name.clone(), t))
                .ok_or_else(|| AriError::bad_request(format!("Bad value for variable {name}")))
        })
        .collect()
}
