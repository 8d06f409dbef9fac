//! RFC 3339 timestamps for JSON log lines, from the real-time clock.

use super::Line;

/// RFC 3339 UTC time with milliseconds, e.g. `2026-11-23T08:05:09.120Z`.
pub fn timestamp(line: &mut Line) {
    let (secs, nanos) = crate::sys::realtime();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    line.num(y)
        .str("-")
        .num_padded(m, 2)
        .str("-")
        .num_padded(d, 2)
        .str("T")
        .num_padded(rem / 3600, 2)
        .str(":")
        .num_padded(rem / 60 % 60, 2)
        .str(":")
        .num_padded(rem % 60, 2)
        .str(".")
        .num_padded(nanos / 1_000_000, 3)
        .str("Z");
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
/// `days` comes from a u64 of seconds / 86400, so it is below 2^47: every step below stays
/// far inside i64, whatever the clock says.
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let days = days.clamp(0, 1 << 47);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u64::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u64::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        // The clock's whole range maps to some date without overflow.
        let _ = civil_from_days(i64::try_from(u64::MAX / 86_400).unwrap_or(i64::MAX));
    }
}
