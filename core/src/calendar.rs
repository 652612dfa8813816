//! Office hours: weekly opening hours, dated holidays and special days, in a named time zone.
//!
//! Opening hours are written as ranges of local time, `"08:00-17:00"`, several joined by
//! commas (`"08:00-12:00, 13:00-17:00"`); the end is exclusive, and `24:00` ends a range at
//! midnight. A range never crosses midnight: a night shift is two ranges on two days.
//! A holiday closes a whole day; a special day replaces that date's weekly hours (and wins over
//! a holiday on the same date). Ranges that overlap are merged.
//!
//! ```
//! use sambung_core::calendar::OfficeHours;
//! let mut hours = OfficeHours::weekdays("Asia/Jakarta", "08:00-17:00")?;
//! hours.add_holiday("2026-12-25".parse()?, "Hari Raya Natal")?;
//! let christmas_morning: jiff::Timestamp = "2026-12-25T02:00:00Z".parse()?;
//! assert!(!hours.is_open(christmas_morning));
//! // Opens again on Saturday? No: on Monday 28 December at 08:00 WIB.
//! assert_eq!(hours.next_open(christmas_morning), Some("2026-12-28T01:00:00Z".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Seconds in a day: the end of a range that closes at midnight (`24:00`).
const DAY: u32 = 86_400;
/// Most ranges in one day's hours.
pub const MAX_RANGES_PER_DAY: usize = 16;
/// Most holidays plus special days in one calendar.
pub const MAX_DATES: usize = 10_000;
/// Longest hours string accepted, in bytes.
const MAX_HOURS_INPUT: usize = 512;
/// How far [`OfficeHours::next_close`] looks for the end of a run of open days.
const MAX_OPEN_RUN_DAYS: usize = 400;

/// The default zone of the reference call center: WIB.
pub const DEFAULT_ZONE: &str = "Asia/Jakarta";

/// Why office hours could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The time-zone name is not in the bundled tz database.
    #[error("unknown time zone {zone:?}")]
    UnknownZone {
        /// The name given.
        zone: String,
    },
    /// An hours string does not follow `HH:MM-HH:MM[, …]`.
    #[error("bad opening hours {input:?} at byte {offset}: expected {expected}")]
    BadHours {
        /// The hours string (truncated to 64 bytes).
        input: String,
        /// Byte offset of the problem.
        offset: usize,
        /// What should have been there.
        expected: &'static str,
    },
    /// A range whose end is not after its start.
    #[error("opening range {start}-{end} ends before it starts (ranges cannot cross midnight)")]
    EmptyRange {
        /// The start as written.
        start: HourMinute,
        /// The end as written.
        end: HourMinute,
    },
    /// More than [`MAX_RANGES_PER_DAY`] ranges in a day.
    #[error("{count} opening ranges in one day; at most {max}")]
    TooManyRanges {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_DATES`] holidays and special days.
    #[error("more than {max} holidays and special days")]
    TooManyDates {
        /// The limit.
        max: usize,
    },
    /// A date that is not `YYYY-MM-DD`.
    #[error("bad date {input:?}: expected YYYY-MM-DD")]
    BadDate {
        /// The input (truncated to 64 bytes).
        input: String,
    },
}

/// A local time of day with minute (and optional second) precision, `00:00` to `24:00`,
/// as written in a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HourMinute {
    /// Seconds since local midnight, at most 86 400.
    secs: u32,
}

impl HourMinute {
    /// Seconds since local midnight.
    pub fn seconds(self) -> u32 {
        self.secs
    }
}

impl std::fmt::Display for HourMinute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (h, m, s) = (self.secs / 3600, self.secs / 60 % 60, self.secs % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// One opening range of local time, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: HourMinute,
    end: HourMinute,
}

impl TimeRange {
    /// The opening time.
    pub fn start(self) -> HourMinute {
        self.start
    }
    /// The closing time (exclusive).
    pub fn end(self) -> HourMinute {
        self.end
    }
    fn contains(self, secs: u32) -> bool {
        self.start.secs <= secs && secs < self.end.secs
    }
}

/// Parses `"08:00-17:00"`, `"08:00-12:00, 13:00-17:00"`, or `""`/`"closed"` for none.
/// The result is sorted with overlapping and touching ranges merged.
pub fn parse_hours(input: &str) -> Result<Vec<TimeRange>, CalendarError> {
    let bad = |offset: usize, expected: &'static str| CalendarError::BadHours {
        input: truncate(input),
        offset,
        expected,
    };
    if input.len() > MAX_HOURS_INPUT {
        return Err(bad(MAX_HOURS_INPUT, "at most 512 bytes"));
    }
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    let mut offset = 0;
    for part in input.split(',') {
        if ranges.len() == MAX_RANGES_PER_DAY {
            return Err(CalendarError::TooManyRanges {
                count: input.split(',').count(),
                max: MAX_RANGES_PER_DAY,
            });
        }
        let Some((start_text, end_text)) = part.split_once('-') else {
            return Err(bad(
                offset + part.len(),
                "'-' between opening and closing time",
            ));
        };
        let start = parse_time(start_text, offset).map_err(|(o, e)| bad(o, e))?;
        let end =
            parse_time(end_text, offset + start_text.len() + 1).map_err(|(o, e)| bad(o, e))?;
        if start.secs == DAY || end <= start {
            return Err(CalendarError::EmptyRange { start, end });
        }
        ranges.push(TimeRange { start, end });
        offset += part.len() + 1;
    }
    Ok(normalise(ranges))
}

fn normalise(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.sort();
    let mut merged: Vec<TimeRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// `HH:MM` or `HH:MM:SS` with surrounding spaces; `24:00` allowed. Errors carry the byte
/// offset in the whole input.
fn parse_time(text: &str, base: usize) -> Result<HourMinute, (usize, &'static str)> {
    let lead = text.len() - text.trim_start().len();
    let t = text.trim();
    let at = |i: usize| base + lead + i;
    let bytes = t.as_bytes();
    let two = |i: usize| -> Result<u32, (usize, &'static str)> {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(a @ b'0'..=b'9'), Some(b @ b'0'..=b'9')) => {
                Ok(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            }
            _ => Err((at(i), "two digits")),
        }
    };
    let h = two(0)?;
    if bytes.get(2) != Some(&b':') {
        return Err((at(2), "':' after the hour"));
    }
    let m = two(3)?;
    let s = match bytes.get(5) {
        None => 0,
        Some(b':') => two(6)?,
        Some(_) => return Err((at(5), "end of time or ':' before seconds")),
    };
    if t.len() > 8 || (t.len() > 5 && t.len() != 8) {
        return Err((at(t.len().min(8)), "end of time"));
    }
    if h > 24 || m > 59 || s > 59 || (h == 24 && (m, s) != (0, 0)) {
        return Err((at(0), "a time from 00:00 to 24:00"));
    }
    Ok(HourMinute {
        secs: h * 3600 + m * 60 + s,
    })
}

fn truncate(s: &str) -> String {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Whether the office is open, and until or from when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Open now.
    Open {
        /// When it closes, if within the next year.
        closes_at: Option<Timestamp>,
    },
    /// Closed now.
    Closed {
        /// Why.
        reason: ClosedReason,
        /// When it opens next, if ever.
        opens_at: Option<Timestamp>,
    },
}

/// Why the office is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClosedReason {
    /// A dated holiday, with its name.
    Holiday {
        /// The holiday's name.
        name: String,
    },
    /// No opening hours at all on this day (a weekend, or a special day that is closed).
    ClosedDay,
    /// Before opening or after closing on a working day.
    OutsideHours,
}

/// A calendar of opening hours in one time zone.
#[derive(Debug, Clone)]
pub struct OfficeHours {
    zone_name: String,
    zone: TimeZone,
    /// Monday first.
    weekly: [Vec<TimeRange>; 7],
    holidays: BTreeMap<Date, String>,
    special: BTreeMap<Date, Vec<TimeRange>>,
}

impl OfficeHours {
    /// An always-closed calendar in `zone` (an IANA name such as `Asia/Jakarta`).
    pub fn new(zone: &str) -> Result<Self, CalendarError> {
        let tz = TimeZone::get(zone).map_err(|_| CalendarError::UnknownZone {
            zone: truncate(zone),
        })?;
        Ok(Self {
            zone_name: zone.to_owned(),
            zone: tz,
            weekly: Default::default(),
            holidays: BTreeMap::new(),
            special: BTreeMap::new(),
        })
    }

    /// Open Monday to Friday with the same `hours` (`"08:00-17:00"`).
    pub fn weekdays(zone: &str, hours: &str) -> Result<Self, CalendarError> {
        let mut calendar = Self::new(zone)?;
        let ranges = parse_hours(hours)?;
        for day in &mut calendar.weekly[..5] {
            day.clone_from(&ranges);
        }
        Ok(calendar)
    }

    /// Sets the weekly hours of one weekday from an hours string.
    pub fn set_weekday(&mut self, weekday: Weekday, hours: &str) -> Result<(), CalendarError> {
        self.weekly[weekday_index(weekday)] = parse_hours(hours)?;
        Ok(())
    }

    /// Closes a whole date.
    pub fn add_holiday(&mut self, date: Date, name: &str) -> Result<(), CalendarError> {
        self.check_room(&date)?;
        self.holidays.insert(date, name.to_owned());
        Ok(())
    }

    /// Replaces one date's hours (`""` for closed).
    pub fn add_special_day(&mut self, date: Date, hours: &str) -> Result<(), CalendarError> {
        let ranges = parse_hours(hours)?;
        self.check_room(&date)?;
        self.special.insert(date, ranges);
        Ok(())
    }

    fn check_room(&self, date: &Date) -> Result<(), CalendarError> {
        let known = self.holidays.contains_key(date) || self.special.contains_key(date);
        if !known && self.holidays.len() + self.special.len() >= MAX_DATES {
            return Err(CalendarError::TooManyDates { max: MAX_DATES });
        }
        Ok(())
    }

    /// The zone's name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The opening ranges that apply on a local date, and the holiday's name if it is one.
    pub fn hours_on(&self, date: Date) -> (&[TimeRange], Option<&str>) {
        if let Some(ranges) = self.special.get(&date) {
            return (ranges, None);
        }
        if let Some(name) = self.holidays.get(&date) {
            return (&[], Some(name));
        }
        (&self.weekly[weekday_index(date.weekday())], None)
    }

    /// Is the office open at `t`?
    pub fn is_open(&self, t: Timestamp) -> bool {
        let local = t.to_zoned(self.zone.clone());
        let secs = seconds_of_day(&local);
        self.hours_on(local.date())
            .0
            .iter()
            .any(|r| r.contains(secs))
    }

    /// Open or closed at `t`, why, and until when.
    pub fn status(&self, t: Timestamp) -> Status {
        if self.is_open(t) {
            return Status::Open {
                closes_at: self.next_close(t),
            };
        }
        let local = t.to_zoned(self.zone.clone());
        let reason = match self.hours_on(local.date()) {
            (_, Some(name)) => ClosedReason::Holiday {
                name: name.to_owned(),
            },
            ([], None) => ClosedReason::ClosedDay,
            _ => ClosedReason::OutsideHours,
        };
        Status::Closed {
            reason,
            opens_at: self.next_open(t),
        }
    }

    /// The first instant at or after `t` when the office is open; `t` itself if open now;
    /// `None` if it never opens again.
    pub fn next_open(&self, t: Timestamp) -> Option<Timestamp> {
        if self.is_open(t) {
            return Some(t);
        }
        let today = t.to_zoned(self.zone.clone()).date();
        let from_weekly = if self.weekly.iter().any(|d| !d.is_empty()) {
            // Within a week plus one day per holiday or special day, a weekly day must come.
            let horizon = 8 + self.holidays.len() + self.special.len();
            successive_days(today, horizon).find_map(|d| self.first_start_after(d, t))
        } else {
            None
        };
        let from_special = self
            .special
            .range(today..)
            .find_map(|(d, _)| self.first_start_after(*d, t));
        match (from_weekly, from_special) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the open period containing `t` ends; `None` if closed at `t`, or if it stays open
    /// for more than a year.
    pub fn next_close(&self, t: Timestamp) -> Option<Timestamp> {
        let local = t.to_zoned(self.zone.clone());
        let secs = seconds_of_day(&local);
        let range = self
            .hours_on(local.date())
            .0
            .iter()
            .find(|r| r.contains(secs))?;
        if range.end.secs < DAY {
            return self.local_instant(local.date(), range.end.secs);
        }
        // Open until midnight: follow days that open at 00:00.
        for day in successive_days(local.date(), MAX_OPEN_RUN_DAYS).skip(1) {
            match self.hours_on(day).0.first() {
                Some(r) if r.start.secs == 0 && r.end.secs == DAY => continue,
                Some(r) if r.start.secs == 0 => return self.local_instant(day, r.end.secs),
                _ => return self.local_instant(day, 0),
            }
        }
        None
    }

    /// The instant at which `open` of office time has passed since `from`, counting only the
    /// hours the office is open (an SLA clock); `None` if the office never opens long enough.
    pub fn after_open_time(&self, from: Timestamp, open: std::time::Duration) -> Option<Timestamp> {
        let mut t = from;
        let mut left = open;
        // Each step crosses one open period; a year of periods is the most we follow.
        for _ in 0..(366 * 4) {
            let start = self.next_open(t)?;
            let end = self.next_close(start)?;
            let span = std::time::Duration::try_from(end.duration_since(start)).ok()?;
            if span >= left {
                return start.checked_add(left).ok();
            }
            left -= span;
            t = end;
        }
        None
    }

    /// Office time between `from` and `to` (zero if `to` is not after `from`).
    pub fn open_time_between(&self, from: Timestamp, to: Timestamp) -> std::time::Duration {
        let mut total = std::time::Duration::ZERO;
        let mut t = from;
        for _ in 0..(366 * 4) {
            let Some(start) = self.next_open(t).filter(|s| *s < to) else {
                break;
            };
            let end = self.next_close(start).map_or(to, |e| e.min(to));
            total += std::time::Duration::try_from(end.duration_since(start)).unwrap_or_default();
            t = end;
            if end >= to {
                break;
            }
        }
        total
    }

    fn first_start_after(&self, date: Date, t: Timestamp) -> Option<Timestamp> {
        self.hours_on(date)
            .0
            .iter()
            .filter_map(|r| self.local_instant(date, r.start.secs))
            .find(|start| *start > t)
    }

    /// The instant of a local date and time of day in this zone (the earlier one in a
    /// repeated hour, the later one in a skipped hour). `None` outside jiff's range.
    fn local_instant(&self, date: Date, secs: u32) -> Option<Timestamp> {
        let (date, secs) = if secs >= DAY {
            (date.tomorrow().ok()?, secs - DAY)
        } else {
            (date, secs)
        };
        let secs = i8::try_from(secs % 60)
            .ok()
            .zip(i8::try_from(secs / 60 % 60).ok())
            .zip(i8::try_from(secs / 3600).ok());
        let ((s, m), h) = secs?;
        let time = jiff::civil::time(h, m, s, 0);
        let zoned = date.to_datetime(time).to_zoned(self.zone.clone()).ok()?;
        Some(zoned.timestamp())
    }

    /// Builds a calendar from its configuration form.
    pub fn from_config(config: &OfficeHoursConfig) -> Result<Self, CalendarError> {
        let mut calendar = Self::new(&config.zone)?;
        let days = [
            (Weekday::Monday, &config.monday),
            (Weekday::Tuesday, &config.tuesday),
            (Weekday::Wednesday, &config.wednesday),
            (Weekday::Thursday, &config.thursday),
            (Weekday::Friday, &config.friday),
            (Weekday::Saturday, &config.saturday),
            (Weekday::Sunday, &config.sunday),
        ];
        for (weekday, hours) in days {
            calendar.set_weekday(weekday, hours)?;
        }
        if config.holidays.len() + config.special_days.len() > MAX_DATES {
            return Err(CalendarError::TooManyDates { max: MAX_DATES });
        }
        for holiday in &config.holidays {
            calendar.add_holiday(parse_date(&holiday.date)?, &holiday.name)?;
        }
        for special in &config.special_days {
            calendar.add_special_day(parse_date(&special.date)?, &special.hours)?;
        }
        Ok(calendar)
    }
}

fn parse_date(input: &str) -> Result<Date, CalendarError> {
    input
        .trim()
        .parse::<Date>()
        .map_err(|_| CalendarError::BadDate {
            input: truncate(input),
        })
}

fn weekday_index(weekday: Weekday) -> usize {
    usize::from(weekday.to_monday_zero_offset().unsigned_abs())
}

fn seconds_of_day(z: &jiff::Zoned) -> u32 {
    let t = z.time();
    [t.hour(), t.minute(), t.second()]
        .map(|v| u32::from(v.unsigned_abs()))
        .into_iter()
        .fold(0, |acc, v| acc * 60 + v)
}

/// Up to `count` dates starting at `from`; stops early at the end of jiff's range.
fn successive_days(from: Date, count: usize) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(from), |d| d.checked_add(1.day()).ok()).take(count)
}

/// Office hours as written in TOML.
///
/// ```toml
/// zone = "Asia/Jakarta"
/// monday = "08:00-17:00"
/// friday = "08:00-11:30, 13:00-17:00"
/// holidays = [{ date = "2026-12-25", name = "Hari Raya Natal" }]
/// special_days = [{ date = "2026-12-24", hours = "08:00-12:00" }]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHoursConfig {
    /// IANA time-zone name; `Asia/Jakarta` (WIB) by default.
    #[serde(default = "default_zone")]
    pub zone: String,
    /// Monday's hours; empty or `closed` for none.
    #[serde(default)]
    pub monday: String,
    /// Tuesday's hours.
    #[serde(default)]
    pub tuesday: String,
    /// Wednesday's hours.
    #[serde(default)]
    pub wednesday: String,
    /// Thursday's hours.
    #[serde(default)]
    pub thursday: String,
    /// Friday's hours.
    #[serde(default)]
    pub friday: String,
    /// Saturday's hours.
    #[serde(default)]
    pub saturday: String,
    /// Sunday's hours.
    #[serde(default)]
    pub sunday: String,
    /// Dates closed all day.
    #[serde(default)]
    pub holidays: Vec<HolidayConfig>,
    /// Dates with hours of their own.
    #[serde(default)]
    pub special_days: Vec<SpecialDayConfig>,
}

fn default_zone() -> String {
    DEFAULT_ZONE.to_owned()
}

impl Default for OfficeHoursConfig {
    /// The BNPT default: 08:00–17:00 WIB, Monday to Friday.
    fn default() -> Self {
        let weekday = || "08:00-17:00".to_owned();
        Self {
            zone: default_zone(),
            monday: weekday(),
            tuesday: weekday(),
            wednesday: weekday(),
            thursday: weekday(),
            friday: weekday(),
            saturday: String::new(),
            sunday: String::new(),
            holidays: Vec::new(),
            special_days: Vec::new(),
        }
    }
}

/// A holiday as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayConfig {
    /// `YYYY-MM-DD`, local date.
    pub date: String,
    /// What the holiday is called (announced to callers).
    #[serde(default)]
    pub name: String,
}

/// A special day as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialDayConfig {
    /// `YYYY-MM-DD`, local date.
    pub date: String,
    /// That day's hours; empty for closed.
    pub hours: String,
}
