//! Class of service rules: dial pattern sets applied per extension (see `cosopens`,
//! `coscloses`, which link rules to extensions).

use super::{DIAL_PATTERNS, PRINTABLE_LINE, YES_NO};
use crate::provisioning::model::*;

pub static COS_RULES: Resource = Resource {
    name: "cosrules",
    singular: "class of service rule",
    table: "cosrules",
    tenancy: Tenancy::Global,
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]),
        Field::text("dialplan").required().rules(&[Rule::Max(4096), Rule::Regex(DIAL_PATTERNS)]).doc("Dial patterns the rule blocks"),
        Field::text("active").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("defaultclosed").default("NO").rules(&[Rule::In(YES_NO)]).doc("Apply to new extensions while closed"),
        Field::text("defaultopen").default("NO").rules(&[Rule::In(YES_NO)]).doc("Apply to new extensions while open"),
        Field::text("orideclosed").default("NO").rules(&[Rule::In(YES_NO)]),
        Field::text("orideopen").default("NO").rules(&[Rule::In(YES_NO)]),
        Field::text("description").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
    ],
    doc: "Class of service rules.",
    ..Resource::BASE
};
