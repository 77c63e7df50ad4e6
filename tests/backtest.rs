//! `orchsim backtest`: telemetry written in CloudWatch's export shapes (newest first,
//! unordered points, missing points) from a run of a small scenario, then the same scenario
//! backtested against it; the same telemetry perturbed; a Cost and Usage Report matched by
//! usage type; bad inputs refused with exit 2.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{orchsim, scratch_in, text};
use orchsim::run;
use orchsim::scenario::Scenario;
use serde_json::{Value, json};

/// A backlog that builds for eight minutes and drains: Lambda at five at a time behind a
/// queue, with Poisson arrivals (the backtest replays their per-minute counts, spread
/// uniformly within each minute).
const SCENARIO: &str = r#"
[run]
horizon_s = 1200
sample_interval_s = 1
seed = 11
[workload.orders]
target = "sqs.jobs"
arrival = "steps"
steps = [[0, 12], [480, 2]]
[sqs.jobs]
visibility_timeout_s = 60
[lambda.worker]
source = "sqs.jobs"
batch_size = 1
timeout_s = 10
reserved_concurrency = 5
duration_s = { dist = "lognormal", median = 0.5, p99 = 1.5 }
"#;

/// 2026-03-02T10:00:00Z: virtual time 0 of the observed window.
const START: i64 = 1_772_445_600;

fn stamp(t: i64) -> String {
    orchsim::backtest::observed::format_timestamp(t).replace('Z', "+00:00")
}

/// Per minute: the difference of a running count, or the largest sample of a level.
fn per_minute(series: &orchsim::metrics::TimeSeries, column: &str, count: bool) -> Vec<f64> {
    let c = series.columns.iter().position(|x| x == column).unwrap();
    let rows: Vec<(u64, f64)> = series.rows().map(|(t, r)| (t.as_micros() / 1_000_000, r[c])).collect();
    let at = |s: u64| rows.iter().rev().find(|r| r.0 <= s).map_or(0.0, |r| r.1);
    (0..20u64)
        .map(|m| {
            if count {
                at(60 * (m + 1)) - at(60 * m)
            } else {
                rows.iter().filter(|r| r.0 >= 60 * m && r.0 < 60 * (m + 1)).map(|r| r.1).fold(0.0, f64::max)
            }
        })
        .collect()
}

/// One get-metric-data result, newest first as CloudWatch returns it, without the minutes
/// in `missing`.
fn result(id: &str, label: &str, values: &[f64], missing: &[usize]) -> Value {
    let kept: Vec<usize> = (0..values.len()).rev().filter(|m| !missing.contains(m)).collect();
    json!({
        "Id": id,
        "Label": label,
        "Timestamps": kept.iter().map(|&m| stamp(START + 60 * m as i64)).collect::<Vec<_>>(),
        "Values": kept.iter().map(|&m| values[m]).collect::<Vec<_>>(),
        "StatusCode": "Complete",
        "Messages": [],
    })
}

/// The scenario, sampling what CloudWatch would report, as a backtest's run does.
fn with_cloudwatch(mut scenario: Scenario) -> Scenario {
    scenario.run.cloudwatch_series = true;
    scenario
}

/// The scenario file, and a folder of exports written from its own run.
fn observed_from_a_run(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch_in("backtest", name);
    let scenario_path = dir.join("orders.toml");
    fs::write(&scenario_path, SCENARIO).unwrap();
    let r = run::run(&with_cloudwatch(Scenario::load(&scenario_path, &[]).unwrap())).unwrap();
    let m = &r.measurements;
    let workload_sent = per_minute(&m.cloudwatch, "sqs.jobs.sent", true);
    let depth = per_minute(&m.series, "sqs.jobs.visible", false);
    assert!(depth.iter().any(|v| *v > 100.0), "a backlog builds: {depth:?}");
    let age = per_minute(&m.cloudwatch, "sqs.jobs.age_oldest_s", false);
    let concurrency = per_minute(&m.series, "lambda.worker.concurrency", false);
    let observed = dir.join("observed");
    fs::create_dir_all(&observed).unwrap();
    let data = json!({
        "MetricDataResults": [
            result("sent", "jobs NumberOfMessagesSent Sum", &workload_sent, &[]),
            result("visible", "jobs ApproximateNumberOfMessagesVisible Maximum", &depth, &[3, 17]),
            result("age", "jobs ApproximateAgeOfOldestMessage Maximum", &age, &[5]),
            result("conc", "worker ConcurrentExecutions Maximum", &concurrency, &[]),
        ],
        "Messages": [],
    });
    fs::write(observed.join("sqs-and-lambda.json"), serde_json::to_string_pretty(&data).unwrap()).unwrap();
    // Duration's p50 and p99 over the whole window as one period, get-metric-statistics.
    let h = &m.latencies.iter().find(|(n, _)| n == "lambda.worker.duration").unwrap().1;
    let s = h.summary();
    let stats = json!({"Label": "Duration", "Datapoints": [{
        "Timestamp": orchsim::backtest::observed::format_timestamp(START),
        "SampleCount": s.count as f64, "Unit": "Milliseconds",
        "ExtendedStatistics": {"p50": s.p50_ms, "p99": s.p99_ms}}]});
    fs::write(observed.join("duration.json"), serde_json::to_string(&stats).unwrap()).unwrap();
    (dir, scenario_path, observed)
}

fn backtest(dir: &Path, args: &[&str]) -> (i32, String, String, Option<Value>) {
    let out = dir.join("out");
    let mut all = vec!["backtest", "orders.toml", "--observed", "observed", "--out", "out", "--force"];
    all.extend_from_slice(args);
    let o = orchsim(&all, dir);
    let json = fs::read_to_string(out.join("backtest.json")).ok().map(|t| serde_json::from_str(&t).unwrap());
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr), json)
}

fn metric<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["metrics"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn a_scenario_backtested_against_its_own_telemetry_passes() {
    let (dir, _, _) = observed_from_a_run("own");
    let (code, stdout, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json = json.unwrap();
    assert_eq!(json["pass"], true);
    for name in [
        "sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum",
        "sqs.jobs.ApproximateAgeOfOldestMessage.Maximum",
        "lambda.worker.ConcurrentExecutions.Maximum",
        "lambda.worker.Duration.p50",
        "lambda.worker.Duration.p99",
    ] {
        let m = metric(&json, name);
        assert_eq!(m["pass"], true, "{name}: {m}");
    }
    // The missing points are not compared, and not taken for zeros.
    assert_eq!(metric(&json, "sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum")["points_compared"], 18);
    assert_eq!(json["window"]["start"], "2026-03-02T10:00:00Z");
    assert_eq!(json["window"]["period_s"], 60);
    assert_eq!(json["arrivals"][0]["workload"], "orders");
    // One chart per metric, in both formats, and the page's section.
    let out = dir.join("out");
    for i in 1..=json["metrics"].as_array().unwrap().len() {
        let png = fs::read(out.join(format!("charts/backtest-{i:02}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(out.join(format!("charts/backtest-{i:02}.svg")).exists());
    }
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<h2>Backtest</h2>"));
    // The same inputs and seed give the same bytes.
    let first = fs::read(out.join("backtest.json")).unwrap();
    let (code, ..) = backtest(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(first, fs::read(out.join("backtest.json")).unwrap());
}

#[test]
fn a_doubled_queue_depth_fails_on_that_metric_alone_with_exit_1() {
    let (dir, _, observed) = observed_from_a_run("perturbed");
    let path = observed.join("sqs-and-lambda.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for r in doc["MetricDataResults"].as_array_mut().unwrap() {
        if r["Id"] == "visible" {
            for v in r["Values"].as_array_mut().unwrap() {
                *v = json!(v.as_f64().unwrap() * 2.0);
            }
        }
    }
    fs::write(&path, doc.to_string()).unwrap();
    let (code, stdout, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum"), "{stderr}");
    let json = json.expect("the results are written when metrics fail");
    let failed: Vec<&str> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["pass"] == false)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum"]);
    // A looser tolerance for that metric lets it pass.
    let (code, ..) = backtest(&dir, &["--tolerance", "ApproximateNumberOfMessagesVisible=80%"]);
    assert_eq!(code, 0);
}

#[test]
fn a_cost_and_usage_report_is_matched_by_whole_usage_type_in_both_column_sets() {
    let (dir, _, _) = observed_from_a_run("cur");
    let (_, _, _, json) = backtest(&dir, &[]);
    let messages = json.unwrap()["arrivals"][0]["messages"].as_u64().unwrap();
    // Lambda's `Request` without the us-east-1 code, SQS's `Requests-Tier1` with it, a
    // credit that is not usage.
    let rows = |header: &str| {
        format!(
            "{header}\nAWSLambda,Request,Usage,{messages},0.0004\nAWSQueueService,USE1-Requests-Tier1,Usage,123,0.0000492\nAWSLambda,Request,Credit,-5,-0.000001\n"
        )
    };
    let cur2 = "line_item_product_code,line_item_usage_type,line_item_line_item_type,line_item_usage_amount,line_item_unblended_cost";
    let legacy =
        "lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost";
    let mut bills = Vec::new();
    for (file, header) in [("cur2.csv", cur2), ("legacy.csv", legacy)] {
        fs::write(dir.join(file), rows(header)).unwrap();
        let (_, stdout, stderr, json) = backtest(&dir, &["--cur", file]);
        let json = json.unwrap_or_else(|| panic!("{stdout}\n{stderr}"));
        let bill = json["bill"].clone();
        let line = |name: &str| bill.as_array().unwrap().iter().find(|l| l["name"] == name).unwrap().clone();
        let request = line("bill.AWSLambda.Request.usage");
        assert_eq!(request["observed"].as_f64(), Some(messages as f64), "{request}");
        assert_eq!(request["simulated"].as_f64(), Some(messages as f64), "every message invoked once: {request}");
        assert_eq!(request["pass"], true);
        // SQS's meter holds SQS's figure, not Lambda's.
        assert_eq!(line("bill.AWSQueueService.Requests-Tier1.usage")["observed"].as_f64(), Some(123.0));
        bills.push(bill);
    }
    assert_eq!(bills[0], bills[1], "CUR 2.0 and legacy columns read alike");
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr, _) = backtest(dir, args);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.join("out").exists(), "nothing written");
    stderr
}

#[test]
fn bad_inputs_exit_2_with_the_file_the_place_and_what_was_expected() {
    let (dir, _, observed) = observed_from_a_run("bad");
    let good = fs::read_to_string(observed.join("sqs-and-lambda.json")).unwrap();
    let bad = observed.join("zz-bad.json");

    // Truncated JSON: the file and its line.
    fs::write(&bad, &good[..good.len() / 2]).unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("zz-bad.json:") && e.contains("truncated"), "{e}");

    // A unit CloudWatch would not convert.
    fs::write(
        &bad,
        r#"{"Label":"Duration","Datapoints":[{"Timestamp":"2026-03-02T10:00:00Z","Average":0.5,"Unit":"Seconds"}]}"#,
    )
    .unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("zz-bad.json") && e.contains("\"Seconds\"") && e.contains("\"Milliseconds\""), "{e}");

    // An empty series.
    fs::write(
        &bad,
        r#"{"MetricDataResults":[{"Id":"t","Label":"worker Throttles Sum","Timestamps":[],"Values":[],"StatusCode":"Complete"}],"Messages":[]}"#,
    )
    .unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("zz-bad.json") && e.contains("empty"), "{e}");
    fs::write(
        &bad,
        r#"{"MetricDataResults":[{"Id":"a","Label":"worker Invocations","Timestamps":["2026-03-02T10:00:00Z"],"Values":[1]},{"Id":"t","Label":"worker Throttles Sum","Timestamps":[],"Values":[],"StatusCode":"Complete"}]}"#,
    )
    .unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("zz-bad.json") && e.contains("MetricDataResults[1]") && e.contains("no points"), "{e}");

    // A bad timestamp: which point.
    fs::write(&bad, r#"{"MetricDataResults":[{"Id":"t","Label":"worker Throttles","Timestamps":["noon"],"Values":[1],"StatusCode":"Complete"}]}"#)
        .unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("MetricDataResults[0]") && e.contains("\"noon\"") && e.contains("ISO 8601"), "{e}");

    // A page of a longer answer.
    fs::write(&bad, r#"{"MetricDataResults":[{"Id":"t","Label":"worker Throttles","Timestamps":["2026-03-02T10:00:00Z"],"Values":[1],"StatusCode":"PartialData"}],"NextToken":"x"}"#)
        .unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("MetricDataResults[0]") && e.contains("NextToken"), "{e}");

    // An unknown format.
    fs::write(&bad, "hello\n").unwrap();
    let e = refused(&dir, &[]);
    assert!(e.contains("zz-bad.json") && e.contains("unknown format"), "{e}");
    fs::remove_file(&bad).unwrap();

    // A CUR without a needed column, and one cut short.
    fs::write(dir.join("cur.csv"), "line_item_product_code,line_item_usage_type\nAWSLambda,Request\n").unwrap();
    let e = refused(&dir, &["--cur", "cur.csv"]);
    assert!(e.contains("cur.csv:1:") && e.contains("line_item_usage_amount"), "{e}");
    fs::write(
        dir.join("cur.csv"),
        "line_item_product_code,line_item_usage_type,line_item_line_item_type,line_item_usage_amount,line_item_unblended_cost\nAWSLambda,Request,Usage,12,0.1\nAWSLambda,Request,Usa",
    )
    .unwrap();
    let e = refused(&dir, &["--cur", "cur.csv"]);
    assert!(e.contains("cur.csv:3:"), "{e}");
    fs::write(dir.join("cur.csv"), "").unwrap();
    let e = refused(&dir, &["--cur", "cur.csv"]);
    assert!(e.contains("cur.csv") && e.contains("empty"), "{e}");

    // A tolerance that is not one, or names nothing compared.
    let e = refused(&dir, &["--tolerance", "Throttles=lots"]);
    assert!(e.contains("lots"), "{e}");
    let e = refused(&dir, &["--tolerance", "ApproximateNumberOfMessagesVisibel=10%"]);
    assert!(e.contains("names no metric compared"), "{e}");

    // An empty folder.
    for f in fs::read_dir(&observed).unwrap() {
        fs::remove_file(f.unwrap().path()).unwrap();
    }
    let e = refused(&dir, &[]);
    assert!(e.contains("observed") && e.contains("no export"), "{e}");
}

/// A topic fanned out to a filtered queue drained by a throttled function, and to an HTTPS
/// endpoint that fails one attempt in ten.
const FAN_OUT: &str = r#"
[run]
horizon_s = 600
sample_interval_s = 1
seed = 5
[workload.orders]
target = "sns.orders"
arrival = "poisson"
rate_per_s = 20
[workload.orders.attributes]
kind = { values = ["paid", "refund"], weights = [3, 1] }
[sns.orders]
[subscription.paid]
topic = "sns.orders"
endpoint = "sqs.paid"
filter_policy = '{"kind": ["paid"]}'
[subscription.hook]
topic = "sns.orders"
endpoint = "endpoint.hook"
[endpoint.hook]
protocol = "https"
failure_rate = 0.1
[sqs.paid]
visibility_timeout_s = 30
[lambda.worker]
source = "sqs.paid"
batch_size = 1
timeout_s = 5
reserved_concurrency = 2
duration_s = { dist = "lognormal", median = 0.12, p99 = 0.4 }
"#;

#[test]
fn sns_counts_lambda_throttles_and_per_minute_durations_are_compared() {
    let dir = scratch_in("backtest", "fan-out");
    fs::write(dir.join("orders.toml"), FAN_OUT).unwrap();
    let r = run::run(&with_cloudwatch(Scenario::load(&dir.join("orders.toml"), &[]).unwrap())).unwrap();
    let cw = &r.measurements.cloudwatch;
    let minutes = |column: &str| per_minute(cw, column, true)[..10].to_vec();
    let (count, sum) = (minutes("lambda.worker.duration_count"), minutes("lambda.worker.duration_sum_ms"));
    let average: Vec<f64> = count.iter().zip(&sum).map(|(c, s)| s / c).collect();
    let throttles = minutes("lambda.worker.throttles");
    assert!(throttles.iter().sum::<f64>() > 0.0, "reserved concurrency below the pollers throttles");
    let failed = minutes("sns.orders.failed");
    assert!(failed.iter().sum::<f64>() > 0.0);
    let data = json!({"MetricDataResults": [
        result("pub", "orders NumberOfMessagesPublished Sum", &minutes("sns.orders.published"), &[]),
        result("del", "orders NumberOfNotificationsDelivered Sum", &minutes("sns.orders.delivered"), &[]),
        result("fail", "orders NumberOfNotificationsFailed Sum", &failed, &[]),
        result("filt", "orders NumberOfNotificationsFilteredOut Sum", &minutes("sns.orders.filtered_out"), &[4]),
        result("thr", "worker Throttles Sum", &throttles, &[]),
        result("dur", "worker Duration Average", &average, &[]),
    ]});
    let observed = dir.join("observed");
    fs::create_dir_all(&observed).unwrap();
    fs::write(observed.join("fan-out.json"), data.to_string()).unwrap();
    let (code, stdout, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json = json.unwrap();
    for name in [
        "sns.orders.NumberOfNotificationsDelivered.Sum",
        "sns.orders.NumberOfNotificationsFailed.Sum",
        "sns.orders.NumberOfNotificationsFilteredOut.Sum",
        "lambda.worker.Throttles.Sum",
        "lambda.worker.Duration.Average",
    ] {
        assert_eq!(metric(&json, name)["pass"], true, "{name}: {}", metric(&json, name));
    }
    assert_eq!(metric(&json, "sns.orders.NumberOfNotificationsFilteredOut.Sum")["points_compared"], 9);

    // A quarter of the notifications more filtered out than the run filters fails that one.
    let mut doc = data.clone();
    for v in doc["MetricDataResults"][3]["Values"].as_array_mut().unwrap() {
        *v = json!(v.as_f64().unwrap() * 1.25);
    }
    fs::write(observed.join("fan-out.json"), doc.to_string()).unwrap();
    let (code, _, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 1, "{stderr}");
    let json = json.unwrap();
    let failed: Vec<&str> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["pass"] == false)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["sns.orders.NumberOfNotificationsFilteredOut.Sum"]);
}

#[test]
fn step_functions_execution_time_is_compared_per_minute_and_after_the_run_drains() {
    let dir = scratch_in("backtest", "machine");
    let definition = r#"{"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "End": true}}}"#;
    fs::write(dir.join("hold.asl.json"), definition).unwrap();
    let text = r#"
[run]
horizon_s = 480
sample_interval_s = 1
[workload.orders]
target = "step_functions.hold"
arrival = "poisson"
rate_per_s = 4
stop_s = 300
[step_functions.hold]
definition = "hold.asl.json"
type = "standard"
"#;
    fs::write(dir.join("orders.toml"), text).unwrap();
    let r = run::run(&with_cloudwatch(Scenario::load(&dir.join("orders.toml"), &[]).unwrap())).unwrap();
    let cw = &r.measurements.cloudwatch;
    let minutes = |column: &str| per_minute(cw, column, true)[..8].to_vec();
    let started = minutes("step_functions.hold.started");
    assert_eq!(started[6], 0.0, "no traffic after five minutes");
    let (count, sum) =
        (minutes("step_functions.hold.execution_count"), minutes("step_functions.hold.execution_time_sum_ms"));
    let average: Vec<f64> = count.iter().zip(&sum).map(|(c, s)| if *c > 0.0 { s / c } else { 0.0 }).collect();
    // CloudWatch sends no Average for a minute without executions.
    let quiet: Vec<usize> = (0..8).filter(|m| count[*m] == 0.0).collect();
    let data = json!({"MetricDataResults": [
        result("s", "arn:aws:states:us-east-1:111122223333:stateMachine:hold ExecutionsStarted Sum", &started, &[]),
        result("t", "arn:aws:states:us-east-1:111122223333:stateMachine:hold ExecutionTime Average", &average, &quiet),
    ]});
    fs::create_dir_all(dir.join("observed")).unwrap();
    fs::write(dir.join("observed/states.json"), data.to_string()).unwrap();
    let (code, stdout, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json = json.unwrap();
    let m = metric(&json, "step_functions.hold.ExecutionTime.Average");
    assert_eq!(m["pass"], true, "{m}");
    assert_eq!(m["points_compared"], 8 - quiet.len());
    assert!(m["observed"][0][1].as_f64().unwrap() >= 2000.0, "the Wait holds 2 s: {m}");
    assert_eq!(json["window"]["end"], "2026-03-02T10:08:00Z");
}

/// REPORT lines as Lambda writes them (tab-separated), one per duration in seconds.
fn report_lines(durations: &[f64]) -> String {
    let mut out = String::new();
    for (i, d) in durations.iter().enumerate() {
        let ms = d * 1000.0;
        out.push_str(&format!(
            "REPORT RequestId: {i:08x}-aaaa-4bbb-8ccc-0123456789ab\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\t\n",
            ms.ceil()
        ));
    }
    out
}

#[test]
fn report_lines_are_compared_as_a_distribution_by_ks_distance() {
    let (dir, _, observed) = observed_from_a_run("report");
    let dist = orchsim::distributions::Distribution::lognormal(0.5, 1.5);
    let mut rng = orchsim::engine::RngFactory::new(3).stream("backtest.test");
    let durations: Vec<f64> = (0..2000).map(|_| dist.sample(&mut rng)).collect();
    fs::write(observed.join("worker-report.log"), report_lines(&durations)).unwrap();
    let (code, stdout, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let m = metric(json.as_ref().unwrap(), "lambda.worker.Duration.distribution").clone();
    assert_eq!(m["measure"], "ks_distance_pct");
    assert_eq!(m["points_compared"], 2000);
    assert!(m["value"].as_f64().unwrap() < 5.0, "{m}");
    // Half as slow again: the distribution is far off.
    let slower: Vec<f64> = durations.iter().map(|d| d * 1.5).collect();
    fs::write(observed.join("worker-report.log"), report_lines(&slower)).unwrap();
    let (code, _, stderr, json) = backtest(&dir, &[]);
    assert_eq!(code, 1, "{stderr}");
    let m = metric(json.as_ref().unwrap(), "lambda.worker.Duration.distribution").clone();
    assert!(m["value"].as_f64().unwrap() > 20.0 && m["pass"] == false, "{m}");
}
