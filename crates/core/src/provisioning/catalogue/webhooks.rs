//! Webhooks: where a tenant's call events are POSTed (salara's `dest_url_event`, made
//! several per tenant, signed and retried). Delivery itself is `sb-crm`'s.

use super::PRINTABLE_LINE;
use crate::provisioning::model::*;

/// The event names a webhook may ask for: salara's four.
pub const WEBHOOK_EVENTS: &[&str] = &["Newchannel", "Hangup", "Newexten", "AgentConnect"];

/// [`WEBHOOK_EVENTS`] as a list item pattern (a test keeps the two the same).
const WEBHOOK_EVENT_PATTERN: &str = "^(Newchannel|Hangup|Newexten|AgentConnect)$";

/// An absolute http(s) URL without credentials: a host name, IPv4 or bracketed IPv6
/// address, an optional port, then printable ASCII. Credentials in a URL end up in logs;
/// the signature is how the receiver knows the sender.
const WEBHOOK_URL: &str = r"^(?i)https?://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])(:[0-9]{1,5})?([/?#][\x21-\x7E]*)?$";

pub static WEBHOOKS: Resource = Resource {
    name: "webhooks",
    singular: "webhook",
    table: "webhooks",
    key: KeySpec::Serial { pkey_prefix: "webhook" },
    fields: &[
        Field::text("pkey").read_only().doc("Generated name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]).doc("Tenant whose calls are reported"),
        Field::text("url").required().rules(&[Rule::Max(2000), Rule::Regex(WEBHOOK_URL)]).doc(
            "Where events are POSTed: http(s), no credentials; private addresses only when the server allows them",
        ),
        Field::text("secret")
            .rules(&[Rule::Min(16), Rule::Max(128), Rule::Regex(super::PRINTABLE_TOKEN)])
            .secret(Some(Generator::Token(32)))
            .doc("HMAC-SHA256 key of X-Switchboard-Signature (write-only; generated and shown once when left out)"),
        Field::text("active").default("YES").rules(&[Rule::In(super::YES_NO)]).doc("NO keeps events queued, unsent"),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Max(80), Rule::Regex(PRINTABLE_LINE)]),
    ],
    lists: &[ListField {
        wire: "events",
        table: "webhook_events",
        column: "event",
        item_pattern: WEBHOOK_EVENT_PATTERN,
        max_items: 4,
        doc: "Events sent, space separated or a JSON array: Newchannel, Hangup, Newexten, AgentConnect; none = all",
    }],
    doc: "Webhooks: each call event of the tenant (salara's JSON) is POSTed to `url`, signed, retried with backoff, \
          in order per call; delivery state is at `/webhooks/deliveries`.",
    ..Resource::BASE
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_pattern_takes_exactly_the_event_names() {
        let pattern = regex::Regex::new(WEBHOOK_EVENT_PATTERN).expect("pattern");
        for name in WEBHOOK_EVENTS {
            assert!(pattern.is_match(name), "{name}");
        }
        let alternatives = WEBHOOK_EVENT_PATTERN.trim_start_matches("^(").trim_end_matches(")$").split('|');
        assert_eq!(alternatives.collect::<Vec<_>>(), WEBHOOK_EVENTS);
        for bad in ["newchannel", "Hangup2", "", "Newchannel|Hangup"] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_http_or_https_without_credentials() {
        let url = regex::Regex::new(WEBHOOK_URL).expect("pattern");
        for good in [
            "https://crm.example.com/hooks/switchboard",
            "http://127.0.0.1:8080/hook?tenant=a&x=1",
            "HTTPS://CRM.EXAMPLE.COM",
            "http://[::1]:9000/h",
            "https://crm.example.com.:443/#frag",
        ] {
            assert!(url.is_match(good), "{good}");
        }
        for bad in [
            "ftp://crm.example.com/",
            "https://user:pass@crm.example.com/",
            "https://@crm.example.com/",
            "crm.example.com/hook",
            "https:///path",
            "https://crm example.com/",
            "https://crm.example.com/a b",
            "javascript:alert(1)",
            "https://-bad.example.com/",
            "https://crm.example.com:99999999/",
        ] {
            assert!(!url.is_match(bad), "{bad}");
        }
    }
}
