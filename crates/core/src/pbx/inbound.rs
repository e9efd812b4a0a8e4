//! Calls from trunks: an INVITE from a trunk's address (see `routing::trunks`) needs no
//! digest; its DDI (the Request-URI user) selects an inbound route of the trunk's tenant,
//! whose open destination decides the call: an extension rings as for an internal call
//! (`call::ring_extension`), `Hangup` refuses it, `CRM` asks the CRM which extension takes
//! it ([`CrmRouting`](super::CrmRouting), falling back when the answer is no use), a custom
//! app or an IVR menu runs as a program (`stasis`), and what this PBX cannot run yet (ring
//! groups, queues) is refused with 480.
//!
//! Not yet: timers and holidays (the closed destination is never used), DISA.

use super::call::{admit, ring_extension, CallInput, CallRegistration};
use super::caller::Caller;
use super::dispatch::answer;
use super::stasis::Entry;
use super::Shared;
use crate::cdr::Disposition;
use crate::directory::ExtensionEntry;
use crate::provisioning::destination::{CRM, HANGUP};
use crate::routing::{custom_app, ivr, CustomApp, Ivr, TrunkEntry};
use sb_sip::endpoint::ServerRequest;
use sb_sip::message;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What an inbound call's destination comes to (a menu key's too).
#[derive(Debug)]
pub(super) enum Decision {
    /// Ring this extension of the route's tenant.
    Ring(ExtensionEntry),
    /// Refuse the call as Asterisk's `Hangup()` (cause 16) does on an unanswered channel:
    /// PJSIP has no SIP status for cause 16 and ends the INVITE with 603 Decline.
    Hangup,
    /// Run this custom app of the route's tenant.
    App(CustomApp),
    /// Run this IVR menu of the route's tenant.
    Menu(Ivr),
    /// Refuse the call with 480 and this reason phrase.
    Unavailable(String),
    /// The caller cancelled while the destination was being decided.
    Cancelled,
}

/// Routes the INVITE `incoming` from `trunk` by its DDI, then runs the call to its end.
pub(super) async fn start(shared: Arc<Shared>, incoming: ServerRequest, trunk: TrunkEntry) {
    let ddi = incoming.request.uri.user().map(|u| String::from_utf8_lossy(u).into_owned()).unwrap_or_default();
    let caller = Caller::on_trunk(&trunk, &incoming.request);
    let Some((mut record, offer)) = admit(&shared, &incoming, &caller, &ddi).await else { return };
    let route = match shared.routes.inbound(&trunk.tenant, &ddi, &caller.number).await {
        Ok(Some(route)) => route,
        Ok(None) => {
            tracing::info!(trunk = %trunk.name, %ddi, "no inbound route for the number");
            return record.refuse(&shared, &incoming, 404, "Not Found", Disposition::Failed, 1).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "inbound routes unavailable");
            return record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 41).await;
        }
    };
    let destination = route.open.clone().unwrap_or_else(|| "None".to_owned());
    let decided = if destination == CRM {
        ask_crm(&shared, &incoming, &caller, &ddi).await
    } else {
        decide(&shared, &caller.tenant, &destination).await
    };
    match decided {
        Ok(Decision::Ring(callee)) => ring_extension(shared, incoming, caller, record, offer, &callee).await,
        Ok(Decision::App(app)) => {
            super::stasis::run_program(shared, incoming, &caller, offer, Entry::from(app), record).await
        }
        Ok(Decision::Menu(menu)) => {
            super::stasis::run_program(shared, incoming, &caller, offer, Entry::from(menu), record).await
        }
        Ok(Decision::Hangup) => {
            record.lastapp = "Hangup";
            record.publish_application();
            record.refuse(&shared, &incoming, 603, "Decline", Disposition::NoAnswer, 16).await;
        }
        Ok(Decision::Unavailable(reason)) => {
            record.refuse(&shared, &incoming, 480, &reason, Disposition::Failed, 31).await;
        }
        Ok(Decision::Cancelled) => {
            record.refuse(&shared, &incoming, 487, "Request Terminated", Disposition::NoAnswer, 16).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable");
            record.refuse(&shared, &incoming, 500, "Server Internal Error", Disposition::Failed, 41).await;
        }
    }
}

/// What `destination` (not `CRM`) comes to for a call of `tenant`.
pub(super) async fn decide(shared: &Shared, tenant: &str, destination: &str) -> sb_store::Result<Decision> {
    if destination == HANGUP {
        return Ok(Decision::Hangup);
    }
    if let Some(extension) = tenant_extension(shared, tenant, destination).await? {
        return Ok(Decision::Ring(extension));
    }
    if let Some(app) = custom_app(&shared.store, tenant, destination).await? {
        return Ok(Decision::App(app));
    }
    if let Some(menu) = ivr(&shared.store, tenant, destination).await? {
        return Ok(Decision::Menu(menu));
    }
    Ok(Decision::Unavailable(format!("Temporarily Unavailable (destination {destination} is not supported yet)")))
}

/// The active extension `number` of `tenant`, if it is one: a route (or a CRM) must not
/// reach into another tenant.
async fn tenant_extension(shared: &Shared, tenant: &str, number: &str) -> sb_store::Result<Option<ExtensionEntry>> {
    let extension = shared.directory.extension(number).await?;
    Ok(extension.filter(|e| e.active && e.tenant == tenant))
}

/// Asks the CRM which extension takes the call; its answer must be an active extension of
/// the caller's tenant, else the configured fallback decides (480 without one). The caller
/// may cancel meanwhile.
async fn ask_crm(
    shared: &Arc<Shared>,
    incoming: &ServerRequest,
    caller: &Caller,
    ddi: &str,
) -> sb_store::Result<Decision> {
    let Some(crm) = shared.crm.clone() else {
        tracing::warn!("an inbound route goes to CRM but no [crm] lookup_url is configured");
        return Ok(Decision::Unavailable("Temporarily Unavailable (no CRM lookup is configured)".to_owned()));
    };
    // A CANCEL during the lookup reaches this task (the call has no task of its own yet).
    let (sender, mut inputs) = mpsc::channel(4);
    let call_id = message::call_id(&incoming.request.headers).unwrap_or_default();
    let registration = CallRegistration::new(shared, vec![call_id], sender);
    let started = Instant::now();
    let answer = tokio::select! {
        answer = crm.ask(&caller.number, ddi) => answer,
        () = cancelled(shared, &mut inputs, incoming) => {
            tracing::info!(caller = %caller.number, elapsed_ms = started.elapsed().as_millis(), "the caller cancelled during the CRM lookup");
            return Ok(Decision::Cancelled);
        }
    };
    drop(registration);
    let elapsed_ms = started.elapsed().as_millis();
    match answer {
        Ok(Some(named)) => match tenant_extension(shared, &caller.tenant, &named).await? {
            Some(extension) => {
                tracing::info!(caller = %caller.number, %ddi, extension = %named, elapsed_ms, "CRM lookup routed the call");
                return Ok(Decision::Ring(extension));
            }
            None => tracing::info!(
                caller = %caller.number, %ddi, named = %named, elapsed_ms,
                "CRM lookup named no active extension of the tenant; using the fallback"
            ),
        },
        Ok(None) => {
            tracing::info!(caller = %caller.number, %ddi, elapsed_ms, "CRM lookup named no extension; using the fallback")
        }
        Err(e) => {
            tracing::info!(caller = %caller.number, %ddi, error = %e, elapsed_ms, "CRM lookup failed; using the fallback")
        }
    }
    match crm.fallback.as_deref() {
        Some(fallback) if fallback != CRM => decide(shared, &caller.tenant, fallback).await,
        _ => Ok(Decision::Unavailable("Temporarily Unavailable (the CRM named no extension)".to_owned())),
    }
}

/// Resolves when the caller cancels `incoming`.
async fn cancelled(shared: &Shared, inputs: &mut mpsc::Receiver<CallInput>, incoming: &ServerRequest) {
    loop {
        match inputs.recv().await {
            Some(CallInput::Cancelled(key)) if key == incoming.key => return,
            Some(CallInput::Request(request)) => {
                // No dialog exists before the call is answered.
                answer(shared, &request, 481, "Call/Transaction Does Not Exist").await;
            }
            Some(_) => {}
            None => return std::future::pending().await,
        }
    }
}
