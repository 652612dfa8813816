//! SIP transports behind one trait, driven by tokio (feature `tokio`): UDP, TCP, TLS
//! (rustls), WebSocket and secure WebSocket (RFC 7118).
//!
//! A [`Transport`] is bound from a [`ListenAddr`] (`udp:127.0.0.1:5060`, `tcp:…`, `tls:…`,
//! `ws:…`, `wss:…`) and run with a channel: every message that arrives is handed over as an
//! [`Inbound`] — the bytes of one whole message and the [`Peer`] it came from, through which
//! the answer goes back (on the same connection for streams, RFC 3261 §18.2.2). The protocol
//! logic stays sans-IO; this module only moves bytes.
//!
//! Hostile peers are bounded ([`Limits`]): a datagram is read into 64 KiB; a stream is framed
//! by [`Framer`] with at most `max_message` buffered bytes; handshakes
//! and idle connections time out; at most `max_connections` streams are open at once and at
//! most `per_source` from one address; each connection queues at most `queue` outgoing
//! messages (a peer that stops reading loses messages, it never stalls the sender). Double-CRLF
//! keep-alives on streams are answered with a CRLF (RFC 5626 §3.5.1).
//!
//! ```no_run
//! use sambung_sip::transport::{Limits, ListenAddr, bind};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let addr: ListenAddr = "udp:127.0.0.1:5060".parse().expect("a listen address");
//! let transport = bind(&addr, None, Limits::default()).await?;
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! tokio::spawn(transport.run(tx));
//! while let Some(inbound) = rx.recv().await {
//!     // parse inbound.bytes, answer through inbound.peer.send(...)
//!     let _ = inbound.peer.send(b"SIP/2.0 200 OK\r\n\r\n".to_vec());
//! }
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

use crate::framing::{DEFAULT_MAX_HEADERS, Frame, Framer};

/// Largest UDP datagram read.
const MAX_DATAGRAM: usize = 65_535;

/// Which transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// UDP datagrams.
    Udp,
    /// TCP, framed by Content-Length.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (RFC 7118): one SIP message per WebSocket message.
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl Kind {
    /// The Via transport token (`UDP`, `TCP`, `TLS`, `WS`, `WSS`).
    pub fn via_token(self) -> &'static str {
        match self {
            Kind::Udp => "UDP",
            Kind::Tcp => "TCP",
            Kind::Tls => "TLS",
            Kind::Ws => "WS",
            Kind::Wss => "WSS",
        }
    }

    /// Whether the transport retransmits by itself (everything but UDP).
    pub fn is_reliable(self) -> bool {
        self != Kind::Udp
    }

    /// Whether it needs a TLS certificate.
    pub fn is_secure(self) -> bool {
        matches!(self, Kind::Tls | Kind::Wss)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// Where to listen: `udp:IP:PORT`, `tcp:…`, `tls:…`, `ws:…` or `wss:…` (IPv6 as `[::1]:5060`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr {
    /// The transport.
    pub kind: Kind,
    /// The address.
    pub addr: SocketAddr,
}

/// A listen address that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not TRANSPORT:IP:PORT with TRANSPORT one of udp, tcp, tls, ws, wss")]
pub struct BadListenAddr(pub String);

impl FromStr for ListenAddr {
    type Err = BadListenAddr;

    fn from_str(s: &str) -> Result<Self, BadListenAddr> {
        let bad = || BadListenAddr(s.to_owned());
        let (kind, addr) = s.split_once(':').ok_or_else(bad)?;
        let kind = match kind.to_ascii_lowercase().as_str() {
            "udp" => Kind::Udp,
            "tcp" => Kind::Tcp,
            "tls" => Kind::Tls,
            "ws" => Kind::Ws,
            "wss" => Kind::Wss,
            _ => return Err(bad()),
        };
        let addr = addr.parse().map_err(|_| bad())?;
        Ok(Self { kind, addr })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.kind.via_token().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// Bounds on what peers may make a transport hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message on a stream, and the most bytes buffered for one connection.
    pub max_message: usize,
    /// Most stream connections open at once.
    pub max_connections: usize,
    /// Most stream connections from one IP address.
    pub per_source: usize,
    /// Longest a TLS or WebSocket handshake may take.
    pub handshake: Duration,
    /// A connection silent this long is closed.
    pub idle: Duration,
    /// Outgoing messages queued per connection.
    pub queue: usize,
}

impl Default for Limits {
    /// 64 KiB messages, 1,024 connections (64 per address), 10 s handshakes, 2 minutes of
    /// silence, 64 queued messages.
    fn default() -> Self {
        Self {
            max_message: 64 * 1024,
            max_connections: 1024,
            per_source: 64,
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(120),
            queue: 64,
        }
    }
}

#[derive(Debug, Clone)]
enum Route {
    Datagram(Arc<UdpSocket>),
    Stream(mpsc::Sender<Vec<u8>>),
}

/// Where a message came from, and the way back to it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The transport it came over.
    pub kind: Kind,
    /// The peer's address (the source of the datagram or connection).
    pub addr: SocketAddr,
    /// Our address it arrived at.
    pub local: SocketAddr,
    route: Route,
}

impl Peer {
    /// Sends `bytes` back to the peer (a datagram to its address, or on its connection);
    /// `false` when the connection is gone or its queue is full. Never waits.
    pub fn send(&self, bytes: Vec<u8>) -> bool {
        match &self.route {
            Route::Datagram(socket) => socket.try_send_to(&bytes, self.addr).is_ok(),
            Route::Stream(tx) => tx.try_send(bytes).is_ok(),
        }
    }
}

/// One whole message that arrived.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Its bytes (a datagram, a framed stream message, or a WebSocket message).
    pub bytes: Vec<u8>,
    /// Who sent it.
    pub peer: Peer,
}

/// A bound listener: run it to receive.
pub trait Transport: Send {
    /// Which transport it is.
    fn kind(&self) -> Kind;
    /// The address it listens on (with the port the system chose for port 0).
    fn local_addr(&self) -> SocketAddr;
    /// Receives until `inbound` is closed, handing every message over.
    fn run(
        self: Box<Self>,
        inbound: mpsc::Sender<Inbound>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// The socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Io {
        /// Where.
        addr: ListenAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `tls:` and `wss:` need a server certificate.
    #[error("{0} needs a TLS certificate")]
    NoCertificate(ListenAddr),
}

/// Binds `addr`. `tls` is the server configuration for `tls:` and `wss:` (ignored otherwise).
pub async fn bind(
    addr: &ListenAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
) -> Result<Box<dyn Transport>, BindError> {
    let io = |source| BindError::Io {
        addr: *addr,
        source,
    };
    if addr.kind == Kind::Udp {
        let socket = UdpSocket::bind(addr.addr).await.map_err(io)?;
        let local = socket.local_addr().map_err(io)?;
        return Ok(Box::new(UdpTransport {
            socket: Arc::new(socket),
            local,
        }));
    }
    let acceptor = if addr.kind.is_secure() {
        Some(TlsAcceptor::from(
            tls.ok_or(BindError::NoCertificate(*addr))?,
        ))
    } else {
        None
    };
    let listener = TcpListener::bind(addr.addr).await.map_err(io)?;
    let local = listener.local_addr().map_err(io)?;
    Ok(Box::new(StreamTransport {
        kind: addr.kind,
        listener,
        local,
        acceptor,
        limits,
    }))
}

struct UdpTransport {
    socket: Arc<UdpSocket>,
    local: SocketAddr,
}

impl Transport for UdpTransport {
    fn kind(&self) -> Kind {
        Kind::Udp
    }

    fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn run(
        self: Box<Self>,
        inbound: mpsc::Sender<Inbound>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            loop {
                let (n, from) = tokio::select! {
                    () = inbound.closed() => return,
                    got = self.socket.recv_from(&mut buf) => match got {
                        Ok(got) => got,
                        // ICMP errors for earlier sends surface here on some systems.
                        Err(_) => continue,
                    },
                };
                let Some(data) = buf.get(..n) else { continue };
                // A keep-alive datagram (CRLF) carries no message.
                if data.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let message = Inbound {
                    bytes: data.to_vec(),
                    peer: Peer {
                        kind: Kind::Udp,
                        addr: from,
                        local: self.local,
                        route: Route::Datagram(Arc::clone(&self.socket)),
                    },
                };
                // A full inbound queue drops the datagram, as a full socket buffer would.
                if let Err(mpsc::error::TrySendError::Closed(_)) = inbound.try_send(message) {
                    return;
                }
            }
        })
    }
}

struct StreamTransport {
    kind: Kind,
    listener: TcpListener,
    local: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    limits: Limits,
}

/// Open connections per source address.
type PerSource = Arc<Mutex<HashMap<IpAddr, usize>>>;

impl Transport for StreamTransport {
    fn kind(&self) -> Kind {
        self.kind
    }

    fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn run(
        self: Box<Self>,
        inbound: mpsc::Sender<Inbound>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let slots = Arc::new(Semaphore::new(self.limits.max_connections));
            let per_source: PerSource = Arc::default();
            loop {
                let (stream, addr) = tokio::select! {
                    () = inbound.closed() => return,
                    got = self.listener.accept() => match got {
                        Ok(got) => got,
                        Err(_) => {
                            // Out of file descriptors, say: wait rather than spin.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    continue; // too many connections: this one is closed at once
                };
                let Some(source) = SourceSlot::take(&per_source, addr.ip(), self.limits.per_source)
                else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let connection = Connection {
                    kind: self.kind,
                    addr,
                    local: self.local,
                    limits: self.limits,
                    inbound: inbound.clone(),
                };
                let acceptor = self.acceptor.clone();
                tokio::spawn(async move {
                    connection.run(stream, acceptor).await;
                    drop(source);
                    drop(slot);
                });
            }
        })
    }
}

/// One connection counted against its source address until dropped.
struct SourceSlot {
    map: PerSource,
    ip: IpAddr,
}

impl SourceSlot {
    fn take(map: &PerSource, ip: IpAddr, max: usize) -> Option<Self> {
        let mut open = map.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Self {
            map: Arc::clone(map),
            ip,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut open = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

struct Connection {
    kind: Kind,
    addr: SocketAddr,
    local: SocketAddr,
    limits: Limits,
    inbound: mpsc::Sender<Inbound>,
}

impl Connection {
    async fn run(self, stream: TcpStream, acceptor: Option<TlsAcceptor>) {
        let (tx, rx) = mpsc::channel(self.limits.queue.max(1));
        let peer = Peer {
            kind: self.kind,
            addr: self.addr,
            local: self.local,
            route: Route::Stream(tx),
        };
        match (self.kind, acceptor) {
            (Kind::Tcp, _) => self.framed(stream, peer, rx).await,
            (Kind::Ws, _) => self.websocket(stream, peer, rx).await,
            (Kind::Tls | Kind::Wss, Some(acceptor)) => {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(self.limits.handshake, acceptor.accept(stream)).await
                else {
                    return;
                };
                if self.kind == Kind::Tls {
                    self.framed(tls, peer, rx).await;
                } else {
                    self.websocket(tls, peer, rx).await;
                }
            }
            _ => {}
        }
    }

    /// TCP and TLS: messages framed by Content-Length.
    async fn framed<S>(&self, stream: S, peer: Peer, rx: mpsc::Receiver<Vec<u8>>)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (mut reader, writer) = tokio::io::split(stream);
        tokio::spawn(write_queued(writer, rx));
        let max = self.limits.max_message.max(1024);
        let mut buf = vec![0u8; max];
        let mut filled = 0;
        let mut framer = Framer::new(max, DEFAULT_MAX_HEADERS);
        loop {
            loop {
                let pending = buf.get(..filled).unwrap_or_default();
                let len = match framer.frame(pending) {
                    Ok(Frame::NeedMore) => break,
                    Ok(Frame::KeepAlive { len, ping }) => {
                        if ping {
                            let _ = peer.send(b"\r\n".to_vec());
                        }
                        len
                    }
                    Ok(Frame::Complete { len }) => {
                        let message = Inbound {
                            bytes: pending.get(..len).unwrap_or_default().to_vec(),
                            peer: peer.clone(),
                        };
                        if self.inbound.send(message).await.is_err() {
                            return;
                        }
                        len
                    }
                    // Unframeable (no Content-Length, too large): RFC 3261 §18.3 closes.
                    Err(_) => return,
                };
                buf.copy_within(len..filled, 0);
                filled -= len;
            }
            let Some(space) = buf.get_mut(filled..).filter(|s| !s.is_empty()) else {
                return;
            };
            match tokio::time::timeout(self.limits.idle, reader.read(space)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => return,
                Ok(Ok(n)) => filled += n,
            }
        }
    }

    /// WS and WSS: one SIP message per WebSocket message.
    async fn websocket<S>(&self, stream: S, peer: Peer, mut rx: mpsc::Receiver<Vec<u8>>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(self.limits.max_message))
            .max_frame_size(Some(self.limits.max_message));
        let handshake =
            tokio_tungstenite::accept_hdr_async_with_config(stream, ws_subprotocol, Some(config));
        let Ok(Ok(ws)) = tokio::time::timeout(self.limits.handshake, handshake).await else {
            return;
        };
        let (mut sink, mut messages) = ws.split();
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if sink.send(WsMessage::text(text)).await.is_err() {
                    return;
                }
            }
        });
        loop {
            let Ok(Some(Ok(next))) = tokio::time::timeout(self.limits.idle, messages.next()).await
            else {
                return;
            };
            let bytes = match next {
                WsMessage::Text(t) => t.as_bytes().to_vec(),
                WsMessage::Binary(b) => b.to_vec(),
                WsMessage::Close(_) => return,
                _ => continue,
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let message = Inbound {
                bytes,
                peer: peer.clone(),
            };
            if self.inbound.send(message).await.is_err() {
                return;
            }
        }
    }
}

/// Writes what is queued for a connection until every sender is gone or a write fails.
pub async fn write_queued(
    mut writer: impl AsyncWrite + Unpin,
    mut queued: mpsc::Receiver<Vec<u8>>,
) {
    while let Some(bytes) = queued.recv().await {
        if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
            return;
        }
    }
}

/// RFC 7118 §4: the client asks for the `sip` subprotocol, and the answer names it; a
/// handshake without it is refused with 400. The callback for tungstenite's
/// `accept_hdr_async`.
#[expect(
    clippy::result_large_err,
    reason = "the handshake callback's signature is tungstenite's"
)]
pub fn ws_subprotocol(
    request: &Request,
    mut response: Response,
) -> Result<Response, ErrorResponse> {
    let asks_sip = request
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("sip"));
    if !asks_sip {
        let mut refusal = ErrorResponse::new(Some(
            "the sip subprotocol is required (RFC 7118)".to_owned(),
        ));
        *refusal.status_mut() = StatusCode::BAD_REQUEST;
        return Err(refusal);
    }
    response
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static("sip"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse_and_print() {
        let a: ListenAddr = "tls:[::1]:5061".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.kind, Kind::Tls);
        assert_eq!(a.to_string(), "tls:[::1]:5061");
        assert!("sctp:127.0.0.1:5060".parse::<ListenAddr>().is_err());
        assert!("udp:localhost:5060".parse::<ListenAddr>().is_err());
        assert!("udp".parse::<ListenAddr>().is_err());
    }

    #[tokio::test]
    async fn udp_and_tcp_carry_messages_and_answers() {
        let options = b"OPTIONS sip:u@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        let (tx, mut rx) = mpsc::channel(16);
        for spec in ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"] {
            let addr: ListenAddr = spec.parse().unwrap_or_else(|e| panic!("{e}"));
            let t = bind(&addr, None, Limits::default())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let local = t.local_addr();
            tokio::spawn(t.run(tx.clone()));
            if addr.kind == Kind::Udp {
                let s = UdpSocket::bind("127.0.0.1:0")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                s.send_to(options, local)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let got = rx.recv().await.unwrap_or_else(|| panic!("nothing"));
                assert_eq!(got.bytes, options);
                assert!(got.peer.send(b"SIP/2.0 200 OK\r\n\r\n".to_vec()));
                let mut buf = [0u8; 64];
                let (n, _) = s
                    .recv_from(&mut buf)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(buf[..n].starts_with(b"SIP/2.0 200"));
            } else {
                let mut s = TcpStream::connect(local)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                // A keep-alive ping, then the message in two pieces.
                s.write_all(b"\r\n\r\n")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                s.write_all(&options[..20])
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                s.write_all(&options[20..])
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let got = rx.recv().await.unwrap_or_else(|| panic!("nothing"));
                assert_eq!(got.bytes, options);
                assert_eq!(got.peer.kind, Kind::Tcp);
                assert!(got.peer.send(b"SIP/2.0 200 OK\r\n\r\n".to_vec()));
                let mut buf = [0u8; 64];
                let mut read = 0;
                while read < 2 + 18 {
                    read += s
                        .read(&mut buf[read..])
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                assert_eq!(&buf[..2], b"\r\n", "pong");
                assert!(buf[2..].starts_with(b"SIP/2.0 200"));
            }
        }
    }
}
