//! Digest authentication (RFC 3261 §22, RFC 8760: MD5 and SHA-256, `qop=auth`), server and
//! client, sans-IO: times come in as seconds since the Unix epoch.
//!
//! Nonces are stateless — the issue time, a serial number and a keyed hash of both — so they
//! expire without a table and no two challenges share one; nonce counts are remembered per
//! nonce (bounded) so a replayed `nc` is refused; a
//! [`FailureLimiter`] counts failures per source address and per user against brute force.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::IpAddr;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::headers::AuthValue;

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (RFC 2617, still what most SIP phones send).
    Md5,
    /// SHA-256 (RFC 8760).
    Sha256,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("MD5") {
            Some(Self::Md5)
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Some(Self::Sha256)
        } else {
            None
        }
    }

    /// The lower-case hex digest of `data`.
    pub fn hex(self, data: &str) -> String {
        let bytes: Vec<u8> = match self {
            Self::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            Self::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
        };
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}

/// `HA1 = H(user:realm:password)`; store this rather than the password.
pub fn ha1(algorithm: Algorithm, user: &str, realm: &str, password: &str) -> String {
    algorithm.hex(&format!("{user}:{realm}:{password}"))
}

/// The `response` value for `qop=auth`.
#[expect(
    clippy::too_many_arguments,
    reason = "the digest's own inputs, named as RFC 2617 names them"
)]
pub fn response(
    algorithm: Algorithm,
    ha1: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    qop: &str,
    method: &str,
    uri: &str,
) -> String {
    let ha2 = algorithm.hex(&format!("{method}:{uri}"));
    algorithm.hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
}

/// Why credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not a Digest credential, or a parameter is missing.
    #[error("credentials are not a complete Digest response")]
    Malformed,
    /// The realm is not ours.
    #[error("wrong realm")]
    WrongRealm,
    /// An algorithm we do not offer.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The nonce was not issued by us.
    #[error("nonce not issued here")]
    BadNonce,
    /// The nonce was ours but has expired: challenge again with `stale=true`.
    #[error("nonce expired")]
    Stale,
    /// The nonce count did not increase: a replay.
    #[error("nonce count replayed")]
    Replay,
    /// No such user.
    #[error("unknown user")]
    UnknownUser,
    /// The response does not match.
    #[error("wrong response")]
    WrongResponse,
    /// Too many failures from this source or for this user; try later.
    #[error("too many failures; blocked for a while")]
    Blocked,
}

/// Server-side digest authentication for one realm.
///
/// Every challenge carries a nonce of its own (issue time, a serial number, and a signature over
/// both), so phones challenged in the same second do not share a nonce — with a shared one, the
/// second phone's `nc=00000001` would look like a replay of the first's.
#[derive(Debug)]
pub struct DigestServer {
    realm: String,
    key: [u8; 32],
    nonce_ttl: u64,
    serial: std::sync::atomic::AtomicU64,
    counts: HashMap<String, u32>,
    order: VecDeque<String>,
}

impl Clone for DigestServer {
    fn clone(&self) -> Self {
        Self {
            realm: self.realm.clone(),
            key: self.key,
            nonce_ttl: self.nonce_ttl,
            serial: std::sync::atomic::AtomicU64::new(
                self.serial.load(std::sync::atomic::Ordering::Relaxed),
            ),
            counts: self.counts.clone(),
            order: self.order.clone(),
        }
    }
}

/// Most nonces whose counts are remembered.
const MAX_NONCES: usize = 65_536;

impl DigestServer {
    /// A server for `realm`. `key` is a secret from the caller's random source (nonces are
    /// signed with it); nonces live `nonce_ttl_s` seconds.
    pub fn new(realm: &str, key: [u8; 32], nonce_ttl_s: u64) -> Self {
        Self {
            realm: realm.to_owned(),
            key,
            nonce_ttl: nonce_ttl_s,
            serial: std::sync::atomic::AtomicU64::new(0),
            counts: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn sign(&self, issued: u64, serial: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(issued.to_be_bytes());
        h.update(serial.to_be_bytes());
        h.update(self.realm.as_bytes());
        let digest = h.finalize();
        let mut out = format!("{issued:x}.{serial:x}.");
        for b in &digest[..16] {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// A `WWW-Authenticate` / `Proxy-Authenticate` value offering `algorithm`.
    pub fn challenge(&self, now_s: u64, algorithm: Algorithm, stale: bool) -> String {
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = self.sign(now_s, serial);
        let stale = if stale { ", stale=true" } else { "" };
        format!(
            "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{stale}",
            self.realm,
            algorithm.name()
        )
    }

    /// Checks credentials for `method`; `lookup` gives a user's HA1 for an algorithm. Returns
    /// the user name.
    pub fn verify<'a>(
        &mut self,
        credentials: &AuthValue<'a>,
        method: &str,
        now_s: u64,
        lookup: impl Fn(&str, Algorithm) -> Option<String>,
    ) -> Result<String, AuthError> {
        if !credentials.scheme().eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Malformed);
        }
        let get = |name: &str| credentials.param(name).map(|v| v.into_owned());
        let (Some(user), Some(realm), Some(nonce), Some(uri), Some(resp)) = (
            get("username"),
            get("realm"),
            get("nonce"),
            get("uri"),
            get("response"),
        ) else {
            return Err(AuthError::Malformed);
        };
        if realm != self.realm {
            return Err(AuthError::WrongRealm);
        }
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::from_name(&a).ok_or(AuthError::UnsupportedAlgorithm)?,
        };
        let mut parts = nonce.splitn(3, '.');
        let (Some(issued), Some(serial)) = (
            parts.next().and_then(|t| u64::from_str_radix(t, 16).ok()),
            parts.next().and_then(|t| u64::from_str_radix(t, 16).ok()),
        ) else {
            return Err(AuthError::BadNonce);
        };
        if !constant_time_eq(self.sign(issued, serial).as_bytes(), nonce.as_bytes()) {
            return Err(AuthError::BadNonce);
        }
        if now_s.saturating_sub(issued) > self.nonce_ttl || issued > now_s.saturating_add(60) {
            return Err(AuthError::Stale);
        }
        let qop = get("qop");
        let (nc, cnonce) = match qop.as_deref() {
            Some("auth") => (
                get("nc").ok_or(AuthError::Malformed)?,
                get("cnonce").ok_or(AuthError::Malformed)?,
            ),
            None => (String::new(), String::new()),
            Some(_) => return Err(AuthError::Malformed),
        };
        let ha1 = lookup(&user, algorithm).ok_or(AuthError::UnknownUser)?;
        let expected = match qop.as_deref() {
            Some(q) => response(algorithm, &ha1, &nonce, &nc, &cnonce, q, method, &uri),
            None => algorithm.hex(&format!(
                "{ha1}:{nonce}:{}",
                algorithm.hex(&format!("{method}:{uri}"))
            )),
        };
        if !constant_time_eq(expected.as_bytes(), resp.to_ascii_lowercase().as_bytes()) {
            return Err(AuthError::WrongResponse);
        }
        if qop.is_some() {
            let count = u32::from_str_radix(&nc, 16).map_err(|_| AuthError::Malformed)?;
            match self.counts.get(&nonce) {
                Some(&last) if count <= last => return Err(AuthError::Replay),
                _ => {}
            }
            if !self.counts.contains_key(&nonce) {
                if self.order.len() == MAX_NONCES
                    && let Some(old) = self.order.pop_front()
                {
                    self.counts.remove(&old);
                }
                self.order.push_back(nonce.clone());
            }
            self.counts.insert(nonce, count);
        }
        Ok(user)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Client side: the `Authorization` value answering `challenge`.
pub fn authorize(
    challenge: &AuthValue<'_>,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> Option<String> {
    let realm = challenge.param("realm")?;
    let nonce = challenge.param("nonce")?;
    let algorithm = match challenge.param("algorithm") {
        None => Algorithm::Md5,
        Some(a) => Algorithm::from_name(&a)?,
    };
    let h1 = ha1(algorithm, user, &realm, password);
    let nc = format!("{nc:08x}");
    let qop_offered = challenge
        .param("qop")
        .is_some_and(|q| q.split(',').any(|x| x.trim() == "auth"));
    let mut out = format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={}",
        algorithm.name()
    );
    if qop_offered {
        let r = response(algorithm, &h1, &nonce, &nc, cnonce, "auth", method, uri);
        let _ = write!(
            out,
            ", response=\"{r}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\""
        );
    } else {
        let r = algorithm.hex(&format!(
            "{h1}:{nonce}:{}",
            algorithm.hex(&format!("{method}:{uri}"))
        ));
        let _ = write!(out, ", response=\"{r}\"");
    }
    if let Some(opaque) = challenge.param("opaque") {
        let _ = write!(out, ", opaque=\"{opaque}\"");
    }
    Some(out)
}

/// Counts authentication failures per source address and per user within a window, and blocks
/// either once it has failed `max_failures` times, until the window passes.
#[derive(Debug, Clone)]
pub struct FailureLimiter {
    max_failures: u32,
    window_s: u64,
    sources: HashMap<IpAddr, (u64, u32)>,
    users: HashMap<String, (u64, u32)>,
}

/// Most sources and users tracked; the oldest windows are dropped beyond it.
const MAX_TRACKED: usize = 100_000;

impl FailureLimiter {
    /// Blocks after `max_failures` failures within `window_s` seconds.
    pub fn new(max_failures: u32, window_s: u64) -> Self {
        Self {
            max_failures,
            window_s,
            sources: HashMap::new(),
            users: HashMap::new(),
        }
    }

    fn live(&self, entry: Option<&(u64, u32)>, now_s: u64) -> u32 {
        match entry {
            Some(&(start, count)) if now_s.saturating_sub(start) < self.window_s => count,
            _ => 0,
        }
    }

    /// True when this source or user may not try now.
    pub fn blocked(&self, source: IpAddr, user: Option<&str>, now_s: u64) -> bool {
        self.live(self.sources.get(&source), now_s) >= self.max_failures
            || user.is_some_and(|u| self.live(self.users.get(u), now_s) >= self.max_failures)
    }

    /// Records a failure.
    pub fn failed(&mut self, source: IpAddr, user: Option<&str>, now_s: u64) {
        let window = self.window_s;
        let bump = |entry: &mut (u64, u32)| {
            if now_s.saturating_sub(entry.0) >= window {
                *entry = (now_s, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        };
        if self.sources.len() >= MAX_TRACKED {
            self.sources
                .retain(|_, (start, _)| now_s.saturating_sub(*start) < window);
        }
        if self.sources.len() < MAX_TRACKED {
            bump(self.sources.entry(source).or_insert((now_s, 0)));
        }
        if let Some(u) = user {
            if self.users.len() >= MAX_TRACKED {
                self.users
                    .retain(|_, (start, _)| now_s.saturating_sub(*start) < window);
            }
            if self.users.len() < MAX_TRACKED {
                bump(self.users.entry(u.to_owned()).or_insert((now_s, 0)));
            }
        }
    }

    /// Clears a user's failures after a success.
    pub fn succeeded(&mut self, user: &str) {
        self.users.remove(user);
    }
}
