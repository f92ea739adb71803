//! The Dockerfile parser: parser directives (`# escape=`, `# syntax=` and
//! `# check=` read and ignored), comments, line continuations with the
//! escape character, heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) in `RUN`,
//! `COPY` and `ADD`, instruction flags (`--from=…`), and the JSON (exec)
//! form. Variables are not substituted here: the builder does that per
//! instruction with the values in force at that step ([`crate::lex`]).

use std::fmt;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq)]
pub struct Dockerfile {
    /// The escape character (`\` unless `# escape=` said otherwise).
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

/// One instruction, continuations joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// 1-based line where it starts.
    pub line: usize,
    /// Upper case: `RUN`, `COPY`, …
    pub keyword: String,
    /// Raw `--name=value` (or `--name`) flags, before the arguments.
    pub flags: Vec<String>,
    pub args: Args,
    pub heredocs: Vec<Heredoc>,
    /// The instruction as written, on one line (`RUN echo hi`).
    pub original: String,
}

/// The arguments after the keyword and flags.
#[derive(Debug, Clone, PartialEq)]
pub enum Args {
    /// The exec form: a JSON array of strings.
    Json(Vec<String>),
    /// Anything else, as written (trimmed).
    Text(String),
}

/// A here-document: the body of `<<NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct Heredoc {
    pub name: String,
    /// Its lines, each ending in `\n`.
    pub content: String,
    /// False when the name was quoted (`<<"EOF"`): no substitution.
    pub expand: bool,
}

/// A Dockerfile error: `Dockerfile:7: unknown instruction: RUNN`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    pub file: String,
    /// 0 when the error is about the whole file.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Every instruction the reference knows.
pub const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

fn allowed_flags(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "FROM" => &["platform"],
        "COPY" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD" => &[
            "chown",
            "chmod",
            "checksum",
            "keep-git-dir",
            "link",
            "exclude",
            "unpack",
        ],
        "RUN" => &["mount", "network", "security", "device"],
        "HEALTHCHECK" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

/// Parses a whole Dockerfile; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Dockerfile, ParseError> {
    let err = |line: usize, message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut escape = '\\';
    let mut idx = 0;
    let mut seen = Vec::new();
    // Parser directives: only at the very top, before any comment, blank
    // line or instruction.
    while idx < lines.len() {
        let Some((key, value)) = directive(lines[idx]) else {
            break;
        };
        if seen.contains(&key) {
            return Err(err(
                idx + 1,
                format!("only one {key} parser directive can be used"),
            ));
        }
        if key == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                v => {
                    return Err(err(
                        idx + 1,
                        format!("invalid escape token '{v}' does not match ` or \\"),
                    ))
                }
            };
        }
        seen.push(key);
        idx += 1;
    }
    let mut instructions = Vec::new();
    while idx < lines.len() {
        let trimmed = lines[idx].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            idx += 1;
            continue;
        }
        let start = idx + 1;
        let mut logical = String::new();
        loop {
            let l = lines[idx].trim_end();
            idx += 1;
            match l.strip_suffix(escape) {
                Some(head) if !ends_escaped(head, escape) => {
                    logical.push_str(head);
                    // Comment and blank lines inside a continuation vanish.
                    while idx < lines.len() {
                        let t = lines[idx].trim();
                        if t.is_empty() || t.starts_with('#') {
                            idx += 1;
                        } else {
                            break;
                        }
                    }
                    if idx >= lines.len() {
                        break;
                    }
                }
                _ => {
                    logical.push_str(l);
                    break;
                }
            }
        }
        let mut ins = parse_instruction(file, start, logical.trim(), escape)?;
        if matches!(ins.keyword.as_str(), "RUN" | "COPY" | "ADD") {
            let text = match &ins.args {
                Args::Text(t) => t.clone(),
                Args::Json(_) => String::new(),
            };
            for (name, strip_tabs, expand) in heredoc_markers(&text) {
                let mut content = String::new();
                let mut closed = false;
                while idx < lines.len() {
                    let raw = lines[idx];
                    idx += 1;
                    let l = if strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if l == name {
                        closed = true;
                        break;
                    }
                    content.push_str(l);
                    content.push('\n');
                }
                if !closed {
                    return Err(err(
                        start,
                        format!("{}: unterminated heredoc <<{name}", ins.keyword),
                    ));
                }
                ins.heredocs.push(Heredoc {
                    name,
                    content,
                    expand,
                });
            }
        }
        instructions.push(ins);
    }
    if instructions.is_empty() {
        return Err(err(0, "the Dockerfile cannot be empty".into()));
    }
    if let Some(first) = instructions.iter().find(|i| i.keyword != "ARG") {
        if first.keyword != "FROM" {
            return Err(err(
                first.line,
                format!(
                    "{}: no build stage in current context (the first instruction must be FROM)",
                    first.keyword
                ),
            ));
        }
    } else {
        return Err(err(
            0,
            "no FROM instruction: the Dockerfile has no build stage".into(),
        ));
    }
    Ok(Dockerfile {
        escape,
        instructions,
    })
}

/// Whether the text before a trailing escape ends in an escaped escape
/// (`foo \\` is not a continuation).
fn ends_escaped(head: &str, escape: char) -> bool {
    head.chars().rev().take_while(|&c| c == escape).count() % 2 == 1
}

/// `# key=value` at the top of the file, for a known or well-formed key.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    if k.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim().to_string()))
}

/// One logical line (an `ONBUILD` trigger too) as an instruction.
pub fn parse_instruction(
    file: &str,
    line: usize,
    text: &str,
    escape: char,
) -> Result<Instruction, ParseError> {
    let err = |message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let (word, rest) = match text.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (text, ""),
    };
    let keyword = word.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(err(format!("unknown instruction: {word}")));
    }
    let mut rest = rest;
    let mut flags = Vec::new();
    if keyword != "ONBUILD" {
        while let Some(f) = rest.strip_prefix("--") {
            let (flag, tail) = f.split_once(char::is_whitespace).unwrap_or((f, ""));
            let name = flag.split_once('=').map(|(n, _)| n).unwrap_or(flag);
            if !allowed_flags(&keyword).contains(&name) {
                return Err(err(format!("{keyword}: unknown flag: --{name}")));
            }
            flags.push(format!("--{flag}"));
            rest = tail.trim_start();
        }
    }
    let json_forms = ["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"];
    let args = match (
        json_forms.contains(&keyword.as_str()),
        rest.starts_with('['),
    ) {
        (true, true) => match serde_json::from_str::<Vec<String>>(rest) {
            Ok(v) => Args::Json(v),
            Err(_) => Args::Text(rest.to_string()),
        },
        _ => Args::Text(rest.to_string()),
    };
    let empty = matches!(&args, Args::Text(t) if t.is_empty());
    match keyword.as_str() {
        "SHELL" => match &args {
            Args::Json(v) if !v.is_empty() => {}
            Args::Json(_) => return Err(err("SHELL requires at least one argument".into())),
            Args::Text(_) => {
                return Err(err("SHELL requires the arguments to be in JSON form".into()))
            }
        },
        "COPY" | "ADD" => {
            let n = match &args {
                Args::Json(v) => v.len(),
                Args::Text(t) => crate::lex::split_raw(t, escape)
                    .map_err(|e| err(format!("{keyword}: {e}")))?
                    .len(),
            };
            if n < 2 {
                return Err(err(format!(
                    "{keyword} requires at least two arguments, but only {n} provided"
                )));
            }
        }
        "ONBUILD" => {
            if empty {
                return Err(err("ONBUILD requires at least one argument".into()));
            }
            let inner = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            if matches!(inner.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
                return Err(err(format!("{inner} isn't allowed as an ONBUILD trigger")));
            }
            parse_instruction(file, line, rest, escape)?;
        }
        "CMD" | "ENTRYPOINT" | "RUN" => {
            if empty {
                return Err(err(format!("{keyword} requires at least one argument")));
            }
        }
        _ => {
            if empty {
                return Err(err(format!("{keyword} requires at least one argument")));
            }
        }
    }
    Ok(Instruction {
        line,
        keyword,
        flags,
        args,
        heredocs: Vec::new(),
        original: text.to_string(),
    })
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers in the text, outside
/// quotes: (name, strip leading tabs, expand).
fn heredoc_markers(text: &str) -> Vec<(String, bool, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '<'
                && chars.get(i + 1) == Some(&'<')
                && chars.get(i + 2) != Some(&'<') =>
            {
                let mut j = i + 2;
                let strip = chars.get(j) == Some(&'-');
                if strip {
                    j += 1;
                }
                let q = match chars.get(j) {
                    Some(&c @ ('"' | '\'')) => {
                        j += 1;
                        Some(c)
                    }
                    _ => None,
                };
                let s = j;
                while chars
                    .get(j)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
                {
                    j += 1;
                }
                if j > s {
                    let name: String = chars[s..j].iter().collect();
                    if let Some(qc) = q {
                        if chars.get(j) == Some(&qc) {
                            j += 1;
                        }
                    }
                    out.push((name, strip, q.is_none()));
                    i = j;
                    continue;
                }
            }
            None => {}
        }
        i += 1;
    }
    out
}

/// Heredoc markers as they appear in an instruction's text, for callers
/// that replace them (`COPY <<EOF /f`).
pub fn is_heredoc_word(word: &str) -> Option<&str> {
    let w = word.strip_prefix("<<")?;
    let w = w.strip_prefix('-').unwrap_or(w);
    let w = w.trim_matches(|c| c == '"' || c == '\'');
    (!w.is_empty()).then_some(w)
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
