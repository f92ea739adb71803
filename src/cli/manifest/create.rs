//! `wharf manifest create [-a] [--insecure] LIST MANIFEST...`

use super::store::{self, Entry};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Amend an existing manifest list
    #[arg(short = 'a', long)]
    pub amend: bool,
    /// Allow communication with an insecure registry
    #[arg(long)]
    pub insecure: bool,
    #[arg(value_name = "MANIFEST_LIST")]
    pub list: String,
    #[arg(required = true, value_name = "MANIFEST")]
    pub sources: Vec<String>,
}

pub async fn run(a: CreateArgs) -> anyhow::Result<i32> {
    let list = super::remote(&a.list)?;
    if list.reference.digest.is_some() {
        anyhow::bail!("a manifest list cannot be named by a digest: {}", a.list);
    }
    if store::exists(&list) && !a.amend {
        anyhow::bail!("refusing to amend an existing manifest list with no --amend flag");
    }
    let mut sources = Vec::new();
    for s in &a.sources {
        let n = super::remote(s)?;
        if n.host != list.host {
            anyhow::bail!(
                "cannot use source images from a different registry than the target image: {} != {}",
                n.host,
                list.host
            );
        }
        sources.push(n);
    }
    let insecure = a.insecure;
    let list2 = list.clone();
    super::blocking(move || {
        let client = super::client_for(&list2, insecure);
        let mut entries = Vec::new();
        for n in &sources {
            let d = wharf_registry::index::describe(&client, n)?;
            entries.push(Entry {
                reference: store::full(n),
                descriptor: d,
            });
        }
        for e in &entries {
            store::save(&list2, e)?;
        }
        Ok(())
    })
    .await?;
    println!("Created manifest list {}", store::full(&list));
    Ok(0)
}
