//! `sambung.sip`: `Message`, `sdp_offer`, `sdp_answer`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sambung_bindings::sip as core;

use crate::{raise, to_python};

fn body_of<'a>(
    body: Option<&'a [u8]>,
    content_type: Option<&'a str>,
) -> PyResult<core::BodyParts<'a>> {
    core::body_parts(body, content_type).map_err(raise)
}

/// A parsed SIP message.
#[pyclass(module = "sambung.sip", name = "Message", frozen)]
struct Message(core::Message);

#[pymethods]
impl Message {
    /// Parses one complete datagram; raises `sambung.ParseError`.
    #[staticmethod]
    fn parse(data: &[u8]) -> PyResult<Self> {
        core::Message::parse(data).map(Self).map_err(raise)
    }

    /// Builds a request (Content-Length is added); raises ValueError or ParseError.
    #[staticmethod]
    #[pyo3(signature = (method, uri, headers, body=None, content_type=None))]
    fn request(
        method: &str,
        uri: &str,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        content_type: Option<&str>,
    ) -> PyResult<Self> {
        core::Message::request(method, uri, &headers, body_of(body, content_type)?)
            .map(Self)
            .map_err(raise)
    }

    /// Builds a response to this request.
    #[pyo3(signature = (status, reason, to_tag=None, headers=Vec::new(), body=None, content_type=None))]
    fn response(
        &self,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        content_type: Option<&str>,
    ) -> PyResult<Self> {
        self.0
            .response(
                status,
                reason,
                to_tag,
                &headers,
                body_of(body, content_type)?,
            )
            .map(Self)
            .map_err(raise)
    }

    /// `"request"` or `"response"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// The request method, or None for a response.
    #[getter]
    fn method(&self) -> Option<String> {
        self.0.method()
    }

    /// The Request-URI, or None for a response.
    #[getter]
    fn request_uri(&self) -> Option<String> {
        self.0.request_uri()
    }

    /// The status code, or None for a request.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.0.status()
    }

    /// The reason phrase, or None for a request.
    #[getter]
    fn reason(&self) -> Option<String> {
        self.0.reason()
    }

    /// Call-ID.
    #[getter]
    fn call_id(&self) -> String {
        self.0.call_id()
    }

    /// The CSeq number.
    #[getter]
    fn cseq(&self) -> u32 {
        self.0.cseq()
    }

    /// The CSeq method.
    #[getter]
    fn cseq_method(&self) -> String {
        self.0.cseq_method()
    }

    /// The From URI.
    #[getter]
    #[expect(clippy::wrong_self_convention, reason = "the Python attribute's name")]
    fn from_uri(&self) -> String {
        self.0.from_uri()
    }

    /// The From tag.
    #[getter]
    #[expect(clippy::wrong_self_convention, reason = "the Python attribute's name")]
    fn from_tag(&self) -> Option<String> {
        self.0.from_tag()
    }

    /// The To URI.
    #[getter]
    fn to_uri(&self) -> String {
        self.0.to_uri()
    }

    /// The To tag.
    #[getter]
    fn to_tag(&self) -> Option<String> {
        self.0.to_tag()
    }

    /// The top Via's branch.
    #[getter]
    fn branch(&self) -> Option<String> {
        self.0.branch()
    }

    /// Max-Forwards.
    #[getter]
    fn max_forwards(&self) -> Option<u8> {
        self.0.max_forwards()
    }

    /// The body.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.body())
    }

    /// The first value of a header (any case, long or compact name), or None.
    fn header(&self, name: &str) -> Option<String> {
        self.0.header(name)
    }

    /// Every value of a header, in order.
    fn header_values(&self, name: &str) -> Vec<String> {
        self.0.header_values(name)
    }

    /// The fields `sip-lint --json` prints, with the same names.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.to_json())
    }

    /// The message's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.to_bytes())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    fn __repr__(&self) -> String {
        match (self.0.method(), self.0.status()) {
            (Some(m), _) => format!("<Message {m} {}>", self.0.request_uri().unwrap_or_default()),
            (_, Some(s)) => format!("<Message {s} {}>", self.0.reason().unwrap_or_default()),
            _ => "<Message>".to_owned(),
        }
    }
}

/// An SDP offer for audio at address:port with the named codecs, best first (default PCMA,
/// PCMU, telephone-event).
#[pyfunction]
#[pyo3(signature = (address, port, codecs=None))]
fn sdp_offer(address: &str, port: u16, codecs: Option<Vec<String>>) -> PyResult<String> {
    let codecs = codecs.unwrap_or_else(core::default_codecs);
    core::sdp_offer(address, port, &codecs).map_err(raise)
}

/// Answers an SDP offer: {"sdp": str, "media": [...]}.
#[pyfunction]
#[pyo3(signature = (offer, address, port, codecs=None))]
fn sdp_answer<'py>(
    py: Python<'py>,
    offer: &str,
    address: &str,
    port: u16,
    codecs: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let codecs = codecs.unwrap_or_else(core::default_codecs);
    let answer = core::sdp_answer(offer, address, port, &codecs).map_err(raise)?;
    to_python(py, &answer)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Message>()?;
    m.add_function(wrap_pyfunction!(sdp_offer, m)?)?;
    m.add_function(wrap_pyfunction!(sdp_answer, m)?)?;
    Ok(())
}
