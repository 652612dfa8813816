//! SIP: `Message`, `sdpOffer`, `sdpAnswerJson`.

use std::sync::Arc;

use sambung_bindings::sip as core;

use crate::{SambungError, json};

/// A header as name and value.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeaderField {
    /// Name (any case, long or compact).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A body with its Content-Type.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Body {
    /// Content-Type.
    pub content_type: String,
    /// The bytes.
    pub data: Vec<u8>,
}

fn pairs(headers: Vec<HeaderField>) -> Vec<(String, String)> {
    headers.into_iter().map(|h| (h.name, h.value)).collect()
}

/// A parsed SIP message.
#[derive(Debug, uniffi::Object)]
pub struct Message(core::Message);

#[uniffi::export]
impl Message {
    /// Parses one complete datagram.
    #[uniffi::constructor]
    pub fn parse(data: Vec<u8>) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(core::Message::parse(&data)?)))
    }

    /// Builds a request (Content-Length is added).
    #[uniffi::constructor]
    pub fn request(
        method: String,
        uri: String,
        headers: Vec<HeaderField>,
        body: Option<Body>,
    ) -> Result<Arc<Self>, SambungError> {
        let body = body
            .as_ref()
            .map(|b| (b.content_type.as_str(), b.data.as_slice()));
        Ok(Arc::new(Self(core::Message::request(
            &method,
            &uri,
            &pairs(headers),
            body,
        )?)))
    }

    /// Builds a response to this request.
    pub fn response(
        &self,
        status: u16,
        reason: String,
        to_tag: Option<String>,
        headers: Vec<HeaderField>,
        body: Option<Body>,
    ) -> Result<Arc<Message>, SambungError> {
        let body = body
            .as_ref()
            .map(|b| (b.content_type.as_str(), b.data.as_slice()));
        Ok(Arc::new(Message(self.0.response(
            status,
            &reason,
            to_tag.as_deref(),
            &pairs(headers),
            body,
        )?)))
    }

    /// `request` or `response`.
    pub fn kind(&self) -> String {
        self.0.kind().to_owned()
    }

    /// The request method; none for a response.
    pub fn method(&self) -> Option<String> {
        self.0.method()
    }

    /// The Request-URI; none for a response.
    pub fn request_uri(&self) -> Option<String> {
        self.0.request_uri()
    }

    /// The status code; none for a request.
    pub fn status(&self) -> Option<u16> {
        self.0.status()
    }

    /// The reason phrase; none for a request.
    pub fn reason(&self) -> Option<String> {
        self.0.reason()
    }

    /// Call-ID.
    pub fn call_id(&self) -> String {
        self.0.call_id()
    }

    /// The CSeq number.
    pub fn cseq(&self) -> u32 {
        self.0.cseq()
    }

    /// The CSeq method.
    pub fn cseq_method(&self) -> String {
        self.0.cseq_method()
    }

    /// The From URI.
    pub fn from_uri(&self) -> String {
        self.0.from_uri()
    }

    /// The From tag.
    pub fn from_tag(&self) -> Option<String> {
        self.0.from_tag()
    }

    /// The To URI.
    pub fn to_uri(&self) -> String {
        self.0.to_uri()
    }

    /// The To tag.
    pub fn to_tag(&self) -> Option<String> {
        self.0.to_tag()
    }

    /// The top Via's branch.
    pub fn branch(&self) -> Option<String> {
        self.0.branch()
    }

    /// Max-Forwards.
    pub fn max_forwards(&self) -> Option<u8> {
        self.0.max_forwards()
    }

    /// The body.
    pub fn body(&self) -> Vec<u8> {
        self.0.body()
    }

    /// The first value of a header; none if absent.
    pub fn header(&self, name: String) -> Option<String> {
        self.0.header(&name)
    }

    /// Every value of a header, in order.
    pub fn header_values(&self, name: String) -> Vec<String> {
        self.0.header_values(&name)
    }

    /// JSON text with the fields `sip-lint --json` prints.
    pub fn to_json(&self) -> String {
        json(&self.0.to_json())
    }

    /// The message's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }
}

/// An SDP offer for audio at address:port with the named codecs (empty: PCMA, PCMU,
/// telephone-event).
#[uniffi::export]
pub fn sdp_offer(address: String, port: u16, codecs: Vec<String>) -> Result<String, SambungError> {
    let codecs = if codecs.is_empty() {
        core::default_codecs()
    } else {
        codecs
    };
    Ok(core::sdp_offer(&address, port, &codecs)?)
}

/// Answers an SDP offer: JSON text `{sdp, media: [...]}`.
#[uniffi::export]
pub fn sdp_answer_json(
    offer: String,
    address: String,
    port: u16,
    codecs: Vec<String>,
) -> Result<String, SambungError> {
    let codecs = if codecs.is_empty() {
        core::default_codecs()
    } else {
        codecs
    };
    Ok(json(&core::sdp_answer(&offer, &address, port, &codecs)?))
}
