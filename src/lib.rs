//! orchsim: a deterministic discrete-event simulator for AWS messaging and orchestration.
//!
//! Modules in reading order, bottom layer first; a module imports only from layers below it
//! (see ARCHITECTURE.md):
//! - [`engine`]: virtual time, the event queue, seeded random streams, the run loop;
//! - [`distributions`], [`workload`], [`metrics`]: draws, arrival processes, measurement;
//! - [`models`] (one per AWS service) and [`pricing`];
//! - [`scenario`]: reading and validating scenario files; [`import`]: CloudFormation and SAM
//!   templates turned into scenario text;
//! - [`world`]: the models of one scenario wired together;
//! - [`run`]: one (scenario, overrides, seed) → results;
//! - [`calibrate`]: scenario figures fitted from AWS telemetry (`orchsim fit`);
//! - [`backtest`]: a scenario run on the traffic CloudWatch observed, and compared with it;
//! - [`report`]: summary, CSV and JSON files;
//! - [`cli`]: the command line.

pub mod engine;

pub mod distributions;
pub mod metrics;
pub mod workload;

pub mod models;
pub mod pricing;

pub mod import;
pub mod scenario;

pub mod world;

pub mod backtest;
pub mod calibrate;
pub mod gate;
pub mod run;
pub mod sweep;

pub mod report;

pub mod cli;
