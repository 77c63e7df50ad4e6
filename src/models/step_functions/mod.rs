//! AWS Step Functions: the Amazon States Language reader (`asl`), which turns a state
//! machine definition into typed, validated states; the interpreter that runs executions in
//! virtual time (`runtime`); retry delays (`retry`) and Express billing arithmetic
//! (`billing`).

pub mod asl;
pub mod billing;
pub mod retry;
pub mod runtime;
