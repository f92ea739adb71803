//! Docker's JSON message streams (build, pull, import, load):
//! `{"status": ...}`, `{"stream": ...}`, `{"error": ..., "errorDetail":
//! {...}}` per message, decoded by `wharf_client::MessageStream`.

use std::io::Write;

use wharf_client::MessageStream;

/// Print the stream's text as docker's `jsonmessage` does for non-terminals;
/// an `error` message fails the command with its message.
pub async fn print_stream(mut messages: MessageStream) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    let mut res = Ok(());
    messages
        .for_each(|m| {
            if res.is_err() {
                return;
            }
            res = if let Some(s) = &m.stream {
                write!(out, "{s}")
            } else if let Some(s) = &m.status {
                match &m.id {
                    Some(id) => writeln!(out, "{id}: {s}"),
                    None => writeln!(out, "{s}"),
                }
            } else {
                Ok(())
            };
        })
        .await?;
    res?;
    out.flush()?;
    Ok(())
}

/// Reads a stream to its end, failing on an `error` message.
pub async fn drain_stream(mut messages: MessageStream) -> anyhow::Result<()> {
    messages.for_each(|_| {}).await?;
    Ok(())
}

/// Pull/push progress: on a terminal one line per layer, rewritten in
/// place; otherwise plain `id: status` lines (no byte counts).
pub async fn print_progress(mut messages: MessageStream) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let tty = std::io::stdout().is_terminal();
    let mut out = std::io::stdout();
    let mut rows: Vec<String> = Vec::new();
    let mut res: std::io::Result<()> = Ok(());
    messages
        .for_each(|m| {
            if res.is_err() {
                return;
            }
            let Some(status) = &m.status else { return };
            res = (|| {
                match (&m.id, tty) {
                    (Some(id), true) => {
                        let text = match (&m.progress_detail, status.as_str()) {
                            (Some(p), "Downloading") if p.total.unwrap_or(0) > 0 => format!(
                                "{status} {:>5.1}MB/{:.1}MB",
                                p.current.unwrap_or(0) as f64 / 1e6,
                                p.total.unwrap_or(0) as f64 / 1e6
                            ),
                            _ => status.clone(),
                        };
                        match rows.iter().position(|r| r == id) {
                            Some(i) => {
                                let up = rows.len() - i;
                                write!(out, "\x1b[{up}A\r\x1b[2K{id}: {text}\r\x1b[{up}B")?;
                            }
                            None => {
                                rows.push(id.clone());
                                writeln!(out, "{id}: {text}")?;
                            }
                        }
                    }
                    (Some(id), false) => {
                        if status != "Downloading" && status != "Extracting" {
                            writeln!(out, "{id}: {status}")?;
                        }
                    }
                    (None, _) => {
                        rows.clear();
                        writeln!(out, "{status}")?;
                    }
                }
                out.flush()
            })();
        })
        .await?;
    res?;
    Ok(())
}
