//! Amazon SQS standard queues: send, receive (short and long polling, up to 10 messages per
//! call), visibility timeout, delete, retention with expiry, and dead-letter queues by
//! `maxReceiveCount`.
//!
//! Follows `reference/aws-messaging.md` §1 (SQS Developer Guide and API model):
//! - visibility timeout 0–12 h, default 30 s; it starts when a receive returns the message,
//!   and a message that is neither deleted nor extended becomes visible again when it ends;
//! - retention 60 s–14 days, default 4 days, counted from the original send, also in flight;
//! - ReceiveMessage returns 1–10 messages; long polling (WaitTimeSeconds 1–20) returns as
//!   soon as one is available, or empty when the wait ends; every call is a request;
//! - a message moves to the dead-letter queue when its receive count would exceed
//!   `maxReceiveCount`; for standard queues it keeps its original enqueue time there;
//! - DeleteMessage needs the latest receipt handle; an older one "succeeds" but deletes
//!   nothing (SQS API reference, DeleteMessage);
//! - each 64 KiB chunk of a call's payload is billed as one request.
//!
//! Modelling choices where AWS publishes no rule (documented in scenarios/README.md):
//! - API calls take no virtual time: latency here is queueing, not network round trips;
//! - delivery is in send order, best effort as in AWS: a message whose visibility timeout
//!   ends goes back to the front (it keeps its place among older messages), except that,
//!   as AWS documents for maxReceiveCount > 3, one received 3 or more times goes to the back;
//! - waiting long polls are served first come, first served;
//! - short polling returns every available message up to the requested count (AWS's
//!   sampling of a subset of servers is not modelled), and the move to the dead-letter
//!   queue happens when the last visibility timeout ends, not at the next receive attempt.
//!
//! Deliberately absent here: FIFO queues, delay queues and timers, in-flight limits,
//! ChangeMessageVisibility, batch send/delete and duplicate deliveries.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::Message;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{LatencyHistogram, TimeWeighted};

/// AWS bills each 64 KiB chunk of a request's payload as one request.
pub const BILLING_CHUNK_BYTES: u64 = 64 * 1024;
/// Most messages one ReceiveMessage call returns.
pub const RECEIVE_BATCH_MAX: usize = 10;
/// As AWS documents for standard queues with maxReceiveCount > 3.
const RECEIVES_BEFORE_MOVE_TO_BACK: u32 = 3;

/// Index of a queue within [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u32);

/// Whoever calls ReceiveMessage (a worker, later a Lambda poller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumerId(pub u32);

/// Configuration of one queue, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub name: String,
    pub visibility_timeout: SimDuration,
    pub retention: SimDuration,
    pub redrive: Option<Redrive>,
}

/// Where messages go after too many receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: QueueId,
    pub receive_count_max: u32,
}

/// Proof of one receive of one message; needed to delete it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    queue: u32,
    slot: u32,
    generation: u32,
}

/// Messages returned by one ReceiveMessage call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Batch {
    len: u8,
    receipts: [Receipt; RECEIVE_BATCH_MAX],
}

impl Batch {
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What a ReceiveMessage call did at once.
#[derive(Clone, Copy, Debug)]
pub enum ReceiveOutcome {
    /// Messages were available.
    Received(Batch),
    /// Long poll: the call waits; it completes later through [`Service::serve_waiting`]
    /// or [`Service::expire_waits`].
    Waiting,
    /// Short poll on an empty queue.
    Empty,
}

/// Counters and latencies of one queue.
#[derive(Clone, Debug, Default)]
pub struct QueueMetrics {
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    pub moved_to_dlq: u64,
    pub moved_in: u64,
    pub expired: u64,
    pub empty_receives: u64,
    pub stale_deletes: u64,
    pub send_message_requests: u64,
    pub receive_message_requests: u64,
    pub delete_message_requests: u64,
    /// Requests as billed: one per call, or one per 64 KiB chunk of its payload.
    pub billed_requests: u64,
    /// Send (by the workload) to first receive.
    pub queue_wait: LatencyHistogram,
    /// Send (by the workload) to successful delete.
    pub end_to_end: LatencyHistogram,
    pub visible: TimeWeighted,
    pub in_flight: TimeWeighted,
}

/// All queues of a scenario (a queue's dead-letter queue is another queue here, so redrive
/// stays inside the service).
#[derive(Debug)]
pub struct Service {
    queues: Vec<Queue>,
    /// Per consumer: the token of its waiting long poll, or 0.
    wait_tokens: Vec<u64>,
    next_wait_token: u64,
}

#[derive(Debug)]
struct Queue {
    config: Config,
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    /// Candidates for receive, in delivery order; an entry is stale once its slot's
    /// generation moved on.
    visible: VecDeque<SlotRef>,
    /// In-flight messages by visibility deadline (constant timeout, so receive order).
    in_flight: VecDeque<Deadline>,
    /// Long polls waiting for a message, first come first served.
    waiting: VecDeque<Waiter>,
    /// Long-poll deadlines; entries of polls already served are stale.
    wait_deadlines: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    /// Doubly linked list of live messages ordered by send time, for retention.
    oldest: u32,
    newest: u32,
    visible_count: u32,
    in_flight_count: u32,
    metrics: QueueMetrics,
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotState {
    Free,
    Visible,
    InFlight,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    message: Message,
    /// Bumped on every receive and on removal, so receipts and queue entries expire.
    generation: u32,
    receive_count: u32,
    state: SlotState,
    older: u32,
    newer: u32,
}

#[derive(Clone, Copy, Debug)]
struct SlotRef {
    slot: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug)]
struct Deadline {
    at: SimTime,
    slot: SlotRef,
}

#[derive(Clone, Copy, Debug)]
struct Waiter {
    consumer: ConsumerId,
    token: u64,
    max_messages: u8,
}

impl Service {
    pub fn new(configs: Vec<Config>) -> Service {
        let queues = configs.into_iter().map(Queue::new).collect();
        Service {
            queues,
            wait_tokens: Vec::new(),
            next_wait_token: 1,
        }
    }

    /// Registers a caller of ReceiveMessage.
    pub fn add_consumer(&mut self) -> ConsumerId {
        self.wait_tokens.push(0);
        ConsumerId(u32::try_from(self.wait_tokens.len() - 1).expect("fewer than 2^32 consumers"))
    }

    pub fn queue_count(&self) -> usize {
        self.queues.len()
    }

    pub fn config(&self, q: QueueId) -> &Config {
        &self.queues[q.0 as usize].config
    }

    pub fn metrics(&self, q: QueueId) -> &QueueMetrics {
        &self.queues[q.0 as usize].metrics
    }

    /// Visible and in-flight message counts.
    pub fn depth(&self, q: QueueId) -> (u32, u32) {
        let queue = &self.queues[q.0 as usize];
        (queue.visible_count, queue.in_flight_count)
    }

    /// Messages stored in all queues, visible or in flight.
    pub fn stored_messages(&self) -> u64 {
        self.queues
            .iter()
            .map(|q| u64::from(q.visible_count) + u64::from(q.in_flight_count))
            .sum()
    }

    /// SendMessage.
    pub fn send(&mut self, now: SimTime, q: QueueId, message: Message) {
        let queue = &mut self.queues[q.0 as usize];
        let m = &mut queue.metrics;
        m.sent += 1;
        m.send_message_requests += 1;
        m.billed_requests += billed_chunks(u64::from(message.size_bytes));
        queue.insert(now, message);
    }

    /// ReceiveMessage with `MaxNumberOfMessages = max_messages` and `WaitTimeSeconds = wait`.
    pub fn receive(
        &mut self,
        now: SimTime,
        q: QueueId,
        consumer: ConsumerId,
        max_messages: u8,
        wait: SimDuration,
    ) -> ReceiveOutcome {
        let queue = &mut self.queues[q.0 as usize];
        // The call is billed now; returned payload beyond the first 64 KiB adds chunks when
        // the messages are handed over.
        queue.metrics.receive_message_requests += 1;
        queue.metrics.billed_requests += 1;
        if queue.visible_count > 0 {
            return ReceiveOutcome::Received(queue.take(now, q, max_messages));
        }
        if wait == SimDuration::ZERO {
            queue.metrics.empty_receives += 1;
            return ReceiveOutcome::Empty;
        }
        let token = self.next_wait_token;
        self.next_wait_token += 1;
        self.wait_tokens[consumer.0 as usize] = token;
        queue.waiting.push_back(Waiter {
            consumer,
            token,
            max_messages,
        });
        queue
            .wait_deadlines
            .push(Reverse((now + wait, token, consumer.0)));
        ReceiveOutcome::Waiting
    }

    /// Completes one waiting long poll if a message is available for it.
    pub fn serve_waiting(&mut self, now: SimTime, q: QueueId) -> Option<(ConsumerId, Batch)> {
        let queue = &mut self.queues[q.0 as usize];
        while queue.visible_count > 0 {
            let waiter = queue.waiting.pop_front()?;
            let token = &mut self.wait_tokens[waiter.consumer.0 as usize];
            if *token != waiter.token {
                continue; // this poll already ended empty
            }
            *token = 0;
            return Some((waiter.consumer, queue.take(now, q, waiter.max_messages)));
        }
        None
    }

    /// Ends the long polls whose wait is over, empty; returns their consumers in `ended`.
    pub fn expire_waits(&mut self, now: SimTime, q: QueueId, ended: &mut Vec<ConsumerId>) {
        let queue = &mut self.queues[q.0 as usize];
        while let Some(&Reverse((at, token, consumer))) = queue.wait_deadlines.peek() {
            if at > now {
                break;
            }
            queue.wait_deadlines.pop();
            let slot = &mut self.wait_tokens[consumer as usize];
            if *slot == token {
                *slot = 0;
                queue.metrics.empty_receives += 1;
                ended.push(ConsumerId(consumer));
            }
        }
        // Drop ended polls from the front, and compact if many ended behind live ones,
        // so the list stays as long as the live polls.
        let tokens = &self.wait_tokens;
        let is_live = |w: &Waiter| tokens[w.consumer.0 as usize] == w.token;
        while queue.waiting.front().is_some_and(|w| !is_live(w)) {
            queue.waiting.pop_front();
        }
        if queue.waiting.len() > 64 && queue.waiting.len() > 2 * queue.wait_deadlines.len() {
            queue.waiting.retain(is_live);
        }
    }

    /// DeleteMessage. Returns true if the message was deleted; an outdated receipt is a
    /// billed request that deletes nothing.
    pub fn delete(&mut self, now: SimTime, receipt: Receipt) -> bool {
        let queue = &mut self.queues[receipt.queue as usize];
        queue.metrics.delete_message_requests += 1;
        queue.metrics.billed_requests += 1;
        let slot = &queue.slots[receipt.slot as usize];
        if slot.state == SlotState::Free || slot.generation != receipt.generation {
            queue.metrics.stale_deletes += 1;
            return false;
        }
        let created_at = slot.message.created_at;
        queue.metrics.deleted += 1;
        queue
            .metrics
            .end_to_end
            .record(now.saturating_since(created_at));
        queue.remove(now, receipt.slot);
        true
    }

    /// The earliest instant at which this queue has timed work (a visibility timeout, a
    /// retention expiry, a long poll ending).
    pub fn next_deadline(&mut self, q: QueueId) -> Option<SimTime> {
        let queue = &mut self.queues[q.0 as usize];
        let tokens = &self.wait_tokens;
        while let Some(&Reverse((_, token, consumer))) = queue.wait_deadlines.peek() {
            if tokens[consumer as usize] == token {
                break;
            }
            queue.wait_deadlines.pop();
        }
        let wait = queue.wait_deadlines.peek().map(|r| r.0.0);
        [queue.next_visibility_deadline(), queue.next_expiry(), wait]
            .into_iter()
            .flatten()
            .min()
    }

    /// Handles visibility timeouts and retention expiry due at `now`. Returns the
    /// dead-letter queue that received messages, if any, so the caller can serve its polls.
    pub fn on_deadlines(&mut self, now: SimTime, q: QueueId) -> Option<QueueId> {
        let mut moved = Vec::new();
        let queue = &mut self.queues[q.0 as usize];
        queue.expire_visibility(now, &mut moved);
        queue.expire_retention(now);
        let redrive = queue.config.redrive?;
        if moved.is_empty() {
            return None;
        }
        let dlq = &mut self.queues[redrive.dead_letter_queue.0 as usize];
        for message in moved {
            dlq.metrics.moved_in += 1;
            dlq.insert(now, message);
        }
        Some(redrive.dead_letter_queue)
    }

    /// Starts a new statistics window at `now` (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        for queue in &mut self.queues {
            let (visible, in_flight) = (queue.metrics.visible, queue.metrics.in_flight);
            queue.metrics = QueueMetrics {
                visible,
                in_flight,
                ..QueueMetrics::default()
            };
            queue.metrics.visible.reset(now);
            queue.metrics.in_flight.reset(now);
        }
    }
}

impl Queue {
    fn new(config: Config) -> Queue {
        Queue {
            config,
            slots: Vec::new(),
            free_slots: Vec::new(),
            visible: VecDeque::new(),
            in_flight: VecDeque::new(),
            waiting: VecDeque::new(),
            wait_deadlines: BinaryHeap::new(),
            oldest: NIL,
            newest: NIL,
            visible_count: 0,
            in_flight_count: 0,
            metrics: QueueMetrics::default(),
        }
    }

    /// Stores a message as visible, linked into the age list by its creation time.
    fn insert(&mut self, now: SimTime, message: Message) {
        let slot = Slot {
            message,
            generation: 0,
            receive_count: 0,
            state: SlotState::Visible,
            older: NIL,
            newer: NIL,
        };
        let index = match self.free_slots.pop() {
            Some(i) => {
                let generation = self.slots[i as usize].generation;
                self.slots[i as usize] = Slot { generation, ..slot };
                i
            }
            None => {
                self.slots.push(slot);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 stored messages")
            }
        };
        self.link_by_age(index);
        self.visible.push_back(SlotRef {
            slot: index,
            generation: self.slots[index as usize].generation,
        });
        self.visible_count += 1;
        self.metrics.visible.add(now, 1);
    }

    /// Takes up to `max` visible messages into flight.
    fn take(&mut self, now: SimTime, q: QueueId, max: u8) -> Batch {
        let mut batch = Batch::default();
        let mut billed_bytes = 0u64;
        while usize::from(batch.len) < usize::from(max) && self.visible_count > 0 {
            let r = self
                .visible
                .pop_front()
                .expect("visible_count > 0 implies entries");
            let slot = &mut self.slots[r.slot as usize];
            if slot.state != SlotState::Visible || slot.generation != r.generation {
                continue;
            }
            slot.generation = slot.generation.wrapping_add(1);
            slot.receive_count += 1;
            slot.state = SlotState::InFlight;
            let generation = slot.generation;
            let (created_at, size, first) = (
                slot.message.created_at,
                slot.message.size_bytes,
                slot.receive_count == 1,
            );
            self.visible_count -= 1;
            self.in_flight_count += 1;
            self.in_flight.push_back(Deadline {
                at: now + self.config.visibility_timeout,
                slot: SlotRef {
                    slot: r.slot,
                    generation,
                },
            });
            let m = &mut self.metrics;
            m.received += 1;
            if first {
                m.queue_wait.record(now.saturating_since(created_at));
            }
            billed_bytes += u64::from(size);
            batch.receipts[usize::from(batch.len)] = Receipt {
                queue: q.0,
                slot: r.slot,
                generation,
            };
            batch.len += 1;
        }
        let n = i64::from(batch.len);
        self.metrics.visible.add(now, -n);
        self.metrics.in_flight.add(now, n);
        self.metrics.billed_requests += billed_chunks(billed_bytes) - 1;
        batch
    }

    fn next_visibility_deadline(&mut self) -> Option<SimTime> {
        while let Some(d) = self.in_flight.front() {
            if self.is_in_flight(d.slot) {
                return Some(d.at);
            }
            self.in_flight.pop_front();
        }
        None
    }

    fn is_in_flight(&self, r: SlotRef) -> bool {
        let slot = &self.slots[r.slot as usize];
        slot.state == SlotState::InFlight && slot.generation == r.generation
    }

    fn expire_visibility(&mut self, now: SimTime, moved: &mut Vec<Message>) {
        while let Some(&d) = self.in_flight.front() {
            if d.at > now {
                break;
            }
            self.in_flight.pop_front();
            if !self.is_in_flight(d.slot) {
                continue;
            }
            let index = d.slot.slot;
            let slot = self.slots[index as usize];
            if let Some(redrive) = self.config.redrive
                && slot.receive_count >= redrive.receive_count_max
            {
                self.metrics.moved_to_dlq += 1;
                moved.push(slot.message);
                self.remove(now, index);
                continue;
            }
            self.slots[index as usize].state = SlotState::Visible;
            self.in_flight_count -= 1;
            self.visible_count += 1;
            self.metrics.in_flight.add(now, -1);
            self.metrics.visible.add(now, 1);
            let r = SlotRef {
                slot: index,
                generation: slot.generation,
            };
            let to_back = self
                .config
                .redrive
                .is_some_and(|rd| rd.receive_count_max > RECEIVES_BEFORE_MOVE_TO_BACK)
                && slot.receive_count >= RECEIVES_BEFORE_MOVE_TO_BACK;
            if to_back {
                self.visible.push_back(r);
            } else {
                self.visible.push_front(r);
            }
        }
    }

    fn next_expiry(&self) -> Option<SimTime> {
        (self.oldest != NIL)
            .then(|| self.slots[self.oldest as usize].message.created_at + self.config.retention)
    }

    fn expire_retention(&mut self, now: SimTime) {
        while let Some(at) = self.next_expiry() {
            if at > now {
                break;
            }
            self.metrics.expired += 1;
            self.remove(now, self.oldest);
        }
    }

    /// Frees a stored message whatever its state.
    fn remove(&mut self, now: SimTime, index: u32) {
        let slot = &mut self.slots[index as usize];
        match slot.state {
            SlotState::Visible => {
                self.visible_count -= 1;
                self.metrics.visible.add(now, -1);
            }
            SlotState::InFlight => {
                self.in_flight_count -= 1;
                self.metrics.in_flight.add(now, -1);
            }
            SlotState::Free => unreachable!("removing a free slot"),
        }
        slot.state = SlotState::Free;
        slot.generation = slot.generation.wrapping_add(1);
        self.unlink_by_age(index);
        self.free_slots.push(index);
    }

    /// Inserts into the age list; new sends go at the newest end in O(1), messages moved in
    /// from another queue with an older creation time walk back to their place.
    fn link_by_age(&mut self, index: u32) {
        let created_at = self.slots[index as usize].message.created_at;
        let mut after = self.newest;
        while after != NIL && self.slots[after as usize].message.created_at > created_at {
            after = self.slots[after as usize].older;
        }
        let before = if after == NIL {
            self.oldest
        } else {
            self.slots[after as usize].newer
        };
        self.slots[index as usize].older = after;
        self.slots[index as usize].newer = before;
        match after {
            NIL => self.oldest = index,
            a => self.slots[a as usize].newer = index,
        }
        match before {
            NIL => self.newest = index,
            b => self.slots[b as usize].older = index,
        }
    }

    fn unlink_by_age(&mut self, index: u32) {
        let Slot { older, newer, .. } = self.slots[index as usize];
        match older {
            NIL => self.oldest = newer,
            o => self.slots[o as usize].newer = newer,
        }
        match newer {
            NIL => self.newest = older,
            n => self.slots[n as usize].older = older,
        }
    }
}

/// Requests billed for a call carrying `bytes` of payload: one per started 64 KiB chunk,
/// at least one.
pub fn billed_chunks(bytes: u64) -> u64 {
    bytes.div_ceil(BILLING_CHUNK_BYTES).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: f64) -> SimTime {
        SimTime::from_secs_f64(secs)
    }

    fn one_queue(visibility_s: u64, retention_s: u64) -> (Service, QueueId, ConsumerId) {
        let mut svc = Service::new(vec![Config {
            name: "q".into(),
            visibility_timeout: SimDuration::from_secs(visibility_s),
            retention: SimDuration::from_secs(retention_s),
            redrive: None,
        }]);
        let c = svc.add_consumer();
        (svc, QueueId(0), c)
    }

    fn msg(at: f64, size_bytes: u32) -> Message {
        Message {
            created_at: s(at),
            size_bytes,
        }
    }

    fn received(o: ReceiveOutcome) -> Batch {
        match o {
            ReceiveOutcome::Received(b) => b,
            other => panic!("expected messages, got {other:?}"),
        }
    }

    #[test]
    fn billing_counts_64_kib_chunks() {
        assert_eq!(billed_chunks(0), 1);
        assert_eq!(billed_chunks(65_536), 1);
        assert_eq!(billed_chunks(65_537), 2);
        assert_eq!(billed_chunks(256 * 1024), 4);
        assert_eq!(billed_chunks(1_048_576), 16);
    }

    #[test]
    fn message_reappears_after_visibility_timeout() {
        let (mut svc, q, c) = one_queue(30, 345_600);
        svc.send(s(0.0), q, msg(0.0, 100));
        let b = received(svc.receive(s(1.0), q, c, 1, SimDuration::ZERO));
        assert_eq!(b.len(), 1);
        assert!(matches!(
            svc.receive(s(2.0), q, c, 1, SimDuration::ZERO),
            ReceiveOutcome::Empty
        ));
        assert_eq!(svc.next_deadline(q), Some(s(31.0)));
        svc.on_deadlines(s(31.0), q);
        assert_eq!(svc.depth(q), (1, 0));
        let again = received(svc.receive(s(32.0), q, c, 1, SimDuration::ZERO));
        // The first receipt is outdated now: deleting with it deletes nothing.
        assert!(!svc.delete(s(33.0), b.receipts()[0]));
        assert!(svc.delete(s(33.0), again.receipts()[0]));
        assert_eq!(svc.depth(q), (0, 0));
        let m = svc.metrics(q);
        assert_eq!(
            (m.received, m.deleted, m.stale_deletes, m.empty_receives),
            (2, 1, 1, 1)
        );
        assert_eq!(
            m.queue_wait.summary().count,
            1,
            "queue wait counts the first receive only"
        );
    }

    #[test]
    fn long_poll_returns_as_soon_as_a_message_arrives_or_empty_at_the_wait() {
        let (mut svc, q, c) = one_queue(30, 345_600);
        assert!(matches!(
            svc.receive(s(0.0), q, c, 10, SimDuration::from_secs(20)),
            ReceiveOutcome::Waiting
        ));
        assert_eq!(svc.next_deadline(q), Some(s(20.0)));
        svc.send(s(5.0), q, msg(5.0, 10));
        let (who, b) = svc
            .serve_waiting(s(5.0), q)
            .expect("the waiting poll gets it");
        assert_eq!((who, b.len()), (c, 1));
        let mut ended = Vec::new();
        svc.expire_waits(s(20.0), q, &mut ended);
        assert!(ended.is_empty(), "a served poll does not also end empty");
        assert!(matches!(
            svc.receive(s(6.0), q, c, 10, SimDuration::from_secs(20)),
            ReceiveOutcome::Waiting
        ));
        svc.expire_waits(s(26.0), q, &mut ended);
        assert_eq!(ended, vec![c]);
        assert_eq!(svc.metrics(q).empty_receives, 1);
        assert_eq!(svc.metrics(q).receive_message_requests, 2);
    }

    #[test]
    fn message_expires_after_retention_even_in_flight() {
        let (mut svc, q, c) = one_queue(30, 60);
        svc.send(s(0.0), q, msg(0.0, 1));
        svc.send(s(10.0), q, msg(10.0, 1));
        let b = received(svc.receive(s(50.0), q, c, 1, SimDuration::ZERO));
        assert_eq!(svc.next_deadline(q), Some(s(60.0)));
        svc.on_deadlines(s(60.0), q);
        assert_eq!(svc.depth(q), (1, 0));
        assert!(
            !svc.delete(s(61.0), b.receipts()[0]),
            "expired messages cannot be deleted"
        );
        svc.on_deadlines(s(70.0), q);
        assert_eq!(svc.depth(q), (0, 0));
        assert_eq!(svc.metrics(q).expired, 2);
    }

    #[test]
    fn message_moves_to_the_dead_letter_queue_after_max_receives_keeping_its_age() {
        let cfg = |name: &str, redrive| Config {
            name: name.into(),
            visibility_timeout: SimDuration::from_secs(10),
            retention: SimDuration::from_secs(1_000),
            redrive,
        };
        let mut svc = Service::new(vec![
            cfg(
                "src",
                Some(Redrive {
                    dead_letter_queue: QueueId(1),
                    receive_count_max: 2,
                }),
            ),
            cfg("dlq", None),
        ]);
        let c = svc.add_consumer();
        let (src, dlq) = (QueueId(0), QueueId(1));
        svc.send(s(0.0), src, msg(0.0, 1));
        for round in 0..2 {
            let t = 20.0 * f64::from(round);
            received(svc.receive(s(t), src, c, 1, SimDuration::ZERO));
            svc.on_deadlines(s(t + 10.0), src);
        }
        assert_eq!(svc.depth(src), (0, 0));
        assert_eq!(svc.depth(dlq), (1, 0));
        assert_eq!(svc.metrics(src).moved_to_dlq, 1);
        // Standard queues keep the original enqueue time: it expires 1,000 s after the send.
        assert_eq!(svc.next_deadline(dlq), Some(s(1_000.0)));
    }

    #[test]
    fn a_receive_returns_at_most_the_requested_count_in_send_order() {
        let (mut svc, q, c) = one_queue(30, 345_600);
        for i in 0..15 {
            svc.send(s(f64::from(i)), q, msg(f64::from(i), 1));
        }
        let b = received(svc.receive(s(20.0), q, c, 10, SimDuration::ZERO));
        assert_eq!(b.len(), 10);
        assert_eq!(svc.depth(q), (5, 10));
        let max_ms = svc.metrics(q).queue_wait.summary().max_ms;
        assert!((max_ms - 20_000.0).abs() <= 20.0, "{max_ms}");
    }
}
