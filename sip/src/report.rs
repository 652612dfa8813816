//! A flat, serialisable summary of a parsed message: what `sip-lint --json` prints and what the
//! bindings' `to_dict()` return, so every front end names the fields alike.

use serde::Serialize;

use crate::headers::{ContactValue, NameAddr, Via};
use crate::uri::Host;
use crate::{Message, ParseError, StartLine};

/// The summary of one input. Fields that do not apply are `None` and left out when serialised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The input's name (a file name, or `-` for standard input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Whether it parsed.
    pub ok: bool,
    /// `request` or `response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The request method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The Request-URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri: Option<String>,
    /// The response status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The response reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Call-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// CSeq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cseq: Option<CSeqReport>,
    /// From.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<AddrReport>,
    /// To.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<AddrReport>,
    /// Every Via, top first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Vec<ViaReport>>,
    /// Max-Forwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_forwards: Option<u8>,
    /// Every Contact (`*` is reported as the URI `*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<ContactReport>>,
    /// Content-Length as declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_length: Option<u32>,
    /// The body's length in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_len: Option<usize>,
    /// Why it did not parse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

/// CSeq in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CSeqReport {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: String,
}

/// From or To in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddrReport {
    /// The URI.
    pub uri: String,
    /// The display name, unquoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// A Via in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViaReport {
    /// Transport token.
    pub transport: String,
    /// Sent-by host (IPv6 without brackets).
    pub host: String,
    /// Sent-by port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    /// rport: the port, or `true` when present without a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rport: Option<RportReport>,
}

/// The rport parameter: a port, or present without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RportReport {
    /// `rport=5060`
    Port(u16),
    /// `rport`
    Flag(bool),
}

/// A Contact in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactReport {
    /// The URI, or `*`.
    pub uri: String,
    /// The expires parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<u32>,
    /// The q parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<f64>,
}

/// A parse error in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    /// The status a server should answer with; absent for a bad response (dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<u16>,
    /// What was wrong, and in which header.
    pub message: String,
    /// Byte offset.
    pub offset: usize,
}

fn host(h: Host<'_>) -> String {
    match h {
        Host::Name(n) => n.to_owned(),
        Host::V4(a) => a.to_string(),
        Host::V6(a) => a.to_string(),
    }
}

fn addr(a: &NameAddr<'_>) -> AddrReport {
    AddrReport {
        uri: a.uri().as_str().to_owned(),
        display_name: a.display_name().map(|d| d.into_owned()),
        tag: a.tag().map(str::to_owned),
    }
}

fn via(v: &Via<'_>) -> ViaReport {
    ViaReport {
        transport: v.transport().to_owned(),
        host: host(v.host()),
        port: v.port(),
        branch: v.branch().map(str::to_owned),
        received: v.received().map(str::to_owned),
        rport: v
            .rport()
            .map(|p| p.map_or(RportReport::Flag(true), RportReport::Port)),
    }
}

impl Report {
    /// The report of a parsed message.
    pub fn of_message(m: &Message<'_>) -> Self {
        let mut r = Self {
            ok: true,
            ..Self::default()
        };
        match m.start_line() {
            StartLine::Request { method, uri } => {
                r.kind = Some("request");
                r.method = Some(method.as_str().to_owned());
                r.request_uri = Some(uri.as_str().to_owned());
            }
            StartLine::Response { status, reason } => {
                r.kind = Some("response");
                r.status = Some(*status);
                r.reason = Some((*reason).to_owned());
            }
        }
        r.call_id = Some(m.call_id().to_owned());
        r.cseq = Some(CSeqReport {
            seq: m.cseq().seq(),
            method: m.cseq().method().to_owned(),
        });
        r.from = Some(addr(m.from()));
        r.to = Some(addr(m.to()));
        r.via = Some(m.vias().map(|v| via(&v)).collect());
        r.max_forwards = m.max_forwards();
        let contacts: Vec<_> = m
            .contacts()
            .map(|c| match c {
                ContactValue::Star => ContactReport {
                    uri: "*".to_owned(),
                    expires: None,
                    q: None,
                },
                ContactValue::Addr(c) => ContactReport {
                    uri: c.addr().uri().as_str().to_owned(),
                    expires: c.expires(),
                    q: c.q().map(|q| f64::from(q) / 1000.0),
                },
            })
            .collect();
        r.contacts = (!contacts.is_empty()).then_some(contacts);
        r.content_length = m.content_length();
        r.body_len = Some(m.body().len());
        r
    }

    /// The report of a parse error.
    pub fn of_error(e: &ParseError) -> Self {
        Self {
            ok: false,
            kind: e.in_response().then_some("response"),
            error: Some(ErrorReport {
                response_code: e.response_code(),
                message: e.to_string(),
                offset: e.offset(),
            }),
            ..Self::default()
        }
    }

    /// Parses `bytes` as one datagram and reports on it.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        match Message::parse(bytes) {
            Ok(m) => Self::of_message(&m),
            Err(e) => Self::of_error(&e),
        }
    }
}
