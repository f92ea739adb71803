//! `wharf rmi [-f] [--no-prune] IMAGE...`

use wharf_api::image::ImageDeleteItem;

use super::{is_connect_error, print_obj_error, Ctx};

#[derive(Debug, clap::Args)]
pub struct RmiArgs {
    /// Force removal of the image
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Do not delete untagged parents
    #[arg(long = "no-prune")]
    pub no_prune: bool,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RmiArgs) -> anyhow::Result<i32> {
    let mut code = 0;
    for n in &a.images {
        let res: anyhow::Result<Vec<ImageDeleteItem>> =
            async { Ok(ctx.client.images().remove(n, a.force, a.no_prune).await?) }.await;
        match res {
            Ok(items) => {
                for i in items {
                    if let Some(u) = i.untagged {
                        println!("Untagged: {u}");
                    }
                    if let Some(d) = i.deleted {
                        println!("Deleted: {d}");
                    }
                }
            }
            Err(e) if is_connect_error(&e) => return Err(e),
            Err(e) => {
                print_obj_error(&e);
                code = 1;
            }
        }
    }
    Ok(code)
}
