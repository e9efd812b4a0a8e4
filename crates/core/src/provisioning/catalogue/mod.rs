//! Every provisionable resource, declared once. The HTTP routes, validation, storage and
//! OpenAPI description of `/api` are derived from these declarations.

mod apps;
mod cos;
mod extensions;
mod queues;
mod routing;
mod sysglobals;
mod tenants;
mod timers;
mod trunks;
mod webhooks;

use super::model::Resource;

pub use sysglobals::SYSGLOBALS;
pub use webhooks::WEBHOOK_EVENTS;

/// Dial patterns as SARK's dialplan fields hold them (Asterisk `_X.` style, space separated).
pub(crate) const DIAL_PATTERNS: &str = r"^[\sA-Za-z0-9_+*#.\[\]\-!]*$";
/// Printable ASCII without spaces (SIP secrets, user names).
pub(crate) const PRINTABLE_TOKEN: &str = r"^[\x21-\x7E]+$";
/// Printable ASCII with spaces.
pub(crate) const PRINTABLE_LINE: &str = r"^[\x20-\x7E]*$";
/// SARK's call recording choices.
pub(crate) const DEVICEREC: &[&str] = &["None", "OTR", "OTRR", "Inbound.Outbound", "Both"];
pub(crate) const YES_NO: &[&str] = &["YES", "NO"];
pub(crate) const ON_OFF: &[&str] = &["ON", "OFF"];

/// All resources served generically, in the order the OpenAPI description lists them.
pub static RESOURCES: &[&Resource] = &[
    &tenants::TENANTS,
    &extensions::EXTENSIONS,
    &trunks::TRUNKS,
    &trunks::INBOUND_ROUTES,
    &routing::ROUTES,
    &routing::RING_GROUPS,
    &queues::QUEUES,
    &queues::AGENTS,
    &routing::IVRS,
    &timers::DAY_TIMERS,
    &timers::HOLIDAY_TIMERS,
    &cos::COS_RULES,
    &apps::CUSTOM_APPS,
    &apps::TEMPLATES,
    &webhooks::WEBHOOKS,
];

/// Finds a resource by its URL name.
pub fn resource(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().copied().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioning::model::{KeySpec, Rule, Tenancy};

    #[test]
    fn every_reference_names_a_resource_and_every_regex_compiles() {
        for r in RESOURCES {
            let slot_fields = r.slots.iter().flat_map(|g| g.fields.iter());
            for f in r.fields.iter().chain(slot_fields) {
                for rule in f.rules {
                    match rule {
                        Rule::Exists(target) => assert!(resource(target).is_some(), "{}.{} -> {target}", r.name, f.name),
                        Rule::Regex(p) => assert!(regex::Regex::new(p).is_ok(), "{}.{}", r.name, f.name),
                        _ => {}
                    }
                }
            }
            if r.tenancy == Tenancy::Owned {
                assert!(r.field("cluster").is_some(), "{} is owned but has no cluster", r.name);
            }
            if let KeySpec::Natural(key) = r.key {
                assert!(r.field(key).is_some(), "{} has no key field {key}", r.name);
            }
            assert!(!r.creators.is_empty(), "{} has no creator", r.name);
        }
    }
}
