//! `[ses]`: the account's Amazon SES sending quotas, the size of its emails and the latency
//! of its two interfaces.

use std::path::Path;

use super::lower::{distribution_per_table, opt};
use super::tree::{Field, Result, TableReader};
use crate::distributions::Distribution;
use crate::models::ses::{self, Interface, SANDBOX_DAILY, SANDBOX_RATE_PER_S};

/// API latency when the scenario gives none: AWS publishes no figure (model assumption).
fn default_api_latency() -> Distribution {
    Distribution::lognormal(0.08, 0.4)
}

/// SMTP: a transaction of several round trips (MAIL FROM, RCPT TO, DATA) on an open
/// connection (model assumption).
fn default_smtp_latency() -> Distribution {
    Distribution::lognormal(0.3, 1.5)
}

pub(super) fn lower_ses(node: Option<(Field<'_>, String)>, base_dir: &Path) -> Result<Option<ses::Config>> {
    let Some((f, path)) = node else { return Ok(None) };
    let mut t = TableReader::new(f.src, path, f.node)?;
    let (af, ap) = t.require("account", "\"sandbox\" or \"production\"")?;
    let sandbox = af.one_of_per_table(&ap)? == "sandbox";
    let rate = opt(&mut t, "max_send_rate_per_s", |f, p| {
        if sandbox {
            return Err(f.error(p, "the sandbox's rate is fixed at 1 recipient a second (AWS); set account = \"production\" to give your own"));
        }
        f.number_per_table(p, "ses.max_send_rate_per_s")
    })?;
    let daily = opt(&mut t, "daily_quota", |f, p| {
        if sandbox {
            return Err(f.error(p, "the sandbox's quota is fixed at 200 recipients a day (AWS); set account = \"production\" to give your own"));
        }
        f.whole_per_table(p, "ses.daily_quota")
    })?;
    let (max_send_rate_per_s, daily_quota) = match (sandbox, rate, daily) {
        (true, _, _) => (SANDBOX_RATE_PER_S, SANDBOX_DAILY),
        (false, Some(rate), Some(daily)) => (rate, daily),
        (false, _, _) => {
            return Err(t.src.error(
                t.origin,
                &t.path,
                "a production account needs max_send_rate_per_s and daily_quota: AWS sets them per account and publishes no starting figure",
            ));
        }
    };
    let burst_s = opt(&mut t, "burst_s", |f, p| f.number_per_table(p, "ses.burst_s"))?.unwrap_or(1.0);
    let recipients = opt(&mut t, "recipients_per_email", |f, p| {
        distribution_per_table(*f, p, base_dir, "ses.recipients_per_email")
    })?
    .unwrap_or_else(|| Distribution::constant(1.0));
    let attachment_bytes =
        opt(&mut t, "attachment_bytes", |f, p| distribution_per_table(*f, p, base_dir, "ses.attachment_bytes"))?
            .unwrap_or_else(|| Distribution::constant(0.0));
    let api_latency_s =
        opt(&mut t, "api_latency_s", |f, p| distribution_per_table(*f, p, base_dir, "ses.api_latency_s"))?
            .unwrap_or_else(default_api_latency);
    let smtp_latency_s =
        opt(&mut t, "smtp_latency_s", |f, p| distribution_per_table(*f, p, base_dir, "ses.smtp_latency_s"))?
            .unwrap_or_else(default_smtp_latency);
    t.finish()?;
    Ok(Some(ses::Config {
        sandbox,
        max_send_rate_per_s,
        burst_s,
        daily_quota,
        recipients,
        attachment_bytes,
        api_latency_s,
        smtp_latency_s,
    }))
}

/// A caller's `sends_email`, with its `ses_interface` and SDK client settings; None when it
/// sends none.
pub(super) fn email_sender(t: &mut TableReader<'_>, has_ses: bool) -> Result<Option<super::EmailSender>> {
    let sends_email = opt(t, "sends_email", |f, p| {
        let sends = f.bool(p)?;
        if sends && !has_ses {
            return Err(f.error(p, "the scenario has no [ses] table, whose quotas the emails would go through"));
        }
        Ok(sends)
    })?
    .unwrap_or(false);
    let interface = interface(t)?;
    let retry = super::lower::retry_config(t)?;
    Ok(sends_email.then_some(super::EmailSender { interface, retry }))
}

/// `ses_interface` of a sender: "api" (the default) or "smtp".
pub(super) fn interface(t: &mut TableReader<'_>) -> Result<Interface> {
    Ok(opt(t, "ses_interface", |f, p| match f.one_of_per_table(p)? {
        "smtp" => Ok(Interface::Smtp),
        _ => Ok(Interface::Api),
    })?
    .unwrap_or(Interface::Api))
}
