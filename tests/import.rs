//! `orchsim import`: templates written here, imported, and the scenario text read back by the
//! scenario reader and run, as a user would.

mod common;

use common::line;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use orchsim::import::{Import, ImportError, Options, import};
use orchsim::scenario::Scenario;

fn options(params: &[(&str, &str)]) -> Options {
    Options {
        parameters: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        region: "us-east-1".into(),
        source_name: "template.yaml".into(),
        json: true,
        definitions_dir: PathBuf::from("."),
        definition_prefix: String::new(),
    }
}

fn imported(template: &str, params: &[(&str, &str)]) -> Import {
    import(template, &options(params)).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orchsim-import-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the scenario to a file, reads it back with the scenario reader and runs it.
fn validate_and_run(name: &str, toml: &str) -> serde_json::Value {
    let dir = scratch(name);
    let path = dir.join("imported.toml");
    fs::write(&path, toml).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let scenario = Scenario::from_text("imported.toml", &text, &dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    common::summary(&scenario).1
}

const SAM: &str = r#"
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  AlarmEmail:
    Type: String
Mappings:
  StageConfig:
    dev: {BatchSize: 5, Retention: 86400}
    prod: {BatchSize: 10, Retention: 1209600}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Timeout: 20
    MemorySize: 256
    Runtime: python3.12
    EventInvokeConfig:
      MaximumEventAgeInSeconds: 600
Resources:
  OrdersDLQ:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-orders-dlq'
  OrdersQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-orders-${Stage}'
      VisibilityTimeout: 120
      MessageRetentionPeriod: !FindInMap [StageConfig, !Ref Stage, Retention]
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
        maxReceiveCount: 3
  Processor:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      MemorySize: !If [IsProd, 1024, 512]
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt OrdersQueue.Arn
            BatchSize: !FindInMap [StageConfig, !Ref Stage, BatchSize]
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig:
              MaximumConcurrency: 5
  Notifier:
    Type: AWS::Serverless::Function
    Properties:
      Handler: notify.handler
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt OrdersDLQ.Arn}
      Events:
        Shipped:
          Type: SNS
          Properties:
            Topic: !Ref Updates
            FilterPolicy:
              status: [shipped]
  Updates:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub 'updates-${Stage}'
  Archive:
    Type: AWS::SQS::Queue
  ArchiveSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Updates
      Protocol: sqs
      Endpoint: !GetAtt Archive.Arn
      RawMessageDelivery: 'true'
      FilterPolicyScope: MessageBody
      FilterPolicy: '{"kind": ["order"]}'
  Orders:
    Type: AWS::DynamoDB::Table
"#;

#[test]
fn a_sam_template_imports_to_a_scenario_that_validates_and_runs() {
    let i = imported(SAM, &[]);
    let t = &i.toml;
    assert_eq!(line(t, "sqs.OrdersQueue", "visibility_timeout_s"), "visibility_timeout_s = 120  # template");
    assert_eq!(
        line(t, "sqs.OrdersQueue", "message_retention_s"),
        "message_retention_s = 86400  # template (Fn::FindInMap in Mappings.StageConfig)"
    );
    assert_eq!(
        line(t, "sqs.OrdersQueue", "dead_letter_queue"),
        r#"dead_letter_queue = "sqs.OrdersDLQ"  # template (RedrivePolicy.deadLetterTargetArn)"#
    );
    assert_eq!(
        line(t, "sqs.OrdersQueue", "receive_count_max"),
        "receive_count_max = 3  # template (RedrivePolicy.maxReceiveCount)"
    );
    assert_eq!(line(t, "sqs.OrdersDLQ", "delay_s"), "delay_s = 0  # AWS default");
    assert_eq!(
        line(t, "lambda.Processor", "memory_mb"),
        "memory_mb = 512  # template (Fn::If: condition IsProd is false)"
    );
    assert_eq!(line(t, "lambda.Processor", "timeout_s"), "timeout_s = 20  # Globals");
    assert_eq!(line(t, "lambda.Notifier", "memory_mb"), "memory_mb = 256  # Globals");
    assert!(line(t, "lambda.Processor", "duration_s").contains("# TODO placeholder"));
    assert_eq!(
        line(t, "lambda.Notifier", "maximum_event_age_s"),
        "maximum_event_age_s = 600  # Globals (EventInvokeConfig.MaximumEventAgeInSeconds)"
    );
    assert_eq!(line(t, "lambda.Notifier", "maximum_retry_attempts"), "maximum_retry_attempts = 2  # AWS default");
    assert_eq!(
        line(t, "lambda.Notifier", "dead_letter"),
        r#"dead_letter = "sqs.OrdersDLQ"  # template (DeadLetterQueue.TargetArn)"#
    );
    assert!(line(t, "lambda.Processor", "source").starts_with(r#"source = "sqs.OrdersQueue""#));
    assert!(line(t, "lambda.Processor", "batch_size").starts_with("batch_size = 5  "));
    assert!(line(t, "lambda.Processor", "maximum_concurrency").starts_with("maximum_concurrency = 5  "));
    assert!(
        line(t, "lambda.Processor", "report_batch_item_failures").starts_with("report_batch_item_failures = true  ")
    );
    assert_eq!(line(t, "lambda.Processor", "batching_window_s"), "batching_window_s = 0  # AWS default");
    assert!(line(t, "subscription.NotifierShipped", "endpoint").starts_with(r#"endpoint = "lambda.Notifier""#));
    assert!(
        line(t, "subscription.NotifierShipped", "filter_policy")
            .starts_with(r#"filter_policy = "{\"status\": [\"shipped\"]}""#)
    );
    assert!(
        line(t, "subscription.ArchiveSubscription", "filter_policy_scope")
            .starts_with(r#"filter_policy_scope = "MessageBody""#)
    );
    assert!(
        line(t, "subscription.ArchiveSubscription", "raw_message_delivery")
            .starts_with("raw_message_delivery = true  # template")
    );
    // Entry points: the queue nobody writes to and the topic; not the DLQ nor the
    // subscribed queue.
    assert!(t.contains("[workload.OrdersQueueTraffic]") && t.contains("[workload.UpdatesTraffic]"), "{t}");
    assert!(!t.contains("[workload.OrdersDLQTraffic]") && !t.contains("[workload.ArchiveTraffic]"), "{t}");
    assert!(line(t, "workload.UpdatesTraffic", "rate_per_s").contains("# TODO"));
    assert!(t.contains("# TODO parameter AlarmEmail has no Default"), "{t}");
    assert!(i.placeholders.iter().any(|p| p.starts_with("parameter AlarmEmail")));
    assert!(i.placeholders.iter().any(|p| p.starts_with("lambda.Processor.duration_s")));
    assert!(i.skipped.iter().any(|s| s.starts_with("Orders (AWS::DynamoDB::Table): DynamoDB")), "{:?}", i.skipped);

    let summary = validate_and_run("sam", t);
    assert!(common::counter(&summary, "sqs.OrdersQueue.sent") > 0);
    assert!(common::counter(&summary, "sqs.OrdersQueue.deleted") > 0);
}

#[test]
fn parameters_given_on_the_command_line_drive_conditions_and_mappings() {
    let i = imported(SAM, &[("Stage", "prod"), ("AlarmEmail", "ops@example.com")]);
    let t = &i.toml;
    assert_eq!(
        line(t, "lambda.Processor", "memory_mb"),
        "memory_mb = 1024  # template (Fn::If: condition IsProd is true)"
    );
    assert!(line(t, "lambda.Processor", "batch_size").starts_with("batch_size = 10  "));
    assert!(line(t, "sqs.OrdersQueue", "message_retention_s").starts_with("message_retention_s = 1209600  "));
    assert!(t.contains("# Parameters: Stage=prod, AlarmEmail=ops@example.com"));
    assert!(!i.placeholders.iter().any(|p| p.starts_with("parameter ")), "{:?}", i.placeholders);
    let e = import(SAM, &options(&[("Stag", "prod")])).unwrap_err();
    assert!(e.to_string().contains("the template has no parameter `Stag`"), "{e}");
}

const CLOUDFORMATION: &str = r#"
Parameters:
  Window:
    Type: Number
    Default: 2
  Reserved:
    Type: Number
Resources:
  Dlq:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Ref AWS::StackName}
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      DelaySeconds: 5
      ReceiveMessageWaitTimeSeconds: 20
      RedrivePolicy: !Sub '{"deadLetterTargetArn": "${Dlq.Arn}", "maxReceiveCount": 7}'
  Ordered:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: ordered.fifo
      FifoQueue: true
      ContentBasedDeduplication: true
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: job-worker
      Timeout: 10
      MemorySize: 1769
      Architectures: [arm64]
      ReservedConcurrentExecutions: 50
  Sequencer:
    Type: AWS::Lambda::Function
    Properties:
      Timeout: 10
      DeadLetterConfig: {TargetArn: !Ref Alerts}
      ReservedConcurrentExecutions: !Ref Reserved
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
      BatchSize: 100
      MaximumBatchingWindowInSeconds: !Ref Window
  OrderedMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !Join [':', [arn, aws, sqs, !Ref 'AWS::Region', !Ref 'AWS::AccountId', ordered.fifo]]
      FunctionName: !GetAtt Sequencer.Arn
  WorkerAsync:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Worker
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure: {Destination: !GetAtt Dlq.Arn}
  StreamMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
      FunctionName: !Ref Worker
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: lambda
          Endpoint: !Sub 'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:job-worker'
  Hook:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: https
      Endpoint: https://example.com/hook
      DeliveryPolicy:
        healthyRetryPolicy: {numRetries: 5, minDelayTarget: 2, maxDelayTarget: 30, backoffFunction: exponential}
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn}
  Rule:
    Type: AWS::Events::Rule
    Properties: {EventPattern: {source: [x]}}
  Machine:
    Type: AWS::StepFunctions::StateMachine
  Pipe:
    Type: AWS::Pipes::Pipe
  Nested:
    Type: AWS::CloudFormation::Stack
"#;

#[test]
fn cloudformation_resources_map_to_their_keys() {
    let i = imported(CLOUDFORMATION, &[]);
    let t = &i.toml;
    assert!(line(t, "sqs.Jobs", "dead_letter_queue").starts_with(r#"dead_letter_queue = "sqs.Dlq""#));
    assert!(line(t, "sqs.Jobs", "receive_count_max").starts_with("receive_count_max = 7  "));
    assert!(line(t, "sqs.Jobs", "delay_s").starts_with("delay_s = 5  "));
    assert!(t.contains("# ReceiveMessageWaitTimeSeconds = 20 (template): no scenario key"), "{t}");
    assert!(line(t, "sqs.Ordered", "fifo").starts_with("fifo = true  # template"));
    assert!(line(t, "workload.OrderedTraffic", "group_count").starts_with("group_count = 10  # TODO placeholder"));
    assert!(line(t, "sqs.Ordered", "content_based_deduplication").starts_with("content_based_deduplication = true  "));
    assert_eq!(line(t, "lambda.Worker", "architecture"), r#"architecture = "arm64"  # template"#);
    assert!(line(t, "lambda.Worker", "reserved_concurrency").starts_with("reserved_concurrency = 50  "));
    assert!(line(t, "lambda.Worker", "batch_size").starts_with("batch_size = 100  "));
    assert_eq!(
        line(t, "lambda.Worker", "batching_window_s"),
        "batching_window_s = 2  # template: parameter Window (its Default)"
    );
    assert!(line(t, "lambda.Sequencer", "source").starts_with(r#"source = "sqs.Ordered""#));
    assert!(line(t, "lambda.Sequencer", "dead_letter").starts_with(r#"dead_letter = "sns.Alerts""#));
    assert_eq!(
        line(t, "lambda.Worker", "maximum_retry_attempts"),
        "maximum_retry_attempts = 0  # template (AWS::Lambda::EventInvokeConfig WorkerAsync.MaximumRetryAttempts)"
    );
    assert!(line(t, "lambda.Worker", "on_failure").starts_with(r#"on_failure = "sqs.Dlq""#));
    assert_eq!(line(t, "lambda.Worker", "maximum_event_age_s"), "maximum_event_age_s = 21600  # AWS default");
    // A FIFO source takes no batching window; the parameter without a value is left out.
    assert!(!t.contains("[lambda.Sequencer]  # AWS::Lambda::Function Sequencer\nbatching_window_s"));
    assert!(
        i.placeholders.iter().any(|p| p.starts_with(
            "lambda.Sequencer.reserved_concurrency: ReservedConcurrentExecutions is ${parameter Reserved}"
        )),
        "{:?}",
        i.placeholders
    );
    assert!(line(t, "subscription.AlertsSubscription1", "endpoint").starts_with(r#"endpoint = "lambda.Worker""#));
    assert!(line(t, "subscription.Hook", "endpoint").starts_with(r#"endpoint = "endpoint.HookEndpoint""#));
    assert!(line(t, "subscription.Hook", "dead_letter_queue").starts_with(r#"dead_letter_queue = "sqs.Dlq""#));
    assert!(line(t, "subscription.Hook", "delivery_policy").contains("numRetries"));
    assert!(line(t, "endpoint.HookEndpoint", "protocol").starts_with(r#"protocol = "https""#));
    for (id, reason) in [
        ("StreamMapping", "neither an SQS queue nor an Amazon MQ broker of this template"),
        ("Rule (AWS::Events::Rule Rule)", "no target orchsim models"),
        ("Machine (AWS::StepFunctions::StateMachine)", "no Definition, DefinitionString or DefinitionUri"),
        ("Pipe (AWS::Pipes::Pipe)", "not modelled"),
        ("Nested (AWS::CloudFormation::Stack)", "nested stack"),
    ] {
        assert!(i.skipped.iter().any(|s| s.starts_with(id) && s.contains(reason)), "{id}: {:?}", i.skipped);
    }
    validate_and_run("cloudformation", t);
}

#[test]
fn json_says_what_was_understood_in_aws_terms() {
    let i = imported(CLOUDFORMATION, &[]);
    let json: serde_json::Value = serde_json::from_str(i.json.as_deref().unwrap()).unwrap();
    let resource = |id: &str| json["resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    let dlq = resource("Dlq");
    assert_eq!(dlq["element"], "sqs.Dlq");
    assert_eq!(dlq["properties"]["QueueName"], serde_json::json!({"pseudo": "AWS::StackName"}));
    assert_eq!(dlq["properties"]["VisibilityTimeout"], 30, "AWS's default");
    assert_eq!(dlq["skipped"], serde_json::Value::Null);
    let jobs = resource("Jobs");
    assert_eq!(jobs["properties"]["RedrivePolicy"], r#"{"deadLetterTargetArn": "${Dlq.Arn}", "maxReceiveCount": 7}"#);
    let mapping = resource("JobsMapping");
    assert_eq!(mapping["element"], "lambda.Worker");
    assert_eq!(mapping["properties"]["EventSourceArn"], serde_json::json!({"ref": "Jobs"}));
    assert_eq!(mapping["properties"]["MaximumBatchingWindowInSeconds"], "2", "a Number parameter's value is a string");
    assert_eq!(mapping["properties"]["Enabled"], true);
    assert_eq!(resource("OrderedMapping")["element"], "lambda.Sequencer");
    assert_eq!(
        resource("Sequencer")["properties"]["ReservedConcurrentExecutions"],
        serde_json::json!({"param": "Reserved"})
    );
    let stream = resource("StreamMapping");
    assert_eq!(stream["element"], serde_json::Value::Null);
    assert!(
        stream["skipped"].as_str().unwrap().contains("neither an SQS queue nor an Amazon MQ broker of this template")
    );
    assert!(resource("Rule")["skipped"].as_str().unwrap().contains("no target orchsim models"));
    assert_eq!(json["template"], "template.yaml");
    assert!(
        json["placeholders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("lambda.Worker.duration_s"))
    );

    let sam: serde_json::Value = serde_json::from_str(imported(SAM, &[]).json.as_deref().unwrap()).unwrap();
    let processor = sam["resources"].as_array().unwrap().iter().find(|r| r["id"] == "Processor").unwrap().clone();
    assert_eq!(processor["properties"]["Timeout"], 20, "from Globals");
    assert_eq!(processor["properties"]["MemorySize"], 512, "the function's own, over Globals");
    assert_eq!(
        processor["properties"]["Events"]["Orders"]["Properties"]["Queue"],
        serde_json::json!({"ref": "OrdersQueue"})
    );
}

#[test]
fn json_templates_import_like_yaml() {
    let json = r#"{
  "Resources": {
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": {"Fn::Select": [1, [10, 45]]}}},
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 30}},
    "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
      "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "FunctionName": {"Ref": "Fn"}}}
  }
}"#;
    let t = imported(json, &[]).toml;
    assert!(
        line(&t, "sqs.Queue", "visibility_timeout_s").starts_with("visibility_timeout_s = 45  # template (Fn::Select)")
    );
    assert!(line(&t, "lambda.Fn", "source").starts_with(r#"source = "sqs.Queue""#));
    validate_and_run("json", &t);
}

#[test]
fn duplicate_keys_keep_the_last_value_with_a_warning() {
    let template = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 10\n      VisibilityTimeout: 40\n";
    let i = imported(template, &[]);
    assert!(line(&i.toml, "sqs.Q", "visibility_timeout_s").starts_with("visibility_timeout_s = 40  "));
    assert_eq!(i.warnings.len(), 1);
    assert!(i.warnings[0].starts_with("6:26: duplicate key `VisibilityTimeout` (first at 5:26)"), "{}", i.warnings[0]);
}

#[test]
fn bad_templates_are_refused_with_where_and_why() {
    let e = import(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: [1, }\n",
        &options(&[]),
    )
    .unwrap_err();
    let ImportError::Read(read) = &e else { panic!("{e:?}") };
    assert_eq!(read.line, 4, "{e}");
    let e = import(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: !Ref Nope\n",
        &options(&[]),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "5:31: Resources.Q.Properties.VisibilityTimeout.Ref: Ref Nope: no parameter, resource or pseudo parameter has this name"
    );
    let e = import("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n", &options(&[])).unwrap_err();
    assert!(matches!(e, ImportError::NothingToSimulate(_)), "{e:?}");
    assert!(e.to_string().contains("T (AWS::DynamoDB::Table): DynamoDB is not modelled"), "{e}");
    let e = import(
        "Resources:\n  T: {Type: AWS::SNS::Topic}\n  S:\n    Type: AWS::SNS::Subscription\n    Properties:\n      TopicArn: !Ref T\n      Protocol: https\n      Endpoint: https://example.com\n      FilterPolicy: '{\"a\": [1'\n",
        &options(&[]),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("9:21: Resources.S.Properties.FilterPolicy: not a JSON object (at 1:"), "{e}");
    let e = import("- a list\n", &options(&[])).unwrap_err();
    assert!(e.to_string().starts_with("1:1: a template is a mapping"), "{e}");
}

#[test]
fn resources_whose_condition_is_false_are_not_created() {
    let template = "Parameters:\n  WithDlq: {Type: String, Default: 'no'}\nConditions:\n  Dlq: !Equals [!Ref WithDlq, 'yes']\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n  D:\n    Type: AWS::SQS::Queue\n    Condition: Dlq\n";
    let i = imported(template, &[]);
    assert!(!i.toml.contains("[sqs.D]"));
    assert!(i.skipped.iter().any(|s| s.contains("its condition Dlq is false")), "{:?}", i.skipped);
    let i = imported(template, &[("WithDlq", "yes")]);
    assert!(i.toml.contains("[sqs.D]"));
}

// The command line.

fn orchsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_command_writes_a_scenario_that_runs_and_lists_what_it_could_not_know() {
    let dir = scratch("cli");
    fs::write(dir.join("template.yaml"), SAM).unwrap();
    let out = orchsim(&["import", "template.yaml", "--param", "Stage=prod", "--out", "system.toml"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for part in [
        "TODO: lambda.Processor.duration_s",
        "TODO: workload.UpdatesTraffic",
        "TODO: parameter AlarmEmail",
        "skipped: Orders (AWS::DynamoDB::Table)",
        "system.toml: 3 queue(s), 1 topic(s), 2 subscription(s), 2 function(s), 0 state machine(s), 0 rule(s), 2 workload(s)",
    ] {
        assert!(stderr.contains(part), "stderr lacks {part:?}:\n{stderr}");
    }
    assert!(out.stdout.is_empty());
    let written = fs::read_to_string(dir.join("system.toml")).unwrap();
    assert!(written.contains("memory_mb = 1024"));
    let run = orchsim(&["run", "system.toml", "--quiet", "--set", "run.horizon_s=60", "--out", "results"], &dir);
    assert!(run.status.success(), "{}", text(&run.stderr));

    // Without --out, the scenario goes to standard output.
    let out = orchsim(&["import", "template.yaml"], &dir);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("# Imported by `orchsim import` from template.yaml."));

    // With --json, standard output is what was understood; the scenario still goes to --out.
    let out = orchsim(&["import", "template.yaml", "--json", "--out", "again.toml"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    assert_eq!(json["resources"][0]["id"], "OrdersDLQ");
    assert!(dir.join("again.toml").exists());
}

#[test]
fn the_command_refuses_bad_input_with_exit_code_2_and_writes_nothing() {
    let dir = scratch("cli-bad");
    let out = orchsim(&["import", "missing.yaml", "--out", "x.toml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: missing.yaml: "), "{}", text(&out.stderr));

    fs::write(dir.join("bad.yaml"), "Resources:\n  Q: {Type: AWS::SQS::Queue\n  R: 1\n").unwrap();
    let out = orchsim(&["import", "bad.yaml", "--out", "x.toml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: bad.yaml:"), "{stderr}");
    let position: Vec<&str> = stderr["error: bad.yaml:".len()..].splitn(3, ':').collect();
    assert!(position[0].parse::<u32>().is_ok() && position[1].parse::<u32>().is_ok(), "{stderr}");

    fs::write(dir.join("t.yaml"), SAM).unwrap();
    let out = orchsim(&["import", "t.yaml", "--param", "Stage"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--param Stage: expected NAME=VALUE"));

    // A template AWS would accept but whose scenario is invalid: the function's timeout
    // exceeds its queue's visibility timeout.
    fs::write(
        dir.join("slow.yaml"),
        "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Timeout: 60}\n  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties: {EventSourceArn: !GetAtt Q.Arn, FunctionName: !Ref F}\n",
    )
    .unwrap();
    let out = orchsim(&["import", "slow.yaml", "--out", "x.toml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does not validate"), "{}", text(&out.stderr));
    assert!(!dir.join("x.toml").exists());
}

#[test]
fn sam_sns_events_with_an_sqs_subscription_put_a_queue_before_the_function() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Buffer: {Type: AWS::SQS::Queue}
  Fan:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Own:
          Type: SNS
          Properties: {Topic: !Ref Topic, SqsSubscription: true}
  Named:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      Events:
        Given:
          Type: SNS
          Properties:
            Topic: !Ref Topic
            SqsSubscription: {QueueArn: !GetAtt Buffer.Arn, QueueUrl: !Ref Buffer, BatchSize: 4}
        Off:
          Type: SQS
          Properties: {Queue: !GetAtt Buffer.Arn, Enabled: no}
  Aliased:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
  Side: {Type: AWS::SQS::Queue}
  SideMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Side.Arn, FunctionName: !Ref AliasedAliaslive}
"#;
    let i = imported(template, &[]);
    let t = &i.toml;
    assert!(line(t, "subscription.FanOwn", "endpoint").starts_with(r#"endpoint = "sqs.FanOwnQueue""#), "{t}");
    assert!(line(t, "lambda.Fan", "source").starts_with(r#"source = "sqs.FanOwnQueue""#));
    assert_eq!(line(t, "lambda.Fan", "batch_size"), "batch_size = 10  # AWS default");
    assert!(line(t, "subscription.NamedGiven", "endpoint").starts_with(r#"endpoint = "sqs.Buffer""#));
    assert!(line(t, "lambda.Named", "batch_size").starts_with("batch_size = 4  # template"));
    assert!(line(t, "lambda.Aliased", "source").starts_with(r#"source = "sqs.Side""#));
    assert!(i.skipped.iter().any(|s| s == "Named.Events.Off (SQS): disabled (Enabled: false)"), "{:?}", i.skipped);
    // Only the topic and the queue nothing writes to get traffic.
    assert!(t.contains("[workload.TopicTraffic]") && t.contains("[workload.SideTraffic]"));
    assert!(!t.contains("[workload.BufferTraffic]") && !t.contains("[workload.FanOwnQueueTraffic]"));
    validate_and_run("sns-sqs", t);
}

#[test]
fn api_events_become_synchronous_invocations_at_a_placeholder_rate() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 29
      Events:
        Get:
          Type: Api
          Properties: {Path: /orders, Method: get}
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
"#;
    let i = imported(template, &[]);
    let t = &i.toml;
    assert_eq!(
        line(t, "workload.ApiGetTraffic", "target"),
        r#"target = "lambda.Api"  # template (Events.Get: Api GET /orders)"#
    );
    assert!(line(t, "workload.ApiGetTraffic", "rate_per_s").contains("# TODO"));
    assert!(
        i.placeholders.iter().any(|p| p.starts_with("workload.ApiGetTraffic: Poisson requests")),
        "{:?}",
        i.placeholders
    );
    // A schedule is traffic the template knows: one invocation a minute.
    assert!(
        line(t, "workload.ApiTickSchedule", "rate_per_s").starts_with("rate_per_s = 0.016666666666666666  # template")
    );
    assert!(line(t, "workload.ApiTickSchedule", "arrival").starts_with(r#"arrival = "constant""#));
    validate_and_run("api", t);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn any_text_is_imported_or_refused(text in "\\PC{0,400}") {
            let _ = import(&text, &options(&[]));
        }

        /// The SAM template with one line's value replaced: imported or refused, and what
        /// is imported is read by the scenario reader without a panic either.
        #[test]
        fn a_template_with_one_value_changed_is_imported_or_refused(
            line in 0usize..100,
            value in prop::sample::select(vec![
                "-1", "0", "1e308", ".nan", "'x'", "[]", "{}", "true", "no", "99999999999999999999",
                "!Ref Nope", "!GetAtt Nope.Arn", "!Sub '${Nope}'", "!Select [9, [a]]", "!If [Nope, 1, 2]",
                "!FindInMap [A, B, C]", "'{\"Ref\": \"Stage\"}'", "!Sub '${AWS::Region}'", "!ImportValue x",
                "!Join [',', [!Ref Stage, 1]]", "'{\"deadLetterTargetArn\": 1}'", "!Base64 x", "[1, 2]",
            ]),
        ) {
            let mut lines: Vec<String> = SAM.lines().map(str::to_string).collect();
            let n = lines.len();
            let l = &mut lines[line % n];
            if let Some(i) = l.find(": ") {
                l.truncate(i + 2);
                l.push_str(value);
            }
            if let Ok(i) = import(&lines.join("\n"), &options(&[])) {
                let _ = Scenario::from_text("imported.toml", &i.toml, Path::new("."), &[]);
            }
        }
    }
}
