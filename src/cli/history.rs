//! `wharf history [-H] [--no-trunc] [-q] [--format] IMAGE`

use clap::ArgAction;
use serde_json::{json, Value};
use wharf_api::image::HistoryItem;

use super::format::{self, ellipsis, short_id};
use super::template::{list_format, render_list};
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Print sizes and dates in human readable format
    #[arg(short = 'H', long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub human: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Only show image IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    pub image: String,
}

const DEFAULT_FORMAT: &str =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

fn header() -> Value {
    json!({"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"})
}

pub fn rows(items: &[HistoryItem], trunc: bool, human: bool, now: i64) -> Vec<Value> {
    items
        .iter()
        .map(|h| {
            let id = if h.id == "<missing>" || h.id.is_empty() {
                "<missing>".to_string()
            } else if trunc {
                short_id(&h.id)
            } else {
                h.id.clone()
            };
            let by = h.created_by.replace('\t', " ");
            let by = if trunc { ellipsis(&by, 45) } else { by };
            json!({
                "ID": id,
                "CreatedSince": if human { format::ago(h.created, now) } else { format::rfc3339(h.created) },
                "CreatedAt": format::rfc3339(h.created),
                "CreatedBy": by,
                "Size": if human { format::human_size(h.size) } else { h.size.to_string() },
                "Comment": h.comment,
            })
        })
        .collect()
}

pub async fn run(ctx: &Ctx, a: HistoryArgs) -> anyhow::Result<i32> {
    let items: Vec<HistoryItem> = ctx.client.images().history(&a.image).await?;
    let trunc = !a.no_trunc;
    if a.quiet {
        for h in &items {
            println!("{}", if trunc { short_id(&h.id) } else { h.id.clone() });
        }
        return Ok(0);
    }
    let rows = rows(&items, trunc, a.human, format::now_unix());
    let fmt = list_format(a.format.as_deref(), DEFAULT_FORMAT);
    print!("{}", render_list(&fmt, &header(), &rows)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_rows() {
        let items = vec![HistoryItem {
            id: "sha256:0123456789abcdef".into(),
            created: 0,
            created_by: "/bin/sh -c #(nop)\tCMD [\"sh\"] and a very long tail of text".into(),
            size: 1234,
            ..Default::default()
        }];
        let r = rows(&items, true, true, 120);
        assert_eq!(r[0]["ID"], "0123456789ab");
        assert_eq!(
            r[0]["CreatedBy"],
            "/bin/sh -c #(nop) CMD [\"sh\"] and a very long…"
        );
        assert_eq!(r[0]["Size"], "1.23kB");
        let r = rows(&items, true, false, 120);
        assert_eq!(r[0]["Size"], "1234");
        assert_eq!(r[0]["CreatedSince"], "1970-01-01T00:00:00Z");
    }
}
