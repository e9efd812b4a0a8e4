//! `switchboard serve`: opens the store, seeds what is missing, starts the SIP side
//! (transports, endpoint, media relay, call core) and the webhooks, and serves HTTP until
//! SIGINT or SIGTERM; then the webhooks finish what is in flight and write every event
//! published so far to their outbox before the store closes.

use crate::config::Config;
use crate::http_server::{self, HttpLimits};
use crate::seed;
use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sb_api::{ApiOptions, ApiState, Authenticator, Throttle};
use sb_core::events::EventBus;
use sb_core::pbx::Pbx;
use sb_core::provisioning::Provisioning;
use sb_crm::webhooks::Webhooks;
use sb_media::engine::ChannelEngine;
use sb_media::relay::{MediaConfig, MediaEngine, PortRange};
use sb_sip::endpoint::{Endpoint, EndpointConfig};
use sb_sip::transport::{TransportConfig, Transports};
use sb_store::Store;
use serde_json::json;
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

    // Webhooks subscribe before the first call can publish anything.
    let events = EventBus::new();
    let webhooks = Arc::new(Webhooks::start(store.clone(), &events, config.webhooks)?);
    let (pbx, media) = start_sip(&config, store.clone(), events).await?;

    let auth = Arc::new(Authenticator::new(store.clone(), admin_token.as_deref(), Throttle::new(config.throttle)));
    let crm = start_crm(&config, pbx.clone(), Arc::clone(&auth)).await?;
    let state = ApiState { provisioning, auth, greetings_dir: config.greetings_dir() };
    let ari = sb_ari::AriState::new(sb_ari::AriOptions {
        users: config.ari_users.clone(),
        throttle: config.throttle,
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        pbx: Some(pbx.clone()),
        sounds: Some(media.sounds().clone()),
        recordings: Some(media.recordings().clone()),
        store: Some(store.clone()),
        api_keys: config.ari_api_keys,
        replay: config.ari_replay,
        ..Default::default()
    });
    if config.ari_users.is_empty() && !config.ari_api_keys {
        tracing::info!("no ARI users configured ([ari.users.NAME] or SWITCHBOARD_ARI_USERS): ARI answers 401");
    }
    let options = ApiOptions { cors_origins: config.cors_origins.clone() };
    let metrics = Router::new()
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), sb_api::require_key))
        .with_state(Figures { pbx: pbx.clone(), webhooks: Arc::clone(&webhooks) });
    let app = Router::new()
        .route("/healthz", get(healthz).with_state(store.clone()))
        .merge(metrics)
        .nest("/api", sb_api::router(state, &options))
        .nest("/ari", sb_ari::router(ari))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)));

    let listener =
        tokio::net::TcpListener::bind(config.http).await.with_context(|| format!("binding HTTP to {}", config.http))?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "HTTP listening");
    // A parseable line for scripts and tests that bind port 0.
    println!("switchboard: http listening on {bound}");
    http_server::serve(listener, app, HttpLimits::default(), shutdown_signal()).await;
    crm.abort();
    webhooks.shutdown().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Binds the CRM bridge's listener and serves it in the background.
async fn start_crm(config: &Config, pbx: Pbx, auth: Arc<Authenticator>) -> Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(config.crm)
        .await
        .with_context(|| format!("binding the CRM bridge to {}", config.crm))?;
    let bound = listener.local_addr()?;
    let router = sb_crm::listener::router(sb_crm::listener::CrmState::new(pbx, auth, &config.crm_options, bound));
    tracing::info!(%bound, "CRM bridge listening");
    println!("switchboard: crm listening on {bound}");
    Ok(tokio::spawn(http_server::serve(listener, router, HttpLimits::default(), std::future::pending())))
}

/// Binds SIP on UDP and TCP, and starts the endpoint, the media relay and the call core;
/// answers the core and the media engine's terminating side (whose files ARI shows).
async fn start_sip(config: &Config, store: Store, events: EventBus) -> Result<(Pbx, ChannelEngine)> {
    let transport = TransportConfig { listen: vec![config.sip], ..TransportConfig::default() };
    let (transports, received) =
        Transports::bind(transport).await.with_context(|| format!("binding SIP to {}", config.sip))?;
    for addr in transports.local_addrs() {
        tracing::info!(%addr, "SIP listening (UDP and TCP)");
        println!("switchboard: sip listening on {addr}");
    }
    let (endpoint, incoming) = Endpoint::start(transports, received, EndpointConfig::default());
    crate::memory::release_after_bursts(endpoint.clone());
    let (start, end) = config.rtp_ports;
    let media = MediaEngine::new(MediaConfig { bind: config.sip.ip(), ports: PortRange { start, end } })
        .with_media_dirs(&config.sounds, config.recordings_dir())
        .with_greetings_dir(config.greetings_dir())
        .with_moh_dir(&config.moh);
    let channels = media.channels().clone();
    let pbx_config = sb_core::pbx::PbxConfig { events, ..config.pbx() };
    let pbx = Pbx::start(endpoint, incoming, store, media, pbx_config).await.context("starting the call core")?;
    Ok((pbx, channels))
}

/// What `/metrics` reports on.
#[derive(Clone)]
struct Figures {
    pbx: Pbx,
    webhooks: Arc<Webhooks>,
}

/// Prometheus text exposition of every figure the node has.
async fn metrics(State(figures): State<Figures>) -> impl axum::response::IntoResponse {
    let mut text = figures.pbx.metrics_text();
    text.push_str(&figures.webhooks.metrics_text().await);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
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
