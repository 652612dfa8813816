//! Incoming calls to the DIDs, over UDP: answered at once with the negotiated SDP
//! (`sambung_sip::uas::IncomingCall` keeps the SIP side), greeted with the welcome prompt, and
//! recorded from the first RTP packet to the hang-up — caller on the left channel, what the
//! call center sent on the right — into `recordings/` and the recordings index, with a CDR row
//! from arrival to end.
//!
//! Each call is one task that owns its RTP socket, its recorder and its SIP state; the UDP
//! listener hands it the messages with its Call-ID. Every buffer is bounded: at most
//! [`MAX_CALLS`] calls, [`CHANNEL_DEPTH`] queued SIP messages a call, one second of caller audio
//! waiting for the 20 ms tick, and [`MAX_CALL`] of call time.
//!
//! After the greeting the caller joins the queue of the DID's service in the ACD
//! ([`AcdDriver`]); hanging up there counts as abandoned. Not here yet: offering the call to an
//! agent (agents' feature-code login), DTMF menus, TCP calls.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_core::phone::PhoneNumber;
use sambung_media::codec::{Codec, G711, Law};
use sambung_media::rtp::{RtpHeader, RtpPacket};
use sambung_recording::index::{RecordingIndex, RecordingRow};
use sambung_recording::store::sha256_file;
use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};
use sambung_sip::sdp::Sdp;
use sambung_sip::sdp::negotiate::{self, Codec as SdpCodec, LocalMedia};
use sambung_sip::transaction::Timers;
use sambung_sip::uas::{CallEvent, CallOutput, EndReason, IncomingCall, LocalParty};
use sambung_sip::{Message, Method};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::acd_driver::{AcdDriver, AcdOrder};
use crate::store::{NewCdr, Store};

/// Most calls at once; further INVITEs are answered 503 by the stateless side.
pub(crate) const MAX_CALLS: usize = 1000;
/// SIP messages queued for one call before more are dropped (the peer retransmits).
const CHANNEL_DEPTH: usize = 64;
/// Longest call; then the call center hangs up.
const MAX_CALL: Duration = Duration::from_secs(4 * 3600);
/// Samples in one 20 ms frame at 8 kHz.
const FRAME: usize = 160;
/// The same, as RTP timestamp units.
const FRAME_TICKS: u32 = 160;
/// Caller audio held for the next tick, at most (one second).
const MAX_PENDING: usize = 8000;
/// How long a stopping call center waits for calls to hang up and close their recordings.
pub(crate) const DRAIN: Duration = Duration::from_secs(5);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// What the call handling needs from the rest of the application.
pub(crate) struct CallCenter {
    store: Store,
    index: RecordingIndex,
    recordings: PathBuf,
    greeting: Arc<[i16]>,
    /// DID (E.164 or short code) → service type (its queue).
    dids: Vec<(String, String)>,
    media_ip: IpAddr,
    active: Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>,
    tasks: Mutex<JoinSet<()>>,
    stop: watch::Receiver<bool>,
    acd: Arc<AcdDriver>,
}

/// The socket a call's SIP messages go out on and the address they come from.
#[derive(Clone)]
pub(crate) struct SipPath {
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) local: SocketAddr,
    pub(crate) peer: SocketAddr,
}

impl CallCenter {
    /// Call handling for `dids` (number, service), recording into the data folder.
    pub(crate) fn new(
        store: Store,
        index: RecordingIndex,
        greeting: Vec<i16>,
        dids: Vec<(String, String)>,
        media_ip: IpAddr,
        stop: watch::Receiver<bool>,
        acd: Arc<AcdDriver>,
    ) -> Self {
        let recordings = store.root().join("recordings");
        Self {
            store,
            index,
            recordings,
            greeting: greeting.into(),
            dids,
            media_ip,
            active: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            stop,
            acd,
        }
    }

    /// Calls in progress.
    pub(crate) fn active(&self) -> usize {
        lock(&self.active).len()
    }

    fn service_of(&self, msg: &Message<'_>) -> Option<String> {
        let user = match msg.request_uri()? {
            sambung_sip::Uri::Sip(u) => u.user()?,
            sambung_sip::Uri::Tel(t) => t.as_str().strip_prefix("tel:")?,
            sambung_sip::Uri::Other(_) => return None,
        };
        let number = PhoneNumber::parse(user).ok()?;
        self.dids
            .iter()
            .find(|(did, _)| did == number.as_str())
            .map(|(_, service)| service.clone())
    }

    /// Takes a datagram that belongs to a call — a message with a known Call-ID, or a new
    /// INVITE to a DID — and returns true; false leaves it to the stateless side.
    pub(crate) fn route(self: &Arc<Self>, data: &[u8], path: &SipPath) -> bool {
        let Ok(msg) = Message::parse(data) else {
            return false;
        };
        let mut active = lock(&self.active);
        if let Some(tx) = active.get(msg.call_id()) {
            if tx.try_send(data.to_vec()).is_err() {
                warn!(call_id = msg.call_id(), "call busy: SIP message dropped");
            }
            return true;
        }
        let new_call =
            msg.is_request() && msg.method() == Method::Invite && msg.to().tag().is_none();
        if !new_call || active.len() >= MAX_CALLS || *self.stop.borrow() {
            return false;
        }
        let Some(service) = self.service_of(&msg) else {
            return false;
        };
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let call_id = msg.call_id().to_owned();
        active.insert(call_id.clone(), tx);
        drop(active);
        let center = Arc::clone(self);
        let invite = data.to_vec();
        let path = path.clone();
        lock(&self.tasks).spawn(async move {
            if let Err(e) = center.run_call(&invite, &path, &service, rx).await {
                warn!(call_id, error = %e, "call failed");
            }
            lock(&center.active).remove(&call_id);
        });
        true
    }

    /// Waits up to `limit` for the calls to end (they hang up when `stop` turns true).
    pub(crate) async fn drain(&self, limit: Duration) {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        let all = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(limit, all).await.is_err() {
            warn!("calls still running at shutdown were cut off");
        }
    }

    async fn run_call(
        &self,
        invite: &[u8],
        path: &SipPath,
        service: &str,
        mut rx: mpsc::Receiver<Vec<u8>>,
    ) -> Result<(), CallFailure> {
        let msg = Message::parse(invite).map_err(|e| CallFailure::Sip(e.to_string()))?;
        let caller = user_or_uri(msg.from().uri());
        let called = msg.request_uri().map(user_or_uri).unwrap_or_default();
        let arrived_ms = now_ms();
        let cdr = self
            .store
            .cdr_begin(&NewCdr {
                sip_call_id: msg.call_id(),
                caller: &caller,
                called: &called,
                service,
                arrived_ms,
            })
            .await
            .map_err(|e| CallFailure::Store(e.to_string()))?;
        info!(call_id = msg.call_id(), %caller, %called, service, "call arrived");

        let tag = random_tag();
        let me = LocalParty {
            tag: tag.clone(),
            contact: format!("<sip:{called}@{}>", path.local),
            via: format!("SIP/2.0/UDP {}", path.local),
        };
        let mut call = IncomingCall::new(invite, me, false, Timers::default())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        let rtp = UdpSocket::bind((self.media_ip, 0))
            .await
            .map_err(CallFailure::Io)?;
        let rtp_port = rtp.local_addr().map_err(CallFailure::Io)?.port();
        let media = negotiate_audio(&msg, self.media_ip, rtp_port);
        let Some(media) = media else {
            let _ = call.reject(488, "Not Acceptable Here");
            flush(&mut call, path).await;
            self.store
                .cdr_end(cdr, now_ms(), "rejected", "rejected")
                .await
                .map_err(|e| CallFailure::Store(e.to_string()))?;
            return Ok(());
        };
        call.answer(&media.sdp, Instant::now())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        flush(&mut call, path).await;

        let recording_id = format!("{arrived_ms}-{tag}");
        let file = self.recordings.join(format!("{recording_id}.wav"));
        let config = RecorderConfig::default();
        let mut recorder =
            WavRecorder::create(&file, config).map_err(|e| CallFailure::Record(e.to_string()))?;
        let row = RecordingRow {
            id: recording_id.clone(),
            call_id: cdr,
            caller: caller.clone(),
            called: called.clone(),
            agent: None,
            queue: None,
            service: Some(service.to_owned()),
            started_ms: now_ms(),
            ended_ms: now_ms(),
            duration_ms: 0,
            codec: "wav/pcm16-stereo".to_owned(),
            size_bytes: 0,
            sha256: String::new(),
            path: format!("{recording_id}.wav"),
            complete: false,
        };
        if let Err(e) = self.index.begin(&row).await {
            warn!(error = %e, "recording not indexed");
        }
        self.store
            .cdr_answered(cdr, now_ms(), Some(&recording_id))
            .await
            .map_err(|e| CallFailure::Store(e.to_string()))?;

        let mut leg = MediaLeg::new(&media, Arc::clone(&self.greeting));
        let deadline = Instant::now() + MAX_CALL;
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        let mut stop = self.stop.clone();
        let mut buf = vec![0u8; 2048];
        let mut reason = EndReason::LocalHangup;
        let mut stopping = false;
        let acd_call = sambung_core::ids::CallId::new(u64::try_from(cdr).unwrap_or(0));
        let queue = sambung_core::ids::QueueId::new(service).ok();
        let (orders_tx, mut orders) = mpsc::channel::<AcdOrder>(4);
        let mut queued = false;
        loop {
            let stop_now = !stopping && *stop.borrow();
            if stop_now {
                stopping = true;
                call.hangup(Instant::now());
                if let Some(ended) = flush(&mut call, path).await {
                    reason = ended;
                }
                // The listener has stopped: the BYE's answer will not be routed here.
                break;
            }
            let timer = call.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = ticker.tick() => {
                    let (heard, sent) = leg.tick(&rtp).await;
                    if let Err(e) = recorder.write(&heard, &sent) {
                        warn!(error = %e, "recording write failed");
                    }
                    if Instant::now() >= deadline {
                        call.hangup(Instant::now());
                    }
                    if !queued && leg.greeted() && let Some(q) = &queue {
                        queued = true;
                        self.acd.call_arrived(acd_call, q.clone(), orders_tx.clone()).await;
                    }
                }
                Some(AcdOrder::Leave) = orders.recv() => call.hangup(Instant::now()),
                got = rtp.recv_from(&mut buf) => {
                    if let Ok((n, _)) = got {
                        leg.receive(buf.get(..n).unwrap_or_default());
                    }
                }
                Some(sip) = rx.recv() => call.on_message(&sip, Instant::now()),
                () = sleep_until(timer) => call.on_timeout(Instant::now()),
                // Wakes the loop; the check at its top hangs up.
                _ = stop.changed() => {}
            }
            if let Some(ended) = flush(&mut call, path).await {
                reason = ended;
                break;
            }
        }
        if queued {
            self.acd.call_gone(acd_call).await;
        }
        let ended_ms = now_ms();
        let summary = recorder
            .finish()
            .map_err(|e| CallFailure::Record(e.to_string()))?;
        let size = std::fs::metadata(&file).map_or(0, |m| m.len());
        let sha = sha256_file(&file).unwrap_or_default();
        let duration_ms = i64::try_from(summary.duration.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = self
            .index
            .complete(
                &recording_id,
                ended_ms,
                duration_ms,
                i64::try_from(size).unwrap_or(i64::MAX),
                &sha,
            )
            .await
        {
            warn!(error = %e, "recording completion not indexed");
        }
        let reason_text = if stopping {
            "shutdown"
        } else {
            end_reason(reason)
        };
        self.store
            .cdr_end(cdr, ended_ms, "completed", reason_text)
            .await
            .map_err(|e| CallFailure::Store(e.to_string()))?;
        info!(call_id = call.dialog().id.call_id, reason = reason_text, duration_ms, recording = %file.display(), "call ended");
        Ok(())
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Why a call task stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallFailure {
    #[error("SIP: {0}")]
    Sip(String),
    #[error("database: {0}")]
    Store(String),
    #[error("recording: {0}")]
    Record(String),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

fn end_reason(r: EndReason) -> &'static str {
    match r {
        EndReason::RemoteHangup => "remote_hangup",
        EndReason::LocalHangup => "local_hangup",
        EndReason::Cancelled => "cancelled",
        EndReason::Rejected(_) => "rejected",
        EndReason::NoAck => "no_ack",
    }
}

fn user_or_uri(uri: &sambung_sip::Uri<'_>) -> String {
    match uri {
        sambung_sip::Uri::Sip(u) => u.user().unwrap_or(u.as_str()).to_owned(),
        other => other.as_str().to_owned(),
    }
}

fn random_tag() -> String {
    let mut b = [0u8; 8];
    // Without randomness the Call-ID's hash still separates calls; tags need not be secret.
    if getrandom::fill(&mut b).is_err() {
        b = now_ms().to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Sends what the call has to send; returns the end reason once it has ended.
async fn flush(call: &mut IncomingCall, path: &SipPath) -> Option<EndReason> {
    let mut ended = None;
    while let Some(out) = call.poll_output() {
        match out {
            CallOutput::Send(bytes) => {
                if let Err(e) = path.socket.send_to(&bytes, path.peer).await {
                    warn!(peer = %path.peer, error = %e, "SIP send failed");
                }
            }
            CallOutput::Event(CallEvent::Ended(r)) => ended = Some(r),
            CallOutput::Event(CallEvent::Confirmed) => {}
        }
    }
    ended
}

/// The audio both ways agreed for the call.
struct AudioMedia {
    sdp: String,
    payload_type: u8,
    law: Law,
    remote: SocketAddr,
}

fn negotiate_audio(invite: &Message<'_>, ip: IpAddr, port: u16) -> Option<AudioMedia> {
    let offer = Sdp::parse(invite.body()).ok()?;
    let local = LocalMedia::audio(
        ip,
        port,
        vec![
            SdpCodec::pcma(),
            SdpCodec::pcmu(),
            SdpCodec::telephone_event(),
        ],
    );
    let answer = negotiate::answer(&offer, &local).ok()?;
    let audio = answer
        .media
        .iter()
        .find(|m| m.kind == "audio" && m.accepted)?;
    let codec = audio.codec.as_ref()?;
    let law = match codec.name.to_ascii_uppercase().as_str() {
        "PCMA" => Law::A,
        "PCMU" => Law::Mu,
        _ => return None,
    };
    Some(AudioMedia {
        sdp: answer.sdp.clone(),
        payload_type: codec.payload_type,
        law,
        remote: audio.remote?,
    })
}

/// One call's audio: what the caller sent (decoded, waiting for the tick) and what we play.
struct MediaLeg {
    codec: G711,
    payload_type: u8,
    remote: SocketAddr,
    heard: VecDeque<i16>,
    prompt: Arc<[i16]>,
    played: usize,
    header: RtpHeader,
    scratch: Vec<i16>,
}

impl MediaLeg {
    fn new(media: &AudioMedia, prompt: Arc<[i16]>) -> Self {
        let seed = u64::from_str_radix(&random_tag(), 16)
            .unwrap_or(0)
            .to_le_bytes();
        Self {
            codec: G711::new(media.law),
            payload_type: media.payload_type,
            remote: media.remote,
            heard: VecDeque::with_capacity(MAX_PENDING),
            prompt,
            played: 0,
            header: RtpHeader {
                marker: true,
                payload_type: media.payload_type,
                sequence: u16::from_le_bytes([seed[0], seed[1]]),
                timestamp: u32::from_le_bytes([seed[2], seed[3], seed[4], seed[5]]),
                ssrc: u32::from_le_bytes([seed[4], seed[5], seed[6], seed[7]]),
            },
            scratch: Vec::with_capacity(FRAME),
        }
    }

    /// Whether the whole greeting has been sent.
    fn greeted(&self) -> bool {
        self.played >= self.prompt.len()
    }

    /// A packet from the caller: decoded into the waiting audio if it carries the agreed codec.
    fn receive(&mut self, datagram: &[u8]) {
        let Ok(packet) = RtpPacket::parse(datagram) else {
            return;
        };
        if packet.payload_type != self.payload_type {
            return; // telephone-event and anything else: not audio
        }
        self.scratch.clear();
        if self.codec.decode(packet.payload, &mut self.scratch).is_ok() {
            self.heard.extend(self.scratch.iter().copied());
            let excess = self.heard.len().saturating_sub(MAX_PENDING);
            self.heard.drain(..excess);
        }
    }

    /// One 20 ms period: sends the next prompt frame and returns (heard, sent) for the
    /// recorder.
    async fn tick(&mut self, rtp: &UdpSocket) -> (Vec<i16>, Vec<i16>) {
        let mut sent: Vec<i16> = self
            .prompt
            .get(self.played..)
            .unwrap_or_default()
            .iter()
            .take(FRAME)
            .copied()
            .collect();
        self.played += sent.len();
        sent.resize(FRAME, 0);
        let mut payload = Vec::with_capacity(FRAME);
        if self.codec.encode(&sent, &mut payload).is_ok() {
            let mut packet = Vec::with_capacity(12 + FRAME);
            self.header.write(&payload, &mut packet);
            let _ = rtp.send_to(&packet, self.remote).await;
            self.header.marker = false;
            self.header.sequence = self.header.sequence.wrapping_add(1);
            self.header.timestamp = self.header.timestamp.wrapping_add(FRAME_TICKS);
        }
        let take = self.heard.len().min(FRAME);
        let mut heard: Vec<i16> = self.heard.drain(..take).collect();
        heard.resize(FRAME, 0);
        (heard, sent)
    }
}
