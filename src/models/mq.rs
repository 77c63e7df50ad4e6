//! Amazon MQ brokers (`reference/aws-messaging.md` §4): one queue per broker, its producers'
//! connections, the broker's throughput and its consumers with their prefetch.
//!
//! A message goes through three stages, each first come first served:
//! 1. A producer connection sends it synchronously: a persistent send waits for the storage
//!    write, so one connection enqueues about 80 messages a second on EFS, 500 on EBS and
//!    5,000 without persistence (AWS's approximate figures for 1 KB messages). Messages wait
//!    for a free connection.
//! 2. The broker handles messages at its throughput, the AWS benchmark figure for its
//!    instance type (ActiveMQ, persistent 1 KB messages, by the number of clients and
//!    whether `concurrentStoreAndDispatchQueues` is on), or the scenario's own. Beyond it,
//!    throughput stops growing and messages queue in front of the broker: latency climbs.
//! 3. The broker pushes stored messages to consumers that have room under their prefetch
//!    limit, round robin; each consumer works through what it holds one message at a time,
//!    then acknowledges it. A failed message is redelivered (to the back of the queue) up to
//!    `max_redeliveries` times, then moved to the dead-letter queue.
//!
//! A broker may instead be drained by a Lambda event source mapping (`pulled`): it has no
//! consumers of its own, and Lambda's pollers take handled messages (`take`), then
//! acknowledge them (`acknowledge`) or hand them back after a function error (`reject`,
//! redelivered after `redelivery_delay` or dead-lettered as above) or a throttled invoke
//! (`release`, not counted as a redelivery: the function never saw them). The world tells the waiting pollers when
//! messages are ready (`ready_len`).
//!
//! The model does not talk to the world: it says what to schedule (`Action`s), and the
//! world calls back.

use std::collections::VecDeque;

use super::{Batch, Message, Receipt};
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::{LatencyHistogram, TimeWeighted};

/// A broker of the scenario, validated.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    pub name: String,
    /// "activemq" or "rabbitmq", for the report.
    pub engine: String,
    pub instance_type: String,
    /// Broker instances billed: 1 single-instance, 2 active/standby, 3 a RabbitMQ cluster.
    pub instances: u32,
    pub durable: bool,
    /// Messages a second through the broker.
    pub capacity_msgs_per_s: f64,
    /// How long one connection takes to send one message.
    pub send_time: SimDuration,
    pub producers: u32,
    pub consumers: u32,
    pub prefetch: u32,
    pub service_time_s: Distribution,
    pub error_rate: f64,
    pub max_redeliveries: u32,
    pub usd_per_instance_hour: f64,
    pub storage_usd_per_gb_month: f64,
    /// Drained by a Lambda event source mapping, whose pollers take messages (`consumers`
    /// is 0).
    pub pulled: bool,
    /// How long a message a puller rejected waits before it is ready again.
    pub redelivery_delay: SimDuration,
}

/// What the world must schedule for a broker: call back after `delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `on_sent(broker)`: the oldest send in progress is done.
    Sent { broker: u32, delay: SimDuration },
    /// `on_handled(broker)`: the broker has handled its oldest message.
    Handled { broker: u32, delay: SimDuration },
    /// `on_consumed(broker, consumer)`: the consumer is done with its current message.
    Consumed { broker: u32, consumer: u32, delay: SimDuration },
    /// `on_redelivery_due(broker)`: the oldest rejected message is ready again.
    RedeliveryDue { broker: u32, delay: SimDuration },
}

/// Counters and latencies of one broker.
#[derive(Clone, Debug, Default)]
pub struct BrokerMetrics {
    /// Messages in the broker's three stages when the statistics window began.
    pub in_broker_at_start: u64,
    pub sent: u64,
    pub handled: u64,
    pub dispatched: u64,
    pub acknowledged: u64,
    pub redelivered: u64,
    pub dead_lettered: u64,
    /// From creation to the broker's accepting the send (connection wait and send).
    pub send: LatencyHistogram,
    /// From the send's end to the broker's having handled the message.
    pub broker_wait: LatencyHistogram,
    /// From creation to acknowledgement.
    pub end_to_end: LatencyHistogram,
    /// Messages stored (handled, not yet acknowledged), and their bytes.
    pub stored: TimeWeighted,
    pub stored_bytes: TimeWeighted,
}

#[derive(Debug, Clone, Copy)]
struct Stored {
    message: Message,
    redeliveries: u32,
    sent_at: SimTime,
}

#[derive(Debug, Default)]
struct Consumer {
    /// Prefetched messages, the first being worked on.
    held: VecDeque<Stored>,
}

#[derive(Debug)]
struct Broker {
    config: BrokerConfig,
    /// Waiting for a producer connection.
    waiting: VecDeque<Message>,
    /// Being sent, oldest first (sends take the same time, so they end in order).
    sending: VecDeque<Message>,
    /// Sent, waiting for the broker (the first is being handled).
    handling: VecDeque<Stored>,
    /// Handled, waiting for a consumer with room.
    ready: VecDeque<Stored>,
    /// Rejected by a puller, waiting out the redelivery delay, oldest first (the delay is
    /// the same for all, so they are due in order).
    redelivering: VecDeque<Stored>,
    consumers: Vec<Consumer>,
    /// Where the round robin goes next.
    next_consumer: usize,
    handle_time: SimDuration,
    service_rng: SimRng,
    error_rng: SimRng,
    metrics: BrokerMetrics,
}

#[derive(Debug)]
pub struct Service {
    brokers: Vec<Broker>,
    outbox: Vec<Action>,
    /// Messages taken by pullers and not yet acknowledged, rejected or released, by the
    /// slot of their receipt; `free` lists the empty slots.
    taken: Vec<Option<Stored>>,
    generations: Vec<u32>,
    free: Vec<u32>,
}

impl Service {
    pub fn new(configs: Vec<BrokerConfig>, mut rng: impl FnMut(&str) -> SimRng) -> Service {
        let brokers = configs
            .into_iter()
            .map(|config| Broker {
                waiting: VecDeque::new(),
                sending: VecDeque::new(),
                handling: VecDeque::new(),
                ready: VecDeque::new(),
                redelivering: VecDeque::new(),
                consumers: (0..config.consumers).map(|_| Consumer::default()).collect(),
                next_consumer: 0,
                handle_time: SimDuration::from_secs_f64(1.0 / config.capacity_msgs_per_s),
                service_rng: rng(&format!("mq.{}.service", config.name)),
                error_rng: rng(&format!("mq.{}.errors", config.name)),
                metrics: BrokerMetrics::default(),
                config,
            })
            .collect();
        Service { brokers, outbox: Vec::new(), taken: Vec::new(), generations: Vec::new(), free: Vec::new() }
    }

    pub fn broker_count(&self) -> usize {
        self.brokers.len()
    }

    /// A broker's configuration, its metrics, and the messages it holds in each stage
    /// (waiting for a connection or being sent, waiting for the broker, stored).
    pub fn broker(&self, b: u32) -> (&BrokerConfig, &BrokerMetrics, u64, u64, u64) {
        let broker = &self.brokers[b as usize];
        let producing = (broker.waiting.len() + broker.sending.len()) as u64;
        let stored = broker.metrics.stored.level() as u64;
        (&broker.config, &broker.metrics, producing, broker.handling.len() as u64, stored)
    }

    /// Messages in a broker's three stages.
    fn in_broker(&self, b: usize) -> u64 {
        let (_, _, producing, handling, stored) = self.broker(b as u32);
        producing + handling + stored
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.outbox)
    }

    /// A producer sends `message` to broker `b`.
    pub fn send(&mut self, b: u32, message: Message) {
        let broker = &mut self.brokers[b as usize];
        broker.metrics.sent += 1;
        if broker.sending.len() < broker.config.producers as usize {
            broker.sending.push_back(message);
            self.outbox.push(Action::Sent { broker: b, delay: broker.config.send_time });
        } else {
            broker.waiting.push_back(message);
        }
    }

    /// The oldest send to broker `b` is done: the message waits for the broker, and its
    /// connection takes the next waiting message.
    pub fn on_sent(&mut self, now: SimTime, b: u32) {
        let broker = &mut self.brokers[b as usize];
        let message = broker.sending.pop_front().expect("a send in progress");
        broker.metrics.send.record(now.saturating_since(message.created_at));
        if let Some(next) = broker.waiting.pop_front() {
            broker.sending.push_back(next);
            self.outbox.push(Action::Sent { broker: b, delay: broker.config.send_time });
        }
        broker.handling.push_back(Stored { message, redeliveries: 0, sent_at: now });
        if broker.handling.len() == 1 {
            self.outbox.push(Action::Handled { broker: b, delay: broker.handle_time });
        }
    }

    /// The broker handled its oldest message: it is stored and offered to the consumers.
    pub fn on_handled(&mut self, now: SimTime, b: u32) {
        let broker = &mut self.brokers[b as usize];
        let stored = broker.handling.pop_front().expect("a message being handled");
        broker.metrics.handled += 1;
        broker.metrics.broker_wait.record(now.saturating_since(stored.sent_at));
        broker.metrics.stored.add(now, 1);
        broker.metrics.stored_bytes.add(now, i64::from(stored.message.size_bytes));
        if !broker.handling.is_empty() {
            self.outbox.push(Action::Handled { broker: b, delay: broker.handle_time });
        }
        broker.ready.push_back(stored);
        self.dispatch(b);
    }

    /// Pushes ready messages to consumers with room under their prefetch, round robin.
    fn dispatch(&mut self, b: u32) {
        let broker = &mut self.brokers[b as usize];
        let n = broker.consumers.len();
        while !broker.ready.is_empty() {
            let prefetch = broker.config.prefetch as usize;
            let Some(offset) = (0..n).find(|k| broker.consumers[(broker.next_consumer + k) % n].held.len() < prefetch)
            else {
                return;
            };
            let c = (broker.next_consumer + offset) % n;
            broker.next_consumer = (c + 1) % n;
            let stored = broker.ready.pop_front().expect("a ready message");
            broker.metrics.dispatched += 1;
            let consumer = &mut broker.consumers[c];
            consumer.held.push_back(stored);
            if consumer.held.len() == 1 {
                let took = broker.config.service_time_s.sample_duration(&mut broker.service_rng);
                self.outbox.push(Action::Consumed { broker: b, consumer: c as u32, delay: took });
            }
        }
    }

    /// A consumer is done with its current message: it acknowledges it, or the message is
    /// redelivered (or dead-lettered), and the consumer starts its next.
    pub fn on_consumed(&mut self, now: SimTime, b: u32, c: u32) {
        let broker = &mut self.brokers[b as usize];
        let consumer = &mut broker.consumers[c as usize];
        let mut stored = consumer.held.pop_front().expect("a message being consumed");
        if !consumer.held.is_empty() {
            let took = broker.config.service_time_s.sample_duration(&mut broker.service_rng);
            self.outbox.push(Action::Consumed { broker: b, consumer: c, delay: took });
        }
        let failed = broker.error_rng.chance(broker.config.error_rate);
        if failed && stored.redeliveries < broker.config.max_redeliveries {
            stored.redeliveries += 1;
            broker.metrics.redelivered += 1;
            broker.ready.push_back(stored);
        } else {
            broker.settle(now, stored, failed);
        }
        self.dispatch(b);
    }

    /// Handled messages of broker `b` waiting for a consumer.
    pub fn ready_len(&self, b: u32) -> usize {
        self.brokers[b as usize].ready.len()
    }

    /// A puller takes up to `max` (at most 10) ready messages of broker `b`, oldest first;
    /// they stay stored until acknowledged.
    pub fn take(&mut self, b: u32, max: usize) -> Batch {
        let mut batch = Batch::default();
        let broker = &mut self.brokers[b as usize];
        debug_assert!(broker.config.pulled && broker.consumers.is_empty(), "only a pulled broker is taken from");
        while batch.len() < max.min(10) {
            let Some(stored) = broker.ready.pop_front() else { break };
            broker.metrics.dispatched += 1;
            let slot = match self.free.pop() {
                Some(slot) => {
                    self.taken[slot as usize] = Some(stored);
                    slot
                }
                None => {
                    self.taken.push(Some(stored));
                    self.generations.push(0);
                    (self.taken.len() - 1) as u32
                }
            };
            let receipt = Receipt { queue: b, slot, generation: self.generations[slot as usize] };
            batch.push(receipt, stored.message);
        }
        batch
    }

    /// The message a puller holds under `receipt`, if it still holds it.
    pub fn message(&self, receipt: Receipt) -> Option<&Message> {
        self.held(receipt).map(|s| &s.message)
    }

    fn held(&self, r: Receipt) -> Option<&Stored> {
        let slot = r.slot as usize;
        (self.generations.get(slot) == Some(&r.generation)).then(|| self.taken[slot].as_ref()).flatten()
    }

    fn give_back(&mut self, r: Receipt) -> Stored {
        assert!(self.held(r).is_some(), "a receipt of a message still held");
        let slot = r.slot as usize;
        self.generations[slot] = self.generations[slot].wrapping_add(1);
        self.free.push(r.slot);
        self.taken[slot].take().expect("held")
    }

    /// The puller processed the message: the broker forgets it.
    pub fn acknowledge(&mut self, now: SimTime, r: Receipt) {
        let stored = self.give_back(r);
        self.brokers[r.queue as usize].settle(now, stored, false);
    }

    /// The puller's processing failed: the message is redelivered (to the back of the
    /// queue) up to `max_redeliveries` times, then dead-lettered.
    pub fn reject(&mut self, now: SimTime, r: Receipt) {
        let mut stored = self.give_back(r);
        let broker = &mut self.brokers[r.queue as usize];
        if stored.redeliveries < broker.config.max_redeliveries {
            stored.redeliveries += 1;
            broker.metrics.redelivered += 1;
            if broker.config.redelivery_delay == SimDuration::ZERO {
                broker.ready.push_back(stored);
            } else {
                broker.redelivering.push_back(stored);
                self.outbox.push(Action::RedeliveryDue { broker: r.queue, delay: broker.config.redelivery_delay });
            }
        } else {
            broker.settle(now, stored, true);
        }
    }

    /// The oldest rejected message of broker `b` has waited out its delay: it is ready again,
    /// at the back of the queue.
    pub fn on_redelivery_due(&mut self, b: u32) {
        let broker = &mut self.brokers[b as usize];
        let stored = broker.redelivering.pop_front().expect("a message waiting for its redelivery");
        broker.ready.push_back(stored);
    }

    /// The puller hands the message back unprocessed: it goes to the front of the queue,
    /// as it was (no redelivery counted).
    pub fn release(&mut self, r: Receipt) {
        let stored = self.give_back(r);
        self.brokers[r.queue as usize].ready.push_front(stored);
    }

    /// Messages in any broker: the run has not drained while there are some.
    pub fn holding(&self) -> u64 {
        (0..self.brokers.len()).map(|b| self.in_broker(b)).sum()
    }

    pub fn reset_metrics(&mut self, now: SimTime) {
        for b in 0..self.brokers.len() {
            let in_broker = self.in_broker(b);
            let broker = &mut self.brokers[b];
            let (mut stored, mut stored_bytes) = (broker.metrics.stored, broker.metrics.stored_bytes);
            stored.reset(now);
            stored_bytes.reset(now);
            broker.metrics =
                BrokerMetrics { in_broker_at_start: in_broker, stored, stored_bytes, ..BrokerMetrics::default() };
        }
    }
}

impl Broker {
    /// A stored message leaves the broker: acknowledged, or dead-lettered if `failed`.
    fn settle(&mut self, now: SimTime, stored: Stored, failed: bool) {
        self.metrics.stored.add(now, -1);
        self.metrics.stored_bytes.add(now, -i64::from(stored.message.size_bytes));
        if failed {
            self.metrics.dead_lettered += 1;
        } else {
            self.metrics.acknowledged += 1;
            self.metrics.end_to_end.record(now.saturating_since(stored.message.created_at));
        }
    }
}

/// AWS's benchmark throughput of ActiveMQ brokers, persistent 1 KB messages, in messages a
/// second for 25, 50, 100 and 200 clients, with `concurrentStoreAndDispatchQueues` on and
/// off [mq-bench-2021].
const BENCHMARKS: [(&str, [f64; 4], [f64; 4]); 4] = [
    ("mq.m5.large", [1_750.0, 3_417.0, 5_767.0, 6_916.0], [907.0, 1_463.0, 2_217.0, 2_400.0]),
    ("mq.m5.xlarge", [1_916.0, 3_834.0, 7_332.0, 11_667.0], [887.0, 1_562.0, 2_467.0, 2_470.0]),
    ("mq.m5.2xlarge", [2_250.0, 4_300.0, 8_467.0, 16_334.0], [952.0, 1_683.0, 2_800.0, 2_734.0]),
    ("mq.m5.4xlarge", [2_234.0, 4_167.0, 8_167.0, 16_167.0], [922.0, 1_617.0, 2_400.0, 2_584.0]),
];
const BENCHMARK_CLIENTS: [f64; 4] = [25.0, 50.0, 100.0, 200.0];

/// The benchmark throughput of an ActiveMQ instance type for `clients` clients (linear
/// between the measured counts, flat outside them); None when AWS published none.
pub fn benchmark_capacity(instance_type: &str, clients: u32, concurrent_store_and_dispatch: bool) -> Option<f64> {
    let (_, on, off) = BENCHMARKS.iter().find(|(t, _, _)| *t == instance_type)?;
    let tps = if concurrent_store_and_dispatch { on } else { off };
    let x = f64::from(clients).clamp(BENCHMARK_CLIENTS[0], BENCHMARK_CLIENTS[3]);
    let i = BENCHMARK_CLIENTS.windows(2).position(|w| x <= w[1]).expect("clamped");
    let (x0, x1) = (BENCHMARK_CLIENTS[i], BENCHMARK_CLIENTS[i + 1]);
    Some(tps[i] + (tps[i + 1] - tps[i]) * (x - x0) / (x1 - x0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    #[test]
    fn benchmark_capacity_interpolates_between_client_counts() {
        assert_eq!(benchmark_capacity("mq.m5.large", 200, true), Some(6_916.0));
        assert_eq!(benchmark_capacity("mq.m5.large", 500, true), Some(6_916.0));
        assert_eq!(benchmark_capacity("mq.m5.large", 10, false), Some(907.0));
        assert_eq!(benchmark_capacity("mq.m5.xlarge", 75, true), Some((3_834.0 + 7_332.0) / 2.0));
        assert_eq!(benchmark_capacity("mq.t3.micro", 25, true), None);
    }

    fn broker(prefetch: u32, error_rate: f64) -> Service {
        let config = BrokerConfig {
            name: "b".into(),
            engine: "activemq".into(),
            instance_type: "mq.m5.large".into(),
            instances: 1,
            durable: true,
            capacity_msgs_per_s: 100.0,
            send_time: SimDuration::from_secs_f64(0.0125),
            producers: 1,
            consumers: 2,
            prefetch,
            service_time_s: Distribution::constant(1.0),
            error_rate,
            max_redeliveries: 2,
            usd_per_instance_hour: 0.288,
            storage_usd_per_gb_month: 0.30,
            pulled: false,
            redelivery_delay: SimDuration::ZERO,
        };
        let rngs = RngFactory::new(1);
        Service::new(vec![config], |n| rngs.stream(n))
    }

    #[test]
    fn consumers_take_up_to_their_prefetch_round_robin() {
        let mut mq = broker(2, 0.0);
        let t = SimTime::ZERO;
        for _ in 0..5 {
            mq.send(0, Message::new(t, 1_000));
        }
        // One connection: one send at a time.
        assert_eq!(mq.take_actions().len(), 1);
        for _ in 0..5 {
            mq.on_sent(t, 0);
        }
        for _ in 0..5 {
            mq.on_handled(t, 0);
        }
        // Two consumers with a prefetch of 2 hold 4; one waits in the broker.
        let (_, m, _, _, stored) = mq.broker(0);
        assert_eq!((m.dispatched, stored), (4, 5));
        let consumed = mq.take_actions().iter().filter(|a| matches!(a, Action::Consumed { .. })).count();
        assert_eq!(consumed, 2, "each consumer works on one message at a time");
    }

    #[test]
    fn failed_messages_are_redelivered_then_dead_lettered() {
        let mut mq = broker(1, 1.0);
        let t = SimTime::ZERO;
        mq.send(0, Message::new(t, 1_000));
        mq.on_sent(t, 0);
        mq.on_handled(t, 0);
        let consumer = |mq: &mut Service| {
            mq.take_actions()
                .into_iter()
                .find_map(|a| if let Action::Consumed { consumer, .. } = a { Some(consumer) } else { None })
        };
        // The first delivery and two redeliveries fail; then the message is dead-lettered.
        for _ in 0..3 {
            let c = consumer(&mut mq).expect("a delivery");
            mq.on_consumed(t, 0, c);
        }
        let (_, m, _, _, stored) = mq.broker(0);
        assert_eq!((m.redelivered, m.dead_lettered, stored), (2, 1, 0));
    }

    #[test]
    fn a_puller_takes_acknowledges_rejects_and_releases_under_its_receipts() {
        let mut mq = broker(1, 0.0);
        mq.brokers[0].consumers.clear();
        mq.brokers[0].config.pulled = true;
        let t = SimTime::ZERO;
        for _ in 0..12 {
            mq.send(0, Message::new(t, 1_000));
            mq.on_sent(t, 0);
            mq.on_handled(t, 0);
        }
        assert_eq!(mq.ready_len(0), 12);
        // At most 10 a take, oldest first.
        let batch = mq.take(0, 25);
        assert_eq!((batch.len(), mq.ready_len(0)), (10, 2));
        let r = batch.receipts();
        mq.acknowledge(t, r[0]);
        assert!(mq.message(r[0]).is_none(), "an acknowledged receipt holds nothing");
        // Rejected twice (max_redeliveries 2), then dead-lettered on the third.
        mq.reject(t, r[1]);
        for _ in 0..2 {
            let again = mq.take(0, 10);
            let last = *again.receipts().last().unwrap();
            for x in &again.receipts()[..again.len() - 1] {
                mq.release(*x);
            }
            mq.reject(t, last);
        }
        // A release puts the message back in front, not counted as a redelivery.
        mq.release(r[2]);
        let (_, m, _, _, stored) = mq.broker(0);
        assert_eq!((m.acknowledged, m.redelivered, m.dead_lettered), (1, 2, 1));
        // 12 handled, 1 acknowledged, 1 dead-lettered: 10 stored, 7 of them still taken.
        assert_eq!((stored, mq.ready_len(0)), (10, 3));
    }
}
