//! Listening addresses as written on the command line and in the configuration:
//! `udp:127.0.0.1:5060`, `tcp:[::1]:5060`, `tls:…`, `ws:…`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A SIP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Transport {
    /// RFC 3261 over UDP.
    Udp,
    /// RFC 3261 over TCP.
    Tcp,
    /// SIP over TLS.
    Tls,
    /// SIP over WebSocket, RFC 7118.
    Ws,
}

impl Transport {
    /// The name in Via headers (`SIP/2.0/TCP`).
    pub(crate) fn via_name(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
            Self::Ws => "WS",
        }
    }

    /// The prefix of a listening address, and the `transport=` URI parameter.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
            Self::Ws => "ws",
        }
    }
}

/// A transport and a socket address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ListenAddr {
    pub(crate) transport: Transport,
    pub(crate) addr: SocketAddr,
}

/// Why a listening address is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ListenAddrError {
    /// No `udp:`/`tcp:`/`tls:`/`ws:` prefix.
    #[error("expected a transport prefix udp:, tcp:, tls: or ws: before the address")]
    MissingTransport,
    /// The prefix is not a known transport.
    #[error("unknown transport {0:?}; expected udp, tcp, tls or ws")]
    UnknownTransport(String),
    /// The address part is not `IP:port`.
    #[error("{0:?} is not an IP address and port such as 127.0.0.1:5060 or [::1]:5060")]
    BadSocketAddr(String),
}

impl FromStr for ListenAddr {
    type Err = ListenAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (prefix, rest) = s.split_once(':').ok_or(ListenAddrError::MissingTransport)?;
        let transport = match prefix.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            "ws" => Transport::Ws,
            // `127.0.0.1:5060` with no prefix splits at the port.
            p if p.parse::<std::net::IpAddr>().is_ok() || p.starts_with('[') => {
                return Err(ListenAddrError::MissingTransport);
            }
            other => {
                return Err(ListenAddrError::UnknownTransport(
                    other.chars().take(16).collect(),
                ));
            }
        };
        let addr = parse_socket_addr(rest)?;
        Ok(Self { transport, addr })
    }
}

/// Parses `IP:port`, keeping the input (shortened) in the error.
pub(crate) fn parse_socket_addr(s: &str) -> Result<SocketAddr, ListenAddrError> {
    s.parse()
        .map_err(|_| ListenAddrError::BadSocketAddr(s.chars().take(64).collect()))
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport.prefix(), self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_transport_and_ipv6() {
        let a: ListenAddr = "udp:127.0.0.1:5060".parse().unwrap();
        assert_eq!(a.transport, Transport::Udp);
        assert_eq!(a.to_string(), "udp:127.0.0.1:5060");
        let b: ListenAddr = "TCP:[::1]:5061".parse().unwrap();
        assert_eq!(b.to_string(), "tcp:[::1]:5061");
        assert_eq!(
            "ws:127.0.0.1:8088".parse::<ListenAddr>().unwrap().transport,
            Transport::Ws
        );
    }

    #[test]
    fn errors_say_what_is_missing() {
        assert_eq!(
            "127.0.0.1:5060".parse::<ListenAddr>(),
            Err(ListenAddrError::MissingTransport)
        );
        assert_eq!(
            "5060".parse::<ListenAddr>(),
            Err(ListenAddrError::MissingTransport)
        );
        assert!(matches!(
            "sctp:127.0.0.1:5060".parse::<ListenAddr>(),
            Err(ListenAddrError::UnknownTransport(t)) if t == "sctp"
        ));
        assert!(matches!(
            "udp:localhost:5060".parse::<ListenAddr>(),
            Err(ListenAddrError::BadSocketAddr(_))
        ));
    }
}
