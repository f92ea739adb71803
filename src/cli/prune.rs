//! What every `prune` command shares: docker's confirmation prompt, the
//! filters query, and the list of what went.

use std::io::{BufRead, Write};

use super::UsageError;
use wharf_client::Filters;

/// Prints docker's warning and asks; true when the user answered yes.
pub fn confirm(warning: &str) -> std::io::Result<bool> {
    print!("WARNING! {warning}\nAre you sure you want to continue? [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `path` with `--filter` values as the `filters` query. Kept for commands
/// still writing a request path by hand (prefer [`filters`] and the typed
/// `prune` calls of `wharf_client`).
#[allow(dead_code)]
pub fn path(path: &str, filters: &[String]) -> anyhow::Result<String> {
    let f = self::filters(filters)?;
    let mut q = wharf_client::query::Query::new();
    q.filters(&f);
    Ok(q.to_path(path))
}

/// `--filter` values as typed filters.
pub fn filters(filters: &[String]) -> Result<Filters, UsageError> {
    super::ps::filters(filters, "--filter")
}

/// `Deleted Things:` and one line each, then a blank line; nothing when
/// nothing went.
pub fn print_deleted(title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    println!("{title}:");
    for i in items {
        println!("{i}");
    }
    println!();
}
