//! Amazon MQ through scenarios: the broker's throughput by instance type, producer sends by
//! persistence and storage, consumers' prefetch and redelivery, the bill, and the shipped
//! migration question against SQS.

mod common;

use common::{counter, gauge, inline, latency, parse_inline, shipped, summary};

fn broker(rate_per_s: f64, extra: &str) -> String {
    format!(
        r#"
        [run]
        horizon_s = 30
        [workload.w]
        target = "mq.b"
        arrival = "poisson"
        rate_per_s = {rate_per_s}
        [mq.b]
        engine = "activemq"
        instance_type = "mq.m5.large"
        producers = 200
        consumers = 200
        service_time_s = 0.001
        {extra}
        "#
    )
}

#[test]
fn a_broker_saturates_at_its_instance_types_benchmark_throughput() {
    // mq.m5.large with 200 clients: 6,916 persistent 1 KB messages a second [mq-bench-2021].
    let (result, over) = summary(&inline(&broker(10_000.0, "")));
    assert_eq!(gauge(&over, "mq.b.capacity_msgs_per_s"), 6_916.0);
    let throughput = counter(&over, "mq.b.handled") as f64 / result.measured_s;
    assert!((throughput - 6_916.0).abs() < 0.005 * 6_916.0, "{throughput}");
    // Beyond capacity, messages queue in front of the broker: the wait grows with the run
    // (by 1 − 6,916 / 10,000 of each second: the last handled waited about 9 s).
    let wait = latency(&over, "mq.b.broker_wait", "max");
    assert!((8_500.0..9_800.0).contains(&wait), "{wait}");
    // Below capacity the broker keeps up and adds well under a millisecond.
    let (result, under) = summary(&inline(&broker(5_000.0, "")));
    let throughput = counter(&under, "mq.b.acknowledged") as f64 / result.measured_s;
    assert!((throughput - 5_000.0).abs() < 0.02 * 5_000.0, "{throughput}");
    assert!(latency(&under, "mq.b.broker_wait", "p99") < 5.0);
    // Without concurrentStoreAndDispatchQueues the same broker handles 2,400 a second.
    let off = summary(&inline(&broker(10_000.0, "concurrent_store_and_dispatch = false"))).1;
    assert_eq!(gauge(&off, "mq.b.capacity_msgs_per_s"), 2_400.0);
}

#[test]
fn persistent_sends_wait_for_storage_one_connection_at_a_time() {
    let one_producer = |storage: &str| {
        let text = broker(2.0, storage).replace("producers = 200", "producers = 1");
        summary(&inline(&text)).1
    };
    // One connection enqueues 80 persistent messages a second on EFS, 500 on EBS and 5,000
    // without persistence [mq-storage-2023].
    let efs = one_producer("");
    assert!((latency(&efs, "mq.b.send", "p50") - 12.5).abs() < 0.1);
    let ebs = one_producer("storage = \"ebs\"");
    assert!((latency(&ebs, "mq.b.send", "p50") - 2.0).abs() < 0.05);
    let memory = one_producer("durable = false");
    assert!(latency(&memory, "mq.b.send", "p50") < 0.25);
    // 100 messages a second are more than one EFS connection can send: they wait for it.
    let text = broker(100.0, "").replace("producers = 200", "producers = 1");
    let slow = summary(&inline(&text)).1;
    assert!(latency(&slow, "mq.b.send", "max") > 1_000.0);
}

#[test]
fn failed_messages_are_redelivered_six_times_then_dead_lettered() {
    let s = summary(&inline(&broker(100.0, "error_rate = 1.0"))).1;
    let dead = counter(&s, "mq.b.dead_lettered");
    assert!(dead > 2_500);
    // (Messages still being redelivered at the horizon account for the difference.)
    let redelivered = counter(&s, "mq.b.redelivered");
    assert!(redelivered >= 6 * dead && redelivered <= 6 * (dead + 200), "{redelivered} for {dead}");
    assert_eq!(counter(&s, "mq.b.acknowledged"), 0);
}

#[test]
fn brokers_are_billed_per_instance_hour_and_stored_gb() {
    let (result, _) = summary(&inline(&broker(100.0, "deployment = \"active_standby\"")));
    let hours = result.costs.iter().find(|c| c.usage_unit == "broker_hours").unwrap();
    // Two mq.m5.large instances at $0.288 an hour: $420.48 per 730-hour month.
    assert!((hours.usd_per_month - 420.48).abs() < 1e-6, "{}", hours.usd_per_month);
}

#[test]
fn broker_settings_are_checked_against_amazon_mq() {
    let err = |extra: &str| parse_inline(&broker(10.0, extra), &[]).map(|_| ()).unwrap_err().to_string();
    let e = err("deployment = \"active_standby\"\nstorage = \"ebs\"");
    assert!(e.contains("EBS storage is single-AZ"), "{e}");
    let rabbit = broker(10.0, "").replace("engine = \"activemq\"", "engine = \"rabbitmq\"");
    let e = parse_inline(&rabbit, &[]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("AWS publishes no throughput figure for rabbitmq on mq.m5.large"), "{e}");
    let e = parse_inline(&rabbit.replace("mq.m5.large", "mq.m5.4xlarge"), &[]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("no throughput figure"), "{e}");
    let big = broker(10.0, "").replace("mq.m5.large", "mq.m5.2xlarge");
    let e = parse_inline(&big, &[]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("no hourly price for mq.m5.2xlarge; give usd_per_instance_hour"), "{e}");
    let e = parse_inline(&broker(10.0, "").replace("mq.m5.large", "mq.m7g.large"), &[])
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("activemq brokers run on:"), "{e}");
}

#[test]
fn the_migration_scenario_sends_the_same_orders_to_both_and_prices_them() {
    let scenario = common::load(&shipped("mq_vs_sqs_orders.toml"), &["run.horizon_s=900"]);
    let (_, s) = summary(&scenario);
    // One random stream: the same arrivals to SQS and to the broker.
    assert_eq!(counter(&s, "workload.orders_sqs.sent"), counter(&s, "workload.orders_mq.sent"));
    let cost = |s: &serde_json::Value, service: &str| s["cost_usd"][format!("{service}_per_month")].as_f64().unwrap();
    // At 300 messages a second SQS's requests cost more than the broker's hours.
    assert!(cost(&s, "sqs") > cost(&s, "mq"), "{} vs {}", cost(&s, "sqs"), cost(&s, "mq"));
    // At 30 a second SQS is the cheaper.
    let low = common::load(
        &shipped("mq_vs_sqs_orders.toml"),
        &["run.horizon_s=900", "workload.orders_sqs.rate_per_s=30", "workload.orders_mq.rate_per_s=30"],
    );
    let (_, l) = summary(&low);
    assert!(cost(&l, "sqs") < cost(&l, "mq"));
}
