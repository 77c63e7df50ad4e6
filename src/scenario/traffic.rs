//! `[run] traffic`: whether the scenario's traffic is steady, so that its cost may be
//! projected to a month, or a one-off (a backlog, a burst, a recorded day), whose cost is
//! the run's own and nothing more.
//!
//! A run covers a window of virtual time; the monthly figure assumes that the window's
//! traffic goes on all month (see `pricing`). That holds only for stationary arrivals, so the
//! default is steady only when every workload is: constant or Poisson arrivals at one rate,
//! sending from the start of the measured window (`start_s` no later than `run.warmup_s`)
//! to the horizon (no `stop_s` before it, no `count_max` its rate reaches before it). Ramps,
//! steps, bursts, diurnal cycles and replayed traces change rate over the run, and a
//! workload that starts late or stops early is a one-off backlog or burst: all default to
//! one-off. A scenario whose changing traffic does repeat all month (a day's cycle, bursts
//! that recur) says so with `traffic = "steady"`.

use super::lower::opt;
use super::tree::{Result, TableReader, fmt_num};
use super::{RunConfig, WorkloadConfig};
use crate::workload::ArrivalProcess;

/// Whether a run's cost may be projected to a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    /// The window's traffic is taken to go on all month: the cost is shown for the run and
    /// projected to a month, with that basis said.
    Steady,
    /// The run is all the traffic there is: its cost is shown, never projected.
    OneOff,
}

impl Traffic {
    /// The key's value: `steady` or `one-off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Traffic::Steady => "steady",
            Traffic::OneOff => "one-off",
        }
    }
}

/// The traffic kind and why: declared in `[run]`, or the default's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficBasis {
    pub traffic: Traffic,
    /// `[run] traffic` was given.
    pub declared: bool,
    /// Why, in a sentence a person reads under the cost table.
    pub reason: String,
}

/// Reads `traffic` from the `[run]` table, if given.
pub(super) fn read_declared(t: &mut TableReader<'_>) -> Result<Option<Traffic>> {
    opt(t, "traffic", |f, p| match f.one_of_per_table(p)? {
        "one-off" => Ok(Traffic::OneOff),
        _ => Ok(Traffic::Steady),
    })
}

/// The basis: the declared kind, or the default from the workloads' arrivals.
pub(super) fn basis(declared: Option<Traffic>, run: &RunConfig, workloads: &[WorkloadConfig]) -> TrafficBasis {
    if let Some(traffic) = declared {
        return TrafficBasis {
            traffic,
            declared: true,
            reason: format!("declared: [run] traffic = \"{}\"", traffic.as_str()),
        };
    }
    match workloads.iter().find_map(|w| not_stationary(w, run)) {
        Some(why) => TrafficBasis { traffic: Traffic::OneOff, declared: false, reason: why },
        None => TrafficBasis {
            traffic: Traffic::Steady,
            declared: false,
            reason: "every workload sends at a constant rate through the whole window".into(),
        },
    }
}

/// Why a workload's arrivals are not stationary over the measured window, if they are not.
fn not_stationary(w: &WorkloadConfig, run: &RunConfig) -> Option<String> {
    let name = format!("workload.{}", w.name);
    let rate_per_s = match &w.process {
        ArrivalProcess::Constant { rate_per_s } | ArrivalProcess::Poisson { rate_per_s } => *rate_per_s,
        ArrivalProcess::Ramp { .. } => return Some(format!("{name} ramps its rate")),
        ArrivalProcess::Steps { .. } => return Some(format!("{name} changes its rate in steps")),
        ArrivalProcess::Bursts { .. } => return Some(format!("{name} sends in bursts")),
        ArrivalProcess::Diurnal { .. } => return Some(format!("{name} follows a daily cycle")),
        ArrivalProcess::Replay { .. } => return Some(format!("{name} replays a trace")),
    };
    let horizon_s = run.horizon.as_secs_f64();
    let warmup_s = run.warmup.as_secs_f64();
    if w.window.start_s > warmup_s {
        return Some(format!("{name} starts at {} s, after the window's start", fmt_num(w.window.start_s)));
    }
    if let Some(stop_s) = w.window.stop_s
        && stop_s < horizon_s
    {
        return Some(format!("{name} stops at {} s, before the horizon", fmt_num(stop_s)));
    }
    if let Some(count_max) = w.window.count_max {
        let sending_s = count_max as f64 / rate_per_s;
        if w.window.start_s + sending_s < horizon_s {
            return Some(format!(
                "{name} sends count_max = {count_max} messages and stops after about {} s",
                fmt_num((sending_s * 10.0).round() / 10.0)
            ));
        }
    }
    None
}
