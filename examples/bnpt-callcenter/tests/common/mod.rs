//! What the binary's tests share: starting it on free loopback ports with a data folder,
//! reading its ready line and /healthz, and stopping it.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "shared by several test binaries, each using part; a test fails by panicking"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_bnpt-callcenter");
/// Upper bound for anything a test waits on; a healthy run takes milliseconds.
/// A time the call center is open: Monday 30 November 2026, 10:00 WIB.
pub const OPEN: &str = "2026-11-30T10:00:00+07:00";
/// A time it is closed: Sunday 29 November 2026, 10:00 WIB.
pub const CLOSED: &str = "2026-11-29T10:00:00+07:00";

pub const PATIENCE: Duration = Duration::from_secs(30);
/// The first admin's password the tests start the service with (`BNPT_ADMIN_PASSWORD`).
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }
}

/// Decodes a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        let stop = (start + size).min(raw.len());
        out.extend_from_slice(&raw[start..stop]);
        raw = raw.get(stop + 2..).unwrap_or_default();
    }
}

pub struct Service {
    pub child: Child,
    pub ready: serde_json::Value,
    pub stderr: Arc<Mutex<String>>,
}

impl Service {
    /// Starts the service with office hours judged at a Monday 10:00 WIB (open).
    pub fn start(data: &Path) -> Self {
        Self::start_at(data, OPEN)
    }

    /// Starts the service with office hours judged at `office_clock` (RFC 3339), and the first
    /// admin's password [`ADMIN_PASSWORD`].
    pub fn start_at(data: &Path, office_clock: &str) -> Self {
        Self::start_with(data, office_clock, Some(ADMIN_PASSWORD))
    }

    /// Starts the service; without `admin_password` a first start makes a one-time password.
    pub fn start_with(data: &Path, office_clock: &str, admin_password: Option<&str>) -> Self {
        Self::start_full(data, office_clock, admin_password, None)
    }

    /// Starts the service with a configuration file.
    pub fn start_configured(data: &Path, config: &Path) -> Self {
        Self::start_full(data, OPEN, Some(ADMIN_PASSWORD), Some(config))
    }

    /// Starts the service with a configuration file and no `BNPT_ADMIN_PASSWORD`.
    pub fn start_with_config_only(data: &Path, config: &Path) -> Self {
        Self::start_full(data, OPEN, None, Some(config))
    }

    /// Starts the service listening for SIP on `listen` (with port 0s).
    pub fn start_listening(data: &Path, listen: &[&str]) -> Self {
        Self::start_on(data, OPEN, Some(ADMIN_PASSWORD), None, listen)
    }

    fn start_full(
        data: &Path,
        office_clock: &str,
        admin_password: Option<&str>,
        config: Option<&Path>,
    ) -> Self {
        Self::start_on(
            data,
            office_clock,
            admin_password,
            config,
            &["udp:127.0.0.1:0", "tcp:127.0.0.1:0"],
        )
    }

    fn start_on(
        data: &Path,
        office_clock: &str,
        admin_password: Option<&str>,
        config: Option<&Path>,
        listen: &[&str],
    ) -> Self {
        // The information menu's prompts are short tones unless a test wrote its own, so calls
        // reach the queue about two seconds (the menu's timeout) after the greeting.
        for file in ["menu.wav", "info_hours.wav", "info_report.wav"] {
            if !data.join("prompts").join(file).exists() {
                tone_prompt(data, file, 200);
            }
        }
        let mut command = Command::new(BIN);
        if let Some(c) = config {
            command.arg("--config").arg(c);
        }
        command.env_remove("BNPT_ADMIN_PASSWORD");
        if let Some(p) = admin_password {
            command.env("BNPT_ADMIN_PASSWORD", p);
        }
        let mut child = command
            .arg("--data")
            .arg(data)
            .args(listen.iter().flat_map(|l| ["--sip-listen", l]))
            .args(["--http-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env("BNPT_OFFICE_CLOCK", office_clock)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bnpt-callcenter");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("no ready line; stderr:\n{}", stderr.lock().unwrap())
        });
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(ready["ready"], true);
        Self {
            child,
            ready,
            stderr,
        }
    }

    pub fn sip(&self, transport: &str) -> SocketAddr {
        let list = self.ready["sip"].as_array().unwrap();
        let entry = list
            .iter()
            .filter_map(|v| v.as_str())
            .find_map(|s| s.strip_prefix(&format!("{transport}:")))
            .unwrap();
        entry.parse().unwrap()
    }

    pub fn health(&self) -> (u16, serde_json::Value) {
        let (status, body) = self.get("/healthz", None);
        (status, serde_json::from_str(&body).unwrap())
    }

    /// `GET path`, with a bearer token if given: the status and the body.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let addr = self.ready["http"].as_str().unwrap();
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        stream
            .write_all(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status: u16 = response[9..12].parse().unwrap();
        let body = response
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        (status, body)
    }

    /// Any request: `headers` as (name, value), `body` as given; the whole response.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let addr = self.ready["http"].as_str().unwrap();
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        }) {
            body = dechunk(&body);
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Polls /healthz until `done` holds (bounded by PATIENCE).
    pub fn wait_health(&self, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (_, health) = self.health();
            if done(&health) {
                return health;
            }
            assert!(Instant::now() < deadline, "condition never held: {health}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn terminate(mut self) -> (ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = wait(&mut self.child);
        (exit, self.stderr_text())
    }

    pub fn stderr_text(&self) -> String {
        // Give the reader thread a moment to drain what the process wrote last.
        std::thread::sleep(Duration::from_millis(50));
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Service {
    /// A test that fails half-way must not leave the service running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The API token the service wrote into its data folder.
pub fn api_token(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("secrets.toml")).unwrap();
    let secrets: toml::Value = toml::from_str(&text).unwrap();
    secrets["api_token"].as_str().unwrap().to_owned()
}

/// The SIPp scenario of the conformance set (shared/ lies beside the repository).
pub fn scenario() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sipp/uac_call_media.xml");
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// Whether the real peer `program` runs (`flag` makes it print and exit); in CI (`CI` set) it
/// must (scripts/test installs the Debian `package`), elsewhere the test is skipped.
fn peer_available(program: &str, flag: &str, package: &str) -> bool {
    let ok = Command::new(program)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} (Debian {package}) is required in CI"
        );
        eprintln!("{program} not installed: skipping (apt-get install {package})");
    }
    ok
}

/// SIPp is the judge here; in CI (`CI` set) it must be installed (scripts/test does).
pub fn sipp_available() -> bool {
    peer_available("sipp", "-v", "sip-tester")
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// SIPp calling the access number: `calls` calls, all at once, each held `hold_ms` after its
/// media.
pub fn sipp(service: &Service, dir: &Path, calls: u32, hold_ms: u32) -> Child {
    let target = service.sip("udp").to_string();
    Command::new("sipp")
        .arg(&target)
        .arg("-sf")
        .arg(scenario())
        .args(["-i", "127.0.0.1", "-s", "1500112", "-nostdin", "-trace_err"])
        .args(["-p", &free_udp_port().to_string()])
        .args(["-mp", &(free_udp_port() & !1).to_string()])
        .args([
            "-m",
            &calls.to_string(),
            "-r",
            &calls.to_string(),
            "-l",
            &calls.to_string(),
        ])
        .args([
            "-d",
            &hold_ms.to_string(),
            "-timeout",
            "60s",
            "-timeout_error",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sipp")
}

/// Waits for a SIPp (up to `limit`) and asserts it succeeded, showing the service's log if not.
pub fn expect_sipp(service: &Service, child: &mut Child, limit: Duration, what: &str) {
    let status = wait_sipp(child, limit);
    assert!(
        status.success(),
        "{what}: {status}\n{}",
        service.stderr_text()
    );
}

pub fn wait_sipp(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            // Killed, and reported as a failure, so the caller's assertion shows the log.
            let _ = child.kill();
            eprintln!("sipp did not finish within {limit:?}; killed");
            let _ = child.wait();
            return std::os::unix::process::ExitStatusExt::from_raw(124 << 8);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The conformance set's SIPp scenarios folder.
pub fn conformance(file: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sipp")
        .join(file);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// This crate's own SIPp scenarios (tests/sipp).
pub fn own_scenario(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(file)
}

/// Runs SIPp with `args` against the service in `dir`, and waits for it.
pub fn sipp_run(dir: &Path, args: &[&str]) -> ExitStatus {
    let mut child = Command::new("sipp")
        .args(args)
        .args([
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-trace_err",
            "-timeout",
            "30s",
            "-timeout_error",
        ])
        .args(["-p", &free_udp_port().to_string()])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipp");
    wait_sipp(&mut child, Duration::from_secs(40))
}

/// A top-level secret the service wrote (`api_token`, `webhook_secret`).
pub fn secret_top(data: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(data.join("secrets.toml")).unwrap();
    let secrets: toml::Value = toml::from_str(&text).unwrap();
    secrets[key].as_str().unwrap().to_owned()
}

/// A secret the service wrote: `section.key` of secrets.toml.
pub fn secret(data: &Path, section: &str, key: &str) -> String {
    let text = std::fs::read_to_string(data.join("secrets.toml")).unwrap();
    let secrets: toml::Value = toml::from_str(&text).unwrap();
    secrets[section][key].as_str().unwrap().to_owned()
}

/// Writes a prompt of `millis` ms of a 425 Hz tone into the data folder (before the service
/// starts), so a test controls how long it lasts.
pub fn tone_prompt(data: &Path, file: &str, millis: i32) {
    let pcm: Vec<i16> = (0..millis * 8)
        .map(|i: i32| {
            let v = (f64::from(i) * 2.0 * std::f64::consts::PI * 425.0 / 8000.0).sin() * 8000.0;
            sambung_media::tones::to_i16(v)
        })
        .collect();
    write_wav(&data.join("prompts").join(file), &pcm);
}

/// Writes `pcm` as an 8 kHz mono 16-bit WAV file (making its folder).
pub fn write_wav(path: &Path, pcm: &[i16]) {
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut out = Vec::new();
    sambung_media::wav::write(
        sambung_media::wav::WavFormat {
            encoding: sambung_media::wav::WavEncoding::Pcm16,
            channels: 1,
            sample_rate: 8000,
        },
        &bytes,
        &mut out,
    );
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

/// Runs `sql` on the SQLite database `db` (read-only).
pub fn query(db: &Path, sql: &str) -> Vec<sqlx::sqlite::SqliteRow> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    })
}

/// A 16-bit WAV's samples, one `Vec` per channel.
pub fn wav_channels(path: &Path) -> Vec<Vec<i16>> {
    let bytes = std::fs::read(path).unwrap();
    let (format, data) = sambung_media::wav::read(&bytes).unwrap();
    let n = usize::from(format.channels.max(1));
    let samples: Vec<i16> = data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    (0..n)
        .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
        .collect()
}

/// The normalised cross-correlation of `a` with `b` starting `lag` samples later.
pub fn correlation_at(a: &[i16], b: &[i16], lag: usize) -> f64 {
    let n = a.len().min(b.len().saturating_sub(lag));
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]), f64::from(b[i + lag]));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa > 0.0 && bb > 0.0 {
        ab / (aa * bb).sqrt()
    } else {
        0.0
    }
}

/// The best normalised cross-correlation of `b` against `a` delayed by 0..`max_lag` samples.
pub fn best_correlation(a: &[i16], b: &[i16], max_lag: usize) -> (f64, usize) {
    (0..max_lag)
        .map(|lag| (correlation_at(a, b, lag), lag))
        .fold((0.0, 0), |best, c| if c.0 > best.0 { c } else { best })
}

/// Where `needle` best fits inside `haystack`: (correlation, offset). A coarse search over
/// 8-sample averages, then a fine one around the best coarse offset.
pub fn find_audio(haystack: &[i16], needle: &[i16]) -> (f64, usize) {
    const STEP: usize = 8;
    let shrink = |x: &[i16]| -> Vec<i16> {
        x.chunks_exact(STEP)
            .map(|c| {
                let sum: i32 = c.iter().map(|&s| i32::from(s)).sum();
                i16::try_from(sum / 8).unwrap()
            })
            .collect()
    };
    let (h, n) = (shrink(haystack), shrink(needle));
    let lags = h.len().saturating_sub(n.len()) + 1;
    let (_, coarse) = best_correlation(&n, &h, lags);
    let from = (coarse * STEP).saturating_sub(2 * STEP);
    let (c, fine) = best_correlation(needle, &haystack[from..], 4 * STEP);
    (c, from + fine)
}

// ---- baresip, a real softphone (tests/baresip.rs, tests/trunk.rs) ----

/// baresip is a judge here like SIPp; in CI (`CI` set) it must be installed.
pub fn baresip_available() -> bool {
    peer_available("baresip", "-h", "baresip")
}

/// The conformance set's 8 kHz speech, the agents' voice.
pub fn speech() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/g711/speech_8k_s16.wav");
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// A headless baresip with a console on UDP for commands; killed when dropped.
pub struct Softphone {
    child: Child,
    dir: PathBuf,
    pub console: SocketAddr,
}

impl Softphone {
    /// Starts baresip for `extension`, registering at `registrar` with `password`.
    pub fn start(root: &Path, extension: &str, registrar: SocketAddr, password: &str) -> Self {
        let dir = root.join(format!("phone-{extension}"));
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        // baresip also listens on the next port up (TLS): both must be free.
        let sip_port = loop {
            let port = free_udp_port();
            let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
            if port < u16::MAX && free(port) && free(port + 1) {
                break port;
            }
        };
        let console_port = free_udp_port();
        // As ../shared/conformance/baresip/callee/config, with absolute paths and own ports.
        let config = format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             net_interface 127.0.0.1\n\
             call_local_timeout 120\n\
             call_max_calls 4\n\
             audio_player alsa,null\n\
             audio_source aufile,{speech}\n\
             audio_alert alsa,null\n\
             ausrc_format s16\nauplay_format s16\nauenc_format s16\naudec_format s16\n\
             audio_buffer 20-160\n\
             rtcp_mux no\n\
             jitter_buffer_delay 5-10\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule alsa.so\nmodule aufile.so\nmodule sndfile.so\nmodule cons.so\n\
             module_tmp uuid.so\nmodule_tmp account.so\nmodule_app menu.so\n\
             snd_path {rec}\n\
             cons_listen 127.0.0.1:{console_port}\n",
            speech = speech().display(),
            rec = dir.join("rec").display(),
        );
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(
            dir.join("accounts"),
            format!(
                "<sip:{extension}@{registrar}>;auth_pass={password};regint=600;\
                 answermode=auto;audio_codecs=PCMA/8000/1,PCMU/8000/1\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("baresip.log")).unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir)
            // Bounded: it quits by itself even if the test is cut off.
            .args(["-t", "90"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start baresip");
        Self {
            child,
            dir,
            console: SocketAddr::from(([127, 0, 0, 1], console_port)),
        }
    }

    /// Types a command on the phone's console (`/dial sip:…`).
    pub fn command(&self, line: &str) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .send_to(format!("{line}\n").as_bytes(), self.console)
            .unwrap();
    }

    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.dir.join("baresip.log")).unwrap_or_default())
            .into_owned()
    }

    /// The longest call's audio dumps: (what the phone received, what it sent).
    pub fn longest_call(&self) -> (Vec<i16>, Vec<i16>) {
        let mut dumps: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.join("rec"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
            .collect();
        dumps.sort();
        let (_, dec) = dumps.pop().expect("a call's dump");
        let enc = PathBuf::from(dec.to_string_lossy().replace("-dec.wav", "-enc.wav"));
        (
            wav_channels(&dec).swap_remove(0),
            wav_channels(&enc).swap_remove(0),
        )
    }
}

impl Drop for Softphone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the service's log holds `text`.
pub fn wait_log(service: &Service, text: &str, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !service.stderr_text().contains(text) {
        assert!(
            Instant::now() < deadline,
            "{what}: no `{text}` in the log:\n{}",
            service.stderr_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts a softphone for each extension and waits until each has registered.
pub fn phones(service: &Service, data: &Path, root: &Path, extensions: &[&str]) -> Vec<Softphone> {
    let registrar = service.sip("udp");
    let phones: Vec<Softphone> = extensions
        .iter()
        .map(|ext| {
            let password = secret(data, "sip_passwords", ext);
            Softphone::start(root, ext, registrar, &password)
        })
        .collect();
    for ext in extensions {
        wait_log(
            service,
            &format!("aor=sip:{ext}@127.0.0.1 bindings=1"),
            &format!("registration of {ext}"),
        );
    }
    phones
}

/// `ext` logs in as agent `ext` from `phone` with its PIN, then makes itself ready.
pub fn log_in_and_ready(service: &Service, data: &Path, ext: &str, phone: &Softphone) {
    let registrar = service.sip("udp");
    let pin = secret(data, "pins", ext);
    phone.command(&format!("/dial sip:*71{ext}%23{pin}%23@{registrar}"));
    wait_log(
        service,
        &format!("extension={ext} code=\"*71{ext}\" done=\"logged in\""),
        "login",
    );
    // The login call hangs up after a moment; then the phone makes its agent ready.
    std::thread::sleep(Duration::from_millis(600));
    phone.command(&format!("/dial sip:*73%23@{registrar}"));
    wait_log(
        service,
        &format!("extension={ext} code=\"*73\" done=\"ready\""),
        "ready",
    );
    std::thread::sleep(Duration::from_millis(600));
}
