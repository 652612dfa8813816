//! # sip-uas
//!
//! A registrar and answering user agent built on `sambung-sip`, for trying the stack against
//! real phones and SIPp: `sip-uas --listen udp:127.0.0.1:5060 [--listen tcp:…] [--listen tls:…]
//! [--listen ws:…] [--listen wss:…] --users users.toml --realm REALM`, where `users.toml` is a
//! table `[users]` of `name = "password"`.
//!
//! [`Uas`] is its core, sans-IO like the rest of the stack: messages and instants in
//! ([`Uas::on_message`], [`Uas::on_timeout`]), messages to send and the next deadline out
//! ([`Uas::poll_output`], [`Uas::poll_timeout`]). It
//! - answers `REGISTER` with digest challenges (MD5 and SHA-256, nonces that expire, failures
//!   limited per source and per user) and binds the contacts of the right password;
//! - answers `OPTIONS` with `200`;
//! - answers an `INVITE` to any user of `users.toml` with `180` then `200` and an SDP answer
//!   from offer/answer (PCMU, PCMA, telephone-event; no media flows), retransmitting the `200`
//!   until the ACK; `BYE` and `CANCEL` end the call (`487` to the INVITE);
//! - refuses what RFC 3261 §8.2 says to refuse (`415`, `416`, `420`, `505`, …), `501` for
//!   methods it does not know, and answers unparseable requests `400` naming the fault;
//!   responses are dropped;
//! - answers a retransmitted request with the response it already sent (RFC 3261 §17.2).
//!
//! ```
//! use std::time::Instant;
//! use sip_uas::{Uas, UasConfig};
//!
//! let users = [("alice".to_owned(), "secret".to_owned())].into();
//! let mut uas: Uas<&str> = Uas::new(UasConfig::new("sambung.test", users, [7; 32]));
//! let options = b"OPTIONS sip:alice@127.0.0.1 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\nFrom: <sip:bob@127.0.0.1>;tag=a\r\n\
//! To: <sip:alice@127.0.0.1>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
//! Content-Length: 0\r\n\r\n";
//! let here = sip_uas::Local { via: "SIP/2.0/UDP 127.0.0.1:5060".into(), contact_host: "127.0.0.1:5060".into(), source: "127.0.0.1:5061".parse()?, reliable: false };
//! uas.on_message(options, "peer", &here, Instant::now());
//! let (to, reply) = uas.poll_output().expect("an answer");
//! assert_eq!(to, "peer");
//! assert!(reply.starts_with(b"SIP/2.0 200 OK"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sambung_sip::auth::{Algorithm, AuthError, DigestServer, FailureLimiter, ha1};
use sambung_sip::registrar::{MemoryLocationStore, Registrar, RegistrarConfig};
use sambung_sip::sdp::Sdp;
use sambung_sip::sdp::negotiate::{self, Codec, LocalMedia};
use sambung_sip::transaction::Timers;
use sambung_sip::uas::{CallOutput, CallState, IncomingCall, LocalParty};
use sambung_sip::uas_checks::{self, UasPolicy};
use sambung_sip::{HeaderName, Message, MessageBuilder, Method};

/// How long a nonce stays valid, seconds.
const NONCE_TTL_S: u64 = 300;
/// Failed authentications per source or user within [`LIMIT_WINDOW_S`] before refusing.
const MAX_AUTH_FAILURES: u32 = 10;
/// The failure limiter's window, seconds.
const LIMIT_WINDOW_S: u64 = 300;
/// How long an answered non-INVITE request's response is kept for its retransmissions
/// (Timer J, 64·T1).
const RESPONSE_KEPT: Duration = Duration::from_secs(32);
/// How long an ended call is kept to answer retransmitted BYEs and CANCELs.
const ENDED_KEPT: Duration = Duration::from_secs(32);
/// Most calls at once; more are answered `503`.
pub const MAX_CALLS: usize = 10_000;
/// Most kept responses; the oldest go first.
const MAX_KEPT_RESPONSES: usize = 100_000;
/// The methods it answers.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER";

/// What the UAS needs to know.
#[derive(Debug, Clone)]
pub struct UasConfig {
    /// The digest realm.
    pub realm: String,
    /// User name → password.
    pub users: BTreeMap<String, String>,
    /// Signs nonces (random per run).
    pub nonce_key: [u8; 32],
    /// Transaction timers (T1, T2, T4).
    pub timers: Timers,
}

impl UasConfig {
    /// A configuration with the RFC 3261 timers.
    pub fn new(realm: &str, users: BTreeMap<String, String>, nonce_key: [u8; 32]) -> Self {
        Self {
            realm: realm.to_owned(),
            users,
            nonce_key,
            timers: Timers::default(),
        }
    }
}

/// Where a message arrived: what the UAS puts in the headers it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// Our Via for requests we send (`SIP/2.0/UDP 127.0.0.1:5060`).
    pub via: String,
    /// Our host and port for Contact (`127.0.0.1:5060`); `;transport=…` is added from `via`
    /// for reliable transports.
    pub contact_host: String,
    /// The sender's address (for the failure limiter and `received`).
    pub source: SocketAddr,
    /// Whether the transport is reliable (no retransmissions).
    pub reliable: bool,
}

/// Counters, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received (retransmissions included).
    pub requests: u64,
    /// Messages that did not parse.
    pub unparseable: u64,
    /// Calls answered.
    pub calls_answered: u64,
    /// Calls that ended.
    pub calls_ended: u64,
    /// Registrations accepted.
    pub registrations: u64,
    /// Authentications refused.
    pub auth_failures: u64,
    /// Retransmitted requests answered from the kept responses.
    pub retransmissions: u64,
}

struct Call<P> {
    call: CallCore,
    peer: P,
    /// When it ended (kept a while for retransmissions).
    ended: Option<Instant>,
    /// The deadline last put in `Uas::deadlines` for it.
    scheduled: Option<Instant>,
}

/// A call, whole while it runs; once it ended and has nothing left to retransmit, only what
/// answers its retransmitted requests (a few hundred bytes instead of the whole call, which a
/// server at 1,000 calls/s keeps 32,000 of).
enum CallCore {
    Live(Box<IncomingCall>),
    Released {
        /// The peer's BYE's CSeq number and our 200 to it.
        bye: Option<(u32, Vec<u8>)>,
        /// Our tag, for the `481` that answers anything else.
        tag: String,
    },
}

impl CallCore {
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Live(call) => call.poll_timeout(),
            Self::Released { .. } => None,
        }
    }
}

/// The core; `P` is the driver's handle for a peer (a socket address with its route back).
pub struct Uas<P> {
    config: UasConfig,
    digest: DigestServer,
    limiter: FailureLimiter,
    registrar: Registrar<MemoryLocationStore>,
    calls: HashMap<String, Call<P>>,
    /// Calls not yet ended.
    live: usize,
    /// Each call's next deadline as it was last seen (a stale entry is skipped when it comes
    /// up): the next timer without walking every call.
    deadlines: BinaryHeap<Reverse<(Instant, String)>>,
    kept: HashMap<(String, String, String), (Vec<u8>, Instant)>,
    kept_order: VecDeque<((String, String, String), Instant)>,
    out: VecDeque<(P, Vec<u8>)>,
    stats: Stats,
}

/// Seconds since the Unix epoch, for the registrar and the digest nonces.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A To tag that is the same for every retransmission of one request (answers without state
/// must be).
fn stable_tag(call_id: &str, branch: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (call_id, branch).hash(&mut h);
    format!("{:016x}", h.finish())
}

impl<P: Clone> Uas<P> {
    /// A UAS with no registrations and no calls.
    pub fn new(config: UasConfig) -> Self {
        Self {
            digest: DigestServer::new(&config.realm, config.nonce_key, NONCE_TTL_S),
            limiter: FailureLimiter::new(MAX_AUTH_FAILURES, LIMIT_WINDOW_S),
            registrar: Registrar::new(RegistrarConfig::default(), MemoryLocationStore::default()),
            calls: HashMap::new(),
            live: 0,
            deadlines: BinaryHeap::new(),
            kept: HashMap::new(),
            kept_order: VecDeque::new(),
            out: VecDeque::new(),
            stats: Stats::default(),
            config,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Calls not yet ended.
    pub fn active_calls(&self) -> usize {
        self.live
    }

    /// The next message to send, and to whom.
    pub fn poll_output(&mut self) -> Option<(P, Vec<u8>)> {
        self.out.pop_front()
    }

    /// When [`on_timeout`](Self::on_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.deadlines.peek().map(|Reverse((at, _))| *at);
        let kept = self.kept_order.front().map(|(_, at)| *at + RESPONSE_KEPT);
        calls.into_iter().chain(kept).min()
    }

    /// A call's next deadline, as it stands now.
    fn deadline_of(c: &Call<P>) -> Option<Instant> {
        // An ended call may still be retransmitting its last response (a 487 until ACKed).
        let own = c.call.poll_timeout();
        match c.ended {
            Some(at) => own.into_iter().chain([at + ENDED_KEPT]).min(),
            None => own,
        }
    }

    /// Runs the timers due at `now`: retransmissions, calls given up, forgotten state.
    pub fn on_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, _))) = self.deadlines.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, id))) = self.deadlines.pop() else {
                break;
            };
            let Some(c) = self.calls.get_mut(&id) else {
                continue; // forgotten already
            };
            c.scheduled = None;
            if c.ended.is_some_and(|ended| now >= ended + ENDED_KEPT) {
                self.calls.remove(&id);
                continue;
            }
            if let CallCore::Live(call) = &mut c.call
                && call.poll_timeout().is_some_and(|t| t <= now)
            {
                call.on_timeout(now);
            }
            // Sends what the timer produced and puts the call's next deadline in.
            self.drain_call(&id, now);
        }
        while let Some((key, at)) = self.kept_order.front() {
            if now < *at + RESPONSE_KEPT {
                break;
            }
            if self.kept.get(key).is_some_and(|(_, t)| t == at) {
                self.kept.remove(key);
            }
            self.kept_order.pop_front();
        }
    }

    /// Takes one message from `peer`, which arrived at `local`.
    pub fn on_message(&mut self, bytes: &[u8], peer: P, local: &Local, now: Instant) {
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.stats.unparseable += 1;
                // A request whose Vias can be read gets 400 naming the fault (RFC 4475 §3.1.2);
                // anything else is dropped.
                let head =
                    String::from_utf8_lossy(bytes.get(..bytes.len().min(256)).unwrap_or_default())
                        .into_owned();
                if e.response_code().is_some()
                    && let Some(reply) =
                        uas_checks::bad_request(bytes, &e, &stable_tag(&head, "400"))
                {
                    self.out.push_back((peer, reply));
                }
                return;
            }
        };
        if !msg.is_request() {
            return; // we send no requests outside calls; stray responses are dropped
        }
        self.stats.requests += 1;
        let call_id = msg.call_id().to_owned();
        let method = msg.method();
        // Everything of a call we know goes to it.
        if let Some(c) = self.calls.get_mut(&call_id) {
            c.peer = peer;
            match &mut c.call {
                CallCore::Live(call) => call.on_message(bytes, now),
                CallCore::Released { bye, tag } => {
                    let seq = msg.cseq().seq();
                    match (method, bye) {
                        (Method::Ack, _) => {}
                        (Method::Bye, Some((bye_seq, answer))) if *bye_seq == seq => {
                            self.stats.retransmissions += 1;
                            self.out.push_back((c.peer.clone(), answer.clone()));
                        }
                        _ => {
                            let gone = MessageBuilder::response_to(
                                &msg,
                                481,
                                "Call/Transaction Does Not Exist",
                                Some(tag),
                            );
                            if let Ok(reply) = gone.build() {
                                self.out.push_back((c.peer.clone(), reply));
                            }
                        }
                    }
                    return;
                }
            }
            self.drain_call(&call_id, now);
            return;
        }
        if method == Method::Ack {
            return; // for a call long gone, or a stateless answer
        }
        let key = (
            call_id.clone(),
            msg.via().branch().unwrap_or_default().to_owned(),
            msg.cseq().method().to_owned(),
        );
        if let Some((reply, _)) = self.kept.get(&key) {
            self.stats.retransmissions += 1;
            self.out.push_back((peer, reply.clone()));
            return;
        }
        let tag = stable_tag(&call_id, &key.1);
        let Some(reply) = self.answer(&msg, bytes, &peer, local, &tag, now) else {
            return;
        };
        if self.kept.len() >= MAX_KEPT_RESPONSES
            && let Some((old, at)) = self.kept_order.pop_front()
            && self.kept.get(&old).is_some_and(|(_, t)| *t == at)
        {
            self.kept.remove(&old);
        }
        self.kept.insert(key.clone(), (reply.clone(), now));
        self.kept_order.push_back((key, now));
        self.out.push_back((peer, reply));
    }

    /// The answer to a request outside any call; `None` when a call took it over.
    fn answer(
        &mut self,
        msg: &Message<'_>,
        bytes: &[u8],
        peer: &P,
        local: &Local,
        tag: &str,
        now: Instant,
    ) -> Option<Vec<u8>> {
        if let Some(refusal) = uas_checks::check(msg, &UasPolicy::default()) {
            let mut b = MessageBuilder::response_to(msg, refusal.status, refusal.reason, Some(tag));
            for (name, value) in &refusal.headers {
                b = b.header(*name, value);
            }
            return b.build().ok();
        }
        let response = match msg.method() {
            Method::Options => MessageBuilder::response_to(msg, 200, "OK", Some(tag))
                .header(HeaderName::Accept, "application/sdp"),
            Method::Register => self.register(msg, local.source, tag),
            Method::Invite => return self.invite(msg, bytes, peer, local, tag, now),
            Method::Bye | Method::Cancel => {
                MessageBuilder::response_to(msg, 481, "Call/Transaction Does Not Exist", Some(tag))
            }
            _ => MessageBuilder::response_to(msg, 501, "Not Implemented", Some(tag)),
        };
        response
            .header(HeaderName::Allow, ALLOW)
            .header(
                HeaderName::Server,
                concat!("sip-uas/", env!("CARGO_PKG_VERSION")),
            )
            .build()
            .ok()
    }

    /// REGISTER with digest authentication: challenge, verify, bind.
    fn register(&mut self, msg: &Message<'_>, source: SocketAddr, tag: &str) -> MessageBuilder {
        let now = unix_now();
        if msg.to().uri().as_sip().is_none() {
            // The address-of-record must be a SIP or SIPS URI (RFC 3261 §10.3 step 3).
            return MessageBuilder::response_to(
                msg,
                400,
                "Bad Request: To is not a SIP URI",
                Some(tag),
            );
        }
        let user = msg
            .to()
            .uri()
            .as_sip()
            .and_then(|u| u.user())
            .map(str::to_owned);
        if self.limiter.blocked(source.ip(), user.as_deref(), now) {
            return MessageBuilder::response_to(msg, 403, "Forbidden", Some(tag));
        }
        let Some(credentials) = msg
            .authorization()
            .find(|c| c.scheme().eq_ignore_ascii_case("Digest"))
        else {
            let challenge = self.digest.challenge(now, Algorithm::Md5, false);
            return MessageBuilder::response_to(msg, 401, "Unauthorized", Some(tag))
                .header(HeaderName::WwwAuthenticate, challenge);
        };
        let users = &self.config.users;
        let realm = self.config.realm.clone();
        let verified = self.digest.verify(&credentials, "REGISTER", now, |u, alg| {
            users.get(u).map(|p| ha1(alg, u, &realm, p))
        });
        match verified {
            Ok(name) if Some(&name) == user.as_ref() => {
                self.limiter.succeeded(&name);
                let result = self.registrar.register(msg, now, Some(source));
                if result.is_ok() {
                    self.stats.registrations += 1;
                }
                sambung_sip::registrar::response(msg, &result, now, tag)
            }
            Err(AuthError::Stale) => {
                let challenge = self.digest.challenge(now, Algorithm::Md5, true);
                MessageBuilder::response_to(msg, 401, "Unauthorized", Some(tag))
                    .header(HeaderName::WwwAuthenticate, challenge)
            }
            _ => {
                self.stats.auth_failures += 1;
                self.limiter.failed(source.ip(), user.as_deref(), now);
                MessageBuilder::response_to(msg, 403, "Forbidden", Some(tag))
            }
        }
    }

    /// A new INVITE: a call that rings, then answers with offer/answer.
    fn invite(
        &mut self,
        msg: &Message<'_>,
        bytes: &[u8],
        peer: &P,
        local: &Local,
        tag: &str,
        now: Instant,
    ) -> Option<Vec<u8>> {
        let user = msg
            .request_uri()
            .and_then(|u| u.as_sip())
            .and_then(|u| u.user())
            .unwrap_or_default()
            .to_owned();
        let refuse = |status: u16, reason: &str| {
            MessageBuilder::response_to(msg, status, reason, Some(tag))
                .header(HeaderName::Allow, ALLOW)
                .build()
                .ok()
        };
        if !self.config.users.contains_key(&user) {
            return refuse(404, "Not Found");
        }
        if self.active_calls() >= MAX_CALLS {
            return refuse(503, "Service Unavailable");
        }
        let ip = match local.contact_host.parse::<SocketAddr>() {
            Ok(a) => a.ip(),
            Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        // No media flows: the port is a placeholder the answer names (RFC 3264 allows any).
        let media = LocalMedia::audio(
            ip,
            40_000,
            vec![Codec::pcmu(), Codec::pcma(), Codec::telephone_event()],
        );
        let sdp = if msg.body().is_empty() {
            // No offer: ours goes in the 200, the answer comes in the ACK.
            negotiate::offer(&media)
        } else {
            let Ok(offer) = Sdp::parse(msg.body()) else {
                return refuse(400, "Bad Request: unreadable SDP");
            };
            match negotiate::answer(&offer, &media) {
                Ok(answer) => answer.sdp,
                Err(_) => return refuse(488, "Not Acceptable Here"),
            }
        };
        let transport = if local.reliable {
            local
                .via
                .split_whitespace()
                .next()
                .and_then(|v| v.rsplit('/').next())
                .map(|t| format!(";transport={}", t.to_ascii_lowercase()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let me = LocalParty {
            tag: tag.to_owned(),
            contact: format!("<sip:{user}@{}{transport}>", local.contact_host),
            via: local.via.clone(),
        };
        let Ok(mut call) = IncomingCall::new(bytes, me, local.reliable, self.config.timers) else {
            return refuse(400, "Bad Request");
        };
        let call_id = msg.call_id().to_owned();
        let _ = call.provisional(180, "Ringing");
        if call.answer(&sdp, now).is_ok() {
            self.stats.calls_answered += 1;
        }
        self.calls.insert(
            call_id.clone(),
            Call {
                call: CallCore::Live(Box::new(call)),
                peer: peer.clone(),
                ended: None,
                scheduled: None,
            },
        );
        self.live += 1;
        self.drain_call(&call_id, now);
        None
    }

    /// Moves a call's output to ours; notes when it ended.
    fn drain_call(&mut self, call_id: &str, now: Instant) {
        let Some(c) = self.calls.get_mut(call_id) else {
            return;
        };
        let CallCore::Live(call) = &mut c.call else {
            return;
        };
        while let Some(output) = call.poll_output() {
            if let CallOutput::Send(bytes) = output {
                self.out.push_back((c.peer.clone(), bytes));
            }
        }
        if call.state() == CallState::Ended {
            if c.ended.is_none() {
                c.ended = Some(now);
                self.stats.calls_ended += 1;
                self.live = self.live.saturating_sub(1);
            }
            if call.poll_timeout().is_none() {
                c.call = CallCore::Released {
                    bye: call.bye_answer().map(|(seq, a)| (seq, a.to_vec())),
                    tag: call.dialog().id.local_tag.clone(),
                };
            }
        }
        // One entry per change of deadline; a later one makes the earlier entry stale.
        if let Some(at) = Self::deadline_of(c)
            && c.scheduled != Some(at)
        {
            c.scheduled = Some(at);
            self.deadlines.push(Reverse((at, call_id.to_owned())));
        }
    }
}

/// Reads `users.toml`: a table `[users]` of `name = "password"`.
pub fn parse_users(text: &str) -> Result<BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        users: BTreeMap<String, String>,
    }
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    if let Some(bad) = file.users.keys().find(|u| {
        u.is_empty()
            || !u
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
    }) {
        return Err(format!("user name {bad:?} is not a SIP user part"));
    }
    Ok(file.users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uas() -> Uas<&'static str> {
        let users = [("alice".to_owned(), "secret".to_owned())].into();
        Uas::new(UasConfig::new("sambung.test", users, [7; 32]))
    }

    fn here() -> Local {
        Local {
            via: "SIP/2.0/UDP 127.0.0.1:5060".into(),
            contact_host: "127.0.0.1:5060".into(),
            source: SocketAddr::from(([127, 0, 0, 1], 5061)),
            reliable: false,
        }
    }

    fn request(method: &str, seq: u32, branch: &str, to_tag: &str) -> Vec<u8> {
        let to_tag = if to_tag.is_empty() {
            String::new()
        } else {
            format!(";tag={to_tag}")
        };
        format!(
            "{method} sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK{branch}\r\n\
From: <sip:bob@127.0.0.1>;tag=b\r\nTo: <sip:alice@127.0.0.1>{to_tag}\r\nCall-ID: c1\r\n\
CSeq: {seq} {method}\r\nContact: <sip:bob@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn replies(uas: &mut Uas<&'static str>) -> Vec<String> {
        std::iter::from_fn(|| uas.poll_output())
            .map(|(_, b)| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }

    fn to_tag(uas: &mut Uas<&'static str>) -> String {
        let mut tag = String::new();
        while let Some((_, b)) = uas.poll_output() {
            let m = Message::parse(&b).unwrap();
            if let Some(t) = m.to().tag() {
                tag = t.to_owned();
            }
        }
        tag
    }

    #[test]
    fn an_ended_call_keeps_only_its_bye_answer_and_answers_the_rest_481() {
        let mut uas = uas();
        let t0 = Instant::now();
        uas.on_message(&request("INVITE", 1, "i1", ""), "peer", &here(), t0);
        let tag = to_tag(&mut uas);
        uas.on_message(&request("ACK", 1, "a1", &tag), "peer", &here(), t0);
        uas.on_message(&request("BYE", 2, "b1", &tag), "peer", &here(), t0);
        let first = replies(&mut uas);
        assert_eq!(first, ["SIP/2.0 200 OK"]);
        assert_eq!(uas.active_calls(), 0);
        assert!(matches!(
            uas.calls.get("c1").map(|c| &c.call),
            Some(CallCore::Released { bye: Some(_), .. })
        ));
        // The BYE again: the same 200; another request of the call: 481; an ACK: nothing.
        uas.on_message(&request("BYE", 2, "b1", &tag), "peer", &here(), t0);
        assert_eq!(replies(&mut uas), ["SIP/2.0 200 OK"]);
        uas.on_message(&request("INFO", 3, "n1", &tag), "peer", &here(), t0);
        assert_eq!(
            replies(&mut uas),
            ["SIP/2.0 481 Call/Transaction Does Not Exist"]
        );
        uas.on_message(&request("ACK", 1, "a1", &tag), "peer", &here(), t0);
        assert!(replies(&mut uas).is_empty());
        // Forgotten after Timer J's 32 s.
        uas.on_timeout(t0 + ENDED_KEPT);
        assert!(uas.calls.is_empty());
    }
}
