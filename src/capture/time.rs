//! Capture time as text: microseconds since the Unix epoch to
//! `YYYY-MM-DD HH:MM:SS.ffffff` UTC, with plain civil-calendar arithmetic (no time crate).

use std::fmt::Write;

/// `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) for a capture time in microseconds since the epoch.
/// Works for any i64, including times before 1970 (floor division, so -1 µs is
/// `1969-12-31 23:59:59.999999`).
pub fn format_time_usec(usec: i64) -> String {
    let mut out = String::with_capacity(26);
    write_time_usec(&mut out, usec);
    out
}

/// Same as `format_time_usec`, appending to `out` (lets a row builder reuse its buffer).
pub fn write_time_usec(out: &mut String, usec: i64) {
    match time_usec_ascii(usec) {
        // SAFETY: `time_usec_ascii` writes only ASCII digits and separators.
        Some(t) => out.push_str(unsafe { std::str::from_utf8_unchecked(&t) }),
        None => {
            let (y, m, d, sod, micros) = civil_parts(usec);
            // Writing into a String cannot fail.
            let _ = write!(
                out,
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
                sod / 3600,
                (sod / 60) % 60,
                sod % 60
            );
        }
    }
}

/// Length of the text of a time in years 0 to 9999.
pub const TIME_TEXT_LEN: usize = 26;

/// The text of `usec` as ASCII bytes, digit by digit, when its year has four digits
/// (0 to 9999: every real capture); `None` for the others, which `write_time_usec`
/// formats the slow way. Time text is on every row of every table, and `core::fmt`
/// was a tenth of wide queries.
pub fn time_usec_ascii(usec: i64) -> Option<[u8; TIME_TEXT_LEN]> {
    let (y, m, d, sod, micros) = civil_parts(usec);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let mut t = *b"0000-00-00 00:00:00.000000";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            t[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, (sod / 3600) as u64);
    put(14, 2, ((sod / 60) % 60) as u64);
    put(17, 2, (sod % 60) as u64);
    put(20, 6, micros as u64);
    Some(t)
}

/// (year, month, day, second of the day, microseconds) of a capture time.
fn civil_parts(usec: i64) -> (i64, u32, u32, i64, i64) {
    let secs = usec.div_euclid(1_000_000);
    let micros = usec.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, sod, micros)
}

/// Proleptic Gregorian (year, month, day) of a day count from 1970-01-01.
/// Counts in 400-year eras of 146097 days, with years starting on March 1 so that
/// the leap day is the last day of the shifted year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 (719468 days before 1970-01-01).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of (March-based) year
    let mp = (5 * doy + 2) / 153; // March = 0 .. February = 11
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_simple_times() {
        assert_eq!(format_time_usec(0), "1970-01-01 00:00:00.000000");
        assert_eq!(format_time_usec(1), "1970-01-01 00:00:00.000001");
        // 86399.5 s: last half second of the first day.
        assert_eq!(
            format_time_usec(86_399_500_000),
            "1970-01-01 23:59:59.500000"
        );
        assert_eq!(
            format_time_usec(86_400_000_000),
            "1970-01-02 00:00:00.000000"
        );
    }

    #[test]
    fn known_unix_times() {
        // 1_000_000_000 s is 2001-09-09 01:46:40 UTC.
        assert_eq!(
            format_time_usec(1_000_000_000_000_123),
            "2001-09-09 01:46:40.000123"
        );
        // 1_598_131_800 s is 2020-08-22 21:30:00 UTC (the original README's query time).
        assert_eq!(
            format_time_usec(1_598_131_800_000_000),
            "2020-08-22 21:30:00.000000"
        );
        // 2^31 s: 2038-01-19 03:14:08 UTC.
        assert_eq!(
            format_time_usec(2_147_483_648_000_000),
            "2038-01-19 03:14:08.000000"
        );
    }

    #[test]
    fn leap_years() {
        // 2000 is a leap year (divisible by 400): 2000-02-29 exists.
        // 951_782_400 s = 2000-02-29 00:00:00 (11016 days after the epoch).
        assert_eq!(
            format_time_usec(951_782_400_000_000),
            "2000-02-29 00:00:00.000000"
        );
        assert_eq!(
            format_time_usec(951_868_800_000_000 - 1),
            "2000-02-29 23:59:59.999999"
        );
        assert_eq!(
            format_time_usec(951_868_800_000_000),
            "2000-03-01 00:00:00.000000"
        );
        // 2100 is not a leap year: the day after 2100-02-28 is 2100-03-01.
        // 2100-03-01 is day 47541 after the epoch: 4_107_542_400 s.
        assert_eq!(
            format_time_usec(4_107_542_400_000_000 - 1),
            "2100-02-28 23:59:59.999999"
        );
        assert_eq!(
            format_time_usec(4_107_542_400_000_000),
            "2100-03-01 00:00:00.000000"
        );
        // 2024-02-29 12:00:00 = 1_709_208_000 s.
        assert_eq!(
            format_time_usec(1_709_208_000_000_000),
            "2024-02-29 12:00:00.000000"
        );
        // Last day of a leap year: 2024-12-31 = 1_735_603_200 s.
        assert_eq!(
            format_time_usec(1_735_603_200_000_000),
            "2024-12-31 00:00:00.000000"
        );
    }

    #[test]
    fn before_1970() {
        assert_eq!(format_time_usec(-1), "1969-12-31 23:59:59.999999");
        assert_eq!(format_time_usec(-1_000_000), "1969-12-31 23:59:59.000000");
        assert_eq!(
            format_time_usec(-86_400_000_000),
            "1969-12-31 00:00:00.000000"
        );
        // 1900-01-01 00:00:00 is -2_208_988_800 s (70 years, 17 of them leap).
        assert_eq!(
            format_time_usec(-2_208_988_800_000_000),
            "1900-01-01 00:00:00.000000"
        );
        // 1968-02-29 (leap day before the epoch): -58_060_800 s.
        assert_eq!(
            format_time_usec(-58_060_800_000_000),
            "1968-02-29 00:00:00.000000"
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        let _ = format_time_usec(i64::MIN);
        let _ = format_time_usec(i64::MAX);
        // i64::MAX µs is about 292277 years after 1970.
        assert!(format_time_usec(i64::MAX).starts_with("294247-01-10 04:00:54.775807"));
    }

    #[test]
    fn digit_by_digit_text_agrees_with_formatting_for_four_digit_years() {
        let slow = |usec: i64| {
            let (y, m, d, sod, micros) = civil_parts(usec);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
                sod / 3600,
                (sod / 60) % 60,
                sod % 60
            )
        };
        // Year 0 to year 9999, in steps that visit every field's digits.
        let first = -62_167_219_200_000_000; // 0000-01-01 00:00:00
        let last = 253_402_300_799_999_999; // 9999-12-31 23:59:59.999999
        let mut usec = first;
        while usec <= last {
            let fast = time_usec_ascii(usec).expect("a four-digit year");
            assert_eq!(std::str::from_utf8(&fast).unwrap(), slow(usec), "{usec}");
            usec += 7_777_777_777_777;
        }
        assert_eq!(format_time_usec(first), "0000-01-01 00:00:00.000000");
        assert_eq!(format_time_usec(last), "9999-12-31 23:59:59.999999");
        assert_eq!(time_usec_ascii(first - 1), None);
        assert_eq!(time_usec_ascii(last + 1), None);
        assert_eq!(format_time_usec(last + 1), "10000-01-01 00:00:00.000000");
    }
}
