//! `wharf cp [-a] [-L] [-q] SRC DEST`: copy between a container and the
//! local filesystem, either way, as `docker cp` does (`-` streams a tar on
//! stdin or stdout). The daemon resolves container paths inside the
//! container's root; this side applies Docker's `cp SRC DEST` rules (a
//! trailing `/.` copies a directory's content, an existing directory
//! receives the source by name, a missing destination takes the source's
//! place, its parent must exist).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use tokio::io::AsyncWriteExt;
use wharf_api::archive::{PathStat, PATH_STAT_HEADER};
use wharf_client::Method;
use wharf_client::{Client, ClientError};
use wharf_sys::inroot::Root;

use super::{q, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct CpArgs {
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long = "follow-link")]
    pub follow_link: bool,
    /// Suppress progress output during copy. Progress output is
    /// automatically suppressed if no terminal is attached
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(value_name = "SRC_PATH")]
    pub src: String,
    #[arg(value_name = "DEST_PATH")]
    pub dst: String,
}

/// Docker's `splitCpArg`: an absolute or `.`-relative path is local (it
/// may contain a colon); otherwise `NAME:PATH` names a container path.
fn split(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') || arg.starts_with('.') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) => (Some(c), p),
        None => (None, arg),
    }
}

pub async fn run(ctx: &Ctx, a: CpArgs) -> anyhow::Result<i32> {
    match (split(&a.src), split(&a.dst)) {
        ((Some(_), _), (Some(_), _)) => bail!("copying between containers is not supported"),
        ((None, _), (None, _)) => bail!("must specify at least one container source"),
        ((Some(c), p), (None, dst)) => from_container(ctx, &a, c, p, dst).await,
        ((None, src), (Some(c), p)) => to_container(ctx, &a, src, c, p).await,
    }
}

fn archive_path(container: &str, path: &str) -> String {
    format!("/containers/{}/archive?path={}", seg(container), q(path))
}

async fn stat(client: &Client, container: &str, path: &str) -> Result<PathStat, ClientError> {
    let resp = client.head(&archive_path(container, path)).await?;
    resp.header(PATH_STAT_HEADER)
        .and_then(|h| PathStat::from_header(&h))
        .ok_or_else(|| ClientError::Protocol("no path stat in the answer".into()))
}

/// `filepath.Base` as Go has it ("." for "a/.", "/" for "/").
fn base(p: &str) -> String {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return if p.is_empty() { ".".into() } else { "/".into() };
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// `filepath.Dir` of a path, "." for a bare name.
fn dir_of(p: &str) -> String {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => t[..i].to_string(),
        None => ".".into(),
    }
}

/// A path that asserts a directory: it ends with `/` or `/.`.
fn asserts_dir(p: &str) -> bool {
    p.ends_with('/') || p.ends_with("/.") || p == "."
}

/// Where and under which top name the source lands (Docker's
/// `PrepareArchiveCopy`): `(directory to extract into, new top name)`.
fn prepare(
    src_path: &str,
    src_is_dir: bool,
    dst_path: &str,
    dst: Option<bool>,
) -> anyhow::Result<(String, String)> {
    match dst {
        Some(true) => {
            if src_is_dir && src_path.ends_with("/.") {
                Ok((dst_path.to_string(), ".".into()))
            } else {
                Ok((dst_path.to_string(), base(src_path)))
            }
        }
        Some(false) => {
            if src_is_dir {
                bail!("cannot copy a directory to a file");
            }
            if asserts_dir(dst_path) {
                bail!("destination {dst_path:?} must be a directory");
            }
            Ok((dir_of(dst_path), base(dst_path)))
        }
        None => {
            if asserts_dir(dst_path) && !src_is_dir {
                bail!("no such directory: {dst_path}");
            }
            Ok((dir_of(dst_path), base(dst_path)))
        }
    }
}

/// Docker's `units.HumanSize`: decimal units, four significant digits.
fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let s = if i == 0 {
        n.to_string()
    } else {
        let s = format!("{v:.digits$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    format!("{s}{}", units[i])
}

fn io_msg(e: &std::io::Error) -> String {
    super::container_opts::io_msg(e)
}

async fn from_container(
    ctx: &Ctx,
    a: &CpArgs,
    container: &str,
    path: &str,
    dst: &str,
) -> anyhow::Result<i32> {
    let path = if path.is_empty() { "/" } else { path };
    let mut src_path = path.to_string();
    let mut rebase: Option<String> = None;
    if a.follow_link {
        let st = stat(&ctx.client, container, &src_path)
            .await
            .map_err(|e| not_found(e, container, path))?;
        if st.is_symlink() && !st.link_target.is_empty() {
            rebase = Some(base(&src_path));
            src_path = st.link_target.clone();
        }
    }
    let mut resp = ctx.client.get(&archive_path(container, &src_path)).await?;
    let st = resp
        .header(PATH_STAT_HEADER)
        .and_then(|h| PathStat::from_header(&h))
        .unwrap_or_default();
    if dst == "-" {
        let mut out = tokio::io::stdout();
        while let Some(chunk) = resp.chunk().await {
            out.write_all(&chunk?).await?;
        }
        out.flush().await?;
        return Ok(0);
    }
    // The local destination, symlinks followed, as Docker's CopyInfoDestinationPath.
    let dst_info = match std::fs::metadata(dst) {
        Ok(m) => Some(m.is_dir()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = dir_of(dst);
            if let Err(e) = std::fs::metadata(&parent) {
                bail!("stat {parent}: {}", io_msg(&e));
            }
            None
        }
        Err(e) => bail!("stat {dst}: {}", io_msg(&e)),
    };
    let shown_src = rebase.clone().unwrap_or_else(|| src_path.clone());
    let (into, top) = prepare(&shown_src, st.is_dir(), dst, dst_info)?;
    let from = base(&src_path);
    let (reader, writer) = std::io::pipe()?;
    let into_dir = PathBuf::from(&into);
    let extract = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let root = Root::open(&into_dir)?;
        let opts = wharf_archive::UnpackOptions {
            no_overwrite_dir_non_dir: true,
            no_chown: true,
            ..Default::default()
        };
        wharf_archive::unpack_in_root_rebased(reader, &root, Path::new("/"), opts, &from, &top)?;
        Ok(())
    });
    let mut w = tokio::fs::File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(writer)));
    let mut total = 0u64;
    let mut send_err = None;
    while let Some(chunk) = resp.chunk().await {
        let chunk = chunk?;
        total += chunk.len() as u64;
        if let Err(e) = w.write_all(&chunk).await {
            send_err = Some(e);
            break;
        }
    }
    let _ = w.flush().await;
    drop(w);
    extract.await??;
    if let Some(e) = send_err {
        return Err(e.into());
    }
    if !a.quiet && std::io::stderr().is_terminal() {
        eprintln!("Successfully copied {} to {dst}", human(total));
    }
    Ok(0)
}

/// A 404 of a stat (HEAD, which carries no message) is Docker's "No such
/// container:path"; a missing container keeps the daemon's message.
fn not_found(e: ClientError, container: &str, path: &str) -> anyhow::Error {
    match &e {
        ClientError::Api {
            status: 404,
            message,
        } if !message.starts_with("No such container") => {
            anyhow!("Error: No such container:path: {container}:{path}")
        }
        ClientError::Protocol(_) => anyhow!("Error: No such container:path: {container}:{path}"),
        _ => e.into(),
    }
}

async fn to_container(
    ctx: &Ctx,
    a: &CpArgs,
    src: &str,
    container: &str,
    path: &str,
) -> anyhow::Result<i32> {
    let path = if path.is_empty() { "/" } else { path };
    // The destination in the container, one symlink followed as Docker does.
    let mut dst_path = path.to_string();
    let mut dst_stat = stat(&ctx.client, container, &dst_path).await;
    if let Ok(st) = &dst_stat {
        if st.is_symlink() && !st.link_target.is_empty() {
            dst_path = st.link_target.clone();
            dst_stat = stat(&ctx.client, container, &dst_path).await;
        }
    }
    if src == "-" {
        match &dst_stat {
            Ok(st) if st.is_dir() => {}
            Ok(_) => bail!("destination \"{container}:{path}\" must be a directory"),
            Err(e) => return Err(not_found_head(e, ctx, container, path).await),
        }
        let body = Client::reader_body(tokio::io::stdin());
        put(ctx, container, &dst_path, a.archive, body).await?;
        return Ok(0);
    }
    let dst_info = dst_stat.as_ref().ok().map(|s| s.is_dir());
    // The local source.
    let meta = if a.follow_link {
        std::fs::metadata(src)
    } else {
        std::fs::symlink_metadata(src)
    }
    .map_err(|e| anyhow!("lstat {src}: {}", io_msg(&e)))?;
    if asserts_dir(src) && !meta.is_dir() {
        bail!("lstat {src}: not a directory");
    }
    let (into, top) = prepare(src, meta.is_dir(), &dst_path, dst_info)?;
    let src_parent = dir_of(src);
    let src_name = if src.trim_end_matches('/').ends_with("/.") || src == "." {
        src.to_string()
    } else {
        base(src)
    };
    let follow = a.follow_link || asserts_dir(src);
    let (reader, writer) = std::io::pipe()?;
    let pack = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let (root, rel) = if src_name.contains('/') || src_name == "." {
            // `dir/.`: pack the directory itself (its content under `top`).
            let dir = src_name.trim_end_matches('.').trim_end_matches('/');
            let dir = match dir {
                "" if src_name.starts_with('/') => "/",
                "" => ".",
                d => d,
            };
            (Root::open(Path::new(dir))?, PathBuf::from("/"))
        } else {
            (
                Root::open(Path::new(&src_parent))?,
                PathBuf::from(&src_name),
            )
        };
        wharf_archive::pack_in_root(&root, &rel, follow, &top, writer)?;
        Ok(())
    });
    let counted = Counted::default();
    let total = counted.0.clone();
    let body = Client::reader_body(CountingReader {
        inner: tokio::fs::File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(reader))),
        n: counted,
    });
    let put_result = put(ctx, container, &into, a.archive, body).await;
    let pack_result = pack.await?;
    put_result?;
    pack_result?;
    if !a.quiet && std::io::stderr().is_terminal() {
        let n = total.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("Successfully copied {} to {container}:{path}", human(n));
    }
    Ok(0)
}

async fn not_found_head(e: &ClientError, ctx: &Ctx, container: &str, path: &str) -> anyhow::Error {
    // HEAD carries no message: ask for the container to tell the two 404s apart.
    if let Err(ce) = ctx
        .client
        .get(&format!("/containers/{}/json", seg(container)))
        .await
    {
        return ce.into();
    }
    let _ = e;
    anyhow!("Error: No such container:path: {container}:{path}")
}

async fn put(
    ctx: &Ctx,
    container: &str,
    dir: &str,
    copy_uid_gid: bool,
    body: wharf_client::Body,
) -> Result<(), ClientError> {
    let mut p = format!("{}&noOverwriteDirNonDir=true", archive_path(container, dir));
    if copy_uid_gid {
        p.push_str("&copyUIDGID=true");
    }
    ctx.client
        .request(Method::PUT, &p, Some("application/x-tar"), body)
        .await?;
    Ok(())
}

#[derive(Default, Clone)]
struct Counted(std::sync::Arc<std::sync::atomic::AtomicU64>);

struct CountingReader<R> {
    inner: R,
    n: Counted,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for CountingReader<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let added = (buf.filled().len() - before) as u64;
        self.n
            .0
            .fetch_add(added, std::sync::atomic::Ordering::Relaxed);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_docker() {
        assert_eq!(split("c:/etc"), (Some("c"), "/etc"));
        assert_eq!(split("/a:b"), (None, "/a:b"));
        assert_eq!(split("./a:b"), (None, "./a:b"));
        assert_eq!(split("file"), (None, "file"));
    }

    #[test]
    fn bases_and_sizes() {
        assert_eq!(base("/etc/"), "etc");
        assert_eq!(base("/etc/."), ".");
        assert_eq!(base("/"), "/");
        assert_eq!(dir_of("/a/b"), "/a");
        assert_eq!(dir_of("b"), ".");
        assert_eq!(human(512), "512B");
        assert_eq!(human(2048), "2.048kB");
        assert_eq!(human(104_857_600), "104.9MB");
    }

    #[test]
    fn docker_cp_rules() {
        assert_eq!(
            prepare("/d", true, "/x", Some(true)).unwrap(),
            ("/x".into(), "d".into())
        );
        assert_eq!(
            prepare("/d/.", true, "/x", Some(true)).unwrap(),
            ("/x".into(), ".".into())
        );
        assert_eq!(
            prepare("/f", false, "/x/y", None).unwrap(),
            ("/x".into(), "y".into())
        );
        assert!(prepare("/f", false, "/x/y/", None).is_err());
        assert!(prepare("/d", true, "/x/file", Some(false)).is_err());
    }
}
