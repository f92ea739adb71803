//! Template data as Go's `text/template` sees docker's objects, and Go's
//! way of printing it (`fmt.Print`'s `%v`): slices `[a b]`, maps
//! `map[k:v]` with sorted keys, structs `{v1 v2}` in field order, nil
//! pointers `<nil>`, missing map keys `<no value>`.
//!
//! JSON does not say which objects were Go structs and which maps, nor the
//! type of a `null`; docker's API types do, so the few map- and
//! slice-typed field names are listed here. A struct keeps its field order
//! in a hidden member ([`ORDER_KEY`]).

use std::collections::HashMap;

use gtmpl::Value;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Hidden member of a struct value: its field names in order.
pub const ORDER_KEY: &str = "\u{1}order";

/// Hidden member of a struct value: the fields that are nil slices or maps.
/// Go prints a nil slice `[]` like an empty one, but `json` writes `null`.
pub const NILS_KEY: &str = "\u{1}nils";

/// Fields whose Go type is a map (`map[string]string`, `nat.PortMap`, ...).
const MAP_FIELDS: &[&str] = &[
    "Labels",
    "Options",
    "DriverOpts",
    "Data",
    "Sysctls",
    "Tmpfs",
    "StorageOpt",
    "ExposedPorts",
    "Volumes",
    "PortBindings",
    "Ports",
    "Networks",
    "Attributes",
    "Annotations",
    "Containers",
    "BuildArgs",
    "DriverStatus",
];

/// Fields whose Go type is a slice, so `null` prints `[]`.
const SLICE_FIELDS: &[&str] = &[
    "Cmd",
    "Entrypoint",
    "Env",
    "Binds",
    "Links",
    "Mounts",
    "CapAdd",
    "CapDrop",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "SecurityOpt",
    "Devices",
    "DeviceCgroupRules",
    "DeviceRequests",
    "Ulimits",
    "Aliases",
    "Layers",
    "RepoTags",
    "RepoDigests",
    "ExecIDs",
    "Args",
    "VolumesFrom",
    "OnBuild",
    "Shell",
    "Warnings",
    "ConsoleSize",
    "DNSNames",
    "Names",
    "Log",
    "BlkioWeightDevice",
    "MaskedPaths",
    "ReadonlyPaths",
];

/// JSON parsed with object member order kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_none<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Ordered, E> {
                Ok(serde_json::Number::from_f64(n)
                    .map(Ordered::Number)
                    .unwrap_or(Ordered::Null))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Ordered, E> {
                Ok(Ordered::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, Ordered>()? {
                    v.push((k, x));
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Ordered {
    /// Back to a `serde_json::Value` (member order is lost).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Ordered::Null => serde_json::Value::Null,
            Ordered::Bool(b) => serde_json::Value::Bool(*b),
            Ordered::Number(n) => serde_json::Value::Number(n.clone()),
            Ordered::String(s) => serde_json::Value::String(s.clone()),
            Ordered::Array(a) => serde_json::Value::Array(a.iter().map(Ordered::to_json).collect()),
            Ordered::Object(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

impl From<&serde_json::Value> for Ordered {
    fn from(v: &serde_json::Value) -> Ordered {
        match v {
            serde_json::Value::Null => Ordered::Null,
            serde_json::Value::Bool(b) => Ordered::Bool(*b),
            serde_json::Value::Number(n) => Ordered::Number(n.clone()),
            serde_json::Value::String(s) => Ordered::String(s.clone()),
            serde_json::Value::Array(a) => Ordered::Array(a.iter().map(Ordered::from).collect()),
            serde_json::Value::Object(o) => {
                Ordered::Object(o.iter().map(|(k, v)| (k.clone(), v.into())).collect())
            }
        }
    }
}

/// Whether an object under `key` is a Go map rather than a struct.
fn is_map(key: Option<&str>, parent: Option<&str>, members: &[(String, Ordered)]) -> bool {
    if let Some(k) = key {
        // LogConfig.Config is map[string]string; the top Config a struct.
        if k == "Config" && parent == Some("LogConfig") {
            return true;
        }
        if MAP_FIELDS.contains(&k) {
            return true;
        }
    }
    // A struct's members are identifiers, at least one of them exported
    // (events mix `Type` with `scope`, `timeNano`); anything else is a map.
    let idents = members.iter().all(|(k, _)| {
        k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let exported = members
        .iter()
        .any(|(k, _)| k.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
    !(idents && exported) || members.is_empty() && key.is_none()
}

/// The Go field name of a struct member sent under a lowercase JSON name
/// (`scope` → `Scope`, `id` → `ID`, `timeNano` → `TimeNano`).
fn go_field_name(json: &str) -> Option<String> {
    // Docker's Go fields whose JSON name differs in more than case:
    // `types.Version.APIVersion` is sent as `ApiVersion`, and the inspect
    // structs' `ID` as `Id`.
    match json {
        "ApiVersion" => return Some("APIVersion".into()),
        "Id" => return Some("ID".into()),
        _ => {}
    }
    let first = json.chars().next()?;
    if !first.is_ascii_lowercase() {
        return None;
    }
    if json == "id" {
        return Some("ID".into());
    }
    let mut out = first.to_ascii_uppercase().to_string();
    out.push_str(&json[first.len_utf8()..]);
    Some(out)
}

/// Ordered JSON → template value.
pub fn to_value(v: &Ordered) -> Value {
    convert(v, None, None)
}

fn convert(v: &Ordered, key: Option<&str>, parent: Option<&str>) -> Value {
    match v {
        Ordered::Null => match key {
            Some(k) if SLICE_FIELDS.contains(&k) => Value::Array(Vec::new()),
            Some(k) if MAP_FIELDS.contains(&k) => Value::Map(HashMap::new()),
            Some("Config") if parent == Some("LogConfig") => Value::Map(HashMap::new()),
            _ => Value::Nil,
        },
        Ordered::Bool(b) => Value::Bool(*b),
        Ordered::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Ordered::String(s) => Value::String(s.clone()),
        // Elements of a slice take the slice's field name for typing.
        Ordered::Array(a) => Value::Array(a.iter().map(|x| convert(x, key, parent)).collect()),
        Ordered::Object(members) => {
            let map = is_map(key, parent, members);
            let mut m: HashMap<String, Value> = members
                .iter()
                .map(|(k, x)| {
                    // A map's values are typed by the map's name (the
                    // values of `Ports` are slices of structs).
                    let child = if map {
                        convert_map_value(x, key)
                    } else {
                        convert(x, Some(k), key)
                    };
                    (k.clone(), child)
                })
                .collect();
            // A nil pointer the daemon leaves out still exists in docker's
            // struct: the container State's Health prints `<nil>`.
            let mut members = members.clone();
            if !map
                && key == Some("State")
                && members.iter().any(|(k, _)| k == "Running")
                && !members.iter().any(|(k, _)| k == "Health")
            {
                members.push(("Health".into(), Ordered::Null));
                m.insert("Health".into(), Value::Nil);
            }
            if !map {
                let nils: Vec<Value> = members
                    .iter()
                    .filter(|(k, x)| *x == Ordered::Null && typed_nil(k, key))
                    .map(|(k, _)| Value::String(k.clone()))
                    .collect();
                if !nils.is_empty() {
                    m.insert(NILS_KEY.to_string(), Value::Array(nils));
                }
                // Templates name fields as Go does; printing and `json` keep
                // the JSON names (the order list below).
                for (k, _) in members.iter() {
                    if let Some(go) = go_field_name(k) {
                        if !m.contains_key(&go) {
                            let v = m[k].clone();
                            m.insert(go, v);
                        }
                    }
                }
                m.insert(
                    ORDER_KEY.to_string(),
                    Value::Array(
                        members
                            .iter()
                            .map(|(k, _)| Value::String(k.clone()))
                            .collect(),
                    ),
                );
            }
            // Structs answer a missing field with an error, as Go's do
            // (docker's templates run with missingkey=error); maps give
            // `<no value>`.
            if map {
                Value::Map(m)
            } else {
                Value::Object(m)
            }
        }
    }
}

/// Whether a `null` member is a nil slice or map (typed by its name), as
/// opposed to a nil pointer.
fn typed_nil(member: &str, parent: Option<&str>) -> bool {
    SLICE_FIELDS.contains(&member)
        || MAP_FIELDS.contains(&member)
        || (member == "Config" && parent == Some("LogConfig"))
}

/// Whether a struct's member (by JSON or Go name) is a nil slice or map.
pub fn is_nil_member(v: &Value, member: &str) -> bool {
    let (Value::Map(m) | Value::Object(m)) = v else {
        return false;
    };
    let Some(Value::Array(nils)) = m.get(NILS_KEY) else {
        return false;
    };
    nils.iter().any(|n| match n {
        Value::String(s) => s == member || go_field_name(s).as_deref() == Some(member),
        _ => false,
    })
}

fn convert_map_value(v: &Ordered, map_key: Option<&str>) -> Value {
    match v {
        // A struct{} value (ExposedPorts, Volumes) prints as `{}`.
        Ordered::Object(m) if m.is_empty() => {
            let mut h = HashMap::new();
            h.insert(ORDER_KEY.to_string(), Value::Array(Vec::new()));
            Value::Object(h)
        }
        // Values of string maps are strings; structs inside are typed by
        // their own fields.
        _ => convert(v, None, map_key),
    }
}

/// Whether a template value is a struct (has a field order).
pub fn struct_fields(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Map(m) | Value::Object(m) => match m.get(ORDER_KEY) {
            Some(Value::Array(a)) => Some(
                a.iter()
                    .filter_map(|k| match k {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// Print a value as Go's `fmt.Print` does (text/template's output).
pub fn go_print(v: &Value) -> String {
    let mut out = String::new();
    print_into(v, &mut out, true);
    out
}

fn print_into(v: &Value, out: &mut String, top: bool) {
    match v {
        Value::NoValue => out.push_str("<no value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => out.push_str(s),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&go_float(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::Function(_) => out.push_str("<func>"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_into(x, out, false);
            }
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => match struct_fields(v) {
            Some(fields) => {
                out.push('{');
                for (i, k) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    print_into(m.get(k).unwrap_or(&Value::Nil), out, false);
                }
                out.push('}');
            }
            None => {
                let _ = top;
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push_str("map[");
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    print_into(&m[*k], out, false);
                }
                out.push(']');
            }
        },
    }
}

/// Go's `%v` for a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let exp = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    if !(-4..21).contains(&exp) {
        // Shortest round-trip mantissa, Go's exponent layout (e+06).
        let s = format!("{f:e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", e.abs())
    } else {
        format!("{f}")
    }
}

/// Template value → JSON as Go's `json.Marshal` writes it: structs in
/// field order, maps with sorted keys.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    json_into(v, &mut out);
    out
}

fn json_into(v: &Value, out: &mut String) {
    match v {
        Value::NoValue | Value::Nil | Value::Function(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => {
            out.push_str(&serde_json::to_string(s).unwrap_or_default());
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(
                    &serde_json::to_string(&n.as_f64().unwrap_or(0.0)).unwrap_or_default(),
                );
            }
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_into(x, out);
            }
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => {
            let keys: Vec<String> = match struct_fields(v) {
                Some(f) => f,
                None => {
                    let mut k: Vec<String> = m.keys().cloned().collect();
                    k.sort();
                    k
                }
            };
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                if is_nil_member(v, k) {
                    out.push_str("null");
                } else {
                    json_into(m.get(k).unwrap_or(&Value::Nil), out);
                }
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(json: &str) -> Value {
        to_value(&serde_json::from_str::<Ordered>(json).unwrap())
    }

    fn field(v: &Value, path: &[&str]) -> Value {
        let mut cur = v.clone();
        for p in path {
            cur = match cur {
                Value::Map(m) | Value::Object(m) => m.get(*p).cloned().unwrap_or(Value::NoValue),
                _ => Value::NoValue,
            };
        }
        cur
    }

    #[test]
    fn prints_like_go() {
        let v = val(
            r#"{"Config":{"Cmd":["sh","-c","echo hi"],"Entrypoint":null,"Labels":{"b":"2","a":"1"},"ExposedPorts":{"80/tcp":{}}},
                "HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"LogConfig":{"Type":"json-file","Config":{}},"Binds":null},
                "State":{"Health":null,"Pid":0,"Running":false},"RootFS":{"Layers":["sha256:a","sha256:b"]}}"#,
        );
        let p = |path: &[&str]| go_print(&field(&v, path));
        assert_eq!(p(&["Config", "Cmd"]), "[sh -c echo hi]");
        assert_eq!(p(&["Config", "Entrypoint"]), "[]");
        assert_eq!(p(&["Config", "Labels"]), "map[a:1 b:2]");
        assert_eq!(p(&["Config", "ExposedPorts"]), "map[80/tcp:{}]");
        assert_eq!(p(&["HostConfig", "PortBindings"]), "map[80/tcp:[{ 8080}]]");
        assert_eq!(p(&["HostConfig", "RestartPolicy"]), "{no 0}");
        assert_eq!(p(&["HostConfig", "LogConfig"]), "{json-file map[]}");
        assert_eq!(p(&["HostConfig", "Binds"]), "[]");
        assert_eq!(p(&["State", "Health"]), "<nil>");
        assert_eq!(p(&["State"]), "{<nil> 0 false}");
        let s = val(r#"{"State":{"Status":"created","Running":false}}"#);
        assert_eq!(go_print(&field(&s, &["State", "Health"])), "<nil>");
        assert_eq!(p(&["RootFS", "Layers"]), "[sha256:a sha256:b]");
        assert_eq!(p(&["Nope"]), "<no value>");
        assert_eq!(
            to_json(&field(&v, &["HostConfig", "RestartPolicy"])),
            r#"{"Name":"no","MaximumRetryCount":0}"#
        );
        assert_eq!(
            to_json(&field(&v, &["Config", "Labels"])),
            r#"{"a":"1","b":"2"}"#
        );
        // A nil slice prints `[]` but is `null` in JSON, inside its struct.
        assert!(to_json(&field(&v, &["Config"])).contains(r#""Entrypoint":null"#));
        assert!(to_json(&field(&v, &["HostConfig"])).contains(r#""Binds":null"#));
        assert!(is_nil_member(&field(&v, &["Config"]), "Entrypoint"));
        assert!(!is_nil_member(&field(&v, &["Config"]), "Cmd"));
    }

    #[test]
    fn events_answer_to_go_field_names() {
        let v = val(
            r#"{"status":"create","id":"x","Type":"volume","Action":"create","Actor":{"ID":"v","Attributes":{"driver":"local"}},"scope":"local","time":5,"timeNano":5000000000}"#,
        );
        assert_eq!(go_print(&field(&v, &["Scope"])), "local");
        assert_eq!(go_print(&field(&v, &["ID"])), "x");
        assert_eq!(go_print(&field(&v, &["TimeNano"])), "5000000000");
        assert_eq!(
            go_print(&field(&v, &["Actor", "Attributes"])),
            "map[driver:local]"
        );
        assert!(to_json(&v).starts_with(r#"{"status":"create","id":"x","Type""#));
        // lowercase-only objects stay maps
        assert_eq!(
            go_print(&val(r#"{"runc":{"path":"runc"}}"#)),
            "map[runc:map[path:runc]]"
        );
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(2.5e-5), "2.5e-05");
    }
}
