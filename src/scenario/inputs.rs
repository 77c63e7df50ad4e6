//! The readers of the texts users write inside scenarios, each on its own: a States
//! Language definition, a filter policy, an event pattern and an HTTP/S delivery policy, as
//! JSON text. The fuzz targets and property tests call them; scenarios reach them through
//! their tables. `orchsim match` reads its files through the `*_document` readers and the
//! message readers below, whose errors carry the line and column of bad JSON.
//!
//! A message's attributes are read in AWS's `MessageAttributes` form, as the Publish API
//! takes them [sns-attributes] (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html):
//! `{"store": {"DataType": "String", "StringValue": "example_corp"}}`, with `DataType`
//! `String`, `Number`, `Binary` or `String.Array` (whose `StringValue` is a JSON list), and
//! custom types after a dot (`Number.float`). Elements of a `String.Array` other than
//! strings, which AWS allows, are refused: the filter model compares string elements only.

use std::collections::BTreeMap;
use std::fmt;

use super::topics::{delivery_policy_json, from_serde};
use crate::models::filter_policy::{AttributeValue, EventPattern, FilterPolicy, Json, Scope};
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

/// Why a document is not what it should be; `line` and `column` (from 1) place bad JSON in
/// the text read, and are 0 when the JSON is well formed but its content is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.reason)
        } else {
            f.write_str(&self.reason)
        }
    }
}

impl InputError {
    fn content(reason: impl Into<String>) -> InputError {
        InputError { line: 0, column: 0, reason: reason.into() }
    }
}

/// Any JSON document, its objects' keys in the document's order (so that "the first key that
/// failed" is the first in the file); a repeated key keeps its first place and its last
/// value, as `serde_json` reads it elsewhere.
pub fn json_document(text: &str) -> Result<Json, InputError> {
    serde_json::from_str::<InOrder>(text).map(|InOrder(json)| json).map_err(|e| {
        // The position is given apart, so the message drops its own " at line L column C".
        let message = e.to_string();
        let reason = message.rsplit_once(" at line ").map_or(message.as_str(), |(reason, _)| reason);
        InputError { line: e.line(), column: e.column(), reason: format!("not valid JSON: {reason}") }
    })
}

/// A [`Json`] read straight from the text, without `serde_json::Value`, whose maps sort
/// their keys.
struct InOrder(Json);

impl<'de> serde::Deserialize<'de> for InOrder {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<InOrder, D::Error> {
        deserializer.deserialize_any(InOrderVisitor).map(InOrder)
    }
}

struct InOrderVisitor;

/// Objects up to this many keys look for a repeated key by a scan.
const SCAN_MAX: usize = 16;

impl<'de> serde::de::Visitor<'de> for InOrderVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, x: i64) -> Result<Json, E> {
        Ok(Json::Number(x as f64))
    }

    fn visit_u64<E>(self, x: u64) -> Result<Json, E> {
        Ok(Json::Number(x as f64))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Json, E> {
        Ok(Json::Number(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(InOrder(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields: Vec<(String, Json)> = Vec::new();
        // Past a few keys, a repeated key is found through an index rather than a scan, so
        // that an object of many keys costs no more than its size.
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        while let Some((key, InOrder(value))) = map.next_entry::<String, InOrder>()? {
            if fields.len() == SCAN_MAX && index.is_empty() {
                index.extend(fields.iter().enumerate().map(|(i, (name, _))| (name.clone(), i)));
            }
            let earlier = if index.is_empty() {
                fields.iter().position(|(name, _)| *name == key)
            } else {
                index.get(&key).copied()
            };
            match earlier {
                Some(i) => fields[i].1 = value,
                None => {
                    if !index.is_empty() {
                        index.insert(key.clone(), fields.len());
                    }
                    fields.push((key, value));
                }
            }
        }
        Ok(Json::Object(fields))
    }
}

/// A filter policy file, on message attributes or on the body.
pub fn filter_policy_document(text: &str, on_body: bool) -> Result<FilterPolicy, InputError> {
    let scope = if on_body { Scope::MessageBody } else { Scope::MessageAttributes };
    FilterPolicy::parse(&json_document(text)?, scope, text.len()).map_err(|e| InputError::content(e.to_string()))
}

/// An event pattern file.
pub fn event_pattern_document(text: &str) -> Result<EventPattern, InputError> {
    EventPattern::parse(&json_document(text)?).map_err(|e| InputError::content(e.to_string()))
}

/// An EventBridge event: a JSON object (PutEvents takes nothing else).
pub fn event_document(text: &str) -> Result<Json, InputError> {
    match json_document(text)? {
        event @ Json::Object(_) => Ok(event),
        _ => Err(InputError::content("an EventBridge event is a JSON object, such as {\"source\": \"com.shop\"}")),
    }
}

/// An SNS message's attributes in AWS's `MessageAttributes` form.
pub fn message_attributes_document(text: &str) -> Result<Vec<(String, AttributeValue)>, InputError> {
    let Json::Object(entries) = json_document(text)? else {
        return Err(InputError::content(
            "message attributes are a JSON object, such as {\"store\": {\"DataType\": \"String\", \"StringValue\": \
             \"example_corp\"}}",
        ));
    };
    entries
        .iter()
        .map(|(name, value)| {
            message_attribute(value)
                .map(|value| (name.clone(), value))
                .map_err(|reason| InputError::content(format!("attribute `{name}`: {reason}")))
        })
        .collect()
}

/// One attribute: `{"DataType": …, "StringValue": …}` or `{"DataType": "Binary", "BinaryValue": …}`.
fn message_attribute<'a>(value: &'a Json) -> Result<AttributeValue, String> {
    const FIELDS: &str = "DataType and StringValue (or BinaryValue for Binary)";
    let Json::Object(fields) = value else {
        return Err(format!("must be an object with {FIELDS}"));
    };
    let mut data_type = None;
    let mut string_value = None;
    let mut binary_value = None;
    for (field, value) in fields {
        let slot = match field.as_str() {
            "DataType" => &mut data_type,
            "StringValue" => &mut string_value,
            "BinaryValue" => &mut binary_value,
            "Type" | "Value" => {
                return Err(format!("`{field}` is the delivered notification's form; the Publish form has {FIELDS}"));
            }
            other => return Err(format!("unknown field `{other}`; allowed: {FIELDS}")),
        };
        match value {
            Json::String(s) => *slot = Some(s.as_str()),
            _ => return Err(format!("`{field}` must be a string")),
        }
    }
    let data_type = data_type.ok_or_else(|| format!("`DataType` is missing; allowed: {FIELDS}"))?;
    let base = if data_type == "String.Array" { data_type } else { data_type.split('.').next().unwrap_or("") };
    let needs =
        |value: Option<&'a str>, field: &str| value.ok_or_else(|| format!("a `{data_type}` attribute needs `{field}`"));
    let wrong = |value: Option<&str>, field: &str| match value {
        Some(_) => Err(format!("a `{data_type}` attribute takes no `{field}`")),
        None => Ok(()),
    };
    match base {
        "String" => {
            wrong(binary_value, "BinaryValue")?;
            Ok(AttributeValue::String(needs(string_value, "StringValue")?.to_owned()))
        }
        "Number" => {
            wrong(binary_value, "BinaryValue")?;
            let text = needs(string_value, "StringValue")?;
            match text.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(AttributeValue::Number(x)),
                _ => Err(format!("`StringValue` {text:?} is not a number")),
            }
        }
        "String.Array" => {
            wrong(binary_value, "BinaryValue")?;
            string_array(needs(string_value, "StringValue")?).map(AttributeValue::StringArray)
        }
        "Binary" => {
            wrong(string_value, "StringValue")?;
            needs(binary_value, "BinaryValue")?;
            Ok(AttributeValue::Binary)
        }
        _ => Err(format!(
            "`DataType` {data_type:?} is not one of String, Number, Binary or String.Array (a custom type goes after a dot, \
             such as Number.float)"
        )),
    }
}

/// A `String.Array`'s value: a JSON list, here of strings only.
fn string_array(text: &str) -> Result<Vec<String>, String> {
    let items = match json_document(text) {
        Ok(Json::Array(items)) => items,
        _ => return Err(format!("a `String.Array` attribute's `StringValue` is a JSON list as text; got {text:?}")),
    };
    items
        .into_iter()
        .map(|item| match item {
            Json::String(s) => Ok(s),
            _ => Err("elements of a `String.Array` other than strings (numbers, true, false, null) are not modelled: \
                      the filter model compares string elements only"
                .to_owned()),
        })
        .collect()
}
