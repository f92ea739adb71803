//! `wharf build [-t NAME:TAG]... [-f Dockerfile] [--build-arg K=V]...
//! [--target STAGE] [--no-cache] [--label K=V]... [-q] CONTEXT|-`:
//! sends the context (a directory packed as a tar without what
//! `.dockerignore` excludes, or a tar or Dockerfile on stdin) to
//! `POST /build` and prints the progress as Docker's classic builder.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use wharf_build::ignore::Ignore;
use wharf_client::Client;

use super::{jsonmsg, Ctx};
use wharf_client::query_escape as q;

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Name and optionally a tag in the "name:tag" format
    #[arg(short = 't', long = "tag")]
    pub tag: Vec<String>,
    /// Name of the Dockerfile (default: "PATH/Dockerfile")
    #[arg(short = 'f', long = "file")]
    pub file: Option<String>,
    /// Set build-time variables
    #[arg(long = "build-arg")]
    pub build_arg: Vec<String>,
    /// Set the target build stage to build
    #[arg(long)]
    pub target: Option<String>,
    /// Do not use cache when building the image
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image
    #[arg(long)]
    pub pull: bool,
    /// Set metadata for an image
    #[arg(long = "label")]
    pub label: Vec<String>,
    /// Suppress the build output and print image ID on success
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Set type of progress output (plain, tty, auto)
    #[arg(long, default_value = "auto")]
    pub progress: String,
    /// Remove intermediate containers after a successful build
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub rm: bool,
    /// Always remove intermediate containers
    #[arg(long = "force-rm")]
    pub force_rm: bool,
    /// PATH | - (a tar or a Dockerfile on stdin)
    pub context: String,
}

fn key_value(s: &str) -> (String, Option<String>) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (s.to_string(), std::env::var(s).ok()),
    }
}

/// The `POST /build` query.
pub fn build_query(a: &BuildArgs, dockerfile: &str) -> String {
    let mut p = Vec::new();
    for t in &a.tag {
        p.push(format!("t={}", q(t)));
    }
    if !dockerfile.is_empty() {
        p.push(format!("dockerfile={}", q(dockerfile)));
    }
    if !a.build_arg.is_empty() {
        let m: BTreeMap<String, Option<String>> =
            a.build_arg.iter().map(|s| key_value(s)).collect();
        p.push(format!(
            "buildargs={}",
            q(&serde_json::to_string(&m).unwrap_or_default())
        ));
    }
    if !a.label.is_empty() {
        let m: BTreeMap<String, String> = a
            .label
            .iter()
            .map(|s| {
                let (k, v) = key_value(s);
                (k, v.unwrap_or_default())
            })
            .collect();
        p.push(format!(
            "labels={}",
            q(&serde_json::to_string(&m).unwrap_or_default())
        ));
    }
    if let Some(t) = &a.target {
        p.push(format!("target={}", q(t)));
    }
    if a.no_cache {
        p.push("nocache=1".into());
    }
    if a.pull {
        p.push("pull=1".into());
    }
    if a.quiet {
        p.push("q=1".into());
    }
    p.push(format!("rm={}", a.rm as u8));
    if a.force_rm {
        p.push("forcerm=1".into());
    }
    format!("/build?{}", p.join("&"))
}

fn looks_like_tar(b: &[u8]) -> bool {
    b.starts_with(&[0x1f, 0x8b]) || (b.len() >= 262 && &b[257..262] == b"ustar")
}

fn append_file(t: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    t.append_data(&mut h, name, data)
}

/// Packs `dir` without what its `.dockerignore` excludes (the
/// Dockerfile and `.dockerignore` themselves always go).
fn pack_dir(dir: &Path, dockerfile_rel: &str) -> anyhow::Result<tar::Builder<Vec<u8>>> {
    let ignore = std::fs::read_to_string(dir.join(".dockerignore"))
        .map(|t| Ignore::parse(&t))
        .unwrap_or_default();
    let mut t = tar::Builder::new(Vec::new());
    t.follow_symlinks(false);
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        let mut names: Vec<_> = std::fs::read_dir(&full)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", full.display()))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for n in names {
            let r = rel.join(&n);
            let rs = r.to_string_lossy().into_owned();
            let keep = rs == ".dockerignore" || rs == dockerfile_rel;
            let excluded = !keep && ignore.excluded(&rs);
            let p = dir.join(&r);
            let is_dir = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir());
            if excluded && !(is_dir && ignore.has_exceptions()) {
                continue;
            }
            if !excluded {
                t.append_path_with_name(&p, &r)
                    .map_err(|e| anyhow::anyhow!("adding {} to the context: {e}", p.display()))?;
            }
            if is_dir {
                stack.push(r);
            }
        }
    }
    Ok(t)
}

/// The context tar and the Dockerfile's name in it.
fn context(a: &BuildArgs) -> anyhow::Result<(Vec<u8>, String)> {
    if a.context == "-" {
        let mut input = Vec::new();
        std::io::stdin().read_to_end(&mut input)?;
        if looks_like_tar(&input) {
            return Ok((input, a.file.clone().unwrap_or_default()));
        }
        let mut t = tar::Builder::new(Vec::new());
        append_file(&mut t, "Dockerfile", &input)?;
        return Ok((t.into_inner()?, "Dockerfile".into()));
    }
    let dir = PathBuf::from(&a.context);
    if !dir.is_dir() {
        anyhow::bail!("unable to prepare context: path {:?} not found", a.context);
    }
    let dir = dir.canonicalize()?;
    let df_path = match a.file.as_deref() {
        Some("-") => None,
        Some(f) => Some(PathBuf::from(f)),
        None => Some(dir.join("Dockerfile")),
    };
    let (inside, extra): (String, Option<Vec<u8>>) = match df_path {
        None => {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b)?;
            (String::new(), Some(b))
        }
        Some(p) => {
            let abs = std::fs::canonicalize(&p)
                .map_err(|_| anyhow::anyhow!("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {}: no such file or directory", p.display()))?;
            match abs.strip_prefix(&dir) {
                Ok(rel) => (rel.to_string_lossy().into_owned(), None),
                Err(_) => (String::new(), Some(std::fs::read(&abs)?)),
            }
        }
    };
    let mut t = pack_dir(&dir, &inside)?;
    let name = match extra {
        Some(data) => {
            let name = format!(".dockerfile.{:x}", std::process::id());
            append_file(&mut t, &name, &data)?;
            name
        }
        None => inside,
    };
    Ok((t.into_inner()?, name))
}

pub async fn run(ctx: &Ctx, a: BuildArgs) -> anyhow::Result<i32> {
    let a = std::sync::Arc::new(a);
    let a2 = a.clone();
    let (tar, dockerfile) = tokio::task::spawn_blocking(move || context(&a2)).await??;
    let path = build_query(&a, &dockerfile);
    // Every stored credential, for a FROM on a registry that needs auth
    // (Docker's classic builder sends them the same way).
    let registry_config = super::registry_auth::all_header();
    let resp = ctx
        .client
        .request_with_headers(
            wharf_client::Method::POST,
            &path,
            &[("X-Registry-Config", registry_config.as_str())],
            Some("application/x-tar"),
            Client::bytes_body(tar),
        )
        .await?;
    jsonmsg::print_stream(wharf_client::JsonStream::new(resp)).await?;
    Ok(0)
}
