//! Criterion benchmarks of the engine's hot loop (the hold model, as in
//! `examples/hold_model.rs`) against a bare `BinaryHeap` loop, and of whole scenarios
//! through the SQS, worker and Lambda models.
//!
//! cargo bench --bench engine                                   # run
//! cargo bench --bench engine -- --save-baseline main           # save a baseline
//! cargo bench --bench engine -- --baseline main                # compare against it

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orchsim::engine::{Handler, RngFactory, RunLimits, Scheduler, SimDuration, SimRng, SimTime, Simulation};
use orchsim::scenario::Scenario;

const STEPS: u64 = 1_000_000;

struct Hold {
    rng: SimRng,
}

impl Handler for Hold {
    type Event = ();
    #[inline]
    fn handle(&mut self, _: (), s: &mut Scheduler<()>) {
        s.schedule_in(SimDuration::from_secs_f64(self.rng.exp1()), ());
    }
}

fn hold_engine(pending: usize) -> u64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut sim = Simulation::with_capacity(pending);
    for _ in 0..pending {
        sim.scheduler().schedule_at(SimTime::ZERO + SimDuration::from_secs_f64(rng.exp1()), ());
    }
    let out = sim.run(&mut Hold { rng }, RunLimits { horizon: SimTime::MAX, max_events: STEPS });
    out.events
}

fn hold_bare_heap(pending: usize) -> u64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut heap = BinaryHeap::with_capacity(pending);
    let mut seq = 0u64;
    for _ in 0..pending {
        heap.push(Reverse((SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    for _ in 0..STEPS {
        let Reverse((now, _)) = heap.pop().expect("never empties");
        heap.push(Reverse((now + SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    seq
}

fn hold_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold_model");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(10);
    for pending in [1_000usize, 100_000] {
        group.bench_with_input(BenchmarkId::new("engine", pending), &pending, |b, &n| {
            b.iter(|| black_box(hold_engine(n)))
        });
        group.bench_with_input(BenchmarkId::new("bare_heap", pending), &pending, |b, &n| {
            b.iter(|| black_box(hold_bare_heap(n)))
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
    group.bench_function("mmc_erlang_c_20000s", |b| b.iter(|| black_box(orchsim::run::run(&scenario).outcome.events)));
    group.finish();
}

/// One million queued messages drained through SQS by a Lambda event source mapping.
fn lambda_backlog(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lambda_backlog_drain.toml");
    let scenario = Scenario::load(&path, &[]).expect("shipped scenario is valid");
    let mut group = c.benchmark_group("scenario");
    group.throughput(Throughput::Elements(1_000_000));
    group.sample_size(10);
    group.bench_function("lambda_backlog_drain_1m", |b| {
        b.iter(|| black_box(orchsim::run::run(&scenario).outcome.events))
    });
    group.finish();
}

criterion_group!(benches, hold_model, mmc_scenario, lambda_backlog);
criterion_main!(benches);
