//! URIs: `sip:` and `sips:` (RFC 3261 §19.1), `tel:` (RFC 3966), and any other scheme kept as
//! an opaque absolute URI. IPv6 references follow RFC 5118: a SIP host that is an IPv6 address
//! is always bracketed, and everything inside the brackets is the address (no guessing of a port).
//!
//! Parsing borrows from the input and never unescapes; [`unescape`] decodes `%HH` escapes
//! once (never recursively), keeping `%00` as a NUL byte.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{ErrorKind, ParseError, bad_uri};
use crate::scan::{
    DIGITS, HNV, HOSTCHAR, PARAMCHAR, PASSWORD, URIC, USER, all_in, find, is_hex_pair,
    parse_decimal, run,
};

/// A URI of any scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUri<'a>),
    /// `tel:` (RFC 3966).
    Tel(TelUri<'a>),
    /// Any other scheme, kept opaque (`isbn:…`, `http://…`, `urn:…`).
    Other(AbsoluteUri<'a>),
}

/// A `sip:` or `sips:` URI.
///
/// Kept in 64 bytes: its parts are byte ranges of the text (in 32 bits each) rather than
/// slices, because URIs are built and moved for every From, To, Contact and Request-URI of
/// every message, and a smaller value costs less to build and to move.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    raw: &'a str,
    /// Where the user ends (it starts after the scheme); 0 without a user.
    user_end: u32,
    /// The password's range; `(0, 0)` without one.
    password: (u32, u32),
    /// The host's range (with the brackets of an IPv6 reference).
    host: (u32, u32),
    /// Where the parameters start (after the `;`) and end; an empty range without any.
    params: (u32, u32),
    /// The `?headers` range (after the `?`); `(0, 0)` without any.
    headers: (u32, u32),
    port: Option<u16>,
    kind: HostKind,
    secure: bool,
}

/// What kind of host a [`SipUri`] has: a name or IPv6 reference is kept as its range, an IPv4
/// address as its four bytes (an IPv6 address is read again from its text when asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKind {
    Name,
    V4([u8; 4]),
    V6,
}

impl HostKind {
    /// The host, given its text (with the brackets of an IPv6 reference).
    #[inline]
    fn host(self, text: &str) -> Host<'_> {
        match self {
            Self::Name => Host::Name(text),
            Self::V4(octets) => Host::V4(Ipv4Addr::from(octets)),
            // Checked by the parse; read again only when asked for.
            Self::V6 => Host::V6(
                text.get(1..text.len().saturating_sub(1))
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(Ipv6Addr::UNSPECIFIED),
            ),
        }
    }
}

impl fmt::Debug for SipUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipUri")
            .field("raw", &self.raw)
            .field("secure", &self.secure)
            .field("user", &self.user())
            .field("password", &self.password())
            .field("host", &self.host())
            .field("port", &self.port)
            .field("params", &self.params())
            .field("headers", &self.headers())
            .finish()
    }
}

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name, as written.
    Name(&'a str),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address (written in brackets).
    V6(Ipv6Addr),
}

/// A `tel:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    raw: &'a str,
    number: &'a str,
    params: Params<'a>,
}

/// A URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsoluteUri<'a> {
    raw: &'a str,
    scheme: &'a str,
}

/// `;name[=value]` parameters as written, without the leading `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl Params<'static> {
    /// No parameters.
    pub(crate) const EMPTY: Self = Self { raw: "" };
}

impl<'a> Params<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The parameters as written, without the leading `;`.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Each parameter as `(name, value)`, names and values trimmed of white space. A `;`
    /// inside a quoted value does not split it.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let raw = self.raw;
        let mut rest = raw;
        std::iter::from_fn(move || {
            loop {
                if rest.is_empty() {
                    return None;
                }
                let mut in_quotes = false;
                let mut escaped = false;
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| {
                        if escaped {
                            escaped = false;
                        } else if c == '\\' && in_quotes {
                            escaped = true;
                        } else if c == '"' {
                            in_quotes = !in_quotes;
                        } else if c == ';' && !in_quotes {
                            return true;
                        }
                        false
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let param = &rest[..end];
                rest = rest.get(end + 1..).unwrap_or_default();
                if param.trim().is_empty() {
                    continue;
                }
                return Some(match param.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim())),
                    None => (param.trim(), None),
                });
            }
        })
    }

    /// The first parameter named `name` (case-insensitive): `Some(None)` when present without
    /// a value.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl Uri<'static> {
    /// A placeholder no parse returns: an empty opaque URI.
    pub(crate) const NONE: Self = Self::Other(AbsoluteUri {
        raw: "",
        scheme: "",
    });
}

impl<'a> Uri<'a> {
    /// Parses a whole URI (no surrounding white space or brackets).
    pub fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(input).map_err(|e| bad_uri("ASCII", e.valid_up_to()))?;
        parse_uri(text, 0)
    }

    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Sip(u) => u.raw,
            Self::Tel(u) => u.raw,
            Self::Other(u) => u.raw,
        }
    }

    /// The scheme as written (`sip`, `SIPS`, `tel`, `urn`…).
    pub fn scheme(&self) -> &'a str {
        let raw = self.as_str();
        raw.split_once(':').map_or(raw, |(s, _)| s)
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Self::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The tel URI, if this is one.
    pub fn as_tel(&self) -> Option<&TelUri<'a>> {
        match self {
            Self::Tel(u) => Some(u),
            _ => None,
        }
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> SipUri<'a> {
    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }
    /// `sips:` rather than `sip:`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
    /// The text in a range kept by the parse (always inside `raw`, on ASCII boundaries).
    #[inline]
    fn part(&self, (start, end): (u32, u32)) -> &'a str {
        self.raw
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }
    /// The user part as written (still escaped).
    pub fn user(&self) -> Option<&'a str> {
        let scheme = if self.secure { 5 } else { 4 };
        (self.user_end != 0).then(|| self.part((scheme, self.user_end)))
    }
    /// The password as written (still escaped).
    pub fn password(&self) -> Option<&'a str> {
        (self.password.0 != 0).then(|| self.part(self.password))
    }
    /// The host.
    pub fn host(&self) -> Host<'a> {
        self.kind.host(self.part(self.host))
    }
    /// The port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// The URI parameters.
    pub fn params(&self) -> Params<'a> {
        Params::new(self.part(self.params))
    }
    /// The `?headers` part, without `?`, as written.
    pub fn headers(&self) -> Option<&'a str> {
        (self.headers.0 != 0).then(|| self.part(self.headers))
    }
}

impl<'a> TelUri<'a> {
    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }
    /// The number as written, with `+` for a global number and any visual separators.
    pub fn number(&self) -> &'a str {
        self.number
    }
    /// True for a global number (`+…`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }
    /// The parameters (`ext`, `isub`, `phone-context`, …).
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> AbsoluteUri<'a> {
    /// The URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }
    /// The scheme.
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::V4(a) => write!(f, "{a}"),
            Self::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Decodes `%HH` escapes once. `%00` becomes a NUL byte; an invalid escape is kept as written.
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let decoded = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match decoded {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// `s[a..b]`; every boundary used here sits next to an ASCII delimiter.
fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or_default()
}

/// Parses a URI whose first byte is at `base` in the message.
pub(crate) fn parse_uri(input: &str, base: usize) -> Result<Uri<'_>, ParseError> {
    let bytes = input.as_bytes();
    // `sip:` and `sips:` in any case, the URIs nearly every header holds, without the general
    // scheme scan. (A letter OR 0x20 is its lower case, and no other byte gives a letter.)
    let (scheme_len, secure) = match bytes {
        [s, i, p, b':', ..] if [s | 0x20, i | 0x20, p | 0x20] == *b"sip" => (4, false),
        [s, i, p, s2, b':', ..] if [s | 0x20, i | 0x20, p | 0x20, s2 | 0x20] == *b"sips" => {
            (5, true)
        }
        _ => return parse_other_uri(input, base),
    };
    parse_sip(input, scheme_len, base, secure).map(Uri::Sip)
}

/// A URI of a scheme other than `sip` and `sips` (which [`parse_uri`] takes in any case).
fn parse_other_uri(input: &str, base: usize) -> Result<Uri<'_>, ParseError> {
    let bytes = input.as_bytes();
    let colon = find(b':', bytes).ok_or_else(|| bad_uri("scheme and ':'", base))?;
    let scheme = &bytes[..colon];
    let valid_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return Err(bad_uri(
            "a scheme: a letter, then letters, digits, '+', '-' or '.'",
            base,
        ));
    }
    let rest = sub(input, colon + 1, input.len());
    let rest_base = base + colon + 1;
    if scheme.eq_ignore_ascii_case(b"tel") {
        parse_tel(input, rest, rest_base).map(Uri::Tel)
    } else {
        if rest.is_empty() {
            return Err(bad_uri("something after the scheme", rest_base));
        }
        if let Some(i) = all_in(rest.as_bytes(), &URIC, true) {
            return Err(bad_uri("URI characters", rest_base + i));
        }
        Ok(Uri::Other(AbsoluteUri {
            raw: input,
            scheme: sub(input, 0, colon),
        }))
    }
}

/// A `sip:` or `sips:` URI whose scheme and colon take the first `scheme_len` bytes of
/// `whole`, found at `base` in the message. Read on byte offsets, with no slicing of text
/// until a part is asked for.
#[inline(always)]
fn parse_sip(
    whole: &str,
    scheme_len: usize,
    base: usize,
    secure: bool,
) -> Result<SipUri<'_>, ParseError> {
    let b = whole.as_bytes();
    // Every part is an offset in `whole`, kept in 32 bits: no message is longer.
    if u32::try_from(b.len()).is_err() {
        return Err(ParseError::new(
            ErrorKind::TooLarge {
                max: u32::MAX as usize,
            },
            base,
        ));
    }
    let off = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
    let rest_base = base + scheme_len;
    let userinfo = scan_userinfo(b.get(scheme_len..).unwrap_or_default());
    let (user_end, password, host_start) = match checked_userinfo(userinfo, rest_base)? {
        None => (0, (0, 0), scheme_len),
        Some((user_end, colon, at)) => {
            let password =
                colon.map_or((0, 0), |c| (off(scheme_len + c + 1), off(scheme_len + at)));
            (off(scheme_len + user_end), password, scheme_len + at + 1)
        }
    };
    // host[:port], then ;params, then ?headers
    let hostpart = b.get(host_start..).unwrap_or_default();
    let (kind, host_len, port, hostport_len) = scan_hostport(hostpart, base + host_start)?;
    let host = (off(host_start), off(host_start + host_len));
    let mut at = host_start + hostport_len;
    let mut params = (0, 0);
    if b.get(at) == Some(&b';') {
        let start = at + 1;
        let after = b.get(start..).unwrap_or_default();
        let end = start + find(b'?', after).unwrap_or(after.len());
        check_params(
            b.get(start..end).unwrap_or_default(),
            base + start,
            &PARAMCHAR,
        )?;
        params = (off(start), off(end));
        at = end;
    }
    let mut headers = (0, 0);
    if b.get(at) == Some(&b'?') {
        check_headers(b.get(at + 1..).unwrap_or_default(), base + at + 1)?;
        headers = (off(at + 1), off(b.len()));
        at = b.len();
    }
    if at != b.len() {
        return Err(bad_uri(
            "';' parameters, '?' headers or the end of the URI",
            base + at,
        ));
    }
    Ok(SipUri {
        raw: whole,
        user_end,
        password,
        host,
        params,
        headers,
        port,
        kind,
        secure,
    })
}

/// A SIP URI's text after the scheme split into user, password, and the rest from the host
/// on (with its offset), the user and password checked.
#[cfg(test)]
type UserinfoSplit<'a> = (Option<&'a str>, Option<&'a str>, &'a str, usize);

#[cfg(test)]
fn split_userinfo(rest: &str, rest_base: usize) -> Result<UserinfoSplit<'_>, ParseError> {
    Ok(
        match checked_userinfo(scan_userinfo(rest.as_bytes()), rest_base)? {
            None => (None, None, rest, rest_base),
            Some((user_end, colon, at)) => (
                Some(sub(rest, 0, user_end)),
                colon.map(|c| sub(rest, c + 1, at)),
                sub(rest, at + 1, rest.len()),
                rest_base + at + 1,
            ),
        },
    )
}

/// What [`scan_userinfo`] found, checked: `None` without a userinfo, else where the user
/// ends, the first `:` and the `@`; or the error (a missing user, or a byte a user or
/// password cannot hold), with `rest_base` the offset of the text after the scheme.
#[inline(always)]
fn checked_userinfo(
    found: Userinfo,
    rest_base: usize,
) -> Result<Option<(usize, Option<usize>, usize)>, ParseError> {
    match found {
        Userinfo::None => Ok(None),
        Userinfo::Bad { colon: Some(0), .. } => Err(bad_uri("a user before '@'", rest_base)),
        Userinfo::Bad {
            at, in_password, ..
        } => Err(if in_password {
            bad_uri("password characters or %HH", rest_base + at)
        } else {
            bad_uri("user characters or %HH", rest_base + at)
        }),
        Userinfo::Found { colon, at } => {
            let user_end = colon.unwrap_or(at);
            if user_end == 0 {
                return Err(bad_uri("a user before '@'", rest_base));
            }
            Ok(Some((user_end, colon, at)))
        }
    }
}

/// What [`scan_userinfo`] found before the host.
enum Userinfo {
    /// No `@`: the URI starts with its host.
    None,
    /// `user[:password]@`, the `@` at `at` and the first `:` (if any) at `colon`.
    Found { colon: Option<usize>, at: usize },
    /// There is an `@`, but the byte at `at` cannot be in a user (or, after the first `:`
    /// at `colon`, in a password).
    Bad {
        at: usize,
        in_password: bool,
        colon: Option<usize>,
    },
}

/// Byte classes of `userinfo`: password characters (which are also user characters), user
/// characters that cannot be in a password, `:`, `%`; 0 for anything else.
const UI_PASSWORD: u8 = 1;
const UI_USER: u8 = 2;
const UI_COLON: u8 = 3;
const UI_ESCAPE: u8 = 4;
static USERINFO_CLASS: [u8; 256] = {
    let mut t = [0; 256];
    let mut c: u8 = 0;
    loop {
        t[c as usize] = if PASSWORD[c as usize] {
            UI_PASSWORD
        } else if USER[c as usize] {
            UI_USER
        } else if c == b':' {
            UI_COLON
        } else if c == b'%' {
            UI_ESCAPE
        } else {
            0
        };
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    t
};

/// Splits `user[:password]@` off the start of a SIP URI's text after the scheme, checking the
/// user and password characters in the same pass. Without any `@` there is no userinfo (the
/// first `@` is the separator, as the grammar has it: no host character is an `@`).
fn scan_userinfo(b: &[u8]) -> Userinfo {
    let mut i = 0;
    let mut colon = None;
    // The first byte after the first ':' that a password cannot hold.
    let mut bad_password = None;
    loop {
        // Runs of password characters (which users nearly always are) in a tight loop.
        i += run(b.get(i..).unwrap_or_default(), &PASSWORD);
        let Some(&c) = b.get(i) else {
            return Userinfo::None;
        };
        // Not a password character: the run above took those.
        match USERINFO_CLASS[usize::from(c)] {
            UI_USER => {
                if colon.is_some() && bad_password.is_none() {
                    bad_password = Some(i);
                }
                i += 1;
            }
            UI_COLON => {
                if colon.is_none() {
                    colon = Some(i);
                } else if bad_password.is_none() {
                    bad_password = Some(i);
                }
                i += 1;
            }
            UI_ESCAPE if is_hex_pair(b.get(i + 1..i + 3)) => i += 3,
            _ => break,
        }
    }
    if b.get(i) == Some(&b'@') {
        return match bad_password {
            Some(at) => Userinfo::Bad {
                at,
                in_password: true,
                colon,
            },
            None => Userinfo::Found { colon, at: i },
        };
    }
    // Something no userinfo holds: an error if an '@' still follows, else there is none.
    if find(b'@', b.get(i..).unwrap_or_default()).is_none() {
        return Userinfo::None;
    }
    Userinfo::Bad {
        at: bad_password.unwrap_or(i),
        in_password: colon.is_some(),
        colon,
    }
}

/// Parses `host[:port]` at the start of `s`; returns how many bytes it took.
#[inline]
pub(crate) fn parse_hostport(
    s: &str,
    base: usize,
) -> Result<(usize, Host<'_>, Option<u16>), ParseError> {
    let (kind, host_len, port, len) = scan_hostport(s.as_bytes(), base)?;
    Ok((len, kind.host(sub(s, 0, host_len)), port))
}

/// `host[:port]` at the start of `b`, whose first byte is at `base` in the message: the
/// host's kind and length, the port, and how many bytes both took.
#[inline(always)]
fn scan_hostport(
    b: &[u8],
    base: usize,
) -> Result<(HostKind, usize, Option<u16>, usize), ParseError> {
    let (kind, host_len) = if b.first() == Some(&b'[') {
        let close = find(b']', b)
            .ok_or_else(|| bad_uri("']' closing the IPv6 reference", base + b.len()))?;
        b.get(1..close)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse::<Ipv6Addr>().ok())
            .ok_or_else(|| bad_uri("an IPv6 address", base + 1))?;
        (HostKind::V6, close + 1)
    } else {
        scan_host(b, base)?
    };
    let mut len = host_len;
    let mut port = None;
    if b.get(len) == Some(&b':') {
        let digits_len = run(b.get(len + 1..).unwrap_or_default(), &DIGITS);
        let digits = b.get(len + 1..len + 1 + digits_len).unwrap_or_default();
        let value =
            parse_decimal(digits).ok_or_else(|| bad_uri("a port number", base + len + 1))?;
        port = Some(u16::try_from(value).map_err(|_| {
            ParseError::new(ErrorKind::NumberTooLarge { max: 65_535 }, base + len + 1)
        })?);
        len += 1 + digits_len;
    }
    Ok((kind, host_len, port, len))
}

/// A whole host name or IPv4 address (only letters, digits, '-' and '.'):
/// `hostname = *( domainlabel "." ) toplabel [ "." ]`, labels not starting or ending with '-'.
pub(crate) fn parse_host_name(text: &str, base: usize) -> Result<Host<'_>, ParseError> {
    let (host, len) = scan_host_name(text, base)?;
    if len < text.len() {
        return Err(bad_uri("host name characters", base + len));
    }
    Ok(host)
}

/// Letters and digits: what a host-name label is made of, besides inner dashes.
static ALPHANUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut c: u8 = 0;
    while c < 128 {
        t[c as usize] = c.is_ascii_alphanumeric();
        c += 1;
    }
    t
};

/// The host name or IPv4 address at the start of `s` (up to the first byte that is not a
/// letter, digit, '-' or '.'), checked as [`parse_host_name`] does, and its length. One pass
/// finds the end and checks the labels (no empty label, none starting or ending with '-'):
/// a tight loop over each run of letters and digits, with dashes and dots handled between
/// runs. A host of only digits and dots is then read as a dotted quad. This runs for every
/// URI and Via.
#[inline(always)]
fn scan_host(b: &[u8], base: usize) -> Result<(HostKind, usize), ParseError> {
    // Nearly every host that starts with a digit is a dotted quad: read it as one, and take
    // it if no host character follows (the scan below would read it the same way).
    if b.first().is_some_and(u8::is_ascii_digit)
        && let Some((octets, len)) = quad_prefix(b)
        && !b.get(len).is_some_and(|&c| HOSTCHAR[usize::from(c)])
    {
        return Ok((HostKind::V4(octets), len));
    }
    let mut len = 0;
    // Every byte ORed together: only letters have 0x40 set (digits, '-' and '.' do not).
    let mut seen = 0;
    let mut dash = false;
    let mut label_start = 0;
    loop {
        while let Some(&c) = b.get(len)
            && ALPHANUM[usize::from(c)]
        {
            seen |= c;
            len += 1;
        }
        match b.get(len) {
            Some(b'-') => {
                if len == label_start {
                    return Err(bad_uri("a host name label", base + len));
                }
                dash = true;
            }
            Some(b'.') => {
                if len == label_start || b[len - 1] == b'-' {
                    return Err(bad_uri("a host name label", base + label_start));
                }
                label_start = len + 1;
            }
            _ => break,
        }
        len += 1;
    }
    if len == 0 {
        return Err(bad_uri("a host", base));
    }
    if b[len - 1] == b'-' {
        return Err(bad_uri("a host name label", base + label_start));
    }
    // Only digits and dots: an IPv4 address.
    if seen & 0x40 == 0 && !dash {
        return match dotted_quad(b.get(..len).unwrap_or_default()) {
            Some(addr) => Ok((HostKind::V4(addr.octets()), len)),
            None => Err(bad_uri("an IPv4 address", base)),
        };
    }
    Ok((HostKind::Name, len))
}

/// [`scan_host`] of text, with the host as a [`Host`].
#[inline]
pub(crate) fn scan_host_name(s: &str, base: usize) -> Result<(Host<'_>, usize), ParseError> {
    let (kind, len) = scan_host(s.as_bytes(), base)?;
    Ok((kind.host(sub(s, 0, len)), len))
}

/// `IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT` of digits and dots, with
/// no octet above 255 and no leading zeros.
fn dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    match quad_prefix(b)? {
        (octets, len) if len == b.len() => Some(Ipv4Addr::from(octets)),
        _ => None,
    }
}

/// The four octets of the IPv4 address at the start of `b` (see [`dotted_quad`]) and its
/// length.
fn quad_prefix(b: &[u8]) -> Option<([u8; 4], usize)> {
    let digit = |at: usize| {
        b.get(at)
            .map(|c| c.wrapping_sub(b'0'))
            .filter(|&d| d < 10)
            .map(u16::from)
    };
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        // One to three digits, no leading zero.
        let first = digit(at)?;
        let mut value = first;
        at += 1;
        if let Some(second) = digit(at) {
            if first == 0 {
                return None;
            }
            value = value * 10 + second;
            at += 1;
            if let Some(third) = digit(at) {
                value = value * 10 + third;
                at += 1;
                if digit(at).is_some() {
                    return None;
                }
            }
        }
        *octet = u8::try_from(value).ok()?;
    }
    Some((octets, at))
}

/// Checks `name[=value](;name[=value])*` with each part in `class` (escapes allowed).
fn check_params(s: &[u8], base: usize, class: &[bool; 256]) -> Result<(), ParseError> {
    let mut offset = base;
    for param in s.split(|&b| b == b';') {
        if param.is_empty() {
            return Err(bad_uri("a parameter name", offset));
        }
        let (name, value) = match find(b'=', param) {
            Some(e) => (&param[..e], Some((&param[e + 1..], e + 1))),
            None => (param, None),
        };
        if name.is_empty() {
            return Err(bad_uri("a parameter name", offset));
        }
        if let Some(i) = all_in(name, class, true) {
            return Err(bad_uri("parameter characters or %HH", offset + i));
        }
        if let Some((v, at)) = value {
            if v.is_empty() {
                return Err(bad_uri("a parameter value after '='", offset + at));
            }
            if let Some(i) = all_in(v, class, true) {
                return Err(bad_uri("parameter characters or %HH", offset + at + i));
            }
        }
        offset += param.len() + 1;
    }
    Ok(())
}

/// Checks `hname=hvalue(&hname=hvalue)*`.
fn check_headers(s: &[u8], base: usize) -> Result<(), ParseError> {
    let mut offset = base;
    for header in s.split(|&b| b == b'&') {
        let Some(eq) = find(b'=', header) else {
            return Err(bad_uri("hname=hvalue", offset));
        };
        let (name, value) = (&header[..eq], &header[eq + 1..]);
        if name.is_empty() {
            return Err(bad_uri("a header name", offset));
        }
        if let Some(i) = all_in(name, &HNV, true) {
            return Err(bad_uri("header characters or %HH", offset + i));
        }
        if let Some(i) = all_in(value, &HNV, true) {
            return Err(bad_uri("header characters or %HH", offset + eq + 1 + i));
        }
        offset += header.len() + 1;
    }
    Ok(())
}

fn parse_tel<'a>(
    whole: &'a str,
    rest: &'a str,
    rest_base: usize,
) -> Result<TelUri<'a>, ParseError> {
    let rb = rest.as_bytes();
    let end = find(b';', rb).unwrap_or(rb.len());
    let number = &rb[..end];
    let global = number.first() == Some(&b'+');
    let digits = if global { &number[1..] } else { number };
    let allowed = |b: u8| {
        b.is_ascii_digit()
            || matches!(b, b'-' | b'.' | b'(' | b')')
            || (!global && (b.is_ascii_hexdigit() || matches!(b, b'*' | b'#')))
    };
    if let Some(i) = digits.iter().position(|&b| !allowed(b)) {
        return Err(bad_uri(
            "a digit or visual separator",
            rest_base + usize::from(global) + i,
        ));
    }
    if !digits
        .iter()
        .any(|b| b.is_ascii_hexdigit() || matches!(b, b'*' | b'#'))
    {
        return Err(bad_uri("at least one digit", rest_base));
    }
    let mut params = Params::default();
    if end < rb.len() {
        let p = sub(rest, end + 1, rest.len());
        check_params(p.as_bytes(), rest_base + end + 1, &PARAMCHAR)?;
        params = Params::new(p);
    }
    if !global && params.get("phone-context").is_none() {
        return Err(bad_uri(
            "phone-context for a local number (RFC 3966 §5.1.5)",
            rest_base + end,
        ));
    }
    Ok(TelUri {
        raw: whole,
        number: sub(rest, 0, end),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri<'_> {
        match Uri::parse(s.as_bytes()).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    #[test]
    fn sip_uris() {
        let u = sip("sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi&x=y");
        assert_eq!(u.user(), Some("alice"));
        assert_eq!(u.password(), Some("secret"));
        assert_eq!(u.host(), Host::Name("example.com"));
        assert_eq!(u.port(), Some(5070));
        assert_eq!(u.params().get("transport"), Some(Some("tcp")));
        assert_eq!(u.params().get("LR"), Some(None));
        assert_eq!(u.headers(), Some("subject=hi&x=y"));
        assert!(sip("SIPS:example.com").is_secure());
    }

    #[test]
    fn semicolon_in_user_part() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user(), Some("user;par=u%40example.net"));
        assert_eq!(&*unescape(u.user().unwrap()), b"user;par=u@example.net");
        assert!(u.params().is_empty());
    }

    #[test]
    fn escapes_unescape_once() {
        assert_eq!(&*unescape("n%61me=v%61lue%25%34%31"), b"name=value%41");
        assert_eq!(&*unescape("null-%00-null"), b"null-\0-null");
        assert!(Uri::parse(b"sip:a%4@h").is_err());
        assert!(Uri::parse(b"sip:a%zz@h").is_err());
    }

    #[test]
    fn ipv6_references() {
        assert_eq!(
            sip("sip:[2001:db8::10]:5070").host(),
            Host::V6("2001:db8::10".parse().unwrap())
        );
        assert_eq!(sip("sip:[2001:db8::10]:5070").port(), Some(5070));
        let ambiguous = sip("sip:[2001:db8::10:5070]");
        assert_eq!(
            ambiguous.host(),
            Host::V6("2001:db8::10:5070".parse().unwrap())
        );
        assert_eq!(ambiguous.port(), None);
        assert!(Uri::parse(b"sip:2001:db8::10").is_err());
        assert!(Uri::parse(b"sip:[2001:db8:::192.0.2.1]").is_err());
        assert!(Uri::parse(b"sip:[::ffff:192.0.2.10]:19823").is_ok());
    }

    #[test]
    fn tel_and_other_schemes() {
        let t = Uri::parse(b"tel:+62-21-555-0123;ext=12").unwrap();
        let tel = t.as_tel().unwrap();
        assert!(tel.is_global());
        assert_eq!(tel.number(), "+62-21-555-0123");
        assert_eq!(tel.params().get("ext"), Some(Some("12")));
        assert!(Uri::parse(b"tel:7042;phone-context=example.com").is_ok());
        assert!(Uri::parse(b"tel:7042").is_err());
        assert!(Uri::parse(b"tel:+").is_err());
        let other = Uri::parse(b"nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert_eq!(other.scheme(), "nobodyKnowsThisScheme");
        assert!(Uri::parse(b"soap.beep://192.0.2.103:3002").is_ok());
        assert!(Uri::parse(b"<sip:x@y>").is_err());
        assert!(Uri::parse(b"isbn:").is_err());
    }

    #[test]
    fn params_respect_quotes() {
        let p = Params::new(r#"a=1; b="x;y" ;c"#);
        let all: Vec<_> = p.iter().collect();
        assert_eq!(
            all,
            [("a", Some("1")), ("b", Some(r#""x;y""#)), ("c", None)]
        );
    }

    /// Dotted-quad IPv4 as the grammar reads it, split and checked part by part: the
    /// reference the one-pass scan is held to.
    fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
        let mut octets = [0u8; 4];
        let mut i = 0;
        for (n, part) in b.split(|&c| c == b'.').enumerate() {
            let slot = octets.get_mut(n)?;
            if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
                return None;
            }
            let v = part.iter().try_fold(0u16, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u16::from(d - b'0'))
            })?;
            *slot = u8::try_from(v).ok()?;
            i = n;
        }
        (i == 3).then(|| Ipv4Addr::from(octets))
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(256))]

        /// Every all-digit host the scan takes as an IPv4 address is one by the grammar, with
        /// the same octets, and every one it refuses is not.
        #[test]
        fn the_one_pass_scan_reads_ipv4_as_the_grammar_does(s in "[0-9.]{1,17}") {
            let scanned = match parse_host_name(&s, 0) {
                Ok(Host::V4(a)) => Some(a),
                _ => None,
            };
            proptest::prop_assert_eq!(scanned, parse_ipv4(s.as_bytes()), "{}", s);
        }

        /// The scan takes exactly the hosts the label-by-label reading takes, and stops where
        /// the host ends.
        #[test]
        fn the_one_pass_scan_reads_host_names_as_the_grammar_does(s in "[a-c0-2.-]{0,10}[;:>]?[a-c.]{0,3}") {
            let scanned = scan_host_name(&s, 0).ok().map(|(h, _)| h);
            proptest::prop_assert_eq!(scanned, reference_host(&s), "{}", s);
        }
    }

    /// A host at the start of `s` as the grammar reads it, label by label: the reference the
    /// one-pass scan is held to.
    fn reference_host(s: &str) -> Option<Host<'_>> {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .unwrap_or(s.len());
        let h = &s[..end];
        if h.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return parse_ipv4(h.as_bytes()).map(Host::V4);
        }
        let labels = h.strip_suffix('.').unwrap_or(h);
        let bad = labels
            .split('.')
            .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'));
        (!bad).then_some(Host::Name(h))
    }

    /// The userinfo split as it was first written, pass by pass: find the first '@', split
    /// at the first ':', check the user, then the password. The one-pass scan is held to it.
    fn reference_userinfo(rest: &str, rest_base: usize) -> Result<UserinfoSplit<'_>, ParseError> {
        let Some(at) = find(b'@', rest.as_bytes()) else {
            return Ok((None, None, rest, rest_base));
        };
        let info = &rest[..at];
        let (user, password) = match find(b':', info.as_bytes()) {
            Some(c) => (&info[..c], Some((&info[c + 1..], c + 1))),
            None => (info, None),
        };
        if user.is_empty() {
            return Err(bad_uri("a user before '@'", rest_base));
        }
        if let Some(i) = all_in(user.as_bytes(), &USER, true) {
            return Err(bad_uri("user characters or %HH", rest_base + i));
        }
        if let Some((p, pat)) = password
            && let Some(i) = all_in(p.as_bytes(), &PASSWORD, true)
        {
            return Err(bad_uri("password characters or %HH", rest_base + pat + i));
        }
        Ok((
            Some(user),
            password.map(|(p, _)| p),
            &rest[at + 1..],
            rest_base + at + 1,
        ))
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(256))]

        /// The one-pass userinfo scan splits and refuses exactly as the pass-by-pass reading.
        #[test]
        fn the_one_pass_userinfo_scan_agrees_with_the_reference(
            rest in "[a;:@%4G>?/ ]{0,12}"
        ) {
            proptest::prop_assert_eq!(split_userinfo(&rest, 7), reference_userinfo(&rest, 7));
        }
    }

    #[test]
    fn ipv4_hosts() {
        assert_eq!(
            parse_ipv4(b"192.0.2.10"),
            Some(Ipv4Addr::new(192, 0, 2, 10))
        );
        assert_eq!(parse_ipv4(b"0.0.0.0"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some(Ipv4Addr::BROADCAST));
        for bad in [
            &b"1.2.3"[..],
            b"1.2.3.4.5",
            b"256.1.1.1",
            b"01.2.3.4",
            b"1..3.4",
            b"1.2.3.",
            b"1234.1.1.1",
            b"",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{:?}", String::from_utf8_lossy(bad));
            let text = std::str::from_utf8(bad).unwrap_or_default();
            assert!(
                !matches!(parse_host_name(text, 0), Ok(Host::V4(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_ports_and_hosts() {
        assert!(matches!(
            Uri::parse(b"sip:h:70000").unwrap_err().kind(),
            ErrorKind::NumberTooLarge { max: 65_535 }
        ));
        assert!(Uri::parse(b"sip:h:").is_err());
        assert!(Uri::parse(b"sip:-h.com").is_err());
        assert!(Uri::parse(b"sip:256.1.1.1").is_err());
        assert!(Uri::parse(b"sip:u@").is_err());
        assert!(Uri::parse(b"sip:h;;lr").is_err());
        assert!(Uri::parse(b"sip:h; lr").is_err());
    }
}
