//! Property tests: parsing never panics on arbitrary input, and calendar answers are
//! consistent for arbitrary instants.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use jiff::Timestamp;
use proptest::prelude::*;
use sambung_core::calendar::{OfficeHours, OfficeHoursConfig, parse_hours};
use sambung_core::phone::PhoneNumber;

fn any_timestamp() -> impl Strategy<Value = Timestamp> {
    (Timestamp::MIN.as_second()..=Timestamp::MAX.as_second())
        .prop_map(|s| Timestamp::from_second(s).unwrap())
}

fn near_timestamp() -> impl Strategy<Value = Timestamp> {
    // 2000–2100, where real calls happen, at second precision.
    (946_684_800i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn phone_parse_never_panics(input in ".{0,80}") {
        let _ = PhoneNumber::parse(&input);
    }

    #[test]
    fn phone_parse_never_panics_on_number_like_input(input in "[+0-9 ()./-]{0,40}") {
        if let Ok(number) = PhoneNumber::parse(&input) {
            // Whatever parses has a canonical form that parses to itself.
            let again = PhoneNumber::parse(number.as_str()).unwrap();
            prop_assert_eq!(&again, &number);
            prop_assert_eq!(again.class(), number.class());
        }
    }

    #[test]
    fn mobile_numbers_round_trip(rest in "[0-9]{8}", prefix in prop::sample::select(vec!["811","812","813","815","817","838","852","857","878","881","896"])) {
        let written = format!("0{prefix}-{}-{}", &rest[..4], &rest[4..]);
        let number = PhoneNumber::parse(&written).unwrap();
        prop_assert_eq!(number.as_str(), format!("+62{prefix}{rest}"));
        prop_assert_eq!(PhoneNumber::parse(&format!("+62 {prefix} {rest}")).unwrap(), number);
    }

    #[test]
    fn hours_parse_never_panics(input in ".{0,60}") {
        let _ = parse_hours(&input);
    }

    #[test]
    fn hours_parse_never_panics_on_time_like_input(input in "[0-9:, -]{0,40}") {
        if let Ok(ranges) = parse_hours(&input) {
            for pair in ranges.windows(2) {
                prop_assert!(pair[0].end() < pair[1].start(), "sorted and merged");
            }
        }
    }

    #[test]
    fn calendar_never_panics_anywhere_in_time(t in any_timestamp()) {
        let hours = OfficeHours::from_config(&OfficeHoursConfig::default()).unwrap();
        let _ = hours.status(t);
        if let Some(open) = hours.next_open(t) {
            prop_assert!(open >= t);
        }
    }

    #[test]
    fn next_open_is_open_and_nothing_earlier_is(t in near_timestamp()) {
        let mut hours = OfficeHours::from_config(&OfficeHoursConfig::default()).unwrap();
        hours.add_holiday(jiff::civil::date(2026, 12, 25), "Natal").unwrap();
        let open = hours.next_open(t).unwrap();
        prop_assert!(open >= t);
        prop_assert!(hours.is_open(open));
        // Just before it (if after t) the office was closed.
        if open > t {
            prop_assert!(!hours.is_open(open - jiff::SignedDuration::from_secs(1)));
        } else {
            let close = hours.next_close(t).unwrap();
            prop_assert!(close > t);
            prop_assert!(!hours.is_open(close));
            prop_assert!(hours.is_open(close - jiff::SignedDuration::from_secs(1)));
        }
    }
}
