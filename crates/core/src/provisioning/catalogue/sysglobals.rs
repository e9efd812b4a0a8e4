//! System globals: SARK's single `globals` row, stored as name/value rows. Read with
//! `GET /sysglobals`, changed (partially) with `PUT /sysglobals`.

use super::{PRINTABLE_LINE, PRINTABLE_TOKEN};
use crate::provisioning::model::*;

const YES_NO: &[Rule] = &[Rule::In(&["YES", "NO"])];
const ENABLED: &[Rule] = &[Rule::In(&["enabled", "disabled"])];
const SECONDS: &[Rule] = &[Rule::Nullable, Rule::DigitString { plus: false }, Rule::Max(6)];
const DIGITS: &[Rule] = &[Rule::Nullable, Rule::DigitString { plus: false }, Rule::Max(20)];
const LINE: &[Rule] = &[Rule::Nullable, Rule::Regex(PRINTABLE_LINE)];
const HOST: &[Rule] = &[Rule::Nullable, Rule::Regex(r"^[A-Za-z0-9.\-:]*$"), Rule::Max(255)];
const SECRET: &[Rule] = &[Rule::Nullable, Rule::Regex(PRINTABLE_TOKEN), Rule::Max(128)];
const EMAIL: &[Rule] = &[Rule::Nullable, Rule::Email, Rule::Max(254)];
const CIDRS: &[Rule] = &[Rule::Nullable, Rule::Regex(r"^[0-9A-Fa-f.:/,\s]*$"), Rule::Max(1024)];

/// Every global SARK keeps, with its rule and default. Secrets are write-only.
pub static SYSGLOBALS: &[Field] = &[
    Field::text("ABSTIMEOUT").default("14400").rules(SECONDS).doc("Absolute call timeout, seconds"),
    Field::text("ACL").default("NO").rules(YES_NO).doc("Restrict SIP registration to local networks"),
    Field::text("AGENTSTART").default("1000").rules(DIGITS).doc("First agent number"),
    Field::text("ALERT").default("NO").rules(YES_NO),
    Field::text("ALLOWHASHXFER").default("enabled").rules(ENABLED).doc("Allow # transfers"),
    Field::text("BLINDBUSY").rules(LINE),
    Field::text("BOUNCEALERT").rules(LINE),
    Field::text("CALLPARKING").default("YES").rules(YES_NO),
    Field::text("CALLRECORD1").default("None").rules(&[Rule::In(&["None", "OTR", "OTRR", "Inbound.Outbound", "Both"])]),
    Field::text("CAMPONQONOFF").default("OFF").rules(&[Rule::In(&["ON", "OFF"])]),
    Field::text("CAMPONQOPT").rules(LINE),
    Field::text("CFWDEXTRNRULE").default("enabled").rules(ENABLED).doc("Allow call forward to external numbers"),
    Field::text("CFWDPROGRESS").default("enabled").rules(ENABLED),
    Field::text("CFWDANSWER").default("enabled").rules(ENABLED),
    Field::text("CLUSTER").default("OFF").rules(&[Rule::In(&["ON", "OFF"])]).doc("Multi-tenancy on or off"),
    Field::text("CONFTYPE").default("simple").rules(&[Rule::In(&["simple", "hosted"])]),
    Field::text("COSSTART").default("ON").rules(&[Rule::In(&["ON", "OFF"])]).doc("Class of service checks"),
    Field::text("COUNTRYCODE").default("44").rules(&[Rule::Nullable, Rule::DigitString { plus: false }, Rule::Max(4)]),
    Field::text("DIGITS").default("4").rules(&[Rule::In(&["2", "3", "4", "5", "6"])]).doc("Extension number length"),
    Field::text("EMAILALERT").rules(EMAIL),
    Field::text("EMERGENCY").default("999 112 911").rules(&[Rule::Nullable, Rule::Regex(r"^[0-9]{3}(\s+[0-9]{3})*$")]).doc("Emergency numbers, space separated"),
    Field::text("EURL").rules(&[Rule::Nullable, Rule::Regex(r"^https?://[\x21-\x7E]+$")]),
    Field::text("EXTLEN").default("4").rules(DIGITS),
    Field::text("EXTLIM").rules(DIGITS),
    Field::text("FQDN").rules(HOST),
    Field::text("FQDNINSPECT").default("NO").rules(YES_NO),
    Field::text("FQDNPROV").default("NO").rules(YES_NO),
    Field::text("INTRINGDELAY").default("20").rules(SECONDS).doc("Internal ring time, seconds"),
    Field::text("IVRKEYWAIT").default("6").rules(SECONDS),
    Field::text("IVRDIGITWAIT").default("6000").rules(DIGITS),
    Field::text("LACL").default("NO").rules(YES_NO),
    Field::text("LANGUAGE").default("en").rules(&[Rule::Regex(r"^[a-z]{2}(_[A-Za-z]{2})?$")]),
    Field::text("LDAPBASE").rules(LINE),
    Field::text("LDAPOU").rules(LINE),
    Field::text("LDAPUSER").rules(LINE),
    Field::text("LDAPPASS").secret(None).rules(SECRET).doc("Write-only"),
    Field::text("LEASEHDTIME").default("43200").rules(SECONDS),
    Field::text("LOCALIP").rules(HOST),
    Field::text("LOCALNETS").rules(CIDRS),
    Field::text("LOGLEVEL").default("0").rules(&[Rule::In(&["0", "1", "2", "3", "4", "5"])]),
    Field::text("LOGSIPDISPSIZE").default("100").rules(DIGITS),
    Field::text("LOGSIPNUMFILES").default("10").rules(DIGITS),
    Field::text("LOGSIPFILESIZE").default("1000").rules(DIGITS),
    Field::text("LTERM").default("NO").rules(YES_NO),
    Field::text("MAXIN").default("30").rules(DIGITS),
    Field::text("MIXMONITOR").default("NO").rules(YES_NO),
    Field::text("MONITORSTAGE").rules(LINE),
    Field::text("MONITOROUT").rules(LINE),
    Field::text("MONITORTYPE").default("mixmonitor").rules(&[Rule::In(&["monitor", "mixmonitor"])]),
    Field::text("NATDEFAULT").default("local").rules(&[Rule::In(&["local", "remote"])]),
    Field::text("OPERATOR").default("0").rules(DIGITS).doc("Operator extension"),
    Field::text("PWDLEN").default("20").rules(&[Rule::DigitString { plus: false }, Rule::Regex(r"^(1[2-9]|[2-5][0-9]|6[0-4])$")]).doc("Generated password length, 12-64"),
    Field::text("PLAYBEEP").default("YES").rules(YES_NO),
    Field::text("PLAYBUSY").default("YES").rules(YES_NO),
    Field::text("PLAYCONGESTED").default("YES").rules(YES_NO),
    Field::text("RECFILEDLIM").rules(DIGITS),
    Field::text("RECLIMIT").rules(DIGITS),
    Field::text("RECQDITHER").rules(DIGITS),
    Field::text("RECQSEARCHLIM").rules(DIGITS),
    Field::text("RINGDELAY").default("20").rules(SECONDS),
    Field::text("SESSIONTIMOUT").default("600").rules(SECONDS),
    Field::text("SENDEDOMAIN").default("NO").rules(YES_NO),
    Field::text("SIPIAXSTART").default("1001").rules(DIGITS).doc("First extension number"),
    Field::text("SIPFLOOD").default("NO").rules(YES_NO),
    Field::text("SPYPASS").secret(None).rules(SECRET).doc("Write-only"),
    Field::text("SUPEMAIL").rules(EMAIL),
    Field::text("SYSOP").default("0").rules(DIGITS),
    Field::text("SYSPASS").secret(None).rules(SECRET).doc("Write-only"),
    Field::text("TLSPORT").default("5061").rules(&[Rule::Nullable, Rule::Regex(r"^[0-9]{1,5}$")]),
    Field::text("USEROTP").rules(LINE),
    Field::text("USERCREATE").default("NO").rules(YES_NO),
    Field::text("VDELAY").default("0").rules(DIGITS),
    Field::text("VMAILAGE").default("60").rules(DIGITS),
    Field::text("VOICEINSTR").default("YES").rules(YES_NO),
    Field::text("VOIPMAX").default("30").rules(DIGITS),
    Field::text("VXT").default("0").rules(&[Rule::In(&["0", "1"])]),
    Field::text("ZTP").default("disabled").rules(ENABLED),
];
