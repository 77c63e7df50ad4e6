//! Asynchronous invocation: Lambda's own event queue in front of a function, its retries
//! after function errors and throttles, and the event age limit.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §8.4 and the Lambda Developer Guide,
//! "How Lambda handles errors and retries with asynchronous invocation"
//! (docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), "Configuring
//! error handling for asynchronous invocation" (invocation-async-configuring.html) and the
//! PutFunctionEventInvokeConfig API reference:
//! - an event SNS or EventBridge hands to Lambda is accepted into the function's queue at
//!   once (the caller's delivery succeeds) and counted (`AsyncEventsReceived`);
//! - an attempt that ends in a function error (an error or a timeout) is retried at most
//!   `MaximumRetryAttempts` times (0 to 2, default 2), one minute after the first attempt
//!   ended and two minutes after the second;
//! - an attempt refused for lack of concurrency (HTTP 429) returns the event to the queue,
//!   and it is tried again after an interval that "increases exponentially from 1 second
//!   after the first attempt to a maximum of 5 minutes", for as long as its age allows;
//!   throttles use up no retry attempt;
//! - an event older than `MaximumEventAgeInSeconds` (60 to 21,600 s, default 6 h) is not
//!   tried again; an event that is out of retries or of age is dropped
//!   (`AsyncEventsDropped`), after being sent to the function's on-failure destination and
//!   dead-letter queue, if it has them (the world sends it: routing is not Lambda's); a
//!   processed event's invocation record goes to the on-success destination, if any;
//! - `AsyncEventAge` is the time from the event's arrival in the queue to each invocation
//!   that starts for it.
//!
//! Modelling choices where AWS publishes no rule, each a default of [`AsyncConfig`]:
//! - the retry delays after function errors are exactly 60 s and 120 s, counted from the
//!   end of the failed attempt ([`RETRY_DELAYS_DEFAULT`]); AWS says "one minute" and "two
//!   minutes" and publishes no jitter;
//! - the throttle backoff doubles from 1 s to 5 min without jitter: 1, 2, 4, …, 256, 300,
//!   300 s, counted in throttles since the event's last started attempt
//!   ([`THROTTLE_BACKOFF_FIRST`], [`THROTTLE_BACKOFF_MAX`]);
//! - a retry that would come after the event's age runs out is not made: the event is
//!   dropped when its age runs out, at `received + maximum_event_age`;
//! - the queue adds the world's queueing delay before an event's first attempt (AWS's
//!   `AsyncEventAge` counts it; `models::latency`'s `lambda_async_queue_s` and
//!   `lambda_invoke_s`), and none before its retries, which are tried when they are due.
//!
//! Deliberately absent: duplicate deliveries by the eventually consistent queue, events
//! deleted when the queue backs up, the slower reading of a long queue, system (5xx) errors,
//! and a handler's failed email (its SDK client gave up) as a
//! function error to retry: it counts as the function's error, and the event succeeded.
//!
//! Each event lives in a slot of a per-function slab with a free list, and a running
//! event is found by its environment, so nothing is allocated per event in steady state.
//! Every retry costs one engine event, when it is due.

use crate::engine::{SimDuration, SimTime};
use crate::models::Message;

/// AWS `MaximumRetryAttempts`: 0 to 2, 2 by default.
pub const MAXIMUM_RETRY_ATTEMPTS_MAX: u32 = 2;
pub const MAXIMUM_RETRY_ATTEMPTS_DEFAULT: u32 = 2;
/// AWS `MaximumEventAgeInSeconds`: 60 to 21,600 s, 21,600 (6 h) by default.
pub const MAXIMUM_EVENT_AGE_MIN: SimDuration = SimDuration::from_secs(60);
pub const MAXIMUM_EVENT_AGE_MAX: SimDuration = SimDuration::from_secs(21_600);
pub const MAXIMUM_EVENT_AGE_DEFAULT: SimDuration = SimDuration::from_secs(21_600);
/// The waits before the second and the third attempt after function errors.
pub const RETRY_DELAYS_DEFAULT: [SimDuration; 2] = [SimDuration::from_secs(60), SimDuration::from_secs(120)];
/// The first and the longest wait after a throttled attempt.
pub const THROTTLE_BACKOFF_FIRST: SimDuration = SimDuration::from_secs(1);
pub const THROTTLE_BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);

/// A function's asynchronous invocation settings, already validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncConfig {
    /// Retries after function errors: 0 to 2.
    pub maximum_retry_attempts: u32,
    /// How long an event may stay in the queue.
    pub maximum_event_age: SimDuration,
    /// Waits before the second and third attempts after function errors.
    pub retry_delays: [SimDuration; 2],
}

impl Default for AsyncConfig {
    fn default() -> Self {
        AsyncConfig {
            maximum_retry_attempts: MAXIMUM_RETRY_ATTEMPTS_DEFAULT,
            maximum_event_age: MAXIMUM_EVENT_AGE_DEFAULT,
            retry_delays: RETRY_DELAYS_DEFAULT,
        }
    }
}

/// Why an event was dropped, as Lambda's invocation record says (`requestContext.condition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    RetriesExhausted,
    EventAgeExceeded,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// What the world must do next for an event of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncStep {
    /// An invocation started in `environment`, busy for `busy`; its end is
    /// [`crate::models::lambda::Service::finish_async`].
    Started { environment: u32, busy: SimDuration, succeeds: bool },
    /// The event waits: call [`crate::models::lambda::Service::async_event_due`] at `at`.
    DueAt { event: u32, at: SimTime },
    /// The function processed the event: to its on-success destination, if any, after
    /// `invocations` invocations.
    Succeeded { message: Message, invocations: u32 },
    /// The event is dropped: to its on-failure destination and dead-letter queue, if any.
    Dropped { message: Message, condition: Condition, invocations: u32 },
}

/// One event in the queue.
#[derive(Clone, Copy, Debug)]
pub(super) struct AsyncEvent {
    pub message: Message,
    pub received_at: SimTime,
    /// Invocations started for it.
    pub invocations: u32,
    /// Throttled attempts since its last started one.
    pub throttles: u32,
    /// The running invocation ends in a function error.
    pub is_failing: bool,
    /// Its next due time is its age running out, not an attempt.
    pub is_expiring: bool,
}

/// A function's queue of asynchronous events: a slab of events, and which event each busy
/// environment runs.
#[derive(Debug, Default)]
pub(super) struct AsyncQueue {
    pub events: Vec<Option<AsyncEvent>>,
    pub free: Vec<u32>,
    pub by_environment: Vec<u32>,
    /// Events in the queue: waiting, or running.
    pub queued: u64,
}

impl AsyncQueue {
    pub fn insert(&mut self, event: AsyncEvent) -> u32 {
        self.queued += 1;
        match self.free.pop() {
            Some(id) => {
                self.events[id as usize] = Some(event);
                id
            }
            None => {
                self.events.push(Some(event));
                u32::try_from(self.events.len() - 1).expect("fewer than 2^32 queued events")
            }
        }
    }

    pub fn remove(&mut self, id: u32) -> AsyncEvent {
        let event = self.events[id as usize].take().expect("a live event");
        self.free.push(id);
        self.queued -= 1;
        event
    }

    pub fn get(&mut self, id: u32) -> &mut AsyncEvent {
        self.events[id as usize].as_mut().expect("a live event")
    }

    pub fn run_in(&mut self, environment: u32, id: u32) {
        let slot = environment as usize;
        if self.by_environment.len() <= slot {
            self.by_environment.resize(slot + 1, 0);
        }
        self.by_environment[slot] = id;
    }
}

/// The wait after the `n`-th throttle in a row (1 for the first): 1 s doubling up to 5 min.
pub fn throttle_backoff(n: u32) -> SimDuration {
    let doublings = n.saturating_sub(1).min(16);
    let micros = THROTTLE_BACKOFF_FIRST.as_micros() << doublings;
    SimDuration::from_micros(micros.min(THROTTLE_BACKOFF_MAX.as_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_backoff_doubles_from_one_second_to_five_minutes() {
        let seconds: Vec<u64> = (1..=11).map(|n| throttle_backoff(n).as_micros() / 1_000_000).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(throttle_backoff(1_000), THROTTLE_BACKOFF_MAX);
    }
}
