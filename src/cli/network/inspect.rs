//! `wharf network inspect [-f] NETWORK...`

use crate::cli::inspect::print_json_array;
use crate::cli::template::Format;
use crate::cli::{is_connect_error, print_obj_error, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    #[arg(required = true, value_name = "NETWORK")]
    pub names: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    let tmpl = match &a.format {
        Some(f) if !f.is_empty() && f != "json" => Some(Format::parse(f)?),
        _ => None,
    };
    let mut docs = Vec::new();
    let mut code = 0;
    for n in &a.names {
        let res: anyhow::Result<bytes::Bytes> = async {
            Ok(ctx
                .client
                .get(&format!("/networks/{}", seg(n)))
                .await?
                .bytes()
                .await?)
        }
        .await;
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
                println!("{}", t.render(&serde_json::from_slice(d)?)?);
            }
        }
        None => print_json_array(&docs)?,
    }
    Ok(code)
}
