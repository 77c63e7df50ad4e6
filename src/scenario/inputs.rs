//! The readers of the texts users write inside scenarios, each on its own: a States
//! Language definition, a filter policy, an event pattern and an HTTP/S delivery policy, as
//! JSON text. The fuzz targets and property tests call them; scenarios reach them through
//! their tables.

use super::topics::{delivery_policy_json, from_serde};
use crate::models::filter_policy::{EventPattern, FilterPolicy, Scope};
use crate::models::sns::RetryPolicy;
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

/// An EventBridge rule's event pattern.
pub fn event_pattern(text: &str) -> Result<EventPattern, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    EventPattern::parse(&from_serde(&json)).map_err(|e| e.to_string())
}

/// An HTTP/S subscription's delivery policy in AWS's JSON, validated as AWS validates it:
/// the retry policy and `throttlePolicy.maxReceivesPerSecond`.
pub fn delivery_policy(text: &str) -> Result<(RetryPolicy, Option<u32>), String> {
    let policy = delivery_policy_json(text)?;
    let retry = policy.validate().map_err(|e| e.to_string())?;
    Ok((retry, policy.max_receives_per_second))
}
