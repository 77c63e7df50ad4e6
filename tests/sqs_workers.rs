//! SQS and worker-pool behaviour, each shown by a tiny scenario run end to end.

mod common;

use common::{counter, exact, latency, summary};

/// A scenario with one queue `q` fed by workload `w` and drained by pool `p`; `extra` adds
/// or replaces keys (TOML tables may not repeat, so extra goes in whole tables).
fn scenario(run: &str, workload: &str, queue: &str, pool: &str) -> String {
    format!(
        "[run]\n{run}\n[workload.w]\ntarget = \"sqs.q\"\n{workload}\n[sqs.q]\n{queue}\n[workers.p]\nsource = \"sqs.q\"\n{pool}\n"
    )
}

#[test]
fn idle_long_polls_end_empty_every_wait_time_and_are_billed() {
    // One worker, one message at 90 s: polls at 0, 20, 40, 60 end empty (at 20, 40, 60, 80);
    // the poll started at 80 gets the message at 90; one more poll then waits until the end.
    let s = scenario(
        "horizon_s = 100",
        "arrival = \"replay\"\nfile = \"traces/sample_trace.csv\"\nstart_s = 90\ncount_max = 1",
        "",
        "count = 1\nservice_time_s = 1.0",
    );
    let (result, s) = summary(&exact(&s));
    assert_eq!(result.outcome.stop_reason.as_str(), "drained", "ends once the message is deleted");
    assert_eq!(counter(&s, "sqs.q.empty_receives"), 4);
    assert_eq!(counter(&s, "sqs.q.receive_message_requests"), 6);
    // 1 send + 6 receives + 1 delete, each a request.
    assert_eq!(counter(&s, "sqs.q.billed_requests"), 8);
    let wait = latency(&s, "sqs.q.queue_wait", "max");
    assert!(wait < 0.01, "a waiting long poll returns the message at once, waited {wait} ms");
}

#[test]
fn short_polling_workers_pause_between_empty_receives() {
    let s = scenario(
        "horizon_s = 10.5",
        "arrival = \"constant\"\nrate_per_s = 1\nstart_s = 1000",
        "",
        "count = 2\nservice_time_s = 1.0\nwait_time_s = 0\nempty_receive_backoff_s = 1.0",
    );
    let (_, s) = summary(&exact(&s));
    // Each worker polls at 0, 1, ..., 10: 11 empty receives each.
    assert_eq!(counter(&s, "sqs.q.empty_receives"), 22);
    assert_eq!(counter(&s, "sqs.q.receive_message_requests"), 22);
}

#[test]
fn failing_messages_reappear_after_the_visibility_timeout_then_move_to_the_dlq() {
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1
        count_max = 5
        [sqs.q]
        visibility_timeout_s = 30
        dead_letter_queue = "sqs.dlq"
        receive_count_max = 3
        [sqs.dlq]
        [workers.p]
        source = "sqs.q"
        count = 1
        service_time_s = 0.1
        error_rate = 1.0
    "#;
    let (result, s) = summary(&exact(text));
    assert_eq!(counter(&s, "sqs.q.received"), 15, "each message is received receive_count_max times");
    assert_eq!(counter(&s, "sqs.q.moved_to_dlq"), 5);
    assert_eq!(counter(&s, "sqs.dlq.moved_in"), 5);
    assert_eq!(counter(&s, "sqs.dlq.visible_at_end"), 5);
    assert_eq!(counter(&s, "sqs.q.deleted"), 0);
    assert_eq!(counter(&s, "workers.p.failed"), 15);
    // Receives at ~t, t+30, t+60; the move happens when the third timeout ends at ~t+90.
    assert_eq!(result.outcome.stop_reason.as_str(), "horizon", "messages are still stored in the DLQ");
}

#[test]
fn unconsumed_messages_expire_after_the_retention_period() {
    let text = r#"
        [run]
        horizon_s = 200
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1
        [sqs.q]
        message_retention_s = 60
    "#;
    let (_, s) = summary(&exact(text));
    // Sent at 1..=200 s; those sent at 1..=140 s expired by 200 s.
    assert_eq!(counter(&s, "sqs.q.sent"), 200);
    assert_eq!(counter(&s, "sqs.q.expired"), 140);
    assert_eq!(counter(&s, "sqs.q.visible_at_end"), 60);
}

#[test]
fn a_visibility_timeout_shorter_than_the_work_causes_duplicate_processing() {
    let run = |count: u32| {
        let text = scenario(
            "horizon_s = 100",
            "arrival = \"constant\"\nrate_per_s = 1\ncount_max = 1",
            "visibility_timeout_s = 5",
            &format!("count = {count}\nservice_time_s = 8.0"),
        );
        summary(&exact(&text)).1
    };
    // Alone, the worker's message becomes visible again at 6 s, but nobody receives it
    // before the worker deletes it at 9 s with the still-latest receipt.
    let alone = run(1);
    assert_eq!((counter(&alone, "sqs.q.received"), counter(&alone, "sqs.q.deleted")), (1, 1));
    // With a second worker waiting, each timeout hands the message to the other worker, so
    // every delete carries an outdated receipt and deletes nothing: receives at 1, 6, ...,
    // 96 s; deletes at 9, 14, ..., 99 s.
    let two = run(2);
    assert_eq!(counter(&two, "sqs.q.received"), 20);
    assert_eq!(counter(&two, "sqs.q.deleted"), 0);
    assert_eq!(counter(&two, "sqs.q.stale_deletes"), 19);
    assert_eq!(counter(&two, "workers.p.processed"), 19);
}

#[test]
fn requests_are_billed_per_64_kib_chunk_of_payload() {
    let s = scenario(
        "horizon_s = 100",
        "arrival = \"constant\"\nrate_per_s = 1\ncount_max = 10\nmessage_size_bytes = 100000",
        "",
        "count = 1\nservice_time_s = 0.1",
    );
    let (_, s) = summary(&exact(&s));
    // Per message: send 2 chunks + receive 2 chunks + delete 1. The worker's poll after
    // each delete waits and returns the next message, so it is that message's receive;
    // the poll after the last delete is one more request.
    assert_eq!(counter(&s, "sqs.q.send_message_requests"), 10);
    assert_eq!(counter(&s, "sqs.q.billed_requests"), 10 * (2 + 2 + 1) + 1);
}

#[test]
fn a_batch_receive_takes_up_to_batch_size_messages_and_processes_them_in_turn() {
    let s = scenario(
        "horizon_s = 100",
        "arrival = \"constant\"\nrate_per_s = 1000\ncount_max = 25",
        "",
        "count = 1\nbatch_size = 10\nservice_time_s = 1.0",
    );
    let (result, s) = summary(&exact(&s));
    assert_eq!(result.outcome.stop_reason.as_str(), "drained");
    // The first poll waits and gets 1 message; after it, batches of 10, 10 and 4.
    assert_eq!(counter(&s, "sqs.q.receive_message_requests"), 5);
    assert_eq!(counter(&s, "sqs.q.deleted"), 25);
    assert!((result.outcome.end_time.as_secs_f64() - 25.001).abs() < 1e-6);
}

#[test]
fn statistics_leave_out_the_warm_up() {
    let s = scenario(
        "horizon_s = 100\nwarmup_s = 40",
        "arrival = \"constant\"\nrate_per_s = 1",
        "",
        "count = 1\nservice_time_s = 0.5",
    );
    let (result, s) = summary(&exact(&s));
    assert_eq!(result.measured_s, 60.0);
    // The warm-up ends before anything else happens at 40 s, so sends at 40..=100 s count.
    assert_eq!(counter(&s, "sqs.q.sent"), 61);
    assert_eq!(counter(&s, "workload.w.sent"), 61);
}

#[test]
fn arrival_processes_are_selectable_from_the_scenario() {
    for (arrival, keys, expected) in [
        ("constant", "rate_per_s = 2", 2_000.0),
        ("poisson", "rate_per_s = 2", 2_000.0),
        ("ramp", "from_per_s = 0\nto_per_s = 4\nduration_s = 1000", 2_000.0),
        ("steps", "steps = [[0, 1.0], [500, 3.0]]", 2_000.0),
        ("bursts", "on_rate_per_s = 10\non_s = 10\noff_s = 40", 2_000.0),
        ("diurnal", "mean_rate_per_s = 2\nperiod_s = 1000\namplitude = 1.0", 2_000.0),
    ] {
        let text = format!(
            "[run]\nhorizon_s = 1000\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"{arrival}\"\n{keys}\n[sqs.q]\n"
        );
        let (_, s) = summary(&exact(&text));
        let sent = counter(&s, "sqs.q.sent") as f64;
        assert!(
            (sent - expected).abs() < 4.0 * expected.sqrt() + 1.0,
            "{arrival}: {sent} sent, about {expected} expected"
        );
    }
}
