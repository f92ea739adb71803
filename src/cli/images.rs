//! `wharf images` / `wharf image ls`: REPOSITORY TAG IMAGE ID CREATED SIZE.

use serde_json::{json, Value};
use wharf_api::image::ImageSummary;

use super::format::{self, short_id};
use super::template::{list_format, render_list};
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only show image IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    /// REPOSITORY[:TAG]
    pub reference: Option<String>,
}

const DEFAULT_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const DIGEST_FORMAT: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

fn header() -> Value {
    json!({
        "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Digest": "DIGEST",
        "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
        "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
        "VirtualSize": "VIRTUAL SIZE",
    })
}

/// One row per tag (`<none>` for untagged images), as docker lists them.
pub fn rows(list: &[ImageSummary], trunc: bool, now: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for img in list {
        let id = if trunc {
            short_id(&img.id)
        } else {
            img.id.clone()
        };
        // The digest shown on a row is the one recorded for its repository.
        let digest_of = |repo: &str| {
            img.repo_digests
                .iter()
                .filter_map(|d| d.split_once('@'))
                .find(|(r, _)| *r == repo)
                .map(|(_, d)| d.to_string())
                .unwrap_or_else(|| "<none>".into())
        };
        let mut tags: Vec<(String, String)> = img
            .repo_tags
            .iter()
            .filter(|t| t.as_str() != "<none>:<none>")
            .map(|t| {
                let (r, tag) = super::parse::split_repo_tag(t);
                (r, if tag.is_empty() { "<none>".into() } else { tag })
            })
            .collect();
        // A repository known only by digest gets a `<none>` row, as
        // docker lists them.
        for d in &img.repo_digests {
            if let Some((r, _)) = d.split_once('@') {
                if !tags.iter().any(|(t, _)| t == r) {
                    tags.push((r.to_string(), "<none>".into()));
                }
            }
        }
        if tags.is_empty() {
            tags.push(("<none>".into(), "<none>".into()));
        }
        for (repo, tag) in tags {
            out.push(json!({
                "ID": id,
                "Repository": repo,
                "Tag": tag,
                "Digest": digest_of(&repo),
                "CreatedSince": format::ago(img.created, now),
                "CreatedAt": format::go_time(img.created),
                "Size": format::human_size(img.size),
                "Containers": if img.containers < 0 { "N/A".to_string() } else { img.containers.to_string() },
                "SharedSize": if img.shared_size < 0 { "N/A".to_string() } else { format::human_size(img.shared_size) },
                "UniqueSize": if img.shared_size < 0 { "N/A".to_string() } else { format::human_size(img.size - img.shared_size) },
                "VirtualSize": format::human_size(img.size),
            }));
        }
    }
    out
}

pub async fn run(ctx: &Ctx, a: ImagesArgs) -> anyhow::Result<i32> {
    let mut filters = a.filter.clone();
    if let Some(r) = &a.reference {
        filters.push(format!("reference={r}"));
    }
    let f = super::ps::filters(&filters, "-f, --filter")?;
    let list: Vec<ImageSummary> = ctx.client.images().list(a.all, &f).await?;
    let trunc = !a.no_trunc;
    if a.quiet && a.format.is_none() {
        let mut seen = std::collections::HashSet::new();
        for img in &list {
            let id = if trunc {
                short_id(&img.id)
            } else {
                img.id.clone()
            };
            if seen.insert(id.clone()) {
                println!("{id}");
            }
        }
        return Ok(0);
    }
    let rows = rows(&list, trunc, format::now_unix());
    let default = if a.digests {
        DIGEST_FORMAT
    } else {
        DEFAULT_FORMAT
    };
    let fmt = list_format(a.format.as_deref(), default);
    print!("{}", render_list(&fmt, &header(), &rows)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows() {
        let img = ImageSummary {
            id: "sha256:abcdef0123456789".into(),
            repo_tags: vec!["busybox:latest".into(), "localhost:5000/bb:1".into()],
            created: 100,
            size: 4_264_000,
            ..Default::default()
        };
        let none = ImageSummary {
            id: "sha256:ffff00001111".into(),
            created: 100,
            size: 0,
            ..Default::default()
        };
        let rows = rows(&[img, none], true, 100 + 3 * 86400);
        let out = render_list(DEFAULT_FORMAT, &header(), &rows).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "REPOSITORY          TAG       IMAGE ID       CREATED      SIZE"
        );
        assert_eq!(
            lines[1],
            "busybox             latest    abcdef012345   3 days ago   4.26MB"
        );
        assert_eq!(
            lines[2],
            "localhost:5000/bb   1         abcdef012345   3 days ago   4.26MB"
        );
        assert_eq!(
            lines[3],
            "<none>              <none>    ffff00001111   3 days ago   0B"
        );
    }
}
