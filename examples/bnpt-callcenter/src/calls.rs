//! Calls over UDP and TCP. An INVITE to a DID is answered at once with the negotiated SDP
//! (`sambung_sip::uas::IncomingCall` keeps the SIP side), greeted with the welcome prompt, and
//! recorded from the first RTP packet to the hang-up — caller on the left channel, what the
//! caller heard on the right — into `recordings/` and the recordings index, with a CDR row from
//! arrival to end. After the greeting the caller waits in the DID's queue of the ACD
//! ([`AcdDriver`]); when it offers the call to an agent, the agent's phone (where they logged
//! in) is rung with `sambung_sip::uac::OutgoingCall`, and once it answers the two legs are
//! bridged through the call task, which relays and records both. Either side's BYE ends both.
//! An INVITE to a feature code (`*71` agent `#` PIN `#`, `*73#`, …) from a phone logs its agent
//! in, makes them ready, and so on; it is answered, then hung up.
//!
//! Each call is one task that owns its RTP sockets, its recorder and its SIP state; the UDP
//! listener hands it the messages with its Call-IDs. Every buffer is bounded: at most
//! [`MAX_CALLS`] calls, [`CHANNEL_DEPTH`] queued SIP messages a call, one second of audio
//! waiting for the 20 ms tick on each leg, and [`MAX_CALL`] of call time.
//!
//! Hold and transfer come from the agent's phone: a re-INVITE putting the caller on hold plays
//! them music (`prompts/hold.wav`, or a built-in tune) and counts hold time in the ACD until
//! the agent resumes; a REFER (blind transfer, RFC 3515) to an extension or an agent rings
//! that phone and bridges the caller to it once it answers, and a REFER to a queue or a DID
//! puts the caller back in that queue; the agent's phone hears how it went in NOTIFYs.
//!
//! An attended transfer is a REFER whose target carries `Replaces` naming a call the agent's
//! phone made to another phone (see `run_dial`): that call's task hands its far leg over, the
//! caller is bridged to it, and both of the agent's calls end.
//!
//! A call that arrives over TCP is answered on its connection; the legs the call center makes
//! itself (agents' phones, the trunk) go out over UDP.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_acd::feature_codes::{self, ReasonCatalogue};
use sambung_acd::priority::{Admission, Priorities};
use sambung_core::ids::{AgentId, CallId, QueueId};
use sambung_core::phone::PhoneNumber;
use sambung_recording::index::{RecordingIndex, RecordingRow};
use sambung_recording::store::sha256_file;
use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};
use sambung_sip::sdp::Sdp;
use sambung_sip::sdp::negotiate::{self, Codec as SdpCodec, LocalMedia};
use sambung_sip::transaction::Timers;
use sambung_sip::uac::{OutgoingCall, OutgoingEvent, OutgoingOutput};
use sambung_sip::uas::{CallEvent, CallOutput, EndReason, IncomingCall, LocalParty};
use sambung_sip::uas_checks::{self, UasPolicy};
use sambung_sip::{HeaderName, Message, MessageBuilder, Method};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::acd_driver::{AcdDriver, AcdOrder, FeatureRefusal};
use crate::ivr::{self, Ivr};
use crate::media_leg::{LegMedia, MediaLeg, Prompt};
use crate::recording_faults::RecordingFaults;
use crate::sip_listener::SipService;
use crate::store::{NewCdr, Store};
use crate::supervise::{Monitor, Monitors};
use crate::sync::lock;

/// Most calls at once; further INVITEs are answered 503 by the stateless side.
pub(crate) const MAX_CALLS: usize = 1000;
/// SIP messages queued for one call before more are dropped (the peer retransmits).
const CHANNEL_DEPTH: usize = 64;
/// Longest call; then the call center hangs up.
const MAX_CALL: Duration = Duration::from_secs(4 * 3600);
/// How long the caller has to key a rating once the survey prompt has played.
const SURVEY_WAIT: Duration = Duration::from_secs(10);
/// Longest a feature-code call lasts.
const FEATURE_CALL: Duration = Duration::from_secs(10);
/// How long a stopping call center waits for calls to hang up and close their recordings.
pub(crate) const DRAIN: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// What call handling is built from.
pub(crate) struct CallSetup {
    pub(crate) store: Store,
    pub(crate) index: RecordingIndex,
    /// DID (E.164 or short code) → service type (its queue).
    pub(crate) dids: Vec<(String, String)>,
    /// DID → its call flow (the IVR).
    pub(crate) flows: HashMap<String, Arc<sambung_acd::flow::Flow>>,
    /// Every prompt the flows play, by name.
    pub(crate) prompts: Arc<ivr::Prompts>,
    pub(crate) media_ip: IpAddr,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) acd: Arc<AcdDriver>,
    /// The registrar's contacts.
    pub(crate) sip: Arc<SipService>,
    /// Agents' and supervisors' PINs.
    pub(crate) pins: BTreeMap<String, String>,
    /// Supervisors' login IDs (who may use `*80`–`*82`).
    pub(crate) supervisors: std::collections::HashSet<String>,
    /// The queues each agent serves.
    pub(crate) agent_queues: HashMap<String, Vec<QueueId>>,
    /// The satisfaction survey, after the agent hangs up.
    pub(crate) survey: Vec<i16>,
    /// The trunk to the carrier, and its password.
    pub(crate) trunk: crate::config::TrunkSection,
    pub(crate) trunk_password: Option<String>,
    /// What a caller on hold hears, looped.
    pub(crate) hold_music: Vec<i16>,
    /// Caller priority (mobile numbers first by default).
    pub(crate) priority: Priorities,
    /// When the call center is open.
    pub(crate) office_hours: sambung_core::calendar::OfficeHours,
    /// The clock office hours are judged by (the wall clock, or a test's).
    pub(crate) clock: Arc<dyn sambung_core::clock::Clock + Send + Sync>,
    /// Calls offered to agents, for the agent desk's screen pop (CTI-2).
    pub(crate) screen_pop: tokio::sync::broadcast::Sender<ScreenPop>,
}

/// A call being offered to an agent, as the agent desk shows it (CTI-2).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ScreenPop {
    pub(crate) agent: String,
    pub(crate) caller: String,
    pub(crate) called: String,
    pub(crate) service: String,
    pub(crate) cdr_id: i64,
    pub(crate) recording_id: String,
}

/// What the call handling needs from the rest of the application.
pub(crate) struct CallCenter {
    setup: CallSetup,
    recordings: PathBuf,
    survey: Arc<[i16]>,
    hold_music: Arc<[i16]>,
    catalogue: ReasonCatalogue,
    priorities: Priorities,
    active: Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>,
    /// Calls phones made to other phones, by Call-ID: what an attended transfer takes over.
    consultations: Mutex<HashMap<String, Consultation>>,
    /// Messages for other tasks by Call-ID (the trunk's registration).
    side: Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>,
    /// The carrier holds our registration.
    pub(crate) trunk_registered: Arc<std::sync::atomic::AtomicBool>,
    trunk_started: std::sync::atomic::AtomicBool,
    /// The first UDP listener's socket and address.
    udp: std::sync::OnceLock<(Arc<UdpSocket>, SocketAddr)>,
    /// Bridges a supervisor can join, by agent.
    monitors: Monitors,
    /// Recordings that could not be started, written or indexed: the dashboard's alert.
    recording_faults: RecordingFaults,
    tasks: Mutex<JoinSet<()>>,
}

/// Where a call's SIP messages come from and go: the peer, and the UDP socket the call
/// center's own legs (agents, the trunk) use; for a call that came over TCP, also the
/// connection's writer and local address, which the caller's leg uses instead.
#[derive(Clone)]
pub(crate) struct SipPath {
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) local: SocketAddr,
    pub(crate) peer: SocketAddr,
    pub(crate) stream: Option<StreamPath>,
}

/// A connection a call came over: its writer's queue, our end of it, and its transport.
#[derive(Clone)]
pub(crate) struct StreamPath {
    pub(crate) tx: mpsc::Sender<Vec<u8>>,
    pub(crate) local: SocketAddr,
    pub(crate) transport: crate::listen::Transport,
}

impl SipPath {
    /// Sends to the peer the way its messages came.
    pub(crate) async fn reply(&self, bytes: Vec<u8>) {
        match &self.stream {
            // Never waits: a peer that stops reading loses messages (as over UDP), it does not
            // stall the call's task.
            Some(stream) => {
                if stream.tx.try_send(bytes).is_err() {
                    warn!(peer = %self.peer, "SIP connection gone or not reading: message dropped");
                }
            }
            None => {
                if let Err(e) = self.socket.send_to(&bytes, self.peer).await {
                    warn!(peer = %self.peer, error = %e, "SIP send failed");
                }
            }
        }
    }

    /// Whether the peer's transport is reliable (TCP: nothing is retransmitted).
    pub(crate) fn reliable(&self) -> bool {
        self.stream.is_some()
    }
}

/// Where [`CallCenter::route`] sent a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Routed {
    /// A call task has it.
    Taken,
    /// A new call to a number the call center does not serve.
    UnknownNumber,
    /// The stateless side answers it.
    Stateless,
    /// Send this answer (a digest challenge, a refusal).
    Reply(Vec<u8>),
}

/// What a new INVITE is for.
enum Purpose {
    /// A call to a DID: (the DID, its service).
    Did(String, String),
    FeatureCode(String),
    /// A call from one of our phones (`from`, proved by digest) out or to another phone.
    Dial {
        from: String,
        to: DialTarget,
    },
}

/// Where a phone's call goes.
#[derive(Debug, Clone)]
enum DialTarget {
    /// Another phone: its registered contact and where to send.
    Phone {
        extension: String,
        contact: String,
        addr: SocketAddr,
    },
    /// Out through the trunk, to this number (E.164 or a short code).
    Trunk { number: String, carrier: SocketAddr },
}

impl CallCenter {
    /// Call handling as `setup` describes it.
    pub(crate) fn new(mut setup: CallSetup) -> Self {
        let recordings = setup.store.root().join("recordings");
        let survey = std::mem::take(&mut setup.survey).into();
        let hold_music = std::mem::take(&mut setup.hold_music).into();
        let priorities = setup.priority.clone();
        let catalogue = ReasonCatalogue::new(
            [
                ('1', "istirahat"),
                ('2', "makan"),
                ('3', "rapat"),
                ('4', "pelatihan"),
            ]
            .into_iter()
            .filter_map(|(d, r)| Some((d, sambung_core::ids::ReasonCode::new(r).ok()?)))
            .collect(),
        );
        Self {
            setup,
            recordings,
            survey,
            hold_music,
            catalogue,
            priorities,
            active: Mutex::new(HashMap::new()),
            side: Mutex::new(HashMap::new()),
            consultations: Mutex::new(HashMap::new()),
            trunk_registered: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            trunk_started: std::sync::atomic::AtomicBool::new(false),
            udp: std::sync::OnceLock::new(),
            monitors: Mutex::new(HashMap::new()),
            recording_faults: RecordingFaults::default(),
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// The recordings index calls are recorded into.
    pub(crate) fn index(&self) -> &RecordingIndex {
        &self.setup.index
    }

    /// Calls offered to agents from now on, for the agent desk's screen pop.
    pub(crate) fn screen_pops(&self) -> tokio::sync::broadcast::Receiver<ScreenPop> {
        self.setup.screen_pop.subscribe()
    }

    /// Calls in progress (feature-code calls and agent legs included).
    pub(crate) fn active(&self) -> usize {
        lock(&self.active).len()
    }

    /// Recording faults so far, and whether they are recent enough to alert.
    pub(crate) fn recording_faults(&self) -> &RecordingFaults {
        &self.recording_faults
    }

    fn purpose_of(&self, msg: &Message<'_>) -> Option<Purpose> {
        let user = match msg.request_uri()? {
            sambung_sip::Uri::Sip(u) => u.user()?,
            sambung_sip::Uri::Tel(t) => t.as_str().strip_prefix("tel:")?,
            sambung_sip::Uri::Other(_) => return None,
        };
        let user = user
            .replace("%23", "#")
            .replace("%2A", "*")
            .replace("%2a", "*");
        if user.starts_with('*') {
            return Some(Purpose::FeatureCode(user));
        }
        let number = PhoneNumber::parse(&user).ok()?;
        self.setup
            .dids
            .iter()
            .find(|(did, _)| did == number.as_str())
            .map(|(did, service)| Purpose::Did(did.clone(), service.clone()))
    }

    /// Takes a datagram that belongs to a call — a message with a known Call-ID, or a new
    /// INVITE to a DID or a feature code — and says so; anything else is for the stateless side
    /// (which also answers a new call while the call center is full or stopping), and a new
    /// INVITE to any other number is marked for a 404. The datagram is parsed once here.
    pub(crate) fn route(self: &Arc<Self>, data: &[u8], path: &SipPath) -> Routed {
        let Ok(msg) = Message::parse(data) else {
            return Routed::Stateless;
        };
        if let Some(tx) = lock(&self.side).get(msg.call_id()) {
            let _ = tx.try_send(data.to_vec());
            return Routed::Taken;
        }
        let mut active = lock(&self.active);
        if let Some(tx) = active.get(msg.call_id()) {
            if tx.try_send(data.to_vec()).is_err() {
                warn!(call_id = msg.call_id(), "call busy: SIP message dropped");
            }
            return Routed::Taken;
        }
        let new_call =
            msg.is_request() && msg.method() == Method::Invite && msg.to().tag().is_none();
        // Requests a UAS must refuse (§8.2) are answered by the stateless side.
        if !new_call || uas_checks::check(&msg, &UasPolicy::default()).is_some() {
            return Routed::Stateless;
        }
        // An INVITE that cannot make a dialog (no From tag, no Contact) gets 400 at once.
        if let Err(e) = sambung_sip::dialog::Dialog::uas(&msg, "check", false) {
            warn!(call_id = msg.call_id(), peer = %path.peer, error = %e, "INVITE refused");
            return Routed::Reply(self.setup.sip.refuse(&msg, 400, "Bad Request"));
        }
        let purpose = match self.purpose_of(&msg) {
            Some(p) => p,
            None => {
                drop(active);
                match self.dial_purpose(&msg, path) {
                    Ok(p) => {
                        active = lock(&self.active);
                        p
                    }
                    Err(routed) => return routed,
                }
            }
        };
        if active.len() >= MAX_CALLS || *self.setup.stop.borrow() {
            return Routed::Stateless;
        }
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let call_id = msg.call_id().to_owned();
        active.insert(call_id.clone(), tx.clone());
        drop(active);
        let center = Arc::clone(self);
        let invite = data.to_vec();
        let path = path.clone();
        lock(&self.tasks).spawn(async move {
            let result = match purpose {
                Purpose::Did(did, service) => {
                    center
                        .run_call(&invite, &path, (&did, &service), tx, rx)
                        .await
                }
                Purpose::FeatureCode(code) => center.run_feature(&invite, &path, &code, rx).await,
                Purpose::Dial { from, to } => {
                    center.run_dial(&invite, &path, &from, to, tx, rx).await
                }
            };
            if let Err(e) = result {
                warn!(call_id, error = %e, "call failed");
            }
            lock(&center.active).remove(&call_id);
        });
        Routed::Taken
    }

    /// A new INVITE to neither a DID nor a feature code: the calling phone must prove who it
    /// is (407 until it does, 403 when it fails); then another phone (an extension, or an agent
    /// where they logged in) or, through the trunk, an outside number the trunk allows. Anything
    /// else is refused: nobody reaches the trunk without a phone's password (toll-fraud guard).
    fn dial_purpose(&self, msg: &Message<'_>, path: &SipPath) -> Result<Purpose, Routed> {
        let user = match msg.request_uri() {
            Some(sambung_sip::Uri::Sip(u)) => u.user().map(str::to_owned),
            Some(sambung_sip::Uri::Tel(t)) => t.as_str().strip_prefix("tel:").map(str::to_owned),
            _ => None,
        }
        .ok_or(Routed::UnknownNumber)?;
        let from = self
            .setup
            .sip
            .authenticate_call(msg, path.peer)
            .map_err(Routed::Reply)?;
        let host = path.local.ip().to_string();
        let logged_in = AgentId::new(&user)
            .ok()
            .and_then(|a| self.setup.acd.extension_of(&a));
        if logged_in.is_some() || self.setup.sip.is_phone(&user) {
            let extension = logged_in.unwrap_or_else(|| user.clone());
            return match self.setup.sip.contact_of(&extension, &host) {
                Some((contact, addr)) => Ok(Purpose::Dial {
                    from,
                    to: DialTarget::Phone {
                        extension,
                        contact,
                        addr,
                    },
                }),
                None => Err(Routed::Reply(self.setup.sip.refuse(
                    msg,
                    480,
                    "Temporarily Unavailable",
                ))),
            };
        }
        let number = PhoneNumber::parse(&user).map_err(|_| Routed::UnknownNumber)?;
        let trunk = &self.setup.trunk;
        match trunk.address() {
            Some(carrier) if trunk.allows(number.as_str()) => Ok(Purpose::Dial {
                from,
                to: DialTarget::Trunk {
                    number: number.as_str().to_owned(),
                    carrier,
                },
            }),
            Some(_) => {
                warn!(%from, number = number.as_str(), "call out to a number the trunk does not allow");
                Err(Routed::Reply(self.setup.sip.refuse(msg, 403, "Forbidden")))
            }
            None => Err(Routed::UnknownNumber),
        }
    }

    /// The first UDP listener is up: a registration trunk starts registering from it.
    pub(crate) fn udp_ready(self: &Arc<Self>, socket: Arc<UdpSocket>, local: SocketAddr) {
        use std::sync::atomic::Ordering;
        let _ = self.udp.set((Arc::clone(&socket), local));
        let trunk = &self.setup.trunk;
        let Some(carrier) = trunk.address().filter(|_| trunk.register) else {
            return;
        };
        if self.trunk_started.swap(true, Ordering::Relaxed) {
            return;
        }
        let Some(password) = self.setup.trunk_password.clone() else {
            warn!("[trunk] register is on but secrets.toml has no trunk_password: not registering");
            return;
        };
        let (tx, inbox) = mpsc::channel(CHANNEL_DEPTH);
        let call_id = crate::trunk::call_id(local);
        lock(&self.side).insert(call_id.clone(), tx);
        let registration = crate::trunk::Registration {
            trunk: trunk.clone(),
            carrier,
            password,
            socket,
            local,
            inbox,
            registered: Arc::clone(&self.trunk_registered),
        };
        lock(&self.tasks).spawn(registration.run(call_id, self.setup.stop.clone()));
    }

    /// Waits up to `limit` for the calls to end (they hang up when `stop` turns true).
    pub(crate) async fn drain(&self, limit: Duration) {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        let all = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(limit, all).await.is_err() {
            warn!("calls still running at shutdown were cut off");
        }
    }

    fn local_party(path: &SipPath, user: &str) -> LocalParty {
        match &path.stream {
            Some(s) => LocalParty {
                tag: random_tag(),
                contact: format!(
                    "<sip:{user}@{};transport={}>",
                    s.local,
                    s.transport.prefix()
                ),
                via: format!("SIP/2.0/{} {}", s.transport.via_name(), s.local),
            },
            None => LocalParty {
                tag: random_tag(),
                contact: format!("<sip:{user}@{}>", path.local),
                via: format!("SIP/2.0/UDP {}", path.local),
            },
        }
    }

    /// The UDP socket (and its address) the call center's own legs go out on, once a UDP
    /// listener is up: what a call arriving over TCP needs.
    pub(crate) fn udp(&self) -> Option<(Arc<UdpSocket>, SocketAddr)> {
        self.udp.get().cloned()
    }

    /// A feature code keyed on a phone: done and confirmed by answering (then hanging up), or
    /// refused with 403 (wrong PIN) or 404.
    async fn run_feature(
        &self,
        invite: &[u8],
        path: &SipPath,
        dialled: &str,
        mut rx: mpsc::Receiver<Vec<u8>>,
    ) -> Result<(), CallFailure> {
        let msg = Message::parse(invite).map_err(|e| CallFailure::Sip(e.to_string()))?;
        let extension = user_or_uri(msg.from().uri());
        let mut call = IncomingCall::new(
            invite,
            Self::local_party(path, "feature"),
            path.reliable(),
            Timers::default(),
        )
        .map_err(|e| CallFailure::Sip(e.to_string()))?;
        let source = path.peer.ip();
        if let Ok(feature_codes::FeatureCode::Supervise { mode, agent, pin }) =
            feature_codes::parse(dialled, &self.catalogue)
        {
            return self
                .run_supervise(&msg, path, call, (mode, agent.as_str(), &pin), rx)
                .await;
        }
        let result = match feature_codes::parse(dialled, &self.catalogue) {
            Ok(code) => {
                let (agent, login) = match &code {
                    feature_codes::FeatureCode::Login { agent, .. } => {
                        (agent.as_str().to_owned(), true)
                    }
                    _ => (extension.clone(), false),
                };
                if login && self.setup.sip.secret_guesses_blocked(source, &agent) {
                    Err(FeatureRefusal::WrongPin)
                } else {
                    let queues = self
                        .setup
                        .agent_queues
                        .get(&agent)
                        .cloned()
                        .unwrap_or_default();
                    let result = self
                        .setup
                        .acd
                        .feature(&extension, code, &self.setup.pins, queues)
                        .await;
                    if login {
                        let right = result != Err(FeatureRefusal::WrongPin);
                        self.setup.sip.secret_guessed(source, &agent, right);
                    }
                    result
                }
            }
            Err(_) => Err(FeatureRefusal::Unsupported),
        };
        match result {
            Ok(done) => {
                info!(%extension, code = dialled.split('#').next().unwrap_or_default(), done, "feature code");
                let rtp = UdpSocket::bind((self.setup.media_ip, 0)).await?;
                let port = rtp.local_addr()?.port();
                let sdp = negotiate_caller(&msg, self.setup.media_ip, port).map(|(sdp, _)| sdp);
                let answered = match sdp {
                    Some(sdp) => call.answer(&sdp, Instant::now()).is_ok(),
                    None => {
                        // Done, but there is no session to answer with.
                        let _ = call.reject(488, "Not Acceptable Here");
                        false
                    }
                };
                flush(&mut call, path).await;
                if answered {
                    // A moment of the answered call, then the hang-up confirms it.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    call.hangup(Instant::now());
                }
            }
            Err(refusal) => {
                warn!(%extension, %refusal, "feature code refused");
                let (status, reason) = match refusal {
                    FeatureRefusal::WrongPin => (403, "Forbidden"),
                    _ => (404, "Not Found"),
                };
                let _ = call.reject(status, reason);
            }
        }
        let deadline = tokio::time::Instant::now() + FEATURE_CALL;
        loop {
            if flush(&mut call, path).await.is_some() {
                return Ok(());
            }
            let timer = call.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                Some(sip) = rx.recv() => call.on_message(&sip, Instant::now()),
                () = sleep_until(timer) => call.on_timeout(Instant::now()),
                () = tokio::time::sleep_until(deadline) => return Ok(()),
            }
        }
    }

    /// A supervisor's call (`*80`/`*81`/`*82` + agent + PIN): checked (a supervisor's phone,
    /// their PIN, throttled like every secret), then joined to the agent's bridge until either
    /// side hangs up. 403 for a wrong PIN, 480 when the agent is on no call.
    async fn run_supervise(
        &self,
        msg: &Message<'_>,
        path: &SipPath,
        mut call: IncomingCall,
        (mode, agent, pin): (feature_codes::SuperviseMode, &str, &str),
        mut rx: mpsc::Receiver<Vec<u8>>,
    ) -> Result<(), CallFailure> {
        let supervisor = user_or_uri(msg.from().uri());
        let source = path.peer.ip();
        let allowed = self.setup.supervisors.contains(&supervisor)
            && !self.setup.sip.secret_guesses_blocked(source, &supervisor);
        let right = allowed
            && self
                .setup
                .pins
                .get(&supervisor)
                .is_some_and(|p| crate::secrets::same_secret(pin, p));
        if allowed {
            self.setup.sip.secret_guessed(source, &supervisor, right);
        }
        let bridge = lock(&self.monitors).get(agent).cloned();
        let answer = if !right {
            warn!(%supervisor, agent, "supervisor code refused");
            Err((403, "Forbidden"))
        } else if let Some(bridge) = bridge {
            let rtp = UdpSocket::bind((self.setup.media_ip, 0)).await?;
            let port = rtp.local_addr()?.port();
            match negotiate_caller(msg, self.setup.media_ip, port) {
                Some((sdp, media)) => Ok((bridge, rtp, sdp, media)),
                None => Err((488, "Not Acceptable Here")),
            }
        } else {
            Err((480, "Temporarily Unavailable"))
        };
        let (bridge, rtp, sdp, media) = match answer {
            Ok(parts) => parts,
            Err((status, reason)) => {
                let _ = call.reject(status, reason);
                flush(&mut call, path).await;
                return Ok(());
            }
        };
        let (to_supervisor, mut hears) = mpsc::channel(4);
        let (says, from_supervisor) = mpsc::channel(4);
        if bridge
            .try_send(Monitor::new(mode, to_supervisor, from_supervisor))
            .is_err()
        {
            let _ = call.reject(480, "Temporarily Unavailable");
            flush(&mut call, path).await;
            return Ok(());
        }
        call.answer(&sdp, Instant::now())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        info!(%supervisor, agent, ?mode, "supervisor on the agent's call");
        let mut leg = MediaLeg::new(media, random_seed());
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        let mut stop = self.setup.stop.clone();
        let mut buf = vec![0u8; 2048];
        let deadline = Instant::now() + MAX_CALL;
        loop {
            if flush(&mut call, path).await.is_some() {
                break;
            }
            let timer = call.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = ticker.tick() => {
                    // What the supervisor says goes to the bridge; what they hear comes back.
                    let frame = leg.take_frame();
                    let mut heard = None;
                    let mut bridge_gone = says.try_send(frame).is_err() && says.is_closed();
                    loop {
                        match hears.try_recv() {
                            Ok(f) => heard = Some(f),
                            Err(mpsc::error::TryRecvError::Empty) => break,
                            Err(mpsc::error::TryRecvError::Disconnected) => {
                                bridge_gone = true;
                                break;
                            }
                        }
                    }
                    if let Some(f) = heard {
                        leg.send_frame(&rtp, &f).await;
                    }
                    if bridge_gone || Instant::now() >= deadline || *stop.borrow() {
                        call.hangup(Instant::now());
                    }
                }
                got = rtp.recv_from(&mut buf) => {
                    if let Ok((n, _)) = got {
                        leg.receive(buf.get(..n).unwrap_or_default());
                    }
                }
                Some(sip) = rx.recv() => call.on_message(&sip, Instant::now()),
                () = sleep_until(timer) => call.on_timeout(Instant::now()),
                _ = stop.changed() => {}
            }
        }
        info!(%supervisor, agent, "supervisor left the call");
        Ok(())
    }

    #[expect(clippy::too_many_lines, reason = "one call's life, read top to bottom")]
    async fn run_call(
        &self,
        invite: &[u8],
        path: &SipPath,
        (did, service): (&str, &str),
        inbox: mpsc::Sender<Vec<u8>>,
        mut rx: mpsc::Receiver<Vec<u8>>,
    ) -> Result<(), CallFailure> {
        let msg = Message::parse(invite).map_err(|e| CallFailure::Sip(e.to_string()))?;
        let caller = user_or_uri(msg.from().uri());
        let called = msg.request_uri().map(user_or_uri).unwrap_or_default();
        let arrived_ms = now_ms();
        let store = &self.setup.store;
        let cdr = store
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

        let me = Self::local_party(path, &called);
        let tag = me.tag.clone();
        let mut call = IncomingCall::new(invite, me, path.reliable(), Timers::default())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        let rtp = UdpSocket::bind((self.setup.media_ip, 0)).await?;
        let rtp_port = rtp.local_addr()?.port();
        let Some((sdp, media)) = negotiate_caller(&msg, self.setup.media_ip, rtp_port) else {
            let _ = call.reject(488, "Not Acceptable Here");
            flush(&mut call, path).await;
            store
                .cdr_end(cdr, now_ms(), "rejected", "rejected")
                .await
                .map_err(|e| CallFailure::Store(e.to_string()))?;
            return Ok(());
        };
        call.answer(&sdp, Instant::now())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        flush(&mut call, path).await;

        let recording_id = format!("{arrived_ms}-{tag}");
        // A recording that cannot start (full disk, missing folder) leaves the call unrecorded,
        // never unanswered; the fault raises the dashboard's alert.
        let mut recording = self
            .start_recording(
                &recording_id,
                cdr,
                (&caller, &called),
                (None, Some(service)),
                service,
            )
            .await;
        let file = recording.as_ref().map(|r| r.file.clone());
        store
            .cdr_answered(
                cdr,
                now_ms(),
                recording.as_ref().map(|_| recording_id.as_str()),
            )
            .await
            .map_err(|e| CallFailure::Store(e.to_string()))?;

        let mut leg = MediaLeg::new(media, random_seed()).listening_for_tones();
        // The IVR: the DID's call flow (greeting, office hours, menus, then the queue).
        let wall = self.setup.clock.wall();
        let open = self.setup.office_hours.is_open(wall);
        if !open {
            info!(call_id = msg.call_id(), "outside office hours");
        }
        let flow = self
            .setup
            .flows
            .get(did)
            .cloned()
            .ok_or_else(|| CallFailure::Sip(format!("no call flow for DID {did}")))?;
        let (mut ivr, first) = Ivr::start(
            flow,
            Arc::clone(&self.setup.prompts),
            &self.setup.office_hours,
            wall,
            Instant::now(),
        );
        let mut ivr_step = Some(first);
        let deadline = Instant::now() + MAX_CALL;
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        let mut stop = self.setup.stop.clone();
        let mut buf = vec![0u8; 2048];
        let mut agent_buf = vec![0u8; 2048];
        let mut reason = EndReason::LocalHangup;
        let mut stopping = false;
        let acd_call = CallId::new(u64::try_from(cdr).unwrap_or(0));
        let (orders_tx, mut orders) = mpsc::channel::<AcdOrder>(4);
        let mut queued = false;
        let mut agent: Option<AgentLeg> = None;
        // A supervisor's way in while the agent is bridged, and the supervisor once joined.
        let mut monitor_rx: Option<mpsc::Receiver<Monitor>> = None;
        let mut monitor: Option<Monitor> = None;
        // After the agent hangs up: the survey prompt, and until when a key is awaited.
        let mut survey: Option<(Prompt, Option<Instant>)> = None;
        // Music for the caller while the agent holds them; whether the caller holds us.
        let mut hold_music = Prompt::new(Arc::clone(&self.hold_music));
        let mut caller_held = false;
        // A blind transfer's new leg while it rings, and legs finishing their hang-up.
        let mut transfer: Option<AgentLeg> = None;
        let mut leaving: Vec<AgentLeg> = Vec::new();
        loop {
            if !stopping && *stop.borrow() {
                stopping = true;
                call.hangup(Instant::now());
                for a in agent.iter_mut().chain(transfer.iter_mut()) {
                    a.call.hangup(Instant::now());
                    a.flush(path).await;
                }
                if let Some(ended) = flush(&mut call, path).await {
                    reason = ended;
                }
                // The listener has stopped: the BYE's answer will not be routed here.
                break;
            }
            let timer = agent
                .iter()
                .chain(transfer.iter())
                .chain(leaving.iter())
                .map(|a| a.call.poll_timeout())
                .chain([call.poll_timeout()])
                .flatten()
                .min()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = ticker.tick() => {
                    let heard = leg.take_frame();
                    let held = agent.as_ref().is_some_and(|a| a.held);
                    let bridged = agent.as_mut().and_then(|a| a.media.as_mut());
                    let sent = match bridged {
                        Some(m) => {
                            let from_agent = m.take_frame();
                            // A supervisor on the call: the three parties mixed by mode.
                            let mixed = monitor.as_mut().map(|mon| mon.mix(&heard, &from_agent));
                            let (to_agent, to_caller) = match mixed {
                                Some(Some(m)) => (m.to_agent, m.to_caller),
                                Some(None) => {
                                    info!("supervisor left");
                                    monitor = None;
                                    (heard.clone(), from_agent)
                                }
                                None => (heard.clone(), from_agent),
                            };
                            // On hold the agent's phone takes nothing (it offered sendonly).
                            if !held && let Some(a) = agent.as_mut() && let Some(m) = a.media.as_mut() {
                                m.send_frame(&a.rtp, &to_agent).await;
                            }
                            if held { hold_music.next_frame_looping() } else { to_caller }
                        }
                        None if transfer.is_some() => hold_music.next_frame_looping(),
                        None => match survey.as_mut() {
                            Some((p, _)) => p.next_frame(),
                            None => ivr.prompt.next_frame(),
                        },
                    };
                    // The caller on hold takes nothing either.
                    if !caller_held {
                        leg.send_frame(&rtp, &sent).await;
                    }
                    if let Some(r) = recording.as_mut() {
                        self.record_frame(r, &heard, &sent);
                    }
                    if Instant::now() >= deadline {
                        call.hangup(Instant::now());
                    }
                    let now = Instant::now();
                    let (keyed, step) = match ivr_step.take() {
                        Some(step) => (None, step),
                        None => {
                            let key = if ivr.wants_keys() { leg.take_digit() } else { None };
                            ivr.tick(now, self.setup.clock.wall(), key)
                        }
                    };
                    if let Some(k) = keyed {
                        info!(key = %k, "IVR key");
                        store.cdr_ivr_input(cdr, &k).await.ok();
                    }
                    match step {
                        ivr::Step::Nothing => {}
                        ivr::Step::Hangup => call.hangup(now),
                        ivr::Step::RequestCallback => {
                            info!("callback requested");
                            store.callback_request(cdr, &caller, service, now_ms()).await.ok();
                        }
                        ivr::Step::Enqueue { queue, priority: extra } => {
                            queued = true;
                            match self.priorities.admit(PhoneNumber::parse(&caller).ok().as_ref()) {
                                Admission::Queue { priority } => {
                                    self.setup.acd.call_arrived(acd_call, queue, priority.saturating_add(extra), orders_tx.clone()).await;
                                }
                                Admission::Blocked => {
                                    info!(%caller, "blocked number: not queued");
                                    queued = false;
                                    call.hangup(now);
                                }
                            }
                        }
                    }
                    if let Some((p, until)) = survey.as_mut() {
                        let now = Instant::now();
                        if p.done() && until.is_none() {
                            *until = Some(now + SURVEY_WAIT);
                        }
                        let rating = std::iter::from_fn(|| leg.take_digit())
                            .find_map(|d| d.to_digit(10).filter(|n| (1..=5).contains(n)));
                        if let Some(score) = rating {
                            info!(score, "survey answered");
                            let score = u8::try_from(score).unwrap_or(0);
                            store.cdr_ivr_input(cdr, &format!("survey:{score}")).await.ok();
                            store.cdr_survey(cdr, score).await.ok();
                            call.hangup(now);
                        } else if until.is_some_and(|u| now >= u) {
                            call.hangup(now);
                        }
                    }
                }
                got = rtp.recv_from(&mut buf) => {
                    if let Ok((n, _)) = got {
                        leg.receive(buf.get(..n).unwrap_or_default());
                    }
                }
                got = recv_opt(agent.as_ref().map(|a| &a.rtp), &mut agent_buf) => {
                    if let (Some(n), Some(a)) = (got, agent.as_mut()) && let Some(m) = a.media.as_mut() {
                        m.receive(agent_buf.get(..n).unwrap_or_default());
                    }
                }
                Some(sip) = rx.recv() => {
                    let id = Message::parse(&sip).ok().map(|m| m.call_id().to_owned());
                    let to_leg = agent
                        .iter_mut()
                        .chain(transfer.iter_mut())
                        .chain(leaving.iter_mut())
                        .find(|a| id.as_deref() == Some(a.call_id.as_str()));
                    match to_leg {
                        Some(a) => a.call.on_message(&sip, Instant::now()),
                        None => call.on_message(&sip, Instant::now()),
                    }
                }
                Some(joined) = recv_monitor(monitor_rx.as_mut()) => {
                    info!(mode = ?joined.mode, "supervisor joined");
                    monitor = Some(joined);
                }
                Some(order) = orders.recv() => match order {
                    AcdOrder::Leave => call.hangup(Instant::now()),
                    AcdOrder::CancelOffer => {
                        if let Some(a) = agent.as_mut() {
                            a.call.hangup(Instant::now());
                        }
                    }
                    AcdOrder::Offer { agent: who, extension } => {
                        // Nobody watching is fine: the desk is optional.
                        let _ = self.setup.screen_pop.send(ScreenPop {
                            agent: who.as_str().to_owned(),
                            caller: caller.clone(),
                            called: called.clone(),
                            service: service.to_owned(),
                            cdr_id: cdr,
                            recording_id: recording_id.clone(),
                        });
                        match self.ring_agent(path, &called, who.clone(), &extension, &inbox).await {
                            Some(a) => agent = Some(a),
                            None => self.setup.acd.offer_failed(acd_call, who).await,
                        }
                    }
                },
                () = sleep_until(timer) => {
                    let now = Instant::now();
                    call.on_timeout(now);
                    for a in agent.iter_mut().chain(transfer.iter_mut()).chain(leaving.iter_mut()) {
                        a.call.on_timeout(now);
                    }
                }
                // Wakes the loop; the check at its top hangs up.
                _ = stop.changed() => {}
            }
            let mut referred = None;
            if let Some(a) = agent.as_mut() {
                for event in a.flush(path).await {
                    match event {
                        OutgoingEvent::Answered(body) => {
                            a.media = a.answered(&body);
                            info!(agent = %a.agent, "agent answered");
                            // From now a supervisor can join this bridge.
                            let (tx, rx) = mpsc::channel(1);
                            lock(&self.monitors).insert(a.agent.as_str().to_owned(), tx);
                            monitor_rx = Some(rx);
                            store.cdr_agent(cdr, a.agent.as_str()).await.ok();
                            if let Err(e) = self
                                .setup
                                .index
                                .set_agent(&recording_id, a.agent.as_str())
                                .await
                            {
                                warn!(error = %e, "recording's agent not indexed");
                            }
                            self.setup
                                .acd
                                .offer_answered(acd_call, a.agent.clone())
                                .await;
                        }
                        OutgoingEvent::Failed(status) => {
                            info!(agent = %a.agent, status, "offer not answered");
                            self.setup.acd.offer_failed(acd_call, a.agent.clone()).await;
                        }
                        OutgoingEvent::RemoteHangup | OutgoingEvent::SessionExpired => {
                            // The agent's part is over (wrap-up starts); the caller rates it,
                            // unless the agent hung up on a transfer still ringing.
                            if queued {
                                self.setup.acd.call_gone(acd_call).await;
                                queued = false;
                            }
                            if transfer.is_none() {
                                while leg.take_digit().is_some() {}
                                survey = Some((Prompt::new(Arc::clone(&self.survey)), None));
                            }
                        }
                        OutgoingEvent::Reoffered { held, remote } => {
                            if let (Some(r), Some(m)) = (remote, a.media.as_mut()) {
                                m.set_remote(r);
                            }
                            if held != a.held {
                                a.held = held;
                                info!(agent = %a.agent, held, "agent hold");
                                if queued {
                                    self.setup.acd.hold(acd_call, held).await;
                                }
                            }
                        }
                        OutgoingEvent::Referred { target } => referred = Some(target),
                        OutgoingEvent::Ringing(_) | OutgoingEvent::LocalHangup => {}
                    }
                }
                if a.call.state() == sambung_sip::uac::OutgoingState::Ended {
                    lock(&self.active).remove(&a.call_id);
                    lock(&self.monitors).remove(a.agent.as_str());
                    monitor = None;
                    monitor_rx = None;
                    agent = None;
                }
            }
            if let Some(target) = referred {
                let now = Instant::now();
                match self.transfer_target(&target) {
                    _ if transfer.is_some() => {
                        if let Some(a) = agent.as_mut() {
                            a.call.notify_refer(491, "Request Pending", now);
                        }
                    }
                    TransferTarget::Queue(queue) => {
                        // Back to a queue: the agent's call is done, the caller waits again.
                        info!(%queue, "transferred to a queue");
                        store.cdr_transferred(cdr, queue.as_str()).await.ok();
                        if let Some(mut a) = agent.take() {
                            a.call.notify_refer(200, "OK", now);
                            a.call.hangup(now);
                            lock(&self.monitors).remove(a.agent.as_str());
                            leaving.push(a);
                        }
                        monitor = None;
                        monitor_rx = None;
                        if queued {
                            self.setup.acd.call_gone(acd_call).await;
                        }
                        let priority = match self
                            .priorities
                            .admit(PhoneNumber::parse(&caller).ok().as_ref())
                        {
                            Admission::Queue { priority } => priority,
                            Admission::Blocked => 0,
                        };
                        self.setup
                            .acd
                            .call_arrived(acd_call, queue, priority, orders_tx.clone())
                            .await;
                        queued = true;
                    }
                    TransferTarget::Phone {
                        agent: who,
                        extension,
                    } => {
                        match self
                            .ring_agent(path, &caller, who, &extension, &inbox)
                            .await
                        {
                            Some(t) => {
                                info!(%extension, "blind transfer: ringing");
                                store.cdr_transferred(cdr, &extension).await.ok();
                                if let Some(a) = agent.as_mut() {
                                    a.call.notify_refer(100, "Trying", now);
                                }
                                transfer = Some(t);
                            }
                            None => {
                                if let Some(a) = agent.as_mut() {
                                    a.call.notify_refer(480, "Temporarily Unavailable", now);
                                }
                            }
                        }
                    }
                    TransferTarget::Replaces {
                        call_id,
                        to_tag,
                        from_tag,
                    } => {
                        let handover = lock(&self.consultations)
                            .get(&call_id)
                            .filter(|c| c.our_tag == to_tag && c.phone_tag == from_tag)
                            .map(|c| c.handover.clone());
                        let taken = match handover {
                            Some(h) => {
                                let (tx, rx) = tokio::sync::oneshot::channel();
                                if h.send(tx).await.is_ok() {
                                    tokio::time::timeout(Duration::from_secs(2), rx)
                                        .await
                                        .ok()
                                        .and_then(Result::ok)
                                } else {
                                    None
                                }
                            }
                            None => None,
                        };
                        match taken {
                            Some(b) => {
                                // The consulted phone's leg is the caller's now.
                                lock(&self.active).insert(b.call_id.clone(), inbox.clone());
                                info!(extension = %b.agent, "attended transfer");
                                store.cdr_transferred(cdr, b.agent.as_str()).await.ok();
                                if queued {
                                    self.setup.acd.call_gone(acd_call).await;
                                    queued = false;
                                }
                                monitor = None;
                                monitor_rx =
                                    Some(self.hand_over(&mut agent, b, path, &mut leaving).await);
                            }
                            None => {
                                warn!(%call_id, "attended transfer: no such consultation call");
                                if let Some(a) = agent.as_mut() {
                                    a.call.notify_refer(481, "Call Does Not Exist", now);
                                }
                            }
                        }
                    }
                    TransferTarget::Refused(status, why) => {
                        warn!(%target, why, "transfer refused");
                        if let Some(a) = agent.as_mut() {
                            a.call.notify_refer(status, why, now);
                        }
                    }
                }
                if let Some(a) = agent.as_mut() {
                    a.flush(path).await;
                }
            }
            if let Some(t) = transfer.as_mut() {
                let now = Instant::now();
                let mut outcome = None;
                for event in t.flush(path).await {
                    match event {
                        OutgoingEvent::Answered(body) => {
                            t.media = t.answered(&body);
                            outcome = Some(Ok(()));
                        }
                        OutgoingEvent::Failed(status) => outcome = Some(Err(status)),
                        _ => {}
                    }
                }
                match outcome {
                    Some(Ok(())) => {
                        if queued {
                            self.setup.acd.call_gone(acd_call).await;
                            queued = false;
                        }
                        monitor = None;
                        if let Some(t) = transfer.take() {
                            info!(extension = %t.agent, "blind transfer answered");
                            monitor_rx =
                                Some(self.hand_over(&mut agent, t, path, &mut leaving).await);
                        }
                    }
                    Some(Err(status)) => {
                        info!(status, "blind transfer failed");
                        if let Some(t) = transfer.take() {
                            lock(&self.active).remove(&t.call_id);
                        }
                        match agent.as_mut() {
                            // The agent is still there: they can take the caller back.
                            Some(a) => {
                                a.call.notify_refer(status, "Transfer Failed", now);
                                a.flush(path).await;
                            }
                            // Nobody is: the caller waits in their queue again.
                            None => {
                                if let Ok(queue) = QueueId::new(service) {
                                    self.setup
                                        .acd
                                        .call_arrived(acd_call, queue, 0, orders_tx.clone())
                                        .await;
                                    queued = true;
                                }
                            }
                        }
                    }
                    None => {}
                }
            }
            for l in &mut leaving {
                l.flush(path).await;
            }
            leaving.retain(|l| {
                let done = l.call.state() == sambung_sip::uac::OutgoingState::Ended;
                if done {
                    lock(&self.active).remove(&l.call_id);
                }
                !done
            });
            let ended = flush_with(&mut call, path, |e| {
                caller_event(e, &mut caller_held, &mut leg);
            })
            .await;
            if let Some(ended) = ended {
                reason = ended;
                for a in agent
                    .iter_mut()
                    .chain(transfer.iter_mut())
                    .chain(leaving.iter_mut())
                {
                    a.call.hangup(Instant::now());
                    a.flush(path).await;
                    lock(&self.active).remove(&a.call_id);
                }
                break;
            }
        }
        if queued {
            self.setup.acd.call_gone(acd_call).await;
        }
        if let Some(a) = &agent {
            lock(&self.monitors).remove(a.agent.as_str());
        }
        drop(monitor);
        let ended_ms = now_ms();
        let duration_ms = match recording {
            Some(r) => self.finish_recording(r, ended_ms).await,
            None => 0,
        };
        let reason_text = if stopping {
            "shutdown"
        } else {
            end_reason(reason)
        };
        let disposition = match ivr.outcome {
            ivr::Outcome::Voicemail => "voicemail",
            ivr::Outcome::Callback => "callback",
            // The announcements served the caller (ACC-7b).
            ivr::Outcome::Queued => "completed",
            ivr::Outcome::Ended if open => "ivr",
            ivr::Outcome::Running if open => "completed",
            ivr::Outcome::Running | ivr::Outcome::Ended => "after_hours",
        };
        store
            .cdr_end(cdr, ended_ms, disposition, reason_text)
            .await
            .map_err(|e| CallFailure::Store(e.to_string()))?;
        let recording = file.as_ref().map(|f| f.display().to_string());
        info!(
            call_id = call.dialog().id.call_id,
            reason = reason_text,
            duration_ms,
            recording = recording.as_deref().unwrap_or("none"),
            "call ended"
        );
        Ok(())
    }

    /// Starts recording call `cdr` into `recordings/ID.wav` (caller left, what the caller
    /// heard right) and indexes it as incomplete.
    async fn start_recording(
        &self,
        id: &str,
        cdr: i64,
        (caller, called): (&str, &str),
        (agent, queue): (Option<&str>, Option<&str>),
        service: &str,
    ) -> Option<Recording> {
        let file = self.recordings.join(format!("{id}.wav"));
        let recorder = match WavRecorder::create(&file, RecorderConfig::default()) {
            Ok(r) => r,
            Err(e) => {
                self.recording_faults
                    .note(now_ms(), "recording not started", &e);
                return None;
            }
        };
        let now = now_ms();
        let row = RecordingRow {
            id: id.to_owned(),
            call_id: cdr,
            caller: caller.to_owned(),
            called: called.to_owned(),
            agent: agent.map(str::to_owned),
            queue: queue.map(str::to_owned),
            service: Some(service.to_owned()),
            started_ms: now,
            ended_ms: now,
            duration_ms: 0,
            codec: "wav/pcm16-stereo".to_owned(),
            size_bytes: 0,
            sha256: String::new(),
            path: format!("{id}.wav"),
            complete: false,
        };
        if let Err(e) = self.setup.index.begin(&row).await {
            self.recording_faults
                .note(now_ms(), "recording not indexed", &e);
        }
        Some(Recording {
            recorder,
            id: id.to_owned(),
            file,
            failing: false,
        })
    }

    /// Writes one frame of both legs; the first failure of a recording is a fault, and the
    /// call goes on (the recorder keeps at most a bounded backlog while the disk refuses).
    fn record_frame(&self, r: &mut Recording, from_caller: &[i16], to_caller: &[i16]) {
        match r.recorder.write(from_caller, to_caller) {
            Ok(()) => r.failing = false,
            Err(e) if !r.failing => {
                r.failing = true;
                self.recording_faults
                    .note(now_ms(), "recording write failed", &e);
            }
            Err(_) => {}
        }
    }

    /// Closes a recording and completes its index row (size, duration, SHA-256); returns its
    /// duration in milliseconds.
    async fn finish_recording(&self, r: Recording, ended_ms: i64) -> i64 {
        let summary = match r.recorder.finish() {
            Ok(summary) => summary,
            Err(e) => {
                // The file keeps what reached the disk (its header says so, or the next start's
                // recovery makes it); the index row stays incomplete, which searches show.
                self.recording_faults
                    .note(now_ms(), "recording not finished", &e);
                return 0;
            }
        };
        let size = std::fs::metadata(&r.file).map_or(0, |m| m.len());
        let duration_ms = i64::try_from(summary.duration.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = self
            .setup
            .index
            .complete(
                &r.id,
                ended_ms,
                duration_ms,
                i64::try_from(size).unwrap_or(i64::MAX),
                &sha256_file(&r.file).unwrap_or_default(),
            )
            .await
        {
            self.recording_faults
                .note(now_ms(), "recording completion not indexed", &e);
        }
        duration_ms
    }

    /// A transfer completes: the transferor (`agent`, if still there) hears it worked and
    /// leaves (into `leaving` until its BYE is done), and `new` is the caller's party now.
    /// Returns the way in for a supervisor on the new bridge.
    async fn hand_over(
        &self,
        agent: &mut Option<AgentLeg>,
        new: AgentLeg,
        path: &SipPath,
        leaving: &mut Vec<AgentLeg>,
    ) -> mpsc::Receiver<Monitor> {
        let now = Instant::now();
        if let Some(mut old) = agent.take() {
            if old.call.state() == sambung_sip::uac::OutgoingState::Confirmed {
                old.call.notify_refer(200, "OK", now);
                old.call.hangup(now);
            }
            old.flush(path).await;
            lock(&self.monitors).remove(old.agent.as_str());
            leaving.push(old);
        }
        let (tx, rx) = mpsc::channel(1);
        lock(&self.monitors).insert(new.agent.as_str().to_owned(), tx);
        *agent = Some(new);
        rx
    }

    /// Where a REFER from an agent's phone sends the caller: a queue (by name, or a DID's),
    /// an agent logged in somewhere (their phone), or a registered extension.
    fn transfer_target(&self, target: &str) -> TransferTarget {
        if let Some((_, headers)) = target.split_once('?') {
            let replaces = headers.split('&').find_map(|h| {
                let (name, value) = h.split_once('=')?;
                name.eq_ignore_ascii_case("replaces")
                    .then(|| percent_decode(value))
            });
            let Some(replaces) = replaces.flatten() else {
                return TransferTarget::Refused(400, "Bad Refer-To");
            };
            let mut parts = replaces.split(';');
            let call_id = parts.next().unwrap_or_default().trim().to_owned();
            let (mut to_tag, mut from_tag) = (String::new(), String::new());
            for p in parts {
                match p.split_once('=') {
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("to-tag") => {
                        v.trim().clone_into(&mut to_tag);
                    }
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("from-tag") => {
                        v.trim().clone_into(&mut from_tag);
                    }
                    _ => {}
                }
            }
            return TransferTarget::Replaces {
                call_id,
                to_tag,
                from_tag,
            };
        }
        let user = match sambung_sip::Uri::parse(target.as_bytes()) {
            Ok(sambung_sip::Uri::Sip(u)) => u.user().map(str::to_owned),
            Ok(sambung_sip::Uri::Tel(t)) => t.as_str().strip_prefix("tel:").map(str::to_owned),
            _ => None,
        };
        let Some(user) = user else {
            return TransferTarget::Refused(400, "Bad Refer-To");
        };
        let did_service = PhoneNumber::parse(&user).ok().and_then(|n| {
            self.setup
                .dids
                .iter()
                .find(|(did, _)| did == n.as_str())
                .map(|(_, service)| service.clone())
        });
        let queue_named = self.setup.dids.iter().any(|(_, s)| *s == user)
            || self
                .setup
                .agent_queues
                .values()
                .flatten()
                .any(|q| q.as_str() == user);
        if let Some(queue) = did_service
            .or_else(|| queue_named.then(|| user.clone()))
            .and_then(|q| QueueId::new(&q).ok())
        {
            return TransferTarget::Queue(queue);
        }
        let Ok(who) = AgentId::new(&user) else {
            return TransferTarget::Refused(404, "Not Found");
        };
        let extension = self.setup.acd.extension_of(&who).unwrap_or(user);
        TransferTarget::Phone {
            agent: who,
            extension,
        }
    }

    /// Rings `agent` at the phone registered for `extension`; `None` if it is not registered.
    async fn ring_agent(
        &self,
        path: &SipPath,
        from_user: &str,
        agent: AgentId,
        extension: &str,
        inbox: &mpsc::Sender<Vec<u8>>,
    ) -> Option<AgentLeg> {
        let host = path.local.ip().to_string();
        let (contact, addr) = self.setup.sip.contact_of(extension, &host)?;
        let to = format!("<sip:{extension}@{host}>");
        info!(%agent, %extension, %contact, "ringing the agent");
        self.ring(path, from_user, (&contact, &to, addr), agent, inbox, None)
            .await
    }

    /// Sends an INVITE with our offer (PCMA, PCMU) to `uri` at `addr`, To `to`, From
    /// `from_user`; the leg is `label`'s. `credentials` answer one digest challenge.
    async fn ring(
        &self,
        path: &SipPath,
        from_user: &str,
        (uri, to, addr): (&str, &str, SocketAddr),
        label: AgentId,
        inbox: &mpsc::Sender<Vec<u8>>,
        credentials: Option<(&str, &str)>,
    ) -> Option<AgentLeg> {
        let rtp = UdpSocket::bind((self.setup.media_ip, 0)).await.ok()?;
        let local = LocalMedia::audio(
            self.setup.media_ip,
            rtp.local_addr().ok()?.port(),
            vec![SdpCodec::pcma(), SdpCodec::pcmu()],
        );
        let call_id = format!("{}@{}", random_tag(), path.local.ip());
        let tag = random_tag();
        let via = format!("SIP/2.0/UDP {}", path.local);
        let invite = MessageBuilder::request(Method::Invite, uri)
            .header(
                HeaderName::Via,
                format!("{via};branch=z9hG4bK{}", random_tag()),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(
                HeaderName::From,
                format!("<sip:{from_user}@{}>;tag={tag}", path.local),
            )
            .header(HeaderName::To, to)
            .header(HeaderName::CallId, call_id.as_str())
            .header(HeaderName::CSeq, "1 INVITE")
            .header(
                HeaderName::Contact,
                format!("<sip:{from_user}@{}>", path.local),
            )
            .body("application/sdp", negotiate::offer(&local))
            .build()
            .ok()?;
        let mut call =
            OutgoingCall::new(invite, &via, false, Timers::default(), Instant::now()).ok()?;
        if let Some((user, password)) = credentials {
            call = call.with_credentials(user, password);
        }
        lock(&self.active).insert(call_id.clone(), inbox.clone());
        Some(AgentLeg {
            call,
            call_id,
            agent: label,
            addr,
            rtp,
            local,
            media: None,
            held: false,
        })
    }

    /// A call from one of our phones to another phone, or out through the trunk: a B2BUA with
    /// both legs relayed on the 20 ms tick and recorded from the answer (the phone on the left
    /// channel), a CDR (service `internal` or `outbound`, the phone's user as agent), the far
    /// end's ringing, answer or refusal passed back, and hold from either side (the other
    /// hears the hold music). A cancel or a hang-up on either side ends both.
    #[expect(clippy::too_many_lines, reason = "one call's life, read top to bottom")]
    async fn run_dial(
        &self,
        invite: &[u8],
        path: &SipPath,
        from: &str,
        to: DialTarget,
        inbox: mpsc::Sender<Vec<u8>>,
        mut rx: mpsc::Receiver<Vec<u8>>,
    ) -> Result<(), CallFailure> {
        let msg = Message::parse(invite).map_err(|e| CallFailure::Sip(e.to_string()))?;
        let (called, service) = match &to {
            DialTarget::Phone { extension, .. } => (extension.clone(), "internal"),
            DialTarget::Trunk { number, .. } => (number.clone(), "outbound"),
        };
        let store = &self.setup.store;
        let store_err = |e: crate::store::StoreError| CallFailure::Store(e.to_string());
        let cdr = store
            .cdr_begin(&NewCdr {
                sip_call_id: msg.call_id(),
                caller: from,
                called: &called,
                service,
                arrived_ms: now_ms(),
            })
            .await
            .map_err(store_err)?;
        store.cdr_agent(cdr, from).await.map_err(store_err)?;
        info!(call_id = msg.call_id(), from, %called, service, "call from a phone");
        let me = Self::local_party(path, &called);
        let tag = me.tag.clone();
        let mut call = IncomingCall::new(invite, me, path.reliable(), Timers::default())
            .map_err(|e| CallFailure::Sip(e.to_string()))?;
        let rtp = UdpSocket::bind((self.setup.media_ip, 0)).await?;
        let rtp_port = rtp.local_addr()?.port();
        let label = AgentId::new(from).map_err(|e| CallFailure::Sip(e.to_string()));
        let answer = negotiate_caller(&msg, self.setup.media_ip, rtp_port);
        let host = path.local.ip().to_string();
        let trunk = &self.setup.trunk;
        let credentials = self
            .setup
            .trunk_password
            .as_deref()
            .filter(|_| !trunk.username.is_empty())
            .map(|p| (trunk.username.as_str(), p));
        let far = match (answer, label) {
            (Some(answer), Ok(label)) => {
                let leg = match &to {
                    DialTarget::Phone {
                        extension,
                        contact,
                        addr,
                    } => {
                        let to = format!("<sip:{extension}@{host}>");
                        self.ring(path, from, (contact, &to, *addr), label, &inbox, None)
                            .await
                    }
                    DialTarget::Trunk { number, carrier } => {
                        let uri = format!("sip:{number}@{carrier}");
                        let to = format!("<{uri}>");
                        self.ring(
                            path,
                            &trunk.caller_id,
                            (&uri, &to, *carrier),
                            label,
                            &inbox,
                            credentials,
                        )
                        .await
                    }
                };
                leg.map(|l| (answer, l))
            }
            _ => None,
        };
        let Some(((sdp, media), mut far)) = far else {
            let _ = call.reject(488, "Not Acceptable Here");
            flush(&mut call, path).await;
            store
                .cdr_end(cdr, now_ms(), "rejected", "rejected")
                .await
                .map_err(store_err)?;
            return Ok(());
        };
        flush(&mut call, path).await;
        let mut leg = MediaLeg::new(media, random_seed());
        let mut hold_music = Prompt::new(Arc::clone(&self.hold_music));
        let mut caller_held = false;
        let mut recorder: Option<Recording> = None;
        let mut answered = false;
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        let mut stop = self.setup.stop.clone();
        let (mut buf, mut far_buf) = (vec![0u8; 2048], vec![0u8; 2048]);
        let deadline = Instant::now() + MAX_CALL;
        let mut stopping = false;
        let (handover_tx, mut handover_rx) = mpsc::channel(1);
        let mut handover = None;
        let end = loop {
            if !stopping && (*stop.borrow() || Instant::now() >= deadline) {
                stopping = *stop.borrow();
                call.hangup(Instant::now());
                far.call.hangup(Instant::now());
            }
            let timer = [call.poll_timeout(), far.call.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = ticker.tick() => {
                    if let Some(m) = far.media.as_mut() {
                        let from_phone = leg.take_frame();
                        let from_far = m.take_frame();
                        // Either side on hold: the other hears the music, the holder nothing.
                        let to_far = if caller_held { hold_music.next_frame_looping() } else { from_phone.clone() };
                        let to_phone = if far.held { hold_music.next_frame_looping() } else { from_far };
                        if !far.held {
                            m.send_frame(&far.rtp, &to_far).await;
                        }
                        if !caller_held {
                            leg.send_frame(&rtp, &to_phone).await;
                        }
                        if let Some(r) = recorder.as_mut() {
                            self.record_frame(r, &from_phone, &to_phone);
                        }
                    }
                }
                got = rtp.recv_from(&mut buf) => {
                    if let Ok((n, _)) = got {
                        leg.receive(buf.get(..n).unwrap_or_default());
                    }
                }
                got = far.rtp.recv_from(&mut far_buf) => {
                    if let (Ok((n, _)), Some(m)) = (got, far.media.as_mut()) {
                        m.receive(far_buf.get(..n).unwrap_or_default());
                    }
                }
                Some(sip) = rx.recv() => {
                    let for_far = Message::parse(&sip).is_ok_and(|m| m.call_id() == far.call_id);
                    if for_far {
                        far.call.on_message(&sip, Instant::now());
                    } else {
                        call.on_message(&sip, Instant::now());
                    }
                }
                () = sleep_until(timer) => {
                    call.on_timeout(Instant::now());
                    far.call.on_timeout(Instant::now());
                }
                Some(reply) = handover_rx.recv() => handover = Some(reply),
                _ = stop.changed() => {}
            }
            if let Some(reply) = handover.take() {
                break DialEnd::Handover(reply);
            }
            for event in far.flush(path).await {
                match event {
                    OutgoingEvent::Ringing(status) => {
                        if call.state() == sambung_sip::uas::CallState::Ringing {
                            let _ = call
                                .provisional(if status == 183 { 180 } else { status }, "Ringing");
                        }
                    }
                    OutgoingEvent::Answered(body) => {
                        far.media = far.answered(&body);
                        if far.media.is_none() {
                            warn!("the far end answered with no common G.711 codec");
                            far.call.hangup(Instant::now());
                            let _ = call.reject(488, "Not Acceptable Here");
                            continue;
                        }
                        if call.answer(&sdp, Instant::now()).is_err() {
                            far.call.hangup(Instant::now());
                            continue;
                        }
                        info!(%called, "answered");
                        if let DialTarget::Phone { .. } = &to {
                            lock(&self.consultations).insert(
                                msg.call_id().to_owned(),
                                Consultation {
                                    our_tag: tag.clone(),
                                    phone_tag: msg.from().tag().unwrap_or_default().to_owned(),
                                    handover: handover_tx.clone(),
                                },
                            );
                        }
                        let recording_id = format!("{}-{tag}", now_ms());
                        answered = true;
                        recorder = self
                            .start_recording(
                                &recording_id,
                                cdr,
                                (from, &called),
                                (Some(from), None),
                                service,
                            )
                            .await;
                        store
                            .cdr_answered(cdr, now_ms(), recorder.as_ref().map(|r| r.id.as_str()))
                            .await
                            .map_err(store_err)?;
                    }
                    OutgoingEvent::Failed(status) => {
                        info!(%called, status, "not answered");
                        // The carrier's challenges are ours to answer, not the phone's.
                        let status = if matches!(status, 401 | 407) {
                            503
                        } else {
                            status
                        };
                        let _ = call.reject(status, "Not Answered");
                    }
                    OutgoingEvent::RemoteHangup | OutgoingEvent::SessionExpired => {
                        call.hangup(Instant::now());
                    }
                    OutgoingEvent::Reoffered { held, remote } => {
                        far.held = held;
                        if let (Some(r), Some(m)) = (remote, far.media.as_mut()) {
                            m.set_remote(r);
                        }
                    }
                    OutgoingEvent::Referred { .. } => {
                        far.call
                            .notify_refer(501, "Not Implemented", Instant::now());
                    }
                    OutgoingEvent::LocalHangup => {}
                }
            }
            if far.call.state() == sambung_sip::uac::OutgoingState::Ended {
                call.hangup(Instant::now());
            }
            let ended = flush_with(&mut call, path, |e| {
                caller_event(e, &mut caller_held, &mut leg);
            })
            .await;
            if let Some(ended) = ended {
                far.call.hangup(Instant::now());
                far.flush(path).await;
                break DialEnd::Ended(ended);
            }
        };
        lock(&self.consultations).remove(msg.call_id());
        let (reason, handed) = match end {
            DialEnd::Ended(reason) => {
                // The far leg's last messages (the answer to its BYE) are not awaited.
                lock(&self.active).remove(&far.call_id);
                (reason, false)
            }
            DialEnd::Handover(reply) => {
                // The consulting phone leaves; its far leg goes on in the caller's call.
                call.hangup(Instant::now());
                flush(&mut call, path).await;
                if let DialTarget::Phone { extension, .. } = &to
                    && let Ok(id) = AgentId::new(extension)
                {
                    far.agent = id;
                }
                if let Err(mut far) = reply.send(far) {
                    far.call.hangup(Instant::now());
                    far.flush(path).await;
                }
                (EndReason::LocalHangup, true)
            }
        };
        let ended_ms = now_ms();
        if let Some(r) = recorder {
            self.finish_recording(r, ended_ms).await;
        }
        let reason_text = if stopping {
            "shutdown"
        } else {
            end_reason(reason)
        };
        let disposition = match (handed, answered) {
            (true, _) => "transferred",
            (false, true) => "completed",
            (false, false) => "unanswered",
        };
        store
            .cdr_end(cdr, ended_ms, disposition, reason_text)
            .await
            .map_err(store_err)?;
        info!(call_id = call.dialog().id.call_id, %called, reason = reason_text, "call from a phone ended");
        Ok(())
    }
}

/// A call a phone made to another phone (an agent consulting a colleague), which an attended
/// transfer (REFER with Replaces, RFC 3891) takes over: its dialog's tags, and the way to ask
/// its task for the far leg.
struct Consultation {
    our_tag: String,
    phone_tag: String,
    handover: mpsc::Sender<tokio::sync::oneshot::Sender<AgentLeg>>,
}

/// How a phone's call ended: by a hang-up, or handed to an attended transfer.
enum DialEnd {
    Ended(EndReason),
    Handover(tokio::sync::oneshot::Sender<AgentLeg>),
}

/// A recording being written: the writer, its id and its file.
struct Recording {
    recorder: WavRecorder,
    id: String,
    file: PathBuf,
    /// Its last write failed (noted once until a write succeeds again).
    failing: bool,
}

/// Where a transfer goes.
enum TransferTarget {
    /// Back into a queue.
    Queue(QueueId),
    /// Attended: to the far end of the agent's consultation call (its Call-ID and tags as the
    /// `Replaces` header gives them).
    Replaces {
        call_id: String,
        to_tag: String,
        from_tag: String,
    },
    /// To a phone: an agent's (where they logged in) or an extension's.
    Phone { agent: AgentId, extension: String },
    /// Not possible: the status for the NOTIFY and why.
    Refused(u16, &'static str),
}

/// The call center's leg to an agent's phone.
struct AgentLeg {
    call: OutgoingCall,
    call_id: String,
    agent: AgentId,
    addr: SocketAddr,
    rtp: UdpSocket,
    local: LocalMedia,
    media: Option<MediaLeg>,
    /// The agent's phone holds the caller.
    held: bool,
}

impl AgentLeg {
    /// Sends what the leg has to send; returns what happened.
    async fn flush(&mut self, path: &SipPath) -> Vec<OutgoingEvent> {
        let mut events = Vec::new();
        while let Some(out) = self.call.poll_output() {
            match out {
                OutgoingOutput::Send(bytes) => {
                    if let Err(e) = path.socket.send_to(&bytes, self.addr).await {
                        warn!(peer = %self.addr, error = %e, "SIP send failed");
                    }
                }
                OutgoingOutput::Event(e) => events.push(e),
            }
        }
        events
    }

    /// The agent's media from their answer, if it agrees on G.711.
    fn answered(&self, body: &[u8]) -> Option<MediaLeg> {
        let sdp = Sdp::parse(body).ok()?;
        let agreed = negotiate::accept_answer(&sdp, &self.local);
        let media = agreed.iter().find(|m| m.kind == "audio" && m.accepted)?;
        Some(MediaLeg::new(LegMedia::of(media)?, random_seed()))
    }
}

/// Receives on the socket if there is one; otherwise never.
async fn recv_opt(socket: Option<&UdpSocket>, buf: &mut [u8]) -> Option<usize> {
    match socket {
        Some(s) => s.recv_from(buf).await.ok().map(|(n, _)| n),
        None => std::future::pending().await,
    }
}

/// The next supervisor to join, when the bridge is open to one.
async fn recv_monitor(rx: Option<&mut mpsc::Receiver<Monitor>>) -> Option<Monitor> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
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
        EndReason::SessionExpired => "session_expired",
    }
}

fn user_or_uri(uri: &sambung_sip::Uri<'_>) -> String {
    match uri {
        sambung_sip::Uri::Sip(u) => u.user().unwrap_or(u.as_str()).to_owned(),
        other => other.as_str().to_owned(),
    }
}

/// Our answer to the caller's offer (PCMA, PCMU, telephone-event) and the agreed audio.
fn negotiate_caller(invite: &Message<'_>, ip: IpAddr, port: u16) -> Option<(String, LegMedia)> {
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
    Some((answer.sdp.clone(), LegMedia::of(audio)?))
}

fn random_seed() -> [u8; 8] {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        b = now_ms().to_le_bytes();
    }
    b
}

pub(crate) fn random_tag() -> String {
    let mut b = [0u8; 8];
    // Without randomness the Call-ID's hash still separates calls; tags need not be secret.
    if getrandom::fill(&mut b).is_err() {
        b = now_ms().to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Sends what the call has to send; returns the end reason once it has ended.
async fn flush(call: &mut IncomingCall, path: &SipPath) -> Option<EndReason> {
    flush_with(call, path, |_| {}).await
}

/// [`flush`], telling `event` of what happened in the call besides its end (a new offer, an
/// INFO).
async fn flush_with(
    call: &mut IncomingCall,
    path: &SipPath,
    mut event: impl FnMut(CallEvent),
) -> Option<EndReason> {
    let mut ended = None;
    while let Some(out) = call.poll_output() {
        match out {
            CallOutput::Send(bytes) => path.reply(bytes).await,
            CallOutput::Event(CallEvent::Ended(r)) => ended = Some(r),
            CallOutput::Event(CallEvent::Confirmed) => {}
            CallOutput::Event(other) => event(other),
        }
    }
    ended
}

/// `%XX` escapes decoded (a `Replaces` value inside a `Refer-To` URI); `None` if malformed.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What the caller's phone did inside the call: a new offer (hold, a new address) or an INFO
/// (a key as `application/dtmf-relay`).
fn caller_event(event: CallEvent, held: &mut bool, leg: &mut MediaLeg) {
    match event {
        CallEvent::Reoffered { held: now, remote } => {
            *held = now;
            if let Some(r) = remote {
                leg.set_remote(r);
            }
        }
        CallEvent::Info { content_type, body } => {
            let kind = content_type.to_ascii_lowercase();
            if kind.starts_with("application/dtmf") {
                let key = std::str::from_utf8(&body)
                    .ok()
                    .and_then(sambung_media::dtmf::parse_dtmf_relay);
                if let Some((digit, _)) = key {
                    leg.push_digit(digit);
                }
            }
        }
        CallEvent::Confirmed | CallEvent::Ended(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn replaces_values_are_unescaped_once() {
        assert_eq!(
            percent_decode("c1%40host%3Bto-tag%3Da%3Bfrom-tag%3Db").as_deref(),
            Some("c1@host;to-tag=a;from-tag=b")
        );
        // Once: an escaped percent stays a percent.
        assert_eq!(percent_decode("%2541").as_deref(), Some("%41"));
        for bad in ["%", "%4", "%zz", "%ff%fe"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
