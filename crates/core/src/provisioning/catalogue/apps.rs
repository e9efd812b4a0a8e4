//! Custom apps (a safe subset of dialplan applications, see [`crate::custom_app`]) and phone
//! provisioning templates.

use super::PRINTABLE_LINE;
use crate::provisioning::model::*;

pub static CUSTOM_APPS: Resource = Resource {
    name: "customapps",
    singular: "custom app",
    table: "customapps",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("extcode")
            .rules(&[Rule::Nullable, Rule::Max(8192), Rule::Parsed(crate::custom_app::check)])
            .doc("Application calls, one per line: Stasis, Answer, Playback, Echo, Dial, Hangup, Wait"),
        Field::text("span").default("Neither").rules(&[Rule::In(&["Internal", "External", "Both", "Neither"])]).doc("Who can dial it by its key"),
        Field::text("striptags").default("NO").rules(&[Rule::In(&["YES", "NO"])]),
    ],
    routable: Some(Routable { class: 10, group: "CustomApps" }),
    doc: "Custom apps: a short sequence of safe applications, usable as a destination.",
    ..Resource::BASE
};

pub static TEMPLATES: Resource = Resource {
    name: "templates",
    singular: "template",
    table: "templates",
    tenancy: Tenancy::Global,
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::Max(80), Rule::Regex(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]),
        Field::text("technology").required().rules(&[Rule::In(&["SIP", "Descriptor", "BLF Template"])]),
        Field::text("blfkeyname").rules(&[Rule::Nullable, Rule::Exists("templates")]),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("provision").rules(&[Rule::Nullable, Rule::Max(65536)]).doc("Provisioning template text"),
    ],
    doc: "Phone provisioning templates.",
    ..Resource::BASE
};
