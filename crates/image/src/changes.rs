//! Dockerfile-style `--change` lines (`CMD ["sh"]`, `ENV K=V`, `WORKDIR /x`,
//! …) applied to an image's run config, as `docker import --change` and
//! `docker commit --change` do. Shell-style variable expansion (`$VAR`,
//! `${VAR}`, `${VAR:-x}`, `${VAR:+x}`) uses the config's own `Env`, like
//! the builder; single quotes and `\` escape it.

use std::collections::BTreeMap;

use crate::config::{Empty, RunConfig};
use crate::error::{ImageError, Result};

/// Applies `changes` to a copy of `base`; any bad line fails the whole set.
pub fn apply_changes(base: &RunConfig, changes: &[String]) -> Result<RunConfig> {
    let mut cfg = base.clone();
    for change in changes {
        for line in change.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            apply_line(&mut cfg, line).map_err(|reason| ImageError::InvalidChange {
                line: line.to_string(),
                reason,
            })?;
        }
    }
    Ok(cfg)
}

fn apply_line(cfg: &mut RunConfig, line: &str) -> Result<(), String> {
    let (keyword, rest) = match line.split_once(char::is_whitespace) {
        Some((k, r)) => (k, r.trim()),
        None => (line, ""),
    };
    let keyword = keyword.to_ascii_uppercase();
    let env = cfg.env.clone().unwrap_or_default();
    let needs_arg = |rest: &str| {
        if rest.is_empty() {
            Err(format!("{keyword} requires at least one argument"))
        } else {
            Ok(())
        }
    };
    match keyword.as_str() {
        "CMD" | "ENTRYPOINT" => {
            needs_arg(rest)?;
            let argv = match json_array(rest) {
                Some(v) => v,
                None => {
                    let mut v = cfg
                        .shell
                        .clone()
                        .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
                    v.push(rest.to_string());
                    v
                }
            };
            if keyword == "CMD" {
                cfg.cmd = Some(argv);
            } else {
                cfg.entrypoint = Some(argv);
            }
        }
        "SHELL" => {
            let v = json_array(rest).ok_or("SHELL requires the arguments to be in JSON form")?;
            if v.is_empty() {
                return Err("SHELL requires at least one argument".into());
            }
            cfg.shell = Some(v);
        }
        "ENV" => {
            needs_arg(rest)?;
            let mut vars = cfg.env.take().unwrap_or_default();
            for (k, v) in name_values(rest, &env, "ENV")? {
                let prefix = format!("{k}=");
                let entry = format!("{k}={v}");
                match vars.iter_mut().find(|e| e.starts_with(&prefix)) {
                    Some(e) => *e = entry,
                    None => vars.push(entry),
                }
            }
            cfg.env = Some(vars);
        }
        "LABEL" => {
            needs_arg(rest)?;
            let labels = cfg.labels.get_or_insert_with(BTreeMap::new);
            for (k, v) in name_values(rest, &env, "LABEL")? {
                labels.insert(k, v);
            }
        }
        "WORKDIR" => {
            needs_arg(rest)?;
            let dir = lex_word(rest, &env)?;
            cfg.working_dir = if dir.starts_with('/') {
                dir
            } else {
                let base = if cfg.working_dir.is_empty() {
                    "/"
                } else {
                    &cfg.working_dir
                };
                clean_path(&format!("{base}/{dir}"))
            };
        }
        "USER" => {
            needs_arg(rest)?;
            cfg.user = lex_word(rest, &env)?;
        }
        "EXPOSE" => {
            needs_arg(rest)?;
            let ports = cfg.exposed_ports.get_or_insert_with(BTreeMap::new);
            for word in lex_words(rest, &env)? {
                for p in parse_ports(&word)? {
                    ports.insert(p, Empty {});
                }
            }
        }
        "VOLUME" => {
            needs_arg(rest)?;
            let paths = match json_array(rest) {
                Some(v) => v,
                None => lex_words(rest, &env)?,
            };
            if paths.is_empty() || paths.iter().any(|p| p.trim().is_empty()) {
                return Err("VOLUME specified can not be an empty string".into());
            }
            let vols = cfg.volumes.get_or_insert_with(BTreeMap::new);
            for p in paths {
                vols.insert(p, Empty {});
            }
        }
        "STOPSIGNAL" => {
            needs_arg(rest)?;
            let sig = lex_word(rest, &env)?;
            if !valid_signal(&sig) {
                return Err(format!("invalid signal: {sig}"));
            }
            cfg.stop_signal = Some(sig);
        }
        "ONBUILD" => {
            needs_arg(rest)?;
            let inner = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            if matches!(inner.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
                return Err(format!("{inner} isn't allowed as an ONBUILD trigger"));
            }
            let trigger = match rest.split_once(char::is_whitespace) {
                Some((_, args)) => format!("{inner} {}", args.trim()),
                None => inner,
            };
            cfg.on_build.get_or_insert_with(Vec::new).push(trigger);
        }
        "HEALTHCHECK" => {
            needs_arg(rest)?;
            cfg.healthcheck = Some(healthcheck(rest, cfg.shell.as_deref())?);
        }
        "FROM" | "RUN" | "ADD" | "COPY" | "ARG" | "MAINTAINER" => {
            return Err(format!("{keyword} is not a valid change command"));
        }
        _ => return Err(format!("unknown instruction: {keyword}")),
    }
    Ok(())
}

/// The JSON ("exec") form, if `rest` is a JSON array of strings.
fn json_array(rest: &str) -> Option<Vec<String>> {
    if !rest.starts_with('[') {
        return None;
    }
    serde_json::from_str(rest).ok()
}

/// `K=V K2="v 2"` or the legacy `K some value` form of ENV and LABEL.
fn name_values(rest: &str, env: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    let first = rest.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let (k, v) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{what} must have two arguments"))?;
        return Ok(vec![(k.to_string(), lex_word(v.trim(), env)?)]);
    }
    lex_words(rest, env)?
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some(("", _)) => Err(format!("{what} names can not be blank")),
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(format!(
                "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
            )),
        })
        .collect()
}

/// Whole `rest` as one word: quotes removed, escapes and variables applied,
/// whitespace kept.
fn lex_word(rest: &str, env: &[String]) -> Result<String, String> {
    Ok(lex(rest, env, false)?.join(""))
}

/// `rest` split on unquoted whitespace, each word lexed.
fn lex_words(rest: &str, env: &[String]) -> Result<Vec<String>, String> {
    lex(rest, env, true)
}

fn lex(s: &str, env: &[String], split: bool) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (_, '$') => {
                cur.push_str(&expand(&mut chars, env)?);
                in_word = true;
            }
            (None, c) if split && c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unexpected end of statement while looking for matching quote".into());
    }
    if in_word || !split {
        words.push(cur);
    }
    Ok(words)
}

fn lookup<'a>(env: &'a [String], name: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
}

fn expand(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    env: &[String],
) -> Result<String, String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if chars.peek() == Some(&'{') {
        chars.next();
        let mut inner = String::new();
        loop {
            match chars.next() {
                Some('}') => break,
                Some(c) => inner.push(c),
                None => return Err("missing '}' in variable substitution".into()),
            }
        }
        let (name, op, word) = match inner.find(":-").or_else(|| inner.find(":+")) {
            Some(i) => (&inner[..i], &inner[i..i + 2], &inner[i + 2..]),
            None => (inner.as_str(), "", ""),
        };
        let val = lookup(env, name).filter(|v| !v.is_empty());
        return Ok(match (op, val) {
            (":-", None) => word.to_string(),
            (":+", Some(_)) => word.to_string(),
            (":+", None) => String::new(),
            (_, v) => v.unwrap_or("").to_string(),
        });
    }
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if !is_name(c) {
            break;
        }
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        return Ok("$".into());
    }
    Ok(lookup(env, &name).unwrap_or("").to_string())
}

/// `/a/./b/../c` → `/a/c`.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `80`, `80/udp`, `8000-8002/tcp` → `["80/tcp"]`, …
pub fn parse_ports(word: &str) -> Result<Vec<String>, String> {
    let (range, proto) = word.split_once('/').unwrap_or((word, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let port = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("invalid containerPort: {word}"))
    };
    let (lo, hi) = match range.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let p = port(range)?;
            (p, p)
        }
    };
    if hi < lo {
        return Err(format!("invalid range specified for port: {word}"));
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// A signal number (1–64), a name with or without `SIG`, or `RTMIN+n`.
pub fn valid_signal(s: &str) -> bool {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS.contains(&name)
        || name
            .strip_prefix("RTMIN+")
            .or_else(|| name.strip_prefix("RTMAX-"))
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n <= 30))
        || name == "RTMIN"
        || name == "RTMAX"
}

/// `NONE`, or `[--interval=D] [--timeout=D] [--start-period=D]
/// [--start-interval=D] [--retries=N] CMD …` → Docker's `Healthcheck` JSON.
pub fn healthcheck(rest: &str, shell: Option<&[String]>) -> Result<serde_json::Value, String> {
    if rest.eq_ignore_ascii_case("NONE") {
        return Ok(serde_json::json!({ "Test": ["NONE"] }));
    }
    let mut obj = serde_json::Map::new();
    let mut rest = rest;
    while let Some(opt) = rest.strip_prefix("--") {
        let (flag, tail) = opt.split_once(char::is_whitespace).unwrap_or((opt, ""));
        let (key, value) = flag
            .split_once('=')
            .ok_or_else(|| format!("HEALTHCHECK option --{flag} needs a value"))?;
        let field = match key {
            "interval" => "Interval",
            "timeout" => "Timeout",
            "start-period" => "StartPeriod",
            "start-interval" => "StartInterval",
            "retries" => "Retries",
            _ => return Err(format!("unknown flag: {key}")),
        };
        let n: i64 = if key == "retries" {
            value
                .parse()
                .map_err(|_| format!("invalid retries value: {value}"))?
        } else {
            wharf_api::duration::parse_go_duration(value)
                .map(|d| d.as_nanos() as i64)
                .ok_or_else(|| format!("invalid duration: {value}"))?
        };
        obj.insert(field.into(), n.into());
        rest = tail.trim_start();
    }
    let (kw, cmd) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !kw.eq_ignore_ascii_case("CMD") || cmd.trim().is_empty() {
        return Err("HEALTHCHECK requires NONE or CMD followed by a command".into());
    }
    let cmd = cmd.trim();
    let test: Vec<String> = match json_array(cmd) {
        Some(v) => std::iter::once("CMD".to_string()).chain(v).collect(),
        None => {
            let _ = shell;
            vec!["CMD-SHELL".into(), cmd.into()]
        }
    };
    obj.insert("Test".into(), test.into());
    Ok(serde_json::Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(lines: &[&str]) -> Result<RunConfig> {
        let v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        apply_changes(&RunConfig::default(), &v)
    }

    fn s(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|x| x.to_string()).collect())
    }

    #[test]
    fn cmd_and_entrypoint_forms() {
        let c = apply(&[r#"CMD ["sh"]"#, "entrypoint /bin/echo hi there"]).unwrap();
        assert_eq!(c.cmd, s(&["sh"]));
        assert_eq!(c.entrypoint, s(&["/bin/sh", "-c", "/bin/echo hi there"]));
        let c = apply(&["CMD sh -c x"]).unwrap();
        assert_eq!(c.cmd, s(&["/bin/sh", "-c", "sh -c x"]));
        let c = apply(&[r#"SHELL ["/bin/bash", "-e", "-c"]"#, "CMD echo 1"]).unwrap();
        assert_eq!(c.cmd, s(&["/bin/bash", "-e", "-c", "echo 1"]));
        // Not valid JSON: Docker falls back to the shell form.
        let c = apply(&["CMD [sh"]).unwrap();
        assert_eq!(c.cmd, s(&["/bin/sh", "-c", "[sh"]));
        let c = apply(&["ENTRYPOINT []"]).unwrap();
        assert_eq!(c.entrypoint, Some(vec![]));
    }

    #[test]
    fn env_label_and_expansion() {
        let c = apply(&[
            "ENV A=1 B=\"two words\" C='$A'",
            "ENV D ${A}x $B",
            "ENV A=3",
            "ENV E=${NOPE:-dflt} F=${A:+set} G=\\$A",
            "LABEL a=b \"c d\"=e",
            "LABEL legacy value with spaces",
        ])
        .unwrap();
        assert_eq!(
            c.env,
            s(&[
                "A=3",
                "B=two words",
                "C=$A",
                "D=1x two words",
                "E=dflt",
                "F=set",
                "G=$A"
            ])
        );
        let labels = c.labels.unwrap();
        assert_eq!(labels["a"], "b");
        assert_eq!(labels["c d"], "e");
        assert_eq!(labels["legacy"], "value with spaces");
    }

    #[test]
    fn workdir_user_expose_volume_stopsignal_healthcheck() {
        let c = apply(&[
            "WORKDIR /app",
            "WORKDIR sub/../x",
            "USER 1000:1000",
            "EXPOSE 80 53/udp 8000-8001",
            r#"VOLUME ["/data", "/logs"]"#,
            "VOLUME /cache",
            "STOPSIGNAL SIGQUIT",
            "HEALTHCHECK --interval=30s --retries=3 CMD wget -q localhost",
            "ONBUILD RUN echo hi",
        ])
        .unwrap();
        assert_eq!(c.working_dir, "/app/x");
        assert_eq!(c.user, "1000:1000");
        let ports: Vec<_> = c.exposed_ports.unwrap().into_keys().collect();
        assert_eq!(ports, vec!["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
        let vols: Vec<_> = c.volumes.unwrap().into_keys().collect();
        assert_eq!(vols, vec!["/cache", "/data", "/logs"]);
        assert_eq!(c.stop_signal.as_deref(), Some("SIGQUIT"));
        let hc = c.healthcheck.unwrap();
        assert_eq!(hc["Interval"], 30_000_000_000i64);
        assert_eq!(hc["Retries"], 3);
        assert_eq!(hc["Test"][0], "CMD-SHELL");
        assert_eq!(c.on_build, s(&["RUN echo hi"]));
    }

    #[test]
    fn bad_lines_are_invalid_arguments() {
        for bad in [
            "FROM busybox",
            "RUN true",
            "BOGUS x",
            "CMD",
            "ENV =x",
            "ENV A=\"unterminated",
            "EXPOSE 99999",
            "EXPOSE 80/foo",
            "STOPSIGNAL SIGNOPE",
            "WORKDIR",
            "SHELL sh -c",
            "HEALTHCHECK --bogus=1 CMD x",
        ] {
            let err = apply(&["CMD [\"ok\"]", bad]).unwrap_err();
            assert_eq!(
                err.kind(),
                wharf_api::error::ErrorKind::InvalidArgument,
                "{bad}"
            );
            assert!(err.to_string().starts_with("invalid change"), "{err}");
        }
        assert!(valid_signal("9") && valid_signal("term") && valid_signal("SIGRTMIN+3"));
        assert!(!valid_signal("0") && !valid_signal("65"));
    }
}
