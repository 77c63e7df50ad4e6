//! Amazon SQS: standard and FIFO queues with send (single and batch), receive (short and
//! long polling, 1–10 messages), visibility timeouts and their extension, delete (single and
//! batch), delay queues and message timers, retention, dead-letter queues and redrive, the
//! in-flight limit and FIFO's throughput quota.
//!
//! Follows `reference/aws-messaging.md` §1 (SQS Developer Guide and API model):
//! - visibility timeout 0–12 h, default 30 s; it starts when a receive returns the message;
//!   ChangeMessageVisibility sets a new timeout from the time of the call (a change that
//!   would end more than 12 h after the receive is refused); a message neither deleted nor
//!   extended becomes visible again;
//! - retention 60 s–14 days, default 4 days, counted from the enqueue, also in flight;
//! - delay queues (0–900 s) and per-message timers (0–900 s, standard queues only) hide a
//!   new message before its first receive;
//! - ReceiveMessage returns 1–10 messages; long polling (WaitTimeSeconds 1–20) returns as
//!   soon as one is available, or empty when the wait ends; short polling samples a subset
//!   of servers and may return fewer messages, or none, while messages exist;
//! - a message moves to the dead-letter queue when its receive count would exceed
//!   `maxReceiveCount`; a standard message keeps its original enqueue time there, a FIFO
//!   message's is reset; redrive (StartMessageMoveTask) moves messages back at up to 500/s;
//! - DeleteMessage needs the latest receipt handle; an older one "succeeds" but deletes
//!   nothing (SQS API reference, DeleteMessage);
//! - in-flight limit about 120,000: short polling gets an OverLimit error, long polling
//!   gets no error (it waits);
//! - FIFO: strict order per message group, 5-minute deduplication, 300 API calls/s per
//!   action (or the high-throughput figure), each call carrying up to 10 messages;
//! - each 64 KiB chunk of a call's payload is billed as one request; batches hold up to 10
//!   entries and 1 MiB;
//! - `MaximumMessageSize` (1,024–1,048,576 bytes, default 1 MiB since August 2025): a
//!   SendMessage, or a SendMessageBatch entry, larger than the queue's maximum is refused
//!   with a client error, which no sender retries.
//!
//! Modelling choices where AWS publishes no rule (documented in the book's modelling assumptions):
//! - API calls take no virtual time: latency here is queueing, not network round trips;
//! - standard delivery is in send order, best effort as in AWS: a message whose visibility
//!   timeout ends goes back to the front (it keeps its place among older messages), except
//!   that, as AWS documents for maxReceiveCount > 3, one received 3 or more times goes to the
//!   back; a standard queue's at-least-once delivery is a duplicate copy made at a receive
//!   with probability `duplicate_rate`;
//! - short polling with fewer than 1,000 visible messages sees each with probability
//!   `short_poll_sample_fraction`; with 1,000 or more it sees enough;
//! - waiting long polls are served first come, first served;
//! - the move to the dead-letter queue happens when the last visibility timeout ends, not
//!   at the next receive attempt;
//! - FIFO's quota is a token bucket per action holding one second of calls, and applies to
//!   sends (SendMessage and SendMessageBatch); receives and deletes are not throttled;
//! - a redrive moves the dead-letter queue's visible messages, oldest first, one every
//!   1/rate seconds, each billed as a receive, a send and a delete;
//! - a send refused for its size is billed as a send of its payload (AWS bills API
//!   requests and says nothing of refused ones), and takes no FIFO quota when alone (it is
//!   refused before it is admitted); a batch's refused entries share the call's quota and
//!   bill; moves made by AWS itself (to a dead-letter queue, by a redrive, from SNS's or
//!   EventBridge's dead-lettering or a Lambda destination) are not checked against the
//!   maximum: AWS publishes no rule for them.

mod fifo;
mod store;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

pub use super::DEDUPLICATION_WINDOW;

use self::fifo::Groups;
use self::store::{NIL, SlotRef, State, Store};
pub use super::{Batch, Receipt};
use super::{Deduplication, Message, TaskToken, TokenBucket};
use crate::engine::{Deadlines, SimDuration, SimRng, SimTime};
use crate::metrics::{LatencyHistogram, TimeWeighted};

/// AWS bills each 64 KiB chunk of a request's payload as one request.
pub const BILLING_CHUNK_BYTES: u64 = 64 * 1024;
/// Most entries in one receive or batch call.
pub const BATCH_ENTRIES_MAX: usize = 10;
/// Most bytes in one message, and in one batch call.
pub const PAYLOAD_MAX_BYTES: u64 = 1_048_576;
/// The cap on a receipt's visibility, from the receive that issued it.
pub const VISIBILITY_MAX: SimDuration = SimDuration::from_secs(43_200);
/// As AWS documents for standard queues with maxReceiveCount > 3.
const RECEIVES_BEFORE_MOVE_TO_BACK: u32 = 3;
/// Short polling sees every server once this many messages are visible (AWS: "fewer than
/// ~1,000" is when it usually returns fewer than requested).
const SHORT_POLL_FULL_VIEW: u32 = 1_000;

/// Index of a queue within [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u32);

/// Whoever calls ReceiveMessage (a worker, a Lambda poller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumerId(pub u32);

/// Configuration of one queue, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub name: String,
    pub kind: Kind,
    pub visibility_timeout: SimDuration,
    pub retention: SimDuration,
    /// Delay queue: every new message is hidden this long (a message timer overrides it).
    pub delay: SimDuration,
    pub in_flight_max: u32,
    /// `MaximumMessageSize`: larger sends are refused.
    pub max_message_size_bytes: u32,
    pub short_poll_sample_fraction: f64,
    pub redrive: Option<Redrive>,
}

/// Standard or FIFO, with what only that kind has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Standard {
        /// Probability that a receive also leaves a duplicate copy behind.
        duplicate_rate: f64,
    },
    Fifo {
        /// API calls per second per action (300, or the high-throughput figure).
        calls_per_s_max: f64,
    },
}

impl Kind {
    pub fn is_fifo(&self) -> bool {
        matches!(self, Kind::Fifo { .. })
    }
}

/// Where messages go after too many receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: QueueId,
    pub receive_count_max: u32,
}

/// What a ReceiveMessage call did at once.
#[derive(Clone, Copy, Debug)]
pub enum ReceiveOutcome {
    /// Messages were available.
    Received(Batch),
    /// Long poll: the call waits; it completes later through [`Service::serve_waiting`]
    /// or [`Service::expire_waits`].
    Waiting,
    /// Short poll that found nothing.
    Empty,
    /// Short poll while the in-flight limit is reached: an `OverLimit` error.
    OverLimit,
}

/// What a SendMessage call (or one entry of a batch) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Accepted,
    /// FIFO: a duplicate within the deduplication window, accepted but never delivered.
    Deduplicated,
    /// FIFO: the call exceeded the throughput quota; the sender should retry.
    Throttled,
    /// The message is larger than the queue's `MaximumMessageSize`: a client error, not
    /// worth retrying.
    TooLarge,
}

/// Counters and latencies of one queue.
#[derive(Clone, Debug, Default)]
pub struct QueueMetrics {
    /// Messages accepted from producers (not counting moves between queues).
    pub sent: u64,
    pub deduplicated: u64,
    pub throttled_sends: u64,
    /// Sends (and batch entries) refused for being larger than `MaximumMessageSize`.
    pub rejected_oversize: u64,
    /// Duplicate copies made by at-least-once delivery.
    pub duplicates: u64,
    pub received: u64,
    pub deleted: u64,
    pub moved_to_dlq: u64,
    pub moved_in: u64,
    pub redriven_out: u64,
    pub redriven_in: u64,
    pub expired: u64,
    pub empty_receives: u64,
    pub over_limit_errors: u64,
    pub stale_deletes: u64,
    /// FIFO: first deliveries that overtook an earlier message of their group. Always 0
    /// unless the model is broken; tests check it over many seeds.
    pub fifo_order_violations: u64,
    pub visibility_extensions: u64,
    /// ChangeMessageVisibility entries refused for going past 12 hours from the receive.
    pub visibility_extension_errors: u64,
    pub send_message_requests: u64,
    pub send_message_batch_requests: u64,
    pub receive_message_requests: u64,
    pub delete_message_requests: u64,
    pub delete_message_batch_requests: u64,
    pub change_visibility_requests: u64,
    /// Requests as billed: one per call, or one per 64 KiB chunk of its payload.
    pub billed_requests: u64,
    /// Messages stored when the statistics window began (for the conservation audit).
    pub stored_at_start: u64,
    /// Send (by the workload) to first receive.
    pub queue_wait: LatencyHistogram,
    /// Send (by the workload) to successful delete.
    pub end_to_end: LatencyHistogram,
    pub delayed: TimeWeighted,
    pub visible: TimeWeighted,
    pub in_flight: TimeWeighted,
}

/// All queues of a scenario (a queue's dead-letter queue is another queue here, so
/// dead-lettering and redrive stay inside the service).
#[derive(Debug)]
pub struct Service {
    queues: Vec<Queue>,
    /// Per consumer: the token of its waiting long poll, or 0.
    wait_tokens: Vec<u64>,
    next_wait_token: u64,
    /// Task tokens of deleted messages, for the caller to hand to Step Functions.
    answered: Vec<TaskToken>,
}

#[derive(Debug)]
enum Order {
    /// Candidates for receive, in delivery order; an entry is stale once its slot's
    /// generation moved on.
    Standard(VecDeque<SlotRef>),
    Fifo(Groups, Deduplication),
}

#[derive(Debug)]
struct Queue {
    id: u32,
    config: Config,
    store: Store,
    order: Order,
    /// In-flight messages by their first visibility deadline (constant timeout, so receive
    /// order); extended receipts move to `extended` when their first deadline passes.
    in_flight: VecDeque<(SimTime, SlotRef)>,
    extended: BinaryHeap<Reverse<(SimTime, SlotRef)>>,
    /// Messages hidden by a delay or timer, by when they become visible.
    delayed: BinaryHeap<Reverse<(SimTime, SlotRef)>>,
    /// Long polls waiting for a message, first come first served.
    waiting: VecDeque<Waiter>,
    /// Long-poll deadlines; entries of polls already served are stale.
    wait_deadlines: Deadlines<(u64, u32)>,
    send_quota: Option<TokenBucket>,
    delayed_count: u32,
    visible_count: u32,
    in_flight_count: u32,
    rng: SimRng,
    /// The earliest deadline created since the world last asked (see
    /// [`Service::take_new_deadline`]).
    new_deadline: Option<SimTime>,
    /// Receives left until the next duplicate copy (drawn geometrically, so the common
    /// no-duplicate case costs a decrement, not a random draw).
    receives_to_duplicate: u64,
    metrics: QueueMetrics,
}

#[derive(Clone, Copy, Debug)]
struct Waiter {
    consumer: ConsumerId,
    token: u64,
    max_messages: u8,
}

impl Service {
    /// `rng` gives each queue its stream for duplicates and short-poll sampling.
    pub fn new(configs: Vec<Config>, mut rng: impl FnMut(&str) -> SimRng) -> Service {
        let queues = configs
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                let rng = rng(&format!("sqs.{}", config.name));
                Queue::new(i as u32, config, rng)
            })
            .collect();
        Service { queues, wait_tokens: Vec::new(), next_wait_token: 1, answered: Vec::new() }
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

    /// The message a still-current receipt refers to.
    pub fn message(&self, receipt: Receipt) -> Option<Message> {
        let queue = &self.queues[receipt.queue as usize];
        let r = SlotRef { slot: receipt.slot, generation: receipt.generation };
        queue.store.is(r, State::InFlight).then(|| queue.store.get(r.slot).message)
    }

    /// Delayed, visible and in-flight message counts.
    pub fn depth(&self, q: QueueId) -> (u32, u32, u32) {
        let queue = &self.queues[q.0 as usize];
        (queue.delayed_count, queue.visible_count, queue.in_flight_count)
    }

    /// How long the oldest message stored in `q` (in any state: delayed, visible or in
    /// flight, as CloudWatch's `ApproximateAgeOfOldestMessage` counts undeleted messages) has
    /// been there; zero for an empty queue. The age counts from the enqueue time retention
    /// uses. AWS's rule that a standard message received three times stops counting is not
    /// modelled.
    pub fn oldest_age(&self, now: SimTime, q: QueueId) -> SimDuration {
        let store = &self.queues[q.0 as usize].store;
        store.oldest().map_or(SimDuration::ZERO, |i| now.saturating_since(store.get(i).enqueued_at))
    }

    /// Messages stored in all queues, in any state.
    pub fn stored_messages(&self) -> u64 {
        self.queues.iter().map(|q| u64::from(q.store.len())).sum()
    }

    /// SendMessage; `timer` is the message's DelaySeconds (standard queues only).
    pub fn send(&mut self, now: SimTime, q: QueueId, message: Message, timer: Option<SimDuration>) -> SendOutcome {
        let queue = &mut self.queues[q.0 as usize];
        if message.size_bytes > queue.config.max_message_size_bytes {
            queue.metrics.send_message_requests += 1;
            queue.metrics.billed_requests += billed_chunks(u64::from(message.size_bytes));
            queue.metrics.rejected_oversize += 1;
            return SendOutcome::TooLarge;
        }
        if !queue.take_send_quota(now) {
            return SendOutcome::Throttled;
        }
        queue.metrics.send_message_requests += 1;
        queue.metrics.billed_requests += billed_chunks(u64::from(message.size_bytes));
        queue.accept(now, message, timer)
    }

    /// A send made by AWS itself on the customer's behalf (SNS or EventBridge moving a
    /// message to a dead-letter queue): billed like SendMessage, never throttled, so a
    /// dead-lettered message is never lost to the FIFO quota.
    pub fn send_dead_letter(&mut self, now: SimTime, q: QueueId, message: Message) -> SendOutcome {
        let queue = &mut self.queues[q.0 as usize];
        queue.metrics.send_message_requests += 1;
        queue.metrics.billed_requests += billed_chunks(u64::from(message.size_bytes));
        queue.accept(now, message, None)
    }

    /// SendMessageBatch: one call for up to 10 entries and 1 MiB. Outcomes are pushed in
    /// entry order; a throttled call throttles every entry.
    pub fn send_batch(
        &mut self,
        now: SimTime,
        q: QueueId,
        entries: &[(Message, Option<SimDuration>)],
        outcomes: &mut Vec<SendOutcome>,
    ) {
        assert!(!entries.is_empty() && entries.len() <= BATCH_ENTRIES_MAX, "batch of {}", entries.len());
        let queue = &mut self.queues[q.0 as usize];
        if !queue.take_send_quota(now) {
            outcomes.extend(entries.iter().map(|_| SendOutcome::Throttled));
            return;
        }
        let bytes: u64 = entries.iter().map(|(m, _)| u64::from(m.size_bytes)).sum();
        assert!(bytes <= PAYLOAD_MAX_BYTES, "batch of {bytes} bytes");
        queue.metrics.send_message_batch_requests += 1;
        queue.metrics.billed_requests += billed_chunks(bytes);
        for &(message, timer) in entries {
            if message.size_bytes > queue.config.max_message_size_bytes {
                queue.metrics.rejected_oversize += 1;
                outcomes.push(SendOutcome::TooLarge);
                continue;
            }
            outcomes.push(queue.accept(now, message, timer));
        }
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
        let is_short = wait == SimDuration::ZERO;
        if is_short && queue.is_at_in_flight_limit() {
            // Standard queues answer OverLimit; FIFO queues return no error, just nothing.
            if queue.config.kind.is_fifo() {
                queue.metrics.empty_receives += 1;
                return ReceiveOutcome::Empty;
            }
            queue.metrics.over_limit_errors += 1;
            return ReceiveOutcome::OverLimit;
        }
        let seen = if is_short { queue.short_poll_view(max_messages) } else { max_messages };
        if seen > 0 && queue.can_deliver() {
            let mut batch = Batch::default();
            queue.take(now, seen, &mut batch);
            if !batch.is_empty() {
                return ReceiveOutcome::Received(batch);
            }
        }
        if is_short {
            queue.metrics.empty_receives += 1;
            return ReceiveOutcome::Empty;
        }
        let token = self.next_wait_token;
        self.next_wait_token += 1;
        self.wait_tokens[consumer.0 as usize] = token;
        queue.waiting.push_back(Waiter { consumer, token, max_messages });
        queue.wait_deadlines.push(now + wait, (token, consumer.0));
        queue.note_deadline(now + wait);
        ReceiveOutcome::Waiting
    }

    /// Completes one waiting long poll if a message is available for it: returns whose poll
    /// it was, with what it received in `batch` (filled in place: a batch is 128 bytes, and
    /// this runs for every message a waiting consumer gets).
    pub fn serve_waiting(&mut self, now: SimTime, q: QueueId, batch: &mut Batch) -> Option<ConsumerId> {
        let queue = &mut self.queues[q.0 as usize];
        while queue.can_deliver() {
            let waiter = queue.waiting.front().copied()?;
            let token = &mut self.wait_tokens[waiter.consumer.0 as usize];
            if *token != waiter.token {
                queue.waiting.pop_front();
                continue; // this poll already ended empty
            }
            queue.take(now, waiter.max_messages, batch);
            if batch.is_empty() {
                return None; // what was visible was a FIFO group already in flight
            }
            queue.waiting.pop_front();
            queue.wait_deadlines.cancel_oldest((waiter.token, waiter.consumer.0));
            *token = 0;
            return Some(waiter.consumer);
        }
        None
    }

    /// Ends the long polls whose wait is over, empty; returns their consumers in `ended`.
    pub fn expire_waits(&mut self, now: SimTime, q: QueueId, ended: &mut Vec<ConsumerId>) {
        let queue = &mut self.queues[q.0 as usize];
        while let Some((at, (token, consumer))) = queue.wait_deadlines.peek() {
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

    /// True if a long poll on `q` is still waiting: then nothing visible can be received
    /// (what is visible belongs to FIFO groups already in flight), whatever the depth says.
    /// Linear in the waiting polls; callers ask on a timer, not per message.
    pub fn has_waiting_long_poll(&self, q: QueueId) -> bool {
        let tokens = &self.wait_tokens;
        self.queues[q.0 as usize].waiting.iter().any(|w| tokens[w.consumer.0 as usize] == w.token)
    }

    /// True if a long poll is waiting and a message could be handed to it.
    pub fn has_servable_waiter(&self, q: QueueId) -> bool {
        let queue = &self.queues[q.0 as usize];
        !queue.waiting.is_empty() && queue.can_deliver()
    }

    /// DeleteMessage. Returns true if the message was deleted; an outdated receipt is a
    /// billed request that deletes nothing.
    pub fn delete(&mut self, now: SimTime, receipt: Receipt) -> bool {
        let queue = &mut self.queues[receipt.queue as usize];
        queue.metrics.delete_message_requests += 1;
        queue.metrics.billed_requests += 1;
        let deleted = queue.delete(now, receipt);
        self.answer(deleted)
    }

    /// A consumer answers a `.waitForTaskToken` task when it deletes the message, having
    /// processed it (SendTaskSuccess or SendTaskFailure; the task decides which).
    fn answer(&mut self, deleted: Option<Message>) -> bool {
        if let Some(Message { task_token: Some(token), .. }) = deleted {
            self.answered.push(token);
        }
        deleted.is_some()
    }

    /// True if deletes answered task tokens since the last [`Service::take_answered`].
    #[inline]
    pub fn has_answered(&self) -> bool {
        !self.answered.is_empty()
    }

    /// The task tokens answered since the last call.
    pub fn take_answered(&mut self) -> Vec<TaskToken> {
        std::mem::take(&mut self.answered)
    }

    /// DeleteMessageBatch: one call for up to 10 receipts of one queue. Returns how many
    /// messages were deleted.
    pub fn delete_batch(&mut self, now: SimTime, receipts: &[Receipt]) -> u32 {
        assert!(!receipts.is_empty() && receipts.len() <= BATCH_ENTRIES_MAX, "batch of {}", receipts.len());
        let queue = &mut self.queues[receipts[0].queue as usize];
        queue.metrics.delete_message_batch_requests += 1;
        queue.metrics.billed_requests += 1;
        let mut deleted = 0;
        for r in receipts {
            let message = self.queues[receipts[0].queue as usize].delete(now, *r);
            deleted += u32::from(self.answer(message));
        }
        deleted
    }

    /// ChangeMessageVisibility (one receipt) or ChangeMessageVisibilityBatch (up to 10):
    /// each still-current receipt stays invisible until `now + timeout`. A new deadline
    /// beyond 12 hours from the receive is refused, as AWS does (the entry fails, the
    /// deadline stays).
    pub fn change_visibility(&mut self, now: SimTime, receipts: &[Receipt], timeout: SimDuration) {
        assert!(!receipts.is_empty() && receipts.len() <= BATCH_ENTRIES_MAX, "batch of {}", receipts.len());
        let queue = &mut self.queues[receipts[0].queue as usize];
        queue.metrics.change_visibility_requests += 1;
        queue.metrics.billed_requests += 1;
        for r in receipts {
            let sr = SlotRef { slot: r.slot, generation: r.generation };
            if queue.store.is(sr, State::InFlight) {
                let slot = queue.store.get_mut(r.slot);
                if now + timeout > slot.received_at + VISIBILITY_MAX {
                    queue.metrics.visibility_extension_errors += 1;
                    continue;
                }
                slot.visible_deadline = now + timeout;
                // The new deadline gets its own entry; older entries no longer match it.
                queue.extended.push(Reverse((now + timeout, sr)));
                queue.note_deadline(now + timeout);
                queue.metrics.visibility_extensions += 1;
            }
        }
    }

    /// The earliest instant at which this queue has timed work (a delay ending, a
    /// visibility timeout, a retention expiry, a long poll ending).
    pub fn next_deadline(&mut self, q: QueueId) -> Option<SimTime> {
        let queue = &mut self.queues[q.0 as usize];
        queue.new_deadline = None;
        let tokens = &self.wait_tokens;
        while let Some((_, (token, consumer))) = queue.wait_deadlines.peek() {
            if tokens[consumer as usize] == token {
                break;
            }
            queue.wait_deadlines.pop();
        }
        let wait = queue.wait_deadlines.peek().map(|(at, _)| at);
        [queue.next_visibility_deadline(), queue.next_delay_end(), queue.next_expiry(), wait]
            .into_iter()
            .flatten()
            .min()
    }

    /// The earliest deadline created since the last call (by a send, receive, long poll or
    /// move), if any. Deadlines only ever get created or dropped, so a caller that keeps an
    /// event armed for the earliest deadline needs to look only at new ones, and recompute
    /// fully with [`Service::next_deadline`] when its event fires.
    #[inline]
    pub fn take_new_deadline(&mut self, q: QueueId) -> Option<SimTime> {
        self.queues[q.0 as usize].new_deadline.take()
    }

    /// Handles delays, visibility timeouts and retention expiry due at `now`. Returns the
    /// dead-letter queue that received messages, if any, so the caller can serve its polls.
    pub fn on_deadlines(&mut self, now: SimTime, q: QueueId) -> Option<QueueId> {
        let mut moved = Vec::new();
        let queue = &mut self.queues[q.0 as usize];
        queue.end_delays(now);
        queue.expire_visibility(now, &mut moved);
        queue.expire_retention(now);
        let redrive = queue.config.redrive?;
        if moved.is_empty() {
            return None;
        }
        let dlq = &mut self.queues[redrive.dead_letter_queue.0 as usize];
        for message in moved {
            dlq.metrics.moved_in += 1;
            // Standard queues keep the original enqueue time; FIFO resets it on the move.
            let enqueued_at = if dlq.config.kind.is_fifo() { now } else { message.1 };
            dlq.enqueue(now, message.0, enqueued_at, None, q.0);
        }
        Some(redrive.dead_letter_queue)
    }

    /// One step of a redrive (StartMessageMoveTask) from dead-letter queue `from`: moves its
    /// oldest visible message to `to`, or to the queue it was dead-lettered from. Returns
    /// the destination, or `None` once `from` has no visible message (the task is done).
    pub fn move_one(&mut self, now: SimTime, from: QueueId, to: Option<QueueId>) -> Option<QueueId> {
        let source = &mut self.queues[from.0 as usize];
        // A message with no known source queue (sent to the dead-letter queue directly)
        // cannot go back to one: the task ends there, as it moves oldest first.
        if to.is_none() && source.oldest_visible_origin()? == from.0 {
            return None;
        }
        let (message, enqueued_at, origin) = source.take_oldest_visible(now)?;
        source.metrics.redriven_out += 1;
        // Assumption: a move is billed as the receive, send and delete it stands for.
        source.metrics.billed_requests += 2 * billed_chunks(u64::from(message.size_bytes)) + 1;
        let destination = to.unwrap_or(QueueId(origin));
        let dest = &mut self.queues[destination.0 as usize];
        dest.metrics.redriven_in += 1;
        let enqueued_at = if dest.config.kind.is_fifo() { now } else { enqueued_at };
        dest.enqueue(now, message, enqueued_at, None, NIL);
        Some(destination)
    }

    /// Starts a new statistics window at `now` (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        for queue in &mut self.queues {
            let m = &queue.metrics;
            let (delayed, visible, in_flight) = (m.delayed, m.visible, m.in_flight);
            let stored_at_start = u64::from(queue.store.len());
            queue.metrics = QueueMetrics { delayed, visible, in_flight, stored_at_start, ..QueueMetrics::default() };
            queue.metrics.delayed.reset(now);
            queue.metrics.visible.reset(now);
            queue.metrics.in_flight.reset(now);
        }
    }
}

impl Queue {
    fn new(id: u32, config: Config, rng: SimRng) -> Queue {
        let (order, send_quota) = match config.kind {
            Kind::Standard { .. } => (Order::Standard(VecDeque::new()), None),
            Kind::Fifo { calls_per_s_max } => (
                Order::Fifo(Groups::default(), Deduplication::default()),
                // One second of calls as the bucket: sustained rate and burst both match
                // "N calls per second".
                Some(TokenBucket::new(calls_per_s_max, calls_per_s_max)),
            ),
        };
        let mut queue = Queue {
            id,
            config,
            store: Store::new(),
            order,
            in_flight: VecDeque::new(),
            extended: BinaryHeap::new(),
            delayed: BinaryHeap::new(),
            waiting: VecDeque::new(),
            wait_deadlines: Deadlines::new(),
            send_quota,
            delayed_count: 0,
            visible_count: 0,
            in_flight_count: 0,
            rng,
            receives_to_duplicate: u64::MAX,
            new_deadline: None,
            metrics: QueueMetrics::default(),
        };
        queue.receives_to_duplicate = queue.draw_receives_to_duplicate();
        queue
    }

    /// Receives until the next duplicate: geometric with the duplicate rate, counting the
    /// receive that duplicates.
    fn draw_receives_to_duplicate(&mut self) -> u64 {
        let Kind::Standard { duplicate_rate } = self.config.kind else { return u64::MAX };
        if duplicate_rate <= 0.0 {
            return u64::MAX;
        }
        if duplicate_rate >= 1.0 {
            return 1;
        }
        let u = 1.0 - self.rng.unit(); // in (0, 1]
        (u.ln() / (1.0 - duplicate_rate).ln()).floor() as u64 + 1
    }

    fn take_send_quota(&mut self, now: SimTime) -> bool {
        let ok = self.send_quota.as_mut().is_none_or(|b| b.try_take(now));
        if !ok {
            self.metrics.throttled_sends += 1;
        }
        ok
    }

    /// A producer's message: deduplicated (FIFO) or stored.
    fn accept(&mut self, now: SimTime, message: Message, timer: Option<SimDuration>) -> SendOutcome {
        if let Order::Fifo(_, dedup) = &mut self.order
            && dedup.is_duplicate(now, message.deduplication_id)
        {
            self.metrics.deduplicated += 1;
            return SendOutcome::Deduplicated;
        }
        self.metrics.sent += 1;
        self.enqueue(now, message, now, timer, NIL);
        SendOutcome::Accepted
    }

    /// Stores a message, hidden for its delay or visible at once.
    fn enqueue(
        &mut self,
        now: SimTime,
        message: Message,
        enqueued_at: SimTime,
        timer: Option<SimDuration>,
        source_queue: u32,
    ) {
        let delay = timer.unwrap_or(self.config.delay);
        if delay > SimDuration::ZERO {
            let r = self.store.insert(message, enqueued_at, State::Delayed, source_queue);
            self.delayed.push(Reverse((now + delay, r)));
            self.note_deadline(now + delay);
            self.delayed_count += 1;
            self.metrics.delayed.add(now, 1);
        } else {
            let r = self.store.insert(message, enqueued_at, State::Visible, source_queue);
            self.make_visible(now, r, false);
        }
        self.note_deadline(enqueued_at + self.config.retention);
    }

    #[inline]
    fn note_deadline(&mut self, at: SimTime) {
        if self.new_deadline.is_none_or(|d| at < d) {
            self.new_deadline = Some(at);
        }
    }

    fn make_visible(&mut self, now: SimTime, r: SlotRef, at_front: bool) {
        self.store.get_mut(r.slot).state = State::Visible;
        match &mut self.order {
            Order::Standard(visible) if at_front => visible.push_front(r),
            Order::Standard(visible) => visible.push_back(r),
            Order::Fifo(groups, _) => groups.push(&self.store, self.store.get(r.slot).message.group, r, at_front),
        }
        self.visible_count += 1;
        self.metrics.visible.add(now, 1);
    }

    fn is_at_in_flight_limit(&self) -> bool {
        self.in_flight_count >= self.config.in_flight_max
    }

    fn can_deliver(&self) -> bool {
        self.visible_count > 0 && !self.is_at_in_flight_limit()
    }

    /// How many messages a short poll sees: with few visible messages, each is on a
    /// sampled server with probability `short_poll_sample_fraction`.
    fn short_poll_view(&mut self, max: u8) -> u8 {
        let f = self.config.short_poll_sample_fraction;
        if self.visible_count >= SHORT_POLL_FULL_VIEW || f >= 1.0 {
            return max;
        }
        let mut seen = 0u8;
        for _ in 0..self.visible_count {
            if seen == max {
                break;
            }
            seen += u8::from(self.rng.chance(f));
        }
        seen
    }

    /// Takes up to `max` visible messages into flight (fewer at the in-flight limit, or
    /// when FIFO groups are in flight).
    /// Receives up to `max` messages into `batch` (emptied first).
    fn take(&mut self, now: SimTime, max: u8, batch: &mut Batch) {
        let room = self.config.in_flight_max.saturating_sub(self.in_flight_count);
        let max = usize::from(max).min(room as usize);
        batch.clear();
        let mut billed_bytes = 0u64;
        let mut fifo_group = None;
        while batch.len() < max && self.visible_count > 0 {
            let r = match &mut self.order {
                Order::Standard(visible) => match visible.pop_front() {
                    Some(r) if self.store.is(r, State::Visible) => r,
                    Some(_) => continue,
                    None => break,
                },
                Order::Fifo(groups, _) => match groups.pop(&self.store, &mut fifo_group) {
                    Some(r) => r,
                    None => break,
                },
            };
            let receipt = self.start_receipt(now, r.slot);
            let message = self.store.get(r.slot).message;
            billed_bytes += u64::from(message.size_bytes);
            batch.push(receipt, message);
        }
        let n = batch.len() as i64;
        self.metrics.visible.add(now, -n);
        self.metrics.in_flight.add(now, n);
        self.metrics.billed_requests += billed_chunks(billed_bytes) - 1;
        for i in 0..batch.len() {
            self.receives_to_duplicate -= 1;
            if self.receives_to_duplicate == 0 {
                self.receives_to_duplicate = self.draw_receives_to_duplicate();
                self.metrics.duplicates += 1;
                let (message, enqueued_at) = {
                    let slot = self.store.get(batch.receipts[i].slot);
                    (slot.message, slot.enqueued_at)
                };
                let copy = self.store.insert(message, enqueued_at, State::Visible, NIL);
                self.make_visible(now, copy, false);
            }
        }
    }

    fn start_receipt(&mut self, now: SimTime, index: u32) -> Receipt {
        let r = self.store.renew(index);
        let timeout = self.config.visibility_timeout;
        let slot = self.store.get_mut(index);
        slot.receive_count += 1;
        slot.state = State::InFlight;
        slot.received_at = now;
        slot.visible_deadline = now + timeout;
        let (created_at, first) = (slot.message.created_at, slot.receive_count == 1);
        let (group, seq) = (slot.message.group, slot.seq);
        if first
            && let Order::Fifo(groups, _) = &mut self.order
            && !groups.on_first_delivery(group, seq)
        {
            self.metrics.fifo_order_violations += 1;
        }
        self.visible_count -= 1;
        self.in_flight_count += 1;
        self.in_flight.push_back((now + timeout, r));
        self.note_deadline(now + timeout);
        self.metrics.received += 1;
        if first {
            self.metrics.queue_wait.record(now.saturating_since(created_at));
        }
        Receipt { queue: self.id, slot: index, generation: r.generation }
    }

    /// Deletes the receipt's message and returns it, or `None` for a stale receipt.
    fn delete(&mut self, now: SimTime, receipt: Receipt) -> Option<Message> {
        let slot = self.store.get(receipt.slot);
        // FIFO: a delete after the visibility timeout has ended fails (aws-messaging §1.4).
        let is_timed_out_fifo = slot.state == State::Visible && self.config.kind.is_fifo();
        if slot.state == State::Free
            || slot.state == State::Delayed
            || slot.generation != receipt.generation
            || is_timed_out_fifo
        {
            self.metrics.stale_deletes += 1;
            return None;
        }
        let message = slot.message;
        self.metrics.deleted += 1;
        self.metrics.end_to_end.record(now.saturating_since(message.created_at));
        self.remove(now, receipt.slot);
        Some(message)
    }

    /// True if the deadline entry (at, r) is the receipt's current one: in flight, and not
    /// superseded by a ChangeMessageVisibility (each change adds its own entry).
    fn is_current_deadline(&self, at: SimTime, r: SlotRef) -> bool {
        self.store.is(r, State::InFlight) && self.store.get(r.slot).visible_deadline == at
    }

    fn next_visibility_deadline(&mut self) -> Option<SimTime> {
        while let Some(&(at, r)) = self.in_flight.front() {
            if self.is_current_deadline(at, r) {
                break;
            }
            self.in_flight.pop_front();
        }
        while let Some(&Reverse((at, r))) = self.extended.peek() {
            if self.is_current_deadline(at, r) {
                break;
            }
            self.extended.pop();
        }
        let first = self.in_flight.front().map(|&(at, _)| at);
        let extended = self.extended.peek().map(|r| r.0.0);
        first.into_iter().chain(extended).min()
    }

    fn expire_visibility(&mut self, now: SimTime, moved: &mut Vec<(Message, SimTime)>) {
        while let Some(&(at, r)) = self.in_flight.front() {
            if at > now {
                break;
            }
            self.in_flight.pop_front();
            self.on_visibility_deadline(now, at, r, moved);
        }
        while let Some(&Reverse((at, r))) = self.extended.peek() {
            if at > now {
                break;
            }
            self.extended.pop();
            self.on_visibility_deadline(now, at, r, moved);
        }
    }

    fn on_visibility_deadline(&mut self, now: SimTime, at: SimTime, r: SlotRef, moved: &mut Vec<(Message, SimTime)>) {
        if !self.is_current_deadline(at, r) {
            return; // deleted, or changed by ChangeMessageVisibility: its own entry decides
        }
        let slot = *self.store.get(r.slot);
        if let Some(redrive) = self.config.redrive
            && slot.receive_count >= redrive.receive_count_max
        {
            self.metrics.moved_to_dlq += 1;
            moved.push((slot.message, slot.enqueued_at));
            self.remove(now, r.slot);
            return;
        }
        self.in_flight_count -= 1;
        self.metrics.in_flight.add(now, -1);
        if let Order::Fifo(groups, _) = &mut self.order {
            groups.on_in_flight_ended(slot.message.group);
        }
        let to_back = self.config.redrive.is_some_and(|rd| rd.receive_count_max > RECEIVES_BEFORE_MOVE_TO_BACK)
            && slot.receive_count >= RECEIVES_BEFORE_MOVE_TO_BACK
            && !self.config.kind.is_fifo();
        self.make_visible(now, r, !to_back);
    }

    fn next_delay_end(&mut self) -> Option<SimTime> {
        self.delayed.peek().map(|r| r.0.0)
    }

    fn end_delays(&mut self, now: SimTime) {
        while let Some(&Reverse((at, r))) = self.delayed.peek() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if self.store.is(r, State::Delayed) {
                self.delayed_count -= 1;
                self.metrics.delayed.add(now, -1);
                self.make_visible(now, r, false);
            }
        }
    }

    fn next_expiry(&self) -> Option<SimTime> {
        self.store.oldest().map(|i| self.store.get(i).enqueued_at + self.config.retention)
    }

    fn expire_retention(&mut self, now: SimTime) {
        while let Some(i) = self.store.oldest() {
            if self.store.get(i).enqueued_at + self.config.retention > now {
                break;
            }
            self.metrics.expired += 1;
            self.remove(now, i);
        }
    }

    /// The queue the next message `take_oldest_visible` would take came from.
    fn oldest_visible_origin(&mut self) -> Option<u32> {
        let r = match &mut self.order {
            Order::Standard(visible) => loop {
                let r = *visible.front()?;
                if self.store.is(r, State::Visible) {
                    break r;
                }
                visible.pop_front();
            },
            Order::Fifo(groups, _) => groups.peek(&self.store)?,
        };
        let source = self.store.get(r.slot).source_queue;
        Some(if source == NIL { self.id } else { source })
    }

    /// The oldest visible message, removed (for redrive): (message, enqueue time, the queue
    /// it was dead-lettered from).
    fn take_oldest_visible(&mut self, now: SimTime) -> Option<(Message, SimTime, u32)> {
        let index = match &mut self.order {
            Order::Standard(visible) => loop {
                let r = visible.pop_front()?;
                if self.store.is(r, State::Visible) {
                    break r.slot;
                }
            },
            Order::Fifo(groups, _) => {
                let mut current = None;
                let r = groups.pop(&self.store, &mut current)?;
                // `pop` counted it in flight for its group; it leaves instead.
                groups.on_in_flight_ended(self.store.get(r.slot).message.group);
                r.slot
            }
        };
        let slot = *self.store.get(index);
        self.visible_count -= 1;
        self.metrics.visible.add(now, -1);
        self.store.remove(index);
        let origin = if slot.source_queue == NIL { self.id } else { slot.source_queue };
        Some((slot.message, slot.enqueued_at, origin))
    }

    /// Frees a stored message whatever its state.
    fn remove(&mut self, now: SimTime, index: u32) {
        let (state, group) = self.store.remove(index);
        match state {
            State::Delayed => {
                self.delayed_count -= 1;
                self.metrics.delayed.add(now, -1);
            }
            State::Visible => {
                self.visible_count -= 1;
                self.metrics.visible.add(now, -1);
                if let Order::Fifo(groups, _) = &mut self.order {
                    groups.on_visible_removed(group);
                }
            }
            State::InFlight => {
                self.in_flight_count -= 1;
                self.metrics.in_flight.add(now, -1);
                if let Order::Fifo(groups, _) = &mut self.order {
                    groups.on_in_flight_ended(group);
                }
            }
            State::Free => unreachable!("store.remove rejects free slots"),
        }
    }
}

/// Requests billed for a call carrying `bytes` of payload: one per started 64 KiB chunk,
/// at least one.
pub fn billed_chunks(bytes: u64) -> u64 {
    bytes.div_ceil(BILLING_CHUNK_BYTES).max(1)
}

#[cfg(test)]
mod tests;
