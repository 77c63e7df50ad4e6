//! Arrivals from per-period counts (CloudWatch `NumberOfMessagesSent`, `Invocations`,
//! `NumberOfMessagesPublished`, `ExecutionsStarted` … as `Sum` per period): one of the
//! scenario's arrival processes, or a replay trace when none fits.
//!
//! CloudWatch has counts per period (≥ 60 s), never send times, so the candidates are the
//! Poisson processes the scenario format has whose rate the counts can show:
//!
//! - `steps`: a piecewise-constant rate, found by binary segmentation on the Poisson
//!   likelihood, a split kept when it raises the log-likelihood by more than ln n (the BIC
//!   price of its two parameters, a time and a rate). One step is `poisson`.
//! - `diurnal`: mean × (1 + amplitude × cos(2π (t − peak) / 86,400 s)) by least squares of
//!   the rates on the cosine and sine of the time of day; tried only when the counts span a
//!   whole day, since a shorter window cannot tell a daily cycle from a trend.
//!
//! Each is judged by the dispersion test of Poisson counts: Σ (c − μ)² / μ against χ² with
//! n − k degrees of freedom (its upper tail by Wilson and Hilferty's cube-root normal
//! approximation, which is close for the tens of degrees of freedom and more that
//! per-minute counts give). Counts more spread out than Poisson counts around the fitted
//! rate (p < 1 %) reject the form. Of the forms not rejected, the one with the lower BIC
//! (−2 ln L + k ln n) is chosen; when both are rejected, the counts become a replay trace.
//!
//! A period without a point is unknown, not zero (some metrics are sent only when they are
//! not): it is left out of every fit. A replay trace cannot know it either and sends nothing
//! in it, which the result says.

use super::fit::normal_cdf;
use super::formats::time::epoch_s;

/// A p-value of the dispersion test below this rejects a form.
const REJECT_P: f64 = 0.01;
/// The length of a day, the diurnal process's period.
pub const DAY_S: f64 = 86_400.0;
/// Most steps a schedule is given, and at most one per this many periods: beyond that the
/// counts are a trace written as a schedule, which says nothing a trace does not.
const MAX_STEPS: usize = 48;
const PERIODS_PER_STEP: usize = 10;

/// Counts per period, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Counts {
    /// The metric, as its export names it.
    pub label: String,
    /// Seconds since the epoch of the first period's start, and the timestamp as given.
    pub start_epoch_s: f64,
    pub start: String,
    /// The period: the smallest gap between two points.
    pub period_s: f64,
    /// (seconds from the first period's start, count) of each period with a point.
    pub points: Vec<(f64, f64)>,
    /// Periods between the first and the last point that have no point.
    pub missing: usize,
    /// Whether some count was not a whole number (a statistic other than Sum).
    pub fractional: bool,
}

/// An arrival process in the scenario's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    Poisson {
        rate_per_s: f64,
    },
    /// `[at_s, rate_per_s]` pairs, the first at 0 and the last a rate of 0 at the end of the
    /// observed window.
    Steps {
        steps: Vec<(f64, f64)>,
    },
    Diurnal {
        mean_rate_per_s: f64,
        amplitude: f64,
        period_s: f64,
        peak_at_s: f64,
    },
    /// A trace in the CSV format `arrival = "replay"` reads, and the file it was written to
    /// (the command writes it; None until then).
    Replay {
        csv: String,
        sends: usize,
        file: Option<String>,
    },
}

impl Arrival {
    pub fn kind(&self) -> &'static str {
        match self {
            Arrival::Poisson { .. } => "poisson",
            Arrival::Steps { .. } => "steps",
            Arrival::Diurnal { .. } => "diurnal",
            Arrival::Replay { .. } => "replay",
        }
    }
}

/// A form tried and how the dispersion test judged it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tested {
    pub arrival: Arrival,
    /// Its parameters: 2 × steps − 1 for a schedule, 3 for the diurnal cosine.
    pub parameters: usize,
    /// Σ (c − μ)² / μ, its degrees of freedom and its p-value.
    pub dispersion: f64,
    pub df: usize,
    pub p: f64,
    pub bic: f64,
    /// Why the form is out whatever the test says (a schedule that would need more steps
    /// than a schedule may have), or empty.
    pub out: String,
}

/// The arrival process fitted to counts, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalFit {
    pub arrival: Arrival,
    pub tested: Vec<Tested>,
    /// Periods with a point, and the count over them.
    pub periods: usize,
    pub total: f64,
    pub why: String,
}

/// The counts of a series of (timestamp, value) points, or why they cannot be counts.
pub fn counts(label: &str, points: &[(String, f64)]) -> Result<Counts, String> {
    let mut timed: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for (t, v) in points {
        let at = epoch_s(t).ok_or_else(|| format!("{label}: {t:?} is not an ISO 8601 timestamp"))?;
        if !v.is_finite() || *v < 0.0 {
            return Err(format!("{label}: {v} at {t} is not a count (a count is 0 or more)"));
        }
        timed.push((at, *v));
    }
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    timed.dedup_by(|b, a| a.0 == b.0);
    let Some(&(first, _)) = timed.first() else { return Err(format!("{label}: no point")) };
    let period_s = timed.windows(2).map(|w| w[1].0 - w[0].0).fold(f64::INFINITY, f64::min);
    if !period_s.is_finite() {
        return Err(format!("{label}: one point; counts need a series of periods"));
    }
    let span = timed.last().unwrap().0 - first;
    let missing = ((span / period_s).round() as usize + 1).saturating_sub(timed.len());
    let fractional = timed.iter().any(|p| (p.1 - p.1.round()).abs() > 1e-9);
    let start = points.iter().find(|(t, _)| epoch_s(t) == Some(first)).map(|p| p.0.clone()).unwrap_or_default();
    Ok(Counts {
        label: label.to_string(),
        start_epoch_s: first,
        start,
        period_s,
        points: timed.into_iter().map(|(t, c)| (t - first, c)).collect(),
        missing,
        fractional,
    })
}

/// Fits the candidates to `counts` and chooses one, or the replay trace.
pub fn fit_counts(counts: &Counts) -> ArrivalFit {
    let n = counts.points.len();
    let total: f64 = counts.points.iter().map(|p| p.1).sum();
    let mut tested = vec![steps(counts)];
    let span = counts.points.last().map_or(0.0, |p| p.0) + counts.period_s;
    let diurnal_said = if span >= DAY_S {
        match diurnal(counts) {
            Some(t) => {
                tested.push(t);
                String::new()
            }
            None => "; diurnal: no cosine with a positive mean fits the rates".to_string(),
        }
    } else {
        format!("; diurnal not tried: the counts span {}, less than the day the cycle needs", hours(span))
    };
    let mean = total / n as f64;
    let variance = counts.points.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0).max(1.0);
    let index = if mean > 0.0 { variance / mean } else { 0.0 };
    let judged: Vec<String> = tested
        .iter()
        .map(|t| {
            if !t.out.is_empty() {
                return format!("{}: {}", t.arrival.kind(), t.out);
            }
            format!(
                "{} ({} parameters): dispersion χ² = {:.1} on {} degrees of freedom, p = {:.3}, BIC {:.1}",
                t.arrival.kind(),
                t.parameters,
                t.dispersion,
                t.df,
                t.p,
                t.bic
            )
        })
        .collect();
    let missing = match counts.missing {
        0 => String::new(),
        m => format!("; {m} periods without a point left out (unknown, not zero)"),
    };
    let base = format!(
        "{n} periods of {} s from {} ({} counted, variance/mean of the counts {index:.2}, 1 for a steady Poisson process){missing}; {}{diurnal_said}",
        trim(counts.period_s),
        counts.start,
        trim(total),
        judged.join("; ")
    );
    let fits = |t: &&Tested| t.p >= REJECT_P && t.out.is_empty();
    let chosen = tested.iter().filter(fits).min_by(|a, b| a.bic.total_cmp(&b.bic));
    match chosen {
        Some(t) => {
            let why = format!(
                "{base}; {}: {}",
                t.arrival.kind(),
                if tested.iter().filter(fits).count() > 1 {
                    "the lower BIC of the forms the dispersion test does not reject"
                } else {
                    "the form the dispersion test does not reject at 1 %"
                }
            );
            ArrivalFit { arrival: t.arrival.clone(), tested, periods: n, total, why }
        }
        None => {
            let (csv, sends) = replay(counts);
            let gaps = if counts.missing > 0 { " (the periods without a point send nothing in it)" } else { "" };
            let why = format!(
                "{base}; replay: no form fits (the dispersion test rejects at 1 % what it does not rule out), so the counts become a trace, each period's sends evenly spaced within it{gaps}"
            );
            ArrivalFit { arrival: Arrival::Replay { csv, sends, file: None }, tested, periods: n, total, why }
        }
    }
}

/// Poisson log-likelihood of a count against its mean, less ln c! (the same for every form).
fn log_likelihood(c: f64, mu: f64) -> f64 {
    if mu <= 0.0 { if c > 0.0 { f64::NEG_INFINITY } else { 0.0 } } else { c * mu.ln() - mu }
}

/// The Poisson dispersion statistic, its degrees of freedom and its p-value.
fn dispersion(points: &[(f64, f64)], mean: impl Fn(usize) -> f64, parameters: usize) -> (f64, usize, f64) {
    let x: f64 = points
        .iter()
        .enumerate()
        .map(|(i, &(_, c))| {
            let mu = mean(i);
            if mu > 0.0 { (c - mu).powi(2) / mu } else { 0.0 }
        })
        .sum();
    let df = points.len().saturating_sub(parameters).max(1);
    (x, df, chi_square_upper(x, df))
}

/// P(χ²_k > x) by Wilson and Hilferty: (x/k)^(1/3) is close to normal with mean 1 − 2/(9k)
/// and variance 2/(9k).
pub fn chi_square_upper(x: f64, k: usize) -> f64 {
    let k = k as f64;
    let v = 2.0 / (9.0 * k);
    let z = ((x / k).cbrt() - (1.0 - v)) / v.sqrt();
    1.0 - normal_cdf(z)
}

fn bic(log_likelihood: f64, parameters: usize, n: usize) -> f64 {
    -2.0 * log_likelihood + parameters as f64 * (n as f64).ln()
}

/// The step schedule by binary segmentation of the points (in time order).
fn steps(counts: &Counts) -> Tested {
    let points = &counts.points;
    let n = points.len();
    let mut prefix = vec![0.0; n + 1];
    for (i, p) in points.iter().enumerate() {
        prefix[i + 1] = prefix[i] + p.1;
    }
    let segment = |a: usize, b: usize| {
        let sum = prefix[b] - prefix[a];
        let len = (b - a) as f64;
        if sum > 0.0 { sum * (sum / len).ln() - sum } else { 0.0 }
    };
    let penalty = (n as f64).ln();
    let most = MAX_STEPS.min(n / PERIODS_PER_STEP).max(1);
    let mut bounds = vec![0, n];
    let mut out = String::new();
    // Split the segment with the largest gain while a gain pays for its parameters.
    loop {
        let mut best: Option<(f64, usize)> = None;
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let whole = segment(a, b);
            for s in a + 1..b {
                let gain = segment(a, s) + segment(s, b) - whole;
                if best.is_none_or(|(g, _)| gain > g + 1e-9) {
                    best = Some((gain, s));
                }
            }
        }
        match best {
            Some((gain, _)) if gain > penalty && bounds.len() > most => {
                out = format!(
                    "more than {most} steps would be needed (at most one per {PERIODS_PER_STEP} periods, and {MAX_STEPS})"
                );
                break;
            }
            Some((gain, s)) if gain > penalty => {
                let at = bounds.partition_point(|&b| b < s);
                bounds.insert(at, s);
            }
            _ => break,
        }
    }
    let period = counts.period_s;
    let mut mean_of = vec![0.0; n];
    let mut schedule = Vec::new();
    let mut ll = 0.0;
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mean = (prefix[b] - prefix[a]) / (b - a) as f64;
        mean_of[a..b].fill(mean);
        ll += (a..b).map(|i| log_likelihood(points[i].1, mean)).sum::<f64>();
        schedule.push((points[a].0, mean / period));
    }
    let parameters = 2 * schedule.len() - 1;
    let (x, df, p) = dispersion(points, |i| mean_of[i], parameters);
    let arrival = if schedule.len() == 1 {
        Arrival::Poisson { rate_per_s: schedule[0].1 }
    } else {
        // The window ends after the last period: a last rate of 0 ends the workload there.
        schedule.push((points[n - 1].0 + period, 0.0));
        Arrival::Steps { steps: schedule }
    };
    Tested { arrival, parameters, dispersion: x, df, p, bic: bic(ll, parameters, n), out }
}

/// The daily cosine by least squares on (1, cos ωt, sin ωt), t the middle of each period.
fn diurnal(counts: &Counts) -> Option<Tested> {
    let period = counts.period_s;
    let omega = 2.0 * std::f64::consts::PI / DAY_S;
    let mut normal = [[0.0f64; 3]; 3];
    let mut rhs = [0.0f64; 3];
    for &(t, c) in &counts.points {
        let mid = t + period / 2.0;
        let row = [1.0, (omega * mid).cos(), (omega * mid).sin()];
        for i in 0..3 {
            for j in 0..3 {
                normal[i][j] += row[i] * row[j];
            }
            rhs[i] += row[i] * c / period;
        }
    }
    let [mean, b_cos, b_sin] = solve3(normal, rhs)?;
    if mean <= 0.0 {
        return None;
    }
    let amplitude = ((b_cos * b_cos + b_sin * b_sin).sqrt() / mean).min(1.0);
    let peak_at_s = (b_sin.atan2(b_cos) / omega).rem_euclid(DAY_S);
    let rate = |t: f64| mean * (1.0 + amplitude * (omega * (t + period / 2.0 - peak_at_s)).cos());
    let points = &counts.points;
    let ll: f64 = points.iter().map(|&(t, c)| log_likelihood(c, rate(t) * period)).sum();
    let (x, df, p) = dispersion(points, |i| rate(points[i].0) * period, 3);
    let arrival = Arrival::Diurnal { mean_rate_per_s: mean, amplitude, period_s: DAY_S, peak_at_s };
    Some(Tested { arrival, parameters: 3, dispersion: x, df, p, bic: bic(ll, 3, points.len()), out: String::new() })
}

/// Gaussian elimination with partial pivoting of a 3 × 3 system.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (cell, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *cell -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// The counts as a replay trace: each period's sends evenly spaced within it, times from the
/// first period's start.
fn replay(counts: &Counts) -> (String, usize) {
    let mut csv = format!(
        "# {} per {} s from {}, each period's sends evenly spaced within it\nsend_time_s\n",
        counts.label,
        trim(counts.period_s),
        counts.start
    );
    let mut sends = 0;
    for &(t, c) in &counts.points {
        let k = c.round() as usize;
        for j in 0..k {
            csv.push_str(&format!("{:.3}\n", t + (j as f64 + 0.5) * counts.period_s / k as f64));
        }
        sends += k;
    }
    (csv, sends)
}

fn hours(s: f64) -> String {
    format!("{} h", trim(s / 3_600.0))
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(counts: &[f64], period_s: u64) -> Counts {
        let points: Vec<(String, f64)> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let t = i as u64 * period_s;
                (format!("2026-03-02T{:02}:{:02}:{:02}Z", t / 3600, t / 60 % 60, t % 60), c)
            })
            .collect();
        super::counts("NumberOfMessagesSent", &points).unwrap()
    }

    #[test]
    fn wilson_hilferty_is_close_to_the_tabled_chi_square_tail() {
        // χ²(10) upper 5 % point 18.307, χ²(100) 124.342.
        assert!((chi_square_upper(18.307, 10) - 0.05).abs() < 0.002);
        assert!((chi_square_upper(124.342, 100) - 0.05).abs() < 0.001);
    }

    #[test]
    fn a_jump_in_the_counts_is_one_step_at_its_period() {
        let mut c = vec![10.0, 9.0, 11.0, 10.0, 12.0, 8.0, 10.0, 11.0, 9.0, 10.0];
        c.extend([40.0, 42.0, 38.0, 41.0, 39.0, 40.0, 40.0, 43.0, 37.0, 40.0]);
        let fit = fit_counts(&series(&c, 60));
        let Arrival::Steps { steps } = &fit.arrival else { panic!("{fit:?}") };
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1].0, 600.0);
        assert!((steps[0].1 - 10.0 / 60.0).abs() < 1e-9);
        assert!((steps[1].1 - 40.0 / 60.0).abs() < 1e-9);
        assert_eq!(steps[2], (1200.0, 0.0));
    }

    #[test]
    fn missing_periods_are_counted_and_left_out() {
        let points: Vec<(String, f64)> =
            [0, 1, 2, 5, 6].iter().map(|m| (format!("2026-03-02T10:{m:02}:00Z"), 5.0)).collect();
        let counts = super::counts("Invocations", &points).unwrap();
        assert_eq!(counts.missing, 2);
        assert_eq!(counts.period_s, 60.0);
        let Arrival::Poisson { rate_per_s } = fit_counts(&counts).arrival else { panic!() };
        assert!((rate_per_s - 5.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn counts_far_more_spread_than_poisson_ones_become_a_trace() {
        let c: Vec<f64> = (0..60).map(|i| if i % 2 == 0 { 0.0 } else { 200.0 }).collect();
        let fit = fit_counts(&series(&c, 60));
        let Arrival::Replay { csv, sends, .. } = &fit.arrival else { panic!("{fit:?}") };
        assert_eq!(*sends, 6000);
        assert!(csv.contains("\nsend_time_s\n60.150\n"), "{csv}");
    }
}
