//! `[sns.NAME]` topics, `[subscription.NAME]` subscriptions and `[endpoint.NAME]` customer
//! endpoints, checked against SNS's rules (`reference/aws-messaging.md` §2).

use std::collections::BTreeMap;
use std::path::Path;

use super::lower::{component_ref, distribution_per_table, opt};
use super::tree::{Field, Node, Result, Source, TableReader, Value};
use crate::distributions::Distribution;
use crate::engine::SimTime;
use crate::models::endpoint::{self, FailureKind};
use crate::models::filter_policy::{FilterPolicy, Json, Scope};
use crate::models::sns::retry::{BackoffFunction, HttpDeliveryPolicy};
use crate::models::sns::{self, Protocol, TopicId};

/// Publish quota of standard topics, messages per second per account and Region [gr-sns].
pub(super) fn standard_publish_quota(region: &str) -> f64 {
    match region {
        "us-east-1" => 30_000.0,
        "us-west-2" | "eu-west-1" => 9_000.0,
        "us-east-2" | "us-west-1" | "ap-south-1" | "ap-northeast-2" | "ap-southeast-1" | "ap-southeast-2"
        | "ap-northeast-1" | "eu-central-1" => 1_500.0,
        _ => 300.0,
    }
}

/// Publish quota of FIFO topics, messages per second per account and Region [gr-sns].
fn fifo_publish_quota(region: &str) -> f64 {
    match region {
        "us-east-1" => 30_000.0,
        "us-west-2" | "eu-west-1" => 9_000.0,
        _ => 3_000.0,
    }
}

/// Names of the components subscriptions can point at.
pub(super) struct Targets<'a> {
    pub topics: &'a BTreeMap<String, TopicId>,
    pub topic_is_fifo: &'a [bool],
    pub queues: &'a super::queues::Queues,
    pub functions: &'a BTreeMap<String, u32>,
    pub endpoints: &'a BTreeMap<String, u32>,
    pub endpoint_protocols: &'a [Protocol],
}

/// Where a subscription delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionTarget {
    Queue(crate::models::sqs::QueueId),
    Function(u32),
    Endpoint(u32),
}

pub(super) fn lower_topic(src: &Source<'_>, name: &str, node: &Node) -> Result<sns::TopicConfig> {
    let mut t = TableReader::new(src, format!("sns.{name}"), node)?;
    let is_fifo = opt(&mut t, "fifo", |f, p| f.bool(p))?.unwrap_or(false);
    let region = opt(&mut t, "region", |f, p| super::queues::check_region(f, p).map(str::to_string))?
        .unwrap_or_else(|| "us-east-1".into());
    let throughput_scope = match opt(&mut t, "fifo_throughput_scope", |f, p| {
        if !is_fifo {
            return Err(f.error(p, "applies to FIFO topics only (set fifo = true), as AWS's FifoThroughputScope does"));
        }
        match f.one_of_per_table(p)? {
            "message_group" => Ok(sns::FifoThroughputScope::MessageGroup),
            _ => Ok(sns::FifoThroughputScope::Topic),
        }
    })? {
        Some(scope) => scope,
        None => sns::FifoThroughputScope::Topic,
    };
    let account_messages_per_s = if is_fifo { fifo_publish_quota(&region) } else { standard_publish_quota(&region) };
    t.finish()?;
    Ok(sns::TopicConfig { name: name.to_string(), is_fifo, region, account_messages_per_s, throughput_scope })
}

fn failure_kind(f: &Field<'_>, p: &str) -> Result<FailureKind> {
    Ok(match f.one_of_per_table(p)? {
        "429" => FailureKind::Throttled429,
        "4xx" => FailureKind::ClientError4xx,
        "timeout" => FailureKind::Timeout,
        _ => FailureKind::ServerError5xx,
    })
}

pub(super) fn lower_endpoint(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    base_dir: &Path,
) -> Result<(endpoint::Config, Protocol)> {
    let mut t = TableReader::new(src, format!("endpoint.{name}"), node)?;
    let (f, p) = t.require("protocol", "how SNS reaches it: http, https, email, email-json, sms or application")?;
    let protocol = match f.one_of_per_table(&p)? {
        "http" => Protocol::Http,
        "https" => Protocol::Https,
        "email" => Protocol::Email,
        "email-json" => Protocol::EmailJson,
        "sms" => Protocol::Sms,
        "application" => Protocol::MobilePush,
        other => unreachable!("protocol {other} of the key table has no model"),
    };
    let response_time_s = opt(&mut t, "response_time_s", |f, p| {
        distribution_per_table(*f, p, base_dir, "endpoint.NAME.response_time_s")
    })?
    .unwrap_or(Distribution::constant(0.1));
    let failure_rate =
        opt(&mut t, "failure_rate", |f, p| f.number_per_table(p, "endpoint.NAME.failure_rate"))?.unwrap_or(0.0);
    let failure = opt(&mut t, "failure", failure_kind)?.unwrap_or(FailureKind::ServerError5xx);
    let outage_failure = opt(&mut t, "outage_failure", failure_kind)?.unwrap_or(FailureKind::ServerError5xx);
    let outages = opt(&mut t, "outages", |f, p| {
        let mut windows = Vec::new();
        for (i, item) in f.array(p)?.iter().enumerate() {
            let pair = item.array(p)?;
            if pair.len() != 2 {
                return Err(item.error(p, "each outage is a [from_s, to_s] pair"));
            }
            let from = pair[0].number_per_table(&format!("{p}[{i}].from_s"), "endpoint.NAME.outages[].from_s")?;
            let to_path = format!("{p}[{i}].to_s");
            let to = pair[1].number_per_table(&to_path, "endpoint.NAME.outages[].to_s")?;
            if to <= from {
                return Err(pair[1].error(&to_path, "an outage must end after it starts"));
            }
            windows.push((SimTime::from_secs_f64(from), SimTime::from_secs_f64(to)));
        }
        Ok(windows)
    })?
    .unwrap_or_default();
    t.finish()?;
    let config =
        endpoint::Config { name: name.to_string(), response_time_s, failure_rate, failure, outages, outage_failure };
    Ok((config, protocol))
}

pub(super) fn lower_subscription(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    targets: &Targets<'_>,
) -> Result<(sns::SubscriptionConfig, SubscriptionTarget, Option<crate::models::sqs::QueueId>)> {
    let path = format!("subscription.{name}");
    let mut t = TableReader::new(src, path.clone(), node)?;
    let (f, p) = t.require("topic", "the topic, e.g. \"sns.orders\"")?;
    let topic = component_ref(f, &p, "sns", "topic", targets.topics)?;
    let is_fifo_topic = targets.topic_is_fifo[topic.0 as usize];
    let (f, p) = t.require("endpoint", "where it delivers: \"sqs.NAME\", \"lambda.NAME\" or \"endpoint.NAME\"")?;
    let endpoint_text = f.str(&p)?;
    let (target, protocol) = match endpoint_text.split_once('.').map(|(k, _)| k) {
        Some("sqs") => {
            let q = component_ref(f, &p, "sqs", "queue", &targets.queues.names)?;
            if !is_fifo_topic && targets.queues.is_fifo(q) {
                return Err(f.error(
                    &p,
                    "a standard topic cannot deliver to a FIFO queue (AWS: FIFO queues take FIFO topics only)",
                ));
            }
            (SubscriptionTarget::Queue(q), Protocol::Sqs)
        }
        Some("lambda") => (
            SubscriptionTarget::Function(component_ref(f, &p, "lambda", "function", targets.functions)?),
            Protocol::Lambda,
        ),
        Some("endpoint") => {
            let e = component_ref(f, &p, "endpoint", "endpoint", targets.endpoints)?;
            (SubscriptionTarget::Endpoint(e), targets.endpoint_protocols[e as usize])
        }
        _ => return Err(f.error(&p, "must be \"sqs.NAME\", \"lambda.NAME\" or \"endpoint.NAME\"")),
    };
    if is_fifo_topic && protocol != Protocol::Sqs {
        return Err(f.error(&p, "FIFO topics deliver to SQS queues only (AWS: no Lambda, HTTP, email, SMS or push)"));
    }
    let scope = opt(&mut t, "filter_policy_scope", |f, p| match f.one_of_per_table(p)? {
        "MessageBody" => Ok(Scope::MessageBody),
        _ => Ok(Scope::MessageAttributes),
    })?
    .unwrap_or(Scope::MessageAttributes);
    let filter = opt(&mut t, "filter_policy", |f, p| filter_policy(f, p, scope))?.map(|policy| (policy, scope));
    let raw_message_delivery = opt(&mut t, "raw_message_delivery", |f, p| {
        if !matches!(protocol, Protocol::Sqs | Protocol::Http | Protocol::Https) {
            return Err(f.error(
                p,
                "raw message delivery applies to SQS and HTTP/S subscriptions only (AWS RawMessageDelivery)",
            ));
        }
        f.bool(p)
    })?
    .unwrap_or(false);
    let dead_letter_queue = opt(&mut t, "dead_letter_queue", |f, p| {
        let q = component_ref(*f, p, "sqs", "queue", &targets.queues.names)?;
        if targets.queues.is_fifo(q) != is_fifo_topic {
            return Err(f.error(
                p,
                "a FIFO topic's subscription needs a FIFO dead-letter queue, a standard topic's a standard one (AWS)",
            ));
        }
        Ok(q)
    })?;
    let (retry, max_receives_per_second) = match t.get("delivery_policy") {
        Some((f, p)) => {
            if !matches!(protocol, Protocol::Http | Protocol::Https) {
                return Err(
                    f.error(&p, "only HTTP/S subscriptions take a delivery policy (AWS manages the others' retries)")
                );
            }
            delivery_policy(f, &p)?
        }
        None => (protocol.default_retry_policy(), None),
    };
    t.finish()?;
    let config = sns::SubscriptionConfig {
        name: name.to_string(),
        topic,
        protocol,
        filter,
        raw_message_delivery,
        retry,
        has_dead_letter_queue: dead_letter_queue.is_some(),
        max_receives_per_second,
    };
    Ok((config, target, dead_letter_queue))
}

/// A filter policy, written as the JSON AWS takes (a string), or as a TOML table.
fn filter_policy(f: &Field<'_>, p: &str, scope: Scope) -> Result<FilterPolicy> {
    let (json, bytes) = match &f.node.value {
        Value::Str(text) => {
            let parsed: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| f.error(p, format!("not valid JSON at line {} column {}: {e}", e.line(), e.column())))?;
            (from_serde(&parsed), text.len())
        }
        Value::Table(_) => {
            let json = from_tree(f.node);
            let bytes = render_len(&json);
            (json, bytes)
        }
        other => {
            return Err(
                f.error(p, format!("expected the policy as a JSON string or a table, found {}", other.type_name()))
            );
        }
    };
    FilterPolicy::parse(&json, scope, bytes).map_err(|e| f.error(p, e.to_string()))
}

pub(super) fn from_serde(v: &serde_json::Value) -> Json {
    match v {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(b) => Json::Bool(*b),
        serde_json::Value::Number(n) => Json::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Json::String(s.clone()),
        serde_json::Value::Array(a) => Json::Array(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect()),
    }
}

pub(super) fn from_tree(node: &Node) -> Json {
    match &node.value {
        Value::Str(s) => Json::String(s.clone()),
        Value::Int(i) => Json::Number(*i as f64),
        Value::Float(x) => Json::Number(*x),
        Value::Bool(b) => Json::Bool(*b),
        Value::Datetime(d) => Json::String(d.clone()),
        Value::Array(items) => Json::Array(items.iter().map(from_tree).collect()),
        Value::Table(t) => Json::Object(t.iter().map(|(k, (_, n))| (k.clone(), from_tree(n))).collect()),
    }
}

/// The size the policy would have as compact JSON (AWS's 256 KB limit counts that).
fn render_len(json: &Json) -> usize {
    match json {
        Json::Null => 4,
        Json::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Json::Number(n) => n.to_string().len(),
        Json::String(s) => s.len() + 2,
        Json::Array(items) => 2 + items.iter().map(render_len).sum::<usize>() + items.len().saturating_sub(1),
        Json::Object(fields) => {
            2 + fields.iter().map(|(k, v)| k.len() + 3 + render_len(v)).sum::<usize>() + fields.len().saturating_sub(1)
        }
    }
}

/// An HTTP/S delivery policy: AWS's JSON as a string (`healthyRetryPolicy`,
/// `throttlePolicy`, `requestPolicy`, as `aws sns set-subscription-attributes` takes it), or
/// the same fields flattened into one table.
fn delivery_policy(f: Field<'_>, p: &str) -> Result<(sns::RetryPolicy, Option<u32>)> {
    let policy = match &f.node.value {
        Value::Str(text) => delivery_policy_json(text).map_err(|e| f.error(p, e))?,
        _ => delivery_policy_table(&f, p)?,
    };
    let retry = policy.validate().map_err(|e| f.error(p, e.to_string()))?;
    Ok((retry, policy.max_receives_per_second))
}

fn delivery_policy_table(f: &Field<'_>, p: &str) -> Result<HttpDeliveryPolicy> {
    let mut t = TableReader::new(f.src, p.to_string(), f.node)?;
    let mut policy = HttpDeliveryPolicy::default();
    let whole = |t: &mut TableReader<'_>, key: &'static str| opt(t, key, |f, p| f.whole_in_table(p).map(|v| v as u32));
    if let Some(v) = whole(&mut t, "minDelayTarget")? {
        policy.min_delay_target_s = v;
    }
    if let Some(v) = whole(&mut t, "maxDelayTarget")? {
        policy.max_delay_target_s = v;
    }
    if let Some(v) = whole(&mut t, "numRetries")? {
        policy.num_retries = v;
    }
    if let Some(v) = whole(&mut t, "numNoDelayRetries")? {
        policy.num_no_delay_retries = v;
    }
    if let Some(v) = whole(&mut t, "numMinDelayRetries")? {
        policy.num_min_delay_retries = v;
    }
    if let Some(v) = whole(&mut t, "numMaxDelayRetries")? {
        policy.num_max_delay_retries = v;
    }
    if let Some(b) = opt(&mut t, "backoffFunction", |f, p| {
        let name = f.one_of_per_table(p)?;
        Ok(backoff_function(name)
            .unwrap_or_else(|| unreachable!("backoff function {name} of the key table has no model")))
    })? {
        policy.backoff_function = b;
    }
    policy.max_receives_per_second = opt(&mut t, "maxReceivesPerSecond", |f, p| {
        f.whole_per_table(p, "subscription.NAME.delivery_policy.maxReceivesPerSecond").map(|v| v as u32)
    })?;
    t.finish()?;
    Ok(policy)
}

const BACKOFF_FUNCTIONS: &str = "allowed: linear, arithmetic, geometric, exponential (AWS backoffFunction)";

fn backoff_function(name: &str) -> Option<BackoffFunction> {
    match name {
        "linear" => Some(BackoffFunction::Linear),
        "arithmetic" => Some(BackoffFunction::Arithmetic),
        "geometric" => Some(BackoffFunction::Geometric),
        "exponential" => Some(BackoffFunction::Exponential),
        _ => None,
    }
}

/// AWS's JSON delivery policy of a subscription. Unknown fields are errors, as they are for
/// AWS; `requestPolicy` (the Content-Type header) is accepted and changes no timing.
pub(super) fn delivery_policy_json(text: &str) -> std::result::Result<HttpDeliveryPolicy, String> {
    use serde_json::Value as J;
    let json: J = serde_json::from_str(text)
        .map_err(|e| format!("not valid JSON at line {} column {}: {e}", e.line(), e.column()))?;
    let J::Object(top) = json else {
        return Err("a delivery policy is a JSON object with healthyRetryPolicy and throttlePolicy".into());
    };
    let object = |v: &J, at: &str| match v {
        J::Object(m) => Ok(m.clone()),
        _ => Err(format!("{at} must be a JSON object")),
    };
    // The same ranges as the table form's keys, from their entries in the key table.
    let whole = |v: &J, at: &str, field: &str| {
        let key = super::keys::entry(&format!("subscription.NAME.delivery_policy.{field}"));
        let super::keys::Range::Whole { min, max } = key.range else {
            unreachable!("{} has a whole-number range in the key table", key.path)
        };
        v.as_u64()
            .filter(|n| (min..=max).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| format!("{at} must be a whole number from {min} to {max}, found {v} ({})", key.why()))
    };
    let mut policy = HttpDeliveryPolicy::default();
    for (key, value) in &top {
        match key.as_str() {
            "healthyRetryPolicy" => {
                for (field, v) in object(value, key)? {
                    let at = format!("healthyRetryPolicy.{field}");
                    match field.as_str() {
                        "minDelayTarget" => policy.min_delay_target_s = whole(&v, &at, &field)?,
                        "maxDelayTarget" => policy.max_delay_target_s = whole(&v, &at, &field)?,
                        "numRetries" => policy.num_retries = whole(&v, &at, &field)?,
                        "numNoDelayRetries" => policy.num_no_delay_retries = whole(&v, &at, &field)?,
                        "numMinDelayRetries" => policy.num_min_delay_retries = whole(&v, &at, &field)?,
                        "numMaxDelayRetries" => policy.num_max_delay_retries = whole(&v, &at, &field)?,
                        "backoffFunction" => {
                            policy.backoff_function = v
                                .as_str()
                                .and_then(backoff_function)
                                .ok_or_else(|| format!("{at}: {v} is not a backoff function; {BACKOFF_FUNCTIONS}"))?;
                        }
                        _ => return Err(format!("{at} is not a field of AWS's healthyRetryPolicy")),
                    }
                }
            }
            "throttlePolicy" => {
                for (field, v) in object(value, key)? {
                    let at = format!("throttlePolicy.{field}");
                    match field.as_str() {
                        "maxReceivesPerSecond" => {
                            policy.max_receives_per_second = Some(whole(&v, &at, &field)?);
                        }
                        _ => return Err(format!("{at} is not a field of AWS's throttlePolicy")),
                    }
                }
            }
            "requestPolicy" => {
                object(value, key)?;
            }
            _ => {
                return Err(format!(
                    "{key} is not a field of a subscription's delivery policy (healthyRetryPolicy, throttlePolicy, requestPolicy)"
                ));
            }
        }
    }
    Ok(policy)
}
