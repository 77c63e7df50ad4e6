//! SNS delivery retry policies: when SNS retries a failed delivery to a subscription, how
//! long it waits before each retry, and which failures it retries at all.
//!
//! Follows `reference/aws-messaging.md` §2.4 and §0's row on retry phases ([sns-retries],
//! [sns-retries-2022], [sns-http-step4], [sns-json-2022], [sns-topic-effective],
//! [sns-http-prepare], [sns-dlq-2022], [repost-io]):
//! - a policy has four phases, in order: immediate (no delay), pre-backoff (retries
//!   `minDelayTarget` apart), backoff (from `minDelayTarget` on the first retry to
//!   `maxDelayTarget` on the last, along a backoff function) and post-backoff (retries
//!   `maxDelayTarget` apart);
//! - AWS-managed endpoints (SQS, Lambda, Firehose): 3 / 2 × 1 s / 10 exponential 1 s → 20 s /
//!   100,000 × 20 s ([`RetryPolicy::aws_managed`]); customer-managed endpoints (email,
//!   email-json, SMS, mobile push): 0 / 2 × 10 s / 10 exponential 10 s → 600 s / 38 × 600 s
//!   ([`RetryPolicy::customer_managed`]). Firehose *throttling* errors use the
//!   customer-managed policy; choosing the policy per failure is the caller's job;
//! - HTTP/S is the only protocol whose policy can be changed ([`HttpDeliveryPolicy`], the
//!   `healthyRetryPolicy` and `throttlePolicy` JSON). Its default is 3 retries 20 s apart
//!   ([`RetryPolicy::http_default`]). AWS's limits are checked by
//!   [`HttpDeliveryPolicy::validate`]: `numRetries` 0–100, `minDelayTarget` 1 s up to
//!   `maxDelayTarget`, `maxDelayTarget` at most 3,600 s, the three fixed phases together no
//!   more than `numRetries` (the backoff phase gets the rest), and a total retry time of at
//!   most 3,600 s (a hard limit);
//! - AWS's "total attempts" figure is the sum of the phases' retries (100,015 and 50). The
//!   reference's model, used here: deliveries = 1 first delivery + [`RetryPolicy::retries`];
//! - only server-side failures are retried: 5xx, 429 and timeouts (no response within about
//!   15 s, [`HTTP_RESPONSE_TIMEOUT`]). Any other 4xx is a permanent failure: no retry, the
//!   message goes straight to the subscription's DLQ if it has one ([`Failure`]). A policy
//!   that runs out also ends in the DLQ, or drops the message without one.
//!
//! Modelling choices where AWS publishes no rule (each one named, documented and open to
//! change):
//! - **Backoff curves.** AWS fixes only the endpoints (first backoff retry = min, last =
//!   max) and, through a chart for min 5 s, max 260 s and 10 retries, an ordering:
//!   exponential climbs fastest and reaches the maximum soonest, linear rises in equal
//!   steps, arithmetic and geometric lie between. For `n` backoff retries from `min` to
//!   `max`, the `k`-th (1-based) waits:
//!   - [`BackoffFunction::Linear`]: `min + (max − min)·(k−1)/(n−1)`, equal steps;
//!   - [`BackoffFunction::Arithmetic`]: steps that grow arithmetically (1, 2, 3, … units),
//!     scaled to end at `max`: `min + (max − min)·T(k−1)/T(n−1)`, with `T(j) = j(j+1)/2`;
//!   - [`BackoffFunction::Geometric`]: a constant ratio from `min` to `max`:
//!     `min·(max/min)^((k−1)/(n−1))`;
//!   - [`BackoffFunction::Exponential`]: doubling from `min`, capped at `max`:
//!     `min(min·2^(k−1), max)`. When doubling cannot reach `max` by the last retry, the
//!     ratio rises just enough that it does, and the curve is the geometric one: AWS's
//!     endpoint rule wins over the doubling.
//!
//!   "Between" is read as steepness, the largest step from one retry to the next: delay by
//!   delay, any curve bending upwards through the same endpoints lies *below* linear, so it
//!   cannot mean the delays themselves. On the chart's example the steepest step is 28.3 s
//!   (linear) < 51 s (arithmetic) < 92.4 s (geometric) < 100 s (exponential); exponential
//!   reaches 260 s on the 7th retry, the others on the 10th; and exponential is never below
//!   geometric. The tests check all three. A backoff phase of one retry waits `min`; with
//!   `min = max` every curve is flat.
//! - **Rounding.** Delays are whole microseconds, rounded so that their running sum is the
//!   rounded exact sum of the curve: each delay is within 1 µs of its curve, the first and
//!   last backoff delays are exactly `min` and `max`, and [`RetryPolicy::span`] is a closed
//!   form per phase (O(phases), never a walk over the 100,015 retries).
//! - **Jitter.** AWS applies jitter but publishes no amount. [`jittered`] scales a delay by
//!   a uniform factor in [1 − f, 1 + f), default f = [`JITTER_FRACTION_DEFAULT`] (±10 %).
//!   A symmetric jitter keeps the mean delay, and so the spans AWS publishes ("over 23
//!   days", "over 6 hours"); a "full" jitter drawn from [0, delay] would halve them.
//!   Immediate retries stay immediate.
//! - **Total retry time** (the 3,600 s rule) is the sum of the delays, without jitter and
//!   without the time the attempts themselves take; AWS does not say which it counts.
//!
//! Deliberately absent: the throttle itself (`maxReceivesPerSecond` is validated and
//! carried, not enforced here), `requestPolicy` (content type), the deprecated
//! `sicklyRetryPolicy` and `guaranteed`, topic-level policies and
//! `disableSubscriptionOverrides` (a topic's policy is a subscription's default; resolving
//! that is the caller's job), and scheduling: this module computes delays, and the SNS model
//! decides when attempts happen and what they cost.
//!
//! Units: delays are [`SimDuration`]s (microseconds); the AWS JSON fields, in whole
//! seconds, keep AWS's meaning with `_s` appended.

use std::fmt;

use crate::engine::{SimDuration, SimRng};

/// Most retries an HTTP/S policy may have (`numRetries`).
pub const NUM_RETRIES_MAX: u32 = 100;
/// Smallest `minDelayTarget`, in seconds.
pub const MIN_DELAY_TARGET_S_MIN: u32 = 1;
/// Largest `maxDelayTarget`, in seconds.
pub const MAX_DELAY_TARGET_S_MAX: u32 = 3_600;
/// The hard limit on an HTTP/S policy's total retry time [sns-retries].
pub const TOTAL_RETRY_TIME_MAX: SimDuration = SimDuration::from_secs(3_600);
/// An HTTP/S endpoint that has not answered within about this long has failed the attempt
/// [sns-http-prepare].
pub const HTTP_RESPONSE_TIMEOUT: SimDuration = SimDuration::from_secs(15);
/// Default half-width of the jitter, as a fraction of the delay: an assumption, since AWS
/// publishes no amount (see the module comment).
pub const JITTER_FRACTION_DEFAULT: f64 = 0.1;

/// The four phases of a retry policy, in the order SNS goes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Retries with no delay, right after the first delivery.
    Immediate,
    /// Retries `min_delay` apart.
    PreBackoff,
    /// Retries whose delays climb from `min_delay` to `max_delay` along the backoff function.
    Backoff,
    /// Retries `max_delay` apart, until the policy is exhausted.
    PostBackoff,
}

/// How the delays of the backoff phase climb from `min_delay` to `max_delay`. The formulas
/// are this project's assumptions (AWS publishes none); see the module comment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackoffFunction {
    /// Equal steps. AWS's default for HTTP/S.
    #[default]
    Linear,
    /// Steps growing 1, 2, 3, … units, scaled to end at the maximum.
    Arithmetic,
    /// A constant ratio between successive delays.
    Geometric,
    /// Doubling from the minimum, capped at the maximum (geometric when doubling is too slow
    /// to reach the maximum by the last retry).
    Exponential,
}

/// A delivery retry policy, ready to use (AWS's fixed ones, or a validated HTTP/S one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub immediate_retries: u32,
    pub pre_backoff_retries: u32,
    /// Delay of the pre-backoff retries and of the first backoff retry.
    pub min_delay: SimDuration,
    pub backoff_retries: u32,
    /// Delay of the last backoff retry and of the post-backoff retries; at least `min_delay`.
    pub max_delay: SimDuration,
    pub post_backoff_retries: u32,
    pub backoff_function: BackoffFunction,
}

/// One delivery of a message to a subscription, as a policy schedules it without jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// 0 for the first delivery, then the retry number.
    pub attempt: u32,
    /// The retry phase; `None` for the first delivery.
    pub phase: Option<Phase>,
    /// Wait since the previous attempt.
    pub delay: SimDuration,
    /// Wait since the first delivery.
    pub offset: SimDuration,
}

/// An HTTP/S subscription's delivery policy as AWS's JSON spells it: `healthyRetryPolicy`
/// plus `throttlePolicy.maxReceivesPerSecond`. [`Default`] is AWS's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpDeliveryPolicy {
    /// `minDelayTarget`: delay of the pre-backoff retries and the first backoff retry.
    pub min_delay_target_s: u32,
    /// `maxDelayTarget`: delay of the last backoff retry and the post-backoff retries.
    pub max_delay_target_s: u32,
    /// `numRetries`: the retries of all four phases together.
    pub num_retries: u32,
    /// `numNoDelayRetries`: the immediate phase.
    pub num_no_delay_retries: u32,
    /// `numMinDelayRetries`: the pre-backoff phase.
    pub num_min_delay_retries: u32,
    /// `numMaxDelayRetries`: the post-backoff phase.
    pub num_max_delay_retries: u32,
    /// `backoffFunction`.
    pub backoff_function: BackoffFunction,
    /// `throttlePolicy.maxReceivesPerSecond`: average deliveries per second to the
    /// subscription, not a strict cap; `None` is no throttling.
    pub max_receives_per_second: Option<u32>,
}

/// An HTTP/S delivery policy that AWS would refuse: which rule, with the values at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// `numRetries` above [`NUM_RETRIES_MAX`].
    TooManyRetries { num_retries: u32 },
    /// `minDelayTarget` below [`MIN_DELAY_TARGET_S_MIN`].
    MinDelayTooShort { min_delay_target_s: u32 },
    /// `maxDelayTarget` above [`MAX_DELAY_TARGET_S_MAX`].
    MaxDelayTooLong { max_delay_target_s: u32 },
    /// `minDelayTarget` above `maxDelayTarget`.
    MinDelayAboveMaxDelay { min_delay_target_s: u32, max_delay_target_s: u32 },
    /// The immediate, pre-backoff and post-backoff phases need more retries than
    /// `numRetries` allows.
    PhasesExceedNumRetries { no_delay: u32, min_delay: u32, max_delay: u32, num_retries: u32 },
    /// `maxReceivesPerSecond` of zero.
    ThrottleBelowOne,
    /// The delays add up to more than [`TOTAL_RETRY_TIME_MAX`].
    TotalRetryTimeTooLong { total: SimDuration },
}

/// Why one delivery attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 5xx, or an AWS endpoint that is unavailable or raised an exception.
    ServerError5xx,
    /// HTTP 429 Too Many Requests.
    Throttled429,
    /// Any other HTTP 4xx, or a client-side error (deleted endpoint, a policy that forbids
    /// SNS, stale subscription metadata).
    ClientError4xx,
    /// No response within [`HTTP_RESPONSE_TIMEOUT`].
    Timeout,
}

impl RetryPolicy {
    /// SQS, Lambda and Firehose: 3 immediate; 2 at 1 s; 10 exponential from 1 s to 20 s;
    /// 100,000 at 20 s. 100,015 retries over about 23 days [sns-retries].
    pub fn aws_managed() -> RetryPolicy {
        RetryPolicy {
            immediate_retries: 3,
            pre_backoff_retries: 2,
            min_delay: SimDuration::from_secs(1),
            backoff_retries: 10,
            max_delay: SimDuration::from_secs(20),
            post_backoff_retries: 100_000,
            backoff_function: BackoffFunction::Exponential,
        }
    }

    /// Email, email-json, SMS and mobile push (and Firehose throttling errors): none
    /// immediate; 2 at 10 s; 10 exponential from 10 s to 600 s; 38 at 600 s. 50 retries
    /// over more than 6 hours [sns-retries].
    pub fn customer_managed() -> RetryPolicy {
        RetryPolicy {
            immediate_retries: 0,
            pre_backoff_retries: 2,
            min_delay: SimDuration::from_secs(10),
            backoff_retries: 10,
            max_delay: SimDuration::from_secs(600),
            post_backoff_retries: 38,
            backoff_function: BackoffFunction::Exponential,
        }
    }

    /// HTTP/S without a delivery policy: 3 retries 20 s apart [sns-http-step4].
    ///
    /// The 3 retries are backoff retries (with min = max = 20 s and linear, so 20 s each),
    /// because that is where AWS's default field values put them: `numRetries` 3 and the
    /// three fixed phases 0 each leave 3 for the backoff phase. This equals
    /// `HttpDeliveryPolicy::default().validate()`. Post-backoff at 20 s would give the same
    /// delays; only [`Phase`] tells them apart.
    pub fn http_default() -> RetryPolicy {
        RetryPolicy {
            immediate_retries: 0,
            pre_backoff_retries: 0,
            min_delay: SimDuration::from_secs(20),
            backoff_retries: 3,
            max_delay: SimDuration::from_secs(20),
            post_backoff_retries: 0,
            backoff_function: BackoffFunction::Linear,
        }
    }

    /// All retries of all phases: AWS's "total attempts" figure.
    pub fn retries(&self) -> u32 {
        [self.pre_backoff_retries, self.backoff_retries, self.post_backoff_retries]
            .into_iter()
            .try_fold(self.immediate_retries, u32::checked_add)
            .expect("a retry policy has more than u32::MAX retries")
    }

    /// Deliveries if every attempt fails: the first one plus every retry.
    pub fn deliveries(&self) -> u32 {
        self.retries().checked_add(1).expect("a retry policy has more than u32::MAX retries")
    }

    /// The phase of retry number `retry` (1-based) and the wait before it, since the
    /// previous attempt, without jitter. O(1).
    pub fn delay(&self, retry: u32) -> (Phase, SimDuration) {
        assert!((1..=self.retries()).contains(&retry), "retry {retry} is outside 1..={}", self.retries());
        let (phase, k) = self.locate(retry);
        let delay = match phase {
            Phase::Immediate => SimDuration::ZERO,
            Phase::PreBackoff => self.min_delay,
            Phase::Backoff => SimDuration::from_micros(self.backoff_offset_us(k) - self.backoff_offset_us(k - 1)),
            Phase::PostBackoff => self.max_delay,
        };
        (phase, delay)
    }

    /// When retry number `retry` happens, counted from the first delivery, without jitter;
    /// 0 is the first delivery itself. O(1).
    pub fn offset(&self, retry: u32) -> SimDuration {
        assert!(retry <= self.retries(), "retry {retry} is beyond the policy's {} retries", self.retries());
        // How many retries of each phase have happened by `retry`.
        let mut left = retry;
        let mut take = |n: u32| {
            let taken = left.min(n);
            left -= taken;
            u64::from(taken)
        };
        let _immediate = take(self.immediate_retries);
        let pre_backoff = take(self.pre_backoff_retries);
        let backoff = take(self.backoff_retries);
        let post_backoff = take(self.post_backoff_retries);
        let us = pre_backoff
            .saturating_mul(self.min_delay.as_micros())
            .saturating_add(self.backoff_offset_us(backoff as u32))
            .saturating_add(post_backoff.saturating_mul(self.max_delay.as_micros()));
        SimDuration::from_micros(us)
    }

    /// From the first delivery to the last retry, without jitter: the sum of all delays.
    /// O(phases): it never lists the retries.
    pub fn span(&self) -> SimDuration {
        self.offset(self.retries())
    }

    /// Every delivery, first and retries, without jitter. The AWS-managed policy has
    /// 100,016 of them; use [`RetryPolicy::delay`] or [`RetryPolicy::span`] where one will do.
    pub fn schedule(&self) -> Vec<Attempt> {
        let mut attempts = Vec::with_capacity(self.deliveries() as usize);
        attempts.push(Attempt { attempt: 0, phase: None, delay: SimDuration::ZERO, offset: SimDuration::ZERO });
        let mut offset = SimDuration::ZERO;
        for retry in 1..=self.retries() {
            let (phase, delay) = self.delay(retry);
            offset = offset + delay;
            attempts.push(Attempt { attempt: retry, phase: Some(phase), delay, offset });
        }
        attempts
    }

    /// The phase of `retry` (1-based) and its 1-based index within that phase.
    fn locate(&self, retry: u32) -> (Phase, u32) {
        let mut k = retry;
        for (phase, n) in [
            (Phase::Immediate, self.immediate_retries),
            (Phase::PreBackoff, self.pre_backoff_retries),
            (Phase::Backoff, self.backoff_retries),
            (Phase::PostBackoff, self.post_backoff_retries),
        ] {
            if k <= n {
                return (phase, k);
            }
            k -= n;
        }
        unreachable!("retry {retry} is beyond the policy's retries")
    }

    /// The sum of the first `k` backoff delays, in µs. Each delay is the difference of two
    /// of these sums, so the delays add up to the rounded exact sum of the curve.
    fn backoff_offset_us(&self, k: u32) -> u64 {
        let n = self.backoff_retries;
        let (min_us, max_us) = (self.min_delay.as_micros(), self.max_delay.as_micros());
        assert!(min_us <= max_us, "retry policy's min delay {} is above its max {}", self.min_delay, self.max_delay);
        assert!(k <= n, "backoff retry {k} of {n}");
        if k == 0 {
            return 0;
        }
        if n == 1 || min_us == max_us {
            return u64::from(k).saturating_mul(min_us);
        }
        if k == n {
            // AWS fixes the last backoff delay at the maximum; the formulas below meet it
            // exactly or to within float error, and this makes it exact for all of them.
            return self.backoff_offset_us(n - 1).saturating_add(max_us);
        }
        let curve = Curve { n: u128::from(n), min_us: u128::from(min_us), max_us: u128::from(max_us) };
        let k = u128::from(k);
        let us = match self.backoff_function {
            BackoffFunction::Linear => curve.linear(k),
            BackoffFunction::Arithmetic => curve.arithmetic(k),
            BackoffFunction::Geometric => curve.geometric(k),
            BackoffFunction::Exponential => curve.exponential(k),
        };
        u64::try_from(us).unwrap_or(u64::MAX)
    }
}

/// One backoff phase of `n ≥ 2` retries from `min_us` to `max_us > min_us`. Each method
/// returns the sum of the first `k` delays (`1 ≤ k < n`), rounded to the microsecond.
struct Curve {
    n: u128,
    min_us: u128,
    max_us: u128,
}

impl Curve {
    fn span_us(&self) -> u128 {
        self.max_us - self.min_us
    }

    /// Σ_{j<k} min + span·j/(n−1) = k·min + span·k(k−1) / (2(n−1)).
    fn linear(&self, k: u128) -> u128 {
        let num = self.span_us() * k * (k - 1);
        k * self.min_us + div_round(num, 2 * (self.n - 1))
    }

    /// Σ_{j<k} min + span·T(j)/T(n−1) = k·min + span·(k−1)k(k+1) / (3(n−1)n).
    fn arithmetic(&self, k: u128) -> u128 {
        let num = (k - 1) * k * (k + 1);
        let num = num.checked_mul(self.span_us()).expect("backoff phase too long to compute");
        k * self.min_us + div_round(num, 3 * (self.n - 1) * self.n)
    }

    /// Σ_{j<k} min·r^j = min·(r^k − 1)/(r − 1), with r = (max/min)^(1/(n−1)). Computed with
    /// `ln_1p` and `exp_m1`, which stay precise when r is close to 1; the result is rounded
    /// to the microsecond, far coarser than any last-bit difference between libm versions.
    fn geometric(&self, k: u128) -> u128 {
        assert!(self.min_us > 0, "a geometric backoff needs a positive min delay");
        let min_us = self.min_us as f64;
        let ln_ratio = (self.span_us() as f64 / min_us).ln_1p() / (self.n - 1) as f64;
        let sum_us = min_us * (k as f64 * ln_ratio).exp_m1() / ln_ratio.exp_m1();
        (sum_us + 0.5) as u128
    }

    /// Doubling from min, capped at max; the geometric curve if doubling would still be
    /// below max on the last retry (AWS's endpoint rule wins).
    fn exponential(&self, k: u128) -> u128 {
        // `below_max`: how many doubled delays stay below the cap (at most 64, as max < 2^64).
        let mut below_max = 0;
        while self.min_us > 0 && self.min_us << below_max < self.max_us {
            below_max += 1;
        }
        if self.min_us == 0 || below_max > self.n - 1 {
            return self.geometric(k);
        }
        let doubled = k.min(below_max);
        self.min_us * ((1 << doubled) - 1) + (k - doubled) * self.max_us
    }
}

/// `num / den`, rounded to the nearest (halves up).
fn div_round(num: u128, den: u128) -> u128 {
    (num + den / 2) / den
}

impl Default for HttpDeliveryPolicy {
    /// AWS's default: 3 retries, 20 s apart, linear, no throttling [sns-retries].
    fn default() -> HttpDeliveryPolicy {
        HttpDeliveryPolicy {
            min_delay_target_s: 20,
            max_delay_target_s: 20,
            num_retries: 3,
            num_no_delay_retries: 0,
            num_min_delay_retries: 0,
            num_max_delay_retries: 0,
            backoff_function: BackoffFunction::Linear,
            max_receives_per_second: None,
        }
    }
}

impl HttpDeliveryPolicy {
    /// Checks AWS's rules and turns the policy into a [`RetryPolicy`]. The backoff phase gets
    /// the retries the other three phases leave. Rules are checked field by field first,
    /// then the total retry time, so the first error is the simplest fix.
    pub fn validate(&self) -> Result<RetryPolicy, PolicyError> {
        if self.num_retries > NUM_RETRIES_MAX {
            return Err(PolicyError::TooManyRetries { num_retries: self.num_retries });
        }
        if self.min_delay_target_s < MIN_DELAY_TARGET_S_MIN {
            return Err(PolicyError::MinDelayTooShort { min_delay_target_s: self.min_delay_target_s });
        }
        if self.max_delay_target_s > MAX_DELAY_TARGET_S_MAX {
            return Err(PolicyError::MaxDelayTooLong { max_delay_target_s: self.max_delay_target_s });
        }
        if self.min_delay_target_s > self.max_delay_target_s {
            return Err(PolicyError::MinDelayAboveMaxDelay {
                min_delay_target_s: self.min_delay_target_s,
                max_delay_target_s: self.max_delay_target_s,
            });
        }
        let fixed_phases = u64::from(self.num_no_delay_retries)
            + u64::from(self.num_min_delay_retries)
            + u64::from(self.num_max_delay_retries);
        if fixed_phases > u64::from(self.num_retries) {
            return Err(PolicyError::PhasesExceedNumRetries {
                no_delay: self.num_no_delay_retries,
                min_delay: self.num_min_delay_retries,
                max_delay: self.num_max_delay_retries,
                num_retries: self.num_retries,
            });
        }
        if self.max_receives_per_second == Some(0) {
            return Err(PolicyError::ThrottleBelowOne);
        }
        let policy = RetryPolicy {
            immediate_retries: self.num_no_delay_retries,
            pre_backoff_retries: self.num_min_delay_retries,
            min_delay: SimDuration::from_secs(u64::from(self.min_delay_target_s)),
            // Cannot underflow: checked just above.
            backoff_retries: self.num_retries - fixed_phases as u32,
            max_delay: SimDuration::from_secs(u64::from(self.max_delay_target_s)),
            post_backoff_retries: self.num_max_delay_retries,
            backoff_function: self.backoff_function,
        };
        let total = policy.span();
        if total > TOTAL_RETRY_TIME_MAX {
            return Err(PolicyError::TotalRetryTimeTooLong { total });
        }
        Ok(policy)
    }
}

impl PolicyError {
    /// The AWS JSON field at fault (for the total retry time, the whole `healthyRetryPolicy`).
    pub fn field(&self) -> &'static str {
        match self {
            PolicyError::TooManyRetries { .. } => "numRetries",
            PolicyError::MinDelayTooShort { .. } | PolicyError::MinDelayAboveMaxDelay { .. } => "minDelayTarget",
            PolicyError::MaxDelayTooLong { .. } => "maxDelayTarget",
            PolicyError::PhasesExceedNumRetries { .. } => "numRetries",
            PolicyError::ThrottleBelowOne => "maxReceivesPerSecond",
            PolicyError::TotalRetryTimeTooLong { .. } => "healthyRetryPolicy",
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PolicyError::TooManyRetries { num_retries } => {
                write!(f, "numRetries is {num_retries}; AWS allows 0 to {NUM_RETRIES_MAX}")
            }
            PolicyError::MinDelayTooShort { min_delay_target_s } => {
                write!(f, "minDelayTarget is {min_delay_target_s} s; AWS requires at least {MIN_DELAY_TARGET_S_MIN} s")
            }
            PolicyError::MaxDelayTooLong { max_delay_target_s } => {
                write!(f, "maxDelayTarget is {max_delay_target_s} s; AWS allows at most {MAX_DELAY_TARGET_S_MAX} s")
            }
            PolicyError::MinDelayAboveMaxDelay { min_delay_target_s, max_delay_target_s } => write!(
                f,
                "minDelayTarget is {min_delay_target_s} s, above maxDelayTarget ({max_delay_target_s} s); \
                 it may be at most maxDelayTarget"
            ),
            PolicyError::PhasesExceedNumRetries { no_delay, min_delay, max_delay, num_retries } => write!(
                f,
                "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries is {} ({no_delay} + {min_delay} + \
                 {max_delay}), above numRetries ({num_retries}), which counts the retries of all phases",
                u64::from(no_delay) + u64::from(min_delay) + u64::from(max_delay)
            ),
            PolicyError::ThrottleBelowOne => write!(f, "maxReceivesPerSecond is 0; AWS requires at least 1"),
            PolicyError::TotalRetryTimeTooLong { total } => write!(
                f,
                "the retry delays add up to {} s; AWS's hard limit on total retry time is {} s",
                total.as_secs_f64(),
                TOTAL_RETRY_TIME_MAX.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

impl Failure {
    /// 5xx, 429 and timeouts are retried under the policy; any other 4xx is a permanent
    /// failure that goes straight to the DLQ [sns-retries] [sns-dlq-2022].
    pub fn is_retryable(self) -> bool {
        match self {
            Failure::ServerError5xx | Failure::Throttled429 | Failure::Timeout => true,
            Failure::ClientError4xx => false,
        }
    }
}

/// `delay` scaled by a uniform factor in [1 − `jitter_fraction`, 1 + `jitter_fraction`),
/// rounded to the microsecond; a fraction above 1 can draw a negative factor, which gives
/// zero, never less. It always takes exactly one draw from `rng` (even for a zero delay or
/// fraction), so the draws that follow do not depend on the delays. AWS publishes no
/// amount; [`JITTER_FRACTION_DEFAULT`] is this project's assumption.
pub fn jittered(delay: SimDuration, rng: &mut SimRng, jitter_fraction: f64) -> SimDuration {
    assert!(jitter_fraction.is_finite() && jitter_fraction >= 0.0, "jitter fraction {jitter_fraction}");
    let factor = 1.0 + jitter_fraction * (2.0 * rng.unit() - 1.0);
    let us = (delay.as_micros() as f64 * factor).max(0.0);
    SimDuration::from_micros((us + 0.5) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    /// A policy made only of a backoff phase, to look at one curve.
    fn backoff_only(function: BackoffFunction, min_s: u64, max_s: u64, n: u32) -> RetryPolicy {
        RetryPolicy {
            immediate_retries: 0,
            pre_backoff_retries: 0,
            min_delay: secs(min_s),
            backoff_retries: n,
            max_delay: secs(max_s),
            post_backoff_retries: 0,
            backoff_function: function,
        }
    }

    fn delays_us(policy: &RetryPolicy) -> Vec<u64> {
        (1..=policy.retries()).map(|r| policy.delay(r).1.as_micros()).collect()
    }

    const FUNCTIONS: [BackoffFunction; 4] = [
        BackoffFunction::Linear,
        BackoffFunction::Arithmetic,
        BackoffFunction::Geometric,
        BackoffFunction::Exponential,
    ];

    /// AWS's example HTTP/S policy [sns-retries].
    fn aws_example() -> HttpDeliveryPolicy {
        HttpDeliveryPolicy {
            min_delay_target_s: 1,
            max_delay_target_s: 60,
            num_retries: 50,
            num_no_delay_retries: 3,
            num_min_delay_retries: 2,
            num_max_delay_retries: 35,
            backoff_function: BackoffFunction::Exponential,
            max_receives_per_second: Some(10),
        }
    }

    #[test]
    fn aws_managed_policy_retries_100_015_times_over_2_000_133_s() {
        let policy = RetryPolicy::aws_managed();
        assert_eq!(policy.retries(), 100_015);
        assert_eq!(policy.deliveries(), 100_016);
        // 3 × 0 + 2 × 1 s + (1+2+4+8+16+20×5 = 131 s) + 100,000 × 20 s, about 23.15 days.
        let span = policy.span();
        assert_eq!(span, secs(2_000_133));
        assert!(span >= secs(2_000_000) && span <= secs(2_000_000 + 2 + 10 * 20));
        let backoff: Vec<u64> = (6..=15).map(|r| policy.delay(r).1.as_micros() / 1_000_000).collect();
        assert_eq!(backoff, [1, 2, 4, 8, 16, 20, 20, 20, 20, 20]);
    }

    #[test]
    fn customer_managed_policy_retries_50_times_over_25_850_s() {
        let policy = RetryPolicy::customer_managed();
        assert_eq!(policy.retries(), 50);
        // 2 × 10 s + (10+20+40+80+160+320+600×4 = 3,030 s) + 38 × 600 s: 7 h 10 min 50 s.
        assert_eq!(policy.span(), secs(25_850));
        assert!(policy.span() > secs(6 * 3_600 + 1_800) && policy.span() < secs(7 * 3_600 + 2_880));
        let backoff: Vec<u64> = (3..=12).map(|r| policy.delay(r).1.as_micros() / 1_000_000).collect();
        assert_eq!(backoff, [10, 20, 40, 80, 160, 320, 600, 600, 600, 600]);
    }

    #[test]
    fn http_default_retries_three_times_20_s_apart() {
        let policy = RetryPolicy::http_default();
        assert_eq!(policy.retries(), 3);
        let offsets: Vec<SimDuration> = policy.schedule().iter().map(|a| a.offset).collect();
        assert_eq!(offsets, [secs(0), secs(20), secs(40), secs(60)]);
        assert_eq!(policy.delay(1), (Phase::Backoff, secs(20)));
    }

    #[test]
    fn http_default_is_what_aws_default_delivery_policy_validates_to() {
        assert_eq!(HttpDeliveryPolicy::default().validate(), Ok(RetryPolicy::http_default()));
    }

    #[test]
    fn retries_are_numbered_through_the_phases_in_order() {
        let policy = RetryPolicy::aws_managed();
        assert_eq!(policy.delay(1), (Phase::Immediate, SimDuration::ZERO));
        assert_eq!(policy.delay(3), (Phase::Immediate, SimDuration::ZERO));
        assert_eq!(policy.delay(4), (Phase::PreBackoff, secs(1)));
        assert_eq!(policy.delay(5), (Phase::PreBackoff, secs(1)));
        assert_eq!(policy.delay(6), (Phase::Backoff, secs(1)));
        assert_eq!(policy.delay(15), (Phase::Backoff, secs(20)));
        assert_eq!(policy.delay(16), (Phase::PostBackoff, secs(20)));
        assert_eq!(policy.delay(100_015), (Phase::PostBackoff, secs(20)));
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn asking_for_a_retry_past_the_last_is_a_bug() {
        RetryPolicy::http_default().delay(4);
    }

    #[test]
    fn schedule_starts_with_the_first_delivery_and_agrees_with_span() {
        let example = aws_example().validate().unwrap();
        let policies =
            [RetryPolicy::aws_managed(), RetryPolicy::customer_managed(), RetryPolicy::http_default(), example];
        for policy in policies {
            let schedule = policy.schedule();
            assert_eq!(schedule.len(), policy.deliveries() as usize);
            assert_eq!(
                schedule[0],
                Attempt { attempt: 0, phase: None, delay: SimDuration::ZERO, offset: SimDuration::ZERO }
            );
            assert_eq!(schedule.last().unwrap().offset, policy.span());
            for a in &schedule {
                assert_eq!(a.offset, policy.offset(a.attempt));
            }
        }
        for function in FUNCTIONS {
            for (min_s, max_s, n) in [(5, 260, 10), (1, 3_600, 5), (7, 11, 100), (1, 2, 3)] {
                let policy = backoff_only(function, min_s, max_s, n);
                assert_eq!(policy.schedule().last().unwrap().offset, policy.span(), "{function:?} {min_s} {max_s} {n}");
            }
        }
    }

    #[test]
    fn aws_example_policy_validates_and_retries_for_2_405_s() {
        let policy = aws_example().validate().unwrap();
        assert_eq!(policy.retries(), 50);
        assert_eq!(policy.backoff_retries, 10);
        // 3 × 0 + 2 × 1 s + (1+2+4+8+16+32+60×4 = 303 s) + 35 × 60 s: under the 3,600 s limit.
        assert_eq!(policy.span(), secs(2_405));
        let backoff: Vec<u64> = (6..=15).map(|r| policy.delay(r).1.as_micros() / 1_000_000).collect();
        assert_eq!(backoff, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn aws_example_policy_stays_under_3_600_s_with_every_backoff_function() {
        // Any curve from 1 s to 60 s over 10 retries lies between 1×9 + 60 and 1 + 60×9.
        for (function, span_us) in [
            (BackoffFunction::Linear, 2_407_000_000),
            (BackoffFunction::Arithmetic, 2_328_333_333),
            (BackoffFunction::Geometric, 2_264_420_136),
            (BackoffFunction::Exponential, 2_405_000_000),
        ] {
            let policy = HttpDeliveryPolicy { backoff_function: function, ..aws_example() }.validate().unwrap();
            assert_eq!(policy.span().as_micros(), span_us, "{function:?}");
        }
    }

    #[test]
    fn validation_rejects_more_than_100_retries() {
        let policy = HttpDeliveryPolicy { num_retries: 101, ..HttpDeliveryPolicy::default() };
        assert_eq!(policy.validate(), Err(PolicyError::TooManyRetries { num_retries: 101 }));
        let policy = HttpDeliveryPolicy { num_retries: 100, min_delay_target_s: 1, max_delay_target_s: 1, ..policy };
        assert_eq!(policy.validate().unwrap().retries(), 100);
    }

    #[test]
    fn validation_rejects_a_min_delay_below_one_second() {
        let policy = HttpDeliveryPolicy { min_delay_target_s: 0, ..HttpDeliveryPolicy::default() };
        assert_eq!(policy.validate(), Err(PolicyError::MinDelayTooShort { min_delay_target_s: 0 }));
    }

    #[test]
    fn validation_rejects_a_max_delay_above_3_600_s() {
        let policy = HttpDeliveryPolicy { max_delay_target_s: 3_601, num_retries: 1, ..HttpDeliveryPolicy::default() };
        assert_eq!(policy.validate(), Err(PolicyError::MaxDelayTooLong { max_delay_target_s: 3_601 }));
    }

    #[test]
    fn validation_rejects_a_min_delay_above_the_max_delay() {
        let policy = HttpDeliveryPolicy { min_delay_target_s: 30, ..HttpDeliveryPolicy::default() };
        assert_eq!(
            policy.validate(),
            Err(PolicyError::MinDelayAboveMaxDelay { min_delay_target_s: 30, max_delay_target_s: 20 })
        );
    }

    #[test]
    fn validation_rejects_phases_that_need_more_retries_than_num_retries() {
        let policy = HttpDeliveryPolicy { num_max_delay_retries: 46, ..aws_example() };
        assert_eq!(
            policy.validate(),
            Err(PolicyError::PhasesExceedNumRetries { no_delay: 3, min_delay: 2, max_delay: 46, num_retries: 50 })
        );
        // Exactly numRetries leaves an empty backoff phase, which AWS allows.
        let policy = HttpDeliveryPolicy { num_max_delay_retries: 45, ..aws_example() };
        let retry = policy.validate().unwrap();
        assert_eq!(retry.backoff_retries, 0);
        assert_eq!(retry.span(), secs(2 + 45 * 60));
    }

    #[test]
    fn validation_rejects_a_throttle_of_zero_per_second() {
        let policy = HttpDeliveryPolicy { max_receives_per_second: Some(0), ..HttpDeliveryPolicy::default() };
        assert_eq!(policy.validate(), Err(PolicyError::ThrottleBelowOne));
    }

    #[test]
    fn validation_rejects_a_total_retry_time_above_3_600_s() {
        // The example with a 100 s maximum: 2 s + (1+2+4+8+16+32+64+100×3 = 427 s) + 35 × 100 s.
        let policy = HttpDeliveryPolicy { max_delay_target_s: 100, ..aws_example() };
        assert_eq!(policy.validate(), Err(PolicyError::TotalRetryTimeTooLong { total: secs(3_929) }));
    }

    #[test]
    fn a_total_retry_time_of_exactly_3_600_s_is_allowed() {
        let one_long_retry = HttpDeliveryPolicy {
            min_delay_target_s: 3_600,
            max_delay_target_s: 3_600,
            num_retries: 1,
            ..HttpDeliveryPolicy::default()
        };
        assert_eq!(one_long_retry.validate().unwrap().span(), TOTAL_RETRY_TIME_MAX);
        let two = HttpDeliveryPolicy { num_retries: 2, ..one_long_retry };
        assert_eq!(two.validate(), Err(PolicyError::TotalRetryTimeTooLong { total: secs(7_200) }));
    }

    #[test]
    fn error_messages_name_the_field_the_value_and_the_limit() {
        let cases = [
            (PolicyError::TooManyRetries { num_retries: 101 }, "numRetries", "numRetries is 101; AWS allows 0 to 100"),
            (
                PolicyError::MinDelayTooShort { min_delay_target_s: 0 },
                "minDelayTarget",
                "minDelayTarget is 0 s; AWS requires at least 1 s",
            ),
            (
                PolicyError::MaxDelayTooLong { max_delay_target_s: 3_601 },
                "maxDelayTarget",
                "maxDelayTarget is 3601 s; AWS allows at most 3600 s",
            ),
            (
                PolicyError::MinDelayAboveMaxDelay { min_delay_target_s: 30, max_delay_target_s: 20 },
                "minDelayTarget",
                "minDelayTarget is 30 s, above maxDelayTarget (20 s); it may be at most maxDelayTarget",
            ),
            (
                PolicyError::PhasesExceedNumRetries { no_delay: 3, min_delay: 2, max_delay: 46, num_retries: 50 },
                "numRetries",
                "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries is 51 (3 + 2 + 46), above numRetries \
                 (50), which counts the retries of all phases",
            ),
            (
                PolicyError::ThrottleBelowOne,
                "maxReceivesPerSecond",
                "maxReceivesPerSecond is 0; AWS requires at least 1",
            ),
            (
                PolicyError::TotalRetryTimeTooLong { total: secs(3_929) },
                "healthyRetryPolicy",
                "the retry delays add up to 3929 s; AWS's hard limit on total retry time is 3600 s",
            ),
        ];
        for (error, field, message) in cases {
            assert_eq!(error.field(), field);
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn every_backoff_function_starts_at_min_and_ends_at_max() {
        for function in FUNCTIONS {
            for (min_s, max_s, n) in [(5, 260, 10), (1, 20, 10), (10, 600, 10), (1, 3_600, 5), (7, 11, 100), (1, 2, 2)]
            {
                let delays = delays_us(&backoff_only(function, min_s, max_s, n));
                assert_eq!(delays[0], secs(min_s).as_micros(), "{function:?} {min_s} {max_s} {n}");
                assert_eq!(*delays.last().unwrap(), secs(max_s).as_micros(), "{function:?} {min_s} {max_s} {n}");
            }
        }
    }

    #[test]
    fn backoff_delays_never_decrease() {
        for function in FUNCTIONS {
            for (min_s, max_s, n) in [(5, 260, 10), (1, 3_600, 5), (7, 11, 100), (1, 60, 10), (3, 3, 4)] {
                let delays = delays_us(&backoff_only(function, min_s, max_s, n));
                assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{function:?} {min_s} {max_s} {n}: {delays:?}");
            }
        }
    }

    #[test]
    fn chart_example_delays_under_each_function() {
        // min 5 s, max 260 s, 10 retries: the policy of AWS's backoff chart. Delays to the
        // millisecond here; the exact sums, in microseconds, below.
        let ms = |f| delays_us(&backoff_only(f, 5, 260, 10)).iter().map(|us| (us + 500) / 1_000).collect::<Vec<_>>();
        let [linear, arithmetic, geometric, exponential] = FUNCTIONS.map(ms);
        assert_eq!(linear, [5_000, 33_333, 61_667, 90_000, 118_333, 146_667, 175_000, 203_333, 231_667, 260_000]);
        assert_eq!(arithmetic, [5_000, 10_667, 22_000, 39_000, 61_667, 90_000, 124_000, 163_667, 209_000, 260_000]);
        assert_eq!(geometric, [5_000, 7_756, 12_031, 18_663, 28_949, 44_906, 69_658, 108_054, 167_612, 260_000]);
        assert_eq!(exponential, [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 260_000, 260_000, 260_000, 260_000]);
        let span_us = |f| backoff_only(f, 5, 260, 10).span().as_micros();
        assert_eq!(FUNCTIONS.map(span_us), [1_325_000_000, 985_000_000, 722_629_268, 1_355_000_000]);
    }

    #[test]
    fn backoff_curves_follow_the_order_of_aws_chart() {
        let delays = |f| delays_us(&backoff_only(f, 5, 260, 10));
        let steepest_step = |d: &[u64]| d.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        let first_at_max = |d: &[u64]| d.iter().position(|&x| x == 260_000_000).unwrap() + 1;
        let [linear, arithmetic, geometric, exponential] = FUNCTIONS.map(delays);

        // Linear rises in equal steps (to the microsecond of rounding).
        let steps: Vec<u64> = linear.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(steps.iter().all(|&s| s.abs_diff(28_333_333) <= 1), "{steps:?}");
        // Exponential climbs fastest; arithmetic and geometric are steeper than linear.
        assert!(steepest_step(&linear) < steepest_step(&arithmetic));
        assert!(steepest_step(&linear) < steepest_step(&geometric));
        assert!(steepest_step(&arithmetic) < steepest_step(&exponential));
        assert!(steepest_step(&geometric) < steepest_step(&exponential));
        // Exponential reaches the maximum soonest; the others only on the last retry.
        assert_eq!(first_at_max(&exponential), 7);
        for others in [&linear, &arithmetic, &geometric] {
            assert_eq!(first_at_max(others), 10);
        }
        // And it is never below the geometric curve.
        assert!(exponential.iter().zip(&geometric).all(|(e, g)| e >= g));
    }

    #[test]
    fn exponential_that_cannot_double_up_to_max_follows_the_geometric_curve() {
        // 1 s doubled four times is 16 s, far short of 3,600 s on the 5th retry.
        let exponential = delays_us(&backoff_only(BackoffFunction::Exponential, 1, 3_600, 5));
        let geometric = delays_us(&backoff_only(BackoffFunction::Geometric, 1, 3_600, 5));
        assert_eq!(exponential, geometric);
        assert_eq!(exponential, [1_000_000, 7_745_967, 60_000_000, 464_758_001, 3_600_000_000]);
    }

    #[test]
    fn a_backoff_phase_of_one_retry_waits_the_min_delay() {
        for function in FUNCTIONS {
            assert_eq!(delays_us(&backoff_only(function, 5, 260, 1)), [5_000_000]);
        }
    }

    #[test]
    fn a_backoff_phase_with_equal_min_and_max_is_flat() {
        for function in FUNCTIONS {
            assert_eq!(delays_us(&backoff_only(function, 20, 20, 4)), [20_000_000; 4]);
        }
    }

    #[test]
    fn a_policy_without_backoff_retries_goes_from_pre_to_post_backoff() {
        let policy = RetryPolicy { backoff_retries: 0, ..RetryPolicy::customer_managed() };
        assert_eq!(policy.retries(), 40);
        assert_eq!(policy.delay(2), (Phase::PreBackoff, secs(10)));
        assert_eq!(policy.delay(3), (Phase::PostBackoff, secs(600)));
        assert_eq!(policy.span(), secs(2 * 10 + 38 * 600));
    }

    #[test]
    fn a_policy_without_retries_delivers_once() {
        let policy = HttpDeliveryPolicy { num_retries: 0, ..HttpDeliveryPolicy::default() }.validate().unwrap();
        assert_eq!(policy.retries(), 0);
        assert_eq!(policy.deliveries(), 1);
        assert_eq!(policy.span(), SimDuration::ZERO);
        assert_eq!(policy.schedule().len(), 1);
    }

    #[test]
    fn jitter_stays_within_its_fraction_and_repeats_with_the_seed() {
        let draws = |seed| {
            let mut rng = RngFactory::new(seed).stream("sns.retry");
            (0..1_000).map(|_| jittered(secs(20), &mut rng, JITTER_FRACTION_DEFAULT)).collect::<Vec<_>>()
        };
        let a = draws(7);
        assert_eq!(a, draws(7));
        assert_ne!(a, draws(8));
        assert!(a.iter().all(|d| *d >= secs(18) && *d <= secs(22)));
        let mean_s = a.iter().map(|d| d.as_secs_f64()).sum::<f64>() / a.len() as f64;
        assert!((mean_s - 20.0).abs() < 0.2, "mean {mean_s}");
    }

    #[test]
    fn jitter_never_goes_below_zero_and_leaves_immediate_retries_immediate() {
        let mut rng = RngFactory::new(1).stream("sns.retry");
        for _ in 0..1_000 {
            assert_eq!(jittered(SimDuration::ZERO, &mut rng, JITTER_FRACTION_DEFAULT), SimDuration::ZERO);
            assert!(jittered(secs(20), &mut rng, 3.0) <= secs(80));
        }
        assert_eq!(jittered(secs(20), &mut rng, 0.0), secs(20));
    }

    #[test]
    fn only_server_errors_throttling_and_timeouts_are_retried() {
        assert!(Failure::ServerError5xx.is_retryable());
        assert!(Failure::Throttled429.is_retryable());
        assert!(Failure::Timeout.is_retryable());
        assert!(!Failure::ClientError4xx.is_retryable());
        assert_eq!(HTTP_RESPONSE_TIMEOUT, secs(15));
    }
}
