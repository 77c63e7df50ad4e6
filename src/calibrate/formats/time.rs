//! Timestamps as the exports print them, to seconds since 1970-01-01T00:00:00Z:
//!
//! - ISO 8601 / RFC 3339, as CloudWatch and the CLI print them: `2026-03-02T10:02:00Z`,
//!   `2026-03-02T10:02:00+00:00`, `2026-03-02T10:02:00.125Z`; a space for the `T` and no
//!   zone (Logs Insights' `2026-03-02 10:05:07.912`, which is UTC) are taken too;
//! - epoch seconds with a fraction, as the Step Functions API and X-Ray give them, read by
//!   the callers from JSON numbers.
//!
//! Fractions of a second are kept: durations between events are what is fitted.

/// Seconds since the epoch of an ISO 8601 timestamp, or None when it is not one.
pub fn epoch_s(text: &str) -> Option<f64> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, n: usize| -> Option<i64> {
        let part = s.get(from..from + n)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut fraction = 0.0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        fraction = format!("0.{}", &s[at + 1..at + 1 + digits]).parse().ok()?;
        at += 1 + digits;
    }
    let offset_s = match b.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &s[at + 1..];
            let (h, m) = match rest.len() {
                5 if rest.as_bytes()[2] == b':' => (num(at + 1, 2)?, num(at + 4, 2)?),
                4 => (num(at + 1, 2)?, num(at + 3, 2)?),
                2 => (num(at + 1, 2)?, 0),
                _ => return None,
            };
            let minutes = h * 60 + m;
            if sign == b'-' { -minutes * 60 } else { minutes * 60 }
        }
        _ => return None,
    };
    let whole = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset_s;
    Some(whole as f64 + fraction)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::epoch_s;

    #[test]
    fn the_forms_cloudwatch_and_the_cli_print_agree() {
        let z = epoch_s("2026-03-02T10:02:00Z").unwrap();
        assert_eq!(z, 1_772_445_720.0);
        assert_eq!(epoch_s("2026-03-02T10:02:00+00:00"), Some(z));
        assert_eq!(epoch_s("2026-03-02T11:02:00+01:00"), Some(z));
        assert_eq!(epoch_s("2026-03-02 10:02:00.250"), Some(z + 0.25));
        assert_eq!(epoch_s("1970-01-01T00:00:00Z"), Some(0.0));
    }

    #[test]
    fn what_is_not_a_timestamp_is_none() {
        for bad in ["", "2026-03-02", "2026-13-02T10:02:00Z", "2026-03-02T10:02:00Q", "2026-03-02T1x:02:00Z"] {
            assert_eq!(epoch_s(bad), None, "{bad}");
        }
    }
}
