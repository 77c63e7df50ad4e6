//! Regional prices: the shipped us-east-1 book, books read from AWS Price List offer files
//! (`tests/data/prices/`, in the files' documented shape with the tests' own figures), which
//! Region prices each resource, and the errors for a Region without prices or a bad file.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{counter, summary};
use orchsim::pricing::{self, CostLine, StepFunctionsUsage, Tier};
use orchsim::scenario::Scenario;

fn prices_dir() -> PathBuf {
    common::repo().join("tests/data/prices")
}

/// A Standard machine of three states (two Pass states and a Succeed), one execution a
/// second for 100 s, with `extra` appended to the scenario; files are read from
/// `tests/data/prices`.
fn machine_text(extra: &str) -> String {
    typed_machine_text("standard", extra)
}

fn typed_machine_text(workflow: &str, extra: &str) -> String {
    format!(
        r#"
        [run]
        horizon_s = 100
        # Without AWS's own start and transition latencies, Pass states take no time.
        [latency]
        aws_calls = "none"
        [workload.w]
        target = "step_functions.m"
        arrival = "constant"
        rate_per_s = 1
        [step_functions.m]
        type = "{workflow}"
        definition = "machine.asl.json"
        {extra}
        "#
    )
}

const DEFINITION: &str = r#"{"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Pass", "Next": "C"},
    "C": {"Type": "Succeed"}}}"#;

/// A scratch folder holding the definition and copies of the offer files.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orchsim-pricing-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("machine.asl.json"), DEFINITION).unwrap();
    for entry in fs::read_dir(prices_dir()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn load(tag: &str, text: &str) -> Result<Scenario, String> {
    let dir = scratch(tag);
    let s = Scenario::from_text("inline.toml", text, &dir, &[]).map_err(|e| e.to_string());
    let _ = fs::remove_dir_all(&dir);
    s
}

const WEST_FILES: &str = r#"[pricing]
price_list = ["AmazonStates-us-west-1.json", "AWSQueueService-us-west-1.json", "AWSLambda-us-west-1.json",
              "AmazonSNS-us-west-1.json", "AWSEvents-us-west-1.json"]"#;

fn step_functions_line(costs: &[CostLine]) -> &CostLine {
    costs.iter().find(|l| l.service == "step_functions").expect("a Step Functions line")
}

#[test]
fn a_us_west_1_standard_machine_pays_0_0000279_per_transition_beyond_the_free_4_000() {
    let scenario = load("west", &machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}"))).unwrap();
    let (result, json) = summary(&scenario);
    let line = step_functions_line(&result.costs);
    assert_eq!(line.usage_window, counter(&json, "step_functions.m.transitions") as f64);
    assert_eq!(line.usage_window, 300.0, "100 executions of 3 transitions");
    let expected = (line.usage_per_month - 4_000.0) * 0.000_027_9;
    assert!((line.usd_per_month - expected).abs() < 1e-9 * expected, "{} != {expected}", line.usd_per_month);
    // The same machine without its region key is priced in us-east-1 at $0.000025.
    let east = load("east", &machine_text("")).unwrap();
    let (east_result, _) = summary(&east);
    let east_line = step_functions_line(&east_result.costs);
    let east_expected = (east_line.usage_per_month - 4_000.0) * 0.000_025;
    assert!((east_line.usd_per_month - east_expected).abs() < 1e-9 * east_expected);
    assert_eq!(scenario.pricing.region_of("step_functions.m"), "us-west-1");
    assert_eq!(east.pricing.region_of("step_functions.m"), "us-east-1");
}

#[test]
fn the_scenario_region_prices_what_names_no_region_of_its_own() {
    let text = machine_text(&format!("{WEST_FILES}\nregion = \"us-west-1\""));
    let scenario = load("scenario-region", &text).unwrap();
    assert_eq!(scenario.pricing.region, "us-west-1");
    let book = scenario.pricing.book_of("step_functions.m");
    assert_eq!(book.region, "us-west-1");
    let month = pricing::Window { seconds: 730.0 * 3_600.0, hours_per_month: 730.0 };
    let usage = [StepFunctionsUsage::Standard { resource: "step_functions.m".into(), transitions: 1_004_000 }];
    let usd = pricing::step_functions_lines(book.step_functions(), month, &usage)[0].usd_per_month;
    assert!((usd - 27.9).abs() < 1e-9, "1,000,000 paid transitions at $0.0000279: {usd}");
    // Only the Regions used keep their books.
    assert_eq!(scenario.pricing.books.keys().collect::<Vec<_>>(), ["us-west-1"]);
}

#[test]
fn offer_file_tiers_become_orchsim_tiers_exactly() {
    let scenario = load("tiers", &machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}"))).unwrap();
    let book = scenario.pricing.book_in("us-west-1");
    let tier = |from_per_month: f64, usd_per_million: f64| Tier { from_per_month, usd_per_million };
    let sqs = book.sqs();
    assert_eq!(sqs.standard_tiers, [tier(0.0, 0.0), tier(1e6, 0.40), tier(100e9, 0.30), tier(200e9, 0.24)]);
    assert_eq!(sqs.fifo_tiers, [tier(0.0, 0.0), tier(1e6, 0.50), tier(100e9, 0.40), tier(200e9, 0.35)]);
    let sfn = book.step_functions();
    assert_eq!((sfn.free_transitions_per_month, sfn.standard_usd_per_thousand_transitions), (4_000.0, 0.0279));
    assert!(sfn.express.is_none(), "no documented Express usage type is read");
    let lambda = book.lambda();
    assert_eq!((lambda.usd_per_million_requests, lambda.free_requests_per_month), (0.20, 0.0));
    assert_eq!(lambda.x86_tiers, [tier(0.0, 16.6667), tier(6e9, 15.0), tier(15e9, 13.3334)]);
    assert_eq!(lambda.arm_tiers, [tier(0.0, 13.3334), tier(7.5e9, 12.0001), tier(18.75e9, 10.6667)]);
    let sns = book.sns();
    assert_eq!((sns.publish_usd_per_million, sns.free_publishes_per_month), (0.50, 1e6));
    assert_eq!((sns.http_usd_per_million, sns.free_http_per_month), (0.60, 100_000.0));
    assert_eq!((sns.email_usd_per_million, sns.free_email_per_month), (20.0, 1_000.0));
    assert_eq!((sns.push_usd_per_million, sns.free_push_per_month), (0.50, 1e6));
    assert!(sns.fifo.is_none());
    assert_eq!(book.eventbridge().custom_events_usd_per_million, 1.0);
    assert!(book.ses.is_none() && book.mq.is_none());
    assert_eq!(book.as_of, "2026-11-01");
}

#[test]
fn a_lambda_free_range_priced_0_usd_becomes_the_free_allowance() {
    let dir = scratch("lambda-free");
    let mut json: serde_json::Value = serde_json::from_str(&fixture("AWSLambda-us-west-1.json")).unwrap();
    // A free first range of 400,000 GB-s before the first paid tier, for both architectures.
    for sku in ["LAMUSW1GBS", "LAMUSW1GBSARM"] {
        let dimensions = &mut json["terms"]["OnDemand"][sku][format!("{sku}.JRTCKXETXF")]["priceDimensions"];
        dimensions[format!("{sku}.JRTCKXETXF.RATE000000")]["beginRange"] = "400000".into();
        dimensions[format!("{sku}.JRTCKXETXF.FREE")] = serde_json::json!({
            "rateCode": format!("{sku}.JRTCKXETXF.FREE"), "description": "free", "unit": "Lambda-GB-Second",
            "beginRange": "0", "endRange": "400000", "pricePerUnit": {"USD": "0.0000000000"}, "appliesTo": []
        });
    }
    let text = json.to_string();
    fs::write(dir.join("lambda.json"), text).unwrap();
    let scenario = Scenario::from_text(
        "inline.toml",
        &machine_text(
            "[pricing]\nregion = \"us-west-1\"\nprice_list = [\"lambda.json\", \"AmazonStates-us-west-1.json\"]",
        ),
        &dir,
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let lambda = scenario.pricing.book().lambda();
    assert_eq!(lambda.free_gb_seconds_per_month, 400_000.0);
    assert_eq!(lambda.x86_tiers[0], Tier { from_per_month: 0.0, usd_per_million: 16.6667 });
    assert_eq!(lambda.x86_tiers[1].from_per_month, 6e9);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_region_without_a_price_book_is_refused_with_where_to_get_one() {
    let e = load("no-book", &machine_text("region = \"eu-west-3\"")).unwrap_err();
    assert!(
        e.starts_with("inline.toml:14:18: step_functions.m.region = \"eu-west-3\": no price book for Region eu-west-3"),
        "{e}"
    );
    assert!(e.contains("`[pricing] price_list = [...]`"), "{e}");
    assert!(
        e.contains("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offerCode>/current/eu-west-3/index.json"),
        "{e}"
    );
    let e = load("no-book-scenario", &machine_text("[pricing]\nregion = \"ap-south-1\"")).unwrap_err();
    assert!(e.contains("pricing.region = \"ap-south-1\": no price book for Region ap-south-1"), "{e}");
}

#[test]
fn a_service_a_regional_book_lacks_is_refused_naming_its_offer_file() {
    let text = machine_text("region = \"us-west-1\"\n[pricing]\nprice_list = [\"AWSQueueService-us-west-1.json\"]");
    let e = load("no-sfn", &text).unwrap_err();
    assert!(
        e.contains(
            "the price book for Region us-west-1 has no Step Functions prices; add AWS's AmazonStates offer file"
        ),
        "{e}"
    );
    assert!(e.contains("/aws/AmazonStates/current/us-west-1/index.json"), "{e}");
    let express = typed_machine_text("express_async", &format!("region = \"us-west-1\"\n{WEST_FILES}"));
    let e = load("no-express", &express).unwrap_err();
    assert!(e.contains("has no Step Functions Express prices, and orchsim reads none from offer files"), "{e}");
}

#[test]
fn overrides_apply_on_top_of_the_books_read() {
    let text = machine_text(&format!(
        "region = \"us-west-1\"\n{WEST_FILES}\nsqs_standard_tiers = [[0, 0.0], [2_000_000, 0.7]]\nlambda_free_tier = false"
    ));
    let scenario = load("overrides", &text).unwrap();
    let book = scenario.pricing.book_in("us-west-1");
    assert_eq!(
        book.sqs().standard_tiers,
        [Tier { from_per_month: 0.0, usd_per_million: 0.0 }, Tier { from_per_month: 2e6, usd_per_million: 0.7 }]
    );
    assert!(!book.lambda().free_tier);
}

/// The error loading a scenario gives when its one offer file is `json`.
fn offer_file_error(tag: &str, json: &str) -> String {
    let dir = scratch(tag);
    fs::write(dir.join("bad.json"), json).unwrap();
    let text = machine_text("[pricing]\nprice_list = [\"bad.json\"]");
    let e = Scenario::from_text("inline.toml", &text, &dir, &[]).map(|_| ()).unwrap_err().to_string();
    let _ = fs::remove_dir_all(&dir);
    e
}

fn fixture(name: &str) -> String {
    fs::read_to_string(prices_dir().join(name)).unwrap()
}

#[test]
fn a_malformed_offer_file_is_refused_at_its_location() {
    let json = fixture("AmazonStates-us-west-1.json").replace(r#""USD": "0.0000279000""#, r#""EUR": "0.0000279000""#);
    let e = offer_file_error("no-usd", &json);
    assert!(
        e.contains("bad.json: terms.OnDemand.SFNUSW1TRANS.SFNUSW1TRANS.JRTCKXETXF.priceDimensions.SFNUSW1TRANS.JRTCKXETXF.PAID000001.pricePerUnit.USD: missing"),
        "{e}"
    );
    let json = fixture("AmazonStates-us-west-1.json").replace(r#""endRange": "4000""#, r#""endRange": "3000""#);
    let e = offer_file_error("gap", &json);
    assert!(e.contains("the range ending at 3000 is followed by one beginning at 4000"), "{e}");
    let json = fixture("AmazonStates-us-west-1.json").replace(
        r#""regionCode": "us-west-1",
        "group""#,
        r#""group""#,
    );
    let e = offer_file_error("no-region", &json);
    assert!(e.contains("products.SFNUSW1TRANS.attributes.regionCode: missing: product SFNUSW1TRANS (usagetype USW1-StateTransition) names no regionCode"), "{e}");
    let e = offer_file_error("syntax", "{\n  \"offerCode\": \"AmazonStates\",\n  \"products\": {,\n}");
    assert!(e.contains("bad.json:3:16: not valid JSON"), "{e}");
}

#[test]
fn an_incomplete_offer_file_names_the_usage_type_it_lacks() {
    let json =
        fixture("AWSQueueService-us-west-1.json").replace("USW1-Requests-FIFO-Tier1", "USW1-Requests-FIFO-Tier9");
    let e = offer_file_error("incomplete", &json);
    assert!(
        e.contains("bad.json: products: incomplete for us-west-1: no product with usagetype Requests-FIFO-Tier1"),
        "{e}"
    );
    let json = fixture("AmazonStates-us-west-1.json").replace("\"AmazonStates\"", "\"AmazonEC2\"");
    let e = offer_file_error("offer-code", &json);
    assert!(e.contains("bad.json: offerCode: \"AmazonEC2\" is not an offer orchsim reads"), "{e}");
}

fn orchsim(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orchsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

#[test]
fn the_cli_exits_2_for_a_region_without_prices_and_records_the_books_it_used() {
    let dir = scratch("cli");
    fs::write(dir.join("no-book.toml"), machine_text("region = \"eu-west-3\"")).unwrap();
    let out = orchsim(&["run", "no-book.toml", "--out", "r1", "--quiet"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no price book for Region eu-west-3"), "{stderr}");
    assert!(!dir.join("r1").exists(), "nothing is written");

    fs::write(dir.join("west.toml"), machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}"))).unwrap();
    let out = orchsim(&["run", "west.toml", "--out", "r2", "--quiet"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("r2/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["prices_region"], "us-east-1");
    assert_eq!(manifest["priced_in_own_region"]["step_functions.m"], "us-west-1");
    let regions: Vec<&str> =
        manifest["price_books"].as_array().unwrap().iter().map(|b| b["region"].as_str().unwrap()).collect();
    assert_eq!(regions, ["us-east-1", "us-west-1"]);
    assert_eq!(manifest["price_books"][0]["sources"][0], "shipped");
    let west_sources = manifest["price_books"][1]["sources"].to_string();
    assert!(
        west_sources.contains("AmazonStates-us-west-1.json (AmazonStates, published 2026-11-01T00:00:00Z)"),
        "{west_sources}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn compare_prices_the_machine_in_its_own_region() {
    let dir = scratch("compare");
    // The scenario's Region is us-west-1, the machine's us-east-1: compare uses the latter.
    let text = machine_text(&format!("region = \"us-east-1\"\n{WEST_FILES}\nregion = \"us-west-1\""));
    fs::write(dir.join("east.toml"), text).unwrap();
    let out = orchsim(&["compare", "east.toml", "--json", "--executions-per-month", "1000000", "--out", "c"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let usd = json["standard"]["cost_usd_per_month_at"][0]["by_service"]["step_functions"].as_f64().unwrap();
    // 3 transitions an execution: 3,000,000 − 4,000 free at $0.000025.
    assert!((usd - 2_996_000.0 * 0.000_025).abs() < 1e-9, "{usd}");

    // In us-west-1 the book has no Express prices: compare stops before running.
    fs::write(dir.join("west.toml"), machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}"))).unwrap();
    let out = orchsim(&["compare", "west.toml", "--out", "c2"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("us-west-1 has no Step Functions Express prices"), "{stderr}");
    assert!(stderr.contains("give them in `[pricing]` as `express_usd_per_million_requests`"), "{stderr}");

    // Express prices given in [pricing] let it compare there, at those prices.
    let express = "express_usd_per_million_requests = 2.0\nexpress_gb_hour_tiers = [[0, 0.10]]";
    let text = machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}\n{express}"));
    fs::write(dir.join("west.toml"), text).unwrap();
    let out = orchsim(&["compare", "west.toml", "--json", "--executions-per-month", "1000000", "--out", "c3"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |t: &str| json[t]["cost_usd_per_month_at"][0]["by_service"]["step_functions"].as_f64().unwrap();
    assert!((at("standard") - 2_996_000.0 * 0.000_027_9).abs() < 1e-6, "{}", at("standard"));
    // A million requests at $2; Pass states take no time, so no GB-seconds.
    assert!((at("express") - 2.0).abs() < 1e-9, "{}", at("express"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn express_prices_in_pricing_need_both_keys() {
    let text = machine_text("[pricing]\nexpress_usd_per_million_requests = 2.0");
    let e = load("express-half", &text).unwrap_err();
    assert!(e.contains("give both express_usd_per_million_requests and express_gb_hour_tiers"), "{e}");
    // Both give Express its prices in every book that prices Step Functions.
    let express = "express_usd_per_million_requests = 2.0\nexpress_gb_hour_tiers = [[0, 0.10], [500, 0.05]]";
    let scenario = load("express", &machine_text(&format!("region = \"us-west-1\"\n{WEST_FILES}\n{express}"))).unwrap();
    for region in ["us-west-1", "us-east-1"] {
        let prices = scenario.pricing.book_in(region).step_functions().express.clone().expect("Express prices");
        assert_eq!(prices.usd_per_million_requests, 2.0);
        assert_eq!(
            prices.gb_hour_tiers,
            [
                Tier { from_per_month: 0.0, usd_per_million: 0.10e6 },
                Tier { from_per_month: 500.0, usd_per_million: 0.05e6 }
            ]
        );
    }
}

#[test]
fn a_distributed_maps_children_are_priced_in_their_parents_region() {
    let definition = r#"{"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "MaxConcurrency": 0,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}},
            "End": true}}}"#;
    let dir = scratch("dmap");
    fs::write(dir.join("machine.asl.json"), definition).unwrap();
    let text =
        machine_text(&format!("region = \"us-west-1\"\n[step_functions.m.states.Each]\nitems = 10\n{WEST_FILES}"));
    let scenario = Scenario::from_text("inline.toml", &text, &dir, &[]).unwrap_or_else(|e| panic!("{e}"));
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(scenario.pricing.region_of("step_functions.m/Each"), "us-west-1");
    let (result, _) = summary(&scenario);
    let lines: Vec<&CostLine> = result.costs.iter().filter(|l| l.service == "step_functions").collect();
    assert_eq!(
        lines.iter().map(|l| l.resource.as_str()).collect::<Vec<_>>(),
        ["step_functions.m", "step_functions.m/Each"]
    );
    // One month of both machines' transitions, less the 4,000 free, at $0.0000279, shared by volume.
    let month: f64 = lines.iter().map(|l| l.usage_per_month).sum();
    let usd: f64 = lines.iter().map(|l| l.usd_per_month).sum();
    assert!(((month - 4_000.0) * 0.000_027_9 - usd).abs() < 1e-9 * usd, "{usd}");
}
