//! The shipped us-east-1 book against AWS's published prices, through the cost functions.

use super::shipped;
use crate::pricing::*;

#[test]
fn sns_publishes_and_http_deliveries_match_the_published_prices() {
    let prices = shipped().sns.unwrap();
    let month = Window { seconds: 730.0 * 3_600.0, hours_per_month: 730.0 };
    let lines = sns_lines(
        &prices,
        month,
        &[
            SnsUsage::Topic { resource: "sns.t".into(), is_fifo: false, requests: 3_000_000, bytes: 0 },
            SnsUsage::Deliveries { resource: "subscription.q".into(), protocol: "sqs", delivered: 3_000_000 },
            SnsUsage::Deliveries { resource: "subscription.h".into(), protocol: "https", delivered: 1_100_000 },
        ],
    );
    // (3 M − 1 M free) × $0.50 per M; SQS deliveries free; (1.1 M − 100,000) × $0.60 per M.
    assert!((lines[0].usd_per_month - 1.00).abs() < 1e-9);
    assert_eq!(lines[1].usd_per_month, 0.0);
    assert!((lines[2].usd_per_month - 0.60).abs() < 1e-9);
}

#[test]
fn standard_and_fifo_share_one_free_tier() {
    let prices = shipped();
    // One day with 40,000 requests of each type: 1.217 M of each a month, 2.433 M in all;
    // the one free million is shared half and half.
    let w = Window { seconds: 86_400.0, hours_per_month: 730.0 };
    let lines = sqs_lines(prices.sqs(), w, &[("sqs.s".into(), 40_000, false), ("sqs.f".into(), 40_000, true)]);
    let month = 40_000.0 * 730.0 / 24.0;
    let standard = (month - 500_000.0) * 0.40 / 1e6;
    let fifo = (month - 500_000.0) * 0.50 / 1e6;
    assert!((lines[0].usd_per_month - standard).abs() < 1e-9, "{}", lines[0].usd_per_month);
    assert!((lines[1].usd_per_month - fifo).abs() < 1e-9, "{}", lines[1].usd_per_month);
}

#[test]
fn sqs_standard_tiers_match_the_published_prices() {
    let tiers = shipped().sqs.unwrap().standard_tiers;
    assert_eq!(tiered_usd(&tiers, 1e6), 0.0, "the first million is free");
    assert!((tiered_usd(&tiers, 11e6) - 4.0).abs() < 1e-9);
    let big = 99_999e6 * 0.40 / 1e6 + 100e9 * 0.30 / 1e6 + 50e9 * 0.24 / 1e6;
    assert!((tiered_usd(&tiers, 250e9) - big).abs() < 1e-6);
}

#[test]
fn the_window_is_a_prorated_share_of_a_steady_month() {
    let prices = shipped();
    // 1 day at 1 M requests a day: 30.4 M a month.
    let w = Window { seconds: 86_400.0, hours_per_month: 730.0 };
    let lines = sqs_lines(prices.sqs(), w, &[("sqs.a".into(), 750_000, false), ("sqs.b".into(), 250_000, false)]);
    let month = (730.0 / 24.0 * 1e6 - 1e6) * 0.40 / 1e6;
    let total: f64 = lines.iter().map(|l| l.usd_per_month).sum();
    assert!((total - month).abs() < 1e-9);
    assert!((lines[0].usd_per_month - 0.75 * month).abs() < 1e-9);
    assert!((lines[0].usd_window - 0.75 * month * 24.0 / 730.0).abs() < 1e-9);
}

fn one_month() -> Window {
    Window { seconds: 730.0 * 3_600.0, hours_per_month: 730.0 }
}

fn usage(resource: &str, architecture: LambdaArchitecture, requests: u64, gb_seconds: f64) -> LambdaUsage {
    LambdaUsage { resource: resource.into(), architecture, requests, gb_seconds }
}

#[test]
fn lambda_cost_of_a_hand_written_month_matches_the_hand_calculation() {
    let lines = lambda_lines(
        &shipped().lambda.unwrap(),
        one_month(),
        &[usage("lambda.f", LambdaArchitecture::X86, 3_000_000, 1_000_000.0)],
    );
    assert_eq!(lines.len(), 2);
    let (requests, duration) = (&lines[0], &lines[1]);
    assert_eq!((requests.usage_unit.as_str(), duration.usage_unit.as_str()), ("requests", "gb_seconds"));
    // (3 M - 1 M free) x $0.20 per million.
    assert!((requests.usd_per_month - 0.40).abs() < 1e-12);
    assert!((requests.usd_window - 0.40).abs() < 1e-12);
    // (1,000,000 - 400,000 free) GB-s x $0.0000166667.
    assert!((duration.usd_per_month - 10.000_02).abs() < 1e-9);
    assert!((duration.usd_window - 10.000_02).abs() < 1e-9);
}

#[test]
fn lambda_duration_tiers_match_the_published_prices() {
    let prices = shipped().lambda.unwrap();
    let x86 = 6e9 * 0.000_016_666_7 + 9e9 * 0.000_015 + 5e9 * 0.000_013_333_4;
    assert!((tiered_usd(&prices.x86_tiers, 20e9) - x86).abs() < 1e-3);
    let arm = 7.5e9 * 0.000_013_333_4 + 11.25e9 * 0.000_012_000_1 + 1.25e9 * 0.000_010_666_7;
    assert!((tiered_usd(&prices.arm_tiers, 20e9) - arm).abs() < 1e-3);
}

#[test]
fn lambda_free_tier_is_one_allowance_shared_by_x86_and_arm() {
    let cost = |prices: &LambdaPrices, x86_gb_s: f64, arm_gb_s: f64| -> Vec<f64> {
        let functions = [
            usage("lambda.x", LambdaArchitecture::X86, 250_000, x86_gb_s),
            usage("lambda.a", LambdaArchitecture::Arm, 250_000, arm_gb_s),
        ];
        lambda_lines(prices, one_month(), &functions).iter().map(|l| l.usd_per_month).collect()
    };
    let close = |got: Vec<f64>, want: [f64; 4]| {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} != {want:?}");
        }
    };
    let prices = shipped().lambda.unwrap();
    // 300,000 + 100,000 GB-s and 500,000 requests: all within the free tier.
    close(cost(&prices, 300_000.0, 100_000.0), [0.0; 4]);
    // 600,000 + 200,000 GB-s: the 400,000 free split 3:1, leaving 300,000 and 100,000.
    close(cost(&prices, 600_000.0, 200_000.0), [0.0, 5.000_01, 0.0, 1.333_34]);
    let no_free_tier = LambdaPrices { free_tier: false, ..prices };
    close(cost(&no_free_tier, 600_000.0, 200_000.0), [0.05, 10.000_02, 0.05, 2.666_68]);
}

fn standard(resource: &str, transitions: u64) -> StepFunctionsUsage {
    StepFunctionsUsage::Standard { resource: resource.into(), transitions }
}

fn express(resource: &str, requests: u64, gb_seconds: f64) -> StepFunctionsUsage {
    StepFunctionsUsage::Express { resource: resource.into(), requests, gb_seconds }
}

#[test]
fn step_functions_express_matches_aws_example() {
    // AWS's Express example [PRICE-SFN]: 100 million workflows a month of 10 s at 64 MB
    // billed memory, 1,000,000,000 s × 64 / 1,024 = 62,500,000 GB-s (17,361.11 GB-hours).
    let gb_seconds = 100e6 * 10.0 * 64.0 / 1_024.0;
    assert_eq!(gb_seconds, 62_500_000.0);
    let lines = step_functions_lines(
        &shipped().step_functions.unwrap(),
        one_month(),
        &[express("step_functions.orders", 100_000_000, gb_seconds)],
    );
    assert_eq!(lines.len(), 2);
    let (requests, duration) = (&lines[0], &lines[1]);
    assert_eq!((requests.service.as_str(), duration.service.as_str()), ("step_functions", "step_functions"));
    assert_eq!((requests.usage_unit.as_str(), duration.usage_unit.as_str()), ("requests", "gb_seconds"));
    assert_eq!(duration.usage_per_month, 62_500_000.0);
    // 100 M requests × $1.00 per million.
    assert!((requests.usd_per_month - 100.00).abs() < 1e-9, "{}", requests.usd_per_month);
    // $0.06 × 1,000 + $0.03 × 4,000 + $0.01642 × 12,361.11 GB-hours = $60.00 + $120.00 + $202.97.
    assert!((duration.usd_per_month - 382.97).abs() < 0.005, "{}", duration.usd_per_month);
    assert!((duration.usd_per_month - (60.0 + 120.0 + 0.016_42 * (62_500_000.0 / 3_600.0 - 5_000.0))).abs() < 1e-9);
    let total = requests.usd_per_month + duration.usd_per_month;
    assert!((total - 482.97).abs() < 0.005, "{total}");
    assert!((total - duration.usd_window - requests.usd_window).abs() < 1e-9, "a month's window is the month");
}

#[test]
fn step_functions_express_duration_tiers_match_the_published_prices() {
    let tiers = shipped().step_functions.unwrap().express.unwrap().gb_hour_tiers;
    assert!((tiered_usd(&tiers, 1_000.0) - 60.0).abs() < 1e-9);
    assert!((tiered_usd(&tiers, 5_000.0) - tiered_usd(&tiers, 1_000.0) - 120.0).abs() < 1e-9);
    let beyond = tiered_usd(&tiers, 17_361.11) - tiered_usd(&tiers, 5_000.0);
    assert!((beyond - 202.97).abs() < 0.005, "{beyond}");
    // Per GB-second, the first tier is the $0.00001667 quoted elsewhere (reference §3.2).
    assert!((tiered_usd(&tiers, 1.0 / 3_600.0) - 0.000_016_67).abs() < 5e-9);
}

#[test]
fn step_functions_standard_transitions_past_the_free_4_000_cost_0_025_per_thousand() {
    let cost = |prices: &StepFunctionsPrices, transitions| {
        step_functions_lines(prices, one_month(), &[standard("step_functions.jobs", transitions)])[0].usd_per_month
    };
    let prices = shipped().step_functions.unwrap();
    assert_eq!(cost(&prices, 4_000), 0.0);
    assert!((cost(&prices, 1_004_000) - 25.00).abs() < 1e-9);
    let no_free_tier = StepFunctionsPrices { free_tier: false, ..prices };
    assert!((cost(&no_free_tier, 4_000) - 0.10).abs() < 1e-12);
    assert!((cost(&no_free_tier, 1_004_000) - 25.10).abs() < 1e-9);
    let line = &step_functions_lines(&no_free_tier, one_month(), &[standard("step_functions.jobs", 1)])[0];
    assert_eq!((line.service.as_str(), line.usage_unit.as_str()), ("step_functions", "state_transitions"));
}

#[test]
fn step_functions_standard_free_tier_is_shared_by_volume_and_express_has_none() {
    let lines = step_functions_lines(
        &shipped().step_functions.unwrap(),
        one_month(),
        &[
            standard("step_functions.a", 30_000),
            express("step_functions.x", 1_000, 0.0),
            standard("step_functions.b", 10_000),
        ],
    );
    // (40,000 − 4,000 free) × $0.000025 = $0.90, split 3:1 like the transitions.
    let usd: Vec<f64> = lines.iter().map(|l| l.usd_per_month).collect();
    assert!((usd[0] - 0.675).abs() < 1e-12 && (usd[3] - 0.225).abs() < 1e-12, "{usd:?}");
    // Express requests pay from the first: 1,000 × $0.000001.
    assert!((usd[1] - 0.001).abs() < 1e-12, "{usd:?}");
    assert_eq!(usd[2], 0.0);
}

#[test]
fn step_functions_tiers_apply_to_the_projected_month_and_the_window_pays_its_share() {
    // One day of 1,000 transitions and 120,000 GB-s: 30,416.67 transitions and
    // 1,013.89 GB-hours a month, both past a threshold the day alone never reaches.
    let day = Window { seconds: 86_400.0, hours_per_month: 730.0 };
    let lines = step_functions_lines(
        &shipped().step_functions.unwrap(),
        day,
        &[standard("step_functions.s", 1_000), express("step_functions.x", 0, 120_000.0)],
    );
    let days_per_month = 730.0 / 24.0;
    let transitions_usd = (1_000.0 * days_per_month - 4_000.0) * 0.000_025;
    let gb_hours = 120_000.0 * days_per_month / 3_600.0;
    let duration_usd = 60.0 + (gb_hours - 1_000.0) * 0.03;
    assert!((lines[0].usd_per_month - transitions_usd).abs() < 1e-9, "{}", lines[0].usd_per_month);
    assert!((lines[2].usd_per_month - duration_usd).abs() < 1e-9, "{}", lines[2].usd_per_month);
    assert!((lines[0].usd_window - transitions_usd / days_per_month).abs() < 1e-9);
    assert!((lines[2].usd_window - duration_usd / days_per_month).abs() < 1e-9);
    assert!((lines[2].usage_per_month - 120_000.0 * days_per_month).abs() < 1e-6);
}

#[test]
fn the_shipped_book_prices_eventbridge_ses_and_amazon_mq_as_published() {
    let book = shipped();
    assert_eq!((book.region.as_str(), book.as_of.as_str(), book.hours_per_month), ("us-east-1", "2026-08-07", 730.0));
    assert_eq!(book.eventbridge().custom_events_usd_per_million, 1.00);
    let ses = book.ses();
    let plans: Vec<(f64, f64)> = ses.plans.iter().map(|p| (p.usd_per_thousand_emails, p.usd_per_month_fee)).collect();
    assert_eq!(plans, [(0.10, 0.0), (0.16, 0.0), (0.22, 105.0), (0.23, 500.0)]);
    assert_eq!((ses.attachment_usd_per_gb, ses.free_emails_per_month), (0.12, 3_000.0));
    assert_eq!((ses.plan, ses.free_tier), (SesPlan::ALaCarte, false));
    let mq = book.mq();
    let instances: Vec<(&str, f64)> = mq.instance_usd_per_hour.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(instances, [("mq.m5.large", 0.288), ("mq.m5.xlarge", 0.576), ("mq.t2.micro", 0.03)]);
    assert_eq!((mq.efs_usd_per_gb_month, mq.ebs_usd_per_gb_month), (0.30, 0.10));
    let sns = book.sns();
    assert_eq!(sns.fifo, Some(SnsFifoPrices { publish_usd_per_million: 0.30, payload_usd_per_gb: 0.017 }));
}

#[test]
fn the_ses_plan_prices_the_emails_and_adds_its_fee() {
    let mut prices = *shipped().ses();
    prices.plan = SesPlan::Pro;
    let month = Window { seconds: 730.0 * 3_600.0, hours_per_month: 730.0 };
    let lines = ses_lines(&prices, month, 1_000_000, 0.0);
    assert!((lines[0].usd_per_month - 220.0).abs() < 1e-9, "{}", lines[0].usd_per_month);
    assert_eq!((lines[2].usage_unit.as_str(), lines[2].usd_per_month), ("plan_months", 105.0));
}
