//! Price books and cost = f(usage, prices).
//!
//! A [`PriceBook`] holds one Region's prices, USD, for the services orchsim bills; a
//! [`Pricing`] holds the book of every Region a scenario uses and which Region prices each
//! resource. Books are data: the scenario layer reads the us-east-1 book that ships in the
//! repository (`pricing/us-east-1.toml`) and AWS Price List offer files, then applies a
//! scenario's `[pricing]` overrides. A service a book does not price is `None`, and the
//! scenario layer refuses a scenario that uses it in that Region, so a cost function here
//! never meets a missing price (a bug if it does).
//!
//! A run covers a window of virtual time, not a calendar month, while AWS's free tier and
//! volume tiers are monthly. The model's rule (a documented assumption): the measured
//! window's usage is taken to continue at the same rate for a whole month
//! (`hours_per_month`, 730 by default as in the AWS Pricing Calculator); tiers and the free
//! tier apply to that monthly volume, giving `*_per_month`; the window's own cost is its
//! prorated share of that month.

use std::collections::BTreeMap;

/// A volume tier: from `from_per_month` units a month on, each million costs
/// `usd_per_million`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub from_per_month: f64,
    pub usd_per_million: f64,
}

/// One Region's prices for one run.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceBook {
    /// The date the prices were read (the shipped book's date, or the latest
    /// `publicationDate` of the offer files read), unless `[pricing] as_of` says otherwise.
    pub as_of: String,
    pub region: String,
    pub hours_per_month: f64,
    /// Where the prices come from: `shipped`, then each offer file that replaced a service's
    /// prices, with the service.
    pub sources: Vec<String>,
    pub sqs: Option<SqsPrices>,
    pub lambda: Option<LambdaPrices>,
    pub sns: Option<SnsPrices>,
    pub step_functions: Option<StepFunctionsPrices>,
    pub eventbridge: Option<EventBridgePrices>,
    pub ses: Option<SesPrices>,
    pub mq: Option<MqPrices>,
}

/// Panics with the reason: the scenario layer checks that every service used in a Region
/// has that Region's prices, so a missing one here is a bug.
fn priced<'a, T>(prices: &'a Option<T>, service: &str, region: &str) -> &'a T {
    prices.as_ref().unwrap_or_else(|| panic!("the scenario uses {service} in {region} without its prices"))
}

impl PriceBook {
    /// A book for `region` that prices nothing yet.
    pub fn empty(region: &str, as_of: &str, hours_per_month: f64) -> PriceBook {
        PriceBook {
            as_of: as_of.to_string(),
            region: region.to_string(),
            hours_per_month,
            sources: Vec::new(),
            sqs: None,
            lambda: None,
            sns: None,
            step_functions: None,
            eventbridge: None,
            ses: None,
            mq: None,
        }
    }

    pub fn sqs(&self) -> &SqsPrices {
        priced(&self.sqs, "SQS", &self.region)
    }

    pub fn lambda(&self) -> &LambdaPrices {
        priced(&self.lambda, "Lambda", &self.region)
    }

    pub fn sns(&self) -> &SnsPrices {
        priced(&self.sns, "SNS", &self.region)
    }

    pub fn step_functions(&self) -> &StepFunctionsPrices {
        priced(&self.step_functions, "Step Functions", &self.region)
    }

    pub fn eventbridge(&self) -> &EventBridgePrices {
        priced(&self.eventbridge, "EventBridge", &self.region)
    }

    pub fn ses(&self) -> &SesPrices {
        priced(&self.ses, "SES", &self.region)
    }

    pub fn mq(&self) -> &MqPrices {
        priced(&self.mq, "Amazon MQ", &self.region)
    }
}

/// The price books of a scenario: the scenario's Region, the book of every Region it uses,
/// and the Region of each resource that names its own (`region` keys); every other resource
/// is priced in the scenario's Region.
#[derive(Clone, Debug, PartialEq)]
pub struct Pricing {
    pub region: String,
    /// By Region: only the Regions some resource is priced in.
    pub books: BTreeMap<String, PriceBook>,
    /// Resource (`sqs.NAME`, `sns.NAME`, `subscription.NAME`, `step_functions.NAME`, and a
    /// Distributed Map's child machine `step_functions.NAME/MAP`, priced where its parent
    /// is) → Region, for those that name their Region themselves.
    pub resource_regions: BTreeMap<String, String>,
}

impl Pricing {
    /// The Region that prices `resource`.
    pub fn region_of(&self, resource: &str) -> &str {
        self.resource_regions.get(resource).map_or(&self.region, |r| r)
    }

    /// The scenario Region's book.
    pub fn book(&self) -> &PriceBook {
        self.book_in(&self.region)
    }

    pub fn book_in(&self, region: &str) -> &PriceBook {
        self.books.get(region).unwrap_or_else(|| panic!("no price book for {region}: the scenario layer checks it"))
    }

    /// The book that prices `resource`.
    pub fn book_of(&self, resource: &str) -> &PriceBook {
        self.book_in(self.region_of(resource))
    }

    pub fn hours_per_month(&self) -> f64 {
        self.book().hours_per_month
    }
}

/// SQS request prices.
#[derive(Clone, Debug, PartialEq)]
pub struct SqsPrices {
    /// Standard-queue requests; the first tier's zero price is the free tier.
    pub standard_tiers: Vec<Tier>,
    /// FIFO-queue requests; they share the standard tiers' free tier.
    pub fifo_tiers: Vec<Tier>,
}

/// EventBridge custom events, per million 64 KB chunks [eb-price].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventBridgePrices {
    pub custom_events_usd_per_million: f64,
}

/// Amazon MQ: on-demand instance-hours by instance type and storage by kind.
#[derive(Clone, Debug, PartialEq)]
pub struct MqPrices {
    pub instance_usd_per_hour: BTreeMap<String, f64>,
    pub efs_usd_per_gb_month: f64,
    pub ebs_usd_per_gb_month: f64,
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
pub fn sqs_lines(prices: &SqsPrices, window: Window, billed_by_queue: &[(String, u64, bool)]) -> Vec<CostLine> {
    let total_of = |fifo: bool| -> f64 { billed_by_queue.iter().filter(|q| q.2 == fifo).map(|q| q.1 as f64).sum() };
    let (standard, fifo) = (total_of(false), total_of(true));
    let free = free_allowance(&prices.standard_tiers);
    // The type's share of the one free allowance, in proportion to its volume.
    let free_share = |volume: f64| {
        if standard + fifo > 0.0 { free * volume / (standard + fifo) } else { 0.0 }
    };
    let month_usd =
        |tiers: &[Tier], volume: f64| tiered_usd_with_free(tiers, window.per_month(volume), free_share(volume));
    let (standard_usd, fifo_usd) = (month_usd(&prices.standard_tiers, standard), month_usd(&prices.fifo_tiers, fifo));
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

/// SNS prices (`reference/aws-messaging.md` §2.7). Each delivery protocol has its own
/// price and monthly free allowance; deliveries to SQS and Lambda are free.
#[derive(Clone, Debug, PartialEq)]
pub struct SnsPrices {
    /// Standard-topic publish requests (64 KiB chunks).
    pub publish_usd_per_million: f64,
    pub free_publishes_per_month: f64,
    /// FIFO-topic publish requests and payload; `None` where the book has no figure (the
    /// Price List's FIFO usage types are not documented to the model).
    pub fifo: Option<SnsFifoPrices>,
    pub http_usd_per_million: f64,
    pub free_http_per_month: f64,
    pub email_usd_per_million: f64,
    pub free_email_per_month: f64,
    pub push_usd_per_million: f64,
    pub free_push_per_month: f64,
    /// SMS is priced per destination country: an input, 0 unless the scenario sets it.
    pub sms_usd_per_message: f64,
}

/// FIFO-topic publishes and payload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnsFifoPrices {
    pub publish_usd_per_million: f64,
    pub payload_usd_per_gb: f64,
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
                    let fifo = priced(&prices.fifo, "FIFO SNS topics", "this Region");
                    let usd = window.per_month(n) * fifo.publish_usd_per_million / 1e6
                        + window.per_month(gb) * fifo.payload_usd_per_gb;
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
pub fn eventbridge_lines(prices: &EventBridgePrices, window: Window, buses: &[(String, u64)]) -> Vec<CostLine> {
    buses
        .iter()
        .map(|(resource, events)| {
            let n = *events as f64;
            let usd_per_month = window.per_month(n) * prices.custom_events_usd_per_million / 1e6;
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
    #[default]
    ALaCarte,
    Essentials,
    Pro,
    Enterprise,
}

impl SesPlan {
    pub const ALL: [SesPlan; 4] = [SesPlan::ALaCarte, SesPlan::Essentials, SesPlan::Pro, SesPlan::Enterprise];

    pub fn parse(name: &str) -> Option<SesPlan> {
        SesPlan::ALL.into_iter().find(|plan| plan.name() == name)
    }

    /// The plan's name in scenario files and price books.
    pub fn name(self) -> &'static str {
        match self {
            SesPlan::ALaCarte => "a_la_carte",
            SesPlan::Essentials => "essentials",
            SesPlan::Pro => "pro",
            SesPlan::Enterprise => "enterprise",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One plan's prices: per 1,000 outbound emails (each recipient one email) and its monthly
/// fee. The plans' prices are for the first 10 million emails a month; AWS's price beyond
/// is not in the reference, so the same price is used (an assumption).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SesPlanPrices {
    pub usd_per_thousand_emails: f64,
    pub usd_per_month_fee: f64,
}

/// SES prices for one run: the book's figures and the account's choices.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SesPrices {
    pub plan: SesPlan,
    /// The legacy free tier: `free_emails_per_month` message charges a month in an
    /// account's first 12 months (withdrawn for new customers on 2026-07-21); off by default.
    pub free_tier: bool,
    pub free_emails_per_month: f64,
    /// Attachments, per GB (10^9 bytes); the plans' figure is not in the reference, so the
    /// à-la-carte price is used for them.
    pub attachment_usd_per_gb: f64,
    /// By plan, in the order of [`SesPlan::ALL`].
    pub plans: [SesPlanPrices; 4],
}

impl SesPrices {
    pub fn plan_prices(&self) -> SesPlanPrices {
        self.plans[self.plan.index()]
    }
}

/// SES's bill: emails (recipients accepted), attachment GB, and a plan's monthly fee.
pub fn ses_lines(prices: &SesPrices, window: Window, recipients: u64, attachment_bytes: f64) -> Vec<CostLine> {
    let plan = prices.plan_prices();
    let emails = recipients as f64;
    let free = if prices.free_tier { prices.free_emails_per_month } else { 0.0 };
    let emails_usd_per_month = (window.per_month(emails) - free).max(0.0) * plan.usd_per_thousand_emails / 1e3;
    let gb = attachment_bytes / 1e9;
    let gb_usd_per_month = window.per_month(gb) * prices.attachment_usd_per_gb;
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
    if plan.usd_per_month_fee > 0.0 {
        let months = window.months();
        lines.push(CostLine {
            usage_window: months,
            usage_per_month: 1.0,
            ..line("plan_months", months, plan.usd_per_month_fee)
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

/// Lambda prices (`reference/aws-stepfunctions-lambda.md` §8.1: Lambda pricing page; AWS
/// Compute Blog "Introducing tiered pricing for AWS Lambda", August 2022).
///
/// Duration tiers are monthly GB-seconds aggregated per architecture (per region and
/// account); their `usd_per_million` is per million GB-s. The free tier (in the shipped
/// book 1 M requests and 400,000 GB-s a month, one allowance for x86 and Arm together) is
/// on by default, as for an account that has it; set `free_tier` false to price usage on
/// top of other functions that already use it up.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaPrices {
    pub usd_per_million_requests: f64,
    pub free_requests_per_month: f64,
    pub free_gb_seconds_per_month: f64,
    pub x86_tiers: Vec<Tier>,
    pub arm_tiers: Vec<Tier>,
    pub free_tier: bool,
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

/// A function on Lambda Managed Instances: its instances at the on-demand price the
/// scenario gives, and Lambda's management fee, `fee_fraction` of that price (15 %, Lambda
/// pricing page [PRICE-LMI]), both per instance-hour. Its requests are priced with the
/// other functions' in [`lambda_lines`]; it has no duration charge.
pub fn managed_instances_lines(
    window: Window,
    resource: &str,
    instances_mean: f64,
    usd_per_hour: f64,
    fee_fraction: f64,
) -> [CostLine; 2] {
    let hours = instances_mean * window.seconds / 3_600.0;
    let hours_per_month = instances_mean * window.hours_per_month;
    let line = |usage_unit: &str, usd_per_hour: f64| CostLine {
        service: "lambda".into(),
        resource: resource.into(),
        usage_unit: usage_unit.into(),
        usage_window: hours,
        usage_per_month: hours_per_month,
        usd_window: hours * usd_per_hour,
        usd_per_month: hours_per_month * usd_per_hour,
    };
    [line("instance_hours", usd_per_hour), line("management_fee_instance_hours", usd_per_hour * fee_fraction)]
}

/// `part / whole`, or zero when there is nothing to share.
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

// ---------------------------------------------------------------------------------------
// AWS Step Functions
// ---------------------------------------------------------------------------------------

/// Step Functions prices (`reference/aws-stepfunctions-lambda.md` §3 and §7 [PRICE-SFN]).
///
/// Standard workflows pay per state transition (retries included), with free transitions
/// each month (4,000 in the shipped book) that do not expire after an account's first year.
/// The free tier is on by default, as for an account that has it; set `free_tier` false to
/// price usage on top of other state machines that already use it up. Express workflows
/// have no free tier: they pay per request (each execution started) and for duration ×
/// memory.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFunctionsPrices {
    pub standard_usd_per_thousand_transitions: f64,
    pub free_transitions_per_month: f64,
    /// Applies to Standard transitions only: Express has no free tier.
    pub free_tier: bool,
    /// `None` where the book has no Express figures (the Price List's Express usage types
    /// are not documented to the model).
    pub express: Option<ExpressPrices>,
}

/// Express workflows' requests and duration. The duration tiers are in GB-hours a month, as
/// AWS states them, so their `usd_per_million` is per million GB-hours; GB-seconds come from
/// `models::step_functions::billing`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpressPrices {
    pub usd_per_million_requests: f64,
    pub gb_hour_tiers: Vec<Tier>,
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
    let (requests_usd_per_month, duration_usd_per_month) = match &prices.express {
        Some(express) => (
            window.per_month(requests) / 1e6 * express.usd_per_million_requests,
            tiered_usd(&express.gb_hour_tiers, window.per_month(gb_seconds) / 3_600.0),
        ),
        // Without Express prices the scenario has no Express state machine.
        None => {
            assert!(requests == 0.0 && gb_seconds == 0.0, "Express usage without Express prices");
            (0.0, 0.0)
        }
    };

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
