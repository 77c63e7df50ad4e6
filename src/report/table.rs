//! The compact console summary a k6 or wrk2 user expects: outcome, latency percentiles per
//! path, the counters that matter, and cost by service.

use std::fmt::Write;

use super::format;
use crate::run::RunResult;
use crate::scenario::{Scenario, Traffic};

/// Counters shown on the console when they are not zero (all of them are in
/// summary.json); the first three are shown always.
const SHOWN_COUNTERS: [&str; 49] = [
    "sent",
    "deleted",
    "billed_requests",
    "published",
    "put_events",
    "deduplicated",
    "throttled_sends",
    "rejected_oversize",
    "send_rejected",
    "from_buses",
    "not_forwarded",
    "throttled",
    "send_gave_up",
    "duplicates",
    "moved_to_dlq",
    "redriven_out",
    "expired",
    "empty_receives",
    "visible_at_end",
    "processed",
    "failed",
    "invocations",
    "cold_starts",
    "throttles",
    "instances_launched",
    "errors",
    "timeouts",
    "delivered",
    "retries",
    "dead_lettered",
    "dropped",
    "filtered_out",
    "in_flight_at_end",
    "started",
    "timed_out",
    "timed_out_at_type_limit",
    "running_at_end",
    "restarts",
    "throttled_starts",
    "throttled_transitions",
    "throttled_api_calls",
    "queued_at_end",
    "accepted_emails",
    "rate_throttles",
    "daily_throttles",
    "email_throttled",
    "email_gave_up",
    "acknowledged",
    "redelivered",
];

pub fn summary_table(scenario: &Scenario, result: &RunResult) -> String {
    let mut out = String::new();
    let o = &result.outcome;
    let _ = writeln!(
        out,
        "{}  seed {}  stopped: {} at {} s virtual ({} s measured after {} s warm-up), {} events",
        scenario.name,
        result.seed,
        o.stop_reason.as_str(),
        num(o.end_time.as_secs_f64()),
        num(result.measured_s),
        num(result.warmup.as_secs_f64()),
        o.events
    );
    let m = &result.measurements;
    let is_shown = |name: &str, v: u64| {
        let i = SHOWN_COUNTERS.iter().position(|c| name.ends_with(&format!(".{c}")));
        // A state machine's executions by outcome; a worker pool's successes are its
        // `processed` less `failed`, already shown.
        let outcome = name.starts_with("step_functions.") && name.ends_with(".succeeded");
        match i {
            Some(i) if i < 3 => true,
            Some(_) => v != 0,
            None => outcome && v != 0,
        }
    };
    let labels = m.latencies.iter().map(|(n, _)| n.len()).chain(m.gauges.iter().map(|(n, _)| n.len()));
    let labels = labels.chain(m.counters.iter().filter(|(n, v)| is_shown(n, *v)).map(|(n, _)| n.len()));
    let cost_labels = result.costs.iter().map(|c| c.resource.len() + 1 + c.usage_unit.len());
    let width = labels.chain(cost_labels).max().unwrap_or(10).max(26);
    let _ = writeln!(
        out,
        "\n{:width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "latency (ms)", "count", "mean", "p50", "p90", "p99", "p99.9", "max"
    );
    for (name, h) in &m.latencies {
        let s = h.summary();
        let figures = [s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms].map(|v| figure(s.count, v, 1));
        let _ = writeln!(out, "{name:width$} {:>10} {}", s.count, columns(&figures));
    }
    if !m.costs_per_execution.is_empty() {
        let _ = writeln!(
            out,
            "\n{:width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "cost per execution (USD)", "count", "mean", "p50", "p90", "p99", "max"
        );
        for (name, h) in &m.costs_per_execution {
            let s = h.summary();
            let figures = [s.mean_usd, s.p50_usd, s.p90_usd, s.p99_usd, s.max_usd].map(|v| figure(s.count, v, 7));
            let _ = writeln!(out, "{name:width$} {:>10} {}", s.count, columns(&figures));
        }
    }
    let _ = writeln!(out, "\n{:width$} {:>14}", "counters", "value");
    for (name, v) in &m.counters {
        if is_shown(name, *v) {
            let _ = writeln!(out, "{name:width$} {v:>14}");
        }
    }
    let _ = writeln!(out, "\n{:width$} {:>14}", "time averages", "value");
    for (name, v) in &m.gauges {
        let _ = writeln!(out, "{name:width$} {v:>14.3}");
    }
    cost_table(&mut out, scenario, result, width);
    let warnings = super::warnings::warnings(scenario, result);
    if !warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings");
        for w in &warnings {
            let _ = writeln!(out, "  {} [{}]: {}", w.element, w.kind.code(), w.message);
        }
    }
    out
}

/// The run's own cost by resource first; beside it, for steady traffic only, the month it
/// would make, with that basis said under the table.
fn cost_table(out: &mut String, scenario: &Scenario, result: &RunResult, width: usize) {
    let basis = &scenario.run.traffic;
    let steady = basis.traffic == Traffic::Steady;
    let this_run = format!("this run ({} s)", format::tick((result.measured_s * 10.0).round() / 10.0));
    if steady {
        let _ = writeln!(out, "\n{:width$} {:>20} {:>14}", "cost (USD)", this_run, "per month*");
    } else {
        let _ = writeln!(out, "\n{:width$} {:>20}", "cost (USD)", this_run);
    }
    let mut total = (0.0, 0.0);
    for c in &result.costs {
        let label = format!("{} {}", c.resource, c.usage_unit);
        cost_row(out, &label, (c.usd_window, c.usd_per_month), steady, width);
        total.0 += c.usd_window;
        total.1 += c.usd_per_month;
    }
    cost_row(out, "total", total, steady, width);
    if steady {
        let _ = writeln!(
            out,
            "* per month: {}; steady traffic ({})",
            super::monthly_basis(scenario.pricing.hours_per_month()),
            basis.reason
        );
    } else if basis.declared {
        let _ = writeln!(out, "no monthly projection: a one-off run ({})", basis.reason);
    } else {
        let _ = writeln!(
            out,
            "no monthly projection: a one-off run ({}); if this traffic repeats all month, say so with [run] traffic = \"steady\"",
            basis.reason
        );
    }
}

fn cost_row(out: &mut String, label: &str, (window, month): (f64, f64), steady: bool, width: usize) {
    if steady {
        let _ = writeln!(out, "{label:width$} {:>20} {:>14}", format::number(window, 4), format::number(month, 2));
    } else {
        let _ = writeln!(out, "{label:width$} {:>20}", format::number(window, 4));
    }
}

/// A mean or percentile with `decimals` decimals, or `–` when nothing was recorded.
fn figure(count: u64, v: f64, decimals: usize) -> String {
    if count == 0 { "–".into() } else { format!("{v:.decimals$}") }
}

/// Figures right-aligned in columns of 10.
fn columns(figures: &[String]) -> String {
    figures.iter().map(|f| format!("{f:>10}")).collect::<Vec<_>>().join(" ")
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{}", v as i64) } else { format!("{v:.3}") }
}
