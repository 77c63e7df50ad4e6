//! CloudWatch Logs Insights results (`aws logs get-query-results`) of a query over REPORT
//! lines, such as `filter @type = "REPORT" | fields @duration, @billedDuration,
//! @initDuration`:
//!
//! `{"status": "Complete", "results": [[{"field": "@duration", "value": "41.27"}, …], …]}`.
//!
//! Every value is a string; `@duration`, `@billedDuration` and `@initDuration` are in
//! milliseconds; a row of a warm start has no `@initDuration` (or an empty one). The rows
//! say nothing of how an invocation ended. `@ptr` and the other fields are skipped.

use serde_json::Value;

use super::{Invocation, LambdaLog, ReadError, Status};

pub(super) fn read(doc: &Value) -> Result<LambdaLog, ReadError> {
    let rows = doc["results"].as_array().ok_or_else(|| ReadError::at(0, "results is not an array of rows"))?;
    let mut invocations = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = |what: String| ReadError::at(0, format!("results[{i}]: {what}"));
        let cells = row.as_array().ok_or_else(|| at("not an array of fields".into()))?;
        let field = |name: &str| -> Result<Option<f64>, ReadError> {
            let Some(cell) = cells.iter().find(|c| c["field"] == name) else { return Ok(None) };
            match cell["value"].as_str().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => text
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .map(Some)
                    .ok_or_else(|| at(format!("{name} is {text:?}, not a number of milliseconds"))),
            }
        };
        let duration_ms = field("@duration")?.ok_or_else(|| {
            at("no @duration: query the REPORT lines' fields, e.g. filter @type = \"REPORT\" | fields @duration, @billedDuration, @initDuration".into())
        })?;
        invocations.push(Invocation {
            line: i + 1,
            duration_ms,
            billed_ms: field("@billedDuration")?,
            init_ms: field("@initDuration")?,
            status: Status::Success,
            status_said: false,
        });
    }
    if invocations.is_empty() {
        return Err(ReadError::at(0, "results is empty: the query matched no REPORT line"));
    }
    // Running, Timeout or Cancelled results are partial.
    let notes = match doc["status"].as_str() {
        Some("Complete") | None => Vec::new(),
        Some(status) => {
            vec![format!("the Logs Insights query's status is {status}, not Complete: its results may be partial")]
        }
    };
    Ok(LambdaLog { function: None, invocations, notes })
}
