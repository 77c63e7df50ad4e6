//! The compact console summary a k6 or wrk2 user expects: outcome, latency percentiles per
//! path, the counters that matter, and cost by service.

use std::fmt::Write;

use crate::run::RunResult;
use crate::scenario::Scenario;

/// Counters shown on the console (all of them are in summary.json).
const SHOWN_COUNTERS: [&str; 9] = [
    "sent",
    "deleted",
    "moved_to_dlq",
    "expired",
    "empty_receives",
    "billed_requests",
    "visible_at_end",
    "processed",
    "failed",
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
    let width = m.latencies.iter().map(|(n, _)| n.len()).max().unwrap_or(10).max(26);
    let _ = writeln!(
        out,
        "\n{:width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "latency (ms)", "count", "mean", "p50", "p90", "p99", "p99.9", "max"
    );
    for (name, h) in &m.latencies {
        let s = h.summary();
        let _ = writeln!(
            out,
            "{name:width$} {:>10} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            s.count, s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms
        );
    }
    let _ = writeln!(out, "\n{:width$} {:>14}", "counters", "value");
    for (name, v) in &m.counters {
        if SHOWN_COUNTERS.iter().any(|c| name.ends_with(&format!(".{c}"))) {
            let _ = writeln!(out, "{name:width$} {v:>14}");
        }
    }
    let _ = writeln!(out, "\n{:width$} {:>14}", "time averages", "value");
    for (name, v) in &m.gauges {
        let _ = writeln!(out, "{name:width$} {v:>14.3}");
    }
    let _ = writeln!(out, "\n{:width$} {:>14} {:>14}", "cost (USD)", "window", "per month");
    let mut total = (0.0, 0.0);
    for c in &result.costs {
        let label = format!("{} {}", c.resource, c.usage_unit);
        let _ = writeln!(out, "{label:width$} {:>14.4} {:>14.2}", c.usd_window, c.usd_per_month);
        total.0 += c.usd_window;
        total.1 += c.usd_per_month;
    }
    let _ = writeln!(out, "{:width$} {:>14.4} {:>14.2}", "total", total.0, total.1);
    out
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{}", v as i64) } else { format!("{v:.3}") }
}
