//! An incoming call as its UAS sees it (RFC 3261 §13.3, §15), sans-IO: the INVITE arrives,
//! `100 Trying` goes out, the call is answered (200 with SDP, retransmitted until the ACK, with
//! a BYE after 64·T1 if none comes, §13.3.1.4) or rejected; then BYE from either side, or
//! CANCEL before the answer (200 to the CANCEL, 487 to the INVITE). Retransmitted INVITEs are
//! answered with the last response; requests inside the dialog are checked by [`Dialog`].
//!
//! Feed it every message of the call ([`IncomingCall::on_message`]) and its timers
//! ([`IncomingCall::on_timeout`] at [`IncomingCall::poll_timeout`]); take what to send and what
//! happened from [`IncomingCall::poll_output`]. It never reads a clock or touches a socket.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_sip::uas::{CallEvent, CallOutput, EndReason, IncomingCall, LocalParty};
//! use sambung_sip::transaction::Timers;
//!
//! let invite = b"INVITE sip:1500112@127.0.0.1 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\nFrom: <sip:caller@127.0.0.1>;tag=a\r\n\
//! To: <sip:1500112@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
//! Contact: <sip:caller@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
//! let me = LocalParty { tag: "b".into(), contact: "<sip:1500112@127.0.0.1:5060>".into(),
//!     via: "SIP/2.0/UDP 127.0.0.1:5060".into() };
//! let t0 = Instant::now();
//! let mut call = IncomingCall::new(invite, me, false, Timers::default())?;
//! call.answer("v=0\r\n", t0)?;
//! let mut sent = Vec::new();
//! while let Some(CallOutput::Send(bytes)) = call.poll_output() { sent.push(bytes); }
//! assert_eq!(sent.len(), 2); // 100 Trying, 200 OK
//! // No ACK: the 200 is sent again after T1.
//! call.on_timeout(t0 + Duration::from_millis(500));
//! assert!(matches!(call.poll_output(), Some(CallOutput::Send(_))));
//! # Ok::<(), sambung_sip::uas::CallError>(())
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::dialog::{Dialog, DialogError};
use crate::serialize::{BuildError, MessageBuilder};
use crate::session_timer::{
    self, Negotiated, RefreshDue, RefreshSender, Refresher, SessionRefresh, SessionTimer,
    SessionTimerConfig,
};
use crate::transaction::{ClientTransaction, Output, Timers};
use crate::{HeaderName, Message, Method, ParseError};

/// Who we are in the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalParty {
    /// Our To tag (random, chosen by the driver).
    pub tag: String,
    /// Our Contact, as it goes in the header (`<sip:1500112@127.0.0.1:5060>`).
    pub contact: String,
    /// Our Via for requests we send, without branch (`SIP/2.0/UDP 127.0.0.1:5060`).
    pub via: String,
}

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// The INVITE arrived; not answered yet.
    Ringing,
    /// 200 sent; waiting for the ACK.
    Answered,
    /// The ACK arrived: the call is up.
    Confirmed,
    /// We sent BYE and wait for its answer.
    Ending,
    /// Over.
    Ended,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The caller hung up (BYE).
    RemoteHangup,
    /// We hung up (our BYE was answered, or went unanswered).
    LocalHangup,
    /// The caller cancelled before the answer.
    Cancelled,
    /// We rejected it with a final non-2xx status.
    Rejected(u16),
    /// The ACK never came: we sent BYE.
    NoAck,
    /// The session timer ran out without a refresh (RFC 4028), or a refresh was refused: we
    /// sent BYE.
    SessionExpired,
}

/// What happened, for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The ACK arrived.
    Confirmed,
    /// The peer sent a new offer (re-INVITE or UPDATE), answered at once with our same
    /// media: `held` when it puts us on hold (`sendonly`, `inactive` or `c=0.0.0.0`), and where
    /// it now wants audio, if it says.
    Reoffered {
        /// On hold from now (false: taken off hold, or never on it).
        held: bool,
        /// The peer's new RTP address.
        remote: Option<std::net::SocketAddr>,
    },
    /// An INFO with a body arrived (answered `200`): a key as `application/dtmf-relay`
    /// (`Signal=5`, RFC-less but universal), or whatever else the peer sends this way.
    Info {
        /// The body's Content-Type, as sent.
        content_type: String,
        /// The body.
        body: Vec<u8>,
    },
    /// The call is over.
    Ended(EndReason),
}

/// What the call gives its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutput {
    /// Send these bytes to the peer.
    Send(Vec<u8>),
    /// Something happened.
    Event(CallEvent),
}

/// Why the call could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The INVITE does not parse.
    #[error("the INVITE does not parse: {0}")]
    Parse(#[from] ParseError),
    /// The message is not an INVITE.
    #[error("an incoming call starts with an INVITE")]
    NotInvite,
    /// The INVITE lacks what a dialog needs (a From tag, a Contact).
    #[error("the INVITE cannot make a dialog: {0}")]
    Dialog(#[from] DialogError),
    /// A response could not be built (a bad tag, contact or SDP).
    #[error("cannot build the message: {0}")]
    Build(#[from] BuildError),
    /// Answer or reject after the call was answered, rejected or ended.
    #[error("the call is no longer ringing")]
    NotRinging,
}

/// One incoming call.
#[derive(Debug)]
pub struct IncomingCall {
    invite: Vec<u8>,
    invite_seq: u32,
    me: LocalParty,
    reliable: bool,
    timers: Timers,
    state: CallState,
    dialog: Dialog,
    /// The final (or last provisional) response to the INVITE, for retransmitted INVITEs.
    last_response: Vec<u8>,
    /// Our SDP, for re-INVITEs.
    sdp: String,
    retransmit_at: Option<Instant>,
    interval: Duration,
    give_up_at: Option<Instant>,
    bye: Option<ClientTransaction>,
    /// Why the call is ending, once we send BYE.
    ending: Option<EndReason>,
    /// The CSeq of the last re-INVITE and our answer, for its retransmissions.
    reinvite: Option<(u32, Vec<u8>)>,
    /// The CSeq of the peer's BYE and our 200, for its retransmissions after the call ended
    /// (RFC 3261 §17.2.2: the server transaction absorbs them).
    bye_answer: Option<(u32, Vec<u8>)>,
    /// Timer H: after a final non-2xx over UDP, when to stop retransmitting it unACKed.
    completed_until: Option<Instant>,
    /// Session timers asked for by the driver (RFC 4028), negotiated when answering.
    session_config: Option<SessionTimerConfig>,
    /// The running session timer and our refresh in flight.
    session: Option<SessionRefresh>,
    /// The latest instant seen, for a rejection asked for without one.
    last_now: Option<Instant>,
    out: VecDeque<CallOutput>,
}

impl IncomingCall {
    /// Takes an INVITE and sends `100 Trying`. `reliable` is true over TCP, TLS and WebSocket,
    /// where nothing is retransmitted.
    pub fn new(
        invite: &[u8],
        me: LocalParty,
        reliable: bool,
        timers: Timers,
    ) -> Result<Self, CallError> {
        let msg = Message::parse(invite)?;
        if msg.method() != Method::Invite {
            return Err(CallError::NotInvite);
        }
        let dialog = Dialog::uas(&msg, &me.tag, false)?;
        let trying = MessageBuilder::response_to(&msg, 100, "Trying", None).build()?;
        let mut call = Self {
            invite: invite.to_vec(),
            invite_seq: msg.cseq().seq(),
            me,
            reliable,
            timers,
            state: CallState::Ringing,
            dialog,
            last_response: trying.clone(),
            sdp: String::new(),
            retransmit_at: None,
            interval: timers.t1,
            give_up_at: None,
            bye: None,
            ending: None,
            reinvite: None,
            bye_answer: None,
            completed_until: None,
            session_config: None,
            session: None,
            last_now: None,
            out: VecDeque::new(),
        };
        call.out.push_back(CallOutput::Send(trying));
        Ok(call)
    }

    /// Where the call is.
    pub fn state(&self) -> CallState {
        self.state
    }

    /// The peer's BYE's CSeq number and our answer to it, once one came: what a driver that
    /// lets go of an ended call keeps to answer that BYE's retransmissions (RFC 3261 §17.2.2).
    pub fn bye_answer(&self) -> Option<(u32, &[u8])> {
        self.bye_answer
            .as_ref()
            .map(|(seq, answer)| (*seq, answer.as_slice()))
    }

    /// The dialog (Call-ID, tags, the peer's target).
    pub fn dialog(&self) -> &Dialog {
        &self.dialog
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<CallOutput> {
        self.out.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.retransmit_at,
            self.give_up_at,
            self.completed_until,
            self.bye.as_ref().and_then(ClientTransaction::poll_timeout),
            self.session_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn respond_to_invite(&self, status: u16, reason: &str) -> MessageBuilder {
        let msg = Message::parse(&self.invite);
        match msg {
            Ok(m) => MessageBuilder::response_to(&m, status, reason, Some(&self.me.tag)),
            // Parsed once in `new`; the bytes have not changed since.
            Err(_) => MessageBuilder::response(status, reason),
        }
    }

    /// A provisional response (180 Ringing, 183 with early media).
    pub fn provisional(&mut self, status: u16, reason: &str) -> Result<(), CallError> {
        if self.state != CallState::Ringing {
            return Err(CallError::NotRinging);
        }
        let response = self
            .respond_to_invite(status, reason)
            .header(HeaderName::Contact, &self.me.contact)
            .build()?;
        self.last_response = response.clone();
        self.out.push_back(CallOutput::Send(response));
        Ok(())
    }

    /// Answers with `200 OK` and the SDP answer; the 200 is retransmitted until the ACK.
    pub fn answer(&mut self, sdp: &str, now: Instant) -> Result<(), CallError> {
        self.last_now = Some(now);
        if self.state != CallState::Ringing {
            return Err(CallError::NotRinging);
        }
        let mut ok = self
            .respond_to_invite(200, "OK")
            .header(HeaderName::Contact, &self.me.contact);
        if let Some(config) = self.session_config {
            let invite = self.invite.clone();
            let negotiated = Message::parse(&invite)
                .map(|m| session_timer::negotiate_uas(&m, &config))
                .unwrap_or(Negotiated::None);
            match negotiated {
                Negotiated::None => {}
                Negotiated::TooSmall { min_se } => {
                    let response = self
                        .respond_to_invite(422, "Session Interval Too Small")
                        .header(HeaderName::Other("Min-SE"), min_se.to_string())
                        .build()?;
                    self.last_response = response.clone();
                    self.out.push_back(CallOutput::Send(response));
                    self.end(EndReason::Rejected(422));
                    self.retransmit_final(Some(now));
                    return Ok(());
                }
                Negotiated::Timer {
                    interval,
                    refresher,
                } => {
                    for (name, value) in session_timer::response_headers(interval, refresher) {
                        ok = ok.header(name, value);
                    }
                    self.session = Some(SessionRefresh::new(SessionTimer::start(
                        interval,
                        refresher == Refresher::Uas,
                        now,
                    )));
                }
            }
        }
        let ok = ok.body("application/sdp", sdp.as_bytes()).build()?;
        self.sdp = sdp.to_owned();
        self.dialog.state = crate::dialog::DialogState::Confirmed;
        self.last_response = ok.clone();
        self.out.push_back(CallOutput::Send(ok));
        self.state = CallState::Answered;
        self.interval = self.timers.t1;
        self.retransmit_at = (!self.reliable).then_some(now + self.timers.t1);
        self.give_up_at = Some(now + self.timers.t1 * 64);
        Ok(())
    }

    /// Uses session timers (RFC 4028) on this call: negotiated from the INVITE when it is
    /// answered (a `422` if the caller asks for less than `config.min_se`). When the caller
    /// refreshes and stops, the call ends with BYE ([`EndReason::SessionExpired`]); when we
    /// refresh, an UPDATE goes at half the interval.
    #[must_use]
    pub fn with_session_timer(mut self, config: SessionTimerConfig) -> Self {
        self.session_config = Some(config);
        self
    }

    /// The running session timer, once answered with one.
    pub fn session_timer(&self) -> Option<&SessionTimer> {
        self.session.as_ref().map(SessionRefresh::timer)
    }

    /// Rejects with a final non-2xx status, as [`IncomingCall::reject`], at `now` (for a call
    /// refused before any other message or timer has told it the time).
    pub fn reject_at(&mut self, status: u16, reason: &str, now: Instant) -> Result<(), CallError> {
        self.last_now = Some(now);
        self.reject(status, reason)
    }

    /// Rejects with a final non-2xx status (486 Busy Here, 480, 603…); over UDP it is sent
    /// again until the ACK, timed from the last message or timer this call saw.
    pub fn reject(&mut self, status: u16, reason: &str) -> Result<(), CallError> {
        if self.state != CallState::Ringing {
            return Err(CallError::NotRinging);
        }
        let response = self.respond_to_invite(status, reason).build()?;
        self.last_response = response.clone();
        self.out.push_back(CallOutput::Send(response));
        self.end(EndReason::Rejected(status));
        self.retransmit_final(self.last_now);
        Ok(())
    }

    /// RFC 3261 §17.2.1: over UDP a final non-2xx is sent again at Timer G (T1, doubling
    /// up to T2) until the ACK comes or Timer H (64·T1) gives up — the caller stopped
    /// retransmitting its INVITE once it heard a provisional, so a lost rejection would
    /// otherwise leave it waiting for ever.
    fn retransmit_final(&mut self, now: Option<Instant>) {
        if self.reliable {
            return;
        }
        let Some(now) = now else { return };
        self.interval = self.timers.t1;
        self.retransmit_at = Some(now + self.timers.t1);
        self.completed_until = Some(now + self.timers.t1 * 64);
    }

    /// Hangs up: BYE once the call is answered, 480 before.
    pub fn hangup(&mut self, now: Instant) {
        self.last_now = Some(now);
        match self.state {
            CallState::Ringing => {
                let _ = self.reject(480, "Temporarily Unavailable");
            }
            CallState::Answered | CallState::Confirmed => {
                self.send_bye(EndReason::LocalHangup, now);
            }
            CallState::Ending | CallState::Ended => {}
        }
    }

    fn send_bye(&mut self, reason: EndReason, now: Instant) {
        self.retransmit_at = None;
        self.give_up_at = None;
        let seq = self.dialog.local_seq + 1;
        let bye = self
            .dialog
            .request(Method::Bye)
            .header(
                HeaderName::Via,
                format!("{};branch=z9hG4bK{}b{seq}", self.me.via, self.me.tag),
            )
            .header(HeaderName::MaxForwards, "70")
            .build();
        self.ending = Some(reason);
        match bye.map(|b| ClientTransaction::new(b, self.reliable, self.timers, now)) {
            Ok(Ok(tx)) => {
                self.bye = Some(tx);
                self.state = CallState::Ending;
                self.drain_bye();
            }
            // The dialog's own values make a valid BYE; if not, there is no one to tell.
            _ => self.end(reason),
        }
    }

    fn drain_bye(&mut self) {
        let Some(tx) = self.bye.as_mut() else { return };
        let mut done = false;
        while let Some(o) = tx.poll_output() {
            match o {
                Output::Send(b) => self.out.push_back(CallOutput::Send(b)),
                Output::PassUp(r) => {
                    if Message::parse(&r)
                        .ok()
                        .and_then(|m| m.status())
                        .is_some_and(|s| s >= 200)
                    {
                        done = true;
                    }
                }
                Output::Timeout | Output::Terminated => done = true,
            }
        }
        if done {
            self.bye = None;
            let reason = self.ending.unwrap_or(EndReason::LocalHangup);
            self.end(reason);
        }
    }

    /// The next session-timer deadline while the call is up.
    fn session_deadline(&self) -> Option<Instant> {
        if !matches!(self.state, CallState::Answered | CallState::Confirmed) {
            return None;
        }
        self.session.as_ref()?.deadline()
    }

    /// Acts on what the session timer asks.
    fn session_due(&mut self, due: RefreshDue, now: Instant) {
        match due {
            RefreshDue::Nothing => {}
            RefreshDue::Expired => self.send_bye(EndReason::SessionExpired, now),
            RefreshDue::Refresh => {
                let Some(session) = self.session.as_mut() else {
                    return;
                };
                let from = RefreshSender {
                    via: &self.me.via,
                    tag: &self.me.tag,
                    contact: &self.me.contact,
                    refresher: Refresher::Uas,
                };
                let out = &mut self.out;
                let due = session.refresh(
                    &mut self.dialog,
                    from,
                    self.reliable,
                    self.timers,
                    now,
                    &mut |b| out.push_back(CallOutput::Send(b)),
                );
                self.session_due(due, now);
            }
        }
    }

    fn end(&mut self, reason: EndReason) {
        if self.state == CallState::Ended {
            return;
        }
        self.state = CallState::Ended;
        self.retransmit_at = None;
        self.give_up_at = None;
        self.out
            .push_back(CallOutput::Event(CallEvent::Ended(reason)));
    }

    fn send_response(&mut self, request: &Message<'_>, status: u16, reason: &str) {
        let mut b = MessageBuilder::response_to(request, status, reason, Some(&self.me.tag));
        let offer_answered = request.method() == Method::Update && !request.body().is_empty();
        if status == 200 && (request.method() == Method::Invite || offer_answered) {
            b = b
                .header(HeaderName::Contact, &self.me.contact)
                .body("application/sdp", self.sdp.as_bytes());
        }
        if let Ok(bytes) = b.build() {
            self.out.push_back(CallOutput::Send(bytes));
        }
    }

    /// A message of this call from the peer (same Call-ID).
    pub fn on_message(&mut self, bytes: &[u8], now: Instant) {
        self.last_now = Some(now);
        let Ok(msg) = Message::parse(bytes) else {
            return;
        };
        if msg.status().is_some() {
            if msg.cseq().method() == "UPDATE" {
                let out = &mut self.out;
                if let Some(session) = self.session.as_mut() {
                    let due = session.on_response(bytes, now, &mut |b| {
                        out.push_back(CallOutput::Send(b));
                    });
                    self.session_due(due, now);
                }
                return;
            }
            if let Some(tx) = self.bye.as_mut() {
                tx.on_response(bytes, now);
                self.drain_bye();
            }
            return;
        }
        let method = msg.method();
        let seq = msg.cseq().seq();
        match method {
            Method::Invite if seq == self.invite_seq && msg.to().tag().is_none() => {
                // A retransmission of the INVITE: the last response again.
                self.out
                    .push_back(CallOutput::Send(self.last_response.clone()));
            }
            Method::Ack if seq == self.invite_seq => {
                if self.completed_until.take().is_some() {
                    // The ACK of our final non-2xx: stop sending it (Timer I is nothing to
                    // keep here: a late ACK is simply absorbed).
                    self.retransmit_at = None;
                }
                if self.state == CallState::Answered {
                    self.state = CallState::Confirmed;
                    self.retransmit_at = None;
                    self.give_up_at = None;
                    self.out.push_back(CallOutput::Event(CallEvent::Confirmed));
                }
            }
            Method::Ack => {}
            Method::Cancel => {
                self.send_response(&msg, 200, "OK");
                if self.state == CallState::Ringing {
                    if let Ok(r) = self.respond_to_invite(487, "Request Terminated").build() {
                        self.last_response = r.clone();
                        self.out.push_back(CallOutput::Send(r));
                    }
                    self.end(EndReason::Cancelled);
                    self.retransmit_final(Some(now));
                }
            }
            _ => self.in_dialog(&msg),
        }
    }

    fn in_dialog(&mut self, msg: &Message<'_>) {
        if matches!(msg.method(), Method::Invite | Method::Update)
            && matches!(self.state, CallState::Answered | CallState::Confirmed)
            && let (Some(session), Some(now)) = (self.session.as_mut(), self.last_now)
        {
            // The peer's refresh (RFC 4028 §10): answered below, the session goes on.
            session.peer_refreshed(now);
        }
        if msg.method() == Method::Bye
            && let Some((seq, answer)) = &self.bye_answer
            && *seq == msg.cseq().seq()
        {
            // A retransmitted BYE: our 200 was lost.
            self.out.push_back(CallOutput::Send(answer.clone()));
            return;
        }
        if matches!(self.state, CallState::Ringing | CallState::Ended) {
            self.send_response(msg, 481, "Call/Transaction Does Not Exist");
            return;
        }
        if msg.method() == Method::Invite
            && let Some((seq, answer)) = &self.reinvite
            && *seq == msg.cseq().seq()
        {
            // A retransmitted re-INVITE: our 200 was lost.
            self.out.push_back(CallOutput::Send(answer.clone()));
            return;
        }
        if let Err(e) = self.dialog.on_request(msg) {
            let status = e.status();
            self.send_response(msg, status, &e.to_string());
            return;
        }
        match msg.method() {
            Method::Bye => {
                self.send_response(msg, 200, "OK");
                if let Some(CallOutput::Send(bytes)) = self.out.back() {
                    self.bye_answer = Some((msg.cseq().seq(), bytes.clone()));
                }
                self.bye = None;
                self.end(EndReason::RemoteHangup);
            }
            // A new offer: hold, resume, a new address.
            Method::Invite | Method::Update if !msg.body().is_empty() => self.reoffered(msg),
            Method::Info if !msg.body().is_empty() => {
                self.send_response(msg, 200, "OK");
                let content_type = msg
                    .header(HeaderName::ContentType)
                    .map(|h| h.value().into_owned())
                    .unwrap_or_default();
                self.out.push_back(CallOutput::Event(CallEvent::Info {
                    content_type,
                    body: msg.body().to_vec(),
                }));
            }
            // A session refresh or a target refresh: the same session, answered at once.
            Method::Invite | Method::Update | Method::Info | Method::Options => {
                self.send_response(msg, 200, "OK");
                if msg.method() == Method::Invite {
                    self.remember_reinvite(msg);
                }
            }
            _ => self.send_response(msg, 405, "Method Not Allowed"),
        }
    }

    fn reoffered(&mut self, msg: &Message<'_>) {
        match crate::reoffer::answer(msg.body(), &self.sdp) {
            Ok(r) => {
                self.sdp = r.answer;
                self.send_response(msg, 200, "OK");
                if msg.method() == Method::Invite {
                    self.remember_reinvite(msg);
                }
                self.out.push_back(CallOutput::Event(CallEvent::Reoffered {
                    held: r.held,
                    remote: r.remote,
                }));
            }
            Err(status) => self.send_response(msg, status, "Not Acceptable Here"),
        }
    }

    /// Keeps the response just queued to a re-INVITE for its retransmissions.
    fn remember_reinvite(&mut self, msg: &Message<'_>) {
        if let Some(CallOutput::Send(bytes)) = self.out.back() {
            self.reinvite = Some((msg.cseq().seq(), bytes.clone()));
        }
    }

    /// Fires the timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        if matches!(self.state, CallState::Answered | CallState::Confirmed) {
            let out = &mut self.out;
            if let Some(session) = self.session.as_mut() {
                let due = session.on_timeout(now, &mut |b| out.push_back(CallOutput::Send(b)));
                self.session_due(due, now);
                if due == RefreshDue::Expired {
                    return;
                }
            }
        }
        if self.completed_until.is_some_and(|t| t <= now) {
            // Timer H: the ACK never came; stop.
            self.completed_until = None;
            self.retransmit_at = None;
        }
        if let Some(tx) = self.bye.as_mut() {
            tx.on_timeout(now);
            self.drain_bye();
        }
        if self.give_up_at.is_some_and(|t| t <= now) {
            // §13.3.1.4: no ACK within 64·T1 — confirm and end the session with BYE.
            self.send_bye(EndReason::NoAck, now);
            return;
        }
        if let Some(at) = self.retransmit_at
            && at <= now
        {
            self.out
                .push_back(CallOutput::Send(self.last_response.clone()));
            self.interval = (self.interval * 2).min(self.timers.t2);
            self.retransmit_at = Some(now + self.interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:1500112@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\nFrom: <sip:caller@127.0.0.1>;tag=a\r\nTo: <sip:1500112@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

    fn me() -> LocalParty {
        LocalParty {
            tag: "b".into(),
            contact: "<sip:1500112@127.0.0.1:5060>".into(),
            via: "SIP/2.0/UDP 127.0.0.1:5060".into(),
        }
    }

    fn t0() -> Instant {
        use sambung_core::clock::{Clock, SimulatedClock};
        SimulatedClock::new(jiff::Timestamp::UNIX_EPOCH).now()
    }

    fn drain(call: &mut IncomingCall) -> (Vec<Vec<u8>>, Vec<CallEvent>) {
        let (mut sent, mut events) = (Vec::new(), Vec::new());
        while let Some(o) = call.poll_output() {
            match o {
                CallOutput::Send(b) => sent.push(b),
                CallOutput::Event(e) => events.push(e),
            }
        }
        (sent, events)
    }

    fn status(b: &[u8]) -> Option<u16> {
        Message::parse(b).ok().and_then(|m| m.status())
    }

    fn in_dialog(method: &str, seq: u32) -> Vec<u8> {
        format!("{method} sip:1500112@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK{method}{seq}\r\nFrom: <sip:caller@127.0.0.1>;tag=a\r\nTo: <sip:1500112@127.0.0.1>;tag=b\r\nCall-ID: c1\r\nCSeq: {seq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").into_bytes()
    }

    #[test]
    fn answered_acked_and_hung_up_by_the_caller() {
        let t = t0();
        let mut call = IncomingCall::new(INVITE, me(), false, Timers::default()).unwrap();
        call.answer("v=0\r\n", t).unwrap();
        let (sent, _) = drain(&mut call);
        assert_eq!(
            sent.iter().map(|b| status(b)).collect::<Vec<_>>(),
            [Some(100), Some(200)]
        );
        let ok = Message::parse(&sent[1]).unwrap();
        assert_eq!(ok.to().tag(), Some("b"));
        assert_eq!(ok.body(), b"v=0\r\n");
        // A retransmitted INVITE gets the 200 again.
        call.on_message(INVITE, t);
        assert_eq!(status(&drain(&mut call).0[0]), Some(200));
        call.on_message(&in_dialog("ACK", 1), t + Duration::from_millis(100));
        assert_eq!(drain(&mut call).1, [CallEvent::Confirmed]);
        assert_eq!(call.poll_timeout(), None);
        call.on_message(&in_dialog("BYE", 2), t + Duration::from_secs(9));
        let (sent, events) = drain(&mut call);
        assert_eq!(status(&sent[0]), Some(200));
        assert_eq!(events, [CallEvent::Ended(EndReason::RemoteHangup)]);
        assert_eq!(call.state(), CallState::Ended);
        // Our 200 to the BYE was lost: the retransmitted BYE gets it again, byte for byte; a
        // BYE with another CSeq finds no call.
        call.on_message(&in_dialog("BYE", 2), t + Duration::from_secs(10));
        assert_eq!(drain(&mut call).0, [sent[0].clone()]);
        call.on_message(&in_dialog("BYE", 3), t + Duration::from_secs(10));
        assert_eq!(status(&drain(&mut call).0[0]), Some(481));
    }

    #[test]
    fn the_caller_holds_and_resumes_with_re_invites_and_update() {
        let t = t0();
        let ours = "v=0\r\no=sambung 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=sendrecv\r\n";
        let mut call = IncomingCall::new(INVITE, me(), false, Timers::default()).unwrap();
        call.answer(ours, t).unwrap();
        call.on_message(&in_dialog("ACK", 1), t);
        drain(&mut call);
        let with_body = |method: &str, seq: u32, sdp: &str| {
            String::from_utf8_lossy(&in_dialog(method, seq))
                .replace(
                    "Content-Length: 0\r\n\r\n",
                    &format!(
                        "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                        sdp.len()
                    ),
                )
                .into_bytes()
        };
        let hold = "v=0\r\no=- 5 6 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=inactive\r\n";
        let reinvite = with_body("INVITE", 2, hold);
        call.on_message(&reinvite, t);
        let (sent, events) = drain(&mut call);
        let ok = Message::parse(&sent[0]).unwrap();
        assert_eq!(ok.status(), Some(200));
        assert!(String::from_utf8_lossy(ok.body()).contains("a=inactive"));
        assert_eq!(
            events,
            [CallEvent::Reoffered {
                held: true,
                remote: Some("127.0.0.1:40000".parse().unwrap())
            }]
        );
        // The retransmitted re-INVITE gets the same 200; its ACK changes nothing.
        call.on_message(&reinvite, t);
        assert_eq!(drain(&mut call), (vec![sent[0].clone()], vec![]));
        call.on_message(&in_dialog("ACK", 2), t);
        assert_eq!(drain(&mut call), (vec![], vec![]));
        // Resumed by UPDATE: the 200 carries the answer.
        call.on_message(
            &with_body("UPDATE", 3, &hold.replace("inactive", "sendrecv")),
            t,
        );
        let (sent, events) = drain(&mut call);
        let ok = Message::parse(&sent[0]).unwrap();
        assert!(String::from_utf8_lossy(ok.body()).contains("a=sendrecv"));
        assert!(String::from_utf8_lossy(ok.body()).contains("o=sambung 1 3 "));
        assert!(matches!(
            events[..],
            [CallEvent::Reoffered { held: false, .. }]
        ));
        assert_eq!(call.state(), CallState::Confirmed);
    }

    #[test]
    fn an_info_with_a_key_is_answered_and_passed_up() {
        let t = t0();
        let mut call = IncomingCall::new(INVITE, me(), false, Timers::default()).unwrap();
        call.answer("v=0\r\n", t).unwrap();
        call.on_message(&in_dialog("ACK", 1), t);
        drain(&mut call);
        let body = "Signal=5\r\nDuration=160\r\n";
        let info = String::from_utf8_lossy(&in_dialog("INFO", 2)).replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Content-Type: application/dtmf-relay\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        call.on_message(info.as_bytes(), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(status(&sent[0]), Some(200));
        assert_eq!(
            events,
            [CallEvent::Info {
                content_type: "application/dtmf-relay".into(),
                body: body.as_bytes().to_vec()
            }]
        );
        // Without a body: answered, nothing to pass up.
        call.on_message(&in_dialog("INFO", 3), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(status(&sent[0]), Some(200));
        assert!(events.is_empty());
    }

    #[test]
    fn the_200_is_retransmitted_then_bye_when_no_ack_comes() {
        let t = t0();
        let mut call = IncomingCall::new(INVITE, me(), false, Timers::default()).unwrap();
        call.answer("v=0\r\n", t).unwrap();
        drain(&mut call);
        let mut resent = 0;
        let mut now = t;
        for _ in 0..100 {
            let Some(next) = call.poll_timeout() else {
                break;
            };
            now = next;
            call.on_timeout(now);
            let (sent, _) = drain(&mut call);
            resent += sent.iter().filter(|b| status(b) == Some(200)).count();
            if call.state() == CallState::Ending {
                assert!(
                    sent.iter()
                        .any(|b| b.starts_with(b"BYE sip:caller@127.0.0.1:5061"))
                );
                break;
            }
        }
        // At 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s (T1 doubling to T2), then BYE at 64·T1 = 32 s.
        assert_eq!(resent, 10);
        assert_eq!(now - t, Duration::from_secs(32));
        assert_eq!(call.state(), CallState::Ending);
        // The BYE is answered.
        let bye_ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbb1\r\nFrom: <sip:1500112@127.0.0.1>;tag=b\r\nTo: <sip:caller@127.0.0.1>;tag=a\r\nCall-ID: c1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
        call.on_message(bye_ok, now);
        assert_eq!(drain(&mut call).1, [CallEvent::Ended(EndReason::NoAck)]);
    }

    #[test]
    fn cancel_before_the_answer_gets_200_and_487() {
        let mut call = IncomingCall::new(INVITE, me(), false, Timers::default()).unwrap();
        drain(&mut call);
        let cancel = String::from_utf8(INVITE.to_vec())
            .unwrap()
            .replace("INVITE sip", "CANCEL sip")
            .replace("1 INVITE", "1 CANCEL");
        call.on_message(cancel.as_bytes(), t0());
        let (sent, events) = drain(&mut call);
        assert_eq!(
            sent.iter().map(|b| status(b)).collect::<Vec<_>>(),
            [Some(200), Some(487)]
        );
        assert_eq!(events, [CallEvent::Ended(EndReason::Cancelled)]);
        assert!(call.answer("v=0\r\n", t0()).is_err());
    }

    #[test]
    fn our_bye_and_stray_requests() {
        let t = t0();
        let mut call = IncomingCall::new(INVITE, me(), true, Timers::default()).unwrap();
        // A BYE before the answer is for no dialog.
        call.on_message(&in_dialog("BYE", 2), t);
        assert_eq!(status(drain(&mut call).0.last().unwrap()), Some(481));
        call.answer("v=0\r\n", t).unwrap();
        call.on_message(&in_dialog("ACK", 1), t);
        call.on_message(&in_dialog("INFO", 2), t);
        assert_eq!(status(drain(&mut call).0.last().unwrap()), Some(200));
        // An old CSeq is refused.
        call.on_message(&in_dialog("INFO", 2), t);
        assert_eq!(status(drain(&mut call).0.last().unwrap()), Some(500));
        call.hangup(t);
        let (sent, _) = drain(&mut call);
        let bye = Message::parse(&sent[0]).unwrap();
        assert_eq!(bye.method(), Method::Bye);
        assert_eq!(bye.to().tag(), Some("a"));
        // Reliable transport: no retransmission; Timer F ends it if nothing answers.
        call.on_timeout(t + Duration::from_secs(32));
        assert_eq!(
            drain(&mut call).1,
            [CallEvent::Ended(EndReason::LocalHangup)]
        );
        assert!(IncomingCall::new(b"garbage", me(), false, Timers::default()).is_err());
        assert_eq!(
            IncomingCall::new(&in_dialog("BYE", 3), me(), false, Timers::default()).unwrap_err(),
            CallError::NotInvite
        );
    }
}
