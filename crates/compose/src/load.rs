//! Loading a project: file discovery, `.env`, YAML (anchors and `<<`
//! merge keys), interpolation, `include`, `extends`, short syntax
//! expansion, merging several `-f` files, profiles, and validation with
//! errors that name the file and the path (`services.web.ports[1]`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::ComposeError;
use crate::interp::{interpolate, parse_env_file, Vars};
use crate::model::{Network, Project, Service, Volume};

/// The names `up` looks for, in order, from the current directory upwards.
pub const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// What the command line says about where the project is.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f`, in order; empty means discover.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`.
    pub project_dir: Option<PathBuf>,
    /// `--profile`.
    pub profiles: Vec<String>,
    /// `--env-file`.
    pub env_files: Vec<PathBuf>,
}

/// Service keys wharf compose honours.
const SUPPORTED: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "command",
    "configs",
    "container_name",
    "cpus",
    "depends_on",
    "deploy",
    "dns",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "labels",
    "mem_limit",
    "network_mode",
    "networks",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "user",
    "volumes",
    "working_dir",
];

/// Service keys of the compose-spec that wharf compose cannot honour yet:
/// a clear error rather than silence.
const UNSUPPORTED: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpuset",
    "credential_spec",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns_opt",
    "dns_search",
    "external_links",
    "gpus",
    "group_add",
    "isolation",
    "label_file",
    "links",
    "logging",
    "mac_address",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "oom_kill_disable",
    "oom_score_adj",
    "post_start",
    "pre_stop",
    "provider",
    "pull_refresh_after",
    "storage_opt",
    "ulimits",
    "use_api_socket",
    "userns_mode",
    "uts",
    "volumes_from",
];

const TOP_LEVEL: &[&str] = &[
    "version", "name", "services", "networks", "volumes", "configs", "secrets", "include",
];

/// Load the project the options describe.
pub fn load(opts: &LoadOptions) -> Result<Project, ComposeError> {
    let cwd = std::env::current_dir().map_err(|e| ComposeError::Read {
        file: ".".into(),
        message: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = opts.files.iter().map(|f| absolute(&cwd, f)).collect();
    if files.is_empty() {
        if let Ok(cf) = std::env::var("COMPOSE_FILE") {
            files = cf
                .split(':')
                .filter(|s| !s.is_empty())
                .map(|f| absolute(&cwd, Path::new(f)))
                .collect();
        }
    }
    if files.is_empty() {
        files.push(discover(&cwd)?);
    }
    let working_dir = match &opts.project_dir {
        Some(d) => absolute(&cwd, d),
        None => files[0]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(cwd.clone()),
    };
    let vars = environment(&working_dir, &opts.env_files)?;
    let mut loader = Loader {
        vars,
        origin: BTreeMap::new(),
    };
    let mut merged = Map::new();
    for f in &files {
        let doc = loader.load_file(f, &mut Vec::new())?;
        merge_doc(&mut merged, doc);
    }
    let first = files[0].display().to_string();

    // Project name: -p, COMPOSE_PROJECT_NAME, name:, the directory.
    let name = if let Some(p) = &opts.project_name {
        check_name(p)?
    } else if let Some(p) = loader
        .vars
        .get("COMPOSE_PROJECT_NAME")
        .filter(|s| !s.is_empty())
    {
        check_name(p)?
    } else if let Some(Value::String(n)) = merged.get("name") {
        check_name(n).map_err(|e| ComposeError::invalid(&first, "name", e.to_string()))?
    } else {
        let base = working_dir
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        normalize_name(&base)
    };
    if name.is_empty() {
        return Err(ComposeError::Project(
            "project name must not be empty".into(),
        ));
    }
    let mut project = Project {
        name: name.clone(),
        working_dir: working_dir.display().to_string(),
        config_files: files.iter().map(|f| f.display().to_string()).collect(),
        ..Project::default()
    };
    for (k, v) in &merged {
        if k.starts_with("x-") {
            project.extensions.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Object(svcs)) = merged.get("services") {
        for (sname, v) in svcs {
            let file = loader.origin.get(sname).cloned().unwrap_or(first.clone());
            let mut v = v.clone();
            let mut ext = BTreeMap::new();
            if let Value::Object(m) = &mut v {
                let keys: Vec<String> = m.keys().filter(|k| k.starts_with("x-")).cloned().collect();
                for k in keys {
                    if let Some(x) = m.remove(&k) {
                        ext.insert(k, x);
                    }
                }
            }
            let mut svc: Service = typed(&file, &format!("services.{sname}"), v)?;
            svc.extensions = ext;
            project.services.insert(sname.clone(), svc);
        }
    }
    for (key, target) in [
        ("networks", 0),
        ("volumes", 1),
        ("configs", 2),
        ("secrets", 3),
    ] {
        let Some(Value::Object(m)) = merged.get(key) else {
            continue;
        };
        for (n, v) in m {
            let mut v = if v.is_null() {
                Value::Object(Map::new())
            } else {
                v.clone()
            };
            // `labels` may be a list of `k=v`, as a service's
            if let Some(Value::Array(a)) = v.get("labels").cloned() {
                let mut o = Map::new();
                for x in a {
                    let s = scalar_string(&x).unwrap_or_default();
                    let (k, val) = s.split_once('=').unwrap_or((&s, ""));
                    o.insert(k.to_string(), Value::String(val.to_string()));
                }
                v["labels"] = Value::Object(o);
            }
            let path = format!("{key}.{n}");
            match target {
                0 => {
                    let net: Network = typed(&first, &path, v)?;
                    project.networks.insert(n.clone(), net);
                }
                1 => {
                    let vol: Volume = typed(&first, &path, v)?;
                    project.volumes.insert(n.clone(), vol);
                }
                2 => {
                    project.configs.insert(n.clone(), typed(&first, &path, v)?);
                }
                _ => {
                    project.secrets.insert(n.clone(), typed(&first, &path, v)?);
                }
            }
        }
    }
    finish(&mut project, &opts.profiles, &loader.vars, &first)?;
    Ok(project)
}

/// One loaded file's top-level mapping.
type Doc = Map<String, Value>;

fn typed<T: serde::de::DeserializeOwned>(
    file: &str,
    prefix: &str,
    v: Value,
) -> Result<T, ComposeError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let p = e.path().to_string();
        let path = if p == "." {
            prefix.to_string()
        } else if p.starts_with('[') {
            format!("{prefix}{p}")
        } else {
            format!("{prefix}.{p}")
        };
        let msg = e.into_inner().to_string();
        let msg = match msg.strip_prefix("unknown field ") {
            Some(rest) => format!(
                "additional property {} is not allowed",
                rest.split(',').next().unwrap_or(rest).replace('`', "'")
            ),
            None => msg,
        };
        ComposeError::invalid(file, path, msg)
    })
}

/// The first compose file from `dir` upwards.
pub fn discover(dir: &Path) -> Result<PathBuf, ComposeError> {
    let mut d = Some(dir);
    while let Some(cur) = d {
        for n in FILE_NAMES {
            let p = cur.join(n);
            if p.is_file() {
                return Ok(p);
            }
        }
        d = cur.parent();
    }
    Err(ComposeError::NoFile {
        dir: dir.display().to_string(),
    })
}

/// Variables for interpolation: `.env` (or `--env-file`) under the
/// process environment, which wins.
fn environment(working_dir: &Path, env_files: &[PathBuf]) -> Result<Vars, ComposeError> {
    let process: Vars = std::env::vars().collect();
    let mut vars = Vars::new();
    let files: Vec<PathBuf> = if env_files.is_empty() {
        let p = working_dir.join(".env");
        if p.is_file() {
            vec![p]
        } else {
            vec![]
        }
    } else {
        env_files.to_vec()
    };
    for f in files {
        let body = std::fs::read_to_string(&f).map_err(|e| ComposeError::Read {
            file: f.display().to_string(),
            message: e.to_string(),
        })?;
        let mut lookup = process.clone();
        lookup.extend(vars.clone());
        for (k, v) in parse_env_file(&body, &lookup).map_err(|m| ComposeError::Read {
            file: f.display().to_string(),
            message: m,
        })? {
            vars.insert(k, v);
        }
    }
    vars.extend(process);
    Ok(vars)
}

fn check_name(n: &str) -> Result<String, ComposeError> {
    let ok = !n.is_empty()
        && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(n.to_string())
    } else {
        Err(ComposeError::Project(format!(
            "invalid project name {n:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        )))
    }
}

/// A directory name made a project name: lowercase, only `[a-z0-9_-]`,
/// starting with a letter or digit.
pub fn normalize_name(s: &str) -> String {
    let s: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    s.trim_start_matches(['-', '_']).to_string()
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    clean(&joined)
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn resolve_path(dir: &Path, s: &str) -> String {
    if let Some(rest) = s.strip_prefix('~') {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        return format!("{home}{rest}");
    }
    if s.starts_with('/') {
        return s.to_string();
    }
    absolute(dir, Path::new(s)).display().to_string()
}

struct Loader {
    vars: Vars,
    /// Which file defined each service last, for error messages.
    origin: BTreeMap<String, String>,
}

impl Loader {
    /// Read one file: YAML, merge keys, interpolation, relative paths,
    /// includes, extends, normalized services.
    /// The files of one `include` item, each loaded on its own.
    fn load_include(
        &mut self,
        file: &str,
        dir: &Path,
        i: usize,
        paths: &[String],
        stack: &mut Vec<PathBuf>,
    ) -> Result<Vec<(PathBuf, Doc)>, ComposeError> {
        let mut out = Vec::new();
        for p in paths {
            let ip = absolute(dir, Path::new(p));
            if !ip.is_file() {
                return Err(ComposeError::invalid(
                    file,
                    format!("include[{i}]"),
                    format!("{} not found", ip.display()),
                ));
            }
            let sub = self.load_file(&ip, stack)?;
            out.push((ip, sub));
        }
        Ok(out)
    }

    fn load_file(
        &mut self,
        path: &Path,
        stack: &mut Vec<PathBuf>,
    ) -> Result<Map<String, Value>, ComposeError> {
        let file = path.display().to_string();
        if stack.iter().any(|p| p == path) {
            return Err(ComposeError::Project(format!(
                "include cycle through {file}"
            )));
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut doc = self.read_raw(path)?;
        // include: each loaded on its own, its resources added here.
        if let Some(inc) = doc.remove("include") {
            let items = match inc {
                Value::Array(a) => a,
                other => vec![other],
            };
            stack.push(path.to_path_buf());
            for (i, item) in items.into_iter().enumerate() {
                let paths: Vec<String> = match &item {
                    Value::String(s) => vec![s.clone()],
                    Value::Object(m) => match m.get("path") {
                        Some(Value::String(s)) => vec![s.clone()],
                        Some(Value::Array(a)) => a
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                        _ => {
                            return Err(ComposeError::invalid(
                                &file,
                                format!("include[{i}]"),
                                "path is required",
                            ))
                        }
                    },
                    _ => {
                        return Err(ComposeError::invalid(
                            &file,
                            format!("include[{i}]"),
                            "must be a string or a mapping",
                        ))
                    }
                };
                // the included project's own variables: its `env_file`
                // (default: `.env` beside it) under the including one's
                let env_files: Vec<PathBuf> = match item.get("env_file") {
                    Some(Value::String(f)) => vec![absolute(&dir, Path::new(f))],
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|f| absolute(&dir, Path::new(f)))
                        .collect(),
                    _ => Vec::new(),
                };
                let inc_dir = match (item.get("project_directory"), paths.first()) {
                    (Some(Value::String(d)), _) => absolute(&dir, Path::new(d)),
                    (_, Some(p)) => absolute(&dir, Path::new(p))
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| dir.clone()),
                    _ => dir.clone(),
                };
                let own = environment(&inc_dir, &env_files)?;
                let outer = self.vars.clone();
                let mut vars = own;
                vars.extend(outer.clone());
                self.vars = vars;
                let loaded = self.load_include(&file, &dir, i, &paths, stack);
                self.vars = outer;
                for (ip, sub) in loaded? {
                    for (k, v) in sub {
                        let Value::Object(m) = v else { continue };
                        let Value::Object(dst) = doc
                            .entry(k.clone())
                            .or_insert_with(|| Value::Object(Map::new()))
                        else {
                            continue;
                        };
                        for (n, x) in m {
                            if dst.contains_key(&n) {
                                return Err(ComposeError::invalid(
                                    &file,
                                    format!("{k}.{n}"),
                                    format!(
                                        "conflicts with {n:?} imported by include from {}",
                                        ip.display()
                                    ),
                                ));
                            }
                            dst.insert(n, x);
                        }
                    }
                }
            }
            stack.pop();
        }
        for k in doc.keys() {
            if !k.starts_with("x-") && !TOP_LEVEL.contains(&k.as_str()) {
                return Err(ComposeError::invalid(
                    &file,
                    "(root)",
                    format!("additional property '{k}' is not allowed"),
                ));
            }
        }
        for key in ["networks", "volumes", "configs", "secrets"] {
            if let Some(v) = doc.get_mut(key) {
                match v {
                    Value::Null => *v = Value::Object(Map::new()),
                    Value::Object(m) => {
                        if matches!(key, "configs" | "secrets") {
                            for o in m.values_mut() {
                                if let Some(Value::String(f)) = o.get_mut("file") {
                                    *f = resolve_path(&dir, f);
                                }
                            }
                        }
                    }
                    _ => return Err(ComposeError::invalid(&file, key, "must be a mapping")),
                }
            }
        }
        // Services: extends resolved, then each normalized.
        let raw = match doc.remove("services") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(ComposeError::invalid(
                    &file,
                    "services",
                    "must be a mapping",
                ))
            }
        };
        let mut out = Map::new();
        for name in raw.keys() {
            let v = self.service(&file, &dir, &raw, name, &mut Vec::new())?;
            self.origin.insert(name.clone(), file.clone());
            out.insert(name.clone(), v);
        }
        doc.insert("services".into(), Value::Object(out));
        Ok(doc)
    }

    fn read_raw(&self, path: &Path) -> Result<Map<String, Value>, ComposeError> {
        let file = path.display().to_string();
        let body = std::fs::read_to_string(path).map_err(|e| ComposeError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let mut y: serde_yaml::Value =
            serde_yaml::from_str(&body).map_err(|e| ComposeError::Yaml {
                file: file.clone(),
                message: e.to_string(),
            })?;
        y.apply_merge().map_err(|e| ComposeError::Yaml {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let v = yaml_to_json(&file, "", y)?;
        let v = match v {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => {
                return Err(ComposeError::invalid(
                    &file,
                    "(root)",
                    "top-level object must be a mapping",
                ))
            }
        };
        let mut v = Value::Object(v);
        interpolate_value(&file, "", &mut v, &self.vars)?;
        match v {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }

    /// One service of a file, its `extends` applied, normalized.
    fn service(
        &self,
        file: &str,
        dir: &Path,
        raw: &Map<String, Value>,
        name: &str,
        seen: &mut Vec<String>,
    ) -> Result<Value, ComposeError> {
        let key = format!("{file}#{name}");
        if seen.contains(&key) {
            return Err(ComposeError::invalid(
                file,
                format!("services.{name}.extends"),
                "circular reference",
            ));
        }
        seen.push(key);
        let mut v = match raw.get(name) {
            Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{name}"),
                    "must be a mapping",
                ))
            }
            None => {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{name}"),
                    "no such service",
                ))
            }
        };
        let ext = v.as_object_mut().and_then(|m| m.remove("extends"));
        let mut me = normalize_service(file, dir, name, v)?;
        if let Some(ext) = ext {
            let path = format!("services.{name}.extends");
            let (base_name, base_file) = match &ext {
                Value::String(s) => (s.clone(), None),
                Value::Object(m) => (
                    m.get("service")
                        .and_then(Value::as_str)
                        .ok_or_else(|| ComposeError::invalid(file, &path, "service is required"))?
                        .to_string(),
                    m.get("file").and_then(Value::as_str).map(str::to_string),
                ),
                _ => {
                    return Err(ComposeError::invalid(
                        file,
                        &path,
                        "must be a string or a mapping",
                    ))
                }
            };
            let base = match base_file {
                None => self.service(file, dir, raw, &base_name, seen)?,
                Some(f) => {
                    let p = absolute(dir, Path::new(&f));
                    let mut doc = self.read_raw(&p).map_err(|e| match e {
                        ComposeError::Read { message, .. } => ComposeError::invalid(
                            file,
                            &path,
                            format!("{}: {message}", p.display()),
                        ),
                        e => e,
                    })?;
                    let other = match doc.remove("services") {
                        Some(Value::Object(m)) => m,
                        _ => Map::new(),
                    };
                    if !other.contains_key(&base_name) {
                        return Err(ComposeError::invalid(
                            file,
                            &path,
                            format!(
                                "cannot extend service {base_name:?} in {}: service not found",
                                p.display()
                            ),
                        ));
                    }
                    let pf = p.display().to_string();
                    let pd = p.parent().map(Path::to_path_buf).unwrap_or_default();
                    self.service(&pf, &pd, &other, &base_name, seen)?
                }
            };
            let mut b = base;
            merge_service(&mut b, me);
            me = b;
        }
        seen.pop();
        Ok(me)
    }
}

fn yaml_to_json(file: &str, path: &str, y: serde_yaml::Value) -> Result<Value, ComposeError> {
    use serde_yaml::Value as Y;
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(s) => {
            let mut out = Vec::with_capacity(s.len());
            for (i, x) in s.into_iter().enumerate() {
                out.push(yaml_to_json(file, &format!("{path}[{i}]"), x)?);
            }
            Value::Array(out)
        }
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let k = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        return Err(ComposeError::invalid(
                            file,
                            if path.is_empty() { "(root)" } else { path },
                            "mapping keys must be strings",
                        ))
                    }
                };
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let v = yaml_to_json(file, &p, v)?;
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(file, path, t.value)?,
    })
}

fn interpolate_value(
    file: &str,
    path: &str,
    v: &mut Value,
    vars: &Vars,
) -> Result<(), ComposeError> {
    match v {
        Value::String(s) => {
            *s = interpolate(s, vars).map_err(|m| {
                ComposeError::invalid(file, if path.is_empty() { "(root)" } else { path }, m)
            })?;
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                interpolate_value(file, &format!("{path}[{i}]"), x, vars)?;
            }
        }
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                interpolate_value(file, &p, x, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Split a command string as a POSIX shell would split words (quotes and
/// backslashes; no expansion).
pub fn shell_split(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Expand a service's short syntaxes into the long forms of the model.
fn normalize_service(file: &str, dir: &Path, name: &str, v: Value) -> Result<Value, ComposeError> {
    let Value::Object(mut m) = v else {
        return Err(ComposeError::invalid(
            file,
            format!("services.{name}"),
            "must be a mapping",
        ));
    };
    let p = |k: &str| format!("services.{name}.{k}");
    for k in m.keys() {
        if k.starts_with("x-") || SUPPORTED.contains(&k.as_str()) {
            continue;
        }
        if UNSUPPORTED.contains(&k.as_str()) {
            return Err(ComposeError::invalid(
                file,
                p(k),
                "not supported by wharf compose",
            ));
        }
        return Err(ComposeError::invalid(
            file,
            format!("services.{name}"),
            format!("additional property '{k}' is not allowed"),
        ));
    }
    let inv = |k: &str, msg: String| ComposeError::invalid(file, p(k), msg);
    // command, entrypoint: a string is split as a shell would.
    for k in ["command", "entrypoint"] {
        match m.get(k).cloned() {
            Some(Value::String(s)) => {
                let words = shell_split(&s).map_err(|e| inv(k, e))?;
                m.insert(k.into(), Value::from(words));
            }
            Some(Value::Array(a)) => {
                let mut words = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    words.push(scalar_string(x).ok_or_else(|| {
                        ComposeError::invalid(
                            file,
                            format!("services.{name}.{k}[{i}]"),
                            "must be a string",
                        )
                    })?);
                }
                m.insert(k.into(), Value::from(words));
            }
            _ => {}
        }
    }
    // string-or-list fields
    for k in [
        "dns",
        "tmpfs",
        "profiles",
        "cap_add",
        "cap_drop",
        "security_opt",
        "expose",
    ] {
        match m.get(k).cloned() {
            Some(Value::String(s)) => {
                m.insert(k.into(), Value::from(vec![s]));
            }
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    out.push(scalar_string(x).ok_or_else(|| {
                        ComposeError::invalid(
                            file,
                            format!("services.{name}.{k}[{i}]"),
                            "must be a string",
                        )
                    })?);
                }
                m.insert(k.into(), Value::from(out));
            }
            _ => {}
        }
    }
    // environment from env_file, then environment itself
    let mut env = Map::new();
    if let Some(ef) = m.remove("env_file") {
        let items = match ef {
            Value::Array(a) => a,
            other => vec![other],
        };
        for (i, it) in items.into_iter().enumerate() {
            let (path, required) = match &it {
                Value::String(s) => (s.clone(), true),
                Value::Object(o) => (
                    o.get("path")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    o.get("required").and_then(Value::as_bool).unwrap_or(true),
                ),
                _ => {
                    return Err(ComposeError::invalid(
                        file,
                        format!("services.{name}.env_file[{i}]"),
                        "must be a string or a mapping",
                    ))
                }
            };
            let full = resolve_path(dir, &path);
            match std::fs::read_to_string(&full) {
                Ok(body) => {
                    let vars: Vars = std::env::vars().collect();
                    for (k, v) in parse_env_file(&body, &vars).map_err(|e| {
                        ComposeError::invalid(
                            file,
                            format!("services.{name}.env_file[{i}]"),
                            format!("{full}: {e}"),
                        )
                    })? {
                        env.insert(k, Value::String(v));
                    }
                }
                Err(_) if !required => {}
                Err(e) => {
                    return Err(ComposeError::invalid(
                        file,
                        format!("services.{name}.env_file[{i}]"),
                        format!("env file {full} not found: {e}"),
                    ))
                }
            }
        }
    }
    for k in ["environment", "labels", "sysctls"] {
        let mut out = if k == "environment" {
            std::mem::take(&mut env)
        } else {
            Map::new()
        };
        match m.remove(k) {
            None => {
                if out.is_empty() {
                    continue;
                }
            }
            Some(Value::Object(o)) => {
                for (kk, vv) in o {
                    let val = match &vv {
                        Value::Null if k == "environment" => Value::Null,
                        x => Value::String(scalar_string(x).ok_or_else(|| {
                            inv(
                                k,
                                format!("value of {kk:?} must be a string, number or boolean"),
                            )
                        })?),
                    };
                    out.insert(kk, val);
                }
            }
            Some(Value::Array(a)) => {
                for (i, x) in a.iter().enumerate() {
                    let s = scalar_string(x).ok_or_else(|| {
                        ComposeError::invalid(
                            file,
                            format!("services.{name}.{k}[{i}]"),
                            "must be a string",
                        )
                    })?;
                    match s.split_once('=') {
                        Some((kk, vv)) => {
                            out.insert(kk.to_string(), Value::String(vv.to_string()));
                        }
                        None if k == "environment" => {
                            let v = std::env::var(&s).map(Value::String).unwrap_or(Value::Null);
                            out.insert(s, v);
                        }
                        None => {
                            out.insert(s, Value::String(String::new()));
                        }
                    }
                }
            }
            Some(_) => return Err(inv(k, "must be a mapping or a list".into())),
        }
        m.insert(k.into(), Value::Object(out));
    }
    if let Some(Value::Object(o)) = m.get("extra_hosts").cloned() {
        let list: Vec<String> = o
            .iter()
            .map(|(h, ip)| format!("{h}={}", scalar_string(ip).unwrap_or_default()))
            .collect();
        m.insert("extra_hosts".into(), Value::from(list));
    }
    // build
    match m.get("build").cloned() {
        Some(Value::String(s)) => {
            let mut b = Map::new();
            b.insert("context".into(), Value::String(resolve_path(dir, &s)));
            b.insert("dockerfile".into(), Value::String("Dockerfile".into()));
            m.insert("build".into(), Value::Object(b));
        }
        Some(Value::Object(mut b)) => {
            let ctx = b
                .get("context")
                .and_then(Value::as_str)
                .unwrap_or(".")
                .to_string();
            let ctx = if ctx.contains("://") || ctx.starts_with("git@") {
                ctx
            } else {
                resolve_path(dir, &ctx)
            };
            b.insert("context".into(), Value::String(ctx));
            b.entry("dockerfile")
                .or_insert_with(|| Value::String("Dockerfile".into()));
            if let Some(Value::Array(a)) = b.get("args").cloned() {
                let mut o = Map::new();
                for x in a {
                    let s = scalar_string(&x).unwrap_or_default();
                    match s.split_once('=') {
                        Some((k, v)) => o.insert(k.into(), Value::String(v.into())),
                        None => o.insert(s, Value::Null),
                    };
                }
                b.insert("args".into(), Value::Object(o));
            } else if let Some(Value::Object(o)) = b.get_mut("args") {
                for v in o.values_mut() {
                    if !v.is_null() {
                        *v = Value::String(scalar_string(v).unwrap_or_default());
                    }
                }
            }
            m.insert("build".into(), Value::Object(b));
        }
        _ => {}
    }
    // healthcheck test
    if let Some(Value::Object(h)) = m.get_mut("healthcheck") {
        if let Some(Value::String(s)) = h.get("test").cloned() {
            h.insert("test".into(), Value::from(vec!["CMD-SHELL".to_string(), s]));
        }
    }
    // depends_on
    match m.get("depends_on").cloned() {
        Some(Value::Array(a)) => {
            let mut o = Map::new();
            for (i, x) in a.iter().enumerate() {
                let s = x.as_str().ok_or_else(|| {
                    ComposeError::invalid(
                        file,
                        format!("services.{name}.depends_on[{i}]"),
                        "must be a string",
                    )
                })?;
                o.insert(
                    s.into(),
                    serde_json::json!({"condition": "service_started", "required": true}),
                );
            }
            m.insert("depends_on".into(), Value::Object(o));
        }
        Some(Value::Object(mut o)) => {
            for (dn, d) in o.iter_mut() {
                if d.is_null() {
                    *d = Value::Object(Map::new());
                }
                let Value::Object(d) = d else {
                    return Err(inv("depends_on", format!("{dn} must be a mapping")));
                };
                d.entry("condition")
                    .or_insert_with(|| Value::String("service_started".into()));
                d.entry("required").or_insert(Value::Bool(true));
                if let Some(Value::String(c)) = d.get("condition") {
                    if !matches!(
                        c.as_str(),
                        "service_started" | "service_healthy" | "service_completed_successfully"
                    ) {
                        return Err(ComposeError::invalid(
                            file,
                            format!("services.{name}.depends_on.{dn}.condition"),
                            format!("invalid condition {c:?}"),
                        ));
                    }
                }
            }
            m.insert("depends_on".into(), Value::Object(o));
        }
        Some(_) => return Err(inv("depends_on", "must be a list or a mapping".into())),
        None => {}
    }
    // networks
    if let Some(Value::Array(a)) = m.get("networks").cloned() {
        let mut o = Map::new();
        for x in a {
            if let Some(s) = x.as_str() {
                o.insert(s.into(), Value::Null);
            }
        }
        m.insert("networks".into(), Value::Object(o));
    }
    if !m.contains_key("network_mode") && !m.contains_key("networks") {
        let mut o = Map::new();
        o.insert("default".into(), Value::Null);
        m.insert("networks".into(), Value::Object(o));
    }
    // ports
    if let Some(Value::Array(a)) = m.get("ports").cloned() {
        let mut out = Vec::new();
        for (i, x) in a.iter().enumerate() {
            match x {
                Value::Object(o) => {
                    let mut o = o.clone();
                    o.entry("mode").or_insert_with(|| "ingress".into());
                    o.entry("protocol").or_insert_with(|| "tcp".into());
                    if let Some(p) = o.get("published").and_then(scalar_string) {
                        o.insert("published".into(), Value::String(p));
                    }
                    out.push(Value::Object(o));
                }
                other => {
                    let s = scalar_string(other).unwrap_or_default();
                    out.extend(parse_port(&s).map_err(|e| {
                        ComposeError::invalid(file, format!("services.{name}.ports[{i}]"), e)
                    })?);
                }
            }
        }
        m.insert("ports".into(), Value::from(out));
    }
    // volumes
    if let Some(Value::Array(a)) = m.get("volumes").cloned() {
        let mut out = Vec::new();
        for (i, x) in a.iter().enumerate() {
            match x {
                Value::Object(o) => {
                    let mut o = o.clone();
                    if o.get("type").and_then(Value::as_str) == Some("bind") {
                        if let Some(Value::String(src)) = o.get("source").cloned() {
                            o.insert("source".into(), Value::String(resolve_path(dir, &src)));
                        }
                    }
                    out.push(Value::Object(o));
                }
                Value::String(s) => out.push(parse_volume(dir, s).map_err(|e| {
                    ComposeError::invalid(file, format!("services.{name}.volumes[{i}]"), e)
                })?),
                _ => {
                    return Err(ComposeError::invalid(
                        file,
                        format!("services.{name}.volumes[{i}]"),
                        "must be a string or a mapping",
                    ))
                }
            }
        }
        m.insert("volumes".into(), Value::from(out));
    }
    for k in ["configs", "secrets"] {
        if let Some(Value::Array(a)) = m.get(k).cloned() {
            let out: Vec<Value> = a
                .into_iter()
                .map(|x| match x {
                    Value::String(s) => serde_json::json!({ "source": s }),
                    o => o,
                })
                .collect();
            m.insert(k.into(), Value::from(out));
        }
    }
    Ok(Value::Object(m))
}

/// `[ip:][published:]target[/proto]` with ranges, into long forms.
fn parse_port(s: &str) -> Result<Vec<Value>, String> {
    let bad = || format!("invalid port {s:?}");
    let (rest, proto) = match s.rsplit_once('/') {
        Some((r, p)) => (r, p.to_string()),
        None => (s, "tcp".to_string()),
    };
    let (ip, rest) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, r) = r.split_once("]:").ok_or_else(bad)?;
        (Some(ip.to_string()), r)
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() == 3 {
            (Some(parts[0].to_string()), &rest[parts[0].len() + 1..])
        } else if parts.len() > 3 {
            return Err(bad());
        } else {
            (None, rest)
        }
    };
    let (published, target) = match rest.split_once(':') {
        Some((p, t)) => (Some(p), t),
        None => (None, rest),
    };
    let range = |r: &str| -> Result<(u16, u16), String> {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let a: u16 = a.parse().map_err(|_| bad())?;
        let b: u16 = b.parse().map_err(|_| bad())?;
        if b < a {
            return Err(bad());
        }
        Ok((a, b))
    };
    let (t0, t1) = range(target)?;
    let pubr = match published.filter(|p| !p.is_empty()) {
        Some(p) => Some(range(p)?),
        None => None,
    };
    if let Some((p0, p1)) = pubr {
        if p1 - p0 != t1 - t0 && p0 != p1 {
            return Err(format!(
                "invalid port {s:?}: published and target ranges differ in size"
            ));
        }
    }
    let mut out = Vec::new();
    for (i, t) in (t0..=t1).enumerate() {
        let mut o = Map::new();
        o.insert("mode".into(), "ingress".into());
        if let Some(ip) = &ip {
            o.insert("host_ip".into(), Value::String(ip.clone()));
        }
        o.insert("target".into(), Value::from(t));
        if let Some((p0, p1)) = pubr {
            let p = if p0 == p1 && t0 != t1 {
                p0.to_string()
            } else {
                (p0 + i as u16).to_string()
            };
            let _ = p1;
            o.insert("published".into(), Value::String(p));
        }
        o.insert("protocol".into(), Value::String(proto.clone()));
        out.push(Value::Object(o));
    }
    Ok(out)
}

/// `[source:]target[:mode]` into the long form.
fn parse_volume(dir: &Path, s: &str) -> Result<Value, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (src, target, mode) = match parts.as_slice() {
        [t] => (None, *t, ""),
        [a, b] => (Some(*a), *b, ""),
        [a, b, c] => (Some(*a), *b, *c),
        _ => return Err(format!("invalid volume specification {s:?}")),
    };
    if target.is_empty() || !target.starts_with('/') {
        return Err(format!(
            "invalid volume specification {s:?}: the target must be an absolute path"
        ));
    }
    let mut o = Map::new();
    let ro = mode.split(',').any(|m| m == "ro");
    match src {
        None => {
            o.insert("type".into(), "volume".into());
            o.insert("target".into(), target.into());
        }
        Some(src) if src.starts_with('.') || src.starts_with('/') || src.starts_with('~') => {
            o.insert("type".into(), "bind".into());
            o.insert("source".into(), Value::String(resolve_path(dir, src)));
            o.insert("target".into(), target.into());
            o.insert("bind".into(), serde_json::json!({"create_host_path": true}));
        }
        Some(src) => {
            if src.is_empty() {
                return Err(format!("invalid volume specification {s:?}: empty source"));
            }
            o.insert("type".into(), "volume".into());
            o.insert("source".into(), src.into());
            o.insert("target".into(), target.into());
            if mode.split(',').any(|m| m == "nocopy") {
                o.insert("volume".into(), serde_json::json!({"nocopy": true}));
            }
        }
    }
    if ro {
        o.insert("read_only".into(), Value::Bool(true));
    }
    Ok(Value::Object(o))
}

/// Merge one file's document over what the earlier ones gave.
fn merge_doc(into: &mut Map<String, Value>, doc: Map<String, Value>) {
    for (k, v) in doc {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(dst)), Value::Object(src)) if k == "services" => {
                for (n, s) in src {
                    match dst.get_mut(&n) {
                        Some(d) => merge_service(d, s),
                        None => {
                            dst.insert(n, s);
                        }
                    }
                }
            }
            (Some(dst @ Value::Object(_)), src @ Value::Object(_)) => merge_value(dst, src),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// The spec's merge of one service over another: mappings merge,
/// `command`/`entrypoint`/`healthcheck.test` are replaced, volumes merge
/// by target, other sequences append what is new.
fn merge_service(base: &mut Value, over: Value) {
    let (Value::Object(b), Value::Object(o)) = (&mut *base, over) else {
        return;
    };
    for (k, v) in o {
        match k.as_str() {
            "command" | "entrypoint" | "image" => {
                b.insert(k, v);
            }
            "volumes" => {
                let mut list = b
                    .get("volumes")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for nv in v.as_array().cloned().unwrap_or_default() {
                    let t = nv.get("target").cloned();
                    list.retain(|x| x.get("target") != t.as_ref());
                    list.push(nv);
                }
                b.insert(k, Value::from(list));
            }
            "healthcheck" => {
                let mut h = b
                    .get("healthcheck")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new()));
                if let (Value::Object(hm), Value::Object(vm)) = (&mut h, v) {
                    for (kk, vv) in vm {
                        hm.insert(kk, vv);
                    }
                }
                b.insert(k, h);
            }
            _ => match b.get_mut(&k) {
                Some(dst) => merge_value(dst, v),
                None => {
                    b.insert(k, v);
                }
            },
        }
    }
}

fn merge_value(dst: &mut Value, src: Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(x) if x.is_object() && v.is_object() => merge_value(x, v),
                    _ => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(s)) => {
            for x in s {
                if !d.contains(&x) {
                    d.push(x);
                }
            }
        }
        (d, s) => *d = s,
    }
}

/// After typing: profiles, default network, resource names, dependency
/// checks (unknown, disabled, cycles), build contexts.
fn finish(
    p: &mut Project,
    cli_profiles: &[String],
    vars: &Vars,
    file: &str,
) -> Result<(), ComposeError> {
    let mut active: BTreeSet<String> = cli_profiles.iter().cloned().collect();
    if let Some(cp) = vars.get("COMPOSE_PROFILES") {
        active.extend(cp.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    let names: Vec<String> = p.services.keys().cloned().collect();
    for n in names {
        let s = &p.services[&n];
        if !s.profiles.is_empty()
            && !s.profiles.iter().any(|x| active.contains(x) || x == "*")
            && !active.contains("*")
        {
            if let Some(s) = p.services.remove(&n) {
                p.disabled.insert(n, s);
            }
        }
    }
    for (n, s) in &p.services {
        if s.image.is_none() && s.build.is_none() {
            return Err(ComposeError::invalid(
                file,
                format!("services.{n}"),
                "service has neither an image nor a build context specified",
            ));
        }
        if let Some(b) = &s.build {
            if !b.context.contains("://") && !Path::new(&b.context).is_dir() {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{n}.build.context"),
                    format!("build context {:?} does not exist", b.context),
                ));
            }
        }
        for (d, dep) in &s.depends_on {
            if p.services.contains_key(d) {
                continue;
            }
            if p.disabled.contains_key(d) {
                if dep.required {
                    return Err(ComposeError::invalid(file, format!("services.{n}.depends_on.{d}"), format!("service {n:?} depends on service {d:?} which is disabled by its profiles")));
                }
                continue;
            }
            if dep.required {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{n}.depends_on.{d}"),
                    format!("service {n:?} depends on undefined service {d:?}"),
                ));
            }
        }
        if s.network_mode.is_some() && !s.networks.is_empty() {
            return Err(ComposeError::invalid(
                file,
                format!("services.{n}.network_mode"),
                "network_mode and networks cannot be combined",
            ));
        }
        for net in s.networks.keys() {
            if net != "default" && !p.networks.contains_key(net) {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{n}.networks.{net}"),
                    format!("service {n:?} refers to undefined network {net:?}"),
                ));
            }
        }
        for (i, v) in s.volumes.iter().enumerate() {
            if v.kind == "volume" {
                if let Some(src) = &v.source {
                    if !p.volumes.contains_key(src) {
                        return Err(ComposeError::invalid(
                            file,
                            format!("services.{n}.volumes[{i}]"),
                            format!("service {n:?} refers to undefined volume {src:?}"),
                        ));
                    }
                }
            } else if !matches!(v.kind.as_str(), "bind" | "tmpfs") {
                return Err(ComposeError::invalid(
                    file,
                    format!("services.{n}.volumes[{i}].type"),
                    format!("volume type {:?} is not supported by wharf compose", v.kind),
                ));
            }
        }
        for (kind, refs, defs) in [
            ("config", &s.configs, &p.configs),
            ("secret", &s.secrets, &p.secrets),
        ] {
            for r in refs {
                if !defs.contains_key(&r.source) {
                    return Err(ComposeError::invalid(
                        file,
                        format!("services.{n}.{kind}s"),
                        format!("service {n:?} refers to undefined {kind} {:?}", r.source),
                    ));
                }
            }
        }
    }
    for (kind, defs) in [("configs", &p.configs), ("secrets", &p.secrets)] {
        for (n, d) in defs {
            if d.file.is_none() && d.environment.is_none() && d.content.is_none() {
                return Err(ComposeError::invalid(
                    file,
                    format!("{kind}.{n}"),
                    "only file, environment and content sources are supported by wharf compose",
                ));
            }
        }
    }
    if let Some(c) = crate::plan::find_cycle(p) {
        return Err(ComposeError::Project(format!(
            "{file}: dependency cycle detected: {}",
            c.join(" -> ")
        )));
    }
    let uses_default = p
        .services
        .values()
        .any(|s| s.networks.contains_key("default"));
    if uses_default && !p.networks.contains_key("default") {
        p.networks.insert("default".into(), Network::default());
    }
    let proj = p.name.clone();
    for (n, net) in p.networks.iter_mut() {
        if net.name.is_none() {
            net.name = Some(if net.external == Some(true) {
                n.clone()
            } else {
                format!("{proj}_{n}")
            });
        }
    }
    for (n, vol) in p.volumes.iter_mut() {
        if vol.name.is_none() {
            vol.name = Some(if vol.external == Some(true) {
                n.clone()
            } else {
                format!("{proj}_{n}")
            });
        }
    }
    for (n, c) in p.configs.iter_mut().chain(p.secrets.iter_mut()) {
        if c.name.is_none() {
            c.name = Some(format!("{proj}_{n}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:8000:80/udp").unwrap();
        assert_eq!(p[0]["host_ip"], "127.0.0.1");
        assert_eq!(p[0]["published"], "8000");
        assert_eq!(p[0]["target"], 80);
        assert_eq!(p[0]["protocol"], "udp");
        assert_eq!(parse_port("9090-9091:8080-8081").unwrap().len(), 2);
        assert!(parse_port("x:80").is_err());
        assert!(parse_port("80").unwrap()[0].get("published").is_none());
    }

    #[test]
    fn split() {
        assert_eq!(
            shell_split(r#"sh -c 'echo $$A; x' "a b""#).unwrap(),
            ["sh", "-c", "echo $$A; x", "a b"]
        );
        assert!(shell_split("'x").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(normalize_name("My.Proj_1"), "myproj_1");
        assert!(check_name("Bad").is_err());
    }
}
