//! `wharf compose exec|port|ls|version`.

use std::collections::BTreeMap;

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Detached mode: Run command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Index of the container if service has multiple replicas
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Disable pseudo-TTY allocation
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Run the command with extended privileges
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Path to workdir directory for this command
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    pub service: String,
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

async fn find(ctx: &Ctx, a: &ComposeArgs, service: &str, index: u32) -> anyhow::Result<String> {
    let (name, _) = a.project_or_name()?;
    let list = wharf_compose::engine::containers(&ctx.client, &name, false).await?;
    list.into_iter()
        .find(|x| x.service == service && x.number == index && !x.oneoff)
        .map(|x| x.id)
        .ok_or_else(|| anyhow::anyhow!("service {service:?} is not running"))
}

pub async fn exec(ctx: &Ctx, a: &ComposeArgs, e: &ExecArgs) -> anyhow::Result<i32> {
    let id = find(ctx, a, &e.service, e.index).await?;
    let tty =
        !e.no_tty && crate::cli::tty::stdin_is_terminal() && crate::cli::tty::stdout_is_terminal();
    let args = crate::cli::exec::ExecArgs {
        detach: e.detach,
        interactive: !e.detach && crate::cli::tty::stdin_is_terminal(),
        tty,
        env: e.env.clone(),
        env_file: Vec::new(),
        workdir: e.workdir.clone(),
        user: e.user.clone(),
        privileged: e.privileged,
        detach_keys: None,
        container: id,
        command: e.command.clone(),
    };
    crate::cli::exec::run(ctx, args).await
}

#[derive(Debug, clap::Args)]
pub struct PortArgs {
    /// tcp or udp
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if service has multiple replicas
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    pub service: String,
    pub private_port: u16,
}

pub async fn port(ctx: &Ctx, a: &ComposeArgs, p: &PortArgs) -> anyhow::Result<i32> {
    let id = find(ctx, a, &p.service, p.index).await?;
    let v: serde_json::Value =
        serde_json::from_slice(&ctx.client.containers().inspect_raw(&id, false).await?)?;
    let key = format!("{}/{}", p.private_port, p.protocol);
    match v["NetworkSettings"]["Ports"][&key]
        .as_array()
        .and_then(|a| a.first())
    {
        Some(b) => {
            println!(
                "{}:{}",
                b["HostIp"].as_str().unwrap_or("0.0.0.0"),
                b["HostPort"].as_str().unwrap_or_default()
            );
            Ok(0)
        }
        None => anyhow::bail!("no port {key} for container {}", p.service),
    }
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Show all stopped Compose projects
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display project names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format the output: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub async fn ls(ctx: &Ctx, l: &LsArgs) -> anyhow::Result<i32> {
    let mut f = wharf_client::Filters::new();
    f.insert(
        "label".into(),
        vec![wharf_compose::plan::LABEL_PROJECT.into()],
    );
    let list = ctx
        .client
        .containers()
        .list_raw(&wharf_client::ListOptions {
            all: true,
            filters: f,
            ..Default::default()
        })
        .await?;
    // project → (states, config files)
    let mut projects: BTreeMap<String, (BTreeMap<String, usize>, String)> = BTreeMap::new();
    for c in &list {
        let labels = &c["Labels"];
        let name = labels[wharf_compose::plan::LABEL_PROJECT]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let e = projects.entry(name).or_default();
        *e.0.entry(c["State"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
        e.1 = labels[wharf_compose::plan::LABEL_FILES]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    projects.retain(|_, (st, _)| l.all || st.contains_key("running"));
    if l.quiet {
        for n in projects.keys() {
            println!("{n}");
        }
        return Ok(0);
    }
    let status = |st: &BTreeMap<String, usize>| {
        st.iter()
            .map(|(s, n)| format!("{s}({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if l.format == "json" {
        let v: Vec<serde_json::Value> = projects
            .iter()
            .map(|(n, (st, f))| serde_json::json!({"Name": n, "Status": status(st), "ConfigFiles": f}))
            .collect();
        println!("{}", serde_json::to_string(&v)?);
        return Ok(0);
    }
    let mut t = String::from("NAME\tSTATUS\tCONFIG FILES\n");
    for (n, (st, f)) in &projects {
        t.push_str(&format!("{n}\t{}\t{f}\n", status(st)));
    }
    print!("{}", crate::cli::tabwriter::table(&t));
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Shows only Compose's version number
    #[arg(long)]
    pub short: bool,
    /// Format the output: pretty or json
    #[arg(short = 'f', long, default_value = "pretty")]
    pub format: String,
}

pub fn version(v: &VersionArgs) -> anyhow::Result<i32> {
    let ver = format!("v{}", wharf_compose::plan::COMPOSE_VERSION);
    if v.short {
        println!("{}", ver.trim_start_matches('v'));
    } else if v.format == "json" {
        println!("{}", serde_json::json!({ "version": ver }));
    } else {
        println!(
            "wharf compose version {ver} (wharf {})",
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct TopArgs {
    pub service: Vec<String>,
}

/// `wharf compose top [SERVICE...]`: each running container's processes.
pub async fn top(ctx: &Ctx, a: &ComposeArgs, t: &TopArgs) -> anyhow::Result<i32> {
    let (name, _) = a.project_or_name()?;
    let list = wharf_compose::engine::containers(&ctx.client, &name, false).await?;
    for x in list
        .iter()
        .filter(|x| t.service.is_empty() || t.service.contains(&x.service))
    {
        let r = ctx.client.containers().top(&x.id, None).await?;
        println!("{}", x.name);
        let mut s = r.titles.join("\t");
        s.push('\n');
        for p in &r.processes {
            s.push_str(&p.join("\t"));
            s.push('\n');
        }
        print!("{}", crate::cli::tabwriter::align(&s, 0, 3));
        println!();
    }
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct ImagesArgs {
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    pub service: Vec<String>,
}

/// `wharf compose images [-q] [SERVICE...]`: the image of each container.
pub async fn images(ctx: &Ctx, a: &ComposeArgs, i: &ImagesArgs) -> anyhow::Result<i32> {
    let (name, _) = a.project_or_name()?;
    let list = wharf_compose::engine::containers(&ctx.client, &name, true).await?;
    let mut t = String::from("CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n");
    for x in list
        .iter()
        .filter(|x| i.service.is_empty() || i.service.contains(&x.service))
    {
        let img = ctx.client.images().inspect(&x.image_id).await?;
        let short = img
            .id
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect::<String>();
        if i.quiet {
            println!("{short}");
            continue;
        }
        let reference = x.summary["Image"].as_str().unwrap_or_default();
        let (repo, tag) = match reference.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (reference.to_string(), "latest".to_string()),
        };
        let size = img.size as f64 / 1e6;
        t.push_str(&format!(
            "{}\t{repo}\t{tag}\t{short}\t{size:.3}MB\n",
            x.name
        ));
    }
    if !i.quiet {
        print!("{}", crate::cli::tabwriter::table(&t));
    }
    Ok(0)
}
