//! `wharf volume create [-d DRIVER] [-o k=v]... [--label k=v]... [NAME]`

use std::collections::BTreeMap;

use wharf_api::volume::{Volume, VolumeCreateOptions};

use crate::cli::{parse, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Specify volume driver name
    #[arg(short = 'd', long, default_value = "local")]
    pub driver: String,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    pub opt: Vec<String>,
    /// Set metadata for a volume
    #[arg(long)]
    pub label: Vec<String>,
    /// Specify volume name
    #[arg(long = "name")]
    pub name_flag: Option<String>,
    pub name: Option<String>,
}

/// Build the `POST /volumes/create` body.
pub fn body(a: &CreateArgs) -> Result<VolumeCreateOptions, UsageError> {
    if a.name.is_some() && a.name_flag.is_some() && a.name != a.name_flag {
        return Err(UsageError(
            "conflicting options: cannot specify a volume-name through both --name and as a positional arg".into(),
        ));
    }
    let mut opts = BTreeMap::new();
    for o in &a.opt {
        let (k, v) = o.split_once('=').ok_or_else(|| {
            UsageError(format!(
                "invalid argument \"{o}\" for \"-o, --opt\" flag: invalid key value pair format"
            ))
        })?;
        opts.insert(k.to_string(), v.to_string());
    }
    Ok(VolumeCreateOptions {
        name: a
            .name
            .clone()
            .or_else(|| a.name_flag.clone())
            .unwrap_or_default(),
        driver: a.driver.clone(),
        driver_opts: Some(opts),
        labels: Some(parse::labels(&a.label)),
    })
}

pub async fn run(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<i32> {
    let b = body(&a)?;
    let v: Volume = ctx.client.volumes().create(&b).await?;
    println!("{}", v.name);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body() {
        let a = CreateArgs {
            driver: "local".into(),
            opt: vec!["type=tmpfs".into(), "o=size=64m,uid=1000".into()],
            label: vec!["a=b".into()],
            name_flag: None,
            name: Some("data".into()),
        };
        let j = serde_json::to_value(body(&a).unwrap()).unwrap();
        assert_eq!(j["Name"], "data");
        assert_eq!(j["DriverOpts"]["o"], "size=64m,uid=1000");
        assert_eq!(j["Labels"]["a"], "b");
        let bad = CreateArgs {
            opt: vec!["novalue".into()],
            ..a
        };
        assert!(body(&bad).is_err());
    }
}
