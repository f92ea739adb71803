//! Flag value parsers shared by `run`, `create`, `exec` and others, with
//! docker's accepted syntax and error wording.

use std::collections::BTreeMap;

use wharf_api::container::RestartPolicy;

/// go-units `RAMInBytes`: `512m`, `1g`, `1.5GiB`, `100` (bytes); binary
/// multipliers, as docker uses for `--memory`.
pub fn ram_in_bytes(s: &str) -> Result<i64, String> {
    let err = || format!("invalid size: '{s}'");
    let t = s.trim();
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(err());
    }
    let value: f64 = num.parse().map_err(|_| err())?;
    let unit = unit.trim_start_matches(' ').to_ascii_lowercase();
    let mut chars = unit.chars();
    let mult: f64 = match chars.next() {
        None => 1.0,
        Some(c) => {
            let m = match c {
                'b' if unit == "b" => return Ok(value as i64),
                'k' => 1024f64,
                'm' => 1024f64.powi(2),
                'g' => 1024f64.powi(3),
                't' => 1024f64.powi(4),
                'p' => 1024f64.powi(5),
                _ => return Err(err()),
            };
            // Optional `i` then optional `b`: k, kb, ki, kib.
            let rest: String = chars.collect();
            if !matches!(rest.as_str(), "" | "b" | "i" | "ib") {
                return Err(err());
            }
            m
        }
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes > i64::MAX as f64 {
        return Err(err());
    }
    Ok(bytes as i64)
}

/// go-units `FromHumanSize`-like decimal sizes are not needed; `--memory`
/// and friends use [`ram_in_bytes`]. This wraps it in docker's message.
pub fn memory_flag(flag: &str, v: &str) -> Result<i64, String> {
    ram_in_bytes(v).map_err(|e| format!("invalid argument \"{v}\" for \"{flag}\" flag: {e}"))
}

/// `--cpus 1.5` → NanoCpus. Exact decimal arithmetic (no float rounding);
/// negative, zero and more than 9 decimals are refused.
pub fn nano_cpus(v: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("invalid argument \"{v}\" for \"--cpus\" flag: {why}");
    let t = v.trim();
    if t.starts_with('-') {
        return Err(bad("cpus must be a positive number"));
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad("failed to parse as a number"));
    }
    if frac.len() > 9 {
        return Err(bad("value is too precise"));
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad("value is too large"))?
    };
    let frac_n: i64 = if frac.is_empty() {
        0
    } else {
        let padded = format!("{frac:0<9}");
        padded
            .parse()
            .map_err(|_| bad("failed to parse as a number"))?
    };
    let n = int
        .checked_mul(1_000_000_000)
        .and_then(|x| x.checked_add(frac_n))
        .ok_or_else(|| bad("value is too large"))?;
    if n == 0 && !t.is_empty() && int == 0 && frac_n == 0 {
        // `--cpus 0` means "no limit" in docker; keep it.
        return Ok(0);
    }
    Ok(n)
}

/// `--restart no|always|unless-stopped|on-failure[:N]`. As docker 28's
/// CLI, only the form is checked here (a name before the colon, an integer
/// count); the policy itself is the engine's to refuse, so that `create`
/// exits with the engine error's code as docker's does.
pub fn restart_policy(v: &str) -> Result<RestartPolicy, String> {
    if v.is_empty() {
        return Ok(RestartPolicy::default());
    }
    let (name, count) = match v.split_once(':') {
        Some((n, c)) => (n, c),
        None => (v, ""),
    };
    if name.is_empty() {
        return Err("invalid restart policy format: no policy provided before colon".into());
    }
    let maximum_retry_count = if count.is_empty() {
        0
    } else {
        count.parse::<i64>().map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_string()
        })?
    };
    Ok(RestartPolicy {
        name: name.to_string(),
        maximum_retry_count,
    })
}

/// `-e KEY=VAL` stays; `-e KEY` takes the value from our environment when
/// set, else is sent bare (docker's behaviour).
pub fn env_value(v: &str) -> Result<String, String> {
    let (k, _) = v.split_once('=').unwrap_or((v, ""));
    if k.is_empty() {
        return Err(format!("invalid environment variable: {v}"));
    }
    if v.contains('=') {
        return Ok(v.to_string());
    }
    Ok(match std::env::var(k) {
        Ok(val) => format!("{k}={val}"),
        Err(_) => v.to_string(),
    })
}

/// Parse an `--env-file`/`--label-file` body: blank lines and `#` comments
/// skipped, leading whitespace trimmed, `KEY` alone taken from our
/// environment (dropped when unset), whitespace in names refused.
pub fn key_value_file(name: &str, body: &str, from_env: bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, raw) in body.lines().enumerate() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if key.is_empty() {
            return Err(format!(
                "{name}:{}: no variable name on line '{raw}'",
                i + 1
            ));
        }
        if key.contains(char::is_whitespace) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        match value {
            Some(v) => out.push(format!("{key}={v}")),
            None if from_env => {
                if let Ok(v) = std::env::var(key.trim_end()) {
                    out.push(format!("{}={v}", key.trim_end()));
                }
            }
            None => out.push(key.to_string()),
        }
    }
    Ok(out)
}

/// `-l k=v` / `-l k` into a label map.
pub fn labels(values: &[String]) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, val)) => (k.to_string(), val.to_string()),
            None => (v.clone(), String::new()),
        })
        .collect()
}

/// `--add-host host:ip` (or `host=ip`), sent as `host:ip`.
pub fn extra_host(v: &str) -> Result<String, String> {
    let (h, ip) = v
        .split_once('=')
        .or_else(|| v.split_once(':'))
        .ok_or_else(|| format!("invalid argument \"{v}\" for \"--add-host\" flag: bad format for add-host: \"{v}\""))?;
    let ip_ok = ip == "host-gateway"
        || ip
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok();
    if h.is_empty() || !ip_ok {
        return Err(format!(
            "invalid argument \"{v}\" for \"--add-host\" flag: invalid IP address in add-host: \"{ip}\""
        ));
    }
    Ok(format!("{h}:{}", ip.trim_matches(['[', ']'])))
}

/// `--signal`/`--stop-signal`: a name (`TERM`, `SIGTERM`) or a number.
pub fn signal(v: &str) -> Result<String, String> {
    if v.is_empty() {
        return Err("invalid signal: empty".into());
    }
    if v.chars().all(|c| c.is_ascii_digit()) {
        return match v.parse::<u32>() {
            Ok(n) if (1..=64).contains(&n) => Ok(v.to_string()),
            _ => Err(format!("invalid signal: {v}")),
        };
    }
    let up = v.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    const KNOWN: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    if KNOWN.contains(&name) || name.starts_with("RTMIN") || name.starts_with("RTMAX") {
        Ok(format!("SIG{name}"))
    } else {
        Err(format!("invalid signal: {v}"))
    }
}

/// Split `repo[:tag]` where a `:` inside a registry host (`host:5000/x`)
/// is not a tag separator.
pub fn split_repo_tag(r: &str) -> (String, String) {
    match r.rfind(':') {
        Some(i) if !r[i + 1..].contains('/') => (r[..i].to_string(), r[i + 1..].to_string()),
        _ => (r.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(ram_in_bytes("512m").unwrap(), 512 * 1024 * 1024);
        assert_eq!(ram_in_bytes("1g").unwrap(), 1 << 30);
        assert_eq!(ram_in_bytes("1GiB").unwrap(), 1 << 30);
        assert_eq!(ram_in_bytes("64k").unwrap(), 64 * 1024);
        assert_eq!(ram_in_bytes("100").unwrap(), 100);
        assert_eq!(ram_in_bytes("1.5k").unwrap(), 1536);
        assert_eq!(ram_in_bytes("10b").unwrap(), 10);
        for bad in ["12q", "", "m", "-1m", "1..5m", "5mm", "1.m"] {
            assert!(ram_in_bytes(bad).is_err(), "{bad}");
        }
        assert_eq!(
            memory_flag("-m, --memory", "12q").unwrap_err(),
            "invalid argument \"12q\" for \"-m, --memory\" flag: invalid size: '12q'"
        );
    }

    #[test]
    fn cpus() {
        assert_eq!(nano_cpus("1.5").unwrap(), 1_500_000_000);
        assert_eq!(nano_cpus("2").unwrap(), 2_000_000_000);
        assert_eq!(nano_cpus(".25").unwrap(), 250_000_000);
        assert_eq!(nano_cpus("0.000000001").unwrap(), 1);
        assert_eq!(nano_cpus("0").unwrap(), 0);
        assert!(nano_cpus("-1").unwrap_err().contains("positive"));
        assert!(nano_cpus("abc").is_err());
        assert!(nano_cpus("0.0000000001")
            .unwrap_err()
            .contains("too precise"));
        assert!(nano_cpus("").is_err());
    }

    #[test]
    fn restart() {
        assert_eq!(restart_policy("always").unwrap().name, "always");
        let p = restart_policy("on-failure:3").unwrap();
        assert_eq!((p.name.as_str(), p.maximum_retry_count), ("on-failure", 3));
        assert_eq!(
            restart_policy("unless-stopped").unwrap().name,
            "unless-stopped"
        );
        assert_eq!(restart_policy("no").unwrap().name, "no");
        // The policy is the engine's to refuse; the form is checked here.
        assert_eq!(restart_policy("sometimes").unwrap().name, "sometimes");
        assert_eq!(restart_policy("always:3").unwrap().maximum_retry_count, 3);
        assert_eq!(
            restart_policy("on-failure:-1").unwrap().maximum_retry_count,
            -1
        );
        assert!(restart_policy("on-failure:x")
            .unwrap_err()
            .contains("must be an integer"));
        assert!(restart_policy(":3").unwrap_err().contains("no policy"));
    }

    #[test]
    fn env_file() {
        std::env::set_var("WHARF_TEST_ENVFILE_X", "from-env");
        let body =
            "# comment\n\nA=1\n  B=two words\nWHARF_TEST_ENVFILE_X\nWHARF_TEST_ENVFILE_UNSET\nC=\n";
        assert_eq!(
            key_value_file("f", body, true).unwrap(),
            vec!["A=1", "B=two words", "WHARF_TEST_ENVFILE_X=from-env", "C="]
        );
        assert!(key_value_file("f", "BAD KEY=1\n", true).is_err());
        assert!(key_value_file("f", "=1\n", true).is_err());
    }

    #[test]
    fn env_flag() {
        std::env::set_var("WHARF_TEST_ENV_FLAG", "v");
        assert_eq!(
            env_value("WHARF_TEST_ENV_FLAG").unwrap(),
            "WHARF_TEST_ENV_FLAG=v"
        );
        assert_eq!(env_value("A=b=c").unwrap(), "A=b=c");
        assert_eq!(
            env_value("WHARF_TEST_UNSET_Q").unwrap(),
            "WHARF_TEST_UNSET_Q"
        );
        assert!(env_value("=x").is_err());
    }

    #[test]
    fn misc() {
        assert_eq!(extra_host("db:10.0.0.2").unwrap(), "db:10.0.0.2");
        assert_eq!(extra_host("db=10.0.0.2").unwrap(), "db:10.0.0.2");
        assert!(extra_host("db:notip").is_err());
        assert_eq!(signal("term").unwrap(), "SIGTERM");
        assert_eq!(signal("SIGKILL").unwrap(), "SIGKILL");
        assert_eq!(signal("9").unwrap(), "9");
        assert!(signal("FOO").is_err());
        assert_eq!(
            split_repo_tag("busybox:1.36"),
            ("busybox".into(), "1.36".into())
        );
        assert_eq!(
            split_repo_tag("localhost:5000/x"),
            ("localhost:5000/x".into(), String::new())
        );
        assert_eq!(labels(&["a=b".into(), "c".into()])["c"], "");
    }
}
