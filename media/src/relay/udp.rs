//! The relay's tokio driver: each bridged call gets a UDP socket per leg (RTP and RTCP
//! multiplexed, RFC 5761) and a task that waits on both and hands every datagram to its
//! [`Bridge`]. The task owns the bridge: no locks on the packet path.
//!
//! A socket here carries one call leg, one packet every 20 ms, so there is nothing for
//! `recvmmsg`/`sendmmsg` to batch on it; the kernel's per-socket buffers are raised instead so
//! that a scheduling hiccup does not lose packets.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Bridge, BridgeStats, Side};

/// Socket buffer asked of the kernel per leg (it may give less).
const SOCKET_BUFFER: usize = 256 * 1024;
/// Largest datagram read.
const MAX_DATAGRAM: usize = 2048;

/// Allocates relay ports and starts bridged calls.
#[derive(Debug)]
pub struct UdpRelay {
    ip: IpAddr,
    ports: Option<(u16, u16)>,
    next: AtomicU32,
}

/// What a running call's task is told.
#[derive(Debug)]
enum Control {
    SetRemote(Side, SocketAddr),
}

/// A call whose media the relay is carrying.
#[derive(Debug)]
pub struct RelayedCall {
    /// The relay's address for leg A (goes into the SDP sent to A).
    pub a: SocketAddr,
    /// The relay's address for leg B.
    pub b: SocketAddr,
    control: mpsc::Sender<Control>,
    forwarded: Arc<AtomicU64>,
    task: JoinHandle<Bridge>,
}

impl UdpRelay {
    /// A relay on `ip` with ports the operating system chooses.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            ports: None,
            next: AtomicU32::new(0),
        }
    }

    /// A relay on `ip` with ports from `first` to `last` (for firewall rules), used round
    /// robin; ports in use are skipped.
    pub fn with_ports(ip: IpAddr, first: u16, last: u16) -> Self {
        Self {
            ip,
            ports: Some((first.min(last), first.max(last))),
            next: AtomicU32::new(0),
        }
    }

    fn socket(&self, port: u16) -> io::Result<UdpSocket> {
        let addr = SocketAddr::new(self.ip, port);
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )?;
        // Best effort: the kernel caps these at its own maximum.
        let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
        let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        UdpSocket::from_std(socket.into())
    }

    fn bind(&self) -> io::Result<UdpSocket> {
        let Some((first, last)) = self.ports else {
            return self.socket(0);
        };
        let span = u32::from(last - first) + 1;
        let mut error = io::Error::new(io::ErrorKind::AddrInUse, "relay port range exhausted");
        for _ in 0..span {
            let offset = self.next.fetch_add(1, Ordering::Relaxed) % span;
            let port = first + u16::try_from(offset).unwrap_or(0);
            match self.socket(port) {
                Ok(socket) => return Ok(socket),
                Err(e) => error = e,
            }
        }
        Err(error)
    }

    /// Starts carrying `bridge`'s media: binds a socket per leg and spawns the call's task on
    /// the current tokio runtime.
    pub fn start(&self, bridge: Bridge) -> io::Result<RelayedCall> {
        let a = self.bind()?;
        let b = self.bind()?;
        let (a_addr, b_addr) = (a.local_addr()?, b.local_addr()?);
        let (control, commands) = mpsc::channel(8);
        let forwarded = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(bridge, a, b, commands, Arc::clone(&forwarded)));
        Ok(RelayedCall {
            a: a_addr,
            b: b_addr,
            control,
            forwarded,
            task,
        })
    }
}

impl RelayedCall {
    /// Packets forwarded so far, both directions.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::Relaxed)
    }

    /// Tells the relay where a leg's media goes (from an SDP answer or a re-INVITE).
    pub async fn set_remote(&self, side: Side, remote: SocketAddr) -> io::Result<()> {
        self.control
            .send(Control::SetRemote(side, remote))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "relay task ended"))
    }

    /// Stops the call's media and gives its final counts.
    pub async fn stop(self) -> io::Result<BridgeStats> {
        drop(self.control);
        self.task
            .await
            .map(|bridge| bridge.stats())
            .map_err(io::Error::other)
    }
}

async fn run(
    mut bridge: Bridge,
    a: UdpSocket,
    b: UdpSocket,
    mut commands: mpsc::Receiver<Control>,
    forwarded: Arc<AtomicU64>,
) -> Bridge {
    let mut in_a = vec![0u8; MAX_DATAGRAM];
    let mut in_b = vec![0u8; MAX_DATAGRAM];
    let mut out = Vec::with_capacity(MAX_DATAGRAM);
    loop {
        let (side, received) = tokio::select! {
            command = commands.recv() => match command {
                Some(Control::SetRemote(side, remote)) => {
                    bridge.set_remote(side, remote);
                    continue;
                }
                None => break,
            },
            r = a.recv_from(&mut in_a) => (Side::A, r),
            r = b.recv_from(&mut in_b) => (Side::B, r),
        };
        // An error here is an ICMP report of an earlier send (port unreachable): the call goes
        // on, as it would if the packet had been lost.
        let Ok((len, from)) = received else { continue };
        let (datagram, socket) = match side {
            Side::A => (&in_a[..len], &b),
            Side::B => (&in_b[..len], &a),
        };
        if let Some(to) = bridge.on_datagram(side, from, datagram, &mut out)
            && socket.send_to(&out, to).await.is_ok()
        {
            forwarded.fetch_add(1, Ordering::Relaxed);
        }
    }
    bridge
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::{Encoding, LegMedia};

    fn rtp(pt: u8, seq: u16) -> Vec<u8> {
        let mut out = Vec::new();
        crate::rtp::RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 1,
        }
        .write(&[0xFF; 160], &mut out);
        out
    }

    #[tokio::test]
    async fn carries_a_transcoded_call_both_ways_over_loopback() {
        let caller = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let agent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let relay = UdpRelay::with_ports("127.0.0.1".parse().unwrap(), 42000, 42999);
        let bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(caller.local_addr().unwrap()),
            LegMedia::new(8, Encoding::Pcma),
        )
        .unwrap();
        let call = relay.start(bridge).unwrap();
        assert!((42000..=42999).contains(&call.a.port()));
        // The agent's address arrives later, with its answer.
        call.set_remote(Side::B, agent.local_addr().unwrap())
            .await
            .unwrap();
        let mut buf = [0u8; 2048];
        for seq in 0..20u16 {
            caller.send_to(&rtp(0, seq), call.a).await.unwrap();
            let (n, from) = agent.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, call.b);
            assert_eq!((buf[1] & 0x7F, buf[12]), (8, 0xD5));
            assert_eq!(n, 172);
            agent.send_to(&rtp(8, seq), call.b).await.unwrap();
            let (_, from) = caller.recv_from(&mut buf).await.unwrap();
            assert_eq!((from, buf[1] & 0x7F), (call.a, 0));
        }
        // Junk on the caller's port is counted, and the call carries on.
        caller.send_to(b"junk", call.a).await.unwrap();
        caller.send_to(&rtp(0, 99), call.a).await.unwrap();
        agent.recv_from(&mut buf).await.unwrap();
        assert_eq!(call.forwarded(), 41);
        let stats = call.stop().await.unwrap();
        assert_eq!(stats.forwarded, [21, 20]);
        assert_eq!((stats.malformed, stats.transcoded), (1, 41));
    }
}
