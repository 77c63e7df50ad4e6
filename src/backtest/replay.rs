//! The observed traffic as the run's: each workload whose target has an observed count of
//! arrivals (`NumberOfMessagesSent` of its queue, `NumberOfMessagesPublished` of its topic,
//! `ExecutionsStarted` of its state machine, `Invocations` of its function) replays those
//! counts, period by period, each period's messages at uniform times within it drawn from
//! the seed's stream `backtest.arrivals.WORKLOAD`. CloudWatch keeps counts, never send
//! times, so where in its minute a message was sent is not known; uniform times are the
//! documented assumption.
//!
//! A period without a point sends nothing: CloudWatch sends SQS and SNS metrics only for
//! resources active in the last six hours, and the point of a quiet minute may be missing.

use crate::engine::{RngFactory, SimDuration, SimTime};
use crate::scenario::{Scenario, Target, Traffic, TrafficBasis};
use crate::workload::{ArrivalProcess, Window};

use super::BacktestError;
use super::observed::{Kind, Observed, Role, Stat};

/// The interval the run samples its gauges at during a backtest: CloudWatch's periods are
/// whole minutes, and a period's `Maximum` is the largest of the sixty samples in it.
pub const SAMPLE_INTERVAL_S: i64 = 1;

/// The observed window, on CloudWatch's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObservedWindow {
    /// Seconds since 1970 of virtual time 0.
    pub start: i64,
    /// Seconds since 1970 of the end (exclusive).
    pub end: i64,
    /// The period of the arrivals' points, seconds.
    pub period_s: i64,
}

impl ObservedWindow {
    pub fn periods(&self) -> usize {
        ((self.end - self.start) / self.period_s) as usize
    }
}

/// One workload's replayed traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct Replayed {
    pub workload: String,
    /// The series it replays (its key), and the file it came from.
    pub from: String,
    pub file: String,
    pub messages: u64,
    /// Periods of the window the series has no point for (sent nothing).
    pub missing_periods: usize,
}

/// The element a workload sends to, if its traffic can be replayed from a CloudWatch count.
fn target_of(scenario: &Scenario, target: &Target) -> Option<(Kind, String)> {
    Some(match *target {
        Target::Queue(q) => (Kind::Queue, scenario.queues[q.0 as usize].name.clone()),
        Target::Topic(t) => (Kind::Topic, scenario.topics[t.0 as usize].name.clone()),
        Target::Machine(m) => (Kind::Machine, scenario.machines[m as usize].name.clone()),
        Target::Function(f) => (Kind::Function, scenario.functions[f as usize].function.name.clone()),
        _ => return None,
    })
}

/// The observed arrivals of each workload that has them: (workload index, series index).
pub fn arrival_series(scenario: &Scenario, observed: &[Observed]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (w, workload) in scenario.workloads.iter().enumerate() {
        let Some((kind, name)) = target_of(scenario, &workload.target) else { continue };
        if let Some(i) = observed.iter().position(|o| {
            matches!(o.metric.role, Role::Arrivals { .. })
                && o.metric.kind == kind
                && o.element == name
                && o.stat == Stat::Sum
        }) {
            found.push((w, i));
        }
    }
    found
}

/// The window the arrivals cover: from the first period of any of them to the end of the
/// last; the period is the smallest spacing of their points (60 s when none has two).
pub fn window(observed: &[Observed], arrivals: &[(usize, usize)]) -> Result<ObservedWindow, BacktestError> {
    let mut period_s = i64::MAX;
    let (mut start, mut last) = (i64::MAX, i64::MIN);
    for &(_, i) in arrivals {
        let o = &observed[i];
        for pair in o.points.windows(2) {
            let gap = pair[1].0 - pair[0].0;
            if gap > 0 {
                period_s = period_s.min(gap);
            }
        }
        start = start.min(o.points[0].0);
        last = last.max(o.points[o.points.len() - 1].0);
    }
    if period_s == i64::MAX {
        period_s = 60;
    }
    if period_s % 60 != 0 {
        let o = &observed[arrivals[0].1];
        return Err(BacktestError::input(
            &o.file,
            0,
            format!(
                "{}: points {period_s} s apart; CloudWatch periods of these metrics are whole minutes (60 s or a multiple of it)",
                o.place
            ),
        ));
    }
    Ok(ObservedWindow { start, end: last + period_s, period_s })
}

/// Replaces the traffic of each workload with observed arrivals by its replay, and sets the
/// run to cover the window: no warm-up, a horizon one sample past the window's end, and
/// samples every [`SAMPLE_INTERVAL_S`].
pub fn apply(
    scenario: &mut Scenario,
    observed: &[Observed],
    arrivals: &[(usize, usize)],
    window: ObservedWindow,
) -> Vec<Replayed> {
    let rngs = RngFactory::new(scenario.run.seed);
    let mut replayed = Vec::new();
    for &(w, i) in arrivals {
        let o = &observed[i];
        let workload = &mut scenario.workloads[w];
        let mut rng = rngs.stream(&format!("backtest.arrivals.{}", workload.name));
        let mut times = Vec::new();
        let mut seen = 0;
        for &(t, count) in &o.points {
            if t < window.start || t >= window.end {
                continue;
            }
            seen += 1;
            let from_s = (t - window.start) as f64;
            let first = times.len();
            // Counts are whole numbers; a fractional one (a statistic over a longer period
            // divided down) is rounded.
            for _ in 0..count.max(0.0).round() as u64 {
                times.push(from_s + rng.unit() * window.period_s as f64);
            }
            times[first..].sort_by(f64::total_cmp);
        }
        replayed.push(Replayed {
            workload: workload.name.clone(),
            from: o.key(),
            file: o.file.clone(),
            messages: times.len() as u64,
            missing_periods: window.periods().saturating_sub(seen),
        });
        workload.process = ArrivalProcess::Replay { send_times_s: times };
        workload.window = Window { start_s: 0.0, stop_s: None, count_max: None };
    }
    let run = &mut scenario.run;
    // The observed window is all the traffic there is: its cost is not projected to a month.
    run.traffic = TrafficBasis {
        traffic: Traffic::OneOff,
        declared: false,
        reason: "a backtest replays the traffic of the observed window".into(),
    };
    run.warmup = SimDuration::ZERO;
    run.sample_interval = SimDuration::from_secs_f64(SAMPLE_INTERVAL_S as f64);
    run.cloudwatch_series = true;
    run.horizon = SimTime::from_secs_f64((window.end - window.start + SAMPLE_INTERVAL_S) as f64);
    replayed
}
