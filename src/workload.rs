//! Arrival processes: when a workload sends its next message.
//!
//! Supported: constant spacing, Poisson, and non-homogeneous Poisson processes whose rate
//! ramps linearly, follows a step schedule, switches on and off in bursts, or swings over a
//! (sinusoidal) day; and replay of recorded send times. Piecewise-constant rates (steps,
//! bursts) are generated exactly by inverting the integrated rate; smoothly varying rates
//! (ramp, diurnal) by thinning (Lewis and Shedler, 1979) against their maximum rate.
//!
//! Times are computed in `f64` seconds from the process's own origin and rounded to the
//! engine's microseconds once, so constant spacing accumulates no drift.

use crate::engine::{SimRng, SimTime};

/// A validated arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// Evenly spaced, `rate_per_s` a second; the first arrives one interval after the start.
    Constant { rate_per_s: f64 },
    /// Exponential inter-arrival times with mean `1 / rate_per_s`.
    Poisson { rate_per_s: f64 },
    /// Poisson whose rate moves linearly from `from_per_s` to `to_per_s` over `duration_s`,
    /// then stays at `to_per_s`.
    Ramp { from_per_s: f64, to_per_s: f64, duration_s: f64 },
    /// Poisson whose rate is piecewise constant: each `(at_s, rate_per_s)` holds from `at_s`
    /// (seconds after the start) until the next step. The first step is at 0.
    Steps { steps: Vec<(f64, f64)> },
    /// Poisson at `on_rate_per_s` for `on_s`, then at `off_rate_per_s` for `off_s`, repeating;
    /// the run starts in an "on" phase.
    Bursts { on_rate_per_s: f64, off_rate_per_s: f64, on_s: f64, off_s: f64 },
    /// Poisson whose rate is `mean_rate_per_s × (1 + amplitude × cos(2π (t − peak_at_s) / period_s))`.
    Diurnal { mean_rate_per_s: f64, amplitude: f64, period_s: f64, peak_at_s: f64 },
    /// The given send times (seconds after the start), in order.
    Replay { send_times_s: Vec<f64> },
}

impl ArrivalProcess {
    /// Its highest rate, in messages a second (for estimates of a run's size).
    pub fn peak_rate_per_s(&self) -> f64 {
        match self {
            ArrivalProcess::Constant { rate_per_s } | ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Ramp { from_per_s, to_per_s, .. } => from_per_s.max(*to_per_s),
            ArrivalProcess::Steps { steps } => steps.iter().map(|s| s.1).fold(0.0, f64::max),
            ArrivalProcess::Bursts { on_rate_per_s, off_rate_per_s, .. } => on_rate_per_s.max(*off_rate_per_s),
            ArrivalProcess::Diurnal { mean_rate_per_s, amplitude, .. } => mean_rate_per_s * (1.0 + amplitude.abs()),
            ArrivalProcess::Replay { .. } => 0.0,
        }
    }
}

/// When a workload is active and how many messages it may send.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start_s: f64,
    pub stop_s: Option<f64>,
    pub count_max: Option<u64>,
}

/// The running state of one arrival process.
#[derive(Clone, Debug)]
pub struct Arrivals {
    process: ArrivalProcess,
    window: Window,
    /// Seconds since `window.start_s` of the latest arrival.
    last_s: f64,
    sent: u64,
}

impl Arrivals {
    pub fn new(process: ArrivalProcess, window: Window) -> Arrivals {
        Arrivals { process, window, last_s: 0.0, sent: 0 }
    }

    /// The time of the next arrival, or `None` when the workload is finished.
    pub fn next(&mut self, rng: &mut SimRng) -> Option<SimTime> {
        if self.window.count_max.is_some_and(|max| self.sent >= max) {
            return None;
        }
        let next_s = self.draw_next(rng)?;
        let at_s = self.window.start_s + next_s;
        if self.window.stop_s.is_some_and(|stop| at_s > stop) {
            return None;
        }
        self.last_s = next_s;
        self.sent += 1;
        Some(SimTime::from_secs_f64(at_s))
    }

    /// The next arrival in seconds after the start, from the current state.
    fn draw_next(&self, rng: &mut SimRng) -> Option<f64> {
        let t = self.last_s;
        let next = match &self.process {
            ArrivalProcess::Constant { rate_per_s } => (self.sent + 1) as f64 / rate_per_s,
            ArrivalProcess::Poisson { rate_per_s } => t + exp1(rng) / rate_per_s,
            ArrivalProcess::Steps { steps } => next_piecewise(t, exp1(rng), |s| step_segment(steps, s))?,
            ArrivalProcess::Bursts { on_rate_per_s, off_rate_per_s, on_s, off_s } => {
                next_piecewise(t, exp1(rng), |s| burst_segment(*on_rate_per_s, *off_rate_per_s, *on_s, *off_s, s))?
            }
            ArrivalProcess::Ramp { .. } | ArrivalProcess::Diurnal { .. } => self.next_by_thinning(t, rng)?,
            ArrivalProcess::Replay { send_times_s } => *send_times_s.get(self.sent as usize)?,
        };
        Some(next)
    }

    /// Lewis–Shedler thinning: candidates at the maximum rate, each kept with probability
    /// rate(t) / max.
    fn next_by_thinning(&self, mut t: f64, rng: &mut SimRng) -> Option<f64> {
        let max = self.process.rate_max_per_s();
        if max <= 0.0 {
            return None;
        }
        loop {
            t += exp1(rng) / max;
            if !t.is_finite() || self.process.is_silent_from(t) {
                return None;
            }
            if rng.unit() * max < self.process.rate_at(t) {
                return Some(t);
            }
        }
    }
}

impl ArrivalProcess {
    /// The instantaneous rate `t` seconds after the start.
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            ArrivalProcess::Constant { rate_per_s } | ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Ramp { from_per_s, to_per_s, duration_s } => {
                let f = if *duration_s > 0.0 { (t / duration_s).clamp(0.0, 1.0) } else { 1.0 };
                from_per_s + (to_per_s - from_per_s) * f
            }
            ArrivalProcess::Steps { steps } => step_segment(steps, t).0,
            ArrivalProcess::Bursts { on_rate_per_s, off_rate_per_s, on_s, off_s } => {
                burst_segment(*on_rate_per_s, *off_rate_per_s, *on_s, *off_s, t).0
            }
            ArrivalProcess::Diurnal { mean_rate_per_s, amplitude, period_s, peak_at_s } => {
                let phase = std::f64::consts::TAU * (t - peak_at_s) / period_s;
                mean_rate_per_s * (1.0 + amplitude * phase.cos())
            }
            ArrivalProcess::Replay { .. } => 0.0,
        }
    }

    /// True when the rate is zero from `t` on for ever (a ramp down to zero that has ended),
    /// so no arrival can follow.
    pub fn is_silent_from(&self, t: f64) -> bool {
        match self {
            ArrivalProcess::Ramp { to_per_s, duration_s, .. } => *to_per_s == 0.0 && t >= *duration_s,
            _ => false,
        }
    }

    /// The largest rate the process ever has.
    pub fn rate_max_per_s(&self) -> f64 {
        match self {
            ArrivalProcess::Constant { rate_per_s } | ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
            ArrivalProcess::Ramp { from_per_s, to_per_s, .. } => from_per_s.max(*to_per_s),
            ArrivalProcess::Steps { steps } => steps.iter().map(|s| s.1).fold(0.0, f64::max),
            ArrivalProcess::Bursts { on_rate_per_s, off_rate_per_s, .. } => on_rate_per_s.max(*off_rate_per_s),
            ArrivalProcess::Diurnal { mean_rate_per_s, amplitude, .. } => mean_rate_per_s * (1.0 + amplitude),
            ArrivalProcess::Replay { .. } => 0.0,
        }
    }
}

#[inline]
fn exp1(rng: &mut SimRng) -> f64 {
    rng.exp1()
}

/// Exact next arrival of a Poisson process with a piecewise-constant rate: spend the unit
/// exponential `budget` of integrated rate segment by segment. `segment(t)` gives the rate
/// at `t` and when that rate ends (`f64::INFINITY` for never).
fn next_piecewise(mut t: f64, mut budget: f64, segment: impl Fn(f64) -> (f64, f64)) -> Option<f64> {
    // Bounded so a schedule that is zero forever ends the workload instead of spinning.
    for _ in 0..1_000_000 {
        let (rate, end) = segment(t);
        let room = rate * (end - t);
        if budget < room {
            return Some(t + budget / rate);
        }
        if end.is_infinite() {
            return None;
        }
        budget -= room;
        t = end;
    }
    None
}

fn step_segment(steps: &[(f64, f64)], t: f64) -> (f64, f64) {
    let i = steps.partition_point(|&(at, _)| at <= t).max(1) - 1;
    let end = steps.get(i + 1).map_or(f64::INFINITY, |s| s.0);
    (steps[i].1, end)
}

fn burst_segment(on_rate: f64, off_rate: f64, on_s: f64, off_s: f64, t: f64) -> (f64, f64) {
    let cycle = on_s + off_s;
    let cycle_start = (t / cycle).floor() * cycle;
    let into = t - cycle_start;
    if into < on_s { (on_rate, cycle_start + on_s) } else { (off_rate, cycle_start + cycle) }
}

/// FIFO message group ids for a workload's messages: `count` groups, drawn uniformly or
/// Zipf-skewed (group k with weight 1 / (k+1)^skew), so a few hot groups can hold back
/// their messages while others flow (head-of-line blocking).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupKeys {
    count: u32,
    /// Cumulative weights, normalised to end at 1; empty when uniform.
    cumulative: Vec<f64>,
}

impl GroupKeys {
    pub fn new(count: u32, skew: f64) -> GroupKeys {
        let cumulative = if skew == 0.0 {
            Vec::new()
        } else {
            let mut total = 0.0;
            let mut c: Vec<f64> = (0..count)
                .map(|k| {
                    total += 1.0 / f64::from(k + 1).powf(skew);
                    total
                })
                .collect();
            c.iter_mut().for_each(|v| *v /= total);
            c
        };
        GroupKeys { count, cumulative }
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// A group id in `0..count`.
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        if self.cumulative.is_empty() {
            return rng.index(self.count as usize) as u32;
        }
        let u = rng.unit();
        let i = self.cumulative.partition_point(|&c| c <= u);
        i.min(self.count as usize - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn times(process: ArrivalProcess, window: Window, seed: u64) -> Vec<f64> {
        let mut rng = RngFactory::new(seed).stream("workload.test");
        let mut a = Arrivals::new(process, window);
        std::iter::from_fn(|| a.next(&mut rng).map(|t| t.as_secs_f64())).collect()
    }

    fn until(stop_s: f64) -> Window {
        Window { start_s: 0.0, stop_s: Some(stop_s), count_max: None }
    }

    fn count_between(ts: &[f64], from: f64, to: f64) -> usize {
        ts.iter().filter(|&&t| t >= from && t < to).count()
    }

    #[test]
    fn constant_arrivals_are_evenly_spaced_without_drift() {
        let ts = times(ArrivalProcess::Constant { rate_per_s: 3.0 }, until(100_000.0), 1);
        assert_eq!(ts.len(), 300_000);
        assert!((ts[299_999] - 100_000.0).abs() < 1e-6);
    }

    #[test]
    fn poisson_counts_match_the_rate() {
        let ts = times(ArrivalProcess::Poisson { rate_per_s: 50.0 }, until(2_000.0), 1);
        let n = ts.len() as f64;
        // Poisson: standard deviation sqrt(100,000) ≈ 316; allow 4 of them.
        assert!((n - 100_000.0).abs() < 1_300.0, "{n}");
    }

    #[test]
    fn ramp_rate_rises_linearly() {
        let p = ArrivalProcess::Ramp { from_per_s: 0.0, to_per_s: 100.0, duration_s: 1_000.0 };
        let ts = times(p, until(2_000.0), 2);
        // Expected: ∫0^1000 0.1 t dt = 50,000 during the ramp, then 100,000 at the top.
        let ramp = count_between(&ts, 0.0, 1_000.0) as f64;
        let top = count_between(&ts, 1_000.0, 2_000.0) as f64;
        assert!((ramp - 50_000.0).abs() < 1_000.0, "{ramp}");
        assert!((top - 100_000.0).abs() < 1_300.0, "{top}");
    }

    #[test]
    fn a_ramp_down_to_zero_ends_the_workload() {
        let p = ArrivalProcess::Ramp { from_per_s: 10.0, to_per_s: 0.0, duration_s: 100.0 };
        let ts = times(p, Window { start_s: 0.0, stop_s: None, count_max: None }, 6);
        // ∫0^100 10 (1 − t/100) dt = 500 arrivals, all before the ramp ends.
        assert!((ts.len() as f64 - 500.0).abs() < 100.0, "{}", ts.len());
        assert!(ts.iter().all(|&t| t < 100.0));
    }

    #[test]
    fn steps_and_bursts_follow_their_schedules() {
        let p = ArrivalProcess::Steps { steps: vec![(0.0, 10.0), (100.0, 0.0), (200.0, 100.0)] };
        let ts = times(p, until(300.0), 3);
        assert_eq!(count_between(&ts, 100.0, 200.0), 0);
        assert!(count_between(&ts, 200.0, 300.0) > 9 * count_between(&ts, 0.0, 100.0) / 2);

        let p = ArrivalProcess::Bursts { on_rate_per_s: 100.0, off_rate_per_s: 0.0, on_s: 10.0, off_s: 50.0 };
        let ts = times(p, until(6_000.0), 4);
        assert!(ts.iter().all(|t| t % 60.0 < 10.0), "no arrival in an off phase");
        let n = ts.len() as f64; // 100 cycles × 10 s × 100/s
        assert!((n - 100_000.0).abs() < 1_300.0, "{n}");
    }

    #[test]
    fn diurnal_peaks_at_its_peak_hour() {
        let p =
            ArrivalProcess::Diurnal { mean_rate_per_s: 10.0, amplitude: 0.8, period_s: 86_400.0, peak_at_s: 43_200.0 };
        let ts = times(p, until(86_400.0), 5);
        let n = ts.len() as f64;
        assert!((n - 864_000.0).abs() < 4_000.0, "{n}");
        let noon = count_between(&ts, 39_600.0, 46_800.0) as f64 / 7_200.0;
        let midnight = count_between(&ts, 0.0, 3_600.0) as f64 / 3_600.0;
        assert!((noon - 17.9).abs() < 0.4, "rate near the peak {noon}");
        assert!((midnight - 2.1).abs() < 0.3, "rate near the trough {midnight}");
    }

    #[test]
    fn zipf_group_keys_favour_the_first_groups() {
        let mut rng = RngFactory::new(9).stream("groups");
        let keys = GroupKeys::new(100, 1.0);
        let mut counts = [0u32; 100];
        for _ in 0..100_000 {
            counts[keys.sample(&mut rng) as usize] += 1;
        }
        // Harmonic number H(100) ≈ 5.187: group 0 gets 1/H ≈ 19.3 %, group 1 about 9.6 %.
        assert!((f64::from(counts[0]) / 100_000.0 - 0.193).abs() < 0.005, "{}", counts[0]);
        assert!((f64::from(counts[1]) / 100_000.0 - 0.0964).abs() < 0.005, "{}", counts[1]);
        let uniform = GroupKeys::new(4, 0.0);
        assert!((0..1000).all(|_| uniform.sample(&mut rng) < 4));
    }

    #[test]
    fn replay_and_window_limits() {
        let p = ArrivalProcess::Replay { send_times_s: vec![0.5, 1.0, 1.0, 7.0] };
        let w = Window { start_s: 10.0, stop_s: None, count_max: None };
        assert_eq!(times(p.clone(), w, 1), vec![10.5, 11.0, 11.0, 17.0]);
        let w = Window { start_s: 0.0, stop_s: None, count_max: Some(2) };
        assert_eq!(times(p, w, 1), vec![0.5, 1.0]);
    }
}
