//! Call flows: the BNPT flow walked in and out of office hours, checks that refuse bad flows,
//! and a flow replaced while a call runs.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use sambung_acd::flow::{Flow, FlowAction, FlowError, FlowInput, FlowRegistry, FlowSession};
use sambung_core::calendar::{OfficeHours, OfficeHoursConfig};

const BNPT: &str = r#"
version = 1
start = "welcome"

[nodes.welcome]
type = "announce"
prompt = "selamat-datang"
next = "hours"

[nodes.hours]
type = "time_condition"
calendar = "kantor"
open = "menu"
closed = "after_hours"

[nodes.menu]
type = "menu"
prompt = "menu-utama"
options = { "1" = "info", "2" = "complaint", "0" = "complaint" }
timeout_s = 5
retries = 1
default = "complaint"

[nodes.info]
type = "announce"
prompt = "info-layanan"
next = "menu"

[nodes.complaint]
type = "queue"
queue = "pengaduan"

[nodes.after_hours]
type = "menu"
prompt = "di-luar-jam-kerja"
options = { "1" = "voicemail", "2" = "callback" }
default = "goodbye"

[nodes.voicemail]
type = "voicemail"
prompt = "tinggalkan-pesan"
mailbox = "pengaduan"

[nodes.callback]
type = "callback"
prompt = "kami-akan-menelepon"

[nodes.goodbye]
type = "hangup"
prompt = "terima-kasih"
"#;

fn calendars() -> BTreeMap<String, OfficeHours> {
    BTreeMap::from([(
        "kantor".to_owned(),
        OfficeHours::from_config(&OfficeHoursConfig::default()).unwrap(),
    )])
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn office_hours_self_service_and_queue() {
    let flow = Arc::new(Flow::from_toml(BNPT).unwrap());
    flow.check_calendars(&calendars()).unwrap();
    let cals = calendars();
    let monday_9am = ts("2026-11-30T09:00:00+07:00");
    let mut call = FlowSession::new(flow);
    let step = |call: &mut FlowSession, input| call.step(input, monday_9am, &cals);
    assert_eq!(
        step(&mut call, FlowInput::Start),
        FlowAction::Play {
            prompt: "selamat-datang".into()
        }
    );
    assert_eq!(
        step(&mut call, FlowInput::PromptDone),
        FlowAction::Collect {
            prompt: "menu-utama".into(),
            timeout_s: 5
        }
    );
    // Self-service: the information announcement, then back to the menu (IVR-2).
    assert_eq!(
        step(&mut call, FlowInput::Digit('1')),
        FlowAction::Play {
            prompt: "info-layanan".into()
        }
    );
    assert_eq!(
        step(&mut call, FlowInput::PromptDone),
        FlowAction::Collect {
            prompt: "menu-utama".into(),
            timeout_s: 5
        }
    );
    // A wrong key replays the menu once, then the default: the complaints queue.
    assert_eq!(
        step(&mut call, FlowInput::Digit('7')),
        FlowAction::Collect {
            prompt: "menu-utama".into(),
            timeout_s: 5
        }
    );
    assert!(
        matches!(step(&mut call, FlowInput::Timeout), FlowAction::Enqueue { ref queue, .. } if queue.as_str() == "pengaduan")
    );
}

#[test]
fn after_hours_and_holidays_take_messages_or_callbacks() {
    let flow = Arc::new(Flow::from_toml(BNPT).unwrap());
    let mut cals = calendars();
    for at in [
        ts("2026-11-30T18:30:00+07:00"),
        ts("2026-11-28T10:00:00+07:00"),
    ] {
        let mut call = FlowSession::new(Arc::clone(&flow));
        call.step(FlowInput::Start, at, &cals);
        assert_eq!(
            call.step(FlowInput::PromptDone, at, &cals),
            FlowAction::Collect {
                prompt: "di-luar-jam-kerja".into(),
                timeout_s: 5
            }
        );
        assert_eq!(
            call.step(FlowInput::Digit('2'), at, &cals),
            FlowAction::Callback {
                prompt: "kami-akan-menelepon".into()
            }
        );
    }
    // A holiday on a Monday at 09:00.
    cals.get_mut("kantor")
        .unwrap()
        .add_holiday(jiff::civil::date(2026, 11, 30), "Libur")
        .unwrap();
    let at = ts("2026-11-30T09:00:00+07:00");
    let mut call = FlowSession::new(flow);
    call.step(FlowInput::Start, at, &cals);
    assert!(
        matches!(call.step(FlowInput::PromptDone, at, &cals), FlowAction::Collect { ref prompt, .. } if prompt == "di-luar-jam-kerja")
    );
    // Silence through the retries: goodbye.
    call.step(FlowInput::Timeout, at, &cals);
    call.step(FlowInput::Timeout, at, &cals);
    assert_eq!(
        call.step(FlowInput::Timeout, at, &cals),
        FlowAction::Hangup {
            prompt: Some("terima-kasih".into())
        }
    );
}

#[test]
fn a_call_keeps_the_version_it_started_on() {
    let registry = FlowRegistry::new(Flow::from_toml(BNPT).unwrap());
    let cals = calendars();
    let at = ts("2026-11-30T09:00:00+07:00");
    let mut early = FlowSession::new(registry.current());
    early.step(FlowInput::Start, at, &cals);
    // Version 2 sends everything straight to the queue, with a new greeting.
    let v2 = BNPT
        .replace("version = 1", "version = 2")
        .replace("next = \"hours\"", "next = \"complaint\"")
        .replace("selamat-datang", "halo");
    registry.replace(Flow::from_toml(&v2).unwrap());
    let mut late = FlowSession::new(registry.current());
    assert_eq!(
        late.step(FlowInput::Start, at, &cals),
        FlowAction::Play {
            prompt: "halo".into()
        }
    );
    assert_eq!((early.version(), late.version()), (1, 2));
    assert!(
        matches!(
            early.step(FlowInput::PromptDone, at, &cals),
            FlowAction::Collect { .. }
        ),
        "still on version 1"
    );
    assert!(matches!(
        late.step(FlowInput::PromptDone, at, &cals),
        FlowAction::Enqueue { .. }
    ));
}

#[test]
fn bad_flows_are_refused_naming_the_place() {
    let unknown = BNPT.replace("next = \"hours\"", "next = \"nowhere\"");
    assert_eq!(
        Flow::from_toml(&unknown),
        Err(FlowError::UnknownNode {
            from: "welcome".into(),
            to: "nowhere".into()
        })
    );
    let looping = r#"
        version = 1
        start = "a"
        [nodes.a]
        type = "announce"
        prompt = "p"
        next = "b"
        [nodes.b]
        type = "announce"
        prompt = "p"
        next = "a"
    "#;
    assert!(matches!(
        Flow::from_toml(looping),
        Err(FlowError::NoExit { .. })
    ));
    let bad_key = BNPT.replace("\"0\" = \"complaint\"", "\"10\" = \"complaint\"");
    assert!(
        matches!(Flow::from_toml(&bad_key), Err(FlowError::BadKey { ref key, .. }) if key == "10")
    );
    let extra = BNPT.replace("retries = 1", "retries = 1\ncolour = \"blue\"");
    assert!(
        matches!(Flow::from_toml(&extra), Err(FlowError::Syntax { ref message }) if message.contains("colour"))
    );
    let flow = Flow::from_toml(BNPT).unwrap();
    assert!(matches!(
        flow.check_calendars(&BTreeMap::new()),
        Err(FlowError::UnknownCalendar { .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

    /// Any text: a flow or a typed error, never a panic; any walk through a valid flow ends or
    /// waits, never panics.
    #[test]
    fn flows_never_panic(text in ".{0,300}", keys in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
        let _ = Flow::from_toml(&text);
        let flow = Arc::new(Flow::from_toml(BNPT).unwrap());
        let cals = calendars();
        let mut call = FlowSession::new(flow);
        let at = ts("2026-11-30T09:00:00+07:00");
        call.step(FlowInput::Start, at, &cals);
        for k in keys {
            let input = match k % 4 {
                0 => FlowInput::PromptDone,
                1 => FlowInput::Timeout,
                _ => FlowInput::Digit(char::from(b'0' + k % 12)),
            };
            let _ = call.step(input, at, &cals);
        }
    }
}
