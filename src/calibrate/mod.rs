//! Calibration from real telemetry: `orchsim fit`.
//!
//! `formats/` reads each export into plain observations (REPORT lines, CloudWatch
//! statistics and series), `fit.rs` estimates distributions and shares from numbers, this
//! file turns observations into the figures of one scenario element, and `output.rs` writes
//! them as a TOML fragment, JSON, or into a scenario file in place (`toml_edit`).
//!
//! Nothing here runs a simulation or builds a `Scenario`: the command checks that an updated
//! scenario still loads through the scenario reader, like any hand-written file.

pub mod fit;
pub mod formats;
pub mod output;

use fit::{Choice, Fitted, MIN_SAMPLES, Share};
use formats::{Format, Invocation, MetricSeries, Statistics, Status, Telemetry};

/// One input file as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: String,
    pub format: Format,
    pub telemetry: Telemetry,
}

/// What a figure is.
#[derive(Clone, Debug, PartialEq)]
pub enum Estimate {
    /// A distribution in seconds; `choice` holds the candidates when it was fitted from
    /// samples.
    Distribution {
        dist: Fitted,
        choice: Option<Choice>,
    },
    Share(Share),
}

/// One fitted figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Its name: the scenario key when `writes` is true.
    pub name: &'static str,
    /// Whether the scenario has a key for it (the cold-start share, for one, is an outcome
    /// of the traffic and `keep_alive_s`, not a setting).
    pub writes: bool,
    pub estimate: Estimate,
    /// How many observations it comes from.
    pub samples: usize,
    /// Where from and why this form, in words.
    pub why: String,
}

/// A figure that too few observations were given for.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub name: &'static str,
    pub what: &'static str,
    pub have: usize,
    pub need: usize,
}

/// Everything `fit` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The element the inputs name (`lambda.NAME` from a `/aws/lambda/NAME` log group).
    pub element: Option<String>,
    pub figures: Vec<Figure>,
    pub refused: Vec<Refused>,
    /// What the reader noticed: quirks of the inputs, figures not used, limits.
    pub notes: Vec<String>,
}

/// Fits the figures of one element from every input together.
pub fn fit_inputs(inputs: &[Input], duration_key: &'static str) -> Outcome {
    let mut outcome = Outcome { element: None, figures: Vec::new(), refused: Vec::new(), notes: Vec::new() };
    let mut invocations: Vec<&Invocation> = Vec::new();
    let mut statistics: Vec<&Statistics> = Vec::new();
    let mut series: Vec<&MetricSeries> = Vec::new();
    for input in inputs {
        match &input.telemetry {
            Telemetry::Lambda(log) => {
                invocations.extend(&log.invocations);
                outcome.notes.extend(log.notes.iter().map(|n| format!("{}: {n}", input.name)));
                if outcome.element.is_none() {
                    outcome.element = log.function.as_ref().map(|f| format!("lambda.{f}"));
                }
            }
            Telemetry::Statistics(s) => statistics.push(s),
            Telemetry::Series(s) => series.extend(s),
        }
    }
    if !invocations.is_empty() {
        fit_reports(&invocations, duration_key, &mut outcome);
        if !statistics.is_empty() {
            outcome.notes.push(format!(
                "{duration_key} is fitted from the REPORT lines' own durations; the get-metric-statistics input is not used for it"
            ));
        }
    } else if let Some(first) = statistics.first() {
        // Several exports of one metric are one set of periods, if they share a unit.
        let mut merged = (*first).clone();
        for other in &statistics[1..] {
            if other.unit == merged.unit {
                merged.points.extend(other.points.iter().cloned());
            } else {
                outcome.notes.push(format!(
                    "a get-metric-statistics input in {:?}, not {:?} like the first, is not used",
                    other.unit, merged.unit
                ));
            }
        }
        merged.points.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        fit_statistics(&merged, duration_key, &mut outcome);
    }
    if !series.is_empty() {
        fit_series(&series, &mut outcome);
    }
    outcome
}

/// Durations, INIT, cold-start, error and timeout shares from REPORT lines.
fn fit_reports(invocations: &[&Invocation], duration_key: &'static str, outcome: &mut Outcome) {
    let n = invocations.len();
    // A timed-out run's Duration is the timeout, not its run time (it is right-censored):
    // it would pile a spike at the timeout onto the fit.
    let durations: Vec<f64> =
        invocations.iter().filter(|i| i.status != Status::Timeout).map(|i| i.duration_ms / 1000.0).collect();
    let timeouts = n - durations.len();
    let censored = match timeouts {
        0 => String::new(),
        1 => "; 1 timed-out run left out, its Duration being the timeout".into(),
        _ => format!("; {timeouts} timed-out runs left out, their Duration being the timeout"),
    };
    distribution(duration_key, "REPORT lines with a Duration", &durations, &censored, outcome);
    let inits: Vec<f64> = invocations.iter().filter_map(|i| i.init_ms).map(|ms| ms / 1000.0).collect();
    if !inits.is_empty() {
        distribution("init_duration_s", "REPORT lines with an Init Duration (cold starts)", &inits, "", outcome);
    }
    share(outcome, "cold_start_share", false, inits.len(), n, "invocations were cold starts (an Init Duration)");
    if invocations.iter().any(|i| i.status_said) {
        let errors = invocations.iter().filter(|i| i.status == Status::Error).count();
        share(outcome, "error_rate", true, errors, n, "invocations ended in a function error (status error)");
        share(outcome, "timeout_share", false, timeouts, n, "invocations timed out (status timeout)");
    } else {
        outcome.notes.push(
            "no REPORT line says how its invocation ended (a Status field): no error or timeout share is fitted".into(),
        );
    }
    billed_init_note(invocations, outcome);
}

/// Says whether the cold starts' billed duration took in their INIT, as AWS bills since
/// 1 August 2025 (on-demand ZIP functions on managed runtimes were free of it before).
fn billed_init_note(invocations: &[&Invocation], outcome: &mut Outcome) {
    let cold: Vec<&&Invocation> = invocations.iter().filter(|i| i.init_ms.is_some() && i.billed_ms.is_some()).collect();
    if cold.is_empty() {
        return;
    }
    // Billed durations are whole milliseconds rounded up, so INIT is in them when they
    // reach Duration + Init Duration, less a millisecond of rounding.
    let with_init = cold.iter().filter(|i| i.billed_ms.unwrap() + 1.0 >= i.duration_ms + i.init_ms.unwrap()).count();
    outcome.notes.push(if with_init == cold.len() {
        format!(
            "INIT is in the billed duration of all {} cold starts, as AWS bills since 1 August 2025: durations are fitted from Duration, INIT from Init Duration, and bills_init = true (the default) prices it",
            cold.len()
        )
    } else if with_init == 0 {
        format!(
            "INIT is not in the billed duration of any of the {} cold starts (logs from before 1 August 2025, or a configuration billed so before): set bills_init = false to price them as AWS did",
            cold.len()
        )
    } else {
        format!(
            "INIT is in the billed duration of {with_init} of {} cold starts: the logs span the change of 1 August 2025, or several configurations",
            cold.len()
        )
    });
}

fn distribution(name: &'static str, what: &'static str, samples: &[f64], extra: &str, outcome: &mut Outcome) {
    match fit::fit_samples(samples) {
        Ok(choice) => {
            let best = choice.best();
            let why = format!("{} {what}{extra}; {}; KS D = {:.4}", choice.samples, choice.reason, best.fit.ks_d);
            outcome.figures.push(Figure {
                name,
                writes: true,
                estimate: Estimate::Distribution { dist: best.dist.clone(), choice: Some(choice.clone()) },
                samples: choice.samples,
                why,
            });
        }
        Err(too_few) => outcome.refused.push(Refused { name, what, have: too_few.have, need: too_few.need }),
    }
}

fn share(outcome: &mut Outcome, name: &'static str, writes: bool, count: usize, of: usize, what: &str) {
    if of < MIN_SAMPLES {
        outcome.refused.push(Refused { name, what: "invocations", have: of, need: MIN_SAMPLES });
        return;
    }
    let s = Share::new(count, of);
    let why = format!("{count} of {of} {what}; 95 % interval {:.2} % to {:.2} %", 100.0 * s.low, 100.0 * s.high);
    outcome.figures.push(Figure { name, writes, estimate: Estimate::Share(s), samples: of, why });
}

/// Seconds per unit of a CloudWatch time unit.
fn seconds_per(unit: Option<&str>) -> Option<f64> {
    match unit {
        Some("Seconds") => Some(1.0),
        Some("Milliseconds") => Some(1e-3),
        Some("Microseconds") => Some(1e-6),
        _ => None,
    }
}

/// A duration from `get-metric-statistics`: a lognormal through the percentiles, or an
/// exponential from the average when there are none.
fn fit_statistics(stats: &Statistics, key: &'static str, outcome: &mut Outcome) {
    let label = stats.label.as_deref().unwrap_or("the metric");
    let Some(scale) = seconds_per(stats.unit.as_deref()) else {
        outcome.notes.push(format!(
            "{label}: unit {} is not a time (Seconds, Milliseconds, Microseconds): no duration fitted from it",
            stats.unit.as_deref().unwrap_or("not given")
        ));
        return;
    };
    if stats.points.iter().any(|p| p.sample_count.is_none()) {
        outcome.notes.push(format!(
            "{label}: a point without SampleCount, so the sample size is unknown; ask for it with the statistics"
        ));
        return;
    }
    let samples = stats.points.iter().map(|p| p.sample_count.unwrap()).sum::<f64>().round() as usize;
    if samples < MIN_SAMPLES {
        outcome.refused.push(Refused { name: key, what: "samples (SampleCount)", have: samples, need: MIN_SAMPLES });
        return;
    }
    if !stats.unused.is_empty() {
        outcome.notes.push(format!("{label}: extended statistics not read yet: {}", stats.unused.join(", ")));
    }
    let periods = stats.points.len();
    let pooled = if periods > 1 {
        format!(
            "; {periods} periods pooled, weighted by SampleCount (percentiles of periods do not merge exactly: ask for one period over the whole window)"
        )
    } else {
        String::new()
    };
    let weighted: Vec<(f64, f64, f64)> = stats
        .points
        .iter()
        .flat_map(|p| p.percentiles.iter().map(move |&(q, v)| (q, v * scale, p.sample_count.unwrap())))
        .collect();
    let distinct = {
        let mut ps: Vec<f64> = weighted.iter().map(|w| w.0).collect();
        ps.sort_by(f64::total_cmp);
        ps.dedup();
        ps
    };
    if distinct.len() >= 2 {
        match percentile_figure(&weighted, &distinct, samples, &pooled) {
            Some(why_dist) => {
                let (why, dist) = why_dist;
                let estimate = Estimate::Distribution { dist, choice: None };
                outcome.figures.push(Figure { name: key, writes: true, estimate, samples, why });
            }
            None => outcome
                .notes
                .push(format!("{label}: the percentiles do not rise with the probability: no lognormal fits them")),
        }
    } else if stats.points.iter().all(|p| p.average.is_some()) {
        let total: f64 = stats.points.iter().map(|p| p.average.unwrap() * p.sample_count.unwrap()).sum();
        let mean = total / samples as f64 * scale;
        let why = format!(
            "exponential with the Average of {samples} samples (SampleCount){pooled}; from an average alone the shape cannot be seen: give p50, p90 and p99 for a lognormal"
        );
        outcome.figures.push(Figure {
            name: key,
            writes: true,
            estimate: Estimate::Distribution { dist: Fitted::Exponential { mean }, choice: None },
            samples,
            why,
        });
    } else {
        outcome.notes.push(format!(
            "{label}: neither two percentiles nor an Average in every point: nothing to fit a duration from"
        ));
    }
}

/// The lognormal through (probability, seconds, weight) points, and why, in words, with
/// each percentile's error against the line.
fn percentile_figure(
    weighted: &[(f64, f64, f64)],
    distinct: &[f64],
    samples: usize,
    pooled: &str,
) -> Option<(String, Fitted)> {
    let fit = fit::lognormal_from_percentiles(weighted)?;
    let given: Vec<String> = distinct.iter().map(|p| format!("p{}", trim_number(100.0 * p))).collect();
    let residuals: Vec<String> =
        fit.residuals.iter().map(|(p, _, e)| format!("p{} {:+.1} %", trim_number(100.0 * p), 100.0 * e)).collect();
    // A line below the given p99 by more than a tenth: the tail bends up, away from a lognormal.
    let tail = fit.residuals.last().filter(|r| r.0 >= 0.99 && r.2 < -0.10).map_or(String::new(), |r| {
        format!(
            "; the p{} sits {:.0} % above the lognormal line: the tail is heavier than a lognormal's",
            trim_number(100.0 * r.0),
            -100.0 * r.2 / (1.0 + r.2)
        )
    });
    let why = format!(
        "lognormal by least squares on ln q over {} from {samples} samples (SampleCount){pooled}; fitted against given: {}{tail}",
        given.join(", "),
        residuals.join(", ")
    );
    Some((why, Fitted::LogNormal { median: fit.median, p99: fit.p99 }))
}

/// `99.9` → "99.9", `50` → "50".
fn trim_number(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Lambda's error share from `Invocations` and `Errors` series, and its throttle share with
/// `Throttles`; every series is summed and said, since arrivals are not fitted yet.
fn fit_series(series: &[&MetricSeries], outcome: &mut Outcome) {
    let named = |name: &str| {
        series
            .iter()
            .find(|s| s.label.as_deref().unwrap_or(&s.id).eq_ignore_ascii_case(name) || s.id.eq_ignore_ascii_case(name))
    };
    let total = |s: &MetricSeries| s.points.iter().map(|p| p.1).sum::<f64>();
    for s in series {
        let name = s.label.as_deref().unwrap_or(&s.id);
        let (first, last) = match (s.points.first(), s.points.last()) {
            (Some(f), Some(l)) => (f.0.as_str(), l.0.as_str()),
            _ => {
                outcome.notes.push(format!("{name}: no point"));
                continue;
            }
        };
        let partial = match s.status.as_deref() {
            Some("Complete") | None => String::new(),
            Some(other) => format!(" (StatusCode {other}: points may be missing)"),
        };
        outcome.notes.push(format!(
            "{name}: {} points from {first} to {last}, sum {}{partial}; a period without a point is not counted as 0",
            s.points.len(),
            trim_number(total(s))
        ));
    }
    let from_reports = outcome.figures.iter().any(|f| f.name == "error_rate");
    if from_reports && named("Errors").is_some() {
        outcome.notes.push("error_rate comes from the REPORT lines; the Errors series is not used for it".into());
    } else if let (Some(invocations), Some(errors)) = (named("Invocations"), named("Errors")) {
        let of = total(invocations).round() as usize;
        let count = (total(errors).round() as usize).min(of);
        share(
            outcome,
            "error_rate",
            true,
            count,
            of,
            "invocations ended in an error or a timeout (CloudWatch Errors counts both)",
        );
    }
    // Throttled calls are not in Invocations: the share is of all calls.
    if let (Some(invocations), Some(throttles)) = (named("Invocations"), named("Throttles")) {
        let count = total(throttles).round() as usize;
        let of = total(invocations).round() as usize + count;
        share(outcome, "throttle_share", false, count, of, "calls were throttled (Throttles, not in Invocations)");
    }
}
