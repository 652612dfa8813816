//! B2BUA building blocks: which headers of the caller's request cross to the outgoing leg
//! ([`HeaderPolicy`], applied by [`outgoing_invite`]), and a [`CallBridge`] that joins an
//! [`IncomingCall`] and an [`OutgoingCall`], sans-IO: ringing, answer, rejection, CANCEL and
//! BYE go from one leg to the other.
//!
//! A B2BUA hides each side from the other: Via, Route, Record-Route, Contact, Call-ID, CSeq,
//! the tags, Max-Forwards (decremented) and the credentials are always its own, whatever the
//! policy says ([`NEVER_CROSS`]). Other headers cross only if the policy passes them.
//!
//! ```
//! use sambung_sip::b2bua::{HeaderPolicy, Identity, OutgoingLeg, outgoing_invite};
//! use sambung_sip::{HeaderName, Message};
//! let invite = b"INVITE sip:110@pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nFrom: \"Budi\" <sip:0812555@carrier.example>;tag=a\r\nTo: <sip:110@pbx.example>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:0812555@198.51.100.7>\r\nSubject: laporan\r\nX-Carrier-Secret: 42\r\nContent-Length: 0\r\n\r\n";
//! let incoming = Message::parse(invite)?;
//! let policy = HeaderPolicy::default().identity(Identity::Pass);
//! let leg = OutgoingLeg::new("sip:agent1001@10.0.0.5", "SIP/2.0/UDP 10.0.0.1:5060", "<sip:pbx@10.0.0.1:5060>")
//!     .ids("b2b-c1", "z9hG4bK-b1", "t1");
//! let out = outgoing_invite(&incoming, &policy, &leg, None).unwrap();
//! let m = Message::parse(&out)?;
//! assert_eq!(m.max_forwards(), Some(69));
//! assert_eq!(m.call_id(), "b2b-c1");
//! assert!(m.header(HeaderName::Subject).is_some());
//! assert!(m.header(HeaderName::Other("X-Carrier-Secret")).is_none());
//! assert_eq!(m.from().uri().as_str(), "sip:0812555@carrier.example");
//! # Ok::<(), sambung_sip::ParseError>(())
//! ```

use std::collections::VecDeque;
use std::time::Instant;

use crate::uac::{OutgoingCall, OutgoingEvent, OutgoingOutput, OutgoingState};
use crate::uas::{CallError, CallEvent, CallOutput, CallState, EndReason, IncomingCall};
use crate::{BuildError, HeaderName, Message, MessageBuilder};

/// Headers a B2BUA always writes itself: a policy never passes them.
pub const NEVER_CROSS: &[&str] = &[
    "Via",
    "Route",
    "Record-Route",
    "Contact",
    "Call-ID",
    "CSeq",
    "From",
    "To",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Path",
    "Service-Route",
    "Require",
    "Proxy-Require",
    "Supported",
];

/// Headers that cross by default: what the caller says about the call, not about the route.
const DEFAULT_PASS: &[&str] = &[
    "Subject",
    "Priority",
    "Alert-Info",
    "Call-Info",
    "Accept-Language",
    "User-to-User",
    "P-Asserted-Identity",
    "Privacy",
];

/// Who the outgoing leg says is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The caller's From (display name and URI), with our tag.
    Pass,
    /// `"Anonymous" <sip:anonymous@anonymous.invalid>` (RFC 3323).
    Anonymous,
    /// This name-addr (for example the call center's own number).
    Replace(String),
}

/// What of the caller's request crosses to the outgoing leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderPolicy {
    /// Header names that cross (lowercase).
    pass: Vec<String>,
    /// Headers added to every outgoing request, after those that crossed.
    set: Vec<(String, String)>,
    identity: Identity,
}

impl Default for HeaderPolicy {
    /// Passes the call's descriptive headers (Subject, Priority, Alert-Info, Call-Info,
    /// Accept-Language, User-to-User, P-Asserted-Identity, Privacy) and the caller's identity.
    fn default() -> Self {
        Self {
            pass: DEFAULT_PASS
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect(),
            set: Vec::new(),
            identity: Identity::Pass,
        }
    }
}

fn never_crosses(name: &str) -> bool {
    NEVER_CROSS.iter().any(|n| n.eq_ignore_ascii_case(name))
}

impl HeaderPolicy {
    /// A policy that passes no header and hides the caller (`Anonymous`).
    pub fn strict() -> Self {
        Self {
            pass: Vec::new(),
            set: Vec::new(),
            identity: Identity::Anonymous,
        }
    }

    /// Lets `name` cross (ignored for the headers in [`NEVER_CROSS`]).
    #[must_use]
    pub fn pass(mut self, name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        if !never_crosses(&name) && !self.pass.contains(&name) {
            self.pass.push(name);
        }
        self
    }

    /// Stops `name` from crossing.
    #[must_use]
    pub fn strip(mut self, name: &str) -> Self {
        self.pass.retain(|n| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Writes `name: value` on every outgoing request, instead of any that would cross.
    #[must_use]
    pub fn set(mut self, name: &str, value: &str) -> Self {
        if !never_crosses(name) {
            self = self.strip(name);
            self.set.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Who the outgoing leg says is calling.
    #[must_use]
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Whether a header of this name crosses.
    pub fn crosses(&self, name: &str) -> bool {
        !never_crosses(name) && self.pass.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Adds to `builder` the headers of `incoming` that cross, then the ones the policy sets.
    pub fn apply(&self, incoming: &Message<'_>, mut builder: MessageBuilder) -> MessageBuilder {
        for h in incoming.headers() {
            let name = h.name();
            if self.crosses(name.as_str()) {
                builder = builder.header(name, h.value().as_bytes());
            }
        }
        for (name, value) in &self.set {
            builder = builder.header(HeaderName::Other(name.as_str()), value);
        }
        builder
    }

    /// The outgoing From (without tag) for a caller's request.
    pub fn from_value(&self, incoming: &Message<'_>) -> String {
        match &self.identity {
            Identity::Pass => {
                let from = incoming.from();
                match from.display_name_raw() {
                    Some(d) => format!("{d} <{}>", from.uri()),
                    None => format!("<{}>", from.uri()),
                }
            }
            Identity::Anonymous => "\"Anonymous\" <sip:anonymous@anonymous.invalid>".to_owned(),
            Identity::Replace(name_addr) => name_addr.clone(),
        }
    }
}

/// Where and how the outgoing leg is sent: the B2BUA's own identifiers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingLeg {
    /// Request-URI (the agent's Contact, the trunk's URI).
    pub target: String,
    /// To, as written; `<target>` when empty.
    pub to: String,
    /// Our Via without branch (`SIP/2.0/UDP 10.0.0.1:5060`).
    pub via: String,
    /// Our Contact, as written (`<sip:pbx@10.0.0.1:5060>`).
    pub contact: String,
    /// The new Call-ID.
    pub call_id: String,
    /// The branch of the new transaction (`z9hG4bK…`).
    pub branch: String,
    /// Our From tag.
    pub from_tag: String,
}

impl OutgoingLeg {
    /// A leg to `target` from `via` and `contact`; set the identifiers with [`OutgoingLeg::ids`].
    pub fn new(target: &str, via: &str, contact: &str) -> Self {
        Self {
            target: target.to_owned(),
            to: String::new(),
            via: via.to_owned(),
            contact: contact.to_owned(),
            call_id: String::new(),
            branch: String::new(),
            from_tag: String::new(),
        }
    }

    /// With its Call-ID, branch and From tag.
    #[must_use]
    pub fn ids(mut self, call_id: &str, branch: &str, from_tag: &str) -> Self {
        call_id.clone_into(&mut self.call_id);
        branch.clone_into(&mut self.branch);
        from_tag.clone_into(&mut self.from_tag);
        self
    }
}

/// Why the outgoing INVITE was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum B2buaError {
    /// Max-Forwards reached zero: answer the caller `483 Too Many Hops`.
    #[error("Max-Forwards exhausted")]
    TooManyHops,
    /// The message would not be valid SIP.
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl B2buaError {
    /// The response for the caller.
    pub fn status(&self) -> u16 {
        match self {
            Self::TooManyHops => 483,
            Self::Build(_) => 500,
        }
    }
}

/// The INVITE of the outgoing leg for `incoming`: our identifiers, the policy's headers,
/// Max-Forwards one less, and `sdp` as body (the media relay's offer) or the caller's.
pub fn outgoing_invite(
    incoming: &Message<'_>,
    policy: &HeaderPolicy,
    leg: &OutgoingLeg,
    sdp: Option<&str>,
) -> Result<Vec<u8>, B2buaError> {
    let hops = incoming.max_forwards().unwrap_or(70);
    if hops == 0 {
        return Err(B2buaError::TooManyHops);
    }
    let to = if leg.to.is_empty() {
        format!("<{}>", leg.target)
    } else {
        leg.to.clone()
    };
    let mut b = MessageBuilder::request(crate::Method::Invite, &leg.target)
        .header(
            HeaderName::Via,
            format!("{};branch={}", leg.via, leg.branch),
        )
        .header(HeaderName::MaxForwards, (hops - 1).to_string())
        .header(
            HeaderName::From,
            format!("{};tag={}", policy.from_value(incoming), leg.from_tag),
        )
        .header(HeaderName::To, to)
        .header(HeaderName::CallId, &leg.call_id)
        .header(HeaderName::CSeq, "1 INVITE")
        .header(HeaderName::Contact, &leg.contact);
    b = policy.apply(incoming, b);
    let body: Option<(String, Vec<u8>)> = match sdp {
        Some(s) => Some(("application/sdp".to_owned(), s.as_bytes().to_vec())),
        None if !incoming.body().is_empty() => Some((
            incoming
                .header(HeaderName::ContentType)
                .map_or_else(|| "application/sdp".to_owned(), |h| h.value().into_owned()),
            incoming.body().to_vec(),
        )),
        None => None,
    };
    if let Some((content_type, body)) = body {
        b = b.body(&content_type, body);
    }
    Ok(b.build()?)
}

/// What the bridge gives its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeOutput {
    /// Send to the caller.
    ToCaller(Vec<u8>),
    /// Send to the callee.
    ToCallee(Vec<u8>),
    /// The call is over on both legs: how the caller's leg ended.
    Ended(EndReason),
}

/// An incoming call and the outgoing call made for it, joined.
#[derive(Debug)]
pub struct CallBridge {
    caller: IncomingCall,
    callee: OutgoingCall,
    /// The SDP the caller is answered with (the relay's), or `None` to pass the callee's.
    answer_sdp: Option<String>,
    ended: Option<EndReason>,
    reported: bool,
    out: VecDeque<BridgeOutput>,
}

impl CallBridge {
    /// Joins `caller` (already sent `100 Trying`) and `callee` (its INVITE already queued).
    /// The caller is answered with `answer_sdp` when given, else with the callee's answer.
    pub fn new(caller: IncomingCall, callee: OutgoingCall, answer_sdp: Option<String>) -> Self {
        let mut bridge = Self {
            caller,
            callee,
            answer_sdp,
            ended: None,
            reported: false,
            out: VecDeque::new(),
        };
        bridge.pump(None);
        bridge
    }

    /// The caller's leg.
    pub fn caller(&self) -> &IncomingCall {
        &self.caller
    }

    /// The callee's leg.
    pub fn callee(&self) -> &OutgoingCall {
        &self.callee
    }

    /// A message from the caller.
    pub fn on_caller_message(&mut self, bytes: &[u8], now: Instant) {
        self.caller.on_message(bytes, now);
        self.pump(Some(now));
    }

    /// A message from the callee.
    pub fn on_callee_message(&mut self, bytes: &[u8], now: Instant) {
        self.callee.on_message(bytes, now);
        self.pump(Some(now));
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<BridgeOutput> {
        self.out.pop_front()
    }

    /// When [`CallBridge::on_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.caller.poll_timeout(), self.callee.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Timers.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.caller.poll_timeout().is_some_and(|t| t <= now) {
            self.caller.on_timeout(now);
        }
        if self.callee.poll_timeout().is_some_and(|t| t <= now) {
            self.callee.on_timeout(now);
        }
        self.pump(Some(now));
    }

    /// Moves what each leg produced to the driver, and what each leg's events mean to the
    /// other leg.
    fn pump(&mut self, now: Option<Instant>) {
        // A leg's reaction may make the other leg produce more: go round until both are quiet.
        for _ in 0..8 {
            let mut moved = false;
            while let Some(o) = self.callee.poll_output() {
                moved = true;
                match o {
                    OutgoingOutput::Send(b) => self.out.push_back(BridgeOutput::ToCallee(b)),
                    OutgoingOutput::Event(e) => self.on_callee_event(e, now),
                }
            }
            while let Some(o) = self.caller.poll_output() {
                moved = true;
                match o {
                    CallOutput::Send(b) => self.out.push_back(BridgeOutput::ToCaller(b)),
                    CallOutput::Event(e) => self.on_caller_event(&e, now),
                }
            }
            if !moved {
                break;
            }
        }
        if !self.reported
            && let Some(reason) = self.ended
            && self.callee.state() == OutgoingState::Ended
            && self.caller.state() == CallState::Ended
        {
            self.reported = true;
            self.out.push_back(BridgeOutput::Ended(reason));
        }
    }

    fn on_callee_event(&mut self, event: OutgoingEvent, now: Option<Instant>) {
        let Some(now) = now else { return };
        let result: Result<(), CallError> = match event {
            OutgoingEvent::Ringing(code) => self.caller.provisional(code, "Ringing"),
            OutgoingEvent::Answered(sdp) => {
                let sdp = self
                    .answer_sdp
                    .clone()
                    .unwrap_or_else(|| String::from_utf8_lossy(&sdp).into_owned());
                self.caller.answer(&sdp, now)
            }
            OutgoingEvent::Failed(code) => {
                // A cancelled callee leg was our doing: the caller is already gone.
                if self.caller.state() == CallState::Ended {
                    Ok(())
                } else {
                    let code = if code == 487 { 480 } else { code };
                    self.caller.reject(code, "Callee Failed")
                }
            }
            OutgoingEvent::RemoteHangup => {
                self.caller.hangup(now);
                Ok(())
            }
            _ => Ok(()),
        };
        // A refusal here means the caller's leg moved on first (it hung up): nothing to do.
        let _ = result;
    }

    fn on_caller_event(&mut self, event: &CallEvent, now: Option<Instant>) {
        if let CallEvent::Ended(reason) = event {
            self.ended.get_or_insert(*reason);
            if let Some(now) = now
                && !matches!(
                    self.callee.state(),
                    OutgoingState::Ended | OutgoingState::Ending
                )
            {
                // CANCEL before the answer, BYE after it.
                self.callee.hangup(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:110@pbx.example SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\nMax-Forwards: 1\r\nFrom: \"Budi\" <sip:0812555@carrier.example>;tag=a\r\nTo: <sip:110@pbx.example>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:0812555@198.51.100.7>\r\nRecord-Route: <sip:edge.carrier.example;lr>\r\nSubject: laporan\r\nPriority: emergency\r\nX-Internal: secret\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";

    fn leg() -> OutgoingLeg {
        OutgoingLeg::new(
            "sip:1001@10.0.0.5",
            "SIP/2.0/UDP 10.0.0.1:5060",
            "<sip:pbx@10.0.0.1>",
        )
        .ids("new-call", "z9hG4bK-x", "ft")
    }

    #[test]
    fn the_policy_decides_what_crosses_and_topology_never_does() {
        let incoming = Message::parse(INVITE).unwrap();
        let policy = HeaderPolicy::default()
            .strip("Priority")
            .pass("X-Internal")
            .pass("Record-Route")
            .set("Subject", "BNPT hotline");
        let out = outgoing_invite(&incoming, &policy, &leg(), Some("v=0\r\n")).unwrap();
        let m = Message::parse(&out).unwrap();
        assert_eq!(m.max_forwards(), Some(0));
        assert!(m.header(HeaderName::Other("Priority")).is_none());
        assert!(m.header(HeaderName::Other("X-Internal")).is_some());
        assert!(m.header(HeaderName::RecordRoute).is_none(), "never crosses");
        assert_eq!(m.vias().count(), 1);
        assert_eq!(m.call_id(), "new-call");
        assert_eq!(m.from().tag(), Some("ft"));
        let subjects: Vec<_> = m
            .headers_named(HeaderName::Subject)
            .map(|h| h.value().into_owned())
            .collect();
        assert_eq!(subjects, ["BNPT hotline"]);
        assert_eq!(m.body(), b"v=0\r\n");
    }

    #[test]
    fn identity_is_passed_hidden_or_replaced() {
        let incoming = Message::parse(INVITE).unwrap();
        let anonymous = outgoing_invite(&incoming, &HeaderPolicy::strict(), &leg(), None).unwrap();
        let m = Message::parse(&anonymous).unwrap();
        assert_eq!(m.from().uri().as_str(), "sip:anonymous@anonymous.invalid");
        assert!(m.header(HeaderName::Subject).is_none());
        assert_eq!(m.body(), b"v=0\n", "the caller's SDP when none is given");
        let replaced =
            HeaderPolicy::default().identity(Identity::Replace("<sip:110@bnpt.go.id>".into()));
        let m2 = outgoing_invite(&incoming, &replaced, &leg(), None).unwrap();
        assert_eq!(
            Message::parse(&m2).unwrap().from().uri().as_str(),
            "sip:110@bnpt.go.id"
        );
    }

    #[test]
    fn no_hops_left_is_483() {
        let exhausted =
            String::from_utf8_lossy(INVITE).replace("Max-Forwards: 1", "Max-Forwards: 0");
        let incoming = Message::parse(exhausted.as_bytes()).unwrap();
        let e = outgoing_invite(&incoming, &HeaderPolicy::default(), &leg(), None).unwrap_err();
        assert_eq!((e.clone(), e.status()), (B2buaError::TooManyHops, 483));
    }
}
