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

#[test]
fn a_sam_destination_is_named_by_a_reference_that_comes_before_its_function() {
    // `Drain` and `Notify` read SAM's queue and topic before `Worker`, whose
    // EventInvokeConfig makes them, is mapped; Globals give the destinations.
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    EventInvokeConfig:
      DestinationConfig:
        OnFailure: {Type: SQS}
        OnSuccess: {Type: SNS}
Resources:
  Drain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: drain.handler
      EventInvokeConfig: {MaximumRetryAttempts: 0}
      Events:
        Failed:
          Type: SQS
          Properties: {Queue: !GetAtt Worker.DestinationQueue}
  Notify:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !GetAtt Worker.DestinationTopic
      Protocol: sqs
      Endpoint: !GetAtt Audit.Arn
  Audit: {Type: AWS::SQS::Queue}
  Inbox: {Type: AWS::SNS::Topic}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        In:
          Type: SNS
          Properties: {Topic: !Ref Inbox}
"#;
    let i = imported(template);
    let t = &i.toml;
    assert!(
        line(t, "lambda.Drain", "source").starts_with(r#"source = "sqs.WorkerEventInvokeConfigOnFailureQueue""#),
        "{t}"
    );
    assert!(
        line(t, "subscription.Notify", "topic").starts_with(r#"topic = "sns.WorkerEventInvokeConfigOnSuccessTopic""#),
        "{t}"
    );
    assert_eq!(t.matches("\n[sqs.WorkerEventInvokeConfigOnFailureQueue]").count(), 1, "{t}");
    assert_eq!(t.matches("\n[sns.WorkerEventInvokeConfigOnSuccessTopic]").count(), 1, "{t}");
    let summary = validate_and_run(t);
    assert!(summary.to_string().contains("WorkerEventInvokeConfigOnFailureQueue"), "{summary}");
}

#[test]
fn provisioned_poller_config_maps_to_the_provisioned_pollers_keys() {
    let template = r#"
Parameters:
  MaxPollers: {Type: Number, Default: 30}
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Other: {Type: AWS::SQS::Queue}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Timeout: 10}
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
      ProvisionedPollerConfig: {MinimumPollers: 5, MaximumPollers: 40}
  Lone:
    Type: AWS::Lambda::Function
  LoneMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Other.Arn
      FunctionName: !Ref Lone
      ScalingConfig: {MaximumConcurrency: 50}
      ProvisionedPollerConfig: {MinimumPollers: 1, MaximumPollers: !Ref MaxPollers}
"#;
    let i = imported(template);
    let t = &i.toml;
    assert_eq!(
        line(t, "lambda.Worker", "provisioned_pollers_min"),
        "provisioned_pollers_min = 5  # template (ProvisionedPollerConfig.MinimumPollers)"
    );
    assert_eq!(
        line(t, "lambda.Worker", "provisioned_pollers_max"),
        "provisioned_pollers_max = 40  # template (ProvisionedPollerConfig.MaximumPollers)"
    );
    // The schema allows 1; Lambda takes at least 2 for SQS. MaximumConcurrency cannot stand
    // beside provisioned mode.
    assert!(line(t, "lambda.Lone", "provisioned_pollers_min").starts_with("provisioned_pollers_min = 2  # template"));
    assert!(!t.contains("maximum_concurrency = 50"), "{t}");
    assert_eq!(
        line(t, "lambda.Lone", "provisioned_pollers_max"),
        "provisioned_pollers_max = 30  # template: parameter MaxPollers (its Default) (ProvisionedPollerConfig.MaximumPollers)"
    );
    for w in ["MinimumPollers 1 is below the 2", "MaximumConcurrency beside ProvisionedPollerConfig"] {
        assert!(i.warnings.iter().any(|x| x.starts_with("lambda.Lone: ") && x.contains(w)), "{w}: {:?}", i.warnings);
    }
    let mapping = json(&i)["resources"].as_array().unwrap().iter().find(|r| r["id"] == "JobsMapping").unwrap().clone();
    assert_eq!(mapping["properties"]["ProvisionedPollerConfig"]["MinimumPollers"], 5);
    let summary = validate_and_run(t);
    assert!(summary["gauges"]["lambda.Worker.pollers_mean"].as_f64().unwrap() >= 50.0, "{summary}");
}

#[test]
fn the_command_imports_both_into_a_scenario_that_orchsim_run_runs() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SNS}
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            ProvisionedPollerConfig: {MinimumPollers: 3}
"#;
    let dir = std::env::temp_dir().join(format!("orchsim-import_lambda-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let out = common::orchsim(&["import", "template.yaml", "--json", "--out", "system.toml"], &dir);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let understood: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    let worker = understood["resources"].as_array().unwrap().iter().find(|r| r["id"] == "Worker").unwrap().clone();
    assert_eq!(worker["properties"]["Events"]["Work"]["Properties"]["ProvisionedPollerConfig"]["MinimumPollers"], 3);
    let written = std::fs::read_to_string(dir.join("system.toml")).unwrap();
    assert!(written.contains("[sns.WorkerEventInvokeConfigOnFailureTopic]"), "{written}");
    assert!(written.contains("provisioned_pollers_min = 3  # template"), "{written}");
    let run =
        common::orchsim(&["run", "system.toml", "--quiet", "--set", "run.horizon_s=60", "--out", "results"], &dir);
    assert!(run.status.success(), "{}", common::text(&run.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results/summary.json")).unwrap()).unwrap();
    assert!(common::gauge(&summary, "lambda.Worker.pollers_mean") >= 30.0, "3 event pollers of 10 batches");
}

#[test]
fn snap_start_on_published_versions_maps_to_snap_start() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Inbox: {Type: AWS::SNS::Topic}
  Published:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      AutoPublishAlias: live
      SnapStart: {ApplyOn: PublishedVersions}
      Events:
        In: {Type: SNS, Properties: {Topic: !Ref Inbox}}
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      SnapStart: {ApplyOn: PublishedVersions}
  PlainVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Plain}
  Latest:
    Type: AWS::Serverless::Function
    Properties:
      Handler: latest.handler
      SnapStart: {ApplyOn: PublishedVersions}
"#;
    let i = imported(template);
    let t = &i.toml;
    assert_eq!(
        line(t, "lambda.Published", "snap_start"),
        "snap_start = true  # template (SnapStart.ApplyOn PublishedVersions; versions published by AutoPublishAlias, template)"
    );
    assert!(line(t, "lambda.Plain", "snap_start").contains("versions published by AWS::Lambda::Version PlainVersion"));
    assert!(!t.contains("[lambda.Latest]  # AWS::Serverless::Function Latest\nsnap_start"));
    assert!(
        i.warnings.iter().any(|w| w.starts_with("lambda.Latest: SnapStart applies to published versions")),
        "{:?}",
        i.warnings
    );
    assert!(i.placeholders.iter().any(|p| p.starts_with("lambda.Published.restore_duration_s")));
    let published = json(&i)["resources"].as_array().unwrap().iter().find(|r| r["id"] == "Published").unwrap().clone();
    assert_eq!(published["properties"]["SnapStart"]["ApplyOn"], "PublishedVersions");
    validate_and_run(t);
}
