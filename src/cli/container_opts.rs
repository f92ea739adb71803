//! Flags shared by `run` and `create`, and their resolution into a
//! validated `POST /containers/create` body. Every bad value is refused here,
//! before anything is sent, so nothing is created on a flag error.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use clap::ArgAction;
use wharf_api::container::{ContainerConfig, ContainerCreateBody, HostConfig};

use wharf_api::mount_spec as spec;

use super::parse;
use super::UsageError;

#[derive(Debug, Clone, clap::Args)]
pub struct ContainerOpts {
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Container host name
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Container NIS domain name
    #[arg(long)]
    pub domainname: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir")]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Set meta data on a container
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file")]
    pub label_file: Vec<PathBuf>,
    /// Memory limit
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Number of CPUs
    #[arg(long, allow_hyphen_values = true)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    pub cpu_shares: Option<i64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus")]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems")]
    pub cpuset_mems: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period")]
    pub cpu_period: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", allow_hyphen_values = true)]
    pub cpu_quota: Option<i64>,
    /// Memory soft limit
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Tune container memory swappiness (0 to 100)
    #[arg(long = "memory-swappiness", allow_hyphen_values = true)]
    pub memory_swappiness: Option<i64>,
    /// Disable OOM Killer
    #[arg(long = "oom-kill-disable")]
    pub oom_kill_disable: bool,
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable
    #[arg(long = "blkio-weight")]
    pub blkio_weight: Option<u16>,
    /// Cgroup namespace to use (host|private)
    #[arg(long = "cgroupns")]
    pub cgroupns: Option<String>,
    /// Add a rule to the cgroup allowed devices list
    #[arg(long = "device-cgroup-rule")]
    pub device_cgroup_rule: Vec<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Size of /dev/shm
    #[arg(long = "shm-size")]
    pub shm_size: Option<String>,
    /// Give extended privileges to this container
    #[arg(long)]
    pub privileged: bool,
    /// Add Linux capabilities
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Security Options
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Ulimit options
    #[arg(long)]
    pub ulimit: Vec<String>,
    /// Sysctl options
    #[arg(long)]
    pub sysctl: Vec<String>,
    /// Add a host device to the container
    #[arg(long)]
    pub device: Vec<String>,
    /// Add additional groups to join
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    pub init: bool,
    /// Restart policy to apply when a container exits
    #[arg(long)]
    pub restart: Option<String>,
    /// Signal to stop the container
    #[arg(long = "stop-signal")]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", allow_hyphen_values = true)]
    pub stop_timeout: Option<i64>,
    /// Command to run to check health
    #[arg(long = "health-cmd")]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h) (default 0s)
    #[arg(long = "health-interval")]
    pub health_interval: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h) (default 0s)
    #[arg(long = "health-timeout")]
    pub health_timeout: Option<String>,
    /// Consecutive failures needed to report unhealthy
    #[arg(long = "health-retries")]
    pub health_retries: Option<i64>,
    /// Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)
    #[arg(long = "health-start-period")]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (ms|s|m|h) (default 0s)
    #[arg(long = "health-start-interval")]
    pub health_start_interval: Option<String>,
    /// Disable any container-specified HEALTHCHECK
    #[arg(long = "no-healthcheck")]
    pub no_healthcheck: bool,
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Attach to STDIN, STDOUT or STDERR
    #[arg(short = 'a', long = "attach")]
    pub attach: Vec<String>,
    /// Runtime to use for this container
    #[arg(long)]
    pub runtime: Option<String>,
    /// Connect a container to a network
    #[arg(long = "network", visible_alias = "net")]
    pub network: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias")]
    pub network_alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long = "ip")]
    pub ip: Option<String>,
    /// IPv6 address (e.g., 2001:db8::33)
    #[arg(long = "ip6")]
    pub ip6: Option<String>,
    /// Container MAC address (e.g., 92:d0:c6:0a:29:33)
    #[arg(long = "mac-address")]
    pub mac_address: Option<String>,
    /// Add link to another container
    #[arg(long = "link")]
    pub link: Vec<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port or a range of ports
    #[arg(long)]
    pub expose: Vec<String>,
    /// Attach a filesystem mount to the container
    #[arg(long)]
    pub mount: Vec<String>,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Mount a tmpfs directory
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// Mount volumes from the specified container(s)
    #[arg(long = "volumes-from")]
    pub volumes_from: Vec<String>,
    /// Optional volume driver for the container
    #[arg(long = "volume-driver")]
    pub volume_driver: Option<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    pub add_host: Vec<String>,
    /// Set custom DNS servers
    #[arg(long)]
    pub dns: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search")]
    pub dns_search: Vec<String>,
    /// Set DNS options
    #[arg(long = "dns-option")]
    pub dns_option: Vec<String>,
    /// IPC mode to use
    #[arg(long)]
    pub ipc: Option<String>,
    /// PID namespace to use
    #[arg(long)]
    pub pid: Option<String>,
    /// UTS namespace to use
    #[arg(long)]
    pub uts: Option<String>,
    /// Optional parent cgroup for the container
    #[arg(long = "cgroup-parent")]
    pub cgroup_parent: Option<String>,
    /// Tune host's OOM preferences (-1000 to 1000)
    #[arg(long = "oom-score-adj", allow_hyphen_values = true)]
    pub oom_score_adj: Option<i64>,
    /// Logging driver for the container
    #[arg(long = "log-driver")]
    pub log_driver: Option<String>,
    /// Log driver options
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    pub platform: Option<String>,
    /// Pull image before running ("always", "missing", "never")
    #[arg(long, default_value = "missing")]
    pub pull: String,
    /// Suppress the pull output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Write the container ID to the file
    #[arg(long)]
    pub cidfile: Option<PathBuf>,
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

/// A validated create request.
#[derive(Debug)]
pub struct Resolved {
    pub body: ContainerCreateBody,
    pub name: Option<String>,
    /// Warnings to print before creating (ignored flags).
    pub warnings: Vec<String>,
    /// `--pull`: missing, always or never.
    pub pull: String,
}

impl ContainerOpts {
    /// Check every flag and build the create body. `detach` is `run -d`.
    pub fn resolve(
        &self,
        image: &str,
        cmd: &[String],
        detach: bool,
    ) -> Result<Resolved, UsageError> {
        let u = UsageError;
        let mut warnings = Vec::new();
        if image.is_empty() {
            return Err(u("invalid reference format".into()));
        }

        let env = environment(&self.env_file, &self.env)?;

        let mut label_lines = Vec::new();
        for f in &self.label_file {
            let body = std::fs::read_to_string(f)
                .map_err(|e| u(format!("open {}: {}", f.display(), io_msg(&e))))?;
            label_lines
                .extend(parse::key_value_file(&f.display().to_string(), &body, false).map_err(u)?);
        }
        label_lines.extend(self.label.iter().cloned());
        let labels = parse::labels(&label_lines);

        let memory = match &self.memory {
            Some(m) => parse::memory_flag("-m, --memory", m).map_err(u)?,
            None => 0,
        };
        let memory_swap = match self.memory_swap.as_deref() {
            None => 0,
            Some("-1") => -1,
            Some(m) => parse::memory_flag("--memory-swap", m).map_err(u)?,
        };
        let shm_size = match &self.shm_size {
            Some(m) => parse::memory_flag("--shm-size", m).map_err(u)?,
            None => 0,
        };
        let memory_reservation = match &self.memory_reservation {
            Some(m) => parse::memory_flag("--memory-reservation", m).map_err(u)?,
            None => 0,
        };
        let nano_cpus = match &self.cpus {
            Some(c) => parse::nano_cpus(c).map_err(u)?,
            None => 0,
        };
        let restart_policy = match &self.restart {
            Some(r) => parse::restart_policy(r).map_err(u)?,
            None => Default::default(),
        };
        if self.rm && !matches!(restart_policy.name.as_str(), "" | "no") {
            return Err(u("Conflicting options: --restart and --rm".into()));
        }
        // Checked here, sent as typed: Docker keeps the user's spelling
        // (`USR1`) in Config.StopSignal.
        let stop_signal = match &self.stop_signal {
            Some(s) => {
                parse::signal(s).map_err(|e| {
                    u(format!(
                        "invalid argument \"{s}\" for \"--stop-signal\" flag: {e}"
                    ))
                })?;
                Some(s.clone())
            }
            None => None,
        };
        if let Some(p) = self.pids_limit {
            if p < -1 {
                return Err(u(format!(
                    "invalid argument \"{p}\" for \"--pids-limit\" flag: must be -1 or positive"
                )));
            }
        }

        // Ports.
        // Docker's grammar and messages, shared with the daemon.
        let (exposed_ports, port_bindings) =
            wharf_api::port::parse_publish_expose(&self.publish, &self.expose)
                .map_err(|e| u(e.to_string()))?;

        // Mounts: -v binds or anonymous volumes, --mount, --tmpfs.
        let mut targets = HashSet::new();
        let mut dup = |t: &str| -> Result<(), UsageError> {
            let t = spec::clean_path(t);
            if !targets.insert(t.clone()) {
                return Err(UsageError(format!("Duplicate mount point: {t}")));
            }
            Ok(())
        };
        // Parsed and checked by wharf-volume's parsers (the daemon runs the
        // same ones); on the wire `-v` stays a `Binds` string (an anonymous
        // `-v /p` goes to `Config.Volumes`) and `--tmpfs` a `Tmpfs` entry,
        // as docker's CLI sends them. Bind sources are checked by the daemon.
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let mut binds = Vec::new();
        let mut volumes = BTreeMap::new();
        for v in &self.volume {
            let raw = spec::absolutize_volume_flag(v, &cwd);
            let m = spec::parse_volume_flag(&raw).map_err(|e| {
                u(format!(
                    "invalid argument \"{v}\" for \"-v, --volume\" flag: {e}"
                ))
            })?;
            dup(&m.target)?;
            if m.source.is_empty() {
                volumes.insert(m.target, serde_json::json!({}));
            } else {
                binds.push(raw);
            }
        }
        let mut mounts = Vec::new();
        for v in &self.mount {
            let m = spec::parse_mount_flag(v)
                .and_then(|m| spec::validate_one(&m).map(|_| m))
                .map_err(|e| {
                    u(format!(
                        "invalid argument \"{v}\" for \"--mount\" flag: {e}"
                    ))
                })?;
            dup(&m.target)?;
            mounts.push(m);
        }
        let mut tmpfs = BTreeMap::new();
        for t in &self.tmpfs {
            let m = spec::parse_tmpfs_flag(t).map_err(|e| {
                u(format!(
                    "invalid argument \"{t}\" for \"--tmpfs\" flag: {e}"
                ))
            })?;
            dup(&m.target)?;
            let (dst, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
            tmpfs.insert(dst.to_string(), opts.to_string());
        }
        for f in &self.volumes_from {
            spec::parse_volumes_from(f).map_err(|e| {
                u(format!(
                    "invalid argument \"{f}\" for \"--volumes-from\" flag: {e}"
                ))
            })?;
        }

        let (security_opt, system_paths_unconfined) = security_opts(&self.security_opt)?;
        let mut ulimits = Vec::new();
        for v in &self.ulimit {
            ulimits.push(ulimit(v).map_err(|e| {
                u(format!(
                    "invalid argument \"{v}\" for \"--ulimit\" flag: {e}"
                ))
            })?);
        }
        let mut sysctls = BTreeMap::new();
        for v in &self.sysctl {
            let (k, val) = sysctl(v).map_err(|e| {
                u(format!(
                    "invalid argument \"{v}\" for \"--sysctl\" flag: {e}"
                ))
            })?;
            sysctls.insert(k, val);
        }
        let mut devices = Vec::new();
        for v in &self.device {
            devices.push(device(v).map_err(|e| {
                u(format!(
                    "invalid argument \"{v}\" for \"--device\" flag: {e}"
                ))
            })?);
        }

        let mut extra_hosts = Vec::new();
        for h in &self.add_host {
            extra_hosts.push(parse::extra_host(h).map_err(u)?);
        }
        for d in &self.dns {
            if d.parse::<std::net::IpAddr>().is_err() {
                return Err(u(format!(
                    "invalid argument \"{d}\" for \"--dns\" flag: {d} is not an ip address"
                )));
            }
        }

        // Flags wharf parses but cannot honour yet are refused, never
        // silently dropped.
        match self.pull.as_str() {
            "missing" | "never" | "always" => {}
            other => {
                return Err(u(format!(
                    "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
                )))
            }
        }
        if let Some(d) = self
            .volume_driver
            .as_deref()
            .filter(|d| !d.is_empty() && *d != "local")
        {
            return Err(u(format!(
                "invalid argument \"{d}\" for \"--volume-driver\" flag: only the local volume driver is available"
            )));
        }

        if let Some(p) = &self.platform {
            if !matches!(
                p.as_str(),
                "linux" | "linux/amd64" | "amd64" | "linux/x86_64"
            ) {
                warnings.push(format!(
                    "WARNING: The requested image's platform ({p}) does not match the detected host platform (linux/amd64) and no specific platform was requested; --platform is ignored"
                ));
            }
        }

        // Attach streams, as docker's CLI decides them.
        let mut attach_stdin = false;
        let (mut attach_stdout, mut attach_stderr) = (false, false);
        for a in &self.attach {
            match a.to_ascii_lowercase().as_str() {
                "stdin" => attach_stdin = true,
                "stdout" => attach_stdout = true,
                "stderr" => attach_stderr = true,
                _ => return Err(u(format!("invalid argument \"{a}\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR"))),
            }
        }
        if detach && !self.attach.is_empty() {
            return Err(u("Conflicting options: -a and -d".into()));
        }
        if self.attach.is_empty() && !detach {
            attach_stdout = true;
            attach_stderr = true;
            attach_stdin = self.interactive;
        }
        let stdin_once = self.interactive && attach_stdin;

        let entrypoint = self.entrypoint.as_ref().map(|e| {
            if e.is_empty() {
                vec![String::new()]
            } else {
                vec![e.clone()]
            }
        });
        let mut log_config = wharf_api::container::LogConfig::default();
        if let Some(d) = &self.log_driver {
            log_config.kind = d.clone();
        }
        for o in &self.log_opt {
            let (k, v) = o.split_once('=').ok_or_else(|| u(format!("invalid argument \"{o}\" for \"--log-opt\" flag: invalid key value pair format")))?;
            log_config.config.insert(k.into(), v.into());
        }

        let config = ContainerConfig {
            hostname: self.hostname.clone().unwrap_or_default(),
            domainname: self.domainname.clone().unwrap_or_default(),
            user: self.user.clone().unwrap_or_default(),
            attach_stdin,
            attach_stdout,
            attach_stderr,
            exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
            tty: self.tty,
            open_stdin: self.interactive,
            stdin_once,
            env: Some(env),
            cmd: (!cmd.is_empty()).then(|| cmd.to_vec()),
            image: image.to_string(),
            volumes: (!volumes.is_empty()).then_some(volumes),
            working_dir: self.workdir.clone().unwrap_or_default(),
            entrypoint,
            labels: Some(labels),
            stop_signal,
            stop_timeout: self.stop_timeout,
            healthcheck: self.healthcheck().map_err(u)?,
            ..Default::default()
        };
        let host_config = HostConfig {
            binds: (!binds.is_empty()).then_some(binds),
            log_config,
            network_mode: self.network.clone().unwrap_or_else(|| "default".into()),
            port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
            restart_policy,
            auto_remove: self.rm,
            volume_driver: self.volume_driver.clone().unwrap_or_default(),
            volumes_from: (!self.volumes_from.is_empty()).then(|| self.volumes_from.clone()),
            mounts: (!mounts.is_empty()).then_some(mounts),
            cap_add: (!self.cap_add.is_empty()).then(|| self.cap_add.clone()),
            cap_drop: (!self.cap_drop.is_empty()).then(|| self.cap_drop.clone()),
            dns: (!self.dns.is_empty()).then(|| self.dns.clone()),
            dns_options: (!self.dns_option.is_empty()).then(|| self.dns_option.clone()),
            dns_search: (!self.dns_search.is_empty()).then(|| self.dns_search.clone()),
            extra_hosts: (!extra_hosts.is_empty()).then_some(extra_hosts),
            group_add: (!self.group_add.is_empty()).then(|| self.group_add.clone()),
            ipc_mode: self.ipc.clone().unwrap_or_default(),
            oom_score_adj: self.oom_score_adj.unwrap_or(0),
            pid_mode: self.pid.clone().unwrap_or_default(),
            privileged: self.privileged,
            publish_all_ports: self.publish_all,
            readonly_rootfs: self.read_only,
            security_opt: (!security_opt.is_empty()).then_some(security_opt),
            masked_paths: system_paths_unconfined.then(Vec::new),
            readonly_paths: system_paths_unconfined.then(Vec::new),
            ulimits: (!ulimits.is_empty()).then_some(ulimits),
            sysctls: (!sysctls.is_empty()).then_some(sysctls),
            devices: (!devices.is_empty()).then_some(devices),
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            uts_mode: self.uts.clone().unwrap_or_default(),
            shm_size,
            runtime: self.runtime.clone().unwrap_or_default(),
            init: self.init.then_some(true),
            memory,
            memory_swap,
            nano_cpus,
            cpu_shares: self.cpu_shares.unwrap_or(0),
            pids_limit: self.pids_limit,
            cgroup_parent: self.cgroup_parent.clone().unwrap_or_default(),
            links: (!self.link.is_empty()).then(|| self.link.clone()),
            cpuset_cpus: self.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: self.cpuset_mems.clone().unwrap_or_default(),
            cpu_period: self.cpu_period.unwrap_or(0),
            cpu_quota: self.cpu_quota.unwrap_or(0),
            memory_reservation,
            memory_swappiness: self.memory_swappiness,
            oom_kill_disable: self.oom_kill_disable.then_some(true),
            blkio_weight: self.blkio_weight.unwrap_or(0),
            cgroupns_mode: self.cgroupns.clone().unwrap_or_default(),
            device_cgroup_rules: (!self.device_cgroup_rule.is_empty())
                .then(|| self.device_cgroup_rule.clone()),
            ..Default::default()
        };
        let endpoint_wanted = !self.network_alias.is_empty()
            || self.ip.is_some()
            || self.ip6.is_some()
            || self.mac_address.is_some();
        let networking_config = if !endpoint_wanted {
            None
        } else {
            let net = self.network.clone().unwrap_or_else(|| "default".into());
            let mut ipam = serde_json::Map::new();
            for (flag, v, want6) in [("--ip", &self.ip, false), ("--ip6", &self.ip6, true)] {
                if let Some(ip) = v {
                    match ip.parse::<std::net::IpAddr>() {
                        Ok(a) if a.is_ipv6() == want6 => {}
                        _ => {
                            return Err(u(format!(
                                "invalid argument \"{ip}\" for \"{flag}\" flag: invalid IP address"
                            )))
                        }
                    }
                    let key = if want6 { "IPv6Address" } else { "IPv4Address" };
                    ipam.insert(key.into(), ip.clone().into());
                }
            }
            if let Some(m) = &self.mac_address {
                let ok = m.split(':').count() == 6
                    && m.split(':')
                        .all(|p| p.len() == 2 && u8::from_str_radix(p, 16).is_ok());
                if !ok {
                    return Err(u(format!("{m} is not a valid mac address")));
                }
            }
            let ep = wharf_api::network::EndpointSettings {
                aliases: (!self.network_alias.is_empty()).then(|| self.network_alias.clone()),
                ipam_config: (!ipam.is_empty()).then_some(serde_json::Value::Object(ipam)),
                mac_address: self.mac_address.clone().unwrap_or_default(),
                ..Default::default()
            };
            Some(wharf_api::network::NetworkingConfig {
                endpoints_config: Some(BTreeMap::from([(net, ep)])),
            })
        };
        Ok(Resolved {
            body: ContainerCreateBody {
                config,
                host_config: Some(host_config),
                networking_config,
            },
            name: self.name.clone(),
            warnings,
            pull: self.pull.clone(),
        })
    }
}

/// `--security-opt` as the docker CLI sends it: a seccomp profile file is
/// read and sent as compact JSON text (`seccomp=<json>`), and
/// `systempaths=unconfined` becomes empty masked and read-only path lists
/// (the `bool`).
fn security_opts(opts: &[String]) -> Result<(Vec<String>, bool), UsageError> {
    let mut out = Vec::new();
    let mut unconfined_paths = false;
    for opt in opts {
        if opt == "systempaths=unconfined" {
            unconfined_paths = true;
            continue;
        }
        let kv = opt.split_once('=').or_else(|| {
            (opt != "no-new-privileges")
                .then(|| opt.split_once(':'))
                .flatten()
        });
        let Some((key, value)) = kv else {
            if opt == "no-new-privileges" {
                out.push(opt.clone());
                continue;
            }
            return Err(UsageError(format!("Invalid --security-opt: {opt:?}")));
        };
        if key == "seccomp" && value != "unconfined" && value != "builtin" {
            let text = std::fs::read_to_string(value).map_err(|e| {
                UsageError(format!(
                    "opening seccomp profile ({value}) failed: open {value}: {}",
                    io_msg(&e)
                ))
            })?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                UsageError(format!(
                    "compacting json for seccomp profile ({value}) failed: {e}"
                ))
            })?;
            out.push(format!("seccomp={json}"));
        } else {
            out.push(opt.clone());
        }
    }
    Ok((out, unconfined_paths))
}

/// `--ulimit name=soft[:hard]` (go-units' parser).
fn ulimit(v: &str) -> Result<wharf_api::container::Ulimit, String> {
    let (name, values) = v
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {v}"))?;
    if !wharf_api::container::ULIMIT_NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let (soft, hard) = values.split_once(':').unwrap_or((values, values));
    let num = |what: &str, s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("invalid ulimit {what} value {s}: invalid syntax"))
    };
    let (soft, hard) = (num("soft", soft)?, num("hard", hard)?);
    if soft > hard && hard != -1 {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        ));
    }
    Ok(wharf_api::container::Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// `--sysctl key=value`, limited to namespaced sysctls as the docker CLI does.
fn sysctl(v: &str) -> Result<(String, String), String> {
    const IPC: &[&str] = &[
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let (k, val) = v
        .split_once('=')
        .ok_or_else(|| format!("sysctl '{v}' is not whitelisted"))?;
    if IPC.contains(&k) || k.starts_with("fs.mqueue.") || k.starts_with("net.") {
        Ok((k.to_string(), val.to_string()))
    } else {
        Err(format!("sysctl '{v}' is not whitelisted"))
    }
}

fn valid_device_mode(m: &str) -> bool {
    !m.is_empty() && m.len() <= 3 && m.chars().all(|c| "rwm".contains(c)) && {
        let mut seen = m.chars().collect::<Vec<_>>();
        seen.sort();
        seen.dedup();
        seen.len() == m.len()
    }
}

/// `--device src[:dst][:perms]` (the docker CLI's parser).
fn device(v: &str) -> Result<wharf_api::container::DeviceMapping, String> {
    let parts: Vec<&str> = v.split(':').collect();
    let (src, mut dst, mut perms) = (parts[0], "", "rwm");
    match parts.len() {
        1 => {}
        2 => {
            if valid_device_mode(parts[1]) {
                perms = parts[1];
            } else {
                dst = parts[1];
            }
        }
        3 => {
            if !valid_device_mode(parts[2]) {
                return Err(format!("invalid device mode: {}", parts[2]));
            }
            dst = parts[1];
            perms = parts[2];
        }
        _ => return Err(format!("invalid device specification: {v}")),
    }
    if src.is_empty() {
        return Err(format!("invalid device specification: {v}"));
    }
    Ok(wharf_api::container::DeviceMapping {
        path_on_host: src.to_string(),
        path_in_container: if dst.is_empty() { src } else { dst }.to_string(),
        cgroup_permissions: perms.to_string(),
    })
}

/// Go-style lowercase text for an I/O error (`no such file or directory`).
/// `--env-file` and `-e` of run, create and exec: files first, then `-e`,
/// as docker orders them.
pub fn environment(files: &[PathBuf], vars: &[String]) -> Result<Vec<String>, UsageError> {
    let mut env = Vec::new();
    for f in files {
        let body = std::fs::read_to_string(f)
            .map_err(|e| UsageError(format!("open {}: {}", f.display(), io_msg(&e))))?;
        env.extend(
            parse::key_value_file(&f.display().to_string(), &body, true).map_err(UsageError)?,
        );
    }
    for e in vars {
        env.push(parse::env_value(e).map_err(UsageError)?);
    }
    Ok(env)
}

pub fn io_msg(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

impl ContainerOpts {
    /// `--health-*` and `--no-healthcheck` as Docker's `HealthConfig`.
    fn healthcheck(&self) -> Result<Option<wharf_api::container::HealthConfig>, String> {
        let dur = |flag: &str, v: &Option<String>| -> Result<i64, String> {
            match v.as_deref() {
                None => Ok(0),
                Some(s) => {
                    let d = wharf_api::duration::parse_go_duration(s).ok_or_else(|| {
                        format!("invalid argument \"{s}\" for \"--{flag}\" flag: time: invalid duration \"{s}\"")
                    })?;
                    Ok(d.as_nanos() as i64)
                }
            }
        };
        let hc = wharf_api::container::HealthConfig {
            test: self
                .health_cmd
                .as_ref()
                .map(|c| vec!["CMD-SHELL".to_string(), c.clone()]),
            interval: dur("health-interval", &self.health_interval)?,
            timeout: dur("health-timeout", &self.health_timeout)?,
            start_period: dur("health-start-period", &self.health_start_period)?,
            start_interval: dur("health-start-interval", &self.health_start_interval)?,
            retries: self.health_retries.unwrap_or(0),
        };
        if hc.retries < 0 {
            return Err("--health-retries cannot be negative".into());
        }
        if self.no_healthcheck {
            if hc != Default::default() {
                return Err("--no-healthcheck conflicts with --health-* options".into());
            }
            return Ok(Some(wharf_api::container::HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..Default::default()
            }));
        }
        Ok((hc != Default::default()).then_some(hc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    #[command(disable_help_flag = true)]
    struct T {
        #[command(flatten)]
        o: ContainerOpts,
    }

    fn opts(args: &[&str]) -> ContainerOpts {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v).unwrap().o
    }

    #[test]
    fn resolves_a_full_set() {
        let o = opts(&[
            "--name",
            "web",
            "-h",
            "box",
            "-e",
            "A=1",
            "-w",
            "/srv",
            "-u",
            "1000:1000",
            "-m",
            "512m",
            "--cpus",
            "1.5",
            "--pids-limit",
            "100",
            "--restart",
            "on-failure:2",
            "-p",
            "8080:80",
            "-v",
            "data:/data",
            "-v",
            "/anon",
            "--tmpfs",
            "/t:size=1m",
            "--mount",
            "type=tmpfs,dst=/m",
            "-it",
            "--init",
            "--read-only",
            "--cap-add",
            "NET_ADMIN",
            "-l",
            "k=v",
        ]);
        let r = o.resolve("busybox", &["sh".into()], false).unwrap();
        let c = &r.body.config;
        let h = r.body.host_config.as_ref().unwrap();
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(c.hostname, "box");
        assert!(c.tty && c.open_stdin && c.attach_stdin && c.stdin_once);
        assert_eq!(h.memory, 512 << 20);
        assert_eq!(h.nano_cpus, 1_500_000_000);
        assert_eq!(h.restart_policy.maximum_retry_count, 2);
        assert_eq!(h.binds.as_ref().unwrap(), &vec!["data:/data".to_string()]);
        assert!(c.volumes.as_ref().unwrap().contains_key("/anon"));
        assert_eq!(h.tmpfs.as_ref().unwrap()["/t"], "size=1m");
        assert_eq!(h.mounts.as_ref().unwrap()[0].kind, "tmpfs");
        assert_eq!(h.init, Some(true));
        assert!(c.exposed_ports.as_ref().unwrap().contains_key("80/tcp"));
        assert_eq!(c.labels.as_ref().unwrap()["k"], "v");
        // Wire names as the spec spells them.
        let j = serde_json::to_value(&r.body).unwrap();
        assert_eq!(j["HostConfig"]["NanoCpus"], 1_500_000_000i64);
        assert_eq!(j["Image"], "busybox");
        assert_eq!(j["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    }

    #[test]
    fn unhonoured_flags_are_refused() {
        let e = opts(&["--volume-driver", "nfs"])
            .resolve("i", &[], false)
            .unwrap_err();
        assert!(e.0.contains("only the local volume driver"), "{}", e.0);
        assert!(opts(&["--pull", "never", "--volume-driver", "local"])
            .resolve("i", &[], false)
            .is_ok());
    }

    #[test]
    fn bad_values_are_refused() {
        let e = opts(&["-m", "12q"]).resolve("i", &[], false).unwrap_err();
        assert_eq!(
            e.0,
            "invalid argument \"12q\" for \"-m, --memory\" flag: invalid size: '12q'"
        );
        assert!(opts(&["--cpus", "-1"]).resolve("i", &[], false).is_err());
        // A policy's name is the engine's to refuse (docker 28); its form
        // is checked here.
        assert!(opts(&["--restart", "on-failure:x"])
            .resolve("i", &[], false)
            .is_err());
        assert!(opts(&["--rm", "--restart", "always"])
            .resolve("i", &[], false)
            .is_err());
        let e = opts(&["-v", "aa:/x", "--mount", "source=bb,target=/x"])
            .resolve("i", &[], false)
            .unwrap_err();
        assert_eq!(e.0, "Duplicate mount point: /x");
        assert!(opts(&["--env-file", "/nonexistent/env"])
            .resolve("i", &[], false)
            .is_err());
    }

    #[test]
    fn publish_flags() {
        let r = opts(&[
            "-p",
            "8080:80",
            "-p",
            "127.0.0.1::53/udp",
            "-P",
            "--expose",
            "9000-9001",
        ])
        .resolve("i", &[], false)
        .unwrap();
        let j = serde_json::to_value(&r.body).unwrap();
        assert_eq!(
            j["HostConfig"]["PortBindings"],
            serde_json::json!({
                "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}]
            })
        );
        assert_eq!(j["HostConfig"]["PublishAllPorts"], true);
        let exposed: Vec<&String> = j["ExposedPorts"].as_object().unwrap().keys().collect();
        assert_eq!(exposed, ["53/udp", "80/tcp", "9000/tcp", "9001/tcp"]);
        for (bad, msg) in [
            ("70000:80", "invalid hostPort: 70000"),
            ("abc", "invalid containerPort: abc"),
        ] {
            let e = opts(&["-p", bad]).resolve("i", &[], false).unwrap_err();
            assert_eq!(e.0, msg);
        }
    }

    #[test]
    fn mount_flags_go_through_the_volume_parsers() {
        let r = opts(&[
            "--mount",
            "source=copy-vol,destination=/etc/nginx,readonly",
            "-v",
            "./rel:/r:ro",
        ])
        .resolve("i", &[], false)
        .unwrap();
        let h = r.body.host_config.unwrap();
        let m = &h.mounts.unwrap()[0];
        assert!(m.read_only && m.kind == "volume" && m.target == "/etc/nginx");
        // A relative -v host path is made absolute, as docker's CLI does.
        assert!(h.binds.unwrap()[0].starts_with('/'));
        for bad in [
            vec!["--mount", "type=tmpfs,dst=/t,tmpfs-size=-1"],
            vec!["--mount", "source=x"],
            vec!["--mount", "source=x,target=rel"],
            vec!["--mount", "type=bogus,target=/x"],
            vec!["--mount", "bogus=1,target=/x"],
            vec!["-v", "v:rel"],
            vec!["--tmpfs", "rel"],
            vec!["--volumes-from", "c:bogus"],
        ] {
            assert!(opts(&bad).resolve("i", &[], false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn detached_does_not_attach() {
        let r = opts(&["-i"]).resolve("i", &[], true).unwrap();
        assert!(!r.body.config.attach_stdin && !r.body.config.attach_stdout);
        assert!(r.body.config.open_stdin);
        let r = opts(&[]).resolve("i", &[], false).unwrap();
        assert!(
            r.body.config.attach_stdout
                && r.body.config.attach_stderr
                && !r.body.config.attach_stdin
        );
    }

    #[test]
    fn isolation_flags() {
        let dir = std::env::temp_dir().join(format!("wharf-cli-seccomp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let prof = dir.join("p.json");
        std::fs::write(&prof, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n").unwrap();
        let seccomp = format!("seccomp={}", prof.display());
        let r = opts(&[
            "--security-opt",
            &seccomp,
            "--security-opt",
            "no-new-privileges",
            "--security-opt",
            "systempaths=unconfined",
            "--ulimit",
            "nofile=64:128",
            "--ulimit",
            "nproc=5",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--device",
            "/dev/loop-control:/dev/xl:r",
            "--device",
            "/dev/fuse:rw",
        ])
        .resolve("i", &[], false)
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let h = r.body.host_config.unwrap();
        assert_eq!(
            h.security_opt.unwrap(),
            vec![
                r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#.to_string(),
                "no-new-privileges".into()
            ]
        );
        assert_eq!(h.masked_paths, Some(vec![]));
        let ul = h.ulimits.unwrap();
        assert_eq!((ul[0].soft, ul[0].hard, ul[1].soft), (64, 128, 5));
        assert_eq!(h.sysctls.unwrap()["net.ipv4.ip_forward"], "1");
        let dev = h.devices.unwrap();
        assert_eq!(
            (
                dev[0].path_in_container.as_str(),
                dev[0].cgroup_permissions.as_str()
            ),
            ("/dev/xl", "r")
        );
        assert_eq!(
            (
                dev[1].path_in_container.as_str(),
                dev[1].cgroup_permissions.as_str()
            ),
            ("/dev/fuse", "rw")
        );
        for bad in [
            vec!["--ulimit", "bogus=1"],
            vec!["--ulimit", "nofile=128:64"],
            vec!["--ulimit", "nofile"],
            vec!["--sysctl", "kernel.domainname=x"],
            vec!["--device", "/dev/a:/dev/b:rwx"],
            vec!["--security-opt", "seccomp=/nonexistent.json"],
            vec!["--security-opt", "bogus"],
        ] {
            assert!(opts(&bad).resolve("i", &[], false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn entrypoint_reset() {
        let r = opts(&["--entrypoint", ""])
            .resolve("i", &[], false)
            .unwrap();
        assert_eq!(r.body.config.entrypoint, Some(vec![String::new()]));
    }
}
