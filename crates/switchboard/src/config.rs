//! Configuration: built-in defaults, overridden by the TOML file (`--config`), overridden
//! by flags and their environment variables.

use anyhow::{Context, Result};
use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags (and environment variables) shared by every command that opens the store.
#[derive(Debug, Clone, Args)]
pub struct StoreFlags {
    /// Data directory (database, greetings, recordings).
    #[arg(long, env = "SWITCHBOARD_DATA")]
    pub data: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://... (default: SQLite in the data directory).
    #[arg(long, env = "SWITCHBOARD_DATABASE")]
    pub database: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Flags of `switchboard serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeFlags {
    #[command(flatten)]
    pub store: StoreFlags,
    /// HTTP listen address for /api, /ari and /healthz.
    #[arg(long, env = "SWITCHBOARD_HTTP")]
    pub http: Option<SocketAddr>,
    /// SIP listen address (UDP and TCP).
    #[arg(long, env = "SWITCHBOARD_SIP")]
    pub sip: Option<SocketAddr>,
    /// Seed a demo tenant and extensions 1001-1003, printing their SIP passwords once.
    #[arg(long, env = "SWITCHBOARD_DEMO")]
    pub demo: bool,
}

/// The configuration file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    database: Option<String>,
    http: Option<SocketAddr>,
    sip: Option<SocketAddr>,
    demo: Option<bool>,
    #[serde(default)]
    api: ApiSection,
    #[serde(default)]
    throttle: ThrottleSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSection {
    #[serde(default)]
    cors_origins: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleSection {
    max_failures: Option<u32>,
    window_secs: Option<u64>,
    ban_secs: Option<u64>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory.
    pub data: PathBuf,
    /// Database URL.
    pub database: String,
    /// HTTP listen address.
    pub http: SocketAddr,
    /// SIP listen address (taken by the SIP layer).
    pub sip: SocketAddr,
    /// Whether to seed demo data.
    pub demo: bool,
    /// CORS origins (empty: CORS off).
    pub cors_origins: Vec<String>,
    /// Brute-force throttling of API authentication.
    pub throttle: sb_api::ThrottlePolicy,
}

fn read_file(path: Option<&Path>) -> Result<FileConfig> {
    let Some(path) = path else { return Ok(FileConfig::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

impl Config {
    /// Resolves the configuration of `switchboard serve`.
    pub fn for_serve(flags: &ServeFlags) -> Result<Config> {
        let file = read_file(flags.store.config.as_deref())?;
        let mut config = Config::resolve(&flags.store, &file);
        config.http = flags.http.or(file.http).unwrap_or_else(|| "127.0.0.1:8088".parse().expect("valid default"));
        config.sip = flags.sip.or(file.sip).unwrap_or_else(|| "127.0.0.1:5060".parse().expect("valid default"));
        config.demo = flags.demo || file.demo.unwrap_or(false);
        Ok(config)
    }

    /// Resolves the store part only (for `switchboard keys`).
    pub fn for_store(flags: &StoreFlags) -> Result<Config> {
        let file = read_file(flags.config.as_deref())?;
        Ok(Config::resolve(flags, &file))
    }

    fn resolve(flags: &StoreFlags, file: &FileConfig) -> Config {
        let data = flags.data.clone().or_else(|| file.data.clone()).unwrap_or_else(|| PathBuf::from("./data"));
        let database = flags
            .database
            .clone()
            .or_else(|| file.database.clone())
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data.join("switchboard.db").display()));
        let defaults = sb_api::ThrottlePolicy::default();
        let throttle = sb_api::ThrottlePolicy {
            max_failures: file.throttle.max_failures.unwrap_or(defaults.max_failures).max(1),
            window: file.throttle.window_secs.map_or(defaults.window, Duration::from_secs),
            ban: file.throttle.ban_secs.map_or(defaults.ban, Duration::from_secs),
            max_tracked: defaults.max_tracked,
        };
        Config {
            data,
            database,
            http: "127.0.0.1:8088".parse().expect("valid default"),
            sip: "127.0.0.1:5060".parse().expect("valid default"),
            demo: false,
            cors_origins: file.api.cors_origins.clone(),
            throttle,
        }
    }

    /// Where greeting files are kept.
    pub fn greetings_dir(&self) -> PathBuf {
        self.data.join("greetings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_and_flags_override_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../switchboard.example.toml");
        let flags = ServeFlags {
            store: StoreFlags { data: Some("/tmp/elsewhere".into()), database: None, config: Some(path) },
            http: None,
            sip: Some("127.0.0.1:5070".parse().unwrap()),
            demo: false,
        };
        let config = Config::for_serve(&flags).unwrap();
        assert_eq!(config.data, PathBuf::from("/tmp/elsewhere"), "flag beats file");
        assert_eq!(config.http, "127.0.0.1:8088".parse().unwrap(), "file value");
        assert_eq!(config.sip, "127.0.0.1:5070".parse().unwrap());
        assert!(config.database.starts_with("sqlite:///tmp/elsewhere/"), "default follows the data dir");
        assert_eq!(config.throttle.max_failures, 10);
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        let file: Result<FileConfig, _> = toml::from_str("htp = \"127.0.0.1:1\"");
        assert!(file.is_err());
    }
}
