//! Amazon SES outbound email: the account's sending quotas in one Region
//! (`reference/aws-messaging.md` §3).
//!
//! - The maximum send rate: recipients accepted per second. AWS tolerates short bursts above
//!   it and not sustained ones; the model is a token bucket refilled at the rate and holding
//!   `burst_s` seconds' worth (1 s by default, a documented assumption: AWS publishes no
//!   burst size). A send whose recipients do not fit is rejected: "Maximum sending rate
//!   exceeded". An email with more recipients than the bucket holds is accepted when the
//!   bucket is full, and empties it.
//! - The daily quota: recipients over the previous 24 hours, a rolling window kept as
//!   per-second counts. A send that would pass it is rejected: "Daily message quota
//!   exceeded".
//! - Both count recipients, not messages: an email to 10 addresses uses 10 (at most 50 per
//!   email, To, CC and BCC together).
//! - Sandbox accounts: 1 recipient a second and 200 a day. Production quotas are the
//!   account's own (AWS publishes no starting figure), so a production scenario gives them.
//! - A rejected send is not retried by SES; the caller's SDK client decides.
//! - Each call takes its interface's latency (API or SMTP, drawn from the scenario's
//!   distributions), accepted or rejected.
//!
//! SNS email subscriptions are SNS's own deliveries and never pass through here.

use std::collections::VecDeque;

use super::TokenBucket;
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::LatencyHistogram;

/// Recipients per email (To, CC and BCC together) [ses-quotas-2023].
pub const RECIPIENTS_MAX: u32 = 50;
/// The sandbox's quotas [ses-quotas].
pub const SANDBOX_RATE_PER_S: f64 = 1.0;
pub const SANDBOX_DAILY: u64 = 200;
/// The daily quota's window.
const DAY_S: u64 = 86_400;

/// How a sender talks to SES.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    Api,
    Smtp,
}

/// The account's SES settings in the scenario's Region.
#[derive(Clone, Debug)]
pub struct Config {
    pub sandbox: bool,
    pub max_send_rate_per_s: f64,
    /// Seconds of the rate the bucket holds.
    pub burst_s: f64,
    pub daily_quota: u64,
    /// Recipients of each email, drawn per email (1 to 50).
    pub recipients: Distribution,
    /// Attachment bytes of each email (billed per GB).
    pub attachment_bytes: Distribution,
    pub api_latency_s: Distribution,
    pub smtp_latency_s: Distribution,
}

/// Why SES refused a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// "Maximum sending rate exceeded".
    Rate,
    /// "Daily message quota exceeded".
    Daily,
}

/// Counters and latencies of SES.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Send calls made, accepted or not.
    pub calls: u64,
    pub accepted_emails: u64,
    pub accepted_recipients: u64,
    pub attachment_bytes: f64,
    pub rate_throttles: u64,
    pub daily_throttles: u64,
    /// Each call's latency, by interface.
    pub api_latency: LatencyHistogram,
    pub smtp_latency: LatencyHistogram,
    /// From a workload's creating an email to SES's accepting it (throttles and retries
    /// included).
    pub time_to_accept: LatencyHistogram,
}

#[derive(Debug)]
pub struct Service {
    config: Config,
    rate: TokenBucket,
    rate_capacity: f64,
    /// (second, recipients accepted in it) for the last 24 hours, oldest first.
    day: VecDeque<(u64, u64)>,
    in_day: u64,
    recipient_rng: SimRng,
    attachment_rng: SimRng,
    latency_rng: SimRng,
    metrics: Metrics,
}

impl Service {
    pub fn new(config: Config, mut rng: impl FnMut(&str) -> SimRng) -> Service {
        let burst = (config.max_send_rate_per_s * config.burst_s).max(1.0);
        Service {
            rate: TokenBucket::new(burst, config.max_send_rate_per_s),
            rate_capacity: burst,
            day: VecDeque::new(),
            in_day: 0,
            recipient_rng: rng("ses.recipients"),
            attachment_rng: rng("ses.attachments"),
            latency_rng: rng("ses.latency"),
            metrics: Metrics::default(),
            config,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Recipients accepted over the last 24 hours.
    pub fn sent_last_24_hours(&self) -> u64 {
        self.in_day
    }

    /// Draws a new email's recipients (1 to 50).
    pub fn draw_recipients(&mut self) -> u32 {
        let n = self.config.recipients.sample(&mut self.recipient_rng).round();
        (n as u32).clamp(1, RECIPIENTS_MAX)
    }

    /// One SendEmail call (or one SMTP transaction) for an email to `recipients`: how long
    /// the call takes, and whether SES accepted it.
    /// `created_at`: when the email was created, for `time_to_accept`, if known.
    pub fn send(
        &mut self,
        now: SimTime,
        recipients: u32,
        interface: Interface,
        created_at: Option<SimTime>,
    ) -> (SimDuration, Result<(), Rejection>) {
        self.metrics.calls += 1;
        let latency = match interface {
            Interface::Api => self.config.api_latency_s.sample_duration(&mut self.latency_rng),
            Interface::Smtp => self.config.smtp_latency_s.sample_duration(&mut self.latency_rng),
        };
        match interface {
            Interface::Api => self.metrics.api_latency.record(latency),
            Interface::Smtp => self.metrics.smtp_latency.record(latency),
        }
        let n = u64::from(recipients);
        self.forget_before(now);
        if self.in_day + n > self.config.daily_quota {
            self.metrics.daily_throttles += 1;
            return (latency, Err(Rejection::Daily));
        }
        if !self.rate.try_take_n(now, f64::from(recipients).min(self.rate_capacity)) {
            self.metrics.rate_throttles += 1;
            return (latency, Err(Rejection::Rate));
        }
        let second = now.as_micros() / 1_000_000;
        match self.day.back_mut() {
            Some((s, count)) if *s == second => *count += n,
            _ => self.day.push_back((second, n)),
        }
        self.in_day += n;
        self.metrics.accepted_emails += 1;
        self.metrics.accepted_recipients += n;
        self.metrics.attachment_bytes += self.config.attachment_bytes.sample(&mut self.attachment_rng).max(0.0);
        if let Some(created_at) = created_at {
            self.metrics.time_to_accept.record((now + latency).saturating_since(created_at));
        }
        (latency, Ok(()))
    }

    /// Drops the counts that left the 24-hour window.
    fn forget_before(&mut self, now: SimTime) {
        let second = now.as_micros() / 1_000_000;
        while let Some(&(s, count)) = self.day.front() {
            if s + DAY_S > second {
                break;
            }
            self.day.pop_front();
            self.in_day -= count;
        }
    }

    pub fn reset_metrics(&mut self) {
        self.metrics = Metrics::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn service(rate: f64, daily: u64) -> Service {
        let config = Config {
            sandbox: false,
            max_send_rate_per_s: rate,
            burst_s: 1.0,
            daily_quota: daily,
            recipients: Distribution::constant(1.0),
            attachment_bytes: Distribution::constant(0.0),
            api_latency_s: Distribution::constant(0.05),
            smtp_latency_s: Distribution::constant(0.2),
        };
        let rngs = RngFactory::new(1);
        Service::new(config, |name| rngs.stream(name))
    }

    #[test]
    fn the_rate_quota_counts_recipients_and_refills_each_second() {
        let mut ses = service(14.0, 1_000_000);
        let t = SimTime::ZERO;
        assert!(ses.send(t, 10, Interface::Api, None).1.is_ok());
        assert_eq!(ses.send(t, 5, Interface::Api, None).1, Err(Rejection::Rate));
        assert!(ses.send(t, 4, Interface::Api, None).1.is_ok());
        assert!(ses.send(SimTime::from_micros(1_000_000), 14, Interface::Smtp, None).1.is_ok());
        assert_eq!(ses.metrics().rate_throttles, 1);
        assert_eq!(ses.metrics().accepted_recipients, 28);
    }

    #[test]
    fn the_daily_quota_is_a_rolling_24_hours() {
        let mut ses = service(1_000.0, 200);
        let at = |s: u64| SimTime::from_micros(s * 1_000_000);
        for i in 0..200 {
            assert!(ses.send(at(i), 1, Interface::Api, None).1.is_ok());
        }
        assert_eq!(ses.send(at(3_600), 1, Interface::Api, None).1, Err(Rejection::Daily));
        // The first email leaves the window 24 hours after it was sent.
        assert_eq!(ses.send(at(86_399), 1, Interface::Api, None).1, Err(Rejection::Daily));
        assert!(ses.send(at(86_400), 1, Interface::Api, None).1.is_ok());
        assert_eq!(ses.sent_last_24_hours(), 200);
    }
}
