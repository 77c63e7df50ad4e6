//! The models of one scenario, wired together: builds them from a [`Scenario`], owns the
//! top-level [`Event`] enum, and routes between services.
//!
//! Routing is data: a workload's `target` and a pool's `source` are queue ids from the
//! scenario; no model knows another exists. The world calls SQS on behalf of workers and
//! hands workers what came back.
//!
//! Timed work inside SQS (visibility timeouts, retention, long-poll waits) costs at most one
//! pending engine event per queue: the queue reports its earliest deadline, the world arms
//! one `SqsDeadlineReached` for it, and ignores an armed event that a later change made
//! early or stale. That keeps the event count near two per message (its arrival and its
//! processing), which is what makes long runs fast.

use crate::distributions::Distribution;
use crate::engine::{Handler, RngFactory, Scheduler, SimDuration, SimRng, SimTime};
use crate::metrics::{LatencyHistogram, TimeSeries};
use crate::models::Message;
use crate::models::sqs::{self, Batch, ConsumerId, QueueId, ReceiveOutcome};
use crate::models::workers;
use crate::scenario::Scenario;
use crate::workload::Arrivals;

/// Everything that can happen, as small `Copy` facts carrying ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A workload's next message is due.
    SendDue { workload: u32 },
    /// A worker finished processing its current message.
    MessageProcessed { pool: u16, worker: u32 },
    /// A short-polling worker's pause after an empty receive is over.
    BackoffEnded { pool: u16, worker: u32 },
    /// A queue's earliest deadline (visibility, retention, long poll) was reached.
    SqsDeadlineReached { queue: u32 },
    /// Time to sample the time series.
    SampleDue,
    /// The warm-up is over: statistics start now.
    WarmupEnded,
}

struct WorkloadState {
    name: String,
    target: QueueId,
    arrivals: Arrivals,
    arrival_rng: SimRng,
    sizes: Distribution,
    constant_size: Option<u32>,
    size_rng: SimRng,
    /// Messages sent since the warm-up.
    sent: u64,
}

struct PoolState {
    pool: workers::Pool,
    source: QueueId,
    first_consumer: u32,
}

/// The wired models of one scenario.
pub struct World {
    sqs: sqs::Service,
    pools: Vec<PoolState>,
    /// Consumer id → (pool, worker).
    consumers: Vec<(u16, u32)>,
    workloads: Vec<WorkloadState>,
    workloads_active: usize,
    /// Per queue: the time of the armed `SqsDeadlineReached`, if any.
    armed: Vec<Option<SimTime>>,
    ended_polls: Vec<ConsumerId>,
    sample_interval: SimDuration,
    horizon: SimTime,
    series: TimeSeries,
}

/// Named measurements of a finished run, in a stable order.
pub struct Measurements {
    pub latencies: Vec<(String, LatencyHistogram)>,
    pub counters: Vec<(String, u64)>,
    pub gauges: Vec<(String, f64)>,
    pub series: TimeSeries,
    /// (resource, billed SQS requests) per queue.
    pub sqs_billed_requests: Vec<(String, u64)>,
    /// (resource, workers, USD per worker-hour) per pool.
    pub worker_pools: Vec<(String, u32, f64)>,
}

impl World {
    /// Builds the models and schedules the initial events.
    pub fn new(scenario: &Scenario, scheduler: &mut Scheduler<Event>) -> World {
        let rngs = RngFactory::new(scenario.run.seed);
        let mut sqs = sqs::Service::new(scenario.queues.clone());
        let mut consumers = Vec::new();
        let mut pools = Vec::new();
        for (index, p) in scenario.pools.iter().enumerate() {
            let name = &p.pool.name;
            let first_consumer = consumers.len() as u32;
            for worker in 0..p.pool.count {
                let id = sqs.add_consumer();
                debug_assert_eq!(id.0 as usize, consumers.len());
                consumers.push((
                    u16::try_from(index).expect("fewer than 65,536 pools"),
                    worker,
                ));
            }
            let pool = workers::Pool::new(
                p.pool.clone(),
                rngs.stream(&format!("workers.{name}.service")),
                rngs.stream(&format!("workers.{name}.errors")),
            );
            pools.push(PoolState {
                pool,
                source: p.source,
                first_consumer,
            });
        }
        let workloads = scenario
            .workloads
            .iter()
            .map(|w| WorkloadState {
                name: w.name.clone(),
                target: w.target,
                arrivals: Arrivals::new(w.process.clone(), w.window.clone()),
                arrival_rng: rngs.stream(&format!("workload.{}", w.name)),
                constant_size: w.message_size_bytes.as_constant().map(clamp_size),
                sizes: w.message_size_bytes.clone(),
                size_rng: rngs.stream(&format!("workload.{}.size", w.name)),
                sent: 0,
            })
            .collect();
        let mut columns = Vec::new();
        for q in &scenario.queues {
            columns.push(format!("sqs.{}.visible", q.name));
            columns.push(format!("sqs.{}.in_flight", q.name));
        }
        for p in &scenario.pools {
            columns.push(format!("workers.{}.busy", p.pool.name));
        }
        let mut world = World {
            armed: vec![None; sqs.queue_count()],
            sqs,
            pools,
            consumers,
            workloads,
            workloads_active: 0,
            ended_polls: Vec::new(),
            sample_interval: scenario.run.sample_interval,
            horizon: scenario.run.horizon,
            series: TimeSeries::new(columns),
        };
        world.start(scenario, scheduler);
        world
    }

    fn start(&mut self, scenario: &Scenario, s: &mut Scheduler<Event>) {
        let now = s.now();
        for (i, w) in self.workloads.iter_mut().enumerate() {
            if let Some(t) = w.arrivals.next(&mut w.arrival_rng) {
                s.schedule_at(t, Event::SendDue { workload: i as u32 });
                self.workloads_active += 1;
            }
        }
        for pool in 0..self.pools.len() {
            for worker in 0..self.pools[pool].pool.config().count {
                self.poll(now, pool as u16, worker, s);
            }
        }
        if scenario.run.warmup > SimDuration::ZERO {
            s.schedule_at(now + scenario.run.warmup, Event::WarmupEnded);
        }
        s.schedule_at(now, Event::SampleDue);
    }

    fn on_send_due(&mut self, now: SimTime, workload: u32, s: &mut Scheduler<Event>) {
        let w = &mut self.workloads[workload as usize];
        let size_bytes = match w.constant_size {
            Some(size) => size,
            None => clamp_size(w.sizes.sample(&mut w.size_rng)),
        };
        let target = w.target;
        w.sent += 1;
        match w.arrivals.next(&mut w.arrival_rng) {
            Some(t) => s.schedule_at(t, Event::SendDue { workload }),
            None => self.workloads_active -= 1,
        }
        self.sqs.send(
            now,
            target,
            Message {
                created_at: now,
                size_bytes,
            },
        );
        self.serve_waiting(now, target, s);
        self.arm(now, target, s);
    }

    fn on_message_processed(
        &mut self,
        now: SimTime,
        pool: u16,
        worker: u32,
        s: &mut Scheduler<Event>,
    ) {
        let p = &mut self.pools[usize::from(pool)];
        let (receipt, next) = p.pool.on_message_processed(now, worker);
        if let Some(receipt) = receipt {
            self.sqs.delete(now, receipt);
        }
        match next {
            Some(d) => s.schedule_in(d, Event::MessageProcessed { pool, worker }),
            None => self.poll(now, pool, worker, s),
        }
    }

    fn on_sqs_deadline_reached(&mut self, now: SimTime, queue: u32, s: &mut Scheduler<Event>) {
        if self.armed[queue as usize] != Some(now) {
            return; // superseded by an earlier arming
        }
        self.armed[queue as usize] = None;
        let q = QueueId(queue);
        if let Some(dlq) = self.sqs.on_deadlines(now, q) {
            self.serve_waiting(now, dlq, s);
            self.arm(now, dlq, s);
        }
        self.serve_waiting(now, q, s);
        let mut ended = std::mem::take(&mut self.ended_polls);
        self.sqs.expire_waits(now, q, &mut ended);
        for consumer in ended.drain(..) {
            let (pool, worker) = self.consumers[consumer.0 as usize];
            self.poll(now, pool, worker, s);
        }
        self.ended_polls = ended;
        self.arm(now, q, s);
    }

    fn on_sample_due(&mut self, now: SimTime, s: &mut Scheduler<Event>) {
        let mut row = Vec::with_capacity(self.series.columns.len());
        for q in 0..self.sqs.queue_count() {
            let (visible, in_flight) = self.sqs.depth(QueueId(q as u32));
            row.push(f64::from(visible));
            row.push(f64::from(in_flight));
        }
        row.extend(self.pools.iter().map(|p| p.pool.busy_workers() as f64));
        self.series.push_row(now, row);
        let next = now + self.sample_interval;
        if next <= self.horizon {
            s.schedule_at(next, Event::SampleDue);
        }
    }

    fn on_warmup_ended(&mut self, now: SimTime) {
        self.sqs.reset_metrics(now);
        for p in &mut self.pools {
            p.pool.reset_metrics(now);
        }
        for w in &mut self.workloads {
            w.sent = 0;
        }
    }

    /// A worker calls ReceiveMessage on its pool's queue.
    fn poll(&mut self, now: SimTime, pool: u16, worker: u32, s: &mut Scheduler<Event>) {
        let p = &self.pools[usize::from(pool)];
        let (source, consumer) = (p.source, ConsumerId(p.first_consumer + worker));
        let config = p.pool.config();
        match self
            .sqs
            .receive(now, source, consumer, config.batch_size, config.wait_time)
        {
            ReceiveOutcome::Received(batch) => self.deliver(now, pool, worker, batch, s),
            ReceiveOutcome::Waiting => {}
            ReceiveOutcome::Empty => {
                s.schedule_in(
                    config.empty_receive_backoff,
                    Event::BackoffEnded { pool, worker },
                );
                return;
            }
        }
        self.arm(now, source, s);
    }

    fn deliver(
        &mut self,
        now: SimTime,
        pool: u16,
        worker: u32,
        batch: Batch,
        s: &mut Scheduler<Event>,
    ) {
        let service = self.pools[usize::from(pool)]
            .pool
            .on_batch_received(now, worker, batch);
        s.schedule_in(service, Event::MessageProcessed { pool, worker });
    }

    /// Hands newly visible messages of `q` to waiting long polls.
    fn serve_waiting(&mut self, now: SimTime, q: QueueId, s: &mut Scheduler<Event>) {
        while let Some((consumer, batch)) = self.sqs.serve_waiting(now, q) {
            let (pool, worker) = self.consumers[consumer.0 as usize];
            self.deliver(now, pool, worker, batch, s);
        }
    }

    /// Makes sure an event is pending for the earliest deadline of `q`.
    #[inline]
    fn arm(&mut self, now: SimTime, q: QueueId, s: &mut Scheduler<Event>) {
        if let Some(t) = self.sqs.next_deadline(q) {
            let t = t.max(now);
            let armed = &mut self.armed[q.0 as usize];
            if armed.is_none_or(|a| t < a) {
                *armed = Some(t);
                s.schedule_at(t, Event::SqsDeadlineReached { queue: q.0 });
            }
        }
    }

    /// True once no workload will send again and no message is stored anywhere: only idle
    /// polling could follow, which changes no result but the idle polls' cost.
    fn is_drained(&self) -> bool {
        self.workloads_active == 0 && self.sqs.stored_messages() == 0
    }

    /// The run's named measurements; `end` is the clock at the end of the run.
    pub fn into_measurements(self, end: SimTime) -> Measurements {
        let mut latencies = Vec::new();
        let mut counters = Vec::new();
        let mut gauges = Vec::new();
        let mut sqs_billed_requests = Vec::new();
        for q in 0..self.sqs.queue_count() {
            let id = QueueId(q as u32);
            let name = format!("sqs.{}", self.sqs.config(id).name);
            let m = self.sqs.metrics(id);
            latencies.push((format!("{name}.queue_wait"), m.queue_wait.clone()));
            latencies.push((format!("{name}.end_to_end"), m.end_to_end.clone()));
            let (visible, in_flight) = self.sqs.depth(id);
            for (key, value) in [
                ("sent", m.sent),
                ("received", m.received),
                ("deleted", m.deleted),
                ("moved_to_dlq", m.moved_to_dlq),
                ("moved_in", m.moved_in),
                ("expired", m.expired),
                ("empty_receives", m.empty_receives),
                ("stale_deletes", m.stale_deletes),
                ("send_message_requests", m.send_message_requests),
                ("receive_message_requests", m.receive_message_requests),
                ("delete_message_requests", m.delete_message_requests),
                ("billed_requests", m.billed_requests),
                ("visible_at_end", u64::from(visible)),
                ("in_flight_at_end", u64::from(in_flight)),
            ] {
                counters.push((format!("{name}.{key}"), value));
            }
            gauges.push((format!("{name}.visible_mean"), m.visible.mean(end)));
            gauges.push((format!("{name}.in_flight_mean"), m.in_flight.mean(end)));
            sqs_billed_requests.push((name, m.billed_requests));
        }
        let mut worker_pools = Vec::new();
        for p in &self.pools {
            let config = p.pool.config();
            let name = format!("workers.{}", config.name);
            let m = p.pool.metrics();
            latencies.push((format!("{name}.service"), m.service.clone()));
            counters.push((format!("{name}.processed"), m.processed));
            counters.push((format!("{name}.succeeded"), m.succeeded));
            counters.push((format!("{name}.failed"), m.failed));
            let busy = m.busy.mean(end);
            gauges.push((format!("{name}.busy_mean"), busy));
            gauges.push((
                format!("{name}.utilization"),
                busy / f64::from(config.count),
            ));
            worker_pools.push((name, config.count, config.cost_usd_per_hour));
        }
        for w in &self.workloads {
            counters.push((format!("workload.{}.sent", w.name), w.sent));
        }
        Measurements {
            latencies,
            counters,
            gauges,
            series: self.series,
            sqs_billed_requests,
            worker_pools,
        }
    }
}

impl Handler for World {
    type Event = Event;

    #[inline]
    fn handle(&mut self, event: Event, s: &mut Scheduler<Event>) {
        let now = s.now();
        match event {
            Event::SendDue { workload } => self.on_send_due(now, workload, s),
            Event::MessageProcessed { pool, worker } => {
                self.on_message_processed(now, pool, worker, s)
            }
            Event::BackoffEnded { pool, worker } => self.poll(now, pool, worker, s),
            Event::SqsDeadlineReached { queue } => self.on_sqs_deadline_reached(now, queue, s),
            Event::SampleDue => self.on_sample_due(now, s),
            Event::WarmupEnded => self.on_warmup_ended(now),
        }
        if self.workloads_active == 0 && self.is_drained() {
            s.declare_drained();
        }
    }
}

/// Message sizes are whole bytes from 1 to SQS's 1 MiB maximum; draws from unbounded
/// distributions are clamped into that range.
fn clamp_size(bytes: f64) -> u32 {
    bytes.round().clamp(1.0, 1_048_576.0) as u32
}
