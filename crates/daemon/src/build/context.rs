//! The build context: the tar the client sent, unpacked into the build's
//! scratch directory by the safe unpacker, with its `.dockerignore`; and
//! source selection for `COPY`/`ADD` (globs, paths that climb out cleaned
//! away, excluded files invisible).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use wharf_build::glob;
use wharf_build::ignore::{clean, Ignore};

use super::fsops;
use crate::error::{Error, Result};

pub struct Context {
    pub root: PathBuf,
}

impl Context {
    /// Unpacks the context tar (plain or gzip) into `dir` (must not
    /// exist), reads the Dockerfile at `dockerfile` (relative to the
    /// root), then removes what `.dockerignore` excludes, so no step can
    /// see it.
    pub fn unpack<R: Read>(reader: R, dir: &Path, dockerfile: &str) -> Result<(Context, String)> {
        let r = wharf_image::layer::decompress(reader)
            .map_err(|e| Error::invalid(format!("build context: {e}")))?;
        wharf_image::unpack_tar(r, dir)
            .map_err(|e| Error::invalid(format!("build context: {e}")))?;
        let ignore = fs::read_to_string(dir.join(".dockerignore"))
            .map(|t| Ignore::parse(&t))
            .unwrap_or_default();
        let rel = clean(dockerfile);
        let p = fsops::resolve_in_root(dir, &rel, true);
        let text = match fs::read(&p) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => {
                return Err(Error::invalid(format!(
                    "Cannot locate specified Dockerfile: {dockerfile}"
                )))
            }
        };
        if !ignore.is_empty() {
            let all = fsops::list_tree(dir)
                .map_err(|e| Error::internal(format!("build context: {e}")))?;
            let mut dirs = Vec::new();
            for rel in &all {
                if !ignore.excluded(rel) {
                    continue;
                }
                let p = dir.join(rel);
                match fs::symlink_metadata(&p) {
                    Ok(m) if m.is_dir() => dirs.push(p),
                    Ok(_) => {
                        let _ = fs::remove_file(&p);
                    }
                    Err(_) => {}
                }
            }
            // Deepest first; a directory still holding re-included files stays.
            for d in dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
        }
        Ok((
            Context {
                root: dir.to_path_buf(),
            },
            text,
        ))
    }
}

/// The sources a `COPY`/`ADD` names, relative to `root` (context or
/// image), expanded and checked: (cleaned relative path) in order.
pub fn select(root: &Path, patterns: &[String], what: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut tree: Option<Vec<String>> = None;
    for pat in patterns {
        let rel = clean(pat);
        if glob::has_meta(&rel) {
            if tree.is_none() {
                tree = Some(fsops::list_tree(root).map_err(|e| {
                    Error::internal(format!("{what} failed: reading sources: {e}"))
                })?);
            }
            let hits: Vec<String> = tree
                .as_ref()
                .into_iter()
                .flatten()
                .filter(|p| glob::matches(&rel, p))
                .cloned()
                .collect();
            if hits.is_empty() {
                return Err(Error::invalid(format!(
                    "{what} failed: no source files were specified: {pat} matches nothing"
                )));
            }
            out.extend(hits);
            continue;
        }
        let p = fsops::resolve_in_root(root, &rel, false);
        if fs::symlink_metadata(&p).is_err() {
            return Err(Error::invalid(format!(
                "{what} failed: file not found in build context or excluded by .dockerignore: stat {pat}: file does not exist"
            )));
        }
        out.push(rel);
    }
    Ok(out)
}
