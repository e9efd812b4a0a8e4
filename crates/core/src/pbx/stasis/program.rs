//! Calls to a custom app: the caller's INVITE becomes a Stasis channel whose driver is the
//! app's program (`custom_app::Program`), run step by step as Asterisk runs dialplan
//! priorities. `Stasis(app,args)` hands the channel to an application until it leaves
//! (`continue`), then the next step runs; the end of the program hangs up.

use super::super::call::{contact, new_tag};
use super::super::caller::Caller;
use super::super::record::Record;
use super::super::Shared;
use super::channel::{ChannelTask, Driver, Leg, Parts};
use super::command::HangupCause;
use super::model::{ChannelSnapshot, Location, Party};
use crate::cdr::Disposition;
use crate::custom_app::Step;
use crate::events::ChannelState;
use crate::routing::CustomApp;
use sb_media::relay::MediaError;
use sb_media::sdp::SessionDescription;
use sb_media::sound::uri::MediaUri;
use sb_sip::endpoint::ServerRequest;
use sb_sip::message;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the program waits for before its next step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Waiting {
    /// Nothing: the next step may run.
    Nothing,
    /// Playback of this id to end.
    Playback(String),
    /// The channel's timer.
    Timer,
    /// The caller to hang up (`Echo`).
    HangUp,
    /// The channel `Dial()` placed, to end.
    Callee,
}

/// A program being run on a channel.
pub(super) struct Program {
    steps: Vec<Step>,
    next: usize,
    waiting: Waiting,
    /// The application the program handed the channel to, while it has it.
    pub in_stasis: Option<String>,
}

impl Program {
    /// A program about to run its first step.
    pub fn new(steps: Vec<Step>) -> Program {
        Program { steps, next: 0, waiting: Waiting::Nothing, in_stasis: None }
    }

    /// A playback ended.
    pub fn playback_finished(&mut self, id: &str) {
        if self.waiting == Waiting::Playback(id.to_owned()) {
            self.waiting = Waiting::Nothing;
        }
    }

    /// The channel `Dial()` placed is gone (or never rang).
    pub fn callee_ended(&mut self) {
        if self.waiting == Waiting::Callee {
            self.waiting = Waiting::Nothing;
        }
    }

    /// The channel's timer fired.
    pub fn timer_fired(&mut self) {
        if self.waiting == Waiting::Timer {
            self.waiting = Waiting::Nothing;
        }
    }

    /// The next step to run, if the program is not waiting or handed over.
    fn take_step(&mut self) -> Option<Option<(usize, Step)>> {
        if self.in_stasis.is_some() || self.waiting != Waiting::Nothing {
            return None;
        }
        let step = self.steps.get(self.next).cloned().map(|step| (self.next + 1, step));
        self.next += 1;
        Some(step)
    }
}

/// The dialplan application name and data a step shows in the channel's snapshot.
fn shown(step: &Step) -> (&'static str, String) {
    match step {
        Step::Answer { delay } => {
            ("Answer", if delay.is_zero() { String::new() } else { delay.as_millis().to_string() })
        }
        Step::Playback { sounds } => ("Playback", sounds.join("&")),
        Step::Echo => ("Echo", String::new()),
        Step::Wait(duration) => ("Wait", format!("{}", duration.as_secs_f64())),
        Step::Dial { endpoints, timeout } => (
            "Dial",
            match timeout {
                Some(timeout) => format!("{},{}", endpoints.join("&"), timeout.as_secs()),
                None => endpoints.join("&"),
            },
        ),
        Step::Hangup { cause } => ("Hangup", cause.to_string()),
        Step::Stasis { app, args } => {
            ("Stasis", std::iter::once(app.clone()).chain(args.clone()).collect::<Vec<_>>().join(","))
        }
    }
}

impl ChannelTask {
    /// Runs the program's steps until one waits, hands the channel over, or the program ends.
    pub(super) async fn advance(&mut self) {
        loop {
            let Driver::Program(program) = &mut self.driver else { return };
            let Some(next) = program.take_step() else { return };
            let Some((priority, step)) = next else {
                // The end of the program, as the end of a dialplan: hang up.
                return self.hang_up(HangupCause::NORMAL, true).await;
            };
            let (app_name, app_data) = shown(&step);
            self.update(|s| {
                s.dialplan.priority = i64::try_from(priority).unwrap_or(i64::MAX);
                s.dialplan.app_name = app_name.into();
                s.dialplan.app_data = app_data;
            });
            let waiting = match step {
                Step::Answer { delay } => {
                    let _ = self.answer().await;
                    if delay.is_zero() {
                        Waiting::Nothing
                    } else {
                        self.timer = Some(Instant::now() + delay);
                        Waiting::Timer
                    }
                }
                Step::Playback { sounds } => {
                    // Playback answers first, as Asterisk's does without `noanswer`.
                    let _ = self.answer().await;
                    let id = format!("{}:{priority}", self.id());
                    let uris: Vec<MediaUri> = sounds.into_iter().map(MediaUri::Sound).collect();
                    match self.media.play(&id, &uris, None).await {
                        Ok(()) => Waiting::Playback(id),
                        Err(e) => {
                            tracing::info!(error = %e, "custom app playback failed; going on");
                            Waiting::Nothing
                        }
                    }
                }
                Step::Echo => {
                    let _ = self.answer().await;
                    self.media.set_echo(true);
                    Waiting::HangUp
                }
                Step::Wait(duration) => {
                    self.timer = Some(Instant::now() + duration);
                    Waiting::Timer
                }
                Step::Dial { endpoints, timeout } => {
                    if self.dial_out(&endpoints, timeout).await {
                        Waiting::Callee
                    } else {
                        Waiting::Nothing
                    }
                }
                Step::Hangup { cause } => return self.hang_up(HangupCause(cause), true).await,
                Step::Stasis { app, args } => {
                    let entered = self.enter_stasis(&app, args);
                    self.update(|s| {
                        let status = if entered { "SUCCESS" } else { "FAILED" };
                        s.variables.insert("STASISSTATUS".into(), status.into());
                    });
                    Waiting::Nothing
                }
            };
            if let Driver::Program(program) = &mut self.driver {
                program.waiting = waiting;
            }
        }
    }
}

/// Takes a call from `caller` to custom app `app` (the INVITE `incoming` with SDP `offer`)
/// and runs its program until the channel is gone.
pub(in super::super) async fn run_custom_app(
    shared: Arc<Shared>,
    incoming: ServerRequest,
    caller: &Caller,
    offer: SessionDescription,
    app: CustomApp,
    mut record: Record,
) {
    record.lastapp = "Stasis";
    let advertise = shared.endpoint.local_for(&incoming.peer).map(|a| a.ip()).filter(|ip| !ip.is_unspecified());
    let Some(advertise) = advertise else {
        tracing::warn!(peer = ?incoming.peer, "no local address to advertise for a custom app");
        return record.refuse(&shared, &incoming, 503, "Service Unavailable", Disposition::Congestion, 34).await;
    };
    let (media_tx, media_events) = mpsc::channel(64);
    let (media, answer_sdp) = match shared.media.channels().answer(&offer, advertise, media_tx).await {
        Ok(answered) => answered,
        Err(MediaError::NotAcceptable(_)) => {
            let reason = "Not Acceptable Here (no common codec)";
            return record.refuse(&shared, &incoming, 488, reason, Disposition::Failed, 58).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "no media channel for a custom app");
            return record.refuse(&shared, &incoming, 503, "Service Unavailable", Disposition::Congestion, 34).await;
        }
    };
    if let Some(target) = offer.audio_target() {
        media.set_remote(target);
    }
    let call_id = message::call_id(&incoming.request.headers).unwrap_or_default();
    let snapshot = ChannelSnapshot {
        id: record.uniqueid.clone(),
        name: record.channel.clone(),
        protocol_id: call_id.clone(),
        state: ChannelState::Ring,
        caller: Party { name: caller.display.clone().unwrap_or_default(), number: caller.number.clone() },
        connected: Party::default(),
        accountcode: String::new(),
        dialplan: Location { context: app.tenant.clone(), exten: app.name.clone(), priority: 1, ..Location::default() },
        created: time::OffsetDateTime::now_utc(),
        language: "en".into(),
        tenant: app.tenant.clone(),
        app: None,
        bridge: None,
        variables: Default::default(),
    };
    let contact = contact(&shared, &incoming.peer, &app.name);
    let leg = Leg::Offered { invite: Box::new(incoming), tag: new_tag(), answer_sdp, contact };
    let parts = Parts {
        shared: Arc::clone(&shared),
        snapshot,
        media,
        media_events,
        leg,
        driver: Driver::Program(Program::new(app.program.steps)),
        record: Some(record),
        extension: caller.extension.clone(),
        call_ids: vec![call_id],
    };
    match ChannelTask::register(parts) {
        Ok(task) => task.run().await,
        // A uniqueid is never reused; nothing else can be in the way.
        Err(e) => tracing::error!(error = %e, "custom app channel not registered"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn program(text: &str) -> Program {
        Program::new(text.parse::<crate::custom_app::Program>().expect("program").steps)
    }

    #[test]
    fn steps_run_in_order_and_wait_for_what_they_started() {
        let mut run = program("Answer()\nPlayback(beep)\nWait(2)\nHangup(17)");
        assert_eq!(run.take_step(), Some(Some((1, Step::Answer { delay: Duration::ZERO }))));
        assert_eq!(run.take_step(), Some(Some((2, Step::Playback { sounds: vec!["beep".into()] }))));
        run.waiting = Waiting::Playback("p".into());
        assert_eq!(run.take_step(), None, "waiting for the playback");
        run.playback_finished("other");
        assert_eq!(run.take_step(), None, "another playback ending changes nothing");
        run.playback_finished("p");
        assert_eq!(run.take_step(), Some(Some((3, Step::Wait(Duration::from_secs(2))))));
        run.waiting = Waiting::Timer;
        run.timer_fired();
        assert_eq!(run.take_step(), Some(Some((4, Step::Hangup { cause: 17 }))));
        assert_eq!(run.take_step(), Some(None), "the end of the program");
    }

    #[test]
    fn a_program_in_an_application_waits_until_it_is_handed_back() {
        let mut run = program("Stasis(app)\nHangup()");
        assert!(matches!(run.take_step(), Some(Some((1, Step::Stasis { .. })))));
        run.in_stasis = Some("app".into());
        assert_eq!(run.take_step(), None);
        run.in_stasis = None;
        assert_eq!(run.take_step(), Some(Some((2, Step::Hangup { cause: 16 }))));
    }
}
