//! Call detail records as rows: the call engine appends one when a call ends, the API
//! reads the latest back. Column names are Asterisk's (see `migrations/0003_cdrs.sql`).

use crate::rows::{self, Column, Record, Value};
use crate::{Conn, Page, Result, WriteTx};

/// Every column of `cdrs` but `id`, in table order; the times are RFC 3339 UTC text.
const COLUMNS: &[Column<'static>] = &[
    Column::text("uniqueid"),
    Column::text("linkedid"),
    Column::text("cluster"),
    Column::text("calldate"),
    Column::text("answer"),
    Column::text("end"),
    Column::text("clid"),
    Column::text("src"),
    Column::text("dst"),
    Column::text("dcontext"),
    Column::text("channel"),
    Column::text("dstchannel"),
    Column::text("lastapp"),
    Column::text("lastdata"),
    Column::int("duration"),
    Column::int("billsec"),
    Column::text("disposition"),
    Column::int("hangupcause"),
    Column::text("hangupsource"),
    Column::text("accountcode"),
    Column::text("userfield"),
];

/// The `id` column, read in front of [`COLUMNS`].
const ID: Column<'static> = Column::int("id");

/// A call detail record to store. Times are RFC 3339 UTC text with milliseconds
/// (see [`crate::time_text`]); `sb_core::cdr` fills this from a finished call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCdr {
    /// The channel's unique id; a second record with the same one is refused.
    pub uniqueid: String,
    /// The unique id of the call's first channel, shared by every leg of one call.
    pub linkedid: String,
    /// The tenant.
    pub cluster: String,
    /// When the call started.
    pub calldate: String,
    /// When it was answered, if it was.
    pub answer: Option<String>,
    /// When it ended.
    pub end: String,
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
    /// The called channel.
    pub dstchannel: String,
    /// The last application run.
    pub lastapp: String,
    /// Its arguments.
    pub lastdata: String,
    /// Seconds from start to end.
    pub duration: i64,
    /// Seconds from answer to end; 0 when unanswered.
    pub billsec: i64,
    /// `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED` or `CONGESTION`.
    pub disposition: String,
    /// The Q.850 cause the call ended with.
    pub hangupcause: i64,
    /// Who hung up (a channel name).
    pub hangupsource: String,
    /// The account code, for billing.
    pub accountcode: String,
    /// Free text a dialplan set.
    pub userfield: String,
}

/// A stored call detail record: its sequence number and what was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrRow {
    /// Sequence number (assigned by the store).
    pub id: i64,
    /// Everything else, as stored.
    pub cdr: NewCdr,
}

impl WriteTx {
    /// Appends one call detail record; a duplicate `uniqueid` is [`Error::Duplicate`](crate::Error::Duplicate).
    pub async fn insert_cdr(&mut self, cdr: &NewCdr) -> Result<i64> {
        let text = |s: &str| Value::from(s);
        let values = [
            (COLUMNS[0], text(&cdr.uniqueid)),
            (COLUMNS[1], text(&cdr.linkedid)),
            (COLUMNS[2], text(&cdr.cluster)),
            (COLUMNS[3], text(&cdr.calldate)),
            (COLUMNS[4], cdr.answer.clone().map_or(Value::Null, Value::Text)),
            (COLUMNS[5], text(&cdr.end)),
            (COLUMNS[6], text(&cdr.clid)),
            (COLUMNS[7], text(&cdr.src)),
            (COLUMNS[8], text(&cdr.dst)),
            (COLUMNS[9], text(&cdr.dcontext)),
            (COLUMNS[10], text(&cdr.channel)),
            (COLUMNS[11], text(&cdr.dstchannel)),
            (COLUMNS[12], text(&cdr.lastapp)),
            (COLUMNS[13], text(&cdr.lastdata)),
            (COLUMNS[14], Value::Int(cdr.duration)),
            (COLUMNS[15], Value::Int(cdr.billsec)),
            (COLUMNS[16], text(&cdr.disposition)),
            (COLUMNS[17], Value::Int(cdr.hangupcause)),
            (COLUMNS[18], text(&cdr.hangupsource)),
            (COLUMNS[19], text(&cdr.accountcode)),
            (COLUMNS[20], text(&cdr.userfield)),
        ];
        let id = rows::insert(self, "cdrs", &values, Some("id")).await?;
        // insert answers the id whenever one is asked for; 0 would only mean a row without one.
        Ok(id.unwrap_or_default())
    }
}

fn tenant_filter(tenant: Option<&str>) -> Vec<(&'static str, Value)> {
    tenant.map(|t| ("cluster", Value::from(t))).into_iter().collect()
}

fn decode(r: &Record) -> CdrRow {
    let value = |i: usize| r.get(i).map(|(_, v)| v);
    let text = |i: usize| value(i).and_then(Value::as_text).unwrap_or_default();
    let int = |i: usize| match value(i) {
        Some(Value::Int(n)) => *n,
        _ => 0,
    };
    // Column i of COLUMNS is record field i + 1: the id comes first.
    CdrRow {
        id: int(0),
        cdr: NewCdr {
            uniqueid: text(1),
            linkedid: text(2),
            cluster: text(3),
            calldate: text(4),
            answer: value(5).and_then(Value::as_text),
            end: text(6),
            clid: text(7),
            src: text(8),
            dst: text(9),
            dcontext: text(10),
            channel: text(11),
            dstchannel: text(12),
            lastapp: text(13),
            lastdata: text(14),
            duration: int(15),
            billsec: int(16),
            disposition: text(17),
            hangupcause: int(18),
            hangupsource: text(19),
            accountcode: text(20),
            userfield: text(21),
        },
    }
}

/// The latest `limit` records (of `tenant` only, when given), newest call first.
pub async fn recent_cdrs<C: Conn + ?Sized>(conn: &mut C, limit: u32, tenant: Option<&str>) -> Result<Vec<CdrRow>> {
    let columns: Vec<Column<'static>> = std::iter::once(ID).chain(COLUMNS.iter().copied()).collect();
    let filter = tenant_filter(tenant);
    // Calls that started in the same millisecond fall back to the order they were stored.
    let page = Page { limit: Some(i64::from(limit)), offset: 0 };
    let records = rows::select_newest(conn, "cdrs", &columns, &filter, &["calldate", "id"], page).await?;
    Ok(records.iter().map(decode).collect())
}

/// How many records there are (of `tenant` only, when given).
pub async fn count_cdrs<C: Conn + ?Sized>(conn: &mut C, tenant: Option<&str>) -> Result<i64> {
    rows::count(conn, "cdrs", &tenant_filter(tenant)).await
}

impl crate::ReadTx {
    /// The latest `limit` records (of `tenant` only, when given), newest call first.
    pub async fn recent_cdrs(&mut self, limit: u32, tenant: Option<&str>) -> Result<Vec<CdrRow>> {
        recent_cdrs(self, limit, tenant).await
    }

    /// How many records there are (of `tenant` only, when given).
    pub async fn count_cdrs(&mut self, tenant: Option<&str>) -> Result<i64> {
        count_cdrs(self, tenant).await
    }
}
