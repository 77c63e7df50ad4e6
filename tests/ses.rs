//! Amazon SES through scenarios: the send-rate and daily quotas, recipients, the senders
//! (workloads, worker pools, Step Functions tasks), the SDK client's retries and SES's bill.

mod common;

use common::{counter, inline, latency, parse_inline, shipped, summary};

#[test]
fn a_burst_of_10_000_emails_drains_at_the_send_rate_and_loses_none() {
    let scenario = common::load(&shipped("ses_order_confirmations.toml"), &[]);
    let (result, s) = summary(&scenario);
    // Every order was confirmed and deleted; the queue's at-least-once duplicates were
    // confirmed too.
    let deleted = counter(&s, "sqs.order-confirmations.deleted");
    let duplicates = counter(&s, "sqs.order-confirmations.duplicates");
    assert_eq!(counter(&s, "sqs.order-confirmations.sent"), 10_000);
    assert_eq!(deleted, 10_000 + duplicates);
    assert_eq!(counter(&s, "ses.accepted_emails"), deleted);
    assert_eq!(counter(&s, "sqs.order-confirmations.visible_at_end"), 0);
    // 14 emails a second (after a first second's burst of 14): about 714 s for 10,000.
    let drained_s = result.outcome.end_time.as_secs_f64();
    let quota_s = (deleted as f64 - 14.0) / 14.0;
    assert!(drained_s >= quota_s && drained_s < 1.05 * quota_s, "drained at {drained_s} s, quota {quota_s} s");
    assert!(counter(&s, "ses.rate_throttles") > 10_000);
    assert_eq!(counter(&s, "ses.calls"), counter(&s, "ses.accepted_emails") + counter(&s, "ses.rate_throttles"));
    assert!(counter(&s, "workers.mailers.email_throttled") > 0);
    assert!(counter(&s, "workers.mailers.email_gave_up") > 0);
    // Each worker's client in adaptive mode slows its own sends after throttles: far fewer
    // refusals, and the same drain time.
    let adaptive = common::load(&shipped("ses_order_confirmations.toml"), &["workers.mailers.retry_mode=adaptive"]);
    let (result, a) = summary(&adaptive);
    assert!(counter(&a, "ses.rate_throttles") * 4 < counter(&s, "ses.rate_throttles"));
    assert!(counter(&a, "workers.mailers.email_rate_limited_attempts") > 0);
    assert!(result.outcome.end_time.as_secs_f64() < 1.05 * quota_s);
}

const DIRECT: &str = r#"
    [run]
    horizon_s = 3600
    [workload.mail]
    target = "ses"
    arrival = "constant"
    rate_per_s = 2
    count_max = 1000
"#;

#[test]
fn the_sandbox_sends_one_email_a_second_and_200_a_day() {
    let s = summary(&inline(&format!("{DIRECT}\n[ses]\naccount = \"sandbox\""))).1;
    assert_eq!(counter(&s, "ses.accepted_emails"), 200);
    assert!(counter(&s, "ses.daily_throttles") > 0);
    assert!(counter(&s, "ses.rate_throttles") > 0);
    // What the producer's client gave up on is counted, not lost silently.
    assert_eq!(counter(&s, "workload.mail.send_gave_up") + 200, 1_000);
    assert!(counter(&s, "workload.mail.throttled_calls") >= 800);
}

#[test]
fn recipients_count_against_the_quotas_not_emails() {
    let text = format!(
        "{DIRECT}\n[ses]\naccount = \"production\"\nmax_send_rate_per_s = 10\ndaily_quota = 1000000\nrecipients_per_email = 10"
    );
    let s = summary(&inline(&text)).1;
    // 2 emails a second of 10 recipients each against 10 recipients a second: one email a
    // second gets in while the workload lasts (500 s).
    assert_eq!(counter(&s, "ses.accepted_recipients"), 10 * counter(&s, "ses.accepted_emails"));
    let accepted = counter(&s, "ses.accepted_emails");
    assert!((495..=505).contains(&accepted), "{accepted}");
    assert_eq!(counter(&s, "workload.mail.send_gave_up"), 1_000 - accepted);
    // The client retried until its retry quota (500 tokens, 5 a retry) ran dry: from then
    // on a throttled send fails at its first attempt.
    assert!(counter(&s, "workload.mail.send_retries") >= 100);
    assert!(counter(&s, "workload.mail.retry_quota_refusals") > 300);
    assert!(latency(&s, "ses.time_to_accept", "max") < 3_000.0);
}

#[test]
fn adaptive_mode_throttles_less_than_standard_for_the_same_emails() {
    let base = format!(
        "{DIRECT}\nretry_max_attempts = 10\n[ses]\naccount = \"production\"\nmax_send_rate_per_s = 1\ndaily_quota = 1000000"
    );
    let standard = summary(&inline(&base)).1;
    let adaptive =
        summary(&inline(&base.replace("retry_max_attempts", "retry_mode = \"adaptive\"\nretry_max_attempts"))).1;
    let throttled = |s: &serde_json::Value| counter(s, "workload.mail.throttled_calls");
    assert!(throttled(&adaptive) < throttled(&standard), "{} vs {}", throttled(&adaptive), throttled(&standard));
    assert!(counter(&adaptive, "workload.mail.rate_limited_attempts") > 0);
}

#[test]
fn a_step_functions_task_sends_through_the_quotas_and_fails_with_the_throttling_error() {
    let dir = std::env::temp_dir().join(format!("orchsim-ses-sfn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("receipt.asl.json"),
        r#"{"StartAt": "Send receipt", "States": {"Send receipt": {"Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sesv2:sendEmail",
            "Parameters": {"FromEmailAddress": "shop@example.com", "Destination": {"ToAddresses.$": "$.to"},
                           "Content": {"Simple": {"Subject": {"Data": "Your receipt"}, "Body": {"Text": {"Data": "Thanks"}}}}},
            "Catch": [{"ErrorEquals": ["SesV2.ThrottlingException"], "Next": "Throttled"}], "End": true},
            "Throttled": {"Type": "Fail", "Error": "Throttled"}}}"#,
    )
    .unwrap();
    let text = "[run]\nhorizon_s = 100\n[workload.orders]\ntarget = \"step_functions.receipts\"\narrival = \"constant\"\nrate_per_s = 20\n\
                [step_functions.receipts]\ndefinition = \"receipt.asl.json\"\ntype = \"express_async\"\n\
                [ses]\naccount = \"production\"\nmax_send_rate_per_s = 14\ndaily_quota = 1000000\n";
    // Without Step Functions' own start latency the execution lasts the task alone.
    let no_hops = [common::NO_HOPS.to_string()];
    let scenario = orchsim::scenario::Scenario::from_text("inline.toml", text, &dir, &no_hops).unwrap();
    let s = summary(&scenario).1;
    let failed = counter(&s, "step_functions.receipts.failed");
    let succeeded = counter(&s, "step_functions.receipts.succeeded");
    // 20 a second against 14: about 6 a second fail with the throttling error.
    // (An execution may still be running at the horizon.)
    assert!(counter(&s, "ses.accepted_emails") - succeeded <= 2);
    assert!(counter(&s, "ses.rate_throttles") - failed <= 2);
    assert!(
        (0.25..0.35).contains(&(failed as f64 / (failed + succeeded) as f64)),
        "{failed} of {}",
        failed + succeeded
    );
    // The task lasts the API's latency (80 ms median by default).
    let p50 = latency(&s, "step_functions.receipts.duration", "p50");
    assert!((60.0..110.0).contains(&p50), "{p50}");
    // duration_s does not apply to it.
    let with_duration = format!("{text}[step_functions.receipts.states.\"Send receipt\"]\nduration_s = 1\n");
    let e = orchsim::scenario::Scenario::from_text("inline.toml", &with_duration, &dir, &[]).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("does not apply: the SES send lasts [ses] api_latency_s"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ses_is_billed_per_recipient_with_the_chosen_plan() {
    let text = format!(
        "{DIRECT}\n[ses]\naccount = \"production\"\nmax_send_rate_per_s = 100\ndaily_quota = 1000000\nrecipients_per_email = 3\n\
         attachment_bytes = 500000\n[pricing]\nses_plan = \"pro\""
    );
    let (result, _) = summary(&inline(&text));
    let line = |unit: &str| result.costs.iter().find(|c| c.service == "ses" && c.usage_unit == unit).unwrap().clone();
    // 1,000 emails of 3 recipients at $0.22 per 1,000, projected from the window to a month.
    let emails = line("emails");
    assert_eq!(emails.usage_window, 3_000.0);
    assert!((emails.usd_window - 3.0 * 0.22).abs() < 1e-9, "{}", emails.usd_window);
    // 0.5 GB of attachments at $0.12 per GB.
    assert!((line("attachment_gb").usd_window - 0.5 * 0.12).abs() < 1e-9);
    // Pro's $105 a month.
    assert_eq!(line("plan_months").usd_per_month, 105.0);
}

#[test]
fn ses_settings_are_checked() {
    let err = |extra: &str| parse_inline(&format!("{DIRECT}\n{extra}"), &[]).map(|_| ()).unwrap_err().to_string();
    assert!(err("").contains("no [ses] table"));
    assert!(err("[ses]\naccount = \"sandbox\"\nmax_send_rate_per_s = 5").contains("the sandbox's rate is fixed"));
    assert!(err("[ses]\naccount = \"production\"").contains("needs max_send_rate_per_s and daily_quota"));
    let e = err("[ses]\naccount = \"sandbox\"\nrecipients_per_email = 51");
    assert!(e.contains("at most 50"), "{e}");
    let e = err("[ses]\naccount = \"sandbox\"\n[pricing]\nses_plan = \"gold\"");
    assert!(
        e.contains(
            "allowed: \"a_la_carte\", \"essentials\", \"pro\", \"enterprise\" (AWS: pricing plans since 2026-07-21"
        ),
        "{e}"
    );
}

#[test]
fn a_lambda_handler_sends_an_email_per_message_and_fails_its_batch_when_it_cannot() {
    let text = r#"
        [run]
        horizon_s = 3600
        [workload.orders]
        target = "sqs.receipts"
        arrival = "constant"
        rate_per_s = 1000
        count_max = 2000
        [sqs.receipts]
        visibility_timeout_s = 60
        [lambda.SendReceipt]
        memory_mb = 256
        duration_s = 0.05
        timeout_s = 30
        source = "sqs.receipts"
        batch_size = 10
        sends_email = true
        [ses]
        account = "production"
        max_send_rate_per_s = 14
        daily_quota = 1000000
    "#;
    let (result, s) = summary(&inline(text));
    // Every order's receipt went out, at the send rate: about 2,000 / 14 = 143 s.
    assert!(counter(&s, "ses.accepted_emails") >= 2_000);
    assert_eq!(counter(&s, "sqs.receipts.visible_at_end"), 0);
    let drained_s = result.outcome.end_time.as_secs_f64();
    assert!(drained_s > 140.0, "{drained_s}");
    // Batches whose emails could not all be sent failed and came back.
    assert!(counter(&s, "lambda.SendReceipt.email_gave_up") > 0);
    assert!(counter(&s, "lambda.SendReceipt.errors") > 0);
    // The handler's time waiting on SES is billed.
    assert!(counter(&s, "lambda.SendReceipt.billed_ms") > counter(&s, "lambda.SendReceipt.requests") * 50);
}

#[test]
fn a_function_that_sends_email_is_not_a_step_functions_task() {
    let dir = std::env::temp_dir().join(format!("orchsim-ses-fn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.asl.json"),
        r#"{"StartAt": "Send", "States": {"Send": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Mailer", "End": true}}}"#,
    )
    .unwrap();
    let text = "[run]\nhorizon_s = 10\n[workload.w]\ntarget = \"step_functions.m\"\narrival = \"constant\"\nrate_per_s = 1\n\
                [step_functions.m]\ndefinition = \"m.asl.json\"\ntype = \"standard\"\n\
                [lambda.Mailer]\nduration_s = 0.1\nsends_email = true\n[ses]\naccount = \"sandbox\"\n";
    let e = orchsim::scenario::Scenario::from_text("inline.toml", text, &dir, &[]).map(|_| ()).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(e.to_string().contains("whose handler sends email (sends_email)"), "{e}");
}
