//! An outgoing call as its UAC sees it (RFC 3261 §13.2, §9), sans-IO: the INVITE goes out
//! through a client transaction (retransmitted, Timer B), provisional responses say it rings,
//! a 2xx makes the dialog and is acknowledged (again for each retransmitted 2xx), a failure ends it;
//! [`OutgoingCall::hangup`] sends CANCEL before the answer and BYE after; a BYE from the peer
//! is answered.
//!
//! ```
//! use std::time::Instant;
//! use sambung_sip::uac::{OutgoingCall, OutgoingEvent, OutgoingOutput};
//! use sambung_sip::transaction::Timers;
//!
//! let invite = b"INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo1\r\nFrom: <sip:1500112@127.0.0.1>;tag=cc\r\n\
//! To: <sip:1001@127.0.0.1>\r\nCall-ID: leg2\r\nCSeq: 1 INVITE\r\n\
//! Contact: <sip:1500112@127.0.0.1:5060>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
//! let t0 = Instant::now();
//! let mut call = OutgoingCall::new(invite.to_vec(), "SIP/2.0/UDP 127.0.0.1:5060", false, Timers::default(), t0)?;
//! assert!(matches!(call.poll_output(), Some(OutgoingOutput::Send(_)))); // the INVITE
//! call.on_message(b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo1\r\n\
//! From: <sip:1500112@127.0.0.1>;tag=cc\r\nTo: <sip:1001@127.0.0.1>;tag=x\r\nCall-ID: leg2\r\n\
//! CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", t0);
//! let mut events = Vec::new();
//! while let Some(o) = call.poll_output() {
//!     if let OutgoingOutput::Event(e) = o { events.push(e); }
//! }
//! assert_eq!(events, [OutgoingEvent::Failed(486)]);
//! # Ok::<(), sambung_sip::ParseError>(())
//! ```

use std::collections::VecDeque;
use std::time::Instant;

use crate::dialog::Dialog;
use crate::serialize::MessageBuilder;
use crate::session_timer::{
    self, RefreshDue, RefreshSender, Refresher, SessionRefresh, SessionTimer, SessionTimerConfig,
};
use crate::transaction::{ClientTransaction, Output, Timers};
use crate::{HeaderName, Message, Method, ParseError};

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutgoingState {
    /// INVITE sent; no final response yet.
    Calling,
    /// Answered and acknowledged.
    Confirmed,
    /// BYE or CANCEL sent; waiting for the end.
    Ending,
    /// Over.
    Ended,
}

/// What happened, for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingEvent {
    /// A provisional response (180, 183).
    Ringing(u16),
    /// Answered: the 2xx's body (the SDP answer).
    Answered(Vec<u8>),
    /// A final failure before the answer (486, 487 after CANCEL, 408 when nothing answered).
    Failed(u16),
    /// The peer hung up after the answer.
    RemoteHangup,
    /// Our BYE was answered (or went unanswered).
    LocalHangup,
    /// The session timer (RFC 4028) ran out, or our refresh was refused with 408 or 481: we
    /// sent BYE. The other end is gone.
    SessionExpired,
    /// The peer sent a new offer (re-INVITE or UPDATE), answered at once with our same
    /// media: `held` when it puts us on hold, and where it now wants audio, if it says.
    Reoffered {
        /// On hold from now (false: taken off hold, or never on it).
        held: bool,
        /// The peer's new RTP address.
        remote: Option<std::net::SocketAddr>,
    },
    /// The peer asks us to transfer the call (REFER, RFC 3515), answered `202 Accepted`:
    /// the `Refer-To` URI (with any `?Replaces=` of an attended transfer, RFC 3891). Report
    /// how it goes with [`OutgoingCall::notify_refer`].
    Referred {
        /// The `Refer-To` URI, without angle brackets.
        target: String,
    },
}

/// What the call gives its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingOutput {
    /// Send these bytes to the peer.
    Send(Vec<u8>),
    /// Something happened.
    Event(OutgoingEvent),
}

/// One outgoing call.
#[derive(Debug)]
pub struct OutgoingCall {
    invite: Vec<u8>,
    via: String,
    reliable: bool,
    timers: Timers,
    state: OutgoingState,
    tx: Option<ClientTransaction>,
    /// CANCEL or BYE in flight.
    ending: Option<ClientTransaction>,
    dialog: Option<Dialog>,
    ack: Option<Vec<u8>>,
    /// Our SDP (the INVITE's offer, then each answer to a re-offer).
    sdp: String,
    /// Our Contact, for target refreshes and NOTIFY.
    contact: String,
    /// The CSeq and method of the peer's last in-dialog request and our answer, for its
    /// retransmissions.
    answered: Option<(u32, String, Vec<u8>)>,
    /// NOTIFYs of a transfer's progress in flight.
    notifies: Vec<ClientTransaction>,
    /// User name and password for a digest challenge (401 or 407), answered once.
    credentials: Option<(String, String)>,
    /// Session timers wanted (RFC 4028): started from the 2xx's Session-Expires.
    session_config: Option<SessionTimerConfig>,
    /// The running session timer and our refresh in flight.
    session: Option<SessionRefresh>,
    /// The BYE in flight was sent because the session expired.
    expired: bool,
    /// The latest instant seen, for requests that arrive without one passed down.
    last_now: Option<Instant>,
    out: VecDeque<OutgoingOutput>,
}

impl OutgoingCall {
    /// Sends `invite` (built by the driver: Via with a branch, From with a tag, Contact, SDP
    /// offer). `via` is our Via without branch, for the ACK and BYE.
    pub fn new(
        invite: Vec<u8>,
        via: &str,
        reliable: bool,
        timers: Timers,
        now: Instant,
    ) -> Result<Self, ParseError> {
        let tx = ClientTransaction::new(invite.clone(), reliable, timers, now)?;
        let (sdp, contact) = {
            let m = Message::parse(&invite)?;
            let contact = m
                .header(HeaderName::Contact)
                .map(|h| h.value().into_owned())
                .unwrap_or_default();
            (String::from_utf8_lossy(m.body()).into_owned(), contact)
        };
        let mut call = Self {
            invite,
            via: via.to_owned(),
            reliable,
            timers,
            state: OutgoingState::Calling,
            tx: Some(tx),
            ending: None,
            dialog: None,
            ack: None,
            sdp,
            contact,
            answered: None,
            notifies: Vec::new(),
            credentials: None,
            session_config: None,
            session: None,
            expired: false,
            last_now: None,
            out: VecDeque::new(),
        };
        call.drain(now);
        Ok(call)
    }

    /// Answers one digest challenge (`401` or `407` to the INVITE, RFC 3261 §22.2) as `user`
    /// with `password` — for a trunk that authenticates the calls it takes: the INVITE goes
    /// again with the next CSeq and the credentials. A second challenge fails the call.
    #[must_use]
    pub fn with_credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Keeps the session alive with session timers (RFC 4028): the driver's INVITE carries
    /// the headers of [`session_timer::request_headers`]; when the 2xx names us refresher, an
    /// UPDATE goes at half the interval; when it names the peer and no refresh comes, or a
    /// refresh of ours gets 408 or 481, the call ends with BYE
    /// ([`OutgoingEvent::SessionExpired`]).
    #[must_use]
    pub fn with_session_timer(mut self, config: SessionTimerConfig) -> Self {
        self.session_config = Some(config);
        self
    }

    /// The running session timer, once answered with one.
    pub fn session_timer(&self) -> Option<&SessionTimer> {
        self.session.as_ref().map(SessionRefresh::timer)
    }

    /// Where the call is.
    pub fn state(&self) -> OutgoingState {
        self.state
    }

    /// The Call-ID.
    pub fn call_id(&self) -> String {
        Message::parse(&self.invite)
            .map(|m| m.call_id().to_owned())
            .unwrap_or_default()
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<OutgoingOutput> {
        self.out.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.tx.as_ref().and_then(ClientTransaction::poll_timeout),
            self.ending
                .as_ref()
                .and_then(ClientTransaction::poll_timeout),
            self.session_deadline(),
        ]
        .into_iter()
        .chain(self.notifies.iter().map(ClientTransaction::poll_timeout))
        .flatten()
        .min()
    }

    fn event(&mut self, e: OutgoingEvent) {
        self.out.push_back(OutgoingOutput::Event(e));
    }

    fn end(&mut self, e: OutgoingEvent) {
        if self.state != OutgoingState::Ended {
            self.state = OutgoingState::Ended;
            self.event(e);
        }
    }

    /// Moves the transactions' outputs into ours.
    fn drain(&mut self, now: Instant) {
        let mut passed = Vec::new();
        let mut timed_out = false;
        if let Some(tx) = self.tx.as_mut() {
            while let Some(o) = tx.poll_output() {
                match o {
                    Output::Send(b) => self.out.push_back(OutgoingOutput::Send(b)),
                    Output::PassUp(r) => passed.push(r),
                    Output::Timeout => timed_out = true,
                    Output::Terminated => {}
                }
            }
        }
        for r in passed {
            self.on_invite_response(&r, now);
        }
        if timed_out && self.state == OutgoingState::Calling {
            self.end(OutgoingEvent::Failed(408));
        }
        let mut ending_done = false;
        if let Some(tx) = self.ending.as_mut() {
            while let Some(o) = tx.poll_output() {
                match o {
                    Output::Send(b) => self.out.push_back(OutgoingOutput::Send(b)),
                    Output::PassUp(r) => {
                        let final_ = Message::parse(&r)
                            .ok()
                            .and_then(|m| m.status())
                            .is_some_and(|s| s >= 200);
                        let bye = Message::parse(&r).is_ok_and(|m| m.cseq().method() == "BYE");
                        ending_done |= final_ && bye;
                    }
                    Output::Timeout | Output::Terminated => ending_done |= self.dialog.is_some(),
                }
            }
        }
        if ending_done && self.state == OutgoingState::Ending {
            self.ending = None;
            self.end(if self.expired {
                OutgoingEvent::SessionExpired
            } else {
                OutgoingEvent::LocalHangup
            });
        }
        let mut sent = Vec::new();
        self.notifies.retain_mut(|tx| {
            let mut done = false;
            while let Some(o) = tx.poll_output() {
                match o {
                    Output::Send(b) => sent.push(b),
                    Output::PassUp(r) => {
                        done |= Message::parse(&r)
                            .ok()
                            .and_then(|m| m.status())
                            .is_some_and(|s| s >= 200);
                    }
                    Output::Timeout | Output::Terminated => done = true,
                }
            }
            !done
        });
        self.out.extend(sent.into_iter().map(OutgoingOutput::Send));
    }

    fn on_invite_response(&mut self, bytes: &[u8], now: Instant) {
        let Ok(resp) = Message::parse(bytes) else {
            return;
        };
        let Some(status) = resp.status() else { return };
        match status {
            100 => {}
            101..=199 => {
                if self.state == OutgoingState::Calling {
                    self.event(OutgoingEvent::Ringing(status));
                }
            }
            200..=299 => {
                if let Some(ack) = &self.ack {
                    // A retransmitted 2xx: our ACK was lost.
                    self.out.push_back(OutgoingOutput::Send(ack.clone()));
                    return;
                }
                let invite_bytes = self.invite.clone();
                let Ok(invite) = Message::parse(&invite_bytes) else {
                    return;
                };
                let Ok(mut dialog) = Dialog::uac(&invite, &resp) else {
                    return;
                };
                let seq = invite.cseq().seq();
                let ack = dialog
                    .request(Method::Ack)
                    .header(
                        HeaderName::Via,
                        format!("{};branch=z9hG4bK{}a{seq}", self.via, dialog.id.local_tag),
                    )
                    .header(HeaderName::MaxForwards, "70")
                    .build();
                if let Ok(ack) = ack {
                    self.out.push_back(OutgoingOutput::Send(ack.clone()));
                    self.ack = Some(ack);
                }
                self.dialog = Some(dialog);
                if self.state == OutgoingState::Ending {
                    // Answered while our CANCEL was in flight: end the call with BYE at once.
                    self.state = OutgoingState::Confirmed;
                    self.send_bye(now);
                } else {
                    self.state = OutgoingState::Confirmed;
                    if self.session_config.is_some() {
                        self.session =
                            session_timer::negotiate_uac(&resp).map(|(interval, refresher)| {
                                SessionRefresh::new(SessionTimer::start(
                                    interval,
                                    refresher == Refresher::Uac,
                                    now,
                                ))
                            });
                    }
                    self.event(OutgoingEvent::Answered(resp.body().to_vec()));
                }
            }
            401 | 407 if self.state == OutgoingState::Calling && self.credentials.is_some() => {
                if !self.authenticate(&resp, now) {
                    self.end(OutgoingEvent::Failed(status));
                }
            }
            _ => self.end(OutgoingEvent::Failed(status)),
        }
    }

    /// Sends the INVITE again answering the challenge in `resp`; false if it cannot.
    fn authenticate(&mut self, resp: &Message<'_>, now: Instant) -> bool {
        let Some((user, password)) = self.credentials.take() else {
            return false;
        };
        let proxy = resp.status() == Some(407);
        let challenge = if proxy {
            resp.proxy_authenticate().next()
        } else {
            resp.www_authenticate().next()
        };
        let previous = self.invite.clone();
        let Ok(invite) = Message::parse(&previous) else {
            return false;
        };
        let (Some(challenge), Some(uri)) = (challenge, invite.request_uri()) else {
            return false;
        };
        let uri = uri.as_str().to_owned();
        let cnonce = format!("{:08x}", invite.cseq().seq().wrapping_mul(2_654_435_761));
        let Some(value) =
            crate::auth::authorize(&challenge, "INVITE", &uri, &user, &password, &cnonce, 1)
        else {
            return false;
        };
        let seq = invite.cseq().seq().saturating_add(1);
        let mut b = MessageBuilder::request(Method::Invite, &uri);
        for h in invite.headers() {
            let name = h.name();
            match name {
                HeaderName::Via => {
                    b = b.header(
                        HeaderName::Via,
                        format!(
                            "{};branch=z9hG4bK{}x{seq}",
                            self.via,
                            invite.from().tag().unwrap_or("t")
                        ),
                    );
                }
                HeaderName::CSeq => b = b.header(HeaderName::CSeq, format!("{seq} INVITE")),
                HeaderName::ContentLength | HeaderName::ContentType => {}
                HeaderName::Authorization | HeaderName::ProxyAuthorization => {}
                other => b = b.header(other, h.value().as_bytes()),
            }
        }
        let name = if proxy {
            HeaderName::ProxyAuthorization
        } else {
            HeaderName::Authorization
        };
        b = b.header(name, value);
        if !invite.body().is_empty() {
            let ctype = invite
                .header(HeaderName::ContentType)
                .map_or_else(|| "application/sdp".to_owned(), |h| h.value().into_owned());
            b = b.body(&ctype, invite.body());
        }
        let Ok(again) = b.build() else { return false };
        match ClientTransaction::new(again.clone(), self.reliable, self.timers, now) {
            Ok(tx) => {
                self.invite = again;
                self.tx = Some(tx);
                self.drain(now);
                true
            }
            Err(_) => false,
        }
    }

    /// A message of this call from the peer (same Call-ID).
    pub fn on_message(&mut self, bytes: &[u8], now: Instant) {
        self.last_now = Some(now);
        let Ok(msg) = Message::parse(bytes) else {
            return;
        };
        if msg.status().is_some() {
            match msg.cseq().method() {
                "UPDATE" => {
                    let out = &mut self.out;
                    if let Some(session) = self.session.as_mut() {
                        let due = session.on_response(bytes, now, &mut |b| {
                            out.push_back(OutgoingOutput::Send(b));
                        });
                        self.session_due(due, now);
                    }
                    return;
                }
                "INVITE" => {
                    if let Some(tx) = self.tx.as_mut() {
                        tx.on_response(bytes, now);
                    }
                }
                "NOTIFY" => {
                    for tx in &mut self.notifies {
                        tx.on_response(bytes, now);
                    }
                }
                _ => {
                    if let Some(tx) = self.ending.as_mut() {
                        tx.on_response(bytes, now);
                    }
                }
            }
            self.drain(now);
            return;
        }
        self.in_dialog(&msg);
    }

    /// A request from the peer inside the call.
    fn in_dialog(&mut self, msg: &Message<'_>) {
        let method = msg.method();
        if method == Method::Ack {
            return;
        }
        let Some(dialog) = self.dialog.as_mut() else {
            self.respond(msg, 481, "Call/Transaction Does Not Exist", None);
            return;
        };
        if let Some((seq, answered_method, answer)) = &self.answered
            && *seq == msg.cseq().seq()
            && answered_method == msg.cseq().method()
        {
            // A retransmitted request (re-INVITE, REFER, BYE…): our answer was lost. The same
            // answer again, not a second action, nor a 500 for a CSeq already seen.
            self.out.push_back(OutgoingOutput::Send(answer.clone()));
            return;
        }
        if let Err(e) = dialog.on_request(msg) {
            self.respond(msg, e.status(), "Refused", None);
            return;
        }
        if matches!(method, Method::Invite | Method::Update)
            && let (Some(session), Some(now)) = (self.session.as_mut(), self.last_now)
        {
            // The peer's refresh (RFC 4028 §10).
            session.peer_refreshed(now);
        }
        match method {
            Method::Bye => {
                self.respond(msg, 200, "OK", None);
                self.ending = None;
                self.end(OutgoingEvent::RemoteHangup);
            }
            Method::Invite | Method::Update if !msg.body().is_empty() => {
                match crate::reoffer::answer(msg.body(), &self.sdp) {
                    Ok(r) => {
                        self.sdp = r.answer;
                        let sdp = self.sdp.clone();
                        self.respond(msg, 200, "OK", Some(&sdp));
                        self.event(OutgoingEvent::Reoffered {
                            held: r.held,
                            remote: r.remote,
                        });
                    }
                    Err(status) => self.respond(msg, status, "Not Acceptable Here", None),
                }
            }
            // A session refresh without an offer: ours goes in the 200.
            Method::Invite => {
                let sdp = self.sdp.clone();
                self.respond(msg, 200, "OK", Some(&sdp));
            }
            Method::Update | Method::Info | Method::Options | Method::Notify => {
                self.respond(msg, 200, "OK", None);
            }
            Method::Refer => {
                let target = msg
                    .header(HeaderName::ReferTo)
                    .map(|h| h.value().trim().to_owned())
                    .map(|v| {
                        // `<uri>;params` or a bare URI.
                        match v.strip_prefix('<').and_then(|r| r.split_once('>')) {
                            Some((uri, _)) => uri.to_owned(),
                            None => v,
                        }
                    })
                    .filter(|t| !t.is_empty());
                match target {
                    Some(target) => {
                        self.respond(msg, 202, "Accepted", None);
                        self.event(OutgoingEvent::Referred { target });
                    }
                    None => self.respond(msg, 400, "Missing Refer-To", None),
                }
            }
            _ => self.respond(msg, 405, "Method Not Allowed", None),
        }
    }

    /// Answers a request of the peer; a 2xx to INVITE, UPDATE or REFER carries our Contact,
    /// and `sdp` goes in the body.
    fn respond(&mut self, msg: &Message<'_>, status: u16, reason: &str, sdp: Option<&str>) {
        let mut b = MessageBuilder::response_to(msg, status, reason, None);
        let refresh = matches!(
            msg.method(),
            Method::Invite | Method::Update | Method::Refer
        );
        if (200..300).contains(&status) && refresh && !self.contact.is_empty() {
            b = b.header(HeaderName::Contact, &self.contact);
        }
        if let Some(sdp) = sdp {
            b = b.body("application/sdp", sdp.as_bytes());
        }
        if let Ok(r) = b.build() {
            self.answered = Some((msg.cseq().seq(), msg.cseq().method().to_owned(), r.clone()));
            self.out.push_back(OutgoingOutput::Send(r));
        }
    }

    /// Tells the peer how the transfer it asked for goes (RFC 3515 §2.4.5): a NOTIFY with the
    /// status line of the new call as `message/sipfrag` — `100 Trying` while it rings, then
    /// its final status (`200 OK` when answered), which ends the implicit subscription.
    pub fn notify_refer(&mut self, status: u16, reason: &str, now: Instant) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let seq = dialog.local_seq + 1;
        let state = if status < 200 {
            "active;expires=60"
        } else {
            "terminated;reason=noresource"
        };
        let mut b = dialog
            .request(Method::Notify)
            .header(
                HeaderName::Via,
                format!("{};branch=z9hG4bK{}n{seq}", self.via, dialog.id.local_tag),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::Event, "refer")
            .header(HeaderName::Other("Subscription-State"), state);
        if !self.contact.is_empty() {
            b = b.header(HeaderName::Contact, &self.contact);
        }
        let notify = b
            .body(
                "message/sipfrag;version=2.0",
                format!("SIP/2.0 {status} {reason}\r\n"),
            )
            .build();
        if let Ok(Ok(tx)) =
            notify.map(|n| ClientTransaction::new(n, self.reliable, self.timers, now))
        {
            self.notifies.push(tx);
            self.drain(now);
        }
    }

    /// Cancels the call before its answer (CANCEL), or hangs up after (BYE).
    pub fn hangup(&mut self, now: Instant) {
        match self.state {
            OutgoingState::Calling => self.send_cancel(now),
            OutgoingState::Confirmed => self.send_bye(now),
            OutgoingState::Ending | OutgoingState::Ended => {}
        }
    }

    fn send_cancel(&mut self, now: Instant) {
        let invite_bytes = self.invite.clone();
        let Ok(invite) = Message::parse(&invite_bytes) else {
            return;
        };
        // §9.1: Request-URI, Call-ID, To, From, CSeq number and the top Via of the INVITE.
        let top_via = invite
            .header(HeaderName::Via)
            .map(|h| h.value().into_owned());
        let (Some(uri), Some(via), Some(from), Some(to)) = (
            invite.request_uri().map(|u| u.as_str().to_owned()),
            top_via,
            invite
                .header(HeaderName::From)
                .map(|h| h.value().into_owned()),
            invite
                .header(HeaderName::To)
                .map(|h| h.value().into_owned()),
        ) else {
            return;
        };
        let cancel = MessageBuilder::request(Method::Cancel, &uri)
            .header(HeaderName::Via, via)
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::From, from)
            .header(HeaderName::To, to)
            .header(HeaderName::CallId, invite.call_id())
            .header(HeaderName::CSeq, format!("{} CANCEL", invite.cseq().seq()))
            .build();
        if let Ok(Ok(tx)) =
            cancel.map(|c| ClientTransaction::new(c, self.reliable, self.timers, now))
        {
            self.ending = Some(tx);
            self.state = OutgoingState::Ending;
        }
        // The 487 to the INVITE ends the call (Failed(487)); Timer B ends it if nothing comes.
        self.drain(now);
    }

    fn send_bye(&mut self, now: Instant) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let seq = dialog.local_seq + 1;
        let bye = dialog
            .request(Method::Bye)
            .header(
                HeaderName::Via,
                format!("{};branch=z9hG4bK{}b{seq}", self.via, dialog.id.local_tag),
            )
            .header(HeaderName::MaxForwards, "70")
            .build();
        match bye.map(|b| ClientTransaction::new(b, self.reliable, self.timers, now)) {
            Ok(Ok(tx)) => {
                self.ending = Some(tx);
                self.state = OutgoingState::Ending;
                self.drain(now);
            }
            _ => self.end(OutgoingEvent::LocalHangup),
        }
    }

    /// The next session-timer deadline while the call is up.
    fn session_deadline(&self) -> Option<Instant> {
        if self.state != OutgoingState::Confirmed {
            return None;
        }
        self.session.as_ref()?.deadline()
    }

    /// Acts on what the session timer asks.
    fn session_due(&mut self, due: RefreshDue, now: Instant) {
        match due {
            RefreshDue::Nothing => {}
            RefreshDue::Expired => {
                self.expired = true;
                self.send_bye(now);
            }
            RefreshDue::Refresh => {
                let (Some(session), Some(dialog)) = (self.session.as_mut(), self.dialog.as_mut())
                else {
                    return;
                };
                let tag = dialog.id.local_tag.clone();
                let from = RefreshSender {
                    via: &self.via,
                    tag: &tag,
                    contact: &self.contact,
                    refresher: Refresher::Uac,
                };
                let out = &mut self.out;
                let due =
                    session.refresh(dialog, from, self.reliable, self.timers, now, &mut |b| {
                        out.push_back(OutgoingOutput::Send(b));
                    });
                self.session_due(due, now);
            }
        }
    }

    /// Fires the timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        if self.state == OutgoingState::Confirmed {
            let out = &mut self.out;
            if let Some(session) = self.session.as_mut() {
                let due = session.on_timeout(now, &mut |b| out.push_back(OutgoingOutput::Send(b)));
                self.session_due(due, now);
            }
        }
        if let Some(tx) = self.tx.as_mut() {
            tx.on_timeout(now);
        }
        if let Some(tx) = self.ending.as_mut() {
            tx.on_timeout(now);
        }
        for tx in &mut self.notifies {
            tx.on_timeout(now);
        }
        self.drain(now);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const INVITE: &[u8] = b"INVITE sip:1001@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo1\r\nFrom: <sip:1500112@127.0.0.1>;tag=cc\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: leg2\r\nCSeq: 1 INVITE\r\nContact: <sip:1500112@127.0.0.1:5060>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    const VIA: &str = "SIP/2.0/UDP 127.0.0.1:5060";

    fn t0() -> Instant {
        use sambung_core::clock::{Clock, SimulatedClock};
        SimulatedClock::new(jiff::Timestamp::UNIX_EPOCH).now()
    }

    fn response(status: u16, method: &str, seq: u32, body: &str) -> Vec<u8> {
        format!("SIP/2.0 {status} X\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo1\r\nFrom: <sip:1500112@127.0.0.1>;tag=cc\r\nTo: <sip:1001@127.0.0.1>;tag=ag\r\nCall-ID: leg2\r\nCSeq: {seq} {method}\r\nContact: <sip:1001@127.0.0.1:5070>\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    fn drain(call: &mut OutgoingCall) -> (Vec<Vec<u8>>, Vec<OutgoingEvent>) {
        let (mut sent, mut events) = (Vec::new(), Vec::new());
        while let Some(o) = call.poll_output() {
            match o {
                OutgoingOutput::Send(b) => sent.push(b),
                OutgoingOutput::Event(e) => events.push(e),
            }
        }
        (sent, events)
    }

    fn method(b: &[u8]) -> String {
        Message::parse(b)
            .map(|m| m.method().as_str().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn answered_acked_and_hung_up_by_us() {
        let t = t0();
        let mut call =
            OutgoingCall::new(INVITE.to_vec(), VIA, false, Timers::default(), t).unwrap();
        assert_eq!(method(&drain(&mut call).0[0]), "INVITE");
        call.on_message(&response(180, "INVITE", 1, ""), t);
        assert_eq!(drain(&mut call).1, [OutgoingEvent::Ringing(180)]);
        call.on_message(&response(200, "INVITE", 1, "v=0\r\n"), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(events, [OutgoingEvent::Answered(b"v=0\r\n".to_vec())]);
        let ack = Message::parse(&sent[0]).unwrap();
        assert_eq!((ack.method(), ack.cseq().seq()), (Method::Ack, 1));
        assert_eq!(
            ack.request_uri().unwrap().as_str(),
            "sip:1001@127.0.0.1:5070"
        );
        assert_eq!(ack.to().tag(), Some("ag"));
        // A retransmitted 200 gets the same ACK.
        call.on_message(&response(200, "INVITE", 1, "v=0\r\n"), t);
        assert_eq!(drain(&mut call).0, [sent[0].clone()]);
        call.hangup(t + Duration::from_secs(5));
        let (sent, _) = drain(&mut call);
        assert_eq!(method(&sent[0]), "BYE");
        assert_eq!(Message::parse(&sent[0]).unwrap().cseq().seq(), 2);
        // The answer to the BYE carries the BYE's own branch (a copy of the INVITE's would
        // not be for it, RFC 3261 §17.1.3).
        let bye = Message::parse(&sent[0]).unwrap();
        let ok = MessageBuilder::response_to(&bye, 200, "OK", None)
            .build()
            .unwrap();
        call.on_message(&response(200, "BYE", 2, ""), t + Duration::from_secs(5));
        assert!(drain(&mut call).1.is_empty());
        call.on_message(&ok, t + Duration::from_secs(5));
        assert_eq!(drain(&mut call).1, [OutgoingEvent::LocalHangup]);
        assert_eq!(call.state(), OutgoingState::Ended);
    }

    #[test]
    fn the_peer_hangs_up() {
        let t = t0();
        let mut call = OutgoingCall::new(INVITE.to_vec(), VIA, true, Timers::default(), t).unwrap();
        call.on_message(&response(200, "INVITE", 1, ""), t);
        drain(&mut call);
        let bye = "BYE sip:1500112@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKb\r\nFrom: <sip:1001@127.0.0.1>;tag=ag\r\nTo: <sip:1500112@127.0.0.1>;tag=cc\r\nCall-ID: leg2\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n";
        call.on_message(bye.as_bytes(), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(Message::parse(&sent[0]).unwrap().status(), Some(200));
        assert_eq!(events, [OutgoingEvent::RemoteHangup]);
    }

    /// A request from the agent's phone inside the call.
    fn from_peer(method: &str, seq: u32, extra: &str, body: &str) -> Vec<u8> {
        format!("{method} sip:1500112@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{method}{seq}\r\nFrom: <sip:1001@127.0.0.1>;tag=ag\r\nTo: <sip:1500112@127.0.0.1>;tag=cc\r\nCall-ID: leg2\r\nCSeq: {seq} {method}\r\nContact: <sip:1001@127.0.0.1:5070>\r\n{extra}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn hold_and_resume_from_the_peer_are_answered_with_our_media() {
        let t = t0();
        let ours = "v=0\r\no=sambung 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=sendrecv\r\n";
        let invite = String::from_utf8_lossy(INVITE).replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{ours}",
                ours.len()
            ),
        );
        let mut call =
            OutgoingCall::new(invite.into_bytes(), VIA, false, Timers::default(), t).unwrap();
        call.on_message(&response(200, "INVITE", 1, ""), t);
        drain(&mut call);
        let hold = "v=0\r\no=- 5 6 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=sendonly\r\n";
        let reinvite = from_peer("INVITE", 2, "Content-Type: application/sdp\r\n", hold);
        call.on_message(&reinvite, t);
        let (sent, events) = drain(&mut call);
        let ok = Message::parse(&sent[0]).unwrap();
        assert_eq!(ok.status(), Some(200));
        let body = String::from_utf8_lossy(ok.body()).into_owned();
        assert!(
            body.contains("a=recvonly") && body.contains("m=audio 30000"),
            "{body}"
        );
        assert!(body.contains("o=sambung 1 2 "), "{body}");
        assert_eq!(
            events,
            [OutgoingEvent::Reoffered {
                held: true,
                remote: Some("127.0.0.1:40000".parse().unwrap())
            }]
        );
        // Its retransmission gets the same answer, and no second event.
        call.on_message(&reinvite, t);
        assert_eq!(drain(&mut call), (vec![sent[0].clone()], vec![]));
        let resume = hold.replace("sendonly", "sendrecv");
        call.on_message(
            &from_peer("INVITE", 3, "Content-Type: application/sdp\r\n", &resume),
            t,
        );
        let (sent, events) = drain(&mut call);
        let body = String::from_utf8_lossy(Message::parse(&sent[0]).unwrap().body()).into_owned();
        assert!(
            body.contains("a=sendrecv") && body.contains("o=sambung 1 3 "),
            "{body}"
        );
        assert!(matches!(
            events[..],
            [OutgoingEvent::Reoffered { held: false, .. }]
        ));
        // An offer that is not SDP: 488, and the call goes on.
        call.on_message(
            &from_peer("INVITE", 4, "Content-Type: application/sdp\r\n", "junk"),
            t,
        );
        let (sent, events) = drain(&mut call);
        assert_eq!(Message::parse(&sent[0]).unwrap().status(), Some(488));
        assert!(events.is_empty());
        assert_eq!(call.state(), OutgoingState::Confirmed);
    }

    #[test]
    fn a_refer_is_accepted_and_its_progress_notified() {
        let t = t0();
        let mut call =
            OutgoingCall::new(INVITE.to_vec(), VIA, false, Timers::default(), t).unwrap();
        call.on_message(&response(200, "INVITE", 1, ""), t);
        drain(&mut call);
        // Without Refer-To: 400.
        call.on_message(&from_peer("REFER", 2, "", ""), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(Message::parse(&sent[0]).unwrap().status(), Some(400));
        assert!(events.is_empty());
        call.on_message(
            &from_peer("REFER", 3, "Refer-To: <sip:1002@127.0.0.1>\r\n", ""),
            t,
        );
        let (sent, events) = drain(&mut call);
        let accepted = Message::parse(&sent[0]).unwrap();
        assert_eq!(accepted.status(), Some(202));
        assert_eq!(
            events,
            [OutgoingEvent::Referred {
                target: "sip:1002@127.0.0.1".into()
            }]
        );
        let before = call.poll_timeout();
        call.notify_refer(100, "Trying", t);
        call.notify_refer(200, "OK", t);
        let (sent, _) = drain(&mut call);
        assert_eq!(sent.len(), 2);
        let last = Message::parse(&sent[1]).unwrap();
        assert_eq!(last.method(), Method::Notify);
        assert_eq!(last.body(), b"SIP/2.0 200 OK\r\n");
        let state = last
            .header(HeaderName::Other("Subscription-State"))
            .map(|h| h.value().into_owned());
        assert_eq!(state.as_deref(), Some("terminated;reason=noresource"));
        assert_eq!(
            last.header(HeaderName::Event)
                .map(|h| h.value().into_owned())
                .as_deref(),
            Some("refer")
        );
        // Unanswered NOTIFYs are retransmitted (Timer E); answered, they stop.
        assert!(call.poll_timeout() < before);
        for notify in &sent {
            let notify = Message::parse(notify).unwrap();
            let ok = MessageBuilder::response_to(&notify, 200, "OK", None)
                .build()
                .unwrap();
            call.on_message(&ok, t);
        }
        drain(&mut call);
        assert_eq!(call.poll_timeout(), before);
    }

    #[test]
    fn a_carriers_challenge_is_answered_once() {
        let t = t0();
        let mut call = OutgoingCall::new(INVITE.to_vec(), VIA, false, Timers::default(), t)
            .unwrap()
            .with_credentials("bnpt", "secret");
        drain(&mut call);
        let challenge = "SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKo1\r\nFrom: <sip:1500112@127.0.0.1>;tag=cc\r\nTo: <sip:1001@127.0.0.1>;tag=p\r\nCall-ID: leg2\r\nCSeq: 1 INVITE\r\nProxy-Authenticate: Digest realm=\"carrier\", nonce=\"abc\", qop=\"auth\"\r\nContent-Length: 0\r\n\r\n";
        call.on_message(challenge.as_bytes(), t);
        let (sent, events) = drain(&mut call);
        assert!(events.is_empty(), "{events:?}");
        // The 407 is acknowledged, and the INVITE goes again with the next CSeq and credentials.
        let methods: Vec<String> = sent.iter().map(|b| method(b)).collect();
        assert_eq!(methods, ["ACK", "INVITE"]);
        let again = Message::parse(&sent[1]).unwrap();
        assert_eq!(again.cseq().seq(), 2);
        let auth = again
            .header(HeaderName::ProxyAuthorization)
            .map(|h| h.value().into_owned())
            .unwrap();
        assert!(
            auth.contains("username=\"bnpt\"") && auth.contains("realm=\"carrier\""),
            "{auth}"
        );
        assert_ne!(again.via().branch(), Some("z9hG4bKo1"), "a new transaction");
        assert_eq!(again.call_id(), "leg2");
        // A second challenge fails the call.
        let second = challenge
            .replace("CSeq: 1 INVITE", "CSeq: 2 INVITE")
            .replace("z9hG4bKo1", again.via().branch().unwrap());
        call.on_message(second.as_bytes(), t);
        assert_eq!(drain(&mut call).1, [OutgoingEvent::Failed(407)]);
    }

    #[test]
    fn cancelled_before_the_answer_then_487() {
        let t = t0();
        let mut call =
            OutgoingCall::new(INVITE.to_vec(), VIA, false, Timers::default(), t).unwrap();
        drain(&mut call);
        call.on_message(&response(180, "INVITE", 1, ""), t);
        drain(&mut call);
        call.hangup(t + Duration::from_secs(15));
        let (sent, _) = drain(&mut call);
        let cancel = Message::parse(&sent[0]).unwrap();
        assert_eq!((cancel.method(), cancel.cseq().seq()), (Method::Cancel, 1));
        assert_eq!(cancel.via().branch(), Some("z9hG4bKo1"));
        call.on_message(&response(200, "CANCEL", 1, ""), t);
        call.on_message(&response(487, "INVITE", 1, ""), t);
        let (sent, events) = drain(&mut call);
        assert_eq!(method(&sent[0]), "ACK");
        assert_eq!(events, [OutgoingEvent::Failed(487)]);
    }

    #[test]
    fn nothing_answers_then_408() {
        let t = t0();
        let mut call =
            OutgoingCall::new(INVITE.to_vec(), VIA, false, Timers::default(), t).unwrap();
        let mut invites = 0;
        for _ in 0..20 {
            let Some(next) = call.poll_timeout() else {
                break;
            };
            call.on_timeout(next);
            let (sent, events) = drain(&mut call);
            invites += sent.iter().filter(|b| method(b) == "INVITE").count();
            if events == [OutgoingEvent::Failed(408)] {
                break;
            }
        }
        assert_eq!(call.state(), OutgoingState::Ended);
        assert!(invites >= 6, "{invites} retransmissions");
        assert!(OutgoingCall::new(b"junk".to_vec(), VIA, false, Timers::default(), t).is_err());
    }
}
