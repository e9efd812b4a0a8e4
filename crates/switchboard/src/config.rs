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
    /// Listen address of the CRM bridge (salara's JSON API).
    #[arg(long, env = "SWITCHBOARD_CRM")]
    pub crm: Option<SocketAddr>,
    /// UDP port range of the media relay, START-END (default 10000-20000).
    #[arg(long, env = "SWITCHBOARD_RTP_PORTS", value_parser = parse_port_range)]
    pub rtp_ports: Option<(u16, u16)>,
    /// Folder of sound prompts, with language subfolders (Debian's asterisk-core-sounds-*
    /// install to /usr/share/asterisk/sounds, the default).
    #[arg(long, env = "SWITCHBOARD_SOUNDS")]
    pub sounds: Option<PathBuf>,
    /// Folder of music-on-hold classes: one subfolder of sound files per class, and
    /// `tenants/<tenant>/<class>/` for a tenant's own (default /usr/share/asterisk/moh,
    /// where Debian's asterisk-moh-opsound-* install).
    #[arg(long, env = "SWITCHBOARD_MOH")]
    pub moh: Option<PathBuf>,
    /// Seed a demo tenant and extensions 1001-1003, printing their SIP passwords once, and
    /// answer the demo numbers (600 echo, 601 hello-world, 602 conference).
    #[arg(long, env = "SWITCHBOARD_DEMO")]
    pub demo: bool,
    /// Allow webhooks to loopback and private addresses (refused by default: SSRF guard).
    #[arg(long, env = "SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,
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
    #[serde(default)]
    sip_auth: SipAuthSection,
    #[serde(default)]
    media: MediaSection,
    #[serde(default)]
    demo_numbers: DemoNumbers,
    #[serde(default)]
    crm: CrmSection,
    #[serde(default)]
    webhooks: WebhooksSection,
    #[serde(default)]
    ari: AriSection,
}

/// `[ari]`: ARI's users, as Asterisk's `ari.conf` declares them (`[ari.users.NAME]`), and
/// the opt-ins beyond Asterisk (all off by default, so ARI answers as Asterisk does).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AriSection {
    #[serde(default)]
    users: std::collections::BTreeMap<String, AriUserSection>,
    /// Accept the provisioning API's keys too (`Bearer sb_…` or `?api_key=sb_…`).
    #[serde(default)]
    api_keys: bool,
    /// Number events and keep this many seconds of them for sockets that reconnect (0: off).
    #[serde(default)]
    event_replay_seconds: u64,
}

/// `[ari.users.NAME]`: one ARI user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AriUserSection {
    /// Plain text, as `ari.conf`'s `password_format=plain`.
    password: String,
    #[serde(default)]
    read_only: bool,
    /// The only applications the user may use (absent: every one, as Asterisk).
    applications: Option<Vec<String>>,
}

impl AriSection {
    /// The file's users, then those of `SWITCHBOARD_ARI_USERS` (`user:password,...`), which
    /// replace file users of the same name.
    fn users(&self, env: Option<&str>) -> Result<Vec<sb_ari::AriUser>> {
        let mut users = Vec::new();
        for (name, user) in &self.users {
            anyhow::ensure!(!name.is_empty() && !user.password.is_empty(), "[ari.users.{name}] needs a password");
            let scope = match &user.applications {
                Some(apps) => sb_ari::Scope::Apps(apps.iter().cloned().collect()),
                None => sb_ari::Scope::Any,
            };
            users.push(sb_ari::AriUser {
                name: name.clone(),
                password: user.password.clone(),
                read_only: user.read_only,
                scope,
            });
        }
        if let Some(text) = env {
            users.extend(sb_ari::parse_user_list(text).context("SWITCHBOARD_ARI_USERS")?);
        }
        Ok(users)
    }

    /// The event replay policy, when `event_replay_seconds` is set.
    fn replay(&self) -> Option<sb_ari::ReplayPolicy> {
        (self.event_replay_seconds > 0)
            .then(|| sb_ari::ReplayPolicy::new(Duration::from_secs(self.event_replay_seconds)))
    }
}

/// `[crm]`: the CRM bridge's listener and credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrmSection {
    listen: Option<SocketAddr>,
    /// A shared secret accepted as a bearer token (also `SWITCHBOARD_CRM_SECRET`).
    secret: Option<String>,
    /// salara's mode: loopback clients need no credentials (only with a loopback listener).
    #[serde(default)]
    anonymous_loopback: bool,
    /// How long an operator's phones ring on click-to-call, in seconds (salara's
    /// `timeout_makecall`).
    makecall_timeout: Option<u64>,
    /// The CRM routing lookup of inbound routes to `CRM` (salara's `dest_url`).
    lookup_url: Option<String>,
    /// The answer's key naming the extension (salara's `key_word`).
    lookup_key: Option<String>,
    /// The longest wait for the answer, in milliseconds (default 3000, at most 10000).
    lookup_timeout_ms: Option<u64>,
    /// Where the call goes when the lookup names no usable extension.
    lookup_fallback: Option<String>,
}

impl CrmSection {
    /// The CRM routing lookup these keys configure, if `lookup_url` is set.
    fn lookup(&self) -> Result<Option<sb_core::pbx::CrmRouting>> {
        let Some(url) = &self.lookup_url else { return Ok(None) };
        let timeout = Duration::from_millis(self.lookup_timeout_ms.unwrap_or(3000));
        anyhow::ensure!((1..=10_000).contains(&timeout.as_millis()), "[crm] lookup_timeout_ms must be from 1 to 10000");
        if let Some(fallback) = &self.lookup_fallback {
            let extension =
                !fallback.is_empty() && fallback.len() <= 10 && fallback.bytes().all(|b| b.is_ascii_digit());
            anyhow::ensure!(
                extension || fallback == sb_core::provisioning::destination::HANGUP,
                "[crm] lookup_fallback must be an extension number or Hangup"
            );
        }
        let key = self.lookup_key.as_deref().unwrap_or(sb_crm::lookup::DEFAULT_LOOKUP_KEY);
        anyhow::ensure!(!key.is_empty(), "[crm] lookup_key must not be empty");
        let client = sb_crm::lookup::CrmLookup::new(url, key, timeout).context("[crm] lookup_url")?;
        Ok(Some(sb_core::pbx::CrmRouting {
            lookup: std::sync::Arc::new(client),
            timeout,
            fallback: self.lookup_fallback.clone(),
        }))
    }
}

/// `[webhooks]`: where webhooks may go, their timeouts and their retry schedule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhooksSection {
    allow_private: Option<bool>,
    connect_timeout_secs: Option<u64>,
    timeout_secs: Option<u64>,
    retry_first_ms: Option<u64>,
    retry_max_secs: Option<u64>,
    give_up_after_secs: Option<u64>,
    concurrency: Option<usize>,
    retention_days: Option<u64>,
}

impl WebhooksSection {
    /// The delivery settings, defaults for what the file leaves out.
    fn resolve(&self, allow_private_flag: bool) -> Result<sb_crm::webhooks::WebhookConfig> {
        let defaults = sb_crm::webhooks::WebhookConfig::default();
        let secs = |value: Option<u64>, default: Duration| value.map_or(default, Duration::from_secs);
        let config = sb_crm::webhooks::WebhookConfig {
            addresses: sb_crm::webhooks::address_policy::AddressPolicy {
                allow_private: allow_private_flag || self.allow_private.unwrap_or(false),
            },
            retry: sb_crm::webhooks::retry::RetryPolicy {
                first: self.retry_first_ms.map_or(defaults.retry.first, Duration::from_millis),
                max: secs(self.retry_max_secs, defaults.retry.max),
                give_up_after: secs(self.give_up_after_secs, defaults.retry.give_up_after),
            },
            connect_timeout: secs(self.connect_timeout_secs, defaults.connect_timeout),
            timeout: secs(self.timeout_secs, defaults.timeout),
            concurrency: self.concurrency.unwrap_or(defaults.concurrency),
            retention: self.retention_days.map_or(defaults.retention, |days| Duration::from_secs(days * 86_400)),
        };
        let r = &config.retry;
        anyhow::ensure!(
            !r.first.is_zero() && r.first <= r.max,
            "[webhooks] retry_first_ms must be above 0 and at most retry_max_secs"
        );
        anyhow::ensure!(!r.give_up_after.is_zero(), "[webhooks] give_up_after_secs must be above 0");
        anyhow::ensure!(
            !config.connect_timeout.is_zero() && config.connect_timeout <= config.timeout,
            "[webhooks] connect_timeout_secs must be above 0 and at most timeout_secs"
        );
        anyhow::ensure!((1..=1024).contains(&config.concurrency), "[webhooks] concurrency must be from 1 to 1024");
        anyhow::ensure!(
            self.retention_days.is_none_or(|days| (1..=3650).contains(&days)),
            "[webhooks] retention_days must be from 1 to 3650"
        );
        Ok(config)
    }
}

/// `[demo_numbers]`: the numbers of the demo applications (with `demo`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DemoNumbers {
    /// The echo test.
    pub echo: String,
    /// The playback of `playback_sound`, after which the PBX hangs up.
    pub playback: String,
    /// What the playback number plays: a sound name as ARI's `sound:` takes it.
    pub playback_sound: String,
    /// The conference room.
    pub conference: String,
    /// A block of numbers `START-END`, each its own conference room (as Asterisk's
    /// `exten => _7XXX,1,ConfBridge(${EXTEN})`); none by default.
    pub conference_rooms: Option<String>,
}

impl Default for DemoNumbers {
    fn default() -> Self {
        DemoNumbers {
            echo: "600".into(),
            playback: "601".into(),
            playback_sound: "hello-world".into(),
            conference: "602".into(),
            conference_rooms: None,
        }
    }
}

impl DemoNumbers {
    /// The numbers these settings answer, or why they cannot be used: numbers that are not
    /// 1 to 10 digits, a bad sound name, a bad room range, or a number answered twice.
    pub fn applications(&self) -> Result<sb_core::pbx::Applications> {
        let numbers = [&self.echo, &self.playback, &self.conference];
        let digits = numbers.iter().all(|n| !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()));
        anyhow::ensure!(digits, "[demo_numbers] echo, playback and conference must be numbers of 1 to 10 digits");
        sb_media::sound::check_name(&self.playback_sound).context("[demo_numbers] playback_sound")?;
        let mut apps =
            sb_core::pbx::Applications::demo(&self.echo, &self.playback, &self.playback_sound, &self.conference)
                .context("[demo_numbers] must be different numbers")?;
        if let Some(rooms) = &self.conference_rooms {
            let range = rooms.parse().context("[demo_numbers] conference_rooms")?;
            apps.insert_range(range, sb_core::pbx::Application::Conference)
                .context("[demo_numbers] conference_rooms")?;
        }
        Ok(apps)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSection {
    #[serde(default)]
    cors_origins: Vec<String>,
}

/// `[media]`: the relay's ports.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaSection {
    rtp_ports: Option<String>,
    sounds: Option<PathBuf>,
    moh: Option<PathBuf>,
}

/// `[sip_auth]`: the digest realm and the bans after failed SIP authentication.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SipAuthSection {
    realm: Option<String>,
    algorithms: Option<Vec<String>>,
    max_failures: Option<u32>,
    window_secs: Option<u64>,
    ban_secs: Option<u64>,
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
    /// CRM bridge listen address.
    pub crm: SocketAddr,
    /// The CRM bridge's shared secret and anonymous-loopback allowance.
    pub crm_options: sb_crm::listener::CrmOptions,
    /// Whether to seed demo data and answer the demo numbers.
    pub demo: bool,
    /// The numbers the PBX answers itself (the demo numbers with `demo`, else none).
    pub applications: sb_core::pbx::Applications,
    /// Folder of sound prompts.
    pub sounds: PathBuf,
    /// Folder of music-on-hold classes.
    pub moh: PathBuf,
    /// CORS origins (empty: CORS off).
    pub cors_origins: Vec<String>,
    /// Brute-force throttling of API authentication.
    pub throttle: sb_api::ThrottlePolicy,
    /// The digest realm of SIP authentication.
    pub realm: String,
    /// The digest algorithms challenged with (`MD5`, `SHA-256`), in order.
    pub algorithms: Vec<sb_sip::auth::digest::Algorithm>,
    /// The media relay's UDP port range (inclusive).
    pub rtp_ports: (u16, u16),
    /// Bans after failed SIP authentication.
    pub sip_throttle: sb_api::ThrottlePolicy,
    /// How call-event webhooks are delivered.
    pub webhooks: sb_crm::webhooks::WebhookConfig,
    /// Who may use ARI (none: ARI answers 401 to everything, bar API keys when accepted).
    pub ari_users: Vec<sb_ari::AriUser>,
    /// Whether ARI accepts the provisioning API's keys too.
    pub ari_api_keys: bool,
    /// ARI's event numbering and replay, when on.
    pub ari_replay: Option<sb_ari::ReplayPolicy>,
    /// The CRM routing lookup, when `[crm] lookup_url` is set.
    pub crm_lookup: Option<sb_core::pbx::CrmRouting>,
}

/// Parses `START-END` (inclusive, START below END, at least two ports).
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let (start, end) = text.split_once('-').ok_or_else(|| format!("expected START-END, got {text:?}"))?;
    let start: u16 = start.trim().parse().map_err(|_| format!("bad start port in {text:?}"))?;
    let end: u16 = end.trim().parse().map_err(|_| format!("bad end port in {text:?}"))?;
    if start == 0 || end <= start {
        return Err(format!("port range {text:?} must be START-END with 0 < START < END"));
    }
    Ok((start, end))
}

/// A ban policy from a config section, defaults for what it leaves out.
fn throttle_policy(
    max_failures: Option<u32>,
    window_secs: Option<u64>,
    ban_secs: Option<u64>,
) -> sb_api::ThrottlePolicy {
    let defaults = sb_api::ThrottlePolicy::default();
    sb_api::ThrottlePolicy {
        max_failures: max_failures.unwrap_or(defaults.max_failures).max(1),
        window: window_secs.map_or(defaults.window, Duration::from_secs),
        ban: ban_secs.map_or(defaults.ban, Duration::from_secs),
        max_tracked: defaults.max_tracked,
    }
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
        config.crm = flags.crm.or(file.crm.listen).unwrap_or_else(|| "127.0.0.1:5058".parse().expect("valid default"));
        let secret = std::env::var("SWITCHBOARD_CRM_SECRET").ok().or_else(|| file.crm.secret.clone());
        config.crm_options = sb_crm::listener::CrmOptions {
            secret: secret.filter(|secret| !secret.is_empty()),
            anonymous_loopback: file.crm.anonymous_loopback,
            makecall_ring: file
                .crm
                .makecall_timeout
                .map(std::time::Duration::from_secs)
                .unwrap_or(sb_crm::listener::DEFAULT_MAKECALL_RING),
        };
        config.demo = flags.demo || file.demo.unwrap_or(false);
        // Checked even without `demo`, so a broken section is found before it is switched on.
        let demo_applications = file.demo_numbers.applications()?;
        if config.demo {
            config.applications = demo_applications;
        }
        config.sounds = flags
            .sounds
            .clone()
            .or_else(|| file.media.sounds.clone())
            .unwrap_or_else(|| PathBuf::from("/usr/share/asterisk/sounds"));
        if let Some(moh) = flags.moh.clone().or_else(|| file.media.moh.clone()) {
            config.moh = moh;
        }
        if let Some(names) = &file.sip_auth.algorithms {
            config.algorithms = names
                .iter()
                .map(|name| {
                    sb_sip::auth::digest::Algorithm::from_token(name)
                        .with_context(|| format!("unknown digest algorithm {name:?} (MD5 or SHA-256)"))
                })
                .collect::<Result<_>>()?;
            anyhow::ensure!(!config.algorithms.is_empty(), "[sip_auth] algorithms must name at least one algorithm");
        }
        let realm_ok = !config.realm.is_empty()
            && config.realm.chars().all(|c| (c == ' ' || c.is_ascii_graphic()) && c != '"' && c != '\\');
        anyhow::ensure!(realm_ok, "[sip_auth] realm must be printable ASCII without quotes or backslashes");
        let file_ports =
            file.media.rtp_ports.as_deref().map(parse_port_range).transpose().map_err(anyhow::Error::msg)?;
        config.rtp_ports = flags.rtp_ports.or(file_ports).unwrap_or((10000, 20000));
        config.webhooks = file.webhooks.resolve(flags.webhooks_allow_private)?;
        config.ari_users = file.ari.users(std::env::var("SWITCHBOARD_ARI_USERS").ok().as_deref())?;
        config.ari_api_keys = file.ari.api_keys;
        config.ari_replay = file.ari.replay();
        config.crm_lookup = file.crm.lookup()?;
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
        let throttle = throttle_policy(file.throttle.max_failures, file.throttle.window_secs, file.throttle.ban_secs);
        let sip = &file.sip_auth;
        let sip_throttle = throttle_policy(sip.max_failures, sip.window_secs, sip.ban_secs);
        Config {
            data,
            database,
            http: "127.0.0.1:8088".parse().expect("valid default"),
            sip: "127.0.0.1:5060".parse().expect("valid default"),
            crm: "127.0.0.1:5058".parse().expect("valid default"),
            crm_options: sb_crm::listener::CrmOptions::default(),
            demo: false,
            applications: sb_core::pbx::Applications::none(),
            sounds: PathBuf::from("/usr/share/asterisk/sounds"),
            moh: PathBuf::from(sb_media::engine::DEFAULT_MOH_DIR),
            cors_origins: file.api.cors_origins.clone(),
            throttle,
            realm: sip.realm.clone().unwrap_or_else(|| "switchboard".to_owned()),
            algorithms: sb_core::pbx::PbxConfig::default().algorithms,
            rtp_ports: (10000, 20000),
            sip_throttle,
            webhooks: sb_crm::webhooks::WebhookConfig::default(),
            ari_users: Vec::new(),
            ari_api_keys: false,
            ari_replay: None,
            crm_lookup: None,
        }
    }

    /// The SIP side's settings for the call core.
    pub fn pbx(&self) -> sb_core::pbx::PbxConfig {
        sb_core::pbx::PbxConfig {
            realm: self.realm.clone(),
            algorithms: self.algorithms.clone(),
            throttle: self.sip_throttle,
            applications: self.applications.clone(),
            crm: self.crm_lookup.clone(),
            ..Default::default()
        }
    }

    /// Where recordings are kept (ARI's stored recordings).
    pub fn recordings_dir(&self) -> PathBuf {
        self.data.join("recordings")
    }

    /// Where greeting files are kept.
    pub fn greetings_dir(&self) -> PathBuf {
        self.data.join("greetings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags of `serve --data DATA --config CONFIG [--demo]`, nothing else given.
    fn serve_flags(data: Option<PathBuf>, config: &Path, demo: bool) -> ServeFlags {
        ServeFlags {
            store: StoreFlags { data, database: None, config: Some(config.to_owned()) },
            http: None,
            sip: None,
            crm: None,
            rtp_ports: None,
            sounds: None,
            moh: None,
            demo,
            webhooks_allow_private: false,
        }
    }

    #[test]
    fn the_example_config_parses_and_flags_override_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../switchboard.example.toml");
        let flags = ServeFlags {
            sip: Some("127.0.0.1:5070".parse().unwrap()),
            ..serve_flags(Some("/tmp/elsewhere".into()), &path, false)
        };
        let config = Config::for_serve(&flags).unwrap();
        assert_eq!(config.data, PathBuf::from("/tmp/elsewhere"), "flag beats file");
        assert_eq!(config.http, "127.0.0.1:8088".parse().unwrap(), "file value");
        assert_eq!(config.sip, "127.0.0.1:5070".parse().unwrap());
        assert!(config.database.starts_with("sqlite:///tmp/elsewhere/"), "default follows the data dir");
        assert_eq!(config.throttle.max_failures, 10);
        assert_eq!(config.rtp_ports, (10000, 20000));
        assert_eq!(config.sip_throttle.ban, Duration::from_secs(300));
        assert_eq!(config.realm, "switchboard");
        assert_eq!(config.crm, "127.0.0.1:5058".parse().unwrap());
        assert!(!config.crm_options.anonymous_loopback, "credentials required unless the file says otherwise");
        let webhooks = &config.webhooks;
        assert!(!webhooks.addresses.allow_private, "private targets are refused unless allowed");
        assert_eq!((webhooks.retry.first, webhooks.retry.max), (Duration::from_secs(1), Duration::from_secs(60)));
        assert_eq!(webhooks.retry.give_up_after, Duration::from_secs(86_400));
        assert_eq!((webhooks.connect_timeout, webhooks.timeout), (Duration::from_secs(5), Duration::from_secs(10)));
    }

    #[test]
    fn ari_users_come_from_the_file_and_the_environment_list() {
        let section = |text: &str| toml::from_str::<FileConfig>(text).expect("parses").ari;
        let file =
            section("[ari.users.app]\npassword = \"s3cret\"\n[ari.users.viewer]\npassword = \"v\"\nread_only = true");
        let users = file.users(Some("script:pw")).expect("valid");
        let summary: Vec<_> = users.iter().map(|u| (u.name.as_str(), u.password.as_str(), u.read_only)).collect();
        assert_eq!(summary, vec![("app", "s3cret", false), ("viewer", "v", true), ("script", "pw", false)]);
        assert!(section("[ari.users.x]\npassword = \"\"").users(None).is_err(), "an empty password is refused");
        assert!(file.users(Some("no-password")).is_err(), "a malformed environment entry is refused");
        assert!(toml::from_str::<FileConfig>("[ari.users.x]\npasswd = \"a\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn the_ari_opt_ins_are_off_unless_set() {
        let section = |text: &str| toml::from_str::<FileConfig>(text).expect("parses").ari;
        let plain = section("[ari.users.app]\npassword = \"s\"");
        assert!(!plain.api_keys && plain.replay().is_none());
        assert_eq!(plain.users(Some("script:pw")).expect("valid")[0].scope, sb_ari::Scope::Any);
        let on = section(
            "[ari]\napi_keys = true\nevent_replay_seconds = 30\n[ari.users.bob]\npassword = \"b\"\napplications = [\"sales\", \"demo\"]",
        );
        assert!(on.api_keys);
        assert_eq!(on.replay().map(|p| p.window), Some(Duration::from_secs(30)));
        let users = on.users(Some("script:pw")).expect("valid");
        let sales = sb_ari::Scope::Apps(["demo".to_owned(), "sales".to_owned()].into());
        assert_eq!(
            users.iter().map(|u| (u.name.as_str(), &u.scope)).collect::<Vec<_>>(),
            vec![("bob", &sales), ("script", &sb_ari::Scope::Any)]
        );
    }

    #[test]
    fn the_webhooks_section_is_checked_and_the_flag_allows_private_targets() {
        let section = |text: &str| toml::from_str::<FileConfig>(text).expect("parses").webhooks;
        let tuned =
            section("[webhooks]\nretry_first_ms = 200\nretry_max_secs = 2\ntimeout_secs = 3\nconnect_timeout_secs = 1");
        let config = tuned.resolve(false).expect("valid");
        assert_eq!((config.retry.first, config.retry.max), (Duration::from_millis(200), Duration::from_secs(2)));
        assert!(tuned.resolve(true).expect("valid").addresses.allow_private);
        assert_eq!(config.retention, Duration::from_secs(7 * 86_400), "a week unless configured");
        let kept = section("[webhooks]\nretention_days = 30").resolve(false).expect("valid");
        assert_eq!(kept.retention, Duration::from_secs(30 * 86_400));
        assert!(section("[webhooks]\nallow_private = true").resolve(false).expect("valid").addresses.allow_private);
        for bad in [
            "retry_first_ms = 0",
            "retry_first_ms = 5000\nretry_max_secs = 1",
            "timeout_secs = 1\nconnect_timeout_secs = 2",
            "concurrency = 0",
            "give_up_after_secs = 0",
            "retention_days = 0",
        ] {
            assert!(section(&format!("[webhooks]\n{bad}")).resolve(false).is_err(), "{bad}");
        }
        assert!(toml::from_str::<FileConfig>("[webhooks]\nurl = \"x\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn the_crm_lookup_keys_are_checked() {
        let lookup = |text: &str| toml::from_str::<FileConfig>(text).expect("parses").crm.lookup();
        assert!(lookup("").unwrap().is_none(), "no lookup_url, no lookup");
        let routing = lookup("[crm]\nlookup_url = \"https://crm.example/r?phone=\"\nlookup_fallback = \"1001\"")
            .unwrap()
            .expect("configured");
        assert_eq!((routing.timeout, routing.fallback.as_deref()), (Duration::from_secs(3), Some("1001")));
        for bad in [
            "lookup_url = \"crm.example\"",
            "lookup_url = \"https://crm.example/\"\nlookup_timeout_ms = 0",
            "lookup_url = \"https://crm.example/\"\nlookup_timeout_ms = 10001",
            "lookup_url = \"https://crm.example/\"\nlookup_fallback = \"ivr1\"",
            "lookup_url = \"https://crm.example/\"\nlookup_key = \"\"",
        ] {
            assert!(lookup(&format!("[crm]\n{bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_ranges_must_be_ordered_and_nonzero() {
        assert_eq!(parse_port_range("20000-20999"), Ok((20000, 20999)));
        for bad in ["20000", "0-10", "30-20", "20-20", "a-b", "1-70000"] {
            assert!(parse_port_range(bad).is_err(), "{bad}");
        }
    }

    /// The demo numbers a config file's text asks for.
    fn demo_numbers(toml_text: &str) -> DemoNumbers {
        toml::from_str::<FileConfig>(toml_text).expect("parses").demo_numbers
    }

    #[test]
    fn demo_numbers_default_to_600_602_with_hello_world_and_no_rooms() {
        let apps = demo_numbers("").applications().unwrap();
        assert_eq!(apps.get("601"), Some(&sb_core::pbx::Application::Playback("hello-world".into())));
        assert_eq!(apps.get("602"), Some(&sb_core::pbx::Application::Conference));
        assert_eq!(apps.get("7000"), None);
    }

    #[test]
    fn conference_rooms_answer_every_number_of_their_range_with_its_own_room() {
        let apps = demo_numbers("[demo_numbers]\nconference_rooms = \"7000-7099\"\nplayback_sound = \"demo-congrats\"")
            .applications()
            .unwrap();
        for number in ["7000", "7042", "7099"] {
            assert_eq!(apps.get(number), Some(&sb_core::pbx::Application::Conference), "{number}");
        }
        assert_eq!(apps.get("7100"), None);
        assert_eq!(apps.get("601"), Some(&sb_core::pbx::Application::Playback("demo-congrats".into())));
    }

    #[test]
    fn bad_demo_numbers_are_refused_with_the_key_named() {
        for (section, key) in [
            ("conference_rooms = \"7099-7000\"", "conference_rooms"),
            ("conference_rooms = \"7000\"", "conference_rooms"),
            ("conference_rooms = \"70x0-7099\"", "conference_rooms"),
            ("conference_rooms = \"10000-20000\"", "conference_rooms"),
            ("conference_rooms = \"590-609\"", "conference_rooms"),
            ("playback_sound = \"../../etc/passwd\"", "playback_sound"),
            ("playback_sound = \"\"", "playback_sound"),
            ("echo = \"601\"", "different numbers"),
            ("echo = \"6o0\"", "1 to 10 digits"),
        ] {
            let err = demo_numbers(&format!("[demo_numbers]\n{section}")).applications().unwrap_err();
            assert!(format!("{err:#}").contains(key), "{section}: {err:#}");
        }
    }

    #[test]
    fn the_demo_numbers_are_answered_only_with_demo_but_checked_always() {
        let dir = std::env::temp_dir().join(format!("sb-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rooms.toml");
        let flags = |demo: bool, path: &Path| serve_flags(Some(dir.clone()), path, demo);
        std::fs::write(&path, "[demo_numbers]\nconference_rooms = \"7000-7099\"\n").unwrap();
        let with_demo = Config::for_serve(&flags(true, &path)).unwrap();
        assert_eq!(with_demo.pbx().applications.get("7050"), Some(&sb_core::pbx::Application::Conference));
        assert_eq!(Config::for_serve(&flags(false, &path)).unwrap().pbx().applications.get("7050"), None);
        std::fs::write(&path, "[demo_numbers]\nconference_rooms = \"602-699\"\n").unwrap();
        let err = Config::for_serve(&flags(false, &path)).unwrap_err();
        assert!(format!("{err:#}").contains("602-699 overlaps 602"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        let file: Result<FileConfig, _> = toml::from_str("htp = \"127.0.0.1:1\"");
        assert!(file.is_err());
    }
}
