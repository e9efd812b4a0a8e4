//! Transaction keys: which transaction a message belongs to. Requests are matched to server
//! transactions by branch, sent-by and method (RFC 3261 §17.2.3), responses to client
//! transactions by branch and CSeq method (§17.1.3). Only RFC 3261 branches (with the magic
//! cookie) are supported; the RFC 2543 fallback of §17.2.3 is not.

use std::fmt;

use thiserror::Error;

/// The prefix of every RFC 3261 branch (§8.1.1.7): its presence says the branch is unique.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Which side of a transaction a key names; keeps client and server keys apart when a UA
/// talks to itself (its requests then carry the same branch and sent-by both ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A client transaction: we sent the request.
    Client,
    /// A server transaction: we received the request.
    Server,
}

/// The identity of a transaction (§17.1.3, §17.2.3), built from plain values the message
/// layer extracted from the top Via and the request line or CSeq.
///
/// Matching rules baked in:
/// - the method of an ACK is taken as INVITE, so an ACK finds the INVITE transaction it
///   acknowledges (§17.2.3 rule 3);
/// - a CANCEL keeps its own method, so it has its own transaction even though it shares the
///   INVITE's branch (§9.2, §17.1.3);
/// - the branch and the sent-by host compare case-insensitively (§7.3.1: parameter values
///   and host names are case-insensitive unless stated otherwise); methods are
///   case-sensitive (§7.1). The port is compared as given: a retransmission repeats the
///   top Via exactly, so no default port is filled in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionKey {
    role: Role,
    branch: String,
    /// `host` or `host:port`, host lowercased; empty for client keys.
    sent_by: String,
    method: String,
}

/// Why no key could be built; the caller answers the request with 400 (or drops the
/// response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The branch does not start with `z9hG4bK`: an RFC 2543 peer, whose matching rules
    /// (§17.2.3, last paragraphs) are not supported.
    #[error("the Via branch lacks the RFC 3261 magic cookie z9hG4bK (RFC 2543 matching is not supported)")]
    MissingMagicCookie,
    /// The Via sent-by has no host.
    #[error("the Via sent-by has no host")]
    EmptySentBy,
    /// The method is empty.
    #[error("the method is empty")]
    EmptyMethod,
}

impl TransactionKey {
    /// The key of a server transaction from a request's top Via branch, its sent-by
    /// (`host`, optional `port`), and the request method (§17.2.3).
    pub fn server(branch: &str, host: &str, port: Option<u16>, method: &str) -> Result<TransactionKey, KeyError> {
        if host.is_empty() {
            return Err(KeyError::EmptySentBy);
        }
        let host = host.to_ascii_lowercase();
        let sent_by = match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Self::build(Role::Server, branch, sent_by, method)
    }

    /// The key of a client transaction from the branch of the top Via we put on the request
    /// and the method (of the request we sent, or of a response's CSeq) (§17.1.3).
    pub fn client(branch: &str, method: &str) -> Result<TransactionKey, KeyError> {
        Self::build(Role::Client, branch, String::new(), method)
    }

    fn build(role: Role, branch: &str, sent_by: String, method: &str) -> Result<TransactionKey, KeyError> {
        let cookie = branch.get(..MAGIC_COOKIE.len());
        if !cookie.is_some_and(|cookie| cookie.eq_ignore_ascii_case(MAGIC_COOKIE)) {
            return Err(KeyError::MissingMagicCookie);
        }
        let branch = branch.to_ascii_lowercase();
        let method = match method {
            "" => return Err(KeyError::EmptyMethod),
            // §17.2.3: "the method of the request matches the one that created the
            // transaction, except for ACK, where the method of the request that created the
            // transaction is INVITE."
            "ACK" => "INVITE",
            other => other,
        };
        Ok(TransactionKey { role, branch, sent_by, method: method.to_owned() })
    }

    /// The key of the transaction with the same branch and sent-by but another method: the
    /// INVITE a CANCEL names (§9.2), for instance.
    pub fn with_method(&self, method: &str) -> TransactionKey {
        let method = if method == "ACK" { "INVITE" } else { method };
        TransactionKey { method: method.to_owned(), ..self.clone() }
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The branch, lowercased.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The sent-by (`host` or `host:port`, host lowercased); empty for client keys.
    pub fn sent_by(&self) -> &str {
        &self.sent_by
    }

    /// The method of the transaction (INVITE for an ACK).
    pub fn method(&self) -> &str {
        &self.method
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.role {
            Role::Client => write!(f, "client {} {}", self.method, self.branch),
            Role::Server => write!(f, "server {} {} from {}", self.method, self.branch, self.sent_by),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRANCH: &str = "z9hG4bK776asdhds";

    #[test]
    fn ack_matches_the_invite_and_cancel_has_its_own_key() {
        let invite = TransactionKey::server(BRANCH, "pc33.atlanta.com", Some(5060), "INVITE").unwrap();
        let ack = TransactionKey::server(BRANCH, "pc33.atlanta.com", Some(5060), "ACK").unwrap();
        let cancel = TransactionKey::server(BRANCH, "pc33.atlanta.com", Some(5060), "CANCEL").unwrap();
        assert_eq!(ack, invite);
        assert_ne!(cancel, invite);
        assert_eq!(cancel.method(), "CANCEL");
        assert_eq!(invite.sent_by(), "pc33.atlanta.com:5060");
    }

    #[test]
    fn every_part_of_the_server_key_counts() {
        let key = |branch, host, port, method| TransactionKey::server(branch, host, port, method).unwrap();
        let base = key(BRANCH, "10.0.0.1", Some(5060), "INVITE");
        assert_ne!(base, key("z9hG4bKother", "10.0.0.1", Some(5060), "INVITE"));
        assert_ne!(base, key(BRANCH, "10.0.0.2", Some(5060), "INVITE"));
        assert_ne!(base, key(BRANCH, "10.0.0.1", Some(5062), "INVITE"));
        assert_ne!(base, key(BRANCH, "10.0.0.1", None, "INVITE"), "ports are compared as given");
        assert_ne!(base, key(BRANCH, "10.0.0.1", Some(5060), "BYE"));
        assert_ne!(base, key(BRANCH, "10.0.0.1", Some(5060), "invite"), "methods are case-sensitive");
    }

    #[test]
    fn branch_and_host_compare_case_insensitively() {
        let a = TransactionKey::server("z9hG4bKAbC", "PC33.Atlanta.COM", None, "OPTIONS").unwrap();
        let b = TransactionKey::server("Z9HG4BKabc", "pc33.atlanta.com", None, "OPTIONS").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.branch(), "z9hg4bkabc");
    }

    #[test]
    fn client_and_server_keys_never_collide() {
        let client = TransactionKey::client(BRANCH, "INVITE").unwrap();
        let server = TransactionKey::server(BRANCH, "self.example", None, "INVITE").unwrap();
        assert_ne!(client, server);
        assert_eq!(client.role(), Role::Client);
        assert_eq!(client.sent_by(), "");
        assert_ne!(client, TransactionKey::client(BRANCH, "CANCEL").unwrap(), "§17.1.3: CANCEL shares the branch");
    }

    #[test]
    fn keys_without_the_magic_cookie_are_refused() {
        for branch in ["", "z9hG4b", "776asdhds", "xz9hG4bK1", " z9hG4bK1"] {
            assert_eq!(
                TransactionKey::server(branch, "h", None, "INVITE"),
                Err(KeyError::MissingMagicCookie),
                "{branch:?}"
            );
            assert_eq!(TransactionKey::client(branch, "INVITE"), Err(KeyError::MissingMagicCookie));
        }
        assert_eq!(TransactionKey::server(BRANCH, "", None, "INVITE"), Err(KeyError::EmptySentBy));
        assert_eq!(TransactionKey::server(BRANCH, "h", None, ""), Err(KeyError::EmptyMethod));
        assert_eq!(TransactionKey::client(BRANCH, ""), Err(KeyError::EmptyMethod));
    }

    #[test]
    fn keys_display_for_logs() {
        let key = TransactionKey::server(BRANCH, "h", Some(5070), "ACK").unwrap();
        assert_eq!(key.to_string(), "server INVITE z9hg4bk776asdhds from h:5070");
        assert_eq!(TransactionKey::client(BRANCH, "BYE").unwrap().to_string(), "client BYE z9hg4bk776asdhds");
    }
}
