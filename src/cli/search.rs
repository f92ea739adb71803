//! `wharf search [--limit N] [-f FILTER] [--format] [--no-trunc] TERM`:
//! `TERM` searches Docker Hub, `HOST/TERM` another registry (its catalog
//! where it has no search API).

use serde_json::{json, Value};
use wharf_api::image::ImageSearchResult;

use super::format::ellipsis;
use super::template::{list_format, render_list};
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Pretty-print search using a Go template
    #[arg(long)]
    pub format: Option<String>,
    /// Max number of search results
    #[arg(long)]
    pub limit: Option<i64>,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// TERM
    pub term: String,
}

const DEFAULT_FORMAT: &str = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}";

fn header() -> Value {
    json!({"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED"})
}

fn ok_mark(b: bool) -> &'static str {
    if b {
        "[OK]"
    } else {
        ""
    }
}

/// The template context of one result, as docker's formatter builds it.
pub fn rows(items: &[ImageSearchResult], trunc: bool) -> Vec<Value> {
    items
        .iter()
        .map(|r| {
            let desc = r.description.replace('\n', " ");
            let desc = if trunc { ellipsis(&desc, 45) } else { desc };
            json!({
                "Name": r.name,
                "Description": desc,
                "StarCount": r.star_count.to_string(),
                "IsOfficial": ok_mark(r.is_official),
                "IsAutomated": ok_mark(r.is_automated),
            })
        })
        .collect()
}

pub async fn run(ctx: &Ctx, a: SearchArgs) -> anyhow::Result<i32> {
    let filters = super::ps::filters(&a.filter, "-f, --filter")?;
    let auth = super::registry_auth::header_for(&a.term);
    let items = ctx
        .client
        .images()
        .search(&a.term, a.limit, &filters, &auth)
        .await?;
    let fmt = list_format(a.format.as_deref(), DEFAULT_FORMAT);
    print!(
        "{}",
        render_list(&fmt, &header(), &rows(&items, !a.no_trunc))?
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_rows() {
        let items = vec![ImageSearchResult {
            name: "busybox".into(),
            description: "Busybox base image.\nWith a second line that goes on and on".into(),
            is_official: true,
            star_count: 3,
            ..Default::default()
        }];
        let r = rows(&items, true);
        assert_eq!(
            r[0]["Description"],
            "Busybox base image. With a second line that …"
        );
        assert_eq!(r[0]["IsOfficial"], "[OK]");
        assert_eq!(r[0]["IsAutomated"], "");
        assert_eq!(r[0]["StarCount"], "3");
    }
}
