//! The AWS SDK's client-side retries, one model for every simulated caller whose calls a
//! service can throttle: workloads' producers (SQS sends, SNS publishes, EventBridge
//! PutEvents, Step Functions StartExecution, SES sends, synchronous Lambda invokes), each
//! worker of a pool that sends email through SES, and each Lambda function whose handler
//! does.
//!
//! Standard mode, as the AWS SDKs and Tools Reference Guide documents it (the behaviour
//! before the SDKs' 2026 revision, still their default without opting in):
//! - at most `max_attempts` attempts per call (3 by default), the first included;
//! - before retry `n` (1, 2, …) a full-jitter exponential backoff of
//!   `U(0, 1) × min(base × 2^(n − 1), 20 s)` with a base of 1 s;
//! - a retry quota per client: a bucket of 500 tokens; each retry of a throttled call costs
//!   5, and a call that cannot pay is returned to its caller at once; a call that succeeds
//!   at its first attempt puts 1 token back, one that succeeds after retries puts back what
//!   its last retry cost, never above 500.
//!
//! Adaptive mode adds a client-side rate limiter in front of every attempt: a token bucket
//! whose fill rate drops multiplicatively on each throttled response and grows back along
//! a cubic curve (CUBIC), as the SDKs implement it. An attempt waits for its token.
//!
//! Every throttled response the service gives is counted; so are retries, calls given up
//! and calls the retry quota refused.

use crate::engine::{SimDuration, SimRng, SimTime};

/// The SDK's cap on one backoff.
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(20);
/// The standard mode's first backoff ceiling.
pub const BACKOFF_BASE: SimDuration = SimDuration::from_secs(1);
/// The retry quota: a full bucket, and what a retry of a throttled call costs.
pub const RETRY_QUOTA_TOKENS: u32 = 500;
pub const RETRY_COST: u32 = 5;
/// Tokens a call that succeeded at its first attempt gives back.
pub const NO_RETRY_INCREMENT: u32 = 1;

/// `retry_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    Adaptive,
}

impl RetryMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryMode::Standard => "standard",
            RetryMode::Adaptive => "adaptive",
        }
    }
}

/// One client's retry settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryConfig {
    pub mode: RetryMode,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { mode: RetryMode::Standard, max_attempts: 3 }
    }
}

/// What a client does after a throttled attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterThrottle {
    /// Try again after this backoff.
    Retry(SimDuration),
    /// The call fails: out of attempts, or the retry quota cannot pay.
    GiveUp,
}

/// Counters of one client.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientMetrics {
    /// Throttled responses received.
    pub throttled: u64,
    pub retries: u64,
    /// Calls that failed after their last attempt.
    pub gave_up: u64,
    /// Of those, the calls the retry quota refused to retry.
    pub quota_refusals: u64,
    /// Attempts the adaptive rate limiter held back, and for how long in all.
    pub rate_limited: u64,
    pub rate_limited_s: f64,
}

/// One SDK client: its retry quota, its rate limiter in adaptive mode, and its own random
/// stream for the jitter.
#[derive(Debug)]
pub struct Client {
    config: RetryConfig,
    quota: u32,
    limiter: Option<RateLimiter>,
    rng: SimRng,
    metrics: ClientMetrics,
}

impl Client {
    pub fn new(config: RetryConfig, rng: SimRng) -> Client {
        let limiter = (config.mode == RetryMode::Adaptive).then(RateLimiter::default);
        Client { config, quota: RETRY_QUOTA_TOKENS, limiter, rng, metrics: ClientMetrics::default() }
    }

    pub fn config(&self) -> RetryConfig {
        self.config
    }

    pub fn metrics(&self) -> &ClientMetrics {
        &self.metrics
    }

    /// Tokens left in the retry quota.
    pub fn quota(&self) -> u32 {
        self.quota
    }

    /// How long an attempt about to be made at `now` must wait for the adaptive rate
    /// limiter (zero in standard mode, and until the first throttle in adaptive mode).
    pub fn before_attempt(&mut self, now: SimTime) -> SimDuration {
        let Some(limiter) = &mut self.limiter else { return SimDuration::ZERO };
        let wait = limiter.acquire(now);
        if wait > SimDuration::ZERO {
            self.metrics.rate_limited += 1;
            self.metrics.rate_limited_s += wait.as_secs_f64();
        }
        wait
    }

    /// Attempt number `attempt` (1 for the first) was throttled at `now`.
    pub fn on_throttled(&mut self, now: SimTime, attempt: u32) -> AfterThrottle {
        self.metrics.throttled += 1;
        if let Some(limiter) = &mut self.limiter {
            limiter.on_response(now, true);
        }
        if attempt >= self.config.max_attempts {
            self.metrics.gave_up += 1;
            return AfterThrottle::GiveUp;
        }
        if self.quota < RETRY_COST {
            self.metrics.gave_up += 1;
            self.metrics.quota_refusals += 1;
            return AfterThrottle::GiveUp;
        }
        self.quota -= RETRY_COST;
        self.metrics.retries += 1;
        AfterThrottle::Retry(backoff(attempt, &mut self.rng))
    }

    /// A call succeeded at attempt number `attempt`: the retry quota gets tokens back.
    #[inline]
    pub fn on_success(&mut self, now: SimTime, attempt: u32) {
        if let Some(limiter) = &mut self.limiter {
            limiter.on_response(now, false);
        }
        let refund = if attempt <= 1 { NO_RETRY_INCREMENT } else { RETRY_COST };
        self.quota = (self.quota + refund).min(RETRY_QUOTA_TOKENS);
    }

    pub fn reset_metrics(&mut self) {
        self.metrics = ClientMetrics::default();
    }
}

/// The backoff before retry `n` (1 for the first retry): `U(0, 1) × min(2^(n − 1) s, 20 s)`.
pub fn backoff(n: u32, rng: &mut SimRng) -> SimDuration {
    let ceiling_s =
        (BACKOFF_BASE.as_secs_f64() * f64::from(1u32 << (n.max(1) - 1).min(30))).min(BACKOFF_MAX.as_secs_f64());
    SimDuration::from_secs_f64(rng.unit() * ceiling_s)
}

/// The adaptive mode's client-side rate limiter (CUBIC), with the SDKs' constants.
#[derive(Debug, Clone)]
struct RateLimiter {
    /// Off until the first throttled response.
    enabled: bool,
    fill_rate: f64,
    max_capacity: f64,
    capacity: f64,
    last_fill: f64,
    /// The rate when the last throttle came, and when it came.
    last_max_rate: f64,
    last_throttle: f64,
    /// Measured sending rate, smoothed, over half-second buckets.
    measured_rate: f64,
    bucket_start: f64,
    bucket_count: f64,
    /// Where the cubic curve reaches `last_max_rate` again.
    time_window: f64,
}

const MIN_FILL_RATE: f64 = 0.5;
const MIN_CAPACITY: f64 = 1.0;
const SMOOTH: f64 = 0.8;
const BETA: f64 = 0.7;
const SCALE_CONSTANT: f64 = 0.4;
/// The sending rate is measured over buckets of this many seconds.
const RATE_BUCKET_S: f64 = 0.5;

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            enabled: false,
            fill_rate: MIN_FILL_RATE,
            max_capacity: MIN_CAPACITY,
            capacity: MIN_CAPACITY,
            last_fill: 0.0,
            last_max_rate: 0.0,
            last_throttle: 0.0,
            measured_rate: 0.0,
            bucket_start: 0.0,
            bucket_count: 0.0,
            time_window: 0.0,
        }
    }
}

impl RateLimiter {
    /// Takes a token for an attempt at `now`, returning how long it must wait for it (the
    /// token is taken ahead, so attempts queue in order).
    fn acquire(&mut self, now: SimTime) -> SimDuration {
        if !self.enabled {
            return SimDuration::ZERO;
        }
        let t = now.as_secs_f64();
        self.refill(t);
        self.capacity -= 1.0;
        if self.capacity >= 0.0 {
            return SimDuration::ZERO;
        }
        SimDuration::from_secs_f64(-self.capacity / self.fill_rate)
    }

    fn refill(&mut self, t: f64) {
        if t > self.last_fill {
            self.capacity = (self.capacity + (t - self.last_fill) * self.fill_rate).min(self.max_capacity);
            self.last_fill = t;
        }
    }

    /// A response came back at `now`, throttled or not: measure the rate and adjust.
    fn on_response(&mut self, now: SimTime, throttled: bool) {
        let t = now.as_secs_f64();
        self.measure(t);
        let rate = if throttled {
            let rate = if self.enabled { self.measured_rate.min(self.fill_rate) } else { self.measured_rate };
            self.last_max_rate = rate;
            self.time_window = (self.last_max_rate * (1.0 - BETA) / SCALE_CONSTANT).cbrt();
            self.last_throttle = t;
            self.enabled = true;
            rate * BETA
        } else {
            let since = t - self.last_throttle;
            SCALE_CONSTANT * (since - self.time_window).powi(3) + self.last_max_rate
        };
        let new_rate = rate.min(2.0 * self.measured_rate);
        self.refill(t);
        self.fill_rate = new_rate.max(MIN_FILL_RATE);
        self.max_capacity = new_rate.max(MIN_CAPACITY);
        self.capacity = self.capacity.min(self.max_capacity);
    }

    fn measure(&mut self, t: f64) {
        let bucket = (t / RATE_BUCKET_S).floor() * RATE_BUCKET_S;
        self.bucket_count += 1.0;
        if bucket > self.bucket_start {
            let current = self.bucket_count / (bucket - self.bucket_start);
            self.measured_rate = current * SMOOTH + self.measured_rate * (1.0 - SMOOTH);
            self.bucket_count = 0.0;
            self.bucket_start = bucket;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn client(mode: RetryMode, max_attempts: u32) -> Client {
        Client::new(RetryConfig { mode, max_attempts }, RngFactory::new(1).stream("client"))
    }

    #[test]
    fn backoff_ceilings_double_from_one_second_up_to_twenty() {
        let mut rng = RngFactory::new(2).stream("backoff");
        for (n, ceiling_s) in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 20.0), (30, 20.0)] {
            let most = (0..2_000).map(|_| backoff(n, &mut rng).as_secs_f64()).fold(0.0, f64::max);
            assert!(most <= ceiling_s && most > 0.95 * ceiling_s, "retry {n}: {most}");
        }
    }

    #[test]
    fn a_call_gets_max_attempts_then_gives_up() {
        let mut c = client(RetryMode::Standard, 3);
        let t = SimTime::ZERO;
        assert!(matches!(c.on_throttled(t, 1), AfterThrottle::Retry(_)));
        assert!(matches!(c.on_throttled(t, 2), AfterThrottle::Retry(_)));
        assert_eq!(c.on_throttled(t, 3), AfterThrottle::GiveUp);
        assert_eq!((c.metrics().throttled, c.metrics().retries, c.metrics().gave_up), (3, 2, 1));
        assert_eq!(c.quota(), RETRY_QUOTA_TOKENS - 2 * RETRY_COST);
    }

    #[test]
    fn the_retry_quota_stops_retries_after_100_and_successes_refill_it() {
        let mut c = client(RetryMode::Standard, 3);
        let t = SimTime::ZERO;
        let retried = (0..150).filter(|_| matches!(c.on_throttled(t, 1), AfterThrottle::Retry(_))).count();
        assert_eq!(retried, 100, "500 tokens at 5 a retry");
        assert_eq!(c.metrics().quota_refusals, 50);
        // Five first-attempt successes pay for one more retry.
        for _ in 0..5 {
            c.on_success(t, 1);
        }
        assert!(matches!(c.on_throttled(t, 1), AfterThrottle::Retry(_)));
        // A success after a retry gives its cost back; the quota never passes 500.
        c.on_success(t, 2);
        assert_eq!(c.quota(), RETRY_COST);
        for _ in 0..1_000 {
            c.on_success(t, 2);
        }
        assert_eq!(c.quota(), RETRY_QUOTA_TOKENS);
    }

    #[test]
    fn adaptive_mode_slows_a_client_that_is_throttled() {
        let mut c = client(RetryMode::Adaptive, 3);
        // Before any throttle, nothing waits.
        assert_eq!(c.before_attempt(SimTime::ZERO), SimDuration::ZERO);
        // 100 attempts a second, every tenth throttled: the limiter ends up holding
        // attempts back.
        let mut waited = SimDuration::ZERO;
        for i in 0..2_000u64 {
            let now = SimTime::from_micros(i * 10_000);
            waited = waited + c.before_attempt(now);
            if i % 10 == 0 {
                c.on_throttled(now, 1);
            } else {
                c.on_success(now, 1);
            }
        }
        assert!(c.metrics().rate_limited > 0 && waited > SimDuration::ZERO);
    }
}
