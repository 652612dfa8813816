//! Header names (long and compact forms, any case) and raw header fields.

use std::borrow::Cow;
use std::fmt;

/// A header's name: one this crate knows, or another kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderName<'a> {
    /// `Accept`
    Accept,
    /// `Allow`
    Allow,
    /// `Authorization`
    Authorization,
    /// `Call-ID` (`i`)
    CallId,
    /// `Contact` (`m`)
    Contact,
    /// `Content-Disposition`
    ContentDisposition,
    /// `Content-Encoding` (`e`)
    ContentEncoding,
    /// `Content-Length` (`l`)
    ContentLength,
    /// `Content-Type` (`c`)
    ContentType,
    /// `CSeq`
    CSeq,
    /// `Date`
    Date,
    /// `Event` (`o`)
    Event,
    /// `Expires`
    Expires,
    /// `From` (`f`)
    From,
    /// `Max-Forwards`
    MaxForwards,
    /// `Min-Expires`
    MinExpires,
    /// `Path`
    Path,
    /// `Proxy-Authenticate`
    ProxyAuthenticate,
    /// `Proxy-Authorization`
    ProxyAuthorization,
    /// `Proxy-Require`
    ProxyRequire,
    /// `Record-Route`
    RecordRoute,
    /// `Refer-To` (`r`)
    ReferTo,
    /// `Referred-By` (`b`)
    ReferredBy,
    /// `Replaces`
    Replaces,
    /// `Require`
    Require,
    /// `Retry-After`
    RetryAfter,
    /// `Route`
    Route,
    /// `Server`
    Server,
    /// `Session-Expires` (`x`)
    SessionExpires,
    /// `Subject` (`s`)
    Subject,
    /// `Supported` (`k`)
    Supported,
    /// `To` (`t`)
    To,
    /// `Unsupported`
    Unsupported,
    /// `User-Agent`
    UserAgent,
    /// `Via` (`v`)
    Via,
    /// `Warning`
    Warning,
    /// `WWW-Authenticate`
    WwwAuthenticate,
    /// Any other header, as written.
    Other(&'a str),
}

/// Known names: canonical form, compact form (or 0), variant.
const KNOWN: &[(&str, u8, HeaderName<'static>)] = &[
    ("Via", b'v', HeaderName::Via),
    ("From", b'f', HeaderName::From),
    ("To", b't', HeaderName::To),
    ("Call-ID", b'i', HeaderName::CallId),
    ("CSeq", 0, HeaderName::CSeq),
    ("Contact", b'm', HeaderName::Contact),
    ("Max-Forwards", 0, HeaderName::MaxForwards),
    ("Content-Length", b'l', HeaderName::ContentLength),
    ("Content-Type", b'c', HeaderName::ContentType),
    ("Route", 0, HeaderName::Route),
    ("Record-Route", 0, HeaderName::RecordRoute),
    ("Expires", 0, HeaderName::Expires),
    ("Require", 0, HeaderName::Require),
    ("Proxy-Require", 0, HeaderName::ProxyRequire),
    ("Supported", b'k', HeaderName::Supported),
    ("Authorization", 0, HeaderName::Authorization),
    ("Proxy-Authorization", 0, HeaderName::ProxyAuthorization),
    ("WWW-Authenticate", 0, HeaderName::WwwAuthenticate),
    ("Proxy-Authenticate", 0, HeaderName::ProxyAuthenticate),
    ("Accept", 0, HeaderName::Accept),
    ("Allow", 0, HeaderName::Allow),
    ("Content-Disposition", 0, HeaderName::ContentDisposition),
    ("Content-Encoding", b'e', HeaderName::ContentEncoding),
    ("Date", 0, HeaderName::Date),
    ("Event", b'o', HeaderName::Event),
    ("Min-Expires", 0, HeaderName::MinExpires),
    ("Path", 0, HeaderName::Path),
    ("Refer-To", b'r', HeaderName::ReferTo),
    ("Referred-By", b'b', HeaderName::ReferredBy),
    ("Replaces", 0, HeaderName::Replaces),
    ("Retry-After", 0, HeaderName::RetryAfter),
    ("Server", 0, HeaderName::Server),
    ("Session-Expires", b'x', HeaderName::SessionExpires),
    ("Subject", b's', HeaderName::Subject),
    ("Unsupported", 0, HeaderName::Unsupported),
    ("User-Agent", 0, HeaderName::UserAgent),
    ("Warning", 0, HeaderName::Warning),
];

impl<'a> HeaderName<'a> {
    /// Recognises a name in long or compact form, in any case. `name` must be a token.
    pub fn from_token(name: &'a str) -> Self {
        let b = name.as_bytes();
        let Some(&first) = b.first() else {
            return Self::Other(name);
        };
        if b.len() == 1 {
            return match first.to_ascii_lowercase() {
                b'v' => Self::Via,
                b'f' => Self::From,
                b't' => Self::To,
                b'i' => Self::CallId,
                b'm' => Self::Contact,
                b'l' => Self::ContentLength,
                b'c' => Self::ContentType,
                b'k' => Self::Supported,
                b'e' => Self::ContentEncoding,
                b'o' => Self::Event,
                b'r' => Self::ReferTo,
                b'b' => Self::ReferredBy,
                b'x' => Self::SessionExpires,
                b's' => Self::Subject,
                _ => Self::Other(name),
            };
        }
        // Candidates share the first letter and the length; one case-insensitive compare each.
        let candidates: &[(&str, HeaderName<'static>)] = match (first.to_ascii_lowercase(), b.len())
        {
            (b'v', 3) => &[("Via", HeaderName::Via)],
            (b't', 2) => &[("To", HeaderName::To)],
            (b'f', 4) => &[("From", HeaderName::From)],
            (b'c', 4) => &[("CSeq", HeaderName::CSeq)],
            (b'c', 7) => &[
                ("Call-ID", HeaderName::CallId),
                ("Contact", HeaderName::Contact),
            ],
            (b'c', 12) => &[("Content-Type", HeaderName::ContentType)],
            (b'c', 14) => &[("Content-Length", HeaderName::ContentLength)],
            (b'c', 16) => &[("Content-Encoding", HeaderName::ContentEncoding)],
            (b'c', 19) => &[("Content-Disposition", HeaderName::ContentDisposition)],
            (b'm', 12) => &[("Max-Forwards", HeaderName::MaxForwards)],
            (b'm', 11) => &[("Min-Expires", HeaderName::MinExpires)],
            (b'r', 5) => &[("Route", HeaderName::Route)],
            (b'r', 12) => &[("Record-Route", HeaderName::RecordRoute)],
            (b'r', 7) => &[("Require", HeaderName::Require)],
            (b'r', 8) => &[
                ("Refer-To", HeaderName::ReferTo),
                ("Replaces", HeaderName::Replaces),
            ],
            (b'r', 11) => &[
                ("Referred-By", HeaderName::ReferredBy),
                ("Retry-After", HeaderName::RetryAfter),
            ],
            (b'e', 7) => &[("Expires", HeaderName::Expires)],
            (b'e', 5) => &[("Event", HeaderName::Event)],
            (b'p', 13) => &[("Proxy-Require", HeaderName::ProxyRequire)],
            (b'p', 19) => &[("Proxy-Authorization", HeaderName::ProxyAuthorization)],
            (b'p', 18) => &[("Proxy-Authenticate", HeaderName::ProxyAuthenticate)],
            (b'p', 4) => &[("Path", HeaderName::Path)],
            (b's', 9) => &[("Supported", HeaderName::Supported)],
            (b's', 6) => &[("Server", HeaderName::Server)],
            (b's', 7) => &[("Subject", HeaderName::Subject)],
            (b's', 15) => &[("Session-Expires", HeaderName::SessionExpires)],
            (b'a', 13) => &[("Authorization", HeaderName::Authorization)],
            (b'a', 6) => &[("Accept", HeaderName::Accept)],
            (b'a', 5) => &[("Allow", HeaderName::Allow)],
            (b'w', 16) => &[("WWW-Authenticate", HeaderName::WwwAuthenticate)],
            (b'w', 7) => &[("Warning", HeaderName::Warning)],
            (b'd', 4) => &[("Date", HeaderName::Date)],
            (b'u', 11) => &[("Unsupported", HeaderName::Unsupported)],
            (b'u', 10) => &[("User-Agent", HeaderName::UserAgent)],
            _ => &[],
        };
        candidates
            .iter()
            .find(|(long, _)| token_eq_ignore_case(long.as_bytes(), b))
            .map_or(Self::Other(name), |(_, known)| *known)
    }

    /// The canonical (long) form, or the name as written for an unknown header.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Other(name) => name,
            known => KNOWN
                .iter()
                .find(|(_, _, k)| k == known)
                .map_or("", |(long, _, _)| long),
        }
    }

    /// The canonical name of a known header, for errors.
    pub(crate) fn static_name(&self) -> &'static str {
        match self {
            Self::Other(_) => "extension header",
            known => KNOWN
                .iter()
                .find(|(_, _, k)| k == known)
                .map_or("", |(long, _, _)| long),
        }
    }

    /// True when both name the same header (unknown names compare case-insensitively).
    pub fn same_as(&self, other: &HeaderName<'_>) -> bool {
        match (self, other) {
            (Self::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (Self::Other(_), _) | (_, HeaderName::Other(_)) => false,
            (a, b) => a.static_name() == b.static_name(),
        }
    }
}

/// Case-insensitive equality of a known name and a token. Setting bit 0x20 lower-cases ASCII
/// letters and leaves '-' and digits alone; no other token byte maps onto a letter, '-' or a
/// digit that way, so this is exact for tokens and cheaper than `eq_ignore_ascii_case`.
fn token_eq_ignore_case(known: &[u8], token: &[u8]) -> bool {
    known.len() == token.len()
        && known
            .iter()
            .zip(token)
            .all(|(&k, &t)| (k | 0x20) == (t | 0x20))
}

impl fmt::Display for HeaderName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header field as it appeared: its name and its raw value.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub(crate) name: HeaderName<'a>,
    pub(crate) value: &'a [u8],
    pub(crate) offset: usize,
}

impl<'a> Header<'a> {
    /// The name.
    pub fn name(&self) -> HeaderName<'a> {
        self.name
    }

    /// The value as it appeared, without leading and trailing white space; line folds
    /// (CRLF followed by white space) are kept.
    pub fn raw_value(&self) -> &'a [u8] {
        self.value
    }

    /// The value as text, if it is UTF-8 (line folds kept).
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }

    /// Byte offset of the value in the message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The value with each line fold replaced by one space, as text (invalid UTF-8 replaced).
    pub fn value(&self) -> Cow<'a, str> {
        unfold(self.value)
    }
}

/// Replaces each line fold (CR? LF followed by white space) with a single space, as text.
pub(crate) fn unfold(value: &[u8]) -> Cow<'_, str> {
    match unfold_bytes(value) {
        Cow::Borrowed(b) => String::from_utf8_lossy(b),
        Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// Replaces each line fold (CR? LF followed by white space) with a single space.
pub(crate) fn unfold_bytes(value: &[u8]) -> Cow<'_, [u8]> {
    if !value.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\r' || b == b'\n' {
            // Drop the line break and the white space around it; keep one space.
            while out.last().is_some_and(|&l: &u8| l == b' ' || l == b'\t') {
                out.pop();
            }
            while value
                .get(i)
                .is_some_and(|&c| matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
            {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(b);
            i += 1;
        }
    }
    Cow::Owned(out)
}

impl PartialEq for Header<'_> {
    /// Same header and the same value once folds are undone; offsets do not matter.
    fn eq(&self, other: &Self) -> bool {
        self.name.same_as(&other.name) && unfold_bytes(self.value) == unfold_bytes(other.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_form() {
        assert_eq!(HeaderName::from_token("v"), HeaderName::Via);
        assert_eq!(HeaderName::from_token("ViA"), HeaderName::Via);
        assert_eq!(HeaderName::from_token("I"), HeaderName::CallId);
        assert_eq!(HeaderName::from_token("call-id"), HeaderName::CallId);
        assert_eq!(
            HeaderName::from_token("MaX-fOrWaRdS"),
            HeaderName::MaxForwards
        );
        assert_eq!(HeaderName::from_token("X-Foo"), HeaderName::Other("X-Foo"));
        assert_eq!(
            HeaderName::from_token("C%6Fntact"),
            HeaderName::Other("C%6Fntact")
        );
        assert_eq!(HeaderName::Via.as_str(), "Via");
        assert!(HeaderName::Other("x-a").same_as(&HeaderName::Other("X-A")));
    }

    #[test]
    fn every_known_name_is_recognised_in_long_and_compact_form() {
        for (long, compact, known) in KNOWN {
            assert_eq!(HeaderName::from_token(long), *known, "{long}");
            assert_eq!(
                HeaderName::from_token(&long.to_ascii_uppercase()),
                *known,
                "{long}"
            );
            if *compact != 0 {
                let c = [*compact];
                let c = std::str::from_utf8(&c).unwrap();
                assert_eq!(HeaderName::from_token(c), *known, "{c}");
            }
            assert_eq!(known.as_str(), *long);
        }
    }

    #[test]
    fn unfolding() {
        assert_eq!(unfold(b"SIP  /   2.0\r\n /UDP"), "SIP  /   2.0 /UDP");
        assert_eq!(unfold(b"a\r\n\t b"), "a b");
        assert_eq!(unfold(b"plain"), "plain");
    }
}
