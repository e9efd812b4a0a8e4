//! Extensions (SARK's `ipphone`): phones and mailboxes, made by four typed creators.

use super::{DEVICEREC, ON_OFF, PRINTABLE_TOKEN, YES_NO};
use crate::provisioning::draft::Draft;
use crate::provisioning::model::*;
use crate::provisioning::FieldErrors;
use sb_store::Value;

pub static EXTENSIONS: Resource = Resource {
    name: "extensions",
    singular: "extension",
    table: "extensions",
    fields: &[
        Field::text("pkey").required().create_only().rules(&[Rule::Regex(r"^[0-9]{2,10}$")]).doc("Extension number"),
        Field::text("cluster").required().rules(&[Rule::Exists("tenants")]).doc("Tenant"),
        Field::text("device").read_only().doc("Device type, set by the creator (MAILBOX, General SIP, WebRTC or the phone vendor)"),
        Field::text("technology").read_only(),
        Field::text("desc").rules(&[Rule::Nullable, Rule::Max(80)]).doc("User name shown as caller id name"),
        Field::text("macaddr").create_only().rules(&[Rule::Nullable, Rule::Regex(r"^[0-9a-fA-F]{12}$")]).doc("Phone MAC address (provisioned phones)"),
        Field::text("passwd")
            .secret(Some(Generator::Password(20)))
            .rules(&[Rule::Min(12), Rule::Max(64), Rule::Regex(PRINTABLE_TOKEN)])
            .doc("SIP password: write-only, generated on create and shown once"),
        Field::text("active").default("YES").rules(&[Rule::In(YES_NO)]),
        Field::text("callbackto").default("desk").rules(&[Rule::In(&["desk", "cell"])]),
        Field::text("callerid").rules(&[Rule::Nullable, Rule::DigitString { plus: false }]),
        Field::text("cellphone").rules(&[Rule::Nullable, Rule::DigitString { plus: true }]),
        Field::text("celltwin").default("OFF").rules(&[Rule::In(ON_OFF)]),
        Field::text("devicerec").default("None").rules(&[Rule::In(DEVICEREC)]),
        Field::text("dvrvmail").rules(&[Rule::Nullable, Rule::Exists("extensions")]).doc("Divert to this extension's mailbox"),
        Field::text("location").default("local").rules(&[Rule::In(&["local", "remote"])]),
        Field::text("protocol").default("IPV4").rules(&[Rule::In(&["IPV4", "IPV6"])]),
        Field::text("provision").rules(&[Rule::Nullable, Rule::Max(65536)]).doc("Provisioning template text"),
        Field::text("provisionwith").default("IP").rules(&[Rule::In(&["IP", "FQDN"])]),
        Field::text("sndcreds").default("Always").rules(&[Rule::In(&["No", "Once", "Always"])]),
        Field::text("transport").default("udp").rules(&[Rule::In(&["udp", "tcp", "tls", "wss"])]),
        Field::text("vmailfwd").rules(&[Rule::Nullable, Rule::Email, Rule::Max(254)]).doc("Forward voicemail to this address"),
    ],
    creators: &[
        Creator {
            path: Some("mailbox"),
            requires: &[],
            presets: &[("device", "MAILBOX"), ("technology", "MAILBOX")],
            status: 200,
            prepare: None,
            default_cos: false,
            doc: "Create a mailbox-only extension",
        },
        Creator {
            path: Some("provisioned"),
            requires: &["macaddr"],
            presets: &[("technology", "SIP")],
            status: 201,
            prepare: Some(provisioned),
            default_cos: true,
            doc: "Create a phone provisioned by MAC address; the vendor comes from the MAC's OUI",
        },
        Creator {
            path: Some("unprovisioned"),
            requires: &[],
            presets: &[("device", "General SIP"), ("technology", "SIP")],
            status: 200,
            prepare: None,
            default_cos: true,
            doc: "Create a SIP extension for any phone or softphone",
        },
        Creator {
            path: Some("webrtc"),
            requires: &[],
            presets: &[("device", "WebRTC"), ("technology", "SIP"), ("transport", "wss")],
            status: 200,
            prepare: None,
            default_cos: true,
            doc: "Create a WebRTC extension",
        },
    ],
    routable: Some(Routable { class: 1, group: "Extensions" }),
    doc: "Extensions: phones, softphones and mailboxes. `passwd` is write-only.",
    ..Resource::BASE
};

/// OUI prefixes of the phone vendors SARK provisions.
const VENDOR_OUIS: &[(&str, &str)] = &[
    ("000413", "Snom"),
    ("001565", "Yealink"),
    ("805ec0", "Yealink"),
    ("249ad8", "Yealink"),
    ("44dbd2", "Yealink"),
    ("0004f2", "Polycom"),
    ("64167f", "Polycom"),
    ("00e0bb", "Polycom"),
    ("000b82", "Grandstream"),
    ("c074ad", "Grandstream"),
    ("ec74d7", "Grandstream"),
    ("00085d", "Aastra"),
    ("7c2f80", "Gigaset"),
    ("589ec6", "Gigaset"),
    ("080023", "Panasonic"),
    ("0080f0", "Panasonic"),
    ("001e7a", "Cisco"),
    ("0023eb", "Cisco"),
    ("00e075", "Vtech"),
];

/// The phone vendor of a MAC address, from its OUI.
pub fn vendor_of(mac: &str) -> Option<&'static str> {
    let oui = mac.get(..6)?.to_ascii_lowercase();
    VENDOR_OUIS.iter().find(|(prefix, _)| *prefix == oui).map(|(_, vendor)| *vendor)
}

fn provisioned(draft: &mut Draft) -> Result<(), FieldErrors> {
    let Some(mac) = draft.text("macaddr").map(str::to_ascii_lowercase) else {
        return Ok(()); // "required" already reported it
    };
    let Some(vendor) = vendor_of(&mac) else {
        return Err(FieldErrors::one("macaddr", "The macaddr does not belong to a supported phone vendor."));
    };
    let transport = draft.text("transport").unwrap_or("udp").to_owned();
    draft.set(&EXTENSIONS, "macaddr", Value::Text(mac));
    draft.set(&EXTENSIONS, "device", Value::from(vendor));
    if draft.text("provision").is_none() {
        let provision = format!("#INCLUDE {vendor}\n#INCLUDE {vendor}.{transport}\n#INCLUDE {vendor}.ipv4");
        draft.set(&EXTENSIONS, "provision", Value::Text(provision));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn vendors_from_oui() {
        assert_eq!(super::vendor_of("000413AABBCC"), Some("Snom"));
        assert_eq!(super::vendor_of("805EC0123456"), Some("Yealink"));
        assert_eq!(super::vendor_of("ffffff000000"), None);
        assert_eq!(super::vendor_of("00"), None);
    }
}
