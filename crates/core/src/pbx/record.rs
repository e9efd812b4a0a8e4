//! What a call records as it goes: the CDR's facts (who, to whom, which channels, when
//! answered) and the call's channel events on the bus, numbered in the order the call makes
//! them. The call that ends writes the CDR and publishes the hang-ups, in one place.

use super::caller::Caller;
use super::dispatch::answer;
use super::Shared;
use crate::cdr::{CallRecord, Disposition};
use crate::events::{CallEvents, ChannelEventKind, ChannelState, EventBus};
use sb_sip::endpoint::ServerRequest;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use time::OffsetDateTime;

/// Channel numbers, as Asterisk's `PJSIP/1001-00000001`.
static CHANNELS: AtomicU64 = AtomicU64::new(1);

/// Call sequence numbers for CDR uniqueids (`<unix time>.<n>`, as Asterisk's). Asterisk
/// counts from 1 at each start, so a quick restart reuses ids; this counter starts at the
/// process's start time in milliseconds (modulo 10^9): a later process starts above every
/// number an earlier one reached unless that one averaged over 1,000 calls a second.
static CALLS: LazyLock<AtomicU64> = LazyLock::new(|| {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    AtomicU64::new(u64::try_from(millis % 1_000_000_000).unwrap_or(0) + 1)
});

/// A new channel name for a leg to or from `extension`.
pub(super) fn channel_name(extension: &str) -> String {
    format!("PJSIP/{extension}-{:08x}", CHANNELS.fetch_add(1, Ordering::Relaxed))
}

/// The parts of a CDR known as the call goes.
pub(super) struct Record {
    pub(super) uniqueid: String,
    tenant: String,
    clid: String,
    src: String,
    pub(super) dst: String,
    pub(super) channel: String,
    pub(super) dstchannel: String,
    /// The dialplan application Asterisk would name: `Dial` for calls between phones.
    pub(super) lastapp: &'static str,
    pub(super) lastdata: String,
    start: OffsetDateTime,
    pub(super) answer: Option<OffsetDateTime>,
    /// The call's events on the bus, numbered in the order the call makes them.
    events: CallEvents,
    caller_state: ChannelState,
    /// The callee's channel state, once that channel exists.
    callee_state: Option<ChannelState>,
}

impl Record {
    /// A call from `caller` to `dialled`; its first channel (the caller's) is made in `initial`
    /// state: `Ring` for a call a phone placed, `Down` for one the PBX originates.
    pub(super) fn new(caller: &Caller, dialled: &str, bus: &EventBus, initial: ChannelState) -> Record {
        let start = OffsetDateTime::now_utc();
        let channel = channel_name(&caller.device);
        let uniqueid = format!("{}.{}", start.unix_timestamp(), CALLS.fetch_add(1, Ordering::Relaxed));
        let name = caller.display.as_deref().unwrap_or_default();
        let events = CallEvents::new(bus.clone(), &uniqueid, &caller.tenant, &caller.number, name, dialled);
        let mut record = Record {
            uniqueid,
            tenant: caller.tenant.clone(),
            clid: format!("\"{}\" <{}>", caller.shown_name(), caller.number),
            src: caller.number.clone(),
            dst: dialled.to_owned(),
            channel,
            dstchannel: String::new(),
            lastapp: "Dial",
            lastdata: String::new(),
            start,
            answer: None,
            events,
            caller_state: initial,
            callee_state: None,
        };
        let channel = record.channel.clone();
        record.events.publish(&channel, initial, ChannelEventKind::Created);
        record
    }

    /// Publishes that the caller's channel entered `lastapp` (Asterisk's `Newexten`).
    pub(super) fn publish_application(&mut self) {
        let kind = ChannelEventKind::Dialplan { app: self.lastapp.to_owned(), data: self.lastdata.clone() };
        self.events.publish(&self.channel, self.caller_state, kind);
    }

    /// Publishes the caller's channel's new state.
    pub(super) fn publish_caller_state(&mut self, state: ChannelState) {
        self.caller_state = state;
        self.events.publish(&self.channel, state, ChannelEventKind::StateChanged);
    }

    /// Publishes the callee's channel: made (`Down`) the first time, then its new states.
    pub(super) fn publish_callee_state(&mut self, state: ChannelState) {
        let kind = if self.callee_state.is_some() { ChannelEventKind::StateChanged } else { ChannelEventKind::Created };
        self.callee_state = Some(state);
        self.events.publish(&self.dstchannel, state, kind);
    }

    /// Publishes the hang-up of the callee's channel (`cause`) when the call goes on to
    /// another callee channel (the next trunk of a route).
    pub(super) fn retire_callee(&mut self, cause: u16) {
        if let Some(state) = self.callee_state.take() {
            let channel = self.dstchannel.clone();
            self.events.publish(&channel, state, ChannelEventKind::HungUp { cause });
        }
    }

    /// Publishes the hang-up of every channel of the call, the one that hung up first.
    fn publish_hangups(&mut self, cause: u16, hangup_source: &str) {
        let callee = self.callee_state.map(|state| (self.dstchannel.clone(), state));
        let caller = Some((self.channel.clone(), self.caller_state));
        let order = if hangup_source == self.dstchannel { [callee, caller] } else { [caller, callee] };
        for (name, state) in order.into_iter().flatten() {
            self.events.publish(&name, state, ChannelEventKind::HungUp { cause });
        }
    }

    /// Refuses the caller's INVITE with `status` and records a call that the caller's
    /// channel ended.
    pub(super) async fn refuse(
        self,
        shared: &Shared,
        incoming: &ServerRequest,
        status: u16,
        reason: &str,
        disposition: Disposition,
        cause: u16,
    ) {
        answer(shared, incoming, status, reason).await;
        self.end_by_caller(shared, disposition, cause).await;
    }

    /// Records a call that the caller's channel ended.
    pub(super) async fn end_by_caller(self, shared: &Shared, disposition: Disposition, cause: u16) {
        let channel = self.channel.clone();
        self.finish(shared, disposition, cause, &channel).await;
    }

    pub(super) async fn finish(mut self, shared: &Shared, disposition: Disposition, cause: u16, hangup_source: &str) {
        self.publish_hangups(cause, hangup_source);
        let record = CallRecord {
            linkedid: self.uniqueid.clone(),
            uniqueid: self.uniqueid,
            tenant: self.tenant.clone(),
            start: self.start,
            answer: self.answer,
            end: OffsetDateTime::now_utc(),
            clid: self.clid,
            src: self.src,
            dst: self.dst,
            dcontext: self.tenant,
            channel: self.channel,
            dstchannel: self.dstchannel,
            lastapp: self.lastapp.into(),
            lastdata: self.lastdata,
            disposition,
            hangup_cause: cause,
            hangup_source: hangup_source.to_owned(),
            accountcode: String::new(),
            userfield: String::new(),
        };
        if let Err(e) = crate::cdr::record(&shared.store, &record).await {
            tracing::error!(error = %e, uniqueid = %record.uniqueid, "could not write the CDR");
        }
    }
}
