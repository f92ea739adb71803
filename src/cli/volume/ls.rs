//! `wharf volume ls [-q] [-f k=v]... [--format]`

use serde_json::{json, Value};
use wharf_api::volume::{Volume, VolumeListResponse};

use crate::cli::template::{list_format, render_list};
use crate::cli::Ctx;

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Only display volume names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Provide filter values (e.g. "dangling=true")
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
}

const DEFAULT_FORMAT: &str = "table {{.Driver}}\t{{.Name}}";

fn header() -> Value {
    json!({"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "CreatedAt": "CREATED AT"})
}

pub fn row(v: &Volume) -> Value {
    let labels: Vec<String> = v
        .labels
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    let (links, size) = match &v.usage_data {
        Some(u) => (
            u.ref_count.to_string(),
            crate::cli::format::human_size(u.size),
        ),
        None => ("N/A".into(), "N/A".into()),
    };
    json!({
        "Name": v.name, "Driver": v.driver, "Scope": v.scope, "Mountpoint": v.mountpoint,
        "Labels": labels.join(","), "Links": links, "Size": size, "CreatedAt": v.created_at,
    })
}

pub async fn run(ctx: &Ctx, a: LsArgs) -> anyhow::Result<i32> {
    let f = crate::cli::ps::filters(&a.filter, "-f, --filter")?;
    let mut list: VolumeListResponse = ctx.client.volumes().list(&f).await?;
    list.volumes.sort_by(|x, y| x.name.cmp(&y.name));
    for w in &list.warnings {
        eprintln!("{w}");
    }
    if a.quiet && a.format.is_none() {
        for v in &list.volumes {
            println!("{}", v.name);
        }
        return Ok(0);
    }
    let rows: Vec<Value> = list.volumes.iter().map(row).collect();
    let fmt = list_format(a.format.as_deref(), DEFAULT_FORMAT);
    print!("{}", render_list(&fmt, &header(), &rows)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let v = Volume {
            name: "data".into(),
            driver: "local".into(),
            ..Default::default()
        };
        let out = render_list(DEFAULT_FORMAT, &header(), &[row(&v)]).unwrap();
        assert_eq!(out, "DRIVER    VOLUME NAME\nlocal     data\n");
    }
}
