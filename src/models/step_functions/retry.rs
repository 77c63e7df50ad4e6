//! Step Functions retry delays: how long a `Retry` field's retrier waits before each retry.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §4.1 (\[ASL\]; [DOC-cur]
//! concepts-error-handling.html). For retry `n` (1-based, up to `MaxAttempts`) of one
//! retrier:
//!
//! ```text
//! base(n)   = IntervalSeconds × BackoffRate^(n−1)
//! capped(n) = min(base(n), MaxDelaySeconds)     only if MaxDelaySeconds is set
//! delay(n)  = capped(n)                         JitterStrategy NONE
//! delay(n)  = uniform in [0, capped(n)]         JitterStrategy FULL
//! ```
//!
//! in that order: interval, backoff, cap, then jitter. AWS's examples, which the tests
//! reproduce: interval 3 s and rate 2 wait 3, 6 and 12 s, and with `MaxDelaySeconds` 5
//! wait 3, 5 and 5 s; interval 2 s waits 2, 4 and 8 s, or with FULL jitter a random time
//! in 0–2, 0–4 and 0–8 s. The spec's example waits 3 and 6 s, and 3 and 4 s with
//! `MaxDelaySeconds` 4.
//!
//! Modelling choices where AWS publishes no rule:
//! - **Rounding.** A `BackoffRate` that is not a whole number gives fractional seconds
//!   (1.5 from 1 s: 1, 1.5, 2.25, 3.375, … s). AWS documents no rounding; delays here are
//!   rounded to the nearest microsecond, the simulator's clock tick (ties upwards). The
//!   power is taken by repeated squaring, so a delay is the same on every machine.
//! - **Jitter granularity.** FULL draws a whole number of microseconds, uniformly from 0 to
//!   the capped delay, both included: one draw of the retrier's random stream per retry.
//!   NONE draws nothing, so a retrier without jitter leaves its stream untouched.
//! - **Overflow.** A delay past the end of the clock saturates at [`SimDuration::MAX`]; in a
//!   real definition the execution's time limit (1 year, or 5 minutes for Express) ends
//!   the execution long before.
//!
//! Deliberately absent: which retrier matches an error, the per-retrier attempt counters
//! and `MaxAttempts`, and `Catch`, all of which belong to the executor; the defaults and
//! limits of the ASL fields, which belong to the definition's parser. [`Jitter`] is this
//! module's own enum, so that retry delays do not depend on how the parser spells
//! `JitterStrategy`.
//!
//! Units: the ASL fields keep their meaning with `_s` appended (seconds, as `f64` so that
//! callers need not convert); delays are [`SimDuration`]s (microseconds).

use crate::engine::{SimDuration, SimRng};

/// A retrier's `JitterStrategy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Jitter {
    /// `NONE`, AWS's default: wait exactly the capped delay.
    #[default]
    None,
    /// `FULL`: wait a uniformly random time from zero to the capped delay.
    Full,
}

/// The wait before retry number `retry` (1-based) of a retrier, before jitter:
/// `interval_s × backoff_rate^(retry − 1)`, capped at `max_delay_s` when it is set, to the
/// nearest microsecond.
pub fn retry_delay(interval_s: f64, backoff_rate: f64, max_delay_s: Option<f64>, retry: u32) -> SimDuration {
    assert!(interval_s.is_finite() && interval_s >= 0.0, "IntervalSeconds {interval_s}");
    assert!(backoff_rate.is_finite() && backoff_rate >= 1.0, "BackoffRate {backoff_rate}");
    assert!(max_delay_s.is_none_or(|m| m.is_finite() && m > 0.0), "MaxDelaySeconds {max_delay_s:?}");
    assert!(retry >= 1, "retries are numbered from 1");
    // A zero interval stays zero: 0 × an overflowed power would be NaN.
    let base_s = if interval_s == 0.0 { 0.0 } else { interval_s * power(backoff_rate, retry - 1) };
    let capped_s = max_delay_s.map_or(base_s, |max_s| base_s.min(max_s));
    SimDuration::from_secs_f64(capped_s)
}

/// `delay` after the retrier's `jitter`: unchanged for [`Jitter::None`], and for
/// [`Jitter::Full`] a whole number of microseconds drawn uniformly from 0 to `delay`, both
/// included.
pub fn jittered(delay: SimDuration, jitter: Jitter, rng: &mut SimRng) -> SimDuration {
    match jitter {
        Jitter::None => delay,
        Jitter::Full => {
            let delay_us = delay.as_micros();
            // `unit` is in [0, 1), so the product is below delay + 1 µs and its integer part
            // one of the delay_us + 1 values 0..=delay_us; `min` guards float rounding at
            // the top of very long delays.
            let drawn_us = (rng.unit() * (delay_us as f64 + 1.0)) as u64;
            SimDuration::from_micros(drawn_us.min(delay_us))
        }
    }
}

/// `base^exponent` by repeated squaring: plain IEEE multiplications, whose results do not
/// depend on the platform's `powi`/`powf`.
fn power(base: f64, exponent: u32) -> f64 {
    let (mut result, mut square, mut left) = (1.0, base, exponent);
    while left > 0 {
        if left & 1 == 1 {
            result *= square;
        }
        square *= square;
        left >>= 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    fn delays(interval_s: f64, backoff_rate: f64, max_delay_s: Option<f64>, retries: u32) -> Vec<SimDuration> {
        (1..=retries).map(|n| retry_delay(interval_s, backoff_rate, max_delay_s, n)).collect()
    }

    #[test]
    fn an_interval_of_3_s_doubling_waits_3_6_and_12_s() {
        assert_eq!(delays(3.0, 2.0, None, 3), [secs(3), secs(6), secs(12)]);
    }

    #[test]
    fn an_interval_of_2_s_doubling_waits_2_4_and_8_s() {
        assert_eq!(delays(2.0, 2.0, None, 3), [secs(2), secs(4), secs(8)]);
    }

    #[test]
    fn max_delay_of_5_s_turns_3_6_12_into_3_5_5() {
        assert_eq!(delays(3.0, 2.0, Some(5.0), 3), [secs(3), secs(5), secs(5)]);
    }

    #[test]
    fn spec_example_waits_3_and_6_s_or_3_and_4_s_with_max_delay_4() {
        assert_eq!(delays(3.0, 2.0, None, 2), [secs(3), secs(6)]);
        assert_eq!(delays(3.0, 2.0, Some(4.0), 2), [secs(3), secs(4)]);
    }

    #[test]
    fn a_backoff_rate_of_1_5_gives_fractional_delays_rounded_to_the_microsecond() {
        let us = SimDuration::from_micros;
        assert_eq!(delays(2.0, 1.5, None, 5), [secs(2), secs(3), us(4_500_000), us(6_750_000), us(10_125_000)]);
        // 1.5^7 s = 17.0859375 s: half a microsecond over 17,085,937 µs, rounded up.
        assert_eq!(retry_delay(1.0, 1.5, None, 8), us(17_085_938));
        // 1.5^9 s = 38.443359375 s: a fraction below half a microsecond, rounded down.
        assert_eq!(retry_delay(1.0, 1.5, None, 10), us(38_443_359));
    }

    #[test]
    fn a_backoff_rate_of_1_keeps_the_interval() {
        assert_eq!(delays(7.0, 1.0, None, 4), [secs(7); 4]);
        assert_eq!(retry_delay(7.0, 1.0, None, 99_999_999), secs(7));
    }

    #[test]
    fn the_cap_holds_however_many_retries_and_without_it_the_delay_saturates() {
        assert_eq!(retry_delay(1.0, 2.0, Some(60.0), 1_000), secs(60));
        assert_eq!(retry_delay(1.0, 2.0, Some(31_622_400.0), 99_999_999), secs(31_622_400));
        assert_eq!(retry_delay(1.0, 2.0, None, 2_000), SimDuration::MAX);
        assert_eq!(retry_delay(0.0, 2.0, Some(60.0), 2_000), SimDuration::ZERO);
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_capped_delay_and_repeats_with_the_seed() {
        let draws = |seed| {
            let mut rng = RngFactory::new(seed).stream("state_machine.orders.retry");
            (1..=3)
                .flat_map(|n| {
                    let capped = retry_delay(2.0, 2.0, None, n);
                    (0..1_000).map(move |_| capped).collect::<Vec<_>>()
                })
                .map(|capped| (capped, jittered(capped, Jitter::Full, &mut rng)))
                .collect::<Vec<_>>()
        };
        let a = draws(7);
        assert_eq!(a, draws(7));
        assert_ne!(a, draws(8));
        assert!(a.iter().all(|(capped, d)| *d <= *capped));
        // 0–2, 0–4 and 0–8 s: each third has a mean near half its capped delay.
        for (third, capped_s) in a.chunks(1_000).zip([2.0, 4.0, 8.0]) {
            let mean_s = third.iter().map(|(_, d)| d.as_secs_f64()).sum::<f64>() / 1_000.0;
            assert!((mean_s - capped_s / 2.0).abs() < 0.05 * capped_s, "mean {mean_s} for {capped_s} s");
        }
        // A capped delay still bounds the jitter: MaxDelaySeconds 5 on 3/6/12 s.
        let mut rng = RngFactory::new(1).stream("state_machine.orders.retry");
        for n in 1..=3 {
            for _ in 0..1_000 {
                assert!(jittered(retry_delay(3.0, 2.0, Some(5.0), n), Jitter::Full, &mut rng) <= secs(5));
            }
        }
    }

    #[test]
    fn full_jitter_reaches_both_ends_of_a_short_delay() {
        let mut rng = RngFactory::new(3).stream("state_machine.orders.retry");
        let drawn: Vec<u64> =
            (0..1_000).map(|_| jittered(SimDuration::from_micros(3), Jitter::Full, &mut rng).as_micros()).collect();
        for us in 0..=3 {
            assert!(drawn.contains(&us), "{us} µs never drawn");
        }
        assert_eq!(jittered(SimDuration::ZERO, Jitter::Full, &mut rng), SimDuration::ZERO);
    }

    #[test]
    fn no_jitter_keeps_the_delay_and_draws_nothing() {
        let mut rng = RngFactory::new(5).stream("state_machine.orders.retry");
        let mut untouched = rng.clone();
        assert_eq!(jittered(secs(12), Jitter::None, &mut rng), secs(12));
        assert_eq!(rng.unit(), untouched.unit());
        assert_eq!(Jitter::default(), Jitter::None);
    }
}
