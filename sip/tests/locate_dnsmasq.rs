//! RFC 3263 location through hickory-resolver against a real DNS server: dnsmasq on loopback
//! serving NAPTR, SRV and A records for a trunk's domain. dnsmasq is required in CI
//! (scripts/test installs it) and the test is skipped elsewhere when it is missing.
#![cfg(feature = "dns")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sambung_sip::Uri;
use sambung_sip::locate::{Dns, HickoryDns, Transport, locate};

struct Dnsmasq(Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dnsmasq_path() -> Option<&'static str> {
    let found = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "dnsmasq is not installed"
    );
    found
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
#[expect(
    clippy::disallowed_methods,
    reason = "a real server on loopback is waited for in real time"
)]
async fn naptr_srv_and_addresses_from_dnsmasq() {
    let Some(dnsmasq) = dnsmasq_path() else {
        return;
    };
    let port = free_udp_port();
    let _server = Dnsmasq(
        Command::new(dnsmasq)
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                "--user=root",
                "--pid-file=",
            ])
            .arg(format!("--port={port}"))
            .args([
                "--naptr-record=trunk.test,10,50,s,SIP+D2T,,_sip._tcp.trunk.test",
                "--naptr-record=trunk.test,20,50,s,SIP+D2U,,_sip._udp.trunk.test",
                "--srv-host=_sip._tcp.trunk.test,edge2.trunk.test,5070,10,90",
                "--srv-host=_sip._tcp.trunk.test,edge1.trunk.test,5060,10,10",
                "--srv-host=_sip._udp.trunk.test,edge1.trunk.test,5060,20,0",
                "--host-record=edge1.trunk.test,127.0.0.11",
                "--host-record=edge2.trunk.test,127.0.0.12",
                "--host-record=plain.test,127.0.0.13",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let dns = HickoryDns::with_servers(&[server]);
    // Wait for dnsmasq to answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while dns
        .ips("plain.test")
        .await
        .map(|v| v.is_empty())
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "dnsmasq did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uri = Uri::parse(b"sip:trunk.test").unwrap();
    let targets: Vec<(Transport, String)> = locate(&dns, &uri)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.transport, t.addr.to_string()))
        .collect();
    assert_eq!(
        targets,
        [
            (Transport::Tcp, "127.0.0.12:5070".to_owned()),
            (Transport::Tcp, "127.0.0.11:5060".to_owned()),
            (Transport::Udp, "127.0.0.11:5060".to_owned()),
        ]
    );
    // No NAPTR or SRV: the address on the default port.
    let plain = locate(&dns, &Uri::parse(b"sip:plain.test").unwrap())
        .await
        .unwrap();
    assert_eq!(plain[0].addr, "127.0.0.13:5060".parse().unwrap());
    // A name with nothing: an empty list, not an error.
    let none = locate(&dns, &Uri::parse(b"sip:missing.test").unwrap())
        .await
        .unwrap();
    assert!(none.is_empty());
}
