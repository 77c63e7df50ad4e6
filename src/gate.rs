//! The regression gate: a scenario's `[thresholds]` checked against its metrics (`orchsim
//! check`), JUnit XML of the outcome, and the comparison of two results folders metric by
//! metric (`orchsim diff`). Runs are deterministic, so a failed condition or a moved metric
//! is the configuration's doing, never noise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::engine::{SimDuration, SimTime};
use crate::report;
use crate::scenario::{Scenario, ScenarioError, Threshold, closest};

/// The metric names a scenario reports: those of a run that stops at once (the names do
/// not depend on what happens).
pub fn metric_names(scenario: &Scenario) -> Vec<String> {
    let mut probe = scenario.clone();
    probe.run.horizon = SimTime::from_micros(1);
    probe.run.warmup = SimDuration::ZERO;
    // No budget for the probe: a run that stops at once cannot be refused for its memory.
    probe.run.memory_max_mb = u64::MAX;
    crate::run::run(&probe)
        .map_or_else(|_| Vec::new(), |r| report::flat_metrics(scenario, &r).into_iter().map(|(n, _)| n).collect())
}

/// Checks that every threshold names a metric the scenario reports; the error lists the
/// names near the typo.
pub fn validate(scenario: &Scenario) -> Result<(), ScenarioError> {
    if scenario.thresholds.is_empty() {
        return Ok(());
    }
    let names = metric_names(scenario);
    for t in &scenario.thresholds {
        if names.contains(&t.metric) {
            continue;
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        // Names of the same component first, then the nearest by spelling.
        let component: String = t.metric.split('.').take(2).collect::<Vec<_>>().join(".");
        let mut near: Vec<&str> = refs.iter().copied().filter(|n| n.starts_with(&component)).take(12).collect();
        if let Some(c) = closest(&t.metric, &refs)
            && !near.contains(&c)
        {
            near.insert(0, c);
        }
        let hint = if near.is_empty() {
            format!("e.g. {}", refs.iter().take(8).copied().collect::<Vec<_>>().join(", "))
        } else {
            near.join(", ")
        };
        let mut e = t.error_at.clone();
        e.message = format!("no metric {} in this scenario; metrics near it: {hint}", t.metric);
        return Err(e);
    }
    if scenario.sweep.is_none()
        && let Some(t) = scenario.thresholds.iter().find(|t| t.over_points.is_some())
    {
        let mut e = t.error_at.clone();
        e.message =
            "max(…), min(…) and mean(…) are statistics over a sweep's points; this scenario has no [sweep]".into();
        return Err(e);
    }
    Ok(())
}

/// One condition's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The scenario's name.
    pub suite: String,
    /// The condition, with its point for a sweep (`sqs.q.p99_ms < 2000 at point 3 (…)`).
    pub condition: String,
    /// NaN when the metric has no samples (a latency nothing went through).
    pub value: f64,
    pub passed: bool,
}

impl Outcome {
    fn of(suite: &str, condition: String, t: &Threshold, value: f64) -> Outcome {
        // A figure with no samples satisfies no condition, not even `!=`: a gate must not
        // pass on a metric that measured nothing.
        let passed = !value.is_nan() && t.comparison.holds(value, t.limit);
        Outcome { suite: suite.to_string(), condition, value, passed }
    }

    /// The value as `orchsim check` prints it.
    pub fn value_text(&self) -> String {
        if self.value.is_nan() { NO_SAMPLES.to_string() } else { self.value.to_string() }
    }
}

/// What a figure of a metric that measured nothing reads as.
pub const NO_SAMPLES: &str = "no samples";

/// Evaluates thresholds on one run's metrics.
pub fn evaluate_run(suite: &str, thresholds: &[Threshold], metrics: &BTreeMap<String, f64>) -> Vec<Outcome> {
    thresholds
        .iter()
        .filter(|t| t.over_points.is_none())
        .map(|t| Outcome::of(suite, t.describe(), t, metrics.get(&t.metric).copied().unwrap_or(f64::NAN)))
        .collect()
}

/// Evaluates thresholds on a sweep's points: each plain condition at every point (on the
/// mean of its replications), each statistic once over all points. `points` pairs a label
/// with the point's mean metrics.
pub fn evaluate_sweep(
    suite: &str,
    thresholds: &[Threshold],
    points: &[(String, BTreeMap<String, f64>)],
) -> Vec<Outcome> {
    let mut out = Vec::new();
    for t in thresholds {
        let values: Vec<f64> = points.iter().map(|(_, m)| m.get(&t.metric).copied().unwrap_or(f64::NAN)).collect();
        match t.over_points {
            None => {
                for ((label, _), &value) in points.iter().zip(&values) {
                    out.push(Outcome::of(suite, format!("{} at {label}", t.describe()), t, value));
                }
            }
            // A statistic over the points is unknown when any point measured nothing.
            Some(_) if values.iter().any(|v| v.is_nan()) => out.push(Outcome::of(suite, t.describe(), t, f64::NAN)),
            Some(stat) => {
                let value = match stat {
                    crate::scenario::OverPoints::Max => values.iter().copied().fold(f64::MIN, f64::max),
                    crate::scenario::OverPoints::Min => values.iter().copied().fold(f64::MAX, f64::min),
                    crate::scenario::OverPoints::Mean => values.iter().sum::<f64>() / values.len().max(1) as f64,
                };
                out.push(Outcome::of(suite, t.describe(), t, value));
            }
        }
    }
    out
}

/// A sweep's points from its `summary.csv`: a label from its axis values, and each metric's
/// mean.
pub fn points_from_summary(summary_csv: &[u8], axes: &[String]) -> Vec<(String, BTreeMap<String, f64>)> {
    let mut reader = csv::Reader::from_reader(summary_csv);
    let Ok(header) = reader.headers().map(|h| h.iter().map(str::to_string).collect::<Vec<_>>()) else {
        return Vec::new();
    };
    reader
        .records()
        .flatten()
        .map(|r| {
            let mut label = format!("point {}", r.get(0).unwrap_or(""));
            let values: Vec<String> = axes
                .iter()
                .filter_map(|a| header.iter().position(|h| h == a).map(|i| format!("{a}={}", r.get(i).unwrap_or(""))))
                .collect();
            if !values.is_empty() {
                let _ = write!(label, " ({})", values.join(", "));
            }
            let metrics = header
                .iter()
                .enumerate()
                .filter_map(|(i, h)| Some((h.strip_suffix(".mean")?.to_string(), r.get(i)?.parse::<f64>().ok()?)))
                .collect();
            (label, metrics)
        })
        .collect()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JUnit XML: a test suite per scenario, a test case per condition, a failure per failed
/// one, as CI systems read it.
pub fn junit(outcomes: &[Outcome]) -> String {
    let mut suites: Vec<(&str, Vec<&Outcome>)> = Vec::new();
    for o in outcomes {
        match suites.iter_mut().find(|(s, _)| *s == o.suite) {
            Some((_, list)) => list.push(o),
            None => suites.push((&o.suite, vec![o])),
        }
    }
    let failures = outcomes.iter().filter(|o| !o.passed).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<testsuites name=\"orchsim check\" tests=\"{}\" failures=\"{failures}\">", outcomes.len());
    for (suite, list) in suites {
        let failed = list.iter().filter(|o| !o.passed).count();
        let _ = writeln!(x, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">", xml(suite), list.len());
        for o in list {
            let _ = write!(x, "    <testcase classname=\"{}\" name=\"{}\"", xml(suite), xml(&o.condition));
            if o.passed {
                x.push_str("/>\n");
            } else {
                let value = o.value_text();
                let _ = writeln!(
                    x,
                    ">\n      <failure message=\"{}\">{} was {}</failure>\n    </testcase>",
                    xml(&format!("{} failed: the value was {value}", o.condition)),
                    xml(&o.condition),
                    xml(&value)
                );
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

// ---------------------------------------------------------------------------------------
// orchsim diff
// ---------------------------------------------------------------------------------------

/// A run's metrics as `flat_metrics` names them, read back from its `summary.json`.
pub fn metrics_from_summary(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("summary.json is not valid JSON: {e}"))?;
    let mut out = BTreeMap::new();
    let keys = [
        ("count", "count"),
        ("mean", "mean_ms"),
        ("p50", "p50_ms"),
        ("p90", "p90_ms"),
        ("p99", "p99_ms"),
        ("p999", "p999_ms"),
        ("max", "max_ms"),
    ];
    // An empty metric's figures are null in summary.json: NaN, as `flat_metrics` gives them
    // (no samples, not 0).
    let figure = |v: &Value| if v.is_null() { Some(f64::NAN) } else { v.as_f64() };
    for (name, l) in v["latency_ms"].as_object().into_iter().flatten() {
        for (from, to) in keys {
            if let Some(x) = figure(&l[from]) {
                out.insert(format!("{name}.{to}"), x);
            }
        }
    }
    let cost_keys =
        [("mean", "mean_usd"), ("p50", "p50_usd"), ("p90", "p90_usd"), ("p99", "p99_usd"), ("max", "max_usd")];
    for (name, c) in v["cost_per_execution_usd"].as_object().into_iter().flatten() {
        for (from, to) in cost_keys {
            if let Some(x) = figure(&c[from]) {
                out.insert(format!("{name}.{to}"), x);
            }
        }
    }
    for section in ["counters", "gauges"] {
        for (name, x) in v[section].as_object().into_iter().flatten() {
            if let Some(x) = x.as_f64() {
                out.insert(name.clone(), x);
            }
        }
    }
    for (name, x) in v["cost_usd"].as_object().into_iter().flatten() {
        if let Some(x) = x.as_f64() {
            out.insert(format!("cost_usd.{name}"), x);
        }
    }
    Ok(out)
}

/// How much a metric may move before the diff reports it: a share of the baseline
/// (`"5%"`) or an absolute amount (`"50"`), for the metrics a pattern (`*` matches any
/// text) names. The last matching tolerance wins.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerance {
    pub pattern: String,
    pub relative: bool,
    pub amount: f64,
}

impl Tolerance {
    /// `PATTERN=5%` or `PATTERN=50`.
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let (pattern, amount) = text.rsplit_once('=').ok_or_else(|| {
            format!("--tolerance {text}: expected PATTERN=AMOUNT, e.g. '*.p99_ms=5%' or 'cost_usd.*=10'")
        })?;
        let (relative, number) = match amount.trim().strip_suffix('%') {
            Some(n) => (true, n),
            None => (false, amount.trim()),
        };
        let amount: f64 = number
            .trim()
            .parse()
            .ok()
            .filter(|a: &f64| *a >= 0.0 && a.is_finite())
            .ok_or_else(|| format!("--tolerance {text}: the amount must be a number ≥ 0, with % for a share"))?;
        Ok(Tolerance {
            pattern: pattern.trim().to_string(),
            relative,
            amount: if relative { amount / 100.0 } else { amount },
        })
    }

    fn allows(&self, before: f64, after: f64) -> bool {
        let moved = (after - before).abs();
        if self.relative { moved <= self.amount * before.abs() } else { moved <= self.amount }
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any text.
pub fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// One metric that moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Moved {
    pub metric: String,
    pub before: f64,
    pub after: f64,
    /// Beyond its tolerance.
    pub beyond: bool,
}

/// What differs between two results folders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    pub moved: Vec<Moved>,
    /// Metrics in one folder only.
    pub only_before: Vec<String>,
    pub only_after: Vec<String>,
    /// Settings that differ (`key: before → after`), from each run's scenario and overrides.
    pub settings: Vec<String>,
}

impl Diff {
    pub fn is_beyond_tolerance(&self) -> bool {
        self.moved.iter().any(|m| m.beyond) || !self.only_before.is_empty() || !self.only_after.is_empty()
    }
}

/// The default: a metric may move 5 % of its baseline.
pub fn default_tolerances() -> Vec<Tolerance> {
    vec![Tolerance { pattern: "*".into(), relative: true, amount: 0.05 }]
}

/// Compares two run folders.
pub fn diff(before: &Path, after: &Path, tolerances: &[Tolerance]) -> Result<Diff, String> {
    let read = |dir: &Path, name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{}: cannot read {name}: {e}", dir.display()))
    };
    let a = metrics_from_summary(&read(before, "summary.json")?)?;
    let b = metrics_from_summary(&read(after, "summary.json")?)?;
    let mut d = Diff::default();
    for (name, &x) in &a {
        match b.get(name) {
            None => d.only_before.push(name.clone()),
            Some(&y) if x != y && !(x.is_nan() && y.is_nan()) => {
                let tolerance = tolerances.iter().rev().find(|t| matches(&t.pattern, name));
                // A figure that now has samples, or no longer has any, is always reported.
                let beyond = x.is_nan() || y.is_nan() || tolerance.is_none_or(|t| !t.allows(x, y));
                d.moved.push(Moved { metric: name.clone(), before: x, after: y, beyond });
            }
            Some(_) => {}
        }
    }
    d.only_after = b.keys().filter(|n| !a.contains_key(*n)).cloned().collect();
    d.settings = settings_changes(before, after).unwrap_or_default();
    Ok(d)
}

/// The settings that differ between two runs, from their saved scenario and overrides.
fn settings_changes(before: &Path, after: &Path) -> Option<Vec<String>> {
    let load = |dir: &Path| -> Option<BTreeMap<String, String>> {
        let text = std::fs::read_to_string(dir.join("scenario.toml")).ok()?;
        let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).ok()?).ok()?;
        let mut overrides: Vec<String> =
            manifest["overrides"].as_array()?.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        if let Some(seed) = manifest["seed"].as_u64() {
            overrides.push(format!("run.seed={seed}"));
        }
        crate::scenario::settings("scenario.toml", &text, &overrides).ok()
    };
    let (a, b) = (load(before)?, load(after)?);
    let mut out = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            Some(w) if w != v => out.push(format!("{k} went from {v} to {w}")),
            None => out.push(format!("{k} ({v}) was removed")),
            _ => {}
        }
    }
    for (k, w) in &b {
        if !a.contains_key(k) {
            out.push(format!("{k} = {w} was added"));
        }
    }
    Some(out)
}

/// A figure in its unit: milliseconds as ms or s, USD with cents, the rest as it is.
fn figure(metric: &str, v: f64) -> String {
    if v.is_nan() {
        NO_SAMPLES.to_string()
    } else if metric.ends_with("_ms") {
        if v.abs() >= 1_000.0 { format!("{:.2} s", v / 1_000.0) } else { format!("{v:.1} ms") }
    } else if metric.starts_with("cost_usd.") || metric.ends_with("_usd") {
        format!("${v:.2}")
    } else if v.fract() == 0.0 {
        format!("{v}")
    } else {
        format!("{v:.3}")
    }
}

/// How a metric moved, in words: "rose 38 % (1.21 s → 1.67 s)", "fell 2.1× (…)".
fn movement(m: &Moved) -> String {
    let (a, b) = (m.before, m.after);
    let verb = if a.is_nan() {
        "now has samples"
    } else if b.is_nan() {
        "has no samples now"
    } else if b > a {
        "rose"
    } else {
        "fell"
    };
    let how = if a == 0.0 || a.is_nan() || b.is_nan() {
        String::new()
    } else if b == 0.0 {
        " 100 %".to_string()
    } else {
        let ratio = if b > a { b / a } else { a / b };
        if ratio >= 2.0 { format!(" {ratio:.1}×") } else { format!(" {:.0} %", ((b - a) / a * 100.0).abs()) }
    };
    // "sqs.q.end_to_end.p99_ms" reads "p99 of sqs.q.end_to_end".
    let subject = match m.metric.rsplit_once('.') {
        Some((head, stat)) if stat.ends_with("_ms") || stat.ends_with("_usd") => {
            format!("{} of {head}", stat.trim_end_matches("_ms").trim_end_matches("_usd"))
        }
        _ => m.metric.clone(),
    };
    format!("{subject} {verb}{how} ({} → {})", figure(&m.metric, a), figure(&m.metric, b))
}

/// The diff in plain words.
pub fn explain(d: &Diff) -> String {
    let mut s = String::new();
    let beyond: Vec<&Moved> = d.moved.iter().filter(|m| m.beyond).collect();
    if d.moved.is_empty() && d.only_before.is_empty() && d.only_after.is_empty() {
        s.push_str("no change: every metric is the same\n");
    } else if beyond.is_empty() && d.only_before.is_empty() && d.only_after.is_empty() {
        let _ = writeln!(s, "no change beyond tolerance ({} metric(s) moved within it)", d.moved.len());
    } else {
        let _ = writeln!(s, "{} metric(s) moved beyond tolerance:", beyond.len());
        for m in &beyond {
            let _ = writeln!(s, "  {}", movement(m));
        }
        for n in &d.only_before {
            let _ = writeln!(s, "  {n} is gone");
        }
        for n in &d.only_after {
            let _ = writeln!(s, "  {n} is new");
        }
    }
    if !d.settings.is_empty() {
        let _ = writeln!(s, "settings that differ: {}", d.settings.join("; "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_with_stars() {
        assert!(matches("*", "sqs.q.end_to_end.p99_ms"));
        assert!(matches("*.p99_ms", "sqs.q.end_to_end.p99_ms"));
        assert!(matches("sqs.*.p99_ms", "sqs.q.end_to_end.p99_ms"));
        assert!(!matches("sqs.*.p50_ms", "sqs.q.end_to_end.p99_ms"));
        assert!(matches("cost_usd.total", "cost_usd.total"));
        assert!(!matches("cost_usd.total", "cost_usd.total_per_month"));
    }

    #[test]
    fn tolerances_are_shares_or_amounts() {
        let t = Tolerance::parse("*.p99_ms=10%").unwrap();
        assert!(t.allows(100.0, 109.0) && !t.allows(100.0, 111.0));
        let t = Tolerance::parse("cost_usd.*=5").unwrap();
        assert!(t.allows(100.0, 104.0) && !t.allows(100.0, 106.0));
        assert!(Tolerance::parse("x").is_err() && Tolerance::parse("x=-1").is_err());
    }

    #[test]
    fn movements_read_as_words() {
        let m = Moved { metric: "sqs.orders.end_to_end.p99_ms".into(), before: 1_210.0, after: 1_670.0, beyond: true };
        assert_eq!(movement(&m), "p99 of sqs.orders.end_to_end rose 38 % (1.21 s → 1.67 s)");
        let m = Moved { metric: "sqs.orders.billed_requests".into(), before: 1_000.0, after: 2_100.0, beyond: true };
        assert_eq!(movement(&m), "sqs.orders.billed_requests rose 2.1× (1000 → 2100)");
        let m = Moved { metric: "sqs.dlq.end_to_end.p99_ms".into(), before: f64::NAN, after: 1_670.0, beyond: true };
        assert_eq!(movement(&m), "p99 of sqs.dlq.end_to_end now has samples (no samples → 1.67 s)");
        let m = Moved { metric: "sqs.dlq.end_to_end.p99_ms".into(), before: 12.5, after: f64::NAN, beyond: true };
        assert_eq!(movement(&m), "p99 of sqs.dlq.end_to_end has no samples now (12.5 ms → no samples)");
    }
}
