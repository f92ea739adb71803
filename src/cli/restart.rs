//! `wharf restart [-t N] [-s SIG] CONTAINER...`: stop's flags, then start.

pub use super::stop::StopArgs as RestartArgs;
use super::Ctx;

pub async fn run(ctx: &Ctx, a: RestartArgs) -> anyhow::Result<i32> {
    super::stop::post_each(ctx, a, "restart").await
}
