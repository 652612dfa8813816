//! Recording policies: the most specific rule wins, samples keep their percentage, schedules
//! follow the calendar.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use jiff::Timestamp;
use sambung_core::calendar::OfficeHours;
use sambung_core::ids::{AgentId, CallId, QueueId};
use sambung_recording::policy::{Decision, Policy, PolicyError, Rule};

fn now() -> Timestamp {
    // Monday 30 November 2026, 09:00 in Jakarta.
    "2026-11-30T02:00:00Z".parse().unwrap()
}

#[test]
fn agent_beats_queue_beats_default() {
    let q = QueueId::new("pengaduan").unwrap();
    let a = AgentId::new("1001").unwrap();
    let mut p = Policy::new(Rule::Never, 1).unwrap();
    p.set_queue(q.clone(), Rule::Always).unwrap();
    p.set_agent(a.clone(), Rule::OnDemand).unwrap();
    let call = CallId::new(1);
    assert_eq!(p.decide(call, None, None, now()), Decision::Skip);
    assert_eq!(p.decide(call, Some(&q), None, now()), Decision::Record);
    assert_eq!(
        p.decide(call, Some(&q), Some(&a), now()),
        Decision::OnDemand
    );
    let other = AgentId::new("1002").unwrap();
    assert_eq!(
        p.decide(call, Some(&q), Some(&other), now()),
        Decision::Record
    );
}

#[test]
fn sampling_keeps_its_percentage_within_statistical_error() {
    let q = QueueId::new("informasi").unwrap();
    for (percent, seed) in [(25.0, 7), (2.5, 8), (90.0, 9)] {
        let mut p = Policy::new(Rule::Never, seed).unwrap();
        p.set_queue(q.clone(), Rule::Sample { percent }).unwrap();
        let n = 100_000u32;
        let recorded = (0..n)
            .filter(|&i| {
                p.decide(CallId::new(u64::from(i)), Some(&q), None, now()) == Decision::Record
            })
            .count();
        let share = recorded as f64 / f64::from(n);
        let p0 = percent / 100.0;
        let sigma = (p0 * (1.0 - p0) / f64::from(n)).sqrt();
        assert!(
            (share - p0).abs() < 4.0 * sigma,
            "{percent}%: recorded {share:.4} (4 sigma = {:.4})",
            4.0 * sigma
        );
        // The same call gets the same answer every time.
        let c = CallId::new(12_345);
        assert_eq!(
            p.decide(c, Some(&q), None, now()),
            p.decide(c, Some(&q), None, now())
        );
    }
    for bad in [-1.0, 100.5, f64::NAN] {
        assert_eq!(
            Policy::new(Rule::Sample { percent: bad }, 0)
                .map(|_| ())
                .unwrap_err()
                .to_string(),
            PolicyError::BadPercent(bad).to_string()
        );
    }
    let none = Policy::new(Rule::Sample { percent: 0.0 }, 3).unwrap();
    let all = Policy::new(Rule::Sample { percent: 100.0 }, 3).unwrap();
    for i in 0..1000 {
        assert_eq!(
            none.decide(CallId::new(i), None, None, now()),
            Decision::Skip
        );
        assert_eq!(
            all.decide(CallId::new(i), None, None, now()),
            Decision::Record
        );
    }
}

#[test]
fn scheduled_windows_follow_the_calendar() {
    let hours = OfficeHours::weekdays("Asia/Jakarta", "08:00-16:00").unwrap();
    let p = Policy::new(Rule::Scheduled(Box::new(hours)), 0).unwrap();
    let call = CallId::new(1);
    assert_eq!(p.decide(call, None, None, now()), Decision::Record);
    let evening: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap(); // 19:00 in Jakarta
    assert_eq!(p.decide(call, None, None, evening), Decision::Skip);
    let saturday: Timestamp = "2026-11-28T02:00:00Z".parse().unwrap();
    assert_eq!(p.decide(call, None, None, saturday), Decision::Skip);
}
