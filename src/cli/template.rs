//! `--format` and `inspect -f`: Docker's Go-template syntax through the
//! `gtmpl` crate, with docker's helper functions (json, upper, lower, join,
//! split, title, truncate, pad, println) and its `table` prefix. Values are
//! printed as Go prints them (`template_value`): each output action is
//! rewritten to end in `| __goprint`, since gtmpl prints Rust's forms.

use gtmpl::{Context, FuncError, Template, Value};

use super::template_value::{go_print, is_nil_member, to_json, Ordered};
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
        let (table, body) = split_table(raw);
        let mut tmpl = Template::default();
        add_funcs(&mut tmpl);
        tmpl.parse(add_printer(&body))
            .map_err(|e| UsageError(format!("template parsing error: {e}")))?;
        Ok(Format { tmpl, table })
    }

    /// Render against one JSON object.
    pub fn render(&self, data: &serde_json::Value) -> anyhow::Result<String> {
        self.render_value(to_value(data))
    }

    /// Render against a JSON document as the daemon sent it, so structs
    /// print their fields in the daemon's (Go's) order.
    pub fn render_raw(&self, raw: &[u8]) -> anyhow::Result<String> {
        let o: Ordered = serde_json::from_slice(raw)?;
        self.render_value(super::template_value::to_value(&o))
    }

    /// Render against an already converted value.
    pub fn render_value(&self, v: Value) -> anyhow::Result<String> {
        self.tmpl
            .render(&Context::from(v))
            .map_err(|e| anyhow::anyhow!("template: {e}"))
    }
}

/// `table ...` → (true, the rest); spaces trimmed and docker's `\t`/`\n`
/// escapes expanded.
fn split_table(raw: &str) -> (bool, String) {
    let (table, body) = match raw.strip_prefix("table") {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let body = body
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n");
    (table, body)
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

/// Make every output action print its value as Go does: `{{.A}}` becomes
/// `{{.A | __goprint}}`. Control actions (`if`, `range`, `end`, ...),
/// variable declarations and comments are left alone.
pub fn add_printer(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 32);
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = action_end(after) else {
            // Unterminated: let the parser report it.
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        out.push_str("{{");
        out.push_str(&rewrite_action(inner));
        out.push_str("}}");
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Where the action's closing `}}` is, skipping quoted strings and
/// comments.
fn action_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let close = s[i + 2..].find("*/")?;
                i += close + 3;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `.Label "k"` (a method of docker's list rows) becomes `(__label . "k")`.
fn rewrite_label_calls(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find(".Label") {
        let before_ok = i == 0 || rest[..i].ends_with([' ', '(', '\t', '|']);
        let after = &rest[i + ".Label".len()..];
        let arg_start = after.len() - after.trim_start().len();
        let quoted = after[arg_start..].starts_with('"') && arg_start > 0;
        let close = quoted.then(|| after[arg_start + 1..].find('"')).flatten();
        match close {
            Some(c) if before_ok => {
                out.push_str(&rest[..i]);
                let arg = &after[arg_start..arg_start + c + 2];
                out.push_str(&format!("(__label . {arg})"));
                rest = &after[arg_start + c + 2..];
            }
            _ => {
                out.push_str(&rest[..i + ".Label".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `{{.Label "k"}}` on a list row: the value of label `k` from the row's
/// `Labels` text (`a=1,b=2`), or empty.
fn label(args: &[Value]) -> Result<Value, FuncError> {
    let name = str_arg(args, 1, "Label")?;
    let labels = match args.first() {
        Some(Value::Object(m)) | Some(Value::Map(m)) => match m.get("Labels") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let v = labels
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    Ok(Value::String(v))
}

/// `json .A.B` becomes `(__jsonf .A "B")`: the function needs the struct
/// holding `B` to tell a nil slice (`null`) from an empty one (`[]`), since
/// both reach a template function as the same empty list.
fn rewrite_json_fields(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find("json") {
        let before_ok = i == 0 || rest[..i].ends_with([' ', '(', '\t']);
        let after = &rest[i + "json".len()..];
        let arg = after.trim_start();
        let gap = after.len() - arg.len();
        let chain_len = arg
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(arg.len());
        let chain = &arg[..chain_len];
        let simple = chain.len() > 1
            && chain.starts_with('.')
            && !chain.ends_with('.')
            && !chain.contains("..");
        if !(before_ok && gap > 0 && simple) {
            out.push_str(&rest[..i + "json".len()]);
            rest = after;
            continue;
        }
        let (parent, last) = chain.rsplit_once('.').unwrap_or((".", chain));
        let parent = if parent.is_empty() { "." } else { parent };
        out.push_str(&rest[..i]);
        out.push_str(&format!("(__jsonf {parent} \"{last}\")"));
        rest = &arg[chain_len..];
    }
    out.push_str(rest);
    out
}

fn rewrite_action(inner: &str) -> String {
    let rewritten = rewrite_json_fields(&rewrite_label_calls(inner));
    let inner = rewritten.as_str();
    let (lead, body) = match inner.strip_prefix('-') {
        Some(r) if r.starts_with([' ', '\t', '\n', '\r']) => ("-", r),
        _ => ("", inner),
    };
    let (body, trail) = match body.strip_suffix('-') {
        Some(r) if r.ends_with([' ', '\t', '\n', '\r']) => (r, "-"),
        _ => (body, ""),
    };
    let t = body.trim();
    let word = t
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let control = matches!(
        word,
        "if" | "else"
            | "end"
            | "range"
            | "with"
            | "define"
            | "template"
            | "block"
            | "break"
            | "continue"
    );
    let comment = t.starts_with("/*");
    if t.is_empty() || control || comment || is_declaration(t) {
        return inner.to_string();
    }
    format!("{lead} {t} | __goprint {trail}")
}

/// `$x := ...` or `$x = ...`: sets a variable, prints nothing.
fn is_declaration(t: &str) -> bool {
    if !t.starts_with('$') {
        return false;
    }
    let name_end = t[1..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .unwrap_or(t.len());
    let rest = t[name_end..].trim_start();
    rest.starts_with(":=") || (rest.starts_with('=') && !rest.starts_with("=="))
}

fn goprint(args: &[Value]) -> Result<Value, FuncError> {
    let v = args
        .last()
        .ok_or(FuncError::ExactlyXArgs("__goprint".into(), 1))?;
    Ok(Value::String(go_print(v)))
}

fn add_funcs(t: &mut Template) {
    t.add_func("__goprint", goprint);
    t.add_func("__label", label);
    t.add_func("json", json);
    t.add_func("__jsonf", json_field);
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
        Some(v) => Ok(go_print(v)),
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
    Ok(Value::String(to_json(v)))
}

/// `json` of a struct's field, `null` where the field is a nil slice or map.
fn json_field(args: &[Value]) -> Result<Value, FuncError> {
    let (Some(parent), Some(Value::String(name))) = (args.first(), args.get(1)) else {
        return Err(FuncError::ExactlyXArgs("json".into(), 1));
    };
    if is_nil_member(parent, name) {
        return Ok(Value::String("null".into()));
    }
    match parent {
        Value::Map(m) => Ok(Value::String(to_json(
            m.get(name).unwrap_or(&Value::NoValue),
        ))),
        Value::Object(m) => match m.get(name) {
            Some(v) => Ok(Value::String(to_json(v))),
            None => Err(FuncError::Generic(format!("can't evaluate field {name}"))),
        },
        _ => Err(FuncError::Generic(format!(
            "can't evaluate field {name} in type {}",
            go_print(parent)
        ))),
    }
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
            a.iter().map(go_print).collect::<Vec<_>>().join(&sep),
        )),
        Some(Value::NoValue) | Some(Value::Nil) => Ok(Value::String(String::new())),
        Some(v) => Ok(Value::String(go_print(v))),
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
    let parts: Vec<String> = args.iter().map(go_print).collect();
    Ok(Value::String(format!("{}\n", parts.join(" "))))
}

/// JSON → template value (see `template_value`: maps and structs print
/// as Go prints them; a missing key renders as `<no value>`).
pub fn to_value(v: &serde_json::Value) -> Value {
    super::template_value::to_value(&Ordered::from(v))
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

    #[test]
    fn an_unfinished_trim_marker_is_an_error_not_a_hang() {
        for f in ["{{-", "x {{-", "{{.😀}}"] {
            assert!(Format::parse(f).is_err(), "{f}");
        }
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
        // docker's templates fail on a field the object does not have
        assert!(Format::parse("{{.Missing}}").unwrap().render(&d).is_err());
    }

    #[test]
    fn json_func_sorts_keys() {
        let d = json!({"b": 1, "a": "x"});
        assert_eq!(render("{{json .}}", d), r#"{"a":"x","b":1}"#);
        assert_eq!(render("{{json .A}}", json!({"A": [1, 2]})), "[1,2]");
    }

    fn render_raw(f: &str, raw: &str) -> String {
        Format::parse(f)
            .unwrap()
            .render_raw(raw.as_bytes())
            .unwrap()
    }

    #[test]
    fn range_over_a_map_is_sorted() {
        let raw = r#"{"Config":{"Labels":{"zz":"1","b":"2","a":"3","m":"4","c":"5","q":"6"}}}"#;
        for _ in 0..20 {
            assert_eq!(
                render_raw(
                    "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}",
                    raw
                ),
                "a=3 b=2 c=5 m=4 q=6 zz=1 "
            );
        }
    }

    #[test]
    fn json_of_a_nil_slice_is_null() {
        let raw =
            r#"{"Config":{"Cmd":["sh"],"Entrypoint":null,"Env":[]},"HostConfig":{"Binds":null}}"#;
        assert_eq!(render_raw("{{json .Config.Entrypoint}}", raw), "null");
        assert_eq!(render_raw("{{.Config.Entrypoint}}", raw), "[]");
        assert_eq!(render_raw("{{json .Config.Env}}", raw), "[]");
        assert_eq!(render_raw("{{json .Config.Cmd}}", raw), r#"["sh"]"#);
        assert_eq!(render_raw("{{json .HostConfig.Binds}}", raw), "null");
        assert_eq!(
            render_raw("{{json .Config}}", raw),
            r#"{"Cmd":["sh"],"Entrypoint":null,"Env":[]}"#
        );
        assert_eq!(
            render_raw("{{ json .HostConfig }}", raw),
            r#"{"Binds":null}"#
        );
        // a field chain inside other words is left alone
        assert_eq!(render_raw("{{.Config.Cmd}} jsonx", raw), "[sh] jsonx");
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
    let (table, body) = split_table(format);
    if let Some(out) = super::template_plain::render(&body, table, header, rows) {
        return Ok(if table {
            super::tabwriter::table(&out)
        } else {
            out
        });
    }
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

#[cfg(test)]
mod go_tests {
    use super::*;
    use serde_json::json;

    fn render(f: &str, data: serde_json::Value) -> String {
        Format::parse(f).unwrap().render(&data).unwrap()
    }

    #[test]
    fn printer_is_added_to_output_actions_only() {
        assert_eq!(add_printer("{{.A}}"), "{{ .A | __goprint }}");
        assert_eq!(
            add_printer("{{- .A -}} x {{if .B}}y{{else}}z{{end}}"),
            "{{- .A | __goprint -}} x {{if .B}}y{{else}}z{{end}}"
        );
        assert_eq!(
            add_printer("{{$x := .A}}{{$x}}"),
            "{{$x := .A}}{{ $x | __goprint }}"
        );
        assert_eq!(add_printer("{{/* c */}}"), "{{/* c */}}");
        assert_eq!(
            add_printer(r#"{{.Label "a"}} {{.Labels}}"#),
            r#"{{ (__label . "a") | __goprint }} {{ .Labels | __goprint }}"#
        );
        assert_eq!(
            add_printer(r#"{{index .L "}}"}}"#),
            r#"{{ index .L "}}" | __goprint }}"#
        );
    }

    #[test]
    fn go_forms() {
        let d =
            json!({"Cmd": ["sh", "-c", "x"], "Labels": {"b": "2", "a": "1"}, "N": null, "E": []});
        assert_eq!(render("{{.Cmd}}", d.clone()), "[sh -c x]");
        assert_eq!(render("{{.Labels}}", d.clone()), "map[a:1 b:2]");
        assert_eq!(render("{{.N}}", d.clone()), "<nil>");
        assert!(Format::parse("{{.Missing}}").unwrap().render(&d).is_err());
        assert_eq!(render("{{.Labels.zz}}", d.clone()), "<no value>");
        assert_eq!(render("{{.E}}", d.clone()), "[]");
        assert_eq!(render("{{len .Cmd}}", d.clone()), "3");
        assert_eq!(render("{{index .Cmd 1}}", d.clone()), "-c");
        assert_eq!(
            render("{{range .Cmd}}<{{.}}>{{end}}", d.clone()),
            "<sh><-c><x>"
        );
        assert_eq!(
            render(
                r#"{{if eq (index .Labels "a") "1"}}yes{{else}}no{{end}}"#,
                d.clone()
            ),
            "yes"
        );
        assert_eq!(render(r#"{{ne "a" "b"}}"#, d.clone()), "true");
        assert_eq!(render(r#"{{split "a,b" ","}}"#, d.clone()), "[a b]");
        assert_eq!(render(r#"{{join .Cmd " "}}"#, d.clone()), "sh -c x");
        assert_eq!(render(r#"{{println "a" 1}}"#, d.clone()), "a 1\n");
        assert_eq!(render(r#"{{pad "x" 1 2}}|"#, d.clone()), " x  |");
        assert_eq!(render("{{json .Labels}}", d), r#"{"a":"1","b":"2"}"#);
        let row = json!({"Names": "x", "Labels": "a=1,b=2"});
        assert_eq!(render(r#"{{.Label "b"}}|{{.Label "z"}}"#, row), "2|");
    }
}

#[cfg(test)]
#[path = "template_fuzz_tests.rs"]
mod fuzz_tests;
