//! The sending side of a workload: turns arrivals into SendMessage or SendMessageBatch
//! calls (SNS: Publish or PublishBatch), with the message's size, timer, FIFO group and deduplication id, poison flag,
//! producer-side duplicate sends, batching with a linger time, and retries of throttled
//! calls.
//!
//! Throttled calls are retried by the producer's AWS SDK client
//! ([`crate::models::client`]: standard or adaptive mode, attempts, backoff, retry quota). A
//! call the client gives up on loses its messages (counted).

use crate::distributions::{Categorical, Distribution};
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::LatencyHistogram;
use crate::models::Message;
use crate::models::client::{AfterThrottle, Client};
use crate::models::filter_policy::{AttributeValue, Json};
use crate::models::sqs::PAYLOAD_MAX_BYTES;
use crate::scenario::{FieldGenerator, FieldSpec, Target, WorkloadConfig};
use crate::workload::{Arrivals, GroupKeys};

/// SQS's longest message timer.
const TIMER_MAX: SimDuration = SimDuration::from_secs(900);

/// One entry of a send call: the message and its timer (DelaySeconds).
pub type Entry = (Message, Option<SimDuration>);

/// Buffered entries with their fields (one per entry for SNS, none for SQS).
pub type Buffered = (Vec<Entry>, Vec<Fields>);

/// SNS PublishBatch carries at most 256 KiB in all [bc-sns].
pub const PUBLISH_BATCH_BYTES_MAX: u64 = 262_144;

/// A call waiting to be (re)tried.
#[derive(Clone, Debug)]
pub struct PendingCall {
    pub entries: Vec<Entry>,
    /// Attempts already made.
    pub attempts: u32,
    /// SNS and EventBridge: each entry's attributes and body, drawn once when it was
    /// created, so a retry or a duplicate send carries the same content; one per entry, or
    /// none for targets that take neither.
    pub fields: Vec<Fields>,
    /// The adaptive rate limiter's token for the next attempt is already taken.
    pub cleared: bool,
    /// The attempt's call latency has passed: it takes effect when made.
    pub landed: bool,
}

impl PendingCall {
    pub fn new(entries: Vec<Entry>, fields: Vec<Fields>) -> PendingCall {
        assert!(fields.is_empty() || fields.len() == entries.len(), "one set of fields per entry");
        PendingCall { entries, attempts: 0, fields, cleared: false, landed: false }
    }

    /// A call whose attempt (after `attempts` earlier ones) was just answered: the client
    /// decides whether it goes again.
    pub fn retry(entries: Vec<Entry>, attempts: u32, fields: Vec<Fields>) -> PendingCall {
        PendingCall { attempts, ..PendingCall::new(entries, fields) }
    }
}

/// A message's generated attributes and body (SNS filter policies and EventBridge event
/// patterns read them).
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub attributes: Vec<(String, AttributeValue)>,
    pub body: Option<Json>,
}

/// Counters of one producer.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProducerMetrics {
    /// Messages created by the arrival process.
    pub sent: u64,
    pub duplicate_sends: u64,
    pub retries: u64,
    /// Messages lost because their call was throttled on every attempt.
    pub gave_up: u64,
    /// Messages a call handed to the target (accepted or deduplicated there).
    pub handed_over: u64,
    /// Messages the target refused with a client error (an SQS message larger than the
    /// queue's `MaximumMessageSize`), which the SDK does not retry.
    pub rejected: u64,
    /// Messages held (batching, retrying, waiting to be sent again) when the window began.
    pub holding_at_start: u64,
}

/// One workload's producer.
pub struct Producer {
    pub name: String,
    pub target: Target,
    arrivals: Arrivals,
    /// The arrival after the current one, drawn one step ahead: the draw's chain of
    /// floating-point steps (an exponential, a division, the rounding to microseconds) then
    /// overlaps the rest of a send instead of holding up the event list's comparisons, which
    /// wait for the time they order. The stream is the workload's own, so drawing earlier
    /// draws the same numbers in the same order.
    ahead: Option<SimTime>,
    attributes: Vec<FieldSpec>,
    body: Vec<FieldSpec>,
    field_rng: SimRng,
    arrival_rng: SimRng,
    sizes: Distribution,
    constant_size: Option<u32>,
    /// The target's largest message: 256 KiB for SNS topics, 1 MiB otherwise.
    size_max: u32,
    size_rng: SimRng,
    timers: Option<Distribution>,
    timer_rng: SimRng,
    groups: Option<GroupKeys>,
    group_rng: SimRng,
    poison_fraction: f64,
    poison_rng: SimRng,
    duplicate_send_fraction: f64,
    pub duplicate_send_delay: SimDuration,
    duplicate_rng: SimRng,
    pub batch_max: u8,
    /// The most bytes one batch call carries: 1 MiB for SendMessageBatch, 256 KiB for
    /// PublishBatch.
    pub batch_bytes_max: u64,
    pub linger: SimDuration,
    buffer: Vec<Entry>,
    /// The buffered entries' fields (SNS), one per entry.
    buffer_fields: Vec<Fields>,
    buffer_bytes: u64,
    /// When the armed linger timer fires, if a partial batch is waiting.
    pub linger_at: Option<SimTime>,
    /// The producer's AWS SDK client, which retries throttled calls.
    pub client: Client,
    calls: Vec<Option<PendingCall>>,
    free_calls: Vec<u32>,
    id_base: u64,
    next_id: u64,
    /// Messages held in the buffer or in pending calls.
    pub holding: u64,
    pub metrics: ProducerMetrics,
    /// A workload that invokes a function synchronously: from each call (the message's
    /// creation) to the function's answer, throttled attempts, the client's backoffs and
    /// INIT included. A call the client gives up on is not in it (it is `gave_up`).
    pub response: Option<LatencyHistogram>,
    /// Each attempt's call latency (SendMessage, Publish, PutEvents, StartExecution, Invoke):
    /// AWS's own time to answer, from the call to its effect.
    pub call_latency: LatencyHistogram,
}

impl Producer {
    pub fn new(index: usize, w: &WorkloadConfig, stream: impl Fn(&str) -> SimRng) -> Producer {
        let name = &w.stream;
        let mut arrivals = Arrivals::new(w.process.clone(), w.window.clone());
        let mut arrival_rng = stream(&format!("workload.{name}"));
        let ahead = arrivals.next(&mut arrival_rng);
        Producer {
            name: w.name.clone(),
            target: w.target,
            arrivals,
            ahead,
            attributes: w.attributes.clone(),
            body: w.body.clone(),
            field_rng: stream(&format!("workload.{name}.fields")),
            arrival_rng,
            constant_size: w.message_size_bytes.as_constant().map(|b| clamp_size(b, size_max(w.target))),
            size_max: size_max(w.target),
            sizes: w.message_size_bytes.clone(),
            size_rng: stream(&format!("workload.{name}.size")),
            timers: w.message_timer_s.clone(),
            timer_rng: stream(&format!("workload.{name}.timer")),
            groups: w.groups.clone(),
            group_rng: stream(&format!("workload.{name}.group")),
            poison_fraction: w.poison_fraction,
            poison_rng: stream(&format!("workload.{name}.poison")),
            duplicate_send_fraction: w.duplicate_send_fraction,
            duplicate_send_delay: w.duplicate_send_delay,
            duplicate_rng: stream(&format!("workload.{name}.duplicates")),
            batch_max: w.send_batch_max,
            batch_bytes_max: batch_bytes_max(w.target),
            linger: w.send_batch_linger,
            buffer: Vec::with_capacity(usize::from(w.send_batch_max)),
            buffer_fields: Vec::new(),
            buffer_bytes: 0,
            linger_at: None,
            client: Client::new(w.retry, stream(&format!("workload.{name}.retries"))),
            calls: Vec::new(),
            free_calls: Vec::new(),
            // Ids are unique across workloads: the workload's index in the high bits.
            id_base: (index as u64) << 40,
            next_id: 0,
            holding: 0,
            metrics: ProducerMetrics::default(),
            response: matches!(w.target, Target::Function(_)).then(LatencyHistogram::new),
            call_latency: LatencyHistogram::new(),
        }
    }

    /// The next arrival time, if the workload goes on.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        let next = self.ahead;
        // Once the workload has ended it draws nothing more, as before the look-ahead.
        if next.is_some() {
            self.ahead = self.arrivals.next(&mut self.arrival_rng);
        }
        next
    }

    /// A new message created at `now`, with its timer.
    pub fn create(&mut self, now: SimTime) -> Entry {
        self.metrics.sent += 1;
        let size_bytes = match self.constant_size {
            Some(size) => size,
            None => clamp_size(self.sizes.sample(&mut self.size_rng), self.size_max),
        };
        let group = self.groups.as_ref().map_or(0, |g| g.sample(&mut self.group_rng));
        let is_poison = self.poison_rng.chance(self.poison_fraction);
        let deduplication_id = self.id_base | self.next_id;
        self.next_id += 1;
        // Unbounded distributions are clamped to SQS's 900 s timer limit.
        let timer = self.timers.as_ref().map(|d| d.sample_duration(&mut self.timer_rng).min(TIMER_MAX));
        (Message { group, deduplication_id, is_poison, ..Message::new(now, size_bytes) }, timer)
    }

    /// True if the workload generates a body.
    pub fn has_body(&self) -> bool {
        !self.body.is_empty()
    }

    /// Draws a new message's attributes and body fields.
    pub fn draw_fields(&mut self) -> Fields {
        let mut fields = Fields::default();
        let (attributes, body) = (&mut fields.attributes, &mut fields.body);
        for field in &self.attributes {
            let value = match &field.generator {
                FieldGenerator::Text(c) => AttributeValue::String(c.sample(&mut self.field_rng).to_string()),
                FieldGenerator::TextList { values, items_min, items_max } => AttributeValue::StringArray(
                    draw_list(values, *items_min, *items_max, &mut self.field_rng).map(str::to_string).collect(),
                ),
                FieldGenerator::Number(d) => AttributeValue::Number(d.sample(&mut self.field_rng)),
            };
            attributes.push((field.name.clone(), value));
        }
        if self.body.is_empty() {
            return fields;
        }
        let mut root = Vec::new();
        for field in &self.body {
            let value = match &field.generator {
                FieldGenerator::Text(c) => Json::String(c.sample(&mut self.field_rng).to_string()),
                FieldGenerator::TextList { values, items_min, items_max } => Json::Array(
                    draw_list(values, *items_min, *items_max, &mut self.field_rng)
                        .map(|s| Json::String(s.to_string()))
                        .collect(),
                ),
                FieldGenerator::Number(d) => Json::Number(d.sample(&mut self.field_rng)),
            };
            insert_dotted(&mut root, &field.name, value);
        }
        *body = Some(Json::Object(root));
        fields
    }

    /// True if this message is also to be sent again later (a producer retry after a lost
    /// response, which FIFO deduplication is there to absorb).
    pub fn is_sent_twice(&mut self) -> bool {
        let twice = self.duplicate_rng.chance(self.duplicate_send_fraction);
        self.metrics.duplicate_sends += u64::from(twice);
        twice
    }

    /// Adds to the batch buffer (with the entry's fields, for SNS); returns a full batch to
    /// send now, or `None` (then the caller arms the linger timer if `linger_at` was just
    /// set).
    pub fn buffer(&mut self, now: SimTime, entry: Entry, fields: Option<Fields>) -> Option<Buffered> {
        let bytes = u64::from(entry.0.size_bytes);
        // A batch may not exceed its byte limit: send what is buffered first if this would.
        let early = (self.buffer_bytes + bytes > self.batch_bytes_max).then(|| self.take_buffer());
        self.buffer.push(entry);
        self.buffer_fields.extend(fields);
        self.buffer_bytes += bytes;
        self.holding += 1;
        if self.buffer.len() == usize::from(self.batch_max) {
            let full = self.take_buffer();
            return Some(match early {
                Some(mut first) => {
                    // Rare: both a too-large buffer and a full one; send them as one list,
                    // the caller splits by size again.
                    first.0.extend(full.0);
                    first.1.extend(full.1);
                    first
                }
                None => full,
            });
        }
        if self.buffer.len() == 1 {
            self.linger_at = Some(now + self.linger);
        }
        early
    }

    /// Empties the buffer (the linger time is over, or it is full).
    pub fn take_buffer(&mut self) -> Buffered {
        self.linger_at = None;
        self.buffer_bytes = 0;
        let taken = std::mem::take(&mut self.buffer);
        self.holding -= taken.len() as u64;
        (taken, std::mem::take(&mut self.buffer_fields))
    }

    /// A throttled call: stores it for a retry and returns (call id, when), or counts its
    /// messages lost when it is out of attempts.
    pub fn throttled(&mut self, now: SimTime, mut call: PendingCall) -> Option<(u32, SimTime)> {
        call.attempts += 1;
        call.cleared = false;
        call.landed = false;
        match self.client.on_throttled(now, call.attempts) {
            AfterThrottle::GiveUp => {
                self.metrics.gave_up += call.entries.len() as u64;
                None
            }
            AfterThrottle::Retry(backoff) => {
                self.metrics.retries += 1;
                Some((self.store_call(call), now + backoff))
            }
        }
    }

    /// A call made after `attempts` throttled attempts was accepted with its `messages`.
    #[inline(always)]
    pub fn accepted(&mut self, now: SimTime, attempts: u32, messages: u64) {
        self.metrics.handed_over += messages;
        self.client.on_success(now, attempts + 1);
    }

    /// The target refused `messages` with a client error: they are lost, not retried.
    pub fn rejected(&mut self, messages: u64) {
        self.metrics.rejected += messages;
    }

    /// The adaptive rate limiter holds back an attempt about to be made: stores the call
    /// and returns (call id, when it may go), or None when it may go now.
    pub fn rate_limited(&mut self, now: SimTime, call: &mut Option<PendingCall>) -> Option<(u32, SimTime)> {
        if call.as_ref().is_some_and(|c| c.cleared) {
            return None;
        }
        let wait = self.client.before_attempt(now);
        if wait == SimDuration::ZERO {
            return None;
        }
        let mut call = call.take().expect("a call to hold back");
        call.cleared = true;
        Some((self.store_call(call), now + wait))
    }

    /// Keeps a call for later; returns its id.
    pub fn store_call(&mut self, call: PendingCall) -> u32 {
        self.holding += call.entries.len() as u64;
        match self.free_calls.pop() {
            Some(id) => {
                self.calls[id as usize] = Some(call);
                id
            }
            None => {
                self.calls.push(Some(call));
                (self.calls.len() - 1) as u32
            }
        }
    }

    /// Takes back a stored call.
    pub fn take_call(&mut self, id: u32) -> PendingCall {
        let call = self.calls[id as usize].take().expect("a pending call is taken once");
        self.free_calls.push(id);
        self.holding -= call.entries.len() as u64;
        call
    }

    pub fn reset_metrics(&mut self) {
        self.metrics = ProducerMetrics { holding_at_start: self.holding, ..ProducerMetrics::default() };
        self.call_latency.reset();
        if let Some(response) = &mut self.response {
            response.reset();
        }
        self.client.reset_metrics();
    }
}

/// Puts `value` at a dotted path (`customer.tier`) in a JSON object, creating the objects
/// on the way.
/// A list field's values: first how many (uniform between the bounds, both included), then
/// that many different values by weight.
fn draw_list<'a>(
    values: &'a Categorical,
    items_min: usize,
    items_max: usize,
    rng: &mut SimRng,
) -> impl Iterator<Item = &'a str> {
    let count = items_min + rng.index(items_max - items_min + 1);
    values.sample_distinct(count, rng).into_iter()
}

fn insert_dotted(object: &mut Vec<(String, Json)>, path: &str, value: Json) {
    match path.split_once('.') {
        None => object.push((path.to_string(), value)),
        Some((head, rest)) => {
            let index = match object.iter().position(|(k, v)| k == head && matches!(v, Json::Object(_))) {
                Some(i) => i,
                None => {
                    object.push((head.to_string(), Json::Object(Vec::new())));
                    object.len() - 1
                }
            };
            if let Json::Object(inner) = &mut object[index].1 {
                insert_dotted(inner, rest, value);
            }
        }
    }
}

/// Message sizes are whole bytes from 1 to the target's maximum; draws from unbounded
/// distributions are clamped into that range.
fn clamp_size(bytes: f64, max: u32) -> u32 {
    bytes.round().clamp(1.0, f64::from(max)) as u32
}

/// The byte limit of one batch call to `target`.
fn batch_bytes_max(target: Target) -> u64 {
    match target {
        Target::Topic(_) => PUBLISH_BATCH_BYTES_MAX,
        _ => PAYLOAD_MAX_BYTES,
    }
}

/// SNS topics take 256 KiB by default; SQS and EventBridge 1 MiB.
fn size_max(target: Target) -> u32 {
    match target {
        Target::Topic(_) => 262_144,
        Target::Queue(_) | Target::Bus(_) => PAYLOAD_MAX_BYTES as u32,
        Target::Machine(_) => 262_144,
        Target::Ses(_) => 40_000_000,
        Target::Broker(_) => 100_000_000,
        Target::Function(_) => 6_291_456,
    }
}
