//! Typed values of the core headers and their parsers (RFC 3261 §25.1, §20).
//!
//! Each parser takes one header value (or one comma-separated element of it) with its offset
//! in the message, validates it completely, and borrows from it.

use std::borrow::Cow;
use std::fmt;

pub(crate) mod fast;

use crate::error::{ErrorKind, ParseError, bad_value};
use crate::scan::{
    Cursor, DIGITS, HOSTCHAR, TOKEN, WORD, find, is_lws, parse_decimal, trim_lws_str,
};
use crate::uri::{Host, Params, Uri, parse_host_name, parse_hostport, parse_uri};

/// One Via value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    transport: &'a str,
    host: Host<'a>,
    port: Option<u16>,
    params: Params<'a>,
    branch: Option<&'a str>,
    received: Option<&'a str>,
    rport: Option<Option<u16>>,
}

impl Via<'static> {
    /// What an accessor of a message without a Via would see; a parsed message always has one.
    pub(crate) const NONE: Self = Self {
        transport: "",
        host: Host::Name(""),
        port: None,
        params: Params::EMPTY,
        branch: None,
        received: None,
        rport: None,
    };
}

impl<'a> Via<'a> {
    /// The transport token as written (`UDP`, `TCP`, `TLS`, `WS`, or an unknown token).
    pub fn transport(&self) -> &'a str {
        self.transport
    }
    /// The sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }
    /// The sent-by port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// All Via parameters as written.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.branch
    }
    /// True when the branch starts with RFC 3261's magic cookie `z9hG4bK` and has more after it.
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }
    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.received
    }
    /// The `rport` parameter: `Some(None)` when present without a value (RFC 3581).
    pub fn rport(&self) -> Option<Option<u16>> {
        self.rport
    }
}

/// A name-addr or addr-spec with header parameters: the value of From, To, Contact, Route,
/// Record-Route.
///
/// The tag is kept as a range of the parameters' text, so that a Contact (this and its
/// expires and q) fits in 128 bytes and is moved with a few register stores rather than a
/// call to `memcpy`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display_name: Option<&'a str>,
    uri: Uri<'a>,
    bracketed: bool,
    params: Params<'a>,
    /// The first `tag` parameter's value, found while the parameters were checked (dialogs
    /// and transactions ask for it on every message): its range in `params`, `(0, 0)` for
    /// none (a value never starts a parameter list).
    tag: (u32, u32),
}

impl fmt::Debug for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameAddr")
            .field("display_name", &self.display_name)
            .field("uri", &self.uri)
            .field("bracketed", &self.bracketed)
            .field("params", &self.params)
            .field("tag", &self.tag())
            .finish()
    }
}

/// The range of `inner`, a slice of `outer`, in `outer`; `(0, 0)` for `None`, or for a slice
/// that is not inside it.
pub(crate) fn range_in(outer: &str, inner: Option<&str>) -> (u32, u32) {
    let Some(inner) = inner else {
        return (0, 0);
    };
    let start = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    match (u32::try_from(start), u32::try_from(start + inner.len())) {
        (Ok(a), Ok(b)) if start + inner.len() <= outer.len() => (a, b),
        _ => (0, 0),
    }
}

impl NameAddr<'static> {
    /// What an accessor of a message without From or To would see; a parsed message always
    /// has them.
    pub(crate) const NONE: Self = Self {
        display_name: None,
        uri: Uri::NONE,
        bracketed: false,
        params: Params::EMPTY,
        tag: (0, 0),
    };
}

impl<'a> NameAddr<'a> {
    /// The display name as written: a quoted string with its quotes and escapes, or tokens.
    pub fn display_name_raw(&self) -> Option<&'a str> {
        self.display_name
    }

    /// The display name with quotes removed and `\` escapes undone.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        let raw = self.display_name?;
        let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
            return Some(Cow::Borrowed(raw));
        };
        if !inner.contains('\\') {
            return Some(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        Some(Cow::Owned(out))
    }

    /// The URI.
    pub fn uri(&self) -> &Uri<'a> {
        &self.uri
    }

    /// True when the URI was written in `<…>`.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }

    /// Header parameters (after the URI).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        match self.tag {
            (0, 0) => None,
            (start, end) => self.params.as_str().get(start as usize..end as usize),
        }
    }
}

/// One Contact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact<'a> {
    addr: NameAddr<'a>,
    expires: Option<u32>,
    q: Option<u16>,
}

impl<'a> Contact<'a> {
    /// The address and its parameters.
    pub fn addr(&self) -> &NameAddr<'a> {
        &self.addr
    }
    /// The `expires` parameter.
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }
    /// The `q` parameter in thousandths (`q=0.7` is 700).
    pub fn q(&self) -> Option<u16> {
        self.q
    }
}

/// The value of a Contact header: `*` or addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactValue<'a> {
    /// `Contact: *` (remove all bindings).
    Star,
    /// One address.
    Addr(Contact<'a>),
}

/// CSeq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    seq: u32,
    method: &'a str,
}

impl CSeq<'static> {
    /// What an accessor of a message without CSeq would see; a parsed message always has it.
    pub(crate) const NONE: Self = Self { seq: 0, method: "" };
}

impl<'a> CSeq<'a> {
    /// The sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }
    /// The method as written.
    pub fn method(&self) -> &'a str {
        self.method
    }
}

/// A media type with parameters (Content-Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    kind: &'a str,
    subtype: &'a str,
    params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// The type (`application`).
    pub fn kind(&self) -> &'a str {
        self.kind
    }
    /// The subtype (`sdp`).
    pub fn subtype(&self) -> &'a str {
        self.subtype
    }
    /// The parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
    /// True when type and subtype equal these, ignoring case.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

/// Credentials (Authorization, Proxy-Authorization) or a challenge (WWW-Authenticate,
/// Proxy-Authenticate): a scheme and comma-separated `name=value` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthValue<'a> {
    scheme: &'a str,
    params: &'a str,
}

impl<'a> AuthValue<'a> {
    /// The scheme (`Digest`).
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }
    /// The parameters as written.
    pub fn params_raw(&self) -> &'a str {
        self.params
    }
    /// Each parameter as `(name, value)`; quoted values keep their quotes (see [`unquote`]).
    pub fn params(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        crate::scan::split_commas(self.params).filter_map(|(_, p)| {
            let (n, v) = trim_lws_str(p).split_once('=')?;
            Some((n.trim(), v.trim()))
        })
    }
    /// The value of parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| unquote(v))
    }
}

/// Removes the quotes of a quoted string and undoes its `\` escapes; other text is returned as is.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return Cow::Borrowed(s);
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn expect_end(c: &mut Cursor<'_>, what: &'static str) -> Result<(), ParseError> {
    c.skip_lws();
    if c.at_end() {
        Ok(())
    } else {
        Err(bad_value(what, c.offset()))
    }
}

/// Generic parameters `*( SEMI name [EQUAL value] )` from the cursor to the end of the element.
/// Calls `each(name, value, offset)` for each. Returns them as written (trimmed).
fn generic_params<'a>(
    c: &mut Cursor<'a>,
    mut each: impl FnMut(&'a str, Option<&'a str>, usize) -> Result<(), ParseError>,
) -> Result<Params<'a>, ParseError> {
    c.skip_lws();
    if c.at_end() {
        return Ok(Params::default());
    }
    if !c.eat(b';') {
        return Err(bad_value(
            "';' and a parameter, or the end of the value",
            c.offset(),
        ));
    }
    let start = c.pos;
    loop {
        c.skip_lws();
        let at = c.offset();
        let name = c.token().ok_or_else(|| bad_value("a parameter name", at))?;
        let value = if c.eat_sep(b'=') {
            let vat = c.offset();
            match c.quoted().map_err(|o| bad_value("a closing '\"'", o))? {
                Some(q) => Some(q),
                None => {
                    // token / host (host covers IPv6 references and IPv4).
                    let s = c.pos;
                    while c
                        .peek()
                        .is_some_and(|b| TOKEN[usize::from(b)] || matches!(b, b'[' | b']' | b':'))
                    {
                        c.pos += 1;
                    }
                    if c.pos == s {
                        return Err(bad_value("a parameter value", vat));
                    }
                    Some(c.slice(s, c.pos))
                }
            }
        } else {
            None
        };
        each(name, value, at)?;
        c.skip_lws();
        if c.at_end() {
            break;
        }
        if !c.eat(b';') {
            return Err(bad_value("';' or the end of the value", c.offset()));
        }
    }
    Ok(Params::new(trim_lws_str(c.slice(start, c.bytes.len()))))
}

/// Parses one Via element.
pub(crate) fn parse_via(value: &str, base: usize) -> Result<Via<'_>, ParseError> {
    match fast::whole(value, fast::via) {
        Some(via) => Ok(via),
        None => parse_via_general(value, base),
    }
}

/// Parses one Via element of any shape (see [`fast`] for the common one).
fn parse_via_general(value: &str, base: usize) -> Result<Via<'_>, ParseError> {
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let protocol = c
        .token()
        .ok_or_else(|| bad_value("a protocol name (SIP)", at))?;
    if !c.eat_sep(b'/') {
        return Err(bad_value("'/' after the protocol name", c.offset()));
    }
    let at = c.offset();
    let version = c
        .token()
        .ok_or_else(|| bad_value("a protocol version", at))?;
    if protocol.eq_ignore_ascii_case("SIP") && version != "2.0" {
        return Err(ParseError::new(ErrorKind::UnsupportedVersion, at));
    }
    if !c.eat_sep(b'/') {
        return Err(bad_value("'/' after the protocol version", c.offset()));
    }
    let at = c.offset();
    let transport = c.token().ok_or_else(|| bad_value("a transport", at))?;
    if !c.skip_lws() {
        return Err(bad_value("white space before sent-by", c.offset()));
    }
    let at = c.offset();
    let rest = c.rest();
    let hostport_len = rest
        .bytes()
        .position(|b| !(HOSTCHAR[usize::from(b)] || matches!(b, b'[' | b']' | b':')))
        .unwrap_or(rest.len());
    let (used, host, port) = parse_hostport(rest.get(..hostport_len).unwrap_or_default(), at)
        .map_err(|e| bad_value("a sent-by host[:port]", e.offset()))?;
    if used != hostport_len {
        return Err(bad_value("a sent-by host[:port]", at + used));
    }
    c.pos += used;
    let mut branch = None;
    let mut received = None;
    let mut rport = None;
    let params = generic_params(&mut c, |name, v, at| {
        let text = v;
        if name.eq_ignore_ascii_case("branch") {
            let b = text.filter(|b| b.bytes().all(|x| TOKEN[usize::from(x)]));
            branch = Some(b.ok_or_else(|| bad_value("a branch token", at))?);
        } else if name.eq_ignore_ascii_case("received") {
            let r = text.ok_or_else(|| bad_value("an IP address", at))?;
            // RFC 5118 §4.5: a bracketed IPv6 address is accepted for robustness.
            let bare = r
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(r);
            if bare.parse::<std::net::IpAddr>().is_err() {
                return Err(bad_value("an IPv4 or IPv6 address", at));
            }
            received = Some(r);
        } else if name.eq_ignore_ascii_case("rport") {
            rport = Some(match v {
                None => None,
                Some(p) => Some(
                    parse_decimal(p.as_bytes())
                        .and_then(|p| u16::try_from(p).ok())
                        .ok_or_else(|| bad_value("a port number", at))?,
                ),
            });
        } else if name.eq_ignore_ascii_case("ttl") {
            let ttl = v
                .and_then(|v| parse_decimal(v.as_bytes()))
                .ok_or_else(|| bad_value("a ttl", at))?;
            if ttl > 255 {
                return Err(ParseError::new(ErrorKind::NumberTooLarge { max: 255 }, at));
            }
        } else if name.eq_ignore_ascii_case("maddr") {
            let m = text.ok_or_else(|| bad_value("a host", at))?;
            let bare = m.strip_prefix('[').and_then(|x| x.strip_suffix(']'));
            match bare {
                Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => {}
                Some(_) => return Err(bad_value("an IPv6 address", at)),
                None => {
                    parse_host_name(m, at)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Via {
        transport,
        host,
        port,
        params,
        branch,
        received,
        rport,
    })
}

/// A name-addr with a Contact's expires and q parameters (`None` elsewhere).
pub(crate) type AddrParts<'a> = (NameAddr<'a>, Option<u32>, Option<u16>);

/// Where a name-addr/addr-spec appears, which changes what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrContext {
    /// From and To.
    FromTo,
    /// Contact (expires and q are checked).
    Contact,
    /// Route, Record-Route, Path: only name-addr.
    Route,
}

/// Parses one name-addr or addr-spec element with its parameters.
pub(crate) fn parse_name_addr(
    value: &str,
    base: usize,
    ctx: AddrContext,
) -> Result<AddrParts<'_>, ParseError> {
    match fast::whole(value, |t, at| fast::name_addr(t, at, ctx)) {
        Some(found) => Ok(found),
        None => parse_name_addr_general(value, base, ctx),
    }
}

/// Parses a From or To value.
pub(crate) fn parse_from_to(value: &str, base: usize) -> Result<NameAddr<'_>, ParseError> {
    match fast::whole(value, |t, at| fast::name_addr(t, at, AddrContext::FromTo)) {
        Some((addr, _, _)) => Ok(addr),
        None => parse_name_addr_general(value, base, AddrContext::FromTo).map(|(n, _, _)| n),
    }
}

/// Parses one name-addr or addr-spec element of any shape (see [`fast`] for the common one).
fn parse_name_addr_general(
    value: &str,
    base: usize,
    ctx: AddrContext,
) -> Result<AddrParts<'_>, ParseError> {
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let mut display_name = None;
    let quoted = c
        .quoted()
        .map_err(|o| bad_value("a closing '\"' for the display name", o))?;
    let bracketed = if let Some(q) = quoted {
        display_name = Some(q);
        c.skip_lws();
        if !c.eat(b'<') {
            return Err(bad_value("'<' after the display name", c.offset()));
        }
        true
    } else {
        // Tokens separated by white space, then '<'; otherwise this is an addr-spec.
        let save = c.pos;
        let start = c.pos;
        let mut end = c.pos;
        while c.token().is_some() {
            end = c.pos;
            c.skip_lws();
        }
        if c.eat(b'<') {
            if end > start {
                display_name = Some(c.slice(start, end));
            }
            true
        } else {
            c.pos = save;
            false
        }
    };
    let (uri, uri_end) = if bracketed {
        let rest = c.rest();
        let close = find(b'>', rest.as_bytes())
            .ok_or_else(|| bad_value("'>' closing the URI", c.offset() + rest.len()))?;
        let inner = rest.get(..close).unwrap_or_default();
        if inner.bytes().any(is_lws) {
            return Err(bad_value(
                "a URI without white space inside '<' '>'",
                c.offset(),
            ));
        }
        let uri = parse_uri(inner, c.offset())?;
        (uri, c.pos + close + 1)
    } else {
        if ctx == AddrContext::Route {
            return Err(bad_value("'<' (a name-addr)", c.offset()));
        }
        // addr-spec: the URI ends at ';', ',' or white space; what follows ';' is a header param.
        let rest = c.rest();
        let end = rest
            .bytes()
            .position(|b| b == b';' || b == b',' || is_lws(b))
            .unwrap_or(rest.len());
        let uri = parse_uri(rest.get(..end).unwrap_or_default(), c.offset())?;
        if let Uri::Sip(sip) = &uri
            && sip.headers().is_some()
        {
            return Err(bad_value("'<' '>' around a URI with ?headers", c.offset()));
        }
        (uri, c.pos + end)
    };
    c.pos = uri_end;
    let mut expires = None;
    let mut q = None;
    let mut tag = None;
    let params = generic_params(&mut c, |name, v, at| {
        if tag.is_none() && name.eq_ignore_ascii_case("tag") {
            tag = Some(v);
        }
        if ctx != AddrContext::Contact {
            return Ok(());
        }
        if name.eq_ignore_ascii_case("expires") {
            let n = v
                .and_then(|v| parse_decimal(v.as_bytes()))
                .ok_or_else(|| bad_value("delta-seconds", at))?;
            expires = Some(u32::try_from(n).map_err(|_| {
                ParseError::new(
                    ErrorKind::NumberTooLarge {
                        max: u64::from(u32::MAX),
                    },
                    at,
                )
            })?);
        } else if name.eq_ignore_ascii_case("q") {
            q = Some(
                v.and_then(|v| parse_qvalue(v.as_bytes()))
                    .ok_or_else(|| bad_value("a q-value from 0 to 1", at))?,
            );
        }
        Ok(())
    })?;
    if ctx == AddrContext::Contact && !bracketed && !params.is_empty() {
        // Fine: RFC 3261 §20.10 — these are header parameters, not URI parameters.
    }
    Ok((
        NameAddr {
            display_name,
            uri,
            bracketed,
            params,
            tag: range_in(params.as_str(), tag.flatten()),
        },
        expires,
        q,
    ))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
pub(super) fn parse_qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(d) => (&v[..d], &v[d + 1..]),
        None => (v, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Parses a Contact element (`*` is handled by the caller).
pub(crate) fn parse_contact(value: &str, base: usize) -> Result<Contact<'_>, ParseError> {
    let (addr, expires, q) = parse_name_addr(value, base, AddrContext::Contact)?;
    Ok(Contact { addr, expires, q })
}

/// CSeq = 1*DIGIT LWS Method.
pub(crate) fn parse_cseq(value: &str, base: usize) -> Result<CSeq<'_>, ParseError> {
    // Nearly always `digits SP method`: read it without the cursor.
    if let Some(cseq) = fast::whole(value, fast::cseq) {
        return Ok(cseq);
    }
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let digits = c
        .take_class(&DIGITS)
        .ok_or_else(|| bad_value("a sequence number", at))?;
    let n = parse_decimal(digits.as_bytes())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            ParseError::new(
                ErrorKind::NumberTooLarge {
                    max: u64::from(u32::MAX),
                },
                at,
            )
        })?;
    if !c.skip_lws() {
        return Err(bad_value("white space before the method", c.offset()));
    }
    let at = c.offset();
    let method = c.token().ok_or_else(|| bad_value("a method", at))?;
    expect_end(&mut c, "the end of CSeq")?;
    Ok(CSeq { seq: n, method })
}

/// A number header (Max-Forwards, Content-Length, Expires, Min-Expires) bounded by `max`.
pub(crate) fn parse_number(value: &str, base: usize, max: u64) -> Result<u64, ParseError> {
    // Nearly always just digits: read them without the cursor.
    if let Some(n) = fast::whole(value, |t, at| fast::number(t, at, max)) {
        return Ok(n);
    }
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let digits = c
        .take_class(&DIGITS)
        .ok_or_else(|| bad_value("a decimal number", at))?;
    expect_end(&mut c, "only digits")?;
    match parse_decimal(digits.as_bytes()) {
        Some(n) if n <= max => Ok(n),
        _ => Err(ParseError::new(ErrorKind::NumberTooLarge { max }, at)),
    }
}

/// Call-ID = word [ "@" word ].
pub(crate) fn parse_call_id(value: &str, base: usize) -> Result<&str, ParseError> {
    if let Some(id) = fast::whole(value, fast::call_id) {
        return Ok(id);
    }
    let lead = value.bytes().position(|b| !is_lws(b)).unwrap_or(0);
    let bad = trim_lws_str(value)
        .bytes()
        .position(|b| !(WORD[usize::from(b)] || b == b'@'))
        .unwrap_or(0);
    Err(bad_value("word [@ word]", base + lead + bad))
}

/// Content-Type = m-type SLASH m-subtype *(SEMI m-parameter).
pub(crate) fn parse_media_type(value: &str, base: usize) -> Result<MediaType<'_>, ParseError> {
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let kind = c.token().ok_or_else(|| bad_value("a media type", at))?;
    if !c.eat_sep(b'/') {
        return Err(bad_value("'/' between type and subtype", c.offset()));
    }
    let at = c.offset();
    let subtype = c.token().ok_or_else(|| bad_value("a media subtype", at))?;
    let params = generic_params(&mut c, |_, v, at| {
        if v.is_none() {
            Err(bad_value("'=' and a value", at))
        } else {
            Ok(())
        }
    })?;
    Ok(MediaType {
        kind,
        subtype,
        params,
    })
}

/// One option tag of Require, Proxy-Require, Supported, Unsupported.
pub(crate) fn parse_option_tag(value: &str, base: usize) -> Result<&str, ParseError> {
    // Nearly always a token with white space around it at most.
    let tag = trim_lws_str(value);
    if !tag.is_empty() && tag.bytes().all(|b| TOKEN[usize::from(b)]) {
        return Ok(tag);
    }
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let tag = c.token().ok_or_else(|| bad_value("an option tag", at))?;
    expect_end(&mut c, "',' between option tags")?;
    Ok(tag)
}

/// Credentials or a challenge: `scheme LWS name=value *(COMMA name=value)`.
pub(crate) fn parse_auth(value: &str, base: usize) -> Result<AuthValue<'_>, ParseError> {
    let mut c = Cursor::new(value, base);
    c.skip_lws();
    let at = c.offset();
    let scheme = c
        .token()
        .ok_or_else(|| bad_value("an authentication scheme", at))?;
    if !c.skip_lws() {
        return Err(bad_value("white space after the scheme", c.offset()));
    }
    let start = c.pos;
    loop {
        c.skip_lws();
        let at = c.offset();
        c.token().ok_or_else(|| bad_value("a parameter name", at))?;
        if !c.eat_sep(b'=') {
            return Err(bad_value("'=' after the parameter name", c.offset()));
        }
        let at = c.offset();
        let quoted = c.quoted().map_err(|o| bad_value("a closing '\"'", o))?;
        if quoted.is_none() && c.token().is_none() {
            return Err(bad_value("a token or quoted string", at));
        }
        if c.eat_sep(b',') {
            continue;
        }
        expect_end(&mut c, "',' between parameters")?;
        break;
    }
    let params = trim_lws_str(c.slice(start, c.bytes.len()));
    Ok(AuthValue { scheme, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_kept_while_parsing_is_the_first_tag_parameter() {
        for value in [
            "<sip:a@b>;tag=abc",
            "<sip:a@b>;TAG=abc",
            "<sip:a@b> ; x=1 ; Tag = 2 ; tag=3",
            "<sip:a@b>;tag=\"quoted ; tag\"",
            "<sip:a@b>;tag;tag=later",
            "<sip:a@b;tag=in-uri>",
            "sip:a@b;tag=addr-spec",
            "\"Ani\" <sip:a@b>",
        ] {
            let (n, _, _) = parse_name_addr(value, 0, AddrContext::FromTo).unwrap();
            assert_eq!(n.tag(), n.params().get("tag").flatten(), "{value}");
        }
    }

    #[test]
    fn via_with_folds_and_spaces() {
        let v = parse_via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", 0).unwrap();
        assert_eq!(v.transport(), "UDP");
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.is_rfc3261_branch());
        let v = parse_via(
            "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;rport",
            0,
        )
        .unwrap();
        assert_eq!(v.port(), Some(6050));
        assert_eq!(v.rport(), Some(None));
        assert!(v.is_rfc3261_branch());
        assert!(parse_via("SIP/2.0/UDP host;;", 0).is_err());
        assert_eq!(
            parse_via("SIP/7.0/UDP host", 0).unwrap_err().kind(),
            ErrorKind::UnsupportedVersion
        );
        let r = parse_via(
            "SIP/2.0/UDP h;received=[2001:db8::9:255];branch=z9hG4bKx",
            0,
        )
        .unwrap();
        assert_eq!(r.received(), Some("[2001:db8::9:255]"));
    }

    #[test]
    fn name_addr_forms() {
        let (n, _, _) = parse_name_addr(
            r#""J Rosenberg \\\"" <sip:jdrosen@example.com> ; tag = 98asjd8"#,
            0,
            AddrContext::FromTo,
        )
        .unwrap();
        assert_eq!(n.display_name().as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.tag(), Some("98asjd8"));
        let (n, _, _) = parse_name_addr(
            "caller<sip:caller@example.com>;tag=323",
            0,
            AddrContext::FromTo,
        )
        .unwrap();
        assert_eq!(n.display_name_raw(), Some("caller"));
        let (n, _, _) =
            parse_name_addr("sip:user@host;unknownparam", 0, AddrContext::Contact).unwrap();
        assert!(n.uri().as_sip().unwrap().params().is_empty());
        assert_eq!(n.params().get("unknownparam"), Some(None));
        assert!(parse_name_addr("\"open <sip:a@b>", 0, AddrContext::FromTo).is_err());
        assert!(parse_name_addr("\"W\" < sip:t@example.org >", 0, AddrContext::FromTo).is_err());
        assert!(parse_name_addr("sip:a@b?Route=x", 0, AddrContext::Contact).is_err());
        assert!(parse_name_addr("sip:a@b", 0, AddrContext::Route).is_err());
    }

    #[test]
    fn contact_params() {
        let c = parse_contact("<sip:a@b>;expires=3600;q=0.7", 0).unwrap();
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(c.q(), Some(700));
        assert!(parse_contact("<sip:a@b>;expires=4294967296", 0).is_err());
        assert!(parse_contact("<sip:a@b>;q=1.5", 0).is_err());
        assert_eq!(parse_qvalue(b"1.000"), Some(1000));
        assert_eq!(parse_qvalue(b"0"), Some(0));
        assert_eq!(parse_qvalue(b"0.3333"), None);
    }

    #[test]
    fn small_headers() {
        assert_eq!(parse_cseq("0009\r\n  INVITE", 0).unwrap().seq(), 9);
        assert!(parse_cseq("4294967296 INVITE", 0).is_err());
        assert!(parse_cseq("1INVITE", 0).is_err());
        assert_eq!(parse_number(" 0068", 0, 255).unwrap(), 68);
        assert!(parse_number("300", 0, 255).is_err());
        assert!(parse_number("-999", 0, u64::from(u32::MAX)).is_err());
        assert_eq!(
            parse_call_id("wsinv.ndaksdj@192.0.2.1", 0).unwrap(),
            "wsinv.ndaksdj@192.0.2.1"
        );
        assert!(parse_call_id("a b", 0).is_err());
        let m = parse_media_type("multipart/mixed;boundary=unique-boundary-1", 0).unwrap();
        assert!(m.is("Multipart", "MIXED"));
        assert_eq!(m.params().get("boundary"), Some(Some("unique-boundary-1")));
        let a = parse_auth("Digest username=\"bob\", realm=\"x\", nc=00000001", 0).unwrap();
        assert_eq!(a.scheme(), "Digest");
        assert_eq!(a.param("username").as_deref(), Some("bob"));
        assert!(parse_auth("NoOneKnowsThisScheme opaque-data=here", 0).is_ok());
        assert!(parse_auth("Digest", 0).is_err());
    }
}
