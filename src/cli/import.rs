//! `wharf import [-c CHANGE]... [-m MSG] file|URL|- [REPOSITORY[:TAG]]`

use super::parse::split_repo_tag;
use super::{jsonmsg, q, Ctx};
use wharf_client::Client;

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

/// The `POST /images/create` query of an import.
pub fn import_query(a: &ImportArgs) -> String {
    let remote = a.source.starts_with("http://") || a.source.starts_with("https://");
    let src = if remote { a.source.as_str() } else { "-" };
    let mut params = vec![format!("fromSrc={}", q(src))];
    if let Some(r) = &a.reference {
        let (repo, tag) = split_repo_tag(r);
        params.push(format!("repo={}", q(&repo)));
        if !tag.is_empty() {
            params.push(format!("tag={}", q(&tag)));
        }
    }
    if let Some(m) = &a.message {
        params.push(format!("message={}", q(m)));
    }
    if let Some(p) = &a.platform {
        params.push(format!("platform={}", q(p)));
    }
    for c in &a.change {
        params.push(format!("changes={}", q(c)));
    }
    format!("/images/create?{}", params.join("&"))
}

pub async fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<i32> {
    let path = import_query(&a);
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
    let resp = ctx
        .client
        .request(
            wharf_client::Method::POST,
            &path,
            Some("application/x-tar"),
            body,
        )
        .await?;
    jsonmsg::print_stream(resp).await?;
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
            import_query(&a),
            "/images/create?fromSrc=-&repo=busybox&tag=latest&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1"
        );
    }
}
