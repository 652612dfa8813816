//! Office hours at their edges, on holidays and special days, and across zones.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use jiff::Timestamp;
use jiff::civil::{Weekday, date};
use sambung_core::calendar::{
    CalendarError, ClosedReason, HolidayConfig, OfficeHours, OfficeHoursConfig, SpecialDayConfig,
    Status, parse_hours,
};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The BNPT default: 08:00–17:00 WIB (UTC+7), Monday to Friday, Christmas off.
fn bnpt() -> OfficeHours {
    let mut hours = OfficeHours::from_config(&OfficeHoursConfig::default()).unwrap();
    hours
        .add_holiday(date(2026, 12, 25), "Hari Raya Natal")
        .unwrap();
    hours
}

#[test]
fn edges_of_the_working_day_in_wib() {
    let hours = bnpt();
    // Monday 30 November 2026, given in WIB with an offset.
    assert!(!hours.is_open(ts("2026-11-30T07:59:59+07:00")));
    assert!(hours.is_open(ts("2026-11-30T08:00:00+07:00")));
    assert!(hours.is_open(ts("2026-11-30T16:59:59+07:00")));
    assert!(!hours.is_open(ts("2026-11-30T17:00:00+07:00")));
}

#[test]
fn an_instant_given_in_utc() {
    let hours = bnpt();
    // 00:59:59Z is 07:59:59 WIB; 01:00Z is 08:00 WIB; 10:00Z is 17:00 WIB.
    assert!(!hours.is_open(ts("2026-11-30T00:59:59Z")));
    assert!(hours.is_open(ts("2026-11-30T01:00:00Z")));
    assert!(hours.is_open(ts("2026-11-30T09:59:59Z")));
    assert!(!hours.is_open(ts("2026-11-30T10:00:00Z")));
    // 23:30Z on Sunday is already 06:30 Monday in Jakarta: closed, opens 01:00Z.
    assert_eq!(
        hours.next_open(ts("2026-11-29T23:30:00Z")),
        Some(ts("2026-11-30T01:00:00Z"))
    );
}

#[test]
fn a_holiday_is_closed_all_day() {
    let hours = bnpt();
    let noon = ts("2026-12-25T12:00:00+07:00");
    assert!(!hours.is_open(noon));
    assert_eq!(
        hours.status(noon),
        Status::Closed {
            reason: ClosedReason::Holiday {
                name: "Hari Raya Natal".to_owned()
            },
            // Friday is the holiday; the weekend follows; Monday 28th at 08:00 WIB.
            opens_at: Some(ts("2026-12-28T08:00:00+07:00")),
        }
    );
    // The day before is an ordinary Thursday.
    assert!(hours.is_open(ts("2026-12-24T12:00:00+07:00")));
}

#[test]
fn status_names_the_reason_and_the_next_change() {
    let hours = bnpt();
    assert_eq!(
        hours.status(ts("2026-11-30T09:00:00+07:00")),
        Status::Open {
            closes_at: Some(ts("2026-11-30T17:00:00+07:00"))
        }
    );
    assert_eq!(
        hours.status(ts("2026-11-30T18:00:00+07:00")),
        Status::Closed {
            reason: ClosedReason::OutsideHours,
            opens_at: Some(ts("2026-12-01T08:00:00+07:00")),
        }
    );
    assert_eq!(
        hours.status(ts("2026-11-28T10:00:00+07:00")),
        Status::Closed {
            reason: ClosedReason::ClosedDay,
            opens_at: Some(ts("2026-11-30T08:00:00+07:00")),
        }
    );
    // Open at the instant asked about: next_open is that instant.
    let open = ts("2026-11-30T10:00:00+07:00");
    assert_eq!(hours.next_open(open), Some(open));
}

#[test]
fn special_days_replace_weekly_hours() {
    let config = OfficeHoursConfig {
        holidays: vec![HolidayConfig {
            date: "2026-12-31".into(),
            name: "Cuti bersama".into(),
        }],
        special_days: vec![
            SpecialDayConfig {
                date: "2026-12-24".into(),
                hours: "08:00-12:00".into(),
            },
            // A Saturday opened for a campaign; it also overrides the holiday list.
            SpecialDayConfig {
                date: "2026-12-05".into(),
                hours: "09:00-13:00".into(),
            },
        ],
        ..OfficeHoursConfig::default()
    };
    let hours = OfficeHours::from_config(&config).unwrap();
    assert!(hours.is_open(ts("2026-12-24T11:59:59+07:00")));
    assert!(!hours.is_open(ts("2026-12-24T12:00:00+07:00")));
    assert!(hours.is_open(ts("2026-12-05T09:00:00+07:00")));
    assert_eq!(
        hours.next_open(ts("2026-12-04T17:00:00+07:00")),
        Some(ts("2026-12-05T09:00:00+07:00"))
    );
    assert!(!hours.is_open(ts("2026-12-31T09:00:00+07:00")));
}

#[test]
fn split_and_overlapping_ranges() {
    let mut hours = OfficeHours::new("Asia/Jakarta").unwrap();
    hours
        .set_weekday(Weekday::Friday, "08:00-11:30, 13:00-17:00")
        .unwrap();
    hours
        .set_weekday(Weekday::Monday, "10:00-12:00,08:00-11:00")
        .unwrap();
    // Friday prayers: closed 11:30–13:00.
    assert!(!hours.is_open(ts("2026-12-04T12:00:00+07:00")));
    assert_eq!(
        hours.next_open(ts("2026-12-04T12:00:00+07:00")),
        Some(ts("2026-12-04T13:00:00+07:00"))
    );
    assert_eq!(
        hours.hours_on(date(2026, 11, 30)).0.len(),
        1,
        "overlaps merge"
    );
    assert_eq!(
        hours.next_close(ts("2026-11-30T08:30:00+07:00")),
        Some(ts("2026-11-30T12:00:00+07:00"))
    );
}

#[test]
fn always_open_and_never_open() {
    let mut always = OfficeHours::new("Asia/Jakarta").unwrap();
    for day in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ] {
        always.set_weekday(day, "00:00-24:00").unwrap();
    }
    let t = ts("2026-11-30T03:00:00Z");
    assert!(always.is_open(t));
    assert_eq!(always.status(t), Status::Open { closes_at: None });

    let never = OfficeHours::new("Asia/Jakarta").unwrap();
    assert_eq!(never.next_open(t), None);
}

#[test]
fn other_zones_and_dst() {
    // New York: 09:00–17:00 local on a DST change day (Sunday 8 March 2026 is not a weekday,
    // so take Monday 9 March, the first weekday on EDT, UTC-4).
    let hours = OfficeHours::weekdays("America/New_York", "09:00-17:00").unwrap();
    assert!(hours.is_open(ts("2026-03-09T13:00:00Z")));
    assert!(!hours.is_open(ts("2026-03-09T12:59:59Z")));
    assert_eq!(
        hours.next_open(ts("2026-03-07T12:00:00Z")),
        Some(ts("2026-03-09T13:00:00Z"))
    );
}

#[test]
fn bad_hours_and_zones_say_where() {
    assert_eq!(
        OfficeHours::new("Asia/Jakartaa").unwrap_err(),
        CalendarError::UnknownZone {
            zone: "Asia/Jakartaa".into()
        }
    );
    assert!(matches!(
        parse_hours("08:00-17:00, 18:00"),
        Err(CalendarError::BadHours { offset: 18, .. })
    ));
    assert!(matches!(
        parse_hours("8:00-17:00"),
        Err(CalendarError::BadHours { offset: 0, .. })
    ));
    assert!(matches!(
        parse_hours("08:00-25:00"),
        Err(CalendarError::BadHours { offset: 6, .. })
    ));
    assert!(matches!(
        parse_hours("17:00-08:00"),
        Err(CalendarError::EmptyRange { .. })
    ));
    assert!(matches!(
        parse_hours("24:00-24:00"),
        Err(CalendarError::EmptyRange { .. })
    ));
    assert_eq!(parse_hours("closed"), Ok(vec![]));
    assert_eq!(parse_hours(""), Ok(vec![]));
    let config = OfficeHoursConfig {
        holidays: vec![HolidayConfig {
            date: "25-12-2026".into(),
            name: String::new(),
        }],
        ..OfficeHoursConfig::default()
    };
    assert_eq!(
        OfficeHours::from_config(&config).unwrap_err(),
        CalendarError::BadDate {
            input: "25-12-2026".into()
        }
    );
}

#[test]
fn config_reads_from_toml_shape() {
    let config: OfficeHoursConfig = serde_json::from_value(serde_json::json!({
        "monday": "08:00-17:00",
        "holidays": [{ "date": "2026-12-25", "name": "Natal" }]
    }))
    .unwrap();
    assert_eq!(config.zone, "Asia/Jakarta");
    let hours = OfficeHours::from_config(&config).unwrap();
    assert!(hours.is_open(ts("2026-11-30T08:00:00+07:00")));
    assert!(
        !hours.is_open(ts("2026-12-01T08:00:00+07:00")),
        "Tuesday not configured"
    );
}

#[test]
fn sla_clocks_count_office_hours_only() {
    let hours = bnpt();
    let hour = std::time::Duration::from_secs(3600);
    // Friday 16:00 WIB plus 2 office hours: one on Friday, one on Monday from 08:00.
    let due = hours
        .after_open_time(ts("2026-11-27T16:00:00+07:00"), 2 * hour)
        .unwrap();
    assert_eq!(due, ts("2026-11-30T09:00:00+07:00"));
    assert_eq!(
        hours.open_time_between(ts("2026-11-27T16:00:00+07:00"), due),
        2 * hour
    );
    // A ticket opened on Saturday starts its clock on Monday morning.
    assert_eq!(
        hours.after_open_time(ts("2026-11-28T10:00:00+07:00"), hour),
        Some(ts("2026-11-30T09:00:00+07:00"))
    );
    // 24 office hours from Thursday 24 December 08:00 skip Christmas (Friday) and the weekend.
    assert_eq!(
        hours.after_open_time(ts("2026-12-24T08:00:00+07:00"), 24 * hour),
        Some(ts("2026-12-29T14:00:00+07:00"))
    );
    assert_eq!(
        hours.open_time_between(
            ts("2026-11-30T10:00:00+07:00"),
            ts("2026-11-30T09:00:00+07:00")
        ),
        std::time::Duration::ZERO
    );
}
