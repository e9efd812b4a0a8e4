//! `/mailboxes`: Asterisk's `res_mwi_external`, message counts an outside voicemail system
//! sets by name, kept in the store so they survive a restart. A mailbox named after an
//! extension (`1001`, `1001@<tenant>`) lights its phones' waiting lamps: each change is an
//! unsolicited `message-summary` NOTIFY to its registered phones.

use super::{handler, Call, Handler, Reply};
use crate::error::AriError;
use crate::models;
use crate::state::AriState;
use sb_store::{Mailbox, Store};

pub(super) fn bind(nickname: &str) -> Option<Handler> {
    match nickname {
        "list" => handler!(list),
        "get" => handler!(get),
        "update" => handler!(update),
        "delete" => handler!(delete),
        _ => None,
    }
}

fn store(state: &AriState) -> Result<&Store, AriError> {
    state.store().ok_or_else(|| AriError::not_implemented("Not implemented"))
}

fn name(call: &Call) -> &str {
    call.params.text("mailboxName").unwrap_or_default()
}

fn model(mailbox: Mailbox) -> models::Mailbox {
    models::Mailbox { name: mailbox.name, old_messages: mailbox.old_messages, new_messages: mailbox.new_messages }
}

/// The 500 Asterisk answers when it cannot build a mailbox's answer.
fn unreadable(error: sb_store::Error) -> AriError {
    tracing::warn!(%error, "ARI mailboxes: the store could not be read");
    AriError::internal("Error building response")
}

async fn list(state: AriState, _call: Call) -> Result<Reply, AriError> {
    let mut conn = store(&state)?.read().await.map_err(unreadable)?;
    let mailboxes = conn.mailboxes().await.map_err(unreadable)?;
    Ok(Reply::json(mailboxes.into_iter().map(model).collect::<Vec<_>>()))
}

async fn get(state: AriState, call: Call) -> Result<Reply, AriError> {
    let mut conn = store(&state)?.read().await.map_err(unreadable)?;
    match conn.mailbox(name(&call)).await.map_err(unreadable)? {
        Some(mailbox) => Ok(Reply::json(model(mailbox))),
        // Asterisk's words, its slip included.
        None => Err(AriError::not_found("Mailbox is does not exist")),
    }
}

/// The 500 Asterisk answers, with `message`, when it cannot change a mailbox.
fn write_failed(message: &'static str) -> impl Fn(sb_store::Error) -> AriError + Copy {
    move |error| {
        tracing::warn!(%error, "ARI mailboxes: the store could not be written");
        AriError::internal(message)
    }
}

/// A count from the query: a negative one is refused (Asterisk would store it wrapped
/// round to four billion).
fn count(call: &Call, param: &str) -> Result<i64, AriError> {
    let value = call.params.int(param).unwrap_or_default();
    if value < 0 {
        return Err(AriError::bad_request(format!("Invalid value for {param}: must be at least 0")));
    }
    Ok(value)
}

async fn update(state: AriState, call: Call) -> Result<Reply, AriError> {
    let mailbox = Mailbox {
        name: name(&call).to_owned(),
        old_messages: count(&call, "oldMessages")?,
        new_messages: count(&call, "newMessages")?,
    };
    let failed = write_failed("Error updating mailbox");
    let mut tx = store(&state)?.write_records().await.map_err(failed)?;
    tx.put_mailbox(&mailbox).await.map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    tell_phones(&state, &mailbox);
    Ok(Reply::NoContent)
}

/// Tells the phones of the extension the mailbox names (its lamp), without holding the
/// answer back (as Asterisk, which answers before its NOTIFYs go).
fn tell_phones(state: &AriState, mailbox: &Mailbox) {
    let Some(pbx) = state.pbx().cloned() else { return };
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    let (name, new, old) = (mailbox.name.clone(), count(mailbox.new_messages), count(mailbox.old_messages));
    tokio::spawn(async move {
        if let Err(e) = pbx.notify_mailbox(&name, new, old).await {
            tracing::warn!(mailbox = %name, error = %e, "message-waiting NOTIFY not sent");
        }
    });
}

async fn delete(state: AriState, call: Call) -> Result<Reply, AriError> {
    let failed = write_failed("Failed to delete the mailbox");
    let mut tx = store(&state)?.write_records().await.map_err(failed)?;
    if !tx.delete_mailbox(name(&call)).await.map_err(failed)? {
        return Err(AriError::not_found("Mailbox does not exist"));
    }
    tx.commit().await.map_err(failed)?;
    tell_phones(&state, &Mailbox { name: name(&call).to_owned(), old_messages: 0, new_messages: 0 });
    Ok(Reply::NoContent)
}
