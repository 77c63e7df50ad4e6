//! AWS Price List Bulk API offer files (JSON), read into price-book parts.
//!
//! The format (`reference/aws-latencies.md` §8, `reference/aws-telemetry.md` §5.3):
//! `{offerCode, publicationDate, products: {SKU: {sku, productFamily, attributes:
//! {usagetype, regionCode, location, operation, …}}}, terms: {OnDemand: {SKU:
//! {"SKU.TERM": {priceDimensions: {"SKU.TERM.RATE": {unit, beginRange, endRange,
//! pricePerUnit: {USD: "0.0000004000"}}}}}}}}`. Numbers are strings; a range's `endRange`
//! is `"Inf"` when open. Tiers are several price dimensions of one product and apply to the
//! account's monthly total in the Region; a dimension priced at 0 USD is a free tier.
//!
//! Products are chosen by their `usagetype`, matched as a whole token after the Region
//! prefix (`USW1-`; us-east-1 often has none), and their Region is `attributes.regionCode`.
//! Only the usage types the reference documents are read:
//!
//! | offer code | usage type | orchsim price |
//! |---|---|---|
//! | `AWSQueueService` | `Requests-Tier1`, `Requests-FIFO-Tier1` | SQS standard and FIFO request tiers |
//! | `AmazonStates` | `StateTransition` | Standard transitions, free ones from a 0 USD range |
//! | `AWSLambda` | `Request`, `Request-ARM`, `Lambda-GB-Second`, `Lambda-GB-Second-ARM` | requests, GB-second tiers by architecture |
//! | `AmazonSNS` | `Requests-Tier1`, `DeliveryAttempts-HTTP`, `-SMTP`, `-APNS` | standard publishes, HTTP/S, email, mobile-push deliveries |
//! | `AWSEvents` | `Event-64K-Chunks` (operation `PutEvents`) | custom events |
//!
//! Step Functions Express, SNS FIFO topics, SES and Amazon MQ usage types are not
//! documented, so no offer file prices them. Prices are converted exactly: a decimal string
//! per unit becomes per thousand or per million by moving its decimal point, then is read
//! as the nearest `f64`, as a literal in the shipped book would be.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ScenarioError;
use crate::pricing::{EventBridgePrices, LambdaPrices, PriceBook, SnsPrices, SqsPrices, StepFunctionsPrices, Tier};

type Result<T> = std::result::Result<T, ScenarioError>;

/// The prices one offer file gives, by Region.
pub(super) struct OfferFile {
    offer_code: String,
    publication_date: String,
    regions: BTreeMap<String, Part>,
}

/// One service's prices in one Region.
enum Part {
    Sqs(SqsPrices),
    StepFunctions(StepFunctionsPrices),
    Lambda(LambdaPrices),
    Sns(SnsPrices),
    EventBridge(EventBridgePrices),
}

/// The usage types each offer code's products are read for.
fn usage_types(offer_code: &str) -> Option<&'static [&'static str]> {
    Some(match offer_code {
        "AWSQueueService" => &["Requests-Tier1", "Requests-FIFO-Tier1"],
        "AmazonStates" => &["StateTransition"],
        "AWSLambda" => &["Request", "Request-ARM", "Lambda-GB-Second", "Lambda-GB-Second-ARM"],
        "AmazonSNS" => &["Requests-Tier1", "DeliveryAttempts-HTTP", "DeliveryAttempts-SMTP", "DeliveryAttempts-APNS"],
        "AWSEvents" => &["Event-64K-Chunks"],
        _ => return None,
    })
}

/// One price dimension: the range's start (units a month) and the price per unit as written.
#[derive(Clone, Debug)]
struct Range {
    begin: f64,
    end: Option<f64>,
    usd_per_unit: String,
}

/// A product read: its SKU and its ranges, in order.
struct Priced {
    sku: String,
    ranges: Vec<Range>,
}

/// Reads an offer file's text; `file` names it in errors.
pub(super) fn read(file: &str, text: &str) -> Result<OfferFile> {
    let root: Value = serde_json::from_str(text).map_err(|e| syntax_error(file, text, &e))?;
    let err = |path: &str, message: String| ScenarioError::in_file(file, path, message);
    let root =
        root.as_object().ok_or_else(|| err("", "expected a JSON object (an AWS Price List offer file)".into()))?;
    let offer_code = string(root, "offerCode", "", file)?;
    let publication_date = string(root, "publicationDate", "", file)?;
    let wanted = usage_types(offer_code).ok_or_else(|| {
        err(
            "offerCode",
            format!(
                "\"{offer_code}\" is not an offer orchsim reads; allowed: AWSQueueService, AmazonStates, AWSLambda, AmazonSNS, AWSEvents"
            ),
        )
    })?;
    let products = object(root, "products", "", file)?;
    let terms = object(object(root, "terms", "", file)?, "OnDemand", "terms", file)?;
    let mut found: BTreeMap<(String, &'static str), Priced> = BTreeMap::new();
    for (sku, product) in products {
        let path = format!("products.{sku}");
        let product = product.as_object().ok_or_else(|| err(&path, "expected an object (a product)".into()))?;
        let attributes = object(product, "attributes", &path, file)?;
        let Some(usage_type) = attributes.get("usagetype").and_then(Value::as_str) else { continue };
        let Some(item) = wanted.iter().copied().find(|w| is_usage_type(usage_type, w)) else { continue };
        if offer_code == "AWSEvents"
            && attributes.get("operation").and_then(Value::as_str).is_some_and(|o| o != "PutEvents")
        {
            continue;
        }
        let region = attributes.get("regionCode").and_then(Value::as_str).ok_or_else(|| {
            err(
                &format!("{path}.attributes.regionCode"),
                format!("missing: product {sku} (usagetype {usage_type}) names no regionCode; orchsim takes the Region from regionCode, which current offer files give (older files give only `location`)"),
            )
        })?;
        let ranges = ranges(terms, sku, file)?;
        let key = (region.to_string(), item);
        if let Some(other) = found.get(&key) {
            return Err(err(
                &path,
                format!("products {} and {sku} both price {item} in {region}; an offer file prices it once", other.sku),
            ));
        }
        found.insert(key, Priced { sku: sku.clone(), ranges });
    }
    let regions = by_region(found, offer_code, wanted, file)?;
    Ok(OfferFile { offer_code: offer_code.to_string(), publication_date: publication_date.to_string(), regions })
}

impl OfferFile {
    /// Replaces, in each Region it prices, that service's prices; a Region without a book
    /// gets one. `written` is the file's path as the scenario gives it.
    pub(super) fn merge_into(self, books: &mut BTreeMap<String, PriceBook>, written: &str) {
        let date: String = self.publication_date.chars().take(10).collect();
        for (region, part) in self.regions {
            let book = books
                .entry(region.clone())
                .or_insert_with(|| PriceBook::empty(&region, &date, super::price_books::HOURS_PER_MONTH_DEFAULT));
            // A book's date is its latest source's.
            if date > book.as_of {
                book.as_of = date.clone();
            }
            book.sources.push(format!("{written} ({}, published {})", self.offer_code, self.publication_date));
            match part {
                Part::Sqs(p) => book.sqs = Some(p),
                Part::StepFunctions(p) => {
                    // Express figures the file does not give stay unpriced in this Region.
                    book.step_functions = Some(p);
                }
                Part::Lambda(p) => book.lambda = Some(p),
                Part::Sns(p) => book.sns = Some(p),
                Part::EventBridge(p) => book.eventbridge = Some(p),
            }
        }
    }
}

/// `usage_type` is `wanted`, alone or after a Region prefix of capitals and digits
/// (`USW1-`, `EU-`): whole tokens, so Lambda's `Request` is not `Requests-Tier1`.
fn is_usage_type(usage_type: &str, wanted: &str) -> bool {
    if usage_type == wanted {
        return true;
    }
    usage_type.strip_suffix(wanted).and_then(|p| p.strip_suffix('-')).is_some_and(|prefix| {
        !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// Groups the products found by Region and converts each Region's set, which must be whole.
fn by_region(
    found: BTreeMap<(String, &'static str), Priced>,
    offer_code: &str,
    wanted: &[&'static str],
    file: &str,
) -> Result<BTreeMap<String, Part>> {
    let mut regions: BTreeMap<String, BTreeMap<&'static str, Priced>> = BTreeMap::new();
    for ((region, item), priced) in found {
        regions.entry(region).or_default().insert(item, priced);
    }
    if regions.is_empty() {
        return Err(ScenarioError::in_file(
            file,
            "products",
            format!(
                "no product of {offer_code} with a usagetype orchsim reads ({}, after the Region prefix)",
                wanted.join(", ")
            ),
        ));
    }
    let mut parts = BTreeMap::new();
    for (region, items) in regions {
        let missing: Vec<&str> = wanted.iter().copied().filter(|w| !items.contains_key(w)).collect();
        if !missing.is_empty() {
            return Err(ScenarioError::in_file(
                file,
                "products",
                format!(
                    "incomplete for {region}: no product with usagetype {} (after the Region prefix); orchsim needs all of {}",
                    missing.join(", "),
                    wanted.join(", ")
                ),
            ));
        }
        let part = convert(offer_code, &items).map_err(|(sku, message)| {
            ScenarioError::in_file(file, &format!("terms.OnDemand.{sku}"), format!("{region}: {message}"))
        })?;
        parts.insert(region, part);
    }
    Ok(parts)
}

/// A conversion's failure: the SKU and why.
type Refusal = (String, String);

fn convert(offer_code: &str, items: &BTreeMap<&'static str, Priced>) -> std::result::Result<Part, Refusal> {
    let item = |name: &str| &items[name];
    Ok(match offer_code {
        "AWSQueueService" => Part::Sqs(SqsPrices {
            standard_tiers: tiers(item("Requests-Tier1"), 6)?,
            fifo_tiers: tiers(item("Requests-FIFO-Tier1"), 6)?,
        }),
        "AmazonStates" => {
            let (free, usd) = flat(item("StateTransition"), 3, "Standard state transitions")?;
            Part::StepFunctions(StepFunctionsPrices {
                standard_usd_per_thousand_transitions: usd,
                free_transitions_per_month: free,
                free_tier: true,
                express: None,
            })
        }
        "AWSLambda" => Part::Lambda(lambda(items)?),
        "AmazonSNS" => {
            let publish = flat(item("Requests-Tier1"), 6, "standard-topic publishes")?;
            let http = flat(item("DeliveryAttempts-HTTP"), 6, "HTTP/S deliveries")?;
            let email = flat(item("DeliveryAttempts-SMTP"), 6, "email deliveries")?;
            let push = flat(item("DeliveryAttempts-APNS"), 6, "mobile-push deliveries")?;
            Part::Sns(SnsPrices {
                publish_usd_per_million: publish.1,
                free_publishes_per_month: publish.0,
                fifo: None,
                http_usd_per_million: http.1,
                free_http_per_month: http.0,
                email_usd_per_million: email.1,
                free_email_per_month: email.0,
                push_usd_per_million: push.1,
                free_push_per_month: push.0,
                sms_usd_per_message: 0.0,
            })
        }
        "AWSEvents" => {
            let (free, usd) = flat(item("Event-64K-Chunks"), 6, "custom events")?;
            if free > 0.0 {
                let sku = item("Event-64K-Chunks").sku.clone();
                return Err((
                    sku,
                    "prices custom events at 0 USD for a range; orchsim gives EventBridge no free tier".into(),
                ));
            }
            Part::EventBridge(EventBridgePrices { custom_events_usd_per_million: usd })
        }
        _ => unreachable!("usage_types admits only the offer codes converted here"),
    })
}

/// Lambda: one request price for both architectures (orchsim's form), and each
/// architecture's GB-second tiers with one free allowance shared by both.
fn lambda(items: &BTreeMap<&'static str, Priced>) -> std::result::Result<LambdaPrices, Refusal> {
    let (free_requests, usd_per_million_requests) = flat(&items["Request"], 6, "requests")?;
    let arm_requests = flat(&items["Request-ARM"], 6, "Arm requests")?;
    if arm_requests != (free_requests, usd_per_million_requests) {
        return Err((
            items["Request-ARM"].sku.clone(),
            format!(
                "prices Arm requests differently from x86 requests (product {}); orchsim prices requests at one price for both architectures",
                items["Request"].sku
            ),
        ));
    }
    let (x86_free, x86_tiers) = free_and_paid_tiers(&items["Lambda-GB-Second"])?;
    let (arm_free, arm_tiers) = free_and_paid_tiers(&items["Lambda-GB-Second-ARM"])?;
    if x86_free != arm_free {
        return Err((
            items["Lambda-GB-Second-ARM"].sku.clone(),
            format!(
                "gives Arm {arm_free} free GB-seconds and x86 (product {}) {x86_free}; orchsim has one free allowance for both architectures",
                items["Lambda-GB-Second"].sku
            ),
        ));
    }
    Ok(LambdaPrices {
        usd_per_million_requests,
        free_requests_per_month: free_requests,
        free_gb_seconds_per_month: x86_free,
        x86_tiers,
        arm_tiers,
        free_tier: true,
    })
}

/// The ranges as tiers priced per 10^`scale` units.
fn tiers(priced: &Priced, scale: u32) -> std::result::Result<Vec<Tier>, Refusal> {
    priced
        .ranges
        .iter()
        .map(|r| Ok(Tier { from_per_month: r.begin, usd_per_million: scaled(&r.usd_per_unit, scale, &priced.sku)? }))
        .collect()
}

/// One price, after an optional free range priced 0 USD: (free units, price per 10^`scale`).
fn flat(priced: &Priced, scale: u32, what: &str) -> std::result::Result<(f64, f64), Refusal> {
    let tiers = tiers(priced, scale)?;
    match tiers.as_slice() {
        [paid] => Ok((0.0, paid.usd_per_million)),
        [free, paid] if free.usd_per_million == 0.0 => Ok((paid.from_per_month, paid.usd_per_million)),
        _ => Err((
            priced.sku.clone(),
            format!(
                "has {} price ranges; orchsim prices {what} at one price, after a free range priced 0 USD if there is one",
                tiers.len()
            ),
        )),
    }
}

/// Lambda's duration: the free GB-seconds (a first range priced 0 USD) and the paid tiers,
/// the first of them from 0, since orchsim takes the free units off at the first paid
/// price: pricing `[F, b2)` at `p1` is pricing `[0, b2)` at `p1` less the first `F` units.
fn free_and_paid_tiers(priced: &Priced) -> std::result::Result<(f64, Vec<Tier>), Refusal> {
    let mut tiers = tiers(priced, 6)?;
    let free = match tiers.as_slice() {
        [first, second, ..] if first.usd_per_million == 0.0 => second.from_per_month,
        _ => 0.0,
    };
    if free > 0.0 {
        tiers.remove(0);
        tiers[0].from_per_month = 0.0;
    }
    Ok((free, tiers))
}

/// The product's OnDemand price dimensions, checked to cover 0 to "Inf" without a gap.
fn ranges(terms: &Map<String, Value>, sku: &str, file: &str) -> Result<Vec<Range>> {
    let path = format!("terms.OnDemand.{sku}");
    let err = |path: &str, message: String| ScenarioError::in_file(file, path, message);
    let offers = terms
        .get(sku)
        .and_then(Value::as_object)
        .ok_or_else(|| err(&path, format!("missing: product {sku} has no OnDemand term")))?;
    let [(code, term)] = offers.iter().collect::<Vec<_>>()[..] else {
        return Err(err(&path, format!("expected one OnDemand term for product {sku}, found {}", offers.len())));
    };
    let path = format!("{path}.{code}");
    let term = term.as_object().ok_or_else(|| err(&path, "expected an object (a term)".into()))?;
    let dimensions = object(term, "priceDimensions", &path, file)?;
    let mut out = Vec::new();
    for (rate, d) in dimensions {
        let path = format!("{path}.priceDimensions.{rate}");
        let d = d.as_object().ok_or_else(|| err(&path, "expected an object (a price dimension)".into()))?;
        string(d, "unit", &path, file)?;
        let begin = decimal(string(d, "beginRange", &path, file)?)
            .ok_or_else(|| err(&format!("{path}.beginRange"), "expected a decimal number as a string".into()))?;
        let end_text = string(d, "endRange", &path, file)?;
        let end = match end_text {
            "Inf" => None,
            text => Some(decimal(text).ok_or_else(|| {
                err(&format!("{path}.endRange"), "expected a decimal number or \"Inf\" as a string".into())
            })?),
        };
        let usd = string(object(d, "pricePerUnit", &path, file)?, "USD", &format!("{path}.pricePerUnit"), file)?;
        if decimal(usd).is_none() {
            return Err(err(
                &format!("{path}.pricePerUnit.USD"),
                format!("expected a decimal price as a string, found \"{usd}\""),
            ));
        }
        out.push(Range { begin, end, usd_per_unit: usd.to_string() });
    }
    out.sort_by(|a, b| a.begin.total_cmp(&b.begin));
    check_contiguous(&out).map_err(|m| err(&format!("{path}.priceDimensions"), m))?;
    Ok(out)
}

fn check_contiguous(ranges: &[Range]) -> std::result::Result<(), String> {
    let Some(first) = ranges.first() else { return Err("no price dimension".into()) };
    if first.begin != 0.0 {
        return Err(format!("the first range begins at {}, not 0", first.begin));
    }
    for pair in ranges.windows(2) {
        if pair[0].end != Some(pair[1].begin) {
            let end = pair[0].end.map_or("Inf".to_string(), |e| e.to_string());
            return Err(format!("the range ending at {end} is followed by one beginning at {}", pair[1].begin));
        }
    }
    match ranges.last().and_then(|r| r.end) {
        None => Ok(()),
        Some(end) => Err(format!("the last range ends at {end}, not \"Inf\"")),
    }
}

/// A non-negative decimal string (`"0"`, `"1000000"`, `"0.0000004000"`).
fn decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    (!whole.is_empty() && digits(whole) && digits(fraction)).then(|| text.parse().ok()).flatten()
}

/// `text` × 10^`scale`, by moving the decimal point, read as the nearest `f64`.
fn scaled(text: &str, scale: u32, sku: &str) -> std::result::Result<f64, Refusal> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut fraction = fraction.to_string();
    while fraction.len() < scale as usize {
        fraction.push('0');
    }
    let (moved, rest) = fraction.split_at(scale as usize);
    format!("{whole}{moved}.{}", if rest.is_empty() { "0" } else { rest })
        .parse()
        .map_err(|_| (sku.to_string(), format!("price \"{text}\" is not a decimal number")))
}

fn object<'a>(parent: &'a Map<String, Value>, key: &str, path: &str, file: &str) -> Result<&'a Map<String, Value>> {
    let full = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match parent.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(ScenarioError::in_file(file, &full, "expected a JSON object")),
        None => Err(ScenarioError::in_file(file, &full, "missing (an AWS Price List offer file has it)")),
    }
}

fn string<'a>(parent: &'a Map<String, Value>, key: &str, path: &str, file: &str) -> Result<&'a str> {
    let full = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match parent.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ScenarioError::in_file(file, &full, format!("expected a string, found {other}"))),
        None => Err(ScenarioError::in_file(file, &full, "missing (an AWS Price List offer file has it)")),
    }
}

/// A JSON syntax error at its line and column.
fn syntax_error(file: &str, text: &str, e: &serde_json::Error) -> ScenarioError {
    let line_start: usize = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
    let offset = (line_start + e.column().saturating_sub(1)).min(text.len());
    ScenarioError::at_span(file, text, offset..offset + 1, "", format!("not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_scale_by_moving_the_decimal_point() {
        assert_eq!(scaled("0.0000004000", 6, "S"), Ok(0.4));
        assert_eq!(scaled("0.0000279000", 3, "S"), Ok(0.0279));
        assert_eq!(scaled("0.0000166667", 6, "S"), Ok(16.6667));
        assert_eq!(scaled("1", 6, "S"), Ok(1e6));
    }

    #[test]
    fn usage_types_match_whole_tokens_after_a_region_prefix() {
        assert!(is_usage_type("USW1-Request", "Request"));
        assert!(is_usage_type("Request", "Request"));
        assert!(!is_usage_type("USW1-Requests-Tier1", "Request"));
        assert!(!is_usage_type("USW1-Request-ARM", "Request"));
        assert!(is_usage_type("EU-Requests-FIFO-Tier1", "Requests-FIFO-Tier1"));
        assert!(!is_usage_type("USW1-Requests-FIFO-Tier1", "Requests-Tier1"));
        assert!(!is_usage_type("USW1-Lambda-Provisioned-Concurrency-GB-Second", "Lambda-GB-Second"));
    }
}
