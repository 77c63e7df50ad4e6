//! `orchsim fit` on per-minute counts: Poisson arrivals drawn from a known schedule, counted
//! per minute and written as CloudWatch exports (newest first, unordered, with missing
//! minutes), fit back to that schedule; counts no schedule explains become a replay trace
//! the scenario reader takes; bad exports exit 2 saying where.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{orchsim, repo, text};
use orchsim::distributions::Distribution;
use orchsim::engine::RngFactory;
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("fit_arrivals", name)
}

/// 2026-03-02T00:00:00Z plus `s` seconds, as CloudWatch prints it.
fn stamp(s: u64) -> String {
    let (d, h, m) = (2 + s / 86_400, s / 3_600 % 24, s / 60 % 60);
    format!("2026-03-{d:02}T{h:02}:{m:02}:00+00:00")
}

/// Per-minute counts of a Poisson process whose rate is `rate(t)`, at most `max_rate`, over
/// `minutes`, by thinning (Lewis and Shedler).
fn counts(rate: impl Fn(f64) -> f64, max_rate: f64, minutes: usize, seed: u64) -> Vec<f64> {
    let mut rng = RngFactory::new(seed).stream("fit.arrivals");
    let gap = Distribution::exponential(1.0 / max_rate);
    let unit = Distribution::exponential(1.0);
    let mut out = vec![0.0; minutes];
    let mut t = 0.0;
    loop {
        t += gap.sample(&mut rng);
        let minute = (t / 60.0) as usize;
        if minute >= minutes {
            return out;
        }
        // exp(−E) of a unit exponential E is uniform on (0, 1).
        if (-unit.sample(&mut rng)).exp() * max_rate < rate(t) {
            out[minute] += 1.0;
        }
    }
}

/// get-metric-data JSON, newest first as AWS returns it, without the minutes in `missing`.
fn metric_data(label: &str, counts: &[f64], missing: &[usize]) -> String {
    let kept: Vec<usize> = (0..counts.len()).rev().filter(|m| !missing.contains(m)).collect();
    let doc = json!({"MetricDataResults": [{
        "Id": "m1", "Label": label,
        "Timestamps": kept.iter().map(|&m| stamp(m as u64 * 60)).collect::<Vec<_>>(),
        "Values": kept.iter().map(|&m| counts[m]).collect::<Vec<_>>(),
        "StatusCode": "Complete", "Messages": []}], "Messages": []});
    doc.to_string()
}

/// get-metric-statistics JSON with `Sum` per minute, its points in no order (a fixed
/// shuffle), `Z` timestamps as the CLI prints them.
fn metric_statistics(label: &str, counts: &[f64]) -> String {
    let n = counts.len();
    let points: Vec<Value> = (0..n)
        .map(|i| (i * 7919) % n)
        .map(|m| {
            let t = stamp(m as u64 * 60).replace("+00:00", "Z");
            json!({"Timestamp": t, "SampleCount": counts[m], "Sum": counts[m], "Unit": "Count"})
        })
        .collect();
    json!({"Label": label, "Datapoints": points}).to_string()
}

fn fit(args: &[&str], dir: &Path) -> Value {
    let mut all = vec!["fit", "--json"];
    all.extend(args);
    let out = orchsim(&all, dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

fn arrival(result: &Value) -> &Value {
    result["figures"].as_array().unwrap().iter().find(|f| f["key"] == "arrival").unwrap_or_else(|| panic!("{result:#}"))
}

const SCENARIO: &str = r#"# Orders from the shop.
[run]
seed = 1
horizon_s = 60

[workload.orders]
target = "sqs.orders"
# Guessed before launch.
arrival = "poisson"
rate_per_s = 5.0

[sqs.orders]
visibility_timeout_s = 60

[workers.orders]
source = "sqs.orders"
service_time_s = { dist = "exponential", mean = 0.1 }
count = 4
"#;

#[test]
fn three_rates_over_three_hours_fit_back_as_three_steps() {
    let dir = scratch("steps");
    let rate = |t: f64| {
        if t < 3_600.0 {
            2.0
        } else if t < 7_200.0 {
            8.0
        } else {
            3.0
        }
    };
    let c = counts(rate, 8.0, 180, 1);
    let file = dir.join("sent.json");
    // Two minutes without a point: unknown, not zero.
    fs::write(&file, metric_data("NumberOfMessagesSent", &c, &[30, 150])).unwrap();
    let result = fit(&[file.to_str().unwrap(), "--element", "workload.orders"], &dir);
    assert_eq!(result["inputs"][0]["format"], "CloudWatch get-metric-data JSON");
    let a = arrival(&result);
    assert_eq!((a["scenario_key"].as_bool(), a["samples"].as_u64()), (Some(true), Some(178)));
    assert_eq!(a["value"]["arrival"], "steps", "{a:#}");
    let steps = a["value"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "{a:#}");
    for (step, (at, rate)) in steps.iter().zip([(0.0, 2.0), (3_600.0, 8.0), (7_200.0, 3.0), (10_800.0, 0.0)]) {
        assert_eq!(step[0].as_f64(), Some(at), "{a:#}");
        // 3,600 s at 2/s is 7,200 arrivals: the rate is known to about 1.2 % (1 s.d.).
        let got = step[1].as_f64().unwrap();
        assert!((got - rate).abs() <= 0.05 * rate, "{got} against {rate}: {a:#}");
    }
    let why = a["why"].as_str().unwrap();
    assert!(why.contains("2 periods without a point left out (unknown, not zero)"), "{why}");
    assert!(why.contains("diurnal not tried: the counts span 3 h"), "{why}");

    // Into the scenario: the poisson keys go, the steps come, the comments stay.
    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let args = ["fit", file.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "workload.orders"];
    let out = orchsim(&args, &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let updated = fs::read_to_string(&scenario).unwrap();
    assert!(updated.contains("# Orders from the shop.") && updated.contains("# Guessed before launch."), "{updated}");
    assert!(!updated.contains("rate_per_s = 5.0"), "{updated}");
    assert!(updated.contains("arrival = \"steps\"") && updated.contains("steps = [[0.0, "), "{updated}");
    common::load(&scenario, &[]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_steady_rate_is_poisson() {
    let dir = scratch("poisson");
    let c = counts(|_| 5.0, 5.0, 90, 2);
    let file = dir.join("published.json");
    fs::write(&file, metric_data("NumberOfMessagesPublished", &c, &[])).unwrap();
    let a = arrival(&fit(&[file.to_str().unwrap()], &dir)).clone();
    assert_eq!(a["value"]["arrival"], "poisson", "{a:#}");
    assert!((a["value"]["rate_per_s"].as_f64().unwrap() - 5.0).abs() < 0.15, "{a:#}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_days_of_a_daily_cycle_fit_back_as_diurnal() {
    let dir = scratch("diurnal");
    let omega = 2.0 * std::f64::consts::PI / 86_400.0;
    let rate = |t: f64| 1.0 * (1.0 + 0.6 * (omega * (t - 50_400.0)).cos());
    let c = counts(rate, 1.6, 2 * 1_440, 3);
    let file = dir.join("invocations.json");
    fs::write(&file, metric_statistics("Invocations", &c)).unwrap();
    let result = fit(&[file.to_str().unwrap(), "--element", "workload.orders"], &dir);
    assert_eq!(result["inputs"][0]["format"], "CloudWatch get-metric-statistics JSON");
    let a = arrival(&result);
    let v = &a["value"];
    assert_eq!(v["arrival"], "diurnal", "{a:#}");
    assert!((v["mean_rate_per_s"].as_f64().unwrap() - 1.0).abs() < 0.02, "{a:#}");
    assert!((v["amplitude"].as_f64().unwrap() - 0.6).abs() < 0.03, "{a:#}");
    assert!((v["peak_at_s"].as_f64().unwrap() - 50_400.0).abs() < 900.0, "{a:#}");
    assert_eq!(v["period_s"].as_f64(), Some(86_400.0));
    assert!(a["why"].as_str().unwrap().contains("diurnal: the lower BIC"), "{a:#}");

    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let args = ["fit", file.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "workload.orders"];
    assert!(orchsim(&args, &dir).status.success());
    let updated = fs::read_to_string(&scenario).unwrap();
    assert!(updated.contains("arrival = \"diurnal\"") && updated.contains("amplitude = 0."), "{updated}");
    common::load(&scenario, &[]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bursts_no_schedule_explains_become_a_replay_trace_the_scenario_reads() {
    let dir = scratch("replay");
    let c: Vec<f64> = (0..60).map(|m| if m % 4 == 1 { 480.0 + m as f64 } else { 0.0 }).collect();
    let file = dir.join("sent.json");
    fs::write(&file, metric_data("NumberOfMessagesSent", &c, &[])).unwrap();
    // Without a place for the trace: refused, saying why.
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("give --trace FILE") && stderr.contains("more than 6 steps would be needed"), "{stderr}");

    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let args = ["fit", file.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "workload.orders"];
    let out = orchsim(&args, &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let updated = fs::read_to_string(&scenario).unwrap();
    assert!(
        updated.contains("arrival = \"replay\"") && updated.contains("file = \"orders-arrivals.csv\""),
        "{updated}"
    );
    let trace = fs::read_to_string(dir.join("orders-arrivals.csv")).unwrap();
    let total: f64 = c.iter().sum();
    assert_eq!(
        trace.lines().filter(|l| !l.starts_with('#')).count(),
        total as usize + 1,
        "a header and a row per send"
    );
    assert!(trace.contains("\nsend_time_s\n60.062\n"), "{}", &trace[..200]);
    common::load(&scenario, &[]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_hand_written_export_with_a_gap_is_read() {
    let dir = scratch("fixture");
    let result = fit(&[repo().join("tests/data/fit/sent-per-minute.json").to_str().unwrap()], &dir);
    let a = arrival(&result);
    assert_eq!(a["value"]["arrival"], "poisson", "{a:#}");
    assert_eq!(a["samples"], 34);
    assert!(a["why"].as_str().unwrap().contains("1 periods without a point"), "{a:#}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_counts_exit_2_with_the_file_and_the_place() {
    let dir = scratch("bad");
    let cases = [
        (
            r#"{"MetricDataResults":[{"Id":"sent","Label":"NumberOfMessagesSent","Timestamps":["2026-03-02T10:00:00Z","yesterday"],"Values":[1.0,2.0]}]}"#,
            "MetricDataResults[0]: Timestamps[1] is \"yesterday\", not an ISO 8601 timestamp",
        ),
        (
            r#"{"Label":"Invocations","Datapoints":[{"Timestamp":"10:00","Sum":4.0,"Unit":"Count"}]}"#,
            "Datapoints[0]: Timestamp \"10:00\" is not an ISO 8601 timestamp",
        ),
        (
            r#"{"MetricDataResults":[{"Id":"sent","Label":"NumberOfMessagesSent","Timestamps":[],"Values":[],"StatusCode":"Complete"}]}"#,
            "every series is empty",
        ),
        (
            r#"{"MetricDataResults":[{"Id":"sent","Label":"NumberOfMessagesSent","Timestamps":["2026-03-02T10:00:00Z","2026-03-02T10:01:00Z"],"Values":[3.0,4.0]}]}"#,
            "arrival: 2 periods with a count, at least 30 needed",
        ),
    ];
    for (i, (content, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("export-{i}.json"));
        fs::write(&file, content).unwrap();
        let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
        assert_eq!(out.status.code(), Some(2), "{content}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(i == 3 || stderr.contains(&file.display().to_string()), "{stderr}");
    }
    fs::remove_dir_all(&dir).unwrap();
}
