//! Exported telemetry, recognised from its content (never its file name) and read into
//! plain observations. One file per source: `lambda.rs` (REPORT lines, text and JSON log
//! format, and inside CloudWatch Logs events JSON), `insights.rs` (Logs Insights results of
//! a query over REPORT lines), `cloudwatch.rs` (`get-metric-statistics` and
//! `get-metric-data`), `stepfunctions.rs` (execution histories and Express log records),
//! `xray.rs` (`batch-get-traces`); `time.rs` reads the timestamps they print.

mod cloudwatch;
mod insights;
mod lambda;
mod stepfunctions;
pub mod time;
mod xray;

use serde_json::Value;

pub use cloudwatch::{MetricSeries, StatPoint, Statistics};
pub use lambda::{Invocation, LambdaLog, Status};
pub use stepfunctions::{AttemptEnd, Execution, ExecutionEnd, Executions, StateRun, TaskAttempt};
pub use xray::{Span, Traces};

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    LambdaReportText,
    LambdaReportJson,
    /// `aws logs filter-log-events` or `get-log-events` JSON, whose messages are REPORT
    /// lines or platform records.
    LogEvents,
    MetricStatistics,
    MetricData,
    LogsInsights,
    StepFunctionsHistory,
    StepFunctionsExpressLog,
    XRayTraces,
}

impl Format {
    /// As the command says it read it.
    pub fn name(self) -> &'static str {
        match self {
            Format::LambdaReportText => "Lambda REPORT lines (text log format)",
            Format::LambdaReportJson => "Lambda platform.report records (JSON log format)",
            Format::LogEvents => "CloudWatch Logs events JSON (filter-log-events, get-log-events)",
            Format::MetricStatistics => "CloudWatch get-metric-statistics JSON",
            Format::MetricData => "CloudWatch get-metric-data JSON",
            Format::LogsInsights => "CloudWatch Logs Insights results JSON",
            Format::StepFunctionsHistory => "Step Functions get-execution-history JSON",
            Format::StepFunctionsExpressLog => "Step Functions Express execution log records",
            Format::XRayTraces => "X-Ray batch-get-traces JSON",
        }
    }

    /// Whether this reader takes it yet.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Format::LambdaReportText
                | Format::LambdaReportJson
                | Format::LogEvents
                | Format::LogsInsights
                | Format::MetricStatistics
                | Format::MetricData
                | Format::StepFunctionsHistory
                | Format::StepFunctionsExpressLog
                | Format::XRayTraces
        )
    }
}

/// What was read from one file.
#[derive(Clone, Debug, PartialEq)]
pub enum Telemetry {
    Lambda(LambdaLog),
    Statistics(Statistics),
    Series(Vec<MetricSeries>),
    /// Step Functions executions, from histories or Express log records.
    Executions(Executions),
    /// X-Ray segments and subsegments.
    Traces(Traces),
}

/// A file that cannot be read: where (line 0 when no line applies) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub reason: String,
}

impl ReadError {
    pub(crate) fn at(line: usize, reason: impl Into<String>) -> ReadError {
        ReadError { line, reason: reason.into() }
    }
}

/// Recognises the format of `text` and reads it.
pub fn read(text: &str) -> Result<(Format, Telemetry), ReadError> {
    let format = recognise(text)?;
    if !format.is_read() {
        return Err(ReadError::at(
            0,
            format!(
                "{} is recognised but not read yet; this version fits from Lambda REPORT lines (text, JSON log format, CloudWatch Logs events or Logs Insights results), CloudWatch get-metric-statistics or get-metric-data JSON, Step Functions histories or Express log records, and X-Ray batch-get-traces JSON",
                format.name()
            ),
        ));
    }
    let telemetry = match format {
        Format::LambdaReportText | Format::LambdaReportJson => Telemetry::Lambda(lambda::read(text)?),
        Format::LogEvents => {
            let doc = whole(text)?;
            match express_messages(&doc) {
                Some(records) => {
                    Telemetry::Executions(stepfunctions::read_express(&records).map_err(|e| match e.line {
                        0 => e,
                        line => ReadError::at(0, format!("events[{}]: {}", line - 1, e.reason)),
                    })?)
                }
                None => Telemetry::Lambda(log_events(&doc)?),
            }
        }
        Format::LogsInsights => Telemetry::Lambda(insights::read(&whole(text)?)?),
        Format::MetricStatistics => Telemetry::Statistics(cloudwatch::read_statistics(&whole(text)?)?),
        Format::MetricData => Telemetry::Series(cloudwatch::read_data(&whole(text)?)?),
        Format::StepFunctionsHistory => Telemetry::Executions(stepfunctions::read_history(text)?),
        Format::StepFunctionsExpressLog => Telemetry::Executions(stepfunctions::read_express(text)?),
        Format::XRayTraces => Telemetry::Traces(xray::read(&whole(text)?)?),
    };
    Ok((format, telemetry))
}

/// The format of `text`, from its shape.
pub fn recognise(text: &str) -> Result<Format, ReadError> {
    if text.trim().is_empty() {
        return Err(ReadError::at(0, "the file is empty"));
    }
    let parsed = serde_json::from_str::<Value>(text);
    if let Ok(Value::Object(doc)) = &parsed {
        let has = |key: &str| doc.contains_key(key);
        if has("MetricDataResults") {
            return Ok(Format::MetricData);
        }
        if has("Datapoints") {
            return Ok(Format::MetricStatistics);
        }
        if has("results") && has("status") {
            return Ok(Format::LogsInsights);
        }
        if let Some(events) = doc.get("events").and_then(Value::as_array) {
            // Log events carry a message; history events a type and an id.
            let is_log = events.first().is_none_or(|e| e.get("message").is_some());
            return Ok(if is_log { Format::LogEvents } else { Format::StepFunctionsHistory });
        }
        if has("Traces") {
            return Ok(Format::XRayTraces);
        }
    }
    // Several histories one after another (a shell loop appending get-execution-history).
    if parsed.is_err()
        && let Some(Ok(Value::Object(first))) = serde_json::Deserializer::from_str(text).into_iter::<Value>().next()
        && first
            .get("events")
            .and_then(Value::as_array)
            .is_some_and(|e| e.first().is_some_and(|e| e.get("message").is_none()))
    {
        return Ok(Format::StepFunctionsHistory);
    }
    // A log: the first line that says what it is decides.
    for line in text.lines() {
        if lambda::is_report_text(line) {
            return Ok(Format::LambdaReportText);
        }
        if let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line.trim()) {
            if record.get("type").and_then(Value::as_str).is_some_and(|t| t.starts_with("platform.")) {
                return Ok(Format::LambdaReportJson);
            }
            if record.contains_key("execution_arn") && record.contains_key("event_timestamp") {
                return Ok(Format::StepFunctionsExpressLog);
            }
        }
    }
    // A JSON export cut short (or edited by hand) says where it broke.
    if let Err(e) = parsed
        && text.trim_start().starts_with(['{', '['])
    {
        return Err(ReadError::at(e.line(), format!("malformed or truncated JSON: {e}")));
    }
    Err(ReadError::at(
        0,
        "unknown format: expected Lambda REPORT lines (text or JSON log format, CloudWatch Logs events or Logs Insights results JSON), CloudWatch get-metric-statistics or get-metric-data JSON, Step Functions get-execution-history JSON or Express execution log records, or X-Ray batch-get-traces JSON",
    ))
}

/// The messages of CloudWatch Logs events, one a line, when they are Step Functions Express
/// log records (a message that is a JSON object with `execution_arn`).
fn express_messages(doc: &Value) -> Option<String> {
    let events = doc["events"].as_array()?;
    let is_record = |e: &Value| {
        e["message"]
            .as_str()
            .and_then(|m| serde_json::from_str::<Value>(m.trim()).ok())
            .is_some_and(|r| r.get("execution_arn").is_some())
    };
    if !events.iter().any(is_record) {
        return None;
    }
    // One line per event, so that a line number is an event's place.
    Some(
        events.iter().map(|e| format!("{}\n", e["message"].as_str().unwrap_or("").trim().replace('\n', " "))).collect(),
    )
}

/// The REPORT lines among the messages of CloudWatch Logs events, placed by event.
fn log_events(doc: &Value) -> Result<LambdaLog, ReadError> {
    let events = doc["events"].as_array().expect("recognised by its events");
    let mut messages = String::new();
    for (i, event) in events.iter().enumerate() {
        let message = event["message"].as_str().ok_or_else(|| ReadError::at(0, format!("events[{i}]: no message")))?;
        // One line per event, so that a line number is an event's place.
        messages.push_str(&message.trim_end().replace('\n', " "));
        messages.push('\n');
    }
    lambda::read(&messages).map_err(|e| match e.line {
        0 => e,
        line => ReadError::at(0, format!("events[{}]: {}", line - 1, e.reason)),
    })
}

fn whole(text: &str) -> Result<Value, ReadError> {
    serde_json::from_str(text).map_err(|e| ReadError::at(e.line(), format!("not JSON: {e}")))
}
