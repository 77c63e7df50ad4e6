//! `orchsim import` of `FilterCriteria` on SQS event sources: the patterns become
//! `filter_patterns`, intrinsics resolved, and the placeholder traffic into the queue draws
//! its body from the patterns, so the imported scenario's messages reach the function.

mod common;

use common::{counter, line, orchsim, scratch_in, text};

use orchsim::import::{Options, import};
use orchsim::scenario::Scenario;

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Kind:
    Type: String
    Default: order
Resources:
  Orders: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 60}}
  Refunds: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 60}}
  Picky: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 60}}
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 10
      Events:
        FromOrders:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            FilterCriteria:
              Filters:
                - Pattern: !Sub '{"body": {"kind": ["${Kind}"], "region": [{"prefix": "eu-"}]}}'
                - Pattern: '{"body": {"kind": ["rush"]}}'
  Refunder:
    Type: AWS::Lambda::Function
    Properties: {Timeout: 10}
  RefundMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Refunds.Arn
      FunctionName: !Ref Refunder
      FilterCriteria: {Filters: [{Pattern: '{"body": {"amount": [{"numeric": [">", 100]}]}}'}]}
  Sender:
    Type: AWS::Lambda::Function
    Properties: {Timeout: 10}
  PickyMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Picky.Arn
      FunctionName: !Ref Sender
      FilterCriteria: {Filters: [{Pattern: '{"attributes": {"SenderId": ["me"]}}'}]}
"#;

fn options() -> Options {
    Options {
        parameters: Vec::new(),
        region: "us-east-1".into(),
        source_name: "template.yaml".into(),
        json: true,
        definitions_dir: std::path::PathBuf::from("."),
        definition_prefix: String::new(),
    }
}

#[test]
fn filter_criteria_become_filter_patterns_and_the_placeholder_traffic_matches_them() {
    let i = import(TEMPLATE, &options()).unwrap_or_else(|e| panic!("{e}"));
    let t = &i.toml;
    let handler = line(t, "lambda.Handler", "filter_patterns");
    // The parameter is substituted; each pattern is a JSON string.
    let patterns = r#"filter_patterns = ["{\"body\": {\"kind\": [\"order\"], \"region\": [{\"prefix\": \"eu-\"}]}}", "{\"body\": {\"kind\": [\"rush\"]}}"]  # template (FilterCriteria.Filters[].Pattern)"#;
    assert_eq!(handler, patterns);
    let refunder = line(t, "lambda.Refunder", "filter_patterns");
    assert!(refunder.contains(r#"{\"numeric\": [\">\", 100]}"#), "{refunder}");
    // The placeholder traffic into each filtered queue draws its body from the first pattern.
    assert!(
        line(t, "workload.OrdersTraffic.body", "\"kind\"").starts_with(r#""kind" = { values = ["order"] }"#),
        "{t}"
    );
    assert!(line(t, "workload.OrdersTraffic.body", "\"region\"").starts_with(r#""region" = { values = ["eu-"] }"#));
    assert!(line(t, "workload.RefundsTraffic.body", "\"amount\"").starts_with("\"amount\" = 101"), "{t}");
    // A filter on anything but the body is not one Lambda applies to SQS: warned, left out.
    assert!(!t.contains("[workload.PickyTraffic.body]"));
    let warned =
        i.warnings.iter().any(|w| w.starts_with("lambda.Sender: FilterCriteria") && w.contains("\"body\" only"));
    assert!(warned, "{:?}", i.warnings);
    assert!(
        !i.warnings.iter().any(|w| w.contains("lambda.Handler") || w.contains("lambda.Refunder")),
        "{:?}",
        i.warnings
    );

    // The scenario validates and runs, and the imported traffic reaches the functions.
    let dir = scratch_in("import_filters", "run");
    std::fs::write(dir.join("imported.toml"), t).unwrap();
    let scenario = Scenario::from_text("imported.toml", t, &dir, &["run.horizon_s=600".into()])
        .unwrap_or_else(|e| panic!("{e}\n{t}"));
    let (_, s) = common::summary(&scenario);
    for function in ["Handler", "Refunder"] {
        assert_eq!(counter(&s, &format!("lambda.{function}.filtered_out")), 0, "{function}");
        assert!(counter(&s, &format!("lambda.{function}.batch_messages")) > 0, "{function}");
    }
}

#[test]
fn the_command_maps_filter_criteria_in_its_json_and_scenario() {
    let dir = scratch_in("import_filters", "cli");
    std::fs::write(dir.join("template.yaml"), TEMPLATE).unwrap();
    let out = orchsim(&["import", "template.yaml", "--json", "--out", "system.toml"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    // In AWS's terms: the mapping's FilterCriteria, its intrinsics resolved.
    let understood = json.to_string();
    assert!(understood.contains("FilterCriteria") && understood.contains(r#"[\"order\"]"#), "{json:#}");
    let written = std::fs::read_to_string(dir.join("system.toml")).unwrap();
    assert!(written.contains("[workload.OrdersTraffic.body]"), "{written}");
    let run = orchsim(&["run", "system.toml", "--quiet", "--set", "run.horizon_s=120", "--out", "results"], &dir);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results/summary.json")).unwrap()).unwrap();
    assert!(counter(&summary, "lambda.Handler.batch_messages") > 0);
}

/// A function with three SQS sources: two mappings and a SAM event.
const SEVERAL: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fast: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 60}}
  Slow: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 60}}
  Bulk: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 120}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 10
      ReservedConcurrentExecutions: 20
      Events:
        FromBulk:
          Type: SQS
          Properties: {Queue: !GetAtt Bulk.Arn, BatchSize: 100, MaximumBatchingWindowInSeconds: 5}
  FastMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Fast.Arn
      FunctionName: !Ref Worker
      BatchSize: 1
      ScalingConfig: {MaximumConcurrency: 5}
  SlowMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Slow.Arn
      FunctionName: !Ref Worker
      FunctionResponseTypes: [ReportBatchItemFailures]
      FilterCriteria: {Filters: [{Pattern: '{"body": {"priority": ["low"]}}'}]}
"#;

#[test]
fn a_function_with_several_sqs_sources_gets_a_mapping_table_for_each() {
    let i = import(SEVERAL, &options()).unwrap_or_else(|e| panic!("{e}"));
    let t = &i.toml;
    assert!(!t.contains("\n[lambda.Worker]\nsource") && !line_exists(t, "lambda.Worker", "source"), "{t}");
    assert!(line(t, "lambda.Worker.mappings.FromBulk", "source").starts_with(r#"source = "sqs.Bulk""#), "{t}");
    assert!(line(t, "lambda.Worker.mappings.FromBulk", "batch_size").starts_with("batch_size = 100"));
    assert!(
        line(t, "lambda.Worker.mappings.FastMapping", "maximum_concurrency").starts_with("maximum_concurrency = 5")
    );
    assert!(
        line(t, "lambda.Worker.mappings.SlowMapping", "report_batch_item_failures")
            .starts_with("report_batch_item_failures = true")
    );
    assert!(line(t, "lambda.Worker.mappings.SlowMapping", "filter_patterns").contains("priority"));
    assert!(line(t, "workload.SlowTraffic.body", "\"priority\"").contains(r#"["low"]"#), "{t}");
    assert!(i.skipped.is_empty() && i.warnings.is_empty(), "{:?} {:?}", i.skipped, i.warnings);

    let dir = scratch_in("import_filters", "several");
    let scenario = Scenario::from_text("imported.toml", t, &dir, &["run.horizon_s=300".into()])
        .unwrap_or_else(|e| panic!("{e}\n{t}"));
    let (_, s) = common::summary(&scenario);
    for mapping in ["FromBulk", "FastMapping", "SlowMapping"] {
        assert!(counter(&s, &format!("lambda.Worker.mappings.{mapping}.batch_messages")) > 0, "{mapping}");
    }
}

/// Whether table `table` of the TOML text sets `key`.
fn line_exists(toml: &str, table: &str, key: &str) -> bool {
    let Some(start) = toml.find(&format!("\n[{table}]")) else { return false };
    let body = &toml[start + 1..];
    let end = body[1..].find("\n[").map_or(body.len(), |i| i + 1);
    body[..end].lines().any(|l| l.starts_with(&format!("{key} = ")))
}
