//! Tenants (SARK's `cluster`): every other item belongs to one.

use crate::provisioning::model::*;

pub static TENANTS: Resource = Resource {
    name: "tenants",
    singular: "tenant",
    table: "tenants",
    tenancy: Tenancy::IsTenant,
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("Tenant name"),
        Field::text("description").required().doc("What the tenant is"),
        Field::int("abstimeout").default("14400").rules(&[Rule::Min(0), Rule::Max(86400)]).doc("Absolute call timeout in seconds"),
        Field::text("clusterclid").rules(&[Rule::Nullable, Rule::DigitString { plus: true }]).doc("Caller id presented for the tenant"),
        Field::int("callgroup").rules(&[Rule::Nullable, Rule::Min(0), Rule::Max(63)]),
        Field::int("chanmax").default("30").rules(&[Rule::Min(0), Rule::Max(100000)]).doc("Most concurrent external channels"),
        Field::text("include").rules(&[Rule::Nullable, Rule::Regex(r"^(ALL|[A-Za-z0-9_-]+(\s+[A-Za-z0-9_-]+)*)$")]).doc("Tenants whose extensions are visible (names or ALL)"),
        Field::text("localarea").rules(&[Rule::Nullable, Rule::DigitString { plus: false }]),
        Field::text("localdplan").rules(&[Rule::Nullable, Rule::Regex(r"^_X+$")]),
        Field::text("masteroclo").default("AUTO").rules(&[Rule::In(&["AUTO", "CLOSED"])]).doc("AUTO follows the timers, CLOSED forces closed"),
        Field::int("operator").rules(&[Rule::Nullable, Rule::Min(0)]).doc("Operator extension"),
        Field::int("pickupgroup").rules(&[Rule::Nullable, Rule::Min(0), Rule::Max(63)]),
        Field::text("oclo").read_only().doc("Current open/closed state, computed"),
    ],
    undeletable: &["default"],
    doc: "Tenants partition every other resource; `default` always exists.",
    ..Resource::BASE
};
