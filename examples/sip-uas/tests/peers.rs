//! `sip-uas` against what we did not write: SIPp registering with the right and a wrong
//! password, 200 calls at 20 calls/s, the same with `-lost 10` so that retransmissions must
//! recover every call, and RFC 4475's semantic and invalid messages; baresip registering,
//! calling (with audio from a file) and hanging up. SIPp and baresip are required in CI
//! (scripts/test installs them) and skipped elsewhere when missing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sip-uas");

/// Whether `program` is installed (it must be in CI, where scripts/test installs it).
fn peer_available(program: &str, arg: &str) -> bool {
    let found = Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{program} is not installed"
    );
    found
}

/// SIPp, if installed (required in CI).
fn sipp_available() -> bool {
    peer_available("sipp", "-v")
}

fn free_port() -> u16 {
    // A port free for both UDP and TCP on loopback.
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

/// The running `sip-uas`, killed when dropped.
struct Uas {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Uas {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Uas {
    fn start(extra: &[&str]) -> Self {
        Self::start_logging(extra, "warn")
    }

    /// Started with `RUST_LOG=level` (`info` logs the counters when it stops).
    fn start_logging(extra: &[&str], level: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users.toml");
        std::fs::write(&users, "[users]\nalice = \"secret\"\nbob = \"hunter2\"\n").unwrap();
        let port = free_port();
        let log = dir.path().join("uas.log");
        let mut cmd = Command::new(BIN);
        cmd.arg("--listen")
            .arg(format!("udp:127.0.0.1:{port}"))
            .arg("--listen")
            .arg(format!("tcp:127.0.0.1:{port}"))
            .args(["--users"])
            .arg(&users)
            .args(["--realm", "sambung.test", "--run-seconds", "300"])
            .args(extra)
            .env("RUST_LOG", level)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let child = cmd.spawn().unwrap();
        let uas = Self {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while uas.options().is_none() {
            assert!(
                Instant::now() < deadline,
                "sip-uas did not start: {}",
                uas.log()
            );
        }
        uas
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops it with SIGTERM, as an operator would, and returns its log.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.log()
    }

    /// Sends `message` over UDP; the status of the answer, if one came within 700 ms.
    fn udp(&self, message: &[u8]) -> Option<u16> {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        s.send_to(message, ("127.0.0.1", self.port)).unwrap();
        let mut buf = [0u8; 8192];
        let (n, _) = s.recv_from(&mut buf).ok()?;
        status(&buf[..n])
    }

    fn options(&self) -> Option<u16> {
        self.udp(
            b"OPTIONS sip:alice@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKprobe\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\n\
To: <sip:alice@127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n",
        )
    }
}

fn status(reply: &[u8]) -> Option<u16> {
    String::from_utf8_lossy(reply.get(8..11)?).parse().ok()
}

/// Runs SIPp against `uas` with `args`, bounded by `limit`; its exit status.
fn sipp(uas: &Uas, dir: &Path, args: &[&str], limit: Duration) -> ExitStatus {
    let port = free_port().to_string();
    let mut child = Command::new("sipp")
        .arg(format!("127.0.0.1:{}", uas.port))
        .args(["-i", "127.0.0.1", "-p", &port, "-nostdin", "-timeout_error"])
        .args(["-timeout", &format!("{}s", limit.as_secs())])
        .args(["-trace_err", "-trace_stat"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What SIPp wrote about unexpected messages.
fn sipp_errors(dir: &Path) -> String {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with("errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

/// baresip, if installed (required in CI).
fn baresip_available() -> bool {
    peer_available("baresip", "-h")
}

/// A WAV file of `seconds` of a 440 Hz tone, 8 kHz 16-bit mono: what baresip sends.
fn tone_wav(path: &Path, seconds: u32) {
    let samples = 8000 * seconds;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for (v, n) in [
        (16u32, 4),
        (1, 2),
        (1, 2),
        (8000, 4),
        (16_000, 4),
        (2, 2),
        (16, 2),
    ] {
        wav.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples * 2).to_le_bytes());
    for i in 0..samples {
        let v = (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 8000.0;
        #[expect(clippy::cast_possible_truncation, reason = "within i16")]
        wav.extend_from_slice(&(v as i16).to_le_bytes());
    }
    std::fs::write(path, wav).unwrap();
}

#[test]
fn baresip_registers_calls_and_hangs_up() {
    if !baresip_available() {
        return;
    }
    let uas = Uas::start_logging(&[], "info");
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    tone_wav(&tone, 10);
    let sip_port = free_port();
    // No sound card: baresip sends the tone from a file and plays what it hears to a file.
    let config = format!(
        "poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:{sip_port}\nsip_trans_def\t\tudp\n\
audio_player\t\taufile,{heard}\naudio_source\t\taufile,{tone}\naudio_alert\t\taufile,/dev/null\n\
module_path\t\t/usr/lib/baresip/modules\nmodule\t\t\tg711.so\nmodule\t\t\taufile.so\n\
module\t\t\taccount.so\nmodule\t\t\tmenu.so\n",
        heard = dir.path().join("heard.wav").display(),
        tone = tone.display(),
    );
    std::fs::write(dir.path().join("config"), config).unwrap();
    std::fs::write(
        dir.path().join("accounts"),
        format!(
            "<sip:alice@127.0.0.1:{}>;auth_pass=secret;regint=60;answermode=manual\n",
            uas.port
        ),
    )
    .unwrap();
    // baresip registers alice, calls bob, and after 6 s quits: hangs up and unregisters.
    let mut child = Command::new("baresip")
        .arg("-f")
        .arg(dir.path())
        .args(["-t", "6", "-e"])
        .arg(format!("/dial sip:bob@127.0.0.1:{}", uas.port))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("baresip did not quit");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(out.contains("200 OK (sip-uas"), "registered: {out}");
    assert!(out.contains("Call established"), "answered: {out}");
    assert!(out.contains("terminated"), "hung up: {out}");
    let log = uas.stop();
    assert!(
        log.contains("calls_answered: 1, calls_ended: 1"),
        "sip-uas saw the call start and end: {log}"
    );
    assert!(log.contains("auth_failures: 0"), "{log}");
}

#[test]
fn sipp_registers_with_the_right_password_only() {
    if !sipp_available() {
        return;
    }
    let uas = Uas::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = conformance().join("sipp/register_uac_auth.xml");
    let scenario = scenario.to_str().unwrap();
    let right = sipp(
        &uas,
        dir.path(),
        &[
            "-sf", scenario, "-s", "alice", "-au", "alice", "-ap", "secret", "-m", "3",
        ],
        Duration::from_secs(30),
    );
    assert!(
        right.success(),
        "right password: {right}; {}",
        sipp_errors(dir.path())
    );
    let wrong = sipp(
        &uas,
        dir.path(),
        &[
            "-sf", scenario, "-s", "alice", "-au", "alice", "-ap", "guess", "-m", "1",
        ],
        Duration::from_secs(30),
    );
    assert!(!wrong.success(), "a wrong password must not register");
    // Still serving.
    assert_eq!(uas.options(), Some(200), "{}", uas.log());
}

#[test]
fn two_hundred_sipp_calls_at_twenty_per_second_all_complete() {
    if !sipp_available() {
        return;
    }
    let uas = Uas::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let status = sipp(
        &uas,
        dir.path(),
        &[
            "-sn", "uac", "-s", "alice", "-m", "200", "-r", "20", "-l", "100",
        ],
        Duration::from_secs(60),
    );
    assert!(
        status.success(),
        "sipp: {status}; {}",
        sipp_errors(dir.path())
    );
}

#[test]
fn with_ten_percent_of_messages_lost_retransmissions_recover_every_call() {
    if !sipp_available() {
        return;
    }
    let uas = Uas::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let status = sipp(
        &uas,
        dir.path(),
        &[
            "-sn", "uac", "-s", "alice", "-m", "200", "-r", "20", "-l", "200", "-lost", "10",
        ],
        Duration::from_secs(120),
    );
    assert!(
        status.success(),
        "sipp: {status}; {}",
        sipp_errors(dir.path())
    );
}

include!("../../../sip/tests/torture/uas_answers.rs");

#[test]
fn rfc4475_messages_get_the_answers_their_index_gives() {
    let uas = Uas::start(&[]);
    let torture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sip/tests/torture/rfc4475");
    for (file, expected) in SEMANTIC_ANSWERS {
        let message = std::fs::read(torture.join("semantic").join(file)).unwrap();
        assert_eq!(uas.udp(&message), expected, "semantic/{file}");
    }
    // The invalid ones: a request is refused with 400 (its Via says where), a response
    // dropped; where the INDEX lets a liberal receiver accept ("may-accept"), a request that
    // parses is handled as any other (a 4xx here: its user is unknown or it needs credentials).
    let index = std::fs::read_to_string(conformance().join("rfc4475/INDEX.md")).unwrap();
    let may_accept = |file: &str| {
        index
            .lines()
            .any(|l| l.starts_with(&format!("| {file} ")) && l.contains("may-accept"))
    };
    let mut files: Vec<_> = std::fs::read_dir(torture.join("invalid"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let message = std::fs::read(&path).unwrap();
        let got = uas.udp(&message);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if message.starts_with(b"SIP/") {
            assert_eq!(got, None, "{name}");
        } else if may_accept(&name) {
            assert!(
                got.is_some_and(|s| (400..500).contains(&s)),
                "{name}: {got:?}"
            );
        } else {
            assert_eq!(got, Some(400), "{name}");
        }
    }
    // The valid REGISTER in a datagram with junk after it (dblreq) is handled alone.
    let dblreq = std::fs::read(torture.join("valid/dblreq.dat")).unwrap();
    assert_eq!(uas.udp(&dblreq), Some(401));
    assert_eq!(uas.options(), Some(200), "still serving: {}", uas.log());
}

#[test]
fn tcp_carries_a_call_on_one_connection() {
    let uas = Uas::start(&[]);
    let mut s = TcpStream::connect(("127.0.0.1", uas.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    let local = s.local_addr().unwrap();
    let invite = format!(
        "INVITE sip:bob@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bKt1\r\n\
From: <sip:alice@127.0.0.1>;tag=t\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: tcp-call\r\n\
CSeq: 1 INVITE\r\nContact: <sip:alice@{local};transport=tcp>\r\nMax-Forwards: 70\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len(),
        port = uas.port
    );
    s.write_all(invite.as_bytes()).unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while !got.contains("SIP/2.0 200 OK") {
        assert!(Instant::now() < deadline, "no 200 over TCP: {got}");
        let n = s.read(&mut buf).unwrap();
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("SIP/2.0 180 Ringing"), "{got}");
    assert!(
        got.contains("a=rtpmap:8 PCMA/8000"),
        "the answer keeps PCMA: {got}"
    );
    assert!(got.contains(";transport=tcp"), "Contact names TCP: {got}");
}

/// An OPTIONS to `port` over `transport` (`TCP`, `TLS`, `WS`) as its text.
fn options_over(transport: &str, port: u16) -> String {
    format!(
        "OPTIONS sip:alice@127.0.0.1:{port} SIP/2.0\r\n\
Via: SIP/2.0/{transport} 127.0.0.1:9;branch=z9hG4bK{transport}\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\n\
To: <sip:alice@127.0.0.1>\r\nCall-ID: over-{transport}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn tls_answers_through_openssl_and_websocket_needs_the_sip_subprotocol() {
    let tls_port = free_port();
    let ws_port = free_port();
    let uas = Uas::start(&[
        "--listen",
        &format!("tls:127.0.0.1:{tls_port}"),
        "--listen",
        &format!("ws:127.0.0.1:{ws_port}"),
    ]);
    // TLS with the self-signed certificate, through openssl's own client (which we did not
    // write); the answer comes back on the same connection.
    let mut client = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-connect",
            &format!("127.0.0.1:{tls_port}"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    client
        .stdin
        .as_mut()
        .unwrap()
        .write_all(options_over("TLS", tls_port).as_bytes())
        .unwrap();
    let mut out = client.stdout.take().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let reader = std::thread::spawn(move || {
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            let Ok(n) = out.read(&mut buf) else { break };
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = client.kill();
    let _ = client.wait();
    let got = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    assert!(
        got.starts_with("SIP/2.0 200 OK"),
        "over TLS: {got:?}; {}",
        uas.log()
    );

    // WebSocket: a handshake without the sip subprotocol is refused (RFC 7118 §4); with it,
    // one SIP message per WebSocket message.
    let handshake = |protocol: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", ws_port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{ws_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{protocol}\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut byte).unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
        (s, String::from_utf8_lossy(&head).into_owned())
    };
    let (_, refused) = handshake("");
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    let (mut s, accepted) = handshake("Sec-WebSocket-Protocol: sip\r\n");
    assert!(accepted.starts_with("HTTP/1.1 101"), "{accepted}");
    assert!(
        accepted
            .to_ascii_lowercase()
            .contains("sec-websocket-protocol: sip")
    );
    // A masked text frame, as a client must send (RFC 6455 §5.3).
    let payload = options_over("WS", ws_port).into_bytes();
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | 126];
    frame.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).unwrap();
    let mut head = [0u8; 4];
    s.read_exact(&mut head[..2]).unwrap();
    assert_eq!(head[0], 0x81, "a text frame back");
    let len = match head[1] & 0x7f {
        126 => {
            s.read_exact(&mut head[2..4]).unwrap();
            usize::from(u16::from_be_bytes([head[2], head[3]]))
        }
        n => usize::from(n),
    };
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let answer = String::from_utf8_lossy(&body);
    assert!(answer.starts_with("SIP/2.0 200 OK"), "over WS: {answer}");
}
