//! `orchsim compare`: one state machine run as Standard and as Express on the same draws
//! (common random numbers), and what each costs a month at any volume.
//!
//! The per-execution usage comes from the runs: Standard bills its mean transitions per
//! execution; Express its requests and GB-seconds per execution. At a volume V the month's
//! Step Functions bill is priced from V × that usage (free tier and tiers at that volume);
//! the other services the workflow calls (Lambda, SNS, SQS) cost the same under both types
//! and scale with V from the run's own monthly figure. A month is 730 hours, as the AWS
//! Pricing Calculator counts.

use std::fmt::Write;

use plotters::prelude::*;
use serde_json::{Map, Value, json};

use crate::pricing::{self, PriceBook, StepFunctionsUsage};
use crate::run::RunResult;

/// What one workflow type's run says per execution.
#[derive(Clone, Debug)]
pub struct TypeSummary {
    pub workflow: &'static str,
    pub executions: u64,
    pub transitions_per_execution: f64,
    pub requests_per_execution: f64,
    pub gb_seconds_per_execution: f64,
    pub billed_memory_mb: Option<u64>,
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    /// Step Functions charges of one execution at the marginal prices.
    pub cost_per_execution: Option<crate::metrics::CostSummary>,
    /// Per month at the run's own volume, by service.
    pub usd_per_month_by_service: Vec<(String, f64)>,
    pub executions_per_month: f64,
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
    let counter =
        |key: &str| m.counters.iter().find(|(k, _)| k == &format!("step_functions.{name}.{key}")).map_or(0, |c| c.1);
    let gauge =
        |key: &str| m.gauges.iter().find(|(k, _)| k == &format!("step_functions.{name}.{key}")).map_or(0.0, |g| g.1);
    let executions = counter("succeeded") + counter("failed") + counter("timed_out");
    let per = |x: f64| if executions == 0 { 0.0 } else { x / executions as f64 };
    let latency =
        m.latencies.iter().find(|(k, _)| k == &format!("step_functions.{name}.duration")).map(|(_, h)| h.summary());
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
        executions,
        transitions_per_execution: per(counter("transitions") as f64),
        // Each finished execution was one StartExecution plus its restarts; counting started
        // requests instead would charge the executions still running when the window closed.
        requests_per_execution: if executions == 0 { 0.0 } else { 1.0 + per(counter("restarts") as f64) },
        gb_seconds_per_execution: per(gauge("gb_seconds")),
        billed_memory_mb,
        cost_per_execution: m
            .costs_per_execution
            .iter()
            .find(|(k, _)| k == &format!("step_functions.{name}.cost_per_execution"))
            .map(|(_, h)| h.summary()),
        latency_ms_p50: latency.map_or(0.0, |l| l.p50_ms),
        latency_ms_p99: latency.map_or(0.0, |l| l.p99_ms),
        usd_per_month_by_service: by_service,
        executions_per_month: if months > 0.0 { executions as f64 / months } else { 0.0 },
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
        pricing::step_functions_lines(&prices.step_functions, month, &[usage]).iter().map(|l| l.usd_per_month).sum();
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

fn type_json(prices: &PriceBook, t: &TypeSummary, volumes: &[f64]) -> Value {
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
    let billed_ms = match t.billed_memory_mb {
        Some(mb) if t.requests_per_execution > 0.0 => {
            Some(t.gb_seconds_per_execution / t.requests_per_execution / (mb as f64 / 1024.0) * 1_000.0)
        }
        _ => None,
    };
    json!({
        "executions_simulated": t.executions,
        "executions_per_month": t.executions_per_month,
        "cost_usd_per_month": { "total": total(&at_run), "by_service": by_service },
        "cost_usd_per_month_at": at_volumes,
        "transitions_per_execution_mean": t.transitions_per_execution,
        "billed_duration_ms_mean": billed_ms,
        "billed_memory_mb": t.billed_memory_mb,
        "latency_ms": { "p50": t.latency_ms_p50, "p99": t.latency_ms_p99 },
        "step_functions_usd_per_execution": t.cost_per_execution.map(|c| json!({ "mean": c.mean_usd, "p50": c.p50_usd, "p99": c.p99_usd })),
    })
}

/// The comparison as JSON.
pub fn compare_json(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary, volumes: &[f64]) -> String {
    let v = json!({
        "standard": type_json(prices, standard, volumes),
        "express": type_json(prices, express, volumes),
        "break_even_executions_per_month": break_even(prices, standard, express),
        "hours_per_month": prices.hours_per_month,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// The comparison as a table.
pub fn compare_text(prices: &PriceBook, standard: &TypeSummary, express: &TypeSummary, volumes: &[f64]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<34} {:>16} {:>16}", "", "standard", express.workflow);
    let row = |out: &mut String, label: &str, a: String, b: String| {
        let _ = writeln!(out, "{label:<34} {a:>16} {b:>16}");
    };
    row(&mut out, "executions simulated", standard.executions.to_string(), express.executions.to_string());
    row(
        &mut out,
        "transitions per execution",
        format!("{:.2}", standard.transitions_per_execution),
        format!("{:.2}", express.transitions_per_execution),
    );
    row(
        &mut out,
        "latency p50 (ms)",
        format!("{:.1}", standard.latency_ms_p50),
        format!("{:.1}", express.latency_ms_p50),
    );
    row(
        &mut out,
        "latency p99 (ms)",
        format!("{:.1}", standard.latency_ms_p99),
        format!("{:.1}", express.latency_ms_p99),
    );
    let own = standard.executions_per_month;
    let mut all = vec![own];
    all.extend_from_slice(volumes);
    for v in all {
        let (a, b) = (monthly_cost(prices, standard, v), monthly_cost(prices, express, v));
        row(
            &mut out,
            &format!("USD/month at {v:.0} executions"),
            format!("{:.2}", total(&a)),
            format!("{:.2}", total(&b)),
        );
    }
    match break_even(prices, standard, express) {
        Some(v) => {
            let below =
                total(&monthly_cost(prices, standard, v / 2.0)) <= total(&monthly_cost(prices, express, v / 2.0));
            let (cheap_below, cheap_above) =
                if below { ("standard", express.workflow) } else { (express.workflow, "standard") };
            let _ = writeln!(
                out,
                "break-even: {v:.0} executions a month ({cheap_below} is cheaper below it, {cheap_above} above it)"
            );
        }
        None => {
            let _ = writeln!(out, "break-even: none (one type is cheaper at every volume)");
        }
    }
    out
}

/// Monthly cost against volume for both types, log-log, as SVG and PNG.
pub fn compare_chart(
    prices: &PriceBook,
    standard: &TypeSummary,
    express: &TypeSummary,
) -> Result<super::chart::Chart, String> {
    let volumes: Vec<f64> = (0..=90).map(|i| 10f64.powf(3.0 + f64::from(i) * 0.1)).collect();
    let series = |t: &TypeSummary| -> Vec<(f64, f64)> {
        volumes.iter().map(|v| (*v, total(&monthly_cost(prices, t, *v)).max(0.01))).collect()
    };
    let (s, e) = (series(standard), series(express));
    let label = express.workflow;
    super::chart::render(
        "cost_vs_volume",
        (800, 500),
        |r| draw_volume(r, &s, &e, label),
        |r| draw_volume(r, &s, &e, label),
    )
}

fn draw_volume<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    s: &[(f64, f64)],
    e: &[(f64, f64)],
    express: &str,
) -> Result<(), String> {
    use super::chart::err;
    let y_max = s.iter().chain(e).map(|p| p.1).fold(1.0, f64::max);
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .caption("Monthly cost against volume", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((1e3f64..1e12f64).log_scale(), (0.01f64..y_max * 2.0).log_scale())
        .map_err(err)?;
    chart.configure_mesh().x_desc("executions per month").y_desc("USD per month").draw().map_err(err)?;
    chart
        .draw_series(LineSeries::new(s.iter().copied(), &BLUE))
        .map_err(err)?
        .label("standard")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(e.iter().copied(), &RED))
        .map_err(err)?
        .label(express)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart.configure_series_labels().border_style(BLACK).draw().map_err(err)?;
    Ok(())
}
