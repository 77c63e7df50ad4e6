//! Numbers as people read them, shared by the console tables and the charts: thousands
//! separators, short counts on logarithmic axes (1k, 1M, 1B), dollars with cents and
//! separators, and shares as percentages.

/// A whole number with thousands separators: `16,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A figure with thousands separators and `decimals` decimals: `300,000.0`.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let text = format!("{:.decimals$}", x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) { "-" } else { "" };
    let whole = count(whole.parse().expect("digits"));
    if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
}

/// A tick label on a linear axis: separators, and decimals only where the value has them
/// (`20,000`, `90`, `0.5`, `1,234.25`).
pub fn tick(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let decimals = (0..=3).find(|d| ((x * 10f64.powi(*d)).round() - x * 10f64.powi(*d)).abs() < 1e-6).unwrap_or(3);
    number(x, decimals as usize)
}

/// A count on a logarithmic axis, short: `1`, `10`, `100`, `1k`, `10k`, `1M`, `2.5M`, `1B`,
/// `1T`. Values between the steps keep up to two significant decimals (`1.5k`).
pub fn count_short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    const STEPS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    for (scale, suffix) in STEPS {
        if a >= scale {
            return format!("{sign}{}{suffix}", trimmed(a / scale, 2));
        }
    }
    format!("{sign}{}", trimmed(a, 2))
}

/// Dollars with separators and cents: `$1,234.56`; below a cent, enough digits to show it
/// (`$0.0042`), and whole dollars from $100,000 on (`$123,457`).
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return format!("${x}");
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 100_000.0 {
        return format!("{sign}${}", count(a.round() as u64));
    }
    if a > 0.0 && a < 0.01 {
        // Two significant digits.
        let decimals = (-a.log10().floor()) as usize + 1;
        return format!("{sign}${a:.decimals$}");
    }
    let cents = (a * 100.0).round() as u64;
    format!("{sign}${}.{:02}", count(cents / 100), cents % 100)
}

/// Dollars on a logarithmic axis: `$0.001`, `$0.10`, `$1`, `$1,000`, `$1M`.
pub fn usd_short(x: f64) -> String {
    if x >= 1e6 {
        return format!("${}", count_short(x));
    }
    if x >= 1.0 {
        return format!("${}", count(x.round() as u64));
    }
    if x >= 0.01 {
        return format!("${x:.2}");
    }
    if x <= 0.0 {
        return "$0".into();
    }
    // Two significant digits, trailing zeros dropped: $0.00015, $0.0002.
    let decimals = (-x.log10()).floor() as usize + 2;
    format!("${}", trimmed(x, decimals))
}

/// A duration given in milliseconds, in the unit that suits it: `0.25 ms`, `850 ms`,
/// `1.21 s`, `12.5 s`, `715 s`, `1,234 s`; three significant digits at most below 1,000.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return format!("{ms} ms");
    }
    let significant = |x: f64| {
        let a = x.abs();
        let decimals = if a >= 100.0 || a == 0.0 {
            0
        } else if a >= 10.0 {
            1
        } else if a >= 1.0 {
            2
        } else {
            3
        };
        number_trimmed(x, decimals)
    };
    if ms.abs() >= 1_000.0 { format!("{} s", significant(ms / 1e3)) } else { format!("{} ms", significant(ms)) }
}

/// The unit for an axis of durations whose largest value is `top_ms` milliseconds: seconds
/// from ten seconds on (678 s reads better than 678,000 ms), and the factor from ms to it.
pub fn duration_unit(top_ms: f64) -> (&'static str, f64) {
    if top_ms >= 10_000.0 { ("s", 1e-3) } else { ("ms", 1.0) }
}

/// A figure with separators and at most `decimals` decimals, trailing zeros dropped:
/// `1,234.5`, `715`.
pub fn number_trimmed(x: f64, decimals: usize) -> String {
    let text = number(x, decimals);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// A share (0 to 1) as a percentage with a space, as in `100 %` or `0.5 %`: whole when it
/// is, one decimal from 1 % up, two below.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    let decimals = if p == 0.0 || p >= 1.0 { 1 } else { 2 };
    format!("{} %", trimmed(p, decimals))
}

/// `x` with at most `decimals` decimals, trailing zeros dropped.
fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(16_000), "16,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn figures_have_separators_and_fixed_decimals() {
        assert_eq!(number(300_000.0, 1), "300,000.0");
        assert_eq!(number(705.04, 1), "705.0");
        assert_eq!(number(-1234.5, 0), "-1,234");
        assert_eq!(number(0.0, 2), "0.00");
    }

    #[test]
    fn ticks_show_decimals_only_where_the_value_has_them() {
        assert_eq!(tick(20_000.0), "20,000");
        assert_eq!(tick(90.0), "90");
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(1_234.25), "1,234.25");
    }

    #[test]
    fn short_counts_read_k_m_b() {
        assert_eq!(count_short(1.0), "1");
        assert_eq!(count_short(100.0), "100");
        assert_eq!(count_short(1_000.0), "1k");
        assert_eq!(count_short(1_500.0), "1.5k");
        assert_eq!(count_short(1e6), "1M");
        assert_eq!(count_short(2.5e7), "25M");
        assert_eq!(count_short(1e9), "1B");
        assert_eq!(count_short(1e12), "1T");
    }

    #[test]
    fn dollars_have_separators_and_cents() {
        assert_eq!(usd(1234.564), "$1,234.56");
        assert_eq!(usd(0.82), "$0.82");
        assert_eq!(usd(0.0042), "$0.0042");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(123_456.7), "$123,457");
        assert_eq!(usd_short(1_234.0), "$1,234");
        assert_eq!(usd_short(0.01), "$0.01");
        assert_eq!(usd_short(0.1), "$0.10");
        assert_eq!(usd_short(0.001), "$0.001");
        assert_eq!(usd_short(0.00015), "$0.00015");
        assert_eq!(usd_short(0.0002), "$0.0002");
        assert_eq!(usd_short(0.0), "$0");
        assert_eq!(usd_short(2e6), "$2M");
    }

    #[test]
    fn durations_read_in_ms_or_s_as_they_suit() {
        assert_eq!(duration_ms(0.25), "0.25 ms");
        assert_eq!(duration_ms(850.0), "850 ms");
        assert_eq!(duration_ms(1_209.68), "1.21 s");
        assert_eq!(duration_ms(12_500.0), "12.5 s");
        assert_eq!(duration_ms(715_478.2), "715 s");
        assert_eq!(duration_ms(1_234_000.0), "1,234 s");
        assert_eq!(duration_ms(0.0), "0 ms");
        assert_eq!(duration_unit(9_000.0), ("ms", 1.0));
        assert_eq!(duration_unit(678_000.0), ("s", 1e-3));
        assert_eq!(number_trimmed(1_234.50, 2), "1,234.5");
    }

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.375), "37.5 %");
        assert_eq!(percent(0.005), "0.5 %");
        assert_eq!(percent(0.0), "0 %");
    }
}
