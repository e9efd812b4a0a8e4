//! The SIP endpoint: the IO driver that joins the transports to the sans-IO transaction
//! table (RFC 3261 §17, §18) and hands the transaction user (TU) what is its business.
//!
//! One mutex guards the table and the per-transaction facts the table does not keep (the
//! peer, the original request, the TU's channel); it is never held across an `.await`:
//! every operation computes its sends under the lock and performs them after. A timer task
//! sleeps until the table's next deadline and is woken when an operation may have made an
//! earlier one.
//!
//! What the TU sees ([`Incoming`]): new requests with their server transaction, ACKs that
//! belong to no transaction (2xx ACKs, §13.3.1.4), and CANCELs, which the endpoint has
//! already answered (§9.2). Retransmissions, ACKs of non-2xx responses and stray responses
//! never reach it. What it does: [`Endpoint::respond`], [`Endpoint::request`],
//! [`Endpoint::cancel`], [`Endpoint::send_ack`].

mod keys;
mod retransmit;

use crate::message::{self, HeaderName, Inbound, Limits, Method, Request, Response, ServerPolicy};
use crate::transaction::{Arrival, Kind, Output, Reliability, TableError, Timers, TransactionKey, TransactionTable, TuEvent};
use crate::transport::{Peer, Protocol, Received, Transports};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{mpsc, Notify};

pub use keys::server_key;

/// How the endpoint behaves.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The most live transactions (client and server together); beyond it new requests
    /// get 503 and new client requests fail. Requests that would start a dialog are refused
    /// once three quarters of it are taken: the rest is kept for requests within dialogs
    /// (BYE above all), so that calls under way can always end.
    pub capacity: usize,
    /// T1, T2, T4.
    pub timers: Timers,
    /// What we support (416/420/415/406 checks).
    pub policy: ServerPolicy,
    /// Parser limits for every message.
    pub limits: Limits,
    /// Capacity of the queue of [`Incoming`] to the TU; when it is full, new requests get
    /// 503 rather than queue without bound.
    pub tu_queue: usize,
    /// Our `User-Agent` / `Server` product token.
    pub product: String,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            capacity: 131_072,
            timers: Timers::default(),
            policy: ServerPolicy::default(),
            limits: Limits::default(),
            tu_queue: 8192,
            product: "Switchboard".to_owned(),
        }
    }
}

/// A new request and the server transaction that answers it.
#[derive(Debug)]
pub struct ServerRequest {
    /// The transaction to pass to [`Endpoint::respond`].
    pub key: TransactionKey,
    /// The request, its top Via stamped with `received`/`rport`.
    pub request: Request,
    /// Where it came from (and where responses go, §18.2.2 with RFC 3581).
    pub peer: Peer,
}

/// What the endpoint hands the TU.
#[derive(Debug)]
pub enum Incoming {
    /// A request that starts a server transaction (never ACK or CANCEL).
    Request(ServerRequest),
    /// An ACK that belongs to no transaction: the ACK of a 2xx (§13.3.1.4, RFC 6026).
    Ack {
        /// The ACK.
        request: Request,
        /// Where it came from.
        peer: Peer,
    },
    /// A CANCEL matched this pending INVITE; the CANCEL got its 200 already, and the TU
    /// answers the INVITE 487 (§9.2).
    Cancelled {
        /// The INVITE's server transaction.
        invite: TransactionKey,
        /// Its Call-ID, to find the call.
        call_id: String,
    },
}

/// What a client transaction reports to the TU that started it.
#[derive(Debug)]
pub enum ClientEvent {
    /// A response the transaction passed up (provisional, final, and for INVITE every 2xx).
    Response(Box<Response>),
    /// Timer B or F fired with no final response (treat as 408, §8.1.3.1).
    Timeout,
    /// The transport could not send (treat as 503, §8.1.3.1).
    TransportError,
}

/// A client transaction the TU started.
#[derive(Debug)]
pub struct ClientTx {
    /// Its key (for [`Endpoint::cancel`]).
    pub key: TransactionKey,
    /// The request as sent, with our Via.
    pub request: Request,
    /// Its reports; closes when the transaction ends.
    pub events: mpsc::Receiver<ClientEvent>,
}

/// Why the endpoint could not do what the TU asked.
#[derive(Debug, Error)]
pub enum EndpointError {
    /// The transaction table is full.
    #[error("transaction table full ({0})")]
    Full(usize),
    /// No transaction has that key (it ended, or never was).
    #[error("no such transaction")]
    NoTransaction,
    /// The transaction refused the input (e.g. a second final response).
    #[error("transaction refused: {0}")]
    Refused(String),
    /// No transport reaches the peer.
    #[error("no transport for {0:?}")]
    NoTransport(Peer),
    /// The message lacks a header the operation needs.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndpointStats {
    /// Live transactions.
    pub transactions: usize,
    /// Messages received (requests and responses, parsed or not).
    pub received: u64,
    /// Requests refused before reaching a transaction (400, 413, 416, 420, ...).
    pub rejected: u64,
    /// Messages dropped without answer (garbage, stray responses, overload).
    pub dropped: u64,
    /// 2xx responses to INVITE still being retransmitted for want of an ACK.
    pub pending_acks: usize,
}

struct ServerMeta {
    peer: Peer,
    final_sent: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CancelState {
    /// Nobody asked to cancel.
    None,
    /// The TU asked before any provisional response: send the CANCEL on the first (§9.1).
    Wanted,
    /// Sent.
    Sent,
}

struct ClientMeta {
    peer: Peer,
    /// The request as sent, kept to build its CANCEL or the ACK of a failure; dropped once
    /// a final response or a timeout ends it, since the entry lingers for up to 64*T1.
    request: Option<Request>,
    events: Option<mpsc::Sender<ClientEvent>>,
    provisional: bool,
    finished: bool,
    cancel: CancelState,
}

impl ClientMeta {
    /// The transaction has its final outcome: nothing more will need the request.
    fn finish(&mut self) {
        self.finished = true;
        self.request = None;
    }
}

struct State {
    table: TransactionTable,
    servers: HashMap<TransactionKey, ServerMeta>,
    clients: HashMap<TransactionKey, ClientMeta>,
}

struct Inner {
    transports: Transports,
    config: EndpointConfig,
    state: Mutex<State>,
    wake: Notify,
    to_tu: mpsc::Sender<Incoming>,
    acks: retransmit::PendingAcks,
    received: AtomicU64,
    rejected: AtomicU64,
    dropped: AtomicU64,
}

/// The SIP endpoint; cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

/// Messages to send once the lock is released: `(peer, bytes, transaction)`.
type Sends = Vec<(Peer, Bytes, Option<TransactionKey>)>;

impl Endpoint {
    /// Starts the endpoint over `transports`, reading what they receive; answers the handle
    /// and the TU's queue. The tasks stop when the transports' channel closes.
    pub fn start(transports: Transports, received: mpsc::Receiver<Received>, config: EndpointConfig) -> (Endpoint, mpsc::Receiver<Incoming>) {
        let (to_tu, from_endpoint) = mpsc::channel(config.tu_queue.max(1));
        let state = State {
            table: TransactionTable::new(config.capacity, config.timers),
            servers: HashMap::new(),
            clients: HashMap::new(),
        };
        let endpoint = Endpoint {
            inner: Arc::new(Inner {
                transports,
                acks: retransmit::PendingAcks::default(),
                config,
                state: Mutex::new(state),
                wake: Notify::new(),
                to_tu,
                received: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            }),
        };
        tokio::spawn(endpoint.clone().receive_loop(received));
        tokio::spawn(endpoint.clone().timer_loop());
        (endpoint, from_endpoint)
    }

    /// The transports under this endpoint.
    pub fn transports(&self) -> &Transports {
        &self.inner.transports
    }

    /// Our product token, for `User-Agent` and `Server`.
    pub fn product(&self) -> &str {
        &self.inner.config.product
    }

    /// Live figures.
    pub fn stats(&self) -> EndpointStats {
        let transactions = self.lock().table.len();
        EndpointStats {
            transactions,
            received: self.inner.received.load(Ordering::Relaxed),
            rejected: self.inner.rejected.load(Ordering::Relaxed),
            dropped: self.inner.dropped.load(Ordering::Relaxed),
            pending_acks: self.inner.acks.len(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would leave the table half-updated; the state is
        // still the best there is, so go on with it rather than take the endpoint down.
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers the request of server transaction `key`.
    pub async fn respond(&self, key: &TransactionKey, response: Response) -> Result<(), EndpointError> {
        let status = response.status.code();
        let bytes = message::encode(&response);
        let mut sends = Sends::new();
        let peer = {
            let mut state = self.lock();
            let peer = state.servers.get(key).map(|meta| meta.peer).ok_or(EndpointError::NoTransaction)?;
            let out = state.table.respond(key, status, bytes.clone(), Instant::now()).map_err(table_error)?;
            if status >= 200 {
                if let Some(meta) = state.servers.get_mut(key) {
                    meta.final_sent = true;
                }
            }
            self.carry_out(&mut state, key, out, &mut sends);
            peer
        };
        self.inner.wake.notify_one();
        // RFC 6026 §8.1: the TU keeps a 2xx to INVITE alive until the ACK comes (over UDP).
        if (200..300).contains(&status) && key.method() == "INVITE" && !peer.protocol.is_reliable() {
            if let (Some(call_id), Some((cseq, _))) = (message::call_id(&response.headers), message::cseq(&response.headers)) {
                self.inner.acks.start(self.clone(), call_id, cseq, peer, bytes);
            }
        }
        self.send_all(sends).await;
        Ok(())
    }

    /// Sends `request` in a new client transaction to `peer`, with a fresh top Via.
    pub async fn request(&self, mut request: Request, peer: Peer) -> Result<ClientTx, EndpointError> {
        let branch = keys::new_branch();
        self.push_via(&mut request, &peer, &branch)?;
        let method = request.method.to_string();
        let key = TransactionKey::client(&branch, &method).map_err(|_| EndpointError::Malformed("branch"))?;
        let kind = if request.method == Method::Invite { Kind::Invite } else { Kind::NonInvite };
        let (events, receiver) = mpsc::channel(16);
        let mut sends = Sends::new();
        {
            let mut state = self.lock();
            let out = state
                .table
                .start_client(key.clone(), kind, message::encode_request(&request), reliability(peer.protocol), Instant::now())
                .map_err(table_error)?;
            state.clients.insert(
                key.clone(),
                ClientMeta { peer, request: Some(request.clone()), events: Some(events), provisional: false, finished: false, cancel: CancelState::None },
            );
            self.carry_out(&mut state, &key, out, &mut sends);
        }
        self.inner.wake.notify_one();
        self.send_all(sends).await;
        Ok(ClientTx { key, request, events: receiver })
    }

    /// Cancels the pending INVITE of client transaction `key` (§9.1): at once if a
    /// provisional response came, else on the first one; never after a final response.
    pub async fn cancel(&self, key: &TransactionKey) {
        let mut sends = Sends::new();
        {
            let mut state = self.lock();
            let Some(meta) = state.clients.get_mut(key) else { return };
            if meta.finished || meta.cancel != CancelState::None {
                return;
            }
            if !meta.provisional {
                meta.cancel = CancelState::Wanted;
                return;
            }
            self.start_cancel(&mut state, key, &mut sends);
        }
        self.inner.wake.notify_one();
        self.send_all(sends).await;
    }

    /// Sends an ACK for a 2xx (a request outside any transaction, §13.2.2.4) with a fresh Via.
    pub async fn send_ack(&self, mut ack: Request, peer: Peer) -> Result<(), EndpointError> {
        self.push_via(&mut ack, &peer, &keys::new_branch())?;
        self.send_all(vec![(peer, message::encode_request(&ack), None)]).await;
        Ok(())
    }

    /// The address to put in Contact and Via for messages to `peer`.
    pub fn local_for(&self, peer: &Peer) -> Option<std::net::SocketAddr> {
        self.inner.transports.local_for(peer)
    }

    fn push_via(&self, request: &mut Request, peer: &Peer, branch: &str) -> Result<(), EndpointError> {
        let local = self.local_for(peer).ok_or(EndpointError::NoTransport(*peer))?;
        let via = format!("SIP/2.0/{} {};branch={branch};rport", peer.protocol.via_name(), keys::host_port(local));
        let header = message::build_header(HeaderName::Via, via).ok_or(EndpointError::Malformed("Via"))?;
        request.headers.push_front(header);
        Ok(())
    }

    /// Starts the CANCEL of INVITE `key` (lock held).
    fn start_cancel(&self, state: &mut State, key: &TransactionKey, sends: &mut Sends) {
        let Some(meta) = state.clients.get_mut(key) else { return };
        meta.cancel = CancelState::Sent;
        let peer = meta.peer;
        let Some(cancel) = meta.request.as_ref().and_then(keys::cancel_for) else { return };
        let Ok(cancel_key) = TransactionKey::client(key.branch(), "CANCEL") else { return };
        match state.table.start_client(cancel_key.clone(), Kind::NonInvite, message::encode_request(&cancel), reliability(peer.protocol), Instant::now()) {
            Ok(out) => {
                state.clients.insert(
                    cancel_key.clone(),
                    ClientMeta { peer, request: None, events: None, provisional: false, finished: false, cancel: CancelState::Sent },
                );
                self.carry_out(state, &cancel_key, out, sends);
            }
            Err(e) => tracing::debug!(error = %e, "CANCEL not started"),
        }
    }

    /// Acts on a transaction's outputs (lock held): sends are queued, TU events delivered,
    /// terminated transactions forgotten.
    fn carry_out(&self, state: &mut State, key: &TransactionKey, outputs: Vec<Output>, sends: &mut Sends) {
        for output in outputs {
            match output {
                Output::Send(bytes) => {
                    let peer = state.servers.get(key).map(|m| m.peer).or_else(|| state.clients.get(key).map(|m| m.peer));
                    if let Some(peer) = peer {
                        sends.push((peer, bytes, Some(key.clone())));
                    }
                }
                Output::Deliver(TuEvent::Timeout) => self.tell_client(state, key, ClientEvent::Timeout),
                Output::Deliver(TuEvent::TransportError) => self.tell_client(state, key, ClientEvent::TransportError),
                // Provisional/Final are delivered with the response itself by `on_response`;
                // Ack by `on_request`.
                Output::Deliver(_) | Output::Schedule { .. } | Output::Cancel(_) => {}
                Output::Terminated => {
                    state.servers.remove(key);
                    state.clients.remove(key);
                }
            }
        }
    }

    fn tell_client(&self, state: &mut State, key: &TransactionKey, event: ClientEvent) {
        if let Some(meta) = state.clients.get_mut(key) {
            meta.finish();
            if let Some(events) = &meta.events {
                let _ = events.try_send(event);
            }
        }
    }

    async fn send_all(&self, sends: Sends) {
        for (peer, bytes, key) in sends {
            if let Err(e) = self.inner.transports.send(&peer, bytes).await {
                tracing::debug!(?peer, error = %e, "send failed");
                if let Some(key) = key {
                    let mut more = Sends::new();
                    {
                        let mut state = self.lock();
                        if let Ok(out) = state.table.on_transport_error(&key) {
                            self.carry_out(&mut state, &key, out, &mut more);
                        }
                    }
                    // A transport error never asks to send again, so `more` stays empty.
                    debug_assert!(more.is_empty());
                }
            }
        }
    }

    /// Sends raw bytes outside any transaction (stateless answers, 2xx retransmissions).
    async fn send_raw(&self, peer: Peer, bytes: Bytes) {
        if let Err(e) = self.inner.transports.send(&peer, bytes).await {
            tracing::debug!(?peer, error = %e, "stateless send failed");
        }
    }

    async fn receive_loop(self, mut received: mpsc::Receiver<Received>) {
        while let Some(message) = received.recv().await {
            self.inner.received.fetch_add(1, Ordering::Relaxed);
            self.on_received(message).await;
        }
    }

    async fn timer_loop(self) {
        // The endpoint lives as long as its TU listens; then the timers stop too.
        while !self.inner.to_tu.is_closed() {
            let next = self.lock().table.next_deadline();
            let wake_at = next.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                () = tokio::time::sleep_until(wake_at.into()) => {}
                // `notify_one` keeps a permit when nobody waits, so no wake-up is lost
                // between reading the deadline and getting here.
                () = self.inner.wake.notified() => continue,
            }
            let mut sends = Sends::new();
            {
                let mut state = self.lock();
                for (key, output) in state.table.fire_due(Instant::now()) {
                    self.carry_out(&mut state, &key, vec![output], &mut sends);
                }
            }
            self.send_all(sends).await;
        }
    }

    async fn on_received(&self, message: Received) {
        let peer = message.peer;
        match message::read_datagram(message.bytes, &self.inner.config.limits) {
            Inbound::Request(request) => self.on_request(*request, peer).await,
            Inbound::Response(response) => self.on_response(*response).await,
            Inbound::Reject(rejection) => {
                self.inner.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(?peer, status = rejection.status, reason = %rejection.reason, "request rejected");
                if let Some(response) = rejection.response {
                    self.send_raw(peer, response).await;
                }
            }
            Inbound::Discard(why) => {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(?peer, %why, "message dropped");
            }
        }
    }

    async fn reject(&self, request: &Request, peer: Peer, status: u16, reason: &str) {
        self.inner.rejected.fetch_add(1, Ordering::Relaxed);
        if request.method == Method::Ack {
            return; // §17: an ACK is never answered.
        }
        if let Some(response) = message::response_to(request, status, reason) {
            self.send_raw(peer, message::encode(&response)).await;
        }
    }

    async fn on_request(&self, mut request: Request, peer: Peer) {
        if let Some(rejection) = message::check_request(&request, &self.inner.config.policy) {
            self.inner.rejected.fetch_add(1, Ordering::Relaxed);
            if let (Some(response), false) = (rejection.response, request.method == Method::Ack) {
                self.send_raw(peer, response).await;
            }
            return;
        }
        message::stamp_top_via(&mut request.headers, peer.addr);
        let Some(key) = server_key(&request) else {
            return self.reject(&request, peer, 400, "Bad Request (no usable Via)").await;
        };
        match request.method {
            Method::Ack => self.on_ack(request, key, peer).await,
            Method::Cancel => self.on_cancel(request, key, peer).await,
            _ => self.on_new_or_retransmitted(request, key, peer).await,
        }
    }

    async fn on_ack(&self, request: Request, key: TransactionKey, peer: Peer) {
        let mut sends = Sends::new();
        let to_tu = {
            let mut state = self.lock();
            match state.table.on_ack(&key, Instant::now()) {
                Ok(out) => {
                    let accepted = out.iter().any(|o| matches!(o, Output::Deliver(TuEvent::Ack)));
                    self.carry_out(&mut state, &key, out, &mut sends);
                    accepted
                }
                // Not ours at the transaction level: the ACK of a 2xx.
                Err(_) => true,
            }
        };
        self.send_all(sends).await;
        if to_tu {
            if let (Some(call_id), Some((cseq, _))) = (message::call_id(&request.headers), message::cseq(&request.headers)) {
                self.inner.acks.acknowledged(&call_id, cseq);
            }
            if self.inner.to_tu.try_send(Incoming::Ack { request, peer }).is_err() {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    async fn on_cancel(&self, request: Request, key: TransactionKey, peer: Peer) {
        let invite_key = key.with_method("INVITE");
        let pending = {
            let state = self.lock();
            state.servers.get(&invite_key).is_some_and(|meta| !meta.final_sent)
        };
        let (status, reason) = if pending { (200, "OK") } else { (481, "Call/Transaction Does Not Exist") };
        let mut sends = Sends::new();
        let is_new = {
            let mut state = self.lock();
            match state.table.on_request(key.clone(), Kind::NonInvite, reliability(peer.protocol)) {
                Ok(Arrival::New) => {
                    state.servers.insert(key.clone(), ServerMeta { peer, final_sent: true });
                    if let Some(response) = message::response_to(&request, status, reason) {
                        if let Ok(out) = state.table.respond(&key, status, message::encode(&response), Instant::now()) {
                            self.carry_out(&mut state, &key, out, &mut sends);
                        }
                    }
                    true
                }
                Ok(Arrival::Retransmission(out)) => {
                    self.carry_out(&mut state, &key, out, &mut sends);
                    false
                }
                Err(_) => false,
            }
        };
        self.inner.wake.notify_one();
        self.send_all(sends).await;
        let call_id = message::call_id(&request.headers).unwrap_or_default();
        if is_new && pending && self.inner.to_tu.try_send(Incoming::Cancelled { invite: invite_key, call_id }).is_err() {
            self.inner.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn on_new_or_retransmitted(&self, request: Request, key: TransactionKey, peer: Peer) {
        let kind = if request.method == Method::Invite { Kind::Invite } else { Kind::NonInvite };
        let mut sends = Sends::new();
        let starts_dialog = message::to(&request.headers).is_none_or(|to| to.tag.is_none());
        let arrival = {
            let mut state = self.lock();
            let room = if starts_dialog { self.inner.config.capacity / 4 * 3 } else { self.inner.config.capacity };
            let admitted = if state.table.len() >= room && state.table.get(&key).is_none() {
                Err(TableError::Full(room))
            } else {
                state.table.on_request(key.clone(), kind, reliability(peer.protocol))
            };
            match admitted {
                Ok(Arrival::New) => {
                    state.servers.insert(key.clone(), ServerMeta { peer, final_sent: false });
                    Ok(true)
                }
                Ok(Arrival::Retransmission(out)) => {
                    self.carry_out(&mut state, &key, out, &mut sends);
                    Ok(false)
                }
                Err(e) => Err(e),
            }
        };
        self.send_all(sends).await;
        match arrival {
            Ok(true) => {}
            Ok(false) => return,
            Err(TableError::Full(_)) => {
                self.inner.rejected.fetch_add(1, Ordering::Relaxed);
                if let Some(response) = service_unavailable(&request) {
                    self.send_raw(peer, message::encode(&response)).await;
                }
                return;
            }
            Err(_) => return self.reject(&request, peer, 482, "Loop Detected").await,
        }
        // §17.2.1: the TU may take longer than 200 ms; say Trying at once.
        if kind == Kind::Invite {
            if let Some(trying) = message::response_to(&request, 100, "Trying") {
                let _ = self.respond(&key, trying).await;
            }
        }
        let overloaded = match self.inner.to_tu.try_send(Incoming::Request(ServerRequest { key: key.clone(), request, peer })) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(Incoming::Request(r)) | mpsc::error::TrySendError::Closed(Incoming::Request(r))) => Some(r),
            Err(_) => None,
        };
        if let Some(refused) = overloaded {
            if let Some(response) = service_unavailable(&refused.request) {
                let _ = self.respond(&refused.key, response).await;
            }
        }
    }

    async fn on_response(&self, response: Response) {
        let Some(via) = message::top_via(&response.headers) else { return self.drop_stray() };
        let (Some(branch), Some((_, method))) = (via.branch, message::cseq(&response.headers)) else { return self.drop_stray() };
        let Ok(key) = TransactionKey::client(&branch, &method.to_string()) else { return self.drop_stray() };
        let status = response.status.code();
        let mut sends = Sends::new();
        let mut tell = None;
        {
            let mut state = self.lock();
            let Some(meta) = state.clients.get(&key) else {
                drop(state);
                return self.drop_stray();
            };
            // §17.1.1.3: the client transaction ACKs a non-2xx final itself.
            let ack = (method == Method::Invite && status >= 300)
                .then(|| meta.request.as_ref().and_then(|request| keys::ack_for_failure(request, &response)))
                .flatten()
                .map(|ack| message::encode_request(&ack));
            let out = match state.table.on_response(&key, status, ack, Instant::now()) {
                Ok(out) => out,
                Err(_) => return,
            };
            let deliver = out.iter().any(|o| matches!(o, Output::Deliver(TuEvent::Provisional(_) | TuEvent::Final(_))));
            let mut cancel_now = false;
            if let Some(meta) = state.clients.get_mut(&key) {
                if status < 200 {
                    meta.provisional = true;
                    cancel_now = meta.cancel == CancelState::Wanted;
                } else {
                    meta.finish();
                }
                if deliver {
                    tell = meta.events.clone();
                }
            }
            self.carry_out(&mut state, &key, out, &mut sends);
            if cancel_now {
                self.start_cancel(&mut state, &key, &mut sends);
            }
        }
        self.inner.wake.notify_one();
        self.send_all(sends).await;
        // After the sends: the ACK of a non-2xx is on the wire before the TU can act on the
        // final (a TU answering a 401 with a new INVITE must not overtake that ACK).
        if let Some(events) = tell {
            let _ = events.try_send(ClientEvent::Response(Box::new(response)));
        }
    }

    fn drop_stray(&self) {
        self.inner.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// The 503 of an overloaded endpoint, asking the peer to come back in a few seconds
/// (§21.5.4) rather than at once.
fn service_unavailable(request: &Request) -> Option<Response> {
    message::Reply::to(request, 503, "Service Unavailable").map(|r| r.header(HeaderName::RetryAfter, "5")).and_then(|r| r.build())
}

fn reliability(protocol: Protocol) -> Reliability {
    if protocol.is_reliable() {
        Reliability::Reliable
    } else {
        Reliability::Unreliable
    }
}

fn table_error(e: TableError) -> EndpointError {
    match e {
        TableError::Full(n) => EndpointError::Full(n),
        TableError::NotFound => EndpointError::NoTransaction,
        other => EndpointError::Refused(other.to_string()),
    }
}
