//! `orchsim fit` on Step Functions executions: histories (`get-execution-history`, several
//! appended in one file, epoch-second or ISO timestamps) and Express log records (strings,
//! epoch milliseconds), written from known task durations and failure shares, fit back; the
//! task durations go into a scenario's states; bad records exit 2 saying where.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use common::{figure, fit_json, orchsim, repo, text};
use orchsim::distributions::Distribution;
use orchsim::engine::RngFactory;
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("fit_stepfunctions", name)
}

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:publish";

/// One execution's events: "Rebuild search index" (an ECS task, `rebuild` s an attempt, the
/// first attempt failing when `retry`), the 60 s Wait, "Warm storefront cache" (`warm` s),
/// and the end: failed when `fails` (at the warm-up task).
fn events(start: f64, rebuild: &[f64], warm: f64, fails: bool) -> Vec<(String, f64, Value)> {
    let mut out: Vec<(String, f64, Value)> = Vec::new();
    let mut t = start;
    let mut push = |kind: &str, t: f64, details: Value| out.push((kind.to_string(), t, details));
    push("ExecutionStarted", t, json!({"stateMachineArn": MACHINE, "roleArn": "arn:aws:iam::123456789012:role/r"}));
    t += 0.02;
    push("TaskStateEntered", t, json!({"name": "Rebuild search index", "input": "{}"}));
    for (i, d) in rebuild.iter().enumerate() {
        t += 0.03;
        push("TaskScheduled", t, json!({"resourceType": "ecs", "resource": "runTask.sync", "region": "us-east-1"}));
        t += 0.01;
        push("TaskStarted", t, json!({"resourceType": "ecs", "resource": "runTask.sync"}));
        t += d;
        if i + 1 < rebuild.len() {
            push("TaskFailed", t, json!({"resourceType": "ecs", "error": "States.TaskFailed", "cause": "exit 1"}));
            t += 30.0;
        } else {
            push("TaskSucceeded", t, json!({"resourceType": "ecs", "output": "{}"}));
        }
    }
    t += 0.01;
    push("TaskStateExited", t, json!({"name": "Rebuild search index", "output": "{}"}));
    push("WaitStateEntered", t + 0.01, json!({"name": "Let caches expire"}));
    t += 60.01;
    push("WaitStateExited", t, json!({"name": "Let caches expire"}));
    t += 0.01;
    push("TaskStateEntered", t, json!({"name": "Warm storefront cache"}));
    t += 0.02;
    push("TaskScheduled", t, json!({"resourceType": "states", "resource": "startExecution"}));
    t += 0.01;
    push("TaskStarted", t, json!({"resourceType": "states", "resource": "startExecution"}));
    t += warm;
    if fails {
        push(
            "TaskFailed",
            t,
            json!({"resourceType": "states", "error": "StepFunctions.ExecutionLimitExceeded", "cause": "x"}),
        );
        push("ExecutionFailed", t + 0.01, json!({"error": "StepFunctions.ExecutionLimitExceeded", "cause": "x"}));
    } else {
        push("TaskSucceeded", t, json!({"resourceType": "states", "output": "{}"}));
        push("TaskStateExited", t + 0.01, json!({"name": "Warm storefront cache", "output": "{}"}));
        push("ExecutionSucceeded", t + 0.02, json!({"output": "{}"}));
    }
    out
}

/// The detail key of an event type: `TaskStateEntered` → `stateEnteredEventDetails`.
fn details_key(kind: &str) -> String {
    let base = match kind {
        k if k.ends_with("StateEntered") => "stateEntered".to_string(),
        k if k.ends_with("StateExited") => "stateExited".to_string(),
        k => {
            let mut c = k.chars();
            let first = c.next().unwrap().to_ascii_lowercase();
            format!("{first}{}", c.as_str())
        }
    };
    format!("{base}EventDetails")
}

struct Drawn {
    rebuild: Vec<Vec<f64>>,
    warm: Vec<f64>,
    fails: Vec<bool>,
}

/// `n` executions: rebuild attempts lognormal (median 240 s, p99 600 s), one in five
/// executions retrying after a failed first attempt; warm-up exponential, mean 0.2 s; one
/// execution in twenty failing.
fn draw(n: usize) -> Drawn {
    let mut rng = RngFactory::new(5).stream("fit.sfn");
    let rebuild = Distribution::lognormal(240.0, 600.0);
    let warm = Distribution::exponential(0.2);
    let mut out = Drawn { rebuild: Vec::new(), warm: Vec::new(), fails: Vec::new() };
    for i in 0..n {
        let attempts = if i % 5 == 0 { 2 } else { 1 };
        out.rebuild.push((0..attempts).map(|_| rebuild.sample(&mut rng)).collect());
        out.warm.push(warm.sample(&mut rng));
        out.fails.push(i % 20 == 7);
    }
    out
}

/// Histories appended one after another; ids in order, each event's previous the one
/// before; every other history with ISO 8601 timestamps, as some CLI output prints them.
fn histories(d: &Drawn) -> String {
    let mut out = String::new();
    for i in 0..d.warm.len() {
        let evs = events(1_772_445_907.0 + 600.0 * i as f64, &d.rebuild[i], d.warm[i], d.fails[i]);
        let list: Vec<Value> = evs
            .iter()
            .enumerate()
            .map(|(k, (kind, t, details))| {
                let stamp = if i % 2 == 0 { json!(t) } else { json!(iso(*t)) };
                let mut e = json!({"timestamp": stamp, "type": kind, "id": k + 1, "previousEventId": k});
                e[details_key(kind)] = details.clone();
                e
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&json!({"events": list})).unwrap()).unwrap();
    }
    out
}

fn iso(t: f64) -> String {
    let whole = t.floor() as i64;
    let ms = ((t - whole as f64) * 1000.0).round() as i64;
    let (days, s) = (whole.div_euclid(86_400), whole.rem_euclid(86_400));
    // 2026-03-02 is day 20,514 since 1970-01-01; these tests stay within March.
    let day = 2 + days - 20_514;
    format!("2026-03-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z", s / 3_600, s / 60 % 60, s % 60)
}

/// Express log records, one a line, the executions' records interleaved as CloudWatch Logs
/// stores them by time.
fn express_records(d: &Drawn) -> String {
    let mut all: Vec<(f64, String)> = Vec::new();
    for i in 0..d.warm.len() {
        let arn = format!("arn:aws:states:us-east-1:123456789012:express:publish:e-{i}:r-1");
        for (k, (kind, t, details)) in
            events(1_772_445_907.0 + 0.5 * i as f64, &d.rebuild[i], d.warm[i], d.fails[i]).into_iter().enumerate()
        {
            let record = json!({"id": (k + 1).to_string(), "type": kind, "details": details,
                "previous_event_id": k.to_string(), "event_timestamp": format!("{}", (t * 1000.0).round() as i64),
                "execution_arn": arn, "redrive_count": "0"});
            all.push((t, record.to_string()));
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all.into_iter().map(|(_, r)| r + "\n").collect()
}

fn near(v: &Value, expected: f64, tolerance: f64) -> bool {
    (v.as_f64().unwrap() / expected - 1.0).abs() <= tolerance
}

fn check(result: &Value, n: u64) {
    let rebuild = figure(result, r#"states."Rebuild search index".duration_s"#);
    assert_eq!(rebuild["value"]["dist"], "lognormal", "{rebuild:#}");
    // 1.2 n attempts: σ known to about 3 %, the median to 4 % and p99 to 8 % at n = 400.
    assert_eq!(rebuild["samples"].as_u64(), Some(n + n / 5));
    assert!(near(&rebuild["value"]["median"], 240.0, 0.06), "{rebuild:#}");
    assert!(near(&rebuild["value"]["p99"], 600.0, 0.12), "{rebuild:#}");
    assert_eq!(rebuild["scenario_key"], true);
    let failed = figure(result, r#"states."Rebuild search index".attempt_failed_share"#);
    assert_eq!(failed["value"].as_f64(), Some((n / 5) as f64 / (n + n / 5) as f64));
    let warm = figure(result, r#"states."Warm storefront cache".duration_s"#);
    assert_eq!(warm["value"]["dist"], "exponential", "{warm:#}");
    assert!(near(&warm["value"]["mean"], 0.2, 0.12), "{warm:#}");
    let executions = figure(result, "execution_failed_share");
    assert_eq!((executions["value"].as_f64(), executions["samples"].as_u64()), (Some(0.05), Some(n)));
    assert_eq!(executions["scenario_key"], false);
    let wait = figure(result, r#"states."Let caches expire".time_in_state_s"#);
    assert!(wait["why"].as_str().unwrap().contains(&format!("{n} runs of Let caches expire")), "{wait:#}");
}

#[test]
fn appended_histories_fit_back_per_state_and_write_into_the_machine() {
    let dir = scratch("history");
    let d = draw(400);
    let file = dir.join("histories.json");
    fs::write(&file, histories(&d)).unwrap();
    let result = fit_json(&[file.to_str().unwrap()], &dir);
    assert_eq!(result["inputs"][0]["format"], "Step Functions get-execution-history JSON");
    assert_eq!(result["element"], "step_functions.publish");
    check(&result, 400);

    // Into a scenario with that machine: the task's key is set, the file still loads.
    let scenario = dir.join("catalogue.toml");
    fs::copy(repo().join("scenarios/step_functions_catalogue_import.toml"), &scenario).unwrap();
    fs::create_dir_all(dir.join("definitions")).unwrap();
    for def in ["catalogue_import", "publish_catalogue", "warm_cache"] {
        let name = format!("definitions/{def}.asl.json");
        fs::copy(repo().join("scenarios").join(&name), dir.join(&name)).unwrap();
    }
    let out = orchsim(&["fit", file.to_str().unwrap(), "--into", scenario.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let updated = fs::read_to_string(&scenario).unwrap();
    let section = updated.split("[step_functions.publish.states.\"Rebuild search index\"]").nth(1).unwrap();
    let line = section.lines().find(|l| l.starts_with("duration_s")).unwrap();
    assert!(line.contains("dist = \"lognormal\"") && line.contains("# orchsim fit:"), "{line}");
    assert!(!line.contains("median = 240, p99 = 600"), "{line}");
    common::load(&scenario, &[]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn express_log_records_fit_back_like_histories() {
    let dir = scratch("express");
    let d = draw(400);
    let file = dir.join("express.log");
    fs::write(&file, express_records(&d)).unwrap();
    let result = fit_json(&[file.to_str().unwrap()], &dir);
    assert_eq!(result["inputs"][0]["format"], "Step Functions Express execution log records");
    assert_eq!(result["element"], "step_functions.publish");
    check(&result, 400);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_hand_written_history_is_read() {
    let dir = scratch("fixture");
    let text = fs::read_to_string(repo().join("tests/data/fit/execution-history.json")).unwrap();
    let (format, telemetry) = orchsim::calibrate::formats::read(&text).unwrap();
    assert_eq!(format, orchsim::calibrate::formats::Format::StepFunctionsHistory);
    let orchsim::calibrate::formats::Telemetry::Executions(e) = telemetry else { panic!() };
    let one = &e.executions[0];
    assert_eq!(one.duration_s.map(|d| (d * 1000.0).round()), Some(1_452.0));
    // The parallel branches interleave; each state still pairs with its own entry.
    let names: Vec<(&str, i64)> =
        one.states.iter().map(|s| (s.name.as_str(), (s.duration_s * 1000.0).round() as i64)).collect();
    assert_eq!(names, [("Charge", 384), ("Reserve", 690), ("Both", 1_210)]);
    assert_eq!(one.attempts.len(), 2);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_records_exit_2_with_the_file_and_the_place() {
    let dir = scratch("bad");
    let cases = [
        (
            "{\"id\":\"1\",\"type\":\"ExecutionStarted\",\"details\":{},\"previous_event_id\":\"0\",\"event_timestamp\":\"1772445907000\",\"execution_arn\":\"a\"}\n{\"id\":\"2\",\"type\":\"ExecutionSucceeded\",\"details\":{},\"previous_event_id\":\"1\",\"event_timestamp\":\"soon\",\"execution_arn\":\"a\"}\n",
            ":2: event_timestamp is not epoch milliseconds",
        ),
        (
            r#"{"events":[{"timestamp":1772445907.1,"type":"ExecutionStarted","id":1},{"timestamp":"noon","type":"PassStateEntered","id":2}]}"#,
            "history 1: events[1]: timestamp is neither epoch seconds nor an ISO 8601 timestamp",
        ),
        (
            r#"{"events":[{"timestamp":1772445907.1,"type":"ExecutionStarted","id":1},{"timestamp":1772445907.2,"type":"PassStateExited","id":2,"previousEventId":1,"stateExitedEventDetails":{"name":"P"}}]}"#,
            "P exited but its previousEventId chain reaches no PassStateEntered",
        ),
        (
            "{\"events\":[{\"timestamp\":1772445907.1,\"type\":\"ExecutionStarted\",\"id\":1}]}\n{\"events\":[",
            "history 2: malformed or truncated JSON",
        ),
    ];
    for (i, (content, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("export-{i}.json"));
        fs::write(&file, content).unwrap();
        let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
        assert_eq!(out.status.code(), Some(2), "{content}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected) && stderr.contains(&file.display().to_string()), "{stderr}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn express_records_in_cloudwatch_logs_events_are_read_as_executions() {
    let text = fs::read_to_string(repo().join("tests/data/fit/express-events.json")).unwrap();
    let (format, telemetry) = orchsim::calibrate::formats::read(&text).unwrap();
    assert_eq!(format, orchsim::calibrate::formats::Format::LogEvents);
    let orchsim::calibrate::formats::Telemetry::Executions(e) = telemetry else { panic!("{telemetry:?}") };
    assert!(e.express);
    assert_eq!(e.machine.as_deref(), Some("orders"));
    let one = &e.executions[0];
    assert_eq!(one.duration_s.map(|d| (d * 1000.0).round()), Some(525.0));
    assert_eq!(one.states[0].name, "Charge");
    assert_eq!((one.states[0].duration_s * 1000.0).round(), 490.0);
    assert_eq!(one.attempts[0].resource_type, "lambda");
    assert_eq!((one.attempts[0].duration_s * 1000.0).round(), 384.0);
}
