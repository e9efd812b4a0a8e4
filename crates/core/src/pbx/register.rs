//! REGISTER (RFC 3261 §10.3): authenticate, check the extension registers only itself,
//! apply the binding rules through the [`Registrar`](crate::registrar::Registrar), answer
//! with the bindings that stand.

use super::dispatch::{answer, answer_with};
use super::Shared;
use crate::access::Access;
use crate::registrar::{unix_now, ContactSet, RegisterRequest, RegistrarError, RequestedContact};
use sb_sip::auth::AuthRole;
use sb_sip::endpoint::ServerRequest;
use sb_sip::message::{self, Contacts, HeaderName};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Handles one REGISTER to the end.
pub(super) async fn handle(shared: Arc<Shared>, incoming: ServerRequest) {
    let request = &incoming.request;
    let extension = match shared.access.check(request, incoming.peer.addr.ip(), AuthRole::Server).await {
        Access::Granted(extension) => extension,
        denied => return super::dispatch::deny(&shared, &incoming, denied, AuthRole::Server).await,
    };
    // §10.3 step 6: the authenticated user must be allowed to change this AOR; an
    // extension may register itself only.
    let aor =
        message::to(&request.headers).and_then(|to| to.uri.user().map(|u| String::from_utf8_lossy(u).into_owned()));
    if aor.as_deref() != Some(extension.number.as_str()) {
        return answer(&shared, &incoming, 403, "Forbidden (may register only itself)").await;
    }
    let contacts = match message::contacts(&request.headers) {
        Some(Contacts::None) => ContactSet::Query,
        Some(Contacts::Wildcard) => ContactSet::Wildcard,
        Some(Contacts::List(list)) => ContactSet::List(
            list.into_iter().map(|c| RequestedContact { uri: c.uri.to_string(), expires: c.expires }).collect(),
        ),
        None => return answer(&shared, &incoming, 400, "Bad Request (Contact)").await,
    };
    let (Some(call_id), Some((cseq, _))) = (message::call_id(&request.headers), message::cseq(&request.headers)) else {
        return answer(&shared, &incoming, 400, "Bad Request").await;
    };
    let register = RegisterRequest {
        aor: extension.number.clone(),
        call_id,
        cseq,
        expires: message::expires(&request.headers),
        contacts,
        source: incoming.peer.addr,
        transport: incoming.peer.protocol.via_name().to_ascii_lowercase(),
        user_agent: message::header(&request.headers, &HeaderName::UserAgent),
    };
    match shared.registrar.register(&register).await {
        Ok(bindings) => {
            shared.metrics.registrations_accepted.fetch_add(1, Ordering::Relaxed);
            let now = unix_now();
            let headers: Vec<(HeaderName, String)> = bindings
                .iter()
                .map(|b| (HeaderName::Contact, format!("<{}>;expires={}", b.uri, b.remaining(now))))
                .collect();
            tracing::debug!(extension = %extension.number, contacts = bindings.len(), source = %incoming.peer.addr, "registered");
            answer_with(&shared, &incoming, 200, "OK", headers).await;
        }
        Err(RegistrarError::Refused(e)) => {
            let status = e.status();
            let extra = match e {
                crate::registrar::RegisterError::IntervalTooBrief { min } => {
                    vec![(HeaderName::MinExpires, min.to_string())]
                }
                _ => Vec::new(),
            };
            answer_with(&shared, &incoming, status, &e.to_string(), extra).await;
        }
        Err(RegistrarError::Store(e)) => {
            tracing::error!(error = %e, "could not store a registration");
            answer(&shared, &incoming, 500, "Server Internal Error").await;
        }
    }
}
