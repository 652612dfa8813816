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
            out: VecDeque::new(),
        };
        call.drain(now);
        Ok(call)
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
        ]
        .into_iter()
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
            self.end(OutgoingEvent::LocalHangup);
        }
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
                    self.event(OutgoingEvent::Answered(resp.body().to_vec()));
                }
            }
            _ => self.end(OutgoingEvent::Failed(status)),
        }
    }

    /// A message of this call from the peer (same Call-ID).
    pub fn on_message(&mut self, bytes: &[u8], now: Instant) {
        let Ok(msg) = Message::parse(bytes) else {
            return;
        };
        if msg.status().is_some() {
            match msg.cseq().method() {
                "INVITE" => {
                    if let Some(tx) = self.tx.as_mut() {
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
        let status = match (&mut self.dialog, msg.method()) {
            (Some(d), Method::Bye) => match d.on_request(&msg) {
                Ok(()) => 200,
                Err(e) => e.status(),
            },
            (Some(d), Method::Invite | Method::Update | Method::Info | Method::Options) => {
                match d.on_request(&msg) {
                    Ok(()) => 200,
                    Err(e) => e.status(),
                }
            }
            (Some(_), Method::Ack) => return,
            _ => 481,
        };
        if let Ok(r) = MessageBuilder::response_to(
            &msg,
            status,
            if status == 200 { "OK" } else { "Refused" },
            None,
        )
        .build()
        {
            self.out.push_back(OutgoingOutput::Send(r));
        }
        if status == 200 && msg.method() == Method::Bye {
            self.ending = None;
            self.end(OutgoingEvent::RemoteHangup);
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

    /// Fires the timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) {
        if let Some(tx) = self.tx.as_mut() {
            tx.on_timeout(now);
        }
        if let Some(tx) = self.ending.as_mut() {
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
        call.on_message(&response(200, "BYE", 2, ""), t + Duration::from_secs(5));
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
