//! X-Ray `aws xray batch-get-traces`: `{"Traces": [{"Id", "Duration", "Segments": [{"Id",
//! "Document"}]}], "UnprocessedTraceIds": […]}`, each `Document` a JSON **string** holding a
//! segment: `name`, `origin`?, `start_time`/`end_time` (epoch seconds with a fraction),
//! `in_progress`?, `error`/`throttle`/`fault`, and `subsegments` nested to any depth. An SDK
//! call's subsegment has `namespace: "aws"` and `aws.operation` (`SendMessage`); Lambda's
//! `AWS::Lambda::Function` segment has `Initialization` (a cold start), `Invocation` and
//! `Overhead` subsegments.
//!
//! Every segment and subsegment that has ended is one span, named by its segment and, for a
//! subsegment, its own name (and the operation of an AWS call: `SQS SendMessage`). A span
//! still in progress has no end and is skipped.

use serde_json::Value;

use super::ReadError;

/// One segment or subsegment.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// The segment's name (the service as X-Ray shows it).
    pub segment: String,
    /// The segment's `origin` (`AWS::Lambda::Function`, …), when given.
    pub origin: Option<String>,
    /// The subsegment's name, with the operation of an AWS call; None for the segment itself.
    pub name: Option<String>,
    pub duration_s: f64,
    /// `error` (4xx), `throttle` (429) or `fault` (5xx) was set.
    pub error: bool,
    pub throttle: bool,
    pub fault: bool,
}

/// The spans of a batch-get-traces export.
#[derive(Clone, Debug, PartialEq)]
pub struct Traces {
    pub traces: usize,
    pub spans: Vec<Span>,
    /// Spans left out as still in progress.
    pub in_progress: usize,
    /// `UnprocessedTraceIds` the export names.
    pub unprocessed: usize,
}

pub(super) fn read(doc: &Value) -> Result<Traces, ReadError> {
    let traces = doc["Traces"].as_array().ok_or_else(|| ReadError::at(0, "Traces is not an array of traces"))?;
    let mut out = Traces {
        traces: traces.len(),
        spans: Vec::new(),
        in_progress: 0,
        unprocessed: doc["UnprocessedTraceIds"].as_array().map_or(0, Vec::len),
    };
    for (t, trace) in traces.iter().enumerate() {
        let segments = trace["Segments"]
            .as_array()
            .ok_or_else(|| ReadError::at(0, format!("Traces[{t}]: Segments is not an array")))?;
        for (s, segment) in segments.iter().enumerate() {
            let at = |what: String| ReadError::at(0, format!("Traces[{t}].Segments[{s}]: {what}"));
            let text = segment["Document"]
                .as_str()
                .ok_or_else(|| at("Document is not a string (X-Ray gives each segment as JSON text)".into()))?;
            let document: Value =
                serde_json::from_str(text).map_err(|e| at(format!("Document is not a JSON segment: {e}")))?;
            let name = document["name"].as_str().ok_or_else(|| at("the segment has no name".into()))?.to_string();
            let origin = document["origin"].as_str().map(str::to_string);
            walk(&document, &name, &origin, None, &mut out).map_err(at)?;
        }
    }
    if out.traces == 0 {
        return Err(ReadError::at(0, "Traces is empty: no trace to fit from"));
    }
    Ok(out)
}

/// The span of `node` (a segment when `name` is None) and of its subsegments.
fn walk(
    node: &Value,
    segment: &str,
    origin: &Option<String>,
    name: Option<String>,
    out: &mut Traces,
) -> Result<(), String> {
    let label = name.as_deref().unwrap_or(segment).to_string();
    let start = node["start_time"].as_f64().ok_or_else(|| format!("{label}: start_time is not epoch seconds"))?;
    match node["end_time"].as_f64() {
        Some(end) if end >= start => out.spans.push(Span {
            segment: segment.to_string(),
            origin: origin.clone(),
            name: name.clone(),
            duration_s: end - start,
            error: node["error"] == true,
            throttle: node["throttle"] == true,
            fault: node["fault"] == true,
        }),
        Some(end) => return Err(format!("{label}: end_time {end} is before start_time {start}")),
        None if node["in_progress"] == true => out.in_progress += 1,
        None => return Err(format!("{label}: no end_time and not in_progress")),
    }
    if let Some(children) = node["subsegments"].as_array() {
        for child in children {
            let own = child["name"].as_str().ok_or_else(|| format!("{label}: a subsegment has no name"))?;
            let called = match child["aws"]["operation"].as_str() {
                Some(op) if child["namespace"] == "aws" => format!("{own} {op}"),
                _ => own.to_string(),
            };
            walk(child, segment, origin, Some(called), out)?;
        }
    }
    Ok(())
}
