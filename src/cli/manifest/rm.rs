//! `wharf manifest rm LIST...`

use super::store;

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    #[arg(required = true, value_name = "MANIFEST_LIST")]
    pub lists: Vec<String>,
}

pub async fn run(a: RmArgs) -> anyhow::Result<i32> {
    let mut failed = false;
    for l in &a.lists {
        match super::remote(l).and_then(|n| store::remove(&n)) {
            Ok(true) => {}
            Ok(false) => {
                eprintln!("No such manifest: {l}");
                failed = true;
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    Ok(i32::from(failed))
}
