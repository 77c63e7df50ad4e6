//! Amazon EventBridge (the default bus, "Custom Event Bus - Classic" and the new "Custom
//! Event Bus"): events put on a bus are matched against every route's event pattern; a
//! route is a classic bus's rule, which sends the event to each of its targets (SQS queues,
//! Lambda functions, SNS topics), or a new bus's subscriber, which sends it to its one
//! target. Failed deliveries are retried by their target's retry policy, and what cannot be
//! delivered goes to the target's dead-letter queue or is dropped.
//!
//! Follows `reference/aws-messaging.md` §5:
//! - default retry policy: 24 hours and up to 185 attempts, exponential backoff with jitter;
//!   `MaximumRetryAttempts` 0–185 and `MaximumEventAgeInSeconds` 60–86,400, whichever is
//!   hit first ends the retries [eb-retry] [bc-events];
//! - a Custom Event Bus (EventsV2, 2026) routes by subscribers (`AWS::EventsV2::Subscriber`),
//!   each with one target, a filter, a `RetryPolicy` defaulting to 5 attempts / 300 s (same
//!   ranges) and a dead-letter queue through `OnFailureConfiguration` [eb-newbus-retry]
//!   [eb-newbus-what] [eb-subscriber];
//! - errors that cannot succeed on retry (missing permission, deleted target) go straight
//!   to the dead-letter queue, which must be an SQS standard queue [eb-dlq-2023];
//! - PutEvents: a quota per account per Region (10,000 events/s in us-east-1), shared by
//!   all the account's buses in that Region [eb-quota-zh] [eb-quota] [eb-put-scope];
//!   5 targets per rule, 300 rules per bus (100 in af-south-1 and eu-south-1);
//! - each 64 KB chunk of a custom event is one billed event [eb-price];
//! - a rule's target may be another event bus of the same account and Region: the event is
//!   put on it, billed there as a custom event, and matched by its rules; an event that came
//!   from another bus is not routed on to a third bus [eb-bus-to-bus], so no event crosses
//!   more than one bus-to-bus hop, and a loop of buses ends after one.
//!
//! Event patterns use the matcher shared with SNS filter policies
//! ([`crate::models::filter_policy::EventPattern`]), over the whole event JSON.
//!
//! Modelling choices where AWS publishes no rule (documented in the book's modelling assumptions):
//! - the backoff doubles from 1 s and is capped at 480 s, which spreads 185 retries over
//!   about 23.6 hours, inside the 24-hour default; each delay gets the same ±10 % jitter
//!   as SNS's; subscribers use the same curve (AWS publishes none for them either): their
//!   default 5 retries wait about 1 + 2 + 4 + 8 + 16 = 31 s, inside the 300 s default;
//! - each target of a rule has its own retry policy and dead-letter queue, as in AWS
//!   (`Targets[].RetryPolicy`, `Targets[].DeadLetterConfig`); each delivery to a target
//!   retries and dead-letters on its own, so one target's failures never hold up another;
//! - deliveries to targets take no virtual time; they fail only when the target throttles.
//!
//! Deliberately absent: on the new Custom Event Bus, FIFO subscribers and event groups,
//! publish-time deduplication, retention and point-in-time subscribers, subscriber batching
//! and the dead-letter record's JSON form (the event itself is dead-lettered); archives and
//! replay, schema discovery, cross-account delivery, input transformers, partner and
//! AWS service event sources (every event here is a custom event), and the target
//! invocation quota (throttled invocations are delayed, not lost, so it only shifts
//! latency at rates far above these scenarios').

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::LatencyHistogram;
use crate::models::filter_policy::{EventPattern, Json};
use crate::models::{Message, TokenBucket};

/// EventBridge's default retry policy for a classic bus's rule targets.
pub const RETRY_ATTEMPTS_DEFAULT: u32 = 185;
pub const EVENT_AGE_MAX_DEFAULT: SimDuration = SimDuration::from_secs(86_400);
/// The default `RetryPolicy` of a Custom Event Bus subscriber [eb-newbus-retry].
pub const SUBSCRIBER_RETRY_ATTEMPTS_DEFAULT: u32 = 5;
pub const SUBSCRIBER_EVENT_AGE_MAX_DEFAULT: SimDuration = SimDuration::from_secs(300);
/// The backoff curve (an assumption): doubling from 1 s, capped at 480 s.
pub const BACKOFF_FIRST: SimDuration = SimDuration::from_secs(1);
pub const BACKOFF_CAP: SimDuration = SimDuration::from_secs(480);
/// AWS bills each 64 KB chunk of an event as one event.
pub const BILLING_CHUNK_BYTES: u64 = 64 * 1024;
const JITTER_FRACTION: f64 = 0.1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusId(pub u32);

impl From<u32> for BusId {
    fn from(i: u32) -> BusId {
        BusId(i)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryId(pub u32);

/// The kind of a bus, which decides how events are routed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BusKind {
    /// The default bus and "Custom Event Bus - Classic": rules with up to 5 targets each.
    #[default]
    Classic,
    /// The Custom Event Bus (EventsV2): subscribers, one target each.
    Subscribers,
}

/// How a route was declared, which names it in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// A classic bus's rule: `rule.NAME`.
    Rule,
    /// A Custom Event Bus subscriber: `subscriber.NAME`.
    Subscriber,
}

impl RouteKind {
    /// The prefix of the route's metric and random-stream names.
    pub fn prefix(self) -> &'static str {
        match self {
            RouteKind::Rule => "rule",
            RouteKind::Subscriber => "subscriber",
        }
    }
}

/// Configuration of one bus, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct BusConfig {
    pub name: String,
    pub kind: BusKind,
    /// The Region whose account-wide PutEvents quota the bus shares with the Region's other
    /// buses.
    pub region: String,
    /// That quota, events per second per account and Region.
    pub put_events_per_s: f64,
}

/// Configuration of one route (a rule, or a subscriber with one target), already validated.
#[derive(Clone, Debug)]
pub struct RuleConfig {
    pub name: String,
    pub kind: RouteKind,
    pub bus: BusId,
    pub pattern: EventPattern,
    /// One per target, in the rule's order; the world knows where each one is.
    pub targets: Vec<TargetPolicy>,
    /// How the results name each target (its element, e.g. `sqs.orders`), in the same order.
    pub target_labels: Vec<String>,
}

/// How deliveries to one target are retried and where they end (AWS `RetryPolicy` and
/// `DeadLetterConfig`, set per target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetPolicy {
    pub retry_attempts_max: u32,
    pub event_age_max: SimDuration,
    pub has_dead_letter_queue: bool,
    /// The target is an event bus, to which an event that came from another bus is not
    /// routed.
    pub is_bus: bool,
}

/// One event on its way to one target.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub rule: RuleId,
    pub target: u32,
    pub message: Message,
    pub retries: u32,
    pub put_at: SimTime,
}

/// What a PutEvents entry did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Accepted,
    Throttled,
}

/// What follows a delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(SimTime),
    DeadLetter(Message),
    Dropped,
}

/// Counters of one bus.
#[derive(Clone, Debug, Default)]
pub struct BusMetrics {
    pub put_events: u64,
    /// AWS service events (free), e.g. Step Functions status changes.
    pub service_events: u64,
    /// Events a rule of another bus (or of this one) put on it, as its target.
    pub from_buses: u64,
    /// Events no rule matched.
    pub unmatched: u64,
    pub throttled: u64,
    /// Events as billed: one per 64 KB chunk.
    pub billed_events: u64,
}

/// Counters of one target of a rule: its share of the rule's.
#[derive(Clone, Debug, Default)]
pub struct TargetMetrics {
    /// Matched events, each one delivery to this target.
    pub deliveries: u64,
    /// Matched events not sent to this target, an event bus, because they came from
    /// another bus (AWS routes an event across one bus-to-bus hop at most).
    pub not_forwarded: u64,
    pub delivered: u64,
    pub failed_attempts: u64,
    pub retries: u64,
    pub dead_lettered: u64,
    pub dropped: u64,
}

/// Counters and latency of one rule.
#[derive(Clone, Debug, Default)]
pub struct RuleMetrics {
    pub matched: u64,
    /// Matched events × the rule's targets: each becomes one delivery, except to a bus
    /// target for an event that came from another bus (`not_forwarded`).
    pub target_deliveries: u64,
    pub not_forwarded: u64,
    pub delivered: u64,
    pub failed_attempts: u64,
    pub retries: u64,
    pub dead_lettered: u64,
    pub dropped: u64,
    /// Deliveries in progress when the statistics window began (for the audit).
    pub in_flight_at_start: u64,
    /// Put to successful delivery.
    pub delivery: LatencyHistogram,
}

#[derive(Debug)]
struct Bus {
    name: String,
    rules: Vec<RuleId>,
    /// Index into `Service::account_quotas`: the bucket of the bus's Region.
    account_quota: usize,
    metrics: BusMetrics,
}

#[derive(Debug)]
struct Rule {
    config: RuleConfig,
    metrics: RuleMetrics,
    /// One per target.
    target_metrics: Vec<TargetMetrics>,
    in_flight: u64,
    /// Its own stream, so adding a rule changes no other's retry timing.
    jitter_rng: SimRng,
}

/// All buses and rules of a scenario.
#[derive(Debug)]
pub struct Service {
    buses: Vec<Bus>,
    rules: Vec<Rule>,
    deliveries: Vec<Option<Delivery>>,
    free: Vec<u32>,
    /// The account's PutEvents quotas, one per Region, shared by the buses there.
    account_quotas: Vec<TokenBucket>,
}

impl Service {
    /// `jitter_rng` gives each route, by its prefixed name (`rule.NAME`, `subscriber.NAME`),
    /// its stream for retry jitter.
    pub fn new(buses: Vec<BusConfig>, rules: Vec<RuleConfig>, mut jitter_rng: impl FnMut(&str) -> SimRng) -> Service {
        // One bucket per Region, in the order the buses name them.
        let mut regions: Vec<String> = Vec::new();
        let mut account_quotas = Vec::new();
        let mut buses: Vec<Bus> = buses
            .into_iter()
            .map(|config| {
                let account_quota = regions.iter().position(|r| *r == config.region).unwrap_or_else(|| {
                    regions.push(config.region.clone());
                    // One second of events as the bucket, as for SNS's publish quota.
                    account_quotas.push(TokenBucket::new(config.put_events_per_s, config.put_events_per_s));
                    regions.len() - 1
                });
                Bus { name: config.name, rules: Vec::new(), account_quota, metrics: BusMetrics::default() }
            })
            .collect();
        let rules = rules
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                buses[config.bus.0 as usize].rules.push(RuleId(i as u32));
                let jitter_rng = jitter_rng(&format!("{}.{}", config.kind.prefix(), config.name));
                let target_metrics = vec![TargetMetrics::default(); config.targets.len()];
                Rule { config, metrics: RuleMetrics::default(), target_metrics, in_flight: 0, jitter_rng }
            })
            .collect();
        Service { buses, rules, deliveries: Vec::new(), free: Vec::new(), account_quotas }
    }

    pub fn bus_count(&self) -> usize {
        self.buses.len()
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn bus(&self, b: BusId) -> (&str, &BusMetrics) {
        let bus = &self.buses[b.0 as usize];
        (&bus.name, &bus.metrics)
    }

    pub fn rule(&self, r: RuleId) -> (&RuleConfig, &RuleMetrics, u64) {
        let rule = &self.rules[r.0 as usize];
        (&rule.config, &rule.metrics, rule.in_flight)
    }

    /// The counters of each target of the rule, in the rule's order.
    pub fn target_metrics(&self, r: RuleId) -> &[TargetMetrics] {
        &self.rules[r.0 as usize].target_metrics
    }

    pub fn in_flight(&self) -> u64 {
        (self.deliveries.len() - self.free.len()) as u64
    }

    pub fn delivery(&self, d: DeliveryId) -> &Delivery {
        self.deliveries[d.0 as usize].as_ref().expect("a live delivery")
    }

    /// PutEvents for one event: matches every rule of the bus; `deliveries` receives one
    /// delivery per (matching rule, target), to be attempted now.
    pub fn put(
        &mut self,
        now: SimTime,
        b: BusId,
        message: Message,
        event: &Json,
        deliveries: &mut Vec<DeliveryId>,
    ) -> PutOutcome {
        self.accept(now, b, message, event, false, deliveries)
    }

    /// A rule's delivery to bus `b`, its target: the event is put on `b` under the account's
    /// PutEvents quota (a throttled delivery is retried by the rule, as any target's),
    /// billed as a custom event [eb-bus-to-bus], and matched by `b`'s rules, which send it
    /// to every target but another bus.
    pub fn put_from_bus(
        &mut self,
        now: SimTime,
        b: BusId,
        message: Message,
        event: &Json,
        deliveries: &mut Vec<DeliveryId>,
    ) -> PutOutcome {
        self.accept(now, b, message, event, true, deliveries)
    }

    /// An event put on bus `b`, by a caller or by another bus's rule (`from_bus`): taken
    /// under the account's PutEvents quota, counted, billed by 64 KB chunk and routed.
    fn accept(
        &mut self,
        now: SimTime,
        b: BusId,
        message: Message,
        event: &Json,
        from_bus: bool,
        deliveries: &mut Vec<DeliveryId>,
    ) -> PutOutcome {
        let bus = &mut self.buses[b.0 as usize];
        if !self.account_quotas[bus.account_quota].try_take(now) {
            bus.metrics.throttled += 1;
            return PutOutcome::Throttled;
        }
        if from_bus {
            bus.metrics.from_buses += 1;
        } else {
            bus.metrics.put_events += 1;
        }
        bus.metrics.billed_events += u64::from(message.size_bytes).div_ceil(BILLING_CHUNK_BYTES).max(1);
        self.route(now, b, message, event, from_bus, deliveries);
        PutOutcome::Accepted
    }

    /// Matches an accepted event against the bus's rules and creates the deliveries; an
    /// event `from_bus` makes none to bus targets.
    fn route(
        &mut self,
        now: SimTime,
        b: BusId,
        message: Message,
        event: &Json,
        from_bus: bool,
        deliveries: &mut Vec<DeliveryId>,
    ) {
        let mut is_matched = false;
        for i in 0..self.buses[b.0 as usize].rules.len() {
            let r = self.buses[b.0 as usize].rules[i];
            let rule = &mut self.rules[r.0 as usize];
            if !rule.config.pattern.matches(event) {
                continue;
            }
            is_matched = true;
            rule.metrics.matched += 1;
            for target in 0..rule.config.targets.len() as u32 {
                if from_bus && rule.config.targets[target as usize].is_bus {
                    rule.metrics.not_forwarded += 1;
                    rule.target_metrics[target as usize].not_forwarded += 1;
                    continue;
                }
                rule.metrics.target_deliveries += 1;
                rule.in_flight += 1;
                rule.target_metrics[target as usize].deliveries += 1;
                let delivery = Delivery { rule: r, target, message, retries: 0, put_at: now };
                let id = match self.free.pop() {
                    Some(id) => {
                        self.deliveries[id as usize] = Some(delivery);
                        id
                    }
                    None => {
                        self.deliveries.push(Some(delivery));
                        self.deliveries.len() as u32 - 1
                    }
                };
                deliveries.push(DeliveryId(id));
            }
        }
        if !is_matched {
            self.buses[b.0 as usize].metrics.unmatched += 1;
        }
    }

    /// An AWS service event (a Step Functions status change) on the default bus: matched
    /// like any event, but free and outside the PutEvents quota [eb-price].
    pub fn put_service_event(
        &mut self,
        now: SimTime,
        b: BusId,
        message: Message,
        event: &Json,
        deliveries: &mut Vec<DeliveryId>,
    ) {
        self.buses[b.0 as usize].metrics.service_events += 1;
        self.route(now, b, message, event, false, deliveries);
    }

    /// The result of an attempt: `failure` is `None` on success, else whether it is worth
    /// retrying.
    pub fn on_attempt(&mut self, now: SimTime, d: DeliveryId, failure: Option<bool>) -> AfterAttempt {
        let delivery = *self.delivery(d);
        let rule = &mut self.rules[delivery.rule.0 as usize];
        let policy = rule.config.targets[delivery.target as usize];
        let target = &mut rule.target_metrics[delivery.target as usize];
        let Some(is_retryable) = failure else {
            target.delivered += 1;
            rule.metrics.delivered += 1;
            rule.metrics.delivery.record(now.saturating_since(delivery.put_at));
            self.release(d);
            return AfterAttempt::Delivered;
        };
        rule.metrics.failed_attempts += 1;
        target.failed_attempts += 1;
        let next = delivery.retries + 1;
        let delay = jittered(backoff(next), &mut rule.jitter_rng);
        let is_young = (now + delay).saturating_since(delivery.put_at) <= policy.event_age_max;
        if is_retryable && next <= policy.retry_attempts_max && is_young {
            rule.metrics.retries += 1;
            target.retries += 1;
            if let Some(entry) = self.deliveries[d.0 as usize].as_mut() {
                entry.retries = next;
            }
            return AfterAttempt::RetryAt(now + delay);
        }
        let after = if policy.has_dead_letter_queue {
            rule.metrics.dead_lettered += 1;
            target.dead_lettered += 1;
            AfterAttempt::DeadLetter(delivery.message)
        } else {
            rule.metrics.dropped += 1;
            target.dropped += 1;
            AfterAttempt::Dropped
        };
        self.release(d);
        after
    }

    fn release(&mut self, d: DeliveryId) {
        let delivery = self.deliveries[d.0 as usize].take().expect("a live delivery");
        self.rules[delivery.rule.0 as usize].in_flight -= 1;
        self.free.push(d.0);
    }

    /// Starts a new statistics window (end of warm-up).
    pub fn reset_metrics(&mut self) {
        for b in &mut self.buses {
            b.metrics = BusMetrics::default();
        }
        for r in &mut self.rules {
            r.metrics = RuleMetrics { in_flight_at_start: r.in_flight, ..RuleMetrics::default() };
            r.target_metrics.fill(TargetMetrics::default());
        }
    }
}

/// The delay before retry `retry` (1-based), before jitter.
pub fn backoff(retry: u32) -> SimDuration {
    let doubled = BACKOFF_FIRST.as_micros().saturating_mul(1u64 << (retry - 1).min(40));
    SimDuration::from_micros(doubled.min(BACKOFF_CAP.as_micros()))
}

fn jittered(delay: SimDuration, rng: &mut SimRng) -> SimDuration {
    let factor = 1.0 + JITTER_FRACTION * (2.0 * rng.unit() - 1.0);
    SimDuration::from_secs_f64(delay.as_secs_f64() * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_spreads_185_retries_over_just_under_a_day() {
        let total: u64 = (1..=RETRY_ATTEMPTS_DEFAULT).map(|k| backoff(k).as_micros()).sum();
        let hours = total as f64 / 3.6e9;
        // 1 + 2 + … + 256 = 511 s, then 176 × 480 s.
        assert_eq!(total, (511 + 176 * 480) * 1_000_000);
        assert!((23.0..24.0).contains(&hours), "{hours}");
    }

    /// A Custom Event Bus with one subscriber whose target fails every attempt: the times of
    /// its retries and how the event ends.
    fn always_failing(
        retry_attempts_max: u32,
        event_age_max_s: u64,
        has_dead_letter_queue: bool,
    ) -> (Vec<f64>, AfterAttempt) {
        let bus = BusConfig {
            name: "orders".into(),
            kind: BusKind::Subscribers,
            region: "us-east-1".into(),
            put_events_per_s: 10_000.0,
        };
        let subscriber = RuleConfig {
            name: "s".into(),
            kind: RouteKind::Subscriber,
            bus: BusId(0),
            pattern: EventPattern::parse(&Json::Object(Vec::new())).unwrap(),
            targets: vec![TargetPolicy {
                retry_attempts_max,
                event_age_max: SimDuration::from_secs(event_age_max_s),
                has_dead_letter_queue,
                is_bus: false,
            }],
            target_labels: vec!["sqs.q".into()],
        };
        let rngs = crate::engine::RngFactory::new(7);
        let mut service = Service::new(vec![bus], vec![subscriber], |name| rngs.stream(name));
        let mut deliveries = Vec::new();
        let put = service.put(
            SimTime::ZERO,
            BusId(0),
            Message::new(SimTime::ZERO, 100),
            &Json::Object(Vec::new()),
            &mut deliveries,
        );
        assert_eq!((put, deliveries.len()), (PutOutcome::Accepted, 1));
        let mut now = SimTime::ZERO;
        let mut retries_at = Vec::new();
        loop {
            match service.on_attempt(now, deliveries[0], Some(true)) {
                AfterAttempt::RetryAt(at) => {
                    now = at;
                    retries_at.push(at.as_secs_f64());
                }
                end => return (retries_at, end),
            }
        }
    }

    #[test]
    fn a_subscriber_retries_5_times_by_default_then_dead_letters_within_a_minute() {
        let (retries, end) = always_failing(SUBSCRIBER_RETRY_ATTEMPTS_DEFAULT, 300, true);
        assert_eq!(retries.len(), 5);
        assert!(matches!(end, AfterAttempt::DeadLetter(_)), "{end:?}");
        // 1 + 2 + 4 + 8 + 16 = 31 s, each wait within its jitter.
        let last = retries[4];
        assert!((27.0..35.0).contains(&last), "{last} s");
    }

    #[test]
    fn a_subscriber_with_the_classic_policy_retries_185_times_over_about_a_day() {
        let (retries, _) = always_failing(185, 86_400, true);
        assert_eq!(retries.len(), 185);
        let hours = retries[184] / 3_600.0;
        assert!((21.0..26.0).contains(&hours), "{hours} h");
        // The 300 s age ends a long schedule before its attempts run out.
        let (retries, _) = always_failing(20, 300, true);
        assert!((7..=9).contains(&retries.len()), "{}", retries.len());
        assert!(retries.iter().all(|t| *t <= 300.0));
    }

    #[test]
    fn without_a_dead_letter_queue_a_subscriber_drops_what_it_cannot_deliver() {
        let (retries, end) = always_failing(SUBSCRIBER_RETRY_ATTEMPTS_DEFAULT, 300, false);
        assert_eq!((retries.len(), end), (5, AfterAttempt::Dropped));
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_the_cap() {
        let delays: Vec<u64> = (1..=11).map(|k| backoff(k).as_micros() / 1_000_000).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 480, 480]);
    }
}
