//! Start-up, the running service, and shutdown.

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::watch;
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

use crate::config::Config;
use crate::http::{AppState, router};
use crate::secrets::{self, SecretsError};
use crate::sip_listener::{self, SipCounters, SipService};
use crate::store::{PreviousRun, Store, StoreError};

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
    ));
    let mut bound = Vec::new();
    for listen in &config.sip_listen {
        bound.push(sip_listener::bind(*listen).await?);
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

    let mut tasks = tokio::task::JoinSet::new();
    for (socket, local) in bound {
        tasks.spawn(sip_listener::serve(
            socket,
            local,
            Arc::clone(&service),
            stop_rx.clone(),
        ));
    }
    let state = AppState {
        store: store.clone(),
        started,
        sip_listen: Arc::clone(&sip_listen),
        counters,
        office_hours: Arc::new(config.office_hours.clone()),
    };
    let mut http_stop = stop_rx.clone();
    let http_task = tokio::spawn(async move {
        axum::serve(http, router(state))
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
    match http_task.await {
        Ok(result) => result.map_err(RunError::Http)?,
        Err(e) => warn!(error = %e, "HTTP task ended abnormally"),
    }
    store.close(Timestamp::now()).await?;
    info!("stopped cleanly");
    Ok(())
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
