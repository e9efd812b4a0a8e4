//! The transaction table: transactions by key, the routing of inputs to them, removal of
//! the terminated, and the earliest deadline across all of them, so one timer task can
//! drive thousands of transactions. Its size is bounded so that request floods cannot grow
//! memory: when full, new transactions are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use bytes::Bytes;
use thiserror::Error;

use super::{
    ClientTransaction, Kind, Output, Reliability, RespondError, ServerTransaction, Timer, Timers, TransactionKey,
};

/// A transaction of either side, as the table holds it.
#[derive(Debug, Clone)]
pub enum Transaction {
    /// We sent the request.
    Client(ClientTransaction),
    /// We received the request.
    Server(ServerTransaction),
}

impl Transaction {
    /// INVITE or non-INVITE.
    pub fn kind(&self) -> Kind {
        match self {
            Transaction::Client(tx) => tx.kind(),
            Transaction::Server(tx) => tx.kind(),
        }
    }

    /// Whether the transaction has terminated.
    pub fn is_terminated(&self) -> bool {
        match self {
            Transaction::Client(tx) => tx.is_terminated(),
            Transaction::Server(tx) => tx.is_terminated(),
        }
    }

    /// The earliest armed timer deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self {
            Transaction::Client(tx) => tx.next_deadline(),
            Transaction::Server(tx) => tx.next_deadline(),
        }
    }

    fn due_timer(&self, now: Instant) -> Option<Timer> {
        match self {
            Transaction::Client(tx) => tx.due_timer(now),
            Transaction::Server(tx) => tx.due_timer(now),
        }
    }

    fn on_timer(&mut self, timer: Timer, now: Instant) -> Vec<Output> {
        match self {
            Transaction::Client(tx) => tx.on_timer(timer, now),
            Transaction::Server(tx) => tx.on_timer(timer, now),
        }
    }
}

/// What became of a request handed to [`TransactionTable::on_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// It matched no transaction, and a new server transaction now exists for it: hand the
    /// request to the TU, which answers through [`TransactionTable::respond`].
    New,
    /// A retransmission, absorbed by its transaction (§17.2.3): carry out these outputs
    /// (at most a resent response); the TU never sees it.
    Retransmission(Vec<Output>),
}

/// Why the table could not take an input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TableError {
    /// The table holds its capacity of transactions; a new one was refused. For a request,
    /// answer statelessly (503 with Retry-After) or drop it.
    #[error("the transaction table is full ({0} transactions)")]
    Full(usize),
    /// No transaction has the key. For a response: a stray, to be discarded (RFC 6026 §8.9).
    /// For an ACK: the ACK of a 2xx, which is its own transaction-less request for the TU.
    #[error("no transaction has this key")]
    NotFound,
    /// A transaction with this key already exists (a client key reused).
    #[error("a transaction with this key already exists")]
    Exists,
    /// The key names a transaction of the other side (e.g. a response for a server key).
    #[error("the key names a transaction of the other side")]
    WrongRole,
    /// The server transaction refused the TU's response.
    #[error(transparent)]
    Respond(#[from] RespondError),
}

#[derive(Debug)]
struct Entry {
    transaction: Transaction,
    /// The deadline this entry has in the table's deadline set, kept equal to the
    /// transaction's own next deadline after every input.
    deadline: Option<Instant>,
}

/// Transactions by key `K` (normally [`TransactionKey`]), with their timers merged.
///
/// The driver feeds it messages, the TU's responses and transport errors by key, sleeps
/// until [`next_deadline`](Self::next_deadline), and calls [`fire_due`](Self::fire_due).
/// Outputs come back as from a single transaction, except that the table keeps the timers
/// itself: it consumes [`Output::Schedule`] and [`Output::Cancel`], and passes on only
/// [`Output::Send`], [`Output::Deliver`] and [`Output::Terminated`] (after which the
/// transaction is gone from the table).
///
/// The capacity bounds client and server transactions together; keeping one table per side
/// stops an inbound flood from starving our own requests.
#[derive(Debug)]
pub struct TransactionTable<K = TransactionKey> {
    timers: Timers,
    capacity: usize,
    entries: BTreeMap<K, Entry>,
    /// `(deadline, key)` for every transaction with an armed timer: the first is the next.
    deadlines: BTreeSet<(Instant, K)>,
}

impl<K: Ord + Clone> TransactionTable<K> {
    /// An empty table holding at most `capacity` transactions, all using `timers`.
    pub fn new(capacity: usize, timers: Timers) -> Self {
        TransactionTable { timers, capacity, entries: BTreeMap::new(), deadlines: BTreeSet::new() }
    }

    /// The timer configuration of the table's transactions.
    pub fn timers(&self) -> Timers {
        self.timers
    }

    /// The most transactions the table holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many transactions are live.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The live transaction with this key.
    pub fn get(&self, key: &K) -> Option<&Transaction> {
        self.entries.get(key).map(|entry| &entry.transaction)
    }

    /// Starts a client transaction for `request` (§17.1) under `key`.
    pub fn start_client(
        &mut self,
        key: K,
        kind: Kind,
        request: Bytes,
        reliability: Reliability,
        now: Instant,
    ) -> Result<Vec<Output>, TableError> {
        if self.entries.contains_key(&key) {
            return Err(TableError::Exists);
        }
        self.check_room()?;
        let (tx, out) = ClientTransaction::start(kind, request, reliability, self.timers, now);
        self.insert(key, Transaction::Client(tx));
        Ok(for_caller(out))
    }

    /// A response whose key (§17.1.3) is `key` arrived; see [`ClientTransaction::on_response`].
    pub fn on_response(
        &mut self,
        key: &K,
        status: u16,
        ack: Option<Bytes>,
        now: Instant,
    ) -> Result<Vec<Output>, TableError> {
        self.route(key, |tx| match tx {
            Transaction::Client(tx) => Ok(tx.on_response(status, ack, now)),
            Transaction::Server(_) => Err(TableError::WrongRole),
        })
    }

    /// A request other than ACK arrived with key `key` (§17.2.3): either a retransmission
    /// for its server transaction, or a new request, for which a server transaction of
    /// `kind` over `reliability` is created (unless the table is full).
    pub fn on_request(&mut self, key: K, kind: Kind, reliability: Reliability) -> Result<Arrival, TableError> {
        if let Some(entry) = self.entries.get(&key) {
            if !matches!(entry.transaction, Transaction::Server(_)) {
                return Err(TableError::WrongRole);
            }
            let out = self.route(&key, |tx| match tx {
                Transaction::Server(tx) => Ok(tx.on_retransmission()),
                Transaction::Client(_) => Err(TableError::WrongRole),
            })?;
            return Ok(Arrival::Retransmission(out));
        }
        self.check_room()?;
        self.insert(key, Transaction::Server(ServerTransaction::new(kind, reliability, self.timers)));
        Ok(Arrival::New)
    }

    /// An ACK arrived with key `key` (its method counted as INVITE, §17.2.3); see
    /// [`ServerTransaction::on_ack`]. [`TableError::NotFound`] means it is the ACK of a 2xx:
    /// not part of any transaction, it goes to the TU (§17.2.3, §13.3.1.4). ACKs never create
    /// transactions.
    pub fn on_ack(&mut self, key: &K, now: Instant) -> Result<Vec<Output>, TableError> {
        self.route(key, |tx| match tx {
            Transaction::Server(tx) => Ok(tx.on_ack(now)),
            Transaction::Client(_) => Err(TableError::WrongRole),
        })
    }

    /// The TU responds to the request of server transaction `key`; see
    /// [`ServerTransaction::respond`].
    pub fn respond(&mut self, key: &K, status: u16, response: Bytes, now: Instant) -> Result<Vec<Output>, TableError> {
        self.route(key, |tx| match tx {
            Transaction::Server(tx) => Ok(tx.respond(status, response, now)?),
            Transaction::Client(_) => Err(TableError::WrongRole),
        })
    }

    /// The transport failed to send a message of transaction `key`.
    pub fn on_transport_error(&mut self, key: &K) -> Result<Vec<Output>, TableError> {
        self.route(key, |tx| {
            Ok(match tx {
                Transaction::Client(tx) => tx.on_transport_error(),
                Transaction::Server(tx) => tx.on_transport_error(),
            })
        })
    }

    /// The earliest timer deadline across all transactions: when to call
    /// [`fire_due`](Self::fire_due) next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Fires every timer due at `now`, in deadline order, and answers the outputs with the
    /// key of the transaction each came from. Terminated transactions are removed.
    pub fn fire_due(&mut self, now: Instant) -> Vec<(K, Output)> {
        let due: Vec<K> = self.deadlines.iter().take_while(|(at, _)| *at <= now).map(|(_, key)| key.clone()).collect();
        let mut fired = Vec::new();
        for key in due {
            let Some(entry) = self.entries.get_mut(&key) else { continue };
            let mut out = Vec::new();
            // A transaction may have several timers due (a driver woken late). Each fires at
            // most once per call: a re-armed timer is due after `now` anyway (T1 > 0), and
            // the bound keeps the loop finite whatever a transaction does.
            for _ in Timer::ALL {
                let Some(timer) = entry.transaction.due_timer(now) else { break };
                out.extend(entry.transaction.on_timer(timer, now));
            }
            self.settle(&key);
            fired.extend(for_caller(out).into_iter().map(|output| (key.clone(), output)));
        }
        fired
    }

    fn check_room(&self) -> Result<(), TableError> {
        if self.entries.len() >= self.capacity {
            return Err(TableError::Full(self.capacity));
        }
        Ok(())
    }

    fn insert(&mut self, key: K, transaction: Transaction) {
        self.entries.insert(key.clone(), Entry { transaction, deadline: None });
        self.settle(&key);
    }

    /// Feeds one input to the transaction `key`, then brings the table up to date with it.
    fn route(
        &mut self,
        key: &K,
        input: impl FnOnce(&mut Transaction) -> Result<Vec<Output>, TableError>,
    ) -> Result<Vec<Output>, TableError> {
        let entry = self.entries.get_mut(key).ok_or(TableError::NotFound)?;
        let out = input(&mut entry.transaction)?;
        self.settle(key);
        Ok(for_caller(out))
    }

    /// Re-files the deadline of transaction `key`, and removes it if it has terminated.
    fn settle(&mut self, key: &K) {
        let Some(entry) = self.entries.get_mut(key) else { return };
        let next = entry.transaction.next_deadline();
        if next != entry.deadline {
            if let Some(old) = entry.deadline {
                self.deadlines.remove(&(old, key.clone()));
            }
            if let Some(new) = next {
                self.deadlines.insert((new, key.clone()));
            }
            entry.deadline = next;
        }
        if entry.transaction.is_terminated() {
            // A terminated transaction has disarmed every timer, so it has no deadline left.
            if let Some(old) = entry.deadline.take() {
                self.deadlines.remove(&(old, key.clone()));
            }
            self.entries.remove(key);
        }
    }
}

/// The outputs the table's caller acts on: the table runs the timers itself.
fn for_caller(out: Vec<Output>) -> Vec<Output> {
    out.into_iter().filter(|output| !matches!(output, Output::Schedule { .. } | Output::Cancel(_))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::testkit::{ms, since};
    use crate::transaction::{ClientState, ServerState, TuEvent};

    const BRANCH: &str = "z9hG4bKnashds8";

    fn table(capacity: usize) -> TransactionTable {
        TransactionTable::new(capacity, Timers::default())
    }

    fn server_key(branch: &str, method: &str) -> TransactionKey {
        TransactionKey::server(branch, "192.0.2.4", Some(5060), method).unwrap()
    }

    fn client_key(branch: &str, method: &str) -> TransactionKey {
        TransactionKey::client(branch, method).unwrap()
    }

    fn bytes(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    fn server_state(table: &TransactionTable, key: &TransactionKey) -> Option<ServerState> {
        match table.get(key)? {
            Transaction::Server(tx) => Some(tx.state()),
            Transaction::Client(_) => None,
        }
    }

    fn client_state(table: &TransactionTable, key: &TransactionKey) -> Option<ClientState> {
        match table.get(key)? {
            Transaction::Client(tx) => Some(tx.state()),
            Transaction::Server(_) => None,
        }
    }

    /// Runs the table's timers at their deadlines up to `until`, as a timer task would.
    fn drive(table: &mut TransactionTable, until: Instant) -> Vec<(Instant, TransactionKey, Output)> {
        let mut fired = Vec::new();
        while let Some(at) = table.next_deadline().filter(|at| *at <= until) {
            fired.extend(table.fire_due(at).into_iter().map(|(key, output)| (at, key, output)));
        }
        fired
    }

    #[test]
    fn the_next_deadline_is_the_earliest_across_transactions() {
        let t0 = Instant::now();
        let mut table = table(16);
        assert_eq!(table.next_deadline(), None);
        let invite = client_key("z9hG4bKa", "INVITE");
        let options = client_key("z9hG4bKb", "OPTIONS");
        let busy = server_key("z9hG4bKc", "INVITE");

        let out =
            table.start_client(invite.clone(), Kind::Invite, bytes("INVITE"), Reliability::Unreliable, t0).unwrap();
        assert_eq!(out, vec![Output::Send(bytes("INVITE"))], "the table keeps Schedule to itself");
        table
            .start_client(options.clone(), Kind::NonInvite, bytes("OPTIONS"), Reliability::Reliable, t0 + ms(200))
            .unwrap();
        assert_eq!(table.on_request(busy.clone(), Kind::Invite, Reliability::Unreliable), Ok(Arrival::New));
        table.respond(&busy, 486, bytes("486"), t0 + ms(100)).unwrap();
        assert_eq!(table.len(), 3);

        assert_eq!(table.next_deadline(), Some(t0 + ms(500)), "A of the INVITE");
        assert!(table.fire_due(t0 + ms(499)).is_empty());
        assert_eq!(table.fire_due(t0 + ms(550)), vec![(invite.clone(), Output::Send(bytes("INVITE")))]);
        assert_eq!(table.next_deadline(), Some(t0 + ms(600)), "G of the 486");
        assert_eq!(table.fire_due(t0 + ms(600)), vec![(busy.clone(), Output::Send(bytes("486")))]);
        assert_eq!(table.next_deadline(), Some(t0 + ms(1_550)), "A again, before G at 1.6 s");

        // A late wake-up fires everything due, in deadline order.
        let fired = table.fire_due(t0 + ms(1_600));
        assert_eq!(
            fired,
            vec![(invite.clone(), Output::Send(bytes("INVITE"))), (busy.clone(), Output::Send(bytes("486")))]
        );

        // The ACK stops G and H; the INVITE's final stops A and B: only F of OPTIONS is left.
        table.on_ack(&busy, t0 + ms(1_700)).unwrap();
        table.on_response(&invite, 200, None, t0 + ms(1_700)).unwrap();
        let deadlines: Vec<u64> = table.deadlines.iter().map(|(at, _)| since(t0, *at)).collect();
        assert_eq!(deadlines, vec![6_700, 32_200, 33_700], "I of the 486, F of OPTIONS, M of the INVITE");
    }

    #[test]
    fn fire_due_reports_timeouts_and_removes_terminated_transactions() {
        let t0 = Instant::now();
        let mut table = table(16);
        let invite = client_key(BRANCH, "INVITE");
        table.start_client(invite.clone(), Kind::Invite, bytes("INVITE"), Reliability::Unreliable, t0).unwrap();

        let fired = drive(&mut table, t0 + ms(100_000));
        let sends: Vec<u64> = fired
            .iter()
            .filter(|(_, _, output)| matches!(output, Output::Send(_)))
            .map(|(at, _, _)| since(t0, *at))
            .collect();
        assert_eq!(sends, vec![500, 1_500, 3_500, 7_500, 15_500, 31_500]);
        let tail: Vec<&Output> = fired.iter().rev().take(2).rev().map(|(_, _, output)| output).collect();
        assert_eq!(tail, vec![&Output::Deliver(TuEvent::Timeout), &Output::Terminated]);
        assert!(fired.iter().all(|(_, key, _)| *key == invite));
        assert!(table.is_empty());
        assert_eq!(table.next_deadline(), None);
        assert_eq!(table.on_response(&invite, 200, None, t0 + ms(100_000)), Err(TableError::NotFound));
    }

    #[test]
    fn transactions_terminated_by_an_input_leave_no_deadline_behind() {
        let t0 = Instant::now();
        let mut table = table(16);
        let key = client_key(BRANCH, "OPTIONS");
        table.start_client(key.clone(), Kind::NonInvite, bytes("OPTIONS"), Reliability::Unreliable, t0).unwrap();
        let out = table.on_transport_error(&key).unwrap();
        assert_eq!(out, vec![Output::Deliver(TuEvent::TransportError), Output::Terminated]);
        assert!(table.is_empty());
        assert_eq!(table.next_deadline(), None);
        assert!(table.fire_due(t0 + ms(60_000)).is_empty(), "its old timers are gone with it");
    }

    #[test]
    fn requests_are_new_once_then_retransmissions() {
        let t0 = Instant::now();
        let mut table = table(16);
        let key = server_key(BRANCH, "REGISTER");
        assert_eq!(table.on_request(key.clone(), Kind::NonInvite, Reliability::Unreliable), Ok(Arrival::New));
        assert_eq!(
            table.on_request(key.clone(), Kind::NonInvite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![])),
            "Trying: discarded"
        );
        assert_eq!(table.respond(&key, 100, bytes("100"), t0), Ok(vec![Output::Send(bytes("100"))]));
        assert_eq!(
            table.on_request(key.clone(), Kind::NonInvite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![Output::Send(bytes("100"))]))
        );
        assert_eq!(table.respond(&key, 200, bytes("200"), t0), Ok(vec![Output::Send(bytes("200"))]));
        assert_eq!(
            table.on_request(key.clone(), Kind::NonInvite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![Output::Send(bytes("200"))]))
        );
        assert_eq!(
            table.respond(&key, 500, bytes("500"), t0),
            Err(TableError::Respond(RespondError::WrongState { status: 500, state: ServerState::Completed }))
        );
        let fired = drive(&mut table, t0 + ms(32_000));
        assert_eq!(fired, vec![(t0 + ms(32_000), key.clone(), Output::Terminated)], "Timer J");
        assert_eq!(table.on_request(key, Kind::NonInvite, Reliability::Unreliable), Ok(Arrival::New), "J has passed");
    }

    #[test]
    fn a_full_table_refuses_new_transactions_but_serves_existing_ones() {
        let t0 = Instant::now();
        let mut table = table(2);
        let first = server_key("z9hG4bK1", "INVITE");
        let second = server_key("z9hG4bK2", "INVITE");
        let third = server_key("z9hG4bK3", "INVITE");
        assert_eq!(table.on_request(first.clone(), Kind::Invite, Reliability::Reliable), Ok(Arrival::New));
        assert_eq!(table.on_request(second.clone(), Kind::Invite, Reliability::Reliable), Ok(Arrival::New));
        assert_eq!(table.on_request(third.clone(), Kind::Invite, Reliability::Reliable), Err(TableError::Full(2)));
        assert_eq!(
            table.start_client(client_key("z9hG4bK4", "BYE"), Kind::NonInvite, bytes("BYE"), Reliability::Reliable, t0),
            Err(TableError::Full(2))
        );
        assert_eq!(table.len(), 2);

        table.respond(&first, 180, bytes("180"), t0).unwrap();
        assert_eq!(
            table.on_request(first.clone(), Kind::Invite, Reliability::Reliable),
            Ok(Arrival::Retransmission(vec![Output::Send(bytes("180"))])),
            "retransmissions still reach their transaction"
        );
        assert_eq!(table.on_ack(&third, t0), Err(TableError::NotFound), "no transaction was made for the refused one");

        // Over TCP a confirmed 486 ends at once (I = 0), which makes room.
        table.respond(&second, 486, bytes("486"), t0).unwrap();
        assert_eq!(table.on_ack(&second, t0), Ok(vec![Output::Terminated]));
        assert_eq!(table.on_request(third, Kind::Invite, Reliability::Reliable), Ok(Arrival::New));
        assert!(TransactionTable::<TransactionKey>::new(0, Timers::default())
            .on_request(first, Kind::Invite, Reliability::Reliable)
            .is_err());
    }

    #[test]
    fn keys_are_routed_to_their_own_side_only() {
        let t0 = Instant::now();
        let mut table = table(16);
        let client = client_key(BRANCH, "OPTIONS");
        let server = server_key(BRANCH, "OPTIONS");
        table.start_client(client.clone(), Kind::NonInvite, bytes("OPTIONS"), Reliability::Unreliable, t0).unwrap();
        assert_eq!(
            table.start_client(client.clone(), Kind::NonInvite, bytes("OPTIONS"), Reliability::Unreliable, t0),
            Err(TableError::Exists)
        );
        assert_eq!(table.on_request(server.clone(), Kind::NonInvite, Reliability::Unreliable), Ok(Arrival::New));
        assert_eq!(table.respond(&client, 200, bytes("200"), t0), Err(TableError::WrongRole));
        assert_eq!(table.on_response(&server, 200, None, t0), Err(TableError::WrongRole));
        assert_eq!(table.on_ack(&client, t0), Err(TableError::WrongRole));
        assert_eq!(
            table.on_request(client.clone(), Kind::NonInvite, Reliability::Unreliable),
            Err(TableError::WrongRole)
        );
        assert_eq!(table.on_response(&client_key("z9hG4bKstray", "OPTIONS"), 200, None, t0), Err(TableError::NotFound));
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn server_cancel_is_its_own_transaction_and_the_487_is_acked_through_the_invite() {
        let t0 = Instant::now();
        let mut table = table(16);
        let invite = server_key(BRANCH, "INVITE");
        let cancel = server_key(BRANCH, "CANCEL");
        let ack = server_key(BRANCH, "ACK");
        assert_ne!(cancel, invite);
        assert_eq!(ack, invite);

        assert_eq!(table.on_request(invite.clone(), Kind::Invite, Reliability::Unreliable), Ok(Arrival::New));
        table.respond(&invite, 180, bytes("180"), t0).unwrap();
        // The CANCEL matches no transaction (§9.2: the UAS finds the INVITE itself): new.
        assert_eq!(table.on_request(cancel.clone(), Kind::NonInvite, Reliability::Unreliable), Ok(Arrival::New));
        assert_eq!(table.len(), 2);
        assert_eq!(
            table.respond(&cancel, 200, bytes("200 CANCEL"), t0 + ms(10)),
            Ok(vec![Output::Send(bytes("200 CANCEL"))])
        );
        assert_eq!(server_state(&table, &cancel), Some(ServerState::Completed));
        assert_eq!(
            server_state(&table, &invite),
            Some(ServerState::Proceeding),
            "the CANCEL's answer leaves the INVITE alone"
        );

        // The TU ends the INVITE with 487: the normal non-2xx path.
        table.respond(&invite, 487, bytes("487"), t0 + ms(20)).unwrap();
        assert_eq!(server_state(&table, &invite), Some(ServerState::Completed));
        assert_eq!(
            table.on_request(cancel.clone(), Kind::NonInvite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![Output::Send(bytes("200 CANCEL"))]))
        );
        assert_eq!(
            table.on_request(invite.clone(), Kind::Invite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![Output::Send(bytes("487"))]))
        );
        assert_eq!(table.fire_due(t0 + ms(520)), vec![(invite.clone(), Output::Send(bytes("487")))], "Timer G");
        assert_eq!(table.on_ack(&ack, t0 + ms(600)), Ok(vec![]));
        assert_eq!(server_state(&table, &invite), Some(ServerState::Confirmed));

        let fired = drive(&mut table, t0 + ms(60_000));
        assert_eq!(
            fired,
            vec![
                (t0 + ms(5_600), invite.clone(), Output::Terminated),  // Timer I
                (t0 + ms(32_010), cancel.clone(), Output::Terminated), // Timer J
            ]
        );
        assert!(table.is_empty());
    }

    #[test]
    fn a_2xx_racing_the_cancel_leaves_the_invite_accepted_and_the_cancel_answered_200() {
        let t0 = Instant::now();
        let mut table = table(16);
        let invite = server_key(BRANCH, "INVITE");
        let cancel = server_key(BRANCH, "CANCEL");

        table.on_request(invite.clone(), Kind::Invite, Reliability::Unreliable).unwrap();
        table.respond(&invite, 180, bytes("180"), t0).unwrap();
        // The callee answers just before the CANCEL arrives.
        table.respond(&invite, 200, bytes("200 INVITE"), t0 + ms(1_000)).unwrap();
        assert_eq!(table.on_request(cancel.clone(), Kind::NonInvite, Reliability::Unreliable), Ok(Arrival::New));
        // §9.2: the final response was sent, so the CANCEL has no effect, but it is answered 200.
        table.respond(&cancel, 200, bytes("200 CANCEL"), t0 + ms(1_010)).unwrap();
        assert_eq!(server_state(&table, &invite), Some(ServerState::Accepted));
        assert_eq!(server_state(&table, &cancel), Some(ServerState::Completed));
        assert_eq!(
            table.respond(&invite, 487, bytes("487"), t0 + ms(1_020)),
            Err(TableError::Respond(RespondError::WrongState { status: 487, state: ServerState::Accepted })),
            "too late for a 487"
        );
        assert_eq!(
            table.on_request(invite.clone(), Kind::Invite, Reliability::Unreliable),
            Ok(Arrival::Retransmission(vec![])),
            "Accepted absorbs the INVITE"
        );
        let fired = drive(&mut table, t0 + ms(60_000));
        assert_eq!(
            fired,
            vec![
                (t0 + ms(33_000), invite.clone(), Output::Terminated), // Timer L
                (t0 + ms(33_010), cancel.clone(), Output::Terminated), // Timer J
            ]
        );
    }

    #[test]
    fn client_cancel_and_invite_are_separate_transactions_in_either_race_order() {
        let t0 = Instant::now();
        for answered_first in [false, true] {
            let mut table = table(16);
            let invite = client_key(BRANCH, "INVITE");
            let cancel = client_key(BRANCH, "CANCEL");
            table.start_client(invite.clone(), Kind::Invite, bytes("INVITE"), Reliability::Unreliable, t0).unwrap();
            table.on_response(&invite, 180, None, t0 + ms(100)).unwrap();
            // §9.1: a CANCEL only after a provisional; it is its own non-INVITE transaction.
            table
                .start_client(cancel.clone(), Kind::NonInvite, bytes("CANCEL"), Reliability::Unreliable, t0 + ms(200))
                .unwrap();
            assert_eq!(table.len(), 2);

            if answered_first {
                // The 200 to the INVITE crossed the CANCEL: Accepted, and the TU must ACK and BYE.
                let out = table.on_response(&invite, 200, None, t0 + ms(300)).unwrap();
                assert_eq!(out, vec![Output::Deliver(TuEvent::Final(200))]);
                let out = table.on_response(&cancel, 200, None, t0 + ms(310)).unwrap();
                assert_eq!(out, vec![Output::Deliver(TuEvent::Final(200))]);
                assert_eq!(client_state(&table, &invite), Some(ClientState::Accepted));
            } else {
                let out = table.on_response(&cancel, 200, None, t0 + ms(300)).unwrap();
                assert_eq!(out, vec![Output::Deliver(TuEvent::Final(200))]);
                let out = table.on_response(&invite, 487, Some(bytes("ACK")), t0 + ms(310)).unwrap();
                assert_eq!(out, vec![Output::Send(bytes("ACK")), Output::Deliver(TuEvent::Final(487))]);
                assert_eq!(client_state(&table, &invite), Some(ClientState::Completed));
                let out = table.on_response(&invite, 487, Some(bytes("ACK")), t0 + ms(800)).unwrap();
                assert_eq!(out, vec![Output::Send(bytes("ACK"))], "the 487 retransmission is ACKed again");
            }
            assert_eq!(client_state(&table, &cancel), Some(ClientState::Completed));
            drive(&mut table, t0 + ms(60_000));
            assert!(table.is_empty());
        }
    }

    #[test]
    fn one_table_drives_thousands_of_transactions() {
        let t0 = Instant::now();
        let mut table = TransactionTable::new(10_000, Timers::default());
        for n in 0..5_000u64 {
            let key = TransactionKey::server(&format!("z9hG4bK{n}"), "192.0.2.9", None, "INVITE").unwrap();
            assert_eq!(table.on_request(key.clone(), Kind::Invite, Reliability::Unreliable), Ok(Arrival::New));
            // Half are rejected and never ACKed (G then H), half accepted (L).
            let status = if n % 2 == 0 { 486 } else { 200 };
            table.respond(&key, status, bytes("response"), t0 + ms(n)).unwrap();
        }
        let fired = drive(&mut table, t0 + ms(100_000));
        let count = |wanted: &Output| fired.iter().filter(|(_, _, output)| output == wanted).count();
        assert_eq!(count(&Output::Terminated), 5_000);
        assert_eq!(count(&Output::Deliver(TuEvent::Timeout)), 2_500);
        assert_eq!(count(&Output::Send(bytes("response"))), 2_500 * 10, "ten G retransmissions each");
        assert!(fired.windows(2).all(|w| w[0].0 <= w[1].0), "in deadline order");
        assert!(table.is_empty());
        assert_eq!(table.next_deadline(), None);
    }
}
