//! Fast paths for the shapes core header values nearly always have: `SIP/2.0/UDP host:port`
//! with token parameters, `["Display"] <uri>` with token parameters, and the usual shapes of
//! Call-ID, CSeq, numbers, option tags and media types.
//!
//! Each reads from a position in a text, in one pass over the bytes, and returns what it read
//! and where it stopped: the first byte it did not take. It returns `None` for anything else
//! (line folds, white space around separators, quoted parameter values, escapes, IPv6
//! references, parameters that need their own checks, errors). The general parser then
//! decides, and reports the error if there is one.
//!
//! Two kinds of callers use them. The general parsers try them on a whole value and take the
//! result only if it ends where the value ends. The message parser tries them on a header
//! line in place, before the line is split, and takes the result only if the line ends (CRLF
//! not followed by white space) where the fast path stopped; that saves a second pass over
//! the value to find its end. The property tests below hold every value a fast path accepts
//! to what the general parser makes of it.

use super::{AddrContext, AddrParts, CSeq, Contact, MediaType, NameAddr, Via, parse_qvalue};
use crate::scan::{DIGITS, TOKEN, WORD, digits_value, parse_decimal, run, trim_lws_str};
use crate::uri::{Params, parse_uri, scan_host_name};

/// Plain `qdtext`: what a display name holds when it has no escapes and no line folds.
static PLAIN_QDTEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c >= 0x20 && c != b'"' as usize && c != b'\\' as usize && c != 0x7f)
            || c == b'\t' as usize;
        c += 1;
    }
    t
};

/// A fast path run over a whole value: its result, if it read the value (trimmed of white
/// space) to the end.
#[inline]
pub(super) fn whole<'a, T>(
    value: &'a str,
    read: impl FnOnce(&'a str, usize) -> Option<(T, usize)>,
) -> Option<T> {
    let value = trim_lws_str(value);
    match read(value, 0)? {
        (found, end) if end == value.len() => Some(found),
        _ => None,
    }
}

/// Where the bytes at `at` that are in `class` end; `None` if there are none.
#[inline]
fn run_end(b: &[u8], at: usize, class: &[bool; 256]) -> Option<usize> {
    let len = run(b.get(at..)?, class);
    (len > 0).then_some(at + len)
}

/// How many bytes at `at` are in `class`, and the text of them; `None` if there are none.
#[inline]
fn run_at<'a>(text: &'a str, at: usize, class: &[bool; 256]) -> Option<(&'a str, usize)> {
    let len = run(text.as_bytes().get(at..)?, class);
    if len == 0 {
        return None;
    }
    Some((text.get(at..at + len)?, at + len))
}

/// One `;name[=token]` parameter starting at the `;` at `at`: the name's [`name_key`], its
/// value and where it ends. `None` unless the name and value are tokens with nothing between
/// them and `=`.
#[inline]
fn param(text: &str, at: usize) -> Option<(u64, Option<&str>, usize)> {
    let b = text.as_bytes();
    let len = run(b.get(at + 1..)?, &TOKEN);
    if len == 0 {
        return None;
    }
    let key = name_key(b, at + 1, len);
    let end = at + 1 + len;
    if b.get(end) != Some(&b'=') {
        return Some((key, None, end));
    }
    let (value, end) = run_at(text, end + 1, &TOKEN)?;
    Some((key, Some(value), end))
}

/// The case bit of every byte of a word.
const CASE: u64 = u64::from_ne_bytes([0x20; 8]);

/// A name of `len` bytes at `start` in `b` as one word, to compare with a [`key`]: its bytes
/// little-endian with the case bit set, zero past the name; 0 for a name longer than eight
/// bytes. For a key of letters the compare is exact in any case: setting a byte's 0x20 bit
/// gives a lower-case letter only if the byte was a letter.
#[inline(always)]
fn name_key(b: &[u8], start: usize, len: usize) -> u64 {
    if len == 0 || len > 8 {
        return 0;
    }
    let keep = u64::MAX >> (64 - 8 * len);
    let word = match b.get(start..).and_then(<[u8]>::first_chunk::<8>) {
        Some(word) => u64::from_le_bytes(*word),
        None => {
            let mut padded = [0; 8];
            let name = b.get(start..start + len).unwrap_or_default();
            padded
                .get_mut(..name.len())
                .unwrap_or_default()
                .copy_from_slice(name);
            u64::from_le_bytes(padded)
        }
    };
    (word | CASE) & keep
}

/// The [`name_key`] of a name of lower-case letters (at most eight).
const fn key(name: &str) -> u64 {
    let b = name.as_bytes();
    assert!(
        !b.is_empty() && b.len() <= 8,
        "a key is one to eight letters"
    );
    let mut word = 0;
    let mut i = 0;
    while i < b.len() {
        assert!(b[i].is_ascii_lowercase(), "a key is lower-case letters");
        word |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    word
}

const BRANCH: u64 = key("branch");
const RECEIVED: u64 = key("received");
const RPORT: u64 = key("rport");
const TTL: u64 = key("ttl");
const MADDR: u64 = key("maddr");
const TAG: u64 = key("tag");
const EXPIRES: u64 = key("expires");
const Q: u64 = key("q");

/// `SIP/2.0/transport SP host[:port]*(;token[=token])` at `start`, the parameters branch,
/// received (an IPv4 address), rport, and any others without their own rules.
pub(crate) fn via(text: &str, start: usize) -> Option<(Via<'_>, usize)> {
    let b = text.as_bytes();
    match b.get(start..start + 8)? {
        [s, i, p, b'/', b'2', b'.', b'0', b'/'] if [s | 0x20, i | 0x20, p | 0x20] == *b"sip" => {}
        _ => return None,
    }
    let (transport, mut at) = run_at(text, start + 8, &TOKEN)?;
    let gap = run(b.get(at..)?, &BLANK);
    if gap == 0 {
        return None;
    }
    at += gap;
    let (host, host_len) = scan_host_name(text.get(at..)?, 0).ok()?;
    at += host_len;
    let mut port = None;
    if b.get(at) == Some(&b':') {
        let end = run_end(b, at + 1, &DIGITS)?;
        port = Some(u16::try_from(digits_value(b.get(at + 1..end)?)?).ok()?);
        at = end;
    }
    let mut via = Via {
        transport,
        host,
        port,
        params: Params::EMPTY,
        branch: None,
        received: None,
        rport: None,
    };
    let (params, end) = token_params(text, at, |key, value| {
        // The names with rules.
        match key {
            BRANCH => via.branch = Some(value?),
            RECEIVED => {
                let r = value?;
                r.parse::<std::net::IpAddr>().ok()?;
                via.received = Some(r);
            }
            RPORT => {
                via.rport = Some(match value {
                    None => None,
                    Some(p) => Some(u16::try_from(parse_decimal(p.as_bytes())?).ok()?),
                });
            }
            TTL | MADDR => return None,
            _ => {}
        }
        Some(())
    })?;
    via.params = params;
    Some((via, end))
}

/// `["Display Name"] <uri>*(;token[=token])` at `start`, and for a Contact its expires and
/// q parameters (the last of each, as the general parser has it).
#[inline(always)]
pub(crate) fn name_addr(
    text: &str,
    start: usize,
    ctx: AddrContext,
) -> Option<(AddrParts<'_>, usize)> {
    let b = text.as_bytes();
    let mut at = start;
    let mut display_name = None;
    if b.get(at) == Some(&b'"') {
        let close = at + 1 + run(b.get(at + 1..)?, &PLAIN_QDTEXT);
        if b.get(close) != Some(&b'"') {
            return None;
        }
        display_name = Some(text.get(at..=close)?);
        at = close + 1;
        at += run(b.get(at..)?, &BLANK);
    }
    if b.get(at) != Some(&b'<') {
        return None;
    }
    at += 1;
    // The '>' on this line: a URI holds neither it nor a line end. White space before it
    // makes the URI parse fail, and the general parser then says why.
    let uri_len = memchr::memchr2(b'>', b'\n', b.get(at..)?)?;
    if b.get(at + uri_len) != Some(&b'>') {
        return None;
    }
    let uri = parse_uri(text.get(at..at + uri_len)?, 0).ok()?;
    at += uri_len + 1;
    let mut addr = NameAddr {
        display_name,
        uri,
        bracketed: true,
        params: Params::EMPTY,
        tag: (0, 0),
    };
    let (mut expires, mut q) = (None, None);
    // The first tag parameter is the tag, even when it has no value.
    let mut tag = None;
    let (params, end) = token_params(text, at, |key, value| {
        if tag.is_none() && key == TAG {
            tag = Some(value);
        }
        if ctx == AddrContext::Contact {
            if key == EXPIRES {
                let n = parse_decimal(value?.as_bytes())?;
                expires = Some(u32::try_from(n).ok()?);
            } else if key == Q {
                q = Some(parse_qvalue(value?.as_bytes())?);
            }
        }
        Some(())
    })?;
    addr.params = params;
    addr.tag = super::range_in(params.as_str(), tag.flatten());
    Some(((addr, expires, q), end))
}

/// A Contact name-addr at `start` (see [`name_addr`]).
#[inline]
pub(crate) fn contact(text: &str, start: usize) -> Option<(Contact<'_>, usize)> {
    let ((addr, expires, q), end) = name_addr(text, start, AddrContext::Contact)?;
    Some((Contact { addr, expires, q }, end))
}

/// `word ["@" word]` at `start`: a Call-ID.
#[inline]
pub(crate) fn call_id(text: &str, start: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let mut end = run_end(b, start, &WORD)?;
    if b.get(end) == Some(&b'@') {
        end = run_end(b, end + 1, &WORD)?;
    }
    Some((text.get(start..end)?, end))
}

/// `digits SP method` at `start`: a CSeq whose number fits in 32 bits.
#[inline]
pub(crate) fn cseq(text: &str, start: usize) -> Option<(CSeq<'_>, usize)> {
    let b = text.as_bytes();
    let at = run_end(b, start, &DIGITS)?;
    let seq = u32::try_from(digits_value(b.get(start..at)?)?).ok()?;
    if b.get(at) != Some(&b' ') {
        return None;
    }
    let (method, end) = run_at(text, at + 1, &TOKEN)?;
    Some((CSeq { seq, method }, end))
}

/// Digits at `start`: a number no larger than `max`.
#[inline]
pub(crate) fn number(text: &str, start: usize, max: u64) -> Option<(u64, usize)> {
    let b = text.as_bytes();
    let end = run_end(b, start, &DIGITS)?;
    let n = digits_value(b.get(start..end)?).filter(|&n| n <= max)?;
    Some((n, end))
}

/// `token *(*SP "," *SP token)` at `start`: a list of option tags (checked, not kept).
#[inline]
pub(crate) fn option_tags(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut end = run_end(b, start, &TOKEN)?;
    loop {
        let comma = end + run(b.get(end..)?, &BLANK);
        if b.get(comma) != Some(&b',') {
            return Some(end);
        }
        let next = comma + 1 + run(b.get(comma + 1..)?, &BLANK);
        end = run_end(b, next, &TOKEN)?;
    }
}

/// `type "/" subtype *(";" token "=" token)` at `start`: a media type.
#[inline]
pub(crate) fn media_type(text: &str, start: usize) -> Option<(MediaType<'_>, usize)> {
    let (kind, at) = run_at(text, start, &TOKEN)?;
    if text.as_bytes().get(at) != Some(&b'/') {
        return None;
    }
    let (subtype, at) = run_at(text, at + 1, &TOKEN)?;
    let (params, end) = token_params(text, at, |_, value| value.map(|_| ()))?;
    let media = MediaType {
        kind,
        subtype,
        params,
    };
    Some((media, end))
}

/// SP and HTAB.
static BLANK: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t
};

/// The `*(;token[=token])` parameters at `at`, as written, and where they end (the first
/// byte after them that is not a `;`). Each is handed to `each` as its name's [`name_key`]
/// and its value; `each` returns `None` to give up on the fast path.
#[inline]
fn token_params<'a>(
    text: &'a str,
    mut at: usize,
    mut each: impl FnMut(u64, Option<&'a str>) -> Option<()>,
) -> Option<(Params<'a>, usize)> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b';') {
        return Some((Params::EMPTY, at));
    }
    let start = at + 1;
    while b.get(at) == Some(&b';') {
        let (key, value, end) = param(text, at)?;
        each(key, value)?;
        at = end;
    }
    Some((Params::new(text.get(start..at)?), at))
}

#[cfg(test)]
mod tests {
    use super::super::{parse_name_addr_general, parse_via_general};
    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(2000))]

        /// Every Via the fast path reads, the general parser reads the same.
        #[test]
        fn the_via_fast_path_agrees_with_the_general_parser(
            v in "( )?(SIP|sip|SIQ)/2\\.[01]/(UDP|tls|X)( |  |\t)(h|a\\.b|-a|192\\.0\\.2\\.1|1\\.2\\.3|\\[::1\\])(:5060|:|:99999)?(;(branch|BRANCH|bRaNcH|branchx|bran|received|rport|RPort|ttl|maddr|x)(=(z9hG4bK1|1\\.2\\.3\\.4|80|a:b|\"q\"|))?){0,3}( )?"
        ) {
            if let Some(fast) = whole(&v, via) {
                proptest::prop_assert_eq!(Some(fast), parse_via_general(&v, 0).ok(), "{}", v);
            }
        }

        /// Every name-addr the fast path reads, the general parser reads the same.
        #[test]
        fn the_name_addr_fast_path_agrees_with_the_general_parser(
            v in "( )?(\"A b\" ?|\"a\\\\\"b\" |Bob )?<(sip:a@b|sips:x.y:5061;lr|sip:%41@h|tel:+1|sip:a b|sip:[::1]|sip:@h)>( )?(;(tag|TAG|tAg|tags|expires|EXPIRES|q|Q|qq|x)(=(1|a\\.b|\"q\"|0\\.5|3600|99999999999|1\\.000|1\\.5|))?){0,3}( )?",
            contact in proptest::bool::ANY,
        ) {
            let ctx = if contact { AddrContext::Contact } else { AddrContext::FromTo };
            if let Some(fast) = whole(&v, |t, at| name_addr(t, at, ctx)) {
                let general = parse_name_addr_general(&v, 0, ctx).ok();
                proptest::prop_assert_eq!(Some(fast), general, "{}", v);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_support::proptest_config(3000))]

        /// Looser shapes, with any of the bytes that matter to the grammar in any place: what
        /// a fast path accepts, the general parser reads the same.
        #[test]
        fn the_fast_paths_agree_on_loosely_shaped_values(
            tail in r#"[a-zA-Z0-9.:;=@%<>\[\]\\" \t\r\n,!~*'()+_-]{0,24}"#,
            host in r"[a-z0-9.:\[\]-]{0,12}",
            contact in proptest::bool::ANY,
        ) {
            let v = format!("SIP/2.0/UDP {host}{tail}");
            if let Some(fast) = whole(&v, via) {
                proptest::prop_assert_eq!(Some(fast), parse_via_general(&v, 0).ok(), "{}", v);
            }
            let ctx = if contact { AddrContext::Contact } else { AddrContext::FromTo };
            for v in [format!("<sip:{host}{tail}"), format!("\"{host}\" <sips:u@{tail}")] {
                if let Some(fast) = whole(&v, |t, at| name_addr(t, at, ctx)) {
                    let general = parse_name_addr_general(&v, 0, ctx).ok();
                    proptest::prop_assert_eq!(Some(fast), general, "{}", v);
                }
            }
        }
    }

    #[test]
    fn the_fast_paths_take_the_common_shapes() {
        let via = whole("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport", via);
        assert!(via.is_some_and(|v| v.branch() == Some("z9hG4bK74bf9") && v.rport() == Some(None)));
        for v in [
            "\"Ani\" <sip:+6281234567890@carrier.example>;tag=9fxced76sl",
            "<sip:1500112@bnpt.example>",
            "<sip:+6281234567890@192.0.2.10:5060>",
        ] {
            assert!(
                whole(v, |t, at| name_addr(t, at, AddrContext::FromTo)).is_some(),
                "{v}"
            );
        }
    }
}
