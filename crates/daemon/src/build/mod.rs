//! Dockerfile builds (`POST /build`, `wharf build`), as Docker's classic
//! builder does them: each instruction is a step that commits an image
//! (its parent the previous step's), `RUN` in a real container of the
//! engine, `COPY`/`ADD`/`WORKDIR` in an overlay snapshot, each filesystem
//! change a layer with OCI whiteouts. A step whose parent, instruction
//! (after substitution, with the build args it sees) and copied content
//! match an earlier one is taken from the build cache without running.
//!
//! The builder runs on a blocking thread; `RUN` steps enter the runtime
//! to drive their container.

mod context;
mod dispatch;
mod fetch;
pub mod fsops;
pub mod progress;
mod run;
mod snapshot;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

pub use progress::Progress;

use crate::daemon::Daemon;
use crate::error::Result;

/// The query of `POST /build`, validated.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Familiar `name:tag` references.
    pub tags: Vec<String>,
    /// Path of the Dockerfile inside the context.
    pub dockerfile: String,
    /// `--build-arg`: `None` means "take it from the environment", which
    /// the daemon has not: the argument stays unset.
    pub build_args: BTreeMap<String, Option<String>>,
    pub target: String,
    pub no_cache: bool,
    pub labels: BTreeMap<String, String>,
    pub quiet: bool,
    /// `--pull`: pull the base images even when they are here.
    pub pull: bool,
    /// Remove intermediate containers after a successful step.
    pub rm: bool,
    /// Remove them after a failed one too.
    pub force_rm: bool,
    /// `X-Registry-Config`: credentials by registry (`config.json` keys,
    /// normalised with `auth_key`) for pulling `FROM` and `COPY --from`.
    pub registry_auths: BTreeMap<String, wharf_registry::Credentials>,
}

/// Scratch space of one build, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a build from the context tar `body`, reporting into `progress`.
/// Returns the image ID; errors are also reported into the stream.
pub fn build<R: Read>(
    d: &Arc<Daemon>,
    handle: tokio::runtime::Handle,
    body: R,
    opts: BuildOptions,
    progress: &Progress,
) -> Result<String> {
    let result: Result<String> = (|| {
        let scratch = Scratch(d.data_root.join("build").join(crate::util::random_id()));
        std::fs::create_dir_all(&scratch.0)?;
        let ctx_dir = scratch.0.join("context");
        let dockerfile_name = if opts.dockerfile.is_empty() {
            "Dockerfile".to_string()
        } else {
            opts.dockerfile.clone()
        };
        let (ctx, text) = context::Context::unpack(body, &ctx_dir, &dockerfile_name)?;
        let file_label = std::path::Path::new(&dockerfile_name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Dockerfile".into());
        let df = wharf_build::parse(&file_label, &text)
            .map_err(|e| crate::error::Error::invalid(e.to_string()))?;
        let mut b = dispatch::Builder::new(d, handle, &scratch.0, ctx, &opts, progress);
        let id = b.run(df)?;
        drop(b);
        Ok(id)
    })();
    if let Err(e) = &result {
        progress.error(&e.message);
    }
    result
}

/// At start-up: what builds interrupted by a crash left (snapshot mounts,
/// contexts, layer tars under `<data-root>/build`) is removed.
pub fn reap(data_root: &std::path::Path) {
    let dir = data_root.join("build");
    if !dir.exists() {
        return;
    }
    let prefix = format!("{}/", dir.display());
    let mut mounts: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_string))
        .filter(|m| m.starts_with(&prefix))
        .collect();
    mounts.sort();
    for m in mounts.iter().rev() {
        if let Err(e) = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH) {
            tracing::warn!(mount = %m, error = %e, "unmounting a stale build snapshot");
        }
    }
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(path = %dir.display(), error = %e, "removing stale build files");
    }
}
