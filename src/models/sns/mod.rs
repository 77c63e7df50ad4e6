//! Amazon SNS: standard and FIFO topics fanning out to subscriptions (SQS queues, Lambda
//! functions, HTTP/S endpoints, email, SMS and mobile push), with filter policies, the
//! delivery retry policies, subscription dead-letter queues, raw message delivery and the
//! publish quotas.
//!
//! Follows `reference/aws-messaging.md` §2:
//! - a publish is matched against every subscription's filter policy at once; each match
//!   is a delivery, attempted at once and retried on server-side failures (5xx, 429, no
//!   response) by the endpoint class's policy ([`retry`]); other 4xx are permanent; a
//!   delivery that exhausts its policy or fails permanently goes to the subscription's
//!   dead-letter queue if it has one, else is dropped (both counted) [sns-retries]
//!   [sns-dlq-2022];
//! - FIFO topics deliver to SQS only, keep the message group and deduplication id, and drop
//!   duplicates within 5 minutes [sns-fifo-dedup-2022];
//! - publish quotas: the account's Region figure (30,000 messages/s in us-east-1) is
//!   shared by all its standard topics, and another by all its FIFO topics; a FIFO topic
//!   with `FifoThroughputScope` `Topic` (the default) also takes at most 3,000 messages/s or
//!   20 MB/s, one with `MessageGroup` (high throughput) only the Region's figure; every FIFO
//!   message group at most 300 messages/s [gr-sns]; a throttled publish is the publisher's
//!   to retry;
//! - PublishBatch: up to 10 messages and 256 KiB in all per call; the publish quotas count
//!   its messages, and the call is billed by 64 KiB chunks of its whole payload, like one
//!   publish of that size [gr-sns] [bc-sns] [sns-batch];
//! - each 64 KiB chunk of a publish is one billed request; raw message delivery sends the
//!   body as published, otherwise the JSON envelope adds bytes [sns-raw-2022].
//!
//! Modelling choices where AWS publishes no rule (documented in the book's modelling assumptions):
//! - deliveries to SQS and Lambda take no virtual time; an SQS delivery fails only when the
//!   queue throttles (FIFO quota), a Lambda delivery only when the invoke is throttled;
//! - the notification envelope adds [`ENVELOPE_OVERHEAD_BYTES`] to the message size;
//! - a delivery is billed when it succeeds;
//! - the quotas are token buckets holding one second of messages (or bytes);
//! - `maxReceivesPerSecond` spaces an HTTP/S subscription's attempts evenly at that rate
//!   (AWS: an average, not a strict cap); a backlog builds when publishes outpace it.
//!
//! Deliberately absent: subscription confirmation, Firehose subscriptions, archive and replay, message data
//! protection, and Lambda's own asynchronous retries of function errors.

pub mod retry;

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::LatencyHistogram;
use crate::models::filter_policy::{AttributeValue, FilterPolicy, Json, Scope};
use crate::models::{Deduplication, Message, TokenBucket};

pub use retry::{Failure, RetryPolicy};

/// Bytes the JSON notification envelope (Type, MessageId, TopicArn, Timestamp, signature
/// fields, attributes) adds to a message; an assumption from the envelope's fields.
pub const ENVELOPE_OVERHEAD_BYTES: u32 = 1_024;
/// AWS bills each 64 KiB chunk of a publish as one request.
pub const BILLING_CHUNK_BYTES: u64 = 64 * 1024;
/// FIFO topic quotas per topic and per message group [gr-sns].
pub const FIFO_MESSAGES_PER_S: f64 = 3_000.0;
pub const FIFO_BYTES_PER_S: f64 = 20.0 * 1024.0 * 1024.0;
pub const FIFO_GROUP_MESSAGES_PER_S: f64 = 300.0;

/// Index of a topic within [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub u32);

impl From<u32> for TopicId {
    fn from(i: u32) -> TopicId {
        TopicId(i)
    }
}

/// Index of a subscription within [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId(pub u32);

/// Index of an in-progress delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryId(pub u32);

/// How SNS reaches a subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Sqs,
    Lambda,
    Http,
    Https,
    Email,
    EmailJson,
    Sms,
    MobilePush,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sqs => "sqs",
            Protocol::Lambda => "lambda",
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Email => "email",
            Protocol::EmailJson => "email-json",
            Protocol::Sms => "sms",
            Protocol::MobilePush => "application",
        }
    }

    /// The retry policy AWS applies to this class of endpoint by default.
    pub fn default_retry_policy(self) -> RetryPolicy {
        match self {
            Protocol::Sqs | Protocol::Lambda => RetryPolicy::aws_managed(),
            Protocol::Http | Protocol::Https => RetryPolicy::http_default(),
            Protocol::Email | Protocol::EmailJson | Protocol::Sms | Protocol::MobilePush => {
                RetryPolicy::customer_managed()
            }
        }
    }
}

/// Configuration of one topic, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicConfig {
    pub name: String,
    pub is_fifo: bool,
    /// The Region whose account-wide publish quota the topic shares with the Region's other
    /// topics of its kind (standard or FIFO).
    pub region: String,
    /// That quota, messages per second per account and Region.
    pub account_messages_per_s: f64,
    /// FIFO topics: whether the topic's own 3,000 messages/s and 20 MB/s apply.
    pub throughput_scope: FifoThroughputScope,
}

/// A FIFO topic's `FifoThroughputScope`: which throughput quota applies [bc-sns].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FifoThroughputScope {
    /// 3,000 messages/s and 20 MB/s per topic, within the Region's figure.
    #[default]
    Topic,
    /// High throughput: the Region's figure only (300 messages/s per group still apply).
    MessageGroup,
}

/// Configuration of one subscription, already validated.
#[derive(Clone, Debug)]
pub struct SubscriptionConfig {
    pub name: String,
    pub topic: TopicId,
    pub protocol: Protocol,
    pub filter: Option<(FilterPolicy, Scope)>,
    pub raw_message_delivery: bool,
    pub retry: RetryPolicy,
    pub has_dead_letter_queue: bool,
    /// HTTP/S `throttlePolicy.maxReceivesPerSecond`: attempts are spaced to this average
    /// rate, and a backlog builds when publishes outpace it.
    pub max_receives_per_second: Option<u32>,
}

/// What a publish did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    Accepted,
    /// FIFO: a duplicate within 5 minutes, accepted but not delivered.
    Deduplicated,
    /// Over a publish quota; the publisher should retry.
    Throttled,
}

/// What follows a delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    /// Try again at this time.
    RetryAt(SimTime),
    /// Send the message to the subscription's dead-letter queue.
    DeadLetter(Message),
    Dropped,
}

/// A delivery that a publish made, for the caller to attempt now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// Kept by the service until it is settled (see [`Service::on_attempt`]).
    Kept(DeliveryId),
    /// A subscription marked with [`Service::attempt_at_once`]: its first attempt is made
    /// and settled by the caller before the publish returns, so it is kept only if that
    /// attempt fails ([`Service::keep_failed`]); one that succeeds is reported with
    /// [`Service::on_delivered_at_once`].
    AtOnce(SubscriptionId, Message),
}

/// One delivery in progress.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub subscription: SubscriptionId,
    /// As the subscriber receives it (envelope included unless raw).
    pub message: Message,
    /// Retries made so far.
    pub retries: u32,
}

/// Counters of one topic.
#[derive(Clone, Debug, Default)]
pub struct TopicMetrics {
    pub published: u64,
    pub deduplicated: u64,
    pub throttled: u64,
    /// Requests as billed: one per 64 KiB chunk of each publish, and of each PublishBatch
    /// call's whole payload (its entries are not billed on their own).
    pub billed_requests: u64,
    pub published_bytes: u64,
}

/// Counters and latency of one subscription.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionMetrics {
    pub matched: u64,
    pub filtered_out: u64,
    pub delivered: u64,
    pub failed_attempts: u64,
    pub retries: u64,
    pub dead_lettered: u64,
    pub dropped: u64,
    /// Deliveries in progress when the statistics window began (for the audit).
    pub in_flight_at_start: u64,
    /// Publish to successful delivery.
    pub delivery: LatencyHistogram,
}

/// All topics and subscriptions of a scenario.
#[derive(Debug)]
pub struct Service {
    topics: Vec<Topic>,
    subscriptions: Vec<Subscription>,
    deliveries: Vec<Option<(Delivery, SimTime)>>,
    free: Vec<u32>,
    /// FIFO topics: per (subscription, message group), the deliveries in publish order; only
    /// the head is attempted, so a retry holds back the rest of its group.
    fifo_lines: BTreeMap<(u32, u32), VecDeque<u32>>,
    /// The account's publish quotas, one per Region and kind of topic (standard or FIFO),
    /// shared by the topics that name them.
    account_quotas: Vec<TokenBucket>,
}

#[derive(Debug)]
struct Topic {
    config: TopicConfig,
    subscriptions: Vec<SubscriptionId>,
    deduplication: Deduplication,
    /// Index into `Service::account_quotas`: the Region's bucket for the topic's kind.
    account_quota: usize,
    /// A FIFO topic's own quotas (scope `Topic`): messages and bytes per second.
    topic_quota: Option<(TokenBucket, TokenBucket)>,
    group_quotas: Vec<TokenBucket>,
    metrics: TopicMetrics,
}

#[derive(Debug)]
struct Subscription {
    config: SubscriptionConfig,
    metrics: SubscriptionMetrics,
    /// Its own stream, so adding a subscription changes no other's retry timing.
    jitter_rng: SimRng,
    /// Deliveries not finished (attempting or waiting to retry).
    in_flight: u64,
    /// `maxReceivesPerSecond` pacing: the earliest time the next attempt may start.
    next_attempt_at: SimTime,
    /// Set by [`Service::attempt_at_once`].
    is_at_once: bool,
}

impl Service {
    /// `jitter_rng` gives each subscription (by name) its stream for retry jitter.
    pub fn new(
        topics: Vec<TopicConfig>,
        subscriptions: Vec<SubscriptionConfig>,
        mut jitter_rng: impl FnMut(&str) -> SimRng,
    ) -> Service {
        // One bucket per Region and kind of topic, in the order the topics name them.
        let mut account_keys: Vec<(String, bool)> = Vec::new();
        let mut account_quotas = Vec::new();
        let mut topics: Vec<Topic> = topics
            .into_iter()
            .map(|config| {
                let key = (config.region.clone(), config.is_fifo);
                let account_quota = account_keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    account_keys.push(key);
                    let per_s = config.account_messages_per_s;
                    account_quotas.push(TokenBucket::new(per_s, per_s));
                    account_keys.len() - 1
                });
                let topic_quota =
                    (config.is_fifo && config.throughput_scope == FifoThroughputScope::Topic).then(|| {
                        (
                            TokenBucket::new(FIFO_MESSAGES_PER_S, FIFO_MESSAGES_PER_S),
                            TokenBucket::new(FIFO_BYTES_PER_S, FIFO_BYTES_PER_S),
                        )
                    });
                Topic {
                    config,
                    subscriptions: Vec::new(),
                    deduplication: Deduplication::default(),
                    account_quota,
                    topic_quota,
                    group_quotas: Vec::new(),
                    metrics: TopicMetrics::default(),
                }
            })
            .collect();
        let subscriptions: Vec<Subscription> = subscriptions
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                topics[config.topic.0 as usize].subscriptions.push(SubscriptionId(i as u32));
                let jitter_rng = jitter_rng(&config.name);
                Subscription {
                    config,
                    metrics: SubscriptionMetrics::default(),
                    jitter_rng,
                    in_flight: 0,
                    next_attempt_at: SimTime::ZERO,
                    is_at_once: false,
                }
            })
            .collect();
        Service {
            topics,
            subscriptions,
            deliveries: Vec::new(),
            free: Vec::new(),
            fifo_lines: BTreeMap::new(),
            account_quotas,
        }
    }

    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// The subscriptions of topic `t`.
    pub fn subscriptions_of(&self, t: TopicId) -> &[SubscriptionId] {
        &self.topics[t.0 as usize].subscriptions
    }

    pub fn topic(&self, t: TopicId) -> (&TopicConfig, &TopicMetrics) {
        let topic = &self.topics[t.0 as usize];
        (&topic.config, &topic.metrics)
    }

    pub fn subscription(&self, s: SubscriptionId) -> (&SubscriptionConfig, &SubscriptionMetrics) {
        let sub = &self.subscriptions[s.0 as usize];
        (&sub.config, &sub.metrics)
    }

    /// Hands over a subscription's delivery latencies, leaving an empty histogram: a topic
    /// may have thousands of subscriptions, and the end of a run should not hold two copies.
    pub fn take_delivery_latencies(&mut self, s: SubscriptionId) -> LatencyHistogram {
        std::mem::take(&mut self.subscriptions[s.0 as usize].metrics.delivery)
    }

    /// Deliveries not yet finished (attempting or waiting for a retry).
    pub fn in_flight(&self) -> u64 {
        (self.deliveries.len() - self.free.len()) as u64
    }

    /// Deliveries of subscription `s` not yet finished.
    pub fn in_flight_of(&self, s: SubscriptionId) -> u64 {
        self.subscriptions[s.0 as usize].in_flight
    }

    /// Marks subscription `s` as one whose caller attempts every new delivery at once and
    /// settles that attempt before the publish returns (an SQS subscription whose delivery
    /// takes no virtual time): its publishes give [`Dispatch::AtOnce`], which spares keeping
    /// a delivery that lives for no time. Only a standard topic's subscription without
    /// pacing may be marked: a FIFO delivery may have to wait for its group, a paced one for
    /// its turn.
    pub fn attempt_at_once(&mut self, s: SubscriptionId) {
        let sub = &mut self.subscriptions[s.0 as usize];
        assert!(!self.topics[sub.config.topic.0 as usize].config.is_fifo, "a FIFO delivery may have to wait");
        assert!(sub.config.max_receives_per_second.is_none(), "a paced delivery may have to wait");
        sub.is_at_once = true;
    }

    /// The first attempt of a [`Dispatch::AtOnce`] delivery succeeded the moment it was
    /// published: counted as a kept delivery's success would be, with no latency.
    pub fn on_delivered_at_once(&mut self, s: SubscriptionId) {
        let metrics = &mut self.subscriptions[s.0 as usize].metrics;
        metrics.delivered += 1;
        metrics.delivery.record(SimDuration::ZERO);
    }

    /// The first attempt of a [`Dispatch::AtOnce`] delivery of `message` failed: keeps it
    /// as the publish would have, for [`Service::on_attempt`] to settle.
    pub fn keep_failed(&mut self, now: SimTime, s: SubscriptionId, message: Message) -> DeliveryId {
        self.subscriptions[s.0 as usize].in_flight += 1;
        self.store(Delivery { subscription: s, message, retries: 0 }, now)
    }

    /// With `maxReceivesPerSecond`, the time an attempt of `d` wanted at `now` may start
    /// (and reserves that slot); `None` when it may start now.
    pub fn pace(&mut self, now: SimTime, d: DeliveryId) -> Option<SimTime> {
        let s = self.delivery(d).subscription;
        let sub = &mut self.subscriptions[s.0 as usize];
        let rate = sub.config.max_receives_per_second?;
        let at = sub.next_attempt_at.max(now);
        sub.next_attempt_at = at + SimDuration::from_secs_f64(1.0 / f64::from(rate));
        (at > now).then_some(at)
    }

    pub fn delivery(&self, d: DeliveryId) -> &Delivery {
        &self.deliveries[d.0 as usize].as_ref().expect("a live delivery").0
    }

    /// Publish: checks the quotas and deduplication, then matches every subscription's
    /// filter policy; `deliveries` receives one delivery per match, to be attempted now.
    pub fn publish(
        &mut self,
        now: SimTime,
        t: TopicId,
        message: Message,
        attributes: &[(String, AttributeValue)],
        body: Option<&Json>,
        deliveries: &mut Vec<Dispatch>,
    ) -> PublishOutcome {
        let outcome = self.publish_unbilled(now, t, message, attributes, body, deliveries);
        if outcome != PublishOutcome::Throttled {
            self.topics[t.0 as usize].metrics.billed_requests += billed_chunks(u64::from(message.size_bytes));
        }
        outcome
    }

    /// One entry of a PublishBatch that [`Service::admits_batch`] admitted (and billed):
    /// published like a Publish, its quota tokens taken, not billed on its own.
    pub fn publish_batch_entry(
        &mut self,
        now: SimTime,
        t: TopicId,
        message: Message,
        attributes: &[(String, AttributeValue)],
        body: Option<&Json>,
        deliveries: &mut Vec<Dispatch>,
    ) {
        let outcome = self.publish_unbilled(now, t, message, attributes, body, deliveries);
        assert_ne!(outcome, PublishOutcome::Throttled, "an admitted batch fits the quotas");
    }

    fn publish_unbilled(
        &mut self,
        now: SimTime,
        t: TopicId,
        message: Message,
        attributes: &[(String, AttributeValue)],
        body: Option<&Json>,
        deliveries: &mut Vec<Dispatch>,
    ) -> PublishOutcome {
        let topic = &mut self.topics[t.0 as usize];
        if !topic.take_quota(now, &message, &mut self.account_quotas[topic.account_quota]) {
            topic.metrics.throttled += 1;
            return PublishOutcome::Throttled;
        }
        if topic.config.is_fifo && topic.deduplication.is_duplicate(now, message.deduplication_id) {
            topic.metrics.deduplicated += 1;
            return PublishOutcome::Deduplicated;
        }
        topic.metrics.published += 1;
        topic.metrics.published_bytes += u64::from(message.size_bytes);
        for i in 0..self.topics[t.0 as usize].subscriptions.len() {
            let s = self.topics[t.0 as usize].subscriptions[i];
            let sub = &mut self.subscriptions[s.0 as usize];
            let is_match = match &sub.config.filter {
                None => true,
                Some((policy, Scope::MessageAttributes)) => policy.matches_attributes(attributes),
                Some((policy, Scope::MessageBody)) => body.is_some_and(|b| policy.matches_body(b)),
            };
            if !is_match {
                sub.metrics.filtered_out += 1;
                continue;
            }
            sub.metrics.matched += 1;
            let delivered = if sub.config.raw_message_delivery || sub.config.protocol == Protocol::Lambda {
                message
            } else {
                Message { size_bytes: message.size_bytes.saturating_add(ENVELOPE_OVERHEAD_BYTES), ..message }
            };
            if sub.is_at_once {
                deliveries.push(Dispatch::AtOnce(s, delivered));
                continue;
            }
            sub.in_flight += 1;
            let delivery = Delivery { subscription: s, message: delivered, retries: 0 };
            let id = self.store(delivery, now);
            if self.topics[t.0 as usize].config.is_fifo {
                let line = self.fifo_lines.entry((s.0, message.group)).or_default();
                line.push_back(id.0);
                if line.len() > 1 {
                    continue; // waits for the earlier messages of its group
                }
            }
            deliveries.push(Dispatch::Kept(id));
        }
        PublishOutcome::Accepted
    }

    /// PublishBatch: whether topic `t`'s quotas can take all of `messages` now. AWS counts
    /// the publish quotas in messages, not calls [gr-sns]; a call they cannot take whole is
    /// throttled whole (the call's ThrottledException [bc-sns]; whether AWS would accept part
    /// of it is not documented), each of its messages counted in `throttled`. An admitted
    /// call is billed as one request per 64 KiB chunk of its whole payload, which is how
    /// batching cuts the publish bill "by a factor of up to 10" [sns-batch]; its messages
    /// are then published one by one with [`Service::publish_batch_entry`]. Takes no
    /// quota tokens.
    pub fn admits_batch(&mut self, now: SimTime, t: TopicId, messages: impl Iterator<Item = Message> + Clone) -> bool {
        let topic = &mut self.topics[t.0 as usize];
        let count = messages.clone().count();
        let bytes: f64 = messages.clone().map(|m| f64::from(m.size_bytes)).sum();
        let n = count as f64;
        let mut allowed = self.account_quotas[topic.account_quota].has(now, n)
            && topic.topic_quota.as_mut().is_none_or(|(m, b)| m.has(now, n) && b.has(now, bytes));
        if topic.config.is_fifo {
            let mut per_group: BTreeMap<u32, f64> = BTreeMap::new();
            for m in messages {
                *per_group.entry(m.group).or_default() += 1.0;
            }
            for (group, messages) in per_group {
                allowed &= topic.group_quota(group).has(now, messages);
            }
        }
        if allowed {
            topic.metrics.billed_requests += billed_chunks(bytes as u64);
        } else {
            topic.metrics.throttled += count as u64;
        }
        allowed
    }

    fn store(&mut self, delivery: Delivery, published_at: SimTime) -> DeliveryId {
        match self.free.pop() {
            Some(i) => {
                self.deliveries[i as usize] = Some((delivery, published_at));
                DeliveryId(i)
            }
            None => {
                self.deliveries.push(Some((delivery, published_at)));
                DeliveryId(self.deliveries.len() as u32 - 1)
            }
        }
    }

    /// The result of an attempt of delivery `d`: `None` if it succeeded, else how it failed.
    /// When a FIFO delivery finishes, the next one of its group, if any, goes into
    /// `unblocked` to be attempted now.
    pub fn on_attempt(
        &mut self,
        now: SimTime,
        d: DeliveryId,
        failure: Option<Failure>,
        unblocked: &mut Vec<DeliveryId>,
    ) -> AfterAttempt {
        let (delivery, published_at) = self.deliveries[d.0 as usize].expect("a live delivery");
        let sub = &mut self.subscriptions[delivery.subscription.0 as usize];
        let Some(failure) = failure else {
            sub.metrics.delivered += 1;
            sub.metrics.delivery.record(now.saturating_since(published_at));
            self.release(d, unblocked);
            return AfterAttempt::Delivered;
        };
        sub.metrics.failed_attempts += 1;
        let next = delivery.retries + 1;
        if failure.is_retryable() && next <= sub.config.retry.retries() {
            sub.metrics.retries += 1;
            let (_, delay) = sub.config.retry.delay(next);
            let delay = retry::jittered(delay, &mut sub.jitter_rng, retry::JITTER_FRACTION_DEFAULT);
            if let Some((entry, _)) = self.deliveries[d.0 as usize].as_mut() {
                entry.retries = next;
            }
            return AfterAttempt::RetryAt(now + delay);
        }
        let after = if sub.config.has_dead_letter_queue {
            sub.metrics.dead_lettered += 1;
            AfterAttempt::DeadLetter(delivery.message)
        } else {
            sub.metrics.dropped += 1;
            AfterAttempt::Dropped
        };
        self.release(d, unblocked);
        after
    }

    fn release(&mut self, d: DeliveryId, unblocked: &mut Vec<DeliveryId>) {
        let (delivery, _) = self.deliveries[d.0 as usize].take().expect("a live delivery");
        let s = delivery.subscription;
        self.subscriptions[s.0 as usize].in_flight -= 1;
        let topic = self.subscriptions[s.0 as usize].config.topic;
        if self.topics[topic.0 as usize].config.is_fifo {
            let key = (s.0, delivery.message.group);
            let line = self.fifo_lines.get_mut(&key).expect("a FIFO delivery is in its line");
            assert_eq!(line.pop_front(), Some(d.0), "only the head of a FIFO line is attempted");
            match line.front() {
                Some(&next) => unblocked.push(DeliveryId(next)),
                None => {
                    self.fifo_lines.remove(&key);
                }
            }
        }
        self.free.push(d.0);
    }

    /// Starts a new statistics window (end of warm-up).
    pub fn reset_metrics(&mut self) {
        for t in &mut self.topics {
            t.metrics = TopicMetrics::default();
        }
        for s in &mut self.subscriptions {
            s.metrics = SubscriptionMetrics { in_flight_at_start: s.in_flight, ..SubscriptionMetrics::default() };
        }
    }
}

impl Topic {
    /// Checks every quota first and takes from them only if all allow it, so a publish
    /// refused by one limit uses none of the others.
    /// A FIFO message group's 300 messages a second, made full on the group's first use.
    fn group_quota(&mut self, group: u32) -> &mut TokenBucket {
        let g = group as usize;
        if g >= self.group_quotas.len() {
            self.group_quotas.resize(g + 1, TokenBucket::new(FIFO_GROUP_MESSAGES_PER_S, FIFO_GROUP_MESSAGES_PER_S));
        }
        &mut self.group_quotas[g]
    }

    fn take_quota(&mut self, now: SimTime, message: &Message, account: &mut TokenBucket) -> bool {
        let size = f64::from(message.size_bytes);
        if self.config.is_fifo {
            self.group_quota(message.group);
        }
        let group = self.config.is_fifo.then_some(message.group as usize);
        let allowed = account.has(now, 1.0)
            && self.topic_quota.as_mut().is_none_or(|(m, b)| m.has(now, 1.0) && b.has(now, size))
            && group.is_none_or(|g| self.group_quotas[g].has(now, 1.0));
        if allowed {
            account.try_take(now);
            if let Some((m, b)) = &mut self.topic_quota {
                m.try_take(now);
                b.try_take_n(now, size);
            }
            if let Some(g) = group {
                self.group_quotas[g].try_take(now);
            }
        }
        allowed
    }
}

/// Requests billed for a call carrying `bytes`: one per 64 KiB chunk, at least one.
fn billed_chunks(bytes: u64) -> u64 {
    bytes.div_ceil(BILLING_CHUNK_BYTES).max(1)
}

/// The total time a delivery can take in retries under `policy`, for reports.
pub fn retry_span(policy: &RetryPolicy) -> SimDuration {
    policy.span()
}
