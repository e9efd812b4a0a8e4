//! Name resolution for webhook requests with the [`AddressPolicy`] applied: the HTTP
//! client connects only to the addresses this resolver answered, and it answers only
//! addresses the policy allows, so the check and the connection see the same address
//! (a DNS rebinding between a check and a connect has nothing to rebind). A name with any
//! refused address is refused whole. Literal IP hosts never reach a resolver; the sender
//! checks those itself with the same policy.

use super::address_policy::AddressPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

/// A resolver that answers only addresses `policy` allows.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Which addresses are allowed.
    pub policy: AddressPolicy,
}

/// Why a name was not resolved to anything usable.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The lookup failed.
    #[error("cannot resolve {name}: {source}")]
    Lookup {
        /// The name.
        name: String,
        /// Why.
        source: std::io::Error,
    },
    /// It resolved to nothing.
    #[error("{0} resolves to no address")]
    Empty(String),
    /// It resolved to an address the policy refuses.
    #[error("{name} resolves to {ip}: {reason}")]
    Refused {
        /// The name.
        name: String,
        /// The refused address.
        ip: std::net::IpAddr,
        /// Why.
        reason: super::address_policy::Refused,
    },
}

impl GuardedResolver {
    /// Resolves `name` and keeps the answer only if every address is allowed.
    pub async fn resolve_checked(&self, name: &str) -> Result<Vec<SocketAddr>, ResolveError> {
        let found: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
            .await
            .map_err(|source| ResolveError::Lookup { name: name.to_owned(), source })?
            .collect();
        if found.is_empty() {
            return Err(ResolveError::Empty(name.to_owned()));
        }
        for addr in &found {
            self.policy.check(addr.ip()).map_err(|reason| ResolveError::Refused {
                name: name.to_owned(),
                ip: addr.ip(),
                reason,
            })?;
        }
        Ok(found)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = *self;
        Box::pin(async move {
            let addrs = resolver.resolve_checked(name.as_str()).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_is_refused_unless_private_targets_are_allowed() {
        let strict = GuardedResolver { policy: AddressPolicy { allow_private: false } };
        let err = strict.resolve_checked("localhost").await.expect_err("localhost is loopback");
        assert!(matches!(err, ResolveError::Refused { .. }), "{err}");
        assert!(err.to_string().contains("loopback"), "{err}");
        let lax = GuardedResolver { policy: AddressPolicy { allow_private: true } };
        let addrs = lax.resolve_checked("localhost").await.expect("allowed");
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
