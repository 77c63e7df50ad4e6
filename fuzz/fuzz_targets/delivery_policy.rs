//! HTTP/S delivery policies in AWS's JSON on any bytes: an error, never a panic; and every
//! policy AWS would accept yields its whole retry schedule without overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok((retry, _)) = orchsim::scenario::inputs::delivery_policy(text)
    {
        let schedule = retry.schedule();
        assert_eq!(schedule.len() as u32, retry.deliveries());
        assert_eq!(schedule.last().map(|a| a.offset), Some(retry.span()));
    }
});
