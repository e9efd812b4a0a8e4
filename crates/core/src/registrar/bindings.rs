//! Binding rules of RFC 3261 §10.3 steps 6–8: expiry choice and limits, `*` removal,
//! Call-ID/CSeq ordering, and a bound on contacts per address of record.

use std::collections::HashMap;
use std::net::SocketAddr;

/// How long registrations may last and how many one extension may hold.
#[derive(Debug, Clone, Copy)]
pub struct RegisterPolicy {
    /// Shorter non-zero expiries are refused with 423 (RFC 3261 §10.3 step 7).
    pub min_expires: u32,
    /// Longer expiries are shortened to this.
    pub max_expires: u32,
    /// Used when neither the contact nor the request says.
    pub default_expires: u32,
    /// Most contacts one address of record may have at once.
    pub max_contacts: usize,
}

impl Default for RegisterPolicy {
    fn default() -> Self {
        RegisterPolicy { min_expires: 60, max_expires: 3600, default_expires: 3600, max_contacts: 10 }
    }
}

/// One contact a REGISTER asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedContact {
    /// The contact URI, as the phone wrote it.
    pub uri: String,
    /// The contact's own `expires` parameter.
    pub expires: Option<u32>,
}

/// The Contact header field(s) of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactSet {
    /// No Contact: a query for the current bindings.
    Query,
    /// `Contact: *`: remove every binding (only with `Expires: 0`).
    Wildcard,
    /// Contacts to add, refresh or remove.
    List(Vec<RequestedContact>),
}

/// The facts of an authenticated REGISTER that the rules need.
#[derive(Debug, Clone)]
pub struct RegisterRequest {
    /// The address of record (the extension).
    pub aor: String,
    /// Call-ID: one per phone registration "session".
    pub call_id: String,
    /// CSeq number, increasing within a Call-ID.
    pub cseq: u32,
    /// The `Expires` header field, if any.
    pub expires: Option<u32>,
    /// The Contact header field(s).
    pub contacts: ContactSet,
    /// Where the request really came from (NAT: contacts are reached here).
    pub source: SocketAddr,
    /// The transport it came over (`udp`, `tcp`, `tls`).
    pub transport: String,
    /// The User-Agent header field, for display.
    pub user_agent: Option<String>,
}

/// A current registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI.
    pub uri: String,
    /// Unix time at which it lapses.
    pub expires_at: u64,
    /// Call-ID of the REGISTER that made or last refreshed it.
    pub call_id: String,
    /// CSeq of that REGISTER.
    pub cseq: u32,
    /// The address the REGISTER came from.
    pub source: SocketAddr,
    /// The transport it came over.
    pub transport: String,
    /// The phone's User-Agent.
    pub user_agent: Option<String>,
}

impl Binding {
    /// Seconds left at `now` (what a 200 OK reports as the contact's `expires`).
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

/// Why a REGISTER is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// 423 Interval Too Brief, with the Min-Expires to advertise.
    #[error("Interval Too Brief")]
    IntervalTooBrief {
        /// The smallest acceptable expiry.
        min: u32,
    },
    /// 400: `*` with other contacts or a non-zero expiry (RFC 3261 §10.3 step 6).
    #[error("Bad Request (wildcard Contact needs Expires: 0 and no other contact)")]
    WildcardMisuse,
    /// 400: a REGISTER older than the one that last changed a binding, in the same Call-ID.
    #[error("Bad Request (CSeq out of order)")]
    OutOfOrder,
    /// 403: more contacts than the policy allows.
    #[error("Forbidden (more than {max} contacts)")]
    TooManyContacts {
        /// The limit.
        max: usize,
    },
}

impl RegisterError {
    /// The SIP status to answer.
    pub fn status(&self) -> u16 {
        match self {
            RegisterError::IntervalTooBrief { .. } => 423,
            RegisterError::WildcardMisuse | RegisterError::OutOfOrder => 400,
            RegisterError::TooManyContacts { .. } => 403,
        }
    }
}

/// Every address of record's bindings.
#[derive(Debug, Default, Clone)]
pub struct Bindings {
    policy: RegisterPolicy,
    by_aor: HashMap<String, Vec<Binding>>,
}

impl Bindings {
    /// An empty table with `policy`.
    pub fn new(policy: RegisterPolicy) -> Bindings {
        Bindings { policy, by_aor: HashMap::new() }
    }

    /// Restores a binding (from the store, at start).
    pub fn restore(&mut self, aor: &str, binding: Binding) {
        self.by_aor.entry(aor.to_owned()).or_default().push(binding);
    }

    /// Sets the bindings of `aor` back to `bindings` (undoing a change the store refused).
    pub fn replace(&mut self, aor: &str, bindings: Vec<Binding>) {
        if bindings.is_empty() {
            self.by_aor.remove(aor);
        } else {
            self.by_aor.insert(aor.to_owned(), bindings);
        }
    }

    /// The live bindings of `aor` at `now`.
    pub fn contacts(&self, aor: &str, now: u64) -> Vec<Binding> {
        self.by_aor.get(aor).map(|b| b.iter().filter(|b| b.expires_at > now).cloned().collect()).unwrap_or_default()
    }

    /// Applies a REGISTER; answers the bindings of its address of record afterwards.
    /// Nothing changes when it is refused.
    pub fn register(&mut self, request: &RegisterRequest, now: u64) -> Result<Vec<Binding>, RegisterError> {
        let mut current: Vec<Binding> = self.contacts(&request.aor, now);
        match &request.contacts {
            ContactSet::Query => {}
            ContactSet::Wildcard => {
                if request.expires != Some(0) {
                    return Err(RegisterError::WildcardMisuse);
                }
                if current.iter().any(|b| b.call_id == request.call_id && b.cseq >= request.cseq) {
                    return Err(RegisterError::OutOfOrder);
                }
                current.clear();
            }
            ContactSet::List(contacts) => {
                for contact in contacts {
                    let asked = contact.expires.or(request.expires).unwrap_or(self.policy.default_expires);
                    if asked != 0 && asked < self.policy.min_expires {
                        return Err(RegisterError::IntervalTooBrief { min: self.policy.min_expires });
                    }
                    let existing = current.iter().position(|b| same_contact(&b.uri, &contact.uri));
                    if let Some(i) = existing {
                        let old = &current[i];
                        if old.call_id == request.call_id && old.cseq >= request.cseq {
                            return Err(RegisterError::OutOfOrder);
                        }
                        current.remove(i);
                    }
                    if asked == 0 {
                        continue;
                    }
                    current.push(Binding {
                        uri: contact.uri.clone(),
                        expires_at: now + u64::from(asked.min(self.policy.max_expires)),
                        call_id: request.call_id.clone(),
                        cseq: request.cseq,
                        source: request.source,
                        transport: request.transport.clone(),
                        user_agent: request.user_agent.clone(),
                    });
                }
                if current.len() > self.policy.max_contacts {
                    return Err(RegisterError::TooManyContacts { max: self.policy.max_contacts });
                }
            }
        }
        if current.is_empty() {
            self.by_aor.remove(&request.aor);
        } else {
            self.by_aor.insert(request.aor.clone(), current.clone());
        }
        Ok(current)
    }

    /// Drops lapsed bindings; answers them (for logging and device state).
    pub fn expire(&mut self, now: u64) -> Vec<(String, Binding)> {
        let mut gone = Vec::new();
        self.by_aor.retain(|aor, bindings| {
            bindings.retain(|b| {
                let live = b.expires_at > now;
                if !live {
                    gone.push((aor.clone(), b.clone()));
                }
                live
            });
            !bindings.is_empty()
        });
        gone
    }

    /// How many bindings are held (for metrics and bounds).
    pub fn len(&self) -> usize {
        self.by_aor.values().map(Vec::len).sum()
    }

    /// Whether no binding is held.
    pub fn is_empty(&self) -> bool {
        self.by_aor.is_empty()
    }
}

/// Contact URIs compare by RFC 3261 §19.1.4 rules in full; phones resend their own
/// contact byte for byte, so an exact match with a case-insensitive scheme and host part
/// covers them.
fn same_contact(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.trim_matches(['<', '>']) == b.trim_matches(['<', '>'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn request(cseq: u32, contacts: ContactSet, expires: Option<u32>) -> RegisterRequest {
        RegisterRequest {
            aor: "1001".into(),
            call_id: "call-a".into(),
            cseq,
            expires,
            contacts,
            source: "192.0.2.10:5062".parse().unwrap(),
            transport: "udp".into(),
            user_agent: Some("baresip".into()),
        }
    }

    fn contact(uri: &str, expires: Option<u32>) -> ContactSet {
        ContactSet::List(vec![RequestedContact { uri: uri.into(), expires }])
    }

    #[test]
    fn register_refresh_query_and_expiry() {
        let mut b = Bindings::new(RegisterPolicy::default());
        let got = b.register(&request(1, contact("sip:1001@192.0.2.10:5062", None), Some(120)), T0).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].remaining(T0), 120);
        // Refresh in the same Call-ID with a higher CSeq.
        let got = b.register(&request(2, contact("sip:1001@192.0.2.10:5062", Some(300)), None), T0 + 60).unwrap();
        assert_eq!((got.len(), got[0].remaining(T0 + 60)), (1, 300));
        // A query changes nothing.
        assert_eq!(b.register(&request(3, ContactSet::Query, None), T0 + 61).unwrap(), got);
        assert!(b.expire(T0 + 359).is_empty());
        assert_eq!(b.expire(T0 + 360).len(), 1);
        assert!(b.contacts("1001", T0 + 360).is_empty() && b.is_empty());
    }

    #[test]
    fn several_contacts_and_removal_by_zero_expiry() {
        let mut b = Bindings::new(RegisterPolicy::default());
        b.register(&request(1, contact("sip:1001@desk", None), None), T0).unwrap();
        let mut other = request(1, contact("sip:1001@mobile", None), None);
        other.call_id = "call-b".into();
        assert_eq!(b.register(&other, T0).unwrap().len(), 2);
        assert_eq!(b.register(&request(2, contact("sip:1001@desk", Some(0)), None), T0).unwrap().len(), 1);
        assert_eq!(b.contacts("1001", T0)[0].uri, "sip:1001@mobile");
    }

    #[test]
    fn wildcard_rules() {
        let mut b = Bindings::new(RegisterPolicy::default());
        b.register(&request(1, contact("sip:1001@desk", None), None), T0).unwrap();
        assert_eq!(b.register(&request(2, ContactSet::Wildcard, None), T0), Err(RegisterError::WildcardMisuse));
        assert_eq!(b.register(&request(2, ContactSet::Wildcard, Some(60)), T0), Err(RegisterError::WildcardMisuse));
        assert_eq!(b.register(&request(1, ContactSet::Wildcard, Some(0)), T0), Err(RegisterError::OutOfOrder));
        assert!(b.register(&request(2, ContactSet::Wildcard, Some(0)), T0).unwrap().is_empty());
        assert!(b.is_empty());
    }

    #[test]
    fn limits() {
        let policy = RegisterPolicy { max_contacts: 2, ..RegisterPolicy::default() };
        let mut b = Bindings::new(policy);
        let brief = b.register(&request(1, contact("sip:1001@desk", Some(30)), None), T0);
        assert_eq!(brief, Err(RegisterError::IntervalTooBrief { min: 60 }));
        assert_eq!(brief.unwrap_err().status(), 423);
        let long = b.register(&request(2, contact("sip:1001@desk", Some(86_400)), None), T0).unwrap();
        assert_eq!(long[0].remaining(T0), 3600, "capped at max_expires");
        let three = ContactSet::List(vec![
            RequestedContact { uri: "sip:a@x".into(), expires: None },
            RequestedContact { uri: "sip:b@x".into(), expires: None },
        ]);
        assert_eq!(b.register(&request(3, three, None), T0), Err(RegisterError::TooManyContacts { max: 2 }));
        assert_eq!(b.contacts("1001", T0).len(), 1, "a refused REGISTER changes nothing");
    }

    #[test]
    fn stale_cseq_is_refused_but_another_call_id_is_not() {
        let mut b = Bindings::new(RegisterPolicy::default());
        b.register(&request(5, contact("sip:1001@desk", None), None), T0).unwrap();
        assert_eq!(b.register(&request(5, contact("sip:1001@desk", None), None), T0), Err(RegisterError::OutOfOrder));
        let mut rebooted = request(1, contact("sip:1001@desk", None), None);
        rebooted.call_id = "after-reboot".into();
        assert_eq!(b.register(&rebooted, T0).unwrap()[0].call_id, "after-reboot");
    }
}
