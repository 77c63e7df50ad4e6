//! Results as people and programs read them: the console summary table, `summary.json`,
//! `latency.csv`, `timeseries.csv`, `cost.csv` and `manifest.json`, written atomically.
//!
//! Everything except the manifest is a function of the run alone, so the same scenario and
//! seed give byte-identical files. The manifest records where a result came from (version,
//! commit, scenario hash, command line), which differs between machines by design.

mod backtest_chart;
pub mod chart;
mod run_report;
mod sweep_report;

pub use backtest_chart::{Comparison, backtest_chart};
pub use sweep_report::{ChartDrawing, PointStats, SweepView, svg_body, sweep_chart_drawings, sweep_charts, sweep_html};
pub mod compare;
mod explain;
mod files;
pub mod format;
mod matching;
mod table;
pub mod warnings;

pub use explain::{explain_json, explain_text, subscription_policy};
pub use files::{
    ResultFiles, is_stale_staging, prepare_folder, prepare_run_folder, remove_stale_staging_now, write_atomically,
};
pub use matching::{match_json, match_text};
pub use table::summary_table;
pub use warnings::{Warning, WarningKind};

/// The script at the end of every report.html that checks, in the browser, that each chart
/// drew and each image loaded, and writes the count on `<body data-charts-ok="N/M">`.
pub const PAGE_CHECK: &str = include_str!("page_check.js");

use serde_json::{Map, Value, json};

use crate::pricing::CostLine;
use crate::run::RunResult;
use crate::scenario::{Scenario, Traffic};

/// The orchsim version and, when it was built from a git checkout, the commit.
pub fn version() -> (&'static str, Option<&'static str>) {
    (env!("CARGO_PKG_VERSION"), option_env!("ORCHSIM_GIT_COMMIT"))
}

/// Renders every result file of one run: the data, then the charts and the page drawn from
/// it.
pub fn render(scenario: &Scenario, result: &RunResult, command_line: &[String]) -> ResultFiles {
    let mut files = vec![
        ("manifest.json".into(), manifest_json(scenario, result, command_line)),
        ("summary.json".into(), summary_json(scenario, result)),
        ("latency.csv".into(), files::latency_csv(result)),
        ("timeseries.csv".into(), files::timeseries_csv(result)),
        ("cost.csv".into(), files::cost_csv(scenario, result)),
        ("cost_per_execution.csv".into(), files::cost_per_execution_csv(result)),
        ("scenario.toml".into(), scenario.text.clone()),
    ];
    for (name, h) in &result.measurements.latencies {
        if h.count() > 0 {
            files.push((format!("histograms/{name}.hgrm"), h.hgrm()));
        }
    }
    let mut out = ResultFiles { files, binary: Vec::new() };
    add_views(&mut out);
    out
}

/// Adds the charts (SVG and PNG) and `report.html`, drawn from the data files.
fn add_views(out: &mut ResultFiles) {
    let data: run_report::Files = out.files.iter().cloned().collect();
    let charts = run_report::run_charts(&data);
    let html = run_report::run_html(&data, &charts);
    for c in charts {
        out.files.push((format!("charts/{}.svg", c.name), c.svg));
        out.binary.push((format!("charts/{}.png", c.name), c.png));
    }
    out.files.push(("report.html".into(), html));
}

/// `orchsim chart` on a run's folder: its charts and page drawn again from its data files
/// (any earlier charts and page are replaced).
pub fn redraw_run(dir: &std::path::Path) -> std::io::Result<ResultFiles> {
    let mut files = Vec::new();
    for name in ["manifest.json", "summary.json", "latency.csv", "timeseries.csv", "cost.csv", "cost_per_execution.csv"]
    {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            files.push((name.to_string(), text));
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("histograms")) {
        let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        for n in names {
            files.push((format!("histograms/{n}"), std::fs::read_to_string(dir.join("histograms").join(&n))?));
        }
    }
    let mut out = ResultFiles { files, binary: Vec::new() };
    let data_files = out.files.len();
    add_views(&mut out);
    out.files.drain(..data_files);
    Ok(out)
}

fn manifest_json(scenario: &Scenario, result: &RunResult, command_line: &[String]) -> String {
    let (version, commit) = version();
    let v = json!({
        "orchsim_version": version,
        "git_commit": commit,
        "scenario": scenario.file,
        "scenario_sha256": scenario.source_sha256,
        "seed": result.seed,
        "overrides": scenario.overrides,
        "command_line": command_line,
        "prices_as_of": scenario.pricing.book().as_of,
        "prices_region": scenario.pricing.region,
        "price_books": price_books_json(&scenario.pricing),
        "priced_in_own_region": scenario.pricing.resource_regions,
        "warnings": scenario.warnings,
    });
    pretty(&v)
}

/// Every Region's book the scenario was priced with: its date and where its prices came from.
fn price_books_json(pricing: &crate::pricing::Pricing) -> Value {
    let books: Vec<Value> =
        pricing.books.values().map(|b| json!({ "region": b.region, "as_of": b.as_of, "sources": b.sources })).collect();
    Value::Array(books)
}

/// `summary.json`: the run's outcome, every latency summary, counter, gauge and cost.
pub fn summary_json(scenario: &Scenario, result: &RunResult) -> String {
    let m = &result.measurements;
    let mut latency = Map::new();
    // A metric with nothing recorded has no mean or percentiles: null, not 0 ms.
    let figure = |count: u64, v: f64| if count == 0 { Value::Null } else { json!(v) };
    for (name, h) in &m.latencies {
        let s = h.summary();
        let f = |v| figure(s.count, v);
        latency.insert(
            name.clone(),
            json!({
                "count": s.count, "mean": f(s.mean_ms), "p50": f(s.p50_ms), "p90": f(s.p90_ms),
                "p99": f(s.p99_ms), "p999": f(s.p999_ms), "max": f(s.max_ms),
            }),
        );
    }
    let mut per_execution = Map::new();
    for (name, h) in &m.costs_per_execution {
        let s = h.summary();
        let f = |v| figure(s.count, v);
        per_execution.insert(
            name.clone(),
            json!({
                "count": s.count, "mean": f(s.mean_usd), "p50": f(s.p50_usd), "p90": f(s.p90_usd),
                "p99": f(s.p99_usd), "max": f(s.max_usd),
            }),
        );
    }
    let warnings: Vec<Value> = warnings::warnings(scenario, result)
        .into_iter()
        .map(|w| json!({ "kind": w.kind.code(), "element": w.element, "message": w.message }))
        .collect();
    let counters: Map<String, Value> = m.counters.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let gauges: Map<String, Value> = m.gauges.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let v = json!({
        "scenario": scenario.name,
        "seed": result.seed,
        "stop_reason": result.outcome.stop_reason.as_str(),
        "sim_time_s": result.outcome.end_time.as_secs_f64(),
        "warmup_s": result.warmup.as_secs_f64(),
        "measured_s": result.measured_s,
        "events": result.outcome.events,
        "latency_ms": latency,
        "cost_per_execution_usd": per_execution,
        "counters": counters,
        "gauges": gauges,
        "cost_usd": cost_json(scenario, &result.costs),
        "cost_basis": cost_basis_json(scenario, result),
        "warnings": warnings,
        "audit": audit_json(result),
    });
    pretty(&v)
}

/// The conservation audit: per entity, the terms in and out and whether they balance.
fn audit_json(result: &RunResult) -> Value {
    let mut out = Map::new();
    for b in &result.measurements.audit {
        let terms =
            |t: &[(&str, u64)]| -> Map<String, Value> { t.iter().map(|(k, v)| (k.to_string(), json!(v))).collect() };
        out.insert(
            b.entity.clone(),
            json!({ "in": terms(&b.inflow), "out": terms(&b.outflow), "balanced": b.is_balanced() }),
        );
    }
    Value::Object(out)
}

/// The entities whose audit does not balance, worded for an error message.
pub fn audit_failures(result: &RunResult) -> Vec<String> {
    result
        .measurements
        .audit
        .iter()
        .filter(|b| !b.is_balanced())
        .map(|b| {
            let show = |t: &[(&str, u64)]| t.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(" + ");
            format!("{}: in {} ≠ out {}", b.entity, show(&b.inflow), show(&b.outflow))
        })
        .collect()
}

/// Totals per service and overall for the run's window, and, for steady traffic only, the
/// same projected to a month (`SERVICE_per_month`, `total_per_month`).
fn cost_json(scenario: &Scenario, lines: &[CostLine]) -> Value {
    let steady = scenario.run.traffic.traffic == Traffic::Steady;
    let mut out = Map::new();
    let mut total = (0.0, 0.0);
    for line in lines {
        let window = out.entry(line.service.clone()).or_insert(json!(0.0));
        *window = json!(window.as_f64().unwrap_or(0.0) + line.usd_window);
        if steady {
            let month = out.entry(format!("{}_per_month", line.service)).or_insert(json!(0.0));
            *month = json!(month.as_f64().unwrap_or(0.0) + line.usd_per_month);
        }
        total.0 += line.usd_window;
        total.1 += line.usd_per_month;
    }
    out.insert("total".into(), json!(total.0));
    if steady {
        out.insert("total_per_month".into(), json!(total.1));
    }
    Value::Object(out)
}

/// What the cost figures stand for: the run's window, and whether and how they are
/// projected to a month.
fn cost_basis_json(scenario: &Scenario, result: &RunResult) -> Value {
    let basis = &scenario.run.traffic;
    let hours = scenario.pricing.hours_per_month();
    let projection = (basis.traffic == Traffic::Steady).then(|| monthly_basis(hours));
    json!({
        "window_s": result.measured_s,
        "traffic": basis.traffic.as_str(),
        "declared": basis.declared,
        "reason": basis.reason,
        "hours_per_month": hours,
        "monthly_projection": projection,
    })
}

/// The basis of a monthly figure, said wherever one is shown.
pub fn monthly_basis(hours_per_month: f64) -> String {
    format!("if this traffic ran all month ({} hours)", format::tick(hours_per_month))
}

/// Every reported figure of a run under one flat name, as thresholds, sweeps and diffs
/// address them: `NAME.p99_ms` (and `count`, `mean_ms`, `p50_ms`, `p90_ms`, `p999_ms`,
/// `max_ms`) for a latency, `NAME.mean_usd` (and `p50_usd`, `p90_usd`, `p99_usd`,
/// `max_usd`) for a cost per execution, a counter's or gauge's own name, and
/// `cost_usd.SERVICE`, `cost_usd.total`, and for steady traffic `cost_usd.SERVICE_per_month`
/// and `cost_usd.total_per_month`. Sorted by name.
///
/// A latency or cost per execution with no samples has a `count` of 0 and NaN for each of
/// its other figures: it has no mean or percentile, and a 0 there would let a threshold
/// such as `p99_ms < 2000` pass on a run that measured nothing, and pull a sweep point's
/// mean down. (JSON writes NaN as `null`, a CSV leaves the cell empty.)
pub fn flat_metrics(scenario: &Scenario, result: &RunResult) -> Vec<(String, f64)> {
    let m = &result.measurements;
    let mut out: Vec<(String, f64)> = Vec::new();
    for (name, h) in &m.latencies {
        let s = h.summary();
        out.push((format!("{name}.count"), s.count as f64));
        let figures = [
            ("mean_ms", s.mean_ms),
            ("p50_ms", s.p50_ms),
            ("p90_ms", s.p90_ms),
            ("p99_ms", s.p99_ms),
            ("p999_ms", s.p999_ms),
            ("max_ms", s.max_ms),
        ];
        out.extend(figures.map(|(key, v)| (format!("{name}.{key}"), if s.count == 0 { f64::NAN } else { v })));
    }
    for (name, h) in &m.costs_per_execution {
        let s = h.summary();
        let figures = [
            ("mean_usd", s.mean_usd),
            ("p50_usd", s.p50_usd),
            ("p90_usd", s.p90_usd),
            ("p99_usd", s.p99_usd),
            ("max_usd", s.max_usd),
        ];
        out.extend(figures.map(|(key, v)| (format!("{name}.{key}"), if s.count == 0 { f64::NAN } else { v })));
    }
    out.extend(m.counters.iter().map(|(k, v)| (k.clone(), *v as f64)));
    out.extend(m.gauges.iter().map(|(k, v)| (k.clone(), *v)));
    if let Value::Object(costs) = cost_json(scenario, &result.costs) {
        out.extend(costs.iter().map(|(k, v)| (format!("cost_usd.{k}"), v.as_f64().unwrap_or(0.0))));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    s.push('\n');
    s
}
