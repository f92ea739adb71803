//! `--format` and `inspect -f`: Docker's Go-template syntax through the
//! `gtmpl` crate, with docker's helper functions (json, upper, lower, join,
//! split, title, truncate, pad, println) and its `table` prefix.

use std::collections::HashMap;

use gtmpl::{Context, FuncError, Template, Value};

use super::UsageError;

/// A parsed `--format` value.
pub struct Format {
    tmpl: Template,
    /// `table ...`: print a header and align columns.
    pub table: bool,
}

impl Format {
    /// Parse a user format (`table` prefix, `\t`/`\n` escapes as docker).
    pub fn parse(raw: &str) -> Result<Format, UsageError> {
        let (table, body) = match raw.strip_prefix("table") {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let body = body
            .trim_matches(' ')
            .replace("\\t", "\t")
            .replace("\\n", "\n");
        let mut tmpl = Template::default();
        add_funcs(&mut tmpl);
        tmpl.parse(body)
            .map_err(|e| UsageError(format!("template parsing error: {e}")))?;
        Ok(Format { tmpl, table })
    }

    /// Render against one JSON object.
    pub fn render(&self, data: &serde_json::Value) -> anyhow::Result<String> {
        self.render_value(to_value(data))
    }

    /// Render against an already converted value.
    pub fn render_value(&self, v: Value) -> anyhow::Result<String> {
        self.tmpl
            .render(&Context::from(v))
            .map_err(|e| anyhow::anyhow!("template: {e}"))
    }
}

/// `table` with no fields means the command's default table.
pub fn is_bare_table(raw: &str) -> bool {
    raw.trim() == "table"
}

/// The template a list command renders: the user's `--format`, where no
/// format or a bare `table` means the command's `default` and `json` means
/// one JSON object per line.
pub fn list_format(user: Option<&str>, default: &str) -> String {
    match user {
        None | Some("") => default.to_string(),
        Some(f) if is_bare_table(f) => default.to_string(),
        Some("json") => "{{json .}}".to_string(),
        Some(f) => f.to_string(),
    }
}

fn add_funcs(t: &mut Template) {
    t.add_func("json", json);
    t.add_func("upper", upper);
    t.add_func("lower", lower);
    t.add_func("title", title);
    t.add_func("join", join);
    t.add_func("split", split);
    t.add_func("truncate", truncate);
    t.add_func("pad", pad);
    t.add_func("println", println);
}

fn str_arg(args: &[Value], i: usize, name: &str) -> Result<String, FuncError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::NoValue) | Some(Value::Nil) => Ok(String::new()),
        Some(v) => Ok(v.to_string()),
        None => Err(FuncError::AtLeastXArgs(name.into(), i + 1)),
    }
}

fn int_arg(args: &[Value], i: usize, name: &str) -> Result<usize, FuncError> {
    match args.get(i) {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| n as usize)
            .ok_or(FuncError::UnableToConvertFromValue),
        _ => Err(FuncError::AtLeastXArgs(name.into(), i + 1)),
    }
}

fn json(args: &[Value]) -> Result<Value, FuncError> {
    let v = args
        .first()
        .ok_or(FuncError::ExactlyXArgs("json".into(), 1))?;
    serde_json::to_string(&from_value(v))
        .map(Value::String)
        .map_err(|e| FuncError::Generic(e.to_string()))
}

fn upper(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(str_arg(args, 0, "upper")?.to_uppercase()))
}

fn lower(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(str_arg(args, 0, "lower")?.to_lowercase()))
}

fn title(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0, "title")?;
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    Ok(Value::String(out))
}

fn join(args: &[Value]) -> Result<Value, FuncError> {
    let sep = str_arg(args, 1, "join")?;
    match args.first() {
        Some(Value::Array(a)) => Ok(Value::String(
            a.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(&sep),
        )),
        Some(Value::NoValue) | Some(Value::Nil) => Ok(Value::String(String::new())),
        Some(v) => Ok(Value::String(v.to_string())),
        None => Err(FuncError::ExactlyXArgs("join".into(), 2)),
    }
}

fn split(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0, "split")?;
    let sep = str_arg(args, 1, "split")?;
    Ok(Value::Array(
        s.split(sep.as_str())
            .map(|p| Value::String(p.into()))
            .collect(),
    ))
}

fn truncate(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0, "truncate")?;
    let n = int_arg(args, 1, "truncate")?;
    Ok(Value::String(s.chars().take(n).collect()))
}

fn pad(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0, "pad")?;
    let l = int_arg(args, 1, "pad")?;
    let r = int_arg(args, 2, "pad")?;
    Ok(Value::String(format!(
        "{}{s}{}",
        " ".repeat(l),
        " ".repeat(r)
    )))
}

fn println(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args.iter().map(|v| v.to_string()).collect();
    Ok(Value::String(format!("{}\n", parts.join(" "))))
}

/// JSON → template value. Objects become maps (a missing key renders as
/// `<no value>`, as with docker's decoded inspect data); integral numbers
/// stay integers so `{{.State.ExitCode}}` prints `0`.
pub fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// Template value → JSON (keys sorted, as Go marshals maps).
pub fn from_value(v: &Value) -> serde_json::Value {
    match v {
        Value::NoValue | Value::Nil | Value::Function(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                n.as_f64()
                    .map(Into::into)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        Value::Array(a) => serde_json::Value::Array(a.iter().map(from_value).collect()),
        Value::Object(m) | Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), from_value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_format_defaults() {
        assert_eq!(list_format(None, "table {{.ID}}"), "table {{.ID}}");
        assert_eq!(
            list_format(Some(" table "), "table {{.ID}}"),
            "table {{.ID}}"
        );
        assert_eq!(list_format(Some("json"), "x"), "{{json .}}");
        assert_eq!(list_format(Some("{{.Name}}"), "x"), "{{.Name}}");
    }

    fn render(f: &str, data: serde_json::Value) -> String {
        Format::parse(f).unwrap().render(&data).unwrap()
    }

    #[test]
    fn fields_and_nesting() {
        let d = json!({"ID": "abc", "Names": "web", "State": {"Status": "running", "ExitCode": 0, "Running": true}});
        assert_eq!(render("{{.Names}}", d.clone()), "web");
        assert_eq!(
            render(
                "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}",
                d.clone()
            ),
            "running 0 true"
        );
        assert_eq!(render("{{.Missing}}", d), "<no value>");
    }

    #[test]
    fn json_func_sorts_keys() {
        let d = json!({"b": 1, "a": "x"});
        assert_eq!(render("{{json .}}", d), r#"{"a":"x","b":1}"#);
        assert_eq!(render("{{json .A}}", json!({"A": [1, 2]})), "[1,2]");
    }

    #[test]
    fn string_funcs() {
        let d = json!({"N": "Web", "L": ["a", "b"], "M": {"k.x": "v"}});
        assert_eq!(render("{{upper .N}} {{lower .N}}", d.clone()), "WEB web");
        assert_eq!(render("{{join .L \",\"}}", d.clone()), "a,b");
        assert_eq!(render("{{index .M \"k.x\"}}", d.clone()), "v");
        assert_eq!(render("{{index .L 1}}", d.clone()), "b");
        assert_eq!(
            render("{{title \"hello world\"}}", d.clone()),
            "Hello World"
        );
        assert_eq!(render("{{truncate .N 2}}", d), "We");
    }

    #[test]
    fn table_prefix_and_escapes() {
        let f = Format::parse("table {{.ID}}\\t{{.Status}}").unwrap();
        assert!(f.table);
        assert_eq!(
            f.render(&json!({"ID": "1", "Status": "Up"})).unwrap(),
            "1\tUp"
        );
        assert!(is_bare_table("table"));
    }

    #[test]
    fn parse_error_is_usage() {
        assert!(Format::parse("{{.ID").is_err());
    }
}

/// Render a list command's rows with a user or default format: `table`
/// formats get a header (the same template rendered over `header`, as
/// docker does) and aligned columns; other formats print one line per row.
pub fn render_list(
    format: &str,
    header: &serde_json::Value,
    rows: &[serde_json::Value],
) -> anyhow::Result<String> {
    let f = Format::parse(format)?;
    let mut out = String::new();
    if f.table {
        out.push_str(&f.render(header)?);
        out.push('\n');
    }
    for r in rows {
        out.push_str(&f.render(r)?);
        out.push('\n');
    }
    Ok(if f.table {
        super::tabwriter::table(&out)
    } else {
        out
    })
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_with_header() {
        let out = render_list(
            "table {{.ID}}\t{{.Names}}",
            &json!({"ID": "CONTAINER ID", "Names": "NAMES"}),
            &[json!({"ID": "abc", "Names": "web"})],
        )
        .unwrap();
        assert_eq!(out, "CONTAINER ID   NAMES\nabc            web\n");
    }

    #[test]
    fn plain_rows() {
        let out = render_list(
            "{{.Names}}",
            &json!({}),
            &[json!({"Names": "a"}), json!({"Names": "b"})],
        )
        .unwrap();
        assert_eq!(out, "a\nb\n");
    }
}
