//! `sip`: `Message`, `sdpOffer`, `sdpAnswer`.

use napi::Env;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use sambung_bindings::sip as core;
use serde_json::Value;

use crate::raise;

/// The headers and body of build options, checked.
fn parts<'a>(
    env: &Env,
    o: &'a BuildOptions,
) -> napi::Result<(Vec<(String, String)>, core::BodyParts<'a>)> {
    let bad = |message: &str| {
        let e = sambung_bindings::Error::new(sambung_bindings::ErrorKind::InvalidArgument, message);
        raise(env, &e)
    };
    let headers = o
        .headers
        .iter()
        .flatten()
        .map(|pair| match pair.as_slice() {
            [name, value] => Ok((name.clone(), value.clone())),
            _ => Err(bad("each header is a [name, value] pair")),
        })
        .collect::<napi::Result<Vec<_>>>()?;
    let body = core::body_parts(o.body.as_deref(), o.content_type.as_deref())
        .map_err(|e| raise(env, &e))?;
    Ok((headers, body))
}

/// Options for building a message.
#[napi(object, namespace = "sip")]
#[derive(Default)]
pub struct BuildOptions {
    /// Headers as `[name, value]` pairs, in order.
    pub headers: Option<Vec<Vec<String>>>,
    /// The body.
    pub body: Option<Buffer>,
    /// Its Content-Type (with `body`).
    pub content_type: Option<String>,
    /// For a response: the To tag to add.
    pub to_tag: Option<String>,
}

/// A parsed SIP message.
#[napi(namespace = "sip")]
pub struct Message(core::Message);

#[napi(namespace = "sip")]
impl Message {
    /// Parses one complete datagram; throws `ParseError` (`responseCode`, `offset`).
    #[napi(factory)]
    pub fn parse(env: Env, data: Buffer) -> napi::Result<Self> {
        core::Message::parse(&data)
            .map(Self)
            .map_err(|e| raise(&env, &e))
    }

    /// Builds a request (Content-Length is added).
    #[napi(factory)]
    pub fn request(
        env: Env,
        method: String,
        uri: String,
        options: Option<BuildOptions>,
    ) -> napi::Result<Self> {
        let o = options.unwrap_or_default();
        let (h, body) = parts(&env, &o)?;
        core::Message::request(&method, &uri, &h, body)
            .map(Self)
            .map_err(|e| raise(&env, &e))
    }

    /// Builds a response to this request.
    #[napi]
    pub fn response(
        &self,
        env: Env,
        status: u16,
        reason: String,
        options: Option<BuildOptions>,
    ) -> napi::Result<Message> {
        let o = options.unwrap_or_default();
        let (h, body) = parts(&env, &o)?;
        self.0
            .response(status, &reason, o.to_tag.as_deref(), &h, body)
            .map(Message)
            .map_err(|e| raise(&env, &e))
    }

    /// `"request"` or `"response"`.
    #[napi(getter)]
    pub fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// The request method, or null for a response.
    #[napi(getter)]
    pub fn method(&self) -> Option<String> {
        self.0.method()
    }

    /// The Request-URI, or null for a response.
    #[napi(getter)]
    pub fn request_uri(&self) -> Option<String> {
        self.0.request_uri()
    }

    /// The status code, or null for a request.
    #[napi(getter)]
    pub fn status(&self) -> Option<u16> {
        self.0.status()
    }

    /// The reason phrase, or null for a request.
    #[napi(getter)]
    pub fn reason(&self) -> Option<String> {
        self.0.reason()
    }

    /// Call-ID.
    #[napi(getter)]
    pub fn call_id(&self) -> String {
        self.0.call_id()
    }

    /// The CSeq number.
    #[napi(getter)]
    pub fn cseq(&self) -> u32 {
        self.0.cseq()
    }

    /// The CSeq method.
    #[napi(getter)]
    pub fn cseq_method(&self) -> String {
        self.0.cseq_method()
    }

    /// The From URI.
    #[napi(getter)]
    pub fn from_uri(&self) -> String {
        self.0.from_uri()
    }

    /// The From tag.
    #[napi(getter)]
    pub fn from_tag(&self) -> Option<String> {
        self.0.from_tag()
    }

    /// The To URI.
    #[napi(getter)]
    pub fn to_uri(&self) -> String {
        self.0.to_uri()
    }

    /// The To tag.
    #[napi(getter)]
    pub fn to_tag(&self) -> Option<String> {
        self.0.to_tag()
    }

    /// The top Via's branch.
    #[napi(getter)]
    pub fn branch(&self) -> Option<String> {
        self.0.branch()
    }

    /// Max-Forwards.
    #[napi(getter)]
    pub fn max_forwards(&self) -> Option<u8> {
        self.0.max_forwards()
    }

    /// The body.
    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        self.0.body().into()
    }

    /// The first value of a header (any case, long or compact name), or null.
    #[napi]
    pub fn header(&self, name: String) -> Option<String> {
        self.0.header(&name)
    }

    /// Every value of a header, in order.
    #[napi]
    pub fn header_values(&self, name: String) -> Vec<String> {
        self.0.header_values(&name)
    }

    /// The fields `sip-lint --json` prints, with the same names.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> Value {
        self.0.to_json()
    }

    /// The message's bytes.
    #[napi]
    pub fn to_buffer(&self) -> Buffer {
        self.0.to_bytes().into()
    }
}

/// An SDP offer for audio at address:port with the named codecs, best first (default PCMA,
/// PCMU, telephone-event).
#[napi(namespace = "sip")]
pub fn sdp_offer(
    env: Env,
    address: String,
    port: u16,
    codecs: Option<Vec<String>>,
) -> napi::Result<String> {
    let codecs = codecs.unwrap_or_else(core::default_codecs);
    core::sdp_offer(&address, port, &codecs).map_err(|e| raise(&env, &e))
}

/// Answers an SDP offer: `{sdp, media: [...]}`.
#[napi(namespace = "sip")]
pub fn sdp_answer(
    env: Env,
    offer: String,
    address: String,
    port: u16,
    codecs: Option<Vec<String>>,
) -> napi::Result<Value> {
    let codecs = codecs.unwrap_or_else(core::default_codecs);
    core::sdp_answer(&offer, &address, port, &codecs).map_err(|e| raise(&env, &e))
}
