//! Recurring (day) timers and one-off (holiday) timers, keyed by number as in SARK.

use crate::provisioning::model::*;

const DAYS_OF_MONTH: &[&str] = &[
    "*", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
    "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
];

pub static DAY_TIMERS: Resource = Resource {
    name: "daytimers",
    singular: "day timer",
    table: "daytimers",
    key: KeySpec::Serial { pkey_prefix: "dateSeg" },
    fields: &[
        Field::text("pkey").read_only().doc("Generated name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("datemonth").default("*").rules(&[Rule::In(DAYS_OF_MONTH)]),
        Field::text("dayofweek").default("*").rules(&[Rule::In(&["*", "mon", "tue", "wed", "thu", "fri", "sat", "sun"])]),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Max(80)]),
        Field::text("month").default("*").rules(&[Rule::In(&[
            "*", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ])]),
        Field::text("timespan")
            .default("*")
            .rules(&[Rule::Regex(r"^(\*|(2[0-3]|[01][0-9]):([0-5][0-9])-(2[0-3]|[01][0-9]):([0-5][0-9]))$")])
            .doc("`*` or HH:MM-HH:MM"),
        Field::text("state").read_only().doc("Maintained by the timer scheduler"),
    ],
    doc: "Recurring open/closed timers, addressed by `id`.",
    ..Resource::BASE
};

pub static HOLIDAY_TIMERS: Resource = Resource {
    name: "holidaytimers",
    singular: "holiday timer",
    table: "holidaytimers",
    key: KeySpec::Serial { pkey_prefix: "sched" },
    fields: &[
        Field::text("pkey").read_only().doc("Generated name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("route").required().rules(&[Rule::Destination { class: "routeclass" }]).doc("Destination while the timer runs"),
        Field::int("routeclass").read_only(),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Max(80)]),
        Field::int("stime").rules(&[Rule::Nullable, Rule::Digits(10)]).doc("Start, epoch seconds"),
        Field::int("etime").rules(&[Rule::Nullable, Rule::Digits(10)]).doc("End, epoch seconds"),
    ],
    doc: "One-off overrides of a tenant's routing between `stime` and `etime`, addressed by `id`.",
    ..Resource::BASE
};
