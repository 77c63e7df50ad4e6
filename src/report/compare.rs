//! `orchsim compare`: one state machine run as Standard and as Express on the same draws
//! (common random numbers), and what each costs a month at any volume.
//!
//! Per-execution usage is measured per execution: the executions that ended in the window,
//! each counted whole from its start to its end (`runtime::EndedUsage`). Standard bills their
//! transitions; Express their requests (one per run, restarts included) and GB-seconds. At a
//! volume V the month's Step Functions bill is priced from V × that usage (free tier and
//! tiers at that volume); the other services the workflow calls (Lambda, SNS, SQS) cost the
//! same under both types and scale with V from the run's own monthly figure. The run's own
//! volume is its started executions projected to a month of 730 hours, as the AWS Pricing
//! Calculator counts.
//!
//! A type that cannot run the workflow as the other does (its executions exceed its time
//! limit, or fail or time out where the other's succeed) is said so in one line and left out
//! of the break-even: a price for executions that do not finish is no answer.

use std::fmt::Write;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::{Map, Value, json};

use super::format;
use crate::pricing::{self, PriceBook, StepFunctionsUsage};
use crate::run::RunResult;

/// How much larger one type's share of failed or timed-out executions must be than the
/// other's (common random numbers make the two shares equal when the types behave alike)
/// before the type is said not to run the workflow: one percentage point, above the noise
/// that restarts' extra draws leave.
pub const FAILURE_SHARE_GAP: f64 = 0.01;

/// What became of the executions of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Executions started in the measured window (restarts are not new executions).
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    /// Of `timed_out`, those stopped by their workflow type's own limit (5 minutes for
    /// Express, a year for Standard).
    pub timed_out_at_type_limit: u64,
    pub running_at_end: u64,
    /// Asynchronous Express: runs again of executions that had succeeded (at-least-once).
    pub restarts: u64,
    /// StartExecution calls the account's quota refused (a caller's SDK may retry them): the
    /// one reason the two types, driven by the same arrivals, start different numbers of
    /// executions, since the types' quotas differ.
    pub throttled_starts: u64,
}

impl Outcomes {
    /// Executions that ended in the window: succeeded, failed or timed out.
    pub fn ended(&self) -> u64 {
        self.succeeded + self.failed + self.timed_out
    }

    /// The share of ended executions that failed or timed out.
    pub fn unsuccessful_share(&self) -> f64 {
        let ended = self.ended();
        if ended == 0 { 0.0 } else { (self.failed + self.timed_out) as f64 / ended as f64 }
    }
}

/// What one workflow type's run says per execution.
#[derive(Clone, Debug)]
pub struct TypeSummary {
    pub workflow: &'static str,
    pub outcomes: Outcomes,
    pub transitions_per_execution: f64,
    pub requests_per_execution: f64,
    pub gb_seconds_per_execution: f64,
    /// Express: billed duration of an execution, all its runs, in ms.
    pub billed_duration_ms_per_execution: f64,
    pub billed_memory_mb: Option<u64>,
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    /// Step Functions charges of one execution at the marginal prices.
    pub cost_per_execution: Option<crate::metrics::CostSummary>,
    /// Per month at the run's own volume, by service.
    pub usd_per_month_by_service: Vec<(String, f64)>,
    /// The run's started executions projected to a month.
    pub executions_per_month: f64,
}

impl TypeSummary {
    /// The type as people name it in a sentence.
    fn title(&self) -> &'static str {
        match self.workflow {
            "standard" => "Standard",
            "express_sync" => "Express sync",
            _ => "Express",
        }
    }

    /// The type's own limit on an execution's duration, in words.
    fn limit_words(&self) -> &'static str {
        if self.workflow == "standard" { "1-year" } else { "5-minute" }
    }
}

/// Reads a run's figures for state machine `name`.
pub fn summarize(
    workflow: &'static str,
    name: &str,
    result: &RunResult,
    billed_memory_mb: Option<u64>,
    hours_per_month: f64,
) -> TypeSummary {
    let m = &result.measurements;
    let key = |k: &str| format!("step_functions.{name}.{k}");
    let counter = |k: &str| m.counters.iter().find(|(c, _)| *c == key(k)).map_or(0, |c| c.1);
    let gauge = |k: &str| m.gauges.iter().find(|(g, _)| *g == key(k)).map_or(0.0, |g| g.1);
    let outcomes = Outcomes {
        started: counter("started"),
        succeeded: counter("succeeded"),
        failed: counter("failed"),
        timed_out: counter("timed_out"),
        timed_out_at_type_limit: counter("timed_out_at_type_limit"),
        running_at_end: counter("running_at_end"),
        restarts: counter("restarts"),
        throttled_starts: counter("throttled_starts"),
    };
    let express = workflow != "standard";
    let latency = m.latencies.iter().find(|(k, _)| *k == key("duration")).map(|(_, h)| h.summary());
    let mut by_service: Vec<(String, f64)> = Vec::new();
    for c in &result.costs {
        match by_service.iter_mut().find(|(s, _)| *s == c.service) {
            Some(entry) => entry.1 += c.usd_per_month,
            None => by_service.push((c.service.clone(), c.usd_per_month)),
        }
    }
    let months = result.measured_s / (hours_per_month * 3_600.0);
    TypeSummary {
        workflow,
        outcomes,
        transitions_per_execution: gauge("transitions_per_execution"),
        requests_per_execution: if express { gauge("requests_per_execution") } else { 0.0 },
        gb_seconds_per_execution: if express { gauge("gb_seconds_per_execution") } else { 0.0 },
        billed_duration_ms_per_execution: if express { gauge("billed_duration_ms_per_execution") } else { 0.0 },
        billed_memory_mb,
        cost_per_execution: m
            .costs_per_execution
            .iter()
            .find(|(k, _)| *k == key("cost_per_execution"))
            .map(|(_, h)| h.summary()),
        latency_ms_p50: latency.map_or(0.0, |l| l.p50_ms),
        latency_ms_p99: latency.map_or(0.0, |l| l.p99_ms),
        usd_per_month_by_service: by_service,
        executions_per_month: if months > 0.0 { outcomes.started as f64 / months } else { 0.0 },
    }
}

/// The month's bill at `volume` executions: by service, Step Functions priced afresh.
pub fn monthly_cost(prices: &PriceBook, t: &TypeSummary, volume: f64) -> Vec<(String, f64)> {
    let month = pricing::Window { seconds: prices.hours_per_month * 3_600.0, hours_per_month: prices.hours_per_month };
    let usage = if t.workflow == "standard" {
        StepFunctionsUsage::Standard {
            resource: "sfn".into(),
            transitions: (t.transitions_per_execution * volume).round() as u64,
        }
    } else {
        StepFunctionsUsage::Express {
            resource: "sfn".into(),
            requests: (t.requests_per_execution * volume).round() as u64,
            gb_seconds: t.gb_seconds_per_execution * volume,
        }
    };
    let sfn: f64 =
        pricing::step_functions_lines(prices.step_functions(), month, &[usage]).iter().map(|l| l.usd_per_month).sum();
    let scale = if t.executions_per_month > 0.0 { volume / t.executions_per_month } else { 0.0 };
    let mut out = vec![("step_functions".to_string(), sfn)];
    for (service, usd) in &t.usd_per_month_by_service {
        if service != "step_functions" {
            out.push((service.clone(), usd * scale));
        }
    }
    out
}

fn total(lines: &[(String, f64)]) -> f64 {
    lines.iter().map(|l| l.1).sum()
}

/// Why `t` cannot run the workflow as `other` does, in one plain line; `None` when it can.
pub fn cannot_run(t: &TypeSummary, other: &TypeSummary) -> Option<String> {
    let ended = t.outcomes.ended();
    if ended == 0 {
        return None;
    }
    if t.outcomes.timed_out_at_type_limit > 0 {
        let share = t.outcomes.timed_out_at_type_limit as f64 / ended as f64;
        return Some(format!(
            "{} cannot run this workflow: {} of executions exceed the {} limit",
            t.title(),
            format::percent(share),
            t.limit_words()
        ));
    }
    let (own, theirs) = (t.outcomes.unsuccessful_share(), other.outcomes.unsuccessful_share());
    (other.outcomes.ended() > 0 && own - theirs > FAILURE_SHARE_GAP).then(|| {
        format!(
            "{} cannot run this workflow as {} does: {} of its executions fail or time out, against {}",
            t.title(),
            other.title(),
            format::percent(own),
            format::percent(theirs)
        )
    })
}

/// The volume (executions a month) at which the two bills are equal, by bisection over
/// 1 to 10^12; `None` when one type is cheaper at every volume.
pub fn break_even(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary) -> Option<f64> {
    let diff = |v: f64| total(&monthly_cost(prices, standard, v)) - total(&monthly_cost(prices, express, v));
    let (mut lo, mut hi) = (0.0f64, 12.0f64); // log10 of the volume
    let (d_lo, d_hi) = (diff(10f64.powf(lo)), diff(10f64.powf(hi)));
    if d_lo.signum() == d_hi.signum() {
        return None;
    }
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if diff(10f64.powf(mid)).signum() == d_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(10f64.powf((lo + hi) / 2.0).round())
}

/// What the comparison concludes: the break-even, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub break_even: Option<f64>,
    /// Why `break_even` is `None`, in one line.
    pub reason: Option<String>,
    /// Standard's and Express's line, when that type cannot run the workflow as the other does.
    pub cannot_run: [Option<String>; 2],
}

/// The break-even of two runs that both ran the workflow, or why there is none.
pub fn verdict(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary) -> Verdict {
    let cannot = [cannot_run(standard, express), cannot_run(express, standard)];
    let none = |reason: String| Verdict { break_even: None, reason: Some(reason), cannot_run: cannot.clone() };
    if let Some(line) = cannot.iter().flatten().next() {
        return none(line.clone());
    }
    for t in [standard, express] {
        if t.outcomes.ended() == 0 {
            return none(format!(
                "no {} execution ended within the run ({} still running at the end): lengthen run.horizon_s \
                 so that some end",
                t.title(),
                format::count(t.outcomes.running_at_end)
            ));
        }
    }
    match break_even(prices, standard, express) {
        Some(v) => Verdict { break_even: Some(v), reason: None, cannot_run: cannot },
        None => {
            let (s, e) = (total(&monthly_cost(prices, standard, 1e6)), total(&monthly_cost(prices, express, 1e6)));
            let cheaper = if s <= e { standard.title() } else { express.title() };
            none(format!("{cheaper} is cheaper at every volume from 1 to 10^12 executions a month"))
        }
    }
}

fn type_json(prices: &PriceBook, t: &TypeSummary, volumes: &[f64], cannot_run: &Option<String>) -> Value {
    let at_run = monthly_cost(prices, t, t.executions_per_month);
    let by_service: Map<String, Value> = at_run.iter().map(|(s, u)| (s.clone(), json!(u))).collect();
    let at_volumes: Vec<Value> = volumes
        .iter()
        .map(|v| {
            let lines = monthly_cost(prices, t, *v);
            let by: Map<String, Value> = lines.iter().map(|(s, u)| (s.clone(), json!(u))).collect();
            json!({ "executions_per_month": v, "total": total(&lines), "by_service": by })
        })
        .collect();
    let express = t.workflow != "standard";
    let o = &t.outcomes;
    json!({
        "executions_started": o.started,
        "executions_simulated": o.ended(),
        "executions_by_status": {
            "succeeded": o.succeeded,
            "failed": o.failed,
            "timed_out": o.timed_out,
            "running_at_end": o.running_at_end,
        },
        "timed_out_at_type_limit": o.timed_out_at_type_limit,
        "restarts": o.restarts,
        "throttled_starts": o.throttled_starts,
        "failed_or_timed_out_share": o.unsuccessful_share(),
        "cannot_run": cannot_run,
        "executions_per_month": t.executions_per_month,
        "cost_usd_per_month": { "total": total(&at_run), "by_service": by_service },
        "cost_usd_per_month_at": at_volumes,
        "transitions_per_execution_mean": t.transitions_per_execution,
        "requests_per_execution_mean": express.then_some(t.requests_per_execution),
        "billed_duration_ms_mean": express.then_some(t.billed_duration_ms_per_execution),
        "gb_seconds_per_execution_mean": express.then_some(t.gb_seconds_per_execution),
        "billed_memory_mb": t.billed_memory_mb,
        "latency_ms": { "p50": t.latency_ms_p50, "p99": t.latency_ms_p99 },
        "step_functions_usd_per_execution": t.cost_per_execution.map(|c| json!({ "mean": c.mean_usd, "p50": c.p50_usd, "p99": c.p99_usd })),
    })
}

/// The comparison as JSON.
pub fn compare_json(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary, volumes: &[f64]) -> String {
    let verdict = verdict(prices, standard, express);
    let v = json!({
        "standard": type_json(prices, standard, volumes, &verdict.cannot_run[0]),
        "express": type_json(prices, express, volumes, &verdict.cannot_run[1]),
        "break_even_executions_per_month": verdict.break_even,
        "reason": verdict.reason,
        "hours_per_month": prices.hours_per_month,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// Picks one count out of a run's outcomes.
type CountOf = fn(&Outcomes) -> u64;

/// The comparison as a table, then the verdict in plain lines.
pub fn compare_text(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary, volumes: &[f64]) -> String {
    let mut out = String::new();
    let row = |out: &mut String, label: &str, a: String, b: String| {
        let _ = writeln!(out, "{label:<40} {a:>16} {b:>16}");
    };
    row(&mut out, "", "standard".into(), express.workflow.into());
    let both = |f: &dyn Fn(&TypeSummary) -> String| (f(standard), f(express));
    let counts: [(&str, CountOf); 6] = [
        ("executions started", |o| o.started),
        ("  succeeded", |o| o.succeeded),
        ("  failed", |o| o.failed),
        ("  timed out", |o| o.timed_out),
        ("  still running at the end", |o| o.running_at_end),
        ("  restarts (at-least-once)", |o| o.restarts),
    ];
    for (label, pick) in counts {
        let (a, b) = both(&|t| format::count(pick(&t.outcomes)));
        row(&mut out, label, a, b);
    }
    let (a, b) = both(&|t| format::percent(t.outcomes.unsuccessful_share()));
    row(&mut out, "failed or timed out (of ended)", a, b);
    let (a, b) = both(&|t| format!("{:.2}", t.transitions_per_execution));
    row(&mut out, "transitions per execution", a, b);
    let (a, b) = both(&|t| {
        if t.workflow == "standard" { "-".into() } else { format::number(t.billed_duration_ms_per_execution, 1) }
    });
    row(&mut out, "billed duration per execution (ms)", a, b);
    let (a, b) = both(&|t| format::number(t.latency_ms_p50, 1));
    row(&mut out, "latency p50 (ms)", a, b);
    let (a, b) = both(&|t| format::number(t.latency_ms_p99, 1));
    row(&mut out, "latency p99 (ms)", a, b);
    let mut all = vec![standard.executions_per_month];
    all.extend_from_slice(volumes);
    for v in all {
        let (a, b) = both(&|t| format::usd(total(&monthly_cost(prices, t, v))));
        row(&mut out, &format!("USD/month at {} executions", format::count(v.round() as u64)), a, b);
    }
    if standard.outcomes.started != express.outcomes.started {
        let _ = writeln!(
            out,
            "started executions differ with the same arrivals: the StartExecution quota throttled {} Standard and {} \
             {} start calls (a caller's SDK retries some, and gives up on others)",
            format::count(standard.outcomes.throttled_starts),
            format::count(express.outcomes.throttled_starts),
            express.title()
        );
    }
    let verdict = verdict(prices, standard, express);
    for line in verdict.cannot_run.iter().flatten() {
        let _ = writeln!(out, "{line}");
    }
    match (verdict.break_even, &verdict.reason) {
        (Some(v), _) => {
            let below =
                total(&monthly_cost(prices, standard, v / 2.0)) <= total(&monthly_cost(prices, express, v / 2.0));
            let (cheap_below, cheap_above) =
                if below { ("standard", express.workflow) } else { (express.workflow, "standard") };
            let _ = writeln!(
                out,
                "break-even: {} executions a month ({cheap_below} is cheaper below it, {cheap_above} above it)",
                format::count(v as u64)
            );
        }
        (None, Some(reason)) => {
            let _ = writeln!(out, "break-even: none ({reason})");
        }
        (None, None) => unreachable!("a verdict without a break-even gives its reason"),
    }
    out
}

/// One type's monthly bill along the volume axis, its legend label, and whether it cannot
/// run the workflow (drawn dashed).
type CostLine = (Vec<(f64, f64)>, String, bool);

/// The chart's data: each type's monthly bill along the volume axis, the two volumes to
/// mark, and each type's outcomes.
struct ChartData<'a> {
    x_range: (f64, f64),
    lines: [CostLine; 2],
    own_volume: f64,
    break_even: Option<f64>,
    outcomes: [(&'a str, Outcomes); 2],
}

/// The volume axis: whole decades around the scenario's own volume and the break-even, at
/// least four decades wide, within 1 to 10^13 executions a month.
pub fn volume_range(own: f64, break_even: Option<f64>) -> (f64, f64) {
    let marks: Vec<f64> = [Some(own), break_even].into_iter().flatten().filter(|v| *v >= 1.0).collect();
    let (lo, hi) = match marks.iter().copied().reduce(f64::min).zip(marks.iter().copied().reduce(f64::max)) {
        Some((lo, hi)) => (lo.log10().floor() - 1.0, hi.log10().ceil() + 1.0),
        None => (3.0, 9.0),
    };
    let (lo, hi) = (lo.max(0.0), hi.min(13.0));
    let hi = hi.max(lo + 4.0).min(13.0);
    let lo = lo.min(hi - 4.0);
    (10f64.powf(lo), 10f64.powf(hi))
}

/// Monthly cost against volume for both types, log-log, with the scenario's own volume and
/// the break-even marked, beside each type's executions by outcome; as SVG and PNG.
pub fn compare_chart(
    prices: &PriceBook,
    standard: &TypeSummary,
    express: &TypeSummary,
) -> Result<super::chart::Chart, String> {
    let verdict = verdict(prices, standard, express);
    let (x_lo, x_hi) = volume_range(standard.executions_per_month, verdict.break_even);
    let steps = 90;
    let volumes: Vec<f64> = (0..=steps)
        .map(|i| 10f64.powf(x_lo.log10() + (x_hi / x_lo).log10() * f64::from(i) / f64::from(steps)))
        .collect();
    let line = |t: &TypeSummary, cannot: &Option<String>| {
        let points = volumes.iter().map(|v| (*v, total(&monthly_cost(prices, t, *v)).max(0.01))).collect();
        let label = if cannot.is_some() { format!("{} (cannot run it)", t.workflow) } else { t.workflow.to_string() };
        (points, label, cannot.is_some())
    };
    let data = ChartData {
        x_range: (x_lo, x_hi),
        lines: [line(standard, &verdict.cannot_run[0]), line(express, &verdict.cannot_run[1])],
        own_volume: standard.executions_per_month,
        break_even: verdict.break_even,
        outcomes: [(standard.workflow, standard.outcomes), (express.workflow, express.outcomes)],
    };
    super::chart::render("cost_vs_volume", (1000, 500), |r| draw_compare(r, &data), |r| draw_compare(r, &data))
}

fn draw_compare<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    d: &ChartData,
) -> Result<(), String> {
    use super::chart::err;
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(680);
    draw_volume(&left, d)?;
    draw_outcomes(&right, d)
}

fn draw_volume<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    d: &ChartData,
) -> Result<(), String> {
    use super::chart::{err, palette};
    let y_max = d.lines.iter().flat_map(|l| l.0.iter()).map(|p| p.1).fold(1.0, f64::max);
    let y_min = d.lines.iter().flat_map(|l| l.0.iter()).map(|p| p.1).fold(f64::INFINITY, f64::min).max(0.01);
    // Half a decade of room below the cheapest bill, so a line at the $0.01 floor is seen.
    let (y_lo, y_hi) = (10f64.powf((y_min.log10() - 0.5).floor()), 10f64.powf((y_max.log10() + 0.3).ceil()));
    let mut chart = ChartBuilder::on(area)
        .caption("Monthly cost against volume", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d((d.x_range.0..d.x_range.1).log_scale(), (y_lo..y_hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("executions per month")
        .y_desc("USD per month")
        .x_label_formatter(&|x| format::count_short(*x))
        .y_label_formatter(&|y| format::usd_short(*y))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for (i, (points, label, cannot)) in d.lines.iter().enumerate() {
        let colour = palette(i);
        let style = colour.stroke_width(2);
        let drawn = if *cannot {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, style)).map_err(err)?
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), style)).map_err(err)?
        };
        drawn.label(label.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    let marks = [(Some(d.own_volume), "this scenario"), (d.break_even, "break-even")];
    for (volume, what) in marks {
        let Some(v) = volume.filter(|v| *v >= d.x_range.0 && *v <= d.x_range.1) else { continue };
        let grey = RGBColor(90, 90, 90);
        chart.draw_series(DashedLineSeries::new([(v, y_lo), (v, y_hi)], 4, 4, grey.stroke_width(1))).map_err(err)?;
        // The label sits inside the plot beside the line, on the side with more room, near
        // the top (the break-even's near the bottom, so the two never overlap).
        let y = if what == "break-even" { y_lo * (y_hi / y_lo).powf(0.06) } else { y_hi / (y_hi / y_lo).powf(0.04) };
        let along = (v / d.x_range.0).log10() / (d.x_range.1 / d.x_range.0).log10();
        let (x, h) = if along > 0.5 { (v / 1.15, HPos::Right) } else { (v * 1.15, HPos::Left) };
        let style = TextStyle::from(("sans-serif", 12).into_font()).color(&grey).pos(Pos::new(h, VPos::Center));
        let text = format!("{what}: {}/month", format::count_short(v));
        chart.draw_series(std::iter::once(Text::new(text, (x, y), style))).map_err(err)?;
    }
    super::chart::legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn draw_outcomes<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    d: &ChartData,
) -> Result<(), String> {
    use super::chart::err;
    let (bars, key) = area.split_vertically(390);
    const PARTS: [(&str, RGBColor); 4] = [
        ("succeeded", RGBColor(44, 160, 44)),
        ("failed", RGBColor(214, 39, 40)),
        ("timed out", RGBColor(255, 127, 14)),
        ("running at the end", RGBColor(160, 160, 160)),
    ];
    let mut chart = ChartBuilder::on(&bars)
        .caption("Executions by outcome", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0f64..2.0, 0.0f64..110.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_desc("% of executions")
        .y_label_formatter(&|y| if *y <= 100.0 { format!("{y:.0}") } else { String::new() })
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for (i, (workflow, o)) in d.outcomes.iter().enumerate() {
        let all = (o.ended() + o.running_at_end).max(1) as f64;
        let x = i as f64;
        let mut bottom = 0.0;
        for ((_, colour), n) in PARTS.iter().zip([o.succeeded, o.failed, o.timed_out, o.running_at_end]) {
            let top = bottom + n as f64 / all * 100.0;
            chart
                .draw_series(std::iter::once(Rectangle::new([(x + 0.2, bottom), (x + 0.8, top)], colour.filled())))
                .map_err(err)?;
            bottom = top;
        }
        let style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
        let label = Text::new(workflow.to_string(), (x + 0.5, 106.0), style);
        chart.draw_series(std::iter::once(label)).map_err(err)?;
    }
    for (i, (name, colour)) in PARTS.iter().enumerate() {
        let (x, y) = (60, 8 + i as i32 * 24);
        key.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], colour.filled())).map_err(err)?;
        key.draw(&Text::new(name.to_string(), (x + 20, y), ("sans-serif", 13))).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(workflow: &'static str, outcomes: Outcomes) -> TypeSummary {
        TypeSummary {
            workflow,
            outcomes,
            transitions_per_execution: 5.0,
            requests_per_execution: 1.0,
            gb_seconds_per_execution: 0.01,
            billed_duration_ms_per_execution: 200.0,
            billed_memory_mb: (workflow != "standard").then_some(64),
            latency_ms_p50: 100.0,
            latency_ms_p99: 200.0,
            cost_per_execution: None,
            usd_per_month_by_service: Vec::new(),
            executions_per_month: 1e6,
        }
    }

    fn ended(succeeded: u64, failed: u64, timed_out: u64) -> Outcomes {
        Outcomes { started: succeeded + failed + timed_out, succeeded, failed, timed_out, ..Outcomes::default() }
    }

    #[test]
    fn a_type_that_fails_more_than_a_point_above_the_other_cannot_run_the_workflow() {
        let prices = crate::scenario::shipped_price_book();
        let standard = summary("standard", ended(990, 10, 0));
        let express = summary("express_sync", ended(960, 40, 0));
        let v = verdict(&prices, &standard, &express);
        assert_eq!(v.break_even, None);
        assert_eq!(
            v.reason.as_deref(),
            Some(
                "Express sync cannot run this workflow as Standard does: 4 % of its executions fail or time out, against 1 %"
            )
        );
        assert_eq!(v.cannot_run[0], None);
        // Within a point of each other, both run it and the break-even stands.
        let express = summary("express_async", ended(985, 15, 0));
        let v = verdict(&prices, &standard, &express);
        assert_eq!(v.cannot_run, [None, None]);
        assert!(v.break_even.is_some(), "{v:?}");
    }

    #[test]
    fn a_share_of_executions_past_the_type_limit_is_named_with_the_limit() {
        let standard = summary("standard", ended(1_000, 0, 0));
        let mut outcomes = ended(750, 0, 250);
        outcomes.timed_out_at_type_limit = 250;
        let express = summary("express_async", outcomes);
        assert_eq!(
            cannot_run(&express, &standard).as_deref(),
            Some("Express cannot run this workflow: 25 % of executions exceed the 5-minute limit")
        );
    }

    #[test]
    fn no_break_even_without_an_execution_that_ended() {
        let mut outcomes = ended(0, 0, 0);
        outcomes.running_at_end = 1_200;
        let standard = summary("standard", outcomes);
        let express = summary("express_async", ended(1_000, 0, 0));
        let v = verdict(&crate::scenario::shipped_price_book(), &standard, &express);
        assert_eq!(v.break_even, None);
        let reason = v.reason.unwrap();
        assert!(reason.starts_with("no Standard execution ended within the run (1,200 still running"), "{reason}");
    }

    #[test]
    fn the_volume_axis_spans_the_scenario_and_the_break_even() {
        assert_eq!(volume_range(52_674_676.0, Some(538.0)), (10.0, 1e9));
        assert_eq!(volume_range(13e6, None), (1e6, 1e10));
        // At least four decades, within 1 to 10^13.
        assert_eq!(volume_range(5.0, None), (1.0, 1e4));
        assert_eq!(volume_range(5e12, None), (1e9, 1e13));
    }
}
