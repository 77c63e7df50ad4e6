//! `[sweep]`: the axes of a parameter sweep (each a scenario key and its values) and the
//! replications of every point.

use super::lower::opt;
use super::tree::{Field, Node, Result, TableReader, Value};

/// A sweep of the scenario, as its `[sweep]` table gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// In the order the table lists them; the first varies slowest.
    pub axes: Vec<Axis>,
    /// Runs per point, each with its own seed.
    pub replications: u32,
    /// The metrics its charts and report show; empty: a default set.
    pub chart_metrics: Vec<String>,
}

/// One axis: a dotted key path, as `--set` takes it, and its values as TOML text.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// At most this many runs in one sweep (a model bound that keeps `runs.csv` and the
/// results folder to a size a machine handles; shard larger ones).
pub const RUNS_MAX: u64 = 1_000_000;
const VALUES_MAX: usize = 100_000;

pub(super) fn lower_sweep(node: Option<(Field<'_>, String)>) -> Result<Option<SweepSpec>> {
    let Some((f, path)) = node else { return Ok(None) };
    let mut t = TableReader::new(f.src, path.clone(), f.node)?;
    let replications =
        opt(&mut t, "replications", |f, p| f.whole_per_table(p, "sweep.replications"))?.unwrap_or(1) as u32;
    let chart_metrics = match t.get("chart_metrics") {
        Some((cf, cp)) => cf
            .array(&cp)?
            .iter()
            .enumerate()
            .map(|(i, m)| m.str(&format!("{cp}[{i}]")).map(str::to_string))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let (af, ap) = t.require("axis", "one [[sweep.axis]] table per swept key, with key and values")?;
    let mut axes: Vec<Axis> = Vec::new();
    for (i, item) in af.array(&ap)?.into_iter().enumerate() {
        let p = format!("{ap}[{i}]");
        let mut a = TableReader::new(item.src, p.clone(), item.node)?;
        let (kf, kp) =
            a.require("key", "the dotted key path to vary, as --set takes it, e.g. \"workers.pool.count\"")?;
        let key = kf.str(&kp)?.to_string();
        if key.split('.').any(str::is_empty) || key == "run.seed" || key.starts_with("sweep") {
            return Err(kf.error(&kp, "a dotted key path of the scenario, other than run.seed and the sweep's own"));
        }
        if let Some(other) = axes.iter().find(|x| x.key == key) {
            return Err(kf.error(&kp, format!("{} is already an axis", other.key)));
        }
        let values = match (a.get("values"), a.get("from")) {
            (Some((vf, vp)), None) => {
                let items = vf.array(&vp)?;
                if items.is_empty() {
                    return Err(vf.error(&vp, "needs at least one value"));
                }
                items.iter().map(|v| toml_text(v.node)).collect()
            }
            (None, Some((ff, fp))) => {
                let from = ff.f64(&fp)?;
                let (tf, tp) = a.require("to", "the range's last value (included when a step lands on it)")?;
                let to = tf.f64(&tp)?;
                let (sf, sp) = a.require("step", "the range's step, above 0")?;
                let step = sf.number_per_table(&sp, "sweep.axis[].step")?;
                if to < from {
                    return Err(tf.error(&tp, "must be at least from"));
                }
                let count = ((to - from) / step + 1e-9).floor() as usize + 1;
                if count > VALUES_MAX {
                    return Err(sf.error(&sp, format!("gives {count} values; at most {VALUES_MAX} per axis")));
                }
                let integral = [ff.node, tf.node, sf.node].iter().all(|n| matches!(n.value, Value::Int(_)));
                (0..count).map(|k| number_text(from + k as f64 * step, integral)).collect()
            }
            (Some((vf, vp)), Some(_)) => {
                return Err(vf.error(&vp, "an axis takes either values or a range (from, to, step), not both"));
            }
            (None, None) => {
                return Err(item.error(&p, "needs values = [...] or a range: from, to and step"));
            }
        };
        a.finish()?;
        axes.push(Axis { key, values });
    }
    if axes.is_empty() {
        return Err(af.error(&ap, "needs at least one axis"));
    }
    let runs = axes.iter().fold(u64::from(replications), |n, a| n.saturating_mul(a.values.len() as u64));
    if runs > RUNS_MAX {
        return Err(f.error(
            &path,
            format!("gives {runs} runs; at most {RUNS_MAX} in one sweep (split the study into several sweeps)"),
        ));
    }
    t.finish()?;
    Ok(Some(SweepSpec { axes, replications, chart_metrics }))
}

/// A range's value as TOML: whole numbers stay integers; others drop the noise of the
/// repeated addition (12 significant digits).
fn number_text(v: f64, integral: bool) -> String {
    if integral {
        return format!("{}", v.round() as i64);
    }
    let rounded: f64 = format!("{v:.12e}").parse().unwrap_or(v);
    float_text(rounded)
}

fn float_text(v: f64) -> String {
    let s = format!("{v}");
    if s.contains(['.', 'e', 'E']) || !v.is_finite() { s } else { format!("{s}.0") }
}

/// A value as TOML text that `--set` reads back as the same value.
pub fn toml_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("{s:?}"),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_text(*f),
        Value::Bool(b) => b.to_string(),
        Value::Datetime(d) => d.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(toml_text).collect::<Vec<_>>().join(", ")),
        Value::Table(t) => format!(
            "{{ {} }}",
            t.iter().map(|(k, (_, v))| format!("{} = {}", key_text(k), toml_text(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn key_text(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}
