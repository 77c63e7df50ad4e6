//! The models of one scenario, wired together: builds them from a [`Scenario`], owns the
//! top-level [`Event`] enum, and routes between services.
//!
//! Routing is data: a workload's `target` and a pool's `source` are queue ids from the
//! scenario; no model knows another exists. The world calls SQS on behalf of producers
//! and workers, and hands them what came back.
//!
//! Timed work inside SQS (delays, visibility timeouts, retention, long-poll waits) costs at
//! most one pending engine event per queue: the queue reports its earliest deadline, the
//! world arms one `SqsDeadlineReached` for it, and ignores an armed event that a later
//! change made early or stale. That keeps the event count near two per message (its
//! arrival and its processing), which is what makes long runs fast.

use std::collections::BTreeMap;

mod filters;
mod hops;
mod lambda_async;
mod lambda_mq;
mod measure;
mod producer;

pub use measure::{Balance, Measurements};

use self::filters::Filters;
use self::hops::{Caller, Hops, Place};
use self::producer::{Buffered, Entry, Fields, PendingCall, Producer};
use crate::engine::{Handler, RngFactory, Scheduler, SimDuration, SimTime};
use crate::metrics::TimeSeries;
use crate::models::client::{AfterThrottle, Client, RetryMode};
use crate::models::endpoint::{self, FailureKind};
use crate::models::eventbridge::{self, BusId};
use crate::models::filter_policy::Json;
use crate::models::lambda::{self, event_source};
use crate::models::latency::Hop;
use crate::models::sns::{self, AfterAttempt, DeliveryId, Failure, PublishOutcome};
use crate::models::sqs::{self, BATCH_ENTRIES_MAX, Batch, ConsumerId, QueueId, ReceiveOutcome, SendOutcome};
use crate::models::step_functions::runtime::{self as step_functions, Action};
use crate::models::workers;
use crate::models::{Message, TaskToken};
use crate::models::{mq, ses};
use crate::scenario::{AsyncDestination, RedriveTask, RuleTarget, Scenario, SubscriptionTarget, Target};

/// Everything that can happen, as small `Copy` facts carrying ids.
///
/// A four-byte tag and each variant's fields laid out in order after it (`repr(u32)`) keep
/// the fields at aligned offsets: with the default layout, a one-byte tag and the fields
/// packed after it, the event was copied out of the event list as overlapping unaligned
/// words, and reading it back stalled the run loop (its stores could not be forwarded to
/// the loads), about a fifth of the loop's own time on the SNS-to-Lambda benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Event {
    /// A workload's next message is due.
    SendDue { workload: u32 },
    /// A stored send call (a retry, or a producer's duplicate send) is due.
    SendCallDue { workload: u32, call: u32 },
    /// A partly filled send batch has waited its linger time.
    BatchLingerEnded { workload: u32 },
    /// A worker finished processing its current message.
    MessageProcessed { pool: u16, worker: u32 },
    /// A worker's visibility heartbeat is due.
    HeartbeatDue { pool: u16, worker: u32 },
    /// A short-polling worker's pause after an empty receive is over.
    BackoffEnded { pool: u16, worker: u32 },
    /// A Lambda poller may poll again (after a throttled invoke).
    PollerPollDue { mapping: u16, poller: u32 },
    /// A Lambda invocation from an event source mapping ended.
    InvocationFinished { mapping: u16, poller: u32 },
    /// An event source mapping checks whether to add pollers.
    ScaleTickDue { mapping: u16 },
    /// An SNS delivery's retry is due.
    SnsAttemptDue { delivery: u32 },
    /// An attempt postponed by `maxReceivesPerSecond` may start (its slot is reserved).
    SnsPacedAttemptDue { delivery: u32 },
    /// An SNS delivery attempt to a customer endpoint ended (`failure` 0: none).
    SnsAttemptFinished { delivery: u32, failure: u8 },
    /// A Step Functions thread's wake-up (a task or wait ended, a retry is due).
    StepFunctionsDue { thread: u32, token: u32 },
    /// A Step Functions execution reached its time limit.
    ExecutionTimeLimitReached { execution: u32, generation: u32 },
    /// A worker's SES send for its current message is due (`cleared`: the client's rate
    /// limiter already let it through).
    WorkerEmailDue { pool: u16, worker: u32, cleared: bool },
    /// SES answered a worker's send.
    WorkerEmailAnswered { pool: u16, worker: u32, accepted: bool },
    /// A Lambda handler's next SES send is due (`cleared`: its client's rate limiter already
    /// let it through).
    HandlerEmailDue { slot: u32, cleared: bool },
    /// SES answered a Lambda handler's send.
    HandlerEmailAnswered { slot: u32, accepted: bool },
    /// An Amazon MQ producer connection finished its oldest send.
    MqSent { broker: u16 },
    /// An Amazon MQ broker handled its oldest message.
    MqHandled { broker: u16 },
    /// An Amazon MQ consumer is done with its current message.
    MqConsumed { broker: u16, consumer: u32 },
    /// The batching window of a Lambda poller waiting on an Amazon MQ broker may be over.
    MqWindowEnded { mapping: u16, poller: u32 },
    /// A message a Lambda poller rejected is ready on its Amazon MQ broker again.
    MqRedeliveryDue { broker: u16 },
    /// An activity worker finished the task of `thread` (its wake-up `token`).
    ActivityWorkDone { thread: u32, token: u32, activity: u16, failed: bool },
    /// An EventBridge delivery's retry is due.
    EventBridgeAttemptDue { delivery: u32 },
    /// An invocation of an event of a function's asynchronous queue ended.
    AsyncInvocationFinished { function: u16, environment: u32 },
    /// An event of a function's asynchronous queue is due for a retry, or its age ran out.
    AsyncEventDue { function: u16, event: u32 },
    /// A Step Functions task's Lambda invocation ended: its environment is free (the
    /// runtime has its own wake-up for the task).
    TaskInvocationFinished { function: u16, environment: u32 },
    /// A workload's synchronous Lambda invocation ended: the caller has its answer.
    SyncInvocationFinished { workload: u32, environment: u32 },
    /// A worker's DeleteMessage call answered: it receives again.
    DeleteAnswered { pool: u16, worker: u32 },
    /// An SNS delivery attempt has been dispatched to its endpoint.
    SnsDispatched { delivery: u32 },
    /// An EventBridge delivery attempt reaches its target.
    EventBridgeDispatched { delivery: u32 },
    /// A queue's earliest deadline (delay, visibility, retention, long poll) was reached.
    SqsDeadlineReached { queue: u32 },
    /// A redrive moves its next message.
    RedriveStepDue { task: u32 },
    /// Time to sample the time series.
    SampleDue,
    /// The warm-up is over: statistics start now.
    WarmupEnded,
}

// An event list's entry is the time and the event: 24 bytes with a 16-byte event.
const _: () = assert!(std::mem::size_of::<Event>() == 16);

struct PoolState {
    pool: workers::Pool,
    source: QueueId,
    first_consumer: u32,
    /// A pool that confirms each processed message by email.
    email: Option<EmailState>,
}

/// A Lambda handler's emails, sent through SES after its run and before it returns.
struct HandlerEmails {
    function: u32,
    /// What happens when the handler returns (the environment is released then).
    then: Event,
    /// The event source mapping's poller whose batch fails if an email cannot be sent.
    poller: Option<(u16, u32)>,
    /// Emails still to send, the current one included.
    remaining: u32,
    /// The attempt made last for the current email (1 for the first), and its recipients.
    attempt: u32,
    recipients: u8,
    /// When the handler's own run ended, for the extra time billed.
    run_ended_at: SimTime,
}

/// A worker pool's SES sending: per worker, its SDK client and the email in progress.
struct EmailState {
    interface: ses::Interface,
    clients: Vec<Client>,
    /// The attempt made last for the worker's current email (1 for the first).
    attempts: Vec<u32>,
    recipients: Vec<u8>,
}

struct MappingState {
    mapping: event_source::EventSource,
    /// The queue it polls (unused when `broker` is set).
    source: QueueId,
    /// The Amazon MQ broker whose queue it consumes instead, if any.
    broker: Option<u32>,
    first_consumer: u32,
    /// Its bit in [`Message::filter_matches`], if it filters.
    filter: Option<u16>,
}

/// Who is behind a consumer id.
#[derive(Clone, Copy, Debug)]
enum Consumer {
    Worker { pool: u16, worker: u32 },
    Poller { mapping: u16, poller: u32 },
}

/// The wired models of one scenario.
pub struct World {
    sqs: sqs::Service,
    pools: Vec<PoolState>,
    lambda: lambda::Service,
    mappings: Vec<MappingState>,
    /// The mappings' filters, which each new message's body is tested against.
    filters: Filters,
    /// A poller's receive's filtered records, to delete.
    filtered: Vec<sqs::Receipt>,
    sns: sns::Service,
    /// Per subscription: where it delivers and its dead-letter queue.
    routes: Vec<(SubscriptionTarget, Option<QueueId>)>,
    endpoints: Vec<endpoint::Endpoint>,
    deliveries: Vec<sns::Dispatch>,
    eventbridge: eventbridge::Service,
    /// Per rule: each target and its dead-letter queue.
    rule_routes: Vec<Vec<(RuleTarget, Option<QueueId>)>>,
    /// The event of each EventBridge delivery in progress (an SNS target needs it as the
    /// message body).
    events: Vec<Option<Json>>,
    event_deliveries: Vec<eventbridge::DeliveryId>,
    step_functions: step_functions::Service,
    /// The account's SES quotas, if the scenario sends email.
    ses: Option<ses::Service>,
    /// By function: the SDK client its handler sends email with, if it does.
    function_email: Vec<Option<(ses::Interface, Client)>>,
    handler_emails: Vec<Option<HandlerEmails>>,
    free_handler_emails: Vec<u32>,
    /// By function and busy environment: when the workload's call it runs was made, for
    /// the caller's response time.
    call_made_at: Vec<Vec<SimTime>>,
    /// By function: where its dropped asynchronous events go (on failure, dead letter).
    async_routes: Vec<(Option<AsyncDestination>, Option<AsyncDestination>, Option<AsyncDestination>)>,
    mq: mq::Service,
    /// Per broker: the Lambda pollers waiting for its messages, longest waiting first.
    mq_waiting: Vec<Vec<(u16, u32)>>,
    /// The bus named `default`, where Standard executions report their status.
    default_bus: Option<BusId>,
    /// Scenario names of the functions, queues and topics state machines call.
    function_ids: BTreeMap<String, u32>,
    queue_ids: BTreeMap<String, QueueId>,
    topic_ids: BTreeMap<String, sns::TopicId>,
    consumers: Vec<Consumer>,
    to_delete: Vec<sqs::Receipt>,
    producers: Vec<Producer>,
    producers_active: usize,
    redrives: Vec<RedriveTask>,
    /// Per queue: the time of the armed `SqsDeadlineReached`, if any.
    armed: Vec<Option<SimTime>>,
    ended_polls: Vec<ConsumerId>,
    send_outcomes: Vec<SendOutcome>,
    sample_interval: SimDuration,
    horizon: SimTime,
    warmup_end: SimTime,
    series: TimeSeries,
    /// What CloudWatch would report, sampled with `series` (`measure::cloudwatch_columns`).
    cloudwatch: TimeSeries,
    /// AWS's own call and hop latencies.
    hops: Hops,
}

impl World {
    /// Builds the models and schedules the initial events.
    pub fn new(scenario: &Scenario, scheduler: &mut Scheduler<Event>) -> World {
        let rngs = RngFactory::new(scenario.run.seed);
        let mut sqs = sqs::Service::new(scenario.queues.clone(), |name| rngs.stream(name));
        let mut consumers = Vec::new();
        let mut pools = Vec::new();
        for (index, p) in scenario.pools.iter().enumerate() {
            let name = &p.pool.name;
            let first_consumer = consumers.len() as u32;
            for worker in 0..p.pool.count {
                let id = sqs.add_consumer();
                debug_assert_eq!(id.0 as usize, consumers.len());
                consumers
                    .push(Consumer::Worker { pool: u16::try_from(index).expect("fewer than 65,536 pools"), worker });
            }
            let pool = workers::Pool::new(
                p.pool.clone(),
                rngs.stream(&format!("workers.{name}.service")),
                rngs.stream(&format!("workers.{name}.errors")),
            );
            let email = p.email.map(|sender| EmailState {
                interface: sender.interface,
                // Each worker is a process of its own, with its own SDK client.
                clients: (0..p.pool.count)
                    .map(|w| Client::new(sender.retry, rngs.stream(&format!("workers.{name}.{w}.email_retries"))))
                    .collect(),
                attempts: vec![0; p.pool.count as usize],
                recipients: vec![0; p.pool.count as usize],
            });
            pools.push(PoolState { pool, source: p.source, first_consumer, email });
        }
        let lambda = lambda::Service::new(
            scenario.lambda_account,
            scenario.functions.iter().map(|f| f.function.clone()).collect(),
            &rngs,
        );
        let mut mappings = Vec::new();
        let mut filtered_mappings = 0;
        for f in &scenario.functions {
            for e in &f.event_sources {
                let first_consumer = consumers.len() as u32;
                let index = u16::try_from(mappings.len()).expect("fewer than 65,536 mappings");
                for poller in 0..e.config.concurrency_max {
                    sqs.add_consumer();
                    consumers.push(Consumer::Poller { mapping: index, poller });
                }
                // The one mapping of `source` keeps the stream it always had.
                let rng = match &e.config.name {
                    None => rngs.stream(&format!("lambda.{}.items", f.function.name)),
                    Some(m) => rngs.stream(&format!("lambda.{}.mappings.{m}.items", f.function.name)),
                };
                let mapping = event_source::EventSource::new(e.config.clone(), rng);
                // Bits in the order `Filters` lists the filtered mappings.
                let filter = (!e.filter_patterns.is_empty()).then(|| {
                    filtered_mappings += 1;
                    Filters::bit(filtered_mappings - 1)
                });
                mappings.push(MappingState { mapping, source: e.queue, broker: None, first_consumer, filter });
            }
            for b in &f.broker_sources {
                let rng = match &b.config.name {
                    None => rngs.stream(&format!("lambda.{}.items", f.function.name)),
                    Some(m) => rngs.stream(&format!("lambda.{}.mappings.{m}.items", f.function.name)),
                };
                let mapping = event_source::EventSource::new(b.config.clone(), rng);
                let (source, broker) = (QueueId(0), Some(b.broker));
                let filter = (!b.filter_patterns.is_empty()).then(|| {
                    filtered_mappings += 1;
                    Filters::bit(filtered_mappings - 1)
                });
                mappings.push(MappingState { mapping, source, broker, first_consumer: 0, filter });
            }
        }
        let sns = sns::Service::new(
            scenario.topics.clone(),
            scenario.subscriptions.iter().map(|s| s.subscription.clone()).collect(),
            |name| rngs.stream(&format!("subscription.{name}.jitter")),
        );
        let routes = scenario.subscriptions.iter().map(|s| (s.target, s.dead_letter_queue)).collect();
        let endpoints = scenario
            .endpoints
            .iter()
            .map(|e| {
                let (response, failure) =
                    (format!("endpoint.{}.response", e.name), format!("endpoint.{}.failure", e.name));
                endpoint::Endpoint::new(e.clone(), rngs.stream(&response), rngs.stream(&failure))
            })
            .collect();
        let eventbridge = eventbridge::Service::new(
            scenario.buses.clone(),
            scenario.rules.iter().map(|r| r.rule.clone()).collect(),
            |route| rngs.stream(&format!("{route}.jitter")),
        );
        let rule_routes = scenario
            .rules
            .iter()
            .map(|r| r.targets.iter().copied().zip(r.dead_letter_queues.iter().copied()).collect())
            .collect();
        let step_functions =
            step_functions::Service::new(scenario.machines.clone(), scenario.activities.clone(), |name| {
                rngs.stream(name)
            })
            .with_latencies(
                [Hop::StepFunctionsStandardStart, Hop::StepFunctionsExpressStart]
                    .map(|hop| scenario.latency.scenario.get(hop).cloned()),
                [Hop::StepFunctionsStandardTransition, Hop::StepFunctionsExpressTransition]
                    .map(|hop| scenario.latency.scenario.get(hop).cloned()),
            );
        let ses = scenario.ses.clone().map(|config| ses::Service::new(config, |name| rngs.stream(name)));
        let function_ids =
            scenario.functions.iter().enumerate().map(|(i, f)| (f.function.name.clone(), i as u32)).collect();
        let queue_ids = scenario.queues.iter().enumerate().map(|(i, q)| (q.name.clone(), QueueId(i as u32))).collect();
        let topic_ids =
            scenario.topics.iter().enumerate().map(|(i, t)| (t.name.clone(), sns::TopicId(i as u32))).collect();
        let producers =
            scenario.workloads.iter().enumerate().map(|(i, w)| Producer::new(i, w, |name| rngs.stream(name))).collect();
        let mut world = World {
            armed: vec![None; sqs.queue_count()],
            series: TimeSeries::new(measure::series_columns(scenario)),
            cloudwatch: TimeSeries::new(Vec::new()),
            hops: Hops::new(scenario, |name| rngs.stream(name)),
            sqs,
            pools,
            lambda,
            mappings,
            filters: Filters::new(scenario),
            filtered: Vec::new(),
            sns,
            routes,
            endpoints,
            deliveries: Vec::new(),
            eventbridge,
            rule_routes,
            events: Vec::new(),
            event_deliveries: Vec::new(),
            step_functions,
            ses,
            function_email: scenario
                .functions
                .iter()
                .map(|f| {
                    let stream = format!("lambda.{}.email_retries", f.function.name);
                    f.email.map(|e| (e.interface, Client::new(e.retry, rngs.stream(&stream))))
                })
                .collect(),
            handler_emails: Vec::new(),
            free_handler_emails: Vec::new(),
            call_made_at: vec![Vec::new(); scenario.functions.len()],
            async_routes: scenario.functions.iter().map(|f| (f.on_failure, f.dead_letter, f.on_success)).collect(),
            mq: mq::Service::new(scenario.brokers.clone(), |name| rngs.stream(name)),
            mq_waiting: vec![Vec::new(); scenario.brokers.len()],
            default_bus: scenario.buses.iter().position(|b| b.name == "default").map(|i| BusId(i as u32)),
            function_ids,
            queue_ids,
            topic_ids,
            consumers,
            to_delete: Vec::new(),
            producers,
            producers_active: 0,
            redrives: scenario.redrives.clone(),
            ended_polls: Vec::new(),
            send_outcomes: Vec::new(),
            sample_interval: scenario.run.sample_interval,
            horizon: scenario.run.horizon,
            warmup_end: SimTime::ZERO + scenario.run.warmup,
        };
        // From the models, which hold more than the scenario names (a Distributed Map's
        // child machine, for one); only a backtest reads it.
        if scenario.run.cloudwatch_series {
            world.cloudwatch = TimeSeries::new(measure::cloudwatch_columns(
                &world.sqs,
                &world.lambda,
                &world.sns,
                &world.step_functions,
            ));
        }
        world.mark_at_once_subscriptions(scenario);
        world.start(scenario, scheduler);
        world
    }

    /// The SQS subscriptions of standard topics whose deliveries take no time (no hop, no
    /// pacing): their deliveries are attempted and settled within the publish.
    fn mark_at_once_subscriptions(&mut self, scenario: &Scenario) {
        for (i, sub) in scenario.subscriptions.iter().enumerate() {
            let config = &sub.subscription;
            if matches!(sub.target, SubscriptionTarget::Queue(_))
                && !scenario.topics[config.topic.0 as usize].is_fifo
                && config.max_receives_per_second.is_none()
                && !self.hops.is_on(Hop::SnsToSqs, Place::Subscription(i as u32))
            {
                self.sns.attempt_at_once(sns::SubscriptionId(i as u32));
            }
        }
    }

    fn start(&mut self, scenario: &Scenario, s: &mut Scheduler<Event>) {
        let now = s.now();
        for (i, p) in self.producers.iter_mut().enumerate() {
            if let Some(t) = p.next_arrival() {
                s.schedule_next_at(t, Event::SendDue { workload: i as u32 });
                self.producers_active += 1;
            }
        }
        for pool in 0..self.pools.len() {
            for worker in 0..self.pools[pool].pool.config().count {
                self.poll(now, pool as u16, worker, s);
            }
        }
        for mapping in 0..self.mappings.len() as u16 {
            let initial = self.mappings[usize::from(mapping)].mapping.config().pollers_min();
            self.scale_up(now, mapping, initial, s);
            // An Amazon MQ mapping starts all its pollers at once and never adds any.
            if self.mappings[usize::from(mapping)].broker.is_none() {
                s.schedule_in(event_source::SCALE_TICK, Event::ScaleTickDue { mapping });
            }
        }
        for (task, r) in self.redrives.iter().enumerate() {
            s.schedule_at(r.at, Event::RedriveStepDue { task: task as u32 });
        }
        if scenario.run.warmup > SimDuration::ZERO {
            s.schedule_at(now + scenario.run.warmup, Event::WarmupEnded);
        }
        s.schedule_at(now, Event::SampleDue);
    }

    fn on_send_due(&mut self, now: SimTime, workload: u32, s: &mut Scheduler<Event>) {
        let p = &mut self.producers[workload as usize];
        let mut entry = p.create(now);
        let fields = if matches!(p.target, Target::Queue(_)) {
            // An SQS message's body matters only to the filters of the mappings it reaches.
            if p.has_body() && !self.filters.is_empty() {
                let fields = p.draw_fields();
                entry.0.filter_matches = self.filters.verdicts(p.target, fields.body.as_ref(), &fields.attributes);
            }
            None
        } else {
            let fields = p.draw_fields();
            if !self.filters.is_empty() {
                entry.0.filter_matches = self.filters.verdicts(p.target, fields.body.as_ref(), &fields.attributes);
            }
            Some(fields)
        };
        if p.is_sent_twice() {
            let call = PendingCall::new(vec![entry], fields.iter().cloned().collect());
            let id = p.store_call(call);
            s.schedule_in(p.duplicate_send_delay, Event::SendCallDue { workload, call: id });
        }
        match p.next_arrival() {
            Some(t) => s.schedule_next_at(t, Event::SendDue { workload }),
            None => self.producers_active -= 1,
        }
        let p = &mut self.producers[workload as usize];
        if p.batch_max == 1 {
            self.send_single(now, workload, entry, fields, s);
            return;
        }
        let linger_before = p.linger_at;
        if let Some(batch) = p.buffer(now, entry, fields) {
            self.send_entries(now, workload, batch, s);
        }
        // A new partial batch (also one started when a 1 MiB overflow sent the old one
        // early) needs its own linger event.
        let p = &self.producers[workload as usize];
        if let Some(at) = p.linger_at
            && p.linger_at != linger_before
        {
            s.schedule_at(at, Event::BatchLingerEnded { workload });
        }
    }

    fn on_batch_linger_ended(&mut self, now: SimTime, workload: u32, s: &mut Scheduler<Event>) {
        let p = &mut self.producers[workload as usize];
        if p.linger_at == Some(now) {
            let batch = p.take_buffer();
            self.send_entries(now, workload, batch, s);
        }
    }

    fn on_send_call_due(&mut self, now: SimTime, workload: u32, call: u32, s: &mut Scheduler<Event>) {
        let call = self.producers[workload as usize].take_call(call);
        self.send_call(now, workload, call, s);
    }

    /// Splits entries (with their fields, for SNS) into calls of at most 10 entries and the
    /// target's batch bytes (1 MiB for SQS, 256 KiB for SNS), and sends them.
    fn send_entries(&mut self, now: SimTime, workload: u32, (entries, fields): Buffered, s: &mut Scheduler<Event>) {
        let bytes_max = self.producers[workload as usize].batch_bytes_max;
        let mut fields = fields.into_iter();
        let mut call = Vec::with_capacity(BATCH_ENTRIES_MAX);
        let mut call_fields = Vec::new();
        let mut bytes = 0u64;
        for entry in entries {
            let size = u64::from(entry.0.size_bytes);
            if call.len() == BATCH_ENTRIES_MAX || bytes + size > bytes_max {
                let full = PendingCall::new(std::mem::take(&mut call), std::mem::take(&mut call_fields));
                self.send_call(now, workload, full, s);
                bytes = 0;
            }
            call.push(entry);
            // Entries without fields (SQS) leave the iterator empty.
            call_fields.extend(fields.next());
            bytes += size;
        }
        if !call.is_empty() {
            self.send_call(now, workload, PendingCall::new(call, call_fields), s);
        }
    }

    /// One SendMessage (or SNS Publish) call, without allocating unless it has to be retried.
    fn send_single(
        &mut self,
        now: SimTime,
        workload: u32,
        (message, timer): Entry,
        fields: Option<Fields>,
        s: &mut Scheduler<Event>,
    ) {
        if self.producers[workload as usize].client.config().mode == RetryMode::Adaptive
            || self.call_hop(workload, 1).is_some()
        {
            // Through a pending call, which the rate limiter may hold back, or which takes
            // effect when the call returns.
            let fields = fields.into_iter().collect();
            return self.send_call(now, workload, PendingCall::new(vec![(message, timer)], fields), s);
        }
        let target = match self.producers[workload as usize].target {
            Target::Queue(q) => {
                // A message to a queue carries no fields: forgetting the `None` frees nothing
                // and spares a call to the drop of `Fields` on every send.
                if fields.is_some() {
                    drop(fields);
                } else {
                    std::mem::forget(fields);
                }
                q
            }
            Target::Topic(topic) => {
                return self.publish_call(now, workload, topic, (message, timer), fields.unwrap_or_default(), 0, s);
            }
            Target::Bus(bus) => {
                return self.put_event(now, workload, bus, (message, timer), fields.unwrap_or_default(), 0, s);
            }
            Target::Machine(m) => return self.start_execution(now, workload, m, (message, timer), 0, s),
            Target::Ses(interface) => return self.send_email(now, workload, (message, timer), interface, 0, s),
            Target::Broker(b) => return self.send_to_broker(now, workload, b, message, 0, s),
            Target::Function(f) => return self.invoke_call(now, workload, f, (message, timer), 0, s),
        };
        match self.sqs.send(now, target, message, timer) {
            SendOutcome::Throttled => {
                let call = PendingCall::new(vec![(message, timer)], Vec::new());
                if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                    s.schedule_at(at, Event::SendCallDue { workload, call: id });
                }
                return;
            }
            // A client error: the SDK does not retry it, and the queue stored nothing.
            SendOutcome::TooLarge => return self.producers[workload as usize].rejected(1),
            SendOutcome::Accepted | SendOutcome::Deduplicated => {}
        }
        self.producers[workload as usize].accepted(now, 0, 1);
        self.serve_waiting(now, target, s);
        self.arm(now, target, s);
    }

    /// One SendMessage (one entry) or SendMessageBatch call; a throttled call is retried.
    fn send_call(&mut self, now: SimTime, workload: u32, call: PendingCall, s: &mut Scheduler<Event>) {
        let mut held = Some(call);
        if let Some((id, at)) = self.producers[workload as usize].rate_limited(now, &mut held) {
            s.schedule_at(at, Event::SendCallDue { workload, call: id });
            return;
        }
        let mut call = held.expect("not held back");
        if !call.landed
            && let Some((hop, place)) = self.call_hop(workload, call.entries.len())
        {
            // The call takes effect when it returns (AWS answers once it has stored the
            // message); the rate limiter has already let this attempt through.
            let latency = self.hops.draw_at(hop, place, Caller::Workload(workload));
            let p = &mut self.producers[workload as usize];
            p.call_latency.record(latency);
            call.landed = true;
            call.cleared = true;
            let id = p.store_call(call);
            s.schedule_in(latency, Event::SendCallDue { workload, call: id });
            return;
        }
        let target = match self.producers[workload as usize].target {
            Target::Queue(q) => q,
            Target::Topic(topic) if self.producers[workload as usize].batch_max > 1 => {
                return self.publish_batch_call(now, workload, topic, call, s);
            }
            Target::Topic(topic) => {
                let fields = call.fields.into_iter().next().unwrap_or_default();
                return self.publish_call(now, workload, topic, call.entries[0], fields, call.attempts, s);
            }
            Target::Bus(bus) => {
                // Scenarios put events on buses one per call.
                let fields = call.fields.into_iter().next().unwrap_or_default();
                return self.put_event(now, workload, bus, call.entries[0], fields, call.attempts, s);
            }
            Target::Machine(m) => return self.start_execution(now, workload, m, call.entries[0], call.attempts, s),
            Target::Ses(interface) => {
                return self.send_email(now, workload, call.entries[0], interface, call.attempts, s);
            }
            Target::Broker(b) => return self.send_to_broker(now, workload, b, call.entries[0].0, call.attempts, s),
            Target::Function(f) => return self.invoke_call(now, workload, f, call.entries[0], call.attempts, s),
        };
        self.send_outcomes.clear();
        if let [(message, timer)] = call.entries[..] {
            self.send_outcomes.push(self.sqs.send(now, target, message, timer));
        } else {
            self.sqs.send_batch(now, target, &call.entries, &mut self.send_outcomes);
        }
        match self.send_outcomes[..] {
            [SendOutcome::Throttled, ..] => {
                if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                    s.schedule_at(at, Event::SendCallDue { workload, call: id });
                }
                return;
            }
            // A lone SendMessage refused for its size is a failed call, not retried.
            [SendOutcome::TooLarge] => return self.producers[workload as usize].rejected(1),
            _ => {}
        }
        // A batch's entries refused for their size are lost; the call itself succeeded.
        let refused = self.send_outcomes.iter().filter(|o| **o == SendOutcome::TooLarge).count() as u64;
        let p = &mut self.producers[workload as usize];
        p.rejected(refused);
        p.accepted(now, call.attempts, call.entries.len() as u64 - refused);
        self.serve_waiting(now, target, s);
        self.arm(now, target, s);
    }

    /// The hop of a call of `entries` messages by `workload`, and where it is drawn, if it
    /// takes time.
    #[inline(always)]
    fn call_hop(&self, workload: u32, entries: usize) -> Option<(Hop, Place)> {
        if !self.hops.is_any_on() {
            return None;
        }
        let (hop, place) = match self.producers[workload as usize].target {
            Target::Queue(q) => (self.hops.send(q.0, entries), Place::Queue(q.0)),
            Target::Topic(_) => (Hop::SnsPublish, Place::Scenario),
            Target::Bus(_) => (Hop::EventBridgePutEvents, Place::Scenario),
            Target::Machine(_) => (Hop::StepFunctionsStartExecution, Place::Scenario),
            Target::Function(_) => (Hop::LambdaInvoke, Place::Scenario),
            // SES's and Amazon MQ's own models give their calls' latencies.
            Target::Ses(_) | Target::Broker(_) => return None,
        };
        self.hops.is_on(hop, place).then_some((hop, place))
    }

    /// SES SendEmail of one email; a throttled send is retried by the producer's client when
    /// SES's answer has come back.
    fn send_email(
        &mut self,
        now: SimTime,
        workload: u32,
        (mut message, timer): Entry,
        interface: ses::Interface,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        let ses = self.ses.as_mut().expect("a workload sends email only with [ses]");
        if message.recipients == 0 {
            message.recipients = ses.draw_recipients() as u8;
        }
        let (latency, outcome) = ses.send(now, u32::from(message.recipients), interface, Some(message.created_at));
        let producer = &mut self.producers[workload as usize];
        if outcome.is_ok() {
            producer.accepted(now, attempts, 1);
            return;
        }
        let call = PendingCall::retry(vec![(message, timer)], attempts, Vec::new());
        if let Some((id, at)) = producer.throttled(now + latency, call) {
            s.schedule_at(at, Event::SendCallDue { workload, call: id });
        }
    }

    /// A synchronous Lambda Invoke by the workload's SDK client; a throttled invoke (429,
    /// TooManyRequestsException) is retried by the client.
    fn invoke_call(
        &mut self,
        now: SimTime,
        workload: u32,
        function: u32,
        entry: Entry,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        match self.lambda.invoke(now, lambda::FunctionId(function)) {
            lambda::Invocation::Throttled => {
                let call = PendingCall::retry(vec![entry], attempts, Vec::new());
                if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                    s.schedule_at(at, Event::SendCallDue { workload, call: id });
                }
            }
            lambda::Invocation::Started { environment, init, run, outcome, .. } => {
                self.producers[workload as usize].accepted(now, attempts, 1);
                let made_at = &mut self.call_made_at[function as usize];
                if made_at.len() <= environment.0 as usize {
                    made_at.resize(environment.0 as usize + 1, SimTime::ZERO);
                }
                made_at[environment.0 as usize] = entry.0.created_at;
                let event = Event::SyncInvocationFinished { workload, environment: environment.0 };
                let emails = u32::from(outcome == lambda::Outcome::Succeeded);
                self.after_handler(now, function, init + run, event, None, emails, s);
            }
        }
    }

    /// The function answered a workload's synchronous call: the environment is free, and
    /// the caller's response time runs from its call to now.
    fn on_sync_invocation_finished(&mut self, now: SimTime, workload: u32, environment: u32) {
        let producer = &mut self.producers[workload as usize];
        let Target::Function(function) = producer.target else { unreachable!("a synchronous call to a function") };
        self.lambda.finish(now, lambda::FunctionId(function), lambda::EnvironmentId(environment));
        let made_at = self.call_made_at[function as usize][environment as usize];
        producer.response.as_mut().expect("a workload that invokes a function").record(now.saturating_since(made_at));
    }

    /// A send to an Amazon MQ broker: never refused; it waits for a producer connection.
    fn send_to_broker(
        &mut self,
        now: SimTime,
        workload: u32,
        broker: u32,
        message: Message,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        self.mq.send(broker, message);
        self.producers[workload as usize].accepted(now, attempts, 1);
        self.run_mq_actions(s);
    }

    /// Schedules what the Amazon MQ brokers asked for.
    fn run_mq_actions(&mut self, s: &mut Scheduler<Event>) {
        for action in self.mq.take_actions() {
            match action {
                mq::Action::Sent { broker, delay } => s.schedule_in(delay, Event::MqSent { broker: broker as u16 }),
                mq::Action::Handled { broker, delay } => {
                    s.schedule_in(delay, Event::MqHandled { broker: broker as u16 })
                }
                mq::Action::RedeliveryDue { broker, delay } => {
                    s.schedule_in(delay, Event::MqRedeliveryDue { broker: broker as u16 })
                }
                mq::Action::Consumed { broker, consumer, delay } => {
                    s.schedule_in(delay, Event::MqConsumed { broker: broker as u16, consumer })
                }
            }
        }
    }

    /// StartExecution of a state machine; a throttled start is retried by the producer.
    fn start_execution(
        &mut self,
        now: SimTime,
        workload: u32,
        m: u32,
        entry: Entry,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        match self.step_functions.start(now, m) {
            None => {
                let call = PendingCall::retry(vec![entry], attempts, Vec::new());
                if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                    s.schedule_at(at, Event::SendCallDue { workload, call: id });
                }
            }
            Some((execution, generation, limit)) => {
                self.producers[workload as usize].accepted(now, attempts, 1);
                s.schedule_at(limit, Event::ExecutionTimeLimitReached { execution, generation });
                self.status_event(now, m, "RUNNING", s);
            }
        }
        self.run_step_functions_actions(now, s);
    }

    /// A Standard execution's "Step Functions Execution Status Change" event on the default
    /// bus, if the scenario has one (`[eventbridge.default]`); Express emits none (§6).
    fn status_event(&mut self, now: SimTime, machine: u32, status: &str, s: &mut Scheduler<Event>) {
        let (config, _, _) = self.step_functions.machine(machine);
        if config.workflow != step_functions::WorkflowType::Standard {
            return;
        }
        let Some(bus) = self.default_bus else { return };
        let event = Json::Object(vec![
            ("source".into(), Json::String("aws.states".into())),
            ("detail-type".into(), Json::String("Step Functions Execution Status Change".into())),
            (
                "detail".into(),
                Json::Object(vec![
                    ("status".into(), Json::String(status.into())),
                    ("stateMachineArn".into(), Json::String(format!("arn:aws:states:::stateMachine:{}", config.name))),
                ]),
            ),
        ]);
        let mut deliveries = std::mem::take(&mut self.event_deliveries);
        deliveries.clear();
        self.eventbridge.put_service_event(now, bus, Message::new(now, 1_024), &event, &mut deliveries);
        self.deliver_event(now, &event, &deliveries, s);
        self.event_deliveries = deliveries;
    }

    /// Carries out what the Step Functions runtime asked for, until it asks for nothing.
    fn run_step_functions_actions(&mut self, now: SimTime, s: &mut Scheduler<Event>) {
        loop {
            let actions = self.step_functions.take_actions();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                match action {
                    Action::Wake { delay, thread, token } => {
                        s.schedule_in(delay, Event::StepFunctionsDue { thread, token })
                    }
                    Action::InvokeLambda { thread, token, function } => {
                        let f = self.function_ids[&function];
                        match self.lambda.invoke(now, lambda::FunctionId(f)) {
                            lambda::Invocation::Throttled => {
                                self.step_functions.on_lambda_started(now, thread, token, None)
                            }
                            lambda::Invocation::Started { environment, init, run, outcome, .. } => {
                                // The invoke's overhead is part of the task; the environment
                                // is taken when the call is made.
                                let busy = self.hops.draw(Hop::LambdaInvoke, Caller::Function(f)) + init + run;
                                let release =
                                    Event::TaskInvocationFinished { function: f as u16, environment: environment.0 };
                                s.schedule_in(busy, release);
                                let timed_out = outcome == lambda::Outcome::TimedOut;
                                self.step_functions.on_lambda_started(now, thread, token, Some((busy, timed_out)));
                            }
                        }
                    }
                    Action::SendToQueue { queue, size_bytes, task_token } => {
                        let q = self.queue_ids[&queue];
                        self.sqs.send(now, q, Message { task_token, ..Message::new(now, size_bytes) }, None);
                        self.serve_waiting(now, q, s);
                        self.arm(now, q, s);
                    }
                    Action::PublishToTopic { topic, size_bytes } => {
                        let t = self.topic_ids[&topic];
                        let mut deliveries = std::mem::take(&mut self.deliveries);
                        deliveries.clear();
                        self.sns.publish(now, t, Message::new(now, size_bytes), &[], None, &mut deliveries);
                        for &d in &deliveries {
                            self.dispatch(now, d, s);
                        }
                        self.deliveries = deliveries;
                    }
                    Action::TimeLimit { delay, execution, generation } => {
                        s.schedule_in(delay, Event::ExecutionTimeLimitReached { execution, generation })
                    }
                    Action::ExecutionStarted { machine } => self.status_event(now, machine, "RUNNING", s),
                    Action::SendEmail { thread, token, throttle_error } => {
                        let ses = self.ses.as_mut().expect("an SES task goes through SES only with [ses]");
                        let recipients = ses.draw_recipients();
                        let (latency, outcome) = ses.send(now, recipients, ses::Interface::Api, None);
                        let refused = outcome.is_err().then_some(throttle_error);
                        self.step_functions.on_email_answered(thread, token, latency, refused);
                    }
                    Action::ActivityWorkDone { activity, delay, token, failed } => s.schedule_in(
                        delay,
                        Event::ActivityWorkDone {
                            activity: activity as u16,
                            thread: token.thread,
                            token: token.token,
                            failed,
                        },
                    ),
                    Action::ExecutionEnded { machine, status } => {
                        let detail = match status {
                            step_functions::Status::Succeeded => "SUCCEEDED",
                            step_functions::Status::Failed => "FAILED",
                            step_functions::Status::TimedOut => "TIMED_OUT",
                        };
                        self.status_event(now, machine, detail, s);
                    }
                }
            }
        }
    }

    /// An SNS Publish; a throttled publish is retried with the same content.
    #[allow(clippy::too_many_arguments)]
    fn publish_call(
        &mut self,
        now: SimTime,
        workload: u32,
        topic: sns::TopicId,
        entry: Entry,
        fields: Fields,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        let mut deliveries = std::mem::take(&mut self.deliveries);
        deliveries.clear();
        let outcome = self.sns.publish(now, topic, entry.0, &fields.attributes, fields.body.as_ref(), &mut deliveries);
        if outcome == PublishOutcome::Throttled {
            let call = PendingCall::retry(vec![entry], attempts, vec![fields]);
            if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                s.schedule_at(at, Event::SendCallDue { workload, call: id });
            }
        } else {
            self.producers[workload as usize].accepted(now, attempts, 1);
        }
        for &d in &deliveries {
            self.dispatch(now, d, s);
        }
        self.deliveries = deliveries;
    }

    /// An SNS PublishBatch: the topic's quotas take the whole call or throttle it whole
    /// (then it is retried with the same content); an accepted call is billed by its
    /// payload, and its entries are published and fanned out one by one, in order.
    fn publish_batch_call(
        &mut self,
        now: SimTime,
        workload: u32,
        topic: sns::TopicId,
        call: PendingCall,
        s: &mut Scheduler<Event>,
    ) {
        assert_eq!(call.fields.len(), call.entries.len(), "SNS entries carry their fields");
        if !self.sns.admits_batch(now, topic, call.entries.iter().map(|e| e.0)) {
            if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                s.schedule_at(at, Event::SendCallDue { workload, call: id });
            }
            return;
        }
        let mut deliveries = std::mem::take(&mut self.deliveries);
        deliveries.clear();
        for (entry, fields) in call.entries.iter().zip(&call.fields) {
            let (attributes, body) = (&fields.attributes, fields.body.as_ref());
            self.sns.publish_batch_entry(now, topic, entry.0, attributes, body, &mut deliveries);
        }
        self.producers[workload as usize].accepted(now, call.attempts, call.entries.len() as u64);
        for &d in &deliveries {
            self.dispatch(now, d, s);
        }
        self.deliveries = deliveries;
    }

    /// PutEvents of one custom event (its body drawn when the message was created): puts it
    /// on the bus and attempts every matching rule's targets.
    #[allow(clippy::too_many_arguments)]
    fn put_event(
        &mut self,
        now: SimTime,
        workload: u32,
        bus: BusId,
        entry: Entry,
        fields: Fields,
        attempts: u32,
        s: &mut Scheduler<Event>,
    ) {
        let event = fields.body.unwrap_or(Json::Object(Vec::new()));
        let mut deliveries = std::mem::take(&mut self.event_deliveries);
        deliveries.clear();
        if self.eventbridge.put(now, bus, entry.0, &event, &mut deliveries) == eventbridge::PutOutcome::Throttled {
            let fields = Fields { attributes: Vec::new(), body: Some(event.clone()) };
            let call = PendingCall::retry(vec![entry], attempts, vec![fields]);
            if let Some((id, at)) = self.producers[workload as usize].throttled(now, call) {
                s.schedule_at(at, Event::SendCallDue { workload, call: id });
            }
        } else {
            self.producers[workload as usize].accepted(now, attempts, 1);
        }
        self.deliver_event(now, &event, &deliveries, s);
        self.event_deliveries = deliveries;
    }

    /// Keeps `event` for each of its deliveries (retries send it again) and attempts them.
    fn deliver_event(
        &mut self,
        now: SimTime,
        event: &Json,
        deliveries: &[eventbridge::DeliveryId],
        s: &mut Scheduler<Event>,
    ) {
        for &d in deliveries {
            let i = d.0 as usize;
            if i >= self.events.len() {
                self.events.resize(i + 1, None);
            }
            self.events[i] = Some(event.clone());
            self.attempt_event_delivery(now, d, s);
        }
    }

    /// One attempt of an EventBridge delivery to one target.
    fn attempt_event_delivery(&mut self, now: SimTime, d: eventbridge::DeliveryId, s: &mut Scheduler<Event>) {
        let dispatch = self.hops.draw(Hop::EventBridgeToTarget, Caller::Rule(self.eventbridge.delivery(d).rule.0));
        if dispatch > SimDuration::ZERO {
            s.schedule_in(dispatch, Event::EventBridgeDispatched { delivery: d.0 });
            return;
        }
        self.event_attempt_dispatched(now, d, s);
    }

    /// The attempt reaches its target.
    fn event_attempt_dispatched(&mut self, now: SimTime, d: eventbridge::DeliveryId, s: &mut Scheduler<Event>) {
        let delivery = *self.eventbridge.delivery(d);
        let (target, dead_letter_queue) = self.rule_routes[delivery.rule.0 as usize][delivery.target as usize];
        // A failure, and whether it is worth retrying: throttling is; SQS's refusal of a
        // message larger than the queue's maximum is a client error, which is not.
        let mut failure = None;
        let is_throttled = match target {
            RuleTarget::Queue { queue: q, group } => {
                // A FIFO queue target puts every event in the target's one message group.
                let message = Message { group: group.unwrap_or(delivery.message.group), ..delivery.message };
                let outcome = self.sqs.send(now, q, message, None);
                failure = (outcome == SendOutcome::TooLarge).then_some(false);
                self.serve_waiting(now, q, s);
                self.arm(now, q, s);
                outcome == SendOutcome::Throttled
            }
            RuleTarget::Function(f) => {
                // Lambda's asynchronous Invoke takes the event into the function's queue.
                self.invoke_async(now, f, delivery.message, s);
                false
            }
            RuleTarget::Topic(topic) => {
                let event = self.events[d.0 as usize].take().unwrap_or(Json::Object(Vec::new()));
                let mut deliveries = std::mem::take(&mut self.deliveries);
                deliveries.clear();
                let outcome = self.sns.publish(now, topic, delivery.message, &[], Some(&event), &mut deliveries);
                self.events[d.0 as usize] = Some(event);
                for &sd in &deliveries {
                    self.dispatch(now, sd, s);
                }
                self.deliveries = deliveries;
                outcome == PublishOutcome::Throttled
            }
            RuleTarget::Bus(b) => {
                // Put on the target bus, whose rules match it at once; their deliveries take
                // the bus's own delivery hop, as any rule's.
                let event = self.events[d.0 as usize].take().unwrap_or(Json::Object(Vec::new()));
                let mut deliveries = Vec::new();
                let outcome = self.eventbridge.put_from_bus(now, b, delivery.message, &event, &mut deliveries);
                self.deliver_event(now, &event, &deliveries, s);
                self.events[d.0 as usize] = Some(event);
                outcome == eventbridge::PutOutcome::Throttled
            }
            RuleTarget::Machine(m) => match self.step_functions.start_async(now, m) {
                // A throttled StartExecution is retried by EventBridge, as any throttled target.
                None => true,
                Some((execution, generation, limit)) => {
                    s.schedule_at(limit, Event::ExecutionTimeLimitReached { execution, generation });
                    self.status_event(now, m, "RUNNING", s);
                    self.run_step_functions_actions(now, s);
                    false
                }
            },
        };
        if is_throttled {
            failure = Some(true);
        }
        match self.eventbridge.on_attempt(now, d, failure) {
            eventbridge::AfterAttempt::RetryAt(at) => {
                s.schedule_at(at, Event::EventBridgeAttemptDue { delivery: d.0 });
                return;
            }
            eventbridge::AfterAttempt::DeadLetter(message) => {
                let dlq = dead_letter_queue.expect("a dead-lettered event has a queue");
                self.sqs.send_dead_letter(now, dlq, message);
                self.serve_waiting(now, dlq, s);
                self.arm(now, dlq, s);
            }
            eventbridge::AfterAttempt::Delivered | eventbridge::AfterAttempt::Dropped => {}
        }
        self.events[d.0 as usize] = None;
    }

    /// Attempts a delivery that a publish made.
    fn dispatch(&mut self, now: SimTime, d: sns::Dispatch, s: &mut Scheduler<Event>) {
        match d {
            sns::Dispatch::Kept(d) => self.attempt_delivery(now, d, s),
            sns::Dispatch::AtOnce(subscription, message) => self.deliver_at_once(now, subscription, message, s),
        }
    }

    /// The first attempt of a delivery to an SQS subscription that takes no time: what
    /// [`World::attempt_dispatched`] does for a kept delivery, without keeping it unless
    /// the queue refuses the message.
    fn deliver_at_once(
        &mut self,
        now: SimTime,
        subscription: sns::SubscriptionId,
        message: Message,
        s: &mut Scheduler<Event>,
    ) {
        let SubscriptionTarget::Queue(q) = self.routes[subscription.0 as usize].0 else {
            unreachable!("only SQS subscriptions are attempted at once")
        };
        match self.sqs.send(now, q, message, None) {
            SendOutcome::Accepted | SendOutcome::Deduplicated => self.sns.on_delivered_at_once(subscription),
            outcome => {
                let failure =
                    if outcome == SendOutcome::Throttled { Failure::Throttled429 } else { Failure::ClientError4xx };
                let d = self.sns.keep_failed(now, subscription, message);
                self.finish_attempt(now, d, Some(failure), s);
            }
        }
        self.serve_waiting(now, q, s);
        self.arm(now, q, s);
    }

    /// One attempt of an SNS delivery (or its postponement under `maxReceivesPerSecond`).
    fn attempt_delivery(&mut self, now: SimTime, d: DeliveryId, s: &mut Scheduler<Event>) {
        if let Some(at) = self.sns.pace(now, d) {
            s.schedule_at(at, Event::SnsPacedAttemptDue { delivery: d.0 });
            return;
        }
        self.attempt_now(now, d, s);
    }

    /// An attempt starts: it reaches its endpoint after its protocol's dispatch hop.
    fn attempt_now(&mut self, now: SimTime, d: DeliveryId, s: &mut Scheduler<Event>) {
        let subscription = self.sns.delivery(d).subscription.0;
        let hop = match self.routes[subscription as usize].0 {
            SubscriptionTarget::Queue(_) => Hop::SnsToSqs,
            SubscriptionTarget::Function(_) => Hop::SnsToLambda,
            SubscriptionTarget::Endpoint(_) => Hop::SnsToHttp,
        };
        let dispatch = self.hops.draw_at(hop, Place::Subscription(subscription), Caller::Subscription(subscription));
        if dispatch > SimDuration::ZERO {
            s.schedule_in(dispatch, Event::SnsDispatched { delivery: d.0 });
            return;
        }
        self.attempt_dispatched(now, d, s);
    }

    fn attempt_dispatched(&mut self, now: SimTime, d: DeliveryId, s: &mut Scheduler<Event>) {
        let delivery = *self.sns.delivery(d);
        match self.routes[delivery.subscription.0 as usize].0 {
            SubscriptionTarget::Queue(q) => {
                let outcome = self.sqs.send(now, q, delivery.message, None);
                // SQS refuses a message above the queue's maximum with a client error, which
                // SNS does not retry: the subscription's dead-letter queue gets it, if any.
                let failure = match outcome {
                    SendOutcome::Throttled => Some(Failure::Throttled429),
                    SendOutcome::TooLarge => Some(Failure::ClientError4xx),
                    SendOutcome::Accepted | SendOutcome::Deduplicated => None,
                };
                self.finish_attempt(now, d, failure, s);
                self.serve_waiting(now, q, s);
                self.arm(now, q, s);
            }
            SubscriptionTarget::Function(f) => {
                // SNS hands the event to Lambda's asynchronous Invoke, which queues it, and is done.
                self.invoke_async(now, f, delivery.message, s);
                self.finish_attempt(now, d, None, s);
            }
            SubscriptionTarget::Endpoint(e) => {
                let (took, failure) = self.endpoints[e as usize].attempt(now);
                let code = match failure {
                    None => 0,
                    Some(FailureKind::ServerError5xx) => 1,
                    Some(FailureKind::Throttled429) => 2,
                    Some(FailureKind::ClientError4xx) => 3,
                    Some(FailureKind::Timeout) => 4,
                };
                s.schedule_in(took, Event::SnsAttemptFinished { delivery: d.0, failure: code });
            }
        }
    }

    fn on_sns_attempt_finished(&mut self, now: SimTime, delivery: u32, code: u8, s: &mut Scheduler<Event>) {
        let failure = match code {
            0 => None,
            1 => Some(Failure::ServerError5xx),
            2 => Some(Failure::Throttled429),
            3 => Some(Failure::ClientError4xx),
            _ => Some(Failure::Timeout),
        };
        self.finish_attempt(now, DeliveryId(delivery), failure, s);
    }

    fn finish_attempt(&mut self, now: SimTime, d: DeliveryId, failure: Option<Failure>, s: &mut Scheduler<Event>) {
        let subscription = self.sns.delivery(d).subscription;
        let mut unblocked = Vec::new();
        match self.sns.on_attempt(now, d, failure, &mut unblocked) {
            AfterAttempt::Delivered | AfterAttempt::Dropped => {}
            AfterAttempt::RetryAt(at) => s.schedule_at(at, Event::SnsAttemptDue { delivery: d.0 }),
            AfterAttempt::DeadLetter(message) => {
                let dlq = self.routes[subscription.0 as usize].1.expect("a dead-lettered delivery has a queue");
                self.sqs.send_dead_letter(now, dlq, message);
                self.serve_waiting(now, dlq, s);
                self.arm(now, dlq, s);
            }
        }
        // The next message of a FIFO group goes once the one before it is settled.
        for next in unblocked {
            self.attempt_delivery(now, next, s);
        }
    }

    fn on_message_processed(&mut self, now: SimTime, pool: u16, worker: u32, s: &mut Scheduler<Event>) {
        let p = &mut self.pools[usize::from(pool)];
        if let Some(email) = &mut p.email
            && !p.pool.decide(now, worker)
        {
            // Processed: the confirmation email goes out before the message is deleted.
            let ses = self.ses.as_mut().expect("a pool sends email only with [ses]");
            email.attempts[worker as usize] = 0;
            email.recipients[worker as usize] = ses.draw_recipients() as u8;
            self.email_attempt(now, pool, worker, false, s);
            return;
        }
        self.finish_message(now, pool, worker, s);
    }

    /// A Lambda handler ran for `run`: if it sends email, its `emails` go out through SES
    /// before `then` (the handler's return); otherwise `then` comes after `run`.
    #[allow(clippy::too_many_arguments)]
    fn after_handler(
        &mut self,
        now: SimTime,
        function: u32,
        run: SimDuration,
        then: Event,
        poller: Option<(u16, u32)>,
        emails: u32,
        s: &mut Scheduler<Event>,
    ) {
        if emails == 0 || self.function_email[function as usize].is_none() {
            s.schedule_in(run, then);
            return;
        }
        let emails = HandlerEmails {
            function,
            then,
            poller,
            remaining: emails,
            attempt: 0,
            recipients: 0,
            run_ended_at: now + run,
        };
        let slot = match self.free_handler_emails.pop() {
            Some(slot) => {
                self.handler_emails[slot as usize] = Some(emails);
                slot
            }
            None => {
                self.handler_emails.push(Some(emails));
                (self.handler_emails.len() - 1) as u32
            }
        };
        s.schedule_in(run, Event::HandlerEmailDue { slot, cleared: false });
    }

    fn handler_email_attempt(&mut self, now: SimTime, slot: u32, cleared: bool, s: &mut Scheduler<Event>) {
        let h = self.handler_emails[slot as usize].as_mut().expect("a handler sending email");
        let (interface, client) = self.function_email[h.function as usize].as_mut().expect("a function that emails");
        if !cleared {
            let wait = client.before_attempt(now);
            if wait > SimDuration::ZERO {
                s.schedule_in(wait, Event::HandlerEmailDue { slot, cleared: true });
                return;
            }
        }
        let ses = self.ses.as_mut().expect("a function sends email only with [ses]");
        if h.attempt == 0 {
            h.recipients = ses.draw_recipients() as u8;
        }
        h.attempt += 1;
        let (latency, outcome) = ses.send(now, u32::from(h.recipients), *interface, None);
        s.schedule_in(latency, Event::HandlerEmailAnswered { slot, accepted: outcome.is_ok() });
    }

    /// SES answered a handler's send: its next email, a retry, or the handler returns (with
    /// a function error if its client gave up, which fails an event source batch).
    fn on_handler_email_answered(&mut self, now: SimTime, slot: u32, accepted: bool, s: &mut Scheduler<Event>) {
        let h = self.handler_emails[slot as usize].as_mut().expect("a handler sending email");
        let (_, client) = self.function_email[h.function as usize].as_mut().expect("a function that emails");
        let failed = if accepted {
            client.on_success(now, h.attempt);
            h.remaining -= 1;
            h.attempt = 0;
            if h.remaining > 0 {
                return self.handler_email_attempt(now, slot, false, s);
            }
            false
        } else {
            match client.on_throttled(now, h.attempt) {
                AfterThrottle::Retry(backoff) => {
                    s.schedule_in(backoff, Event::HandlerEmailDue { slot, cleared: false });
                    return;
                }
                AfterThrottle::GiveUp => true,
            }
        };
        let h = self.handler_emails[slot as usize].take().expect("a handler sending email");
        self.free_handler_emails.push(slot);
        let function = lambda::FunctionId(h.function);
        self.lambda.bill_extra(function, now.saturating_since(h.run_ended_at));
        if failed {
            self.lambda.record_error(function);
            if let Some((mapping, poller)) = h.poller {
                self.mappings[usize::from(mapping)].mapping.mark_failed(poller);
            }
        }
        s.schedule_at(now, h.then);
    }

    /// One SES send of a worker's confirmation email, after its client's rate limiter.
    fn email_attempt(&mut self, now: SimTime, pool: u16, worker: u32, cleared: bool, s: &mut Scheduler<Event>) {
        let email = self.pools[usize::from(pool)].email.as_mut().expect("a pool that sends email");
        if !cleared {
            let wait = email.clients[worker as usize].before_attempt(now);
            if wait > SimDuration::ZERO {
                s.schedule_in(wait, Event::WorkerEmailDue { pool, worker, cleared: true });
                return;
            }
        }
        email.attempts[worker as usize] += 1;
        let recipients = u32::from(email.recipients[worker as usize]);
        let ses = self.ses.as_mut().expect("a pool sends email only with [ses]");
        let (latency, outcome) = ses.send(now, recipients, email.interface, None);
        s.schedule_in(latency, Event::WorkerEmailAnswered { pool, worker, accepted: outcome.is_ok() });
    }

    /// SES answered a worker's send: the message is done, or the client retries, or it
    /// gives up and the message fails (it is not deleted, so it comes back).
    fn on_worker_email_answered(
        &mut self,
        now: SimTime,
        pool: u16,
        worker: u32,
        accepted: bool,
        s: &mut Scheduler<Event>,
    ) {
        let p = &mut self.pools[usize::from(pool)];
        let email = p.email.as_mut().expect("a pool that sends email");
        let attempt = email.attempts[worker as usize];
        if accepted {
            email.clients[worker as usize].on_success(now, attempt);
        } else {
            match email.clients[worker as usize].on_throttled(now, attempt) {
                AfterThrottle::Retry(backoff) => {
                    s.schedule_in(backoff, Event::WorkerEmailDue { pool, worker, cleared: false });
                    return;
                }
                AfterThrottle::GiveUp => p.pool.fail_current(worker),
            }
        }
        self.finish_message(now, pool, worker, s);
    }

    /// The worker is done with its current message: delete it if it succeeded, then the
    /// next message of the batch, or poll again.
    fn finish_message(&mut self, now: SimTime, pool: u16, worker: u32, s: &mut Scheduler<Event>) {
        let p = &mut self.pools[usize::from(pool)];
        let source = p.source;
        let processed = p.pool.on_message_processed(now, worker);
        let mut delete_calls = 0;
        if let Some(receipt) = processed.delete_now {
            self.sqs.delete(now, receipt);
            delete_calls += 1;
        }
        if processed.has_batch_deletes {
            self.sqs.delete_batch(now, p.pool.succeeded(worker).as_slice());
            delete_calls += 1;
        }
        self.answer_callbacks(now, s);
        if self.sqs.has_servable_waiter(source) {
            // A delete made room under the in-flight limit (or unblocked a FIFO group).
            self.serve_waiting(now, source, s);
        }
        // A delete takes effect when made; the worker waits for its answer.
        let answered = (0..delete_calls)
            .map(|_| self.hops.draw_at(Hop::SqsDelete, Place::Queue(source.0), Caller::Pool(pool)))
            .fold(SimDuration::ZERO, |a, b| a + b);
        match processed.next {
            Some(d) => {
                self.pools[usize::from(pool)].pool.on_delete_call(worker, answered);
                s.schedule_in(answered + d, Event::MessageProcessed { pool, worker })
            }
            None if answered > SimDuration::ZERO => {
                self.pools[usize::from(pool)].pool.on_last_delete_call(now);
                s.schedule_in(answered, Event::DeleteAnswered { pool, worker })
            }
            None => self.poll(now, pool, worker, s),
        }
    }

    /// Consumers that deleted messages carrying task tokens answer those Step Functions tasks.
    #[inline]
    fn answer_callbacks(&mut self, now: SimTime, s: &mut Scheduler<Event>) {
        // Most deletes answer no task: one test, not a move of the list out and back.
        if !self.sqs.has_answered() {
            return;
        }
        let answered = self.sqs.take_answered();
        for token in answered {
            self.step_functions.on_callback(token);
        }
        self.run_step_functions_actions(now, s);
    }

    fn on_heartbeat_due(&mut self, now: SimTime, pool: u16, worker: u32, s: &mut Scheduler<Event>) {
        let p = &mut self.pools[usize::from(pool)];
        if let Some((held, timeout, next)) = p.pool.on_heartbeat_due(now, worker) {
            if !held.as_slice().is_empty() {
                self.sqs.change_visibility(now, held.as_slice(), timeout);
            }
            s.schedule_at(next, Event::HeartbeatDue { pool, worker });
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
            match self.consumers[consumer.0 as usize] {
                Consumer::Worker { pool, worker } => self.poll(now, pool, worker, s),
                Consumer::Poller { mapping, poller } => {
                    let next = self.mappings[usize::from(mapping)].mapping.on_empty(now, poller);
                    self.poller_next(now, mapping, poller, next, s);
                }
            }
        }
        self.ended_polls = ended;
        self.arm_fully(now, q, s);
    }

    fn on_redrive_step_due(&mut self, now: SimTime, task: u32, s: &mut Scheduler<Event>) {
        let t = self.redrives[task as usize];
        if let Some(destination) = self.sqs.move_one(now, t.dead_letter_queue, t.destination) {
            self.serve_waiting(now, destination, s);
            self.arm(now, destination, s);
            self.arm(now, t.dead_letter_queue, s);
            s.schedule_in(SimDuration::from_secs_f64(1.0 / t.rate_per_s), Event::RedriveStepDue { task });
        }
    }

    fn on_sample_due(&mut self, now: SimTime, s: &mut Scheduler<Event>) {
        // Managed Instances scale lazily: bring their instances up to the sample's time.
        self.lambda.advance_fleets(now);
        let mappings: Vec<&event_source::EventSource> = self.mappings.iter().map(|m| &m.mapping).collect();
        let row =
            measure::sample_row(now, &self.sqs, self.pools.iter().map(|p| &p.pool), &self.sns, &self.lambda, &mappings);
        self.series.push_row(now, row);
        if !self.cloudwatch.columns.is_empty() {
            let row = measure::cloudwatch_row(now, &self.sqs, &self.lambda, &self.sns, &self.step_functions);
            self.cloudwatch.push_row(now, row);
        }
        let next = now + self.sample_interval;
        if next <= self.horizon {
            s.schedule_at(next, Event::SampleDue);
        }
    }

    fn on_warmup_ended(&mut self, now: SimTime) {
        self.sqs.reset_metrics(now);
        for p in &mut self.pools {
            p.pool.reset_metrics(now);
            if let Some(email) = &mut p.email {
                for client in &mut email.clients {
                    client.reset_metrics();
                }
            }
        }
        if let Some(ses) = &mut self.ses {
            ses.reset_metrics();
        }
        for (_, client) in self.function_email.iter_mut().flatten() {
            client.reset_metrics();
        }
        self.mq.reset_metrics(now);
        for p in &mut self.producers {
            p.reset_metrics();
        }
        self.lambda.reset_metrics(now);
        self.sns.reset_metrics();
        self.eventbridge.reset_metrics();
        self.step_functions.reset_metrics(now);
        for m in &mut self.mappings {
            m.mapping.reset_metrics(now);
        }
    }

    /// A worker calls ReceiveMessage on its pool's queue.
    fn poll(&mut self, now: SimTime, pool: u16, worker: u32, s: &mut Scheduler<Event>) {
        let p = &self.pools[usize::from(pool)];
        let (source, consumer) = (p.source, ConsumerId(p.first_consumer + worker));
        let config = p.pool.config();
        match self.sqs.receive(now, source, consumer, config.batch_size, config.wait_time) {
            ReceiveOutcome::Received(batch) => {
                let call = self.hops.receive(source.0, false, Caller::Pool(pool));
                self.deliver(now, pool, worker, batch, call, s)
            }
            ReceiveOutcome::Waiting => {}
            ReceiveOutcome::Empty | ReceiveOutcome::OverLimit => {
                s.schedule_in(config.empty_receive_backoff, Event::BackoffEnded { pool, worker });
                return;
            }
        }
        self.arm(now, source, s);
    }

    /// A worker's receive took messages at `now`; its call returns `call` later, when it
    /// starts on the first.
    fn deliver(
        &mut self,
        now: SimTime,
        pool: u16,
        worker: u32,
        batch: Batch,
        call: SimDuration,
        s: &mut Scheduler<Event>,
    ) {
        let (service, heartbeat) = self.pools[usize::from(pool)].pool.on_batch_received(now, worker, batch, call);
        s.schedule_in(call + service, Event::MessageProcessed { pool, worker });
        if let Some(at) = heartbeat {
            s.schedule_at(at, Event::HeartbeatDue { pool, worker });
        }
    }

    /// Hands newly visible messages of `q` to waiting long polls.
    fn serve_waiting(&mut self, now: SimTime, q: QueueId, s: &mut Scheduler<Event>) {
        // Most sends find no poll waiting: one test, before a batch is made.
        if !self.sqs.has_servable_waiter(q) {
            return;
        }
        let mut batch = Batch::default();
        while let Some(consumer) = self.sqs.serve_waiting(now, q, &mut batch) {
            match self.consumers[consumer.0 as usize] {
                Consumer::Worker { pool, worker } => {
                    let wake = self.hops.receive(q.0, true, Caller::Pool(pool));
                    self.deliver(now, pool, worker, batch, wake, s)
                }
                Consumer::Poller { mapping, poller } => {
                    let function = self.mappings[usize::from(mapping)].mapping.config().function.0;
                    let wake = self.hops.receive(q.0, true, Caller::Function(function));
                    self.poller_received(now, mapping, poller, &batch, wake, s)
                }
            }
        }
    }

    /// Starts up to `step` more pollers of `mapping`.
    fn scale_up(&mut self, now: SimTime, mapping: u16, step: u32, s: &mut Scheduler<Event>) {
        let started = self.mappings[usize::from(mapping)].mapping.scale_up(now, step);
        for poller in started {
            self.poller_poll(now, mapping, poller, event_source::POLL_WAIT, s);
        }
    }

    fn on_scale_tick_due(&mut self, now: SimTime, mapping: u16, s: &mut Scheduler<Event>) {
        let source = self.mappings[usize::from(mapping)].source;
        // Scale while a poll could take something: visible messages and no poll left waiting.
        // On a FIFO queue, messages of groups already in flight stay visible but cannot be
        // received, so Lambda's concurrency follows the active message groups [aws-messaging
        // §1.9] instead of adding pollers that only long-poll empty.
        if self.sqs.depth(source).1 > 0 && !self.sqs.has_waiting_long_poll(source) {
            let step = self.mappings[usize::from(mapping)].mapping.config().scale_step();
            self.scale_up(now, mapping, step, s);
        }
        if now + event_source::SCALE_TICK <= self.horizon {
            s.schedule_in(event_source::SCALE_TICK, Event::ScaleTickDue { mapping });
        }
    }

    /// A Lambda poller calls ReceiveMessage (10 messages, long polling).
    fn poller_poll(&mut self, now: SimTime, mapping: u16, poller: u32, wait: SimDuration, s: &mut Scheduler<Event>) {
        let m = &self.mappings[usize::from(mapping)];
        if let Some(b) = m.broker {
            return self.mq_poll(now, mapping, poller, b, wait, s);
        }
        let (source, consumer) = (m.source, ConsumerId(m.first_consumer + poller));
        match self.sqs.receive(now, source, consumer, m.mapping.receive_max(poller), wait) {
            ReceiveOutcome::Received(batch) => {
                let function = self.mappings[usize::from(mapping)].mapping.config().function.0;
                let call = self.hops.receive(source.0, false, Caller::Function(function));
                self.poller_received(now, mapping, poller, &batch, call, s)
            }
            ReceiveOutcome::Waiting => {}
            ReceiveOutcome::Empty | ReceiveOutcome::OverLimit => {
                s.schedule_in(event_source::THROTTLE_BACKOFF, Event::PollerPollDue { mapping, poller });
            }
        }
        self.arm(now, source, s);
    }

    /// A poller's receive took `batch` at `now`; its call returns `call` later.
    fn poller_received(
        &mut self,
        now: SimTime,
        mapping: u16,
        poller: u32,
        batch: &Batch,
        call: SimDuration,
        s: &mut Scheduler<Event>,
    ) {
        let filtered_out = match self.mappings[usize::from(mapping)].filter {
            Some(bit) => self.filter_out(now, batch, bit),
            None => 0,
        };
        let sqs = &self.sqs;
        let sizes = batch.receipts().iter().map(|r| sqs.message(*r).map_or(0, |m| m.size_bytes));
        let next = self.mappings[usize::from(mapping)].mapping.on_received(now, poller, batch, sizes, filtered_out);
        if next == event_source::Next::Invoke {
            // The handler starts once the receive call has returned and the invoke call has
            // reached Lambda.
            let function = self.mappings[usize::from(mapping)].mapping.config().function.0;
            let lead = call + self.hops.draw(Hop::LambdaInvoke, Caller::Function(function));
            return self.invoke(now, mapping, poller, lead, s);
        }
        self.poller_next(now, mapping, poller, next, s);
    }

    /// The records of a receive that match none of a mapping's filters (its `bit` unset),
    /// as bits by position: Lambda deletes them at once, in one call (a model assumption).
    fn filter_out(&mut self, now: SimTime, batch: &Batch, bit: u16) -> u16 {
        let mut filtered_out = 0u16;
        self.filtered.clear();
        for (i, r) in batch.receipts().iter().enumerate() {
            if self.sqs.message(*r).is_some_and(|m| m.filter_matches & bit == 0) {
                filtered_out |= 1 << i;
                self.filtered.push(*r);
            }
        }
        match self.filtered[..] {
            [] => return 0,
            [one] => {
                self.sqs.delete(now, one);
            }
            _ => {
                self.sqs.delete_batch(now, &self.filtered);
            }
        }
        // A filtered message's task token is not answered: no handler saw it, so its task
        // waits for its timeout, as in AWS. (Every other delete hands its tokens over at
        // once, so only these are here.)
        drop(self.sqs.take_answered());
        filtered_out
    }

    fn poller_next(
        &mut self,
        now: SimTime,
        mapping: u16,
        poller: u32,
        next: event_source::Next,
        s: &mut Scheduler<Event>,
    ) {
        match next {
            event_source::Next::Poll(wait) => self.poller_poll(now, mapping, poller, wait, s),
            event_source::Next::Invoke => self.invoke(now, mapping, poller, SimDuration::ZERO, s),
            event_source::Next::Retire => {}
        }
    }

    /// The mapping invokes its function synchronously with the poller's batch; the handler
    /// starts `lead` later (the receive and invoke calls still under way). The invocation
    /// takes its concurrency and environment now, which spares an event per batch: the
    /// calls take milliseconds, the handler usually far longer.
    fn invoke(&mut self, now: SimTime, mapping: u16, poller: u32, lead: SimDuration, s: &mut Scheduler<Event>) {
        let function = self.mappings[usize::from(mapping)].mapping.config().function;
        let invocation = self.lambda.invoke(now, function);
        if invocation == lambda::Invocation::Throttled {
            // An Amazon MQ batch goes back to the broker; an SQS batch stays in flight.
            self.release_mq_batch(now, mapping, poller, s);
        }
        let m = &mut self.mappings[usize::from(mapping)].mapping;
        match invocation {
            lambda::Invocation::Throttled => {
                if !m.on_throttled(now, poller) {
                    s.schedule_in(event_source::THROTTLE_BACKOFF, Event::PollerPollDue { mapping, poller });
                }
            }
            lambda::Invocation::Started { environment, init, run, outcome, .. } => {
                m.on_invoked(poller, environment.0, outcome == lambda::Outcome::Succeeded);
                // One email per message of the batch, if the handler sends any.
                let emails = if outcome == lambda::Outcome::Succeeded { m.batch_len(poller) } else { 0 };
                let function = m.config().function.0;
                let then = Event::InvocationFinished { mapping, poller };
                self.after_handler(now, function, lead + init + run, then, Some((mapping, poller)), emails, s);
            }
        }
    }

    fn on_invocation_finished(&mut self, now: SimTime, mapping: u16, poller: u32, s: &mut Scheduler<Event>) {
        if let Some(b) = self.mappings[usize::from(mapping)].broker {
            return self.on_mq_invocation_finished(now, mapping, poller, b, s);
        }
        let state = &mut self.mappings[usize::from(mapping)];
        let function = state.mapping.config().function;
        let environment = lambda::EnvironmentId(state.mapping.environment(poller));
        self.lambda.finish(now, function, environment);
        let mut to_delete = std::mem::take(&mut self.to_delete);
        if state.mapping.on_finished(now, poller, &mut to_delete) {
            self.lambda.record_error(function);
        }
        for chunk in to_delete.chunks(BATCH_ENTRIES_MAX) {
            if let [one] = chunk {
                self.sqs.delete(now, *one);
            } else {
                self.sqs.delete_batch(now, chunk);
            }
        }
        self.to_delete = to_delete;
        self.answer_callbacks(now, s);
        let source = self.mappings[usize::from(mapping)].source;
        if self.sqs.has_servable_waiter(source) {
            self.serve_waiting(now, source, s);
        }
        let next = self.mappings[usize::from(mapping)].mapping.after_finished(now, poller);
        self.poller_next(now, mapping, poller, next, s);
    }

    /// Makes sure an event is pending for the earliest deadline of `q`, looking only at the
    /// deadlines created since the last look: the armed event already covers older ones.
    #[inline]
    fn arm(&mut self, now: SimTime, q: QueueId, s: &mut Scheduler<Event>) {
        if let Some(t) = self.sqs.take_new_deadline(q) {
            self.arm_at(now, q, t, s);
        }
    }

    /// Like [`World::arm`], from a full recomputation (after the armed event fired).
    fn arm_fully(&mut self, now: SimTime, q: QueueId, s: &mut Scheduler<Event>) {
        if let Some(t) = self.sqs.next_deadline(q) {
            self.arm_at(now, q, t, s);
        }
    }

    #[inline]
    fn arm_at(&mut self, now: SimTime, q: QueueId, t: SimTime, s: &mut Scheduler<Event>) {
        let t = t.max(now);
        let armed = &mut self.armed[q.0 as usize];
        if armed.is_none_or(|a| t < a) {
            *armed = Some(t);
            s.schedule_at(t, Event::SqsDeadlineReached { queue: q.0 });
        }
    }

    /// True once no workload will send again, no producer holds a message and no message
    /// is stored anywhere: only idle polling could follow, which changes no result but the
    /// idle polls' cost.
    fn is_drained(&self) -> bool {
        self.producers_active == 0
            && self.producers.iter().all(|p| p.holding == 0)
            && self.sqs.stored_messages() == 0
            && self.sns.in_flight() == 0
            && self.eventbridge.in_flight() == 0
            && self.lambda.busy_environments() == 0
            && self.lambda.async_queued_total() == 0
            && self.step_functions.running() == 0
            && self.mq.holding() == 0
    }

    /// The run's named measurements; `end` is the clock at the end of the run.
    pub fn into_measurements(mut self, end: SimTime) -> Measurements {
        self.lambda.settle(end);
        let parts = measure::Parts {
            sqs: &self.sqs,
            pools: self.pools.iter().map(|p| (&p.pool, p.email.as_ref().map(|e| e.clients.as_slice()))).collect(),
            lambda: &self.lambda,
            mappings: self.mappings.iter().map(|m| &m.mapping).collect(),
            sns: &mut self.sns,
            eventbridge: &self.eventbridge,
            step_functions: &self.step_functions,
            producers: &self.producers,
            ses: self.ses.as_ref(),
            mq: &self.mq,
            function_email: self.function_email.iter().map(|e| e.as_ref().map(|(_, c)| c)).collect(),
            async_routes: self
                .async_routes
                .iter()
                .map(|(d, q, success)| (d.is_some(), q.is_some(), success.is_some()))
                .collect(),
        };
        measure::collect(parts, self.series, self.cloudwatch, end)
    }
}

impl Handler for World {
    type Event = Event;

    #[inline]
    fn handle(&mut self, event: Event, s: &mut Scheduler<Event>) {
        let now = s.now();
        match event {
            Event::SendDue { workload } => self.on_send_due(now, workload, s),
            Event::SendCallDue { workload, call } => self.on_send_call_due(now, workload, call, s),
            Event::BatchLingerEnded { workload } => self.on_batch_linger_ended(now, workload, s),
            Event::MessageProcessed { pool, worker } => self.on_message_processed(now, pool, worker, s),
            Event::HeartbeatDue { pool, worker } => self.on_heartbeat_due(now, pool, worker, s),
            Event::BackoffEnded { pool, worker } => self.poll(now, pool, worker, s),
            Event::DeleteAnswered { pool, worker } => {
                self.pools[usize::from(pool)].pool.on_last_delete_answered(now);
                self.poll(now, pool, worker, s)
            }
            Event::SnsDispatched { delivery } => self.attempt_dispatched(now, DeliveryId(delivery), s),
            Event::EventBridgeDispatched { delivery } => {
                self.event_attempt_dispatched(now, eventbridge::DeliveryId(delivery), s)
            }
            Event::PollerPollDue { mapping, poller } => {
                self.poller_poll(now, mapping, poller, event_source::POLL_WAIT, s)
            }
            Event::InvocationFinished { mapping, poller } => self.on_invocation_finished(now, mapping, poller, s),
            Event::ScaleTickDue { mapping } => self.on_scale_tick_due(now, mapping, s),
            Event::SnsAttemptDue { delivery } => self.attempt_delivery(now, DeliveryId(delivery), s),
            Event::StepFunctionsDue { thread, token } => {
                self.step_functions.on_due(now, thread, token);
                self.run_step_functions_actions(now, s);
            }
            Event::WorkerEmailDue { pool, worker, cleared } => self.email_attempt(now, pool, worker, cleared, s),
            Event::WorkerEmailAnswered { pool, worker, accepted } => {
                self.on_worker_email_answered(now, pool, worker, accepted, s)
            }
            Event::HandlerEmailDue { slot, cleared } => self.handler_email_attempt(now, slot, cleared, s),
            Event::HandlerEmailAnswered { slot, accepted } => self.on_handler_email_answered(now, slot, accepted, s),
            Event::MqSent { broker } => {
                self.mq.on_sent(now, u32::from(broker));
                self.run_mq_actions(s);
            }
            Event::MqHandled { broker } => {
                self.mq.on_handled(now, u32::from(broker));
                self.run_mq_actions(s);
                self.serve_mq(now, u32::from(broker), s);
            }
            Event::MqWindowEnded { mapping, poller } => self.on_mq_window_ended(now, mapping, poller, s),
            Event::MqRedeliveryDue { broker } => {
                self.mq.on_redelivery_due(u32::from(broker));
                self.serve_mq(now, u32::from(broker), s);
            }
            Event::MqConsumed { broker, consumer } => {
                self.mq.on_consumed(now, u32::from(broker), consumer);
                self.run_mq_actions(s);
            }
            Event::ActivityWorkDone { activity, thread, token, failed } => {
                let token = TaskToken { thread, token };
                self.step_functions.on_activity_work_done(now, u32::from(activity), token, failed);
                self.run_step_functions_actions(now, s);
            }
            Event::ExecutionTimeLimitReached { execution, generation } => {
                self.step_functions.on_execution_timeout(now, execution, generation);
                self.run_step_functions_actions(now, s);
            }
            Event::EventBridgeAttemptDue { delivery } => {
                self.attempt_event_delivery(now, eventbridge::DeliveryId(delivery), s)
            }
            Event::SnsPacedAttemptDue { delivery } => self.attempt_now(now, DeliveryId(delivery), s),
            Event::SnsAttemptFinished { delivery, failure } => self.on_sns_attempt_finished(now, delivery, failure, s),
            Event::AsyncInvocationFinished { function, environment } => {
                self.on_async_invocation_finished(now, function, environment, s)
            }
            Event::AsyncEventDue { function, event } => self.on_async_event_due(now, function, event, s),
            Event::TaskInvocationFinished { function, environment } => {
                self.lambda.finish(now, lambda::FunctionId(u32::from(function)), lambda::EnvironmentId(environment));
            }
            Event::SyncInvocationFinished { workload, environment } => {
                self.on_sync_invocation_finished(now, workload, environment)
            }
            Event::SqsDeadlineReached { queue } => self.on_sqs_deadline_reached(now, queue, s),
            Event::RedriveStepDue { task } => self.on_redrive_step_due(now, task, s),
            Event::SampleDue => self.on_sample_due(now, s),
            Event::WarmupEnded => self.on_warmup_ended(now),
        }
        // A run drains only after the warm-up, so its statistics window is never skipped.
        if self.producers_active == 0 && now >= self.warmup_end && self.is_drained() {
            s.declare_drained();
        }
    }
}
