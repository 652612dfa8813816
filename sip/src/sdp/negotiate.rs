//! Offer/answer (RFC 3264) for audio and video: PCMU, PCMA, Opus, G.722, telephone-event
//! (RFC 4733), VP8 and H.264, with direction, `ptime`, `rtcp-mux` and SDES `crypto`.
//!
//! Sans-IO like the rest of the crate: the caller supplies addresses, ports, session ids and
//! SRTP keys (drawn from its own random source); this module only decides and writes.
//!
//! ```
//! use sambung_sip::sdp::negotiate::{Codec, LocalMedia, answer, offer};
//! use sambung_sip::sdp::Sdp;
//!
//! let caller = LocalMedia::audio("192.0.2.10".parse()?, 49170, vec![Codec::pcma(), Codec::pcmu(), Codec::telephone_event()]);
//! let offer_text = offer(&caller);
//! let pbx = LocalMedia::audio("203.0.113.5".parse()?, 20000, vec![Codec::pcmu(), Codec::pcma(), Codec::telephone_event()]);
//! let answered = answer(&Sdp::parse(offer_text.as_bytes())?, &pbx)?;
//! let audio = &answered.media[0];
//! // The answerer picks by its own preference among what was offered.
//! assert_eq!(audio.codec.as_ref().map(|c| c.name.as_str()), Some("PCMU"));
//! assert_eq!(audio.telephone_event, Some(101));
//! assert_eq!(audio.remote, Some("192.0.2.10:49170".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::{Direction, Media, Sdp};

/// A codec this side can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// Encoding name as in `rtpmap` (`PCMU`, `opus`, `telephone-event`, `H264`).
    pub name: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels, for audio codecs that state them (Opus: 2).
    pub channels: Option<u8>,
    /// `fmtp` parameters to offer.
    pub fmtp: Option<String>,
    /// Payload type to use when offering.
    pub payload_type: u8,
}

impl Codec {
    fn new(
        name: &str,
        clock_rate: u32,
        channels: Option<u8>,
        payload_type: u8,
        fmtp: Option<&str>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            clock_rate,
            channels,
            fmtp: fmtp.map(str::to_owned),
            payload_type,
        }
    }
    /// G.711 µ-law, static payload type 0.
    pub fn pcmu() -> Self {
        Self::new("PCMU", 8000, None, 0, None)
    }
    /// G.711 A-law, static payload type 8.
    pub fn pcma() -> Self {
        Self::new("PCMA", 8000, None, 8, None)
    }
    /// G.722, static payload type 9 (its RTP clock is 8000 by RFC 3551's erratum).
    pub fn g722() -> Self {
        Self::new("G722", 8000, None, 9, None)
    }
    /// Opus, dynamic payload type 111, with in-band FEC.
    pub fn opus() -> Self {
        Self::new(
            "opus",
            48000,
            Some(2),
            111,
            Some("minptime=10;useinbandfec=1"),
        )
    }
    /// RFC 4733 DTMF events 0–16 at 8 kHz, dynamic payload type 101.
    pub fn telephone_event() -> Self {
        Self::new("telephone-event", 8000, None, 101, Some("0-16"))
    }
    /// VP8, dynamic payload type 96.
    pub fn vp8() -> Self {
        Self::new("VP8", 90000, None, 96, None)
    }
    /// H.264 constrained baseline, packetization mode 1, dynamic payload type 97.
    pub fn h264() -> Self {
        Self::new(
            "H264",
            90000,
            None,
            97,
            Some("profile-level-id=42e01f;packetization-mode=1"),
        )
    }

    /// A built-in codec by its encoding name, any case (`PCMU`, `PCMA`, `G722`, `opus`,
    /// `telephone-event`, `VP8`, `H264`); `None` for a name this crate has no entry for.
    ///
    /// ```
    /// use sambung_sip::sdp::negotiate::Codec;
    /// assert_eq!(Codec::by_name("pcma"), Some(Codec::pcma()));
    /// assert_eq!(Codec::by_name("AMR"), None);
    /// ```
    pub fn by_name(name: &str) -> Option<Self> {
        type Make = fn() -> Codec;
        let known: [(&str, Make); 7] = [
            ("PCMU", Self::pcmu),
            ("PCMA", Self::pcma),
            ("G722", Self::g722),
            ("opus", Self::opus),
            ("telephone-event", Self::telephone_event),
            ("VP8", Self::vp8),
            ("H264", Self::h264),
        ];
        known
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, make)| make())
    }

    fn is_dtmf(&self) -> bool {
        self.name.eq_ignore_ascii_case("telephone-event")
    }

    /// Does an offered payload type describe this codec?
    fn matches(&self, media: &Media<'_>, pt: u8) -> bool {
        let Some(map) = media.rtpmap(pt) else {
            return false;
        };
        if !map.encoding.eq_ignore_ascii_case(&self.name) || map.clock_rate != self.clock_rate {
            return false;
        }
        if self.name.eq_ignore_ascii_case("H264") {
            // Packetization modes must agree (RFC 6184 §8.2.2); absent means 0.
            let mode = |f: Option<&str>| {
                f.and_then(|f| {
                    f.split(';')
                        .find_map(|p| p.trim().strip_prefix("packetization-mode="))
                })
                .unwrap_or("0")
                .trim()
                .to_owned()
            };
            return mode(media.fmtp(pt)) == mode(self.fmtp.as_deref());
        }
        true
    }
}

/// SRTP with SDES keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Srtp {
    /// Plain RTP only; secure offers are rejected.
    Off,
    /// Accept or offer `RTP/SAVP` with this key (base64 of 30 bytes key+salt for the
    /// `AES_CM_128` suites), chosen by the caller from a secure random source.
    Sdes {
        /// The inline key to send.
        key: String,
        /// Offer SRTP (`RTP/SAVP`) rather than plain RTP.
        offer_secure: bool,
    },
}

/// SRTP suites this side accepts, best first.
const SUITES: [&str; 2] = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"];

/// What this side offers or accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our RTP address.
    pub address: IpAddr,
    /// Audio RTP port.
    pub audio_port: u16,
    /// Audio codecs, best first (telephone-event among them if DTMF events are wanted).
    pub audio_codecs: Vec<Codec>,
    /// Video RTP port; `None` rejects video.
    pub video_port: Option<u16>,
    /// Video codecs, best first.
    pub video_codecs: Vec<Codec>,
    /// The direction we want.
    pub direction: Direction,
    /// Audio packet time in ms.
    pub ptime: Option<u32>,
    /// Offer or accept RTP/RTCP multiplexing (RFC 5761).
    pub rtcp_mux: bool,
    /// SRTP policy.
    pub srtp: Srtp,
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version (increase it for each new offer in a dialog).
    pub session_version: u64,
}

impl LocalMedia {
    /// Audio only, sendrecv, 20 ms, rtcp-mux, no SRTP.
    pub fn audio(address: IpAddr, port: u16, codecs: Vec<Codec>) -> Self {
        Self {
            address,
            audio_port: port,
            audio_codecs: codecs,
            video_port: None,
            video_codecs: Vec::new(),
            direction: Direction::SendRecv,
            ptime: Some(20),
            rtcp_mux: true,
            srtp: Srtp::Off,
            session_id: 1,
            session_version: 1,
        }
    }

    fn addr_type(&self) -> &'static str {
        if self.address.is_ipv4() { "IP4" } else { "IP6" }
    }
}

/// The outcome for one media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// `audio`, `video`, …
    pub kind: String,
    /// False when the stream was rejected (port 0).
    pub accepted: bool,
    /// The codec to send with (the first common one).
    pub codec: Option<NegotiatedCodec>,
    /// Payload type of telephone-event, if both sides use it.
    pub telephone_event: Option<u8>,
    /// Where to send RTP.
    pub remote: Option<SocketAddr>,
    /// Our direction after negotiation.
    pub direction: Direction,
    /// RTP and RTCP share one port.
    pub rtcp_mux: bool,
    /// The SRTP suite and the peer's inline key, when secured.
    pub srtp: Option<(String, String)>,
    /// Packet time in ms.
    pub ptime: Option<u32>,
}

/// A codec both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCodec {
    /// Payload type on the wire.
    pub payload_type: u8,
    /// Encoding name.
    pub name: String,
    /// Clock rate.
    pub clock_rate: u32,
    /// Channels.
    pub channels: Option<u8>,
    /// `fmtp` of the offer for this payload type.
    pub fmtp: Option<String>,
}

/// An answer: its SDP text and what was agreed per media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The SDP to send.
    pub sdp: String,
    /// One entry per offered media section, in order.
    pub media: Vec<NegotiatedMedia>,
}

/// Why no answer can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// No media section could be accepted (answer 488 Not Acceptable Here).
    NothingAcceptable,
}

impl std::fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no offered media stream is acceptable")
    }
}

impl std::error::Error for NegotiationError {}

fn write_codec(
    out: &mut String,
    pt: u8,
    name: &str,
    rate: u32,
    channels: Option<u8>,
    fmtp: Option<&str>,
) {
    let _ = match channels {
        Some(c) => write!(out, "a=rtpmap:{pt} {name}/{rate}/{c}\r\n"),
        None => write!(out, "a=rtpmap:{pt} {name}/{rate}\r\n"),
    };
    if let Some(f) = fmtp {
        let _ = write!(out, "a=fmtp:{pt} {f}\r\n");
    }
}

fn header(out: &mut String, local: &LocalMedia) {
    let _ = write!(
        out,
        "v=0\r\no=sambung {} {} IN {} {}\r\ns=-\r\nc=IN {} {}\r\nt=0 0\r\n",
        local.session_id,
        local.session_version,
        local.addr_type(),
        local.address,
        local.addr_type(),
        local.address
    );
}

/// Writes an offer.
pub fn offer(local: &LocalMedia) -> String {
    let mut out = String::with_capacity(512);
    header(&mut out, local);
    let secure = matches!(
        local.srtp,
        Srtp::Sdes {
            offer_secure: true,
            ..
        }
    );
    let proto = if secure { "RTP/SAVP" } else { "RTP/AVP" };
    let sections = [
        ("audio", Some(local.audio_port), &local.audio_codecs),
        ("video", local.video_port, &local.video_codecs),
    ];
    for (kind, port, codecs) in sections {
        let Some(port) = port else { continue };
        if codecs.is_empty() {
            continue;
        }
        let pts: Vec<String> = codecs.iter().map(|c| c.payload_type.to_string()).collect();
        let _ = write!(out, "m={kind} {port} {proto} {}\r\n", pts.join(" "));
        for c in codecs {
            write_codec(
                &mut out,
                c.payload_type,
                &c.name,
                c.clock_rate,
                c.channels,
                c.fmtp.as_deref(),
            );
        }
        if kind == "audio"
            && let Some(p) = local.ptime
        {
            let _ = write!(out, "a=ptime:{p}\r\n");
        }
        if local.rtcp_mux {
            out.push_str("a=rtcp-mux\r\n");
        }
        if let Srtp::Sdes {
            key,
            offer_secure: true,
        } = &local.srtp
        {
            for (tag, suite) in SUITES.iter().enumerate() {
                let _ = write!(out, "a=crypto:{} {suite} inline:{key}\r\n", tag + 1);
            }
        }
        let _ = write!(out, "a={}\r\n", local.direction.as_str());
    }
    out
}

/// Answers an offer (RFC 3264 §6): for each offered section, accept it with the codecs both
/// sides support (in our order of preference, with the offer's payload types) or reject it
/// with port 0.
pub fn answer(offer: &Sdp<'_>, local: &LocalMedia) -> Result<Answer, NegotiationError> {
    let mut out = String::with_capacity(512);
    header(&mut out, local);
    let mut media = Vec::with_capacity(offer.media.len());
    let mut audio_taken = false;
    let mut video_taken = false;
    for m in &offer.media {
        let (codecs, port, taken) = match m.kind {
            "audio" if !audio_taken => (
                &local.audio_codecs,
                Some(local.audio_port),
                &mut audio_taken,
            ),
            "video" if !video_taken => (&local.video_codecs, local.video_port, &mut video_taken),
            _ => (&local.audio_codecs, None, &mut audio_taken),
        };
        let srtp = match (&local.srtp, m.is_srtp()) {
            (_, false) if m.protocol == "RTP/AVP" || m.protocol == "RTP/AVPF" => Some(None),
            (Srtp::Sdes { key, .. }, true) => m
                .cryptos()
                .find(|c| SUITES.contains(&c.suite) && c.inline_key().is_some())
                .map(|c| Some((c, key.clone()))),
            _ => None,
        };
        // Our codecs in our order, each with the payload type the offer used for it.
        let mut common: Vec<(u8, &Codec)> = Vec::new();
        for c in codecs {
            if let Some(pt) = m.payload_types().find(|&pt| c.matches(m, pt))
                && !common.iter().any(|(p, _)| *p == pt)
            {
                common.push((pt, c));
            }
        }
        let has_media_codec = common.iter().any(|(_, c)| !c.is_dtmf());
        let (Some(port), Some(srtp), true, false) = (port, srtp, has_media_codec, m.port == 0)
        else {
            let _ = write!(
                out,
                "m={} 0 {} {}\r\n",
                m.kind,
                m.protocol,
                m.formats.first().copied().unwrap_or("0")
            );
            media.push(NegotiatedMedia {
                kind: m.kind.to_owned(),
                accepted: false,
                codec: None,
                telephone_event: None,
                remote: None,
                direction: Direction::Inactive,
                rtcp_mux: false,
                srtp: None,
                ptime: None,
            });
            continue;
        };
        *taken = true;
        let pts: Vec<String> = common.iter().map(|(pt, _)| pt.to_string()).collect();
        let _ = write!(
            out,
            "m={} {port} {} {}\r\n",
            m.kind,
            m.protocol,
            pts.join(" ")
        );
        for (pt, c) in &common {
            let map = m.rtpmap(*pt);
            let fmtp = m.fmtp(*pt).or(c.fmtp.as_deref());
            write_codec(
                &mut out,
                *pt,
                map.map_or(c.name.as_str(), |r| r.encoding),
                c.clock_rate,
                map.and_then(|r| r.channels),
                fmtp,
            );
        }
        let ptime = m.ptime().or(local.ptime).filter(|_| m.kind == "audio");
        if let Some(p) = ptime {
            let _ = write!(out, "a=ptime:{p}\r\n");
        }
        let rtcp_mux = local.rtcp_mux && m.rtcp_mux();
        if rtcp_mux {
            out.push_str("a=rtcp-mux\r\n");
        }
        let srtp_out = srtp.map(|(c, key)| {
            let _ = write!(out, "a=crypto:{} {} inline:{key}\r\n", c.tag, c.suite);
            (
                c.suite.to_owned(),
                c.inline_key().unwrap_or_default().to_owned(),
            )
        });
        let direction = m.direction(offer).answer(local.direction);
        let _ = write!(out, "a={}\r\n", direction.as_str());
        let (codec_pt, codec) = common
            .iter()
            .find(|(_, c)| !c.is_dtmf())
            .map(|(pt, c)| (*pt, *c))
            .unzip();
        media.push(NegotiatedMedia {
            kind: m.kind.to_owned(),
            accepted: true,
            codec: codec_pt.zip(codec).map(|(pt, c)| NegotiatedCodec {
                payload_type: pt,
                name: c.name.clone(),
                clock_rate: c.clock_rate,
                channels: m.rtpmap(pt).and_then(|r| r.channels),
                fmtp: m.fmtp(pt).map(str::to_owned),
            }),
            telephone_event: common.iter().find(|(_, c)| c.is_dtmf()).map(|(pt, _)| *pt),
            remote: offer.rtp_address(m),
            direction,
            rtcp_mux,
            srtp: srtp_out,
            ptime,
        });
    }
    if !media.iter().any(|m| m.accepted) {
        return Err(NegotiationError::NothingAcceptable);
    }
    Ok(Answer { sdp: out, media })
}

/// The offerer's side: what an answer to our offer agreed, per section.
pub fn accept_answer(answer: &Sdp<'_>, local: &LocalMedia) -> Vec<NegotiatedMedia> {
    answer
        .media
        .iter()
        .map(|m| {
            let codecs = if m.kind == "video" {
                &local.video_codecs
            } else {
                &local.audio_codecs
            };
            let found = |dtmf: bool| {
                m.payload_types().find_map(|pt| {
                    codecs
                        .iter()
                        .find(|c| c.is_dtmf() == dtmf && c.matches(m, pt))
                        .map(|c| (pt, c))
                })
            };
            let accepted = m.port != 0;
            NegotiatedMedia {
                kind: m.kind.to_owned(),
                accepted,
                codec: found(false)
                    .filter(|_| accepted)
                    .map(|(pt, c)| NegotiatedCodec {
                        payload_type: pt,
                        name: c.name.clone(),
                        clock_rate: c.clock_rate,
                        channels: m.rtpmap(pt).and_then(|r| r.channels),
                        fmtp: m.fmtp(pt).map(str::to_owned),
                    }),
                telephone_event: found(true).filter(|_| accepted).map(|(pt, _)| pt),
                remote: answer.rtp_address(m).filter(|_| accepted),
                direction: if accepted {
                    m.direction(answer).answer(local.direction)
                } else {
                    Direction::Inactive
                },
                rtcp_mux: accepted && local.rtcp_mux && m.rtcp_mux(),
                srtp: m
                    .cryptos()
                    .next()
                    .filter(|_| accepted)
                    .and_then(|c| Some((c.suite.to_owned(), c.inline_key()?.to_owned()))),
                ptime: m.ptime(),
            }
        })
        .collect()
}

/// Our answer to a new offer inside an established session (RFC 3264 §8): the SDP we last
/// sent (`ours`), each media section's direction answering the offer's — on hold, `sendonly`
/// is answered `recvonly` and `inactive` with `inactive` (§8.4); taken off hold, `sendrecv`
/// again — with the session version one higher. Sections we had rejected (port 0) stay so.
/// `None` if `ours` does not parse.
pub fn reanswer(ours: &str, offer: &Sdp<'_>) -> Option<String> {
    let mut sdp = Sdp::parse(ours.as_bytes()).ok()?;
    let version = sdp
        .origin
        .session_version
        .parse::<u64>()
        .unwrap_or(0)
        .wrapping_add(1)
        .to_string();
    sdp.origin.session_version = &version;
    let is_direction = |a: &super::Attribute<'_>| {
        matches!(a.name, "sendrecv" | "sendonly" | "recvonly" | "inactive")
    };
    sdp.attributes.retain(|a| !is_direction(a));
    for (i, m) in sdp.media.iter_mut().enumerate() {
        m.attributes.retain(|a| !is_direction(a));
        let direction = match offer.media.get(i) {
            Some(o) if m.port != 0 && o.port != 0 => o.direction(offer).answer(Direction::SendRecv),
            _ => Direction::Inactive,
        };
        m.attributes.push(super::Attribute {
            name: direction.as_str(),
            value: None,
        });
    }
    let mut out = String::with_capacity(ours.len() + 16);
    sdp.write(&mut out);
    Some(out)
}
