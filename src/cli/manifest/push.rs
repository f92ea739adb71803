//! `wharf manifest push [-p] [--insecure] LIST`: PUTs the local list as an
//! index (an OCI index, or a Docker manifest list when every entry is a
//! Docker manifest) and prints its digest.

use super::store;

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Remove the local manifest list after push
    #[arg(short = 'p', long)]
    pub purge: bool,
    /// Allow push to an insecure registry
    #[arg(long)]
    pub insecure: bool,
    #[arg(value_name = "MANIFEST_LIST")]
    pub list: String,
}

pub async fn run(a: PushArgs) -> anyhow::Result<i32> {
    let list = super::remote(&a.list)?;
    let entries = store::load(&list)?;
    let mut pairs = Vec::new();
    for e in entries {
        pairs.push((super::remote(&e.reference)?, e.descriptor));
    }
    let insecure = a.insecure;
    let list2 = list.clone();
    let digest = super::blocking(move || {
        let client = super::client_for(&list2, insecure);
        Ok(wharf_registry::index::push_index(&client, &list2, &pairs)?)
    })
    .await?;
    println!("{digest}");
    if a.purge {
        store::remove(&list)?;
    }
    Ok(0)
}
