//! The price book and cost = f(usage, prices).
//!
//! Prices are US East (N. Virginia), USD, as `reference/aws-messaging.md` §1.10 gives them
//! (AWS SQS pricing page and Price List, consulted 2026). Every figure can be overridden in
//! a scenario's `[pricing]` table.
//!
//! A run covers a window of virtual time, not a calendar month, while AWS's free tier and
//! volume tiers are monthly. The model's rule (a documented assumption): the measured
//! window's usage is taken to continue at the same rate for a whole month
//! (`hours_per_month`, 730 by default as in the AWS Pricing Calculator); tiers and the free
//! tier apply to that monthly volume, giving `*_per_month`; the window's own cost is its
//! prorated share of that month.

/// The date the default prices were read.
pub const PRICES_AS_OF: &str = "2026-08-07";
pub const PRICES_REGION: &str = "us-east-1";

/// A volume tier: from `from_per_month` units a month on, each million costs
/// `usd_per_million`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub from_per_month: f64,
    pub usd_per_million: f64,
}

/// Prices used for one run.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceBook {
    pub as_of: String,
    pub region: String,
    pub hours_per_month: f64,
    /// SQS standard-queue requests; the first tier's zero price is the free tier.
    pub sqs_standard_tiers: Vec<Tier>,
}

impl Default for PriceBook {
    fn default() -> Self {
        PriceBook {
            as_of: PRICES_AS_OF.to_string(),
            region: PRICES_REGION.to_string(),
            hours_per_month: 730.0,
            sqs_standard_tiers: vec![
                Tier {
                    from_per_month: 0.0,
                    usd_per_million: 0.0,
                },
                Tier {
                    from_per_month: 1e6,
                    usd_per_million: 0.40,
                },
                Tier {
                    from_per_month: 100e9,
                    usd_per_million: 0.30,
                },
                Tier {
                    from_per_month: 200e9,
                    usd_per_million: 0.24,
                },
            ],
        }
    }
}

/// One line of a bill.
#[derive(Clone, Debug, PartialEq)]
pub struct CostLine {
    /// `sqs`, `workers`, …
    pub service: String,
    /// The priced resource, e.g. `sqs.jobs` or `workers.pool`.
    pub resource: String,
    /// What is counted, e.g. `requests` or `worker_hours`.
    pub usage_unit: String,
    pub usage_window: f64,
    pub usage_per_month: f64,
    pub usd_window: f64,
    pub usd_per_month: f64,
}

/// What the window's usage becomes over a month, and the window's share of a month.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub seconds: f64,
    pub hours_per_month: f64,
}

impl Window {
    pub fn months(&self) -> f64 {
        self.seconds / (self.hours_per_month * 3_600.0)
    }

    pub fn per_month(&self, usage: f64) -> f64 {
        if self.seconds <= 0.0 {
            0.0
        } else {
            usage / self.months()
        }
    }
}

/// Monthly cost of `units_per_month` under volume `tiers` (sorted by `from_per_month`).
pub fn tiered_usd(tiers: &[Tier], units_per_month: f64) -> f64 {
    tiers
        .iter()
        .enumerate()
        .map(|(i, tier)| {
            let upper = tiers.get(i + 1).map_or(f64::INFINITY, |t| t.from_per_month);
            let units = (units_per_month.min(upper) - tier.from_per_month).max(0.0);
            units / 1e6 * tier.usd_per_million
        })
        .sum()
}

/// SQS standard requests across all queues: tiers apply to the account's total, which is
/// then shared among queues by their request counts.
pub fn sqs_lines(
    prices: &PriceBook,
    window: Window,
    billed_by_queue: &[(String, u64)],
) -> Vec<CostLine> {
    let total: u64 = billed_by_queue.iter().map(|(_, n)| n).sum();
    let total_per_month = window.per_month(total as f64);
    let usd_per_month = tiered_usd(&prices.sqs_standard_tiers, total_per_month);
    billed_by_queue
        .iter()
        .map(|(resource, n)| {
            let share = if total == 0 {
                0.0
            } else {
                *n as f64 / total as f64
            };
            CostLine {
                service: "sqs".into(),
                resource: resource.clone(),
                usage_unit: "requests".into(),
                usage_window: *n as f64,
                usage_per_month: window.per_month(*n as f64),
                usd_window: usd_per_month * share * window.months(),
                usd_per_month: usd_per_month * share,
            }
        })
        .collect()
}

/// Consumers on EC2 or ECS, billed per worker-hour at a price the scenario gives.
pub fn worker_line(window: Window, resource: &str, count: u32, usd_per_hour: f64) -> CostLine {
    let hours = f64::from(count) * window.seconds / 3_600.0;
    let hours_per_month = f64::from(count) * window.hours_per_month;
    CostLine {
        service: "workers".into(),
        resource: resource.into(),
        usage_unit: "worker_hours".into(),
        usage_window: hours,
        usage_per_month: hours_per_month,
        usd_window: hours * usd_per_hour,
        usd_per_month: hours_per_month * usd_per_hour,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_standard_tiers_match_the_published_prices() {
        let tiers = PriceBook::default().sqs_standard_tiers;
        assert_eq!(tiered_usd(&tiers, 1e6), 0.0, "the first million is free");
        assert!((tiered_usd(&tiers, 11e6) - 4.0).abs() < 1e-9);
        let big = 99_999e6 * 0.40 / 1e6 + 100e9 * 0.30 / 1e6 + 50e9 * 0.24 / 1e6;
        assert!((tiered_usd(&tiers, 250e9) - big).abs() < 1e-6);
    }

    #[test]
    fn the_window_is_a_prorated_share_of_a_steady_month() {
        let prices = PriceBook::default();
        // 1 day at 1 M requests a day: 30.4 M a month.
        let w = Window {
            seconds: 86_400.0,
            hours_per_month: 730.0,
        };
        let lines = sqs_lines(
            &prices,
            w,
            &[("sqs.a".into(), 750_000), ("sqs.b".into(), 250_000)],
        );
        let month = (730.0 / 24.0 * 1e6 - 1e6) * 0.40 / 1e6;
        let total: f64 = lines.iter().map(|l| l.usd_per_month).sum();
        assert!((total - month).abs() < 1e-9);
        assert!((lines[0].usd_per_month - 0.75 * month).abs() < 1e-9);
        assert!((lines[0].usd_window - 0.75 * month * 24.0 / 730.0).abs() < 1e-9);
    }
}
