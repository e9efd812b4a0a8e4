//! `switchboard serve`: opens the store, seeds what is missing, and serves HTTP until
//! SIGINT or SIGTERM.

use crate::config::Config;
use crate::seed;
use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sb_api::{ApiOptions, ApiState, Authenticator, Throttle};
use sb_core::provisioning::Provisioning;
use sb_store::Store;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;

/// Runs the server with `config`.
pub async fn run(config: Config) -> Result<()> {
    let store = seed::open_store(&config).await?;
    tracing::info!(backend = store.backend().name(), "store ready");
    let provisioning = Provisioning::new(store.clone());
    seed::ensure_default_tenant(&provisioning).await?;
    let admin_token = std::env::var("SWITCHBOARD_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    seed::ensure_first_key(&store, admin_token.is_some()).await?;
    if config.demo {
        seed::seed_demo(&provisioning).await?;
    }

    let state = ApiState {
        provisioning,
        auth: Arc::new(Authenticator::new(store.clone(), admin_token.as_deref(), Throttle::new(config.throttle))),
        greetings_dir: config.greetings_dir(),
    };
    let options = ApiOptions { cors_origins: config.cors_origins.clone() };
    let app = Router::new()
        .route("/healthz", get(healthz).with_state(store.clone()))
        .nest("/api", sb_api::router(state, &options))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)));

    let listener = tokio::net::TcpListener::bind(config.http).await.with_context(|| format!("binding HTTP to {}", config.http))?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "HTTP listening");
    // A parseable line for scripts and tests that bind port 0.
    println!("switchboard: http listening on {bound}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn healthz(State(store): State<Store>) -> (StatusCode, Json<serde_json::Value>) {
    match store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok", "store": store.backend().name()}))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
