//! The field tables of each state type, and the checks and readings of single values:
//! which fields a state may have, numbers, timestamps, JSONata constants, and the names that
//! ARNs and queue URLs carry.

use super::model::*;
use super::read::Dynamic;
use crate::models::filter_policy::Json;

// Field tables, after the spec's table of fields by state type and AWS's JSONata pages.

pub(super) const TOP_FIELDS: &[&str] = &["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"];
pub(super) const STATE_TYPES: [&str; 8] = ["Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];
pub(super) const LANGUAGES: &str = "must be \"JSONPath\" or \"JSONata\" (ASL)";
pub(super) const COMMON_FIELDS: [&str; 3] = ["Type", "Comment", "QueryLanguage"];
pub(super) const TASK_FIELDS: &[&str] = &[
    "Resource",
    "Parameters",
    "Arguments",
    "Credentials",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
pub(super) const PASS_FIELDS: &[&str] =
    &["Result", "Parameters", "InputPath", "OutputPath", "ResultPath", "Output", "Assign", "Next", "End"];
pub(super) const CHOICE_FIELDS: &[&str] = &["Choices", "Default", "InputPath", "OutputPath", "Output", "Assign"];
pub(super) const WAIT_FIELDS: &[&str] = &[
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
    "Next",
    "End",
];
pub(super) const SUCCEED_FIELDS: &[&str] = &["InputPath", "OutputPath", "Output"];
pub(super) const FAIL_FIELDS: &[&str] = &["Error", "ErrorPath", "Cause", "CausePath"];
pub(super) const PARALLEL_FIELDS: &[&str] = &[
    "Branches",
    "Parameters",
    "Arguments",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
pub(super) const MAP_FIELDS: &[&str] = &[
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "Parameters",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
/// Map fields of Distributed mode only.
pub(super) const DISTRIBUTED_MAP_FIELDS: [&str; 8] = [
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
];
/// One retrier or catcher object, at `path` (e.g. `Retry[2]`).
pub(super) struct HandlerEntry<'a> {
    pub(super) path: String,
    pub(super) fields: &'a [(String, Json)],
    pub(super) last: bool,
}

pub(super) const RETRIER_FIELDS: &[&str] =
    &["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"];
pub(super) const CATCHER_FIELDS: &[&str] = &["ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"];
pub(super) const JSONPATH_ONLY: [&str; 17] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "Variable",
];
pub(super) const JSONATA_ONLY: [&str; 4] = ["Arguments", "Output", "Items", "Condition"];

pub(super) fn fields_of(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "Task" => TASK_FIELDS,
        "Pass" => PASS_FIELDS,
        "Choice" => CHOICE_FIELDS,
        "Wait" => WAIT_FIELDS,
        "Succeed" => SUCCEED_FIELDS,
        "Fail" => FAIL_FIELDS,
        "Parallel" => PARALLEL_FIELDS,
        _ => MAP_FIELDS,
    }
}

pub(super) fn not_allowed(type_name: &str, key: &str, allowed: &[&str]) -> String {
    match (type_name, key) {
        (_, "Retry" | "Catch") => format!("only Task, Parallel and Map states have {key} (ASL)"),
        ("Choice", "End") => "a Choice state cannot be End (ASL)".to_string(),
        ("Choice", "Next") => "a Choice state has no Next: its rules and Default name where to go (ASL)".to_string(),
        ("Succeed" | "Fail", "Next" | "End") => format!("a {type_name} state is terminal: no Next, no End (ASL)"),
        _ => {
            let fields: Vec<&str> = COMMON_FIELDS.iter().chain(allowed).copied().collect();
            format!("not a field of a {type_name} state, which takes {} (ASL)", fields.join(", "))
        }
    }
}

/// Unknown and repeated keys of a nested object (a branch, a retrier, ...) at `path`.
pub(super) fn check_keys(
    fields: &[(String, Json)],
    allowed: &[&str],
    state: Option<&str>,
    path: &str,
) -> Result<(), AslError> {
    for (i, (key, _)) in fields.iter().enumerate() {
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        if fields[..i].iter().any(|(earlier, _)| earlier == key) {
            return Err(error(state, at, "appears twice (ASL)"));
        }
        if !allowed.contains(&key.as_str()) {
            return Err(error(state, at, format!("not a field here; allowed: {} (ASL)", allowed.join(", "))));
        }
    }
    Ok(())
}

pub(super) fn error(state: Option<&str>, field: impl Into<String>, message: impl Into<String>) -> AslError {
    AslError { state: state.map(str::to_string), field: field.into(), message: message.into() }
}

pub(super) fn field<'j>(fields: &'j [(String, Json)], name: &str) -> Option<&'j Json> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

pub(super) fn query_language(value: &Json) -> Option<QueryLanguage> {
    match value {
        Json::String(s) if s == "JSONPath" => Some(QueryLanguage::JsonPath),
        Json::String(s) if s == "JSONata" => Some(QueryLanguage::Jsonata),
        _ => None,
    }
}

/// A whole number from `min` to `max`.
pub(super) fn whole(value: &Json, min: u64, max: u64) -> Option<u64> {
    match value {
        Json::Number(x) if x.fract() == 0.0 && *x >= min as f64 && *x <= max as f64 => Some(*x as u64),
        _ => None,
    }
}

pub(super) fn split<T>(value: Option<Dynamic<T>>) -> (Option<T>, bool) {
    match value {
        None => (None, false),
        Some(Dynamic::Value(v)) => (Some(v), false),
        Some(Dynamic::FromData) => (None, true),
    }
}

/// A JSONata expression: `{% ... %}`.
pub(super) fn is_jsonata(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// The string a JSONata expression evaluates to when it is nothing but a string literal:
/// `{% 'Foo' %}` or `{% "Foo" %}`, with any whitespace around it. None for anything else,
/// escapes included (the data, or more than a constant, decides).
pub(super) fn jsonata_constant(s: &str) -> Option<&str> {
    let body = s.strip_prefix("{%")?.strip_suffix("%}")?.trim();
    let quote = body.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = body.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\\')).then_some(inner)
}

/// RFC 3339 as ASL restricts it: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or
/// `±HH:MM`, with an uppercase `T` and `Z`.
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| b.get(from..from + n).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let two = |at: usize| u32::from(b[at] - b'0') * 10 + u32::from(b[at + 1] - b'0');
    let shape = [(0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2)].iter().all(|&(at, n)| digits(at, n))
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':';
    // A leap second (60) is allowed, as RFC 3339 allows it.
    if !shape
        || !(1..=12).contains(&two(5))
        || !(1..=31).contains(&two(8))
        || two(11) > 23
        || two(14) > 59
        || two(17) > 60
    {
        return false;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let end = at + 1 + b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if end == at + 1 {
            return false;
        }
        at = end;
    }
    match b.get(at) {
        Some(b'Z') => at + 1 == b.len(),
        Some(b'+' | b'-') => {
            at + 6 == b.len() && digits(at + 1, 2) && b[at + 3] == b':' && digits(at + 4, 2) && two(at + 1) <= 23
        }
        _ => false,
    }
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp as a Wait state takes it;
/// fractions of a second are dropped, as Step Functions truncates them (§4).
pub fn timestamp_epoch_s(s: &str) -> Option<i64> {
    if !is_timestamp(s) {
        return None;
    }
    let b = s.as_bytes();
    let num = |from: usize, n: usize| s[from..from + n].parse::<i64>().ok();
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let zone = 19 + b[19..].iter().take_while(|c| !matches!(c, b'Z' | b'+' | b'-')).count();
    let offset_s = match b[zone] {
        b'Z' => 0,
        sign => {
            let minutes = num(zone + 1, 2)? * 60 + num(zone + 4, 2)?;
            if sign == b'-' { -minutes * 60 } else { minutes * 60 }
        }
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset_s)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What a Task argument names, for error messages.
pub(super) fn noun(key: &str) -> &'static str {
    match key {
        "FunctionName" => "Lambda function",
        "QueueUrl" => "queue (expected a queue URL)",
        "TopicArn" => "topic (expected a topic ARN)",
        _ => "state machine (expected a state machine ARN)",
    }
}

/// `my-function`, `my-function:alias`, `123456789012:function:my-function` or a full
/// function ARN with or without a version or alias: the function's name.
pub(super) fn function_name(value: &str) -> Option<&str> {
    let name = match value.split_once(":function:") {
        Some((_, rest)) => rest,
        None if value.starts_with("arn:") => return None,
        None => value,
    };
    name.split(':').next().filter(|n| !n.is_empty())
}

/// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (any host, `http` too): the last path
/// segment. Anything else is not a queue URL.
pub(super) fn queue_name(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let (_, name) = path.trim_end_matches('/').rsplit_once('/')?;
    (!host.is_empty() && !name.is_empty()).then_some(name)
}

/// An AWS account ID: 12 digits.
pub(super) fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME`: the name. Anything else is not a topic ARN.
pub(super) fn topic_name(arn: &str) -> Option<&str> {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", partition, "sns", region, account, name]
            if !partition.is_empty() && !region.is_empty() && !account.is_empty() && !name.is_empty() =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:version or alias]`: the name.
pub(super) fn state_machine_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":stateMachine:")?;
    rest.split(':').next().filter(|n| !n.is_empty())
}
