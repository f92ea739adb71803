//! `wharf wait CONTAINER...`: print each exit code.

use wharf_api::container::ContainerWaitResponse;

use super::{is_connect_error, print_obj_error, Ctx};

#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: WaitArgs) -> anyhow::Result<i32> {
    let mut code = 0;
    for n in &a.containers {
        let res: anyhow::Result<ContainerWaitResponse> = async {
            let w = ctx.client.containers().wait(n, None).await?;
            Ok(w)
        }
        .await;
        match res {
            Ok(w) => println!("{}", w.status_code),
            Err(e) if is_connect_error(&e) => return Err(e),
            Err(e) => {
                print_obj_error(&e);
                code = 1;
            }
        }
    }
    Ok(code)
}
