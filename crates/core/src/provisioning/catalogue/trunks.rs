//! Trunks (SIP/IAX2 carriers) and inbound routes (DDIs and CLID routes). SARK kept both
//! in one `lineio` table; here they are two.

use super::{DEVICEREC, ON_OFF, PRINTABLE_LINE, PRINTABLE_TOKEN, YES_NO};
use crate::provisioning::draft::Draft;
use crate::provisioning::model::*;
use crate::provisioning::FieldErrors;
use sb_store::Value;

const HOST: &str = r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$";

pub static TRUNKS: Resource = Resource {
    name: "trunks",
    singular: "trunk",
    table: "trunks",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::AlphaDash, Rule::Max(40)]).doc("Trunk name"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("carrier").required().create_only().rules(&[Rule::In(&["GeneralSIP", "GeneralIAX2"])]),
        Field::text("technology").read_only().doc("SIP or IAX2, from the carrier"),
        Field::text("username").required().rules(&[Rule::Max(80), Rule::Regex(r"^[^\s:@]+$")]),
        Field::text("host").required().rules(&[Rule::Max(255), Rule::Regex(HOST)]).doc("Carrier host name or IP, optional :port"),
        Field::text("peername").rules(&[Rule::Nullable, Rule::AlphaDash, Rule::Max(80)]).doc("Defaults to username"),
        Field::text("trunkname").rules(&[Rule::Nullable, Rule::Max(80)]).doc("Defaults to peername"),
        Field::text("password")
            .secret(Some(Generator::Password(20)))
            .rules(&[Rule::Max(80), Rule::Regex(PRINTABLE_TOKEN)])
            .doc("Carrier secret: write-only"),
        Field::text("active").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("alertinfo").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("callerid").rules(&[Rule::Nullable, Rule::DigitString { plus: true }]),
        Field::text("callprogress").default("OFF").rules(&[Rule::In(ON_OFF)]),
        Field::text("description").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("devicerec").default("None").rules(&[Rule::In(DEVICEREC)]),
        Field::text("disa").rules(&[Rule::Nullable, Rule::In(&["DISA", "CALLBACK"])]),
        Field::text("disapass").secret(None).rules(&[Rule::Nullable, Rule::AlphaNum, Rule::Min(6), Rule::Max(32)]).doc("DISA password: write-only"),
        Field::text("inprefix").rules(&[Rule::Nullable, Rule::DigitString { plus: false }]),
        Field::int("match").rules(&[Rule::Nullable, Rule::Min(0), Rule::Max(64)]),
        Field::text("moh").default("OFF").rules(&[Rule::In(ON_OFF)]),
        Field::text("register").secret(None).rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_TOKEN)]).doc("Registration string (holds the secret): write-only"),
        Field::text("sipiaxpeer").secret(None).rules(&[Rule::Nullable, Rule::Max(8192)]).doc("Extra peer settings (may hold secrets): write-only"),
        Field::text("sipiaxuser").secret(None).rules(&[Rule::Nullable, Rule::Max(8192)]).doc("Extra user settings: write-only"),
        Field::text("swoclip").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("tag").rules(&[Rule::Nullable, Rule::AlphaNum, Rule::Max(40)]),
        Field::text("transform").rules(&[Rule::Nullable, Rule::Regex(r"^[0-9+*#X_.:\s\-]*$")]).doc("Number transforms, e.g. `44:0`"),
    ],
    creators: &[Creator { prepare: Some(trunk_defaults), ..Creator::PLAIN }],
    routable: Some(Routable { class: 9, group: "Trunks" }),
    doc: "SIP and IAX2 trunks to carriers. Secrets are write-only.",
    ..Resource::BASE
};

/// SARK's create defaults: peername from username, trunkname from peername, technology
/// from the carrier.
fn trunk_defaults(draft: &mut Draft) -> Result<(), FieldErrors> {
    let technology = match draft.text("carrier") {
        Some("GeneralIAX2") => "IAX2",
        _ => "SIP",
    };
    draft.set(&TRUNKS, "technology", Value::from(technology));
    if draft.text("peername").is_none() {
        if let Some(username) = draft.text("username").map(str::to_owned) {
            if username.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                draft.set(&TRUNKS, "peername", Value::Text(username));
            }
        }
    }
    if draft.text("trunkname").is_none() {
        if let Some(peer) = draft.text("peername").map(str::to_owned) {
            draft.set(&TRUNKS, "trunkname", Value::Text(peer));
        }
    }
    Ok(())
}

pub static INBOUND_ROUTES: Resource = Resource {
    name: "inboundroutes",
    singular: "inbound route",
    table: "inboundroutes",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::Regex(r"^\+?[A-Za-z0-9_.\[\]!\-]{1,40}$")]).doc("The DDI number or CLID pattern"),
        Field::text("carrier").required().rules(&[Rule::In(&["DiD", "CLID"])]),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]),
        Field::text("trunkname").required().rules(&[Rule::Max(80), Rule::Regex(PRINTABLE_LINE)]),
        Field::text("active").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("alertinfo").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("openroute").rules(&[Rule::Nullable, Rule::Destination { class: "routeclassopen" }]).doc("Destination while open"),
        Field::int("routeclassopen").read_only(),
        Field::text("closeroute").rules(&[Rule::Nullable, Rule::Destination { class: "routeclassclosed" }]).doc("Destination while closed"),
        Field::int("routeclassclosed").read_only(),
        Field::text("description").rules(&[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)]),
        Field::text("disa").rules(&[Rule::Nullable, Rule::In(&["DISA", "CALLBACK"])]),
        Field::text("disapass").secret(None).rules(&[Rule::Nullable, Rule::AlphaNum, Rule::Min(6), Rule::Max(32)]).doc("DISA password: write-only"),
        Field::text("inprefix").rules(&[Rule::Nullable, Rule::DigitString { plus: false }]),
        Field::text("moh").default("OFF").rules(&[Rule::In(ON_OFF)]),
        Field::text("swoclip").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("tag").rules(&[Rule::Nullable, Rule::AlphaNum, Rule::Max(40)]),
    ],
    doc: "Inbound routes: a DDI (or caller id pattern) and where its calls go when open or closed.",
    ..Resource::BASE
};
