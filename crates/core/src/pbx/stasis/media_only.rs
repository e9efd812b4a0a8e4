//! Channels of media only, with no SIP at all: up at once, in their application from the
//! start, and hanging one up just closes its media.
//!
//! - External media (ARI's `externalMedia`, Asterisk's `UnicastRTP/<host>:<port>`): the
//!   media channel sends plain RTP to an address the application names and takes what
//!   comes back from it, as a speech recogniser or a media server needs.
//! - Snoop channels (ARI's `snoop`, Asterisk's `Snoop/<id>`): the media channel has no peer
//!   and taps another channel (see the engine's `snoop`): it hears what it spies on, and
//!   what it is sent is whispered. It goes when the channel it snoops on goes.

use super::super::Shared;
use super::channel::{ChannelTask, Driver, Leg, Parts};
use super::event::EventKind;
use super::model::{ChannelSnapshot, Location, Party};
use super::{lock, Stasis, StasisError};
use crate::events::ChannelState;
use sb_media::engine::{MediaChannel, MediaEvent, TapDirection};
use sb_media::sdp::SessionDescription;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The codecs an external media channel can speak (G.711, what the engine carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalCodec {
    /// `ulaw`: PCMU, payload type 0.
    Ulaw,
    /// `alaw`: PCMA, payload type 8.
    Alaw,
}

impl ExternalCodec {
    /// Asterisk's format name (`ulaw`, `alaw`), if it is one of ours.
    pub fn parse(format: &str) -> Option<ExternalCodec> {
        match format.to_ascii_lowercase().as_str() {
            "ulaw" => Some(ExternalCodec::Ulaw),
            "alaw" => Some(ExternalCodec::Alaw),
            _ => None,
        }
    }

    fn payload(self) -> (u8, &'static str) {
        match self {
            ExternalCodec::Ulaw => (0, "PCMU"),
            ExternalCodec::Alaw => (8, "PCMA"),
        }
    }
}

/// What to make.
#[derive(Debug, Clone)]
pub struct ExternalMedia {
    /// The application the channel is in.
    pub app: String,
    /// Where its RTP goes (and whence it is expected).
    pub host: SocketAddr,
    /// The codec.
    pub codec: ExternalCodec,
    /// The id the application chose.
    pub channel_id: Option<String>,
    /// Variables to set on it.
    pub variables: BTreeMap<String, String>,
    /// The application's `data`, shown as the channel's dialplan data.
    pub data: Option<String>,
}

/// A media channel with no peer (a snoop channel's, a bridge recorder's), and the queue
/// of its events. It is never answered, so it sends nothing: its address is a formality.
pub(super) async fn peerless_media(shared: &Shared) -> Result<(MediaChannel, mpsc::Receiver<MediaEvent>), StasisError> {
    let (events_tx, events) = mpsc::channel(64);
    let loopback = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let (media, _) =
        shared.media.channels().offer(loopback, events_tx).await.map_err(|e| StasisError::Failed(e.to_string()))?;
    Ok((media, events))
}

/// What ARI's snoop asks for.
#[derive(Debug, Clone)]
pub struct Snoop {
    /// The application the snoop channel is in.
    pub app: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// What it hears of the channel snooped on.
    pub spy: TapDirection,
    /// Where what it is sent goes.
    pub whisper: TapDirection,
    /// The id the application chose.
    pub snoop_id: Option<String>,
}

/// A media-only channel to start.
struct MediaOnly {
    id: Option<String>,
    /// The name's stem; a random suffix follows, as Asterisk's.
    name: String,
    app: String,
    args: Vec<String>,
    /// What its dialplan location shows as data.
    data: String,
    variables: BTreeMap<String, String>,
}

/// The answer an RTP peer at `host` speaking `codec` would give: what the media channel
/// needs to send to it.
fn answer_from(host: SocketAddr, codec: ExternalCodec) -> Result<SessionDescription, StasisError> {
    let (payload, name) = codec.payload();
    let family = if host.is_ipv4() { "IP4" } else { "IP6" };
    let ip = host.ip();
    let text = format!(
        "v=0\r\no=- 0 0 IN {family} {ip}\r\ns=-\r\nc=IN {family} {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {payload}\r\n\
         a=rtpmap:{payload} {name}/8000\r\na=sendrecv\r\n",
        port = host.port()
    );
    SessionDescription::parse(&text).map_err(|e| StasisError::Failed(format!("external media answer: {e}")))
}

/// The local address packets to `host` leave from (asks the routing table; sends nothing).
fn local_address_towards(host: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if host.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(any).ok()?;
    socket.connect(host).ok()?;
    socket.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_unspecified())
}

impl Stasis {
    /// Makes an external media channel in `request.app`.
    pub async fn external_media(&self, request: ExternalMedia) -> Result<ChannelSnapshot, StasisError> {
        let shared = &self.shared;
        shared.stasis.check_new_channel(&request.app, request.channel_id.as_deref())?;
        let advertise = local_address_towards(request.host)
            .ok_or_else(|| StasisError::BadRequest(format!("No route to external_host {}", request.host)))?;
        let (media_tx, media_events) = mpsc::channel(64);
        let (media, offer_sdp) =
            shared.media.channels().offer(advertise, media_tx).await.map_err(|e| StasisError::Failed(e.to_string()))?;
        let local = SessionDescription::parse(&offer_sdp)
            .ok()
            .and_then(|sdp| sdp.audio_target())
            .ok_or_else(|| StasisError::Failed("the media channel has no local address".into()))?;
        media
            .apply_answer(&answer_from(request.host, request.codec)?)
            .map_err(|e| StasisError::Failed(e.to_string()))?;
        media.set_remote(request.host);

        let mut variables = request.variables;
        variables.insert("UNICASTRTP_LOCAL_ADDRESS".into(), local.ip().to_string());
        variables.insert("UNICASTRTP_LOCAL_PORT".into(), local.port().to_string());
        let channel = MediaOnly {
            id: request.channel_id,
            name: format!("UnicastRTP/{}", request.host),
            app: request.app,
            args: Vec::new(),
            data: request.data.unwrap_or_default(),
            variables,
        };
        self.start_media_only(channel, media, media_events)
    }

    /// Makes a snoop channel on channel `target` in `request.app`.
    pub async fn snoop(&self, target: &str, request: Snoop) -> Result<ChannelSnapshot, StasisError> {
        let shared = &self.shared;
        let target_media = shared.stasis.media_of(target).ok_or(StasisError::ChannelNotFound)?;
        shared.stasis.check_new_channel(&request.app, request.snoop_id.as_deref())?;
        let (media, media_events) = peerless_media(shared).await?;
        media.snoop_on(target_media, request.spy, request.whisper);
        let channel = MediaOnly {
            id: request.snoop_id,
            name: format!("Snoop/{target}"),
            app: request.app,
            args: request.args,
            data: String::new(),
            variables: BTreeMap::new(),
        };
        let snapshot = self.start_media_only(channel, media, media_events)?;
        lock(&shared.stasis.snoops).entry(target.to_owned()).or_default().push(snapshot.id.clone());
        Ok(snapshot)
    }

    /// Registers and runs a media-only channel, in its application from the start.
    fn start_media_only(
        &self,
        channel: MediaOnly,
        media: MediaChannel,
        media_events: mpsc::Receiver<MediaEvent>,
    ) -> Result<ChannelSnapshot, StasisError> {
        let snapshot = ChannelSnapshot {
            id: channel.id.unwrap_or_else(super::bridge::uuid_like),
            name: format!("{}-{:08x}", channel.name, rand::random::<u32>()),
            protocol_id: String::new(),
            state: ChannelState::Up,
            caller: Party::default(),
            connected: Party::default(),
            accountcode: String::new(),
            dialplan: Location { app_name: "AppDial2".into(), app_data: channel.data, ..Location::default() },
            created: time::OffsetDateTime::now_utc(),
            language: "en".into(),
            tenant: String::new(),
            app: None,
            bridge: None,
            variables: channel.variables,
        };
        let mut task = ChannelTask::register(Parts {
            shared: Arc::clone(&self.shared),
            snapshot,
            media,
            media_events,
            leg: Leg::MediaOnly,
            driver: Driver::Stasis { app: channel.app.clone() },
            record: None,
            extension: None,
            call_ids: Vec::new(),
        })?;
        let created = task.snap();
        task.publish(EventKind::ChannelCreated { channel: created, app: Some(channel.app.clone()) });
        task.enter_stasis(&channel.app, channel.args);
        let snapshot = task.snap();
        tokio::spawn(task.run());
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_asterisks_g711_names() {
        assert_eq!(ExternalCodec::parse("ulaw"), Some(ExternalCodec::Ulaw));
        assert_eq!(ExternalCodec::parse("ALAW"), Some(ExternalCodec::Alaw));
        assert_eq!(ExternalCodec::parse("slin16"), None);
    }

    #[test]
    fn the_peer_answer_names_the_host_and_codec() {
        let host: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let answer = answer_from(host, ExternalCodec::Alaw).expect("answer");
        assert_eq!(answer.audio_target(), Some(host));
    }
}
