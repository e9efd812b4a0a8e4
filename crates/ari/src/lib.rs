//! Switchboard's ARI: Asterisk 22's REST interface at `/ari`, its events WebSocket and its
//! Swagger 1.1 api-docs, all driven by one route table ([`spec`]) that Switchboard owns.
//!
//! - [`spec`]: the table; [`docs`]: the api-docs generated from it.
//! - [`dispatch`], [`routing`], [`params`], [`auth`], [`error`]: the HTTP conventions;
//!   [`access`]: what an authenticated request may do and see, [`creators`]: who made what.
//! - `handlers`: one file per resource, bound to the table by nickname.
//! - [`apps`], [`events`], [`models`], [`devices`]: applications, what they are sent, and
//!   the state ARI itself owns; [`stasis`]: the call core's channels, bridges and events;
//!   [`replay`]: event sequence numbers and replay.

pub mod access;
pub mod apps;
pub mod auth;
pub mod creators;
pub mod devices;
pub mod dispatch;
pub mod docs;
pub mod error;
pub mod events;
pub mod handlers;
pub mod models;
pub mod params;
pub mod replay;
pub mod routing;
pub mod spec;
pub mod stasis;
pub mod state;

pub use access::{Grant, Scope};
pub use auth::{parse_user_list, AriUser, UsersError};
pub use replay::ReplayPolicy;
pub use state::{AriOptions, AriState};

use axum::routing::any;
use axum::Router;

/// The ARI router, to nest at `/ari`.
pub fn router(state: AriState) -> Router {
    Router::new().route("/", any(dispatch::dispatch)).route("/{*path}", any(dispatch::dispatch)).with_state(state)
}
