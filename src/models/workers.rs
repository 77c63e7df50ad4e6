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
//! Deliberately absent: processing the messages of a batch in parallel, heartbeats
//! (ChangeMessageVisibility), autoscaling of the pool, and batch deletes.

use super::sqs::{Batch, Receipt};
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
}

/// Counters and latencies of one pool.
#[derive(Clone, Debug, Default)]
pub struct PoolMetrics {
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
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
    error_rng: SimRng,
    metrics: PoolMetrics,
}

#[derive(Clone, Copy, Debug, Default)]
struct Worker {
    batch: Batch,
    /// Index in `batch` of the message being processed.
    current: u8,
    started_at: SimTime,
}

impl Pool {
    /// Service times and failures draw from separate streams, so changing the error rate
    /// leaves every service time unchanged (common random numbers).
    pub fn new(config: Config, service_rng: SimRng, error_rng: SimRng) -> Pool {
        let workers = vec![Worker::default(); config.count as usize];
        Pool {
            config,
            workers,
            service_rng,
            error_rng,
            metrics: PoolMetrics::default(),
        }
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

    /// A receive returned `batch` to `worker`: it starts on the first message. Returns how
    /// long that message takes.
    pub fn on_batch_received(&mut self, now: SimTime, worker: u32, batch: Batch) -> SimDuration {
        assert!(
            !batch.is_empty(),
            "a worker only starts on a non-empty batch"
        );
        self.metrics.busy.add(now, 1);
        let w = &mut self.workers[worker as usize];
        *w = Worker {
            batch,
            current: 0,
            started_at: now,
        };
        self.draw_service_time()
    }

    /// The current message of `worker` is done. Returns its receipt if it succeeded (to be
    /// deleted), and the next message's service time if the batch has more.
    pub fn on_message_processed(
        &mut self,
        now: SimTime,
        worker: u32,
    ) -> (Option<Receipt>, Option<SimDuration>) {
        let w = &mut self.workers[worker as usize];
        let receipt = w.batch.receipts()[usize::from(w.current)];
        self.metrics
            .service
            .record(now.saturating_since(w.started_at));
        self.metrics.processed += 1;
        let has_failed = self.error_rng.chance(self.config.error_rate);
        w.current += 1;
        w.started_at = now;
        let has_more = usize::from(w.current) < w.batch.len();
        if has_failed {
            self.metrics.failed += 1;
        } else {
            self.metrics.succeeded += 1;
        }
        let next = if has_more {
            Some(self.draw_service_time())
        } else {
            self.metrics.busy.add(now, -1);
            None
        };
        ((!has_failed).then_some(receipt), next)
    }

    fn draw_service_time(&mut self) -> SimDuration {
        self.config
            .service_time_s
            .sample_duration(&mut self.service_rng)
    }

    /// Starts a new statistics window at `now` (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        let busy = self.metrics.busy;
        self.metrics = PoolMetrics {
            busy,
            ..PoolMetrics::default()
        };
        self.metrics.busy.reset(now);
    }
}
