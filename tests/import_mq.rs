//! `orchsim import` of Lambda's Amazon MQ event source: an `AWS::Lambda::EventSourceMapping`
//! whose `EventSourceArn` is an `AWS::AmazonMQ::Broker`, and a SAM function's `Type: MQ`
//! event; templates written here, checked through `orchsim import --json` and the scenario
//! written, which the scenario reader reads back and runs.

mod common;

use std::fs;

use common::{counter, gauge, line, orchsim, scratch_in};

use orchsim::scenario::Scenario;

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Batch: {Type: Number, Default: 250}
Resources:
  Orders:
    Type: AWS::AmazonMQ::Broker
    Properties:
      EngineType: ACTIVEMQ
      HostInstanceType: mq.m5.large
      DeploymentMode: SINGLE_INSTANCE
      PubliclyAccessible: false
      Users: [{Username: app, Password: secret}]
  Jobs:
    Type: AWS::AmazonMQ::Broker
    Properties:
      EngineType: RABBITMQ
      HostInstanceType: mq.m5.large
      DeploymentMode: SINGLE_INSTANCE
      PubliclyAccessible: false
      Users: [{Username: app, Password: secret}]
  Idle:
    Type: AWS::AmazonMQ::Broker
    Properties:
      EngineType: ACTIVEMQ
      HostInstanceType: mq.m5.large
      PubliclyAccessible: false
      Users: [{Username: app, Password: secret}]
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
  OrdersMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Handler
      EventSourceArn: !GetAtt Orders.Arn
      Queues: [orders]
      BatchSize: !Ref Batch
      MaximumBatchingWindowInSeconds: 2
      SourceAccessConfigurations:
        - {Type: BASIC_AUTH, URI: !Sub "arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:mq"}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        FromJobs:
          Type: MQ
          Properties:
            Broker: !GetAtt Jobs.Arn
            Queues: [jobs]
            SourceAccessConfigurations:
              - {Type: BASIC_AUTH, URI: arn:aws:secretsmanager:us-east-1:123456789012:secret:mq}
              - {Type: VIRTUAL_HOST, URI: /prod}
            FilterCriteria:
              Filters: [{Pattern: '{"data": {"kind": ["job"]}}'}]
        Paused:
          Type: MQ
          Properties:
            Broker: !GetAtt Idle.Arn
            Queues: [paused]
            Enabled: false
"#;

#[test]
fn an_mq_mapping_and_a_sam_mq_event_become_mq_sources_that_validate_and_run() {
    let dir = scratch_in("import_mq", "mappings");
    fs::write(dir.join("template.yaml"), TEMPLATE).unwrap();
    // What import understood, in AWS's terms.
    let out = orchsim(&["import", "template.yaml", "--json"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resource = |id: &str| {
        report["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    let mapping = resource("OrdersMapping");
    assert_eq!(mapping["element"], "lambda.Handler");
    assert_eq!(mapping["skipped"], serde_json::Value::Null);
    let p = &mapping["properties"];
    assert_eq!(p["EventSourceArn"]["ref"], "Orders");
    assert_eq!(p["Queues"][0], "orders");
    assert_eq!(p["MaximumBatchingWindowInSeconds"], 2);
    assert_eq!(p["Enabled"], true, "AWS's default written");
    let worker = resource("Worker");
    let event = &worker["properties"]["Events"]["FromJobs"]["Properties"];
    assert_eq!(event["Broker"]["ref"], "Jobs");
    assert_eq!(event["BatchSize"], 100, "an MQ event's default batch size is 100");
    assert_eq!(event["FilterCriteria"]["Filters"][0]["Pattern"], r#"{"data": {"kind": ["job"]}}"#);
    let warnings = report["warnings"].to_string();
    assert!(!warnings.contains("FilterCriteria"), "the filter is imported: {warnings}");

    // The scenario written: each setting with its origin.
    let out = orchsim(&["import", "template.yaml", "--out", "imported.toml"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 skipped"), "{stderr}");
    let toml = fs::read_to_string(dir.join("imported.toml")).unwrap();
    assert_eq!(
        line(&toml, "lambda.Handler", "source"),
        "source = \"mq.Orders\"  # template (AWS::Lambda::EventSourceMapping OrdersMapping)"
    );
    assert_eq!(
        line(&toml, "lambda.Handler", "batch_size"),
        "batch_size = 250  # template: parameter Batch (its Default)"
    );
    assert_eq!(line(&toml, "lambda.Handler", "batching_window_s"), "batching_window_s = 2  # template");
    assert_eq!(
        line(&toml, "lambda.Worker", "source"),
        "source = \"mq.Jobs\"  # template (AWS::Serverless::Function Worker, event FromJobs (MQ))"
    );
    assert_eq!(line(&toml, "lambda.Worker", "batch_size"), "batch_size = 100  # AWS default");
    assert!(toml.contains("# Queues = [jobs] (template): the broker's queue Lambda consumes"), "{toml}");
    assert_eq!(
        line(&toml, "lambda.Worker", "filter_patterns"),
        r#"filter_patterns = ["{\"data\": {\"kind\": [\"job\"]}}"]  # template (FilterCriteria.Filters[].Pattern)"#
    );
    // The placeholder traffic into the filtered broker draws its body from the filter.
    assert!(line(&toml, "workload.JobsTraffic.body", "\"kind\"").starts_with(r#""kind" = { values = ["job"] }"#));
    assert!(!toml.contains("[workload.OrdersTraffic.body]"), "no filter on mq.Orders");
    // The brokers Lambda consumes have no consumers of their own; the idle one keeps its
    // placeholders, its only event being disabled.
    let broker =
        |name: &str| toml.split(&format!("[mq.{name}]")).nth(1).unwrap().split("\n[").next().unwrap().to_string();
    assert!(!broker("Orders").contains("consumers =") && !broker("Orders").contains("service_time_s"), "{toml}");
    assert!(!broker("Jobs").contains("consumers ="), "{toml}");
    assert!(broker("Idle").contains("consumers = 1  # TODO"), "{toml}");
    assert!(!toml.contains("[lambda.Worker.mappings"), "one mapping enabled: on the function's table");

    // Read back like a hand-written file, and run.
    let scenario = Scenario::from_text("imported.toml", &toml, &dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let s = common::summary(&scenario).1;
    assert_eq!(gauge(&s, "lambda.Handler.pollers_mean"), 5.0, "ActiveMQ: 5 pollers");
    assert_eq!(gauge(&s, "lambda.Worker.pollers_mean"), 1.0, "RabbitMQ: 1 poller");
    assert!(counter(&s, "mq.Orders.acknowledged") > 0 && counter(&s, "mq.Jobs.acknowledged") > 0);
    assert_eq!(counter(&s, "lambda.Handler.batch_messages"), counter(&s, "mq.Orders.acknowledged"));
    // Every placeholder message matches the imported filter.
    assert_eq!(counter(&s, "lambda.Worker.filtered_out"), 0);
    assert_eq!(counter(&s, "lambda.Worker.batch_messages"), counter(&s, "mq.Jobs.acknowledged"));
}

#[test]
fn an_mq_mappings_filter_criteria_become_data_patterns_and_a_body_pattern_is_warned_of() {
    let template = r#"
Parameters:
  Kind: {Type: String, Default: order}
Resources:
  B:
    Type: AWS::AmazonMQ::Broker
    Properties: {EngineType: ACTIVEMQ, HostInstanceType: mq.m5.large, PubliclyAccessible: false, Users: []}
  C:
    Type: AWS::AmazonMQ::Broker
    Properties: {EngineType: RABBITMQ, HostInstanceType: mq.m5.large, PubliclyAccessible: false, Users: []}
  F:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: r, Code: {ZipFile: x}}
  G:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: r, Code: {ZipFile: x}}
  FromB:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref F
      EventSourceArn: !GetAtt B.Arn
      Queues: [q]
      FilterCriteria:
        Filters:
          - Pattern: !Sub '{"data": {"kind": ["${Kind}"], "region": [{"prefix": "eu-"}]}}'
          - Pattern: '{"data": {"kind": ["rush"]}}'
  FromC:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref G
      EventSourceArn: !GetAtt C.Arn
      Queues: [q]
      FilterCriteria:
        Filters: [{Pattern: '{"body": {"kind": ["order"]}}'}]
"#;
    let dir = scratch_in("import_mq", "filters");
    fs::write(dir.join("template.yaml"), template).unwrap();
    let out = orchsim(&["import", "template.yaml", "--json"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("lambda.G: FilterCriteria")
            && warnings.contains("Lambda filters Amazon MQ records on \\\"data\\\" only"),
        "{warnings}"
    );
    assert!(!warnings.contains("lambda.F: FilterCriteria"), "{warnings}");

    let out = orchsim(&["import", "template.yaml", "--out", "imported.toml"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let toml = fs::read_to_string(dir.join("imported.toml")).unwrap();
    let patterns = r#"filter_patterns = ["{\"data\": {\"kind\": [\"order\"], \"region\": [{\"prefix\": \"eu-\"}]}}", "{\"data\": {\"kind\": [\"rush\"]}}"]  # template (FilterCriteria.Filters[].Pattern)"#;
    assert_eq!(line(&toml, "lambda.F", "filter_patterns"), patterns);
    assert!(!toml.contains("[lambda.G]\nfilter_patterns") && !toml.contains("[workload.CTraffic.body]"), "{toml}");
    assert!(line(&toml, "workload.BTraffic.body", "\"kind\"").starts_with(r#""kind" = { values = ["order"] }"#));
    assert!(line(&toml, "workload.BTraffic.body", "\"region\"").starts_with(r#""region" = { values = ["eu-"] }"#));

    // Read back and run: the placeholder messages match the first pattern, so all reach F.
    let scenario = Scenario::from_text("imported.toml", &toml, &dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let s = common::summary(&scenario).1;
    assert!(counter(&s, "lambda.F.batch_messages") > 0);
    assert_eq!(counter(&s, "lambda.F.filtered_out"), 0);
    assert_eq!(counter(&s, "lambda.F.batch_messages"), counter(&s, "mq.B.acknowledged"));
    assert!(counter(&s, "lambda.G.batch_messages") > 0, "G imported without filters");
}

#[test]
fn a_function_with_an_sqs_and_an_mq_mapping_gets_a_table_for_each() {
    let template = r#"
Resources:
  Q: {Type: AWS::SQS::Queue}
  B:
    Type: AWS::AmazonMQ::Broker
    Properties: {EngineType: ACTIVEMQ, HostInstanceType: mq.m5.large, PubliclyAccessible: false, Users: []}
  F:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: r, Code: {ZipFile: x}}
  FromQueue:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref F, EventSourceArn: !GetAtt Q.Arn}
  FromBroker:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref F, EventSourceArn: !Ref B, Queues: [q], BatchSize: 5, MaximumBatchingWindowInSeconds: 0}
"#;
    let dir = scratch_in("import_mq", "mixed");
    fs::write(dir.join("template.yaml"), template).unwrap();
    let out = orchsim(&["import", "template.yaml", "--out", "imported.toml"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let toml = fs::read_to_string(dir.join("imported.toml")).unwrap();
    assert_eq!(
        line(&toml, "lambda.F.mappings.FromQueue", "source"),
        "source = \"sqs.Q\"  # template (AWS::Lambda::EventSourceMapping FromQueue)"
    );
    assert_eq!(
        line(&toml, "lambda.F.mappings.FromBroker", "source"),
        "source = \"mq.B\"  # template (AWS::Lambda::EventSourceMapping FromBroker)"
    );
    assert_eq!(line(&toml, "lambda.F.mappings.FromBroker", "batching_window_s"), "batching_window_s = 0  # template");
    let scenario = Scenario::from_text("imported.toml", &toml, &dir, &[]).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let s = common::summary(&scenario).1;
    assert!(counter(&s, "lambda.F.mappings.FromBroker.batches") > 0);
    assert!(counter(&s, "lambda.F.mappings.FromQueue.batches") > 0);
}
