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
