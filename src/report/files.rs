//! CSV rendering and the atomic write of a result folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::run::RunResult;
use crate::scenario::{Scenario, Traffic};

/// Named file contents, ready to be written together.
pub struct ResultFiles {
    pub files: Vec<(String, String)>,
    /// Images (PNG charts).
    pub binary: Vec<(String, Vec<u8>)>,
}

fn csv_string(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 fields")
}

pub fn latency_csv(result: &RunResult) -> String {
    let header = ["metric", "count", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"];
    let rows = result.measurements.latencies.iter().map(|(name, h)| {
        let s = h.summary();
        vec![
            name.clone(),
            s.count.to_string(),
            s.mean_ms.to_string(),
            s.p50_ms.to_string(),
            s.p90_ms.to_string(),
            s.p99_ms.to_string(),
            s.p999_ms.to_string(),
            s.max_ms.to_string(),
        ]
    });
    csv_string(&header, rows)
}

pub fn timeseries_csv(result: &RunResult) -> String {
    let series = &result.measurements.series;
    let mut header = vec!["time_s"];
    header.extend(series.columns.iter().map(String::as_str));
    let rows = series.rows().map(|(t, values)| {
        std::iter::once(t.as_secs_f64().to_string()).chain(values.iter().map(f64::to_string)).collect()
    });
    csv_string(&header, rows)
}

/// Each state machine's cost-per-execution distribution: (machine, USD, executions) per
/// bucket.
pub fn cost_per_execution_csv(result: &RunResult) -> String {
    let rows = result.measurements.costs_per_execution.iter().flat_map(|(name, h)| {
        h.buckets().into_iter().map(move |(usd, count)| vec![name.clone(), usd.to_string(), count.to_string()])
    });
    csv_string(&["metric", "usd", "executions"], rows)
}

/// Each resource's usage and cost in the run's window and, for steady traffic, per month
/// (the per-month columns are empty for a one-off run, which is not projected).
pub fn cost_csv(scenario: &Scenario, result: &RunResult) -> String {
    let steady = scenario.run.traffic.traffic == Traffic::Steady;
    let month = |v: f64| if steady { v.to_string() } else { String::new() };
    let header = [
        "service",
        "resource",
        "usage_unit",
        "usage_window",
        "usage_per_month",
        "cost_usd_window",
        "cost_usd_per_month",
    ];
    let rows = result.costs.iter().map(|c| {
        vec![
            c.service.clone(),
            c.resource.clone(),
            c.usage_unit.clone(),
            c.usage_window.to_string(),
            month(c.usage_per_month),
            c.usd_window.to_string(),
            month(c.usd_per_month),
        ]
    });
    csv_string(&header, rows)
}

/// Writes `files` into `dir` so that `dir` is either the complete new result or untouched:
/// everything is written into a hidden sibling folder first, which then replaces `dir`.
pub fn write_atomically(dir: &Path, files: &ResultFiles) -> io::Result<()> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "results".into());
    let tmp = sibling(parent, &name, "tmp");
    let result = write_all(&tmp, files).and_then(|()| replace_dir(&tmp, dir, &sibling(parent, &name, "old")));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn sibling(parent: &Path, name: &str, what: &str) -> PathBuf {
    parent.join(format!(".{name}.{what}-{}", std::process::id()))
}

fn write_all(tmp: &Path, files: &ResultFiles) -> io::Result<()> {
    if tmp.exists() {
        fs::remove_dir_all(tmp)?;
    }
    fs::create_dir_all(tmp)?;
    let contents =
        files.files.iter().map(|(n, c)| (n, c.as_bytes())).chain(files.binary.iter().map(|(n, c)| (n, c.as_slice())));
    for (name, content) in contents {
        let path = tmp.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, content)?;
    }
    Ok(())
}

fn replace_dir(tmp: &Path, dir: &Path, old: &Path) -> io::Result<()> {
    if dir.exists() {
        fs::rename(dir, old)?;
        if let Err(e) = fs::rename(tmp, dir) {
            let _ = fs::rename(old, dir);
            return Err(e);
        }
        fs::remove_dir_all(old)
    } else {
        fs::rename(tmp, dir)
    }
}
