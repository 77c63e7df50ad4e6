//! The readers of the texts users write inside scenarios, each on its own: a States
//! Language definition and a filter policy or event pattern, as JSON text. The fuzz targets
//! and property tests call them; scenarios reach them through their tables.

use super::topics::from_serde;
use crate::models::filter_policy::{FilterPolicy, Scope};
use crate::models::step_functions::asl;

/// A state machine definition, checked as the scenario reader checks it.
pub fn definition(text: &str) -> Result<asl::Definition, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    asl::parse(&from_serde(&json)).map_err(|e| e.to_string())
}

/// A filter policy on message attributes or on the body (which is also an EventBridge event
/// pattern's grammar).
pub fn filter_policy(text: &str, on_body: bool) -> Result<FilterPolicy, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let scope = if on_body { Scope::MessageBody } else { Scope::MessageAttributes };
    FilterPolicy::parse(&from_serde(&json), scope, text.len()).map_err(|e| e.to_string())
}
