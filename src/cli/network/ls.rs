//! `wharf network ls [-q] [--no-trunc] [-f k=v]... [--format]`

use serde_json::{json, Value};
use wharf_api::network::NetworkResource;

use crate::cli::template::{list_format, render_list};
use crate::cli::Ctx;

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Only display network IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Provide filter values (e.g. "driver=bridge")
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
}

const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

fn header() -> Value {
    json!({"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
        "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"})
}

pub fn row(n: &NetworkResource, no_trunc: bool) -> Value {
    let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let id = if no_trunc {
        n.id.clone()
    } else {
        n.id.chars().take(12).collect()
    };
    json!({
        "ID": id, "Name": n.name, "Driver": n.driver, "Scope": n.scope,
        "IPv6": n.enable_ipv6.to_string(), "Internal": n.internal.to_string(),
        "Labels": labels.join(","), "CreatedAt": n.created,
    })
}

pub async fn run(ctx: &Ctx, a: LsArgs) -> anyhow::Result<i32> {
    let f = crate::cli::ps::filters(&a.filter, "-f, --filter")?;
    let mut list: Vec<NetworkResource> = ctx.client.networks().list(&f).await?;
    list.sort_by(|x, y| x.name.cmp(&y.name));
    if a.quiet && a.format.is_none() {
        for n in &list {
            let r = row(n, a.no_trunc);
            println!("{}", r["ID"].as_str().unwrap_or(""));
        }
        return Ok(0);
    }
    let rows: Vec<Value> = list.iter().map(|n| row(n, a.no_trunc)).collect();
    let fmt = list_format(a.format.as_deref(), DEFAULT_FORMAT);
    print!("{}", render_list(&fmt, &header(), &rows)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let n = NetworkResource {
            name: "bridge".into(),
            id: "0123456789abcdef".into(),
            driver: "bridge".into(),
            scope: "local".into(),
            ..Default::default()
        };
        let out = render_list(DEFAULT_FORMAT, &header(), &[row(&n, false)]).unwrap();
        assert_eq!(
            out,
            "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   bridge    bridge    local\n"
        );
    }
}
