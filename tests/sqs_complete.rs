//! The complete SQS model through tiny scenarios: dead-letter timing, FIFO ordering,
//! deduplication and throttling, delays, heartbeats, batching, redrive and poison messages.

mod common;

use common::{counter, exact, latency, load, shipped, summary};

#[test]
fn an_always_failing_message_reaches_the_dlq_at_the_expected_virtual_time() {
    // Sent at 1 s and received at once (the worker is long-polling); it fails after 0.1 s,
    // reappears when the 30 s visibility timeout ends and is received again at 31 s and at
    // 61 s; when the third timeout ends, at 91 s, its receive count would exceed 3.
    let text = |horizon: &str| {
        format!(
            r#"
            [run]
            horizon_s = {horizon}
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 1
            count_max = 1
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
            "#
        )
    };
    let (_, before) = summary(&exact(&text("90.999999")));
    assert_eq!((counter(&before, "sqs.q.received"), counter(&before, "sqs.q.moved_to_dlq")), (3, 0));
    let (_, at) = summary(&exact(&text("91")));
    assert_eq!(counter(&at, "sqs.q.moved_to_dlq"), 1);
    assert_eq!(counter(&at, "sqs.dlq.visible_at_end"), 1);
}

fn fifo_scenario(seed: u64) -> String {
    format!(
        r#"
        [run]
        seed = {seed}
        horizon_s = 1500
        [workload.w]
        target = "sqs.q"
        arrival = "poisson"
        rate_per_s = 12
        group_count = 6
        group_skew = 1.0
        duplicate_send_fraction = 0.05
        [sqs.q]
        fifo = true
        visibility_timeout_s = 4
        dead_letter_queue = "sqs.dlq"
        receive_count_max = 5
        [sqs.dlq]
        fifo = true
        [workers.p]
        source = "sqs.q"
        count = 8
        batch_size = 10
        error_rate = 0.2
        service_time_s = {{ dist = "exponential", mean = 0.3 }}
        "#
    )
}

#[test]
fn fifo_groups_are_never_delivered_out_of_order_over_many_seeds() {
    // Failures, visibility timeouts shorter than some batches, dead-lettering and producer
    // duplicates all stress the group rule; the model counts any first delivery that
    // overtakes an earlier message of its group.
    for seed in 0..40 {
        let (_, s) = summary(&exact(&fifo_scenario(seed)));
        assert_eq!(counter(&s, "sqs.q.fifo_order_violations"), 0, "seed {seed}");
        assert!(counter(&s, "sqs.q.deleted") > 10_000, "seed {seed}: the queue did work");
        assert!(counter(&s, "sqs.q.deduplicated") > 0, "seed {seed}: duplicates were dropped");
    }
}

#[test]
fn a_fifo_duplicate_within_five_minutes_is_dropped_and_one_after_is_accepted() {
    let text = |delay_s: u32| {
        format!(
            r#"
            [run]
            horizon_s = 2000
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 1
            count_max = 100
            duplicate_send_fraction = 1.0
            duplicate_send_delay_s = {delay_s}
            [sqs.q]
            fifo = true
            "#
        )
    };
    let (_, within) = summary(&exact(&text(299)));
    assert_eq!((counter(&within, "sqs.q.sent"), counter(&within, "sqs.q.deduplicated")), (100, 100));
    let (_, after) = summary(&exact(&text(300)));
    assert_eq!((counter(&after, "sqs.q.sent"), counter(&after, "sqs.q.deduplicated")), (200, 0));
}

#[test]
fn a_fifo_queue_offered_500_unbatched_sends_a_second_serves_300_and_throttles_the_rest() {
    let text = |attempts: u32| {
        format!(
            r#"
            [run]
            horizon_s = 100
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 500
            retry_max_attempts = {attempts}
            [sqs.q]
            fifo = true
            "#
        )
    };
    let (_, s) = summary(&exact(&text(1)));
    // 50,000 sends in 100 s; the bucket holds one second of calls (300) and refills at 300/s.
    let accepted = counter(&s, "sqs.q.sent");
    assert!((30_295..=30_300).contains(&accepted), "{accepted}");
    assert_eq!(counter(&s, "sqs.q.throttled_sends"), 50_000 - accepted);
    assert_eq!(
        counter(&s, "workload.w.send_gave_up"),
        50_000 - accepted,
        "no retries: each throttle loses its message"
    );
    // With the SDK's 3 attempts the queue still serves 300/s; retries add throttles.
    let (_, s) = summary(&exact(&text(3)));
    assert!((30_295..=30_300).contains(&counter(&s, "sqs.q.sent")));
    assert!(counter(&s, "workload.w.send_retries") > 0);
    assert!(counter(&s, "sqs.q.throttled_sends") > 50_000 - 30_300);
}

#[test]
fn high_throughput_mode_uses_the_regional_quota() {
    let text = r#"
        [run]
        horizon_s = 10
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 5000
        retry_max_attempts = 1
        [sqs.q]
        fifo = true
        high_throughput = true
        region = "eu-west-2"
        [pricing]
        price_list = ["../tests/data/prices/AWSQueueService-eu-west-2.json"]
    "#;
    let (_, s) = summary(&exact(text));
    // eu-west-2: 4,500 calls/s.
    let accepted = counter(&s, "sqs.q.sent");
    assert!((49_490..=49_500).contains(&accepted), "{accepted}");
}

#[test]
fn delay_queues_and_message_timers_hold_messages_back() {
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.timed]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1
        count_max = 50
        message_timer_s = 120
        [workload.plain]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1
        count_max = 50
        [sqs.q]
        delay_s = 30
        [workers.p]
        source = "sqs.q"
        count = 4
        service_time_s = 0.01
    "#;
    let (_, s) = summary(&exact(text));
    // Half wait the queue's 30 s delay, half their own 120 s timer.
    let mean_s = latency(&s, "sqs.q.queue_wait", "mean") / 1_000.0;
    assert!((mean_s - 75.0).abs() < 0.01, "{mean_s}");
    assert!((latency(&s, "sqs.q.queue_wait", "max") / 1_000.0 - 120.0).abs() < 0.2);
}

#[test]
fn heartbeats_keep_long_work_from_being_received_twice() {
    let text = |heartbeat: &str| {
        format!(
            r#"
            [run]
            horizon_s = 3600
            [workload.w]
            target = "sqs.q"
            arrival = "poisson"
            rate_per_s = 0.05
            [sqs.q]
            visibility_timeout_s = 30
            [workers.p]
            source = "sqs.q"
            count = 4
            service_time_s = {{ dist = "uniform", low = 20, high = 50 }}
            {heartbeat}
            "#
        )
    };
    let (_, without) = summary(&exact(&text("")));
    assert!(counter(&without, "sqs.q.stale_deletes") > 10, "work past 30 s is received twice");
    let (_, with) = summary(&exact(&text("heartbeat_interval_s = 20\nheartbeat_visibility_timeout_s = 30")));
    assert_eq!(counter(&with, "sqs.q.stale_deletes"), 0);
    assert!(counter(&with, "sqs.q.change_visibility_requests") > 10);
    assert_eq!(
        counter(&with, "sqs.q.received"),
        counter(&with, "sqs.q.deleted") + counter(&with, "sqs.q.in_flight_at_end")
    );
}

#[test]
fn batch_sends_and_deletes_cut_requests_by_ten() {
    let text = |batching: &str, delete_batch: bool| {
        format!(
            r#"
            [run]
            horizon_s = 1000
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 100
            {batching}
            [sqs.q]
            duplicate_rate = 0
            [workers.p]
            source = "sqs.q"
            count = 1
            batch_size = 10
            wait_time_s = 20
            delete_batch = {delete_batch}
            service_time_s = 0.001
            "#
        )
    };
    let (_, single) = summary(&exact(&text("", false)));
    let (_, batched) = summary(&exact(&text("send_batch_max = 10\nsend_batch_linger_s = 0.2", true)));
    assert_eq!(counter(&single, "sqs.q.send_message_requests"), 100_000);
    assert_eq!(counter(&batched, "sqs.q.send_message_batch_requests"), 10_000);
    assert_eq!(
        counter(&batched, "sqs.q.delete_message_batch_requests"),
        counter(&batched, "sqs.q.receive_message_requests") - 1
    );
    // Batches of ten arrive whole, so every receive takes ten and one batch delete follows.
    assert!(counter(&batched, "sqs.q.billed_requests") * 9 < counter(&single, "sqs.q.billed_requests") * 2);
    // The linger shows in latency: a message waits for its batch to fill (up to 90 ms).
    assert!(latency(&batched, "sqs.q.end_to_end", "mean") > latency(&single, "sqs.q.end_to_end", "mean"));
}

#[test]
fn poison_messages_fill_the_dlq_until_the_fix_and_the_redrive_brings_them_back() {
    let (result, s) = summary(&load(&shipped("orders_poison_redrive.toml"), &[]));
    let moved = counter(&s, "sqs.orders.moved_to_dlq");
    // About 0.5 % of the 144,000 orders sent before the fix at 2 h.
    assert!((600..=850).contains(&moved), "{moved}");
    assert_eq!(counter(&s, "sqs.orders-dlq.redriven_out"), moved, "the redrive empties the DLQ");
    assert_eq!(counter(&s, "sqs.orders-dlq.visible_at_end"), 0);
    // Three failed receives each for those dead-lettered, and one or two for those still
    // being retried when the fix landed.
    let poison_failures = counter(&s, "workers.processor.poison_failures");
    assert!((3 * moved..3 * moved + 60).contains(&poison_failures), "{poison_failures}");
    // Redriven orders finish three hours late: the end-to-end tail shows it.
    assert!(latency(&s, "sqs.orders.end_to_end", "max") > 3.0 * 3_600_000.0 - 2.0 * 3_600_000.0);
    assert_eq!(result.outcome.stop_reason.as_str(), "horizon");
}
