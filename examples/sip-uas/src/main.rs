//! `sip-uas --listen udp:127.0.0.1:5060 [--listen tcp:…] [--listen tls:…] [--listen ws:…]
//! [--listen wss:…] --users users.toml --realm REALM`: a registrar and answering user agent
//! on `sambung-sip` (see the library documentation for what it answers).
//!
//! `tls:` and `wss:` use `--tls-cert`/`--tls-key` (PEM), or a self-signed certificate for
//! `localhost` made at start when those are not given. It runs until interrupted (Ctrl-C or
//! SIGTERM), or for `--run-seconds` when given. Logs go to standard error (`RUST_LOG`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use sambung_sip::transport::{Inbound, Limits, ListenAddr, Peer, bind};
use sip_uas::{Local, Uas, UasConfig};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{error, info};

/// A registrar and answering user agent built on sambung-sip.
#[derive(Debug, Parser)]
#[command(name = "sip-uas", version)]
struct Args {
    /// Where to listen: udp:IP:PORT, tcp:IP:PORT, tls:IP:PORT, ws:IP:PORT or wss:IP:PORT
    /// (repeatable).
    #[arg(long, value_name = "TRANSPORT:IP:PORT", required = true)]
    listen: Vec<ListenAddr>,
    /// The users: a TOML table `[users]` of `name = "password"`.
    #[arg(long, value_name = "FILE")]
    users: PathBuf,
    /// The digest authentication realm.
    #[arg(long)]
    realm: String,
    /// TLS certificate chain (PEM) for tls: and wss:.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Stop after this many seconds (for tests and benchmarks).
    #[arg(long, value_name = "SECONDS")]
    run_seconds: Option<u64>,
}

/// Inbound messages waiting for the core.
const INBOUND_QUEUE: usize = 8192;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "cannot start the runtime");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::from(2)
        }
    }
}

/// The TLS configuration from files, or a self-signed one for `localhost`.
fn tls_config(args: &Args) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (certs, key) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| format!("{}: {e}", cert.display()))?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
            (certs, key)
        }
        _ => {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
                .map_err(|e| format!("self-signed certificate: {e}"))?;
            let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
                .map_err(|e| format!("self-signed key: {e}"))?;
            (vec![made.cert.der().clone()], key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map(Arc::new)
        .map_err(|e| format!("TLS certificate: {e}"))
}

async fn run(args: Args) -> Result<(), String> {
    let text = std::fs::read_to_string(&args.users)
        .map_err(|e| format!("{}: {e}", args.users.display()))?;
    let users =
        sip_uas::parse_users(&text).map_err(|e| format!("{}: {e}", args.users.display()))?;
    let tls = if args.listen.iter().any(|l| l.kind.is_secure()) {
        Some(tls_config(&args)?)
    } else {
        None
    };
    let (tx, mut rx) = mpsc::channel::<Inbound>(INBOUND_QUEUE);
    for addr in &args.listen {
        let transport = bind(addr, tls.clone(), Limits::default())
            .await
            .map_err(|e| e.to_string())?;
        info!(listen = %ListenAddr { kind: transport.kind(), addr: transport.local_addr() }, "listening");
        tokio::spawn(transport.run(tx.clone()));
    }
    drop(tx);
    let mut key = [0u8; 32];
    // A nonce key per run, from the system's randomness.
    getrandom::fill(&mut key).map_err(|e| format!("randomness: {e}"))?;
    let mut uas: Uas<Peer> = Uas::new(UasConfig::new(&args.realm, users, key));
    let stop_at = args
        .run_seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut interrupted = std::pin::pin!(shutdown());
    loop {
        let deadline = uas
            .poll_timeout()
            .map(Instant::from_std)
            .into_iter()
            .chain(stop_at)
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            got = rx.recv() => {
                let Some(inbound) = got else { break };
                let local = local_of(&inbound.peer);
                uas.on_message(&inbound.bytes, inbound.peer, &local, std::time::Instant::now());
            }
            () = tokio::time::sleep_until(deadline) => {
                if stop_at.is_some_and(|s| Instant::now() >= s) {
                    break;
                }
                uas.on_timeout(std::time::Instant::now());
            }
            () = &mut interrupted => break,
        }
        while let Some((peer, bytes)) = uas.poll_output() {
            let _ = peer.send(bytes);
        }
    }
    let stats = uas.stats();
    info!(?stats, "stopped");
    Ok(())
}

/// What the core writes about where a message arrived.
fn local_of(peer: &Peer) -> Local {
    Local {
        via: format!("SIP/2.0/{} {}", peer.kind.via_token(), peer.local),
        contact_host: peer.local.to_string(),
        source: peer.addr,
        reliable: peer.kind.is_reliable(),
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
