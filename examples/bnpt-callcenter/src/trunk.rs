//! The trunk to the carrier (PBX-2). Calls out go to `[trunk] address` as a B2BUA leg from
//! [`crate::calls`] (with the carrier's digest challenge answered when `username` is set);
//! calls in arrive at the DIDs like any other. A registration trunk (`register = true`) also
//! registers here: REGISTER from the first UDP listener every half `register_expires`, digest
//! challenges (401, 407) answered with `trunk_password` from `secrets.toml`, a failure retried
//! after [`RETRY`], and an unregistration (`Expires: 0`) when the call center stops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sambung_sip::transaction::{ClientTransaction, Output, Timers};
use sambung_sip::{HeaderName, Message, MessageBuilder, Method};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::config::TrunkSection;

/// How long after a failed registration the next try goes out.
const RETRY: Duration = Duration::from_secs(30);
/// How long the unregistration at stop may take.
const UNREGISTER_WAIT: Duration = Duration::from_secs(2);

/// What the registration needs.
pub(crate) struct Registration {
    pub(crate) trunk: TrunkSection,
    pub(crate) carrier: SocketAddr,
    pub(crate) password: String,
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) local: SocketAddr,
    /// Responses to our REGISTERs (same Call-ID), from the UDP listener.
    pub(crate) inbox: mpsc::Receiver<Vec<u8>>,
    /// True while the carrier holds a binding of ours (for `/healthz`).
    pub(crate) registered: Arc<AtomicBool>,
}

/// The Call-ID every REGISTER of this run uses (RFC 3261 §10.2: the same for a registrar).
pub(crate) fn call_id(local: SocketAddr) -> String {
    format!("trunk-{}@{}", crate::calls::random_tag(), local.ip())
}

impl Registration {
    /// Registers until `stop`, then unregisters.
    pub(crate) async fn run(mut self, call_id: String, mut stop: watch::Receiver<bool>) {
        let tag = crate::calls::random_tag();
        let mut seq = 0u32;
        loop {
            let expires = self.trunk.register_expires;
            let next = match self.register(&call_id, &tag, &mut seq, expires).await {
                Some(granted) => {
                    self.registered.store(true, Ordering::Relaxed);
                    info!(carrier = %self.carrier, user = %self.trunk.username, expires = granted, "registered at the carrier");
                    Duration::from_secs(u64::from(granted.max(60) / 2))
                }
                None => {
                    self.registered.store(false, Ordering::Relaxed);
                    RETRY
                }
            };
            tokio::select! {
                () = tokio::time::sleep(next) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        if self.registered.load(Ordering::Relaxed) {
            let _ =
                tokio::time::timeout(UNREGISTER_WAIT, self.register(&call_id, &tag, &mut seq, 0))
                    .await;
            self.registered.store(false, Ordering::Relaxed);
            info!(carrier = %self.carrier, "unregistered from the carrier");
        }
    }

    fn request(
        &self,
        call_id: &str,
        tag: &str,
        seq: u32,
        expires: u32,
        auth: Option<(HeaderName<'static>, String)>,
    ) -> Option<Vec<u8>> {
        let user = &self.trunk.username;
        let aor = format!("sip:{user}@{}", self.carrier);
        let mut b = MessageBuilder::request(Method::Register, &format!("sip:{}", self.carrier))
            .header(
                HeaderName::Via,
                format!("SIP/2.0/UDP {};branch=z9hG4bKr{tag}{seq}", self.local),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::From, format!("<{aor}>;tag={tag}"))
            .header(HeaderName::To, format!("<{aor}>"))
            .header(HeaderName::CallId, call_id)
            .header(HeaderName::CSeq, format!("{seq} REGISTER"))
            .header(HeaderName::Contact, format!("<sip:{user}@{}>", self.local))
            .header(HeaderName::Expires, expires.to_string());
        if let Some((name, value)) = auth {
            b = b.header(name, value);
        }
        b.build().ok()
    }

    /// One registration (answering up to one challenge): the expiry granted, or `None`.
    async fn register(
        &mut self,
        call_id: &str,
        tag: &str,
        seq: &mut u32,
        expires: u32,
    ) -> Option<u32> {
        let mut auth = None;
        for _ in 0..2 {
            *seq += 1;
            let request = self.request(call_id, tag, *seq, expires, auth.take())?;
            let response = self.transact(request).await?;
            let msg = Message::parse(&response).ok()?;
            let status = msg.status()?;
            match status {
                200..=299 => {
                    let granted = msg
                        .header(HeaderName::Expires)
                        .and_then(|h| h.value().trim().parse().ok())
                        .unwrap_or(expires);
                    return Some(granted);
                }
                401 | 407 => {
                    let proxy = status == 407;
                    let challenge = if proxy {
                        msg.proxy_authenticate().next()
                    } else {
                        msg.www_authenticate().next()
                    }?;
                    let uri = format!("sip:{}", self.carrier);
                    let value = sambung_sip::auth::authorize(
                        &challenge,
                        "REGISTER",
                        &uri,
                        &self.trunk.username,
                        &self.password,
                        &crate::calls::random_tag(),
                        1,
                    )?;
                    let name = if proxy {
                        HeaderName::ProxyAuthorization
                    } else {
                        HeaderName::Authorization
                    };
                    auth = Some((name, value));
                }
                _ => {
                    warn!(carrier = %self.carrier, status, "the carrier refused our registration");
                    return None;
                }
            }
        }
        warn!(carrier = %self.carrier, "the carrier refused our credentials");
        None
    }

    /// Sends `request` through a client transaction (retransmitted over UDP, Timer F) and
    /// returns its final response.
    async fn transact(&mut self, request: Vec<u8>) -> Option<Vec<u8>> {
        let mut tx =
            ClientTransaction::new(request, false, Timers::default(), Instant::now()).ok()?;
        loop {
            while let Some(out) = tx.poll_output() {
                match out {
                    Output::Send(bytes) => {
                        if let Err(e) = self.socket.send_to(&bytes, self.carrier).await {
                            warn!(carrier = %self.carrier, error = %e, "REGISTER not sent");
                        }
                    }
                    Output::PassUp(r) => {
                        if Message::parse(&r)
                            .ok()
                            .and_then(|m| m.status())
                            .is_some_and(|s| s >= 200)
                        {
                            return Some(r);
                        }
                    }
                    Output::Timeout => {
                        warn!(carrier = %self.carrier, "the carrier did not answer our REGISTER");
                        return None;
                    }
                    Output::Terminated => return None,
                }
            }
            let deadline = tx.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                got = self.inbox.recv() => match got {
                    Some(bytes) => tx.on_response(&bytes, Instant::now()),
                    None => return None,
                },
                () = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => tx.on_timeout(Instant::now()),
            }
        }
    }
}
