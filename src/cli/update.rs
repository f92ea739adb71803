//! `wharf update [OPTIONS] CONTAINER...`: change a container's resources
//! and restart policy, live.

use wharf_api::container::{ContainerUpdate, ContainerUpdateResponse};

use super::{for_each, parse, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Memory limit
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Number of CPUs
    #[arg(long)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    pub cpu_shares: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long = "cpu-period")]
    pub cpu_period: Option<i64>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long = "cpu-quota", allow_hyphen_values = true)]
    pub cpu_quota: Option<i64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus")]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-mems")]
    pub cpuset_mems: Option<String>,
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable
    #[arg(long = "blkio-weight")]
    pub blkio_weight: Option<i64>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Restart policy to apply when a container exits
    #[arg(long)]
    pub restart: Option<String>,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

impl UpdateArgs {
    fn body(&self) -> Result<ContainerUpdate, UsageError> {
        let u = UsageError;
        let size = |flag: &str, v: &Option<String>| -> Result<i64, UsageError> {
            match v.as_deref() {
                None => Ok(0),
                Some("-1") if flag == "--memory-swap" => Ok(-1),
                Some(m) => parse::memory_flag(flag, m).map_err(u),
            }
        };
        let body = ContainerUpdate {
            memory: size("-m, --memory", &self.memory)?,
            memory_swap: size("--memory-swap", &self.memory_swap)?,
            memory_reservation: size("--memory-reservation", &self.memory_reservation)?,
            nano_cpus: match &self.cpus {
                Some(c) => parse::nano_cpus(c).map_err(u)?,
                None => 0,
            },
            cpu_shares: self.cpu_shares.unwrap_or(0),
            cpu_period: self.cpu_period.unwrap_or(0),
            cpu_quota: self.cpu_quota.unwrap_or(0),
            cpuset_cpus: self.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: self.cpuset_mems.clone().unwrap_or_default(),
            pids_limit: self.pids_limit,
            blkio_weight: self.blkio_weight.unwrap_or(0),
            restart_policy: match &self.restart {
                Some(r) => Some(parse::restart_policy(r).map_err(u)?),
                None => None,
            },
        };
        if body.memory == 0
            && body.memory_swap == 0
            && body.memory_reservation == 0
            && body.nano_cpus == 0
            && body.cpu_shares == 0
            && body.cpu_period == 0
            && body.cpu_quota == 0
            && body.cpuset_cpus.is_empty()
            && body.cpuset_mems.is_empty()
            && body.pids_limit.is_none()
            && body.blkio_weight == 0
            && body.restart_policy.is_none()
        {
            return Err(UsageError(
                "you must provide one or more flags when using this command".into(),
            ));
        }
        Ok(body)
    }
}

pub async fn run(ctx: &Ctx, a: UpdateArgs) -> anyhow::Result<i32> {
    let body = a.body()?;
    for_each(&a.containers, true, |n| {
        let body = body.clone();
        async move {
            let _: ContainerUpdateResponse = ctx
                .client
                .containers()
                .update_raw(&n, &serde_json::to_value(&body)?)
                .await?;
            Ok(())
        }
    })
    .await
}
