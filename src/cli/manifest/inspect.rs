//! `wharf manifest inspect [--insecure] [LIST] MANIFEST`: a local list
//! (or one entry of it), else the manifest or index the registry has.

use super::store;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Allow communication with an insecure registry
    #[arg(long)]
    pub insecure: bool,
    /// Output additional info including layers and platform
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[arg(required = true, num_args = 1..=2, value_name = "[MANIFEST_LIST] MANIFEST")]
    pub refs: Vec<String>,
}

pub async fn run(a: InspectArgs) -> anyhow::Result<i32> {
    if let [list, source] = a.refs.as_slice() {
        let e = store::load_one(&super::remote(list)?, &super::remote(source)?)?;
        println!("{}", super::pretty(&serde_json::to_value(&e)?));
        return Ok(0);
    }
    let name = super::remote(&a.refs[0])?;
    if store::exists(&name) {
        let entries = store::load(&name)?;
        let manifests: Vec<_> = entries.into_iter().map(|e| e.descriptor).collect();
        let v = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": wharf_registry::pull::MEDIA_DOCKER_LIST,
            "manifests": manifests,
        });
        println!("{}", super::pretty(&v));
        return Ok(0);
    }
    let insecure = a.insecure;
    let bytes = super::blocking(move || {
        let client = super::client_for(&name, insecure);
        let (bytes, _, _) =
            wharf_registry::pull::fetch_manifest(&client, &name, &name.manifest_ref())?;
        Ok(bytes)
    })
    .await?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)?;
    println!("{}", super::pretty(&v));
    Ok(0)
}
