//! Generic row operations over tables and columns named by the caller.
//!
//! Table and column names come from the static provisioning catalogue, never from a
//! request; values are always bound as parameters. Every identifier is still checked and
//! quoted, so a mistake in the catalogue fails loudly instead of building odd SQL.

use crate::{Backend, Conn, Error, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The two column types the configuration schema uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// BIGINT, seen as a JSON number.
    Int,
    /// TEXT, seen as a JSON string.
    Text,
}

/// A column to read or write.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// Its SQL name (which is also its wire name).
    pub name: &'a str,
    /// Its type, needed to bind NULLs and decode values on both engines.
    pub ty: ColumnType,
}

impl<'a> Column<'a> {
    /// A TEXT column.
    pub const fn text(name: &'a str) -> Self {
        Column { name, ty: ColumnType::Text }
    }
    /// A BIGINT column.
    pub const fn int(name: &'a str) -> Self {
        Column { name, ty: ColumnType::Int }
    }
}

/// A stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
}

impl Value {
    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Text(s) => serde_json::Value::from(s.as_str()),
        }
    }

    /// The value as text, if it is not NULL.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::Text(s) => Some(s.clone()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// A row: column names and values, in column order.
pub type Record = Vec<(String, Value)>;

/// Equality conditions joined by AND.
pub type Filter<'a> = &'a [(&'a str, Value)];

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    /// At most this many rows (all when `None`).
    pub limit: Option<i64>,
    /// Skip this many rows first.
    pub offset: i64,
}

fn ident(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(format!("\"{name}\""))
    } else {
        Err(Error::Config(format!("invalid SQL identifier {name:?}")))
    }
}

/// Whether a filter can match nothing: stored text never holds NUL (validation refuses
/// control characters), and PostgreSQL cannot even compare it, so such a filter is
/// answered without asking the database, the same on both engines.
fn impossible(filter: Filter<'_>) -> bool {
    filter.iter().any(|(_, v)| matches!(v, Value::Text(s) if s.contains('\0')))
}

fn where_clause(filter: Filter<'_>, first_param: usize) -> Result<String> {
    if filter.is_empty() {
        return Ok(String::new());
    }
    let mut parts = Vec::with_capacity(filter.len());
    for (i, (col, _)) in filter.iter().enumerate() {
        parts.push(format!("{} = ${}", ident(col)?, first_param + i));
    }
    Ok(format!(" WHERE {}", parts.join(" AND ")))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind<'q>(query: AnyQuery<'q>, value: &Value, ty: ColumnType) -> AnyQuery<'q> {
    match (value, ty) {
        (Value::Null, ColumnType::Int) => query.bind(None::<i64>),
        (Value::Null, ColumnType::Text) => query.bind(None::<String>),
        (Value::Int(i), ColumnType::Int) => query.bind(*i),
        (Value::Int(i), ColumnType::Text) => query.bind(i.to_string()),
        (Value::Text(s), ColumnType::Text) => query.bind(s.clone()),
        // A text value bound to an integer column: the catalogue validated it as an
        // integer, so parsing only fails on a catalogue bug; store NULL rather than panic.
        (Value::Text(s), ColumnType::Int) => query.bind(s.parse::<i64>().ok()),
    }
}

/// Filter values carry their own type: text compares as text, integers as integers.
fn bind_filter<'q>(query: AnyQuery<'q>, value: &Value) -> AnyQuery<'q> {
    match value {
        Value::Null => query.bind(None::<String>),
        Value::Int(i) => query.bind(*i),
        Value::Text(s) => query.bind(s.clone()),
    }
}

fn decode(row: &AnyRow, columns: &[Column<'_>]) -> Result<Record> {
    let mut record = Vec::with_capacity(columns.len());
    for (i, col) in columns.iter().enumerate() {
        let value = match col.ty {
            ColumnType::Int => row.try_get::<Option<i64>, _>(i)?.map_or(Value::Null, Value::Int),
            ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map_or(Value::Null, Value::Text),
        };
        record.push((col.name.to_owned(), value));
    }
    Ok(record)
}

fn select_list(columns: &[Column<'_>]) -> Result<String> {
    Ok(columns.iter().map(|c| ident(c.name)).collect::<Result<Vec<_>>>()?.join(", "))
}

/// Reads the rows of `table` that match `filter`, ordered by `order_by`.
pub async fn select<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    columns: &[Column<'_>],
    filter: Filter<'_>,
    order_by: &[&str],
    page: Page,
) -> Result<Vec<Record>> {
    select_locked(conn, table, columns, filter, Order { by: order_by, descending: false }, page, None).await
}

/// Like [`select`], but ordered by `order_by` descending: newest first when the columns
/// are times or serials, so a page of the latest rows needs no count first.
pub async fn select_newest<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    columns: &[Column<'_>],
    filter: Filter<'_>,
    order_by: &[&str],
    page: Page,
) -> Result<Vec<Record>> {
    select_locked(conn, table, columns, filter, Order { by: order_by, descending: true }, page, None).await
}

/// How a write transaction holds a row it read, until it ends (PostgreSQL row locks;
/// SQLite already runs one writer at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// The row may not be changed or deleted: what a write refers to stays there.
    Share,
    /// The row is this transaction's alone: what it is about to change or delete.
    Update,
}

/// Reads the one row of `table` that matches `filter`, holding it with `lock`.
pub async fn select_one_locked<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    columns: &[Column<'_>],
    filter: Filter<'_>,
    lock: RowLock,
) -> Result<Option<Record>> {
    let mut rows = select_locked(conn, table, columns, filter, Order::NONE, Page { limit: Some(1), offset: 0 }, Some(lock)).await?;
    Ok(rows.pop())
}

/// The columns a select sorts by, and which way.
#[derive(Clone, Copy)]
struct Order<'a> {
    by: &'a [&'a str],
    descending: bool,
}

impl Order<'_> {
    const NONE: Order<'static> = Order { by: &[], descending: false };
}

async fn select_locked<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    columns: &[Column<'_>],
    filter: Filter<'_>,
    order: Order<'_>,
    page: Page,
    lock: Option<RowLock>,
) -> Result<Vec<Record>> {
    if impossible(filter) {
        return Ok(Vec::new());
    }
    let (conn, backend) = conn.parts();
    let mut sql = format!("SELECT {} FROM {}{}", select_list(columns)?, ident(table)?, where_clause(filter, 1)?);
    if !order.by.is_empty() {
        let direction = if order.descending { " DESC" } else { "" };
        let order = order.by.iter().map(|c| Ok(format!("{}{direction}", ident(c)?))).collect::<Result<Vec<_>>>()?.join(", ");
        sql.push_str(&format!(" ORDER BY {order}"));
    }
    match (page.limit, backend) {
        (Some(limit), _) => sql.push_str(&format!(" LIMIT {} OFFSET {}", limit.max(0), page.offset.max(0))),
        (None, Backend::Sqlite) if page.offset > 0 => sql.push_str(&format!(" LIMIT -1 OFFSET {}", page.offset)),
        (None, Backend::Postgres) if page.offset > 0 => sql.push_str(&format!(" OFFSET {}", page.offset)),
        (None, _) => {}
    }
    match (lock, backend) {
        (Some(RowLock::Share), Backend::Postgres) => sql.push_str(" FOR SHARE"),
        (Some(RowLock::Update), Backend::Postgres) => sql.push_str(" FOR UPDATE"),
        _ => {}
    }
    let mut query = sqlx::query(&sql);
    for (_, value) in filter {
        query = bind_filter(query, value);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(|row| decode(row, columns)).collect()
}

/// Reads the one row of `table` that matches `filter`, if any.
pub async fn select_one<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    columns: &[Column<'_>],
    filter: Filter<'_>,
) -> Result<Option<Record>> {
    let mut rows = select(conn, table, columns, filter, &[], Page { limit: Some(1), offset: 0 }).await?;
    Ok(rows.pop())
}

/// Counts the rows of `table` that match `filter`.
pub async fn count<C: Conn + ?Sized>(conn: &mut C, table: &str, filter: Filter<'_>) -> Result<i64> {
    if impossible(filter) {
        return Ok(0);
    }
    let (conn, _) = conn.parts();
    let sql = format!("SELECT COUNT(*) FROM {}{}", ident(table)?, where_clause(filter, 1)?);
    let mut query = sqlx::query(&sql);
    for (_, value) in filter {
        query = bind_filter(query, value);
    }
    let row = query.fetch_one(&mut *conn).await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Inserts one row; answers the generated `returning` column when one is named.
pub async fn insert<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    values: &[(Column<'_>, Value)],
    returning: Option<&str>,
) -> Result<Option<i64>> {
    if impossible(&values.iter().map(|(c, v)| (c.name, v.clone())).collect::<Vec<_>>()) {
        return Err(Error::Config("refusing to store text containing NUL".into()));
    }
    let (conn, _) = conn.parts();
    let names = values.iter().map(|(c, _)| ident(c.name)).collect::<Result<Vec<_>>>()?.join(", ");
    let params = (1..=values.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let mut sql = format!("INSERT INTO {} ({names}) VALUES ({params})", ident(table)?);
    if let Some(col) = returning {
        sql.push_str(&format!(" RETURNING {}", ident(col)?));
    }
    let mut query = sqlx::query(&sql);
    for (col, value) in values {
        query = bind(query, value, col.ty);
    }
    match returning {
        Some(_) => {
            let row = query.fetch_one(&mut *conn).await?;
            Ok(Some(row.try_get::<i64, _>(0)?))
        }
        None => {
            query.execute(&mut *conn).await?;
            Ok(None)
        }
    }
}

/// Updates the rows matching `filter`; answers how many changed.
pub async fn update<C: Conn + ?Sized>(
    conn: &mut C,
    table: &str,
    values: &[(Column<'_>, Value)],
    filter: Filter<'_>,
) -> Result<u64> {
    if values.is_empty() || impossible(filter) {
        return Ok(0);
    }
    if impossible(&values.iter().map(|(c, v)| (c.name, v.clone())).collect::<Vec<_>>()) {
        return Err(Error::Config("refusing to store text containing NUL".into()));
    }
    let (conn, _) = conn.parts();
    let sets = values
        .iter()
        .enumerate()
        .map(|(i, (c, _))| Ok(format!("{} = ${}", ident(c.name)?, i + 1)))
        .collect::<Result<Vec<_>>>()?
        .join(", ");
    let sql = format!("UPDATE {} SET {sets}{}", ident(table)?, where_clause(filter, values.len() + 1)?);
    let mut query = sqlx::query(&sql);
    for (col, value) in values {
        query = bind(query, value, col.ty);
    }
    for (_, value) in filter {
        query = bind_filter(query, value);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// Deletes the rows matching `filter` (which must not be empty); answers how many went.
pub async fn delete<C: Conn + ?Sized>(conn: &mut C, table: &str, filter: Filter<'_>) -> Result<u64> {
    if filter.is_empty() {
        return Err(Error::Config(format!("refusing to delete every row of {table}")));
    }
    if impossible(filter) {
        return Ok(0);
    }
    let (conn, _) = conn.parts();
    let sql = format!("DELETE FROM {}{}", ident(table)?, where_clause(filter, 1)?);
    let mut query = sqlx::query(&sql);
    for (_, value) in filter {
        query = bind_filter(query, value);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_makes_a_filter_impossible() {
        assert!(impossible(&[("pkey", Value::from("10\u{0}01"))]));
        assert!(!impossible(&[("pkey", Value::from("1001")), ("slot", Value::Int(0))]));
    }
}
