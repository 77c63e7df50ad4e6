//! Naming and collecting a run's measurements: `sqs.Q.*`, `workers.P.*`, `lambda.F.*`,
//! `sns.T.*`, `subscription.S.*`, `eventbridge.B.*`, `rule.R.*` and `workload.W.*`.

use super::producer::Producer;
use crate::engine::SimTime;
use crate::metrics::{CostHistogram, LatencyHistogram, TimeSeries};
use crate::models::client::Client;
use crate::models::eventbridge::{self, BusId, RuleId};
use crate::models::lambda::managed_instances::Fleet;
use crate::models::lambda::{self, FunctionId, event_source};
use crate::models::sns::{self, SubscriptionId, TopicId};
use crate::models::sqs::{self, QueueId};
use crate::models::step_functions;
use crate::models::workers;
use crate::models::{mq, ses};
use crate::pricing::StepFunctionsUsage;
use crate::pricing::{BrokerUsage, SnsUsage};
use crate::scenario::Scenario;

/// Named measurements of a finished run, in a stable order.
pub struct Measurements {
    pub latencies: Vec<(String, LatencyHistogram)>,
    pub counters: Vec<(String, u64)>,
    pub gauges: Vec<(String, f64)>,
    pub series: TimeSeries,
    /// Sampled with `series`: the figures CloudWatch reports per period
    /// ([`cloudwatch_columns`]).
    pub cloudwatch: TimeSeries,
    /// (resource, billed SQS requests, is FIFO) per queue.
    pub sqs_billed_requests: Vec<(String, u64, bool)>,
    /// (resource, workers, USD per worker-hour) per pool.
    pub worker_pools: Vec<(String, u32, f64)>,
    /// (resource, is Arm, billed requests, GB-seconds) per function.
    pub functions: Vec<(String, bool, u64, f64)>,
    /// (resource, mean instances running, USD per instance-hour) per function on Managed
    /// Instances.
    pub managed_instances: Vec<(String, f64, f64)>,
    /// Publishes per topic and deliveries per subscription, for the bill.
    pub sns_usage: Vec<SnsUsage>,
    /// (resource, billed custom events) per event bus.
    pub eventbridge_events: Vec<(String, u64)>,
    /// The conservation audit: one balance per queue, subscription, rule and workload.
    pub audit: Vec<Balance>,
    /// Transitions (Standard) or requests and GB-seconds (Express) per state machine.
    pub step_functions_usage: Vec<StepFunctionsUsage>,
    /// The Step Functions charges of each execution, per state machine.
    pub costs_per_execution: Vec<(String, CostHistogram)>,
    /// SES: recipients accepted and attachment bytes, if the scenario sends email.
    pub ses_usage: Option<(u64, f64)>,
    /// Amazon MQ brokers, for the bill.
    pub brokers: Vec<BrokerUsage>,
}

/// One entity's conservation balance over the statistics window: what came in (and was
/// there at the start) equals what went out plus what is still there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub entity: String,
    pub inflow: Vec<(&'static str, u64)>,
    pub outflow: Vec<(&'static str, u64)>,
}

impl Balance {
    pub fn is_balanced(&self) -> bool {
        let sum = |terms: &[(&str, u64)]| terms.iter().map(|t| t.1).sum::<u64>();
        sum(&self.inflow) == sum(&self.outflow)
    }
}

fn balance(entity: String, inflow: &[(&'static str, u64)], outflow: &[(&'static str, u64)]) -> Balance {
    Balance { entity, inflow: inflow.to_vec(), outflow: outflow.to_vec() }
}

pub(super) fn series_columns(scenario: &Scenario) -> Vec<String> {
    let mut columns = Vec::new();
    for q in &scenario.queues {
        for part in ["delayed", "visible", "in_flight"] {
            columns.push(format!("sqs.{}.{part}", q.name));
        }
    }
    for p in &scenario.pools {
        columns.push(format!("workers.{}.busy", p.pool.name));
    }
    for sub in &scenario.subscriptions {
        columns.push(format!("subscription.{}.in_flight", sub.subscription.name));
    }
    for f in &scenario.functions {
        columns.push(format!("lambda.{}.concurrency", f.function.name));
        columns.push(format!("lambda.{}.environments_idle", f.function.name));
        columns.push(format!("lambda.{}.environments", f.function.name));
        if f.function.managed_instances.is_some() {
            columns.push(format!("lambda.{}.instances", f.function.name));
        }
        for config in f.event_sources.iter().map(|e| &e.config).chain(f.broker_sources.iter().map(|b| &b.config)) {
            columns.push(format!("{}.pollers", mapping_prefix(&f.function.name, config)));
        }
    }
    columns
}

/// A function's instances on Managed Instances: how many ran, how busy their concurrency
/// was, and what the scaler did. `concurrency` is the mean of concurrent invocations.
fn fleet_measures(
    name: &str,
    fleet: &Fleet,
    concurrency: f64,
    end: SimTime,
    counters: &mut Vec<(String, u64)>,
    gauges: &mut Vec<(String, f64)>,
) {
    let m = &fleet.metrics;
    let instances = m.instances.mean(end);
    let slots = instances * f64::from(fleet.config().slots_per_instance());
    counters.push((format!("{name}.instances_launched"), m.launched));
    counters.push((format!("{name}.instances_terminated"), m.terminated));
    gauges.push((format!("{name}.instances_mean"), instances));
    gauges.push((format!("{name}.instances_peak"), f64::from(m.instances_peak)));
    gauges.push((format!("{name}.instances_utilization"), if slots > 0.0 { concurrency / slots } else { 0.0 }));
}

/// The prefix of a mapping's metrics: its function's (`lambda.F`) for the one mapping of
/// `source`, `lambda.F.mappings.M` for mapping M of several.
fn mapping_prefix(function: &str, mapping: &event_source::Config) -> String {
    match &mapping.name {
        None => format!("lambda.{function}"),
        Some(m) => format!("lambda.{function}.mappings.{m}"),
    }
}

pub(super) fn sample_row<'a>(
    now: SimTime,
    sqs: &sqs::Service,
    pools: impl Iterator<Item = &'a workers::Pool>,
    sns: &sns::Service,
    lambda: &lambda::Service,
    mappings: &[&event_source::EventSource],
) -> Vec<f64> {
    let mut row = Vec::new();
    for q in 0..sqs.queue_count() {
        let (delayed, visible, in_flight) = sqs.depth(QueueId(q as u32));
        row.extend([f64::from(delayed), f64::from(visible), f64::from(in_flight)]);
    }
    row.extend(pools.map(|p| p.busy_workers() as f64));
    row.extend((0..sns.subscription_count()).map(|i| sns.in_flight_of(SubscriptionId(i as u32)) as f64));
    for f in 0..lambda.function_count() {
        let id = FunctionId(f as u32);
        let (busy, idle) = (lambda.concurrency_in_use(id), lambda.idle_environments(id, now));
        row.extend([f64::from(busy), f64::from(idle), f64::from(busy + idle)]);
        if let Some(fleet) = lambda.fleet(id) {
            row.push(f64::from(fleet.running()));
        }
        for m in mappings.iter().filter(|m| m.config().function == id) {
            row.push(f64::from(m.active_pollers()));
        }
    }
    row
}

/// The columns of the CloudWatch-like series: what `orchsim backtest` samples per period
/// the way CloudWatch reports it. Instant values (the age of a queue's oldest message) and
/// counts and sums since the start of the statistics window, whose differences between two
/// samples are the period's `Sum` (and, with a count, its `Average`).
pub(super) fn cloudwatch_columns(
    sqs: &sqs::Service,
    lambda: &lambda::Service,
    sns: &sns::Service,
    step_functions: &step_functions::runtime::Service,
) -> Vec<String> {
    let mut columns = Vec::new();
    for q in 0..sqs.queue_count() {
        let name = &sqs.config(QueueId(q as u32)).name;
        columns.push(format!("sqs.{name}.age_oldest_s"));
        columns.push(format!("sqs.{name}.sent"));
    }
    for f in 0..lambda.function_count() {
        let name = &lambda.config(FunctionId(f as u32)).name;
        for part in ["invocations", "throttles", "duration_count", "duration_sum_ms"] {
            columns.push(format!("lambda.{name}.{part}"));
        }
    }
    for t in 0..sns.topic_count() {
        let name = &sns.topic(TopicId(t as u32)).0.name;
        for part in ["published", "delivered", "failed", "filtered_out"] {
            columns.push(format!("sns.{name}.{part}"));
        }
    }
    for m in 0..step_functions.machine_count() {
        let name = &step_functions.machine(m as u32).0.name;
        for part in ["started", "execution_count", "execution_time_sum_ms"] {
            columns.push(format!("step_functions.{name}.{part}"));
        }
    }
    columns
}

/// One row of [`cloudwatch_columns`]. SNS's `NumberOfNotificationsFailed` counts a
/// notification once when SNS gives up on it (dead-lettered or dropped), but every failed
/// attempt for HTTP/S endpoints, retries included.
pub(super) fn cloudwatch_row(
    now: SimTime,
    sqs: &sqs::Service,
    lambda: &lambda::Service,
    sns: &sns::Service,
    step_functions: &step_functions::runtime::Service,
) -> Vec<f64> {
    let mut row = Vec::new();
    for q in 0..sqs.queue_count() {
        row.push(sqs.oldest_age(now, QueueId(q as u32)).as_secs_f64());
        row.push(sqs.metrics(QueueId(q as u32)).sent as f64);
    }
    for f in 0..lambda.function_count() {
        let m = lambda.metrics(FunctionId(f as u32));
        let sum_ms = m.duration.sum_us() as f64 / 1000.0;
        row.extend([m.requests as f64, m.throttles as f64, m.duration.count() as f64, sum_ms]);
    }
    for t in 0..sns.topic_count() {
        let (_, m) = sns.topic(TopicId(t as u32));
        let (mut delivered, mut failed, mut filtered_out) = (0, 0, 0);
        for &s in sns.subscriptions_of(TopicId(t as u32)) {
            let (config, sm) = sns.subscription(s);
            delivered += sm.delivered;
            filtered_out += sm.filtered_out;
            failed += match config.protocol {
                sns::Protocol::Http | sns::Protocol::Https => sm.failed_attempts,
                _ => sm.dead_lettered + sm.dropped,
            };
        }
        row.extend([m.published as f64, delivered as f64, failed as f64, filtered_out as f64]);
    }
    for i in 0..step_functions.machine_count() {
        let (_, m, _) = step_functions.machine(i as u32);
        let sum_ms = m.duration.sum_us() as f64 / 1000.0;
        row.extend([m.started as f64, m.duration.count() as f64, sum_ms]);
    }
    row
}

/// The models a run's measurements are read from.
pub(super) struct Parts<'a> {
    pub sqs: &'a sqs::Service,
    /// Each pool, with the SDK client of its emails if it sends any.
    pub pools: Vec<(&'a workers::Pool, Option<&'a [Client]>)>,
    pub lambda: &'a lambda::Service,
    pub mappings: Vec<&'a event_source::EventSource>,
    pub sns: &'a mut sns::Service,
    pub eventbridge: &'a eventbridge::Service,
    pub step_functions: &'a step_functions::runtime::Service,
    pub producers: &'a [Producer],
    pub ses: Option<&'a ses::Service>,
    pub mq: &'a mq::Service,
    /// By function: the SDK client its handler sends email with, if it does.
    pub function_email: Vec<Option<&'a Client>>,
    /// By function: whether it has an on-failure destination, a dead-letter queue and an
    /// on-success destination.
    pub async_routes: Vec<(bool, bool, bool)>,
}

/// A function's asynchronous queue: its metrics (after AWS's `AsyncEventsReceived`,
/// `AsyncEventAge`, `AsyncEventsDropped`, `DestinationDeliveryFailures`, `DeadLetterErrors`)
/// and its balances: every event received was processed, dropped or is still queued, and
/// every dropped event was offered to each of the function's destinations.
fn async_measures(
    name: &str,
    m: &lambda::FunctionMetrics,
    queued: u64,
    (has_destination, has_dead_letter, has_success_destination): (bool, bool, bool),
    latencies: &mut Vec<(String, LatencyHistogram)>,
    counters: &mut Vec<(String, u64)>,
    audit: &mut Vec<Balance>,
) {
    let dropped = m.async_retries_exhausted + m.async_event_age_exceeded;
    latencies.push((format!("{name}.async_event_age"), m.async_event_age.clone()));
    for (key, value) in [
        ("async_events_received", m.async_received),
        ("async_events_succeeded", m.async_succeeded),
        ("async_retries", m.async_retries),
        ("async_throttles", m.async_throttled),
        ("async_events_dropped", dropped),
        ("async_retries_exhausted", m.async_retries_exhausted),
        ("async_event_age_exceeded", m.async_event_age_exceeded),
        ("async_to_destination", m.async_to_destination),
        ("async_destination_failures", m.async_destination_failures),
        ("async_to_dead_letter", m.async_to_dead_letter),
        ("async_dead_letter_errors", m.async_dead_letter_errors),
        ("async_to_success_destination", m.async_to_success_destination),
        ("async_success_destination_failures", m.async_success_destination_failures),
        ("async_queued_at_end", queued),
    ] {
        counters.push((format!("{name}.{key}"), value));
    }
    audit.push(balance(
        format!("{name}.async"),
        &[("queued_at_start", m.async_queued_at_start), ("received", m.async_received)],
        &[
            ("succeeded", m.async_succeeded),
            ("retries_exhausted", m.async_retries_exhausted),
            ("event_age_exceeded", m.async_event_age_exceeded),
            ("queued_at_end", queued),
        ],
    ));
    if has_destination {
        audit.push(balance(
            format!("{name}.on_failure"),
            &[("dropped", dropped)],
            &[("sent", m.async_to_destination), ("failed", m.async_destination_failures)],
        ));
    }
    if has_success_destination {
        audit.push(balance(
            format!("{name}.on_success"),
            &[("succeeded", m.async_succeeded)],
            &[("sent", m.async_to_success_destination), ("failed", m.async_success_destination_failures)],
        ));
    }
    if has_dead_letter {
        audit.push(balance(
            format!("{name}.dead_letter"),
            &[("dropped", dropped)],
            &[("sent", m.async_to_dead_letter), ("failed", m.async_dead_letter_errors)],
        ));
    }
}

pub(super) fn collect(parts: Parts<'_>, series: TimeSeries, cloudwatch: TimeSeries, end: SimTime) -> Measurements {
    let Parts {
        sqs,
        pools,
        lambda,
        mappings,
        sns,
        eventbridge,
        step_functions,
        producers,
        ses,
        mq,
        function_email,
        async_routes,
    } = parts;
    let mut latencies = Vec::new();
    let mut costs_per_execution = Vec::new();
    let mut audit = Vec::new();
    let mut counters = Vec::new();
    let mut gauges = Vec::new();
    let mut sqs_billed_requests = Vec::new();
    for q in 0..sqs.queue_count() {
        let id = QueueId(q as u32);
        let config = sqs.config(id);
        let name = format!("sqs.{}", config.name);
        let m = sqs.metrics(id);
        latencies.push((format!("{name}.queue_wait"), m.queue_wait.clone()));
        latencies.push((format!("{name}.end_to_end"), m.end_to_end.clone()));
        let (delayed, visible, in_flight) = sqs.depth(id);
        for (key, value) in [
            ("sent", m.sent),
            ("deduplicated", m.deduplicated),
            ("throttled_sends", m.throttled_sends),
            ("rejected_oversize", m.rejected_oversize),
            ("duplicates", m.duplicates),
            ("received", m.received),
            ("deleted", m.deleted),
            ("moved_to_dlq", m.moved_to_dlq),
            ("moved_in", m.moved_in),
            ("redriven_out", m.redriven_out),
            ("redriven_in", m.redriven_in),
            ("expired", m.expired),
            ("empty_receives", m.empty_receives),
            ("over_limit_errors", m.over_limit_errors),
            ("stale_deletes", m.stale_deletes),
            ("fifo_order_violations", m.fifo_order_violations),
            ("visibility_extensions", m.visibility_extensions),
            ("visibility_extension_errors", m.visibility_extension_errors),
            ("send_message_requests", m.send_message_requests),
            ("send_message_batch_requests", m.send_message_batch_requests),
            ("receive_message_requests", m.receive_message_requests),
            ("delete_message_requests", m.delete_message_requests),
            ("delete_message_batch_requests", m.delete_message_batch_requests),
            ("change_visibility_requests", m.change_visibility_requests),
            ("billed_requests", m.billed_requests),
            ("delayed_at_end", u64::from(delayed)),
            ("visible_at_end", u64::from(visible)),
            ("in_flight_at_end", u64::from(in_flight)),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        audit.push(balance(
            name.clone(),
            &[
                ("stored_at_start", m.stored_at_start),
                ("sent", m.sent),
                ("moved_in", m.moved_in),
                ("redriven_in", m.redriven_in),
                ("duplicates", m.duplicates),
            ],
            &[
                ("deleted", m.deleted),
                ("moved_to_dlq", m.moved_to_dlq),
                ("redriven_out", m.redriven_out),
                ("expired", m.expired),
                ("stored_at_end", u64::from(delayed) + u64::from(visible) + u64::from(in_flight)),
            ],
        ));
        gauges.push((format!("{name}.delayed_mean"), m.delayed.mean(end)));
        gauges.push((format!("{name}.visible_mean"), m.visible.mean(end)));
        gauges.push((format!("{name}.in_flight_mean"), m.in_flight.mean(end)));
        sqs_billed_requests.push((name, m.billed_requests, config.kind.is_fifo()));
    }
    let mut worker_pools = Vec::new();
    for (pool, email) in pools {
        let config = pool.config();
        let name = format!("workers.{}", config.name);
        let m = pool.metrics();
        latencies.push((format!("{name}.service"), m.service.clone()));
        for (key, value) in [
            ("processed", m.processed),
            ("succeeded", m.succeeded),
            ("failed", m.failed),
            ("poison_failures", m.poison_failures),
            ("heartbeats", m.heartbeats),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        if let Some(clients) = email {
            email_counters(&mut counters, &name, clients);
        }
        let busy = m.busy.mean(end);
        gauges.push((format!("{name}.busy_mean"), busy));
        gauges.push((format!("{name}.utilization"), busy / f64::from(config.count)));
        worker_pools.push((name, config.count, config.cost_usd_per_hour));
    }
    let mut functions = Vec::new();
    let mut managed_instances = Vec::new();
    for (f, email) in function_email.iter().enumerate().take(lambda.function_count()) {
        let id = FunctionId(f as u32);
        let config = lambda.config(id);
        let name = format!("lambda.{}", config.name);
        let m = lambda.metrics(id);
        latencies.push((format!("{name}.duration"), m.duration.clone()));
        latencies.push((format!("{name}.init"), m.init.clone()));
        for (key, value) in [
            ("invocations", m.invocations),
            ("requests", m.requests),
            ("cold_starts", m.cold_starts),
            ("throttles", m.throttles),
            ("scaling_throttles", m.scaling_throttles),
            ("errors", m.errors),
            ("timeouts", m.timeouts),
            ("billed_ms", m.billed_ms),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        if let Some(client) = email {
            email_counters(&mut counters, &name, std::slice::from_ref(*client));
        }
        for mapping in mappings.iter().filter(|e| e.config().function == id) {
            let name = mapping_prefix(&config.name, mapping.config());
            let e = mapping.metrics();
            for (key, value) in [
                ("batches", e.batches),
                ("batch_messages", e.messages),
                ("throttled_batches", e.throttled_batches),
                ("failed_batches", e.failed_batches),
                ("failed_items", e.failed_items),
            ] {
                counters.push((format!("{name}.{key}"), value));
            }
            if mapping.config().has_filters {
                counters.push((format!("{name}.filtered_out"), e.filtered_out));
            }
            gauges.push((format!("{name}.pollers_mean"), e.pollers.mean(end)));
        }
        // Every invocation that started ended or is still running.
        let running = u64::from(lambda.concurrency_in_use(id));
        audit.push(balance(
            name.clone(),
            &[("running_at_start", m.running_at_start), ("started", m.requests)],
            &[("ended", m.ended), ("running_at_end", running)],
        ));
        async_measures(&name, m, lambda.async_queued(id), async_routes[f], &mut latencies, &mut counters, &mut audit);
        let gb_seconds = lambda.gb_seconds(id);
        gauges.push((format!("{name}.concurrency_mean"), m.concurrency.mean(end)));
        if let Some(fleet) = lambda.fleet(id) {
            // Environments live on the instances, each serving several invocations: a
            // busy or idle environment is not what the concurrency counts.
            let per_instance = f64::from(fleet.config().environments_per_instance());
            gauges.push((format!("{name}.environments_mean"), fleet.metrics.instances.mean(end) * per_instance));
        } else {
            let (busy, total) = (m.concurrency.mean(end), m.environments.mean(end));
            gauges.push((format!("{name}.environments_busy_mean"), busy));
            gauges.push((format!("{name}.environments_idle_mean"), total - busy));
            gauges.push((format!("{name}.environments_mean"), total));
        }
        // Of the invocations that started (a throttled one has no environment to start).
        let share = if m.requests == 0 { 0.0 } else { m.cold_starts as f64 / m.requests as f64 };
        gauges.push((format!("{name}.cold_start_share"), share));
        gauges.push((format!("{name}.gb_seconds"), gb_seconds));
        if let Some(fleet) = lambda.fleet(id) {
            fleet_measures(&name, fleet, m.concurrency.mean(end), end, &mut counters, &mut gauges);
            let instances = fleet.metrics.instances.mean(end);
            managed_instances.push((name.clone(), instances, fleet.config().instance_usd_per_hour));
        }
        let is_arm = config.architecture == lambda::Architecture::Arm;
        functions.push((name, is_arm, m.requests, gb_seconds));
    }
    let mut sns_usage = Vec::new();
    for t in 0..sns.topic_count() {
        let (config, m) = sns.topic(TopicId(t as u32));
        let name = format!("sns.{}", config.name);
        for (key, value) in [
            ("published", m.published),
            ("deduplicated", m.deduplicated),
            ("throttled", m.throttled),
            ("billed_requests", m.billed_requests),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        // Every accepted publish is offered to every subscription, which matches it or
        // filters it out.
        let subscriptions = sns.subscriptions_of(TopicId(t as u32));
        let offered = m.published * subscriptions.len() as u64;
        let (matched, filtered_out) = subscriptions.iter().fold((0, 0), |(a, b), &s| {
            let (_, sm) = sns.subscription(s);
            (a + sm.matched, b + sm.filtered_out)
        });
        audit.push(balance(
            name.clone(),
            &[("published_times_subscriptions", offered)],
            &[("matched", matched), ("filtered_out", filtered_out)],
        ));
        sns_usage.push(SnsUsage::Topic {
            resource: name,
            is_fifo: config.is_fifo,
            requests: m.billed_requests,
            bytes: m.published_bytes,
        });
    }
    for i in 0..sns.subscription_count() {
        let delivery = sns.take_delivery_latencies(SubscriptionId(i as u32));
        let (config, m) = sns.subscription(SubscriptionId(i as u32));
        let name = format!("subscription.{}", config.name);
        latencies.push((format!("{name}.delivery"), delivery));
        for (key, value) in [
            ("matched", m.matched),
            ("filtered_out", m.filtered_out),
            ("delivered", m.delivered),
            ("failed_attempts", m.failed_attempts),
            ("retries", m.retries),
            ("dead_lettered", m.dead_lettered),
            ("dropped", m.dropped),
            ("in_flight_at_end", sns.in_flight_of(SubscriptionId(i as u32))),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        let in_flight = sns.in_flight_of(SubscriptionId(i as u32));
        audit.push(balance(
            name.clone(),
            &[("in_flight_at_start", m.in_flight_at_start), ("matched", m.matched)],
            &[
                ("delivered", m.delivered),
                ("dead_lettered", m.dead_lettered),
                ("dropped", m.dropped),
                ("in_flight_at_end", in_flight),
            ],
        ));
        sns_usage.push(SnsUsage::Deliveries {
            resource: name,
            protocol: config.protocol.as_str(),
            delivered: m.delivered,
        });
    }
    let mut eventbridge_events = Vec::new();
    for b in 0..eventbridge.bus_count() {
        let (bus, m) = eventbridge.bus(BusId(b as u32));
        let name = format!("eventbridge.{bus}");
        for (key, value) in [
            ("put_events", m.put_events),
            ("service_events", m.service_events),
            ("from_buses", m.from_buses),
            ("unmatched", m.unmatched),
            ("throttled", m.throttled),
            ("billed_events", m.billed_events),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        eventbridge_events.push((name, m.billed_events));
    }
    for r in 0..eventbridge.rule_count() {
        let (config, m, in_flight) = eventbridge.rule(RuleId(r as u32));
        let name = format!("{}.{}", config.kind.prefix(), config.name);
        latencies.push((format!("{name}.delivery"), m.delivery.clone()));
        for (key, value) in [
            ("matched", m.matched),
            ("target_deliveries", m.target_deliveries),
            ("not_forwarded", m.not_forwarded),
            ("delivered", m.delivered),
            ("failed_attempts", m.failed_attempts),
            ("retries", m.retries),
            ("dead_lettered", m.dead_lettered),
            ("dropped", m.dropped),
            ("in_flight_at_end", in_flight),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        // A rule's targets retry and dead-letter on their own: each has its counters (a
        // subscriber's one target has the route's).
        if config.kind == eventbridge::RouteKind::Rule {
            for (label, t) in config.target_labels.iter().zip(eventbridge.target_metrics(RuleId(r as u32))) {
                for (key, value) in [
                    ("deliveries", t.deliveries),
                    ("not_forwarded", t.not_forwarded),
                    ("delivered", t.delivered),
                    ("failed_attempts", t.failed_attempts),
                    ("retries", t.retries),
                    ("dead_lettered", t.dead_lettered),
                    ("dropped", t.dropped),
                ] {
                    counters.push((format!("{name}.target.{label}.{key}"), value));
                }
            }
        }
        audit.push(balance(
            name,
            &[("in_flight_at_start", m.in_flight_at_start), ("target_deliveries", m.target_deliveries)],
            &[
                ("delivered", m.delivered),
                ("dead_lettered", m.dead_lettered),
                ("dropped", m.dropped),
                ("in_flight_at_end", in_flight),
            ],
        ));
    }
    let mut step_functions_usage = Vec::new();
    for i in 0..step_functions.machine_count() {
        let (config, m, running) = step_functions.machine(i as u32);
        let name = format!("step_functions.{}", config.name);
        audit.push(balance(
            name.clone(),
            &[("running_at_start", m.running_at_start), ("started", m.started)],
            &[
                ("succeeded", m.succeeded),
                ("failed", m.failed),
                ("timed_out", m.timed_out),
                ("running_at_end", running),
            ],
        ));
        latencies.push((format!("{name}.duration"), m.duration.clone()));
        costs_per_execution.push((format!("{name}.cost_per_execution"), m.cost_per_execution.clone()));
        if config.workflow == step_functions::runtime::WorkflowType::ExpressSync {
            latencies.push((format!("{name}.caller_wait"), m.caller_wait.clone()));
        }
        for (key, value) in [
            ("started", m.started),
            ("throttled_starts", m.throttled_starts),
            ("succeeded", m.succeeded),
            ("failed", m.failed),
            ("timed_out", m.timed_out),
            ("restarts", m.restarts),
            ("transitions", m.transitions),
            ("retries", m.retries),
            ("throttled_transitions", m.throttled_transitions),
            ("requests", m.requests),
            ("timed_out_at_type_limit", m.timed_out_at_type_limit),
            ("running_at_end", running),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        // Per execution: the executions that ended, each counted whole (its usage before the
        // window included), so a long execution is neither cut short nor divided among others.
        let ended = &m.ended;
        let count = m.succeeded + m.failed + m.timed_out;
        let per = |x: f64| if count == 0 { 0.0 } else { x / count as f64 };
        gauges.push((format!("{name}.transitions_per_execution"), per(ended.transitions as f64)));
        gauges.push((format!("{name}.gb_seconds"), m.gb_seconds));
        if config.workflow.is_express() {
            gauges.push((format!("{name}.requests_per_execution"), per(ended.requests as f64)));
            gauges.push((format!("{name}.billed_duration_ms_per_execution"), per(ended.billed_ms as f64)));
            gauges.push((format!("{name}.gb_seconds_per_execution"), per(ended.gb_seconds)));
        }
        step_functions_usage.push(if config.workflow.is_express() {
            StepFunctionsUsage::Express { resource: name, requests: m.requests, gb_seconds: m.gb_seconds }
        } else {
            StepFunctionsUsage::Standard { resource: name, transitions: m.transitions }
        });
    }
    for a in 0..step_functions.activity_count() {
        let (config, m, queued, working, busy) = step_functions.activity(a as u32, end);
        let m = &m;
        let name = format!("activity.{}", config.name);
        audit.push(balance(
            name.clone(),
            &[("queued_at_start", m.queued_at_start), ("scheduled", m.scheduled)],
            &[("started", m.started), ("abandoned", m.abandoned), ("queued_at_end", queued)],
        ));
        audit.push(balance(
            format!("{name}.workers"),
            &[("working_at_start", m.working_at_start), ("started", m.started)],
            &[("answered", m.answered), ("working_at_end", working)],
        ));
        latencies.push((format!("{name}.schedule_to_start"), m.schedule_to_start.clone()));
        for (key, value) in [
            ("scheduled", m.scheduled),
            ("started", m.started),
            ("abandoned", m.abandoned),
            ("answered", m.answered),
            ("empty_polls", m.empty_polls),
            ("api_calls", m.api_calls),
            ("throttled_api_calls", m.throttled_api_calls),
            ("heartbeats", m.heartbeats),
            ("queued_at_end", queued),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        gauges.push((format!("{name}.busy_mean"), busy));
        gauges.push((format!("{name}.utilization"), busy / f64::from(config.workers)));
    }
    for p in producers {
        let m = p.metrics;
        audit.push(balance(
            format!("workload.{}", p.name),
            &[("holding_at_start", m.holding_at_start), ("sent", m.sent), ("duplicate_sends", m.duplicate_sends)],
            &[
                ("handed_over", m.handed_over),
                ("send_rejected", m.rejected),
                ("send_gave_up", m.gave_up),
                ("holding_at_end", p.holding),
            ],
        ));
        for (key, value) in [
            ("sent", m.sent),
            ("duplicate_sends", m.duplicate_sends),
            ("send_retries", m.retries),
            ("send_rejected", m.rejected),
            ("send_gave_up", m.gave_up),
            ("holding_at_end", p.holding),
            ("throttled_calls", p.client.metrics().throttled),
            ("retry_quota_refusals", p.client.metrics().quota_refusals),
            ("rate_limited_attempts", p.client.metrics().rate_limited),
        ] {
            counters.push((format!("workload.{}.{key}", p.name), value));
        }
        if let Some(response) = &p.response {
            latencies.push((format!("workload.{}.response", p.name), response.clone()));
        }
        if p.call_latency.count() > 0 {
            latencies.push((format!("workload.{}.call", p.name), p.call_latency.clone()));
        }
    }
    let mut ses_usage = None;
    if let Some(ses) = ses {
        let m = ses.metrics();
        audit.push(balance(
            "ses".into(),
            &[("calls", m.calls)],
            &[
                ("accepted", m.accepted_emails),
                ("rate_throttles", m.rate_throttles),
                ("daily_throttles", m.daily_throttles),
            ],
        ));
        for (key, h) in
            [("api_latency", &m.api_latency), ("smtp_latency", &m.smtp_latency), ("time_to_accept", &m.time_to_accept)]
        {
            latencies.push((format!("ses.{key}"), h.clone()));
        }
        for (key, value) in [
            ("calls", m.calls),
            ("accepted_emails", m.accepted_emails),
            ("accepted_recipients", m.accepted_recipients),
            ("rate_throttles", m.rate_throttles),
            ("daily_throttles", m.daily_throttles),
            ("sent_last_24_hours_at_end", ses.sent_last_24_hours()),
        ] {
            counters.push((format!("ses.{key}"), value));
        }
        ses_usage = Some((m.accepted_recipients, m.attachment_bytes));
    }
    let mut brokers = Vec::new();
    for b in 0..mq.broker_count() {
        let (config, m, producing, handling, stored) = mq.broker(b as u32);
        let name = format!("mq.{}", config.name);
        audit.push(balance(
            name.clone(),
            &[("in_broker_at_start", m.in_broker_at_start), ("sent", m.sent)],
            &[
                ("acknowledged", m.acknowledged),
                ("dead_lettered", m.dead_lettered),
                ("producing_at_end", producing),
                ("handling_at_end", handling),
                ("stored_at_end", stored),
            ],
        ));
        for (key, h) in [("send", &m.send), ("broker_wait", &m.broker_wait), ("end_to_end", &m.end_to_end)] {
            latencies.push((format!("{name}.{key}"), h.clone()));
        }
        for (key, value) in [
            ("sent", m.sent),
            ("handled", m.handled),
            ("dispatched", m.dispatched),
            ("acknowledged", m.acknowledged),
            ("redelivered", m.redelivered),
            ("dead_lettered", m.dead_lettered),
            ("stored_at_end", stored),
        ] {
            counters.push((format!("{name}.{key}"), value));
        }
        gauges.push((format!("{name}.stored_mean"), m.stored.mean(end)));
        gauges.push((format!("{name}.capacity_msgs_per_s"), config.capacity_msgs_per_s));
        brokers.push(BrokerUsage {
            resource: name,
            instances: config.instances,
            usd_per_instance_hour: config.usd_per_instance_hour,
            stored_bytes_mean: m.stored_bytes.mean(end),
            storage_usd_per_gb_month: if config.durable { config.storage_usd_per_gb_month } else { 0.0 },
        });
    }
    Measurements {
        brokers,
        ses_usage,
        latencies,
        counters,
        gauges,
        series,
        cloudwatch,
        sqs_billed_requests,
        worker_pools,
        functions,
        managed_instances,
        sns_usage,
        eventbridge_events,
        audit,
        step_functions_usage,
        costs_per_execution,
    }
}

/// The counters of a caller's SES clients, summed.
fn email_counters(counters: &mut Vec<(String, u64)>, name: &str, clients: &[Client]) {
    let sum = |f: fn(&crate::models::client::ClientMetrics) -> u64| clients.iter().map(|c| f(c.metrics())).sum::<u64>();
    for (key, value) in [
        ("email_throttled", sum(|c| c.throttled)),
        ("email_retries", sum(|c| c.retries)),
        ("email_gave_up", sum(|c| c.gave_up)),
        ("email_retry_quota_refusals", sum(|c| c.quota_refusals)),
        ("email_rate_limited_attempts", sum(|c| c.rate_limited)),
    ] {
        counters.push((format!("{name}.{key}"), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_balance_holds_only_when_inflow_equals_outflow() {
        let ok =
            balance("sqs.q".into(), &[("stored_at_start", 2), ("sent", 10)], &[("deleted", 9), ("stored_at_end", 3)]);
        assert!(ok.is_balanced());
        let lost = balance("sqs.q".into(), &[("sent", 10)], &[("deleted", 9)]);
        assert!(!lost.is_balanced());
    }
}
