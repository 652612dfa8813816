//! A registrar and location service (RFC 3261 §10.3): bindings with expiry, several contacts
//! per address-of-record, q-values, unregistration (`Expires: 0`, `Contact: *`), `423 Interval
//! Too Brief`, Call-ID/CSeq ordering, and `Path` (RFC 3327). Sans-IO: the time is passed in as
//! Unix seconds; bindings live behind the [`LocationStore`] trait (in memory by default).

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::HeaderName;
use crate::headers::ContactValue;
use crate::message::{Message, Method};
use crate::serialize::MessageBuilder;
use crate::uri::{Host, Uri};

/// One contact registered for an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI as registered.
    pub contact: String,
    /// When it expires, Unix seconds.
    pub expires_at: u64,
    /// q-value in thousandths (1000 when not given).
    pub q: u16,
    /// Call-ID of the REGISTER that made it.
    pub call_id: String,
    /// Its CSeq.
    pub cseq: u32,
    /// Path headers to use to reach it (RFC 3327).
    pub path: Vec<String>,
    /// Where the REGISTER came from (for NAT: send there rather than to the contact).
    pub received: Option<SocketAddr>,
}

/// Where bindings are kept.
pub trait LocationStore {
    /// The bindings of an address-of-record (expired ones may be included; callers filter).
    fn bindings(&self, aor: &str) -> Vec<Binding>;
    /// Replaces all bindings of an address-of-record.
    fn set(&mut self, aor: &str, bindings: Vec<Binding>);
}

/// Bindings in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryLocationStore {
    map: HashMap<String, Vec<Binding>>,
}

impl LocationStore for MemoryLocationStore {
    fn bindings(&self, aor: &str) -> Vec<Binding> {
        self.map.get(aor).cloned().unwrap_or_default()
    }

    fn set(&mut self, aor: &str, bindings: Vec<Binding>) {
        if bindings.is_empty() {
            self.map.remove(aor);
        } else {
            self.map.insert(aor.to_owned(), bindings);
        }
    }
}

/// Settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shortest registration accepted (`423` below it).
    pub min_expires: u32,
    /// Longest granted (longer requests are shortened).
    pub max_expires: u32,
    /// Used when the request gives none.
    pub default_expires: u32,
    /// Most contacts per address-of-record.
    pub max_bindings: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_bindings: 10,
        }
    }
}

/// Why a REGISTER was refused, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// Not a REGISTER.
    NotRegister,
    /// The To is not a `sip:`/`sips:` URI with a user (400).
    BadAddressOfRecord,
    /// `Contact: *` with a non-zero expiry, or with other contacts (400).
    BadWildcard,
    /// Requested expiry shorter than allowed (423, with `Min-Expires`).
    IntervalTooBrief {
        /// The least accepted.
        min_expires: u32,
    },
    /// Same Call-ID with a CSeq not above the binding's: an old request (400).
    OutOfOrder,
    /// More contacts than allowed (403).
    TooManyBindings,
}

impl RegisterError {
    /// The status code and reason phrase to answer with.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            Self::NotRegister => (405, "Method Not Allowed"),
            Self::IntervalTooBrief { .. } => (423, "Interval Too Brief"),
            Self::TooManyBindings => (403, "Forbidden"),
            _ => (400, "Bad Request"),
        }
    }
}

/// The registrar.
#[derive(Debug, Clone)]
pub struct Registrar<S: LocationStore> {
    config: RegistrarConfig,
    store: S,
}

/// The address-of-record of a URI: `sip:user@host`, host lower-cased, parameters dropped.
pub fn address_of_record(uri: &Uri<'_>) -> Option<String> {
    let sip = uri.as_sip()?;
    let user = sip.user()?;
    let host = match sip.host() {
        Host::Name(n) => n.to_ascii_lowercase(),
        other => other.to_string(),
    };
    let scheme = if sip.is_secure() { "sips" } else { "sip" };
    Some(format!("{scheme}:{user}@{host}"))
}

impl<S: LocationStore> Registrar<S> {
    /// A registrar over `store`.
    pub fn new(config: RegistrarConfig, store: S) -> Self {
        Self { config, store }
    }

    /// The live bindings of an address-of-record at `now_s`, best q first.
    pub fn lookup(&self, aor: &str, now_s: u64) -> Vec<Binding> {
        let mut live: Vec<Binding> = self
            .store
            .bindings(aor)
            .into_iter()
            .filter(|b| b.expires_at > now_s)
            .collect();
        live.sort_by(|a, b| b.q.cmp(&a.q).then(a.contact.cmp(&b.contact)));
        live
    }

    /// Processes a REGISTER; returns the address-of-record and its bindings after it.
    pub fn register(
        &mut self,
        req: &Message<'_>,
        now_s: u64,
        received: Option<SocketAddr>,
    ) -> Result<(String, Vec<Binding>), RegisterError> {
        if req.method() != Method::Register {
            return Err(RegisterError::NotRegister);
        }
        let aor = address_of_record(req.to().uri()).ok_or(RegisterError::BadAddressOfRecord)?;
        let call_id = req.call_id().to_owned();
        let cseq = req.cseq().seq();
        let contacts: Vec<ContactValue<'_>> = req.contacts().collect();
        let mut bindings = self.lookup(&aor, now_s);
        if contacts.is_empty() {
            // A query: the bindings as they are.
            return Ok((aor, bindings));
        }
        if contacts.contains(&ContactValue::Star) {
            if contacts.len() != 1 || req.expires() != Some(0) {
                return Err(RegisterError::BadWildcard);
            }
            if bindings
                .iter()
                .any(|b| b.call_id == call_id && b.cseq >= cseq)
            {
                return Err(RegisterError::OutOfOrder);
            }
            self.store.set(&aor, Vec::new());
            return Ok((aor, Vec::new()));
        }
        let path: Vec<String> = req
            .headers_named(HeaderName::Path)
            .map(|h| h.value().into_owned())
            .collect();
        // Check everything first: a refused REGISTER changes nothing.
        let mut updates = Vec::new();
        for c in &contacts {
            let ContactValue::Addr(c) = c else { continue };
            let requested = c
                .expires()
                .or(req.expires())
                .unwrap_or(self.config.default_expires);
            if requested != 0 && requested < self.config.min_expires {
                return Err(RegisterError::IntervalTooBrief {
                    min_expires: self.config.min_expires,
                });
            }
            let contact = c.addr().uri().as_str().to_owned();
            if let Some(existing) = bindings.iter().find(|b| b.contact == contact)
                && existing.call_id == call_id
                && existing.cseq >= cseq
            {
                return Err(RegisterError::OutOfOrder);
            }
            updates.push((
                contact,
                requested.min(self.config.max_expires),
                c.q().unwrap_or(1000),
            ));
        }
        for (contact, expires, q) in updates {
            bindings.retain(|b| b.contact != contact);
            if expires > 0 {
                bindings.push(Binding {
                    contact,
                    expires_at: now_s + u64::from(expires),
                    q,
                    call_id: call_id.clone(),
                    cseq,
                    path: path.clone(),
                    received,
                });
            }
        }
        if bindings.len() > self.config.max_bindings {
            return Err(RegisterError::TooManyBindings);
        }
        self.store.set(&aor, bindings);
        Ok((aor.clone(), self.lookup(&aor, now_s)))
    }

    /// The response to a REGISTER: 200 with every binding and its remaining time, or the error.
    pub fn respond(
        &self,
        req: &Message<'_>,
        result: &Result<(String, Vec<Binding>), RegisterError>,
        now_s: u64,
        to_tag: &str,
    ) -> Option<Vec<u8>> {
        response(req, result, now_s, to_tag).build().ok()
    }
}

/// [`Registrar::respond`] as a builder, for a server that adds its own headers (`Server`,
/// `Allow`): `200` with every binding and the seconds it has left and the request's `Path`
/// (RFC 3327), or the refusal's status (`423` with `Min-Expires`).
pub fn response(
    req: &Message<'_>,
    result: &Result<(String, Vec<Binding>), RegisterError>,
    now_s: u64,
    to_tag: &str,
) -> MessageBuilder {
    match result {
        Ok((_, bindings)) => {
            let mut b = MessageBuilder::response_to(req, 200, "OK", Some(to_tag));
            for binding in bindings {
                let left = binding.expires_at.saturating_sub(now_s);
                b = b.header(
                    HeaderName::Contact,
                    format!("<{}>;expires={left}", binding.contact),
                );
            }
            for h in req.headers_named(HeaderName::Path) {
                b = b.header(HeaderName::Path, h.value().as_bytes());
            }
            b
        }
        Err(e) => {
            let (code, reason) = e.status();
            let mut b = MessageBuilder::response_to(req, code, reason, Some(to_tag));
            if let RegisterError::IntervalTooBrief { min_expires } = e {
                b = b.header(HeaderName::MinExpires, min_expires.to_string());
            }
            b
        }
    }
}
