//! `compose config`'s text, byte for byte as Docker Compose v2 prints it
//! (compose-go's types through Go's `encoding/json` or `yaml.v3` with an
//! indent of 2): struct fields in the Go structs' order, maps sorted,
//! defaults filled (`build.dockerfile`, `depends_on.required`, network
//! and volume names), `$` escaped as `$$`. JSON is `json.MarshalIndent`
//! of a map (so the top level is sorted); YAML keeps the struct order and
//! inlines `x-` extensions at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::dockerjson::{self, Mode, J};
use crate::model::{FileObject, Network, Project, Volume};

fn s(v: &str) -> J {
    J::Str(v.to_string())
}

fn smap(m: &BTreeMap<String, String>) -> J {
    J::Map(m.iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

/// A free-form value (an `x-` extension, `ipam`) with its maps sorted, as
/// Go's encoders print a `map[string]any`.
fn any(v: &serde_json::Value) -> J {
    match v {
        serde_json::Value::Null => J::Null,
        serde_json::Value::Bool(b) => J::Bool(*b),
        serde_json::Value::Number(n) => J::Num(n.to_string()),
        serde_json::Value::String(x) => s(x),
        serde_json::Value::Array(a) => J::Arr(a.iter().map(any).collect()),
        serde_json::Value::Object(o) => {
            let mut kv: Vec<(String, J)> = o.iter().map(|(k, v)| (k.clone(), any(v))).collect();
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            J::Map(kv)
        }
    }
}

fn network(n: &Network, mode: Mode) -> J {
    let mut o: Vec<(&'static str, J)> = Vec::new();
    if let Some(x) = &n.name {
        o.push(("name", s(x)));
    }
    if let Some(x) = &n.driver {
        o.push(("driver", s(x)));
    }
    if !n.driver_opts.is_empty() {
        o.push(("driver_opts", smap(&n.driver_opts)));
    }
    let mut ipam: Vec<(&'static str, J)> = Vec::new();
    if let Some(v) = &n.ipam {
        if let Some(d) = v.get("driver").and_then(|d| d.as_str()) {
            ipam.push(("driver", s(d)));
        }
        if let Some(pools) = v.get("config").and_then(|c| c.as_array()) {
            let pools = pools
                .iter()
                .map(|p| {
                    let mut x: Vec<(&'static str, J)> = Vec::new();
                    for k in ["subnet", "gateway", "ip_range"] {
                        if let Some(v) = p.get(k).and_then(|v| v.as_str()) {
                            x.push((k, s(v)));
                        }
                    }
                    if let Some(a) = p.get("aux_addresses") {
                        x.push(("aux_addresses", any(a)));
                    }
                    J::Obj(x)
                })
                .collect();
            ipam.push(("config", J::Arr(pools)));
        }
    }
    // `ipam` is a struct: always in JSON, left out of YAML when empty
    if mode == Mode::Json || !ipam.is_empty() {
        o.push(("ipam", J::Obj(ipam)));
    }
    if n.external == Some(true) {
        o.push(("external", J::Bool(true)));
    }
    if n.internal == Some(true) {
        o.push(("internal", J::Bool(true)));
    }
    if n.attachable == Some(true) {
        o.push(("attachable", J::Bool(true)));
    }
    if !n.labels.is_empty() {
        o.push(("labels", smap(&n.labels)));
    }
    if let Some(b) = n.enable_ipv6 {
        o.push(("enable_ipv6", J::Bool(b)));
    }
    J::Obj(o)
}

fn volume(v: &Volume) -> J {
    let mut o: Vec<(&'static str, J)> = Vec::new();
    if let Some(x) = &v.name {
        o.push(("name", s(x)));
    }
    if let Some(x) = &v.driver {
        o.push(("driver", s(x)));
    }
    if !v.driver_opts.is_empty() {
        o.push(("driver_opts", smap(&v.driver_opts)));
    }
    if v.external == Some(true) {
        o.push(("external", J::Bool(true)));
    }
    if !v.labels.is_empty() {
        o.push(("labels", smap(&v.labels)));
    }
    J::Obj(o)
}

fn file_object(f: &FileObject) -> J {
    let mut o: Vec<(&'static str, J)> = Vec::new();
    for (k, v) in [
        ("name", &f.name),
        ("file", &f.file),
        ("environment", &f.environment),
        ("content", &f.content),
    ] {
        if let Some(v) = v {
            o.push((k, s(v)));
        }
    }
    if f.external == Some(true) {
        o.push(("external", J::Bool(true)));
    }
    J::Obj(o)
}

fn with_extensions(v: J, ext: &BTreeMap<String, serde_json::Value>) -> J {
    if ext.is_empty() {
        return v;
    }
    let mut kv: Vec<(String, J)> = match v {
        J::Obj(o) => o.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        J::Map(m) => m,
        other => return other,
    };
    kv.extend(ext.iter().map(|(k, v)| (k.clone(), any(v))));
    J::Map(kv)
}

fn named<T>(m: &BTreeMap<&String, &T>, f: impl Fn(&T) -> J) -> J {
    J::Map(m.iter().map(|(k, v)| ((*k).clone(), f(v))).collect())
}

/// The whole project as `config` prints it.
fn project(p: &Project, mode: Mode) -> J {
    let services = J::Map(
        p.services
            .iter()
            .map(|(n, svc)| {
                let v = dockerjson::service(svc, mode);
                // service extensions are `json:"-"`: YAML only
                let v = if mode == Mode::Yaml {
                    with_extensions(v, &svc.extensions)
                } else {
                    v
                };
                (n.clone(), v)
            })
            .collect(),
    );
    let mut kv: Vec<(String, J)> = vec![("name".into(), s(&p.name)), ("services".into(), services)];
    // resources no enabled service uses are left out, as Compose does
    let svcs = || p.services.values();
    let used_net = |k: &String| svcs().any(|s| s.networks.contains_key(k));
    let used_vol = |k: &String| {
        svcs().any(|s| {
            s.volumes
                .iter()
                .any(|v| v.kind == "volume" && v.source.as_ref() == Some(k))
        })
    };
    let used_secret = |k: &String| svcs().any(|s| s.secrets.iter().any(|r| &r.source == k));
    let used_config = |k: &String| svcs().any(|s| s.configs.iter().any(|r| &r.source == k));
    let networks: BTreeMap<_, _> = p.networks.iter().filter(|(k, _)| used_net(k)).collect();
    let volumes: BTreeMap<_, _> = p.volumes.iter().filter(|(k, _)| used_vol(k)).collect();
    let secrets: BTreeMap<_, _> = p.secrets.iter().filter(|(k, _)| used_secret(k)).collect();
    let configs: BTreeMap<_, _> = p.configs.iter().filter(|(k, _)| used_config(k)).collect();
    if !networks.is_empty() {
        kv.push(("networks".into(), named(&networks, |n| network(n, mode))));
    }
    if !volumes.is_empty() {
        kv.push(("volumes".into(), named(&volumes, volume)));
    }
    if !secrets.is_empty() {
        kv.push(("secrets".into(), named(&secrets, file_object)));
    }
    if !configs.is_empty() {
        kv.push(("configs".into(), named(&configs, file_object)));
    }
    kv.extend(p.extensions.iter().map(|(k, v)| (k.clone(), any(v))));
    if mode == Mode::Json {
        // `MarshalJSON` builds a map: sorted
        kv.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut v = J::Map(kv);
    escape_dollars(&mut v);
    v
}

/// Values are printed with `$` as `$$`, so the output loads back to the
/// same model.
fn escape_dollars(v: &mut J) {
    match v {
        J::Str(x) if x.contains('$') => *x = x.replace('$', "$$"),
        J::Arr(a) => a.iter_mut().for_each(escape_dollars),
        J::Obj(o) => o.iter_mut().for_each(|(_, v)| escape_dollars(v)),
        J::Map(o) => o.iter_mut().for_each(|(_, v)| escape_dollars(v)),
        _ => {}
    }
}

/// `config --format json`: `json.MarshalIndent(m, "", "  ")`.
pub fn to_json(p: &Project) -> String {
    let mut out = String::new();
    json(&mut out, &project(p, Mode::Json), 0);
    out
}

fn json(out: &mut String, v: &J, ind: usize) {
    let entries: Vec<(&str, &J)> = match v {
        J::Obj(o) => o.iter().map(|(k, v)| (*k, v)).collect(),
        J::Map(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        J::Arr(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, ind + 2);
                json(out, x, ind + 2);
            }
            newline(out, ind);
            out.push(']');
            return;
        }
        scalar => {
            dockerjson::write(out, scalar);
            return;
        }
    };
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (k, x)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, ind + 2);
        dockerjson::string(out, k);
        out.push_str(": ");
        json(out, x, ind + 2);
    }
    newline(out, ind);
    out.push('}');
}

fn newline(out: &mut String, ind: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', ind));
}

/// `config` (YAML): yaml.v3's encoder with `SetIndent(2)`.
pub fn to_yaml(p: &Project) -> String {
    let mut out = String::new();
    let v = project(p, Mode::Yaml);
    yaml_map(&mut out, &entries(&v), 0);
    out
}

fn entries(v: &J) -> Vec<(&str, &J)> {
    match v {
        J::Obj(o) => o.iter().map(|(k, v)| (*k, v)).collect(),
        J::Map(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => Vec::new(),
    }
}

fn is_block(v: &J) -> bool {
    match v {
        J::Obj(o) => !o.is_empty(),
        J::Map(m) => !m.is_empty(),
        J::Arr(a) => !a.is_empty(),
        _ => false,
    }
}

/// Mapping entries, each at `ind`; the first one's indentation already
/// written by the caller when it follows a sequence's `- `.
fn yaml_map(out: &mut String, kv: &[(&str, &J)], ind: usize) {
    for (i, (k, v)) in kv.iter().enumerate() {
        if i > 0 {
            out.extend(std::iter::repeat_n(' ', ind));
        }
        scalar(out, k, ind, true);
        out.push(':');
        yaml_value(out, v, ind);
    }
}

/// A value after `key:` (the key at `ind`).
fn yaml_value(out: &mut String, v: &J, ind: usize) {
    match v {
        J::Arr(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(out, a, ind + 2);
        }
        v if is_block(v) => {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', ind + 2));
            yaml_map(out, &entries(v), ind + 2);
        }
        v => {
            out.push(' ');
            yaml_scalar(out, v, ind);
            out.push('\n');
        }
    }
}

/// Sequence items, `- ` at `ind`.
fn yaml_seq(out: &mut String, a: &[J], ind: usize) {
    for x in a {
        out.extend(std::iter::repeat_n(' ', ind));
        out.push_str("- ");
        match x {
            J::Arr(b) if !b.is_empty() => {
                // a sequence in a sequence starts on the same line
                let mut first = String::new();
                yaml_seq(&mut first, b, ind + 2);
                out.push_str(first.trim_start());
            }
            x if is_block(x) => yaml_map(out, &entries(x), ind + 2),
            x => {
                yaml_scalar(out, x, ind);
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(out: &mut String, v: &J, ind: usize) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(x) => scalar(out, x, ind, false),
        J::Arr(_) => out.push_str("[]"),
        J::Obj(_) | J::Map(_) => out.push_str("{}"),
    }
}

/// A string as yaml.v3 writes it: plain when it reads back as the same
/// string, else double-quoted when it would read as another type, single-
/// quoted when only YAML's indicators forbid plain, a literal block when
/// it has line breaks.
fn scalar(out: &mut String, v: &str, ind: usize, key: bool) {
    let a = analyze(v);
    if v.contains('\n') && !key {
        if a.block_allowed {
            literal(out, v, ind);
        } else {
            double(out, v);
        }
        return;
    }
    if !resolves_to_str(v) {
        double(out, v);
        return;
    }
    if a.plain_allowed && !(v.is_empty() && key) {
        out.push_str(v);
    } else if a.single_allowed {
        out.push('\'');
        out.push_str(&v.replace('\'', "''"));
        out.push('\'');
    } else {
        double(out, v);
    }
}

fn literal(out: &mut String, v: &str, ind: usize) {
    out.push('|');
    if v.starts_with(' ') || v.starts_with('\n') {
        out.push('2');
    }
    let trailing = v.len() - v.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = if trailing == 1 { &v[..v.len() - 1] } else { v };
    let body = body.strip_suffix('\n').map_or(body, |b| b);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', ind + 2));
            out.push_str(line);
        }
    }
    if trailing > 1 {
        for _ in 0..trailing - 1 {
            out.push('\n');
        }
    }
}

fn double(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Analysis {
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

/// yaml.v3's `yaml_emitter_analyze_scalar`, block context.
fn analyze(v: &str) -> Analysis {
    if v.is_empty() {
        return Analysis {
            plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let b: Vec<char> = v.chars().collect();
    let mut block_ind = v.starts_with("---") || v.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let blank = |c: char| c == ' ' || c == '\t';
    for (i, &c) in b.iter().enumerate() {
        let followed_by_ws = i + 1 >= b.len() || blank(b[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' | '-' if followed_by_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_ind = true,
                '#' if preceded_by_ws => block_ind = true,
                _ => {}
            }
        }
        let printable = matches!(c, '\t' | '\n' | '\r')
            || (c >= ' ' && c != '\u{7f}' && !('\u{80}'..='\u{9f}').contains(&c))
                && c != '\u{feff}'
                && c != '\u{fffe}'
                && c != '\u{ffff}';
        if c == '\t' {
            tabs = true;
        } else if !printable {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == b.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == b.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = blank(c) || matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    }
    let mut a = Analysis {
        plain_allowed: true,
        single_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || tabs || special {
        a.plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_ind {
        a.plain_allowed = false;
    }
    a
}

/// Whether yaml.v3 reads the plain text back as a string (not null, a
/// bool, a number, a timestamp, an old-style bool or a base-60 float).
fn resolves_to_str(v: &str) -> bool {
    const OTHER: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF", "<<",
    ];
    const OLD_BOOL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
        "OFF",
    ];
    if OTHER.contains(&v) || OLD_BOOL.contains(&v) || base60(v) {
        return false;
    }
    let first = v.chars().next().unwrap_or(' ');
    if first == '.' {
        return v.parse::<f64>().is_err();
    }
    if !(first.is_ascii_digit() || first == '+' || first == '-') {
        return true;
    }
    if timestamp(v) {
        return false;
    }
    let plain = v.replace('_', "");
    !(go_int(&plain) || yaml_float(&plain))
}

/// `strconv.ParseInt(s, 0, 64)` / `ParseUint` succeeding, or the `0b`/`0o`
/// forms yaml.v3 accepts.
fn go_int(s: &str) -> bool {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let _ = neg;
    if body.is_empty() {
        return false;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    !digits.is_empty() && u128::from_str_radix(digits, radix).is_ok_and(|n| n <= u64::MAX as u128)
}

fn yaml_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mant, exp) = match b.find(['e', 'E']) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    let mant_ok = if let Some(f) = mant.strip_prefix('.') {
        digits(f)
    } else {
        match mant.split_once('.') {
            Some((i, f)) => digits(i) && (f.is_empty() || digits(f)),
            None => digits(mant),
        }
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mant_ok && exp_ok
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn base60(v: &str) -> bool {
    let b = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (main, frac) = match b.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (b, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|c| c.is_ascii_digit() || c == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let ok = match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

/// The timestamp forms yaml.v3 resolves: four digits and a `-` first,
/// then a date, optionally a time.
fn timestamp(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match v.find(['T', 't', ' ']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let d: Vec<&str> = date.split('-').collect();
    let num = |x: &str, max: usize| {
        !x.is_empty() && x.len() <= max && x.bytes().all(|c| c.is_ascii_digit())
    };
    if d.len() != 3 || d[0].len() != 4 || !num(d[1], 2) || !num(d[2], 2) {
        return false;
    }
    let (m, dd): (u32, u32) = (d[1].parse().unwrap_or(0), d[2].parse().unwrap_or(0));
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_end_matches('Z');
            let t = t.split(['+', '-']).next().unwrap_or(t);
            let hms: Vec<&str> = t.split(':').collect();
            hms.len() == 3
                && num(hms[0], 2)
                && num(hms[1], 2)
                && num(hms[2].split('.').next().unwrap_or(""), 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: &str) -> String {
        let mut o = String::new();
        scalar(&mut o, v, 0, false);
        o
    }

    #[test]
    fn quoting_as_yaml_v3() {
        for (v, want) in [
            ("busybox", "busybox"),
            ("10", "\"10\""),
            ("1.0", "\"1.0\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("", "\"\""),
            ("8000:80", "8000:80"),
            ("1:30", "\"1:30\""),
            ("127.0.0.1:8000:80", "127.0.0.1:8000:80"),
            ("a: b", "'a: b'"),
            ("*x", "'*x'"),
            ("0x1F", "\"0x1F\""),
            ("1e3", "\"1e3\""),
            ("2001-01-02", "\"2001-01-02\""),
            ("a\tb", "\"a\\tb\""),
            ("-x", "-x"),
            ("- x", "'- x'"),
            ("it's", "it's"),
            ("#x", "'#x'"),
        ] {
            assert_eq!(q(v), want, "{v:?}");
        }
    }
}
