//! `wharf inspect [-f FORMAT] [--type container|image|volume] NAME...`:
//! the daemon's JSON re-indented with its key order kept, or a Go template
//! per object.

use bytes::Bytes;
use wharf_client::{Client, ClientError};

use super::template::Format;
use super::{is_connect_error, print_obj_error, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Return JSON for specified type
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Display total file sizes if the type is container
    #[arg(short = 's', long)]
    pub size: bool,
    #[arg(required = true, value_name = "NAME|ID")]
    pub names: Vec<String>,
}

/// Which object kinds to try, in docker's order.
fn kinds(kind: Option<&str>) -> Result<Vec<&'static str>, UsageError> {
    match kind {
        None | Some("") => Ok(vec!["container", "image", "network", "volume"]),
        Some("container") => Ok(vec!["container"]),
        Some("image") => Ok(vec!["image"]),
        Some("network") => Ok(vec!["network"]),
        Some("volume") => Ok(vec!["volume"]),
        Some(k) => Err(UsageError(format!(
            "\"{k}\" is not a valid value for --type"
        ))),
    }
}

async fn fetch(client: &Client, kind: &str, name: &str, size: bool) -> Result<Bytes, ClientError> {
    match kind {
        "container" => client.containers().inspect_raw(name, size).await,
        "image" => client.images().inspect_raw(name).await,
        "network" => client.networks().inspect_raw(name).await,
        _ => client.volumes().inspect_raw(name).await,
    }
}

/// Fetch one object of the first kind that has it.
pub async fn find(
    client: &Client,
    kinds: &[&str],
    name: &str,
    size: bool,
) -> anyhow::Result<Option<Bytes>> {
    for k in kinds {
        match fetch(client, k, name, size).await {
            Ok(b) => return Ok(Some(b)),
            Err(e) if e.status() == Some(404) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// Print raw JSON documents as one 4-space-indented array, keeping the
/// daemon's key order (docker prints its structs in field order).
pub fn print_json_array(docs: &[Bytes]) -> anyhow::Result<()> {
    let mut raw = Vec::from(&b"["[..]);
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            raw.push(b',');
        }
        raw.extend_from_slice(d);
    }
    raw.push(b']');
    println!("{}", reindent(&raw)?);
    Ok(())
}

/// Re-indent JSON text with 4 spaces without reordering keys.
pub fn reindent(raw: &[u8]) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    let mut de = serde_json::Deserializer::from_slice(raw);
    serde_transcode::transcode(&mut de, &mut ser)?;
    Ok(String::from_utf8(out)?)
}

pub async fn run(ctx: &Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    let kinds = kinds(a.kind.as_deref())?;
    let tmpl = match &a.format {
        Some(f) if !f.is_empty() && f != "json" => Some(Format::parse(f)?),
        _ => None,
    };
    let noun = if kinds.len() == 1 { kinds[0] } else { "object" };
    let mut docs = Vec::new();
    let mut code = 0;
    for n in &a.names {
        match find(&ctx.client, &kinds, n, a.size).await {
            Ok(Some(d)) => docs.push(d),
            Ok(None) => {
                eprintln!("Error: No such {noun}: {n}");
                code = 1;
            }
            Err(e) if is_connect_error(&e) => return Err(e),
            Err(e) => {
                super::print_obj_error(&e);
                code = 1;
            }
        }
    }
    match tmpl {
        Some(t) => {
            for d in &docs {
                println!("{}", t.render_raw(d)?);
            }
        }
        None => print_json_array(&docs)?,
    }
    Ok(code)
}

/// Inspects each of `names` as a `kind` object and prints the documents as
/// one JSON array, or each through `format`; exit code 1 if any was missing
/// (after printing the others), as docker does.
pub async fn inspect_objects(
    ctx: &Ctx,
    kind: &str,
    names: &[String],
    format: Option<&str>,
) -> anyhow::Result<i32> {
    let tmpl = match format {
        Some(f) if !f.is_empty() && f != "json" => Some(Format::parse(f)?),
        _ => None,
    };
    let mut docs = Vec::new();
    let mut code = 0;
    for n in names {
        let res: anyhow::Result<bytes::Bytes> =
            fetch(&ctx.client, kind, n, false).await.map_err(Into::into);
        match res {
            Ok(d) => docs.push(d),
            Err(e) if is_connect_error(&e) => return Err(e),
            Err(e) => {
                print_obj_error(&e);
                code = 1;
            }
        }
    }
    match tmpl {
        Some(t) => {
            for d in &docs {
                println!("{}", t.render_raw(d)?);
            }
        }
        None => print_json_array(&docs)?,
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order() {
        let out =
            reindent(br#"[{"Id":"x","Created":"t","State":{"Status":"running"},"Empty":[]}]"#)
                .unwrap();
        assert_eq!(
            out,
            "[\n    {\n        \"Id\": \"x\",\n        \"Created\": \"t\",\n        \"State\": {\n            \"Status\": \"running\"\n        },\n        \"Empty\": []\n    }\n]"
        );
    }

    #[test]
    fn empty_array() {
        assert_eq!(reindent(b"[]").unwrap(), "[]");
    }

    #[test]
    fn type_flag() {
        assert_eq!(kinds(None).unwrap().len(), 4);
        assert!(kinds(Some("network")).is_ok());
        assert!(kinds(Some("plugin")).is_err());
    }
}
