//! The builder's shell-word lexer: quote removal, the escape character and
//! variable substitution as the Dockerfile reference describes them
//! (`$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
//! `${VAR+word}`, `${VAR:?message}`). Single quotes keep everything
//! literal; inside double quotes the escape character only escapes `"`,
//! `$` and itself.

/// How a variable is looked up: `None` when unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `s` as one word: quotes removed, escapes and variables applied,
/// whitespace kept.
pub fn word(s: &str, env: Lookup<'_>, escape: char) -> Result<String, String> {
    Ok(lex(s, env, escape, false)?.join(""))
}

/// `s` split on unquoted whitespace, each word processed.
pub fn words(s: &str, env: Lookup<'_>, escape: char) -> Result<Vec<String>, String> {
    lex(s, env, escape, true)
}

/// Splits on unquoted whitespace without substitution or quote removal
/// (how `ENV`/`LABEL`/`ARG` find their `key=value` pairs before each
/// value is processed).
pub fn split_raw(s: &str, escape: char) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some('"') if c == escape => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == escape => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("unexpected end of statement while looking for matching quote".into());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn lex(s: &str, env: Lookup<'_>, escape: char, split: bool) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '\'' {
            in_word = true;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(
                            "unexpected end of statement while looking for matching single-quote"
                                .into(),
                        )
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        cur.push(ch);
                        i += 1;
                    }
                }
            }
        } else if c == '"' {
            in_word = true;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(
                            "unexpected end of statement while looking for matching double-quote"
                                .into(),
                        )
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) if ch == escape => match chars.get(i + 1) {
                        Some(&n) if n == '"' || n == '$' || n == escape => {
                            cur.push(n);
                            i += 2;
                        }
                        _ => {
                            cur.push(ch);
                            i += 1;
                        }
                    },
                    Some('$') => {
                        i += 1;
                        cur.push_str(&variable(&chars, &mut i, env, escape)?);
                    }
                    Some(&ch) => {
                        cur.push(ch);
                        i += 1;
                    }
                }
            }
        } else if c == escape {
            in_word = true;
            match chars.get(i) {
                Some(&n) => {
                    cur.push(n);
                    i += 1;
                }
                None => cur.push(c),
            }
        } else if c == '$' {
            in_word = true;
            let value = variable(&chars, &mut i, env, escape)?;
            if split {
                // An unquoted substitution splits on its whitespace.
                for ch in value.chars() {
                    if ch.is_whitespace() {
                        if in_word && !cur.is_empty() {
                            words.push(std::mem::take(&mut cur));
                        }
                        in_word = false;
                    } else {
                        cur.push(ch);
                        in_word = true;
                    }
                }
                in_word = in_word && !cur.is_empty();
            } else {
                cur.push_str(&value);
            }
        } else if split && c.is_whitespace() {
            if in_word {
                words.push(std::mem::take(&mut cur));
                in_word = false;
            }
        } else {
            in_word = true;
            cur.push(c);
        }
    }
    if in_word || !split {
        words.push(cur);
    }
    Ok(words)
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// After a `$` at `chars[*i - 1]`: the substituted text.
fn variable(
    chars: &[char],
    i: &mut usize,
    env: Lookup<'_>,
    escape: char,
) -> Result<String, String> {
    match chars.get(*i) {
        Some('{') => {
            *i += 1;
            let start = *i;
            while chars.get(*i).is_some_and(|&c| is_name(c)) {
                *i += 1;
            }
            let name: String = chars[start..*i].iter().collect();
            if name.is_empty() {
                return Err("bad substitution: missing variable name after '${'".into());
            }
            let mut op = String::new();
            match chars.get(*i) {
                Some('}') => {
                    *i += 1;
                    return Ok(env(&name).unwrap_or_default());
                }
                Some(':') => {
                    op.push(':');
                    *i += 1;
                    match chars.get(*i) {
                        Some(&c @ ('-' | '+' | '?')) => {
                            op.push(c);
                            *i += 1;
                        }
                        _ => return Err(format!("unsupported modifier in substitution of {name}")),
                    }
                }
                Some(&c @ ('-' | '+' | '?')) => {
                    op.push(c);
                    *i += 1;
                }
                Some(c) => {
                    return Err(format!(
                        "unsupported modifier ({c}) in substitution of {name}"
                    ))
                }
                None => return Err("missing '}' in variable substitution".into()),
            }
            // The word runs to the matching brace.
            let wstart = *i;
            let mut depth = 0;
            loop {
                match chars.get(*i) {
                    None => return Err("missing '}' in variable substitution".into()),
                    Some(&c) if c == escape => *i += 2,
                    Some('{') => {
                        depth += 1;
                        *i += 1;
                    }
                    Some('}') if depth == 0 => break,
                    Some('}') => {
                        depth -= 1;
                        *i += 1;
                    }
                    Some(_) => *i += 1,
                }
            }
            let raw: String = chars[wstart..(*i).min(chars.len())].iter().collect();
            *i += 1;
            let value = env(&name);
            let colon = op.starts_with(':');
            let set = match (&value, colon) {
                (Some(v), true) => !v.is_empty(),
                (Some(_), false) => true,
                (None, _) => false,
            };
            Ok(match op.trim_start_matches(':') {
                "-" if set => value.unwrap_or_default(),
                "-" => word(&raw, env, escape)?,
                "+" if set => word(&raw, env, escape)?,
                "+" => String::new(),
                _ if set => value.unwrap_or_default(),
                _ => {
                    let msg = word(&raw, env, escape)?;
                    return Err(if msg.is_empty() {
                        format!("{name}: is not allowed to be unset")
                    } else {
                        format!("{name}: {msg}")
                    });
                }
            })
        }
        Some(&c) if is_name(c) => {
            let start = *i;
            while chars.get(*i).is_some_and(|&c| is_name(c)) {
                *i += 1;
            }
            let name: String = chars[start..*i].iter().collect();
            Ok(env(&name).unwrap_or_default())
        }
        _ => Ok("$".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("1".into()),
            "EMPTY" => Some(String::new()),
            "SP" => Some("two words".into()),
            _ => None,
        }
    }

    fn w(s: &str) -> String {
        word(s, &env, '\\').unwrap()
    }

    #[test]
    fn substitution() {
        assert_eq!(w("$A"), "1");
        assert_eq!(w("${A}_x"), "1_x");
        assert_eq!(w("$A_x"), "");
        assert_eq!(w("${NOPE:-dflt}"), "dflt");
        assert_eq!(w("${EMPTY:-dflt}"), "dflt");
        assert_eq!(w("${EMPTY-dflt}"), "");
        assert_eq!(w("${A:+set}"), "set");
        assert_eq!(w("${EMPTY:+set}"), "");
        assert_eq!(w("${EMPTY+set}"), "set");
        assert_eq!(w("${NOPE:-${A}x}"), "1x");
        assert_eq!(w("\\$A"), "$A");
        assert_eq!(w("'$A'"), "$A");
        assert_eq!(w("\"$A\""), "1");
        assert_eq!(w("\"a\\\"b\""), "a\"b");
        assert_eq!(w("\"a\\b\""), "a\\b");
        assert_eq!(w("cost$"), "cost$");
        assert!(word("${NOPE:?must be set}", &env, '\\')
            .unwrap_err()
            .contains("must be set"));
        assert!(word("${A", &env, '\\').is_err());
        assert!(word("'open", &env, '\\').is_err());
        assert_eq!(word("`$A", &env, '`').unwrap(), "$A");
    }

    #[test]
    fn splitting() {
        assert_eq!(
            words("a  $SP 'c d'", &env, '\\').unwrap(),
            ["a", "two", "words", "c d"]
        );
        assert_eq!(words("\"$SP\"", &env, '\\').unwrap(), ["two words"]);
        assert_eq!(
            split_raw("A=1 B=\"x y\" C=a\\ b", '\\').unwrap(),
            ["A=1", "B=\"x y\"", "C=a\\ b"]
        );
    }
}
