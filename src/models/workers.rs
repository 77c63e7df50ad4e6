//! A pool of polling consumers (processes on EC2 or ECS) draining an SQS queue.
//!
//! Each worker loops: ReceiveMessage (up to `batch_size` messages, long polling for
//! `wait_time`) → process the messages one after another (a service-time draw each, and a
//! failure with probability `error_rate`) → DeleteMessage after each success. A failed
//! message is simply not deleted, so it reappears when its visibility timeout ends, as with
//! a real consumer that logs and moves on. A short-polling worker (`wait_time` 0) that gets
//! nothing sleeps `empty_receive_backoff` before polling again.
//!
//! The pool does not talk to SQS itself: `world` calls SQS and hands the pool what came
//! back, so the pool only decides how long work takes and whether it fails.
//!
//! Options: a heartbeat that extends the held messages' visibility
//! (ChangeMessageVisibility, or its batch form for several) every `interval` while the
//! worker holds a batch; deleting a batch's successes together in one DeleteMessageBatch
//! at the end of the batch instead of one DeleteMessage each; and poison messages, which
//! fail every time until `fix_deployed_at`.
//!
//! Deliberately absent: processing the messages of a batch in parallel, and autoscaling of
//! the pool.

use super::{Batch, Receipt};
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::{LatencyHistogram, TimeWeighted};

/// Configuration of one pool, already validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub count: u32,
    pub service_time_s: Distribution,
    pub error_rate: f64,
    /// ReceiveMessage's MaxNumberOfMessages, 1–10.
    pub batch_size: u8,
    /// ReceiveMessage's WaitTimeSeconds; zero means short polling.
    pub wait_time: SimDuration,
    pub empty_receive_backoff: SimDuration,
    pub cost_usd_per_hour: f64,
    pub heartbeat: Option<Heartbeat>,
    pub delete_batch: bool,
    /// Poison messages fail until this time (never fixed if `None`).
    pub fix_deployed_at: Option<SimTime>,
}

/// Extend visibility while working: every `interval`, set the held messages' visibility
/// timeout to `visibility_timeout` from then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    pub interval: SimDuration,
    pub visibility_timeout: SimDuration,
}

/// Up to 10 receipts (one call's worth).
#[derive(Clone, Copy, Debug, Default)]
pub struct Receipts {
    len: u8,
    items: [Receipt; 10],
}

impl Receipts {
    pub fn as_slice(&self) -> &[Receipt] {
        &self.items[..usize::from(self.len)]
    }

    fn push(&mut self, r: Receipt) {
        self.items[usize::from(self.len)] = r;
        self.len += 1;
    }
}

/// What the world must do after a message was processed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Processed {
    /// DeleteMessage for this message now.
    pub delete_now: Option<Receipt>,
    /// The next message of the batch takes this long; `None`: the batch is done.
    pub next: Option<SimDuration>,
    /// The batch is done and its successes wait for one DeleteMessageBatch
    /// ([`Pool::succeeded`]).
    pub has_batch_deletes: bool,
}

/// Counters and latencies of one pool.
#[derive(Clone, Debug, Default)]
pub struct PoolMetrics {
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Failures of poison messages (a subset of `failed`).
    pub poison_failures: u64,
    pub heartbeats: u64,
    /// Time spent processing one message.
    pub service: LatencyHistogram,
    /// Workers holding a batch.
    pub busy: TimeWeighted,
}

/// The pool's state.
#[derive(Debug)]
pub struct Pool {
    config: Config,
    workers: Vec<Worker>,
    service_rng: SimRng,
    /// The next service time, drawn one step ahead: the draw's floating-point chain then
    /// overlaps other work instead of holding up the scheduling of the message's end,
    /// whose event-list comparisons wait for it. The stream is the pool's own, so drawing
    /// earlier draws the same numbers in the same order.
    next_service: SimDuration,
    error_rng: SimRng,
    metrics: PoolMetrics,
}

#[derive(Clone, Copy, Debug, Default)]
struct Worker {
    batch: Batch,
    /// Index in `batch` of the message being processed.
    current: u8,
    started_at: SimTime,
    /// Bit i: the batch's i-th message succeeded (kept as bits so a worker stays small; it
    /// is copied on every receive).
    succeeded: u16,
    /// When the armed heartbeat is due; `None` when not holding a batch.
    heartbeat_at: Option<SimTime>,
    /// Whether the current message fails, once decided ahead of its end (see
    /// [`Pool::decide`]).
    decided: Option<bool>,
}

impl Pool {
    /// Service times and failures draw from separate streams, so changing the error rate
    /// leaves every service time unchanged (common random numbers).
    pub fn new(config: Config, service_rng: SimRng, error_rng: SimRng) -> Pool {
        let workers = vec![Worker::default(); config.count as usize];
        let mut service_rng = service_rng;
        let next_service = config.service_time_s.sample_duration(&mut service_rng);
        Pool { config, workers, service_rng, next_service, error_rng, metrics: PoolMetrics::default() }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &PoolMetrics {
        &self.metrics
    }

    pub fn busy_workers(&self) -> i64 {
        self.metrics.busy.level()
    }

    /// A receive took `batch` for `worker` at `now`, and its call returns `call` later: the
    /// worker is busy from now and starts on the first message when the call returns.
    /// Returns how long that message takes, and when the first heartbeat is due, if there
    /// are any.
    pub fn on_batch_received(
        &mut self,
        now: SimTime,
        worker: u32,
        batch: Batch,
        call: SimDuration,
    ) -> (SimDuration, Option<SimTime>) {
        assert!(!batch.is_empty(), "a worker only starts on a non-empty batch");
        self.metrics.busy.add(now, 1);
        let started_at = now + call;
        let heartbeat_at = self.config.heartbeat.map(|h| started_at + h.interval);
        let w = &mut self.workers[worker as usize];
        *w = Worker { batch, current: 0, started_at, succeeded: 0, heartbeat_at, decided: None };
        (self.draw_service_time(), heartbeat_at)
    }

    /// `worker` waits `call` for its DeleteMessage's answer before it starts on its next
    /// message, so that message's service time counts from the answer.
    pub fn on_delete_call(&mut self, worker: u32, call: SimDuration) {
        self.workers[worker as usize].started_at += call;
    }

    /// A heartbeat event for `worker` fired. If it is the armed one, returns the receipts
    /// to extend (the messages not yet processed), the new timeout, and when the next
    /// heartbeat is due.
    pub fn on_heartbeat_due(&mut self, now: SimTime, worker: u32) -> Option<(Receipts, SimDuration, SimTime)> {
        let heartbeat = self.config.heartbeat?;
        let w = &mut self.workers[worker as usize];
        if w.heartbeat_at != Some(now) {
            return None; // from a batch that is already done
        }
        let mut held = Receipts::default();
        for r in &w.batch.receipts()[usize::from(w.current)..] {
            held.push(*r);
        }
        let next = now + heartbeat.interval;
        w.heartbeat_at = Some(next);
        self.metrics.heartbeats += 1;
        Some((held, heartbeat.visibility_timeout, next))
    }

    /// Decides now whether the current message of `worker` fails (its error draw and its
    /// poison), before the worker does more for it (an email); `on_message_processed`
    /// then uses this outcome, or `fail_current` overrides it.
    pub fn decide(&mut self, now: SimTime, worker: u32) -> bool {
        let has_failed = self.draw_failure(now, worker);
        self.workers[worker as usize].decided = Some(has_failed);
        has_failed
    }

    /// The current message of `worker` fails after all (its confirmation email could not
    /// be sent).
    pub fn fail_current(&mut self, worker: u32) {
        self.workers[worker as usize].decided = Some(true);
    }

    #[inline]
    fn draw_failure(&mut self, now: SimTime, worker: u32) -> bool {
        let w = &self.workers[worker as usize];
        let index = usize::from(w.current);
        let is_poisoned = w.batch.is_poison(index) && self.config.fix_deployed_at.is_none_or(|fix| now < fix);
        // The error draw happens for every message, poison or not, so the stream stays
        // aligned whatever the poison share.
        self.error_rng.chance(self.config.error_rate) || is_poisoned
    }

    /// The current message of `worker` is done: says what to delete and what comes next.
    pub fn on_message_processed(&mut self, now: SimTime, worker: u32) -> Processed {
        let has_failed = match self.workers[worker as usize].decided.take() {
            Some(decided) => decided,
            None => self.draw_failure(now, worker),
        };
        let w = &mut self.workers[worker as usize];
        let index = usize::from(w.current);
        let receipt = w.batch.receipts()[index];
        let is_poisoned = w.batch.is_poison(index) && self.config.fix_deployed_at.is_none_or(|fix| now < fix);
        self.metrics.service.record(now.saturating_since(w.started_at));
        self.metrics.processed += 1;
        w.current += 1;
        w.started_at = now;
        let mut processed = Processed::default();
        if has_failed {
            self.metrics.failed += 1;
            self.metrics.poison_failures += u64::from(is_poisoned);
        } else {
            self.metrics.succeeded += 1;
            if self.config.delete_batch {
                w.succeeded |= 1 << index;
            } else {
                processed.delete_now = Some(receipt);
            }
        }
        if usize::from(w.current) < w.batch.len() {
            processed.next = Some(self.draw_service_time());
        } else {
            w.heartbeat_at = None;
            processed.has_batch_deletes = w.succeeded != 0;
            self.metrics.busy.add(now, -1);
        }
        processed
    }

    /// A worker that finished its batch waits for its delete call's answer: it stays busy
    /// until [`Pool::on_last_delete_answered`].
    pub fn on_last_delete_call(&mut self, now: SimTime) {
        self.metrics.busy.add(now, 1);
    }

    pub fn on_last_delete_answered(&mut self, now: SimTime) {
        self.metrics.busy.add(now, -1);
    }

    /// The receipts of `worker`'s last batch that succeeded (for DeleteMessageBatch).
    pub fn succeeded(&self, worker: u32) -> Receipts {
        let w = &self.workers[worker as usize];
        let mut out = Receipts::default();
        for (i, r) in w.batch.receipts().iter().enumerate() {
            if w.succeeded & (1 << i) != 0 {
                out.push(*r);
            }
        }
        out
    }

    fn draw_service_time(&mut self) -> SimDuration {
        let next = self.config.service_time_s.sample_duration(&mut self.service_rng);
        std::mem::replace(&mut self.next_service, next)
    }

    /// Starts a new statistics window at `now` (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        let busy = self.metrics.busy;
        self.metrics = PoolMetrics { busy, ..PoolMetrics::default() };
        self.metrics.busy.reset(now);
    }
}
