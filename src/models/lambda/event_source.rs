//! Lambda's event source mapping for SQS: pollers that receive batches from a queue, invoke
//! the function synchronously, and delete what succeeded.
//!
//! Follows `reference/aws-messaging.md` §1.9 (Lambda Developer Guide, SQS pages):
//! - batch size 1–10,000 for standard queues and 1–10 for FIFO (default 10); batching window
//!   0–300 s, standard queues only; a batch is invoked when the window ends, the batch size
//!   is reached, or the payload reaches 6 MB; the next window starts when the previous
//!   invocation completes;
//! - scaling on a standard queue starts with 5 concurrent batches and adds up to 300
//!   concurrent invokes per minute while messages remain, up to 1,250 per mapping by default
//!   (the November 2023 announcement; the current scaling page says 1,000: configurable);
//!   `MaximumConcurrency` (2–1,000) caps it; at low traffic it drops back towards 5;
//! - FIFO: concurrency follows the number of active message groups, which the queue's
//!   group rule gives for free here;
//! - any failure returns the whole batch to the queue after the visibility timeout, unless
//!   `ReportBatchItemFailures` is on: then only the failed messages return; on a FIFO queue
//!   the function stops at the first failure and reports it and every later message.
//!
//! Modelling choices where AWS publishes no rule (documented in the book's modelling assumptions):
//! - a poller is one concurrent batch: it long-polls (20 s, up to 10 messages a call and
//!   no more than the batch has room for) until its batch is due, invokes, waits for the result, deletes, and polls again;
//! - scale-up is checked every 10 s: while the queue has visible messages and no poller
//!   waits in a long poll (on a FIFO queue, visible messages of groups in flight cannot be
//!   received), up to 50 more pollers start (300 a minute); a poller whose long poll ends empty with nothing
//!   collected retires while more than 5 are active;
//! - `error_rate` is per message: each message of a batch fails with that probability
//!   (poison messages always, until the fix); without ReportBatchItemFailures one failed
//!   message fails the invocation and so the batch;
//! - a throttled invoke leaves the batch in flight (it returns after the visibility
//!   timeout); the poller retires while more than 5 are active (throttles scale polling
//!   down), else it waits 1 s before polling again;
//! - the 6 MB limit counts each record as its message (body and attributes) plus
//!   `record_overhead_bytes` of event metadata (1,024 by default: the record's message id,
//!   receipt handle, MD5, system attributes and source ARN, which AWS counts towards the
//!   6 MB without publishing their size). It is checked record by record as a receive adds
//!   them: a record that would take the invocation past 6 MB closes the batch and, with the
//!   rest of that receive, is carried, still in flight, into the poller's next batch, whose
//!   batching window started when they were received.
//!
//! Provisioned mode (`ProvisionedPollerConfig`, Lambda Developer Guide, "Using provisioned
//! mode with SQS event source mappings"; `reference/aws-messaging.md` §1.9): the mapping keeps
//! between a minimum (2–200, default 2) and a maximum (2–2,000, default 200) of dedicated
//! event pollers; each handles up to 10 concurrent invokes (and about 1 MB/s and 10 polls/s),
//! and the mapping scales up by up to 1,000 concurrent invokes a minute. Modelling choices:
//! - an event poller is `INVOKES_PER_EVENT_POLLER` (10) of this model's pollers (concurrent
//!   batches): the mapping starts with, and never retires below, minimum × 10, and runs at
//!   most maximum × 10; the per-poller 1 MB/s and 10 polls/s are not limits here;
//! - scale-up follows the on-demand rule (every 10 s while a poll could take something) with
//!   `PROVISIONED_SCALE_STEP` (166) more a tick: 996 a minute, the largest whole step within
//!   AWS's 1,000 a minute;
//! - provisioned mode's event poller units are not priced.
//!
//! Event filtering (`FilterCriteria`, Lambda Developer Guide, "Control which events Lambda
//! sends to your function" and "Using event filtering with an Amazon SQS event source"): the
//! pollers receive every message; a record that matches none of the mapping's filters never
//! joins a batch, and Lambda deletes it. The world tells each receive which of its records
//! are filtered out (the verdicts travel with the message); the mapping counts them
//! (`filtered_out`) and leaves them out of the batch, its size and its window. How Lambda
//! deletes them is not published: the model deletes a receive's filtered records at once,
//! with one DeleteMessage, or one DeleteMessageBatch for several (billed SQS requests).

use super::FunctionId;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::TimeWeighted;
use crate::models::{Batch, Receipt};

/// Pollers a mapping starts with.
pub const POLLERS_INITIAL: u32 = 5;
/// The mapping's default ceiling on concurrent invokes.
pub const SCALING_MAX_DEFAULT: u32 = 1_250;
/// How often scale-up is checked, and by how much it may grow then (300 a minute).
pub const SCALE_TICK: SimDuration = SimDuration::from_secs(10);
pub const SCALE_STEP: u32 = 50;
/// Provisioned mode: the concurrent invokes one event poller handles (AWS: up to 10).
pub const INVOKES_PER_EVENT_POLLER: u32 = 10;
/// Provisioned mode: concurrent invokes added a scale tick, within AWS's 1,000 a minute.
pub const PROVISIONED_SCALE_STEP: u32 = 166;
/// Provisioned mode's default event pollers for SQS (AWS: minimum 2, maximum 200).
pub const PROVISIONED_POLLERS_MIN_DEFAULT: u32 = 2;
pub const PROVISIONED_POLLERS_MAX_DEFAULT: u32 = 200;
/// The synchronous-invoke payload limit, which also closes a batch.
pub const PAYLOAD_MAX_BYTES: u64 = 6 * 1024 * 1024;
/// Lambda's pollers use long polling.
pub const POLL_WAIT: SimDuration = SimDuration::from_secs(20);
/// Pause after a throttled invoke.
pub const THROTTLE_BACKOFF: SimDuration = SimDuration::from_secs(1);

/// Configuration of one mapping, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub function: FunctionId,
    pub batch_size: u32,
    pub batching_window: SimDuration,
    /// The most pollers: min(scaling ceiling, MaximumConcurrency).
    pub concurrency_max: u32,
    pub report_batch_item_failures: bool,
    /// Probability that one message of a batch fails.
    pub error_rate: f64,
    /// Poison messages fail until this time (never fixed if `None`).
    pub fix_deployed_at: Option<SimTime>,
    /// The source is a FIFO queue (partial failures stop at the first failed message).
    pub is_fifo: bool,
    /// What each record adds to the invocation's payload besides its message.
    pub record_overhead_bytes: u32,
    /// The mapping has `FilterCriteria` (the world applies them).
    pub has_filters: bool,
    /// Provisioned mode's event pollers, when the mapping uses it.
    pub provisioned: Option<Provisioned>,
    /// The mapping's name when its function has several (`mappings`), which prefixes its
    /// metrics; none for a function's one `source`.
    pub name: Option<String>,
    /// The source is an Amazon MQ broker's queue: `concurrency_max` pollers consume it from
    /// the start and never retire (see [`BROKER_ENVIRONMENTS_ACTIVEMQ`]).
    pub is_broker: bool,
}

/// `ProvisionedPollerConfig`: dedicated event pollers, each `INVOKES_PER_EVENT_POLLER`
/// concurrent batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provisioned {
    pub pollers_min: u32,
    pub pollers_max: u32,
}

impl Config {
    /// Concurrent batches the mapping starts with and never retires below.
    pub fn pollers_min(&self) -> u32 {
        if self.is_broker {
            return self.concurrency_max;
        }
        self.provisioned.map_or(POLLERS_INITIAL, |p| p.pollers_min * INVOKES_PER_EVENT_POLLER).min(self.concurrency_max)
    }

    /// Concurrent batches one scale tick may add while there is a backlog.
    pub fn scale_step(&self) -> u32 {
        if self.provisioned.is_some() { PROVISIONED_SCALE_STEP } else { SCALE_STEP }
    }
}

/// An Amazon MQ mapping's concurrent execution environments by default: AWS limits them to
/// five per mapping for ActiveMQ and to one for RabbitMQ, whatever the function's reserved
/// or provisioned concurrency, and raises them per mapping through AWS Support
/// (https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html, "Concurrency").
pub const BROKER_ENVIRONMENTS_ACTIVEMQ: u32 = 5;
pub const BROKER_ENVIRONMENTS_RABBITMQ: u32 = 1;
/// An Amazon MQ mapping's `BatchSize` and `MaximumBatchingWindowInSeconds` by default: 100
/// messages and 500 ms (https://docs.aws.amazon.com/lambda/latest/dg/services-mq-params.html).
pub const BROKER_BATCH_SIZE_DEFAULT: u32 = 100;
pub const BROKER_BATCHING_WINDOW_DEFAULT: SimDuration = SimDuration::from_micros(500_000);

/// The event metadata of one SQS record by default, in bytes (a model assumption).
pub const RECORD_OVERHEAD_BYTES_DEFAULT: u32 = 1_024;

/// Counters of one mapping.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub batches: u64,
    pub messages: u64,
    pub throttled_batches: u64,
    /// Invocations that failed (function error, timeout, or a failed message without
    /// ReportBatchItemFailures): their whole batch returns to the queue.
    pub failed_batches: u64,
    /// Messages reported failed with ReportBatchItemFailures.
    pub failed_items: u64,
    /// Messages received that matched none of the mapping's filters: deleted by Lambda,
    /// never in a batch.
    pub filtered_out: u64,
    pub pollers: TimeWeighted,
}

/// What the world should do for a poller next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// ReceiveMessage with this long-poll wait.
    Poll(SimDuration),
    /// Invoke the function with the collected batch.
    Invoke,
    /// The poller stops (scale-down).
    Retire,
}

/// What every receive, invoke and end of a poller reads, in one cache line: a mapping's
/// pollers take the queue's messages in turn (the longest-waiting long poll gets the next
/// one), so a busy mapping cycles through all of them, and their state stays in the cache
/// only if it is small. A batch's first record lives here; at the traffic per poller where
/// that is the whole batch, no other memory is touched.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Poller {
    /// The batch's payload: its records' messages and metadata.
    bytes: u64,
    /// End of the batching window, once the first message is in.
    window_ends: Option<SimTime>,
    /// The batch's first record (valid while `len > 0`); the others are in the poller's
    /// [`Spill`].
    first: Receipt,
    /// Records in the batch.
    len: u32,
    environment: u32,
    is_first_poison: bool,
    is_active: bool,
    /// The running invocation's own outcome (known when it starts).
    has_function_succeeded: bool,
    /// Records are carried over in the poller's [`Spill`].
    has_carried: bool,
}

/// The rest of a poller's state, read only for batches of more than one record and for
/// records carried over.
#[derive(Clone, Debug, Default)]
struct Spill {
    /// The batch's records after the first, with whether each is poison.
    rest: Vec<(Receipt, bool)>,
    /// Received records that did not fit under the payload limit (receipt, poison, payload
    /// bytes), in order: the next batch's first, and when they were received.
    carried: Vec<(Receipt, bool, u64)>,
    carried_since: SimTime,
}

impl Poller {
    /// Adds a record to the batch (its payload counted by the caller).
    fn push(&mut self, spill: &mut Spill, receipt: Receipt, is_poison: bool) {
        if self.len == 0 {
            self.first = receipt;
            self.is_first_poison = is_poison;
        } else {
            spill.rest.push((receipt, is_poison));
        }
        self.len += 1;
    }

    /// The batch's records in order, with whether each is poison.
    fn records<'a>(&self, spill: &'a Spill) -> impl Iterator<Item = (Receipt, bool)> + 'a {
        let first = (self.len > 0).then_some((self.first, self.is_first_poison));
        let rest = if self.len > 1 { &spill.rest[..] } else { &[] };
        first.into_iter().chain(rest.iter().copied())
    }
}

/// One event source mapping.
#[derive(Debug)]
pub struct EventSource {
    config: Config,
    pollers: Vec<Poller>,
    /// Each poller's [`Spill`], by the same index.
    spills: Vec<Spill>,
    active: u32,
    rng: SimRng,
    metrics: Metrics,
}

impl EventSource {
    /// `rng` draws the per-message failures.
    pub fn new(config: Config, rng: SimRng) -> EventSource {
        let pollers = vec![Poller::default(); config.concurrency_max as usize];
        let spills = vec![Spill::default(); config.concurrency_max as usize];
        EventSource { config, pollers, spills, active: 0, rng, metrics: Metrics::default() }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The most pollers this mapping can run (each is one consumer of the queue).
    pub fn poller_count(&self) -> u32 {
        self.config.concurrency_max
    }

    /// Starts pollers up to the initial count, or `step` more while there is a backlog;
    /// returns the pollers started.
    pub fn scale_up(&mut self, now: SimTime, step: u32) -> Vec<u32> {
        let target = (self.active + step).min(self.config.concurrency_max);
        let mut started = Vec::new();
        for (i, p) in self.pollers.iter_mut().enumerate() {
            if self.active + started.len() as u32 >= target {
                break;
            }
            if !p.is_active {
                p.is_active = true;
                started.push(i as u32);
            }
        }
        self.active += started.len() as u32;
        self.metrics.pollers.add(now, started.len() as i64);
        started
    }

    /// How many messages `poller`'s next receive asks for: up to 10, and no more than the
    /// batch still has room for.
    pub fn receive_max(&self, poller: u32) -> u8 {
        let room = self.config.batch_size.saturating_sub(self.pollers[poller as usize].len);
        room.clamp(1, 10) as u8
    }

    pub fn active_pollers(&self) -> u32 {
        self.active
    }

    /// A receive returned `batch` to `poller`, with each message's size; bit `i` of
    /// `filtered_out` is set when the `i`-th record matches none of the mapping's filters
    /// (the world deletes those).
    pub fn on_received(
        &mut self,
        now: SimTime,
        poller: u32,
        batch: &Batch,
        sizes: impl Iterator<Item = u32>,
        filtered_out: u16,
    ) -> Next {
        let window = self.config.batching_window;
        let overhead = u64::from(self.config.record_overhead_bytes);
        let (p, spill) = (&mut self.pollers[poller as usize], &mut self.spills[poller as usize]);
        let dropped = filtered_out.count_ones();
        self.metrics.filtered_out += u64::from(dropped);
        if dropped as usize == batch.len() && p.len == 0 && !p.has_carried {
            // Nothing to collect: the poller polls again at once, its window not started.
            return Next::Poll(POLL_WAIT);
        }
        if p.window_ends.is_none() {
            p.window_ends = Some(now + window);
        }
        for ((i, r), size) in batch.receipts().iter().enumerate().zip(sizes) {
            if filtered_out & (1 << i) != 0 {
                continue;
            }
            let bytes = u64::from(size) + overhead;
            let fits = !p.has_carried && (p.len == 0 || p.bytes + bytes <= PAYLOAD_MAX_BYTES);
            if fits {
                p.push(spill, *r, batch.is_poison(i));
                p.bytes += bytes;
            } else {
                if !p.has_carried {
                    spill.carried_since = now;
                    p.has_carried = true;
                }
                spill.carried.push((*r, batch.is_poison(i), bytes));
            }
        }
        self.decide(now, poller)
    }

    /// After an invocation: the records carried over start the next batch, and the poller
    /// invokes again if they fill it, or polls for more.
    pub fn after_finished(&mut self, now: SimTime, poller: u32) -> Next {
        let window = self.config.batching_window;
        let p = &mut self.pollers[poller as usize];
        if !p.has_carried {
            return Next::Poll(POLL_WAIT);
        }
        let spill = &mut self.spills[poller as usize];
        p.window_ends = Some(spill.carried_since + window);
        let mut taken = 0;
        let mut carried = std::mem::take(&mut spill.carried);
        for &(r, is_poison, bytes) in &carried {
            if p.len > 0 && p.bytes + bytes > PAYLOAD_MAX_BYTES {
                break;
            }
            p.push(spill, r, is_poison);
            p.bytes += bytes;
            taken += 1;
        }
        carried.drain(..taken);
        p.has_carried = !carried.is_empty();
        spill.carried = carried;
        self.decide(now, poller)
    }

    /// A long poll of `poller` ended empty.
    pub fn on_empty(&mut self, now: SimTime, poller: u32) -> Next {
        let p = &self.pollers[poller as usize];
        if p.len == 0 {
            return if self.retire_if_above_minimum(now, poller) { Next::Retire } else { Next::Poll(POLL_WAIT) };
        }
        self.decide(now, poller)
    }

    fn decide(&mut self, now: SimTime, poller: u32) -> Next {
        let p = &self.pollers[poller as usize];
        // A record carried over means the next one would not fit: the batch is full.
        let is_full = p.len >= self.config.batch_size || p.has_carried;
        let window_left = p.window_ends.map_or(SimDuration::ZERO, |end| end.saturating_since(now));
        if is_full || window_left == SimDuration::ZERO {
            return Next::Invoke;
        }
        Next::Poll(window_left.min(POLL_WAIT))
    }

    /// The invoke of `poller`'s batch started in `environment`; `succeeded` is how the
    /// function itself will end (no error, no timeout).
    pub fn on_invoked(&mut self, poller: u32, environment: u32, succeeded: bool) {
        let p = &mut self.pollers[poller as usize];
        p.environment = environment;
        p.has_function_succeeded = succeeded;
        self.metrics.batches += 1;
        self.metrics.messages += u64::from(p.len);
    }

    /// The receipts of the batch of `poller` (an Amazon MQ mapping acknowledges or rejects
    /// them itself).
    pub fn batch_receipts(&self, poller: u32) -> impl Iterator<Item = Receipt> + '_ {
        self.pollers[poller as usize].records(&self.spills[poller as usize]).map(|(r, _)| r)
    }

    /// The receipts `poller` holds for its next batch, beyond the 6 MB of this one.
    pub fn carried_receipts(&self, poller: u32) -> impl Iterator<Item = Receipt> + '_ {
        self.spills[poller as usize].carried.iter().map(|c| c.0)
    }

    /// Messages in the batch of `poller`.
    pub fn batch_len(&self, poller: u32) -> u32 {
        self.pollers[poller as usize].len
    }

    /// The invocation of `poller` failed after all (its handler could not finish its work):
    /// the whole batch returns to the queue.
    pub fn mark_failed(&mut self, poller: u32) {
        self.pollers[poller as usize].has_function_succeeded = false;
    }

    /// The environment the batch of `poller` runs in.
    pub fn environment(&self, poller: u32) -> u32 {
        self.pollers[poller as usize].environment
    }

    /// The invoke was throttled: the batch stays in flight and returns by itself. Returns
    /// true if the poller retires (scale-down), false if it should poll again after a pause.
    pub fn on_throttled(&mut self, now: SimTime, poller: u32) -> bool {
        self.metrics.throttled_batches += 1;
        self.clear(poller);
        // The records carried over are in flight too, and return with the batch.
        self.spills[poller as usize].carried.clear();
        self.pollers[poller as usize].has_carried = false;
        self.retire_if_above_minimum(now, poller)
    }

    fn retire_if_above_minimum(&mut self, now: SimTime, poller: u32) -> bool {
        if self.active <= self.config.pollers_min() {
            return false;
        }
        self.pollers[poller as usize].is_active = false;
        self.active -= 1;
        self.metrics.pollers.add(now, -1);
        true
    }

    /// The invocation ended. Fills `to_delete` with the receipts to delete; returns true if
    /// the invocation failed because of a failed message (the function threw), which
    /// counts as a function error.
    pub fn on_finished(&mut self, now: SimTime, poller: u32, to_delete: &mut Vec<Receipt>) -> bool {
        to_delete.clear();
        let fixed = self.config.fix_deployed_at.is_some_and(|fix| now >= fix);
        let p = &self.pollers[poller as usize];
        let mut failed_items = 0u64;
        for (r, is_poison) in p.records(&self.spills[poller as usize]) {
            // One draw per message whatever else happens, so streams stay aligned.
            let has_failed = self.rng.chance(self.config.error_rate) || (is_poison && !fixed);
            // FIFO: after the first failure the rest are reported unprocessed.
            let is_after_fifo_failure = self.config.is_fifo && failed_items > 0;
            if has_failed || is_after_fifo_failure {
                failed_items += 1;
            } else {
                to_delete.push(r);
            }
        }
        let threw = p.has_function_succeeded && failed_items > 0 && !self.config.report_batch_item_failures;
        if !p.has_function_succeeded || threw {
            self.metrics.failed_batches += 1;
            to_delete.clear();
        } else {
            self.metrics.failed_items += failed_items;
        }
        self.clear(poller);
        threw
    }

    /// Empties the batch; the records carried over stay for the next one.
    fn clear(&mut self, poller: u32) {
        let p = &mut self.pollers[poller as usize];
        if p.len > 1 {
            self.spills[poller as usize].rest.clear();
        }
        p.len = 0;
        p.bytes = 0;
        p.window_ends = None;
    }

    /// Starts a new statistics window at `now` (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        let pollers = self.metrics.pollers;
        self.metrics = Metrics { pollers, ..Metrics::default() };
        self.metrics.pollers.reset(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;
    use crate::models::Message;

    fn mapping(batch_size: u32, window_s: u64, concurrency_max: u32) -> EventSource {
        let config = Config {
            function: FunctionId(0),
            batch_size,
            batching_window: SimDuration::from_secs(window_s),
            concurrency_max,
            report_batch_item_failures: false,
            error_rate: 0.0,
            fix_deployed_at: None,
            is_fifo: false,
            record_overhead_bytes: RECORD_OVERHEAD_BYTES_DEFAULT,
            has_filters: false,
            provisioned: None,
            name: None,
            is_broker: false,
        };
        EventSource::new(config, RngFactory::new(1).stream("esm"))
    }

    #[test]
    fn scaling_starts_at_five_pollers_and_grows_by_steps_to_the_ceiling() {
        let mut m = mapping(10, 0, 120);
        assert_eq!(m.scale_up(SimTime::ZERO, POLLERS_INITIAL).len(), 5);
        assert_eq!(m.scale_up(SimTime::ZERO, SCALE_STEP).len(), 50);
        assert_eq!(m.scale_up(SimTime::ZERO, SCALE_STEP).len(), 50);
        assert_eq!(m.scale_up(SimTime::ZERO, SCALE_STEP).len(), 15, "capped at 120");
        assert_eq!(m.active_pollers(), 120);
    }

    #[test]
    fn idle_pollers_retire_down_to_five() {
        let mut m = mapping(10, 0, 100);
        m.scale_up(SimTime::ZERO, 7);
        assert_eq!(m.on_empty(SimTime::ZERO, 0), Next::Retire);
        assert_eq!(m.on_empty(SimTime::ZERO, 1), Next::Retire);
        assert_eq!(m.on_empty(SimTime::ZERO, 2), Next::Poll(POLL_WAIT));
        assert_eq!(m.active_pollers(), 5);
    }

    /// A receive of `n` messages of `size` bytes for `poller`.
    fn receive(m: &mut EventSource, now: SimTime, poller: u32, first: u64, n: u64, size: u32) -> Next {
        let mut batch = Batch::default();
        for i in first..first + n {
            batch.push(Receipt { queue: 0, slot: i as u32, generation: 0 }, Message::new(SimTime::ZERO, size));
        }
        m.on_received(now, poller, &batch, std::iter::repeat_n(size, n as usize), 0)
    }

    #[test]
    fn filtered_records_stay_out_of_the_batch_and_its_window() {
        let mut m = mapping(10, 5, 10);
        m.scale_up(SimTime::ZERO, 1);
        let mut batch = Batch::default();
        for i in 0..3 {
            batch.push(Receipt { queue: 0, slot: i, generation: 0 }, Message::new(SimTime::ZERO, 100));
        }
        // All three filtered out: nothing collected, no window.
        assert_eq!(m.on_received(SimTime::ZERO, 0, &batch, std::iter::repeat_n(100, 3), 0b111), Next::Poll(POLL_WAIT));
        assert_eq!(m.batch_len(0), 0);
        // The middle one kept: the window starts.
        let next = m.on_received(SimTime::ZERO, 0, &batch, std::iter::repeat_n(100, 3), 0b101);
        assert_eq!(next, Next::Poll(SimDuration::from_secs(5)));
        assert_eq!(m.batch_len(0), 1);
        assert_eq!(m.metrics().filtered_out, 5);
    }

    #[test]
    fn a_record_that_would_pass_6_mb_closes_the_batch_and_starts_the_next() {
        let mut m = mapping(1_000, 5, 10);
        m.scale_up(SimTime::ZERO, 1);
        // 200,000 + 1,024 bytes a record: 31 fit in 6,291,456 bytes.
        for i in 0..3 {
            assert_eq!(receive(&mut m, SimTime::ZERO, 0, i * 10, 10, 200_000), Next::Poll(SimDuration::from_secs(5)));
        }
        assert_eq!(receive(&mut m, SimTime::ZERO, 0, 30, 10, 200_000), Next::Invoke, "the 32nd does not fit");
        assert_eq!(m.batch_len(0), 31);
        m.on_invoked(0, 0, true);
        let mut deleted = Vec::new();
        m.on_finished(SimTime::from_secs_f64(1.0), 0, &mut deleted);
        assert_eq!(deleted.len(), 31);
        // The 9 carried over start the next batch, whose window began when they came.
        assert_eq!(m.after_finished(SimTime::from_secs_f64(1.0), 0), Next::Poll(SimDuration::from_secs(4)));
        assert_eq!(m.batch_len(0), 9);
    }
}
