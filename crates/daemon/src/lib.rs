//! wharf-daemon owns the Engine API server and the engine's state: the
//! container table and state machine, events, restart policies, start-up
//! reconcile. Routes are thin (parse → backend → encode). It must not
//! fork, clone or setns on a tokio worker: container processes are made by
//! the monitor, a separate process (see wharf-runtime).

pub mod blocking_io;
pub mod build;
pub mod container;
pub mod daemon;
pub mod error;
pub mod events;
pub mod exec;
pub mod exec_root_tmpfs;
pub mod http;
pub mod image_prune;
pub mod image_view;
pub mod memory;
mod overlapped_save;
pub mod phases;
pub mod private_roots;
pub mod reaper;
pub mod reconcile_gate;
pub mod router;
pub mod server;
pub mod system_df;
pub mod util;
pub mod warm_monitors;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::error::Error;

/// `wharf daemon` options.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// `unix:///path/to.sock`
    pub host: String,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    /// Default OCI runtime: `libcontainer` or `runc`.
    pub runtime: String,
    /// Linux bridge of the default `bridge` network (`--bridge`, dockerd's
    /// flag); `wharf0` when empty.
    pub bridge: String,
    /// The default bridge's address and subnet (`--bip 172.17.0.1/16`);
    /// the first free default pool when empty.
    pub bip: String,
    /// Registries (`host:port`) reached over plain HTTP
    /// (`--insecure-registry`); loopback ones always are.
    pub insecure_registries: Vec<String>,
    /// `--cgroup-favordynmods`: remount the host's cgroup2 mount with
    /// `favordynmods` at start-up (see `wharf_sys::cgroupfs`).
    pub cgroup_favordynmods: bool,
    /// `--warm-monitors N`: monitors kept started ahead of any container,
    /// so a start skips a monitor's process start-up (0: none).
    pub warm_monitors: usize,
    /// `--exec-root-tmpfs` (on by default): keep the exec root on a tmpfs
    /// of its own when it is not in memory already (see `exec_root_tmpfs`).
    pub exec_root_tmpfs: bool,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            host: "unix:///run/wharf/wharf.sock".into(),
            data_root: "/var/lib/wharf".into(),
            exec_root: "/run/wharf".into(),
            runtime: "libcontainer".into(),
            bridge: String::new(),
            bip: String::new(),
            insecure_registries: Vec::new(),
            cgroup_favordynmods: false,
            warm_monitors: 1,
            exec_root_tmpfs: true,
        }
    }
}

/// Errors of the stores and parsers this daemon calls: each knows its kind.
pub trait Kinded: std::fmt::Display {
    fn error_kind(&self) -> wharf_api::error::ErrorKind;
}

macro_rules! kinded {
    ($($t:ty),*) => {$(
        impl Kinded for $t {
            fn error_kind(&self) -> wharf_api::error::ErrorKind {
                self.kind()
            }
        }
    )*};
}

kinded!(
    wharf_image::error::ImageError,
    wharf_volume::VolumeError,
    wharf_network::NetworkError,
    wharf_volume::spec::SpecError,
    wharf_volume::copy::CopyError,
    wharf_runtime::spec::SpecError,
    wharf_runtime::seccomp_profile::SeccompError
);

/// Maps a store or parser error onto an API error (kind + Docker's text).
pub fn kinded<E: Kinded>(e: E) -> Error {
    Error::new(e.error_kind(), e.to_string())
}

/// Runs the daemon until SIGINT/SIGTERM.
pub async fn run(opts: DaemonOptions) -> anyhow::Result<()> {
    // `fd://`: the socket systemd passed (contrib/wharf.socket).
    router::set_insecure_registries(opts.insecure_registries.clone());
    let activated = opts.host == "fd://" || opts.host == "fd://3";
    let sock = match opts.host.strip_prefix("unix://") {
        Some(p) => PathBuf::from(p),
        None if activated => PathBuf::new(),
        None => anyhow::bail!(
            "unsupported host {:?}: only unix:///path sockets and fd:// are served",
            opts.host
        ),
    };
    let mut ph = phases::Phases::new("daemon_start", "");
    // Taken first: without activation nothing else is set up.
    let passed = if activated {
        Some(wharf_sys::systemd::take_listen_socket()?)
    } else {
        None
    };
    exec_root_tmpfs::prepare(&opts.exec_root, opts.exec_root_tmpfs, activated);
    private_roots::secure(&opts.data_root, &opts.exec_root).with_context(|| {
        format!(
            "make the data root {} and the exec root {} private",
            opts.data_root.display(),
            opts.exec_root.display()
        )
    })?;
    ph.mark("roots");
    if opts.cgroup_favordynmods {
        apply_favordynmods();
    }
    build::reap(&opts.data_root);
    ph.mark("build_reap");
    let images =
        wharf_image::ImageStore::open(&opts.data_root.join("image")).context("open image store")?;
    let volumes = wharf_volume::VolumeStore::open(&opts.data_root.join("volumes"))
        .context("open volume store")?;
    ph.mark("images_volumes");
    // Records only: the host side (bridges, firewall) is made by the
    // start-up task below, while ping already answers.
    let networks = wharf_network::NetworkStore::open_deferred(
        &opts.data_root.join("network"),
        &wharf_network::DefaultBridge {
            name: opts.bridge.clone(),
            bip: opts.bip.clone(),
        },
        Some(Arc::new(
            wharf_network::firewall::NftFirewall::new(
                &wharf_network::firewall::NftFirewall::table_name_for(&opts.exec_root),
            )
            .context("firewall")?,
        )),
    )
    .context("open network store")?;
    let networks = Arc::new(networks);
    ph.mark("networks");
    let host_resolv =
        std::fs::read_to_string(wharf_network::dns::host_resolv_conf_path()).unwrap_or_default();
    let dns = wharf_network::dns::DnsServer::new(
        networks.clone(),
        wharf_network::dns::host_upstreams(&host_resolv),
    );
    // Monitors run `wharf-monitor` when it is installed beside us and of
    // our build; an older one is left alone, with a warning.
    let (exe, stale) =
        wharf_runtime::monitor_exe(&std::env::current_exe().context("find own executable")?);
    if let Some(why) = stale {
        tracing::warn!("{why}");
    }
    let warm = warm_monitors::WarmPool::new(&exe, &opts.exec_root, opts.warm_monitors);
    let d = Arc::new(daemon::Daemon {
        data_root: opts.data_root.clone(),
        exec_root: opts.exec_root.clone(),
        default_runtime: opts.runtime.clone(),
        exe,
        warm,
        images,
        volumes,
        networks,
        dns,
        events: Default::default(),
        table: Default::default(),
        execs: Default::default(),
        attach_waiters: Default::default(),
    });
    ph.mark("dns");
    let listener = match passed {
        Some(l) => tokio::net::UnixListener::from_std(l).context("adopt the systemd socket")?,
        None => server::bind(&sock)?,
    };
    ph.mark("bind");
    ph.finish();
    // Served at once; requests but ping and version wait for reconcile.
    reconcile_gate::close();
    let d2 = d.clone();
    tokio::spawn(async move {
        let t0 = std::time::Instant::now();
        let d3 = d2.clone();
        let _ = tokio::task::spawn_blocking(move || {
            d3.networks.bring_up();
            container::reconcile::load_all(&d3);
        })
        .await;
        container::reconcile::reconcile(&d2).await;
        container::reconcile::reap_orphans(&d2).await;
        let d3 = d2.clone();
        let _ =
            tokio::task::spawn_blocking(move || container::deferred_teardown::resume(&d3)).await;
        reconcile_gate::open();
        container::netns::refill();
        tracing::info!(
            containers = d2.table().by_id.len(),
            ms = t0.elapsed().as_millis() as u64,
            "start-up reconcile done"
        );
        // Trash a crash left behind goes to the background reaper.
        reaper::sweep(&d2.data_root);
        reaper::sweep(&d2.exec_root);
    });
    tracing::info!(socket = %sock.display(), data_root = %opts.data_root.display(), "wharf daemon listening");
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    };
    memory::spawn_trimmer();
    server::serve(d.clone(), listener, shutdown).await;
    container::deferred_teardown::drain(std::time::Duration::from_secs(5)).await;
    d.networks.shutdown();
    // Idle warm monitors exit on EOF of their pipe; none is left behind.
    d.warm.shutdown();
    // Containers keep running under their monitors; only the socket goes.
    if !activated {
        let _ = std::fs::remove_file(&sock);
    }
    exec_root_tmpfs::release_if_idle(&opts.exec_root);
    tracing::info!("wharf daemon stopped; containers keep running");
    Ok(())
}

/// `--cgroup-favordynmods`: a host that cannot take the option keeps
/// working as before, with a warning that says why.
fn apply_favordynmods() {
    match wharf_sys::cgroupfs::favor_dynmods() {
        Ok(wharf_sys::cgroupfs::FavorDynmods::Set(p)) => {
            tracing::info!(mount = %p.display(), "cgroup2 mount remounted with favordynmods")
        }
        Ok(wharf_sys::cgroupfs::FavorDynmods::AlreadySet(p)) => {
            tracing::info!(mount = %p.display(), "cgroup2 mount has favordynmods already")
        }
        Err(e) => tracing::warn!(error = %e, kind = e.kind(), "--cgroup-favordynmods not applied"),
    }
}
