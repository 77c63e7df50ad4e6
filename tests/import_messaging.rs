//! `orchsim import` of queue and rule-target settings: a queue's `MaximumMessageSize`, a
//! rule's FIFO queue target with `SqsParameters.MessageGroupId`, and rule targets that are
//! event buses. Templates written here are imported through the command (`--json` and
//! `--out`), and the scenario written is read back by the scenario reader and run.

mod common;

use common::{counter, line, orchsim, scratch_in, text};

use std::fs;
use std::path::Path;

use orchsim::scenario::Scenario;

/// `orchsim import TEMPLATE --json --out imported.toml` in a fresh folder: the JSON report,
/// the scenario text and the summary of a run of it.
fn import_and_run(name: &str, template: &str) -> (serde_json::Value, String, serde_json::Value) {
    let dir = scratch_in("import-messaging", name);
    fs::write(dir.join("template.yaml"), template).unwrap();
    let out = orchsim(&["import", "template.yaml", "--json", "--out", "imported.toml"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    let toml = fs::read_to_string(dir.join("imported.toml")).unwrap();
    let summary = run(&dir, &toml);
    (json, toml, summary)
}

fn run(dir: &Path, toml: &str) -> serde_json::Value {
    let scenario = Scenario::from_text("imported.toml", toml, dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    common::summary(&scenario).1
}

fn resource<'j>(json: &'j serde_json::Value, id: &str) -> &'j serde_json::Value {
    json["resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

const QUEUE_SIZES: &str = r#"
Parameters:
  SmallSize:
    Type: Number
    Default: 2048
Resources:
  Small:
    Type: AWS::SQS::Queue
    Properties:
      MaximumMessageSize: !Ref SmallSize
  Fixed:
    Type: AWS::SQS::Queue
    Properties:
      MaximumMessageSize: 262144
  Plain:
    Type: AWS::SQS::Queue
"#;

#[test]
fn a_queues_maximum_message_size_is_imported_with_its_origin() {
    let (json, toml, summary) = import_and_run("max-size", QUEUE_SIZES);
    assert_eq!(
        line(&toml, "sqs.Small", "max_message_size_bytes"),
        "max_message_size_bytes = 2048  # template: parameter SmallSize (its Default)"
    );
    assert!(
        line(&toml, "sqs.Fixed", "max_message_size_bytes").starts_with("max_message_size_bytes = 262144  #"),
        "{toml}"
    );
    assert_eq!(line(&toml, "sqs.Plain", "max_message_size_bytes"), "max_message_size_bytes = 1048576  # AWS default");
    assert_eq!(resource(&json, "Small")["properties"]["MaximumMessageSize"], "2048", "a parameter's value is text");
    assert_eq!(resource(&json, "Fixed")["properties"]["MaximumMessageSize"], 262_144);
    assert_eq!(resource(&json, "Plain")["properties"]["MaximumMessageSize"], 1_048_576, "AWS's default");
    // The placeholder traffic (1 KiB messages) fits every queue.
    assert_eq!(counter(&summary, "sqs.Small.rejected_oversize"), 0);
    assert!(counter(&summary, "sqs.Small.sent") > 0);
}

const FIFO_RULE: &str = r#"
Parameters:
  Group:
    Type: String
    Default: orders
Resources:
  Ordered:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
  NoDedup:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Plain:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Timeout: 10
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Ordered.Arn
      FunctionName: !Ref Worker
  OrderRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [com.shop]}
      Targets:
        - Arn: !GetAtt Ordered.Arn
          Id: fifo
          SqsParameters: {MessageGroupId: !Ref Group}
        - Arn: !GetAtt NoDedup.Arn
          Id: nodedup
          SqsParameters: {MessageGroupId: x}
        - Arn: !GetAtt Plain.Arn
          Id: plain
          SqsParameters: {MessageGroupId: fair}
"#;

#[test]
fn a_fifo_queue_targets_message_group_is_imported_and_its_events_are_consumed_in_one_group() {
    let (json, toml, summary) = import_and_run("fifo-rule", FIFO_RULE);
    assert_eq!(
        line(&toml, "rule.OrderRule", "targets"),
        r#"targets = [{ target = "sqs.Ordered", message_group_id = "orders" }, "sqs.Plain"]  # template (AWS::Events::Rule OrderRule Targets; a FIFO queue's SqsParameters.MessageGroupId as its message_group_id)"#
    );
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("sqs.NoDedup is a FIFO queue without ContentBasedDeduplication"), "{warnings}");
    assert!(warnings.contains("sqs.Plain has SqsParameters.MessageGroupId fair"), "{warnings}");
    let targets = &resource(&json, "OrderRule")["properties"]["Targets"];
    assert_eq!(targets[0]["SqsParameters"]["MessageGroupId"], "orders");
    // The placeholder events reach the FIFO queue in one group; its consumer sees them in order.
    let delivered = counter(&summary, "rule.OrderRule.target.sqs.Ordered.delivered");
    assert!(delivered > 0 && delivered == counter(&summary, "sqs.Ordered.sent"), "{delivered}");
    assert_eq!(counter(&summary, "sqs.Ordered.fifo_order_violations"), 0);
}

#[test]
fn a_fifo_queue_target_without_a_message_group_is_left_out_with_a_warning() {
    let template = FIFO_RULE.replace("          SqsParameters: {MessageGroupId: !Ref Group}\n", "");
    let (json, toml, _) = import_and_run("fifo-no-group", &template);
    assert_eq!(
        line(&toml, "rule.OrderRule", "targets"),
        r#"targets = ["sqs.Plain"]  # template (AWS::Events::Rule OrderRule Targets)"#
    );
    assert!(json["warnings"].to_string().contains("sqs.Ordered has no SqsParameters.MessageGroupId"));
}

const BUS_TARGETS: &str = r#"
Resources:
  Orders:
    Type: AWS::Events::EventBus
    Properties: {Name: orders-bus}
  Audit:
    Type: AWS::Events::EventBus
    Properties: {Name: audit-bus}
  Archive:
    Type: AWS::Events::EventBus
    Properties: {Name: archive-bus}
  OrdersQueue:
    Type: AWS::SQS::Queue
  Connection:
    Type: AWS::Events::Connection
    Properties:
      AuthorizationType: API_KEY
      AuthParameters: {ApiKeyAuthParameters: {ApiKeyName: k, ApiKeyValue: v}}
  Partner:
    Type: AWS::Events::ApiDestination
    Properties:
      ConnectionArn: !GetAtt Connection.Arn
      HttpMethod: POST
      InvocationEndpoint: https://example.com/hook
  Fanout:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [com.shop]}
      Targets:
        - {Arn: !GetAtt Orders.Arn, Id: byGetAtt}
        - {Arn: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/${Audit}", Id: bySub}
        - {Arn: !GetAtt Partner.Arn, Id: partner}
        - {Arn: !Sub "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/shop/events", Id: logs}
        - {Arn: !Sub "arn:aws:batch:${AWS::Region}:${AWS::AccountId}:job-queue/shop", Id: batch}
  Archiver:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Audit
      EventPattern: {source: [com.shop]}
      Targets:
        - {Arn: "arn:aws:events:us-east-1:123456789012:event-bus/archive-bus", Id: byName}
  Taker:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Orders
      EventPattern: {source: [com.shop]}
      Targets:
        - {Arn: !GetAtt OrdersQueue.Arn, Id: q}
        - {Arn: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default", Id: back}
"#;

#[test]
fn rule_targets_that_are_buses_are_imported_and_the_others_are_listed_with_why() {
    let (json, toml, summary) = import_and_run("bus-targets", BUS_TARGETS);
    assert_eq!(
        line(&toml, "rule.Fanout", "targets"),
        r#"targets = ["eventbridge.Orders", "eventbridge.Audit"]  # template (AWS::Events::Rule Fanout Targets)"#
    );
    assert!(line(&toml, "rule.Archiver", "targets").starts_with(r#"targets = ["eventbridge.Archive"]"#), "{toml}");
    assert!(
        line(&toml, "rule.Taker", "targets").starts_with(r#"targets = ["sqs.OrdersQueue", "eventbridge.default"]"#)
    );
    let warnings = json["warnings"].to_string();
    for why in [
        "an EventBridge API destination, which orchsim does not model",
        "a CloudWatch Logs log group, which orchsim does not model",
        "an AWS Batch job queue, which orchsim does not model",
    ] {
        assert!(warnings.contains(why), "{why}: {warnings}");
    }
    // The placeholder events on the default bus reach the queue through the Orders bus, as
    // do the Orders bus's own; only its own go on to the default bus.
    let (forwarded, put) =
        (counter(&summary, "eventbridge.Orders.from_buses"), counter(&summary, "eventbridge.Orders.put_events"));
    assert!(forwarded > 0 && put > 0, "{forwarded} {put}");
    assert_eq!(counter(&summary, "rule.Taker.target.sqs.OrdersQueue.delivered"), forwarded + put);
    assert_eq!(counter(&summary, "rule.Taker.target.eventbridge.default.not_forwarded"), forwarded);
    assert_eq!(counter(&summary, "eventbridge.default.from_buses"), put);
    // The Audit bus sends the Archive bus its own events, not those the default bus sent it.
    assert_eq!(counter(&summary, "eventbridge.Archive.from_buses"), counter(&summary, "eventbridge.Audit.put_events"));
    assert!(counter(&summary, "rule.Archiver.not_forwarded") > 0);
}
