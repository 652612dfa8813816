//! sambung-sip's sans-IO cores against each other on the simulated network of
//! `sambung_tests::sim`: 20% of datagrams lost, 10% duplicated, delays of 20–220 ms that
//! reorder them — every transaction type (non-INVITE client and server with REGISTER and
//! OPTIONS; INVITE client and server with a whole call; CANCEL; REFER and NOTIFY inside a
//! dialog), a registration with digest authentication, a transfer, and a call through a
//! B2BUA (`sambung_sip::b2bua::CallBridge`) with both of its legs on the bad network. Each scenario runs on
//! many seeds, deterministically; the UAS is `sip_uas::Uas`, the registrar and answering user
//! agent of `examples/sip-uas`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_core::clock::{Clock, SimulatedClock};
use sambung_sip::b2bua::{BridgeOutput, CallBridge, HeaderPolicy, OutgoingLeg, outgoing_invite};
use sambung_sip::session_timer::SessionTimerConfig;
use sambung_sip::transaction::{ClientTransaction, Output, ServerTransaction, Timers};
use sambung_sip::uac::{OutgoingCall, OutgoingEvent, OutgoingOutput, OutgoingState};
use sambung_sip::uas::{CallEvent, CallOutput, EndReason, IncomingCall, LocalParty};
use sambung_sip::{HeaderName, Message, Method};
use sambung_tests::sim::{Conditions, Node, Sim};
use sip_uas::{Local, Uas, UasConfig};

const SEEDS: u64 = 40;

fn t0() -> Instant {
    SimulatedClock::new(Timestamp::UNIX_EPOCH).now()
}

fn uac_addr() -> SocketAddr {
    "10.0.0.1:5060".parse().unwrap()
}

fn uas_addr() -> SocketAddr {
    "10.0.0.2:5060".parse().unwrap()
}

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn invite(call_id: &str, user: &str) -> Vec<u8> {
    invite_with(call_id, user, "")
}

fn invite_with(call_id: &str, user: &str, extra: &str) -> Vec<u8> {
    format!(
        "INVITE sip:{user}@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{call_id}\r\nMax-Forwards: 70\r\nFrom: <sip:caller@10.0.0.1>;tag=c-{call_id}\r\nTo: <sip:{user}@10.0.0.2>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@10.0.0.1:5060>\r\n{extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    )
    .into_bytes()
}

fn non_invite(method: &str, seq: u32, branch: &str, extra: &str) -> Vec<u8> {
    format!(
        "{method} sip:10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{branch}\r\nMax-Forwards: 70\r\nFrom: <sip:alice@sim.example>;tag=r1\r\nTo: <sip:alice@sim.example>\r\nCall-ID: reg-{branch}\r\nCSeq: {seq} {method}\r\nContact: <sip:alice@10.0.0.1:5060>\r\n{extra}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// `sip_uas::Uas` as a node.
struct UasNode {
    addr: SocketAddr,
    uas: Uas<SocketAddr>,
}

impl UasNode {
    fn new() -> Self {
        Self::at(uas_addr())
    }

    fn at(addr: SocketAddr) -> Self {
        let users = BTreeMap::from([("alice".to_owned(), "s3cret".to_owned())]);
        Self {
            addr,
            uas: Uas::new(UasConfig::new("sim.example", users, [7; 32])),
        }
    }
}

impl Node for UasNode {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn on_datagram(&mut self, from: SocketAddr, bytes: &[u8], now: Instant) {
        let local = Local {
            via: format!("SIP/2.0/UDP {}", self.addr),
            contact_host: self.addr.to_string(),
            source: from,
            reliable: false,
        };
        self.uas.on_message(bytes, from, &local, now);
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        self.uas.poll_output()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.uas.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        self.uas.on_timeout(now);
    }
}

/// A client running non-INVITE transactions one after another: each final response is kept,
/// and a 401 is answered once with digest credentials.
struct ClientNode {
    tx: Option<ClientTransaction>,
    finals: Vec<u16>,
    timeouts: u32,
    password: Option<&'static str>,
    cseq: u32,
}

impl ClientNode {
    fn start(request: Vec<u8>, password: Option<&'static str>, now: Instant) -> Self {
        Self {
            tx: Some(ClientTransaction::new(request, false, Timers::default(), now).unwrap()),
            finals: Vec::new(),
            timeouts: 0,
            password,
            cseq: 1,
        }
    }
}

impl Node for ClientNode {
    fn addr(&self) -> SocketAddr {
        uac_addr()
    }
    fn on_datagram(&mut self, _from: SocketAddr, bytes: &[u8], now: Instant) {
        if let Some(tx) = &mut self.tx {
            tx.on_response(bytes, now);
        }
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        loop {
            let output = self.tx.as_mut()?.poll_output()?;
            match output {
                Output::Send(bytes) => return Some((uas_addr(), bytes)),
                Output::PassUp(bytes) => {
                    let m = Message::parse(&bytes).unwrap();
                    let status = m.status().unwrap_or(0);
                    if status < 200 {
                        continue;
                    }
                    self.finals.push(status);
                    if status == 401
                        && let Some(password) = self.password.take()
                    {
                        let challenge = m.www_authenticate().next().unwrap();
                        let auth = sambung_sip::auth::authorize(
                            &challenge,
                            "REGISTER",
                            "sip:10.0.0.2",
                            "alice",
                            password,
                            "cn0",
                            1,
                        )
                        .unwrap();
                        self.cseq += 1;
                        let again = non_invite(
                            "REGISTER",
                            self.cseq,
                            &format!("auth{}", self.cseq),
                            &format!("Expires: 600\r\nAuthorization: {auth}\r\n"),
                        );
                        self.tx = Some(
                            ClientTransaction::new(again, false, Timers::default(), now).unwrap(),
                        );
                    }
                }
                Output::Timeout => self.timeouts += 1,
                Output::Terminated => {}
            }
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.tx.as_ref()?.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        if let Some(tx) = &mut self.tx {
            tx.on_timeout(now);
        }
    }
}

/// An `OutgoingCall` as a node, its events kept.
struct CallerNode {
    call: OutgoingCall,
    events: Vec<OutgoingEvent>,
}

impl CallerNode {
    fn new(call_id: &str, user: &str, now: Instant) -> Self {
        Self::with_invite(invite(call_id, user), now)
    }

    fn with_invite(invite: Vec<u8>, now: Instant) -> Self {
        let call = OutgoingCall::new(
            invite,
            "SIP/2.0/UDP 10.0.0.1:5060",
            false,
            Timers::default(),
            now,
        )
        .unwrap();
        Self {
            call,
            events: Vec::new(),
        }
    }
}

impl Node for CallerNode {
    fn addr(&self) -> SocketAddr {
        uac_addr()
    }
    fn on_datagram(&mut self, _from: SocketAddr, bytes: &[u8], now: Instant) {
        self.call.on_message(bytes, now);
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        loop {
            match self.call.poll_output()? {
                OutgoingOutput::Send(bytes) => return Some((uas_addr(), bytes)),
                OutgoingOutput::Event(e) => self.events.push(e),
            }
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.call.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        self.call.on_timeout(now);
    }
}

/// An `IncomingCall` that rings (and answers when told), sends REFER when told, and answers
/// the NOTIFYs about it with a server transaction of its own.
struct CalleeNode {
    session_timer: Option<SessionTimerConfig>,
    call: Option<IncomingCall>,
    answer: bool,
    events: Vec<CallEvent>,
    refer: Option<ClientTransaction>,
    refer_finals: Vec<u16>,
    notifies: Vec<(ServerTransaction, u32)>,
    notify_bodies: Vec<String>,
    out: Vec<Vec<u8>>,
}

impl CalleeNode {
    fn new(answer: bool) -> Self {
        Self {
            session_timer: None,
            call: None,
            answer,
            events: Vec::new(),
            refer: None,
            refer_finals: Vec::new(),
            notifies: Vec::new(),
            notify_bodies: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Whether the call ended, for any reason.
    fn ended(&self) -> bool {
        self.events.iter().any(|e| matches!(e, CallEvent::Ended(_)))
    }

    fn refer(&mut self, target: &str, now: Instant) {
        let call = self.call.as_ref().unwrap();
        // A copy of the dialog builds the REFER; the call's own later requests (a BYE) take
        // the CSeq after it.
        let mut dialog = call.dialog().clone();
        let request = dialog
            .request(Method::Refer)
            .header(
                HeaderName::Via,
                "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-refer1",
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::Other("Refer-To"), format!("<{target}>"))
            .header(HeaderName::Contact, "<sip:alice@10.0.0.2:5060>")
            .build()
            .unwrap();
        self.refer = Some(ClientTransaction::new(request, false, Timers::default(), now).unwrap());
    }
}

impl Node for CalleeNode {
    fn addr(&self) -> SocketAddr {
        uas_addr()
    }
    fn on_datagram(&mut self, _from: SocketAddr, bytes: &[u8], now: Instant) {
        let Ok(m) = Message::parse(bytes) else { return };
        if !m.is_request() {
            if m.cseq().method() == "REFER" {
                if let Some(tx) = &mut self.refer {
                    tx.on_response(bytes, now);
                }
                return;
            }
        } else if m.method() == Method::Notify {
            let seq = m.cseq().seq();
            if let Some((tx, _)) = self.notifies.iter_mut().find(|(_, s)| *s == seq) {
                tx.on_request(bytes, now);
            } else {
                let mut tx = ServerTransaction::for_request(&m, bytes, false, Timers::default());
                let ok = sambung_sip::MessageBuilder::response_to(&m, 200, "OK", None)
                    .build()
                    .unwrap();
                tx.respond(ok, now);
                self.notify_bodies
                    .push(String::from_utf8_lossy(m.body()).into_owned());
                self.notifies.push((tx, seq));
            }
            return;
        }
        match &mut self.call {
            Some(call) => call.on_message(bytes, now),
            None => {
                let me = LocalParty {
                    contact: "<sip:alice@10.0.0.2:5060>".into(),
                    tag: "callee1".into(),
                    via: "SIP/2.0/UDP 10.0.0.2:5060".into(),
                };
                let mut call = IncomingCall::new(bytes, me, false, Timers::default()).unwrap();
                if let Some(config) = self.session_timer {
                    call = call.with_session_timer(config);
                }
                call.provisional(180, "Ringing").unwrap();
                if self.answer {
                    let answer = "v=0\r\no=- 2 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n";
                    call.answer(answer, now).unwrap();
                }
                self.call = Some(call);
            }
        }
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        if let Some(bytes) = self.out.pop() {
            return Some((uac_addr(), bytes));
        }
        if let Some(tx) = &mut self.refer {
            while let Some(o) = tx.poll_output() {
                match o {
                    Output::Send(bytes) => return Some((uac_addr(), bytes)),
                    Output::PassUp(bytes) => {
                        let status = Message::parse(&bytes).unwrap().status().unwrap_or(0);
                        if status >= 200 {
                            self.refer_finals.push(status);
                        }
                    }
                    _ => {}
                }
            }
        }
        for (tx, _) in &mut self.notifies {
            while let Some(o) = tx.poll_output() {
                if let Output::Send(bytes) = o {
                    self.out.push(bytes);
                }
            }
        }
        if let Some(bytes) = self.out.pop() {
            return Some((uac_addr(), bytes));
        }
        let call = self.call.as_mut()?;
        loop {
            match call.poll_output()? {
                CallOutput::Send(bytes) => return Some((uac_addr(), bytes)),
                CallOutput::Event(e) => self.events.push(e),
            }
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        let call = self.call.as_ref().and_then(IncomingCall::poll_timeout);
        let refer = self
            .refer
            .as_ref()
            .and_then(ClientTransaction::poll_timeout);
        let notify = self
            .notifies
            .iter()
            .filter_map(|(t, _)| t.poll_timeout())
            .min();
        [call, refer, notify].into_iter().flatten().min()
    }
    fn on_timeout(&mut self, now: Instant) {
        if let Some(call) = &mut self.call
            && call.poll_timeout().is_some_and(|t| t <= now)
        {
            call.on_timeout(now);
        }
        if let Some(tx) = &mut self.refer
            && tx.poll_timeout().is_some_and(|t| t <= now)
        {
            tx.on_timeout(now);
        }
        for (tx, _) in &mut self.notifies {
            if tx.poll_timeout().is_some_and(|t| t <= now) {
                tx.on_timeout(now);
            }
        }
    }
}

fn callee_addr() -> SocketAddr {
    "10.0.0.3:5060".parse().unwrap()
}

/// A B2BUA at the UAS's address: a `CallBridge` per call, the caller's INVITE sent on to
/// alice at the callee's address under the default header policy.
struct BridgeNode {
    bridge: Option<CallBridge>,
    ended: Vec<EndReason>,
    forwarded_invite: Option<Vec<u8>>,
}

impl Node for BridgeNode {
    fn addr(&self) -> SocketAddr {
        uas_addr()
    }
    fn on_datagram(&mut self, from: SocketAddr, bytes: &[u8], now: Instant) {
        if let Some(bridge) = &mut self.bridge {
            if from == callee_addr() {
                bridge.on_callee_message(bytes, now);
            } else {
                bridge.on_caller_message(bytes, now);
            }
            return;
        }
        let Ok(m) = Message::parse(bytes) else { return };
        if m.method() != Method::Invite {
            return;
        }
        let me = LocalParty {
            contact: "<sip:pbx@10.0.0.2:5060>".into(),
            tag: "b2b-a".into(),
            via: "SIP/2.0/UDP 10.0.0.2:5060".into(),
        };
        let caller = IncomingCall::new(bytes, me, false, Timers::default()).unwrap();
        let leg = OutgoingLeg::new(
            "sip:alice@10.0.0.3",
            "SIP/2.0/UDP 10.0.0.2:5060",
            "<sip:pbx@10.0.0.2:5060>",
        )
        .ids(&format!("b2b-{}", m.call_id()), "z9hG4bK-b2b1", "b2b-b");
        let invite = outgoing_invite(&m, &HeaderPolicy::default(), &leg, None).unwrap();
        self.forwarded_invite = Some(invite.clone());
        let callee = OutgoingCall::new(
            invite,
            "SIP/2.0/UDP 10.0.0.2:5060",
            false,
            Timers::default(),
            now,
        )
        .unwrap();
        self.bridge = Some(CallBridge::new(caller, callee, None));
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        let bridge = self.bridge.as_mut()?;
        loop {
            match bridge.poll_output()? {
                BridgeOutput::ToCaller(b) => return Some((uac_addr(), b)),
                BridgeOutput::ToCallee(b) => return Some((callee_addr(), b)),
                BridgeOutput::Ended(reason) => self.ended.push(reason),
            }
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.bridge.as_ref()?.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        if let Some(bridge) = &mut self.bridge {
            bridge.on_timeout(now);
        }
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn registration_with_digest_and_options_survive_a_hostile_network() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut uas = UasNode::new();
        let mut client = ClientNode::start(
            non_invite("REGISTER", 1, "reg1", "Expires: 600\r\n"),
            Some("s3cret"),
            start,
        );
        sim.run_until(&mut [&mut uas, &mut client], start + secs(70));
        assert_eq!(client.finals, [401, 200], "seed {seed}: {:?}", sim.stats());
        assert_eq!(uas.uas.stats().registrations, 1, "seed {seed}");
        let mut options = ClientNode::start(non_invite("OPTIONS", 1, "opt1", ""), None, sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut uas, &mut options], until);
        assert_eq!(options.finals, [200], "seed {seed}");
        assert_eq!(options.timeouts, 0);
    }
}

#[test]
fn a_whole_call_survives_loss_duplication_and_reordering() {
    let mut lost = 0;
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut uas = UasNode::new();
        let mut caller = CallerNode::new(&format!("call{seed}"), "alice", start);
        sim.run_until(&mut [&mut uas, &mut caller], start + secs(20));
        assert_eq!(
            caller.call.state(),
            OutgoingState::Confirmed,
            "seed {seed}: {:?}",
            caller.events
        );
        let answered = caller
            .events
            .iter()
            .filter(|e| matches!(e, OutgoingEvent::Answered(_)))
            .count();
        assert_eq!(answered, 1, "seed {seed}: the answer is reported once");
        caller.call.hangup(sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut uas, &mut caller], until);
        assert_eq!(caller.call.state(), OutgoingState::Ended, "seed {seed}");
        assert_eq!(
            caller.events.last(),
            Some(&OutgoingEvent::LocalHangup),
            "seed {seed}"
        );
        let s = uas.uas.stats();
        assert_eq!(
            (s.calls_answered, s.calls_ended),
            (1, 1),
            "seed {seed}: {s:?}"
        );
        assert_eq!(uas.uas.active_calls(), 0);
        lost += sim.stats().lost;
    }
    assert!(lost > 0, "the network did lose datagrams");
}

#[test]
fn a_call_to_an_unknown_user_is_refused_once() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut uas = UasNode::new();
        let mut caller = CallerNode::new(&format!("nobody{seed}"), "nobody", start);
        sim.run_until(&mut [&mut uas, &mut caller], start + secs(70));
        assert_eq!(caller.events, [OutgoingEvent::Failed(404)], "seed {seed}");
        assert_eq!(caller.call.state(), OutgoingState::Ended);
    }
}

#[test]
fn a_ringing_call_is_cancelled() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = CalleeNode::new(false);
        let mut caller = CallerNode::new(&format!("cancel{seed}"), "alice", start);
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(5));
        caller.call.hangup(sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut callee, &mut caller], until);
        assert!(
            caller.events.contains(&OutgoingEvent::Failed(487)),
            "seed {seed}: {:?}",
            caller.events
        );
        assert_eq!(caller.call.state(), OutgoingState::Ended);
        assert_eq!(
            callee.events.last(),
            Some(&CallEvent::Ended(EndReason::Cancelled)),
            "seed {seed}"
        );
    }
}

#[test]
fn a_transfer_is_referred_accepted_and_notified() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = CalleeNode::new(true);
        let mut caller = CallerNode::new(&format!("xfer{seed}"), "alice", start);
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(20));
        assert_eq!(caller.call.state(), OutgoingState::Confirmed, "seed {seed}");
        // The agent transfers the caller to the supervisor.
        callee.refer("sip:supervisor@10.0.0.9", sim.now());
        let until = sim.now() + secs(40);
        sim.run_until(&mut [&mut callee, &mut caller], until);
        assert_eq!(callee.refer_finals, [202], "seed {seed}");
        let referred: Vec<_> = caller
            .events
            .iter()
            .filter_map(|e| match e {
                OutgoingEvent::Referred { target } => Some(target.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            referred,
            ["sip:supervisor@10.0.0.9"],
            "seed {seed}: once, however often REFER came"
        );
        // The new call was answered: the transferee says so, and hangs up the old one.
        caller.call.notify_refer(200, "OK", sim.now());
        let until = sim.now() + secs(40);
        sim.run_until(&mut [&mut callee, &mut caller], until);
        assert!(
            callee
                .notify_bodies
                .iter()
                .any(|b| b.starts_with("SIP/2.0 200")),
            "seed {seed}: {:?}",
            callee.notify_bodies
        );
        caller.call.hangup(sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut callee, &mut caller], until);
        assert_eq!(caller.call.state(), OutgoingState::Ended, "seed {seed}");
        assert_eq!(
            callee.events.last(),
            Some(&CallEvent::Ended(EndReason::RemoteHangup)),
            "seed {seed}"
        );
    }
}

#[test]
fn a_call_through_the_b2bua_survives_two_hostile_legs() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = UasNode::at(callee_addr());
        let mut b2bua = BridgeNode {
            bridge: None,
            ended: Vec::new(),
            forwarded_invite: None,
        };
        let mut caller = CallerNode::new(&format!("b2b{seed}"), "110", start);
        sim.run_until(
            &mut [&mut callee, &mut b2bua, &mut caller],
            start + secs(30),
        );
        assert_eq!(
            caller.call.state(),
            OutgoingState::Confirmed,
            "seed {seed}: {:?}",
            caller.events
        );
        let answered = caller
            .events
            .iter()
            .filter(|e| matches!(e, OutgoingEvent::Answered(_)))
            .count();
        assert_eq!(answered, 1, "seed {seed}");
        // Topology stays hidden: the callee saw the B2BUA's Call-ID and Via, not the caller's.
        let forwarded = b2bua.forwarded_invite.clone().unwrap();
        let m = Message::parse(&forwarded).unwrap();
        assert!(m.call_id().starts_with("b2b-"));
        assert_eq!(m.via().host().to_string(), "10.0.0.2");
        caller.call.hangup(sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut callee, &mut b2bua, &mut caller], until);
        assert_eq!(
            caller.events.last(),
            Some(&OutgoingEvent::LocalHangup),
            "seed {seed}"
        );
        let s = callee.uas.stats();
        assert_eq!(
            (s.calls_answered, s.calls_ended),
            (1, 1),
            "seed {seed}: {s:?}"
        );
        assert_eq!(b2bua.ended, [EndReason::RemoteHangup], "seed {seed}");
    }
}

#[test]
fn a_caller_that_stops_refreshing_is_hung_up_by_the_session_timer() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = CalleeNode::new(true);
        callee.session_timer = Some(SessionTimerConfig::default());
        // The caller supports timers and asks for 90 s, so it is to refresh — and it never
        // does (OutgoingCall sends no refreshes): the callee ends the call before 90 s.
        let invite = invite_with(
            &format!("st{seed}"),
            "alice",
            "Supported: timer\r\nSession-Expires: 90\r\n",
        );
        let mut caller = CallerNode::with_invite(invite, start);
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(20));
        assert_eq!(caller.call.state(), OutgoingState::Confirmed, "seed {seed}");
        let timer = *callee.call.as_ref().unwrap().session_timer().unwrap();
        assert!(!timer.we_refresh());
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(120));
        assert_eq!(
            callee.events.last(),
            Some(&CallEvent::Ended(EndReason::SessionExpired)),
            "seed {seed}"
        );
        assert!(
            caller.events.contains(&OutgoingEvent::RemoteHangup),
            "seed {seed}"
        );
    }
}

#[test]
fn we_refresh_a_caller_without_timers_and_hang_up_when_it_vanishes() {
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = CalleeNode::new(true);
        callee.session_timer = Some(SessionTimerConfig::default());
        let invite = invite_with(&format!("ref{seed}"), "alice", "Session-Expires: 120\r\n");
        let mut caller = CallerNode::with_invite(invite, start);
        // Three refresh periods with the caller there: UPDATEs at every half-interval keep
        // the call up.
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(200));
        assert!(
            callee
                .call
                .as_ref()
                .unwrap()
                .session_timer()
                .unwrap()
                .we_refresh(),
            "seed {seed}"
        );
        assert_eq!(caller.call.state(), OutgoingState::Confirmed, "seed {seed}");
        assert!(!callee.ended(), "seed {seed}");
        // The caller vanishes: the next UPDATE times out, and the call is ended.
        sim.run_until(&mut [&mut callee], start + secs(400));
        assert_eq!(
            callee.events.last(),
            Some(&CallEvent::Ended(EndReason::SessionExpired)),
            "seed {seed}"
        );
    }
}

#[test]
fn the_caller_refreshes_by_update_and_hangs_up_when_the_callee_vanishes() {
    use sambung_sip::session_timer::request_headers;
    let config = SessionTimerConfig {
        session_expires: 120,
        min_se: 90,
    };
    let headers: String = request_headers(&config)
        .iter()
        .map(|(n, v)| format!("{}: {v}\r\n", n.as_str()))
        .collect();
    for seed in 0..SEEDS {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut callee = CalleeNode::new(true);
        callee.session_timer = Some(config);
        let invite = invite_with(&format!("uacref{seed}"), "alice", &headers);
        let mut caller = CallerNode::with_invite(invite, start);
        caller.call = caller.call.with_session_timer(config);
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(20));
        let timer = *caller.call.session_timer().expect("answered with a timer");
        assert!(
            timer.we_refresh(),
            "seed {seed}: the caller supports timers, so it refreshes"
        );
        // Three intervals with both there: the caller's UPDATEs keep both sides up.
        sim.run_until(&mut [&mut callee, &mut caller], start + secs(380));
        assert_eq!(
            caller.call.state(),
            OutgoingState::Confirmed,
            "seed {seed}: {:?}",
            caller.events
        );
        assert!(!callee.ended(), "seed {seed}");
        // The callee vanishes: the next refresh times out and the caller ends the call.
        sim.run_until(&mut [&mut caller], start + secs(600));
        assert_eq!(
            caller.events.last(),
            Some(&OutgoingEvent::SessionExpired),
            "seed {seed}"
        );
        assert_eq!(caller.call.state(), OutgoingState::Ended);
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed| {
        let start = t0();
        let mut sim = Sim::new(seed, Conditions::hostile(), start);
        let mut uas = UasNode::new();
        let mut caller = CallerNode::new("same", "alice", start);
        sim.run_until(&mut [&mut uas, &mut caller], start + secs(20));
        caller.call.hangup(sim.now());
        let until = sim.now() + secs(70);
        sim.run_until(&mut [&mut uas, &mut caller], until);
        (sim.stats(), caller.events)
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11).0, run(12).0);
}
