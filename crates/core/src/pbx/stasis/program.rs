//! Calls to a custom app or an IVR: the caller's INVITE becomes a Stasis channel whose
//! driver is a program, run step by step as Asterisk runs dialplan priorities: a custom
//! app's steps (`custom_app::Program`), or an IVR menu. `Stasis(app,args)` hands the channel
//! to an application until it leaves (`continue`), then the next step runs; the end of the
//! program hangs up. A menu plays its greeting, waits for a key (the greeting stops at the
//! first one) and jumps to that key's destination, or to the timeout's when nobody presses.

use super::super::call::{contact, new_tag};
use super::super::caller::Caller;
use super::super::inbound::Decision;
use super::super::record::Record;
use super::super::Shared;
use super::channel::{ChannelTask, Driver, Leg, Parts};
use super::command::HangupCause;
use super::model::{ChannelSnapshot, Location, Party};
use crate::cdr::Disposition;
use crate::custom_app::Step;
use crate::events::ChannelState;
use crate::routing::{CustomApp, Ivr};
use sb_media::relay::MediaError;
use sb_media::sdp::SessionDescription;
use sb_media::sound::uri::MediaUri;
use sb_sip::endpoint::ServerRequest;
use sb_sip::message;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a menu waits for a key once its greeting is over (Asterisk's `WaitExten`
/// default).
const MENU_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a program runs: a custom app's step, or an IVR menu.
#[derive(Debug, Clone, PartialEq)]
pub(in super::super) enum Instruction {
    /// A custom app's step.
    Step(Step),
    /// An IVR menu: greet, wait for a key, go where it says.
    Menu(Ivr),
}

/// A menu waiting for its key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyWait {
    menu: Ivr,
    /// The greeting's playback, while it plays.
    greeting: Option<String>,
    /// The key pressed (one with a destination).
    pressed: Option<char>,
    /// Whether the wait after the greeting started, and whether it is over.
    timer_armed: bool,
    timed_out: bool,
}

/// What the channel does for a menu now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MenuTurn {
    /// Keep waiting.
    Wait,
    /// The greeting is over: start the wait for a key.
    ArmTimer,
    /// Go to `destination` (hang up without one), stopping the greeting if it still plays.
    Go { stop: Option<String>, destination: Option<String> },
}

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
    /// A key at a menu.
    Key(Box<KeyWait>),
}

/// A program being run on a channel.
pub(super) struct Program {
    steps: Vec<Instruction>,
    next: usize,
    waiting: Waiting,
    /// The application the program handed the channel to, while it has it.
    pub in_stasis: Option<String>,
}

impl Program {
    /// A program about to run its first step.
    pub fn new(steps: Vec<Instruction>) -> Program {
        Program { steps, next: 0, waiting: Waiting::Nothing, in_stasis: None }
    }

    /// Goes on with `steps` instead of what was left (a menu's choice).
    fn jump(&mut self, steps: Vec<Instruction>) {
        *self = Program::new(steps);
    }

    /// A playback ended.
    pub fn playback_finished(&mut self, id: &str) {
        match &mut self.waiting {
            Waiting::Playback(waited) if waited == id => self.waiting = Waiting::Nothing,
            Waiting::Key(wait) if wait.greeting.as_deref() == Some(id) => wait.greeting = None,
            _ => {}
        }
    }

    /// The caller pressed `key`: a menu waiting takes it when it leads somewhere (other
    /// keys are ignored, and the menu keeps waiting).
    pub fn key_pressed(&mut self, key: char) {
        if let Waiting::Key(wait) = &mut self.waiting {
            if wait.pressed.is_none() && wait.menu.destination(key).is_some() {
                wait.pressed = Some(key);
            }
        }
    }

    /// What a waiting menu does now; `None` when no menu waits.
    fn menu_turn(&mut self) -> Option<MenuTurn> {
        let Waiting::Key(wait) = &mut self.waiting else { return None };
        let turn = if let Some(key) = wait.pressed {
            MenuTurn::Go { stop: wait.greeting.take(), destination: wait.menu.destination(key).map(str::to_owned) }
        } else if wait.timed_out {
            MenuTurn::Go { stop: None, destination: wait.menu.timeout.clone() }
        } else if wait.greeting.is_none() && !wait.timer_armed {
            wait.timer_armed = true;
            MenuTurn::ArmTimer
        } else {
            MenuTurn::Wait
        };
        if matches!(turn, MenuTurn::Go { .. }) {
            self.waiting = Waiting::Nothing;
        }
        Some(turn)
    }

    /// The channel `Dial()` placed is gone (or never rang).
    pub fn callee_ended(&mut self) {
        if self.waiting == Waiting::Callee {
            self.waiting = Waiting::Nothing;
        }
    }

    /// The channel's timer fired.
    pub fn timer_fired(&mut self) {
        match &mut self.waiting {
            Waiting::Timer => self.waiting = Waiting::Nothing,
            Waiting::Key(wait) if wait.timer_armed => wait.timed_out = true,
            _ => {}
        }
    }

    /// The next step to run, if the program is not waiting or handed over.
    fn take_step(&mut self) -> Option<Option<(usize, Instruction)>> {
        if self.in_stasis.is_some() || self.waiting != Waiting::Nothing {
            return None;
        }
        let step = self.steps.get(self.next).cloned().map(|step| (self.next + 1, step));
        self.next += 1;
        Some(step)
    }
}

/// The dialplan application name and data a step shows in the channel's snapshot.
fn shown(instruction: &Instruction) -> (&'static str, String) {
    let step = match instruction {
        Instruction::Step(step) => step,
        Instruction::Menu(menu) => return ("BackGround", menu.greeting.clone().unwrap_or_default()),
    };
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
            match program.menu_turn() {
                Some(MenuTurn::Wait) => return,
                Some(MenuTurn::ArmTimer) => {
                    self.timer = Some(Instant::now() + MENU_TIMEOUT);
                    return;
                }
                Some(MenuTurn::Go { stop, destination }) => {
                    if let Some(greeting) = stop {
                        self.media.stop_playback(&greeting);
                    }
                    self.timer = None;
                    let tenant = self.snap().tenant;
                    let steps = instructions_for(&self.shared, &tenant, destination.as_deref()).await;
                    if let Driver::Program(program) = &mut self.driver {
                        program.jump(steps);
                    }
                    continue;
                }
                None => {}
            }
            let Some(next) = program.take_step() else { return };
            let Some((priority, instruction)) = next else {
                // The end of the program, as the end of a dialplan: hang up.
                return self.hang_up(HangupCause::NORMAL, true).await;
            };
            let (app_name, app_data) = shown(&instruction);
            self.update(|s| {
                s.dialplan.priority = i64::try_from(priority).unwrap_or(i64::MAX);
                s.dialplan.app_name = app_name.into();
                s.dialplan.app_data = app_data;
            });
            let step = match instruction {
                Instruction::Step(step) => step,
                Instruction::Menu(menu) => {
                    let waiting = self.greet(menu, priority).await;
                    if let Driver::Program(program) = &mut self.driver {
                        program.waiting = waiting;
                    }
                    continue;
                }
            };
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

impl ChannelTask {
    /// Starts a menu: answers, starts the greeting; the menu then waits for a key.
    async fn greet(&mut self, menu: Ivr, priority: usize) -> Waiting {
        let _ = self.answer().await;
        let mut greeting = None;
        if let Some(name) = &menu.greeting {
            let id = format!("{}:{priority}", self.id());
            match self.media.play(&id, &[MediaUri::Greeting(name.clone())], None).await {
                Ok(()) => greeting = Some(id),
                Err(e) => tracing::info!(error = %e, ivr = %menu.name, "IVR greeting not played; waiting for a key"),
            }
        }
        Waiting::Key(Box::new(KeyWait { menu, greeting, pressed: None, timer_armed: false, timed_out: false }))
    }
}

/// What a program runs to reach `destination` from a menu: an extension is dialled, a
/// custom app's steps or another menu run, anything else hangs up.
async fn instructions_for(shared: &Shared, tenant: &str, destination: Option<&str>) -> Vec<Instruction> {
    let hang_up = |cause| vec![Instruction::Step(Step::Hangup { cause })];
    let Some(destination) = destination else { return hang_up(HangupCause::NORMAL.0) };
    match super::super::inbound::decide(shared, tenant, destination).await {
        Ok(Decision::Ring(extension)) => vec![
            Instruction::Step(Step::Dial { endpoints: vec![format!("PJSIP/{}", extension.number)], timeout: None }),
            Instruction::Step(Step::Hangup { cause: HangupCause::NORMAL.0 }),
        ],
        Ok(Decision::App(app)) => Entry::from(app).steps,
        Ok(Decision::Menu(menu)) => vec![Instruction::Menu(menu)],
        Ok(Decision::Hangup | Decision::Cancelled) => hang_up(HangupCause::NORMAL.0),
        Ok(Decision::Unavailable(reason)) => {
            tracing::info!(destination, reason, "a menu key leads where a program cannot go; hanging up");
            hang_up(HangupCause(31).0)
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable at a menu; hanging up");
            hang_up(HangupCause(41).0)
        }
    }
}

/// Where a program starts: a custom app or an IVR of a tenant.
pub(in super::super) struct Entry {
    name: String,
    tenant: String,
    steps: Vec<Instruction>,
    /// What the CDR's `lastapp` says.
    lastapp: &'static str,
}

impl From<CustomApp> for Entry {
    fn from(app: CustomApp) -> Entry {
        let steps = app.program.steps.into_iter().map(Instruction::Step).collect();
        Entry { name: app.name, tenant: app.tenant, steps, lastapp: "Stasis" }
    }
}

impl From<Ivr> for Entry {
    fn from(menu: Ivr) -> Entry {
        Entry {
            name: menu.name.clone(),
            tenant: menu.tenant.clone(),
            steps: vec![Instruction::Menu(menu)],
            lastapp: "BackGround",
        }
    }
}

/// Takes a call from `caller` to a custom app or IVR (the INVITE `incoming` with SDP
/// `offer`) and runs its program until the channel is gone.
pub(in super::super) async fn run_program(
    shared: Arc<Shared>,
    incoming: ServerRequest,
    caller: &Caller,
    offer: SessionDescription,
    app: Entry,
    mut record: Record,
) {
    record.lastapp = app.lastapp;
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
        driver: Driver::Program(Program::new(app.steps)),
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
        Program::new(
            text.parse::<crate::custom_app::Program>()
                .expect("program")
                .steps
                .into_iter()
                .map(Instruction::Step)
                .collect(),
        )
    }

    #[test]
    fn steps_run_in_order_and_wait_for_what_they_started() {
        let mut run = program("Answer()\nPlayback(beep)\nWait(2)\nHangup(17)");
        assert_eq!(run.take_step(), Some(Some((1, Instruction::Step(Step::Answer { delay: Duration::ZERO })))));
        assert_eq!(run.take_step(), Some(Some((2, Instruction::Step(Step::Playback { sounds: vec!["beep".into()] })))));
        run.waiting = Waiting::Playback("p".into());
        assert_eq!(run.take_step(), None, "waiting for the playback");
        run.playback_finished("other");
        assert_eq!(run.take_step(), None, "another playback ending changes nothing");
        run.playback_finished("p");
        assert_eq!(run.take_step(), Some(Some((3, Instruction::Step(Step::Wait(Duration::from_secs(2)))))));
        run.waiting = Waiting::Timer;
        run.timer_fired();
        assert_eq!(run.take_step(), Some(Some((4, Instruction::Step(Step::Hangup { cause: 17 })))));
        assert_eq!(run.take_step(), Some(None), "the end of the program");
    }

    #[test]
    fn a_program_in_an_application_waits_until_it_is_handed_back() {
        let mut run = program("Stasis(app)\nHangup()");
        assert!(matches!(run.take_step(), Some(Some((1, Instruction::Step(Step::Stasis { .. }))))));
        run.in_stasis = Some("app".into());
        assert_eq!(run.take_step(), None);
        run.in_stasis = None;
        assert_eq!(run.take_step(), Some(Some((2, Instruction::Step(Step::Hangup { cause: 16 })))));
    }

    fn menu() -> Ivr {
        Ivr {
            name: "main".into(),
            tenant: "default".into(),
            greeting: Some("usergreeting0001".into()),
            keys: [('1', "800".to_owned()), ('#', "1002".to_owned())].into_iter().collect(),
            timeout: Some("Operator".into()),
        }
    }

    fn at_menu(greeting: Option<&str>) -> Program {
        let mut run = Program::new(vec![Instruction::Menu(menu())]);
        assert!(matches!(run.take_step(), Some(Some((1, Instruction::Menu(_))))));
        run.waiting = Waiting::Key(Box::new(KeyWait {
            menu: menu(),
            greeting: greeting.map(str::to_owned),
            pressed: None,
            timer_armed: false,
            timed_out: false,
        }));
        run
    }

    #[test]
    fn a_key_during_the_greeting_stops_it_and_goes_to_its_destination() {
        let mut run = at_menu(Some("g"));
        assert_eq!(run.menu_turn(), Some(MenuTurn::Wait), "the greeting plays");
        run.key_pressed('7');
        assert_eq!(run.menu_turn(), Some(MenuTurn::Wait), "a key without a destination is ignored");
        run.key_pressed('#');
        run.key_pressed('1');
        assert_eq!(
            run.menu_turn(),
            Some(MenuTurn::Go { stop: Some("g".into()), destination: Some("1002".into()) }),
            "the first key with a destination wins"
        );
        assert_eq!(run.menu_turn(), None, "the menu is over");
        run.jump(vec![Instruction::Step(Step::Hangup { cause: 16 })]);
        assert_eq!(run.take_step(), Some(Some((1, Instruction::Step(Step::Hangup { cause: 16 })))));
    }

    #[test]
    fn after_the_greeting_the_menu_waits_then_times_out_to_its_timeout_destination() {
        let mut run = at_menu(Some("g"));
        run.timer_fired();
        assert_eq!(run.menu_turn(), Some(MenuTurn::Wait), "no wait runs while the greeting plays");
        run.playback_finished("g");
        assert_eq!(run.menu_turn(), Some(MenuTurn::ArmTimer));
        assert_eq!(run.menu_turn(), Some(MenuTurn::Wait), "armed once");
        run.timer_fired();
        assert_eq!(run.menu_turn(), Some(MenuTurn::Go { stop: None, destination: Some("Operator".into()) }));
        let mut silent = at_menu(None);
        assert_eq!(silent.menu_turn(), Some(MenuTurn::ArmTimer), "without a greeting the wait starts at once");
    }
}
