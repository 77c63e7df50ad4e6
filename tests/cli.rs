//! The command line end to end: from a scenario file through `orchsim` to the results
//! folder, with the documented exit codes.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use common::{orchsim, shipped, text};
use serde_json::Value;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch_in("cli", name)
}

const SHORT: &str = "run.horizon_s=3000";

#[test]
fn run_prints_a_summary_and_writes_every_result_file() {
    let dir = scratch("run");
    let scenario = shipped("mmc_erlang_c.toml");
    let out = orchsim(&["run", scenario.to_str().unwrap(), "--set", SHORT], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for part in ["mmc_erlang_c  seed 42", "latency (ms)", "sqs.jobs.queue_wait", "p99", "cost (USD)", "per month"] {
        assert!(stdout.contains(part), "summary lacks {part:?}:\n{stdout}");
    }
    // The default folder is results/<scenario>/<label> under the working directory.
    let results = dir.join("results/mmc_erlang_c/seed-42_run.horizon_s=3000");
    for file in ["manifest.json", "summary.json", "latency.csv", "timeseries.csv", "cost.csv"] {
        assert!(results.join(file).is_file(), "{file} missing in {}", results.display());
    }
    let summary: Value = serde_json::from_str(&fs::read_to_string(results.join("summary.json")).unwrap()).unwrap();
    for key in ["seed", "stop_reason", "sim_time_s", "events", "latency_ms", "counters", "cost_usd"] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    for stat in ["count", "mean", "p50", "p90", "p99", "p999", "max"] {
        assert!(summary["latency_ms"]["sqs.jobs.end_to_end"][stat].is_number(), "latency lacks {stat}");
    }
    assert!(summary["cost_usd"]["total"].is_number() && summary["cost_usd"]["sqs"].is_number());
    assert_eq!(summary["stop_reason"], "horizon");
    let manifest: Value = serde_json::from_str(&fs::read_to_string(results.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["overrides"][0], SHORT);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["orchsim_version"].is_string());
    let latency_csv = fs::read_to_string(results.join("latency.csv")).unwrap();
    assert!(latency_csv.starts_with("metric,count,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\n"));
    let series = fs::read_to_string(results.join("timeseries.csv")).unwrap();
    assert!(series.starts_with("time_s,sqs.jobs.delayed,sqs.jobs.visible,sqs.jobs.in_flight,workers.pool.busy\n"));
    assert_eq!(series.lines().count(), 1 + 51, "a row every 60 s from 0 to 3000 s");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_command_twice_writes_identical_bytes() {
    let dir = scratch("twice");
    let scenario = shipped("orders_dlq_poison.toml");
    let args = |out: &str| {
        vec![
            "run".to_string(),
            scenario.display().to_string(),
            "--set".into(),
            SHORT.into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ]
    };
    for out in ["a", "b"] {
        let o = orchsim(&args(out).iter().map(String::as_str).collect::<Vec<_>>(), &dir);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "--quiet prints nothing");
    }
    for file in ["summary.json", "latency.csv", "timeseries.csv", "cost.csv"] {
        let (a, b) = (fs::read(dir.join("a").join(file)).unwrap(), fs::read(dir.join("b").join(file)).unwrap());
        assert!(a == b, "{file} differs");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seed_flag_and_overrides_change_the_run_and_its_folder() {
    let dir = scratch("seed");
    let scenario = shipped("mmc_erlang_c.toml");
    let o = orchsim(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--seed",
            "7",
            "--set",
            SHORT,
            "--set",
            "workers.pool.count=12",
            "--quiet",
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let results = dir.join("results/mmc_erlang_c/seed-7_run.horizon_s=3000_workers.pool.count=12");
    let summary: Value = serde_json::from_str(&fs::read_to_string(results.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 7);
    let series = fs::read_to_string(results.join("timeseries.csv")).unwrap();
    assert!(series.lines().skip(1).all(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap() <= 12.0));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_2_with_the_error_and_writes_nothing() {
    let dir = scratch("bad");
    let bad = dir.join("bad.toml");
    fs::write(&bad, fs::read_to_string(shipped("mmc_erlang_c.toml")).unwrap().replace("count = 10", "count = -3"))
        .unwrap();
    let o = orchsim(&["run", bad.to_str().unwrap(), "--out", "out"], &dir);
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("bad.toml:26:9: workers.pool.count = -3: must be a whole number from 1 to 100000"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists() && !dir.join("results").exists(), "nothing is written");
    let o = orchsim(&["run", "no-such-file.toml"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read the scenario"));
    let o = orchsim(&["run", shipped("mmc_erlang_c.toml").to_str().unwrap(), "--set", "run.horizon_s=-1"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("in --set run.horizon_s=-1"));
    let o = orchsim(&["frobnicate"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "only bad.toml is there");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_checks_without_running() {
    let dir = scratch("validate");
    let o = orchsim(&["validate", shipped("orders_dlq_poison.toml").to_str().unwrap()], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("valid (1 workload(s), 2 queue(s), 1 worker pool(s))"));
    let o = orchsim(
        &[
            "validate",
            shipped("orders_dlq_poison.toml").to_str().unwrap(),
            "--set",
            "workers.order_processor.batch_size=20",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_counts_subscribers_apart_from_rules() {
    let dir = scratch("validate-subscribers");
    let scenario = r#"
        [run]
        horizon_s = 10
        [workload.w]
        target = "eventbridge.orders"
        arrival = "constant"
        rate_per_s = 1
        [eventbridge.orders]
        kind = "subscribers"
        [subscriber.a]
        bus = "eventbridge.orders"
        target = "sqs.q"
        [subscriber.b]
        bus = "eventbridge.orders"
        target = "sqs.q"
        [sqs.q]
    "#;
    fs::write(dir.join("s.toml"), scenario).unwrap();
    let o = orchsim(&["validate", "s.toml"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("valid (1 workload(s), 1 queue(s), 1 event bus(es), 2 subscriber(s))"),
        "{}",
        text(&o.stdout)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_existing_folder_is_replaced_whole_only_with_force() {
    let dir = scratch("replace");
    let scenario = shipped("replay_trace.toml");
    fs::create_dir_all(dir.join("out")).unwrap();
    fs::write(dir.join("out/stale.txt"), "from an older run").unwrap();
    // Without --force nothing runs and the folder stays as it was.
    let o = orchsim(&["run", scenario.to_str().unwrap(), "--out", "out", "--quiet"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("out exists; pass --force to replace it"), "{}", text(&o.stderr));
    assert!(dir.join("out/stale.txt").exists() && !dir.join("out/summary.json").exists());
    let o = orchsim(&["run", scenario.to_str().unwrap(), "--out", "out", "--quiet", "--force"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!dir.join("out/stale.txt").exists());
    assert!(dir.join("out/summary.json").exists());
    let names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["out".to_string()], "no temporary folders are left behind");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_shipped_scenario_is_valid_and_runs() {
    let dir = scratch("shipped");
    let mut count = 0;
    for entry in fs::read_dir(common::repo().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = orchsim(
                &["run", path.to_str().unwrap(), "--set", "run.horizon_s=5000", "--out", "out", "--quiet", "--force"],
                &dir,
            );
            assert!(o.status.success(), "{}: {}", path.display(), text(&o.stderr));
            count += 1;
        }
    }
    assert!(count >= 6, "found only {count} scenarios");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_prints_a_subscriptions_retry_schedule_as_text_and_json() {
    let dir = scratch("explain");
    let scenario = shipped("sns_order_fanout.toml");
    let o = orchsim(&["explain", scenario.to_str().unwrap(), "--subscription", "billing", "--json"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // An SQS subscription: AWS-managed, 100,015 retries over about 23 days.
    assert_eq!(v["retries"], 100_015);
    assert_eq!(v["attempts"].as_array().unwrap().len(), 100_016);
    assert_eq!(
        v["attempts"][0],
        serde_json::json!({"attempt": 0, "phase": "first_delivery", "delay_s": 0.0, "offset_s": 0.0})
    );
    assert_eq!(v["attempts"][4]["phase"], "pre_backoff");
    let span = v["span_s"].as_f64().unwrap();
    assert_eq!(v["attempts"][100_015]["offset_s"].as_f64().unwrap(), span);
    assert!((span / 86_400.0 - 23.15).abs() < 0.01, "{span}");
    let o = orchsim(&["explain", scenario.to_str().unwrap(), "--subscription", "partner_webhook"], &dir);
    let out = text(&o.stdout);
    assert!(out.starts_with("subscription partner_webhook (https): 12 retries over 645.000 s"), "{out}");
    let o = orchsim(&["explain", scenario.to_str().unwrap(), "--subscription", "nope"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("subscriptions: billing, fraud_review, partner_webhook, shipping"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_prices_standard_and_express_from_the_same_draws() {
    let dir = scratch("compare");
    let scenario = shipped("step_functions_orders.toml");
    // AWS's own start latencies differ by type; without them both types end the same
    // executions within the window.
    let args = [
        "compare",
        scenario.to_str().unwrap(),
        "--set",
        "run.horizon_s=600",
        "--set",
        "latency.aws_calls=none",
        "--executions-per-month",
        "1000000",
    ];
    let o = orchsim(&[&args[..], &["--json", "--out", "cmp"]].concat(), &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(fs::read(dir.join("cmp/compare.json")).unwrap(), o.stdout, "the file is what was printed");
    let svg = fs::read_to_string(dir.join("cmp/cost_vs_volume.svg")).unwrap();
    assert_eq!(&fs::read(dir.join("cmp/cost_vs_volume.png")).unwrap()[..4], b"\x89PNG");
    assert!(svg.starts_with("<svg") && svg.contains("standard") && svg.contains("express_async"));

    let (standard, express) = (&v["standard"], &v["express"]);
    let n = standard["executions_simulated"].as_u64().unwrap();
    assert!(n > 1_000, "{n}");
    // Common random numbers: with no Express restarts both types walk the same paths.
    assert_eq!(express["executions_simulated"], standard["executions_simulated"]);
    assert_eq!(express["transitions_per_execution_mean"], standard["transitions_per_execution_mean"]);
    let transitions = standard["transitions_per_execution_mean"].as_f64().unwrap();
    assert!(transitions > 4.0, "{transitions}");

    // At 1,000,000 executions a month, Standard pays every transition past the 4,000 free
    // ones at $0.025 per thousand; Express pays $1 per million requests plus 64 MB ×
    // billed duration at $0.06 per GB-hour (all under the first 1,000 GB-hours).
    let at = |t: &Value| t["cost_usd_per_month_at"][0]["by_service"]["step_functions"].as_f64().unwrap();
    let standard_usd = (transitions * 1e6 - 4_000.0) / 1e3 * 0.025;
    assert!((at(standard) - standard_usd).abs() < 1e-6 * standard_usd, "{} vs {standard_usd}", at(standard));
    assert_eq!(express["billed_memory_mb"], 64);
    let per_execution = standard["step_functions_usd_per_execution"]["mean"].as_f64().unwrap();
    assert!((per_execution - transitions * 0.025 / 1e3).abs() < 1e-3 * per_execution, "{per_execution}");
    let billed_s = express["billed_duration_ms_mean"].as_f64().unwrap() / 1e3;
    let gb_hours = 1e6 * billed_s * 64.0 / 1024.0 / 3_600.0;
    let express_usd = 1.0 + gb_hours * 0.06;
    assert!((at(express) - express_usd).abs() < 1e-6 * express_usd, "{} vs {express_usd}", at(express));
    // The other services cost the same under both types.
    assert_eq!(
        standard["cost_usd_per_month"]["by_service"]["lambda"],
        express["cost_usd_per_month"]["by_service"]["lambda"]
    );

    // Standard is cheaper only while the free tier covers it.
    let break_even = v["break_even_executions_per_month"].as_f64().unwrap();
    assert!((break_even - 4_000.0 / transitions).abs() < 10.0, "{break_even}");

    let table = orchsim(&args, &dir);
    let out = text(&table.stdout);
    assert!(out.contains("USD/month at 1,000,000 executions"), "{out}");
    assert!(out.contains("standard is cheaper below it, express_async above it"), "{out}");
    fs::remove_dir_all(&dir).unwrap();
}

/// A folder with `machine.asl.json` (a Wait of `wait_s`, then a Pass) and `wait.toml`,
/// which starts five executions of it a second for an hour.
fn waiting_machine(name: &str, wait_s: u32) -> PathBuf {
    let dir = scratch(name);
    let definition = format!(
        r#"{{"StartAt": "Hold", "States": {{
            "Hold": {{"Type": "Wait", "Seconds": {wait_s}, "Next": "Done"}},
            "Done": {{"Type": "Pass", "End": true}}}}}}"#
    );
    fs::write(dir.join("machine.asl.json"), definition).unwrap();
    let scenario = "[run]\nseed = 1\nhorizon_s = 3600\n\n[workload.orders]\ntarget = \"step_functions.hold\"\n\
                    arrival = \"poisson\"\nrate_per_s = 5.0\n\n[step_functions.hold]\n\
                    definition = \"machine.asl.json\"\ntype = \"standard\"\n";
    fs::write(dir.join("wait.toml"), scenario).unwrap();
    dir
}

#[test]
fn compare_says_express_cannot_run_a_workflow_past_five_minutes_and_gives_no_break_even() {
    let dir = waiting_machine("compare-limit", 360);
    let o = orchsim(&["compare", "wait.toml", "--json", "--out", "cmp"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let line = "Express cannot run this workflow: 100 % of executions exceed the 5-minute limit";
    assert_eq!(v["break_even_executions_per_month"], Value::Null);
    assert_eq!(v["reason"], line);
    let (standard, express) = (&v["standard"], &v["express"]);
    assert_eq!(express["cannot_run"], line);
    assert_eq!(standard["cannot_run"], Value::Null);
    // The same arrivals start the same executions; every Express one that ended timed out.
    assert_eq!(standard["executions_started"], express["executions_started"]);
    let by = |t: &Value, status: &str| t["executions_by_status"][status].as_u64().unwrap();
    assert_eq!(by(express, "succeeded"), 0);
    assert_eq!(by(express, "timed_out"), express["executions_simulated"].as_u64().unwrap());
    assert_eq!(express["timed_out_at_type_limit"], express["executions_by_status"]["timed_out"]);
    assert_eq!(express["failed_or_timed_out_share"], 1.0);
    assert_eq!(by(standard, "timed_out") + by(standard, "failed"), 0);
    assert_eq!(standard["failed_or_timed_out_share"], 0.0);
    for t in [standard, express] {
        let ended = by(t, "succeeded") + by(t, "failed") + by(t, "timed_out");
        assert_eq!(ended + by(t, "running_at_end"), t["executions_started"].as_u64().unwrap());
    }

    let table = text(&orchsim(&["compare", "wait.toml", "--out", "table"], &dir).stdout);
    assert!(table.contains(&format!("{line}\nbreak-even: none ({line})")), "{table}");
    let sync = orchsim(&["compare", "wait.toml", "--express", "sync", "--json", "--out", "sync"], &dir);
    let v: Value = serde_json::from_slice(&sync.stdout).unwrap();
    assert_eq!(v["reason"], "Express sync cannot run this workflow: 100 % of executions exceed the 5-minute limit");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_prices_a_long_standard_workflow_by_the_transitions_of_each_execution() {
    // A 3,000 s Wait in an hour: most executions are still waiting at the end, and their
    // transitions must not be charged to the few that ended.
    let dir = waiting_machine("compare-long", 3_000);
    let args = ["compare", "wait.toml", "--json", "--out", "cmp", "--executions-per-month", "1000000"];
    let o = orchsim(&args, &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let standard = &v["standard"];
    assert_eq!(standard["transitions_per_execution_mean"], 2.0);
    assert!(standard["executions_by_status"]["running_at_end"].as_u64().unwrap() > 10_000);
    // 2 transitions × 1,000,000 executions, past the 4,000 free, at $0.025 per 1,000.
    let usd = standard["cost_usd_per_month_at"][0]["by_service"]["step_functions"].as_f64().unwrap();
    let expected = (2.0 * 1e6 - 4_000.0) * 0.025 / 1e3;
    assert!((usd - expected).abs() < 1e-9 * expected, "{usd} vs {expected}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_says_why_the_types_started_different_numbers_of_executions() {
    // 400 starts a second: Standard's StartExecution quota (a bucket of 1,300 refilled at
    // 300 a second in us-east-1) refuses some, asynchronous Express's (6,000) none.
    let dir = waiting_machine("compare-throttled", 1);
    let scenario = fs::read_to_string(dir.join("wait.toml")).unwrap();
    let scenario =
        scenario.replace("horizon_s = 3600", "horizon_s = 60").replace("rate_per_s = 5.0", "rate_per_s = 400.0");
    fs::write(dir.join("wait.toml"), scenario).unwrap();
    let o = orchsim(&["compare", "wait.toml", "--json", "--out", "cmp"], &dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let throttled = v["standard"]["throttled_starts"].as_u64().unwrap();
    assert!(throttled > 3_000, "{throttled}");
    assert_eq!(v["express"]["throttled_starts"], 0);
    let started = |t: &str| v[t]["executions_started"].as_u64().unwrap();
    assert!(started("express") > started("standard"));
    let table = text(&orchsim(&["compare", "wait.toml", "--out", "table"], &dir).stdout);
    let line = format!(
        "started executions differ with the same arrivals: the StartExecution quota throttled {} Standard and 0 Express \
         start calls",
        orchsim::report::format::count(throttled)
    );
    assert!(table.contains(&line), "{table}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_shards_from_the_environment_and_merge_give_the_files_of_one_sweep() {
    let dir = scratch("sweep-cli");
    let scenario = common::shipped("lambda_concurrency_sweep.toml");
    let scenario = scenario.to_str().unwrap();
    let short = ["--set", "run.horizon_s=200", "--set", "run.warmup_s=20"];
    let mut args = vec!["sweep", scenario, "--out", "whole", "--quiet"];
    args.extend(short);
    let o = orchsim(&args, &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("45 run(s) run now, 45 in all"), "{}", text(&o.stdout));
    // Two array tasks of a Slurm job (1 and 2 of an array 1-2).
    for id in ["1", "2"] {
        let mut args = vec!["sweep", scenario, "--out", "shard", "--shard-from-env"];
        args.extend(short);
        let o = Command::new(env!("CARGO_BIN_EXE_orchsim"))
            .args(&args)
            .current_dir(&dir)
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_MAX", "2")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("run(s) of this shard done"), "{}", text(&o.stdout));
    }
    // Without the environment, --shard-from-env is bad input.
    let mut args = vec!["sweep", scenario, "--out", "x", "--shard-from-env"];
    args.extend(short);
    let o = orchsim(&args, &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no array-job index in the environment"), "{}", text(&o.stderr));
    let o = orchsim(&["merge", "shard", "--out", "merged"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for file in ["runs.csv", "summary.csv", "sweep.json", "report.html", "charts/heatmap-00.png"] {
        assert_eq!(
            fs::read(dir.join("whole").join(file)).unwrap(),
            fs::read(dir.join("merged").join(file)).unwrap(),
            "{file}"
        );
    }
    let html = fs::read_to_string(dir.join("merged/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("src=\"http"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_run_writes_charts_and_a_report_that_chart_redraws_identically() {
    let dir = scratch("charts");
    let scenario = shipped("step_functions_orders.toml");
    let o =
        orchsim(&["run", scenario.to_str().unwrap(), "--set", "run.horizon_s=600", "--out", "out", "--quiet"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = dir.join("out");
    let before: Vec<(String, Vec<u8>)> = [
        "report.html",
        "charts/latency-spectrum.svg",
        "charts/latency-spectrum.png",
        "charts/cost-by-service.png",
        "charts/cost-per-execution-00.svg",
    ]
    .iter()
    .map(|n| (n.to_string(), fs::read(out.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"))))
    .collect();
    let png = &before[2].1;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(out.join("histograms/step_functions.orders.duration.hgrm").exists());
    // Charts drawn again from the saved files are the same bytes.
    fs::remove_dir_all(out.join("charts")).unwrap();
    let o = orchsim(&["chart", "out"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for (name, bytes) in &before {
        assert!(fs::read(out.join(name)).unwrap() == *bytes, "{name} differs when redrawn");
    }
    let o = orchsim(&["chart", "."], &dir);
    assert_eq!(o.status.code(), Some(2));
    fs::remove_dir_all(&dir).unwrap();
}

/// Writes `files` (name, text) into a fresh folder and runs `orchsim match ARGS` there.
fn match_in(name: &str, files: &[(&str, &str)], args: &[&str]) -> Output {
    let dir = scratch(name);
    for (file, text) in files {
        fs::write(dir.join(file), text).unwrap();
    }
    let mut all = vec!["match"];
    all.extend_from_slice(args);
    orchsim(&all, &dir)
}

const STORE_POLICY: &str = r#"{"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}]}"#;

#[test]
fn match_says_match_for_attributes_the_policy_accepts() {
    let message = r#"{"store": {"DataType": "String", "StringValue": "example_corp"},
                      "price_usd": {"DataType": "Number", "StringValue": "210.75"}}"#;
    let out = match_in(
        "match-yes",
        &[("p.json", STORE_POLICY), ("m.json", message)],
        &["--policy", "p.json", "--message", "m.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "match\n");
}

#[test]
fn match_names_the_first_key_that_failed_in_the_policys_order() {
    // Both keys fail; `store` comes first in the policy (and last by name).
    let message = r#"{"store": {"DataType": "String", "StringValue": "other_corp"},
                      "price_usd": {"DataType": "Number", "StringValue": "5"}}"#;
    let out = match_in(
        "match-no",
        &[("p.json", STORE_POLICY), ("m.json", message)],
        &["--policy", "p.json", "--message", "m.json"],
    );
    assert_eq!(out.status.code(), Some(0), "no match is an answer, not a failure");
    assert_eq!(text(&out.stdout), "no match: key `store`: expected [\"example_corp\"], found \"other_corp\"\n");
}

#[test]
fn match_answers_each_line_of_a_json_lines_file_in_order() {
    let messages = [
        r#"{"store": {"DataType": "String", "StringValue": "example_corp"}, "price_usd": {"DataType": "Number", "StringValue": "100"}}"#,
        "",
        r#"{"store": {"DataType": "String", "StringValue": "example_corp"}, "price_usd": {"DataType": "Number", "StringValue": "99.5"}}"#,
        r#"{}"#,
    ]
    .join("\n");
    let files = [("p.json", STORE_POLICY), ("m.jsonl", messages.as_str())];
    let out = match_in("match-lines", &files, &["--policy", "p.json", "--message", "m.jsonl", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected = [
        r#"{"line":1,"matched":true,"failed_key":null,"expected":null,"found":null}"#,
        r#"{"line":3,"matched":false,"failed_key":"price_usd","expected":"[{\"numeric\": [\">=\", 100]}]","found":"99.5"}"#,
        r#"{"line":4,"matched":false,"failed_key":"store","expected":"[\"example_corp\"]","found":"no message attributes (a policy on attributes matches no message without any)"}"#,
    ];
    assert_eq!(text(&out.stdout), format!("{}\n", expected.join("\n")));
    for line in text(&out.stdout).lines() {
        let answer: Value = serde_json::from_str(line).unwrap();
        assert!(answer["matched"].is_boolean());
    }
    let plain = match_in("match-lines-text", &files, &["--policy", "p.json", "--message", "m.jsonl"]);
    assert_eq!(text(&plain.stdout).lines().count(), 3);
    assert!(text(&plain.stdout).starts_with("match\nno match: key `price_usd`"));
}

#[test]
fn match_checks_message_bodies_and_eventbridge_events() {
    let body_policy = r#"{"order": {"customer": {"tier": ["gold"]}}}"#;
    let body = "{\n  \"order\": {\"customer\": {\"tier\": \"silver\"}}\n}\n";
    let out = match_in(
        "match-body",
        &[("p.json", body_policy), ("b.json", body)],
        &["--policy", "p.json", "--message", "b.json", "--scope", "body"],
    );
    assert_eq!(text(&out.stdout), "no match: key `order.customer.tier`: expected [\"gold\"], found \"silver\"\n");
    let pattern = r#"{"source": ["com.shop"], "detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#;
    let events = "{\"source\": \"com.shop\", \"detail\": {\"file\": \"A.PNG\"}}\n{\"source\": \"com.shop\", \"detail\": {\"file\": \"a.jpg\"}}\n";
    let out = match_in(
        "match-event",
        &[("pat.json", pattern), ("e.jsonl", events)],
        &["--pattern", "pat.json", "--event", "e.jsonl"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "match\nno match: key `detail.file`: expected [{\"suffix\": {\"equals-ignore-case\": \".png\"}}], found \"a.jpg\"\n"
    );
}

/// The files, the arguments and the start of the error.
type BadMatch<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);

#[test]
fn match_exits_2_on_an_invalid_policy_pattern_or_message_and_says_where() {
    let attrs = r#"{"store": {"DataType": "String", "StringValue": "x"}}"#;
    let cases: [BadMatch<'_>; 6] = [
        (
            &[("p.json", "{\n  \"store\": [\"a\",\n}"), ("m.json", attrs)],
            &["--policy", "p.json", "--message", "m.json"],
            "error: p.json:3:1: not valid JSON",
        ),
        (
            &[("p.json", r#"{"store": [{"prefix": {"equals-ignore-case": "ab"}}]}"#), ("m.json", attrs)],
            &["--policy", "p.json", "--message", "m.json"],
            "error: p.json: key `store`: `prefix` takes a string",
        ),
        (
            &[("pat.json", r#"{"k": [{"wildcard": "a**"}]}"#), ("e.json", "{}")],
            &["--pattern", "pat.json", "--event", "e.json"],
            "error: pat.json: key `k`: wildcard \"a**\": consecutive wildcard characters are not allowed",
        ),
        (
            &[
                ("p.json", STORE_POLICY),
                ("m.jsonl", &format!("{attrs}\n{{\"store\": {{\"DataType\": \"Strin\", \"StringValue\": \"x\"}}}}\n")),
            ],
            &["--policy", "p.json", "--message", "m.jsonl"],
            "error: m.jsonl:2: attribute `store`: `DataType` \"Strin\" is not one of String, Number, Binary or String.Array",
        ),
        (
            &[("p.json", STORE_POLICY), ("m.jsonl", &format!("{attrs}\n{{\"store\": \n"))],
            &["--policy", "p.json", "--message", "m.jsonl"],
            "error: m.jsonl:2:9: not valid JSON: EOF while parsing a value",
        ),
        (
            &[("pat.json", r#"{"k": ["v"]}"#), ("e.json", "[1, 2]")],
            &["--pattern", "pat.json", "--event", "e.json"],
            "error: e.json:1: an EventBridge event is a JSON object",
        ),
    ];
    for (i, (files, args, error)) in cases.into_iter().enumerate() {
        let out = match_in(&format!("match-bad-{i}"), files, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).starts_with(error), "{args:?}:\n{}", text(&out.stderr));
    }
    // The answers before a bad line are printed.
    let out = match_in(
        "match-bad-late",
        &[("p.json", STORE_POLICY), ("m.jsonl", &format!("{attrs}\n[\n"))],
        &["--policy", "p.json", "--message", "m.jsonl"],
    );
    assert_eq!((out.status.code(), text(&out.stdout).lines().count()), (Some(2), 1));
    let out = match_in("match-none", &[], &["--policy", "p.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
#[cfg(unix)]
fn a_reader_that_stops_early_ends_the_output_without_a_panic() {
    use std::io::Read as _;
    // `orchsim schema | head -c 1`: the reader takes one byte and goes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_orchsim"))
        .arg("schema")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first, b"{");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
