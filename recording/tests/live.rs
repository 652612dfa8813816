//! Live taps: listeners hear what the recorder stores, a slow listener never holds the
//! recorder up, and listeners come and go during the call.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::Duration;

use sambung_recording::live::LiveTap;
use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};

fn frame(i: i16) -> (Vec<i16>, Vec<i16>) {
    (vec![i; 160], vec![-i; 160])
}

#[test]
fn listeners_hear_what_is_recorded_including_the_silence_of_a_pause() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec =
        WavRecorder::create(&dir.path().join("live.wav"), RecorderConfig::default()).unwrap();
    let tap = LiveTap::new();
    rec.set_tap(tap.clone());
    let supervisor = tap.subscribe(100);
    for i in 1..=3 {
        let (c, a) = frame(i);
        rec.write(&c, &a).unwrap();
    }
    rec.pause();
    let (c, a) = frame(4);
    rec.write(&c, &a).unwrap();
    rec.resume();
    // A leg that lost a packet is padded for listeners as for the file.
    rec.write(&[5; 160], &[-5; 80]).unwrap();
    let heard: Vec<_> = std::iter::from_fn(|| supervisor.try_next()).collect();
    assert_eq!(heard.len(), 5);
    assert_eq!(
        heard.iter().map(|f| f.seq).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!((heard[1].caller[0], heard[1].agent[0]), (2, -2));
    assert!(
        heard[3]
            .caller
            .iter()
            .chain(heard[3].agent.iter())
            .all(|&s| s == 0),
        "paused: silence"
    );
    assert_eq!(heard[4].agent.len(), 160);
    assert_eq!((heard[4].agent[79], heard[4].agent[80]), (-5, 0));
    // The call ends: the listener reads what is left, then learns it is over.
    drop(rec);
    drop(tap);
    assert!(supervisor.next().is_none());
}

#[test]
fn a_slow_listener_loses_frames_alone_and_a_gone_one_is_forgotten() {
    let tap = LiveTap::new();
    let slow = tap.subscribe(2);
    let quick = tap.subscribe(100);
    let gone = tap.subscribe(100);
    drop(gone);
    for i in 0..10 {
        let (c, a) = frame(i);
        tap.publish(&c, &a);
    }
    assert_eq!(tap.listeners(), 2, "the one who hung up is forgotten");
    assert_eq!(slow.dropped(), 8);
    assert_eq!(slow.try_next().unwrap().seq, 0);
    assert_eq!(slow.try_next().unwrap().seq, 1);
    assert!(slow.try_next().is_none());
    assert_eq!(quick.dropped(), 0);
    assert_eq!(std::iter::from_fn(|| quick.try_next()).count(), 10);
    // Joining mid-call starts from the next frame.
    let late = tap.subscribe(10);
    tap.publish(&[1; 160], &[1; 160]);
    assert_eq!(late.next_timeout(Duration::from_secs(1)).unwrap().seq, 10);
}

#[test]
fn a_listener_on_another_thread_hears_the_call_as_it_is_recorded() {
    let tap = LiveTap::new();
    let listener = tap.subscribe(3000);
    let reader = std::thread::spawn(move || {
        let mut got = 0u64;
        while let Some(f) = listener.next() {
            assert_eq!(f.seq, got, "no gaps for a listener that keeps up");
            got += 1;
        }
        got
    });
    for i in 0..1000 {
        let (c, a) = frame((i % 100) as i16);
        tap.publish(&c, &a);
    }
    drop(tap);
    assert_eq!(reader.join().unwrap(), 1000);
}
