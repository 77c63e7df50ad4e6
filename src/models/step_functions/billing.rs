//! Step Functions billing arithmetic: what one Express execution is billed for.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §3.2 and §7 [PRICE-SFN]:
//! - an Express execution's duration runs from its start until it completes or otherwise
//!   terminates (Wait time included), **rounded up to the next 100 ms**
//!   ([`express_billed_ms`]);
//! - its memory is billed in **64 MB chunks**, rounded up ([`express_billed_mb`]); since
//!   every execution uses at least the 50 MB base, the smallest bill is one chunk;
//! - AWS estimates the memory used as 50 MB + the state machine definition's size + the
//!   execution's payload size × the number of Parallel or Map steps
//!   ([`express_memory_estimate_mb`]);
//! - duration × memory is priced in GB-seconds (per GB-hour in AWS's tier table), with
//!   gigabytes of 1,024 MB as AWS's example computes them ([`express_gb_seconds`]).
//!
//! AWS's pricing example, reproduced by the tests here and in `pricing.rs`: a 50 KB
//! definition and 400 map steps of 32 KB payload use 50 MB + 50 KB + 12,800 KB = 62.85 MB,
//! billed as 64 MB; 100 million such workflows a month of 10 s each are 1,000,000,000 s ×
//! 64 MB / 1,024 = 62,500,000 GB-s = 17,361.11 GB-hours, which cost $60.00 + $120.00 +
//! $202.97 = $382.97 of duration, plus $100.00 of requests: $482.97 a month.
//!
//! Units, and AWS's mixed conventions kept on purpose so that its example comes out exactly:
//! - the memory *estimate* is decimal: AWS's example adds 50 KB and 12,800 KB to 50 MB and
//!   gets 62.85 MB, so 1 MB = 1,000 KB here, and this module takes 1 KB = 1,000 bytes
//!   (sizes come in as bytes; the example's "50 KB" is 50,000 bytes);
//! - billed memory and GB-seconds are binary: chunks of 64 MB, and GB = MB / 1,024, as in
//!   AWS's "× 64 MB / 1024 MB" line and the `billedMemoryUsedInMB` field.
//!
//! Deliberately absent: Standard workflows, whose bill is a count of state transitions that
//! the executor keeps (§3.1) and `pricing.rs` prices; the monthly tiers and the projection
//! of a run's window to a month, which are `pricing.rs`'s; CloudWatch Logs charges for
//! Express history; and any minimum billed duration: AWS states only the rounding, so an
//! execution that took no virtual time (possible here, since API calls take none) bills
//! 0 ms. Whether such an execution should bill one 100 ms unit is the caller's choice.

use crate::engine::SimDuration;

/// Express durations are billed in steps of this many milliseconds [PRICE-SFN].
pub const EXPRESS_DURATION_STEP_MS: u64 = 100;
/// Express memory is billed in chunks of this many MB [PRICE-SFN].
pub const EXPRESS_MEMORY_CHUNK_MB: u64 = 64;
/// The memory every Express execution uses before its definition and payloads, in MB
/// (AWS's estimate, [PRICE-SFN]).
pub const EXPRESS_MEMORY_BASE_MB: f64 = 50.0;

/// Bytes in one MB of AWS's memory estimate: decimal, see the module comment.
const ESTIMATE_BYTES_PER_MB: f64 = 1_000_000.0;
const MICROS_PER_STEP: u64 = EXPRESS_DURATION_STEP_MS * 1_000;

/// An Express execution's billed duration: `duration` rounded up to the next 100 ms.
/// Exactly 100 ms bills 100 ms; one microsecond more bills 200 ms.
pub fn express_billed_ms(duration: SimDuration) -> u64 {
    duration.as_micros().div_ceil(MICROS_PER_STEP) * EXPRESS_DURATION_STEP_MS
}

/// An Express execution's billed memory: `memory_mb` rounded up to a multiple of 64 MB,
/// and never less than one chunk (an execution always holds its 50 MB base).
pub fn express_billed_mb(memory_mb: f64) -> u64 {
    assert!(memory_mb.is_finite() && memory_mb >= 0.0, "memory of {memory_mb} MB");
    let chunks = (memory_mb / EXPRESS_MEMORY_CHUNK_MB as f64).ceil() as u64;
    chunks.max(1) * EXPRESS_MEMORY_CHUNK_MB
}

/// AWS's estimate of the memory an Express execution uses, in MB: 50 MB + the definition's
/// size + the payload size × the number of Parallel or Map steps [PRICE-SFN].
///
/// Sizes are in bytes, converted with 1 MB = 1,000,000 bytes as AWS's example converts KB
/// to MB by 1,000. AWS's example counts "400 map steps" without saying whether a step is a
/// Map state or one of its iterations; the caller decides what it counts.
pub fn express_memory_estimate_mb(definition_bytes: u64, payload_bytes: u64, parallel_or_map_steps: u32) -> f64 {
    // Summed as integers so that AWS's example gives exactly 62.85 and not 62.849999….
    let base_bytes = (EXPRESS_MEMORY_BASE_MB * ESTIMATE_BYTES_PER_MB) as u128;
    let bytes =
        base_bytes + u128::from(definition_bytes) + u128::from(payload_bytes) * u128::from(parallel_or_map_steps);
    bytes as f64 / ESTIMATE_BYTES_PER_MB
}

/// Billed duration × billed memory in GB-seconds, with 1 GB = 1,024 MB as AWS computes
/// it. A 64 MB, 100 ms execution is 0.00625 GB-s.
pub fn express_gb_seconds(billed_ms: u64, billed_mb: u64) -> f64 {
    billed_ms as f64 / 1_000.0 * (billed_mb as f64 / 1_024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> SimDuration {
        SimDuration::from_micros(ms * 1_000)
    }

    #[test]
    fn aws_example_workflow_uses_62_85_mb_and_is_billed_64_mb() {
        // 50 KB definition, 400 map steps of 32 KB: 50 MB + 50 KB + 12,800 KB [PRICE-SFN].
        let used_mb = express_memory_estimate_mb(50_000, 32_000, 400);
        assert_eq!(used_mb, 62.85);
        assert_eq!(express_billed_mb(used_mb), 64);
    }

    #[test]
    fn aws_example_month_is_62_5_million_gb_seconds_or_17_361_11_gb_hours() {
        // 100 million workflows of 10 s at 64 MB [PRICE-SFN]; the money is priced from
        // these GB-hours in `pricing.rs` (step_functions_express_matches_aws_example).
        let billed_ms = express_billed_ms(SimDuration::from_secs(10));
        assert_eq!(billed_ms, 10_000);
        let one_gb_s =
            express_gb_seconds(billed_ms, express_billed_mb(express_memory_estimate_mb(50_000, 32_000, 400)));
        assert_eq!(one_gb_s, 0.625);
        let month_gb_s = one_gb_s * 100e6;
        assert_eq!(month_gb_s, 62_500_000.0);
        let month_gb_hours = month_gb_s / 3_600.0;
        assert!((month_gb_hours - 17_361.11).abs() < 0.005, "{month_gb_hours}");
    }

    #[test]
    fn duration_of_exactly_100_ms_bills_100_ms_and_a_microsecond_more_bills_200_ms() {
        assert_eq!(express_billed_ms(ms(100)), 100);
        assert_eq!(express_billed_ms(SimDuration::from_micros(100_001)), 200);
        assert_eq!(express_billed_ms(SimDuration::from_micros(1)), 100);
        assert_eq!(express_billed_ms(ms(1_250)), 1_300);
        assert_eq!(express_billed_ms(SimDuration::from_secs(300)), 300_000, "the 5-minute maximum");
    }

    #[test]
    fn an_execution_that_took_no_time_bills_no_duration() {
        assert_eq!(express_billed_ms(SimDuration::ZERO), 0);
        assert_eq!(express_gb_seconds(0, 64), 0.0);
    }

    #[test]
    fn memory_of_exactly_64_mb_bills_64_mb_and_65_mb_bills_128_mb() {
        assert_eq!(express_billed_mb(64.0), 64);
        assert_eq!(express_billed_mb(65.0), 128);
        assert_eq!(express_billed_mb(64.000_001), 128);
        assert_eq!(express_billed_mb(128.0), 128);
    }

    #[test]
    fn memory_is_billed_at_least_one_chunk() {
        assert_eq!(express_billed_mb(0.0), 64);
        assert_eq!(express_billed_mb(50.0), 64);
        assert_eq!(express_billed_mb(express_memory_estimate_mb(0, 0, 0)), 64);
    }

    #[test]
    fn memory_estimate_adds_the_definition_and_each_parallel_or_map_step_payload() {
        assert_eq!(express_memory_estimate_mb(0, 256_000, 0), 50.0, "no Parallel or Map step, no payload term");
        assert_eq!(express_memory_estimate_mb(1_000_000, 0, 10), 51.0);
        // 256 KB of payload through 60 steps: 50 + 0.02 + 15.36 = 65.38 MB, two chunks.
        let used_mb = express_memory_estimate_mb(20_000, 256_000, 60);
        assert_eq!(used_mb, 65.38);
        assert_eq!(express_billed_mb(used_mb), 128);
    }

    #[test]
    fn a_64_mb_100_ms_unit_costs_the_workshop_figure() {
        // 0.1 s × 0.0625 GB at the first tier's $0.06 per GB-hour: the Step Functions
        // workshop's $0.0000001042 per 100 ms at 64 MB (reference §3.2).
        let gb_s = express_gb_seconds(express_billed_ms(ms(100)), express_billed_mb(62.85));
        assert_eq!(gb_s, 0.006_25);
        let usd = gb_s * 0.06 / 3_600.0;
        assert!((usd - 0.000_000_104_2).abs() < 5e-11, "{usd}");
    }
}
