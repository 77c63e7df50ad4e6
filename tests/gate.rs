//! The regression gate: thresholds and `orchsim check` (exit codes, JUnit XML), and
//! `orchsim diff` of two results folders.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{orchsim, text};

/// A fresh, empty folder for one test.
fn scratch(tag: &str) -> PathBuf {
    common::scratch_in("gate", tag)
}

/// A short M/M/c scenario with `thresholds` appended.
fn scenario(dir: &Path, thresholds: &str) -> PathBuf {
    let base = fs::read_to_string(common::shipped("mmc_erlang_c.toml")).unwrap();
    let base = &base[..base.find("[thresholds]").unwrap()];
    let text = base.replace("horizon_s = 200000", "horizon_s = 20000") + thresholds;
    let path = dir.join("gate.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_met_threshold_passes_and_a_tightened_one_fails_naming_the_condition() {
    let dir = scratch("check");
    let path = scenario(
        &dir,
        "[thresholds]\n\"sqs.jobs.queue_wait.mean_ms\" = \"< 2000\"\n\"sqs.jobs.deleted\" = \"> 100\"\n",
    );
    let o = orchsim(&["check", path.to_str().unwrap(), "--junit", "ok.xml"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("all 2 condition(s) hold"));
    let path =
        scenario(&dir, "[thresholds]\n\"sqs.jobs.queue_wait.mean_ms\" = \"< 100\"\n\"sqs.jobs.deleted\" = \"> 100\"\n");
    let o = orchsim(&["check", path.to_str().unwrap(), "--junit", "failed.xml"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("1 of 2 condition(s) failed: gate: sqs.jobs.queue_wait.mean_ms < 100"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("FAIL"));
    // JUnit: testsuites > testsuite > testcase, a failure in the failed case only.
    let xml = fs::read_to_string(dir.join("failed.xml")).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert!(xml.contains("<testsuite name=\"gate\" tests=\"2\" failures=\"1\">"));
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure message=").count(), 1);
    assert!(xml.contains("name=\"sqs.jobs.queue_wait.mean_ms &lt; 100\">"));
    assert!(xml.trim_end().ends_with("</testsuites>"));
    let ok = fs::read_to_string(dir.join("ok.xml")).unwrap();
    assert!(!ok.contains("<failure"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_latency_that_measured_nothing_fails_every_condition_on_its_figures() {
    let dir = scratch("nothing");
    // A queue nothing is sent to: its latencies have no samples, so no p99 exists to pass
    // `< 2000` (a 0 would), nor `!= 5`; its count is a figure like any other.
    let path = scenario(
        &dir,
        "[sqs.idle]\n\n[thresholds]\n\"sqs.idle.end_to_end.p99_ms\" = \"< 2000\"\n\
         \"sqs.idle.queue_wait.mean_ms\" = \"!= 5\"\n\"sqs.idle.end_to_end.count\" = \"== 0\"\n",
    );
    let o = orchsim(&["check", path.to_str().unwrap(), "--junit", "nothing.xml"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.matches("no samples  FAIL").count(), 2, "{out}");
    assert!(out.contains("sqs.idle.end_to_end.count == 0"), "{out}");
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "2 of 3 condition(s) failed: gate: sqs.idle.end_to_end.p99_ms < 2000 (no samples: nothing was measured)"
        ),
        "{err}"
    );
    let xml = fs::read_to_string(dir.join("nothing.xml")).unwrap();
    assert!(xml.contains("the value was no samples"), "{xml}");
    // A run's summary.json keeps them null, and diff reads them back as no samples.
    for out in ["a", "b"] {
        let o = orchsim(&["run", path.to_str().unwrap(), "--out", out, "--quiet"], &dir);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let o = orchsim(&["diff", "a", "b"], &dir);
    assert_eq!(text(&o.stdout), "no change: every metric is the same\n");
    let latency = fs::read_to_string(dir.join("a").join("latency.csv")).unwrap();
    assert!(latency.contains("\nsqs.idle.end_to_end,0,,,,,,\n"), "{latency}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_thresholds_are_bad_input_with_the_metrics_near_the_typo() {
    let dir = scratch("bad");
    let path = scenario(&dir, "[thresholds]\n\"sqs.jobs.queue_wiat.mean_ms\" = \"< 2000\"\n");
    let o = orchsim(&["check", path.to_str().unwrap()], &dir);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains(
            "no metric sqs.jobs.queue_wiat.mean_ms in this scenario; metrics near it: sqs.jobs.queue_wait.mean_ms"
        ),
        "{e}"
    );
    assert!(e.contains("gate.toml:"), "{e}");
    // validate checks them too, without running.
    let o = orchsim(&["validate", path.to_str().unwrap()], &dir);
    assert_eq!(o.status.code(), Some(2));
    let path = scenario(&dir, "[thresholds]\n\"sqs.jobs.deleted\" = \"about 100\"\n");
    let o = orchsim(&["check", path.to_str().unwrap()], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("a condition is a comparison and a number"), "{}", text(&o.stderr));
    let path = scenario(&dir, "[thresholds]\n\"max(sqs.jobs.deleted)\" = \"> 100\"\n");
    let o = orchsim(&["check", path.to_str().unwrap()], &dir);
    assert!(
        text(&o.stderr).contains("statistics over a sweep's points; this scenario has no [sweep]"),
        "{}",
        text(&o.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweeps_thresholds_hold_per_point_or_over_all_points() {
    let dir = scratch("sweep");
    let base = fs::read_to_string(common::shipped("lambda_concurrency_sweep.toml")).unwrap();
    let base = &base[..base.find("[thresholds]").unwrap()];
    let base = base.replace("horizon_s = 900", "horizon_s = 200").replace("warmup_s = 120", "warmup_s = 20");
    let check = |thresholds: &str| {
        fs::write(dir.join("sweep.toml"), format!("{base}[thresholds]\n{thresholds}\n")).unwrap();
        orchsim(&["check", "sweep.toml"], &dir)
    };
    let o = check("\"min(sqs.orders.end_to_end.p99_ms)\" = \"< 2000\"");
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    // Per point, the starved points (5 concurrent invocations) fail.
    let o = check("\"sqs.orders.end_to_end.p99_ms\" = \"< 2000\"");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("sqs.orders.end_to_end.p99_ms < 2000 at point 0 (workload.orders.rate_per_s=200, lambda.process_order.maximum_concurrency=5)"), "{err}");
    // A queue nothing reaches has no p99 at any point: neither each point nor a statistic
    // over them passes, and the runs' table leaves its cells empty rather than 0.
    let o = check("\"max(sqs.idle.end_to_end.p99_ms)\" = \"< 2000\"\n\n[sqs.idle]");
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("max(sqs.idle.end_to_end.p99_ms) < 2000 (no samples: nothing was measured)"), "{err}");
    let check_dir = dir.join("results").join("sweep").join("check");
    let runs = fs::read_to_string(check_dir.join("runs.csv")).unwrap();
    let mut lines = runs.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "sqs.idle.end_to_end.p99_ms").unwrap();
    let count = header.iter().position(|h| *h == "sqs.idle.end_to_end.count").unwrap();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!((cells[count], cells[column]), ("0", ""), "{line}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diff_of_a_run_with_itself_is_no_change_and_a_batch_size_change_is_explained() {
    let dir = scratch("diff");
    let scenario = common::shipped("orders_dlq_poison.toml");
    let s = scenario.to_str().unwrap();
    for (out, extra) in [("a", None), ("b", None), ("c", Some("workers.order_processor.batch_size=1"))] {
        let mut args = vec!["run", s, "--set", "run.horizon_s=3000", "--out", out, "--quiet"];
        if let Some(x) = extra {
            args.extend(["--set", x]);
        }
        let o = orchsim(&args, &dir);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let o = orchsim(&["diff", "a", "b"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "no change: every metric is the same\n");
    let o = orchsim(&["diff", "a", "c"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("metric(s) moved beyond tolerance:"), "{out}");
    assert!(out.contains("p99 of sqs.orders.queue_wait rose 2.2× (51.9 ms → 114.8 ms)"), "{out}");
    assert!(out.contains("settings that differ: workers.order_processor.batch_size went from 10 to 1"), "{out}");
    // A wide enough tolerance lets it pass.
    let o = orchsim(&["diff", "a", "c", "--tolerance", "*=1000%"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let o = orchsim(&["diff", "a", "c", "--tolerance", "*=lots"], &dir);
    assert_eq!(o.status.code(), Some(2));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diff_reads_back_from_summary_json_the_metrics_a_run_reports() {
    let scenario = common::load(&common::shipped("step_functions_orders.toml"), &["run.horizon_s=600"]);
    let (result, _) = common::summary(&scenario);
    let flat: std::collections::BTreeMap<String, f64> =
        orchsim::report::flat_metrics(&scenario, &result).into_iter().collect();
    let read = orchsim::gate::metrics_from_summary(&orchsim::report::summary_json(&scenario, &result)).unwrap();
    assert_eq!(flat.keys().collect::<Vec<_>>(), read.keys().collect::<Vec<_>>());
    for (name, v) in &flat {
        let same = (v.is_nan() && read[name].is_nan()) || (read[name] - v).abs() <= 1e-9 * v.abs().max(1.0);
        assert!(same, "{name}: {v} vs {}", read[name]);
    }
}

#[test]
fn check_refuses_to_pass_when_there_is_nothing_to_check_unless_told_to() {
    let dir = scratch("empty");
    let path = scenario(&dir, "");
    let o = orchsim(&["check", path.to_str().unwrap()], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("error: no thresholds to check"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--allow-empty"));
    let o = orchsim(&["check", path.to_str().unwrap(), "--allow-empty"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("no [thresholds] to check"));
    fs::remove_dir_all(&dir).unwrap();
}
