//! Resolves `-u user[:group]` against the container's own /etc/passwd and
//! /etc/group, as Docker does.

use std::path::Path;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    /// From passwd; `/` when the user has no entry (as runc does).
    pub home: String,
}

/// Reads a file of the rootfs without following a symlink out of it.
fn read_rootfs_file(rootfs: &Path, rel: &str) -> String {
    let p = rootfs.join(rel);
    match std::fs::symlink_metadata(&p) {
        Ok(m) if m.file_type().is_file() => std::fs::read_to_string(&p).unwrap_or_default(),
        _ => String::new(),
    }
}

pub fn resolve(rootfs: &Path, spec: &str) -> Result<User> {
    resolve_with_groups(rootfs, spec, &[])
}

/// [`resolve`], then the `--group-add` groups (names looked up in the
/// container's /etc/group, or numbers) after the user's own, as Docker
/// orders them.
pub fn resolve_with_groups(rootfs: &Path, spec: &str, group_add: &[String]) -> Result<User> {
    let passwd = read_rootfs_file(rootfs, "etc/passwd");
    let group = read_rootfs_file(rootfs, "etc/group");
    let mut user = resolve_in(&passwd, &group, spec)?;
    for gid in super::security::group_add_gids(&group, group_add)? {
        if !user.additional_gids.contains(&gid) {
            user.additional_gids.push(gid);
        }
    }
    Ok(user)
}

pub fn resolve_in(passwd: &str, group: &str, spec: &str) -> Result<User> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let entries: Vec<Vec<&str>> = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 4)
        .collect();
    let home_of = |f: &Vec<&str>| {
        f.get(5)
            .copied()
            .filter(|h| !h.is_empty())
            .unwrap_or("/")
            .to_string()
    };
    let (uid, mut gid, name, home) = if u.is_empty() || u == "0" || u == "root" {
        match entries.iter().find(|f| f[2] == "0") {
            Some(f) => (
                0,
                f[3].parse().unwrap_or(0),
                Some(f[0].to_string()),
                home_of(f),
            ),
            None => (0, 0, Some("root".to_string()), "/root".to_string()),
        }
    } else if let Ok(uid) = u.parse::<u32>() {
        match entries.iter().find(|f| f[2] == u) {
            Some(f) => (
                uid,
                f[3].parse().unwrap_or(0),
                Some(f[0].to_string()),
                home_of(f),
            ),
            None => (uid, 0, None, "/".to_string()),
        }
    } else {
        let f = entries.iter().find(|f| f[0] == u).ok_or_else(|| {
            Error::invalid(format!(
                "unable to find user {u}: no matching entries in passwd file"
            ))
        })?;
        (
            f[2].parse()
                .map_err(|_| Error::invalid(format!("bad uid for user {u} in passwd file")))?,
            f[3].parse().unwrap_or(0),
            Some(u.to_string()),
            home_of(f),
        )
    };
    let groups: Vec<Vec<&str>> = group
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 3)
        .collect();
    if let Some(g) = g.filter(|g| !g.is_empty()) {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => groups
                .iter()
                .find(|f| f[0] == g)
                .and_then(|f| f[2].parse().ok())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
    }
    let mut additional_gids = Vec::new();
    if let Some(name) = name {
        for f in &groups {
            if f.len() >= 4 && f[3].split(',').any(|m| m == name) {
                if let Ok(id) = f[2].parse::<u32>() {
                    if id != gid && !additional_gids.contains(&id) {
                        additional_gids.push(id);
                    }
                }
            }
        }
    }
    Ok(User {
        uid,
        gid,
        additional_gids,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\napp:x:1000:\nwheel:x:10:app\n";

    #[test]
    fn users() {
        assert_eq!(resolve_in(PASSWD, GROUP, "").unwrap().uid, 0);
        let app = resolve_in(PASSWD, GROUP, "app").unwrap();
        assert_eq!(
            (app.uid, app.gid, app.additional_gids.clone()),
            (1000, 1000, vec![10])
        );
        let n = resolve_in(PASSWD, GROUP, "1234:55").unwrap();
        assert_eq!((n.uid, n.gid), (1234, 55));
        assert_eq!(resolve_in(PASSWD, GROUP, "app:wheel").unwrap().gid, 10);
        let e = resolve_in(PASSWD, GROUP, "nobody").unwrap_err();
        assert!(
            e.message.contains("unable to find user nobody"),
            "{}",
            e.message
        );
        assert!(resolve_in(PASSWD, GROUP, "app:nogroup").is_err());
    }
}
