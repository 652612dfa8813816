//! Clocks.
//!
//! Sans-IO cores never read a clock: their drivers do, through a [`Clock`], and pass the
//! instants in. Production uses [`SystemClock`]; tests use [`SimulatedClock`], which moves only
//! when told to, so a test of hours of call-center traffic runs in milliseconds.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

/// A source of monotonic instants and wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The monotonic now: for timers and durations.
    fn now(&self) -> Instant;
    /// The wall-clock now: for office hours, reports and records.
    fn wall(&self) -> Timestamp;
}

/// The operating system's clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The system's clocks with the wall clock moved: it reads `start` when made and runs on from
/// there at the real rate. For exercising time-of-day behaviour (office hours, holidays) in a
/// running service.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    origin: Instant,
    start: Timestamp,
}

impl OffsetClock {
    /// A clock whose wall time is `start` now.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            origin: Instant::now(),
            start,
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> Timestamp {
        let elapsed =
            SignedDuration::try_from(self.origin.elapsed()).unwrap_or(SignedDuration::MAX);
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

/// A clock that moves only when [`advance`](Self::advance) or [`set_wall`](Self::set_wall)
/// is called. Shareable across threads (`Arc<SimulatedClock>`).
#[derive(Debug)]
pub struct SimulatedClock {
    base: Instant,
    state: Mutex<SimState>,
}

#[derive(Debug, Clone, Copy)]
struct SimState {
    elapsed: Duration,
    wall: Timestamp,
}

impl SimulatedClock {
    /// A clock whose wall time starts at `wall`. Its monotonic instants start at an arbitrary
    /// real instant taken once here (std offers no other way to make an `Instant`).
    pub fn new(wall: Timestamp) -> Self {
        Self::with_base(Instant::now(), wall)
    }

    /// A clock whose first monotonic instant is `base` and wall time is `wall`.
    pub fn with_base(base: Instant, wall: Timestamp) -> Self {
        Self {
            base,
            state: Mutex::new(SimState {
                elapsed: Duration::ZERO,
                wall,
            }),
        }
    }

    /// Moves both clocks forward by `by`. The wall clock saturates at the end of its range;
    /// the monotonic clock cannot go past what `Instant` can hold and stops there.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        if self
            .base
            .checked_add(state.elapsed.saturating_add(by))
            .is_some()
        {
            state.elapsed = state.elapsed.saturating_add(by);
        }
        let signed = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        state.wall = state.wall.checked_add(signed).unwrap_or(Timestamp::MAX);
    }

    /// Sets the wall clock (for example to jump to a holiday) without moving the monotonic
    /// clock, as an NTP step would.
    pub fn set_wall(&self, wall: Timestamp) {
        self.lock().wall = wall;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        // The state is two plain values, valid after any panic, so a poisoned lock is safe.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Instant {
        let elapsed = self.lock().elapsed;
        // `advance` only stores an `elapsed` that fits.
        self.base.checked_add(elapsed).unwrap_or(self.base)
    }

    fn wall(&self) -> Timestamp {
        self.lock().wall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_clock_moves_only_when_told() {
        let start: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
        let clock = SimulatedClock::new(start);
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - t0, Duration::from_secs(90));
        assert_eq!(
            clock.wall(),
            "2026-11-30T01:01:30Z".parse::<Timestamp>().unwrap()
        );
        clock.set_wall(start);
        assert_eq!(clock.wall(), start);
        assert_eq!(clock.now() - t0, Duration::from_secs(90));
    }

    #[test]
    fn simulated_clock_saturates() {
        let clock = SimulatedClock::new(Timestamp::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.wall(), Timestamp::MAX);
    }

    #[test]
    fn system_clock_is_monotonic() {
        let clock = SystemClock;
        let a = clock.now();
        assert!(clock.now() >= a);
    }
}
