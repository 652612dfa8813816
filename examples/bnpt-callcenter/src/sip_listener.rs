//! The SIP listeners: UDP sockets and TCP accept loops.
//!
//! Until `sambung-sip` parses messages, a listener receives, bounds and logs what arrives
//! (source, size, and the first line, escaped) and counts it for `/healthz`. Every buffer is
//! bounded: a datagram is read into 64 KiB, a TCP connection may hold at most
//! [`MAX_TCP_BUFFER`] unread bytes and stay idle [`TCP_IDLE`], and at most
//! [`MAX_TCP_CONNECTIONS`] connections are open at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Semaphore, watch};
use tracing::{debug, info, warn};

use crate::listen::{ListenAddr, Transport};

/// Largest UDP datagram.
const MAX_DATAGRAM: usize = 65_535;
/// Most bytes held for one TCP connection before it is closed.
pub(crate) const MAX_TCP_BUFFER: usize = 64 * 1024;
/// Idle time after which a TCP connection is closed.
pub(crate) const TCP_IDLE: Duration = Duration::from_secs(120);
/// Most TCP connections open at once.
pub(crate) const MAX_TCP_CONNECTIONS: usize = 1024;
/// How much of a first line goes into a log line.
const LOGGED_LINE: usize = 120;

/// Traffic counters, shared with the HTTP side.
#[derive(Debug, Default)]
pub(crate) struct SipCounters {
    pub(crate) datagrams: AtomicU64,
    pub(crate) tcp_connections: AtomicU64,
    pub(crate) bytes: AtomicU64,
}

/// A bound listener, ready to serve.
pub(crate) enum Bound {
    Udp(UdpSocket),
    Tcp(TcpListener),
}

/// Why a listener could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for SIP on {addr}")]
pub(crate) struct BindError {
    addr: ListenAddr,
    #[source]
    source: std::io::Error,
}

/// Binds one listening address. Returns the address actually bound (port 0 resolved).
pub(crate) async fn bind(listen: ListenAddr) -> Result<(Bound, ListenAddr), BindError> {
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
        Transport::Tcp => {
            let listener = TcpListener::bind(listen.addr).await.map_err(err)?;
            let local = listener.local_addr().map_err(err)?;
            (Bound::Tcp(listener), local)
        }
        Transport::Tls | Transport::Ws => {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "transport not served yet",
            )));
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
    counters: Arc<SipCounters>,
    mut shutdown: watch::Receiver<bool>,
) {
    info!(listen = %local, "SIP listener started");
    match bound {
        Bound::Udp(socket) => {
            tokio::select! {
                () = serve_udp(&socket, &counters) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        Bound::Tcp(listener) => {
            tokio::select! {
                () = serve_tcp(&listener, counters, shutdown.clone()) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
    }
    info!(listen = %local, "SIP listener stopped");
}

async fn serve_udp(socket: &UdpSocket, counters: &SipCounters) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((len, peer)) => {
                counters.datagrams.fetch_add(1, Ordering::Relaxed);
                counters.bytes.fetch_add(len as u64, Ordering::Relaxed);
                log_message("udp", peer, buf.get(..len).unwrap_or_default());
            }
            // ICMP port-unreachable and the like surface here on some systems; keep serving.
            Err(e) => debug!(error = %e, "UDP receive error"),
        }
    }
}

async fn serve_tcp(
    listener: &TcpListener,
    counters: Arc<SipCounters>,
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
        counters.tcp_connections.fetch_add(1, Ordering::Relaxed);
        let counters = Arc::clone(&counters);
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = read_connection(stream, peer, &counters) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
            drop(permit);
        });
    }
}

async fn read_connection(mut stream: TcpStream, peer: SocketAddr, counters: &SipCounters) {
    debug!(%peer, "SIP TCP connection opened");
    let mut buf = vec![0u8; MAX_TCP_BUFFER];
    let mut filled = 0;
    loop {
        let Some(space) = buf.get_mut(filled..).filter(|s| !s.is_empty()) else {
            warn!(%peer, limit = MAX_TCP_BUFFER, "SIP TCP buffer full without a complete message; closing");
            return;
        };
        match tokio::time::timeout(TCP_IDLE, stream.read(space)).await {
            Err(_) => {
                debug!(%peer, "SIP TCP connection idle; closing");
                return;
            }
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "SIP TCP read error");
                return;
            }
            Ok(Ok(0)) => {
                debug!(%peer, "SIP TCP connection closed by peer");
                return;
            }
            Ok(Ok(n)) => {
                counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                if filled == 0 {
                    log_message("tcp", peer, buf.get(..n).unwrap_or_default());
                }
                filled += n;
                // Messages are delimited by the parser, which is not here yet: the buffer is
                // drained at each blank line so a well-behaved peer never fills it.
                if let Some(end) = find_blank_line(buf.get(..filled).unwrap_or_default()) {
                    buf.copy_within(end..filled, 0);
                    filled -= end;
                }
            }
        }
    }
}

fn find_blank_line(data: &[u8]) -> Option<usize> {
    data.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
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

    #[test]
    fn blank_line_ends_a_header_block() {
        assert_eq!(
            find_blank_line(b"OPTIONS sip:a SIP/2.0\r\n\r\nrest"),
            Some(25)
        );
        assert_eq!(find_blank_line(b"OPTIONS sip:a SIP/2.0\r\n"), None);
    }
}
