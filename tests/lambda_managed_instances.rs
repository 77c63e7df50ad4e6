//! Lambda Managed Instances (`[lambda.NAME.managed_instances]`): several invocations per
//! execution environment on instances that scale on utilization, throttles beyond their
//! capacity, no cold starts, and a bill of requests, instance-hours and the management fee.

mod common;

use common::{NO_HOPS, counter, exact, gauge, parse_inline, summary};

/// A function of `duration_s` seconds at 2 GB, invoked by a workload with `traffic` (its
/// arrival keys) for an hour, with `managed` as its `[lambda.f.managed_instances]` table
/// (none: on demand).
fn scenario(traffic: &str, duration_s: f64, managed: Option<&str>) -> String {
    let managed = managed.map_or(String::new(), |m| format!("[lambda.f.managed_instances]\n{m}"));
    format!(
        r#"
        [run]
        seed = 7
        horizon_s = 3600
        [workload.w]
        target = "lambda.f"
        {traffic}
        [pricing]
        lambda_free_tier = false
        [lambda.f]
        memory_mb = 2048
        timeout_s = 10
        duration_s = {duration_s}
        {managed}
        "#
    )
}

/// `rate_per_s` invocations a second, evenly spaced.
fn constant(rate_per_s: u32) -> String {
    format!("arrival = \"constant\"\nrate_per_s = {rate_per_s}")
}

fn run(text: &str) -> serde_json::Value {
    summary(&exact(text)).1
}

fn lambda_usd(s: &serde_json::Value) -> f64 {
    s["cost_usd"]["lambda"].as_f64().expect("a Lambda cost")
}

/// Two m7g.large-like instances, fixed: 2 environments of 1 vCPU each, 5 invocations each.
const FIXED_20: &str =
    "instances_min = 2\ninstances_max = 2\nvcpus_per_instance = 2\nper_environment_max_concurrency = 5";

#[test]
fn throughput_is_bounded_by_instances_environments_and_concurrency_per_environment() {
    // 100 invocations a second of 1 s need 100 at once; the instances hold 2 × 2 × 5 = 20.
    let s = run(&scenario(&constant(100), 1.0, Some(FIXED_20)));
    let started = counter(&s, "lambda.f.requests") as f64;
    // At most 20 at once, each busy 1 s, over 3,600 s (and the last ones still running).
    assert!(started <= 20.0 * 3_600.0 + 20.0, "{started}");
    assert!(started >= 0.95 * 20.0 * 3_600.0, "the capacity is used: {started}");
    let concurrency = gauge(&s, "lambda.f.concurrency_mean");
    assert!(concurrency <= 20.0 && concurrency > 19.0, "{concurrency}");
    assert!(counter(&s, "lambda.f.throttles") > 0);
    assert!((gauge(&s, "lambda.f.instances_mean") - 2.0).abs() < 1e-9);
    assert!(gauge(&s, "lambda.f.instances_utilization") > 0.95);
    assert_eq!(gauge(&s, "lambda.f.environments_mean"), 4.0);
}

#[test]
fn invocations_start_without_cold_starts_or_init() {
    let s = run(&scenario(&constant(10), 0.2, Some("")));
    assert!(counter(&s, "lambda.f.requests") > 30_000);
    assert_eq!(counter(&s, "lambda.f.cold_starts"), 0);
    assert_eq!(s["latency_ms"]["lambda.f.init"]["count"].as_u64(), Some(0));
    assert_eq!(counter(&s, "lambda.f.throttles"), 0, "3 instances hold 96 at once; 2 are needed");
}

#[test]
fn a_burst_beyond_the_instances_is_throttled_where_on_demand_scales_at_once() {
    // 5 at once for 10 minutes, then 150 at once: the 3 minimum instances hold 96 until
    // the scaler's launches serve.
    let burst = "arrival = \"steps\"\nsteps = [[0, 5], [600, 150]]";
    let managed = run(&scenario(burst, 1.0, Some("")));
    let on_demand = run(&scenario(burst, 1.0, None));
    let throttles = counter(&managed, "lambda.f.throttles");
    assert!(throttles > 1_000, "{throttles}");
    assert_eq!(counter(&on_demand, "lambda.f.throttles"), 0);
    // The scaler grows the instances, within the default maximum of 30.
    let launched = counter(&managed, "lambda.f.instances_launched");
    let peak = gauge(&managed, "lambda.f.instances_peak");
    assert!(launched > 0 && peak > 3.0 && peak <= 30.0, "launched {launched}, peak {peak}");
}

#[test]
fn scaling_keeps_the_instances_within_their_minimum_and_maximum() {
    let managed = "instances_min = 4\ninstances_max = 9\nscale_interval_s = 30\nlaunch_delay_s = 60";
    // More than 9 instances could serve, then one a second for the second half hour.
    let steps = "arrival = \"steps\"\nsteps = [[0, 200], [1800, 1]]";
    let s = run(&scenario(steps, 1.0, Some(managed)));
    assert_eq!(gauge(&s, "lambda.f.instances_peak"), 9.0);
    let mean = gauge(&s, "lambda.f.instances_mean");
    assert!(mean > 4.0 && mean < 9.0, "{mean}");
    // Back to the minimum once idle: every instance launched beyond it was terminated.
    assert_eq!(counter(&s, "lambda.f.instances_launched"), counter(&s, "lambda.f.instances_terminated"));
    assert_eq!(counter(&s, "lambda.f.instances_launched"), 5);
}

#[test]
fn the_bill_is_requests_plus_instance_hours_plus_the_15_percent_fee() {
    let managed = "instances_min = 3\ninstances_max = 3\ninstance_usd_per_hour = 0.1";
    let (result, s) = summary(&exact(&scenario(&constant(50), 0.1, Some(managed))));
    let requests = counter(&s, "lambda.f.requests") as f64;
    // Three instances for the hour: 3 instance-hours at $0.10, and 15 % of that as the fee;
    // requests at $0.20 per million; no GB-seconds.
    let expected = requests * 0.20 / 1e6 + 3.0 * 0.10 + 3.0 * 0.10 * 0.15;
    assert!((lambda_usd(&s) - expected).abs() < 1e-9, "{} vs {expected}", lambda_usd(&s));
    assert_eq!(gauge(&s, "lambda.f.gb_seconds"), 0.0);
    let units: Vec<_> =
        result.costs.iter().filter(|l| l.resource == "lambda.f").map(|l| l.usage_unit.as_str()).collect();
    assert_eq!(units, ["requests", "gb_seconds", "instance_hours", "management_fee_instance_hours"]);
}

#[test]
fn at_steady_high_load_managed_instances_cost_less_than_on_demand() {
    // 200 invocations a second of 0.2 s at 2 GB: 40 at once all the hour long.
    let managed = run(&scenario(&constant(200), 0.2, Some("")));
    let on_demand = run(&scenario(&constant(200), 0.2, None));
    assert_eq!(counter(&managed, "lambda.f.throttles"), 0);
    assert_eq!(counter(&managed, "lambda.f.requests"), counter(&on_demand, "lambda.f.requests"));
    // On demand: 200 × 0.2 s × 2 GB × 3,600 s = 288,000 GB-s, about $4.80 of duration.
    assert!(lambda_usd(&on_demand) > 4.5, "{}", lambda_usd(&on_demand));
    assert!(
        lambda_usd(&managed) < lambda_usd(&on_demand) / 5.0,
        "{} vs {}",
        lambda_usd(&managed),
        lambda_usd(&on_demand)
    );
}

#[test]
fn an_sqs_mapping_and_sns_deliveries_run_on_the_instances_and_balance() {
    let text = r#"
        [run]
        seed = 3
        horizon_s = 600
        [workload.q]
        target = "sqs.jobs"
        arrival = "poisson"
        rate_per_s = 50
        [workload.t]
        target = "sns.events"
        arrival = "poisson"
        rate_per_s = 20
        [sqs.jobs]
        visibility_timeout_s = 60
        [sns.events]
        [subscription.s]
        topic = "sns.events"
        endpoint = "lambda.g"
        [lambda.f]
        source = "sqs.jobs"
        batch_size = 1
        memory_mb = 2048
        duration_s = 0.5
        [lambda.f.managed_instances]
        [lambda.g]
        memory_mb = 4096
        duration_s = 0.3
        [lambda.g.managed_instances]
        memory_gib_per_vcpu = 4
    "#;
    let s = run(text);
    assert!(counter(&s, "lambda.f.requests") > 25_000);
    assert!(counter(&s, "lambda.g.requests") > 10_000);
    assert_eq!(counter(&s, "lambda.g.cold_starts"), 0);
    assert_eq!(s["cost_usd"]["lambda"].as_f64().map(|c| c > 0.0), Some(true));
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let text = scenario("arrival = \"poisson\"\nrate_per_s = 150", 0.5, Some("scale_interval_s = 20"));
    assert_eq!(run(&text), run(&text));
}

#[test]
fn configurations_aws_refuses_are_errors_with_where_and_why() {
    let base = |memory: &str, managed: &str, extra: &str| {
        format!(
            "[run]\nhorizon_s = 10\n[lambda.f]\nduration_s = 0.1\n{memory}{extra}\n[lambda.f.managed_instances]\n{managed}\n"
        )
    };
    for (text, expected) in [
        (base("", "", ""), "at least 2,048"),
        (base("memory_mb = 2048\n", "memory_gib_per_vcpu = 3", ""), "= 3: allowed: 2, 4 or 8"),
        (base("memory_mb = 2048\n", "memory_gib_per_vcpu = 4", ""), "less than 1 vCPU"),
        (base("memory_mb = 2048\n", "per_environment_max_concurrency = 1601", ""), "1,600"),
        (base("memory_mb = 2048\n", "", "snap_start = true\n"), "SnapStart"),
        (base("memory_mb = 2048\n", "instances_min = 5\ninstances_max = 4", ""), "below instances_min"),
        (base("memory_mb = 2048\n", "vcpus_per_instance = 192\ninstances_max = 100", ""), "15,000"),
        (base("memory_mb = 8192\n", "", ""), "set vcpus_per_instance"),
        (base("memory_mb = 8192\n", "vcpus_per_instance = 2", ""), "cannot hold one execution environment"),
        (base("memory_mb = 2048\n", "target_utilization = 0", ""), "target_utilization"),
        (base("memory_mb = 2048\n", "spot = true", ""), "spot"),
    ] {
        let e = parse_inline(&text, &[NO_HOPS]).err().unwrap_or_else(|| panic!("accepted:\n{text}")).to_string();
        assert!(e.contains(expected) && e.contains("lambda.f"), "{text}\n{e}");
    }
}

/// `orchsim import TEMPLATE --json --out scenario.toml` in a folder of its own; the JSON and
/// the written scenario.
fn import_cli(name: &str, template: &str) -> (serde_json::Value, String) {
    let dir = common::scratch_in("lambda_managed_instances", name);
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let out = common::orchsim(&["import", "template.yaml", "--json", "--out", "scenario.toml"], &dir);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let json = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    (json, std::fs::read_to_string(dir.join("scenario.toml")).unwrap())
}

/// The written scenario, read back by the scenario reader with a second of traffic a
/// minute long, and run.
fn run_imported(toml: &str) -> serde_json::Value {
    let dir = std::env::temp_dir();
    let scenario = orchsim::scenario::Scenario::from_text(
        "imported.toml",
        toml,
        &dir,
        &[NO_HOPS.to_string(), "run.horizon_s=60".to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    summary(&scenario).1
}

fn resource<'j>(json: &'j serde_json::Value, id: &str) -> &'j serde_json::Value {
    json["resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id} in {json}"))
}

#[test]
fn cloudformation_capacity_provider_config_imports_with_its_providers_scaling() {
    let template = r#"
Resources:
  Fleet:
    Type: AWS::Lambda::CapacityProvider
    Properties:
      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}
      PermissionsConfig: {CapacityProviderOperatorRoleArn: arn:aws:iam::123456789012:role/op}
      InstanceRequirements: {Architectures: [arm64]}
      CapacityProviderScalingConfig:
        MaxVCpuCount: 64
        ScalingMode: Manual
        ScalingPolicies:
          - {PredefinedMetricType: LambdaCapacityProviderAverageCPUUtilization, TargetValue: 60}
  Resize:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.13
      Role: arn:aws:iam::123456789012:role/fn
      Code: {ZipFile: "x"}
      MemorySize: 4096
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig:
          CapacityProviderArn: !GetAtt Fleet.Arn
          PerExecutionEnvironmentMaxConcurrency: 40
          ExecutionEnvironmentMemoryGiBPerVCpu: 2
  Jobs: {Type: AWS::SQS::Queue}
  FromJobs:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref Resize}
"#;
    let (json, toml) = import_cli("cfn", template);
    let config = &resource(&json, "Resize")["properties"]["CapacityProviderConfig"]["LambdaManagedInstancesCapacityProviderConfig"];
    assert_eq!(config["PerExecutionEnvironmentMaxConcurrency"], 40, "{json}");
    assert_eq!(config["CapacityProviderArn"], serde_json::json!({"ref": "Fleet"}), "{json}");
    assert_eq!(
        resource(&json, "Fleet")["skipped"].as_str().map(|s| s.contains("capacity provider")),
        Some(true),
        "{json}"
    );
    let line = |key: &str| common::line(&toml, "lambda.Resize", key).to_string();
    assert!(
        line("managed_instances.per_environment_max_concurrency").starts_with(
            "managed_instances.per_environment_max_concurrency = 40  # template (CapacityProviderConfig."
        ) && line("managed_instances.per_environment_max_concurrency")
            .ends_with("(CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.PerExecutionEnvironmentMaxConcurrency)"),
        "{toml}"
    );
    assert!(line("managed_instances.memory_gib_per_vcpu").starts_with("managed_instances.memory_gib_per_vcpu = 2  #"));
    // 4 GB at 2 GiB per vCPU: environments of 2 vCPUs, on the default 2-vCPU instance.
    assert!(
        line("managed_instances.instances_max").contains("= 32  # template (")
            && line("managed_instances.instances_max")
                .contains("(Fleet CapacityProviderScalingConfig.MaxVCpuCount 64 over 2 vCPUs per instance)"),
        "{toml}"
    );
    assert!(line("managed_instances.target_utilization").starts_with("managed_instances.target_utilization = 0.6  #"));
    let s = run_imported(&toml);
    assert!(counter(&s, "lambda.Resize.requests") > 0);
    assert_eq!(counter(&s, "lambda.Resize.cold_starts"), 0);
    assert!(gauge(&s, "lambda.Resize.instances_mean") >= 3.0);
}

#[test]
fn sam_capacity_provider_config_and_scaling_from_globals_import_and_small_memory_is_raised() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CapacityProviderConfig:
      Arn: !GetAtt Fleet.Arn
      PerExecutionEnvironmentMaxConcurrency: 64
  CapacityProvider:
    ScalingConfig: {MaxVCpuCount: 20, AverageCPUUtilization: 70}
Resources:
  Fleet:
    Type: AWS::Serverless::CapacityProvider
    Properties:
      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}
  Jobs: {Type: AWS::SQS::Queue}
  Events: {Type: AWS::SNS::Topic}
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: nodejs22.x
      MemorySize: 1024
      Events:
        In: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
  Quiet:
    Type: AWS::Serverless::Function
    Properties:
      Handler: quiet.handler
      Runtime: nodejs22.x
      Events:
        In: {Type: SNS, Properties: {Topic: !Ref Events}}
"#;
    let (json, toml) = import_cli("sam", template);
    assert!(
        json["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("MemorySize 1024 MB")),
        "{json}"
    );
    assert!(
        common::line(&toml, "lambda.Api", "memory_mb")
            .starts_with("memory_mb = 2048  # AWS minimum on Managed Instances")
    );
    assert!(common::line(&toml, "lambda.Quiet", "memory_mb").starts_with("memory_mb = 2048  # the smallest function"));
    // The JSON gives no on-demand default of 128 MB to a function on Managed Instances.
    let quiet = &resource(&json, "Quiet")["properties"];
    assert_eq!(quiet["MemorySize"], serde_json::Value::Null, "{quiet}");
    assert_eq!(quiet["CapacityProviderConfig"]["PerExecutionEnvironmentMaxConcurrency"], 64, "{quiet}");
    for f in ["Api", "Quiet"] {
        let line = |key: &str| common::line(&toml, &format!("lambda.{f}"), key).to_string();
        assert!(line("managed_instances.per_environment_max_concurrency").contains("= 64  # Globals"), "{toml}");
        assert!(
            line("managed_instances.instances_max").starts_with("managed_instances.instances_max = 10  #"),
            "{toml}"
        );
        assert!(line("managed_instances.target_utilization").contains("= 0.7  # Globals"), "{toml}");
    }
    let s = run_imported(&toml);
    assert_eq!(counter(&s, "lambda.Api.cold_starts"), 0);
}

#[test]
fn a_capacity_provider_outside_the_template_keeps_the_models_scaling_and_is_said() {
    let template = r#"
Resources:
  Big:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: java21
      Role: arn:aws:iam::123456789012:role/fn
      Code: {ZipFile: "x"}
      MemorySize: 8192
      SnapStart: {ApplyOn: PublishedVersions}
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig:
          CapacityProviderArn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:shared
  Version:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Big}
  Jobs: {Type: AWS::SQS::Queue}
  FromJobs:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref Big}
"#;
    let (json, toml) = import_cli("external", template);
    let warnings: Vec<&str> = json["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("capacity-provider:shared is not a resource of this template")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("snap_start left out")), "{warnings:?}");
    assert!(!toml.contains("snap_start"), "{toml}");
    // 8 GB at 2 GiB per vCPU: environments of 4 vCPUs need a larger instance than the default.
    let line = common::line(&toml, "lambda.Big", "managed_instances.vcpus_per_instance");
    assert!(line.starts_with("managed_instances.vcpus_per_instance = 4  # TODO placeholder"), "{toml}");
    run_imported(&toml);
}

#[test]
fn the_shipped_comparison_shows_what_its_comment_says() {
    let scenario = common::load(&common::shipped("lambda_managed_instances.toml"), &[]);
    let (result, s) = summary(&scenario);
    // Common random numbers: both functions get the same requests.
    assert_eq!(counter(&s, "workload.managed_traffic.sent"), counter(&s, "workload.on_demand_traffic.sent"));
    assert!(counter(&s, "lambda.checkout_on_demand.cold_starts") > 0);
    assert_eq!(counter(&s, "lambda.checkout_on_demand.throttles"), 0);
    assert_eq!(counter(&s, "lambda.checkout_managed.cold_starts"), 0);
    assert!(counter(&s, "lambda.checkout_managed.throttles") > 0, "the burst comes close to the 96 slots");
    assert!(counter(&s, "lambda.checkout_managed.instances_launched") > 0);
    let usd = |function: &str| -> f64 {
        result.costs.iter().filter(|l| l.resource == format!("lambda.{function}")).map(|l| l.usd_window).sum()
    };
    let (managed, on_demand) = (usd("checkout_managed"), usd("checkout_on_demand"));
    assert!(managed < on_demand / 5.0, "{managed} vs {on_demand}");
}

#[test]
fn the_time_series_shows_the_instances_and_sampling_changes_no_result() {
    let shipped = common::shipped("lambda_managed_instances.toml");
    let (often, often_summary) = summary(&common::load(&shipped, &["run.sample_interval_s=1"]));
    let (_, rarely_summary) = summary(&common::load(&shipped, &["run.sample_interval_s=900"]));
    // The fleet is brought up to each sample's time; that moves none of its decisions.
    assert_eq!(often_summary["counters"], rarely_summary["counters"]);
    assert_eq!(often_summary["gauges"], rarely_summary["gauges"]);
    let series = &often.measurements.series;
    let column = series.columns.iter().position(|c| c == "lambda.checkout_managed.instances").expect("a column");
    let instances: Vec<f64> = series.rows().map(|(_, row)| row[column]).collect();
    assert_eq!(instances.first(), Some(&3.0));
    assert_eq!(
        instances.iter().cloned().fold(0.0, f64::max),
        gauge(&often_summary, "lambda.checkout_managed.instances_peak")
    );
    assert!(!series.columns.iter().any(|c| c == "lambda.checkout_on_demand.instances"));
}
