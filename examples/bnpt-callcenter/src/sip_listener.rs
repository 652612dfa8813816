//! The SIP listeners: UDP sockets, and accept loops for TCP, TLS (rustls, see `sip_tls`) and
//! WebSocket (RFC 7118, tokio-tungstenite; one SIP message per WebSocket message).
//!
//! A message of a call in progress, or a new INVITE (to a DID, a feature code, another phone
//! or out), over UDP or TCP, goes to [`CallCenter`] — over TCP with the connection's writer, so
//! the call answers on the same connection; every other message is parsed with `sambung-sip`
//! and answered statelessly: `REGISTER` goes through digest authentication (passwords from `secrets.toml`, failures
//! rate-limited per source and user) into the registrar, `OPTIONS` (a phone's keep-alive or a
//! monitor's probe) gets `200 OK`, `ACK` nothing, and every other request
//! `503 Service Unavailable` with `Retry-After`. Unparseable input is
//! logged with the reason and dropped (without a parseable Via there is nowhere to answer).
//! Every buffer is bounded: a datagram is read into 64 KiB, a TCP connection is framed by
//! `sambung_sip::framing` with at most [`MAX_TCP_BUFFER`] buffered bytes and [`TCP_IDLE`] of
//! silence (unless a call is on it), [`TCP_OUT_DEPTH`] messages wait for its writer, and at
//! most [`MAX_TCP_CONNECTIONS`] connections are open at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures_util::{SinkExt, StreamExt};
use sambung_sip::auth::{Algorithm, AuthError, DigestServer, FailureLimiter, ha1};
use sambung_sip::framing::{Frame, Framer};
use sambung_sip::registrar::{Registrar, RegistrarConfig};
use sambung_sip::transport::{write_queued, ws_subprotocol};
use sambung_sip::uas_checks::{self, UasPolicy};
use sambung_sip::{HeaderName, Message, MessageBuilder, Method};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tracing::{debug, info, warn};

use crate::calls::{CallCenter, Routed, SipPath, StreamPath};
use crate::listen::{ListenAddr, Transport};
use crate::locations::SavedLocations;
use crate::sync::lock;

/// Largest UDP datagram.
const MAX_DATAGRAM: usize = 65_535;
/// Most bytes held for one TCP connection before it is closed.
pub(crate) const MAX_TCP_BUFFER: usize = 64 * 1024;
/// Idle time after which a TCP connection is closed.
pub(crate) const TCP_IDLE: Duration = Duration::from_secs(120);
/// Most TCP connections open at once.
pub(crate) const MAX_TCP_CONNECTIONS: usize = 1024;
/// Messages queued for one TCP connection's writer.
const TCP_OUT_DEPTH: usize = 64;
/// Longest a TLS or WebSocket handshake may take.
const HANDSHAKE_TIME: Duration = Duration::from_secs(10);
/// How much of a first line goes into a log line.
const LOGGED_LINE: usize = 120;

/// Traffic counters, shared with the HTTP side.
#[derive(Debug, Default)]
pub(crate) struct SipCounters {
    pub(crate) datagrams: AtomicU64,
    pub(crate) tcp_connections: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) parse_errors: AtomicU64,
    pub(crate) responses_sent: AtomicU64,
}

/// Seconds a client is asked to wait before retrying while calls are not yet handled.
const RETRY_AFTER_SECS: u32 = 300;
/// How long a digest nonce stays valid.
const NONCE_TTL_S: u64 = 300;
/// Failed authentications per source or user within [`LIMIT_WINDOW_S`] before refusing.
const MAX_AUTH_FAILURES: u32 = 10;
const LIMIT_WINDOW_S: u64 = 300;

/// The SIP side of the call center as far as it goes today: a registrar with digest
/// authentication for agent and supervisor phones, `200 OK` to `OPTIONS`, and `503` with
/// `Retry-After` to anything else until call handling arrives.
pub(crate) struct SipService {
    pub(crate) counters: Arc<SipCounters>,
    realm: String,
    passwords: BTreeMap<String, String>,
    registrar: Mutex<Registrar<SavedLocations>>,
    digest: Mutex<DigestServer>,
    limiter: Mutex<FailureLimiter>,
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SipService {
    /// A service for `realm` whose users are the keys of `passwords`; `key` signs nonces;
    /// `locations` holds the bindings (and those kept from earlier runs).
    pub(crate) fn new(
        realm: &str,
        passwords: BTreeMap<String, String>,
        key: [u8; 32],
        counters: Arc<SipCounters>,
        locations: SavedLocations,
    ) -> Self {
        Self {
            counters,
            realm: realm.to_owned(),
            passwords,
            registrar: Mutex::new(Registrar::new(RegistrarConfig::default(), locations)),
            digest: Mutex::new(DigestServer::new(realm, key, NONCE_TTL_S)),
            limiter: Mutex::new(FailureLimiter::new(MAX_AUTH_FAILURES, LIMIT_WINDOW_S)),
        }
    }

    /// Where a user's phone can be reached: the registered contact with the highest q, and the
    /// address to send to (the contact's host and port, 5060 when absent).
    pub(crate) fn contact_of(&self, user: &str, host: &str) -> Option<(String, SocketAddr)> {
        let aor = format!("sip:{user}@{host}");
        let mut bindings = lock(&self.registrar).lookup(&aor, unix_now());
        bindings.sort_by_key(|b| std::cmp::Reverse(b.q));
        bindings.into_iter().find_map(|b| {
            let uri = sambung_sip::Uri::parse(b.contact.as_bytes()).ok()?;
            let sip = uri.as_sip()?;
            let ip: std::net::IpAddr = match sip.host() {
                sambung_sip::Host::V4(a) => a.into(),
                sambung_sip::Host::V6(a) => a.into(),
                sambung_sip::Host::Name(_) => return None,
            };
            let addr = SocketAddr::new(ip, sip.port().unwrap_or(5060));
            Some((b.contact.clone(), addr))
        })
    }

    /// Whether guesses of `user`'s secrets from `source` are refused for now: the limiter of
    /// digest failures also counts wrong feature-code PINs, so neither can be brute-forced.
    pub(crate) fn secret_guesses_blocked(&self, source: std::net::IpAddr, user: &str) -> bool {
        lock(&self.limiter).blocked(source, Some(user), unix_now())
    }

    /// Counts a PIN (or other secret) of `user` keyed from `source`, right or wrong.
    pub(crate) fn secret_guessed(&self, source: std::net::IpAddr, user: &str, right: bool) {
        let mut limiter = lock(&self.limiter);
        if right {
            limiter.succeeded(user);
        } else {
            limiter.failed(source, Some(user), unix_now());
        }
    }

    /// Who is calling, for a new call that is neither to a DID nor a feature code: a call out
    /// or to another phone must prove it comes from one of our phones (digest, answered with
    /// `407` and a challenge first, RFC 3261 §22.3), and failures count against the same
    /// limiter as registrations. `Err` holds the answer to send (407, or 403).
    pub(crate) fn authenticate_call(
        &self,
        msg: &Message<'_>,
        peer: SocketAddr,
    ) -> Result<String, Vec<u8>> {
        let now = unix_now();
        let tag = to_tag(msg.call_id(), msg.via().branch().unwrap_or_default());
        let credentials = msg
            .proxy_authorization()
            .chain(msg.authorization())
            .find(|c| c.scheme().eq_ignore_ascii_case("Digest"));
        let claimed = credentials
            .as_ref()
            .and_then(|c| c.param("username"))
            .map(|u| u.into_owned());
        let reply = |status: u16, reason: &str, challenge: Option<String>| {
            let mut b = MessageBuilder::response_to(msg, status, reason, Some(&tag)).header(
                HeaderName::Server,
                concat!("bnpt-callcenter/", env!("CARGO_PKG_VERSION")),
            );
            if let Some(c) = challenge {
                b = b.header(HeaderName::ProxyAuthenticate, c);
            }
            self.counters.responses_sent.fetch_add(1, Ordering::Relaxed);
            b.build().unwrap_or_default()
        };
        if lock(&self.limiter).blocked(peer.ip(), claimed.as_deref(), now) {
            warn!(%peer, user = claimed.as_deref().unwrap_or(""), "call refused: too many failed attempts");
            return Err(reply(403, "Forbidden", None));
        }
        let challenge = |stale: bool| {
            let c = lock(&self.digest).challenge(now, Algorithm::Md5, stale);
            reply(407, "Proxy Authentication Required", Some(c))
        };
        let Some(credentials) = credentials else {
            info!(%peer, uri = ?msg.request_uri().map(|u| u.as_str().to_owned()), "call out challenged");
            return Err(challenge(false));
        };
        let passwords = &self.passwords;
        let realm = self.realm.clone();
        let verified = lock(&self.digest).verify(&credentials, "INVITE", now, |u, alg| {
            passwords.get(u).map(|p| ha1(alg, u, &realm, p))
        });
        match verified {
            Ok(user) => {
                lock(&self.limiter).succeeded(&user);
                Ok(user)
            }
            Err(AuthError::Stale) => Err(challenge(true)),
            Err(e) => {
                lock(&self.limiter).failed(peer.ip(), claimed.as_deref(), now);
                warn!(%peer, user = claimed.as_deref().unwrap_or(""), error = %e, "call out refused: authentication failed");
                Err(reply(403, "Forbidden", None))
            }
        }
    }

    /// A stateless refusal of `msg` with `status`.
    pub(crate) fn refuse(&self, msg: &Message<'_>, status: u16, reason: &str) -> Vec<u8> {
        let tag = to_tag(msg.call_id(), msg.via().branch().unwrap_or_default());
        self.counters.responses_sent.fetch_add(1, Ordering::Relaxed);
        MessageBuilder::response_to(msg, status, reason, Some(&tag))
            .header(
                HeaderName::Server,
                concat!("bnpt-callcenter/", env!("CARGO_PKG_VERSION")),
            )
            .build()
            .unwrap_or_default()
    }

    /// Whether `user` is one of our phones (an agent or a supervisor).
    pub(crate) fn is_phone(&self, user: &str) -> bool {
        self.passwords.contains_key(user)
    }

    /// `404 Not Found` for a new call to a number the call center does not serve: nothing
    /// reachable from outside leads to an outside line (toll-fraud guard).
    pub(crate) fn not_found(&self, bytes: &[u8], peer: SocketAddr) -> Option<Vec<u8>> {
        let msg = Message::parse(bytes).ok()?;
        let tag = to_tag(msg.call_id(), msg.via().branch().unwrap_or_default());
        warn!(%peer, uri = %msg.request_uri()?, "call to an unknown number refused");
        let reply = MessageBuilder::response_to(&msg, 404, "Not Found", Some(&tag))
            .header(
                HeaderName::Server,
                concat!("bnpt-callcenter/", env!("CARGO_PKG_VERSION")),
            )
            .build()
            .ok()?;
        self.counters.responses_sent.fetch_add(1, Ordering::Relaxed);
        Some(reply)
    }

    /// Parses one message and returns the answer to send, if any.
    pub(crate) fn answer(
        &self,
        bytes: &[u8],
        transport: &str,
        peer: SocketAddr,
    ) -> Option<Vec<u8>> {
        let counters = &self.counters;
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                counters.parse_errors.fetch_add(1, Ordering::Relaxed);
                // A request that does not parse gets 400 naming the fault when its Vias say
                // where to send it (RFC 4475 §3.3); anything else is dropped.
                let head =
                    String::from_utf8_lossy(bytes.get(..bytes.len().min(256)).unwrap_or_default())
                        .into_owned();
                let reply = e
                    .response_code()
                    .and_then(|_| uas_checks::bad_request(bytes, &e, &to_tag(&head, "400")));
                warn!(transport, %peer, error = %e, answered = reply.is_some(), "unparseable SIP message");
                if reply.is_some() {
                    counters.responses_sent.fetch_add(1, Ordering::Relaxed);
                }
                return reply;
            }
        };
        let Some(uri) = msg.request_uri() else {
            debug!(transport, %peer, status = ?msg.status(), call_id = msg.call_id(), "SIP response ignored");
            return None;
        };
        info!(transport, %peer, method = %msg.method(), uri = %uri, call_id = msg.call_id(), "SIP request");
        let tag = to_tag(msg.call_id(), msg.via().branch().unwrap_or_default());
        if msg.method() == Method::Ack {
            return None;
        }
        // RFC 3261 §8.2: scheme, required extensions, body type, acceptable answer.
        if let Some(refusal) = uas_checks::check(&msg, &UasPolicy::default()) {
            let mut b =
                MessageBuilder::response_to(&msg, refusal.status, refusal.reason, Some(&tag));
            for (name, value) in &refusal.headers {
                b = b.header(*name, value);
            }
            info!(transport, %peer, status = refusal.status, "request refused");
            return b.build().ok().inspect(|_| {
                counters.responses_sent.fetch_add(1, Ordering::Relaxed);
            });
        }
        let response = match msg.method() {
            Method::Options => MessageBuilder::response_to(&msg, 200, "OK", Some(&tag)),
            Method::Register => self.register(&msg, peer, &tag),
            _ => MessageBuilder::response_to(&msg, 503, "Service Unavailable", Some(&tag))
                .header(HeaderName::RetryAfter, RETRY_AFTER_SECS.to_string()),
        };
        let response = response
            .header(
                HeaderName::Server,
                concat!("bnpt-callcenter/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                HeaderName::Allow,
                "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER",
            );
        match response.build() {
            Ok(bytes) => {
                counters.responses_sent.fetch_add(1, Ordering::Relaxed);
                Some(bytes)
            }
            Err(e) => {
                warn!(error = %e, "cannot build a response");
                None
            }
        }
    }

    /// REGISTER with digest authentication: challenge, verify, bind.
    fn register(&self, msg: &Message<'_>, peer: SocketAddr, tag: &str) -> MessageBuilder {
        let now = unix_now();
        let user = msg
            .to()
            .uri()
            .as_sip()
            .and_then(|u| u.user())
            .map(str::to_owned);
        if msg.to().uri().as_sip().is_none() {
            // The address-of-record must be a SIP or SIPS URI (RFC 3261 §10.3 step 3).
            return MessageBuilder::response_to(
                msg,
                400,
                "Bad Request: To is not a SIP URI",
                Some(tag),
            );
        }
        if lock(&self.limiter).blocked(peer.ip(), user.as_deref(), now) {
            warn!(%peer, user = user.as_deref().unwrap_or(""), "REGISTER refused: too many failed attempts");
            return MessageBuilder::response_to(msg, 403, "Forbidden", Some(tag));
        }
        let challenge = |stale: bool| {
            let c = lock(&self.digest).challenge(now, Algorithm::Md5, stale);
            MessageBuilder::response_to(msg, 401, "Unauthorized", Some(tag))
                .header(HeaderName::WwwAuthenticate, c)
        };
        // Only Digest is known here; other schemes are answered with our challenge (RFC 4475
        // §3.3.7), not counted as failures.
        let Some(credentials) = msg
            .authorization()
            .find(|c| c.scheme().eq_ignore_ascii_case("Digest"))
        else {
            return challenge(false);
        };
        let passwords = &self.passwords;
        let realm = self.realm.clone();
        let verified = lock(&self.digest).verify(&credentials, "REGISTER", now, |u, alg| {
            passwords.get(u).map(|p| ha1(alg, u, &realm, p))
        });
        match verified {
            Ok(name) if Some(&name) == user.as_ref() => {
                lock(&self.limiter).succeeded(&name);
                let mut registrar = lock(&self.registrar);
                let result = registrar.register(msg, now, Some(peer));
                if let Ok((aor, bindings)) = &result {
                    info!(%peer, aor = %aor, bindings = bindings.len(), "registered");
                }
                sambung_sip::registrar::response(msg, &result, now, tag)
            }
            Err(AuthError::Stale) => challenge(true),
            _ => {
                lock(&self.limiter).failed(peer.ip(), user.as_deref(), now);
                warn!(%peer, user = user.as_deref().unwrap_or(""), "REGISTER authentication failed");
                MessageBuilder::response_to(msg, 403, "Forbidden", Some(tag))
            }
        }
    }
}

/// A To tag that is the same for retransmissions of one request (stateless answers must be).
fn to_tag(call_id: &str, branch: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (call_id, branch).hash(&mut h);
    format!("{:016x}", h.finish())
}

/// A bound listener, ready to serve.
pub(crate) enum Bound {
    Udp(UdpSocket),
    Tcp(TcpListener),
    Tls(TcpListener, TlsAcceptor),
    Ws(TcpListener),
}

/// Why a listener could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for SIP on {addr}")]
pub(crate) struct BindError {
    addr: ListenAddr,
    #[source]
    source: std::io::Error,
}

/// Binds one listening address (`tls` is the acceptor `tls:` listeners use). Returns the
/// address actually bound (port 0 resolved).
pub(crate) async fn bind(
    listen: ListenAddr,
    tls: Option<&TlsAcceptor>,
) -> Result<(Bound, ListenAddr), BindError> {
    let err = |source| BindError {
        addr: listen,
        source,
    };
    let (bound, local) = match listen.transport {
        Transport::Udp => {
            let socket = UdpSocket::bind(listen.addr).await.map_err(err)?;
            let local = socket.local_addr().map_err(err)?;
            (Bound::Udp(socket), local)
        }
        transport => {
            let listener = TcpListener::bind(listen.addr).await.map_err(err)?;
            let local = listener.local_addr().map_err(err)?;
            let bound = match (transport, tls) {
                (Transport::Tls, Some(acceptor)) => Bound::Tls(listener, acceptor.clone()),
                (Transport::Tls, None) => {
                    return Err(err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "no TLS certificate",
                    )));
                }
                (Transport::Ws, _) => Bound::Ws(listener),
                _ => Bound::Tcp(listener),
            };
            (bound, local)
        }
    };
    Ok((
        bound,
        ListenAddr {
            transport: listen.transport,
            addr: local,
        },
    ))
}

/// Serves a bound listener until `shutdown` turns true.
pub(crate) async fn serve(
    bound: Bound,
    local: ListenAddr,
    service: Arc<SipService>,
    calls: Arc<CallCenter>,
    mut shutdown: watch::Receiver<bool>,
) {
    info!(listen = %local, "SIP listener started");
    let stream = |listener, kind| {
        serve_streams(
            listener,
            kind,
            local.addr,
            Arc::clone(&service),
            Arc::clone(&calls),
            shutdown.clone(),
        )
    };
    match bound {
        Bound::Udp(socket) => {
            let socket = Arc::new(socket);
            calls.udp_ready(Arc::clone(&socket), local.addr);
            tokio::select! {
                () = serve_udp(&socket, local.addr, &service, &calls) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        Bound::Tcp(listener) => {
            tokio::select! {
                () = stream(listener, StreamKind::Tcp) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        Bound::Tls(listener, acceptor) => {
            tokio::select! {
                () = stream(listener, StreamKind::Tls(acceptor)) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        Bound::Ws(listener) => {
            tokio::select! {
                () = stream(listener, StreamKind::Ws) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
    }
    info!(listen = %local, "SIP listener stopped");
}

async fn serve_udp(
    socket: &Arc<UdpSocket>,
    local: SocketAddr,
    service: &SipService,
    calls: &Arc<CallCenter>,
) {
    let counters = &service.counters;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((len, peer)) => {
                counters.datagrams.fetch_add(1, Ordering::Relaxed);
                counters.bytes.fetch_add(len as u64, Ordering::Relaxed);
                let data = buf.get(..len).unwrap_or_default();
                log_message("udp", peer, data);
                let path = SipPath {
                    socket: Arc::clone(socket),
                    local,
                    peer,
                    stream: None,
                };
                let reply = match calls.route(data, &path) {
                    Routed::Taken => continue,
                    Routed::UnknownNumber => service.not_found(data, peer),
                    Routed::Reply(bytes) => Some(bytes),
                    Routed::Stateless => service.answer(data, "udp", peer),
                };
                if let Some(reply) = reply
                    && let Err(e) = socket.send_to(&reply, peer).await
                {
                    debug!(%peer, error = %e, "UDP send failed");
                }
            }
            Err(e) => {
                // ICMP port unreachable surfaces here on some systems; keep serving.
                debug!(error = %e, "UDP receive error");
            }
        }
    }
}

/// What runs over an accepted TCP connection.
#[derive(Clone)]
enum StreamKind {
    /// SIP framed by Content-Length (RFC 3261 §18.3).
    Tcp,
    /// The same inside TLS.
    Tls(TlsAcceptor),
    /// One SIP message per WebSocket message, subprotocol `sip` (RFC 7118).
    Ws,
}

impl StreamKind {
    fn transport(&self) -> Transport {
        match self {
            Self::Tcp => Transport::Tcp,
            Self::Tls(_) => Transport::Tls,
            Self::Ws => Transport::Ws,
        }
    }
}

/// One connection's side of the call center: where it is, and its writer's queue.
struct Connection<'a> {
    transport: Transport,
    local: SocketAddr,
    peer: SocketAddr,
    service: &'a SipService,
    calls: &'a Arc<CallCenter>,
    out: mpsc::Sender<Vec<u8>>,
}

impl Connection<'_> {
    /// One complete SIP message from the peer: to a call, or answered statelessly; the answer
    /// (if any) is queued for the writer.
    async fn take(&self, message: &[u8]) -> bool {
        let name = self.transport.prefix();
        log_message(name, self.peer, message);
        // The call center's own legs go out over UDP.
        let routed = self.calls.udp().map(|(socket, udp_local)| {
            self.calls.route(
                message,
                &SipPath {
                    socket,
                    local: udp_local,
                    peer: self.peer,
                    stream: Some(StreamPath {
                        tx: self.out.clone(),
                        local: self.local,
                        transport: self.transport,
                    }),
                },
            )
        });
        let reply = match routed {
            Some(Routed::Taken) => None,
            Some(Routed::UnknownNumber) => self.service.not_found(message, self.peer),
            Some(Routed::Reply(bytes)) => Some(bytes),
            Some(Routed::Stateless) | None => self.service.answer(message, name, self.peer),
        };
        match reply {
            Some(reply) => self.out.send(reply).await.is_ok(),
            None => true,
        }
    }

    /// Whether a call is using this connection (its writer's queue is shared).
    fn in_call(&self) -> bool {
        self.out.strong_count() > 1
    }
}

async fn serve_streams(
    listener: TcpListener,
    kind: StreamKind,
    local: SocketAddr,
    service: Arc<SipService>,
    calls: Arc<CallCenter>,
    shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, for example: back off instead of spinning.
                warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            warn!(%peer, limit = MAX_TCP_CONNECTIONS, "too many SIP TCP connections; refusing");
            drop(stream);
            continue;
        };
        service
            .counters
            .tcp_connections
            .fetch_add(1, Ordering::Relaxed);
        let service = Arc::clone(&service);
        let calls = Arc::clone(&calls);
        let mut shutdown = shutdown.clone();
        let kind = kind.clone();
        tokio::spawn(async move {
            // Everything for this peer — answers, and the messages of its calls — goes out
            // through one bounded queue to one writer.
            let (out, queued) = mpsc::channel(TCP_OUT_DEPTH);
            let conn = Connection {
                transport: kind.transport(),
                local,
                peer,
                service: &service,
                calls: &calls,
                out,
            };
            tokio::select! {
                () = run_connection(stream, kind, conn, queued) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
            drop(permit);
        });
    }
}

/// Runs one accepted connection: the TLS or WebSocket handshake (bounded by
/// [`HANDSHAKE_TIME`]), then its reader here and its writer as a task of its own, which ends
/// once the calls on the connection have ended too.
async fn run_connection(
    stream: tokio::net::TcpStream,
    kind: StreamKind,
    conn: Connection<'_>,
    queued: mpsc::Receiver<Vec<u8>>,
) {
    let peer = conn.peer;
    match kind {
        StreamKind::Tcp => {
            let (reader, writer) = stream.into_split();
            tokio::spawn(write_queued(writer, queued));
            read_stream(reader, conn).await;
        }
        StreamKind::Tls(acceptor) => {
            match tokio::time::timeout(HANDSHAKE_TIME, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let (reader, writer) = tokio::io::split(tls);
                    tokio::spawn(write_queued(writer, queued));
                    read_stream(reader, conn).await;
                }
                Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => debug!(%peer, "TLS handshake too slow"),
            }
        }
        StreamKind::Ws => {
            let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .max_message_size(Some(MAX_TCP_BUFFER))
                .max_frame_size(Some(MAX_TCP_BUFFER));
            let handshake = tokio_tungstenite::accept_hdr_async_with_config(
                stream,
                ws_subprotocol,
                Some(config),
            );
            match tokio::time::timeout(HANDSHAKE_TIME, handshake).await {
                Ok(Ok(ws)) => {
                    let (sink, messages) = ws.split();
                    tokio::spawn(write_ws(sink, queued));
                    read_ws(messages, conn).await;
                }
                Ok(Err(e)) => debug!(%peer, error = %e, "WebSocket handshake failed"),
                Err(_) => debug!(%peer, "WebSocket handshake too slow"),
            }
        }
    }
}

/// Sends what is queued for a WebSocket connection, one SIP message per text frame.
async fn write_ws<S>(mut sink: S, mut queued: mpsc::Receiver<Vec<u8>>)
where
    S: futures_util::Sink<WsMessage> + Unpin,
{
    while let Some(bytes) = queued.recv().await {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if sink.send(WsMessage::text(text)).await.is_err() {
            return;
        }
    }
}

/// Reads SIP messages from a WebSocket until it closes, errs, or stays idle (with no call).
async fn read_ws<S>(mut messages: S, conn: Connection<'_>)
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    let peer = conn.peer;
    loop {
        let next = match tokio::time::timeout(TCP_IDLE, messages.next()).await {
            Err(_) if conn.in_call() => continue,
            Err(_) => {
                debug!(%peer, "SIP WebSocket idle; closing");
                return;
            }
            Ok(None) => return,
            Ok(Some(Err(e))) => {
                debug!(%peer, error = %e, "SIP WebSocket read error");
                return;
            }
            Ok(Some(Ok(m))) => m,
        };
        let bytes = match next {
            WsMessage::Text(t) => t.as_bytes().to_vec(),
            WsMessage::Binary(b) => b.to_vec(),
            WsMessage::Close(_) => return,
            _ => continue,
        };
        conn.service
            .counters
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        // A keep-alive (CRLF) carries no message.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !conn.take(&bytes).await {
            return;
        }
    }
}

/// Reads SIP messages framed by Content-Length from a TCP (or TLS) stream.
async fn read_stream(mut stream: impl tokio::io::AsyncRead + Unpin, conn: Connection<'_>) {
    let peer = conn.peer;
    let counters = &conn.service.counters;
    debug!(%peer, transport = conn.transport.prefix(), "SIP connection opened");
    let mut buf = vec![0u8; MAX_TCP_BUFFER];
    let mut filled = 0;
    let mut framer = Framer::new(MAX_TCP_BUFFER, sambung_sip::framing::DEFAULT_MAX_HEADERS);
    loop {
        // Hand every complete message in the buffer on, then drain it.
        loop {
            let pending = buf.get(..filled).unwrap_or_default();
            let len = match framer.frame(pending) {
                Ok(Frame::NeedMore) => break,
                Ok(Frame::KeepAlive { len, ping }) => {
                    if ping && conn.out.send(b"\r\n".to_vec()).await.is_err() {
                        return;
                    }
                    len
                }
                Ok(Frame::Complete { len }) => {
                    let message = pending.get(..len).unwrap_or_default().to_vec();
                    if !conn.take(&message).await {
                        return;
                    }
                    len
                }
                Err(e) => {
                    counters.parse_errors.fetch_add(1, Ordering::Relaxed);
                    warn!(%peer, error = %e, "SIP stream cannot be framed; closing");
                    return;
                }
            };
            buf.copy_within(len..filled, 0);
            filled -= len;
        }
        let Some(space) = buf.get_mut(filled..).filter(|s| !s.is_empty()) else {
            warn!(%peer, limit = MAX_TCP_BUFFER, "SIP stream buffer full without a complete message; closing");
            return;
        };
        match tokio::time::timeout(TCP_IDLE, stream.read(space)).await {
            // A call on this connection keeps it open, however quiet.
            Err(_) if conn.in_call() => {}
            Err(_) => {
                debug!(%peer, "SIP connection idle; closing");
                return;
            }
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "SIP stream read error");
                return;
            }
            Ok(Ok(0)) => {
                debug!(%peer, "SIP connection closed by peer");
                return;
            }
            Ok(Ok(n)) => {
                counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                filled += n;
            }
        }
    }
}

/// Logs the first line of what arrived, escaped and shortened: it is untrusted input.
fn log_message(transport: &str, peer: SocketAddr, data: &[u8]) {
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let shown: String = String::from_utf8_lossy(
        first
            .get(..LOGGED_LINE.min(first.len()))
            .unwrap_or_default(),
    )
    .escape_debug()
    .collect();
    info!(transport, %peer, bytes = data.len(), first_line = %shown, "SIP message received");
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nTo: <sip:1500112@127.0.0.1>\r\nFrom: <sip:ping@127.0.0.1>;tag=a\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

    fn service() -> SipService {
        let passwords = BTreeMap::from([("1001".to_owned(), "secret".to_owned())]);
        SipService::new(
            "bnpt.local",
            passwords,
            [7; 32],
            Arc::default(),
            SavedLocations::in_memory(),
        )
    }

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5070))
    }

    #[test]
    fn options_gets_200_with_the_request_headers_copied() {
        let service = service();
        let reply = service.answer(OPTIONS, "udp", peer()).unwrap();
        let m = Message::parse(&reply).unwrap();
        assert_eq!(m.status(), Some(200));
        assert_eq!(m.call_id(), "c1");
        assert_eq!(m.via().branch(), Some("z9hG4bK1"));
        assert_eq!(m.from().tag(), Some("a"));
        assert!(m.to().tag().is_some());
        // The same request retransmitted gets the same To tag.
        let again = service.answer(OPTIONS, "udp", peer()).unwrap();
        assert_eq!(Message::parse(&again).unwrap().to().tag(), m.to().tag());
    }

    #[test]
    fn other_requests_get_503_acks_and_garbage_nothing() {
        let service = service();
        let counters = &service.counters;
        let invite = String::from_utf8_lossy(OPTIONS).replace("OPTIONS", "INVITE");
        let reply = service.answer(invite.as_bytes(), "udp", peer()).unwrap();
        let m = Message::parse(&reply).unwrap();
        assert_eq!(m.status(), Some(503));
        assert!(m.header(HeaderName::RetryAfter).is_some());
        let ack = String::from_utf8_lossy(OPTIONS).replace("OPTIONS", "ACK");
        assert!(service.answer(ack.as_bytes(), "udp", peer()).is_none());
        assert!(service.answer(b"\xff\x00garbage", "udp", peer()).is_none());
        assert_eq!(counters.parse_errors.load(Ordering::Relaxed), 1);
        assert_eq!(counters.responses_sent.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn wrong_pins_are_limited_like_wrong_passwords() {
        let service = service();
        let source = peer().ip();
        for _ in 0..MAX_AUTH_FAILURES {
            assert!(!service.secret_guesses_blocked(source, "1001"));
            service.secret_guessed(source, "1001", false);
        }
        assert!(service.secret_guesses_blocked(source, "1001"));
    }

    #[test]
    fn a_call_to_an_unknown_number_is_not_found() {
        let service = service();
        let invite = String::from_utf8_lossy(OPTIONS).replace("OPTIONS", "INVITE");
        let reply = service.not_found(invite.as_bytes(), peer()).unwrap();
        assert_eq!(Message::parse(&reply).unwrap().status(), Some(404));
        assert!(service.not_found(b"garbage", peer()).is_none());
    }

    const REGISTER: &str = "REGISTER sip:bnpt.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr1\r\nMax-Forwards: 70\r\nTo: <sip:1001@bnpt.local>\r\nFrom: <sip:1001@bnpt.local>;tag=r\r\nCall-ID: reg1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5070>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n";

    fn with_auth(challenge: &[u8], password: &str, cseq: u32) -> String {
        let m = Message::parse(challenge).unwrap();
        let c = m.www_authenticate().next().unwrap();
        let auth = sambung_sip::auth::authorize(
            &c,
            "REGISTER",
            "sip:bnpt.local",
            "1001",
            password,
            "cn",
            1,
        )
        .unwrap();
        REGISTER
            .replace("CSeq: 1", &format!("CSeq: {cseq}"))
            .replace("Contact:", &format!("Authorization: {auth}\r\nContact:"))
    }

    #[test]
    fn register_is_challenged_then_bound_with_the_right_password_only() {
        let service = service();
        let challenge = service.answer(REGISTER.as_bytes(), "udp", peer()).unwrap();
        let m = Message::parse(&challenge).unwrap();
        assert_eq!(m.status(), Some(401));
        let ok = service
            .answer(with_auth(&challenge, "secret", 2).as_bytes(), "udp", peer())
            .unwrap();
        let ok = Message::parse(&ok).unwrap();
        assert_eq!(ok.status(), Some(200));
        let contact = ok.header(HeaderName::Contact).unwrap().value().into_owned();
        assert!(contact.contains("sip:1001@127.0.0.1:5070"), "{contact}");
        let wrong = service
            .answer(with_auth(&challenge, "guess", 3).as_bytes(), "udp", peer())
            .unwrap();
        assert_eq!(Message::parse(&wrong).unwrap().status(), Some(403));
    }

    #[test]
    fn repeated_failures_lock_the_source_out() {
        let service = service();
        let challenge = service.answer(REGISTER.as_bytes(), "udp", peer()).unwrap();
        for n in 0..MAX_AUTH_FAILURES {
            let r = service
                .answer(
                    with_auth(&challenge, "guess", n + 2).as_bytes(),
                    "udp",
                    peer(),
                )
                .unwrap();
            assert_eq!(Message::parse(&r).unwrap().status(), Some(403));
        }
        // Now even the right password is refused from this source.
        let r = service
            .answer(
                with_auth(&challenge, "secret", 99).as_bytes(),
                "udp",
                peer(),
            )
            .unwrap();
        assert_eq!(Message::parse(&r).unwrap().status(), Some(403));
    }
}
