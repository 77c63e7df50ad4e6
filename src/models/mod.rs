//! One model per AWS service, plus the vocabulary they share.
//!
//! Models never import each other: whether a workload feeds a queue or a worker pool drains
//! one is data in the scenario, routed by `world`. Models receive typed, validated
//! configuration and do not validate; a broken invariant inside a model is a bug and
//! asserts.

pub mod client;
pub mod endpoint;
pub mod eventbridge;
pub mod filter_policy;
#[cfg(test)]
mod json_text;
pub mod lambda;
pub mod latency;
pub mod mq;
pub mod ses;
pub mod sns;
pub mod sqs;
pub mod step_functions;
pub mod workers;

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimTime};

/// A message as it travels between services: only what the simulation needs (payloads are
/// never materialised).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// When the workload first sent it; end-to-end latency counts from here.
    pub created_at: SimTime,
    /// Body plus attributes, which is what SQS meters.
    pub size_bytes: u32,
    /// FIFO message group (`MessageGroupId`); ignored by standard queues.
    pub group: u32,
    /// Identifies the content: a producer's retry of the same message carries the same id,
    /// which is what FIFO deduplication (explicit or content-based) keys on.
    pub deduplication_id: u64,
    /// Processing this message fails every time until the consumer's fix is deployed.
    pub is_poison: bool,
    /// An email sent through SES: its recipients, drawn once so a retry sends the same
    /// email (0 until drawn).
    pub recipients: u8,
    /// A Step Functions task token the message carries (`.waitForTaskToken`): the consumer
    /// that deletes the message has answered the task.
    pub task_token: Option<TaskToken>,
    /// Which filtered SQS event source mappings' `FilterCriteria` this message's body
    /// matches: bit `i` for the scenario's `i`-th mapping with filters. The body never
    /// changes after it is made, so its verdicts are worked out once, when the message is
    /// created, and the body itself is not carried: two bytes that fit in the struct's
    /// padding, so scenarios without filters copy nothing more per message. A message whose
    /// body the model does not have matches no filter (0).
    pub filter_matches: u16,
}

/// The most SQS event source mappings with filters one scenario may have: one bit each in
/// [`Message::filter_matches`].
pub const FILTERED_MAPPINGS_MAX: usize = 16;

/// Names a Step Functions task waiting for a callback: the waiting thread and its wake-up
/// generation, so an answer that comes after the task has moved on is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskToken {
    pub thread: u32,
    pub token: u32,
}

impl Message {
    /// A plain message: no group, its own content, not poison.
    pub fn new(created_at: SimTime, size_bytes: u32) -> Message {
        Message {
            created_at,
            size_bytes,
            group: 0,
            deduplication_id: 0,
            is_poison: false,
            recipients: 0,
            task_token: None,
            filter_matches: 0,
        }
    }
}

// Receipts and received batches are shared vocabulary: SQS issues them, and every
// consumer model (worker pools, Lambda's event source mapping) holds them without knowing
// SQS's internals.

/// Proof of one receive of one message; needed to delete it or extend its visibility.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    pub(in crate::models) queue: u32,
    pub(in crate::models) slot: u32,
    pub(in crate::models) generation: u32,
}

impl Receipt {
    /// The index of the queue that issued it.
    pub fn queue_index(&self) -> u32 {
        self.queue
    }
}

/// What one ReceiveMessage call returned: receipts, plus which messages are poison (all a
/// consumer needs to know of a message's content). Kept small because it is passed by
/// value on every receive.
#[derive(Clone, Copy, Debug, Default)]
pub struct Batch {
    len: u8,
    poison: u16,
    receipts: [Receipt; 10],
}

impl Batch {
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts[..usize::from(self.len)]
    }

    /// True if the `i`-th message is poison.
    pub fn is_poison(&self, i: usize) -> bool {
        self.poison & (1 << i) != 0
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(in crate::models) fn clear(&mut self) {
        self.len = 0;
        self.poison = 0;
    }

    pub(in crate::models) fn push(&mut self, receipt: Receipt, message: Message) {
        let i = usize::from(self.len);
        self.receipts[i] = receipt;
        self.poison |= u16::from(message.is_poison) << i;
        self.len += 1;
    }
}

/// AWS's deduplication interval for FIFO queues and topics.
pub const DEDUPLICATION_WINDOW: SimDuration = SimDuration::from_secs(300);

/// Deduplication ids seen in the last 5 minutes.
#[derive(Debug, Default)]
pub struct Deduplication {
    until: BTreeMap<u64, SimTime>,
    expiries: VecDeque<(SimTime, u64)>,
}

impl Deduplication {
    /// True if `id` was seen within the window; otherwise starts tracking it.
    pub fn is_duplicate(&mut self, now: SimTime, id: u64) -> bool {
        while let Some(&(at, old)) = self.expiries.front() {
            if at > now {
                break;
            }
            self.expiries.pop_front();
            if self.until.get(&old) == Some(&at) {
                self.until.remove(&old);
            }
        }
        if self.until.contains_key(&id) {
            return true;
        }
        let until = now + DEDUPLICATION_WINDOW;
        self.until.insert(id, until);
        self.expiries.push_back((until, id));
        false
    }
}

/// A token bucket: `capacity` tokens, refilled continuously at `rate_per_s`. Used for AWS
/// quotas expressed as "N per second" (which AWS enforces with token buckets).
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    capacity: f64,
    rate_per_s: f64,
    tokens: f64,
    updated_at: SimTime,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: f64, rate_per_s: f64) -> TokenBucket {
        TokenBucket { capacity, rate_per_s, tokens: capacity, updated_at: SimTime::ZERO }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: SimTime) -> bool {
        self.try_take_n(now, 1.0)
    }

    /// True if `n` tokens are there now (refilling first, taking nothing).
    pub fn has(&mut self, now: SimTime, n: f64) -> bool {
        let elapsed_s = now.saturating_since(self.updated_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed_s * self.rate_per_s).min(self.capacity);
        self.updated_at = now;
        self.tokens >= n - 1e-9
    }

    /// Takes one token now or, when there is none, reserves the next one (the bucket goes
    /// into debt, so later callers queue behind): returns how long until the token is there.
    /// Used where AWS delays throttled work rather than refusing it.
    pub fn reserve(&mut self, now: SimTime) -> SimDuration {
        let elapsed_s = now.saturating_since(self.updated_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed_s * self.rate_per_s).min(self.capacity) - 1.0;
        self.updated_at = now;
        if self.tokens >= -1e-9 {
            SimDuration::ZERO
        } else {
            SimDuration::from_secs_f64(-self.tokens / self.rate_per_s)
        }
    }

    /// Takes `n` tokens if there are that many.
    pub fn try_take_n(&mut self, now: SimTime, n: f64) -> bool {
        let elapsed_s = now.saturating_since(self.updated_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed_s * self.rate_per_s).min(self.capacity);
        self.updated_at = now;
        // A small tolerance absorbs float error in the refill, so a bucket refilled for
        // exactly one token's time does not refuse by 1e-12.
        if self.tokens >= n - 1e-9 {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_stays_forty_bytes() {
        // Messages are copied on every hop: the filter verdicts live in the padding.
        assert_eq!(std::mem::size_of::<Message>(), 40);
    }

    #[test]
    fn reserved_tokens_queue_in_order_at_the_refill_rate() {
        let mut bucket = TokenBucket::new(2.0, 10.0);
        let at = SimTime::from_secs_f64;
        assert_eq!(bucket.reserve(at(0.0)), SimDuration::ZERO);
        assert_eq!(bucket.reserve(at(0.0)), SimDuration::ZERO);
        // Empty: the next callers wait 0.1 s, 0.2 s, … behind each other.
        assert_eq!(bucket.reserve(at(0.0)), SimDuration::from_micros(100_000));
        assert_eq!(bucket.reserve(at(0.0)), SimDuration::from_micros(200_000));
        // 0.15 s later one of the two reserved tokens is there; a new caller waits for the
        // second (0.05 s) and then its own (0.1 s).
        assert_eq!(bucket.reserve(at(0.15)), SimDuration::from_micros(150_000));
        assert!(!bucket.try_take(at(0.15)), "a bucket in debt has nothing to give");
    }
}
