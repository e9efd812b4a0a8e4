//! Routing what the endpoint hands over: new requests by method, in-dialog requests, ACKs
//! and CANCELs to the call that owns their dialog. Slow work (store reads, auth) runs in a
//! task per request so one slow lookup never holds up the queue.

use super::{call, register, Shared};
use crate::access::Access;
use sb_sip::auth::AuthRole;
use sb_sip::endpoint::{Incoming, ServerRequest};
use sb_sip::message::{self, HeaderName, Method, Reply};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Methods Switchboard answers; `Allow` in OPTIONS and 405 responses.
pub(super) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE";

/// Methods of RFC 3261 and its extensions that Switchboard knows but does not serve out of
/// a dialog: 405 with `Allow`. Anything else unknown is 501 (§8.2.1).
const KNOWN_UNSERVED: &[&str] = &["SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE", "REFER", "PRACK"];

/// Reads the endpoint's queue until it closes.
pub(super) async fn run(shared: Arc<Shared>, mut incoming: mpsc::Receiver<Incoming>) {
    while let Some(item) = incoming.recv().await {
        match item {
            Incoming::Request(request) => route(&shared, request),
            Incoming::Ack { request, .. } => {
                if let Some(call) = message::call_id(&request.headers).and_then(|id| shared.call_for(&id)) {
                    let _ = call.try_send(call::CallInput::Ack);
                }
            }
            Incoming::Cancelled { invite, call_id } => {
                if let Some(call) = shared.call_for(&call_id) {
                    let _ = call.try_send(call::CallInput::Cancelled(invite));
                }
            }
        }
    }
}

fn route(shared: &Arc<Shared>, incoming: ServerRequest) {
    let shared = Arc::clone(shared);
    let in_dialog = message::to(&incoming.request.headers).is_some_and(|to| to.tag.is_some());
    if in_dialog {
        let call = message::call_id(&incoming.request.headers).and_then(|id| shared.call_for(&id));
        match call {
            Some(call) => {
                if let Err(
                    mpsc::error::TrySendError::Full(call::CallInput::Request(refused))
                    | mpsc::error::TrySendError::Closed(call::CallInput::Request(refused)),
                ) = call.try_send(call::CallInput::Request(Box::new(incoming)))
                {
                    tokio::spawn(async move { answer(&shared, &refused, 500, "Server Internal Error").await });
                }
            }
            None => {
                tokio::spawn(async move { answer(&shared, &incoming, 481, "Call/Transaction Does Not Exist").await });
            }
        }
        return;
    }
    match incoming.request.method {
        Method::Register => {
            tokio::spawn(register::handle(shared, incoming));
        }
        Method::Invite => {
            tokio::spawn(call::start(shared, incoming));
        }
        Method::Options => {
            tokio::spawn(async move {
                let headers = vec![
                    (HeaderName::Allow, ALLOW.to_owned()),
                    (HeaderName::Accept, "application/sdp".to_owned()),
                    (HeaderName::Supported, String::new()),
                ];
                answer_with(&shared, &incoming, 200, "OK", headers).await;
            });
        }
        Method::Bye | Method::Update | Method::Info => {
            tokio::spawn(async move { answer(&shared, &incoming, 481, "Call/Transaction Does Not Exist").await });
        }
        ref method if KNOWN_UNSERVED.contains(&method.to_string().as_str()) => {
            tokio::spawn(async move {
                answer_with(&shared, &incoming, 405, "Method Not Allowed", vec![(HeaderName::Allow, ALLOW.to_owned())])
                    .await
            });
        }
        _ => {
            tokio::spawn(async move {
                answer_with(&shared, &incoming, 501, "Not Implemented", vec![(HeaderName::Allow, ALLOW.to_owned())])
                    .await
            });
        }
    }
}

/// Answers `incoming` with a bare status.
pub(super) async fn answer(shared: &Shared, incoming: &ServerRequest, status: u16, reason: &str) {
    answer_with(shared, incoming, status, reason, Vec::new()).await;
}

/// Answers `incoming` with a status and extra headers (a To tag is added to final
/// responses, §8.2.6.2).
pub(super) async fn answer_with(
    shared: &Shared,
    incoming: &ServerRequest,
    status: u16,
    reason: &str,
    headers: Vec<(HeaderName, String)>,
) {
    let Some(mut reply) = Reply::to(&incoming.request, status, reason) else { return };
    if status >= 200 {
        reply = reply.tag(&call::new_tag());
    }
    reply = reply.header(HeaderName::Server, shared.endpoint.product().to_owned());
    for (name, value) in headers {
        if value.is_empty() && name == HeaderName::Supported {
            continue;
        }
        reply = reply.header(name, value);
    }
    let Some(response) = reply.build() else { return };
    if let Err(e) = shared.endpoint.respond(&incoming.key, response).await {
        tracing::debug!(error = %e, "could not answer");
    }
}

/// Answers a request whose credentials were not good enough.
pub(super) async fn deny(shared: &Shared, incoming: &ServerRequest, access: Access, role: AuthRole) {
    match access {
        Access::Granted(_) => {}
        Access::Challenge(values) => {
            let header = match role {
                AuthRole::Server => HeaderName::WwwAuthenticate,
                AuthRole::Proxy => HeaderName::ProxyAuthenticate,
            };
            let reason = if role == AuthRole::Server { "Unauthorized" } else { "Proxy Authentication Required" };
            let headers = values.into_iter().map(|v| (header.clone(), v)).collect();
            answer_with(shared, incoming, role.status(), reason, headers).await;
        }
        Access::Forbidden(why) => answer(shared, incoming, 403, &format!("Forbidden ({why})")).await,
        Access::Malformed => answer(shared, incoming, 400, "Bad Request (Authorization)").await,
        // A banned address gets the shortest answer that ends the transaction.
        Access::Banned => answer(shared, incoming, 403, "Forbidden").await,
        Access::Unavailable => answer(shared, incoming, 500, "Server Internal Error").await,
    }
}
