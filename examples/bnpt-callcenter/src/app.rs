//! Start-up, the running service, and shutdown.

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::watch;
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

use sambung_recording::access::GuardedRecordings;
use sambung_recording::audit::AuditLog;
use sambung_recording::index::RecordingIndex;

use crate::accounts::{AccountError, Accounts};
use crate::acd_driver::AcdDriver;
use crate::calls::{self, CallCenter, CallSetup};
use crate::config::Config;
use crate::listen::{ListenAddr, Transport};
use crate::prompts;
use crate::secrets::{self, SecretsError};
use crate::sip_listener::{self, SipCounters, SipService};
use crate::store::{PreviousRun, Store, StoreError};
use crate::web::{AppState, RecordingsAuthoriser, WebConfig, router};

/// The hash-chained log of every search, play and download of a recording, in the data
/// folder (REC-3); `bnpt-callcenter recordings audit` verifies it.
pub(crate) const RECORDINGS_AUDIT_FILE: &str = "recordings-audit.jsonl";

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    SipBind(#[from] sip_listener::BindError),
    #[error(transparent)]
    Tls(#[from] crate::sip_tls::TlsError),
    #[error("cannot listen for HTTP on {addr}")]
    HttpBind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP server failed")]
    Http(#[source] std::io::Error),
    #[error("cannot install signal handler")]
    Signal(#[source] std::io::Error),
    #[error("call handling cannot start: {0}")]
    Calls(String),
    #[error("the ACD cannot start")]
    Acd(#[from] crate::acd_driver::AcdStartError),
    #[error("web accounts")]
    Accounts(#[source] AccountError),
    #[error("cannot read http.admin_password_file {path}")]
    AdminPassword {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("ticket dispatch")]
    Dispatch(#[source] crate::dispatch::DispatchConfigError),
}

/// Logs go to standard error; `RUST_LOG` overrides the configured filter.
pub(crate) fn init_logging(filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

/// The line printed on standard output once every listener is bound, for scripts and tests.
#[derive(Debug, Serialize)]
struct Ready {
    ready: bool,
    http: String,
    sip: Vec<String>,
    data: String,
}

/// Runs the service until SIGINT or SIGTERM.
pub(crate) fn run(config: Config) -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), RunError> {
    let started = Instant::now();
    info!(
        version = env!("CARGO_PKG_VERSION"),
        "bnpt-callcenter starting: {}",
        config.summary()
    );
    let (store, previous) = Store::open(&config.data_dir, Timestamp::now()).await?;
    match previous {
        PreviousRun::None => info!(data = %store.root().display(), "new data folder created"),
        PreviousRun::Clean => info!(data = %store.root().display(), "data folder opened"),
        PreviousRun::Unclean { started_at } => warn!(
            data = %store.root().display(),
            previous_start = %started_at,
            "the previous run did not stop cleanly"
        ),
    }
    let now = Timestamp::now();
    match config.office_hours.status(now) {
        sambung_core::calendar::Status::Open { closes_at } => {
            info!(closes_at = ?closes_at, "office hours: open");
        }
        sambung_core::calendar::Status::Closed { reason, opens_at } => {
            info!(?reason, opens_at = ?opens_at, "office hours: closed");
        }
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let counters = Arc::new(SipCounters::default());
    let users: Vec<String> = config
        .raw
        .agents
        .iter()
        .map(|a| a.id.to_string())
        .chain(config.raw.supervisors.iter().map(|s| s.id.to_string()))
        .collect();
    let secrets = secrets::load_or_create(store.root(), &users)?;
    let api_token = secrets.api_token.clone();
    let dispatcher = crate::dispatch::Dispatcher::new(&config.raw.crm, &secrets.webhook_secret)
        .map_err(RunError::Dispatch)?;
    let pins = secrets.pins.clone();
    info!(
        file = %store.root().join(secrets::SECRETS_FILE).display(),
        users = users.len(),
        "SIP passwords and PINs loaded"
    );
    let service = Arc::new(SipService::new(
        &config.raw.sip.realm,
        secrets.sip_passwords,
        secrets::random_key()?,
        Arc::clone(&counters),
        crate::locations::SavedLocations::open(&store, sip_listener::unix_now()).await,
    ));
    let tls = if config
        .sip_listen
        .iter()
        .any(|l| l.transport == Transport::Tls)
    {
        let sip = &config.raw.sip;
        Some(crate::sip_tls::acceptor(
            store.root(),
            &sip.tls_cert,
            &sip.tls_key,
        )?)
    } else {
        None
    };
    let mut bound = Vec::new();
    for listen in &config.sip_listen {
        bound.push(sip_listener::bind(*listen, tls.as_ref()).await?);
    }
    let sip_listen: Arc<[_]> = bound.iter().map(|(_, local)| *local).collect();
    let http = tokio::net::TcpListener::bind(config.http_listen)
        .await
        .map_err(|source| RunError::HttpBind {
            addr: config.http_listen,
            source,
        })?;
    let http_local = http.local_addr().map_err(|source| RunError::HttpBind {
        addr: config.http_listen,
        source,
    })?;

    let queues: Vec<_> = config.raw.queues.iter().map(|q| q.id.clone()).collect();
    let acd = Arc::new(AcdDriver::open(store.clone(), &queues, config.raw.cms.cms_config()).await?);
    let agent_queues: std::collections::HashMap<String, Vec<_>> = config
        .raw
        .agents
        .iter()
        .map(|a| (a.id.as_str().to_owned(), a.queues.clone()))
        .collect();
    acd.restore_agents(&agent_queues).await;
    let acd_timers = tokio::spawn(Arc::clone(&acd).run_timers(stop_rx.clone()));
    let calls = Arc::new(
        start_calls(
            &config,
            &store,
            &sip_listen,
            stop_rx.clone(),
            (&acd, &service, pins, secrets.trunk_password.clone()),
        )
        .await?,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for (socket, local) in bound {
        tasks.spawn(sip_listener::serve(
            socket,
            local,
            Arc::clone(&service),
            Arc::clone(&calls),
            stop_rx.clone(),
        ));
    }
    let accounts = Arc::new(
        Accounts::new(store.pool().clone())
            .await
            .map_err(RunError::Accounts)?,
    );
    let configured = match std::env::var("BNPT_ADMIN_PASSWORD") {
        Ok(p) => Some(p),
        Err(_) if config.raw.http.admin_password_file.is_empty() => None,
        // The file matters only before the first account exists.
        Err(_) if accounts.any().await.map_err(RunError::Accounts)? => None,
        Err(_) => {
            let path = &config.raw.http.admin_password_file;
            let text = std::fs::read_to_string(path).map_err(|source| RunError::AdminPassword {
                path: path.clone(),
                source,
            })?;
            Some(text.lines().next().unwrap_or_default().to_owned())
        }
    };
    if let Some(password) = accounts
        .ensure_admin(configured.as_deref(), Timestamp::now().as_millisecond())
        .await
        .map_err(RunError::Accounts)?
    {
        print_first_admin(&password, config.http_listen);
    }
    let index = calls.index().clone();
    let recordings_audit = store.root().join(RECORDINGS_AUDIT_FILE);
    let recordings = match AuditLog::open(&recordings_audit) {
        Ok(audit) => Some(Arc::new(GuardedRecordings::new(
            index.clone(),
            RecordingsAuthoriser,
            audit,
        ))),
        Err(e) => {
            // Calls go on; recordings stay unreachable until someone looks at the log.
            tracing::error!(error = %e, "recordings audit log refused: searching and playing recordings is disabled");
            None
        }
    };
    let state = AppState {
        store: store.clone(),
        started,
        sip_listen: Arc::clone(&sip_listen),
        counters,
        office_hours: Arc::new(config.office_hours.clone()),
        calls: Arc::clone(&calls),
        acd: Arc::clone(&acd),
        api_token: Arc::from(api_token.as_str()),
        accounts,
        index,
        recordings,
        dispatcher: Arc::new(dispatcher),
        web: Arc::new(WebConfig {
            cookie_secure: config.raw.http.cookie_secure,
            dashboard: config.raw.dashboard.clone(),
            crm: config.raw.crm.clone(),
            queues: config
                .raw
                .queues
                .iter()
                .map(|q| (q.id.as_str().to_owned(), q.name.clone()))
                .collect(),
            agents: config
                .raw
                .agents
                .iter()
                .map(|a| (a.id.as_str().to_owned(), a.name.clone(), a.queues.clone()))
                .collect(),
        }),
    };
    let mut http_stop = stop_rx.clone();
    let http_task = tokio::spawn(async move {
        axum::serve(
            http,
            router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = http_stop.wait_for(|stop| *stop).await;
        })
        .await
    });
    info!(listen = %http_local, "HTTP listener started");

    let ready = Ready {
        ready: true,
        http: http_local.to_string(),
        sip: sip_listen.iter().map(ToString::to_string).collect(),
        data: config.data_dir.display().to_string(),
    };
    // Handlers go in before the ready line: a script that stops us the moment it reads it
    // must get a clean stop, not the default action of SIGTERM.
    let stop_signals = StopSignals::install().map_err(RunError::Signal)?;
    announce(&ready);

    stop_signals.wait().await;
    info!("stopping");
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    calls.drain(calls::DRAIN).await;
    let _ = acd_timers.await;
    match http_task.await {
        Ok(result) => result.map_err(RunError::Http)?,
        Err(e) => warn!(error = %e, "HTTP task ended abnormally"),
    }
    store.close(Timestamp::now()).await?;
    info!("stopped cleanly");
    Ok(())
}

/// Call handling: the recordings index (recovering recordings a crash left open), the CDRs a
/// crash left open, the prompts, and the DIDs.
async fn start_calls(
    config: &Config,
    store: &Store,
    sip_listen: &[ListenAddr],
    stop: watch::Receiver<bool>,
    (acd, sip, pins, trunk_password): (
        &Arc<AcdDriver>,
        &Arc<SipService>,
        std::collections::BTreeMap<String, String>,
        Option<String>,
    ),
) -> Result<CallCenter, RunError> {
    let index = RecordingIndex::open_data_folder(store.root())
        .await
        .map_err(|e| RunError::Calls(e.to_string()))?;
    recover_recordings(&index, &store.root().join("recordings")).await;
    let closed = store
        .cdr_close_interrupted(Timestamp::now().as_millisecond())
        .await?;
    if closed > 0 {
        warn!(
            calls = closed,
            "calls cut off by the previous run's end were closed as interrupted"
        );
    }
    let prompts_dir = store.root().join("prompts");
    prompts::ensure(&prompts_dir);
    let survey =
        prompts::load(&prompts_dir, prompts::SURVEY).map_err(|e| RunError::Calls(e.to_string()))?;
    let mut flows = std::collections::HashMap::new();
    for did in &config.raw.dids {
        let flow = crate::ivr::did_flow(did, &config.office_hours)
            .map_err(|e| RunError::Calls(e.to_string()))?;
        info!(
            did = did.number.as_str(),
            version = flow.version,
            "call flow loaded"
        );
        flows.insert(did.number.as_str().to_owned(), Arc::new(flow));
    }
    let flow_prompts = crate::ivr::load_prompts(
        &prompts_dir,
        flows
            .iter()
            .map(|(did, flow)| (did.as_str(), flow.as_ref())),
    )
    .map_err(|e| RunError::Calls(e.to_string()))?;
    let dids = config
        .raw
        .dids
        .iter()
        .map(|d| (d.number.as_str().to_owned(), d.queue.as_str().to_owned()))
        .collect();
    // RTP goes out from the address SIP listens on; a wildcard listener means loopback until
    // the configuration names a media address.
    let media_ip = sip_listen
        .iter()
        .find(|l| l.transport == Transport::Udp)
        .map(|l| l.addr.ip())
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let agent_queues = config
        .raw
        .agents
        .iter()
        .map(|a| (a.id.as_str().to_owned(), a.queues.clone()))
        .collect();
    Ok(CallCenter::new(CallSetup {
        store: store.clone(),
        index,
        dids,
        flows,
        prompts: Arc::new(flow_prompts),
        media_ip,
        stop,
        acd: Arc::clone(acd),
        sip: Arc::clone(sip),
        pins,
        supervisors: config
            .raw
            .supervisors
            .iter()
            .map(|s| s.id.as_str().to_owned())
            .collect(),
        agent_queues,
        survey,
        hold_music: prompts::hold_music(&prompts_dir),
        trunk: config.raw.trunk.clone(),
        trunk_password,
        priority: sambung_acd::priority::Priorities::new(config.raw.priority.clone())
            .map_err(|e| RunError::Calls(format!("priority: {e}")))?,
        office_hours: config.office_hours.clone(),
        clock: office_clock()?,
        screen_pop: tokio::sync::broadcast::channel(64).0,
    }))
}

/// The clock office hours are judged by: the system's, or — for tests of the after-hours
/// path — one that reads `BNPT_OFFICE_CLOCK` (RFC 3339) at start-up and runs on from there.
fn office_clock() -> Result<Arc<dyn sambung_core::clock::Clock + Send + Sync>, RunError> {
    match std::env::var("BNPT_OFFICE_CLOCK") {
        Ok(text) => {
            let start: Timestamp = text
                .parse()
                .map_err(|e| RunError::Calls(format!("BNPT_OFFICE_CLOCK {text:?}: {e}")))?;
            warn!(start = %start, "office hours follow BNPT_OFFICE_CLOCK, not the system clock");
            Ok(Arc::new(sambung_core::clock::OffsetClock::starting_at(
                start,
            )))
        }
        Err(_) => Ok(Arc::new(sambung_core::clock::SystemClock)),
    }
}

/// Completes the recordings a crash left open: the file's header is repaired so it plays, and
/// its row completed with the audio that was on disk.
async fn recover_recordings(index: &RecordingIndex, folder: &std::path::Path) {
    let open = match index.incomplete().await {
        Ok(rows) => rows,
        Err(e) => {
            warn!(error = %e, "cannot list open recordings");
            return;
        }
    };
    for row in open {
        let path = folder.join(&row.path);
        let recovered = sambung_recording::wav_recorder::recover(&path);
        let (duration_ms, size) = match &recovered {
            Ok((summary, _)) => (
                i64::try_from(summary.duration.as_millis()).unwrap_or(i64::MAX),
                std::fs::metadata(&path).map_or(0, |m| m.len()),
            ),
            Err(e) => {
                warn!(recording = %path.display(), error = %e, "recording could not be recovered");
                (0, 0)
            }
        };
        let sha = sambung_recording::store::sha256_file(&path).unwrap_or_default();
        let ended = row.started_ms + duration_ms;
        match index
            .complete(
                &row.id,
                ended,
                duration_ms,
                i64::try_from(size).unwrap_or(i64::MAX),
                &sha,
            )
            .await
        {
            Ok(_) => {
                info!(recording = %path.display(), duration_ms, "recording left open by the previous run recovered");
            }
            Err(e) => {
                warn!(recording = %path.display(), error = %e, "recovered recording not indexed");
            }
        }
    }
}

/// The first admin's one-time password, shown once on standard error (never logged to a file
/// by us, never stored in clear).
#[expect(
    clippy::print_stderr,
    reason = "the one-time password is shown once to the operator, outside the logs"
)]
fn print_first_admin(password: &str, http: std::net::SocketAddr) {
    eprintln!(
        "\n  First start: the web account \"admin\" was created with the one-time password\n\n      {password}\n\n  Sign in at http://{http}/login and choose a new password. It is not shown again.\n"
    );
}

#[expect(
    clippy::print_stdout,
    reason = "the ready line is data for scripts, on standard output"
)]
fn announce(ready: &Ready) {
    match serde_json::to_string(ready) {
        Ok(line) => println!("{line}"),
        Err(e) => warn!(error = %e, "cannot encode the ready line"),
    }
}

/// SIGINT and SIGTERM, registered with the OS as soon as this is made.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Returns when either arrives.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
