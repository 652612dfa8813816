//! Two real softphones as agents: baresip 1.0 (Debian's) registers extensions 1001 and 1002
//! with their generated passwords, logs in by feature code from the phone's own dial command
//! (1002 keys a wrong PIN first, which is refused), makes itself ready, auto-answers, and
//! speaks the conformance set's speech WAV. Two SIPp callers dial the access number at once;
//! each is greeted, queued and answered by one of the agents. The recording of each call must
//! hold what the two sides sent — the caller's side matches what the agent's phone received,
//! the other side what the agent's phone sent (normalised cross-correlation ≥ 0.9) — and the
//! real-time statistics count two offered, two answered.
//!
//! Then hold and blind transfer from the agent's phone: baresip's `/hold` and `/resume`
//! (re-INVITEs) play the caller the hold music and count hold time in the agent report, and
//! `/transfer` (REFER) rings another phone, which the caller then talks to.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    Service, api_token, find_audio, secret, sipp, sipp_available, wait_sipp, wav_channels,
};
use sqlx::Row;

/// baresip is a judge here like SIPp; in CI (`CI` set) it must be installed.
fn baresip_available() -> bool {
    let ok = Command::new("baresip")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "baresip is required in CI"
        );
        eprintln!("baresip not installed: skipping (apt-get install baresip)");
    }
    ok
}

/// The conformance set's 8 kHz speech, the agents' voice.
fn speech() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/g711/speech_8k_s16.wav");
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// A headless baresip with a console on UDP for commands; killed when dropped.
struct Softphone {
    child: Child,
    dir: PathBuf,
    console: SocketAddr,
}

impl Softphone {
    /// Starts baresip for `extension`, registering at `registrar` with `password`.
    fn start(root: &Path, extension: &str, registrar: SocketAddr, password: &str) -> Self {
        let dir = root.join(format!("phone-{extension}"));
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        // baresip also listens on the next port up (TLS): both must be free.
        let sip_port = loop {
            let port = common::free_udp_port();
            let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
            if port < u16::MAX && free(port) && free(port + 1) {
                break port;
            }
        };
        let console_port = common::free_udp_port();
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
    fn command(&self, line: &str) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .send_to(format!("{line}\n").as_bytes(), self.console)
            .unwrap();
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.dir.join("baresip.log")).unwrap_or_default())
            .into_owned()
    }

    /// The longest call's audio dumps: (what the phone received, what it sent).
    fn longest_call(&self) -> (Vec<i16>, Vec<i16>) {
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
fn wait_log(service: &Service, text: &str, what: &str) {
    let deadline = Instant::now() + common::PATIENCE;
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
fn phones(service: &Service, data: &Path, root: &Path, extensions: &[&str]) -> Vec<Softphone> {
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
fn log_in_and_ready(service: &Service, data: &Path, ext: &str, phone: &Softphone) {
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

#[test]
fn baresip_agents_log_in_answer_and_are_recorded() {
    if !sipp_available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let registrar = service.sip("udp");
    let phones: Vec<(&str, Softphone)> = ["1001", "1002"]
        .into_iter()
        .zip(phones(&service, &data, dir.path(), &["1001", "1002"]))
        .collect();
    // 1002 mistypes the PIN once: refused with 403.
    let pin_1002 = secret(&data, "pins", "1002");
    let wrong: String = pin_1002
        .chars()
        .map(|c| char::from_digit((c.to_digit(10).unwrap() + 1) % 10, 10).unwrap())
        .collect();
    phones[1]
        .1
        .command(&format!("/dial sip:*711002%23{wrong}%23@{registrar}"));
    wait_log(&service, "feature code refused extension=1002", "wrong PIN");
    for (ext, phone) in &phones {
        log_in_and_ready(&service, &data, ext, phone);
    }

    // Two callers at once, each talking for ~8 s (SIPp plays its A-law speech capture).
    let mut callers = sipp(&service, dir.path(), 2, 1000);
    let status = wait_sipp(&mut callers, Duration::from_secs(60));
    assert!(
        status.success(),
        "callers: {status}\n{}",
        service.stderr_text()
    );
    service.wait_health(|h| h["calls_active"] == 0);
    assert!(
        phones[1].1.log().contains("403 Forbidden"),
        "{}",
        phones[1].1.log()
    );

    let token = api_token(&data);
    let (_, body) = service.get("/api/v1/realtime", Some(&token));
    let realtime: serde_json::Value = serde_json::from_str(&body).unwrap();
    let q = &realtime["queues"]["pengaduan"];
    assert_eq!(
        (q["offered"].as_u64(), q["answered"].as_u64()),
        (Some(2), Some(2)),
        "{realtime}"
    );
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT agent, recording_id FROM cdrs ORDER BY agent",
    );
    let calls: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get("agent"), r.get("recording_id")))
        .collect();
    let agents: Vec<&str> = calls.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(agents, ["1001", "1002"], "{log}");
    for ((agent, recording), (ext, phone)) in calls.iter().zip(&phones) {
        assert_eq!(agent, ext);
        let channels = wav_channels(&data.join("recordings").join(format!("{recording}.wav")));
        let (caller_side, heard_side) = (&channels[0], &channels[1]);
        let (received, sent) = phone.longest_call();
        // A two-second stretch from half a second into the agent's call, found in the
        // recording: the caller's side holds what the phone received, the other side what
        // the phone sent.
        for (name, side, dump) in [
            ("caller → agent", caller_side, &received),
            ("agent → caller", heard_side, &sent),
        ] {
            assert!(dump.len() >= 20_000, "{name}: {} samples", dump.len());
            let (c, at) = find_audio(side, &dump[4_000..20_000]);
            eprintln!("agent {agent}, {name}: correlation {c:.3} at sample {at}");
            assert!(
                c >= 0.9,
                "agent {agent}, {name}: correlation {c:.3} at {at}\n{}",
                phone.log()
            );
        }
    }
}

/// A rising sweep, 300 Hz to 1500 Hz over each second, as 8 kHz mono WAV: music on hold no
/// other sound in the test resembles.
fn write_sweep(path: &Path, seconds: usize) {
    let mut phase = 0.0f64;
    let pcm: Vec<u8> = (0..8000 * seconds)
        .flat_map(|i| {
            let t = (i % 8000) as f64 / 8000.0;
            phase += 2.0 * std::f64::consts::PI * (300.0 + 1200.0 * t) / 8000.0;
            sambung_media::tones::to_i16(phase.sin() * 6000.0).to_le_bytes()
        })
        .collect();
    let mut out = Vec::new();
    sambung_media::wav::write(
        sambung_media::wav::WavFormat {
            encoding: sambung_media::wav::WavEncoding::Pcm16,
            channels: 1,
            sample_rate: 8000,
        },
        &pcm,
        &mut out,
    );
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

#[test]
fn an_agent_holds_the_caller_then_transfers_them_to_another_phone() {
    if !sipp_available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let music = data.join("prompts").join("hold.wav");
    write_sweep(&music, 3);
    let service = Service::start(&data);
    let registrar = service.sip("udp");
    // 1001 is an agent; 1002 is just an extension (a back-office phone).
    let phones = phones(&service, &data, dir.path(), &["1001", "1002"]);
    log_in_and_ready(&service, &data, "1001", &phones[0]);

    // The caller talks for 8 s, then listens for 12 s more.
    let mut caller = sipp(&service, dir.path(), 1, 12_000);
    wait_log(&service, "agent answered agent=1001", "the agent's answer");
    std::thread::sleep(Duration::from_millis(500));
    phones[0].command("/hold");
    wait_log(&service, "agent hold agent=1001 held=true", "hold");
    std::thread::sleep(Duration::from_secs(2));
    phones[0].command("/resume");
    wait_log(&service, "agent hold agent=1001 held=false", "resume");
    std::thread::sleep(Duration::from_millis(500));
    phones[0].command(&format!("/transfer sip:1002@{registrar}"));
    wait_log(
        &service,
        "blind transfer answered extension=1002",
        "transfer",
    );
    let status = wait_sipp(&mut caller, Duration::from_secs(60));
    assert!(
        status.success(),
        "caller: {status}\n{}",
        service.stderr_text()
    );
    service.wait_health(|h| h["calls_active"] == 0);
    let agent_log = phones[0].log();
    assert!(agent_log.contains("transferring call"), "{agent_log}");

    let token = api_token(&data);
    let (_, body) = service.get(
        "/api/v1/reports/agents?from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
        Some(&token),
    );
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let row = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "1001")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(row["hold_s"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(row["calls"], 1, "{report}");
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT agent, transferred_to, recording_id FROM cdrs",
    );
    assert_eq!(rows.len(), 1);
    let (agent, to, recording): (String, String, String) = (
        rows[0].get("agent"),
        rows[0].get("transferred_to"),
        rows[0].get("recording_id"),
    );
    assert_eq!((agent.as_str(), to.as_str()), ("1001", "1002"));
    let heard =
        wav_channels(&data.join("recordings").join(format!("{recording}.wav"))).swap_remove(1);
    // On hold the caller heard the music from its start …
    let sweep = wav_channels(&music).swap_remove(0);
    let (c, at) = find_audio(&heard, &sweep[..8_000]);
    eprintln!("hold music: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "hold music: correlation {c:.3} at {at}");
    // … and after the transfer, the second phone's voice.
    let (_, sent) = phones[1].longest_call();
    assert!(sent.len() >= 20_000, "{} samples", sent.len());
    let (c, at) = find_audio(&heard, &sent[4_000..20_000]);
    eprintln!("transferred: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "transferred: correlation {c:.3} at {at}");
}
