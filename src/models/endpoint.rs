//! The customer's own endpoints that SNS delivers to over the internet: HTTP/S servers,
//! and the email, SMS and mobile-push channels, each reduced to how an attempt ends.
//!
//! An attempt takes a response time drawn from a distribution and fails with a given
//! probability, or always during an outage window; a failure has a kind (a 5xx, a 429,
//! another 4xx, or no response). SNS waits about 15 s for an HTTP/S response before it
//! counts the attempt as failed (`reference/aws-messaging.md` §2.4, [sns-http-prepare]),
//! so a response slower than that ends as a timeout at 15 s; the same limit is applied to
//! the email, SMS and push channels (an assumption: AWS publishes none for them).
//!
//! Deliberately absent: endpoint capacity and queueing (every attempt is answered
//! independently), subscription confirmation, and content of the requests.

use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimRng, SimTime};

/// How long SNS waits for an HTTP/S response.
pub const RESPONSE_TIMEOUT: SimDuration = SimDuration::from_secs(15);

/// How an attempt fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    ServerError5xx,
    Throttled429,
    ClientError4xx,
    Timeout,
}

/// Configuration of one endpoint, already validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub response_time_s: Distribution,
    pub failure_rate: f64,
    pub failure: FailureKind,
    /// [from, to) windows during which every attempt fails with `outage_failure`.
    pub outages: Vec<(SimTime, SimTime)>,
    pub outage_failure: FailureKind,
}

/// One endpoint.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    response_rng: SimRng,
    failure_rng: SimRng,
}

impl Endpoint {
    pub fn new(config: Config, response_rng: SimRng, failure_rng: SimRng) -> Endpoint {
        Endpoint { config, response_rng, failure_rng }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// An attempt starting at `now`: how long until it ends, and how it failed, if it did.
    pub fn attempt(&mut self, now: SimTime) -> (SimDuration, Option<FailureKind>) {
        let response = self.config.response_time_s.sample_duration(&mut self.response_rng);
        // Both draws happen on every attempt, so streams stay aligned whatever the outcome.
        let has_failed = self.failure_rng.chance(self.config.failure_rate);
        if response > RESPONSE_TIMEOUT {
            return (RESPONSE_TIMEOUT, Some(FailureKind::Timeout));
        }
        if self.config.outages.iter().any(|&(from, to)| from <= now && now < to) {
            let kind = self.config.outage_failure;
            let took = if kind == FailureKind::Timeout { RESPONSE_TIMEOUT } else { response };
            return (took, Some(kind));
        }
        if has_failed {
            let kind = self.config.failure;
            let took = if kind == FailureKind::Timeout { RESPONSE_TIMEOUT } else { response };
            return (took, Some(kind));
        }
        (response, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn endpoint(failure_rate: f64, outages: Vec<(SimTime, SimTime)>) -> Endpoint {
        let config = Config {
            name: "api".into(),
            response_time_s: Distribution::constant(0.2),
            failure_rate,
            failure: FailureKind::ServerError5xx,
            outages,
            outage_failure: FailureKind::Timeout,
        };
        let f = RngFactory::new(1);
        Endpoint::new(config, f.stream("r"), f.stream("f"))
    }

    #[test]
    fn an_outage_fails_every_attempt_inside_its_window() {
        let s = |x: u64| SimTime::from_micros(x * 1_000_000);
        let mut e = endpoint(0.0, vec![(s(100), s(200))]);
        assert_eq!(e.attempt(s(99)), (SimDuration::from_micros(200_000), None));
        assert_eq!(e.attempt(s(100)), (RESPONSE_TIMEOUT, Some(FailureKind::Timeout)));
        assert_eq!(e.attempt(s(200)).1, None);
    }

    #[test]
    fn failures_follow_the_failure_rate() {
        let mut e = endpoint(0.25, Vec::new());
        let failed = (0..10_000).filter(|_| e.attempt(SimTime::ZERO).1.is_some()).count();
        assert!((failed as i64 - 2_500).abs() < 200, "{failed}");
    }
}
