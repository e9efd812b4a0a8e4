//! Calls the PBX answers itself: the applications on numbers any extension can dial (with
//! `--demo`: 600 echo test, 601 hello-world playback, 602 conference room). The caller's
//! INVITE ends here and the media engine is the far end; one task owns the dialog and the
//! media channel, as a B2BUA call owns its two legs.

use super::call::{contact, new_tag, CallInput, CallRegistration};
use super::dispatch::{answer, ALLOW};
use super::record::Record;
use super::Shared;
use crate::cdr::Disposition;
use crate::directory::ExtensionEntry;
use crate::events::ChannelState;
use crate::metrics::Live;
use sb_media::engine::{MediaBridge, MediaChannel, MediaEvent};
use sb_media::relay::MediaError;
use sb_media::sdp::SessionDescription;
use sb_media::sound::uri::MediaUri;
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::ServerRequest;
use sb_sip::message::{self, HeaderName, Method, Reply};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use thiserror::Error;
use tokio::sync::mpsc;

/// What a number answered by the PBX does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Application {
    /// Sends the caller's audio back (Asterisk's `Echo`), until the caller hangs up.
    Echo,
    /// Plays a sound (Asterisk's `Playback`), then hangs up.
    Playback(String),
    /// Puts the caller in a mixing bridge with everyone else who dialled it (`ConfBridge`).
    Conference,
}

impl Application {
    /// The dialplan application a CDR names, and its argument.
    fn cdr_app(&self, number: &str) -> (&'static str, String) {
        match self {
            Application::Echo => ("Echo", String::new()),
            Application::Playback(sound) => ("Playback", sound.clone()),
            Application::Conference => ("ConfBridge", number.to_owned()),
        }
    }
}

/// A block of numbers of one length answered alike, `7000-7099` (as Asterisk's `_70XX`):
/// `start` to `end` inclusive, compared as numbers among the dialled strings of `digits`
/// digits, so `0700-0799` answers `0712` and not `712`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberRange {
    start: u64,
    end: u64,
    digits: usize,
}

/// Why a `START-END` number range was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NumberRangeError {
    /// Not two numbers of 1 to 10 digits around a `-`.
    #[error("{0:?} is not START-END with numbers of 1 to 10 digits")]
    Syntax(String),
    /// The ends have different lengths, so the range would not be one dialling pattern.
    #[error("{0:?}: START and END must have the same number of digits")]
    UnevenLength(String),
    /// END comes before START.
    #[error("{0:?}: START must not be above END")]
    Reversed(String),
    /// More numbers than [`NumberRange::MAX_NUMBERS`].
    #[error("{text:?} holds {count} numbers, at most {max} are allowed", max = NumberRange::MAX_NUMBERS)]
    TooLarge {
        /// The range as given.
        text: String,
        /// How many numbers it holds.
        count: u64,
    },
}

impl NumberRange {
    /// The most numbers a range may hold.
    pub const MAX_NUMBERS: u64 = 10_000;

    /// How many numbers the range holds.
    pub fn count(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Whether the dialled `number` is in the range.
    pub fn contains(&self, number: &str) -> bool {
        number.len() == self.digits
            && number.bytes().all(|b| b.is_ascii_digit())
            && number.parse::<u64>().is_ok_and(|n| (self.start..=self.end).contains(&n))
    }

    /// Whether the two ranges have a number in common.
    fn overlaps(&self, other: &NumberRange) -> bool {
        self.digits == other.digits && self.start <= other.end && other.start <= self.end
    }
}

impl std::str::FromStr for NumberRange {
    type Err = NumberRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || NumberRangeError::Syntax(text.to_owned());
        let (start, end) = text.split_once('-').ok_or_else(syntax)?;
        let (start, end) = (start.trim(), end.trim());
        let number = |part: &str| {
            let digits = !part.is_empty() && part.len() <= 10 && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse::<u64>().ok()).flatten().ok_or_else(syntax)
        };
        let range = NumberRange { start: number(start)?, end: number(end)?, digits: start.len() };
        if start.len() != end.len() {
            return Err(NumberRangeError::UnevenLength(text.to_owned()));
        }
        if range.start > range.end {
            return Err(NumberRangeError::Reversed(text.to_owned()));
        }
        if range.count() > Self::MAX_NUMBERS {
            return Err(NumberRangeError::TooLarge { text: text.to_owned(), count: range.count() });
        }
        Ok(range)
    }
}

impl std::fmt::Display for NumberRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:0w$}-{:0w$}", self.start, self.end, w = self.digits)
    }
}

/// A number or range that would be answered twice.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{new} overlaps {existing}, which the PBX already answers")]
pub struct NumberClash {
    /// The number or range being added.
    pub new: String,
    /// What it collides with.
    pub existing: String,
}

/// The numbers the PBX answers itself, and what each does: single numbers in a map, blocks
/// of numbers as ranges (a handful, searched in turn), so a lookup stays cheap whatever
/// the blocks hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applications {
    by_number: HashMap<String, Application>,
    ranges: Vec<(NumberRange, Application)>,
}

impl Applications {
    /// No numbers answered by the PBX.
    pub fn none() -> Applications {
        Applications::default()
    }

    /// The demo set: an echo test, a playback of `sound` and a conference room.
    pub fn demo(echo: &str, playback: &str, sound: &str, conference: &str) -> Result<Applications, NumberClash> {
        let mut apps = Applications::none();
        apps.insert(echo, Application::Echo)?;
        apps.insert(playback, Application::Playback(sound.into()))?;
        apps.insert(conference, Application::Conference)?;
        Ok(apps)
    }

    /// Answers `number` with `application`, unless something answers it already.
    pub fn insert(&mut self, number: &str, application: Application) -> Result<(), NumberClash> {
        if let Some(existing) = self.owner(number) {
            return Err(NumberClash { new: number.to_owned(), existing });
        }
        self.by_number.insert(number.to_owned(), application);
        Ok(())
    }

    /// Answers every number of `range` with `application` (a conference: a room per
    /// number), unless one of them is answered already.
    pub fn insert_range(&mut self, range: NumberRange, application: Application) -> Result<(), NumberClash> {
        let clash = |existing: String| NumberClash { new: range.to_string(), existing };
        if let Some(number) = self.by_number.keys().find(|number| range.contains(number)) {
            return Err(clash(number.clone()));
        }
        if let Some((other, _)) = self.ranges.iter().find(|(other, _)| other.overlaps(&range)) {
            return Err(clash(other.to_string()));
        }
        self.ranges.push((range, application));
        Ok(())
    }

    /// What `number` does, if the PBX answers it.
    pub fn get(&self, number: &str) -> Option<&Application> {
        self.by_number.get(number).or_else(|| {
            self.ranges.iter().find(|(range, _)| range.contains(number)).map(|(_, application)| application)
        })
    }

    /// The number or range that answers `number` already, if any.
    fn owner(&self, number: &str) -> Option<String> {
        if self.by_number.contains_key(number) {
            return Some(number.to_owned());
        }
        self.ranges.iter().find(|(range, _)| range.contains(number)).map(|(range, _)| range.to_string())
    }
}

/// The conference rooms with someone in them, by number. A room's bridge lives as long as
/// one of its callers holds it.
#[derive(Default)]
pub(crate) struct Rooms {
    rooms: std::sync::Mutex<HashMap<String, Weak<MediaBridge>>>,
}

impl Rooms {
    /// The bridge of room `number`, made if nobody is in it.
    fn enter(&self, shared: &Shared, number: &str) -> Arc<MediaBridge> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.retain(|_, bridge| bridge.strong_count() > 0);
        if let Some(bridge) = rooms.get(number).and_then(Weak::upgrade) {
            return bridge;
        }
        let bridge = Arc::new(shared.media.channels().bridge());
        rooms.insert(number.to_owned(), Arc::downgrade(&bridge));
        bridge
    }
}

/// Answers `incoming` (an authenticated INVITE from `caller` with SDP `offer`) with
/// `application`, and runs it until either side hangs up.
pub(super) async fn run(
    shared: Arc<Shared>,
    incoming: ServerRequest,
    caller: &ExtensionEntry,
    offer: SessionDescription,
    application: Application,
    mut record: Record,
) {
    let (app, data) = application.cdr_app(&record.dst);
    record.lastapp = app;
    record.lastdata = data;
    let (events_tx, mut events) = mpsc::channel(64);
    let advertise = shared.endpoint.local_for(&incoming.peer).map(|a| a.ip()).filter(|ip| !ip.is_unspecified());
    let answered = match advertise {
        Some(ip) => shared.media.channels().answer(&offer, ip, events_tx).await,
        None => {
            tracing::warn!(peer = ?incoming.peer, "no local address to advertise for a local application");
            return record.refuse(&shared, &incoming, 503, "Service Unavailable", Disposition::Congestion, 34).await;
        }
    };
    let (channel, answer_sdp) = match answered {
        Ok(answered) => answered,
        Err(MediaError::NotAcceptable(_)) => {
            return record
                .refuse(&shared, &incoming, 488, "Not Acceptable Here (no common codec)", Disposition::Failed, 58)
                .await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "no media channel for a local application");
            return record.refuse(&shared, &incoming, 503, "Service Unavailable", Disposition::Congestion, 34).await;
        }
    };
    if let Some(target) = offer.audio_target() {
        channel.set_remote(target);
    }
    let call_id = message::call_id(&incoming.request.headers).unwrap_or_default();
    let (inputs_tx, mut inputs) = mpsc::channel(16);
    let _registration = CallRegistration::new(&shared, vec![call_id], inputs_tx);
    let _call = Live::new(&shared.metrics, |m| &m.calls_active);

    let tag = new_tag();
    let our_contact = contact(&shared, &incoming.peer, &record.dst);
    let Some(ok) = Reply::to(&incoming.request, 200, "OK")
        .map(|r| r.tag(&tag).header(HeaderName::Contact, our_contact.clone()).header(HeaderName::Allow, ALLOW))
        .map(|r| r.header(HeaderName::Server, shared.endpoint.product().to_owned()).sdp(answer_sdp.clone()))
        .and_then(|r| r.build())
    else {
        // The 200 cannot be built: end the INVITE transaction rather than leave it pending.
        return record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 31).await;
    };
    let mut dialog = match Dialog::as_uas(&incoming.request, &tag, &our_contact) {
        Ok(dialog) => dialog,
        Err(e) => {
            tracing::debug!(error = %e, "the INVITE cannot form a dialog");
            return record
                .refuse(&shared, &incoming, 400, "Bad Request (cannot form a dialog)", Disposition::Failed, 31)
                .await;
        }
    };
    if let Err(e) = shared.endpoint.respond(&incoming.key, ok).await {
        tracing::debug!(error = %e, "could not answer");
    }
    record.answer = Some(time::OffsetDateTime::now_utc());
    record.publish_caller_state(ChannelState::Up);
    record.publish_application();
    shared.metrics.calls_answered.fetch_add(1, Ordering::Relaxed);
    let _dialog = Live::new(&shared.metrics, |m| &m.dialogs);
    let _line = shared.devices.open(Some(&caller.number), &record.channel, ChannelState::Up);

    let _room = match start(&shared, &channel, &application, &record.dst).await {
        Ok(room) => room,
        Err(e) => {
            tracing::warn!(error = %e, number = %record.dst, "the application could not start; hanging up");
            hang_up(&shared, &mut dialog, &incoming).await;
            return record.end_by_caller(&shared, Disposition::Answered, 16).await;
        }
    };
    tracing::info!(caller = %caller.number, number = %record.dst, app = record.lastapp, "answered by the PBX");

    let hangup_source = loop {
        tokio::select! {
            input = inputs.recv() => match input {
                Some(CallInput::Request(request)) => {
                    if in_dialog(&shared, &mut dialog, &channel, &request, &answer_sdp, &our_contact).await {
                        break record.channel.clone();
                    }
                }
                Some(CallInput::Ack | CallInput::Cancelled(_)) => {}
                None => break record.channel.clone(),
            },
            event = events.recv() => match event {
                Some(MediaEvent::DtmfEnd { digit, .. }) => {
                    tracing::info!(channel = %record.channel, %digit, "DTMF received");
                    shared.metrics.dtmf_received(digit);
                }
                Some(MediaEvent::PlaybackFinished { .. }) if matches!(application, Application::Playback(_)) => {
                    hang_up(&shared, &mut dialog, &incoming).await;
                    break format!("Local/{}", record.dst);
                }
                Some(_) => {}
                None => break record.channel.clone(),
            },
        }
    };
    drop(channel);
    record.finish(&shared, Disposition::Answered, 16, &hangup_source).await;
}

/// Starts `application` on `channel`; a conference answers the room the caller holds.
async fn start(
    shared: &Shared,
    channel: &MediaChannel,
    application: &Application,
    number: &str,
) -> Result<Option<Arc<MediaBridge>>, MediaError> {
    match application {
        Application::Echo => {
            channel.set_echo(true);
            Ok(None)
        }
        Application::Playback(sound) => {
            channel.play("demo", &[MediaUri::Sound(sound.clone())], None).await?;
            Ok(None)
        }
        Application::Conference => {
            let bridge = shared.rooms.enter(shared, number);
            bridge.add(channel);
            Ok(Some(bridge))
        }
    }
}

/// Handles an in-dialog request from the caller; answers whether it ended the call.
async fn in_dialog(
    shared: &Shared,
    dialog: &mut Dialog,
    channel: &MediaChannel,
    request: &ServerRequest,
    answer_sdp: &str,
    our_contact: &str,
) -> bool {
    if dialog.on_request(&request.request).is_err() {
        answer(shared, request, 500, "Server Internal Error (CSeq out of order)").await;
        return false;
    }
    match request.request.method {
        Method::Bye => {
            answer(shared, request, 200, "OK").await;
            true
        }
        Method::Invite | Method::Update => {
            // A re-INVITE (hold, a new address): follow the address, keep our answer.
            let body = String::from_utf8_lossy(request.request.body()).into_owned();
            if let Some(target) = SessionDescription::parse(&body).ok().and_then(|sdp| sdp.audio_target()) {
                if !target.ip().is_unspecified() {
                    channel.set_remote(target);
                }
            }
            let reply = Reply::to(&request.request, 200, "OK")
                .map(|r| r.header(HeaderName::Contact, our_contact.to_owned()).sdp(answer_sdp.to_owned()))
                .and_then(|r| r.build());
            if let Some(reply) = reply {
                let _ = shared.endpoint.respond(&request.key, reply).await;
            }
            false
        }
        _ => {
            answer(shared, request, 200, "OK").await;
            false
        }
    }
}

/// Sends BYE to the caller (the PBX hangs up).
async fn hang_up(shared: &Shared, dialog: &mut Dialog, incoming: &ServerRequest) {
    if let Ok(bye) = dialog.request(Method::Bye, None) {
        if let Err(e) = shared.endpoint.request(bye, incoming.peer).await {
            tracing::debug!(error = %e, "could not send BYE");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> NumberRange {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn a_range_is_two_numbers_of_one_length_in_order() {
        let rooms = range("7000-7099");
        assert_eq!(rooms.count(), 100);
        assert_eq!(rooms.to_string(), "7000-7099");
        assert_eq!(range(" 0700 - 0799 ").to_string(), "0700-0799", "spaces around the ends are allowed");
        assert_eq!(range("5-5").count(), 1);
        assert_eq!(range("0000000000-0000009999").count(), NumberRange::MAX_NUMBERS);
        for bad in
            ["7000", "7000-", "-7099", "70a0-7099", "+7000-7099", "7000-7099-7100", "12345678901-12345678902", ""]
        {
            assert!(matches!(bad.parse::<NumberRange>(), Err(NumberRangeError::Syntax(_))), "{bad:?}");
        }
        assert!(matches!("700-7099".parse::<NumberRange>(), Err(NumberRangeError::UnevenLength(_))));
        assert!(matches!("7099-7000".parse::<NumberRange>(), Err(NumberRangeError::Reversed(_))));
        assert_eq!(
            "10000-20000".parse::<NumberRange>(),
            Err(NumberRangeError::TooLarge { text: "10000-20000".into(), count: 10_001 })
        );
    }

    #[test]
    fn a_range_holds_only_numbers_of_its_length_between_its_ends() {
        let rooms = range("0700-0799");
        for inside in ["0700", "0742", "0799"] {
            assert!(rooms.contains(inside), "{inside}");
        }
        for outside in ["0699", "0800", "700", "742", "00742", "07a2", "+742", "", "-700"] {
            assert!(!rooms.contains(outside), "{outside:?}");
        }
    }

    #[test]
    fn numbers_and_ranges_are_looked_up_and_unknown_numbers_are_not_answered() {
        let mut apps = Applications::demo("600", "601", "demo-congrats", "602").unwrap();
        apps.insert_range(range("7000-7099"), Application::Conference).unwrap();
        assert_eq!(apps.get("600"), Some(&Application::Echo));
        assert_eq!(apps.get("601"), Some(&Application::Playback("demo-congrats".into())));
        assert_eq!(apps.get("602"), Some(&Application::Conference));
        assert_eq!(apps.get("7000"), Some(&Application::Conference));
        assert_eq!(apps.get("7099"), Some(&Application::Conference));
        for unknown in ["603", "7100", "6999", "70000", "1001", ""] {
            assert_eq!(apps.get(unknown), None, "{unknown:?}");
        }
        assert_eq!(Applications::none().get("600"), None);
    }

    #[test]
    fn a_number_is_never_answered_twice() {
        assert_eq!(
            Applications::demo("600", "600", "hello-world", "602"),
            Err(NumberClash { new: "600".into(), existing: "600".into() })
        );
        let mut apps = Applications::demo("600", "601", "hello-world", "7050").unwrap();
        let clash = apps.insert_range(range("7000-7099"), Application::Conference).unwrap_err();
        assert_eq!(clash, NumberClash { new: "7000-7099".into(), existing: "7050".into() });
        apps.insert_range(range("7100-7199"), Application::Conference).unwrap();
        let clash = apps.insert_range(range("7150-7250"), Application::Conference).unwrap_err();
        assert_eq!(clash.existing, "7100-7199");
        assert_eq!(apps.insert("7123", Application::Echo).unwrap_err().existing, "7100-7199");
        apps.insert_range(range("71000-71999"), Application::Conference).expect("another length is another pattern");
        assert_eq!(apps.get("7150"), Some(&Application::Conference), "the refused range changed nothing");
        assert_eq!(apps.get("7200"), None);
    }
}
