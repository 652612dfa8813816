//! Character classes of the RFC 3261 §25 grammar and a cursor over header values.
//!
//! Inside a header value, a line fold (CRLF followed by SP or HTAB) is linear white space.
//! The header splitter guarantees that every CR or LF inside a value belongs to a fold, so the
//! cursor treats SP, HTAB, CR and LF alike as LWS.

/// Builds a 256-entry membership table from a list of ranges and single bytes.
const fn table(ranges: &[(u8, u8)], singles: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < ranges.len() {
        let (lo, hi) = ranges[i];
        let mut c = lo as usize;
        while c <= hi as usize {
            t[c] = true;
            c += 1;
        }
        i += 1;
    }
    let mut j = 0;
    while j < singles.len() {
        t[singles[j] as usize] = true;
        j += 1;
    }
    t
}

const ALNUM: [(u8, u8); 3] = [(b'a', b'z'), (b'A', b'Z'), (b'0', b'9')];

/// `token` (RFC 3261 §25.1).
pub(crate) static TOKEN: [bool; 256] = table(&ALNUM, b"-.!%*_+`'~");
/// `word` (used by Call-ID).
pub(crate) static WORD: [bool; 256] = table(&ALNUM, b"-.!%*_+`'~()<>:\\\"/[]?{}");
/// `user` characters other than escapes: unreserved / user-unreserved.
pub(crate) static USER: [bool; 256] = table(&ALNUM, b"-_.!~*'()&=+$,;?/");
/// `password` characters other than escapes.
pub(crate) static PASSWORD: [bool; 256] = table(&ALNUM, b"-_.!~*'()&=+$,");
/// `paramchar` other than escapes: param-unreserved / unreserved.
pub(crate) static PARAMCHAR: [bool; 256] = table(&ALNUM, b"-_.!~*'()[]/:&+$");
/// `hname`/`hvalue` characters other than escapes: hnv-unreserved / unreserved.
pub(crate) static HNV: [bool; 256] = table(&ALNUM, b"-_.!~*'()[]/?:+$");
/// `uric` other than escapes: reserved / unreserved.
pub(crate) static URIC: [bool; 256] = table(&ALNUM, b"-_.!~*'();/?:@&=+$,[]");
/// Decimal digits.
pub(crate) static DIGITS: [bool; 256] = table(&[(b'0', b'9')], b"");
/// Host name and IPv4 characters.
pub(crate) static HOSTCHAR: [bool; 256] = table(&ALNUM, b"-.");

/// Position of `needle` in a short `hay`. A plain loop: for the few bytes between SIP
/// delimiters it beats `memchr`, whose per-call setup costs more than the search.
#[inline]
pub(crate) fn find(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Position of the first `NEEDLE` in `hay`, eight bytes at a time: header values are a few
/// dozen bytes, too short for `memchr`'s set-up to pay off and long enough for a byte loop to
/// cost.
#[inline]
pub(crate) fn find_byte<const NEEDLE: u8>(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let spread = u64::from_ne_bytes([NEEDLE; 8]);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        // Bytes equal to the needle become zero; the lowest zero byte sets the lowest flag
        // exactly (a borrow only ever flags bytes above a true zero).
        let x = u64::from_le_bytes(word) ^ spread;
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == NEEDLE)
        .map(|i| base + i)
}

/// How many bytes at the start of `s` are in `class`. Eight bytes a step, each tested on its
/// own, so a step costs one bounds check instead of eight: the fast paths read from a
/// position in the whole message, so there are nearly always eight bytes left.
#[inline]
pub(crate) fn run(s: &[u8], class: &[bool; 256]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for eight in &mut chunks {
        for (k, &b) in eight.iter().enumerate() {
            if !class[usize::from(b)] {
                return base + k;
            }
        }
        base += 8;
    }
    let tail = chunks.remainder();
    base + tail
        .iter()
        .position(|&b| !class[usize::from(b)])
        .unwrap_or(tail.len())
}

/// True for SP, HTAB, CR, LF: white space inside a folded header value.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Is every byte of `s` in `class`, allowing `%HH` escapes when `escapes` is set?
pub(crate) fn all_in(s: &[u8], class: &[bool; 256], escapes: bool) -> Option<usize> {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if class[usize::from(b)] {
            i += 1;
        } else if escapes && b == b'%' && is_hex_pair(s.get(i + 1..i + 3)) {
            i += 3;
        } else {
            return Some(i);
        }
    }
    None
}

pub(crate) fn is_hex_pair(pair: Option<&[u8]>) -> bool {
    matches!(pair, Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

/// The value of a run of decimal digits (all of `digits` is digits), failing where it could
/// overflow a `u64` (more than 19 digits, which the general reading then takes).
#[inline]
pub(crate) fn digits_value(digits: &[u8]) -> Option<u64> {
    if digits.len() > 19 {
        return None;
    }
    Some(digits.iter().fold(0, |v: u64, &d| {
        v.wrapping_mul(10)
            .wrapping_add(u64::from(d.wrapping_sub(b'0')))
    }))
}

/// Parses unsigned decimal digits into a `u64`, failing on overflow; leading zeros allowed.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A cursor over a header value (or part of one). Positions are relative to `base`, the offset
/// of `src` in the whole message, so errors can say where. Everything it returns borrows from
/// `src`; since the grammar's delimiters are ASCII, every slice falls on a character boundary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a str,
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str, base: usize) -> Self {
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            base,
        }
    }

    /// Offset of the cursor in the whole message.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The text from `start` to `end` (byte positions in `src`).
    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or_default()
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    /// Skips LWS; returns whether any was skipped.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_lws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes `b` if it is next (no white space skipped).
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `SWS b SWS`: consumes optional LWS, `b`, optional LWS. Restores the position if `b`
    /// is not there.
    pub(crate) fn eat_sep(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(b) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Takes the longest run of bytes in `class` (at least one). Classes hold ASCII only.
    pub(crate) fn take_class(&mut self, class: &[bool; 256]) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(|b| class[usize::from(b)]) {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.slice(start, self.pos))
    }

    /// Takes a token.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        self.take_class(&TOKEN)
    }

    /// Takes a quoted string including its quotes; `None` (position unchanged) if the next
    /// byte is not `"`; `Err(offset)` if it never closes or holds a forbidden byte.
    pub(crate) fn quoted(&mut self) -> Result<Option<&'a str>, usize> {
        if self.peek() != Some(b'"') {
            return Ok(None);
        }
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(self.offset()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Some(self.slice(start, self.pos)));
                }
                Some(b'\\') => {
                    // quoted-pair: any ASCII byte but CR and LF.
                    match self.bytes.get(self.pos + 1) {
                        Some(b'\r' | b'\n' | 0x80..) | None => return Err(self.offset()),
                        Some(_) => self.pos += 2,
                    }
                }
                // qdtext excludes the other control characters.
                Some(b) if b < 0x20 && !is_lws(b) => return Err(self.offset()),
                Some(0x7f) => return Err(self.offset()),
                Some(_) => self.pos += 1,
            }
        }
    }
}

/// Where `s` starts and ends once LWS is trimmed from both ends.
pub(crate) fn lws_bounds(s: &[u8]) -> (usize, usize) {
    let start = s.iter().position(|&b| !is_lws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_lws(b)).map_or(start, |e| e + 1);
    (start, end)
}

/// Trims LWS from both ends of text. (LWS is ASCII, so the cuts fall on character
/// boundaries; bytes, not characters, are looked at.)
pub(crate) fn trim_lws_str(s: &str) -> &str {
    let (start, end) = lws_bounds(s.as_bytes());
    s.get(start..end).unwrap_or_default()
}

/// Splits a header value at top-level commas, respecting quoted strings and `<…>`.
/// Yields `(offset within value, element)` with the element untrimmed.
#[inline]
pub(crate) fn split_commas(value: &str) -> CommaSplit<'_> {
    // Most values hold one element: no comma, no scanning state needed.
    if find_byte::<b','>(value.as_bytes()).is_none() {
        return CommaSplit {
            value,
            pos: value.len(),
            done: false,
            single: true,
        };
    }
    CommaSplit {
        value,
        single: false,
        pos: 0,
        done: false,
    }
}

/// Iterator of [`split_commas`].
#[derive(Debug, Clone)]
pub(crate) struct CommaSplit<'a> {
    value: &'a str,
    pos: usize,
    done: bool,
    single: bool,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = (usize, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.single {
            self.done = true;
            return Some((0, self.value));
        }
        let bytes = self.value.as_bytes();
        let start = self.pos;
        let mut in_quotes = false;
        let mut in_angle = false;
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' if in_quotes => i += 1,
                b'"' if !in_angle => in_quotes = !in_quotes,
                b'<' if !in_quotes => in_angle = true,
                b'>' if !in_quotes => in_angle = false,
                b',' if !in_quotes && !in_angle => {
                    self.pos = i + 1;
                    return Some((start, self.value.get(start..i).unwrap_or_default()));
                }
                _ => {}
            }
            i += 1;
        }
        self.done = true;
        Some((start, self.value.get(start..).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(256))]

        /// The eight-a-step run ends where a byte-by-byte one does, at any length.
        #[test]
        fn a_run_ends_at_the_first_byte_outside_its_class(
            s in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => proptest::prelude::Just(b'a'),
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..40,
            ),
        ) {
            let expected = s.iter().position(|&b| !TOKEN[usize::from(b)]).unwrap_or(s.len());
            proptest::prop_assert_eq!(run(&s, &TOKEN), expected);
        }
    }

    #[test]
    fn classes() {
        assert!(TOKEN[usize::from(b'!')]);
        assert!(!TOKEN[usize::from(b'@')]);
        assert!(WORD[usize::from(b'"')]);
        assert_eq!(all_in(b"ab%41c", &USER, true), None);
        assert_eq!(all_in(b"ab%4", &USER, true), Some(2));
    }

    #[test]
    fn commas_respect_quotes_and_angles() {
        let v = r#""a, \"b," <sip:x,y@h>;p=1, <sip:z>"#;
        let parts: Vec<_> = split_commas(v).map(|(_, p)| p).collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], " <sip:z>");
        let parts: Vec<_> = split_commas("a,,b").collect();
        assert_eq!(parts, [(0, "a"), (2, ""), (3, "b")]);
    }

    #[test]
    fn quoted_strings() {
        let mut c = Cursor::new(r#""a \" b" rest"#, 0);
        assert_eq!(c.quoted(), Ok(Some(r#""a \" b""#)));
        let mut c = Cursor::new(r#""open"#, 10);
        assert_eq!(c.quoted(), Err(15));
    }
}
