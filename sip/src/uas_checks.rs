//! What a UAS checks before it acts on a request (RFC 3261 §8.2), in the RFC's order: the
//! Request-URI's scheme (416), the extensions the request requires (420, with `Unsupported`),
//! the body's type (415, with `Accept`), and for an INVITE whose offer the answer could not be
//! sent in a type the caller accepts (406); and [`bad_request`], the 400 for a request that does
//! not parse. The RFC 4475 §3.3 torture messages exercise each.
//!
//! ```
//! use sambung_sip::Message;
//! use sambung_sip::uas_checks::{UasPolicy, check};
//!
//! let m = Message::parse(b"OPTIONS nobodyKnowsThisScheme:opaque SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n\
//! Call-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")?;
//! assert_eq!(check(&m, &UasPolicy::default()).map(|r| r.status), Some(416));
//! # Ok::<(), sambung_sip::ParseError>(())
//! ```

use crate::{HeaderName, Message, Method, Uri};

/// What this UAS supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UasPolicy<'a> {
    /// Option tags it supports (`Require` values outside this list are refused).
    pub supported: &'a [&'a str],
    /// Body types it accepts, as `type/subtype`.
    pub accept: &'a [&'a str],
}

impl Default for UasPolicy<'_> {
    /// No extensions; SDP bodies only.
    fn default() -> Self {
        Self {
            supported: &[],
            accept: &["application/sdp"],
        }
    }
}

/// Why a request is refused, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status.
    pub status: u16,
    /// The reason phrase.
    pub reason: &'static str,
    /// Headers the response must carry (`Unsupported`, `Accept`, `Warning`).
    pub headers: Vec<(HeaderName<'static>, String)>,
}

fn refusal(
    status: u16,
    reason: &'static str,
    headers: Vec<(HeaderName<'static>, String)>,
) -> Refusal {
    Refusal {
        status,
        reason,
        headers,
    }
}

/// The first §8.2 check `msg` fails under `policy`, or `None` to go on. ACK and CANCEL are
/// never refused here (§8.2.2.3: Require does not apply to them).
pub fn check(msg: &Message<'_>, policy: &UasPolicy<'_>) -> Option<Refusal> {
    let method = msg.method();
    if !msg.is_request() || matches!(method, Method::Ack | Method::Cancel) {
        return None;
    }
    // §8.2.2.1: a Request-URI scheme we do not understand.
    if !matches!(msg.request_uri(), Some(Uri::Sip(_) | Uri::Tel(_))) {
        return Some(refusal(416, "Unsupported URI Scheme", Vec::new()));
    }
    // §8.2.2.3: extensions required of us.
    let unsupported: Vec<&str> = msg
        .require()
        .filter(|tag| !policy.supported.iter().any(|s| s.eq_ignore_ascii_case(tag)))
        .collect();
    if !unsupported.is_empty() {
        return Some(refusal(
            420,
            "Bad Extension",
            vec![(HeaderName::Unsupported, unsupported.join(", "))],
        ));
    }
    let accept_list = || (HeaderName::Accept, policy.accept.join(", "));
    // §8.2.3: a body of a type we do not understand.
    if !msg.body().is_empty()
        && let Some(ct) = msg.content_type()
        && !policy
            .accept
            .iter()
            .any(|a| a.split_once('/').is_some_and(|(k, s)| ct.is(k, s)))
    {
        return Some(refusal(415, "Unsupported Media Type", vec![accept_list()]));
    }
    // An INVITE whose answer (SDP) the caller says it cannot take (RFC 4475 §3.3.15).
    if method == Method::Invite {
        let accepts: Vec<String> = msg
            .headers_named(HeaderName::Accept)
            .flat_map(|h| {
                h.value()
                    .split(',')
                    .map(|v| {
                        v.split(';')
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .to_ascii_lowercase()
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .collect();
        let takes_sdp = accepts.is_empty()
            || accepts
                .iter()
                .any(|a| a == "application/sdp" || a == "application/*" || a == "*/*");
        if !takes_sdp {
            return Some(refusal(
                406,
                "Not Acceptable",
                vec![(
                    HeaderName::Warning,
                    "304 - \"Media type not available: the answer would be application/sdp\""
                        .to_owned(),
                )],
            ));
        }
    }
    None
}

/// Most header lines a [`bad_request`] answer copies.
const MAX_COPIED: usize = 16;

/// A stateless `400 Bad Request` for a request that does not parse, built from its raw Via
/// lines and the first From, To, Call-ID and CSeq lines (long or compact names) so the sender
/// can match it; `tag` is added to the To. `None` for a response, or when there is no Via to answer to.
pub fn bad_request(bytes: &[u8], error: &crate::ParseError, tag: &str) -> Option<Vec<u8>> {
    if bytes.starts_with(b"SIP/") || error.in_response() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes.get(..bytes.len().min(64 * 1024))?);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut copied: Vec<String> = Vec::new();
    let mut has_via = false;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let canonical = match name.as_str() {
            "via" | "v" => "Via",
            "from" | "f" => "From",
            "to" | "t" => "To",
            "call-id" | "i" => "Call-ID",
            "cseq" => "CSeq",
            _ => continue,
        };
        let mut value = value.trim().to_owned();
        let repeated = canonical != "Via"
            && copied
                .iter()
                .any(|l| l.starts_with(&format!("{canonical}:")));
        if repeated || copied.len() >= MAX_COPIED {
            continue;
        }
        if canonical == "To" && !value.to_ascii_lowercase().contains(";tag=") {
            value = format!("{value};tag={tag}");
        }
        has_via |= canonical == "Via";
        copied.push(format!("{canonical}: {value}"));
    }
    if !has_via {
        return None;
    }
    let reason: String = error
        .to_string()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let mut out = format!("SIP/2.0 400 {reason}\r\n");
    for line in copied {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/torture/rfc4475/semantic/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    fn status_of(name: &str) -> Option<u16> {
        let bytes = torture(name);
        let m = Message::parse(&bytes).unwrap();
        check(&m, &UasPolicy::default()).map(|r| r.status)
    }

    #[test]
    fn the_rfc_4475_semantic_messages_get_their_answers() {
        assert_eq!(status_of("unkscm.dat"), Some(416));
        assert_eq!(status_of("novelsc.dat"), Some(416));
        assert_eq!(status_of("bext01.dat"), Some(420));
        assert_eq!(status_of("invut.dat"), Some(415));
        assert_eq!(status_of("sdp01.dat"), Some(406));
        // Well-formed requests a UAS goes on with.
        assert_eq!(status_of("zeromf.dat"), None);
        assert_eq!(status_of("cparam01.dat"), None);
    }

    #[test]
    fn unparseable_requests_get_a_400_that_names_the_fault() {
        for name in ["multi01.dat", "mcl01.dat"] {
            let bytes = torture(name);
            let e = Message::parse(&bytes).unwrap_err();
            let reply = bad_request(&bytes, &e, "t1").unwrap();
            let m = Message::parse(&reply).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(m.status(), Some(400), "{name}");
            assert!(m.reason().unwrap().len() > 5, "{name}");
        }
        // insuf.dat lacks To, From and Call-ID: the 400 carries what there is (its Vias).
        let bytes = torture("insuf.dat");
        let e = Message::parse(&bytes).unwrap_err();
        let reply = String::from_utf8(bad_request(&bytes, &e, "t1").unwrap()).unwrap();
        assert!(reply.starts_with("SIP/2.0 400 "), "{reply}");
        assert!(reply.contains("\r\nVia: "), "{reply}");
        let response = b"SIP/2.0 200 OK\r\n\r\n";
        let e = Message::parse(response).unwrap_err();
        assert!(bad_request(response, &e, "t").is_none());
        let e = Message::parse(b"INVITE x\r\n\r\n").unwrap_err();
        assert!(
            bad_request(b"INVITE x\r\n\r\n", &e, "t").is_none(),
            "no Via, no answer"
        );
    }

    #[test]
    fn bad_extension_lists_only_the_required_options() {
        let bytes = torture("bext01.dat");
        let m = Message::parse(&bytes).unwrap();
        let r = check(&m, &UasPolicy::default()).unwrap();
        let unsupported = &r.headers[0].1;
        let required: Vec<&str> = m.require().collect();
        assert_eq!(unsupported, &required.join(", "));
        let proxy: Vec<&str> = m.proxy_require().collect();
        assert!(
            proxy
                .iter()
                .all(|p| !required.contains(p) || unsupported.contains(p))
        );
    }
}
