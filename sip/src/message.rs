//! SIP messages: zero-copy parsing of a complete datagram in one call (RFC 3261 §7, §18.3).
//!
//! One pass: the start line, then each header line in order. A known name is found from the
//! colon after it. A core header of the usual shape is read in place by its fast path
//! (`headers::fast`), which also finds where the line ends; any other line is split,
//! then validated and typed by the general parser, which reports every error. The input is
//! checked for UTF-8 once, and the message is built in the result that is returned.

use std::fmt;

use arrayvec::ArrayVec;

use crate::error::{ErrorKind, ParseError, bad_value};
use crate::header::{Header, HeaderName};
use crate::headers::{
    AddrContext, AuthValue, CSeq, Contact, ContactValue, MediaType, NameAddr, Via, parse_auth,
    parse_call_id, parse_contact, parse_cseq, parse_from_to, parse_media_type, parse_name_addr,
    parse_number, parse_option_tag, parse_via,
};
use crate::scan::{TOKEN, is_lws, lws_bounds, run, split_commas, trim_lws_str};
use crate::uri::{Uri, parse_uri};

/// Headers kept inline before the list spills to the heap: a typical INVITE has 10 to 20.
pub const INLINE_HEADERS: usize = 24;

/// The largest input [`Message::parse`] reads: offsets are kept in 32 bits.
pub const MAX_MESSAGE_LEN: usize = u32::MAX as usize;

/// Default limit on the number of header fields in one message.
pub const DEFAULT_MAX_HEADERS: usize = 256;

/// A request method. Methods are case-sensitive (RFC 3261 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method<'a> {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// BYE
    Bye,
    /// CANCEL
    Cancel,
    /// REGISTER
    Register,
    /// OPTIONS
    Options,
    /// INFO (RFC 6086)
    Info,
    /// UPDATE (RFC 3311)
    Update,
    /// PRACK (RFC 3262)
    Prack,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// NOTIFY (RFC 6665)
    Notify,
    /// REFER (RFC 3515)
    Refer,
    /// MESSAGE (RFC 3428)
    Message,
    /// PUBLISH (RFC 3903)
    Publish,
    /// Any other method token, as written.
    Other(&'a str),
}

impl<'a> Method<'a> {
    /// Recognises a method token (exact case).
    pub fn from_token(token: &'a str) -> Self {
        match token {
            "INVITE" => Self::Invite,
            "ACK" => Self::Ack,
            "BYE" => Self::Bye,
            "CANCEL" => Self::Cancel,
            "REGISTER" => Self::Register,
            "OPTIONS" => Self::Options,
            "INFO" => Self::Info,
            "UPDATE" => Self::Update,
            "PRACK" => Self::Prack,
            "SUBSCRIBE" => Self::Subscribe,
            "NOTIFY" => Self::Notify,
            "REFER" => Self::Refer,
            "MESSAGE" => Self::Message,
            "PUBLISH" => Self::Publish,
            other => Self::Other(other),
        }
    }

    /// A known method's token, with a static lifetime; `None` for [`Other`](Self::Other).
    pub(crate) fn known_str(&self) -> Option<&'static str> {
        Some(match self {
            Self::Invite => "INVITE",
            Self::Ack => "ACK",
            Self::Bye => "BYE",
            Self::Cancel => "CANCEL",
            Self::Register => "REGISTER",
            Self::Options => "OPTIONS",
            Self::Info => "INFO",
            Self::Update => "UPDATE",
            Self::Prack => "PRACK",
            Self::Subscribe => "SUBSCRIBE",
            Self::Notify => "NOTIFY",
            Self::Refer => "REFER",
            Self::Message => "MESSAGE",
            Self::Publish => "PUBLISH",
            Self::Other(_) => return None,
        })
    }

    /// The method as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Other(token) => token,
            known => known.known_str().unwrap_or_default(),
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// A request.
    Request {
        /// The method.
        method: Method<'a>,
        /// The Request-URI.
        uri: Uri<'a>,
    },
    /// A response.
    Response {
        /// The status code, 100 to 699.
        status: u16,
        /// The reason phrase (may be empty, may be UTF-8).
        reason: &'a str,
    },
}

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Most header fields (lines) accepted.
    pub max_headers: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }
}

/// A parsed SIP message borrowing from its input.
///
/// Every header is split, and the core headers (Via, From, To, Call-ID, CSeq, Max-Forwards,
/// Contact, Content-Length, Content-Type, Route, Record-Route, Expires, Require,
/// Proxy-Require, Supported, Authorization, Proxy-Authorization, WWW-Authenticate,
/// Proxy-Authenticate) are validated during the parse. Single-valued ones are kept typed;
/// list-valued ones are returned typed by their iterators.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    start: StartLine<'a>,
    headers: HeaderList<'a>,
    body: &'a [u8],
    len: usize,
    /// The core headers kept typed. Via, From, To, Call-ID and CSeq are always there once
    /// the parse succeeded.
    core: Core<'a>,
}

/// The header fields: inline up to [`INLINE_HEADERS`], then moved to the heap.
///
/// Unlike `smallvec`, whose array parameter makes it invariant, this keeps `Message<'a>`
/// covariant in `'a`, so messages parsed from different buffers compare and coerce freely.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "inline on purpose: parsing must not allocate"
)]
enum HeaderList<'a> {
    Inline(ArrayVec<Header<'a>, INLINE_HEADERS>),
    Heap(Vec<Header<'a>>),
}

impl Default for HeaderList<'_> {
    fn default() -> Self {
        Self::Inline(ArrayVec::new())
    }
}

impl<'a> HeaderList<'a> {
    #[inline(always)]
    fn push(&mut self, header: Header<'a>) {
        match self {
            Self::Inline(list) if !list.is_full() => list.push(header),
            _ => self.push_spilled(header),
        }
    }

    /// [`push`](Self::push) when the inline list is full or has spilled already.
    #[cold]
    fn push_spilled(&mut self, header: Header<'a>) {
        match self {
            Self::Inline(list) => {
                let mut heap = Vec::with_capacity(INLINE_HEADERS * 2);
                heap.extend_from_slice(list);
                heap.push(header);
                *self = Self::Heap(heap);
            }
            Self::Heap(list) => list.push(header),
        }
    }

    fn as_slice(&self) -> &[Header<'a>] {
        match self {
            Self::Inline(list) => list,
            Self::Heap(list) => list,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn iter(&self) -> std::slice::Iter<'_, Header<'a>> {
        self.as_slice().iter()
    }
}

/// The input, with its longest valid UTF-8 prefix checked once, so that text inside it is
/// sliced rather than validated again piece by piece.
#[derive(Clone, Copy)]
struct Source<'a> {
    bytes: &'a [u8],
    text: &'a str,
}

impl<'a> Source<'a> {
    /// The input, with its longest valid UTF-8 prefix.
    fn new(bytes: &'a [u8]) -> Self {
        // `simdutf8` checks 32 bytes a step where the CPU can; the whole datagram, body too,
        // costs less that way than the headers alone a word at a time with `std`.
        let text = match simdutf8::compat::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => simdutf8::compat::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        Self { bytes, text }
    }

    /// `bytes[start..end]` as text, or the offset of the first byte that is not UTF-8.
    fn str(&self, start: usize, end: usize) -> Result<&'a str, usize> {
        if let Some(t) = self.text.get(start..end) {
            return Ok(t);
        }
        let raw = self.bytes.get(start..end).unwrap_or_default();
        std::str::from_utf8(raw).map_err(|e| start + e.valid_up_to())
    }
}

/// The single-valued core headers (and the first Contact), typed by the header loop in place
/// in the message it builds: a message is moved whole, so it is built once.
#[derive(Debug, Clone, Default)]
struct Core<'a> {
    via: Option<Via<'a>>,
    from: Option<NameAddr<'a>>,
    to: Option<NameAddr<'a>>,
    call_id: Option<&'a str>,
    cseq: Option<CSeq<'a>>,
    max_forwards: Option<u8>,
    content_length: Option<u32>,
    content_type: Option<MediaType<'a>>,
    expires: Option<u32>,
    contact_star: bool,
    /// How many Contact values there are (all checked by the parse).
    contacts: usize,
    first_contact: Option<ContactValue<'a>>,
}

fn once<T>(slot: &mut Option<T>, value: T, offset: usize) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(ParseError::new(ErrorKind::DuplicateHeader, offset));
    }
    *slot = Some(value);
    Ok(())
}

impl<'a> Message<'a> {
    /// Parses `input` as one complete datagram (RFC 3261 §18.3) with the default limits.
    ///
    /// Bytes after the body that Content-Length declares are ignored, as §18.3 requires; a
    /// Content-Length larger than what follows the headers is an error; without
    /// Content-Length the body is the rest of the datagram.
    pub fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_with(input, ParseOptions::default())
    }

    /// Parses with explicit limits.
    pub fn parse_with(input: &'a [u8], options: ParseOptions) -> Result<Self, ParseError> {
        Self::parse_impl(input, options, true)
    }

    /// Parses, with the in-place fast paths for core headers or without them.
    #[inline(always)]
    fn parse_impl(input: &'a [u8], options: ParseOptions, fast: bool) -> Result<Self, ParseError> {
        let mut pos = 0;
        while let Some(rest) = input.get(pos..) {
            match rest {
                [b'\r', b'\n', ..] => pos += 2,
                [b'\n', ..] => pos += 1,
                _ => break,
            }
        }
        if pos >= input.len() {
            return Err(ParseError::new(ErrorKind::Empty, 0));
        }
        let (line, next) = line_at(input, pos).ok_or_else(|| {
            ParseError::new(
                ErrorKind::BadStartLine {
                    expected: "CRLF after the start line",
                },
                input.len(),
            )
        })?;
        let is_response = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/");
        // The message is built in place in the result that is returned: it is large (its
        // headers are inline), and each move of it costs a copy.
        let mut result = Ok(Self {
            start: StartLine::Response {
                status: 0,
                reason: "",
            },
            headers: HeaderList::default(),
            body: &[],
            len: 0,
            core: Core::default(),
        });
        if let Ok(msg) = &mut result
            && let Err(e) = msg.fill(input, pos, line, next, is_response, options, fast)
        {
            result = Err(e.set_response(is_response));
        }
        result
    }

    /// [`parse_with`](Self::parse_with) without the in-place fast paths: every header line is
    /// split and then parsed by the general parsers. Tests hold the two to the same result.
    #[cfg(test)]
    pub(crate) fn parse_general(input: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_impl(input, ParseOptions::default(), false)
    }

    /// Parses the start line `line` and what follows it at `pos` into `self`, which is empty.
    #[expect(
        clippy::too_many_arguments,
        reason = "the state parse_with found, passed on whole"
    )]
    #[inline(always)]
    fn fill(
        &mut self,
        input: &'a [u8],
        line_start: usize,
        line: &'a [u8],
        mut pos: usize,
        is_response: bool,
        options: ParseOptions,
        fast: bool,
    ) -> Result<(), ParseError> {
        // The text is checked for UTF-8 once, up to its first byte that is not.
        let src = Source::new(input);
        let msg = self;
        msg.start = if is_response {
            parse_status_line(src, line, line_start)?
        } else {
            parse_request_line(src, line, line_start)?
        };
        // Each header line in order: a core header of the usual shape is read in place by its
        // fast path, which also finds where the line ends; any other is split, then parsed.
        let body_start = loop {
            let rest = match input.get(pos..) {
                None | Some([]) => break input.len(),
                Some([b'\r', b'\n', ..]) => break pos + 2,
                Some([b'\n', ..]) => break pos + 1,
                Some(rest) => rest,
            };
            if msg.headers.len() == options.max_headers {
                let max = options.max_headers;
                return Err(ParseError::new(ErrorKind::TooManyHeaders { max }, pos));
            }
            let known = known_name_before_colon(rest);
            if fast
                && let Some(name) = known
                && let Some((header, next)) = fast_header(src, rest, pos, name, &mut msg.core)
            {
                msg.headers.push(header);
                pos = next;
                continue;
            }
            let (header, next) = split_header(input, pos, known)?;
            type_header(src, &header, &mut msg.core)
                .map_err(|e| e.in_header(header.name().static_name()))?;
            msg.headers.push(header);
            pos = next;
        };
        let available = input.len() - body_start;
        let body = match msg.core.content_length {
            Some(n) => {
                let n = n as usize;
                if n > available {
                    return Err(ParseError::new(
                        ErrorKind::ContentLengthExceedsBody {
                            declared: n as u64,
                            available,
                        },
                        body_start,
                    )
                    .in_header("Content-Length"));
                }
                &input[body_start..body_start + n]
            }
            None => &input[body_start..],
        };
        let missing = |name: &'static str| {
            ParseError::new(ErrorKind::MissingHeader, body_start).in_header(name)
        };
        let core = &msg.core;
        let absent = [
            (core.via.is_none(), "Via"),
            (core.from.is_none(), "From"),
            (core.to.is_none(), "To"),
            (core.call_id.is_none(), "Call-ID"),
            (core.cseq.is_none(), "CSeq"),
        ];
        if let Some((_, name)) = absent.iter().find(|(absent, _)| *absent) {
            return Err(missing(name));
        }
        if let (StartLine::Request { method, .. }, Some(cseq)) = (&msg.start, &core.cseq)
            && method.as_str() != cseq.method()
        {
            let offset = msg
                .headers
                .iter()
                .find(|h| h.is(HeaderName::CSeq))
                .map_or(line_start, |h| h.offset());
            return Err(ParseError::new(ErrorKind::CSeqMethodMismatch, offset).in_header("CSeq"));
        }
        msg.body = body;
        msg.len = body_start + body.len();
        Ok(())
    }

    /// The start line.
    pub fn start_line(&self) -> &StartLine<'a> {
        &self.start
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The method of a request, or of the request a response answers (from CSeq).
    pub fn method(&self) -> Method<'a> {
        match self.start {
            StartLine::Request { method, .. } => method,
            StartLine::Response { .. } => Method::from_token(self.cseq().method()),
        }
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<&Uri<'a>> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { status, .. } => Some(status),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response.
    pub fn reason(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// Every header field, in order.
    pub fn headers(&self) -> &[Header<'a>] {
        self.headers.as_slice()
    }

    /// The header fields with this name, in order.
    pub fn headers_named<'s>(
        &'s self,
        name: HeaderName<'s>,
    ) -> impl Iterator<Item = &'s Header<'a>> + 's {
        self.headers.iter().filter(move |h| h.name().same_as(&name))
    }

    /// The first header field with this name.
    pub fn header(&self, name: HeaderName<'_>) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.name().same_as(&name))
    }

    /// The comma-separated elements of every header with this name, trimmed, with offsets.
    fn elements(&self, name: HeaderName<'static>) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        self.headers
            .iter()
            .filter(move |h| h.is(name))
            .flat_map(|h| {
                let base = h.offset();
                split_commas(h.text().unwrap_or_default()).map(move |(o, e)| (base + o, e))
            })
    }

    /// The body (exactly Content-Length bytes when that header is present).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// How many bytes of the input the message used (any trailing bytes beyond Content-Length
    /// are not part of it).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a message has at least a start line.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The topmost Via.
    pub fn via(&self) -> &Via<'a> {
        self.core.via.as_ref().unwrap_or(&Via::NONE)
    }

    /// Every Via, top first.
    pub fn vias(&self) -> impl Iterator<Item = Via<'a>> + '_ {
        // The top one was kept typed by the parse; the rest are typed again on demand.
        std::iter::once(*self.via()).chain(
            self.elements(HeaderName::Via)
                .skip(1)
                .filter_map(|(o, e)| parse_via(e, o).ok()),
        )
    }

    /// From.
    pub fn from(&self) -> &NameAddr<'a> {
        self.core.from.as_ref().unwrap_or(&NameAddr::NONE)
    }

    /// To.
    pub fn to(&self) -> &NameAddr<'a> {
        self.core.to.as_ref().unwrap_or(&NameAddr::NONE)
    }

    /// Call-ID.
    pub fn call_id(&self) -> &'a str {
        self.core.call_id.unwrap_or_default()
    }

    /// CSeq.
    pub fn cseq(&self) -> &CSeq<'a> {
        self.core.cseq.as_ref().unwrap_or(&CSeq::NONE)
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Option<u8> {
        self.core.max_forwards
    }

    /// Content-Length, if present.
    pub fn content_length(&self) -> Option<u32> {
        self.core.content_length
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Option<&MediaType<'a>> {
        self.core.content_type.as_ref()
    }

    /// Expires, if present.
    pub fn expires(&self) -> Option<u32> {
        self.core.expires
    }

    /// Every Contact value.
    pub fn contacts(&self) -> impl Iterator<Item = ContactValue<'a>> + '_ {
        // The first one was kept typed by the parse; the rest are typed again on demand (and
        // the header list is not searched when there is no rest).
        self.core.first_contact.into_iter().chain(
            self.elements(HeaderName::Contact)
                .skip(1)
                .take(self.core.contacts.saturating_sub(1))
                .filter_map(|(o, e)| {
                    if trim_lws_str(e) == "*" {
                        Some(ContactValue::Star)
                    } else {
                        parse_contact(e, o).ok().map(ContactValue::Addr)
                    }
                }),
        )
    }

    /// The first Contact, if any.
    pub fn contact(&self) -> Option<&ContactValue<'a>> {
        self.core.first_contact.as_ref()
    }

    /// Every Contact address (without `*`).
    pub fn contact_addrs(&self) -> impl Iterator<Item = Contact<'a>> + '_ {
        self.contacts().filter_map(|c| match c {
            ContactValue::Addr(a) => Some(a),
            ContactValue::Star => None,
        })
    }

    fn name_addrs(&self, name: HeaderName<'static>) -> impl Iterator<Item = NameAddr<'a>> + '_ {
        self.elements(name).filter_map(|(o, e)| {
            parse_name_addr(e, o, AddrContext::Route)
                .ok()
                .map(|(n, _, _)| n)
        })
    }

    /// Every Route value, in order.
    pub fn routes(&self) -> impl Iterator<Item = NameAddr<'a>> + '_ {
        self.name_addrs(HeaderName::Route)
    }

    /// Every Record-Route value, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = NameAddr<'a>> + '_ {
        self.name_addrs(HeaderName::RecordRoute)
    }

    fn option_tags(&self, name: HeaderName<'static>) -> impl Iterator<Item = &'a str> + '_ {
        self.elements(name)
            .filter_map(|(o, e)| parse_option_tag(e, o).ok())
    }

    /// Require option tags.
    pub fn require(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.option_tags(HeaderName::Require)
    }

    /// Proxy-Require option tags.
    pub fn proxy_require(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.option_tags(HeaderName::ProxyRequire)
    }

    /// Supported option tags.
    pub fn supported(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.option_tags(HeaderName::Supported)
    }

    fn auth_values(&self, name: HeaderName<'static>) -> impl Iterator<Item = AuthValue<'a>> + '_ {
        self.headers
            .iter()
            .filter(move |h| h.is(name))
            .filter_map(|h| parse_auth(h.text()?, h.offset()).ok())
    }

    /// Authorization credentials.
    pub fn authorization(&self) -> impl Iterator<Item = AuthValue<'a>> + '_ {
        self.auth_values(HeaderName::Authorization)
    }

    /// Proxy-Authorization credentials.
    pub fn proxy_authorization(&self) -> impl Iterator<Item = AuthValue<'a>> + '_ {
        self.auth_values(HeaderName::ProxyAuthorization)
    }

    /// WWW-Authenticate challenges.
    pub fn www_authenticate(&self) -> impl Iterator<Item = AuthValue<'a>> + '_ {
        self.auth_values(HeaderName::WwwAuthenticate)
    }

    /// Proxy-Authenticate challenges.
    pub fn proxy_authenticate(&self) -> impl Iterator<Item = AuthValue<'a>> + '_ {
        self.auth_values(HeaderName::ProxyAuthenticate)
    }
}

impl PartialEq for Message<'_> {
    /// Same start line, the same headers in the same order (names in any form, values equal
    /// once line folds are undone), and the same body.
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start
            && self.headers.as_slice() == other.headers.as_slice()
            && self.body == other.body
    }
}

/// The line starting at `pos` without its line ending, and where the next line starts.
fn line_at(input: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = input.get(pos..)?;
    let nl = find_newline(rest)?;
    let line = &rest[..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, pos + nl + 1))
}

/// `SIP/` 1*DIGIT `.` 1*DIGIT; `Ok(true)` when it is 2.0.
fn check_version(v: &[u8], offset: usize) -> Result<(), ParseError> {
    let bad = || {
        ParseError::new(
            ErrorKind::BadStartLine {
                expected: "SIP-Version (SIP/2.0)",
            },
            offset,
        )
    };
    // The one version there is, checked in one compare.
    if let [s, i, p, b'/', b'2', b'.', b'0'] = v
        && [s | 0x20, i | 0x20, p | 0x20] == *b"sip"
    {
        return Ok(());
    }
    if v.len() < 4 || !v[..4].eq_ignore_ascii_case(b"SIP/") {
        return Err(bad());
    }
    let num = &v[4..];
    let Some(dot) = num.iter().position(|&b| b == b'.') else {
        return Err(bad());
    };
    let (major, minor) = (&num[..dot], &num[dot + 1..]);
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !digits(major) || !digits(minor) {
        return Err(bad());
    }
    if num != b"2.0" {
        return Err(ParseError::new(ErrorKind::UnsupportedVersion, offset));
    }
    Ok(())
}

fn parse_request_line<'a>(
    src: Source<'a>,
    line: &'a [u8],
    base: usize,
) -> Result<StartLine<'a>, ParseError> {
    let bad = |expected, at| ParseError::new(ErrorKind::BadStartLine { expected }, at);
    let method_len = line
        .iter()
        .position(|&b| !TOKEN[usize::from(b)])
        .unwrap_or(line.len());
    if method_len == 0 {
        return Err(bad("a method token", base));
    }
    if line.get(method_len) != Some(&b' ') {
        return Err(bad("one SP after the method", base + method_len));
    }
    let method = src
        .str(base, base + method_len)
        .map_err(|_| bad("a method token", base))?;
    let uri_start = method_len + 1;
    let uri_len = crate::scan::find_byte::<b' '>(&line[uri_start..])
        .ok_or_else(|| bad("SP before the SIP version", base + line.len()))?;
    let uri_bytes = &line[uri_start..uri_start + uri_len];
    if uri_bytes.is_empty() {
        return Err(bad("a Request-URI after one SP", base + uri_start));
    }
    let version_start = uri_start + uri_len + 1;
    check_version(&line[version_start..], base + version_start)?;
    let uri_text = src
        .str(base + uri_start, base + uri_start + uri_bytes.len())
        .map_err(|at| crate::error::bad_uri("ASCII", at))?;
    let uri = parse_uri(uri_text, base + uri_start)?;
    if let Uri::Sip(sip) = &uri
        && sip.headers().is_some()
    {
        return Err(ParseError::new(
            ErrorKind::HeadersInRequestUri,
            base + uri_start,
        ));
    }
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri,
    })
}

fn parse_status_line<'a>(
    src: Source<'a>,
    line: &'a [u8],
    base: usize,
) -> Result<StartLine<'a>, ParseError> {
    let sp = line.iter().position(|&b| b == b' ').ok_or_else(|| {
        ParseError::new(
            ErrorKind::BadStartLine {
                expected: "SP after the SIP version",
            },
            base + line.len(),
        )
    })?;
    check_version(&line[..sp], base)?;
    let rest = &line[sp + 1..];
    let code = match rest {
        [a, b, c, b' ', ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(ParseError::new(ErrorKind::BadStatusCode, base + sp + 1)),
    };
    if !(100..=699).contains(&code) {
        return Err(ParseError::new(ErrorKind::BadStatusCode, base + sp + 1));
    }
    let reason_bytes = &rest[4..];
    let reason_base = base + sp + 5;
    if let Some(i) = reason_bytes
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(ParseError::new(
            ErrorKind::BadStartLine {
                expected: "reason phrase text",
            },
            reason_base + i,
        ));
    }
    let reason = src
        .str(reason_base, reason_base + reason_bytes.len())
        .map_err(|at| {
            ParseError::new(
                ErrorKind::BadStartLine {
                    expected: "UTF-8 reason phrase",
                },
                at,
            )
        })?;
    Ok(StartLine::Response {
        status: code,
        reason,
    })
}

/// Splits the header field starting at `pos`; returns it and where the next line starts.
fn split_header(
    input: &[u8],
    pos: usize,
    known: Option<KnownName>,
) -> Result<(Header<'_>, usize), ParseError> {
    let rest = input.get(pos..).unwrap_or_default();
    let (name_len, known, mut i) = match known {
        Some((name_len, known, colon)) => (name_len, Some(known), colon),
        None => {
            let name_len = run(rest, &TOKEN);
            if name_len == 0 {
                return Err(ParseError::new(ErrorKind::BadHeaderName, pos));
            }
            let mut i = name_len;
            while matches!(rest.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if rest.get(i) != Some(&b':') {
                return Err(ParseError::new(ErrorKind::BadHeaderName, pos + i));
            }
            (name_len, HeaderName::known_index_at(rest, name_len), i)
        }
    };
    i += 1;
    while matches!(rest.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    // The value runs to the first line end not followed by SP or HTAB.
    let value_start = i;
    let mut end = rest.len();
    let mut next = rest.len();
    let mut search = i;
    while let Some(nl) = find_newline(rest.get(search..).unwrap_or_default()) {
        let nl = search + nl;
        if matches!(rest.get(nl + 1), Some(b' ' | b'\t')) {
            search = nl + 1;
            continue;
        }
        end = if nl > 0 && rest[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        next = nl + 1;
        break;
    }
    // A value that starts with a fold, or ends in white space, is trimmed further.
    let raw = rest.get(value_start..end).unwrap_or_default();
    let (lead, value) = match raw {
        // Nearly always: nothing to trim (white space after the colon was skipped already).
        [first, .., last] if !is_lws(*first) && !is_lws(*last) => (0, raw),
        _ => {
            let (start, end) = lws_bounds(raw);
            (start, raw.get(start..end).unwrap_or_default())
        }
    };
    // The field runs from the name to the end of the trimmed value.
    let value_start = value_start + lead;
    let line = rest.get(..value_start + value.len()).unwrap_or_default();
    let header =
        Header::new(line, name_len, value_start, pos + value_start, known).ok_or_else(|| {
            ParseError::new(
                ErrorKind::TooLarge {
                    max: MAX_MESSAGE_LEN,
                },
                pos,
            )
        })?;
    Ok((header, pos + next))
}

/// What [`known_name_before_colon`] finds: the name's length, its index in the known names,
/// and where the colon is.
type KnownName = (usize, u8, usize);

/// A known header name at the start of a line, found from the colon after it: its length,
/// its index in the known names, and where the colon is. Only the first 32 bytes are looked
/// at; `None` for anything else (an unknown name, no colon there), which the byte-by-byte
/// reading then takes. A known name is letters and '-' only, so the word compare that finds
/// it also checks that it is a token.
#[inline]
fn known_name_before_colon(line: &[u8]) -> Option<KnownName> {
    let colon = crate::scan::find_byte::<b':'>(line.get(..32).unwrap_or(line))?;
    let name = line.get(..colon)?;
    // Nearly always no white space before the colon.
    let name_len = match name.last() {
        Some(b' ' | b'\t') => name
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |last| last + 1),
        _ => colon,
    };
    let known = HeaderName::known_index_at(line, name_len)?;
    Some((name_len, known, colon))
}

/// A core header on one line whose value a fast path reads to the line end, typed in place:
/// the header and where the next line starts. `None` for anything else (another header, a
/// value of another shape, a line that goes on, a header that may not repeat seen again),
/// which the general split and parse then take. Finding the line end this way saves a
/// second pass over the value. `rest` is the input from the line's start at `pos`, whose
/// name `known_name_before_colon` found.
#[inline]
fn fast_header<'a>(
    src: Source<'a>,
    rest: &'a [u8],
    pos: usize,
    (name_len, known, colon): KnownName,
    core: &mut Core<'a>,
) -> Option<(Header<'a>, usize)> {
    use crate::header::index;
    use crate::headers::fast;
    // Every offset of a shorter input fits the header's 32 bits, so once a value is recorded
    // below, nothing can fail (and send the line to the general reading a second time).
    if src.bytes.len() > MAX_MESSAGE_LEN {
        return None;
    }
    // Nearly always one space after the colon. (After more than one, a value seems to start
    // with white space, which no fast path takes: the general split then trims it.)
    let value_start = colon + 1 + usize::from(matches!(rest.get(colon + 1), Some(b' ' | b'\t')));
    let (text, start) = (src.text, pos + value_start);
    // Each arm reads the value, checks that the line ends where it stopped, and only then
    // records it.
    let (end, next) = match known {
        index::VIA => {
            let (via, end) = fast::via(text, start)?;
            let next = line_end(rest, end - pos)?;
            core.via.get_or_insert(via);
            (end, next)
        }
        index::FROM | index::TO => {
            let slot = if known == index::FROM {
                &mut core.from
            } else {
                &mut core.to
            };
            if slot.is_some() {
                return None;
            }
            let ((addr, _, _), end) = fast::name_addr(text, start, AddrContext::FromTo)?;
            let next = line_end(rest, end - pos)?;
            *slot = Some(addr);
            (end, next)
        }
        index::CALL_ID if core.call_id.is_none() => {
            let (id, end) = fast::call_id(text, start)?;
            let next = line_end(rest, end - pos)?;
            core.call_id = Some(id);
            (end, next)
        }
        index::CSEQ if core.cseq.is_none() => {
            let (cseq, end) = fast::cseq(text, start)?;
            let next = line_end(rest, end - pos)?;
            core.cseq = Some(cseq);
            (end, next)
        }
        index::MAX_FORWARDS if core.max_forwards.is_none() => {
            let (n, end) = fast::number(text, start, 255)?;
            let next = line_end(rest, end - pos)?;
            core.max_forwards = Some(u8::try_from(n).ok()?);
            (end, next)
        }
        index::CONTENT_LENGTH | index::EXPIRES => {
            let slot = if known == index::EXPIRES {
                &mut core.expires
            } else {
                &mut core.content_length
            };
            if slot.is_some() {
                return None;
            }
            let (n, end) = fast::number(text, start, u64::from(u32::MAX))?;
            let next = line_end(rest, end - pos)?;
            *slot = Some(u32::try_from(n).ok()?);
            (end, next)
        }
        index::CONTENT_TYPE if core.content_type.is_none() => {
            let (media, end) = fast::media_type(text, start)?;
            let next = line_end(rest, end - pos)?;
            core.content_type = Some(media);
            (end, next)
        }
        index::CONTACT if !core.contact_star => {
            let (contact, end) = fast::contact(text, start)?;
            let next = line_end(rest, end - pos)?;
            core.first_contact
                .get_or_insert(ContactValue::Addr(contact));
            core.contacts += 1;
            (end, next)
        }
        index::REQUIRE | index::PROXY_REQUIRE | index::SUPPORTED | index::UNSUPPORTED => {
            let end = fast::option_tags(text, start)?;
            let next = line_end(rest, end - pos)?;
            (end, next)
        }
        _ => return None,
    };
    let line = rest.get(..end - pos)?;
    let header = Header::new(line, name_len, value_start, start, Some(known))?;
    Some((header, pos + next))
}

/// Where the next line starts, if a line ends at `at` (CRLF or LF, not followed by SP or
/// HTAB, which would fold the line).
#[inline(always)]
fn line_end(rest: &[u8], at: usize) -> Option<usize> {
    let next = match rest.get(at..)? {
        [b'\r', b'\n', ..] => at + 2,
        [b'\n', ..] => at + 1,
        _ => return None,
    };
    match rest.get(next) {
        Some(b' ' | b'\t') => None,
        _ => Some(next),
    }
}

/// Position of the first LF in `hay`.
fn find_newline(hay: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', hay)
}

/// Validates a core header and records single-valued ones.
fn type_header<'a>(src: Source<'a>, h: &Header<'a>, seen: &mut Core<'a>) -> Result<(), ParseError> {
    use HeaderName as H;
    let Some(name) = h.known_name() else {
        return Ok(());
    };
    let core = matches!(
        name,
        H::Via
            | H::From
            | H::To
            | H::CallId
            | H::CSeq
            | H::MaxForwards
            | H::ContentLength
            | H::Expires
            | H::ContentType
            | H::Contact
            | H::Route
            | H::RecordRoute
            | H::Path
            | H::Require
            | H::ProxyRequire
            | H::Supported
            | H::Unsupported
            | H::Authorization
            | H::ProxyAuthorization
            | H::WwwAuthenticate
            | H::ProxyAuthenticate
    );
    if !core {
        return Ok(());
    }
    let at = h.offset();
    // Core header values are UTF-8 text (RFC 3261 §25.1: TEXT-UTF8, UTF8-NONASCII).
    let v = src
        .str(at, at + h.raw_value().len())
        .map_err(|o| bad_value("UTF-8 text", o))?;
    match name {
        HeaderName::Via => {
            for (o, e) in split_commas(v) {
                let via = parse_via(e, at + o)?;
                if seen.via.is_none() {
                    seen.via = Some(via);
                }
            }
        }
        HeaderName::From => {
            let addr = parse_from_to(v, at)?;
            once(&mut seen.from, addr, at)?;
        }
        HeaderName::To => {
            let addr = parse_from_to(v, at)?;
            once(&mut seen.to, addr, at)?;
        }
        HeaderName::CallId => once(&mut seen.call_id, parse_call_id(v, at)?, at)?,
        HeaderName::CSeq => once(&mut seen.cseq, parse_cseq(v, at)?, at)?,
        HeaderName::MaxForwards => {
            let n = parse_number(v, at, 255)?;
            once(
                &mut seen.max_forwards,
                u8::try_from(n).unwrap_or(u8::MAX),
                at,
            )?;
        }
        HeaderName::ContentLength => {
            let n = parse_number(v, at, u64::from(u32::MAX))?;
            once(
                &mut seen.content_length,
                u32::try_from(n).unwrap_or(u32::MAX),
                at,
            )?;
        }
        HeaderName::Expires => {
            let n = parse_number(v, at, u64::from(u32::MAX))?;
            once(&mut seen.expires, u32::try_from(n).unwrap_or(u32::MAX), at)?;
        }
        HeaderName::ContentType => once(&mut seen.content_type, parse_media_type(v, at)?, at)?,
        HeaderName::Contact => {
            for (o, e) in split_commas(v) {
                let value = if trim_lws_str(e) == "*" {
                    seen.contact_star = true;
                    ContactValue::Star
                } else {
                    ContactValue::Addr(parse_contact(e, at + o)?)
                };
                if seen.first_contact.is_none() {
                    seen.first_contact = Some(value);
                }
                seen.contacts += 1;
                if seen.contact_star && seen.contacts > 1 {
                    return Err(bad_value("'*' as the only Contact", at + o));
                }
            }
        }
        HeaderName::Route | HeaderName::RecordRoute | HeaderName::Path => {
            for (o, e) in split_commas(v) {
                parse_name_addr(e, at + o, AddrContext::Route)?;
            }
        }
        HeaderName::Require
        | HeaderName::ProxyRequire
        | HeaderName::Supported
        | HeaderName::Unsupported => {
            if v.is_empty() && h.is(HeaderName::Supported) {
                return Ok(());
            }
            for (o, e) in split_commas(v) {
                parse_option_tag(e, at + o)?;
            }
        }
        HeaderName::Authorization
        | HeaderName::ProxyAuthorization
        | HeaderName::WwwAuthenticate
        | HeaderName::ProxyAuthenticate => {
            parse_auth(v, at)?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Message, find_newline};
    use crate::error::ErrorKind;

    #[test]
    fn a_header_name_of_one_non_ascii_byte_is_refused() {
        let input = b"OPTIONS sip:a@b SIP/2.0\r\n\xf6: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
            From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
        let err = Message::parse(input).map(|m| m.len()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadHeaderName);
        assert_eq!(err.offset(), 25);
    }

    /// Header names, in the forms and cases a message may use, for the agreement test.
    const NAMES: &[&str] = &[
        "Via",
        "v",
        "VIA",
        "From",
        "f",
        "To",
        "t",
        "Call-ID",
        "i",
        "call-id",
        "CSeq",
        "Max-Forwards",
        "Content-Length",
        "l",
        "Expires",
        "Content-Type",
        "c",
        "Contact",
        "m",
        "Supported",
        "k",
        "Require",
        "Proxy-Require",
        "Unsupported",
        "Route",
        "Allow",
        "X-Foo",
    ];

    /// Values of the usual shapes, and a few others, for any of [`NAMES`].
    const VALUES: &[&str] = &[
        "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport",
        "SIP/2.0/TCP h.example;received=192.0.2.1;rport=5060",
        "sip/2.0/udp [::1]:5060;branch=z9hG4bK1",
        "\"Ani\" <sip:+6281234567890@carrier.example>;tag=9fxced76sl",
        "<sip:1500112@bnpt.example>",
        "<sip:u@192.0.2.10:5060;transport=udp>;expires=3600;q=0.9",
        "<sip:u@h>;q=1.5",
        "Bob <sip:b@h>",
        "sip:a@h;tag=1",
        "*",
        "3848276298220188511@192.0.2.10",
        "a@b@c",
        "314159 INVITE",
        "4294967296 INVITE",
        "70",
        "0",
        "255",
        "256",
        "99999999999",
        "application/sdp",
        "text/plain;charset=utf-8",
        "replaces, timer",
        "100rel",
        "a b",
        "",
    ];

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(2000))]

        /// Reading the core headers in place gives what splitting every line and then parsing
        /// it gives: the same message, or the same error.
        #[test]
        fn the_in_place_fast_paths_agree_with_split_then_parse(
            lines in proptest::collection::vec((
                0..NAMES.len(),
                proptest::prop_oneof![
                    proptest::prelude::Just(": "),
                    proptest::prelude::Just(":"),
                    proptest::prelude::Just(" :\t"),
                    proptest::prelude::Just(":  "),
                    proptest::prelude::Just(": \t "),
                ],
                0..VALUES.len(),
                r#"[a-zA-Z0-9.:;=@%<>\[\]\\" \t,!~*'()+_/-]{0,4}"#,
                proptest::prop_oneof![
                    4 => proptest::prelude::Just("\r\n"),
                    1 => proptest::prelude::Just("\n"),
                    1 => proptest::prelude::Just("\r\n "),
                    1 => proptest::prelude::Just("\r"),
                ],
            ), 0..8),
            tail in proptest::prop_oneof![
                3 => proptest::prelude::Just(false),
                1 => proptest::prelude::Just(true),
            ],
            base in 0..3,
            end in proptest::prop_oneof![
                proptest::prelude::Just("\r\n"),
                proptest::prelude::Just(""),
            ],
        ) {
            // The headers a request needs, before the generated lines, after them, or not at all.
            let needed = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
                To: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n";
            let mut msg = String::from("INVITE sip:a@b SIP/2.0\r\n");
            if base == 1 {
                msg.push_str(needed);
            }
            for (name, sep, value, extra, eol) in lines {
                msg.push_str(NAMES[name]);
                msg.push_str(sep);
                msg.push_str(VALUES[value]);
                if tail {
                    msg.push_str(&extra);
                }
                msg.push_str(eol);
            }
            if base == 2 {
                msg.push_str(needed);
            }
            msg.push_str(end);
            msg.push_str("v=0\r\n");
            let fast = Message::parse(msg.as_bytes());
            let general = Message::parse_general(msg.as_bytes());
            proptest::prop_assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{:?}", msg);
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(3000))]

        /// A sample INVITE with a few bytes changed (to any byte, or to one that matters to the
        /// grammar) reads the same in place as split then parsed.
        #[test]
        fn mutated_messages_read_the_same_both_ways(
            edits in proptest::collection::vec((
                0..800usize,
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::sample::select(b" \t\r\n:;,<>\"@=/.%[]".to_vec()),
                ],
            ), 1..5),
        ) {
            let mut msg = include_bytes!("../tests/messages/invite.sip").to_vec();
            for (at, byte) in edits {
                let len = msg.len();
                if let Some(b) = msg.get_mut(at % len) {
                    *b = byte;
                }
            }
            let fast = format!("{:?}", Message::parse(&msg));
            let general = format!("{:?}", Message::parse_general(&msg));
            proptest::prop_assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(&msg));
        }
    }

    /// Every message under `tests/messages`, read both ways, gives the same result.
    #[test]
    fn the_sample_messages_read_the_same_both_ways() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/messages");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            let fast = format!("{:?}", Message::parse(&bytes));
            let general = format!("{:?}", Message::parse_general(&bytes));
            assert_eq!(fast, general, "{}", entry.path().display());
            seen += 1;
        }
        assert!(seen >= 3, "the sample messages are there");
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(256))]

        /// The word-at-a-time search finds the first LF wherever it is, among any bytes.
        #[test]
        fn find_newline_finds_the_first_lf(hay in proptest::collection::vec(
            proptest::prop_oneof![proptest::prelude::any::<u8>(), proptest::prelude::Just(b'\n')],
            0..40,
        )) {
            proptest::prop_assert_eq!(find_newline(&hay), hay.iter().position(|&b| b == b'\n'));
        }
    }
}
