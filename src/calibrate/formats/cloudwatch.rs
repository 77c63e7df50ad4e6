//! CloudWatch metric exports:
//!
//! - `get-metric-statistics`: `{"Label", "Datapoints": [{Timestamp, SampleCount?, Average?,
//!   Sum?, Minimum?, Maximum?, Unit, ExtendedStatistics?{"p99": …}}]}`. AWS returns the
//!   points in no order; they are sorted here by time.
//! - `get-metric-data`: `{"MetricDataResults": [{Id, Label, Timestamps, Values,
//!   StatusCode}]}`, parallel arrays newest first by default (`TimestampDescending`); each
//!   series is turned oldest first here.
//!
//! A period without a point is not a zero (some metrics are sent only when not zero), so no
//! point is invented for it. Timestamps must be ISO 8601 (with any zone) and are ordered by
//! the instant they name.

use serde_json::{Map, Value};

use super::ReadError;

/// One period of `get-metric-statistics`.
#[derive(Clone, Debug, PartialEq)]
pub struct StatPoint {
    pub timestamp: String,
    pub sample_count: Option<f64>,
    pub average: Option<f64>,
    pub sum: Option<f64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// (probability, value) of each `pNN` extended statistic, by probability.
    pub percentiles: Vec<(f64, f64)>,
    /// (lower, upper, percent of the points) of each `PR(lower:upper)` extended statistic
    /// with absolute bounds, by lower bound: the points in (lower, upper], an open end as
    /// 0 below and infinity above.
    pub buckets: Vec<(f64, f64, f64)>,
}

/// A `get-metric-statistics` export, its points oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    pub label: Option<String>,
    pub unit: Option<String>,
    pub points: Vec<StatPoint>,
    /// Extended statistics that are neither percentiles nor `PR` buckets (`tm99`, `IQM`,
    /// …), not used.
    pub unused: Vec<String>,
}

/// One series of `get-metric-data`, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    pub id: String,
    pub label: Option<String>,
    /// `Complete`, or why the series may lack points (`PartialData`: more pages).
    pub status: Option<String>,
    pub points: Vec<(String, f64)>,
}

pub(super) fn read_statistics(doc: &Value) -> Result<Statistics, ReadError> {
    let points =
        doc["Datapoints"].as_array().ok_or_else(|| ReadError::at(0, "Datapoints is not an array of points"))?;
    if points.is_empty() {
        return Err(ReadError::at(
            0,
            "Datapoints is empty: CloudWatch returns no point for a period without data or for a --unit the metric does not use",
        ));
    }
    let mut unit: Option<String> = None;
    let mut unused = Vec::new();
    let mut read = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let at = |what: &str| ReadError::at(0, format!("Datapoints[{i}]: {what}"));
        let point = point.as_object().ok_or_else(|| at("not an object"))?;
        let timestamp = point.get("Timestamp").and_then(Value::as_str).ok_or_else(|| at("no Timestamp"))?;
        if super::time::epoch_s(timestamp).is_none() {
            return Err(at(&format!(
                "Timestamp {timestamp:?} is not an ISO 8601 timestamp like \"2026-03-02T10:05:00Z\""
            )));
        }
        if let Some(u) = point.get("Unit").and_then(Value::as_str) {
            match &unit {
                Some(first) if first != u => {
                    return Err(at(&format!("unit {u:?} where the points before are in {first:?}")));
                }
                _ => unit = Some(u.to_string()),
            }
        }
        let number = |key: &str| -> Result<Option<f64>, ReadError> { optional_number(point, key).map_err(|e| at(&e)) };
        let mut percentiles = Vec::new();
        let mut buckets = Vec::new();
        if let Some(extended) = point.get("ExtendedStatistics") {
            let extended = extended.as_object().ok_or_else(|| at("ExtendedStatistics is not an object"))?;
            for (name, value) in extended {
                let value = value.as_f64().ok_or_else(|| at(&format!("ExtendedStatistics.{name} is not a number")))?;
                if let Some(p) = percentile_name(name) {
                    percentiles.push((p, value));
                } else if let Some((low, high)) = bucket_name(name) {
                    if !(0.0..=100.0001).contains(&value) {
                        return Err(at(&format!(
                            "ExtendedStatistics.{name} is {value}, not a percentage of points (0 to 100)"
                        )));
                    }
                    buckets.push((low, high, value));
                } else if !unused.contains(name) {
                    unused.push(name.clone());
                }
            }
        }
        percentiles.sort_by(|a, b| a.0.total_cmp(&b.0));
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        read.push(StatPoint {
            timestamp: timestamp.to_string(),
            sample_count: number("SampleCount")?,
            average: number("Average")?,
            sum: number("Sum")?,
            minimum: number("Minimum")?,
            maximum: number("Maximum")?,
            percentiles,
            buckets,
        });
    }
    read.sort_by(|a, b| epoch(&a.timestamp).total_cmp(&epoch(&b.timestamp)));
    let label = doc["Label"].as_str().map(str::to_string);
    Ok(Statistics { label, unit, points: read, unused })
}

fn optional_number(point: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match point.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| format!("{key} is {v}, not a number")),
    }
}

/// `PR(:100)` → (0, 100), `PR(100:200)` → (100, 200), `PR(200:)` → (200, ∞); None for other
/// statistics, and for percentage bounds (`PR(10%:20%)`), which say nothing of values.
fn bucket_name(name: &str) -> Option<(f64, f64)> {
    let inner = name.strip_prefix("PR(")?.strip_suffix(')')?;
    let (low, high) = inner.split_once(':')?;
    let bound = |text: &str, open: f64| -> Option<f64> {
        let text = text.trim();
        if text.is_empty() { Some(open) } else { text.parse::<f64>().ok().filter(|v| v.is_finite()) }
    };
    let (low, high) = (bound(low, 0.0)?, bound(high, f64::INFINITY)?);
    (low < high && low >= 0.0).then_some((low, high))
}

/// `p99` → 0.99, `p99.9` → 0.999; None for other statistics.
fn percentile_name(name: &str) -> Option<f64> {
    let p: f64 = name.strip_prefix('p')?.parse().ok()?;
    (0.0..=100.0).contains(&p).then_some(p / 100.0)
}

/// Seconds since the epoch of a timestamp checked when it was read.
fn epoch(text: &str) -> f64 {
    super::time::epoch_s(text).expect("checked when read")
}

pub(super) fn read_data(doc: &Value) -> Result<Vec<MetricSeries>, ReadError> {
    let results = doc["MetricDataResults"]
        .as_array()
        .ok_or_else(|| ReadError::at(0, "MetricDataResults is not an array of results"))?;
    let mut series = Vec::with_capacity(results.len());
    for (i, result) in results.iter().enumerate() {
        let at = |what: &str| ReadError::at(0, format!("MetricDataResults[{i}]: {what}"));
        let id = result["Id"].as_str().ok_or_else(|| at("no Id"))?;
        let times = result["Timestamps"].as_array().ok_or_else(|| at("Timestamps is not an array"))?;
        let values = result["Values"].as_array().ok_or_else(|| at("Values is not an array"))?;
        if times.len() != values.len() {
            return Err(at(&format!("{} Timestamps but {} Values; they go in pairs", times.len(), values.len())));
        }
        let mut points = Vec::with_capacity(times.len());
        for (k, (t, v)) in times.iter().zip(values).enumerate() {
            let t = t.as_str().filter(|t| super::time::epoch_s(t).is_some()).ok_or_else(|| {
                at(&format!("Timestamps[{k}] is {t}, not an ISO 8601 timestamp like \"2026-03-02T10:02:00Z\""))
            })?;
            let v = v.as_f64().ok_or_else(|| at(&format!("Values[{k}] is {v}, not a number")))?;
            points.push((t.to_string(), v));
        }
        // Newest first by default, but ScanBy may have asked for either order.
        points.sort_by(|a, b| epoch(&a.0).total_cmp(&epoch(&b.0)));
        series.push(MetricSeries {
            id: id.to_string(),
            label: result["Label"].as_str().map(str::to_string),
            status: result["StatusCode"].as_str().map(str::to_string),
            points,
        });
    }
    if series.iter().all(|s| s.points.is_empty()) {
        return Err(ReadError::at(0, "every series is empty: no point to fit from"));
    }
    Ok(series)
}
