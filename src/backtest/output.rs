//! A backtest's result folder: the run's own files (as `orchsim run` writes them), then
//! `backtest.json`, one chart per metric compared (`charts/backtest-NN.svg` and `.png`),
//! and a "Backtest" section at the top of `report.html`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::report::{self, ResultFiles};
use crate::run::RunResult;
use crate::scenario::Scenario;

use super::observed::{Stat, format_timestamp};
use super::{Backtest, Compared};

/// Every file of the folder.
pub fn render(scenario: &Scenario, result: &RunResult, b: &Backtest, command_line: &[String]) -> ResultFiles {
    let mut files = report::render(scenario, result, command_line);
    let mut charts = Vec::new();
    for (i, m) in b.metrics.iter().enumerate() {
        if let Some(c) = chart(i, m, b) {
            charts.push(c);
        }
    }
    files.files.push(("backtest.json".into(), json_text(b)));
    let section = html_section(b, &charts);
    if let Some((_, page)) = files.files.iter_mut().find(|(n, _)| n == "report.html") {
        let at = page.find("</h1>").map_or(0, |i| i + "</h1>".len());
        page.insert_str(at, &section);
    }
    for c in charts {
        files.files.push((format!("charts/{}.svg", c.name), c.svg));
        files.binary.push((format!("charts/{}.png", c.name), c.png));
    }
    files
}

fn unit_word(m: &Compared) -> &'static str {
    match (m.observed.metric.unit, m.observed.stat) {
        ("Seconds", _) => "seconds",
        ("Milliseconds", Stat::SampleCount) => "count",
        ("Milliseconds", _) => "milliseconds",
        _ => "count",
    }
}

fn chart(i: usize, m: &Compared, b: &Backtest) -> Option<report::chart::Chart> {
    let minutes = |points: &[(i64, f64)]| -> Vec<(f64, f64)> {
        points.iter().map(|(t, v)| ((t - b.window.start) as f64 / 60.0, *v)).collect()
    };
    let name = format!("backtest-{:02}", i + 1);
    let (observed, simulated, x_desc, y_desc, title) = match &m.cdf {
        Some((observed, simulated)) => (
            observed.clone(),
            simulated.clone(),
            format!("{} ({})", m.observed.metric.name, unit_word(m)),
            "share of invocations at or below".to_string(),
            format!("{} distribution of {}", m.observed.metric.name, m.observed.element),
        ),
        None => (
            minutes(&m.observed.points),
            minutes(&m.simulated),
            "minutes since the window's start".to_string(),
            format!("{} ({})", m.observed.stat.name(), unit_word(m)),
            format!("{} {} of {}", m.observed.metric.name, m.observed.stat.name(), m.observed.element),
        ),
    };
    let c = report::Comparison {
        name: &name,
        title: &title,
        x_desc: &x_desc,
        y_desc: &y_desc,
        observed: &observed,
        simulated: &simulated,
        periods: m.cdf.is_none(),
    };
    report::backtest_chart(&c).ok()
}

/// The value at or above which a share `p` of a distribution function lies.
fn quantile(cdf: &[(f64, f64)], p: f64) -> Option<f64> {
    cdf.iter().find(|c| c.1 >= p - 1e-12).map(|c| c.0)
}

/// A distribution's p50, p90 and p99, in its unit.
fn quantiles_json(cdf: &[(f64, f64)]) -> Value {
    json!({"p50": quantile(cdf, 0.5), "p90": quantile(cdf, 0.9), "p99": quantile(cdf, 0.99)})
}

fn points_json(points: &[(i64, f64)]) -> Value {
    Value::Array(points.iter().map(|(t, v)| json!([format_timestamp(*t), v])).collect())
}

fn json_text(b: &Backtest) -> String {
    let metrics: Vec<Value> = b
        .metrics
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "metric": m.observed.metric.name,
                "element": m.observed.element,
                "statistic": m.observed.stat.name(),
                "unit": m.observed.metric.unit,
                "file": m.observed.file,
                "place": m.observed.place,
                "format": m.observed.format,
                "measure": m.measure.name(),
                "value": round(m.value),
                "tolerance_pct": m.tolerance_pct,
                "pass": m.pass,
                "points_compared": m.points,
                "ks_distance": m.ks_distance.map(round),
                "observed": match &m.cdf {
                    Some((o, _)) => quantiles_json(o),
                    None => points_json(&m.observed.points),
                },
                "simulated": match &m.cdf {
                    Some((_, s)) => quantiles_json(s),
                    None => points_json(&m.simulated),
                },
            })
        })
        .collect();
    let bill: Vec<Value> = b
        .bill
        .iter()
        .map(|l| {
            json!({
                "name": l.name,
                "product_code": l.product_code,
                "usage_type": l.meter,
                "observed": l.observed,
                "simulated": round(l.simulated),
                "measure": "relative_error_pct",
                "value": round(l.value),
                "tolerance_pct": l.tolerance_pct,
                "pass": l.pass,
            })
        })
        .collect();
    let replayed: Vec<Value> = b
        .replayed
        .iter()
        .map(|r| json!({"workload": r.workload, "from": r.from, "file": r.file, "messages": r.messages, "missing_periods": r.missing_periods}))
        .collect();
    let v = json!({
        "pass": b.pass(),
        "seed": b.seed,
        "window": {
            "start": format_timestamp(b.window.start),
            "end": format_timestamp(b.window.end),
            "period_s": b.window.period_s,
            "sample_interval_s": super::replay::SAMPLE_INTERVAL_S,
        },
        "arrivals": replayed,
        "metrics": metrics,
        "bill": bill,
        "notes": b.notes,
    });
    let mut text = serde_json::to_string_pretty(&v).expect("JSON of plain values");
    text.push('\n');
    text
}

/// Six significant decimals: enough for any comparison, and stable text.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn html_section(b: &Backtest, charts: &[report::chart::Chart]) -> String {
    let mut h = String::new();
    let verdict = if b.pass() { "every metric within its tolerance" } else { "some metrics beyond their tolerance" };
    let _ = writeln!(
        h,
        "\n<h2>Backtest</h2>\n<p>Observed window {} to {} ({} s periods); seed {}; {verdict}.</p>",
        format_timestamp(b.window.start),
        format_timestamp(b.window.end),
        b.window.period_s,
        b.seed
    );
    h.push_str("<table><tr><th>metric</th><th>measure</th><th>value</th><th>tolerance</th><th>points</th><th>KS distance</th><th>result</th></tr>\n");
    for m in &b.metrics {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.1} %</td><td>{} %</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.name),
            m.measure.name(),
            m.value,
            m.tolerance_pct,
            m.points,
            m.ks_distance.map_or("".into(), |d| format!("{d:.3}")),
            if m.pass { "pass" } else { "FAIL" }
        );
    }
    for l in &b.bill {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>relative_error_pct</td><td>{:.1} %</td><td>{} %</td><td>1</td><td></td><td>{}</td></tr>",
            escape(&l.name),
            l.value,
            l.tolerance_pct,
            if l.pass { "pass" } else { "FAIL" }
        );
    }
    h.push_str("</table>\n");
    if !b.notes.is_empty() {
        h.push_str("<ul class=\"note\">\n");
        for n in &b.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }
    for c in charts {
        let _ = writeln!(h, "<figure>{}</figure>", report::svg_body(&c.svg));
    }
    h
}
