//! Calibration from real telemetry: `orchsim fit`.
//!
//! `formats/` reads each export into plain observations (REPORT lines, CloudWatch
//! statistics and series), `fit.rs` estimates distributions and shares from numbers, this
//! file turns observations into the figures of one scenario element, and `output.rs` writes
//! them as a TOML fragment, JSON, or into a scenario file in place (`toml_edit`).
//!
//! Nothing here runs a simulation or builds a `Scenario`: the command checks that an updated
//! scenario still loads through the scenario reader, like any hand-written file.

pub mod arrivals;
pub mod fit;
pub mod formats;
pub mod output;

use fit::{Choice, Fitted, MIN_SAMPLES, Share};
use formats::{Execution, ExecutionEnd, Format, Invocation, MetricSeries, Span, Statistics, Status, Telemetry};

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
    /// An arrival process: `arrival` and its keys, for a `workload.NAME`.
    Arrival(arrivals::ArrivalFit),
}

/// One fitted figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Its name: the scenario key when `writes` is true.
    pub name: &'static str,
    /// The sub-table of the element it goes in (`["states", "Charge"]` for a state of a
    /// state machine); empty for the element's own table.
    pub table: Vec<String>,
    /// The kind of element it is a key of (`workload`, `step_functions`), when that is not
    /// the element's own kind (a duration, a share): it is written only into such an element.
    pub kind: Option<&'static str>,
    /// Whether the scenario has a key for it (the cold-start share, for one, is an outcome
    /// of the traffic and `keep_alive_s`, not a setting).
    pub writes: bool,
    pub estimate: Estimate,
    /// How many observations it comes from.
    pub samples: usize,
    /// Where from and why this form, in words.
    pub why: String,
}

impl Figure {
    /// A figure of the element's own table.
    pub fn new(name: &'static str, writes: bool, estimate: Estimate, samples: usize, why: String) -> Figure {
        Figure { name, table: Vec::new(), kind: None, writes, estimate, samples, why }
    }

    /// Its key as a dotted path under the element: `states."Charge".duration_s`.
    pub fn path(&self) -> String {
        let mut parts: Vec<String> = self
            .table
            .iter()
            .map(|t| {
                if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    t.clone()
                } else {
                    format!("{t:?}")
                }
            })
            .collect();
        parts.push(self.name.to_string());
        parts.join(".")
    }
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
    let mut executions: Vec<&Execution> = Vec::new();
    let mut express = false;
    let mut spans: Vec<&Span> = Vec::new();
    let mut traces = 0;
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
            Telemetry::Traces(t) => {
                spans.extend(&t.spans);
                traces += t.traces;
                if t.in_progress > 0 {
                    outcome.notes.push(format!("{}: {} spans still in progress left out", input.name, t.in_progress));
                }
                if t.unprocessed > 0 {
                    outcome.notes.push(format!(
                        "{}: {} UnprocessedTraceIds: ask batch-get-traces for them again",
                        input.name, t.unprocessed
                    ));
                }
                if outcome.element.is_none() {
                    outcome.element = t
                        .spans
                        .iter()
                        .find(|s| s.origin.as_deref() == Some("AWS::Lambda::Function"))
                        .map(|s| format!("lambda.{}", s.segment));
                }
            }
            Telemetry::Executions(e) => {
                executions.extend(&e.executions);
                express |= e.express;
                if outcome.element.is_none() {
                    outcome.element = e.machine.as_ref().map(|m| format!("step_functions.{m}"));
                }
            }
        }
    }
    if !executions.is_empty() {
        fit_executions(&executions, express, &mut outcome);
    }
    if !spans.is_empty() {
        fit_spans(&spans, traces, duration_key, &mut outcome);
    }
    if !invocations.is_empty() {
        fit_reports(&invocations, duration_key, &mut outcome);
        if !statistics.is_empty() {
            outcome.notes.push(format!(
                "{duration_key} is fitted from the REPORT lines' own durations; the get-metric-statistics input is not used for it"
            ));
        }
    } else if let Some(first) = statistics.iter().find(|s| !is_count_of_arrivals(s)) {
        // Several exports of one metric are one set of periods, if they share a unit.
        let mut merged = (*first).clone();
        for other in statistics.iter().filter(|s| !is_count_of_arrivals(s) && !std::ptr::eq(**s, *first)) {
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
    // Sums per period of a count of arrivals, from get-metric-statistics.
    for stats in statistics.iter().filter(|s| is_count_of_arrivals(s)) {
        let label = stats.label.as_deref().unwrap_or("the metric");
        if stats.points.iter().any(|p| p.sum.is_none()) {
            outcome.notes.push(format!("{label}: a point without Sum: arrivals are fitted from the Sum per period"));
            continue;
        }
        let points: Vec<(String, f64)> = stats.points.iter().map(|p| (p.timestamp.clone(), p.sum.unwrap())).collect();
        fit_arrivals(label, &points, &mut outcome);
    }
    outcome
}

/// The figures of `fit_inputs` for an element: the ones that are keys of another kind of
/// element (arrivals for a `workload`, states for a `step_functions`) are written only into
/// such an element, and the element's own figures (durations, shares) only into an element
/// that has them.
pub fn fit_element(inputs: &[Input], element: Option<&str>, duration_key: &'static str) -> Outcome {
    let mut outcome = fit_inputs(inputs, duration_key);
    // Without an element, the fragment shows the one the figures are for.
    let element = element.or(outcome.element.as_deref()).unwrap_or(placeholder_element(&outcome)).to_string();
    let kind = element.split_once('.').map(|(kind, _)| kind);
    for f in &mut outcome.figures {
        f.writes = f.writes
            && match (f.kind, kind) {
                (Some(wanted), kind) => kind == Some(wanted),
                (None, Some("workload" | "step_functions")) => false,
                (None, _) => true,
            };
    }
    outcome
}

/// The element to show in a fragment when neither `--element` nor the inputs name one.
pub fn placeholder_element(outcome: &Outcome) -> &'static str {
    let kinds: Vec<Option<&str>> = outcome.figures.iter().map(|f| f.kind).collect();
    if !kinds.is_empty() && kinds.iter().all(|k| *k == Some("workload")) {
        "workload.NAME"
    } else if !kinds.is_empty()
        && kinds.iter().all(|k| *k == Some("step_functions") || k.is_none())
        && kinds.contains(&Some("step_functions"))
    {
        "step_functions.NAME"
    } else {
        "lambda.FUNCTION"
    }
}

/// Metrics that count arrivals at a service, one per message, call or execution.
const ARRIVAL_METRICS: [&str; 7] = [
    "NumberOfMessagesSent",
    "NumberOfMessagesPublished",
    "Invocations",
    "ExecutionsStarted",
    "AsyncEventsReceived",
    "EnqueueCount",
    "MatchedEvents",
];

/// Whether a label or id names a count of arrivals, as a whole word: `FailedInvocations` is
/// not `Invocations`.
fn names_arrivals(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| ARRIVAL_METRICS.iter().any(|m| m.eq_ignore_ascii_case(word)))
}

fn is_count_of_arrivals(stats: &&Statistics) -> bool {
    stats.label.as_deref().is_some_and(names_arrivals) && matches!(stats.unit.as_deref(), Some("Count") | None)
}

/// The arrival process of one series of counts.
fn fit_arrivals(label: &str, points: &[(String, f64)], outcome: &mut Outcome) {
    if outcome.figures.iter().any(|f| f.name == "arrival") {
        outcome
            .notes
            .push(format!("{label}: arrivals are fitted from the first series of counts only; this one is not used"));
        return;
    }
    let counts = match arrivals::counts(label, points) {
        Ok(c) => c,
        Err(e) => {
            outcome.notes.push(e);
            return;
        }
    };
    if counts.points.len() < MIN_SAMPLES {
        outcome.refused.push(Refused {
            name: "arrival",
            what: "periods with a count",
            have: counts.points.len(),
            need: MIN_SAMPLES,
        });
        return;
    }
    if counts.fractional {
        outcome.notes.push(format!("{label}: some values are not whole counts (a statistic other than Sum?): they are rounded in a replay trace"));
    }
    let fit = arrivals::fit_counts(&counts);
    let why = fit.why.clone();
    let periods = fit.periods;
    let mut figure = Figure::new("arrival", true, Estimate::Arrival(fit), periods, why);
    figure.kind = Some("workload");
    outcome.figures.push(figure);
}

/// Durations, INIT, cold-start, error and timeout shares from REPORT lines.
fn fit_reports(invocations: &[&Invocation], duration_key: &'static str, outcome: &mut Outcome) {
    let n = invocations.len();
    // A timed-out run's Duration is the timeout, not its run time: it is right-censored
    // there (the run would have lasted longer), so it enters the likelihood as P(X > timeout)
    // rather than as a spike at the timeout.
    let durations: Vec<f64> =
        invocations.iter().filter(|i| i.status != Status::Timeout).map(|i| i.duration_ms / 1000.0).collect();
    let cut: Vec<f64> =
        invocations.iter().filter(|i| i.status == Status::Timeout).map(|i| i.duration_ms / 1000.0).collect();
    let timeouts = cut.len();
    if timeouts == 0 {
        distribution(duration_key, "REPORT lines with a Duration", &durations, "", outcome);
    } else {
        match fit::fit_right_censored(&durations, &cut) {
            Ok(choice) => outcome.figures.push(choice_figure(duration_key, "REPORT lines with a Duration", choice, "")),
            Err(t) => outcome.refused.push(Refused {
                name: duration_key,
                what: "REPORT lines with a Duration that did not time out",
                have: t.have,
                need: t.need,
            }),
        }
    }
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
    match distribution_figure(name, what, samples, extra) {
        Ok(figure) => outcome.figures.push(figure),
        Err(too_few) => outcome.refused.push(Refused { name, what, have: too_few.have, need: too_few.need }),
    }
}

/// A distribution fitted to samples, as a figure of the element's own table.
fn distribution_figure(name: &'static str, what: &str, samples: &[f64], extra: &str) -> Result<Figure, fit::TooFew> {
    Ok(choice_figure(name, what, fit::fit_samples(samples)?, extra))
}

/// The figure of a fitted choice: why, with the chosen form's KS D and its parameters'
/// intervals.
fn choice_figure(name: &'static str, what: &str, choice: Choice, extra: &str) -> Figure {
    let best = choice.best();
    let intervals: String = best.intervals.iter().map(|i| format!("; {}", i.describe())).collect();
    let why = format!("{} {what}{extra}; {}; KS D = {:.4}{intervals}", choice.samples, choice.reason, best.fit.ks_d);
    let (dist, samples) = (best.dist.clone(), choice.samples);
    Figure::new(name, true, Estimate::Distribution { dist, choice: Some(choice) }, samples, why)
}

/// Durations of X-Ray spans per segment and subsegment; a Lambda function's `Invocation`
/// and `Initialization` subsegments are its `duration_s` and `init_duration_s` unless
/// REPORT lines gave them.
fn fit_spans(spans: &[&Span], traces: usize, duration_key: &'static str, outcome: &mut Outcome) {
    outcome.notes.push(format!(
        "{traces} X-Ray traces: X-Ray samples (by default the first request each second and 5 % of the rest), so quiet periods are over-represented in these durations"
    ));
    let mut groups: std::collections::BTreeMap<(&str, Option<&str>), Vec<&Span>> = Default::default();
    for s in spans {
        groups.entry((s.segment.as_str(), s.name.as_deref())).or_default().push(s);
    }
    for ((segment, name), group) in &groups {
        let samples: Vec<f64> = group.iter().map(|s| s.duration_s).collect();
        let label = match name {
            Some(n) => format!("{segment} {n}"),
            None => segment.to_string(),
        };
        let lambda = group.iter().any(|s| s.origin.as_deref() == Some("AWS::Lambda::Function"));
        let key = match *name {
            Some("Invocation") if lambda => Some(duration_key),
            Some("Initialization") if lambda => Some("init_duration_s"),
            _ => None,
        };
        let faults = group.iter().filter(|s| s.fault || s.error || s.throttle).count();
        let extra =
            if faults > 0 { format!("; {faults} with error, throttle or fault set, included") } else { String::new() };
        if let Some(key) = key {
            if outcome.figures.iter().any(|f| f.name == key && f.table.is_empty()) {
                outcome
                    .notes
                    .push(format!("{key} comes from the REPORT lines; the X-Ray {label} spans are not used for it"));
                continue;
            }
            match distribution_figure(key, &format!("X-Ray {label} subsegments"), &samples, &extra) {
                Ok(f) => outcome.figures.push(f),
                Err(t) => outcome
                    .notes
                    .push(format!("{key} not fitted from X-Ray {label}: {} spans, at least {} needed", t.have, t.need)),
            }
            continue;
        }
        match distribution_figure("duration_s", &format!("X-Ray {label} spans"), &samples, &extra) {
            Ok(mut f) => {
                f.table = vec!["xray".into(), label.clone()];
                f.kind = Some("xray");
                f.writes = false;
                outcome.figures.push(f);
            }
            Err(t) => outcome
                .notes
                .push(format!("X-Ray {label}: {} spans, at least {} needed for a duration", t.have, t.need)),
        }
    }
}

/// Execution durations and ends, and each state's task attempts and time in the state.
fn fit_executions(executions: &[&Execution], express: bool, outcome: &mut Outcome) {
    let ended: Vec<&&Execution> = executions.iter().filter(|e| e.end.is_some()).collect();
    let running = executions.len() - ended.len();
    if running > 0 {
        outcome
            .notes
            .push(format!("{running} executions have no end in the export (still running, or cut off): left out"));
    }
    let durations: Vec<f64> = ended.iter().filter_map(|e| e.duration_s).collect();
    if durations.len() < ended.len() {
        outcome.notes.push(format!(
            "{} executions have an end but no ExecutionStarted in the export: their duration is unknown",
            ended.len() - durations.len()
        ));
    }
    let not_a_key = |mut f: Figure| {
        f.writes = false;
        f
    };
    match distribution_figure("execution_duration_s", "executions, ExecutionStarted to their end", &durations, "") {
        Ok(f) => outcome.figures.push(not_a_key(f)),
        Err(t) => outcome.refused.push(Refused {
            name: "execution_duration_s",
            what: "executions with a start and an end",
            have: t.have,
            need: t.need,
        }),
    }
    let n = ended.len();
    for (name, end, what) in [
        ("execution_failed_share", ExecutionEnd::Failed, "executions failed (ExecutionFailed)"),
        ("execution_timed_out_share", ExecutionEnd::TimedOut, "executions timed out (ExecutionTimedOut)"),
        ("execution_aborted_share", ExecutionEnd::Aborted, "executions were aborted (ExecutionAborted)"),
    ] {
        let count = ended.iter().filter(|e| e.end == Some(end)).count();
        if end != ExecutionEnd::Aborted || count > 0 {
            share(outcome, name, false, count, n, what);
        }
    }
    let states: usize = executions.iter().map(|e| e.states.len()).sum();
    if express && states == 0 {
        outcome.notes.push(
            "the Express log records have no state events: latencies need the log level ALL (ERROR and FATAL log only failures)".into(),
        );
    }
    // Task attempts per state, by name (a BTreeMap, so the figures come in one order).
    let mut attempts: std::collections::BTreeMap<&str, Vec<&formats::TaskAttempt>> = Default::default();
    for a in executions.iter().flat_map(|e| &e.attempts) {
        attempts.entry(a.state.as_str()).or_default().push(a);
    }
    for (state, runs) in &attempts {
        let timed_out = runs.iter().filter(|a| a.end == formats::AttemptEnd::TimedOut).count();
        let samples: Vec<f64> =
            runs.iter().filter(|a| a.end != formats::AttemptEnd::TimedOut).map(|a| a.duration_s).collect();
        let lambda = runs.iter().any(|a| a.resource_type == "lambda");
        let mut extra = String::new();
        if timed_out > 0 {
            extra.push_str(&format!("; {timed_out} timed-out attempts left out, their time being the timeout"));
        }
        if lambda {
            extra.push_str("; not written: a Lambda task lasts its function's invocation, so fit [lambda.F] duration_s from its REPORT lines");
        }
        match distribution_figure(
            "duration_s",
            &format!("attempts of {state}, TaskStarted to their end"),
            &samples,
            &extra,
        ) {
            Ok(mut f) => {
                f.table = vec!["states".into(), state.to_string()];
                f.kind = Some("step_functions");
                f.writes = !lambda;
                outcome.figures.push(f);
            }
            Err(t) => outcome
                .notes
                .push(format!("states.{state}.duration_s not fitted: {} attempts, at least {} needed", t.have, t.need)),
        }
        let failed = runs.iter().filter(|a| a.end != formats::AttemptEnd::Succeeded).count();
        if runs.len() >= MIN_SAMPLES {
            let s = Share::new(failed, runs.len());
            let why = format!(
                "{failed} of {} attempts of {state} failed or timed out; 95 % interval {:.2} % to {:.2} %",
                runs.len(),
                100.0 * s.low,
                100.0 * s.high
            );
            let mut f = Figure::new("attempt_failed_share", false, Estimate::Share(s), runs.len(), why);
            f.table = vec!["states".into(), state.to_string()];
            f.kind = Some("step_functions");
            outcome.figures.push(f);
        }
    }
    // Time in each state, entered to exited: retries and waits included, an outcome.
    let mut times: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for r in executions.iter().flat_map(|e| &e.states) {
        times.entry(r.name.as_str()).or_default().push(r.duration_s);
    }
    for (state, samples) in &times {
        if let Ok(mut f) =
            distribution_figure("time_in_state_s", &format!("runs of {state}, entered to exited"), samples, "")
        {
            f.table = vec!["states".into(), state.to_string()];
            f.kind = Some("step_functions");
            f.writes = false;
            outcome.figures.push(f);
        }
    }
}

fn share(outcome: &mut Outcome, name: &'static str, writes: bool, count: usize, of: usize, what: &str) {
    if of < MIN_SAMPLES {
        // What is counted: the first word of `what` (invocations, executions, calls).
        let counted = match what.split(' ').next() {
            Some("executions") => "executions that ended",
            Some("calls") => "calls",
            _ => "invocations",
        };
        outcome.refused.push(Refused { name, what: counted, have: of, need: MIN_SAMPLES });
        return;
    }
    let s = Share::new(count, of);
    let why = format!("{count} of {of} {what}; 95 % interval {:.2} % to {:.2} %", 100.0 * s.low, 100.0 * s.high);
    outcome.figures.push(Figure::new(name, writes, Estimate::Share(s), of, why));
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
    if stats.points.iter().any(|p| !p.buckets.is_empty()) {
        bucket_figure(stats, scale, samples, &pooled, key, outcome);
        return;
    }
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
                outcome.figures.push(Figure::new(key, true, estimate, samples, why));
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
        let estimate = Estimate::Distribution { dist: Fitted::Exponential { mean }, choice: None };
        outcome.figures.push(Figure::new(key, true, estimate, samples, why));
    } else {
        outcome.notes.push(format!(
            "{label}: neither two percentiles nor an Average in every point: nothing to fit a duration from"
        ));
    }
}

/// A lognormal by maximum likelihood from `PR(x:y)` bucket shares (interval-censored
/// counts: share × SampleCount in each bucket of each period), judged by the χ² of the
/// counts per bucket against the fitted shares.
fn bucket_figure(
    stats: &Statistics,
    scale: f64,
    samples: usize,
    pooled: &str,
    key: &'static str,
    outcome: &mut Outcome,
) {
    let label = stats.label.as_deref().unwrap_or("the metric");
    let mut observations = Vec::new();
    for p in &stats.points {
        let covered: f64 = p.buckets.iter().map(|b| b.2).sum();
        if (covered - 100.0).abs() > 1.0 {
            outcome.notes.push(format!(
                "{label}: the PR buckets of the point at {} hold {covered:.1} % of its points, not 100 %: ask for buckets from PR(:x) to PR(y:) that cover every value, without overlap",
                p.timestamp
            ));
            return;
        }
        let n = p.sample_count.unwrap();
        for &(low, high, percent) in &p.buckets {
            observations.push(fit::Observation { low: low * scale, high: high * scale, weight: percent / 100.0 * n });
        }
    }
    let Some(fit) = fit::lognormal_censored(&observations) else {
        outcome.notes.push(format!("{label}: no lognormal fits the PR buckets"));
        return;
    };
    // Observed and fitted counts per bucket, pooled over the periods.
    let mut bounds: Vec<(f64, f64, f64)> = Vec::new();
    for o in &observations {
        match bounds.iter_mut().find(|b| b.0 == o.low && b.1 == o.high) {
            Some(b) => b.2 += o.weight,
            None => bounds.push((o.low, o.high, o.weight)),
        }
    }
    let total: f64 = bounds.iter().map(|b| b.2).sum();
    let mut chi = 0.0;
    let mut shown = Vec::new();
    for &(low, high, observed) in &bounds {
        let upper = if high.is_infinite() { 1.0 } else { fit.dist.cdf(high) };
        let share = upper - fit.dist.cdf(low);
        let expected = share * total;
        if expected > 0.0 {
            chi += (observed - expected).powi(2) / expected;
        }
        let high = if high.is_infinite() { "∞)".to_string() } else { format!("{}]", trim_number(high)) };
        shown.push(format!(
            "({}, {high} {:.1} % against {:.1} %",
            trim_number(low),
            100.0 * observed / total,
            100.0 * share
        ));
    }
    let df = bounds.len().saturating_sub(3);
    let test = if df > 0 {
        format!("χ² = {chi:.1} on {df} degrees of freedom, p = {:.3}", arrivals::chi_square_upper(chi, df))
    } else {
        "too few buckets for a χ² test (at least 4)".to_string()
    };
    let intervals: String = fit.intervals.iter().map(|i| format!("; {}", i.describe())).collect();
    let why = format!(
        "lognormal by maximum likelihood from {} PR buckets (interval-censored counts, PR share × SampleCount) of {samples} samples{pooled}; observed against fitted share (s): {}; {test}{intervals}",
        bounds.len(),
        shown.join(", ")
    );
    outcome.figures.push(Figure::new(key, true, Estimate::Distribution { dist: fit.dist, choice: None }, samples, why));
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

/// Arrivals from the first series that counts them; Lambda's error share from `Invocations`
/// and `Errors` series, and its throttle share with `Throttles`; every series is summed and
/// said.
fn fit_series(series: &[&MetricSeries], outcome: &mut Outcome) {
    let named = |name: &str| {
        series
            .iter()
            .find(|s| s.label.as_deref().unwrap_or(&s.id).eq_ignore_ascii_case(name) || s.id.eq_ignore_ascii_case(name))
    };
    let total = |s: &MetricSeries| s.points.iter().map(|p| p.1).sum::<f64>();
    for s in series.iter().filter(|s| names_arrivals(s.label.as_deref().unwrap_or(&s.id)) || names_arrivals(&s.id)) {
        fit_arrivals(s.label.as_deref().unwrap_or(&s.id), &s.points, outcome);
    }
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
