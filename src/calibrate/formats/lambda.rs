//! Lambda's `REPORT` lines, one per invocation, in either log format:
//!
//! - text: `REPORT RequestId: ID\tDuration: 41.27 ms\tBilled Duration: 42 ms\tMemory Size:
//!   512 MB\tMax Memory Used: 88 MB\tInit Duration: 310.55 ms\t`, fields tab-separated in
//!   any order, optional ones absent (`Init Duration` only on an environment's first
//!   request; `Status: timeout` or `Status: error` with `Error Type:` on newer runtimes);
//!   anything before `REPORT` (the timestamp and stream `aws logs tail` prints) is skipped;
//! - JSON (`LogFormat=JSON`): `{"type":"platform.report","record":{"requestId", "status",
//!   "metrics":{"durationMs","billedDurationMs","initDurationMs"?,…}}}`, one per line.
//!
//! Other lines (START, END, XRAY, the function's own output, other platform records) are
//! skipped. Values are read as floats; the labels are split on word boundaries rather than
//! on tabs alone, since copies of the console's text often turn the tabs into spaces.

use serde_json::Value;

use super::ReadError;

/// How an invocation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    /// A function error (the runtime's `error` or `failure`).
    Error,
    Timeout,
}

/// One REPORT line.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    /// 1-based line of the file.
    pub line: usize,
    pub duration_ms: f64,
    pub billed_ms: Option<f64>,
    /// Present on a cold start.
    pub init_ms: Option<f64>,
    pub status: Status,
    /// Whether the line said how the invocation ended: JSON records always do, text lines
    /// only on newer runtimes (a `Status:` field), so a text line without one may hide an
    /// error.
    pub status_said: bool,
}

/// The REPORT lines of a file, and the function they name if the file says it (a
/// `/aws/lambda/NAME` log group).
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaLog {
    pub function: Option<String>,
    pub invocations: Vec<Invocation>,
    /// What the reader noticed about the file (a partial query result).
    pub notes: Vec<String>,
}

const MARK: &str = "REPORT RequestId:";

/// The labels of a text REPORT line, longest first so that `Billed Duration:` is not read as
/// `Duration:`.
const LABELS: [&str; 10] = [
    "Billed Restore Duration:",
    "Restore Duration:",
    "Max Memory Used:",
    "Billed Duration:",
    "Init Duration:",
    "Memory Size:",
    "Error Type:",
    "RequestId:",
    "Duration:",
    "Status:",
];

pub(super) fn is_report_text(line: &str) -> bool {
    line.contains(MARK)
}

pub(super) fn read(text: &str) -> Result<LambdaLog, ReadError> {
    let mut invocations = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if let Some(start) = line.find(MARK) {
            invocations.push(text_report(&line[start + "REPORT ".len()..], number)?);
            continue;
        }
        let trimmed = line.trim();
        if !trimmed.starts_with('{') {
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(record) if record.get("type").and_then(Value::as_str) == Some("platform.report") => {
                invocations.push(json_report(&record, number)?);
            }
            Ok(_) => {}
            // A broken platform record is an error; a broken line of the function's own
            // output is not the platform's business.
            Err(e) if trimmed.contains("platform.") => {
                return Err(ReadError::at(number, format!("a platform record that is not JSON: {e}")));
            }
            Err(_) => {}
        }
    }
    if invocations.is_empty() {
        return Err(ReadError::at(0, "no REPORT line (text) or platform.report record (JSON) in the file"));
    }
    Ok(LambdaLog { function: log_group_function(text), invocations, notes: Vec::new() })
}

/// The function of the first `/aws/lambda/NAME` in the text.
fn log_group_function(text: &str) -> Option<String> {
    let at = text.find("/aws/lambda/")? + "/aws/lambda/".len();
    let name: String = text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// `(label, value)` pairs of a text REPORT line from `RequestId:` on.
fn fields(text: &str) -> Vec<(&'static str, &str)> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let at_word = i == 0 || bytes[i - 1].is_ascii_whitespace();
        match LABELS.iter().find(|l| at_word && text[i..].starts_with(**l)) {
            Some(label) => {
                found.push((i, label));
                i += label.len();
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    found
        .iter()
        .enumerate()
        .map(|(k, &(at, label))| {
            let end = found.get(k + 1).map_or(text.len(), |next| next.0);
            (label, text[at + label.len()..end].trim())
        })
        .collect()
}

fn text_report(text: &str, line: usize) -> Result<Invocation, ReadError> {
    let mut duration = None;
    let mut invocation = Invocation {
        line,
        duration_ms: 0.0,
        billed_ms: None,
        init_ms: None,
        status: Status::Success,
        status_said: false,
    };
    for (label, value) in fields(text) {
        match label {
            "Duration:" => duration = Some(millis(label, value, line)?),
            "Billed Duration:" => invocation.billed_ms = Some(millis(label, value, line)?),
            "Init Duration:" => invocation.init_ms = Some(millis(label, value, line)?),
            "Status:" => {
                invocation.status_said = true;
                invocation.status = match value {
                    "success" => Status::Success,
                    "timeout" => Status::Timeout,
                    "error" | "failure" => Status::Error,
                    other => {
                        return Err(ReadError::at(
                            line,
                            format!("Status: {other:?} is none of success, error, failure, timeout"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    invocation.duration_ms = duration.ok_or_else(|| ReadError::at(line, "a REPORT line without `Duration: N ms`"))?;
    Ok(invocation)
}

/// `41.27 ms` → 41.27.
fn millis(label: &str, value: &str, line: usize) -> Result<f64, ReadError> {
    let mut parts = value.split_whitespace();
    let number = parts.next().and_then(|n| n.parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0);
    match (number, parts.next()) {
        (Some(v), Some("ms")) => Ok(v),
        _ => Err(ReadError::at(
            line,
            format!("`{label} {value}`: expected a number of milliseconds, e.g. `{label} 41.27 ms`"),
        )),
    }
}

fn json_report(record: &Value, line: usize) -> Result<Invocation, ReadError> {
    let body = &record["record"];
    let metric = |key: &str| -> Result<Option<f64>, ReadError> {
        match &body["metrics"][key] {
            Value::Null => Ok(None),
            v => v.as_f64().filter(|v| *v >= 0.0).map(Some).ok_or_else(|| {
                ReadError::at(line, format!("record.metrics.{key} is {v}, not a number of milliseconds"))
            }),
        }
    };
    let duration_ms = metric("durationMs")?
        .ok_or_else(|| ReadError::at(line, "a platform.report record without record.metrics.durationMs"))?;
    let status_said = body["status"].is_string();
    let status = match body["status"].as_str() {
        None | Some("success") => Status::Success,
        Some("timeout") => Status::Timeout,
        Some("error" | "failure") => Status::Error,
        Some(other) => {
            return Err(ReadError::at(
                line,
                format!("record.status {other:?} is none of success, error, failure, timeout"),
            ));
        }
    };
    Ok(Invocation {
        line,
        duration_ms,
        billed_ms: metric("billedDurationMs")?,
        init_ms: metric("initDurationMs")?,
        status,
        status_said,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_split_on_labels_with_tabs_or_spaces() {
        let tabs = "RequestId: abc\tDuration: 41.27 ms\tBilled Duration: 42 ms \tInit Duration: 310.55 ms\t";
        let spaces = "RequestId: abc Duration: 41.27 ms Billed Duration: 42 ms  Init Duration: 310.55 ms";
        for text in [tabs, spaces] {
            let r = text_report(text, 7).unwrap();
            assert_eq!((r.duration_ms, r.billed_ms, r.init_ms), (41.27, Some(42.0), Some(310.55)));
        }
    }

    #[test]
    fn the_log_group_names_the_function() {
        assert_eq!(log_group_function("group /aws/lambda/orders-v2 stream").as_deref(), Some("orders-v2"));
        assert_eq!(log_group_function("no group"), None);
    }
}
