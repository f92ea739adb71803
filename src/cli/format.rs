//! Docker's human formats: durations (`About a minute`), sizes (`4.26MB`),
//! IDs (12 chars), quoted and ellipsized commands, port lists.

use std::time::{SystemTime, UNIX_EPOCH};

use wharf_api::container::Port;

/// Seconds since the epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub use wharf_api::duration::human_duration;

/// `CREATED` column: `5 seconds ago`.
pub fn ago(created: i64, now: i64) -> String {
    format!("{} ago", human_duration(now - created))
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, 3 significant
/// digits, trailing zeros dropped.
pub fn human_size(size: i64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = size.max(0) as f64;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", sig3(v), UNITS[i])
}

/// go-units' `BytesSize`: binary units with 4 significant digits
/// (`504KiB`, `23.54GiB`), as `docker stats` shows memory.
pub fn bytes_size(size: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = size.max(0.0);
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    let digits = if v >= 1.0 {
        v.log10().floor() as i32 + 1
    } else {
        1
    };
    let decimals = (4 - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", UNITS[i])
}

/// Go's `%.3g` for 0 <= v < 1000.
fn sig3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = if v >= 1.0 {
        v.log10().floor() as i32 + 1
    } else {
        0
    };
    let decimals = (3 - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// First 12 hex digits of an ID, `sha256:` dropped.
pub fn short_id(id: &str) -> String {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.chars().take(12).collect()
}

/// Docker's `Ellipsis`: cut to `max` display characters, the last being `…`.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote` for the command column.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `PORTS` column: `0.0.0.0:8080->80/tcp, 53/udp`.
pub fn ports(ports: &[Port]) -> String {
    let mut items: Vec<String> = ports
        .iter()
        .map(|p| match p.public_port {
            Some(pp) if pp != 0 => {
                let ip = p.ip.clone().unwrap_or_default();
                let ip = if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip
                };
                format!("{ip}:{pp}->{}/{}", p.private_port, p.kind)
            }
            _ => format!("{}/{}", p.private_port, p.kind),
        })
        .collect();
    items.sort();
    items.dedup();
    items.join(", ")
}

/// Container names without the leading `/`; link names (with a second `/`)
/// only when `all`.
pub fn names(names: &[String], all: bool) -> String {
    names
        .iter()
        .map(|n| n.strip_prefix('/').unwrap_or(n))
        .filter(|n| all || !n.contains('/'))
        .collect::<Vec<_>>()
        .join(",")
}

/// Go's `time.Time.String()` in UTC: `2024-01-02 15:04:05 +0000 UTC`.
pub fn go_time(unix: i64) -> String {
    match chrono::DateTime::from_timestamp(unix, 0) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        None => String::new(),
    }
}

/// RFC 3339 (seconds) in UTC, for `history -H=false` and similar.
pub fn rfc3339(unix: i64) -> String {
    match chrono::DateTime::from_timestamp(unix, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => String::new(),
    }
}

/// `--since/--until` values: a unix timestamp (with optional fraction), a
/// Go duration relative to now (`10m`, `1h30m`, `90s`), or RFC 3339.
pub fn parse_time_arg(v: &str, now: i64) -> Result<String, String> {
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Ok(v.to_string());
    }
    if let Some(d) = go_duration(v) {
        return Ok((now - d).to_string());
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.timestamp().to_string());
    }
    if let Ok(t) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        if let Some(dt) = t.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp().to_string());
        }
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Ok(t.and_utc().timestamp().to_string());
    }
    Err(format!("invalid value for time: {v:?}"))
}

/// A Go duration (`1h2m3s`, `10m`, `500ms`) in whole seconds.
pub fn go_duration(v: &str) -> Option<i64> {
    wharf_api::duration::parse_go_duration(v).map(|d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(5), "5 seconds");
        assert_eq!(human_duration(60), "About a minute");
        assert_eq!(human_duration(119), "About a minute");
        assert_eq!(human_duration(120), "2 minutes");
        assert_eq!(human_duration(3599), "59 minutes");
        assert_eq!(human_duration(3600), "About an hour");
        assert_eq!(human_duration(5400), "2 hours");
        assert_eq!(human_duration(47 * 3600), "47 hours");
        assert_eq!(human_duration(48 * 3600), "2 days");
        assert_eq!(human_duration(15 * 86400), "2 weeks");
        assert_eq!(human_duration(70 * 86400), "2 months");
        assert_eq!(human_duration(800 * 86400), "2 years");
        assert_eq!(ago(100, 103), "3 seconds ago");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(1234), "1.23kB");
        assert_eq!(human_size(4_264_000), "4.26MB");
        assert_eq!(human_size(12_300_000), "12.3MB");
        assert_eq!(human_size(123_000_000), "123MB");
        assert_eq!(human_size(2_000_000_000), "2GB");
    }

    #[test]
    fn ids_and_commands() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(
            ellipsis("sh -c 'while true; do sleep 1; done'", 20),
            "sh -c 'while true; …"
        );
        assert_eq!(ellipsis("short", 20), "short");
        assert_eq!(
            go_quote(&ellipsis("echo \"hi\"", 20)),
            "\"echo \\\"hi\\\"\""
        );
        assert_eq!(names(&["/web".into(), "/other/alias".into()], false), "web");
    }

    #[test]
    fn port_column() {
        let p = vec![
            Port {
                ip: Some("0.0.0.0".into()),
                private_port: 80,
                public_port: Some(8080),
                kind: "tcp".into(),
            },
            Port {
                ip: None,
                private_port: 53,
                public_port: None,
                kind: "udp".into(),
            },
        ];
        assert_eq!(ports(&p), "0.0.0.0:8080->80/tcp, 53/udp");
    }

    #[test]
    fn times() {
        assert_eq!(go_time(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(go_duration("1h30m"), Some(5400));
        assert_eq!(go_duration("10s"), Some(10));
        assert_eq!(go_duration("x"), None);
        assert_eq!(parse_time_arg("10m", 1000).unwrap(), "400");
        assert_eq!(parse_time_arg("1700000000", 0).unwrap(), "1700000000");
        assert_eq!(parse_time_arg("1970-01-01T00:01:00Z", 0).unwrap(), "60");
        assert!(parse_time_arg("yesterday", 0).is_err());
    }
}
