//! Switchboard's ARI: Asterisk 22's REST interface at `/ari`, its events WebSocket and its
//! Swagger 1.1 api-docs, all driven by one route table (`spec`) that Switchboard owns.

pub mod auth;
pub mod docs;
pub mod error;
pub mod events;
pub mod models;
pub mod params;
pub mod routing;
pub mod spec;
