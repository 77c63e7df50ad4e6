//! CSV rendering and the atomic write of a result folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
        // A latency without a sample has no mean or percentile: empty cells, not 0 ms.
        let figure = |v: f64| if s.count == 0 { String::new() } else { v.to_string() };
        vec![
            name.clone(),
            s.count.to_string(),
            figure(s.mean_ms),
            figure(s.p50_ms),
            figure(s.p90_ms),
            figure(s.p99_ms),
            figure(s.p999_ms),
            figure(s.max_ms),
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
/// everything is written into a hidden sibling folder first (`.NAME.tmp-PID`, staging),
/// which then replaces `dir` (the old one moved aside as `.NAME.old-PID` for a moment).
pub fn write_atomically(dir: &Path, files: &ResultFiles) -> io::Result<()> {
    let parent = parent_of(dir);
    fs::create_dir_all(parent)?;
    let name = name_of(dir);
    let tmp = sibling(parent, &name, "tmp");
    let result = write_all(&tmp, files).and_then(|()| replace_dir(&tmp, dir, &sibling(parent, &name, "old")));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Gets ready, before a run, to write its results into `dir` with [`write_atomically`]:
/// creates the parent folder, removes the staging folders that killed processes left in it
/// ([`is_stale_staging`]), and tries what the write will do (create a staging folder
/// beside `dir` and a file in it), so that a folder that cannot be written is reported
/// before the simulation, not after. The error is the one writing would meet.
pub fn prepare_run_folder(dir: &Path) -> io::Result<()> {
    let parent = parent_of(dir);
    refuse_file_ancestor(parent)?;
    fs::create_dir_all(parent)?;
    if dir.exists() && !dir.is_dir() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "it is a file, not a folder"));
    }
    remove_stale_staging(parent, SystemTime::now());
    let probe = sibling(parent, &name_of(dir), "tmp");
    let result = fs::create_dir_all(&probe).and_then(|()| fs::write(probe.join(".probe"), b""));
    let _ = fs::remove_dir_all(&probe);
    result
}

/// Gets ready to write into the folder `dir` itself (a sweep writes its files there as it
/// goes): creates it, and writes and removes a file in it.
pub fn prepare_folder(dir: &Path) -> io::Result<()> {
    refuse_file_ancestor(dir)?;
    fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".probe-{}", std::process::id()));
    let result = fs::write(&probe, b"");
    let _ = fs::remove_file(&probe);
    result
}

/// A clear reason for a path that runs into a file (`--out some.csv/run`), where creating
/// folders would only say "File exists" or "Not a directory".
fn refuse_file_ancestor(path: &Path) -> io::Result<()> {
    match path.ancestors().find(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_ok()) {
        Some(a) if !a.is_dir() => {
            Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is a file, not a folder", a.display())))
        }
        _ => Ok(()),
    }
}

/// How long a staging folder must lie untouched before anyone else removes it: a write
/// adds a file to it at least every few milliseconds, so a minute of quiet means its
/// writer is gone or stuck (or on another machine sharing the folder).
const STAGING_QUIET: Duration = Duration::from_secs(60);
/// After this long untouched, a staging folder is stale even if a process of its number
/// runs here (process numbers are reused) or its writer's liveness cannot be known.
const STAGING_ABANDONED: Duration = Duration::from_secs(24 * 3600);

/// Whether a folder of `parent` named `name`, last modified `modified`, is staging that a
/// killed process left behind. The rule: its name is `.NAME.tmp-PID` or `.NAME.old-PID`
/// ([`write_atomically`]'s), PID is not this process, it has not been modified for
/// [`STAGING_QUIET`], and either no process PID runs on this machine (Linux's `/proc`
/// tells; elsewhere this is not known) or it has not been modified for
/// [`STAGING_ABANDONED`].
pub fn is_stale_staging(name: &str, modified: SystemTime, now: SystemTime) -> bool {
    let Some(pid) = staging_pid(name) else {
        return false;
    };
    let quiet = now.duration_since(modified).unwrap_or_default();
    pid != std::process::id() && quiet >= STAGING_QUIET && (quiet >= STAGING_ABANDONED || is_gone(pid))
}

/// The process number of a staging folder's name, or None for any other name.
fn staging_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (head, pid) = rest.rsplit_once('-')?;
    let stem = head.strip_suffix(".tmp").or_else(|| head.strip_suffix(".old"))?;
    if stem.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// True when no process `pid` runs on this machine, as far as can be known.
fn is_gone(pid: u32) -> bool {
    cfg!(target_os = "linux") && Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes, now, the stale staging folders of `parent`: a sweep's `runs/` folder, where
/// each thread writes its run files through a staging folder of its own.
pub fn remove_stale_staging_now(parent: &Path) {
    remove_stale_staging(parent, SystemTime::now());
}

/// Removes the stale staging folders of `parent` (best effort: one that cannot be removed
/// is left for the next run).
fn remove_stale_staging(parent: &Path, now: SystemTime) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The name first: a sweep's folder of runs holds many files that are not staging.
        if staging_pid(&name).is_none() {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let modified = meta.modified().unwrap_or(now);
        if meta.is_dir() && is_stale_staging(&name, modified, now) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn parent_of(dir: &Path) -> &Path {
    dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn name_of(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "results".into())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_is_stale_only_when_quiet_and_its_process_is_gone_or_it_is_a_day_old() {
        let now = SystemTime::now();
        let ago = |s: u64| now - Duration::from_secs(s);
        // No process has a number above Linux's largest, 2^22.
        let gone = ".seed-1.tmp-4194305";
        assert!(is_stale_staging(gone, ago(120), now) == cfg!(target_os = "linux"));
        assert!(is_stale_staging(".seed-1.old-4194305", ago(120), now) == cfg!(target_os = "linux"));
        assert!(!is_stale_staging(gone, ago(10), now), "written to a moment ago");
        let mine = format!(".seed-1.tmp-{}", std::process::id());
        assert!(!is_stale_staging(&mine, ago(200_000), now), "this process's own");
        let init = ".seed-1.tmp-1";
        assert!(!is_stale_staging(init, ago(120), now) || !Path::new("/proc/1").exists(), "its process runs");
        assert!(is_stale_staging(init, ago(100_000), now), "a day old");
        for other in [".seed-1.tmp-", ".tmp-4194305", "seed-1.tmp-4194305", ".seed-1.new-4194305", ".seed.tmp-12a"] {
            assert!(!is_stale_staging(other, ago(100_000), now), "{other}");
        }
    }
}
