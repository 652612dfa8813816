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
        let bytes = name.as_bytes();
        if let [c] = bytes {
            let c = c.to_ascii_lowercase();
            return KNOWN
                .iter()
                .find(|(_, compact, _)| *compact == c)
                .map_or(Self::Other(name), |(_, _, known)| *known);
        }
        KNOWN
            .iter()
            .find(|(long, _, _)| {
                long.len() == bytes.len() && long.as_bytes().eq_ignore_ascii_case(bytes)
            })
            .map_or(Self::Other(name), |(_, _, known)| *known)
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
    fn unfolding() {
        assert_eq!(unfold(b"SIP  /   2.0\r\n /UDP"), "SIP  /   2.0 /UDP");
        assert_eq!(unfold(b"a\r\n\t b"), "a b");
        assert_eq!(unfold(b"plain"), "plain");
    }
}
