//! The operations' handlers, bound to the route table by (resource, nickname). Each
//! resource's file has a `bind` that names a handler for every nickname its api-doc
//! declares; a test checks that the two stay in step.

mod applications;
mod asterisk;
mod bridges;
mod channels;
mod device_states;
mod endpoints;
mod events;
mod mailboxes;
mod playbacks;
mod recordings_live;
mod recordings_stored;
mod sight;
mod sounds;
mod stasis_errors;
mod variables;

use crate::access::Grant;
use crate::error::AriError;
use crate::params::{Params, RawParams};
use crate::state::AriState;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// One request as a handler sees it.
pub struct Call {
    /// The checked parameters (path, query, body).
    pub params: Params,
    /// The WebSocket upgrade, for `GET /events`.
    pub upgrade: Option<WebSocketUpgrade>,
    /// What the request may do and see.
    pub grant: Grant,
    /// The query string as sent, unchecked: for the opt-ins beyond Asterisk that read a
    /// parameter the route table (Asterisk's api-docs) does not declare (`replay_since`).
    pub query: RawParams,
}

/// A success.
pub enum Reply {
    /// 200 with a body, serialised already (straight from the models: building a
    /// `serde_json::Value` first doubled the cost of large lists).
    Json(String),
    /// 201 with a body and where the new object lives.
    Created {
        /// The `Location` (`/ari/playbacks/{id}`).
        location: String,
        /// The new object, serialised.
        body: String,
    },
    /// 204, for `void` operations.
    NoContent,
    /// 202 with no body: taken on, carried out later (`sendMessage`, as Asterisk answers it).
    Accepted,
    /// 200 with a file's bytes (`getStoredFile`).
    File {
        /// Its `Content-Type` (`audio/wav`).
        content_type: &'static str,
        /// Its contents.
        bytes: Vec<u8>,
    },
    /// The WebSocket handshake's answer.
    Upgrade(Response),
}

impl Reply {
    /// 200 with `value` serialised.
    pub fn json(value: impl Serialize) -> Reply {
        Reply::Json(serialised(value))
    }

    /// 201 with `value` serialised, living at `location`.
    pub fn created(location: String, value: impl Serialize) -> Reply {
        Reply::Created { location, body: serialised(value) }
    }
}

/// `value` as JSON text (`null` if it cannot be: the models always can).
fn serialised(value: impl Serialize) -> String {
    serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned())
}

/// Runs blocking file work (listing, reading, copying) off the async runtime's threads.
pub(crate) async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AriError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| AriError::internal("Internal Server Error"))
}

/// What a handler returns.
pub type Outcome = Pin<Box<dyn Future<Output = Result<Reply, AriError>> + Send>>;

/// A handler.
pub type Handler = fn(AriState, Call) -> Outcome;

/// The handler of operation `nickname` of api-doc `resource`.
pub fn bind(resource: &str, nickname: &str) -> Option<Handler> {
    match resource {
        "asterisk" => asterisk::bind(nickname),
        "applications" => applications::bind(nickname),
        "deviceStates" => device_states::bind(nickname),
        "events" => events::bind(nickname),
        "channels" => channels::bind(nickname),
        "bridges" => bridges::bind(nickname),
        "endpoints" => endpoints::bind(nickname),
        "recordings" => recordings_live::bind(nickname).or_else(|| recordings_stored::bind(nickname)),
        "sounds" => sounds::bind(nickname),
        "playbacks" => playbacks::bind(nickname),
        "mailboxes" => mailboxes::bind(nickname),
        _ => None,
    }
}

/// Turns an `async fn(AriState, Call)` into a [`Handler`].
macro_rules! handler {
    ($f:path) => {
        Some(|state, call| Box::pin($f(state, call)) as crate::handlers::Outcome)
    };
}
pub(crate) use handler;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    #[test]
    fn every_operation_of_the_table_has_a_handler() {
        for resource in spec::RESOURCES {
            for (api, op) in resource.operations() {
                assert!(bind(resource.name, op.nickname).is_some(), "{} {} {}", resource.name, op.nickname, api.path);
            }
        }
    }

    #[test]
    fn every_binding_names_an_operation_of_the_table() {
        let nicknames = ["list", "get", "create", "originate", "nonsense", "play", "subscribe", "ping", "userEvent"];
        for resource in spec::RESOURCES.iter().map(|r| r.name).chain(["nowhere"]) {
            for nickname in nicknames {
                let declared =
                    spec::resource(resource).is_some_and(|r| r.operations().any(|(_, op)| op.nickname == nickname));
                assert_eq!(bind(resource, nickname).is_some(), declared, "{resource} {nickname}");
            }
        }
    }
}
