//! Stream framing for TCP and TLS (RFC 3261 §18.3): where one message ends in a byte stream.
//!
//! A [`Framer`] is a push parser over the caller's receive buffer. After each read, call
//! [`Framer::frame`] with everything buffered so far; it answers [`Frame::Complete`] with the
//! length of the first message (parse `&buf[..len]` with [`Message::parse`](crate::Message::parse)
//! and drain it), [`Frame::KeepAlive`] for CRLF keep-alives before a message (RFC 5626 §4.4.1),
//! or [`Frame::NeedMore`]. It remembers how far it has looked, so a message arriving one byte
//! at a time is scanned once, and it refuses a message larger than its limit before buffering
//! it, so a peer cannot make a connection hold more than `max_message_size` bytes.
//!
//! WebSocket (RFC 7118) needs no framer: each WebSocket message carries exactly one SIP message.

/// Default largest message on a stream: 64 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// Default most header lines.
pub const DEFAULT_MAX_HEADERS: usize = 256;

/// The framer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// The first `len` bytes are one whole message.
    Complete {
        /// Its length, headers and body.
        len: usize,
    },
    /// The first `len` bytes are CRLF keep-alives to drop; `ping` is true when they held a
    /// double CRLF, which RFC 5626 answers with a single CRLF (pong).
    KeepAlive {
        /// How many bytes to drop.
        len: usize,
        /// A double-CRLF ping was seen.
        ping: bool,
    },
    /// The message is not complete yet.
    NeedMore,
}

/// Why the stream cannot be framed; the connection should be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The message would be larger than the limit.
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// More header lines than the limit.
    TooManyHeaders {
        /// The limit.
        max: usize,
    },
    /// No Content-Length: on a stream it is mandatory (RFC 3261 §18.3, §20.14).
    MissingContentLength,
    /// Content-Length is not a decimal number, or appears twice with different values.
    BadContentLength {
        /// Byte offset of the offending value.
        offset: usize,
    },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { max } => write!(f, "message larger than {max} bytes"),
            Self::TooManyHeaders { max } => write!(f, "more than {max} header lines"),
            Self::MissingContentLength => f.write_str("no Content-Length on a stream transport"),
            Self::BadContentLength { offset } => {
                write!(f, "bad or conflicting Content-Length at byte {offset}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Finds message boundaries in a byte stream. One per connection.
#[derive(Debug, Clone)]
pub struct Framer {
    max_message_size: usize,
    max_headers: usize,
    /// How far the search for the end of the headers has looked.
    scanned: usize,
    /// Once the headers are complete: where the body starts and how long it is.
    head: Option<(usize, usize)>,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_HEADERS)
    }
}

impl Framer {
    /// A framer with these limits.
    pub fn new(max_message_size: usize, max_headers: usize) -> Self {
        Self {
            max_message_size,
            max_headers,
            scanned: 0,
            head: None,
        }
    }

    /// Looks at the buffered bytes (always starting at the first unconsumed byte). After
    /// `Complete` or `KeepAlive`, the caller drains that many bytes and the framer starts over.
    pub fn frame(&mut self, buf: &[u8]) -> Result<Frame, FrameError> {
        if self.head.is_none() && self.scanned == 0 {
            let crlfs = buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if crlfs > 0 {
                if crlfs == buf.len() && !buf.ends_with(b"\n") {
                    return Ok(Frame::NeedMore);
                }
                let ping = buf[..crlfs].windows(4).any(|w| w == b"\r\n\r\n");
                return Ok(Frame::KeepAlive { len: crlfs, ping });
            }
        }
        let (body_start, body_len) = match self.head {
            Some(head) => head,
            None => {
                let from = self.scanned.saturating_sub(3);
                let Some(end) = find_end_of_headers(buf.get(from..).unwrap_or_default()) else {
                    if buf.len() >= self.max_message_size {
                        return Err(FrameError::TooLarge {
                            max: self.max_message_size,
                        });
                    }
                    self.scanned = buf.len();
                    return Ok(Frame::NeedMore);
                };
                let body_start = from + end;
                let body_len = self.content_length(&buf[..body_start])?;
                let head = (body_start, body_len);
                self.head = Some(head);
                head
            }
        };
        let total = body_start.saturating_add(body_len);
        if total > self.max_message_size {
            return Err(FrameError::TooLarge {
                max: self.max_message_size,
            });
        }
        if buf.len() < total {
            return Ok(Frame::NeedMore);
        }
        self.scanned = 0;
        self.head = None;
        Ok(Frame::Complete { len: total })
    }

    /// Counts header lines and reads Content-Length from a complete header block.
    fn content_length(&self, head: &[u8]) -> Result<usize, FrameError> {
        let mut found: Option<u64> = None;
        let mut lines = 0;
        let mut pos = 0;
        for line in head.split(|&b| b == b'\n') {
            let offset = pos;
            pos += line.len() + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() || line[0] == b' ' || line[0] == b'\t' {
                continue;
            }
            lines += 1;
            if lines > self.max_headers + 1 {
                return Err(FrameError::TooManyHeaders {
                    max: self.max_headers,
                });
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = trim(&line[..colon]);
            if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
                continue;
            }
            let value_at = offset + colon + 1;
            let value = trim(&line[colon + 1..]);
            let n = parse_digits(value).ok_or(FrameError::BadContentLength { offset: value_at })?;
            if found.is_some_and(|f| f != n) {
                return Err(FrameError::BadContentLength { offset: value_at });
            }
            found = Some(n);
        }
        let n = found.ok_or(FrameError::MissingContentLength)?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.max_message_size)
            .ok_or(FrameError::TooLarge {
                max: self.max_message_size,
            })
    }
}

/// Offset just past the blank line ending the headers (CRLF CRLF, or LF LF).
fn find_end_of_headers(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(nl) = memchr::memchr(b'\n', buf.get(i..)?) {
        let at = i + nl;
        match buf.get(at + 1..) {
            Some([b'\n', ..]) => return Some(at + 2),
            Some([b'\r', b'\n', ..]) => return Some(at + 3),
            _ => i = at + 1,
        }
    }
    None
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &s[start..end]
}

fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] =
        b"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn whole_message_at_once_then_the_next() {
        let mut f = Framer::default();
        let mut stream = MSG.to_vec();
        stream.extend_from_slice(MSG);
        assert_eq!(f.frame(&stream), Ok(Frame::Complete { len: MSG.len() }));
        assert_eq!(
            f.frame(&stream[MSG.len()..]),
            Ok(Frame::Complete { len: MSG.len() })
        );
    }

    #[test]
    fn byte_by_byte() {
        let mut f = Framer::default();
        for i in 1..MSG.len() {
            assert_eq!(f.frame(&MSG[..i]), Ok(Frame::NeedMore), "at {i}");
        }
        assert_eq!(f.frame(MSG), Ok(Frame::Complete { len: MSG.len() }));
    }

    #[test]
    fn keep_alives() {
        let mut f = Framer::default();
        assert_eq!(
            f.frame(b"\r\n\r\nOPT"),
            Ok(Frame::KeepAlive { len: 4, ping: true })
        );
        assert_eq!(
            f.frame(b"\r\nOPT"),
            Ok(Frame::KeepAlive {
                len: 2,
                ping: false
            })
        );
        assert_eq!(f.frame(b"\r"), Ok(Frame::NeedMore));
    }

    #[test]
    fn limits_and_errors() {
        let mut f = Framer::new(100, 4);
        assert_eq!(
            f.frame(&[b'a'; 100]),
            Err(FrameError::TooLarge { max: 100 })
        );
        let mut f = Framer::new(1000, 2);
        assert_eq!(
            f.frame(b"A sip:a SIP/2.0\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n"),
            Err(FrameError::TooManyHeaders { max: 2 })
        );
        let mut f = Framer::default();
        assert_eq!(
            f.frame(b"A sip:a SIP/2.0\r\na: 1\r\n\r\n"),
            Err(FrameError::MissingContentLength)
        );
        let mut f = Framer::default();
        assert!(matches!(
            f.frame(b"A sip:a SIP/2.0\r\nContent-Length: -999\r\n\r\n"),
            Err(FrameError::BadContentLength { .. })
        ));
        let mut f = Framer::default();
        assert!(matches!(
            f.frame(b"A sip:a SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n"),
            Err(FrameError::BadContentLength { .. })
        ));
        let mut f = Framer::new(1000, 10);
        assert_eq!(
            f.frame(b"A sip:a SIP/2.0\r\nContent-Length: 9999\r\n\r\n"),
            Err(FrameError::TooLarge { max: 1000 })
        );
    }
}
