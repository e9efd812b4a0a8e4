//! Mailboxes as rows (see `migrations/0005_mailboxes.sql`): ARI sets a mailbox's counts
//! (creating it), reads one or all, and deletes it.

use crate::rows::{self, Column, Page, Record, Value};
use crate::{Conn, Error, Result, WriteTx};

const TABLE: &str = "mailboxes";

const COLUMNS: &[Column<'static>] = &[Column::text("name"), Column::int("old_messages"), Column::int("new_messages")];

/// One mailbox's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Its name, as the client chose it.
    pub name: String,
    /// Messages already heard.
    pub old_messages: i64,
    /// Messages not heard yet.
    pub new_messages: i64,
}

impl Mailbox {
    fn from_record(record: &Record) -> Mailbox {
        let int = |i: usize| match record.get(i).map(|(_, v)| v) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        Mailbox {
            name: record.first().and_then(|(_, v)| v.as_text()).unwrap_or_default(),
            old_messages: int(1),
            new_messages: int(2),
        }
    }
}

/// Every mailbox, by name.
pub async fn mailboxes<C: Conn + ?Sized>(conn: &mut C) -> Result<Vec<Mailbox>> {
    let records = rows::select(conn, TABLE, COLUMNS, &[], &["name"], Page::default()).await?;
    Ok(records.iter().map(Mailbox::from_record).collect())
}

/// The mailbox `name`, if it exists.
pub async fn mailbox<C: Conn + ?Sized>(conn: &mut C, name: &str) -> Result<Option<Mailbox>> {
    let record = rows::select_one(conn, TABLE, COLUMNS, &[("name", Value::from(name))]).await?;
    Ok(record.as_ref().map(Mailbox::from_record))
}

impl WriteTx {
    /// Sets a mailbox's counts, creating it if it does not exist; one statement, so two
    /// nodes creating the same mailbox at once both succeed.
    pub async fn put_mailbox(&mut self, mailbox: &Mailbox) -> Result<()> {
        if mailbox.name.contains('\0') {
            return Err(Error::Config("refusing to store text containing NUL".into()));
        }
        let (conn, _) = self.parts();
        sqlx::query(
            "INSERT INTO mailboxes (name, old_messages, new_messages) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET old_messages = excluded.old_messages, \
             new_messages = excluded.new_messages",
        )
        .bind(mailbox.name.as_str())
        .bind(mailbox.old_messages)
        .bind(mailbox.new_messages)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Deletes mailbox `name`; answers whether it existed.
    pub async fn delete_mailbox(&mut self, name: &str) -> Result<bool> {
        Ok(rows::delete(self, TABLE, &[("name", Value::from(name))]).await? > 0)
    }
}

impl crate::ReadTx {
    /// Every mailbox, by name.
    pub async fn mailboxes(&mut self) -> Result<Vec<Mailbox>> {
        mailboxes(self).await
    }

    /// The mailbox `name`, if it exists.
    pub async fn mailbox(&mut self, name: &str) -> Result<Option<Mailbox>> {
        mailbox(self, name).await
    }
}
