//! AWS's own call and hop latencies: the defaults show in the producer's call metric and in
//! end-to-end latencies, overrides set them exactly (for the scenario, a queue or a
//! subscription), `aws_calls = "none"` turns them all off, and bad values are refused.

mod common;

use common::{counter, inline, latency, parse_inline, summary};
use serde_json::Value;

/// Latencies are read back from HdrHistogram's buckets: 3 significant digits.
fn close(value_ms: f64, expected_ms: f64) {
    assert!((value_ms - expected_ms).abs() <= expected_ms * 1e-3, "{value_ms} ms, expected {expected_ms} ms");
}

/// 10 messages a second through an SNS topic into a queue drained by two workers that
/// take 10 ms each, with `latency` as the `[latency]` table's body.
fn fan_in(latency: &str) -> Value {
    let text = format!(
        r#"
        [run]
        horizon_s = 1000
        [latency]
        {latency}
        [workload.w]
        target = "sns.t"
        arrival = "poisson"
        rate_per_s = 10
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "sqs.q"
        [sqs.q]
        [workers.p]
        source = "sqs.q"
        count = 2
        service_time_s = 0.01
        "#
    );
    summary(&inline(&text)).1
}

#[test]
fn the_defaults_time_the_publish_call_and_the_delivery_and_add_up_end_to_end() {
    let s = fan_in("");
    // SNS Publish: lognormal with a median of 8 ms and a p99 of 50 ms.
    let call_p50 = latency(&s, "workload.w.call", "p50");
    assert!((7.0..9.0).contains(&call_p50), "{call_p50}");
    let call_p99 = latency(&s, "workload.w.call", "p99");
    assert!((40.0..62.0).contains(&call_p99), "{call_p99}");
    // SNS → SQS: a median of 12 ms, no longer 0.
    let delivery_p50 = latency(&s, "subscription.s.delivery", "p50");
    assert!((10.5..13.5).contains(&delivery_p50), "{delivery_p50}");
    // The worker's service time is its own 10 ms: the receive and delete calls are not in it.
    close(latency(&s, "workers.p.service", "p50"), 10.0);
    // End to end: publish (8) + delivery (12) + long-poll wake-up (3) + 10 ms of work.
    let end_to_end = latency(&s, "sqs.q.end_to_end", "p50");
    assert!((30.0..40.0).contains(&end_to_end), "{end_to_end}");
}

#[test]
fn with_aws_calls_none_every_hop_takes_no_time() {
    let s = fan_in("aws_calls = \"none\"");
    assert!(s["latency_ms"].get("workload.w.call").is_none(), "no call latency to report");
    close(latency(&s, "subscription.s.delivery", "max"), 0.0);
    close(latency(&s, "sqs.q.end_to_end", "p50"), 10.0);
}

#[test]
fn overrides_set_a_hop_exactly_for_the_scenario_and_for_one_subscription() {
    let constant = "aws_calls = \"none\"\nsns_publish_s = 0.5\nsns_to_sqs_s = 0.25";
    let s = fan_in(constant);
    close(latency(&s, "workload.w.call", "p50"), 500.0);
    close(latency(&s, "workload.w.call", "max"), 500.0);
    close(latency(&s, "subscription.s.delivery", "p50"), 250.0);
    close(latency(&s, "sqs.q.end_to_end", "p50"), 760.0);
    // One subscription's own: an endpoint in another Region, say.
    let s = fan_in(&format!("{constant}\n[latency.subscription.s]\nsns_to_sqs_s = 0.125"));
    close(latency(&s, "subscription.s.delivery", "p50"), 125.0);
    close(latency(&s, "sqs.q.end_to_end", "p50"), 635.0);
}

#[test]
fn a_queue_of_its_own_times_its_sends_receives_and_deletes() {
    let text = |queue: &str| {
        format!(
            r#"
            [run]
            horizon_s = 1000
            [latency]
            aws_calls = "none"
            {queue}
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 1
            [sqs.q]
            [workers.p]
            source = "sqs.q"
            count = 1
            wait_time_s = 20
            service_time_s = 0.1
            "#
        )
    };
    let s = summary(&inline(&text("[latency.sqs.q]\nsqs_send_s = 0.2\nsqs_wake_s = 0.05\nsqs_delete_s = 0.3"))).1;
    close(latency(&s, "workload.w.call", "p50"), 200.0);
    // Sent (0.2) and woken (0.05) before 0.1 s of work; the delete holds the worker 0.3 s
    // but is not in the message's time.
    close(latency(&s, "sqs.q.end_to_end", "p50"), 350.0);
    close(latency(&s, "workers.p.service", "p50"), 100.0);
    let busy = common::gauge(&s, "workers.p.busy_mean");
    assert!((busy - 0.45).abs() < 0.01, "busy 0.05 + 0.1 + 0.3 s a second: {busy}");
    assert!(counter(&s, "sqs.q.deleted") >= 998);
}

#[test]
fn a_step_functions_execution_waits_its_start_and_each_transition() {
    let dir = std::env::temp_dir().join(format!("orchsim-latency-sfn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.asl.json"),
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}}}"#,
    )
    .unwrap();
    let duration_ms = |workflow: &str| {
        let text = format!(
            "[run]\nhorizon_s = 100\n[latency]\nstep_functions_standard_start_s = 0.2\n\
             step_functions_express_start_s = 0.1\nstep_functions_standard_transition_s = 0.05\n\
             step_functions_express_transition_s = 0.02\n[workload.w]\ntarget = \"step_functions.m\"\n\
             arrival = \"constant\"\nrate_per_s = 1\n[step_functions.m]\ndefinition = \"m.asl.json\"\n\
             type = \"{workflow}\"\n"
        );
        let scenario = orchsim::scenario::Scenario::from_text("inline.toml", &text, &dir, &[]).unwrap();
        let s = summary(&scenario).1;
        (latency(&s, "step_functions.m.duration", "p50"), latency(&s, "step_functions.m.duration", "max"))
    };
    // The start, then two transitions (A → B → C), every time.
    let (p50, max) = duration_ms("standard");
    close(p50, 300.0);
    close(max, 300.0);
    let (p50, max) = duration_ms("express_async");
    close(p50, 140.0);
    close(max, 140.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_eventbridge_rule_delivers_after_ingestion() {
    let text = r#"
        [run]
        horizon_s = 100
        [latency]
        aws_calls = "none"
        eventbridge_put_events_s = 0.01
        eventbridge_to_target_s = 0.2
        [workload.w]
        target = "eventbridge.bus"
        arrival = "constant"
        rate_per_s = 1
        [eventbridge.bus]
        [rule.all]
        bus = "eventbridge.bus"
        event_pattern = '{}'
        targets = ["sqs.q"]
        [sqs.q]
        [workers.p]
        source = "sqs.q"
        count = 1
        wait_time_s = 20
        service_time_s = 0.1
    "#;
    let s = summary(&inline(text)).1;
    close(latency(&s, "workload.w.call", "p50"), 10.0);
    close(latency(&s, "sqs.q.end_to_end", "p50"), 310.0);
}

#[test]
fn bad_latency_settings_are_refused_with_what_is_allowed() {
    let err = |latency: &str| {
        let text = format!(
            "[run]\nhorizon_s = 10\n[latency]\n{latency}\n[workload.w]\ntarget = \"sqs.q\"\nrate_per_s = 1\n[sqs.q]\n"
        );
        parse_inline(&text, &[]).map(|_| ()).unwrap_err().to_string()
    };
    let e = err("aws_calls = \"off\"");
    assert!(e.contains("inline.toml:4:13: latency.aws_calls = \"off\""), "{e}");
    assert!(e.contains("allowed: \"modelled\""), "{e}");
    let e = err("sqs_send_s = -0.1");
    assert!(e.contains("latency.sqs_send_s = -0.1"), "{e}");
    let e = err("sqs_sned_s = 0.1");
    assert!(e.contains("did you mean `sqs_send_s`?"), "{e}");
    let e = err("[latency.sqs.nope]\nsqs_send_s = 0.1");
    assert!(e.contains("latency.sqs.nope: no queue named `nope` in this scenario; queues: q"), "{e}");
    let e = err("[latency.sqs.q]\nsns_publish_s = 0.1");
    assert!(e.contains("unknown key `sns_publish_s`"), "{e}");
    // From the command line as well.
    let text = "[run]\nhorizon_s = 10\n[workload.w]\ntarget = \"sqs.q\"\nrate_per_s = 1\n[sqs.q]\n";
    let e = parse_inline(text, &["latency.aws_calls=sometimes"]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("latency.aws_calls = \"sometimes\""), "{e}");
}

#[test]
fn the_same_seed_gives_the_same_hops() {
    let a = fan_in("");
    let b = fan_in("");
    assert_eq!(a, b);
}
