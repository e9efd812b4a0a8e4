//! Outbound routes, ring groups and IVR menus: the things that decide where a call goes.

use super::{DIAL_PATTERNS, PRINTABLE_LINE, YES_NO};
use crate::provisioning::model::*;

pub static ROUTES: Resource = Resource {
    name: "routes",
    singular: "route",
    table: "routes",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("Route name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("active").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("auth").default("NO").rules(&[Rule::In(YES_NO)]).doc("Ask for a PIN before dialling out"),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("dialplan").rules(&[Rule::Nullable, Rule::Max(4096), Rule::Regex(DIAL_PATTERNS)]).doc("Dial patterns this route takes, space separated"),
        Field::text("strategy").default("hunt").rules(&[Rule::In(&["hunt", "balance"])]),
    ],
    slots: &[SlotGroup {
        table: "route_paths",
        slots: (1, 4),
        fields: &[Field::text("path").rules(&[Rule::Exists("trunks")]).doc("Trunk tried in this position")],
    }],
    doc: "Outbound routes: dial patterns and up to four trunks (`path1`..`path4`) tried in order.",
    ..Resource::BASE
};

pub static RING_GROUPS: Resource = Resource {
    name: "ringgroups",
    singular: "ring group",
    table: "ringgroups",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("Ring group number or name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("outcome").required().rules(&[Rule::Destination { class: "outcomerouteclass" }]).doc("Where calls go when nobody answers"),
        Field::int("outcomerouteclass").read_only(),
        Field::text("devicerec").default("default").rules(&[Rule::In(&["default", "None", "OTR", "OTRR", "Inbound.Outbound", "Both"])]),
        Field::text("dialparamshunt").default("cIkt").rules(&[Rule::Alpha, Rule::Max(20)]),
        Field::text("dialparamsring").default("ciIkt").rules(&[Rule::Alpha, Rule::Max(20)]),
        Field::int("divert").rules(&[Rule::Nullable, Rule::Min(0)]),
        Field::text("greeting").rules(&[Rule::Nullable, Rule::Regex(r"^usergreeting\d{4}$")]),
        Field::text("grouptype").default("Ring").rules(&[Rule::In(&["Ring", "Hunt", "Alias", "Page"])]),
        Field::text("longdesc").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("obeydnd").default("NO").rules(&[Rule::In(YES_NO)]),
        Field::int("pagegroup").rules(&[Rule::Nullable, Rule::Min(0)]),
        Field::int("ringdelay").default("20").rules(&[Rule::Min(1), Rule::Max(3600)]).doc("Seconds to ring before the outcome"),
        Field::text("speedalert").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
    ],
    lists: &[ListField {
        wire: "out",
        table: "ringgroup_members",
        column: "member",
        item_pattern: r"^[@A-Za-z0-9_/\-]{1,80}$",
        max_items: 64,
        doc: "Members in ring order, space separated (extensions or numbers)",
    }],
    routable: Some(Routable { class: 1, group: "RingGroups" }),
    doc: "Ring groups: ring, hunt, alias or page a list of members, then go to `outcome`.",
    ..Resource::BASE
};

pub static IVRS: Resource = Resource {
    name: "ivrs",
    singular: "IVR",
    table: "ivrs",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("IVR name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("description").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::int("greetnum").rules(&[Rule::Nullable, Rule::Min(0), Rule::Max(9999)]).doc("Greeting number (usergreetingNNNN)"),
        Field::text("listenforext").default("NO").rules(&[Rule::In(YES_NO)]).doc("Accept extension numbers dialled at the menu"),
        Field::text("timeout").rules(&[Rule::Nullable, Rule::Destination { class: "timeoutrouteclass" }]).doc("Destination when nothing is pressed"),
        Field::int("timeoutrouteclass").read_only(),
    ],
    slots: &[SlotGroup {
        table: "ivr_options",
        slots: (0, 11),
        fields: &[
            Field::text("option").rules(&[Rule::Destination { class: "routeclass" }]).doc("Destination for this key (0-9, 10 = *, 11 = #)"),
            Field::int("routeclass").read_only(),
            Field::text("tag").rules(&[Rule::Nullable, Rule::AlphaDash, Rule::Max(40)]),
            Field::text("alert").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        ],
    }],
    routable: Some(Routable { class: 2, group: "IVRs" }),
    doc: "IVR menus: a greeting and a destination per key (`option0`..`option11`).",
    ..Resource::BASE
};
