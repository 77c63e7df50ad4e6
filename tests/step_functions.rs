//! Step Functions through tiny scenarios: transition counts, retry delays, the Express
//! time limit and billing, at-least-once restarts, Standard against Express on the same
//! draws, and the errors for what is not modelled. AWS's own start and transition latencies
//! are off here, so times are the definitions' own (tests/latency.rs adds them).

mod common;

use std::fs;
use std::path::PathBuf;

use common::{counter, gauge, latency, summary};
use orchsim::scenario::Scenario;

/// Writes `definition` next to a scenario that starts `count` executions of it, one a
/// second, and loads the scenario with `extra` appended.
fn scenario(tag: &str, definition: &str, workflow: &str, count: u32, extra: &str) -> Scenario {
    load(tag, definition, workflow, count, extra).unwrap_or_else(|e| panic!("{e}"))
}

/// The error that loading such a scenario gives.
fn rejection(tag: &str, definition: &str, workflow: &str, extra: &str) -> String {
    load(tag, definition, workflow, 1, extra).map(|_| ()).expect_err("the scenario should be rejected")
}

fn load(tag: &str, definition: &str, workflow: &str, count: u32, extra: &str) -> Result<Scenario, String> {
    load_with(tag, definition, workflow, count, extra, &[])
}

/// As [`load`], with more definition files (name, text) next to the scenario.
fn load_with(
    tag: &str,
    definition: &str,
    workflow: &str,
    count: u32,
    extra: &str,
    files: &[(&str, &str)],
) -> Result<Scenario, String> {
    let dir = std::env::temp_dir().join(format!("orchsim-sfn-{tag}-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("machine.asl.json"), definition).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    let text = format!(
        r#"
        [run]
        horizon_s = 100000
        start_time = "2026-01-01T11:00:00Z"
        [workload.w]
        target = "step_functions.m"
        arrival = "constant"
        rate_per_s = 1
        count_max = {count}
        [step_functions.m]
        definition = "machine.asl.json"
        type = "{workflow}"
        {extra}
        "#
    );
    let s = Scenario::from_text("inline.toml", &text, &dir, &[common::NO_HOPS.to_string()]).map_err(|e| e.to_string());
    let _ = fs::remove_dir_all(&dir);
    s
}

fn run(tag: &str, definition: &str, workflow: &str, count: u32, extra: &str) -> serde_json::Value {
    summary(&scenario(tag, definition, workflow, count, extra)).1
}

const PASSES: &str = r#"{"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Pass", "Next": "C"},
    "C": {"Type": "Succeed"}}}"#;

#[test]
fn each_state_entered_is_one_transition() {
    let s = run("passes", PASSES, "standard", 10, "");
    assert_eq!(counter(&s, "step_functions.m.transitions"), 30);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    // Each execution costs 3 transitions at $0.025 per 1,000 (the histogram keeps 3 digits).
    let cost = &s["cost_per_execution_usd"]["step_functions.m.cost_per_execution"];
    assert_eq!(cost["count"], 10);
    for stat in ["mean", "p50", "max"] {
        let usd = cost[stat].as_f64().unwrap();
        assert!((usd - 3.0 * 0.025 / 1e3).abs() < 1e-3 * usd, "{stat}: {usd}");
    }
}

#[test]
fn parallel_branches_and_map_iterations_count_every_state() {
    let definition = r#"{"StartAt": "Fan out", "States": {
        "Fan out": {"Type": "Parallel", "Next": "Each item", "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "B2"}, "B2": {"Type": "Pass", "End": true}}},
            {"StartAt": "C1", "States": {"C1": {"Type": "Pass", "End": true}}}]},
        "Each item": {"Type": "Map", "MaxConcurrency": 2, "End": true, "ItemProcessor": {
            "StartAt": "I1", "States": {"I1": {"Type": "Pass", "Next": "I2"}, "I2": {"Type": "Succeed"}}}}}}"#;
    let s = run("fan", definition, "standard", 5, "[step_functions.m.states.\"Each item\"]\nitems = 3");
    // Parallel 1 + branches 2 + 1, Map 1 + 3 items × 2 states.
    assert_eq!(gauge(&s, "step_functions.m.transitions_per_execution"), 1.0 + 3.0 + 1.0 + 6.0);
}

const RETRIED: &str = r#"{"StartAt": "Call", "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
             "Parameters": {"TableName": "t", "Item": {}},
             "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 3, "BackoffRate": 2.0, "MaxAttempts": 3}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
             "End": true},
    "Recover": {"Type": "Pass", "End": true}}}"#;

#[test]
fn retries_wait_3_6_12_seconds_count_as_transitions_then_the_catch_takes_over() {
    let extra = "[step_functions.m.states.Call]\nduration_s = 0\nerrors = { Flaky = 1.0 }";
    let s = run("retry", RETRIED, "standard", 4, extra);
    // Call, 3 retries, Recover.
    assert_eq!(gauge(&s, "step_functions.m.transitions_per_execution"), 5.0);
    assert_eq!(counter(&s, "step_functions.m.retries"), 12);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 4, "the catcher recovers");
    assert!((latency(&s, "step_functions.m.duration", "max") - 21_000.0).abs() < 25.0);
}

const WAIT_THEN_PASS: &str = r#"{"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 3000, "Next": "Done"},
    "Done": {"Type": "Pass", "End": true}}}"#;

/// The summary of `count` executions of `definition`, one a second, run with `overrides`.
fn run_with(tag: &str, definition: &str, workflow: &str, count: u32, overrides: &[&str]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("orchsim-sfn-{tag}-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("machine.asl.json"), definition).unwrap();
    let text = format!(
        "[run]\nhorizon_s = 100000\n[workload.w]\ntarget = \"step_functions.m\"\narrival = \"constant\"\n\
         rate_per_s = 1\ncount_max = {count}\n[step_functions.m]\ndefinition = \"machine.asl.json\"\ntype = \"{workflow}\"\n"
    );
    let overrides: Vec<String> = [common::NO_HOPS].iter().chain(overrides).map(|o| o.to_string()).collect();
    let s = Scenario::from_text("inline.toml", &text, &dir, &overrides).unwrap_or_else(|e| panic!("{e}"));
    let _ = fs::remove_dir_all(&dir);
    summary(&s).1
}

#[test]
fn an_execution_counts_its_own_transitions_whatever_the_horizon_or_warm_up() {
    // 1,000 executions, one a second, each a 3,000 s Wait then a Pass: 2 transitions each.
    // A window that ends while most still wait, or begins after they entered the Wait,
    // must not spread the window's transitions over the executions that ended.
    // Executions start at 1, 2, …, 1,000 s; the windows' edges fall between two events.
    for (horizon_s, warmup_s, ended) in
        [(3_100.5, 0.0, 100), (3_600.5, 0.0, 600), (7_200.0, 0.0, 1_000), (7_200.0, 3_499.5, 501)]
    {
        let overrides = [format!("run.horizon_s={horizon_s}"), format!("run.warmup_s={warmup_s}")];
        let overrides: Vec<&str> = overrides.iter().map(String::as_str).collect();
        let s = run_with("long-wait", WAIT_THEN_PASS, "standard", 1_000, &overrides);
        let label = format!("horizon {horizon_s} s, warm-up {warmup_s} s");
        assert_eq!(counter(&s, "step_functions.m.succeeded"), ended, "{label}");
        assert_eq!(gauge(&s, "step_functions.m.transitions_per_execution"), 2.0, "{label}");
        let running = counter(&s, "step_functions.m.running_at_end");
        assert_eq!(running, if horizon_s == 7_200.0 { 0 } else { 1_000 - ended }, "{label}");
        // The cost of each execution that ended is its own two transitions, whole.
        let cost = &s["cost_per_execution_usd"]["step_functions.m.cost_per_execution"];
        let mean = cost["mean"].as_f64().unwrap();
        assert!((mean - 2.0 * 0.025 / 1e3).abs() < 1e-3 * mean, "{label}: {mean}");
    }
}

#[test]
fn express_usage_per_execution_counts_every_run_of_each_execution_whole() {
    let wait_60 = r#"{"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "End": true}}}"#;
    // Executions start at 1..200 s and end 60 s later; a window from 150 s sees the ends of
    // those started from 90 s on, the whole of each, and their restarts.
    let s = run_with(
        "express-whole",
        wait_60,
        "express_async",
        200,
        &["run.warmup_s=150", "step_functions.m.restart_rate=0.5"],
    );
    let ended = counter(&s, "step_functions.m.succeeded");
    assert!(ended > 100, "{ended}");
    let requests = gauge(&s, "step_functions.m.requests_per_execution");
    let billed_ms = gauge(&s, "step_functions.m.billed_duration_ms_per_execution");
    // Each run waits exactly 60 s, so billed duration is 60,000 ms per request.
    assert!(requests > 1.5, "about half the runs restart: {requests}");
    assert!((billed_ms - 60_000.0 * requests).abs() < 1e-6 * billed_ms, "{billed_ms} vs {requests}");
    let gb_s = gauge(&s, "step_functions.m.gb_seconds_per_execution");
    assert!((gb_s - billed_ms / 1e3 * 64.0 / 1024.0).abs() < 1e-9 * gb_s, "{gb_s}");
}

#[test]
fn an_express_execution_stopped_by_its_five_minutes_is_counted_apart_from_a_shorter_timeout() {
    let wait_360 = r#"{"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 360, "End": true}}}"#;
    let s = run_with("express-limit", wait_360, "express_async", 10, &[]);
    assert_eq!(counter(&s, "step_functions.m.timed_out"), 10);
    assert_eq!(counter(&s, "step_functions.m.timed_out_at_type_limit"), 10);
    let own = r#"{"StartAt": "Hold", "TimeoutSeconds": 100, "States": {"Hold": {"Type": "Wait", "Seconds": 360, "End": true}}}"#;
    let s = run_with("express-own-limit", own, "express_async", 10, &[]);
    assert_eq!(counter(&s, "step_functions.m.timed_out"), 10);
    assert_eq!(counter(&s, "step_functions.m.timed_out_at_type_limit"), 0, "the definition's own limit");
}

#[test]
fn express_executions_stop_at_five_minutes_with_states_timeout() {
    let definition =
        r#"{"StartAt": "Long wait", "States": {"Long wait": {"Type": "Wait", "Seconds": 400, "End": true}}}"#;
    let s = run("express-timeout", definition, "express_async", 3, "");
    assert_eq!(counter(&s, "step_functions.m.timed_out"), 3);
    assert!((latency(&s, "step_functions.m.duration", "max") - 300_000.0).abs() < 300.0);
    let standard = run("standard-wait", definition, "standard", 3, "");
    assert_eq!(counter(&standard, "step_functions.m.succeeded"), 3, "Standard waits up to a year");
}

#[test]
fn express_bills_requests_and_duration_rounded_up_to_100_ms_in_64_mb_chunks() {
    let definition = r#"{"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {"TableName": "t", "Key": {}}, "End": true}}}"#;
    let extra = "[step_functions.m.states.Call]\nduration_s = 0.05";
    let s = run("express-bill", definition, "express_sync", 1000, extra);
    assert_eq!(counter(&s, "step_functions.m.requests"), 1_000);
    // 1.05 s bills 1.1 s; the small definition and payload need 64 MB: 1.1 × 64/1024 GB-s.
    let gb_s = gauge(&s, "step_functions.m.gb_seconds");
    assert!((gb_s - 1_000.0 * 1.1 * 64.0 / 1024.0).abs() < 1e-6, "{gb_s}");
    assert!(latency(&s, "step_functions.m.caller_wait", "count") == 1_000.0, "the sync caller's wait is recorded");
    // One execution: $1 per million requests plus 0.06875 GB-s at $0.06 per GB-hour.
    let usd = s["cost_per_execution_usd"]["step_functions.m.cost_per_execution"]["p50"].as_f64().unwrap();
    let expected = 1e-6 + 1.1 * 64.0 / 1024.0 * 0.06 / 3_600.0;
    assert!((usd - expected).abs() < 1e-3 * expected, "{usd} vs {expected}");
}

#[test]
fn async_express_restarts_are_counted_and_billed() {
    let s = run("restarts", PASSES, "express_async", 2_000, "restart_rate = 0.25");
    let (started, restarts) = (counter(&s, "step_functions.m.started"), counter(&s, "step_functions.m.restarts"));
    assert_eq!(started, 2_000);
    // Each run restarts with probability 0.25, a restart again with 0.25: 2,000 × 1/3.
    assert!((restarts as f64 - 666.7).abs() < 80.0, "{restarts}");
    assert_eq!(counter(&s, "step_functions.m.requests"), started + restarts);
}

#[test]
fn a_restarted_express_run_has_its_own_five_minutes() {
    let definition = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}"#;
    let extra =
        "restart_rate = 0.9\n[step_functions.m.states.Work]\nwait_s = { dist = \"uniform\", low = 250, high = 350 }";
    let s = run("restart-limit", definition, "express_async", 400, extra);
    // Every run, first or restarted, times out with probability 1/2; a finished run restarts
    // with probability 0.9. So an execution ends timed out with probability 0.5 / 0.55.
    let timed_out = counter(&s, "step_functions.m.timed_out") as f64 / 400.0;
    assert!((timed_out - 0.909).abs() < 0.05, "{timed_out}");
    assert!(latency(&s, "step_functions.m.duration", "max") < 301_000.0, "durations count from the restart");
}

#[test]
fn each_machine_draws_from_its_own_stream() {
    // A second machine, "n", on the same definition file; changing its error rate must not
    // move machine "m"'s draws.
    let with_other = |flaky: f64| {
        let extra = format!(
            "[step_functions.m.states.Call]\nduration_s = {{ dist = \"exponential\", mean = 0.5 }}\nerrors = {{ Flaky = 0.3 }}\n\
             [workload.v]\ntarget = \"step_functions.n\"\narrival = \"poisson\"\nrate_per_s = 2\ncount_max = 300\n\
             [step_functions.n]\ndefinition = \"machine.asl.json\"\ntype = \"standard\"\n\
             [step_functions.n.states.Call]\nerrors = {{ Flaky = {flaky} }}"
        );
        run(&format!("streams-{flaky}"), RETRIED, "standard", 300, &extra)
    };
    let (a, b) = (with_other(0.1), with_other(0.6));
    assert_ne!(counter(&a, "step_functions.n.retries"), counter(&b, "step_functions.n.retries"));
    for key in ["retries", "transitions", "succeeded"] {
        let k = format!("step_functions.m.{key}");
        assert_eq!(counter(&a, &k), counter(&b, &k), "{key}");
    }
    assert_eq!(latency(&a, "step_functions.m.duration", "p99"), latency(&b, "step_functions.m.duration", "p99"));
}

#[test]
fn standard_and_express_see_the_same_draws() {
    let extra =
        "[step_functions.m.states.Call]\nduration_s = { dist = \"exponential\", mean = 0.5 }\nerrors = { Flaky = 0.3 }";
    let standard = run("crn-s", RETRIED, "standard", 500, extra);
    let express = run("crn-e", RETRIED, "express_async", 500, extra);
    for key in ["retries", "transitions", "succeeded"] {
        let k = format!("step_functions.m.{key}");
        assert_eq!(counter(&standard, &k), counter(&express, &k), "{key}");
    }
}

#[test]
fn the_shipped_order_processing_machine_runs_as_standard_and_express() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/step_functions_orders.toml");
    let standard = common::load(&path, &["run.horizon_s=900", common::NO_HOPS]);
    let (_, s) = summary(&standard);
    assert!(counter(&s, "step_functions.orders.succeeded") > 10_000);
    let express =
        common::load(&path, &["run.horizon_s=900", "step_functions.orders.type=express_async", common::NO_HOPS]);
    let (_, e) = summary(&express);
    assert_eq!(counter(&s, "step_functions.orders.transitions"), counter(&e, "step_functions.orders.transitions"));
    assert!(
        s["cost_usd"]["step_functions_per_month"].as_f64().unwrap()
            > 10.0 * e["cost_usd"]["step_functions_per_month"].as_f64().unwrap()
    );
}

fn shipped_definition(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/definitions").join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_sync_job_lasts_as_long_as_the_job_and_times_out_into_its_catcher() {
    let definition = shipped_definition("batch_job.asl.json");
    let job = |duration_s: u32| {
        format!("[sns.ReportStatus]\n[step_functions.m.states.\"Submit report job\"]\nduration_s = {duration_s}")
    };
    // A 30-minute job: submit (one transition however long it runs), then notify.
    let s = run("sync-job", &definition, "standard", 20, &job(1_800));
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 20);
    assert_eq!(counter(&s, "step_functions.m.transitions"), 40);
    let p50_ms = latency(&s, "step_functions.m.duration", "p50");
    assert!((1_800_000.0..1_801_000.0).contains(&p50_ms), "{p50_ms}");
    // A job longer than the task's TimeoutSeconds (7,200 s) ends in States.Timeout, which
    // the States.TaskFailed retrier does not match and the States.ALL catcher does.
    let s = run("sync-timeout", &definition, "standard", 20, &job(9_000));
    assert_eq!(counter(&s, "step_functions.m.failed"), 20);
    assert_eq!(counter(&s, "step_functions.m.retries"), 0);
    assert_eq!(counter(&s, "step_functions.m.transitions"), 60, "submit, notify failure, fail");
    let p50_ms = latency(&s, "step_functions.m.duration", "p50");
    // (The histogram keeps three significant digits: 7,200 s reads back within 0.1 %.)
    assert!((7_200_000.0..7_210_000.0).contains(&p50_ms), "{p50_ms}");
}

#[test]
fn a_sync_job_needs_a_standard_workflow_and_a_duration() {
    let definition = shipped_definition("batch_job.asl.json");
    let load = |workflow: &str, extra: &str| {
        rejection(&format!("sync-{workflow}"), &definition, workflow, &format!("{extra}\n[sns.ReportStatus]"))
    };
    let e = load("express_async", "[step_functions.m.states.\"Submit report job\"]\nduration_s = 60");
    assert!(e.contains(".sync") && e.contains("Standard"), "{e}");
    let e = load("standard", "");
    assert!(e.contains("\"Submit report job\" needs duration_s"), "{e}");
}

/// The shipped human-approval machine with an approvers' queue; `approvers` adds a worker
/// pool that answers each request after `decision_s`.
fn approval(tag: &str, approvers: Option<u32>) -> serde_json::Value {
    let mut extra = String::from(
        "[sqs.ApprovalRequests]\nvisibility_timeout_s = 3600\n\
         [lambda.ApplyChange]\nduration_s = 0.2\n\
         [step_functions.m.states.\"Approved?\"]\nweights = [1, 0, 0]\n",
    );
    if let Some(decision_s) = approvers {
        extra += &format!(
            "[workers.approvers]\nsource = \"sqs.ApprovalRequests\"\ncount = 50\nservice_time_s = {decision_s}\n"
        );
    }
    run(tag, &shipped_definition("human_approval.asl.json"), "standard", 10, &extra)
}

#[test]
fn a_callback_task_waits_for_the_queue_consumer_to_answer() {
    // Approvers take 10 minutes: each execution waits that long, then applies the change.
    let s = approval("callback", Some(600));
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert_eq!(counter(&s, "sqs.ApprovalRequests.deleted"), 10);
    assert_eq!(counter(&s, "step_functions.m.transitions"), 30, "request, choice, apply");
    let p50_ms = latency(&s, "step_functions.m.duration", "p50");
    assert!((600_000.0..601_500.0).contains(&p50_ms), "{p50_ms}");
    // No one reads the queue: every request times out after TimeoutSeconds (a day) and the
    // catcher fails the execution.
    let s = approval("callback-unanswered", None);
    assert_eq!(counter(&s, "step_functions.m.failed"), 10);
    assert_eq!(counter(&s, "step_functions.m.transitions"), 20, "request, timed out");
    let p50_ms = latency(&s, "step_functions.m.duration", "p50");
    assert!((86_400_000.0..86_500_000.0).contains(&p50_ms), "{p50_ms}");
}

#[test]
fn heartbeat_seconds_fail_a_callback_whose_consumer_sends_no_heartbeat() {
    let definition = r#"{"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/asks", "MessageBody.$": "$"},
            "HeartbeatSeconds": 60, "TimeoutSeconds": 3600,
            "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "No heartbeat"}], "End": true},
        "No heartbeat": {"Type": "Fail", "Error": "NoHeartbeat"}}}"#;
    let consumer = |service_s: u32| {
        format!(
            "[sqs.asks]\nvisibility_timeout_s = 600\n[workers.w]\nsource = \"sqs.asks\"\ncount = 5\nservice_time_s = {service_s}"
        )
    };
    let s = run("heartbeat-ok", definition, "standard", 10, &consumer(30));
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    // The answer 120 s in comes after the 60 s heartbeat limit: it is ignored.
    let s = run("heartbeat-late", definition, "standard", 10, &consumer(120));
    assert_eq!(counter(&s, "step_functions.m.failed"), 10);
    assert_eq!(counter(&s, "sqs.asks.deleted"), 10);
    assert!((latency(&s, "step_functions.m.duration", "max") - 60_000.0).abs() < 100.0);
}

#[test]
fn callbacks_answered_outside_the_scenario_take_callback_s() {
    let definition = r#"{"StartAt": "Notify", "States": {
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Notify", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}}"#;
    let extra = "[lambda.Notify]\nduration_s = 0.5\n[step_functions.m.states.Notify]\ncallback_s = 30";
    let s = run("callback-lambda", definition, "standard", 10, extra);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert_eq!(counter(&s, "lambda.Notify.invocations"), 10);
    let p50_ms = latency(&s, "step_functions.m.duration", "p50");
    assert!((30_500.0..31_500.0).contains(&p50_ms), "{p50_ms}");

    let e = rejection("no-callback", definition, "standard", "[lambda.Notify]\nduration_s = 0.5");
    assert!(e.contains("\"Notify\" needs callback_s"), "{e}");
}

#[test]
fn standard_executions_report_their_status_to_eventbridge_and_express_do_not() {
    let definition = r#"{"StartAt": "Try", "States": {
        "Try": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Parameters": {"TableName": "t", "Item": {}}, "End": true}}}"#;
    let extra = r#"
        [step_functions.m.states.Try]
        errors = { Boom = 0.2 }
        [eventbridge.default]
        [rule.failures]
        bus = "eventbridge.default"
        event_pattern = '{"source": ["aws.states"], "detail": {"status": ["FAILED", "TIMED_OUT"]}}'
        targets = ["sqs.alarms"]
        [sqs.alarms]
    "#;
    let s = run("status", definition, "standard", 1_000, extra);
    let failed = counter(&s, "step_functions.m.failed");
    assert!((150..250).contains(&failed), "{failed}");
    assert_eq!(counter(&s, "sqs.alarms.sent"), failed);
    // RUNNING and an end status per execution; service events are free.
    assert_eq!(counter(&s, "eventbridge.default.service_events"), 2_000);
    assert_eq!(counter(&s, "eventbridge.default.billed_events"), 0);
    let express = run("status-express", definition, "express_async", 1_000, extra);
    assert_eq!(counter(&express, "eventbridge.default.service_events"), 0);
}

#[test]
fn state_data_that_would_be_ignored_is_refused() {
    let lambda = r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}}"#;
    let e = rejection(
        "lambda-duration",
        lambda,
        "standard",
        "[step_functions.m.states.Call]\nduration_s = 1\n[lambda.f]\nduration_s = 0.1",
    );
    assert!(e.contains("does not apply: the function's own [lambda.f] duration_s decides"), "{e}");
    let wait = r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}}"#;
    let e = rejection("literal-wait", wait, "standard", "[step_functions.m.states.W]\nwait_s = 1");
    assert!(e.contains("literal Seconds or Timestamp is used as written"), "{e}");
    let fifo = r#"{"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/orders", "MessageBody.$": "$"}, "End": true}}}"#;
    let e = rejection("fifo-send", fifo, "standard", "[sqs.orders]\nfifo = true");
    assert!(e.contains("sends to the FIFO queue sqs.orders"), "{e}");
    let e = rejection("standard-restarts", PASSES, "standard", "restart_rate = 0.1");
    assert!(e.contains("only asynchronous Express executions run again"), "{e}");
    assert!(load("standard-no-restarts", PASSES, "standard", 1, "restart_rate = 0").is_ok());
}

#[test]
fn machines_in_one_region_share_the_accounts_transition_quota() {
    // 30 transitions an execution (a Map of 28 Pass items), 100 executions a second per
    // machine: 3,000 transitions a second each, under us-east-1's 5,000 alone, over it together.
    let definition = r#"{"StartAt": "Items", "States": {"Items": {"Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": true}}}, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let machine = |name: &str, region: &str| {
        format!(
            "[workload.{name}]\ntarget = \"step_functions.{name}\"\narrival = \"constant\"\nrate_per_s = 100\n\
             [step_functions.{name}]\ndefinition = \"machine.asl.json\"\ntype = \"standard\"\nregion = \"{region}\"\n\
             [step_functions.{name}.states.Items]\nitems = 28\n"
        )
    };
    let throttled = |tag: &str, machines: &[(&str, &str)]| {
        let dir = std::env::temp_dir().join(format!("orchsim-sfn-quota-{tag}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("machine.asl.json"), definition).unwrap();
        // eu-west-1's Standard transitions are priced from an offer file.
        let prices = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/prices/AmazonStates-eu-west-1.json");
        let mut text = format!("[run]\nhorizon_s = 60\n[pricing]\nprice_list = [{:?}]\n", prices.display().to_string());
        for (name, region) in machines {
            text += &machine(name, region);
        }
        let scenario = Scenario::from_text("inline.toml", &text, &dir, &[]).unwrap_or_else(|e| panic!("{e}"));
        let _ = fs::remove_dir_all(&dir);
        let s = summary(&scenario).1;
        let each: Vec<u64> = machines
            .iter()
            .map(|(name, _)| counter(&s, &format!("step_functions.{name}.throttled_transitions")))
            .collect();
        each.iter().sum::<u64>()
    };
    assert_eq!(throttled("alone", &[("a", "us-east-1")]), 0);
    assert!(throttled("shared", &[("a", "us-east-1"), ("b", "us-east-1")]) > 10_000);
    assert_eq!(throttled("apart", &[("a", "us-east-1"), ("b", "eu-west-1")]), 0);
}

/// Runs machine "m" (Standard, `count` executions a second apart) with a second machine
/// "child" of type `child_type` defined by `child`.
fn run_nested(tag: &str, parent: &str, child: &str, child_type: &str, count: u32, extra: &str) -> serde_json::Value {
    let extra = format!("[step_functions.child]\ndefinition = \"child.asl.json\"\ntype = \"{child_type}\"\n{extra}");
    let scenario = load_with(tag, parent, "standard", count, &extra, &[("child.asl.json", child)])
        .unwrap_or_else(|e| panic!("{e}"));
    summary(&scenario).1
}

const CHILD_WAITS_10_S: &str = r#"{"StartAt": "Work", "States": {
    "Work": {"Type": "Wait", "Seconds": 10, "Next": "Outcome"},
    "Outcome": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}],
                "Default": "Broken"},
    "Done": {"Type": "Succeed"},
    "Broken": {"Type": "Fail", "Error": "ChildBroke"}}}"#;

fn parent_starting(pattern: &str) -> String {
    format!(
        r#"{{"StartAt": "Start child", "States": {{
        "Start child": {{"Type": "Task", "Resource": "arn:aws:states:::states:startExecution{pattern}",
            "Parameters": {{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"}},
            "Catch": [{{"ErrorEquals": ["States.TaskFailed"], "Next": "Child failed"}}],
            "Next": "Done"}},
        "Child failed": {{"Type": "Pass", "Next": "Done"}},
        "Done": {{"Type": "Succeed"}}}}}}"#
    )
}

#[test]
fn a_sync_nested_execution_waits_for_its_child_and_fails_with_task_failed() {
    let weights = "[step_functions.child.states.Outcome]\nweights = [0.75, 0.25]";
    let s = run_nested("nested-sync", &parent_starting(".sync:2"), CHILD_WAITS_10_S, "express_async", 400, weights);
    assert_eq!(counter(&s, "step_functions.child.started"), 400);
    let (ok, broke) = (counter(&s, "step_functions.child.succeeded"), counter(&s, "step_functions.child.failed"));
    assert_eq!(ok + broke, 400);
    assert!((70..=130).contains(&broke), "{broke}");
    // Each failed child sent its parent through the catcher: one more transition each.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 400 * 2 + broke);
    // The parent waited for the 10 s child; the child is billed as Express, apart.
    assert!(latency(&s, "step_functions.m.duration", "p50") >= 10_000.0);
    assert_eq!(counter(&s, "step_functions.child.requests"), 400);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 400);
}

#[test]
fn a_request_response_nested_execution_ends_with_the_call() {
    let s = run_nested("nested-async", &parent_starting(""), CHILD_WAITS_10_S, "standard", 50, "");
    assert_eq!(counter(&s, "step_functions.child.started"), 50);
    // The call takes its 50 ms; the child's 10 s are not the parent's.
    assert!(latency(&s, "step_functions.m.duration", "max") < 1_000.0);
    assert!(latency(&s, "step_functions.child.duration", "p50") >= 10_000.0);
    assert_eq!(counter(&s, "step_functions.child.transitions"), 50 * 3);
}

#[test]
fn nested_starts_draw_on_the_childs_start_quota_and_fail_when_throttled() {
    // 1,500 Standard starts in one second against a bucket of 1,300: the parents' own starts
    // are spread (1/s), so the children's throttles come from a burst of Map iterations.
    let parent = r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 0, "End": true,
        "ItemProcessor": {"StartAt": "Start child", "States": {
            "Start child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"},
                "Catch": [{"ErrorEquals": ["StepFunctions.ThrottlingException"], "Next": "Throttled"}],
                "End": true},
            "Throttled": {"Type": "Pass", "End": true}}}}}}"#;
    let extra = "[step_functions.m.states.Each]\nitems = 40\n\
                 [workload.burst]\ntarget = \"step_functions.m\"\narrival = \"constant\"\nrate_per_s = 1000\ncount_max = 50";
    let s = run_nested("nested-quota", parent, CHILD_WAITS_10_S, "standard", 1, extra);
    let started = counter(&s, "step_functions.child.started");
    let throttled = counter(&s, "step_functions.child.throttled_starts");
    assert_eq!(started + throttled, 51 * 40);
    assert!(throttled > 0, "{started} started");
    // Each throttled start went through the catcher: one more transition.
    let parents = 51 * (1 + 40);
    assert_eq!(counter(&s, "step_functions.m.transitions"), parents + throttled);
}

#[test]
fn a_nested_execution_of_an_unknown_machine_is_refused() {
    let e = rejection("nested-unknown", &parent_starting(".sync"), "standard", "");
    assert!(e.contains("calls step_functions `child`, which the scenario does not define"), "{e}");
}

const DISTRIBUTED: &str = r#"{"StartAt": "Each", "States": {
    "Each": {"Type": "Map", "MaxConcurrency": 0, "ToleratedFailureCount": 3,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "t", "Item": {}}, "End": true}}},
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Too many"}],
        "Next": "Done"},
    "Too many": {"Type": "Pass", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}"#;

#[test]
fn a_distributed_map_runs_each_item_as_a_child_execution_billed_by_its_type() {
    let extra = "[step_functions.m.states.Each]\nitems = 1000\n\
                 [step_functions.m.states.Call]\nduration_s = 0.2";
    let s = run("dmap", DISTRIBUTED, "standard", 5, extra);
    let children = "step_functions.m/Each";
    assert_eq!(counter(&s, &format!("{children}.started")), 5_000);
    assert_eq!(counter(&s, &format!("{children}.requests")), 5_000);
    // The parent: Each, Done, and one transition per child started.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 5 * (2 + 1_000));
    // 1,000 Express children dispatched at 1,000/s take about a second, plus the last
    // one's 200 ms.
    let p50 = latency(&s, "step_functions.m.duration", "p50");
    assert!((1_150.0..1_300.0).contains(&p50), "{p50}");
    // A child lasts its task: 200 ms, billed as 200 ms at 64 MB.
    assert!((latency(&s, &format!("{children}.duration"), "p50") - 200.0).abs() < 2.0);
}

#[test]
fn a_distributed_map_fails_beyond_its_tolerated_failures() {
    let run_with = |p: f64| {
        let extra = format!(
            "[step_functions.m.states.Each]\nitems = 100\n[step_functions.m.states.Call]\nerrors = {{ Bad = {p} }}"
        );
        run(&format!("dmap-fail-{p}"), DISTRIBUTED, "standard", 20, &extra)
    };
    // Three failures of 100 are tolerated; with 1 % bad items most Maps stay under.
    let few = run_with(0.01);
    let many = run_with(0.2);
    let caught = |s: &serde_json::Value| counter(s, "step_functions.m.transitions") - 20 * (2 + 100);
    assert!(caught(&few) <= 3, "{}", caught(&few));
    // 20 % bad items fail every Map; the children then still running are not waited for.
    assert!(counter(&many, "step_functions.m/Each.failed") >= 20 * 4);
    assert_eq!(counter(&many, "step_functions.m.succeeded"), 20);
    assert!(counter(&many, "step_functions.m.transitions") < 20 * (3 + 100));
}

#[test]
fn standard_children_of_a_distributed_map_are_dispatched_at_100_a_second() {
    let definition = DISTRIBUTED.replace("EXPRESS", "STANDARD");
    let s = run("dmap-standard", &definition, "standard", 1, "[step_functions.m.states.Each]\nitems = 500");
    // 500 children at 100/s: the last starts 4.99 s after the first.
    let took = latency(&s, "step_functions.m.duration", "max");
    assert!((5_000.0..5_200.0).contains(&took), "{took}");
    assert_eq!(counter(&s, "step_functions.m/Each.transitions"), 500);
}

#[test]
fn an_express_distributed_map_refuses_standard_only_states_inside() {
    let definition = DISTRIBUTED.replace(
        r#""Resource": "arn:aws:states:::dynamodb:putItem""#,
        r#""Resource": "arn:aws:states:us-east-1:123456789012:activity:Review""#,
    );
    let e = rejection("dmap-activity", &definition, "standard", "[activity.Review]\nworkers = 1");
    assert!(
        e.contains(
            "state \"Call\" inside the Express Distributed Map \"Each\": an activity runs only in Standard workflows"
        ),
        "{e}"
    );
}

const REVIEW: &str = r#"{"StartAt": "Review", "States": {"Review": {"Type": "Task",
    "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review", "TimeoutSeconds": 10,
    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Late"}], "End": true},
    "Late": {"Type": "Fail", "Error": "Late"}}}"#;

#[test]
fn activity_tasks_queue_for_workers_and_time_out_from_when_a_worker_takes_them() {
    // Two workers, a 5 s task each second: the queue grows by 1.5 tasks a second, yet no
    // task times out, since its 10 s count from when a worker takes it.
    let extra = "[activity.Review]\nworkers = 2\n[step_functions.m.states.Review]\nduration_s = 5";
    let s = run("activity-queue", REVIEW, "standard", 20, extra);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 20);
    assert_eq!(counter(&s, "activity.Review.started"), 20);
    assert_eq!(counter(&s, "activity.Review.answered"), 20);
    // Task k arrives at k s; the workers take the odd ones at 1, 6, 11, … and the even
    // ones at 2, 7, 12, …: tasks 19 and 20 are taken at 46 and 47 s, 27 s after arrival.
    let wait = latency(&s, "activity.Review.schedule_to_start", "max");
    assert!((26_950.0..27_050.0).contains(&wait), "{wait}");
    assert!(gauge(&s, "activity.Review.utilization") > 0.0);
    // A 12 s task does not finish within 10 s.
    let slow = run("activity-slow", REVIEW, "standard", 5, &extra.replace("= 5", "= 12"));
    assert_eq!(counter(&slow, "step_functions.m.failed"), 5);
}

#[test]
fn heartbeat_seconds_fail_an_activity_task_unless_its_workers_send_heartbeats_in_time() {
    let definition = REVIEW.replace(r#""TimeoutSeconds": 10"#, r#""TimeoutSeconds": 100, "HeartbeatSeconds": 3"#);
    let with = |heartbeat: &str| {
        let extra =
            format!("[activity.Review]\nworkers = 5\n{heartbeat}\n[step_functions.m.states.Review]\nduration_s = 5");
        run(&format!("activity-hb{}", heartbeat.len()), &definition, "standard", 10, &extra)
    };
    let silent = with("");
    assert_eq!(counter(&silent, "step_functions.m.failed"), 10);
    assert!((latency(&silent, "step_functions.m.duration", "max") - 3_000.0).abs() < 5.0);
    let beating = with("heartbeat_s = 1");
    assert_eq!(counter(&beating, "step_functions.m.succeeded"), 10);
    assert_eq!(counter(&beating, "activity.Review.heartbeats"), 50);
    let too_slow = with("heartbeat_s = 4");
    assert_eq!(counter(&too_slow, "step_functions.m.failed"), 10);
}

#[test]
fn activity_calls_draw_on_the_regions_buckets_and_wait_when_they_are_empty() {
    // 600 executions of ten parallel reviews in about two seconds: 6,000 GetActivityTask and
    // as many SendTaskSuccess calls, each against a bucket of 3,000 refilled at 500/s.
    let branches: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"StartAt": "Review {i}", "States": {{"Review {i}": {{"Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review", "End": true}}}}}}"#
            )
        })
        .collect();
    let definition = format!(
        r#"{{"StartAt": "All", "States": {{"All": {{"Type": "Parallel", "End": true, "Branches": [{}]}}}}}}"#,
        branches.join(", ")
    );
    let durations: String =
        (0..10).map(|i| format!("[step_functions.m.states.\"Review {i}\"]\nduration_s = 0.1\n")).collect();
    let extra = durations
        + "[activity.Review]\nworkers = 1000\n\
                 [workload.burst]\ntarget = \"step_functions.m\"\narrival = \"constant\"\nrate_per_s = 300\ncount_max = 599";
    let s = run("activity-api", &definition, "standard", 1, &extra);
    assert_eq!(counter(&s, "activity.Review.started"), 6_000);
    assert!(counter(&s, "activity.Review.throttled_api_calls") > 1_000);
    assert_eq!(counter(&s, "activity.Review.api_calls") - counter(&s, "activity.Review.empty_polls"), 12_000);
    // Waiting for tokens shows in the time to start: GetActivityTask has its own bucket,
    // whose 3,000 calls beyond the first 3,000 take 6 s at 500/s, while the tasks arrive
    // over 2 s.
    let wait = latency(&s, "activity.Review.schedule_to_start", "max");
    assert!((3_500.0..4_500.0).contains(&wait), "{wait}");
}

#[test]
fn activities_are_checked_against_the_scenario() {
    let e = rejection("activity-missing", REVIEW, "standard", "");
    assert!(e.contains("calls activity `Review`, which the scenario does not define"), "{e}");
    let e = rejection("activity-no-duration", REVIEW, "standard", "[activity.Review]\nworkers = 1");
    assert!(e.contains("\"Review\" needs duration_s, how long a worker takes per task"), "{e}");
    let e = rejection("activity-workers", REVIEW, "standard", "[activity.Review]\nworkers = 1001");
    assert!(
        e.contains("activity.Review.workers = 1001: must be a whole number from 1 to 1000")
            && e.contains("up to 1,000 concurrent GetActivityTask pollers per activity"),
        "{e}"
    );
    let e = rejection("activity-express", REVIEW, "express_async", "[activity.Review]\nworkers = 1");
    assert!(e.contains("an activity runs only in Standard workflows"), "{e}");
}

const UNTIL_NOON: &str = r#"{"StartAt": "Until noon", "States": {
    "Until noon": {"Type": "Wait", "Timestamp": "2026-01-01T12:00:30+01:00", "End": true}}}"#;

#[test]
fn a_literal_timestamp_wait_ends_at_that_time_of_the_runs_clock() {
    // The run starts at 11:00 UTC; executions start at 1, 2, … 10 s and wait until 11:00:30.
    let s = run("timestamp", UNTIL_NOON, "standard", 10, "");
    let close = |name: &str, ms: f64| (latency(&s, "step_functions.m.duration", name) - ms).abs() < 0.002 * ms;
    assert!(close("max", 29_000.0) && close("mean", 24_500.0), "{}", s["latency_ms"]);
    // A time already past ends the wait at once.
    let past = run("timestamp-past", &UNTIL_NOON.replace("12:00:30", "10:00:00"), "standard", 10, "");
    assert_eq!(latency(&past, "step_functions.m.duration", "max"), 0.0);
}

#[test]
fn a_literal_timestamp_wait_needs_the_runs_start_time() {
    let dir = std::env::temp_dir().join(format!("orchsim-sfn-no-start-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("machine.asl.json"), UNTIL_NOON).unwrap();
    let text = "[run]\nhorizon_s = 10\n[workload.w]\ntarget = \"step_functions.m\"\narrival = \"constant\"\nrate_per_s = 1\n\
                [step_functions.m]\ndefinition = \"machine.asl.json\"\ntype = \"standard\"\n";
    let e = Scenario::from_text("inline.toml", text, &dir, &[]).map(|_| ()).expect_err("no start_time").to_string();
    let _ = fs::remove_dir_all(&dir);
    assert!(e.contains("waits until 2026-01-01T12:00:30+01:00, which needs run.start_time"), "{e}");
}

#[test]
fn a_definition_over_aws_1_mb_is_refused_before_it_is_read() {
    // A valid definition padded past 1 MB with whitespace: AWS counts the bytes.
    let fits = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    let definition = format!("{fits}{}", " ".repeat(1 << 20));
    let e = rejection("huge", &definition, "standard", "");
    assert!(e.contains("machine.asl.json is 1048640 bytes; AWS allows at most 1 MB (1048576 bytes)"), "{e}");
    // A file of exactly 1 MB is read.
    let padded = format!("{fits}{}", " ".repeat((1 << 20) - fits.len()));
    assert!(load("fits", &padded, "standard", 1, "").is_ok());
}

// Error names as Retry and Catch see them (§2 Parallel row, §4.1, §4.2).

/// A Parallel of a 5 s wait beside a branch that fails at once with Fail state "No quorum"
/// (Error "QuorumNotMet"), in the spirit of AWS's quorum-with-Parallel sample.
const QUORUM: &str = r#"{"StartAt": "Quorum", "States": {
    "Quorum": {"Type": "Parallel", "Next": "Done", "Branches": [
        {"StartAt": "Vote", "States": {"Vote": {"Type": "Wait", "Seconds": 5, "End": true}}},
        {"StartAt": "No quorum", "States": {"No quorum": {"Type": "Fail", "Error": "QuorumNotMet", "Cause": "2 of 5"}}}],
        "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Rewritten"},
                  {"ErrorEquals": ["QuorumNotMet"], "Next": "Quorum not met"}]},
    "Rewritten": {"Type": "Fail", "Error": "Rewritten"},
    "Quorum not met": {"Type": "Pass", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}"#;

#[test]
fn a_branchs_fail_state_error_is_caught_on_the_parallel_by_its_own_name_and_stops_the_other_branches() {
    let s = run("quorum", QUORUM, "standard", 10, "");
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10, "caught by QuorumNotMet, not States.BranchFailed");
    // Quorum, Vote, No quorum, Quorum not met, Done.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 10 * 5);
    // The 5 s Vote stopped when its sibling failed.
    assert_eq!(latency(&s, "step_functions.m.duration", "max"), 0.0);
}

/// The states a catcher may lead to, each only when `retry_catch` names it (AWS refuses
/// unreachable states): "Recover", which goes on to "Done", and "Wrong", a failure.
fn catch_targets(retry_catch: &str) -> String {
    let mut states = String::new();
    if retry_catch.contains(r#""Recover""#) {
        states += r#""Recover": {"Type": "Pass", "Next": "Done"},"#;
    }
    if retry_catch.contains(r#""Wrong""#) {
        states += r#""Wrong": {"Type": "Fail", "Error": "Wrong"},"#;
    }
    states
}

/// A Parallel of a 60 s wait beside a task "Call" with `task_fields`, under the Parallel's
/// `retry_catch`.
fn parallel_around_task(retry_catch: &str, task_fields: &str) -> String {
    let targets = catch_targets(retry_catch);
    format!(
        r#"{{"StartAt": "Both", "States": {{
        "Both": {{"Type": "Parallel", "Next": "Done", {retry_catch}, "Branches": [
            {{"StartAt": "Slow", "States": {{"Slow": {{"Type": "Wait", "Seconds": 60, "End": true}}}}}},
            {{"StartAt": "Call", "States": {{"Call": {{"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {{"TableName": "t", "Item": {{}}}}, {task_fields} "End": true}}}}}}]}},
        {targets}
        "Done": {{"Type": "Succeed"}}}}}}"#
    )
}

#[test]
fn a_parallel_retries_a_branch_tasks_error_by_the_tasks_own_name() {
    let definition = parallel_around_task(
        r#""Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]"#,
        "",
    );
    let s = run(
        "parallel-retry",
        &definition,
        "standard",
        10,
        "[step_functions.m.states.Call]\nduration_s = 0\nerrors = { Flaky = 1.0 }",
    );
    assert_eq!(counter(&s, "step_functions.m.retries"), 10 * 2);
    // Three runs of Both, Slow and Call, then Recover and Done.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 10 * (3 * 3 + 2));
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    // Retried after 1 s and 2 s; the failing task stops the 60 s wait each time.
    assert!((latency(&s, "step_functions.m.duration", "max") - 3_000.0).abs() < 5.0);
}

#[test]
fn a_task_timeout_inside_a_branch_reaches_the_parallel_as_states_timeout() {
    let definition = parallel_around_task(
        r#""Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
                     {"ErrorEquals": ["States.Timeout"], "Next": "Recover"}]"#,
        r#""TimeoutSeconds": 2,"#,
    );
    let s = run("parallel-timeout", &definition, "standard", 10, "[step_functions.m.states.Call]\nduration_s = 5");
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10, "States.TaskFailed does not match a timeout");
    assert!((latency(&s, "step_functions.m.duration", "max") - 2_000.0).abs() < 5.0);
}

#[test]
fn a_nested_parallels_inner_error_reaches_the_outer_parallel() {
    let definition = r#"{"StartAt": "Outer", "States": {
        "Outer": {"Type": "Parallel", "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Rewritten"},
                      {"ErrorEquals": ["InnerBroke"], "Next": "Recover"}],
            "Branches": [
            {"StartAt": "Outer wait", "States": {"Outer wait": {"Type": "Wait", "Seconds": 60, "End": true}}},
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Inner wait", "States": {"Inner wait": {"Type": "Wait", "Seconds": 60, "End": true}}},
                {"StartAt": "Broken", "States": {"Broken": {"Type": "Wait", "Seconds": 1, "Next": "Break"},
                                                 "Break": {"Type": "Fail", "Error": "InnerBroke"}}}]}}}]},
        "Rewritten": {"Type": "Fail", "Error": "Rewritten"},
        "Recover": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let s = run("nested-parallel", definition, "standard", 10, "");
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    // Outer, Outer wait, Inner, Inner wait, Broken, Break, Recover, Done; both 60 s waits stop.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 10 * 8);
    assert!((latency(&s, "step_functions.m.duration", "max") - 1_000.0).abs() < 5.0);
}

#[test]
fn an_inline_maps_failed_iteration_fails_the_map_with_its_own_error() {
    let definition = r#"{"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "MaxConcurrency": 1, "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Rewritten"},
                      {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Rewritten"},
                      {"ErrorEquals": ["ItemBroke"], "Next": "Recover"}],
            "ItemProcessor": {"StartAt": "Call", "States": {"Call": {"Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem", "Parameters": {"TableName": "t", "Item": {}},
                "End": true}}}},
        "Rewritten": {"Type": "Fail", "Error": "Rewritten"},
        "Recover": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let extra =
        "[step_functions.m.states.Each]\nitems = 3\n[step_functions.m.states.Call]\nerrors = { ItemBroke = 1.0 }";
    let s = run("inline-map-error", definition, "standard", 10, extra);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    // One at a time: the first item fails the Map, the other two never start.
    assert_eq!(counter(&s, "step_functions.m.transitions"), 10 * 4, "Each, Call, Recover, Done");
}

#[test]
fn a_missed_heartbeat_is_caught_by_states_timeout_and_not_retried_by_states_task_failed() {
    // A callback answered after 60 s, with a 10 s heartbeat limit and no heartbeats.
    let callback = r#"{"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
            "Parameters": {"Cluster": "c", "TaskDefinition": "t"}, "HeartbeatSeconds": 10,
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "No heartbeat"}], "Next": "Done"},
        "No heartbeat": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}"#;
    let s = run(
        "heartbeat-timeout",
        callback,
        "standard",
        10,
        "[step_functions.m.states.Ask]\nduration_s = 0\ncallback_s = 60",
    );
    assert_eq!(counter(&s, "step_functions.m.retries"), 0);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert!((latency(&s, "step_functions.m.duration", "max") - 10_000.0).abs() < 20.0);

    // An activity task whose silent worker takes 5 s against a 3 s heartbeat limit.
    let activity = REVIEW
        .replace(r#""TimeoutSeconds": 10"#, r#""TimeoutSeconds": 100, "HeartbeatSeconds": 3"#)
        .replace(
            r#""Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Late"}]"#,
            r#""Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Late"},
                         {"ErrorEquals": ["States.Timeout"], "Next": "No heartbeat"}]"#,
        )
        .replace(
            r#""Late": {"Type": "Fail", "Error": "Late"}"#,
            r#""Late": {"Type": "Fail", "Error": "Late"},
            "No heartbeat": {"Type": "Succeed"}"#,
        );
    let extra = "[activity.Review]\nworkers = 5\n[step_functions.m.states.Review]\nduration_s = 5";
    let s = run("activity-heartbeat-timeout", &activity, "standard", 10, extra);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert!((latency(&s, "step_functions.m.duration", "max") - 3_000.0).abs() < 5.0);
}

/// A task "Call" with `retry_catch`, whose attempts raise what the scenario says.
fn always_failing(retry_catch: &str) -> String {
    let targets = catch_targets(retry_catch);
    format!(
        r#"{{"StartAt": "Call", "States": {{
        "Call": {{"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {{"TableName": "t", "Item": {{}}}}, {retry_catch}, "Next": "Done"}},
        {targets}
        "Done": {{"Type": "Succeed"}}}}}}"#
    )
}

/// Every attempt of "Call" raises `error` at once.
fn raising(error: &str) -> String {
    format!("[step_functions.m.states.Call]\nduration_s = 0\nerrors = {{ \"{error}\" = 1.0 }}")
}

#[test]
fn states_runtime_is_never_retried_even_by_a_retrier_naming_it_nor_caught_by_states_all() {
    let named = always_failing(
        r#""Retry": [{"ErrorEquals": ["States.Runtime"], "MaxAttempts": 3}],
           "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Recover"}]"#,
    );
    let s = run("runtime-named", &named, "standard", 10, &raising("States.Runtime"));
    assert_eq!(counter(&s, "step_functions.m.retries"), 0);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10, "a catcher naming it catches it");
    let all = always_failing(r#""Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]"#);
    let s = run("runtime-all", &all, "standard", 10, &raising("States.Runtime"));
    assert_eq!(counter(&s, "step_functions.m.failed"), 10);
}

#[test]
fn data_limit_exceeded_is_retried_and_caught_only_when_named() {
    let definition = always_failing(
        r#""Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3},
                     {"ErrorEquals": ["States.DataLimitExceeded"], "MaxAttempts": 1}],
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]"#,
    );
    let s = run("data-limit", &definition, "standard", 10, &raising("States.DataLimitExceeded"));
    assert_eq!(counter(&s, "step_functions.m.retries"), 10, "only the retrier naming it");
    assert_eq!(counter(&s, "step_functions.m.failed"), 10, "States.ALL does not catch it");
}

#[test]
fn the_first_matching_retrier_decides_even_when_spent_and_the_first_matching_catcher_leads() {
    let definition = always_failing(
        r#""Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 5},
                     {"ErrorEquals": ["Flaky"], "MaxAttempts": 1},
                     {"ErrorEquals": ["States.ALL"], "MaxAttempts": 4}],
           "Catch": [{"ErrorEquals": ["Other"], "Next": "Wrong"},
                     {"ErrorEquals": ["Flaky", "Other"], "Next": "Recover"},
                     {"ErrorEquals": ["States.ALL"], "Next": "Wrong"}]"#,
    );
    let s = run("first-match", &definition, "standard", 10, &raising("Flaky"));
    assert_eq!(counter(&s, "step_functions.m.retries"), 10);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert_eq!(counter(&s, "step_functions.m.transitions"), 10 * 4, "Call, its retry, Recover, Done");
}

#[test]
fn a_sync_childs_timeout_reaches_the_parent_as_states_task_failed() {
    let child =
        r#"{"StartAt": "Work", "TimeoutSeconds": 5, "States": {"Work": {"Type": "Wait", "Seconds": 10, "End": true}}}"#;
    let parent = parent_starting(".sync")
        .replace(
            r#""Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Child failed"}]"#,
            r#""Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Wrong"},
                     {"ErrorEquals": ["States.TaskFailed"], "Next": "Child failed"}]"#,
        )
        .replace(
            r#""Done": {"Type": "Succeed"}"#,
            r#""Done": {"Type": "Succeed"}, "Wrong": {"Type": "Fail", "Error": "Wrong"}"#,
        );
    let s = run_nested("nested-timeout", &parent, child, "standard", 10, "");
    assert_eq!(counter(&s, "step_functions.child.timed_out"), 10);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert!((latency(&s, "step_functions.m.duration", "max") - 5_000.0).abs() < 10.0);
}

/// A Lambda task whose function comes from the execution's data.
const FUNCTION_FROM_DATA: &str = r#"{"StartAt": "Call", "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName.$": "$.fn", "Payload.$": "$"}, "End": true}}}"#;

const RESIZE_AND_THUMB: &str = "[lambda.Resize]\nduration_s = 0.1\n[lambda.Thumb]\nduration_s = 0.1\n\
    [step_functions.m.states.Call.targets]\n\"lambda.Resize\" = 0.7\n\"lambda.Thumb\" = 0.3\n";

#[test]
fn a_function_taken_from_the_data_is_drawn_from_the_states_targets_by_weight() {
    let s = run("targets-lambda", FUNCTION_FROM_DATA, "standard", 1_000, RESIZE_AND_THUMB);
    let (resize, thumb) = (counter(&s, "lambda.Resize.invocations"), counter(&s, "lambda.Thumb.invocations"));
    assert_eq!(resize + thumb, 1_000);
    // Binomial(1000, 0.7): the standard deviation is 14.5.
    assert!((650..=750).contains(&resize), "{resize}");
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 1_000);
    // The machine's own stream draws: the same seed gives the same split.
    let again = run("targets-lambda-again", FUNCTION_FROM_DATA, "standard", 1_000, RESIZE_AND_THUMB);
    assert_eq!(
        (counter(&again, "lambda.Resize.invocations"), counter(&again, "lambda.Thumb.invocations")),
        (resize, thumb)
    );
}

#[test]
fn a_target_from_the_data_without_targets_is_refused_with_how_to_declare_them() {
    let e = rejection("targets-missing", FUNCTION_FROM_DATA, "standard", "[lambda.Resize]\nduration_s = 0.1");
    assert!(
        e.contains(
            "step_functions.m: state \"Call\" takes its FunctionName from the data, so the scenario says what it may \
             call: declare each lambda element with its weight (the chance, in proportion, that a call goes there) in \
             [step_functions.m.states.\"Call\".targets], e.g. \"lambda.NAME\" = 1"
        ),
        "{e}"
    );
    let wrong_kind =
        "[lambda.Resize]\nduration_s = 0.1\n[sqs.q]\n[step_functions.m.states.Call.targets]\n\"sqs.q\" = 1";
    let e = rejection("targets-kind", FUNCTION_FROM_DATA, "standard", wrong_kind);
    assert!(e.contains("the task calls a lambda element, so its targets are named \"lambda.NAME\""), "{e}");
    let zero = "[lambda.Resize]\nduration_s = 0.1\n[step_functions.m.states.Call.targets]\n\"lambda.Resize\" = 0";
    let e = rejection("targets-zero", FUNCTION_FROM_DATA, "standard", zero);
    assert!(e.contains("targets.\"lambda.Resize\" = 0: must be above 0"), "{e}");
    let undefined = "[lambda.Resize]\nduration_s = 0.1\n[step_functions.m.states.Call.targets]\n\"lambda.Gone\" = 1";
    let e = rejection("targets-undefined", FUNCTION_FROM_DATA, "standard", undefined);
    assert!(e.contains("state \"Call\" calls lambda `Gone`, which the scenario does not define"), "{e}");
    let literal = FUNCTION_FROM_DATA.replace(r#""FunctionName.$": "$.fn""#, r#""FunctionName": "Resize""#);
    let e = rejection("targets-literal", &literal, "standard", RESIZE_AND_THUMB);
    assert!(
        e.contains(
            "step_functions.m.states.Call.targets = { lambda.Resize, lambda.Thumb }: does not apply: the definition \
             names its lambda (lambda.Resize)"
        ),
        "{e}"
    );
}

#[test]
fn queues_topics_and_machines_taken_from_the_data_are_drawn_and_called_like_named_ones() {
    let definition = r#"{"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}}, "Next": "Tell"},
        "Tell": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sns:publish",
                 "Parameters": {"TopicArn.$": "$.topic", "Message": "done"}, "Next": "Log"},
        "Log": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl.$": "$.log", "MessageBody": "done"}, "Next": "Start"},
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn.$": "$.child"}, "End": true}}}"#;
    let extra = "[sqs.asks]\n[workers.w]\nsource = \"sqs.asks\"\ncount = 5\nservice_time_s = 2\n\
        [sqs.logs]\n[sns.done]\n\
        [step_functions.child]\ndefinition = \"child.asl.json\"\ntype = \"standard\"\n\
        [step_functions.m.states.Ask.targets]\n\"sqs.asks\" = 1\n\
        [step_functions.m.states.Tell.targets]\n\"sns.done\" = 1\n\
        [step_functions.m.states.Log.targets]\n\"sqs.logs\" = 1\n\
        [step_functions.m.states.Start.targets]\n\"step_functions.child\" = 1\n";
    let child = r#"{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 10, "End": true}}}"#;
    let scenario = load_with("targets-all", definition, "standard", 20, extra, &[("child.asl.json", child)]).unwrap();
    let s = summary(&scenario).1;
    assert_eq!(counter(&s, "sqs.asks.deleted"), 20, "the consumer answered each callback");
    assert_eq!(counter(&s, "sns.done.published"), 20);
    assert_eq!(counter(&s, "sqs.logs.sent"), 20);
    assert_eq!(counter(&s, "step_functions.child.succeeded"), 20);
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 20);
    // The callback's 2 s and the child's 10 s.
    assert!(latency(&s, "step_functions.m.duration", "p50") >= 12_000.0);
}

#[test]
fn a_jsonata_string_constant_is_the_target_it_names() {
    let definition = r#"{"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Arguments": {"FunctionName": "{% 'arn:aws:lambda:us-east-1:123456789012:function:Resize' %}",
                               "Payload": "{% $states.input %}"}, "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": "{%  \"Thumb\"  %}"}, "End": true}}}"#;
    let extra = "[lambda.Resize]\nduration_s = 0.1\n[lambda.Thumb]\nduration_s = 0.1";
    let s = run("jsonata-constant", definition, "express_sync", 10, extra);
    assert_eq!(counter(&s, "lambda.Resize.invocations"), 10);
    assert_eq!(counter(&s, "lambda.Thumb.invocations"), 10);
}

#[test]
fn an_aws_sdk_resource_with_a_region_and_an_account_runs_as_the_sdk_call() {
    let definition = r#"{"StartAt": "Get", "States": {
        "Get": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject",
                "Parameters": {"Bucket": "b", "Key": "k"}, "End": true}}}"#;
    let s = run("sdk-regional", definition, "standard", 10, "[step_functions.m.states.Get]\nduration_s = 0.2");
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10);
    assert!((latency(&s, "step_functions.m.duration", "p50") - 200.0).abs() < 5.0);
}

#[test]
fn a_topic_arn_that_is_no_arn_warns_and_each_publish_fails_with_snss_invalid_parameter() {
    let definition = r#"{"StartAt": "Notify", "States": {
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                   "Parameters": {"TopicArn": "TOPIC_ARN", "Message": "hi"},
                   "Retry": [{"ErrorEquals": ["SNS.InvalidParameterException"], "MaxAttempts": 2}],
                   "Catch": [{"ErrorEquals": ["SNS.InvalidParameterException"], "Next": "Unsent"}], "End": true},
        "Unsent": {"Type": "Fail", "Error": "Unsent"}}}"#;
    let scenario = scenario("bare-topic", definition, "standard", 10, "[sns.TOPIC_ARN]");
    assert_eq!(
        scenario.warnings,
        ["step_functions.m: state \"Notify\" has TopicArn \"TOPIC_ARN\", which is not a topic ARN, \
          arn:aws:sns:REGION:ACCOUNT:NAME; AWS accepts the definition, and each call fails with \
          SNS.InvalidParameterException"]
    );
    let s = summary(&scenario).1;
    assert_eq!(counter(&s, "step_functions.m.failed"), 10);
    assert_eq!(counter(&s, "step_functions.m.retries"), 20, "Retry sees the error");
    assert_eq!(counter(&s, "sns.TOPIC_ARN.published"), 0, "a topic of that name is not the address");
}

#[test]
fn a_queue_url_that_is_no_url_warns_and_each_send_fails_with_sqss_invalid_address() {
    let definition = r#"{"StartAt": "Send", "States": {
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                 "Parameters": {"QueueUrl": "jobs", "MessageBody": "hi"},
                 "Catch": [{"ErrorEquals": ["Sqs.InvalidAddressException"], "Next": "Unsent"}], "End": true},
        "Unsent": {"Type": "Pass", "End": true}}}"#;
    let scenario = scenario("bare-queue", definition, "express_sync", 10, "[sqs.jobs]");
    assert_eq!(scenario.warnings.len(), 1);
    assert!(
        scenario.warnings[0].contains("has QueueUrl \"jobs\", which is not a queue URL"),
        "{:?}",
        scenario.warnings
    );
    let s = summary(&scenario).1;
    assert_eq!(counter(&s, "step_functions.m.succeeded"), 10, "the catcher took the service's error");
    assert_eq!(counter(&s, "step_functions.m.transitions"), 20, "send, unsent");
    assert_eq!(counter(&s, "sqs.jobs.sent"), 0);
}
