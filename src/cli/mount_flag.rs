//! A minimal `--mount`, `-v` and `--tmpfs` checker/parser, kept until the
//! volume engineer's `wharf_volume::spec` parsers land (then this file goes
//! and `container_opts` calls those). `-v` and `--tmpfs` travel as
//! `HostConfig.Binds` / `HostConfig.Tmpfs` strings, as docker's CLI sends
//! them; `--mount` becomes `HostConfig.Mounts`.

use wharf_api::mount::{BindOptions, DriverConfig, Mount, TmpfsOptions, VolumeOptions};

use super::parse::ram_in_bytes;

/// Parse one `--mount` value (docker's CSV `key=value` syntax).
pub fn parse_mount(v: &str) -> Result<Mount, String> {
    let bad = |why: String| format!("invalid argument \"{v}\" for \"--mount\" flag: {why}");
    let mut m = Mount {
        kind: "volume".into(),
        ..Default::default()
    };
    let mut bind = BindOptions::default();
    let mut vol = VolumeOptions::default();
    let mut tmpfs = TmpfsOptions::default();
    let (mut has_bind, mut has_vol, mut has_tmpfs) = (false, false, false);
    for field in v.split(',') {
        let (key, value) = match field.split_once('=') {
            Some((k, val)) => (k.trim().to_ascii_lowercase(), Some(val.trim())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let flag = |value: Option<&str>| -> Result<bool, String> {
            match value.map(str::to_ascii_lowercase).as_deref() {
                None | Some("1") | Some("true") => Ok(true),
                Some("0") | Some("false") => Ok(false),
                Some(x) => Err(bad(format!("invalid value for {key}: {x}"))),
            }
        };
        let need = |value: Option<&str>| -> Result<String, String> {
            value
                .map(str::to_string)
                .ok_or_else(|| bad(format!("invalid field '{field}' must be a key=value pair")))
        };
        match key.as_str() {
            "type" => m.kind = need(value)?.to_ascii_lowercase(),
            "source" | "src" => m.source = need(value)?,
            "target" | "destination" | "dst" => m.target = need(value)?,
            "readonly" | "ro" => m.read_only = flag(value)?,
            "consistency" => m.consistency = Some(need(value)?),
            "bind-propagation" => {
                has_bind = true;
                let p = need(value)?;
                if !matches!(
                    p.as_str(),
                    "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave"
                ) {
                    return Err(bad(format!("invalid bind-propagation: {p}")));
                }
                bind.propagation = Some(p);
            }
            "bind-nonrecursive" => {
                has_bind = true;
                bind.non_recursive = flag(value)?;
            }
            "volume-nocopy" => {
                has_vol = true;
                vol.no_copy = flag(value)?;
            }
            "volume-label" => {
                has_vol = true;
                let l = need(value)?;
                let (k, val) = l.split_once('=').unwrap_or((l.as_str(), ""));
                vol.labels
                    .get_or_insert_with(Default::default)
                    .insert(k.to_string(), val.to_string());
            }
            "volume-driver" => {
                has_vol = true;
                vol.driver_config
                    .get_or_insert_with(DriverConfig::default)
                    .name = need(value)?;
            }
            "volume-opt" => {
                has_vol = true;
                let o = need(value)?;
                let (k, val) = o.split_once('=').unwrap_or((o.as_str(), ""));
                vol.driver_config
                    .get_or_insert_with(DriverConfig::default)
                    .options
                    .insert(k.to_string(), val.to_string());
            }
            "volume-subpath" => {
                has_vol = true;
                vol.subpath = Some(need(value)?);
            }
            "tmpfs-size" => {
                has_tmpfs = true;
                let s = need(value)?;
                let n =
                    ram_in_bytes(&s).map_err(|_| bad(format!("invalid value for {key}: {s}")))?;
                tmpfs.size_bytes = Some(n);
            }
            "tmpfs-mode" => {
                has_tmpfs = true;
                let s = need(value)?;
                let n = u32::from_str_radix(&s, 8)
                    .map_err(|_| bad(format!("invalid value for {key}: {s}")))?;
                tmpfs.mode = Some(n);
            }
            _ => return Err(bad(format!("unexpected key '{key}' in '{field}'"))),
        }
    }
    match m.kind.as_str() {
        "bind" | "volume" | "tmpfs" => {}
        other => return Err(bad(format!("unknown mount type '{other}'"))),
    }
    if m.target.is_empty() {
        return Err(bad("target is required".into()));
    }
    if !m.target.starts_with('/') {
        return Err(bad(format!(
            "invalid mount path: '{}' mount path must be absolute",
            m.target
        )));
    }
    let mix = |opt: &str| {
        bad(format!(
            "cannot mix '{opt}-*' options with mount type '{}'",
            m.kind
        ))
    };
    if has_bind && m.kind != "bind" {
        return Err(mix("bind"));
    }
    if has_vol && m.kind != "volume" {
        return Err(mix("volume"));
    }
    if has_tmpfs && m.kind != "tmpfs" {
        return Err(mix("tmpfs"));
    }
    match m.kind.as_str() {
        "bind" => {
            if m.source.is_empty() {
                return Err(bad("source is required when specifying bind mounts".into()));
            }
            if !m.source.starts_with('/') {
                return Err(bad(format!(
                    "invalid mount path: '{}' mount path must be absolute",
                    m.source
                )));
            }
            if has_bind {
                m.bind_options = Some(bind);
            }
        }
        "volume" => {
            if has_vol {
                m.volume_options = Some(vol);
            }
        }
        _ => {
            if !m.source.is_empty() {
                return Err(bad("source is not supported for tmpfs mounts".into()));
            }
            if has_tmpfs {
                m.tmpfs_options = Some(tmpfs);
            }
        }
    }
    Ok(m)
}

/// Where a `-v` value goes: a bind/named volume (`Binds`) or an anonymous
/// volume (`Config.Volumes`).
#[derive(Debug, PartialEq, Eq)]
pub enum VolumeFlag {
    Bind { target: String },
    Anonymous { target: String },
}

/// Check one `-v src:dst[:opts]` / `-v /dst` value.
pub fn check_volume(v: &str) -> Result<VolumeFlag, String> {
    let bad = |why: &str| format!("invalid argument \"{v}\" for \"-v, --volume\" flag: {why}");
    let parts: Vec<&str> = v.split(':').collect();
    let (target, mode) = match parts.as_slice() {
        [dst] => {
            if !dst.starts_with('/') {
                return Err(bad(&format!("invalid volume specification: '{v}'")));
            }
            return Ok(VolumeFlag::Anonymous {
                target: dst.to_string(),
            });
        }
        [src, dst] => {
            if src.is_empty() {
                return Err(bad(&format!("invalid volume specification: '{v}'")));
            }
            (*dst, None)
        }
        [src, dst, mode] => {
            if src.is_empty() {
                return Err(bad(&format!("invalid volume specification: '{v}'")));
            }
            (*dst, Some(*mode))
        }
        _ => return Err(bad(&format!("invalid volume specification: '{v}'"))),
    };
    if !target.starts_with('/') {
        return Err(bad(&format!(
            "invalid volume specification: '{v}': invalid mount config for type \"volume\": invalid mount path: '{target}' mount path must be absolute"
        )));
    }
    if let Some(mode) = mode {
        for m in mode.split(',') {
            if !matches!(
                m,
                "ro" | "rw"
                    | "z"
                    | "Z"
                    | "nocopy"
                    | "private"
                    | "rprivate"
                    | "shared"
                    | "rshared"
                    | "slave"
                    | "rslave"
                    | "consistent"
                    | "cached"
                    | "delegated"
            ) {
                return Err(bad(&format!("invalid mode: {mode}")));
            }
        }
    }
    Ok(VolumeFlag::Bind {
        target: target.to_string(),
    })
}

/// Split one `--tmpfs /dst[:opts]` value into the `HostConfig.Tmpfs` entry.
pub fn parse_tmpfs(v: &str) -> Result<(String, String), String> {
    let (dst, opts) = v.split_once(':').unwrap_or((v, ""));
    if !dst.starts_with('/') {
        return Err(format!(
            "invalid argument \"{v}\" for \"--tmpfs\" flag: invalid mount path: '{dst}' mount path must be absolute"
        ));
    }
    Ok((dst.to_string(), opts.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_volume_and_bind() {
        let m = parse_mount("source=data,target=/app").unwrap();
        assert_eq!(
            (m.kind.as_str(), m.source.as_str(), m.target.as_str()),
            ("volume", "data", "/app")
        );
        let m = parse_mount("type=bind,src=/srv,dst=/p,readonly,bind-propagation=rshared").unwrap();
        assert!(m.read_only);
        assert_eq!(
            m.bind_options.unwrap().propagation.as_deref(),
            Some("rshared")
        );
        let m = parse_mount("source=copy-vol,destination=/etc/nginx,readonly").unwrap();
        assert!(m.read_only);
    }

    #[test]
    fn mount_tmpfs() {
        let m = parse_mount("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        let t = m.tmpfs_options.unwrap();
        assert_eq!(t.size_bytes, Some(64 << 20));
        assert_eq!(t.mode, Some(0o1770));
    }

    #[test]
    fn mount_errors() {
        for (v, want) in [
            (
                "type=tmpfs,dst=/t,tmpfs-size=-1",
                "invalid value for tmpfs-size",
            ),
            ("source=x", "target is required"),
            ("source=x,target=rel", "must be absolute"),
            ("type=bind,source=rel,target=/x", "must be absolute"),
            ("type=foo,target=/x", "unknown mount type 'foo'"),
            ("bogus=1,target=/x", "unexpected key 'bogus'"),
            (
                "type=bind,source=/a,target=/x,volume-nocopy",
                "cannot mix 'volume-*'",
            ),
            ("target", "must be a key=value pair"),
        ] {
            let e = parse_mount(v).unwrap_err();
            assert!(e.contains(want), "{v}: {e}");
        }
    }

    #[test]
    fn volume_flag() {
        assert_eq!(
            check_volume("/data").unwrap(),
            VolumeFlag::Anonymous {
                target: "/data".into()
            }
        );
        assert_eq!(
            check_volume("v:/app:ro").unwrap(),
            VolumeFlag::Bind {
                target: "/app".into()
            }
        );
        assert!(check_volume("v:rel").is_err());
        assert!(check_volume("rel").is_err());
        assert!(check_volume("v:/a:bogus").is_err());
        assert!(check_volume("a:b:c:d").is_err());
    }

    #[test]
    fn tmpfs_flag() {
        assert_eq!(
            parse_tmpfs("/t:size=64m,mode=1777").unwrap(),
            ("/t".into(), "size=64m,mode=1777".into())
        );
        assert_eq!(parse_tmpfs("/t").unwrap(), ("/t".into(), String::new()));
        assert!(parse_tmpfs("t").is_err());
    }
}
