//! Unit tests of the States Language reader: what AWS accepts and refuses, field by field.

use super::*;
use crate::models::json_text::json;

fn read(text: &str) -> Result<Definition, AslError> {
    parse(&json(text))
}

fn definition(text: &str) -> Definition {
    read(text).unwrap_or_else(|e| panic!("{e}"))
}

fn rejection(text: &str) -> String {
    read(text).expect_err("the definition should be rejected").to_string()
}

fn shipped(file: &str) -> Definition {
    let path = format!("{}/scenarios/definitions/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    definition(&text)
}

/// A machine whose only state, "S", is `body`.
fn single(body: &str) -> String {
    format!(r#"{{"StartAt": "S", "States": {{"S": {body}}}}}"#)
}

fn state<'d>(d: &'d Definition, name: &str) -> &'d State {
    d.state(d.find(name).unwrap_or_else(|| panic!("no state named {name}")))
}

fn task<'d>(d: &'d Definition, name: &str) -> &'d Task {
    match &state(d, name).kind {
        StateKind::Task(task) => task,
        other => panic!("{name} is {other:?}"),
    }
}

fn map<'d>(d: &'d Definition, name: &str) -> &'d Map {
    match &state(d, name).kind {
        StateKind::Map(map) => map,
        other => panic!("{name} is {other:?}"),
    }
}

fn id(d: &Definition, name: &str) -> StateId {
    d.find(name).unwrap()
}

fn only_task(body: &str) -> Task {
    task(&definition(&single(body)), "S").clone()
}

/// The resource and pattern of a single Task with this `Resource` and `Parameters`.
fn classify(resource: &str, parameters: &str) -> Result<(Resource, Pattern), String> {
    let body = format!(r#"{{"Type": "Task", "Resource": "{resource}", "Parameters": {parameters}, "End": true}}"#);
    read(&single(&body)).map(|d| (task(&d, "S").resource.clone(), task(&d, "S").pattern)).map_err(|e| e.to_string())
}

fn retrier(fields: &str) -> Result<Retrier, String> {
    let body = format!(
        r#"{{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {{"FunctionName": "f"}}, "Retry": [{fields}], "End": true}}"#
    );
    read(&single(&body)).map(|d| task(&d, "S").retry[0].clone()).map_err(|e| e.to_string())
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn timestamps_convert_to_epoch_seconds_with_their_offset_and_without_fractions() {
    assert_eq!(timestamp_epoch_s("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(timestamp_epoch_s("2016-03-14T01:59:00Z"), Some(1_457_920_740));
    assert_eq!(timestamp_epoch_s("2024-02-29T23:59:59.250+01:00"), Some(1_709_247_599));
    assert_eq!(timestamp_epoch_s("2000-03-01T00:00:00-05:30"), Some(951_868_800 + 19_800));
    assert_eq!(timestamp_epoch_s("1969-12-31T23:59:59Z"), Some(-1));
    assert_eq!(timestamp_epoch_s("2016-03-14 01:59:00Z"), None);
}

#[test]
fn a_minimal_machine_has_one_top_scope_and_uses_jsonpath() {
    let d = definition(r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}"#);
    assert_eq!(d.query_language, QueryLanguage::JsonPath);
    assert_eq!(d.timeout_seconds, None);
    assert_eq!(d.start_at, StateId(0));
    assert_eq!(
        d.scopes,
        vec![Scope { start_at: StateId(0), states: vec![StateId(0)], kind: ScopeKind::Top, owner: None }]
    );
    assert_eq!(d.states[0], State { name: "Hello".into(), scope: ScopeId(0), kind: StateKind::Pass, next: None });
}

#[test]
fn top_level_comment_version_timeout_and_query_language_are_read() {
    let d = definition(
        r#"{"Comment": "c", "Version": "1.0", "TimeoutSeconds": 300, "QueryLanguage": "JSONata",
            "StartAt": "S", "States": {"S": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}}}"#,
    );
    assert_eq!(d.timeout_seconds, Some(300));
    assert_eq!(d.query_language, QueryLanguage::Jsonata);
}

#[test]
fn top_level_typos_and_bad_values_are_rejected() {
    assert_eq!(
        rejection(r#"{"startAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
        "field \"startAt\": not a field here; allowed: StartAt, States, Comment, Version, TimeoutSeconds, \
         QueryLanguage (ASL)"
    );
    assert_eq!(
        rejection(r#"{"Version": "2.0", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
        "field \"Version\": must be \"1.0\" (ASL)"
    );
    assert_eq!(
        rejection(r#"{"TimeoutSeconds": 0, "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
        "field \"TimeoutSeconds\": must be a positive integer of at most 99,999,999 (AWS)"
    );
    assert_eq!(rejection(r#"{"States": {"S": {"Type": "Succeed"}}}"#), "field \"StartAt\": is required (ASL)");
    assert_eq!(
        rejection(r#"{"StartAt": "S", "States": {}}"#),
        "field \"States\": must be an object holding at least one state (ASL)"
    );
}

#[test]
fn pass_state_goes_to_next() {
    let d = definition(
        r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
            "B": {"Type": "Succeed"}}}"#,
    );
    assert_eq!(state(&d, "A").next, Some(id(&d, "B")));
    assert_eq!(state(&d, "B").kind, StateKind::Succeed);
}

#[test]
fn task_timeout_defaults_to_aws_99999999_seconds_not_the_specs_60() {
    let t = only_task(
        r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "End": true}"#,
    );
    assert_eq!(t.timeout_seconds, TASK_TIMEOUT_DEFAULT_S);
    assert_ne!(t.timeout_seconds, SPEC_TASK_TIMEOUT_DEFAULT_S);
    assert!(!t.timeout_seconds_path);
    assert_eq!((t.heartbeat_seconds, t.heartbeat_seconds_path), (None, false));
    assert!(t.retry.is_empty() && t.catch.is_empty());
}

#[test]
fn task_reads_timeout_and_heartbeat_or_their_paths() {
    let t = only_task(
        r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
            "TimeoutSeconds": 300, "HeartbeatSeconds": 60, "End": true}"#,
    );
    assert_eq!((t.timeout_seconds, t.heartbeat_seconds), (300, Some(60)));
    let t = only_task(
        r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
            "TimeoutSecondsPath": "$.timeout", "HeartbeatSecondsPath": "$.heartbeat", "End": true}"#,
    );
    assert!(t.timeout_seconds_path && t.heartbeat_seconds_path);
    assert_eq!((t.timeout_seconds, t.heartbeat_seconds), (TASK_TIMEOUT_DEFAULT_S, None));
}

#[test]
fn heartbeat_must_be_shorter_than_timeout() {
    let body = r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                   "TimeoutSeconds": 60, "HeartbeatSeconds": 60, "End": true}"#;
    assert_eq!(
        rejection(&single(body)),
        "state \"S\": field \"HeartbeatSeconds\": must be less than TimeoutSeconds, which is 60 (AWS)"
    );
}

#[test]
fn timeout_and_its_path_together_are_rejected() {
    let body = r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                   "TimeoutSeconds": 60, "TimeoutSecondsPath": "$.t", "End": true}"#;
    assert_eq!(
        rejection(&single(body)),
        "state \"S\": field \"TimeoutSecondsPath\": give TimeoutSeconds or TimeoutSecondsPath, not both (ASL)"
    );
}

#[test]
fn wait_takes_seconds_timestamp_or_either_path() {
    let wait = |field: &str| match definition(&single(&format!(r#"{{"Type": "Wait", {field}, "End": true}}"#))).states
        [0]
    .kind
    .clone()
    {
        StateKind::Wait(wait) => wait,
        other => panic!("{other:?}"),
    };
    assert_eq!(wait(r#""Seconds": 10"#), Wait::Seconds(10));
    assert_eq!(wait(r#""Seconds": 0"#), Wait::Seconds(0));
    assert_eq!(wait(r#""Timestamp": "2016-03-14T01:59:00Z""#), Wait::Timestamp("2016-03-14T01:59:00Z".into()));
    assert_eq!(
        wait(r#""Timestamp": "2024-02-29T23:59:59.250+01:00""#),
        Wait::Timestamp("2024-02-29T23:59:59.250+01:00".into())
    );
    assert_eq!(wait(r#""SecondsPath": "$.delay""#), Wait::SecondsPath);
    assert_eq!(wait(r#""TimestampPath": "$.until""#), Wait::TimestampPath);
}

#[test]
fn wait_with_none_or_two_of_its_fields_is_rejected() {
    let message = "a Wait state takes exactly one of Seconds, Timestamp, SecondsPath and TimestampPath (ASL)";
    assert_eq!(
        rejection(&single(r#"{"Type": "Wait", "Seconds": 5, "SecondsPath": "$.s", "End": true}"#)),
        format!("state \"S\": field \"SecondsPath\": {message}")
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Wait", "End": true}"#)),
        format!("state \"S\": field \"Seconds\": {message}")
    );
}

#[test]
fn wait_timestamp_must_be_rfc3339_with_uppercase_t_and_z() {
    for bad in
        ["2016-03-14 01:59:00Z", "2016-03-14t01:59:00z", "2016-13-14T01:59:00Z", "2016-03-14T01:59:00", "tomorrow"]
    {
        let error = rejection(&single(&format!(r#"{{"Type": "Wait", "Timestamp": "{bad}", "End": true}}"#)));
        assert!(error.starts_with("state \"S\": field \"Timestamp\": must be an RFC 3339 timestamp"), "{bad}: {error}");
    }
    let error = rejection(&single(r#"{"Type": "Wait", "Seconds": 1.5, "End": true}"#));
    assert_eq!(error, "state \"S\": field \"Seconds\": must be an integer from 0 to 99,999,999 (AWS)");
}

#[test]
fn choice_resolves_each_rules_next_in_order_and_its_default() {
    let d = definition(
        r#"{"StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                {"Or": [{"Variable": "$.value", "IsPresent": false},
                        {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                                 {"Variable": "$.value", "NumericLessThanPath": "$.limit"}]}],
                 "Next": "Small"},
                {"Variable": "$.name", "StringMatches": "log-*.txt", "Next": "Public"},
                {"Variable": "$.at", "TimestampGreaterThan": "2024-01-01T00:00:00Z", "Comment": "recent",
                 "Next": "Small"}
            ], "Default": "Other"},
            "Public": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"},
            "Other": {"Type": "Fail"}}}"#,
    );
    let (public, small, other) = (id(&d, "Public"), id(&d, "Small"), id(&d, "Other"));
    assert_eq!(
        state(&d, "Route").kind,
        StateKind::Choice(Choice { choices: vec![public, small, public, small], default: Some(other) })
    );
    assert_eq!(state(&d, "Route").next, None);
}

#[test]
fn choice_without_default_has_none() {
    let d = definition(
        r#"{"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}"#,
    );
    assert_eq!(state(&d, "C").kind, StateKind::Choice(Choice { choices: vec![id(&d, "Done")], default: None }));
}

/// A machine whose Choice "C" has the one rule `rule` leading to "Done".
fn choice_rule(rule: &str) -> String {
    format!(
        r#"{{"StartAt": "C", "States": {{
            "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "Done"}},
            "Done": {{"Type": "Succeed"}}}}}}"#
    )
}

#[test]
fn unknown_comparison_operator_is_rejected() {
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "StringEqual": "a", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].StringEqual\": not a comparison operator nor a field of a Choice rule \
         (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "StringMatchesPath": "$.y", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].StringMatchesPath\": not a comparison operator nor a field of a Choice \
         rule (ASL)"
    );
}

#[test]
fn comparison_operand_of_the_wrong_type_is_rejected() {
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "NumericEquals": "5", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].NumericEquals\": must be a number (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "StringEqualsPath": "x", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].StringEqualsPath\": must be a path string starting with $ (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "IsNull": "yes", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].IsNull\": must be true or false (ASL)"
    );
}

#[test]
fn choice_rules_hold_exactly_one_test_with_variable_only_for_comparisons() {
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "NumericEquals": 1, "NumericLessThan": 2, "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].NumericLessThan\": a rule holds one test, and this one already has \
         NumericEquals (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"NumericEquals": 1, "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].Variable\": NumericEquals compares Variable, which is missing (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0]\": a Choice rule needs a comparison, And, Or or Not (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "Not": {"Variable": "$.x", "IsNull": true}, "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].Variable\": And, Or and Not take no Variable (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"And": [], "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].And\": must be a non-empty array of rules (ASL)"
    );
}

#[test]
fn only_top_level_choice_rules_have_next() {
    assert_eq!(
        rejection(&choice_rule(r#"{"Variable": "$.x", "IsNull": true}"#)),
        "state \"C\": field \"Choices[0].Next\": a top-level Choice rule needs Next (ASL)"
    );
    assert_eq!(
        rejection(&choice_rule(r#"{"And": [{"Variable": "$.x", "IsNull": true, "Next": "Done"}], "Next": "Done"}"#)),
        "state \"C\": field \"Choices[0].And[0].Next\": only a top-level Choice rule has Next (ASL)"
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Choice", "Choices": []}"#)),
        "state \"S\": field \"Choices\": a Choice state needs a non-empty array of rules (ASL)"
    );
}

#[test]
fn jsonata_choice_rules_test_a_condition() {
    let d = definition(
        r#"{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.total > 100 %}", "Next": "Big", "Output": {"big": true}}],
             "Default": "Small"},
            "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}"#,
    );
    assert_eq!(
        state(&d, "C").kind,
        StateKind::Choice(Choice { choices: vec![id(&d, "Big")], default: Some(id(&d, "Small")) })
    );
    let jsonata = |rule: &str| {
        rejection(&format!(
            r#"{{"QueryLanguage": "JSONata", "StartAt": "C", "States": {{
                "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "Done"}},
                "Done": {{"Type": "Succeed"}}}}}}"#
        ))
    };
    assert_eq!(
        jsonata(r#"{"Not": {"Condition": "{% true %}"}, "Next": "Done"}"#),
        "state \"C\": field \"Choices[0].Not\": JSONata Choice rules test a Condition; comparison operators, And, \
         Or and Not are JSONPath (AWS)"
    );
    assert!(
        jsonata(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
            .starts_with("state \"C\": field \"Choices[0].Variable\": is a JSONPath field")
    );
    assert!(
        rejection(&choice_rule(r#"{"Condition": "{% true %}", "Next": "Done"}"#))
            .starts_with("state \"C\": field \"Choices[0].Condition\": is a JSONata field")
    );
}

#[test]
fn choice_cannot_be_end_and_has_no_next() {
    assert_eq!(
        rejection(
            &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                .replace(r#""Default": "Done""#, r#""Default": "Done", "End": true"#)
        ),
        "state \"C\": field \"End\": a Choice state cannot be End (ASL)"
    );
    assert_eq!(
        rejection(
            &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                .replace(r#""Default": "Done""#, r#""Next": "Done""#)
        ),
        "state \"C\": field \"Next\": a Choice state has no Next: its rules and Default name where to go (ASL)"
    );
}

#[test]
fn succeed_and_fail_are_terminal_without_next_or_end() {
    assert_eq!(
        rejection(&single(r#"{"Type": "Succeed", "End": true}"#)),
        "state \"S\": field \"End\": a Succeed state is terminal: no Next, no End (ASL)"
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Fail", "Next": "S"}"#)),
        "state \"S\": field \"Next\": a Fail state is terminal: no Next, no End (ASL)"
    );
}

#[test]
fn fail_keeps_error_and_cause_unless_they_come_from_the_data() {
    let kind = |body: &str| definition(&single(body)).states[0].kind.clone();
    assert_eq!(
        kind(r#"{"Type": "Fail", "Error": "OrderRejected", "Cause": "bad"}"#),
        StateKind::Fail { error: Some("OrderRejected".into()), cause: Some("bad".into()) }
    );
    assert_eq!(kind(r#"{"Type": "Fail"}"#), StateKind::Fail { error: None, cause: None });
    assert_eq!(
        kind(r#"{"Type": "Fail", "ErrorPath": "$.error", "Cause": "c"}"#),
        StateKind::Fail { error: None, cause: Some("c".into()) }
    );
    assert_eq!(
        kind(r#"{"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% $states.input.e %}"}"#),
        StateKind::Fail { error: None, cause: None }
    );
}

#[test]
fn states_other_than_choice_succeed_and_fail_need_exactly_one_of_next_and_end() {
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass"}"#)),
        "state \"S\": field \"Next\": the state needs Next or End (ASL)"
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass", "Next": "S", "End": true}"#)),
        "state \"S\": field \"End\": a state has Next or End, not both (ASL)"
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass", "End": false}"#)),
        "state \"S\": field \"End\": must be true; to go on, give Next instead (ASL)"
    );
}

#[test]
fn parallel_flattens_each_branch_into_its_own_scope() {
    let d = definition(
        r#"{"StartAt": "Both", "States": {
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "A1", "States": {
                    "A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
                {"Comment": "second", "StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}],
             "Retry": [{"ErrorEquals": ["States.BranchFailed"]}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
             "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail"}}}"#,
    );
    assert_eq!(d.scopes.len(), 3);
    let StateKind::Parallel(parallel) = &state(&d, "Both").kind else { panic!() };
    assert_eq!(parallel.branches, vec![ScopeId(1), ScopeId(2)]);
    assert_eq!(parallel.retry.len(), 1);
    assert_eq!(parallel.catch, vec![Catcher { error_equals: names(&["States.ALL"]), next: id(&d, "Failed") }]);
    let first = d.scope(ScopeId(1));
    assert_eq!((first.kind, first.owner, first.start_at), (ScopeKind::Branch, Some(id(&d, "Both")), id(&d, "A1")));
    assert_eq!(first.states, vec![id(&d, "A1"), id(&d, "A2")]);
    assert_eq!(state(&d, "A1").next, Some(id(&d, "A2")));
    assert_eq!(state(&d, "B1").scope, ScopeId(2));
    assert_eq!(state(&d, "Both").next, Some(id(&d, "Done")));
    // The top level's states come first, then each branch's.
    assert_eq!(d.scope(ScopeId(0)).states, vec![StateId(0), StateId(1), StateId(2)]);
}

#[test]
fn map_flattens_its_item_processor_into_a_map_iteration_scope() {
    let d = definition(
        r#"{"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 5,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
                    "States": {"Work": {"Type": "Pass", "End": true}}},
                "End": true}}}"#,
    );
    let each = map(&d, "Each");
    assert_eq!(each.processor, ScopeId(1));
    assert_eq!(each.mode, MapMode::Inline);
    assert_eq!((each.max_concurrency, each.concurrency_limit()), (5, Some(5)));
    assert_eq!(d.scope(ScopeId(1)).kind, ScopeKind::MapIteration);
    assert_eq!(d.scope(ScopeId(1)).owner, Some(id(&d, "Each")));
    assert_eq!(state(&d, "Work").scope, ScopeId(1));
}

#[test]
fn map_accepts_the_deprecated_iterator_but_not_both() {
    let iterator = r#"{"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "Parameters": {"x.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
    let d = definition(iterator);
    assert_eq!((map(&d, "Each").mode, d.scope(ScopeId(1)).kind), (MapMode::Inline, ScopeKind::MapIteration));
    let both = iterator.replace(r#""End": true}}}"#, r#""ItemProcessor": {}, "End": true}}}"#);
    assert_eq!(
        rejection(&both),
        "state \"Each\": field \"Iterator\": give ItemProcessor or the deprecated Iterator, not both (ASL)"
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Map", "End": true}"#)),
        "state \"S\": field \"ItemProcessor\": a Map state needs ItemProcessor (or the deprecated Iterator) (ASL)"
    );
}

/// A machine whose Map "M" has the extra fields `fields` and processor config `config`.
fn map_with(fields: &str, config: &str) -> String {
    format!(
        r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", {fields}
            "ItemProcessor": {{"ProcessorConfig": {config}, "StartAt": "W",
                "States": {{"W": {{"Type": "Succeed"}}}}}},
            "End": true}}}}}}"#
    )
}

#[test]
fn distributed_map_reads_execution_type_and_tolerated_failures() {
    let d = definition(&map_with(
        r#""ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}},
           "ItemBatcher": {"MaxItemsPerBatch": 100}, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
           "Parameters": {"Bucket": "b", "Prefix": "out"}}, "Label": "Resize", "MaxConcurrency": 1000,
           "ToleratedFailurePercentage": 5, "ToleratedFailureCountPath": "$.maxFailures","#,
        r#"{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}"#,
    ));
    let m = map(&d, "M");
    assert_eq!(m.mode, MapMode::Distributed { execution_type: ExecutionType::Express });
    assert_eq!((m.tolerated_failure_percentage, m.tolerated_failure_percentage_path), (Some(5.0), false));
    assert_eq!((m.tolerated_failure_count, m.tolerated_failure_count_path), (None, true));
    assert_eq!(m.concurrency_limit(), Some(1000));
}

#[test]
fn inline_map_concurrency_is_capped_at_40_and_distributed_at_10000() {
    let limit = |fields: &str, config: &str| map(&definition(&map_with(fields, config)), "M").concurrency_limit();
    let inline = r#"{"Mode": "INLINE"}"#;
    let distributed = r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#;
    assert_eq!(limit("", inline), Some(INLINE_MAP_CONCURRENCY_MAX));
    assert_eq!(limit(r#""MaxConcurrency": 100,"#, inline), Some(40));
    assert_eq!(limit(r#""MaxConcurrency": 1,"#, inline), Some(1));
    assert_eq!(limit(r#""MaxConcurrencyPath": "$.n","#, inline), None);
    assert_eq!(limit("", distributed), Some(DISTRIBUTED_MAP_CONCURRENCY_MAX));
    assert_eq!(limit(r#""MaxConcurrency": 0,"#, distributed), Some(10_000));
}

#[test]
fn distributed_only_fields_are_rejected_on_an_inline_map() {
    assert_eq!(
        rejection(&map_with(r#""ToleratedFailurePercentage": 10,"#, r#"{"Mode": "INLINE"}"#)),
        "state \"M\": field \"ToleratedFailurePercentage\": belongs to Distributed Maps; this Map is Inline (AWS)"
    );
    assert_eq!(
        rejection(&map_with(r#""ItemReader": {},"#, "{}")),
        "state \"M\": field \"ItemReader\": belongs to Distributed Maps; this Map is Inline (AWS)"
    );
}

#[test]
fn map_processor_config_is_checked() {
    assert_eq!(
        rejection(&map_with("", r#"{"Mode": "DISTRIBUTED"}"#)),
        "state \"M\": field \"ItemProcessor.ProcessorConfig.ExecutionType\": a DISTRIBUTED Map needs \
         ExecutionType, STANDARD or EXPRESS (ASL)"
    );
    assert_eq!(
        rejection(&map_with("", r#"{"Mode": "INLINE", "ExecutionType": "EXPRESS"}"#)),
        "state \"M\": field \"ItemProcessor.ProcessorConfig.ExecutionType\": only a DISTRIBUTED Map has \
         ExecutionType (ASL)"
    );
    assert_eq!(
        rejection(&map_with("", r#"{"Mode": "inline"}"#)),
        "state \"M\": field \"ItemProcessor.ProcessorConfig.Mode\": must be \"INLINE\" or \"DISTRIBUTED\" (ASL)"
    );
    assert_eq!(
        rejection(&map_with(
            r#""Label": "a label much longer than forty characters, really","#,
            r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#
        )),
        "state \"M\": field \"Label\": must be a string of at most 40 characters (AWS)"
    );
    assert_eq!(
        rejection(&map_with(
            r#""ToleratedFailurePercentage": 101,"#,
            r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#
        )),
        "state \"M\": field \"ToleratedFailurePercentage\": must be a number from 0 to 100 (AWS)"
    );
}

#[test]
fn next_into_a_branch_is_rejected() {
    let text = r#"{"StartAt": "Start", "States": {
        "Start": {"Type": "Pass", "Next": "Inner"},
        "Both": {"Type": "Parallel", "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Succeed"}}}],
                 "End": true}}}"#;
    assert_eq!(
        rejection(text),
        "state \"Start\": field \"Next\": \"Inner\" is in another scope: Next, Default and Catch lead only to \
         states of the same level, Parallel branch or Map iteration (ASL)"
    );
}

#[test]
fn next_out_of_a_branch_is_rejected() {
    let text = r#"{"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "After"}}}], "Next": "After"},
        "After": {"Type": "Succeed"}}}"#;
    assert_eq!(
        rejection(text),
        "state \"Inner\": field \"Next\": \"After\" is in another scope: Next, Default and Catch lead only to \
         states of the same level, Parallel branch or Map iteration (ASL)"
    );
}

#[test]
fn choice_and_catch_into_a_map_iteration_are_rejected() {
    let text = |route: &str| {
        format!(
            r#"{{"StartAt": "Each", "States": {{
                "Each": {{"Type": "Map", "ItemProcessor": {{"StartAt": "Work", "States": {{
                    "Work": {{"Type": "Pass", "End": true}}}}}}, {route}}},
                "Done": {{"Type": "Succeed"}}}}}}"#
        )
    };
    assert!(
        rejection(&text(r#""Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Work"}], "Next": "Done""#))
            .starts_with("state \"Each\": field \"Catch[0].Next\": \"Work\" is in another scope")
    );
    let choice = r#"{"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "P1"}], "Default": "Both"},
        "Both": {"Type": "Parallel", "Branches": [{"StartAt": "P1", "States": {"P1": {"Type": "Succeed"}}}],
                 "End": true}}}"#;
    assert!(rejection(choice).starts_with("state \"C\": field \"Choices[0].Next\": \"P1\" is in another scope"));
}

#[test]
fn next_to_a_missing_state_is_rejected() {
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass", "Next": "Nowhere"}"#)),
        "state \"S\": field \"Next\": no state is named \"Nowhere\" (ASL)"
    );
}

#[test]
fn start_at_must_name_a_state_of_its_own_scope() {
    assert_eq!(
        rejection(r#"{"StartAt": "Missing", "States": {"S": {"Type": "Succeed"}}}"#),
        "field \"StartAt\": no state is named \"Missing\" (ASL)"
    );
    let text = r#"{"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Both", "States": {"Inner": {"Type": "Succeed"}}}], "End": true}}}"#;
    assert!(rejection(text).starts_with("state \"Both\": field \"Branches[0].StartAt\": \"Both\" is in another scope"));
}

#[test]
fn state_names_longer_than_80_characters_are_rejected() {
    let long = "x".repeat(81);
    assert_eq!(
        rejection(&format!(r#"{{"StartAt": "{long}", "States": {{"{long}": {{"Type": "Succeed"}}}}}}"#)),
        format!("state \"{long}\": the name has 81 characters; at most 80 are allowed (ASL)")
    );
    let fine = "é".repeat(80);
    definition(&format!(r#"{{"StartAt": "{fine}", "States": {{"{fine}": {{"Type": "Succeed"}}}}}}"#));
}

#[test]
fn state_names_are_unique_across_branches() {
    let text = r#"{"StartAt": "Work", "States": {
        "Work": {"Type": "Parallel", "Branches": [
            {"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}},
            {"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}}], "End": true}}}"#;
    assert_eq!(
        rejection(text),
        "state \"Step\": another state has this name; names are unique across the whole state machine, branches \
         and iterations included (AWS: DUPLICATE_STATE_NAME)"
    );
}

#[test]
fn unreachable_states_are_rejected() {
    let text = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Pass", "End": true},
        "Orphan": {"Type": "Pass", "Next": "A"}}}"#;
    assert_eq!(
        rejection(text),
        "state \"Orphan\": is not reachable from \"A\", the StartAt of its scope: no Next, Choice rule, Default or \
         Catch leads to it (AWS: MISSING_TRANSITION_TARGET)"
    );
}

#[test]
fn unknown_state_type_is_rejected() {
    assert_eq!(
        rejection(&single(r#"{"Type": "Sleep", "End": true}"#)),
        "state \"S\": field \"Type\": must be one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map (ASL)"
    );
    assert_eq!(rejection(&single(r#"{"End": true}"#)), "state \"S\": field \"Type\": is required (ASL)");
}

#[test]
fn unknown_fields_are_rejected_naming_state_and_field() {
    let error = rejection(&single(r#"{"Type": "Task", "Resouce": "arn:aws:states:::lambda:invoke", "End": true}"#));
    assert!(
        error.starts_with("state \"S\": field \"Resouce\": not a field of a Task state, which takes Type, Comment"),
        "{error}"
    );
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["E"], "MaxAttempt": 2}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].MaxAttempt\": not a field here; allowed: ErrorEquals, IntervalSeconds, \
         MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy, Comment (ASL)"
    );
    assert!(
        rejection(&single(r#"{"Type": "Wait", "Seconds": 1, "Resource": "x", "End": true}"#))
            .starts_with("state \"S\": field \"Resource\": not a field of a Wait state")
    );
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass", "Next": "S", "Next": "S"}"#)),
        "state \"S\": field \"Next\": appears twice (ASL)"
    );
}

#[test]
fn retry_and_catch_are_only_allowed_on_task_parallel_and_map() {
    for body in [
        r#"{"Type": "Pass", "Retry": [], "End": true}"#,
        r#"{"Type": "Wait", "Seconds": 1, "Retry": [], "End": true}"#,
        r#"{"Type": "Succeed", "Retry": []}"#,
        r#"{"Type": "Fail", "Retry": []}"#,
    ] {
        assert_eq!(
            rejection(&single(body)),
            "state \"S\": field \"Retry\": only Task, Parallel and Map states have Retry (ASL)"
        );
    }
    assert_eq!(
        rejection(
            &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                .replace(r#""Default": "Done""#, r#""Default": "Done", "Catch": []"#)
        ),
        "state \"C\": field \"Catch\": only Task, Parallel and Map states have Catch (ASL)"
    );
}

#[test]
fn states_all_must_stand_alone_in_the_last_retrier_and_catcher() {
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["States.ALL", "Custom"]}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].ErrorEquals\": States.ALL must appear alone (ASL)"
    );
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].ErrorEquals\": States.ALL may appear only in the last retrier (ASL)"
    );
    let text = r#"{"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["E"], "Next": "F"}],
              "End": true},
        "F": {"Type": "Fail"}}}"#;
    assert_eq!(
        rejection(text),
        "state \"S\": field \"Catch[0].ErrorEquals\": States.ALL may appear only in the last catcher (ASL)"
    );
    assert_eq!(
        retrier(r#"{"ErrorEquals": []}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].ErrorEquals\": must be a non-empty array of error names (ASL)"
    );
}

#[test]
fn backoff_rate_below_one_is_rejected_naming_state_and_field() {
    let text = r#"{"StartAt": "CheckStock", "States": {
        "CheckStock": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "CheckStock"},
                       "Retry": [{"ErrorEquals": ["States.TaskFailed"], "BackoffRate": 0.5}], "End": true}}}"#;
    let error = read(text).unwrap_err();
    assert_eq!(
        error,
        AslError {
            state: Some("CheckStock".into()),
            field: "Retry[0].BackoffRate".into(),
            message: "must be at least 1.0 (ASL)".into()
        }
    );
    assert_eq!(error.to_string(), r#"state "CheckStock": field "Retry[0].BackoffRate": must be at least 1.0 (ASL)"#);
}

#[test]
fn retrier_limits_are_checked() {
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].MaxDelaySeconds\": must be an integer from 1 to 31,622,400 (ASL)"
    );
    assert!(retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622401}"#).is_err());
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622400}"#).unwrap().max_delay_seconds,
        Some(31_622_400)
    );
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["E"], "IntervalSeconds": 0}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].IntervalSeconds\": must be a positive integer of at most 99,999,999 (ASL)"
    );
    assert_eq!(retrier(r#"{"ErrorEquals": ["E"], "MaxAttempts": 0}"#).unwrap().max_attempts, 0);
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}"#).unwrap_err(),
        "state \"S\": field \"Retry[0].JitterStrategy\": must be \"FULL\" or \"NONE\" (AWS)"
    );
}

#[test]
fn retrier_defaults_are_one_second_three_retries_and_backoff_two() {
    assert_eq!(
        retrier(r#"{"ErrorEquals": ["States.Timeout"]}"#).unwrap(),
        Retrier {
            error_equals: names(&["States.Timeout"]),
            interval_seconds: 1,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: Jitter::None,
        }
    );
}

#[test]
fn retrier_reads_every_field() {
    let r = retrier(
        r#"{"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"], "IntervalSeconds": 2,
            "MaxAttempts": 6, "BackoffRate": 1.5, "MaxDelaySeconds": 30, "JitterStrategy": "FULL",
            "Comment": "c"}"#,
    )
    .unwrap();
    assert_eq!(r.error_equals, names(&["Lambda.ServiceException", "Lambda.TooManyRequestsException"]));
    assert_eq!((r.interval_seconds, r.max_attempts, r.backoff_rate), (2, 6, 1.5));
    assert_eq!((r.max_delay_seconds, r.jitter), (Some(30), Jitter::Full));
}

#[test]
fn jsonpath_fields_are_rejected_in_a_jsonata_state() {
    let error = rejection(&single(
        r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "End": true}"#,
    ));
    assert_eq!(
        error,
        "state \"S\": field \"Parameters\": is a JSONPath field and this state uses JSONata, which has Arguments, \
         Output and {% %} expressions instead (AWS)"
    );
    let error =
        rejection(&single(r#"{"Type": "Wait", "QueryLanguage": "JSONata", "SecondsPath": "$.s", "End": true}"#));
    assert!(error.starts_with("state \"S\": field \"SecondsPath\": is a JSONPath field"));
}

#[test]
fn jsonata_fields_are_rejected_in_a_jsonpath_state() {
    assert_eq!(
        rejection(&single(r#"{"Type": "Pass", "Output": {"a": 1}, "End": true}"#)),
        "state \"S\": field \"Output\": is a JSONata field and this state uses JSONPath (set QueryLanguage to \
         JSONata to use it) (AWS)"
    );
    let text = r#"{"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {}, "Next": "F"}], "End": true},
        "F": {"Type": "Fail"}}}"#;
    assert!(rejection(text).starts_with("state \"S\": field \"Catch[0].Output\": is a JSONata field"));
}

#[test]
fn a_jsonpath_machine_may_hold_jsonata_states_but_not_the_reverse() {
    let mixed = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "{% $states.input.fn %}", "Payload": "{% $states.input %}"},
              "TimeoutSeconds": "{% $states.input.timeout %}", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"x.$": "$.y"}, "End": true}}}"#;
    let d = definition(mixed);
    let a = task(&d, "A");
    assert_eq!(a.resource, Resource::Lambda { function: Target::FromData });
    assert!(a.timeout_seconds_path);
    let reverse = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}"#;
    assert_eq!(
        rejection(reverse),
        "state \"A\": field \"QueryLanguage\": a JSONata state machine cannot hold JSONPath states (AWS)"
    );
}

#[test]
fn lambda_invoke_takes_the_function_name_without_arn_alias_or_version() {
    for function in [
        "ProcessOrder",
        "ProcessOrder:prod",
        "ProcessOrder:7",
        "123456789012:function:ProcessOrder",
        "arn:aws:lambda:us-east-1:123456789012:function:ProcessOrder",
        "arn:aws:lambda:us-east-1:123456789012:function:ProcessOrder:$LATEST",
    ] {
        assert_eq!(
            classify(
                "arn:aws:states:::lambda:invoke",
                &format!(r#"{{"FunctionName": "{function}", "Payload.$": "$"}}"#)
            ),
            Ok((Resource::Lambda { function: Target::Named("ProcessOrder".into()) }, Pattern::RequestResponse)),
            "{function}"
        );
    }
    assert_eq!(
        classify("arn:aws:states:::lambda:invoke.waitForTaskToken", r#"{"FunctionName": "Notify"}"#),
        Ok((Resource::Lambda { function: Target::Named("Notify".into()) }, Pattern::WaitForTaskToken))
    );
}

#[test]
fn a_lambda_function_arn_as_resource_is_a_lambda_task() {
    let t = only_task(
        r#"{"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:Hello:prod", "End": true}"#,
    );
    assert_eq!(
        (t.resource, t.pattern),
        (Resource::Lambda { function: Target::Named("Hello".into()) }, Pattern::RequestResponse)
    );
}

#[test]
fn a_lambda_function_arn_without_region_and_account_names_the_function() {
    let t = only_task(r#"{"Type": "Task", "Resource": "arn:aws:lambda:::function:Hello", "End": true}"#);
    assert_eq!(t.resource, Resource::Lambda { function: Target::Named("Hello".into()) });
    for refused in ["arn:aws:lambda:eu-west-1::function:Hello", "arn:aws:lambda::123456789012:function:Hello"] {
        let body = format!(r#"{{"Type": "Task", "Resource": "{refused}", "End": true}}"#);
        assert!(rejection(&single(&body)).contains("is not a service integration"), "{refused}");
    }
}

#[test]
fn a_name_taken_from_the_data_is_unknown() {
    assert_eq!(
        classify("arn:aws:states:::lambda:invoke", r#"{"FunctionName.$": "$.function"}"#),
        Ok((Resource::Lambda { function: Target::FromData }, Pattern::RequestResponse))
    );
    assert_eq!(
        classify("arn:aws:states:::sqs:sendMessage", r#"{"QueueUrl.$": "$.queue", "MessageBody.$": "$"}"#),
        Ok((Resource::SqsSend { queue: Target::FromData }, Pattern::RequestResponse))
    );
    let t = only_task(
        r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::sns:publish",
            "Arguments": "{% $states.input.request %}", "End": true}"#,
    );
    assert_eq!(t.resource, Resource::SnsPublish { topic: Target::FromData });
}

#[test]
fn required_arguments_are_checked() {
    assert_eq!(
        classify("arn:aws:states:::lambda:invoke", r#"{"Payload.$": "$"}"#).unwrap_err(),
        "state \"S\": field \"Parameters.FunctionName\": the call needs FunctionName (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::states:startExecution", r#"{"StateMachineArn": "Child"}"#).unwrap_err(),
        "state \"S\": field \"Parameters.StateMachineArn\": \"Child\" does not name a state machine (expected a state machine ARN) (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::sns:publish", r#"{"Message": "hi"}"#).unwrap_err(),
        "state \"S\": field \"Parameters.TopicArn\": the call needs TopicArn, TargetArn or PhoneNumber (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::sns:publish", r#"{"PhoneNumber": "+15555550100", "Message": "hi"}"#),
        Ok((Resource::SnsPublish { topic: Target::Endpoint }, Pattern::RequestResponse))
    );
}

#[test]
fn a_queue_url_or_topic_arn_that_is_none_is_accepted_and_fails_with_the_services_error() {
    let malformed = |value: &str, error| Target::Malformed { value: value.to_string(), error };
    for (resource, parameters, expected) in [
        (
            "arn:aws:states:::sqs:sendMessage",
            r#"{"QueueUrl": "Orders"}"#,
            Resource::SqsSend { queue: malformed("Orders", "SQS.InvalidAddressException") },
        ),
        (
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            r#"{"QueueUrl": "sqs.us-east-1.amazonaws.com/123456789012/Orders"}"#,
            Resource::SqsSend {
                queue: malformed("sqs.us-east-1.amazonaws.com/123456789012/Orders", "Sqs.InvalidAddressException"),
            },
        ),
        (
            "arn:aws:states:::sns:publish",
            r#"{"TopicArn": "TOPIC_ARN", "Message": "hi"}"#,
            Resource::SnsPublish { topic: malformed("TOPIC_ARN", "SNS.InvalidParameterException") },
        ),
        (
            "arn:aws:states:::aws-sdk:sns:publish",
            r#"{"TopicArn": "arn:aws:sqs:us-east-1:123456789012:Orders", "Message": "hi"}"#,
            Resource::SnsPublish {
                topic: malformed("arn:aws:sqs:us-east-1:123456789012:Orders", "Sns.InvalidParameterException"),
            },
        ),
    ] {
        assert_eq!(classify(resource, parameters), Ok((expected, Pattern::RequestResponse)), "{parameters}");
    }
}

#[test]
fn a_jsonata_string_constant_names_its_target_and_any_other_expression_leaves_it_to_the_data() {
    let lambda = |function: &str| {
        let body = format!(
            r#"{{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {{"FunctionName": "{function}"}}, "End": true}}"#
        );
        only_task(&body).resource
    };
    let foo = Resource::Lambda { function: Target::Named("Foo".into()) };
    assert_eq!(lambda("{% 'arn:aws:lambda:us-east-1:123456789012:function:Foo' %}"), foo);
    assert_eq!(lambda(r#"{%  \"Foo\"  %}"#), foo);
    assert_eq!(lambda("{%'Foo:live'%}"), foo);
    let from_data = Resource::Lambda { function: Target::FromData };
    assert_eq!(lambda("{% $states.input.fn %}"), from_data);
    assert_eq!(lambda("{% 'Fo' & 'o' %}"), from_data);
    assert_eq!(lambda(r#"{% 'F\\u006fo' %}"#), from_data);
}

#[test]
fn an_aws_sdk_resource_may_carry_a_region_and_an_account() {
    assert_eq!(
        classify("arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#),
        Ok((Resource::Other { service: "s3".into(), action: "getObject".into() }, Pattern::RequestResponse))
    );
    assert_eq!(
        classify(
            "arn:aws:states:eu-west-1:123456789012:aws-sdk:sqs:sendMessage.waitForTaskToken",
            r#"{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/Jobs"}"#
        ),
        Ok((Resource::SqsSend { queue: Target::Named("Jobs".into()) }, Pattern::WaitForTaskToken))
    );
    for refused in [
        "arn:aws:states:us-east-1:12345:aws-sdk:s3:getObject",
        "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
        "arn:aws:states:us-east-1:123456789012:lambda:invoke",
    ] {
        assert_eq!(
            classify(refused, r#"{"FunctionName": "F"}"#).unwrap_err(),
            format!(
                "state \"S\": field \"Resource\": \"{refused}\" is not a service integration \
                 (arn:aws:states:::SERVICE:ACTION), an activity ARN or a Lambda function ARN (ASL)"
            )
        );
    }
}

#[test]
fn sqs_send_takes_the_queue_from_the_urls_last_segment() {
    assert_eq!(
        classify(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            r#"{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/Approvals",
                "MessageBody": {"TaskToken.$": "$$.Task.Token"}}"#
        ),
        Ok((Resource::SqsSend { queue: Target::Named("Approvals".into()) }, Pattern::WaitForTaskToken))
    );
}

#[test]
fn sns_publish_takes_the_topic_from_the_arn() {
    assert_eq!(
        classify(
            "arn:aws:states:::sns:publish",
            r#"{"TopicArn": "arn:aws:sns:us-east-1:123456789012:Orders", "Message.$": "$"}"#
        ),
        Ok((Resource::SnsPublish { topic: Target::Named("Orders".into()) }, Pattern::RequestResponse))
    );
}

#[test]
fn start_execution_takes_the_state_machine_name_and_each_pattern() {
    let arn = r#"{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child:live", "Input.$": "$"}"#;
    let child = Resource::StartExecution { state_machine: Target::Named("Child".into()) };
    for (suffix, pattern) in [
        ("", Pattern::RequestResponse),
        (".sync", Pattern::Sync),
        (".sync:2", Pattern::SyncV2),
        (".waitForTaskToken", Pattern::WaitForTaskToken),
    ] {
        assert_eq!(
            classify(&format!("arn:aws:states:::states:startExecution{suffix}"), arn),
            Ok((child.clone(), pattern))
        );
    }
}

#[test]
fn an_activity_arn_is_an_activity() {
    let t = only_task(
        r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:ManualReview",
            "End": true}"#,
    );
    assert_eq!((t.resource, t.pattern), (Resource::Activity { name: "ManualReview".into() }, Pattern::RequestResponse));
}

#[test]
fn other_integrations_and_sdk_calls_are_other() {
    assert_eq!(
        classify("arn:aws:states:::ecs:runTask.sync", r#"{"Cluster": "c", "TaskDefinition": "t"}"#),
        Ok((Resource::Other { service: "ecs".into(), action: "runTask".into() }, Pattern::Sync))
    );
    assert_eq!(
        classify("arn:aws:states:::dynamodb:putItem", r#"{"TableName": "Orders"}"#),
        Ok((Resource::Other { service: "dynamodb".into(), action: "putItem".into() }, Pattern::RequestResponse))
    );
    assert_eq!(
        classify("arn:aws:states:::aws-sdk:s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#),
        Ok((Resource::Other { service: "s3".into(), action: "getObject".into() }, Pattern::RequestResponse))
    );
    assert_eq!(
        classify("arn:aws:states:::events:putEvents.waitForTaskToken", r#"{"Entries": []}"#),
        Ok((Resource::Other { service: "events".into(), action: "putEvents".into() }, Pattern::WaitForTaskToken))
    );
}

#[test]
fn sdk_calls_of_the_modelled_apis_are_classified_like_the_optimized_ones() {
    assert_eq!(
        classify(
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            r#"{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/Jobs", "MessageBody": "x"}"#
        ),
        Ok((Resource::SqsSend { queue: Target::Named("Jobs".into()) }, Pattern::RequestResponse))
    );
    assert_eq!(
        classify(
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:Kid"}"#
        ),
        Ok((Resource::StartExecution { state_machine: Target::Named("Kid".into()) }, Pattern::RequestResponse))
    );
}

#[test]
fn patterns_outside_the_support_matrix_are_rejected() {
    assert_eq!(
        classify("arn:aws:states:::sqs:sendMessage.sync", r#"{"QueueUrl": "https://sqs/1/q"}"#).unwrap_err(),
        "state \"S\": field \"Resource\": the sqs integration cannot use .sync; it offers Request-Response and \
         .waitForTaskToken (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::dynamodb:getItem.waitForTaskToken", "{}").unwrap_err(),
        "state \"S\": field \"Resource\": the dynamodb integration cannot use .waitForTaskToken; it offers \
         Request-Response only (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::batch:submitJob.waitForTaskToken", "{}").unwrap_err(),
        "state \"S\": field \"Resource\": the batch integration cannot use .waitForTaskToken; it offers \
         Request-Response and .sync (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::aws-sdk:ecs:runTask.sync", "{}").unwrap_err(),
        "state \"S\": field \"Resource\": AWS SDK integrations cannot use .sync; it offers Request-Response and \
         .waitForTaskToken (AWS)"
    );
    assert_eq!(
        classify("arn:aws:states:::lambda:invoke.sync:2", r#"{"FunctionName": "f"}"#).unwrap_err(),
        "state \"S\": field \"Resource\": the lambda integration cannot use .sync:2; it offers Request-Response \
         and .waitForTaskToken (AWS)"
    );
}

#[test]
fn unknown_resources_suffixes_and_optimized_actions_are_rejected() {
    assert_eq!(
        classify("arn:aws:states:::lambda:invoke.async", r#"{"FunctionName": "f"}"#).unwrap_err(),
        "state \"S\": field \"Resource\": unknown integration pattern \".async\": use .sync, .sync:2 or \
         .waitForTaskToken (ASL)"
    );
    assert_eq!(
        classify("arn:aws:states:::sqs:receiveMessage", "{}").unwrap_err(),
        "state \"S\": field \"Resource\": the optimized sqs integration has no action \"receiveMessage\"; call \
         other actions through arn:aws:states:::aws-sdk:sqs:receiveMessage (AWS)"
    );
    assert_eq!(
        classify("${ProcessOrderFunctionArn}", "{}").unwrap_err(),
        "state \"S\": field \"Resource\": \"${ProcessOrderFunctionArn}\" is not a service integration \
         (arn:aws:states:::SERVICE:ACTION), an activity ARN or a Lambda function ARN (ASL)"
    );
    assert!(classify("arn:aws:states:::lambda", "{}").is_err());
}

#[test]
fn an_error_matches_its_own_name_case_sensitively() {
    assert!(error_matches(&names(&["A", "B"]), "B"));
    assert!(!error_matches(&names(&["A", "B"]), "b"));
    assert!(!error_matches(&names(&["Lambda.ServiceException"]), "Lambda.Unknown"));
}

/// Which wildcards (`States.ALL`, `States.TaskFailed`, `States.Timeout`), then the error's
/// own name, match `error` in an `ErrorEquals` of their own: one row of §4.2 each.
fn matchers_of(error: &str) -> Vec<&str> {
    const WILDCARDS: [&str; 3] = ["States.ALL", "States.TaskFailed", "States.Timeout"];
    let own = (!WILDCARDS.contains(&error)).then_some(error);
    WILDCARDS.into_iter().chain(own).filter(|name| error_matches(&names(&[name]), error)).collect()
}

#[test]
fn states_all_matches_everything_but_data_limit_exceeded_and_runtime() {
    let all = names(&["States.ALL"]);
    for error in [
        "States.Timeout",
        "States.HeartbeatTimeout",
        "States.TaskFailed",
        "States.Permissions",
        "States.BranchFailed",
        "States.NoChoiceMatched",
        "States.ResultPathMatchFailure",
        "States.ExceedToleratedFailureThreshold",
        "States.Http.Socket",
        "Lambda.Unknown",
        "Custom",
    ] {
        assert!(error_matches(&all, error), "{error}");
    }
    assert!(!error_matches(&all, "States.DataLimitExceeded"));
    assert!(!error_matches(&all, "States.Runtime"));
}

#[test]
fn states_timeout_is_matched_by_its_name_and_states_all_but_not_by_task_failed() {
    assert_eq!(matchers_of("States.Timeout"), ["States.ALL", "States.Timeout"]);
}

#[test]
fn a_missed_heartbeat_is_matched_by_its_name_states_timeout_and_states_all_but_not_task_failed() {
    assert_eq!(matchers_of("States.HeartbeatTimeout"), ["States.ALL", "States.Timeout", "States.HeartbeatTimeout"]);
    // A plain timeout is no missed heartbeat.
    assert!(!error_matches(&names(&["States.HeartbeatTimeout"]), "States.Timeout"));
}

#[test]
fn states_task_failed_matches_everything_but_the_timeouts_and_the_named_only_errors() {
    let task_failed = names(&["States.TaskFailed"]);
    for error in ["States.TaskFailed", "Lambda.ServiceException", "States.Permissions", "States.NoChoiceMatched"] {
        assert!(error_matches(&task_failed, error), "{error}");
    }
    for error in ["States.Timeout", "States.HeartbeatTimeout", "States.DataLimitExceeded", "States.Runtime"] {
        assert!(!error_matches(&task_failed, error), "{error}");
    }
}

#[test]
fn states_permissions_is_matched_by_its_name_and_both_wildcards() {
    assert_eq!(matchers_of("States.Permissions"), ["States.ALL", "States.TaskFailed", "States.Permissions"]);
}

#[test]
fn data_limit_exceeded_is_matched_only_when_named_and_may_be_retried() {
    assert_eq!(matchers_of("States.DataLimitExceeded"), ["States.DataLimitExceeded"]);
    assert!(is_retriable("States.DataLimitExceeded"));
}

#[test]
fn runtime_is_matched_only_when_named_and_never_retried() {
    assert_eq!(matchers_of("States.Runtime"), ["States.Runtime"]);
    assert!(!is_retriable("States.Runtime"));
    assert!(is_retriable("States.Timeout"));
}

#[test]
fn branch_failed_is_a_plain_name_that_matches_no_branch_error() {
    assert_eq!(matchers_of("States.BranchFailed"), ["States.ALL", "States.TaskFailed", "States.BranchFailed"]);
    let branch_failed = names(&["States.BranchFailed"]);
    for error in ["QuorumNotMet", "States.Timeout", "States.TaskFailed", "Lambda.Unknown"] {
        assert!(!error_matches(&branch_failed, error), "{error}");
    }
}

#[test]
fn no_choice_matched_is_matched_by_its_name_and_both_wildcards() {
    let error = "States.NoChoiceMatched";
    assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
}

#[test]
fn data_processing_failures_are_matched_by_their_names_and_both_wildcards() {
    for error in [
        "States.ResultPathMatchFailure",
        "States.ParameterPathFailure",
        "States.IntrinsicFailure",
        "States.QueryEvaluationError",
    ] {
        assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
    }
}

#[test]
fn distributed_map_failures_are_matched_by_their_names_and_both_wildcards() {
    for error in ["States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed", "States.ResultWriterFailed"] {
        assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
    }
}

#[test]
fn an_http_task_socket_timeout_is_no_states_timeout() {
    let error = "States.Http.Socket";
    assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
}

#[test]
fn lambda_errors_are_matched_by_their_names_and_both_wildcards() {
    for error in [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.TooManyRequestsException",
        "Lambda.Unknown",
        "Sandbox.Timedout",
    ] {
        assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
    }
}

#[test]
fn the_shipped_order_processing_definition_parses() {
    let d = shipped("order_processing.asl.json");
    assert_eq!((d.timeout_seconds, d.scopes.len()), (Some(900), 3));
    assert_eq!(d.state(d.start_at).name, "Validate order");
    assert_eq!(
        task(&d, "Validate order").resource,
        Resource::Lambda { function: Target::Named("ValidateOrder".into()) }
    );
    assert_eq!(
        task(&d, "Notify customer").resource,
        Resource::SnsPublish { topic: Target::Named("OrderNotifications".into()) }
    );
    let reserve = task(&d, "Reserve inventory");
    assert_eq!((reserve.retry.len(), reserve.timeout_seconds), (3, 30));
    assert_eq!((reserve.retry[1].jitter, reserve.retry[1].max_delay_seconds), (Jitter::Full, Some(10)));
    assert_eq!(state(&d, "Reserve inventory").scope, ScopeId(1));
    assert_eq!(state(&d, "Charge payment").scope, ScopeId(2));
    let StateKind::Parallel(process) = &state(&d, "Process order").kind else { panic!() };
    assert_eq!(process.catch[0].next, id(&d, "Release inventory"));
    let StateKind::Choice(valid) = &state(&d, "Order valid?").kind else { panic!() };
    assert_eq!(valid.choices, vec![id(&d, "Process order"), id(&d, "Flag for review")]);
    assert_eq!(d.standard_only_feature(), None);
}

#[test]
fn the_shipped_map_items_definition_parses() {
    let d = shipped("map_items.asl.json");
    assert_eq!(state(&d, "Wait for batch window").kind, StateKind::Wait(Wait::SecondsPath));
    let items = map(&d, "Process items");
    assert_eq!((items.mode, items.max_concurrency, items.concurrency_limit()), (MapMode::Inline, 10, Some(10)));
    assert_eq!(d.scope(items.processor).start_at, id(&d, "Price item"));
    assert_eq!(
        task(&d, "Queue restock request").resource,
        Resource::SqsSend { queue: Target::Named("RestockRequests".into()) }
    );
    assert_eq!(state(&d, "Restock needed?").scope, items.processor);
}

#[test]
fn the_shipped_human_approval_definition_parses() {
    let d = shipped("human_approval.asl.json");
    let request = task(&d, "Request approval");
    assert_eq!(request.resource, Resource::SqsSend { queue: Target::Named("ApprovalRequests".into()) });
    assert_eq!(request.pattern, Pattern::WaitForTaskToken);
    assert_eq!((request.timeout_seconds, request.heartbeat_seconds), (86_400, None));
    assert_eq!(state(&d, "Wait before resending").kind, StateKind::Wait(Wait::Seconds(86_400)));
    assert_eq!(state(&d, "Wait before resending").next, Some(id(&d, "Request approval")));
    assert_eq!(
        d.standard_only_feature(),
        Some((id(&d, "Request approval"), "the .waitForTaskToken integration pattern"))
    );
}

/// In the style of AWS's public sample projects (a video transcoding pipeline): nested
/// workflows, ECS and Batch jobs, callbacks, a Distributed Map, retries and catchers.
const SAMPLE_PIPELINE: &str = r#"{
  "Comment": "Transcode uploaded videos: probe, transcode each rendition, publish, wait for a reviewer.",
  "StartAt": "Probe video",
  "States": {
    "Probe video": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ecs:runTask.sync",
      "Parameters": {
        "LaunchType": "FARGATE",
        "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/media",
        "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/probe:3",
        "Overrides": {
          "ContainerOverrides": [{"Name": "probe", "Environment": [{"Name": "KEY", "Value.$": "$.key"}]}]
        }
      },
      "ResultPath": "$.probe",
      "Retry": [
        {"ErrorEquals": ["ECS.AmazonECSException"], "IntervalSeconds": 5, "MaxAttempts": 3, "BackoffRate": 2},
        {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 10, "MaxAttempts": 1}
      ],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify failure"}],
      "Next": "Is HDR?"
    },
    "Is HDR?": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.probe.hdr", "BooleanEquals": true, "Next": "Tone map"}],
      "Default": "Transcode renditions"
    },
    "Tone map": {
      "Type": "Task",
      "Resource": "arn:aws:states:::batch:submitJob.sync",
      "Parameters": {"JobName": "tone-map", "JobQueue": "media", "JobDefinition": "tonemap:1"},
      "TimeoutSeconds": 3600,
      "Next": "Transcode renditions"
    },
    "Transcode renditions": {
      "Type": "Map",
      "Label": "Transcode",
      "MaxConcurrency": 50,
      "ToleratedFailurePercentage": 10,
      "ItemReader": {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.bucket", "Key": "renditions.json"}
      },
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Transcode",
        "States": {
          "Transcode": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "OutputPath": "$.Payload",
            "Parameters": {
              "Payload.$": "$",
              "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Transcode"
            },
            "Retry": [
              {
                "ErrorEquals": ["Lambda.TooManyRequestsException"],
                "IntervalSeconds": 1,
                "MaxAttempts": 10,
                "JitterStrategy": "FULL",
                "MaxDelaySeconds": 20
              }
            ],
            "End": true
          }
        }
      },
      "ResultWriter": {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket.$": "$.bucket", "Prefix": "results"}
      },
      "ResultPath": "$.renditions",
      "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Notify failure"}],
      "Next": "Publish"
    },
    "Publish": {
      "Type": "Parallel",
      "Branches": [
        {
          "StartAt": "Update catalog",
          "States": {
            "Update catalog": {
              "Type": "Task",
              "Resource": "arn:aws:states:::states:startExecution.sync:2",
              "Parameters": {
                "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:UpdateCatalog",
                "Input": {"video.$": "$.key", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
              },
              "End": true
            }
          }
        },
        {
          "StartAt": "Warm CDN",
          "States": {
            "Warm CDN": {"Type": "Wait", "Seconds": 30, "Next": "Purge cache"},
            "Purge cache": {
              "Type": "Task",
              "Resource": "arn:aws:states:::aws-sdk:cloudfront:createInvalidation",
              "Parameters": {
                "DistributionId": "E2EXAMPLE",
                "InvalidationBatch": {
                  "CallerReference.$": "$$.Execution.Name",
                  "Paths": {"Quantity": 1, "Items": ["/*"]}
                }
              },
              "End": true
            }
          }
        }
      ],
      "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
      "Next": "Wait for review"
    },
    "Wait for review": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {
        "FunctionName": "RequestReview:live",
        "Payload": {"token.$": "$$.Task.Token", "video.$": "$.key"}
      },
      "HeartbeatSeconds": 600,
      "TimeoutSeconds": 172800,
      "Catch": [{"ErrorEquals": ["States.Timeout", "States.HeartbeatTimeout"], "Next": "Notify failure"}],
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"},
    "Notify failure": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:media-alerts",
        "Message.$": "States.JsonToString($)"
      },
      "Next": "Failed"
    },
    "Failed": {"Type": "Fail", "Error": "TranscodeFailed", "Cause": "See the execution history."}
  }
}"#;

#[test]
fn a_definition_in_the_style_of_aws_samples_with_every_feature_parses() {
    let d = definition(SAMPLE_PIPELINE);
    assert_eq!(
        d.scopes.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [ScopeKind::Top, ScopeKind::MapIteration, ScopeKind::Branch, ScopeKind::Branch]
    );
    assert_eq!(task(&d, "Probe video").pattern, Pattern::Sync);
    assert_eq!(task(&d, "Tone map").resource, Resource::Other { service: "batch".into(), action: "submitJob".into() });
    assert_eq!(
        (task(&d, "Update catalog").resource.clone(), task(&d, "Update catalog").pattern),
        (Resource::StartExecution { state_machine: Target::Named("UpdateCatalog".into()) }, Pattern::SyncV2)
    );
    let review = task(&d, "Wait for review");
    assert_eq!(
        (review.resource.clone(), review.pattern),
        (Resource::Lambda { function: Target::Named("RequestReview".into()) }, Pattern::WaitForTaskToken)
    );
    let renditions = map(&d, "Transcode renditions");
    assert_eq!(renditions.mode, MapMode::Distributed { execution_type: ExecutionType::Express });
    assert_eq!(renditions.tolerated_failure_percentage, Some(10.0));
    assert_eq!(d.scope(renditions.processor).states, vec![id(&d, "Transcode")]);
    assert_eq!(state(&d, "Warm CDN").kind, StateKind::Wait(Wait::Seconds(30)));
    assert_eq!(d.standard_only_feature(), Some((id(&d, "Probe video"), "the .sync integration pattern")));
}

#[test]
fn standard_only_features_are_reported_for_express_checks() {
    let feature = |body: &str| definition(&single(body)).standard_only_feature().map(|(_, why)| why);
    assert_eq!(
        feature(r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:1:activity:A", "End": true}"#),
        Some("an activity")
    );
    assert_eq!(feature(r#"{"Type": "Pass", "End": true}"#), None);
    assert_eq!(
        feature(
            r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "End": true}"#
        ),
        None
    );
    let d = definition(&map_with("", r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#));
    assert_eq!(d.standard_only_feature(), Some((id(&d, "M"), "a Distributed Map")));
}
