//! `wharf commit [-a AUTHOR] [-m MSG] [-c CHANGE]... [-p] CONTAINER [REPO[:TAG]]`

use super::parse::split_repo_tag;
use super::Ctx;
use wharf_client::query_escape as q;

#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short = 'a', long)]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change")]
    pub change: Vec<String>,
    /// Commit message
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Pause container during commit (accepted; the layer is read as is)
    #[arg(short = 'p', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub pause: bool,
    pub container: String,
    /// REPOSITORY[:TAG]
    pub reference: Option<String>,
}

pub async fn run(ctx: &Ctx, a: CommitArgs) -> anyhow::Result<i32> {
    let mut p = vec![format!("container={}", q(&a.container))];
    if let Some(r) = &a.reference {
        let (repo, tag) = split_repo_tag(r);
        p.push(format!("repo={}", q(&repo)));
        if !tag.is_empty() {
            p.push(format!("tag={}", q(&tag)));
        }
    }
    if let Some(m) = &a.message {
        p.push(format!("comment={}", q(m)));
    }
    if let Some(au) = &a.author {
        p.push(format!("author={}", q(au)));
    }
    for c in &a.change {
        p.push(format!("changes={}", q(c)));
    }
    p.push(format!("pause={}", a.pause as u8));
    let v: serde_json::Value = ctx
        .client
        .post_json::<(), _>(&format!("/commit?{}", p.join("&")), None)
        .await?;
    println!("{}", v["Id"].as_str().unwrap_or(""));
    Ok(0)
}
