//! `wharf manifest annotate [--os] [--arch] [--variant] LIST MANIFEST`

use super::store;

#[derive(Debug, clap::Args)]
pub struct AnnotateArgs {
    /// Set operating system
    #[arg(long)]
    pub os: Option<String>,
    /// Set architecture
    #[arg(long)]
    pub arch: Option<String>,
    /// Set architecture variant
    #[arg(long)]
    pub variant: Option<String>,
    #[arg(value_name = "MANIFEST_LIST")]
    pub list: String,
    #[arg(value_name = "MANIFEST")]
    pub source: String,
}

pub async fn run(a: AnnotateArgs) -> anyhow::Result<i32> {
    let list = super::remote(&a.list)?;
    let source = super::remote(&a.source)?;
    let mut e = store::load_one(&list, &source)?;
    let p = e.descriptor.platform.get_or_insert_with(Default::default);
    if let Some(os) = a.os.filter(|s| !s.is_empty()) {
        p.os = os;
    }
    if let Some(arch) = a.arch.filter(|s| !s.is_empty()) {
        p.architecture = arch;
    }
    if let Some(v) = a.variant {
        p.variant = (!v.is_empty()).then_some(v);
    }
    if p.os.is_empty() || p.architecture.is_empty() {
        anyhow::bail!(
            "manifest entry for image has unsupported os/arch combination: {}/{}",
            p.os,
            p.architecture
        );
    }
    store::save(&list, &e)?;
    Ok(0)
}
