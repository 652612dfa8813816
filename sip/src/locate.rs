//! Locating SIP servers (RFC 3263): from a URI to the transports, addresses and ports to try,
//! in order — NAPTR, then SRV, then A/AAAA — for trunks named by domain.
//!
//! The algorithm is written against the [`Dns`] trait, so it is tested with fixed answers;
//! `HickoryDns` (feature `dns`) answers from the network through `hickory-resolver`.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use sambung_sip::Uri;
//! use sambung_sip::locate::{locate, StaticDns, Transport};
//! let mut dns = StaticDns::default();
//! dns.add_srv("_sip._udp.trunk.example", 10, 60, 5062, "edge1.trunk.example");
//! dns.add_ip("edge1.trunk.example", "192.0.2.10".parse().unwrap());
//! let uri = Uri::parse(b"sip:trunk.example").unwrap();
//! let targets = locate(&dns, &uri).await.unwrap();
//! assert_eq!(targets[0].transport, Transport::Udp);
//! assert_eq!(targets[0].addr, "192.0.2.10:5062".parse().unwrap());
//! # });
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::uri::{Host, Uri};

/// A transport a target is reached over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    fn from_param(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "udp" => Some(Self::Udp),
            "tcp" => Some(Self::Tcp),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Tls => 5061,
            _ => 5060,
        }
    }

    /// The SRV name prefix (`_sip._udp`, `_sip._tcp`, `_sips._tcp`).
    fn srv_prefix(self) -> &'static str {
        match self {
            Self::Udp => "_sip._udp",
            Self::Tcp => "_sip._tcp",
            Self::Tls => "_sips._tcp",
        }
    }

    /// The NAPTR service field (`SIP+D2U`, `SIP+D2T`, `SIPS+D2T`).
    fn naptr_service(self) -> &'static str {
        match self {
            Self::Udp => "SIP+D2U",
            Self::Tcp => "SIP+D2T",
            Self::Tls => "SIPS+D2T",
        }
    }
}

/// One place to send a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// How.
    pub transport: Transport,
    /// Where.
    pub addr: SocketAddr,
    /// The host name it came from (for TLS server names), or the address as text.
    pub host: String,
}

/// A NAPTR record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    /// Order (lowest first).
    pub order: u16,
    /// Preference within an order (lowest first).
    pub preference: u16,
    /// Flags (`s` for an SRV replacement).
    pub flags: String,
    /// Service (`SIP+D2U`…).
    pub service: String,
    /// The replacement name.
    pub replacement: String,
}

/// An SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    /// Priority (lowest first).
    pub priority: u16,
    /// Weight within a priority.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host.
    pub target: String,
}

/// Why location failed (an empty answer is not a failure: it is an empty list).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    /// The URI is not `sip:` or `sips:`.
    #[error("not a SIP URI")]
    NotSip,
    /// The DNS could not be asked (no server answered, or it failed).
    #[error("DNS failure: {0}")]
    Dns(String),
}

/// Answers to the three DNS questions RFC 3263 asks. Names without records give empty lists.
pub trait Dns {
    /// NAPTR records of `name`.
    fn naptr(&self, name: &str) -> impl Future<Output = Result<Vec<Naptr>, LocateError>>;
    /// SRV records of `name`.
    fn srv(&self, name: &str) -> impl Future<Output = Result<Vec<Srv>, LocateError>>;
    /// A and AAAA records of `name`.
    fn ips(&self, name: &str) -> impl Future<Output = Result<Vec<IpAddr>, LocateError>>;
}

/// Most targets returned: a hostile zone cannot make us try thousands.
pub const MAX_TARGETS: usize = 32;
/// Most SRV names followed from NAPTR records: each is a DNS lookup, and a zone could list
/// thousands.
const MAX_SRV_NAMES: usize = 8;
/// Most address lookups for SRV targets: a zone could list thousands of SRV records whose
/// targets have no address, and each is a DNS lookup that adds no target.
const MAX_ADDRESS_LOOKUPS: usize = MAX_TARGETS;

/// The targets for `uri`, in the order to try them (RFC 3263 §4): a numeric host or a port
/// goes straight to that address; a `transport` parameter picks the transport and its SRV;
/// otherwise NAPTR chooses among the transports we support, then SRV, then A/AAAA on the
/// default port. SRV records of one priority are tried heaviest first.
pub async fn locate<D: Dns>(dns: &D, uri: &Uri<'_>) -> Result<Vec<Target>, LocateError> {
    let sip = uri.as_sip().ok_or(LocateError::NotSip)?;
    let secure = sip.is_secure();
    let named = sip
        .params()
        .get("transport")
        .flatten()
        .and_then(Transport::from_param);
    let maddr = sip.params().get("maddr").flatten();
    let host = match (maddr, sip.host()) {
        (Some(m), _) => m.to_owned(),
        (None, Host::Name(n)) => n.to_owned(),
        (None, Host::V4(ip)) => ip.to_string(),
        (None, Host::V6(ip)) => ip.to_string(),
    };
    let default_transport = if secure {
        Transport::Tls
    } else {
        Transport::Udp
    };
    // §4.1–4.2: a numeric address, or an explicit port, skip NAPTR and SRV.
    if let Ok(ip) = host.parse::<IpAddr>() {
        let transport = named.unwrap_or(default_transport);
        let port = sip.port().unwrap_or(transport.default_port());
        return Ok(vec![Target {
            transport,
            addr: SocketAddr::new(ip, port),
            host,
        }]);
    }
    if let Some(port) = sip.port() {
        let transport = named.unwrap_or(default_transport);
        return addresses(dns, &host, port, transport).await;
    }
    // §4.1: the transport — named, or from NAPTR, or each in turn by SRV.
    let mut srv_names: Vec<(Transport, String)> = Vec::new();
    if let Some(t) = named {
        srv_names.push((t, format!("{}.{host}", t.srv_prefix())));
    } else {
        let mut naptrs: Vec<Naptr> = dns
            .naptr(&host)
            .await?
            .into_iter()
            .filter(|n| n.flags.eq_ignore_ascii_case("s"))
            .collect();
        naptrs.sort_by_key(|n| (n.order, n.preference));
        for n in &naptrs {
            let supported = [Transport::Udp, Transport::Tcp, Transport::Tls]
                .into_iter()
                .find(|t| t.naptr_service().eq_ignore_ascii_case(&n.service));
            let name = n.replacement.trim_end_matches('.');
            if let Some(t) = supported
                && (!secure || t == Transport::Tls)
                && !srv_names
                    .iter()
                    .any(|(_, known)| known.eq_ignore_ascii_case(name))
            {
                srv_names.push((t, name.to_owned()));
                if srv_names.len() == MAX_SRV_NAMES {
                    break;
                }
            }
        }
        if naptrs.is_empty() {
            let order: &[Transport] = if secure {
                &[Transport::Tls]
            } else {
                &[Transport::Udp, Transport::Tcp, Transport::Tls]
            };
            for &t in order {
                srv_names.push((t, format!("{}.{host}", t.srv_prefix())));
            }
        }
    }
    let mut targets = Vec::new();
    let mut lookups = 0;
    'names: for (transport, name) in srv_names {
        let mut records = dns.srv(&name).await?;
        // RFC 2782: by priority; within one, heavier first (deterministic here, so that the
        // same zone gives the same order; weight 0 last).
        records.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(b.weight.cmp(&a.weight))
                .then(a.target.cmp(&b.target))
        });
        for r in records {
            let target = r.target.trim_end_matches('.');
            if target.is_empty() {
                // "." means: no service here.
                continue;
            }
            if lookups == MAX_ADDRESS_LOOKUPS {
                break 'names;
            }
            lookups += 1;
            targets.extend(addresses(dns, target, r.port, transport).await?);
            if targets.len() >= MAX_TARGETS {
                targets.truncate(MAX_TARGETS);
                return Ok(targets);
            }
        }
    }
    if targets.is_empty() {
        // §4.2: no NAPTR or SRV: the host's addresses on the default port.
        let transport = named.unwrap_or(default_transport);
        targets = addresses(dns, &host, transport.default_port(), transport).await?;
    }
    targets.truncate(MAX_TARGETS);
    Ok(targets)
}

async fn addresses<D: Dns>(
    dns: &D,
    host: &str,
    port: u16,
    transport: Transport,
) -> Result<Vec<Target>, LocateError> {
    let ips = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => dns.ips(host).await?,
    };
    Ok(ips
        .into_iter()
        .take(MAX_TARGETS)
        .map(|ip| Target {
            transport,
            addr: SocketAddr::new(ip, port),
            host: host.to_owned(),
        })
        .collect())
}

/// Fixed answers, for tests and for deployments without DNS (a trunk pinned by address).
#[derive(Debug, Clone, Default)]
pub struct StaticDns {
    naptr: HashMap<String, Vec<Naptr>>,
    srv: HashMap<String, Vec<Srv>>,
    ips: HashMap<String, Vec<IpAddr>>,
}

impl StaticDns {
    /// Adds a NAPTR record with flag `s`.
    pub fn add_naptr(
        &mut self,
        name: &str,
        order: u16,
        preference: u16,
        service: &str,
        replacement: &str,
    ) {
        self.naptr
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(Naptr {
                order,
                preference,
                flags: "s".into(),
                service: service.into(),
                replacement: replacement.into(),
            });
    }

    /// Adds an SRV record.
    pub fn add_srv(&mut self, name: &str, priority: u16, weight: u16, port: u16, target: &str) {
        self.srv
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(Srv {
                priority,
                weight,
                port,
                target: target.into(),
            });
    }

    /// Adds an address.
    pub fn add_ip(&mut self, name: &str, ip: IpAddr) {
        self.ips
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(ip);
    }
}

impl Dns for StaticDns {
    async fn naptr(&self, name: &str) -> Result<Vec<Naptr>, LocateError> {
        Ok(self
            .naptr
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
    async fn srv(&self, name: &str) -> Result<Vec<Srv>, LocateError> {
        Ok(self
            .srv
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
    async fn ips(&self, name: &str) -> Result<Vec<IpAddr>, LocateError> {
        Ok(self
            .ips
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(feature = "dns")]
pub use hickory::HickoryDns;

#[cfg(feature = "dns")]
mod hickory {
    use std::net::{IpAddr, SocketAddr};

    use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use hickory_resolver::proto::rr::{RData, RecordType};
    use hickory_resolver::{ResolveError, TokioResolver};

    use super::{Dns, LocateError, Naptr, Srv};

    /// DNS through `hickory-resolver`: the system's resolvers, or given name servers.
    #[derive(Debug, Clone)]
    pub struct HickoryDns {
        resolver: TokioResolver,
    }

    impl HickoryDns {
        /// The resolvers of `/etc/resolv.conf`.
        pub fn from_system() -> Result<Self, LocateError> {
            let builder =
                TokioResolver::builder_tokio().map_err(|e| LocateError::Dns(e.to_string()))?;
            Ok(Self {
                resolver: builder.build(),
            })
        }

        /// These name servers, over UDP (and TCP for long answers).
        pub fn with_servers(servers: &[SocketAddr]) -> Self {
            let mut group = NameServerConfigGroup::new();
            for s in servers {
                group.merge(NameServerConfigGroup::from_ips_clear(
                    &[s.ip()],
                    s.port(),
                    true,
                ));
            }
            let config = ResolverConfig::from_parts(None, vec![], group);
            Self {
                resolver: TokioResolver::builder_with_config(
                    config,
                    TokioConnectionProvider::default(),
                )
                .build(),
            }
        }
    }

    /// "No records" is an empty answer, not a failure.
    fn empty_or<T>(e: &ResolveError) -> Result<Vec<T>, LocateError> {
        if e.is_no_records_found() || e.is_nx_domain() {
            Ok(Vec::new())
        } else {
            Err(LocateError::Dns(e.to_string()))
        }
    }

    fn fqdn(name: &str) -> String {
        if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        }
    }

    impl Dns for HickoryDns {
        async fn naptr(&self, name: &str) -> Result<Vec<Naptr>, LocateError> {
            match self.resolver.lookup(fqdn(name), RecordType::NAPTR).await {
                Ok(lookup) => Ok(lookup
                    .iter()
                    .filter_map(|r| match r {
                        RData::NAPTR(n) => Some(Naptr {
                            order: n.order(),
                            preference: n.preference(),
                            flags: String::from_utf8_lossy(n.flags()).into_owned(),
                            service: String::from_utf8_lossy(n.services()).into_owned(),
                            replacement: n.replacement().to_utf8(),
                        }),
                        _ => None,
                    })
                    .collect()),
                Err(e) => empty_or(&e),
            }
        }

        async fn srv(&self, name: &str) -> Result<Vec<Srv>, LocateError> {
            match self.resolver.srv_lookup(fqdn(name)).await {
                Ok(lookup) => Ok(lookup
                    .iter()
                    .map(|s| Srv {
                        priority: s.priority(),
                        weight: s.weight(),
                        port: s.port(),
                        target: s.target().to_utf8(),
                    })
                    .collect()),
                Err(e) => empty_or(&e),
            }
        }

        async fn ips(&self, name: &str) -> Result<Vec<IpAddr>, LocateError> {
            match self.resolver.lookup_ip(fqdn(name)).await {
                Ok(lookup) => Ok(lookup.iter().collect()),
                Err(e) => empty_or(&e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn targets(dns: &StaticDns, uri: &str) -> Vec<(Transport, String)> {
        let uri = Uri::parse(uri.as_bytes()).unwrap();
        run(locate(dns, &uri))
            .unwrap()
            .into_iter()
            .map(|t| (t.transport, t.addr.to_string()))
            .collect()
    }

    fn zone() -> StaticDns {
        let mut dns = StaticDns::default();
        // NAPTR prefers TCP, then UDP; SRV gives two servers for TCP at different priorities.
        dns.add_naptr(
            "trunk.example",
            10,
            50,
            "SIP+D2T",
            "_sip._tcp.trunk.example.",
        );
        dns.add_naptr(
            "trunk.example",
            20,
            50,
            "SIP+D2U",
            "_sip._udp.trunk.example.",
        );
        dns.add_naptr(
            "trunk.example",
            5,
            50,
            "SIP+D2X",
            "_sip._sctp.trunk.example.",
        );
        dns.add_srv(
            "_sip._tcp.trunk.example",
            20,
            0,
            5070,
            "backup.trunk.example.",
        );
        dns.add_srv(
            "_sip._tcp.trunk.example",
            10,
            10,
            5060,
            "edge1.trunk.example.",
        );
        dns.add_srv(
            "_sip._tcp.trunk.example",
            10,
            90,
            5060,
            "edge2.trunk.example.",
        );
        dns.add_srv(
            "_sip._udp.trunk.example",
            10,
            0,
            5060,
            "edge1.trunk.example.",
        );
        dns.add_ip("edge1.trunk.example", "192.0.2.1".parse().unwrap());
        dns.add_ip("edge2.trunk.example", "192.0.2.2".parse().unwrap());
        dns.add_ip("backup.trunk.example", "2001:db8::9".parse().unwrap());
        dns.add_ip("plain.example", "192.0.2.50".parse().unwrap());
        dns.add_srv(
            "_sips._tcp.secure.example",
            1,
            1,
            5061,
            "tls.secure.example",
        );
        dns.add_ip("tls.secure.example", "192.0.2.61".parse().unwrap());
        dns
    }

    #[test]
    fn naptr_then_srv_by_priority_and_weight_then_addresses() {
        let t = targets(&zone(), "sip:trunk.example");
        assert_eq!(
            t,
            [
                (Transport::Tcp, "192.0.2.2:5060".into()),
                (Transport::Tcp, "192.0.2.1:5060".into()),
                (Transport::Tcp, "[2001:db8::9]:5070".into()),
                (Transport::Udp, "192.0.2.1:5060".into()),
            ]
        );
    }

    #[test]
    fn numeric_hosts_ports_and_transport_parameters_short_circuit() {
        let dns = zone();
        assert_eq!(
            targets(&dns, "sip:192.0.2.7"),
            [(Transport::Udp, "192.0.2.7:5060".into())]
        );
        assert_eq!(
            targets(&dns, "sips:[2001:db8::1]"),
            [(Transport::Tls, "[2001:db8::1]:5061".into())]
        );
        assert_eq!(
            targets(&dns, "sip:plain.example:5080;transport=tcp"),
            [(Transport::Tcp, "192.0.2.50:5080".into())]
        );
        assert_eq!(
            targets(&dns, "sip:trunk.example;transport=udp"),
            [(Transport::Udp, "192.0.2.1:5060".into())]
        );
        assert_eq!(
            targets(&dns, "sip:x@trunk.example;maddr=192.0.2.99"),
            [(Transport::Udp, "192.0.2.99:5060".into())]
        );
    }

    #[test]
    fn without_naptr_each_srv_is_tried_and_then_plain_addresses() {
        let dns = zone();
        assert_eq!(
            targets(&dns, "sips:secure.example"),
            [(Transport::Tls, "192.0.2.61:5061".into())]
        );
        assert_eq!(
            targets(&dns, "sip:plain.example"),
            [(Transport::Udp, "192.0.2.50:5060".into())]
        );
        assert!(targets(&dns, "sip:nowhere.example").is_empty());
        let tel = Uri::parse(b"tel:+62215551234").unwrap();
        assert_eq!(run(locate(&dns, &tel)), Err(LocateError::NotSip));
    }

    #[test]
    fn a_hostile_zone_is_bounded() {
        let mut dns = StaticDns::default();
        for i in 0..1000u16 {
            dns.add_srv(
                "_sip._udp.big.example",
                1,
                i,
                5060,
                &format!("h{i}.big.example"),
            );
            dns.add_ip(&format!("h{i}.big.example"), "192.0.2.1".parse().unwrap());
        }
        assert_eq!(targets(&dns, "sip:big.example").len(), MAX_TARGETS);
        // Thousands of NAPTR records: only the first few replacements are looked up.
        let mut naptrs = StaticDns::default();
        for i in 0..5000u16 {
            naptrs.add_naptr(
                "many.example",
                i,
                0,
                "SIP+D2U",
                &format!("_sip._udp.n{i}.example"),
            );
            naptrs.add_srv(
                &format!("_sip._udp.n{i}.example"),
                1,
                1,
                5060,
                &format!("n{i}.example"),
            );
            naptrs.add_ip(&format!("n{i}.example"), "192.0.2.1".parse().unwrap());
        }
        assert_eq!(targets(&naptrs, "sip:many.example").len(), MAX_SRV_NAMES);
    }

    /// Counts the address lookups it answers.
    struct CountingDns(StaticDns, std::cell::Cell<usize>);

    impl Dns for CountingDns {
        async fn naptr(&self, name: &str) -> Result<Vec<Naptr>, LocateError> {
            self.0.naptr(name).await
        }
        async fn srv(&self, name: &str) -> Result<Vec<Srv>, LocateError> {
            self.0.srv(name).await
        }
        async fn ips(&self, name: &str) -> Result<Vec<IpAddr>, LocateError> {
            self.1.set(self.1.get() + 1);
            self.0.ips(name).await
        }
    }

    #[test]
    fn srv_targets_without_addresses_cost_a_bounded_number_of_lookups() {
        let mut zone = StaticDns::default();
        for i in 0..5000u16 {
            zone.add_srv(
                "_sip._udp.empty.example",
                1,
                1,
                5060,
                &format!("e{i}.example"),
            );
        }
        let dns = CountingDns(zone, std::cell::Cell::new(0));
        let uri = Uri::parse(b"sip:empty.example").unwrap();
        assert_eq!(run(locate(&dns, &uri)), Ok(Vec::new()));
        // The bounded SRV lookups, then the host's own addresses as the last resort.
        assert_eq!(dns.1.get(), MAX_ADDRESS_LOOKUPS + 1);
    }
}
