//! Virtual time as integer microseconds.
//!
//! Integer time keeps runs deterministic (no float rounding that depends on the order of
//! additions) and makes ties exact, so they can be broken by insertion order. A microsecond
//! is far below anything AWS documents (its finest figures are milliseconds), and a `u64`
//! of microseconds spans more than 500,000 years.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant on the virtual clock, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

const MICROS_PER_S: f64 = 1_000_000.0;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_micros(us: u64) -> SimTime {
        SimTime(us)
    }

    /// Rounds to the nearest microsecond; negative and NaN inputs become zero, and values
    /// past the end of the clock saturate.
    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime(secs_to_micros(s))
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_micros(us: u64) -> SimDuration {
        SimDuration(us)
    }

    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1_000_000)
    }

    /// Rounds to the nearest microsecond; negative and NaN inputs become zero, and values
    /// past the end of the clock saturate.
    pub fn from_secs_f64(s: f64) -> SimDuration {
        SimDuration(secs_to_micros(s))
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S
    }
}

#[inline]
fn secs_to_micros(s: f64) -> u64 {
    // Adding one half then truncating rounds non-negative values to the nearest (ties
    // upwards) without a call into libm, which matters on the hot path; `as` saturates and
    // maps NaN and negative values to 0, which is the behaviour documented above.
    (s * MICROS_PER_S + 0.5) as u64
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Panics in debug builds if `rhs` is later: that is a bug in the caller.
    fn sub(self, rhs: SimTime) -> SimDuration {
        debug_assert!(rhs <= self, "time went backwards: {rhs:?} > {self:?}");
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6} s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6} s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_the_nearest_microsecond() {
        assert_eq!(SimDuration::from_secs_f64(1.0000004).as_micros(), 1_000_000);
        assert_eq!(SimDuration::from_secs_f64(1.0000006).as_micros(), 1_000_001);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::INFINITY), SimDuration::MAX);
    }

    #[test]
    fn adding_past_the_end_of_the_clock_saturates() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
    }
}
