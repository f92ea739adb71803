//! Mount specs as users write them: `--mount` (csv), `-v`/`HostConfig.Binds`
//! (`src:dst:mode`) and `--tmpfs`/`HostConfig.Tmpfs` (`/p:opts`), all turned
//! into `wharf_api::mount::Mount`, plus `validate`, which the daemon runs on
//! the whole list before creating anything. Grammar and messages follow
//! docker/cli `opts/mount.go` and moby `volume/mounts/linux_parser.go`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::ErrorKind;
use crate::mount::{BindOptions, DriverConfig, Mount, TmpfsOptions, VolumeOptions};

pub use crate::size::parse_size;
use crate::volume_name::{NameError, VolumeName};

pub const TYPE_BIND: &str = "bind";
pub const TYPE_VOLUME: &str = "volume";
pub const TYPE_TMPFS: &str = "tmpfs";

const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];
const CONSISTENCIES: [&str; 4] = ["consistent", "default", "cached", "delegated"];
/// tmpfs options wharf passes to the kernel besides size/mode/ro (Docker's
/// API allows only exec/noexec; `--tmpfs` takes any mount option, so we
/// accept the harmless common ones).
const TMPFS_FLAG_OPTIONS: [&str; 8] = [
    "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime",
];
const TMPFS_DATA_OPTIONS: [&str; 5] = ["uid", "gid", "nr_inodes", "nr_blocks", "size"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("invalid mount spec {spec:?}: {reason}")]
    Csv { spec: String, reason: String },
    #[error("invalid field '{0}' must be a key=value pair")]
    InvalidField(String),
    #[error("unexpected key '{key}' in '{field}'")]
    UnexpectedKey { key: String, field: String },
    #[error("invalid value for {key}: {value}")]
    InvalidValue { key: String, value: String },
    #[error("target is required")]
    TargetRequired,
    #[error("type is required")]
    TypeRequired,
    #[error("cannot mix '{prefix}-*' options with mount type '{kind}'")]
    Mixed { prefix: &'static str, kind: String },
    #[error("invalid volume specification: '{0}'")]
    InvalidSpec(String),
    #[error("invalid volume specification: '{raw}': {source}")]
    InvalidSpecDetail {
        raw: String,
        #[source]
        source: Box<SpecError>,
    },
    #[error("invalid mode: {0}")]
    InvalidMode(String),
    #[error("invalid tmpfs option {0:?}")]
    TmpfsOption(String),
    #[error("invalid mount config for type {kind:?}: {reason}")]
    MountConfig { kind: String, reason: String },
    #[error("create {name}: {source}")]
    VolumeName {
        name: String,
        #[source]
        source: NameError,
    },
    #[error("Duplicate mount point: {0}")]
    Duplicate(String),
}

impl SpecError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidArgument
    }
}

type Result<T> = std::result::Result<T, SpecError>;

/// Splits one csv record the way Go's `encoding/csv` does (quotes with `""`
/// escapes; a bare quote inside an unquoted field is an error).
fn csv_fields(spec: &str) -> Result<Vec<String>> {
    let err = |reason: &str| SpecError::Csv {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    if spec.is_empty() {
        return Err(err("empty value"));
    }
    let mut fields = Vec::new();
    let mut chars = spec.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(err("extraneous or missing \" in quoted-field")),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err(err("extraneous or missing \" in quoted-field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err(err("bare \" in non-quoted-field")),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(SpecError::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
        }),
    }
}

/// Parses one `--mount` value, e.g. `type=bind,source=/a,target=/b,readonly`.
/// Like docker's CLI, a source of `.` or starting with `./` is made absolute
/// against the current directory (this function runs on the CLI side).
pub fn parse_mount_flag(spec: &str) -> Result<Mount> {
    let mut m = Mount {
        kind: TYPE_VOLUME.to_string(),
        ..Mount::default()
    };
    for field in csv_fields(spec)? {
        let Some((key, val)) = field.split_once('=') else {
            match field.as_str() {
                "readonly" | "ro" => m.read_only = true,
                "volume-nocopy" => volume_opts(&mut m).no_copy = true,
                "bind-nonrecursive" => bind_opts(&mut m).non_recursive = true,
                _ => return Err(SpecError::InvalidField(field)),
            }
            continue;
        };
        let invalid = || SpecError::InvalidValue {
            key: key.to_string(),
            value: val.to_string(),
        };
        match key {
            "type" => m.kind = val.to_ascii_lowercase(),
            "source" | "src" => {
                m.source = val.to_string();
                if val == "." || val.starts_with("./") {
                    if let Ok(cwd) = std::env::current_dir() {
                        m.source = clean_path(&cwd.join(val).to_string_lossy());
                    }
                }
            }
            "target" | "dst" | "destination" => m.target = val.to_string(),
            "readonly" | "ro" => m.read_only = parse_bool(key, val)?,
            "consistency" => m.consistency = Some(val.to_ascii_lowercase()),
            "bind-propagation" => bind_opts(&mut m).propagation = Some(val.to_ascii_lowercase()),
            "bind-nonrecursive" => bind_opts(&mut m).non_recursive = parse_bool(key, val)?,
            "volume-nocopy" => volume_opts(&mut m).no_copy = parse_bool(key, val)?,
            "volume-label" => {
                let (k, v) = val.split_once('=').unwrap_or((val, ""));
                if !k.is_empty() {
                    volume_opts(&mut m)
                        .labels
                        .get_or_insert_with(BTreeMap::new)
                        .insert(k.to_string(), v.to_string());
                }
            }
            "volume-driver" => driver_config(&mut m).name = val.to_string(),
            "volume-opt" => {
                let (k, v) = val.split_once('=').unwrap_or((val, ""));
                if !k.is_empty() {
                    driver_config(&mut m)
                        .options
                        .insert(k.to_string(), v.to_string());
                }
            }
            "volume-subpath" => volume_opts(&mut m).subpath = Some(val.to_string()),
            "tmpfs-size" => {
                tmpfs_opts(&mut m).size_bytes = Some(parse_size(val).map_err(|_| invalid())?)
            }
            "tmpfs-mode" => {
                let mode = u32::from_str_radix(val, 8).map_err(|_| invalid())?;
                tmpfs_opts(&mut m).mode = Some(mode);
            }
            _ => {
                return Err(SpecError::UnexpectedKey {
                    key: key.to_string(),
                    field: field.clone(),
                })
            }
        }
    }
    if m.kind.is_empty() {
        return Err(SpecError::TypeRequired);
    }
    if m.target.is_empty() {
        return Err(SpecError::TargetRequired);
    }
    let mixed = |prefix| SpecError::Mixed {
        prefix,
        kind: m.kind.clone(),
    };
    if m.volume_options.is_some() && m.kind != TYPE_VOLUME {
        return Err(mixed("volume"));
    }
    if m.bind_options.is_some() && m.kind != TYPE_BIND {
        return Err(mixed("bind"));
    }
    if m.tmpfs_options.is_some() && m.kind != TYPE_TMPFS {
        return Err(mixed("tmpfs"));
    }
    Ok(m)
}

fn volume_opts(m: &mut Mount) -> &mut VolumeOptions {
    m.volume_options.get_or_insert_with(VolumeOptions::default)
}

fn driver_config(m: &mut Mount) -> &mut DriverConfig {
    volume_opts(m)
        .driver_config
        .get_or_insert_with(DriverConfig::default)
}

fn bind_opts(m: &mut Mount) -> &mut BindOptions {
    m.bind_options.get_or_insert_with(BindOptions::default)
}

fn tmpfs_opts(m: &mut Mount) -> &mut TmpfsOptions {
    m.tmpfs_options.get_or_insert_with(TmpfsOptions::default)
}

/// Counts of each mode class in a `-v` mode string; `None` when a word is
/// unknown or a class repeats (moby's `linuxValidMountMode`).
fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0u8; 5];
    for word in mode.split(',') {
        let class = match word {
            "rw" | "ro" => 0,
            "z" | "Z" => 1,
            w if PROPAGATIONS.contains(&w) => 2,
            "nocopy" => 3,
            w if CONSISTENCIES.contains(&w) => 4,
            _ => return false,
        };
        counts[class] += 1;
    }
    counts.iter().all(|&c| c <= 1)
}

/// Parses a `-v` / `HostConfig.Binds` entry: `/p` (anonymous volume),
/// `name:/p[:mode]` (named volume), `/host:/p[:mode]` (bind; a missing host
/// directory is created, hence `create_mountpoint`). Returns the mount and
/// the mode string Docker reports in inspect's `Mounts[].Mode`.
pub fn parse_volume_flag_mode(raw: &str) -> Result<(Mount, String)> {
    let parts: Vec<&str> = raw.splitn(4, ':').collect();
    if parts[0].is_empty() {
        return Err(SpecError::InvalidSpec(raw.to_string()));
    }
    let mut m = Mount::default();
    let mut mode = String::new();
    match parts.as_slice() {
        [dst] => m.target = dst.to_string(),
        [src, dst] => {
            // `/foo:rw` is a destination with a mode: not a valid volume.
            if valid_mode(dst) {
                return Err(SpecError::InvalidSpec(raw.to_string()));
            }
            m.source = src.to_string();
            m.target = dst.to_string();
        }
        [src, dst, md] => {
            m.source = src.to_string();
            m.target = dst.to_string();
            mode = md.to_string();
        }
        _ => return Err(SpecError::InvalidSpec(raw.to_string())),
    }
    if !valid_mode(&mode) {
        return Err(SpecError::InvalidMode(mode));
    }
    let words: Vec<&str> = mode.split(',').filter(|w| !w.is_empty()).collect();
    m.kind = if m.source.starts_with('/') {
        TYPE_BIND
    } else {
        TYPE_VOLUME
    }
    .to_string();
    m.read_only = words.contains(&"ro");
    if words.contains(&"nocopy") {
        volume_opts(&mut m).no_copy = true;
    }
    if let Some(p) = words.iter().find(|w| PROPAGATIONS.contains(w)) {
        bind_opts(&mut m).propagation = Some(p.to_string());
    }
    if m.kind == TYPE_BIND {
        bind_opts(&mut m).create_mountpoint = true;
    }
    if let Some(c) = words.iter().find(|w| CONSISTENCIES.contains(w)) {
        m.consistency = Some(c.to_string());
    }
    validate_one(&m).map_err(|e| SpecError::InvalidSpecDetail {
        raw: raw.to_string(),
        source: Box::new(e),
    })?;
    Ok((m, mode))
}

/// [`parse_volume_flag_mode`] without the mode string.
pub fn parse_volume_flag(raw: &str) -> Result<Mount> {
    parse_volume_flag_mode(raw).map(|(m, _)| m)
}

/// Docker's CLI turns a relative `-v` host part starting with `.` into an
/// absolute path before sending it; the daemon never does. For the CLI.
pub fn absolutize_volume_flag(raw: &str, cwd: &Path) -> String {
    match raw.split_once(':') {
        Some((host, rest)) if host.starts_with('.') => {
            format!("{}:{rest}", clean_path(&cwd.join(host).to_string_lossy()))
        }
        _ => raw.to_string(),
    }
}

/// Parses a `--volumes-from` value `container[:ro|:rw]` into the container
/// and the mode (default `rw`); propagation and copy modes are refused, as
/// moby's `ParseVolumesFrom` does.
pub fn parse_volumes_from(spec: &str) -> Result<(String, String)> {
    if spec.is_empty() {
        return Err(SpecError::InvalidSpec(spec.to_string()));
    }
    let (id, mode) = spec.split_once(':').unwrap_or((spec, ""));
    if id.is_empty() {
        return Err(SpecError::InvalidSpec(spec.to_string()));
    }
    if mode.is_empty() {
        return Ok((id.to_string(), "rw".to_string()));
    }
    let words: Vec<&str> = mode.split(',').collect();
    if !valid_mode(mode)
        || words
            .iter()
            .any(|w| PROPAGATIONS.contains(w) || *w == "nocopy")
    {
        return Err(SpecError::InvalidMode(mode.to_string()));
    }
    Ok((id.to_string(), mode.to_string()))
}

/// Parses a `--tmpfs` value: `/p` or `/p:size=64m,mode=1777,noexec,...`.
pub fn parse_tmpfs_flag(raw: &str) -> Result<Mount> {
    let (path, opts) = raw.split_once(':').unwrap_or((raw, ""));
    parse_tmpfs_entry(path, opts)
}

/// One `HostConfig.Tmpfs` map entry (`path` → `"size=64m,mode=1777"`).
pub fn parse_tmpfs_entry(path: &str, opts: &str) -> Result<Mount> {
    let mut m = Mount {
        kind: TYPE_TMPFS.to_string(),
        target: path.to_string(),
        ..Mount::default()
    };
    let bad = |o: &str| SpecError::TmpfsOption(o.to_string());
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        match opt.split_once('=') {
            None if opt == "ro" => m.read_only = true,
            None if opt == "rw" => m.read_only = false,
            None if TMPFS_FLAG_OPTIONS.contains(&opt) => {
                tmpfs_opts(&mut m)
                    .options
                    .get_or_insert_with(Vec::new)
                    .push(vec![opt.to_string()]);
            }
            Some(("size", v)) if v.ends_with('%') => {
                let pct = &v[..v.len() - 1];
                if pct.is_empty() || !pct.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad(opt));
                }
                tmpfs_opts(&mut m)
                    .options
                    .get_or_insert_with(Vec::new)
                    .push(vec!["size".to_string(), v.to_string()]);
            }
            Some(("size", v)) => {
                tmpfs_opts(&mut m).size_bytes = Some(parse_size(v).map_err(|_| bad(opt))?)
            }
            Some(("mode", v)) => {
                tmpfs_opts(&mut m).mode = Some(u32::from_str_radix(v, 8).map_err(|_| bad(opt))?)
            }
            Some((k, v)) if TMPFS_DATA_OPTIONS.contains(&k) && !v.is_empty() => {
                if !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad(opt));
                }
                tmpfs_opts(&mut m)
                    .options
                    .get_or_insert_with(Vec::new)
                    .push(vec![k.to_string(), v.to_string()]);
            }
            _ => return Err(bad(opt)),
        }
    }
    validate_one(&m)?;
    Ok(m)
}

/// Lexical `path.Clean` for absolute or relative unix paths.
pub fn clean_path(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            _ => out.push(part),
        }
    }
    let joined = out.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn config_err(m: &Mount, reason: impl Into<String>) -> SpecError {
    SpecError::MountConfig {
        kind: m.kind.clone(),
        reason: reason.into(),
    }
}

fn check_absolute(m: &Mount, p: &str) -> Result<()> {
    if p.starts_with('/') {
        Ok(())
    } else {
        Err(config_err(
            m,
            format!("invalid mount path: '{p}' mount path must be absolute"),
        ))
    }
}

/// Checks one mount without touching the filesystem.
pub fn validate_one(m: &Mount) -> Result<()> {
    if m.target.is_empty() {
        return Err(config_err(m, "field Target must not be empty"));
    }
    if clean_path(&m.target) == "/" {
        return Err(config_err(
            m,
            "invalid specification: destination can't be '/'",
        ));
    }
    check_absolute(m, &m.target)?;
    match m.kind.as_str() {
        TYPE_BIND => {
            if m.source.is_empty() {
                return Err(config_err(m, "field Source must not be empty"));
            }
            if let Some(p) = m.bind_options.as_ref().and_then(|b| b.propagation.as_ref()) {
                if !PROPAGATIONS.contains(&p.as_str()) {
                    return Err(config_err(m, format!("invalid propagation mode: {p}")));
                }
            }
            if m.volume_options.is_some() {
                return Err(config_err(m, "field VolumeOptions must not be specified"));
            }
            if m.tmpfs_options.is_some() {
                return Err(config_err(m, "field TmpfsOptions must not be specified"));
            }
            check_absolute(m, &m.source)?;
        }
        TYPE_VOLUME => {
            if m.bind_options.is_some() {
                return Err(config_err(m, "field BindOptions must not be specified"));
            }
            if m.tmpfs_options.is_some() {
                return Err(config_err(m, "field TmpfsOptions must not be specified"));
            }
            let anonymous = m.source.is_empty();
            if let Some(sub) = m.volume_options.as_ref().and_then(|v| v.subpath.as_ref()) {
                if anonymous {
                    return Err(config_err(
                        m,
                        "must not set Subpath when using anonymous volumes",
                    ));
                }
                if !is_local_path(sub) {
                    return Err(config_err(
                        m,
                        "subpath must be a relative path within the volume",
                    ));
                }
            }
            if m.read_only && anonymous {
                return Err(config_err(
                    m,
                    "must not set ReadOnly mode when using anonymous volumes",
                ));
            }
            let driver = m
                .volume_options
                .as_ref()
                .and_then(|v| v.driver_config.as_ref())
                .map(|d| d.name.as_str())
                .unwrap_or("");
            if !anonymous && (driver.is_empty() || driver == "local") {
                VolumeName::new(&m.source).map_err(|source| SpecError::VolumeName {
                    name: m.source.clone(),
                    source,
                })?;
            }
        }
        TYPE_TMPFS => {
            if m.bind_options.is_some() {
                return Err(config_err(m, "field BindOptions must not be specified"));
            }
            if m.volume_options.is_some() {
                return Err(config_err(m, "field VolumeOptions must not be specified"));
            }
            if !m.source.is_empty() {
                return Err(config_err(m, "field Source must not be specified"));
            }
            tmpfs_options(m).map_err(|e| match e {
                SpecError::MountConfig { .. } => e,
                other => config_err(m, other.to_string()),
            })?;
        }
        _ => return Err(config_err(m, "mount type unknown")),
    }
    Ok(())
}

/// Go's `filepath.IsLocal`: relative, non-empty, never climbing out.
fn is_local_path(p: &str) -> bool {
    if p.is_empty() || p.starts_with('/') {
        return false;
    }
    let c = clean_path(p);
    c != ".." && !c.starts_with("../")
}

/// Checks a container's whole mount list, as the daemon must before creating
/// anything: each mount (see [`validate_one`]), that a bind source exists
/// unless `create_mountpoint` is set, and that no two mounts share a target
/// (`-v` and `--mount` on one path).
pub fn validate(mounts: &[Mount]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for m in mounts {
        validate_one(m)?;
        let target = clean_path(&m.target);
        if !seen.insert(target.clone()) {
            return Err(SpecError::Duplicate(target));
        }
    }
    for m in mounts.iter().filter(|m| m.kind == TYPE_BIND) {
        let create = m.bind_options.as_ref().is_some_and(|b| b.create_mountpoint);
        if !create && std::fs::metadata(&m.source).is_err() {
            return Err(config_err(
                m,
                format!("bind source path does not exist: {}", m.source),
            ));
        }
    }
    Ok(())
}

/// The OCI mount options for a tmpfs mount, Docker's defaults (`noexec`,
/// `nosuid`, `nodev`, `rprivate`) merged with the mount's own (later ones
/// win, as moby's `MergeTmpfsOptions`): e.g. `["nosuid","nodev","noexec",
/// "rprivate","mode=1777","size=65536k"]`.
pub fn tmpfs_options(m: &Mount) -> Result<Vec<String>> {
    let mut raw: Vec<String> = ["noexec", "nosuid", "nodev", "rprivate"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if m.read_only {
        raw.push("ro".into());
    }
    if let Some(t) = &m.tmpfs_options {
        if let Some(mode) = t.mode {
            if mode > 0o7777 {
                return Err(config_err(m, format!("invalid tmpfs mode: {mode:o}")));
            }
            raw.push(format!("mode={mode:o}"));
        }
        match t.size_bytes {
            Some(s) if s < 0 => {
                return Err(config_err(
                    m,
                    format!("invalid tmpfs size: {s} (must not be negative)"),
                ))
            }
            Some(s) if s > 0 => raw.push(format!("size={s}")),
            _ => {}
        }
        for opt in t.options.iter().flatten() {
            match opt.as_slice() {
                [flag] if TMPFS_FLAG_OPTIONS.contains(&flag.as_str()) => raw.push(flag.clone()),
                [k, v] if TMPFS_DATA_OPTIONS.contains(&k.as_str()) => raw.push(format!("{k}={v}")),
                [k, v] if TMPFS_FLAG_OPTIONS.contains(&k.as_str()) => {
                    return Err(config_err(m, format!("invalid option: {k}={v}")))
                }
                [k, ..] => return Err(config_err(m, format!("invalid option: {k}"))),
                [] => return Err(config_err(m, "invalid option array length")),
            }
        }
    }
    Ok(merge_options(&raw))
}

/// Keeps the last of each flag pair (`exec`/`noexec`, …) and of each
/// `key=value`, in first-seen order.
fn merge_options(opts: &[String]) -> Vec<String> {
    fn slot(o: &str) -> String {
        if let Some((k, _)) = o.split_once('=') {
            return format!("{k}=");
        }
        match o {
            "ro" | "rw" => "rw".into(),
            _ => o.strip_prefix("no").unwrap_or(o).to_string(),
        }
    }
    let mut out: Vec<String> = Vec::new();
    for o in opts {
        let s = slot(o);
        if let Some(existing) = out.iter_mut().find(|e| slot(e) == s) {
            *existing = o.clone();
        } else {
            out.push(o.clone());
        }
    }
    out
}

#[cfg(test)]
#[path = "mount_spec_tests.rs"]
mod tests;
