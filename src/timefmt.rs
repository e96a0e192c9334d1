//! Best-effort parsing of the locale-dependent times Procmon and text logs print.
//!
//! Nothing here fails a record: a time that does not parse stays display text.

/// Designators that mean "before noon" / "after noon", in the spellings seen in
/// localized Procmon exports (English, Chinese, Japanese, Korean).
const AM: &[&str] = &["AM", "A.M.", "上午", "午前", "오전"];
const PM: &[&str] = &["PM", "P.M.", "下午", "午後", "오후"];

/// Parses a time of day to nanoseconds since midnight.
///
/// Accepts `7:19:37.0147934 AM`, `18:40:23.1038915`, `16:28:26,4129246`,
/// `上午 01:09:44.8222664`, `6:55:07 AM`. Returns `None` for anything else, including
/// Excel's mangled `44:57.9` (minutes and seconds only: the hour is lost).
pub fn time_of_day_ns(text: &str) -> Option<u64> {
    let mut t = text.trim();
    let mut half: Option<bool> = None; // Some(true) = PM
    for (list, pm) in [(AM, false), (PM, true)] {
        for d in list {
            if let Some(rest) = strip_designator(t, d) {
                t = rest;
                half = Some(pm);
            }
        }
    }
    let mut parts = t.splitn(3, ':');
    let h: u64 = parts.next()?.trim().parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    let (s, frac) = match sec.find(['.', ',']) {
        Some(i) => (&sec[..i], &sec[i + 1..]),
        None => (sec, ""),
    };
    let s: u64 = s.parse().ok()?;
    if m > 59 || s > 60 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h = match half {
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if h < 24 => h,
        None => return None,
    };
    let mut ns: u64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        ns += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
    }
    Some(((h * 60 + m) * 60 + s) * 1_000_000_000 + ns)
}

fn strip_designator<'a>(t: &'a str, d: &str) -> Option<&'a str> {
    let upper_eq = |s: &str| s.eq_ignore_ascii_case(d);
    if t.len() > d.len() {
        if t.is_char_boundary(t.len() - d.len()) && upper_eq(&t[t.len() - d.len()..]) {
            return Some(t[..t.len() - d.len()].trim_end());
        }
        if t.is_char_boundary(d.len()) && upper_eq(&t[..d.len()]) {
            return Some(t[d.len()..].trim_start());
        }
    }
    None
}

/// Parses the date part of Procmon's `Date & Time` column (`7/31/2020 6:55:07 AM`,
/// `31.07.2020 06:55:07`, `2020-07-31 06:55:07`, `2020/7/31 ...`).
///
/// Slash dates are month-first when the value carries an AM/PM designator (the US
/// format) and day-first otherwise, unless a field over 12 settles it; dot dates are
/// day-first. Returns `None` when a date cannot be told apart.
pub fn date_ymd(text: &str) -> Option<(i32, u8, u8)> {
    let t = text.trim();
    let date = t.split_whitespace().find(|w| {
        w.bytes().any(|b| b == b'/' || b == b'-' || b == b'.')
            && w.bytes().next().is_some_and(|b| b.is_ascii_digit())
    })?;
    let sep = date.bytes().find(|b| matches!(b, b'/' | b'-' | b'.'))?;
    let f: Vec<u32> = date
        .split(sep as char)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if f.len() != 3 {
        return None;
    }
    let twelve_hour = [AM, PM]
        .iter()
        .flat_map(|l| l.iter())
        .any(|d| t.to_uppercase().contains(d));
    let (y, m, d) = if f[0] > 31 {
        (f[0], f[1], f[2])
    } else if f[2] > 31 {
        match sep {
            b'.' => (f[2], f[1], f[0]),
            _ if f[0] > 12 => (f[2], f[1], f[0]),
            _ if f[1] > 12 => (f[2], f[0], f[1]),
            _ if twelve_hour => (f[2], f[0], f[1]),
            _ => (f[2], f[1], f[0]),
        }
    } else {
        return None;
    };
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || y > 9999 {
        return None;
    }
    Some((y as i32, m as u8, d as u8))
}

/// Days in a month of the proleptic Gregorian calendar (February 30 does not exist).
pub fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `HH:MM:SS.fffffff` (7 fractional digits, as Procmon prints) of nanoseconds since midnight.
pub fn clock(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:07}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ns % 1_000_000_000 / 100
    )
}

/// 100-ns intervals between 1601-01-01 (FILETIME epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 116_444_736_000_000_000;

/// A Windows FILETIME (UTC) as a [`Moment`](crate::model::Moment) whose text is ISO-8601 UTC
/// (`2020-07-31T14:28:31.4900776Z`).
pub fn filetime_moment(ft: u64) -> crate::model::Moment {
    let ticks = ft.saturating_sub(FILETIME_UNIX_OFFSET);
    let days = (ticks / 864_000_000_000) as i64;
    let tod_ticks = ticks % 864_000_000_000;
    let (y, m, d) = civil_from_days(days);
    let text = format!("{y:04}-{m:02}-{d:02}T{}Z", clock(tod_ticks * 100));
    crate::model::Moment {
        text: text.into(),
        time_of_day_ns: Some(tod_ticks * 100),
        date: Some((y, m, d)),
        utc: true,
    }
}

/// An ISO-8601 UTC time as event logs render `TimeCreated/@SystemTime`
/// (`2021-06-03T19:18:04.0328192Z`) as a [`Moment`](crate::model::Moment); `None` unless it is exactly
/// that shape (a date, `T`, a time of day, `Z`).
pub fn iso_utc_moment(text: &str) -> Option<crate::model::Moment> {
    let t = text.trim();
    let (date, time) = t.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-');
    let y: i32 = d.next()?.parse().ok()?;
    let m: u8 = d.next()?.parse().ok()?;
    let day: u8 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    Some(crate::model::Moment {
        text: t.into(),
        time_of_day_ns: Some(time_of_day_ns(time)?),
        date: Some((y, m, day)),
        utc: true,
    })
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_utc_times_of_event_logs() {
        let m = iso_utc_moment("2021-06-03T19:18:04.0328192Z").unwrap();
        assert_eq!(m.date, Some((2021, 6, 3)));
        assert_eq!(
            m.time_of_day_ns,
            Some(((19 * 60 + 18) * 60 + 4) * 1_000_000_000 + 32_819_200)
        );
        assert!(m.utc);
        for bad in [
            "2021-06-03T19:18:04",
            "2021-13-03T19:18:04Z",
            "x",
            "2021-06-03 19:18:04Z",
        ] {
            assert_eq!(iso_utc_moment(bad), None, "{bad}");
        }
    }

    const S: u64 = 1_000_000_000;

    #[test]
    fn the_locales_seen_in_real_exports() {
        assert_eq!(
            time_of_day_ns("7:19:37.0147934 AM"),
            Some((7 * 3600 + 19 * 60 + 37) * S + 14_793_400)
        );
        assert_eq!(
            time_of_day_ns("8:16:14.4778228 PM"),
            Some((20 * 3600 + 16 * 60 + 14) * S + 477_822_800)
        );
        assert_eq!(time_of_day_ns("12:00:00.0 AM"), Some(0));
        assert_eq!(time_of_day_ns("12:00:00 PM"), Some(12 * 3600 * S));
        assert_eq!(
            time_of_day_ns("18:40:23.1038915"),
            Some((18 * 3600 + 40 * 60 + 23) * S + 103_891_500)
        );
        assert_eq!(
            time_of_day_ns("16:28:26,4129246"),
            Some((16 * 3600 + 28 * 60 + 26) * S + 412_924_600)
        );
        assert_eq!(
            time_of_day_ns("上午 01:09:44.8222664"),
            Some((3600 + 9 * 60 + 44) * S + 822_266_400)
        );
        assert_eq!(
            time_of_day_ns("下午 01:09:44.8222664"),
            Some((13 * 3600 + 9 * 60 + 44) * S + 822_266_400)
        );
        assert_eq!(
            time_of_day_ns("11:18:57.0155053 am"),
            Some((11 * 3600 + 18 * 60 + 57) * S + 15_505_300)
        );
    }

    #[test]
    fn what_cannot_be_parsed_is_none() {
        for t in [
            "44:57.9",
            "",
            "n/a",
            "25:00:00",
            "13:00:00 PM",
            "1:2:3.x",
            "7:19:37.0147934 XM",
        ] {
            assert_eq!(time_of_day_ns(t), None, "{t}");
        }
    }

    #[test]
    fn filetimes_are_utc_iso() {
        // 2020-07-31T14:28:31.4900776Z
        let ft = FILETIME_UNIX_OFFSET + (1_596_205_711 * 10_000_000) + 4_900_776;
        let m = filetime_moment(ft);
        assert_eq!(&*m.text, "2020-07-31T14:28:31.4900776Z");
        assert_eq!(m.date, Some((2020, 7, 31)));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
    }

    #[test]
    fn dates() {
        assert_eq!(date_ymd("7/31/2020 6:55:07 AM"), Some((2020, 7, 31)));
        assert_eq!(date_ymd("31/07/2020 06:55:07"), Some((2020, 7, 31)));
        assert_eq!(date_ymd("31.07.2020 06:55:07"), Some((2020, 7, 31)));
        assert_eq!(date_ymd("2020-07-31 06:55:07"), Some((2020, 7, 31)));
        assert_eq!(date_ymd("2020/7/31 上午 06:55:07"), Some((2020, 7, 31)));
        assert_eq!(date_ymd("6:55:07"), None);
        assert_eq!(date_ymd("n/a"), None);
    }
}
