//! Criterion benchmarks of the engine's hot loop (the hold model of
//! `engine::hold`) against a bare `BinaryHeap` loop, and of whole scenarios
//! through the SQS, worker and Lambda models.
//!
//! cargo bench --bench engine                                   # run
//! cargo bench --bench engine -- --save-baseline main           # save a baseline
//! cargo bench --bench engine -- --baseline main                # compare against it

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orchsim::engine::{EventListKind, hold};
use orchsim::scenario::Scenario;

const STEPS: u64 = 1_000_000;

fn hold_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold_model");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(10);
    for pending in [12usize, 1_000, 100_000] {
        group.bench_with_input(BenchmarkId::new("engine", pending), &pending, |b, &n| {
            b.iter(|| black_box(hold::on_engine(n, STEPS)))
        });
        // The engine on the event lists the hybrid was chosen over.
        for kind in [EventListKind::RadixHeap, EventListKind::Calendar, EventListKind::BinaryHeap] {
            group.bench_with_input(
                BenchmarkId::new(format!("engine_{}", kind.as_str()), pending),
                &pending,
                |b, &n| b.iter(|| black_box(hold::on_engine_with(kind, n, STEPS))),
            );
        }
        group.bench_with_input(BenchmarkId::new("bare_heap", pending), &pending, |b, &n| {
            b.iter(|| black_box(hold::on_bare_heap(n, STEPS)))
        });
    }
    group.finish();
}

/// The shipped M/M/c scenario for 20,000 virtual seconds (about 180,000 messages).
fn mmc_scenario(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc_erlang_c.toml");
    let scenario = Scenario::load(&path, &["run.horizon_s=20000".into()]).expect("shipped scenario is valid");
    let messages = (9.0 * 19_000.0) as u64;
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(messages));
    group.sample_size(10);
    group.bench_function("mmc_erlang_c_20000s", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).expect("within the memory budget").outcome.events))
    });
    group.finish();
}

/// The speed target's measure: the same scenario over 1,200,000 virtual seconds (about
/// 10.8 M messages, 21.7 M events), with its results made and written as `orchsim run`
/// does (the CSV and JSON files, the histograms, the charts and the page). Criterion's
/// figure is messages a second, against the aim of 10 M.
fn mmc_with_results(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc_erlang_c.toml");
    let scenario = Scenario::load(&path, &["run.horizon_s=1200000".into()]).expect("shipped scenario is valid");
    let out = std::env::temp_dir().join(format!("orchsim-bench-mmc-{}", std::process::id()));
    let messages = (9.0 * 1_199_000.0) as u64;
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(messages));
    group.sample_size(10);
    // Ten runs of over a second each: room for them, so criterion does not warn.
    group.measurement_time(std::time::Duration::from_secs(25));
    group.bench_function("mmc_erlang_c_1200000s_with_results", |b| {
        b.iter(|| {
            let result = orchsim::run::run(&scenario).expect("within the memory budget");
            let files = orchsim::report::render(&scenario, &result, &[]);
            orchsim::report::write_atomically(&out, &files).expect("the temporary folder is writable");
            black_box(result.outcome.events)
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

/// One million queued messages drained through SQS by a Lambda event source mapping.
fn lambda_backlog(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lambda_backlog_drain.toml");
    let scenario = Scenario::load(&path, &[]).expect("shipped scenario is valid");
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(1_000_000));
    group.sample_size(10);
    group.bench_function("lambda_backlog_drain_1m", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).expect("within the memory budget").outcome.events))
    });
    group.finish();
}

/// One million publishes fanned out to three SQS queues through filter policies.
fn sns_fanout(c: &mut Criterion) {
    let text = r#"
        [run]
        horizon_s = 3600
        [workload.events]
        target = "sns.events"
        arrival = "constant"
        rate_per_s = 10000
        count_max = 1000000
        [workload.events.attributes]
        kind = { values = ["placed", "cancelled", "shipped"], weights = [7, 1, 2] }
        amount = { dist = "uniform", low = 1, high = 1000 }
        [sns.events]
        [subscription.a]
        topic = "sns.events"
        endpoint = "sqs.a"
        raw_message_delivery = true
        [subscription.b]
        topic = "sns.events"
        endpoint = "sqs.b"
        filter_policy = '{"kind": ["placed", "cancelled"]}'
        [subscription.c]
        topic = "sns.events"
        endpoint = "sqs.c"
        filter_policy = '{"amount": [{"numeric": [">=", 500]}], "kind": [{"anything-but": ["cancelled"]}]}'
        [sqs.a]
        [sqs.b]
        [sqs.c]
        # The fan-out's own work, comparable across versions: AWS's call latencies off.
        [latency]
        aws_calls = "none"
    "#;
    let scenario = Scenario::from_text("fanout.toml", text, Path::new("."), &[]).expect("valid");
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(1_000_000));
    group.sample_size(10);
    group.bench_function("sns_fanout_1m_to_3_queues", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).expect("within the memory budget").outcome.events))
    });
    group.finish();
}

/// The first hour of `benches/sns_lambda_day.toml`: 3.6 million publishes to a topic
/// fanning out to three queues drained by Lambda; the whole day is 24 of these.
fn sns_lambda_hour(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sns_lambda_day.toml");
    let scenario = Scenario::load(&path, &["run.horizon_s=3600".into()]).expect("the benchmark scenario is valid");
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(3_600_000));
    group.sample_size(10);
    group.bench_function("sns_lambda_hour", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).expect("within the memory budget").outcome.events))
    });
    // The same on the radix heap alone and on the binary heap the engine used before.
    for kind in [EventListKind::RadixHeap, EventListKind::BinaryHeap] {
        group.bench_function(format!("sns_lambda_hour_{}", kind.as_str()), |b| {
            b.iter(|| {
                let result = orchsim::run::run_on(kind, &scenario);
                black_box(result.expect("within the memory budget").outcome.events)
            })
        });
    }
    group.finish();
}

/// One filter policy evaluated against one message's attributes.
fn filter_matching(c: &mut Criterion) {
    use orchsim::models::filter_policy::{AttributeValue, FilterPolicy, Json, Scope};
    let policy = Json::Object(vec![
        ("store".into(), Json::Array(vec![Json::String("example_corp".into())])),
        (
            "price_usd".into(),
            Json::Array(vec![Json::Object(vec![(
                "numeric".into(),
                Json::Array(vec![Json::String(">=".into()), Json::Number(100.0)]),
            )])]),
        ),
        (
            "event".into(),
            Json::Array(vec![Json::Object(vec![(
                "anything-but".into(),
                Json::Array(vec![Json::String("order_cancelled".into())]),
            )])]),
        ),
    ]);
    let policy = FilterPolicy::parse(&policy, Scope::MessageAttributes, 120).expect("valid policy");
    let attributes = vec![
        ("store".to_string(), AttributeValue::String("example_corp".into())),
        ("event".to_string(), AttributeValue::String("order_placed".into())),
        ("price_usd".to_string(), AttributeValue::Number(210.75)),
        ("customer".to_string(), AttributeValue::String("c-42".into())),
    ];
    c.bench_function("filter_policy_match_3_keys", |b| {
        b.iter(|| black_box(policy.matches_attributes(black_box(&attributes))))
    });
}

/// One million executions of a six-state Express workflow.
fn step_functions_executions(c: &mut Criterion) {
    let text = r#"
        [run]
        horizon_s = 3600
        [workload.events]
        target = "step_functions.six"
        arrival = "constant"
        rate_per_s = 5000
        count_max = 1000000
        [step_functions.six]
        definition = "definitions/six_states.asl.json"
        type = "express_async"
        [step_functions.six.states."Is new?"]
        weights = [0.3, 0.7]
        # The interpreter's own work, comparable across versions: AWS's latencies off.
        [latency]
        aws_calls = "none"
    "#;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenario = Scenario::from_text("six.toml", text, &dir, &[]).expect("valid");
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(1_000_000));
    group.sample_size(10);
    group.bench_function("step_functions_1m_executions_6_states", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).expect("within the memory budget").outcome.events))
    });
    group.finish();
}

/// A 200-run sweep on one thread and on two: the speed-up of running runs in parallel
/// (each run, its result file and its share of its point's histograms, and, from a point's
/// last run, the point's `.hgrm` files and table lines: `sweep_200_runs`),
/// of the whole sweep as `orchsim sweep` does it, aggregated from what the runs kept
/// (`sweep_200_whole`), and of aggregating from the run files alone, as a resumed sweep,
/// `orchsim merge` and `orchsim chart` do (`sweep_200_aggregate`).
fn sweep_threads(c: &mut Criterion) {
    use orchsim::sweep;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sweep_200.toml");
    let plan = sweep::Plan::load(&path, &[]).expect("valid");
    assert_eq!(plan.runs.len(), 200);
    let out = std::env::temp_dir().join(format!("orchsim-bench-sweep-{}", std::process::id()));
    // Each timed sweep goes into a new folder, as a user's sweep does, and the folders are
    // removed only after the groups: removing a sweep's few hundred files inside the timed
    // part adds tens of milliseconds of serial waiting for the disk (and slows the file
    // creation that follows), which no `orchsim sweep` pays.
    let made = std::cell::Cell::new(0u32);
    let fresh_folder = || {
        made.set(made.get() + 1);
        out.join(format!("sweep-{}", made.get()))
    };
    let pools: Vec<(usize, rayon::ThreadPool)> = [1, 2]
        .into_iter()
        .map(|threads| (threads, rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool")))
        .collect();
    let mut group = c.benchmark_group("sweep_200_runs");
    group.sample_size(10);
    for (threads, pool) in &pools {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                let fresh = fresh_folder();
                let ran = pool.install(|| sweep::execute(&plan, &fresh, None, false, &|_, _| {}, &Default::default()));
                black_box(ran.expect("the sweep runs"))
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("sweep_200_whole");
    group.sample_size(10);
    for (threads, pool) in &pools {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                let fresh = fresh_folder();
                pool.install(|| {
                    let executed = sweep::execute_keeping(&plan, &fresh, None, false, &|_, _| {}, &Default::default())
                        .expect("the sweep runs");
                    sweep::aggregate_and_write(&plan, std::slice::from_ref(&fresh), executed.kept, &fresh)
                        .expect("every run is there and the folder is writable");
                    black_box(executed.ran)
                })
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
    // The run files, made now.
    sweep::execute(&plan, &out, None, false, &|_, _| {}, &Default::default()).expect("the sweep runs");
    let mut group = c.benchmark_group("sweep_200_aggregate");
    group.sample_size(10);
    for (threads, pool) in &pools {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                let files = pool.install(|| sweep::aggregate(&plan, std::slice::from_ref(&out)));
                black_box(files.expect("every run is there").len())
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

/// SQS's hot path: SendMessage, ReceiveMessage of 10 and DeleteMessage of each, on a
/// standard queue holding a steady backlog.
fn sqs_send_receive_delete(c: &mut Criterion) {
    use orchsim::engine::{RngFactory, SimDuration, SimTime};
    use orchsim::models::Message;
    use orchsim::models::sqs::{Config, Kind, QueueId, ReceiveOutcome, Service};
    let config = Config {
        name: "q".into(),
        kind: Kind::Standard { duplicate_rate: 0.0 },
        visibility_timeout: SimDuration::from_secs(30),
        retention: SimDuration::from_secs(345_600),
        delay: SimDuration::ZERO,
        in_flight_max: 120_000,
        max_message_size_bytes: 1_048_576,
        short_poll_sample_fraction: 1.0,
        redrive: None,
    };
    let rngs = RngFactory::new(1);
    let mut sqs = Service::new(vec![config], |name| rngs.stream(name));
    let consumer = sqs.add_consumer();
    let q = QueueId(0);
    let mut now = SimTime::ZERO;
    for _ in 0..1_000 {
        sqs.send(now, q, Message::new(now, 1_024), None);
    }
    let mut group = c.benchmark_group("sqs");
    group.throughput(Throughput::Elements(10));
    group.bench_function("send_receive_delete_10", |b| {
        b.iter(|| {
            now += SimDuration::from_micros(1_000);
            for _ in 0..10 {
                sqs.send(now, q, Message::new(now, 1_024), None);
            }
            if let ReceiveOutcome::Received(batch) = sqs.receive(now, q, consumer, 10, SimDuration::from_secs(20)) {
                for r in batch.receipts() {
                    black_box(sqs.delete(now, *r));
                }
            }
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    sqs_send_receive_delete,
    sweep_threads,
    hold_model,
    mmc_scenario,
    mmc_with_results,
    lambda_backlog,
    sns_fanout,
    sns_lambda_hour,
    filter_matching,
    step_functions_executions
);
criterion_main!(benches);
