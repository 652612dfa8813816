//! Writing messages: the canonical serializer and a builder.
//!
//! The canonical form has one start line with single spaces, every header on one line under
//! its long name (`v:` becomes `Via:`) with line folds undone, then the body. Parsing the
//! canonical form of a message gives a message equal to it.

use crate::error::ParseError;
use crate::header::{HeaderName, unfold_bytes};
use crate::message::{Message, Method, StartLine};

impl Message<'_> {
    /// Appends the canonical form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self.start_line() {
            StartLine::Request { method, uri } => {
                out.extend_from_slice(method.as_str().as_bytes());
                out.push(b' ');
                out.extend_from_slice(uri.as_str().as_bytes());
                out.extend_from_slice(b" SIP/2.0\r\n");
            }
            StartLine::Response { status, reason } => {
                out.extend_from_slice(b"SIP/2.0 ");
                out.extend_from_slice(status.to_string().as_bytes());
                out.push(b' ');
                out.extend_from_slice(reason.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        for h in self.headers() {
            out.extend_from_slice(h.name().as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&unfold_bytes(h.raw_value()));
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body());
    }

    /// The canonical form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() + 64);
        self.write_to(&mut out);
        out
    }
}

/// Why a builder could not make a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A header name is not a token, or a value holds CR or LF (header injection).
    BadHeader {
        /// The header's position among those added.
        index: usize,
    },
    /// The start line holds a space, CR or LF where it must not.
    BadStartLine,
    /// The finished message does not parse.
    Invalid(ParseError),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadHeader { index } => {
                write!(f, "header {index} has a bad name or a CR/LF in its value")
            }
            Self::BadStartLine => f.write_str("start line holds a space, CR or LF"),
            Self::Invalid(e) => write!(f, "built message does not parse: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds a message header by header; `build` adds Content-Length, checks the result by
/// parsing it, and returns the bytes.
///
/// ```
/// use sambung_sip::serialize::MessageBuilder;
/// use sambung_sip::{HeaderName, Message, Method};
///
/// let bytes = MessageBuilder::request(Method::Options, "sip:1500112@127.0.0.1")
///     .header(HeaderName::Via, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1")
///     .header(HeaderName::From, "<sip:agent@127.0.0.1>;tag=1")
///     .header(HeaderName::To, "<sip:1500112@127.0.0.1>")
///     .header(HeaderName::CallId, "abc")
///     .header(HeaderName::CSeq, "1 OPTIONS")
///     .header(HeaderName::MaxForwards, "70")
///     .build()?;
/// assert_eq!(Message::parse(&bytes).unwrap().content_length(), Some(0));
/// # Ok::<(), sambung_sip::serialize::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    start: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    start_ok: bool,
}

impl MessageBuilder {
    /// A request.
    pub fn request(method: Method<'_>, uri: &str) -> Self {
        let ok = !uri.is_empty() && !uri.bytes().any(|b| matches!(b, b' ' | b'\r' | b'\n'));
        let start = format!("{} {uri} SIP/2.0\r\n", method.as_str()).into_bytes();
        Self {
            start,
            headers: Vec::new(),
            body: Vec::new(),
            start_ok: ok,
        }
    }

    /// A response.
    pub fn response(status: u16, reason: &str) -> Self {
        let ok =
            (100..=699).contains(&status) && !reason.bytes().any(|b| matches!(b, b'\r' | b'\n'));
        let start = format!("SIP/2.0 {status} {reason}\r\n").into_bytes();
        Self {
            start,
            headers: Vec::new(),
            body: Vec::new(),
            start_ok: ok,
        }
    }

    /// A response to `request` (RFC 3261 §8.2.6): its Vias, From, To (with `to_tag` added if
    /// the To has none), Call-ID and CSeq are copied.
    pub fn response_to(
        request: &Message<'_>,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) -> Self {
        let mut b = Self::response(status, reason);
        for h in request.headers_named(HeaderName::Via) {
            b = b.header(HeaderName::Via, unfold_bytes(h.raw_value()));
        }
        for name in [
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
        ] {
            if let Some(h) = request.header(name) {
                let mut value = unfold_bytes(h.raw_value()).into_owned();
                if name == HeaderName::To
                    && request.to().tag().is_none()
                    && let Some(tag) = to_tag
                {
                    value.extend_from_slice(b";tag=");
                    value.extend_from_slice(tag.as_bytes());
                }
                b = b.header(name, value);
            }
        }
        b
    }

    /// Adds a header. Content-Length is added by [`build`](Self::build); do not add it here.
    pub fn header(mut self, name: HeaderName<'_>, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.as_str().to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self = self.header(HeaderName::ContentType, content_type);
        self.body = body.into();
        self
    }

    /// Writes the message, adds Content-Length, and checks that it parses.
    pub fn build(self) -> Result<Vec<u8>, BuildError> {
        if !self.start_ok {
            return Err(BuildError::BadStartLine);
        }
        let mut out = self.start;
        for (index, (name, value)) in self.headers.iter().enumerate() {
            let name_ok =
                !name.is_empty() && name.bytes().all(|b| crate::scan::TOKEN[usize::from(b)]);
            if !name_ok || value.iter().any(|&b| b == b'\r' || b == b'\n') {
                return Err(BuildError::BadHeader { index });
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        Message::parse(&out).map_err(BuildError::Invalid)?;
        Ok(out)
    }
}
