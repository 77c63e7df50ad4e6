//! The bill: a Cost and Usage Report (CSV, CUR 2.0 or legacy column names) against the
//! run's cost lines, by service (`line_item_product_code`) and usage type
//! (`line_item_usage_type`).
//!
//! Usage types are matched whole, never by substring: Lambda's `Request` is not SQS's
//! `Requests-Tier1`. A usage type is a Region's billing code, a dash, then the meter
//! (`USW2-Requests-Tier1`); us-east-1's often come without a code, so there both
//! `USE1-Request` and `Request` are the same meter. Only `Usage` rows count (credits, taxes,
//! refunds and Savings Plans lines are not usage). Meters whose names are not verified
//! (SES, Amazon MQ, Express workflows, SNS deliveries other than to SQS, HTTP/S and email)
//! are not compared; the notes say so.

use std::path::Path;

use crate::run::RunResult;

use super::{BacktestError, Tolerance, tolerance_for};

/// The usage of one (service, usage type) in the report.
#[derive(Clone, Debug, PartialEq)]
pub struct BillRow {
    pub product_code: String,
    /// The meter, without the Region's code.
    pub meter: String,
    pub usage: f64,
    pub cost_usd: f64,
    /// The report's lines summed into it.
    pub lines: usize,
}

/// One (service, meter) compared.
#[derive(Clone, Debug, PartialEq)]
pub struct BillLine {
    /// `bill.AWSLambda.Request.usage` or `.cost_usd`.
    pub name: String,
    pub product_code: String,
    pub meter: String,
    pub observed: f64,
    pub simulated: f64,
    /// Relative error in percent (of the larger of the observed value and 1).
    pub value: f64,
    pub tolerance_pct: f64,
    pub pass: bool,
}

/// Each column the backtest reads, by its CUR 2.0 and its legacy name.
const COLUMNS: [(&str, &str); 5] = [
    ("line_item_product_code", "lineItem/ProductCode"),
    ("line_item_usage_type", "lineItem/UsageType"),
    ("line_item_line_item_type", "lineItem/LineItemType"),
    ("line_item_usage_amount", "lineItem/UsageAmount"),
    ("line_item_unblended_cost", "lineItem/UnblendedCost"),
];

/// Region billing codes (AWS's table), to strip from usage types.
const REGION_CODES: [(&str, &str); 13] = [
    ("us-east-1", "USE1"),
    ("us-east-2", "USE2"),
    ("us-west-1", "USW1"),
    ("us-west-2", "USW2"),
    ("ca-central-1", "CAN1"),
    ("eu-west-1", "EU"),
    ("eu-west-2", "EUW2"),
    ("eu-central-1", "EUC1"),
    ("ap-northeast-1", "APN1"),
    ("ap-southeast-1", "APS1"),
    ("ap-southeast-2", "APS2"),
    ("ap-south-1", "APS3"),
    ("sa-east-1", "SAE1"),
];

/// The meter of a usage type: without the Region's code, if it has one.
fn meter_of(usage_type: &str) -> &str {
    for (_, code) in REGION_CODES {
        if let Some(rest) = usage_type.strip_prefix(code).and_then(|r| r.strip_prefix('-')) {
            return rest;
        }
    }
    usage_type
}

/// Reads a CUR CSV: its `Usage` lines summed by (service, meter).
pub fn read(path: &Path) -> Result<Vec<BillRow>, BacktestError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| BacktestError::input(&file, 0, format!("cannot read: {e}")))?;
    if text.trim().is_empty() {
        return Err(BacktestError::input(
            &file,
            0,
            "the file is empty: expected a Cost and Usage Report CSV with a header row",
        ));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| BacktestError::input(&file, 1, format!("not CSV: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut at = [0usize; 5];
    for (k, (cur2, legacy)) in COLUMNS.iter().enumerate() {
        at[k] = header.iter().position(|h| h == cur2 || h == legacy).ok_or_else(|| {
            BacktestError::input(
                &file,
                1,
                format!(
                    "no column {cur2} (CUR 2.0) or {legacy} (legacy CUR) in the header; the backtest needs {}",
                    COLUMNS.map(|c| c.0).join(", ")
                ),
            )
        })?;
    }
    let mut rows: Vec<BillRow> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            BacktestError::input(&file, line, format!("malformed or truncated CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.get(at[2]) != Some("Usage") {
            continue;
        }
        let number =
            |k: usize| -> Result<f64, BacktestError> {
                let v = record.get(at[k]).unwrap_or("");
                v.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                    BacktestError::input(&file, line, format!("{} is {v:?}, not a number", header[at[k]]))
                })
            };
        let (usage, cost_usd) = (number(3)?, number(4)?);
        let product_code = record.get(at[0]).unwrap_or("").to_string();
        let meter = meter_of(record.get(at[1]).unwrap_or("")).to_string();
        match rows.iter_mut().find(|r| r.product_code == product_code && r.meter == meter) {
            Some(r) => {
                r.usage += usage;
                r.cost_usd += cost_usd;
                r.lines += 1;
            }
            None => rows.push(BillRow { product_code, meter, usage, cost_usd, lines: 1 }),
        }
    }
    if rows.is_empty() {
        return Err(BacktestError::input(
            &file,
            0,
            "no Usage line: the report holds no usage to compare (only credits, taxes or nothing)",
        ));
    }
    Ok(rows)
}

/// The run's usage and cost by (service, meter).
fn simulated(result: &RunResult, notes: &mut Vec<String>) -> Vec<(String, String, f64, f64)> {
    let m = &result.measurements;
    let mut out: Vec<(String, String, f64, f64)> = Vec::new();
    let mut add =
        |code: &str, meter: &str, usage: f64, usd: f64| match out.iter_mut().find(|r| r.0 == code && r.1 == meter) {
            Some(r) => {
                r.2 += usage;
                r.3 += usd;
            }
            None => out.push((code.into(), meter.into(), usage, usd)),
        };
    let usd_of = |resource: &str, unit: &str| -> f64 {
        result.costs.iter().filter(|c| c.resource == resource && c.usage_unit == unit).map(|c| c.usd_window).sum()
    };
    for (resource, requests, is_fifo) in &m.sqs_billed_requests {
        let meter = if *is_fifo { "Requests-FIFO-Tier1" } else { "Requests-Tier1" };
        add("AWSQueueService", meter, *requests as f64, usd_of(resource, "requests"));
    }
    for (resource, is_arm, requests, gb_seconds) in &m.functions {
        let (request, duration) =
            if *is_arm { ("Request-ARM", "Lambda-GB-Second-ARM") } else { ("Request", "Lambda-GB-Second") };
        add("AWSLambda", request, *requests as f64, usd_of(resource, "requests"));
        add("AWSLambda", duration, *gb_seconds, usd_of(resource, "gb_seconds"));
    }
    for usage in &m.sns_usage {
        match usage {
            crate::pricing::SnsUsage::Topic { resource, requests, .. } => {
                add("AmazonSNS", "Requests-Tier1", *requests as f64, usd_of(resource, "requests"));
            }
            crate::pricing::SnsUsage::Deliveries { resource, protocol, delivered } => {
                let meter = match *protocol {
                    "sqs" => "DeliveryAttempts-SQS",
                    "http" | "https" => "DeliveryAttempts-HTTP",
                    "email" | "email-json" => "DeliveryAttempts-SMTP",
                    other => {
                        notes.push(format!(
                            "bill: {resource}'s {other} deliveries not compared: their usage type is not verified"
                        ));
                        continue;
                    }
                };
                add("AmazonSNS", meter, *delivered as f64, usd_of(resource, "deliveries"));
            }
        }
    }
    for (resource, events) in &m.eventbridge_events {
        add("AWSEvents", "Event-64K-Chunks", *events as f64, usd_of(resource, "custom_events"));
    }
    for c in result.costs.iter().filter(|c| c.service == "step_functions") {
        if c.usage_unit == "state_transitions" {
            add("AmazonStates", "StateTransition", c.usage_window, c.usd_window);
        } else if c.usage_window > 0.0 {
            notes.push(format!(
                "bill: {}'s {} not compared: Express usage types are not verified",
                c.resource, c.usage_unit
            ));
        }
    }
    out
}

/// Each meter of the report that the run has, and each the run has that the report lacks.
pub fn compare(
    result: &RunResult,
    rows: &[BillRow],
    tolerances: &[Tolerance],
    notes: &mut Vec<String>,
) -> Vec<BillLine> {
    let sim = simulated(result, notes);
    let mut lines = Vec::new();
    let mut line = |code: &str, meter: &str, what: &str, observed: f64, simulated: f64| {
        let name = format!("bill.{code}.{meter}.{what}");
        let tolerance_pct = tolerance_for(&name, "bill", tolerances);
        let value = (simulated - observed).abs() / observed.abs().max(if what == "usage" { 1.0 } else { 0.01 }) * 100.0;
        lines.push(BillLine {
            name,
            product_code: code.into(),
            meter: meter.into(),
            observed,
            simulated,
            value,
            tolerance_pct,
            pass: value <= tolerance_pct,
        });
    };
    for (code, meter, usage, usd) in &sim {
        let (obs_usage, obs_usd) = rows
            .iter()
            .find(|r| r.product_code == *code && r.meter == *meter)
            .map_or((0.0, 0.0), |r| (r.usage, r.cost_usd));
        line(code, meter, "usage", obs_usage, *usage);
        line(code, meter, "cost_usd", obs_usd, *usd);
    }
    for r in rows {
        if !sim.iter().any(|s| s.0 == r.product_code && s.1 == r.meter) {
            notes.push(format!(
                "bill: {} {} ({} lines, usage {}, {} USD) has nothing in the run to compare with",
                r.product_code, r.meter, r.lines, r.usage, r.cost_usd
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_lose_their_region_code_and_keep_their_whole_name() {
        assert_eq!(meter_of("USE1-Request"), "Request");
        assert_eq!(meter_of("Request"), "Request");
        assert_eq!(meter_of("USW2-Requests-Tier1"), "Requests-Tier1");
        assert_eq!(meter_of("EU-Lambda-GB-Second"), "Lambda-GB-Second");
        assert_ne!(meter_of("Requests-Tier1"), "Request");
    }
}
