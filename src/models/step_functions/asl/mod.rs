//! The Amazon States Language reader: a state machine definition, already turned from JSON
//! text into a [`Json`] tree by the caller, is checked as AWS would check it and lowered into
//! a flat, typed [`Definition`] that an interpreter walks by index.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §4 [ASL] [DOC-cur state-task.html]
//! [DOC-cur state-map-inline.html] [DOC-cur state-map-distributed.html] [SCHEMA]:
//! - top level: `StartAt` and `States` (required), `Comment`, `Version` ("1.0"),
//!   `TimeoutSeconds`, `QueryLanguage` (`JSONPath`, the default, or `JSONata`);
//! - the eight state types and the fields that steer control flow. Every scope (the top
//!   level, each Parallel branch, each Map item processor) is flattened into one vector of
//!   states, indexed by [`StateId`]; [`Scope`] lists the states of each. `Next`, `Default`
//!   and a catcher's `Next` resolve to states of their own scope only [ASL];
//! - `Retry` (§4.1: defaults 1 s, 3 attempts, backoff 2.0; limits) and `Catch`, only on Task,
//!   Parallel and Map; `States.ALL` alone and in the last retrier or catcher;
//! - Task resources (§4.3): the service integration `arn:aws:states:::SERVICE:ACTION`, its
//!   pattern suffix (`.sync`, `.sync:2`, `.waitForTaskToken`) and the support matrix, AWS SDK
//!   integrations, activities and Lambda function ARNs, classified into [`Resource`];
//! - which error names a retrier or catcher matches (§4.2): [`error_matches`].
//!
//! Deliberately absent:
//! - data processing. `InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath`,
//!   `Arguments`, `Output`, `Assign`, `Items`, `ItemSelector`, `ItemReader`, `ItemBatcher`,
//!   `ResultWriter`, `Credentials` and the like are accepted where ASL allows them and never
//!   evaluated: a `"Key.$"` JSONPath or a `{% %}` JSONata string is just text here;
//! - Choice conditions are checked for shape only (operators, operand types, `And`/`Or`/`Not`
//!   nesting, JSONata `Condition`), never evaluated: [`Choice`] keeps only where each rule
//!   leads. Choosing a branch is the interpreter's business;
//! - whether the machine runs as Standard or Express: the definition does not say. What needs
//!   a Standard workflow (§2) is reported by [`Definition::standard_only_feature`];
//! - the 1 MB definition limit (the scenario reader checks the file's size), the 60 s limit of HTTP tasks, and
//!   limits on the characters of names and labels.
//!
//! How this module reads the reference where it leaves room (each a choice):
//! - **Task timeout**: the spec's default `TimeoutSeconds` is 60 s; AWS's is 99,999,999 s
//!   (§1 item 6). This module follows AWS: [`TASK_TIMEOUT_DEFAULT_S`]. An absent
//!   `HeartbeatSeconds` is `None` (AWS's default of 99,999,999 s means no heartbeat).
//! - **Values from the data**: a `...Path` field (JSONPath) or a `{% %}` expression
//!   (JSONata) in place of a number leaves the number unknown until run time; the `_path`
//!   flags say so. A function, queue, topic or state machine named by `"FunctionName.$"` or
//!   an expression is [`Target::FromData`]; an expression that is only a string literal
//!   (`{% 'Foo' %}`, `{% "Foo" %}`) evaluates to that string and names its target like the
//!   literal would.
//! - **Addresses checked at run time**: AWS does not check a `QueueUrl` or `TopicArn` when
//!   it accepts a definition; a literal that is no queue URL or topic ARN (a bare name, a
//!   deployment's token left in place) is [`Target::Malformed`], with the error the call
//!   then fails with ([`SQS_INVALID_ADDRESS`], [`SNS_INVALID_PARAMETER`] and their AWS SDK
//!   forms). Function names and state machine ARNs are checked here, as before.
//! - **Lambda function ARNs without Region and account** (`arn:aws:lambda:::function:NAME`)
//!   as a `Resource` name the function NAME: AWS's pattern for resource ARNs admits both
//!   empty, and deployed definitions use the form.
//! - **Regional AWS SDK resources**: `arn:aws:states:REGION:ACCOUNT:aws-sdk:SERVICE:ACTION`,
//!   which deployed definitions use, is read as the `:::` form; optimized integrations keep
//!   the `:::` form only.
//! - **Integers**: `IntervalSeconds` and `MaxDelaySeconds` are integers (§4.1), so
//!   [`Retrier`] holds them as integers; only the backoff makes delays fractional.
//! - **Support matrix** (§4.3): `.sync:2` is accepted wherever `.sync` is. Services the
//!   matrix does not list accept every pattern. The optimized Lambda, SQS, SNS and Step
//!   Functions integrations have one action each (`invoke`, `sendMessage`, `publish`,
//!   `startExecution`); another action is an error that points to the AWS SDK integration.
//!   An AWS SDK call of one of those four APIs is classified like the optimized one.
//! - **Required arguments**: `lambda:invoke` needs `FunctionName`, `sqs:sendMessage`
//!   `QueueUrl`, `sns:publish` `TopicArn` (or `TargetArn` or `PhoneNumber`, a publish to no
//!   topic: [`Target::Endpoint`]) and `states:startExecution` `StateMachineArn`, since the APIs require them and
//!   the simulator must know where the call goes.
//! - **Error matching** (§4.2): `States.DataLimitExceeded` and `States.Runtime` are matched
//!   only when named, by neither `States.ALL` nor `States.TaskFailed`. A missed heartbeat is
//!   raised as `States.HeartbeatTimeout` (the spec's name) and matched by `States.Timeout`
//!   too, since AWS's state-task page says heartbeat expiry fails the task with
//!   `States.Timeout` and AWS's sample workflows catch it so: whichever name AWS raises, a
//!   definition's retriers and catchers see it as AWS would (§10 item 2; the model's
//!   choice). `States.TaskFailed` matches every other name except the timeouts (AWS says
//!   "any known error name except States.Timeout"), heartbeat expiry included.
//!   `States.Runtime` is never retried even when named: [`is_retriable`].
//! - **Names**: state names are unique across the whole machine, branches and iterations
//!   included (AWS rejects a definition with `DUPLICATE_STATE_NAME`).
//! - **Reachability**: every state must be reachable from its scope's `StartAt` along
//!   `Next`, Choice rules, `Default` and catchers (AWS rejects others with
//!   `MISSING_TRANSITION_TARGET: State "X" is not reachable`).
//! - **Fields per state type** follow the spec's table; any other field is an error naming
//!   the state and the field, so typos are caught. JSONPath-only fields (the five data paths,
//!   `Result`, `ItemsPath` and every `...Path`) are errors in a JSONata state, and
//!   `Arguments`, `Output`, `Items` and `Condition` in a JSONPath one. A JSONata machine
//!   cannot hold JSONPath states [DOC-cur statemachine-structure.html]. States inside a
//!   branch or iteration take the machine's language, not their enclosing state's.
//! - **Map**: `ItemReader`, `ItemBatcher`, `ResultWriter`, `Label` and the tolerated-failure
//!   fields belong to Distributed Maps and are errors on an Inline one; `ExecutionType` is
//!   required with `Mode: DISTRIBUTED` and refused with `INLINE`. `MaxConcurrency` is kept as
//!   written; [`Map::concurrency_limit`] applies AWS's caps (40 inline, 10,000 distributed).
//! - `Version`, when given, must be "1.0"; `End`, when given, must be `true`.
//!
//! States are numbered scope by scope in document order: the top level's states first (in
//! the order the [`Json`] object lists them), then each nested scope as its state is met,
//! so the states of one scope have consecutive ids. `scopes[0]` is the top level.

mod fields;
mod model;
mod read;
#[cfg(test)]
mod tests;

pub use fields::timestamp_epoch_s;
pub use model::*;

use crate::models::filter_policy::Json;
use fields::*;
use read::Builder;

/// Reads a definition. Errors name the state and the field.
pub fn parse(definition: &Json) -> Result<Definition, AslError> {
    let Json::Object(fields) = definition else {
        return Err(error(None, "", "a state machine definition is a JSON object (ASL)"));
    };
    check_keys(fields, TOP_FIELDS, None, "")?;
    let query_language = match field(fields, "QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(value) => query_language(value).ok_or_else(|| error(None, "QueryLanguage", LANGUAGES))?,
    };
    if field(fields, "Version").is_some_and(|v| *v != Json::String("1.0".into())) {
        return Err(error(None, "Version", "must be \"1.0\" (ASL)"));
    }
    let timeout_seconds =
        match field(fields, "TimeoutSeconds") {
            None => None,
            Some(value) => Some(whole(value, 1, SECONDS_MAX).ok_or_else(|| {
                error(None, "TimeoutSeconds", "must be a positive integer of at most 99,999,999 (AWS)")
            })?),
        };
    let mut builder = Builder::new(query_language);
    builder.scope(field(fields, "StartAt"), field(fields, "States"), ScopeKind::Top, None, "")?;
    builder.finish(timeout_seconds)
}

/// True if an error named `error` matches a retrier's or catcher's `ErrorEquals` (§4.2).
/// Names match exactly (case-sensitively), and three names match more:
/// - `States.ALL` matches every error but `States.DataLimitExceeded` and `States.Runtime`,
///   which match only their own names;
/// - `States.Timeout` matches `States.HeartbeatTimeout` too: AWS fails a task that missed
///   its heartbeat with `States.Timeout`, the spec names it `States.HeartbeatTimeout`, and
///   the model raises the latter so that both names catch it;
/// - `States.TaskFailed` matches what `States.ALL` does except those two timeouts.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    const ONLY_BY_NAME: [&str; 2] = ["States.DataLimitExceeded", "States.Runtime"];
    const TIMEOUTS: [&str; 2] = ["States.Timeout", "States.HeartbeatTimeout"];
    error_equals.iter().any(|name| {
        name == error
            || match name.as_str() {
                "States.ALL" => !ONLY_BY_NAME.contains(&error),
                "States.Timeout" => error == "States.HeartbeatTimeout",
                "States.TaskFailed" => !TIMEOUTS.contains(&error) && !ONLY_BY_NAME.contains(&error),
                _ => false,
            }
    })
}

/// False for `States.Runtime`, which is never retried, even by a retrier that names it; a
/// catcher that names it still catches it (§4.2).
pub fn is_retriable(error: &str) -> bool {
    error != "States.Runtime"
}
