//! `orchsim import` of EventBridge, Step Functions and Amazon MQ: templates written here,
//! imported, checked through the scenario text and `--json`, then read back by the scenario
//! reader and run.

mod common;

use common::line;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use orchsim::import::{Import, Options, import};
use orchsim::scenario::Scenario;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orchsim-import-orch-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn imported_in(template: &str, dir: &Path) -> Import {
    let options = Options {
        parameters: Vec::new(),
        region: "us-east-1".into(),
        source_name: "template.yaml".into(),
        json: true,
        definitions_dir: dir.to_path_buf(),
        definition_prefix: "imported.".into(),
    };
    import(template, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes the scenario and its definitions, reads them back and runs them.
fn validate_and_run(dir: &Path, i: &Import) -> serde_json::Value {
    for d in &i.definitions {
        fs::write(dir.join(&d.file), &d.text).unwrap();
    }
    fs::write(dir.join("imported.toml"), &i.toml).unwrap();
    let text = fs::read_to_string(dir.join("imported.toml")).unwrap();
    let scenario = Scenario::from_text("imported.toml", &text, dir, &[]).unwrap_or_else(|e| panic!("{e}\n{}", i.toml));
    common::summary(&scenario).1
}

fn resource(i: &Import, id: &str) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_str(i.json.as_deref().unwrap()).unwrap();
    json["resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id}")).clone()
}

const EVENTBRIDGE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders-bus}
  Orders:
    Type: AWS::SQS::Queue
  Dlq:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
  OrderRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !GetAtt Bus.Arn
      EventPattern:
        source: [com.shop]
        detail-type: [OrderPlaced]
        detail: {amount: [{numeric: [">", 100]}], tier: [{prefix: gold}]}
      Targets:
        - Arn: !GetAtt Orders.Arn
          Id: q
          RetryPolicy: {MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 600}
          DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
        - Arn: !Ref Alerts
          Id: t
          RetryPolicy: {MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 600}
  Off:
    Type: AWS::Events::Rule
    Properties:
      State: DISABLED
      EventPattern: {source: [x]}
      Targets: [{Arn: !Ref Alerts, Id: t}]
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: cron(0 2 ? * MON-FRI *)
      Targets: [{Arn: !GetAtt Worker.Arn, Id: w}]
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: x
      Events:
        Every5:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes)}
        OnFail:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [aws.states], detail: {status: [FAILED, TIMED_OUT]}}
            DeadLetterConfig: {Type: SQS}
  Hourly:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(1 hour)
      FlexibleTimeWindow: {Mode: "OFF"}
      Target: {Arn: !GetAtt Orders.Arn, RoleArn: x}
"#;

#[test]
fn rules_map_to_their_bus_pattern_targets_retry_policy_and_dead_letter_queue() {
    let dir = scratch("rules");
    let i = imported_in(EVENTBRIDGE, &dir);
    let t = &i.toml;
    assert!(line(t, "eventbridge.Bus", "kind").starts_with(r#"kind = "classic""#));
    assert!(line(t, "rule.OrderRule", "bus").starts_with(r#"bus = "eventbridge.Bus"  # template (EventBusName)"#));
    // The targets share a retry policy but only the queue has a dead-letter queue: each
    // target carries its own.
    assert!(line(t, "rule.OrderRule", "targets").starts_with(
        r#"targets = [{ target = "sqs.Orders", maximum_retry_attempts = 4, maximum_event_age_s = 600, dead_letter_queue = "sqs.Dlq" }, { target = "sns.Alerts", maximum_retry_attempts = 4, maximum_event_age_s = 600 }]  # template"#
    ));
    assert!(line(t, "rule.OrderRule", "event_pattern").contains(r#"\"detail-type\": [\"OrderPlaced\"]"#));
    let rule = &t[t.find("\n[rule.OrderRule]").unwrap()..];
    let rule = &rule[..rule[1..].find("\n[").unwrap()];
    assert!(!rule.contains("\nmaximum_retry_attempts") && !rule.contains("\ndead_letter_queue"), "{rule}");
    // SAM's rule event: the default bus, AWS's retry policy, and the queue SAM creates.
    assert!(line(t, "rule.WorkerOnFail", "bus").starts_with(r#"bus = "eventbridge.default"  # AWS default"#));
    assert!(line(t, "rule.WorkerOnFail", "targets").starts_with(r#"targets = ["lambda.Worker"]"#));
    assert!(
        line(t, "rule.WorkerOnFail", "maximum_retry_attempts")
            .starts_with("maximum_retry_attempts = 185  # AWS default")
    );
    assert!(
        line(t, "rule.WorkerOnFail", "dead_letter_queue").starts_with(r#"dead_letter_queue = "sqs.WorkerOnFailQueue""#)
    );
    assert!(t.contains("\n[eventbridge.default]"));
    assert!(i.skipped.iter().any(|s| s == "Off (AWS::Events::Rule): disabled (State: DISABLED)"), "{:?}", i.skipped);
    // Placeholder events carry the pattern's exact values, and a number its numeric test passes.
    assert!(line(t, "workload.OrderRuleTraffic", "target").starts_with(r#"target = "eventbridge.Bus""#));
    assert!(
        line(t, "workload.OrderRuleTraffic.body", r#""source""#)
            .starts_with(r#""source" = { values = ["com.shop"] }  # TODO"#)
    );
    assert!(
        line(t, "workload.OrderRuleTraffic.body", r#""detail.amount""#).starts_with(r#""detail.amount" = 101  # TODO"#)
    );
    assert!(
        line(t, "workload.OrderRuleTraffic.body", r#""detail.tier""#)
            .starts_with(r#""detail.tier" = { values = ["gold"] }"#)
    );
    assert!(line(t, "workload.WorkerOnFailTraffic.body", r#""detail.status""#).contains(r#"["FAILED", "TIMED_OUT"]"#));
    // Queues a rule or schedule writes to are not entry points.
    assert!(!t.contains("[workload.OrdersTraffic]") && !t.contains("[workload.AlertsTraffic]"));

    // The placeholder events match their rules: every one drawn from the pattern does.
    let summary = validate_and_run(&dir, &i);
    let matched = common::counter(&summary, "rule.OrderRule.matched");
    assert_eq!(common::counter(&summary, "rule.OrderRule.target.sns.Alerts.deliveries"), matched);
    let put = common::counter(&summary, "workload.OrderRuleTraffic.sent");
    assert!(matched > 0 && matched == put, "{matched} of {put} events matched");
    assert!(common::counter(&summary, "rule.WorkerOnFail.matched") > 0);
}

#[test]
fn schedules_are_constant_traffic_at_their_rate() {
    let dir = scratch("schedules");
    let i = imported_in(EVENTBRIDGE, &dir);
    let t = &i.toml;
    assert!(line(t, "workload.WorkerEvery5Schedule", "arrival").starts_with(r#"arrival = "constant""#));
    assert_eq!(
        line(t, "workload.WorkerEvery5Schedule", "rate_per_s").split("  #").next().unwrap(),
        format!("rate_per_s = {}", 1.0 / 300.0)
    );
    assert!(line(t, "workload.WorkerEvery5Schedule", "target").starts_with(r#"target = "lambda.Worker""#));
    // 02:00 on weekdays: 5 firings in 7 days.
    assert_eq!(
        line(t, "workload.NightlySchedule", "rate_per_s").split("  #").next().unwrap(),
        format!("rate_per_s = {}", 5.0 / 7.0 / 86_400.0)
    );
    assert!(line(t, "workload.HourlySchedule", "target").starts_with(r#"target = "sqs.Orders""#));
    assert!(!line(t, "workload.HourlySchedule", "rate_per_s").contains("TODO"), "a schedule is no placeholder");
    assert_eq!(resource(&i, "Hourly")["element"], "workload.HourlySchedule");
    assert_eq!(resource(&i, "OrderRule")["element"], "rule.OrderRule");
    assert_eq!(resource(&i, "Bus")["element"], "eventbridge.Bus");
    // SAM events carry AWS's defaults in --json.
    let worker = resource(&i, "Worker");
    assert_eq!(worker["properties"]["Events"]["OnFail"]["Properties"]["EventBusName"], "default");
    assert_eq!(worker["properties"]["Events"]["Every5"]["Properties"]["Enabled"], true);
    assert_eq!(resource(&i, "Nightly")["properties"]["State"], "ENABLED");
    validate_and_run(&dir, &i);
}

const MACHINES: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Validate:
    Type: AWS::Serverless::Function
    Properties: {Handler: x, FunctionName: validate-fn}
  Shipping:
    Type: AWS::SQS::Queue
  Done:
    Type: AWS::SNS::Topic
  OrderFlow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/orders.asl.yaml
      DefinitionSubstitutions:
        ValidateArn: !GetAtt Validate.Arn
        QueueUrl: !Ref Shipping
        Topic: !Ref Done
      Events:
        Hourly: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
        Post: {Type: Api, Properties: {Path: /order, Method: post}}
  Express:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineType: EXPRESS
      DefinitionString: !Sub |
        {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "${Validate.Arn}", "Next": "Start"},
         "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                   "Parameters": {"StateMachineArn": "${OrderFlow}"}, "End": true}}}
  Inline:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Pick
        States:
          Pick:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {"FunctionName.$": "$.fn"}
            Next: Review
          Review:
            Type: Task
            Resource: !Ref Reviews
            End: true
  Reviews:
    Type: AWS::StepFunctions::Activity
    Properties: {Name: reviews}
  FromS3:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionS3Location: {Bucket: b, Key: k}
"#;

const ORDERS_ASL: &str = r#"StartAt: Validate
States:
  Validate:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke
    Parameters: {FunctionName: "${ValidateArn}", "Payload.$": "$"}
    Next: Fanout
  Fanout:
    Type: Map
    ItemsPath: $.items
    Iterator:
      StartAt: Ship
      States:
        Ship:
          Type: Task
          Resource: arn:aws:states:::sqs:sendMessage
          Parameters: {QueueUrl: "${QueueUrl}", "MessageBody.$": "$"}
          End: true
    Next: Notify
  Notify:
    Type: Task
    Resource: arn:aws:states:::sns:publish
    Parameters: {TopicArn: "${Topic}", Message: done}
    Next: Pause
  Pause:
    Type: Wait
    SecondsPath: $.delay
    End: true
"#;

fn machines_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    fs::create_dir_all(dir.join("statemachine")).unwrap();
    // The template names orders.asl.yaml; the file's letter case differs, as it may on disk.
    fs::write(dir.join("statemachine/Orders.ASL.yaml"), ORDERS_ASL).unwrap();
    dir
}

#[test]
fn state_machine_definitions_call_the_scenarios_own_elements() {
    let dir = machines_dir("machines");
    let i = imported_in(MACHINES, &dir);
    let t = &i.toml;
    assert!(
        line(t, "step_functions.OrderFlow", "definition").starts_with(r#"definition = "imported.OrderFlow.asl.json""#)
    );
    assert!(line(t, "step_functions.OrderFlow", "type").starts_with(r#"type = "standard"  # AWS default"#));
    assert!(
        line(t, "step_functions.Express", "type")
            .starts_with(r#"type = "express_async"  # template (StateMachineType)"#)
    );
    let orders = &i.definitions.iter().find(|d| d.file == "imported.OrderFlow.asl.json").unwrap().text;
    // Substitutions become the addresses of the scenario's elements, named by logical id.
    assert!(
        orders.contains(r#""FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Validate""#),
        "{orders}"
    );
    assert!(orders.contains(r#""QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/Shipping""#));
    assert!(orders.contains(r#""TopicArn": "arn:aws:sns:us-east-1:123456789012:Done""#));
    let express = &i.definitions.iter().find(|d| d.file == "imported.Express.asl.json").unwrap().text;
    assert!(express.contains(r#""Resource": "arn:aws:lambda:us-east-1:123456789012:function:Validate""#), "{express}");
    assert!(express.contains(r#""StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:OrderFlow""#));
    // What the data decides: placeholders.
    assert!(line(t, r#"step_functions.OrderFlow.states."Fanout""#, "items").contains("# TODO"));
    assert!(line(t, r#"step_functions.OrderFlow.states."Pause""#, "wait_s").contains("# TODO"));
    assert!(
        line(t, r#"step_functions.Inline.states."Pick""#, "targets")
            .starts_with(r#"targets = { "lambda.Validate" = 1 }  # TODO"#)
    );
    assert!(line(t, r#"step_functions.Inline.states."Review""#, "duration_s").contains("# TODO"));
    assert!(line(t, "activity.Reviews", "workers").contains("# TODO"));
    assert!(i.warnings.iter().any(|w| w.contains("letter case differs")), "{:?}", i.warnings);
    assert!(
        i.skipped.iter().any(|s| s.starts_with("FromS3 (AWS::StepFunctions::StateMachine): DefinitionS3Location")),
        "{:?}",
        i.skipped
    );
    // Traffic: the schedule and the API start OrderFlow; nothing starts Inline or Express
    // but a placeholder; the queue and topic the machine writes to are no entry points.
    assert!(
        line(t, "workload.OrderFlowHourlySchedule", "target").starts_with(r#"target = "step_functions.OrderFlow""#)
    );
    assert!(line(t, "workload.OrderFlowPostTraffic", "target").starts_with(r#"target = "step_functions.OrderFlow""#));
    assert!(t.contains("[workload.InlineTraffic]") && t.contains("[workload.ExpressTraffic]"));
    assert!(!t.contains("[workload.ShippingTraffic]") && !t.contains("[workload.DoneTraffic]"));
    // --json: the file's definition under Definition, the element, AWS's default type.
    let flow = resource(&i, "OrderFlow");
    assert_eq!(flow["element"], "step_functions.OrderFlow");
    assert_eq!(flow["properties"]["Type"], "STANDARD");
    assert_eq!(flow["properties"]["Definition"]["StartAt"], "Validate");
    assert_eq!(flow["properties"]["DefinitionSubstitutions"]["QueueUrl"], serde_json::json!({"ref": "Shipping"}));
    validate_and_run(&dir, &i);
}

#[test]
fn a_definition_aws_would_refuse_skips_its_machine_with_the_readers_reason() {
    let dir = scratch("refused");
    let template = r#"
Resources:
  Q:
    Type: AWS::SQS::Queue
  Bad:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {StartAt: Nowhere, States: {A: {Type: Pass, End: true}}}
"#;
    let i = imported_in(template, &dir);
    assert!(
        i.skipped.iter().any(|s| s.starts_with("Bad (AWS::StepFunctions::StateMachine): AWS would refuse")),
        "{:?}",
        i.skipped
    );
    assert!(i.definitions.is_empty());
    validate_and_run(&dir, &i);
}

#[test]
fn brokers_map_engine_instance_and_deployment_with_placeholder_clients() {
    let dir = scratch("mq");
    let template = r#"
Resources:
  Broker:
    Type: AWS::AmazonMQ::Broker
    Properties:
      EngineType: RABBITMQ
      HostInstanceType: mq.m5.large
      DeploymentMode: CLUSTER_MULTI_AZ
      Users: [{Username: u, Password: p}]
"#;
    let i = imported_in(template, &dir);
    let t = &i.toml;
    assert!(line(t, "mq.Broker", "engine").starts_with(r#"engine = "rabbitmq"  # template"#));
    assert!(line(t, "mq.Broker", "instance_type").starts_with(r#"instance_type = "mq.m5.large""#));
    assert!(line(t, "mq.Broker", "deployment").starts_with(r#"deployment = "cluster""#));
    for key in ["producers", "consumers", "service_time_s", "capacity_msgs_per_s"] {
        assert!(line(t, "mq.Broker", key).contains("# TODO"), "{key}");
    }
    assert!(!t.contains("usd_per_instance_hour"), "the price book has mq.m5.large");
    assert!(line(t, "workload.BrokerTraffic", "target").starts_with(r#"target = "mq.Broker""#));
    assert_eq!(resource(&i, "Broker")["element"], "mq.Broker");
    validate_and_run(&dir, &i);
}

fn orchsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

#[test]
fn the_command_writes_definitions_beside_the_scenario_and_finds_them_in_the_definitions_dir() {
    let dir = machines_dir("cli");
    fs::create_dir_all(dir.join("build")).unwrap();
    fs::write(dir.join("build/template.yaml"), MACHINES).unwrap();
    fs::create_dir_all(dir.join("out")).unwrap();
    // The template sits in build/; its DefinitionUri files are found through --definitions-dir.
    let out = orchsim(&["import", "build/template.yaml", "--definitions-dir", ".", "--out", "out/system.toml"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("3 state machine(s)"), "{stderr}");
    assert!(dir.join("out/system.OrderFlow.asl.json").is_file());
    let names: Vec<String> =
        fs::read_dir(dir.join("out")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.starts_with('.')), "no staging left behind: {names:?}");
    let run = orchsim(&["run", "out/system.toml", "--quiet", "--set", "run.horizon_s=60", "--out", "results"], &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    // Without the definitions folder: exit 2 with the template path, nothing written.
    let missing = orchsim(&["import", "build/template.yaml", "--out", "out/other.toml"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Resources.OrderFlow.Properties.DefinitionUri: no file"));
    assert!(!dir.join("out/other.toml").exists() && !dir.join("out/other.OrderFlow.asl.json").exists());

    // To standard output, a scenario with definition files cannot be whole: refused.
    let stdout = orchsim(&["import", "build/template.yaml", "--definitions-dir", "."], &dir);
    assert_eq!(stdout.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&stdout.stderr).contains("give --out FILE.toml"));
}

#[test]
fn a_rule_keeps_the_targets_orchsim_models_state_machines_included() {
    let dir = scratch("rule-targets");
    let template = r#"
Resources:
  Inbox:
    Type: AWS::SQS::Queue
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
  Destination:
    Type: AWS::Events::ApiDestination
  Route:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [com.shop]}
      Targets:
        - {Arn: !GetAtt Inbox.Arn, Id: q}
        - {Arn: !Ref Flow, Id: m}
        - {Arn: !GetAtt Destination.Arn, Id: d}
"#;
    let i = imported_in(template, &dir);
    let t = &i.toml;
    assert!(line(t, "rule.Route", "targets").starts_with(r#"targets = ["sqs.Inbox", "step_functions.Flow"]"#));
    assert!(!t.contains("[workload.RouteFlowTraffic]"), "the rule starts the machine");
    assert!(!t.contains("[workload.FlowTraffic]"), "the rule starts the machine");
    let why = "${Destination.Arn} is an EventBridge API destination, which orchsim does not model";
    assert!(i.warnings.iter().any(|w| w.contains(why)), "{:?}", i.warnings);
    assert_eq!(resource(&i, "Route")["element"], "rule.Route");
    assert!(resource(&i, "Destination")["skipped"].as_str().unwrap().contains("API destinations are not modelled"));
    validate_and_run(&dir, &i);
}

#[test]
fn definitions_naming_functions_by_physical_name_call_the_scenarios_element() {
    let dir = scratch("physical");
    let template = r#"
Resources:
  Charge:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: billing-charge, Timeout: 10}
  Pay:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub
        - |
          {"StartAt": "billing-charge", "States": {
            "billing-charge": {"Type": "Task", "Resource": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-charge", "Next": "Ledger"},
            "Ledger": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "${Ledger}"}, "End": true}}}
        - Ledger: ledger-writer
"#;
    let i = imported_in(template, &dir);
    let pay = &i.definitions[0].text;
    assert!(pay.contains(r#""Resource": "arn:aws:lambda:us-east-1:123456789012:function:Charge""#), "{pay}");
    // A state that shares the function's name is no reference: it keeps its name.
    assert!(pay.contains(r#"{"StartAt": "billing-charge", "States": {"billing-charge": {"#), "{pay}");
    // A function the template does not define: a placeholder of that name, marked TODO.
    assert!(pay.contains(r#""FunctionName": "ledger-writer""#), "{pay}");
    assert!(line(&i.toml, "lambda.ledger-writer", "duration_s").contains("# TODO"));
    assert!(i.placeholders.iter().any(|p| p.starts_with("lambda.ledger-writer: a function outside the template")));
    assert!(!i.toml.contains("[lambda.billing-charge]"));
    validate_and_run(&dir, &i);
}

#[test]
fn a_definition_string_that_is_not_json_is_refused_at_its_property() {
    let template = r#"
Resources:
  Q:
    Type: AWS::SQS::Queue
  M:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: '{"StartAt": "A", "States": {'
"#;
    let options = Options {
        parameters: Vec::new(),
        region: "us-east-1".into(),
        source_name: "template.yaml".into(),
        json: false,
        definitions_dir: PathBuf::from("."),
        definition_prefix: String::new(),
    };
    let e = import(template, &options).expect_err("AWS refuses a definition that is not JSON").to_string();
    assert!(e.starts_with("8:25: Resources.M.Properties.DefinitionString: DefinitionString is not valid JSON"), "{e}");
}

#[test]
fn a_literal_timestamp_wait_imports_with_a_placeholder_start_time_at_its_earliest_timestamp() {
    let dir = scratch("timestamp");
    let template = r#"
Resources:
  Launch:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Noon
        States:
          Noon: {Type: Wait, Timestamp: "2026-12-01T12:00:00Z", Next: Later}
          Later: {Type: Wait, Timestamp: "2026-12-01T12:00:05Z", End: true}
  Early:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Dawn
        States:
          Dawn: {Type: Wait, Timestamp: "2026-12-01T11:59:58Z", End: true}
"#;
    let i = imported_in(template, &dir);
    let t = &i.toml;
    assert!(i.skipped.is_empty(), "{:?}", i.skipped);
    // The earliest timestamp of all the machines' waits: that wait ends at once, the others
    // wait their distance from it.
    let start = line(t, "run", "start_time");
    assert!(start.starts_with(r#"start_time = "2026-12-01T11:59:58Z"  # TODO placeholder"#), "{start}");
    assert!(start.contains(r#"state "Dawn" of step_functions.Early"#), "{start}");
    let listed: Vec<&String> = i.placeholders.iter().filter(|p| p.starts_with("run.start_time:")).collect();
    assert_eq!(listed.len(), 1, "{:?}", i.placeholders);
    assert!(listed[0].contains("2026-12-01T11:59:58Z"), "{listed:?}");
    let summary = validate_and_run(&dir, &i);
    assert!(common::counter(&summary, "step_functions.Launch.succeeded") > 0, "{summary}");
    assert!(common::counter(&summary, "step_functions.Early.succeeded") > 0, "{summary}");
}

#[test]
fn an_express_machine_behind_start_sync_execution_imports_as_express_sync() {
    let dir = scratch("express-sync");
    let one_state = "{StartAt: A, States: {A: {Type: Pass, End: true}}}";
    let template = format!(
        r#"
Resources:
  Quote:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  Checkout:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  Child:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  Batch:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  Socket:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  Granted:
    Type: AWS::StepFunctions::StateMachine
    Properties: {{StateMachineType: EXPRESS, Definition: {one_state}}}
  SocketIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      IntegrationType: AWS
      IntegrationUri: !Sub "arn:aws:apigateway:${{AWS::Region}}:states:action/StartSyncExecution"
      RequestTemplates:
        $default: !Sub '{{"input": "$request.body", "stateMachineArn": "${{Socket}}"}}'
  ApiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: apigateway.amazonaws.com}}, Action: sts:AssumeRole}}]}}
      Policies:
        - PolicyName: sync
          PolicyDocument:
            Statement:
              - {{Effect: Allow, Action: "states:StartSyncExecution", Resource: !GetAtt Granted.Arn}}
              - {{Effect: Allow, Action: ["states:StartExecution"], Resource: !Ref Batch}}
  Parent:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Call
        States:
          Call:
            Type: Task
            Resource: arn:aws:states:::aws-sdk:sfn:startSyncExecution
            Parameters: {{StateMachineArn: !Ref Child, Input: {{}}}}
            End: true
  QuoteMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: POST
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:states:action/StartSyncExecution
        RequestTemplates:
          application/json: !Sub '{{"stateMachineArn": "${{Quote}}", "input": "$util.escapeJavaScript($input.body)"}}'
  BatchMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: POST
      Integration:
        Type: AWS
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:states:action/StartExecution
        RequestTemplates:
          application/json: !Sub '{{"stateMachineArn": "${{Batch}}"}}'
  CheckoutIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      IntegrationType: AWS_PROXY
      IntegrationSubtype: StepFunctions-StartSyncExecution
      PayloadFormatVersion: "1.0"
      RequestParameters: {{StateMachineArn: !Ref Checkout, Input: $request.body}}
"#
    );
    let i = imported_in(&template, &dir);
    let t = &i.toml;
    let quote = line(t, "step_functions.Quote", "type");
    assert!(quote.starts_with(r#"type = "express_sync"  # template"#), "{quote}");
    assert!(quote.contains("QuoteMethod (AWS::ApiGateway::Method) starts it with StartSyncExecution"), "{quote}");
    let checkout = line(t, "step_functions.Checkout", "type");
    assert!(checkout.contains("CheckoutIntegration (AWS::ApiGatewayV2::Integration)"), "{checkout}");
    assert!(checkout.starts_with(r#"type = "express_sync""#), "{checkout}");
    let child = line(t, "step_functions.Child", "type");
    assert!(child.starts_with(r#"type = "express_sync""#) && child.contains("step_functions.Parent"), "{child}");
    let socket = line(t, "step_functions.Socket", "type");
    assert!(socket.starts_with(r#"type = "express_sync""#) && socket.contains("SocketIntegration"), "{socket}");
    // A permission to call StartSyncExecution: its caller is outside the template, its
    // traffic the entry point's placeholder, now of synchronous starts.
    let granted = line(t, "step_functions.Granted", "type");
    assert!(granted.starts_with(r#"type = "express_sync""#), "{granted}");
    assert!(granted.contains("ApiRole (AWS::IAM::Role) allows states:StartSyncExecution"), "{granted}");
    assert!(line(t, "workload.GrantedTraffic", "target").starts_with(r#"target = "step_functions.Granted""#));
    // StartExecution returns before the execution ends: the caller does not wait.
    assert!(line(t, "step_functions.Batch", "type").starts_with(r#"type = "express_async""#));
    assert!(t.contains("# EXPRESS started by StartExecution"), "{t}");
    // The APIs' requests are the synchronous machines' traffic, named after the API.
    assert!(line(t, "workload.QuoteQuoteMethodTraffic", "target").starts_with(r#"target = "step_functions.Quote""#));
    assert!(
        line(t, "workload.CheckoutCheckoutIntegrationTraffic", "target")
            .starts_with(r#"target = "step_functions.Checkout""#)
    );
    assert!(!t.contains("[workload.QuoteTraffic]") && !t.contains("[workload.CheckoutTraffic]"), "{t}");
    let summary = validate_and_run(&dir, &i);
    assert!(common::counter(&summary, "step_functions.Quote.succeeded") > 0, "{summary}");
}

#[test]
fn each_rule_target_keeps_its_own_retry_policy_and_dead_letter_queue() {
    let dir = scratch("target-policies");
    let template = r#"
Resources:
  Fast:
    Type: AWS::SQS::Queue
  Slow:
    Type: AWS::SQS::Queue
  FastDlq:
    Type: AWS::SQS::Queue
  Audit:
    Type: AWS::SNS::Topic
  Route:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [com.shop]}
      Targets:
        - Arn: !GetAtt Fast.Arn
          Id: fast
          RetryPolicy: {MaximumRetryAttempts: 0}
          DeadLetterConfig: {Arn: !GetAtt FastDlq.Arn}
        - Arn: !GetAtt Slow.Arn
          Id: slow
          RetryPolicy: {MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600}
        - {Arn: !Ref Audit, Id: audit}
        - {Arn: !Ref Audit, Id: audit-again, Input: '{"again": true}'}
"#;
    let i = imported_in(template, &dir);
    let t = &i.toml;
    let targets = line(t, "rule.Route", "targets");
    assert!(
        targets.starts_with(concat!(
            r#"targets = [{ target = "sqs.Fast", maximum_retry_attempts = 0, maximum_event_age_s = 86400, dead_letter_queue = "sqs.FastDlq" }, "#,
            r#"{ target = "sqs.Slow", maximum_retry_attempts = 10, maximum_event_age_s = 3600 }, "#,
            r#"{ target = "sns.Audit", maximum_retry_attempts = 185, maximum_event_age_s = 86400 }]  # template"#
        )),
        "{targets}"
    );
    assert!(targets.contains("AWS defaults 185 retries and 86,400 s"), "{targets}");
    assert!(!i.warnings.iter().any(|w| w.contains("different retry policies")), "{:?}", i.warnings);
    assert!(i.warnings.iter().any(|w| w.contains("sns.Audit is a target twice")), "{:?}", i.warnings);
    // The dead-letter queue is written to: no entry point.
    assert!(!t.contains("[workload.FastDlqTraffic]"), "{t}");
    let summary = validate_and_run(&dir, &i);
    let matched = common::counter(&summary, "rule.Route.matched");
    assert!(matched > 0);
    for target in ["sqs.Fast", "sqs.Slow", "sns.Audit"] {
        assert_eq!(common::counter(&summary, &format!("rule.Route.target.{target}.deliveries")), matched);
    }
}

#[test]
fn lambda_destinations_may_be_event_buses_on_failure_and_on_success() {
    let dir = scratch("bus-destinations");
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Results:
    Type: AWS::Events::EventBus
    Properties: {Name: results}
  Orders:
    Type: AWS::SNS::Topic
  Failures:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Handler: x, Runtime: python3.12, Code: {ZipFile: x}, Role: r}
  WorkerConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Worker
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure: {Destination: !GetAtt Results.Arn}
        OnSuccess: {Destination: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
  WorkerSubscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Worker.Arn}
  Loop:
    Type: AWS::Serverless::Function
    Properties:
      Handler: x
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: Lambda, Destination: !GetAtt Loop.Arn}
          OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
  FailedResults:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Results
      EventPattern: {source: [lambda], detail-type: [Lambda Function Invocation Result - Failure]}
      Targets: [{Arn: !GetAtt Failures.Arn, Id: q}]
"#;
    let i = imported_in(template, &dir);
    let t = &i.toml;
    let on_failure = line(t, "lambda.Worker", "on_failure");
    assert!(on_failure.starts_with(r#"on_failure = "eventbridge.Results"  # template"#), "{on_failure}");
    assert!(on_failure.contains("DestinationConfig.OnFailure.Destination"), "{on_failure}");
    let on_success = line(t, "lambda.Worker", "on_success");
    assert!(on_success.starts_with(r#"on_success = "eventbridge.default""#), "{on_success}");
    assert!(t.contains("\n[eventbridge.default]"), "the default bus is written: {t}");
    assert!(line(t, "lambda.Loop", "on_failure").starts_with(r#"on_failure = "sqs.Failures""#));
    assert!(
        i.warnings.iter().any(|w| w.starts_with("lambda.Loop: the OnSuccess destination") && w.contains("itself")),
        "{:?}",
        i.warnings
    );
    assert!(!i.warnings.iter().any(|w| w.contains("no scenario key")), "{:?}", i.warnings);
    let summary = validate_and_run(&dir, &i);
    // Every processed event puts a success event on the default bus.
    let succeeded = common::counter(&summary, "lambda.Worker.async_events_succeeded");
    assert!(succeeded > 0, "{summary}");
    assert_eq!(common::counter(&summary, "lambda.Worker.async_to_success_destination"), succeeded);
    assert_eq!(common::counter(&summary, "eventbridge.default.put_events"), succeeded);
}

/// The `summary.json` under `dir`, if there is one.
fn summary_under(dir: &Path) -> Option<serde_json::Value> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).ok()?.map(|e| e.unwrap().path()).collect();
    entries.sort();
    entries.iter().find_map(|path| match path.file_name() {
        Some(n) if n == "summary.json" => serde_json::from_str(&fs::read_to_string(path).unwrap()).ok(),
        _ if path.is_dir() => summary_under(path),
        _ => None,
    })
}

#[test]
fn the_command_imports_target_policies_bus_destinations_timestamps_and_sync_machines_and_runs_them() {
    let dir = scratch("cli-gaps");
    let template = r#"
Resources:
  Results:
    Type: AWS::Events::EventBus
    Properties: {Name: results}
  Inbox:
    Type: AWS::SQS::Queue
  InboxDlq:
    Type: AWS::SQS::Queue
  Orders:
    Type: AWS::SNS::Topic
  WorkerSubscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Worker.Arn}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Handler: x, Code: {ZipFile: x}, Role: r}
  WorkerConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Worker
      Qualifier: $LATEST
      DestinationConfig: {OnSuccess: {Destination: !GetAtt Results.Arn}}
  Route:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Results
      EventPattern: {source: [lambda]}
      Targets:
        - {Arn: !GetAtt Inbox.Arn, Id: q, RetryPolicy: {MaximumRetryAttempts: 3}, DeadLetterConfig: {Arn: !GetAtt InboxDlq.Arn}}
        - {Arn: !Ref Launch, Id: m}
  Launch:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineType: EXPRESS
      Definition:
        StartAt: Noon
        States: {Noon: {Type: Wait, Timestamp: "2026-12-01T12:00:00Z", End: true}}
  Start:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: POST
      Integration:
        Type: AWS
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:states:action/StartSyncExecution
        RequestTemplates: {application/json: !Sub '{"stateMachineArn": "${Launch}"}'}
"#;
    fs::write(dir.join("template.yaml"), template).unwrap();
    fs::create_dir_all(dir.join("out")).unwrap();
    let out = orchsim(&["import", "template.yaml", "--json", "--out", "out/system.toml"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let placeholders: Vec<&str> = json["placeholders"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
    assert!(placeholders.iter().any(|p| p.starts_with("run.start_time: 2026-12-01T12:00:00Z")), "{placeholders:?}");
    let warnings = json["warnings"].to_string();
    assert!(!warnings.contains("no scenario key") && !warnings.contains("different retry policies"), "{warnings}");
    assert_eq!(
        json["resources"].as_array().unwrap().iter().find(|r| r["id"] == "Launch").unwrap()["skipped"],
        serde_json::Value::Null
    );
    let toml = fs::read_to_string(dir.join("out/system.toml")).unwrap();
    assert!(line(&toml, "lambda.Worker", "on_success").starts_with(r#"on_success = "eventbridge.Results""#));
    assert!(line(&toml, "step_functions.Launch", "type").starts_with(r#"type = "express_sync""#));
    assert!(line(&toml, "rule.Route", "targets").contains(r#"dead_letter_queue = "sqs.InboxDlq""#));
    let run = orchsim(&["run", "out/system.toml", "--quiet", "--set", "run.horizon_s=60", "--out", "results"], &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary = summary_under(&dir.join("results")).expect("the run writes summary.json");
    let launched = common::counter(&summary, "step_functions.Launch.succeeded");
    assert!(launched > 0, "{summary}");
    // Each processed event's record is matched on the bus, with the rule's placeholder
    // events, and reaches each target.
    let matched = common::counter(&summary, "rule.Route.matched");
    let records = common::counter(&summary, "lambda.Worker.async_to_success_destination");
    assert!(records > 0 && matched == records + common::counter(&summary, "workload.RouteTraffic.sent"));
    assert_eq!(common::counter(&summary, "rule.Route.target.sqs.Inbox.deliveries"), matched);
    assert_eq!(common::counter(&summary, "rule.Route.target.step_functions.Launch.deliveries"), matched);
}
