//! Session timers (RFC 4028): a call is refreshed now and then by re-INVITE or UPDATE, so
//! that one whose other end vanished (a phone unplugged, a NAT binding gone) is ended rather
//! than held open for ever, with its agent and its trunk channel.
//!
//! This module negotiates the interval and who refreshes, sans-IO; [`crate::uas::IncomingCall`]
//! uses it when given a [`SessionTimerConfig`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_sip::Message;
//! use sambung_sip::session_timer::{Negotiated, Refresher, SessionTimerConfig, negotiate_uas};
//! let invite = b"INVITE sip:110@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:110@pbx>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 1200\r\nMin-SE: 90\r\nContent-Length: 0\r\n\r\n";
//! let m = Message::parse(invite)?;
//! let Negotiated::Timer { interval, refresher } = negotiate_uas(&m, &SessionTimerConfig::default())
//! else { unreachable!() };
//! assert_eq!((interval, refresher), (1200, Refresher::Uac));
//! # Ok::<(), sambung_sip::ParseError>(())
//! ```

use std::time::{Duration, Instant};

use crate::dialog::Dialog;
use crate::transaction::{ClientTransaction, Output, Timers};
use crate::{BuildError, HeaderName, Message, Method};

/// The least interval RFC 4028 allows anyone to ask for (§4).
pub const ABSOLUTE_MIN_SE: u32 = 90;

/// What this side wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The interval asked for or granted, seconds (RFC 4028 recommends 1800).
    pub session_expires: u32,
    /// The least interval accepted, seconds (at least 90).
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        Self {
            session_expires: 1800,
            min_se: ABSOLUTE_MIN_SE,
        }
    }
}

/// Who refreshes the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// The caller.
    Uac,
    /// The callee.
    Uas,
}

/// The outcome of negotiating on an INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiated {
    /// No session timer for this call.
    None,
    /// A session timer of `interval` seconds, refreshed by `refresher`.
    Timer {
        /// Seconds.
        interval: u32,
        /// Who sends the refreshes.
        refresher: Refresher,
    },
    /// The interval asked for is below our minimum: answer `422 Session Interval Too Small`
    /// with `Min-SE: min_se`.
    TooSmall {
        /// Our minimum.
        min_se: u32,
    },
}

/// `delta-seconds` and an optional `refresher=uac|uas` from a `Session-Expires` value.
fn parse_session_expires(value: &str) -> Option<(u32, Option<Refresher>)> {
    let mut parts = value.split(';');
    let seconds = parts.next()?.trim().parse::<u32>().ok()?;
    let mut refresher = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("refresher")
        {
            refresher = match v.trim().to_ascii_lowercase().as_str() {
                "uac" => Some(Refresher::Uac),
                "uas" => Some(Refresher::Uas),
                _ => None,
            };
        }
    }
    Some((seconds, refresher))
}

fn min_se(m: &Message<'_>) -> Option<u32> {
    m.header(HeaderName::Other("Min-SE"))
        .and_then(|h| h.value().split(';').next()?.trim().parse().ok())
}

fn supports_timer(m: &Message<'_>) -> bool {
    m.supported()
        .chain(m.require())
        .any(|t| t.eq_ignore_ascii_case("timer"))
}

/// The UAS's side (RFC 4028 §9): from the INVITE and our configuration, the interval and the
/// refresher for our 2xx, or a 422. A caller that asks for no timer gets one only if it
/// supports them (it then refreshes); otherwise the call has none.
pub fn negotiate_uas(invite: &Message<'_>, config: &SessionTimerConfig) -> Negotiated {
    let ours_min = config.min_se.max(ABSOLUTE_MIN_SE);
    let asked = invite
        .header(HeaderName::SessionExpires)
        .and_then(|h| parse_session_expires(&h.value()));
    let theirs_min = min_se(invite).unwrap_or(ABSOLUTE_MIN_SE);
    let uac_supports = supports_timer(invite);
    match asked {
        Some((seconds, _)) if seconds < ours_min => Negotiated::TooSmall { min_se: ours_min },
        Some((seconds, refresher)) => {
            // We may shorten the interval, never below either side's minimum.
            let interval = seconds
                .min(config.session_expires.max(ours_min))
                .max(theirs_min)
                .max(ours_min);
            let refresher = refresher.unwrap_or(if uac_supports {
                Refresher::Uac
            } else {
                Refresher::Uas
            });
            Negotiated::Timer {
                interval,
                refresher,
            }
        }
        None if uac_supports => Negotiated::Timer {
            interval: config.session_expires.max(ours_min).max(theirs_min),
            refresher: Refresher::Uac,
        },
        None => Negotiated::None,
    }
}

/// The headers for our 2xx: `Session-Expires` with the refresher, and `Require: timer` when
/// the caller refreshes (RFC 4028 §9).
pub fn response_headers(interval: u32, refresher: Refresher) -> Vec<(HeaderName<'static>, String)> {
    let who = match refresher {
        Refresher::Uac => "uac",
        Refresher::Uas => "uas",
    };
    let mut headers = vec![(
        HeaderName::SessionExpires,
        format!("{interval};refresher={who}"),
    )];
    if refresher == Refresher::Uac {
        headers.push((HeaderName::Require, "timer".to_owned()));
    }
    headers
}

/// The UAC's side (RFC 4028 §7.2): from the 2xx, the interval and the refresher; `None`
/// when the 2xx has no `Session-Expires` (no timer for this call). A 2xx that names no
/// refresher leaves it to us.
pub fn negotiate_uac(response: &Message<'_>) -> Option<(u32, Refresher)> {
    let (seconds, refresher) = response
        .header(HeaderName::SessionExpires)
        .and_then(|h| parse_session_expires(&h.value()))?;
    Some((
        seconds.max(ABSOLUTE_MIN_SE),
        refresher.unwrap_or(Refresher::Uac),
    ))
}

/// The headers for our INVITE when we want session timers: `Supported: timer`,
/// `Session-Expires` and `Min-SE` (RFC 4028 §7.1).
pub fn request_headers(config: &SessionTimerConfig) -> Vec<(HeaderName<'static>, String)> {
    vec![
        (HeaderName::Supported, "timer".to_owned()),
        (
            HeaderName::SessionExpires,
            config.session_expires.max(config.min_se).to_string(),
        ),
        (
            HeaderName::Other("Min-SE"),
            config.min_se.max(ABSOLUTE_MIN_SE).to_string(),
        ),
    ]
}

/// A running session timer on one side of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimer {
    interval: Duration,
    we_refresh: bool,
    last_refresh: Instant,
}

impl SessionTimer {
    /// Starts at `now` (the 2xx): we refresh when `we_refresh`.
    pub fn start(interval_s: u32, we_refresh: bool, now: Instant) -> Self {
        Self {
            interval: Duration::from_secs(u64::from(interval_s.max(ABSOLUTE_MIN_SE))),
            we_refresh,
            last_refresh: now,
        }
    }

    /// The interval, seconds.
    pub fn interval_s(&self) -> u64 {
        self.interval.as_secs()
    }

    /// Whether we send the refreshes.
    pub fn we_refresh(&self) -> bool {
        self.we_refresh
    }

    /// A refresh went through (a 2xx to a re-INVITE or UPDATE, either way) at `now`.
    pub fn refreshed(&mut self, now: Instant) {
        self.last_refresh = now;
    }

    /// When we should send the next refresh: half the interval after the last (§10).
    pub fn refresh_at(&self) -> Option<Instant> {
        self.we_refresh
            .then(|| self.last_refresh + self.interval / 2)
    }

    /// When, with no refresh, the session is over: the refresher's side at the interval;
    /// the other side a third of it (at most 32 s) earlier, so its BYE goes first (§10).
    pub fn expires_at(&self) -> Instant {
        if self.we_refresh {
            self.last_refresh + self.interval
        } else {
            let early = (self.interval / 3).min(Duration::from_secs(32));
            self.last_refresh + self.interval - early
        }
    }
}

/// The refresh request (RFC 4028 §10): an UPDATE in `dialog` without a body (no new offer),
/// carrying `Session-Expires` with who refreshes. `via` is our Via without branch; the branch
/// is made from `tag` and the CSeq.
pub fn refresh_request(
    dialog: &mut Dialog,
    via: &str,
    tag: &str,
    contact: &str,
    interval_s: u64,
    refresher: Refresher,
) -> Result<Vec<u8>, BuildError> {
    let seq = dialog.local_seq + 1;
    let who = match refresher {
        Refresher::Uac => "uac",
        Refresher::Uas => "uas",
    };
    dialog
        .request(Method::Update)
        .header(HeaderName::Via, format!("{via};branch=z9hG4bK{tag}u{seq}"))
        .header(HeaderName::MaxForwards, "70")
        .header(HeaderName::Contact, contact)
        .header(
            HeaderName::SessionExpires,
            format!("{interval_s};refresher={who}"),
        )
        .build()
}

/// Who sends a refresh: our Via without branch, our tag and Contact, and which side we are.
#[derive(Debug, Clone, Copy)]
pub struct RefreshSender<'a> {
    /// Our Via, without branch.
    pub via: &'a str,
    /// Our tag in the dialog.
    pub tag: &'a str,
    /// Our Contact.
    pub contact: &'a str,
    /// Which side we are.
    pub refresher: Refresher,
}

/// What a [`SessionRefresh`] asks of its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDue {
    /// Nothing now.
    Nothing,
    /// Time to refresh: call [`SessionRefresh::refresh`].
    Refresh,
    /// The session is over (no refresh came, or ours got 408 or 481): send BYE.
    Expired,
}

/// A running session timer and the refresh in flight: the part of RFC 4028 §10 both sides of
/// a call share. The call owns it, asks it when it is due, and hands it its dialog to
/// [`refresh`](SessionRefresh::refresh) in.
#[derive(Debug)]
pub struct SessionRefresh {
    timer: SessionTimer,
    tx: Option<ClientTransaction>,
    /// A refresh that could not be built or started is tried again no earlier than this.
    /// Only the attempt moves: the session still expires when no refresh went through.
    retry_at: Option<Instant>,
}

impl SessionRefresh {
    /// Around a started timer.
    pub fn new(timer: SessionTimer) -> Self {
        Self {
            timer,
            tx: None,
            retry_at: None,
        }
    }

    /// When the next refresh should go: the timer's half-interval, or later after a refresh
    /// that could not be built.
    fn next_refresh(&self) -> Option<Instant> {
        let at = self.timer.refresh_at()?;
        Some(self.retry_at.map_or(at, |retry| at.max(retry)))
    }

    /// A refresh could not be built or started: try again half an interval from `now`,
    /// without counting it as a refresh.
    fn postpone(&mut self, now: Instant) -> RefreshDue {
        self.retry_at = Some(now + Duration::from_secs(self.timer.interval_s() / 2));
        RefreshDue::Nothing
    }

    /// The timer.
    pub fn timer(&self) -> &SessionTimer {
        &self.timer
    }

    /// The next instant it needs [`SessionRefresh::on_timeout`].
    pub fn deadline(&self) -> Option<Instant> {
        let own = match &self.tx {
            Some(tx) => tx.poll_timeout(),
            None => self.next_refresh(),
        };
        Some(own.map_or(self.timer.expires_at(), |t| t.min(self.timer.expires_at())))
    }

    /// The peer refreshed the session (a re-INVITE or UPDATE of its own).
    pub fn peer_refreshed(&mut self, now: Instant) {
        self.timer.refreshed(now);
    }

    /// Timers; the refresh's retransmissions go to `send`.
    pub fn on_timeout(&mut self, now: Instant, send: &mut impl FnMut(Vec<u8>)) -> RefreshDue {
        if let Some(tx) = self.tx.as_mut() {
            tx.on_timeout(now);
            let due = self.drain(now, send);
            if due != RefreshDue::Nothing {
                return due;
            }
        }
        if self.timer.expires_at() <= now {
            self.tx = None;
            return RefreshDue::Expired;
        }
        if self.tx.is_none() && self.next_refresh().is_some_and(|t| t <= now) {
            return RefreshDue::Refresh;
        }
        RefreshDue::Nothing
    }

    /// Builds the refresh UPDATE in `dialog` ([`refresh_request`]) and sends it. One that
    /// cannot be built is tried again half an interval later, as one that cannot be started;
    /// neither counts as a refresh, so the session still expires if none ever goes through.
    pub fn refresh(
        &mut self,
        dialog: &mut Dialog,
        from: RefreshSender<'_>,
        reliable: bool,
        timers: Timers,
        now: Instant,
        send: &mut impl FnMut(Vec<u8>),
    ) -> RefreshDue {
        let update = refresh_request(
            dialog,
            from.via,
            from.tag,
            from.contact,
            self.timer.interval_s(),
            from.refresher,
        );
        match update {
            Ok(update) => self.start(update, reliable, timers, now, send),
            Err(_) => self.postpone(now),
        }
    }

    /// Sends `update`, a refresh already built (`Session-Expires` of
    /// [`SessionTimer::interval_s`]).
    pub fn start(
        &mut self,
        update: Vec<u8>,
        reliable: bool,
        timers: Timers,
        now: Instant,
        send: &mut impl FnMut(Vec<u8>),
    ) -> RefreshDue {
        match ClientTransaction::new(update, reliable, timers, now) {
            Ok(tx) => {
                self.tx = Some(tx);
                self.drain(now, send)
            }
            // The call's own dialog makes a valid UPDATE; if not, try half an interval later.
            Err(_) => self.postpone(now),
        }
    }

    /// A response to our refresh.
    pub fn on_response(
        &mut self,
        response: &[u8],
        now: Instant,
        send: &mut impl FnMut(Vec<u8>),
    ) -> RefreshDue {
        match self.tx.as_mut() {
            Some(tx) => {
                tx.on_response(response, now);
                self.drain(now, send)
            }
            None => RefreshDue::Nothing,
        }
    }

    fn drain(&mut self, now: Instant, send: &mut impl FnMut(Vec<u8>)) -> RefreshDue {
        let Some(tx) = self.tx.as_mut() else {
            return RefreshDue::Nothing;
        };
        let mut outcome = None;
        while let Some(o) = tx.poll_output() {
            match o {
                Output::Send(b) => send(b),
                Output::PassUp(r) => {
                    if let Some(status) = Message::parse(&r).ok().and_then(|m| m.status())
                        && status >= 200
                    {
                        outcome = Some(status);
                    }
                }
                Output::Timeout => outcome = Some(408),
                Output::Terminated => {}
            }
        }
        match outcome {
            None => RefreshDue::Nothing,
            // §10: a 408 or 481 means the session is gone.
            Some(408 | 481) => {
                self.tx = None;
                RefreshDue::Expired
            }
            // Any other answer shows the peer is there: the session goes on (after a refusal,
            // the next try is half an interval away, not at once).
            Some(_) => {
                self.tx = None;
                self.timer.refreshed(now);
                RefreshDue::Nothing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(extra: &str) -> Vec<u8> {
        format!("INVITE sip:110@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:110@pbx>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n").into_bytes()
    }

    fn negotiate(extra: &str, config: SessionTimerConfig) -> Negotiated {
        negotiate_uas(&Message::parse(&invite(extra)).unwrap(), &config)
    }

    #[test]
    fn the_rfc_4028_section_9_choices() {
        let config = SessionTimerConfig::default();
        // Asked with a refresher: honoured; shortened to our interval.
        assert_eq!(
            negotiate(
                "Supported: timer\r\nSession-Expires: 3600;refresher=uas\r\n",
                config
            ),
            Negotiated::Timer {
                interval: 1800,
                refresher: Refresher::Uas
            }
        );
        // No refresher named: the UAC if it supports timers, else we do.
        assert_eq!(
            negotiate("Session-Expires: 600\r\n", config),
            Negotiated::Timer {
                interval: 600,
                refresher: Refresher::Uas
            }
        );
        // Not asked, but supported: we ask the caller to refresh at our interval.
        assert_eq!(
            negotiate("Supported: timer\r\n", config),
            Negotiated::Timer {
                interval: 1800,
                refresher: Refresher::Uac
            }
        );
        assert_eq!(negotiate("", config), Negotiated::None);
        // Too small for us: 422 with our Min-SE.
        let strict = SessionTimerConfig {
            session_expires: 1800,
            min_se: 300,
        };
        assert_eq!(
            negotiate("Session-Expires: 120\r\n", strict),
            Negotiated::TooSmall { min_se: 300 }
        );
        // Their Min-SE is respected when we would shorten below it.
        let short = SessionTimerConfig {
            session_expires: 100,
            min_se: 90,
        };
        assert_eq!(
            negotiate("Session-Expires: 900\r\nMin-SE: 600\r\n", short),
            Negotiated::Timer {
                interval: 600,
                refresher: Refresher::Uas
            }
        );
        // Junk values are no request at all.
        assert_eq!(
            negotiate("Session-Expires: soon\r\n", config),
            Negotiated::None
        );
    }

    #[test]
    fn a_refresh_that_cannot_start_is_retried_later_but_does_not_keep_the_session() {
        use sambung_core::clock::{Clock, SimulatedClock};
        let t = SimulatedClock::new(jiff::Timestamp::UNIX_EPOCH).now();
        let mut session = SessionRefresh::new(SessionTimer::start(1800, true, t));
        let mut sent = Vec::new();
        let mut send = |b: Vec<u8>| sent.push(b);
        let half = t + Duration::from_secs(900);
        assert_eq!(session.on_timeout(half, &mut send), RefreshDue::Refresh);
        // Not a request a transaction can carry.
        let due = session.start(
            b"not sip".to_vec(),
            true,
            Timers::default(),
            half,
            &mut send,
        );
        assert_eq!(due, RefreshDue::Nothing);
        // Not due again at once (a driver would spin), but half an interval on…
        assert_eq!(session.deadline(), Some(t + Duration::from_secs(1800)));
        assert_eq!(session.on_timeout(half, &mut send), RefreshDue::Nothing);
        // …where the session, never refreshed, has run out.
        assert_eq!(
            session.on_timeout(t + Duration::from_secs(1800), &mut send),
            RefreshDue::Expired
        );
        assert!(sent.is_empty());
    }

    #[test]
    fn refresh_at_half_and_the_other_side_gives_up_early() {
        use sambung_core::clock::{Clock, SimulatedClock};
        let t = SimulatedClock::new(jiff::Timestamp::UNIX_EPOCH).now();
        let ours = SessionTimer::start(1800, true, t);
        assert_eq!(ours.refresh_at(), Some(t + Duration::from_secs(900)));
        assert_eq!(ours.expires_at(), t + Duration::from_secs(1800));
        let mut theirs = SessionTimer::start(90, false, t);
        assert_eq!(theirs.refresh_at(), None);
        assert_eq!(theirs.expires_at(), t + Duration::from_secs(60));
        theirs.refreshed(t + Duration::from_secs(45));
        assert_eq!(theirs.expires_at(), t + Duration::from_secs(105));
        assert_eq!(
            response_headers(1800, Refresher::Uac)
                .iter()
                .map(|(n, v)| format!("{}: {v}", n.as_str()))
                .collect::<Vec<_>>(),
            ["Session-Expires: 1800;refresher=uac", "Require: timer"]
        );
    }
}
