//! Parameter sweeps: the cartesian product of a scenario's `[sweep]` axes, `replications`
//! runs per point, run in parallel with rayon, then aggregated.
//!
//! Determinism and common random numbers: run `i` is point `i / replications`, replication
//! `i % replications`, and its seed comes from (base seed, replication) only, so every point
//! of one replication sees the same arrivals and draws, and differences between points are
//! the configuration's. Each run is the scenario loaded with the point's values as `--set`
//! overrides plus `run.seed`, exactly what `orchsim run` would load from the same command
//! line (`runs.csv` lists it), so any single run reruns alone identically.
//!
//! Every run's result is written to `runs/run-NNNNNN.json` as soon as it ends (atomically),
//! and the aggregate files are computed from what those files hold, in run order: the thread
//! count cannot change a byte, a killed sweep resumes by skipping the runs whose files are
//! there, and shards run on different machines merge into exactly the files one machine
//! would have written. The runs of one invocation also keep their results in memory
//! ([`Kept`]: each run's record as its file reads back, each point's histograms merged as
//! its runs end), so that the aggregation reads back only the files of runs that ran before;
//! both ways give the same bytes. The run that ends a point does that point's share of the
//! aggregation at once (its `.hgrm` files, its lines of the tables), so that the threads do
//! it between runs rather than all of it waiting for the sweep's last run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::metrics::LatencyHistogram;
use crate::report;
use crate::scenario::{Scenario, ScenarioError, SweepSpec};

/// The sweep's manifest, written first: what the run files belong to.
pub const MANIFEST: &str = "sweep.json";
const RUNS_DIR: &str = "runs";

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub index: usize,
    pub point: usize,
    pub replication: u32,
    pub seed: u64,
    /// The point's value for each axis, as TOML text.
    pub values: Vec<String>,
}

/// A sweep ready to run: the scenario's text and where it lives, its axes, its runs.
#[derive(Clone, Debug)]
pub struct Plan {
    pub file: String,
    pub text: String,
    pub base_dir: PathBuf,
    /// `--set` overrides given for the whole sweep.
    pub overrides: Vec<String>,
    pub spec: SweepSpec,
    pub base_seed: u64,
    pub runs: Vec<RunSpec>,
    pub name: String,
    pub source_sha256: String,
}

/// A shard: the runs `index` (0-based) of `count` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `K/N`: shard K (1 to N) of N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text.split_once('/').ok_or_else(|| format!("--shard {text}: expected K/N, e.g. 2/4"))?;
        let k: u32 = k.trim().parse().map_err(|_| format!("--shard {text}: K must be a whole number"))?;
        let n: u32 = n.trim().parse().map_err(|_| format!("--shard {text}: N must be a whole number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("--shard {text}: K must be from 1 to N, and N at least 1"));
        }
        Ok(Shard { index: k - 1, count: n })
    }

    /// The shard of an array job, from its environment: Slurm's `SLURM_ARRAY_TASK_ID`
    /// (offset by `SLURM_ARRAY_TASK_MIN`, counted by `SLURM_ARRAY_TASK_COUNT` or the min
    /// and max), AWS Batch's `AWS_BATCH_JOB_ARRAY_INDEX` or a Kubernetes indexed job's
    /// `JOB_COMPLETION_INDEX` (both 0-based, with the count given as `count`). `count`
    /// overrides Slurm's own.
    pub fn from_env(env: impl Fn(&str) -> Option<String>, count: Option<u32>) -> Result<Shard, String> {
        let number = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) => {
                    v.trim().parse::<u64>().map(Some).map_err(|_| format!("{name} = {v:?} is not a whole number"))
                }
            }
        };
        let (index, count, source) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let slurm_count = match (number("SLURM_ARRAY_TASK_COUNT")?, number("SLURM_ARRAY_TASK_MAX")?) {
                (Some(c), _) => Some(c),
                (None, Some(max)) if max >= min => Some(max - min + 1),
                _ => None,
            };
            if id < min {
                return Err(format!("SLURM_ARRAY_TASK_ID = {id} is below SLURM_ARRAY_TASK_MIN = {min}"));
            }
            let count = count.map(u64::from).or(slurm_count).ok_or(
                "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is; pass --shard-count",
            )?;
            (id - min, count, "SLURM_ARRAY_TASK_ID")
        } else if let Some(i) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let count = count.ok_or("AWS_BATCH_JOB_ARRAY_INDEX is set; pass the array size as --shard-count")?;
            (i, u64::from(count), "AWS_BATCH_JOB_ARRAY_INDEX")
        } else if let Some(i) = number("JOB_COMPLETION_INDEX")? {
            let count = count.ok_or("JOB_COMPLETION_INDEX is set; pass the job's completions as --shard-count")?;
            (i, u64::from(count), "JOB_COMPLETION_INDEX")
        } else {
            return Err(
                "no array-job index in the environment: expected SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX"
                    .into(),
            );
        };
        if count == 0 || count > u64::from(u32::MAX) {
            return Err(format!("the shard count {count} must be from 1 to {}", u32::MAX));
        }
        if index >= count {
            return Err(format!("{source} gives shard {index} (0-based), not below the shard count {count}"));
        }
        Ok(Shard { index: index as u32, count: count as u32 })
    }

    pub fn takes(&self, run: usize) -> bool {
        run % self.count as usize == self.index as usize
    }
}

/// The seed of replication `r`: SplitMix64 of the base seed and the replication, the same
/// for every point, kept below 2^63 so that `--set run.seed=…` reads it as a TOML integer.
pub fn derive_seed(base: u64, replication: u32) -> u64 {
    let mut z = base ^ u64::from(replication).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) >> 1
}

impl Plan {
    /// Reads the scenario and its `[sweep]`, and checks every point loads, so that a bad
    /// value is reported before anything runs or is written. Called in a rayon thread pool,
    /// it loads the points on its threads.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Plan, ScenarioError> {
        let base = Scenario::load(path, overrides)?;
        let file = path.display().to_string();
        let Some(spec) = base.sweep.clone() else {
            return Err(ScenarioError::in_file(
                &file,
                "sweep",
                "the scenario has no [sweep] table: add one with [[sweep.axis]] tables (key and values) to sweep it",
            ));
        };
        let text = fs::read_to_string(path).map_err(|e| ScenarioError::in_file(&file, "", e.to_string()))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let points: usize = spec.axes.iter().map(|a| a.values.len()).product();
        let runs = runs_of(&spec, base.run.seed);
        let plan = Plan {
            name: base.name.clone(),
            source_sha256: base.source_sha256.clone(),
            file,
            text,
            base_dir,
            overrides: overrides.to_vec(),
            spec,
            base_seed: base.run.seed,
            runs,
        };
        // Every point must load (its values are valid) before anything runs. The points are
        // loaded in parallel (in the caller's thread pool), and the first bad one in point
        // order is reported.
        let reps = plan.spec.replications as usize;
        let checked: Vec<Result<(), ScenarioError>> =
            (0..points).into_par_iter().map(|point| plan.scenario(&plan.runs[point * reps]).map(drop)).collect();
        checked.into_iter().collect::<Result<(), _>>()?;
        Ok(plan)
    }

    /// The plan a results folder's manifest describes (for `orchsim merge`, which has no
    /// scenario file): its runs, seeds and overrides, without the scenario's text.
    pub fn from_manifest(text: &str) -> Result<Plan, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not a sweep manifest: {e}"))?;
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect()
        };
        let bad = |what: &str| format!("not a sweep manifest: no valid {what}");
        let axes: Vec<crate::scenario::Axis> = v["axes"]
            .as_array()
            .ok_or_else(|| bad("axes"))?
            .iter()
            .map(|a| {
                Some(crate::scenario::Axis { key: a["key"].as_str()?.to_string(), values: strings(&a["values"])? })
            })
            .collect::<Option<_>>()
            .ok_or_else(|| bad("axes"))?;
        let replications = v["replications"].as_u64().ok_or_else(|| bad("replications"))? as u32;
        let chart_metrics = strings(&v["chart_metrics"]).unwrap_or_default();
        let spec = SweepSpec { axes, replications, chart_metrics };
        let base_seed = v["base_seed"].as_u64().ok_or_else(|| bad("base_seed"))?;
        let runs = runs_of(&spec, base_seed);
        Ok(Plan {
            file: String::new(),
            text: String::new(),
            base_dir: PathBuf::new(),
            overrides: strings(&v["overrides"]).ok_or_else(|| bad("overrides"))?,
            spec,
            base_seed,
            runs,
            name: v["scenario"].as_str().ok_or_else(|| bad("scenario"))?.to_string(),
            source_sha256: v["scenario_sha256"].as_str().ok_or_else(|| bad("scenario_sha256"))?.to_string(),
        })
    }

    /// What the sweep's charts and report need to know of it.
    pub fn view(&self) -> report::SweepView<'_> {
        let reps = self.spec.replications as usize;
        report::SweepView {
            name: &self.name,
            source_sha256: &self.source_sha256,
            base_seed: self.base_seed,
            replications: self.spec.replications,
            runs: self.runs.len(),
            overrides: &self.overrides,
            axes: &self.spec.axes,
            chart_metrics: &self.spec.chart_metrics,
            point_values: (0..self.points()).map(|p| self.runs[p * reps].values.as_slice()).collect(),
        }
    }

    pub fn points(&self) -> usize {
        self.runs.len() / self.spec.replications as usize
    }

    /// The `--set` overrides of a run, after the sweep's own.
    pub fn run_overrides(&self, run: &RunSpec) -> Vec<String> {
        let mut out = self.overrides.clone();
        for (axis, value) in self.spec.axes.iter().zip(&run.values) {
            out.push(format!("{}={value}", axis.key));
        }
        out.push(format!("run.seed={}", run.seed));
        out
    }

    pub fn scenario(&self, run: &RunSpec) -> Result<Scenario, ScenarioError> {
        Scenario::from_text(&self.file, &self.text, &self.base_dir, &self.run_overrides(run))
    }

    /// The manifest: the same bytes on every machine that runs this sweep, but for its
    /// `status`: `"incomplete"` from the start (and in a shard's folder), `"complete"` once
    /// every run is there and the aggregate files are written; it is written last.
    fn manifest(&self, is_complete: bool) -> String {
        let axes: Vec<Value> = self.spec.axes.iter().map(|a| json!({"key": a.key, "values": a.values})).collect();
        let (version, _) = report::version();
        let v = json!({
            "scenario": self.name,
            "scenario_sha256": self.source_sha256,
            "overrides": self.overrides,
            "axes": axes,
            "replications": self.spec.replications,
            "chart_metrics": self.spec.chart_metrics,
            "base_seed": self.base_seed,
            "points": self.points(),
            "runs": self.runs.len(),
            "orchsim_version": version,
            "status": if is_complete { "complete" } else { "incomplete" },
        });
        pretty(&v)
    }
}

/// Every run of a sweep, point by point, each point's replications together.
fn runs_of(spec: &SweepSpec, base_seed: u64) -> Vec<RunSpec> {
    let points: usize = spec.axes.iter().map(|a| a.values.len()).product();
    let mut runs = Vec::with_capacity(points * spec.replications as usize);
    for point in 0..points {
        let values = point_values(spec, point);
        for replication in 0..spec.replications {
            let seed = derive_seed(base_seed, replication);
            runs.push(RunSpec { index: runs.len(), point, replication, seed, values: values.clone() });
        }
    }
    runs
}

/// The value of each axis at `point`: the first axis varies slowest.
fn point_values(spec: &SweepSpec, point: usize) -> Vec<String> {
    let mut rest = point;
    let mut values = vec![String::new(); spec.axes.len()];
    for (i, axis) in spec.axes.iter().enumerate().rev() {
        let n = axis.values.len();
        values[i] = axis.values[rest % n].clone();
        rest /= n;
    }
    values
}

/// Why a sweep could not go on.
#[derive(Debug)]
pub enum SweepError {
    Scenario(ScenarioError),
    Io(io::Error),
    /// The folder holds another sweep's results, or incomplete or foreign run files.
    Results(String),
    /// A run's conservation audit failed: a bug, reported with the run.
    Audit(String),
    /// A run came to hold more than its `run.memory_max_mb`.
    OverMemory(String),
    /// The stop flag was raised: `done` of the `total` runs (of the shard) have their
    /// files, those that ran before plus those that ended before the stop.
    Interrupted {
        done: usize,
        total: usize,
    },
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::Scenario(e) => write!(f, "{e}"),
            SweepError::Io(e) => write!(f, "{e}"),
            SweepError::Results(m) | SweepError::Audit(m) | SweepError::OverMemory(m) => write!(f, "{m}"),
            SweepError::Interrupted { done, total } => {
                write!(f, "interrupted after {done} of {total} runs; run the same command to resume")
            }
        }
    }
}

impl From<io::Error> for SweepError {
    fn from(e: io::Error) -> Self {
        SweepError::Io(e)
    }
}

/// How a sweep reports its progress: called after each run with (done, total).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Runs the runs of `shard` (all without one) that have no result file yet, in parallel,
/// writing each result as it ends. Returns how many ran.
///
/// Raising `stop` ends the sweep early: no run starts after it, the runs under way stop
/// without writing anything, and the result is [`SweepError::Interrupted`]. Every run that
/// ended before is in its file, so the same command later runs only the rest.
pub fn execute(
    plan: &Plan,
    out: &Path,
    shard: Option<Shard>,
    force: bool,
    progress: Progress<'_>,
    stop: &AtomicBool,
) -> Result<usize, SweepError> {
    execute_keeping(plan, out, shard, force, progress, stop).map(|e| e.ran)
}

/// The runs of a sweep's [`execute_keeping`]: how many ran, and what they leave in memory
/// for [`aggregate_kept`].
pub struct Executed {
    pub ran: usize,
    pub kept: Kept,
}

/// What the runs run now leave for the aggregation, so that it need not read their files
/// back: per point the `.hgrm` files of its merged histograms and its lines of the tables,
/// made by whichever run of the point ends last from the records and histograms of its
/// runs, which are then let go. A point some of whose runs did not run now (they ran
/// before, in a resumed sweep, or belong to another shard) keeps nothing and is read from
/// its files.
///
/// The point's work is done by its last run, on the threads that run the runs, so that it
/// is spread over them while runs are still under way instead of waiting for the last run
/// of the sweep: what is left for the end is only what needs every point.
pub struct Kept {
    points: Vec<Mutex<PointKept>>,
    /// Where a point's `.hgrm` files are written as soon as its last run ends: the results
    /// folder of a sweep that is aggregated there, none for a shard's.
    write_into: Option<PathBuf>,
    /// The staging folders being removed while the aggregation goes on: waited for when
    /// this is dropped, at the end of the aggregation (or of a shard's sweep).
    removing: Option<Removal>,
}

/// One point's share of [`Kept`].
enum PointKept {
    /// Read from the run files by the aggregation.
    FromFiles,
    /// Runs still to end, and the histograms of those that did, merged in the order they
    /// ended: counts and sums are added with saturation, whose result does not depend on
    /// the order, so neither do the bytes; and their records, by replication.
    Merging { left: usize, merged: BTreeMap<String, LatencyHistogram>, records: Vec<Option<Value>> },
    /// Every run ended: the point's files and lines.
    Done(PointDone),
}

/// A point whose runs all ended now.
struct PointDone {
    /// Its `.hgrm` files, by path under the results folder.
    histograms: Vec<(String, Vec<u8>)>,
    /// Whether they are written already.
    written: bool,
    /// Its lines of the tables and its statistics, for the metrics its own runs reported:
    /// the metric columns of the tables are those of every run of the sweep, so they serve
    /// only if no other point's runs reported another metric (else the point's run files
    /// are read again).
    rows: (Vec<String>, PointRows),
}

impl Kept {
    /// Nothing kept: the aggregation reads every run from its file.
    pub fn nothing() -> Kept {
        Kept { points: Vec::new(), write_into: None, removing: None }
    }

    /// Room for the runs of `todo`: only points all of whose runs are there are kept.
    fn for_runs(plan: &Plan, todo: &[&RunSpec], write_into: Option<PathBuf>) -> Kept {
        let reps = plan.spec.replications as usize;
        let mut todo_of_point = vec![0; plan.points()];
        for run in todo {
            todo_of_point[run.point] += 1;
        }
        let points = todo_of_point
            .into_iter()
            .map(|n| {
                Mutex::new(if n == reps {
                    PointKept::Merging { left: reps, merged: BTreeMap::new(), records: vec![None; reps] }
                } else {
                    PointKept::FromFiles
                })
            })
            .collect();
        Kept { points, write_into, removing: None }
    }

    /// Keeps an ended run's record and merges its histograms into its point's; the point's
    /// last run also makes (and writes) the point's files and lines.
    fn keep(&self, plan: &Plan, run: &RunSpec, finished: Finished) -> Result<(), SweepError> {
        let point = run.point;
        let Some(slot) = self.points.get(point) else { return Ok(()) };
        // Held for one run's merge: runs of other points never wait on it (and once the
        // point's last run holds it, no run of the point is left to wait).
        let mut kept = slot.lock().expect("a run's merge does not panic");
        let PointKept::Merging { left, merged, records } = &mut *kept else { return Ok(()) };
        for (name, h) in finished.histograms {
            merged.entry(name).or_default().merge(&h);
        }
        records[run.replication as usize] = Some(finished.record);
        *left -= 1;
        if *left > 0 {
            return Ok(());
        }
        let histograms = hgrm_files(point, merged);
        let records: Vec<&Value> =
            records.iter().map(|r| r.as_ref().expect("every run of the point kept its record")).collect();
        let names = metric_names(records.iter().copied());
        let rows = point_rows(plan, point, &records, &names)?;
        if let Some(out) = &self.write_into {
            // One after the other: this thread's share of the parallelism is its runs.
            fs::create_dir_all(out.join(point_dir(point)))?;
            for (name, bytes) in &histograms {
                write_file(&out.join(name), bytes)?;
            }
        }
        let written = self.write_into.is_some();
        *kept = PointKept::Done(PointDone { histograms, written, rows: (names, rows) });
        Ok(())
    }

    /// Point `point`'s files and lines, if every run of it was kept.
    fn take_point(&mut self, point: usize) -> Option<PointRead> {
        let kept = self.points.get_mut(point)?.get_mut().ok()?;
        let PointKept::Done(done) = std::mem::replace(kept, PointKept::FromFiles) else { return None };
        Some(PointRead {
            records: Vec::new(),
            histograms: done.histograms,
            written: done.written,
            rows: Some(done.rows),
        })
    }
}

/// The names of the metrics `records` report, sorted.
fn metric_names<'a>(records: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let names: BTreeSet<&str> =
        records.flat_map(|r| r["metrics"].as_object().into_iter().flat_map(|m| m.keys()).map(String::as_str)).collect();
    names.into_iter().map(str::to_string).collect()
}

/// [`execute`], which also keeps the ended runs' results for [`aggregate_kept`].
pub fn execute_keeping(
    plan: &Plan,
    out: &Path,
    shard: Option<Shard>,
    force: bool,
    progress: Progress<'_>,
    stop: &AtomicBool,
) -> Result<Executed, SweepError> {
    keep_freed_memory();
    // Run files live only in `runs/`: if it is not there yet, no run is done, and looking
    // for each run's file (a failed open each, 0.7 ms for 200 runs) is spared.
    let none_done = !out.join(RUNS_DIR).exists();
    prepare(plan, out, force)?;
    let of_shard = plan.runs.iter().filter(|r| shard.is_none_or(|s| s.takes(r.index))).count();
    // Looking for each run's file (and reading it, when resuming) is done in parallel too;
    // the collect keeps run order.
    let todo: Vec<&RunSpec> = plan
        .runs
        .par_iter()
        .filter(|r| shard.is_none_or(|s| s.takes(r.index)))
        .filter(|r| none_done || !is_done(out, plan, r))
        .collect();
    // A shard's folder gets only run files: its points are aggregated where the shards
    // are merged.
    let write_into = shard.is_none_or(|s| s.count == 1).then(|| out.to_path_buf());
    let mut kept = Kept::for_runs(plan, &todo, write_into);
    let staging = Staging::new(&out.join(RUNS_DIR), rayon::current_num_threads())?;
    let done = AtomicUsize::new(0);
    let total = todo.len();
    // Each run writes its own file, through its thread's staging folder, and merges into
    // its own point: nothing is shared by all but the counter of runs handed out.
    //
    // Each thread takes the next run not yet taken, until none is left, rather than a
    // share of the list split in advance: rayon splits a list in halves for the threads,
    // and each half is run by its thread to the end unless another steals from it, which
    // happens only once a thread is idle, so with runs of unequal length one thread could
    // wait for the other for tens of milliseconds at the end. Taken one at a time, the
    // last runs end at most one run apart.
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, total.max(1));
    let per_worker: Vec<Vec<(usize, Result<(), SweepError>)>> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            let mut outcomes = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(run) = todo.get(i) else { break };
                let outcome = run_one(plan, run, stop).and_then(|finished| {
                    staging.write(&run_path(out, run.index), &finished.file)?;
                    kept.keep(plan, run, finished)
                });
                if outcome.is_ok() {
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                }
                outcomes.push((i, outcome));
            }
            outcomes
        })
        .collect();
    // Back in run order.
    let mut outcomes: Vec<(usize, Result<(), SweepError>)> = per_worker.into_iter().flatten().collect();
    outcomes.sort_unstable_by_key(|(i, _)| *i);
    let outcomes: Vec<Result<(), SweepError>> = outcomes.into_iter().map(|(_, o)| o).collect();
    let ran = outcomes.iter().filter(|o| o.is_ok()).count();
    // Runs end in any order; the first failure in run order is the one reported, unless
    // the sweep was stopped: then the runs it cut short say nothing of the scenario.
    if stop.load(Ordering::Relaxed) {
        return Err(SweepError::Interrupted { done: of_shard - total + ran, total: of_shard });
    }
    if let Some(first) = outcomes.into_iter().find_map(Result::err) {
        return Err(first);
    }
    kept.removing = Some(staging.remove_meanwhile());
    Ok(Executed { ran: total, kept })
}

/// Asks the C library's allocator to keep the memory a run frees for the next run of its
/// thread, as it comes to do by itself only after it has seen a large block freed.
///
/// Each run allocates and frees its event list, its messages and its histograms (each of
/// 100 to 350 KiB). By default glibc serves a block of 128 KiB or more with a mapping of its
/// own and gives the free top of a thread's heap back to the system beyond 128 KiB, so each
/// run took its pages from the system afresh: 11,000 to 16,000 page faults in the 200-run
/// sweep of `benches/sweep_200.toml`, about 5 % of its CPU, on every thread. With the
/// thresholds glibc raises itself to (a mapping of its own from 32 MiB, memory given back
/// beyond twice that), about 1,000 to 1,700. A thread's heap then
/// keeps the most its runs held, which is what they needed at once anyway; the memory a run
/// is charged with (`run.memory_max_mb`) is counted by the crate's own allocator and does
/// not change.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets the allocator's thresholds, under its own lock; it may be
    // called at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

/// True if two manifests describe the same sweep, whatever their status.
pub fn is_same_sweep(a: &str, b: &str) -> bool {
    let plan_of = |text: &str| {
        serde_json::from_str::<Value>(text).ok().map(|mut v| {
            if let Some(m) = v.as_object_mut() {
                m.remove("status");
            }
            v
        })
    };
    matches!((plan_of(a), plan_of(b)), (Some(x), Some(y)) if x == y)
}

/// Creates the folder and its manifest, or checks that the folder holds this sweep (and
/// then leaves its manifest, and so its status, as it is).
fn prepare(plan: &Plan, out: &Path, force: bool) -> Result<(), SweepError> {
    let manifest = plan.manifest(false);
    let path = out.join(MANIFEST);
    let existing = fs::read_to_string(&path).ok();
    if let Some(e) = existing.as_deref().filter(|e| is_same_sweep(e, &manifest)) {
        fs::create_dir_all(out.join(RUNS_DIR))?;
        // A "complete" folder that lost run files is incomplete again until they are back.
        if e != manifest && !plan.runs.iter().all(|run| is_done(out, plan, run)) {
            write_file(&path, manifest.as_bytes())?;
        }
        return Ok(());
    }
    if existing.is_some() {
        if !force {
            return Err(SweepError::Results(format!(
                "{} holds the results of another sweep (its {MANIFEST} differs); choose another --out, or pass --force to replace them",
                out.display()
            )));
        }
        fs::remove_dir_all(out)?;
    } else if !path.exists() && out.exists() && !only_runs(out)? && !force {
        return Err(SweepError::Results(format!(
            "{} exists and is not a sweep's results folder; choose another --out, or pass --force to replace it",
            out.display()
        )));
    } else if !path.exists() && force && out.exists() {
        fs::remove_dir_all(out)?;
    }
    fs::create_dir_all(out.join(RUNS_DIR))?;
    write_file(&path, manifest.as_bytes())?;
    Ok(())
}

/// Whether a folder holds nothing but run files (another shard of the same sweep may be
/// writing its manifest into the same folder at this moment).
fn only_runs(dir: &Path) -> io::Result<bool> {
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name != RUNS_DIR && !name.starts_with('.') {
            return Ok(false);
        }
    }
    Ok(true)
}

fn run_path(out: &Path, index: usize) -> PathBuf {
    out.join(RUNS_DIR).join(format!("run-{index:06}.json"))
}

/// A run is done when its file is there and is this run's.
fn is_done(out: &Path, plan: &Plan, run: &RunSpec) -> bool {
    read_run_text(run, plan, std::slice::from_ref(&out.to_path_buf())).is_some()
}

/// A run that ended: its file's bytes, its record as read back from them, its histograms.
struct Finished {
    file: Vec<u8>,
    record: Value,
    histograms: BTreeMap<String, LatencyHistogram>,
}

/// One run, with its result file.
fn run_one(plan: &Plan, run: &RunSpec, stop: &AtomicBool) -> Result<Finished, SweepError> {
    use crate::run::{Stopped, Watch};
    let scenario = plan.scenario(run).map_err(SweepError::Scenario)?;
    let mut watch = |_| if stop.load(Ordering::Relaxed) { Watch::Stop } else { Watch::GoOn };
    let result = crate::run::run_watched(&scenario, &mut watch).map_err(|e| match e {
        Stopped::OverMemory(e) => {
            SweepError::OverMemory(format!("run {} ({}): {e}", run.index, plan.run_overrides(run).join(" ")))
        }
        // Reported for the whole sweep by `execute`.
        Stopped::Interrupted => SweepError::Interrupted { done: 0, total: 0 },
    })?;
    let failures = report::audit_failures(&result);
    if !failures.is_empty() {
        return Err(SweepError::Audit(format!(
            "run {} ({}) failed its conservation audit:\n{}",
            run.index,
            plan.run_overrides(run).join(" "),
            failures.join("\n")
        )));
    }
    let metrics: Map<String, Value> =
        report::flat_metrics(&scenario, &result).into_iter().map(|(k, v)| (k, json!(v))).collect();
    let record = json!({
        "run": run.index,
        "point": run.point,
        "replication": run.replication,
        "seed": run.seed,
        "set": plan.run_overrides(run),
        "stop_reason": result.outcome.stop_reason.as_str(),
        "metrics": metrics,
    });
    // Later names win, as in a JSON object built from the list.
    let histograms: BTreeMap<String, LatencyHistogram> = result.measurements.latencies.into_iter().collect();
    let record_text = serde_json::to_string(&record).expect("JSON values always serialize");
    let file = run_file(&histograms, &record_text);
    // The record as the aggregation would read it from the file (a number read back from
    // JSON text may differ in its last bit from the one written), so that a sweep kept in
    // memory and one read from its files give the same bytes.
    let record = serde_json::from_str(&record_text).expect("JSON text just written reads back");
    Ok(Finished { file, record, histograms })
}

/// A run file's bytes: one JSON object, its keys sorted, whose `histograms` hold each
/// histogram's non-zero counts as (highest value in µs, count) pairs and its sum in µs. The
/// histograms are nearly all of the bytes, written straight from the counts: built as a
/// JSON tree first, each pair would be three allocations.
fn run_file(histograms: &BTreeMap<String, LatencyHistogram>, record_text: &str) -> Vec<u8> {
    let parts: Vec<(&String, RunCounts, u128)> = histograms
        .iter()
        .map(|(name, h)| {
            let (counts, sum_us) = h.to_parts();
            (name, counts, sum_us)
        })
        .collect();
    // Room for about 24 bytes a pair ("[1234567,12345],"), so the text is seldom copied as
    // it grows.
    let pairs: usize = parts.iter().map(|(_, c, _)| c.len()).sum();
    let mut out = Vec::with_capacity(pairs * 24 + record_text.len() + 64 * parts.len() + 32);
    // "histograms" sorts before every other key of the record.
    out.extend_from_slice(b"{\"histograms\":{");
    for (i, (name, counts, sum_us)) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, name).expect("a name always serializes");
        out.extend_from_slice(b":{\"counts\":");
        serde_json::to_writer(&mut out, counts).expect("numbers always serialize");
        let _ = write!(out, ",\"sum_us\":\"{sum_us}\"}}");
    }
    out.extend_from_slice(b"},");
    debug_assert!(record_text.starts_with("{\"metrics\":"));
    out.extend_from_slice(&record_text.as_bytes()[1..]);
    out.push(b'\n');
    out
}

/// Where each thread of a sweep writes its run files before renaming them into `runs/`: a
/// folder of its own, `runs/.writing-T.tmp-PID`, removed at the end (and, if the process
/// was killed, by a later sweep into the folder, as a stale staging folder).
///
/// A new file is created under its folder's lock, and the file system's search for a free
/// inode can take long (on ext4 without a journal, every inode freed in the last minutes is
/// looked at and skipped, as after removing an earlier sweep's results). In one shared
/// folder that search is done by one thread at a time; in a folder per thread the threads
/// do it side by side, and only the short rename is made in `runs/`.
struct Staging {
    dirs: Vec<PathBuf>,
}

impl Staging {
    fn new(runs: &Path, threads: usize) -> io::Result<Staging> {
        report::remove_stale_staging_now(runs);
        let pid = std::process::id();
        let dirs: Vec<PathBuf> = (0..threads.max(1)).map(|t| runs.join(format!(".writing-{t}.tmp-{pid}"))).collect();
        for dir in &dirs {
            fs::create_dir_all(dir)?;
        }
        Ok(Staging { dirs })
    }

    /// Writes `path` complete or not at all: into this thread's folder, then renamed.
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = &self.dirs[rayon::current_thread_index().unwrap_or(0) % self.dirs.len()];
        let tmp = dir.join(path.file_name().unwrap_or_default());
        let write = || fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
        match write() {
            // Shards on several machines may share the folder, and a process of the same
            // number elsewhere may have removed this folder when it ended, or another
            // sweep taken it for a dead process's: it is made again.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir)?;
                write()
            }
            done => done,
        }
    }
}

impl Staging {
    /// Removes the folders on a thread of its own, to be waited for with the [`Removal`].
    ///
    /// Removing a folder that held a hundred files takes 2 to 5 ms on ext4 with online
    /// discard (as on these virtual disks), nearly all of it waiting for the disk to
    /// discard the folder's freed blocks, with no processor time: done here, after the last
    /// run, it made every sweep that much longer; on a thread of its own it is over before
    /// the aggregation that goes on meanwhile (charts, tables) is.
    fn remove_meanwhile(mut self) -> Removal {
        let dirs = std::mem::take(&mut self.dirs);
        let remove = move || remove_staging(&dirs);
        // Without a thread (none can be made), the folders are removed now.
        match std::thread::Builder::new().name("staging-removal".into()).spawn(remove.clone()) {
            Ok(handle) => Removal(Some(handle)),
            Err(_) => {
                remove();
                Removal(None)
            }
        }
    }
}

/// Removes staging folders.
fn remove_staging(dirs: &[PathBuf]) {
    for dir in dirs {
        // Only if empty: a process of the same number on another machine sharing the
        // folder may be writing into it.
        let _ = fs::remove_dir(dir);
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        remove_staging(&self.dirs);
    }
}

/// The removal of a sweep's staging folders under way on a thread of its own: waited for
/// when dropped, so that no folder is left when the sweep ends.
struct Removal(Option<std::thread::JoinHandle<()>>);

impl Drop for Removal {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // The thread removes folders, best effort, and does not panic.
            let _ = handle.join();
        }
    }
}

/// Writes a file so that it is either complete or absent: a temporary sibling, then a
/// rename.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// One point's runs: their records (without histograms) and the point's merged histograms
/// as `.hgrm` files, whether these are written already, and, when its last run made them,
/// its lines of the tables with the metric names they are for (and then no records).
struct PointRead {
    records: Vec<Value>,
    histograms: Vec<(String, Vec<u8>)>,
    written: bool,
    rows: Option<(Vec<String>, PointRows)>,
}

/// Reads the runs of `point`, or says which are missing.
fn read_point(plan: &Plan, dirs: &[PathBuf], point: usize) -> Result<PointRead, Vec<usize>> {
    let reps = plan.spec.replications as usize;
    let mut records = Vec::with_capacity(reps);
    let mut missing = Vec::new();
    let mut merged: BTreeMap<String, LatencyHistogram> = BTreeMap::new();
    for run in &plan.runs[point * reps..(point + 1) * reps] {
        let Some(r) = read_run(run, plan, dirs) else {
            missing.push(run.index);
            continue;
        };
        for (name, counts, sum_us) in r.histograms {
            merged.entry(name).or_default().merge(&LatencyHistogram::from_parts(&counts, sum_us));
        }
        records.push(r.record);
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(PointRead { records, histograms: hgrm_files(point, &merged), written: false, rows: None })
}

/// A point's merged histograms as its `.hgrm` files.
fn hgrm_files(point: usize, merged: &BTreeMap<String, LatencyHistogram>) -> Vec<(String, Vec<u8>)> {
    merged.iter().map(|(name, h)| (format!("{}/{name}.hgrm", point_dir(point)), h.hgrm().into_bytes())).collect()
}

/// The folder of a point's files, under the results folder.
fn point_dir(point: usize) -> String {
    format!("points/point-{point:06}")
}

/// A run file read: its record without the histograms, and its histograms.
struct RunFile {
    record: Value,
    histograms: Vec<RunHistogram>,
}

/// A histogram of a run file: its name, its (value, count) pairs and its sum in µs.
type RunHistogram = (String, RunCounts, u128);

/// A histogram's non-zero counts in a run file: (highest value of the bucket in µs, count).
type RunCounts = Vec<(u64, u64)>;

/// Reads a run file's text. The histograms, nearly all of its bytes, are read straight into
/// number pairs: read as a JSON tree, each pair would be two allocations, which made reading
/// the files most of a sweep's time.
fn parse_run(text: &str) -> Option<RunFile> {
    use serde_json::value::RawValue;
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
    let mut record = Map::new();
    let mut histograms = Vec::new();
    for (key, raw) in top {
        if key == "histograms" {
            let by_name: BTreeMap<String, BTreeMap<String, &RawValue>> = serde_json::from_str(raw.get()).ok()?;
            for (name, h) in by_name {
                let counts: Vec<(u64, u64)> = serde_json::from_str(h.get("counts")?.get()).ok()?;
                let sum_us: String = serde_json::from_str(h.get("sum_us")?.get()).ok()?;
                histograms.push((name, counts, sum_us.parse().ok()?));
            }
        } else {
            record.insert(key, serde_json::from_str(raw.get()).ok()?);
        }
    }
    Some(RunFile { record: Value::Object(record), histograms })
}

fn missing_runs(missing: &[usize], total: usize) -> SweepError {
    let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
    SweepError::Results(format!(
        "{} of {total} runs have no result yet (runs {}{}): run the missing shards, or orchsim sweep again to finish them",
        missing.len(),
        shown.join(", "),
        if missing.len() > 10 { ", …" } else { "" }
    ))
}

/// Run `run`'s file, from the first of `dirs` that has it.
fn read_run(run: &RunSpec, plan: &Plan, dirs: &[PathBuf]) -> Option<RunFile> {
    read_run_text(run, plan, dirs).map(|(r, _)| r)
}

/// Run `run`'s file and its text (a file of another run or sweep does not count).
fn read_run_text(run: &RunSpec, plan: &Plan, dirs: &[PathBuf]) -> Option<(RunFile, String)> {
    dirs.iter().find_map(|d| {
        let text = fs::read_to_string(run_path(d, run.index)).ok()?;
        let r = parse_run(&text)?;
        (r.record["seed"] == json!(run.seed) && r.record["set"] == json!(plan.run_overrides(run))).then_some((r, text))
    })
}

/// Reads every run file of `plan` from `dirs` (the first that has it): its record, without
/// its histograms.
fn read_runs(plan: &Plan, dirs: &[PathBuf]) -> Result<Vec<Value>, SweepError> {
    let mut missing = Vec::new();
    let mut records = Vec::with_capacity(plan.runs.len());
    for run in &plan.runs {
        let found = read_run(run, plan, dirs).map(|r| r.record);
        match found {
            Some(v) => records.push(v),
            None => missing.push(run.index),
        }
    }
    if !missing.is_empty() {
        return Err(missing_runs(&missing, plan.runs.len()));
    }
    Ok(records)
}

/// The aggregate files of a complete sweep, from its run files.
pub fn aggregate(plan: &Plan, dirs: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, SweepError> {
    aggregate_kept(plan, dirs, Kept::nothing())
}

/// The aggregate files of a complete sweep, from what its runs kept in memory and, for the
/// points they did not keep, from its run files: the same bytes either way. The `.hgrm`
/// files that the runs wrote as their points ended are not among them.
pub fn aggregate_kept(plan: &Plan, dirs: &[PathBuf], kept: Kept) -> Result<Vec<(String, Vec<u8>)>, SweepError> {
    aggregate_into(plan, dirs, kept, None)
}

/// [`aggregate_kept`] and [`write_aggregate`] into `out` in one: the same files, but each
/// written as soon as it is made, while the charts are still being drawn (each chart's
/// files by the thread that drew it), and the report and the manifest last.
pub fn aggregate_and_write(plan: &Plan, dirs: &[PathBuf], kept: Kept, out: &Path) -> Result<(), SweepError> {
    let rest = aggregate_into(plan, dirs, kept, Some(out))?;
    write_aggregate(out, &rest)?;
    Ok(())
}

/// The aggregate files, those written into `out` (if given) left out.
fn aggregate_into(
    plan: &Plan,
    dirs: &[PathBuf],
    mut kept: Kept,
    out: Option<&Path>,
) -> Result<Vec<(String, Vec<u8>)>, SweepError> {
    // Each point not kept has its run files read once, points in parallel: their figures,
    // and their histograms merged into the point's (so memory holds a few points'
    // histograms at a time). The ordered collect keeps the results in point order.
    let kept_points: Vec<Option<PointRead>> = (0..plan.points()).map(|p| kept.take_point(p)).collect();
    let per_point: Vec<Result<PointRead, Vec<usize>>> = kept_points
        .into_par_iter()
        .enumerate()
        .map(|(point, kept)| kept.map_or_else(|| read_point(plan, dirs, point), Ok))
        .collect();
    let missing: Vec<usize> = per_point.iter().filter_map(|p| p.as_ref().err()).flatten().copied().collect();
    if !missing.is_empty() {
        return Err(missing_runs(&missing, plan.runs.len()));
    }
    let mut points: Vec<PointRead> = per_point.into_iter().flatten().collect();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    // The metric columns: every name any run reported, sorted. A point whose last run made
    // its lines knows its runs' names already; the others' are looked for points in
    // parallel.
    let read_names: Vec<Option<Vec<String>>> =
        points.par_iter().map(|p| p.rows.is_none().then(|| metric_names(p.records.iter()))).collect();
    let names: BTreeSet<&str> = points
        .iter()
        .zip(&read_names)
        .flat_map(|(p, read)| read.as_ref().or(p.rows.as_ref().map(|(own, _)| own)).into_iter().flatten())
        .map(String::as_str)
        .collect();
    let names: Vec<String> = names.into_iter().map(str::to_string).collect();
    let axes: Vec<&str> = plan.spec.axes.iter().map(|a| a.key.as_str()).collect();
    // The rows of both tables, and each point's statistics: those its last run made, if
    // they are for these columns, else formatted now, points in parallel; joined in point
    // order.
    let rows: Vec<PointRows> = points
        .par_iter_mut()
        .enumerate()
        .map(|(point, p)| match p.rows.take() {
            Some((own, rows)) if own == names => Ok(rows),
            // Kept for other columns: its records are read back from its run files.
            Some(_) => {
                let read = read_point(plan, dirs, point).map_err(|missing| missing_runs(&missing, plan.runs.len()))?;
                point_rows(plan, point, &read.records.iter().collect::<Vec<_>>(), &names)
            }
            None => point_rows(plan, point, &p.records.iter().collect::<Vec<_>>(), &names),
        })
        .collect::<Result<_, _>>()?;
    // The `.hgrm` files not written yet.
    let histogram_files: Vec<Vec<(String, Vec<u8>)>> =
        points.into_iter().map(|p| if p.written { Vec::new() } else { p.histograms }).collect();
    // runs.csv
    let mut header: Vec<String> = vec!["run".into(), "point".into(), "replication".into(), "seed".into()];
    header.extend(axes.iter().map(|a| a.to_string()));
    header.extend(names.iter().cloned());
    let mut runs_csv = csv_line(&header)?;
    // summary.csv: per point, the mean and the half-width of its 95 % confidence interval.
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(axes.iter().map(|a| a.to_string()));
    header.push("replications".into());
    for n in &names {
        header.push(format!("{n}.mean"));
        header.push(format!("{n}.ci95"));
    }
    let mut summary_csv = csv_line(&header)?;
    let mut point_summaries = Vec::with_capacity(rows.len());
    for r in rows {
        runs_csv.extend_from_slice(&r.runs_csv);
        summary_csv.extend_from_slice(&r.summary_csv);
        point_summaries.push(r.stats);
    }
    files.push(("runs.csv".into(), runs_csv));
    files.extend(histogram_files.into_iter().flatten());
    files.push(("summary.csv".into(), summary_csv));
    let view = plan.view();
    let drawings = report::sweep_chart_drawings(&view, &point_summaries, &names);
    let (charts, written) = draw_charts(&drawings, &files, out)?;
    let mut files: Vec<(String, Vec<u8>)> = if written { Vec::new() } else { files };
    if out.is_none() {
        for chart in &charts {
            files.push((format!("charts/{}.svg", chart.name), chart.svg.clone().into_bytes()));
            files.push((format!("charts/{}.png", chart.name), chart.png.clone()));
        }
    }
    files.push(("report.html".into(), report::sweep_html(&view, &point_summaries, &names, &charts).into_bytes()));
    files.push((MANIFEST.into(), plan.manifest(true).into_bytes()));
    // The staging folders, removed meanwhile, are gone before the last files are written.
    drop(kept.removing.take());
    Ok(files)
}

/// One piece of the aggregation's parallel part: a chart's PNG or SVG, or one of the files
/// made before the charts, written.
enum Piece {
    Png(usize),
    Svg(usize),
    Write(usize),
}

/// What a [`Piece`] made.
enum Made {
    Png(Option<Vec<u8>>),
    Svg(Option<String>),
    Written,
}

/// Draws the charts, every chart's PNG and SVG side by side, the PNGs (the longest) first;
/// with `out`, also writes `files` there meanwhile, and each chart's files as soon as they
/// are drawn. Returns the charts both of whose formats could be drawn, in order, and
/// whether `files` are written.
fn draw_charts(
    drawings: &[report::ChartDrawing<'_>],
    files: &[(String, Vec<u8>)],
    out: Option<&Path>,
) -> Result<(Vec<report::chart::Chart>, bool), SweepError> {
    let n = drawings.len();
    let mut pieces: Vec<Piece> = (0..n).map(Piece::Png).chain((0..n).map(Piece::Svg)).collect();
    if let Some(out) = out {
        let mut folders: Vec<&Path> = files.iter().filter_map(|f| Path::new(&f.0).parent()).collect();
        if n > 0 {
            folders.push(Path::new("charts"));
        }
        folders.sort();
        folders.dedup();
        for folder in folders {
            fs::create_dir_all(out.join(folder))?;
        }
        pieces.extend((0..files.len()).map(Piece::Write));
    }
    let chart_path = |i: usize, ext: &str| out.map(|o| o.join("charts").join(format!("{}.{ext}", drawings[i].name)));
    // One piece a task: a few of a millisecond each, to be spread evenly.
    let made: Vec<io::Result<Made>> = pieces
        .par_iter()
        .with_max_len(1)
        .map(|piece| match *piece {
            Piece::Png(i) => {
                let png = drawings[i].png();
                if let (Some(path), Some(bytes)) = (chart_path(i, "png"), &png) {
                    write_file(&path, bytes)?;
                }
                Ok(Made::Png(png))
            }
            Piece::Svg(i) => {
                let svg = drawings[i].svg();
                if let (Some(path), Some(text)) = (chart_path(i, "svg"), &svg) {
                    write_file(&path, text.as_bytes())?;
                }
                Ok(Made::Svg(svg))
            }
            Piece::Write(i) => {
                let (name, bytes) = &files[i];
                write_file(&out.expect("only pieces with a folder write").join(name), bytes)?;
                Ok(Made::Written)
            }
        })
        .collect();
    let mut made = made.into_iter().collect::<io::Result<Vec<Made>>>()?.into_iter();
    let pngs: Vec<Option<Vec<u8>>> =
        made.by_ref().take(n).map(|m| if let Made::Png(p) = m { p } else { None }).collect();
    let svgs: Vec<Option<String>> = made.take(n).map(|m| if let Made::Svg(s) = m { s } else { None }).collect();
    let mut charts = Vec::with_capacity(n);
    for (i, (png, svg)) in pngs.into_iter().zip(svgs).enumerate() {
        match (png, svg) {
            (Some(png), Some(svg)) => charts.push(report::chart::Chart { name: drawings[i].name.clone(), svg, png }),
            // A chart is kept in both formats or not at all: the half written goes.
            (png, svg) => {
                for (path, was_written) in
                    [(chart_path(i, "png"), png.is_some()), (chart_path(i, "svg"), svg.is_some())]
                {
                    if let (Some(path), true) = (path, was_written) {
                        let _ = fs::remove_file(path);
                    }
                }
            }
        }
    }
    if let Some(out) = out.filter(|_| charts.is_empty() && n > 0) {
        // Made for charts none of which could be drawn; left if it holds anything else.
        let _ = fs::remove_dir(out.join("charts"));
    }
    Ok((charts, out.is_some()))
}

fn csv_err(e: csv::Error) -> SweepError {
    SweepError::Results(e.to_string())
}

/// One point's lines of `runs.csv` and `summary.csv`, and its statistics for the charts.
struct PointRows {
    runs_csv: Vec<u8>,
    summary_csv: Vec<u8>,
    stats: report::PointStats,
}

/// The lines of `point`, whose runs' records are `records`, for every metric of `names`.
fn point_rows(plan: &Plan, point: usize, records: &[&Value], names: &[String]) -> Result<PointRows, SweepError> {
    let reps = plan.spec.replications as usize;
    let runs = &plan.runs[point * reps..(point + 1) * reps];
    let mut w = csv::Writer::from_writer(Vec::new());
    for (run, r) in runs.iter().zip(records) {
        let mut row =
            vec![run.index.to_string(), run.point.to_string(), run.replication.to_string(), run.seed.to_string()];
        row.extend(run.values.iter().cloned());
        row.extend(names.iter().map(|n| r["metrics"][n].as_f64().map(|v| v.to_string()).unwrap_or_default()));
        w.write_record(&row).map_err(csv_err)?;
    }
    let runs_csv = w.into_inner().map_err(|e| SweepError::Results(e.to_string()))?;
    let mut row = vec![point.to_string()];
    row.extend(runs[0].values.iter().cloned());
    row.push(reps.to_string());
    let mut stats = BTreeMap::new();
    for n in names {
        let values: Vec<f64> = records.iter().filter_map(|r| r["metrics"][n].as_f64()).collect();
        let (mean, ci) = mean_ci95(&values);
        row.push(mean.map(|m| m.to_string()).unwrap_or_default());
        row.push(ci.map(|c| c.to_string()).unwrap_or_default());
        stats.insert(n.clone(), (mean, ci));
    }
    Ok(PointRows { runs_csv, summary_csv: csv_line(&row)?, stats })
}

/// One CSV line, as the tables' writer writes it.
fn csv_line(fields: &[String]) -> Result<Vec<u8>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(csv_err)?;
    w.into_inner().map_err(|e| SweepError::Results(e.to_string()))
}

/// Writes the aggregate files into `out`, each atomically, in parallel (each is its own).
pub fn write_aggregate(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    // The manifest last: "complete" only once everything it vouches for is written.
    let (manifest, rest): (Vec<_>, Vec<_>) = files.iter().partition(|(name, _)| name == MANIFEST);
    write_files(out, &rest)?;
    for (name, bytes) in manifest {
        write_file(&out.join(name), bytes)?;
    }
    Ok(())
}

/// Writes `files` into `out`, each atomically, in parallel, making their folders first.
fn write_files<F: std::borrow::Borrow<(String, Vec<u8>)> + Sync>(out: &Path, files: &[F]) -> io::Result<()> {
    let mut folders: Vec<&Path> = files.iter().filter_map(|f| Path::new(&f.borrow().0).parent()).collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        fs::create_dir_all(out.join(folder))?;
    }
    files.par_iter().try_for_each(|f| {
        let (name, bytes) = f.borrow();
        write_file(&out.join(name), bytes)
    })
}

/// Copies the run files of `plan` found in `dirs` into `out` (a merge).
pub fn gather_runs(plan: &Plan, dirs: &[PathBuf], out: &Path) -> Result<(), SweepError> {
    // Every run must be somewhere before anything is written.
    read_runs(plan, dirs)?;
    prepare(plan, out, false)?;
    for run in &plan.runs {
        let target = run_path(out, run.index);
        if target.exists() {
            continue;
        }
        let (_, text) = read_run_text(run, plan, dirs)
            .ok_or_else(|| SweepError::Results(format!("run {} disappeared during the merge", run.index)))?;
        write_file(&target, text.as_bytes())?;
    }
    Ok(())
}

/// The mean of `values` and the half-width of its 95 % confidence interval (Student's t
/// with n − 1 degrees of freedom; none for a single value).
pub fn mean_ci95(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (None, None);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (Some(mean), None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (Some(mean), Some(t_975(n - 1) * (var / n as f64).sqrt()))
}

/// Student's t 0.975 quantile by degrees of freedom (standard tables), 1.96 beyond 120.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        31..=40 => 2.021,
        41..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// Lists the axes and their values in words, for messages.
pub fn describe(plan: &Plan) -> String {
    let mut s = String::new();
    for a in &plan.spec.axes {
        let _ = write!(s, "{} ∈ {{{}}}; ", a.key, a.values.join(", "));
    }
    let _ = write!(s, "{} replication(s): {} runs", plan.spec.replications, plan.runs.len());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staging_folder_removed_under_a_writer_is_made_again() {
        let runs = std::env::temp_dir().join(format!("orchsim-staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&runs);
        fs::create_dir_all(&runs).unwrap();
        let staging = Staging::new(&runs, 2).unwrap();
        for dir in &staging.dirs {
            fs::remove_dir_all(dir).unwrap();
        }
        staging.write(&runs.join("run-000001.json"), b"{}\n").unwrap();
        assert_eq!(fs::read(runs.join("run-000001.json")).unwrap(), b"{}\n");
        drop(staging);
        let left: Vec<_> = fs::read_dir(&runs).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("run-000001.json")]);
        let _ = fs::remove_dir_all(&runs);
    }
}
