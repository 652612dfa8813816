//! acd-sim as a user runs it, checked against queueing theory: Erlang C (M/M/c) and
//! Erlang A (M/M/c+M, callers with exponential patience).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_acd-sim");

fn run(scenario: &str) -> (std::process::ExitStatus, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = Command::new(BIN).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status, json, stderr)
}

/// Erlang C: probability that a caller waits, for `c` agents and `a` erlangs of traffic.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut sum = 0.0;
    let mut term = 1.0; // a^k / k!
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    last / (sum + last)
}

const MMC: &str = r#"
seed = 7
duration_s = 40000
service_level_threshold_s = 5

[[queue]]
name = "pengaduan"
arrival = { process = "poisson", rate_per_s = 1.0 }
handle_time = { dist = "exponential", mean_s = 8.0 }

[[agents]]
count = 10
queues = ["pengaduan"]
"#;

#[test]
fn agrees_with_erlang_c() {
    let (status, v, stderr) = run(MMC);
    assert!(status.success(), "{stderr}");
    let q = &v["queues"]["pengaduan"];
    let (c, lambda, mu) = (10, 1.0, 1.0 / 8.0);
    let a = lambda / mu;
    let pw = erlang_c(c, a);
    let asa = pw / (f64::from(c) * mu - lambda);
    let sl = 1.0 - pw * (-(f64::from(c) * mu - lambda) * 5.0).exp();
    let got_asa = q["asa_s"].as_f64().unwrap();
    let got_sl = q["service_level"].as_f64().unwrap();
    assert!(
        (got_asa - asa).abs() / asa < 0.15,
        "ASA {got_asa:.3} s, Erlang C {asa:.3} s"
    );
    assert!(
        (got_sl - sl).abs() < 0.03,
        "SL {got_sl:.3}, Erlang C {sl:.3}"
    );
    assert!((q["aht_s"].as_f64().unwrap() - 8.0).abs() < 0.3);
    let occupancy = v["occupancy"].as_f64().unwrap();
    assert!((occupancy - 0.8).abs() < 0.03, "occupancy {occupancy}");
    assert_eq!(
        q["offered"], q["answered"],
        "nobody gives up without patience"
    );
    assert!(v["calls_per_wall_s"].as_f64().unwrap() > 0.0);
}

/// Erlang A (M/M/c+M) by its birth-death chain: arrivals at `lambda`, each of the `c` agents
/// serving at `mu`, each waiting caller leaving at `theta`. Returns the share of callers who
/// abandon and the mean time in queue over all callers (Little's law on the queue length).
fn erlang_a(c: u32, lambda: f64, mu: f64, theta: f64) -> (f64, f64) {
    let limit = c as usize + 5000; // the tail beyond is below f64 precision for these rates
    let mut weights = vec![1.0f64];
    for n in 1..=limit {
        let served = f64::from(c.min(u32::try_from(n).unwrap()));
        let waiting = n.saturating_sub(c as usize) as f64;
        let next = weights[n - 1] * lambda / (served * mu + waiting * theta);
        weights.push(next);
    }
    let total: f64 = weights.iter().sum();
    let queue_len: f64 = weights
        .iter()
        .enumerate()
        .map(|(n, w)| n.saturating_sub(c as usize) as f64 * w / total)
        .sum();
    (theta * queue_len / lambda, queue_len / lambda)
}

#[test]
fn agrees_with_erlang_a() {
    // Overloaded without patience (9.6 erlangs on 10 agents), kept stable by callers who give
    // up after 30 s on average.
    let scenario = include_str!("../scenarios/erlang-a.toml");
    let (status, v, stderr) = run(scenario);
    assert!(status.success(), "{stderr}");
    let q = &v["queues"]["pengaduan"];
    let (abandon, wait) = erlang_a(10, 1.2, 1.0 / 8.0, 1.0 / 30.0);
    let got_abandon = q["abandon_rate"].as_f64().unwrap();
    let got_wait = q["mean_wait_s"].as_f64().unwrap();
    assert!(
        (got_abandon - abandon).abs() < 0.02,
        "abandon rate {got_abandon:.4}, Erlang A {abandon:.4}"
    );
    assert!(
        (got_wait - wait).abs() / wait < 0.15,
        "mean wait {got_wait:.3} s, Erlang A {wait:.3} s"
    );
}

#[test]
fn same_seed_same_result() {
    let scenario = MMC.replace("40000", "3000").replace("[[agents]]", "[[queue]]\nname = \"informasi\"\narrival = { process = \"poisson\", rate_per_s = 0.3 }\nhandle_time = { dist = \"lognormal\", mean_s = 6.0, sd_s = 3.0 }\npatience = { dist = \"exponential\", mean_s = 20.0 }\nstrategy = \"round_robin\"\n\n[[agents]]").replace("queues = [\"pengaduan\"]", "queues = [\"pengaduan\", \"informasi\"]");
    let (s1, a, e1) = run(&scenario);
    let (s2, b, _) = run(&scenario);
    assert!(s1.success() && s2.success(), "{e1}");
    assert_eq!(a["queues"], b["queues"]);
    let info = &a["queues"]["informasi"];
    let offered = info["offered"].as_u64().unwrap();
    assert_eq!(
        offered,
        info["answered"].as_u64().unwrap() + info["abandoned"].as_u64().unwrap()
    );
    assert!(
        info["abandoned"].as_u64().unwrap() > 0,
        "impatient callers give up sometimes"
    );
    assert!(info["mean_wait_s"].as_f64().unwrap() >= 0.0);
}

#[test]
fn bad_scenarios_name_the_place() {
    for (edit, expect) in [
        (
            MMC.replace("seed = 7", "seed = 7\nspeed = 1"),
            "unknown field",
        ),
        (
            MMC.replace("rate_per_s = 1.0", "rate_per_s = -1.0"),
            "queue[0].arrival.rate_per_s",
        ),
        (
            MMC.replace("queues = [\"pengaduan\"]", "queues = [\"informasi\"]"),
            "agents[0].queues[0]",
        ),
        (
            MMC.replace("dist = \"exponential\"", "dist = \"gamma\""),
            "queue[0].handle_time",
        ),
        (
            MMC.replace(
                "count = 10\nqueues = [\"pengaduan\"]",
                "count = 10\nqueues = []",
            ),
            "no agent serves",
        ),
    ] {
        let (status, _, stderr) = run(&edit);
        assert_eq!(status.code(), Some(2), "{expect}: {stderr}");
        assert!(stderr.contains(expect), "want {expect:?} in {stderr}");
    }
}

#[test]
fn sweep_draws_service_level_and_asa_against_agents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, MMC.replace("40000", "2000")).unwrap();
    let svg = dir.path().join("sweep.svg");
    let out = Command::new(BIN)
        .arg(&path)
        .args(["--sweep-agents", "9..13", "--svg"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["sweep"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    let sl: Vec<f64> = points
        .iter()
        .map(|p| p["queues"]["pengaduan"]["service_level"].as_f64().unwrap())
        .collect();
    assert!(
        sl.windows(2).all(|w| w[1] >= w[0] - 0.02),
        "more agents, better service: {sl:?}"
    );
    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.starts_with("<svg") && drawing.contains("service level"));
    let bad = Command::new(BIN)
        .arg(&path)
        .args(["--sweep-agents", "5..2"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
