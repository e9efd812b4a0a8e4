//! Call detail records: what is kept about a finished call, the way Asterisk keeps it
//! (its disposition words, `duration` and `billsec`), and writing it to the store. The
//! call engine builds a [`CallRecord`] when a call ends and hands it to [`record`].

use sb_store::{NewCdr, Store};
use std::fmt;
use time::OffsetDateTime;

/// How a call ended, as Asterisk's CDR `disposition` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Someone answered.
    Answered,
    /// It rang out or the caller gave up first.
    NoAnswer,
    /// The callee was busy.
    Busy,
    /// It could not be placed at all.
    Failed,
    /// No route or channel was free.
    Congestion,
}

impl Disposition {
    /// Every disposition, in Asterisk's order.
    pub const ALL: [Disposition; 5] =
        [Disposition::Answered, Disposition::NoAnswer, Disposition::Busy, Disposition::Failed, Disposition::Congestion];

    /// Asterisk's word for it: `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED` or `CONGESTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "ANSWERED",
            Disposition::NoAnswer => "NO ANSWER",
            Disposition::Busy => "BUSY",
            Disposition::Failed => "FAILED",
            Disposition::Congestion => "CONGESTION",
        }
    }

    /// Reads Asterisk's word back.
    pub fn parse(text: &str) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finished call leg, as the call engine saw it. Text fields Asterisk would leave
/// empty are empty strings, not absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// This channel's unique id; each is recorded once.
    pub uniqueid: String,
    /// The unique id of the call's first channel, shared by every leg of the call.
    pub linkedid: String,
    /// The tenant the call belongs to.
    pub tenant: String,
    /// When the call started.
    pub start: OffsetDateTime,
    /// When it was answered, if it was.
    pub answer: Option<OffsetDateTime>,
    /// When it ended.
    pub end: OffsetDateTime,
    /// Caller id, `"Name" <number>`.
    pub clid: String,
    /// The calling number.
    pub src: String,
    /// The dialled destination.
    pub dst: String,
    /// The dialplan context of the destination.
    pub dcontext: String,
    /// The calling channel.
    pub channel: String,
    /// The called channel, if one was made.
    pub dstchannel: String,
    /// The last application run.
    pub lastapp: String,
    /// Its arguments.
    pub lastdata: String,
    /// How it ended.
    pub disposition: Disposition,
    /// The Q.850 cause it ended with (16 normal clearing, 17 busy, ...).
    pub hangup_cause: u16,
    /// Who hung up: a channel name.
    pub hangup_source: String,
    /// The account code, for billing.
    pub accountcode: String,
    /// Free text a dialplan set.
    pub userfield: String,
}

/// Whole seconds from `from` to `to`, never negative. Truncated, as Asterisk does by
/// default: 29.9 s of talk bill as 29.
fn seconds(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (to - from).whole_seconds().max(0)
}

impl CallRecord {
    /// Seconds from start to end (Asterisk's `duration`).
    pub fn duration(&self) -> i64 {
        seconds(self.start, self.end)
    }

    /// Seconds from answer to end (Asterisk's `billsec`); 0 when nobody answered.
    pub fn billsec(&self) -> i64 {
        self.answer.map_or(0, |answer| seconds(answer, self.end))
    }

    /// The row the store keeps: times as UTC text with milliseconds, durations computed.
    pub fn to_row(&self) -> NewCdr {
        NewCdr {
            uniqueid: self.uniqueid.clone(),
            linkedid: self.linkedid.clone(),
            cluster: self.tenant.clone(),
            calldate: sb_store::time_text(self.start),
            answer: self.answer.map(sb_store::time_text),
            end: sb_store::time_text(self.end),
            clid: self.clid.clone(),
            src: self.src.clone(),
            dst: self.dst.clone(),
            dcontext: self.dcontext.clone(),
            channel: self.channel.clone(),
            dstchannel: self.dstchannel.clone(),
            lastapp: self.lastapp.clone(),
            lastdata: self.lastdata.clone(),
            duration: self.duration(),
            billsec: self.billsec(),
            disposition: self.disposition.as_str().to_owned(),
            hangupcause: i64::from(self.hangup_cause),
            hangupsource: self.hangup_source.clone(),
            accountcode: self.accountcode.clone(),
            userfield: self.userfield.clone(),
        }
    }
}

/// Why a call record was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CdrError {
    /// The record lacks what identifies it (its uniqueid or tenant).
    #[error("call record without {0}")]
    Incomplete(&'static str),
    /// A record with this uniqueid is already stored.
    #[error("a call record with uniqueid {0} is already stored")]
    Duplicate(String),
    /// The store failed.
    #[error("store failure: {0}")]
    Store(#[from] sb_store::Error),
}

/// Stores `cdr` in one transaction: all of it, or nothing.
pub async fn record(store: &Store, cdr: &CallRecord) -> Result<(), CdrError> {
    if cdr.uniqueid.is_empty() {
        return Err(CdrError::Incomplete("uniqueid"));
    }
    if cdr.tenant.is_empty() {
        return Err(CdrError::Incomplete("tenant"));
    }
    let row = cdr.to_row();
    let mut tx = store.write_records().await?;
    match tx.insert_cdr(&row).await {
        Ok(_) => {}
        Err(sb_store::Error::Duplicate(_)) => return Err(CdrError::Duplicate(cdr.uniqueid.clone())),
        Err(err) => return Err(err.into()),
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn call(answer: Option<OffsetDateTime>, end: OffsetDateTime) -> CallRecord {
        CallRecord {
            uniqueid: "1700000000.1".into(),
            linkedid: "1700000000.1".into(),
            tenant: "default".into(),
            start: datetime!(2026-11-23 10:00:00.123 UTC),
            answer,
            end,
            clid: "\"Alice\" <1001>".into(),
            src: "1001".into(),
            dst: "1002".into(),
            dcontext: "internal".into(),
            channel: "SIP/1001-00000001".into(),
            dstchannel: "SIP/1002-00000002".into(),
            lastapp: "Dial".into(),
            lastdata: "SIP/1002,30".into(),
            disposition: if answer.is_some() { Disposition::Answered } else { Disposition::NoAnswer },
            hangup_cause: 16,
            hangup_source: "SIP/1001-00000001".into(),
            accountcode: String::new(),
            userfield: String::new(),
        }
    }

    #[test]
    fn duration_and_billsec_count_whole_seconds() {
        let answered = call(Some(datetime!(2026-11-23 10:00:05.500 UTC)), datetime!(2026-11-23 10:01:05.499 UTC));
        assert_eq!(answered.duration(), 65, "65.376 s truncated");
        assert_eq!(answered.billsec(), 59, "59.999 s truncated");
    }

    #[test]
    fn billsec_is_zero_without_an_answer() {
        let unanswered = call(None, datetime!(2026-11-23 10:00:30.123 UTC));
        assert_eq!(unanswered.duration(), 30);
        assert_eq!(unanswered.billsec(), 0);
    }

    #[test]
    fn clock_steps_never_make_negative_seconds() {
        let backwards = call(Some(datetime!(2026-11-23 10:00:20 UTC)), datetime!(2026-11-23 09:59:00 UTC));
        assert_eq!(backwards.duration(), 0);
        assert_eq!(backwards.billsec(), 0);
        let answered_after_end = call(Some(datetime!(2026-11-23 10:00:20 UTC)), datetime!(2026-11-23 10:00:10 UTC));
        assert_eq!(answered_after_end.duration(), 9);
        assert_eq!(answered_after_end.billsec(), 0);
    }

    #[test]
    fn dispositions_use_asterisks_words() {
        let words: Vec<&str> = Disposition::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(words, ["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"]);
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
            assert_eq!(d.to_string(), d.as_str());
        }
        assert_eq!(Disposition::parse("answered"), None);
    }

    #[test]
    fn the_row_has_utc_millisecond_times() {
        let local_end = datetime!(2026-11-23 11:00:42.5 +01:00);
        let row = call(Some(datetime!(2026-11-23 10:00:02 UTC)), local_end).to_row();
        assert_eq!(row.calldate, "2026-11-23T10:00:00.123Z");
        assert_eq!(row.answer.as_deref(), Some("2026-11-23T10:00:02.000Z"));
        assert_eq!(row.end, "2026-11-23T10:00:42.500Z");
        assert_eq!((row.duration, row.billsec), (42, 40));
        assert_eq!(row.disposition, "ANSWERED");
        assert_eq!(row.hangupcause, 16);
        assert_eq!(row.cluster, "default");
    }

    #[tokio::test]
    async fn record_stores_once() {
        let dir = std::env::temp_dir().join(format!("sb-core-cdr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/t.db?mode=rwc", dir.display())).await.unwrap();
        let cdr = call(None, datetime!(2026-11-23 10:00:30 UTC));
        record(&store, &cdr).await.unwrap();
        let err = record(&store, &cdr).await.unwrap_err();
        assert!(matches!(&err, CdrError::Duplicate(id) if id == "1700000000.1"), "{err:?}");
        let incomplete = CallRecord { uniqueid: String::new(), ..cdr.clone() };
        assert!(matches!(record(&store, &incomplete).await, Err(CdrError::Incomplete("uniqueid"))));
        let stored = store.read().await.unwrap().recent_cdrs(10, None).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].cdr, cdr.to_row());
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
