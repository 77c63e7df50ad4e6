//! `orchsim import` of a SAM function's Lambda settings that SAM expands into resources or
//! that map to keys of a function's event source: templates written here, imported, and the
//! scenario read back by the scenario reader and run.

mod common;

use common::line;

use std::path::PathBuf;

use orchsim::import::{Import, Options, import};
use orchsim::scenario::Scenario;

fn imported(template: &str) -> Import {
    let options = Options {
        parameters: Vec::new(),
        region: "us-east-1".into(),
        source_name: "template.yaml".into(),
        json: true,
        definitions_dir: PathBuf::from("."),
        definition_prefix: String::new(),
    };
    import(template, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads the scenario back with the scenario reader and runs it.
fn validate_and_run(toml: &str) -> serde_json::Value {
    let dir = std::env::temp_dir();
    let scenario = Scenario::from_text("imported.toml", toml, &dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    common::summary(&scenario).1
}

fn json(i: &Import) -> serde_json::Value {
    serde_json::from_str(i.json.as_deref().unwrap()).unwrap()
}

#[test]
fn sam_destinations_without_an_arn_become_the_queue_and_topic_sam_creates() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Inbox: {Type: AWS::SNS::Topic}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        In:
          Type: SNS
          Properties: {Topic: !Ref Inbox}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure: {Type: SQS}
          OnSuccess: {Type: SNS}
  Drain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: drain.handler
      Events:
        Failed:
          Type: SQS
          Properties: {Queue: !GetAtt Worker.DestinationQueue}
  Odd:
    Type: AWS::Serverless::Function
    Properties:
      Handler: odd.handler
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: Lambda}
"#;
    let i = imported(template);
    let t = &i.toml;
    assert!(
        t.contains(
            "[sqs.WorkerEventInvokeConfigOnFailureQueue]  # the OnFailure destination SAM creates for Worker (EventInvokeConfig, Type SQS)"
        ),
        "{t}"
    );
    assert!(t.contains("[sns.WorkerEventInvokeConfigOnSuccessTopic]  # the OnSuccess destination SAM creates"), "{t}");
    assert_eq!(
        line(t, "lambda.Worker", "on_failure"),
        r#"on_failure = "sqs.WorkerEventInvokeConfigOnFailureQueue"  # template (EventInvokeConfig.DestinationConfig.OnFailure.Type SQS, no Destination: SAM creates it)"#
    );
    assert_eq!(
        line(t, "lambda.Worker", "on_success"),
        r#"on_success = "sns.WorkerEventInvokeConfigOnSuccessTopic"  # template (EventInvokeConfig.DestinationConfig.OnSuccess.Type SNS, no Destination: SAM creates it)"#
    );
    // `Fn.DestinationQueue` elsewhere in the template is that queue.
    assert!(line(t, "lambda.Drain", "source").starts_with(r#"source = "sqs.WorkerEventInvokeConfigOnFailureQueue""#));
    // SAM creates a destination only for SQS and SNS.
    assert!(!t.contains("[lambda.Odd]  # AWS::Serverless::Function Odd\non_failure"));
    assert!(!line(t, "lambda.Odd", "maximum_event_age_s").is_empty());
    assert!(
        i.warnings
            .iter()
            .any(|w| w.starts_with("lambda.Odd: the OnFailure destination has Type Lambda and no Destination")),
        "{:?}",
        i.warnings
    );
    let worker = json(&i)["resources"].as_array().unwrap().iter().find(|r| r["id"] == "Worker").unwrap().clone();
    assert_eq!(worker["properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"], "SQS");
    let summary = validate_and_run(t);
    assert!(summary.to_string().contains("WorkerEventInvokeConfigOnFailureQueue"), "{summary}");
}
