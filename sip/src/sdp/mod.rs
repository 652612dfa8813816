//! SDP (RFC 8866): parsing that borrows from its input, canonical serialisation, and typed
//! views of the attributes a telephony stack needs (`rtpmap`, `fmtp`, direction, `ptime`,
//! `rtcp-mux`, SDES `crypto`). Offer/answer (RFC 3264) is in [`negotiate`].
//!
//! ```
//! use sambung_sip::sdp::{Direction, Sdp};
//! let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
//!             m=audio 49170 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
//! let sdp = Sdp::parse(text.as_bytes())?;
//! let audio = &sdp.media[0];
//! assert_eq!(audio.port, 49170);
//! assert_eq!(audio.rtpmap(0).map(|r| r.encoding), Some("PCMU"));
//! assert_eq!(audio.direction(&sdp), Direction::SendOnly);
//! assert_eq!(sdp.rtp_address(audio), Some("192.0.2.10:49170".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod negotiate;

use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

/// Largest SDP body accepted.
pub const MAX_SDP_LEN: usize = 64 * 1024;
/// Most media sections.
pub const MAX_MEDIA: usize = 64;

/// What was wrong with an SDP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdpErrorKind {
    /// Larger than [`MAX_SDP_LEN`].
    TooLarge,
    /// Not UTF-8 text.
    NotText,
    /// A line is not `x=value` with a lower-case letter.
    BadLine,
    /// A required line (`v`, `o`, `s`, `t`) is missing.
    Missing(char),
    /// A line appears where RFC 8866 §5 does not allow it.
    OutOfOrder(char),
    /// A line's value breaks its grammar.
    BadValue {
        /// The line type.
        line: char,
        /// What was expected.
        expected: &'static str,
    },
    /// More than [`MAX_MEDIA`] media sections.
    TooManyMedia,
}

/// An SDP parse error: what, and on which line (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpError {
    /// What was wrong.
    pub kind: SdpErrorKind,
    /// The line number, 1-based (0 for the whole body).
    pub line: usize,
}

impl fmt::Display for SdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SdpErrorKind::TooLarge => write!(f, "SDP larger than {MAX_SDP_LEN} bytes"),
            SdpErrorKind::NotText => write!(f, "SDP is not UTF-8 text (line {})", self.line),
            SdpErrorKind::BadLine => write!(f, "SDP line {} is not `x=value`", self.line),
            SdpErrorKind::Missing(c) => write!(f, "SDP has no {c}= line"),
            SdpErrorKind::OutOfOrder(c) => {
                write!(f, "SDP line {}: {c}= is out of order", self.line)
            }
            SdpErrorKind::BadValue { line, expected } => {
                write!(
                    f,
                    "SDP line {}: bad {line}= value, expected {expected}",
                    self.line
                )
            }
            SdpErrorKind::TooManyMedia => write!(f, "more than {MAX_MEDIA} media sections"),
        }
    }
}

impl std::error::Error for SdpError {}

/// `o=`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// User name (`-` when none).
    pub username: &'a str,
    /// Session id (digits).
    pub session_id: &'a str,
    /// Session version (digits).
    pub session_version: &'a str,
    /// Network type (`IN`).
    pub net_type: &'a str,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// Address.
    pub address: &'a str,
}

/// `c=`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type (`IN`).
    pub net_type: &'a str,
    /// Address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// Address, possibly with `/ttl` or `/count` for multicast.
    pub address: &'a str,
}

impl Connection<'_> {
    /// The address as an IP address (multicast suffixes removed); `None` for a host name.
    pub fn ip(&self) -> Option<IpAddr> {
        let base = self.address.split('/').next().unwrap_or(self.address);
        base.parse().ok()
    }
}

/// `a=name[:value]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The attribute name.
    pub name: &'a str,
    /// The value, for value attributes.
    pub value: Option<&'a str>,
}

/// `t=` with its `r=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing<'a> {
    /// Start time (NTP seconds, 0 for unbounded).
    pub start: u64,
    /// Stop time.
    pub stop: u64,
    /// `r=` lines as written.
    pub repeats: Vec<&'a str>,
}

/// Media direction (RFC 3264 §5.1, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv` (the default).
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    fn from_attr(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The direction an answer takes for this offered direction, given what the answerer
    /// wants (RFC 3264 §6.1).
    pub fn answer(self, wanted: Direction) -> Direction {
        let (we_send, we_recv) = match wanted {
            Self::SendRecv => (true, true),
            Self::SendOnly => (true, false),
            Self::RecvOnly => (false, true),
            Self::Inactive => (false, false),
        };
        let (they_send, they_recv) = match self {
            Self::SendRecv => (true, true),
            Self::SendOnly => (true, false),
            Self::RecvOnly => (false, true),
            Self::Inactive => (false, false),
        };
        match (we_send && they_recv, we_recv && they_send) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`, or a static payload type's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpMap<'a> {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written (`PCMU`, `opus`, `telephone-event`, `H264`).
    pub encoding: &'a str,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (audio), if written.
    pub channels: Option<u8>,
}

/// RFC 3551 static payload types a telephony stack meets.
const STATIC_PT: &[(u8, &str, u32)] = &[
    (0, "PCMU", 8000),
    (3, "GSM", 8000),
    (4, "G723", 8000),
    (8, "PCMA", 8000),
    (9, "G722", 8000),
    (13, "CN", 8000),
    (18, "G729", 8000),
    (34, "H263", 90000),
];

/// `a=crypto:<tag> <suite> <key-params> [<session-params>]` (RFC 4568).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crypto<'a> {
    /// Tag.
    pub tag: u32,
    /// Crypto suite (`AES_CM_128_HMAC_SHA1_80`).
    pub suite: &'a str,
    /// Key parameters (`inline:<base64>[|lifetime][|MKI:len]`).
    pub key_params: &'a str,
    /// Session parameters, if any.
    pub session_params: Option<&'a str>,
}

impl Crypto<'_> {
    /// The base64 key and salt of the first `inline:` key parameter.
    pub fn inline_key(&self) -> Option<&str> {
        let first = self.key_params.split(';').next()?;
        let inline = first.strip_prefix("inline:")?;
        inline.split('|').next()
    }
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media<'a> {
    /// Media type (`audio`, `video`, `application`, …).
    pub kind: &'a str,
    /// Port (0 rejects or disables the stream).
    pub port: u16,
    /// Number of ports, if written (`49170/2`).
    pub port_count: Option<u16>,
    /// Transport protocol (`RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, …).
    pub protocol: &'a str,
    /// Formats (payload types for RTP).
    pub formats: Vec<&'a str>,
    /// `i=`
    pub info: Option<&'a str>,
    /// `c=` lines of this section.
    pub connections: Vec<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<&'a str>,
    /// `k=`
    pub key: Option<&'a str>,
    /// `a=` lines, in order.
    pub attributes: Vec<Attribute<'a>>,
}

impl<'a> Media<'a> {
    /// Attributes named `name`.
    pub fn attrs(&self, name: &'a str) -> impl Iterator<Item = &Attribute<'a>> + '_ {
        self.attributes.iter().filter(move |a| a.name == name)
    }

    /// True when a property attribute `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a.name == name)
    }

    /// Payload types of the format list (non-numeric formats skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    /// The rtpmap of payload type `pt`: from `a=rtpmap`, or the static default (RFC 3551).
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap<'a>> {
        let explicit = self
            .attrs("rtpmap")
            .filter_map(|a| parse_rtpmap(a.value?))
            .find(|r| r.payload_type == pt);
        explicit.or_else(|| {
            STATIC_PT.iter().find(|(p, _, _)| *p == pt).map(
                |&(payload_type, encoding, clock_rate)| RtpMap {
                    payload_type,
                    encoding,
                    clock_rate,
                    channels: None,
                },
            )
        })
    }

    /// The `a=fmtp` parameters of payload type `pt`.
    pub fn fmtp(&self, pt: u8) -> Option<&'a str> {
        self.attrs("fmtp").filter_map(|a| a.value).find_map(|v| {
            let (p, params) = v.split_once(' ')?;
            (p.parse::<u8>().ok()? == pt).then_some(params.trim())
        })
    }

    /// The direction: this section's attribute, else the session's, else `sendrecv`.
    pub fn direction(&self, session: &Sdp<'_>) -> Direction {
        self.attributes
            .iter()
            .find_map(|a| Direction::from_attr(a.name))
            .or_else(|| {
                session
                    .attributes
                    .iter()
                    .find_map(|a| Direction::from_attr(a.name))
            })
            .unwrap_or(Direction::SendRecv)
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attrs("ptime")
            .find_map(|a| a.value?.trim().parse().ok())
    }

    /// `a=rtcp-mux` present.
    pub fn rtcp_mux(&self) -> bool {
        self.has("rtcp-mux")
    }

    /// The `a=crypto` lines (SDES, RFC 4568).
    pub fn cryptos(&self) -> impl Iterator<Item = Crypto<'a>> + '_ {
        self.attrs("crypto").filter_map(|a| parse_crypto(a.value?))
    }

    /// True for a secure RTP profile (`RTP/SAVP`, `RTP/SAVPF`, …).
    pub fn is_srtp(&self) -> bool {
        self.protocol.contains("SAVP")
    }
}

fn parse_rtpmap(v: &str) -> Option<RtpMap<'_>> {
    let (pt, rest) = v.split_once(' ')?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next()?;
    let clock_rate = parts.next()?.parse().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.parse().ok()?),
        None => None,
    };
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        encoding,
        clock_rate,
        channels,
    })
}

fn parse_crypto(v: &str) -> Option<Crypto<'_>> {
    let mut parts = v.split_whitespace();
    let tag = parts.next()?.parse().ok()?;
    let suite = parts.next()?;
    let key_params = parts.next()?;
    let rest = v
        .splitn(4, char::is_whitespace)
        .nth(3)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Some(Crypto {
        tag,
        suite,
        key_params,
        session_params: rest,
    })
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp<'a> {
    /// `o=`
    pub origin: Origin<'a>,
    /// `s=`
    pub session_name: &'a str,
    /// `i=`
    pub info: Option<&'a str>,
    /// `u=`
    pub uri: Option<&'a str>,
    /// `e=` lines.
    pub emails: Vec<&'a str>,
    /// `p=` lines.
    pub phones: Vec<&'a str>,
    /// Session-level `c=`.
    pub connection: Option<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<&'a str>,
    /// `t=` lines with their `r=` lines.
    pub timing: Vec<Timing<'a>>,
    /// `z=`
    pub zone: Option<&'a str>,
    /// `k=`
    pub key: Option<&'a str>,
    /// Session-level `a=` lines.
    pub attributes: Vec<Attribute<'a>>,
    /// `m=` sections.
    pub media: Vec<Media<'a>>,
}

fn bad(line: usize, ty: char, expected: &'static str) -> SdpError {
    SdpError {
        kind: SdpErrorKind::BadValue { line: ty, expected },
        line,
    }
}

fn parse_connection(v: &str, line: usize) -> Result<Connection<'_>, SdpError> {
    let mut p = v.split(' ');
    let (Some(net_type), Some(addr_type), Some(address), None) =
        (p.next(), p.next(), p.next(), p.next())
    else {
        return Err(bad(line, 'c', "<nettype> <addrtype> <address>"));
    };
    if net_type.is_empty() || addr_type.is_empty() || address.is_empty() {
        return Err(bad(line, 'c', "<nettype> <addrtype> <address>"));
    }
    let c = Connection {
        net_type,
        addr_type,
        address,
    };
    if net_type == "IN" {
        let ok = match (addr_type, c.ip()) {
            ("IP4", Some(IpAddr::V4(_))) | ("IP6", Some(IpAddr::V6(_))) => true,
            ("IP4" | "IP6", None) => address
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-./".contains(&b)),
            ("IP4" | "IP6", Some(_)) => false,
            _ => true,
        };
        if !ok {
            return Err(bad(line, 'c', "an address of the stated type"));
        }
    }
    Ok(c)
}

fn parse_attribute(v: &str) -> Attribute<'_> {
    match v.split_once(':') {
        Some((name, value)) => Attribute {
            name,
            value: Some(value),
        },
        None => Attribute {
            name: v,
            value: None,
        },
    }
}

fn parse_media(v: &str, line: usize) -> Result<Media<'_>, SdpError> {
    let mut p = v.split(' ');
    let (Some(kind), Some(port), Some(protocol)) = (p.next(), p.next(), p.next()) else {
        return Err(bad(line, 'm', "<media> <port> <proto> <fmt> ..."));
    };
    let (port, port_count) = match port.split_once('/') {
        Some((a, b)) => (
            a,
            Some(b.parse().map_err(|_| bad(line, 'm', "a port count"))?),
        ),
        None => (port, None),
    };
    let port = port
        .parse()
        .map_err(|_| bad(line, 'm', "a port from 0 to 65535"))?;
    let formats: Vec<&str> = p.collect();
    if kind.is_empty()
        || protocol.is_empty()
        || formats.is_empty()
        || formats.iter().any(|f| f.is_empty())
    {
        return Err(bad(line, 'm', "<media> <port> <proto> <fmt> ..."));
    }
    Ok(Media {
        kind,
        port,
        port_count,
        protocol,
        formats,
        info: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    })
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl<'a> Sdp<'a> {
    /// Parses an SDP body (CRLF or LF line ends).
    pub fn parse(body: &'a [u8]) -> Result<Self, SdpError> {
        if body.len() > MAX_SDP_LEN {
            return Err(SdpError {
                kind: SdpErrorKind::TooLarge,
                line: 0,
            });
        }
        let text = std::str::from_utf8(body).map_err(|e| SdpError {
            kind: SdpErrorKind::NotText,
            line: body[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
        })?;
        // Session-level order per RFC 8866 §5: v o s i u e p c b t r z k a, then m sections.
        const ORDER: &str = "vosiuepcbtrzka";
        let mut rank = 0;
        let mut version = false;
        let mut origin = None;
        let mut session_name = None;
        let mut sdp = Sdp {
            origin: Origin {
                username: "",
                session_id: "",
                session_version: "",
                net_type: "",
                addr_type: "",
                address: "",
            },
            session_name: "",
            info: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timing: Vec::new(),
            zone: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        };
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            let b = raw.as_bytes();
            if b.len() < 2 || b[1] != b'=' || !b[0].is_ascii_lowercase() {
                return Err(SdpError {
                    kind: SdpErrorKind::BadLine,
                    line,
                });
            }
            let ty = char::from(b[0]);
            let v = raw.get(2..).unwrap_or_default();
            if let Some(media) = sdp.media.last_mut() {
                // Media-level order: m i c b k a.
                match ty {
                    'm' => {}
                    'i' if media.info.is_none()
                        && media.connections.is_empty()
                        && media.bandwidths.is_empty()
                        && media.key.is_none()
                        && media.attributes.is_empty() =>
                    {
                        media.info = Some(v);
                    }
                    'c' if media.bandwidths.is_empty()
                        && media.key.is_none()
                        && media.attributes.is_empty() =>
                    {
                        media.connections.push(parse_connection(v, line)?);
                    }
                    'b' if media.key.is_none() && media.attributes.is_empty() => {
                        media.bandwidths.push(v);
                    }
                    'k' if media.key.is_none() && media.attributes.is_empty() => {
                        media.key = Some(v);
                    }
                    'a' => media.attributes.push(parse_attribute(v)),
                    _ => {
                        return Err(SdpError {
                            kind: SdpErrorKind::OutOfOrder(ty),
                            line,
                        });
                    }
                }
                if ty != 'm' {
                    continue;
                }
            }
            if ty == 'm' {
                if !version || origin.is_none() || session_name.is_none() {
                    return Err(SdpError {
                        kind: SdpErrorKind::OutOfOrder('m'),
                        line,
                    });
                }
                if sdp.timing.is_empty() {
                    return Err(SdpError {
                        kind: SdpErrorKind::Missing('t'),
                        line,
                    });
                }
                if sdp.media.len() == MAX_MEDIA {
                    return Err(SdpError {
                        kind: SdpErrorKind::TooManyMedia,
                        line,
                    });
                }
                sdp.media.push(parse_media(v, line)?);
                continue;
            }
            let Some(r) = ORDER.find(ty) else {
                return Err(SdpError {
                    kind: SdpErrorKind::BadLine,
                    line,
                });
            };
            if !version && ty != 'v' {
                return Err(SdpError {
                    kind: SdpErrorKind::Missing('v'),
                    line,
                });
            }
            // Repeatable lines may repeat; a `t` may follow the `r` of the previous `t`.
            let repeatable = matches!(ty, 'e' | 'p' | 'b' | 't' | 'r' | 'a');
            let next_time = ty == 't' && ORDER.find('r') == Some(rank);
            if (r < rank && !next_time) || (r == rank && !repeatable && version) {
                return Err(SdpError {
                    kind: SdpErrorKind::OutOfOrder(ty),
                    line,
                });
            }
            rank = r;
            match ty {
                'v' => {
                    if v != "0" {
                        return Err(bad(line, 'v', "0"));
                    }
                    version = true;
                }
                'o' => {
                    let mut p = v.split(' ');
                    let fields = [p.next(), p.next(), p.next(), p.next(), p.next(), p.next()];
                    let [
                        Some(username),
                        Some(session_id),
                        Some(session_version),
                        Some(net_type),
                        Some(addr_type),
                        Some(address),
                    ] = fields
                    else {
                        return Err(bad(line, 'o', "six fields"));
                    };
                    if p.next().is_some() || !digits(session_id) || !digits(session_version) {
                        return Err(bad(
                            line,
                            'o',
                            "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>",
                        ));
                    }
                    origin = Some(Origin {
                        username,
                        session_id,
                        session_version,
                        net_type,
                        addr_type,
                        address,
                    });
                }
                's' => session_name = Some(v),
                'i' => sdp.info = Some(v),
                'u' => sdp.uri = Some(v),
                'e' => sdp.emails.push(v),
                'p' => sdp.phones.push(v),
                'c' => sdp.connection = Some(parse_connection(v, line)?),
                'b' => sdp.bandwidths.push(v),
                't' => {
                    let (start, stop) = v
                        .split_once(' ')
                        .ok_or_else(|| bad(line, 't', "<start> <stop>"))?;
                    let (Ok(start), Ok(stop)) = (start.parse(), stop.parse()) else {
                        return Err(bad(line, 't', "<start> <stop> in NTP seconds"));
                    };
                    sdp.timing.push(Timing {
                        start,
                        stop,
                        repeats: Vec::new(),
                    });
                }
                'r' => match sdp.timing.last_mut() {
                    Some(t) => t.repeats.push(v),
                    None => {
                        return Err(SdpError {
                            kind: SdpErrorKind::OutOfOrder('r'),
                            line,
                        });
                    }
                },
                'z' => sdp.zone = Some(v),
                'k' => sdp.key = Some(v),
                _ => sdp.attributes.push(parse_attribute(v)),
            }
        }
        if !version {
            return Err(SdpError {
                kind: SdpErrorKind::Missing('v'),
                line: 0,
            });
        }
        sdp.origin = origin.ok_or(SdpError {
            kind: SdpErrorKind::Missing('o'),
            line: 0,
        })?;
        sdp.session_name = session_name.ok_or(SdpError {
            kind: SdpErrorKind::Missing('s'),
            line: 0,
        })?;
        if sdp.timing.is_empty() {
            return Err(SdpError {
                kind: SdpErrorKind::Missing('t'),
                line: 0,
            });
        }
        Ok(sdp)
    }

    /// The connection of a media section: its own `c=`, else the session's.
    pub fn connection_of<'s>(&'s self, media: &'s Media<'a>) -> Option<&'s Connection<'a>> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// Where to send RTP for a media section.
    pub fn rtp_address(&self, media: &Media<'a>) -> Option<SocketAddr> {
        let ip = self.connection_of(media)?.ip()?;
        Some(SocketAddr::new(ip, media.port))
    }

    /// True when this offer puts the other side on hold: every active audio section is
    /// `sendonly` or `inactive` (RFC 3264 §8.4), or its connection address is `0.0.0.0`
    /// (the RFC 2543 way, still sent by old phones). False without an active audio section.
    pub fn is_hold(&self) -> bool {
        let mut audio = self
            .media
            .iter()
            .filter(|m| m.kind == "audio" && m.port != 0)
            .peekable();
        audio.peek().is_some()
            && audio.all(|m| {
                matches!(m.direction(self), Direction::SendOnly | Direction::Inactive)
                    || self
                        .connection_of(m)
                        .is_some_and(|c| c.address == "0.0.0.0")
            })
    }

    /// Writes the canonical form (CRLF line ends, RFC 8866 order).
    pub fn write(&self, out: &mut String) {
        // Writing into a String never fails.
        let _ = self.write_fmt(out);
    }

    fn write_fmt(&self, out: &mut String) -> fmt::Result {
        let o = &self.origin;
        write!(
            out,
            "v=0\r\no={} {} {} {} {} {}\r\ns={}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            o.net_type,
            o.addr_type,
            o.address,
            self.session_name
        )?;
        if let Some(i) = self.info {
            write!(out, "i={i}\r\n")?;
        }
        if let Some(u) = self.uri {
            write!(out, "u={u}\r\n")?;
        }
        for e in &self.emails {
            write!(out, "e={e}\r\n")?;
        }
        for p in &self.phones {
            write!(out, "p={p}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(out, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)?;
        }
        for b in &self.bandwidths {
            write!(out, "b={b}\r\n")?;
        }
        for t in &self.timing {
            write!(out, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(out, "r={r}\r\n")?;
            }
        }
        if let Some(z) = self.zone {
            write!(out, "z={z}\r\n")?;
        }
        if let Some(k) = self.key {
            write!(out, "k={k}\r\n")?;
        }
        write_attributes(out, &self.attributes)?;
        for m in &self.media {
            write!(out, "m={} {}", m.kind, m.port)?;
            if let Some(n) = m.port_count {
                write!(out, "/{n}")?;
            }
            write!(out, " {} {}\r\n", m.protocol, m.formats.join(" "))?;
            if let Some(i) = m.info {
                write!(out, "i={i}\r\n")?;
            }
            for c in &m.connections {
                write!(out, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)?;
            }
            for b in &m.bandwidths {
                write!(out, "b={b}\r\n")?;
            }
            if let Some(k) = m.key {
                write!(out, "k={k}\r\n")?;
            }
            write_attributes(out, &m.attributes)?;
        }
        Ok(())
    }
}

fn write_attributes(out: &mut String, attrs: &[Attribute<'_>]) -> fmt::Result {
    for a in attrs {
        match a.value {
            Some(v) => write!(out, "a={}:{v}\r\n", a.name)?,
            None => write!(out, "a={}\r\n", a.name)?,
        }
    }
    Ok(())
}

impl fmt::Display for Sdp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}
