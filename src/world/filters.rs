//! Lambda's event filtering on SQS and Amazon MQ event source mappings, as the world
//! applies it: which filtered mappings a message's body matches, worked out once when the
//! message is made.
//!
//! An Amazon MQ mapping's filters test the record's `data` key (AWS: the only key Amazon MQ
//! records are filtered on; Lambda decodes the base64 `data` and matches the body as JSON).
//! The only body a broker's message has here is the one a workload sent to that broker; a
//! message without one matches no filter, as a plain-text message matches no pattern on
//! `data`'s fields.
//!
//! A mapping's filters test the SQS record's `body` (the only key AWS filters SQS records
//! on), parsed as JSON. The body a queue holds depends on how the message got there, so each
//! filtered mapping sees the body its own queue would receive:
//! - sent by a workload to the queue: the generated body;
//! - published to a topic the queue subscribes to: the published body with raw message
//!   delivery, otherwise the SNS JSON envelope, whose `Message` is the published body as a
//!   *string* (so a pattern on `body.Message` tests that text, and patterns on the published
//!   fields do not match), with `Type` `"Notification"` and the message attributes under
//!   `MessageAttributes` (`{"Type": …, "Value": …}`); the envelope's fields the model does not
//!   have (`MessageId`, `TopicArn`, `Timestamp`, the signature) are absent;
//! - put on an EventBridge bus whose rule targets the queue: the event;
//! - any other way (a queue the topic does not reach, a Step Functions task, a Lambda
//!   destination), or with no generated body: a body the model does not have, which no
//!   filter matches (as AWS drops a record whose body is not JSON under a JSON pattern).
//!
//! The verdicts ride in [`Message::filter_matches`](crate::models::Message), so a message
//! moved to a dead-letter queue keeps them.

use crate::models::filter_policy::{AttributeValue, EventPattern, Json};
use crate::models::sns::TopicId;
use crate::models::sqs::QueueId;
use crate::scenario::{Scenario, SubscriptionTarget, Target};

/// One filtered mapping: its source, its patterns (OR'd) and the topics that deliver to
/// that source, with whether they deliver raw.
struct Filter {
    source: Source,
    patterns: Vec<EventPattern>,
    subscribed: Vec<(TopicId, bool)>,
}

/// Where a filtered mapping's records come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Queue(QueueId),
    Broker(u32),
}

/// The scenario's filtered mappings, in bit order.
pub struct Filters {
    filters: Vec<Filter>,
}

impl Filters {
    pub fn new(scenario: &Scenario) -> Filters {
        let mut filters = Vec::new();
        // In the world's order of mappings: each function's SQS mappings, then its Amazon MQ
        // ones.
        for f in &scenario.functions {
            for e in f.event_sources.iter().filter(|e| !e.filter_patterns.is_empty()) {
                let subscribed = scenario
                    .subscriptions
                    .iter()
                    .filter(|s| s.target == SubscriptionTarget::Queue(e.queue))
                    .map(|s| (s.subscription.topic, s.subscription.raw_message_delivery))
                    .collect();
                let source = Source::Queue(e.queue);
                filters.push(Filter { source, patterns: e.filter_patterns.clone(), subscribed });
            }
            for b in f.broker_sources.iter().filter(|b| !b.filter_patterns.is_empty()) {
                let source = Source::Broker(b.broker);
                filters.push(Filter { source, patterns: b.filter_patterns.clone(), subscribed: Vec::new() });
            }
        }
        assert!(filters.len() <= crate::models::FILTERED_MAPPINGS_MAX, "the reader caps filtered mappings");
        Filters { filters }
    }

    /// True if no mapping filters: nothing to work out.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The bit of the `n`-th filtered mapping.
    pub fn bit(n: usize) -> u16 {
        1 << n
    }

    /// Which filtered mappings a message sent to `target` with this body and these
    /// attributes matches, as each one's queue would receive it.
    pub fn verdicts(&self, target: Target, body: Option<&Json>, attributes: &[(String, AttributeValue)]) -> u16 {
        let mut matches = 0u16;
        for (n, filter) in self.filters.iter().enumerate() {
            if let Source::Broker(broker) = filter.source {
                let Some(body) = body.filter(|_| target == Target::Broker(broker)) else { continue };
                let record = Json::Object(vec![("data".to_string(), body.clone())]);
                if filter.patterns.iter().any(|p| p.matches(&record)) {
                    matches |= Filters::bit(n);
                }
                continue;
            }
            let delivered = match target {
                Target::Queue(q) if Source::Queue(q) == filter.source => body.cloned(),
                Target::Bus(_) => body.cloned(),
                Target::Topic(t) => match filter.subscribed.iter().find(|(topic, _)| *topic == t) {
                    Some((_, true)) => body.cloned(),
                    Some((_, false)) => Some(envelope(body, attributes)),
                    None => None,
                },
                _ => None,
            };
            let Some(delivered) = delivered else { continue };
            let record = Json::Object(vec![("body".to_string(), delivered)]);
            if filter.patterns.iter().any(|p| p.matches(&record)) {
                matches |= Filters::bit(n);
            }
        }
        matches
    }
}

/// The SNS JSON envelope an SQS subscription without raw delivery receives, with the
/// fields the model has.
fn envelope(body: Option<&Json>, attributes: &[(String, AttributeValue)]) -> Json {
    let mut fields = vec![("Type".to_string(), Json::String("Notification".into()))];
    if let Some(body) = body {
        let mut text = String::new();
        write_json(body, &mut text);
        fields.push(("Message".to_string(), Json::String(text)));
    }
    if !attributes.is_empty() {
        let attributes = attributes
            .iter()
            .filter_map(|(name, value)| {
                let (kind, value) = match value {
                    AttributeValue::String(s) => ("String", s.clone()),
                    AttributeValue::Number(x) => ("Number", number_text(*x)),
                    AttributeValue::StringArray(items) => {
                        let mut text = String::new();
                        write_json(&Json::Array(items.iter().cloned().map(Json::String).collect()), &mut text);
                        ("String.Array", text)
                    }
                    AttributeValue::Binary => return None,
                };
                let entry =
                    vec![("Type".to_string(), Json::String(kind.into())), ("Value".to_string(), Json::String(value))];
                Some((name.clone(), Json::Object(entry)))
            })
            .collect();
        fields.push(("MessageAttributes".to_string(), Json::Object(attributes)));
    }
    Json::Object(fields)
}

/// Compact JSON text, as a publisher's SDK would serialise the body.
fn write_json(json: &Json, out: &mut String) {
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(x) => out.push_str(&number_text(*x)),
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Json::Object(fields) => {
            out.push('{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_json(value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A whole number without a fraction, as JSON writers print it.
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_carries_the_body_as_a_string() {
        let body = Json::Object(vec![("kind".into(), Json::String("order".into())), ("n".into(), Json::Number(3.0))]);
        let attributes = vec![("tier".to_string(), AttributeValue::String("gold".into()))];
        let Json::Object(fields) = envelope(Some(&body), &attributes) else { panic!("an object") };
        assert_eq!(fields[1], ("Message".to_string(), Json::String(r#"{"kind":"order","n":3}"#.into())));
        let Json::Object(tier) = &fields[2].1 else { panic!("an object") };
        assert_eq!(tier[0].0, "tier");
    }
}
