//! `relay_load [--calls N] [--seconds S] [--transcode] [--workers W]`: sambung-media's UDP
//! relay carrying N concurrent G.711 calls over loopback, both directions, 50 packets a second
//! each way, for S seconds; prints one JSON object with the packets sent and received, those
//! lost, and the CPU the relay's threads used.
//!
//! Two sockets play all the callers and all the agents (the relay learns each leg's address
//! from its SDP, here given up front); a sender thread paces the packets over each 20 ms, and
//! a thread per socket counts what comes back.
//!
//! ```text
//! cargo run --release -p sambung-benches --features peers --example relay_load -- --calls 2000
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sambung_media::relay::udp::UdpRelay;
use sambung_media::relay::{Bridge, Encoding, LegMedia};

struct Options {
    calls: usize,
    seconds: u64,
    transcode: bool,
    workers: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        calls: 2000,
        seconds: 10,
        transcode: false,
        workers: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--calls" => o.calls = usize::try_from(value("--calls")?).unwrap_or(0),
            "--seconds" => o.seconds = value("--seconds")?,
            "--workers" => o.workers = usize::try_from(value("--workers")?).unwrap_or(1).max(1),
            "--transcode" => o.transcode = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn socket() -> std::io::Result<UdpSocket> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    Ok(s.into())
}

/// CPU seconds used by this process's threads whose name starts with `prefix`.
fn thread_cpu_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        for i in [11, 12] {
            ticks += fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "clock ticks")]
    let seconds = ticks as f64 / 100.0;
    seconds
}

fn packet(pt: u8, seq: u16, call: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(172);
    sambung_media::rtp::RtpHeader {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: u32::from(seq).wrapping_mul(160),
        ssrc: call,
    }
    .write(&[0xD5; 160], &mut out);
    out
}

fn counter(socket: UdpSocket, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut received = 0u64;
        loop {
            match socket.recv_from(&mut buf) {
                Ok(_) => received += 1,
                Err(_) if stop.load(Ordering::Relaxed) => return received,
                Err(_) => {}
            }
        }
    })
}

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]
fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "{e}\nusage: relay_load [--calls N] [--seconds S] [--transcode] [--workers W]"
            );
            return ExitCode::from(2);
        }
    };
    // The relay's runtime: one worker on a thread of its own (a current-thread runtime driven
    // by that thread), or a multi-thread runtime with W workers.
    let built = if o.workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(o.workers)
            .thread_name("relay-worker")
            .enable_all()
            .build()
    };
    let Ok(runtime) = built else {
        return ExitCode::FAILURE;
    };
    let runtime = Arc::new(runtime);
    let driver = (o.workers == 1).then(|| {
        let runtime = Arc::clone(&runtime);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("relay-worker".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = done_rx.await;
                });
            });
        (done_tx, thread)
    });
    let (Ok(callers), Ok(agents)) = (socket(), socket()) else {
        eprintln!("cannot bind loopback sockets");
        return ExitCode::FAILURE;
    };
    let (Ok(caller_addr), Ok(agent_addr)) = (callers.local_addr(), agents.local_addr()) else {
        return ExitCode::FAILURE;
    };
    let relay = UdpRelay::new([127, 0, 0, 1].into());
    let b_encoding = if o.transcode {
        Encoding::Pcma
    } else {
        Encoding::Pcmu
    };
    let b_pt = if o.transcode { 8 } else { 0 };
    let calls: Vec<_> = {
        let _guard = runtime.enter();
        (0..o.calls)
            .filter_map(|_| {
                let bridge = Bridge::new(
                    LegMedia::new(0, Encoding::Pcmu).remote(caller_addr),
                    LegMedia::new(b_pt, b_encoding).remote(agent_addr),
                )
                .ok()?;
                relay.start(bridge).ok()
            })
            .collect()
    };
    if calls.len() != o.calls {
        eprintln!(
            "started {} of {} calls (file descriptors?)",
            calls.len(),
            o.calls
        );
        return ExitCode::FAILURE;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (Ok(c2), Ok(a2)) = (callers.try_clone(), agents.try_clone()) else {
        return ExitCode::FAILURE;
    };
    let at_callers = counter(c2, Arc::clone(&stop));
    let at_agents = counter(a2, Arc::clone(&stop));
    let sent = Arc::new(AtomicU64::new(0));
    let cpu_before = thread_cpu_seconds("relay-worker");
    let start = Instant::now();
    let ticks = o.seconds * 50;
    // 20 slots of 1 ms per 20 ms frame, each sending its share of the calls both ways.
    let slots = 20usize;
    let per_slot = o.calls.div_ceil(slots);
    for tick in 0..ticks {
        let seq = u16::try_from(tick % 65_536).unwrap_or(0);
        for slot in 0..slots {
            let due = start + Duration::from_micros(tick * 20_000 + slot as u64 * 1000);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            for (i, call) in calls
                .iter()
                .enumerate()
                .skip(slot * per_slot)
                .take(per_slot)
            {
                let id = u32::try_from(i).unwrap_or(0);
                if callers.send_to(&packet(0, seq, id), call.a).is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                if agents.send_to(&packet(b_pt, seq, id), call.b).is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    let cpu = thread_cpu_seconds("relay-worker") - cpu_before;
    stop.store(true, Ordering::Relaxed);
    let received = at_callers.join().unwrap_or(0) + at_agents.join().unwrap_or(0);
    let sent = sent.load(Ordering::Relaxed);
    let forwarded: u64 = calls.iter().map(|c| c.forwarded()).sum();
    #[expect(clippy::cast_precision_loss, reason = "packet counts")]
    let per_packet_us = cpu * 1e6 / forwarded.max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "calls": o.calls,
            "transcode": o.transcode,
            "relay_workers": o.workers,
            "seconds": elapsed,
            "packets_sent": sent,
            "packets_forwarded": forwarded,
            "packets_received": received,
            "packets_lost": sent.saturating_sub(received),
            "relay_cpu_seconds": cpu,
            "relay_cpu_share_of_one_core": cpu / elapsed,
            "relay_cpu_us_per_packet": per_packet_us,
        })
    );
    if let Some((done, thread)) = driver {
        let _ = done.send(());
        if let Ok(thread) = thread {
            let _ = thread.join();
        }
    }
    runtime.block_on(async {
        for call in calls {
            let _ = call.stop().await;
        }
    });
    if sent == received {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
