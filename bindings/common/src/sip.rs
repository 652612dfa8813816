//! SIP: parse, read, build and serialise messages; SDP offers and answers.

use std::net::IpAddr;

use bytes::Bytes;
use sambung_sip::report::Report;
use sambung_sip::sdp::Sdp;
use sambung_sip::sdp::negotiate::{self, Codec, LocalMedia, NegotiatedMedia};
use sambung_sip::serialize::{BuildError, MessageBuilder};
use sambung_sip::{HeaderName, Method, OwnedMessage};
use serde_json::{Value, json};

use crate::Error;

/// A parsed SIP message that owns its bytes.
#[derive(Debug)]
pub struct Message(OwnedMessage);

/// Headers as (name, value) pairs, in order.
pub type Headers = [(String, String)];

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Invalid(parse) => parse.into(),
            other => Error::invalid(other.to_string()),
        }
    }
}

/// A body with its Content-Type, or none.
pub type BodyParts<'a> = Option<(&'a str, &'a [u8])>;

/// A body and its Content-Type, which go together: both or neither.
pub fn body_parts<'a>(
    body: Option<&'a [u8]>,
    content_type: Option<&'a str>,
) -> Result<BodyParts<'a>, Error> {
    match (body, content_type) {
        (Some(b), Some(t)) => Ok(Some((t, b))),
        (None, None) => Ok(None),
        _ => Err(Error::invalid(
            "a body and its content type go together: give both or neither",
        )),
    }
}

fn build(
    mut b: MessageBuilder,
    headers: &Headers,
    body: Option<(&str, &[u8])>,
) -> Result<Message, Error> {
    for (name, value) in headers {
        b = b.header(HeaderName::from_token(name), value);
    }
    if let Some((content_type, body)) = body {
        b = b.body(content_type, body);
    }
    Message::parse(&b.build()?)
}

impl Message {
    /// Parses one complete datagram.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        Ok(Self(OwnedMessage::parse(Bytes::copy_from_slice(data))?))
    }

    /// Builds a request; Content-Length is added, and the result must parse.
    pub fn request(
        method: &str,
        uri: &str,
        headers: &Headers,
        body: Option<(&str, &[u8])>,
    ) -> Result<Self, Error> {
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
        {
            return Err(Error::invalid(format!(
                "{method:?} is not a SIP method token"
            )));
        }
        build(
            MessageBuilder::request(Method::from_token(method), uri),
            headers,
            body,
        )
    }

    /// Builds a response to this request (its Vias, From, To with `to_tag` added, Call-ID and
    /// CSeq copied) with extra headers and an optional body.
    pub fn response(
        &self,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
        headers: &Headers,
        body: Option<(&str, &[u8])>,
    ) -> Result<Self, Error> {
        if !self.message().is_request() {
            return Err(Error::invalid("a response can only answer a request"));
        }
        build(
            MessageBuilder::response_to(self.message(), status, reason, to_tag),
            headers,
            body,
        )
    }

    fn message(&self) -> &sambung_sip::Message<'_> {
        self.0.message()
    }

    /// `request` or `response`.
    pub fn kind(&self) -> &'static str {
        if self.message().is_request() {
            "request"
        } else {
            "response"
        }
    }

    /// The request method, or `None` for a response.
    pub fn method(&self) -> Option<String> {
        let m = self.message();
        m.is_request().then(|| m.method().as_str().to_owned())
    }

    /// The Request-URI, or `None` for a response.
    pub fn request_uri(&self) -> Option<String> {
        self.message().request_uri().map(|u| u.as_str().to_owned())
    }

    /// The status code, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        self.message().status()
    }

    /// The reason phrase, or `None` for a request.
    pub fn reason(&self) -> Option<String> {
        self.message().reason().map(str::to_owned)
    }

    /// Call-ID.
    pub fn call_id(&self) -> String {
        self.message().call_id().to_owned()
    }

    /// The CSeq number.
    pub fn cseq(&self) -> u32 {
        self.message().cseq().seq()
    }

    /// The CSeq method.
    pub fn cseq_method(&self) -> String {
        self.message().cseq().method().to_owned()
    }

    /// The From URI.
    pub fn from_uri(&self) -> String {
        self.message().from().uri().as_str().to_owned()
    }

    /// The From tag.
    pub fn from_tag(&self) -> Option<String> {
        self.message().from().tag().map(str::to_owned)
    }

    /// The To URI.
    pub fn to_uri(&self) -> String {
        self.message().to().uri().as_str().to_owned()
    }

    /// The To tag.
    pub fn to_tag(&self) -> Option<String> {
        self.message().to().tag().map(str::to_owned)
    }

    /// The top Via's branch.
    pub fn branch(&self) -> Option<String> {
        self.message().via().branch().map(str::to_owned)
    }

    /// Max-Forwards.
    pub fn max_forwards(&self) -> Option<u8> {
        self.message().max_forwards()
    }

    /// The body.
    pub fn body(&self) -> Vec<u8> {
        self.message().body().to_vec()
    }

    /// The first value of a header (any case, long or compact name), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.message()
            .header(HeaderName::from_token(name))
            .map(|h| h.value().into_owned())
    }

    /// Every value of a header, in order.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.message()
            .headers_named(HeaderName::from_token(name))
            .map(|h| h.value().into_owned())
            .collect()
    }

    /// The message's bytes, as received or built.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.bytes().to_vec()
    }

    /// The fields `sip-lint --json` prints, with the same names.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(Report::of_message(self.message())).unwrap_or(Value::Null)
    }
}

/// The codecs offered and accepted when a caller names none: PCMA, PCMU, telephone-event.
pub fn default_codecs() -> Vec<String> {
    ["PCMA", "PCMU", "telephone-event"]
        .map(str::to_owned)
        .to_vec()
}

fn local_media(address: &str, port: u16, codecs: &[String]) -> Result<LocalMedia, Error> {
    let ip: IpAddr = address
        .parse()
        .map_err(|_| Error::invalid(format!("{address:?} is not an IP address")))?;
    let codecs = codecs
        .iter()
        .map(|name| {
            Codec::by_name(name).ok_or_else(|| Error::invalid(format!("unknown codec {name:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if codecs.is_empty() {
        return Err(Error::invalid("at least one codec is needed"));
    }
    Ok(LocalMedia::audio(ip, port, codecs))
}

/// An SDP offer for audio at `address`:`port` with `codecs` (names such as `PCMA`, `PCMU`,
/// `opus`, `telephone-event`), best first.
pub fn sdp_offer(address: &str, port: u16, codecs: &[String]) -> Result<String, Error> {
    Ok(negotiate::offer(&local_media(address, port, codecs)?))
}

fn media_json(m: &NegotiatedMedia) -> Value {
    json!({
        "kind": m.kind,
        "accepted": m.accepted,
        "codec": m.codec.as_ref().map(|c| json!({
            "payload_type": c.payload_type,
            "name": c.name,
            "clock_rate": c.clock_rate,
            "channels": c.channels,
        })),
        "telephone_event": m.telephone_event,
        "remote": m.remote.map(|a| a.to_string()),
        "direction": m.direction.as_str(),
        "rtcp_mux": m.rtcp_mux,
        "ptime": m.ptime,
    })
}

/// Answers an SDP offer: `{"sdp": …, "media": [{kind, accepted, codec, telephone_event, remote,
/// direction, rtcp_mux, ptime}, …]}`.
pub fn sdp_answer(
    offer: &str,
    address: &str,
    port: u16,
    codecs: &[String],
) -> Result<Value, Error> {
    let local = local_media(address, port, codecs)?;
    let sdp = Sdp::parse(offer.as_bytes()).map_err(|e| Error::core(&e))?;
    let answer = negotiate::answer(&sdp, &local).map_err(|e| Error::core(&e))?;
    Ok(json!({
        "sdp": answer.sdp,
        "media": answer.media.iter().map(media_json).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1500112@127.0.0.1>\r\nCall-ID: abc\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn a_response_built_from_a_request_parses_and_copies_the_dialog_headers() {
        let req = Message::parse(OPTIONS).unwrap();
        let resp = req
            .response(
                200,
                "OK",
                Some("t9"),
                &[("Allow".into(), "INVITE, OPTIONS".into())],
                None,
            )
            .unwrap();
        assert_eq!(resp.status(), Some(200));
        assert_eq!(resp.to_tag().as_deref(), Some("t9"));
        assert_eq!(resp.header("allow").as_deref(), Some("INVITE, OPTIONS"));
        assert_eq!(resp.to_json()["cseq"]["method"], "OPTIONS");
        assert!(resp.response(200, "OK", None, &[], None).is_err());
    }

    #[test]
    fn header_injection_and_bad_methods_are_invalid_arguments() {
        let inject = [("Subject".to_owned(), "x\r\nVia: evil".to_owned())];
        let e = Message::request("OPTIONS", "sip:x@y", &inject, None).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        let e = Message::request("OPT IONS", "sip:x@y", &[], None).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
    }

    #[test]
    fn offer_and_answer_agree_on_the_first_common_codec() {
        let offer = sdp_offer(
            "127.0.0.1",
            4000,
            &["PCMA".into(), "telephone-event".into()],
        )
        .unwrap();
        let answer =
            sdp_answer(&offer, "127.0.0.1", 5000, &["PCMU".into(), "PCMA".into()]).unwrap();
        assert_eq!(answer["media"][0]["codec"]["name"], "PCMA");
        assert_eq!(answer["media"][0]["remote"], "127.0.0.1:4000");
        assert!(sdp_offer("127.0.0.1", 4000, &["AMR".into()]).is_err());
        assert!(sdp_answer("v=0", "127.0.0.1", 4000, &["PCMA".into()]).is_err());
    }
}
