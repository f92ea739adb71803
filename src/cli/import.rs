//! `wharf import [-c CHANGE]... [-m MSG] file|URL|- [REPOSITORY[:TAG]]`

use super::parse::split_repo_tag;
use super::{jsonmsg, Ctx};
use wharf_client::{Client, ImportOptions};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change")]
    pub change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    pub platform: Option<String>,
    /// file|URL|-
    pub source: String,
    /// REPOSITORY[:TAG]
    pub reference: Option<String>,
}

/// The options of an import as the API takes them.
pub fn import_options(a: &ImportArgs) -> ImportOptions {
    let remote = a.source.starts_with("http://") || a.source.starts_with("https://");
    let (repo, tag) = match &a.reference {
        Some(r) => {
            let (repo, tag) = split_repo_tag(r);
            (Some(repo), Some(tag))
        }
        None => (None, None),
    };
    ImportOptions {
        source: if remote { a.source.clone() } else { "-".into() },
        repo,
        tag,
        message: a.message.clone(),
        platform: a.platform.clone(),
        changes: a.change.clone(),
    }
}

pub async fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<i32> {
    let opts = import_options(&a);
    let body = if a.source.starts_with("http://") || a.source.starts_with("https://") {
        Client::empty()
    } else if a.source == "-" {
        Client::reader_body(tokio::io::stdin())
    } else {
        let f = tokio::fs::File::open(&a.source).await.map_err(|e| {
            anyhow::anyhow!("open {}: {}", a.source, super::container_opts::io_msg(&e))
        })?;
        Client::reader_body(f)
    };
    let messages = ctx.client.images().import(body, &opts).await?;
    jsonmsg::print_stream(messages).await?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query() {
        let a = ImportArgs {
            change: vec!["CMD [\"sh\"]".into(), "ENV A=1".into()],
            message: None,
            platform: None,
            source: "rootfs.tar".into(),
            reference: Some("busybox:latest".into()),
        };
        assert_eq!(
            import_options(&a).to_path(),
            "/images/create?fromSrc=-&repo=busybox&tag=latest&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1"
        );
    }
}
