//! `orchsim fit` on X-Ray `batch-get-traces`: each segment a JSON string, subsegments nested;
//! a Lambda function's `Invocation` and `Initialization` subsegments fit back its
//! `duration_s` and `init_duration_s`, every other span its own duration.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{orchsim, text};
use orchsim::distributions::Distribution;
use orchsim::engine::RngFactory;
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("fit_xray", name)
}

/// `n` traces of the function `orders`: an `AWS::Lambda` segment around an
/// `AWS::Lambda::Function` one whose `Invocation` (lognormal, median 40 ms, p99 250 ms) makes
/// an SQS SendMessage call (exponential, mean 8 ms); every fourth a cold start with an
/// `Initialization` (lognormal, median 300 ms, p99 1.2 s).
fn traces(n: usize) -> String {
    let mut rng = RngFactory::new(21).stream("fit.xray");
    let invocation = Distribution::lognormal(0.04, 0.25);
    let send = Distribution::exponential(0.008);
    let init = Distribution::lognormal(0.3, 1.2);
    let list: Vec<Value> = (0..n)
        .map(|i| {
            let start = 1_772_445_907.0 + i as f64;
            let cold = i % 4 == 0;
            let init_s = if cold { init.sample(&mut rng) } else { 0.0 };
            let run = invocation.sample(&mut rng);
            let call = send.sample(&mut rng).min(run);
            let at = start + init_s;
            let mut subsegments = vec![json!({"id": "b1", "name": "Invocation", "start_time": at, "end_time": at + run,
                "subsegments": [{"id": "c1", "name": "SQS", "namespace": "aws", "start_time": at, "end_time": at + call,
                    "aws": {"operation": "SendMessage", "region": "us-east-1", "queue_url": "https://sqs/q"}}]})];
            if cold {
                subsegments.insert(0, json!({"id": "b0", "name": "Initialization", "start_time": start, "end_time": at}));
            }
            let function = json!({"id": "a2", "trace_id": format!("1-69a56ad3-{i:024x}"), "name": "orders",
                "origin": "AWS::Lambda::Function", "start_time": start, "end_time": at + run + 0.001,
                "subsegments": subsegments});
            let service = json!({"id": "a1", "trace_id": format!("1-69a56ad3-{i:024x}"), "name": "orders",
                "origin": "AWS::Lambda", "start_time": start - 0.01, "end_time": at + run + 0.002});
            json!({"Id": format!("1-69a56ad3-{i:024x}"), "Duration": run, "LimitExceeded": false,
                "Segments": [{"Id": "a1", "Document": service.to_string()}, {"Id": "a2", "Document": function.to_string()}]})
        })
        .collect();
    json!({"Traces": list, "UnprocessedTraceIds": []}).to_string()
}

#[test]
fn lambda_subsegments_fit_back_its_durations_and_calls_their_own() {
    let dir = scratch("traces");
    let file = dir.join("traces.json");
    fs::write(&file, traces(800)).unwrap();
    let out = orchsim(&["fit", "--json", file.to_str().unwrap()], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["inputs"][0]["format"], "X-Ray batch-get-traces JSON");
    assert_eq!(result["element"], "lambda.orders");
    let figure = |key: &str| {
        result["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("{key}: {result:#}"))
            .clone()
    };
    let d = figure("duration_s");
    assert_eq!((d["value"]["dist"].as_str(), d["samples"].as_u64()), (Some("lognormal"), Some(800)));
    assert!((d["value"]["median"].as_f64().unwrap() / 0.04 - 1.0).abs() < 0.07, "{d:#}");
    assert!((d["value"]["p99"].as_f64().unwrap() / 0.25 - 1.0).abs() < 0.15, "{d:#}");
    let i = figure("init_duration_s");
    assert_eq!(i["samples"].as_u64(), Some(200));
    assert!((i["value"]["median"].as_f64().unwrap() / 0.3 - 1.0).abs() < 0.12, "{i:#}");
    let call = figure(r#"xray."orders SQS SendMessage".duration_s"#);
    assert_eq!((call["value"]["dist"].as_str(), call["scenario_key"].as_bool()), (Some("exponential"), Some(false)));
    assert!((call["value"]["mean"].as_f64().unwrap() / 0.008 - 1.0).abs() < 0.12, "{call:#}");
    assert!(result["notes"].to_string().contains("X-Ray samples"), "{result:#}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_segment_that_is_not_json_text_exits_2_saying_where() {
    let dir = scratch("bad");
    let cases = [
        (
            r#"{"Traces":[{"Id":"1-a","Segments":[{"Id":"s","Document":{"name":"x"}}]}]}"#,
            "Traces[0].Segments[0]: Document is not a string",
        ),
        (
            r#"{"Traces":[{"Id":"1-a","Segments":[{"Id":"s","Document":"{\"name\":\"x\",\"start_time\":2.0,\"end_time\":1.0}"}]}]}"#,
            "Traces[0].Segments[0]: x: end_time 1 is before start_time 2",
        ),
        (r#"{"Traces":[],"UnprocessedTraceIds":["1-a"]}"#, "Traces is empty"),
    ];
    for (i, (content, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("traces-{i}.json"));
        fs::write(&file, content).unwrap();
        let out = orchsim(&["fit", file.to_str().unwrap()], &dir);
        assert_eq!(out.status.code(), Some(2), "{content}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected) && stderr.contains(&file.display().to_string()), "{stderr}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_hand_written_trace_is_read_span_by_span() {
    let text = fs::read_to_string(common::repo().join("tests/data/fit/traces.json")).unwrap();
    let (format, telemetry) = orchsim::calibrate::formats::read(&text).unwrap();
    assert_eq!(format, orchsim::calibrate::formats::Format::XRayTraces);
    let orchsim::calibrate::formats::Telemetry::Traces(t) = telemetry else { panic!() };
    let spans: Vec<(Option<&str>, i64)> =
        t.spans.iter().map(|s| (s.name.as_deref(), (s.duration_s * 1000.0).round() as i64)).collect();
    assert_eq!(
        spans,
        [(None, 352), (Some("Initialization"), 310), (Some("Invocation"), 41), (Some("SQS SendMessage"), 8)]
    );
    // The Overhead subsegment has no end yet.
    assert_eq!(t.in_progress, 1);
}
