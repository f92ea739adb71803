//! `wharf compose logs [-f] [--tail N] [-t] [--no-color] [SERVICE...]`, and
//! the prefixed log printer `up` uses when attached.

use std::io::Write;

use wharf_client::{Client, LogsOptions};
use wharf_compose::engine::Ctr;

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Produce monochrome output
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// Don't print prefix in logs
    #[arg(long = "no-log-prefix")]
    pub no_prefix: bool,
    pub service: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, l: &LogsArgs) -> anyhow::Result<i32> {
    let (name, _) = a.project_or_name()?;
    let mut list = wharf_compose::engine::containers(&ctx.client, &name, true).await?;
    list.retain(|x| !x.oneoff && (l.service.is_empty() || l.service.contains(&x.service)));
    let o = LogsOptions {
        follow: l.follow,
        tail: Some(l.tail.clone()),
        timestamps: l.timestamps,
        ..LogsOptions::default()
    };
    follow(&ctx.client, &list, &o, !l.no_color, !l.no_prefix, None).await;
    Ok(0)
}

const COLOURS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// Print the logs of `ctrs`, each line prefixed `name  | ` (coloured on
/// a terminal), until every stream ends. `layout` is the prefix width
/// and colour index when the caller splits one set of containers. Returns the names in the order
/// their streams ended.
pub async fn follow(
    c: &Client,
    ctrs: &[Ctr],
    o: &LogsOptions,
    colour: bool,
    prefix: bool,
    layout: Option<(usize, usize)>,
) -> Vec<String> {
    let (width, first) =
        layout.unwrap_or((ctrs.iter().map(|x| x.name.len()).max().unwrap_or(0), 0));
    let colour = colour && crate::cli::tty::stdout_is_terminal();
    let ended = std::cell::RefCell::new(Vec::new());
    let futs = ctrs.iter().enumerate().map(|(i, x)| {
        let ended = &ended;
        async move {
            let tty = match c.containers().inspect_raw(&x.id, false).await {
                Ok(b) => serde_json::from_slice::<serde_json::Value>(&b)
                    .map(|v| v["Config"]["Tty"].as_bool().unwrap_or(false))
                    .unwrap_or(false),
                Err(_) => false,
            };
            let pre = if !prefix {
                String::new()
            } else if colour {
                format!(
                    "\x1b[{}m{:<width$}  |\x1b[0m ",
                    COLOURS[(first + i) % COLOURS.len()],
                    x.name
                )
            } else {
                format!("{:<width$}  | ", x.name)
            };
            if let Ok(mut s) = c.containers().logs(&x.id, tty, o).await {
                let mut partial = Vec::new();
                while let Some(Ok((_, chunk))) = s.next().await {
                    partial.extend_from_slice(&chunk);
                    while let Some(nl) = partial.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = partial.drain(..=nl).collect();
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(pre.as_bytes());
                        let _ = out.write_all(&line);
                        let _ = out.flush();
                    }
                }
                if !partial.is_empty() {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(pre.as_bytes());
                    let _ = out.write_all(&partial);
                    let _ = out.write_all(b"\n");
                }
            }
            ended.borrow_mut().push(x.name.clone());
        }
    });
    futures_util::future::join_all(futs).await;
    ended.into_inner()
}
