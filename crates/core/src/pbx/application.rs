//! Calls the PBX answers itself: the applications on numbers any extension can dial (with
//! `--demo`: 600 echo test, 601 hello-world playback, 602 conference room). The caller's
//! INVITE ends here and the media engine is the far end; one task owns the dialog and the
//! media channel, as a B2BUA call owns its two legs.

use super::call::{contact, new_tag, CallInput, CallRegistration, Record};
use super::dispatch::{answer, ALLOW};
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

/// The numbers the PBX answers itself, and what each does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applications {
    by_number: HashMap<String, Application>,
}

impl Applications {
    /// No numbers answered by the PBX.
    pub fn none() -> Applications {
        Applications::default()
    }

    /// The demo set: an echo test, a `hello-world` playback and a conference room.
    pub fn demo(echo: &str, playback: &str, conference: &str) -> Applications {
        let mut apps = Applications::none();
        apps.insert(echo, Application::Echo);
        apps.insert(playback, Application::Playback("hello-world".into()));
        apps.insert(conference, Application::Conference);
        apps
    }

    /// Answers `number` with `application` (replacing what it did before).
    pub fn insert(&mut self, number: &str, application: Application) {
        self.by_number.insert(number.to_owned(), application);
    }

    /// What `number` does, if the PBX answers it.
    pub fn get(&self, number: &str) -> Option<&Application> {
        self.by_number.get(number)
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
