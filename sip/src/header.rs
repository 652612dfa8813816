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

/// A known long name eight bytes to a word (little-endian, lower case, zero-padded), the bits
/// that may differ by case (0x20 in each letter, none in '-'), the bytes that are part of the
/// name, and its length.
#[derive(Clone, Copy)]
struct NameWords {
    words: [u64; 3],
    cases: [u64; 3],
    keeps: [u64; 3],
    len: usize,
}

/// [`NameWords`] of every known name, in the order of `KNOWN`.
static KNOWN_WORDS: [NameWords; KNOWN.len()] = known_words();

/// The index in `KNOWN` of a long name, at compile time (a name that is not there fails the
/// build).
const fn index_of(long: &str) -> u8 {
    let mut i = 0;
    loop {
        assert!(i < KNOWN.len(), "not a known header name");
        let (a, b) = (KNOWN[i].0.as_bytes(), long.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                #[expect(clippy::cast_possible_truncation, reason = "fewer than OTHER names")]
                return i as u8;
            }
        }
        i += 1;
    }
}

/// Indices of the core headers that the message parser reads in place, by their long names.
pub(crate) mod index {
    use super::index_of;
    pub(crate) const VIA: u8 = index_of("Via");
    pub(crate) const FROM: u8 = index_of("From");
    pub(crate) const TO: u8 = index_of("To");
    pub(crate) const CALL_ID: u8 = index_of("Call-ID");
    pub(crate) const CSEQ: u8 = index_of("CSeq");
    pub(crate) const MAX_FORWARDS: u8 = index_of("Max-Forwards");
    pub(crate) const CONTENT_LENGTH: u8 = index_of("Content-Length");
    pub(crate) const EXPIRES: u8 = index_of("Expires");
    pub(crate) const CONTENT_TYPE: u8 = index_of("Content-Type");
    pub(crate) const CONTACT: u8 = index_of("Contact");
    pub(crate) const REQUIRE: u8 = index_of("Require");
    pub(crate) const PROXY_REQUIRE: u8 = index_of("Proxy-Require");
    pub(crate) const SUPPORTED: u8 = index_of("Supported");
    pub(crate) const UNSUPPORTED: u8 = index_of("Unsupported");
}

impl NameWords {
    /// Does `text` start with this name in any case? `text` holds at least three words; the
    /// bytes past the name are masked off. Setting the case bits of each letter compares
    /// letters in any case and every other byte exactly. Branch-free: every word is compared
    /// (a word past the name is masked off whole).
    #[inline(always)]
    fn starts(&self, text: &[u8; 24]) -> bool {
        let mut differ = 0;
        for (k, chunk) in text.chunks_exact(8).enumerate() {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(chunk);
            let word = u64::from_le_bytes(bytes);
            differ |= ((word | self.cases[k]) & self.keeps[k]) ^ self.words[k];
        }
        differ == 0
    }

    /// Is `name` (exactly) this name in any case? For a name with fewer than 24 bytes after
    /// its start, as `from_token` is given.
    #[cold]
    fn is(&self, name: &[u8]) -> bool {
        let mut padded = [0; 24];
        match padded.get_mut(..name.len()) {
            Some(slot) if name.len() == self.len => {
                slot.copy_from_slice(name);
                self.starts(&padded)
            }
            _ => false,
        }
    }
}

const fn known_words() -> [NameWords; KNOWN.len()] {
    let mut out = [NameWords {
        words: [0; 3],
        cases: [0; 3],
        keeps: [0; 3],
        len: 0,
    }; KNOWN.len()];
    let mut i = 0;
    while i < KNOWN.len() {
        let name = KNOWN[i].0.as_bytes();
        assert!(name.len() <= 24, "known names fit in three words");
        let mut j = 0;
        while j < name.len() {
            let shift = (j % 8) * 8;
            out[i].words[j / 8] |= (name[j].to_ascii_lowercase() as u64) << shift;
            out[i].keeps[j / 8] |= 0xff << shift;
            if name[j].is_ascii_alphabetic() {
                out[i].cases[j / 8] |= 0x20 << shift;
            }
            j += 1;
        }
        out[i].len = name.len();
        i += 1;
    }
    out
}

/// `KNOWN` indices of compact forms by lower-case letter; [`OTHER`] where none.
static COMPACT: [u8; 128] = index_tables().0;

/// [`KNOWN`] indices by [`name_hash`]; `u8::MAX` where no name hashes.
static BY_HASH: [u8; 128] = index_tables().1;

/// The bucket of a long name: its first and last letters (lower-cased when letters) and its
/// length. The factors were chosen so that no two known names share a bucket; building
/// [`BY_HASH`] fails to compile if a new name would.
const fn name_hash(first: u8, last: u8, len: usize) -> usize {
    ((first | 0x20) as usize + ((last | 0x20) as usize + len) * 12) & 127
}

/// [`COMPACT`] and [`BY_HASH`], built in one walk over `KNOWN`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "indices of KNOWN, fewer than OTHER (checked at compile time)"
)]
const fn index_tables() -> ([u8; 128], [u8; 128]) {
    let mut compact = [OTHER; 128];
    let mut by_hash = [u8::MAX; 128];
    let mut i = 0;
    while i < KNOWN.len() {
        let (long, short, _) = KNOWN[i];
        if short != 0 {
            compact[short as usize] = i as u8;
        }
        let name = long.as_bytes();
        let slot = name_hash(name[0], name[name.len() - 1], name.len());
        assert!(
            by_hash[slot] == u8::MAX,
            "two known header names share a hash bucket"
        );
        by_hash[slot] = i as u8;
        i += 1;
    }
    (compact, by_hash)
}

impl<'a> HeaderName<'a> {
    /// Recognises a name in long or compact form, in any case. `name` must be a token.
    pub fn from_token(name: &'a str) -> Self {
        Self::known(name.as_bytes()).unwrap_or(Self::Other(name))
    }

    /// The known header a name in long or compact form, in any case, stands for.
    pub(crate) fn known(name: &[u8]) -> Option<HeaderName<'static>> {
        Self::known_index(name)
            .and_then(|i| KNOWN.get(usize::from(i)))
            .map(|k| k.2)
    }

    /// The index in `KNOWN` of the header a name in long or compact form, in any case,
    /// stands for.
    pub(crate) fn known_index(name: &[u8]) -> Option<u8> {
        Self::known_index_at(name, name.len())
    }

    /// [`known_index`](Self::known_index) of `text[..len]`, where `text` may go on past the
    /// name (a header line does), so that the name can be compared a word at a time.
    ///
    /// Every message header goes through this, so it is one hash and at most one compare: the
    /// hash of the length and the first and last letters picks the only candidate.
    #[inline(always)]
    pub(crate) fn known_index_at(text: &[u8], len: usize) -> Option<u8> {
        let name = text.get(..len)?;
        match name {
            [] => None,
            // Bytes from 0x80 up are past the table: no compact form.
            [c] => COMPACT
                .get(usize::from(c.to_ascii_lowercase()))
                .copied()
                .filter(|&i| i != OTHER),
            [first, .., last] => {
                let slot = BY_HASH[name_hash(*first, *last, len)];
                let known = KNOWN_WORDS.get(usize::from(slot))?;
                if known.len != len {
                    return None;
                }
                let same = match text.first_chunk::<24>() {
                    Some(words) => known.starts(words),
                    None => known.is(name),
                };
                same.then_some(slot)
            }
        }
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
///
/// Kept in 32 bytes, because a message holds a list of them inline and is moved whole.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The field from the first byte of the name to the last byte of the trimmed value.
    line: &'a [u8],
    /// Byte offset of the value in the message.
    offset: u32,
    /// Where the value starts in `line`.
    value_start: u32,
    /// The length of the name at the start of `line`.
    name_len: u32,
    /// The index of a known name in `KNOWN`, or [`OTHER`] for any other name.
    known: u8,
}

/// [`Header::known`] of a name that is not known.
const OTHER: u8 = u8::MAX;

const _: () = assert!(KNOWN.len() < OTHER as usize, "KNOWN indices fit in a u8");

impl<'a> Header<'a> {
    /// A field whose name is `line[..name_len]` and whose value is `line[value_start..]`,
    /// found at `offset` in the message; `known` is [`HeaderName::known_index`] of the name.
    /// `None` if a position does not fit in 32 bits.
    pub(crate) fn new(
        line: &'a [u8],
        name_len: usize,
        value_start: usize,
        offset: usize,
        known: Option<u8>,
    ) -> Option<Self> {
        let known = known.unwrap_or(OTHER);
        Some(Self {
            line,
            offset: u32::try_from(offset).ok()?,
            value_start: u32::try_from(value_start).ok()?,
            name_len: u32::try_from(name_len).ok()?,
            known,
        })
    }

    /// The name.
    pub fn name(&self) -> HeaderName<'a> {
        match self.known_name() {
            Some(known) => known,
            // The name is a token, which is ASCII.
            None => HeaderName::Other(
                std::str::from_utf8(self.line.get(..self.name_len as usize).unwrap_or_default())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The name when it is a known one, without building the text of any other.
    #[inline]
    pub(crate) fn known_name(&self) -> Option<HeaderName<'static>> {
        KNOWN.get(usize::from(self.known)).map(|k| k.2)
    }

    /// True when the name is `name` (a known name).
    #[inline]
    pub(crate) fn is(&self, name: HeaderName<'static>) -> bool {
        self.known_name() == Some(name)
    }

    /// The value as it appeared, without leading and trailing white space; line folds
    /// (CRLF followed by white space) are kept.
    pub fn raw_value(&self) -> &'a [u8] {
        self.line
            .get(self.value_start as usize..)
            .unwrap_or_default()
    }

    /// The value as text, if it is UTF-8 (line folds kept).
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.raw_value()).ok()
    }

    /// Byte offset of the value in the message.
    pub fn offset(&self) -> usize {
        self.offset as usize
    }

    /// The value with each line fold replaced by one space, as text (invalid UTF-8 replaced).
    pub fn value(&self) -> Cow<'a, str> {
        unfold(self.raw_value())
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
        self.name().same_as(&other.name())
            && unfold_bytes(self.raw_value()) == unfold_bytes(other.raw_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_place_indices_name_their_headers() {
        use super::index;
        for (at, name) in [
            (index::VIA, HeaderName::Via),
            (index::FROM, HeaderName::From),
            (index::TO, HeaderName::To),
            (index::CALL_ID, HeaderName::CallId),
            (index::CSEQ, HeaderName::CSeq),
            (index::MAX_FORWARDS, HeaderName::MaxForwards),
            (index::CONTENT_LENGTH, HeaderName::ContentLength),
            (index::EXPIRES, HeaderName::Expires),
            (index::CONTENT_TYPE, HeaderName::ContentType),
            (index::CONTACT, HeaderName::Contact),
            (index::REQUIRE, HeaderName::Require),
            (index::PROXY_REQUIRE, HeaderName::ProxyRequire),
            (index::SUPPORTED, HeaderName::Supported),
            (index::UNSUPPORTED, HeaderName::Unsupported),
        ] {
            assert_eq!(KNOWN[usize::from(at)].2, name);
            assert_eq!(HeaderName::known_index(name.as_str().as_bytes()), Some(at));
        }
    }

    #[test]
    fn every_known_name_is_found_in_any_case_and_near_misses_are_not() {
        for (long, compact, known) in KNOWN {
            assert_eq!(HeaderName::from_token(long), *known, "{long}");
            assert_eq!(HeaderName::from_token(&long.to_ascii_lowercase()), *known);
            assert_eq!(HeaderName::from_token(&long.to_ascii_uppercase()), *known);
            if *compact != 0 {
                let c = [*compact];
                let c = std::str::from_utf8(&c).unwrap_or_default();
                assert_eq!(HeaderName::from_token(c), *known);
                assert_eq!(HeaderName::from_token(&c.to_ascii_uppercase()), *known);
            }
            // Same length, first and last letters (so the same bucket), one letter changed.
            let mut near = long.as_bytes().to_vec();
            if near.len() > 2 {
                near[1] = if near[1] == b'q' { b'z' } else { b'q' };
                let near = String::from_utf8(near).unwrap_or_default();
                assert_eq!(HeaderName::from_token(&near), HeaderName::Other(&near));
            }
            let longer = format!("{long}x");
            assert_eq!(HeaderName::from_token(&longer), HeaderName::Other(&longer));
        }
        assert_eq!(HeaderName::from_token("q"), HeaderName::Other("q"));
    }

    #[test]
    fn names_are_compared_a_word_at_a_time_inside_a_line() {
        for (long, _, known) in KNOWN {
            let mixed: String = long
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            for name in [long.to_string(), long.to_ascii_lowercase(), mixed] {
                let line = format!("{name}: some value that runs on");
                let index = HeaderName::known_index_at(line.as_bytes(), name.len());
                assert_eq!(
                    index.and_then(|i| KNOWN.get(usize::from(i))).map(|k| k.2),
                    Some(*known),
                    "{name}"
                );
            }
            // '-' is compared exactly (CR differs from it only in the case bit).
            let bent = long.replace('-', "\r");
            if bent != *long {
                let line = format!("{bent}: some value that runs on");
                assert_eq!(
                    HeaderName::known_index_at(line.as_bytes(), bent.len()),
                    None
                );
            }
            // A letter changed to the byte that differs from it only in the case bit's place
            // on the other side ('@' for '`', etc.) is no match either.
            let mut odd = long.as_bytes().to_vec();
            odd[0] ^= 0x40;
            let mut line = odd.clone();
            line.extend_from_slice(b": some value that runs on");
            assert_eq!(HeaderName::known_index_at(&line, odd.len()), None);
        }
    }

    #[test]
    fn a_byte_outside_ascii_is_no_compact_name() {
        // 0xF6 & 0x7F is 'v': a lookup that folded it would call the byte Via.
        for b in 0x80..=0xff_u8 {
            assert_eq!(HeaderName::known_index(&[b]), None, "{b:#x}");
            assert_eq!(
                HeaderName::known_index_at(&[b, b':', b' '], 1),
                None,
                "{b:#x}"
            );
        }
    }

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
