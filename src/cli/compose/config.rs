//! `wharf compose config [--services] [--volumes] [--format yaml|json] [-q]`

use super::ComposeArgs;

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Print the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Format the output: yaml or json
    #[arg(long, default_value = "yaml")]
    pub format: String,
    /// Only validate the configuration, don't print anything
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

pub fn run(a: &ComposeArgs, c: &ConfigArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    if c.quiet {
        return Ok(0);
    }
    if c.services {
        // Compose v2 prints them in dependency order (what a service
        // depends on before it); its order within a level is Go's random
        // map order, ours is by name.
        let all = p.services.keys().cloned().collect();
        for n in wharf_compose::plan::levels(&p, &all).concat() {
            println!("{n}");
        }
        return Ok(0);
    }
    if c.volumes {
        for n in p.volumes.keys() {
            println!("{n}");
        }
        return Ok(0);
    }
    match c.format.as_str() {
        "yaml" => print!("{}", wharf_compose::canonical::to_yaml(&p)),
        "json" => print!("{}", wharf_compose::canonical::to_json(&p)),
        f => anyhow::bail!("unsupported format {f:?}: use yaml or json"),
    }
    Ok(0)
}
