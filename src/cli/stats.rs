//! `wharf stats [-a] [--no-stream] [--no-trunc] [--format] [CONTAINER...]`:
//! a live table of CPU, memory, network, block I/O and pids, computed from
//! the daemon's stats samples as `docker stats` computes them.

use std::io::Write;

use serde_json::{json, Value};

use super::format::{bytes_size, human_size, short_id};
use super::template::{list_format, render_list};
use super::Ctx;

const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

fn header() -> Value {
    json!({"ID": "CONTAINER ID", "Container": "CONTAINER", "Name": "NAME", "CPUPerc": "CPU %",
        "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
        "BlockIO": "BLOCK I/O", "PIDs": "PIDS"})
}

fn u(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// One table row from a stats sample (docker/cli's calculations).
fn row(key: &str, s: &Value, trunc: bool) -> Value {
    let cpu = &s["cpu_stats"];
    let pre = &s["precpu_stats"];
    let cpu_delta = u(&cpu["cpu_usage"]["total_usage"]) - u(&pre["cpu_usage"]["total_usage"]);
    let sys_delta = u(&cpu["system_cpu_usage"]) - u(&pre["system_cpu_usage"]);
    let online = u(&cpu["online_cpus"]).max(1.0);
    let cpu_perc = if cpu_delta > 0.0 && sys_delta > 0.0 {
        cpu_delta / sys_delta * online * 100.0
    } else {
        0.0
    };
    let mem = &s["memory_stats"];
    let stats = &mem["stats"];
    let inactive = ["total_inactive_file", "inactive_file"]
        .iter()
        .map(|k| u(&stats[*k]))
        .find(|v| *v > 0.0)
        .unwrap_or(0.0);
    let usage = (u(&mem["usage"]) - inactive).max(0.0);
    let limit = u(&mem["limit"]);
    let mem_perc = if limit > 0.0 {
        usage / limit * 100.0
    } else {
        0.0
    };
    let (mut rx, mut tx) = (0.0, 0.0);
    if let Some(nets) = s["networks"].as_object() {
        for n in nets.values() {
            rx += u(&n["rx_bytes"]);
            tx += u(&n["tx_bytes"]);
        }
    }
    let (mut rd, mut wr) = (0.0, 0.0);
    for e in s["blkio_stats"]["io_service_bytes_recursive"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match e["op"].as_str().unwrap_or("").to_ascii_lowercase().as_str() {
            "read" => rd += u(&e["value"]),
            "write" => wr += u(&e["value"]),
            _ => {}
        }
    }
    let id = s["id"].as_str().unwrap_or_default();
    let name = s["name"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches('/');
    let running = s["read"].as_str().is_some_and(|r| !r.starts_with("0001-"));
    let dash = |v: String| if running { v } else { "--".to_string() };
    json!({
        "Container": key,
        "ID": if trunc { short_id(id) } else { id.to_string() },
        "Name": if running { name.to_string() } else { "--".to_string() },
        "CPUPerc": dash(format!("{cpu_perc:.2}%")),
        "MemUsage": dash(format!("{} / {}", bytes_size(usage), bytes_size(limit))),
        "MemPerc": dash(format!("{mem_perc:.2}%")),
        "NetIO": dash(format!("{} / {}", human_size(rx as i64), human_size(tx as i64))),
        "BlockIO": dash(format!("{} / {}", human_size(rd as i64), human_size(wr as i64))),
        "PIDs": dash(format!("{}", s["pids_stats"]["current"].as_u64().unwrap_or(0))),
    })
}

async fn targets(ctx: &Ctx, a: &StatsArgs) -> anyhow::Result<Vec<String>> {
    if !a.containers.is_empty() {
        return Ok(a.containers.clone());
    }
    let list = ctx
        .client
        .containers()
        .list(a.all, &Default::default())
        .await?;
    Ok(list.iter().map(|c| short_id(&c.id)).collect())
}

/// One row per container, all asked at once: each answer takes a second
/// sample a moment after the first (for the CPU %), so asking one after the
/// other made 50 containers take 50 of those moments.
async fn rows(ctx: &Ctx, a: &StatsArgs) -> anyhow::Result<Vec<Value>> {
    let keys = targets(ctx, a).await?;
    let answers = futures_util::future::join_all(
        keys.iter()
            .map(|key| async move { ctx.client.containers().stats_once(key).await }),
    )
    .await;
    let mut out = Vec::new();
    for (key, s) in keys.iter().zip(answers) {
        let s: Value = s?;
        out.push(row(key, &s, !a.no_trunc));
    }
    Ok(out)
}

pub async fn run(ctx: &Ctx, a: StatsArgs) -> anyhow::Result<i32> {
    let fmt = list_format(a.format.as_deref(), DEFAULT_FORMAT);
    if a.no_stream {
        print!("{}", render_list(&fmt, &header(), &rows(ctx, &a).await?)?);
        return Ok(0);
    }
    // Live: redraw the whole table once a second, as docker stats does.
    loop {
        let table = render_list(&fmt, &header(), &rows(ctx, &a).await?)?;
        let mut out = std::io::stdout().lock();
        write!(out, "\x1b[2J\x1b[H{table}")?;
        out.flush()?;
        drop(out);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_like_docker() {
        let s = json!({"id": "0123456789abcdef", "name": "/web", "read": "2026-01-01T00:00:00Z",
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_000u64}, "system_cpu_usage": 20_000_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 2_000_000_000u64}, "system_cpu_usage": 10_000_000_000u64},
            "memory_stats": {"usage": 2_097_152, "limit": 104_857_600, "stats": {"total_inactive_file": 1_048_576}},
            "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 4096}]},
            "pids_stats": {"current": 3}});
        let r = row("web", &s, true);
        assert_eq!(r["CPUPerc"], "20.00%");
        assert_eq!(r["MemUsage"], "1MiB / 100MiB");
        assert_eq!(r["MemPerc"], "1.00%");
        assert_eq!(r["BlockIO"], "4.1kB / 0B");
        assert_eq!(r["PIDs"], "3");
        assert_eq!(r["ID"], "0123456789ab");
        assert_eq!(bytes_size(24_000_000_000.0), "22.35GiB");
        assert_eq!(bytes_size(516_096.0), "504KiB");
    }
}
