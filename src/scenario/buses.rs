//! `[eventbridge.NAME]` event buses, `[rule.NAME]` rules (classic buses) and
//! `[subscriber.NAME]` subscribers (Custom Event Buses), checked against EventBridge's limits
//! (`reference/aws-messaging.md` §5).

use std::collections::BTreeMap;

use super::lower::{component_ref, opt};
use super::queues::Queues;
use super::topics::{from_serde, from_tree};
use super::tree::{Field, Node, Result, Source, TableReader, Value};
use crate::engine::SimDuration;
use crate::models::eventbridge::{self, BusId};
use crate::models::filter_policy::{EventPattern, Json};
use crate::models::sns::TopicId;
use crate::models::sqs::QueueId;

/// Targets per rule [eb-quota].
pub const TARGETS_PER_RULE_MAX: usize = 5;
/// Longest `SqsParameters.MessageGroupId` of a rule target [eb-sqs-parameters].
pub const MESSAGE_GROUP_ID_CHARS_MAX: usize = 100;

/// Rules per bus: 100 in Africa (Cape Town) and Europe (Milan), 300 elsewhere [eb-quota-zh].
pub fn rules_per_bus_max(region: &str) -> usize {
    match region {
        "af-south-1" | "eu-south-1" => 100,
        _ => 300,
    }
}

/// PutEvents quota, events per second per account and Region, where the sources give it
/// [eb-quota-zh]; elsewhere the scenario must say (`put_events_per_s`).
fn put_events_quota(region: &str) -> Option<f64> {
    match region {
        "us-east-1" => Some(10_000.0),
        "us-east-2" => Some(2_400.0),
        _ => None,
    }
}

/// Where a rule sends matching events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleTarget {
    /// A queue; for a FIFO queue, the message group every event of this target goes to
    /// (`SqsParameters.MessageGroupId`). Each distinct id of the scenario is its own group,
    /// numbered after the workloads' groups (see [`number_message_groups`]).
    Queue {
        queue: QueueId,
        group: Option<u32>,
    },
    Function(u32),
    Topic(TopicId),
    /// A state machine, started with StartExecution (asynchronous for an Express machine
    /// too, as EventBridge never waits for an execution's end).
    Machine(u32),
    /// Another event bus of the same account and Region (or the rule's own), whose rules
    /// then match the event.
    Bus(BusId),
}

pub(super) struct Names<'a> {
    pub buses: &'a BTreeMap<String, BusId>,
    /// Each bus's kind, by `BusId`.
    pub bus_kinds: &'a [eventbridge::BusKind],
    /// Each bus's Region, by `BusId`.
    pub bus_regions: &'a [String],
    pub queues: &'a Queues,
    pub functions: &'a BTreeMap<String, u32>,
    pub topics: &'a BTreeMap<String, TopicId>,
    /// The state machines by id, known ahead of their tables (read after the rules).
    pub machines: &'a BTreeMap<String, u32>,
}

/// A bus's Region and the account's PutEvents quota there. `earlier` are the buses read
/// before it: buses in one Region share one quota, so they must agree on it.
pub(super) fn lower_bus(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    earlier: &[eventbridge::BusConfig],
) -> Result<eventbridge::BusConfig> {
    let mut t = TableReader::new(src, format!("eventbridge.{name}"), node)?;
    let kind = opt(&mut t, "kind", |f, p| match f.one_of_per_table(p)? {
        "classic" => Ok(eventbridge::BusKind::Classic),
        "subscribers" if name == "default" => Err(f.error(
            p,
            "the default bus is a classic bus (rules and targets); a Custom Event Bus with subscribers needs a name of its own",
        )),
        "subscribers" => Ok(eventbridge::BusKind::Subscribers),
        other => unreachable!("bus kind {other} of the key table has no model"),
    })?
    .unwrap_or_default();
    let region = opt(&mut t, "region", |f, p| super::queues::check_region(f, p).map(str::to_string))?
        .unwrap_or_else(|| "us-east-1".into());
    let shared = earlier.iter().find(|b| b.region == region);
    let given = opt(&mut t, "put_events_per_s", |f, p| {
        let per_s = f.number_per_table(p, "eventbridge.NAME.put_events_per_s")?;
        match shared {
            Some(other) if other.put_events_per_s != per_s => Err(f.error(
                p,
                format!(
                    "eventbridge.{} in {region} has a PutEvents quota of {} per second; AWS applies one quota per account per Region, shared by its buses, so buses in one Region must give the same figure",
                    other.name, other.put_events_per_s
                ),
            )),
            _ => Ok(per_s),
        }
    })?;
    let put_events_per_s = match (given, shared, put_events_quota(&region)) {
        (Some(per_s), _, _) => per_s,
        (None, Some(other), _) => other.put_events_per_s,
        (None, None, Some(per_s)) => per_s,
        (None, None, None) => {
            return Err(src.error(
                &node.origin,
                &format!("eventbridge.{name}"),
                format!("missing key `put_events_per_s` (the account's PutEvents quota in {region}, events per second: orchsim knows AWS's default for us-east-1, 10,000, and us-east-2, 2,400, only; the EventBridge quotas page lists the others)"),
            ));
        }
    };
    t.finish()?;
    Ok(eventbridge::BusConfig { name: name.to_string(), kind, region, put_events_per_s })
}

/// A rule: its configuration, and each target with its dead-letter queue.
///
/// `groups` numbers the scenario's distinct `message_group_id`s, across rules.
pub(super) fn lower_rule(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    names: &Names<'_>,
    groups: &mut BTreeMap<String, u32>,
) -> Result<(eventbridge::RuleConfig, Vec<RuleTarget>, Vec<Option<QueueId>>)> {
    let mut t = TableReader::new(src, format!("rule.{name}"), node)?;
    let bus = bus_of_kind(&mut t, names, eventbridge::BusKind::Classic)?;
    let (f, p) = t.require("event_pattern", "which events the rule matches, as JSON or a table")?;
    let pattern = event_pattern(&f, &p)?;
    // The rule's retry policy and dead-letter queue are the defaults of its targets.
    let defaults = (eventbridge::RETRY_ATTEMPTS_DEFAULT, eventbridge::EVENT_AGE_MAX_DEFAULT);
    let (retry_attempts_max, event_age_max) = retry_policy(&mut t, defaults)?;
    let rule_dead_letter_queue = dead_letter_queue(&mut t, names)?;
    let (f, p) = t.require(
        "targets",
        "where matching events go: [\"sqs.NAME\", \"lambda.NAME\", \"sns.NAME\", \"step_functions.NAME\"], or inline tables { target = …, maximum_retry_attempts = …, maximum_event_age_s = …, dead_letter_queue = …, message_group_id = … }",
    )?;
    let items = f.array(&p)?;
    if items.is_empty() || items.len() > TARGETS_PER_RULE_MAX {
        return Err(f.error(&p, format!("a rule has 1 to {TARGETS_PER_RULE_MAX} targets (EventBridge quota)")));
    }
    let mut targets = Vec::new();
    let mut policies = Vec::new();
    let mut dead_letter_queues = Vec::new();
    let mut target_labels = Vec::new();
    let defaults = (retry_attempts_max, event_age_max, rule_dead_letter_queue);
    for (i, item) in items.into_iter().enumerate() {
        let (target, label, policy, dead_letter_queue) = rule_target(item, &p, i, names, defaults, groups)?;
        if let RuleTarget::Bus(to) = target
            && names.bus_regions[to.0 as usize] != names.bus_regions[bus.0 as usize]
        {
            return Err(item.error(
                &format!("{p}[{i}]"),
                format!(
                    "this bus is in {}, the rule's in {}: orchsim models bus-to-bus delivery within one account and Region only",
                    names.bus_regions[to.0 as usize],
                    names.bus_regions[bus.0 as usize]
                ),
            ));
        }
        if targets.contains(&target) {
            // Each target's metrics are named after it, so one rule names it once.
            return Err(item.error(
                &format!("{p}[{i}]"),
                "this target is already a target of the rule; give each target once (its metrics are named after it)",
            ));
        }
        targets.push(target);
        policies.push(policy);
        dead_letter_queues.push(dead_letter_queue);
        target_labels.push(label.to_string());
    }
    t.finish()?;
    let config = eventbridge::RuleConfig {
        name: name.to_string(),
        kind: eventbridge::RouteKind::Rule,
        bus,
        pattern,
        targets: policies,
        target_labels,
    };
    Ok((config, targets, dead_letter_queues))
}

/// One item of a rule's `targets`: a reference, or a table with `target` and its own
/// retry policy, dead-letter queue and message group, the rule's (`defaults`) where it sets
/// none. Gives the target, the name it was given, its policy and its dead-letter queue.
fn rule_target<'a>(
    item: Field<'a>,
    p: &str,
    i: usize,
    names: &Names<'_>,
    (attempts, age, queue): (u32, SimDuration, Option<QueueId>),
    groups: &mut BTreeMap<String, u32>,
) -> Result<(RuleTarget, &'a str, eventbridge::TargetPolicy, Option<QueueId>)> {
    let (target, label, (retry_attempts_max, event_age_max), dead_letter_queue) = match &item.node.value {
        Value::Table(_) => {
            let mut it = TableReader::new(item.src, format!("{p}[{i}]"), item.node)?;
            let (tf, tp) = it.require(
                "target",
                "where matching events go: \"sqs.NAME\", \"lambda.NAME\", \"sns.NAME\" or \"step_functions.NAME\"",
            )?;
            let mut target = target(tf, &tp, names, true)?;
            let policy = retry_policy(&mut it, (attempts, age))?;
            let own_queue = dead_letter_queue(&mut it, names)?;
            let group = message_group(&mut it, target, names, groups)?;
            match (&mut target, group) {
                (RuleTarget::Queue { group: g, .. }, Some(id)) => *g = Some(id),
                (RuleTarget::Queue { queue, .. }, None) if names.queues.is_fifo(*queue) => {
                    return Err(tf.error(&tp, FIFO_TARGET_NEEDS_GROUP));
                }
                _ => {}
            }
            it.finish()?;
            (target, tf.str(&tp)?, policy, own_queue.or(queue))
        }
        _ => {
            let target = target(item, p, names, true)?;
            if let RuleTarget::Queue { queue, .. } = target
                && names.queues.is_fifo(queue)
            {
                return Err(item.error(p, FIFO_TARGET_NEEDS_GROUP));
            }
            (target, item.str(p)?, (attempts, age), queue)
        }
    };
    let has_dead_letter_queue = dead_letter_queue.is_some();
    let is_bus = matches!(target, RuleTarget::Bus(_));
    let policy = eventbridge::TargetPolicy { retry_attempts_max, event_age_max, has_dead_letter_queue, is_bus };
    Ok((target, label, policy, dead_letter_queue))
}

const FIFO_TARGET_NEEDS_GROUP: &str = "a FIFO queue target needs a message group: write the target as { target = \"sqs.NAME\", message_group_id = \"…\" } (EventBridge requires SqsParameters.MessageGroupId for a FIFO queue target)";

/// A target's `message_group_id` (`SqsParameters.MessageGroupId`): only for a FIFO queue,
/// which EventBridge also requires to have content-based deduplication. Gives the group's
/// number, the same for every target of the scenario that names the same group.
fn message_group(
    it: &mut TableReader<'_>,
    target: RuleTarget,
    names: &Names<'_>,
    groups: &mut BTreeMap<String, u32>,
) -> Result<Option<u32>> {
    opt(it, "message_group_id", |f, p| {
        let id = f.str(p)?;
        let RuleTarget::Queue { queue, .. } = target else {
            return Err(
                f.error(p, "only a FIFO queue target has a message group (SqsParameters applies to SQS targets)")
            );
        };
        if !names.queues.is_fifo(queue) {
            return Err(f.error(
                p,
                "the target is a standard queue, which has no message groups: SqsParameters.MessageGroupId applies to FIFO queue targets",
            ));
        }
        if !names.queues.is_content_based(queue) {
            return Err(f.error(
                p,
                "EventBridge delivers to a FIFO queue only with content-based deduplication: set content_based_deduplication = true on the queue",
            ));
        }
        if id.is_empty() || id.chars().count() > MESSAGE_GROUP_ID_CHARS_MAX {
            return Err(f.error(
                p,
                format!("must be 1 to {MESSAGE_GROUP_ID_CHARS_MAX} characters (SqsParameters.MessageGroupId)"),
            ));
        }
        let next = groups.len() as u32;
        Ok(*groups.entry(id.to_string()).or_insert(next))
    })
}

/// Moves the rule targets' message groups (numbered from 0 as read) past every group a
/// workload draws (`0..group_count`), so that a group a rule names is never one a producer
/// uses. A FIFO queue keeps its groups in a dense list, so they stay small numbers.
pub(super) fn number_message_groups(rules: &mut [super::RuleSpec], workload_groups_max: u32) {
    for rule in rules {
        for target in &mut rule.targets {
            if let RuleTarget::Queue { group: Some(g), .. } = target {
                *g += workload_groups_max;
            }
        }
    }
}

/// A Custom Event Bus subscriber (`AWS::EventsV2::Subscriber`): one target, an optional
/// filter, the subscriber `RetryPolicy` (5 attempts / 300 s by default) and a dead-letter
/// queue (`OnFailureConfiguration`) [eb-newbus-retry] [eb-subscriber]. Lowered as a route
/// with one target, named `subscriber.NAME`.
pub(super) fn lower_subscriber(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    names: &Names<'_>,
) -> Result<(eventbridge::RuleConfig, Vec<RuleTarget>, Vec<Option<QueueId>>)> {
    let mut t = TableReader::new(src, format!("subscriber.{name}"), node)?;
    let bus = bus_of_kind(&mut t, names, eventbridge::BusKind::Subscribers)?;
    // Without a filter the subscriber receives every event, as the empty pattern matches all.
    let pattern = match t.get("event_pattern") {
        Some((f, p)) => event_pattern(&f, &p)?,
        None => EventPattern::parse(&Json::Object(Vec::new())).expect("the empty pattern is valid"),
    };
    let (f, p) = t.require("target", "where matching events go: \"sqs.NAME\", \"lambda.NAME\" or \"sns.NAME\"")?;
    let target = target(f, &p, names, false)?;
    let label = f.str(&p)?.to_string();
    let defaults = (eventbridge::SUBSCRIBER_RETRY_ATTEMPTS_DEFAULT, eventbridge::SUBSCRIBER_EVENT_AGE_MAX_DEFAULT);
    let (retry_attempts_max, event_age_max) = retry_policy(&mut t, defaults)?;
    let dead_letter_queue = dead_letter_queue(&mut t, names)?;
    t.finish()?;
    let config = eventbridge::RuleConfig {
        name: name.to_string(),
        kind: eventbridge::RouteKind::Subscriber,
        bus,
        pattern,
        targets: vec![eventbridge::TargetPolicy {
            retry_attempts_max,
            event_age_max,
            has_dead_letter_queue: dead_letter_queue.is_some(),
            is_bus: false,
        }],
        target_labels: vec![label],
    };
    Ok((config, vec![target], vec![dead_letter_queue]))
}

/// The `bus` key, which must name a bus of `kind`: rules belong on classic buses,
/// subscribers on Custom Event Buses.
fn bus_of_kind(t: &mut TableReader<'_>, names: &Names<'_>, kind: eventbridge::BusKind) -> Result<BusId> {
    let (f, p) = t.require("bus", "the event bus, e.g. \"eventbridge.default\"")?;
    let bus = component_ref(f, &p, "eventbridge", "event bus", names.buses)?;
    let why = match (kind, names.bus_kinds[bus.0 as usize]) {
        (a, b) if a == b => return Ok(bus),
        (eventbridge::BusKind::Classic, _) => {
            "this bus has kind = \"subscribers\": a Custom Event Bus routes events by subscribers ([subscriber.NAME]), not rules"
        }
        (eventbridge::BusKind::Subscribers, _) => {
            "subscribers belong on a Custom Event Bus (kind = \"subscribers\"); a classic bus routes events by rules ([rule.NAME])"
        }
    };
    Err(f.error(&p, why))
}

/// One target: an SQS queue, a Lambda function, an SNS topic, or, for a rule, a state
/// machine or an event bus (a subscriber of a Custom Event Bus takes the first three here).
fn target(f: Field<'_>, p: &str, names: &Names<'_>, machines: bool) -> Result<RuleTarget> {
    Ok(match f.str(p)?.split_once('.').map(|(k, _)| k) {
        Some("sqs") => {
            RuleTarget::Queue { queue: component_ref(f, p, "sqs", "queue", &names.queues.names)?, group: None }
        }
        Some("lambda") => RuleTarget::Function(component_ref(f, p, "lambda", "function", names.functions)?),
        Some("sns") => RuleTarget::Topic(component_ref(f, p, "sns", "topic", names.topics)?),
        Some("step_functions") if machines => {
            RuleTarget::Machine(component_ref(f, p, "step_functions", "state machine", names.machines)?)
        }
        Some("eventbridge") if machines => {
            RuleTarget::Bus(component_ref(f, p, "eventbridge", "event bus", names.buses)?)
        }
        _ if machines => {
            return Err(f.error(
                p,
                "targets are \"sqs.NAME\", \"lambda.NAME\", \"sns.NAME\", \"step_functions.NAME\" or \"eventbridge.NAME\"",
            ));
        }
        _ => return Err(f.error(p, "a subscriber's target is \"sqs.NAME\", \"lambda.NAME\" or \"sns.NAME\"")),
    })
}

/// `maximum_retry_attempts` and `maximum_event_age_s` (AWS `RetryPolicy`, the same ranges on
/// both kinds of bus), with the kind's defaults.
fn retry_policy(t: &mut TableReader<'_>, (attempts, age): (u32, SimDuration)) -> Result<(u32, SimDuration)> {
    let retry_attempts_max =
        opt(t, "maximum_retry_attempts", |f, p| f.whole_in_table(p))?.map_or(attempts, |n| n as u32);
    let event_age_max = opt(t, "maximum_event_age_s", |f, p| f.whole_in_table(p))?.map_or(age, SimDuration::from_secs);
    Ok((retry_attempts_max, event_age_max))
}

/// `dead_letter_queue`: an SQS standard queue.
fn dead_letter_queue(t: &mut TableReader<'_>, names: &Names<'_>) -> Result<Option<QueueId>> {
    opt(t, "dead_letter_queue", |f, p| {
        let q = component_ref(*f, p, "sqs", "queue", &names.queues.names)?;
        if names.queues.is_fifo(q) {
            return Err(f.error(p, "an EventBridge dead-letter queue must be an SQS standard queue (AWS)"));
        }
        Ok(q)
    })
}

fn event_pattern(f: &Field<'_>, p: &str) -> Result<EventPattern> {
    let json: Json = match &f.node.value {
        Value::Str(text) => {
            let parsed: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| f.error(p, format!("not valid JSON at line {} column {}: {e}", e.line(), e.column())))?;
            from_serde(&parsed)
        }
        Value::Table(_) => from_tree(f.node),
        other => {
            return Err(
                f.error(p, format!("expected the pattern as a JSON string or a table, found {}", other.type_name()))
            );
        }
    };
    EventPattern::parse(&json).map_err(|e| f.error(p, e.to_string()))
}

/// Warns of rules whose bus targets lead back to their own bus (a bus that targets itself,
/// or a cycle through others). AWS allows them, and routes an event that came from another
/// bus to no third bus [eb-bus-to-bus]; orchsim lets an event cross one bus-to-bus hop at
/// most (back to the bus it came from included, which AWS does not say), so the run cannot
/// loop, but such a set-up is seldom meant.
pub(super) fn warn_of_bus_loops(
    rules: &[super::RuleSpec],
    buses: &[eventbridge::BusConfig],
    warnings: &mut Vec<String>,
) {
    let mut edges: Vec<Vec<(usize, &str)>> = vec![Vec::new(); buses.len()];
    for r in rules {
        for t in &r.targets {
            if let RuleTarget::Bus(to) = t {
                edges[r.rule.bus.0 as usize].push((to.0 as usize, r.rule.name.as_str()));
            }
        }
    }
    let mut warn = |path: Vec<String>| {
        warnings.push(format!(
            "rules send events around a loop of buses: {}; an event crosses one bus-to-bus hop at most (AWS routes an event that came from another bus to no third bus), so the loop ends there: a bus that targets itself gets each event once more",
            path.join(" → ")
        ));
    };
    for start in 0..buses.len() {
        let bus = |b: usize, rule: &str| format!("eventbridge.{} (rule.{rule})", buses[b].name);
        let end = format!("eventbridge.{}", buses[start].name);
        for &(_, rule) in edges[start].iter().filter(|(to, _)| *to == start) {
            warn(vec![bus(start, rule), end.clone()]);
        }
        // The first path back through other buses, breadth first; each such loop is
        // reported once, from the bus of the lowest index on it.
        let mut from: Vec<Option<(usize, &str)>> = vec![None; buses.len()];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(b) = queue.pop_front() {
            for &(to, rule) in &edges[b] {
                if to == start && b != start {
                    closing = Some((b, rule));
                    break 'search;
                }
                if to > start && from[to].is_none() {
                    from[to] = Some((b, rule));
                    queue.push_back(to);
                }
            }
        }
        let Some((last, closing_rule)) = closing else { continue };
        // Each bus of the loop with the rule that sends the event on, from `start`.
        let mut hops = vec![(last, closing_rule)];
        let mut b = last;
        while b != start {
            let (prev, rule) = from[b].expect("a bus reached from the start");
            hops.push((prev, rule));
            b = prev;
        }
        hops.reverse();
        let mut path: Vec<String> = hops.iter().map(|&(b, rule)| bus(b, rule)).collect();
        path.push(end);
        warn(path);
    }
}

/// AWS allows at most 300 rules on one bus (100 in some Regions).
pub(super) fn check_rules_per_bus(
    src: &Source<'_>,
    root: &Node,
    rules: &[eventbridge::RuleConfig],
    buses: &[eventbridge::BusConfig],
) -> Result<()> {
    for (i, bus) in buses.iter().enumerate() {
        let is_rule = |r: &&eventbridge::RuleConfig| r.kind == eventbridge::RouteKind::Rule;
        let n = rules.iter().filter(is_rule).filter(|r| r.bus.0 as usize == i).count();
        let max = rules_per_bus_max(&bus.region);
        if n > max {
            return Err(src.error(
                &root.origin,
                &format!("eventbridge.{}", bus.name),
                format!("{n} rules; EventBridge allows {max} per bus in {}", bus.region),
            ));
        }
    }
    Ok(())
}
