//! What every HTTP request the bridge makes has in common (webhooks and CRM lookups): no
//! redirects (a 3xx must not carry a signed body or a caller id elsewhere), no proxy from
//! the environment, a bounded connection set-up, certificates verified (rustls, the default),
//! and Switchboard's user agent.

use std::time::Duration;

/// A client builder with that policy; callers add their own limits before `build`.
pub(crate) fn client_builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
}
