//! The configuration: TOML, every key optional, defaults that make up the BNPT demo.
//!
//! Values are validated with Sambung's own types as they are read, so an error names the key
//! (`agents[2].id`) and the reason. Command-line flags override the file.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sambung_core::calendar::{CalendarError, OfficeHours, OfficeHoursConfig};
use sambung_core::ids::{AgentId, QueueId};
use sambung_core::phone::PhoneNumber;
use serde::{Deserialize, Deserializer};

use crate::cli::GlobalArgs;
use crate::listen::{ListenAddr, ListenAddrError, Transport, parse_socket_addr};

/// The documented example configuration; it spells out the built-in defaults.
pub(crate) const EXAMPLE: &str = include_str!("../bnpt-callcenter.example.toml");

/// Largest configuration file read, in bytes.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than any sane configuration.
    #[error("configuration file {} is {size} bytes; at most {MAX_CONFIG_BYTES}", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    /// The file is not valid TOML, or a key has a bad value.
    #[error("{}: key `{key}`", path.display())]
    Parse {
        path: PathBuf,
        key: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value is well-formed but wrong in context.
    #[error("key `{key}`")]
    Invalid {
        key: String,
        #[source]
        reason: Invalid,
    },
}

/// What is wrong with a value in context.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Invalid {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Listen(#[from] ListenAddrError),
    #[error("no SIP listening address")]
    NoSipListener,
    #[error("{value} appears more than once")]
    Duplicate { value: String },
    #[error("queue {queue} is not defined in [[queues]]")]
    UnknownQueue { queue: QueueId },
    #[error(transparent)]
    Priority(#[from] sambung_acd::priority::PriorityError),
    #[error("{0}")]
    OutOfRange(&'static str),
    #[error(transparent)]
    Dispatch(#[from] crate::dispatch::DispatchConfigError),
    #[error(transparent)]
    Flow(#[from] crate::ivr::IvrError),
}

fn invalid(key: impl Into<String>, reason: impl Into<Invalid>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The file's shape. Every section and key may be left out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    pub(crate) data: DataSection,
    pub(crate) sip: SipSection,
    pub(crate) http: HttpSection,
    pub(crate) dashboard: DashboardSection,
    pub(crate) cms: CmsSection,
    pub(crate) crm: CrmSection,
    pub(crate) trunk: TrunkSection,
    pub(crate) logging: LoggingSection,
    pub(crate) office_hours: OfficeHoursConfig,
    pub(crate) dids: Vec<DidConfig>,
    pub(crate) queues: Vec<QueueConfig>,
    pub(crate) agents: Vec<AgentConfig>,
    pub(crate) supervisors: Vec<SupervisorConfig>,
    /// Caller priority in the queues (ACD-3).
    pub(crate) priority: sambung_acd::priority::PriorityRules,
}

/// `[data]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DataSection {
    /// The data folder.
    pub(crate) dir: PathBuf,
}

/// `[sip]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SipSection {
    /// Listening addresses with transport prefixes.
    #[serde(deserialize_with = "listen_addrs")]
    pub(crate) listen: Vec<ListenAddr>,
    /// The digest authentication realm phones register in.
    pub(crate) realm: String,
    /// PEM certificate (chain) and private key for `tls:` listeners; empty: a self-signed
    /// pair made in the data folder's `tls/`.
    pub(crate) tls_cert: String,
    pub(crate) tls_key: String,
}

/// `[http]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct HttpSection {
    /// Listening address of the dashboard, API and `/healthz`.
    pub(crate) listen: SocketAddr,
    /// Mark session cookies `Secure` (set when the pages are served over HTTPS, e.g. behind a
    /// TLS reverse proxy).
    pub(crate) cookie_secure: bool,
    /// A file whose first line is the first admin's password (read only while there is no
    /// account); empty: a one-time password is generated and printed once.
    pub(crate) admin_password_file: String,
}

/// `[dashboard]`: the real-time views (CMS-3, CMS-4, CMS-7).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DashboardSection {
    /// Seconds between pushes to the dashboard and wallboard, 1 to 5.
    pub(crate) refresh_seconds: u64,
    /// A queue's service level below this (0–1) is highlighted.
    pub(crate) service_level_alert: f64,
    /// A queue's abandon rate above this (0–1) is highlighted.
    pub(crate) abandon_rate_alert: f64,
    /// More callers waiting than this is highlighted.
    pub(crate) waiting_alert: u64,
    /// An agent not ready longer than this many seconds is highlighted.
    pub(crate) not_ready_alert_seconds: u64,
}

/// `[cms]`: how the figures are counted (CMS-5).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CmsSection {
    /// Length of a historical interval in minutes: 5, 10, 15, 20, 30 or 60.
    pub(crate) interval_minutes: u64,
    /// Calls answered within this many seconds count towards the service level.
    pub(crate) service_level_seconds: u64,
}

impl Default for CmsSection {
    fn default() -> Self {
        Self {
            interval_minutes: 15,
            service_level_seconds: 20,
        }
    }
}

impl CmsSection {
    /// The CMS projection's settings.
    pub(crate) fn cms_config(&self) -> sambung_acd::cms::CmsConfig {
        sambung_acd::cms::CmsConfig {
            interval: std::time::Duration::from_secs(self.interval_minutes * 60),
            service_level_threshold: std::time::Duration::from_secs(self.service_level_seconds),
            ..sambung_acd::cms::CmsConfig::default()
        }
    }
}

/// `[crm]`: the complaint report form and ticket dispatch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CrmSection {
    /// Complaint categories an agent picks from.
    pub(crate) categories: Vec<String>,
    /// Service types an agent picks from.
    pub(crate) services: Vec<String>,
    /// Hours of office time (see `[office_hours]`) a ticket may stay unclosed before its SLA
    /// is breached.
    pub(crate) sla_hours: u64,
    /// The back office's e-mail addresses tickets are dispatched to (empty: no e-mail).
    pub(crate) dispatch_to: Vec<String>,
    /// The sender of those e-mails.
    pub(crate) mail_from: String,
    /// The SMTP relay (plain SMTP, on the LAN).
    pub(crate) smtp_host: String,
    pub(crate) smtp_port: u16,
    /// An `http://` URL tickets are sent to with a signed POST (empty: no webhook).
    pub(crate) webhook_url: String,
    /// Dispatch every ticket when it is filed (otherwise on request).
    pub(crate) dispatch_on_create: bool,
}

/// `[trunk]`: the SIP trunk to the carrier (PBX-2): inbound calls to the DIDs come from it,
/// and phones call out through it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TrunkSection {
    /// The carrier's SIP address, `IP:port` over UDP; empty: no trunk, no calls out.
    pub(crate) address: String,
    /// Our digest user name at the carrier (the password is `trunk_password` in
    /// `secrets.toml`); empty for a trunk that knows us by our address.
    pub(crate) username: String,
    /// Register at the carrier every `register_expires` seconds (a registration trunk).
    pub(crate) register: bool,
    pub(crate) register_expires: u32,
    /// The number calls out show (From).
    pub(crate) caller_id: String,
    /// Number prefixes phones may call out to, matched on the E.164 form (`+62…`): everything
    /// else is refused (toll-fraud guard).
    pub(crate) allow: Vec<String>,
}

impl TrunkSection {
    /// The carrier's address, if a trunk is configured.
    pub(crate) fn address(&self) -> Option<SocketAddr> {
        parse_socket_addr(&self.address).ok()
    }

    /// Whether phones may call `number` (E.164 or a short code) out through the trunk.
    pub(crate) fn allows(&self, number: &str) -> bool {
        self.allow.iter().any(|p| number.starts_with(p.as_str()))
    }
}

impl Default for TrunkSection {
    fn default() -> Self {
        Self {
            address: String::new(),
            username: String::new(),
            register: false,
            register_expires: 300,
            caller_id: "1500112".to_owned(),
            allow: vec!["+62".to_owned()],
        }
    }
}

/// `[logging]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LoggingSection {
    /// A `tracing` filter such as `info` or `bnpt_callcenter=debug`; `RUST_LOG` wins.
    pub(crate) filter: String,
}

/// `[[dids]]`: a dialled number the call center answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DidConfig {
    pub(crate) number: PhoneNumber,
    #[serde(default)]
    pub(crate) name: String,
    /// Where its calls queue after the greeting.
    pub(crate) queue: QueueId,
    /// A call flow of its own (TOML, `flows/default.toml`'s format); none: the built-in flow.
    #[serde(default)]
    pub(crate) flow: Option<PathBuf>,
}

/// `[[queues]]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueConfig {
    pub(crate) id: QueueId,
    #[serde(default)]
    pub(crate) name: String,
}

/// `[[agents]]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentConfig {
    pub(crate) id: AgentId,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) queues: Vec<QueueId>,
}

/// `[[supervisors]]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupervisorConfig {
    pub(crate) id: AgentId,
    #[serde(default)]
    pub(crate) name: String,
}

fn listen_addrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ListenAddr>, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    texts
        .iter()
        .map(|t| t.parse().map_err(serde::de::Error::custom))
        .collect()
}

impl Default for DataSection {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("./bnpt-data"),
        }
    }
}

impl Default for SipSection {
    fn default() -> Self {
        let local = SocketAddr::from(([127, 0, 0, 1], 5060));
        Self {
            listen: vec![
                ListenAddr {
                    transport: Transport::Udp,
                    addr: local,
                },
                ListenAddr {
                    transport: Transport::Tcp,
                    addr: local,
                },
            ],
            realm: "bnpt.local".to_owned(),
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cookie_secure: false,
            admin_password_file: String::new(),
        }
    }
}

impl Default for DashboardSection {
    fn default() -> Self {
        Self {
            refresh_seconds: 2,
            service_level_alert: 0.8,
            abandon_rate_alert: 0.1,
            waiting_alert: 5,
            not_ready_alert_seconds: 900,
        }
    }
}

impl Default for CrmSection {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Self {
            categories: list(&[
                "Laporan ancaman",
                "Konten radikal daring",
                "Informasi mencurigakan",
                "Permintaan informasi",
                "Lainnya",
            ]),
            services: list(&["pengaduan", "informasi"]),
            sla_hours: 24,
            dispatch_to: Vec::new(),
            mail_from: "callcenter@bnpt.local".to_owned(),
            smtp_host: "127.0.0.1".to_owned(),
            smtp_port: 25,
            webhook_url: String::new(),
            dispatch_on_create: false,
        }
    }
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            filter: "info".to_owned(),
        }
    }
}

/// The demo: two DIDs, two queues, agents 1001–1005, supervisor 2001, office hours
/// 08:00–17:00 WIB Monday to Friday.
impl Default for RawConfig {
    fn default() -> Self {
        let queue = |id: &str, name: &str| QueueConfig {
            id: demo_id(id),
            name: name.to_owned(),
        };
        let both = vec![demo_id::<QueueId>("pengaduan"), demo_id("informasi")];
        Self {
            data: DataSection::default(),
            sip: SipSection::default(),
            http: HttpSection::default(),
            dashboard: DashboardSection::default(),
            cms: CmsSection::default(),
            crm: CrmSection::default(),
            trunk: TrunkSection::default(),
            logging: LoggingSection::default(),
            office_hours: OfficeHoursConfig::default(),
            dids: vec![
                DidConfig {
                    number: demo_id("1500112"),
                    name: "Nomor akses BNPT".to_owned(),
                    queue: demo_id("pengaduan"),
                    flow: None,
                },
                DidConfig {
                    number: demo_id("08001500112"),
                    name: "Bebas pulsa BNPT".to_owned(),
                    queue: demo_id("pengaduan"),
                    flow: None,
                },
            ],
            queues: vec![
                queue("pengaduan", "Pengaduan masyarakat"),
                queue("informasi", "Layanan informasi"),
            ],
            agents: (1001..=1005)
                .map(|n| AgentConfig {
                    id: demo_id(&n.to_string()),
                    name: format!("Agen {n}"),
                    queues: both.clone(),
                })
                .collect(),
            supervisors: vec![SupervisorConfig {
                id: demo_id("2001"),
                name: "Supervisor".to_owned(),
            }],
            priority: sambung_acd::priority::PriorityRules::default(),
        }
    }
}

/// Parses a value of the built-in demo, which the tests prove valid.
fn demo_id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    #[expect(
        clippy::expect_used,
        reason = "built-in constants, checked by the tests"
    )]
    s.parse().expect("built-in demo value is valid")
}

/// A validated configuration, with command-line overrides applied.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) data_dir: PathBuf,
    pub(crate) sip_listen: Vec<ListenAddr>,
    pub(crate) http_listen: SocketAddr,
    pub(crate) logging: LoggingSection,
    pub(crate) office_hours: OfficeHours,
    pub(crate) raw: RawConfig,
}

impl Config {
    /// Reads `--config` (or takes the defaults), applies the other flags, and validates.
    pub(crate) fn load(args: &GlobalArgs) -> Result<Self, ConfigError> {
        let mut raw = match &args.config {
            Some(path) => read_file(path)?,
            None => RawConfig::default(),
        };
        if let Some(dir) = &args.data {
            raw.data.dir.clone_from(dir);
        }
        if !args.sip_listen.is_empty() {
            raw.sip.listen = args
                .sip_listen
                .iter()
                .map(|s| {
                    s.parse()
                        .map_err(|e: ListenAddrError| invalid("--sip-listen", e))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(http) = &args.http_listen {
            raw.http.listen = parse_socket_addr(http).map_err(|e| invalid("--http-listen", e))?;
        }
        Self::validate(raw)
    }

    /// Checks what the types alone cannot: references, duplicates, served transports.
    pub(crate) fn validate(raw: RawConfig) -> Result<Self, ConfigError> {
        if raw.sip.listen.is_empty() {
            return Err(invalid("sip.listen", Invalid::NoSipListener));
        }
        if raw.sip.tls_cert.is_empty() != raw.sip.tls_key.is_empty() {
            return Err(invalid(
                "sip.tls_cert",
                Invalid::OutOfRange("tls_cert and tls_key go together"),
            ));
        }
        unique("sip.listen", raw.sip.listen.iter().map(ToString::to_string))?;
        unique("queues", raw.queues.iter().map(|q| q.id.to_string()))?;
        unique(
            "dids",
            raw.dids.iter().map(|d| d.number.as_str().to_owned()),
        )?;
        // Agents and supervisors log in with the same kind of ID, so they share one space.
        let login_ids = raw.agents.iter().map(|a| a.id.to_string());
        unique(
            "supervisors",
            login_ids.chain(raw.supervisors.iter().map(|s| s.id.to_string())),
        )?;
        let queues: HashSet<&QueueId> = raw.queues.iter().map(|q| &q.id).collect();
        let known = |key: String, queue: &QueueId| {
            if queues.contains(queue) {
                Ok(())
            } else {
                Err(invalid(
                    key,
                    Invalid::UnknownQueue {
                        queue: queue.clone(),
                    },
                ))
            }
        };
        for (i, did) in raw.dids.iter().enumerate() {
            known(format!("dids[{i}].queue"), &did.queue)?;
        }
        for (i, agent) in raw.agents.iter().enumerate() {
            for (j, queue) in agent.queues.iter().enumerate() {
                known(format!("agents[{i}].queues[{j}]"), queue)?;
            }
        }
        let office_hours =
            OfficeHours::from_config(&raw.office_hours).map_err(|e| invalid("office_hours", e))?;
        sambung_acd::priority::Priorities::new(raw.priority.clone())
            .map_err(|e| invalid("priority", e))?;
        let d = &raw.dashboard;
        if !(1..=5).contains(&d.refresh_seconds) {
            return Err(invalid(
                "dashboard.refresh_seconds",
                Invalid::OutOfRange("must be 1 to 5"),
            ));
        }
        for (key, v) in [
            ("dashboard.service_level_alert", d.service_level_alert),
            ("dashboard.abandon_rate_alert", d.abandon_rate_alert),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(key, Invalid::OutOfRange("must be 0 to 1")));
            }
        }
        if ![5, 10, 15, 20, 30, 60].contains(&raw.cms.interval_minutes) {
            return Err(invalid(
                "cms.interval_minutes",
                Invalid::OutOfRange("must be 5, 10, 15, 20, 30 or 60"),
            ));
        }
        if !(1..=3600).contains(&raw.cms.service_level_seconds) {
            return Err(invalid(
                "cms.service_level_seconds",
                Invalid::OutOfRange("must be 1 to 3600"),
            ));
        }
        crate::dispatch::Dispatcher::new(&raw.crm, "").map_err(|e| invalid("crm", e))?;
        for (i, did) in raw.dids.iter().enumerate() {
            crate::ivr::did_flow(did, &office_hours)
                .map_err(|e| invalid(format!("dids[{i}].flow"), e))?;
        }
        let t = &raw.trunk;
        if !t.address.is_empty() {
            parse_socket_addr(&t.address).map_err(|e| invalid("trunk.address", e))?;
        }
        if t.register && (t.address.is_empty() || t.username.is_empty()) {
            return Err(invalid(
                "trunk.register",
                Invalid::OutOfRange("needs trunk.address and trunk.username"),
            ));
        }
        if !(60..=86_400).contains(&t.register_expires) {
            return Err(invalid(
                "trunk.register_expires",
                Invalid::OutOfRange("must be 60 to 86400"),
            ));
        }
        if t.caller_id.is_empty()
            || t.caller_id
                .bytes()
                .any(|b| !b.is_ascii_alphanumeric() && b != b'+')
        {
            return Err(invalid(
                "trunk.caller_id",
                Invalid::OutOfRange("must be digits, letters or +"),
            ));
        }
        if raw.crm.categories.is_empty() || raw.crm.services.is_empty() {
            return Err(invalid(
                "crm",
                Invalid::OutOfRange("categories and services must not be empty"),
            ));
        }
        Ok(Self {
            data_dir: raw.data.dir.clone(),
            sip_listen: raw.sip.listen.clone(),
            http_listen: raw.http.listen,
            logging: raw.logging.clone(),
            office_hours,
            raw,
        })
    }

    /// One line for logs and `config check`.
    pub(crate) fn summary(&self) -> String {
        let r = &self.raw;
        format!(
            "{} DIDs, {} queues, {} agents, {} supervisors; office hours in {}; data in {}",
            r.dids.len(),
            r.queues.len(),
            r.agents.len(),
            r.supervisors.len(),
            self.office_hours.zone_name(),
            self.data_dir.display()
        )
    }
}

fn unique(key: &str, values: impl Iterator<Item = String>) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for value in values {
        if !seen.insert(value.clone()) {
            return Err(invalid(key, Invalid::Duplicate { value }));
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    parse(&text).map_err(|(key, source)| ConfigError::Parse {
        path: path.to_owned(),
        key,
        source,
    })
}

/// Parses TOML text, returning the failing key's path with the error.
pub(crate) fn parse(text: &str) -> Result<RawConfig, (String, Box<toml::de::Error>)> {
    let de =
        toml::Deserializer::parse(text).map_err(|e| (String::from("(document)"), Box::new(e)))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        (
            if key == "." {
                "(document)".to_owned()
            } else {
                key
            },
            Box::new(e.into_inner()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_spells_out_the_defaults() {
        let example = parse(EXAMPLE).unwrap();
        assert_eq!(example, RawConfig::default());
        let config = Config::validate(example).unwrap();
        assert_eq!(config.raw.agents.len(), 5);
        assert_eq!(config.http_listen.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn an_empty_file_is_the_demo() {
        assert_eq!(parse("").unwrap(), RawConfig::default());
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("[[agents]]\nid = \"10a\"\n", "agents[0].id"),
            (
                "[sip]\nlisten = [\"udp:127.0.0.1:5060\", \"bogus\"]\n",
                "sip.listen",
            ),
            ("[http]\nlisten = \"localhost\"\n", "http.listen"),
            (
                "[[dids]]\nnumber = \"0812\"\nqueue = \"pengaduan\"\n",
                "dids[0].number",
            ),
            ("[office_hours]\nmondy = \"08:00-17:00\"\n", "office_hours"),
            ("[sipp]\n", "sipp"),
            ("[sip\n", "(document)"),
        ];
        for (text, key) in cases {
            let (got, e) = parse(text).unwrap_err();
            assert!(
                got.starts_with(key),
                "{text:?}: key {got:?}, want {key:?} ({e})"
            );
        }
    }

    #[test]
    fn context_errors_name_their_key() {
        let mut raw = RawConfig::default();
        raw.agents[1].queues.push("umum".parse().unwrap());
        let err = Config::validate(raw).unwrap_err();
        assert!(err.to_string().contains("agents[1].queues[2]"), "{err}");

        let mut raw = RawConfig::default();
        raw.office_hours.monday = "17:00-08:00".to_owned();
        let err = Config::validate(raw).unwrap_err();
        assert!(err.to_string().contains("office_hours"), "{err}");

        let mut raw = RawConfig::default();
        raw.supervisors[0].id = "1003".parse().unwrap();
        assert!(matches!(
            Config::validate(raw),
            Err(ConfigError::Invalid {
                reason: Invalid::Duplicate { .. },
                ..
            })
        ));

        let mut raw = RawConfig::default();
        raw.sip.tls_cert = "cert.pem".to_owned();
        assert!(
            Config::validate(raw)
                .unwrap_err()
                .to_string()
                .contains("sip.tls_cert")
        );
    }

    #[test]
    fn flags_override_the_file() {
        let args = GlobalArgs {
            data: Some("/tmp/x".into()),
            sip_listen: vec!["udp:127.0.0.1:5070".into()],
            http_listen: Some("127.0.0.1:0".into()),
            ..GlobalArgs::default()
        };
        let config = Config::load(&args).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.sip_listen.len(), 1);
        let bad = GlobalArgs {
            sip_listen: vec!["5070".into()],
            ..GlobalArgs::default()
        };
        assert!(
            Config::load(&bad)
                .unwrap_err()
                .to_string()
                .contains("--sip-listen")
        );
    }
}
