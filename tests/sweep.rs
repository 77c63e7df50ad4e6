//! Parameter sweeps: common random numbers, byte-identical results whatever the thread
//! count, resuming, sharding and merging, and the errors of bad sweeps.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use orchsim::sweep::{self, Plan, Shard};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orchsim-sweep-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shipped capacity-planning sweep, shortened.
fn plan() -> Plan {
    let overrides = vec!["run.horizon_s=300".to_string(), "run.warmup_s=30".to_string()];
    Plan::load(&common::shipped("lambda_concurrency_sweep.toml"), &overrides).unwrap()
}

fn no_progress(_: usize, _: usize) {}

/// Runs the whole sweep into `out` on `threads` threads, aggregates it from what the runs
/// kept in memory, as `orchsim sweep` does, and returns every file under `out`, by relative
/// path.
fn sweep_into(plan: &Plan, out: &Path, threads: usize) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let executed =
        pool.install(|| sweep::execute_keeping(plan, out, None, false, &no_progress, &AtomicBool::new(false))).unwrap();
    assert_eq!(executed.ran, plan.runs.len());
    pool.install(|| sweep::aggregate_and_write(plan, &[out.to_path_buf()], executed.kept, out)).unwrap();
    tree(out)
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_sweep_gives_the_same_bytes_on_one_thread_and_on_several() {
    let plan = plan();
    let dir = scratch("threads");
    let one = sweep_into(&plan, &dir.join("one"), 1);
    let two = sweep_into(&plan, &dir.join("two"), 2);
    assert!(one.len() > 45 + 6, "run files, tables, histograms, charts and the report");
    assert_eq!(one.keys().collect::<Vec<_>>(), two.keys().collect::<Vec<_>>());
    for (name, bytes) in &one {
        assert!(two[name] == *bytes, "{name} differs between 1 and 2 threads");
    }
    for name in
        ["runs.csv", "summary.csv", "sweep.json", "report.html", "charts/heatmap-00.svg", "charts/heatmap-00.png"]
    {
        assert!(one.contains_key(name), "{name}");
    }
    assert!(one.keys().any(|k| k.ends_with("sqs.orders.end_to_end.hgrm")));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_aggregate_kept_in_memory_is_the_one_read_from_the_run_files() {
    let plan = plan();
    let dir = scratch("kept");
    let kept = sweep_into(&plan, &dir, 2);
    // The same folder aggregated again from its run files alone, as `orchsim merge` and a
    // resumed sweep read it.
    let read = sweep::aggregate(&plan, std::slice::from_ref(&dir)).unwrap();
    assert!(read.len() > 6);
    for (name, bytes) in &read {
        assert!(kept[name] == *bytes, "{name} differs between the memory and the run files");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn runs_are_written_through_staging_folders_that_a_later_sweep_cleans_up() {
    let plan = plan();
    let dir = scratch("staging");
    // What a killed sweep leaves: its threads' staging folders, one with a half-written file.
    let stale = dir.join("runs/.writing-0.tmp-4000000000");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join("run-000003.json"), b"{\"histo").unwrap();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::open(&stale).unwrap().set_modified(an_hour_ago).unwrap();
    let files = sweep_into(&plan, &dir, 2);
    assert!(!stale.exists(), "a dead process's staging folder is removed");
    let hidden: Vec<&String> = files.keys().filter(|k| k.contains("/.") || k.starts_with('.')).collect();
    assert!(hidden.is_empty(), "nothing is left in staging: {hidden:?}");
    let left: Vec<String> = fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "the staging folders are removed: {left:?}");
    assert_eq!(files.keys().filter(|k| k.starts_with("runs/run-")).count(), plan.runs.len());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn points_of_one_replication_share_their_arrivals_and_any_run_reruns_alone() {
    let plan = plan();
    let dir = scratch("crn");
    let files = sweep_into(&plan, &dir, 2);
    let runs = String::from_utf8(files["runs.csv"].clone()).unwrap();
    let mut reader = csv::Reader::from_reader(runs.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 45);
    // Same rate and replication: the same messages were sent, whatever the concurrency.
    let (rate, rep, sent) = (col("workload.orders.rate_per_s"), col("replication"), col("workload.orders.sent"));
    for a in &rows {
        for b in &rows {
            if a[rate] == b[rate] && a[rep] == b[rep] {
                assert_eq!(a[sent], b[sent]);
            }
        }
    }
    // Replications differ.
    assert_ne!(rows[0][sent], rows[1][sent]);
    // Run 7 alone, with the overrides runs.csv implies, gives its row's figures.
    let run = &plan.runs[7];
    let scenario = plan.scenario(run).unwrap();
    let (result, _) = common::summary(&scenario);
    let p99 = orchsim::report::flat_metrics(&scenario, &result)
        .into_iter()
        .find(|(n, _)| n == "sqs.orders.end_to_end.p99_ms")
        .unwrap()
        .1;
    assert_eq!(rows[7][col("sqs.orders.end_to_end.p99_ms")], p99.to_string());
    assert_eq!(rows[7][col("seed")], run.seed.to_string());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_sweep_resumes_with_the_runs_it_lacks() {
    let plan = plan();
    let dir = scratch("resume");
    let complete = sweep_into(&plan, &dir.join("a"), 2);
    let status = |dir: &Path| -> String {
        let manifest: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
        manifest["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status(&dir.join("a")), "complete");
    // A sweep killed after some runs: its folder has those run files and its manifest,
    // which says it is incomplete.
    let b = dir.join("b");
    fs::create_dir_all(b.join("runs")).unwrap();
    let incomplete =
        String::from_utf8(complete["sweep.json"].clone()).unwrap().replace("\"complete\"", "\"incomplete\"");
    fs::write(b.join("sweep.json"), incomplete).unwrap();
    for i in [0, 5, 44] {
        let name = format!("runs/run-{i:06}.json");
        fs::write(b.join(&name), &complete[&name]).unwrap();
    }
    // The points of runs 0, 5 and 44 are read from their files, the others from memory.
    let executed = sweep::execute_keeping(&plan, &b, None, false, &no_progress, &AtomicBool::new(false)).unwrap();
    assert_eq!(executed.ran, 42);
    assert_eq!(status(&b), "incomplete", "complete only once the aggregate files are written");
    let files = sweep::aggregate_kept(&plan, std::slice::from_ref(&b), executed.kept).unwrap();
    sweep::write_aggregate(&b, &files).unwrap();
    assert_eq!(tree(&b), complete);
    // A finished sweep does no work when run again, and stays complete.
    assert_eq!(sweep::execute(&plan, &b, None, false, &no_progress, &AtomicBool::new(false)).unwrap(), 0);
    assert_eq!(status(&b), "complete");
    // One that lost a run file is incomplete again until the run is redone.
    fs::remove_file(b.join("runs/run-000007.json")).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let ran = pool.install(|| sweep::execute(&plan, &b, None, false, &no_progress, &AtomicBool::new(false))).unwrap();
    assert_eq!((ran, status(&b).as_str()), (1, "incomplete"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn shards_merge_into_the_files_one_machine_writes() {
    let plan = plan();
    let dir = scratch("shards");
    let whole = sweep_into(&plan, &dir.join("whole"), 2);
    let shards: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("shard-{k}"))).collect();
    for (k, d) in shards.iter().enumerate() {
        let shard = Shard { index: k as u32, count: 3 };
        let ran = sweep::execute(&plan, d, Some(shard), false, &no_progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(ran, 15);
    }
    // A shard's folder holds part of the runs: its manifest says so.
    for d in &shards {
        assert!(fs::read_to_string(d.join("sweep.json")).unwrap().contains(r#""status": "incomplete""#));
    }
    // Two shards are not a whole sweep.
    let e = sweep::aggregate(&plan, &shards[..2]).unwrap_err().to_string();
    assert!(e.contains("15 of 45 runs have no result yet"), "{e}");
    // The merge rebuilds the plan from the manifest alone.
    let manifest = fs::read_to_string(shards[0].join("sweep.json")).unwrap();
    let from_manifest = Plan::from_manifest(&manifest).unwrap();
    let merged = dir.join("merged");
    sweep::gather_runs(&from_manifest, &shards, &merged).unwrap();
    let files = sweep::aggregate(&from_manifest, std::slice::from_ref(&merged)).unwrap();
    sweep::write_aggregate(&merged, &files).unwrap();
    let merged = tree(&merged);
    assert_eq!(merged.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>());
    for (name, bytes) in &whole {
        assert!(merged[name] == *bytes, "{name} differs between the merge and one machine");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_of_another_sweep_is_not_overwritten_without_force() {
    let plan = plan();
    let dir = scratch("force");
    sweep::execute(&plan, &dir, Some(Shard { index: 0, count: 45 }), false, &no_progress, &AtomicBool::new(false))
        .unwrap();
    let other = Plan::load(
        &common::shipped("lambda_concurrency_sweep.toml"),
        &["run.horizon_s=200".to_string(), "run.warmup_s=30".to_string()],
    )
    .unwrap();
    let e =
        sweep::execute(&other, &dir, Some(Shard { index: 0, count: 45 }), false, &no_progress, &AtomicBool::new(false))
            .unwrap_err();
    assert!(e.to_string().contains("holds the results of another sweep"), "{e}");
    assert_eq!(
        sweep::execute(&other, &dir, Some(Shard { index: 0, count: 45 }), true, &no_progress, &AtomicBool::new(false))
            .unwrap(),
        1
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bad_sweeps_are_refused_before_anything_runs() {
    let dir = scratch("bad");
    let base = fs::read_to_string(common::shipped("lambda_concurrency_sweep.toml")).unwrap();
    let load = |text: &str| {
        let path = dir.join("s.toml");
        fs::write(&path, text).unwrap();
        Plan::load(&path, &[]).map(|_| ()).unwrap_err().to_string()
    };
    let no_sweep = base[..base.find("[sweep]").unwrap()].to_string();
    assert!(load(&no_sweep).contains("the scenario has no [sweep] table"));
    // A value the scenario refuses is reported with the axis's key.
    let e = load(&base.replace("values = [5, 10, 20, 40, 80]", "values = [5, 10, 2000]"));
    assert!(e.contains("lambda.process_order.maximum_concurrency") && e.contains("2 to 1,000"), "{e}");
    let e = load(&base.replace("values = [200, 400, 800]", "from = 100\nto = 50\nstep = 10"));
    assert!(e.contains("must be at least from"), "{e}");
    let e = load(&base.replace("key = \"workload.orders.rate_per_s\"", "key = \"run.seed\""));
    assert!(e.contains("other than run.seed"), "{e}");
    assert!(!dir.join("results").exists());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn ranges_expand_without_rounding_noise() {
    let dir = scratch("range");
    let base = fs::read_to_string(common::shipped("lambda_concurrency_sweep.toml")).unwrap();
    let text = base
        .replace("values = [200, 400, 800]", "from = 0.1\nto = 0.5\nstep = 0.1")
        .replace("key = \"workload.orders.rate_per_s\"", "key = \"lambda.process_order.duration_s\"");
    let path = dir.join("s.toml");
    fs::write(&path, text).unwrap();
    let plan = Plan::load(&path, &[]).unwrap();
    assert_eq!(plan.spec.axes[0].values, ["0.1", "0.2", "0.3", "0.4", "0.5"]);
    assert_eq!(plan.runs.len(), 5 * 5 * 3);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_shard_comes_from_an_array_jobs_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    };
    let slurm = Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4")]), None);
    assert_eq!(slurm, Ok(Shard { index: 3, count: 4 }));
    // An array 1-4: the first task is shard 0.
    let slurm = Shard::from_env(
        env(&[("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_MAX", "4")]),
        None,
    );
    assert_eq!(slurm, Ok(Shard { index: 0, count: 4 }));
    assert_eq!(Shard::from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "2")]), Some(5)), Ok(Shard { index: 2, count: 5 }));
    assert_eq!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")]), Some(2)), Ok(Shard { index: 0, count: 2 }));
    let e = Shard::from_env(env(&[]), None).unwrap_err();
    assert!(e.contains("no array-job index in the environment"), "{e}");
    let e = Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "x")]), None).unwrap_err();
    assert!(e.contains("SLURM_ARRAY_TASK_ID = \"x\" is not a whole number"), "{e}");
    let e = Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4")]), None).unwrap_err();
    assert!(e.contains("not below the shard count 4"), "{e}");
    let e = Shard::from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]), None).unwrap_err();
    assert!(e.contains("pass the array size as --shard-count"), "{e}");
    let e = Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "2")]), None).unwrap_err();
    assert!(e.contains("pass --shard-count"), "{e}");
    assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 1, count: 4 }));
    assert!(Shard::parse("0/4").unwrap_err().contains("K must be from 1 to N"));
    assert!(Shard::parse("5/4").is_err() && Shard::parse("2-4").is_err());
}

#[test]
fn points_whose_runs_report_other_metrics_share_every_points_columns() {
    let dir = scratch("columns");
    // With AWS's call latencies modelled, the workload reports its calls' latency; without,
    // it has none to report: the two points' runs report different metrics.
    let text = r#"
[run]
seed = 5
horizon_s = 120
warmup_s = 10

[workload.arrivals]
target = "sqs.jobs"
arrival = "poisson"
rate_per_s = 5.0

[sqs.jobs]
visibility_timeout_s = 30

[workers.pool]
source = "sqs.jobs"
count = 8
service_time_s = { dist = "exponential", mean = 1.0 }

[sweep]
replications = 3

[[sweep.axis]]
key = "latency.aws_calls"
values = ["none", "modelled"]
"#;
    let path = dir.join("s.toml");
    fs::write(&path, text).unwrap();
    let plan = Plan::load(&path, &[]).unwrap();
    let out = dir.join("out");
    let kept = sweep_into(&plan, &out, 2);
    let runs_csv = String::from_utf8(kept["runs.csv"].clone()).unwrap();
    let header: Vec<&str> = runs_csv.lines().next().unwrap().split(',').collect();
    let call = header.iter().position(|h| *h == "workload.arrivals.call.p50_ms").expect("the modelled point's column");
    for line in runs_csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        let modelled = cells[header.iter().position(|h| *h == "latency.aws_calls").unwrap()].contains("modelled");
        assert_eq!(cells[call].is_empty(), !modelled, "{line}");
    }
    // The same files as the aggregation from the run files alone.
    for (name, bytes) in sweep::aggregate(&plan, std::slice::from_ref(&out)).unwrap() {
        assert!(kept[&name] == bytes, "{name} differs between the memory and the run files");
    }
    let _ = fs::remove_dir_all(&dir);
}
