//! The models of the `mailboxes` api-doc as serde types: optional fields are left out, never null.

use serde::{Deserialize, Serialize};

/// `Mailbox`: Represents the state of a mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct Mailbox {
    /// Name of the mailbox.
    pub name: String,
    /// Count of old messages in the mailbox.
    pub old_messages: i64,
    /// Count of new messages in the mailbox.
    pub new_messages: i64,
}
