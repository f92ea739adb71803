//! `${VAR}` interpolation as the compose-spec defines it: `$VAR`,
//! `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$`
//! for a literal `$`. Defaults may themselves hold `${...}`.

use std::collections::BTreeMap;

/// The variables interpolation reads: the process environment over `.env`.
pub type Vars = BTreeMap<String, String>;

/// Interpolate one string; the error is the message for the value's path.
pub fn interpolate(s: &str, vars: &Vars) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8().max(1);
            continue;
        }
        // b[i] == '$'
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let end = matching_brace(s, i + 2)
                    .ok_or_else(|| format!("invalid interpolation format for {s:?}: unclosed \"${{\""))?;
                let inner = &s[i + 2..end];
                out.push_str(&expand(inner, vars, s)?);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                out.push_str(vars.get(&s[start..j]).map(String::as_str).unwrap_or(""));
                i = j;
            }
            _ => {
                return Err(format!(
                    "invalid interpolation format for {s:?}: you may need to escape any $ with another $"
                ))
            }
        }
    }
    Ok(out)
}

/// The index of the `}` closing the `${` whose body starts at `from`.
fn matching_brace(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn expand(inner: &str, vars: &Vars, whole: &str) -> Result<String, String> {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("invalid interpolation format for {whole:?}"));
    }
    let val = vars.get(name);
    let set_nonempty = val.is_some_and(|v| !v.is_empty());
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":?") {
        (":?", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = rest.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = rest.strip_prefix('?') {
        ("?", a)
    } else if let Some(a) = rest.strip_prefix('+') {
        ("+", a)
    } else if rest.is_empty() {
        ("", "")
    } else {
        return Err(format!("invalid interpolation format for {whole:?}"));
    };
    let arg = || interpolate(arg, vars);
    Ok(match op {
        "" => val.cloned().unwrap_or_default(),
        ":-" if !set_nonempty => arg()?,
        "-" if val.is_none() => arg()?,
        ":?" if !set_nonempty => return Err(missing(name, &arg()?)),
        "?" if val.is_none() => return Err(missing(name, &arg()?)),
        ":+" => {
            if set_nonempty {
                arg()?
            } else {
                String::new()
            }
        }
        "+" => {
            if val.is_some() {
                arg()?
            } else {
                String::new()
            }
        }
        _ => val.cloned().unwrap_or_default(),
    })
}

fn missing(name: &str, msg: &str) -> String {
    if msg.is_empty() {
        format!("required variable {name} is missing a value")
    } else {
        format!("required variable {name} is missing a value: {msg}")
    }
}

/// Parse a `.env` / `env_file` body: `KEY=VALUE` lines, `#` comments,
/// optional `export `, single or double quotes; a bare `KEY` takes the
/// value from `lookup` (or is skipped).
pub fn parse_env_file(body: &str, lookup: &Vars) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in body.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (k, v) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (line, None),
        };
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(format!("line {}: invalid variable name {k:?}", n + 1));
        }
        let v = match v {
            None => match lookup.get(k) {
                Some(v) => v.clone(),
                None => continue,
            },
            Some(v) => {
                if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
                    v[1..v.len() - 1].to_string()
                } else if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                    v[1..v.len() - 1].replace("\\n", "\n").replace("\\\"", "\"")
                } else {
                    // An unquoted value ends at ` #`.
                    let v = v.split(" #").next().unwrap_or("").trim_end();
                    interpolate(v, lookup).unwrap_or_else(|_| v.to_string())
                }
            }
        };
        out.push((k.to_string(), v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [("A", "a"), ("E", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn forms() {
        let v = vars();
        let i = |s: &str| interpolate(s, &v);
        assert_eq!(i("x${A}y$A").unwrap(), "xaya");
        assert_eq!(i("${B:-d}|${E:-d}|${E-d}|${B-d}").unwrap(), "d|d||d");
        assert_eq!(i("${A:+x}|${E:+x}|${E+x}|${B+x}").unwrap(), "x||x|");
        assert_eq!(i("$$A $${A}").unwrap(), "$A ${A}");
        assert_eq!(i("${B:-${A}z}").unwrap(), "az");
        assert!(i("${B:?need B}").unwrap_err().contains("need B"));
        assert!(i("${E:?}").is_err());
        assert_eq!(i("${E?}").unwrap(), "");
        assert!(i("${A").is_err());
        assert!(i("$ x").is_err());
    }

    #[test]
    fn env_file() {
        let v = vars();
        let got =
            parse_env_file("# c\nX=1\nexport Y='a b'\nZ=\"q\"\nA\nNOPE\nW=v # c\n", &v).unwrap();
        let want: Vec<(String, String)> =
            [("X", "1"), ("Y", "a b"), ("Z", "q"), ("A", "a"), ("W", "v")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(got, want);
    }
}
