//! `orchsim fit` end to end: telemetry written in AWS's shapes from known distributions
//! fits back within statistical tolerance; each format's quirks; refusals and exit codes;
//! `--into` keeps the scenario's comments and leaves a file that still loads.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use common::{figure, orchsim, repo, text};
use orchsim::calibrate::formats::{self, Format, Telemetry};
use orchsim::distributions::Distribution;
use orchsim::engine::RngFactory;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("fit", name)
}

fn data(name: &str) -> PathBuf {
    repo().join("tests/data/fit").join(name)
}

/// `n` draws in seconds from `dist`, seeded.
fn draws(dist: &Distribution, seed: u64, n: usize) -> Vec<f64> {
    let mut rng = RngFactory::new(seed).stream("fit.test");
    (0..n).map(|_| dist.sample(&mut rng)).collect()
}

/// Text REPORT lines, as Lambda writes them (tab-separated, a trailing tab), with the
/// START and END lines around them; every `cold_every`-th invocation a cold start whose
/// billed duration takes in its INIT when `init_billed`.
fn report_text(durations: &[f64], inits: &[f64], cold_every: usize, init_billed: bool) -> String {
    let mut out = String::new();
    for (i, d) in durations.iter().enumerate() {
        let id = format!("{i:08x}-aaaa-4bbb-8ccc-0123456789ab");
        let ms = d * 1000.0;
        writeln!(out, "START RequestId: {id} Version: $LATEST\nEND RequestId: {id}").unwrap();
        let mut line = format!("REPORT RequestId: {id}\tDuration: {ms:.2} ms\t");
        let init = (cold_every > 0 && i % cold_every == 0).then(|| inits[i / cold_every] * 1000.0);
        let billed = (ms + if init_billed { init.unwrap_or(0.0) } else { 0.0 }).ceil();
        write!(line, "Billed Duration: {billed} ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\t").unwrap();
        if let Some(init) = init {
            write!(line, "Init Duration: {init:.2} ms\t").unwrap();
        }
        writeln!(out, "{line}").unwrap();
    }
    out
}

fn fit_json(files: &[&Path], dir: &Path) -> Value {
    let args: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    common::fit_json(&args, dir)
}

fn ratio(a: &Value, b: f64) -> f64 {
    a.as_f64().unwrap() / b
}

#[test]
fn lognormal_durations_and_inits_from_text_report_lines_fit_back() {
    let dir = scratch("lognormal");
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 1, 1600);
    let inits = draws(&Distribution::lognormal(0.3, 1.2), 2, 400);
    let file = dir.join("report.log");
    fs::write(&file, report_text(&durations, &inits, 4, true)).unwrap();
    let result = fit_json(&[&file], &dir);
    assert_eq!(result["inputs"][0]["format"], "Lambda REPORT lines (text log format)");
    let duration = figure(&result, "duration_s");
    assert_eq!(duration["value"]["dist"], "lognormal", "{duration:#}");
    assert_eq!(duration["samples"], 1600);
    // σ is known to about 2 % at n = 1,600; the median to about 2 %, p99 to about 5 %.
    assert!((ratio(&duration["value"]["median"], 0.04) - 1.0).abs() < 0.06, "{duration:#}");
    assert!((ratio(&duration["value"]["p99"], 0.25) - 1.0).abs() < 0.12, "{duration:#}");
    let init = figure(&result, "init_duration_s");
    assert_eq!((init["value"]["dist"].as_str(), init["samples"].as_u64()), (Some("lognormal"), Some(400)));
    assert!((ratio(&init["value"]["median"], 0.3) - 1.0).abs() < 0.08, "{init:#}");
    assert!((ratio(&init["value"]["p99"], 1.2) - 1.0).abs() < 0.15, "{init:#}");
    let cold = figure(&result, "cold_start_share");
    assert_eq!((cold["value"].as_f64(), cold["samples"].as_u64()), (Some(0.25), Some(1600)));
    assert_eq!(cold["scenario_key"], false);
    let notes = result["notes"].to_string();
    assert!(notes.contains("INIT is in the billed duration of all 400 cold starts"), "{notes}");
    assert!(notes.contains("no REPORT line says how its invocation ended"), "{notes}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exponential_durations_from_json_log_records_fit_back_with_error_and_timeout_shares() {
    let dir = scratch("exponential");
    let durations = draws(&Distribution::exponential(0.2), 3, 2000);
    let mut log = String::new();
    for (i, d) in durations.iter().enumerate() {
        let status = match i % 100 {
            0 => "error",
            1 if i < 1000 => "timeout",
            _ => "success",
        };
        // The function's own lines and other platform records sit between the reports.
        writeln!(
            log,
            r#"{{"timestamp":"2026-03-02T10:05:07.900Z","level":"INFO","requestId":"r{i}","message":"done"}}"#
        )
        .unwrap();
        writeln!(
            log,
            r#"{{"time":"2026-03-02T10:05:07.912Z","type":"platform.start","record":{{"requestId":"r{i}"}}}}"#
        )
        .unwrap();
        writeln!(
            log,
            r#"{{"time":"2026-03-02T10:05:07.912Z","type":"platform.report","record":{{"requestId":"r{i}","status":"{status}","metrics":{{"durationMs":{:.3},"billedDurationMs":{},"memorySizeMB":512,"maxMemoryUsedMB":88}}}}}}"#,
            d * 1000.0,
            (d * 1000.0).ceil()
        )
        .unwrap();
    }
    let file = dir.join("report.jsonl");
    fs::write(&file, log).unwrap();
    let result = fit_json(&[&file], &dir);
    assert_eq!(result["inputs"][0]["format"], "Lambda platform.report records (JSON log format)");
    let duration = figure(&result, "duration_s");
    assert_eq!(duration["value"]["dist"], "exponential", "{duration:#}");
    // Timed-out runs are right-censored at their Duration: they lasted at least that long.
    assert_eq!(duration["samples"], 2000);
    assert!(duration["why"].as_str().unwrap().contains("10 of 2000 durations right-censored"), "{duration:#}");
    assert!((ratio(&duration["value"]["mean"], 0.2) - 1.0).abs() < 0.07, "{duration:#}");
    let errors = figure(&result, "error_rate");
    assert_eq!((errors["value"].as_f64(), errors["scenario_key"].as_bool()), (Some(0.01), Some(true)));
    let interval = errors["interval_95"].as_array().unwrap();
    assert!(interval[0].as_f64().unwrap() < 0.01 && interval[1].as_f64().unwrap() > 0.01);
    assert_eq!(figure(&result, "timeout_share")["value"], 0.005);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_outside_the_billed_duration_is_said_to_predate_august_2025() {
    let dir = scratch("init-unbilled");
    let durations = draws(&Distribution::lognormal(0.05, 0.3), 4, 60);
    let inits = draws(&Distribution::lognormal(0.3, 1.2), 5, 6);
    let file = dir.join("report.log");
    fs::write(&file, report_text(&durations, &inits, 10, false)).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("INIT is not in the billed duration of any of the 6 cold starts"), "{stdout}");
    assert!(stdout.contains("set bills_init = false"), "{stdout}");
    // Six cold starts are too few for a distribution, and the fragment says how many it needs.
    assert!(
        stdout.contains(
            "# init_duration_s not fitted: 6 REPORT lines with an Init Duration (cold starts), at least 30 needed"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("[lambda.FUNCTION]\nduration_s = { dist = \""), "{stdout}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_fragment_names_the_function_of_the_log_group_and_says_what_it_read() {
    let dir = scratch("fragment");
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 6, 50);
    let file = dir.join("orders.log");
    let header = "# aws logs tail /aws/lambda/orders --since 1h\n";
    fs::write(&file, format!("{header}{}", report_text(&durations, &[], 0, true))).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some(format!("# {}: Lambda REPORT lines (text log format)", file.display()).as_str()));
    assert_eq!(lines.next(), Some("[lambda.orders]"));
    let duration = lines.next().unwrap();
    assert!(duration.starts_with("duration_s = { dist = \""), "{duration}");
    assert!(duration.contains("# 50 REPORT lines with a Duration; "), "{duration}");
    assert!(duration.contains("KS D = "), "{duration}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_lines_in_cloudwatch_logs_events_json_are_read_and_placed_by_event() {
    let dir = scratch("log-events");
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 10, 40);
    let events: Vec<Value> = report_text(&durations, &[], 0, true)
        .lines()
        .enumerate()
        .map(|(i, line)| serde_json::json!({"logStreamName": "s", "timestamp": 1772445907000u64 + i as u64, "message": format!("{line}\n"), "eventId": i.to_string()}))
        .collect();
    let file = dir.join("events.json");
    fs::write(&file, serde_json::json!({"events": events, "searchedLogStreams": []}).to_string()).unwrap();
    let result = fit_json(&[&file], &dir);
    assert_eq!(result["inputs"][0]["format"], "CloudWatch Logs events JSON (filter-log-events, get-log-events)");
    assert_eq!(figure(&result, "duration_s")["samples"], 40);
    let bad = serde_json::json!({"events": [
        {"timestamp": 1, "message": "START RequestId: a Version: $LATEST"},
        {"timestamp": 2, "message": "REPORT RequestId: a\tDuration: ms\t"}]});
    fs::write(&file, bad.to_string()).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("events.json: events[1]: `Duration: ms`: expected a number"),
        "{}",
        text(&out.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logs_insights_results_with_string_values_are_read() {
    let dir = scratch("insights");
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 12, 60);
    let rows: Vec<Value> = durations
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut row = vec![
                serde_json::json!({"field": "@timestamp", "value": "2026-03-02 10:05:07.912"}),
                serde_json::json!({"field": "@duration", "value": format!("{:.2}", d * 1000.0)}),
            ];
            if i % 20 == 0 {
                row.push(serde_json::json!({"field": "@initDuration", "value": "310.55"}));
            }
            row.push(serde_json::json!({"field": "@ptr", "value": "Cm0K"}));
            Value::Array(row)
        })
        .collect();
    let file = dir.join("insights.json");
    let doc = serde_json::json!({"status": "Running", "statistics": {"recordsMatched": 60.0}, "results": rows});
    fs::write(&file, doc.to_string()).unwrap();
    let result = fit_json(&[&file], &dir);
    assert_eq!(result["inputs"][0]["format"], "CloudWatch Logs Insights results JSON");
    assert_eq!(figure(&result, "duration_s")["samples"], 60);
    assert_eq!(figure(&result, "cold_start_share")["value"], 0.05);
    let notes = result["notes"].to_string();
    assert!(notes.contains("status is Running, not Complete: its results may be partial"), "{notes}");
    let bad = r#"{"status":"Complete","results":[[{"field":"@duration","value":"4x"}]]}"#;
    fs::write(&file, bad).unwrap();
    let stderr = text(&orchsim(&["fit", file.to_str().unwrap()], &dir).stderr);
    assert!(stderr.contains(r#"results[0]: @duration is "4x", not a number of milliseconds"#), "{stderr}");
    let stats = r#"{"status":"Complete","results":[[{"field":"p99","value":"955.0"}]]}"#;
    fs::write(&file, stats).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("results[0]: no @duration: query the REPORT lines' fields"),
        "{}",
        text(&out.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_report_line_exits_2_with_its_file_and_line() {
    let dir = scratch("malformed");
    let file = dir.join("report.log");
    let good = "REPORT RequestId: a\tDuration: 41.27 ms\tBilled Duration: 42 ms\t";
    fs::write(
        &file,
        format!("START RequestId: a Version: $LATEST\n{good}\nREPORT RequestId: b\tDuration: 4x.1 ms\t\n"),
    )
    .unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains(&format!("error: {}:3: `Duration: 4x.1 ms`: expected a number of milliseconds", file.display())),
        "{stderr}"
    );
    fs::write(&file, "REPORT RequestId: c\tBilled Duration: 42 ms\t\n").unwrap();
    let stderr = text(&orchsim(&["fit", file.to_str().unwrap()], &dir).stderr);
    assert!(stderr.contains(":1: a REPORT line without `Duration: N ms`"), "{stderr}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn too_few_samples_are_refused_with_the_number_needed_and_exit_2() {
    let dir = scratch("too-few");
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 7, 12);
    let file = dir.join("report.log");
    fs::write(&file, report_text(&durations, &[], 0, true)).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: nothing fitted:"), "{stderr}");
    assert!(stderr.contains("duration_s: 12 REPORT lines with a Duration, at least 30 needed"), "{stderr}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn get_metric_statistics_points_are_sorted_and_their_percentiles_fit_a_lognormal() {
    let text = fs::read_to_string(data("duration-statistics.json")).unwrap();
    let (format, telemetry) = formats::read(&text).unwrap();
    assert_eq!(format, Format::MetricStatistics);
    let Telemetry::Statistics(stats) = telemetry else { panic!("{telemetry:?}") };
    let times: Vec<&str> = stats.points.iter().map(|p| p.timestamp.as_str()).collect();
    assert_eq!(times, ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"]);
    assert_eq!(stats.points[0].percentiles, [(0.5, 212.7), (0.9, 402.3), (0.99, 955.0)]);
    assert_eq!(stats.unit.as_deref(), Some("Milliseconds"));

    let dir = scratch("statistics");
    let result = fit_json(&[&data("duration-statistics.json")], &dir);
    let duration = figure(&result, "duration_s");
    assert_eq!(duration["samples"], 1840 + 1912 + 1777);
    assert_eq!(duration["value"]["dist"], "lognormal");
    // Milliseconds become seconds; the line through three percentiles passes near them.
    let median = duration["value"]["median"].as_f64().unwrap();
    assert!((0.19..0.22).contains(&median), "{duration:#}");
    let why = duration["why"].as_str().unwrap();
    assert!(why.contains("3 periods pooled"), "{why}");
    // A second export of the same metric adds its periods to one fit.
    let more = dir.join("more.json");
    let point = r#"{"Timestamp":"2026-03-02T13:00:00Z","SampleCount":1000.0,"Unit":"Milliseconds","ExtendedStatistics":{"p50":210.0,"p99":950.0}}"#;
    fs::write(&more, format!(r#"{{"Label":"Duration","Datapoints":[{point}]}}"#)).unwrap();
    let result = fit_json(&[&data("duration-statistics.json"), &more], &dir);
    let durations: Vec<&Value> =
        result["figures"].as_array().unwrap().iter().filter(|f| f["key"] == "duration_s").collect();
    assert_eq!(durations.len(), 1, "{result:#}");
    assert_eq!(durations[0]["samples"], 5529 + 1000);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn get_metric_statistics_with_one_percentile_and_an_average_fits_an_exponential() {
    let dir = scratch("average");
    let file = dir.join("stats.json");
    fs::write(
        &file,
        r#"{"Label":"Duration","Datapoints":[
            {"Timestamp":"2026-03-02T10:05:00Z","SampleCount":40.0,"Average":150.0,"Unit":"Milliseconds"},
            {"Timestamp":"2026-03-02T10:00:00Z","SampleCount":60.0,"Average":100.0,"Unit":"Milliseconds"}]}"#,
    )
    .unwrap();
    let duration = figure(&fit_json(&[&file], &dir), "duration_s").clone();
    assert_eq!(duration["value"]["dist"], "exponential");
    assert!((duration["value"]["mean"].as_f64().unwrap() - 0.12).abs() < 1e-12, "{duration:#}");
    assert_eq!(duration["samples"], 100);
    fs::write(&file, r#"{"Label":"Duration","Datapoints":[]}"#).unwrap();
    let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Datapoints is empty"), "{}", text(&out.stderr));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn get_metric_data_series_newest_first_are_turned_oldest_first() {
    let export = fs::read_to_string(data("invocations-data.json")).unwrap();
    let (format, telemetry) = formats::read(&export).unwrap();
    assert_eq!(format, Format::MetricData);
    let Telemetry::Series(series) = telemetry else { panic!("{telemetry:?}") };
    let values: Vec<f64> = series[0].points.iter().map(|p| p.1).collect();
    assert_eq!(values, [127.0, 124.0, 131.0, 118.0]);
    assert_eq!(series[0].points[0].0, "2026-03-02T10:00:00+00:00");
    // A minute without an Errors point is missing, not 0: only two points are read.
    assert_eq!(series[1].points.len(), 2);

    let dir = scratch("metric-data");
    let result = fit_json(&[&data("invocations-data.json")], &dir);
    let errors = figure(&result, "error_rate");
    assert_eq!((errors["value"].as_f64(), errors["samples"].as_u64()), (Some(0.006), Some(500)));
    let file = dir.join("throttles.json");
    fs::write(
        &file,
        r#"{"MetricDataResults":[
            {"Id":"i","Label":"Invocations","Timestamps":["2026-03-02T10:01:00Z","2026-03-02T10:00:00Z"],"Values":[40.0,50.0]},
            {"Id":"t","Label":"Throttles","Timestamps":["2026-03-02T10:01:00Z"],"Values":[10.0]}]}"#,
    )
    .unwrap();
    // Throttled calls are not in Invocations: 10 of 100 calls.
    let throttles = figure(&fit_json(&[&file], &dir), "throttle_share").clone();
    assert_eq!((throttles["value"].as_f64(), throttles["samples"].as_u64()), (Some(0.1), Some(100)));
    assert_eq!(throttles["scenario_key"], false);
    // The throttle share is an outcome, not a setting: there is nothing to write.
    let scenario = dir.join("s.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let args = ["fit", file.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "lambda.orders"];
    let out = orchsim(&args, &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no figure fitted is a scenario key"), "{}", text(&out.stderr));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unequal_timestamps_and_values_are_bad_input() {
    let bad = r#"{"MetricDataResults":[{"Id":"a","Timestamps":["2026-03-02T10:00:00Z"],"Values":[1.0,2.0]}]}"#;
    let e = formats::read(bad).unwrap_err();
    assert!(e.reason.contains("MetricDataResults[0]: 1 Timestamps but 2 Values"), "{e:?}");
    let units = r#"{"Datapoints":[{"Timestamp":"2026-03-02T10:00:00Z","Unit":"Milliseconds"},{"Timestamp":"2026-03-02T10:01:00Z","Unit":"Seconds"}]}"#;
    let e = formats::read(units).unwrap_err();
    assert!(
        e.reason.contains(r#"Datapoints[1]: unit "Seconds" where the points before are in "Milliseconds""#),
        "{e:?}"
    );
}

#[test]
fn unknown_formats_are_refused() {
    let dir = scratch("not-yet");
    let cases = [
        ("timestamp,value\n1,2\n", "unknown format: expected Lambda REPORT lines"),
        ("{\"Datapoints\": [\n  {\"Timestamp\": \"x\",\n", "malformed or truncated JSON"),
    ];
    for (i, (content, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("input-{i}.json"));
        fs::write(&file, content).unwrap();
        let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
        assert_eq!(out.status.code(), Some(2), "{content}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected) && stderr.contains(&file.display().to_string()), "{stderr}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

const SCENARIO: &str = r#"# Orders: a queue drained by a function.
[run]
seed = 1
horizon_s = 60

[workload.orders]
target = "sqs.orders"
arrival = "poisson"
rate_per_s = 5.0

[sqs.orders]
visibility_timeout_s = 60

[lambda.orders]
source = "sqs.orders"
# From the load test of March: to be replaced by production figures.
duration_s = { dist = "lognormal", median = 0.3, p99 = 1.5 }
timeout_s = 10 # the SLA's limit
"#;

#[test]
fn into_updates_the_element_in_place_keeping_comments_and_the_scenario_loads() {
    let dir = scratch("into");
    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let durations = draws(&Distribution::lognormal(0.04, 0.25), 8, 300);
    let inits = draws(&Distribution::lognormal(0.3, 1.2), 9, 30);
    let report = dir.join("report.log");
    fs::write(&report, report_text(&durations, &inits, 10, true)).unwrap();
    let args = ["fit", report.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "lambda.orders"];
    let out = orchsim(&args, &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("updated"), "{}", text(&out.stdout));
    let updated = fs::read_to_string(&scenario).unwrap();
    for kept in [
        "# Orders: a queue drained by a function.",
        "# From the load test of March",
        "timeout_s = 10 # the SLA's limit",
    ] {
        assert!(updated.contains(kept), "lost {kept:?}:\n{updated}");
    }
    assert!(!updated.contains("median = 0.3, p99 = 1.5"), "{updated}");
    assert!(updated.contains("duration_s = { dist = \"lognormal\", median = 0.0"), "{updated}");
    assert!(updated.contains("init_duration_s = { dist = \""), "{updated}");
    assert!(updated.contains("  # orchsim fit: 300 REPORT lines with a Duration"), "{updated}");
    let loaded = common::load(&scenario, &[]);
    assert_eq!(loaded.functions.len(), 1);
    // Everything before the element is byte for byte as it was.
    let before = &SCENARIO[..SCENARIO.find("duration_s").unwrap()];
    assert!(updated.starts_with(before), "{updated}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bimodal_fit_writes_an_empirical_table_the_scenario_reader_takes() {
    let dir = scratch("into-empirical");
    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    // Nine warm runs near 20 ms for each cold-cache run near 900 ms.
    let warm = draws(&Distribution::lognormal(0.02, 0.03), 13, 1800);
    let slow = draws(&Distribution::lognormal(0.9, 1.1), 14, 200);
    let durations: Vec<f64> = warm.chunks(9).zip(&slow).flat_map(|(w, s)| w.iter().chain([s])).copied().collect();
    let report = dir.join("report.log");
    fs::write(&report, report_text(&durations, &[], 0, true)).unwrap();
    let args = ["fit", report.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "lambda.orders"];
    let out = orchsim(&args, &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let updated = fs::read_to_string(&scenario).unwrap();
    assert!(updated.contains("duration_s = { dist = \"empirical\", quantiles = [[0.0, "), "{updated}");
    assert!(updated.contains("empirical: no parametric form fits"), "{updated}");
    let loaded = common::load(&scenario, &[]);
    assert_eq!(loaded.functions.len(), 1);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn into_refuses_an_update_that_would_not_load_and_leaves_the_file_alone() {
    let dir = scratch("into-invalid");
    let scenario = dir.join("orders.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    // A pool that does not exist gets a table with only its service time: not a valid pool.
    let stats = data("duration-statistics.json");
    let args = ["fit", stats.to_str().unwrap(), "--into", scenario.to_str().unwrap(), "--element", "workers.pool"];
    let out = orchsim(&args, &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the updated scenario would not load, so"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&scenario).unwrap(), SCENARIO);
    // Without --element, and inputs that name no function, --into cannot know the element.
    let args = ["fit", args[1], "--into", args[3]];
    let out = orchsim(&args, &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--into needs --element KIND.NAME"), "{}", text(&out.stderr));
    fs::remove_dir_all(&dir).unwrap();
}
