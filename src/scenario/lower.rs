//! From the value tree to validated, typed configuration: names become ids, defaults are
//! applied, units converted, and every value checked against AWS's documented limits
//! (`reference/aws-messaging.md`), with the limit named in the error.

use std::collections::BTreeMap;
use std::path::Path;

use super::traffic::{Traffic, TrafficBasis};
use super::tree::{Field, Node, Result, Source, TableReader, Value, closest, fmt_num};
use super::{
    FunctionConfig, PoolConfig, RedriveTask, RuleSpec, RunConfig, SubscriptionSpec, Target, WorkloadConfig, brokers,
    buses, consumers, functions, machines, price_books, queues, resolve, ses, sweep, thresholds, topics, workloads,
};
use crate::distributions::{Distribution, Empirical};
use crate::engine::{SimDuration, SimTime};
use crate::models::client::{RetryConfig, RetryMode};
use crate::models::sqs::{self, QueueId};
use crate::models::{endpoint, eventbridge, lambda, sns};
use crate::pricing::Pricing;

/// SQS's largest message (body plus attributes) since August 2025.
pub const MESSAGE_SIZE_MAX_BYTES: f64 = 1_048_576.0;

pub(super) struct Lowered {
    pub run: RunConfig,
    pub workloads: Vec<WorkloadConfig>,
    pub queues: Vec<sqs::Config>,
    pub pools: Vec<PoolConfig>,
    pub redrives: Vec<RedriveTask>,
    pub functions: Vec<FunctionConfig>,
    pub lambda_account: lambda::Account,
    pub topics: Vec<sns::TopicConfig>,
    pub subscriptions: Vec<SubscriptionSpec>,
    pub endpoints: Vec<endpoint::Config>,
    pub buses: Vec<eventbridge::BusConfig>,
    pub rules: Vec<RuleSpec>,
    pub machines: Vec<crate::models::step_functions::runtime::MachineConfig>,
    pub activities: Vec<crate::models::step_functions::runtime::ActivityConfig>,
    pub ses: Option<crate::models::ses::Config>,
    pub brokers: Vec<crate::models::mq::BrokerConfig>,
    pub sweep: Option<sweep::SweepSpec>,
    pub thresholds: Vec<thresholds::Threshold>,
    pub pricing: Pricing,
    pub warnings: Vec<String>,
    pub latency: crate::models::latency::LatencyConfig,
}

/// Topic names and kinds, for workloads' targets.
pub(super) struct TopicNames<'a> {
    pub names: &'a BTreeMap<String, sns::TopicId>,
    pub is_fifo: &'a [bool],
    /// Mobile-push endpoints a workload publishes to directly, by name, with the topic that
    /// stands for the direct publish.
    pub direct: &'a BTreeMap<String, sns::TopicId>,
    pub buses: &'a BTreeMap<String, eventbridge::BusId>,
    pub machines: &'a BTreeMap<String, u32>,
    /// The scenario has an `[ses]` table.
    pub has_ses: bool,
    pub brokers: &'a BTreeMap<String, u32>,
    pub functions: &'a BTreeMap<String, u32>,
}

pub(super) fn lower(src: &Source<'_>, root: &Node, base_dir: &Path) -> Result<Lowered> {
    let mut top = TableReader::new(src, String::new(), root)?;
    let (run_field, run_path) = top.require("run", "the [run] table with at least horizon_s")?;
    let run_node = run_field.node;
    let (mut run, declared_traffic) = lower_run(src, run_node, run_path)?;

    let mut queues = Vec::new();
    let mut redrives = Vec::new();
    let names = match top.get("sqs") {
        Some((f, path)) => {
            let names = queues::names_and_kinds(src, f.node, path.clone())?;
            let kind = TableReader::new(src, path, f.node)?;
            for (name, _, node) in kind.named_entries() {
                queues.push(queues::lower_queue(src, name, node, &names, &mut redrives)?);
            }
            queues::check_redrives(src, root, &queues, &redrives)?;
            names
        }
        None => queues::names_and_kinds(src, &Node::empty_table(), "sqs".into())?,
    };
    let ses = ses::lower_ses(top.get("ses"), base_dir)?;
    let pricing = price_books::read_pricing(src, top.get("pricing"), base_dir)?;
    let sweep = sweep::lower_sweep(top.get("sweep"))?;
    let thresholds = thresholds::lower_thresholds(top.get("thresholds"))?;
    let mut pools = Vec::new();
    if let Some((f, path)) = top.get("workers") {
        let kind = TableReader::new(src, path, f.node)?;
        for (name, _, node) in kind.named_entries() {
            pools.push(consumers::lower_pool(src, name, node, &names, &queues, base_dir, ses.is_some())?);
        }
    }
    let mut functions = Vec::new();
    let mut pending_destinations = Vec::new();
    let mut warnings = Vec::new();
    // Functions may consume brokers, whose tables are read later: their ids are their places
    // in the order the tables are read, and a mapping's defaults depend on the engine.
    let mut broker_names = functions::BrokerNames::default();
    if let Some((f, path)) = top.get("mq") {
        for (i, (name, _, node)) in TableReader::new(f.src, path, f.node)?.named_entries().enumerate() {
            broker_names.names.insert(name.clone(), i as u32);
            let engine = match &node.value {
                super::tree::Value::Table(entries) => entries.get("engine").map(|(_, v)| &v.value),
                _ => None,
            };
            broker_names.is_rabbitmq.push(matches!(engine, Some(super::tree::Value::Str(e)) if e == "rabbitmq"));
        }
    }
    if let Some((f, path)) = top.get("lambda") {
        let kind = TableReader::new(src, path, f.node)?;
        for (index, (name, _, node)) in kind.named_entries().enumerate() {
            let (function, pending) = functions::lower_function(
                src,
                name,
                node,
                index,
                &names,
                &queues,
                &broker_names,
                base_dir,
                ses.is_some(),
            )?;
            let filtered = |f: &FunctionConfig| {
                let sqs = f.event_sources.iter().filter(|e| !e.filter_patterns.is_empty()).count();
                sqs + f.broker_sources.iter().filter(|b| !b.filter_patterns.is_empty()).count()
            };
            if filtered(&function) > 0
                && functions.iter().map(filtered).sum::<usize>() + filtered(&function)
                    > crate::models::FILTERED_MAPPINGS_MAX
            {
                let (f, p) = (Field { src, node }, format!("lambda.{name}"));
                return Err(f.error(&p, format!("a scenario may have at most {} event source mappings with filter_patterns (a model limit: each message carries one verdict bit per filtered mapping)", crate::models::FILTERED_MAPPINGS_MAX)));
            }
            functions.push(function);
            pending_destinations.push(pending);
        }
    }
    let lambda_account = functions::lower_account(top.get("account"))?;
    check_reservations(src, root, &functions, &lambda_account)?;
    let (topic_configs, topic_names) = lower_all(&mut top, "sns", |name, node| topics::lower_topic(src, name, node))?;
    let (endpoint_configs, endpoint_names) =
        lower_all(&mut top, "endpoint", |name, node| topics::lower_endpoint(src, name, node, base_dir))?;
    let topic_is_fifo: Vec<bool> = topic_configs.iter().map(|t| t.is_fifo).collect();
    let function_names: BTreeMap<String, u32> =
        functions.iter().enumerate().map(|(i, f)| (f.function.name.clone(), i as u32)).collect();
    let endpoint_protocols: Vec<sns::Protocol> = endpoint_configs.iter().map(|(_, p)| *p).collect();
    let targets = topics::Targets {
        topics: &topic_names,
        topic_is_fifo: &topic_is_fifo,
        queues: &names,
        functions: &function_names,
        endpoints: &endpoint_names,
        endpoint_protocols: &endpoint_protocols,
    };
    let (subscriptions, subscription_ids): (_, BTreeMap<String, u32>) =
        lower_all(&mut top, "subscription", |name, node| {
            let (subscription, target, dead_letter_queue) = topics::lower_subscription(src, name, node, &targets)?;
            Ok(SubscriptionSpec { subscription, target, dead_letter_queue })
        })?;
    let queue_ids = names.names.iter().map(|(name, q)| (name.clone(), q.0)).collect();
    let latency = super::latency::lower_latency(top.get("latency"), base_dir, &queue_ids, &subscription_ids)?;
    // A direct publish to a mobile endpoint (Publish with a TargetArn) is modelled as a
    // topic of its own with one unfiltered subscription: same retries, same bill.
    let (mut topic_configs, mut subscriptions, mut topic_is_fifo) = (topic_configs, subscriptions, topic_is_fifo);
    let mut direct = BTreeMap::new();
    let targeted = direct_publish_targets(&top);
    for (name, protocol) in endpoint_names.keys().zip(&endpoint_protocols) {
        if *protocol == sns::Protocol::MobilePush && targeted.contains(name) {
            let topic = sns::TopicId(topic_configs.len() as u32);
            direct.insert(name.clone(), topic);
            topic_configs.push(sns::TopicConfig {
                name: format!("direct.{name}"),
                is_fifo: false,
                // A direct publish to an endpoint draws on the same account quota as the
                // Region's standard topics.
                region: "us-east-1".into(),
                account_messages_per_s: topics::standard_publish_quota("us-east-1"),
                throughput_scope: sns::FifoThroughputScope::Topic,
            });
            topic_is_fifo.push(false);
            let subscription = sns::SubscriptionConfig {
                name: format!("direct.{name}"),
                topic,
                protocol: sns::Protocol::MobilePush,
                filter: None,
                raw_message_delivery: false,
                retry: sns::Protocol::MobilePush.default_retry_policy(),
                has_dead_letter_queue: false,
                max_receives_per_second: None,
            };
            let target = topics::SubscriptionTarget::Endpoint(endpoint_names[name]);
            subscriptions.push(SubscriptionSpec { subscription, target, dead_letter_queue: None });
        }
    }
    let mut earlier_buses = Vec::new();
    let (buses, bus_names) = lower_all(&mut top, "eventbridge", |name, node| {
        let bus = buses::lower_bus(src, name, node, &earlier_buses)?;
        earlier_buses.push(bus.clone());
        Ok(bus)
    })?;
    let bus_kinds: Vec<eventbridge::BusKind> = buses.iter().map(|b| b.kind).collect();
    let bus_regions: Vec<String> = buses.iter().map(|b| b.region.clone()).collect();
    // Rules may start state machines, whose tables are read later: their ids are their
    // places in the order the tables are read.
    let machine_ids: BTreeMap<String, u32> = match top.get("step_functions") {
        Some((f, path)) => TableReader::new(f.src, path, f.node)?
            .named_entries()
            .enumerate()
            .map(|(i, (n, _, _))| (n.clone(), i as u32))
            .collect(),
        None => BTreeMap::new(),
    };
    let bus_targets = buses::Names {
        buses: &bus_names,
        bus_kinds: &bus_kinds,
        bus_regions: &bus_regions,
        queues: &names,
        functions: &function_names,
        topics: &topic_names,
        machines: &machine_ids,
    };
    let mut message_groups = BTreeMap::new();
    let (mut rules, _): (Vec<RuleSpec>, BTreeMap<String, u32>) = lower_all(&mut top, "rule", |name, node| {
        let (rule, targets, dead_letter_queues) =
            buses::lower_rule(src, name, node, &bus_targets, &mut message_groups)?;
        Ok(RuleSpec { rule, targets, dead_letter_queues })
    })?;
    // Subscribers are routes too, after the rules (their `RuleId`s follow the rules').
    let (subscribers, _): (Vec<RuleSpec>, BTreeMap<String, u32>) = lower_all(&mut top, "subscriber", |name, node| {
        let (rule, targets, dead_letter_queues) = buses::lower_subscriber(src, name, node, &bus_targets)?;
        Ok(RuleSpec { rule, targets, dead_letter_queues })
    })?;
    rules.extend(subscribers);
    let destination_names = functions::DestinationNames {
        queues: &names,
        topics: &topic_names,
        topic_is_fifo: &topic_is_fifo,
        buses: &bus_names,
        functions: &function_names,
    };
    for (i, (function, pending)) in functions.iter_mut().zip(pending_destinations).enumerate() {
        (function.on_failure, function.dead_letter, function.on_success) =
            functions::resolve_destinations(pending, &destination_names, i as u32)?;
    }
    let rule_configs: Vec<eventbridge::RuleConfig> = rules.iter().map(|r| r.rule.clone()).collect();
    buses::check_rules_per_bus(src, root, &rule_configs, &buses)?;
    buses::warn_of_bus_loops(&rules, &buses, &mut warnings);
    let function_sends_email: Vec<bool> = functions.iter().map(|f| f.email.is_some()).collect();
    let (activities, activity_names) =
        lower_all(&mut top, "activity", |name, node| machines::lower_activity(src, name, node))?;
    // Nested executions may name any machine, those defined after them included.
    let machines_ahead: std::collections::BTreeSet<String> = match top.get("step_functions") {
        Some((f, path)) => TableReader::new(f.src, path, f.node)?.named_entries().map(|(n, _, _)| n.clone()).collect(),
        None => Default::default(),
    };
    let components = machines::Components {
        functions: &function_names,
        queues: &names,
        topics: &topic_names,
        topic_is_fifo: &topic_is_fifo,
        machines: &machines_ahead,
        activities: &activity_names,
        start_epoch_s: run.start_epoch_s,
        has_ses: ses.is_some(),
        function_sends_email: &function_sends_email,
    };
    let (machine_configs, machine_names) = lower_all(&mut top, "step_functions", |name, node| {
        machines::lower_machine(src, name, node, base_dir, &components, &mut warnings)
    })?;
    // The function whose mapping drains each broker, if any, and the pollers of all the
    // mappings that do (the broker's consumers, for its benchmark throughput).
    let mut drained_by: Vec<Option<(String, u32)>> = vec![None; broker_names.is_rabbitmq.len()];
    for f in &functions {
        for b in &f.broker_sources {
            drained_by[b.broker as usize].get_or_insert_with(|| (f.function.name.clone(), 0)).1 +=
                b.config.concurrency_max;
        }
    }
    let (brokers, broker_names) = lower_all(&mut top, "mq", |name, node| {
        let drained = broker_names
            .names
            .get(name)
            .and_then(|&b| drained_by[b as usize].as_ref())
            .map(|(f, pollers)| (f.as_str(), *pollers));
        brokers::lower_broker(src, name, node, base_dir, pricing.book(), drained)
    })?;
    let topic_names_for_workloads = TopicNames {
        names: &topic_names,
        is_fifo: &topic_is_fifo,
        direct: &direct,
        buses: &bus_names,
        machines: &machine_names,
        has_ses: ses.is_some(),
        brokers: &broker_names,
        functions: &function_names,
    };
    let mut workloads = Vec::new();
    if let Some((f, path)) = top.get("workload") {
        let kind = TableReader::new(src, path, f.node)?;
        for (name, _, node) in kind.named_entries() {
            workloads.push(workloads::lower_workload(src, name, node, &names, &topic_names_for_workloads, base_dir)?);
        }
    }
    let workload_groups_max = workloads.iter().filter_map(|w| w.groups.as_ref().map(|g| g.count())).max();
    buses::number_message_groups(&mut rules, workload_groups_max.unwrap_or(0));
    let endpoints = endpoint_configs.into_iter().map(|(c, _)| c).collect();
    top.finish()?;
    let uses = price_books::Uses {
        queues: queues.iter().map(|q| q.name.as_str()).collect(),
        has_functions: !functions.is_empty(),
        topics: topic_configs.iter().map(|t| (t.name.as_str(), t.is_fifo)).collect(),
        subscriptions: subscriptions
            .iter()
            .map(|s| (s.subscription.name.as_str(), topic_configs[s.subscription.topic.0 as usize].name.as_str()))
            .collect(),
        buses: buses.iter().map(|b| b.name.as_str()).collect(),
        machines: &machine_configs,
        has_ses: ses.is_some(),
        has_brokers: !brokers.is_empty(),
    };
    let (pricing, unit_prices) = price_books::finish(src, root, pricing, &uses)?;
    let mut machine_configs = machine_configs;
    for (machine, unit_prices) in machine_configs.iter_mut().zip(unit_prices) {
        machine.unit_prices = unit_prices;
    }
    run.traffic = super::traffic::basis(declared_traffic, &run, &workloads);
    warn_of_size(&run, &workloads, &mut warnings);
    warn_of_oversize(&queues, &workloads, &mut warnings);
    let floor = MemoryFloor {
        queues: queues.len(),
        pools: pools.len(),
        functions: functions.len(),
        subscriptions: subscriptions.len(),
        rules: rules.len(),
        machines: machine_configs.len(),
    };
    floor.check(src, run_node, &run)?;
    if workloads.is_empty() {
        return Err(src.error(
            &root.origin,
            "workload",
            "the scenario has no [workload.NAME] table, so nothing would ever be sent",
        ));
    }
    Ok(Lowered {
        run,
        workloads,
        queues,
        pools,
        redrives,
        functions,
        lambda_account,
        topics: topic_configs,
        subscriptions,
        endpoints,
        buses,
        rules,
        machines: machine_configs,
        activities,
        ses,
        brokers,
        sweep,
        thresholds,
        pricing,
        warnings,
        latency,
    })
}

/// Above this many messages a run takes minutes, and the reader says so before it starts.
const MESSAGES_TO_WARN_OF: f64 = 1e9;

/// Warns of a run whose workloads would send more than [`MESSAGES_TO_WARN_OF`] messages (at
/// their peak rates): it is long, and `run.events_max` bounds it.
fn warn_of_size(run: &RunConfig, workloads: &[WorkloadConfig], warnings: &mut Vec<String>) {
    let horizon_s = run.horizon.as_secs_f64();
    let messages: f64 = workloads
        .iter()
        .map(|w| {
            let active_s = w.window.stop_s.unwrap_or(horizon_s).min(horizon_s) - w.window.start_s;
            let by_rate = w.process.peak_rate_per_s() * active_s.max(0.0);
            w.window.count_max.map_or(by_rate, |c| by_rate.min(c as f64))
        })
        .sum();
    if messages > MESSAGES_TO_WARN_OF {
        warnings.push(format!(
            "the workloads may send about {messages:.1e} messages over the horizon: at a few million a second that is {:.0} minutes or more; the run stops at run.events_max ({}) events if it gets there",
            messages / 5e6 / 60.0,
            run.events_max
        ));
    }
}

/// Warns of a workload whose every message is larger than its queue's
/// `max_message_size_bytes`. It is a warning, not an error: SQS would refuse every send, and
/// the run shows exactly that (`sqs.NAME.rejected_oversize`), which a sweep over the maximum
/// may be there to find.
fn warn_of_oversize(queues: &[sqs::Config], workloads: &[WorkloadConfig], warnings: &mut Vec<String>) {
    for w in workloads {
        let Target::Queue(q) = w.target else { continue };
        let queue = &queues[q.0 as usize];
        let smallest = w.message_size_bytes.smallest().round();
        if smallest > f64::from(queue.max_message_size_bytes) {
            warnings.push(format!(
                "every message of workload.{} ({smallest} bytes or more) is larger than sqs.{}.max_message_size_bytes = {}: SQS refuses each send with a client error that is not retried, so nothing reaches the queue",
                w.name, queue.name, queue.max_message_size_bytes
            ));
        }
    }
}

/// The default of `run.memory_max_mb`: 8 GiB.
pub(super) const MEMORY_MAX_MB_DEFAULT: u64 = 8_192;

/// What a run needs in memory at the least, whatever its traffic: each queue, pool, function,
/// subscription, rule and state machine keeps latency histograms (16 KiB each when empty;
/// they grow to 264 KiB with the longest latency they see), and the time series keeps one
/// 8-byte value per column per sample. A topic with a million subscriptions needs 16 GiB
/// before its first message; better refused before the run than killed by the kernel.
struct MemoryFloor {
    queues: usize,
    pools: usize,
    functions: usize,
    subscriptions: usize,
    rules: usize,
    machines: usize,
}

/// An empty latency histogram: 2,048 eight-byte counts.
const HISTOGRAM_FLOOR_BYTES: u64 = 16 * 1024;

impl MemoryFloor {
    fn bytes(&self, run: &RunConfig) -> (u64, u64, u64) {
        // A function measures its durations, INITs and asynchronous event ages, and samples
        // its busy, idle and total environments and, with a mapping, its pollers.
        let histograms =
            2 * self.queues + self.pools + 3 * self.functions + self.subscriptions + self.rules + 4 * self.machines;
        let columns = 3 * self.queues + self.pools + self.subscriptions + 4 * self.functions;
        let rows = (run.horizon.as_micros() / run.sample_interval.as_micros().max(1)) + 1;
        (
            histograms as u64,
            columns as u64 * rows,
            histograms as u64 * HISTOGRAM_FLOOR_BYTES + columns as u64 * rows * 8,
        )
    }

    fn check(&self, src: &Source<'_>, run_node: &Node, run: &RunConfig) -> Result<()> {
        let (histograms, samples, bytes) = self.bytes(run);
        let mib = bytes.div_ceil(1 << 20);
        if mib <= run.memory_max_mb {
            return Ok(());
        }
        let origin = match &run_node.value {
            Value::Table(t) => t.get("memory_max_mb").map_or(&run_node.origin, |(_, n)| &n.origin),
            _ => &run_node.origin,
        };
        Err(src.error(
            origin,
            "run.memory_max_mb",
            format!(
                "the scenario needs at least {mib} MiB before its first message ({histograms} latency histograms of at least 16 KiB, one per queue, function, subscription, rule and state machine measure; {samples} time-series values of 8 bytes), above run.memory_max_mb = {}; raise run.memory_max_mb if the machine has the memory, or split the topology (AWS allows 12,500,000 subscriptions per topic, but each is measured on its own here), or sample less often (run.sample_interval_s)",
                run.memory_max_mb
            ),
        ))
    }
}

/// `retry_mode` and `retry_max_attempts` of a caller's AWS SDK client.
pub(super) fn retry_config(t: &mut TableReader<'_>) -> Result<RetryConfig> {
    let mode = opt(t, "retry_mode", |f, p| match f.one_of_per_table(p)? {
        "adaptive" => Ok(RetryMode::Adaptive),
        _ => Ok(RetryMode::Standard),
    })?
    .unwrap_or(RetryMode::Standard);
    let max_attempts = opt(t, "retry_max_attempts", |f, p| f.whole_in_table(p))?.map_or(3, |n| n as u32);
    Ok(RetryConfig { mode, max_attempts })
}

/// The `[run]` table, and its `traffic` if declared (its default needs the workloads).
fn lower_run(src: &Source<'_>, node: &Node, path: String) -> Result<(RunConfig, Option<Traffic>)> {
    let mut t = TableReader::new(src, path, node)?;
    let seed = opt(&mut t, "seed", |f, p| f.whole_per_table(p, "run.seed"))?.unwrap_or(1);
    let (f, p) = t.require("horizon_s", "how much virtual time to simulate, in seconds")?;
    let horizon_s = f.number_per_table(&p, "run.horizon_s")?;
    let warmup_s = opt(&mut t, "warmup_s", |f, p| {
        let v = f.number_per_table(p, "run.warmup_s")?;
        if v >= horizon_s {
            return Err(f.error(p, format!("must be shorter than horizon_s ({})", fmt_num(horizon_s))));
        }
        Ok(v)
    })?
    .unwrap_or(0.0);
    let events_max =
        opt(&mut t, "events_max", |f, p| f.whole_per_table(p, "run.events_max"))?.unwrap_or(10_000_000_000);
    let sample_interval_s = opt(&mut t, "sample_interval_s", |f, p| {
        let v = f.number_per_table(p, "run.sample_interval_s")?;
        if horizon_s / v > 10_000_000.0 {
            return Err(f.error(p, "would sample more than 10,000,000 rows over the horizon; choose a longer interval"));
        }
        Ok(v)
    })?
    .unwrap_or(60.0);
    let memory_max_mb = opt(&mut t, "memory_max_mb", |f, p| f.whole_per_table(p, "run.memory_max_mb"))?
        .unwrap_or(MEMORY_MAX_MB_DEFAULT);
    let start_epoch_s = opt(&mut t, "start_time", |f, p| {
        let text = f.str(p)?;
        crate::models::step_functions::asl::timestamp_epoch_s(text)
            .ok_or_else(|| f.error(p, "must be an RFC 3339 timestamp such as \"2026-11-27T00:00:00Z\""))
    })?;
    let traffic = super::traffic::read_declared(&mut t)?;
    t.finish()?;
    let run = RunConfig {
        start_epoch_s,
        seed,
        horizon: SimTime::from_secs_f64(horizon_s),
        warmup: SimDuration::from_secs_f64(warmup_s),
        events_max,
        memory_max_mb,
        sample_interval: SimDuration::from_secs_f64(sample_interval_s),
        cloudwatch_series: false,
        // Decided once the workloads are read.
        traffic: TrafficBasis { traffic: Traffic::Steady, declared: false, reason: String::new() },
    };
    Ok((run, traffic))
}

/// The endpoints some workload publishes to directly (`target = "endpoint.NAME"`).
fn direct_publish_targets(top: &TableReader<'_>) -> Vec<String> {
    let mut names = Vec::new();
    for (kind, _, node) in top.named_entries() {
        let super::tree::Value::Table(workloads) = &node.value else { continue };
        if kind != "workload" {
            continue;
        }
        for (_, workload) in workloads.values() {
            if let super::tree::Value::Table(keys) = &workload.value
                && let Some((_, target)) = keys.get("target")
                && let super::tree::Value::Str(text) = &target.value
                && let Some(name) = text.strip_prefix("endpoint.")
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Lowers every `[kind.NAME]` table with `lower`; returns them in name order with the
/// name → index map.
fn lower_all<T, I: From<u32> + Copy>(
    top: &mut TableReader<'_>,
    kind: &'static str,
    mut lower: impl FnMut(&str, &Node) -> Result<T>,
) -> Result<(Vec<T>, BTreeMap<String, I>)> {
    let mut items = Vec::new();
    let mut names = BTreeMap::new();
    if let Some((f, path)) = top.get(kind) {
        let table = TableReader::new(f.src, path, f.node)?;
        for (i, (name, _, node)) in table.named_entries().enumerate() {
            names.insert(name.clone(), I::from(i as u32));
            items.push(lower(name, node)?);
        }
    }
    Ok((items, names))
}

/// AWS keeps at least 100 of the account's concurrency unreserved.
fn check_reservations(
    src: &Source<'_>,
    root: &Node,
    functions: &[FunctionConfig],
    account: &lambda::Account,
) -> Result<()> {
    let reserved: u32 = functions.iter().filter_map(|f| f.function.reserved_concurrency).sum();
    let room = account.concurrency.saturating_sub(lambda::UNRESERVED_CONCURRENCY_MIN);
    if reserved > room {
        return Err(src.error(
            &root.origin,
            "lambda",
            format!(
                "the functions reserve {reserved} of the account's {} concurrent executions; AWS keeps at least {} unreserved, so at most {room} can be reserved",
                account.concurrency,
                lambda::UNRESERVED_CONCURRENCY_MIN
            ),
        ));
    }
    Ok(())
}

/// Reads an optional key with `read`.
pub(super) fn opt<T>(
    t: &mut TableReader<'_>,
    key: &'static str,
    read: impl FnOnce(&Field<'_>, &str) -> Result<T>,
) -> Result<Option<T>> {
    match t.get(key) {
        Some((f, p)) => read(&f, &p).map(Some),
        None => Ok(None),
    }
}

pub(super) fn queue_ref(f: Field<'_>, path: &str, queues: &BTreeMap<String, QueueId>) -> Result<QueueId> {
    let name = f.str(path)?;
    if !name.starts_with("sqs.") {
        return Err(f.error(path, format!("must name an SQS queue as \"sqs.NAME\" ({})", defined("sqs", queues))));
    }
    component_ref(f, path, "sqs", "queue", queues)
}

/// Resolves `"KIND.NAME"` to the component's id.
pub(super) fn component_ref<T: Copy>(
    f: Field<'_>,
    path: &str,
    kind: &str,
    what: &str,
    names: &BTreeMap<String, T>,
) -> Result<T> {
    let text = f.str(path)?;
    let Some(name) = text.strip_prefix(kind).and_then(|rest| rest.strip_prefix('.')) else {
        return Err(f.error(path, format!("must name a {what} as \"{kind}.NAME\" ({})", defined(kind, names))));
    };
    names.get(name).copied().ok_or_else(|| {
        let candidates: Vec<&str> = names.keys().map(String::as_str).collect();
        let hint = closest(name, &candidates).map(|k| format!(" (did you mean \"{kind}.{k}\"?)")).unwrap_or_default();
        f.error(path, format!("no such {what}{hint}; {}", defined(kind, names)))
    })
}

fn defined<T>(kind: &str, names: &BTreeMap<String, T>) -> String {
    if names.is_empty() {
        format!("no [{kind}.NAME] table is defined")
    } else {
        format!("defined: {}", names.keys().map(|k| format!("{kind}.{k}")).collect::<Vec<_>>().join(", "))
    }
}

/// A distribution whose values must lie within the range the key table gives `pattern`, the
/// limit behind it named in errors.
pub(super) fn distribution_per_table(f: Field<'_>, path: &str, base_dir: &Path, pattern: &str) -> Result<Distribution> {
    let key = super::tree::table_entry(path, pattern);
    match key.range {
        // A distribution's draws include its lower bound, so `above_min` only matters for a
        // plain number, which `distribution` checks the same way as a draw.
        super::keys::Range::Number { min, max, .. } => distribution(f, path, base_dir, min, max, &key.why()),
        other => panic!("{pattern} has range {other:?} in the key table, not a number range"),
    }
}

/// As `distribution_per_table`, for a reader shared by several keys (the latency hops),
/// finding the entry by the concrete `path`.
pub(super) fn distribution_in_table(f: Field<'_>, path: &str, base_dir: &Path) -> Result<Distribution> {
    let key = super::keys::find(path).unwrap_or_else(|| panic!("no key {path} in the key table"));
    distribution_per_table(f, path, base_dir, key.path)
}

/// A distribution: a bare number (constant) or `{ dist = "...", ... }`. Parameters must lie
/// within `[min, max]`; for the bounded kinds (constant, uniform, empirical) so does every
/// draw. Unbounded kinds (exponential, lognormal) can draw beyond `max`; callers that need a
/// hard bound clamp (message sizes are clamped to SQS's 1 MiB in `world`).
pub(super) fn distribution(
    f: Field<'_>,
    path: &str,
    base_dir: &Path,
    min: f64,
    max: f64,
    why: &str,
) -> Result<Distribution> {
    if let Ok(v) = f.f64(path) {
        return Ok(Distribution::constant(f.f64_in(path, min, max, why).map(|_| v)?));
    }
    let mut t = TableReader::new(f.src, path.to_string(), f.node)?;
    let (kind_f, kind_p) = t.require("dist", "one of constant, uniform, exponential, lognormal, empirical")?;
    let in_range = |t: &mut TableReader<'_>, key: &'static str| -> Result<f64> {
        let (f, p) = t.require(key, "a number")?;
        f.f64_in(&p, min, max, why)
    };
    let d = match kind_f.one_of_key(&kind_p, super::keys::entry("DISTRIBUTION.dist"))? {
        "constant" => Distribution::constant(in_range(&mut t, "value")?),
        "uniform" => {
            let low = in_range(&mut t, "low")?;
            let (hf, hp) = t.require("high", "a number")?;
            let high = hf.f64_in(&hp, min, max, why)?;
            if high < low {
                return Err(hf.error(&hp, format!("must not be below low ({})", fmt_num(low))));
            }
            Distribution::Uniform { low, high }
        }
        "exponential" => {
            let (mf, mp) = t.require("mean", "the mean")?;
            Distribution::exponential(mf.positive(&mp, max, why)?)
        }
        "lognormal" => {
            let (mf, mp) = t.require("median", "the median")?;
            let median = mf.positive(&mp, max, why)?;
            let (pf, pp) = t.require("p99", "the 99th percentile")?;
            let p99 = pf.positive(&pp, max, why)?;
            if p99 <= median {
                return Err(pf.error(&pp, format!("must be above the median ({})", fmt_num(median))));
            }
            Distribution::lognormal(median, p99)
        }
        "empirical" => Distribution::Empirical(empirical(&mut t, path, base_dir, min, max, why)?),
        other => unreachable!("distribution {other} of the key table has no model"),
    };
    t.finish()?;
    Ok(d)
}

fn empirical(t: &mut TableReader<'_>, path: &str, base_dir: &Path, min: f64, max: f64, why: &str) -> Result<Empirical> {
    let samples = t.get("samples");
    let quantiles = t.get("quantiles");
    let file = t.get("file");
    let check = |f: &Field<'_>, p: &str, v: f64| -> Result<f64> {
        if v < min || v > max {
            return Err(f.error(
                p,
                format!(
                    "value {} is outside {} to {}{}",
                    fmt_num(v),
                    fmt_num(min),
                    fmt_num(max),
                    if why.is_empty() { String::new() } else { format!(" ({why})") }
                ),
            ));
        }
        Ok(v)
    };
    match (samples, quantiles, file) {
        (Some((f, p)), None, None) => {
            let values = f
                .array(&p)?
                .iter()
                .map(|item| item.f64(&p).and_then(|v| check(item, &p, v)))
                .collect::<Result<Vec<_>>>()?;
            if values.is_empty() {
                return Err(f.error(&p, "needs at least one sample"));
            }
            Ok(Empirical::Samples(values))
        }
        (None, Some((f, p)), None) => {
            let mut points = Vec::new();
            // The probability's entry by name: a path under a distribution's key is no
            // pattern of the table.
            let probability = super::keys::entry("DISTRIBUTION.quantiles[].probability");
            for (i, item) in f.array(&p)?.iter().enumerate() {
                let pair = item.array(&p)?;
                if pair.len() != 2 {
                    return Err(item.error(&p, "each quantile is a [probability, value] pair"));
                }
                let q = pair[0].number_of_key(&format!("{p}[{i}].probability"), probability)?;
                points.push((q, check(&pair[1], &p, pair[1].f64(&p)?)?));
            }
            check_quantiles(&f, &p, &points)?;
            Ok(Empirical::Quantiles(points))
        }
        (None, None, Some((f, p))) => empirical_file(f, &p, base_dir, &check),
        _ => Err(t.src.error(
            t.origin,
            path,
            "an empirical distribution needs exactly one of samples, quantiles or file",
        )),
    }
}

fn check_quantiles(f: &Field<'_>, p: &str, points: &[(f64, f64)]) -> Result<()> {
    let ok_ends = points.first().is_some_and(|q| q.0 == 0.0) && points.last().is_some_and(|q| q.0 == 1.0);
    if points.len() < 2 || !ok_ends {
        return Err(f.error(
            p,
            "quantiles must run from probability 0 (the minimum) to 1 (the maximum), so the tails are bounded",
        ));
    }
    if points.windows(2).any(|w| w[1].0 <= w[0].0 || w[1].1 < w[0].1) {
        return Err(f.error(p, "probabilities must increase and values must not decrease"));
    }
    Ok(())
}

/// A CSV with a `value` column (samples) or `quantile` and `value` columns.
fn empirical_file(
    f: Field<'_>,
    p: &str,
    base_dir: &Path,
    check: &dyn Fn(&Field<'_>, &str, f64) -> Result<f64>,
) -> Result<Empirical> {
    let file = f.str(p)?;
    let table = read_csv(f, p, base_dir, file)?;
    let value = table.column("value").ok_or_else(|| f.error(p, format!("{file} has no `value` column")))?;
    let values = value.iter().map(|(_, v)| check(&f, p, *v)).collect::<Result<Vec<_>>>()?;
    if values.is_empty() {
        return Err(f.error(p, format!("{file} has no rows")));
    }
    match table.column("quantile") {
        None => Ok(Empirical::Samples(values)),
        Some(q) => {
            let points: Vec<(f64, f64)> = q.iter().map(|(_, p)| *p).zip(values).collect();
            check_quantiles(&f, p, &points)?;
            Ok(Empirical::Quantiles(points))
        }
    }
}

/// A numeric CSV: named columns of (line number, value).
pub(super) struct CsvTable {
    columns: Vec<(String, Vec<(u64, f64)>)>,
}

impl CsvTable {
    pub(super) fn column(&self, name: &str) -> Option<&Vec<(u64, f64)>> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

pub(super) fn read_csv(f: Field<'_>, p: &str, base_dir: &Path, file: &str) -> Result<CsvTable> {
    let path = resolve(base_dir, file);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(&path)
        .map_err(|e| f.error(p, format!("cannot read {}: {e}", path.display())))?;
    let headers = reader.headers().map_err(|e| f.error(p, format!("{file}: {e}")))?.clone();
    let mut columns: Vec<(String, Vec<(u64, f64)>)> = headers.iter().map(|h| (h.to_string(), Vec::new())).collect();
    for record in reader.records() {
        let record = record.map_err(|e| f.error(p, format!("{file}: {e}")))?;
        let line = record.position().map_or(0, |pos| pos.line());
        for (i, cell) in record.iter().enumerate() {
            let Some(col) = columns.get_mut(i) else {
                continue;
            };
            let v: f64 = cell
                .parse()
                .map_err(|_| f.error(p, format!("{file}:{line}: `{cell}` in column {} is not a number", col.0)))?;
            col.1.push((line, v));
        }
    }
    Ok(CsvTable { columns })
}
