//! What `fit` says: a TOML fragment to paste, JSON for tools, or the figures written into a
//! scenario file in place with `toml_edit`, which keeps every comment and the layout of what
//! it does not change.
//!
//! Values are rounded to 4 significant digits: no fit from telemetry is better than that.

use serde_json::{Value as Json, json};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::arrivals::Arrival;
use super::fit::{Candidate, Fitted, Interval};
use super::{Estimate, Figure, Input, Outcome};

/// `x` to 4 significant digits.
pub fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.3e}").parse().expect("a float's own text")
}

/// The keys of every arrival process, removed before another one's are written.
const ARRIVAL_KEYS: [&str; 14] = [
    "arrival",
    "rate_per_s",
    "from_per_s",
    "to_per_s",
    "duration_s",
    "steps",
    "on_rate_per_s",
    "off_rate_per_s",
    "on_s",
    "off_s",
    "mean_rate_per_s",
    "amplitude",
    "period_s",
    "peak_at_s",
];

/// What a replay trace's `file` says until the command has written the trace somewhere.
pub const UNWRITTEN_TRACE: &str = "TRACE.csv";

/// The keys and values of an arrival process.
pub fn arrival_entries(arrival: &Arrival) -> Vec<(&'static str, Value)> {
    let mut out = vec![("arrival", Value::from(arrival.kind()))];
    match arrival {
        Arrival::Poisson { rate_per_s } => out.push(("rate_per_s", round4(*rate_per_s).into())),
        Arrival::Steps { steps } => {
            let pairs: Array = steps
                .iter()
                .map(|&(at, rate)| Value::Array(Array::from_iter([Value::from(round4(at)), Value::from(round4(rate))])))
                .collect();
            out.push(("steps", Value::Array(pairs)));
        }
        Arrival::Diurnal { mean_rate_per_s, amplitude, period_s, peak_at_s } => {
            out.push(("mean_rate_per_s", round4(*mean_rate_per_s).into()));
            out.push(("amplitude", round4(*amplitude).into()));
            out.push(("period_s", round4(*period_s).into()));
            out.push(("peak_at_s", round4(*peak_at_s).into()));
        }
        Arrival::Replay { file, .. } => out.push(("file", file.as_deref().unwrap_or(UNWRITTEN_TRACE).into())),
    }
    out
}

/// The scenario value of a figure (an arrival process as an inline table of its keys).
pub fn toml_value(estimate: &Estimate) -> Value {
    match estimate {
        Estimate::Arrival(fit) => {
            let mut t = InlineTable::new();
            for (key, value) in arrival_entries(&fit.arrival) {
                t.insert(key, value);
            }
            Value::InlineTable(t)
        }
        Estimate::Share(s) => Value::from(round4(s.value())),
        Estimate::Distribution { dist, .. } => {
            let mut t = InlineTable::new();
            t.insert("dist", dist.kind().into());
            match dist {
                Fitted::Exponential { mean } => {
                    t.insert("mean", round4(*mean).into());
                }
                Fitted::LogNormal { median, p99 } => {
                    t.insert("median", round4(*median).into());
                    t.insert("p99", round4(*p99).into());
                }
                Fitted::Empirical { quantiles } => {
                    let points: Array = quantiles
                        .iter()
                        .map(|&(p, v)| Value::Array(Array::from_iter([Value::from(p), Value::from(round4(v))])))
                        .collect();
                    t.insert("quantiles", Value::Array(points));
                }
            }
            Value::InlineTable(t)
        }
    }
}

/// The fragment to paste into a scenario: the element's table with each figure that is a
/// key, its source and fit in a comment; the other figures, the refusals and the notes as
/// comments.
pub fn fragment(inputs: &[Input], element: &str, outcome: &Outcome) -> String {
    let mut out = String::new();
    for input in inputs {
        out.push_str(&format!("# {}: {}\n", input.name, input.format.name()));
    }
    out.push_str(&format!("[{element}]\n"));
    for f in outcome.figures.iter().filter(|f| f.writes) {
        out.push_str(&figure_lines(f, ""));
    }
    // Keys of another kind of element than this one: shown in that element's table, as
    // comments, for `--element KIND.NAME` to write.
    let own = element.split_once('.').map_or(element, |(kind, _)| kind);
    for f in outcome.figures.iter().filter(|f| !f.writes && f.kind.is_some_and(|k| k != own)) {
        let kind = f.kind.unwrap_or_default();
        out.push_str(&format!("# for a [{kind}.NAME] (--element {kind}.NAME writes it):\n"));
        out.push_str(&figure_lines(f, "# "));
    }
    for f in outcome.figures.iter().filter(|f| !f.writes && (f.kind.is_none() || f.kind == Some(own))) {
        out.push_str(&format!(
            "# {} = {} (not a scenario key: an outcome of the traffic and the settings): {}\n",
            f.path(),
            toml_value(&f.estimate),
            f.why
        ));
    }
    for r in &outcome.refused {
        out.push_str(&format!("# {} not fitted: {} {}, at least {} needed\n", r.name, r.have, r.what, r.need));
    }
    for note in &outcome.notes {
        out.push_str(&format!("# note: {note}\n"));
    }
    out
}

/// A figure as `key = value  # why` lines, each after `prefix`.
fn figure_lines(f: &Figure, prefix: &str) -> String {
    match &f.estimate {
        Estimate::Arrival(fit) => {
            let mut out = format!("{prefix}# {}\n", f.why);
            for (key, value) in arrival_entries(&fit.arrival) {
                out.push_str(&format!("{prefix}{key} = {value}\n"));
            }
            out
        }
        _ => format!("{prefix}{} = {}  # {}\n", f.path(), toml_value(&f.estimate), f.why),
    }
}

/// The machine-readable result.
pub fn json(inputs: &[Input], element: Option<&str>, outcome: &Outcome) -> String {
    let figures: Vec<Json> = outcome.figures.iter().map(figure_json).collect();
    let refused: Vec<Json> =
        outcome.refused.iter().map(|r| json!({"key": r.name, "have": r.have, "need": r.need, "of": r.what})).collect();
    let inputs: Vec<Json> = inputs.iter().map(|i| json!({"file": i.name, "format": i.format.name()})).collect();
    let doc = json!({
        "inputs": inputs,
        "element": element,
        "figures": figures,
        "refused": refused,
        "notes": outcome.notes,
    });
    format!("{}\n", serde_json::to_string_pretty(&doc).expect("JSON values serialize"))
}

fn figure_json(f: &Figure) -> Json {
    let mut doc = json!({
        "key": f.path(),
        "element_kind": f.kind,
        "scenario_key": f.writes,
        "samples": f.samples,
        "why": f.why,
    });
    match &f.estimate {
        Estimate::Share(s) => {
            doc["value"] = json!(s.value());
            doc["interval_95"] = json!([s.low, s.high]);
        }
        Estimate::Arrival(fit) => {
            let mut value = serde_json::Map::new();
            for (key, v) in arrival_entries(&fit.arrival) {
                value.insert(key.into(), toml_to_json(&v));
            }
            if let Arrival::Replay { sends, .. } = &fit.arrival {
                value.insert("sends".into(), json!(sends));
            }
            doc["value"] = Json::Object(value);
            doc["total"] = json!(fit.total);
            doc["tested"] = fit
                .tested
                .iter()
                .map(|t| {
                    json!({"arrival": t.arrival.kind(), "parameters": t.parameters, "dispersion": t.dispersion,
                           "df": t.df, "p": t.p, "bic": t.bic})
                })
                .collect();
        }
        Estimate::Distribution { dist, choice } => {
            doc["value"] = dist_json(dist);
            if let Some(choice) = choice {
                doc["intervals_95"] = intervals_json(&choice.best().intervals);
                doc["candidates"] = choice.candidates.iter().map(candidate_json).collect();
            }
        }
    }
    doc
}

/// The JSON of the plain values an arrival process writes (numbers, strings, arrays).
fn toml_to_json(v: &Value) -> Json {
    match v {
        Value::String(s) => json!(s.value()),
        Value::Integer(i) => json!(i.value()),
        Value::Float(f) => json!(f.value()),
        Value::Boolean(b) => json!(b.value()),
        Value::Array(a) => a.iter().map(toml_to_json).collect(),
        other => json!(other.to_string()),
    }
}

fn dist_json(dist: &Fitted) -> Json {
    match dist {
        Fitted::Exponential { mean } => json!({"dist": "exponential", "mean": mean}),
        Fitted::LogNormal { median, p99 } => json!({"dist": "lognormal", "median": median, "p99": p99}),
        Fitted::Empirical { quantiles } => json!({"dist": "empirical", "quantiles": quantiles}),
    }
}

fn candidate_json(c: &Candidate) -> Json {
    json!({
        "value": dist_json(&c.dist),
        "ks_d": c.fit.ks_d,
        "ks_p": c.fit.ks_p,
        "ad": c.fit.ad,
        "tail_error": c.fit.tail_error,
        "intervals_95": intervals_json(&c.intervals),
    })
}

fn intervals_json(intervals: &[Interval]) -> Json {
    intervals
        .iter()
        .map(|i| json!({"parameter": i.parameter, "value": i.value, "low": i.low, "high": i.high}))
        .collect()
}

/// `text` (a scenario file) with the element's keys set to the figures that are keys, each
/// with its source in a comment after it; everything else as it was. The element's table is
/// added at the end when the file has none.
pub fn write_into(text: &str, element: &str, figures: &[Figure]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not TOML: {e}"))?;
    let (kind, name) =
        element.split_once('.').ok_or_else(|| format!("{element:?} is not KIND.NAME, e.g. lambda.orders"))?;
    let root = doc.as_table_mut();
    if !root.contains_key(kind) {
        let mut parent = Table::new();
        parent.set_implicit(true);
        root.insert(kind, Item::Table(parent));
    }
    let parent = root[kind].as_table_like_mut().ok_or_else(|| format!("{kind} is not a table"))?;
    if parent.get(name).is_none() {
        parent.insert(name, Item::Table(Table::new()));
    }
    let element_table =
        parent.get_mut(name).and_then(Item::as_table_like_mut).ok_or_else(|| format!("{element} is not a table"))?;
    for f in figures.iter().filter(|f| f.writes) {
        let mut table: &mut dyn toml_edit::TableLike = &mut *element_table;
        for part in &f.table {
            if table.get(part).is_none() {
                let mut sub = Table::new();
                sub.set_implicit(true);
                table.insert(part, Item::Table(sub));
            }
            table = table
                .get_mut(part)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| format!("{element}.{part} is not a table"))?;
        }
        if let Estimate::Arrival(fit) = &f.estimate {
            // Another process's keys would not load with this one. `arrival` keeps its place
            // and the comments above it: only its value is replaced.
            for key in ARRIVAL_KEYS.iter().chain(&["file"]).filter(|k| **k != "arrival") {
                table.remove(key);
            }
            for (i, (key, mut value)) in arrival_entries(&fit.arrival).into_iter().enumerate() {
                if i == 0 {
                    value.decor_mut().set_suffix(format!("  # orchsim fit: {}", f.why));
                }
                match table.get_mut(key) {
                    Some(item) => *item = Item::Value(value),
                    None => {
                        table.insert(key, Item::Value(value));
                    }
                }
            }
            continue;
        }
        let mut value = toml_value(&f.estimate);
        value.decor_mut().set_suffix(format!("  # orchsim fit: {}", f.why));
        // Only the value is replaced, so the key keeps the comments above it (an insert
        // would replace the key and its decor too).
        match table.get_mut(f.name) {
            Some(item) => *item = Item::Value(value),
            None => {
                table.insert(f.name, Item::Value(value));
            }
        }
    }
    Ok(doc.to_string())
}
