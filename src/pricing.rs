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
    /// SQS FIFO-queue requests; they share the standard tiers' free tier.
    pub sqs_fifo_tiers: Vec<Tier>,
    pub lambda: LambdaPrices,
    pub sns: SnsPrices,
    pub step_functions: StepFunctionsPrices,
    /// EventBridge custom events, per million 64 KB chunks [eb-price].
    pub eventbridge_custom_events_usd_per_million: f64,
    pub ses: SesPrices,
}

impl Default for PriceBook {
    fn default() -> Self {
        PriceBook {
            as_of: PRICES_AS_OF.to_string(),
            region: PRICES_REGION.to_string(),
            hours_per_month: 730.0,
            sqs_standard_tiers: vec![
                Tier { from_per_month: 0.0, usd_per_million: 0.0 },
                Tier { from_per_month: 1e6, usd_per_million: 0.40 },
                Tier { from_per_month: 100e9, usd_per_million: 0.30 },
                Tier { from_per_month: 200e9, usd_per_million: 0.24 },
            ],
            sqs_fifo_tiers: vec![
                Tier { from_per_month: 0.0, usd_per_million: 0.0 },
                Tier { from_per_month: 1e6, usd_per_million: 0.50 },
                Tier { from_per_month: 100e9, usd_per_million: 0.40 },
                Tier { from_per_month: 200e9, usd_per_million: 0.35 },
            ],
            lambda: LambdaPrices::default(),
            sns: SnsPrices::default(),
            step_functions: StepFunctionsPrices::default(),
            eventbridge_custom_events_usd_per_million: 1.00,
            ses: SesPrices::default(),
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
        if self.seconds <= 0.0 { 0.0 } else { usage / self.months() }
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

/// SQS requests across all queues. Volume tiers apply per queue type to the account's
/// monthly total of that type (standard or FIFO); the free tier (the zero-priced first
/// tier of the standard tiers) is one allowance for both, shared in proportion to their
/// volumes. Each type's cost is shared among its queues by their request counts.
pub fn sqs_lines(prices: &PriceBook, window: Window, billed_by_queue: &[(String, u64, bool)]) -> Vec<CostLine> {
    let total_of = |fifo: bool| -> f64 { billed_by_queue.iter().filter(|q| q.2 == fifo).map(|q| q.1 as f64).sum() };
    let (standard, fifo) = (total_of(false), total_of(true));
    let free = free_allowance(&prices.sqs_standard_tiers);
    // The type's share of the one free allowance, in proportion to its volume.
    let free_share = |volume: f64| {
        if standard + fifo > 0.0 { free * volume / (standard + fifo) } else { 0.0 }
    };
    let month_usd =
        |tiers: &[Tier], volume: f64| tiered_usd_with_free(tiers, window.per_month(volume), free_share(volume));
    let (standard_usd, fifo_usd) =
        (month_usd(&prices.sqs_standard_tiers, standard), month_usd(&prices.sqs_fifo_tiers, fifo));
    billed_by_queue
        .iter()
        .map(|(resource, n, is_fifo)| {
            let (type_total, type_usd) = if *is_fifo { (fifo, fifo_usd) } else { (standard, standard_usd) };
            let share = if type_total == 0.0 { 0.0 } else { *n as f64 / type_total };
            CostLine {
                service: "sqs".into(),
                resource: resource.clone(),
                usage_unit: "requests".into(),
                usage_window: *n as f64,
                usage_per_month: window.per_month(*n as f64),
                usd_window: type_usd * share * window.months(),
                usd_per_month: type_usd * share,
            }
        })
        .collect()
}

/// The free units a month: the end of a zero-priced first tier.
fn free_allowance(tiers: &[Tier]) -> f64 {
    match tiers {
        [first, second, ..] if first.usd_per_million == 0.0 => second.from_per_month,
        _ => 0.0,
    }
}

/// Like [`tiered_usd`], but with the zero-priced first tier replaced by `free` units.
fn tiered_usd_with_free(tiers: &[Tier], units_per_month: f64, free: f64) -> f64 {
    let paid = match tiers {
        [first, rest @ ..] if first.usd_per_million == 0.0 && !rest.is_empty() => rest,
        _ => return tiered_usd(tiers, units_per_month),
    };
    let mut shifted: Vec<Tier> = vec![Tier { from_per_month: 0.0, usd_per_million: 0.0 }];
    shifted.extend(paid.iter().enumerate().map(|(i, t)| Tier {
        // The first paid tier starts after this type's share of the free tier; later
        // boundaries stay where AWS puts them.
        from_per_month: if i == 0 { free } else { t.from_per_month.max(free) },
        ..*t
    }));
    tiered_usd(&shifted, units_per_month)
}

/// SNS prices, US East (N. Virginia), as `reference/aws-messaging.md` §2.7 gives them
/// (SNS pricing page and Price List, via [infracost-sns] [sns-faq]). Each delivery protocol
/// has its own price and monthly free allowance; deliveries to SQS and Lambda are free.
#[derive(Clone, Debug, PartialEq)]
pub struct SnsPrices {
    /// Standard-topic publish requests (64 KiB chunks).
    pub publish_usd_per_million: f64,
    pub free_publishes_per_month: f64,
    /// FIFO-topic publish requests and payload: third-party figures for us-east-1 (the
    /// Price List rows read were Seoul's); FIFO subscription charges are an open item.
    pub fifo_publish_usd_per_million: f64,
    pub fifo_payload_usd_per_gb: f64,
    pub http_usd_per_million: f64,
    pub free_http_per_month: f64,
    pub email_usd_per_million: f64,
    pub free_email_per_month: f64,
    pub push_usd_per_million: f64,
    pub free_push_per_month: f64,
    /// SMS is priced per destination country: an input, 0 unless the scenario sets it.
    pub sms_usd_per_message: f64,
}

impl Default for SnsPrices {
    fn default() -> Self {
        SnsPrices {
            publish_usd_per_million: 0.50,
            free_publishes_per_month: 1e6,
            fifo_publish_usd_per_million: 0.30,
            fifo_payload_usd_per_gb: 0.017,
            http_usd_per_million: 0.60,
            free_http_per_month: 100_000.0,
            email_usd_per_million: 20.0,
            free_email_per_month: 1_000.0,
            push_usd_per_million: 0.50,
            free_push_per_month: 1e6,
            sms_usd_per_message: 0.0,
        }
    }
}

/// What one topic or subscription used in the window.
#[derive(Clone, Debug, PartialEq)]
pub enum SnsUsage {
    /// A topic's billed publish requests and published bytes.
    Topic { resource: String, is_fifo: bool, requests: u64, bytes: u64 },
    /// A subscription's successful deliveries over `protocol` ("sqs", "lambda", "http", …).
    Deliveries { resource: String, protocol: &'static str, delivered: u64 },
}

/// SNS publishes and deliveries. Free allowances are per account and type, shared among
/// the topics or subscriptions of that type in proportion to their volume.
pub fn sns_lines(prices: &SnsPrices, window: Window, usage: &[SnsUsage]) -> Vec<CostLine> {
    let total = |f: &dyn Fn(&SnsUsage) -> Option<f64>| -> f64 { usage.iter().filter_map(f).sum() };
    let standard_publishes = total(&|u| match u {
        SnsUsage::Topic { is_fifo: false, requests, .. } => Some(*requests as f64),
        _ => None,
    });
    let delivered_by = |protocols: &'static [&'static str]| {
        total(&|u| match u {
            SnsUsage::Deliveries { protocol, delivered, .. } if protocols.contains(protocol) => Some(*delivered as f64),
            _ => None,
        })
    };
    // (price per unit, free units a month, the type's monthly volume in the window)
    let charge = |units: f64, usd_per_million: f64, free: f64, type_units: f64| -> f64 {
        let month = window.per_month(type_units);
        if month <= 0.0 {
            return 0.0;
        }
        let paid = (month - free).max(0.0) * usd_per_million / 1e6;
        paid * units / type_units
    };
    usage
        .iter()
        .map(|u| {
            let (resource, unit, amount, usd_per_month) = match u {
                SnsUsage::Topic { resource, is_fifo: false, requests, .. } => {
                    let n = *requests as f64;
                    let usd =
                        charge(n, prices.publish_usd_per_million, prices.free_publishes_per_month, standard_publishes);
                    (resource, "publish_requests", n, usd)
                }
                SnsUsage::Topic { resource, is_fifo: true, requests, bytes } => {
                    let n = *requests as f64;
                    let gb = *bytes as f64 / 1e9;
                    let usd = window.per_month(n) * prices.fifo_publish_usd_per_million / 1e6
                        + window.per_month(gb) * prices.fifo_payload_usd_per_gb;
                    (resource, "publish_requests", n, usd)
                }
                SnsUsage::Deliveries { resource, protocol, delivered } => {
                    let n = *delivered as f64;
                    let usd = match *protocol {
                        "http" | "https" => charge(
                            n,
                            prices.http_usd_per_million,
                            prices.free_http_per_month,
                            delivered_by(&["http", "https"]),
                        ),
                        "email" | "email-json" => charge(
                            n,
                            prices.email_usd_per_million,
                            prices.free_email_per_month,
                            delivered_by(&["email", "email-json"]),
                        ),
                        "application" => charge(
                            n,
                            prices.push_usd_per_million,
                            prices.free_push_per_month,
                            delivered_by(&["application"]),
                        ),
                        "sms" => window.per_month(n) * prices.sms_usd_per_message,
                        _ => 0.0,
                    };
                    (resource, "deliveries", n, usd)
                }
            };
            CostLine {
                service: "sns".into(),
                resource: resource.clone(),
                usage_unit: unit.into(),
                usage_window: amount,
                usage_per_month: window.per_month(amount),
                usd_window: usd_per_month * window.months(),
                usd_per_month,
            }
        })
        .collect()
}

/// EventBridge custom events put on each bus (AWS service events are free and not
/// modelled): no free tier.
pub fn eventbridge_lines(prices: &PriceBook, window: Window, buses: &[(String, u64)]) -> Vec<CostLine> {
    buses
        .iter()
        .map(|(resource, events)| {
            let n = *events as f64;
            let usd_per_month = window.per_month(n) * prices.eventbridge_custom_events_usd_per_million / 1e6;
            CostLine {
                service: "eventbridge".into(),
                resource: resource.clone(),
                usage_unit: "custom_events".into(),
                usage_window: n,
                usage_per_month: window.per_month(n),
                usd_window: usd_per_month * window.months(),
                usd_per_month,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Amazon SES
// ---------------------------------------------------------------------------------------

/// SES's pricing plans (`reference/aws-messaging.md` §3): the classic à-la-carte prices, or
/// one of the plans AWS introduced on 2026-07-21 (chosen per account and Region; Essentials
/// is the default for new accounts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SesPlan {
    /// $0.10 per 1,000 emails [ses-plans-3p] [ses-pricing-notes].
    #[default]
    ALaCarte,
    /// $0.16 per 1,000 emails, no monthly fee [ses-plans-3p].
    Essentials,
    /// $105 a month plus $0.22 per 1,000 [ses-plans-3p].
    Pro,
    /// $500 a month plus $0.23 per 1,000 [ses-plans-3p].
    Enterprise,
}

impl SesPlan {
    pub fn parse(name: &str) -> Option<SesPlan> {
        match name {
            "a_la_carte" => Some(SesPlan::ALaCarte),
            "essentials" => Some(SesPlan::Essentials),
            "pro" => Some(SesPlan::Pro),
            "enterprise" => Some(SesPlan::Enterprise),
            _ => None,
        }
    }

    /// Per 1,000 outbound emails, each recipient one email. The plans' prices are for the
    /// first 10 million a month; AWS's price beyond is not in the reference, so the same
    /// price is used (an assumption).
    pub fn usd_per_thousand_emails(self) -> f64 {
        match self {
            SesPlan::ALaCarte => 0.10,
            SesPlan::Essentials => 0.16,
            SesPlan::Pro => 0.22,
            SesPlan::Enterprise => 0.23,
        }
    }

    pub fn usd_per_month_fee(self) -> f64 {
        match self {
            SesPlan::ALaCarte | SesPlan::Essentials => 0.0,
            SesPlan::Pro => 105.0,
            SesPlan::Enterprise => 500.0,
        }
    }
}

/// SES prices for one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SesPrices {
    pub plan: SesPlan,
    /// The legacy free tier: 3,000 message charges a month in an account's first 12 months
    /// (withdrawn for new customers on 2026-07-21); off by default.
    pub free_tier: bool,
}

/// Attachments, per GB (10^9 bytes), à la carte; the plans' figure is not in the reference,
/// so the same price is used for them.
pub const SES_ATTACHMENT_USD_PER_GB: f64 = 0.12;
/// Emails the legacy free tier covered each month.
pub const SES_FREE_EMAILS_PER_MONTH: f64 = 3_000.0;

/// SES's bill: emails (recipients accepted), attachment GB, and a plan's monthly fee.
pub fn ses_lines(prices: &SesPrices, window: Window, recipients: u64, attachment_bytes: f64) -> Vec<CostLine> {
    let plan = prices.plan;
    let emails = recipients as f64;
    let free = if prices.free_tier { SES_FREE_EMAILS_PER_MONTH } else { 0.0 };
    let emails_usd_per_month = (window.per_month(emails) - free).max(0.0) * plan.usd_per_thousand_emails() / 1e3;
    let gb = attachment_bytes / 1e9;
    let gb_usd_per_month = window.per_month(gb) * SES_ATTACHMENT_USD_PER_GB;
    let line = |unit: &str, usage: f64, usd_per_month: f64| CostLine {
        service: "ses".into(),
        resource: "ses".into(),
        usage_unit: unit.into(),
        usage_window: usage,
        usage_per_month: window.per_month(usage),
        usd_window: usd_per_month * window.months(),
        usd_per_month,
    };
    let mut lines = vec![line("emails", emails, emails_usd_per_month), line("attachment_gb", gb, gb_usd_per_month)];
    if plan.usd_per_month_fee() > 0.0 {
        let months = window.months();
        lines.push(CostLine {
            usage_window: months,
            usage_per_month: 1.0,
            ..line("plan_months", months, plan.usd_per_month_fee())
        });
    }
    lines
}

// ---------------------------------------------------------------------------------------
// Amazon MQ
// ---------------------------------------------------------------------------------------

/// One broker's billed usage: its instances run every hour, idle or not; durable messages
/// are billed for the storage they hold (`reference/aws-messaging.md` §4).
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerUsage {
    pub resource: String,
    pub instances: u32,
    pub usd_per_instance_hour: f64,
    /// Bytes of stored messages, averaged over the window.
    pub stored_bytes_mean: f64,
    pub storage_usd_per_gb_month: f64,
}

pub fn broker_lines(window: Window, brokers: &[BrokerUsage]) -> Vec<CostLine> {
    let mut lines = Vec::new();
    for b in brokers {
        let hours = f64::from(b.instances) * window.seconds / 3_600.0;
        let hours_per_month = f64::from(b.instances) * window.hours_per_month;
        lines.push(CostLine {
            service: "mq".into(),
            resource: b.resource.clone(),
            usage_unit: "broker_hours".into(),
            usage_window: hours,
            usage_per_month: hours_per_month,
            usd_window: hours * b.usd_per_instance_hour,
            usd_per_month: hours_per_month * b.usd_per_instance_hour,
        });
        // A GB-month is a GB held for the whole month: the mean held is the month's GB-months.
        let gb = b.stored_bytes_mean / 1e9;
        let usd_per_month = gb * b.storage_usd_per_gb_month;
        lines.push(CostLine {
            service: "mq".into(),
            resource: b.resource.clone(),
            usage_unit: "storage_gb_months".into(),
            usage_window: gb * window.months(),
            usage_per_month: gb,
            usd_window: usd_per_month * window.months(),
            usd_per_month,
        });
    }
    lines
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

// ---------------------------------------------------------------------------------------
// AWS Lambda
// ---------------------------------------------------------------------------------------

/// The instruction set a Lambda function runs on. Pricing keeps its own copy of this
/// flag because it may not import the models (both are layer 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LambdaArchitecture {
    #[default]
    X86,
    Arm,
}

/// Lambda prices, US East (N. Virginia), as `reference/aws-stepfunctions-lambda.md` §8.1
/// gives them (Lambda pricing page; AWS Compute Blog "Introducing tiered pricing for AWS
/// Lambda", August 2022).
///
/// Duration tiers are monthly GB-seconds aggregated per architecture (per region and
/// account); their `usd_per_million` is per million GB-s. The free tier (1 M requests and
/// 400,000 GB-s a month, one allowance for x86 and Arm together) is on by default, as for
/// an account that has it; set `free_tier` false to price usage on top of other functions
/// that already use it up.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaPrices {
    pub usd_per_million_requests: f64,
    pub free_requests_per_month: f64,
    pub free_gb_seconds_per_month: f64,
    pub x86_tiers: Vec<Tier>,
    pub arm_tiers: Vec<Tier>,
    pub free_tier: bool,
}

impl Default for LambdaPrices {
    fn default() -> Self {
        let tier = |from_per_month: f64, usd_per_gb_second: f64| Tier {
            from_per_month,
            usd_per_million: usd_per_gb_second * 1e6,
        };
        LambdaPrices {
            usd_per_million_requests: 0.20,
            free_requests_per_month: 1e6,
            free_gb_seconds_per_month: 400_000.0,
            x86_tiers: vec![tier(0.0, 0.000_016_666_7), tier(6e9, 0.000_015), tier(15e9, 0.000_013_333_4)],
            arm_tiers: vec![tier(0.0, 0.000_013_333_4), tier(7.5e9, 0.000_012_000_1), tier(18.75e9, 0.000_010_666_7)],
            free_tier: true,
        }
    }
}

/// One function's billed usage in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaUsage {
    /// The priced resource, e.g. `lambda.resize`.
    pub resource: String,
    pub architecture: LambdaArchitecture,
    pub requests: u64,
    /// Billed duration × memory, in GB-seconds.
    pub gb_seconds: f64,
}

/// Lambda requests and duration, one line of each per function.
///
/// As for SQS, the window's usage is projected to a month and the account's monthly total
/// is priced, then shared among functions by their usage: requests across all functions,
/// duration per architecture (its own tiers). The free GB-seconds are the first of the
/// month, priced at the first tier. AWS does not say how the one allowance splits between
/// the two architectures, so each gets a share in proportion to its GB-seconds (a
/// documented assumption).
pub fn lambda_lines(prices: &LambdaPrices, window: Window, functions: &[LambdaUsage]) -> Vec<CostLine> {
    let requests: u64 = functions.iter().map(|f| f.requests).sum();
    let free_requests = if prices.free_tier { prices.free_requests_per_month } else { 0.0 };
    let requests_usd_per_month =
        (window.per_month(requests as f64) - free_requests).max(0.0) / 1e6 * prices.usd_per_million_requests;

    let gb_seconds = |architecture| -> f64 {
        functions.iter().filter(|f| f.architecture == architecture).map(|f| f.gb_seconds).sum()
    };
    let x86_gb_s = gb_seconds(LambdaArchitecture::X86);
    let arm_gb_s = gb_seconds(LambdaArchitecture::Arm);
    let free_gb_s = if prices.free_tier { prices.free_gb_seconds_per_month } else { 0.0 };
    let duration_usd_per_month = |tiers: &[Tier], gb_s: f64| -> f64 {
        let per_month = window.per_month(gb_s);
        let free = free_gb_s * share(gb_s, x86_gb_s + arm_gb_s);
        tiered_usd(tiers, per_month) - tiered_usd(tiers, free.min(per_month))
    };
    let x86_usd_per_month = duration_usd_per_month(&prices.x86_tiers, x86_gb_s);
    let arm_usd_per_month = duration_usd_per_month(&prices.arm_tiers, arm_gb_s);

    let line = |resource: &str, usage_unit: &str, usage: f64, usd_per_month: f64| CostLine {
        service: "lambda".into(),
        resource: resource.into(),
        usage_unit: usage_unit.into(),
        usage_window: usage,
        usage_per_month: window.per_month(usage),
        usd_window: usd_per_month * window.months(),
        usd_per_month,
    };
    functions
        .iter()
        .flat_map(|f| {
            let (arch_usd, arch_gb_s) = match f.architecture {
                LambdaArchitecture::X86 => (x86_usd_per_month, x86_gb_s),
                LambdaArchitecture::Arm => (arm_usd_per_month, arm_gb_s),
            };
            let requests_share = share(f.requests as f64, requests as f64);
            [
                line(&f.resource, "requests", f.requests as f64, requests_usd_per_month * requests_share),
                line(&f.resource, "gb_seconds", f.gb_seconds, arch_usd * share(f.gb_seconds, arch_gb_s)),
            ]
        })
        .collect()
}

/// `part / whole`, or zero when there is nothing to share.
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

// ---------------------------------------------------------------------------------------
// AWS Step Functions
// ---------------------------------------------------------------------------------------

/// Step Functions prices, US East (N. Virginia), as `reference/aws-stepfunctions-lambda.md`
/// §3 and §7 give them [PRICE-SFN].
///
/// Standard workflows pay per state transition (retries included), with 4,000 free a month
/// that do not expire after an account's first year. The free tier is on by default, as for
/// an account that has it; set `free_tier` false to price usage on top of other state
/// machines that already use it up. Express workflows have no free tier: they pay per
/// request (each execution started) and for duration × memory. The duration tiers are in
/// GB-hours a month, as AWS states them, so their `usd_per_million` is per million
/// GB-hours; GB-seconds come from `models::step_functions::billing`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFunctionsPrices {
    pub standard_usd_per_thousand_transitions: f64,
    pub free_transitions_per_month: f64,
    /// Applies to Standard transitions only: Express has no free tier.
    pub free_tier: bool,
    pub express_usd_per_million_requests: f64,
    pub express_gb_hour_tiers: Vec<Tier>,
}

impl Default for StepFunctionsPrices {
    fn default() -> Self {
        let tier =
            |from_per_month: f64, usd_per_gb_hour: f64| Tier { from_per_month, usd_per_million: usd_per_gb_hour * 1e6 };
        StepFunctionsPrices {
            standard_usd_per_thousand_transitions: 0.025,
            free_transitions_per_month: 4_000.0,
            free_tier: true,
            express_usd_per_million_requests: 1.00,
            express_gb_hour_tiers: vec![tier(0.0, 0.060_00), tier(1_000.0, 0.030_00), tier(5_000.0, 0.016_42)],
        }
    }
}

/// What one state machine used in the window.
#[derive(Clone, Debug, PartialEq)]
pub enum StepFunctionsUsage {
    /// A Standard state machine's billed state transitions.
    Standard { resource: String, transitions: u64 },
    /// An Express state machine's executions started and their billed duration × memory.
    Express { resource: String, requests: u64, gb_seconds: f64 },
}

/// Step Functions transitions, requests and duration: one line per Standard state machine
/// (`state_transitions`), two per Express one (`requests`, `gb_seconds`).
///
/// As for the other services, the window's usage is projected to a month and the account's
/// monthly total is priced, then shared among state machines by their usage: the 4,000
/// free transitions go to the Standard state machines in proportion to their transitions,
/// and the duration tiers apply to the GB-hours of all Express state machines together
/// (AWS's example sums the month's GB-seconds before tiering them).
pub fn step_functions_lines(
    prices: &StepFunctionsPrices,
    window: Window,
    usage: &[StepFunctionsUsage],
) -> Vec<CostLine> {
    let (mut transitions, mut requests, mut gb_seconds) = (0.0, 0.0, 0.0);
    for u in usage {
        match u {
            StepFunctionsUsage::Standard { transitions: n, .. } => transitions += *n as f64,
            StepFunctionsUsage::Express { requests: n, gb_seconds: gb_s, .. } => {
                requests += *n as f64;
                gb_seconds += gb_s;
            }
        }
    }
    let free_transitions = if prices.free_tier { prices.free_transitions_per_month } else { 0.0 };
    let transitions_usd_per_month = (window.per_month(transitions) - free_transitions).max(0.0) / 1e3
        * prices.standard_usd_per_thousand_transitions;
    let requests_usd_per_month = window.per_month(requests) / 1e6 * prices.express_usd_per_million_requests;
    let duration_usd_per_month = tiered_usd(&prices.express_gb_hour_tiers, window.per_month(gb_seconds) / 3_600.0);

    let line = |resource: &str, usage_unit: &str, usage: f64, usd_per_month: f64| CostLine {
        service: "step_functions".into(),
        resource: resource.into(),
        usage_unit: usage_unit.into(),
        usage_window: usage,
        usage_per_month: window.per_month(usage),
        usd_window: usd_per_month * window.months(),
        usd_per_month,
    };
    let mut lines = Vec::with_capacity(2 * usage.len());
    for u in usage {
        match u {
            StepFunctionsUsage::Standard { resource, transitions: n } => {
                let n = *n as f64;
                lines.push(line(resource, "state_transitions", n, transitions_usd_per_month * share(n, transitions)));
            }
            StepFunctionsUsage::Express { resource, requests: n, gb_seconds: gb_s } => {
                let n = *n as f64;
                lines.push(line(resource, "requests", n, requests_usd_per_month * share(n, requests)));
                lines.push(line(resource, "gb_seconds", *gb_s, duration_usd_per_month * share(*gb_s, gb_seconds)));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_publishes_and_http_deliveries_match_the_published_prices() {
        let prices = SnsPrices::default();
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
        let prices = PriceBook::default();
        // One day with 40,000 requests of each type: 1.217 M of each a month, 2.433 M in all;
        // the one free million is shared half and half.
        let w = Window { seconds: 86_400.0, hours_per_month: 730.0 };
        let lines = sqs_lines(&prices, w, &[("sqs.s".into(), 40_000, false), ("sqs.f".into(), 40_000, true)]);
        let month = 40_000.0 * 730.0 / 24.0;
        let standard = (month - 500_000.0) * 0.40 / 1e6;
        let fifo = (month - 500_000.0) * 0.50 / 1e6;
        assert!((lines[0].usd_per_month - standard).abs() < 1e-9, "{}", lines[0].usd_per_month);
        assert!((lines[1].usd_per_month - fifo).abs() < 1e-9, "{}", lines[1].usd_per_month);
    }

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
        let w = Window { seconds: 86_400.0, hours_per_month: 730.0 };
        let lines = sqs_lines(&prices, w, &[("sqs.a".into(), 750_000, false), ("sqs.b".into(), 250_000, false)]);
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
            &LambdaPrices::default(),
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
        let prices = LambdaPrices::default();
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
        let prices = LambdaPrices::default();
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
            &StepFunctionsPrices::default(),
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
        let tiers = StepFunctionsPrices::default().express_gb_hour_tiers;
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
        let prices = StepFunctionsPrices::default();
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
            &StepFunctionsPrices::default(),
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
            &StepFunctionsPrices::default(),
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
}
