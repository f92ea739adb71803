//! `wharf top CONTAINER [ps OPTIONS]`

use super::{tabwriter, Ctx};

#[derive(Debug, clap::Args)]
pub struct TopArgs {
    pub container: String,
    /// Options passed to ps
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_args: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: TopArgs) -> anyhow::Result<i32> {
    let ps_args = a.ps_args.join(" ");
    let t = ctx
        .client
        .containers()
        .top(&a.container, Some(&ps_args))
        .await?;
    let mut text = t.titles.join("\t");
    text.push('\n');
    for p in &t.processes {
        text.push_str(&p.join("\t"));
        text.push('\n');
    }
    print!("{}", tabwriter::align(&text, 20, 3));
    Ok(0)
}
