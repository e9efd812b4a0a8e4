//! Call queues and the agents who serve them (an agent's queues are rows, not columns).

use crate::provisioning::model::*;

/// A queues.conf-style stanza: `key = value` lines only, so nothing else can be injected.
const STANZA: &str = r"^(?:[ \t]*[A-Za-z][A-Za-z0-9_-]*[ \t]*=[ \t]*[^\r\n;]*(?:\r?\n|$))*$";

pub static QUEUES: Resource = Resource {
    name: "queues",
    singular: "queue",
    table: "queues",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("Queue name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("conf")
            .default("musiconhold=default\nstrategy=ringall\ntimeout=300\nretry=5\nwrapuptime=0\nmaxlen=0")
            .rules(&[Rule::Max(8192), Rule::Regex(STANZA)])
            .doc("Queue settings as `key=value` lines"),
        Field::text("devicerec").default("None").rules(&[Rule::In(&["None", "OTR", "OTRR", "Inbound"])]),
        Field::text("greetnum").rules(&[Rule::Nullable, Rule::Regex(r"^(usergreeting)?\d{4}$")]),
        Field::text("options").default("t").rules(&[Rule::Alpha, Rule::Max(20)]).doc("Queue() options"),
    ],
    routable: Some(Routable { class: 4, group: "Queues" }),
    doc: "Call queues.",
    ..Resource::BASE
};

pub static AGENTS: Resource = Resource {
    name: "agents",
    singular: "agent",
    table: "agents",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::Regex(r"^[1-9][0-9]{3}$")]).doc("Agent number, 1000-9999"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("name").required().rules(&[Rule::AlphaDash, Rule::Max(40)]),
        Field::text("passwd")
            .secret(Some(Generator::Pin(6)))
            .rules(&[Rule::Regex(r"^[0-9]{4,12}$")])
            .doc("Agent PIN: write-only, generated when left out"),
    ],
    slots: &[SlotGroup {
        table: "agent_queues",
        slots: (1, 6),
        fields: &[Field::text("queue").rules(&[Rule::Exists("queues")]).doc("A queue the agent serves")],
    }],
    doc: "Queue agents; `queue1`..`queue6` name the queues they serve.",
    ..Resource::BASE
};
