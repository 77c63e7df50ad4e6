//! Price books as data: the us-east-1 book that ships in the repository
//! (`pricing/us-east-1.toml`, compiled in), the books AWS Price List offer files give
//! (`[pricing] price_list`, read by `offer_files`), the `[pricing]` overrides, and which
//! Region prices each resource.
//!
//! The order (documented in the book's `[pricing]` page): the shipped us-east-1 book first; then
//! each offer file, whose prices replace, service by service, the book of every Region it
//! prices (a Region without a book gets one); then the `[pricing]` overrides, which apply
//! to every book that prices their service. A resource is priced in the Region its own
//! `region` key names (FIFO queues, topics and their subscriptions, event buses, state machines and their
//! Distributed Map children), otherwise in `[pricing] region`; a Region with no book, or a
//! book without a service the scenario uses there, is refused with how to supply it.

use std::collections::BTreeMap;
use std::path::Path;

use super::lower::opt;
use super::offer_files;
use super::tree::{self, Field, Node, Origin, Result, Source, TableReader, Value};
use crate::models::step_functions::asl::{ExecutionType, MapMode, StateKind};
use crate::models::step_functions::runtime::{MachineConfig, UnitPrices};
use crate::pricing::{
    EventBridgePrices, ExpressPrices, LambdaPrices, MqPrices, PriceBook, Pricing, SesPlan, SesPlanPrices, SesPrices,
    SnsFifoPrices, SnsPrices, SqsPrices, StepFunctionsPrices, Tier,
};

/// The path of the shipped book, as errors and manifests name it.
pub const SHIPPED_FILE: &str = "pricing/us-east-1.toml";
const SHIPPED_TEXT: &str = include_str!("../../pricing/us-east-1.toml");
/// The length of the month a window's usage is projected to (AWS Pricing Calculator).
pub(super) const HOURS_PER_MONTH_DEFAULT: f64 = 730.0;
/// Where AWS's Price List Bulk API publishes one service's offer file for one Region.
pub const OFFER_FILE_URL: &str =
    "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offerCode>/current/<region>/index.json";

/// The us-east-1 book orchsim ships.
pub fn shipped() -> PriceBook {
    read_shipped(SHIPPED_TEXT).unwrap_or_else(|e| panic!("the shipped price book is invalid: {e}"))
}

fn read_shipped(text: &str) -> Result<PriceBook> {
    let src = Source { file: SHIPPED_FILE, text, overrides: &[] };
    let root = tree::parse(SHIPPED_FILE, text)?;
    let mut t = TableReader::new(&src, String::new(), &root)?;
    let (region, p) = t.require("region", "the book's Region")?;
    let region = region.str(&p)?.to_string();
    let (as_of, p) = t.require("as_of", "the date the prices were read")?;
    let mut book = PriceBook::empty(&region, as_of.str(&p)?, HOURS_PER_MONTH_DEFAULT);
    book.sources.push("shipped".into());
    book.sqs = Some(shipped_sqs(section(&mut t, "sqs")?)?);
    book.lambda = Some(shipped_lambda(section(&mut t, "lambda")?)?);
    book.sns = Some(shipped_sns(section(&mut t, "sns")?)?);
    book.step_functions = Some(shipped_step_functions(section(&mut t, "step_functions")?)?);
    let mut eb = section(&mut t, "eventbridge")?;
    book.eventbridge =
        Some(EventBridgePrices { custom_events_usd_per_million: number(&mut eb, "custom_events_usd_per_million")? });
    eb.finish()?;
    book.ses = Some(shipped_ses(section(&mut t, "ses")?)?);
    book.mq = Some(shipped_mq(section(&mut t, "mq")?)?);
    t.finish()?;
    Ok(book)
}

fn section<'a>(t: &mut TableReader<'a>, key: &'static str) -> Result<TableReader<'a>> {
    let (f, p) = t.require(key, "a service's prices")?;
    TableReader::new(f.src, p, f.node)
}

fn number(t: &mut TableReader<'_>, key: &'static str) -> Result<f64> {
    let (f, p) = t.require(key, "a price")?;
    f.f64_in(&p, 0.0, 1e18, "")
}

/// `[[from, price per unit], …]` as tiers priced per million units.
fn per_unit_tiers(t: &mut TableReader<'_>, key: &'static str) -> Result<Vec<Tier>> {
    let (f, p) = t.require(key, "volume tiers")?;
    let tiers = tiers(f, &p)?;
    Ok(tiers.into_iter().map(|t| Tier { usd_per_million: t.usd_per_million * 1e6, ..t }).collect())
}

fn shipped_sqs(mut t: TableReader<'_>) -> Result<SqsPrices> {
    let (f, p) = t.require("standard_tiers", "volume tiers")?;
    let standard_tiers = tiers(f, &p)?;
    let (f, p) = t.require("fifo_tiers", "volume tiers")?;
    let fifo_tiers = tiers(f, &p)?;
    t.finish()?;
    Ok(SqsPrices { standard_tiers, fifo_tiers })
}

fn shipped_lambda(mut t: TableReader<'_>) -> Result<LambdaPrices> {
    let prices = LambdaPrices {
        usd_per_million_requests: number(&mut t, "usd_per_million_requests")?,
        free_requests_per_month: number(&mut t, "free_requests_per_month")?,
        free_gb_seconds_per_month: number(&mut t, "free_gb_seconds_per_month")?,
        x86_tiers: per_unit_tiers(&mut t, "x86_gb_second_tiers")?,
        arm_tiers: per_unit_tiers(&mut t, "arm_gb_second_tiers")?,
        free_tier: true,
    };
    t.finish()?;
    Ok(prices)
}

fn shipped_sns(mut t: TableReader<'_>) -> Result<SnsPrices> {
    let prices = SnsPrices {
        publish_usd_per_million: number(&mut t, "publish_usd_per_million")?,
        free_publishes_per_month: number(&mut t, "free_publishes_per_month")?,
        fifo: Some(SnsFifoPrices {
            publish_usd_per_million: number(&mut t, "fifo_publish_usd_per_million")?,
            payload_usd_per_gb: number(&mut t, "fifo_payload_usd_per_gb")?,
        }),
        http_usd_per_million: number(&mut t, "http_usd_per_million")?,
        free_http_per_month: number(&mut t, "free_http_per_month")?,
        email_usd_per_million: number(&mut t, "email_usd_per_million")?,
        free_email_per_month: number(&mut t, "free_email_per_month")?,
        push_usd_per_million: number(&mut t, "push_usd_per_million")?,
        free_push_per_month: number(&mut t, "free_push_per_month")?,
        sms_usd_per_message: 0.0,
    };
    t.finish()?;
    Ok(prices)
}

fn shipped_step_functions(mut t: TableReader<'_>) -> Result<StepFunctionsPrices> {
    let prices = StepFunctionsPrices {
        standard_usd_per_thousand_transitions: number(&mut t, "standard_usd_per_thousand_transitions")?,
        free_transitions_per_month: number(&mut t, "free_transitions_per_month")?,
        free_tier: true,
        express: Some(ExpressPrices {
            usd_per_million_requests: number(&mut t, "express_usd_per_million_requests")?,
            gb_hour_tiers: per_unit_tiers(&mut t, "express_gb_hour_tiers")?,
        }),
    };
    t.finish()?;
    Ok(prices)
}

fn shipped_ses(mut t: TableReader<'_>) -> Result<SesPrices> {
    let free_emails_per_month = number(&mut t, "free_emails_per_month")?;
    let attachment_usd_per_gb = number(&mut t, "attachment_usd_per_gb")?;
    let mut plans_table = section(&mut t, "plans")?;
    let mut plans = [SesPlanPrices::default(); 4];
    for (i, plan) in SesPlan::ALL.into_iter().enumerate() {
        let mut one = section(&mut plans_table, plan.name())?;
        plans[i] = SesPlanPrices {
            usd_per_thousand_emails: number(&mut one, "usd_per_thousand_emails")?,
            usd_per_month_fee: number(&mut one, "usd_per_month_fee")?,
        };
        one.finish()?;
    }
    plans_table.finish()?;
    t.finish()?;
    Ok(SesPrices { plan: SesPlan::ALaCarte, free_tier: false, free_emails_per_month, attachment_usd_per_gb, plans })
}

fn shipped_mq(mut t: TableReader<'_>) -> Result<MqPrices> {
    let efs_usd_per_gb_month = number(&mut t, "efs_usd_per_gb_month")?;
    let ebs_usd_per_gb_month = number(&mut t, "ebs_usd_per_gb_month")?;
    let instances = section(&mut t, "instance_usd_per_hour")?;
    let mut instance_usd_per_hour = BTreeMap::new();
    for (name, _, node) in instances.named_entries() {
        let f = Field { src: instances.src, node };
        instance_usd_per_hour.insert(name.clone(), f.f64_in(&instances.key_path(name), 0.0, 1e4, "")?);
    }
    t.finish()?;
    Ok(MqPrices { instance_usd_per_hour, efs_usd_per_gb_month, ebs_usd_per_gb_month })
}

/// `[[from_per_month, price], …]`: starts from 0, strictly increasing.
pub(super) fn tiers(f: Field<'_>, p: &str) -> Result<Vec<Tier>> {
    tiers_in(f, p, None)
}

/// As `tiers`, for a key of the key table (`[pricing]`'s `sqs_standard_tiers`, …), whose
/// places take their ranges from the table's entries `PATTERN[].from_per_month` and
/// `PATTERN[].<price>` (the second place's entry, the one after the first in the table).
/// The shipped price book is no scenario file, and keeps the same ranges written here.
fn tiers_per_table(f: Field<'_>, p: &str, pattern: &str) -> Result<Vec<Tier>> {
    tiers_in(f, p, Some(pattern))
}

fn tiers_in(f: Field<'_>, p: &str, pattern: Option<&str>) -> Result<Vec<Tier>> {
    let mut out: Vec<Tier> = Vec::new();
    for (i, item) in f.array(p)?.iter().enumerate() {
        let pair = item.array(p)?;
        if pair.len() != 2 {
            return Err(item.error(p, "each tier is a [from_per_month, usd_per_million] pair"));
        }
        let (from_per_month, from_path, usd_per_million) = match pattern {
            Some(pattern) => {
                let places = super::keys::pair_places(pattern);
                let from_path = format!("{p}[{i}].{}", places[0]);
                let from = pair[0].number_per_table(&from_path, &format!("{pattern}[].{}", places[0]))?;
                let price_path = format!("{p}[{i}].{}", places[1]);
                (from, from_path, pair[1].number_per_table(&price_path, &format!("{pattern}[].{}", places[1]))?)
            }
            None => (pair[0].f64_in(p, 0.0, 1e18, "")?, p.to_string(), pair[1].f64_in(p, 0.0, 1e6, "")?),
        };
        if out.last().is_some_and(|t| from_per_month <= t.from_per_month) {
            return Err(pair[0].error(&from_path, "tier starts must increase"));
        }
        out.push(Tier { from_per_month, usd_per_million });
    }
    if out.first().is_none_or(|t| t.from_per_month != 0.0) {
        return Err(f.error(p, "the first tier must start at 0 (give it price 0 for a free tier)"));
    }
    Ok(out)
}

/// What `[pricing]` says, read before the services so that brokers find their prices: the
/// scenario's Region (with where it was written) and every Region's book, overrides applied.
pub(super) struct PricingInput {
    pub region: String,
    region_origin: Option<Origin>,
    pricing_origin: Option<Origin>,
    pub books: BTreeMap<String, PriceBook>,
    /// The offer files read, as written, for the error that asks for a missing one.
    files: Vec<String>,
}

impl PricingInput {
    /// The scenario Region's book: it exists, `read_pricing` checks it.
    pub fn book(&self) -> &PriceBook {
        &self.books[&self.region]
    }
}

/// Reads `[pricing]` (or its absence) into books for every Region it prices.
pub(super) fn read_pricing(
    src: &Source<'_>,
    pricing: Option<(Field<'_>, String)>,
    base_dir: &Path,
) -> Result<PricingInput> {
    let mut books = BTreeMap::from([("us-east-1".to_string(), shipped())]);
    let Some((f, path)) = pricing else {
        return Ok(PricingInput {
            region: "us-east-1".into(),
            region_origin: None,
            pricing_origin: None,
            books,
            files: Vec::new(),
        });
    };
    let mut t = TableReader::new(src, path, f.node)?;
    let mut region_origin = None;
    let region = opt(&mut t, "region", |f, p| {
        region_origin = Some(f.node.origin.clone());
        super::queues::check_region(f, p).map(str::to_string)
    })?
    .unwrap_or_else(|| "us-east-1".into());
    let mut files = Vec::new();
    if let Some((list, p)) = t.get("price_list") {
        for item in list.array(&p)? {
            let written = item.str(&p)?;
            let full = super::resolve(base_dir, written);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| item.error(&p, format!("cannot read the offer file {}: {e}", full.display())))?;
            let offer = offer_files::read(&full.display().to_string(), &text)?;
            offer.merge_into(&mut books, written);
            files.push(written.to_string());
        }
    }
    apply_overrides(&mut t, &mut books)?;
    t.finish()?;
    let input = PricingInput { region, region_origin, pricing_origin: Some(f.node.origin.clone()), books, files };
    if !input.books.contains_key(&input.region) {
        let origin = input.region_origin.as_ref().expect("only a region key names a Region without a book");
        return Err(src
            .error(origin, "pricing.region", input.no_book(&input.region))
            .with_value(format!("\"{}\"", input.region)));
    }
    Ok(input)
}

/// The `[pricing]` keys that change figures, applied to every book that prices the service.
fn apply_overrides(t: &mut TableReader<'_>, books: &mut BTreeMap<String, PriceBook>) -> Result<()> {
    let each =
        |books: &mut BTreeMap<String, PriceBook>, change: &dyn Fn(&mut PriceBook)| books.values_mut().for_each(change);
    if let Some(as_of) = opt(t, "as_of", |f, p| f.str(p).map(str::to_string))? {
        each(books, &|b| b.as_of = as_of.clone());
    }
    if let Some(h) = opt(t, "hours_per_month", |f, p| f.number_per_table(p, "pricing.hours_per_month"))? {
        each(books, &|b| b.hours_per_month = h);
    }
    if let Some(tiers) = opt(t, "sqs_standard_tiers", |f, p| tiers_per_table(*f, p, "pricing.sqs_standard_tiers"))? {
        each(books, &|b| b.sqs.iter_mut().for_each(|s| s.standard_tiers = tiers.clone()));
    }
    if let Some(tiers) = opt(t, "sqs_fifo_tiers", |f, p| tiers_per_table(*f, p, "pricing.sqs_fifo_tiers"))? {
        each(books, &|b| b.sqs.iter_mut().for_each(|s| s.fifo_tiers = tiers.clone()));
    }
    if let Some(v) = opt(t, "sns_sms_usd_per_message", |f, p| f.number_per_table(p, "pricing.sns_sms_usd_per_message"))?
    {
        each(books, &|b| b.sns.iter_mut().for_each(|s| s.sms_usd_per_message = v));
    }
    if let Some(plan) = opt(t, "ses_plan", |f, p| {
        let name = f.one_of_per_table(p)?;
        Ok(SesPlan::parse(name).unwrap_or_else(|| unreachable!("SES plan {name} of the key table has no prices")))
    })? {
        each(books, &|b| b.ses.iter_mut().for_each(|s| s.plan = plan));
    }
    if let Some(free) = opt(t, "ses_free_tier", |f, p| f.bool(p))? {
        each(books, &|b| b.ses.iter_mut().for_each(|s| s.free_tier = free));
    }
    if let Some(free) = opt(t, "lambda_free_tier", |f, p| f.bool(p))? {
        each(books, &|b| b.lambda.iter_mut().for_each(|s| s.free_tier = free));
    }
    apply_express(t, books)
}

/// Express prices given in `[pricing]`: both keys or neither. They price Express in every
/// book that prices Step Functions, which is how a Region whose offer files cannot give
/// Express prices gets them.
fn apply_express(t: &mut TableReader<'_>, books: &mut BTreeMap<String, PriceBook>) -> Result<()> {
    let requests = opt(t, "express_usd_per_million_requests", |f, p| {
        f.number_per_table(p, "pricing.express_usd_per_million_requests")
    })?;
    let gb_hour_tiers = opt(t, "express_gb_hour_tiers", |f, p| {
        let tiers = tiers_per_table(*f, p, "pricing.express_gb_hour_tiers")?;
        Ok(tiers.into_iter().map(|t| Tier { usd_per_million: t.usd_per_million * 1e6, ..t }).collect::<Vec<_>>())
    })?;
    let express = match (requests, gb_hour_tiers) {
        (None, None) => return Ok(()),
        (Some(usd_per_million_requests), Some(gb_hour_tiers)) => {
            ExpressPrices { usd_per_million_requests, gb_hour_tiers }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(t.src.error(
                t.origin,
                &t.path,
                "give both express_usd_per_million_requests and express_gb_hour_tiers: together they are Express's prices",
            ));
        }
    };
    books.values_mut().for_each(|b| b.step_functions.iter_mut().for_each(|s| s.express = Some(express.clone())));
    Ok(())
}

/// A service the scenario uses somewhere, as errors name it and as offer files supply it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Service {
    Sqs,
    Lambda,
    Sns,
    SnsFifo,
    StepFunctions,
    Express,
    EventBridge,
    Ses,
    Mq,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Sqs => "SQS",
            Service::Lambda => "Lambda",
            Service::Sns => "SNS",
            Service::SnsFifo => "SNS FIFO-topic",
            Service::StepFunctions => "Step Functions",
            Service::Express => "Step Functions Express",
            Service::EventBridge => "EventBridge",
            Service::Ses => "SES",
            Service::Mq => "Amazon MQ",
        }
    }

    /// The offer code of the file that prices it, when orchsim reads that file's prices
    /// for it; `None` where the reference documents no usage type to read.
    fn offer_code(self) -> Option<&'static str> {
        match self {
            Service::Sqs => Some("AWSQueueService"),
            Service::Lambda => Some("AWSLambda"),
            Service::Sns => Some("AmazonSNS"),
            Service::StepFunctions => Some("AmazonStates"),
            Service::EventBridge => Some("AWSEvents"),
            Service::SnsFifo | Service::Express | Service::Ses | Service::Mq => None,
        }
    }

    fn priced_in(self, book: &PriceBook) -> bool {
        match self {
            Service::Sqs => book.sqs.is_some(),
            Service::Lambda => book.lambda.is_some(),
            Service::Sns => book.sns.is_some(),
            Service::SnsFifo => book.sns.as_ref().is_some_and(|s| s.fifo.is_some()),
            Service::StepFunctions => book.step_functions.is_some(),
            Service::Express => book.step_functions.as_ref().is_some_and(|s| s.express.is_some()),
            Service::EventBridge => book.eventbridge.is_some(),
            Service::Ses => book.ses.is_some(),
            Service::Mq => book.mq.is_some(),
        }
    }
}

impl PricingInput {
    fn no_book(&self, region: &str) -> String {
        let read = if self.files.is_empty() {
            "no offer file was given".to_string()
        } else {
            format!("the offer files given ({}) price no service there", self.files.join(", "))
        };
        format!(
            "no price book for Region {region}: orchsim ships us-east-1 prices only and {read}; add AWS's offer files for {region} to `[pricing] price_list = [...]` (the Price List Bulk API publishes each service's at {}, offer codes AWSQueueService, AmazonStates, AWSLambda, AmazonSNS, AWSEvents)",
            OFFER_FILE_URL.replace("<region>", region)
        )
    }

    fn no_service(&self, region: &str, service: Service) -> String {
        match service.offer_code() {
            Some(code) => format!(
                "the price book for Region {region} has no {} prices; add AWS's {code} offer file for {region} to `[pricing] price_list = [...]` (the Price List Bulk API publishes it at {})",
                service.name(),
                OFFER_FILE_URL.replace("<offerCode>", code).replace("<region>", region)
            ),
            None if service == Service::Express => format!(
                "the price book for Region {region} has no Step Functions Express prices, and orchsim reads none from offer files (the usage types AWS's Price List gives them are not documented to it); give them in `[pricing]` as `express_usd_per_million_requests` and `express_gb_hour_tiers` (from the Step Functions pricing page for {region}), with the AmazonStates offer file for {region} in `price_list`"
            ),
            None => format!(
                "the price book for Region {region} has no {} prices, and orchsim reads none from offer files (the usage types AWS's Price List gives them are not documented to it), so it prices them only in us-east-1, from the book it ships",
                service.name()
            ),
        }
    }

    /// Checks that `region`'s book prices `service`; `origin` is where the Region was
    /// written (the element's `region` key), or `None` for the scenario's Region.
    pub(super) fn check(
        &self,
        src: &Source<'_>,
        region: &str,
        service: Service,
        origin: Option<(&Origin, String)>,
    ) -> Result<()> {
        let message = match self.books.get(region) {
            None => self.no_book(region),
            Some(book) if !service.priced_in(book) => self.no_service(region, service),
            Some(_) => return Ok(()),
        };
        Err(match origin {
            Some((origin, path)) => src.error(origin, &path, message).with_value(format!("\"{region}\"")),
            None => match (&self.region_origin, &self.pricing_origin) {
                (Some(o), _) => src.error(o, "pricing.region", message).with_value(format!("\"{region}\"")),
                (None, Some(o)) => src.error(o, "pricing", message),
                (None, None) => super::ScenarioError::in_file(src.file, "pricing", message),
            },
        })
    }
}

/// The `region` key of `[kind.NAME]` and where it is written, read from the tree after the
/// table was lowered (so it is a valid Region code).
fn explicit_region<'a>(root: &'a Node, kind: &str, name: &str) -> Option<(&'a str, &'a Origin)> {
    let table = |node: &'a Node, key: &str| match &node.value {
        Value::Table(t) => t.get(key).map(|(_, n)| n),
        _ => None,
    };
    let region = table(table(table(root, kind)?, name)?, "region")?;
    match &region.value {
        Value::Str(s) => Some((s.as_str(), &region.origin)),
        _ => None,
    }
}

/// What the scenario prices where: the lowered services, by name.
pub(super) struct Uses<'a> {
    /// Queue names.
    pub queues: Vec<&'a str>,
    pub has_functions: bool,
    /// Topic names with whether each is FIFO; direct publishes count as standard topics.
    pub topics: Vec<(&'a str, bool)>,
    /// Subscription names with their topic's name.
    pub subscriptions: Vec<(&'a str, &'a str)>,
    /// Bus names.
    pub buses: Vec<&'a str>,
    pub machines: &'a [MachineConfig],
    pub has_ses: bool,
    pub has_brokers: bool,
}

/// Checks every use against its Region's book and gives the scenario its `Pricing`, with
/// each machine's prices per unit from its Region's book.
pub(super) fn finish(
    src: &Source<'_>,
    root: &Node,
    input: PricingInput,
    uses: &Uses<'_>,
) -> Result<(Pricing, Vec<UnitPrices>)> {
    let mut resource_regions = BTreeMap::new();
    let mut used_regions = vec![input.region.clone()];
    let mut check_own = |kind: &str, name: &str, service: Service, resource: String| -> Result<()> {
        match explicit_region(root, kind, name) {
            Some((region, origin)) => {
                input.check(src, region, service, Some((origin, format!("{kind}.{name}.region"))))?;
                resource_regions.insert(resource, region.to_string());
                used_regions.push(region.to_string());
                Ok(())
            }
            None => input.check(src, &input.region, service, None),
        }
    };
    for name in &uses.queues {
        check_own("sqs", name, Service::Sqs, format!("sqs.{name}"))?;
    }
    for (name, is_fifo) in &uses.topics {
        check_own("sns", name, Service::Sns, format!("sns.{name}"))?;
        if *is_fifo {
            check_own("sns", name, Service::SnsFifo, format!("sns.{name}"))?;
        }
    }
    for name in &uses.buses {
        check_own("eventbridge", name, Service::EventBridge, format!("eventbridge.{name}"))?;
    }
    for machine in uses.machines {
        let name = &machine.name;
        check_own("step_functions", name, Service::StepFunctions, format!("step_functions.{name}"))?;
        if needs_express(machine) {
            check_own("step_functions", name, Service::Express, format!("step_functions.{name}"))?;
        }
    }
    // A Distributed Map's children (`NAME/MAP`, as the runtime names them) are priced where
    // their parent is.
    for machine in uses.machines {
        if let Some(region) = resource_regions.get(&format!("step_functions.{}", machine.name)).cloned() {
            for map in distributed_maps(machine) {
                resource_regions.insert(format!("step_functions.{}/{map}", machine.name), region.clone());
            }
        }
    }
    let scenario_wide =
        [(uses.has_functions, Service::Lambda), (uses.has_ses, Service::Ses), (uses.has_brokers, Service::Mq)];
    for (used, service) in scenario_wide {
        if used {
            input.check(src, &input.region, service, None)?;
        }
    }
    for (subscription, topic) in &uses.subscriptions {
        if let Some(region) = resource_regions.get(&format!("sns.{topic}")).cloned() {
            resource_regions.insert(format!("subscription.{subscription}"), region);
        }
    }
    let mut books = input.books;
    books.retain(|region, _| used_regions.contains(region));
    let pricing = Pricing { region: input.region, books, resource_regions };
    let unit_prices =
        uses.machines.iter().map(|m| unit_prices(pricing.book_of(&format!("step_functions.{}", m.name)))).collect();
    Ok((pricing, unit_prices))
}

/// The names of a machine's Distributed Map states.
fn distributed_maps(machine: &MachineConfig) -> impl Iterator<Item = &str> {
    machine.definition.states.iter().filter_map(|s| match &s.kind {
        StateKind::Map(m) if matches!(m.mode, MapMode::Distributed { .. }) => Some(s.name.as_str()),
        _ => None,
    })
}

/// An Express machine, or one whose Distributed Map runs Express children.
fn needs_express(machine: &MachineConfig) -> bool {
    machine.workflow.is_express()
        || machine.definition.states.iter().any(|s| {
            matches!(&s.kind, StateKind::Map(m) if m.mode == MapMode::Distributed { execution_type: ExecutionType::Express })
        })
}

/// The marginal price of one billed unit of each kind, for the cost of each execution: the
/// first tier, without the free tier. A book without Express prices prices only Standard
/// machines, whose executions pay for transitions alone.
fn unit_prices(book: &PriceBook) -> UnitPrices {
    let prices = book.step_functions();
    let express = prices.express.as_ref();
    UnitPrices {
        usd_per_transition: prices.standard_usd_per_thousand_transitions / 1e3,
        usd_per_request: express.map_or(0.0, |e| e.usd_per_million_requests / 1e6),
        // The duration tiers are per million GB-hours.
        usd_per_gb_second: express
            .and_then(|e| e.gb_hour_tiers.first())
            .map_or(0.0, |t| t.usd_per_million / 1e6 / 3_600.0),
    }
}

#[cfg(test)]
mod tests;
