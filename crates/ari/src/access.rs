//! What an authenticated request may do: its [`Grant`] (who, read-only or not, and the
//! applications it is confined to) and the rules that follow from it. Unconfined grants are
//! Asterisk's users and change nothing; a user confined to applications (`[ari.users.NAME]
//! applications = [...]`, an opt-in beyond Asterisk) may use only those applications, sees
//! only the channels in them (and those it placed) and the bridges that hold such a channel
//! (and those it made), and may not change the node (`asterisk` writes).

use crate::creators::Creators;
use crate::error::AriError;
use axum::http::Method;
use sb_core::pbx::{BridgeSnapshot, ChannelSnapshot, Target};
use std::collections::BTreeSet;

/// Which applications a user may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every application, as Asterisk's users.
    #[default]
    Any,
    /// Only these.
    Apps(BTreeSet<String>),
}

impl Scope {
    /// Whether the scope lets its holder use application `name`.
    pub fn allows_app(&self, name: &str) -> bool {
        match self {
            Scope::Any => true,
            Scope::Apps(apps) => apps.contains(name),
        }
    }

    /// 403 unless the scope allows application `name`.
    pub fn require_app(&self, name: &str) -> Result<(), AriError> {
        match self.allows_app(name) {
            true => Ok(()),
            false => Err(AriError::forbidden(format!("Not allowed to use application {name}"))),
        }
    }

    /// 403, saying `what` is refused, when the scope is confined to applications.
    pub fn require_unconfined(&self, what: &str) -> Result<(), AriError> {
        match self {
            Scope::Any => Ok(()),
            Scope::Apps(_) => Err(AriError::forbidden(format!("Not allowed to {what}"))),
        }
    }

    /// Whether the scope is confined to applications.
    pub fn is_confined(&self) -> bool {
        matches!(self, Scope::Apps(_))
    }
}

/// What one authenticated request may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The ARI user's name, or `key:<id>` for a provisioning API key.
    pub name: String,
    /// Whether it may only read (GET and OPTIONS).
    pub read_only: bool,
    /// The applications it may use.
    pub scope: Scope,
}

impl Grant {
    /// 403 for a read-only grant asking anything but GET or OPTIONS (before routing, as Asterisk).
    pub fn authorize_method(&self, method: &Method) -> Result<(), AriError> {
        let reading = method == Method::GET || method == Method::OPTIONS;
        match self.read_only && !reading {
            true => Err(AriError::ReadOnly),
            false => Ok(()),
        }
    }

    /// 403 for a confined grant changing the node itself (`asterisk` resource writes: global
    /// variables, modules, logging, configuration); reading it is allowed.
    pub fn authorize_resource(&self, resource: &str, method: &Method) -> Result<(), AriError> {
        match resource == "asterisk" && method != Method::GET {
            true => self.scope.require_unconfined("change the node as a user confined to applications"),
            false => Ok(()),
        }
    }

    /// Whether the grant sees `channel`: a confined one sees the channels in its
    /// applications and those it placed (still ringing, not in an application yet).
    pub fn sees_channel(&self, channel: &ChannelSnapshot, creators: &Creators) -> bool {
        match &self.scope {
            Scope::Any => true,
            Scope::Apps(apps) => {
                channel.app.as_deref().is_some_and(|app| apps.contains(app))
                    || self.made(&Target::Channel(channel.id.clone()), creators)
            }
        }
    }

    /// Whether the grant sees `bridge`: a confined one sees the bridges it made and those
    /// holding a channel it sees (`channel` looks members up).
    pub fn sees_bridge(
        &self,
        bridge: &BridgeSnapshot,
        channel: impl Fn(&str) -> Option<ChannelSnapshot>,
        creators: &Creators,
    ) -> bool {
        match &self.scope {
            Scope::Any => true,
            Scope::Apps(_) => {
                self.made(&Target::Bridge(bridge.id.clone()), creators)
                    || bridge.channels.iter().filter_map(|id| channel(id)).any(|c| self.sees_channel(&c, creators))
            }
        }
    }

    /// Whether this grant made `object`.
    fn made(&self, object: &Target, creators: &Creators) -> bool {
        creators.creator(object).is_some_and(|name| name == self.name)
    }

    /// Notes that this grant made `object`, when that matters (a confined grant sees what it made).
    pub fn note_made(&self, object: Target, creators: &Creators) {
        if self.scope.is_confined() {
            creators.record(object, &self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_core::events::ChannelState;
    use sb_core::pbx::BridgeType;
    use time::OffsetDateTime;

    fn confined(name: &str, apps: &[&str]) -> Grant {
        let apps = apps.iter().map(|a| (*a).to_owned()).collect();
        Grant { name: name.into(), read_only: false, scope: Scope::Apps(apps) }
    }

    fn unconfined() -> Grant {
        Grant { name: "admin".into(), read_only: false, scope: Scope::Any }
    }

    fn channel(id: &str, app: Option<&str>) -> ChannelSnapshot {
        ChannelSnapshot {
            id: id.into(),
            name: format!("PJSIP/1001-{id}"),
            protocol_id: String::new(),
            state: ChannelState::Up,
            caller: Default::default(),
            connected: Default::default(),
            accountcode: String::new(),
            dialplan: Default::default(),
            created: OffsetDateTime::UNIX_EPOCH,
            language: "en".into(),
            tenant: "default".into(),
            app: app.map(str::to_owned),
            bridge: None,
            variables: Default::default(),
        }
    }

    fn bridge(id: &str, channels: &[&str]) -> BridgeSnapshot {
        BridgeSnapshot {
            id: id.into(),
            bridge_type: BridgeType::Mixing,
            creator: "Stasis".into(),
            name: String::new(),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
            created: OffsetDateTime::UNIX_EPOCH,
            variables: Default::default(),
        }
    }

    #[test]
    fn a_scope_allows_its_applications_only() {
        let sales = confined("bob", &["sales"]).scope;
        assert!(sales.allows_app("sales") && !sales.allows_app("demo"));
        assert_eq!(sales.require_app("demo"), Err(AriError::forbidden("Not allowed to use application demo")));
        assert!(Scope::Any.allows_app("anything") && Scope::Any.require_unconfined("x").is_ok());
        assert!(matches!(sales.require_unconfined("x"), Err(AriError::Forbidden(_))));
        assert!(Scope::Apps(BTreeSet::new()).require_app("demo").is_err(), "an empty list allows nothing");
    }

    #[test]
    fn read_only_grants_may_only_read_and_confined_ones_may_not_change_the_node() {
        let viewer = Grant { read_only: true, ..unconfined() };
        assert_eq!(viewer.authorize_method(&Method::GET), Ok(()));
        assert_eq!(viewer.authorize_method(&Method::POST), Err(AriError::ReadOnly));
        assert_eq!(unconfined().authorize_method(&Method::DELETE), Ok(()));
        let bob = confined("bob", &["sales"]);
        assert!(bob.authorize_resource("asterisk", &Method::POST).is_err());
        assert!(bob.authorize_resource("asterisk", &Method::DELETE).is_err());
        assert_eq!(bob.authorize_resource("asterisk", &Method::GET), Ok(()));
        assert_eq!(bob.authorize_resource("channels", &Method::POST), Ok(()));
        assert_eq!(unconfined().authorize_resource("asterisk", &Method::PUT), Ok(()));
    }

    #[test]
    fn a_confined_grant_sees_its_applications_channels_and_what_it_placed() {
        let creators = Creators::default();
        let bob = confined("bob", &["sales"]);
        assert!(bob.sees_channel(&channel("1", Some("sales")), &creators));
        assert!(!bob.sees_channel(&channel("2", Some("demo")), &creators));
        assert!(!bob.sees_channel(&channel("3", None), &creators), "ringing, placed by someone else");
        bob.note_made(Target::Channel("3".into()), &creators);
        assert!(bob.sees_channel(&channel("3", None), &creators), "bob placed it");
        assert!(!confined("eve", &["sales"]).sees_channel(&channel("3", None), &creators), "same apps, not eve's");
        assert!(unconfined().sees_channel(&channel("2", Some("demo")), &creators));
        // Unconfined grants see everything anyway: nothing is recorded for them.
        unconfined().note_made(Target::Channel("4".into()), &creators);
        assert_eq!(creators.creator(&Target::Channel("4".into())), None);
    }

    #[test]
    fn a_confined_grant_sees_bridges_with_its_channels_or_that_it_made() {
        let creators = Creators::default();
        let bob = confined("bob", &["sales"]);
        let channels = [channel("s", Some("sales")), channel("d", Some("demo"))];
        let lookup = |id: &str| channels.iter().find(|c| c.id == id).cloned();
        assert!(bob.sees_bridge(&bridge("b1", &["d", "s"]), lookup, &creators));
        assert!(!bob.sees_bridge(&bridge("b2", &["d"]), lookup, &creators));
        assert!(!bob.sees_bridge(&bridge("b3", &[]), lookup, &creators));
        assert!(!bob.sees_bridge(&bridge("b4", &["gone"]), lookup, &creators), "a member that vanished");
        bob.note_made(Target::Bridge("b3".into()), &creators);
        assert!(bob.sees_bridge(&bridge("b3", &[]), lookup, &creators));
        assert!(unconfined().sees_bridge(&bridge("b2", &["d"]), lookup, &creators));
    }
}
