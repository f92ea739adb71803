//! `wharf ps`: list containers with docker's columns, truncation and
//! `--format` fields.

use wharf_client::{Filters, ListOptions};

use serde_json::{json, Value};
use wharf_api::container::ContainerSummary;

use super::format::{self, ellipsis, go_quote, short_id};
use super::template::{list_format, render_list};
use super::{Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display container IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    /// Show the latest created container (includes all states)
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Display total file sizes
    #[arg(short = 's', long)]
    pub size: bool,
}

const DEFAULT_FORMAT: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/// `-f key=value` flags → typed filters (`{"key":["v",...]}` on the wire).
pub fn filters(flags: &[String], flag: &str) -> Result<Filters, UsageError> {
    wharf_client::query::filters_from_pairs(flags).map_err(|f| {
        UsageError(format!(
            "invalid argument \"{f}\" for \"{flag}\" flag: bad format of filter (expected name=value)"
        ))
    })
}

fn header() -> Value {
    json!({
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
        "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS",
        "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS",
        "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES",
    })
}

/// The template context of one container, as docker's formatter builds it.
pub fn row(c: &ContainerSummary, trunc: bool, now: i64) -> Value {
    let id = if trunc { short_id(&c.id) } else { c.id.clone() };
    let image = if c.image.starts_with("sha256:") && trunc {
        short_id(&c.image)
    } else {
        c.image.clone()
    };
    let command = if trunc {
        ellipsis(&c.command, 20)
    } else {
        c.command.clone()
    };
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mounts: Vec<String> = c
        .mounts
        .iter()
        .map(|m| {
            let n = if m.name.is_empty() {
                m.source.clone()
            } else {
                m.name.clone()
            };
            if trunc {
                ellipsis(&n, 15)
            } else {
                n
            }
        })
        .collect();
    let networks: Vec<String> = c.network_settings.networks.keys().cloned().collect();
    let local_volumes = c.mounts.iter().filter(|m| m.driver == "local").count();
    let size = match (c.size_rw, c.size_root_fs) {
        (Some(rw), Some(root)) => format!(
            "{} (virtual {})",
            format::human_size(rw),
            format::human_size(root)
        ),
        (Some(rw), None) => format::human_size(rw),
        _ => "0B".into(),
    };
    json!({
        "ID": id,
        "Image": image,
        "Command": go_quote(&command),
        "CreatedAt": format::go_time(c.created),
        "RunningFor": format::ago(c.created, now),
        "Ports": format::ports(&c.ports),
        "State": c.state,
        "Status": c.status,
        "Size": size,
        "Names": format::names(&c.names, !trunc),
        "Labels": labels.join(","),
        "Mounts": mounts.join(","),
        "Networks": networks.join(","),
        "LocalVolumes": local_volumes.to_string(),
    })
}

pub async fn run(ctx: &Ctx, a: PsArgs) -> anyhow::Result<i32> {
    let limit = if a.latest { 1 } else { a.last };
    let opts = ListOptions {
        all: a.all || limit > 0,
        limit: (limit > 0).then_some(limit),
        size: a.size,
        filters: filters(&a.filter, "-f, --filter")?,
    };
    let list = ctx.client.containers().list_with(&opts).await?;
    let trunc = !a.no_trunc;
    if a.quiet && a.format.is_none() {
        // One write, not one per container.
        let mut out = String::with_capacity(list.len() * 13);
        for c in &list {
            if trunc {
                out.push_str(&short_id(&c.id));
            } else {
                out.push_str(&c.id);
            }
            out.push('\n');
        }
        print!("{out}");
        return Ok(0);
    }
    let now = format::now_unix();
    let rows: Vec<Value> = list.iter().map(|c| row(c, trunc, now)).collect();
    let default = if a.size {
        format!("{DEFAULT_FORMAT}\t{{{{.Size}}}}")
    } else {
        DEFAULT_FORMAT.to_string()
    };
    let fmt = list_format(a.format.as_deref(), &default);
    print!("{}", render_list(&fmt, &header(), &rows)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ContainerSummary {
        serde_json::from_value(json!({
            "Id": "0123456789abcdef0123", "Names": ["/web"], "Image": "busybox",
            "Command": "sh -c 'while true; do sleep 1; done'", "Created": 1000,
            "Ports": [], "Labels": {"a": "b"}, "State": "running", "Status": "Up 5 seconds",
            "Mounts": [], "HostConfig": {"NetworkMode": "default"}, "NetworkSettings": {"Networks": {"bridge": {}}}
        }))
        .unwrap()
    }

    #[test]
    fn default_table() {
        let rows = vec![row(&sample(), true, 1090)];
        let out = render_list(DEFAULT_FORMAT, &header(), &rows).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS         PORTS     NAMES"
        );
        assert_eq!(
            lines[1],
            "0123456789ab   busybox   \"sh -c 'while true; …\"   About a minute ago   Up 5 seconds             web"
        );
    }

    #[test]
    fn fields_and_no_trunc() {
        let r = row(&sample(), false, 1003);
        assert_eq!(r["ID"], "0123456789abcdef0123");
        assert_eq!(r["Command"], "\"sh -c 'while true; do sleep 1; done'\"");
        assert_eq!(r["RunningFor"], "3 seconds ago");
        assert_eq!(r["Labels"], "a=b");
        assert_eq!(r["Networks"], "bridge");
    }

    #[test]
    fn filters() {
        let f = super::filters(
            &["status=exited".into(), "name=a".into(), "name=b".into()],
            "-f",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"name":["a","b"],"status":["exited"]}"#
        );
        assert!(super::filters(&["bad".into()], "-f").is_err());
    }
}
