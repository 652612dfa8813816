//! Parse errors: what was wrong, where, and what a server should answer.

use std::fmt;

/// What was wrong with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was empty (or only line breaks).
    Empty,
    /// The input is larger than the configured maximum.
    TooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// More headers than the configured maximum.
    TooManyHeaders {
        /// The limit.
        max: usize,
    },
    /// The first line is neither a Request-Line nor a Status-Line.
    BadStartLine {
        /// What was expected at the offset.
        expected: &'static str,
    },
    /// The SIP version is well-formed but not 2.0.
    UnsupportedVersion,
    /// The status code is not three digits from 100 to 699.
    BadStatusCode,
    /// A URI does not follow its scheme's grammar.
    BadUri {
        /// What was expected at the offset.
        expected: &'static str,
    },
    /// A Request-URI carries `?headers`, which RFC 3261 §19.1.1 forbids there.
    HeadersInRequestUri,
    /// A header line has no `:` after a token name.
    BadHeaderName,
    /// A header line does not end before the message does.
    UnterminatedHeader,
    /// A core header's value breaks its grammar.
    BadHeaderValue {
        /// What was expected at the offset.
        expected: &'static str,
    },
    /// A header that may appear once appears more than once.
    DuplicateHeader,
    /// A header every message of this kind must have is missing.
    MissingHeader,
    /// A number is larger than its header allows (CSeq, Max-Forwards, Expires, ports…).
    NumberTooLarge {
        /// The largest value allowed.
        max: u64,
    },
    /// The CSeq method differs from the request method.
    CSeqMethodMismatch,
    /// Content-Length declares more bytes than the datagram holds after the headers.
    ContentLengthExceedsBody {
        /// What Content-Length said.
        declared: u64,
        /// What the datagram holds.
        available: usize,
    },
}

/// Where a message broke the grammar, and what to do about it.
///
/// `Copy`, allocation-free, and cheap to return on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    kind: ErrorKind,
    offset: usize,
    header: Option<&'static str>,
    in_response: bool,
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            header: None,
            in_response: false,
        }
    }

    pub(crate) fn in_header(mut self, header: &'static str) -> Self {
        if self.header.is_none() {
            self.header = Some(header);
        }
        self
    }

    pub(crate) fn set_response(mut self, in_response: bool) -> Self {
        self.in_response = in_response;
        self
    }

    /// What was wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset in the input where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The canonical name of the header the problem is in, if it is in one.
    pub fn header(&self) -> Option<&'static str> {
        self.header
    }

    /// True when the input was (recognisably) a response.
    pub fn in_response(&self) -> bool {
        self.in_response
    }

    /// The status code a server should answer a bad request with: 505 for an unsupported
    /// version, 413 for a message too large, 400 for the rest. `None` when the input was a
    /// response: a bad response is dropped, never answered (RFC 3261 §18.1.2, §18.2.1).
    pub fn response_code(&self) -> Option<u16> {
        if self.in_response {
            return None;
        }
        Some(match self.kind {
            ErrorKind::UnsupportedVersion => 505,
            ErrorKind::TooLarge { .. } => 413,
            _ => 400,
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty message"),
            Self::TooLarge { max } => write!(f, "message larger than {max} bytes"),
            Self::TooManyHeaders { max } => write!(f, "more than {max} headers"),
            Self::BadStartLine { expected } => write!(f, "bad start line: expected {expected}"),
            Self::UnsupportedVersion => f.write_str("SIP version is not 2.0"),
            Self::BadStatusCode => f.write_str("status code is not three digits from 100 to 699"),
            Self::BadUri { expected } => write!(f, "bad URI: expected {expected}"),
            Self::HeadersInRequestUri => f.write_str("Request-URI carries ?headers"),
            Self::BadHeaderName => f.write_str("header line without a token name and ':'"),
            Self::UnterminatedHeader => f.write_str("header line not terminated"),
            Self::BadHeaderValue { expected } => write!(f, "bad header value: expected {expected}"),
            Self::DuplicateHeader => f.write_str("header may appear only once"),
            Self::MissingHeader => f.write_str("mandatory header missing"),
            Self::NumberTooLarge { max } => write!(f, "number larger than {max}"),
            Self::CSeqMethodMismatch => f.write_str("CSeq method differs from the request method"),
            Self::ContentLengthExceedsBody {
                declared,
                available,
            } => {
                write!(
                    f,
                    "Content-Length {declared} but only {available} body bytes"
                )
            }
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.header {
            Some(h) => write!(f, "{h}: {} at byte {}", self.kind, self.offset),
            None => write!(f, "{} at byte {}", self.kind, self.offset),
        }
    }
}

impl std::error::Error for ParseError {}

/// Shorthand for a bad header value.
pub(crate) fn bad_value(expected: &'static str, offset: usize) -> ParseError {
    ParseError::new(ErrorKind::BadHeaderValue { expected }, offset)
}

/// Shorthand for a bad URI.
pub(crate) fn bad_uri(expected: &'static str, offset: usize) -> ParseError {
    ParseError::new(ErrorKind::BadUri { expected }, offset)
}
