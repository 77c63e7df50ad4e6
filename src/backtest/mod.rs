//! `orchsim backtest`: a scenario run on the traffic CloudWatch observed, and each observed
//! series compared with what the run gives for it, sampled as CloudWatch samples it.
//!
//! - `observed.rs` reads the exports (through `calibrate::formats`) and names each series:
//!   metric, element, statistic;
//! - `replay.rs` turns the entry points' observed counts into the run's arrivals and sets
//!   the run to the observed window;
//! - this file runs the scenario, takes each metric per period from the run's sampled
//!   series (`Measurements::series` and `cloudwatch`) and measures the distance;
//! - `cur.rs` compares the run's bill with a Cost and Usage Report;
//! - `output.rs` writes `backtest.json`, the charts and `report.html`.
//!
//! Measures: for a series over time, the mean absolute percentage error (MAPE) over the
//! observed points, each error divided by the larger of the observed value and one unit of
//! the metric (one message, one second, one millisecond), so that a period observed at zero
//! counts the simulated value itself as its error instead of dividing by zero; for a
//! percentile, its relative error; for the distribution of a series' values over the
//! periods, the Kolmogorov–Smirnov distance (reported beside the MAPE, which decides).

pub mod cur;
pub mod observed;
pub mod output;
pub mod replay;

use std::path::Path;

use crate::run::{self, RunResult};
use crate::scenario::Scenario;

use observed::{Observed, Role, Stat};
use replay::{ObservedWindow, Replayed};

/// Bad input: the file, the line (0 when no line applies) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacktestError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl BacktestError {
    pub fn input(file: &str, line: usize, reason: impl Into<String>) -> BacktestError {
        BacktestError { file: file.to_string(), line, reason: reason.into() }
    }
}

impl std::fmt::Display for BacktestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.reason),
            line => write!(f, "{}:{line}: {}", self.file, self.reason),
        }
    }
}

/// How a metric is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Mean absolute percentage error over time, in percent.
    Mape,
    /// Relative error of a percentile, in percent.
    PercentileError,
    /// Relative error of a total (a bill's usage or cost), in percent.
    RelativeError,
    /// Kolmogorov–Smirnov distance of two distributions, in percent (D = 0.05 is 5 %).
    KsDistance,
}

impl Measure {
    pub fn name(self) -> &'static str {
        match self {
            Measure::Mape => "mape_pct",
            Measure::PercentileError => "percentile_error_pct",
            Measure::RelativeError => "relative_error_pct",
            Measure::KsDistance => "ks_distance_pct",
        }
    }
}

/// A distribution function: (value, share at or below it), ascending.
pub type Cdf = Vec<(f64, f64)>;

/// One metric compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    /// `sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum`.
    pub name: String,
    pub observed: Observed,
    /// (seconds since 1970 of the period's start, value), for each period the run gives a
    /// value for.
    pub simulated: Vec<(i64, f64)>,
    pub measure: Measure,
    /// In percent.
    pub value: f64,
    /// Points compared (observed points inside the window with a simulated value).
    pub points: usize,
    /// Kolmogorov–Smirnov distance between the observed and simulated values' distributions
    /// over the periods (series only).
    pub ks_distance: Option<f64>,
    /// In percent.
    pub tolerance_pct: f64,
    pub pass: bool,
    /// For a distribution: the observed and simulated distribution functions, (ms, share at
    /// or below).
    pub cdf: Option<(Cdf, Cdf)>,
}

/// A `--tolerance NAME=X%`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerance {
    pub name: String,
    pub pct: f64,
}

impl Tolerance {
    /// `NAME=X%` (the `%` optional).
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let (name, value) = text.split_once('=').ok_or_else(|| format!("--tolerance {text}: expected NAME=X%"))?;
        let pct: f64 = value
            .trim()
            .trim_end_matches('%')
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("--tolerance {text}: {value:?} is not a percentage such as 25%"))?;
        if name.is_empty() {
            return Err(format!("--tolerance {text}: the metric's name is missing"));
        }
        Ok(Tolerance { name: name.to_string(), pct })
    }

    /// How well it names `key` (`sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum`), if
    /// at all: the whole key beats the key without its statistic, which beats the bare
    /// metric name (every element's), which beats `*`.
    fn rank(&self, key: &str, metric: &str) -> Option<u8> {
        let without_stat = key.rsplit_once('.').map_or(key, |k| k.0);
        match self.name.as_str() {
            n if n == key => Some(4),
            n if n == without_stat => Some(3),
            n if n == metric => Some(2),
            "*" => Some(1),
            _ => None,
        }
    }
}

/// The default tolerance of a metric, in percent: looser for the counts that come in small
/// numbers per minute (throttles, failures) and for SQS's approximate figures, tighter for
/// counts of the traffic itself.
/// The fewest periods whose values' distribution is compared by a KS distance.
const KS_PERIODS_MIN: usize = 10;

pub fn default_tolerance_pct(metric: &str) -> f64 {
    match metric {
        "ApproximateNumberOfMessagesVisible" | "ApproximateAgeOfOldestMessage" | "ConcurrentExecutions" => 25.0,
        "Throttles" | "NumberOfNotificationsFailed" => 50.0,
        "Duration" | "ExecutionTime" => 20.0,
        // Counts of the traffic and of its fan-out, and a bill's usage.
        _ => 10.0,
    }
}

/// The tolerance for `key`: the best-ranked `--tolerance`, else the default.
pub fn tolerance_for(key: &str, metric: &str, given: &[Tolerance]) -> f64 {
    // A distribution's KS distance: 10 % (D = 0.1) unless said otherwise.
    let default = if key.ends_with(".distribution") { 10.0 } else { default_tolerance_pct(metric) };
    given
        .iter()
        .filter_map(|t| Some((t.rank(key, metric)?, t.pct)))
        .max_by_key(|(rank, _)| *rank)
        .map_or(default, |(_, pct)| pct)
}

/// A whole backtest.
pub struct Backtest {
    pub window: ObservedWindow,
    pub replayed: Vec<Replayed>,
    pub metrics: Vec<Compared>,
    pub bill: Vec<cur::BillLine>,
    /// What the reader should know: series read but not compared, and why.
    pub notes: Vec<String>,
    pub seed: u64,
}

impl Backtest {
    pub fn pass(&self) -> bool {
        self.metrics.iter().all(|m| m.pass) && self.bill.iter().all(|b| b.pass)
    }
}

/// Reads `observed_dir`, runs `scenario` on its arrivals over its window, and compares.
/// The scenario is changed to the run's (its traffic replayed, its horizon the window).
pub fn backtest(
    scenario: &mut Scenario,
    observed_dir: &Path,
    cur_file: Option<&Path>,
    tolerances: &[Tolerance],
) -> Result<(Backtest, RunResult), Failure> {
    let observed = observed::read_dir(observed_dir, scenario)?;
    let arrivals = replay::arrival_series(scenario, &observed);
    if arrivals.is_empty() {
        return Err(Failure::Input(BacktestError::input(
            &observed_dir.display().to_string(),
            0,
            "no observed arrivals for any workload's target: the folder needs the Sum per period of NumberOfMessagesSent (a queue a workload sends to), NumberOfMessagesPublished (a topic), ExecutionsStarted (a state machine) or Invocations (a function)",
        )));
    }
    let window = replay::window(&observed, &arrivals)?;
    let replayed = replay::apply(scenario, &observed, &arrivals, window);
    let bill_rows = cur_file.map(cur::read).transpose()?;
    let result = run::run(scenario).map_err(|e| Failure::Run(e.to_string()))?;
    if let Some(b) = result.measurements.audit.iter().find(|b| !b.is_balanced()) {
        return Err(Failure::Run(format!("the run's books do not balance for {}: a bug", b.entity)));
    }
    let entry: Vec<usize> = arrivals.iter().map(|a| a.1).collect();
    let mut notes = Vec::new();
    let mut metrics = Vec::new();
    for (i, o) in observed.iter().enumerate() {
        if entry.contains(&i) {
            continue;
        }
        match compare(o, &result, window, tolerances)? {
            Some(c) => metrics.push(c),
            None => notes.push(format!("{} ({}, {}): the run's traffic, not compared", o.key(), o.file, o.place)),
        }
    }
    let bill = match bill_rows {
        Some(rows) => cur::compare(&result, &rows, tolerances, &mut notes),
        None => Vec::new(),
    };
    check_tolerance_names(tolerances, &metrics, &bill)?;
    Ok((Backtest { window, replayed, metrics, bill, notes, seed: scenario.run.seed }, result))
}

/// Why a backtest gave no comparison.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: exit 2.
    Input(BacktestError),
    /// The run itself failed.
    Run(String),
}

impl From<BacktestError> for Failure {
    fn from(e: BacktestError) -> Self {
        Failure::Input(e)
    }
}

/// A `--tolerance` that names nothing compared is a typo that would pass silently.
fn check_tolerance_names(given: &[Tolerance], metrics: &[Compared], bill: &[cur::BillLine]) -> Result<(), Failure> {
    for t in given {
        let used = metrics.iter().any(|m| t.rank(&m.name, m.observed.metric.name).is_some())
            || bill.iter().any(|b| t.rank(&b.name, "bill").is_some());
        if !used {
            let mut names: Vec<String> = metrics.iter().map(|m| m.name.clone()).collect();
            names.extend(bill.iter().map(|b| b.name.clone()));
            return Err(Failure::Input(BacktestError::input(
                "--tolerance",
                0,
                format!(
                    "{:?} names no metric compared; expected a metric's name (e.g. ApproximateNumberOfMessagesVisible), a full name, `bill` or `*`; compared: {}",
                    t.name,
                    names.join(", ")
                ),
            )));
        }
    }
    Ok(())
}

/// The run's value of `o`'s metric per period, compared with the observed points; `None`
/// for the traffic of an element no comparison is kept for.
fn compare(
    o: &Observed,
    result: &RunResult,
    window: ObservedWindow,
    tolerances: &[Tolerance],
) -> Result<Option<Compared>, BacktestError> {
    let key = o.key();
    let tolerance_pct = tolerance_for(&key, o.metric.name, tolerances);
    let prefix = format!("{}.{}", o.metric.kind.prefix(), o.element);
    let refuse = |why: &str| {
        BacktestError::input(&o.file, 0, format!("{}: {} of {}: {why}", o.place, o.stat.name(), o.metric.name))
    };
    if let (Role::Time { histogram, .. }, Stat::Percentile(p)) = (o.metric.role, o.stat) {
        if o.points.len() != 1 {
            return Err(refuse(
                "percentiles of several periods cannot be combined into the window's, and the run keeps one histogram for the whole window; export this percentile over the whole window as one period (--period equal to the window's seconds)",
            ));
        }
        let h = result
            .measurements
            .latencies
            .iter()
            .find(|(n, _)| *n == format!("{prefix}.{histogram}"))
            .map(|(_, h)| h)
            .expect("every element's histogram is measured");
        let observed_ms = o.points[0].1;
        let Some(simulated_ms) = quantile_ms(h, p) else {
            return Err(refuse("the run recorded none of these, so no percentile can be compared"));
        };
        let value = (simulated_ms - observed_ms).abs() / observed_ms.abs().max(1.0) * 100.0;
        return Ok(Some(Compared {
            name: key,
            observed: o.clone(),
            simulated: vec![(o.points[0].0, simulated_ms)],
            measure: Measure::PercentileError,
            value,
            points: 1,
            ks_distance: None,
            tolerance_pct,
            pass: value <= tolerance_pct,
            cdf: None,
        }));
    }
    if o.stat == Stat::Distribution {
        return Ok(Some(distribution(o, key, result, &prefix, tolerance_pct).map_err(|why| refuse(&why))?));
    }
    let Some(simulated) = per_period(o, result, window, &prefix).map_err(|why| refuse(&why))? else {
        return Ok(None);
    };
    let pairs: Vec<(f64, f64)> =
        o.points.iter().filter_map(|(t, obs)| Some((*obs, simulated.iter().find(|s| s.0 == *t)?.1))).collect();
    if pairs.is_empty() {
        return Err(BacktestError::input(
            &o.file,
            0,
            format!(
                "{}: no point falls in the observed window {} – {} (the arrivals' window) on a period boundary of {} s",
                o.place,
                observed::format_timestamp(window.start),
                observed::format_timestamp(window.end),
                window.period_s
            ),
        ));
    }
    let value = mape_pct(&pairs);
    // The distance between the per-period values' distributions says something only with
    // enough periods: with one or two, any difference at all is a distance of 1.
    let ks = (pairs.len() >= KS_PERIODS_MIN).then(|| {
        ks_distance(&pairs.iter().map(|p| p.0).collect::<Vec<_>>(), &pairs.iter().map(|p| p.1).collect::<Vec<_>>())
    });
    Ok(Some(Compared {
        name: key,
        observed: o.clone(),
        simulated,
        measure: Measure::Mape,
        value,
        points: pairs.len(),
        ks_distance: ks,
        tolerance_pct,
        pass: value <= tolerance_pct,
        cdf: None,
    }))
}

/// Observed values (REPORT lines' durations) against the run's histogram of the same
/// figure: the Kolmogorov–Smirnov distance between their distribution functions, each
/// evaluated at every value either has (the histogram's values are its buckets' highest,
/// three significant digits).
fn distribution(
    o: &Observed,
    key: String,
    result: &RunResult,
    prefix: &str,
    tolerance_pct: f64,
) -> Result<Compared, String> {
    let Role::Time { histogram, .. } = o.metric.role else { unreachable!("REPORT lines give durations") };
    let h =
        &result.measurements.latencies.iter().find(|(n, _)| *n == format!("{prefix}.{histogram}")).expect("measured").1;
    let (buckets, _) = h.to_parts();
    let total: u64 = buckets.iter().map(|b| b.1).sum();
    if total == 0 {
        return Err("the run recorded none of these, so no distribution can be compared".into());
    }
    let mut simulated = Vec::with_capacity(buckets.len());
    let mut seen = 0;
    for (value_us, n) in &buckets {
        seen += n;
        simulated.push((*value_us as f64 / 1000.0, seen as f64 / total as f64));
    }
    let n = o.samples.len() as f64;
    let observed_at = |x: f64| o.samples.partition_point(|v| *v <= x) as f64 / n;
    let simulated_at = |x: f64| {
        let i = simulated.partition_point(|p| p.0 <= x);
        if i == 0 { 0.0 } else { simulated[i - 1].1 }
    };
    let d = o
        .samples
        .iter()
        .chain(simulated.iter().map(|p| &p.0))
        .map(|&x| (observed_at(x) - simulated_at(x)).abs())
        .fold(0.0, f64::max);
    let observed: Vec<(f64, f64)> = o.samples.iter().enumerate().map(|(i, v)| (*v, (i + 1) as f64 / n)).collect();
    let value = d * 100.0;
    Ok(Compared {
        name: key,
        observed: o.clone(),
        simulated: Vec::new(),
        measure: Measure::KsDistance,
        value,
        points: o.samples.len(),
        ks_distance: Some(d),
        tolerance_pct,
        pass: value <= tolerance_pct,
        cdf: Some((observed, simulated)),
    })
}

/// The run's value of the metric for each period of the window, CloudWatch's way.
fn per_period(
    o: &Observed,
    result: &RunResult,
    window: ObservedWindow,
    prefix: &str,
) -> Result<Option<Vec<(i64, f64)>>, String> {
    let m = &result.measurements;
    let period_s = series_period_s(o, window);
    let column = |series: &crate::metrics::TimeSeries, name: &str| -> Vec<(i64, f64)> {
        let c = series.columns.iter().position(|c| c == name).expect("every element's column is sampled");
        series.rows().map(|(t, row)| ((t.as_micros() / 1_000_000) as i64, row[c])).collect()
    };
    let gauge = |samples: &[(i64, f64)], stat: Stat| -> Result<Vec<(i64, f64)>, String> {
        let reduce: fn(&[f64]) -> f64 = match stat {
            Stat::Maximum => |v| v.iter().copied().fold(f64::MIN, f64::max),
            Stat::Minimum => |v| v.iter().copied().fold(f64::MAX, f64::min),
            Stat::Average => |v| v.iter().sum::<f64>() / v.len() as f64,
            _ => {
                return Err(
                    "a level sampled over time has a Maximum, Minimum or Average per period; export one of those"
                        .into(),
                );
            }
        };
        // Samples are in time order: each period's are one slice. A run that drained before
        // the window's end sampled nothing after: its level stays the last one sampled.
        let last = samples.last().map_or(0, |s| s.0);
        Ok(periods(window, period_s)
            .filter_map(|(a, b)| {
                let (from, to) = (samples.partition_point(|s| s.0 < a), samples.partition_point(|s| s.0 < b));
                let inside: Vec<f64> = samples[from..to].iter().map(|s| s.1).collect();
                match inside.is_empty() {
                    false => Some((a + window.start, reduce(&inside))),
                    true if a > last && !samples.is_empty() => Some((a + window.start, value_at(samples, a))),
                    true => None,
                }
            })
            .collect())
    };
    let count = |samples: &[(i64, f64)]| -> Vec<(i64, f64)> {
        periods(window, period_s)
            .map(|(a, b)| (a + window.start, value_at(samples, b) - value_at(samples, a)))
            .collect()
    };
    Ok(Some(match o.metric.role {
        Role::Gauge { column: suffix, cloudwatch } => {
            let series = if cloudwatch { &m.cloudwatch } else { &m.series };
            gauge(&column(series, &format!("{prefix}.{suffix}")), o.stat)?
        }
        Role::Count { counter } | Role::Arrivals { counter } => {
            if counter.is_empty() {
                return Ok(None);
            }
            if o.stat != Stat::Sum {
                return Err("a count is compared by its Sum per period; export Sum".into());
            }
            count(&column(&m.cloudwatch, &format!("{prefix}.{counter}")))
        }
        Role::Time { count: n, sum_ms, .. } => {
            let counts = count(&column(&m.cloudwatch, &format!("{prefix}.{n}")));
            let sums = count(&column(&m.cloudwatch, &format!("{prefix}.{sum_ms}")));
            match o.stat {
                Stat::SampleCount => counts,
                Stat::Sum => sums,
                Stat::Average => {
                    counts.iter().zip(&sums).filter(|(c, _)| c.1 > 0.0).map(|(c, s)| (c.0, s.1 / c.1)).collect()
                }
                _ => {
                    return Err(
                        "a per-period Maximum or Minimum of a time needs every event's time, which the run does not keep per period; export Average, or a percentile over the whole window"
                            .into(),
                    );
                }
            }
        }
    }))
}

/// The period of an observed series: the smallest spacing of its points; a single point
/// (a statistic asked for over the whole window as one period) covers the window from its
/// time to the end.
fn series_period_s(o: &Observed, window: ObservedWindow) -> i64 {
    let gaps = o.points.windows(2).map(|p| p[1].0 - p[0].0).filter(|g| *g > 0).min();
    match (gaps, o.points.as_slice()) {
        (Some(gap), _) => gap,
        (None, [(t, _)]) if window.end - t > window.period_s => window.end - t,
        _ => window.period_s,
    }
}

/// Each period of `period_s` in the window as (start, end) in seconds of virtual time.
fn periods(window: ObservedWindow, period_s: i64) -> impl Iterator<Item = (i64, i64)> {
    let n = (window.end - window.start) / period_s;
    (0..n).map(move |k| (k * period_s, (k + 1) * period_s))
}

/// A running count at virtual second `t`: the last sample at or before it (a run that
/// drained early keeps its final counts).
fn value_at(samples: &[(i64, f64)], t: i64) -> f64 {
    let i = samples.partition_point(|s| s.0 <= t);
    if i == 0 { 0.0 } else { samples[i - 1].1 }
}

/// Mean absolute percentage error of (observed, simulated) pairs, each error divided by the
/// larger of |observed| and 1 (one unit of the metric).
pub fn mape_pct(pairs: &[(f64, f64)]) -> f64 {
    let total: f64 = pairs.iter().map(|(o, s)| (s - o).abs() / o.abs().max(1.0)).sum();
    total / pairs.len() as f64 * 100.0
}

/// The largest gap between the empirical distribution functions of `a` and `b`.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// The `p` quantile of a run's histogram, in ms: the smallest recorded value with at least
/// `p` of the values at or below it.
fn quantile_ms(h: &crate::metrics::LatencyHistogram, p: f64) -> Option<f64> {
    let (counts, _) = h.to_parts();
    let total: u64 = counts.iter().map(|c| c.1).sum();
    if total == 0 {
        return None;
    }
    let rank = ((p * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (value_us, n) in counts {
        seen += n;
        if seen >= rank {
            return Some(value_us as f64 / 1000.0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mape_counts_a_period_observed_at_zero_by_the_simulated_value() {
        assert_eq!(mape_pct(&[(10.0, 15.0), (0.0, 0.0)]), 25.0);
        assert_eq!(mape_pct(&[(0.0, 2.0)]), 200.0);
    }

    #[test]
    fn ks_distance_is_the_largest_gap_of_the_distribution_functions() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        assert!((ks_distance(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_most_specific_tolerance_wins() {
        let given = [Tolerance::parse("*=5%").unwrap(), Tolerance::parse("Throttles=40").unwrap()];
        assert_eq!(tolerance_for("lambda.f.Throttles.Sum", "Throttles", &given), 40.0);
        assert_eq!(tolerance_for("lambda.f.Duration.Average", "Duration", &given), 5.0);
        assert_eq!(tolerance_for("lambda.f.Duration.Average", "Duration", &[]), 20.0);
        assert!(Tolerance::parse("Throttles=lots").is_err());
        assert!(Tolerance::parse("Throttles").is_err());
    }
}
