//! `wharf compose ps [-a] [-q] [--format table|json|TEMPLATE] [--services] [SERVICE...]`

use serde_json::{json, Value};

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Show all stopped containers
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Display services
    #[arg(long)]
    pub services: bool,
    /// Format the output: table, json, or a Go template
    #[arg(long, default_value = "table")]
    pub format: String,
    pub service: Vec<String>,
}

fn ports(v: &Value) -> String {
    let mut out = Vec::new();
    for p in v["Ports"].as_array().cloned().unwrap_or_default() {
        let proto = p["Type"].as_str().unwrap_or("tcp");
        let private = &p["PrivatePort"];
        match p.get("PublicPort").and_then(Value::as_u64) {
            Some(pubp) => out.push(format!(
                "{}:{pubp}->{private}/{proto}",
                p["IP"].as_str().unwrap_or("0.0.0.0")
            )),
            None => out.push(format!("{private}/{proto}")),
        }
    }
    out.join(", ")
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, o: &PsArgs) -> anyhow::Result<i32> {
    let (name, p) = a.project_or_name()?;
    let mut list = wharf_compose::engine::containers(&ctx.client, &name, o.all).await?;
    list.retain(|x| !x.oneoff || o.all);
    if !o.service.is_empty() {
        list.retain(|x| o.service.contains(&x.service));
    }
    if o.services {
        let mut s: Vec<&str> = list.iter().map(|x| x.service.as_str()).collect();
        s.dedup();
        for x in s {
            println!("{x}");
        }
        return Ok(0);
    }
    if o.quiet {
        for x in &list {
            println!("{}", x.id);
        }
        return Ok(0);
    }
    let rows: Vec<Value> = list
        .iter()
        .map(|x| {
            let v = &x.summary;
            json!({
                "ID": x.id,
                "Name": x.name,
                "Image": v["Image"],
                "Command": v["Command"],
                "Project": name,
                "Service": x.service,
                "Created": v["Created"],
                "State": x.state,
                "Status": v["Status"],
                "Health": "",
                "ExitCode": 0,
                "Publishers": v["Ports"],
                "Ports": ports(v),
                "Labels": v["Labels"],
            })
        })
        .collect();
    let _ = p;
    match o.format.as_str() {
        "json" => {
            for r in &rows {
                println!("{}", serde_json::to_string(r)?);
            }
        }
        "table" => {
            let mut t = String::from("NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS\n");
            for r in &rows {
                let cmd = r["Command"].as_str().unwrap_or_default();
                let cmd = if cmd.chars().count() > 20 {
                    format!("\"{}…\"", cmd.chars().take(19).collect::<String>())
                } else {
                    format!("\"{cmd}\"")
                };
                let cells = [
                    r["Name"].as_str().unwrap_or_default().to_string(),
                    r["Image"].as_str().unwrap_or_default().to_string(),
                    cmd,
                    r["Service"].as_str().unwrap_or_default().to_string(),
                    created(r["Created"].as_i64().unwrap_or(0)),
                    r["Status"].as_str().unwrap_or_default().to_string(),
                    r["Ports"].as_str().unwrap_or_default().to_string(),
                ];
                t.push_str(&cells.join("\t"));
                t.push('\n');
            }
            print!("{}", super::super::tabwriter::table(&t));
        }
        tmpl => {
            let tmpl = tmpl.strip_prefix("table ").unwrap_or(tmpl);
            for r in &rows {
                println!("{}", render(tmpl, r));
            }
        }
    }
    Ok(0)
}

fn created(t: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(t);
    let d = (now - t).max(0);
    match d {
        0..=59 => format!("{d} seconds ago"),
        60..=3599 => format!("{} minutes ago", d / 60),
        3600..=86399 => format!("{} hours ago", d / 3600),
        _ => format!("{} days ago", d / 86400),
    }
}

/// `{{.Field}}` substitution for `--format` templates.
fn render(tmpl: &str, r: &Value) -> String {
    let mut out = String::new();
    let mut rest = tmpl;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let key = rest[i + 2..i + j].trim().trim_start_matches('.');
        match &r[key] {
            Value::String(s) => out.push_str(s),
            Value::Null => {}
            v => out.push_str(&v.to_string()),
        }
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    out.replace("\\t", "\t")
}
