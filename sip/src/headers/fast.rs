//! Fast paths for the shapes core header values nearly always have: `SIP/2.0/UDP host:port`
//! with token parameters, and `["Display"] <uri>` with token parameters.
//!
//! Each reads its value in one pass over the bytes, with its position in a local, and returns
//! `None` for anything else (line folds, white space around separators, quoted parameter
//! values, escapes, IPv6 references, parameters that need their own checks, errors). The
//! general parser then decides, and reports the error if there is one. The property tests
//! below hold every value a fast path accepts to what the general parser makes of it.

use super::{AddrContext, NameAddr, Via};
use crate::scan::{TOKEN, find_byte, parse_decimal, run, trim_lws_str};
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

/// One `;name[=token]` parameter starting at the `;` at `at`: its name, its value and where
/// it ends. `None` unless the name and value are tokens with nothing between them and `=`.
#[inline]
fn param(value: &str, at: usize) -> Option<(&str, Option<&str>, usize)> {
    let b = value.as_bytes();
    let start = at + 1;
    let name_len = run(b.get(start..)?, &TOKEN);
    if name_len == 0 {
        return None;
    }
    let mut end = start + name_len;
    let name = value.get(start..end)?;
    if b.get(end) != Some(&b'=') {
        return Some((name, None, end));
    }
    let value_len = run(b.get(end + 1..)?, &TOKEN);
    if value_len == 0 {
        return None;
    }
    let text = value.get(end + 1..end + 1 + value_len)?;
    end += 1 + value_len;
    Some((name, Some(text), end))
}

/// `SIP/2.0/transport SP host[:port]*(;token[=token])`, the parameters branch, received
/// (an IPv4 address), rport, and any others without their own rules.
pub(super) fn via(value: &str) -> Option<Via<'_>> {
    let value = trim_lws_str(value);
    let b = value.as_bytes();
    match b {
        [s, i, p, b'/', b'2', b'.', b'0', b'/', ..]
            if [s | 0x20, i | 0x20, p | 0x20] == *b"sip" => {}
        _ => return None,
    }
    let mut at = 8;
    let transport_len = run(b.get(at..)?, &TOKEN);
    if transport_len == 0 {
        return None;
    }
    let transport = value.get(at..at + transport_len)?;
    at += transport_len;
    let gap = b.get(at..)?.iter().position(|&c| c != b' ' && c != b'\t')?;
    if gap == 0 {
        return None;
    }
    at += gap;
    let (host, host_len) = scan_host_name(value.get(at..)?, 0).ok()?;
    at += host_len;
    let mut port = None;
    if b.get(at) == Some(&b':') {
        let digits = b
            .get(at + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        port = Some(u16::try_from(parse_decimal(b.get(at + 1..at + 1 + digits)?)?).ok()?);
        at += 1 + digits;
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
    via.params = token_params(value, at, |name, text| {
        // The names with rules, told apart by length first.
        match name.len() {
            6 if name.eq_ignore_ascii_case("branch") => via.branch = Some(text?),
            8 if name.eq_ignore_ascii_case("received") => {
                let r = text?;
                r.parse::<std::net::IpAddr>().ok()?;
                via.received = Some(r);
            }
            5 if name.eq_ignore_ascii_case("rport") => {
                via.rport = Some(match text {
                    None => None,
                    Some(p) => Some(u16::try_from(parse_decimal(p.as_bytes())?).ok()?),
                });
            }
            3 | 5 if name.eq_ignore_ascii_case("ttl") || name.eq_ignore_ascii_case("maddr") => {
                return None;
            }
            _ => {}
        }
        Some(())
    })?;
    Some(via)
}

/// `["Display Name"] <uri>*(;token[=token])`. Contact's expires and q, which carry their own
/// rules, are left to the general parser.
pub(super) fn name_addr(value: &str, ctx: AddrContext) -> Option<NameAddr<'_>> {
    let value = trim_lws_str(value);
    let b = value.as_bytes();
    let mut at = 0;
    let mut display_name = None;
    if b.first() == Some(&b'"') {
        let close = 1 + run(b.get(1..)?, &PLAIN_QDTEXT);
        if b.get(close) != Some(&b'"') {
            return None;
        }
        display_name = Some(value.get(..=close)?);
        at = close + 1;
        at += b
            .get(at..)?
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
    }
    if b.get(at) != Some(&b'<') {
        return None;
    }
    at += 1;
    // White space before '>' makes the URI parse fail, and the general parser then says why.
    let uri_len = find_byte::<b'>'>(b.get(at..)?)?;
    let uri = parse_uri(value.get(at..at + uri_len)?, 0).ok()?;
    at += uri_len + 1;
    let mut addr = NameAddr {
        display_name,
        uri,
        bracketed: true,
        params: Params::EMPTY,
        tag: None,
    };
    // The first tag parameter is the tag, even when it has no value.
    let mut tag_seen = false;
    addr.params = token_params(value, at, |name, text| {
        if !tag_seen && name.eq_ignore_ascii_case("tag") {
            tag_seen = true;
            addr.tag = text;
        }
        let own_rules = ctx == AddrContext::Contact
            && (name.eq_ignore_ascii_case("expires") || name.eq_ignore_ascii_case("q"));
        (!own_rules).then_some(())
    })?;
    Some(addr)
}

/// The `*(;token[=token])` parameters from `at` to the end of `value`, each handed to `each`
/// (which returns `None` to give up on the fast path), as written. `None` unless the value
/// ends at `at` or continues with such parameters and nothing else.
#[inline]
fn token_params<'a>(
    value: &'a str,
    mut at: usize,
    mut each: impl FnMut(&'a str, Option<&'a str>) -> Option<()>,
) -> Option<Params<'a>> {
    let b = value.as_bytes();
    match b.get(at) {
        None => return Some(Params::EMPTY),
        Some(b';') => {}
        Some(_) => return None,
    }
    let start = at + 1;
    loop {
        let (name, text, end) = param(value, at)?;
        each(name, text)?;
        at = end;
        match b.get(at) {
            None => break,
            Some(b';') => {}
            Some(_) => return None,
        }
    }
    Some(Params::new(value.get(start..)?))
}

#[cfg(test)]
mod tests {
    use super::super::{parse_name_addr_general, parse_via_general};
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            cases: 2000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Every Via the fast path reads, the general parser reads the same.
        #[test]
        fn the_via_fast_path_agrees_with_the_general_parser(
            v in "( )?(SIP|sip|SIQ)/2\\.[01]/(UDP|tls|X)( |  |\t)(h|a\\.b|-a|192\\.0\\.2\\.1|1\\.2\\.3|\\[::1\\])(:5060|:|:99999)?(;(branch|BRANCH|received|rport|ttl|x)(=(z9hG4bK1|1\\.2\\.3\\.4|80|a:b|\"q\"|))?){0,3}( )?"
        ) {
            if let Some(fast) = via(&v) {
                proptest::prop_assert_eq!(Some(fast), parse_via_general(&v, 0).ok(), "{}", v);
            }
        }

        /// Every name-addr the fast path reads, the general parser reads the same, with no
        /// expires or q.
        #[test]
        fn the_name_addr_fast_path_agrees_with_the_general_parser(
            v in "( )?(\"A b\" ?|\"a\\\\\"b\" |Bob )?<(sip:a@b|sips:x.y:5061;lr|sip:%41@h|tel:+1|sip:a b|sip:[::1]|sip:@h)>( )?(;(tag|TAG|expires|q|x)(=(1|a\\.b|\"q\"|0\\.5|))?){0,3}( )?",
            contact in proptest::bool::ANY,
        ) {
            let ctx = if contact { AddrContext::Contact } else { AddrContext::FromTo };
            if let Some(fast) = name_addr(&v, ctx) {
                let general = parse_name_addr_general(&v, 0, ctx).ok();
                proptest::prop_assert_eq!(Some((fast, None, None)), general, "{}", v);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            cases: 3000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Looser shapes, with any of the bytes that matter to the grammar in any place: what
        /// a fast path accepts, the general parser reads the same.
        #[test]
        fn the_fast_paths_agree_on_loosely_shaped_values(
            tail in r#"[a-zA-Z0-9.:;=@%<>\[\]\\" \t\r\n,!~*'()+_-]{0,24}"#,
            host in r"[a-z0-9.:\[\]-]{0,12}",
            contact in proptest::bool::ANY,
        ) {
            let v = format!("SIP/2.0/UDP {host}{tail}");
            if let Some(fast) = via(&v) {
                proptest::prop_assert_eq!(Some(fast), parse_via_general(&v, 0).ok(), "{}", v);
            }
            let ctx = if contact { AddrContext::Contact } else { AddrContext::FromTo };
            for v in [format!("<sip:{host}{tail}"), format!("\"{host}\" <sips:u@{tail}")] {
                if let Some(fast) = name_addr(&v, ctx) {
                    let general = parse_name_addr_general(&v, 0, ctx).ok();
                    proptest::prop_assert_eq!(Some((fast, None, None)), general, "{}", v);
                }
            }
        }
    }

    #[test]
    fn the_fast_paths_take_the_common_shapes() {
        let via = via("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport");
        assert!(via.is_some_and(|v| v.branch() == Some("z9hG4bK74bf9") && v.rport() == Some(None)));
        for v in [
            "\"Ani\" <sip:+6281234567890@carrier.example>;tag=9fxced76sl",
            "<sip:1500112@bnpt.example>",
            "<sip:+6281234567890@192.0.2.10:5060>",
        ] {
            assert!(name_addr(v, AddrContext::FromTo).is_some(), "{v}");
        }
    }
}
