//! Transactions (RFC 3261 §17, with RFC 6026's Accepted state), sans-IO: each transaction is a
//! state machine that takes messages and instants and gives messages to send, messages to pass
//! up, and its next deadline. It never reads a clock or touches a socket.
//!
//! Timers: A and B (INVITE client retransmit and timeout), D (wait for response
//! retransmissions), E and F (non-INVITE client), G, H and I (INVITE server), J and K, and L
//! and M (RFC 6026). T1, T2 and T4 are configurable.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use smol_str::SmolStr;

use crate::HeaderName;
use crate::message::{Message, Method};
use crate::serialize::MessageBuilder;
use crate::uri::Host;

/// A copy sent in answer to the peer's retransmission (the last response again, or the ACK
/// again) is queued only while fewer outputs than this wait: a flood of retransmissions
/// between two polls cannot grow the queue.
const ECHO_LIMIT: usize = 4;

/// Timer base values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// RTT estimate (500 ms).
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (4 s).
    pub t2: Duration,
    /// Longest time a message stays in the network (5 s).
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// What a transaction gives its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to the peer.
    Send(Vec<u8>),
    /// Pass this response (client) or request (server) up to the transaction user.
    PassUp(Vec<u8>),
    /// The transaction timed out without a final response (client: answer 408 upwards).
    Timeout,
    /// The transport should be told it failed (no more retransmissions will help).
    Terminated,
}

/// Client transaction states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing back yet.
    Calling,
    /// Non-INVITE sent, nothing back yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final non-2xx response arrived; absorbing retransmissions.
    Completed,
    /// A 2xx to INVITE arrived; passing further 2xx up (RFC 6026).
    Accepted,
    /// Done.
    Terminated,
}

/// A client transaction.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    invite: bool,
    /// The request's top Via branch and CSeq method: what a response must carry to be ours
    /// (RFC 3261 §17.1.3).
    branch: String,
    method: String,
    reliable: bool,
    timers: Timers,
    state: ClientState,
    request: Vec<u8>,
    ack: Option<Vec<u8>>,
    retransmit_at: Option<Instant>,
    interval: Duration,
    timeout_at: Option<Instant>,
    out: VecDeque<Output>,
}

impl ClientTransaction {
    /// Starts a transaction for `request` (sent at once). `reliable` is true over TCP, TLS
    /// and WebSocket, where nothing is retransmitted.
    pub fn new(
        request: Vec<u8>,
        reliable: bool,
        timers: Timers,
        now: Instant,
    ) -> Result<Self, crate::ParseError> {
        let parsed = Message::parse(&request)?;
        let invite = parsed.method() == Method::Invite;
        let branch = parsed.via().branch().unwrap_or_default().to_owned();
        let method = parsed.cseq().method().to_owned();
        drop(parsed);
        let mut tx = Self {
            invite,
            branch,
            method,
            reliable,
            timers,
            state: if invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            request: request.clone(),
            ack: None,
            retransmit_at: (!reliable).then_some(now + timers.t1),
            interval: timers.t1,
            timeout_at: Some(now + timers.t1 * 64),
            out: VecDeque::new(),
        };
        tx.out.push_back(Output::Send(request));
        Ok(tx)
    }

    /// Whether `response` belongs to this transaction (RFC 3261 §17.1.3).
    pub fn matches(&self, response: &Message<'_>) -> bool {
        response.via().branch() == Some(self.branch.as_str())
            && response.cseq().method() == self.method
    }

    /// The state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.retransmit_at, self.timeout_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Takes a response. One that is not for this transaction — its top Via branch or its
    /// CSeq method differ (RFC 3261 §17.1.3), say a late copy of the `401` answered by the
    /// request this one replaced — is ignored.
    pub fn on_response(&mut self, response: &[u8], now: Instant) {
        let Ok(msg) = Message::parse(response) else {
            return;
        };
        let Some(status) = msg.status() else { return };
        if !self.matches(&msg) {
            return;
        }
        match (self.state, status) {
            (ClientState::Calling | ClientState::Trying | ClientState::Proceeding, 100..=199) => {
                self.state = ClientState::Proceeding;
                if self.invite {
                    // Timer A stops once a provisional response arrives.
                    self.retransmit_at = None;
                } else if !self.reliable {
                    // Timer E continues, at T2 (RFC 3261 §17.1.2.2).
                    self.interval = self.timers.t2;
                    self.retransmit_at = Some(now + self.interval);
                }
                self.out.push_back(Output::PassUp(response.to_vec()));
            }
            (ClientState::Calling | ClientState::Proceeding, 200..=299) if self.invite => {
                // RFC 6026: Accepted, absorbing nothing; 2xx retransmissions go up to the TU,
                // which sends the ACK itself. Timer M = 64·T1.
                self.state = ClientState::Accepted;
                self.retransmit_at = None;
                self.timeout_at = Some(now + self.timers.t1 * 64);
                self.out.push_back(Output::PassUp(response.to_vec()));
            }
            (ClientState::Accepted, 200..=299) => {
                self.out.push_back(Output::PassUp(response.to_vec()));
            }
            (ClientState::Calling | ClientState::Proceeding, 300..=699) if self.invite => {
                let ack = build_ack(&self.request, &msg);
                if let Some(ack) = &ack {
                    self.out.push_back(Output::Send(ack.clone()));
                }
                self.ack = ack;
                self.out.push_back(Output::PassUp(response.to_vec()));
                self.state = ClientState::Completed;
                self.retransmit_at = None;
                // Timer D: 32 s on unreliable transports, zero on reliable ones.
                let d = if self.reliable {
                    Duration::ZERO
                } else {
                    Duration::from_secs(32).max(self.timers.t1 * 64)
                };
                self.timeout_at = Some(now + d);
                if self.reliable {
                    self.state = ClientState::Terminated;
                    self.timeout_at = None;
                }
            }
            (ClientState::Completed, 300..=699) if self.invite => {
                // A retransmitted final response: ACK again, do not pass up.
                if let Some(ack) = &self.ack
                    && self.out.len() < ECHO_LIMIT
                {
                    self.out.push_back(Output::Send(ack.clone()));
                }
            }
            (ClientState::Trying | ClientState::Proceeding, 200..=699) => {
                self.out.push_back(Output::PassUp(response.to_vec()));
                self.retransmit_at = None;
                if self.reliable {
                    self.state = ClientState::Terminated;
                    self.timeout_at = None;
                } else {
                    // Timer K = T4.
                    self.state = ClientState::Completed;
                    self.timeout_at = Some(now + self.timers.t4);
                }
            }
            _ => {}
        }
    }

    /// Fires timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.timeout_at.is_some_and(|t| t <= now) {
            self.timeout_at = None;
            self.retransmit_at = None;
            if matches!(
                self.state,
                ClientState::Calling | ClientState::Trying | ClientState::Proceeding
            ) {
                self.out.push_back(Output::Timeout);
            }
            self.state = ClientState::Terminated;
            self.out.push_back(Output::Terminated);
            return;
        }
        if let Some(at) = self.retransmit_at
            && at <= now
        {
            self.out.push_back(Output::Send(self.request.clone()));
            self.interval = if self.invite {
                self.interval * 2
            } else {
                (self.interval * 2).min(self.timers.t2)
            };
            self.retransmit_at = Some(now + self.interval);
        }
    }
}

/// The ACK for a non-2xx final response to `invite` (RFC 3261 §17.1.1.3): the INVITE's
/// Request-URI, top Via, From, Call-ID, CSeq number and Route; the response's To.
fn build_ack(invite: &[u8], response: &Message<'_>) -> Option<Vec<u8>> {
    let inv = Message::parse(invite).ok()?;
    let uri = inv.request_uri()?.as_str().to_owned();
    let via = inv
        .header(HeaderName::Via)?
        .value()
        .split(',')
        .next()?
        .trim()
        .to_owned();
    let mut b = MessageBuilder::request(Method::Ack, &uri)
        .header(HeaderName::Via, via)
        .header(HeaderName::MaxForwards, "70")
        .header(
            HeaderName::From,
            inv.header(HeaderName::From)?.value().as_bytes(),
        )
        .header(
            HeaderName::To,
            response.header(HeaderName::To)?.value().as_bytes(),
        )
        .header(HeaderName::CallId, inv.call_id())
        .header(HeaderName::CSeq, format!("{} ACK", inv.cseq().seq()));
    for r in inv.headers_named(HeaderName::Route) {
        b = b.header(HeaderName::Route, r.value().as_bytes());
    }
    b.build().ok()
}

/// Server transaction states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, no response yet.
    Trying,
    /// A provisional response was sent.
    Proceeding,
    /// A final response was sent; retransmitting (INVITE) or absorbing retransmissions.
    Completed,
    /// The ACK arrived (INVITE): absorbing ACK retransmissions.
    Confirmed,
    /// A 2xx to INVITE was sent: absorbing INVITE retransmissions (RFC 6026).
    Accepted,
    /// Done.
    Terminated,
}

/// A server transaction.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    invite: bool,
    reliable: bool,
    timers: Timers,
    state: ServerState,
    last_response: Option<Vec<u8>>,
    retransmit_at: Option<Instant>,
    interval: Duration,
    timeout_at: Option<Instant>,
    out: VecDeque<Output>,
}

impl ServerTransaction {
    /// Starts a transaction for a request just received (passed up at once). An INVITE over an
    /// unreliable transport should get a `100 Trying` from the TU within 200 ms.
    pub fn new(request: &[u8], reliable: bool, timers: Timers) -> Result<Self, crate::ParseError> {
        let msg = Message::parse(request)?;
        Ok(Self::for_request(&msg, request, reliable, timers))
    }

    /// [`new`](Self::new) for a request already parsed (as the transport layer parses each
    /// message once to find its transaction): `request` is `msg`'s bytes.
    pub fn for_request(msg: &Message<'_>, request: &[u8], reliable: bool, timers: Timers) -> Self {
        let invite = msg.method() == Method::Invite;
        let mut tx = Self {
            invite,
            reliable,
            timers,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            last_response: None,
            retransmit_at: None,
            interval: timers.t1,
            timeout_at: None,
            out: VecDeque::new(),
        };
        tx.out.push_back(Output::PassUp(request.to_vec()));
        tx
    }

    /// The state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.retransmit_at, self.timeout_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// A retransmission of the request (or, for INVITE, the ACK) matched to this transaction.
    pub fn on_request(&mut self, request: &[u8], now: Instant) {
        // The request matched this transaction by its key, so it parsed: its method is the
        // first token of its first line (after any CRLFs, RFC 3261 §7.5).
        let start = request
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(request.len());
        let is_ack = request.get(start..).is_some_and(|r| r.starts_with(b"ACK "));
        match self.state {
            ServerState::Completed if self.invite && is_ack => {
                self.state = ServerState::Confirmed;
                self.retransmit_at = None;
                // Timer I = T4 on unreliable transports, zero on reliable.
                self.timeout_at = Some(
                    now + if self.reliable {
                        Duration::ZERO
                    } else {
                        self.timers.t4
                    },
                );
            }
            ServerState::Proceeding | ServerState::Completed | ServerState::Trying if !is_ack => {
                if let Some(r) = &self.last_response
                    && self.out.len() < ECHO_LIMIT
                {
                    self.out.push_back(Output::Send(r.clone()));
                }
            }
            _ => {}
        }
    }

    /// Sends a response from the TU.
    pub fn respond(&mut self, response: Vec<u8>, now: Instant) {
        let Some(status) = Message::parse(&response).ok().and_then(|m| m.status()) else {
            return;
        };
        self.respond_with(status, response, now);
    }

    /// [`respond`](Self::respond) for a response the TU built itself, whose `status` it knows.
    pub fn respond_with(&mut self, status: u16, response: Vec<u8>, now: Instant) {
        if matches!(
            self.state,
            ServerState::Completed | ServerState::Confirmed | ServerState::Terminated
        ) {
            return;
        }
        self.out.push_back(Output::Send(response.clone()));
        self.last_response = Some(response);
        match status {
            100..=199 => self.state = ServerState::Proceeding,
            200..=299 if self.invite => {
                // RFC 6026 Accepted; Timer L = 64·T1. The TU retransmits the 2xx itself.
                self.state = ServerState::Accepted;
                self.timeout_at = Some(now + self.timers.t1 * 64);
            }
            _ if self.invite => {
                self.state = ServerState::Completed;
                // Timer G (retransmit, unreliable only) and Timer H = 64·T1.
                self.retransmit_at = (!self.reliable).then_some(now + self.timers.t1);
                self.timeout_at = Some(now + self.timers.t1 * 64);
            }
            _ => {
                // Timer J = 64·T1 on unreliable transports, zero on reliable.
                self.state = ServerState::Completed;
                self.timeout_at = Some(
                    now + if self.reliable {
                        Duration::ZERO
                    } else {
                        self.timers.t1 * 64
                    },
                );
            }
        }
    }

    /// Fires timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.timeout_at.is_some_and(|t| t <= now) {
            if self.state == ServerState::Completed && self.invite {
                // Timer H: no ACK came.
                self.out.push_back(Output::Timeout);
            }
            self.state = ServerState::Terminated;
            self.timeout_at = None;
            self.retransmit_at = None;
            self.out.push_back(Output::Terminated);
            return;
        }
        if let Some(at) = self.retransmit_at
            && at <= now
        {
            if let Some(r) = &self.last_response {
                self.out.push_back(Output::Send(r.clone()));
            }
            self.interval = (self.interval * 2).min(self.timers.t2);
            self.retransmit_at = Some(now + self.interval);
        }
    }
}

/// What identifies a transaction (RFC 3261 §17.1.3, §17.2.3), with the RFC 2543 fallback for
/// requests whose branch lacks the magic cookie.
///
/// Built for every request a server receives, so it is cheap to make: the RFC 3261 form keeps
/// branch and method inline when they are 23 bytes or shorter (`smol_str`), and the sent-by
/// host as the address it parsed to, so typical keys allocate nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TransactionKey(KeyKind);

/// Every field is hashed — a peer picks them all (branch, sent-by, an extension method), and
/// one that varied an unhashed field could pile any number of transactions on one hash — but
/// in four writes rather than one per field: a server hashes each request's key three times.
/// The lengths and the port go in one word, so different splits of the same bytes differ.
impl Hash for TransactionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            KeyKind::Rfc3261 {
                branch,
                host,
                port,
                method,
            } => {
                let (kind, host_bytes): (u64, &[u8]) = match host {
                    SentByHost::Name(name) => (1, name.as_bytes()),
                    SentByHost::V4(a) => (2, &a.octets()[..]),
                    SentByHost::V6(a) => (3, &a.octets()[..]),
                };
                let lengths = (branch.len() as u64 & 0xffff)
                    | (method.len() as u64 & 0xffff) << 16
                    | u64::from(port.unwrap_or(0)) << 32
                    | u64::from(port.is_some()) << 48
                    | kind << 56;
                state.write_u64(lengths);
                state.write(branch.as_bytes());
                state.write(method.as_bytes());
                state.write(host_bytes);
            }
            other @ KeyKind::Rfc2543 { .. } => other.hash(state),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyKind {
    /// RFC 3261: branch, sent-by, and method (ACK counts as INVITE).
    Rfc3261 {
        branch: SmolStr,
        host: SentByHost,
        port: Option<u16>,
        method: SmolStr,
    },
    /// RFC 2543: Request-URI, From tag, Call-ID, CSeq number, top Via, and method.
    Rfc2543 {
        request_uri: Box<str>,
        from_tag: Box<str>,
        call_id: Box<str>,
        cseq: u32,
        via: Box<str>,
        method: SmolStr,
    },
}

/// The top Via's sent-by host, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum SentByHost {
    Name(SmolStr),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// The method part of a key: ACK counts as INVITE (its transaction is the INVITE's).
fn key_method(method: Method<'_>) -> SmolStr {
    match method {
        Method::Ack => SmolStr::new_static("INVITE"),
        other => match other.known_str() {
            Some(known) => SmolStr::new_static(known),
            None => SmolStr::new(other.as_str()),
        },
    }
}

impl TransactionKey {
    /// The server-transaction key of a request (an ACK or a retransmission finds the INVITE's).
    pub fn for_request(req: &Message<'_>) -> Self {
        let via = req.via();
        let method = key_method(req.method());
        if via.is_rfc3261_branch() {
            let host = match via.host() {
                Host::Name(name) => SentByHost::Name(SmolStr::new(name)),
                Host::V4(a) => SentByHost::V4(a),
                Host::V6(a) => SentByHost::V6(a),
            };
            return Self(KeyKind::Rfc3261 {
                branch: SmolStr::new(via.branch().unwrap_or_default()),
                host,
                port: via.port(),
                method,
            });
        }
        Self(KeyKind::Rfc2543 {
            request_uri: req
                .request_uri()
                .map(|u| u.as_str())
                .unwrap_or_default()
                .into(),
            from_tag: req.from().tag().unwrap_or_default().into(),
            call_id: req.call_id().into(),
            cseq: req.cseq().seq(),
            via: req
                .header(HeaderName::Via)
                .map(|h| {
                    h.value()
                        .split(',')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .into()
                })
                .unwrap_or_default(),
            method,
        })
    }

    /// The key of the INVITE a CANCEL cancels.
    pub fn cancelled_invite(cancel: &Message<'_>) -> Option<Self> {
        if cancel.method() != Method::Cancel {
            return None;
        }
        let Self(mut kind) = Self::for_request(cancel);
        match &mut kind {
            KeyKind::Rfc3261 { method, .. } | KeyKind::Rfc2543 { method, .. } => {
                *method = SmolStr::new_static("INVITE");
            }
        }
        Some(Self(kind))
    }

    /// True for a key made the RFC 3261 way (a branch with the magic cookie); false for the
    /// RFC 2543 fallback.
    pub fn is_rfc3261(&self) -> bool {
        matches!(self.0, KeyKind::Rfc3261 { .. })
    }

    /// The top Via's branch, for an RFC 3261 key.
    pub fn branch(&self) -> Option<&str> {
        match &self.0 {
            KeyKind::Rfc3261 { branch, .. } => Some(branch),
            KeyKind::Rfc2543 { .. } => None,
        }
    }

    /// The method the key names (an ACK's is INVITE).
    pub fn method(&self) -> &str {
        match &self.0 {
            KeyKind::Rfc3261 { method, .. } | KeyKind::Rfc2543 { method, .. } => method,
        }
    }

    /// The client-transaction key a response matches: the top Via's branch and the CSeq method.
    pub fn for_response(resp: &Message<'_>) -> Option<(String, String)> {
        Some((
            resp.via().branch()?.to_owned(),
            resp.cseq().method().to_owned(),
        ))
    }
}
